"""The admin's forms on the one form layer (issue 15, item 1): the account
invitation, the specialist directory's create, change and invitation forms,
and the PACS destination forms. For each: a required field left empty, a
limit passed, every typed value shown again (a secret never), the message
next to its field, and nothing saved (read back from the database)."""
import html
import re
import time

import harness
import test_requests as tr
from accounts_helpers import login, make_user
from test_specialists import form_for


def unique(prefix):
    return "%s%d" % (prefix, time.time_ns())


class AdminFormsCase(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = make_user(cls.server, "admin")
        cls.a = cls.server.client()
        login(cls.a, cls.admin)

    def assertFieldError(self, page, field, words):
        """The message sits next to the field, and the field points to it (as test_forms.py)."""
        m = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % field, page)
        self.assertTrue(m, "no error at %s: %s" % (field, page[:3000]))
        self.assertIn(words, html.unescape(m.group(1)))
        self.assertRegex(page, r'id="f-%s(-[a-z_]+)?"[^>]*aria-invalid="true" aria-describedby="%s-error"' % (field, field))
        self.assertNotIn("Go to the home page", page)

    def assertNoFieldError(self, page, field):
        self.assertNotIn('id="%s-error"' % field, page)

    def count(self, query, *args):
        return self.sql(query, *args)[0][0]


class InviteFormTest(AdminFormsCase):
    """/admin/accounts/invite: name (one line, at most 200 characters), e-mail, role."""

    def invite(self, **fields):
        self.a.get("/admin/accounts/invite")
        return self.a.post("/admin/accounts/invite", fields)

    def test_required_limits_echo_and_nothing_saved(self):
        email = unique("inv") + "@example.test"
        users, created = self.count("SELECT count(*) FROM users"), self.count(
            "SELECT count(*) FROM audit_log WHERE action = 'account.create'")
        r = self.invite(name="   ", email=email, role="reviewer")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "Please enter the person's name.")
        self.assertNoFieldError(r.text, "email")
        self.assertRegex(r.text, r'id="f-email"[^>]*value="%s"' % re.escape(email))
        self.assertIn('<option value="reviewer" selected>', r.text)
        # too long a name, a role that is not a center role, a malformed address: each at its field
        r = self.invite(name="N" * 201, email="not-an-address", role="patient")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "at most 200 characters")
        self.assertFieldError(r.text, "email", "valid e-mail address")
        self.assertFieldError(r.text, "role", "Please choose staff, reviewer or admin.")
        self.assertIn('value="not-an-address"', r.text)
        self.assertIn('value="%s"' % ("N" * 201), r.text)
        # the name on two lines, the role missing: echoed and escaped
        r = self.invite(name="Dr <b>Two</b>\nLines", email=email)
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "one line")
        self.assertFieldError(r.text, "role", "Please choose staff, reviewer or admin.")
        self.assertIn("Dr &lt;b&gt;Two&lt;/b&gt;", r.text)
        self.assertEqual(self.count("SELECT count(*) FROM users"), users)
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'account.create'"), created)
        self.assertEqual(self.count("SELECT count(*) FROM outbox WHERE recipient = %s", email), 0)
        # 200 characters, trimmed: saved, one audit row
        r = self.invite(name="  " + "N" * 200 + " ", email=" %s " % email, role="staff")
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(self.sql("SELECT role, name FROM users WHERE email = %s", email), [("staff", "N" * 200)])
        print("\n  admin invitation: %s SQL statements" % r.header("X-Test-Sql-Statements"))
        # the same address again: refused next to the e-mail field
        r = self.invite(name="Someone", email=email, role="staff")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "email", "exists already")


