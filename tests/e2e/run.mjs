// Runs every tests/e2e/*.test.mjs. Each exports `tests`: an array of
// { name, fn(ctx) }. Prints "E2E: N passed, M failed".
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser } from './lib.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const only = process.argv.slice(2);
const files = fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs') && (!only.length || only.some((o) => f.includes(o)))).sort();
let passed = 0, failed = 0;
const browser = await launchBrowser();
for (const f of files) {
  const mod = await import(path.join(here, f));
  for (const t of mod.tests) {
    const started = Date.now();
    try {
      await t.fn({ browser });
      passed++;
      console.log(`ok - ${f}: ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${f}: ${t.name}\n  ${String(e && e.stack || e).split('\n').slice(0, 8).join('\n  ')}`);
    }
  }
}
await browser.close();
console.log(`E2E: ${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);
