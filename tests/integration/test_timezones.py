"""Time as people live it (issue 15, item 5): each account has a time zone;
a patient in America/Los_Angeles and a reviewer in Europe/Madrid see the same
instant, each in their own zone, on their pages and in their e-mail; the
timeline speaks in sentences; one due date everywhere; dates that make no
sense in the past (a consultation) or in the future (the day a letter was
sent) are refused next to the field with 422 and nothing saved; an unknown
zone is refused; the consultation's calendar file is strict RFC 5545 and
refused to another patient, every download audited.

Expected local times are computed with Python's zoneinfo (the system tz
database), independently of the portal's own TZif reader.

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_timezones
"""
import datetime
import re
import zoneinfo

import harness
from accounts_helpers import login, make_user, outbox_messages
from test_triage import add_specialist, new_request, snapshot

LA = "America/Los_Angeles"
MADRID = "Europe/Madrid"
NEW_YORK = "America/New_York"
UTC = datetime.timezone.utc

CLINICAL = ("bi-rads", "birads", "mammogra", "biopsy", "malignan", "cancer", "tumo", "lesion", "finding",
            "diagnos", "pathology", "density")

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def short(instant, zone):
    """The portal's short form: 2026-12-01 14:05 CET."""
    t = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return t.strftime("%Y-%m-%d %H:%M ") + t.tzname()


def long_form(instant, zone):
    """The portal's sentence form: Tuesday 1 December 2026 at 14:05 CET."""
    t = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return "%s %d %s %d at %02d:%02d %s" % (DAYS[t.weekday()], t.day, MONTHS[t.month - 1], t.year, t.hour, t.minute,
                                           t.tzname())


LONG_RE = re.compile(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (\d{1,2}) (%s) (\d{4}) at "
                     r"(\d\d):(\d\d) ([A-Z]{3,5})" % "|".join(MONTHS))


def parse_long(text, zone):
    """The first sentence-form time in text, read back in zone, as a UTC instant (minutes)."""
    m = LONG_RE.search(text)
    assert m, "no time in words in %r" % text[:400]
    local = datetime.datetime(int(m.group(4)), MONTHS.index(m.group(3)) + 1, int(m.group(2)), int(m.group(5)),
                              int(m.group(6)), tzinfo=zoneinfo.ZoneInfo(zone))
    # the abbreviation printed is the one in force then (CET/CEST, PST/PDT)
    assert local.tzname() == m.group(7), "%s printed with %s" % (local, m.group(7))
    return local.astimezone(UTC)


