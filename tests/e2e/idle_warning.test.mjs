// A patient left alone on a page: two minutes before the 30-minute idle
// logoff a warning says so in plain words and offers "Stay signed in" (reached
// and used by keyboard), which renews the session with a harmless request and
// keeps what was typed; ignored, it signs the person out to the login page.
// The page's clock is moved (Playwright's clock), the server's is not: the
// server-side timeout is proved in tests/integration/test_accounts.py.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, screenshot, sql, axeViolations, BIN, ROOT } from './lib.mjs';

export const tests = [
  {
    name: 'idle warning before the 30-minute logoff: plain words, Stay signed in by keyboard, then sign-out',
    fn: async ({ browser }) => {
      const srv = await startServer('idle');
      const common = ['--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT];
      const email = `idle.${Date.now()}@example.org`;
      const password = 'lighthouse keeper reads at dusk';
      execFileSync(BIN, ['create-user', '--role', 'patient', '--email', email, '--name', 'Jane Doe', '--password-stdin', ...common],
        { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
      const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const page = await ctx.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      try {
        await page.clock.install();
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForLoadState('load');
        await page.goto(srv.url + '/requests/new');
        const idle = Number(await page.locator('body').getAttribute('data-idle-seconds'));
        assert.ok(idle > 1790 && idle <= 1800, `a patient's idle logoff is 30 minutes (page says ${idle} s)`);
        const box = page.locator('#idle-warning');
        assert.equal(await box.isVisible(), false, 'no warning at first');

        // 27 minutes: still nothing; 28 and a bit: the warning, with focus on its button
        await page.clock.fastForward(27 * 60 * 1000);
        assert.equal(await box.isVisible(), false, 'no warning at 27 minutes');
        await page.clock.fastForward(61 * 1000 + 2000);
        await box.waitFor({ state: 'visible' });
        const text = await box.innerText();
        assert.match(text, /we will sign you out in (2 minutes|1 minute 5[0-9] seconds)\./);
        assert.match(text, /Anything you have not saved will be lost/);
        assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'idle-continue',
          'the keyboard lands on "Stay signed in"');
        assert.equal(await page.getByRole('alertdialog', { name: 'Are you still there?' }).count(), 1);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'idle-1-warning');

        // Enter on the focused button: one authenticated ping, the warning goes, the page stays
        const ping = page.waitForResponse((r) => r.url().endsWith('/session/ping'));
        await page.keyboard.press('Enter');
        const resp = await ping;
        assert.equal(resp.status(), 200);
        assert.equal(resp.request().method(), 'POST');
        assert.ok((await resp.json()).idle_seconds > 1790, 'the session was renewed for another 30 minutes');
        await box.waitFor({ state: 'hidden' });
        assert.match(page.url(), /\/requests\/new$/, 'no reload, nothing typed is lost');

        // left alone again: warned after another 28 minutes, signed out at 30
        await page.clock.fastForward(28 * 60 * 1000 + 2000);
        await box.waitFor({ state: 'visible' });
        await page.clock.fastForward(30 * 1000);
        assert.match(await page.locator('#idle-remaining').innerText(), /^1 minute( [0-9]+ seconds?)?$/);
        await page.clock.fastForward(95 * 1000);
        await page.waitForURL(/\/login\?expired=1$/);
        assert.match(await page.locator('main').innerText(), /logged out after a time without activity/);
        await screenshot(page, 'idle-2-signed-out');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = '${email}'`),
          '0', 'the session ended on the server too');
        assert.deepEqual(errors, [], 'no console errors (CSP violations show here)');
      } finally {
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
