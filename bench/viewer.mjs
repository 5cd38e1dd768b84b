// The browser half of bench/viewer.py (run it through that script, which
// makes the studies, the PostgreSQL cluster and Orthanc): opens our viewer and
// Orthanc's web viewer in headless Chromium and prints one JSON line of
// timings. Asserts nothing.
//
//   node bench/viewer.mjs CONFIG.json
// CONFIG: { rounds, storages: [{ tag, files: [path x4], orthanc: [{ label, series }] }], orthanc: URL|null }
// Environment as for tests/e2e (SECONDOP_TEST_PGHOST, SECONDOP_BIN, SECONDOP_SHARE_DIR).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { BIN, ROOT, launchBrowser, sql, startServer, totp } from '../tests/e2e/lib.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const log = (...a) => console.error('[bench/viewer]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function createUser(srv, role, email, name, password) {
  const args = ['create-user', '--role', role, '--email', email, '--name', name, '--password-stdin',
    '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT];
  if (role !== 'patient') args.push('--totp');
  const out = execFileSync(BIN, args, { input: password + '\n', encoding: 'utf8' });
  const secret = out.match(/totp-secret: (\S+)/);
  return { id: Number(out.match(/user-id: (\d+)/)[1]), email, password, secret: secret ? secret[1] : null };
}

async function logIn(browser, srv, user) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

// In our viewer: the wall-clock moments at which all four figures of the hanging
// first showed something (a preview or the full image) and all four the full
// image, from the data-drawn attribute static/js/viewer.js sets after drawing.
function recordOurs() {
  const b = (window.__bench = { preview: 0, full: 0 });
  const check = () => {
    const figs = [...document.querySelectorAll('#hanging figure.viewport')];
    if (figs.length !== 4) return;
    const d = figs.map((f) => f.getAttribute('data-drawn'));
    if (!b.preview && d.every((x) => x)) b.preview = Date.now();
    if (!b.full && d.every((x) => x === 'full')) b.full = Date.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-drawn'] });
}

// In Orthanc's web viewer (cornerstone in #dicomImage): the first animation
// frame at which its canvas shows the image (more than 2 % of a 64 x 64
// downsample brighter than 16 of 255; the generated images are mostly tissue);
// the opening ends there or when its last /web-viewer/instances/ request
// finished, whichever is later. LOSSLESS makes it ask
// for its 'deflate' (lossless, the "H" button) images instead of its default 'jpeg95'.
function recordOrthanc(lossless) {
  const b = (window.__bench = { drawn: 0 });
  if (lossless) Object.defineProperty(window, 'compression', { get: () => 'deflate', set: () => {}, configurable: false });
  const tick = () => {
    const c = document.querySelector('#dicomImage canvas');
    if (c && c.width > 0) {
      const t = document.createElement('canvas');
      t.width = 64; t.height = 64;
      const x = t.getContext('2d');
      x.drawImage(c, 0, 0, 64, 64);
      const d = x.getImageData(0, 0, 64, 64).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 16) n++;
      if (n > 82) b.drawn = Date.now();
    }
    if (!b.drawn) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

// Its image requests, counted from outside the page: the time the last one finished.
function watchOrthancRequests(page) {
  const w = { started: 0, pending: 0, last: 0 };
  const mine = (r) => r.url().includes('/web-viewer/instances/');
  page.on('request', (r) => {
    if (!mine(r)) return;
    w.started++; w.pending++;
    orthancAsked.add(r.url().replace(/.*\/web-viewer\/instances\/([a-z0-9]+)-.*/, '$1')); // which images it asked for
  });
  const done = (r) => { if (mine(r)) { w.pending--; w.last = Date.now(); } };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return w;
}

async function waitFor(page, key, ms = 300000) {
  return page.waitForFunction((k) => window.__bench && window.__bench[k], key, { timeout: ms, polling: 50 })
    .then((h) => h.jsonValue());
}

// Resident set of the server and its children (render/confined helpers), in kB.
function rssTree(pid) {
  const kids = (p) => {
    try {
      return fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch { return []; }
  };
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const m = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (m) total += Number(m[1]);
    } catch { continue; }
    stack.push(...kids(p));
  }
  return total;
}

// One timed opening of our viewer from the reviewer's case page, in a fresh
// context (empty HTTP cache; the logged-in cookie only).
async function openOurs(browser, srv, state, rid) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, storageState: state });
  const page = await ctx.newPage();
  await page.addInitScript(recordOurs);
  await page.goto(`${srv.url}/reviewer/cases/${rid}`);
  const link = page.getByRole('link', { name: 'View the images' });
  const t0 = Date.now();
  await link.click();
  const full = await waitFor(page, 'full');
  const preview = await page.evaluate(() => window.__bench.preview);
  const ok = await page.$$eval('#hanging figure.viewport', (fs) => fs.map((f) => f.getAttribute('data-state')));
  if (process.env.BENCH_VIEWER_SHOTS) await page.screenshot({ path: `${process.env.BENCH_VIEWER_SHOTS}/ours-${rid}.png` });
  await ctx.close();
  if (!ok.every((s) => s === 'full')) throw new Error('our viewer did not show all four: ' + ok);
  return { preview: preview - t0, full: full - t0 };
}

