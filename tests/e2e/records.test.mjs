// The records page in a real browser: a patient uploads a CD folder through
// the directory picker and sees the study summary; uploads a PDF with the
// keyboard only; pauses and resumes; survives a dropped connection and a page
// reload mid-upload (resuming from the server's offset); sees each file
// "being checked" after its last byte and then the real outcome (a refused
// file and one not kept after the request closed say so, with the reason). Checked with axe-core
// and at 375 px width; screenshots of each step in tests/out/screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, screenshot, sql, axeViolations, BIN, ROOT } from './lib.mjs';

let studiesDir = null;
// The synthetic studies (tests/data/make-studies.sh), built once per run.
function studies() {
  if (!studiesDir) {
    studiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-studies-'));
    execFileSync('sh', [path.join(ROOT, 'tests', 'data', 'make-studies.sh'), studiesDir], { stdio: 'ignore' });
  }
  return studiesDir;
}

let userCounter = 0;
// A verified patient "Jane Doe", born 1970-01-01 like the test images say.
function makePatient(srv) {
  const email = `jane.${process.pid}.${++userCounter}@example.test`;
  const password = `warm windowsills and tea ${userCounter}`;
  execFileSync(BIN, ['create-user', '--role', 'patient', '--email', email, '--name', 'Jane Doe', '--password-stdin',
    '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT], { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
  sql(srv.dsn, `UPDATE users SET date_of_birth = '1970-01-01' WHERE email = '${email}'`);
  return { email, password };
}

async function login(page, srv, user) {
  await page.goto(srv.url + '/login');
  await page.getByLabel('E-mail address').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState('load');
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, 'logged in: ' + page.url());
}

// A draft request made the way a patient starts one (the form at
// /requests/new, posted with its CSRF token); returns its id.
async function newRequest(page, srv) {
  await page.goto(srv.url + '/requests/new');
  const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
  const r = await page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
  assert.equal(r.status(), 303, 'POST /requests/new: ' + r.status());
  const m = (r.headers().location || '').match(/\/requests\/(\d+)\/steps\/exam$/);
  assert.ok(m, 'redirect to the first step: ' + r.headers().location);
  return Number(m[1]);
}

async function setup(browser, name, viewport = { width: 1280, height: 900 }, env = {}) {
  const srv = await startServer(name, [], env);
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const user = makePatient(srv);
  await login(page, srv, user);
  const req = await newRequest(page, srv);
  const recordsUrl = `${srv.url}/requests/${req}/records`;
  await page.goto(recordsUrl);
  assert.match(await page.locator('h1').innerText(), /^Records for request /);
  return { srv, ctx, page, errors, req, recordsUrl, close: async () => { await ctx.close(); await srv.stop(); } };
}

const progressValues = (page) => page.$$eval('#up-list progress', (bars) => bars.map((b) => b.value));

async function waitDone(page, timeout = 60000) {
  await page.waitForFunction(() => {
    const d = document.getElementById('up-done');
    return d && !d.hidden && /Received|received/.test(d.textContent) && !/Loading/.test(d.textContent);
  }, null, { timeout });
}

// The page does not scroll sideways; names what sticks out when it does
// (wide tables may scroll inside their own .table-scroll box).
async function noHorizontalScroll(page, width, label) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  const wide = w <= width ? [] : await page.evaluate((max) => Array.from(document.querySelectorAll('body *'))
    .filter((e) => e.getBoundingClientRect().right > max && !e.closest('.table-scroll')).slice(0, 8)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}`), width);
  assert.ok(w <= width, `no horizontal scroll ${label}: ${w} (${wide.join('; ')})`);
}

// Waits until each named file in the uploader's list shows a state matching its pattern.
async function waitStates(page, want, timeout = 30000) {
  const states = () => page.$$eval('#up-list li', (lis) => lis.map((li) => li.textContent).join(' | '));
  await page.waitForFunction((w) => {
    const got = Object.fromEntries(Array.from(document.querySelectorAll('#up-list li')).map((li) =>
      [li.querySelector('.name').textContent, li.querySelector('.state').textContent]));
    return Object.entries(w).every(([n, re]) => got[n] !== undefined && new RegExp(re).test(got[n]));
  }, Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v.source])), { timeout })
    .catch(async (e) => { throw new Error(`${e.message}; the list says: ${await states()}`); });
}

export const tests = [
  {
    name: 'being checked after the last byte, then the real outcome: a refused file and one not kept after the request closed',
    fn: async ({ browser }) => {
      const hold = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-hold-')), 'hold');
      const t = await setup(browser, 'recordscheck', { width: 1280, height: 900 }, { SECONDOP_TEST_JOBS_HOLD_FILE: hold });
      const { page, srv } = t;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-check-'));
      try {
        fs.writeFileSync(path.join(dir, 'notes.bin'), crypto.randomBytes(3000));
        fs.copyFileSync(path.join(studies(), 'report.pdf'), path.join(dir, 'report.pdf'));
        fs.writeFileSync(hold, ''); // the checks wait: "being checked" stays visible
        await page.setInputFiles('#up-files', [path.join(dir, 'notes.bin'), path.join(dir, 'report.pdf')]);
        await page.getByRole('button', { name: 'Start upload' }).click();
        await waitStates(page, { 'notes.bin': /^received, being checked…$/, 'report.pdf': /^received, being checked…$/ });
        assert.equal(await page.locator('#up-done').isHidden(), true, 'not "done" while the files are being checked');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-6-being-checked');
        fs.unlinkSync(hold);
        await waitStates(page, { 'notes.bin': /^not accepted: .*refused: notes\.bin.*Nothing from this file was kept/, 'report.pdf': /^received and checked$/ });
        await waitDone(page);
        assert.match(await page.locator('#up-done').innerText(), /^1 file uploaded; 1 file was not accepted or not kept/);
        assert.match(await page.locator('#records-details').innerText(), /notes\.bin: refused: not a type we accept/);
        await screenshot(page, 'records-7-checked');

        // a file whose check comes after the request closed is not kept, and says why
        fs.copyFileSync(path.join(studies(), 'report.pdf'), path.join(dir, 'late.pdf'));
        fs.writeFileSync(hold, '');
        await page.setInputFiles('#up-files', path.join(dir, 'late.pdf'));
        await page.getByRole('button', { name: 'Start upload' }).click();
        await waitStates(page, { 'late.pdf': /^received, being checked…$/ });
        sql(srv.dsn, `UPDATE requests SET status = 'closed' WHERE id = ${t.req}`);
        fs.unlinkSync(hold);
        await waitStates(page, { 'late.pdf': /^not kept: this request stopped accepting records/ });
        await waitDone(page);
        assert.match(await page.locator('#records-receipt').innerText(), /late\.pdf: not kept: this request stopped accepting records/);
        await page.reload();
        const receipt = await page.locator('#records-receipt').innerText();
        assert.match(receipt, /late\.pdf: not kept: this request stopped accepting records/);
        assert.match(receipt, /1 file not kept/);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM documents WHERE request_id = ${t.req} AND original_name = 'late.pdf'`), '0');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-8-not-kept');
        assert.deepEqual(t.errors, []);
      } finally {
        if (fs.existsSync(hold)) fs.unlinkSync(hold);
        await t.close();
      }
    },
  },
  {
    name: 'CD folder through the directory picker: progress to 100 %, study summary, series with views, axe, 375 px',
    fn: async ({ browser }) => {
      const t = await setup(browser, 'recordscd');
      const { page } = t;
      try {
        assert.match(await page.locator('#receipt').innerText(), /^Received 0 images/);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-1-empty');

        const cd = path.join(studies(), 'cd');
        await page.setInputFiles('#up-folder', cd);
        const names = await page.$$eval('#up-list .name', (els) => els.map((e) => e.textContent));
        assert.equal(names.length, 11, 'every file of the CD is listed: ' + names.join(', '));
        assert.ok(names.includes('cd/DICOM/ST000001/SE000001/IM000001') && names.includes('cd/DICOMDIR'), names.join(', '));
        assert.equal(await page.locator('#up-start').isEnabled(), true);
        await screenshot(page, 'records-2-folder-chosen');

        await page.getByRole('button', { name: 'Start upload' }).click();
        await waitDone(page);
        assert.deepEqual(await progressValues(page), new Array(11).fill(100), 'every file at 100 %');
        assert.deepEqual(await page.$$eval('#up-list .pct', (els) => els.map((e) => e.textContent)), new Array(11).fill('100 %'));
        assert.deepEqual(await page.$$eval('#up-list .state', (els) => els.map((e) => e.textContent)), new Array(11).fill('received and checked'));
        assert.equal(await page.locator('#up-overall-bar').evaluate((b) => b.value), 100);
        assert.match(await page.locator('#up-overall-text').innerText(), /^100 %: /);

        // the receipt, swapped in without a reload, and the same after one
        const summary = 'Received 8 images in 2 series from 2 studies; 3 files skipped: DICOMDIR, viewer program, autorun.';
        assert.equal(await page.locator('#receipt').innerText(), summary);
        assert.match(await page.locator('#up-done').innerText(), /^11 files uploaded\. Received 8 images/);
        const rows = await page.$$eval('#records-details table.list', (tables) => tables.length);
        assert.equal(rows, 2, 'a series table and a files table');
        const series = await page.$$eval('#series-h ~ div table tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent.trim())));
        assert.equal(series.length, 2, JSON.stringify(series));
        for (const s of series) {
          assert.equal(s[1], 'MG');
          assert.equal(s[3], '4', 'four images per series');
          assert.equal(s[4], 'DOE, JANE');
          assert.equal(s[5], '1970-01-01');
          assert.deepEqual(s[6].split(', ').sort(), ['L CC', 'L MLO', 'R CC', 'R MLO'], 'views: ' + s[6]);
        }
        assert.match(await page.locator('#records-details').innerText(), /DICOMDIR: skipped \(DICOMDIR, not needed\)/);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-3-received');

        await page.reload();
        assert.equal(await page.locator('#receipt').innerText(), summary);
        assert.equal(await page.locator('#up-interrupted').isHidden(), true, 'nothing left unfinished');

        // phone width: no sideways scrolling of the page (wide tables scroll in their own box)
        await page.setViewportSize({ width: 375, height: 800 });
        await noHorizontalScroll(page, 375, 'at 375 px');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-4-phone');
        assert.equal(sql(t.srv.dsn, `SELECT count(*) FROM documents WHERE request_id = ${t.req} AND NOT skipped`), '8');
        assert.deepEqual(t.errors, [], 'no console errors (CSP violations show here)');
      } finally {
        await t.close();
      }
    },
  },
  {
    name: 'a PDF report uploaded with the keyboard only, at 375 px',
    fn: async ({ browser }) => {
      const t = await setup(browser, 'recordskbd', { width: 375, height: 800 });
      const { page } = t;
      try {
        const focusOn = async (id, max = 60) => {
          for (let i = 0; i < max; i++) {
            if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return;
            await page.keyboard.press('Tab');
          }
          throw new Error('Tab never reached #' + id);
        };
        await page.locator('h1').click(); // start from the top of the content, as a keyboard user would
        await focusOn('up-kind');
        await page.keyboard.type('Rad');
        assert.equal(await page.locator('#up-kind').inputValue(), 'radiology_report');
        await focusOn('up-files');
        const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
        await chooser.setFiles(path.join(studies(), 'report.pdf'));
        assert.deepEqual(await page.$$eval('#up-list .name', (els) => els.map((e) => e.textContent)), ['report.pdf']);
        await focusOn('up-start');
        await page.keyboard.press('Enter');
        await waitDone(page);
        assert.deepEqual(await progressValues(page), [100]);
        assert.match(await page.locator('#receipt').innerText(), /1 PDF document/);
        const row = await page.$$eval('#docs-h ~ div table tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent.trim())));
        assert.equal(row.length, 1);
        assert.equal(row[0][0], 'report.pdf');
        assert.equal(row[0][1], 'Radiology report');
        assert.equal(row[0][2], 'pdf');
        await noHorizontalScroll(page, 375, 'at 375 px after the upload');
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'records-5-keyboard-pdf');
        assert.deepEqual(t.errors, []);
      } finally {
        await t.close();
      }
    },
  },
  {
    name: 'pause and resume, a dropped connection retried, a reload mid-upload resumes from the server offset',
    fn: async ({ browser }) => {
      const t = await setup(browser, 'recordsresume');
      const { page, srv } = t;
      const MiB = 1024 * 1024;
      // a 40 MiB PDF (a PDF header, then noise): big enough for five 8 MiB PATCHes
      const big = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-big-')), 'big-scan.pdf');
      const head = Buffer.from('%PDF-1.4\n'), tail = Buffer.from('\n%%EOF\n');
      const body = Buffer.concat([head, crypto.randomBytes(40 * MiB - head.length - tail.length), tail]);
      fs.writeFileSync(big, body);
      const sha = crypto.createHash('sha256').update(body).digest('hex');
      try {
        // the network: every PATCH is held back 400 ms (a slow line); one is cut off (a flaky one)
        const log = [];
        let patches = 0, cut = -1, continued = 0;
        // the server writes a PATCH's access line once it has finished with it (a cut one too:
        // what arrived is committed first), so "every PATCH we let through is logged" is the
        // condition for reading the server's offset
        const patchLines = () => (srv.log().match(/method=PATCH/g) || []).length;
        const until = async (cond, what) => {
          const end = Date.now() + 60000;
          while (!cond()) {
            if (Date.now() > end) throw new Error('timed out waiting for ' + what);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await page.route('**/api/v1/uploads**', async (route) => {
          const rq = route.request();
          log.push(`${rq.method()} ${rq.headers()['upload-offset'] || ''}`);
          if (rq.method() !== 'PATCH') return route.continue();
          patches++;
          if (patches === cut) return route.abort('connectionreset');
          await new Promise((r) => setTimeout(r, 400));
          continued++;
          try { await route.continue(); } catch (e) { continued--; /* the page went away meanwhile */ }
        });
        const serverOffset = () => Number(sql(srv.dsn, `SELECT coalesce(max("offset"), -1) FROM uploads WHERE request_id = ${t.req}`));
        const ok204 = [];
        page.on('response', (r) => { if (r.request().method() === 'PATCH' && r.status() === 204) ok204.push(Number(r.headers()['upload-offset'])); });

        await page.setInputFiles('#up-files', big);
        await page.getByRole('button', { name: 'Start upload' }).click();
        await page.waitForFunction(() => Number(document.querySelector('#up-list progress').value) >= 20, null, { timeout: 30000 });
        // pause: the running PATCH is cut, the server keeps what arrived, nothing more is sent
        await page.getByRole('button', { name: 'Pause' }).click();
        assert.equal(await page.locator('#up-list .state').innerText(), 'paused');
        assert.equal(await page.locator('#up-resume').isEnabled(), true);
        assert.equal(await page.locator('#up-pause').isEnabled(), false);
        await until(() => patchLines() >= continued, 'the server to finish the cut PATCH');
        const pausedAt = serverOffset();
        const sentWhilePaused = log.length;
        await page.waitForTimeout(800);
        assert.equal(serverOffset(), pausedAt, 'nothing arrives while paused');
        assert.equal(log.length, sentWhilePaused, 'no requests while paused');
        assert.ok(pausedAt >= 8 * MiB && pausedAt < 40 * MiB, 'the server kept the first chunk(s): ' + pausedAt);
        await screenshot(page, 'records-6-paused');

        // resume: HEAD, then on from the server's offset; the next PATCH after that is cut off
        cut = patches + 2;
        await page.getByRole('button', { name: 'Resume' }).click();
        await page.waitForFunction(() => /trying again/.test(document.querySelector('#up-list .state').textContent), null, { timeout: 30000 });
        await screenshot(page, 'records-7-connection-lost');
        const resumeLog = log.slice(sentWhilePaused);
        assert.equal(resumeLog[0], 'HEAD ', 'resume asks the server first: ' + resumeLog.join(' | '));
        assert.equal(resumeLog[1], `PATCH ${pausedAt}`, 'and continues from its offset: ' + resumeLog.join(' | '));
        // the retry goes on by itself (HEAD, then PATCH from the server's offset)
        await page.waitForFunction(() => document.querySelector('#up-list .state').textContent === 'sending', null, { timeout: 30000 });
        await page.waitForFunction((min) => Number(document.querySelector('#up-list progress').value) >= min, 70, { timeout: 30000 });

        // reload mid-upload
        await page.reload();
        // a PATCH in flight when the page went away may never have reached the server, so here
        // the condition is that the server's log and offset have settled (bounded)
        for (let end = Date.now() + 60000, prev = ''; ;) {
          const now = `${patchLines()} ${serverOffset()}`;
          if (now === prev) break;
          if (Date.now() > end) throw new Error('the server never settled after the reload');
          prev = now;
          await new Promise((r) => setTimeout(r, 1000));
        }
        const beforeReload = serverOffset();
        assert.ok(beforeReload >= 24 * MiB && beforeReload < 40 * MiB, 'part of the file is on the server: ' + beforeReload);
        assert.equal(await page.locator('#up-interrupted').isVisible(), true, 'the page says an upload did not finish');
        assert.match(await page.locator('#up-interrupted').innerText(), /One upload from your last visit did not finish/);
        assert.match(await page.locator('#records-details').innerText(), /big-scan\.pdf: [\d.]+ MB of 41\.9 MB received/);
        await screenshot(page, 'records-8-after-reload');
        const mark = log.length;
        await page.setInputFiles('#up-files', big);
        assert.equal(await page.locator('#up-list .state').innerText(), 'waiting (continues where it stopped)');
        await page.getByRole('button', { name: 'Start upload' }).click();
        await waitDone(page, 60000);
        const after = log.slice(mark);
        assert.equal(after[0], 'HEAD ', 'no new upload after the reload: ' + after.join(' | '));
        assert.equal(after[1], `PATCH ${beforeReload}`, 'the first PATCH starts at the server offset: ' + after.join(' | '));
        assert.ok(!after.some((l) => l.startsWith('POST')), 'no second upload created');
        assert.equal(ok204[ok204.length - 1], 40 * MiB);
        assert.deepEqual(await progressValues(page), [100]);
        assert.equal(await page.locator('#up-overall-bar').evaluate((b) => b.value), 100);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM uploads WHERE request_id = ${t.req}`), '1', 'one upload, resumed');

        // the file as received decrypts to exactly what was sent
        const doc = sql(srv.dsn, `SELECT id || ' ' || size || ' ' || sniffed_type FROM documents WHERE request_id = ${t.req} AND original_name = 'big-scan.pdf'`);
        const [docId, size, type] = doc.split(' ');
        assert.equal(Number(size), 40 * MiB);
        assert.equal(type, 'pdf');
        await page.unroute('**/api/v1/uploads**');
        const dl = await page.request.get(`${srv.url}/requests/${t.req}/documents/${docId}/download`);
        assert.equal(dl.status(), 200);
        assert.equal(crypto.createHash('sha256').update(await dl.body()).digest('hex'), sha);
        await screenshot(page, 'records-9-resumed-done');
        assert.deepEqual(await axeViolations(page), []);
        const unexpected = t.errors.filter((e) => !/net::ERR_CONNECTION_RESET|net::ERR_FAILED|Failed to load resource/.test(e));
        assert.deepEqual(unexpected, []);
      } finally {
        fs.rmSync(path.dirname(big), { recursive: true, force: true });
        await t.close();
      }
    },
  },
];
