"""The one form layer (issue 15, item 1): forms moved to it re-show the
page with a 422, the message next to the field (aria-invalid,
aria-describedby), every typed value kept, and nothing saved. Covers the
forms that used to end on a bare "Error 422" page: Revoke and Withdraw
without the tick, an over-long withdrawal reason, a future "letter sent"
date and an empty message."""
import datetime
import re

import harness
import test_requests as tr

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
