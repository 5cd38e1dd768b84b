"""Phone and paper (issue 15 item 6), at the HTTP layer.

"Who opened my records" (/requests/{id}/access): the center's reads of the patient's data are
grouped by person and UTC day, newest first, ten groups a page, with every group on some page and
the totals; the patient's own reads, refusals and other patients' rows are not shown; another
patient, a bad page number or a page past the last is 404. The letter and the authorization carry
the print header (patient's name, date of birth, reference, the center's name and address, all
escaped), and the admin's form for the center's name and address re-shows errors next to the field,
saving nothing."""
import os
import re
import subprocess

import harness
from accounts_helpers import login, make_user

ROLE = {"patient": "1", "staff": "2", "reviewer": "4", "admin": "8"}
GROUP_RE = re.compile(r'<li class="access-group"><p><strong>(.*?)</strong> \((.*?)\) — '
                      r'<time datetime="(\d{4}-\d\d-\d\d)">(.*?)</time></p>\s*<ul>(.*?)</ul></li>', re.S)


def groups(page):
    """[(who, role, date, day words, [items])] in page order."""
    return [(g[0], g[1], g[2], g[3], re.findall(r"<li>(.*?)</li>", g[4])) for g in GROUP_RE.findall(page)]


class AccessAndPrintTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.patient = make_user(self.server, "patient", name="María <O'Brien> & Co")
        self.sql("UPDATE users SET date_of_birth = '1961-03-02' WHERE id = %s", self.patient["id"])
        self.pc = self.client()
        login(self.pc, self.patient)
        self.rid, self.ref = self.sql("INSERT INTO requests (reference, patient_id, status, submitted_at) VALUES "
                                      "('SO-2026-' || (70000 + %s), %s, 'submitted', now()) RETURNING id, reference",
                                      self.patient["id"], self.patient["id"])[0]
        self.other = make_user(self.server, "patient", name="Other Patient")
        self.oc = self.client()
        login(self.oc, self.other)
        self.other_rid = self.sql("INSERT INTO requests (reference, patient_id, status, submitted_at) VALUES "
                                  "('SO-2026-' || (70000 + %s), %s, 'submitted', now()) RETURNING id",
                                  self.other["id"], self.other["id"])[0][0]

    def event(self, action, actor, role, patient, when, detail=None, outcome="ok"):
        """One audit row written by the server's own audit_write(), then dated `when` (UTC). The row's
        date is moved with the append-only triggers off for this session: the hash chain is not what
        this test is about."""
        tool = os.path.join(os.path.dirname(harness.BIN), "tests", "audit_write_tool")
        args = [tool, self.server.dsn, "--action", action, "--actor", str(actor["id"]), "--role", ROLE[role],
                "--patient", str(patient["id"]), "--object-type", "request", "--object-id", str(self.rid),
                "--outcome", outcome]
        if detail:
            args += ["--detail", detail]
        out = subprocess.run(args, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.sql("SET session_replication_role = replica; "
                 "UPDATE audit_log SET at = %s::timestamptz, at_us = (extract(epoch FROM %s::timestamptz) * 1000000)::bigint "
                 "WHERE id = (SELECT max(id) FROM audit_log)", when, when)

    def test_access_grouped_by_person_and_day_paginated_complete(self):
        rev = make_user(self.server, "reviewer", name="Dr. Rita Reader")
        staff = make_user(self.server, "staff", name="Sam Staff")
        mammo = '{"date": "2024-03-15", "mammogram": true}'
        prior = '{"date": "2022-03-10", "mammogram": true}'
        p = self.patient
        # 3 March 2026: the reviewer views two studies (one twice) and downloads two files; staff open the request
        self.event("study.view", rev, "reviewer", p, "2026-03-03 09:00Z", mammo)
        self.event("study.view", rev, "reviewer", p, "2026-03-03 09:01Z", mammo)
        self.event("study.view", rev, "reviewer", p, "2026-03-03 09:02Z", prior)
        self.event("document.download", rev, "reviewer", p, "2026-03-03 09:05Z")
        self.event("document.download", rev, "reviewer", p, "2026-03-03 09:06Z")
        self.event("request.view", staff, "staff", p, "2026-03-03 11:00Z")
        self.event("request.view", staff, "staff", p, "2026-03-03 11:30Z")
        # 4 March 2026: the reviewer opens the request, staff download the ZIP and look at the records
        self.event("request.view", rev, "reviewer", p, "2026-03-04 08:00Z")
        self.event("request.download_zip", staff, "staff", p, "2026-03-04 10:00Z")
        self.event("records.view", staff, "staff", p, "2026-03-04 10:01Z")
        # not shown: the patient herself, a refusal, another patient's data
        self.event("request.view", p, "patient", p, "2026-03-04 12:00Z")
        self.event("request.view", staff, "staff", p, "2026-03-04 12:05Z", outcome="denied")
        self.event("request.view", staff, "staff", self.other, "2026-03-04 12:10Z")
        # eleven more days of staff opening the request, in February: pages 1 and 2
        for day in range(1, 12):
            self.event("request.view", staff, "staff", p, "2026-02-%02d 15:00Z" % day)

        r = self.pc.get("/requests/%d/access" % self.rid)
        self.assertEqual(r.status, 200, r.text[:300])
        got = groups(r.text)
        self.assertEqual(got[:4], [
            ("Sam Staff", "center staff", "2026-03-04", "4 March 2026",
             ["looked at your records", "downloaded your records as a ZIP file"]),
            ("Dr. Rita Reader", "reviewing radiologist", "2026-03-04", "4 March 2026", ["opened your request"]),
            ("Sam Staff", "center staff", "2026-03-03", "3 March 2026", ["opened your request 2 times"]),
            ("Dr. Rita Reader", "reviewing radiologist", "2026-03-03", "3 March 2026",
             ["viewed your mammogram of 15 March 2024", "viewed your mammogram of 10 March 2022",
              "downloaded 2 files"]),
        ])
        self.assertEqual(len(got), 10, "ten groups a page")
        self.assertEqual([g[2] for g in got[4:]], ["2026-02-%02d" % d for d in range(11, 5, -1)])
        self.assertIn("15 entries in all (21 recorded actions). Page 1 of 2.", r.text)
        self.assertIn('href="/requests/%d/access?page=2"' % self.rid, r.text)
        self.assertNotIn("rel=\"prev\"", r.text)
        # page 2: the five oldest, a link back, none further
        r2 = self.pc.get("/requests/%d/access?page=2" % self.rid)
        self.assertEqual(r2.status, 200)
        self.assertEqual(groups(r2.text), [("Sam Staff", "center staff", "2026-02-%02d" % d, "%d February 2026" % d,
                                            ["opened your request"]) for d in range(5, 0, -1)])
        self.assertIn('href="/requests/%d/access?page=1"' % self.rid, r2.text)
        self.assertNotIn("rel=\"next\"", r2.text)
        # every group exactly once across the pages
        self.assertEqual(len(got) + len(groups(r2.text)), 15)
        # bad page numbers and pages past the end
        for bad in ("3", "0", "-1", "abc", "1e3", "99999999"):
            self.assertEqual(self.pc.get("/requests/%d/access?page=%s" % (self.rid, bad)).status, 404, bad)
        # another patient, the center, nobody signed in
        self.assertEqual(self.oc.get("/requests/%d/access" % self.rid).status, 404)
        sc = self.client()
        login(sc, staff)
        self.assertIn(sc.get("/requests/%d/access" % self.rid).status, (403, 404))
        anon = self.client().get("/requests/%d/access" % self.rid)
        self.assertIn(anon.status, (303, 401, 403))
        # the other patient's own log shows only the one row about her
        og = groups(self.oc.get("/requests/%d/access" % self.other_rid).text)
        self.assertEqual(og, [("Sam Staff", "center staff", "2026-03-04", "4 March 2026", ["opened your request"])])
        # the status page shows the newest three groups and links to the rest
        status = self.pc.get("/requests/%d" % self.rid).text
        self.assertEqual(groups(status), got[:3])
        self.assertIn("See every entry of who opened your records (15 in all)", status)

    def test_empty_access_log(self):
        r = self.pc.get("/requests/%d/access" % self.rid)
        self.assertEqual(r.status, 200)
        self.assertIn("Nobody at the center has opened your records yet.", r.text)
        self.assertEqual(self.pc.get("/requests/%d/access?page=2" % self.rid).status, 404)

    def test_print_header_on_letter_and_authorization(self):
        admin = make_user(self.server, "admin", name="Ada Admin")
        ac = self.client()
        login(ac, admin)
        page = ac.get("/admin/center")
        self.assertEqual(page.status, 200)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        # errors next to the fields, typed values kept, nothing saved
        r = ac.post("/admin/center/identity", {"csrf": csrf, "center_name": "", "center_address": "x" * 501})
        self.assertEqual(r.status, 422)
        self.assertIn('id="center_name-error"', r.text)
        self.assertIn('id="center_address-error"', r.text)
        self.assertIn("x" * 501, r.text)
        self.assertEqual(self.sql("SELECT name, address FROM center_identity"), [("", "")])
        before = self.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'")[0][0]
        r = ac.post("/admin/center/identity", {"csrf": csrf, "center_name": "Riverside <Breast> Center",
                                               "center_address": "12 Elm Street\r\nSpringfield, MA 01101\r\n"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT name, address FROM center_identity"),
                         [("Riverside <Breast> Center", "12 Elm Street\nSpringfield, MA 01101")])
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'")[0][0],
                         before + 1)
        # the center's other roles cannot change it
        sc = self.client()
        login(sc, make_user(self.server, "staff"))
        self.assertIn(sc.post("/admin/center/identity", {"csrf": csrf, "center_name": "X", "center_address": "Y"}).status,
                      (403, 404))
        for path in ("letter", "authorization"):
            r = self.pc.get("/requests/%d/%s" % (self.rid, path))
            self.assertEqual(r.status, 200, path)
            head = re.search(r'<div class="print-header">(.*?)</dl>', r.text, re.S)
            self.assertTrue(head, path)
            h = head.group(1)
            self.assertIn("<strong>Riverside &lt;Breast&gt; Center</strong><br>12 Elm Street<br>Springfield, MA 01101", h)
            self.assertIn("<dd>Mar\u00eda &lt;O", h)
            self.assertIn("Brien&gt; &amp; Co</dd>", h)
            self.assertNotIn("<O'Brien>", h)
            self.assertIn("<dd>2 March 1961</dd>", h)
            self.assertIn("<dd>%s</dd>" % self.ref, h)
            self.assertEqual(self.oc.get("/requests/%d/%s" % (self.rid, path)).status, 404, path)



class DemoCenterTest(harness.ServerTestCase):
    server_args = ("--demo",)

    def test_demo_gives_the_center_a_name_and_address(self):
        self.assertEqual(self.sql("SELECT name, address FROM center_identity"),
                         [("secondop Demo Breast Center", "1 Example Street\nSpringfield, MA 01101")])
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change' "
                                  "AND object_type = 'center_identity'")[0][0], 1)
