"""STOW-RS to one study (PS3.18 10.5: POST /dicom-web/studies/{study}, and the per-request service
root's POST /dicom-web/requests/ID/studies/{study}): the instances of that study are stored, each
instance of another study is listed in FailedSOPSequence (00081198) with Failure Reason 0xA900
and its UIDs, and is not kept; 200 when all match, 202 when some, 409 when none; a study that is
not a UID answers 400 before anything is kept; only staff (403 otherwise). The metadata-and-bulk-
data forms (multipart/related with type application/dicom+json or application/dicom+xml) keep
answering 415 with a message saying that only application/dicom parts are taken."""
import os

from accounts_helpers import login, make_user
from test_stow import CLASS, FAILED, INST, JSON, REASON, REF, StowBase, body_of, fresh_instance, read, value

MISMATCH = 0xA900


class StowStudyTest(StowBase):
    def instance(self, study, view="R_CC"):
        sop = self.new_uid()
        p = fresh_instance(os.path.join(self.s, "study1", view + ".dcm"), os.path.join(self.tmp, sop + ".dcm"), sop,
                           study, self.new_uid())
        return sop, read(p)

    def post(self, path, body, ctype='multipart/related; type="application/dicom"; boundary="st0wB0undary"',
             client=None):
        c = client or self.sc
        return c.request("POST", path, body=body, headers={"Content-Type": ctype, "Accept": JSON,
                                                           "X-CSRF-Token": c.csrf or ""})

    def sops_in_request(self):
        return {s for (s,) in self.sql("SELECT sop_instance_uid FROM documents WHERE request_id = %s AND NOT skipped",
                                       self.rid)}

    def test_a_instances_of_another_study_fail_with_0xA900_the_others_are_stored(self):
        study, other = self.new_uid(), self.new_uid()
        a, b, x = self.instance(study), self.instance(study, "L_CC"), self.instance(other, "R_MLO")
        r = self.post("/dicom-web/studies/%s?request=%d" % (study, self.rid), body_of([a[1], x[1], b[1]]))
        self.assertEqual(r.status, 202, r.text)
        j = r.json()
        self.assertEqual(sorted(value(i, INST) for i in j[REF]["Value"]), sorted([a[0], b[0]]))
        failed = j[FAILED]["Value"]
        self.assertEqual([(value(i, INST), value(i, REASON)) for i in failed], [(x[0], MISMATCH)])
        self.assertTrue(value(failed[0], CLASS))
        held = self.sops_in_request()
        self.assertIn(a[0], held)
        self.assertIn(b[0], held)
        self.assertNotIn(x[0], held)
        reason = self.sql("SELECT coalesce(u.failure, d.skip_reason) FROM uploads u LEFT JOIN documents d ON "
                          "d.upload_id = u.id WHERE u.stow_sop_instance = %s", x[0])
        self.assertIn("another study", reason[0][0])

    def test_b_all_of_another_study_is_409_and_all_of_it_200(self):
        study, other = self.new_uid(), self.new_uid()
        x = self.instance(other)
        r = self.post("/dicom-web/studies/%s?request=%d" % (study, self.rid), body_of([x[1]]))
        self.assertEqual(r.status, 409, r.text)
        self.assertEqual(value(r.json()[FAILED]["Value"][0], REASON), MISMATCH)
        self.assertNotIn(REF, r.json())
        # the per-request service root takes the same, for clients that cannot add ?request=
        a = self.instance(study)
        r = self.post("/dicom-web/requests/%d/studies/%s" % (self.rid, study), body_of([a[1]]))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual([value(i, INST) for i in r.json()[REF]["Value"]], [a[0]])
        self.assertNotIn(FAILED, r.json())

    def test_c_a_study_that_is_no_uid_is_400_and_keeps_nothing(self):
        a = self.instance(self.new_uid())
        before = self.sql("SELECT count(*) FROM uploads")[0][0]
        for bad in ("abc", "1.2.3x", "1" * 65):
            r = self.post("/dicom-web/studies/%s?request=%d" % (bad, self.rid), body_of([a[1]]))
            self.assertEqual(r.status, 400, (bad, r.text))
            self.assertIn("not a Study Instance UID", r.json()["error"]["message"])
        self.assertEqual(self.sql("SELECT count(*) FROM uploads")[0][0], before)

    def test_d_only_staff(self):
        study = self.new_uid()
        a = self.instance(study)
        for role in ("patient", "reviewer"):
            u = make_user(self.server, role)
            c = self.server.client()
            login(c, u)
            c.get("/account")
            r = self.post("/dicom-web/studies/%s?request=%d" % (study, self.rid), body_of([a[1]]), client=c)
            self.assertEqual(r.status, 403, (role, r.text))
        self.assertNotIn(a[0], self.sops_in_request())

    def test_e_metadata_and_bulk_data_forms_are_415_saying_what_is_taken(self):
        study = self.new_uid()
        a = self.instance(study)
        before = self.sql("SELECT count(*) FROM uploads")[0][0]
        for path in ("/dicom-web/studies?request=%d" % self.rid, "/dicom-web/studies/%s?request=%d" % (study, self.rid)):
            for t in ("application/dicom+json", "application/dicom+xml"):
                r = self.post(path, body_of([a[1]]), ctype='multipart/related; type="%s"; boundary=st0wB0undary' % t)
                self.assertEqual(r.status, 415, (path, t, r.text))
                msg = r.json()["error"]["message"]
                self.assertIn("Only application/dicom parts are taken", msg)
                self.assertIn(t, msg)
        self.assertEqual(self.sql("SELECT count(*) FROM uploads")[0][0], before)
