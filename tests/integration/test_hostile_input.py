"""Stored HTML injection (issue 10, item 1): hostile text typed by a patient
through the real forms (facility, records contact, prior exam dates, reason,
questions, caregiver, coverage plan, messages, follow-up questions) and by
center users (notes, requests for information, report text) never comes out
unescaped on the staff request page, the staff queue, the reviewer's pages or
the patient's pages."""
import re

import harness
from accounts_helpers import login, make_user
from test_requests import RECENT, add_doc
from test_triage import add_specialist

META = '<meta http-equiv="refresh" content="0;url=http://evil.example/">'
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
HOSTILE = META + " " + IMG + " " + JS

RAW_MARKERS = ("<meta http-equiv", "<img src=x", 'href="javascript:', "href='javascript:", 'src="javascript:',
               'action="javascript:')
ESCAPED = "&lt;meta http-equiv=&quot;refresh&quot;"


class HostileInputTest(harness.ServerTestCase):

    def assertClean(self, client, path, expect_escaped=True):
        r = client.get(path)
        self.assertEqual(r.status, 200, "%s: %d %s" % (path, r.status, r.text[:300]))
        for m in RAW_MARKERS:
            self.assertNotIn(m, r.text, "%s shows %r unescaped" % (path, m))
        if expect_escaped:
            self.assertIn(ESCAPED, r.text, "%s does not show the stored value at all" % path)
        return r.text

    def test_hostile_values_stay_text_on_every_page(self):
        pat_user = make_user(self.server, "patient", name="Jane " + IMG)
        staff_user = make_user(self.server, "staff")
        rev_user = make_user(self.server, "reviewer")
        spec = add_specialist(self, rev_user["id"], name="Dr. Rita Reader")
        pat, staff, rev = self.client(), self.client(), self.client()
        login(pat, pat_user)
        login(staff, staff_user)
        login(rev, rev_user)

        r = pat.post("/requests/new", {})
        self.assertEqual(r.status, 303)
        rid = int(re.match(r"^/requests/(\d+)/steps/exam$", r.header("Location")).group(1))
        exam = {"filled_by": "caregiver", "caregiver_name": "Care " + META, "caregiver_relationship": "Son " + IMG,
                "facility": HOSTILE, "records_contact": HOSTILE, "exam_date": RECENT.isoformat(),
                "prior_exam_dates": HOSTILE[:200], "exam_type": ["diagnostic_mammogram"], "birads": "0",
                "biopsy": "no", "reason": HOSTILE, "q1": HOSTILE, "q2": JS, "go": "next"}
        r = pat.post("/requests/%d/steps/exam" % rid, exam)
        self.assertEqual(r.status, 303, re.findall(r'class="field-error"[^>]*>([^<]*)', r.text))
        for kind in ("radiology_report", "photo_id", "insurance_card"):
            add_doc(self.server, rid, kind)
        add_doc(self.server, rid, "images", "dicom", RECENT.strftime("%Y%m%d"))
        page = pat.get("/requests/%d/steps/authorization" % rid)
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page.text).group(1)
        r = pat.post("/requests/%d/steps/authorization" % rid,
                     {"full_name": pat_user["name"], "confirm": "1", "text_sha256": sha})
        self.assertEqual(r.status, 303, r.text[:500])
        r = pat.post("/requests/%d/steps/specialist" % rid,
                     {"review_type": "reread", "review_mode": "remote", "specialist": str(spec)})
        self.assertEqual(r.status, 303, r.text[:500])
        r = pat.post("/requests/%d/steps/coverage" % rid,
                     {"payment": "insurance", "plan": HOSTILE[:100], "member_id": "XK-99881234", "referral": "no",
                      "ack": "1"})
        self.assertEqual(r.status, 303, r.text[:500])

        # the patient's own pages while it is a draft
        for step in ("exam", "records", "coverage", "review"):
            self.assertClean(pat, "/requests/%d/steps/%s" % (rid, step), expect_escaped=step != "records")
        self.assertClean(pat, "/requests/%d/letter" % rid)

        r = pat.post("/requests/%d/submit" % rid, {})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(pat.post("/requests/%d/messages" % rid, {"body": HOSTILE}).status, 303)
        self.assertClean(pat, "/requests/%d" % rid)
        self.assertClean(pat, "/requests", expect_escaped=False)

        # staff: the queue and the request page, then notes and a request for information
        self.assertClean(staff, "/staff/queue", expect_escaped=False)
        text = self.assertClean(staff, "/staff/requests/%d" % rid)
        self.assertIn("<dd>0 — ", text, "a BI-RADS 0 is shown, not hidden as 'not given'")

        def act(action, frm, extra=None):
            form = {"from": frm}
            form.update(extra or {})
            r = staff.post("/staff/requests/%d/%s" % (rid, action), form)
            self.assertEqual(r.status, 303, "%s: %d %s" % (action, r.status, r.text[:300]))

        act("claim", "submitted")
        act("note", "triage", {"note": HOSTILE})
        act("coverage", "triage", {"insurance_verified": "yes", "network_status": "in_network",
                                   "coverage_notes": HOSTILE})
        act("ask-info", "triage", {"missing": ["pathology_report"], "message": HOSTILE})
        self.assertClean(pat, "/requests/%d" % rid)
        self.assertEqual(pat.post("/requests/%d/info-sent" % rid, {}).status, 303)
        act("accept", "triage")
        act("assign", "accepted", {"specialist": str(spec)})
        act("schedule", "accepted", {"date": "2031-05-04", "time": "09:30", "place": HOSTILE[:100]})
        self.assertClean(staff, "/staff/requests/%d" % rid)
        self.assertClean(staff, "/staff/queue", expect_escaped=False)

        # the reviewer
        self.assertClean(rev, "/reviewer/cases", expect_escaped=False)
        self.assertClean(rev, "/reviewer/cases/%d" % rid)
        self.assertEqual(rev.post("/reviewer/cases/%d/start" % rid, {"from": "scheduled"}).status, 303)
        form = {"findings_left": HOSTILE, "findings_right": HOSTILE, "birads": "4B", "density": "C",
                "recommendation": "biopsy", "answers": HOSTILE, "summary": HOSTILE, "explanation": HOSTILE}
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, action="save"))
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertClean(rev, "/reviewer/cases/%d" % rid)
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, action="sign", credential=rev_user["password"]))
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertClean(rev, "/reviewer/cases/%d/report/print" % rid)
        act("release", "report_ready")

        # the patient reads the report and asks a follow-up question; the reviewer answers
        self.assertClean(pat, "/requests/%d/report" % rid)
        self.assertEqual(pat.post("/requests/%d/report/questions" % rid, {"question": HOSTILE}).status, 303)
        self.assertClean(rev, "/reviewer/cases/%d" % rid)
        qid = self.sql("SELECT q.id FROM report_questions q JOIN reports r ON r.id = q.report_id WHERE r.request_id = %s ORDER BY q.id LIMIT 1", rid)[0][0]
        r = rev.post("/reviewer/cases/%d/addenda" % rid, {"body": HOSTILE, "question_id": str(qid),
                                                          "credential": rev_user["password"]})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertClean(pat, "/requests/%d/report" % rid)
        self.assertClean(staff, "/staff/requests/%d" % rid)
        self.assertClean(pat, "/requests/%d" % rid)
