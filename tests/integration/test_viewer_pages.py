"""The image viewer's pages (issue 13 item 2): /requests/{id}/images for the
patient who owns the request, /staff/requests/{id}/images for staff (past
draft), /reviewer/cases/{id}/images for the assigned reviewer; anyone else,
and bad ids, 404. One template, every value escaped; the page carries the
script and style of its own (no inline script) and the "for review only"
notice unless an admin turns it off in /admin/center (migration 0019)."""
import re

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request

NOTICE = "For review only: diagnostic reading of mammograms needs an FDA-cleared display."


class ViewerPagesTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        cls.other_patient, cls.opc, cls.other_rid = new_patient_with_request(cls.server, name="Ann Other")
        cls.users = {r: make_user(cls.server, r) for r in ("staff", "reviewer", "admin")}
        cls.users["other_reviewer"] = make_user(cls.server, "reviewer")
        cls.c = {"patient": cls.pc, "other_patient": cls.opc}
        for role, u in cls.users.items():
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)
        cls.c["anon"] = cls.server.client()

    def setUp(self):
        self.sql("UPDATE requests SET status = 'in_review', assigned_reviewer_id = %s WHERE id = %s",
                 self.users["reviewer"]["id"], self.rid)
        self.sql("UPDATE center_display SET viewer_notice = true")

    def pages(self, rid):
        return {"patient": "/requests/%d/images" % rid, "staff": "/staff/requests/%d/images" % rid,
                "reviewer": "/reviewer/cases/%d/images" % rid}

    def test_each_audience_sees_its_page(self):
        for who, path in self.pages(self.rid).items():
            r = self.c[who].get(path)
            self.assertEqual(r.status, 200, (who, path))
            self.assertIn('data-api="/api/v1/requests/%d/images"' % self.rid, r.text)
            self.assertIn('<script src="/static/js/viewer.js" defer></script>', r.text)
            self.assertIn('href="/static/css/viewer.css"', r.text)
            self.assertIn(NOTICE, r.text)
            self.assertEqual(re.findall(r"<script>", r.text), [], "no inline script")
            self.assertIn("no-store", r.header("Cache-Control") or "")
        r = self.c["reviewer"].get("/reviewer/cases/%d/images" % self.rid)
        self.assertIn('href="/reviewer/cases/%d"' % self.rid, r.text)

    def test_anyone_else_gets_404(self):
        p = self.pages(self.rid)
        refused = [
            ("other_patient", p["patient"]),      # not her request
            ("other_reviewer", p["reviewer"]),    # not assigned to him
            ("patient", "/requests/%d/images" % self.other_rid),
            ("reviewer", "/reviewer/cases/%d/images" % self.other_rid),
            ("patient", "/requests/999999/images"),
            ("staff", "/staff/requests/999999/images"),
            ("staff", "/staff/requests/abc/images"),
            ("reviewer", "/reviewer/cases/0/images"),
        ]
        for who, path in refused:
            self.assertEqual(self.c[who].get(path).status, 404, (who, path))
        # the pages of another audience are not answered either (roles in the route table)
        for who, path in (("patient", p["staff"]), ("patient", p["reviewer"]), ("staff", p["reviewer"]),
                          ("reviewer", p["staff"]), ("reviewer", p["patient"]), ("staff", p["patient"])):
            self.assertIn(self.c[who].get(path).status, (403, 404), (who, path))
        # nobody signed in: sent to the login page, nothing shown
        r = self.c["anon"].get(p["patient"])
        self.assertIn(r.status, (302, 303, 401))
        self.assertNotIn("data-api", r.text)
        # staff see a draft only once it is submitted, like the records
        self.sql("UPDATE requests SET status = 'draft', assigned_reviewer_id = NULL WHERE id = %s", self.rid)
        self.assertEqual(self.c["staff"].get(p["staff"]).status, 404)
        self.assertEqual(self.c["reviewer"].get(p["reviewer"]).status, 404)
        self.assertEqual(self.c["patient"].get(p["patient"]).status, 200)
        denied = self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s AND outcome = 'denied'",
                          self.users["other_reviewer"]["id"])[0][0]
        self.assertGreaterEqual(denied, 1)

    def test_values_are_escaped(self):
        # the reference is the page's one stored value; its format check is
        # lifted in this throwaway database to prove the template escapes it
        self.sql("ALTER TABLE requests DROP CONSTRAINT requests_reference_check")
        self.sql("UPDATE requests SET reference = %s WHERE id = %s", '<script>alert(1)</script>"x', self.rid)
        try:
            r = self.c["staff"].get("/staff/requests/%d/images" % self.rid)
            self.assertEqual(r.status, 200)
            self.assertNotIn("<script>alert(1)", r.text)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;&quot;x", r.text)
        finally:
            self.sql("UPDATE requests SET reference = 'SO-2026-99999' WHERE id = %s", self.rid)

    def test_links_from_the_records_request_and_case_pages(self):
        # the records page links the viewer once there are series; the center pages once there are studies
        self.sql("INSERT INTO studies (request_id, study_uid, study_date, description) VALUES (%s, '1.2.3.4', '20261102', 'MAMMO')"
                 " ON CONFLICT DO NOTHING RETURNING id", self.rid)
        r = self.c["staff"].get("/staff/requests/%d" % self.rid)
        self.assertIn('href="/staff/requests/%d/images"' % self.rid, r.text)
        r = self.c["reviewer"].get("/reviewer/cases/%d" % self.rid)
        self.assertIn('href="/reviewer/cases/%d/images"' % self.rid, r.text)

    def test_admin_turns_the_notice_off(self):
        before = self.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'")[0][0]
        admin = self.c["admin"]
        r = admin.get("/admin/center")
        self.assertIn("Stop showing the notice", r.text)
        # only admins
        staff = self.c["staff"]
        staff.get("/staff/requests/%d" % self.rid)
        self.assertIn(staff.post("/admin/center/viewer-notice/toggle", {}).status, (403, 404))
        r = admin.post("/admin/center/viewer-notice/toggle", {})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT viewer_notice FROM center_display")[0][0], False)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'")[0][0],
                         before + 1)
        self.assertIn("Show the notice", admin.get("/admin/center").text)
        r = self.c["reviewer"].get("/reviewer/cases/%d/images" % self.rid)
        self.assertEqual(r.status, 200)
        self.assertNotIn(NOTICE, r.text)
        admin.get("/admin/center")
        admin.post("/admin/center/viewer-notice/toggle", {})
        self.assertIn(NOTICE, self.c["reviewer"].get("/reviewer/cases/%d/images" % self.rid).text)


if __name__ == "__main__":
    harness.main()
