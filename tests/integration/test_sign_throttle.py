"""Signing a report (or an addendum) with a wrong password or TOTP code is
throttled (tracker issue 7): after 5 wrong attempts by the same reviewer
within 15 minutes, every further signing attempt is refused for 15 minutes
with a 429 page, even with the right password, nothing is signed, and the
refusal is audited (report.sign, denied, reason throttled). Other reviewers
are not affected, and signing opens again after the pause.

Run: SECONDOP_BIN=$PWD/build-polish/secondop /usr/bin/python3 tests/integration/run.py test_sign_throttle
"""
import harness
from accounts_helpers import login, make_user
from test_triage import add_specialist, new_request

FORM = {"findings_left": "Irregular mass 12 mm upper outer quadrant.", "findings_right": "No findings.",
        "birads": "4B", "density": "C", "recommendation": "biopsy", "answers": "It needs a biopsy to know.",
        "summary": "We see something that should be checked with a biopsy.",
        "explanation": "The first read missed the mass on the MLO view."}


class SignThrottleTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other = make_user(cls.server, "reviewer")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"])
        cls.other_spec = add_specialist(cls.server, cls.other["id"], "Dr. Other")

    def case(self, reviewer, spec):
        rid, _ = new_request(self, self.patient["id"], "in_review", reviewer_id=reviewer["id"], specialist_id=spec)
        return rid

    def sign(self, client, rid, credential):
        return client.post("/reviewer/cases/%d/report" % rid, dict(FORM, action="sign", credential=credential))

    def report_status(self, rid):
        rows = self.sql("SELECT status FROM reports WHERE request_id = %s", rid)
        return rows[0][0] if rows else None

    def audit(self, user, reason):
        return self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s AND action = 'report.sign'"
                        " AND outcome = 'denied' AND detail->>'reason' = %s", user["id"], reason)[0][0]

    def test_five_wrong_then_paused_then_open_again(self):
        rev = self.server.client()
        login(rev, self.reviewer)
        rid = self.case(self.reviewer, self.spec)
        self.assertEqual(rev.get("/reviewer/cases/%d" % rid).status, 200)
        for i in range(5):
            r = self.sign(rev, rid, "wrong password %d" % i)
            self.assertEqual(r.status, 403, "attempt %d: %s" % (i + 1, r.text[:200]))
            self.assertIn("not right", r.text)
        self.assertEqual(self.audit(self.reviewer, "credential"), 5)
        # the 6th attempt is refused even with the right password, and the password is not checked
        r = self.sign(rev, rid, self.reviewer["password"])
        self.assertEqual(r.status, 429, r.text[:300])
        self.assertIn("Too many attempts", r.text)
        self.assertIn("15 minutes", r.text)
        self.assertIn("Nothing was signed", r.text)
        retry = int(r.header("Retry-After"))
        self.assertTrue(800 <= retry <= 900, retry)
        self.assertNotEqual(self.report_status(rid), "signed")
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "in_review")
        self.assertEqual(self.audit(self.reviewer, "throttled"), 1)
        self.assertEqual(self.audit(self.reviewer, "credential"), 5, "a refused attempt checks no credential")
        # still paused on the next try
        self.assertEqual(self.sign(rev, rid, self.reviewer["password"]).status, 429)
        self.assertEqual(self.audit(self.reviewer, "throttled"), 2)
        self.assertNotEqual(self.report_status(rid), "signed")
        # another reviewer is not affected
        oc = self.server.client()
        login(oc, self.other)
        orid = self.case(self.other, self.other_spec)
        self.assertEqual(oc.get("/reviewer/cases/%d" % orid).status, 200)
        self.assertEqual(self.sign(oc, orid, "wrong").status, 403)
        r = self.sign(oc, orid, self.other["password"])
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.report_status(orid), "signed")
        # 16 minutes later (the audit rows moved back; the test database's owner may) signing opens again
        self.sql("BEGIN; ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;"
                 " UPDATE audit_log SET at = at - interval '16 minutes' WHERE actor_id = %s;"
                 " ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete; COMMIT;", self.reviewer["id"])
        r = self.sign(rev, rid, self.reviewer["password"])
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.report_status(rid), "signed")

    def test_four_wrong_do_not_pause(self):
        u = make_user(self.server, "reviewer")
        spec = add_specialist(self.server, u["id"], "Dr. Four")
        c = self.server.client()
        login(c, u)
        rid = self.case(u, spec)
        self.assertEqual(c.get("/reviewer/cases/%d" % rid).status, 200)
        for i in range(4):
            self.assertEqual(self.sign(c, rid, "nope %d" % i).status, 403)
        r = self.sign(c, rid, u["password"])
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.report_status(rid), "signed")
        self.assertEqual(self.audit(u, "throttled"), 0)
