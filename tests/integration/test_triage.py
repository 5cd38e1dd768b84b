"""The center's side (issue 7): the triage queue order on a fixture, every
staff action in every state (allowed ones change what they should, refused
and forged ones change nothing), internal notes never shown to the patient,
the reviewer's report (wrong password refused, signing freezes it, addenda,
release, the patient's page and follow-up questions), notification e-mails
without clinical content, /metrics, and the route x role table for every new
route.

Run: SECONDOP_BIN=$PWD/build-center/secondop /usr/bin/python3 tests/integration/run.py test_triage
"""
import itertools
import re
import subprocess
import time

import harness
from accounts_helpers import login, make_user, outbox_messages

_ref = itertools.count(1)

STATES = ["submitted", "triage", "needs_info", "accepted", "scheduled", "in_review", "report_ready", "closed",
          "declined", "withdrawn"]


def new_request(t, patient_id, status="submitted", birads="2", biopsy=False, treatment=None, days_ago=1,
                reviewer_id=None, specialist_id=None, exam_types=("diagnostic_mammogram",), questions=()):
    ref = "SO-T-%05d" % next(_ref)
    rows = t.sql(
        "INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, treatment_date, submitted_at,"
        " exam_types, review_type, review_mode, exam_facility, reason, questions, assigned_reviewer_id,"
        " assigned_specialist_id, exam_saved_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, now() - make_interval(days => %s), %s, 'reread', 'remote',"
        " 'Valley Imaging', 'I want to be sure', %s, %s, %s, now()) RETURNING id",
        ref, patient_id, status, birads, biopsy, treatment, days_ago, list(exam_types), list(questions),
        reviewer_id, specialist_id)
    return rows[0][0], ref


def add_specialist(t, reviewer_id, name="Dr. Rita Reader", active=True):
    ext = "spec-%d" % next(_ref)
    return t.sql(
        "INSERT INTO specialists (external_id, full_name, credentials, institution, city, state, remote_review,"
        " offers_reread, fee_reread_cents, turnaround_days, reviewer_user_id, active)"
        " VALUES (%s, %s, 'MD', 'Mercy Breast Center', 'Austin', 'TX', true, true, 30000, 7, %s, %s) RETURNING id",
        ext, name, reviewer_id, active)[0][0]


def signed_report(t, request_id, reviewer_id, released_by=None):
    rid = t.sql(
        "INSERT INTO reports (request_id, reviewer_id, status, birads, density, recommendation, summary, concordance,"
        " signed_at, signed_by, content_hash) VALUES (%s, %s, 'signed', '2', 'B', 'routine_screening', 'Fine.',"
        " 'concordant', now(), %s, repeat('a', 64)) RETURNING id", request_id, reviewer_id, reviewer_id)[0][0]
    if released_by:
        t.sql("INSERT INTO report_releases (report_id, released_by) VALUES (%s, %s)", rid, released_by)
    return rid


def snapshot(t, rid):
    """Everything an action may change, to prove that a refused one changed nothing."""
    return (
        t.sql("SELECT status, updated_at, assigned_reviewer_id, assigned_specialist_id FROM requests WHERE id = %s", rid),
        t.sql("SELECT count(*) FROM request_events WHERE request_id = %s", rid),
        t.sql("SELECT staff_id FROM triage_claims WHERE request_id = %s", rid),
        t.sql("SELECT insurance_verified, network_status, notes FROM coverage_checks WHERE request_id = %s", rid),
        t.sql("SELECT count(*) FROM consultations WHERE request_id = %s", rid),
        t.sql("SELECT count(*) FROM report_releases rr JOIN reports r ON r.id = rr.report_id WHERE r.request_id = %s", rid),
        t.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid),
    )


