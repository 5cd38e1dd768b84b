"""The one form layer (issue 15, item 1): forms moved to it re-show the
page with a 422, the message next to the field (aria-invalid,
aria-describedby), every typed value kept, and nothing saved. Covers the
forms that used to end on a bare "Error 422" page: Revoke and Withdraw
without the tick, an over-long withdrawal reason, a future "letter sent"
date and an empty message."""
import datetime
import re
import threading
import time

import psycopg2

import harness
import test_requests as tr
import test_triage as tt
from accounts_helpers import login, make_user


def post_while_row_locked(test, change_sql, args, post, what):
    """Runs change_sql in a transaction that holds the request's row, starts post() in a
    thread, waits (bounded) until it waits for that row, commits, and returns its answer."""
    conn = psycopg2.connect(test.server.dsn)
    out = {}
    try:
        with conn.cursor() as cur:
            cur.execute(change_sql, args)
        t = threading.Thread(target=lambda: out.update(r=post()))
        t.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        for _ in range(1000):
            if test.sql(waiting)[0][0] > 0 or not t.is_alive():
                break
            time.sleep(0.01)
        test.assertTrue(t.is_alive(), "the %s did not wait for the locked row" % what)
        conn.commit()
    finally:
        conn.close()
    t.join(60)
    test.assertFalse(t.is_alive())
    return out["r"]

TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()


