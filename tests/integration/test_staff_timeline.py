"""The staff request page's timeline in plain words (tracker issue 7): the
items asked for with their checklist labels, the message, the decline reason,
the assigned reviewer and the consultation, never the stored JSON.

Run: SECONDOP_BIN=$PWD/build-polish/secondop /usr/bin/python3 tests/integration/run.py test_staff_timeline
"""
import re

import harness
from accounts_helpers import login, make_user
from test_triage import add_specialist, new_request


def timeline(html):
    m = re.search(r'<ol class="timeline">(.*?)</ol>\s*</section>', html, re.S)
    assert m, "no timeline on the page"
    return m.group(1)


class StaffTimelineTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"], "Dr. Rita Reader")
        cls.c = cls.server.client()
        login(cls.c, cls.staff)

    def act(self, rid, action, frm, **form):
        r = self.c.post("/staff/requests/%d/%s" % (rid, action), dict(form, **{"from": frm}))
        self.assertEqual(r.status, 303, "%s: %s" % (action, r.text[:300]))

    def assert_no_json(self, text):
        self.assertNotIn('{"', text)
        self.assertNotIn("{&quot;", text)
        self.assertNotIn("&quot;:", text)

    def test_ask_info_assign_decline_in_words(self):
        rid, _ = new_request(self, self.patient["id"], "submitted")
        self.act(rid, "claim", "submitted")
        self.act(rid, "ask-info", "triage", missing=["pathology_report", "photo_id", "other"],
                 message="Please send the <b>pathology</b> report.")
        self.act(rid, "resume", "needs_info")
        self.act(rid, "assign", "triage", specialist=str(self.spec))
        self.act(rid, "decline", "triage", reason="We cannot read ultrasound-only exams.")
        # the events really carry JSON details (otherwise this test proves nothing)
        n = self.sql("SELECT count(*) FROM request_events WHERE request_id = %s AND detail IS NOT NULL", rid)[0][0]
        self.assertGreaterEqual(n, 3)
        page = self.c.get("/staff/requests/%d" % rid)
        self.assertEqual(page.status, 200)
        tl = timeline(page.text)
        self.assert_no_json(tl)
        self.assert_no_json(page.text)
        self.assertIn("Asked the patient for:", tl)
        self.assertIn("<li>Pathology report of your biopsy</li>", tl)
        self.assertIn("<li>Photo ID</li>", tl)
        self.assertIn("<li>Something else (see the message)</li>", tl)
        self.assertNotIn("pathology_report", tl)
        # the message is shown escaped, as words
        self.assertIn("Message to the patient: Please send the &lt;b&gt;pathology&lt;/b&gt; report.", tl)
        self.assertNotIn("<b>pathology</b>", page.text)
        self.assertIn("Reason: We cannot read ultrasound-only exams.", tl)
        self.assertIn("Reviewer assigned", tl)
        self.assertIn("Dr. Rita Reader (reviewer account: %s)" % self.reviewer["name"], tl)
        self.assertIn("Waiting for the patient", tl)
        self.assertIn("Declined", tl)

    def test_schedule_in_words(self):
        rid, _ = new_request(self, self.patient["id"], "accepted")
        self.act(rid, "schedule", "accepted", date="2031-05-04", time="09:30", place="Building B, room 2")
        # a second date while scheduled is a note event with the same details
        self.act(rid, "schedule", "scheduled", date="2031-05-11", time="14:00", place="Building C")
        page = self.c.get("/staff/requests/%d" % rid)
        self.assertEqual(page.status, 200)
        tl = timeline(page.text)
        self.assert_no_json(tl)
        # an instant, in the reader's zone (this staff account's is UTC) with the zone's name
        self.assertIn("consultation on 2031-05-04 09:30 UTC, Building B, room 2", tl)
        self.assertIn("consultation on 2031-05-11 14:00 UTC, Building C", tl)
        self.assertNotIn("starts at", tl)
        self.assertIn("Consultation scheduled", tl)

