// A patient's first visit: the landing page reads well, works at phone width
// and by keyboard, and has no serious accessibility faults.
import assert from 'node:assert/strict';
import { startServer, screenshot, axeViolations } from './lib.mjs';

export const tests = [
  {
    name: 'landing page at desktop and phone width, keyboard reachable, no serious axe violations',
    fn: async ({ browser }) => {
      const srv = await startServer('landing');
      try {
        for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 375, height: 800 }]]) {
          const ctx = await browser.newContext({ viewport });
          const page = await ctx.newPage();
          const errors = [];
          page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
          const resp = await page.goto(srv.url + '/');
          assert.equal(resp.status(), 200);
          assert.equal(await page.locator('h1').innerText(), 'A second opinion on your mammogram');
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(scrollWidth <= viewport.width, `no horizontal scroll at ${label}: ${scrollWidth}`);
          await page.keyboard.press('Tab');
          assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
          assert.deepEqual(await axeViolations(page), []);
          assert.deepEqual(errors, [], 'no console errors (CSP violations show here)');
          await screenshot(page, `landing-${label}`);
          await ctx.close();
        }
      } finally {
        await srv.stop();
      }
    },
  },
];
