"""Links that work (issue 15, item 7): without --base-url an e-mailed link
points where the server really listens, and no stored code or DICOM date
reaches the center's pages as raw text.

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_links
"""
import re

import harness
from accounts_helpers import login, make_user, outbox_messages
from test_triage import add_specialist, new_request


class LinksTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"], "Dr. Rita Reader")

    def test_mailed_link_uses_the_listening_address(self):
        c = self.client()
        c.get("/forgot-password")
        r = c.post("/forgot-password", {"email": self.patient["email"]})
        self.assertIn(r.status, (200, 303))
        want = "http://127.0.0.1:%d/" % self.server.port
        msgs = harness.wait_for(
            lambda: [m for m in outbox_messages(self.server) if m["to"] == self.patient["email"]],
            timeout=20, what="the reset e-mail")
        links = re.findall(r"https?://[^\s]+", msgs[-1]["body"])
        self.assertTrue(links, msgs[-1]["body"])
        for link in links:
            self.assertTrue(link.startswith(want), "%s does not start with %s" % (link, want))
        self.assertNotIn("127.0.0.1:8080", msgs[-1]["body"])
        # the log tells the operator what to do behind a proxy
        self.assertIn("set --base-url", self.server.log_text())

    def test_no_raw_codes_or_dicom_dates_on_center_pages(self):
        rid, _ = new_request(self, self.patient["id"], "accepted", reviewer_id=self.reviewer["id"],
                             specialist_id=self.spec, exam_types=("screening_mammogram", "tomosynthesis"))
        self.sql("INSERT INTO studies (request_id, study_uid, study_date, description) VALUES (%s, '1.2.3.9', "
                 "'20261102', 'MAMMO')", rid)
        self.sql("UPDATE requests SET review_mode = 'in_person', payment = 'self_pay' WHERE id = %s", rid)
        staff = self.client()
        login(staff, self.staff)
        rev = self.client()
        login(rev, self.reviewer)
        pages = {"staff": staff.get("/staff/requests/%d" % rid), "reviewer": rev.get("/reviewer/cases/%d" % rid)}
        for who, page in pages.items():
            self.assertEqual(page.status, 200, who)
            for raw in ("screening_mammogram", "tomosynthesis;", "20261102", ">in_person", ": self_pay"):
                self.assertNotIn(raw, page.text, "%s page shows %r" % (who, raw))
            self.assertIn("Screening mammogram, Tomosynthesis (3D mammogram)", page.text, who)
            self.assertIn("2 November 2026", page.text, who)
        self.assertIn("in person (the patient visits)", pages["staff"].text)
        self.assertIn("Payment: paying themselves", pages["staff"].text)
        self.assertIn("a written second reading of the images", pages["staff"].text)

