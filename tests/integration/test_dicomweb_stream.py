"""WADO-RS retrieval of a whole study as it is sent (issue 14, "Performance"): the files are opened
and decrypted on a read-ahead helper thread per retrieval ("wado-read"), so these check over
real HTTP what that must not change or leave behind: a record that fails its check in the middle
of a study still cuts the answer there (nothing of that record or after it goes out, and it is
audited), a client that goes away mid-retrieval leaves no thread behind, and many retrievals at
once run at most RA_MAX_THREADS helpers while every one of them still comes back whole."""
import concurrent.futures
import os
import re
import socket
import sys
import tempfile

import numpy as np
from pydicom.uid import generate_uid

import harness
from records_helpers import new_patient_with_request, upload_path

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "data"))
import gen_pixels  # noqa: E402

MULTI = 'multipart/related; type="application/dicom"'
RA_MAX_THREADS = 16  # server/core/dicomweb.c
HEADER, RECORD = 48, 65536 + 24 + 16  # the sealed file's header and one full record (store/blobfmt.h)


def write_study(tmp, name, n, rows, cols, seed):
    study, series = generate_uid(), generate_uid()
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        p = os.path.join(tmp, "%s%d.dcm" % (name, i))
        gen_pixels.write(p, gen_pixels.image(rng, rows, cols, 1, 1, 12, False), 16, 12, False, "MONOCHROME2", 0,
                         extra={"StudyInstanceUID": study, "SeriesInstanceUID": series, "InstanceNumber": i + 1})
        paths.append(p)
    return study, paths


class StreamTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="sop-dws-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        # three small files (three records each) and four larger ones (12 MiB in all: more than the
        # socket buffers and the read-ahead ring hold, so a client that does not read keeps the
        # helper waiting)
        cls.small, cls.small_paths = write_study(cls.tmp, "small", 3, 300, 256, 14)
        cls.large, cls.large_paths = write_study(cls.tmp, "large", 4, 1536, 1024, 15)
        for p in cls.small_paths + cls.large_paths:
            upload_path(cls.pc, cls.rid, p)

    def helpers(self):
        """The server's read-ahead threads now (from /proc: the names it gives them)."""
        d = "/proc/%d/task" % self.server.proc.pid
        n = 0
        for t in os.listdir(d):
            try:
                with open(os.path.join(d, t, "comm")) as fh:
                    n += fh.read().strip() == "wado-read"
            except FileNotFoundError:
                pass
        return n

    def open_get(self, path, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(60)
        s.connect(("127.0.0.1", self.server.port))
        cookie = "; ".join("%s=%s" % kv for kv in self.pc.cookies.items())
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: %s\r\nCookie: %s\r\nConnection: close\r\n\r\n"
                   % (path, MULTI, cookie)).encode())
        return s

    @staticmethod
    def read_all(s, head=b""):
        """(status, content length, body) of what arrives until the server closes or cuts."""
        chunks = [head]
        while True:
            try:
                c = s.recv(1 << 20)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
        s.close()
        raw = b"".join(chunks)
        if not raw:  # cut before anything went out
            return None, None, b""
        h, _, body = raw.partition(b"\r\n\r\n")
        status = int(h.split(b" ", 2)[1])
        m = re.search(rb"(?im)^content-length:\s*(\d+)", h)
        b = re.search(rb"(?im)^content-type:.*boundary=\"?([0-9a-f]{32})", h)
        if b:  # each answer has its own random boundary: one placeholder, to compare answers
            body = body.replace(b.group(1), b"B" * 32)
        return status, int(m.group(1)) if m else None, body

    def retrieve(self, study):
        return self.read_all(self.open_get("/dicom-web/studies/" + study))

    def file_id(self, path):
        sop = gen_pixels_sop(path)
        return self.sql("SELECT encode(file_id, 'hex'), id FROM documents WHERE sop_instance_uid = %s", sop)[0]

    def test_a_a_record_failing_mid_study_cuts_the_answer_there(self):
        status, length, sound = self.retrieve(self.small)
        self.assertEqual(status, 200)
        self.assertEqual(len(sound), length)
        files = [open(p, "rb").read() for p in self.small_paths]
        at = sorted((sound.index(f), i) for i, f in enumerate(files))
        self.assertEqual(len(at), 3)
        start, mid = at[1]  # the file sent second, whose second record is damaged
        self.assertGreater(len(files[mid]), 2 * 65536)
        cut = start + 65536  # where that record's bytes would begin in the answer
        fid, doc = self.file_id(self.small_paths[mid])
        with open(os.path.join(self.server.data_dir, "files", fid), "r+b") as fh:
            fh.seek(HEADER + RECORD + 24 + 100)
            b = fh.read(1)
            fh.seek(-1, 1)
            fh.write(bytes([b[0] ^ 1]))
        status, length2, got = self.retrieve(self.small)
        if status is not None:  # the headers went out before the damage was met: then cut short
            self.assertEqual((status, length2), (200, length))
            self.assertLess(len(got), length)
        self.assertLessEqual(len(got), cut)  # nothing of the damaged record or after it
        self.assertEqual(got, sound[:len(got)])
        self.assertNotIn(files[at[2][1]][-4096:], got)
        harness.wait_for(lambda: self.sql(
            "SELECT count(*) FROM audit_log WHERE action = 'integrity_failure' AND object_id = %s AND "
            "detail::text LIKE %s", str(doc), "%dicomweb-stream%")[0][0] >= 1, timeout=20,
            what="the integrity failure audited")
        harness.wait_for(lambda: self.helpers() == 0, timeout=20, what="no read-ahead thread left")

    def test_b_a_client_gone_mid_retrieval_leaves_no_thread(self):
        path = "/dicom-web/studies/" + self.large
        status, length, sound = self.retrieve(self.large)
        self.assertEqual((status, len(sound)), (200, length))
        self.assertGreater(length, 10 << 20)
        harness.wait_for(lambda: self.helpers() == 0, timeout=20, what="the finished retrieval's helper gone")
        for how in ("close", "reset"):
            s = self.open_get(path, rcvbuf=4096)
            first = s.recv(65536)
            self.assertTrue(first.startswith(b"HTTP/1.1 200"), first[:100])
            harness.wait_for(lambda: self.helpers() == 1, timeout=20, what="the helper waiting on the client")
            if how == "reset":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
            harness.wait_for(lambda: self.helpers() == 0, timeout=40, what="the helper gone (%s)" % how)
        # and the server still answers whole
        self.assertEqual(self.retrieve(self.large), (200, length, sound))

    def test_c_many_retrievals_at_once_are_bounded_and_whole(self):
        path = "/dicom-web/studies/" + self.large
        status, length, sound = self.retrieve(self.large)
        self.assertEqual((status, len(sound)), (200, length))
        socks = [self.open_get(path, rcvbuf=4096) for _ in range(RA_MAX_THREADS + 2)]
        heads = [s.recv(4096) for s in socks]
        seen = []

        def all_started():
            seen.append(self.helpers())
            return seen[-1] >= RA_MAX_THREADS

        harness.wait_for(all_started, timeout=40, what="the helpers started")
        self.assertLessEqual(max(seen), RA_MAX_THREADS)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        with concurrent.futures.ThreadPoolExecutor(len(socks)) as ex:  # all at once: none idles to its timeout
            got = list(ex.map(self.read_all, socks, heads))
        for g in got:  # the ones without a helper were read inline: whole too
            self.assertEqual(g, (200, length, sound))
        self.assertLessEqual(max(seen), RA_MAX_THREADS)
        harness.wait_for(lambda: self.helpers() == 0, timeout=20, what="every helper gone")


def gen_pixels_sop(path):
    import pydicom
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


if __name__ == "__main__":
    harness.main()
