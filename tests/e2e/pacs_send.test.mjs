// "Send to our PACS" in a real browser, with Debian's Orthanc (DICOMweb plugin) as the center's
// PACS on loopback: an admin adds the destination in the center settings (a wrong address first:
// the message shows next to the field), staff press "Send to our PACS" on a request and watch the
// progress reach "Done" without reloading; Orthanc then holds the instances. Checked with axe-core
// and at 375 px width.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

const ORTHANC = '/usr/sbin/Orthanc';
const PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startOrthanc() {
  const dir = fs.mkdtempSync(path.join(process.env.SECONDOP_TEST_TMP || '/tmp', 'sop-e2e-orthanc-'));
  const port = await freePort();
  const cfg = path.join(dir, 'orthanc.json');
  fs.writeFileSync(cfg, JSON.stringify({
    Name: 'secondop-e2e', StorageDirectory: path.join(dir, 'db'), IndexDirectory: path.join(dir, 'db'), HttpPort: port,
    RemoteAccessAllowed: false, AuthenticationEnabled: false, DicomServerEnabled: false, DicomPort: await freePort(),
    Plugins: [PLUGIN], DicomWeb: { Enable: true, Root: '/dicom-web/' },
  }));
  let cmd = [ORTHANC, cfg];
  if (process.getuid() === 0) { // never as root
    execFileSync('chown', ['-R', 'nobody', dir]);
    cmd = ['runuser', '-u', 'nobody', '--', ...cmd];
  }
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    try { if ((await fetch(url + '/system')).ok) break; } catch { /* not yet */ }
    if (proc.exitCode !== null) throw new Error('Orthanc exited');
    if (Date.now() > deadline) throw new Error('Orthanc did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => { proc.kill('SIGTERM'); fs.rmSync(dir, { recursive: true, force: true }); } };
}

async function logIn(browser, srv, user, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
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

export const tests = [
  {
    name: 'an admin adds the PACS, staff send a request and watch it reach done',
    fn: async ({ browser }) => {
      if (!fs.existsSync(ORTHANC) || !fs.existsSync(PLUGIN)) throw new Error('Orthanc with its DICOMweb plugin is needed');
      const srv = await startServer('pacs_send', [], { SECONDOP_PACS_BATCH_INSTANCES: '1', SECONDOP_TEST_PACS_PAUSE_MS: '700' });
      const orthanc = await startOrthanc();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-pacs-'));
      try {
        execFileSync('sh', [path.join(ROOT, 'tests', 'data', 'make-studies.sh'), dir], { stdio: 'ignore' });
        const patient = createUser(srv, 'patient', 'pacs-patient@example.test', 'Jane Pacs', 'correct horse battery staple pp');
        const staff = createUser(srv, 'staff', 'pacs-staff@example.test', 'Sam Sender', 'correct horse battery staple ps');
        const admin = createUser(srv, 'admin', 'pacs-admin@example.test', 'Ada Admin', 'correct horse battery staple pa');
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, submitted_at)
          VALUES ('SO-2026-88001', ${patient.id}, 'triage', now()) RETURNING id`).split('\n')[0];

        // the center's own system stores a study in the request (STOW-RS, staff session)
        const st = await logIn(browser, srv, staff);
        await st.page.goto(`${srv.url}/staff/requests/${rid}`);
        const csrf = await st.page.locator('input[name=csrf]').first().getAttribute('value');
        const parts = ['R_CC', 'L_CC', 'R_MLO'].map((v) => fs.readFileSync(path.join(dir, 'study1', `${v}.dcm`)));
        const body = Buffer.concat([...parts.flatMap((p) => [Buffer.from('--B0und\r\nContent-Type: application/dicom\r\n\r\n'), p,
          Buffer.from('\r\n')]), Buffer.from('--B0und--\r\n')]);
        const stow = await st.page.request.post(`${srv.url}/dicom-web/studies?request=${rid}`, {
          data: body, headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B0und',
            Accept: 'application/dicom+json', 'X-CSRF-Token': csrf } });
        assert.equal(stow.status(), 200, await stow.text());

        // 1. the admin adds the destination: a wrong address first
        const ad = await logIn(browser, srv, admin);
        await ad.page.goto(srv.url + '/admin/center');
        await ad.page.click('a:has-text("Add a PACS destination")');
        await ad.page.getByLabel('Name', { exact: true }).fill('Riverside PACS');
        await ad.page.getByLabel('DICOMweb address').fill('pacs.example');
        await ad.page.getByLabel('No sign-in').check();
        await ad.page.click('main button[type=submit]');
        await ad.page.waitForSelector('#base_url-error');
        assert.match(await ad.page.locator('#base_url-error').innerText(), /starting with https:\/\//);
        assert.equal(await ad.page.getAttribute('#f-base_url', 'aria-invalid'), 'true');
        assert.deepEqual(await axeViolations(ad.page), [], 'axe on the destination form');
        await screenshot(ad.page, 'pacs-1-destination-error');
        await ad.page.getByLabel('DICOMweb address').fill(orthanc.url + '/dicom-web/');
        await Promise.all([ad.page.waitForURL(/\/admin\/center/), ad.page.click('main button[type=submit]')]);
        await ad.page.waitForSelector('text=The PACS destination is saved.');
        assert.ok(await ad.page.locator('td', { hasText: 'Riverside PACS' }).count() >= 1);
        await screenshot(ad.page, 'pacs-2-destinations');

        // 2. staff send the whole request and watch the progress (the page polls; no reload by hand)
        await st.page.goto(`${srv.url}/staff/requests/${rid}`);
        await st.page.selectOption('#f-pacs_destination', { label: 'Riverside PACS' });
        await st.page.selectOption('#f-pacs_study', 'all');
        await Promise.all([st.page.waitForURL(/done=pacs/), st.page.click('button:has-text("Send to our PACS")')]);
        await st.page.waitForSelector('text=The images are queued for the PACS.');
        assert.ok(await st.page.locator('#pacs progress').count() === 1, 'a progress bar');
        await screenshot(st.page, 'pacs-3-sending');
        await st.page.waitForFunction(() => {
          const s = document.querySelector('#pacs .pacs-state');
          return s && /^Done: 3 stored/.test(s.textContent.trim());
        }, null, { timeout: 90000 });
        assert.match(await st.page.locator('#pacs .pacs-count').innerText(), /3 of 3 sent/);
        assert.equal(await st.page.locator('#pacs .pacs-item.pacs-referenced').count(), 3);
        assert.deepEqual(await axeViolations(st.page), [], 'axe on the request page with a send');
        await screenshot(st.page, 'pacs-4-done');
        assert.deepEqual(st.errors, [], 'no console errors');
        // the PACS holds them
        const held = await (await fetch(orthanc.url + '/instances')).json();
        assert.equal(held.length, 3);

        // 3. at phone width the section fits
        // (the same session: a second login would reuse the one-time code)
        await st.page.setViewportSize({ width: 375, height: 800 });
        await st.page.goto(`${srv.url}/staff/requests/${rid}#pacs`);
        const w = await st.page.evaluate(() => document.getElementById('pacs').scrollWidth);
        assert.ok(w <= 375, `the PACS section fits at 375 px (${w})`);
        await screenshot(st.page, 'pacs-5-phone');

        // 4. the patient withdraws her request: a new send is refused, the reason next to the button
        await st.page.setViewportSize({ width: 1280, height: 900 });
        sql(srv.dsn, `UPDATE requests SET status = 'withdrawn' WHERE id = ${rid}`);
        await st.page.goto(`${srv.url}/staff/requests/${rid}`);
        await st.page.selectOption('#f-pacs_destination', { label: 'Riverside PACS' });
        await Promise.all([st.page.waitForURL(/pacs_error=withdrawn/), st.page.click('button:has-text("Send to our PACS")')]);
        assert.match(await st.page.locator('#pacs-send-error').innerText(), /Not sent: the patient withdrew the request/);
        assert.equal(await st.page.getAttribute('#pacs button[type=submit]', 'aria-describedby'), 'pacs-send-error');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM pacs_sends WHERE request_id = ${rid}`).trim(), '1');
        assert.deepEqual(await axeViolations(st.page), [], 'axe on the refused send');
        await screenshot(st.page, 'pacs-6-withdrawn');

        // 5. the admin deletes the destination: the page asks for a tick first
        await ad.page.goto(srv.url + '/admin/center');
        await ad.page.click('a:has-text("Delete Riverside PACS")');
        await ad.page.waitForSelector('#delete-h');
        await ad.page.click('button:has-text("Delete the destination")');
        await ad.page.waitForSelector('#confirm_delete-error');
        assert.match(await ad.page.locator('#confirm_delete-error').innerText(), /Tick the box to confirm/);
        assert.deepEqual(await axeViolations(ad.page), [], 'axe on the delete confirmation');
        await screenshot(ad.page, 'pacs-7-delete-confirm');
        await ad.page.getByLabel('Yes, delete Riverside PACS').check();
        await Promise.all([ad.page.waitForURL(/done=pacs-deleted/), ad.page.click('button:has-text("Delete the destination")')]);
        await ad.page.waitForSelector('text=The PACS destination is deleted.');
        assert.equal(sql(srv.dsn, `SELECT count(*) FROM pacs_destinations`).trim(), '0');
        await st.ctx.close();
        await ad.ctx.close();
      } finally {
        orthanc.stop();
        await srv.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
