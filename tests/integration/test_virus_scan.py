"""The optional virus-scan hook (issue 10 item 7) against a real clamd:
the EICAR test file is quarantined (kept sealed, never taken in or served,
flagged for staff, the patient told in plain words); a clean file is taken
in; while clamd is unreachable a finished upload waits and is taken in once
the scanner answers again, never before."""
import os
import re
import time

import harness
from accounts_helpers import login, make_user
from clamd_helper import EICAR, SIGNATURE, Clamd
from records_helpers import documents, new_patient_with_request, records_page, upload_bytes, upload_status

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
MESSAGE = ("this file was flagged by the virus scanner and was not added; if you believe this is wrong, contact the "
           "center")


def squash(t):
    return re.sub(r"\s+", " ", t)


class VirusScanTest(harness.ServerTestCase):
    server_env = {"SECONDOP_TEST_SWEEP_SECONDS": "1"}

    @classmethod
    def setUpClass(cls):
        cls.clamd = Clamd()
        cls.server_args = ("--clamd-socket", cls.clamd.socket)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.clamd.destroy()

    def upload_row(self, req, name):
        return self.sql("SELECT state, coalesce(failure, ''), coalesce(virus_name, ''), quarantined_at IS NOT NULL,"
                        " scan_pending, encode(file_id, 'hex') FROM uploads WHERE request_id = %s AND filename = %s",
                        req, name)[0]

    def test_1_eicar_is_quarantined(self):
        patient, c, req = new_patient_with_request(self.server, name="Jane Doe")
        _, r = upload_bytes(c, req, EICAR, "eicar.pdf", kind="radiology_report")
        self.assertEqual(r.status, 204)  # the bytes are durable; the verdict is on the records page
        state, failure, virus, quarantined, pending, file_id = self.upload_row(req, "eicar.pdf")
        self.assertEqual((state, failure, quarantined, pending), ("failed", MESSAGE, True, False))
        self.assertTrue(virus.startswith(SIGNATURE), virus)
        self.assertEqual(documents(self.server, req), [])
        # kept sealed for the center: the file is in the store, and it is not the plaintext
        path = os.path.join(self.server.data_dir, "files", file_id[:2], file_id)
        stored = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.server.data_dir, "files"))
                  for f in fs if f.startswith(file_id)]
        self.assertEqual(len(stored), 1, stored or path)
        self.assertNotIn(b"EICAR", open(stored[0], "rb").read())
        page = squash(records_page(c, req))
        self.assertIn("eicar.pdf: " + MESSAGE, page)
        self.assertNotIn("upload it again", page)
        audit = self.sql("SELECT outcome, detail->>'virus' FROM audit_log WHERE action = 'upload.quarantine' "
                         "AND patient_id = %s", patient["id"])
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit[0][0], "denied")
        self.assertTrue(audit[0][1].startswith(SIGNATURE))
        # staff see it flagged
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", req)
        staff = make_user(self.server, "staff")
        sc = self.server.client()
        login(sc, staff)
        page = squash(sc.get("/staff/requests/%d" % req).text)
        self.assertIn("eicar.pdf: " + MESSAGE, page)

    def test_2_clean_file_is_taken_in(self):
        _, c, req = new_patient_with_request(self.server)
        upload_bytes(c, req, PDF, "report.pdf", kind="radiology_report")
        self.assertEqual([d[1] for d in documents(self.server, req)], ["report.pdf"])
        self.assertEqual(self.upload_row(req, "report.pdf")[:3], ("complete", "", ""))

    def test_3_unreachable_scanner_makes_the_file_wait(self):
        _, c, req = new_patient_with_request(self.server)
        self.clamd.stop()
        try:
            url, r = upload_bytes(c, req, PDF, "waiting.pdf", kind="radiology_report")
            self.assertEqual(r.status, 204)
            state, _, _, _, pending, _ = self.upload_row(req, "waiting.pdf")
            self.assertEqual((state, pending), ("checking", True))
            self.assertEqual(upload_status(c, url)["state"], "waiting")
            self.assertEqual(documents(self.server, req), [])
            page = squash(records_page(c, req))
            self.assertIn("waiting for the virus check", page)
            # the sweeper keeps trying; still nothing is taken in while clamd is down
            time.sleep(2.5)
            self.assertEqual(documents(self.server, req), [])
            _, r = upload_bytes(c, req, EICAR, "later-eicar.pdf", kind="radiology_report")
        finally:
            self.clamd.start()
        deadline = time.time() + 30
        while time.time() < deadline and self.upload_row(req, "waiting.pdf")[0] != "complete":
            time.sleep(0.2)
        self.assertEqual(self.upload_row(req, "waiting.pdf")[:1], ("complete",))
        self.assertEqual([d[1] for d in documents(self.server, req)], ["waiting.pdf"])
        while time.time() < deadline and self.upload_row(req, "later-eicar.pdf")[0] != "failed":
            time.sleep(0.2)
        row = self.upload_row(req, "later-eicar.pdf")
        self.assertEqual((row[0], row[1]), ("failed", MESSAGE))
        self.assertTrue(row[2].startswith(SIGNATURE))


if __name__ == "__main__":
    import unittest
    unittest.main()
