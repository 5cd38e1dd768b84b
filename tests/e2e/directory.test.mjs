// Issue 5's journey: a patient with a draft request filters the directory to
// remote-review, NCI-designated specialists in network for their plan,
// compares two side by side, and picks one for the request.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, screenshot, sql, axeViolations, BIN, ROOT } from './lib.mjs';

export const tests = [
  {
    name: 'filter remote + NCI + in network for my plan, compare two, choose one for my draft',
    fn: async ({ browser }) => {
      const srv = await startServer('directory');
      const common = ['--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT];
      execFileSync(BIN, ['import-specialists', path.join(ROOT, 'data', 'demo-specialists.csv'), ...common], { stdio: 'ignore' });
      const email = `dir.${Date.now()}@example.org`;
      const password = 'seven quiet owls in a tree';
      execFileSync(BIN, ['create-user', '--role', 'patient', '--email', email, '--name', 'Jane Doe', '--password-stdin', ...common],
        { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
      const ctx = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const page = await ctx.newPage();
      try {
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForLoadState('load');
        await page.goto(srv.url + '/requests/new');
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForLoadState('load');
        const draft = page.url().match(/\/requests\/(\d+)\//);
        assert.ok(draft, 'a draft was created: ' + page.url());

        await page.goto(srv.url + '/specialists');
        assert.ok(await page.getByLabel('Board-certified breast specialist').isChecked(), 'on by default');
        await page.getByLabel('Remote review').check();
        await page.getByLabel('NCI-designated cancer center').selectOption('any');
        await page.getByLabel('Your insurance network').fill('Aetna');
        await page.getByLabel('Accepts my plan').check();
        await page.getByRole('button', { name: 'Show specialists' }).click();
        await page.waitForLoadState('load');
        const main = await page.locator('main').innerText();
        assert.match(main, /Dr\. Amelia Hartwell/);
        assert.doesNotMatch(main, /Out of network/, 'only in-network specialists are listed');
        const expected = Number(sql(srv.dsn, `SELECT count(*) FROM specialists WHERE active AND remote_review
          AND nci_designated <> 'none' AND breast_fellowship AND board IS NOT NULL AND board <> ''
          AND 'aetna' = ANY (specialists_lower_array(networks))`));
        assert.equal(await page.locator('.compare-box').count(), expected, 'the list matches the database');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'directory-1-filtered');

        const boxes = page.locator('.compare-box');
        await boxes.nth(0).check();
        await boxes.nth(1).check();
        await page.getByRole('button', { name: 'Compare the ticked specialists' }).click();
        await page.waitForLoadState('load');
        assert.match(page.url(), /\/specialists\/compare\?/);
        assert.match(await page.locator('main').innerText(), /In network/);
        await screenshot(page, 'directory-2-compare');

        const choose = page.locator('a', { hasText: /^Choose / }).nth(1);
        const chosenName = (await choose.innerText()).replace(/^Choose /, '');
        await choose.click();
        await page.waitForLoadState('load');
        assert.match(page.url(), new RegExp(`/requests/${draft[1]}/steps/specialist`));
        const radio = page.getByRole('radio', { name: new RegExp(chosenName.replace(/\./g, '\\.')) });
        assert.ok(await radio.isChecked(), `${chosenName} is preselected`);
        await page.getByRole('radio', { name: /Image re-read/ }).check();
        await page.getByRole('radio', { name: /^Remote/ }).check();
        await screenshot(page, 'directory-3-chosen');
        await page.getByRole('button', { name: 'Save and continue' }).click();
        await page.waitForLoadState('load');
        const stored = sql(srv.dsn, `SELECT s.full_name FROM requests r JOIN specialists s ON s.id = r.specialist_id WHERE r.id = ${draft[1]}`);
        assert.equal(stored, chosenName, 'the draft remembers the chosen specialist');
      } finally {
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
