// Time as people live it (issue 15, item 5), in a real browser whose clock is
// in Los Angeles (Playwright's timezoneId): the patient signs up, the account
// takes the browser's zone without her doing anything, her pages show times
// in it with the zone's name, the timeline speaks in sentences, her
// consultation comes as a calendar file, and after she moves her account to
// Madrid the same instants read in Madrid time.
import assert from 'node:assert/strict';
import { startServer, screenshot, sql, axeViolations, outboxMessages, createUser } from './lib.mjs';

export const tests = [
  {
    name: 'signs up with the browser\'s time zone and reads local times with the zone',
    fn: async ({ browser }) => {
      const srv = await startServer('timezones');
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'America/Los_Angeles',
        acceptDownloads: true });
      const page = await ctx.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
      try {
        const email = `tz.${Date.now()}@example.org`;
        const password = 'the pelican sleeps on the pier';
        await page.goto(srv.url + '/signup');
        // the hidden field was filled by our own script from the browser
        assert.equal(await page.locator('input[name=time_zone]').inputValue(), 'America/Los_Angeles');
        await page.getByLabel('Your name').fill('Maria Lopez');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Date of birth').fill('1968-07-14');
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Create my account' }).click();
        await page.waitForSelector('h1:text("Check your e-mail")');
        assert.equal(sql(srv.dsn, `SELECT time_zone FROM users WHERE email = '${email}'`), 'America/Los_Angeles');
        const mail = outboxMessages(srv).filter((m) => m.to === email).pop();
        const link = mail && mail.body.match(/https?:\/\/\S*\/verify-email\?token=[A-Za-z0-9_-]+/);
        assert.ok(link, 'verification link');
        await page.goto(srv.url + link[0].replace(/^https?:\/\/[^/]+/, ''));
        await page.getByRole('button', { name: 'Confirm my e-mail address' }).click();
        await page.goto(srv.url + '/login');
        await page.getByLabel('E-mail address').fill(email);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForLoadState('load');

        // the account page names the zone and the time there now
        await page.goto(srv.url + '/account');
        assert.equal(await page.locator('#tz-current').innerText(), 'America/Los_Angeles');
        assert.match(await page.locator('#tz-now').innerText(), /^\w+ \d{1,2} \w+ \d{4} at \d\d:\d\d P[SD]T$/);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'timezones-1-account');

        // a request the center accepted at a known instant, with a consultation
        const pid = sql(srv.dsn, `SELECT id FROM users WHERE email = '${email}'`);
        const staff = createUser(srv, 'staff', 'tz-staff@example.test', 'Sam Staff', 'correct horse battery staple tzs');
        const rid = sql(srv.dsn, `INSERT INTO requests (reference, patient_id, status, birads, submitted_at, exam_types,
          review_type, review_mode, exam_facility, reason, payment, exam_saved_at) VALUES ('SO-2026-88001', ${pid},
          'scheduled', '2', now() - interval '1 day', '{diagnostic_mammogram}', 'consult', 'in_person',
          'Valley Imaging', 'I want to be sure', 'self_pay', now()) RETURNING id`).split('\n')[0];
        sql(srv.dsn, `INSERT INTO request_events (request_id, from_status, to_status, kind, actor_id, at) VALUES
          (${rid}, 'triage', 'accepted', 'status', ${staff.id}, '2026-12-01 13:05:00+00')`);
        sql(srv.dsn, `INSERT INTO consultations (request_id, starts_at, place, created_by) VALUES
          (${rid}, '2031-05-04 13:30:00+00', 'Building B, room 2', ${staff.id})`);

        await page.goto(srv.url + `/requests/${rid}`);
        const main = await page.locator('main').innerText();
        assert.match(main, /Sam Staff at the breast center accepted your request on Tuesday 1 December 2026 at 05:05 PST\./);
        assert.equal(await page.locator('#consult-when').innerText(), 'Sunday 4 May 2031 at 06:30 PDT');
        assert.doesNotMatch(main, /\bUTC\b/);
        assert.deepEqual(await axeViolations(page), []);
        await screenshot(page, 'timezones-2-request');

        // the calendar file, from the request page
        const [download] = await Promise.all([page.waitForEvent('download'),
          page.getByRole('link', { name: 'Add it to your calendar' }).click()]);
        const chunks = [];
        for await (const c of await download.createReadStream()) chunks.push(c);
        const ics = Buffer.concat(chunks).toString('utf8');
        assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
        assert.match(ics, /\r\nDTSTART:20310504T133000Z\r\n/);
        assert.match(ics, /\r\nLOCATION:Building B\\, room 2\r\n/);

        // she moves to Madrid: the same instants now read in Madrid time
        await page.goto(srv.url + '/account');
        await page.getByLabel('Your time zone', { exact: true }).fill('Europe/Madrid');
        await page.getByRole('button', { name: 'Save the time zone' }).click();
        await page.waitForSelector('#tz-current:text("Europe/Madrid")');
        // the browser still says Los Angeles: the page offers it back in one click
        assert.equal(await page.locator('[data-browser-tz-use]').innerText(), 'America/Los_Angeles');
        await page.goto(srv.url + `/requests/${rid}`);
        assert.match(await page.locator('main').innerText(),
          /accepted your request on Tuesday 1 December 2026 at 14:05 CET\./);
        assert.equal(await page.locator('#consult-when').innerText(), 'Sunday 4 May 2031 at 15:30 CEST');

        // an unknown zone is refused next to the field, the old one kept
        await page.goto(srv.url + '/account');
        await page.getByLabel('Your time zone', { exact: true }).fill('Moon/Tranquility');
        await page.getByRole('button', { name: 'Save the time zone' }).click();
        await page.waitForSelector('#time_zone-error');
        assert.match(await page.locator('#time_zone-error').innerText(), /We do not know this time zone/);
        assert.equal(await page.getByLabel('Your time zone', { exact: true }).inputValue(), 'Moon/Tranquility');
        assert.equal(sql(srv.dsn, `SELECT time_zone FROM users WHERE id = ${pid}`), 'Europe/Madrid');
        await screenshot(page, 'timezones-3-bad-zone');
        assert.deepEqual(errors, []);
      } finally {
        await ctx.close();
        await srv.stop();
      }
    },
  },
];
