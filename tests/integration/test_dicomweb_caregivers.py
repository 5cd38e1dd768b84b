"""DICOMweb for the people who act for a patient (issue 15 item 4): the rule of the pages
(core/requests.c may(): the patient, or a caregiver or representative with a live link to her)
holds under /dicom-web/ too. A caregiver's session and a caregiver's personal access token read
her studies (QIDO-RS and WADO-RS); a caregiver she removed and someone else's caregiver get empty
searches and 404s with nothing revealed, exactly like a study that does not exist; every answer
is audited with the caregiver as the actor and her as the patient."""
import os
import re

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, studies, upload_path
from test_dicomweb import MULTI, SERIES1, STUDY1, VIEWS, parts, value

JSON = "application/dicom+json"
TOKEN_RE = re.compile(r"sop_[A-Za-z0-9_-]{43}")


def link(server, patient, caregiver, revoked=False, authority="patient_invitation"):
    """A caregiver link as the invitation (or a representative's start) leaves it."""
    server.sql("INSERT INTO caregiver_links (patient_id, caregiver_id, invited_email, relationship, expires_at, "
               "accepted_at, authority, revoked_at, revoked_by) VALUES (%s, %s, %s, 'daughter', now() + interval '7 days', "
               "now(), %s, CASE WHEN %s THEN now() END, CASE WHEN %s THEN %s::bigint END)",
               patient["id"], caregiver["id"], caregiver["email"], authority, revoked, revoked, patient["id"])


class DicomwebCaregiversTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = studies()
        cls.maria, cls.mc, cls.rid = new_patient_with_request(cls.server, name="Maria Rivera")
        cls.files = {}
        for i, v in enumerate(VIEWS, 1):
            cls.files[SERIES1 + str(i)] = os.path.join(s, "study1", v + ".dcm")
            upload_path(cls.mc, cls.rid, cls.files[SERIES1 + str(i)])
        cls.other, cls.oc, cls.orid = new_patient_with_request(cls.server, name="Olga Other")
        upload_path(cls.oc, cls.orid, os.path.join(s, "other", "R_CC.dcm"))
        cls.other_study = cls.server.sql("SELECT study_uid FROM studies WHERE request_id = %s", cls.orid)[0][0]
        cls.users, cls.c = {}, {}
        for name in ("ana", "removed", "carol", "rep"):
            cls.users[name] = make_user(cls.server, "patient", name=name.capitalize() + " Carer")
            cls.c[name] = cls.server.client()
            login(cls.c[name], cls.users[name])
        link(cls.server, cls.maria, cls.users["ana"])
        link(cls.server, cls.maria, cls.users["removed"], revoked=True)
        link(cls.server, cls.other, cls.users["carol"])

    def setUp(self):
        self.sql("DELETE FROM login_throttle WHERE kind = 'bearer_ip'")

    def get(self, who, path, accept=JSON):
        return self.c[who].get("/dicom-web" + path, headers={"Accept": accept})

    def token(self, who, label):
        c = self.c[who]
        self.assertEqual(c.get("/account/tokens").status, 200)
        form = {"label": label}
        r = c.post("/account/tokens", form)
        if r.status == 401 and 'name="stepup_credential"' in r.text:
            form["stepup_credential"] = self.users[who]["password"]
            r = c.post("/account/tokens", form)
        self.assertEqual(r.status, 200, r.text[:300])
        found = set(TOKEN_RE.findall(r.text))
        self.assertEqual(len(found), 1)
        return found.pop()

    def bearer(self, token, path, accept=JSON):
        return self.client().request("GET", "/dicom-web" + path,
                                     headers={"Authorization": "Bearer " + token, "Accept": accept})

    def audit_rows(self, actor, since):
        return self.sql("SELECT action, patient_id, object_id FROM audit_log WHERE actor_id = %s AND id > %s "
                        "AND action LIKE 'dicomweb.%%' AND object_type = 'request' ORDER BY id", actor["id"], since)

    def last_audit_id(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]

    def assert_reads_marias_study(self, fetch):
        """fetch(path, accept) -> response: QIDO and WADO answer Maria's study in full."""
        r = fetch("/studies", JSON)
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual([value(o, "0020000D") for o in r.json()], [STUDY1])
        self.assertEqual(value(r.json()[0], "00100010"), {"Alphabetic": "DOE^JANE"})
        r = fetch("/studies/%s/series/%s/instances" % (STUDY1, SERIES1), JSON)
        self.assertEqual(sorted(value(o, "00080018") for o in r.json()), sorted(self.files))
        r = fetch("/studies/%s/metadata" % STUDY1, JSON)
        self.assertEqual((r.status, len(r.json())), (200, 4))
        sop = SERIES1 + "2"
        r = fetch("/studies/%s/series/%s/instances/%s" % (STUDY1, SERIES1, sop), MULTI)
        self.assertEqual(r.status, 200, r.text[:300])
        with open(self.files[sop], "rb") as fh:
            self.assertEqual([p[1] for p in parts(r)], [fh.read()])

    def assert_sees_nothing_of_marias(self, fetch):
        r = fetch("/studies", JSON)
        self.assertEqual(r.status, 200)
        self.assertNotIn(STUDY1, [value(o, "0020000D") for o in r.json()])
        self.assertNotIn(b"JANE", r.body)
        for path, accept in (("/studies?StudyInstanceUID=" + STUDY1, JSON),
                             ("/studies?PatientName=DOE*", JSON),
                             ("/studies/%s/series" % STUDY1, JSON),
                             ("/studies/%s/metadata" % STUDY1, JSON),
                             ("/studies/%s" % STUDY1, MULTI),
                             ("/studies/%s/series/%s/instances/%s" % (STUDY1, SERIES1, SERIES1 + "1"), MULTI)):
            r = fetch(path, accept)
            ghost = fetch(path.replace(STUDY1, "1.2.3.999"), accept)
            self.assertEqual(r.status, ghost.status, path)
            if r.status == 200:
                self.assertEqual(r.json(), [], path)
            else:
                self.assertEqual(r.status, 404, path)
                for k in ("code", "message"):
                    self.assertEqual(r.json()["error"][k], ghost.json()["error"][k], path)
            self.assertNotIn(b"JANE", r.body, path)
            self.assertNotIn(b"DICM", r.body, path)

    # ---- the rule ----

    def test_a_caregiver_session_reads_her_study_audited_with_both(self):
        since = self.last_audit_id()
        self.assert_reads_marias_study(lambda p, a: self.get("ana", p, a))
        rows = self.audit_rows(self.users["ana"], since)
        self.assertEqual({a for a, _, _ in rows},
                         {"dicomweb.search", "dicomweb.metadata", "dicomweb.retrieve"})
        self.assertEqual({(pid, oid) for _, pid, oid in rows}, {(self.maria["id"], str(self.rid))})

    def test_b_caregiver_token_reads_her_study_audited_with_both(self):
        tok = self.token("ana", "Weasis at home")
        since = self.last_audit_id()
        self.assert_reads_marias_study(lambda p, a: self.bearer(tok, p, a))
        rows = self.audit_rows(self.users["ana"], since)
        self.assertTrue(rows)
        self.assertEqual({(pid, oid) for _, pid, oid in rows}, {(self.maria["id"], str(self.rid))})

    def test_c_removed_caregiver_and_someone_elses_see_nothing(self):
        for who in ("removed", "carol"):
            self.assert_sees_nothing_of_marias(lambda p, a: self.get(who, p, a))
            tok = self.token(who, "Viewer " + who)
            self.assert_sees_nothing_of_marias(lambda p, a: self.bearer(tok, p, a))
            # nothing of hers was audited as read by them
            self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s AND patient_id = %s "
                                      "AND action LIKE 'dicomweb.%%' AND outcome = 'ok'",
                                      self.users[who]["id"], self.maria["id"])[0][0], 0)
        # Carol reads the one she helps, and only that
        r = self.get("carol", "/studies")
        self.assertEqual([value(o, "0020000D") for o in r.json()], [self.other_study])

    def test_d_a_removal_takes_effect_at_once(self):
        rep = self.users["rep"]
        link(self.server, self.maria, rep, authority="legal_guardian")
        self.assertEqual([value(o, "0020000D") for o in self.get("rep", "/studies").json()], [STUDY1])
        tok = self.token("rep", "Rep viewer")
        self.assertEqual(self.bearer(tok, "/studies/%s/metadata" % STUDY1).status, 200)
        self.sql("UPDATE caregiver_links SET revoked_at = now() WHERE caregiver_id = %s", rep["id"])
        self.assert_sees_nothing_of_marias(lambda p, a: self.get("rep", p, a))
        self.assert_sees_nothing_of_marias(lambda p, a: self.bearer(tok, p, a))
