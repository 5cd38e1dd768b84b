// Active content at intake in a real browser (issue 10 item 7): a patient
// uploads a PDF that runs JavaScript when opened and a picture that is also a
// web page; the picture is refused with a reason naming both types, the PDF is
// kept with a plain warning, and the staff member reading the request sees
// the same warning next to the file. Screenshots of both pages; axe-core.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

const WARNING = 'this PDF contains active content (JavaScript); open it only in a safe viewer';

async function logIn(browser, srv, user) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/login');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('main button[type=submit]')]);
  if (user.secret) {
    await page.fill('input[name=code]', await totp(user.secret));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('main button[type=submit]')]);
  }
  return { ctx, page };
}

export const tests = [
  {
    name: 'a PDF with JavaScript is kept with a warning for patient and staff; a PNG that is also HTML is refused',
    fn: async ({ browser }) => {
      const srv = await startServer('active_content');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-active-'));
      const js = path.join(dir, 'letter.pdf');
      fs.writeFileSync(js, '%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert\\(1\\))>>>>endobj\n' +
        'trailer<</Root 1 0 R>>\n%%EOF\n');
      const png = path.join(dir, 'picture.png');
      fs.writeFileSync(png, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
        Buffer.from('<html><script>alert(1)</script></html>')]));
      const contexts = [];
      try {
        const patient = createUser(srv, 'patient', 'ac-patient@example.test', 'Jane Active', 'correct horse battery staple ac');
        const staff = createUser(srv, 'staff', 'ac-staff@example.test', 'Sam Staff', 'correct horse battery staple as');
        const p = await logIn(browser, srv, patient);
        contexts.push(p.ctx);
        await p.page.goto(srv.url + '/requests/new');
        const csrf = await p.page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await p.page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        const req = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        await p.page.goto(`${srv.url}/requests/${req}/records`);
        await p.page.setInputFiles('#up-files', [js, png]);
        await p.page.getByRole('button', { name: 'Start upload' }).click();
        await p.page.waitForFunction(() => {
          const d = document.getElementById('up-done');
          return d && !d.hidden && /received/i.test(d.textContent) && !/Checking/.test(d.textContent);
        }, null, { timeout: 60000 });
        await p.page.reload();
        const text = (await p.page.locator('main').innerText()).replace(/\s+/g, ' ');
        assert.ok(text.includes('letter.pdf: ' + WARNING), 'the patient sees the warning: ' + text.slice(0, 2000));
        assert.ok(text.includes('its content is both a PNG picture and a web page (HTML)'), 'refusal explained');
        assert.deepEqual(await axeViolations(p.page), []);
        await screenshot(p.page, 'active-content-1-patient');

        sql(srv.dsn, `UPDATE requests SET status = 'submitted', submitted_at = now() WHERE id = ${req}`);
        const s = await logIn(browser, srv, staff);
        contexts.push(s.ctx);
        await s.page.goto(`${srv.url}/staff/requests/${req}`);
        const staffText = (await s.page.locator('main').innerText()).replace(/\s+/g, ' ');
        assert.ok(staffText.includes('Warning: ' + WARNING), 'staff see the warning next to the file');
        const href = await s.page.getByRole('link', { name: 'letter.pdf' }).first().getAttribute('href');
        const dl = await s.page.request.get(srv.url + href);
        assert.equal(dl.status(), 200);
        assert.equal(dl.headers()['content-type'], 'application/octet-stream');
        assert.match(dl.headers()['content-disposition'], /^attachment/);
        assert.deepEqual(await axeViolations(s.page), []);
        await screenshot(s.page, 'active-content-2-staff');
      } finally {
        for (const c of contexts) await c.close();
        await srv.stop();
      }
    },
  },
];
