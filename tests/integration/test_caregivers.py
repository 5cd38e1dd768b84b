"""Caregivers (issue 15 item 4): a patient invites a caregiver by e-mail; the
single-use link creates the caregiver's own account (or attaches an existing
one); the caregiver starts a request for her, uploads, and signs the
authorization in their own name (relationship and authority recorded and
printed); the audit names both people and the patient reads "Your daughter
Ana Rivera uploaded …"; the patient revokes, and from that moment every path
of hers answers the caregiver 404 with nothing revealed — as it always does
for a caregiver of someone else. Signature matching folds case, accents and
spacing (the full table is tests/data/signature_fold.tsv, unit-tested)."""
import re
import urllib.parse

import harness
import records_helpers as rh
from accounts_helpers import login, make_user, outbox_messages

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PATIENT_NAME = "Mar\u00eda Jos\u00e9 Rivera"


def invite_link(server, email):
    """The newest invitation link sent to email (from the outbox), and the message."""
    msgs = [m for m in outbox_messages(server) if m["to"] == email]
    assert msgs, "no message to %s" % email
    m = msgs[-1]
    link = re.search(r"(https?://\S+/caregivers/accept\?token=[A-Za-z0-9_-]{43})", m["body"])
    assert link, m["body"]
    return urllib.parse.urlsplit(link.group(1)), m


