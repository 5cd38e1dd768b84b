// The conversation (issue 15, item 2) in a real browser: the patient asks a
// question, staff answer it and leave an internal note, the assigned reviewer
// sees the question, the answer and the note, and the patient sees the answer
// with an unread badge on her dashboard and in the thread, never the note.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations, outboxMessages } from './lib.mjs';

async function logIn(browser, srv, user) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page };
}

export const tests = [
  {
    name: 'patient asks, staff answer with a note, the reviewer sees both, the patient sees the answer as new',
    fn: async ({ browser }) => {
      const srv = await startServer('conversation');
      const open = [];
      try {
        const patient = createUser(srv, 'patient', 'cv-patient@example.test', 'Jane Talk', 'correct horse battery staple cv');
        const staff = createUser(srv, 'staff', 'cv-staff@example.test', 'Sam Staff', 'correct horse battery staple cs');
        const reviewer = createUser(srv, 'reviewer', 'cv-rev@example.test', 'Rita Account', 'correct horse battery staple cr');
        const spec = sql(srv.dsn, `INSERT INTO specialists (external_id, full_name, credentials, institution, city, state,
          remote_review, offers_reread, fee_reread_cents, turnaround_days, reviewer_user_id) VALUES ('cv-rita',
          'Dr Rita Reader', 'MD', 'General Hospital', 'Boston', 'MA', true, true, 30000, 7, ${reviewer.id}) RETURNING id`).split('\n')[0];
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, submitted_at, exam_types,
          review_type, review_mode, exam_facility, reason, specialist_id, assigned_specialist_id, assigned_reviewer_id,
          payment, exam_saved_at) VALUES ('SO-2026-78001', ${patient.id}, 'accepted', '3', now() - interval '1 day',
          '{screening_mammogram,tomosynthesis}', 'reread', 'remote', 'Valley Imaging', 'I want to be sure', ${spec},
          ${spec}, ${reviewer.id}, 'self_pay', now()) RETURNING id`).split('\n')[0];

        // 1. the patient asks; an empty message first is refused next to the field, nothing lost
        const pt = await logIn(browser, srv, patient);
        open.push(pt.ctx);
        await pt.page.goto(srv.url + `/requests/${rid}`);
        await pt.page.click('#message-form button[type=submit]');
        await pt.page.waitForSelector('#body-error');
        assert.match(await pt.page.textContent('#body-error'), /Please write a message/);
        await pt.page.fill('#f-body', 'Will the specialist compare with my 2024 images?');
        await Promise.all([pt.page.waitForURL(new RegExp(`/requests/${rid}`)), pt.page.click('#message-form button[type=submit]')]);
        await pt.page.waitForSelector('text=Will the specialist compare with my 2024 images?');

        // 2. staff see it as new in the queue, answer it and leave an internal note
        const st = await logIn(browser, srv, staff);
        open.push(st.ctx);
        await st.page.goto(srv.url + '/staff/queue');
        await st.page.waitForSelector(`a.badge.unread[href="/staff/requests/${rid}#thread-h"]`);
        await Promise.all([st.page.waitForURL(new RegExp(`/staff/requests/${rid}`)),
          st.page.click(`a.badge.unread[href="/staff/requests/${rid}#thread-h"]`)]);
        await st.page.waitForSelector('#thread li.unread');
        await st.page.fill('#f-reply', 'Yes: please upload the 2024 images too.');
        await st.page.click('#reply-form button[type=submit]');
        await st.page.waitForSelector('text=Your message is sent.');
        await st.page.fill('#f-note', 'Internal: the 2024 images are at Valley Imaging.');
        await st.page.click('button:has-text("Add internal note")');
        await st.page.waitForSelector('text=Internal note added.');
        await screenshot(st.page, 'conversation-01-staff');
        assert.deepEqual(await axeViolations(st.page), [], 'axe on the staff request page');

        // 3. the reviewer sees the question, the answer and the note
        const rv = await logIn(browser, srv, reviewer);
        open.push(rv.ctx);
        await rv.page.goto(srv.url + `/reviewer/cases/${rid}`);
        const thread = await rv.page.textContent('#thread');
        assert.ok(thread.includes('Will the specialist compare with my 2024 images?'), 'the reviewer sees the question');
        assert.ok(thread.includes('Yes: please upload the 2024 images too.'), 'the reviewer sees the answer');
        assert.ok(thread.includes('Internal: the 2024 images are at Valley Imaging.'), 'the reviewer sees the note');
        await screenshot(rv.page, 'conversation-02-reviewer');
        assert.deepEqual(await axeViolations(rv.page), [], 'axe on the reviewer case page');

        // 4. the patient: an unread badge on her dashboard, the answer marked new, no note anywhere
        await pt.page.goto(srv.url + '/requests');
        const badge = pt.page.locator(`a.badge.unread[href="/requests/${rid}#messages"]`);
        assert.equal((await badge.textContent()).trim(), '1 new message from the center');
        await screenshot(pt.page, 'conversation-03-dashboard');
        await Promise.all([pt.page.waitForURL(new RegExp(`/requests/${rid}`)), badge.click()]);
        const mine = await pt.page.textContent('#messages-section');
        assert.ok(mine.includes('Yes: please upload the 2024 images too.'), 'the patient reads the answer');
        assert.equal(await pt.page.locator('#messages-section li.unread').count(), 1, 'the answer is marked new');
        const html = await pt.page.content();
        assert.ok(!html.includes('are at Valley') && !html.includes('Internal:'), 'the note never reaches the patient');
        await screenshot(pt.page, 'conversation-04-patient');
        assert.deepEqual(await axeViolations(pt.page), [], 'axe on the patient status page');
        await pt.page.goto(srv.url + '/requests');
        assert.equal(await pt.page.locator('a.badge.unread').count(), 0, 'read once seen');

        // the e-mails say only "log in"
        for (const m of outboxMessages(srv))
          assert.ok(!/2024 images|mammogra|tomosynthesis|BI-RADS/i.test(m.body), 'a notice carries no clinical words: ' + m.body);
      } finally {
        for (const c of open) await c.close();
        await srv.stop();
      }
    },
  },
];
