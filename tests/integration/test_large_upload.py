"""A large upload keeps the server's memory flat (issue 11, item 6): a 3 GiB
file (SECONDOP_TEST_LARGE_UPLOAD_BYTES overrides) goes through tus in 512 MiB
PATCHes while the server's resident memory is sampled; it may not grow by
more than 64 MiB over its level before the upload, and the file is taken in
whole (size and records digest recorded, and it downloads byte for byte). The 6 GiB run is a benchmark:
bench/upload.sh --rss-sizes 256M,6G."""
import hashlib
import http.client
import os
import threading
import time

import harness
import records_helpers as rh

SIZE = int(os.environ.get("SECONDOP_TEST_LARGE_UPLOAD_BYTES") or 3 << 30)
PATCH = 512 << 20
BLOCK = (b"%PDF-1.4\n" + hashlib.sha256(b"large").digest() * (1 << 15))[:1 << 20]  # 1 MiB, a PDF by content


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class LargeUploadTest(harness.ServerTestCase):
    def patch_stream(self, c, url, offset, length):
        """One PATCH of `length` bytes of the repeating block, streamed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=600)
        conn.putrequest("PATCH", url)
        for k, v in rh.tus_headers(c, {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                                        "Content-Length": str(length),
                                        "Cookie": "; ".join("%s=%s" % kv for kv in c.cookies.items())}).items():
            conn.putheader(k, v)
        conn.endheaders()
        pos = offset
        while pos < offset + length:
            i = pos % len(BLOCK)
            n = min(len(BLOCK) - i, offset + length - pos)
            conn.send(BLOCK[i:i + n])
            pos += n
        r = conn.getresponse()
        r.read()
        conn.close()
        return r

    def test_three_gib_with_flat_memory(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        url = rh.tus_create(c, req, SIZE, "tomo-export.pdf", "images")
        pid = self.server.proc.pid
        before = rss_kib(pid)
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak.append(rss_kib(pid))
                time.sleep(0.2)

        t = threading.Thread(target=sample)
        t.start()
        t0 = time.time()
        try:
            off = 0
            while off < SIZE:
                n = min(PATCH, SIZE - off)
                r = self.patch_stream(c, url, off, n)
                self.assertEqual(r.status, 204, r.status)
                off = int(r.getheader("Upload-Offset"))
                self.assertEqual(off, min(SIZE, off))
        finally:
            stop.set()
            t.join()
        secs = time.time() - t0
        grow = (max(peak) - before) / 1024.0
        print("\nlarge upload: %.2f GiB in %.1f s (%.0f MB/s), RSS %.1f MiB before, peak growth %.1f MiB, %d samples"
              % (SIZE / float(1 << 30), secs, SIZE / secs / 1e6, before / 1024.0, grow, len(peak)))
        self.assertLess(grow, 64.0, "resident memory grew by %.1f MiB during a %d-byte upload" % (grow, SIZE))
        st = rh.wait_checked(c, url, timeout=600)
        self.assertEqual((st["state"], st["outcome"]), ("complete", "accepted"))
        size, b2, kind, fid = self.sql("SELECT size, blake2b, digest_kind, encode(file_id, 'hex') FROM documents "
                                       "WHERE upload_id = %s", url.rsplit("/", 1)[1])[0]
        self.assertEqual(size, SIZE)
        # the records digest (kind 2), computed from the stored file's nonces and tags
        self.assertEqual((b2, kind), (rh.records_digest(rh.stored_file(self.server, fid)), 2))
        # and the whole plaintext reads back through the server, equal to what was sent (the
        # server checks every record and the digest before the first byte)
        doc_id = self.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0][0]
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=600)
        conn.request("GET", "/requests/%d/documents/%d/download" % (req, doc_id),
                     headers={"Cookie": "; ".join("%s=%s" % kv for kv in c.cookies.items())})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        got, want = hashlib.blake2b(digest_size=32), hashlib.blake2b(digest_size=32)
        n = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            got.update(chunk)
            n += len(chunk)
        conn.close()
        pos = 0
        while pos < SIZE:
            i = pos % len(BLOCK)
            k = min(len(BLOCK) - i, SIZE - pos)
            want.update(BLOCK[i:i + k])
            pos += k
        self.assertEqual((n, got.hexdigest()), (SIZE, want.hexdigest()))