class CaregiversTest(harness.ServerTestCase):

    def setUp(self):
        self.maria = make_user(self.server, "patient", name=PATIENT_NAME)
        self.mc = self.client()
        login(self.mc, self.maria)

    def invite(self, c, email, relationship="daughter", other=""):
        r = c.get("/account/caregivers")
        self.assertEqual(r.status, 200)
        return c.post("/account/caregivers", {"email": email, "relationship": relationship,
                                              "relationship_other": other})

    def accept_new(self, email, name="Ana Rivera", inviter=None):
        """Invites email as daughter and accepts by creating an account; returns (user, logged-in client, link id)."""
        r = self.invite(inviter or self.mc, email)
        self.assertEqual(r.status, 303, r.text[:400])
        url, _ = invite_link(self.server, email)
        anon = self.client()
        path = url.path + "?" + url.query
        r = anon.get(path)
        self.assertEqual(r.status, 200)
        pw = "caregiver horse battery staple"
        r = anon.post("/caregivers/accept", {"token": urllib.parse.parse_qs(url.query)["token"][0], "name": name,
                                             "password": pw, "time_zone": "Europe/Madrid"})
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertEqual(r.header("Location"), "/login?caregiver=1")
        uid = self.sql("SELECT id FROM users WHERE email = %s", email)[0][0]
        user = {"id": uid, "email": email, "password": pw, "name": name, "role": "patient", "totp_secret": None}
        c = self.client()
        login(c, user)
        return user, c, path

    def start_for(self, c, patient_id):
        c.get("/requests")
        r = c.post("/requests/new", {"for": str(patient_id)})
        self.assertEqual(r.status, 303, r.text[:300])
        return int(re.match(r"^/requests/(\d+)/steps/exam$", r.header("Location")).group(1))

    def sign(self, c, rid, name):
        page = c.get("/requests/%d/steps/authorization" % rid)
        self.assertEqual(page.status, 200)
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page.text).group(1)
        return c.post("/requests/%d/steps/authorization" % rid, {"full_name": name, "confirm": "1",
                                                                 "text_sha256": sha})

    # ---- invitation ----

    def test_invitation_form_errors_next_to_fields_and_nothing_saved(self):
        r = self.invite(self.mc, "not-an-address", relationship="")
        self.assertEqual(r.status, 422)
        self.assertIn('id="email-error"', r.text)
        self.assertIn('id="relationship-error"', r.text)
        self.assertIn('value="not-an-address"', r.text)
        r = self.invite(self.mc, "someone@example.test", relationship="other", other="")
        self.assertEqual(r.status, 422)
        self.assertIn('id="relationship_other-error"', r.text)
        r = self.invite(self.mc, self.maria["email"])
        self.assertEqual(r.status, 422)
        self.assertIn("your own address", r.text)
        r = self.invite(self.mc, "x@example.test", relationship="boss")
        self.assertEqual(r.status, 422)
        self.assertEqual(self.sql("SELECT count(*) FROM caregiver_links WHERE patient_id = %s",
                                  self.maria["id"])[0][0], 0)

    def test_invitation_mail_carries_no_health_data_and_link_is_single_use_and_hashed(self):
        r = self.invite(self.mc, "ana.mail@example.test", relationship="other", other="my neighbour")
        self.assertEqual(r.status, 303)
        url, msg = invite_link(self.server, "ana.mail@example.test")
        for word in ("Rivera", "Mar\u00eda", "mammogram", "breast", "biopsy", "BI-RADS", "neighbour"):
            self.assertNotIn(word, msg["body"] + msg["subject"])
        token = urllib.parse.parse_qs(url.query)["token"][0]
        stored = self.sql("SELECT encode(token_hash, 'hex'), relationship, relationship_other FROM caregiver_links "
                          "WHERE patient_id = %s", self.maria["id"])
        self.assertEqual(len(stored), 1)
        self.assertNotIn(token, stored[0][0])
        self.assertEqual(stored[0][1:], ("other", "my neighbour"))
        anon = self.client()
        page = anon.get(url.path + "?" + url.query)
        self.assertEqual(page.status, 200)
        self.assertIn(PATIENT_NAME, page.text)
        self.assertIn("my neighbour", page.text)
        r = anon.post("/caregivers/accept", {"token": token, "name": "", "password": "short"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="name-error"', r.text)
        self.assertIn('id="password-error"', r.text)
        r = anon.post("/caregivers/accept", {"token": token, "name": "Ana Rivera",
                                             "password": "caregiver horse battery staple"})
        self.assertEqual(r.status, 303)
        # used: the same link no longer works, for anyone
        self.assertEqual(self.client().get(url.path + "?" + url.query).status, 404)
        self.assertEqual(anon.post("/caregivers/accept", {"token": token, "name": "Eve",
                                                          "password": "another horse battery staple"}).status, 404)
        self.assertIsNone(self.sql("SELECT token_hash FROM caregiver_links WHERE patient_id = %s",
                                   self.maria["id"])[0][0])
        # an expired link does not work
        self.invite(self.mc, "late@example.test")
        url2, _ = invite_link(self.server, "late@example.test")
        self.sql("UPDATE caregiver_links SET expires_at = now() - interval '1 second' WHERE invited_email = %s",
                 "late@example.test")
        self.assertEqual(self.client().get(url2.path + "?" + url2.query).status, 404)

    def test_existing_account_attaches_and_the_patient_cannot_accept_her_own(self):
        bob = make_user(self.server, "patient", name="Bob Rivera")
        r = self.invite(self.mc, bob["email"], relationship="son")
        self.assertEqual(r.status, 303)
        url, _ = invite_link(self.server, bob["email"])
        token = urllib.parse.parse_qs(url.query)["token"][0]
        # Maria herself cannot use it
        self.mc.get(url.path + "?" + url.query)
        r = self.mc.post("/caregivers/accept", {"token": token})
        self.assertEqual(r.status, 409)
        # creating a second account for a taken address is refused: log in first
        anon = self.client()
        anon.get(url.path + "?" + url.query)
        r = anon.post("/caregivers/accept", {"token": token, "name": "Bob Rivera",
                                             "password": "caregiver horse battery staple"})
        self.assertEqual(r.status, 409)
        self.assertIn("already has an account", r.text)
        bc = self.client()
        login(bc, bob, next_path=url.path + "?" + url.query)
        page = bc.get(url.path + "?" + url.query)
        self.assertIn("You are logged in as", page.text)
        r = bc.post("/caregivers/accept", {"token": token})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT caregiver_id FROM caregiver_links WHERE patient_id = %s",
                                  self.maria["id"])[0][0], bob["id"])
        dash = bc.get("/requests")
        self.assertIn("People you help", dash.text)
        self.assertIn(PATIENT_NAME, dash.text)
        # the account is still a patient-side account of its own
        self.assertEqual(self.sql("SELECT role FROM users WHERE id = %s", bob["id"])[0][0], "patient")

    # ---- act, audit, sign, revoke ----

    def test_caregiver_acts_audit_names_both_then_revoked_everywhere(self):
        ana, ac, _ = self.accept_new("ana@example.test")
        rid = self.start_for(ac, self.maria["id"])
        self.assertEqual(self.sql("SELECT patient_id FROM requests WHERE id = %s", rid)[0][0], self.maria["id"])
        page = ac.get("/requests/%d/steps/exam" % rid)
        self.assertIn("You are acting for", page.text)
        self.assertIn(PATIENT_NAME, page.text)
        # the form's "who is filling in" starts as the caregiver, in their own name
        self.assertIn('name="caregiver_name" type="text" value="Ana Rivera"', page.text)
        self.assertIn('value="daughter"', page.text)
        self.assertRegex(page.text, r'value="caregiver"\s*checked')
        # upload through tus, as the caregiver
        ac.get("/requests/%d/records" % rid)
        url, _ = rh.upload_bytes(ac, rid, PDF, "mammogram-report.pdf", kind="radiology_report")
        rows = self.sql("SELECT actor_id, patient_id FROM audit_log WHERE action = 'document.upload' "
                        "AND detail->>'request_id' = %s", str(rid))
        self.assertEqual(rows, [(ana["id"], self.maria["id"])])
        # she signs in her own name: Maria's name is not hers
        r = self.sign(ac, rid, PATIENT_NAME)
        self.assertEqual(r.status, 422)
        self.assertIn('id="full_name-error"', r.text)
        r = self.sign(ac, rid, "  ANA   rivera ")
        self.assertEqual(r.status, 303, r.text[:300])
        au = self.sql("SELECT a.signed_name, s.signer_id, s.relationship, s.authority FROM authorizations a "
                      "JOIN authorization_signers s ON s.authorization_id = a.id WHERE a.request_id = %s", rid)
        self.assertEqual(au, [("ANA   rivera", ana["id"], "daughter", "patient_invitation")])
        rows = self.sql("SELECT actor_id, patient_id FROM audit_log WHERE action = 'authorization.sign' "
                        "AND object_id = %s", str(rid))
        self.assertEqual(rows, [(ana["id"], self.maria["id"])])
        # the printed authorization says who signed, as what and on what authority
        for c in (ac, self.mc):
            pr = c.get("/requests/%d/authorization" % rid)
            self.assertEqual(pr.status, 200)
            self.assertIn("as the patient&#39;s daughter", pr.text.replace("'", "&#39;"))
            self.assertIn("invited by the patient in the portal", pr.text)
        # Maria reads what her daughter did, with both names
        acts = self.mc.get("/account/caregivers")
        self.assertIn("Your daughter Ana Rivera uploaded mammogram-report.pdf", acts.text)
        self.assertIn("Your daughter Ana Rivera signed the authorization", acts.text)
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s", rid)[0][0]
        self.assertEqual(ac.get("/requests/%d/documents/%d/download" % (rid, doc)).status, 200)
        # a second upload started before the revocation
        late = rh.tus_create(ac, rid, len(PDF), "late.pdf", kind="other")

        # ---- revoke: effective at once, audited ----
        link = self.sql("SELECT id FROM caregiver_links WHERE caregiver_id = %s", ana["id"])[0][0]
        self.mc.get("/account/caregivers")
        r = self.mc.post("/account/caregivers/%d/revoke" % link, {})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT actor_id, patient_id FROM audit_log WHERE action = 'caregiver.revoke' "
                                  "AND outcome = 'ok'"), [(self.maria["id"], self.maria["id"])])
        self.assert_refused_everywhere(ac, rid, doc, late)
        # the past stays readable to Maria, with both names
        self.assertIn("Your daughter Ana Rivera uploaded mammogram-report.pdf",
                      self.mc.get("/account/caregivers").text)
        # and on "who opened my records" for this request
        acc = self.mc.get("/requests/%d/access" % rid)
        self.assertEqual(acc.status, 200)
        self.assertIn("Your daughter Ana Rivera uploaded mammogram-report.pdf to", acc.text)
        self.assertIn("Your daughter Ana Rivera downloaded mammogram-report.pdf from", acc.text)
        # the timeline (shown once the request is past draft) names both people too, after the revocation
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", rid)
        status = self.mc.get("/requests/%d" % rid)
        self.assertIn("Your daughter Ana Rivera signed the authorization", status.text)

    def test_another_patients_caregiver_is_refused_everywhere(self):
        # Ana helps Maria; Carol helps someone else and must see nothing of Maria's
        ana, ac, _ = self.accept_new("ana2@example.test")
        rid = self.start_for(ac, self.maria["id"])
        ac.get("/requests/%d/records" % rid)
        rh.upload_bytes(ac, rid, PDF, "report.pdf", kind="radiology_report")
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s", rid)[0][0]
        late = rh.tus_create(ac, rid, len(PDF), "late.pdf", kind="other")
        other = make_user(self.server, "patient", name="Olga Other")
        oc = self.client()
        login(oc, other)
        carol, cc, _ = self.accept_new("carol@example.test", name="Carol Carer", inviter=oc)
        self.assert_refused_everywhere(cc, rid, doc, late)

    def assert_refused_everywhere(self, c, rid, doc, upload_url):
        """Every path of Maria's request answers 404 (or the route's own refusal) and shows nothing of hers."""
        before = self.sql("SELECT count(*) FROM documents WHERE request_id = %s", rid)[0][0]
        ref = self.sql("SELECT reference FROM requests WHERE id = %s", rid)[0][0]
        dash = c.get("/requests")
        self.assertEqual(dash.status, 200)
        self.assertNotIn(PATIENT_NAME, dash.text)
        self.assertNotIn(ref, dash.text)
        gets = ["/requests/%d" % rid, "/requests/%d/steps/exam" % rid, "/requests/%d/steps/authorization" % rid,
                "/requests/%d/records" % rid, "/requests/%d/authorization" % rid, "/requests/%d/letter" % rid,
                "/requests/%d/records.zip" % rid, "/requests/%d/documents/%d/download" % (rid, doc),
                "/requests/%d/images" % rid, "/requests/%d/access" % rid, "/requests/%d/report" % rid,
                "/api/v1/requests/%d/images" % rid]
        for path in gets:
            r = c.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(PATIENT_NAME, r.text, path)
            self.assertNotIn(ref, r.text, path)
        posts = [("/requests/%d/steps/exam" % rid, {"facility": "X"}),
                 ("/requests/%d/steps/authorization" % rid, {"full_name": "Ana Rivera", "confirm": "1"}),
                 ("/requests/%d/submit" % rid, {}),
                 ("/requests/%d/messages" % rid, {"body": "hello"}),
                 ("/requests/%d/withdraw" % rid, {"confirm": "1"}),
                 ("/requests/%d/authorization/revoke" % rid, {"confirm": "1"}),
                 ("/requests/%d/documents/%d/delete" % (rid, doc), {}),
                 ("/requests/new", {"for": str(self.maria["id"])})]
        for path, form in posts:
            r = c.post(path, form)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(PATIENT_NAME, r.text, path)
        r = rh.tus_create(c, rid, len(PDF), "x.pdf", kind="other", expect=404)
        r = rh.tus_patch(c, upload_url, 0, PDF)
        self.assertIn(r.status, (404, 423), "PATCH of an upload on her request answered %d" % r.status)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s", rid)[0][0], before)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0)

    # ---- signature folding ----

    def test_patient_signature_folds_case_accents_and_spacing(self):
        rid = self.start_for(self.mc, self.maria["id"])
        r = self.sign(self.mc, rid, "Maria Rivera")
        self.assertEqual(r.status, 422)
        self.assertIn("Capitals, accents and extra spaces do not matter", r.text)
        r = self.sign(self.mc, rid, "maria  jose rivera")
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT count(*) FROM authorization_signers s JOIN authorizations a "
                                  "ON a.id = s.authorization_id WHERE a.request_id = %s", rid)[0][0], 0)


