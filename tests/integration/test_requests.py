"""The patient's second-opinion request (issue 6): each step's validation,
the required-items rules, draft persistence across logout, submission
refused while incomplete (nothing changes), the authorization, withdrawal
rules, the third opinion reusing the same records, and ownership on every
route (another patient gets 404; center roles are refused)."""
import datetime
import os
import re
import subprocess

import harness
from accounts_helpers import login, make_user, outbox_messages

TODAY = datetime.date.today()
RECENT = (TODAY - datetime.timedelta(days=30))

EXAM = {
    "filled_by": "self", "facility": "Mercy Imaging Center", "records_contact": "Records, fax 555-0100",
    "exam_date": RECENT.isoformat(), "exam_type": ["diagnostic_mammogram", "ultrasound"],
    "birads": "4B", "biopsy": "no", "reason": "The report says BI-RADS 4B; I want another look.",
    "q1": "Is a biopsy really needed?", "q2": "Could this be a cyst?", "go": "next",
}


def add_specialist(server, name="Dr Ada Lovelace", ext=None, networks="{Acme Health}", accepting=True):
    ext = ext or re.sub(r"[^A-Za-z0-9]", "", name).lower()
    rows = server.sql(
        "INSERT INTO specialists (external_id, full_name, credentials, institution, city, state, remote_review, "
        "in_person, offers_reread, fee_reread_cents, offers_consult, fee_consult_cents, turnaround_days, networks, "
        "accepting) VALUES (%s, %s, 'MD', 'General Hospital', 'Boston', 'MA', true, true, true, 25000, true, "
        "45000, 7, %s, %s) RETURNING id", ext, name, networks, accepting)
    return rows[0][0]


def add_doc(server, req_id, kind, sniffed="pdf", study_date=None):
    """A document row (as intake makes them) without a real blob: enough for the checklist."""
    server.sql(
        "INSERT INTO documents (request_id, kind, original_name, sniffed_type, size, blake2b, file_id, wrapped_dek, "
        "kek_version, study_date) VALUES (%s, %s, 'file', %s, 10, repeat('a', 64), "
        "decode(md5(random()::text || clock_timestamp()::text), 'hex'), decode(repeat('00', 72), 'hex'), 1, %s)",
        req_id, kind, sniffed, study_date)


