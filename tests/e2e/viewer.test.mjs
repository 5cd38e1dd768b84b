// See the images (issue 13 item 2), in a real browser against the real
// server: a patient uploads a generated 4-view study (tests/data/
// make-viewer-study.py: a bright bar at each chest wall and a bright square in
// the upper corner, some files stored flipped with the Patient Orientation
// that says so) through the records page; the assigned reviewer opens the
// case, follows "View the images" and sees RCC|LCC over RMLO|LMLO back to back,
// each oriented so that the chest walls meet in the middle — checked from
// pixel samples of the canvases. Then window/level by keyboard and preset,
// zoom in step, keyboard-only navigation, a measurement in millimetres,
// multi-frame scrolling, axe-core with no violations, and at 390 px one view
// at a time with a view switcher. Screenshots in tests/out/screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp } from './lib.mjs';

const COLS = 240, ROWS = 320; // the generated images

async function logIn(browser, srv, user, viewport = { width: 1280, height: 1000 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page, errors };
}

// Every axe-core violation, whatever its impact.
async function allViolations(page) {
  const src = fs.readFileSync(path.join(ROOT, 'tests', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(src);
  const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Mean grey of a rectangle given in the image's *displayed* pixels (as the
// reader should see it: u across from the viewer's left, v down), mapped onto
// the viewport's canvas with the viewer's fit (zoom 1, no pan): the image is
// anchored at its chest wall, right edge for a right breast, left for a left.
function meanDisplayed(page, label, u0, u1, v0, v1) {
  return page.evaluate(({ label, u0, u1, v0, v1, COLS, ROWS }) => {
    const fig = document.querySelector(`#hanging figure[data-label="${label}"]`);
    const c = fig.querySelector('canvas');
    const W = c.width, H = c.height, fit = Math.min(W / COLS, H / ROWS);
    const dw = COLS * fit, dh = ROWS * fit;
    const side = fig.getAttribute('data-chest-wall');
    const x0 = side === 'right' ? W - dw : side === 'left' ? 0 : (W - dw) / 2, y0 = (H - dh) / 2;
    const x = Math.round(x0 + u0 * fit), y = Math.round(y0 + v0 * fit);
    const w = Math.max(1, Math.round((u1 - u0) * fit)), h = Math.max(1, Math.round((v1 - v0) * fit));
    const d = c.getContext('2d').getImageData(x, y, w, h).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i];
    return sum / (d.length / 4);
  }, { label, u0, u1, v0, v1, COLS, ROWS });
}

// Orientation from pixels: the chest-wall bar on the inner edge, air on the
// outer one, the upper marker at the top.
async function checkOrientation(page, label) {
  const right = label.startsWith('R');
  const inner = right ? [229, 238] : [2, 11];
  const outer = right ? [2, 11] : [229, 238];
  const marker = right ? [185, 215] : [25, 55];
  const bar = await meanDisplayed(page, label, inner[0], inner[1], 100, 220);
  const air = await meanDisplayed(page, label, outer[0], outer[1], 100, 220);
  const top = await meanDisplayed(page, label, marker[0], marker[1], 12, 36);
  const bottom = await meanDisplayed(page, label, marker[0], marker[1], 284, 308);
  assert.ok(bar > 200, `${label}: the chest-wall bar is on the inner edge (mean ${bar})`);
  assert.ok(air < 30, `${label}: air on the outer edge (mean ${air})`);
  assert.ok(top > 190 && bottom < 150, `${label}: the marker is at the top (top ${top}, bottom ${bottom})`);
}

const allFull = (page, n) => page.waitForFunction((n) => {
  const figs = [...document.querySelectorAll('#hanging figure.viewport')];
  return figs.length === n && figs.every((f) => f.getAttribute('data-state') === 'full');
}, n, { timeout: 60000 });

export const tests = [
  {
    name: 'reviewer sees the four views back to back, oriented from the headers; window, zoom, keys, measure, frames, axe, 390 px',
    async fn({ browser }) {
      const srv = await startServer('viewer');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-viewer-'));
      let pt = null, rv = null, phone = null;
      try {
        execFileSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'data', 'make-viewer-study.py'), dir]);
        const patient = createUser(srv, 'patient', 'vw-pat@example.test', 'Jane Doe', 'correct horse battery staple vp');
        sql(srv.dsn, `UPDATE users SET date_of_birth = '1970-01-01' WHERE id = ${patient.id}`);
        const reviewer = createUser(srv, 'reviewer', 'vw-rev@example.test', 'Rita Reader', 'correct horse battery staple vr');
        const other = createUser(srv, 'reviewer', 'vw-oth@example.test', 'Otto Other', 'correct horse battery staple vo');

        // 1. the patient uploads the study through the records page
        pt = await logIn(browser, srv, patient);
        await pt.page.goto(srv.url + '/requests/new');
        const csrf = await pt.page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await pt.page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        assert.equal(r.status(), 303);
        const rid = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        await pt.page.goto(`${srv.url}/requests/${rid}/records`);
        const files = ['R_CC.dcm', 'L_CC.dcm', 'R_MLO.dcm', 'L_MLO.dcm', 'PRIOR_R_CC.dcm', 'TOMO_R_CC.dcm', 'R_ML_JPEG12.dcm'].map((f) => path.join(dir, f));
        await pt.page.setInputFiles('#up-files', files);
        await pt.page.getByRole('button', { name: 'Start upload' }).click();
        await pt.page.waitForFunction(() => {
          const d = document.getElementById('up-done');
          return d && !d.hidden && /received/i.test(d.textContent) && !/Loading/.test(d.textContent);
        }, null, { timeout: 60000 });
        await pt.page.goto(`${srv.url}/requests/${rid}/records`);
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM documents WHERE request_id = ${rid} AND kind = 'images' AND NOT skipped`), '7',
          'all seven images kept');
        // the patient reaches her viewer from the records page
        await pt.page.getByRole('link', { name: 'View the images' }).click();
        await pt.page.waitForURL(`${srv.url}/requests/${rid}/images`);
        await allFull(pt.page, 4);

        // 2. the case is assigned to the reviewer, who opens it
        sql(srv.dsn, `UPDATE requests SET status = 'in_review', assigned_reviewer_id = ${reviewer.id} WHERE id = ${rid}`);
        rv = await logIn(browser, srv, reviewer);
        const page = rv.page;
        await page.goto(`${srv.url}/reviewer/cases/${rid}`);
        await page.getByRole('link', { name: 'View the images' }).click();
        await page.waitForURL(`${srv.url}/reviewer/cases/${rid}/images`);
        await page.getByText('For review only: diagnostic reading of mammograms needs an FDA-cleared display.').waitFor();
        await allFull(page, 4);
        // each canvas says what it shows (bench/viewer.mjs times these)
        assert.deepEqual(await page.$$eval('#hanging figure.viewport', (fs) => fs.map((f) => f.getAttribute('data-drawn'))),
          ['full', 'full', 'full', 'full']);

        // the study browser: current and prior, labelled, with thumbnails
        const studies = await page.$$eval('#study-list > li', (lis) => lis.map((li) => li.querySelector('h3').textContent));
        assert.equal(studies.length, 2, 'two studies: ' + studies);
        assert.match(studies[0], /^Current 2026-11-02/);
        // (the 12-bit JPEG's thumbnail says it cannot be shown)
        assert.match(studies[1], /^Prior 2024-10-15/);
        assert.equal(await page.locator('#study-list button.thumb').count(), 7);
        const rmlThumb = page.locator('#study-list button.thumb').filter({ has: page.locator('.thumb-label', { hasText: /^RML$/ }) });
        assert.equal(await rmlThumb.count(), 1);
        await page.locator('#study-list button.thumb.failed').filter({ hasText: 'Cannot be shown' }).first().waitFor({ timeout: 60000 });
        assert.equal(await page.locator('#study-list button.thumb.failed').count(), 1, 'only the 12-bit JPEG fails');

        // 3. hung back to back: RCC | LCC on top, RMLO | LMLO below, meeting in the middle
        const boxes = {};
        for (const l of ['RCC', 'LCC', 'RMLO', 'LMLO']) boxes[l] = await page.locator(`#hanging figure[data-label="${l}"] .vp-canvas`).boundingBox();
        assert.ok(Math.abs(boxes.RCC.x + boxes.RCC.width - boxes.LCC.x) <= 1, 'RCC and LCC meet in the middle');
        assert.ok(Math.abs(boxes.RMLO.x + boxes.RMLO.width - boxes.LMLO.x) <= 1, 'RMLO and LMLO meet in the middle');
        assert.ok(boxes.RCC.y < boxes.RMLO.y && Math.abs(boxes.RCC.x - boxes.RMLO.x) <= 1, 'CC above MLO');
        for (const l of ['RCC', 'LCC', 'RMLO', 'LMLO']) await checkOrientation(page, l);
        // RCC was stored nipple-right ("A\L") and LMLO upside down ("A\H"): the viewer undid both
        assert.equal(await page.getAttribute('#hanging figure[data-label="RCC"]', 'data-flip-h'), '1');
        assert.equal(await page.getAttribute('#hanging figure[data-label="LMLO"]', 'data-flip-v'), '1');
        assert.equal(await page.getAttribute('#hanging figure[data-label="LCC"]', 'data-flip-h'), '0');
        await screenshot(page, 'viewer-1-hanging');

        // 4. keyboard only: Tab reaches the views, one stop each, in reading order
        await page.locator('h1').click();
        let order = [];
        for (let i = 0; i < 80 && order.length < 4; i++) {
          await page.keyboard.press('Tab');
          const lab = await page.evaluate(() => document.activeElement.classList.contains('vp-canvas')
            ? document.activeElement.closest('figure').getAttribute('data-label') : null);
          if (lab) order.push(lab);
        }
        assert.deepEqual(order, ['RCC', 'LCC', 'RMLO', 'LMLO']);
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Shift+Tab');
        assert.equal(await page.evaluate(() => document.activeElement.closest('figure').getAttribute('data-label')), 'RCC');

        // pan in step, mirrored: the right breast moves left, the left breast right, the pair stays symmetric
        const barAt = (label) => page.evaluate(async (label) => {
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); // drawn on the next frame
          const c = document.querySelector(`#hanging figure[data-label="${label}"] canvas`);
          const d = c.getContext('2d').getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
          const xs = [];
          for (let x = 0; x < c.width; x++) if (d[x * 4] > 200) xs.push(x);
          return [xs[0], xs[xs.length - 1], c.width];
        }, label);
        const [, rEnd0, rw] = await barAt('RCC');
        const [lStart0] = await barAt('LCC');
        assert.equal(rEnd0, rw - 1, 'the RCC bar touches the middle');
        assert.equal(lStart0, 0, 'the LCC bar touches the middle');
        await page.keyboard.press('ArrowLeft');
        const [, rEnd1] = await barAt('RCC');
        const [lStart1] = await barAt('LCC');
        assert.ok(rEnd1 < rEnd0 - 10 && lStart1 > 10 && Math.abs((rw - 1 - rEnd1) - lStart1) <= 1,
          `both moved apart by the same amount (RCC bar ends ${rEnd1}, LCC bar starts ${lStart1})`);
        await page.keyboard.press('r');

        // window/level from the keyboard changes the pixels, a preset too
        const tissue = () => meanDisplayed(page, 'RCC', 120, 160, 140, 180);
        const t0 = await tissue();
        for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowRight');
        await page.waitForTimeout(0);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
        const t1 = await tissue();
        assert.ok(Math.abs(t1 - t0) > 5, `a wider window changes the tissue's grey (${t0} → ${t1})`);
        await page.keyboard.press('v');
        assert.match(await page.$eval('#preset', (s) => s.options[s.selectedIndex].textContent), /FULL|TISSUE/);
        await page.keyboard.press('v');
        assert.match(await page.$eval('#preset', (s) => s.options[s.selectedIndex].textContent), /TISSUE \(level 1200, width 1600\)/);
        const t2 = await tissue();
        assert.ok(Math.abs(t2 - t1) > 5, `the TISSUE preset changes the pixels (${t1} → ${t2})`);
        // window by mouse drag (the default tool): to the right widens the window of that view only
        const lccTissue = () => meanDisplayed(page, 'LCC', 80, 120, 140, 180);
        const rccBefore = await tissue(), l0 = await lccTissue();
        const lb = await page.locator('#hanging figure[data-label="LCC"] .vp-canvas').boundingBox();
        await page.mouse.move(lb.x + lb.width / 2, lb.y + lb.height / 2);
        await page.mouse.down();
        await page.mouse.move(lb.x + lb.width / 2 + 150, lb.y + lb.height / 2, { steps: 10 });
        await page.mouse.up();
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const l1 = await lccTissue();
        assert.ok(Math.abs(l1 - l0) > 5, `dragging changes the LCC's grey (${l0} → ${l1})`);
        assert.equal(await tissue(), rccBefore, 'the RCC keeps its window');
        await page.locator('#hanging figure[data-label="RCC"] .vp-canvas').focus();
        // invert
        const i0 = await meanDisplayed(page, 'LCC', 2, 11, 100, 220);
        await page.keyboard.press('i');
        const i1 = await meanDisplayed(page, 'LCC', 2, 11, 100, 220);
        assert.ok(i0 > 200 && i1 < 55, `invert turns the bright bar dark (${i0} → ${i1})`);
        await page.keyboard.press('i');

        // zoom in step across the hanging
        const zooms = () => page.$$eval('#hanging .vp-bottom', (ts) => ts.map((t) => (t.textContent.match(/Zoom (\d+)%/) || [])[1]));
        const z0 = await zooms();
        await page.keyboard.press('+');
        await page.keyboard.press('+');
        const z1 = await zooms();
        assert.equal(new Set(z1).size, 1, 'one zoom for all four: ' + z1);
        assert.ok(Number(z1[0]) > Number(z0[0]) * 1.5, `zoomed in (${z0[0]} → ${z1[0]})`);
        // true size: one image pixel per screen pixel (the test's device pixel ratio is 1)
        await page.keyboard.press('o');
        assert.deepEqual(await zooms(), ['100', '100', '100', '100'], 'true size 1:1');
        // the magnifier from the keyboard: a ringed loupe in the middle of the view, moved by the arrows
        const ring = (dx) => page.evaluate((dx) => {
          const c = document.querySelector('#hanging figure[data-label="RCC"] canvas');
          const d = c.getContext('2d').getImageData(Math.round(c.width / 2 + dx), Math.round(c.height / 2) - 3, 1, 7).data;
          for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200 && d[i] < 180 && d[i + 1] > 150) return true; // #7fc8ff
          return false;
        }, dx);
        assert.equal(await ring(80), false);
        await page.keyboard.press('g');
        assert.equal(await ring(80), true, 'the loupe is drawn');
        await page.keyboard.press('ArrowRight');
        assert.equal(await ring(100), true, 'the loupe moved right');
        await page.keyboard.press('Escape');
        assert.equal(await ring(100), false, 'Escape hides it');
        await page.keyboard.press('w');
        // overlay text can be hidden
        await page.keyboard.press('t');
        assert.equal(await page.locator('#hanging .vp-overlay:visible').count(), 0);
        await page.keyboard.press('t');
        await page.keyboard.press('r');
        assert.deepEqual(await zooms(), z0, 'reset');
        await screenshot(page, 'viewer-2-keyboard');

        // Enter shows the focused view alone; Escape goes back
        await page.keyboard.press('Enter');
        await allFull(page, 1);
        assert.equal(await page.getAttribute('#hanging figure', 'data-label'), 'RCC');
        // 5. a measurement in millimetres, 200 image pixels at 0.1 mm = 20.0 mm
        await page.keyboard.press('m');
        const box = await page.locator('#hanging figure .vp-canvas').boundingBox();
        const fit = Math.min(box.width / COLS, box.height / ROWS);
        const x0 = box.x + box.width - COLS * fit, y0 = box.y + (box.height - ROWS * fit) / 2;
        await page.mouse.move(x0 + 120 * fit, y0 + 40 * fit);
        await page.mouse.down();
        await page.mouse.move(x0 + 120 * fit, y0 + 140 * fit, { steps: 5 });
        await page.mouse.move(x0 + 120 * fit, y0 + 240 * fit, { steps: 5 });
        await page.mouse.up();
        const said = await page.locator('#measure-result').innerText();
        const mm = Number((said.match(/([\d.]+) mm/) || [])[1]);
        assert.ok(Math.abs(mm - 20) <= 0.2, 'measured ' + said);
        assert.match(said, /from Imager Pixel Spacing/);
        await screenshot(page, 'viewer-3-measure');
        // the same by keyboard alone: Enter sets the first point at the cross in the
        // middle, ten presses of ↓ move it 100 screen pixels, Enter sets the second
        await page.keyboard.press('Enter');
        assert.match(await page.locator('#measure-result').innerText(), /first point set/);
        for (let k = 0; k < 10; k++) await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        const saidKeys = await page.locator('#measure-result').innerText();
        const mmKeys = Number((saidKeys.match(/([\d.]+) mm/) || [])[1]);
        const wantKeys = (100 / fit) * 0.1;
        assert.ok(Math.abs(mmKeys - wantKeys) <= wantKeys * 0.01 + 0.05, `measured by keyboard ${saidKeys}, want ${wantKeys.toFixed(2)} mm`);
        assert.equal(await page.getAttribute('#hanging figure', 'data-measure'), saidKeys.replace(/^RCC: /, ''));
        await page.keyboard.press('w');
        await page.locator('#hanging figure .vp-canvas').focus();
        await page.keyboard.press('Escape');
        await allFull(page, 4);

        // 6. the multi-frame image: keys, wheel and slider, with the frame number
        await page.locator('#study-list button.thumb', { hasText: '3 frames' }).click();
        await allFull(page, 1);
        const squares = () => page.evaluate(() => {
          // count the bright squares along the bottom (frame n has n of them), in displayed pixels
          const c = document.querySelector('#hanging canvas'), W = c.width, H = c.height;
          const fit = Math.min(W / 240, H / 320), x0 = W - 240 * fit, y0 = (H - 320 * fit) / 2;
          const d = c.getContext('2d').getImageData(0, 0, W, H).data;
          let n = 0;
          for (let k = 0; k < 3; k++) {
            const x = Math.round(x0 + (30 + 30 * k) * fit), y = Math.round(y0 + 290 * fit);
            if (d[(y * W + x) * 4] > 200) n++;
          }
          return n;
        });
        assert.equal(await squares(), 1);
        await page.locator('#hanging .vp-canvas').focus();
        await page.keyboard.press('PageDown');
        await page.waitForFunction(() => document.querySelector('#hanging .vp-frame-no').textContent === '2');
        await page.waitForFunction(() => document.querySelector('#hanging figure').getAttribute('data-shown-frame') === '2');
        assert.equal(await squares(), 2, 'frame 2 shows two squares');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.wheel(0, 120);
        await page.waitForFunction(() => document.querySelector('#hanging .vp-frame-no').textContent === '3');
        await page.fill('#hanging input[type=range]', '1');
        await page.waitForFunction(() => document.querySelector('#hanging .vp-frame-no').textContent === '1');
        await screenshot(page, 'viewer-4-frames');

        // a file the server cannot decode: its viewport says why, in the server's words
        await rmlThumb.click();
        await page.waitForFunction(() => document.querySelector('#hanging figure').getAttribute('data-state') === 'error',
          null, { timeout: 60000 });
        const docId = sql(srv.dsn, `SELECT id FROM documents WHERE request_id = ${rid} AND original_name LIKE '%R_ML_JPEG12%'`);
        let why = null;
        for (let i = 0; i < 120 && why === null; i++) {
          const a = await page.request.get(`${srv.url}/api/v1/requests/${rid}/documents/${docId}/frames/0`);
          if (a.status() === 422) why = (await a.json()).error;
          else await page.waitForTimeout(250);
        }
        assert.ok(why, 'the server refuses to decode the 12-bit JPEG with a sentence');
        assert.equal(await page.locator('#hanging .vp-message .vp-why').innerText(), why);
        assert.equal(await page.locator('#hanging .vp-message a').getAttribute('href'), `/requests/${rid}/documents/${docId}/download`);
        await screenshot(page, 'viewer-5-undecodable');

        // current vs prior of the view in focus: the RCC of 2026 beside the RCC of 2024, both oriented
        await page.keyboard.press('1');
        await allFull(page, 4);
        await page.locator('#hanging figure[data-label="RCC"] .vp-canvas').focus();
        await page.keyboard.press('2');
        await allFull(page, 2);
        const pair = await page.$$eval('#hanging figure', (fs) => fs.map((f) => f.getAttribute('data-label') + ' ' + f.querySelector('figcaption').textContent));
        assert.deepEqual(pair, ['RCC RCC', 'RCC RCC — prior 2024-10-15']);
        const edges = await page.$$eval('#hanging canvas', (cs) => cs.map((c) => {
          const d = c.getContext('2d').getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
          return [d[4 * 3], d[4 * (c.width - 4)]]; // far left, far right of the middle row
        }));
        for (const [l, r] of edges) assert.ok(r > 200 && l < 30, 'chest wall on the right in both: ' + edges);
        await screenshot(page, 'viewer-6-compare');

        // one view of both breasts, back to back: the MLO pair, from the RMLO in focus
        await page.keyboard.press('1');
        await allFull(page, 4);
        await page.locator('#hanging figure[data-label="RMLO"] .vp-canvas').focus();
        await page.keyboard.press('4');
        await allFull(page, 2);
        assert.deepEqual(await page.$$eval('#hanging figure', (fs) => fs.map((f) => f.getAttribute('data-label'))), ['RMLO', 'LMLO']);
        const pb = await page.$$eval('#hanging .vp-canvas', (bs) => bs.map((b) => { const r = b.getBoundingClientRect(); return [r.left, r.right]; }));
        assert.ok(Math.abs(pb[0][1] - pb[1][0]) <= 1, 'RMLO and LMLO meet in the middle');
        await checkOrientation(page, 'RMLO');
        await checkOrientation(page, 'LMLO');

        // 7. no accessibility violations, in the hanging
        await page.keyboard.press('1');
        await allFull(page, 4);
        assert.deepEqual(await allViolations(page), []);
        assert.deepEqual(rv.errors, [], 'no script errors');

        // 8. at 390 px: one view at a time, with a view switcher
        phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true,
          storageState: await rv.ctx.storageState() });
        const pp = await phone.newPage();
        await pp.goto(`${srv.url}/reviewer/cases/${rid}/images`);
        await allFull(pp, 1);
        assert.equal(await pp.getAttribute('#hanging figure', 'data-label'), 'RCC');
        const sw = pp.locator('#view-switcher button');
        assert.ok(await sw.count() >= 4, 'a switcher with every view');
        await pp.locator('#view-switcher button', { hasText: /^LCC$/ }).click();
        await allFull(pp, 1);
        assert.equal(await pp.getAttribute('#hanging figure', 'data-label'), 'LCC');
        const vpBox = await pp.locator('#hanging .vp-canvas').boundingBox();
        assert.ok(vpBox.width <= 390 && vpBox.width > 300, 'the view fills the phone width: ' + vpBox.width);
        const scrollW = await pp.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollW <= 390, 'no sideways scrolling at 390 px: ' + scrollW);
        assert.deepEqual(await allViolations(pp), []);
        // touch: two fingers spreading apart zoom in
        const zoomOf = async () => Number((await pp.locator('#hanging .vp-bottom').innerText()).match(/Zoom (\d+)%/)[1]);
        const before = await zoomOf();
        const cdp = await phone.newCDPSession(pp);
        const cx = vpBox.x + vpBox.width / 2, cy = vpBox.y + vpBox.height / 2;
        const fingers = (d) => [{ x: cx - d, y: cy, id: 1 }, { x: cx + d, y: cy, id: 2 }];
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(20) });
        for (let d = 30; d <= 80; d += 10) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(d) });
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
        await pp.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const after = await zoomOf();
        assert.ok(after > before * 2.5, `a pinch zooms in (${before}% → ${after}%)`);
        await screenshot(pp, 'viewer-7-phone');

        // 9. another reviewer gets nothing
        const ov = await logIn(browser, srv, other);
        const res = await ov.page.goto(`${srv.url}/reviewer/cases/${rid}/images`);
        assert.equal(res.status(), 404);
        await ov.ctx.close();
      } catch (e) {
        // what the page showed when it failed, with its status line
        for (const [n, c] of [['patient', pt], ['reviewer', rv]]) {
          if (!c) continue;
          await screenshot(c.page, `viewer-failed-${n}`).catch(() => {});
          const st = await c.page.locator('#viewer-status').innerText().catch(() => '');
          const figs = await c.page.$$eval('#hanging figure', (fs) => fs.map((f) => [...f.attributes].map((a) => a.name + '=' + a.value).join(' '))).catch(() => []);
          console.log(`${n} page: ${c.page.url()} status: ${st} errors: ${c.errors.join(' | ')}\n  ${figs.join('\n  ')}`);
        }
        throw e;
      } finally {
        if (phone) await phone.close();
        if (rv) await rv.ctx.close();
        if (pt) await pt.ctx.close();
        await srv.stop();
      }
    },
  },
];
