// The account and sign-in forms on the form layer, in a browser at 375 px:
// a sign-up without a name and with a short password stays on the page with
// each message next to its field, what was typed kept and the password not;
// a log in without a password says so at the field; an unknown time zone on
// the account page is refused next to the field, the zone unchanged.
import assert from 'node:assert/strict';
import { createUser, startServer, screenshot, sql, axeViolations } from './lib.mjs';

export const tests = [
  {
    name: 'sign-up, log in and the time zone refuse a field next to it, typed values kept (375 px)',
    fn: async ({ browser }) => {
      const srv = await startServer('account_forms');
      try {
        const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
        const page = await ctx.newPage();

        // sign-up: no name, a short password
        await page.goto(srv.url + '/signup');
        await page.fill('#f-email', 'form-browser@example.test');
        await page.fill('#f-dob', '1970-03-04');
        await page.fill('#f-password', 'short pw');
        await page.getByRole('button', { name: 'Create my account' }).click();
        assert.match(page.url(), /\/signup$/);
        assert.ok(await page.isVisible('#name-error'), 'the name says what is missing');
        assert.equal(await page.getAttribute('#f-name', 'aria-describedby'), 'name-error');
        assert.match(await page.textContent('#password-error'), /at least 15 characters/);
        assert.equal(await page.inputValue('#f-email'), 'form-browser@example.test', 'the address is kept');
        assert.equal(await page.inputValue('#f-dob'), '1970-03-04');
        assert.equal(await page.inputValue('#f-password'), '', 'the password is never sent back');
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused sign-up');
        await screenshot(page, 'account-forms-signup-error-375');
        assert.equal(sql(srv.dsn, "SELECT count(*) FROM users WHERE email = 'form-browser@example.test'").trim(), '0');

        // log in without the password
        const who = createUser(srv, 'patient', 'form-login@example.test', 'Lena Forms', 'correct horse battery forms');
        await page.goto(srv.url + '/login');
        await page.fill('#f-email', who.email);
        await page.getByRole('button', { name: 'Log in' }).click();
        assert.match(page.url(), /\/login$/);
        assert.match(await page.textContent('#password-error'), /Please enter your password/);
        assert.equal(await page.inputValue('#f-email'), who.email);
        await page.fill('#f-password', who.password);
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Log in' }).click()]);

        // an unknown time zone on the account page
        await page.goto(srv.url + '/account');
        const before = sql(srv.dsn, `SELECT time_zone FROM users WHERE email = '${who.email}'`).trim();
        await page.fill('#f-time_zone', 'Atlantis/Capital');
        await page.getByRole('button', { name: 'Save the time zone' }).click();
        assert.match(page.url(), /\/account\/time-zone$/);
        assert.match(await page.textContent('#time_zone-error'), /We do not know this time zone/);
        assert.equal(await page.inputValue('#f-time_zone'), 'Atlantis/Capital');
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused time zone');
        await screenshot(page, 'account-forms-time-zone-error-375');
        assert.equal(sql(srv.dsn, `SELECT time_zone FROM users WHERE email = '${who.email}'`).trim(), before);
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
