"""Admin center settings (issue 7 item 1): GET /admin/center shows the review
targets and eligibility rules; POST /admin/center/targets changes the target
days (1-90, whole numbers; bad input re-shows the form with the error next
to the field and changes nothing); POST /admin/center/rules/{kind}/toggle
turns a rule on or off. Admins only; each change writes an audit row
center.settings.change. The staff queue's due dates follow the new targets.

Run: SECONDOP_BIN=$PWD/build-settings/secondop /usr/bin/python3 tests/integration/run.py test_admin_center
"""
import html

import harness
from accounts_helpers import login, make_user


def targets(t):
    return dict(t.sql("SELECT review_type, target_days FROM review_targets WHERE review_type NOT LIKE 'priority%%'"))


def rules(t):
    return dict(t.sql("SELECT kind, enabled FROM eligibility_rules"))


def audit_count(t):
    return t.sql("SELECT count(*) FROM audit_log WHERE action = 'center.settings.change'")[0][0]


class AdminCenterTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {r: make_user(cls.server, r) for r in ("patient", "staff", "reviewer", "admin")}
        cls.c = {}
        for role, u in cls.users.items():
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)
        cls.c["anon"] = cls.server.client()
        cls.c["anon"].get("/login")

    def form(self, **over):
        f = {"days_reread": "7", "days_consult": "14", "days_default": "10", "days_priority_1": "2",
             "days_priority_2": "3", "days_priority_3": "5", "days_priority_4": "7", "days_priority_5": "10",
             "days_priority_6": "14"}
        f.update(over)
        return f

    def test_admin_sees_targets_and_rules(self):
        r = self.c["admin"].get("/admin")
        self.assertEqual(r.status, 200)
        self.assertIn('href="/admin/center"', r.text)
        r = self.c["admin"].get("/admin/center")
        self.assertEqual(r.status, 200)
        page = html.unescape(r.text)
        self.assertIn("Re-read of the images", page)
        self.assertIn('name="days_consult"', page)
        self.assertIn("negative screening mammogram", page)
        self.assertIn("older than 12 months", page)
        self.assertIn('action="/admin/center/rules/old_exam/toggle"', page)
        # every form carries the CSRF token
        self.assertEqual(page.count("<form"), page.count('name="csrf"'))

    def test_change_targets_moves_due_dates(self):
        staff = self.users["staff"]
        patient = self.users["patient"]
        rid = self.sql(
            "INSERT INTO requests (reference, patient_id, status, birads, submitted_at, exam_types, review_type,"
            " review_mode, exam_facility, reason, exam_saved_at) VALUES ('SO-AC-00001', %s, 'submitted', '3',"
            " now() - interval '10 days', ARRAY['diagnostic_mammogram'], 'reread', 'remote', 'Valley', 'why', now())"
            " RETURNING id", patient["id"])[0][0]
        del staff
        due30 = self.sql("SELECT to_char((submitted_at + interval '30 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
                         " FROM requests WHERE id = %s", rid)[0][0]
        before = self.c["staff"].get("/staff/queue?q=SO-AC-00001")
        self.assertEqual(before.status, 200)
        self.assertIn("overdue-mark", before.text)  # 10 days > 7
        n0 = audit_count(self)
        self.c["admin"].get("/admin/center")
        # a BI-RADS 3 is priority 5: its due date takes the smaller of the two targets (issue 12)
        r = self.c["admin"].post("/admin/center/targets", self.form(days_reread="30", days_default=" 12 ",
                                                                    days_priority_5="30"))
        self.assertEqual(r.status, 303)
        self.assertEqual(targets(self), {"reread": 30, "consult": 14, "default": 12})
        self.assertEqual(audit_count(self), n0 + 1)
        row = self.sql("SELECT actor_id, outcome, detail->'target_days' FROM audit_log"
                       " WHERE action = 'center.settings.change' ORDER BY id DESC LIMIT 1")[0]
        self.assertEqual(row[0], self.users["admin"]["id"])
        self.assertEqual(row[1], "ok")
        self.assertEqual(row[2], {"reread": 30, "default": 12, "priority_5": 30})
        after = self.c["staff"].get("/staff/queue?q=SO-AC-00001")
        self.assertIn(due30, after.text)
        self.assertNotIn("overdue-mark", after.text)
        page = self.c["admin"].get(r.header("Location"))
        self.assertIn('value="30"', page.text)
        # put it back for the other tests
        self.c["admin"].post("/admin/center/targets", self.form())
        self.assertEqual(targets(self), {"reread": 7, "consult": 14, "default": 10})

    def test_invalid_values_refused_nothing_changes(self):
        before = targets(self)
        n0 = audit_count(self)
        for bad in ("0", "91", "-3", "7.5", "abc", "", "1e1", "999999999999"):
            self.c["admin"].get("/admin/center")
            r = self.c["admin"].post("/admin/center/targets", self.form(days_reread="20", days_consult=bad))
            self.assertEqual(r.status, 422, bad)
            page = r.text
            self.assertIn('id="days_consult-error"', page)
            self.assertNotIn('id="days_reread-error"', page)
            self.assertIn('value="%s"' % html.escape(bad, quote=True), page)  # what was typed is kept
            self.assertIn('value="20"', page)
            self.assertEqual(targets(self), before, bad)
        # a missing field is an error too
        r = self.c["admin"].post("/admin/center/targets", {"days_reread": "8", "days_consult": "9"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="days_default-error"', r.text)
        # a field for an unknown review type is refused (issue 15): the form again, no row for it, nothing saved
        r = self.c["admin"].post("/admin/center/targets", self.form(days_bogus="5", days_reread="8"))
        self.assertEqual(r.status, 422)
        self.assertIn('id="targets-error"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM review_targets WHERE review_type = 'bogus'")[0][0], 0)
        self.assertEqual(targets(self), before)
        n0 = audit_count(self)
        # without the CSRF token
        r = self.c["admin"].post("/admin/center/targets", self.form(days_reread="9"), csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(targets(self), before)
        self.assertEqual(audit_count(self), n0)

    def test_toggle_rule(self):
        self.assertFalse(rules(self)["old_exam"])
        n0 = audit_count(self)
        self.c["admin"].get("/admin/center")
        r = self.c["admin"].post("/admin/center/rules/old_exam/toggle", {})
        self.assertEqual(r.status, 303)
        self.assertTrue(rules(self)["old_exam"])
        self.assertEqual(audit_count(self), n0 + 1)
        row = self.sql("SELECT object_type, object_id, detail->>'enabled' FROM audit_log"
                       " WHERE action = 'center.settings.change' ORDER BY id DESC LIMIT 1")[0]
        self.assertEqual(row, ("eligibility_rule", "old_exam", "true"))
        page = self.c["admin"].get("/admin/center")
        self.assertIn("Turn off", page.text)
        r = self.c["admin"].post("/admin/center/rules/old_exam/toggle", {})
        self.assertEqual(r.status, 303)
        self.assertFalse(rules(self)["old_exam"])
        self.assertEqual(audit_count(self), n0 + 2)
        before = rules(self)
        r = self.c["admin"].post("/admin/center/rules/nonsense/toggle", {})
        self.assertEqual(r.status, 404)
        self.assertEqual(rules(self), before)

    def test_other_roles_refused(self):
        before_t, before_r, n0 = targets(self), rules(self), audit_count(self)
        for role in ("patient", "staff", "reviewer", "anon"):
            want = 303 if role == "anon" else 403
            pwant = (401, 403) if role == "anon" else (403,)
            r = self.c[role].get("/admin/center")
            self.assertEqual(r.status, want, role)
            r = self.c[role].post("/admin/center/targets", self.form(days_reread="40"))
            self.assertIn(r.status, pwant, role)
            r = self.c[role].post("/admin/center/rules/no_images/toggle", {})
            self.assertIn(r.status, pwant, role)
        self.assertEqual(targets(self), before_t)
        self.assertEqual(rules(self), before_r)
        self.assertEqual(audit_count(self), n0)
