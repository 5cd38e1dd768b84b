"""The center reads a patient's records: staff once the request is past
draft, a reviewer only when it is assigned to them; nobody but the patient
changes them. Each read is audited as the patient's data."""
import io
import zipfile

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, upload_bytes

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"


class CenterRecordsTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        upload_bytes(cls.pc, cls.rid, PDF, "report.pdf", kind="radiology_report")
        cls.doc = cls.server.sql("SELECT id FROM documents WHERE request_id = %s", cls.rid)[0][0]
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.c = {}
        for name, u in (("staff", cls.staff), ("reviewer", cls.reviewer), ("other_reviewer", cls.other_reviewer)):
            cls.c[name] = cls.server.client()
            login(cls.c[name], u)

    def download(self, client):
        return client.get("/requests/%d/documents/%d/download" % (self.rid, self.doc))

    def zip(self, client):
        return client.get("/requests/%d/records.zip" % self.rid)

    def test_who_may_read_in_each_state(self):
        # a draft is the patient's alone
        self.assertEqual(self.download(self.c["staff"]).status, 404)
        self.assertEqual(self.download(self.pc).status, 200)
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        r = self.download(self.c["staff"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, PDF)
        self.assertIn("attachment", r.header("Content-Disposition"))
        z = self.zip(self.c["staff"])
        self.assertEqual(z.status, 200)
        names = zipfile.ZipFile(io.BytesIO(z.body)).namelist()
        # the CD layout: the report under REPORTS/ and a README.TXT (no images: no DICOMDIR)
        self.assertEqual(names, ["README.TXT", "REPORTS/0001-report.pdf"])
        # reviewers: only when assigned
        self.assertEqual(self.download(self.c["reviewer"]).status, 404)
        self.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                 self.reviewer["id"], self.rid)
        self.assertEqual(self.download(self.c["reviewer"]).status, 200)
        self.assertEqual(self.download(self.c["other_reviewer"]).status, 404)
        self.assertEqual(self.zip(self.c["other_reviewer"]).status, 404)
        viewers = {row[0] for row in self.sql(
            "SELECT actor_id FROM audit_log WHERE patient_id = %s AND outcome = 'ok' AND actor_id <> %s",
            self.patient["id"], self.patient["id"])}
        self.assertEqual(viewers, {self.staff["id"], self.reviewer["id"]})
        denied = self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s AND outcome = 'denied'",
                          self.other_reviewer["id"])[0][0]
        self.assertGreaterEqual(denied, 2)

    def test_center_cannot_change_records(self):
        self.sql("UPDATE requests SET status = 'draft' WHERE id = %s", self.rid)
        before = self.sql("SELECT count(*) FROM documents WHERE request_id = %s", self.rid)[0][0]
        staff = self.c["staff"]
        staff.get("/account")
        r = staff.post("/requests/%d/documents/%d/delete" % (self.rid, self.doc), {})
        self.assertIn(r.status, (403, 404))
        r = staff.request("POST", "/api/v1/uploads", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "10", "X-CSRF-Token": staff.csrf or "",
            "Upload-Metadata": "request %s,kind b3RoZXI=,filename eC5wZGY=" % __import__("base64").b64encode(
                str(self.rid).encode()).decode()})
        self.assertIn(r.status, (403, 404))
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s", self.rid)[0][0], before)
