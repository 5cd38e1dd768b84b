// Sign with eyes open (issue 12): a reviewer sees the verdict and the
// patient's sentence change live as they change the category, is asked for a
// reason when the category contradicts the recommendation, signs; the
// significant unexpected finding puts a call to the referring physician at
// the top of the staff queue, and the report cannot be released before staff
// record it. Screenshots of each step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

async function logIn(browser, srv, user) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
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

async function verdictBecomes(page, verdict) {
  await page.waitForFunction((v) => document.getElementById('preview-verdict').getAttribute('data-verdict') === v,
    verdict, { timeout: 10000 });
}

export const tests = [
  {
    name: 'reviewer sees the verdict live, gives a reason for a contradiction, signs; staff call the physician before release',
    fn: async ({ browser }) => {
      const srv = await startServer('concordance_journey');
      try {
        const patient = createUser(srv, 'patient', 'cc-patient@example.test', 'Jane Concord', 'correct horse battery staple cp');
        const staff = createUser(srv, 'staff', 'cc-staff@example.test', 'Sam Staff', 'correct horse battery staple cs');
        const reviewer = createUser(srv, 'reviewer', 'cc-rev@example.test', 'Rita Reader', 'correct horse battery staple cr');
        const spec = sql(srv.dsn, `INSERT INTO specialists (external_id, full_name, credentials, institution, city, state,
          remote_review, offers_reread, fee_reread_cents, turnaround_days, reviewer_user_id) VALUES ('cc-rita',
          'Dr Rita Reader', 'MD', 'General Hospital', 'Boston', 'MA', true, true, 30000, 7, ${reviewer.id}) RETURNING id`).split('\n')[0];
        // in review, the first read verified from the report: BI-RADS 2, routine screening
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, submitted_at,
          exam_types, review_type, review_mode, exam_facility, reason, specialist_id, assigned_specialist_id,
          assigned_reviewer_id, payment, exam_saved_at, verified_birads, verified_recommendation, verified_biopsy,
          verified_by, verified_at)
          VALUES ('SO-2026-88001', ${patient.id}, 'in_review', '2', false, now() - interval '3 days',
          '{screening_mammogram}', 'reread', 'remote', 'Valley Imaging', 'A lump I can feel', ${spec}, ${spec},
          ${reviewer.id}, 'self_pay', now(), '2', 'routine_screening', 'none', ${staff.id}, now()) RETURNING id`).split('\n')[0];

        // 1. the reviewer fills the form and watches the verdict change
        const rv = await logIn(browser, srv, reviewer);
        await rv.page.goto(srv.url + `/reviewer/cases/${rid}`);
        await rv.page.fill('#f-findings_left', 'No mammographic finding at the palpable site.');
        await rv.page.fill('#f-findings_right', 'No findings.');
        await rv.page.selectOption('#f-density', 'C');
        await rv.page.fill('#f-summary', 'The images look normal, but the lump you feel should be sampled.');
        await rv.page.selectOption('#f-birads', '2');
        await rv.page.selectOption('#f-recommendation', 'routine_screening');
        await verdictBecomes(rv.page, 'concordant');
        assert.match(await rv.page.locator('#preview-patient').innerText(), /agrees with your first report/);
        assert.ok(await rv.page.locator('#preview-contradiction').isHidden(), 'no contradiction yet');
        await screenshot(rv.page, 'concordance-01-concordant');
        await rv.page.selectOption('#f-birads', '4B');
        await rv.page.selectOption('#f-recommendation', 'biopsy');
        await verdictBecomes(rv.page, 'upgraded');
        assert.match(await rv.page.locator('#preview-verdict').innerText(), /toward tissue diagnosis/);
        assert.match(await rv.page.locator('#preview-patient').innerText(), /it recommends a biopsy, where your first report recommended routine screening/);
        await screenshot(rv.page, 'concordance-02-upgraded');
        // 2. BI-RADS 1 with a biopsy contradicts: the form asks why, the server insists
        await rv.page.selectOption('#f-birads', '1');
        await rv.page.waitForSelector('#preview-contradiction:not([hidden])');
        await rv.page.waitForSelector('#f-contradiction_reason', { state: 'visible' });
        await rv.page.fill('#f-credential', reviewer.password);
        await rv.page.click('button[value=sign]');
        await rv.page.waitForSelector('#contradiction_reason-error');
        assert.match(await rv.page.locator('#contradiction_reason-error').innerText(), /point to different next steps/);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM reports WHERE request_id = ${rid} AND status = 'signed'`), '0');
        assert.equal(await rv.page.inputValue('#f-birads'), '1', 'the form keeps the category');
        await screenshot(rv.page, 'concordance-03-reason-asked');
        await rv.page.fill('#f-contradiction_reason', 'Palpable lump: imaging negative, tissue sampling advised on clinical grounds.');
        await rv.page.fill('#f-credential', reviewer.password);
        await rv.page.click('button[value=sign]');
        await rv.page.waitForSelector('text=The report is signed');
        assert.equal(sql(srv.dsn, `SELECT concordance || ' ' || first_read_state FROM reports WHERE request_id = ${rid}`), 'upgraded verified');
        await screenshot(rv.page, 'concordance-04-signed');

        // 3. staff: the call comes first; release waits for it
        const st = await logIn(browser, srv, staff);
        await st.page.goto(srv.url + '/staff/queue');
        await st.page.waitForSelector('#comm-tasks');
        assert.match(await st.page.locator('#comm-tasks').innerText(), /SO-2026-88001/);
        assert.deepEqual(await axeViolations(st.page), [], 'axe on the queue with a communication task');
        await screenshot(st.page, 'concordance-05-queue');
        await st.page.click('#comm-tasks a');
        await st.page.click('button:has-text("Release the report")');
        await st.page.waitForSelector('#communication-error');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM report_releases`), '0');
        await st.page.fill('#f-whom', 'Dr Paula Primary');
        await st.page.fill('#f-at', '2026-01-05T10:30');
        await st.page.selectOption('#f-how', 'phone');
        await st.page.click('#comm-form button[type=submit]');
        await st.page.waitForSelector('#comm-task-done');
        await screenshot(st.page, 'concordance-06-called');
        await st.page.click('button:has-text("Release the report")');
        await st.page.waitForSelector('text=The report is released');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM report_releases`), '1');

        // 4. the patient reads the sentence the reviewer previewed
        const pt = await logIn(browser, srv, patient);
        await pt.page.goto(srv.url + `/requests/${rid}/report`);
        assert.match(await pt.page.locator('#agreement').innerText(), /it recommends a biopsy, where your first report recommended routine screening/);
        await screenshot(pt.page, 'concordance-07-patient');
        for (const s of [rv, st, pt]) {
          // the refused signature and the refused release answer 422 on purpose
          assert.deepEqual(s.errors.filter((e) => !(s !== pt && /status of 422/.test(e))), [], 'no console errors');
        }
        await rv.ctx.close(); await st.ctx.close(); await pt.ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
