"""The verified first read (issue 12, item 5) and the due date (item 6):
staff and the assigned reviewer confirm or correct the first read; an
unassigned reviewer or a patient cannot (404/403) and nothing changes; each
save is one audit row and one staff-timeline event in plain words; a wrong
value is shown next to its field with what was typed kept; the patient's own
answers stay visible ("As you told us"); triage uses the verified values.
Due dates: the class target, capped two working days before a known
treatment date, flagged when that cannot be met, the same on the patient's,
the staff and the reviewer's pages; a past treatment date is flagged and
does not cap.

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_first_read
"""
import datetime
import html
import itertools
import re

import harness
from accounts_helpers import login, make_user

_ref = itertools.count(1)


def new_request(t, patient_id, status="accepted", birads="2", biopsy=False, treatment_days=None, days_ago=1,
                reviewer_id=None, exam_date="2026-10-01"):
    ref = "SO-FR-%05d" % next(_ref)
    return t.sql(
        "INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, exam_date, treatment_date,"
        " submitted_at, exam_types, review_type, review_mode, exam_facility, reason, assigned_reviewer_id,"
        " exam_saved_at) VALUES (%s, %s, %s, %s, %s, %s, current_date + %s::integer,"
        " CASE WHEN %s = 'draft' THEN NULL ELSE now() - make_interval(days => %s) END,"
        " ARRAY['diagnostic_mammogram'], 'reread', 'remote', 'Valley Imaging', 'to be sure', %s, now()) RETURNING id",
        ref, patient_id, status, birads, biopsy, exam_date, treatment_days, status, days_ago, reviewer_id)[0][0]


def working_days_before(d, n):
    while n:
        d -= datetime.timedelta(days=1)
        if d.isoweekday() < 6:
            n -= 1
    return d


GOOD = {"fr_birads": "4B", "fr_recommendation": "biopsy", "fr_biopsy": "benign", "fr_biopsy_date": "2026-10-05",
        "fr_exam_date": "2026-10-01"}


class FirstReadTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_user(cls.server, "staff", name="Sam Staff")
        cls.reviewer = make_user(cls.server, "reviewer", name="Rita Reader")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.patient = make_user(cls.server, "patient", name="Pat Patient")
        cls.c = {}
        for role, u in (("staff", cls.staff), ("reviewer", cls.reviewer), ("other_reviewer", cls.other_reviewer),
                        ("patient", cls.patient)):
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)

    def verified(self, rid):
        return self.sql("SELECT verified_birads, verified_recommendation, verified_biopsy,"
                        " coalesce(to_char(verified_biopsy_date, 'YYYY-MM-DD'), ''),"
                        " coalesce(to_char(verified_exam_date, 'YYYY-MM-DD'), ''), verified_by, verified_at IS NOT NULL"
                        " FROM requests WHERE id = %s", rid)[0]

    def counts(self, rid):
        return (self.sql("SELECT count(*) FROM audit_log WHERE action = 'request.first_read.verify' AND object_id = %s"
                         " AND outcome = 'ok'", str(rid))[0][0],
                self.sql("SELECT count(*) FROM request_events WHERE request_id = %s AND detail->>'event' LIKE"
                         " 'first_read_%%'", rid)[0][0])

    def test_staff_verifies_audit_timeline_and_triage(self):
        rid = new_request(self, self.patient["id"], birads="2", reviewer_id=self.reviewer["id"])
        page = self.c["staff"].get("/staff/requests/%d" % rid)
        self.assertEqual(page.status, 200)
        text = html.unescape(page.text)
        self.assertIn("The first read is unverified", text)
        self.assertIn("As you told us", text)
        self.assertIn("first read unverified", text)
        q = self.c["staff"].get("/staff/queue?q=%s" % self.sql("SELECT reference FROM requests WHERE id = %s", rid)[0][0])
        self.assertIn("unverified: as the patient told us", q.text)
        self.assertIn("6 Routine", q.text)
        r = self.c["staff"].post("/staff/requests/%d/first-read" % rid, GOOD)
        self.assertEqual(r.status, 303)
        self.assertEqual(self.verified(rid), ("4B", "biopsy", "benign", "2026-10-05", "2026-10-01", self.staff["id"], True))
        self.assertEqual(self.counts(rid), (1, 1))
        audit = self.sql("SELECT actor_id, patient_id, detail FROM audit_log WHERE action = 'request.first_read.verify'"
                         " AND object_id = %s", str(rid))[0]
        self.assertEqual(audit[0], self.staff["id"])
        self.assertEqual(audit[1], self.patient["id"])
        self.assertEqual(sorted(audit[2]["changed"]), ["biopsy", "birads"])
        ev = self.sql("SELECT internal, detail FROM request_events WHERE request_id = %s AND kind = 'note'"
                      " ORDER BY id DESC LIMIT 1", rid)[0]
        self.assertTrue(ev[0])  # staff timeline only
        self.assertEqual(ev[1]["event"], "first_read_corrected")
        self.assertIn("BI-RADS 4B", ev[1]["verified"])
        self.assertIn("As the patient told us: BI-RADS 2", ev[1]["previous"])
        self.assertTrue(r.header("Location").endswith("#first-read"))
        page = html.unescape(self.c["staff"].get(r.header("Location").split("#")[0]).text)
        self.assertIn("The first read is saved as verified", page)
        self.assertIn("Verified from the uploaded report by Sam Staff", page)
        self.assertNotIn("The first read is unverified", page)
        self.assertIn("As you told us", page)
        self.assertRegex(page, r'id="first-read-patient">\s*<dt>Category</dt><dd>BI-RADS 2')
        self.assertIn("Benign (2026-10-05)", page)
        # the timeline says it in words
        timeline = page[page.index('id="timeline-h"'):]
        self.assertIn("First read corrected from the uploaded report", timeline)
        self.assertIn("BI-RADS 4B", timeline)
        self.assertNotIn("Message to the patient", timeline)
        # triage uses the verified values: a benign biopsy on a 4B is class 3, flagged
        ref = self.sql("SELECT reference FROM requests WHERE id = %s", rid)[0][0]
        q = self.c["staff"].get("/staff/queue?q=%s" % ref).text
        self.assertIn("3 Suspicious or biopsy pending", q)
        self.assertIn("check concordance", q)
        self.assertIn("verified", q)
        # the patient's answers did not change
        self.assertEqual(self.sql("SELECT birads, biopsy_done FROM requests WHERE id = %s", rid)[0], ("2", False))
        # confirming the same values again: audited, "confirmed" on the timeline
        self.assertEqual(self.c["staff"].post("/staff/requests/%d/first-read" % rid, GOOD).status, 303)
        self.assertEqual(self.counts(rid), (2, 2))
        ev = self.sql("SELECT detail->>'event' FROM request_events WHERE request_id = %s ORDER BY id DESC LIMIT 1", rid)
        self.assertEqual(ev[0][0], "first_read_confirmed")

    def test_errors_next_to_fields_values_kept_nothing_changes(self):
        rid = new_request(self, self.patient["id"], birads="3")
        bad = [
            ({"fr_birads": "4D"}, "fr_birads"),
            ({"fr_birads": ""}, "fr_birads"),
            ({"fr_recommendation": "surgery"}, "fr_recommendation"),
            ({"fr_biopsy": "maybe"}, "fr_biopsy"),
            ({"fr_biopsy_date": ""}, "fr_biopsy_date"),
            ({"fr_biopsy": "none"}, "fr_biopsy_date"),  # a date with no biopsy
            ({"fr_biopsy_date": "2026-02-30"}, "fr_biopsy_date"),
            ({"fr_exam_date": "3000-01-01"}, "fr_exam_date"),
            ({"fr_exam_date": "01/10/2026"}, "fr_exam_date"),
        ]
        for over, field in bad:
            form = dict(GOOD, **over)
            r = self.c["staff"].post("/staff/requests/%d/first-read" % rid, form)
            self.assertEqual(r.status, 422, over)
            self.assertIn('id="%s-error"' % field, r.text, over)
            self.assertEqual(r.text.count('class="field-error" id="fr_'), 1, over)
            # what was typed is kept
            for k, v in form.items():
                if k in ("fr_biopsy_date", "fr_exam_date"):
                    self.assertIn('name="%s" type="date" value="%s"' % (k, html.escape(v, quote=True)), r.text, over)
            if form["fr_birads"] in ("4B",):
                self.assertIn('<option value="4B" selected>', r.text)
            if form["fr_biopsy"] in ("benign", "none"):
                self.assertRegex(r.text, r'value="%s" checked' % form["fr_biopsy"])
            self.assertEqual(self.verified(rid)[6], False)
        self.assertEqual(self.counts(rid), (0, 0))

    def test_assigned_reviewer_can_others_cannot(self):
        rid = new_request(self, self.patient["id"], birads="0", reviewer_id=self.reviewer["id"])
        page = self.c["reviewer"].get("/reviewer/cases/%d" % rid)
        self.assertEqual(page.status, 200)
        self.assertIn("The first read is unverified", html.unescape(page.text))
        self.assertIn('action="/reviewer/cases/%d/first-read"' % rid, page.text)
        form = dict(GOOD, fr_birads="0", fr_recommendation="additional_imaging", fr_biopsy="none", fr_biopsy_date="")
        # refused: another reviewer (404), the patient (403 on both routes), nothing changes
        self.assertEqual(self.c["other_reviewer"].post("/reviewer/cases/%d/first-read" % rid, form).status, 404)
        self.assertEqual(self.c["patient"].post("/reviewer/cases/%d/first-read" % rid, form).status, 403)
        self.assertEqual(self.c["patient"].post("/staff/requests/%d/first-read" % rid, form).status, 403)
        self.assertEqual(self.c["reviewer"].post("/staff/requests/%d/first-read" % rid, form).status, 403)
        self.assertEqual(self.verified(rid)[6], False)
        self.assertEqual(self.counts(rid), (0, 0))
        denied = self.sql("SELECT count(*) FROM audit_log WHERE object_id = %s AND outcome = 'denied'"
                          " AND actor_id = %s", str(rid), self.other_reviewer["id"])[0][0]
        self.assertGreaterEqual(denied, 1)
        # an error on the reviewer's page: 422, next to the field
        r = self.c["reviewer"].post("/reviewer/cases/%d/first-read" % rid, dict(form, fr_birads="9"))
        self.assertEqual(r.status, 422)
        self.assertIn('id="fr_birads-error"', r.text)
        # the assigned reviewer can
        r = self.c["reviewer"].post("/reviewer/cases/%d/first-read" % rid, form)
        self.assertEqual(r.status, 303)
        self.assertEqual(self.verified(rid)[:3], ("0", "additional_imaging", "none"))
        self.assertEqual(self.verified(rid)[5], self.reviewer["id"])
        self.assertEqual(self.counts(rid), (1, 1))
        page = html.unescape(self.c["reviewer"].get(r.header("Location").split("#")[0]).text)
        self.assertIn("BI-RADS 0", page)  # a 0 is shown, never "not given"
        self.assertIn("Verified from the uploaded report by Rita Reader", page)

    def test_draft_and_unknown_are_not_found(self):
        rid = new_request(self, self.patient["id"], status="draft")
        self.assertEqual(self.c["staff"].post("/staff/requests/%d/first-read" % rid, GOOD).status, 404)
        self.assertEqual(self.c["staff"].post("/staff/requests/999999/first-read", GOOD).status, 404)
        self.assertEqual(self.verified(rid)[6], False)

    # ---- due dates ----

    def due(self, rid):
        return self.sql("SELECT to_char(due_on, 'YYYY-MM-DD'), due_cannot_meet FROM requests WHERE id = %s", rid)[0]

    def test_due_date_capped_by_treatment_and_flagged(self):
        today = self.sql("SELECT current_date")[0][0]
        # a 2 (class 6): the reread target is 7 days; treatment in 6 days caps it
        rid = new_request(self, self.patient["id"], birads="2", treatment_days=6, days_ago=0,
                          reviewer_id=self.reviewer["id"])
        cap = working_days_before(today + datetime.timedelta(days=6), 2)
        self.assertEqual(self.due(rid), (min(today + datetime.timedelta(days=7), cap).isoformat(), False))
        # treatment tomorrow: two working days before it has passed: flagged, due on the cap
        rid2 = new_request(self, self.patient["id"], birads="6", treatment_days=1, days_ago=0,
                           reviewer_id=self.reviewer["id"])
        cap2 = working_days_before(today + datetime.timedelta(days=1), 2)
        self.assertEqual(self.due(rid2), (cap2.isoformat(), True))
        page = self.c["staff"].get("/staff/requests/%d" % rid2).text
        self.assertIn("cannot be met before the treatment date", page)
        self.assertIn("Due %s" % cap2.isoformat(), page)
        ref2 = self.sql("SELECT reference FROM requests WHERE id = %s", rid2)[0][0]
        q = self.c["staff"].get("/staff/queue?q=%s" % ref2).text
        self.assertIn("cannot be met before the treatment date", q)
        self.assertIn("1 Treatment within 14 days", q)
        # the same due date for the reviewer (worklist and case) and the patient
        self.assertIn("Due %s" % cap2.isoformat(), self.c["reviewer"].get("/reviewer/cases/%d" % rid2).text)
        self.assertIn(cap2.isoformat(), self.c["reviewer"].get("/reviewer/cases").text)
        self.assertIn(cap2.isoformat(), self.c["patient"].get("/requests/%d" % rid2).text)

    def test_past_treatment_date_flagged_no_cap_no_raise(self):
        today = self.sql("SELECT current_date")[0][0]
        rid = new_request(self, self.patient["id"], birads="4A", treatment_days=-60, days_ago=0)
        # class 3 target 5 days, capped by reread (7): 5; the past date does not cap it
        self.assertEqual(self.due(rid), ((today + datetime.timedelta(days=5)).isoformat(), False))
        ref = self.sql("SELECT reference FROM requests WHERE id = %s", rid)[0][0]
        q = self.c["staff"].get("/staff/queue?q=%s" % ref).text
        self.assertIn("treatment date has passed — confirm", html.unescape(q))
        self.assertIn("3 Suspicious or biopsy pending", q)
        self.assertIn("treatment date has passed — confirm", html.unescape(self.c["staff"].get("/staff/requests/%d" % rid).text))

    def test_verification_moves_the_due_date(self):
        today = self.sql("SELECT current_date")[0][0]
        rid = new_request(self, self.patient["id"], birads="2", days_ago=0)
        self.assertEqual(self.due(rid)[0], (today + datetime.timedelta(days=7)).isoformat())
        form = dict(GOOD, fr_birads="5", fr_biopsy="pending", fr_biopsy_date=today.isoformat())
        self.assertEqual(self.c["staff"].post("/staff/requests/%d/first-read" % rid, form).status, 303)
        self.assertEqual(self.due(rid)[0], (today + datetime.timedelta(days=3)).isoformat())  # class 2: 3 days

    def test_counts_follow_status_changes(self):
        def kept():
            return dict(self.sql("SELECT status, sum(n)::bigint FROM request_counts GROUP BY status"))

        def real():
            return dict(self.sql("SELECT status, count(*) FROM requests GROUP BY status"))
        new_request(self, self.patient["id"], status="submitted")
        rid = new_request(self, self.patient["id"], status="triage")
        self.assertEqual({k: v for k, v in kept().items() if v}, real())
        self.sql("UPDATE requests SET status = 'accepted' WHERE id = %s", rid)
        self.assertEqual({k: v for k, v in kept().items() if v}, real())
        overdue_kept = self.sql("SELECT coalesce(sum(n), 0) FROM request_counts WHERE due_on < current_date AND status"
                                " IN ('submitted', 'triage', 'needs_info', 'accepted', 'scheduled', 'in_review')")[0][0]
        overdue_real = self.sql("SELECT count(*) FROM requests WHERE due_on < current_date AND status"
                                " IN ('submitted', 'triage', 'needs_info', 'accepted', 'scheduled', 'in_review')")[0][0]
        self.assertEqual(overdue_kept, overdue_real)
        self.assertIn('Overdue <span class="badge warn">%d</span>' % overdue_real, self.c["staff"].get("/staff/queue").text)
