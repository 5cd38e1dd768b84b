"""The account and sign-in forms on the one form layer (issue 15, item 1):
sign-up, log in, the second factor, forgot and reset password, the time
zone, change password and two-step login set-up. For every form: a required
field missing, a limit exceeded, the message next to its field
(aria-invalid, aria-describedby), every typed value echoed except passwords
and codes, a 422 on the same page, and nothing saved."""
import re
import time

import harness
from accounts_helpers import login, make_user, totp_code

PW = "secret lantern <over> quiet harbour"  # would show escaped if ever echoed


class AccountFormsTest(harness.ServerTestCase):
    def assertFieldError(self, page, field, words, error_id=None):
        """The message sits next to the field, and the field points to it."""
        error_id = error_id or "%s-error" % field
        m = re.search(r'<p class="field-error" id="%s">([^<]*)</p>' % error_id, page)
        self.assertTrue(m, "no error for %s in %s" % (field, page[:3000]))
        self.assertIn(words, m.group(1))
        self.assertRegex(page, r'name="%s"[^>]*aria-invalid="true" aria-describedby="%s"' % (field, error_id))
        self.assertNotIn("Go to the home page", page)

    def assertNoSecret(self, page, *secrets):
        for s in secrets:
            self.assertNotIn(s, page)
            self.assertNotIn(s.replace("<", "&lt;").replace(">", "&gt;"), page)

    def users(self, email):
        return self.sql("SELECT count(*) FROM users WHERE email = %s", email)[0][0]

    def pw_hash(self, user):
        return self.sql("SELECT password_hash FROM users WHERE id = %s", user["id"])[0][0]

    # ---- sign-up ----

    def test_signup_required_limits_echo_and_nothing_saved(self):
        c = self.client()
        c.get("/signup")
        good = {"name": "Ana <Garcia>", "email": "form-signup@example.test", "dob": "1970-03-04",
                "password": PW, "time_zone": "Europe/Madrid"}
        # name missing: said next to it, the rest comes back, the password does not
        r = c.post("/signup", dict(good, name="  "))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "Please enter your name")
        self.assertIn('value="form-signup@example.test"', r.text)
        self.assertIn('value="1970-03-04"', r.text)
        self.assertIn('value="Europe/Madrid"', r.text)
        self.assertNoSecret(r.text, PW)
        self.assertIn("Some fields need your attention", r.text)
        # too long a name, too long an address, a future birth date: each next to its field
        r = c.post("/signup", dict(good, name="x" * 201, email="a" * 250 + "@example.test", dob="2999-01-01"))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "at most 200 characters")
        self.assertFieldError(r.text, "email", "valid e-mail address")
        self.assertFieldError(r.text, "dob", "date of birth")
        self.assertIn('value="%s"' % ("x" * 201), r.text)
        self.assertNoSecret(r.text, PW)
        # a password too short: the policy's words next to the password field; echo escaped
        r = c.post("/signup", dict(good, password="short one"))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "at least 15 characters")
        self.assertIn('value="Ana &lt;Garcia&gt;"', r.text)
        self.assertNoSecret(r.text, "short one")
        # no password at all
        r = c.post("/signup", {k: v for k, v in good.items() if k != "password"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "Please choose a password.")
        # a line break after the browser's zone is refused; the field appears with it
        r = c.post("/signup", dict(good, time_zone="Europe/Madrid\n"))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "time_zone", "Your browser gave a time zone we do not know")
        self.assertEqual(self.users(good["email"]), 0)
        self.assertEqual(self.sql("SELECT count(*) FROM outbox WHERE recipient = %s", good["email"])[0][0], 0)
        # and the same form, right, makes the account in the zone given
        r = c.post("/signup", dict(good, time_zone="  Europe/Madrid "))
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.sql("SELECT name, time_zone FROM users WHERE email = %s", good["email"])[0],
                         ("Ana <Garcia>", "Europe/Madrid"))

    # ---- log in and the second factor ----

    def test_login_fields_missing_or_too_long_say_so_and_start_no_session(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        r = c.post("/login", {"email": p["email"], "password": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "Please enter your password.")
        self.assertIn('value="%s"' % p["email"], r.text)
        r = c.post("/login", {"email": "", "password": p["password"]})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "Please enter your e-mail address.")
        self.assertNoSecret(r.text, p["password"])
        r = c.post("/login", {"email": "a" * 255, "password": p["password"]})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "at most 254 characters")
        self.assertNoSecret(r.text, p["password"])
        # a wrong password keeps today's answer: one message for the form, the same for
        # an unknown address, the address typed kept, the password not
        r = c.post("/login", {"email": p["email"], "password": PW})
        self.assertEqual(r.status, 401)
        self.assertIn("The e-mail address or the password is not right.", r.text)
        self.assertIn('value="%s"' % p["email"], r.text)
        self.assertNoSecret(r.text, PW)
        r2 = c.post("/login", {"email": "nobody-%s" % p["email"], "password": PW})
        self.assertEqual(r2.status, 401)
        self.assertIn("The e-mail address or the password is not right.", r2.text)
        self.assertEqual(self.sql("SELECT count(*) FROM sessions WHERE user_id = %s", p["id"])[0][0], 0)
        self.assertNotIn("sid", c.cookies)

    def test_second_factor_without_a_code_is_not_counted_and_not_passed(self):
        s = make_user(self.server, "staff")
        c = self.client()
        c.get("/login")
        r = c.post("/login", {"email": s["email"], "password": s["password"]})
        self.assertEqual(r.status, 303)
        self.assertTrue((r.header("Location") or "").startswith("/login/2fa"))
        self.assertEqual(c.get("/login/2fa").status, 200)
        before = self.sql("SELECT coalesce(sum(failures), 0) FROM mfa_failures WHERE user_id = %s", s["id"])[0][0]
        r = c.post("/login/2fa", {"code": "   "})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "Please enter the 6-digit code")
        r = c.post("/login/2fa", {"code": "1" * 65})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "That code is not right")
        self.assertNoSecret(r.text, "1" * 65)
        self.assertEqual(self.sql("SELECT coalesce(sum(failures), 0) FROM mfa_failures WHERE user_id = %s", s["id"])[0][0], before)
        # the session has not passed the factor
        self.assertTrue((c.get("/account").header("Location") or "").startswith("/login/2fa"))

    # ---- forgot and reset password ----

    def test_forgot_and_reset_password_fields(self):
        p = make_user(self.server, "patient")
        c = self.client()
        c.get("/forgot-password")
        outbox = "SELECT count(*) FROM outbox WHERE kind = 'password_reset'"
        n_mail = self.sql(outbox)[0][0]
        r = c.post("/forgot-password", {"email": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "valid e-mail address")
        r = c.post("/forgot-password", {"email": "not an <address>"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "valid e-mail address")
        self.assertIn('value="not an &lt;address&gt;"', r.text)
        r = c.post("/forgot-password", {"email": "a" * 250 + "@example.test"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "valid e-mail address")
        self.assertEqual(self.sql(outbox)[0][0], n_mail)
        # a good address answers the same whether or not an account uses it
        r1 = c.post("/forgot-password", {"email": p["email"]})
        r2 = c.post("/forgot-password", {"email": "nobody-" + p["email"]})
        self.assertEqual((r1.status, r2.status), (200, 200))
        self.assertEqual(re.sub(r'name="csrf" value="[^"]*"', "", r1.text),
                         re.sub(r'name="csrf" value="[^"]*"', "", r2.text))
        import test_accounts
        tok = test_accounts.outbox_token(self.server, p["email"], "/reset-password")
        before = self.pw_hash(p)
        c.get("/reset-password?token=" + tok)
        r = c.post("/reset-password", {"token": tok, "password": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "Please choose a password.")
        r = c.post("/reset-password", {"token": tok, "password": "too short"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "at least 15 characters")
        self.assertNoSecret(r.text, "too short")
        self.assertIn('name="token" value="%s"' % tok, r.text)  # the form still works
        self.assertEqual(self.pw_hash(p), before)
        r = c.post("/reset-password", {"token": tok, "password": PW})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertNotEqual(self.pw_hash(p), before)

    # ---- the account: time zone, password, two-step login ----

    def test_time_zone_refusals_keep_the_zone(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        zone = self.sql("SELECT time_zone FROM users WHERE id = %s", p["id"])[0][0]
        for bad in ("", "   ", "Europe/Madrid\n", "\tEurope/Madrid", "Europe/Madrid\r", "x" * 65, "Atlantis/Capital"):
            r = c.post("/account/time-zone", {"time_zone": bad})
            self.assertEqual(r.status, 422, repr(bad))
            self.assertFieldError(r.text, "time_zone", "We do not know this time zone")
            self.assertEqual(self.sql("SELECT time_zone FROM users WHERE id = %s", p["id"])[0][0], zone)
        self.assertIn('value="Atlantis/Capital"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'account.time_zone' AND actor_id = %s", p["id"])[0][0], 0)
        # saved in one transaction with its one audit row: BEGIN, UPDATE, the audit chain's
        # lock and head, the audit INSERT, COMMIT (the test build counts what a handler sends)
        r = c.post("/account/time-zone", {"time_zone": " Europe/Madrid "})
        self.assertEqual(r.status, 303)
        statements = int(r.header("X-Test-Sql-Statements"))
        self.assertLessEqual(statements, 6)
        self.assertEqual(self.sql("SELECT time_zone FROM users WHERE id = %s", p["id"])[0][0], "Europe/Madrid")
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'account.time_zone' AND actor_id = %s", p["id"])[0][0], 1)
        print("\n  time zone save: %d SQL statements" % statements)

    def test_change_password_fields(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        before = self.pw_hash(p)
        r = c.post("/account/password", {"current": "", "password": PW})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "current", "Please enter your current password.")
        self.assertNoSecret(r.text, PW)
        r = c.post("/account/password", {"current": p["password"], "password": "too short"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "at least 15 characters")
        self.assertNoSecret(r.text, p["password"], "too short")
        r = c.post("/account/password", {"current": PW, "password": "another lantern over the harbour"})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "current", "That is not your current password.")
        r = c.post("/account/password", {"current": p["password"]})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "password", "Please choose a password.")
        self.assertEqual(self.pw_hash(p), before)

    def test_two_step_setup_code_missing_or_wrong_next_to_its_form(self):
        p = make_user(self.server, "patient")
        c = self.client()
        login(c, p)
        page = c.get("/account/2fa")
        self.assertEqual(page.status, 200)
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
        r = c.post("/account/2fa", {"action": "enable", "code": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "Please enter the 6-digit code")
        r = c.post("/account/2fa", {"action": "enable", "code": "9" * 65})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "That code is not right")
        self.assertNoSecret(r.text, "9" * 65)
        self.assertFalse(self.sql("SELECT totp_enabled FROM users WHERE id = %s", p["id"])[0][0])
        # a button this page does not have is not a form of it
        self.assertEqual(c.post("/account/2fa", {"action": "explode", "code": "123456"}).status, 400)
        r = c.post("/account/2fa", {"action": "enable", "code": totp_code(secret, int(time.time()) // 30)})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertTrue(self.sql("SELECT totp_enabled FROM users WHERE id = %s", p["id"])[0][0])
        # turning it off without a code: the message sits next to the "Turn it off" field only
        r = c.post("/account/2fa", {"action": "disable", "code": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "Please enter the 6-digit code", error_id="code-off-error")
        self.assertNotIn('id="code-error"', r.text)
        r = c.post("/account/2fa", {"action": "regenerate", "code": ""})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "code", "Please enter the 6-digit code")
        self.assertNotIn('id="code-off-error"', r.text)
        self.assertTrue(self.sql("SELECT totp_enabled FROM users WHERE id = %s", p["id"])[0][0])