class PacsFormTest(AdminFormsCase):
    """/admin/center/pacs and /admin/center/pacs/{id}: the secret is never echoed."""

    def dests(self):
        return self.sql("SELECT id, name, base_url, auth, username, secret_sealed, ca_pem FROM pacs_destinations "
                        "ORDER BY id")

    def post(self, path, **fields):
        self.a.get("/admin/center/pacs/new")
        base = {"name": "", "base_url": "", "auth": "none", "username": "", "secret": "", "ca_pem": ""}
        base.update(fields)
        return self.a.post(path, base)

    def test_create_required_limits_echo_no_secret_and_nothing_saved(self):
        before = self.dests()
        audits = self.count("SELECT count(*) FROM audit_log WHERE object_type = 'pacs_destination'")
        r = self.post("/admin/center/pacs", name="", base_url="https://pacs.example/dw <x>", auth="basic",
                      username="portal", secret="pw-Typed-Secret-77")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "Enter a name the staff will recognise")
        self.assertFieldError(r.text, "base_url", "starting with https://")
        self.assertIn('value="https://pacs.example/dw &lt;x&gt;"', r.text)
        self.assertRegex(r.text, r'id="f-username"[^>]*value="portal"')
        self.assertRegex(r.text, r'name="auth" value="basic" checked')
        self.assertNotIn("pw-Typed-Secret-77", r.text)
        self.assertRegex(r.text, r'id="f-secret" name="secret" type="password" value=""')
        # limits: a name of 101 characters, a secret of 2049, a CA that is not PEM, an unknown sign-in
        r = self.post("/admin/center/pacs", name="P" * 101, base_url="https://pacs.example/dw", auth="basic",
                      username="portal", secret="s" * 2049, ca_pem="junk <pem>")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "name", "at most 100 characters")
        self.assertFieldError(r.text, "secret", "at most 2048 characters")
        self.assertFieldError(r.text, "ca_pem", "PEM form")
        self.assertIn("junk &lt;pem&gt;</textarea>", r.text)
        self.assertNotIn("s" * 2049, r.text)
        r = self.post("/admin/center/pacs", name="Odd", base_url="https://pacs.example/dw", auth="kerberos")
        self.assertEqual(r.status, 422)
        self.assertIn('id="auth-error"', r.text)
        self.assertIn("Choose how the portal signs in to the PACS.", html.unescape(r.text))
        # basic sign-in needs a user name without a colon, and a password
        r = self.post("/admin/center/pacs", name="Odd", base_url="https://pacs.example/dw", auth="basic",
                      username="a:b")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "username", "no colon")
        self.assertFieldError(r.text, "secret", "Enter the password for the PACS.")
        self.assertEqual(self.dests(), before)
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE object_type = 'pacs_destination'"), audits)

    def test_update_keeps_the_secret_refuses_at_the_field_and_changes_nothing(self):
        name = unique("Forms PACS ")
        r = self.post("/admin/center/pacs", name=name, base_url="https://pacs.example/dw", auth="basic",
                      username="portal", secret="pw-Kept-Secret-11")
        self.assertEqual(r.status, 303, r.text[:500])
        did = self.sql("SELECT id FROM pacs_destinations WHERE name = %s", name)[0][0]
        row = self.sql("SELECT * FROM pacs_destinations WHERE id = %s", did)
        sealed = bytes(self.sql("SELECT secret_sealed FROM pacs_destinations WHERE id = %s", did)[0][0])
        path = "/admin/center/pacs/%d" % did
        # an address emptied: refused next to it; the rest echoed, the secret not
        r = self.post(path, name=name + " changed", base_url="", auth="basic", username="portal2",
                      secret="pw-New-Secret-22")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "base_url", "DICOMweb address")
        self.assertIn('value="%s changed"' % name, r.text)
        self.assertRegex(r.text, r'id="f-username"[^>]*value="portal2"')
        self.assertNotIn("pw-New-Secret-22", r.text)
        self.assertNotIn("pw-Kept-Secret-11", r.text)
        self.assertIn("Set — leave empty to keep it.", html.unescape(r.text))
        # a password kept does not become a token: switching to a token needs one
        r = self.post(path, name=name, base_url="https://pacs.example/dw", auth="bearer")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "secret", "Enter the token for the PACS.")
        self.assertEqual(self.sql("SELECT * FROM pacs_destinations WHERE id = %s", did), row)
        # an empty secret keeps the stored one
        r = self.post(path, name=name, base_url="https://pacs2.example/dw", auth="basic", username="portal")
        self.assertEqual(r.status, 303, r.text[:500])
        after = self.sql("SELECT base_url, secret_sealed FROM pacs_destinations WHERE id = %s", did)[0]
        self.assertEqual(after[0], "https://pacs2.example/dw")
        self.assertEqual(bytes(after[1]), sealed)
        print("\n  PACS destination change: %s SQL statements" % r.header("X-Test-Sql-Statements"))