class FormsTest(harness.ServerTestCase):
    patient = tr.RequestsTest.patient
    new_draft = tr.RequestsTest.new_draft
    row = tr.RequestsTest.row
    complete = tr.RequestsTest.complete

    def assertFieldError(self, page, field, words):
        """The message sits next to the field, and the field points to it."""
        m = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % field, page)
        self.assertTrue(m, page[:3000])
        self.assertIn(words, m.group(1))
        # a field, or each choice of a group (id="f-<name>-<value>")
        self.assertRegex(page, r'id="f-%s(-[a-z_]+)?"[^>]*aria-invalid="true" aria-describedby="%s-error"' % (field, field))
        self.assertNotIn("Go to the home page", page)

    def submitted(self):
        user, c = self.patient()
        sid = tr.add_specialist(self.server, "Dr Forms %s" % user["email"].split("@")[0])
        rid = self.new_draft(c)
        self.complete(c, user, rid, sid)
        self.assertEqual(c.post("/requests/%d/submit" % rid, {}).status, 303)
        return user, c, rid

    def test_withdraw_without_the_tick_reshows_the_form_with_the_reason_kept(self):
        user, c, rid = self.submitted()
        r = c.post("/requests/%d/withdraw" % rid, {"reason": "Found a doctor <nearby>"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "confirm", "tick the box to confirm that you want to withdraw")
        self.assertIn('value="Found a doctor &lt;nearby&gt;"', r.text)  # kept, and escaped
        self.assertRegex(r.text, r'<details class="rq-box" id="withdraw" open>')
        self.assertEqual(self.row(rid, "status")[0], "submitted")
        # too long a reason: said next to it (it used to be dropped silently); nothing changes
        r = c.post("/requests/%d/withdraw" % rid, {"reason": "x" * 501, "confirm": "1"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "reason", "at most 500 characters")
        self.assertRegex(r.text, r'id="f-confirm"[^>]* checked')
        self.assertEqual(self.row(rid, "status")[0], "submitted")
        r = c.post("/requests/%d/withdraw" % rid, {"reason": "Found a doctor nearby", "confirm": "1"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "status")[0], "withdrawn")

    def test_revoke_without_the_tick_reshows_the_authorization_page(self):
        user, c, rid = self.submitted()
        r = c.post("/requests/%d/authorization/revoke" % rid, {})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "confirm", "tick the box to confirm that you want to revoke")
        self.assertIn('id="revoke" open', r.text)
        self.assertIn("rq-authtext", r.text)  # the authorization itself is still shown
        self.assertIsNone(self.sql("SELECT revoked_at FROM authorizations WHERE request_id = %s", rid)[0][0])
        self.assertEqual(self.row(rid, "status")[0], "submitted")
        # another patient gets 404, not the form
        _, other = self.patient()
        self.assertEqual(other.post("/requests/%d/authorization/revoke" % rid, {}).status, 404)

    def test_future_letter_date_and_empty_message_stay_on_their_pages(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        r = c.post("/requests/%d/letter/sent" % rid, {"sent_on": TOMORROW})
        self.assertEqual(r.status, 422)
        self.assertIn('id="sent_on-error"', r.text)
        self.assertIn(TOMORROW, r.text)
        self.assertIsNone(self.row(rid, "records_requested_at")[0])
        user, c, rid = self.submitted()
        r = c.post("/requests/%d/messages" % rid, {"body": "   "})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "body", "Please write a message")
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0)

    def test_saving_the_exam_step_costs_at_most_six_statements_and_one_audit_row(self):
        """The domain validates, checks access, saves and audits in one transaction; the
        server (test build) reports the statements a handler sent in X-Test-Sql-Statements."""
        user, c = self.patient()
        rid = self.new_draft(c)
        before = self.sql("SELECT count(*) FROM audit_log")[0][0]
        r = c.post("/requests/%d/steps/exam" % rid, tr.EXAM)
        self.assertEqual(r.status, 303, r.text[:300])
        statements = int(r.header("X-Test-Sql-Statements"))
        self.assertLessEqual(statements, 6)
        rows = self.sql("SELECT action, outcome FROM audit_log ORDER BY id OFFSET %s", before)
        self.assertEqual(rows, [("request.update", "ok")])
        self.assertIsNotNone(self.row(rid, "exam_saved_at")[0])
        # a refused form reads the page again but saves and audits no change
        updates = "SELECT count(*) FROM audit_log WHERE action = 'request.update'"
        before = self.sql(updates)[0][0]
        r = c.post("/requests/%d/steps/exam" % rid, dict(tr.EXAM, facility="", exam_date="2026-02-30"))
        self.assertEqual(r.status, 422)
        self.assertEqual(self.sql(updates)[0][0], before)
        self.assertEqual(self.row(rid, "exam_facility")[0], tr.EXAM["facility"])
        # another patient's draft: refused in the same transaction, the refusal audited
        _, other = self.patient()
        r = other.post("/requests/%d/steps/exam" % rid, dict(tr.EXAM, facility="Elsewhere"))
        self.assertEqual(r.status, 404)
        self.assertEqual(self.row(rid, "exam_facility")[0], tr.EXAM["facility"])
        self.assertEqual(self.sql("SELECT outcome FROM audit_log ORDER BY id DESC LIMIT 1")[0][0], "denied")
        print("\n  exam step save: %d SQL statements" % statements)

    def test_specialist_step_checks_the_specialist_in_the_saving_statement(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        remote_only = self.server.sql(
            "INSERT INTO specialists (external_id, full_name, credentials, institution, city, state, remote_review, "
            "in_person, offers_reread, fee_reread_cents, offers_consult, fee_consult_cents, turnaround_days, "
            "networks, accepting) VALUES ('remoteonly', 'Dr Remote Only', 'MD', 'H', 'Boston', 'MA', true, false, "
            "true, 100, false, NULL, 7, '{}', true) RETURNING id")[0][0]
        updates = "SELECT count(*) FROM audit_log WHERE action = 'request.update'"
        before = self.sql(updates)[0][0]
        r = c.post("/requests/%d/steps/specialist" % rid,
                   {"review_type": "consult", "review_mode": "in_person", "specialist": str(remote_only)})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "review_type", "does not offer full consultations")
        self.assertFieldError(r.text, "review_mode", "only does remote reviews")
        self.assertRegex(r.text, r'value="consult"[^>]* checked')
        self.assertEqual(self.row(rid, "specialist_id, review_type"), (None, None))
        self.assertEqual(self.sql(updates)[0][0], before)
        r = c.post("/requests/%d/steps/specialist" % rid, {"review_type": "reread", "review_mode": "remote",
                                                            "specialist": "no-such"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "specialist", "Please choose a specialist")
        r = c.post("/requests/%d/steps/specialist" % rid,
                   {"review_type": "reread", "review_mode": "remote", "specialist": str(remote_only)})
        self.assertEqual(r.status, 303, r.text[:400])
        statements = int(r.header("X-Test-Sql-Statements"))
        self.assertLessEqual(statements, 6)
        self.assertEqual(self.row(rid, "specialist_id, review_type, review_mode"), (remote_only, "reread", "remote"))
        self.assertEqual(self.sql(updates)[0][0], before + 1)
        print("\n  specialist step save: %d SQL statements" % statements)

    def test_coverage_keeps_the_member_id_after_an_error_and_saves_within_the_bound(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        # the issue: any error wiped the member ID under "nothing you typed has been lost"
        r = c.post("/requests/%d/steps/coverage" % rid,
                   {"payment": "insurance", "plan": "Acme Health", "member_id": "XK-99881234", "referral": "no"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "ack", "confirm that you have read the cost estimate")
        self.assertRegex(r.text, r'id="f-member_id"[^>]*value="XK-99881234"')
        self.assertIn('value="Acme Health"', r.text)
        self.assertRegex(r.text, r'value="no"[^>]* checked')
        self.assertEqual(self.row(rid, "payment, member_id_sealed"), (None, None))
        # insurance with no member ID typed and none stored: refused in the saving transaction
        r = c.post("/requests/%d/steps/coverage" % rid,
                   {"payment": "insurance", "plan": "Acme Health", "referral": "no", "ack": "1"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "member_id", "Please enter your member ID")
        self.assertRegex(r.text, r'id="f-ack"[^>]* checked')
        self.assertEqual(self.row(rid, "payment, estimate_ack_at"), (None, None))
        updates = "SELECT count(*) FROM audit_log WHERE action = 'request.update'"
        before = self.sql(updates)[0][0]
        r = c.post("/requests/%d/steps/coverage" % rid, {"payment": "insurance", "plan": "Acme Health",
                                                          "member_id": "XK-99881234", "referral": "no", "ack": "1"})
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), 6)
        self.assertEqual(self.sql(updates)[0][0], before + 1)
        # the stored one is kept when the field is left empty
        r = c.post("/requests/%d/steps/coverage" % rid,
                   {"payment": "insurance", "plan": "Acme Health 2", "referral": "yes", "ack": "1"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "insurance_plan, member_id_sealed IS NOT NULL"), ("Acme Health 2", True))
        # paying oneself clears the plan and the member ID
        r = c.post("/requests/%d/steps/coverage" % rid, {"payment": "self_pay", "ack": "1"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.row(rid, "payment, insurance_plan, member_id_sealed"), ("self_pay", "", None))

    def test_signature_and_message_forms_keep_what_was_typed(self):
        user, c = self.patient()
        rid = self.new_draft(c)
        page = c.get("/requests/%d/steps/authorization" % rid).text
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page).group(1)
        r = c.post("/requests/%d/steps/authorization" % rid,
                   {"full_name": "Someone <Else>", "confirm": "1", "text_sha256": sha})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "full_name", "your own full name")
        self.assertIn('value="Someone &lt;Else&gt;"', r.text)
        self.assertRegex(r.text, r'id="f-confirm"[^>]* checked')
        self.assertEqual(self.sql("SELECT count(*) FROM authorizations WHERE request_id = %s", rid)[0][0], 0)
        r = c.post("/requests/%d/steps/authorization" % rid, {"full_name": user["name"], "text_sha256": sha})
        self.assertEqual(r.status, 422)
        self.assertIn('id="confirm-error"', r.text)
        self.assertIn('value="%s"' % user["name"], r.text)
        # a message too long: said at the field, the text kept, nothing sent
        user, c, rid = self.submitted()
        r = c.post("/requests/%d/messages" % rid, {"body": "é" * 5001})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "body", "5,000 characters")
        self.assertIn("é" * 5001, r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0)


