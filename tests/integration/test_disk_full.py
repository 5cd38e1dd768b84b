"""Disk full done right, on a real full volume: the server's data directory is a small tmpfs
(root only; the harness runs as root in CI), so the space check and ENOSPC are the kernel's own.

Proves: a creation refused with 507 creates nothing and does not claim anything was kept; a
PATCH that runs into ENOSPC half-way answers 507 saying how many bytes are kept (the committed
offset) and that the upload can be resumed, and its unsaved records are already gone from the
staging file when the answer arrives; the space check is not fooled by uncommitted bytes left
in a staging file (they are cut before the check), so once space is freed the same upload
resumes and completes with the exact SHA-256, without a restart."""
import hashlib
import http.client
import json
import os
import subprocess
import tempfile
import unittest

import harness
import records_helpers as rh

MIB = 1024 * 1024
VOLUME = 40 * MIB
RECORD = 65536
STRIDE = 24 + RECORD + 16  # a format-2 record on disk


def staging_size(committed):
    """On-disk size of a staging file at a committed offset (full records only)."""
    return 48 + ((committed - 1) // RECORD if committed else 0) * STRIDE


def payload(n, seed):
    out = bytearray(b"%PDF-1.4\n")
    block = hashlib.sha256(seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


def mounted_tmpfs():
    """A fresh tmpfs of VOLUME bytes, or None when this is not possible here."""
    if os.geteuid() != 0:
        return None
    base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
    d = tempfile.mkdtemp(prefix="sop-full-", dir=base)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % VOLUME, "tmpfs", d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        os.rmdir(d)
        return None
    return d


class DiskFullTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.vol = mounted_tmpfs()
        if not cls.vol:
            raise unittest.SkipTest("needs root to mount a small tmpfs as the data directory")
        # the store lives on the tmpfs (a later --data-dir wins); the log stays outside it
        cls.server_args = ("--data-dir", cls.vol)
        cls.server_env = {"SECONDOP_STORE_RESERVE_BYTES": "0"}
        cls.filler = os.path.join(cls.vol, "filler")
        try:
            super().setUpClass()
        except Exception:
            subprocess.run(["umount", cls.vol])
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            subprocess.run(["umount", cls.vol])
            os.rmdir(cls.vol)

    def setUp(self):
        self.user, self.c, self.req = rh.new_patient_with_request(self.server, name="Jane Doe")

    def tearDown(self):
        if os.path.exists(self.filler):
            os.unlink(self.filler)

    def free(self):
        st = os.statvfs(self.vol)
        return st.f_bavail * st.f_frsize

    def fill_to(self, free_left):
        """Grows (or shrinks) the filler file so that about free_left bytes stay free."""
        have = os.path.getsize(self.filler) if os.path.exists(self.filler) else 0
        size = max(0, have + self.free() - free_left)
        with open(self.filler, "ab") as f:
            f.truncate(have)
            left = size - have
            while left > 0:
                n = min(left, MIB)
                f.write(b"\0" * n)
                left -= n
        if size < have:
            os.truncate(self.filler, size)

    def fill_completely(self):
        with open(self.filler, "ab", buffering=0) as f:
            n = MIB
            while n >= 512:
                try:
                    f.write(b"\0" * n)
                except OSError:
                    n //= 2

    def error_message(self, r):
        return json.loads(r.body)["error"]["message"]

    def test_creation_507_says_nothing_was_kept(self):
        before = self.sql("SELECT count(*) FROM uploads")[0][0]
        self.fill_to(4 * MIB)
        r = rh.tus_create(self.c, self.req, 8 * MIB, "big.pdf", "other", expect=507)
        body = json.loads(r.body)
        self.assertEqual(body["error"]["code"], "insufficient_storage")
        msg = body["error"]["message"]
        self.assertNotIn("kept", msg.lower())
        self.assertIn("not started", msg)
        self.assertIn("nothing of this file was saved", msg)
        self.assertIsNone(r.header("Location"))
        self.assertEqual(self.sql("SELECT count(*) FROM uploads")[0][0], before)

    def test_patch_507_cleans_up_then_same_upload_resumes_without_restart(self):
        pid = self.server.proc.pid
        length, first = 12 * MIB, 4 * MIB
        data = payload(length, b"disk full")
        url = rh.tus_create(self.c, self.req, length, "full.pdf", "other", hashlib.sha256(data).digest())
        uid = url.rsplit("/", 1)[1]
        r = rh.tus_patch(self.c, url, 0, data[:first])
        self.assertEqual(r.status, 204)
        fid = self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s", uid)[0][0]
        staging = os.path.join(self.vol, "staging", fid)
        self.assertEqual(os.path.getsize(staging), staging_size(first))

        # a PATCH that passes the space check, then meets a full volume half-way
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        conn.putrequest("PATCH", url)
        headers = rh.tus_headers(self.c, {"Upload-Offset": str(first), "Content-Length": str(length - first),
                                          "Content-Type": "application/offset+octet-stream",
                                          "Cookie": "; ".join("%s=%s" % kv for kv in self.c.cookies.items())})
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        conn.send(data[first:first + 2 * MIB])
        harness.wait_for(lambda: os.path.getsize(staging) >= staging_size(first + 2 * MIB - RECORD), 60,
                         "the first 2 MiB written")
        self.fill_completely()
        conn.send(data[first + 2 * MIB:])
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        self.assertEqual(resp.status, 507, body[:300])
        msg = json.loads(body)["error"]["message"]
        self.assertIn("The first %d bytes" % first, msg)
        self.assertIn("can be resumed", msg)
        self.assertIn("Upload-Offset %d" % first, msg)
        # the unsaved records were cut before the answer was sent
        self.assertEqual(os.path.getsize(staging), staging_size(first))
        self.assertEqual(int(rh.tus_head(self.c, url).header("Upload-Offset")), first)

        # free just enough for the rest, and leave uncommitted bytes in the staging file (as a crash
        # mid-PATCH does): counted, they would leave too little room; they must not be counted
        rest = length - first
        need = rest + rest // 1024 + 4096
        os.unlink(self.filler)
        self.fill_to(need + 3 * MIB)
        with open(staging, "ab") as f:
            f.write(b"\1" * (4 * MIB))
        self.assertLess(self.free(), need)
        r = rh.tus_patch(self.c, url, first, data[first:])
        self.assertEqual(r.status, 204, r.text[:300])
        self.assertEqual(int(r.header("Upload-Offset")), length)
        self.assertEqual(rh.wait_checked(self.c, url)["state"], "complete")
        doc = self.sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", uid)[0]
        self.assertEqual(doc[1], hashlib.sha256(data).hexdigest())
        self.assertEqual(hashlib.sha256(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0])).body)
                         .hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertEqual(self.server.proc.pid, pid)  # no restart
        self.assertIsNone(self.server.proc.poll())
