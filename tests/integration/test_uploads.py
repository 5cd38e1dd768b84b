"""tus 1.0.0 uploads into the encrypted store: every refusal the protocol
names, round trips, resume after a server restart, integrity, isolation
between patients, hostile file names, no plaintext at rest, key rotation."""
import base64
import hashlib
import http.client
import os
import re
import socket
import subprocess
import threading
import time
import zipfile
import io

import accounts_helpers
import harness
import records_helpers as rh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def payload(n, seed=b"x"):
    """n bytes that look like a PDF (so intake keeps them) and never repeat."""
    out = bytearray(PDF)
    h = seed
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


class TusProtocolTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Jane Doe")

    def test_options_advertises_protocol(self):
        r = self.server.client().request("OPTIONS", "/api/v1/uploads")
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Tus-Version"), "1.0.0")
        self.assertEqual(r.header("Tus-Resumable"), "1.0.0")
        exts = set(r.header("Tus-Extension").split(","))
        self.assertEqual(exts, {"creation", "termination", "checksum", "expiration"})
        self.assertEqual(r.header("Tus-Checksum-Algorithm"), "sha256")
        self.assertEqual(int(r.header("Tus-Max-Size")), 8 << 30)  # --max-file-size default

    def test_round_trip_in_chunks_then_download(self):
        data = payload(300000, b"round")
        url, r = rh.upload_bytes(self.c, self.req, data, "round.pdf", "radiology_report", chunk=70000)
        self.assertEqual(int(r.header("Upload-Offset")), len(data))
        self.assertIsNotNone(r.header("Upload-Expires"))
        h = rh.tus_head(self.c, url)
        self.assertEqual(h.status, 200)
        self.assertEqual(h.header("Upload-Offset"), str(len(data)))
        self.assertEqual(h.header("Upload-Length"), str(len(data)))
        self.assertEqual(h.header("Cache-Control"), "no-store")
        doc = self.sql("SELECT d.id, d.sha256, d.size FROM documents d JOIN uploads u ON u.id = d.upload_id "
                       "WHERE u.id = %s", url.rsplit("/", 1)[1])
        self.assertEqual(len(doc), 1)
        self.assertEqual(doc[0][1], hashlib.sha256(data).hexdigest())
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0][0]))
        self.assertEqual(d.status, 200)
        self.assertEqual(d.body, data)
        self.assertEqual(d.header("Content-Type"), "application/pdf")
        self.assertTrue(d.header("Content-Disposition").startswith('attachment; filename="round.pdf"'))
        self.assertEqual(d.header("X-Content-Type-Options"), "nosniff")
        audit = self.sql("SELECT action, outcome FROM audit_log WHERE object_type = 'document' AND object_id = %s",
                         str(doc[0][0]))
        self.assertIn(("document.download", "ok"), audit)

    def raw_patch_start(self, url, offset, length, first):
        """Opens a PATCH on its own connection and sends its headers and `first`."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
        head = ["PATCH %s HTTP/1.1" % url, "Host: 127.0.0.1", "Connection: close",
                "Cookie: " + "; ".join("%s=%s" % kv for kv in self.c.cookies.items())]
        head += ["%s: %s" % kv for kv in rh.tus_headers(self.c, {
            "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(length)}).items()]
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + first)
        return s

    @staticmethod
    def raw_response(s):
        r = http.client.HTTPResponse(s)
        r.begin()
        r.read()
        s.close()
        return r

    def test_patch_that_waited_for_the_lock_does_not_cut_what_the_holder_committed(self):
        """A retried PATCH can reach the server before the PATCH it retries (a
        client whose connection broke, on a loaded server): it waits for the
        lock with the offset it read before waiting. It must answer 409 from
        the offset committed meanwhile and leave the staging file alone; it
        used to reopen the file at its stale offset and cut acknowledged data."""
        data = payload(600000, b"lockrace")
        url = rh.tus_create(self.c, self.req, len(data), "race.pdf", "radiology_report")
        half = 300000
        a = self.raw_patch_start(url, 0, half, data[:half // 2])
        time.sleep(0.5)  # A holds the lock (ordering only: the assertions hold in any order)
        b = self.raw_patch_start(url, 0, half, b"")
        time.sleep(0.5)  # B read offset 0 and waits for the lock
        a.sendall(data[half // 2:half])
        ra = self.raw_response(a)
        self.assertEqual(ra.status, 204)
        self.assertEqual(ra.getheader("Upload-Offset"), str(half))

        def feed():
            try:
                b.sendall(data[:half])
            except OSError:
                pass  # answered before its body: nothing more to send
        t = threading.Thread(target=feed, daemon=True)
        t.start()
        rb = self.raw_response(b)
        t.join(30)
        self.assertEqual(rb.status, 409)
        h = rh.tus_head(self.c, url)
        self.assertEqual(h.header("Upload-Offset"), str(half))
        r = rh.tus_patch(self.c, url, half, data[half:])
        self.assertEqual(r.status, 204, r.text[:300])
        self.assertEqual(r.header("Upload-Offset"), str(len(data)))
        self.assertEqual(rh.wait_checked(self.c, url)["outcome"], "accepted")
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])
        self.assertEqual(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0][0])).body, data)

    def test_refusals_change_nothing(self):
        data = payload(1000, b"ref")
        url = rh.tus_create(self.c, self.req, len(data), "r.pdf", "other")
        uid = url.rsplit("/", 1)[1]

        def offset():
            return self.sql("SELECT \"offset\" FROM uploads WHERE id = %s", uid)[0][0]

        # wrong offset: 409
        r = rh.tus_patch(self.c, url, 5, data[:10])
        self.assertEqual(r.status, 409)
        # wrong content type: 415
        r = rh.tus_patch(self.c, url, 0, data[:10], {"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 415)
        # missing and wrong Tus-Resumable: 412 with Tus-Version
        h = {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", "X-CSRF-Token": self.c.csrf}
        r = self.c.request("PATCH", url, body=data[:10], headers=h)
        self.assertEqual(r.status, 412)
        self.assertEqual(r.header("Tus-Version"), "1.0.0")
        h["Tus-Resumable"] = "0.2.2"
        r = self.c.request("PATCH", url, body=data[:10], headers=h)
        self.assertEqual(r.status, 412)
        r = self.c.request("HEAD", url, headers={"Tus-Resumable": "2.0.0"})
        self.assertEqual(r.status, 412)
        # past Upload-Length: 413
        r = rh.tus_patch(self.c, url, 0, data + b"more")
        self.assertEqual(r.status, 413)
        # checksum mismatch: 460, nothing kept
        bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        r = rh.tus_patch(self.c, url, 0, data[:100], {"Upload-Checksum": "sha256 " + bad})
        self.assertEqual(r.status, 460)
        self.assertEqual(offset(), 0)
        # unsupported algorithm: 400
        r = rh.tus_patch(self.c, url, 0, data[:100], {"Upload-Checksum": "md5 1B2M2Y8AsgTpgAmY7PhCfg=="})
        self.assertEqual(r.status, 400)
        # malformed offsets: 400
        for bad_off in ("-1", "18446744073709551616", "1e3", "+5", "0x10", "", "5 5"):
            r = rh.tus_patch(self.c, url, bad_off, data[:10])
            self.assertEqual(r.status, 400, bad_off)
        # no CSRF header: 403
        r = self.c.request("PATCH", url, body=data[:10], headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        self.assertEqual(r.status, 403)
        self.assertEqual(offset(), 0)
        # a right checksum is accepted
        good = base64.b64encode(hashlib.sha256(data[:100]).digest()).decode()
        r = rh.tus_patch(self.c, url, 0, data[:100], {"Upload-Checksum": "sha256 " + good})
        self.assertEqual(r.status, 204)
        self.assertEqual(offset(), 100)

    def test_create_refusals(self):
        c = self.c
        r = c.request("POST", "/api/v1/uploads", headers=rh.tus_headers(c, {
            "Upload-Length": str((8 << 30) + 1), "Upload-Metadata": rh.metadata(self.req, "big.bin")}))
        self.assertEqual(r.status, 413)
        self.assertIn("8 GiB", r.text)
        for bad in ("-1", "1e3", "", "0x10", "18446744073709551616"):
            r = c.request("POST", "/api/v1/uploads", headers=rh.tus_headers(c, {
                "Upload-Length": bad, "Upload-Metadata": rh.metadata(self.req, "x")}))
            self.assertEqual(r.status, 400, bad)
        r = c.request("POST", "/api/v1/uploads", headers={"Upload-Length": "5", "X-CSRF-Token": c.csrf,
                                                          "Upload-Metadata": rh.metadata(self.req, "x")})
        self.assertEqual(r.status, 412)
        self.assertEqual(r.header("Tus-Version"), "1.0.0")
        r = c.request("POST", "/api/v1/uploads", headers=rh.tus_headers(c, {
            "Upload-Length": "5", "Upload-Metadata": "request !!!"}))
        self.assertEqual(r.status, 400)
        r = c.request("POST", "/api/v1/uploads", headers=rh.tus_headers(c, {
            "Upload-Length": "5", "Upload-Metadata": rh.metadata(self.req, "x", kind="nonsense")}))
        self.assertEqual(r.status, 400)
        # no session: 401
        anon = self.server.client()
        r = anon.request("POST", "/api/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5",
                                                             "Upload-Metadata": rh.metadata(self.req, "x")})
        self.assertEqual(r.status, 401)
        r = anon.request("HEAD", "/api/v1/uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa", headers={"Tus-Resumable": "1.0.0"})
        self.assertEqual(r.status, 401)

    def test_delete_then_404(self):
        url = rh.tus_create(self.c, self.req, 10, "d.pdf")
        self.assertEqual(rh.tus_patch(self.c, url, 0, PDF[:5]).status, 204)
        staging = rh.store_files(self.server)
        r = self.c.request("DELETE", url, headers=rh.tus_headers(self.c))
        self.assertEqual(r.status, 204)
        self.assertEqual(rh.tus_head(self.c, url).status, 404)
        self.assertEqual(self.c.request("DELETE", url, headers=rh.tus_headers(self.c)).status, 404)
        self.assertLess(len(rh.store_files(self.server)), len(staging))

    def test_expired_upload_is_gone(self):
        url = rh.tus_create(self.c, self.req, 10, "e.pdf")
        uid = url.rsplit("/", 1)[1]
        self.sql("UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = %s", uid)
        self.assertEqual(rh.tus_head(self.c, url).status, 404)
        self.assertEqual(rh.tus_patch(self.c, url, 0, b"12345").status, 404)

    def test_whole_file_sha256_mismatch_is_460(self):
        data = payload(5000, b"wf")
        url = rh.tus_create(self.c, self.req, len(data), "wf.pdf", "other", sha256=hashlib.sha256(b"no").digest())
        r = rh.tus_patch(self.c, url, 0, data)
        self.assertEqual(r.status, 460)
        uid = url.rsplit("/", 1)[1]
        self.assertEqual(self.sql("SELECT state FROM uploads WHERE id = %s", uid)[0][0], "failed")
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE upload_id = %s", uid)[0][0], 0)

    def test_another_patients_objects_are_404(self):
        data = payload(2000, b"iso")
        url, _ = rh.upload_bytes(self.c, self.req, data, "mine.pdf", "other")
        pending = rh.tus_create(self.c, self.req, 100, "pending.pdf")
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0][0]
        other, oc, oreq = rh.new_patient_with_request(self.server, name="Richard Roe")
        self.assertEqual(rh.tus_head(oc, pending).status, 404)
        self.assertEqual(rh.tus_patch(oc, pending, 0, b"x").status, 404)
        self.assertEqual(oc.request("DELETE", pending, headers=rh.tus_headers(oc)).status, 404)
        self.assertEqual(oc.get("/requests/%d/records" % self.req).status, 404)
        self.assertEqual(oc.get("/requests/%d/documents/%d/download" % (self.req, doc)).status, 404)
        self.assertEqual(oc.get("/requests/%d/documents/%d/download" % (oreq, doc)).status, 404)
        self.assertEqual(oc.get("/requests/%d/records.zip" % self.req).status, 404)
        self.assertEqual(oc.post("/requests/%d/documents/%d/delete" % (self.req, doc), {}).status, 404)
        rh.tus_create(oc, self.req, 10, "x.pdf", expect=404)
        self.assertNotIn("mine.pdf", rh.records_page(oc, oreq))
        self.assertEqual(rh.tus_head(self.c, pending).status, 200)

    def test_hostile_names_stored_safely(self):
        names = ["../../etc/passwd", "..%2f..%2f", "a\x00.pdf", "CON", "n" * 4096, "\u202Efdp.exe",
                 '"; filename=x.html']
        before = set(os.listdir(self.server.data_dir))
        for n in names:
            rh.upload_bytes(self.c, self.req, payload(600, n.encode()), n, "other")
        stored = [r[0] for r in self.sql("SELECT filename FROM uploads WHERE request_id = %s", self.req)]
        self.assertIn("../../etc/passwd", stored)
        self.assertIn("fdp.exe", stored)
        self.assertIn("a.pdf", stored)
        self.assertIn("n" * 255, stored)
        for s in stored:
            self.assertLessEqual(len(s.encode()), 255)
            self.assertNotIn("\u202e", s)
            self.assertNotIn("\x00", s)
        self.assertEqual(set(os.listdir(self.server.data_dir)), before)
        self.assertFalse(os.path.exists("/etc/passwd.pdf"))
        for f in rh.store_files(self.server):
            self.assertRegex(os.path.basename(f), r"^[0-9a-f]{32}$")
            self.assertEqual(os.stat(f).st_mode & 0o777, 0o600)
        for sub in ("files", "staging", "quarantine"):
            self.assertEqual(os.stat(os.path.join(self.server.data_dir, sub)).st_mode & 0o777, 0o700)
        doc = self.sql("SELECT id FROM documents WHERE original_name = %s AND request_id = %s",
                       '"; filename=x.html', self.req)[0][0]
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc))
        self.assertEqual(d.status, 200)
        self.assertEqual(d.header("Content-Disposition"),
                         "attachment; filename=\"__ filename=x.html\"; filename*=UTF-8''%22%3B%20filename%3Dx.html")
        # guessed store paths are not served
        for p in ("/files/", "/static/../files", "/data/files"):
            self.assertEqual(self.c.get(p).status, 404)


class StoreTest(harness.ServerTestCase):
    """Restart, tampering, plaintext at rest and key rotation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Jane Doe")

    def test_restart_mid_upload_then_resume(self):
        data = payload(400000, b"restart")
        url = rh.tus_create(self.c, self.req, len(data), "restart.pdf", "other", hashlib.sha256(data).digest())
        r = rh.tus_patch(self.c, url, 0, data[:150001])
        self.assertEqual(r.status, 204)
        acked = int(r.header("Upload-Offset"))
        self.assertEqual(acked, 150001)
        rh.restart(self.server, 9)  # kill -9
        h = rh.tus_head(self.c, url)
        self.assertEqual(h.status, 200)
        self.assertEqual(int(h.header("Upload-Offset")), acked)
        r = rh.tus_patch(self.c, url, acked, data[acked:])
        self.assertEqual(r.status, 204)
        rh.wait_checked(self.c, url)  # intake runs on a job worker after the 204
        doc = self.sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0]
        self.assertEqual(doc[1], hashlib.sha256(data).hexdigest())
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0]))
        self.assertEqual(d.body, data)

    def test_tampered_ciphertext_fails_with_500_and_audit(self):
        data = payload(200000, b"tamper")
        url, _ = rh.upload_bytes(self.c, self.req, data, "tamper.pdf", "other")
        doc, fid = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                            url.rsplit("/", 1)[1])[0]
        path = os.path.join(self.server.data_dir, "files", fid)
        with open(path, "r+b") as f:
            f.seek(100000)
            b = f.read(1)
            f.seek(100000)
            f.write(bytes([b[0] ^ 1]))
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc))
        self.assertEqual(d.status, 500)
        self.assertNotIn(data[:64], d.body)
        rows = self.sql("SELECT count(*) FROM audit_log WHERE action = 'integrity_failure' AND object_id = %s",
                        str(doc))
        self.assertGreaterEqual(rows[0][0], 1)
        # truncating the last record fails too
        with open(path, "r+b") as f:
            f.seek(100000)
            f.write(bytes([b[0]]))
        self.assertEqual(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc)).status, 200)
        os.truncate(path, os.path.getsize(path) - 10)
        self.assertEqual(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc)).status, 500)

    def test_no_plaintext_in_store_and_rotate_key(self):
        st = rh.studies()
        rh.upload_path(self.c, self.req, os.path.join(st, "study1", "R_CC.dcm"), "R_CC.dcm")
        rh.upload_path(self.c, self.req, os.path.join(st, "report.pdf"), "report.pdf", "radiology_report")
        texts = [b"DICM", b"%PDF", b"DOE^JANE", b"SECONDOP SYNTHETIC"]
        for f in rh.store_files(self.server):
            with open(f, "rb") as fh:
                blob = fh.read()
            for t in texts:
                self.assertNotIn(t, blob, "%s holds %r" % (f, t))
        docs = self.sql("SELECT id FROM documents WHERE request_id = %s AND NOT skipped ORDER BY id", self.req)
        before = {d[0]: self.c.get("/requests/%d/documents/%d/download" % (self.req, d[0])).body for d in docs}
        out = {}

        def rotate():
            out["r"] = accounts_helpers.run_cli(self.server, ["rotate-key"])

        rh.restart(self.server, between=rotate)
        r = out["r"]
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("rewrapped", r.stdout)
        keys = sorted(os.listdir(os.path.join(self.server.data_dir, "keys")))
        self.assertIn("master-2.key", keys)
        self.assertNotIn("master-1.key", keys)  # the old key is gone: only rewrapped keys can work
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE kek_version <> 2 AND NOT skipped")[0][0], 0)
        for doc_id, body in before.items():
            d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc_id))
            self.assertEqual(d.status, 200)
            self.assertEqual(d.body, body)

    def test_zip_of_request_streams_every_document(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Zip Person")
        a = payload(70000, b"za")
        b = payload(100, b"zb")
        rh.upload_bytes(c, req, a, "a.pdf", "other")
        rh.upload_bytes(c, req, b, "folder/b.pdf", "other")
        r = c.get("/requests/%d/records.zip" % req)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "application/zip")
        self.assertIn("attachment;", r.header("Content-Disposition"))
        z = zipfile.ZipFile(io.BytesIO(r.body))
        self.assertIsNone(z.testzip())
        names = z.namelist()
        # the CD layout: README.TXT first, then the documents under REPORTS/
        self.assertEqual(names, ["README.TXT", "REPORTS/0001-a.pdf", "REPORTS/0002-b.pdf"])
        self.assertEqual(z.read(names[1]), a)
        self.assertEqual(z.read(names[2]), b)
        self.assertTrue(all(not n.startswith("/") and ".." not in n for n in names))


