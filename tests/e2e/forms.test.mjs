// The form layer in a browser (issue 15, item 1), at 375 px: a coverage step
// refused for a missing tick keeps the member ID typed and says so next to the
// tick; Revoke without the tick re-shows the authorization page with the
// message at the tick (it used to be a bare "Error 422" page), nothing revoked.
// Staff, at 390 px: Decline without a reason and a coverage note too long re-show
// the request with the message at the field and what was typed; nothing changes.
import assert from 'node:assert/strict';
import { createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

export const tests = [
  {
    name: 'coverage keeps the member ID after an error; Revoke without the tick stays on its page (375 px)',
    fn: async ({ browser }) => {
      const srv = await startServer('forms');
      try {
        const who = createUser(srv, 'patient', 'forms@example.test', 'Rosa Forms', 'correct horse battery forms');
        const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
        const page = await ctx.newPage();
        await page.goto(srv.url + '/login');
        await page.fill('input[name=email]', who.email);
        await page.fill('input[name=password]', who.password);
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
        await page.goto(srv.url + '/requests/new');
        await page.click('main button:has-text("Start")');
        const reqId = Number(page.url().match(/\/requests\/(\d+)\//)[1]);

        // coverage: everything but the tick
        await page.goto(`${srv.url}/requests/${reqId}/steps/coverage`);
        await page.check('#f-payment-insurance');
        await page.fill('#f-plan', 'Acme Health');
        await page.fill('#f-member_id', 'XK-55501234');
        await page.check('#f-referral-no');
        await page.click('button:has-text("Save and continue")');
        assert.match(page.url(), /steps\/coverage$/);
        assert.equal(await page.inputValue('#f-member_id'), 'XK-55501234', 'the member ID typed is kept');
        assert.equal(await page.inputValue('#f-plan'), 'Acme Health');
        assert.ok(await page.isVisible('#ack-error'));
        assert.equal(await page.getAttribute('#f-ack', 'aria-describedby'), 'ack-error');
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused coverage step');
        await screenshot(page, 'forms-coverage-error-375');
        await page.check('#f-ack');
        await page.click('button:has-text("Save and continue")');
        assert.match(page.url(), /steps\/review$/);

        // sign, then try to revoke without the tick
        await page.goto(`${srv.url}/requests/${reqId}/steps/authorization`);
        await page.fill('#f-full_name', who.name);
        await page.check('#f-confirm');
        await page.click('button:has-text("Sign and continue")');
        await page.goto(`${srv.url}/requests/${reqId}/authorization`);
        await page.click('summary:has-text("Revoke this authorization")');
        await page.click('button:has-text("Revoke")');
        assert.match(page.url(), /\/authorization\/revoke$/);
        assert.ok(await page.isVisible('#confirm-error'), 'the message is next to the tick, in an open box');
        assert.match(await page.textContent('#confirm-error'), /tick the box to confirm that you want to revoke/);
        assert.equal(await page.locator('text=Go to the home page').count(), 0);
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused revoke');
        await screenshot(page, 'forms-revoke-error-375');
        const revoked = sql(srv.dsn, `SELECT count(*) FROM authorizations WHERE request_id = ${reqId} AND revoked_at IS NOT NULL`);
        assert.equal(revoked.trim(), '0', 'nothing revoked');
        await page.check('#f-confirm');
        await page.click('button:has-text("Revoke")');
        assert.match(page.url(), new RegExp(`/requests/${reqId}$`));
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
  {
    name: 'staff: Decline without a reason and a too long coverage note stay on the request, typed values kept (390 px)',
    fn: async ({ browser }) => {
      const srv = await startServer('forms-staff');
      try {
        const pat = createUser(srv, 'patient', 'forms-pat@example.test', 'Lena Forms', 'correct horse battery lena');
        const staff = createUser(srv, 'staff', 'forms-staff@example.test', 'Sam Forms', 'correct horse battery staff');
        const reqId = Number(sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, submitted_at,
            exam_types, review_type, review_mode, exam_facility, reason, exam_saved_at)
          VALUES ('SO-E2E-F0001', (SELECT id FROM users WHERE email = '${pat.email}'), 'triage', '2', now(),
            '{diagnostic_mammogram}', 'reread', 'remote', 'Valley Imaging', 'To be sure', now()) RETURNING id`).trim());
        const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
        const page = await ctx.newPage();
        await page.goto(srv.url + '/login');
        await page.fill('input[name=email]', staff.email);
        await page.fill('input[name=password]', staff.password);
        await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
        await page.fill('input[name=code]', await totp(staff.secret));
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
        await page.goto(`${srv.url}/staff/requests/${reqId}`);
        await page.click('summary:has-text("Decline this request")');
        await page.click('button:has-text("Decline")');
        assert.match(page.url(), new RegExp(`/staff/requests/${reqId}/decline$`));
        assert.ok(await page.isVisible('#reason-error'), 'the message is next to the reason, in an open box');
        assert.equal(await page.getAttribute('#f-reason', 'aria-describedby'), 'reason-error');
        assert.equal(await page.locator('text=Go to the home page').count(), 0);
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused decline');
        await screenshot(page, 'forms-staff-decline-error-390');
        // coverage: the note too long; the ticks and the choice typed come back
        await page.check('#f-iv');
        await page.selectOption('#f-network_status', 'out_of_network');
        await page.evaluate(() => { const t = document.querySelector('#f-coverage_notes'); t.removeAttribute('maxlength'); t.value = 'n'.repeat(2001); });
        await page.click('button:has-text("Save coverage")');
        assert.ok(await page.isVisible('#coverage_notes-error'));
        assert.equal(await page.getAttribute('#f-coverage_notes', 'aria-describedby'), 'coverage_notes-error');
        assert.ok(await page.isChecked('#f-iv'), 'the tick typed is kept');
        assert.equal(await page.inputValue('#f-network_status'), 'out_of_network');
        assert.equal((await page.inputValue('#f-coverage_notes')).length, 2001);
        const state = sql(srv.dsn, `SELECT status, (SELECT count(*) FROM coverage_checks WHERE request_id = ${reqId})
          FROM requests WHERE id = ${reqId}`).trim();
        assert.match(state, /^triage\|0$/, 'nothing changed');
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
