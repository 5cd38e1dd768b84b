"""STOW-RS (issue 14 item 1) over real HTTP: staff attach instances pushed from the center's
own systems to a request with POST /dicom-web/studies?request=ID. The instances go through the
same intake as a patient's upload and are then found by QIDO-RS and retrieved byte-identical by
WADO-RS; chunked bodies, unquoted boundaries and parts without a Content-Type are taken; the
answer lists each instance in ReferencedSOPSequence (00081199) or FailedSOPSequence (00081198)
with PS3.18 status codes (200 all stored, 202 some, 409 none; 0x0111 already present, 0xC000
not DICOM, 0xA700 still being checked); who may (staff only: 403 for a patient or a reviewer,
401 without a session, the CSRF token required), which requests (past draft, not closed), a
malformed body (400) or one over the limits (413) keeps nothing, and a 200 MB body passes
through with flat server memory."""
import http.client
import os
import re
import tempfile
import threading
import time

import pydicom

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, store_files, studies

JSON = "application/dicom+json"
MULTI = 'multipart/related; type="application/dicom"'
VIEWS = ["R_CC", "R_MLO", "L_CC", "L_MLO"]
REF, FAILED, REASON, CLASS, INST, URL = "00081199", "00081198", "00081197", "00081150", "00081155", "00081190"


