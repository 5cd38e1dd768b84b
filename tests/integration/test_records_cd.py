"""The CD-ready download: the request ZIP (and a per-study ZIP) is laid out as DICOM media
(PS3.10 / IHE PDI): a DICOMDIR that dcmtk reads and accepts, every file it references present
and byte-identical to what was uploaded, reports in their own folder, a README.TXT. Access and
audit are those of the request ZIP."""
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile

import harness
import records_helpers as rh
from accounts_helpers import login, make_user

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"
VIEWS = ("R_CC", "R_MLO", "L_CC", "L_MLO")
FILE_ID = re.compile(r"^\s*\(0004,1500\) CS \[([^\]]*)\]", re.M)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def unpack(body):
    out = tempfile.mkdtemp(prefix="sop-cd-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None
        z.extractall(out)
        names = z.namelist()
    return out, names


def dcmdump(path):
    r = subprocess.run(["dcmdump", "-q", path], capture_output=True, text=True, errors="replace")
    return r.returncode, r.stdout + r.stderr


class RecordsCdTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st = rh.studies()
        cls.patient, cls.pc, cls.rid = rh.new_patient_with_request(cls.server, name="Jane Doe")
        cls.originals = {}
        for folder in ("study1", "prior"):
            for v in VIEWS:
                data = read(os.path.join(st, folder, v + ".dcm"))
                cls.originals[hashlib.sha256(data).hexdigest()] = (folder, v)
                rh.upload_bytes(cls.pc, cls.rid, data, "%s-%s.dcm" % (folder, v))
        rh.upload_bytes(cls.pc, cls.rid, PDF, "my report.pdf", kind="radiology_report")
        cls.studies = {r[1]: r[0] for r in cls.server.sql(
            "SELECT id, study_date FROM studies WHERE request_id = %s", cls.rid)}

    def check_media(self, body, expect_studies, expect_images, expect_reports):
        out, names = unpack(body)
        self.addCleanup(shutil.rmtree, out, True)
        self.assertEqual(names[0], "README.TXT")
        self.assertEqual(names[1], "DICOMDIR")
        readme = read(os.path.join(out, "README.TXT")).decode()
        self.assertIn("DICOMDIR", readme)
        self.assertIn("(4 images)", readme)
        rc, dump = dcmdump(os.path.join(out, "DICOMDIR"))
        self.assertEqual(rc, 0, dump)
        self.assertIn("MediaStorageDirectoryStorage", dump)
        self.assertEqual(dump.count("[PATIENT]"), 1, dump)
        self.assertEqual(dump.count("[STUDY ]") + dump.count("[STUDY]"), expect_studies, dump)
        self.assertEqual(dump.count("[IMAGE]") + dump.count("[IMAGE ]"), expect_images, dump)
        # every referenced file exists and is byte-identical to an uploaded original, once each
        ids = FILE_ID.findall(dump)
        self.assertEqual(len(ids), expect_images)
        seen = set()
        for fid in ids:
            parts = fid.strip().split("\\")
            self.assertEqual(parts[0], "DICOM")
            self.assertTrue(all(re.fullmatch(r"[A-Z0-9_]{1,8}", p) for p in parts), fid)
            path = os.path.join(out, *parts)
            self.assertTrue(os.path.isfile(path), fid)
            h = hashlib.sha256(read(path)).hexdigest()
            self.assertIn(h, self.originals)
            seen.add(h)
        self.assertEqual(len(seen), expect_images)
        dicom_files = [n for n in names if n.startswith("DICOM/")]
        self.assertEqual(sorted(dicom_files), sorted(i.strip().replace("\\", "/") for i in ids))
        reports = [n for n in names if n.startswith("REPORTS/")]
        self.assertEqual(len(reports), expect_reports)
        for n in reports:
            self.assertEqual(read(os.path.join(out, n)), PDF)
        self.assertEqual(len(names), 2 + expect_images + expect_reports)
        # dcmtk accepts the DICOMDIR: appending the referenced files again finds them consistent
        r = subprocess.run(["dcmmkdir", "--append", "-Pgp"] + [i.strip().replace("\\", "/") for i in ids],
                           cwd=out, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("E:", r.stdout + r.stderr)
        # its only remark: each file is already listed (nothing was missing or inconsistent)
        remarks = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
        self.assertEqual(len(remarks), expect_images, remarks)
        self.assertTrue(all("directory record for this SOP instance already exists" in ln for ln in remarks), remarks)
        rc, dump2 = dcmdump(os.path.join(out, "DICOMDIR"))
        self.assertEqual(rc, 0)
        self.assertEqual(len(FILE_ID.findall(dump2)), expect_images)
        return out, names, dump

    def test_request_zip_is_cd_media(self):
        r = self.pc.get("/requests/%d/records.zip" % self.rid)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "application/zip")
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        out, names, dump = self.check_media(r.body, 2, 8, 1)
        self.assertEqual([n for n in names if n.startswith("REPORTS/")], ["REPORTS/0001-my report.pdf"])
        # the keys a DICOMDIR carries come from the files' headers
        for tag in ("(0010,0020) LO", "(0008,0030) TM", "(0008,0050) SH", "(0020,0010) SH", "(0020,0011) IS",
                    "(0020,0013) IS", "(0004,1510) UI", "(0004,1511) UI", "(0004,1512) UI"):
            self.assertIn(tag, dump)
        # two studies: study1 and the prior, each with its own folder
        self.assertEqual({n.split("/")[1] for n in names if n.startswith("DICOM/")}, {"ST0001", "ST0002"})

    def test_study_zip_holds_that_study_only(self):
        self.assertEqual(len(self.studies), 2)
        for date, sid in self.studies.items():
            r = self.pc.get("/requests/%d/studies/%d/records.zip" % (self.rid, sid))
            self.assertEqual(r.status, 200)
            self.assertIn("study-%d" % sid, r.header("Content-Disposition"))
            out, names, dump = self.check_media(r.body, 1, 4, 0)
            self.assertIn(date, dump)
        rows = self.server.sql("SELECT detail FROM audit_log WHERE action = 'request.download_zip' "
                               "AND object_id = %s AND outcome = 'ok'", str(self.rid))
        details = [d if isinstance(d, dict) else json.loads(d) for (d,) in rows]
        self.assertEqual({d["study_id"] for d in details if "study_id" in d}, set(self.studies.values()))

    def test_records_page_links_each_study(self):
        page = rh.records_page(self.pc, self.rid)
        for sid in self.studies.values():
            self.assertIn("/requests/%d/studies/%d/records.zip" % (self.rid, sid), page)

    def test_center_pages_link_each_study(self):
        staff, reviewer = make_user(self.server, "staff"), make_user(self.server, "reviewer")
        sc, rc = self.server.client(), self.server.client()
        login(sc, staff)
        login(rc, reviewer)
        self.server.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                        reviewer["id"], self.rid)
        try:
            for c, page in ((sc, "/staff/requests/%d" % self.rid), (rc, "/reviewer/cases/%d" % self.rid)):
                r = c.get(page)
                self.assertEqual(r.status, 200, page)
                for sid in self.studies.values():
                    link = "/requests/%d/studies/%d/records.zip" % (self.rid, sid)
                    self.assertIn(link, r.text, page)
                    z = c.get(link)
                    self.assertEqual(z.status, 200, link)
                    self.assertIn("DICOMDIR", zipfile.ZipFile(io.BytesIO(z.body)).namelist())
        finally:
            self.server.sql("UPDATE requests SET assigned_reviewer_id = NULL, status = 'draft' WHERE id = %s", self.rid)

    def test_unknown_or_foreign_study_is_not_found(self):
        self.assertEqual(self.pc.get("/requests/%d/studies/999999/records.zip" % self.rid).status, 404)
        self.assertEqual(self.pc.get("/requests/%d/studies/0/records.zip" % self.rid).status, 404)
        self.assertEqual(self.pc.get("/requests/%d/studies/x/records.zip" % self.rid).status, 404)
        # a study of another patient's request, asked through our own request
        _, oc, orid = rh.new_patient_with_request(self.server, name="Other Person")
        rh.upload_bytes(oc, orid, read(os.path.join(rh.studies(), "other", "R_CC.dcm")), "o.dcm")
        osid = self.server.sql("SELECT id FROM studies WHERE request_id = %s", orid)[0][0]
        self.assertEqual(self.pc.get("/requests/%d/studies/%d/records.zip" % (self.rid, osid)).status, 404)
        # and our request's study asked by the other patient
        sid = next(iter(self.studies.values()))
        self.assertEqual(oc.get("/requests/%d/studies/%d/records.zip" % (self.rid, sid)).status, 404)
        self.assertEqual(oc.get("/requests/%d/records.zip" % self.rid).status, 404)

    def test_unassigned_reviewer_is_refused_assigned_one_gets_it(self):
        reviewer, other = make_user(self.server, "reviewer"), make_user(self.server, "reviewer")
        rc, oc = self.server.client(), self.server.client()
        login(rc, reviewer)
        login(oc, other)
        sid = next(iter(self.studies.values()))
        self.server.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                        reviewer["id"], self.rid)
        try:
            for c, want in ((oc, 404), (rc, 200)):
                self.assertEqual(c.get("/requests/%d/records.zip" % self.rid).status, want)
                self.assertEqual(c.get("/requests/%d/studies/%d/records.zip" % (self.rid, sid)).status, want)
        finally:
            self.server.sql("UPDATE requests SET assigned_reviewer_id = NULL, status = 'draft' WHERE id = %s", self.rid)

    def test_damaged_file_cuts_the_download_and_is_audited(self):
        # a wrong digest, and a recorded size one byte short or long of what the store holds
        for n, damage in enumerate(("blake2b = '%s'" % ("0" * 64), "size = size - 1", "size = size + 1")):
            _, c, rid = rh.new_patient_with_request(self.server, name="Jane Doe")
            rh.upload_bytes(c, rid, read(os.path.join(rh.studies(), "study1", "R_CC.dcm")), "r.dcm")
            self.server.sql("UPDATE documents SET " + damage + " WHERE request_id = %s", rid)
            sid = self.server.sql("SELECT id FROM studies WHERE request_id = %s", rid)[0][0]
            for url in ("/requests/%d/records.zip" % rid, "/requests/%d/studies/%d/records.zip" % (rid, sid)):
                try:
                    r = c.get(url)
                    whole = r.status == 200 and int(r.header("Content-Length")) == len(r.body)
                except Exception:
                    whole = False
                self.assertFalse(whole, (damage, url))
            harness.wait_for(lambda: self.server.sql(
                "SELECT count(*) FROM audit_log WHERE action = 'integrity_failure' AND detail::text LIKE %s",
                "%zip-digest%")[0][0] >= 2 * (n + 1), timeout=20, what="integrity failures audited: " + damage)


class NoImagesTest(harness.ServerTestCase):
    def test_documents_only_has_readme_and_reports_no_dicomdir(self):
        _, c, rid = rh.new_patient_with_request(self.server, name="Jane Doe")
        rh.upload_bytes(c, rid, PDF, "a.pdf", kind="radiology_report")
        r = c.get("/requests/%d/records.zip" % rid)
        self.assertEqual(r.status, 200)
        z = zipfile.ZipFile(io.BytesIO(r.body))
        self.assertEqual(z.namelist(), ["README.TXT", "REPORTS/0001-a.pdf"])
        self.assertEqual(z.read("REPORTS/0001-a.pdf"), PDF)
        self.assertIn(b"no DICOM images", z.read("README.TXT"))
