"""Interop: dicomweb-client (npm, in Node; the DICOMweb client OHIF uses) searches our QIDO-RS,
retrieves metadata, an instance and a frame over WADO-RS, once with a patient's session cookie and
once with her personal access token (`Authorization: Bearer`, through the client's headers
option, as OHIF is configured); what it gets agrees with dcmdump on the uploaded files and is
byte-identical to them, and every request made with the token is audited."""
import re
import hashlib
import json
import os
import shutil
import subprocess
import unittest

import harness
from records_helpers import new_patient_with_request, studies, upload_path
from test_dicomweb import SERIES1, STUDY1, VIEWS, dcmdump

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node")
MODS = os.path.join(harness.ROOT, "tests", "node_modules", "dicomweb-client")


@unittest.skipUnless(NODE and os.path.isdir(MODS), "node or dicomweb-client missing (npm install --prefix tests)")
class DicomwebClientTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, rid = new_patient_with_request(cls.server, name="Jane Doe")
        cls.files = {}
        for v in VIEWS:
            cls.files[SERIES1 + str(VIEWS.index(v) + 1)] = os.path.join(studies(), "study1", v + ".dcm")
            upload_path(cls.c, rid, cls.files[SERIES1 + str(VIEWS.index(v) + 1)])

    def test_dicomweb_client_reads_a_study_with_a_session(self):
        self.check(self.files, "; ".join("%s=%s" % kv for kv in self.c.cookies.items()))

    def test_dicomweb_client_reads_a_study_with_a_bearer_token(self):
        r = self.c.get("/account/tokens")
        self.assertEqual(r.status, 200)
        r = self.c.post("/account/tokens", {"label": "OHIF", "stepup_credential": self.user["password"]})
        self.assertEqual(r.status, 200, r.text[:300])
        token = re.search(r"sop_[A-Za-z0-9_-]{43}", r.text).group(0)
        fresh = self.server.client()  # no cookie anywhere: only the token
        self.assertEqual(fresh.get("/dicom-web/studies").status, 401)
        self.check(self.files, "Bearer " + token)
        tid = self.sql("SELECT id FROM access_tokens WHERE label = 'OHIF'")[0][0]
        paths = [p for (p,) in self.sql("SELECT detail->>'path' FROM audit_log WHERE action = 'dicomweb.token_use' "
                                        "AND object_id = %s ORDER BY id", str(tid))]
        self.assertEqual(len(paths), 6)  # three searches, metadata, the instance, the frame
        self.assertIn("/dicom-web/studies/%s/metadata" % STUDY1, paths)

    def check(self, files, credential):
        sop = SERIES1 + "2"
        out = subprocess.run([NODE, os.path.join(HERE, "dicomweb_client.mjs"),
                              "http://127.0.0.1:%d/dicom-web" % self.server.port, credential, STUDY1, SERIES1, sop],
                             capture_output=True, text=True, timeout=120, cwd=os.path.join(harness.ROOT, "tests"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertEqual(got["studies"], [STUDY1])
        self.assertEqual(got["names"], [{"Alphabetic": "DOE^JANE"}])
        self.assertEqual(got["series"], [SERIES1])
        self.assertEqual(got["instances"], [SERIES1 + str(i) for i in range(1, 5)])
        self.assertEqual(len(got["metadata"]), 4)
        for m in got["metadata"]:
            d = dcmdump(files[m["sop"]])
            self.assertEqual(m["rows"], int(d["00280010"]))
            self.assertEqual(m["columns"], int(d["00280011"]))
            self.assertEqual(m["bits_stored"], int(d["00280101"]))
            self.assertEqual(m["accession"], d["00080050"])
            self.assertEqual(m["name"], {"Alphabetic": d["00100010"]})
            self.assertEqual(m["date"], d["00080020"])
            self.assertEqual(m["number"], int(d["00200013"]))
        with open(files[sop], "rb") as f:
            data = f.read()
        self.assertEqual(got["instance_sha256"], hashlib.sha256(data).hexdigest())
        # frame 1 of a 64 x 64 16-bit image: the last 8192 bytes of the file are its Pixel Data
        self.assertEqual(got["frames"], [{"sha256": hashlib.sha256(data[-8192:]).hexdigest(), "bytes": 8192}])


if __name__ == "__main__":
    harness.main()
