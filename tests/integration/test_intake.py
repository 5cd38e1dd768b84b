"""Intake after an upload completes: type from content, CD folders, ZIP and
ISO archives, skipped and refused files with reasons, dedup by
SOPInstanceUID, grouping into studies and series, and the warnings the
records page shows."""
import os
import re

import harness
import records_helpers as rh


def page_text(client, req):
    t = rh.records_page(client, req)
    return re.sub(r"\s+", " ", t)


def upload_folder(client, req, root, kind="images"):
    """Uploads every file under root the way a browser folder picker does
    (relative path as the name)."""
    base = os.path.dirname(root.rstrip("/"))
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            rh.upload_path(client, req, p, os.path.relpath(p, base), kind)


class IntakeTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.st = rh.studies()

    def patient(self, name="Jane Doe", dob="1970-01-01"):
        _, c, req = rh.new_patient_with_request(self.server, name=name, dob=dob)
        return c, req

    def test_cd_folder_receipt_and_series(self):
        c, req = self.patient()
        upload_folder(c, req, os.path.join(self.st, "cd"))
        docs = rh.documents(self.server, req)
        kept = [d for d in docs if not d[3]]
        skipped = {d[1]: d[5] for d in docs if d[3]}
        self.assertEqual(len(kept), 8)
        self.assertTrue(all(d[2] == "dicom" for d in kept))
        self.assertEqual(skipped, {"cd/DICOMDIR": "DICOMDIR", "cd/VIEWER.EXE": "viewer program",
                                   "cd/AUTORUN.INF": "autorun"})
        t = page_text(c, req)
        self.assertIn("Received 8 images in 2 series from 2 studies; 3 files skipped: DICOMDIR, viewer program, "
                      "autorun.", t)
        self.assertIn("R CC, R MLO, L CC, L MLO".split(", ")[0], t)
        series = self.sql("SELECT count(*) FROM series WHERE request_id = %s", req)[0][0]
        self.assertEqual(series, 2)
        views = self.sql("SELECT string_agg(DISTINCT laterality || ' ' || view_position, ',' ORDER BY "
                         "laterality || ' ' || view_position) FROM documents WHERE request_id = %s AND NOT skipped",
                         req)[0][0]
        self.assertEqual(views, "L CC,L MLO,R CC,R MLO")
        self.assertIn("DOE, JANE", t)
        self.assertIn("1970-01-01", t)
        # the prior study (2022) is more than a year older than 2024
        self.assertIn("The study from 2022-03-10 is more than a year older", t)
        self.assertNotIn("may belong to someone else", t)

    def test_zip_same_as_folder_and_dedup(self):
        c, req = self.patient()
        rh.upload_path(c, req, os.path.join(self.st, "cd.zip"))
        docs = rh.documents(self.server, req)
        self.assertEqual(len([d for d in docs if not d[3]]), 8)
        self.assertEqual(sorted(d[5] for d in docs if d[3]), ["DICOMDIR", "autorun", "viewer program"])
        # the same images again: stored once
        rh.upload_path(c, req, os.path.join(self.st, "study1", "R_CC.dcm"))
        rh.upload_path(c, req, os.path.join(self.st, "cd.iso"))
        docs = rh.documents(self.server, req)
        self.assertEqual(len([d for d in docs if not d[3]]), 8)
        uids = [d[7] for d in docs if not d[3]]
        self.assertEqual(len(uids), len(set(uids)))
        receipts = [r[0] for r in self.sql("SELECT message FROM intake_receipts WHERE request_id = %s ORDER BY id", req)]
        self.assertIn("already received", receipts[1])
        self.assertIn("8 already received", receipts[2])
        # only files named by rows remain in the store
        on_disk, ids = rh.wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)

    def test_iso_unpacked(self):
        c, req = self.patient()
        rh.upload_path(c, req, os.path.join(self.st, "cd.iso"))
        docs = rh.documents(self.server, req)
        self.assertEqual(len([d for d in docs if not d[3]]), 8)
        self.assertIn("Received 8 images in 2 series from 2 studies", page_text(c, req))

    def test_pdf_and_screenshot_only_warning(self):
        c, req = self.patient()
        rh.upload_path(c, req, os.path.join(self.st, "report.pdf"), kind="radiology_report")
        rh.upload_path(c, req, os.path.join(self.st, "screenshot.png"))
        docs = rh.documents(self.server, req)
        self.assertEqual(sorted(d[2] for d in docs), ["pdf", "png"])
        t = page_text(c, req)
        self.assertIn("only pictures", t)
        self.assertIn("the original image data", t)

    def test_no_images_warning(self):
        c, req = self.patient()
        self.assertIn("No images yet", page_text(c, req))

    def test_wrong_patient_warning(self):
        c, req = self.patient()
        for f in sorted(os.listdir(os.path.join(self.st, "other"))):
            rh.upload_path(c, req, os.path.join(self.st, "other", f))
        t = page_text(c, req)
        self.assertIn("ROE, RICHARD", t)
        self.assertIn("These images may belong to someone else", t)

    def test_executable_and_unknown_refused_by_name(self):
        c, req = self.patient()
        rh.upload_path(c, req, os.path.join(self.st, "true.elf"), "report.pdf")
        rh.upload_path(c, req, os.path.join(self.st, "junk.bin"))
        docs = rh.documents(self.server, req)
        self.assertEqual([(d[1], d[4], d[5]) for d in docs],
                         [("report.pdf", True, "refused: a program"),
                          ("junk.bin", True, "refused: not a type we accept")])
        t = page_text(c, req)
        self.assertIn("report.pdf", t)
        self.assertIn("refused: a program", t)
        self.assertIn("2 files could not be accepted", t)
        on_disk, ids = rh.wait_store_clean(self.server)
        self.assertEqual(on_disk - ids, set())

    def test_variants_read(self):
        c, req = self.patient()
        for f in sorted(os.listdir(os.path.join(self.st, "variants"))):
            rh.upload_path(c, req, os.path.join(self.st, "variants", f))
        docs = self.sql("SELECT original_name, transfer_syntax, laterality, view_position FROM documents "
                        "WHERE request_id = %s ORDER BY original_name", req)
        self.assertEqual(len(docs), 4)
        self.assertEqual({d[0]: (d[2], d[3]) for d in docs},
                         {"L_CC_big.dcm": ("L", "CC"), "L_MLO_deflate.dcm": ("L", "MLO"),
                          "R_CC_implicit.dcm": ("R", "CC"), "R_MLO_jpeg.dcm": ("R", "MLO")})

    def test_remove_series_and_document(self):
        c, req = self.patient()
        upload_folder(c, req, os.path.join(self.st, "cd"))
        sid = self.sql("SELECT se.id FROM series se JOIN studies st ON st.id = se.study_id WHERE se.request_id = %s "
                       "AND st.study_date = '20220310'", req)[0][0]
        r = c.post("/requests/%d/series/%d/delete" % (req, sid), {})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND NOT skipped", req)[0][0], 4)
        self.assertIn("Received 4 images in 1 series from 1 study", page_text(c, req))
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s AND NOT skipped LIMIT 1", req)[0][0]
        self.assertEqual(c.post("/requests/%d/documents/%d/delete" % (req, doc), {}).status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE id = %s", doc)[0][0], 0)
        acts = [r[0] for r in self.sql("SELECT action FROM audit_log WHERE patient_id IS NOT NULL ORDER BY id")]
        self.assertIn("series.delete", acts)
        self.assertIn("document.delete", acts)
        self.assertIn("document.upload", acts)
        self.assertIn("records.view", acts)
        # after submission nothing can be removed
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", req)
        doc2 = self.sql("SELECT id FROM documents WHERE request_id = %s AND NOT skipped LIMIT 1", req)[0][0]
        self.assertEqual(c.post("/requests/%d/documents/%d/delete" % (req, doc2), {}).status, 409)
