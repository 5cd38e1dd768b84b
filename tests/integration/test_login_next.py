"""A visitor who follows a link that needs a login comes back to the same
page, query string included: the directory's "choose" button survives the
detour through the login form."""
import re

import harness
from accounts_helpers import make_user


class LoginNextTest(harness.ServerTestCase):
    def test_choose_link_survives_login(self):
        user = make_user(self.server, "patient")
        c = self.client()
        r = c.get("/requests/choose-specialist?id=5")
        self.assertEqual(r.status, 303)
        loc = r.header("Location")
        self.assertEqual(loc, "/login?next=/requests/choose-specialist%3Fid%3D5")
        page = c.get(loc)
        self.assertEqual(page.status, 200)
        m = re.search(r'name="next" value="([^"]+)"', page.text)
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), "/requests/choose-specialist?id=5")
        r = c.post("/login", {"email": user["email"], "password": user["password"], "next": m.group(1)})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/requests/choose-specialist?id=5")
        # no draft yet: the patient is sent to start one
        r = c.get(r.header("Location"))
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/requests/new")
        c.get("/requests/new")
        c.post("/requests/new", {})
        rid = self.sql("SELECT id FROM requests WHERE patient_id = %s", user["id"])[0][0]
        r = c.get("/requests/choose-specialist?id=5")
        self.assertEqual(r.header("Location"), "/requests/%d/steps/specialist?choose=5" % rid)
        self.assertEqual(c.get("/requests/choose-specialist?id=abc").status, 400)

    def test_next_cannot_leave_the_site(self):
        user = make_user(self.server, "patient")
        c = self.client()
        c.get("/login")
        for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            r = c.post("/login", {"email": user["email"], "password": user["password"], "next": bad})
            self.assertEqual(r.status, 303)
            self.assertTrue(r.header("Location").startswith("/") and not r.header("Location").startswith("//"),
                            r.header("Location"))
            c.post("/logout", {})
            c.get("/login")