class StaffFormsTest(harness.ServerTestCase):
    """Every staff action form on /staff/requests/{id} (core/center.c's specs): required
    fields, limits, the typed values kept (escaped), the message next to its field
    (aria-describedby names it) and nothing changed; a refused state re-shows the page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Ana Forms")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.spec = tt.add_specialist(cls.server, cls.reviewer["id"], "Dr. Linked Forms")
        cls.unlinked = tt.add_specialist(cls.server, None, "Dr. Unlinked Forms")
        cls.s = cls.server.client()
        login(cls.s, cls.staff)

    assertFieldError = FormsTest.assertFieldError

    def act(self, rid, action, frm, **fields):
        form = {"from": frm}
        form.update(fields)
        return self.s.post("/staff/requests/%d/%s" % (rid, action), form)

    def case(self, status):
        rid, _ = tt.new_request(self, self.patient["id"], status)
        self.s.get("/staff/requests/%d" % rid)
        return rid

    def refused(self, rid, before, r, field, words):
        self.assertEqual(r.status, 422, r.text[:300])
        if field == "missing":  # a group of boxes (id="m-<key>"), each pointing to the group's message
            self.assertRegex(r.text, r'<p class="field-error" id="missing-error">[^<]*%s' % re.escape(words))
            self.assertRegex(r.text, r'id="m-other"[^>]*aria-invalid="true" aria-describedby="missing-error"')
        else:
            self.assertFieldError(r.text, field, words)
        self.assertIn("Nothing was changed.", r.text)
        self.assertEqual(tt.snapshot(self, rid), before)

    def test_ask_info_requires_items_and_a_message_and_keeps_the_ticks(self):
        rid = self.case("triage")
        before = tt.snapshot(self, rid)
        r = self.act(rid, "ask-info", "triage", message="  ")
        self.refused(rid, before, r, "message", "Write a short message")
        self.assertIn('id="missing-error">Choose at least one item', r.text)
        # each box of the group points to the group's message
        self.assertRegex(r.text, r'id="m-other"[^>]*aria-invalid="true" aria-describedby="missing-error"')
        # an unknown item; what was ticked and typed comes back
        r = self.act(rid, "ask-info", "triage", missing=["other", "no_such_item"], message="Send <the> report")
        self.refused(rid, before, r, "missing", "Please choose from the list")
        self.assertIn("Send &lt;the&gt; report</textarea>", r.text)
        r = self.act(rid, "ask-info", "triage", missing=["other", "referral"], message="x" * 2001)
        self.refused(rid, before, r, "message", "up to 2,000 characters")
        self.assertRegex(r.text, r'id="m-other"[^>]* checked')
        self.assertNotRegex(r.text, r'id="m-images"[^>]* checked')
        r = self.act(rid, "ask-info", "triage", missing=["other", "referral"], message="Please send the referral.")
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "needs_info")

    def test_decline_note_and_reply_have_limits_at_their_fields(self):
        rid = self.case("triage")
        before = tt.snapshot(self, rid)
        r = self.act(rid, "decline", "triage", reason="")
        self.refused(rid, before, r, "reason", "Give the reason the patient will read")
        self.assertIn('<details open><summary>Decline', r.text)
        r = self.act(rid, "decline", "triage", reason="é" * 2001)
        self.refused(rid, before, r, "reason", "up to 2,000 characters")
        self.assertIn("é" * 2001, r.text)
        r = self.act(rid, "note", "triage", note="n<" * 2001)
        self.refused(rid, before, r, "note", "up to 4,000 characters")
        self.assertIn("n&lt;" * 2001, r.text)
        r = self.act(rid, "reply", "triage", reply=" \n ")
        self.refused(rid, before, r, "reply", "Nothing was sent.")
        r = self.act(rid, "reply", "triage", reply="r" * 5001)
        self.refused(rid, before, r, "reply", "up to 5,000 characters")
        # 2,000 characters of accented text (4,000 bytes) is within the limit
        self.assertEqual(self.act(rid, "decline", "triage", reason="é" * 2000).status, 303)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "declined")

    def test_assign_refusals_sit_at_the_specialist_or_the_reason(self):
        rid = self.case("triage")
        self.sql("UPDATE requests SET specialist_id = %s WHERE id = %s", self.unlinked, rid)
        self.s.get("/staff/requests/%d" % rid)
        before = tt.snapshot(self, rid)
        r = self.act(rid, "assign", "triage", specialist="abc")
        self.refused(rid, before, r, "specialist", "Choose a specialist.")
        r = self.act(rid, "assign", "triage", specialist=str(self.unlinked))
        self.refused(rid, before, r, "specialist", "reviewer account")
        # another than the patient's choice: the patient reads why, so a reason is needed, and limited
        r = self.act(rid, "assign", "triage", specialist=str(self.spec), assign_reason="")
        self.refused(rid, before, r, "assign_reason", "say why this one is assigned")
        self.assertRegex(r.text, r'<option value="%d" selected>' % self.spec)
        r = self.act(rid, "assign", "triage", specialist=str(self.spec), assign_reason="w<" * 501)
        self.refused(rid, before, r, "assign_reason", "1,000 characters")
        self.assertIn("w&lt;" * 501, r.text)
        r = self.act(rid, "assign", "triage", specialist=str(self.spec), assign_reason="Dr. Unlinked is away.")
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT assigned_specialist_id FROM requests WHERE id = %s", rid)[0][0], self.spec)

    def test_schedule_shows_every_mistake_at_once_and_keeps_the_values(self):
        rid = self.case("accepted")
        before = tt.snapshot(self, rid)
        r = self.act(rid, "schedule", "accepted", date="2031-02-30", time="9h30", place="")
        self.refused(rid, before, r, "date", "YYYY-MM-DD")
        self.assertFieldError(r.text, "time", "HH:MM")
        self.assertFieldError(r.text, "place", "where the consultation takes place")
        self.assertRegex(r.text, r'id="f-date"[^>]*value="2031-02-30"')
        self.assertRegex(r.text, r'id="f-time"[^>]*value="9h30"')
        r = self.act(rid, "schedule", "accepted", date="2031-05-04", time="09:30", place="Room <1>\nfloor 2")
        self.refused(rid, before, r, "place", "one line")
        r = self.act(rid, "schedule", "accepted", date="2031-05-04", time="09:30", place="p" * 301)
        self.refused(rid, before, r, "place", "300 characters")
        self.assertRegex(r.text, r'id="f-date"[^>]*value="2031-05-04"')
        self.assertEqual(self.act(rid, "schedule", "accepted", date="2031-05-04", time="09:30",
                                  place="Room 1").status, 303)

    def test_coverage_keeps_the_ticks_and_notes_typed(self):
        rid = self.case("triage")
        before = tt.snapshot(self, rid)
        r = self.act(rid, "coverage", "triage", insurance_verified="yes", network_status="bogus",
                     coverage_notes="Called <Acme>")
        self.refused(rid, before, r, "network_status", "Choose the network status")
        self.assertIn("Called &lt;Acme&gt;</textarea>", r.text)
        self.assertRegex(r.text, r'id="f-iv"[^>]* checked')
        self.assertNotRegex(r.text, r'id="f-rr"[^>]* checked')
        r = self.act(rid, "coverage", "triage", referral_received="yes", network_status="self_pay",
                     coverage_notes="c" * 2001)
        self.refused(rid, before, r, "coverage_notes", "2,000 characters")
        self.assertRegex(r.text, r'value="self_pay" selected')
        self.assertRegex(r.text, r'id="f-rr"[^>]* checked')
        r = self.act(rid, "coverage", "triage", network_status="", coverage_notes="")
        self.refused(rid, before, r, "network_status", "Choose the network status")
        self.assertEqual(self.act(rid, "coverage", "triage", network_status="in_network").status, 303)

    def test_a_stale_action_reshows_the_page_as_it_is_now(self):
        rid = self.case("submitted")
        before = tt.snapshot(self, rid)
        r = self.act(rid, "accept", "submitted")
        self.assertEqual(r.status, 409)
        self.assertIn("Nothing was changed", r.text)
        self.assertIn("Claim for triage", r.text)  # the actions this state offers
        self.assertNotIn("Go to the home page", r.text)
        self.assertEqual(tt.snapshot(self, rid), before)

    def test_the_call_to_the_referring_physician_is_refused_at_its_fields(self):
        rid = self.case("report_ready")
        rep = tt.signed_report(self, rid, self.reviewer["id"])
        self.sql("INSERT INTO communication_tasks (request_id, report_id, due_at) VALUES (%s, %s, now() + interval '1 day')",
                 rid, rep)
        logged = "SELECT logged_at FROM communication_tasks WHERE request_id = %s"
        r = self.s.post("/staff/requests/%d/communication" % rid,
                        {"whom": "Dr. <Primary>", "at": "2026-02-31 10:00", "how": "pigeon", "note": "n" * 2001})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "at", "YYYY-MM-DD HH:MM")
        self.assertFieldError(r.text, "how", "Choose how")
        self.assertFieldError(r.text, "note", "2,000 characters")
        self.assertIn('value="Dr. &lt;Primary&gt;"', r.text)
        self.assertIn('value="2026-02-31 10:00"', r.text)
        # the internal note of the same page neither shows this error nor this text
        self.assertEqual(r.text.count('id="note-error"'), 1)
        self.assertRegex(r.text, r'id="f-note" name="note" rows="3" maxlength="4000"></textarea>')
        r = self.s.post("/staff/requests/%d/communication" % rid, {"whom": "", "at": "2099-01-01 10:00", "how": "phone"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "whom", "who was reached")
        self.assertFieldError(r.text, "at", "cannot be in the future")
        self.assertRegex(r.text, r'value="phone" selected')
        self.assertEqual(self.sql(logged, rid), [(None,)])
        r = self.s.post("/staff/requests/%d/communication" % rid,
                        {"whom": "Dr. Primary", "at": "2026-01-05T10:30", "how": "phone"})
        self.assertEqual(r.status, 303, r.text[:300])
        # a second record: the page again, saying so, nothing changed
        r = self.s.post("/staff/requests/%d/communication" % rid,
                        {"whom": "Dr. Other", "at": "2026-01-05T11:30", "how": "fax"})
        self.assertEqual(r.status, 409)
        self.assertIn("already recorded", r.text)
        self.assertIn('id="comm-task-done"', r.text)
        self.assertEqual(self.sql("SELECT reached_whom FROM communication_tasks WHERE request_id = %s", rid),
                         [("Dr. Primary",)])

    # An action is one transaction: the access check reads and locks the row in one statement
    # (requests_access_locked), then the state is checked, the change saved and audited. Before,
    # the check read the row outside the transaction and the transaction locked it again: one
    # statement more, and a request that changed between the two was acted on with a stale check.
    # Measured before the change: note 14, decline 20, claim 21 statements; now one fewer each.
    ACTION_STATEMENTS = {"note": 13, "decline": 19, "claim": 20}

    def test_an_action_checks_access_once_on_the_locked_row_and_costs_no_more_statements(self):
        rid = self.case("triage")
        audit = "SELECT action, outcome FROM audit_log WHERE object_id = %s AND id > %s ORDER BY id"
        last = self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
        r = self.act(rid, "note", "triage", note="Checked the referral.")
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.ACTION_STATEMENTS["note"])
        self.assertEqual(self.sql(audit, str(rid), last), [("request.note", "ok"), ("request.action", "ok")])
        last = self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
        r = self.act(rid, "decline", "triage", reason="We cannot read ultrasound-only exams.")
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.ACTION_STATEMENTS["decline"])
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "declined")
        self.assertIn(("request.action", "ok"), self.sql(audit, str(rid), last))
        rid = self.case("submitted")
        r = self.act(rid, "claim", "submitted")
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.ACTION_STATEMENTS["claim"])

    def test_an_action_on_a_request_out_of_reach_or_absent_is_refused_and_changes_nothing(self):
        """Staff reach every request past draft: a draft, or no such request, is refused with a
        404 page that leads on (a link home), the refusal audited, nothing else written."""
        draft = self.case("draft")
        absent = self.sql("SELECT coalesce(max(id), 0) + 1000 FROM requests")[0][0]
        for rid, action, frm, fields in ((draft, "note", "draft", {"note": "Seen."}),
                                         (draft, "decline", "draft", {"reason": "No."}),
                                         (draft, "claim", "draft", {}),
                                         (absent, "note", "triage", {"note": "Seen."}),
                                         (absent, "accept", "triage", {})):
            before = tt.snapshot(self, rid)
            last = self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
            r = self.act(rid, action, frm, **fields)
            self.assertEqual(r.status, 404, (rid, action))
            self.assertIn('href="/"', r.text)  # not a dead end
            self.assertNotIn("Seen.", r.text)
            self.assertEqual(tt.snapshot(self, rid), before)
            self.assertEqual(self.sql("SELECT action, outcome FROM audit_log WHERE id > %s ORDER BY id", last),
                             [("request.view", "denied")], (rid, action))
        # the call to the referring physician likewise
        for rid in (draft, absent):
            r = self.s.post("/staff/requests/%d/communication" % rid,
                            {"whom": "Dr. Primary", "at": "2026-01-05T10:30", "how": "phone"})
            self.assertEqual(r.status, 404)
            self.assertIn('href="/"', r.text)
            self.assertEqual(self.sql("SELECT count(*) FROM request_events WHERE request_id = %s", rid)[0][0], 0)

    def test_a_request_moved_out_of_reach_while_the_action_waits_for_it_is_refused(self):
        """The access check is made on the row the action locks: a request that another
        transaction takes back to draft while the action waits for its row is refused as out of
        reach (404, audited as such), not judged on a check made before the lock."""
        rid = self.case("triage")
        last = self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
        r = post_while_row_locked(self, "UPDATE requests SET status = 'draft' WHERE id = %s", (rid,),
                                  lambda: self.act(rid, "note", "triage", note="Seen meanwhile."), "action")
        self.assertEqual(r.status, 404, r.text[:300])
        self.assertIn('href="/"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0)
        self.assertEqual(self.sql("SELECT action, outcome FROM audit_log WHERE id > %s ORDER BY id", last),
                         [("request.view", "denied")])

    def test_queue_filters_refused_next_to_the_filter_on_the_queue_page(self):
        self.case("triage")
        r = self.s.get("/staff/queue?priority=9&q=" + "%3Cq%3E" + "z" * 10)
        self.assertEqual(r.status, 400)
        self.assertFieldError(r.text, "priority", "Choose a priority from the list")
        self.assertIn('value="&lt;q&gt;zzzzzzzzzz"', r.text)  # the search typed, escaped
        self.assertIn("request", r.text)  # the queue itself, unfiltered
        r = self.s.get("/staff/queue?status=nope&specialist=x&overdue=yes")
        self.assertEqual(r.status, 400)
        self.assertFieldError(r.text, "status", "Choose a status from the list")
        self.assertFieldError(r.text, "specialist", "Choose a specialist from the list")
        self.assertFieldError(r.text, "overdue", "Tick the box")
        r = self.s.get("/staff/queue?q=" + "q" * 101)
        self.assertEqual(r.status, 400)
        self.assertFieldError(r.text, "q", "at most 100 characters")
        self.assertEqual(self.s.get("/staff/queue?status=all&priority=6&page=2&overdue=1").status, 200)


class ReviewerFormsTest(harness.ServerTestCase):
    """The reviewer's report (draft and signing), addendum, reply and note (core/reports.c's
    specs): required, limits, echo (the credential never), field errors, nothing saved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Rita Forms")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.spec = tt.add_specialist(cls.server, cls.reviewer["id"], "Dr. Reviewer Forms")
        cls.rv = cls.server.client()
        login(cls.rv, cls.reviewer)

    assertFieldError = FormsTest.assertFieldError

    def case(self, status="in_review"):
        rid, _ = tt.new_request(self, self.patient["id"], status, reviewer_id=self.reviewer["id"],
                                specialist_id=self.spec)
        self.rv.get("/reviewer/cases/%d" % rid)
        return rid

    def report(self, **kw):
        f = {"findings_left": "No findings.", "findings_right": "No findings.", "birads": "2", "density": "B",
             "recommendation": "routine_screening", "summary": "All is well."}
        f.update(kw)
        return f

    def reports(self, rid):
        return self.sql("SELECT count(*) FROM reports WHERE request_id = %s", rid)[0][0]

    def test_signing_needs_every_field_and_keeps_what_was_typed_but_the_password(self):
        rid = self.case()
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         self.report(findings_left="", summary="", density="E", answers="Ans <1>",
                                     action="sign", credential="secret-typed-99"))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "findings_left", "findings for the left breast")
        self.assertFieldError(r.text, "summary", "plain-language summary")
        self.assertFieldError(r.text, "density", "from A to D")
        self.assertIn("Ans &lt;1&gt;</textarea>", r.text)
        self.assertRegex(r.text, r'<option value="2" selected>')
        self.assertNotIn("secret-typed-99", r.text)
        self.assertEqual(self.reports(rid), 0)
        # a category and a recommendation that disagree need the reason, at its field
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         self.report(birads="5", action="sign", credential=self.reviewer["password"]))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "contradiction_reason", "point to different next steps")
        self.assertEqual(self.reports(rid), 0)
        # limits count characters
        r = self.rv.post("/reviewer/cases/%d/report" % rid, self.report(summary="é" * 5001, action="save"))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "summary", "5,000 characters")
        self.assertEqual(self.reports(rid), 0)
        self.assertEqual(self.rv.post("/reviewer/cases/%d/report" % rid,
                                      self.report(summary="é" * 5000, action="save")).status, 303)
        self.assertEqual(self.reports(rid), 1)
        # a draft may be incomplete, but not unknown values
        r = self.rv.post("/reviewer/cases/%d/report" % rid, {"birads": "7", "action": "save"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "birads", "Choose a BI-RADS category")
        self.assertEqual(self.rv.post("/reviewer/cases/%d/report" % rid,
                                      {"findings_left": "Draft only.", "action": "save"}).status, 303)

    def test_addendum_reply_and_note_errors_sit_at_their_fields(self):
        rid = self.case()
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         self.report(action="sign", credential=self.reviewer["password"]))
        self.assertEqual(r.status, 303, r.text[:300])
        adds = "SELECT count(*) FROM report_addenda a JOIN reports r ON r.id = a.report_id WHERE r.request_id = %s"
        r = self.rv.post("/reviewer/cases/%d/addenda" % rid, {"body": " ", "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "body", "Write the addendum")
        r = self.rv.post("/reviewer/cases/%d/addenda" % rid,
                         {"body": "b<" * 5001, "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "body", "10,000 characters")
        self.assertIn("b&lt;" * 5001, r.text)
        self.assertEqual(self.sql(adds, rid)[0][0], 0)
        msgs = "SELECT count(*) FROM messages WHERE request_id = %s"
        r = self.rv.post("/reviewer/cases/%d/reply" % rid, {"reply": "\n"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "reply", "Nothing was sent.")
        r = self.rv.post("/reviewer/cases/%d/note" % rid, {"note": "q" * 5001})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "note", "5,000 characters")
        self.assertEqual(self.sql(msgs, rid)[0][0], 0)
        # the report can no longer change: the case again, saying so (not a bare page)
        r = self.rv.post("/reviewer/cases/%d/report" % rid, self.report(action="save"))
        self.assertEqual(r.status, 409)
        self.assertIn("can no longer be changed", r.text)
        self.assertIn("Signed report", r.text)
        self.assertNotIn("Go to the home page", r.text)

    # The report (draft and signing), the addendum, the reply and the note are each one
    # transaction whose access check reads and locks the request in one statement
    # (requests_access_locked, or the same rule in message_tx), as a staff action is. Before,
    # the check read the request outside the transaction and the transaction locked it again.
    # Measured before the change: draft 14, sign 31, addendum 16, reply 13, note 10 statements.
    REVIEWER_STATEMENTS = {"save": 11, "sign": 29, "addendum": 14, "reply": 11, "note": 8}

    def audit_since(self, last):
        return self.sql("SELECT action, outcome FROM audit_log WHERE id > %s ORDER BY id", last)

    def last_audit(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]

    def state(self, rid):
        return (tt.snapshot(self, rid),
                self.sql("SELECT id, status, summary, content_hash FROM reports WHERE request_id = %s"
                         " ORDER BY id", rid),
                self.sql("SELECT count(*) FROM report_addenda a JOIN reports r ON r.id = a.report_id"
                         " WHERE r.request_id = %s", rid))

    def test_report_and_addendum_check_access_once_on_the_locked_row_and_cost_no_more_statements(self):
        rid = self.case()
        last = self.last_audit()
        r = self.rv.post("/reviewer/cases/%d/report" % rid, self.report(action="save"))
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.REVIEWER_STATEMENTS["save"])
        self.assertEqual(self.audit_since(last), [("request.view", "ok"), ("report.save_draft", "ok")])
        last = self.last_audit()
        r = self.rv.post("/reviewer/cases/%d/report" % rid,
                         self.report(action="sign", credential=self.reviewer["password"]))
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.REVIEWER_STATEMENTS["sign"])
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "report_ready")
        log = self.audit_since(last)
        self.assertEqual(log.count(("request.view", "ok")), 1, log)
        self.assertIn(("report.sign", "ok"), log)
        self.assertNotIn(("report.sign", "denied"), log)
        last = self.last_audit()
        r = self.rv.post("/reviewer/cases/%d/addenda" % rid,
                         {"body": "One more word.", "credential": self.reviewer["password"]})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.REVIEWER_STATEMENTS["addendum"])
        self.assertEqual(self.audit_since(last), [("request.view", "ok"), ("report.addendum", "ok")])
        for path, action in (("reply", "request.message"), ("note", "request.note")):
            last = self.last_audit()
            r = self.rv.post("/reviewer/cases/%d/%s" % (rid, path), {path: "A word on the %s." % path})
            self.assertEqual(r.status, 303, r.text[:300])
            self.assertLessEqual(int(r.header("X-Test-Sql-Statements")), self.REVIEWER_STATEMENTS[path])
            self.assertEqual(self.audit_since(last), [(action, "ok")])

    def test_a_case_not_assigned_to_this_reviewer_is_refused_and_nothing_changes(self):
        """Another reviewer's case, an unassigned one, a draft and an absent one: the report draft,
        the signing, the addendum, the reply and the note are a 404 page that leads on, the refusal
        audited once as request.view denied, nothing else written (no password asked, no failure
        counted)."""
        other = make_user(self.server, "reviewer")
        theirs, _ = tt.new_request(self, self.patient["id"], "in_review", reviewer_id=other["id"])
        nobody, _ = tt.new_request(self, self.patient["id"], "in_review")
        draft, _ = tt.new_request(self, self.patient["id"], "draft", reviewer_id=self.reviewer["id"])
        signed, _ = tt.new_request(self, self.patient["id"], "report_ready", reviewer_id=other["id"])
        tt.signed_report(self, signed, other["id"])
        absent = self.sql("SELECT coalesce(max(id), 0) + 1000 FROM requests")[0][0]
        forms = (("report", self.report(action="save", summary="Not mine.")),
                 ("report", self.report(action="sign", summary="Not mine.", credential=self.reviewer["password"])),
                 ("report", self.report(action="sign", summary="Not mine.", credential="wrong-password-1")),
                 ("addenda", {"body": "Not mine.", "credential": self.reviewer["password"]}),
                 ("reply", {"reply": "Not mine."}),
                 ("note", {"note": "Not mine."}))
        for rid in (theirs, nobody, draft, signed, absent):
            for path, fields in forms:
                before = self.state(rid)
                last = self.last_audit()
                r = self.rv.post("/reviewer/cases/%d/%s" % (rid, path), fields)
                self.assertEqual(r.status, 404, (rid, path, fields.get("action")))
                self.assertIn('href="/"', r.text)
                self.assertNotIn("Not mine.", r.text)
                self.assertEqual(self.state(rid), before, (rid, path))
                self.assertEqual(self.audit_since(last), [("request.view", "denied")], (rid, path))

    def test_a_case_taken_from_the_reviewer_while_the_report_waits_for_it_is_refused(self):
        """The check is made on the row the save locks: a case that another transaction gives to
        someone else while the report's save waits for its row is refused (404, audited as
        request.view denied), not saved on a check made before the lock. Likewise the addendum and
        the reply."""
        other = make_user(self.server, "reviewer")
        for path in ("report", "addenda", "reply"):
            rid = self.case()
            if path == "reply":
                fields = {"reply": "Written meanwhile."}
            elif path == "addenda":
                r = self.rv.post("/reviewer/cases/%d/report" % rid,
                                 self.report(action="sign", credential=self.reviewer["password"]))
                self.assertEqual(r.status, 303, r.text[:300])
                fields = {"body": "Written meanwhile.", "credential": self.reviewer["password"]}
            else:
                fields = self.report(action="save", summary="Written meanwhile.")
            before = self.state(rid)[1:]
            last = self.last_audit()
            r = post_while_row_locked(self, "UPDATE requests SET assigned_reviewer_id = %s WHERE id = %s",
                                      (other["id"], rid),
                                      lambda: self.rv.post("/reviewer/cases/%d/%s" % (rid, path), fields), path)
            self.assertEqual(r.status, 404, r.text[:300])
            self.assertIn('href="/"', r.text)
            self.assertNotIn("Written meanwhile.", r.text)
            self.assertEqual(self.state(rid)[1:], before, path)
            self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0, path)
            self.assertEqual(self.audit_since(last), [("request.view", "denied")], path)


