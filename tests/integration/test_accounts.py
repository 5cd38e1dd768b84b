"""Accounts, sessions, CSRF, throttling and TOTP over HTTP against the real
server and database (issue 3). Each test names the rule it proves.

Test clock: the servers here run with SECONDOP_TEST_CLOCK_FILE; a test that
writes N seconds into it moves the server's clock for sessions, throttling
and token expiry forward by N (setUp puts it back to 0)."""
import os
import re
import statistics
import tempfile
import time
import urllib.parse

import harness
from accounts_helpers import login, make_user, next_totp_code, outbox_messages, totp_code, run_cli

CLOCK_DIR = tempfile.mkdtemp(prefix="sop-clock-")


def outbox_token(server, email, path):
    """The token of the newest outbox link to `path` sent to email."""
    rows = [m["body"] for m in reversed(outbox_messages(server)) if m["to"].lower() == email.lower()]
    for body in rows:
        m = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_-]{43})", body)
        if m:
            return m.group(1)
    raise AssertionError("no %s link in the outbox for %s" % (path, email))


def actions(server, user_id=None):
    if user_id is None:
        return [r[0] for r in server.sql("SELECT action FROM audit_log ORDER BY id")]
    return [r[0] for r in server.sql("SELECT action FROM audit_log WHERE object_id = %s ORDER BY id", str(user_id))]


class ClockCase(harness.ServerTestCase):
    """A server whose clock the test can move."""

    @classmethod
    def setUpClass(cls):
        cls.clock_file = os.path.join(CLOCK_DIR, cls.__name__)
        with open(cls.clock_file, "w") as f:
            f.write("0")
        cls.server_env = dict(cls.server_env or {}, SECONDOP_TEST_CLOCK_FILE=cls.clock_file)
        super().setUpClass()

    def setUp(self):
        self.set_clock(0)
        self.sql("DELETE FROM login_throttle")

    def set_clock(self, seconds):
        with open(self.clock_file, "w") as f:
            f.write(str(int(seconds)))


