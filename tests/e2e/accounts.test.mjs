// A patient signs up, confirms the e-mail through the link in the outbox,
// logs out and logs back in — in a real browser, with the keyboard for the form.
import assert from 'node:assert/strict';
import { startServer, screenshot, sql, axeViolations, outboxMessages } from './lib.mjs';

export const tests = [
  {
    name: 'sign up, verify e-mail from the outbox, log out, log in',
    fn: async ({ browser }) => {
      const srv = await startServer('accounts');
      const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const page = await ctx.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
      try {
        const email = `jane.${Date.now()}@example.org`;
        const password = 'my cat likes warm windowsills';
        await page.goto(srv.url + '/');
        await page.getByRole('link', { name: 'Create an account' }).click();
        assert.equal(await page.locator('h1').innerText(), 'Create an account');
        assert.deepEqual(await axeViolations(page), []);

        // a too-short password is refused next to the field, and what was typed stays
        await page.getByLabel('Your name').fill('Jane Doe');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Date of birth').fill('1970-01-01');
        await page.getByLabel('Password').fill('short one');
        await page.getByRole('button', { name: 'Create my account' }).click();
        assert.match(await page.locator('#password-error').innerText(), /15/);
        assert.equal(await page.getByLabel('E-mail address').inputValue(), email);
        await screenshot(page, 'accounts-1-signup-error');

        await page.getByLabel('Password').fill(password);
        await page.getByLabel('Password').press('Enter');
        await page.waitForSelector('h1:text("Check your e-mail")');
        await screenshot(page, 'accounts-2-check-email');

        // the confirmation link, as the e-mail would carry it
        const mine = outboxMessages(srv).filter((m) => m.to === email);
        const body = mine.length ? mine[mine.length - 1].body : '';
        const link = body.match(/https?:\/\/\S*\/verify-email\?token=[A-Za-z0-9_-]+/);
        assert.ok(link, 'verification link in the outbox: ' + body);
        const path = link[0].replace(/^https?:\/\/[^/]+/, '');
        await page.goto(srv.url + path);
        await page.getByRole('button', { name: 'Confirm my e-mail address' }).click();
        await screenshot(page, 'accounts-3-verified');

        // log in, log out, log in again
        const login = async () => {
          await page.goto(srv.url + '/login');
          await page.getByLabel('E-mail address').fill(email);
          await page.getByLabel('Password').fill(password);
          await page.getByRole('button', { name: 'Log in' }).click();
          await page.waitForLoadState('load');
          assert.doesNotMatch(page.url(), /\/login/, 'left the login page');
          await page.goto(srv.url + '/account');
        };
        await login();
        assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, 'logged in');
        const cookies = await ctx.cookies();
        const sid = cookies.find((c) => /sid$/.test(c.name));
        assert.ok(sid && sid.httpOnly && sid.sameSite === 'Lax', 'session cookie is HttpOnly and SameSite=Lax');
        await page.getByRole('button', { name: 'Log out' }).click();
        await page.waitForLoadState('load');
        assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'logged out');
        await login();
        assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, 'logged in again');
        await page.goto(srv.url + '/account');
        assert.match(await page.locator('main').innerText(), new RegExp(email.replace(/\./g, '\\.')));
        await screenshot(page, 'accounts-4-account');
        const audit = sql(srv.dsn, "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action LIKE 'login%' OR action = 'logout'");
        assert.match(audit, /login\.success.*logout.*login\.success/);
        assert.deepEqual(errors, []);
      } finally {
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