class EmptyFileTest(harness.ServerTestCase):
    def test_zero_length_upload_completes_and_is_refused_as_unknown(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        url = rh.tus_create(c, req, 0, "empty.pdf", "other")
        r = rh.tus_patch(c, url, 0, b"")
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Upload-Offset"), "0")
        self.assertEqual(rh.wait_checked(c, url)["outcome"], "refused")
        uid = url.rsplit("/", 1)[1]
        self.assertEqual(self.sql("SELECT state FROM uploads WHERE id = %s", uid)[0][0], "complete")
        self.assertEqual(self.sql("SELECT refused, skip_reason FROM documents WHERE upload_id = %s", uid),
                         [(True, "refused: not a type we accept")])


class StreamingDigestTest(harness.ServerTestCase):
    """The records digest (digest kind 2: BLAKE2b over every sealed record's nonce and tag) and
    the declared SHA-256 are computed while bytes arrive: the running state is committed with
    each offset, sealed, and a resume after a kill continues it; a row without a usable state
    falls back to reading the file back. Every path must give the true digests, which the test
    computes from the stored file itself (records_helpers.records_digest)."""

    STATE_LEN = 24 + 12 + 8 + 40 + 384 + 104 + 16  # nonce, header, records digest (count, last record's nonce
    # and tag, BLAKE2b state), SHA-256 state, tag

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Jane Doe")

    def digests(self, url):
        uid = url.rsplit("/", 1)[1]
        return self.sql("SELECT encode(blake2b, 'hex'), encode(sha256, 'hex'), state, digest_state IS NULL "
                        "FROM uploads WHERE id = %s", uid)[0]

    def stored_digest(self, url):
        """(the digest computed from the stored file, the row's digest kind)"""
        uid = url.rsplit("/", 1)[1]
        fid, kind = self.sql("SELECT encode(file_id, 'hex'), digest_kind FROM uploads WHERE id = %s", uid)[0]
        return rh.records_digest(rh.stored_blob(self.server, fid)), kind

    def test_state_committed_with_offset_and_continued_after_kill(self):
        data = payload(700001, b"stream")
        url = rh.tus_create(self.c, self.req, len(data), "stream.pdf", "other", hashlib.sha256(data).digest())
        uid = url.rsplit("/", 1)[1]
        self.assertEqual(rh.tus_patch(self.c, url, 0, data[:65536 * 3 + 7]).status, 204)
        st, off = self.sql("SELECT digest_state, \"offset\" FROM uploads WHERE id = %s", uid)[0]
        self.assertEqual(off, 65536 * 3 + 7)
        self.assertEqual(len(bytes(st)), self.STATE_LEN)
        self.assertNotIn(data[:16], bytes(st))  # sealed: the buffered plaintext is not visible
        rh.restart(self.server, 9)
        off = int(rh.tus_head(self.c, url).header("Upload-Offset"))
        self.assertEqual(off, 65536 * 3 + 7)
        self.assertEqual(rh.tus_patch(self.c, url, off, data[off:500000]).status, 204)
        self.assertEqual(rh.tus_patch(self.c, url, 500000, data[500000:]).status, 204)
        rh.wait_checked(self.c, url)
        b2, sha, state, cleared = self.digests(url)
        self.assertEqual(state, "complete")
        self.assertTrue(cleared)
        self.assertEqual((b2, 2), self.stored_digest(url))
        self.assertNotEqual(b2, hashlib.blake2b(data, digest_size=32).hexdigest())
        self.assertEqual(sha, hashlib.sha256(data).hexdigest())
        doc = self.sql("SELECT id, blake2b, digest_kind FROM documents WHERE upload_id = %s", uid)[0]
        self.assertEqual(doc[1:], (b2, 2))
        self.assertEqual(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0])).body, data)

    def test_without_declared_sha256_only_the_records_digest(self):
        data = payload(200000, b"nosha")
        url = rh.tus_create(self.c, self.req, len(data), "nosha.pdf", "other")
        self.assertEqual(rh.tus_patch(self.c, url, 0, data[:100000]).status, 204)
        self.assertEqual(rh.tus_patch(self.c, url, 100000, data[100000:]).status, 204)
        rh.wait_checked(self.c, url)
        b2, sha, state, _ = self.digests(url)
        self.assertEqual(state, "complete")
        self.assertEqual((b2, 2), self.stored_digest(url))
        self.assertIsNone(sha)

    def test_missing_or_tampered_state_falls_back_to_read_back(self):
        for how in ("null", "tamper"):
            data = payload(300000, how.encode())
            url = rh.tus_create(self.c, self.req, len(data), how + ".pdf", "other", hashlib.sha256(data).digest())
            uid = url.rsplit("/", 1)[1]
            self.assertEqual(rh.tus_patch(self.c, url, 0, data[:100000]).status, 204)
            if how == "null":
                self.sql("UPDATE uploads SET digest_state = NULL WHERE id = %s", uid)
            elif how == "tamper":
                self.sql("UPDATE uploads SET digest_state = set_byte(digest_state, 30, get_byte(digest_state, 30) # 1) "
                         "WHERE id = %s", uid)
            self.assertEqual(rh.tus_patch(self.c, url, 100000, data[100000:200000]).status, 204)
            self.assertEqual(rh.tus_patch(self.c, url, 200000, data[200000:]).status, 204, how)
            rh.wait_checked(self.c, url)
            b2, sha, state, _ = self.digests(url)
            self.assertEqual(state, "complete", how)
            self.assertEqual((b2, 2), self.stored_digest(url), how)
            self.assertEqual(sha, hashlib.sha256(data).hexdigest(), how)

    def test_upload_checksum_sha256_per_patch(self):
        """tus checksum extension: a PATCH spanning several records with a wrong Upload-Checksum is
        refused with 460 and nothing of it is kept (offset, staging file, digest state); the same
        bytes with the right one are taken, and the file's digests are those of the bytes sent."""
        data = payload(5 * 65536 + 123, b"checksum")
        url = rh.tus_create(self.c, self.req, len(data), "cks.pdf", "other")
        uid = url.rsplit("/", 1)[1]
        first = data[:65536 + 10]
        ok = base64.b64encode(hashlib.sha256(first).digest()).decode()
        self.assertEqual(rh.tus_patch(self.c, url, 0, first, {"Upload-Checksum": "sha256 " + ok}).status, 204)
        fid, state0 = self.sql("SELECT encode(file_id, 'hex'), digest_state FROM uploads WHERE id = %s", uid)[0]
        # the staging file's size (on an object store the unfinished part lives in the row: its
        # offset and digest state below are what tell)
        local = not getattr(self.server, "store_get", None)
        staging = os.path.join(self.server.data_dir, "staging", fid)
        size0 = os.path.getsize(staging) if local else None
        rest = data[65536 + 10:]
        bad = base64.b64encode(hashlib.sha256(rest + b"x").digest()).decode()
        r = rh.tus_patch(self.c, url, 65536 + 10, rest, {"Upload-Checksum": "sha256 " + bad})
        self.assertEqual(r.status, 460)
        off, state1 = self.sql("SELECT \"offset\", digest_state FROM uploads WHERE id = %s", uid)[0]
        self.assertEqual(off, 65536 + 10)
        self.assertEqual(bytes(state1), bytes(state0))
        if local:
            self.assertEqual(os.path.getsize(staging), size0)  # the refused PATCH's records left the disk
        good = base64.b64encode(hashlib.sha256(rest).digest()).decode()
        self.assertEqual(rh.tus_patch(self.c, url, 65536 + 10, rest, {"Upload-Checksum": "sha256 " + good}).status,
                         204)
        rh.wait_checked(self.c, url)
        b2, sha, state, _ = self.digests(url)
        self.assertEqual(state, "complete")
        self.assertIsNone(sha)  # none declared for the whole file: no SHA-256 is kept
        self.assertEqual((b2, 2), self.stored_digest(url))
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", uid)[0][0]
        self.assertEqual(self.c.get("/requests/%d/documents/%d/download" % (self.req, doc)).body, data)

    def test_replayed_state_from_another_offset_is_not_used(self):
        data = payload(300000, b"replay")
        url = rh.tus_create(self.c, self.req, len(data), "replay.pdf", "other")
        uid = url.rsplit("/", 1)[1]
        self.assertEqual(rh.tus_patch(self.c, url, 0, data[:100000]).status, 204)
        old = bytes(self.sql("SELECT digest_state FROM uploads WHERE id = %s", uid)[0][0])
        self.assertEqual(rh.tus_patch(self.c, url, 100000, data[100000:200000]).status, 204)
        # the state sealed for offset 100000, replayed at offset 200000, must not open
        self.sql("UPDATE uploads SET digest_state = %s WHERE id = %s", old, uid)
        before = self.server.log_text().count("upload %s: digest state unusable" % uid)
        self.assertEqual(rh.tus_patch(self.c, url, 200000, data[200000:]).status, 204)
        self.assertEqual(self.digests(url)[0], self.stored_digest(url)[0])
        self.assertEqual(self.server.log_text().count("upload %s: digest state unusable" % uid), before + 1)