async function openOrthanc(browser, series, lossless) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  await page.addInitScript(recordOrthanc, lossless);
  const w = watchOrthancRequests(page);
  const t0 = Date.now();
  await page.goto(`${cfg.orthanc}/web-viewer/app/viewer.html?series=${series}`);
  const drawn = await waitFor(page, 'drawn');
  for (let i = 0; i < 6000 && !(w.started && !w.pending); i++) await sleep(50);
  if (process.env.BENCH_VIEWER_SHOTS) await page.screenshot({ path: `${process.env.BENCH_VIEWER_SHOTS}/orthanc-${series}-${lossless}.png` });
  await ctx.close();
  return Math.max(drawn, w.last) - t0;
}

const orthancAsked = new Set();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[(s.length - 1) >> 1] : null; };

async function main() {
  const browser = await launchBrowser();
  const srv = await startServer('benchviewer');
  const out = { storages: [], load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
  try {
    const patient = createUser(srv, 'patient', 'bench-pat@example.test', 'Jane Doe', 'correct horse battery staple bp');
    sql(srv.dsn, `UPDATE users SET date_of_birth = '1970-01-01' WHERE id = ${patient.id}`);
    const reviewer = createUser(srv, 'reviewer', 'bench-rev@example.test', 'Rita Reader', 'correct horse battery staple br');
    const ptState = await logIn(browser, srv, patient);
    const rvState = await logIn(browser, srv, reviewer);
    let firstRid = null;
    for (const st of cfg.storages) {
      const res = { tag: st.tag, ours: [], orthanc: [], orthancCold: null, orthancDefault: [] };
      out.storages.push(res);
      // the patient uploads the four files through the records page
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, storageState: ptState });
      const page = await ctx.newPage();
      await page.goto(srv.url + '/requests/new');
      const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
      const r = await page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
      const rid = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
      firstRid = firstRid || rid;
      await page.goto(`${srv.url}/requests/${rid}/records`);
      await page.setInputFiles('#up-files', st.files);
      const u0 = Date.now();
      await page.getByRole('button', { name: 'Start upload' }).click();
      await page.waitForFunction(() => {
        const d = document.getElementById('up-done');
        return d && !d.hidden && /received/i.test(d.textContent) && !/Loading/.test(d.textContent);
      }, null, { timeout: 600000, polling: 50 });
      const u1 = Date.now();
      await ctx.close();
      res.uploadMs = u1 - u0;
      // intake's cost: from the upload's end to four renditions ready (bounded poll)
      let ready = 0;
      const deadline = Date.now() + 900000;
      while (Date.now() < deadline) {
        ready = Number(sql(srv.dsn, `SELECT count(*) FROM renditions n JOIN documents d ON d.id = n.document_id
          WHERE d.request_id = ${rid} AND n.state = 'ready'`));
        const bad = Number(sql(srv.dsn, `SELECT count(*) FROM renditions n JOIN documents d ON d.id = n.document_id
          WHERE d.request_id = ${rid} AND n.state = 'not_decodable'`));
        if (ready === 4 || bad) break;
        await sleep(100);
      }
      if (ready !== 4) throw new Error(`${st.tag}: renditions not ready (${ready} of 4): ` + sql(srv.dsn,
        `SELECT string_agg(n.state || coalesce(' ' || n.why, ''), '; ') FROM renditions n JOIN documents d ON d.id = n.document_id WHERE d.request_id = ${rid}`));
      res.renditionsMs = Date.now() - u1;
      log(st.tag, 'uploaded in', res.uploadMs, 'ms; renditions ready', res.renditionsMs, 'ms later');
      sql(srv.dsn, `UPDATE requests SET status = 'in_review', assigned_reviewer_id = ${reviewer.id} WHERE id = ${rid}`);

      for (let round = 0; round < cfg.rounds; round++) {
        const o = await openOurs(browser, srv, rvState, rid);
        res.ours.push(o);
        log(st.tag, 'round', round + 1, 'ours', JSON.stringify(o));
        if (!cfg.orthanc) continue;
        // Orthanc, lossless images: each series alone, one after the other, then all four at once
        const per = {};
        for (const s of st.orthanc) per[s.label] = await openOrthanc(browser, s.series, true);
        let stopO = false;
        const samplerO = (async () => {
          while (!stopO) { out.orthancPeakKiB = Math.max(out.orthancPeakKiB || 0, rssTree(cfg.orthancPid)); await sleep(10); }
        })();
        const a0 = Date.now();
        await Promise.all(st.orthanc.map((s) => openOrthanc(browser, s.series, true)));
        const together = Date.now() - a0;
        stopO = true;
        await samplerO;
        // and its default (8-bit JPEG quality 95), all four at once
        const d0 = Date.now();
        await Promise.all(st.orthanc.map((s) => openOrthanc(browser, s.series, false)));
        const dflt = Date.now() - d0;
        if (round === 0) res.orthancCold = per; // the first opening fills the web viewer's cache
        res.orthanc.push({ per, sum: Object.values(per).reduce((x, y) => x + y, 0), together });
        res.orthancDefault.push(dflt);
        log(st.tag, 'round', round + 1, 'orthanc', JSON.stringify(per), 'together', together, 'default jpeg95 together', dflt);
      }
    }
    // server RSS while four reviewers open the first study's viewer at once
    const base = rssTree(srv.proc.pid);
    let peak = base, stop = false;
    const sampler = (async () => { while (!stop) { peak = Math.max(peak, rssTree(srv.proc.pid)); await sleep(10); } })();
    const four = await Promise.all([0, 1, 2, 3].map(() => openOurs(browser, srv, rvState, firstRid)));
    stop = true;
    await sampler;
    out.rss = { baseKiB: base, peakKiB: peak, fourFullMs: four.map((f) => f.full),
      hwmKiB: Number(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]) };
    log('rss', JSON.stringify(out.rss));
    out.orthancAsked = [...orthancAsked];
    for (const s of out.storages) {
      s.median = {
        oursPreview: median(s.ours.map((o) => o.preview)), oursFull: median(s.ours.map((o) => o.full)),
        orthancSum: median(s.orthanc.map((o) => o.sum)), orthancTogether: median(s.orthanc.map((o) => o.together)),
        orthancDefault: median(s.orthancDefault),
        orthancPer: s.orthanc.length ? Object.fromEntries(Object.keys(s.orthanc[0].per).map((k) => [k, median(s.orthanc.map((o) => o.per[k]))])) : null,
      };
    }
  } finally {
    await srv.stop();
    await browser.close();
    fs.rmSync(srv.dataDir, { recursive: true, force: true }); // about 300 MB of originals and renditions
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
