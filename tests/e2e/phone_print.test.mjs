// Phone and paper (issue 15 item 6). At 390 px every page of the patient, the staff request page
// and the center's lists keep every link, button and field inside the viewport (tables become
// cards) and no page scrolls sideways; axe-core finds nothing serious at 390 and 1280 px. The
// admin gives the center's name and address; the printed report (reviewer's and patient's), the
// letter and the authorization, printed to PDF by Chromium, carry the patient's name, date of
// birth, the reference, the center's name and address, and "Page X of Y".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, BIN, ROOT, createUser, startServer, screenshot, sql, totp, axeViolations } from './lib.mjs';

const PHONE = { width: 390, height: 844 };
const DESK = { width: 1280, height: 900 };

async function logIn(browser, srv, user) {
  const ctx = await browser.newContext({ viewport: DESK, acceptDownloads: true });
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

// Every visible a, button, input, select, textarea inside the viewport horizontally, and no sideways
// scroll of the page. The skip link waits off-screen until it has the focus: checked focused.
async function reachable(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('a, button, input, select, textarea')) {
      if (el.type === 'hidden' || el.closest('[hidden]')) continue;
      if (el.classList.contains('skip')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (closed <details>, display: none)
      if (r.left < -1 || r.right > vw + 1) out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 40)}" at ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    const skip = document.querySelector('a.skip');
    if (skip) {
      skip.focus();
      const r = skip.getBoundingClientRect();
      if (r.left < -1 || r.right > vw + 1) out.push('skip link when focused');
      skip.blur();
    }
    const sw = document.documentElement.scrollWidth;
    if (sw > vw) {
      // name the widest elements that stick out, to say what to fix
      const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > vw + 1)
        .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > vw + 1)).slice(0, 3)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`);
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n && wide.length < 6; n = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        const rr = range.getBoundingClientRect();
        if (rr.right > vw + 1) wide.push(`text "${n.textContent.trim().slice(0, 50)}" in ${n.parentElement.tagName.toLowerCase()}.${n.parentElement.className}`);
      }
      out.push(`the page scrolls sideways: ${sw} > ${vw} (${wide.join(', ')})`);
    }
    return out;
  });
}

// Visits url at phone and desktop width: nothing out of reach at 390 px, axe clean at both.
async function check(page, url, name) {
  await page.setViewportSize(PHONE);
  const res = await page.goto(url);
  assert.ok(res && res.status() < 400, `${url} answers ${res && res.status()}`);
  assert.deepEqual(await reachable(page), [], `${name} at 390 px`);
  assert.deepEqual(await axeViolations(page), [], `axe on ${name} at 390 px`);
  await screenshot(page, `phone-${name}`);
  await page.setViewportSize(DESK);
  assert.deepEqual(await axeViolations(page), [], `axe on ${name} at 1280 px`);
}

// Chromium's print to PDF of the page (kept beside the screenshots), as text (poppler's pdftotext).
async function pdfText(page, url, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.goto(url);
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: file, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

function studies() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-phone-'));
  execFileSync('sh', [path.join(ROOT, 'tests', 'data', 'make-studies.sh'), dir], { stdio: 'ignore' });
  return dir;
}

export const tests = [
  {
    name: 'every action reachable at 390 px, and the printed report, letter and authorization carry the header and page numbers',
    fn: async ({ browser }) => {
      const srv = await startServer('phone_print');
      const open = [];
      let dir = null;
      try {
        const patient = createUser(srv, 'patient', 'pp-patient@example.test', 'María José Rivera', 'correct horse battery staple pp');
        sql(srv.dsn, `UPDATE users SET date_of_birth = '1961-03-02' WHERE id = ${patient.id}`);
        const staff = createUser(srv, 'staff', 'pp-staff@example.test', 'Sam Staff', 'correct horse battery staple ps');
        const reviewer = createUser(srv, 'reviewer', 'pp-rev@example.test', 'Rita Reader', 'correct horse battery staple pr');
        const admin = createUser(srv, 'admin', 'pp-admin@example.test', 'Ada Admin', 'correct horse battery staple pa');
        const spec = sql(srv.dsn, `INSERT INTO specialists (external_id, full_name, credentials, institution, city, state,
          remote_review, offers_reread, fee_reread_cents, turnaround_days, reviewer_user_id) VALUES ('pp-rita',
          'Dr Rita Reader', 'MD', 'General Hospital', 'Boston', 'MA', true, true, 30000, 7, ${reviewer.id}) RETURNING id`).split('\n')[0];
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, submitted_at,
          exam_types, review_type, review_mode, exam_facility, reason, specialist_id, assigned_specialist_id,
          assigned_reviewer_id, payment, exam_saved_at, verified_birads, verified_recommendation, verified_biopsy,
          verified_by, verified_at)
          VALUES ('SO-2026-66001', ${patient.id}, 'in_review', '2', false, now() - interval '3 days',
          '{screening_mammogram}', 'reread', 'remote', 'Valley Imaging', 'A second look', ${spec}, ${spec},
          ${reviewer.id}, 'self_pay', now(), '2', 'routine_screening', 'none', ${staff.id}, now()) RETURNING id`).split('\n')[0];

        // 0. the pages of someone not signed in
        const anon = await browser.newContext({ viewport: DESK }); open.push(anon);
        const ap = await anon.newPage();
        for (const [url, name] of [['/', 'landing'], ['/login', 'login'], ['/signup', 'signup'],
          ['/forgot-password', 'forgot-password'], ['/specialists', 'public-specialists']])
          await check(ap, srv.url + url, `public-${name}`);

        // 1. the admin gives the center's name and address
        const ad = await logIn(browser, srv, admin); open.push(ad.ctx);
        await ad.page.goto(srv.url + '/admin/center');
        await ad.page.fill('#f-center_name', 'Riverside Breast Center');
        await ad.page.fill('#f-center_address', '12 Elm Street\nSpringfield, MA 01101');
        await ad.page.click('form[action="/admin/center/identity"] button[type=submit]');
        await ad.page.waitForSelector('text=The center\'s name and address are saved');
        for (const [url, name] of [['/admin', 'admin'], ['/admin/center', 'admin-center'], ['/admin/accounts', 'admin-accounts'],
          [`/admin/accounts/${patient.id}`, 'admin-account'], ['/admin/accounts/invite', 'admin-invite'],
          ['/admin/audit', 'admin-audit'], ['/admin/specialists', 'admin-specialists'],
          ['/admin/specialists/new', 'admin-specialist-new'], [`/admin/specialists/${spec}`, 'admin-specialist'],
          ['/admin/specialists/import', 'admin-specialists-import']])
          await check(ad.page, srv.url + url, name);

        // 2. the reviewer signs, staff release
        const rv = await logIn(browser, srv, reviewer); open.push(rv.ctx);
        await rv.page.goto(srv.url + `/reviewer/cases/${rid}`);
        // findings long enough for the printed report to run over more than one page
        const longFindings = Array.from({ length: 70 }, (_, i) => `${i + 1}. Scattered fibroglandular tissue, no mass, no calcification.`).join('\n');
        await rv.page.fill('#f-findings_left', longFindings);
        await rv.page.fill('#f-findings_right', 'No finding.');
        await rv.page.selectOption('#f-density', 'B');
        await rv.page.fill('#f-summary', 'Your images look normal. Keep your yearly screening.');
        await rv.page.selectOption('#f-birads', '2');
        await rv.page.selectOption('#f-recommendation', 'routine_screening');
        await rv.page.fill('#f-credential', reviewer.password);
        await rv.page.click('button[value=sign]');
        await rv.page.waitForSelector('text=The report is signed');
        const st = await logIn(browser, srv, staff); open.push(st.ctx);
        await st.page.goto(srv.url + `/staff/requests/${rid}`);
        await st.page.click('button:has-text("Release the report")');
        await st.page.waitForSelector('text=The report is released');

        // 3. paper: the reviewer's printable report and the patient's report, letter and authorization
        dir = studies();
        const pt = await logIn(browser, srv, patient); open.push(pt.ctx);
        const printed = [
          [rv.page, `/reviewer/cases/${rid}/report/print`, 'reviewer-report'],
          [pt.page, `/requests/${rid}/report`, 'patient-report'],
          [pt.page, `/requests/${rid}/letter`, 'letter'],
          [pt.page, `/requests/${rid}/authorization`, 'authorization'],
        ];
        for (const [page, url, name] of printed) {
          const text = await pdfText(page, srv.url + url, path.join(ARTIFACTS, `print-${name}.pdf`));
          for (const want of ['Riverside Breast Center', '12 Elm Street', 'Springfield, MA 01101', 'María José Rivera',
            '2 March 1961', 'SO-2026-66001'])
            assert.ok(text.includes(want), `${name}: the printed page names ${want}:\n${text.slice(0, 600)}`);
          assert.match(text, /Page 1 of \d+/, `${name}: page numbers`);
          const pages = Number(text.match(/Page 1 of (\d+)/)[1]);
          assert.ok(text.includes(`Page ${pages} of ${pages}`), `${name}: the last page is numbered`);
          if (/report/.test(name)) assert.ok(pages >= 2 && text.includes(`Page 2 of ${pages}`), `${name}: runs over pages, each numbered`);
          // the header repeats at the top of every page (pdftotext ends each page with a form feed)
          const perPage = text.split('\f').filter((p) => p.trim());
          assert.equal(perPage.length, pages, `${name}: ${pages} pages of text`);
          perPage.forEach((p, i) => assert.ok(p.includes('SO-2026-66001') && p.includes('María José Rivera') &&
            p.includes('Riverside Breast Center'), `${name}: page ${i + 1} carries the header:\n${p.slice(0, 300)}`));
          assert.ok(!/Log out|Skip to content/.test(text), `${name}: no navigation on paper`);
        }

        // 4. a draft with images and files: Remove, Download and Delete stay on screen
        await pt.page.goto(srv.url + '/requests/new');
        const csrf = await pt.page.locator('input[name=csrf]').first().getAttribute('value');
        const r = await pt.page.request.post(srv.url + '/requests/new', { form: { csrf }, maxRedirects: 0 });
        const draft = Number((r.headers().location || '').match(/\/requests\/(\d+)\//)[1]);
        const files = ['R_CC', 'L_CC'].map((v) => {
          const f = path.join(dir, `study1-${v}.dcm`);
          fs.copyFileSync(path.join(dir, 'study1', `${v}.dcm`), f);
          return f;
        });
        await pt.page.goto(`${srv.url}/requests/${draft}/records`);
        await pt.page.setInputFiles('#up-files', files);
        await pt.page.getByRole('button', { name: 'Start upload' }).click();
        await pt.page.waitForFunction(() => {
          const d = document.getElementById('up-done');
          return d && !d.hidden && /received/i.test(d.textContent) && !/Loading/.test(d.textContent);
        }, null, { timeout: 60000 });
        await pt.page.setViewportSize(PHONE);
        await pt.page.goto(`${srv.url}/requests/${draft}/records`);
        for (const [role, name] of [['button', /^Remove this series/], ['link', /^Download /], ['button', /^Delete /]]) {
          const el = pt.page.getByRole(role, { name }).first();
          const box = await el.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${name} on screen at 390 px: ${JSON.stringify(box)}`);
        }
        const patientPages = [
          ['/requests', 'requests'], [`/requests/${rid}`, 'status'], [`/requests/${rid}/access`, 'access'],
          [`/requests/${rid}/report`, 'report'], [`/requests/${rid}/letter`, 'letter'],
          [`/requests/${rid}/authorization`, 'authorization'], [`/requests/${draft}/records`, 'records'],
          ...['exam', 'records', 'authorization', 'specialist', 'coverage', 'review'].map((s) => [`/requests/${draft}/steps/${s}`, `step-${s}`]),
          [`/requests/${draft}/images`, 'images'],
          ['/specialists', 'specialists'], [`/specialists/${spec}`, 'specialist'], [`/specialists/compare?id=${spec}`, 'compare'],
          ['/account', 'account'], ['/account/password', 'account-password'], ['/account/notifications', 'account-notifications'],
          ['/account/2fa', 'account-2fa'], ['/account/tokens', 'account-tokens'],
        ];
        for (const [url, name] of patientPages) await check(pt.page, srv.url + url, `patient-${name}`);

        // 5. the center's pages
        for (const [url, name] of [['/staff/queue', 'queue'], [`/staff/requests/${rid}`, 'request']])
          await check(st.page, srv.url + url, `staff-${name}`);
        for (const [url, name] of [['/reviewer/cases', 'cases'], [`/reviewer/cases/${rid}`, 'case']])
          await check(rv.page, srv.url + url, `reviewer-${name}`);
      } finally {
        for (const c of open) await c.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        await srv.stop();
      }
    },
  },
];
