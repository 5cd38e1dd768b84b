"""The caregiver, representative and token forms on the one form layer
(issue 15 items 1 and 4): for each form a required field left empty, a limit
exceeded, every typed value echoed (the password and the token never), the
message next to its field, and nothing saved. Then the two caregiver gaps:
a representative whose link staff end is told (a notice with no health
data), and a caregiver's removal is written with its audit row in one
transaction (both or neither)."""
import re
import urllib.parse

import harness
import records_helpers as rh
import test_caregivers as tc
from accounts_helpers import login, make_user, outbox_messages

TOKEN_RE = re.compile(r"sop_[A-Za-z0-9_-]{43}")


class FieldErrors:
    def assertFieldError(self, page, field, words):
        """The message sits next to the field, and the field (or each choice of a group) points to it."""
        m = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % field, page)
        self.assertTrue(m, (field, page[:3000]))
        self.assertIn(words, m.group(1))
        self.assertRegex(page, r'id="f-%s(-[a-z_]+)?"[^>]*aria-invalid="true" aria-describedby="%s-error"'
                         % (field, field))
        self.assertNotIn("Go to the home page", page)

    def count(self, sql, *args):
        return self.sql(sql, *args)[0][0]


class CaregiverFormsTest(FieldErrors, harness.ServerTestCase):
    invite = tc.CaregiversTest.invite
    accept_new = tc.CaregiversTest.accept_new

    def setUp(self):
        self.maria = make_user(self.server, "patient", name=tc.PATIENT_NAME)
        self.mc = self.client()
        login(self.mc, self.maria)

    def links(self):
        return self.count("SELECT count(*) FROM caregiver_links WHERE patient_id = %s", self.maria["id"])

    def test_invitation_required_limits_echo_and_nothing_saved(self):
        outbox = self.count("SELECT count(*) FROM outbox")
        # required: the address; the relationship chosen is kept
        r = self.invite(self.mc, "", relationship="son")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "e-mail address of the person you invite")
        self.assertRegex(r.text, r'value="son"[^>]* checked')
        # limits: the patient's own word at most 60 characters; an address at most 254
        other = "my neighbour <b>" + "x" * 50
        r = self.invite(self.mc, "ana.form@example.test", relationship="other", other=other)
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "relationship_other", "at most 60 characters")
        self.assertIn('value="ana.form@example.test"', r.text)
        self.assertIn('value="my neighbour &lt;b&gt;%s"' % ("x" * 50), r.text)  # kept, escaped
        self.assertRegex(r.text, r'value="other"[^>]* checked')
        r = self.invite(self.mc, "a" * 250 + "@example.test", relationship="daughter")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "e-mail address")
        # "other" needs its words; an unknown relationship is refused at the group
        r = self.invite(self.mc, "ana.form@example.test", relationship="other", other="   ")
        self.assertFieldError(r.text, "relationship_other", "in a few words")
        r = self.invite(self.mc, "ana.form@example.test", relationship="boss")
        self.assertFieldError(r.text, "relationship", "what this person is to you")
        # the domain's own check joins the same map
        r = self.invite(self.mc, self.maria["email"], relationship="daughter")
        self.assertFieldError(r.text, "email", "your own address")
        self.assertEqual(self.links(), 0)
        self.assertEqual(self.count("SELECT count(*) FROM outbox"), outbox)
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'caregiver.invite' AND actor_id = %s",
                                    self.maria["id"]), 0)
        self.assertEqual(self.invite(self.mc, "ana.form@example.test").status, 303)
        self.assertEqual(self.links(), 1)

    def test_accepting_required_limits_echo_but_never_the_password(self):
        self.assertEqual(self.invite(self.mc, "ana.accept@example.test").status, 303)
        url, _ = tc.invite_link(self.server, "ana.accept@example.test")
        token = urllib.parse.parse_qs(url.query)["token"][0]
        anon = self.client()
        self.assertEqual(anon.get(url.path + "?" + url.query).status, 200)
        users = self.count("SELECT count(*) FROM users")
        secret = "correct horse battery staple zebra"
        # required: the name; the password typed is never sent back
        r = anon.post("/caregivers/accept", {"token": token, "name": " ", "password": secret,
                                             "time_zone": "Europe/Madrid"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "full name")
        self.assertNotIn(secret, r.text)
        self.assertIn('value="Europe/Madrid"', r.text)
        # limit: at most 200 characters for the name; a short password said at the same time
        long_name = "Ana " + "R" * 197
        r = anon.post("/caregivers/accept", {"token": token, "name": long_name, "password": "short1"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "at most 200 characters")
        self.assertFieldError(r.text, "password", "15")
        self.assertIn('value="%s"' % long_name, r.text)
        self.assertNotIn("short1", r.text)
        # required: the password
        r = anon.post("/caregivers/accept", {"token": token, "name": "Ana <Rivera>", "password": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "choose a password")
        self.assertIn('value="Ana &lt;Rivera&gt;"', r.text)
        self.assertEqual(self.count("SELECT count(*) FROM users"), users)
        self.assertEqual(self.count("SELECT count(*) FROM caregiver_links WHERE patient_id = %s AND "
                                    "caregiver_id IS NOT NULL", self.maria["id"]), 0)
        r = anon.post("/caregivers/accept", {"token": token, "name": "Ana Rivera", "password": secret,
                                             "time_zone": "Europe/Madrid"})
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertEqual(self.count("SELECT count(*) FROM users"), users + 1)

    def test_revoke_writes_the_removal_and_its_audit_row_in_one_transaction(self):
        ana, ac, _ = self.accept_new("ana.revoke@example.test")
        link = self.sql("SELECT id FROM caregiver_links WHERE patient_id = %s", self.maria["id"])[0][0]
        # if the audit row cannot be written, the removal is rolled back with it (neither)
        self.sql("CREATE FUNCTION t_no_revoke_audit() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$BEGIN RAISE EXCEPTION 'audit refused by the test'; END$$")
        self.sql("CREATE TRIGGER t_no_revoke_audit BEFORE INSERT ON audit_log FOR EACH ROW "
                 "WHEN (NEW.action = 'caregiver.revoke') EXECUTE FUNCTION t_no_revoke_audit()")
        try:
            self.mc.get("/account/caregivers")
            r = self.mc.post("/account/caregivers/%d/revoke" % link, {})
            self.assertNotEqual(r.status, 303)
        finally:
            self.sql("DROP TRIGGER t_no_revoke_audit ON audit_log")
            self.sql("DROP FUNCTION t_no_revoke_audit()")
        self.assertIsNone(self.sql("SELECT revoked_at FROM caregiver_links WHERE id = %s", link)[0][0])
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'caregiver.revoke' AND actor_id = %s",
                                    self.maria["id"]), 0)
        self.assertEqual(ac.get("/requests").status, 200)
        # and when it can: both are there as soon as the answer is (no waiting: same transaction)
        self.mc.get("/account/caregivers")
        r = self.mc.post("/account/caregivers/%d/revoke" % link, {})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertIsNotNone(self.sql("SELECT revoked_at FROM caregiver_links WHERE id = %s", link)[0][0])
        self.assertEqual(self.sql("SELECT actor_id, patient_id, outcome, detail::text FROM audit_log "
                                  "WHERE action = 'caregiver.revoke' AND actor_id = %s", self.maria["id"]),
                         [(self.maria["id"], self.maria["id"], "ok", '{"caregiver": %d}' % ana["id"])])
        # someone else's link: 404, nothing removed, the refusal audited
        _, other = self.patient_client()
        other.get("/account/caregivers")
        self.assertEqual(other.post("/account/caregivers/%d/revoke" % link, {}).status, 404)
        self.assertEqual(self.sql("SELECT outcome FROM audit_log WHERE action = 'caregiver.revoke' "
                                  "ORDER BY id DESC LIMIT 1")[0][0], "denied")

    def patient_client(self):
        u = make_user(self.server, "patient")
        c = self.client()
        login(c, u)
        return u, c


class RepresentativeFormsTest(FieldErrors, harness.ServerTestCase):

    def setUp(self):
        self.rep = make_user(self.server, "patient", name="Pedro Parent")
        self.rc = self.client()
        login(self.rc, self.rep)

    def test_request_for_someone_required_limits_echo_and_nothing_saved(self):
        self.rc.get("/requests/for-someone")
        users, requests = self.count("SELECT count(*) FROM users"), self.count("SELECT count(*) FROM requests")
        form = {"name": "", "dob": "2010-05-01", "relationship": "parent", "authority": "legal_guardian"}
        r = self.rc.post("/requests/for-someone", form)
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "full name of the person you act for")
        self.assertIn('value="2010-05-01"', r.text)
        self.assertRegex(r.text, r'value="parent"[^>]* checked')
        self.assertRegex(r.text, r'value="legal_guardian"[^>]* checked')
        long_name = "Luc\u00eda " + "M" * 200
        r = self.rc.post("/requests/for-someone", dict(form, name=long_name, relationship="other",
                                                       relationship_other="y" * 61, authority=""))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "at most 200 characters")
        self.assertFieldError(r.text, "relationship_other", "at most 60 characters")
        self.assertFieldError(r.text, "authority", "authority to act for them")
        self.assertIn(long_name, r.text)
        self.assertIn('value="%s"' % ("y" * 61), r.text)
        r = self.rc.post("/requests/for-someone", dict(form, name="Luc\u00eda Menor", dob="2999-01-01"))
        self.assertFieldError(r.text, "dob", "not in the future")
        self.assertIn('value="2999-01-01"', r.text)
        self.assertEqual(self.count("SELECT count(*) FROM users"), users)
        self.assertEqual(self.count("SELECT count(*) FROM requests"), requests)
        self.assertEqual(self.count("SELECT count(*) FROM caregiver_links WHERE caregiver_id = %s", self.rep["id"]), 0)

    def represented(self):
        """A request for someone, with the authority document uploaded, at the staff check."""
        self.rc.get("/requests/for-someone")
        r = self.rc.post("/requests/for-someone", {"name": "Luc\u00eda Menor", "dob": "2010-05-01",
                                                   "relationship": "parent", "authority": "parent_of_minor"})
        self.assertEqual(r.status, 303, r.text[:300])
        rid = int(r.header("Location").split("/")[2])
        person = self.sql("SELECT patient_id FROM requests WHERE id = %s", rid)[0][0]
        link = self.sql("SELECT id FROM caregiver_links WHERE patient_id = %s", person)[0][0]
        self.rc.get("/requests/%d/records" % rid)
        rh.upload_bytes(self.rc, rid, tc.PDF, "birth-certificate.pdf", kind="authority_document")
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s AND kind = 'authority_document'", rid)[0][0]
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", rid)
        staff = make_user(self.server, "staff")
        sc = self.client()
        login(sc, staff)
        self.assertEqual(sc.get("/staff/requests/%d" % rid).status, 200)
        return rid, person, link, doc, sc

    def test_staff_authority_and_end_forms_refuse_at_their_field_and_save_nothing(self):
        rid, person, link, doc, sc = self.represented()
        decision = "SELECT authority_decision FROM caregiver_links WHERE id = %s"
        # required: the decision (it used to be a bare 400 page)
        r = sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc), "reason": "kept <words>"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="authority_reason-error">Choose whether the document is accepted', r.text)
        self.assertIn('aria-describedby="authority_reason-error"', r.text)
        self.assertRegex(r.text, r'id="f-authority-reason"[^>]*>kept &lt;words&gt;</textarea>')
        # limit: a refusal's reason at most 1,000 characters, echoed in its box
        long_reason = "The stamp is missing. " + "z" * 990
        r = sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc), "decision": "refuse",
                                                          "reason": long_reason})
        self.assertEqual(r.status, 422)
        self.assertIn('id="authority_reason-error">Please say why the document is not accepted, in at most 1,000',
                      r.text)
        self.assertRegex(r.text, r'id="f-authority-reason"[^>]*>%s</textarea>' % long_reason)
        # a form without its document: said on the page, not a dead end
        r = sc.post("/staff/requests/%d/authority" % rid, {"decision": "verify"})
        self.assertEqual(r.status, 422)
        self.assertIn("missing the document", r.text)
        self.assertIsNone(self.sql(decision, link)[0][0])
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action LIKE 'caregiver.authority.%%' "
                                    "AND patient_id = %s", person), 0)
        # ending: required reason, its limit, the reason echoed, a missing link said on the page
        ended = "SELECT revoked_at FROM caregiver_links WHERE id = %s"
        r = sc.post("/staff/requests/%d/representative/end" % rid, {"link": str(link), "end_reason": ""})
        self.assertEqual(r.status, 422)
        self.assertIn('id="end_reason-error">Please say why this person no longer acts', r.text)
        long_end = "Withdrawn <by the court>. " + "w" * 990
        r = sc.post("/staff/requests/%d/representative/end" % rid, {"link": str(link), "end_reason": long_end})
        self.assertEqual(r.status, 422)
        self.assertIn('id="end_reason-error">Please say why this person no longer acts for the patient (at most 1,000',
                      r.text)
        self.assertRegex(r.text, r'id="f-end-reason"[^>]*aria-invalid="true" aria-describedby="end_reason-error">'
                         + re.escape(long_end.replace("<", "&lt;").replace(">", "&gt;")) + "</textarea>")
        r = sc.post("/staff/requests/%d/representative/end" % rid, {"end_reason": "Withdrawn"})
        self.assertEqual(r.status, 422)
        self.assertIn("missing who acts for the patient", r.text)
        self.assertIn(">Withdrawn</textarea>", r.text)
        self.assertIsNone(self.sql(ended, link)[0][0])
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'caregiver.end' AND patient_id = %s",
                                    person), 0)

    def test_ending_a_representative_tells_them_without_health_data(self):
        rid, person, link, doc, sc = self.represented()
        reason = "The court order giving parental authority was withdrawn."
        before = [m for m in outbox_messages(self.server) if m["to"] == self.rep["email"]]
        r = sc.post("/staff/requests/%d/representative/end" % rid, {"link": str(link), "end_reason": reason})
        self.assertEqual(r.status, 303, r.text[:300])
        # queued in the same transaction as the ending: there as soon as the answer is
        self.assertEqual(self.sql("SELECT kind, user_id FROM outbox WHERE recipient = %s ORDER BY id DESC LIMIT 1",
                                  self.rep["email"]), [("notice", self.rep["id"])])
        msgs = [m for m in outbox_messages(self.server) if m["to"] == self.rep["email"]]
        self.assertEqual(len(msgs), len(before) + 1)
        m = msgs[-1]
        self.assertIn("authority to act", m["subject"])
        self.assertIn("no longer see or change", m["body"])
        for word in ("Luc\u00eda", "Menor", "court", "mammogram", "breast", "SO-", "/requests/%d" % rid, "parent"):
            self.assertNotIn(word, m["subject"] + m["body"])


