// The center's storage is full (a reserve no volume can meet: SECONDOP_STORE_RESERVE_BYTES):
// a patient who starts an upload is told so in plain words, not "connection lost", the
// uploader keeps trying, and nothing was created on the server. Checked with axe-core at
// 375 px width; screenshot in tests/out/screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, screenshot, sql, axeViolations, BIN, ROOT } from './lib.mjs';

export const tests = [
  {
    name: 'storage full: the uploader says so, keeps trying, and nothing is created',
    fn: async ({ browser }) => {
      const srv = await startServer('storagefull', [], { SECONDOP_STORE_RESERVE_BYTES: String(2 ** 62) });
      const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-full-'));
      try {
        const email = `full.${process.pid}@example.test`, password = 'warm windowsills and tea full';
        execFileSync(BIN, ['create-user', '--role', 'patient', '--email', email, '--name', 'Jane Doe', '--password-stdin',
          '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT],
        { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForLoadState('load');
        await page.goto(srv.url + '/requests/new');
        const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        assert.equal(r.status(), 303);
        const req = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        await page.goto(`${srv.url}/requests/${req}/records`);

        fs.writeFileSync(path.join(dir, 'report.pdf'), Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(5000)]));
        await page.setInputFiles('#up-files', path.join(dir, 'report.pdf'));
        await page.getByRole('button', { name: 'Start upload' }).click();
        const state = page.locator('#up-list li .state');
        await page.waitForFunction(() => /storage is full/.test(document.querySelector('#up-list li .state')?.textContent || ''),
          null, { timeout: 30000 });
        const text = await state.innerText();
        assert.match(text, /^the center's storage is full right now, trying again in \d+ s$/);
        assert.doesNotMatch(text, /connection lost|kept/);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM uploads WHERE request_id = ${req}`), '0', 'nothing created');
        // it keeps trying: the server answered the creation with 507 more than once
        await page.waitForFunction(() => /trying again in ([2-9]|\d\d) s/.test(document.querySelector('#up-list li .state')?.textContent || ''),
          null, { timeout: 30000 });
        // (the access line is written after the answer is sent: poll, bounded)
        const creations = () => (srv.log().match(/route=tus-create status=507/g) || []).length;
        for (const end = Date.now() + 20000; creations() < 2 && Date.now() < end;) await new Promise((res) => setTimeout(res, 50));
        assert.ok(creations() >= 2, 'the uploader tried again: ' + creations());
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-storage-full');
        assert.deepEqual(errors, []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
