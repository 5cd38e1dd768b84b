// "Connect an imaging program" (issue 14 item 2): a patient makes a key for her viewer on her
// account page (a missing name is shown next to the field and nothing is made), sees the key
// exactly once, a program reads her studies with it, the page never shows it again, and removing
// it stops the program at once. Works at phone width too.
import assert from 'node:assert/strict';
import { createUser, startServer, screenshot, sql, axeViolations } from './lib.mjs';

const TOKEN = /^sop_[A-Za-z0-9_-]{43}$/;

export const tests = [
  {
    name: 'a patient makes a key for her imaging program, sees it once, and removes it',
    fn: async ({ browser }) => {
      const srv = await startServer('dicomweb_tokens');
      try {
        const p = createUser(srv, 'patient', 'tokens@example.test', 'Jane Keys', 'correct horse battery staple k1');
        const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
        const page = await ctx.newPage();
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(p.email);
        await page.getByLabel('Password').fill(p.password);
        await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.getByRole('button', { name: 'Log in' }).click()]);

        await page.goto(srv.url + '/account');
        await Promise.all([page.waitForURL(/\/account\/tokens$/),
          page.getByRole('link', { name: 'Connect an imaging program' }).click()]);
        assert.equal(await page.locator('h1').innerText(), 'Connect an imaging program');
        assert.match(await page.locator('main').innerText(), /You have no keys/);
        assert.equal(await page.getByLabel('Works for how many days').inputValue(), '30');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'tokens-1-empty');

        // no name: the error is next to the field, nothing is made
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Make the key' }).click()]);
        await page.waitForSelector('#label-error');
        assert.match(await page.locator('#label-error').innerText(), /Give the program a name/);
        assert.equal(await page.getByLabel('Name of the program').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.locator('#new-token-value').count(), 0);
        assert.equal(sql(srv.dsn, 'SELECT count(*) FROM access_tokens'), '0');
        await screenshot(page, 'tokens-2-name-missing');

        await page.getByLabel('Name of the program').fill('Weasis at home');
        await page.getByLabel('Works for how many days').fill('14');
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Make the key' }).click()]);
        await page.waitForSelector('#new-token-value');
        const token = await page.locator('#new-token-value').inputValue();
        assert.match(token, TOKEN);
        assert.match(await page.locator('#new-token').innerText(), /Copy it now/);
        assert.match(await page.locator('#new-token').innerText(), /\/dicom-web/);
        assert.match(await page.locator('ul.tokens').innerText(), /Weasis at home[\s\S]*never[\s\S]*read only/);
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= 390, `no horizontal scroll at 390 px (${w})`);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'tokens-3-shown-once');

        // a program reads with it
        const read = (t) => fetch(srv.url + '/dicom-web/studies', {
          headers: { Authorization: 'Bearer ' + t, Accept: 'application/dicom+json' } });
        assert.equal((await read(token)).status, 200);

        // the page never shows it again, and now says when it was last used
        await page.goto(srv.url + '/account/tokens');
        assert.equal(await page.locator('#new-token-value').count(), 0);
        assert.ok(!(await page.content()).includes(token.slice(4)), 'the key is not on the page again');
        assert.doesNotMatch(await page.locator('ul.tokens').innerText(), /never/);

        // the account page lists it as well (never the key itself), with its remove button
        await page.goto(srv.url + '/account');
        assert.match(await page.locator('ul.tokens').innerText(), /Weasis at home[\s\S]*Works until/);
        assert.ok(!(await page.content()).includes(token.slice(4)), 'the key is not on the account page');
        assert.equal(await page.getByRole('button', { name: 'Remove the key Weasis at home' }).count(), 1);
        await page.goto(srv.url + '/account/tokens');

        // remove it: the program is refused at once
        await Promise.all([page.waitForURL(/removed=1/), page.getByRole('button', { name: /Remove/ }).click()]);
        assert.match(await page.locator('.flash, [role=status]').first().innerText(), /removed/);
        assert.match(await page.locator('main').innerText(), /You have no keys/);
        await screenshot(page, 'tokens-4-removed');
        const refused = await read(token);
        assert.equal(refused.status, 401);
        assert.match(refused.headers.get('www-authenticate'), /invalid_token/);
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
