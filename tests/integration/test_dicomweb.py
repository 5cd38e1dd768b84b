"""DICOMweb read side (issue 14 item 1) over real HTTP: QIDO-RS searches with the standard keys,
WADO-RS retrieval whose parts are byte-identical to the uploaded files, metadata that agrees
with dcmdump on the stored files, frames (native and the original JPEG-LS bytes), rendered PNGs,
content negotiation as real clients send it, and access: another patient, an unassigned
reviewer, staff on a draft and no session get 401/404 with nothing revealed; every answer that
carries patient data is audited first (503 when it cannot be)."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, studies, upload_path

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "data"))
import gen_pixels  # noqa: E402

ROOT = "2.25.2024061712000000000000"
STUDY1, PRIOR = ROOT + ".1001", ROOT + ".1002"
SERIES1 = STUDY1 + "1"
VIEWS = ["R_CC", "R_MLO", "L_CC", "L_MLO"]
JSON = "application/dicom+json"
MULTI = 'multipart/related; type="application/dicom"'


def parts(r):
    """The parts of a multipart/related answer: [(headers dict, body bytes)]."""
    ct = r.header("Content-Type")
    m = re.search(r'boundary="?([^";]+)"?', ct)
    assert m, ct
    b = b"--" + m.group(1).encode()
    body = r.body
    assert body.endswith(b + b"--\r\n"), body[-80:]
    out = []
    for chunk in body.split(b)[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n"), chunk[:40]
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        h = {}
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            h[k.strip().lower()] = v.strip()
        assert int(h["content-length"]) == len(data)
        out.append((h, data))
    return out


def value(obj, tag):
    v = obj.get(tag, {}).get("Value")
    return v[0] if v else None


def dcmdump(path):
    """{tag: value text} of the top-level attributes dcmdump prints."""
    out = subprocess.run(["dcmdump", "-q", "+L", "-Un", path], check=True, capture_output=True, text=True,
                         errors="replace").stdout
    got = {}
    for line in out.splitlines():
        m = re.match(r"^\((\w{4}),(\w{4})\) (\w\w) (?:\[(.*?)\]|(\S+))", line)
        if m:
            tag = (m.group(1) + m.group(2)).upper()
            got.setdefault(tag, m.group(4) if m.group(4) is not None else m.group(5))
    return got


class DicomwebTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = studies()
        cls.tmp = tempfile.mkdtemp(prefix="sop-dw-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        cls.files = {}
        for v in VIEWS:
            p = os.path.join(s, "study1", v + ".dcm")
            upload_path(cls.pc, cls.rid, p)
            cls.files[v] = p
        for v in VIEWS:
            upload_path(cls.pc, cls.rid, os.path.join(s, "prior", v + ".dcm"), name="prior_" + v + ".dcm")
        # a six-frame native image and a three-frame JPEG-LS one (each its own study)
        rng = np.random.default_rng(14)
        arr = gen_pixels.image(rng, 32, 40, 6, 1, 14, False)
        cls.tomo = os.path.join(cls.tmp, "tomo.dcm")
        canon = gen_pixels.write(cls.tomo, arr, 16, 14, False, "MONOCHROME2", 0)
        cls.tomo_frames = [canon[i * len(canon) // 6:(i + 1) * len(canon) // 6] for i in range(6)]
        arr2 = gen_pixels.image(rng, 24, 20, 3, 1, 12, False)
        native2 = os.path.join(cls.tmp, "jls-native.dcm")
        gen_pixels.write(native2, arr2, 16, 12, False, "MONOCHROME2", 0)
        cls.jls = os.path.join(cls.tmp, "jls.dcm")
        subprocess.run(["dcmcjpls", native2, cls.jls], check=True)
        for p in (cls.tomo, cls.jls):
            upload_path(cls.pc, cls.rid, p)
        cls.tomo_ds = pydicom.dcmread(cls.tomo)
        cls.jls_ds = pydicom.dcmread(cls.jls)
        cls.sql_static("UPDATE requests SET status = 'submitted' WHERE id = %s", cls.rid)
        # someone else's study, and the people who must not see Jane's
        cls.other, cls.oc, cls.orid = new_patient_with_request(cls.server, name="Richard Roe")
        upload_path(cls.oc, cls.orid, os.path.join(s, "other", "R_CC.dcm"))
        cls.other_study = cls.sql_static("SELECT study_uid FROM studies WHERE request_id = %s", cls.orid)[0][0]
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.admin = make_user(cls.server, "admin")
        cls.sql_static("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                       cls.reviewer["id"], cls.rid)
        cls.c = {"patient": cls.pc, "other_patient": cls.oc}
        for name in ("staff", "reviewer", "other_reviewer", "admin"):
            cls.c[name] = cls.server.client()
            login(cls.c[name], getattr(cls, name))

    @classmethod
    def sql_static(cls, q, *p):
        return cls.server.sql(q, *p)

    def get(self, who, path, accept=None, **kw):
        h = {} if accept is None else {"Accept": accept}
        return self.c[who].get("/dicom-web" + path, headers=h, **kw)

    def qido(self, who, path, accept=JSON):
        r = self.get(who, path, accept)
        self.assertEqual(r.status, 200, (path, r.text[:300]))
        self.assertEqual(r.header("Content-Type"), JSON)
        return r.json()

    def uids(self, results, tag="0020000D"):
        return [value(o, tag) for o in results]

    def audits(self, action, actor):
        return self.sql("SELECT object_type, object_id, patient_id, outcome FROM audit_log WHERE action = %s AND "
                        "actor_id = %s ORDER BY id", action, actor["id"])

    # ---- QIDO-RS ----

    def test_a_studies_search_answers_annex_f_json(self):
        res = self.qido("patient", "/studies")
        tomo_study, jls_study = self.tomo_ds.StudyInstanceUID, self.jls_ds.StudyInstanceUID
        self.assertEqual(set(self.uids(res)), {STUDY1, PRIOR, tomo_study, jls_study})
        self.assertNotIn(self.other_study, self.uids(res))
        st = [o for o in res if value(o, "0020000D") == STUDY1][0]
        for k, v in st.items():
            self.assertRegex(k, r"^[0-9A-F]{8}$")
            self.assertIn("vr", v)
        self.assertEqual(st["00100010"], {"vr": "PN", "Value": [{"Alphabetic": "DOE^JANE"}]})
        self.assertEqual(st["00080020"], {"vr": "DA", "Value": ["20240315"]})
        self.assertEqual(value(st, "00080050"), "ACC1001")
        self.assertEqual(value(st, "00100020"), "SOP0001")
        self.assertEqual(st["00080061"], {"vr": "CS", "Value": ["MG"]})
        self.assertEqual(value(st, "00201206"), 1)
        self.assertEqual(value(st, "00201208"), 4)
        self.assertEqual(st["00080090"], {"vr": "PN"})  # required, empty
        self.assertTrue(value(st, "00081190").endswith("/dicom-web/studies/" + STUDY1))
        self.assertNotIn("00280010", st)  # Rows is not a study attribute, even with includefield=all
        self.assertNotIn("00280010", self.qido("patient", "/studies?includefield=all")[0])

    def test_b_matching_keys(self):
        cases = [
            ("PatientName=DOE*", {STUDY1, PRIOR}),
            ("PatientName=doe%5Ej%3Fne", {STUDY1, PRIOR}),  # case-insensitive, ? one character
            ("PatientName=DOE", set()),                      # no wildcard: the whole name
            ("PatientName=*JANE", {STUDY1, PRIOR}),
            ("00100010=D*E%5EJ*", {STUDY1, PRIOR}),
            ("StudyDate=20240101-20241231", {STUDY1}),
            ("StudyDate=-20230101", {PRIOR}),
            ("StudyDate=20220310", {PRIOR}),
            ("StudyDate=20240316-", set()),
            ("AccessionNumber=ACC1002", {PRIOR}),
            ("StudyInstanceUID=" + STUDY1, {STUDY1}),
            ("StudyInstanceUID=" + self.other_study, set()),  # another patient's: nothing
            ("StudyInstanceUID=%s,%s,%s" % (STUDY1, PRIOR, self.other_study), {STUDY1, PRIOR}),  # a UID list
            ("StudyInstanceUID=%s%%5C%s" % (STUDY1, PRIOR), {STUDY1, PRIOR}),                      # backslashes
            ("PatientID=SOP0001", {STUDY1, PRIOR}),
            ("ModalitiesInStudy=MG&PatientName=DOE*", {STUDY1, PRIOR}),
            ("ModalitiesInStudy=US", set()),
            ("PatientName=DOE*&StudyDate=20240315&AccessionNumber=ACC1001", {STUDY1}),
        ]
        for q, want in cases:
            self.assertEqual(set(self.uids(self.qido("patient", "/studies?" + q))), want, q)
        # limit and offset page through a stable order (newest first)
        all_ = self.uids(self.qido("patient", "/studies?PatientName=DOE*"))
        self.assertEqual(all_, [STUDY1, PRIOR])
        self.assertEqual(self.uids(self.qido("patient", "/studies?PatientName=DOE*&limit=1")), [STUDY1])
        self.assertEqual(self.uids(self.qido("patient", "/studies?PatientName=DOE*&limit=1&offset=1")), [PRIOR])
        # includefield adds attributes; a matching key is returned
        st = self.qido("patient", "/studies?StudyInstanceUID=%s&includefield=StudyDescription" % STUDY1)[0]
        self.assertEqual(value(st, "00081030"), "MAMMO SCREENING BILATERAL")
        # bad input: 400 that says what is wrong
        for q, word in (("NoSuchKey=1", "NoSuchKey"), ("StudyDate=2024", "StudyDate"), ("limit=0", "limit"),
                        ("offset=-1", "offset"), ("SOPInstanceUID=1.2", "SOPInstanceUID"),
                        ("StudyInstanceUID=abc", "UID")):
            r = self.get("patient", "/studies?" + q, JSON)
            self.assertEqual(r.status, 400, q)
            self.assertIn(word, r.json()["error"]["message"], q)

    def test_c_series_and_instances(self):
        se = self.qido("patient", "/studies/%s/series" % STUDY1)
        self.assertEqual(self.uids(se, "0020000E"), [SERIES1])
        self.assertEqual(value(se[0], "00080060"), "MG")
        self.assertEqual(value(se[0], "00201209"), 4)
        self.assertEqual(value(se[0], "00200011"), 1)
        for path in ("/studies/%s/series/%s/instances" % (STUDY1, SERIES1), "/studies/%s/instances" % STUDY1):
            inst = self.qido("patient", path)
            self.assertEqual([value(o, "00200013") for o in inst], [1, 2, 3, 4], path)
            self.assertEqual([value(o, "00080018") for o in inst], [SERIES1 + str(i) for i in range(1, 5)])
            self.assertEqual(value(inst[0], "00280010"), 64)
            self.assertEqual(value(inst[0], "00080016"), "1.2.840.10008.5.1.4.1.1.1.2")
        one = self.qido("patient", "/studies/%s/instances?SOPInstanceUID=%s3" % (STUDY1, SERIES1))
        self.assertEqual(len(one), 1)
        self.assertEqual(self.qido("patient", "/series?Modality=MG&PatientName=DOE*").__len__(), 2)
        # a series of another study is not found under this one
        self.assertEqual(self.qido("patient", "/studies/%s/series/%s/instances" % (PRIOR, SERIES1)), [])

    def test_d_accept_for_json(self):
        for accept in (None, "*/*", JSON, "application/json", "application/dicom+json; q=0.9, text/html; q=0.1"):
            r = self.get("patient", "/studies?limit=1", accept)
            self.assertEqual(r.status, 200, accept)
        self.assertEqual(self.get("patient", "/studies?limit=1", "application/json").header("Content-Type"),
                         "application/json")
        r = self.get("patient", "/studies", 'multipart/related; type="application/dicom+xml"')
        self.assertEqual(r.status, 406)
        self.assertIn("application/dicom+json", r.json()["error"]["message"])

    # ---- WADO-RS ----

    def test_e_retrieve_is_byte_identical(self):
        originals = {open(self.files[v], "rb").read() for v in VIEWS}
        for path in ("/studies/" + STUDY1, "/studies/%s/series/%s" % (STUDY1, SERIES1)):
            r = self.get("patient", path, MULTI)
            self.assertEqual(r.status, 200, r.text[:300])
            self.assertTrue(r.header("Content-Type").startswith(MULTI), r.header("Content-Type"))
            ps = parts(r)
            self.assertEqual({p[1] for p in ps}, originals)
            for h, _ in ps:
                self.assertEqual(h["content-type"], "application/dicom; transfer-syntax=1.2.840.10008.1.2.1")
        inst = "/studies/%s/series/%s/instances/%s2" % (STUDY1, SERIES1, SERIES1)
        want = open(self.files["R_MLO"], "rb").read()
        accepts = [None, "*/*", MULTI, "multipart/related; type=application/dicom",
                   'multipart/related;type="application/dicom";transfer-syntax=*',
                   'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1',
                   "multipart/related", 'text/html;q=0.5, multipart/related; type="application/dicom"; q=0.9']
        for a in accepts:
            r = self.get("patient", inst, a)
            self.assertEqual(r.status, 200, (a, r.text[:200]))
            self.assertEqual([p[1] for p in parts(r)], [want], a)
        # one instance may be asked for as a single application/dicom body; a study may not
        r = self.get("patient", inst, "application/dicom")
        self.assertEqual((r.status, r.header("Content-Type"), r.body), (200, "application/dicom", want))
        self.assertEqual(self.get("patient", inst, "application/dicom, multipart/related; q=0.5").body, want)
        r = self.get("patient", "/studies/" + STUDY1, "application/dicom")
        self.assertEqual(r.status, 406)
        self.assertIn("multipart/related", r.json()["error"]["message"])
        jls = self.get("patient", "/studies/%s/series/%s/instances/%s" % (
            self.jls_ds.StudyInstanceUID, self.jls_ds.SeriesInstanceUID, self.jls_ds.SOPInstanceUID), MULTI)
        self.assertEqual(parts(jls)[0][1], open(self.jls, "rb").read())
        for a in ('multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50',
                  'multipart/related; type="application/dicom+xml"', "image/png"):
            r = self.get("patient", inst, a)
            self.assertEqual(r.status, 406, a)
            self.assertNotIn(b"DICM", r.body)
            self.assertIn('available: multipart/related; type="application/dicom"', r.json()["error"]["message"], a)

    def test_f_metadata_agrees_with_dcmdump(self):
        meta = self.qido("patient", "/studies/%s/metadata" % STUDY1)
        self.assertEqual(len(meta), 4)
        by_sop = {value(m, "00080018"): m for m in meta}
        for i, v in enumerate(VIEWS, 1):
            m = by_sop[SERIES1 + str(i)]
            d = dcmdump(self.files[v])
            for tag in ("00080016", "00080018", "0020000D", "0020000E", "00080020", "00080030", "00080050",
                        "00080060", "00100020", "00100030", "00100040", "00200010", "00185101", "00200062",
                        "00280004"):
                self.assertEqual(value(m, tag), d[tag], (v, tag))
            self.assertEqual(value(m, "00100010")["Alphabetic"], d["00100010"])
            for tag in ("00280010", "00280011", "00280100", "00280101", "00280102", "00280103", "00280002",
                        "00200011", "00200013"):
                self.assertEqual(value(m, tag), int(d[tag]), (v, tag))
            for tag in ("00281050", "00281051"):
                self.assertEqual(value(m, tag), float(d[tag]), (v, tag))
            self.assertEqual(m["00200020"]["Value"], d["00200020"].split("\\"))
        one = self.qido("patient", "/studies/%s/series/%s/instances/%s1/metadata" % (STUDY1, SERIES1, SERIES1))
        self.assertEqual([value(m, "00080018") for m in one], [SERIES1 + "1"])
        tomo = self.qido("patient", "/studies/%s/metadata" % self.tomo_ds.StudyInstanceUID)[0]
        self.assertEqual(value(tomo, "00280008"), 6)

    def frames_path(self, ds, fl):
        return "/studies/%s/series/%s/instances/%s/frames/%s" % (ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                                                  ds.SOPInstanceUID, fl)

    def test_g_frames(self):
        octet = 'multipart/related; type="application/octet-stream"'
        for a in (None, "*/*", octet, "multipart/related; type=application/octet-stream; transfer-syntax=*"):
            r = self.get("patient", self.frames_path(self.tomo_ds, "2,5,1"), a)
            self.assertEqual(r.status, 200, (a, r.text[:300]))
            self.assertTrue(r.header("Content-Type").startswith(octet))
            self.assertEqual([p[1] for p in parts(r)],
                             [self.tomo_frames[1], self.tomo_frames[4], self.tomo_frames[0]], a)
        # JPEG-LS: the original compressed frames, with their own type
        want = list(generate_pixel_data_frame(self.jls_ds.PixelData, 3))
        for a in (None, "*/*", 'multipart/related; type="image/jls"', "multipart/related; type=image/x-jls",
                  'multipart/related; type="image/jls"; transfer-syntax=1.2.840.10008.1.2.4.80'):
            r = self.get("patient", self.frames_path(self.jls_ds, "3,1"), a)
            self.assertEqual(r.status, 200, (a, r.text[:300]))
            ps = parts(r)
            self.assertEqual([p[1].rstrip(b"\0") for p in ps], [want[2].rstrip(b"\0"), want[0].rstrip(b"\0")], a)
            self.assertIn("transfer-syntax=1.2.840.10008.1.2.4.80", ps[0][0]["content-type"])
        r = self.get("patient", self.frames_path(self.jls_ds, "1"), octet)
        self.assertEqual(r.status, 406)
        msg = r.json()["error"]["message"]
        self.assertIn("image/jls", msg)
        self.assertIn("1.2.840.10008.1.2.4.80", msg)
        for fl, word in (("7", "6 frames"), ("0", "start at 1"), ("1,,2", "frame"), ("x", "frame")):
            r = self.get("patient", self.frames_path(self.tomo_ds, fl))
            self.assertEqual(r.status, 400, fl)
            self.assertIn(word, r.json()["error"]["message"], fl)

    def test_h_rendered(self):
        path = "/studies/%s/series/%s/instances/%s1/rendered" % (STUDY1, SERIES1, SERIES1)

        def ready():
            r = self.get("patient", path, "image/png")
            return r if r.status == 200 else None

        r = harness.wait_for(ready, timeout=60, what="rendered image")
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertTrue(r.body.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertEqual(self.get("patient", path, "*/*").status, 200)
        self.assertEqual(self.get("patient", path.replace("/rendered", "/frames/1/rendered")).status, 200)
        # the same rendering as a JPEG when that is what the client prefers
        for a in ("image/jpeg", "image/png;q=0.5, image/jpeg"):
            r = self.get("patient", path, a)
            self.assertEqual((r.status, r.header("Content-Type")), (200, "image/jpeg"), a)
            self.assertTrue(r.body.startswith(b"\xff\xd8\xff") and r.body.endswith(b"\xff\xd9"))
        r = self.get("patient", path, "image/gif")
        self.assertEqual(r.status, 406)
        self.assertIn("image/png", r.json()["error"]["message"])
        self.assertIn("image/jpeg", r.json()["error"]["message"])

    # ---- access ----

    def paths(self):
        s = self.tomo_ds
        base = "/studies/%s/series/%s/instances/%s" % (s.StudyInstanceUID, s.SeriesInstanceUID, s.SOPInstanceUID)
        return ["/studies/" + STUDY1, "/studies/%s/metadata" % STUDY1, "/studies/%s/series" % STUDY1,
                "/studies/%s/instances" % STUDY1, "/studies/%s/series/%s" % (STUDY1, SERIES1),
                "/studies/%s/series/%s/metadata" % (STUDY1, SERIES1),
                "/studies/%s/series/%s/instances" % (STUDY1, SERIES1),
                base, base + "/metadata", base + "/frames/1", base + "/rendered"]

    def assert_hidden(self, who):
        self.assertEqual(self.qido(who, "/studies?PatientName=DOE*"), [])
        self.assertEqual(self.qido(who, "/studies?StudyInstanceUID=" + STUDY1), [])
        for p in self.paths():
            r = self.get(who, p)
            if p.endswith(("/series", "/instances")):  # a search under the study: nothing found
                self.assertEqual((r.status, r.json()), (200, []), (who, p))
                continue
            self.assertEqual(r.status, 404, (who, p, r.status))
            self.assertNotIn(b"DOE", r.body)
            self.assertNotIn(b"DICM", r.body)
            # exactly like a study that does not exist
            ghost = self.get(who, p.replace(STUDY1, "1.2.3.999").replace(self.tomo_ds.StudyInstanceUID, "1.2.3.999"))
            self.assertEqual(ghost.status, 404)
            self.assertEqual(r.json()["error"]["code"], ghost.json()["error"]["code"])
            self.assertEqual(r.json()["error"]["message"], ghost.json()["error"]["message"])

    def test_i_access(self):
        self.assert_hidden("other_patient")
        self.assert_hidden("other_reviewer")
        self.assertEqual(set(self.uids(self.qido("other_patient", "/studies"))), {self.other_study})
        # the assigned reviewer and staff see the request past draft
        for who in ("reviewer", "staff"):
            self.assertIn(STUDY1, self.uids(self.qido(who, "/studies")), who)
            self.assertEqual(self.get(who, "/studies/" + STUDY1).status, 200, who)
        # Richard's request is a draft: staff see none of it
        self.assertNotIn(self.other_study, self.uids(self.qido("staff", "/studies")))
        self.assertEqual(self.get("staff", "/studies/" + self.other_study).status, 404)
        self.sql("UPDATE requests SET status = 'draft' WHERE id = %s", self.rid)
        try:
            self.assert_hidden("staff")
            self.assert_hidden("reviewer")
        finally:
            self.sql("UPDATE requests SET status = 'in_review' WHERE id = %s", self.rid)
        # no session: 401 in JSON, never the login page
        anon = self.server.client()
        for p in ["/studies"] + self.paths():
            r = anon.get("/dicom-web" + p)
            self.assertEqual(r.status, 401, p)
            self.assertIsNone(r.header("Location"))
            self.assertEqual(r.json()["error"]["code"], "unauthenticated")
        # a role that reads no records
        self.assertEqual(self.get("admin", "/studies").status, 403)
        # a link on another site carries the cookie of a top-level GET: it reads nothing, audits nothing
        n = self.sql("SELECT count(*) FROM audit_log WHERE action LIKE 'dicomweb.%%' AND actor_id = %s",
                     self.patient["id"])[0][0]
        for p in ["/studies"] + self.paths():
            r = self.pc.get("/dicom-web" + p, headers={"Sec-Fetch-Site": "cross-site"})
            self.assertEqual(r.status, 403, p)
            self.assertNotIn(b"DOE", r.body)
            self.assertNotIn(b"DICM", r.body)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action LIKE 'dicomweb.%%' AND actor_id = %s",
                                  self.patient["id"])[0][0], n)
        for site in ("same-origin", "none"):
            self.assertEqual(self.pc.get("/dicom-web/studies", headers={"Sec-Fetch-Site": site}).status, 200)

    def test_j_audited_before_answering(self):
        before = len(self.audits("dicomweb.search", self.staff))
        self.qido("staff", "/studies?PatientName=DOE*")
        rows = self.audits("dicomweb.search", self.staff)[before:]
        self.assertEqual(rows, [("request", str(self.rid), self.patient["id"], "ok")])
        for action, path in (("dicomweb.retrieve", "/studies/" + STUDY1),
                             ("dicomweb.metadata", "/studies/%s/metadata" % STUDY1),
                             ("dicomweb.frames", self.frames_path(self.tomo_ds, "1"))):
            n = len(self.audits(action, self.reviewer))
            self.assertEqual(self.get("reviewer", path).status, 200, path)
            self.assertEqual(self.audits(action, self.reviewer)[n:],
                             [("request", str(self.rid), self.patient["id"], "ok")], action)
        # the patient reads who did it, in words, on the request's page
        page = self.pc.get("/requests/%d" % self.rid).text
        self.assertIn("found your images from a radiology workstation", page)
        self.assertIn("copied your images to a radiology workstation", page)
        self.assertIn("read the details of your images from a radiology workstation", page)
        self.assertIn("viewed your images from a radiology workstation", page)
        self.sql("REVOKE INSERT ON audit_log FROM secondop_app")
        try:
            for p in ["/studies", "/studies?PatientName=DOE*"] + self.paths():
                r = self.get("staff", p)
                self.assertEqual(r.status, 503, (p, r.status))
                self.assertNotIn(b"DOE", r.body)
                self.assertNotIn(b"DICM", r.body)
        finally:
            self.sql("GRANT INSERT ON audit_log TO secondop_app")

    def test_k_files_from_before_are_indexed_by_a_job(self):
        # as migration 0021 left a file taken in earlier: no attributes row, a job queued
        (fid, doc) = self.sql("SELECT encode(file_id, 'hex'), id FROM documents WHERE request_id = %s AND "
                              "sop_instance_uid = %s", self.rid, SERIES1 + "4")[0]
        self.sql("DELETE FROM dicom_attrs WHERE file_id = decode(%s, 'hex')", fid)
        m = [o for o in self.qido("patient", "/studies/%s/instances" % STUDY1) if value(o, "00080018") == SERIES1 + "4"]
        self.assertEqual(value(m[0], "00280010"), 64)  # still found, from the stored columns
        self.sql("INSERT INTO jobs (kind, payload, patient_id, max_attempts) VALUES ('dicomweb_index', %s, %s, 3)",
                 str(doc), self.patient["id"])
        harness.wait_for(lambda: self.sql("SELECT count(*) FROM dicom_attrs WHERE file_id = decode(%s, 'hex')",
                                          fid)[0][0] == 1, timeout=30, what="the index job")
        meta = self.qido("patient", "/studies/%s/series/%s/instances/%s4/metadata" % (STUDY1, SERIES1, SERIES1))[0]
        self.assertEqual(value(meta, "00080050"), "ACC1001")
        self.assertEqual(value(meta, "00200013"), 4)

    def test_l_attributes_go_with_the_last_document_of_their_file(self):
        _, c, rid = new_patient_with_request(self.server, name="Jane Doe")
        upload_path(c, rid, os.path.join(studies(), "other", "L_CC.dcm"))
        (doc, fid) = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE request_id = %s", rid)[0]
        count = "SELECT count(*) FROM dicom_attrs WHERE file_id = decode(%s, 'hex')"
        self.assertEqual(self.sql(count, fid)[0][0], 1)
        # a third opinion's copy names the same file: the row stays while one document does
        self.sql("INSERT INTO documents (request_id, kind, original_name, sniffed_type, size, blake2b, file_id, "
                 "wrapped_dek, kek_version, sop_instance_uid) SELECT %s, kind, original_name, sniffed_type, size, "
                 "blake2b, file_id, wrapped_dek, kek_version, sop_instance_uid FROM documents WHERE id = %s",
                 self.orid, doc)
        self.sql("DELETE FROM documents WHERE id = %s", doc)
        self.assertEqual(self.sql(count, fid)[0][0], 1)
        self.sql("DELETE FROM documents WHERE file_id = decode(%s, 'hex')", fid)
        self.assertEqual(self.sql(count, fid)[0][0], 0)

    def test_m_one_uid_in_two_patients_records_is_never_mixed(self):
        # another patient uploads a copy of Jane's R_CC (her Study, Series and SOP Instance UIDs)
        _, c, rid = new_patient_with_request(self.server, name="Mallory Copy")
        upload_path(c, rid, self.files["R_CC"])
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", rid)
        sop = self.sql("SELECT sop_instance_uid FROM documents WHERE request_id = %s", rid)[0][0]
        # staff see every request: one result per patient, never one merged study or series
        found = self.qido("staff", "/studies?StudyInstanceUID=%s&includefield=00201208" % STUDY1)
        self.assertEqual(len(found), 2, found)
        self.assertEqual(sorted(value(o, "00201208") for o in found), [1, len(VIEWS)])
        found = self.qido("staff", "/studies/%s/series" % STUDY1)
        self.assertEqual(sorted(value(o, "00201209") for o in found if value(o, "0020000E") == SERIES1),
                         [1, len(VIEWS)])
        found = self.qido("staff", "/studies/%s/instances?SOPInstanceUID=%s" % (STUDY1, sop))
        self.assertEqual(len(found), 2)
        # and retrieving it as one is refused, with nothing of either patient in the answer
        before = len(self.audits("dicomweb.retrieve", self.staff))
        for path, accept in (("/studies/" + STUDY1, MULTI), ("/studies/%s/metadata" % STUDY1, JSON),
                             ("/studies/%s/series/%s" % (STUDY1, SERIES1), MULTI),
                             ("/studies/%s/series/%s/instances/%s" % (STUDY1, SERIES1, sop), MULTI),
                             ("/studies/%s/series/%s/instances/%s/frames/1" % (STUDY1, SERIES1, sop), None)):
            r = self.get("staff", path, accept)
            self.assertEqual(r.status, 409, (path, r.status, r.text[:200]))
            self.assertIn("more than one patient", r.text)
            self.assertNotIn(b"DICM", r.body)
            self.assertNotIn(b"DOE", r.body.upper())
        self.assertEqual(len(self.audits("dicomweb.retrieve", self.staff)), before)
        # each patient still gets her own images whole
        r = self.get("patient", "/studies/" + STUDY1, MULTI)
        self.assertEqual(r.status, 200, r.text[:200])
        self.assertEqual({p[1] for p in parts(r)}, {open(self.files[v], "rb").read() for v in VIEWS})
        r = c.get("/dicom-web/studies/" + STUDY1, headers={"Accept": MULTI})
        self.assertEqual(r.status, 200, r.text[:200])
        self.assertEqual([p[1] for p in parts(r)], [open(self.files["R_CC"], "rb").read()])

    def test_n_a_damaged_file_never_goes_out_whole(self):
        # each file is checked by its sealed records alone: a changed byte, the final record cut
        # off, or a size the store does not hold cuts the answer and is audited
        rng = np.random.default_rng(7)
        path = os.path.join(self.tmp, "big.dcm")
        gen_pixels.write(path, gen_pixels.image(rng, 300, 256, 1, 1, 12, False), 16, 12, False, "MONOCHROME2", 0)
        self.assertGreater(os.path.getsize(path), 2 * 65536)  # three records: two full, the final one
        want = open(path, "rb").read()

        def flip(p):
            with open(p, "r+b") as fh:
                fh.seek(48 + 24 + 5000)
                b = fh.read(1)
                fh.seek(-1, 1)
                fh.write(bytes([b[0] ^ 1]))

        def cut_final(p):
            os.truncate(p, 48 + 2 * 65576)

        damages = (("a byte changed", flip, None), ("the final record cut off", cut_final, None),
                   ("recorded size one short", None, "size = size - 1"),
                   ("recorded size one long", None, "size = size + 1"))
        for n, (what, on_file, on_row) in enumerate(damages):
            _, c, rid = new_patient_with_request(self.server, name="Jane Doe")
            upload_path(c, rid, path)
            (doc, fid, study, series, sop) = self.sql(
                "SELECT d.id, encode(d.file_id, 'hex'), st.study_uid, se.series_uid, d.sop_instance_uid "
                "FROM documents d JOIN series se ON se.id = d.series_id JOIN studies st ON st.id = se.study_id "
                "WHERE d.request_id = %s", rid)[0]
            inst = "/dicom-web/studies/%s/series/%s/instances/%s" % (study, series, sop)
            r = c.get(inst, headers={"Accept": MULTI})  # sound: whole, byte-identical
            self.assertEqual(r.status, 200, r.text[:200])
            self.assertEqual([p[1] for p in parts(r)], [want])
            if on_file:
                on_file(os.path.join(self.server.data_dir, "files", fid))
            if on_row:
                self.sql("UPDATE documents SET " + on_row + " WHERE id = %s", doc)
            for accept in (MULTI, "application/dicom"):
                try:
                    r = c.get(inst, headers={"Accept": accept})
                    whole = r.status == 200 and int(r.header("Content-Length")) == len(r.body)
                except Exception:
                    whole = False
                self.assertFalse(whole, (what, accept))
            harness.wait_for(lambda: self.sql(
                "SELECT count(*) FROM audit_log WHERE action = 'integrity_failure' AND object_id = %s AND "
                "detail::text LIKE %s", str(doc), "%dicomweb-%")[0][0] >= 2, timeout=20,
                what="integrity failures audited: " + what)


if __name__ == "__main__":
    harness.main()
