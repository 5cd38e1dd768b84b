// The form layer in a browser (issue 15, item 1), at 375 px: a coverage step
// refused for a missing tick keeps the member ID typed and says so next to the
// tick; Revoke without the tick re-shows the authorization page with the
// message at the tick (it used to be a bare "Error 422" page), nothing revoked.
import assert from 'node:assert/strict';
import { createUser, startServer, screenshot, sql, axeViolations } from './lib.mjs';

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
];
