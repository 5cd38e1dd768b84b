"""Interop: Orthanc's DICOMweb plugin (Debian's orthanc + orthanc-dicomweb, started here on
loopback with its own configuration and storage, as an unprivileged user when run as root) uses
our server as a remote DICOMweb server: it searches with QIDO-RS and retrieves a study with
WADO-RS (Orthanc sends Accept headers of its own), and the study arrives whole, each file
byte-identical to the upload. The remote authenticates with the patient's personal access token
(`Authorization: Bearer sop_…` in Orthanc's "HttpHeaders" for the server), made on her account
page, and each of Orthanc's requests is audited as a use of that token. Skipped where Orthanc or
its DICOMweb plugin is not installed (scripts/install-deps.sh --with-bench installs both)."""
import re
import os

import harness
from orthanc_helper import Orthanc, needs_orthanc
from records_helpers import new_patient_with_request, studies, upload_path
from test_dicomweb import SERIES1, STUDY1, VIEWS



@needs_orthanc
class OrthancClientTest(harness.ServerTestCase):
    pacs = None

    @classmethod
    def tearDownClass(cls):
        if cls.pacs:
            cls.pacs.remove()
        super().tearDownClass()

    def orthanc(self, headers):
        if self.pacs:
            self.pacs.remove()
        type(self).pacs = Orthanc(None, "secondop-test", {"secondop": {
            "Url": "http://127.0.0.1:%d/dicom-web/" % self.server.port, "HttpHeaders": headers}})
        return self.pacs.start()

    def call(self, url, path, body=None):
        return self.pacs.call(path, body)

    def test_orthanc_retrieves_a_study_whole(self):
        user, c, rid = new_patient_with_request(self.server, name="Jane Doe")
        files = {}
        for i, v in enumerate(VIEWS, 1):
            files[SERIES1 + str(i)] = os.path.join(studies(), "study1", v + ".dcm")
            upload_path(c, rid, files[SERIES1 + str(i)])
        self.assertEqual(c.get("/account/tokens").status, 200)
        r = c.post("/account/tokens", {"label": "Orthanc", "days": "1", "stepup_credential": user["password"]})
        self.assertEqual(r.status, 200, r.text[:300])
        token = re.search(r"sop_[A-Za-z0-9_-]{43}", r.text).group(0)
        url = self.orthanc({"Authorization": "Bearer " + token})
        # QIDO through Orthanc
        found = self.call(url, "/dicom-web/servers/secondop/qido", {"Uri": "/studies", "Arguments": {"PatientName": "DOE*"}})
        # Orthanc answers in its own simplified form: {"0020000D": {"Name": ..., "Value": "1.2..."}}
        self.assertEqual([s["0020000D"]["Value"] for s in found], [STUDY1])
        self.assertEqual([s["00100010"]["Value"] for s in found], ["DOE^JANE"])
        # WADO-RS: the whole study into Orthanc's own storage
        self.call(url, "/dicom-web/servers/secondop/retrieve", {"Resources": [{"Study": STUDY1}]})
        got = {}
        for oid in self.call(url, "/instances"):
            tags = self.call(url, "/instances/%s/simplified-tags" % oid)
            got[tags["SOPInstanceUID"]] = self.call(url, "/instances/%s/file" % oid)
        self.assertEqual(sorted(got), sorted(files))
        for sop, path in files.items():
            with open(path, "rb") as fh:
                self.assertEqual(got[sop], fh.read(), sop)
        # and it was audited as the patient's own retrieval
        n = self.sql("SELECT count(*) FROM audit_log WHERE action = 'dicomweb.retrieve' AND object_id = %s",
                     str(rid))[0][0]
        self.assertGreaterEqual(n, 1)
        # every request Orthanc made came with the token, and each is in the audit log
        uses = self.sql("SELECT count(*), count(DISTINCT detail->>'path') FROM audit_log "
                        "WHERE action = 'dicomweb.token_use' AND detail->>'label' = 'Orthanc'")[0]
        self.assertGreaterEqual(uses[0], 2)  # the search and at least one retrieval
        self.assertNotIn(token[4:], self.server.log_text())


if __name__ == "__main__":
    harness.main()
