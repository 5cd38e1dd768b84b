"""Whose images are these (issue 11, items 2 and 3): every DICOM file is
checked against the account holder by the one identity rule
(server/core/identity.c), grouped per series, and the patient's records
page, the staff request page and the reviewer's case page show the same
verdict and the same counts. The studies are made here with pydicom
(Debian's python3-pydicom) and uploaded as one ZIP, as a patient would."""
import io
import re
import warnings
import zipfile

import harness
import records_helpers as rh
from accounts_helpers import login, make_user

MG = "1.2.840.10008.5.1.4.1.1.1.2"  # Digital Mammography X-Ray Image Storage - For Presentation
ROOT = "2.25.3141592653589793238462643383279"
warnings.filterwarnings("ignore", message="Invalid value for VR DA")  # "1970.01.01" is written on purpose


def mg_file(uid_tail, name, birth, study, series, series_desc, lat="R", view="CC", sex="F"):
    """One small mammogram (8x8 pixels) as Part 10 bytes, text in UTF-8."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MG
    meta.MediaStorageSOPInstanceUID = "%s.3.%s" % (ROOT, uid_tail)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = MG
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "%s.1.%s" % (ROOT, study)
    ds.SeriesInstanceUID = "%s.2.%s" % (ROOT, series)
    ds.StudyDate = "20240315"
    ds.StudyDescription = "MAMMO SCREENING"
    ds.SeriesDescription = series_desc
    ds.Modality = "MG"
    ds.PatientName = name
    ds.PatientBirthDate = birth
    ds.PatientSex = sex
    ds.ImageLaterality = lat
    ds.ViewPosition = view
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 8
    ds.Columns = 8
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(128)
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, data in enumerate(files):
            z.writestr("DICOM/IM%05d" % (i + 1), data)
    return buf.getvalue()


def verdict_block(html):
    """The shared verdict (headline, flagged series and their people) as
    text, and the section's data attributes."""
    m = re.search(r'<section class="card identity identity-(\w+)" id="identity"[^>]*data-verdict="(\w+)" '
                  r'data-files="(\d+)" data-other="(\d+)" data-unsure="(\d+)">', html)
    assert m, "no identity section in the page"
    body = re.search(r'<div class="identity-verdict">(.*?)</div>', html, re.S)
    assert body, "no verdict in the identity section"
    text = re.sub(r"<[^>]+>", " ", body.group(1))
    text = re.sub(r"\s+", " ", text).strip()
    return {"verdict": m.group(2), "files": int(m.group(3)), "other": int(m.group(4)),
            "unsure": int(m.group(5)), "text": text}


class IdentityPagesTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.sc = cls.server.client()
        login(cls.sc, cls.staff)
        cls.rc = cls.server.client()
        login(cls.rc, cls.reviewer)

    def request_with(self, name, dob, files):
        """A patient's request holding files (one ZIP), past draft and assigned
        to the reviewer so that all three pages can show it."""
        patient, pc, rid = rh.new_patient_with_request(self.server, name=name, dob=dob)
        rh.upload_bytes(pc, rid, zip_of(files), "cd.zip")
        kept = self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND sniffed_type = 'dicom' "
                        "AND NOT skipped", rid)[0][0]
        self.assertEqual(kept, len(files), "every file taken in")
        return pc, rid

    def three_pages(self, pc, rid):
        """The records page while a draft, then (submitted, assigned) the staff
        and reviewer pages; the patient's page again at the end."""
        before = rh.records_page(pc, rid)
        self.sql("UPDATE requests SET status = 'in_review', submitted_at = now(), assigned_reviewer_id = %s "
                 "WHERE id = %s", self.reviewer["id"], rid)
        patient = rh.records_page(pc, rid)
        self.assertEqual(verdict_block(before), verdict_block(patient), "the state does not change the verdict")
        staff = self.sc.get("/staff/requests/%d" % rid)
        self.assertEqual(staff.status, 200)
        rev = self.rc.get("/reviewer/cases/%d" % rid)
        self.assertEqual(rev.status, 200)
        return patient, staff.text, rev.text

    def test_three_of_n_name_another_person_on_every_page(self):
        # study 1: series A all the account holder's; series B mixes her (first
        # file) with 3 files of SMITH^JANE; the old check looked at one file only
        files = []
        for i in range(6):
            files.append(mg_file("1%02d" % i, "DOE^JANE", "19700101", 1, 1, "R CC", "R", "CC"))
        for i in range(3):
            files.append(mg_file("2%02d" % i, "DOE^JANE", "19700101", 1, 2, "L CC", "L", "CC"))
        for i in range(3):
            files.append(mg_file("3%02d" % i, "SMITH^JANE", "19610302", 1, 2, "L CC", "L", "CC"))
        pc, rid = self.request_with("Jane Doe", "1970-01-01", files)
        patient, staff, rev = self.three_pages(pc, rid)
        p, s, r = verdict_block(patient), verdict_block(staff), verdict_block(rev)
        self.assertEqual(p, s, "patient and staff pages agree")
        self.assertEqual(p, r, "patient and reviewer pages agree")
        self.assertEqual((p["verdict"], p["files"], p["other"], p["unsure"]), ("different", 12, 3, 0))
        self.assertIn("3 of 12 images name someone other than the account holder, Jane Doe, born 1 January 1970.",
                      p["text"])
        self.assertIn("Found in 1 of 2 series", p["text"])
        self.assertIn("series “L CC” (MG): 3 of 6 images name another person: “SMITH, JANE”, born 2 March 1961.",
                      p["text"])
        self.assertIn("3 images: “SMITH, JANE”, born 2 March 1961 — a different family name and another date of "
                      "birth.", p["text"])
        self.assertIn("3 images: “DOE, JANE”, born 1 January 1970 — same name and date of birth.", p["text"])
        self.assertNotIn("R CC", p["text"], "a series of the account holder's only is not listed")
        # the advice differs by audience
        self.assertIn("please check them and remove them if they are not yours", patient)
        self.assertIn("images of another person must not be reviewed for this patient", staff)
        self.assertIn("images of another person must not be reviewed for this patient", rev)
        # the records table shows each series with its own patients
        self.assertRegex(re.sub(r"\s+", " ", patient),
                         r"<td>DOE, JANE \(3 images\); SMITH, JANE \(3 images\)</td>"
                         r"<td>1970-01-01 \(3 images\); 1961-03-02 \(3 images\)</td>")
        # the staff's study table flags the study, naming both
        self.assertIn("DOE, JANE, born 1 January 1970 (9 images); SMITH, JANE, born 2 March 1961 (3 images)", staff)
        self.assertIn("does not match the patient", staff)

    def test_same_person_spelled_differently_never_warns(self):
        spellings = [("GARCIA LOPEZ^MARIA JOSE", "19700101"), ("GARCÍA-LÓPEZ^MARÍA JOSÉ", "1970.01.01"),
                     ("GARCIA^MARIA", "19700101"), ("Garcia^Jose", "1970.01.01"), ("MARIA JOSE^GARCIA LOPEZ", "")]
        files = [mg_file("4%02d" % i, n, b, 2, 3 + i % 2, "R CC" if i % 2 else "L CC") for i, (n, b) in
                 enumerate(spellings)]
        pc, rid = self.request_with("María José García-López", "1970-01-01", files)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND patient_birth_date = "
                                  "'1970.01.01'", rid)[0][0], 2, "the dotted date is stored as written")
        for page in self.three_pages(pc, rid):
            v = verdict_block(page)
            self.assertEqual((v["verdict"], v["files"], v["other"], v["unsure"]), ("match", 5, 0, 0), v["text"])
            self.assertEqual(v["text"], "All 5 images were checked: each names the account holder, "
                             "María José García-López, born 1 January 1970.")
            self.assertNotIn("identity-advice", page)
            self.assertNotIn("someone else", page)
            self.assertNotIn("does not match the patient", page)

    def test_alias_groups_match_a_japanese_account(self):
        files = [mg_file("5%02d" % i, n, "19700101", 3, 5, "R CC") for i, n in enumerate(
            ["Yamada^Tarou=山田^太郎=やまだ^たろう", "=山田^太郎=やまだ^たろう", "山田^太郎", "Yamada^Taro=山田^太郎"])]
        pc, rid = self.request_with("山田 太郎", "1970-01-01", files)
        pages = self.three_pages(pc, rid)
        blocks = [verdict_block(p) for p in pages]
        self.assertEqual(blocks[0], blocks[1])
        self.assertEqual(blocks[0], blocks[2])
        self.assertEqual((blocks[0]["verdict"], blocks[0]["files"], blocks[0]["other"]), ("match", 4, 0))
        self.assertIn("山田 太郎", blocks[0]["text"])
        # romanised only: it cannot be compared with a name in kanji, the date of birth decides
        files = [mg_file("5%02d" % (i + 10), "Yamada^Tarou", "19700101", 3, 8, "L CC") for i in range(2)]
        pc2, rid2 = self.request_with("山田 太郎", "1970-01-01", files)
        v = verdict_block(rh.records_page(pc2, rid2))
        self.assertEqual((v["verdict"], v["files"], v["unsure"]), ("probably", 2, 2))
        self.assertIn("written in another script", v["text"])

    def test_twin_with_same_birth_date_warns(self):
        files = [mg_file("6%02d" % i, "DOE^JOHN" if i == 0 else "DOE^JANE", "19700101", 4, 6, "R CC")
                 for i in range(4)]
        pc, rid = self.request_with("Jane Doe", "1970-01-01", files)
        v = verdict_block(rh.records_page(pc, rid))
        self.assertEqual((v["verdict"], v["files"], v["other"]), ("different", 4, 1))
        self.assertIn("same family name and date of birth, but a different given name", v["text"])

    def test_maiden_name_asks_to_check(self):
        files = [mg_file("7%02d" % i, "SMITH^JANE", "19700101", 5, 7, "R CC") for i in range(2)]
        pc, rid = self.request_with("Jane Doe", "1970-01-01", files)
        v = verdict_block(rh.records_page(pc, rid))
        self.assertEqual((v["verdict"], v["files"], v["other"], v["unsure"]), ("probably", 2, 0, 2))
        self.assertIn("2 of 2 images need checking", v["text"])
        self.assertIn("maiden or married name", v["text"])

    def test_no_images_no_section(self):
        _, pc, rid = rh.new_patient_with_request(self.server, name="Jane Doe")
        self.assertNotIn('id="identity"', rh.records_page(pc, rid))
