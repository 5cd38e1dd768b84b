"""What people who act for a patient do, as the center and the patient read it (issue 15 item 4):
a caregiver's message in the request's thread names both people ("María José Rivera's daughter
Ana Rivera") for staff and the assigned reviewer, and "Your daughter Ana Rivera" for her; a
caregiver's uploads and removals of records are sentences on the request's timeline (the status
page and the staff timeline) naming both people, while her own uploads add nothing there."""
import html

import harness
import records_helpers as rh
from accounts_helpers import login, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARIA = "Mar\u00eda Jos\u00e9 Rivera"
BOTH = MARIA + "'s daughter Ana Rivera"


def link(server, patient, caregiver, relationship="daughter", authority="patient_invitation"):
    """A live caregiver link, as an accepted invitation (or a representative's start) leaves it."""
    server.sql("INSERT INTO caregiver_links (patient_id, caregiver_id, invited_email, relationship, expires_at, "
               "accepted_at, authority) VALUES (%s, %s, %s, %s, now() + interval '7 days', now(), %s) RETURNING id",
               patient["id"], caregiver["id"], caregiver["email"], relationship, authority)
    return server.sql("SELECT max(id) FROM caregiver_links")[0][0]


def text(r):
    return html.unescape(r.text)


class CaregiversCenterTest(harness.ServerTestCase):

    def setUp(self):
        self.maria = make_user(self.server, "patient", name=MARIA)
        self.mc = self.client()
        login(self.mc, self.maria)
        self.ana = make_user(self.server, "patient", name="Ana Rivera")
        self.ac = self.client()
        login(self.ac, self.ana)
        self.link = link(self.server, self.maria, self.ana)
        self.staff = make_user(self.server, "staff")
        self.sc = self.client()
        login(self.sc, self.staff)
        self.rid = rh.new_request(self.mc)

    def test_thread_names_both_people_in_every_view(self):
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        self.ac.get("/requests/%d" % self.rid)
        r = self.ac.post("/requests/%d/messages" % self.rid, {"body": "Is the biopsy report enough?"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.mc.get("/requests/%d" % self.rid)
        r = self.mc.post("/requests/%d/messages" % self.rid, {"body": "My own question."})
        self.assertEqual(r.status, 303, r.text[:300])
        # staff
        page = text(self.sc.get("/staff/requests/%d" % self.rid))
        self.assertIn(BOTH + " (acting for the patient)", page)
        self.assertIn(MARIA + " (patient)", page)
        self.assertNotIn("Ana Rivera (patient)", page)
        # the assigned reviewer
        rev = make_user(self.server, "reviewer")
        self.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s", rev["id"],
                 self.rid)
        rc = self.client()
        login(rc, rev)
        page = rc.get("/reviewer/cases/%d" % self.rid)
        self.assertEqual(page.status, 200)
        self.assertIn(BOTH + " (acting for the patient)", text(page))
        # the patient reads it as the rest of the feature says it; the caregiver reads "You"
        page = text(self.mc.get("/requests/%d" % self.rid))
        self.assertIn("Your daughter Ana Rivera", page)
        self.assertIn("Is the biopsy report enough?", page)
        page = text(self.ac.get("/requests/%d" % self.rid))
        self.assertNotIn("Your daughter", page)
        # after her removal, the past still names both people
        self.sql("UPDATE caregiver_links SET revoked_at = now() WHERE id = %s", self.link)
        self.assertIn(BOTH + " (acting for the patient)", text(self.sc.get("/staff/requests/%d" % self.rid)))

    def test_uploads_and_removals_are_sentences_on_the_timeline(self):
        self.ac.get("/requests/%d/records" % self.rid)
        rh.upload_bytes(self.ac, self.rid, PDF, "mammogram-report.pdf", kind="radiology_report")
        rh.upload_bytes(self.ac, self.rid, PDF + b"%x\n", "wrong-file.pdf", kind="other")
        self.mc.get("/requests/%d/records" % self.rid)
        rh.upload_bytes(self.mc, self.rid, PDF + b"%me\n", "my-own.pdf", kind="other")
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s AND original_name = 'wrong-file.pdf'",
                       self.rid)[0][0]
        self.ac.get("/requests/%d/records" % self.rid)
        r = self.ac.post("/requests/%d/documents/%d/delete" % (self.rid, doc), {})
        self.assertIn(r.status, (200, 303), r.text[:300])
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE id = %s", doc)[0][0], 0)
        ev = self.sql("SELECT kind, actor_id, detail->>'file' FROM request_events WHERE request_id = %s "
                      "AND kind LIKE 'records_%%' ORDER BY id", self.rid)
        self.assertEqual(ev, [("records_added", self.ana["id"], "mammogram-report.pdf"),
                              ("records_added", self.ana["id"], "wrong-file.pdf"),
                              ("records_removed", self.ana["id"], "wrong-file.pdf")])
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        page = text(self.mc.get("/requests/%d" % self.rid))
        self.assertIn("Your daughter Ana Rivera added mammogram-report.pdf to the records on", page)
        self.assertIn("Your daughter Ana Rivera removed wrong-file.pdf from the records on", page)
        self.assertNotIn("my-own.pdf", page.split('id="time-h"', 1)[1].split("</section>", 1)[0])
        page = text(self.ac.get("/requests/%d" % self.rid))
        self.assertIn("You added mammogram-report.pdf to the records on", page)
        page = text(self.sc.get("/staff/requests/%d" % self.rid))
        timeline = page.split('id="timeline-h"', 1)[1].split("</section>", 1)[0]
        self.assertIn(BOTH + " added mammogram-report.pdf to the records", timeline)
        self.assertIn(BOTH + " removed wrong-file.pdf from the records", timeline)