# action -> (states where it is offered, params, status afterwards (None: unchanged))
ACTIONS = {
    "claim": ({"submitted"}, {}, "triage"),
    "ask-info": ({"triage"}, {"missing": ["pathology_report"], "message": "Please upload the pathology report."},
                 "needs_info"),
    "resume": ({"needs_info"}, {}, "triage"),
    "accept": ({"triage"}, {}, "accepted"),
    "assign": ({"triage", "accepted", "scheduled"}, {"specialist": None}, None),
    "schedule": ({"accepted", "scheduled"}, {"date": "2031-05-04", "time": "09:30", "place": "Building B, room 2"},
                 "scheduled"),
    "start": ({"accepted", "scheduled"}, {}, "in_review"),
    "decline": ({"triage", "needs_info", "accepted"}, {"reason": "We cannot read ultrasound-only exams."}, "declined"),
    "release": ({"report_ready"}, {}, None),
    "close": ({"report_ready"}, {}, "closed"),
    "coverage": ({"submitted", "triage", "needs_info", "accepted", "scheduled", "in_review"},
                 {"insurance_verified": "yes", "network_status": "in_network", "coverage_notes": "Checked by phone"},
                 None),
    "note": (set(STATES), {"note": "Internal: call the facility"}, None),
}


class CenterTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.other_patient = make_user(cls.server, "patient")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.admin = make_user(cls.server, "admin")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"])
        cls.other_spec = add_specialist(cls.server, cls.other_reviewer["id"], "Dr. Other")
        cls.unlinked_spec = add_specialist(cls.server, None, "Dr. No Account")
        cls.c = {}
        for role, u in (("patient", cls.patient), ("other_patient", cls.other_patient), ("staff", cls.staff),
                        ("reviewer", cls.reviewer), ("other_reviewer", cls.other_reviewer), ("admin", cls.admin)):
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)
        cls.c["anon"] = cls.server.client()
        cls.c["anon"].get("/login")

    def post_action(self, client, rid, action, frm, params):
        form = {"from": frm}
        for k, v in params.items():
            form[k] = v
        return client.post("/staff/requests/%d/%s" % (rid, action), form)

    def status(self, rid):
        return self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0]

    # ---- actions ----

    def test_every_action_in_every_state(self):
        failures = []
        staff = self.c["staff"]
        staff.get("/staff/queue")
        for action, (allowed, params, after) in ACTIONS.items():
            for state in STATES:
                rid, _ = new_request(self, self.patient["id"], state, reviewer_id=self.reviewer["id"],
                                     specialist_id=self.spec)
                if state == "report_ready":
                    signed_report(self, rid, self.reviewer["id"],
                                  released_by=self.staff["id"] if action == "close" else None)
                p = dict(params)
                if "specialist" in p:
                    p["specialist"] = str(self.other_spec)
                before = snapshot(self, rid)
                r = self.post_action(staff, rid, action, state, p)
                if state in allowed:
                    if r.status != 303:
                        failures.append("%s in %s: %d %s" % (action, state, r.status, r.text[:200]))
                        continue
                    want = after if after is not None else state
                    if action == "schedule" and state == "scheduled":
                        want = "scheduled"
                    if self.status(rid) != want:
                        failures.append("%s in %s: status %s, expected %s" % (action, state, self.status(rid), want))
                    if snapshot(self, rid) == before:
                        failures.append("%s in %s: nothing changed" % (action, state))
                else:
                    if r.status not in (403, 409):
                        failures.append("%s in %s: %d (expected 409 or 403)" % (action, state, r.status))
                    if snapshot(self, rid) != before:
                        failures.append("%s in %s: refused but something changed" % (action, state))
        self.assertEqual(failures, [])

    def test_effects_of_actions(self):
        staff = self.c["staff"]
        rid, _ = new_request(self, self.patient["id"], "submitted")
        self.assertEqual(self.post_action(staff, rid, "claim", "submitted", {}).status, 303)
        self.assertEqual(self.sql("SELECT staff_id FROM triage_claims WHERE request_id = %s", rid)[0][0], self.staff["id"])
        # ask for information: the patient sees exactly what is asked
        r = self.post_action(staff, rid, "ask-info", "triage",
                             {"missing": ["pathology_report", "referral"], "message": "Please send the pathology report."})
        self.assertEqual(r.status, 303)
        ev = self.sql("SELECT detail::text, internal FROM request_events WHERE request_id = %s AND to_status = 'needs_info'",
                      rid)[0]
        self.assertIn('"pathology_report"', ev[0])
        self.assertIn('"referral"', ev[0])
        self.assertIn("Please send the pathology report.", ev[0])
        self.assertFalse(ev[1], "what is asked must be visible to the patient")
        page = self.c["patient"].get("/requests/%d" % rid)
        self.assertEqual(page.status, 200)
        self.assertIn("Please send the pathology report.", page.text)
        # assign: only an active specialist linked to a reviewer account
        self.post_action(staff, rid, "resume", "needs_info", {})
        r = self.post_action(staff, rid, "assign", "triage", {"specialist": str(self.unlinked_spec)})
        self.assertEqual(r.status, 422)
        self.assertIn("reviewer account", r.text)
        self.assertIsNone(self.sql("SELECT assigned_reviewer_id FROM requests WHERE id = %s", rid)[0][0])
        r = self.post_action(staff, rid, "assign", "triage", {"specialist": str(self.spec)})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT assigned_reviewer_id, assigned_specialist_id FROM requests WHERE id = %s", rid)[0],
                         (self.reviewer["id"], self.spec))
        # bad parameters: the form comes back with the error next to the field, nothing changes
        self.assertEqual(self.post_action(staff, rid, "accept", "triage", {}).status, 303)
        before = snapshot(self, rid)
        r = self.post_action(staff, rid, "schedule", "accepted", {"date": "04/05/2031", "time": "25:00", "place": ""})
        self.assertEqual(r.status, 422)
        self.assertIn("YYYY-MM-DD", r.text)
        self.assertEqual(snapshot(self, rid), before)
        r = self.post_action(staff, rid, "schedule", "accepted", {"date": "2031-05-04", "time": "09:30", "place": "Building B"})
        self.assertEqual(r.status, 303)
        ics = self.c["patient"].get("/requests/%d/consultation.ics" % rid)
        self.assertEqual(ics.status, 200)
        self.assertIn("text/calendar", ics.header("Content-Type"))
        self.assertIn("DTSTART:20310504T093000", ics.text)
        self.assertIn("LOCATION:Building B", ics.text)
        self.assertEqual(self.c["other_patient"].get("/requests/%d/consultation.ics" % rid).status, 404)
        # a stale form (state moved meanwhile) is refused
        before = snapshot(self, rid)
        self.assertEqual(self.post_action(staff, rid, "accept", "triage", {}).status, 409)
        self.assertEqual(snapshot(self, rid), before)
        # every action wrote audit rows
        n = self.sql("SELECT count(*) FROM audit_log WHERE action = 'request.action' AND object_id = %s AND outcome = 'ok'",
                     str(rid))[0][0]
        self.assertGreaterEqual(n, 6)
        self.assertGreaterEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'request.action' AND object_id = %s"
                                         " AND outcome = 'denied'", str(rid))[0][0], 1)

    def test_forged_actions_by_other_roles_change_nothing(self):
        rid, _ = new_request(self, self.patient["id"], "triage", reviewer_id=self.reviewer["id"])
        before = snapshot(self, rid)
        for role in ("patient", "reviewer", "admin"):
            for action in ACTIONS:
                r = self.post_action(self.c[role], rid, action, "triage",
                                     {"reason": "x", "note": "x", "message": "x", "missing": ["images"]})
                self.assertEqual(r.status, 403, "%s %s" % (role, action))
        r = self.c["anon"].post("/staff/requests/%d/accept" % rid, {"from": "triage"})
        self.assertIn(r.status, (401, 403))
        # unknown action, unknown request, bad state name
        self.assertEqual(self.post_action(self.c["staff"], rid, "delete", "triage", {}).status, 404)
        self.assertEqual(self.post_action(self.c["staff"], 999999, "accept", "triage", {}).status, 404)
        self.assertEqual(self.post_action(self.c["staff"], rid, "accept", "bogus", {}).status, 400)
        # a draft is invisible to staff
        did, _ = new_request(self, self.patient["id"], "draft")
        self.assertEqual(self.c["staff"].get("/staff/requests/%d" % did).status, 404)
        self.assertEqual(self.post_action(self.c["staff"], did, "claim", "draft", {}).status, 404)
        self.assertEqual(snapshot(self, rid), before)

    def test_internal_notes_never_reach_the_patient(self):
        rid, _ = new_request(self, self.patient["id"], "triage")
        secret = "INTERNAL-%d-do-not-show" % rid
        r = self.post_action(self.c["staff"], rid, "note", "triage", {"note": secret})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT internal FROM messages WHERE request_id = %s", rid)[0][0], True)
        staff_page = self.c["staff"].get("/staff/requests/%d" % rid)
        self.assertIn(secret, staff_page.text)
        self.assertIn("internal note", staff_page.text)
        # coverage notes are internal too
        self.post_action(self.c["staff"], rid, "coverage", "triage",
                         {"network_status": "out_of_network", "coverage_notes": secret + "-coverage"})
        for path in ("/requests/%d" % rid, "/requests", "/requests/%d/records" % rid):
            r = self.c["patient"].get(path)
            self.assertNotIn(secret, r.text, path)
        # nor in any e-mail
        bodies = " ".join(m["subject"] + m["body"] for m in outbox_messages(self.server))
        self.assertNotIn(secret, bodies)

    # ---- the report ----

    def test_report_sign_immutable_addenda_release(self):
        staff, rev, pat = self.c["staff"], self.c["reviewer"], self.c["patient"]
        rid, ref = new_request(self, self.patient["id"], "accepted", birads="2",
                               reviewer_id=self.reviewer["id"], specialist_id=self.spec,
                               questions=["Is it cancer?"])
        # another reviewer cannot open it
        self.assertEqual(self.c["other_reviewer"].get("/reviewer/cases/%d" % rid).status, 404)
        page = rev.get("/reviewer/cases/%d" % rid)
        self.assertEqual(page.status, 200)
        self.assertIn("Is it cancer?", page.text)
        self.assertEqual(rev.post("/reviewer/cases/%d/start" % rid, {"from": "accepted"}).status, 303)
        self.assertEqual(self.status(rid), "in_review")
        form = {"findings_left": "Irregular mass 12 mm upper outer quadrant.", "findings_right": "No findings.",
                "birads": "4B", "density": "C", "recommendation": "biopsy", "answers": "It needs a biopsy to know.",
                "summary": "We see something that should be checked with a biopsy.",
                "explanation": "The first read missed the mass on the MLO view."}
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, action="save"))
        self.assertEqual(r.status, 303)
        # findings are encrypted at rest
        raw = self.sql("SELECT findings_left_enc FROM reports WHERE request_id = %s", rid)[0][0]
        self.assertNotIn(b"Irregular", bytes(raw))
        # staff see that a draft exists, not its content; the patient sees nothing
        self.assertNotIn("Irregular mass", staff.get("/staff/requests/%d" % rid).text)
        self.assertEqual(pat.get("/requests/%d/report" % rid).status, 404)
        # wrong password: refused, nothing signed
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, action="sign", credential="wrong password here"))
        self.assertEqual(r.status, 403)
        self.assertIn("not right", r.text)
        self.assertIn("Irregular mass", r.text, "the form keeps what was typed")
        self.assertEqual(self.sql("SELECT status FROM reports WHERE request_id = %s", rid)[0][0], "draft")
        self.assertEqual(self.status(rid), "in_review")
        # incomplete: refused with errors next to the fields
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, density="", action="sign",
                                                             credential=self.reviewer["password"]))
        self.assertEqual(r.status, 422)
        self.assertEqual(self.sql("SELECT status FROM reports WHERE request_id = %s", rid)[0][0], "draft")
        # right password: signed, concordance computed from the verified first read (2: routine
        # screening → biopsy moves toward tissue diagnosis), request report_ready
        self.sql("UPDATE requests SET verified_birads = '2', verified_recommendation = 'routine_screening',"
                 " verified_biopsy = 'none', verified_by = %s, verified_at = now() WHERE id = %s", self.staff["id"], rid)
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, action="sign", credential=self.reviewer["password"]))
        self.assertEqual(r.status, 303, r.text[:300])
        row = self.sql("SELECT status, concordance, first_birads, content_hash, signed_by FROM reports WHERE request_id = %s",
                       rid)[0]
        self.assertEqual(row[0], "signed")
        self.assertEqual(row[1], "upgraded")
        self.assertEqual(row[2], "2")
        self.assertRegex(row[3], "^[0-9a-f]{64}$")
        self.assertEqual(row[4], self.reviewer["id"])
        self.assertEqual(self.status(rid), "report_ready")
        # a signed report never changes: the form refuses, the database refuses
        r = rev.post("/reviewer/cases/%d/report" % rid, dict(form, summary="changed", action="save"))
        self.assertEqual(r.status, 409)
        with self.assertRaises(Exception):
            self.sql("UPDATE reports SET summary = 'tampered' WHERE request_id = %s", rid)
        with self.assertRaises(Exception):
            self.sql("DELETE FROM reports WHERE request_id = %s", rid)
        self.assertEqual(self.sql("SELECT summary FROM reports WHERE request_id = %s", rid)[0][0], form["summary"])
        # addenda: signed with the password, immutable
        r = rev.post("/reviewer/cases/%d/addenda" % rid, {"body": "Correction: 13 mm.", "credential": "nope nope nope"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.sql("SELECT count(*) FROM report_addenda")[0][0], 0)
        r = rev.post("/reviewer/cases/%d/addenda" % rid, {"body": "Correction: 13 mm.", "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 303)
        with self.assertRaises(Exception):
            self.sql("UPDATE report_addenda SET body = 'x'")
        # printable report for the referring physician
        pr = rev.get("/reviewer/cases/%d/report/print" % rid)
        self.assertEqual(pr.status, 200)
        self.assertIn("Irregular mass", pr.text)
        self.assertIn("Correction: 13 mm.", pr.text)
        self.assertEqual(staff.get("/reviewer/cases/%d/report/print" % rid).status, 200)
        # close is not offered before the release
        self.assertEqual(self.post_action(staff, rid, "close", "report_ready", {}).status, 409)
        self.assertEqual(pat.get("/requests/%d/report" % rid).status, 404)
        outbox_before = self.sql("SELECT count(*) FROM outbox WHERE recipient = %s", self.patient["email"])[0][0]
        # a significant unexpected finding: the referring physician is reached before the release
        self.assertEqual(self.post_action(staff, rid, "release", "report_ready", {}).status, 422)
        self.assertEqual(staff.post("/staff/requests/%d/communication" % rid,
                                    {"whom": "Dr. Paula Primary", "at": "2026-01-05T10:30", "how": "phone"}).status, 303)
        self.assertEqual(self.post_action(staff, rid, "release", "report_ready", {}).status, 303)
        self.assertGreater(self.sql("SELECT count(*) FROM outbox WHERE recipient = %s", self.patient["email"])[0][0],
                           outbox_before)
        # the patient reads it: disagreement stated plainly, next steps, third-opinion button
        r = pat.get("/requests/%d/report" % rid)
        self.assertEqual(r.status, 200)
        self.assertIn("found more reason for concern: it recommends a biopsy, where your first report recommended"
                      " routine screening", r.text)
        self.assertNotIn("oncologist", r.text)
        self.assertIn('action="/requests/%d/third-opinion"' % rid, r.text)
        self.assertIn("We see something that should be checked", r.text)
        self.assertEqual(self.c["other_patient"].get("/requests/%d/report" % rid).status, 404)
        # up to three follow-up questions, answered as addenda
        for i in range(3):
            self.assertEqual(pat.post("/requests/%d/report/questions" % rid, {"question": "Question %d?" % i}).status, 303)
        self.assertEqual(pat.post("/requests/%d/report/questions" % rid, {"question": "A fourth?"}).status, 409)
        self.assertEqual(self.sql("SELECT count(*) FROM report_questions")[0][0], 3)
        self.assertEqual(pat.post("/requests/%d/report/questions" % rid, {"question": ""}).status, 422)
        qid = self.sql("SELECT id FROM report_questions ORDER BY id LIMIT 1")[0][0]
        r = rev.post("/reviewer/cases/%d/addenda" % rid, {"body": "Answer one.", "question_id": str(qid),
                                                          "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 303)
        self.assertIn("Answer one.", pat.get("/requests/%d/report" % rid).text)
        # answered once
        r = rev.post("/reviewer/cases/%d/addenda" % rid, {"body": "Again.", "question_id": str(qid),
                                                          "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 409)
        # now close
        self.assertEqual(self.post_action(staff, rid, "close", "report_ready", {}).status, 303)
        self.assertEqual(self.status(rid), "closed")
        # e-mails say nothing clinical and name nobody
        for (subject, body) in [(m["subject"], m["body"]) for m in outbox_messages(self.server)]:
            text = subject + body
            for word in ("BI-RADS", "biopsy", "Biopsy", "cancer", "mass", "Jane", "Doe", "Rita", "upgraded"):
                self.assertNotIn(word, text)

    def test_notification_preferences(self):
        pat = self.c["patient"]
        r = pat.get("/account/notifications")
        self.assertEqual(r.status, 200)
        self.assertIn('name="report"', r.text)
        r = pat.post("/account/notifications", {"status": "yes", "message": "yes"})
        self.assertEqual(r.status, 303)
        rows = dict(self.sql("SELECT event_kind, enabled FROM notification_prefs WHERE user_id = %s", self.patient["id"]))
        self.assertEqual(rows["report"], False)
        self.assertEqual(rows["status"], True)
        self.assertEqual(pat.post("/account/notifications", {"bogus": "yes"}).status, 400)
        # an opted-out kind is not e-mailed: a release notifies kind "report"
        rid, _ = new_request(self, self.patient["id"], "report_ready", reviewer_id=self.reviewer["id"])
        signed_report(self, rid, self.reviewer["id"])
        before = self.sql("SELECT count(*) FROM outbox WHERE recipient = %s", self.patient["email"])[0][0]
        self.assertEqual(self.post_action(self.c["staff"], rid, "release", "report_ready", {}).status, 303)
        after = self.sql("SELECT count(*) FROM outbox WHERE recipient = %s", self.patient["email"])[0][0]
        self.assertEqual(after, before)
        pat.post("/account/notifications", {k: "yes" for k in
                                            ("status", "info_requested", "message", "assigned", "consultation", "report")})

    def test_metrics(self):
        self.c["staff"].get("/staff/queue")
        # being on loopback grants nothing (issue 10): only an admin session or the bearer token
        # (test_hardening.py) opens it
        for role in ("anon", "patient", "staff", "reviewer"):
            self.assertEqual(self.c[role].get("/metrics").status, 404, role)
        r = self.c["admin"].get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertIn("text/plain; version=0.0.4", r.header("Content-Type"))
        self.assertRegex(r.text, r'secondop_http_requests_total\{route="staff-queue",status="200"\} [1-9]')
        self.assertIn('secondop_http_request_duration_seconds_bucket{le="+Inf"}', r.text)
        self.assertRegex(r.text, r'secondop_requests\{status="submitted"\} \d+')
        self.assertRegex(r.text, r"secondop_requests_overdue \d+")
        self.assertRegex(r.text, r"secondop_outbox_pending \d+")
        self.assertIn("secondop_database_up 1", r.text)

    # ---- route x role table ----

    def test_route_role_table(self):
        rid, _ = new_request(self, self.patient["id"], "report_ready", reviewer_id=self.reviewer["id"])
        signed_report(self, rid, self.reviewer["id"], released_by=self.staff["id"])
        self.sql("INSERT INTO consultations (request_id, starts_at, place, created_by) VALUES (%s, '2031-01-02 10:00',"
                 " 'Room 1', %s)", rid, self.staff["id"])
        roles = ["anon", "patient", "other_patient", "staff", "reviewer", "other_reviewer", "admin"]
        S = {"anon": 303}
        table = {
            "/staff/queue": dict(S, staff=200, default=403),
            "/staff/requests/%d" % rid: dict(S, staff=200, default=403),
            "/reviewer/cases": dict(S, reviewer=200, other_reviewer=200, default=403),
            "/reviewer/cases/%d" % rid: dict(S, reviewer=200, other_reviewer=404, default=403),
            "/reviewer/cases/%d/report/print" % rid: dict(S, reviewer=200, other_reviewer=404, staff=200, default=403),
            "/requests/%d/report" % rid: dict(S, patient=200, other_patient=404, default=403),
            "/requests/%d/consultation.ics" % rid: dict(S, patient=200, other_patient=404, staff=200, default=403),
            "/account/notifications": dict(S, default=200),
            "/metrics": {"admin": 200, "default": 404},
        }
        failures = []
        for path, want in table.items():
            for role in roles:
                exp = want.get(role, want["default"])
                r = self.c[role].get(path)
                if r.status != exp:
                    failures.append("GET %s as %s: %d (expected %d)" % (path, role, r.status, exp))
        posts = {
            "/staff/requests/%d/note" % rid: {"staff"},
            "/reviewer/cases/%d/start" % rid: {"reviewer", "other_reviewer"},
            "/reviewer/cases/%d/report" % rid: {"reviewer", "other_reviewer"},
            "/reviewer/cases/%d/addenda" % rid: {"reviewer", "other_reviewer"},
            "/requests/%d/report/questions" % rid: {"patient", "other_patient"},
            "/account/notifications": {"patient", "other_patient", "staff", "reviewer", "other_reviewer", "admin"},
        }
        before = snapshot(self, rid)
        for path, admitted in posts.items():
            for role in roles:
                if role in admitted:
                    continue
                r = self.c[role].post(path, {"from": "report_ready", "note": "x", "question": "x", "body": "x"})
                exp = 401 if role == "anon" else 403
                if r.status != exp:
                    failures.append("POST %s as %s: %d (expected %d)" % (path, role, r.status, exp))
        # admitted roles on another's object: 404, nothing changes
        for role, path in (("other_reviewer", "/reviewer/cases/%d/start" % rid),
                           ("other_reviewer", "/reviewer/cases/%d/addenda" % rid),
                           ("other_patient", "/requests/%d/report/questions" % rid)):
            r = self.c[role].post(path, {"from": "accepted", "body": "x", "question": "x",
                                         "credential": self.other_reviewer["password"]})
            if r.status != 404:
                failures.append("POST %s as %s: %d (expected 404)" % (path, role, r.status))
        self.assertEqual(failures, [])
        self.assertEqual(snapshot(self, rid), before)


class QueueOrderTest(harness.ServerTestCase):
    """The queue on a fixture: priority class, then treatment date, then waiting time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_user(cls.server, "staff")
        cls.c = cls.server.client()
        login(cls.c, cls.staff)

    def test_priority_order_filters_counts_due(self):
        pats = [make_user(self.server, "patient", name=n) for n in ("Ann Alpha", "Bea Beta", "Cat Gamma")]
        P = [p["id"] for p in pats]
        fx = [
            # name, birads, biopsy, treatment date, days waiting
            ("r1-routine-old", "1", False, None, 30),
            ("r2-soon-new", "3", False, None, 2),
            ("r3-urgent-new", "4A", False, None, 1),
            ("r4-soon-old", "0", False, None, 20),
            ("r5-soon-treat", "3", False, "2031-03-01", 1),
            ("r6-soon-treat-earlier", "unknown", False, "2031-02-01", 1),
            ("r7-biopsy", "2", True, None, 3),
            ("r8-urgent-old", "5", False, None, 9),
            ("r9-routine-new", "2", False, None, 1),
        ]
        ids = {}
        for i, (name, b, bx, tr, days) in enumerate(fx):
            ids[name], _ = new_request(self, P[i % 3], "submitted", birads=b, biopsy=bx, treatment=tr, days_ago=days,
                                       exam_types=("screening_mammogram",))
        # issue 12 classes: 5 → 2; 4A and an unverified "biopsy done" → 3; 0 and unknown → 4; 3 → 5; 1, 2 → 6
        # (r5, a 3 with a treatment date, now waits behind the 0 of r4: a date does not raise the class)
        expected = ["r8-urgent-old", "r7-biopsy", "r3-urgent-new", "r6-soon-treat-earlier", "r4-soon-old",
                    "r5-soon-treat", "r2-soon-new", "r1-routine-old", "r9-routine-new"]
        r = self.c.get("/staff/queue")
        self.assertEqual(r.status, 200)
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', r.text)]
        self.assertEqual(got, [ids[n] for n in expected])
        # filters
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?priority=3").text)]
        self.assertEqual(got, [ids["r7-biopsy"], ids["r3-urgent-new"]])
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?q=Beta").text)]
        self.assertEqual(sorted(got), sorted(ids[n] for i, (n, *_x) in enumerate(fx) if i % 3 == 1))
        ref = self.sql("SELECT reference FROM requests WHERE id = %s", ids["r2-soon-new"])[0][0]
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?q=" + ref).text)]
        self.assertEqual(got, [ids["r2-soon-new"]])
        # overdue: due after the class target (5 → 3 days), capped by the reread target (7 days)
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?overdue=1").text)]
        self.assertEqual(sorted(got), sorted([ids["r1-routine-old"], ids["r4-soon-old"], ids["r8-urgent-old"]]))
        self.assertIn("overdue", self.c.get("/staff/queue").text)
        # targets are configurable (the due date takes the smaller of the type's and the class's target)
        self.sql("UPDATE review_targets SET target_days = 60 WHERE review_type IN ('reread', 'priority_2',"
                 " 'priority_4', 'priority_6')")
        got = re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?overdue=1").text)
        self.assertEqual(got, [])
        self.sql("UPDATE review_targets SET target_days = 7 WHERE review_type = 'reread'")
        self.sql("UPDATE review_targets SET target_days = 3 WHERE review_type = 'priority_2'")
        self.sql("UPDATE review_targets SET target_days = 7 WHERE review_type = 'priority_4'")
        self.sql("UPDATE review_targets SET target_days = 14 WHERE review_type = 'priority_6'")
        # incomplete: nothing was uploaded, so all are
        got = re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?incomplete=1").text)
        self.assertEqual(len(got), 9)
        self.assertIn("9 requests match", self.c.get("/staff/queue?incomplete=1").text)
        # status filter and counts
        self.assertEqual(re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?status=triage").text), [])
        self.assertRegex(self.c.get("/staff/queue").text, r'New <span class="badge">9</span>')
        # eligibility: negative screening flagged (rule on), not enforced
        page = self.c.get("/staff/requests/%d" % ids["r1-routine-old"])
        self.assertEqual(page.status, 200)
        self.assertIn("negative screening", page.text)
        self.sql("UPDATE eligibility_rules SET enabled = false WHERE kind = 'negative_screening'")
        self.assertNotIn("negative screening (BI-RADS 1 or 2)", self.c.get("/staff/requests/%d" % ids["r1-routine-old"]).text)
        # bad filter values are a clear 400
        self.assertEqual(self.c.get("/staff/queue?priority=9").status, 400)
        self.assertEqual(self.c.get("/staff/queue?priority=7").status, 400)
        self.assertEqual(self.c.get("/staff/queue?status=nope").status, 400)


class QueueAuditTest(harness.ServerTestCase):
    """Every view of the queue leaves its audit row in the same transaction as
    the read (issue 12, item 8: the reads, counts and audit row take a few
    round trips instead of sixteen), and a view whose read or audit row fails
    shows no page and leaves the connection usable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_user(cls.server, "staff")
        cls.c = cls.server.client()
        login(cls.c, cls.staff)

    def views(self):
        return self.sql("SELECT actor_id, detail->>'rows' FROM audit_log WHERE action = 'triage.queue_view' ORDER BY id")

    def test_each_view_audited_with_its_rows_and_chain_intact(self):
        pat = make_user(self.server, "patient", name="Dora Delta")
        for i in range(3):
            new_request(self, pat["id"], "submitted", birads="4A" if i else "2", days_ago=10 + i)
        for path in ("/staff/queue", "/staff/queue?priority=3", "/staff/queue?q=Delta", "/staff/queue?overdue=1",
                     "/staff/queue?incomplete=1", "/staff/queue?status=all&page=2", "/staff/queue?status=triage"):
            before = self.views()
            r = self.c.get(path)
            self.assertEqual(r.status, 200, path)
            shown = len(re.findall(r'data-request-id="(\d+)"', r.text))
            after = self.views()
            self.assertEqual(len(after), len(before) + 1, path)
            self.assertEqual(after[-1], (self.staff["id"], str(shown)), path)
        # counts, overdue count and totals still come with the page
        page = self.c.get("/staff/queue").text
        self.assertRegex(page, r'New <span class="badge">3</span>')
        self.assertIn("3 requests match.", page)
        self.assertRegex(page, r'Overdue <span class="badge warn">\d+</span>')
        v = subprocess.run([harness.BIN, "verify-audit", "--database-url", self.server.dsn, "--share-dir", harness.ROOT],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_failed_read_or_audit_shows_no_page_and_the_next_view_works(self):
        for table in ("request_counts", "audit_log"):
            before = self.views()
            priv = "SELECT" if table == "request_counts" else "INSERT"
            self.sql("REVOKE %s ON %s FROM secondop_app" % (priv, table))
            try:
                r = self.c.get("/staff/queue")
            finally:
                self.sql("GRANT %s ON %s TO secondop_app" % (priv, table))
            self.assertNotEqual(r.status, 200, table)
            self.assertNotIn("data-request-id", r.text)
            self.assertEqual(self.views(), before, "no audit row without a page, nor a page without one")
            # the same worker connection (and the others) serve the next view
            for _ in range(8):
                self.assertEqual(self.c.get("/staff/queue").status, 200, table)
            self.assertEqual(len(self.views()), len(before) + 8)
