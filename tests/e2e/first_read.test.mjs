// Staff verify the first read (issue 12, item 5): on the staff request page
// the first read is marked unverified with the patient's own answers ("As you
// told us"); a biopsy result without its date is refused next to the field
// with what was chosen kept; the corrected first read is saved, shown as
// verified, and the queue ranks the request by it. Screenshots of each step;
// the form is also checked at 375 px.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

async function logIn(browser, srv, user, viewport) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  await page.fill('input[name=code]', await totp(user.secret));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  return { ctx, page };
}

export const tests = [
  {
    name: 'staff verify and correct the first read from the uploaded report',
    fn: async ({ browser }) => {
      const srv = await startServer('first_read');
      try {
        const patient = createUser(srv, 'patient', 'fr-patient@example.test', 'Fran Read', 'correct horse battery staple fr');
        const staff = createUser(srv, 'staff', 'fr-staff@example.test', 'Sam Staff', 'correct horse battery staple fs');
        // the patient said BI-RADS 2, no biopsy; the report says 4C with a biopsy, result pending
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, exam_date,
          submitted_at, exam_types, review_type, review_mode, exam_facility, reason, exam_saved_at)
          VALUES ('SO-2026-78001', ${patient.id}, 'triage', '2', false, '2026-10-01', now() - interval '1 day',
          '{diagnostic_mammogram}', 'reread', 'remote', 'Valley Imaging', 'To be sure', now()) RETURNING id`).split('\n')[0];
        const st = await logIn(browser, srv, staff, { width: 1280, height: 900 });
        const page = st.page;
        await page.goto(`${srv.url}/staff/queue`);
        const row = page.locator(`tr[data-request-id="${rid}"]`);
        assert.match(await row.innerText(), /6 Routine/);
        assert.match(await row.innerText(), /unverified/);
        await page.goto(`${srv.url}/staff/requests/${rid}`);
        assert.match(await page.locator('#first-read-unverified').innerText(), /first read is unverified/);
        assert.match(await page.locator('#first-read').innerText(), /As you told us/);
        assert.match(await page.locator('#first-read-patient').innerText(), /BI-RADS 2/);
        await screenshot(page, 'first-read-01-unverified');
        assert.deepEqual(await axeViolations(page), [], 'axe on the staff request page');

        // a pending biopsy without its date: refused next to the field, choices kept
        await page.selectOption('#fr-birads', '4C');
        await page.selectOption('#fr-recommendation', 'biopsy');
        await page.check('#fr-biopsy-pending');
        await page.fill('#fr-biopsy-date', '');
        await Promise.all([page.waitForLoadState('load'), page.click('.first-read-form button[type=submit]')]);
        assert.match(await page.locator('#fr_biopsy_date-error').innerText(), /date of the biopsy/);
        assert.equal(await page.locator('#fr-birads').inputValue(), '4C');
        assert.equal(await page.locator('#fr-recommendation').inputValue(), 'biopsy');
        assert.ok(await page.locator('#fr-biopsy-pending').isChecked());
        assert.equal(await page.locator('#fr-biopsy-date').getAttribute('aria-invalid'), 'true');
        await screenshot(page, 'first-read-02-error');
        assert.equal(sql(srv.dsn, `SELECT verified_at IS NULL FROM requests WHERE id = ${rid}`).trim(), 't');

        // corrected and saved
        await page.fill('#fr-biopsy-date', '2026-10-08');
        await Promise.all([page.waitForURL(/done=first-read/), page.click('.first-read-form button[type=submit]')]);
        assert.match(await page.locator('.flash.ok').first().innerText(), /saved as verified/);
        const verified = await page.locator('#first-read-verified').innerText();
        assert.match(verified, /BI-RADS 4C/);
        assert.match(verified, /result pending \(2026-10-08\)/);
        assert.match(await page.locator('#first-read-patient').innerText(), /BI-RADS 2/);
        assert.equal(await page.locator('#first-read-unverified').count(), 0);
        assert.match(await page.locator('.timeline').innerText(), /First read corrected from the uploaded report/);
        await screenshot(page, 'first-read-03-verified');

        // the queue ranks it by the verified read: 4C is class 2
        await page.goto(`${srv.url}/staff/queue`);
        assert.match(await page.locator(`tr[data-request-id="${rid}"]`).innerText(), /2 Highly suspicious or cancer/);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM audit_log WHERE action = 'request.first_read.verify' AND outcome = 'ok'`).trim(), '1');

        // phone width: the form fits
        await page.setViewportSize({ width: 375, height: 800 });
        await page.goto(`${srv.url}/staff/requests/${rid}`);
        await page.locator('#first-read summary').click();
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 375, `no horizontal scroll at 375px (${w})`);
        await screenshot(page, 'first-read-04-phone');
        await st.ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