def unfold_ics(raw):
    """A strict reading of RFC 5545 text: CRLF only, no line over 75 octets,
    folding undone; returns [(name, params, value)]."""
    assert isinstance(raw, bytes)
    assert raw.endswith(b"\r\n"), "the calendar does not end with CRLF"
    physical = raw[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line, "a bare LF or CR in %r" % line
        assert len(line) <= 75, "a line of %d octets: %r" % (len(line), line)
    logical = []
    for line in physical:
        if line.startswith(b" ") or line.startswith(b"\t"):
            assert logical, "a continuation line first"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    out = []
    for line in logical:
        text = line.decode("utf-8")
        m = re.match(r"^([A-Z-]+)((?:;[A-Z-]+=[^:;]*)*):(.*)$", text)
        assert m, "not a content line: %r" % text
        out.append((m.group(1), m.group(2), m.group(3)))
    return out


def ics_unescape(v):
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\":
            n = v[i + 1]
            assert n in "\\;,nN", "a bad escape \\%s" % n
            out.append("\n" if n in "nN" else n)
            i += 2
            continue
        assert c not in ";,", "an unescaped %r in a TEXT value %r" % (c, v)
        out.append(c)
        i += 1
    return "".join(out)


class TimeZoneTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Maria Lopez")
        cls.other_patient = make_user(cls.server, "patient", name="Olga Other")
        cls.staff = make_user(cls.server, "staff", name="Sam Staff")
        cls.reviewer = make_user(cls.server, "reviewer", name="Rita Account")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"], "Dr. Lucia Fernandes")
        cls.p, cls.op, cls.s, cls.rv = (cls.server.client() for _ in range(4))
        login(cls.p, cls.patient)
        login(cls.op, cls.other_patient)
        login(cls.s, cls.staff)
        login(cls.rv, cls.reviewer)
        # each sets their zone on the account page, as a person would
        for c, zone in ((cls.p, LA), (cls.rv, MADRID), (cls.s, NEW_YORK)):
            c.get("/account")
            r = c.post("/account/time-zone", {"time_zone": zone})
            assert r.status == 303, r.text[:300]

    def case(self, status="accepted"):
        return new_request(self, self.patient["id"], status, reviewer_id=self.reviewer["id"],
                           specialist_id=self.spec)

    # ---- the account's zone ----

    def test_account_zone_saved_and_unknown_refused(self):
        self.assertEqual(self.sql("SELECT time_zone FROM users WHERE id = %s", self.patient["id"])[0][0], LA)
        self.assertEqual(self.sql("SELECT time_zone FROM users WHERE id = %s", self.reviewer["id"])[0][0], MADRID)
        page = self.p.get("/account")
        self.assertIn('id="tz-current">America/Los_Angeles<', page.text)
        # the clock on the page is the patient's (PST or PDT, whichever is in force now)
        now = datetime.datetime.now(UTC)
        self.assertRegex(page.text, r'id="tz-now">[A-Za-z]+ \d+ [A-Za-z]+ \d{4} at \d\d:\d\d P[SD]T<')
        shown = parse_long(re.search(r'id="tz-now">([^<]*)<', page.text).group(1), LA)
        self.assertLess(abs((shown - now).total_seconds()), 120)
        n_audit = self.sql("SELECT count(*) FROM audit_log WHERE action = 'account.time_zone' AND actor_id = %s",
                           self.patient["id"])[0][0]
        self.assertGreaterEqual(n_audit, 1)
        for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "america/los_angeles", "", "Europe/Madrid\n",
                    "x" * 200):
            r = self.p.post("/account/time-zone", {"time_zone": bad})
            self.assertEqual(r.status, 422, "%r: %s" % (bad, r.text[:200]))
            # the message sits next to the field, and the typed value comes back
            self.assertRegex(r.text, r'(?s)id="f-time_zone"[^>]*aria-invalid="true".*?class="field-error" '
                                     r'id="time_zone-error">We do not know this time zone')
            self.assertEqual(self.sql("SELECT time_zone FROM users WHERE id = %s", self.patient["id"])[0][0], LA)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'account.time_zone' AND actor_id = %s",
                                  self.patient["id"])[0][0], n_audit)

    def test_signup_takes_the_browser_zone(self):
        c = self.server.client()
        c.get("/signup")
        email = "madrid-signup@example.test"
        r = c.post("/signup", {"name": "Ana Garcia", "email": email, "dob": "1970-03-04",
                               "password": "correct horse battery staple madrid", "time_zone": MADRID})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.sql("SELECT time_zone FROM users WHERE email = %s", email)[0][0], MADRID)
        # without script the field is empty: the account starts in UTC
        c = self.server.client()
        c.get("/signup")
        r = c.post("/signup", {"name": "No Script", "email": "noscript@example.test", "dob": "1970-03-04",
                               "password": "correct horse battery staple noscript", "time_zone": ""})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.sql("SELECT time_zone FROM users WHERE email = 'noscript@example.test'")[0][0], "UTC")
        # a zone the tz database does not have: the field appears with its error, no account is made
        c = self.server.client()
        c.get("/signup")
        r = c.post("/signup", {"name": "Bad Zone", "email": "badzone@example.test", "dob": "1970-03-04",
                               "password": "correct horse battery staple badzone", "time_zone": "Atlantis/Capital"})
        self.assertEqual(r.status, 422)
        self.assertRegex(r.text, r'(?s)<input id="f-time_zone" name="time_zone" type="text" value="Atlantis/Capital"'
                                 r'.*?id="time_zone-error">Your browser gave a time zone we do not know')
        self.assertEqual(self.sql("SELECT count(*) FROM users WHERE email = 'badzone@example.test'")[0][0], 0)

    # ---- one instant, two zones ----

    def test_same_instant_on_each_page(self):
        rid, _ = self.case()
        # a message at an instant that is the evening of 1 December in Los Angeles and the early
        # morning of 2 December in Madrid (across midnight)
        self.p.get("/requests/%d" % rid)
        r = self.p.post("/requests/%d/messages" % rid, {"body": "Is my appointment confirmed?"})
        self.assertEqual(r.status, 303)
        at = datetime.datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
        self.sql("UPDATE messages SET created_at = %s WHERE request_id = %s", at, rid)
        # the acceptance, by a named member of staff, at another instant
        accepted = datetime.datetime(2026, 12, 1, 13, 5, tzinfo=UTC)
        self.sql("INSERT INTO request_events (request_id, from_status, to_status, kind, actor_id, at)"
                 " VALUES (%s, 'triage', 'accepted', 'status', %s, %s)", rid, self.staff["id"], accepted)
        patient_page = self.p.get("/requests/%d" % rid).text
        reviewer_page = self.rv.get("/reviewer/cases/%d" % rid).text
        staff_page = self.s.get("/staff/requests/%d" % rid).text
        self.assertEqual(short(at, LA), "2026-12-01 18:30 PST")
        self.assertEqual(short(at, MADRID), "2026-12-02 03:30 CET")
        self.assertIn("2026-12-01 18:30 PST", patient_page)
        self.assertNotIn("2026-12-02 03:30", patient_page)
        self.assertIn("2026-12-02 03:30 CET", reviewer_page)
        self.assertNotIn("2026-12-01 18:30", reviewer_page)
        self.assertIn(short(at, NEW_YORK), staff_page)  # 2026-12-01 21:30 EST
        # no page says UTC any more for these
        for page in (patient_page, reviewer_page):
            self.assertNotIn("18:30 UTC", page)
            self.assertNotIn("02:30 UTC", page)
        # the timeline speaks in sentences, in the patient's zone
        self.assertIn("Sam Staff at the breast center accepted your request on Tuesday 1 December 2026 at "
                      "05:05 PST.", patient_page)
        self.assertEqual(long_form(accepted, LA), "Tuesday 1 December 2026 at 05:05 PST")
        self.assertNotRegex(patient_page, r">\s*note\s*<")
        # the staff timeline shows the same instant in New York
        self.assertIn(short(accepted, NEW_YORK), staff_page)

    def test_same_instant_in_email(self):
        rid, _ = self.case()
        n0 = len(outbox_messages(self.server))
        # the patient writes: the reviewer (Madrid) is told, with the time in Madrid
        self.p.get("/requests/%d" % rid)
        self.assertEqual(self.p.post("/requests/%d/messages" % rid, {"body": "Question one"}).status, 303)
        # the reviewer answers: the patient (Los Angeles) is told, with the time in Los Angeles
        self.rv.get("/reviewer/cases/%d" % rid)
        self.assertEqual(self.rv.post("/reviewer/cases/%d/reply" % rid, {"reply": "Answer one"}).status, 303)
        sent = self.sql("SELECT created_at FROM messages WHERE request_id = %s ORDER BY id", rid)
        mails = outbox_messages(self.server)[n0:]
        to_reviewer = [m for m in mails if m["to"] == self.reviewer["email"]]
        to_patient = [m for m in mails if m["to"] == self.patient["email"]]
        self.assertEqual(len(to_reviewer), 1, mails)
        self.assertEqual(len(to_patient), 1, mails)
        for mail, zone, instant in ((to_reviewer[0], MADRID, sent[0][0]), (to_patient[0], LA, sent[1][0])):
            body = mail["body"]
            self.assertIn(" on %s." % long_form(instant, zone), body)
            shown = parse_long(body, zone)
            self.assertLess(abs((shown - instant.replace(second=0, microsecond=0)).total_seconds()), 61)
            for w in CLINICAL:
                self.assertNotIn(w, body.lower())
        # and each page shows that same instant in its reader's zone
        page = self.p.get("/requests/%d" % rid).text
        self.assertIn(short(sent[1][0], LA), page)
        page = self.rv.get("/reviewer/cases/%d" % rid).text
        self.assertIn(short(sent[0][0], MADRID), page)

    def test_security_email_says_when_in_the_persons_zone(self):
        user = make_user(self.server, "patient", name="Pat Madrid")
        c = self.server.client()
        login(c, user)
        c.get("/account")
        self.assertEqual(c.post("/account/time-zone", {"time_zone": MADRID}).status, 303)
        n0 = len(outbox_messages(self.server))
        c.get("/account/password")
        before = datetime.datetime.now(UTC)
        r = c.post("/account/password", {"current": user["password"], "password": "a brand new passphrase for madrid"})
        self.assertEqual(r.status, 303, r.text[:300])
        mails = [m for m in outbox_messages(self.server)[n0:] if m["to"] == user["email"]]
        self.assertEqual(len(mails), 1, mails)
        self.assertIn("This happened on ", mails[0]["body"])
        shown = parse_long(mails[0]["body"], MADRID)
        self.assertLess(abs((shown - before.replace(second=0, microsecond=0)).total_seconds()), 121)

    def test_admin_audit_log_in_the_admins_zone(self):
        admin = make_user(self.server, "admin", name="Ada Admin")
        c = self.server.client()
        login(c, admin)
        c.get("/account")
        zone = "Pacific/Kiritimati"  # UTC+14: most of the day, its date is tomorrow's in UTC
        self.assertEqual(c.post("/account/time-zone", {"time_zone": zone}).status, 303)
        now = datetime.datetime.now(UTC)
        local_day = now.astimezone(zoneinfo.ZoneInfo(zone)).date().isoformat()
        page = c.get("/admin/audit?action=account.time_zone&since=%s&until=%s" % (local_day, local_day))
        self.assertEqual(page.status, 200)
        # the change just made, to the second, in the admin's zone
        self.assertRegex(page.text, r"%s \d\d:\d\d:\d\d UTC\+14" % local_day)
        self.assertIn("From (date, your time zone)", page.text)
        self.assertNotIn("(UTC)", page.text)
        utc_day = now.date().isoformat()
        if utc_day != local_day:
            # the same rows are not on the admin's previous day, though it is today in UTC
            page = c.get("/admin/audit?action=account.time_zone&since=%s&until=%s&actor=%d"
                         % (utc_day, utc_day, admin["id"]))
            self.assertEqual(page.status, 200)
            self.assertNotRegex(page.text, r"\d\d:\d\d:\d\d UTC\+14")

    # ---- one due date ----

    def test_one_due_date_everywhere(self):
        rid, _ = self.case("in_review")
        due, = self.sql("SELECT due_on FROM requests WHERE id = %s", rid)[0]
        self.assertIsNotNone(due)
        # the turnaround-based date of old is not shown anywhere
        self.sql("UPDATE requests SET expected_by = %s WHERE id = %s", due + datetime.timedelta(days=2), rid)
        other = (due + datetime.timedelta(days=2)).isoformat()
        patient = self.p.get("/requests/%d" % rid).text
        self.assertIn("Your report is expected by <strong>%s</strong>" % due.isoformat(), patient)
        self.assertNotIn(other, patient)
        dashboard = self.p.get("/requests").text
        self.assertIn("Report expected by %s." % due.isoformat(), dashboard)
        staff = self.s.get("/staff/requests/%d" % rid).text
        self.assertIn("Due %s" % due.isoformat(), staff)
        self.assertNotIn(other, staff)
        reviewer = self.rv.get("/reviewer/cases/%d" % rid).text
        self.assertIn("Due %s" % due.isoformat(), reviewer)

    # ---- dates that make no sense ----

    def test_consultation_in_the_past_refused(self):
        rid, _ = self.case()
        self.s.get("/staff/requests/%d" % rid)
        ny_now = datetime.datetime.now(zoneinfo.ZoneInfo(NEW_YORK))
        yesterday = (ny_now - datetime.timedelta(days=1)).date().isoformat()
        before = snapshot(self, rid)
        r = self.s.post("/staff/requests/%d/schedule" % rid,
                        {"from": "accepted", "date": yesterday, "time": "10:00", "place": "Room 3"})
        self.assertEqual(r.status, 422, r.text[:300])
        self.assertIn('id="date-error">This date is in the past', r.text)
        self.assertEqual(snapshot(self, rid), before)
        if ny_now.hour >= 1:  # earlier today, where staff are
            r = self.s.post("/staff/requests/%d/schedule" % rid,
                            {"from": "accepted", "date": ny_now.date().isoformat(), "time": "00:00", "place": "Room 3"})
            self.assertEqual(r.status, 422, r.text[:300])
            self.assertIn('id="time-error">This time has already passed today', r.text)
            self.assertEqual(snapshot(self, rid), before)
        # an hour that does not exist (the clocks skip it in New York)
        r = self.s.post("/staff/requests/%d/schedule" % rid,
                        {"from": "accepted", "date": "2031-03-09", "time": "02:30", "place": "Room 3"})
        self.assertEqual(r.status, 422, r.text[:300])
        self.assertIn('id="time-error">The clocks change at that hour', r.text)
        self.assertEqual(snapshot(self, rid), before)

    def test_consultation_seen_in_each_zone_and_its_calendar_file(self):
        rid, _ = self.case()
        self.s.get("/staff/requests/%d" % rid)
        place = "Lakeside Center, Building B; room 2 \\ ask at the desk, " + "please " * 12
        r = self.s.post("/staff/requests/%d/schedule" % rid,
                        {"from": "accepted", "date": "2031-05-04", "time": "09:30", "place": place})
        self.assertEqual(r.status, 303, r.text[:300])
        # typed in New York (EDT, UTC-4): the instant is 13:30 UTC
        starts = datetime.datetime(2031, 5, 4, 13, 30, tzinfo=UTC)
        self.assertEqual(self.sql("SELECT starts_at FROM consultations WHERE request_id = %s", rid)[0][0], starts)
        page = self.p.get("/requests/%d" % rid).text
        self.assertIn('id="consult-when">%s</strong>' % long_form(starts, LA), page)  # Sunday 4 May 2031 at 06:30 PDT
        self.assertIn('href="/requests/%d/consultation.ics"' % rid, page)
        # the calendar file: strict RFC 5545
        r = self.p.get("/requests/%d/consultation.ics" % rid)
        self.assertEqual(r.status, 200)
        self.assertIn("text/calendar", r.header("Content-Type"))
        self.assertIn("attachment", r.header("Content-Disposition"))
        lines = unfold_ics(r.body)
        names = [n for n, _, _ in lines]
        self.assertEqual(names[:2], ["BEGIN", "VERSION"])
        self.assertEqual(lines[0][2], "VCALENDAR")
        self.assertEqual(lines[-1], ("END", "", "VCALENDAR"))
        self.assertEqual(names.count("BEGIN"), 2)
        props = {n: v for n, _, v in lines}
        self.assertEqual(props["VERSION"], "2.0")
        self.assertTrue(props["PRODID"])
        for key in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            self.assertIn(key, props)
        self.assertRegex(props["UID"], r"^consultation-\d+-request-%d@[A-Za-z0-9.-]+$" % rid)
        self.assertRegex(props["DTSTAMP"], r"^\d{8}T\d{6}Z$")
        self.assertEqual(props["DTSTART"], "20310504T133000Z")
        self.assertEqual(props["DTEND"], "20310504T141500Z")
        self.assertEqual(ics_unescape(props["LOCATION"]), place.strip())  # the form layer trims what is typed
        self.assertIn("\\;", props["LOCATION"])
        self.assertIn("\\,", props["LOCATION"])
        self.assertIn("\\\\", props["LOCATION"])
        summary = ics_unescape(props["SUMMARY"]).lower()
        for w in CLINICAL + ("second opinion", "review"):
            self.assertNotIn(w, summary)
        # the long location was folded
        self.assertIn(b"\r\n ", r.body)
        # another patient: refused as if there were none, and written down
        self.assertEqual(self.op.get("/requests/%d/consultation.ics" % rid).status, 404)
        rows = self.sql("SELECT actor_id, outcome FROM audit_log WHERE action = 'consultation.ics' AND object_id = %s"
                        " ORDER BY id", str(rid))
        self.assertIn((self.patient["id"], "ok"), rows)
        self.assertIn((self.other_patient["id"], "denied"), rows)
        # the staff page shows the same instant in New York, as typed
        self.assertIn("2031-05-04 09:30 EDT", self.s.get("/staff/requests/%d" % rid).text)

    def test_letter_sent_in_the_future_refused(self):
        rid, _ = new_request(self, self.patient["id"], "draft")
        la_today = datetime.datetime.now(zoneinfo.ZoneInfo(LA)).date()
        tomorrow = (la_today + datetime.timedelta(days=1)).isoformat()
        self.p.get("/requests/%d/steps/records" % rid)
        r = self.p.post("/requests/%d/letter/sent" % rid, {"sent_on": tomorrow})
        self.assertEqual(r.status, 422, r.text[:300])
        self.assertRegex(r.text, r'(?s)<input id="f-sent_on" name="sent_on" type="date" value="%s" aria-invalid="true"'
                                 r'.*?id="sent_on-error">That date has not come yet' % tomorrow)
        self.assertNotIn("Error 422", r.text)
        self.assertIsNone(self.sql("SELECT records_requested_at FROM requests WHERE id = %s", rid)[0][0])
        self.assertEqual(self.sql("SELECT count(*) FROM request_events WHERE request_id = %s", rid)[0][0], 0)
        r = self.p.post("/requests/%d/letter/sent" % rid, {"sent_on": "2026-02-30"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="sent_on-error">Give the date you sent the letter', r.text)
        # today where the patient is: accepted
        r = self.p.post("/requests/%d/letter/sent" % rid, {"sent_on": la_today.isoformat()})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT records_requested_at FROM requests WHERE id = %s", rid)[0][0], la_today)