class SpecialistFormTest(AdminFormsCase):
    """/admin/specialists/new, /admin/specialists/{id} and its invitation form."""

    def create(self, **over):
        self.a.get("/admin/specialists/new")
        return self.a.post("/admin/specialists/new", form_for(**over))

    def test_create_required_limits_echo_and_nothing_saved(self):
        n = self.count("SELECT count(*) FROM specialists")
        audits = self.count("SELECT count(*) FROM audit_log WHERE action = 'specialist.create'")
        r = self.create(full_name="", institution="Forms <Institute>", networks="Aetna; Cigna")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "full_name", "Enter the full name.")
        self.assertIn('value="Forms &lt;Institute&gt;"', r.text)
        self.assertIn('value="Aetna; Cigna"', r.text)
        self.assertRegex(r.text, r'id="f-breast_fellowship"[^>]*checked')
        r = self.create(full_name="F" * 121, city="C" * 81, turnaround_days="91", languages="",
                        records_requirements="r" * 1001, credentials="PhD", state="Idaho")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "full_name", "at most 120 characters")
        self.assertFieldError(r.text, "city", "at most 80 characters")
        self.assertFieldError(r.text, "turnaround_days", "from 1 to 90")
        self.assertFieldError(r.text, "languages", "at least one language")
        self.assertFieldError(r.text, "records_requirements", "at most 1000 characters")
        self.assertFieldError(r.text, "credentials", "Choose MD or DO.")
        self.assertFieldError(r.text, "state", "two-letter state code")
        self.assertIn('value="Idaho"', r.text)
        self.assertRegex(r.text, r'id="f-turnaround_days"[^>]*value="91"')
        # the record's own rules between fields, at their fields
        r = self.create(fee_reread="", offers_consult=None, fee_consult="200", reviewer_user_id="abc")
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "fee_reread", "Enter the fee for an image re-read.")
        self.assertFieldError(r.text, "fee_consult", "Leave the fee empty when no consultation is offered.")
        self.assertFieldError(r.text, "reviewer_user_id", "Choose a reviewer account from the list")
        self.assertEqual(self.count("SELECT count(*) FROM specialists"), n)
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'specialist.create'"), audits)
        r = self.create(full_name="Dr. Form Layer")
        self.assertEqual(r.status, 303, r.text[:500])
        print("\n  specialist creation: %s SQL statements" % r.header("X-Test-Sql-Statements"))

    def test_update_refused_at_the_field_and_nothing_changed(self):
        sid = tr.add_specialist(self.server, unique("Dr. Edit "))
        row = self.sql("SELECT * FROM specialists WHERE id = %s", sid)
        self.a.get("/admin/specialists/%d" % sid)
        r = self.a.post("/admin/specialists/%d" % sid, form_for(full_name="Dr. Changed <Name>", board_year="1800",
                                                               fee_reread="x" * 21))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "board_year", "year of board certification")
        self.assertFieldError(r.text, "fee_reread", "fee in US dollars")
        self.assertIn('value="Dr. Changed &lt;Name&gt;"', r.text)
        self.assertRegex(r.text, r'id="f-board_year"[^>]*value="1800"')
        r = self.a.post("/admin/specialists/%d" % sid, form_for(institution="", remote_review=None, in_person=None))
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "institution", "Enter the institution.")
        self.assertFieldError(r.text, "remote_review", "remote review or in-person")
        self.assertEqual(self.sql("SELECT * FROM specialists WHERE id = %s", sid), row)
        self.assertEqual(self.count("SELECT count(*) FROM audit_log WHERE action = 'specialist.update' "
                                    "AND object_id = %s", str(sid)), 0)
        self.assertEqual(self.a.post("/admin/specialists/999999999", form_for()).status, 404)

    def test_invitation_required_limit_echo_and_nothing_saved(self):
        sid = tr.add_specialist(self.server, unique("Dr. Invite "))
        users = self.count("SELECT count(*) FROM users")
        self.a.get("/admin/specialists/%d" % sid)
        r = self.a.post("/admin/specialists/%d/invite" % sid, {"invite_email": "  "})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "invite_email", "valid e-mail address")
        long_address = "a" * 250 + "@example.test"
        r = self.a.post("/admin/specialists/%d/invite" % sid, {"invite_email": long_address})
        self.assertEqual(r.status, 422)
        self.assertFieldError(r.text, "invite_email", "valid e-mail address")
        self.assertIn('value="%s"' % long_address, r.text)
        self.assertEqual(self.count("SELECT count(*) FROM users"), users)
        self.assertIsNone(self.sql("SELECT reviewer_user_id FROM specialists WHERE id = %s", sid)[0][0])
        # staff are refused outright
        staff = make_user(self.server, "staff")
        s = self.server.client()
        login(s, staff)
        self.assertEqual(s.post("/admin/specialists/%d/invite" % sid, {"invite_email": "x@example.test"}).status, 403)
