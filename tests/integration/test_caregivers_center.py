"""What people who act for a patient do, as the center and the patient read it (issue 15 item 4):
a caregiver's message in the request's thread names both people ("María José Rivera's daughter
Ana Rivera") for staff and the assigned reviewer, and "Your daughter Ana Rivera" for her; a
caregiver's uploads and removals of records are sentences on the request's timeline (the status
page and the staff timeline) naming both people, while her own uploads add nothing there."""
import html

import harness
import records_helpers as rh
from accounts_helpers import login, make_user, outbox_messages

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

    def test_inviting_someone_who_already_acts_for_her_is_refused_at_the_field(self):
        n = self.sql("SELECT count(*) FROM caregiver_links WHERE patient_id = %s", self.maria["id"])[0][0]
        self.mc.get("/account/caregivers")
        for email in (self.ana["email"], self.ana["email"].upper()):
            r = self.mc.post("/account/caregivers", {"email": email, "relationship": "daughter",
                                                     "relationship_other": ""})
            self.assertEqual(r.status, 422, r.text[:300])
            err = r.text.split('id="email-error"', 1)[1].split("</p>", 1)[0]
            self.assertIn("already acts for you", err)
            self.assertIn('value="%s"' % email, r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM caregiver_links WHERE patient_id = %s",
                                  self.maria["id"])[0][0], n)
        self.assertFalse([m for m in outbox_messages(self.server) if m["to"].lower() == self.ana["email"]])
        # once removed, she can be invited again
        self.sql("UPDATE caregiver_links SET revoked_at = now() WHERE id = %s", self.link)
        r = self.mc.post("/account/caregivers", {"email": self.ana["email"], "relationship": "daughter",
                                                 "relationship_other": ""})
        self.assertEqual(r.status, 303, r.text[:300])


class RepresentativeEndTest(harness.ServerTestCase):
    """Staff end a representative's link (the authority was withdrawn) with a reason, audited; the
    representative loses access at once and the request cannot be accepted."""

    def test_staff_end_a_representation_with_a_reason(self):
        rep = make_user(self.server, "patient", name="Pedro Parent")
        rc = self.client()
        login(rc, rep)
        rc.get("/requests/for-someone")
        r = rc.post("/requests/for-someone", {"name": "Luc\u00eda Menor", "dob": "2010-05-01",
                                              "relationship": "parent", "authority": "parent_of_minor"})
        self.assertEqual(r.status, 303, r.text[:300])
        rid = int(r.header("Location").split("/")[2])
        person = self.sql("SELECT patient_id FROM requests WHERE id = %s", rid)[0][0]
        link_id = self.sql("SELECT id FROM caregiver_links WHERE patient_id = %s", person)[0][0]
        rc.get("/requests/%d/records" % rid)
        rh.upload_bytes(rc, rid, PDF, "birth-certificate.pdf", kind="authority_document")
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", rid)
        self.assertEqual(rc.get("/requests/%d" % rid).status, 200)
        staff = make_user(self.server, "staff")
        sc = self.client()
        login(sc, staff)
        page = sc.get("/staff/requests/%d" % rid)
        self.assertIn('action="/staff/requests/%d/representative/end"' % rid, page.text)
        self.assertIn('name="link" value="%d"' % link_id, page.text)
        # the representative cannot end it for the center
        self.assertEqual(rc.post("/staff/requests/%d/representative/end" % rid,
                                 {"link": str(link_id), "end_reason": "x"}).status, 403)
        # a reason is needed, next to its field; a stale link changes nothing
        for form in ({"link": str(link_id), "end_reason": "  "}, {"link": str(link_id)}):
            r = sc.post("/staff/requests/%d/representative/end" % rid, form)
            self.assertEqual(r.status, 422, r.text[:300])
            self.assertIn('id="end_reason-error"', r.text)
            self.assertIn('aria-describedby="end_reason-error"', r.text)
        r = sc.post("/staff/requests/%d/representative/end" % rid,
                    {"link": str(link_id + 1000), "end_reason": "Withdrawn"})
        self.assertEqual(r.status, 422)
        self.assertIn("Nothing was changed", r.text)
        self.assertIsNone(self.sql("SELECT revoked_at FROM caregiver_links WHERE id = %s", link_id)[0][0])
        # ended, with the reason: audited with both people
        reason = "The court order giving parental authority was withdrawn on 2 November."
        r = sc.post("/staff/requests/%d/representative/end" % rid, {"link": str(link_id), "end_reason": reason})
        self.assertEqual(r.status, 303, r.text[:300])
        row = self.sql("SELECT revoked_by, ended_reason, revoked_at IS NOT NULL FROM caregiver_links WHERE id = %s",
                       link_id)[0]
        self.assertEqual(row, (staff["id"], reason, True))
        self.assertEqual(self.sql("SELECT actor_id, patient_id, outcome FROM audit_log WHERE action = 'caregiver.end'"),
                         [(staff["id"], person, "ok")])
        # the representative lost access at once, everywhere
        for path in ("/requests/%d" % rid, "/requests/%d/records" % rid, "/requests/%d/steps/exam" % rid):
            r = rc.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn("Luc\u00eda", r.text)
        self.assertNotIn("Luc\u00eda", rc.get("/requests").text)
        r = rc.get("/dicom-web/studies", headers={"Accept": "application/dicom+json"})
        self.assertEqual((r.status, r.json()), (200, []))
        # staff read why; it cannot be accepted, and cannot be ended twice
        page = text(sc.get("/staff/requests/%d" % rid))
        self.assertIn("ended this person's authority to act", page)
        self.assertIn(reason, page)
        self.assertNotIn("/representative/end", page)
        self.assertNotIn('action="/staff/requests/%d/accept"' % rid, page)
        self.assertEqual(sc.post("/staff/requests/%d/accept" % rid, {"from": "triage"}).status, 422)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "triage")
        self.assertEqual(sc.post("/staff/requests/%d/representative/end" % rid,
                                 {"link": str(link_id), "end_reason": reason}).status, 404)