class RepresentativeTest(harness.ServerTestCase):
    """For a patient who cannot invite: a representative starts the request on stated authority,
    uploads the authority document through the same intake, and staff verify it before accepting."""

    def setUp(self):
        import test_requests as tr
        self.tr = tr
        self.rep = make_user(self.server, "patient", name="Pedro Parent")
        self.rc = self.client()
        login(self.rc, self.rep)
        self.staff = make_user(self.server, "staff")
        self.sc = self.client()
        login(self.sc, self.staff)

    def start(self):
        self.rc.get("/requests/for-someone")
        r = self.rc.post("/requests/for-someone", {"name": "Luc\u00eda Menor", "dob": "2010-05-01",
                                                   "relationship": "parent", "authority": "parent_of_minor"})
        self.assertEqual(r.status, 303, r.text[:400])
        return int(re.match(r"^/requests/(\d+)/records$", r.header("Location")).group(1))

    def test_form_errors_next_to_fields_and_nothing_created(self):
        self.rc.get("/requests/for-someone")
        users = self.sql("SELECT count(*) FROM users")[0][0]
        requests = self.sql("SELECT count(*) FROM requests")[0][0]
        r = self.rc.post("/requests/for-someone", {"name": " ", "dob": "2999-01-01", "relationship": "",
                                                   "authority": "boss"})
        self.assertEqual(r.status, 422)
        for f in ("name", "dob", "relationship", "authority"):
            self.assertIn('id="%s-error"' % f, r.text)
        self.assertIn('value="2999-01-01"', r.text)
        r = self.rc.post("/requests/for-someone", {"name": "Luc\u00eda Menor", "dob": "2010-02-30",
                                                   "relationship": "other", "relationship_other": "",
                                                   "authority": "legal_guardian"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="dob-error"', r.text)
        self.assertIn('id="relationship_other-error"', r.text)
        self.assertIn("Luc\u00eda Menor", r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM users")[0][0], users)
        self.assertEqual(self.sql("SELECT count(*) FROM requests")[0][0], requests)

    def test_authority_document_verified_by_staff_before_acceptance(self):
        rid = self.start()
        person = self.sql("SELECT patient_id FROM requests WHERE id = %s", rid)[0][0]
        u = self.sql("SELECT name, status, email, date_of_birth::text FROM users WHERE id = %s", person)[0]
        self.assertEqual((u[0], u[1], u[3]), ("Luc\u00eda Menor", "disabled", "2010-05-01"))
        self.assertTrue(u[2].endswith("@invalid"))
        self.assertEqual(self.sql("SELECT caregiver_id, authority FROM caregiver_links WHERE patient_id = %s", person),
                         [(self.rep["id"], "parent_of_minor")])
        page = self.rc.get("/requests/%d/records" % rid)
        self.assertIn("Your authority to act", page.text)
        self.assertIn('value="authority_document"', page.text)
        self.assertIn("no document yet", page.text)
        # fill in everything but the authority document
        tr = self.tr
        spec = tr.add_specialist(self.server)
        r = self.rc.post("/requests/%d/steps/exam" % rid, tr.EXAM)
        self.assertEqual(r.status, 303, r.text[:300])
        for kind in ("radiology_report", "photo_id", "insurance_card"):
            tr.add_doc(self.server, rid, kind)
        tr.add_doc(self.server, rid, "images", "dicom", tr.RECENT.strftime("%Y%m%d"))
        page = self.rc.get("/requests/%d/steps/authorization" % rid)
        self.assertIn("your own name", page.text)
        sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page.text).group(1)
        self.assertIn("Luc\u00eda Menor", self.rc.get("/requests/%d/authorization" % rid).text)  # the patient named
        r = self.rc.post("/requests/%d/steps/authorization" % rid, {"full_name": "pedro PARENT", "confirm": "1",
                                                                    "text_sha256": sha})
        self.assertEqual(r.status, 303, r.text[:300])
        r = self.rc.post("/requests/%d/steps/specialist" % rid,
                         {"review_type": "reread", "review_mode": "remote", "specialist": str(spec)})
        self.assertEqual(r.status, 303)
        r = self.rc.post("/requests/%d/steps/coverage" % rid, {"payment": "self_pay", "ack": "1"})
        self.assertEqual(r.status, 303, r.text[:300])
        # not yet: the authority document is missing
        r = self.rc.post("/requests/%d/submit" % rid, {})
        self.assertEqual(r.status, 422)
        self.assertIn("Upload the document that gives you authority to act", r.text)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "draft")
        # the document goes through the same intake and encryption as records
        self.rc.get("/requests/%d/records" % rid)
        rh.upload_bytes(self.rc, rid, PDF, "birth-certificate.pdf", kind="authority_document")
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s AND kind = 'authority_document'", rid)[0][0]
        self.assertIn("waiting for the center to check it", self.rc.get("/requests/%d/records" % rid).text)
        r = self.rc.post("/requests/%d/submit" % rid, {})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertFalse([m for m in outbox_messages(self.server) if m["to"].endswith("@invalid")])
        # staff: see the document, check the request, but cannot accept it yet
        self.assertEqual(self.sc.post("/staff/requests/%d/claim" % rid, {"from": "submitted"}).status, 303)
        sp = self.sc.get("/staff/requests/%d" % rid)
        self.assertIn("Someone acts for the patient", sp.text)
        self.assertIn("parent of a minor", sp.text)
        self.assertIn("/requests/%d/documents/%d/download" % (rid, doc), sp.text)
        self.assertNotIn('action="/staff/requests/%d/accept"' % rid, sp.text)
        self.assertIn("in the signer&#39;s own name, as the patient&#39;s parent (parent of a minor)",
                      sp.text.replace("'", "&#39;"))
        # the staff timeline names both people for what the representative did
        self.assertIn("(Luc\u00eda Menor&#39;s parent Pedro Parent)", sp.text.replace("'", "&#39;"))
        self.assertEqual(self.sc.get("/requests/%d/documents/%d/download" % (rid, doc)).status, 200)
        r = self.sc.post("/staff/requests/%d/accept" % rid, {"from": "triage"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="authority_reason-error"', r.text)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "triage")
        # refusing needs a reason, shown next to the field; a stale document id changes nothing
        r = self.sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc), "decision": "refuse",
                                                                "reason": ""})
        self.assertEqual(r.status, 422)
        self.assertIn('id="authority_reason-error"', r.text)
        r = self.sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc + 1000), "decision": "verify"})
        self.assertEqual(r.status, 422)
        self.assertIn("newer document", r.text)
        self.assertIsNone(self.sql("SELECT authority_decision FROM caregiver_links WHERE patient_id = %s",
                                   person)[0][0])
        r = self.sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc), "decision": "refuse",
                                                                "reason": "The page with the court stamp is missing."})
        self.assertEqual(r.status, 303)
        self.assertIn("The page with the court stamp is missing.", self.rc.get("/requests/%d" % rid).text)
        self.assertEqual(self.sc.post("/staff/requests/%d/accept" % rid, {"from": "triage"}).status, 422)
        # a patient account (even the representative's) cannot decide
        self.assertEqual(self.rc.post("/staff/requests/%d/authority" % rid,
                                      {"document": str(doc), "decision": "verify"}).status, 403)
        r = self.sc.post("/staff/requests/%d/authority" % rid, {"document": str(doc), "decision": "verify"})
        self.assertEqual(r.status, 303)
        self.assertIn("verified by the center", self.rc.get("/requests/%d" % rid).text)
        r = self.sc.post("/staff/requests/%d/accept" % rid, {"from": "triage"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "accepted")
        audit = self.sql("SELECT action, actor_id, patient_id FROM audit_log WHERE action LIKE 'caregiver.%%' "
                         "ORDER BY id")
        self.assertEqual([a[0] for a in audit], ["caregiver.represent", "caregiver.authority.refuse",
                                                 "caregiver.authority.verify"])
        self.assertEqual({(a[1], a[2]) for a in audit[1:]}, {(self.staff["id"], person)})
        self.assertEqual(audit[0][1:], (self.rep["id"], person))
        self.assertEqual(self.sql("SELECT s.signer_id, s.relationship, s.authority FROM authorization_signers s "
                                  "JOIN authorizations a ON a.id = s.authorization_id WHERE a.request_id = %s", rid),
                         [(self.rep["id"], "parent", "parent_of_minor")])
        # the placeholder cannot log in
        c = self.client()
        c.get("/login")
        r = c.post("/login", {"email": u[2], "password": "anything at all here"})
        self.assertNotEqual(r.header("Location"), "/requests")