class AdminCenterFormsTest(harness.ServerTestCase):
    """The center's name and address, and the review targets (core/center.c's specs)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = make_user(cls.server, "admin")
        cls.a = cls.server.client()
        login(cls.a, cls.admin)

    assertFieldError = FormsTest.assertFieldError

    def identity(self):
        return self.sql("SELECT name, address FROM center_identity")

    def test_identity_required_limits_echo_and_nothing_saved(self):
        self.a.get("/admin/center")
        before = self.identity()
        r = self.a.post("/admin/center/identity", {"center_name": "  ", "center_address": "1 Main St\r\nTown <A>"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "center_name", "name as it should appear on printed pages")
        self.assertIn("Town &lt;A&gt;</textarea>", r.text)
        r = self.a.post("/admin/center/identity", {"center_name": "N" * 201, "center_address": "\n".join("L%d" % i for i in range(9))})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "center_name", "at most 200 characters")
        self.assertFieldError(r.text, "center_address", "at most 8 lines")
        r = self.a.post("/admin/center/identity", {"center_name": "Riverside", "center_address": "é" * 501})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "center_address", "at most 500 characters")
        self.assertIn('value="Riverside"', r.text)
        self.assertEqual(self.identity(), before)
        # 495 characters on 8 lines typed with CR LF is within the limit; stored without the CRs
        address = "\r\n".join(["a" * 61] * 8)
        r = self.a.post("/admin/center/identity", {"center_name": "Riverside Breast Center", "center_address": address})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.identity(), [("Riverside Breast Center", "\n".join(["a" * 61] * 8))])

    def test_targets_errors_at_each_field(self):
        self.a.get("/admin/center")
        before = self.sql("SELECT review_type, target_days FROM review_targets ORDER BY 1")
        r = self.a.post("/admin/center/targets", {"days_reread": "0", "days_consult": "x"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "days_reread", "from 1 to 90")
        self.assertFieldError(r.text, "days_consult", "from 1 to 90")
        self.assertRegex(r.text, r'id="f-days_consult"[^>]*value="x"')
        r = self.a.post("/admin/center/targets", {"days_reread": "12"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "days_consult", "Enter the number of days")
        self.assertRegex(r.text, r'id="f-days_reread"[^>]*value="12"')
        self.assertEqual(self.sql("SELECT review_type, target_days FROM review_targets ORDER BY 1"), before)
        # a target for a review type the center does not have is refused, the form re-shown
        full = {"days_" + t: "9" for t, _ in before}
        audits = "SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'"
        n0 = self.sql(audits)[0][0]
        r = self.a.post("/admin/center/targets", dict(full, days_bogus="5"))
        self.assertEqual(r.status, 422)
        self.assertRegex(r.text, r'<p class="field-error" id="targets-error">[^<]*review type this center does not have')
        self.assertIn("nothing was saved", r.text)
        self.assertNotIn("Go to the home page", r.text)
        self.assertRegex(r.text, r'id="f-days_reread"[^>]*value="9"')  # what was typed is kept
        self.assertEqual(self.sql("SELECT review_type, target_days FROM review_targets ORDER BY 1"), before)
        self.assertEqual(self.sql(audits)[0][0], n0)
        # with a field error too, both are said
        r = self.a.post("/admin/center/targets", dict(full, days_reread="0", days_other="5"))
        self.assertEqual(r.status, 422)
        self.assertIn('id="targets-error"', r.text)
        self.assertFieldError(r.text, "days_reread", "from 1 to 90")
        self.assertEqual(self.sql("SELECT review_type, target_days FROM review_targets ORDER BY 1"), before)
        # the same form without it is saved
        self.assertEqual(self.a.post("/admin/center/targets", full).status, 303)
        self.assertEqual({d for _, d in self.sql("SELECT review_type, target_days FROM review_targets")}, {9})
