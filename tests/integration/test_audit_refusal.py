"""No unaudited read of patient data: when the audit row of a read cannot be written, the read
is refused with a 503, and not one byte of the records leaves. The records page, a document's
download and the ZIPs of the request and of a study are tried with the server's database role
unable to add audit rows (revoked for the test, given back after)."""
import os

import harness
import records_helpers as rh


class AuditRefusalTest(harness.ServerTestCase):
    def test_reads_refused_without_their_audit_row(self):
        _, c, rid = rh.new_patient_with_request(self.server)
        secret = b"%PDF-1.4\n% a report only the patient and the center may read\n%%EOF\n"
        rh.upload_bytes(c, rid, secret, "report.pdf", kind="radiology_report")
        rh.upload_path(c, rid, os.path.join(rh.studies(), "study1", "R_CC.dcm"))
        docs = harness.wait_for(lambda: len(rh.documents(self.server, rid)) == 2 and rh.documents(self.server, rid),
                                timeout=60, what="both documents")
        pdf = [d[0] for d in docs if d[1] == "report.pdf"][0]
        (study,) = self.sql("SELECT id FROM studies WHERE request_id = %s", rid)[0]
        paths = ["/requests/%d/records" % rid, "/requests/%d/documents/%d/download" % (rid, pdf),
                 "/requests/%d/records.zip" % rid, "/requests/%d/studies/%d/records.zip" % (rid, study)]
        for p in paths:  # as they are with auditing working
            self.assertEqual(c.get(p).status, 200, p)
        self.sql("REVOKE INSERT ON audit_log FROM secondop_app")
        try:
            for p in paths:
                r = c.get(p)
                self.assertEqual(r.status, 503, (p, r.status))
                self.assertNotIn(b"only the patient and the center", r.body, p)
                self.assertNotIn(b"DICM", r.body, p)
        finally:
            self.sql("GRANT INSERT ON audit_log TO secondop_app")
        self.assertEqual(c.get(paths[1]).body, secret)


if __name__ == "__main__":
    harness.main()
