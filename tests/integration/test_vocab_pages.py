"""Pages whose choices now come from the one vocabulary module
(server/core/vocab.c, issue 15 item 1) show the same keys and words as
before, in the same order: the upload choices of the records page (the
authority document only for someone acting for the patient), the
reviewer's recommendation choices (and the saved one selected again), the
reviewer's words for the documents, and the center's status words."""
import re

import harness
import test_requests as tr
import test_triage as tt
from accounts_helpers import login, make_user

UPLOAD_CHOICES = [
    ("images", "Images (CD, DVD, ZIP or ISO)"),
    ("prior_images", "Earlier images, for comparison"),
    ("radiology_report", "Radiology report"),
    ("pathology_report", "Pathology report"),
    ("referral", "Referral"),
    ("insurance_card", "Insurance card"),
    ("photo_id", "Photo ID"),
    ("authorization", "Signed authorization form (paper)"),
    ("other", "Something else"),
]

RECOMMENDATION_CHOICES = [
    ("routine_screening", "Routine screening"),
    ("short_interval_followup", "Short-interval follow-up"),
    ("additional_imaging", "Additional imaging"),
    ("biopsy", "Biopsy"),
    ("surgical_consultation", "Surgical consultation"),
    ("oncology_consultation", "Oncology consultation"),
]


def options(page, select_id):
    m = re.search(r'<select id="%s"[^>]*>(.*?)</select>' % select_id, page, re.S)
    assert m, page[:2000]
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', m.group(1))


class VocabPagesTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Vera Vocab")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.spec = tt.add_specialist(cls.server, cls.reviewer["id"], "Dr. Vocab Reader")
        cls.rv = cls.server.client()
        login(cls.rv, cls.reviewer)

    def test_the_records_page_offers_the_upload_kinds_in_their_words(self):
        user = make_user(self.server, "patient", name="Una Upload")
        c = self.client()
        login(c, user)
        rid = tr.RequestsTest.new_draft(self, c)
        r = c.get("/requests/%d/records" % rid)
        self.assertEqual(r.status, 200)
        got = [(v, w) for v, _, w in options(r.text, "up-kind")]
        self.assertEqual(got, UPLOAD_CHOICES)  # the patient herself: no authority document
        self.assertNotIn("authority_document", r.text)

    def test_the_reviewer_chooses_from_the_recommendations_and_the_saved_one_is_selected(self):
        rid, _ = tt.new_request(self, self.patient["id"], "in_review", reviewer_id=self.reviewer["id"],
                                specialist_id=self.spec)
        r = self.rv.get("/reviewer/cases/%d" % rid)
        self.assertEqual(r.status, 200)
        got = options(r.text, "f-recommendation")
        self.assertEqual([(v, w) for v, _, w in got], [("", "Choose…")] + RECOMMENDATION_CHOICES)
        first = options(r.text, "f-first_recommendation")
        self.assertEqual([(v, w) for v, _, w in first], [("", "As implied by its category")] + RECOMMENDATION_CHOICES)
        # a draft saved with one: shown selected again, the others not
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         {"findings_left": "No findings.", "findings_right": "No findings.", "birads": "3",
                          "density": "B", "recommendation": "short_interval_followup", "summary": "Six months.",
                          "action": "save"})
        self.assertIn(r.status, (200, 303), r.text[:500])
        r = self.rv.get("/reviewer/cases/%d" % rid)
        sel = [v for v, s, _ in options(r.text, "f-recommendation") if s]
        self.assertEqual(sel, ["short_interval_followup"])
        # an unknown key is refused next to the field, nothing saved
        before = self.sql("SELECT count(*) FROM reports WHERE request_id = %s", rid)[0][0]
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         {"findings_left": "x", "findings_right": "x", "birads": "3", "density": "B",
                          "recommendation": "watchful_waiting", "summary": "x", "action": "save"})
        self.assertEqual(r.status, 422)
        self.assertRegex(r.text, r'<p class="field-error" id="recommendation-error">[^<]+</p>')
        self.assertEqual(self.sql("SELECT count(*) FROM reports WHERE request_id = %s", rid)[0][0], before)
        self.assertEqual(self.sql("SELECT recommendation FROM reports WHERE request_id = %s", rid)[0][0],
                         "short_interval_followup")

    def test_the_reviewer_reads_the_documents_and_the_status_in_the_center_words(self):
        rid, _ = tt.new_request(self, self.patient["id"], "in_review", reviewer_id=self.reviewer["id"],
                                specialist_id=self.spec)
        for kind in ("radiology_report", "pathology_report", "referral", "other"):
            tr.add_doc(self.server, rid, kind)
        r = self.rv.get("/reviewer/cases/%d" % rid)
        self.assertEqual(r.status, 200)
        words = re.findall(r'/documents/\d+/download">file</a> — ([^<]+)', r.text)
        self.assertEqual(words, ["original radiology report", "pathology report", "Referral",
                                 "Something else (see the message)"])
        r = self.rv.get("/reviewer/cases")
        self.assertEqual(r.status, 200)
        self.assertIn("In review", r.text)