class TokenFormTest(FieldErrors, harness.ServerTestCase):

    def setUp(self):
        self.user = make_user(self.server, "patient")
        self.c = self.client()
        login(self.c, self.user)

    def post(self, form):
        self.c.get("/account/tokens")
        r = self.c.post("/account/tokens", form)
        if r.status == 401 and 'name="stepup_credential"' in r.text:
            r = self.c.post("/account/tokens", dict(form, stepup_credential=self.user["password"]))
        return r

    def tokens(self):
        return self.count("SELECT count(*) FROM access_tokens WHERE user_id = %s", self.user["id"])

    def test_token_form_required_limits_echo_and_the_token_never_echoed(self):
        r = self.post({"label": "", "days": "45"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "label", "Give the program a name")
        self.assertIn('value="45"', r.text)
        r = self.post({"label": "L" * 81, "days": "45"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "label", "at most 80")
        self.assertIn('value="%s"' % ("L" * 81), r.text)
        r = self.post({"label": "Weasis <home>", "days": "366"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "days", "from 1 to 365")
        self.assertIn('value="Weasis &lt;home&gt;"', r.text)
        self.assertIn('value="366"', r.text)
        r = self.post({"label": "Weasis home", "days": "30", "can_store": "1"})  # a patient cannot send studies
        self.assertEqual(r.status, 422)
        self.assertIn('id="can_store-error"', r.text)
        self.assertIn('value="Weasis home"', r.text)
        self.assertEqual(self.tokens(), 0)
        self.assertIsNone(TOKEN_RE.search(r.text))
        # made: shown once, in that answer only (the form is empty again)
        r = self.post({"label": "Weasis home", "days": "30"})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.tokens(), 1)
        tok = TOKEN_RE.search(r.text)
        self.assertTrue(tok, r.text[:2000])
        self.assertEqual(len(TOKEN_RE.findall(r.text)), 1)
        self.assertNotIn(tok.group(0), self.c.get("/account/tokens").text)
