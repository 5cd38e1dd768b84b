// The CD-ready download in a real browser: a patient uploads two studies, finds "Download one
// study" on the records page, downloads one with the keyboard only and gets a ZIP laid out as
// a CD (README.TXT, DICOMDIR, DICOM/ST0001/...); the whole request downloads the same way.
// Checked with axe-core and at 375 px width.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, screenshot, sql, axeViolations, BIN, ROOT } from './lib.mjs';

function studies() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-cd-'));
  execFileSync('sh', [path.join(ROOT, 'tests', 'data', 'make-studies.sh'), dir], { stdio: 'ignore' });
  return dir;
}

function makePatient(srv) {
  const email = `cd.${process.pid}@example.test`;
  const password = 'warm windowsills and tea cd';
  execFileSync(BIN, ['create-user', '--role', 'patient', '--email', email, '--name', 'Jane Doe', '--password-stdin',
    '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT], { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
  sql(srv.dsn, `UPDATE users SET date_of_birth = '1970-01-01' WHERE email = '${email}'`);
  return { email, password };
}

// names in a ZIP's central directory, read with Python's zipfile
function zipNames(file) {
  return execFileSync('/usr/bin/python3', ['-c', 'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint("\\n".join(z.namelist()))', file]).toString().trim().split('\n');
}

export const tests = [
  {
    name: 'a patient downloads one study and the whole request as CD-ready ZIPs, keyboard only',
    fn: async ({ browser }) => {
      const srv = await startServer('cddownload', [], {});
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await ctx.newPage();
      let st = null;
      try {
        const user = makePatient(srv);
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(user.email);
        await page.getByLabel('Password').fill(user.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForLoadState('load');
        await page.goto(srv.url + '/requests/new');
        const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        const req = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        st = studies();
        const files = ['study1', 'prior'].flatMap((d) => ['R_CC', 'L_CC'].map((v) => {
          const f = path.join(st, `${d}-${v}.dcm`);
          fs.copyFileSync(path.join(st, d, `${v}.dcm`), f);
          return f;
        }));
        await page.goto(`${srv.url}/requests/${req}/records`);
        await page.setInputFiles('#up-files', files);
        await page.getByRole('button', { name: 'Start upload' }).click();
        await page.waitForFunction(() => {
          const d = document.getElementById('up-done');
          return d && !d.hidden && /received/i.test(d.textContent) && !/Loading/.test(d.textContent);
        }, null, { timeout: 60000 });
        await page.goto(`${srv.url}/requests/${req}/records`);
        const links = page.getByRole('link', { name: /^Download the study of / });
        assert.equal(await links.count(), 2, 'one link per study');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'cd-1-study-links');

        // keyboard only: focus the first study's link and press Enter
        await links.first().focus();
        const [dl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
        assert.match(dl.suggestedFilename(), /-study-\d+-records\.zip$/);
        const one = path.join(st, 'one.zip');
        await dl.saveAs(one);
        const names = zipNames(one);
        assert.deepEqual(names.slice(0, 2), ['README.TXT', 'DICOMDIR']);
        assert.deepEqual(names.slice(2).sort(), ['DICOM/ST0001/SE0001/IM00001', 'DICOM/ST0001/SE0001/IM00002']);

        const [all] = await Promise.all([page.waitForEvent('download'),
          page.getByRole('link', { name: 'Download everything as one ZIP file' }).click()]);
        const whole = path.join(st, 'all.zip');
        await all.saveAs(whole);
        assert.equal(zipNames(whole).filter((n) => n.startsWith('DICOM/')).length, 4);

        await page.setViewportSize({ width: 375, height: 800 });
        await page.goto(`${srv.url}/requests/${req}/records`);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 375, 'no horizontal scroll at 375 px: ' + w);
        await screenshot(page, 'cd-2-phone');
      } finally {
        if (st) fs.rmSync(st, { recursive: true, force: true });
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
