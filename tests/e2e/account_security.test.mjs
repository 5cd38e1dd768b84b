// Account security journeys (issue 10): a patient sees where she is logged in
// and signs out her other devices; an admin's change to an account asks her to
// confirm it is her (step-up) and then goes ahead with what she chose.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, createUser, startServer, screenshot, totp, axeViolations } from './lib.mjs';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
  + 'Version/17.5 Mobile/15E148 Safari/604.1';

async function logIn(browser, srv, user, opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 900 }, userAgent: opts.ua });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/login');
  await page.getByLabel('E-mail address').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.getByRole('button', { name: 'Log in' }).click()]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page };
}

export const tests = [
  {
    name: 'a patient sees her sessions and signs out the other devices',
    fn: async ({ browser }) => {
      const srv = await startServer('account_sessions');
      try {
        const p = createUser(srv, 'patient', 'sessions@example.test', 'Jane Sessions', 'correct horse battery staple s1');
        const phone = await logIn(browser, srv, p, { ua: IPHONE, viewport: { width: 375, height: 800 } });
        const laptop = await logIn(browser, srv, p, { ua: FIREFOX });
        const page = phone.page;
        await page.goto(srv.url + '/account');
        const table = page.locator('ul.sessions');
        assert.match(await table.innerText(), /Safari on iPhone\s+this device/);
        assert.match(await table.innerText(), /Firefox on Linux/);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 375, `no horizontal scroll at 375 px (${w})`);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'account-sessions-1-list');
        await Promise.all([page.waitForURL(/\/account/),
          page.getByRole('button', { name: 'Sign out all other sessions' }).click()]);
        assert.match(await page.locator('.flash, [role=status]').first().innerText(), /signed out/);
        assert.doesNotMatch(await page.locator('ul.sessions').innerText(), /Firefox/);
        await screenshot(page, 'account-sessions-2-others-signed-out');
        // the laptop's very next page asks it to log in
        await laptop.page.goto(srv.url + '/account');
        assert.match(laptop.page.url(), /\/login/);
        await phone.ctx.close();
        await laptop.ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
  {
    name: 'an admin confirms it is her before disabling an account, and the change goes ahead',
    fn: async ({ browser }) => {
      const clock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sop-clock-')), 'offset');
      fs.writeFileSync(clock, '0');
      process.env.SECONDOP_TEST_CLOCK_FILE = clock;
      const srv = await startServer('account_stepup');
      delete process.env.SECONDOP_TEST_CLOCK_FILE;
      try {
        const admin = createUser(srv, 'admin', 'stepup-admin@example.test', 'Ada Admin', 'correct horse battery staple a1');
        const staff = createUser(srv, 'staff', 'stepup-staff@example.test', 'Sam Staff', 'correct horse battery staple s2');
        const { ctx, page } = await logIn(browser, srv, admin);
        fs.writeFileSync(clock, '400'); // the login was more than 5 minutes ago
        await page.goto(`${srv.url}/admin/accounts/${staff.id}`);
        await page.getByRole('button', { name: 'Disable this account' }).click();
        assert.equal(await page.locator('h1').innerText(), 'Confirm it is you');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'account-stepup-1-confirm');
        // a wrong password: the error next to the field, nothing changed
        await page.getByLabel(/Your password/).fill('not my password');
        await page.getByRole('button', { name: 'Confirm and continue' }).click();
        assert.match(await page.locator('#stepup_credential-error').innerText(), /not right/);
        await page.getByLabel(/Your password/).fill(admin.password);
        await Promise.all([page.waitForURL(/done=disabled/), page.getByRole('button', { name: 'Confirm and continue' }).click()]);
        assert.match(await page.locator('.flash').innerText(), /The account is disabled/);
        await screenshot(page, 'account-stepup-2-done');
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
