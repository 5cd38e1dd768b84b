"""Specialists are people with accounts (issue 15, item 3): a directory entry
links to an active reviewer account by a picker (any other account is
refused next to the field) or by inviting the specialist from the entry;
staff assign the patient's choice in one click, or say why another, and the
patient reads it; the report is signed in the directory's name; --demo links
its demo specialist to the demo reviewer.

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_specialist_accounts
"""
import re

import harness
from accounts_helpers import login, make_user, outbox_messages
from test_specialists import form_for
from test_triage import add_specialist, new_request, signed_report


def options(html, name):
    m = re.search(r'<select id="f-%s" name="%s"[^>]*>(.*?)</select>' % (name, name), html, re.S)
    assert m, "no %s picker" % name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', m.group(1))


class LinkingTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = make_user(cls.server, "admin", name="Ada Admin")
        cls.rev = make_user(cls.server, "reviewer", name="Rhea Reviewer")
        cls.gone = make_user(cls.server, "reviewer", name="Gus Gone")
        cls.staff = make_user(cls.server, "staff", name="Stan Staff")
        cls.patient = make_user(cls.server, "patient", name="Pia Patient")
        cls.server.sql("UPDATE users SET status = 'disabled' WHERE id = %s", cls.gone["id"])
        cls.a = cls.server.client()
        login(cls.a, cls.admin)

    def test_picker_lists_only_active_reviewers(self):
        page = self.a.get("/admin/specialists/new")
        self.assertEqual(page.status, 200)
        opts = options(page.text, "reviewer_user_id")
        values = [v for v, _ in opts]
        self.assertEqual(opts[0], ("", "Not linked to an account"))
        self.assertIn(str(self.rev["id"]), values)
        for other in (self.gone, self.staff, self.patient, self.admin):
            self.assertNotIn(str(other["id"]), values, other["name"])
        self.assertNotIn("Reviewer account number", page.text)

    def test_non_reviewer_accounts_are_refused_next_to_the_field(self):
        n = self.sql("SELECT count(*) FROM specialists")[0][0]
        for who, words in ((self.staff, "not a reviewer"), (self.patient, "not a reviewer"),
                           (self.admin, "not a reviewer"), (self.gone, "disabled"), ({"id": 999999}, "no such account")):
            self.a.get("/admin/specialists/new")
            r = self.a.post("/admin/specialists/new", form_for(full_name="Dr. Nia Nobody",
                                                               reviewer_user_id=str(who["id"])))
            self.assertEqual(r.status, 422, who)
            m = re.search(r'<p class="field-error" id="reviewer_user_id-error">([^<]*)</p>', r.text)
            self.assertTrue(m, "no error next to the picker")
            self.assertIn(words, m.group(1))
            self.assertIn('value="Dr. Nia Nobody"', r.text)  # what was typed is kept
        self.assertEqual(self.sql("SELECT count(*) FROM specialists")[0][0], n)
        # an existing entry is not re-linked to a staff account either
        sid = add_specialist(self, None, "Dr. Ed Existing")
        self.a.get("/admin/specialists/%d" % sid)
        r = self.a.post("/admin/specialists/%d" % sid, form_for(full_name="Dr. Ed Existing",
                                                                reviewer_user_id=str(self.staff["id"])))
        self.assertEqual(r.status, 422)
        self.assertEqual(self.sql("SELECT reviewer_user_id FROM specialists WHERE id = %s", sid)[0][0], None)
        # a reviewer is linked
        r = self.a.post("/admin/specialists/%d" % sid, form_for(full_name="Dr. Ed Existing",
                                                                reviewer_user_id=str(self.rev["id"])))
        self.assertEqual(r.status, 303, r.text[:400])
        self.assertEqual(self.sql("SELECT reviewer_user_id FROM specialists WHERE id = %s", sid)[0][0], self.rev["id"])
        page = self.a.get("/admin/specialists/%d" % sid)
        self.assertIn('<option value="%d" selected>' % self.rev["id"], page.text)
        self.assertNotIn('action="/admin/specialists/%d/invite"' % sid, page.text)  # linked: no invitation

    def test_invite_from_the_entry_links_the_new_account(self):
        sid = add_specialist(self, None, "Dr. Ivy Invited")
        page = self.a.get("/admin/specialists/%d" % sid)
        self.assertIn('action="/admin/specialists/%d/invite"' % sid, page.text)
        r = self.a.post("/admin/specialists/%d/invite" % sid, {"invite_email": "not-an-address"})
        self.assertEqual(r.status, 422)
        self.assertIn('id="invite_email-error"', r.text)
        self.assertIn('value="not-an-address"', r.text)
        self.assertEqual(self.sql("SELECT reviewer_user_id FROM specialists WHERE id = %s", sid)[0][0], None)
        r = self.a.post("/admin/specialists/%d/invite" % sid, {"invite_email": "ivy@example.test"})
        self.assertEqual(r.status, 303, r.text[:400])
        row = self.sql("SELECT u.role, u.name, u.email FROM specialists s JOIN users u ON u.id = s.reviewer_user_id "
                       "WHERE s.id = %s", sid)
        self.assertEqual(row, [("reviewer", "Dr. Ivy Invited", "ivy@example.test")])
        self.assertTrue([m for m in outbox_messages(self.server) if m["to"] == "ivy@example.test"])
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'specialist.link_reviewer' "
                                  "AND object_id = %s", str(sid))[0][0], 1)
        # a second invitation for a linked entry is refused next to the field
        r = self.a.post("/admin/specialists/%d/invite" % sid, {"invite_email": "ivy2@example.test"})
        self.assertEqual(r.status, 422)
        self.assertIn("linked to an account already", r.text)


class AssignmentTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Maria Lopez")
        cls.staff = make_user(cls.server, "staff")
        cls.fern_acct = make_user(cls.server, "reviewer", name="Lucia F. (account)")
        cls.rita_acct = make_user(cls.server, "reviewer", name="Rita Account")
        cls.fern = add_specialist(cls.server, cls.fern_acct["id"], "Dr. Lucia Fernandes")
        cls.rita = add_specialist(cls.server, cls.rita_acct["id"], "Dr. Rita Reader")
        cls.unlinked = add_specialist(cls.server, None, "Dr. Una Unlinked")
        cls.s = cls.server.client()
        login(cls.s, cls.staff)
        cls.p = cls.server.client()
        login(cls.p, cls.patient)

    def request_choosing(self, spec):
        rid, _ = new_request(self, self.patient["id"], "accepted")
        self.sql("UPDATE requests SET specialist_id = %s WHERE id = %s", spec, rid)
        return rid

    def assign(self, rid, **form):
        self.s.get("/staff/requests/%d" % rid)
        return self.s.post("/staff/requests/%d/assign" % rid, dict(form, **{"from": "accepted"}))

    def test_the_patients_choice_in_one_click(self):
        rid = self.request_choosing(self.fern)
        page = self.s.get("/staff/requests/%d" % rid)
        m = re.search(r'<form method="post" action="/staff/requests/%d/assign" id="assign-chosen">(.*?)</form>' % rid,
                      page.text, re.S)
        self.assertTrue(m, "no one-click assignment of the patient's choice")
        self.assertIn('name="specialist" value="%d"' % self.fern, m.group(1))
        self.assertIn("Assign Dr. Lucia Fernandes, the patient", m.group(1))
        r = self.assign(rid, specialist=str(self.fern))
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT assigned_specialist_id, assigned_reviewer_id, assignment_reason FROM requests "
                                  "WHERE id = %s", rid)[0], (self.fern, self.fern_acct["id"], None))
        page = self.s.get("/staff/requests/%d" % rid)
        self.assertNotIn('id="assign-chosen"', page.text)  # done: the button goes
        ps = self.p.get("/requests/%d" % rid)
        self.assertIn("<strong>Dr. Lucia Fernandes</strong> reviews your images.", ps.text)
        self.assertNotIn("instead, because", ps.text)

    def test_another_specialist_needs_a_reason_the_patient_reads(self):
        rid = self.request_choosing(self.fern)
        before = self.sql("SELECT assigned_specialist_id, updated_at FROM requests WHERE id = %s", rid)
        r = self.assign(rid, specialist=str(self.rita), assign_reason="  ")
        self.assertEqual(r.status, 422)
        self.assertIn('id="assign_reason-error"', r.text)
        self.assertIn("say why this one is assigned", r.text)
        self.assertEqual(self.sql("SELECT assigned_specialist_id, updated_at FROM requests WHERE id = %s", rid), before)
        reason = "Dr. Fernandes is away until March; Dr. Reader reads as fast."
        r = self.assign(rid, specialist=str(self.rita), assign_reason=reason)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT assigned_specialist_id, assignment_reason FROM requests WHERE id = %s", rid)[0],
                         (self.rita, reason))
        ps = self.p.get("/requests/%d" % rid)
        self.assertIn("You chose Dr. Lucia Fernandes. The center assigned Dr. Rita Reader instead, because:", ps.text)
        self.assertIn(reason, ps.text)
        staff_page = self.s.get("/staff/requests/%d" % rid)
        self.assertIn(reason, staff_page.text)
        # going back to the patient's choice clears the reason
        self.assign(rid, specialist=str(self.fern))
        self.assertEqual(self.sql("SELECT assignment_reason FROM requests WHERE id = %s", rid)[0][0], None)

    def test_an_unlinked_choice_is_explained_to_staff(self):
        rid = self.request_choosing(self.unlinked)
        page = self.s.get("/staff/requests/%d" % rid)
        self.assertEqual(page.status, 200, self.server.log_text()[-3000:])
        self.assertNotIn('id="assign-chosen"', page.text)
        self.assertIn("has no active reviewer account yet", page.text)
        picker = [v for v, _ in options(page.text, "specialist")]
        self.assertIn(str(self.fern), picker)
        self.assertNotIn(str(self.unlinked), picker)

    def test_the_report_is_signed_in_the_directorys_name(self):
        rid, _ = new_request(self, self.patient["id"], "report_ready", reviewer_id=self.rita_acct["id"],
                             specialist_id=self.rita)
        signed_report(self, rid, self.rita_acct["id"], released_by=self.staff["id"])
        page = self.p.get("/requests/%d/report" % rid)
        self.assertEqual(page.status, 200, page.text[:300])
        self.assertIn("Signed by Dr. Rita Reader on", page.text)
        self.assertNotIn("Rita Account", page.text)
        rv = self.server.client()
        login(rv, self.rita_acct)
        pr = rv.get("/reviewer/cases/%d/report/print" % rid)
        self.assertEqual(pr.status, 200)
        self.assertIn("Dr. Rita Reader", pr.text)
        self.assertNotIn("Rita Account,", pr.text)


class DemoLinkTest(harness.ServerTestCase):
    server_args = ("--demo",)

    def test_demo_specialist_is_linked_to_the_demo_reviewer(self):
        rows = self.sql("SELECT s.full_name, u.email, u.name, u.role FROM specialists s JOIN users u "
                        "ON u.id = s.reviewer_user_id WHERE s.external_id = 'demo-024'")
        self.assertEqual(rows, [("Dr. Lucia Fernandes", "reviewer@demo.secondop.test", "Dr. Lucia Fernandes",
                                 "reviewer")])
        # the link is audited as the seed
        self.assertGreaterEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'specialist.link_reviewer'")[0][0], 1)
