"""Intake of the corpus (tests/data/make-corpus.py) through the real server: names from every
character set stored as UTF-8 and shown as a person reads them, object kinds counted apart,
incomplete pixel data flagged, files without preamble accepted, refusals named with their
reason, and every packaging case (nested archives, Mac ZIPs, each refusal path of archive
intake)."""
import html
import json
import os
import re
import subprocess
import tempfile

import harness
import records_helpers as rh

_corpus = None


def corpus():
    global _corpus
    if _corpus is None:
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        out = tempfile.mkdtemp(prefix="sop-corpus-", dir=base)
        subprocess.run(["/usr/bin/python3", os.path.join(harness.ROOT, "tests", "data", "make-corpus.py"), out],
                       check=True, stdout=subprocess.DEVNULL)
        _corpus = out
    return _corpus


def text(client, req):
    return html.unescape(re.sub(r"\s+", " ", rh.records_page(client, req)))


class IntakeCorpusTest(harness.ServerTestCase):
    server_env = {"SECONDOP_ARCHIVE_MAX_ENTRIES": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = corpus()
        cls.manifest = json.load(open(os.path.join(cls.c, "manifest.json")))

    def patient(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe", dob="1970-01-01")
        return c, req

    def upload(self, c, req, rel, name=None):
        rh.upload_path(c, req, os.path.join(self.c, rel), name or os.path.basename(rel))

    def receipt(self, req):
        return self.sql("SELECT message FROM intake_receipts WHERE request_id = %s ORDER BY id DESC LIMIT 1", req)[0][0]

    def test_every_character_set_stored_and_shown(self):
        c, req = self.patient()
        cases = {rel: m for rel, m in self.manifest.items() if rel.startswith("charset/")}
        for rel in sorted(cases):
            self.upload(c, req, rel)
        rows = dict(self.sql("SELECT original_name, patient_name FROM documents WHERE request_id = %s", req))
        page = text(c, req)
        for rel, m in sorted(cases.items()):
            with self.subTest(file=rel):
                self.assertEqual(rows[os.path.basename(rel)], m["name"])  # valid UTF-8, decoded
                self.assertIn(m["display"], page)
        self.assertEqual(len(rows), len(cases))
        self.assertNotIn("\ufffd", "".join(rows.values()))

    def test_object_kinds_counted_apart(self):
        c, req = self.patient()
        sop = sorted(r for r in self.manifest if r.startswith("sop/"))
        for rel in sop:
            self.upload(c, req, rel)
        kinds = dict(self.sql("SELECT original_name, object_kind FROM documents WHERE request_id = %s", req))
        frames = dict(self.sql("SELECT original_name, frames FROM documents WHERE request_id = %s", req))
        for rel in sop:
            m = self.manifest[rel]
            with self.subTest(file=rel):
                self.assertEqual(kinds[os.path.basename(rel)], m["object_kind"])
                self.assertEqual(frames[os.path.basename(rel)], m["frames"])
        t = text(c, req)
        # 12 objects with pixel data are images; the rest are counted as what they are
        self.assertIn("Received 12 images (5 with several frames, 78 frames in all)", t)
        for words in ("1 presentation state", "1 CAD report", "3 structured reports", "1 PDF document (in DICOM)",
                      "1 key image note", "2 radiotherapy objects", "1 waveform", "1 other DICOM object"):
            self.assertIn(words, t)
        self.assertIn("breast tomosynthesis, MG", t)
        self.assertIn("60 frames", t)
        self.assertIn("grayscale presentation state", t)
        self.assertIn("digital mammogram (for presentation), MG, no image data", t)  # never called an image
        # the receipt of a tomosynthesis volume
        self.upload(c, req, "sop/breast_tomosynthesis.dcm", "again.dcm")
        self.assertIn("already received", self.receipt(req))

    def test_receipt_counts_volumes_and_frames(self):
        c, req = self.patient()
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for f in ("breast_tomosynthesis", "mg_for_presentation", "grayscale_presentation_state",
                      "mammography_cad_sr"):
                z.write(os.path.join(self.c, "sop", f + ".dcm"), "cd/" + f)
            z.write(os.path.join(self.c, "special", "tomo_1200_frames.dcm"), "cd/tomo2")
            z.writestr("__MACOSX/cd/._tomo2", b"\0\5\26\7")
        rh.upload_bytes(c, req, buf.getvalue(), "exam.zip")
        self.assertEqual(self.receipt(req), "exam.zip: 5 files taken in: 3 images (2 tomosynthesis volumes, 1,261 "
                                            "frames), 1 presentation state, 1 CAD report; 1 system file (left by Mac "
                                            "or Windows, not needed) left out.")
        self.assertIn("Received 3 images (2 with several frames, 1,261 frames in all)", text(c, req))

    def test_special_files(self):
        c, req = self.patient()
        for rel in sorted(r for r in self.manifest if r.startswith("special/")):
            self.upload(c, req, rel)
        docs = {d[1]: d for d in rh.documents(self.server, req)}
        inc = dict(self.sql("SELECT original_name, pixel_incomplete FROM documents WHERE request_id = %s", req))
        names = dict(self.sql("SELECT original_name, patient_name FROM documents WHERE request_id = %s", req))
        for rel, m in self.manifest.items():
            if not rel.startswith("special/"):
                continue
            name = os.path.basename(rel)
            with self.subTest(file=rel):
                if m["result"] == "ok":
                    self.assertFalse(docs[name][3], docs[name][5])
                    self.assertEqual(inc[name], m["pixels"] == "incomplete")
                    if "name" in m:
                        self.assertEqual(names[name], m["name"])
                else:
                    self.assertTrue(docs[name][4])
                    self.assertEqual(docs[name][5], "refused: " + m["refusal"])
        t = text(c, req)
        self.assertIn("incomplete image data", t)
        self.assertIn("2 images have incomplete image data", t)
        self.assertIn("header_cut_short.dcm", t)
        self.assertIn("the file ends after 300 bytes: it was cut short while copying", t)
        self.assertIn("1997-04-24", t)
        self.assertIn("undeclared_latin1.dcm: 1 file taken in: 1 image; 1 file has text (such as the patient's name) "
                      "with characters we could not read, shown as \ufffd.", self.sql(
                          "SELECT string_agg(message, ' ') FROM intake_receipts WHERE request_id = %s", req)[0][0])
        self.assertNotIn("1997-.0", t)
        self.assertIn("the file ends after 300 bytes", self.sql(
            "SELECT string_agg(message, ' ') FROM intake_receipts WHERE request_id = %s", req)[0][0])

    # ---- packaging ----

    def test_zip_in_zip(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/zip_in_zip.zip")
        kept = [d[1] for d in rh.documents(self.server, req) if not d[3]]
        self.assertEqual(sorted(kept), ["export/readme.txt.pdf", "export/study.zip/DICOM/IM1",
                                        "export/study.zip/DICOM/IM2"])
        self.assertIn("3 files taken in: 2 images, 1 PDF", self.receipt(req))
        self.assert_store_clean()

    def test_iso_in_zip(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/iso_in_zip.zip")
        self.assertEqual(len([d for d in rh.documents(self.server, req) if not d[3] and d[2] == "dicom"]), 2)
        self.assertIn("2 files taken in: 2 images", self.receipt(req))
        self.assert_store_clean()

    def test_mac_zip_system_files_left_out(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/mac.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual(sorted(d[1] for d in docs), ["study/IM1", "study/IM2"])
        r = self.receipt(req)
        self.assertIn("6 system files (left by Mac or Windows, not needed) left out", r)
        self.assertNotIn("refused", r)
        self.assertNotIn("could not be accepted", text(c, req))

    def test_system_file_uploaded_alone(self):
        c, req = self.patient()
        rh.upload_bytes(c, req, b"\0\0\0\1Bud1" * 4, "cd/.DS_Store")
        self.assertEqual(rh.documents(self.server, req), [])
        self.assertIn("1 system file", self.receipt(req))

    def test_unsafe_names_refused(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/unsafe_names.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual([d[1] for d in docs if not d[3]], ["ok/IM1"])
        refused = [d for d in docs if d[4]]
        self.assertEqual(len(refused), 2)
        for d in refused:
            self.assertIn("points outside the archive's folder", d[5])

    def test_link_refused(self):
        c, req = self.patient()
        # ISO 9660 with Rock Ridge: the link is seen as a link
        self.upload(c, req, "packaging/link.iso")
        docs = rh.documents(self.server, req)
        self.assertEqual(sorted(d[1] for d in docs if not d[3]), ["DICOM/IM1", "DICOM/IM2"])
        self.assertEqual([(d[1], d[5]) for d in docs if d[4]],
                         [("DICOM/LINK", "refused: a link to another file, not a file itself")])
        # ZIP read as a stream has no central directory: the link arrives as its target's
        # name in a small file, which is never followed and is refused as not a type we accept
        c, req = self.patient()
        self.upload(c, req, "packaging/link.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual([d[1] for d in docs if not d[3]], ["study/IM1"])
        self.assertEqual([d[1] for d in docs if d[4]], ["study/link-to-passwd"])

    def test_too_many_entries(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/too_many_entries.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual(len(docs), 1)
        self.assertTrue(docs[0][4])
        # refused from the ZIP's central directory, before anything is unpacked
        self.assertIn("it holds 60 files, and we unpack at most 50 from one archive", docs[0][5])
        self.assert_store_clean()

    def test_ratio_cap(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/ratio.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual(len(docs), 1)
        self.assertIn("times its own size", docs[0][5])
        self.assertIn("could not be unpacked", self.receipt(req))
        self.assert_store_clean()

    def test_nesting_deeper_than_one_level(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/three_deep.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual([d[1] for d in docs if not d[3]], ["a/middle.zip/b/IM2"])
        self.assertEqual([(d[1], d[5]) for d in docs if d[4]],
                         [("a/middle.zip/b/innermost.zip", "refused: an archive inside an archive inside an archive; "
                           "unpack the outer one and upload what is inside")])
        self.assert_store_clean()

    def test_damaged_archive(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/damaged.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual(len(docs), 1)
        self.assertTrue(docs[0][4])
        self.assertIn("damaged", docs[0][5])
        self.assertIn("could not be unpacked", self.receipt(req))
        self.assert_store_clean()

    def test_damaged_inner_archive_alone_refused(self):
        c, req = self.patient()
        self.upload(c, req, "packaging/damaged_inner.zip")
        docs = rh.documents(self.server, req)
        self.assertEqual([d[1] for d in docs if not d[3]], ["cd/IM2"])
        self.assertEqual([d[1] for d in docs if d[4]], ["cd/damaged.zip"])
        self.assertIn("damaged or cut short", [d[5] for d in docs if d[4]][0])
        self.assert_store_clean()

    def test_many_refusals_keep_the_receipt_readable(self):
        """Non-ASCII names inside a ZIP are read as UTF-8 (they were once all refused as unsafe,
        libarchive converting to the C locale), and a long list of refusals is cut between names."""
        c, req = self.patient()
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for i in range(40):
                z.writestr("画像フォルダ/説明書き_%02d.bin" % i, b"not an image %d" % i)
        rh.upload_bytes(c, req, buf.getvalue(), "many.zip")
        self.assertEqual(len([d for d in rh.documents(self.server, req) if d[4]]), 40)
        r = self.receipt(req)  # the database took it: valid UTF-8
        self.assertIn("40 refused: 画像フォルダ/説明書き_00.bin (not a type we accept)", r)
        self.assertTrue(r.endswith(", ...."), r[-80:])  # the list is cut between names
        self.assertNotIn("\ufffd", r)

    def assert_store_clean(self):
        """Only files named by rows remain in the store."""
        on_disk, ids = rh.wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)
