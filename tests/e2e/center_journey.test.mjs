// The center's journey (issue 7): a staff member asks for a missing
// pathology report, the patient uploads it, staff assign a reviewer, the
// reviewer signs a report that disagrees with the first read, staff release
// it, the patient reads it and opens a third-opinion request. Screenshots of
// each step; the staff request page and the report are also checked at 375 px.
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
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    assert.ok(page.url().includes('/login/2fa'), 'second factor asked for ' + user.email);
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page, errors };
}

async function noSideScroll(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= width, `no horizontal scroll on ${what} at ${width}px (${w})`);
}

export const tests = [
  {
    name: 'staff ask for a pathology report, reviewer signs a disagreeing report, patient opens a third opinion',
    fn: async ({ browser }) => {
      const srv = await startServer('center_journey');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-center-'));
      const pdf = path.join(dir, 'pathology.pdf');
      fs.writeFileSync(pdf, '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
      try {
        const patient = createUser(srv, 'patient', 'cj-patient@example.test', 'Jane Center', 'correct horse battery staple cj');
        const staff = createUser(srv, 'staff', 'cj-staff@example.test', 'Sam Staff', 'correct horse battery staple st');
        const reviewer = createUser(srv, 'reviewer', 'cj-rev@example.test', 'Rita Reader', 'correct horse battery staple rv');
        const spec = sql(srv.dsn, `INSERT INTO specialists (external_id, full_name, credentials, institution, city, state,
          remote_review, offers_reread, fee_reread_cents, turnaround_days, reviewer_user_id) VALUES ('cj-rita',
          'Dr Rita Reader', 'MD', 'General Hospital', 'Boston', 'MA', true, true, 30000, 7, ${reviewer.id}) RETURNING id`).split('\n')[0];
        // a submitted request (the patient's own journey is issue 6's browser test): BI-RADS 2 with a biopsy
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, submitted_at,
          exam_types, review_type, review_mode, exam_facility, reason, questions, specialist_id, payment, exam_saved_at)
          VALUES ('SO-2026-77001', ${patient.id}, 'submitted', '2', true, now() - interval '2 days',
          '{diagnostic_mammogram}', 'reread', 'remote', 'Valley Imaging', 'I want to be sure', '{"Should I worry?"}',
          ${spec}, 'self_pay', now()) RETURNING id`).split('\n')[0];

        // 1. staff: the queue, claim, ask for the pathology report
        const st = await logIn(browser, srv, staff);
        await st.page.goto(srv.url + '/staff/queue');
        await screenshot(st.page, 'center-01-queue');
        assert.deepEqual(await axeViolations(st.page), [], 'axe on the queue');
        await Promise.all([st.page.waitForURL(/\/staff\/requests\/\d+$/), st.page.click(`a[href="/staff/requests/${rid}"]`)]);
        await st.page.click('button:has-text("Claim for triage")');
        await st.page.waitForSelector('#ask-info-form');
        for (const box of await st.page.locator('#ask-info-form input[name=missing]').all()) await box.uncheck();
        await st.page.check('#m-pathology_report');
        await st.page.fill('#f-message', 'Please upload the pathology report from your biopsy.');
        await screenshot(st.page, 'center-02-ask-info');
        await st.page.click('#ask-info-form button[type=submit]');
        await st.page.waitForSelector('text=The patient was asked for the missing information.');
        assert.equal(sql(srv.dsn, `SELECT status FROM requests WHERE id = ${rid}`), 'needs_info');

        // 2. the patient sees exactly what is asked and uploads it
        const pt = await logIn(browser, srv, patient);
        await pt.page.goto(srv.url + `/requests/${rid}`);
        await pt.page.waitForSelector('text=Please upload the pathology report from your biopsy.');
        await screenshot(pt.page, 'center-03-patient-asked');
        await pt.page.goto(srv.url + `/requests/${rid}/records`);
        await pt.page.selectOption('#up-kind', 'pathology_report');
        await pt.page.setInputFiles('#up-files', pdf);
        await pt.page.click('#up-start');
        await pt.page.waitForSelector('#up-done:not([hidden])', { timeout: 60000 });
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM documents WHERE request_id = ${rid} AND kind = 'pathology_report'`), '1');
        await pt.page.goto(srv.url + `/requests/${rid}`);
        await pt.page.click(`form[action="/requests/${rid}/info-sent"] button`);
        assert.equal(sql(srv.dsn, `SELECT status FROM requests WHERE id = ${rid}`), 'triage');

        // 3. staff accept and assign the reviewer
        await st.page.goto(srv.url + `/staff/requests/${rid}`);
        await st.page.click('button:has-text("Accept")');
        await st.page.waitForSelector('text=The request is accepted.');
        // the patient chose Dr Rita Reader, who has a reviewer account: one click assigns her
        await st.page.click('#assign-chosen button[type=submit]');
        await st.page.waitForSelector('text=The reviewer is assigned');
        await screenshot(st.page, 'center-04-assigned');

        // 4. the reviewer reads and signs a report that disagrees (BI-RADS 2 → 4B, biopsy); the first
        // read was verified from the report (routine screening)
        sql(srv.dsn, `UPDATE requests SET verified_birads = '2', verified_recommendation = 'routine_screening',
          verified_biopsy = 'none', verified_by = ${staff.id}, verified_at = now() WHERE id = ${rid}`);
        const rv = await logIn(browser, srv, reviewer);
        await rv.page.goto(srv.url + '/reviewer/cases');
        await screenshot(rv.page, 'center-05-worklist');
        await rv.page.click(`a[href="/reviewer/cases/${rid}"]`);
        await rv.page.click('button:has-text("Start the review")');
        await rv.page.fill('#f-findings_left', 'Irregular mass, 12 mm, upper outer quadrant.');
        await rv.page.fill('#f-findings_right', 'No findings.');
        await rv.page.selectOption('#f-birads', '4B');
        await rv.page.selectOption('#f-density', 'C');
        await rv.page.selectOption('#f-recommendation', 'biopsy');
        await rv.page.fill('#f-answers', 'It should be checked with a biopsy.');
        await rv.page.fill('#f-summary', 'We see an area that should be checked with a biopsy.');
        await rv.page.fill('#f-explanation', 'The mass is visible on the MLO view.');
        await rv.page.fill('#f-credential', 'not my password at all');
        await rv.page.click('button[value=sign]');
        await rv.page.waitForSelector('text=Nothing was signed');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM reports WHERE request_id = ${rid} AND status = 'signed'`), '0');
        assert.equal(await rv.page.inputValue('#f-findings_left'), 'Irregular mass, 12 mm, upper outer quadrant.', 'the form keeps what was typed');
        await rv.page.fill('#f-credential', reviewer.password);
        await rv.page.click('button[value=sign]');
        await rv.page.waitForSelector('text=The report is signed');
        await screenshot(rv.page, 'center-06-signed');
        assert.equal(sql(srv.dsn, `SELECT concordance FROM reports WHERE request_id = ${rid}`), 'upgraded');

        // 5. staff reach the referring physician (a significant unexpected finding), then release
        // it (also checked at phone width)
        await st.page.goto(srv.url + `/staff/requests/${rid}`);
        await st.page.fill('#f-whom', 'Dr Paula Primary');
        await st.page.fill('#f-at', '2026-01-05T10:30');
        await st.page.selectOption('#f-how', 'phone');
        await st.page.click('#comm-form button[type=submit]');
        await st.page.waitForSelector('#comm-task-done');
        await st.page.click('button:has-text("Release the report")');
        await st.page.waitForSelector('text=The report is released');
        const sp = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await st.ctx.storageState() });
        const spp = await sp.newPage();
        await spp.goto(srv.url + `/staff/requests/${rid}`);
        await noSideScroll(spp, 375, 'the staff request page');
        await screenshot(spp, 'center-06b-staff-phone');
        await sp.close();

        // 6. the patient reads it and asks for a third opinion
        await pt.page.goto(srv.url + `/requests/${rid}/report`);
        await pt.page.waitForSelector('#agreement');
        const agreement = await pt.page.locator('#agreement').innerText();
        assert.match(agreement, /found more reason for concern: it recommends a biopsy, where your first report recommended routine screening/);
        assert.deepEqual(await axeViolations(pt.page), [], 'axe on the report');
        await screenshot(pt.page, 'center-07-report');
        const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState: await pt.ctx.storageState() });
        const pp = await phone.newPage();
        await pp.goto(srv.url + `/requests/${rid}/report`);
        await noSideScroll(pp, 375, 'the report');
        await screenshot(pp, 'center-08-report-phone');
        await phone.close();
        await Promise.all([pt.page.waitForURL(/\/requests\/\d+\/steps\//), pt.page.click('button:has-text("Ask for a third opinion")')]);
        const child = sql(srv.dsn, `SELECT count(*) FROM requests WHERE parent_request_id = ${rid}`);
        assert.equal(child, '1');
        await screenshot(pt.page, 'center-09-third-opinion');
        // the refused signature answers 403 on purpose; anything else in the console is a fault (CSP shows here)
        for (const s of [st, pt, rv]) {
          assert.deepEqual(s.errors.filter((e) => !(s === rv && /status of 403/.test(e))), [], 'no console errors');
        }
        await st.ctx.close(); await pt.ctx.close(); await rv.ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
