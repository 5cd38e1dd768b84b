"""Two reads, one safe answer (issue 12, items 1-4 and 7), through the real
binary: signing stores the verdict the truth table gives (no verdict without a
verified first read), a category that contradicts its recommendation needs a
reason, a saved draft keeps every field (answers sealed at rest), the preview
endpoint answers with the same computation, a significant unexpected finding
blocks the release until the call to the referring physician is recorded
(audited, on the timeline, in /metrics), e-mails carry no clinical word, and
answers stored in plaintext before migration 0016 are sealed at start-up.

Run: SECONDOP_BIN=$PWD/build-dev/secondop /usr/bin/python3 tests/integration/run.py test_concordance
"""
import csv
import os
import re

import accounts_helpers
import harness
from accounts_helpers import login, make_user
from test_triage import add_specialist, new_request

DATA = os.path.join(harness.ROOT, "tests", "data")
CLINICAL = ("BI-RADS", "biopsy", "Biopsy", "cancer", "malignan", "concordan", "upgraded", "downgraded", "incomplete",
            "suspicion", "oncolog", "surgeon", "Jane", "Doe")


def table(name):
    with open(os.path.join(DATA, name)) as f:
        return list(csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"))


def wording():
    return {r["key"]: r for r in table("concordance_wording.tsv")}


def truth():
    """(first_birads, first_rec, state, second_birads, second_rec) -> row of concordance.tsv."""
    return {(r["first_birads"], r["first_rec"], r["first_state"], r["second_birads"], r["second_rec"]): r
            for r in table("concordance.tsv")}


class ConcordanceTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"])
        cls.c = {}
        for role, u in (("patient", cls.patient), ("staff", cls.staff), ("reviewer", cls.reviewer),
                        ("other_reviewer", cls.other_reviewer)):
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)
        cls.truth = truth()
        cls.words = wording()

    def case(self, birads="2", verified=None):
        """A request in review; verified = (category, recommendation) from the report, or None."""
        rid, _ = new_request(self, self.patient["id"], "in_review", birads=birads, reviewer_id=self.reviewer["id"],
                             specialist_id=self.spec)
        if verified:
            self.sql("UPDATE requests SET verified_birads = %s, verified_recommendation = %s, verified_biopsy = 'none',"
                     " verified_by = %s, verified_at = now() WHERE id = %s", verified[0], verified[1],
                     self.staff["id"], rid)
        return rid

    def form(self, **kw):
        f = {"findings_left": "Left: see above.", "findings_right": "Right: no findings.", "birads": "2",
             "density": "B", "recommendation": "routine_screening", "answers": "Private answer text 4711.",
             "summary": "Plain summary.", "explanation": ""}
        f.update(kw)
        return f

    def sign(self, rid, **kw):
        return self.c["reviewer"].post("/reviewer/cases/%d/report" % rid,
                                       dict(self.form(**kw), action="sign", credential=self.reviewer["password"]))

    def stored(self, rid):
        return self.sql("SELECT status, concordance, suspicion_change, first_read_state, concordance_rules,"
                        " first_birads, first_recommendation FROM reports WHERE request_id = %s", rid)[0]

    def test_sign_stores_the_verdict_of_the_truth_table(self):
        # (patient's answer, verified (category, recommendation) or None, second category, second recommendation)
        cases = [
            ("2", None, "4B", "biopsy"),                            # unverified: no verdict, whatever she said
            ("unknown", None, "2", "routine_screening"),            # unknown: no verdict
            ("2", ("2", "unknown"), "1", "routine_screening"),      # 2 -> 1: concordant (same management)
            ("4A", ("4A", "biopsy"), "4C", "biopsy"),               # same next step, higher suspicion
            ("5", ("5", "biopsy"), "0", "additional_imaging"),      # second read 0: incomplete
            ("6", ("6", "surgical_consultation"), "5", "biopsy"),   # away from treatment: downgraded
            ("0", ("0", "additional_imaging"), "4B", "biopsy"),     # first read 0 -> tissue: upgraded
            ("0", ("0", "unknown"), "3", "short_interval_followup"),  # first read 0 -> 3: downgraded
            ("2", ("unknown", "unknown"), "2", "routine_screening"),  # verified, report states nothing
        ]
        for patient_b, verified, b2, r2 in cases:
            with self.subTest(patient=patient_b, verified=verified, second=(b2, r2)):
                rid = self.case(patient_b, verified)
                r = self.sign(rid, birads=b2, recommendation=r2)
                self.assertEqual(r.status, 303, r.text[:400])
                if verified is None:
                    state, b1, r1 = ("unknown" if patient_b == "unknown" else "unverified"), patient_b, "-"
                else:
                    state, b1 = "verified", verified[0]
                    r1 = verified[1] if verified[1] != "unknown" else "-"
                want = self.truth[(b1, r1, state, b2, r2)]
                row = self.stored(rid)
                self.assertEqual(row[0], "signed")
                self.assertEqual(row[1], want["verdict"])
                self.assertEqual(row[2], "" if want["suspicion"] == "-" else want["suspicion"])
                self.assertEqual(row[3], state)
                self.assertEqual(row[4], 2)
                # the patient reads exactly the table's sentence once released
                if self.sql("SELECT count(*) FROM communication_tasks WHERE request_id = %s", rid)[0][0]:
                    self.assertEqual(self.c["staff"].post("/staff/requests/%d/communication" % rid, {
                        "whom": "Dr. Paula Primary", "at": "2026-01-05 10:30", "how": "phone"}).status, 303)
                r = self.c["staff"].post("/staff/requests/%d/release" % rid, {"from": "report_ready"})
                self.assertEqual(r.status, 303, r.text[:300])
                page = self.c["patient"].get("/requests/%d/report" % rid).text
                key = want["verdict"] + "/" + (want["why"] if want["verdict"] == "no_verdict" else
                                               want["first_mgmt"] if want["verdict"] in ("concordant", "incomplete")
                                               else want["first_mgmt"] + "/" + want["second_mgmt"])
                sentence = self.words[key]["sentence"].replace("'", "&#39;")
                self.assertIn(sentence, page)
                if want["suspicion"] == "higher":
                    self.assertIn(self.words["suspicion/higher"]["sentence"].replace("'", "&#39;"), page)
                offers = self.words[key]["third_opinion"] == "yes"
                self.assertEqual('id="next-steps"' in page, offers)
                if want["verdict"] == "no_verdict":
                    self.assertNotIn("agrees", page)

    def test_contradiction_needs_a_reason(self):
        rid = self.case("2", ("2", "routine_screening"))
        r = self.sign(rid, birads="5", recommendation="routine_screening")
        self.assertEqual(r.status, 422)
        self.assertRegex(r.text, r'id="contradiction_reason-error">BI-RADS category and recommendation point to')
        self.assertEqual(self.sql("SELECT count(*) FROM reports WHERE request_id = %s AND status = 'signed'", rid),
                         [(0,)])
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "in_review")
        # the same with a reason is signed, and the reason is kept with the report
        r = self.sign(rid, birads="5", recommendation="routine_screening",
                      contradiction_reason="Known fat necrosis, stable for 4 years; patient declines biopsy.")
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertEqual(self.sql("SELECT contradiction_reason FROM reports WHERE request_id = %s", rid)[0][0],
                         "Known fat necrosis, stable for 4 years; patient declines biopsy.")
        pr = self.c["reviewer"].get("/reviewer/cases/%d/report/print" % rid).text
        self.assertIn("Known fat necrosis", pr)
        self.assertIn("BI-RADS 5 — highly suggestive of malignancy", pr)
        # a draft never needs the reason; every row of the table agrees with the server
        for row in table("birads_contradictions.tsv"):
            rid = self.case("2", ("2", "routine_screening"))
            r = self.c["reviewer"].post("/reviewer/cases/%d/report/preview" % rid,
                                        {"birads": row["birads"], "recommendation": row["recommendation"]})
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["contradiction"], row["contradicts"] == "yes", row)

    def test_draft_round_trip_keeps_every_field(self):
        rid = self.case("3", ("3", "short_interval_followup"))
        f = self.form(findings_left="Clustered calcifications 5 mm.", birads="0", density="D",
                      recommendation="biopsy", first_recommendation="additional_imaging",
                      answers="Your answers, sealed.", summary="A summary.", explanation="My comparison.",
                      contradiction_reason="Calcifications need tissue; no further imaging would help.")
        r = self.c["reviewer"].post("/reviewer/cases/%d/report" % rid, dict(f, action="save"))
        self.assertEqual(r.status, 303)
        page = self.c["reviewer"].get("/reviewer/cases/%d" % rid).text
        for name in ("findings_left", "findings_right", "answers", "summary", "explanation", "contradiction_reason"):
            self.assertIn('name="%s"' % name, page)
            self.assertIn(f[name].replace("'", "&#39;") + "</textarea>", page, name)
        for name in ("birads", "density", "recommendation", "first_recommendation"):
            sel = re.search(r'<select id="f-%s" name="%s">(.*?)</select>' % (name, name), page, re.S).group(1)
            self.assertIn('<option value="%s" selected>' % f[name], sel, name)
            self.assertEqual(sel.count(" selected>"), 1, name)
        # BI-RADS 0 is shown as 0 in the form, never as nothing chosen
        self.assertNotIn('<option value="" selected>Choose', re.search(
            r'<select id="f-birads".*?</select>', page, re.S).group(0))
        # the answers are sealed at rest like the findings
        row = self.sql("SELECT answers, answers_enc FROM reports WHERE request_id = %s", rid)[0]
        self.assertEqual(row[0], "")
        self.assertNotIn(b"sealed", bytes(row[1]))
        # the preview on the page already uses the typed first recommendation
        self.assertIn("Additional imaging", re.search(r'id="preview-first">(.*?)</dd>', page, re.S).group(1))

    def test_preview_is_the_signing_computation(self):
        rid = self.case("4A", ("4A", "biopsy"))
        rev = self.c["reviewer"]
        r = rev.post("/reviewer/cases/%d/report/preview" % rid, {"birads": "4C", "recommendation": "biopsy"})
        self.assertEqual(r.status, 200)
        self.assertIn("application/json", r.header("Content-Type"))
        j = r.json()
        self.assertEqual(j["verdict"], "concordant")
        self.assertEqual(j["suspicion_label"], "Same next step, higher suspicion")
        self.assertEqual(j["patient_sentence"], self.words["concordant/tissue"]["sentence"])
        self.assertFalse(j["offer_third"])
        j = rev.post("/reviewer/cases/%d/report/preview" % rid, {"birads": "2", "recommendation": ""}).json()
        self.assertEqual(j["verdict"], "downgraded")
        self.assertEqual(j["patient_sentence"], self.words["downgraded/tissue/routine"]["sentence"])
        # CSRF, ownership, bad values; nothing is stored
        self.assertEqual(rev.post("/reviewer/cases/%d/report/preview" % rid, {"birads": "4C"}, csrf=False).status, 403)
        self.assertEqual(self.c["other_reviewer"].post("/reviewer/cases/%d/report/preview" % rid,
                                                       {"birads": "4C"}).status, 404)
        self.assertEqual(self.c["staff"].post("/reviewer/cases/%d/report/preview" % rid, {"birads": "4C"}).status, 403)
        r = rev.post("/reviewer/cases/%d/report/preview" % rid, {"birads": "7"})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.sql("SELECT count(*) FROM reports WHERE request_id = %s", rid)[0][0], 0)
        # sign with the same fields: the stored verdict is the previewed one
        self.assertEqual(self.sign(rid, birads="4C", recommendation="biopsy").status, 303)
        self.assertEqual(self.stored(rid)[1:3], ("concordant", "higher"))

    def test_communication_task_blocks_release_until_logged(self):
        staff = self.c["staff"]
        rid = self.case("2", ("2", "routine_screening"))
        self.assertEqual(self.sign(rid, birads="4B", recommendation="biopsy").status, 303)
        self.assertEqual(self.stored(rid)[1], "upgraded")
        task = self.sql("SELECT logged_at, due_at > created_at FROM communication_tasks WHERE request_id = %s", rid)
        self.assertEqual(task, [(None, True)])
        # at the top of the queue, counted in /metrics
        before = self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
        q = staff.get("/staff/queue").text
        self.assertIn('id="comm-tasks"', q)
        self.assertLess(q.index('id="comm-tasks"'), q.index('class="filters'))
        self.assertIn('/staff/requests/%d#comm-task' % rid, q)
        # the list read with the queue's page is audited in the queue's transaction: one
        # communication.list row, then the queue_view row, both of this page view
        rows = self.sql("SELECT action, request_id FROM audit_log WHERE id > %s ORDER BY id", before)
        self.assertEqual([a for a, _ in rows], ["communication.list", "triage.queue_view"])
        self.assertEqual(rows[0][1], rows[1][1])
        admin = self.server.client()
        login(admin, make_user(self.server, "admin"))
        m = admin.get("/metrics").text
        self.assertRegex(m, r"secondop_communication_tasks_open [1-9]")
        # release refused, with the reason next to the task, nothing released
        r = staff.post("/staff/requests/%d/release" % rid, {"from": "report_ready"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="communication-error"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM report_releases rr JOIN reports r ON r.id = rr.report_id"
                                  " WHERE r.request_id = %s", rid)[0][0], 0)
        # bad input: errors next to the fields, nothing recorded
        r = staff.post("/staff/requests/%d/communication" % rid, {"whom": "", "at": "2026-02-31 10:00", "how": "pigeon"})
        self.assertEqual(r.status, 422)
        for field in ("whom", "at", "how"):
            self.assertIn('id="%s-error"' % field, r.text)
        r = staff.post("/staff/requests/%d/communication" % rid, {"whom": "Dr. X", "at": "2099-01-01 10:00", "how": "phone"})
        self.assertEqual(r.status, 422)
        self.assertIsNone(self.sql("SELECT logged_at FROM communication_tasks WHERE request_id = %s", rid)[0][0])
        # other roles cannot record it
        self.assertEqual(self.c["reviewer"].post("/staff/requests/%d/communication" % rid,
                                                 {"whom": "Dr. X", "at": "2026-01-05 10:30", "how": "phone"}).status, 403)
        r = staff.post("/staff/requests/%d/communication" % rid,
                       {"whom": "Dr. Paula Primary", "at": "2026-01-05T10:30", "how": "phone", "note": "Read back."})
        self.assertEqual(r.status, 303)
        page = staff.get("/staff/requests/%d" % rid).text
        self.assertIn("Reached Dr. Paula Primary on 2026-01-05 10:30 UTC (Phone call)", page)
        self.assertIn("Referring physician reached", page)  # the timeline
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'communication.log'"
                                  " AND object_id = %s AND outcome = 'ok'", str(rid))[0][0], 1)
        self.assertEqual(staff.post("/staff/requests/%d/communication" % rid,
                                    {"whom": "Dr. Y", "at": "2026-01-05 10:30", "how": "fax"}).status, 409)
        self.assertEqual(staff.post("/staff/requests/%d/release" % rid, {"from": "report_ready"}).status, 303)
        self.assertNotIn("/staff/requests/%d#comm-task" % rid, staff.get("/staff/queue").text)
        # no task where the first read already recommended tissue diagnosis
        rid2 = self.case("4A", ("4A", "biopsy"))
        self.assertEqual(self.sign(rid2, birads="5", recommendation="biopsy").status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM communication_tasks WHERE request_id = %s", rid2)[0][0], 0)
        # e-mails carry no clinical word
        # (bodies are sealed at rest: read them the way an operator does)
        msgs = accounts_helpers.outbox_messages(self.server)
        self.assertGreater(len(msgs), 0, "signing and release notify someone")
        for m in msgs:
            for word in CLINICAL:
                self.assertNotIn(word, m["subject"] + m["body"])


class PatientAnswerTest(harness.ServerTestCase):
    """The patient's own answer, BI-RADS 0 included, on her review step and in the exam form's choices."""

    def test_category_zero_is_shown_to_the_patient(self):
        patient = make_user(self.server, "patient")
        c = self.client()
        login(c, patient)
        for cat, words in (("0", "0 – Incomplete: more imaging is needed before a conclusion."),
                           ("4C", "4C – High suspicion: a biopsy is advised."),
                           ("unknown", "I don&#39;t know, or the report does not say.")):
            rid, _ = new_request(self, patient["id"], "draft", birads=cat)
            page = c.get("/requests/%d/steps/review" % rid).text
            self.assertIn('<dd id="review-birads">%s</dd>' % words, page)
        exam = c.get("/requests/%d/steps/exam" % rid).text
        for cat in ("0", "1", "2", "3", "4", "4A", "4B", "4C", "5", "6", "unknown"):
            self.assertIn('value="%s"' % cat, exam)


class LegacyAnswersTest(harness.ServerTestCase):
    """Answers stored in plaintext before migration 0016 are sealed at start-up; the signed row keeps its hash."""

    def test_plaintext_answers_are_sealed_at_start(self):
        patient = make_user(self.server, "patient")
        reviewer = make_user(self.server, "reviewer")
        rid, _ = new_request(self, patient["id"], "report_ready", reviewer_id=reviewer["id"])
        self.sql("INSERT INTO reports (request_id, reviewer_id, status, birads, density, recommendation, summary,"
                 " answers, concordance, signed_at, signed_by, content_hash) VALUES (%s, %s, 'signed', '0', 'B',"
                 " 'additional_imaging', 'S.', 'Old plaintext answer 0815.', 'management_change', now(), %s,"
                 " repeat('b', 64))", rid, reviewer["id"], reviewer["id"])
        # the old verdict stays valid for old rows only
        with self.assertRaises(Exception):
            self.sql("INSERT INTO reports (request_id, reviewer_id, status, concordance_rules, concordance)"
                     " VALUES (%s, %s, 'draft', 2, 'management_change')", rid, reviewer["id"])
        self.server.stop()
        self.server.start()
        row = self.sql("SELECT answers, answers_enc IS NOT NULL, content_hash, status FROM reports WHERE request_id = %s",
                       rid)[0]
        self.assertEqual(row, ("", True, "b" * 64, "signed"))
        rev = self.client()
        login(rev, reviewer)
        page = rev.get("/reviewer/cases/%d" % rid).text
        self.assertIn("Old plaintext answer 0815.", page)
        self.assertIn("BI-RADS 0 — incomplete", page)
        self.assertIn("recorded under the earlier rules", page)
        # the signed row stays frozen otherwise
        with self.assertRaises(Exception):
            self.sql("UPDATE reports SET summary = 'x' WHERE request_id = %s", rid)
