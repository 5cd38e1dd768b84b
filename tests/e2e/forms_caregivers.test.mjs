// The caregiver forms on the form layer in a browser, at 390 px: a patient's
// invitation with the relationship in her own words too long is re-shown with
// the message next to that field, the address and the choice kept, and nothing
// sent; corrected, it goes. A request for someone with a date of birth in the
// future keeps every answer and says so at the date.
import assert from 'node:assert/strict';
import { createUser, startServer, screenshot, sql, axeViolations } from './lib.mjs';

export const tests = [
  {
    name: 'caregiver invitation and a request for someone refused at their fields, answers kept (390 px)',
    fn: async ({ browser }) => {
      const srv = await startServer('forms-caregivers');
      try {
        const who = createUser(srv, 'patient', 'forms-cg@example.test', 'Rosa Caregiven', 'correct horse battery rosa');
        const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
        const page = await ctx.newPage();
        await page.goto(srv.url + '/login');
        await page.fill('input[name=email]', who.email);
        await page.fill('input[name=password]', who.password);
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);

        await page.goto(srv.url + '/account/caregivers');
        await page.fill('#f-email', 'ana.e2e@example.test');
        await page.check('#f-relationship-other');
        await page.fill('#f-relationship_other', 'my neighbour from the third floor who helps me with paperwork');
        await page.click('main button:has-text("Send the invitation")');
        assert.ok(await page.isVisible('#relationship_other-error'), 'the message is next to the field');
        assert.match(await page.textContent('#relationship_other-error'), /at most 60 characters/);
        assert.equal(await page.getAttribute('#f-relationship_other', 'aria-describedby'), 'relationship_other-error');
        assert.equal(await page.inputValue('#f-email'), 'ana.e2e@example.test', 'the address typed is kept');
        assert.ok(await page.isChecked('#f-relationship-other'), 'the choice is kept');
        assert.equal(await page.locator('text=Go to the home page').count(), 0);
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused invitation');
        await screenshot(page, 'forms-caregiver-invite-error-390');
        const links = `SELECT count(*) FROM caregiver_links WHERE patient_id = ${who.id}`;
        assert.equal(sql(srv.dsn, links).trim(), '0', 'nothing saved');
        await page.fill('#f-relationship_other', 'my neighbour');
        await page.click('main button:has-text("Send the invitation")');
        assert.match(page.url(), /done=invited/);
        assert.equal(sql(srv.dsn, links).trim(), '1');

        await page.goto(srv.url + '/requests/for-someone');
        await page.fill('#f-name', 'Lucía Menor');
        await page.fill('#f-dob', '2999-01-01');
        await page.check('#f-relationship-parent');
        await page.check('#f-authority-parent_of_minor');
        await page.click('main button:has-text("Start the request")');
        assert.ok(await page.isVisible('#dob-error'));
        assert.match(await page.textContent('#dob-error'), /not in the future/);
        assert.equal(await page.inputValue('#f-name'), 'Lucía Menor');
        assert.ok(await page.isChecked('#f-relationship-parent'));
        assert.ok(await page.isChecked('#f-authority-parent_of_minor'));
        assert.deepEqual(await axeViolations(page), [], 'axe on the refused request for someone');
        await screenshot(page, 'forms-request-for-someone-error-390');
        await ctx.close();
      } finally {
        await srv.stop();
      }
    },
  },
];
