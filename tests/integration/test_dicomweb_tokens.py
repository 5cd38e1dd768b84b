"""Personal access tokens for DICOMweb clients (issue 14 item 2) over real HTTP: a token is made
on /account/tokens and shown exactly once; with `Authorization: Bearer` it reads QIDO-RS and
WADO-RS as its owner (the same per-object rules as the owner's session: an unassigned reviewer and
another patient see nothing); expired, revoked, unknown, malformed tokens and a disabled
account's token get 401 with WWW-Authenticate error="invalid_token" and nothing else; a token is
no login for the portal's pages or /api; every request made with a token leaves an audit row
(token id, label, method, path) and the secret appears in no audit row and no log line; bad form
input gets 422 with the error next to its field and saves nothing; failed tokens are throttled
per address."""
import re

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, studies, upload_path
from test_dicomweb import MULTI, SERIES1, STUDY1, VIEWS, parts, value

import os

JSON = "application/dicom+json"
TOKEN_RE = re.compile(r"sop_[A-Za-z0-9_-]{43}")
INVALID = 'error="invalid_token"'


class TokensTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = studies()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        cls.files = {}
        for i, v in enumerate(VIEWS, 1):
            cls.files[SERIES1 + str(i)] = os.path.join(s, "study1", v + ".dcm")
            upload_path(cls.pc, cls.rid, cls.files[SERIES1 + str(i)])
        cls.other, cls.oc, cls.orid = new_patient_with_request(cls.server, name="Richard Roe")
        upload_path(cls.oc, cls.orid, os.path.join(s, "other", "R_CC.dcm"))
        cls.other_study = cls.server.sql("SELECT study_uid FROM studies WHERE request_id = %s", cls.orid)[0][0]
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.staff = make_user(cls.server, "staff")
        cls.server.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                       cls.reviewer["id"], cls.rid)
        cls.users = {"patient": cls.patient, "other_patient": cls.other}
        cls.c = {"patient": cls.pc, "other_patient": cls.oc}
        for name in ("reviewer", "other_reviewer", "staff"):
            cls.users[name] = getattr(cls, name)
            cls.c[name] = cls.server.client()
            login(cls.c[name], cls.users[name])

    def setUp(self):
        # failed tokens from earlier tests must not throttle this one (all come from 127.0.0.1)
        self.sql("DELETE FROM login_throttle WHERE kind = 'bearer_ip'")

    # ---- helpers ----

    def create(self, who, label="Weasis", days=None, can_store=None, expect=200):
        """Posts the form (stepping up with the password when the gate asks); returns the response."""
        c = self.c[who]
        r = c.get("/account/tokens")
        self.assertEqual(r.status, 200)
        form = {"label": label}
        if days is not None:
            form["days"] = days
        if can_store is not None:
            form["can_store"] = can_store
        r = c.post("/account/tokens", form)
        if r.status == 401 and 'name="stepup_credential"' in r.text:
            form["stepup_credential"] = self.users[who]["password"]
            r = c.post("/account/tokens", form)
        self.assertEqual(r.status, expect, r.text[:500])
        return r

    def token(self, who, label="Weasis", **kw):
        r = self.create(who, label, **kw)
        found = TOKEN_RE.findall(r.text)
        self.assertEqual(len(set(found)), 1, found)
        return found[0]

    def token_id(self, token_label, who):
        return self.sql("SELECT id FROM access_tokens WHERE label = %s AND user_id = %s ORDER BY id DESC LIMIT 1",
                        token_label, self.users[who]["id"])[0][0]

    def bearer(self, token, path, method="GET", accept=None, headers=None, body=None):
        h = {"Authorization": "Bearer " + token}
        if accept:
            h["Accept"] = accept
        h.update(headers or {})
        return self.client().request(method, path, headers=h, body=body)

    def assert_invalid(self, r):
        self.assertEqual(r.status, 401, r.text[:300])
        self.assertIn(INVALID, r.header("WWW-Authenticate") or "")
        self.assertNotIn(b"DOE", r.body)
        self.assertNotIn(STUDY1.encode(), r.body)
        # one answer for every reason: nothing says expired, revoked, unknown or disabled
        for word in (b"expired", b"revoked", b"disabled", b"unknown"):
            self.assertNotIn(word, r.body.lower())

    # ---- making a token ----

    def test_a_token_is_shown_once_and_stored_hashed(self):
        r = self.create("patient", "Weasis at home")
        toks = TOKEN_RE.findall(r.text)
        self.assertEqual(len(toks), 1)  # once on the page
        tok = toks[0]
        self.assertIn("Copy it now", r.text)
        self.assertIn("/dicom-web", r.text)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        # later page loads list it, never show it
        for path in ("/account/tokens", "/account"):
            later = self.pc.get(path)
            self.assertEqual(later.status, 200)
            self.assertNotIn(tok, later.text)
            self.assertNotIn(tok[4:20], later.text)
            self.assertIsNone(TOKEN_RE.search(later.text))
        later = self.pc.get("/account/tokens")
        self.assertIn("Weasis at home", later.text)
        self.assertIn("never", later.text)  # not used yet
        self.assertIn("See images (read only)", later.text)
        account = self.pc.get("/account").text
        self.assertIn("Connect an imaging program", account)
        # listed on the account page itself too, with its remove button
        self.assertIn("Weasis at home", account)
        self.assertIn('action="/account/tokens/%d/revoke"' % self.token_id("Weasis at home", "patient"), account)
        rows = self.sql("SELECT encode(token_hash, 'hex'), can_store, expires_at - created_at FROM access_tokens "
                        "WHERE user_id = %s AND label = %s", self.patient["id"], "Weasis at home")
        self.assertEqual(len(rows), 1)
        h, can_store, ttl = rows[0]
        self.assertEqual(len(h), 64)
        self.assertFalse(can_store)
        self.assertEqual(ttl.days, 30)  # the default
        # nothing in the database holds the secret: not as text, not as its bytes in hex
        import base64
        raw = base64.urlsafe_b64decode(tok[4:] + "=").hex()
        dump = self.sql("SELECT string_agg(t::text, ' ') FROM access_tokens t")[0][0]
        self.assertNotIn(tok[4:], dump)
        self.assertNotIn(raw, dump)
        audit = self.sql("SELECT detail::text FROM audit_log WHERE action = 'access_token.create' AND actor_id = %s",
                         self.patient["id"])
        self.assertEqual(len(audit), 1)
        self.assertIn("Weasis at home", audit[0][0])
        self.assertNotIn(tok[4:], audit[0][0])

    def test_b_bad_input_is_refused_next_to_the_field_and_saves_nothing(self):
        before = self.sql("SELECT count(*) FROM access_tokens")[0][0]
        cases = [
            ("patient", {"label": ""}, "label"),
            ("patient", {"label": "   "}, "label"),
            ("patient", {"label": "x" * 81}, "label"),
            ("patient", {"label": "bad\u202eedoc"}, "label"),
            ("patient", {"label": "ok", "days": "0"}, "days"),
            ("patient", {"label": "ok", "days": "366"}, "days"),
            ("patient", {"label": "ok", "days": "abc"}, "days"),
            ("patient", {"label": "ok", "days": "-5"}, "days"),
            ("patient", {"label": "ok", "can_store": "1"}, "can_store"),   # only staff may let a program send
            ("reviewer", {"label": "ok", "can_store": "1"}, "can_store"),
        ]
        for who, form, field in cases:
            r = self.create(who, form["label"], days=form.get("days"), can_store=form.get("can_store"), expect=422)
            m = re.search(r'<p class="field-error" id="%s-error">([^<]+)</p>' % field, r.text)
            self.assertIsNotNone(m, (form, r.text[:2000]))
            self.assertIsNone(TOKEN_RE.search(r.text), form)
            if form["label"].strip() and len(form["label"]) <= 80 and "\u202e" not in form["label"]:
                self.assertIn('value="%s"' % form["label"], r.text)  # what was typed is kept
        self.assertEqual(self.sql("SELECT count(*) FROM access_tokens")[0][0], before)
        # without the CSRF token nothing is made either
        r = self.pc.post("/account/tokens", {"label": "no csrf", "csrf": "x"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.sql("SELECT count(*) FROM access_tokens")[0][0], before)
        # an administrator has no DICOMweb, so no keys
        admin = make_user(self.server, "admin")
        ac = self.server.client()
        login(ac, admin)
        self.assertEqual(ac.get("/account/tokens").status, 403)
        self.assertNotIn("Connect an imaging program", ac.get("/account").text)

    def test_c_qido_and_wado_with_a_token(self):
        tok = self.token("patient", "OHIF", days="7")
        r = self.bearer(tok, "/dicom-web/studies", accept=JSON)
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual([value(o, "0020000D") for o in r.json()], [STUDY1])
        self.assertEqual(value(r.json()[0], "00100010"), {"Alphabetic": "DOE^JANE"})
        r = self.bearer(tok, "/dicom-web/studies/%s/series/%s/instances" % (STUDY1, SERIES1), accept=JSON)
        self.assertEqual(sorted(value(o, "00080018") for o in r.json()), sorted(self.files))
        r = self.bearer(tok, "/dicom-web/studies/%s/metadata" % STUDY1, accept=JSON)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json()), 4)
        sop = SERIES1 + "2"
        r = self.bearer(tok, "/dicom-web/studies/%s/series/%s/instances/%s" % (STUDY1, SERIES1, sop), accept=MULTI)
        self.assertEqual(r.status, 200, r.text[:300])
        got = parts(r)
        with open(self.files[sop], "rb") as fh:
            self.assertEqual([p[1] for p in got], [fh.read()])
        r = self.bearer(tok, "/dicom-web/studies/%s" % STUDY1, accept=MULTI)
        self.assertEqual(len(parts(r)), 4)
        # the list shows when it was last used; the expiry follows the form
        row = self.sql("SELECT last_used_at IS NOT NULL, last_used_ip, expires_at - created_at FROM access_tokens "
                       "WHERE id = %s", self.token_id("OHIF", "patient"))[0]
        self.assertEqual(row[:2], (True, "127.0.0.1"))
        self.assertEqual(row[2].days, 7)
        self.assertNotIn(">never<", self.pc.get("/account/tokens").text.split("OHIF", 1)[1].split("</li>")[0])
        # a token needs no CSRF token and no cookie; a session still works as before
        r = self.pc.get("/dicom-web/studies", headers={"Accept": JSON})
        self.assertEqual(r.status, 200)

    def test_d_unassigned_reviewer_and_other_patient_see_nothing(self):
        mine = self.token("reviewer", "Workstation")
        r = self.bearer(mine, "/dicom-web/studies", accept=JSON)
        self.assertEqual([value(o, "0020000D") for o in r.json()], [STUDY1])
        for who in ("other_reviewer", "other_patient"):
            tok = self.token(who, "Viewer of " + who)
            r = self.bearer(tok, "/dicom-web/studies", accept=JSON)
            self.assertEqual(r.status, 200)
            self.assertNotIn(STUDY1, [value(o, "0020000D") for o in r.json()], who)
            self.assertNotIn(b"JANE", r.body)
            for path, accept in (("/studies?StudyInstanceUID=" + STUDY1, JSON),
                                 ("/studies/%s/series" % STUDY1, JSON),
                                 ("/studies/%s/metadata" % STUDY1, JSON),
                                 ("/studies/%s" % STUDY1, MULTI),
                                 ("/studies/%s/series/%s/instances/%s" % (STUDY1, SERIES1, SERIES1 + "1"), MULTI)):
                r = self.bearer(tok, "/dicom-web" + path, accept=accept)
                self.assertIn(r.status, (200, 404), (who, path))
                if r.status == 200:
                    self.assertEqual(r.json(), [], (who, path))
                self.assertNotIn(b"JANE", r.body, (who, path))
                self.assertNotIn(b"DICM", r.body, (who, path))
        # the other patient's own token still reads the other patient's study
        tok = self.token("other_patient", "Own viewer")
        r = self.bearer(tok, "/dicom-web/studies", accept=JSON)
        self.assertEqual([value(o, "0020000D") for o in r.json()], [self.other_study])

    def test_e_expired_revoked_unknown_malformed_and_disabled_get_401(self):
        exp = self.token("patient", "Expiring")
        self.assertEqual(self.bearer(exp, "/dicom-web/studies", accept=JSON).status, 200)
        self.sql("UPDATE access_tokens SET created_at = now() - interval '40 days', expires_at = now() - interval "
                 "'1 second' WHERE id = %s", self.token_id("Expiring", "patient"))
        self.assert_invalid(self.bearer(exp, "/dicom-web/studies", accept=JSON))
        listing = self.pc.get("/account/tokens").text
        self.assertIn("expired", listing.split("Expiring", 1)[1].split("</li>")[0])

        rev = self.token("patient", "To remove")
        rid = self.token_id("To remove", "patient")
        self.assertEqual(self.bearer(rev, "/dicom-web/studies", accept=JSON).status, 200)
        # removing needs the CSRF token, and only the owner can remove it
        self.assertEqual(self.pc.post("/account/tokens/%d/revoke" % rid, {"csrf": "wrong"}).status, 403)
        self.assertEqual(self.c["other_patient"].post("/account/tokens/%d/revoke" % rid).status, 404)
        self.assertEqual(self.bearer(rev, "/dicom-web/studies", accept=JSON).status, 200)
        r = self.pc.post("/account/tokens/%d/revoke" % rid)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/account/tokens?removed=1")
        self.assert_invalid(self.bearer(rev, "/dicom-web/studies", accept=JSON))
        self.assertNotIn("To remove", self.pc.get("/account/tokens").text)
        self.assertEqual(self.pc.post("/account/tokens/%d/revoke" % rid).status, 404)  # once only
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'access_token.revoke' AND "
                                  "object_id = %s", str(rid))[0][0], 1)

        good = self.token("patient", "Fine")
        for bad in ("sop_" + "A" * 43,                      # well-formed, unknown
                    good[:-1],                               # one character short
                    good + "A",                              # one too many
                    "SOP_" + good[4:],                       # wrong prefix
                    good[4:],                                # no prefix
                    good[:-2] + "+/",                        # not base64url
                    "sop_" + "A" * 42 + "B"):                # trailing bits set: not a text we make
            self.assert_invalid(self.bearer(bad, "/dicom-web/studies", accept=JSON))
        r = self.client().get("/dicom-web/studies", headers={"Authorization": "Bearer", "Accept": JSON})
        self.assertEqual(r.status, 401)
        # no credentials at all: 401 that says a bearer token is how
        r = self.client().get("/dicom-web/studies", headers={"Accept": JSON})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("WWW-Authenticate"), 'Bearer realm="secondop"')

        # a disabled account's token stops working, and works again when the account does
        self.assertEqual(self.bearer(good, "/dicom-web/studies", accept=JSON).status, 200)
        self.sql("UPDATE users SET status = 'disabled' WHERE id = %s", self.patient["id"])
        try:
            self.assert_invalid(self.bearer(good, "/dicom-web/studies", accept=JSON))
        finally:
            self.sql("UPDATE users SET status = 'active' WHERE id = %s", self.patient["id"])
        self.assertEqual(self.bearer(good, "/dicom-web/studies", accept=JSON).status, 200)
        # known tokens that were refused are in their owner's trail, with why
        reasons = [r[0] for r in self.sql(
            "SELECT detail->>'reason' FROM audit_log WHERE action = 'access_token.refused' ORDER BY id")]
        for reason in ("expired", "revoked", "account_disabled"):
            self.assertIn(reason, reasons)

    def test_e2_an_admin_disabling_the_account_revokes_its_tokens_for_good(self):
        reviewer = make_user(self.server, "reviewer")
        rc = self.client()
        login(rc, reviewer)
        self.users["disabled_reviewer"], self.c["disabled_reviewer"] = reviewer, rc
        tok = self.token("disabled_reviewer", "Workstation")
        self.assertEqual(self.bearer(tok, "/dicom-web/studies", accept=JSON).status, 200)
        admin = make_user(self.server, "admin")
        ac = self.client()
        login(ac, admin)
        ac.get("/admin/accounts/%d" % reviewer["id"])
        self.assertEqual(ac.post("/admin/accounts/%d/disable" % reviewer["id"]).status, 303)
        self.assert_invalid(self.bearer(tok, "/dicom-web/studies", accept=JSON))
        ac.get("/admin/accounts/%d" % reviewer["id"])
        self.assertEqual(ac.post("/admin/accounts/%d/enable" % reviewer["id"]).status, 303)
        # enabled again, the account can log in, but the token it had stays dead
        self.assert_invalid(self.bearer(tok, "/dicom-web/studies", accept=JSON))
        self.assertEqual(self.sql("SELECT count(*) FROM access_tokens WHERE user_id = %s AND revoked_at IS NULL",
                                  reviewer["id"])[0][0], 0)
        detail = self.sql("SELECT detail->>'tokens_revoked' FROM audit_log WHERE action = 'account.disable' "
                          "AND object_id = %s", str(reviewer["id"]))
        self.assertEqual(detail, [("1",)])

    def test_f_a_token_is_no_login_for_pages_or_the_api(self):
        tok = self.token("patient", "Pages")
        fresh = self.client()
        for path in ("/requests", "/account", "/account/tokens", "/requests/%d/records" % self.rid):
            r = fresh.get(path, headers={"Authorization": "Bearer " + tok})
            self.assertEqual(r.status, 303, path)
            self.assertTrue(r.header("Location").startswith("/login"), path)
        r = fresh.request("POST", "/api/v1/uploads", headers={
            "Authorization": "Bearer " + tok, "Tus-Resumable": "1.0.0", "Upload-Length": "10",
            "Upload-Metadata": "request " + __import__("base64").b64encode(str(self.rid).encode()).decode()})
        self.assertEqual(r.status, 401)
        r = fresh.request("POST", "/account/tokens", headers={"Authorization": "Bearer " + tok,
                                                              "Content-Type": "application/x-www-form-urlencoded"},
                          body="label=sneaky")
        self.assertIn(r.status, (303, 401, 403))
        self.assertEqual(self.sql("SELECT count(*) FROM access_tokens WHERE label = 'sneaky'")[0][0], 0)
        # under /dicom-web/ the token decides, whatever cookie comes along
        r = self.c["other_patient"].get("/dicom-web/studies", headers={"Authorization": "Bearer " + tok,
                                                                       "Accept": JSON})
        self.assertEqual([value(o, "0020000D") for o in r.json()], [STUDY1])
        r = self.c["patient"].get("/dicom-web/studies", headers={"Authorization": "Bearer sop_" + "A" * 43,
                                                                 "Accept": JSON})
        self.assertEqual(r.status, 401)  # a bad token is not rescued by a good session
        # a read-only token may only read: a store (STOW-RS) with it is refused for its scope
        # before the handler runs; DELETE has no route under /dicom-web/ (405)
        for method in ("POST", "DELETE"):
            r = self.bearer(tok, "/dicom-web/studies?request=%d" % self.rid, method=method,
                            headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=x'},
                            body=b"--x--\r\n")
            self.assertEqual(r.status, 403 if method == "POST" else 405, method)
            if r.status == 403:
                self.assertIn('error="insufficient_scope"', r.header("WWW-Authenticate"))

    def test_g_every_use_is_audited_and_the_secret_is_never_written_down(self):
        log_start = len(self.server.log_text())
        tok = self.token("reviewer", "Reading room")
        tid = self.token_id("Reading room", "reviewer")
        paths = ["/dicom-web/studies", "/dicom-web/studies/%s/series" % STUDY1,
                 "/dicom-web/studies/%s/metadata" % STUDY1, "/dicom-web/studies/1.2.3/metadata"]
        for p in paths:
            self.bearer(tok, p + "?PatientName=DOE*" if p.endswith("studies") else p, accept=JSON)
        rows = self.sql("SELECT actor_id, actor_role, object_type, object_id, detail->>'label', detail->>'method', "
                        "detail->>'path', detail::text FROM audit_log WHERE action = 'dicomweb.token_use' "
                        "AND object_id = %s ORDER BY id", str(tid))
        self.assertEqual(len(rows), len(paths))  # one per request, the 404 too
        for row, p in zip(rows, paths):
            self.assertEqual(row[:6], (self.reviewer["id"], "reviewer", "access_token", str(tid), "Reading room", "GET"))
            self.assertEqual(row[6], p)
            self.assertNotIn("PatientName", row[7])  # the query (a name) is not copied
        # the domain's own rows name the reviewer too
        self.assertGreaterEqual(self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s AND action LIKE "
                                         "'dicomweb.%%' AND action <> 'dicomweb.token_use'", self.reviewer["id"])[0][0], 1)
        secret = tok[4:]
        everything = self.sql("SELECT string_agg(coalesce(detail::text, '') || coalesce(object_id, '') || "
                              "coalesce(request_id, ''), ' ') FROM audit_log")[0][0]
        self.assertNotIn(secret, everything)
        self.assertNotIn(secret[:16], everything)
        # the access log has the request (its line is written after the answer: poll for it)
        last = paths[-1]
        log = self.server.wait_log('path="%s"' % last, from_byte=log_start)
        self.assertNotIn(secret, self.server.log_text())
        self.assertNotIn(secret[:16], self.server.log_text())
        self.assertNotIn("Bearer", log)

    def test_h_staff_may_make_a_sending_token(self):
        tok = self.token("staff", "Center PACS", can_store="1", days="365")
        row = self.sql("SELECT can_store, expires_at - created_at FROM access_tokens WHERE id = %s",
                       self.token_id("Center PACS", "staff"))[0]
        self.assertTrue(row[0])
        self.assertEqual(row[1].days, 365)
        self.assertIn("send studies", self.c["staff"].get("/account/tokens").text)
        r = self.bearer(tok, "/dicom-web/studies", accept=JSON)
        self.assertEqual(r.status, 200)  # staff see requests past draft: Jane's is in review
        self.assertIn(STUDY1, [value(o, "0020000D") for o in r.json()])

    def test_h2_only_a_sending_token_stores_and_needs_no_csrf_token(self):
        """STOW-RS with a bearer token: staff's sending token stores (no session, no CSRF token);
        staff's read-only token is refused for its scope and keeps nothing."""
        prior = os.path.join(studies(), "prior", "R_CC.dcm")
        with open(prior, "rb") as f:
            data = f.read()
        body = b"--B\r\nContent-Type: application/dicom\r\n\r\n" + data + b"\r\n--B--\r\n"
        ctype = 'multipart/related; type="application/dicom"; boundary=B'
        path = "/dicom-web/studies?request=%d&kind=prior_images" % self.rid
        reader = self.token("staff", "Read only")
        r = self.bearer(reader, path, method="POST", accept=JSON, headers={"Content-Type": ctype}, body=body)
        self.assertEqual(r.status, 403)
        self.assertIn('error="insufficient_scope"', r.header("WWW-Authenticate"))
        kinds = "SELECT count(*) FROM documents WHERE request_id = %s AND kind = 'prior_images'"
        self.assertEqual(self.sql(kinds, self.rid)[0][0], 0)
        sender = self.token("staff", "Center PACS sender", can_store="1")
        r = self.bearer(sender, path, method="POST", accept=JSON, headers={"Content-Type": ctype}, body=body)
        self.assertEqual(r.status, 200, r.text[:500])
        stored = r.json()["00081199"]["Value"]
        self.assertEqual(len(stored), 1)
        self.assertEqual(self.sql(kinds, self.rid)[0][0], 1)
        row = self.sql("SELECT actor_id, outcome FROM audit_log WHERE action = 'dicomweb.store' "
                       "ORDER BY id DESC LIMIT 1")[0]
        self.assertEqual(row, (self.staff["id"], "ok"))

    def test_i_failed_tokens_are_throttled_per_address(self):
        tok = self.token("patient", "Throttled")
        for _ in range(3):
            self.assert_invalid(self.bearer("sop_" + "A" * 43, "/dicom-web/studies", accept=JSON))
        self.assertEqual(self.sql("SELECT failures FROM login_throttle WHERE kind = 'bearer_ip' AND key = "
                                  "'127.0.0.1'")[0][0], 3)
        self.assertEqual(self.bearer(tok, "/dicom-web/studies", accept=JSON).status, 200)  # not counted
        self.assertEqual(self.sql("SELECT failures FROM login_throttle WHERE kind = 'bearer_ip' AND key = "
                                  "'127.0.0.1'")[0][0], 3)
        # an address with many failures cools down: even a good token is not looked at
        self.sql("UPDATE login_throttle SET failures = 60, last_failure_at = now() WHERE kind = 'bearer_ip' AND "
                 "key = '127.0.0.1'")
        tid = self.token_id("Throttled", "patient")
        uses = self.sql("SELECT count(*) FROM audit_log WHERE action = 'dicomweb.token_use' AND object_id = %s",
                        str(tid))[0][0]
        r = self.bearer(tok, "/dicom-web/studies", accept=JSON)
        self.assertEqual(r.status, 429)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertNotIn(b"JANE", r.body)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'dicomweb.token_use' AND "
                                  "object_id = %s", str(tid))[0][0], uses)
        # the portal's own login is a separate counter: the session still reads
        self.assertEqual(self.pc.get("/dicom-web/studies", headers={"Accept": JSON}).status, 200)


if __name__ == "__main__":
    harness.main()
