"""The viewer's API (issue 13, contract in the README): the images of a request as JSON,
with access exactly as for a document download (the owner, staff past draft, the assigned
reviewer; anyone else 404) and one study.view audit row per study returned; the view,
orientation and spacing read at intake."""
import os
import shutil
import subprocess
import tempfile

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, studies, upload_path

VIEWS = {"R_CC": ("R", "CC", ["P", "L"]), "R_MLO": ("R", "MLO", ["P", "L"]),
         "L_CC": ("L", "CC", ["A", "R"]), "L_MLO": ("L", "MLO", ["A", "R"])}


def with_spacing(src, dst):
    """A copy of src carrying Imager Pixel Spacing 0.065 x 0.07 mm."""
    shutil.copy(src, dst)
    subprocess.run(["dcmodify", "-nb", "-q", "-i", "(0018,1164)=0.065\\0.07", dst], check=True)
    return dst


class ViewerApiTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        s = studies()
        tmp = tempfile.mkdtemp(prefix="sop-viewer-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        for v in VIEWS:
            src = os.path.join(s, "study1", v + ".dcm")
            path = with_spacing(src, os.path.join(tmp, v + ".dcm")) if v == "R_CC" else src
            upload_path(cls.pc, cls.rid, path)
        upload_path(cls.pc, cls.rid, os.path.join(s, "prior", "R_CC.dcm"), name="prior_R_CC.dcm")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.other_patient, cls.opc, _ = new_patient_with_request(cls.server, name="Other Person")
        cls.c = {"patient": cls.pc, "other_patient": cls.opc}
        for name, u in (("staff", cls.staff), ("reviewer", cls.reviewer), ("other_reviewer", cls.other_reviewer)):
            cls.c[name] = cls.server.client()
            login(cls.c[name], u)

    def images(self, who, rid=None):
        return self.c[who].get("/api/v1/requests/%s/images" % (rid or self.rid))

    def study_views(self, actor_id):
        return self.sql("SELECT count(*) FROM audit_log WHERE action = 'study.view' AND actor_id = %s "
                        "AND outcome = 'ok'", actor_id)[0][0]

    def test_a_listing_holds_every_view_with_its_metadata(self):
        r = self.images("patient")
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(r.header("Cache-Control"), "no-store")
        j = r.json()
        self.assertEqual(j["request"], self.rid)
        self.assertIs(j["notice"], True)
        self.assertEqual([s["date"] for s in j["studies"]], ["2024-03-15", "2022-03-10"])
        self.assertEqual([s["current"] for s in j["studies"]], [True, False])
        cur = j["studies"][0]
        self.assertEqual(cur["description"], "MAMMO SCREENING BILATERAL")
        images = [im for se in cur["series"] for im in se["images"]]
        self.assertEqual(sorted(im["name"] for im in images), sorted(v + ".dcm" for v in VIEWS))
        for im in images:
            lat, view, orient = VIEWS[im["name"][:-4]]
            self.assertEqual(im["laterality"], lat)
            self.assertEqual(im["view"], view)
            self.assertEqual(im["label"], lat + view)
            self.assertEqual(im["orientation"], orient)
            self.assertEqual((im["rows"], im["columns"], im["frames"], im["samples"]), (64, 64, 1, 1))
            self.assertEqual((im["bits_stored"], im["signed"], im["photometric"]), (12, False, "MONOCHROME2"))
            self.assertEqual(im["rescale"], [1.0, 0.0])
            self.assertEqual(im["windows"], [{"center": 2048.0, "width": 4096.0, "explanation": ""}])
            self.assertEqual(im["voi_function"], "LINEAR")
            self.assertIn(im["state"], ("preparing", "ready", "not_decodable"))
            self.assertTrue(im["document"] > 0)
            if im["name"] == "R_CC.dcm":
                self.assertEqual(im["spacing_mm"], [0.065, 0.07])
                self.assertEqual(im["spacing_source"], "Imager Pixel Spacing")
            else:
                self.assertIsNone(im["spacing_mm"])
                self.assertIsNone(im["spacing_source"])
        self.assertEqual(cur["series"][0]["modality"], "MG")

    def test_b_access_as_for_downloads_and_one_audit_row_per_study(self):
        self.sql("UPDATE requests SET status = 'draft' WHERE id = %s", self.rid)
        self.assertEqual(self.images("staff").status, 404)  # a draft is the patient's alone
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        before = {k: self.study_views(u["id"]) for k, u in (("patient", self.patient), ("staff", self.staff),
                                                              ("reviewer", self.reviewer))}
        self.assertEqual(self.images("patient").status, 200)
        self.assertEqual(self.images("staff").status, 200)
        self.assertEqual(self.images("other_patient").status, 404)
        self.assertEqual(self.images("reviewer").status, 404)  # not assigned
        self.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                 self.reviewer["id"], self.rid)
        r = self.images("reviewer")
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json()["studies"]), 2)
        self.assertEqual(self.images("other_reviewer").status, 404)
        for bad in ("0", "abc", "99999999", "-1"):
            self.assertEqual(self.images("patient", bad).status, 404)
        # one row per study returned (two studies), none for a refusal
        self.assertEqual(self.study_views(self.patient["id"]) - before["patient"], 2)
        self.assertEqual(self.study_views(self.staff["id"]) - before["staff"], 2)
        self.assertEqual(self.study_views(self.reviewer["id"]) - before["reviewer"], 2)
        self.assertEqual(self.study_views(self.other_reviewer["id"]), 0)
        self.assertEqual(self.study_views(self.other_patient["id"]), 0)
        rows = self.sql("SELECT object_type, patient_id, detail::text FROM audit_log WHERE action = 'study.view' "
                        "AND actor_id = %s ORDER BY id", self.reviewer["id"])
        self.assertEqual({r[0] for r in rows}, {"study"})
        self.assertEqual({r[1] for r in rows}, {self.patient["id"]})
        self.assertIn('"date": "2024-03-15"', " ".join(r[2] for r in rows).replace('":"', '": "'))
        # the patient's "who opened my records" sees the reviewer's opening
        self.assertTrue(self.sql("SELECT count(*) FROM audit_log WHERE patient_id = %s AND actor_id = %s "
                                 "AND action = 'study.view'", self.patient["id"], self.reviewer["id"])[0][0] >= 2)

    def test_c_preview_and_frames_refuse_others(self):
        self.sql("UPDATE requests SET status = 'submitted', assigned_reviewer_id = NULL WHERE id = %s", self.rid)
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s ORDER BY id LIMIT 1", self.rid)[0][0]
        for who in ("other_patient", "reviewer", "other_reviewer"):
            for path in ("preview", "frames/0"):
                r = self.c[who].get("/api/v1/requests/%d/documents/%d/%s" % (self.rid, doc, path))
                self.assertEqual(r.status, 404, (who, path))
        # another request's document through this request's id
        _, _, orid = self.other_patient, self.opc, None
        orid = self.sql("SELECT id FROM requests WHERE patient_id = %s", self.other_patient["id"])[0][0]
        r = self.opc.get("/api/v1/requests/%d/documents/%d/preview" % (orid, doc))
        self.assertEqual(r.status, 404)
        r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/1" % (self.rid, doc))
        self.assertEqual(r.status, 404)  # one frame only
        r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/x" % (self.rid, doc))
        self.assertEqual(r.status, 404)