class RecordsOpenTest(harness.ServerTestCase):
    """Uploads are open while a draft and while the center asks for
    information (needs_info); removing documents stays draft-only."""

    def test_needs_info_accepts_uploads_but_not_deletions(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        rh.upload_bytes(c, req, payload(5000, b"first"), "first.pdf", "radiology_report")
        self.sql("UPDATE requests SET status = 'needs_info' WHERE id = %s", req)
        page = rh.records_page(c, req)
        self.assertIn('id="uploader"', page)
        data = payload(90000, b"asked")
        url, r = rh.upload_bytes(c, req, data, "asked-for.pdf", "pathology_report", chunk=40000)
        self.assertEqual(r.status, 204)
        doc = self.sql("SELECT id, kind FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])
        self.assertEqual(doc[0][1], "pathology_report")
        self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc[0][0])).body, data)
        # deleting stays draft-only: refused, and the document is still there
        self.assertNotIn("/delete", rh.records_page(c, req))
        self.assertEqual(c.post("/requests/%d/documents/%d/delete" % (req, doc[0][0]), {}).status, 409)
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE id = %s", doc[0][0])[0][0], 1)
        # once the information is sent (triage), uploads close again
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", req)
        self.assertNotIn('id="uploader"', rh.records_page(c, req))
        n = self.sql("SELECT count(*) FROM uploads WHERE request_id = %s", req)[0][0]
        # 423 (records closed) since the late-path work; it was 409 before
        r = rh.tus_create(c, req, 10, "late.pdf", "other", expect=423)
        self.assertEqual(r.status, 423)
        self.assertIn("records_closed", r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM uploads WHERE request_id = %s", req)[0][0], n)

    def test_photo_id_and_authorization_kinds(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        page = rh.records_page(c, req)
        self.assertIn('<option value="photo_id">Photo ID</option>', page)
        self.assertIn('<option value="authorization">Signed authorization form (paper)</option>', page)
        for kind, name, label in (("photo_id", "id-card.pdf", "Photo ID"),
                                  ("authorization", "signed-form.pdf", "Signed authorization form (paper)")):
            url, _ = rh.upload_bytes(c, req, payload(3000, kind.encode()), name, kind)
            self.assertEqual(self.sql("SELECT kind FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1]),
                             [(kind,)])
            page = rh.records_page(c, req)
            self.assertRegex(page, r'<td class="filename">%s</td><td>%s</td>' % (re.escape(name), re.escape(label)))
