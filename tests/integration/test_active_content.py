"""Active content and polyglots at intake (issue 10 item 7): a PDF with
JavaScript, a launch action or embedded files (also #xx-escaped, also inside
a compressed object stream, also inside a ZIP) is kept but flagged: staff and
reviewer see the warning, and every download is an attachment of a
non-rendering type. A file whose content is two types at once is refused with
a message that says so."""
import io
import re
import zipfile
import zlib

import harness
from accounts_helpers import login, make_user
from records_helpers import documents, new_patient_with_request, records_page, upload_bytes

PLAIN = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
         b"trailer<</Root 1 0 R>>\n%%EOF\n")
JS = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert\\(1\\))>>>>endobj\n"
      b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
ESCAPED_LAUNCH = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/L#61unch/F(cmd.exe)>>>>endobj\n"
                  b"trailer<</Root 1 0 R>>\n%%EOF\n")
OBJSTM_PAYLOAD = b"5 0 << /Names << /EmbeddedFiles 6 0 R >> /AA << /O << /S /Java#53cript /JS (x) >> >> >>"
OBJSTM = (b"%PDF-1.5\n4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
          + str(len(zlib.compress(OBJSTM_PAYLOAD))).encode() + b" >>\nstream\n" + zlib.compress(OBJSTM_PAYLOAD)
          + b"\nendstream\nendobj\ntrailer<</Root 5 0 R>>\n%%EOF\n")
PNG_HTML = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
            b"\x00\x00\x00\x20tEXt<html><script>alert(1)</script></html>")
JPEG_SCRIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00<script>alert(1)</script>\xff\xd9"


def zip_of(name, data):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return b.getvalue()


WARNING = "this PDF contains active content (%s); open it only in a safe viewer"


class ActiveContentTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        for data, name in ((PLAIN, "plain.pdf"), (JS, "js.pdf"), (ESCAPED_LAUNCH, "launch.pdf"), (OBJSTM, "objstm.pdf"),
                           (zip_of("inner/report.pdf", JS), "reports.zip"), (PNG_HTML, "picture.png"),
                           (JPEG_SCRIPT, "photo.jpg")):
            upload_bytes(cls.pc, cls.rid, data, name, kind="radiology_report" if name.endswith(".pdf") else "other")
        cls.docs = {row[1]: row for row in documents(cls.server, cls.rid)}
        cls.flags = dict(cls.server.sql("SELECT original_name, coalesce(active_content, '') FROM documents "
                                        "WHERE request_id = %s", cls.rid))

    def test_flags_truth_table(self):
        self.assertEqual(self.flags["plain.pdf"], "")
        self.assertEqual(self.flags["js.pdf"], "JavaScript")
        self.assertEqual(self.flags["launch.pdf"], "a launch action")
        self.assertEqual(self.flags["objstm.pdf"], "JavaScript, embedded files")
        self.assertEqual(self.flags["inner/report.pdf"], "JavaScript")
        for name in ("js.pdf", "launch.pdf", "objstm.pdf", "inner/report.pdf", "plain.pdf"):
            self.assertFalse(self.docs[name][3], name + " must be kept")

    def test_polyglots_refused_with_a_message(self):
        png = self.docs["picture.png"]
        self.assertTrue(png[4], "refused")
        self.assertEqual(png[5], "refused: its content is both a PNG picture and a web page (HTML), "
                                 "a disguise that can hide harmful content")
        jpg = self.docs["photo.jpg"]
        self.assertTrue(jpg[4])
        self.assertIn("both a JPEG picture and a web page (HTML)", jpg[5])
        page = re.sub(r"\s+", " ", records_page(self.pc, self.rid))
        self.assertIn("its content is both a PNG picture and a web page (HTML)", page)
        # nothing of a refused file is kept
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND refused AND file_id IS NOT NULL",
                                  self.rid)[0][0], 0)

    def test_download_is_never_rendered_inline(self):
        for name, ctype in (("js.pdf", "application/octet-stream"), ("objstm.pdf", "application/octet-stream"),
                            ("plain.pdf", "application/pdf")):
            r = self.pc.get("/requests/%d/documents/%d/download" % (self.rid, self.docs[name][0]))
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"), ctype, name)
            self.assertTrue(r.header("Content-Disposition").startswith("attachment"), name)
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")

    def test_long_pdf_is_scanned_at_its_end_too(self):
        # an incremental update at the end of a 2.5 MiB PDF adds the JavaScript: beyond the first MiB
        filler = b"%PDF-1.4\n" + b"% " + b"x" * (2_500_000) + b"\n"
        late = filler + b"9 0 obj<</Type/Catalog/OpenAction<</S/J#61vaScript/JS(x)>>>>endobj\n%%EOF\n"
        zipped = filler + zip_of("a.txt", b"hello")
        upload_bytes(self.pc, self.rid, late, "long.pdf", kind="radiology_report", chunk=1 << 20)
        upload_bytes(self.pc, self.rid, zipped, "long-zip.pdf", kind="radiology_report", chunk=1 << 20)
        rows = dict((r[1], r) for r in documents(self.server, self.rid))
        self.assertFalse(rows["long.pdf"][3])
        self.assertEqual(self.sql("SELECT active_content FROM documents WHERE request_id = %s AND original_name = "
                                  "'long.pdf'", self.rid)[0][0], "JavaScript")
        self.assertTrue(rows["long-zip.pdf"][4])
        self.assertIn("both a PDF and ZIP", rows["long-zip.pdf"][5])

    def test_staff_and_reviewer_see_the_warning(self):
        staff, reviewer = make_user(self.server, "staff"), make_user(self.server, "reviewer")
        self.sql("UPDATE requests SET status = 'in_review', assigned_reviewer_id = %s WHERE id = %s",
                 reviewer["id"], self.rid)
        try:
            sc = self.server.client()
            login(sc, staff)
            page = sc.get("/staff/requests/%d" % self.rid)
            self.assertEqual(page.status, 200)
            text = re.sub(r"\s+", " ", page.text)
            self.assertIn(WARNING % "JavaScript", text)
            self.assertIn(WARNING % "a launch action", text)
            rc = self.server.client()
            login(rc, reviewer)
            page = rc.get("/reviewer/cases/%d" % self.rid)
            self.assertEqual(page.status, 200)
            text = re.sub(r"\s+", " ", page.text)
            self.assertIn(WARNING % "JavaScript, embedded files", text)
            flagged = self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND active_content IS NOT NULL",
                               self.rid)[0][0]
            self.assertGreaterEqual(flagged, 4)  # js, launch, objstm, the PDF from the ZIP (and long.pdf)
            self.assertEqual(text.count("contains active content"), flagged)
        finally:
            self.sql("UPDATE requests SET status = 'draft', assigned_reviewer_id = NULL WHERE id = %s", self.rid)


if __name__ == "__main__":
    import unittest
    unittest.main()