class SignupTest(ClockCase):
    def signup(self, c, **over):
        form = {"name": "Maria Example", "email": "maria%d@example.test" % time.time_ns(),
                "dob": "1971-05-03", "password": "violet tugboat under the rain"}
        form.update(over)
        c.get("/signup")
        return form, c.post("/signup", form)

    def test_validation_errors_are_shown_next_to_each_field_and_nothing_is_created(self):
        c = self.client()
        before = self.sql("SELECT count(*) FROM users")[0][0]
        form, r = self.signup(c, name="", email="not-an-address", dob="2999-01-01", password="zq9xw")
        self.assertEqual(r.status, 422)
        for field in ("name", "email", "dob", "password"):
            self.assertIn('id="%s-error"' % field, r.text, field)
            self.assertRegex(r.text, r'id="f-%s"[^>]*aria-invalid="true"' % field)
        self.assertIn('value="not-an-address"', r.text)  # what was typed is kept
        self.assertNotIn("zq9xw", r.text)  # but never the password
        self.assertEqual(self.sql("SELECT count(*) FROM users")[0][0], before)

    def test_common_password_is_refused(self):
        c = self.client()
        form, r = self.signup(c, password="1qaz2wsx3edc4rfv")
        self.assertEqual(r.status, 422)
        self.assertIn('id="password-error"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM users WHERE email = %s", form["email"])[0][0], 0)

    def test_fourteen_characters_refused_fifteen_accepted(self):
        c = self.client()
        _, r = self.signup(c, password="plum tree rain")  # 14 code points
        self.assertEqual(r.status, 422)
        _, r = self.signup(c, password="plum tree rains")  # 15
        self.assertEqual(r.status, 200, r.text[:500])

    def test_signup_verify_and_login_with_argon2id_hash(self):
        c = self.client()
        form, r = self.signup(c)
        self.assertEqual(r.status, 200)
        self.assertIn("Check your e-mail", r.text)
        h = self.sql("SELECT password_hash, email_verified, role FROM users WHERE email = %s", form["email"])[0]
        self.assertRegex(h[0], r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=1\$")
        self.assertEqual((h[1], h[2]), (False, "patient"))
        # before confirming, the right password does not log in
        c2 = self.client()
        c2.get("/login")
        r = c2.post("/login", {"email": form["email"], "password": form["password"]})
        self.assertEqual(r.status, 403)
        self.assertNotIn("sid", c2.cookies)
        tok = outbox_token(self.server, form["email"], "/verify-email")
        r = c.get("/verify-email?token=" + tok)
        self.assertEqual(r.status, 200)  # a GET changes nothing
        self.assertFalse(self.sql("SELECT email_verified FROM users WHERE email = %s", form["email"])[0][0])
        r = c.post("/verify-email", {"token": tok})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertTrue(self.sql("SELECT email_verified FROM users WHERE email = %s", form["email"])[0][0])
        r = c.post("/verify-email", {"token": tok})
        self.assertEqual(r.status, 404)  # single use
        uid = self.sql("SELECT id FROM users WHERE email = %s", form["email"])[0][0]
        login(self.client(), {"email": form["email"], "password": form["password"], "id": uid})
        self.assertEqual(actions(self.server, uid)[:3], ["account.create", "login.failure", "account.email_verified"])
        self.assertIn("login.success", actions(self.server, uid))

    def test_signup_with_a_taken_address_answers_the_same(self):
        p = make_user(self.server, "patient")
        c1, c2 = self.client(), self.client()
        _, r1 = self.signup(c1, email="new%d@example.test" % time.time_ns())
        _, r2 = self.signup(c2, email=p["email"])
        norm = lambda r, e: re.sub(re.escape(e), "EMAIL", r.text)
        self.assertEqual(r1.status, r2.status)
        self.assertEqual(norm(r1, re.search(r"<strong>([^<]+)</strong>", r1.text).group(1)), norm(r2, p["email"]))
        self.assertEqual(self.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)", p["email"])[0][0], 1)
        self.assertIn("already has an account",
                      [m["body"] for m in outbox_messages(self.server) if m["to"] == p["email"]][-1])


class LoginTest(ClockCase):
    def test_login_logout_and_the_old_cookie_is_dead(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        sid = c.cookies["sid"]
        self.assertGreaterEqual(len(sid), 43)
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 1)
        # the database keeps only a hash of the token
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE encode(token_hash,'hex') LIKE %s OR csrf_token = %s",
                                  "%" + sid + "%", sid)[0][0], 0)
        r = c.post("/logout")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").startswith("/login"))
        self.assertNotIn("sid", c.cookies)
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 0)
        replay = self.client()
        replay.cookies["sid"] = sid
        r = replay.get("/account")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").startswith("/login"))
        r = replay.post("/session/ping", csrf=False, headers={"X-CSRF-Token": "x"})
        self.assertEqual(r.status, 401)
        self.assertEqual(actions(self.server, p["id"])[-2:], ["login.success", "logout"])

    def test_cookie_flags(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        r = c.post("/login", {"email": p["email"], "password": p["password"]})
        self.assertEqual(r.status, 303)
        sc = [h for h in r.headers_named("Set-Cookie") if h.startswith("sid=")]
        self.assertEqual(len(sc), 1)
        attrs = [a.strip() for a in sc[0].split(";")[1:]]
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Lax", attrs)
        self.assertIn("Path=/", attrs)
        self.assertFalse(any(a.lower().startswith(("domain", "expires", "max-age")) for a in attrs), attrs)
        self.assertNotIn(c.cookies["sid"], r.header("Location"))

    def test_session_fixation_a_planted_cookie_is_replaced(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        pre = c.csrf
        c.cookies["sid"] = "A" * 43  # a value chosen by an attacker
        r = c.post("/login", {"email": p["email"], "password": p["password"], "csrf": pre})
        self.assertEqual(r.status, 303)
        first = c.cookies["sid"]
        self.assertNotEqual(first, "A" * 43)
        r = c.post("/login", {"email": p["email"], "password": p["password"], "csrf": pre})
        self.assertEqual(r.status, 303)  # logging in again with a live session: a new token
        self.assertNotEqual(c.cookies["sid"], first)
        self.assertEqual(c.get("/account").status, 200)
        old = self.client()
        old.cookies["sid"] = first
        self.assertEqual(old.get("/account").status, 303)

    def test_unknown_user_and_wrong_password_answer_byte_identically(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        email_unknown = "x" + p["email"][1:]
        r1 = c.post("/login", {"email": email_unknown, "password": "whatever it is we type"})
        r2 = c.post("/login", {"email": p["email"], "password": "whatever it is we type"})
        self.assertEqual(r1.status, 401)
        self.assertEqual(r2.status, 401)
        self.assertEqual(r1.body.replace(email_unknown.encode(), b"E"), r2.body.replace(p["email"].encode(), b"E"))
        strip = lambda r: sorted((k, v) for k, v in r.header_list if k.lower() != "date")
        self.assertEqual(strip(r1), strip(r2))
        self.assertIn("The e-mail address or the password is not right", r1.text)

    def test_unknown_user_costs_an_argon2id_verify_too(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        t_unknown, t_wrong = [], []
        for i in range(4):
            self.sql("DELETE FROM login_throttle")
            t = time.time(); c.post("/login", {"email": "nobody%d@example.test" % i, "password": "x" * 20}); t_unknown.append(time.time() - t)
            t = time.time(); c.post("/login", {"email": p["email"], "password": "x" * 20}); t_wrong.append(time.time() - t)
        mu, mw = statistics.median(t_unknown), statistics.median(t_wrong)
        self.assertGreater(mu, 0.02)  # a real Argon2id computation (~78 ms) ran
        self.assertGreater(mu, 0.5 * mw)
        self.assertLess(mu, 2 * mw)

    def test_csrf_missing_or_foreign_token_is_refused_and_changes_nothing(self):
        p = make_user(self.server, "patient")
        other = make_user(self.server, "patient")
        c, o = self.client(), self.client()
        login(c, p)
        login(o, other)
        before = self.sql("SELECT password_hash FROM users WHERE id = %s", p["id"])[0][0]
        new = {"current": p["password"], "password": "an entirely new passphrase"}
        r = c.post("/account/password", new, csrf=False)
        self.assertEqual(r.status, 403)
        r = c.post("/account/password", dict(new, csrf=o.csrf))
        self.assertEqual(r.status, 403)
        r = c.request("POST", "/account/password", form=dict(new, csrf=c.csrf), headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.sql("SELECT password_hash FROM users WHERE id = %s", p["id"])[0][0], before)
        # logout without a token does not log out
        self.assertEqual(c.post("/logout", csrf=False).status, 403)
        self.assertEqual(c.get("/account").status, 200)
        # the header form works for the idle ping
        r = c.request("POST", "/session/ping", headers={"X-CSRF-Token": c.csrf})
        self.assertEqual(r.status, 200)
        self.assertGreater(r.json()["idle_seconds"], 1700)

    def test_anonymous_login_form_needs_the_pre_session_token(self):
        p = make_user(self.server, "patient")
        c = self.client()
        r = c.post("/login", {"email": p["email"], "password": p["password"]}, csrf=False)
        self.assertEqual(r.status, 403)
        c.get("/login")
        r = c.post("/login", {"email": p["email"], "password": p["password"], "csrf": "A" * 43})
        self.assertEqual(r.status, 403)
        # a token without its cookie is refused too (double submit)
        tok = c.csrf
        d = self.client()
        r = d.post("/login", {"email": p["email"], "password": p["password"], "csrf": tok})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 0)

    def test_idle_timeout_patient_30_min_center_15_min(self):
        p = make_user(self.server, "patient")
        s = make_user(self.server, "staff")
        cp, cs = self.client(), self.client()
        login(cp, p)
        login(cs, s)
        self.set_clock(16 * 60)
        self.assertEqual(cp.get("/account").status, 200)   # patient: still inside 30 min
        r = cs.get("/account")
        self.assertEqual(r.status, 303)                    # staff: 15 min passed
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", s["id"])[0][0], 0)
        self.assertIn("session.timeout", actions(self.server, s["id"]))
        self.set_clock(16 * 60 + 29 * 60)
        self.assertEqual(cp.get("/account").status, 200)   # 29 min after the last request: still in
        self.set_clock(16 * 60 + 29 * 60 + 31 * 60)
        self.assertEqual(cp.get("/account").status, 303)   # 31 min idle: out (issue 10: 30, not 60)
        self.assertIn("session.timeout", actions(self.server, p["id"]))
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 0)

    def test_absolute_timeout_12_hours_despite_activity(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        t = 0
        while t < 11 * 3600:
            t += 25 * 60
            self.set_clock(t)
            self.assertEqual(c.get("/account").status, 200, "at %d s" % t)
        self.set_clock(12 * 3600 + 1)
        self.assertEqual(c.get("/account").status, 303)

    def test_password_change_needs_current_password_and_ends_other_sessions(self):
        p = make_user(self.server, "patient")
        c1, c2 = self.client(), self.client()
        login(c1, p)
        login(c2, p)
        c1.get("/account/password")
        r = c1.post("/account/password", {"current": "not my password at all", "password": "a brand new passphrase here"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="current-error"', r.text)
        self.assertEqual(c2.get("/account").status, 200)
        r = c1.post("/account/password", {"current": p["password"], "password": "a brand new passphrase here"})
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertEqual(c1.get("/account").status, 200)   # this session goes on (with a new token)
        self.assertEqual(c2.get("/account").status, 303)   # the other one is over
        c3 = self.client()
        c3.get("/login")
        self.assertEqual(c3.post("/login", {"email": p["email"], "password": p["password"]}).status, 401)
        login(self.client(), dict(p, password="a brand new passphrase here"))
        self.assertIn("password.change", actions(self.server, p["id"]))
        self.assertIn("password was changed",
                      self.sql("SELECT subject FROM outbox WHERE recipient = %s ORDER BY id DESC", p["email"])[0][0])

    def test_forgot_and_reset_password_single_use(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/forgot-password")
        r_known = c.post("/forgot-password", {"email": p["email"]})
        r_unknown = c.post("/forgot-password", {"email": "nobody-here@example.test"})
        self.assertEqual(r_known.status, 200)
        self.assertEqual(r_known.body, r_unknown.body)
        tok = outbox_token(self.server, p["email"], "/reset-password")
        logged = self.client()
        login(logged, p)
        r = c.get("/reset-password?token=" + tok)
        self.assertEqual(r.status, 200)
        r = c.post("/reset-password", {"token": tok, "password": "short"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="password-error"', r.text)
        r = c.post("/reset-password", {"token": tok, "password": "lantern over quiet harbour"})
        self.assertEqual(r.status, 303)
        self.assertEqual(c.post("/reset-password", {"token": tok, "password": "another one entirely ok"}).status, 404)
        self.assertEqual(logged.get("/account").status, 303)  # reset ends every session
        login(self.client(), dict(p, password="lantern over quiet harbour"))
        self.assertIn("password.reset", actions(self.server, p["id"]))
        # a reset link expires after 60 minutes
        c.post("/forgot-password", {"email": p["email"]})
        tok2 = outbox_token(self.server, p["email"], "/reset-password")
        self.set_clock(61 * 60)
        self.assertEqual(c.get("/reset-password?token=" + tok2).status, 404)


class ThrottleTest(ClockCase):
    def fail(self, c, email, n):
        for _ in range(n):
            c.post("/login", {"email": email, "password": "wrong wrong wrong wrong"})

    def test_account_lock_429_growing_even_with_right_password_then_recovers(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        # 5 failures start a 1 s cool-down, which a slow (sanitizer) build can
        # outlive before the next request; 8 make it 8 s, so the right
        # password below surely arrives during the cool-down
        self.fail(c, p["email"], 8)
        r = c.post("/login", {"email": p["email"], "password": p["password"]})
        self.assertEqual(r.status, 429)
        ra1 = int(r.header("Retry-After"))
        self.assertGreaterEqual(ra1, 1)
        r = c.post("/login", {"email": p["email"], "password": p["password"]})
        self.assertEqual(r.status, 429)
        ra2 = int(r.header("Retry-After"))
        self.assertGreater(ra2, ra1)
        self.assertNotIn("sid", c.cookies)
        self.assertIn("login.throttled", actions(self.server, p["id"]))
        self.assertGreaterEqual(actions(self.server, p["id"]).count("login.failure"), 5)
        self.set_clock(ra2 + 1)
        login(c, p)  # soft lockout: over after the cool-down
        self.assertEqual(self.sql("SELECT count(*) FROM login_throttle WHERE kind = 'account'")[0][0], 0)

    def test_per_address_limit_across_accounts(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        for i in range(30):  # past the address's limit with room to spare on a slow build
            c.post("/login", {"email": "guess%d@example.test" % i, "password": "wrong wrong wrong wrong"})
        r = c.post("/login", {"email": p["email"], "password": p["password"]})
        self.assertEqual(r.status, 429)
        self.assertTrue(r.header("Retry-After"))
        self.set_clock(3700)
        login(c, p)


class TotpTest(ClockCase):
    def test_center_login_needs_totp_and_a_code_works_once(self):
        s = make_user(self.server, "staff")
        c = self.client()
        c.get("/login")
        r = c.post("/login", {"email": s["email"], "password": s["password"]})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/login/2fa")
        first_sid = c.cookies["sid"]
        # before the second factor only enrolment/verify/logout are reachable
        r = c.get("/account")
        self.assertEqual((r.status, r.header("Location")), (303, "/login/2fa"))
        r = c.get("/login/2fa")
        self.assertEqual(r.status, 200)
        r = c.post("/login/2fa", {"code": "000000" if totp_code(s["totp_secret"], int(time.time()) // 30) != "000000" else "111111"})
        self.assertEqual(r.status, 401)
        step = int(time.time()) // 30
        code = totp_code(s["totp_secret"], step)
        r = c.post("/login/2fa", {"code": code})
        self.assertEqual(r.status, 303)
        self.assertNotEqual(c.cookies["sid"], first_sid)  # new token after the privilege change
        self.assertEqual(c.get("/account").status, 200)
        c.get("/account")
        c.post("/logout")
        # the same code again: refused (replay)
        c2 = self.client()
        c2.get("/login")
        c2.post("/login", {"email": s["email"], "password": s["password"]})
        c2.get("/login/2fa")
        r = c2.post("/login/2fa", {"code": code})
        self.assertEqual(r.status, 401)
        acts = actions(self.server, s["id"])
        self.assertIn("login.2fa_failure", acts)
        self.assertIn("login.success", acts)

    def test_patient_enrols_with_qr_and_recovery_codes_work_once(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        r = c.get("/account/2fa")
        self.assertEqual(r.status, 200)
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', r.text).group(1).replace(" ", "")
        qr = c.get("/account/2fa/qr.svg")
        self.assertEqual(qr.status, 200)
        self.assertTrue(qr.header("Content-Type").startswith("image/svg+xml"))
        self.assertIn(b"<svg", qr.body)
        # stored sealed, not as the secret
        enc = bytes(self.sql("SELECT totp_secret_enc FROM users WHERE id = %s", p["id"])[0][0])
        import base64
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
        self.assertNotIn(raw, enc)
        self.assertNotIn(secret.encode(), enc)
        r = c.post("/account/2fa", {"action": "enable", "code": "123456" if totp_code(secret, int(time.time()) // 30) != "123456" else "654321"})
        self.assertEqual(r.status, 422)
        r = c.post("/account/2fa", {"action": "enable", "code": totp_code(secret, int(time.time()) // 30)})
        self.assertEqual(r.status, 200, r.text[:300])
        codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", r.text)
        self.assertEqual(len(codes), 10)
        self.assertEqual(self.sql("SELECT count(*) FROM recovery_codes WHERE user_id = %s", p["id"])[0][0], 10)
        self.assertIn("2fa.enable", actions(self.server, p["id"]))
        c.get("/account")
        c.post("/logout")
        # log in with a recovery code
        d = self.client()
        d.get("/login")
        r = d.post("/login", {"email": p["email"], "password": p["password"]})
        self.assertEqual(r.header("Location"), "/login/2fa")
        d.get("/login/2fa")
        self.assertEqual(d.post("/login/2fa", {"code": codes[0].upper()}).status, 303)
        self.assertEqual(d.get("/account").status, 200)
        d.post("/logout")
        e = self.client()
        e.get("/login")
        e.post("/login", {"email": p["email"], "password": p["password"]})
        e.get("/login/2fa")
        self.assertEqual(e.post("/login/2fa", {"code": codes[0]}).status, 401)  # single use
        self.assertIn("2fa.recovery_used", actions(self.server, p["id"]))
        # and the helper works for a TOTP patient too
        login(self.client(), dict(p, totp_secret=secret))


ROUTES_GET = ["/account", "/account/password", "/account/2fa", "/admin", "/admin/accounts",
              "/admin/accounts/invite", "/admin/accounts/{id}"]
ROUTES_POST = ["/admin/accounts/invite", "/admin/accounts/{id}/disable", "/admin/accounts/{id}/enable",
               "/admin/accounts/{id}/reset-2fa", "/account/password", "/account/2fa", "/logout", "/session/ping",
               "/login/2fa"]
PUBLIC_GET = ["/login", "/signup", "/forgot-password"]


class RoleTableTest(harness.ServerTestCase):
    def test_every_route_times_every_role(self):
        users = {role: make_user(self.server, role) for role in ("patient", "staff", "reviewer", "admin")}
        target = make_user(self.server, "patient")
        clients = {"anon": self.client()}
        clients["anon"].get("/login")
        for role, u in users.items():
            clients[role] = self.client()
            login(clients[role], u)
        expected_get = {
            "anon": {r: 303 for r in ROUTES_GET},
            "patient": {r: (403 if r.startswith("/admin") else 200) for r in ROUTES_GET},
        }
        for role in ("staff", "reviewer"):
            expected_get[role] = dict(expected_get["patient"])
        expected_get["admin"] = {r: 200 for r in ROUTES_GET}
        failures = []
        for role, c in clients.items():
            for route in ROUTES_GET:
                path = route.replace("{id}", str(target["id"]))
                r = c.get(path)
                if r.status != expected_get[role][route]:
                    failures.append("GET %s as %s: %d (expected %d)" % (route, role, r.status, expected_get[role][route]))
                if role == "anon" and r.status == 303 and not r.header("Location").startswith("/login?next="):
                    failures.append("GET %s as anon went to %s" % (route, r.header("Location")))
            for route in PUBLIC_GET:
                r = c.get(route)
                want = 200 if role == "anon" or route == "/forgot-password" else 303
                if r.status != want:
                    failures.append("GET %s as %s: %d (expected %d)" % (route, role, r.status, want))
        # state-changing routes: anonymous 401, non-admins 403 on admin routes (nothing changes)
        for role, c in clients.items():
            for route in ROUTES_POST:
                if role != "anon" and not route.startswith("/admin"):
                    continue
                path = route.replace("{id}", str(target["id"]))
                r = c.post(path, {"role": "staff", "name": "X", "email": "x%s@example.test" % role})
                want = 401 if role == "anon" else (403 if role != "admin" else None)
                if want is not None and r.status != want:
                    failures.append("POST %s as %s: %d (expected %d)" % (route, role, r.status, want))
        self.assertEqual(failures, [])
        self.assertEqual(self.sql("SELECT status FROM users WHERE id = %s", target["id"])[0][0], "active")
        self.assertEqual(self.sql("SELECT count(*) FROM users WHERE email LIKE 'xpatient%%' OR email LIKE 'xstaff%%' "
                                  "OR email LIKE 'xreviewer%%' OR email LIKE 'xanon%%'")[0][0], 0)

    def test_center_user_before_totp_reaches_only_enrolment_and_logout(self):
        s = make_user(self.server, "reviewer")
        c = self.client()
        c.get("/login")
        c.post("/login", {"email": s["email"], "password": s["password"]})
        c.get("/login/2fa")
        for path in ("/account", "/account/password", "/admin"):
            r = c.get(path)
            self.assertEqual((r.status, r.header("Location")), (303, "/login/2fa"), path)
        self.assertEqual(c.request("POST", "/session/ping", headers={"X-CSRF-Token": c.csrf}).status, 200)
        self.assertEqual(c.post("/logout").status, 303)


class AdminAccountsTest(ClockCase):
    def test_invite_accept_enrol_and_use(self):
        admin = make_user(self.server, "admin")
        c = self.client()
        login(c, admin)
        r = c.get("/admin/accounts/invite")
        self.assertEqual(r.status, 200)
        r = c.post("/admin/accounts/invite", {"role": "patient", "name": "", "email": "bad"})
        self.assertEqual(r.status, 422)
        for f in ("role", "name", "email"):
            self.assertIn('id="%s-error"' % f, r.text)
        email = "newrad%d@example.test" % time.time_ns()
        r = c.post("/admin/accounts/invite", {"role": "reviewer", "name": "Dr. New", "email": email})
        self.assertEqual(r.status, 303)
        r = c.get("/admin/accounts?q=" + urllib.parse.quote("Dr. New"))
        self.assertIn(email, r.text)
        self.assertIn("invited", r.text)
        uid = self.sql("SELECT id FROM users WHERE email = %s", email)[0][0]
        self.assertIn("account.create", actions(self.server, uid))
        tok = outbox_token(self.server, email, "/reset-password")
        n = self.client()
        r = n.get("/reset-password?token=" + tok)
        self.assertIn("Welcome", r.text)
        r = n.post("/reset-password", {"token": tok, "password": "reviewer passphrase 1"})
        self.assertEqual(r.status, 303)
        n.get("/login")
        r = n.post("/login", {"email": email, "password": "reviewer passphrase 1"})
        self.assertEqual(r.header("Location"), "/account/2fa")
        self.assertEqual(n.get("/account").header("Location"), "/account/2fa")
        r = n.get("/account/2fa")
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', r.text).group(1).replace(" ", "")
        r = n.post("/account/2fa", {"action": "enable", "code": totp_code(secret, int(time.time()) // 30)})
        self.assertEqual(r.status, 200)
        self.assertEqual(n.get("/account").status, 200)
        acts = actions(self.server, uid)
        self.assertIn("account.invitation_accepted", acts)
        self.assertIn("2fa.enable", acts)

    def test_disable_enable_and_reset_2fa(self):
        admin = make_user(self.server, "admin")
        staff = make_user(self.server, "staff")
        c, s = self.client(), self.client()
        login(c, admin)
        login(s, staff)
        r = c.get("/admin/accounts/%d" % staff["id"])
        self.assertEqual(r.status, 200)
        self.assertEqual(c.post("/admin/accounts/%d/disable" % staff["id"]).status, 303)
        self.assertEqual(s.get("/account").status, 303)
        x = self.client()
        x.get("/login")
        r = x.post("/login", {"email": staff["email"], "password": staff["password"]})
        self.assertEqual(r.status, 401)
        c.get("/admin/accounts/%d" % staff["id"])
        self.assertEqual(c.post("/admin/accounts/%d/enable" % staff["id"]).status, 303)
        login(s, staff)
        c.get("/admin/accounts/%d" % staff["id"])
        self.assertEqual(c.post("/admin/accounts/%d/reset-2fa" % staff["id"]).status, 303)
        self.assertEqual(s.get("/account").status, 303)
        self.assertFalse(self.sql("SELECT totp_enabled FROM users WHERE id = %s", staff["id"])[0][0])
        s.get("/login")
        r = s.post("/login", {"email": staff["email"], "password": staff["password"]})
        self.assertEqual(r.header("Location"), "/account/2fa")
        # an admin cannot disable themselves
        c.get("/admin/accounts/%d" % admin["id"])
        self.assertEqual(c.post("/admin/accounts/%d/disable" % admin["id"]).status, 409)
        acts = actions(self.server, staff["id"])
        for a in ("account.disable", "account.enable", "2fa.reset"):
            self.assertIn(a, acts)
        self.assertEqual(c.get("/admin/accounts/999999").status, 404)


class CliTest(harness.ServerTestCase):
    def test_create_user_invitation_and_outbox(self):
        r = run_cli(self.server, ["create-user", "--role", "admin", "--email", "first@example.test", "--name", "First Admin"])
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"invitation: \S+/reset-password\?token=([A-Za-z0-9_-]{43})", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertIsNone(self.sql("SELECT password_hash FROM users WHERE email = 'first@example.test'")[0][0])
        out = run_cli(self.server, ["outbox"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("first@example.test", out.stdout)
        r2 = run_cli(self.server, ["create-user", "--role", "admin", "--email", "FIRST@example.test", "--name", "Again"])
        self.assertEqual(r2.returncode, 1)
        r3 = run_cli(self.server, ["create-user", "--role", "wizard", "--email", "w@example.test", "--name", "W"])
        self.assertEqual(r3.returncode, 2)
        self.assertIn("system", [x[0] for x in self.sql("SELECT actor_role FROM audit_log WHERE action = 'account.create'")])


class IdleEnvTest(harness.ServerTestCase):
    server_env = {"SECONDOP_TEST_IDLE_SECONDS": "2"}

    def test_short_idle_timeout_from_the_environment(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        time.sleep(3.1)
        self.assertEqual(c.get("/account").status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 0)