def body_of(parts, boundary="st0wB0undary", part_type=True):
    out = []
    for p in parts:
        out.append(b"--" + boundary.encode() + b"\r\n")
        if part_type:
            out.append(b"Content-Type: application/dicom\r\n")
        out.append(b"\r\n" + p + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return b"".join(out)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def fresh_instance(src, dst, sop_uid, study_uid=None, series_uid=None):
    """A copy of a study file with new UIDs (a new instance)."""
    ds = pydicom.dcmread(src)
    ds.SOPInstanceUID = sop_uid
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    if study_uid:
        ds.StudyInstanceUID = study_uid
    if series_uid:
        ds.SeriesInstanceUID = series_uid
    ds.save_as(dst, write_like_original=True)
    return dst


def value(obj, tag):
    v = obj.get(tag, {}).get("Value")
    return v[0] if v else None


def wado_parts(r):
    ct = r.header("Content-Type")
    m = re.search(r'boundary="?([^";]+)"?', ct)
    assert m, ct
    b = b"--" + m.group(1).encode()
    out = []
    for chunk in r.body.split(b)[1:-1]:
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        out.append(data)
    return out


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no " + key)


def reset_hwm(pid):
    """Resets the process's peak RSS to its current RSS (Linux: clear_refs 5)."""
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


class StowBase(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s = studies()
        cls.tmp = tempfile.mkdtemp(prefix="sop-stow-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        cls.server.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", cls.rid)
        cls.staff = make_user(cls.server, "staff")
        cls.sc = cls.server.client()
        login(cls.sc, cls.staff)
        cls.uid_seq = 0

    def new_uid(self):
        type(self).uid_seq += 1
        return "2.25.9914%d%06d" % (os.getpid() % 1000, type(self).uid_seq)

    def stow(self, client, body, rid=None, ctype=None, csrf=True, extra="", headers=None):
        h = {"Content-Type": ctype or 'multipart/related; type="application/dicom"; boundary="st0wB0undary"',
             "Accept": JSON}
        if csrf and client.csrf:
            h["X-CSRF-Token"] = client.csrf
        h.update(headers or {})
        q = "" if rid is False else "?request=%d%s" % (rid or self.rid, extra)
        return client.request("POST", "/dicom-web/studies" + q, body=body, headers=h)

    def stow_chunked(self, client, chunks, rid=None, ctype=None, extra=""):
        """The body sent with Transfer-Encoding: chunked (http.client encodes the iterator)."""
        h = {"Content-Type": ctype or 'multipart/related; type="application/dicom"; boundary="st0wB0undary"',
             "Accept": JSON, "X-CSRF-Token": client.csrf,
             "Cookie": "; ".join("%s=%s" % kv for kv in client.cookies.items())}
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=600)
        try:
            conn.request("POST", "/dicom-web/studies?request=%d%s" % (rid or self.rid, extra), body=iter(chunks),
                         headers=h, encode_chunked=True)
            resp = conn.getresponse()
            r = harness.Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        self.server.check_response(r)
        return r

    def doc_count(self, rid=None):
        return self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND NOT skipped", rid or self.rid)[0][0]

    def assert_stow_json(self, r, status):
        self.assertEqual(r.status, status, r.text[:600])
        self.assertEqual(r.header("Content-Type"), JSON)
        return r.json()


class StowTest(StowBase):
    def test_a_staff_stores_a_study_found_by_qido_and_byte_identical_by_wado(self):
        files = [os.path.join(self.s, "study1", v + ".dcm") for v in VIEWS]
        r = self.stow(self.sc, body_of([read(p) for p in files]))
        j = self.assert_stow_json(r, 200)
        self.assertNotIn(FAILED, j)
        items = j[REF]["Value"]
        self.assertEqual(len(items), 4)
        for p, it in zip(files, items):  # in body order
            ds = pydicom.dcmread(p)
            self.assertEqual(it[CLASS], {"vr": "UI", "Value": [ds.SOPClassUID]})
            self.assertEqual(it[INST], {"vr": "UI", "Value": [ds.SOPInstanceUID]})
            url = value(it, URL)
            self.assertEqual(url, "http://127.0.0.1:%d/dicom-web/studies/%s/series/%s/instances/%s" % (
                self.server.port, ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID))
            # WADO-RS: the very bytes that were sent
            w = self.sc.get(url[url.index("/dicom-web"):], headers={"Accept": MULTI})
            self.assertEqual(w.status, 200, w.text[:300])
            self.assertEqual(wado_parts(w), [read(p)])
        study = pydicom.dcmread(files[0]).StudyInstanceUID
        q = self.sc.get("/dicom-web/studies?StudyInstanceUID=" + study, headers={"Accept": JSON})
        self.assertEqual(q.status, 200)
        self.assertEqual([value(o, "0020000D") for o in q.json()], [study])
        self.assertEqual(value(q.json()[0], "00201208"), 4)
        # the patient sees them in their own request too, kind "images", taken in by intake
        q = self.pc.get("/dicom-web/studies/%s/instances" % study, headers={"Accept": JSON})
        self.assertEqual(len(q.json()), 4)
        rows = self.sql("SELECT d.kind, u.stow_part, u.owner_id, a.file_id IS NOT NULL FROM documents d "
                        "JOIN uploads u ON u.id = d.upload_id LEFT JOIN dicom_attrs a ON a.file_id = d.file_id "
                        "WHERE d.request_id = %s ORDER BY u.stow_part", self.rid)
        self.assertEqual(rows, [("images", i + 1, self.staff["id"], True) for i in range(4)])
        # audited: who, which request, how many
        a = self.sql("SELECT action, object_id, patient_id, outcome, detail FROM audit_log WHERE actor_id = %s AND "
                     "action LIKE 'dicomweb.store%%' ORDER BY id", self.staff["id"])
        self.assertEqual([(x[0], x[1], x[2], x[3]) for x in a],
                         [("dicomweb.store", str(self.rid), self.patient["id"], "ok"),
                          ("dicomweb.store.outcome", str(self.rid), self.patient["id"], "ok")])
        self.assertEqual(a[0][4]["parts"], 4)
        self.assertEqual((a[1][4]["stored"], a[1][4]["failed"]), (4, 0))
        # the patient reads it in "who opened my records", not as documents the staff member opened
        page = self.pc.get("/requests/%d/access" % self.rid).text
        self.assertIn("added images from the center&#39;s own systems", page.replace("&#x27;", "&#39;"))
        self.assertNotIn("opened a document", page)

    def test_b_chunked_unquoted_boundary_parts_without_type_as_priors(self):
        files = [os.path.join(self.s, "prior", v + ".dcm") for v in VIEWS]
        body = body_of([read(p) for p in files], boundary="plain-Bound4ry", part_type=False)
        chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)]
        r = self.stow_chunked(self.sc, chunks, ctype="multipart/related; type=application/dicom; boundary=plain-Bound4ry",
                              extra="&kind=prior_images")
        j = self.assert_stow_json(r, 200)
        self.assertEqual([value(it, INST) for it in j[REF]["Value"]],
                         [pydicom.dcmread(p).SOPInstanceUID for p in files])
        kinds = self.sql("SELECT DISTINCT d.kind FROM documents d JOIN uploads u ON u.id = d.upload_id "
                         "WHERE u.stow_id IS NOT NULL AND d.sop_instance_uid = %s", value(j[REF]["Value"][0], INST))
        self.assertEqual(kinds, [("prior_images",)])

    def test_c_non_dicom_part_is_202_with_failed_sop_sequence(self):
        new = fresh_instance(os.path.join(self.s, "study1", "R_CC.dcm"), os.path.join(self.tmp, "c.dcm"),
                             self.new_uid())
        r = self.stow(self.sc, body_of([read(os.path.join(self.s, "report.pdf")), read(new)]))
        j = self.assert_stow_json(r, 202)
        self.assertEqual([value(it, INST) for it in j[REF]["Value"]], [pydicom.dcmread(new).SOPInstanceUID])
        self.assertEqual(len(j[FAILED]["Value"]), 1)
        self.assertEqual(j[FAILED]["Value"][0][REASON], {"vr": "US", "Value": [0xC000]})
        # nothing of the PDF is kept as a document
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND sniffed_type = 'pdf' "
                                  "AND NOT skipped", self.rid)[0][0], 0)

    def test_d_all_bad_is_409(self):
        before = self.doc_count()
        r = self.stow(self.sc, body_of([read(os.path.join(self.s, "junk.bin")), b"not dicom at all"]))
        j = self.assert_stow_json(r, 409)
        self.assertNotIn(REF, j)
        self.assertEqual([it[REASON]["Value"][0] for it in j[FAILED]["Value"]], [0xC000, 0xC000])
        self.assertEqual(self.doc_count(), before)

    def test_d2_dicom_without_its_uids_is_a900(self):
        ds = pydicom.dcmread(os.path.join(self.s, "study1", "R_CC.dcm"))
        uid = self.new_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        del ds.SeriesInstanceUID
        path = os.path.join(self.tmp, "d2.dcm")
        ds.save_as(path, write_like_original=True)
        r = self.stow(self.sc, body_of([read(path)]))
        j = self.assert_stow_json(r, 409)
        it = j[FAILED]["Value"][0]
        self.assertEqual(it[REASON]["Value"], [0xA900])
        self.assertEqual((value(it, CLASS), value(it, INST)), (ds.SOPClassUID, uid))
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE sop_instance_uid = %s", uid)[0][0], 0)
        # a DICOMDIR is DICOM but no instance to store
        r = self.stow(self.sc, body_of([read(os.path.join(self.s, "cd", "DICOMDIR"))]))
        j = self.assert_stow_json(r, 409)
        self.assertEqual(j[FAILED]["Value"][0][REASON]["Value"], [0xA900])

    def test_e_no_type_parameter_and_no_dicom_part_is_415(self):
        r = self.stow(self.sc, body_of([b"hello"]), ctype="multipart/related; boundary=st0wB0undary")
        self.assertEqual(r.status, 415, r.text)
        self.assertIn("None of the parts is a DICOM instance", r.json()["error"]["message"])
        # without the type parameter, DICOM parts are taken
        new = fresh_instance(os.path.join(self.s, "study1", "L_CC.dcm"), os.path.join(self.tmp, "e.dcm"),
                             self.new_uid())
        r = self.stow(self.sc, body_of([read(new)]), ctype="multipart/related; boundary=st0wB0undary")
        self.assert_stow_json(r, 200)

    def test_f_duplicate_is_0111_and_changes_nothing(self):
        dup = os.path.join(self.s, "study1", "R_CC.dcm")  # stored by test_a
        ds = pydicom.dcmread(dup)
        before = self.sql("SELECT id, file_id FROM documents WHERE request_id = %s ORDER BY id", self.rid)
        r = self.stow(self.sc, body_of([read(dup)]))
        j = self.assert_stow_json(r, 409)
        it = j[FAILED]["Value"][0]
        self.assertEqual(it[REASON], {"vr": "US", "Value": [0x0111]})
        self.assertEqual(value(it, INST), ds.SOPInstanceUID)
        self.assertEqual(value(it, CLASS), ds.SOPClassUID)
        self.assertEqual(self.sql("SELECT id, file_id FROM documents WHERE request_id = %s ORDER BY id", self.rid),
                         before)
        # the same instance twice in one body, with a new one: the second copy is the duplicate
        new = fresh_instance(dup, os.path.join(self.tmp, "f.dcm"), self.new_uid())
        r = self.stow(self.sc, body_of([read(new), read(new)]))
        j = self.assert_stow_json(r, 202)
        self.assertEqual(len(j[REF]["Value"]), 1)
        self.assertEqual(j[FAILED]["Value"][0][REASON]["Value"], [0x0111])

    def test_g_who_may(self):
        body = body_of([read(os.path.join(self.s, "study1", "R_CC.dcm"))])
        reviewer = make_user(self.server, "reviewer")
        self.sql("UPDATE requests SET assigned_reviewer_id = %s WHERE id = %s", reviewer["id"], self.rid)
        rc = self.server.client()
        login(rc, reviewer)
        before = self.doc_count()
        for c, who in ((self.pc, "patient"), (rc, "reviewer")):
            r = self.stow(c, body)
            self.assertEqual(r.status, 403, (who, r.text))
            self.assertIn("Only the center's staff may store instances", r.json()["error"]["message"])
            self.assertIn("a %s cannot" % who, r.json()["error"]["message"])
        anon = self.server.client()
        r = self.stow(anon, body)
        self.assertEqual(r.status, 401, r.text)
        # staff without the session's CSRF token
        r = self.stow(self.sc, body, csrf=False)
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("CSRF", r.json()["error"]["message"])
        r = self.stow(self.sc, body, headers={"X-CSRF-Token": "x" * 43})
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(self.doc_count(), before)
        denied = self.sql("SELECT count(*) FROM audit_log WHERE action = 'dicomweb.store' AND outcome = 'denied' "
                          "AND actor_id IN (%s, %s)", self.patient["id"], reviewer["id"])[0][0]
        self.assertEqual(denied, 2)

    def test_h_which_requests(self):
        body = body_of([read(os.path.join(self.s, "study1", "R_CC.dcm"))])
        _, oc, draft = new_patient_with_request(self.server, name="Richard Roe")
        r = self.stow(self.sc, body, rid=draft)
        self.assertEqual(r.status, 404, r.text)
        self.assertIn("no request %d that the center can see" % draft, r.json()["error"]["message"])
        r = self.stow(self.sc, body, rid=987654321)
        self.assertEqual(r.status, 404, r.text)
        for st in ("closed", "withdrawn", "declined"):
            self.sql("UPDATE requests SET status = %s WHERE id = %s", st, draft)
            r = self.stow(self.sc, body, rid=draft)
            self.assertEqual(r.status, 409, (st, r.text))
            self.assertIn("is %s, so it takes no more images" % st, r.json()["error"]["message"])
        r = self.stow(self.sc, body, rid=False)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("?request=ID", r.json()["error"]["message"])
        r = self.stow(self.sc, body, extra="&kind=referral")
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s", draft)[0][0], 0)

    def test_i_wrong_media_type_is_415(self):
        body = body_of([read(os.path.join(self.s, "study1", "R_CC.dcm"))])
        for ct in ("application/dicom", "multipart/form-data; boundary=st0wB0undary",
                   'multipart/related; type="application/dicom+xml"; boundary=st0wB0undary'):
            r = self.stow(self.sc, body, ctype=ct)
            self.assertEqual(r.status, 415, (ct, r.text))
        # the answer's type is negotiated before anything is kept: XML only is 406, nothing stored
        before = self.sql("SELECT count(*) FROM uploads")[0][0]
        r = self.stow(self.sc, body, headers={"Accept": "application/dicom+xml"})
        self.assertEqual(r.status, 406, r.text)
        self.assertIn("STOW-RS answers application/dicom+json", r.json()["error"]["message"])
        self.assertEqual(self.sql("SELECT count(*) FROM uploads")[0][0], before)

    def test_j_malformed_is_400_and_keeps_nothing(self):
        good = read(os.path.join(self.s, "study1", "L_MLO.dcm"))
        files_before = len(store_files(self.server))
        uploads_before = self.sql("SELECT count(*) FROM uploads")[0][0]
        full = body_of([good, good])
        cases = [
            full[:-len(b"--st0wB0undary--\r\n")],                  # no close delimiter
            full[:len(full) // 2],                                 # cut in the middle of a part
            b"--st0wB0undary\r\nBroken header line\r\n\r\n" + good + b"\r\n--st0wB0undary--\r\n",
            b"--st0wB0undary\nContent-Type: application/dicom\n\n" + good + b"\n--st0wB0undary--\n",  # bare LF
            b"--st0wB0undary\r\nX: " + b"a" * 9000 + b"\r\n\r\n" + good + b"\r\n--st0wB0undary--\r\n",
            b"",
        ]
        for i, body in enumerate(cases):
            r = self.stow(self.sc, body)
            self.assertEqual(r.status, 400, (i, r.text[:300]))
        r = self.stow(self.sc, full, ctype='multipart/related; type="application/dicom"; boundary=')
        self.assertEqual(r.status, 400, r.text)
        r = self.stow_chunked(self.sc, [full[:5000], full[5000:-10]])
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("closing boundary", r.json()["error"]["message"])
        self.assertEqual(self.sql("SELECT count(*) FROM uploads")[0][0], uploads_before)
        self.assertEqual(len(store_files(self.server)), files_before)
        # each refused STOW-RS is audited, with how far it got
        failed = self.sql("SELECT detail FROM audit_log WHERE action = 'dicomweb.store' AND outcome = 'failed' "
                          "AND actor_id = %s ORDER BY id", self.staff["id"])
        self.assertEqual(len(failed), len(cases) + 1)  # the cases and the chunked one (the bad boundary: none begun)
        self.assertEqual(failed[0][0]["stored"], 0)
        self.assertEqual(failed[0][0]["parts"], 2)

    def test_k_large_body_keeps_server_memory_flat(self):
        """200 MB (ten 20 MB parts, chunked): the server's peak RSS grows by far less than the body."""
        block = os.urandom(1 << 20)
        pid = self.server.proc.pid
        # warm up: one small STOW so that lazily allocated pools exist before the measurement
        self.stow(self.sc, body_of([b"warm-up"]))
        reset_hwm(pid)  # the peak of earlier tests does not hide this one's
        before = vm(pid, "VmRSS")
        self.assertLessEqual(vm(pid, "VmHWM"), before + (1 << 20))

        def chunks():
            for k in range(10):
                yield b"--st0wB0undary\r\nContent-Type: application/dicom\r\n\r\n"
                for _ in range(20):
                    yield block
                yield b"\r\n"
            yield b"--st0wB0undary--\r\n"

        r = self.stow_chunked(self.sc, chunks())
        j = self.assert_stow_json(r, 409)  # random bytes are not DICOM: every part refused by intake
        self.assertEqual(len(j[FAILED]["Value"]), 10)
        growth = vm(pid, "VmHWM") - before
        print("\n  STOW 200 MiB chunked: server peak RSS (VmHWM) %.1f MiB above the RSS before" % (growth / 1048576),
              end=" ")
        self.assertLess(growth, 64 << 20)
        # intake refused them and deleted their bytes
        self.assertEqual(self.sql("SELECT count(*) FROM uploads WHERE length = %s AND stow_id IS NOT NULL "
                                  "AND state = 'complete' AND stow_status = %s", 20 << 20, 0xC000)[0][0], 10)


    def test_m_accept_application_json_and_any(self):
        for accept, want in (("application/json", "application/json"), ("*/*", JSON), (None, JSON)):
            new = fresh_instance(os.path.join(self.s, "study1", "L_MLO.dcm"), os.path.join(self.tmp, "m.dcm"),
                                 self.new_uid())
            h = {"Accept": accept} if accept else {"Accept": ""}
            r = self.stow(self.sc, body_of([read(new)]), headers=h)
            self.assertEqual(r.status, 200, (accept, r.text))
            self.assertEqual(r.header("Content-Type"), want)

    def test_l_per_request_service_root(self):
        """POST /dicom-web/requests/ID/studies: for clients that cannot add ?request=ID (Orthanc)."""
        new = fresh_instance(os.path.join(self.s, "study1", "R_MLO.dcm"), os.path.join(self.tmp, "l.dcm"),
                             self.new_uid())
        h = {"Content-Type": 'multipart/related; type="application/dicom"; boundary="st0wB0undary"',
             "Accept": JSON, "X-CSRF-Token": self.sc.csrf}
        r = self.sc.request("POST", "/dicom-web/requests/%d/studies" % self.rid, body=body_of([read(new)]), headers=h)
        j = self.assert_stow_json(r, 200)
        self.assertEqual(value(j[REF]["Value"][0], INST), pydicom.dcmread(new).SOPInstanceUID)
        r = self.sc.request("POST", "/dicom-web/requests/x1/studies", body=body_of([read(new)]), headers=h)
        self.assertEqual(r.status, 400, r.text)
        # GET there is not a search
        self.assertEqual(self.sc.get("/dicom-web/requests/%d/studies" % self.rid).status, 405)


class StowLimitsTest(StowBase):
    """Small limits (200 kB a file, 400 kB a request), intake jobs held back on demand, a 5 s wait,
    one STOW-RS at a time, and one HTTP thread: a STOW-RS waiting for intake must not hold it."""
    HOLD = os.path.join(tempfile.gettempdir(), "sop-stow-hold-%d" % os.getpid())
    server_args = ("--max-file-size", "200000", "--max-request-size", "400000", "--threads", "1")
    server_env = {"SECONDOP_TEST_JOBS_HOLD_FILE": HOLD, "SECONDOP_STOW_WAIT_SECONDS": "5",
                  "SECONDOP_STOW_MAX_CONCURRENT": "1"}

    def tearDown(self):
        if os.path.exists(self.HOLD):
            os.unlink(self.HOLD)

    def test_a_over_the_limits_is_413_and_keeps_nothing(self):
        small = read(os.path.join(self.s, "study1", "R_CC.dcm"))
        files_before = len(store_files(self.server))
        # declared: the body is larger than the request may still take (refused from the headers)
        r = self.stow(self.sc, body_of([small]) + b" " * 450000)
        self.assertEqual(r.status, 413, r.text[:300])
        self.assertIn("may not exceed", r.json()["error"]["message"])
        # chunked: one part over the largest file accepted
        big = body_of([small, b"x" * 250000])
        r = self.stow_chunked(self.sc, [big[i:i + 8192] for i in range(0, len(big), 8192)])
        self.assertEqual(r.status, 413, r.text[:300])
        self.assertIn("larger than the", r.json()["error"]["message"])
        # chunked: parts each under the file limit, together over the request's
        many = body_of([b"y" * 150000] * 3)
        r = self.stow_chunked(self.sc, [many[i:i + 8192] for i in range(0, len(many), 8192)])
        self.assertEqual(r.status, 413, r.text[:300])
        self.assertEqual(self.sql("SELECT count(*) FROM uploads WHERE request_id = %s", self.rid)[0][0], 0)
        self.assertEqual(len(store_files(self.server)), files_before)

    def test_b_instances_still_being_checked_are_0xA700_then_0x0111(self):
        open(self.HOLD, "w").close()
        f = os.path.join(self.s, "study1", "L_CC.dcm")
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", self.stow(self.sc, body_of([read(f)]))))
        t.start()
        try:
            # while that one waits for intake (its part is committed), a second STOW-RS is refused: one at a time
            harness.wait_for(lambda: self.sql("SELECT count(*) FROM uploads WHERE request_id = %s AND stow_id IS NOT "
                                              "NULL", self.rid)[0][0] == 1, what="the first STOW-RS to be committed")
            # the only HTTP thread still serves pages while the STOW-RS waits (parked, not blocking)
            self.assertEqual(self.sc.get("/dicom-web/studies", headers={"Accept": JSON}).status, 200)
            busy = self.stow(self.sc, body_of([read(f)]))
            self.assertNotIn("r", out)  # the first was still waiting (5 s) when the second was refused
            self.assertEqual(busy.status, 503, busy.text)
            self.assertEqual(busy.header("Retry-After"), "2")
            self.assertIn("as many STOW-RS requests as it takes at once", busy.json()["error"]["message"])
        finally:
            t.join()
        j = self.assert_stow_json(out["r"], 409)
        self.assertEqual(j[FAILED]["Value"][0][REASON]["Value"], [0xA700])
        os.unlink(self.HOLD)
        harness.wait_for(lambda: self.doc_count() == 1, what="intake of the held instance")
        r = self.stow(self.sc, body_of([read(f)]))
        j = self.assert_stow_json(r, 409)
        self.assertEqual(j[FAILED]["Value"][0][REASON]["Value"], [0x0111])
        self.assertEqual(value(j[FAILED]["Value"][0], INST), pydicom.dcmread(f).SOPInstanceUID)

    def test_z_shutdown_answers_a_waiting_stow_and_exits_cleanly(self):
        """The daemon cannot stop with a connection suspended: stopping wakes the waiting STOW-RS."""
        open(self.HOLD, "w").close()
        new = fresh_instance(os.path.join(self.s, "study1", "R_MLO.dcm"), os.path.join(self.tmp, "z.dcm"),
                             self.new_uid())
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", self.stow(self.sc, body_of([read(new)]))))
        t.start()
        try:
            harness.wait_for(lambda: self.sql("SELECT count(*) FROM uploads WHERE stow_sop_instance IS NULL AND "
                                              "state = 'checking' AND stow_id IS NOT NULL")[0][0] == 1,
                             what="the STOW-RS to be committed")
            self.assertNotIn("r", out)
            self.assertEqual(self.server.stop(), 0)
        finally:
            t.join()
        j = self.assert_stow_json(out["r"], 409)
        self.assertEqual(j[FAILED]["Value"][0][REASON]["Value"], [0xA700])
        self.server.assert_clean_exit()


if __name__ == "__main__":
    import unittest
    unittest.main()
