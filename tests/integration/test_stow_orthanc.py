"""Interop: Orthanc as the center's PACS pushes a study to a request with its DICOMweb plugin's
STOW-RS client (POST /dicom-web/servers/{name}/stow). Orthanc (Debian's orthanc +
orthanc-dicomweb, started here on loopback with its own configuration and storage, as an
unprivileged user when run as root) has our per-request service root
(/dicom-web/requests/ID/) as its remote, since its STOW-RS client cannot add a query parameter,
and authenticates with a staff member's session cookie and CSRF token (its "HttpHeaders"; bearer
tokens are issue 14 item 2). Orthanc sends the body its own way (unquoted boundary) and fails
the whole job unless our answer lists every instance in ReferencedSOPSequence: the job
succeeds, the instances are in the request and WADO-RS returns each file byte-identical to
what Orthanc holds. Skipped where Orthanc or its DICOMweb plugin is not installed
(scripts/install-deps.sh --with-bench installs both)."""
import os
import urllib.error
import urllib.request

import pydicom

import harness
from orthanc_helper import Orthanc, needs_orthanc
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, studies
from test_stow import MULTI, VIEWS, wado_parts

@needs_orthanc
class OrthancStowTest(harness.ServerTestCase):
    pacs = None

    @classmethod
    def tearDownClass(cls):
        if cls.pacs:
            cls.pacs.remove()
        super().tearDownClass()

    def orthanc(self, remote_url, headers):
        if self.pacs:
            self.pacs.remove()
        type(self).pacs = Orthanc(None, "secondop-stow-test", {"secondop": {
            "Url": remote_url, "HttpHeaders": headers}})
        return self.pacs.start()

    def call(self, url, path, body=None, raw=None):
        return self.pacs.call(path, body, raw)

    def test_orthanc_pushes_a_study_with_stow_rs(self):
        patient, pc, rid = new_patient_with_request(self.server, name="Jane Doe")
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", rid)
        staff = make_user(self.server, "staff")
        sc = self.server.client()
        login(sc, staff)
        cookie = "; ".join("%s=%s" % kv for kv in sc.cookies.items())
        url = self.orthanc("http://127.0.0.1:%d/dicom-web/requests/%d/" % (self.server.port, rid),
                           {"Cookie": cookie, "X-CSRF-Token": sc.csrf})
        files = [os.path.join(studies(), "prior", v + ".dcm") for v in VIEWS]
        for p in files:
            with open(p, "rb") as fh:
                self.call(url, "/instances", raw=fh.read())
        study = pydicom.dcmread(files[0]).StudyInstanceUID
        oid = self.call(url, "/tools/lookup", raw=study.encode())[0]["ID"]
        # the synchronous push: Orthanc fails it unless every instance is in 00081199
        try:
            self.call(url, "/dicom-web/servers/secondop/stow", {"Resources": [oid], "Synchronous": True})
        except urllib.error.HTTPError as e:
            with open(os.path.join(self.dir, "orthanc.log")) as fh:
                log = fh.read()[-3000:]
            ours = [ln for ln in self.server.log_text().splitlines() if "stow" in ln][-5:]
            raise AssertionError("Orthanc's STOW-RS failed (%s): %s\n%s\n%s" % (e, e.read()[:500], log, ours))
        sops = sorted(pydicom.dcmread(p).SOPInstanceUID for p in files)
        got = self.sql("SELECT sop_instance_uid FROM documents WHERE request_id = %s AND NOT skipped "
                       "ORDER BY sop_instance_uid", rid)
        self.assertEqual([g[0] for g in got], sops)
        for p in files:
            ds = pydicom.dcmread(p)
            w = sc.get("/dicom-web/studies/%s/series/%s/instances/%s" % (
                ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID), headers={"Accept": MULTI})
            self.assertEqual(w.status, 200)
            oinst = self.call(url, "/tools/lookup", raw=ds.SOPInstanceUID.encode())[0]["ID"]
            self.assertEqual(wado_parts(w), [self.call(url, "/instances/%s/file" % oinst)])
        a = self.sql("SELECT detail FROM audit_log WHERE action = 'dicomweb.store.outcome' AND actor_id = %s",
                     staff["id"])
        self.assertEqual([(d[0]["stored"], d[0]["failed"]) for d in a], [(4, 0)])


if __name__ == "__main__":
    harness.main()