class RequestsTest(harness.ServerTestCase):

    def patient(self, name=None):
        user = make_user(self.server, "patient", name=name)
        c = self.client()
        login(c, user)
        return user, c

    def new_draft(self, c):
        r = c.get("/requests/new")
        self.assertEqual(r.status, 200)
        r = c.post("/requests/new", {})
        self.assertEqual(r.status, 303, r.text[:300])
        m = re.match(r"^/requests/(\d+)/steps/exam$", r.header("Location") or "")
        self.assertTrue(m, r.header("Location"))
        return int(m.group(1))

    def row(self, req_id, cols):
        return self.sql("SELECT %s FROM requests WHERE id = %%s" % cols, req_id)[0]

    def complete(self, c, user, req_id, specialist, biopsy="no", referral="no"):
        """Fills every step and adds every required document."""
        exam = dict(EXAM, biopsy=biopsy)
        r = c.post("/requests/%d/steps/exam" % req_id, exam)
        self.assertEqual(r.status, 303, r.text[:500])
        for kind in ("radiology_report", "photo_id", "insurance_card"):
            add_doc(self.server, req_id, kind)
        add_doc(self.server, req_id, "images", "dicom", RECENT.strftime("%Y%m%d"))
        if biopsy == "yes":
            add_doc(self.server, req_id, "pathology_report")
        if referral == "yes":
            add_doc(self.server, req_id, "referral")
        page = c.get("/requests/%d/steps/authorization" % req_id)
        self.assertEqual(page.status, 200)
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page.text).group(1)
        r = c.post("/requests/%d/steps/authorization" % req_id,
                   {"full_name": user["name"], "confirm": "1", "text_sha256": sha})
        self.assertEqual(r.status, 303, r.text[:500])
        r = c.post("/requests/%d/steps/specialist" % req_id,
                   {"review_type": "reread", "review_mode": "remote", "specialist": str(specialist)})
        self.assertEqual(r.status, 303, r.text[:500])
        r = c.post("/requests/%d/steps/coverage" % req_id,
                   {"payment": "insurance", "plan": "Acme Health", "member_id": "XK-99881234",
                    "referral": referral, "ack": "1"})
        self.assertEqual(r.status, 303, r.text[:500])

    # ---- steps ----

    def test_exam_step_validation_reshows_typed_values_and_saves_nothing(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        r = c.post("/requests/%d/steps/exam" % rid, {"facility": "Mercy <b>Imaging</b>", "exam_date": "2026-02-30",
                                                     "q1": "My own question", "filled_by": "caregiver"})
        self.assertEqual(r.status, 422)
        for field, words in (("exam_date", "YYYY-MM-DD"), ("birads", "category"), ("biopsy", "biopsy"),
                             ("reason", "why"), ("exam_type", "tick"), ("caregiver_name", "your name"),
                             ("caregiver_relationship", "related")):
            m = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % field, r.text)
            self.assertTrue(m, "no error next to %s" % field)
            self.assertIn(words.lower(), m.group(1).lower())
        self.assertIn('value="Mercy &lt;b&gt;Imaging&lt;/b&gt;"', r.text)
        self.assertIn('value="My own question"', r.text)
        self.assertIn('value="2026-02-30"', r.text)
        self.assertEqual(self.row(rid, "exam_saved_at, exam_facility"), (None, ""))
        # a future exam date and an unknown BI-RADS value are refused
        r = c.post("/requests/%d/steps/exam" % rid,
                   dict(EXAM, exam_date=(TODAY + datetime.timedelta(days=3)).isoformat(), birads="7"))
        self.assertEqual(r.status, 422)
        self.assertIn("cannot be in the future", r.text)
        self.assertIn('id="birads-error"', r.text)
        self.assertEqual(self.row(rid, "exam_saved_at"), (None,))
        # valid: saved, next step
        r = c.post("/requests/%d/steps/exam" % rid, EXAM)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/requests/%d/steps/records" % rid)
        row = self.row(rid, "exam_facility, birads, biopsy_done, exam_types, questions, exam_date")
        # the questions are clinical free text: sealed, never in the plain column (issue 10)
        self.assertEqual(row[:5], ("Mercy Imaging Center", "4B", False, ["diagnostic_mammogram", "ultrasound"], []))
        self.assertEqual(row[5], RECENT)
        page = c.get("/requests/%d/steps/exam" % rid).text
        self.assertIn("Is a biopsy really needed?", page)
        self.assertIn("Could this be a cyst?", page)
        # "save as draft" stays on the step
        r = c.post("/requests/%d/steps/exam" % rid, dict(EXAM, go="stay"))
        self.assertEqual(r.header("Location"), "/requests/%d/steps/exam?saved=1" % rid)

    def test_specialist_and_coverage_validation(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        sid = add_specialist(self.server, "Dr Specialist Validation", networks="{Acme Health}")
        closed = add_specialist(self.server, "Dr Not Accepting", accepting=False)
        r = c.post("/requests/%d/steps/specialist" % rid, {"review_type": "x"})
        self.assertEqual(r.status, 422)
        for f in ("review_type", "review_mode", "specialist"):
            self.assertIn('id="%s-error"' % f, r.text)
        r = c.post("/requests/%d/steps/specialist" % rid,
                   {"review_type": "reread", "review_mode": "remote", "specialist": str(closed)})
        self.assertEqual(r.status, 422)
        self.assertIn("not taking new requests", r.text)
        self.assertEqual(self.row(rid, "specialist_id, review_type"), (None, None))
        # the directory's "choose" link preselects
        r = c.get("/requests/%d/steps/specialist?choose=%d" % (rid, sid))
        self.assertRegex(r.text, r'value="%d" checked' % sid)
        r = c.post("/requests/%d/steps/specialist" % rid,
                   {"review_type": "reread", "review_mode": "remote", "specialist": "center"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "center_chooses, specialist_id"), (True, None))
        r = c.post("/requests/%d/steps/specialist" % rid,
                   {"review_type": "consult", "review_mode": "remote", "specialist": str(sid)})
        self.assertEqual(r.status, 303)
        # coverage
        r = c.post("/requests/%d/steps/coverage" % rid, {"payment": "insurance"})
        self.assertEqual(r.status, 422)
        for f in ("plan", "member_id", "referral", "ack"):
            self.assertIn('id="%s-error"' % f, r.text)
        r = c.get("/requests/%d/steps/coverage" % rid)
        self.assertIn("$450.00 for a full consultation", r.text)
        r = c.post("/requests/%d/steps/coverage" % rid, {"payment": "insurance", "plan": "Acme Health",
                                                          "member_id": "XK-99881234", "referral": "yes", "ack": "1"})
        self.assertEqual(r.status, 303)
        r = c.get("/requests/%d/steps/coverage" % rid)
        self.assertIn("ending in 1234", r.text)
        self.assertIn("(in network)", r.text)
        sealed = bytes(self.row(rid, "member_id_sealed")[0])
        self.assertNotIn(b"99881234", sealed)
        self.assertEqual(len(sealed), len("XK-99881234") + 40)
        self.assertEqual(self.row(rid, "plan_needs_referral, estimate_ack_at IS NOT NULL"), (True, True))

    def test_required_items_follow_the_answers(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        c.post("/requests/%d/steps/exam" % rid, dict(EXAM, biopsy="no"))
        c.post("/requests/%d/steps/coverage" % rid,
               {"payment": "insurance", "plan": "P", "member_id": "1", "referral": "no", "ack": "1"})
        page = c.get("/requests/%d/steps/review" % rid).text
        self.assertNotIn("Upload your pathology report", page)
        self.assertNotIn("Upload your referral", page)
        self.assertIn("Upload your radiology report", page)
        self.assertIn("Sign the release", page)
        c.post("/requests/%d/steps/exam" % rid, dict(EXAM, biopsy="yes"))
        c.post("/requests/%d/steps/coverage" % rid,
               {"payment": "insurance", "plan": "P", "member_id": "1", "referral": "yes", "ack": "1"})
        page = c.get("/requests/%d/steps/review" % rid).text
        self.assertIn("Upload your pathology report", page)
        self.assertIn("Upload your referral", page)
        add_doc(self.server, rid, "pathology_report")
        add_doc(self.server, rid, "referral")
        page = c.get("/requests/%d/steps/review" % rid).text
        self.assertNotIn("Upload your pathology report", page)
        self.assertNotIn("Upload your referral", page)
        # old images do not count as current; screenshots are not original data
        add_doc(self.server, rid, "images", "jpeg")
        page = c.get("/requests/%d/steps/records" % rid).text
        self.assertIn("only have pictures or screenshots", page)
        add_doc(self.server, rid, "images", "dicom", "20200101")
        page = c.get("/requests/%d/steps/records" % rid).text
        self.assertIn("more than six months old", page)
        # the dashboard names the one next thing, with its link
        dash = c.get("/requests").text
        self.assertIn('<a href="/requests/%d/steps/specialist">Choose your specialist' % rid, dash)

    def test_draft_survives_logout(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        r = c.post("/requests/%d/steps/exam" % rid, dict(EXAM, go="stay"))
        self.assertEqual(r.status, 303)
        r = c.post("/logout", {})
        self.assertIn(r.status, (200, 303))
        self.assertEqual(c.get("/requests/%d/steps/exam" % rid).status, 303)  # to the login page
        c2 = self.client()
        login(c2, user)
        page = c2.get("/requests/%d/steps/exam" % rid)
        self.assertEqual(page.status, 200)
        self.assertIn('value="Mercy Imaging Center"', page.text)
        self.assertIn('value="Is a biopsy really needed?"', page.text)
        self.assertRegex(page.text, r'value="4B" checked')
        dash = c2.get("/requests").text
        ref = self.row(rid, "reference")[0]
        self.assertIn(ref, dash)

    # ---- submission ----

    def test_submission_refused_while_incomplete_changes_nothing(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        c.post("/requests/%d/steps/exam" % rid, EXAM)
        before = self.row(rid, "status, reference, submitted_at, updated_at")
        outbox = self.sql("SELECT count(*) FROM outbox")[0][0]
        r = c.post("/requests/%d/submit" % rid, {})
        self.assertEqual(r.status, 422)
        self.assertIn("cannot be sent yet", r.text)
        for text, href in (("Upload your radiology report", "/records"), ("Sign the release", "/steps/authorization"),
                           ("Choose your specialist", "/steps/specialist"), ("Check your coverage", "/steps/coverage")):
            self.assertRegex(r.text, r'<a href="/requests/%d%s">%s' % (rid, re.escape(href), text))
        self.assertEqual(self.row(rid, "status, reference, submitted_at, updated_at"), before)
        self.assertEqual(self.sql("SELECT count(*) FROM request_events WHERE request_id = %s", rid)[0][0], 0)
        self.assertEqual(self.sql("SELECT count(*) FROM outbox")[0][0], outbox)

    def test_complete_request_is_submitted_with_reference_event_audit_and_mail(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        sid = add_specialist(self.server, "Dr Submit Target")
        self.complete(c, user, rid, sid, biopsy="yes", referral="yes")
        r = c.post("/requests/%d/submit" % rid, {})
        self.assertEqual(r.status, 303, r.text[:800])
        self.assertEqual(r.header("Location"), "/requests/%d?submitted=1" % rid)
        status, ref, submitted, expected = self.row(rid, "status, reference, submitted_at, expected_by")
        self.assertEqual(status, "submitted")
        self.assertRegex(ref, r"^SO-%d-\d{5}$" % TODAY.year)
        self.assertIsNotNone(submitted)
        # one due date (issue 15, item 5): the specialist's turnaround no longer makes a second one
        self.assertIsNone(expected)
        page = c.get(r.header("Location"))
        self.assertIn('<strong id="reference">%s</strong>' % ref, page.text)
        self.assertIn("You sent your request", page.text)
        # the patient sees the center's one due date (issue 12): a biopsy done without a result is
        # triage class 3, whose target (5 days) comes before the specialist's turnaround
        due = self.row(rid, "due_on")[0]
        self.assertEqual(due, TODAY + datetime.timedelta(days=5))
        self.assertIn("expected by <strong>%s</strong> — in 5 days" % due.isoformat(), page.text)
        ev = self.sql("SELECT from_status, to_status, kind, actor_id FROM request_events WHERE request_id = %s "
                      "AND kind = 'status'", rid)
        self.assertEqual(ev, [("draft", "submitted", "status", user["id"])])
        au = self.sql("SELECT count(*) FROM audit_log WHERE action = 'request.submit' AND object_id = %s "
                      "AND patient_id = %s", str(rid), user["id"])
        self.assertEqual(au[0][0], 1)
        mail = [(m["to"], m["subject"], m["body"]) for m in outbox_messages(self.server) if m["to"] == user["email"]]
        self.assertEqual(len(mail), 1)
        self.assertIn(ref, mail[0][2])
        for phi in ("Mercy", "4B", "biopsy", "Acme", "XK-9988"):
            self.assertNotIn(phi, mail[0][1] + mail[0][2])
        # a second submission is a conflict; steps are closed
        self.assertEqual(c.post("/requests/%d/submit" % rid, {}).status, 409)
        self.assertEqual(c.post("/requests/%d/steps/exam" % rid, EXAM).status, 409)
        self.assertEqual(c.get("/requests/%d/steps/exam" % rid).status, 303)

    def test_authorization_signature_hash_and_revocation(self):
        user, c = self.patient(name="Grace Brewster Hopper")
        rid = self.new_draft(c)
        page = c.get("/requests/%d/steps/authorization" % rid).text
        for words in ("What may be disclosed", "To whom", "For what purpose", "Until when", "right to revoke"):
            self.assertIn(words, page)
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page).group(1)
        r = c.post("/requests/%d/steps/authorization" % rid, {"full_name": "Someone Else", "confirm": "1",
                                                              "text_sha256": sha})
        self.assertEqual(r.status, 422)
        self.assertIn('id="full_name-error"', r.text)
        r = c.post("/requests/%d/steps/authorization" % rid, {"full_name": user["name"], "text_sha256": sha})
        self.assertEqual(r.status, 422)
        self.assertIn('id="confirm-error"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM authorizations WHERE request_id = %s", rid)[0][0], 0)
        r = c.post("/requests/%d/steps/authorization" % rid, {"full_name": "  grace  brewster hopper ",
                                                              "confirm": "1", "text_sha256": sha})
        self.assertEqual(r.status, 303)
        row = self.sql("SELECT signed_name, client_ip, text_sha256, text_version, revoked_at FROM authorizations "
                       "WHERE request_id = %s", rid)
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0][1], "127.0.0.1")
        self.assertEqual(row[0][2], sha)
        self.assertIsNone(row[0][4])
        printable = c.get("/requests/%d/authorization" % rid).text
        self.assertIn(sha, printable)
        # the hash is of the exact text shown
        import hashlib
        import html
        text = re.search(r'<div class="rq-authtext"[^>]*>(.*?)</div>', printable, re.S).group(1)
        self.assertEqual(hashlib.sha256(html.unescape(text).encode()).hexdigest(), sha)
        # revoking in a draft just clears it
        r = c.post("/requests/%d/authorization/revoke" % rid, {"confirm": "1"})
        self.assertEqual(r.status, 303)
        self.assertIsNotNone(self.sql("SELECT revoked_at FROM authorizations WHERE request_id = %s", rid)[0][0])
        self.assertEqual(self.row(rid, "status")[0], "draft")
        # after submission, revoking withdraws the request
        sid = add_specialist(self.server, "Dr Revoke")
        self.complete(c, user, rid, sid)
        self.assertEqual(c.post("/requests/%d/submit" % rid, {}).status, 303)
        self.assertEqual(c.post("/requests/%d/authorization/revoke" % rid, {"confirm": "1"}).status, 303)
        self.assertEqual(self.row(rid, "status")[0], "withdrawn")

    def test_withdrawal_rules(self):
        user, c = self.patient()
        sid = add_specialist(self.server, "Dr Withdraw")
        rid = self.new_draft(c)
        self.assertEqual(c.post("/requests/%d/withdraw" % rid, {"confirm": "1"}).status, 409)  # a draft
        self.complete(c, user, rid, sid)
        self.assertEqual(c.post("/requests/%d/submit" % rid, {}).status, 303)
        # without the confirmation box nothing happens
        self.assertEqual(c.post("/requests/%d/withdraw" % rid, {}).status, 422)
        self.assertEqual(self.row(rid, "status")[0], "submitted")
        # once the review started, it is refused and nothing changes
        self.sql("UPDATE requests SET status = 'in_review' WHERE id = %s", rid)
        r = c.post("/requests/%d/withdraw" % rid, {"confirm": "1"})
        self.assertEqual(r.status, 409)
        self.assertIn("review has already started", r.text)
        self.assertEqual(self.row(rid, "status")[0], "in_review")
        self.assertNotIn("Withdraw this request", c.get("/requests/%d" % rid).text)
        self.sql("UPDATE requests SET status = 'accepted' WHERE id = %s", rid)
        self.assertIn("Withdraw this request", c.get("/requests/%d" % rid).text)
        r = c.post("/requests/%d/withdraw" % rid, {"confirm": "1", "reason": "Found a doctor nearby"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "status")[0], "withdrawn")
        page = c.get("/requests/%d" % rid).text
        self.assertRegex(page, r"You withdrew the request on \w+ \d+ \w+ \d{4} at \d\d:\d\d UTC\.")
        self.assertIn("Found a doctor nearby", page)

    def test_messages_needs_info_and_center_access_shown_to_patient(self):
        user, c = self.patient()
        sid = add_specialist(self.server, "Dr Messages")
        rid = self.new_draft(c)
        self.assertEqual(c.post("/requests/%d/messages" % rid, {"body": "hi"}).status, 409)
        self.complete(c, user, rid, sid)
        c.post("/requests/%d/submit" % rid, {})
        r = c.post("/requests/%d/messages" % rid, {"body": "When will I hear back?"})
        self.assertEqual(r.status, 303)
        stored = bytes(self.sql("SELECT body_sealed FROM messages WHERE request_id = %s", rid)[0][0])
        self.assertNotIn(b"hear back", stored)
        # the center asks for information; an internal note never reaches the patient
        self.sql("UPDATE requests SET status = 'needs_info' WHERE id = %s", rid)
        self.sql("INSERT INTO request_events (request_id, from_status, to_status, kind, detail) VALUES "
                 "(%s, 'triage', 'needs_info', 'status', %s::jsonb)", rid,
                 '{"missing":["pathology_report"],"message":"Please add the biopsy report."}')
        self.sql("INSERT INTO request_events (request_id, kind, detail, internal) VALUES "
                 "(%s, 'note', '{\"message\":\"SECRET STAFF NOTE\"}', true)", rid)
        staff = make_user(self.server, "staff", name="Nurse Triage")
        s = self.client()
        login(s, staff)
        page = c.get("/requests/%d" % rid).text
        self.assertIn("Please add the biopsy report.", page)
        self.assertIn("Upload your pathology report", page)
        self.assertIn("When will I hear back?", page)
        self.assertNotIn("SECRET STAFF NOTE", page)
        self.assertIn("Nobody at the center has opened your records yet", page)
        # a staff member opens the request (issue 7's pages call requests_access(), which writes this row
        # through audit_write()): the patient sees who and when
        tool = os.path.join(os.path.dirname(harness.BIN), "tests", "audit_write_tool")
        out = subprocess.run([tool, self.server.dsn, "--action", "request.view", "--actor", str(staff["id"]),
                              "--role", "2", "--patient", str(user["id"]), "--object-type", "request",
                              "--object-id", str(rid)], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        page = c.get("/requests/%d" % rid).text
        self.assertIn("<strong>Nurse Triage</strong> (center staff)", page)  # grouped by person and day (issue 15)
        self.assertIn("opened your request", page)
        # needs_info → triage by the patient
        r = c.post("/requests/%d/info-sent" % rid, {})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "status")[0], "triage")
        self.assertEqual(c.post("/requests/%d/info-sent" % rid, {}).status, 409)

    def test_third_opinion_reuses_records_and_steers_to_another_specialist(self):
        user, c = self.patient()
        sid = add_specialist(self.server, "Dr Second Reader")
        other = add_specialist(self.server, "Dr Third Reader")
        rid = self.new_draft(c)
        self.assertEqual(c.post("/requests/%d/third-opinion" % rid, {}).status, 409)
        self.complete(c, user, rid, sid)
        c.post("/requests/%d/submit" % rid, {})
        self.sql("UPDATE requests SET status = 'report_ready', assigned_specialist_id = %s WHERE id = %s", sid, rid)
        page = c.get("/requests/%d" % rid).text
        self.assertIn('href="/requests/%d/report"' % rid, page)
        r = c.post("/requests/%d/third-opinion" % rid, {})
        self.assertEqual(r.status, 303, r.text[:500])
        m = re.match(r"^/requests/(\d+)/steps/specialist$", r.header("Location"))
        nid = int(m.group(1))
        self.assertNotEqual(nid, rid)
        self.assertEqual(self.row(nid, "status, parent_request_id, exam_facility, birads")[:4],
                         ("draft", rid, "Mercy Imaging Center", "4B"))
        # the sealed reason and questions come along, sealed again for the new request
        exam = c.get("/requests/%d/steps/exam" % nid).text
        self.assertIn("I want another look.", exam)
        self.assertIn("Could this be a cyst?", exam)
        self.assertEqual(self.sql("SELECT count(*) FROM requests a, requests b WHERE a.id = %s AND b.id = %s"
                                  " AND b.reason_sealed IS NOT NULL AND b.reason_sealed <> a.reason_sealed"
                                  " AND b.reason = ''", rid, nid)[0][0], 1)
        old = self.sql("SELECT kind, encode(file_id, 'hex'), encode(wrapped_dek, 'hex') FROM documents "
                       "WHERE request_id = %s AND kind <> 'authorization' ORDER BY id", rid)
        new = self.sql("SELECT kind, encode(file_id, 'hex'), encode(wrapped_dek, 'hex') FROM documents "
                       "WHERE request_id = %s ORDER BY id", nid)
        self.assertEqual(len(old), 4)
        self.assertEqual(new, old)  # same blobs, no re-upload
        # the authorization is not carried over: it named the earlier review
        self.assertEqual(self.sql("SELECT count(*) FROM authorizations WHERE request_id = %s", nid)[0][0], 0)
        page = c.get(r.header("Location")).text
        self.assertIn("choose someone other than Dr Second Reader", page)
        self.assertNotIn('value="%d"' % sid, page)
        r = c.post("/requests/%d/steps/specialist" % nid,
                   {"review_type": "reread", "review_mode": "remote", "specialist": str(sid)})
        self.assertEqual(r.status, 422)
        self.assertIn("different specialist", r.text)
        r = c.post("/requests/%d/steps/specialist" % nid,
                   {"review_type": "reread", "review_mode": "remote", "specialist": str(other)})
        self.assertEqual(r.status, 303)
        self.assertIn("third opinion", c.get("/requests").text)

    # ---- ownership ----

    def test_another_patient_gets_404_everywhere_and_center_roles_are_refused(self):
        owner, c = self.patient()
        sid = add_specialist(self.server, "Dr Owner")
        rid = self.new_draft(c)
        self.complete(c, owner, rid, sid)
        c.post("/requests/%d/submit" % rid, {})
        self.sql("UPDATE requests SET status = 'report_ready' WHERE id = %s", rid)
        before = self.row(rid, "status, updated_at")
        mallory, m = self.patient()
        gets = ["/requests/%d" % rid, "/requests/%d/letter" % rid, "/requests/%d/authorization" % rid] + \
               ["/requests/%d/steps/%s" % (rid, s) for s in
                ("exam", "records", "authorization", "specialist", "coverage", "review")]
        posts = ["/requests/%d/steps/exam" % rid, "/requests/%d/submit" % rid, "/requests/%d/letter/sent" % rid,
                 "/requests/%d/letter/extend" % rid, "/requests/%d/authorization/revoke" % rid,
                 "/requests/%d/messages" % rid, "/requests/%d/withdraw" % rid, "/requests/%d/info-sent" % rid,
                 "/requests/%d/third-opinion" % rid]
        for p in gets:
            r = m.get(p)
            self.assertEqual(r.status, 404, p)
            self.assertNotIn("Mercy", r.text)
        for p in posts:
            r = m.post(p, {"confirm": "1", "body": "x", "sent_on": TODAY.isoformat()})
            self.assertEqual(r.status, 404, p)
        self.assertNotIn("Request SO-", m.get("/requests").text)
        self.assertEqual(self.row(rid, "status, updated_at"), before)
        self.assertEqual(self.sql("SELECT count(*) FROM requests WHERE parent_request_id = %s", rid)[0][0], 0)
        denied = self.sql("SELECT count(*) FROM audit_log WHERE action = 'request.view' AND outcome = 'denied' "
                          "AND actor_id = %s", mallory["id"])[0][0]
        self.assertGreaterEqual(denied, len(gets))
        # center roles may not use the patient's pages (their own pages come with issue 7)
        for role in ("staff", "reviewer", "admin"):
            u = make_user(self.server, role)
            x = self.client()
            login(x, u)
            for p in gets + ["/requests", "/requests/new"]:
                self.assertEqual(x.get(p).status, 403, (role, p))
            for p in posts + ["/requests/new"]:
                self.assertEqual(x.post(p, {"confirm": "1"}).status, 403, (role, p))
        self.assertEqual(self.row(rid, "status, updated_at"), before)
        # anonymous: sent to log in
        anon = self.client()
        self.assertEqual(anon.get("/requests/%d" % rid).status, 303)
