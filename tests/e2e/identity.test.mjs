// Whose images are these (issue 11): a patient uploads a folder where two
// files name another person; the records page shows the grouped verdict
// without a reload, and the staff and reviewer pages show the same words.
// Checked with axe-core and at 375 px; screenshots in tests/out/screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

async function logIn(browser, srv, user, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page, errors };
}

// The verdict part of the identity section, as a person reads it.
const verdictText = (page) => page.locator('#identity .identity-verdict').innerText().then((t) => t.replace(/\s+/g, ' ').trim());

async function noSideScroll(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= width, `no horizontal scroll on ${what} at ${width}px (${w})`);
}

export const tests = [
  {
    name: 'two files of another person in a folder: the same grouped verdict for the patient, staff and reviewer',
    fn: async ({ browser }) => {
      const srv = await startServer('identity');
      const studies = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-identity-'));
      execFileSync('sh', [path.join(ROOT, 'tests', 'data', 'make-studies.sh'), studies], { stdio: 'ignore' });
      // a CD-like folder: the patient's four images and two of ROE^RICHARD
      const cd = path.join(studies, 'mixed');
      fs.mkdirSync(cd);
      for (const f of fs.readdirSync(path.join(studies, 'study1'))) fs.copyFileSync(path.join(studies, 'study1', f), path.join(cd, f));
      for (const f of fs.readdirSync(path.join(studies, 'other'))) fs.copyFileSync(path.join(studies, 'other', f), path.join(cd, 'OTHER_' + f));
      const closers = [];
      try {
        const patient = createUser(srv, 'patient', 'id-patient@example.test', 'Jane Doe', 'correct horse battery staple id');
        sql(srv.dsn, `UPDATE users SET date_of_birth = '1970-01-01', email_verified = true WHERE id = ${patient.id}`);
        const staff = createUser(srv, 'staff', 'id-staff@example.test', 'Sam Staff', 'correct horse battery staple is');
        const reviewer = createUser(srv, 'reviewer', 'id-rev@example.test', 'Rita Reader', 'correct horse battery staple ir');

        const p = await logIn(browser, srv, patient);
        closers.push(() => p.ctx.close());
        await p.page.goto(srv.url + '/requests/new');
        const csrf = await p.page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await p.page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        const req = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        await p.page.goto(`${srv.url}/requests/${req}/records`);
        assert.equal(await p.page.locator('#identity').count(), 0, 'no identity section before any image');

        await p.page.setInputFiles('#up-folder', cd);
        await p.page.getByRole('button', { name: 'Start upload' }).click();
        // the section arrives with the receipt, without a reload
        await p.page.waitForSelector('#identity', { timeout: 60000 });
        assert.equal(await p.page.locator('#identity').getAttribute('data-verdict'), 'different');
        const seen = await verdictText(p.page);
        assert.match(seen, /^2 of 6 images name someone other than the account holder, Jane Doe, born 1 January 1970\./);
        assert.match(seen, /2 of 2 images name another person: “ROE, RICHARD”, born 24 December 1958\./);
        assert.match(await p.page.locator('#identity .identity-advice').innerText(), /remove them if they are not yours/);
        assert.deepEqual(await axeViolations(p.page), []);
        await screenshot(p.page, 'identity-1-patient');
        await p.page.setViewportSize({ width: 375, height: 800 });
        await noSideScroll(p.page, 375, 'the records page');
        await screenshot(p.page, 'identity-2-patient-phone');

        sql(srv.dsn, `UPDATE requests SET status = 'in_review', submitted_at = now(), assigned_reviewer_id = ${reviewer.id} WHERE id = ${req}`);
        const s = await logIn(browser, srv, staff);
        closers.push(() => s.ctx.close());
        await s.page.goto(`${srv.url}/staff/requests/${req}`);
        assert.equal(await verdictText(s.page), seen, 'staff read the same verdict');
        assert.match(await s.page.locator('#identity .identity-advice').innerText(), /must not be reviewed for this patient/);
        assert.deepEqual(await axeViolations(s.page), []);
        await screenshot(s.page, 'identity-3-staff');

        const v = await logIn(browser, srv, reviewer, { width: 375, height: 800 });
        closers.push(() => v.ctx.close());
        await v.page.goto(`${srv.url}/reviewer/cases/${req}`);
        assert.equal(await verdictText(v.page), seen, 'the reviewer reads the same verdict');
        await noSideScroll(v.page, 375, 'the case page');
        assert.deepEqual(await axeViolations(v.page), []);
        await screenshot(v.page, 'identity-4-reviewer-phone');
        assert.deepEqual([...p.errors, ...s.errors, ...v.errors], [], 'no console errors (CSP violations show here)');
      } finally {
        for (const c of closers) await c();
        await srv.stop();
      }
    },
  },
];
