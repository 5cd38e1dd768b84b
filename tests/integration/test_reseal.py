"""Blob format 2 and `secondop reseal` against a real server: files written
in format 1 (by tests/tools/blob_v1_tool, since the server writes only
format 2) still download; reseal converts them while the server keeps
serving, removes a temp file an interrupted run left, verifies, and a second
run finds nothing to do."""
import fcntl
import hashlib
import os
import subprocess

import accounts_helpers
import harness
import records_helpers as rh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOOL = os.path.join(os.path.dirname(harness.BIN), "tests", "blob_v1_tool")


def payload(n, seed):
    out = bytearray(PDF)
    h = seed
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def header_format(path):
    with open(path, "rb") as f:
        h = f.read(16)
    assert h[:8] == b"SOPBLOB1", path
    return int.from_bytes(h[8:12], "big")


class ResealTest(harness.ServerTestCase):
    def test_v1_files_read_and_reseal_beside_the_server(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Reseal Person")
        datas = {"big.pdf": payload(200000, b"big"), "small.pdf": payload(700, b"small")}
        for name, data in datas.items():
            rh.upload_bytes(c, req, data, name, "other")
        docs = self.sql("SELECT id, original_name, encode(file_id, 'hex'), encode(wrapped_dek, 'hex'), kek_version "
                        "FROM documents WHERE request_id = %s AND file_id IS NOT NULL ORDER BY id", req)
        self.assertEqual(len(docs), 2)
        files = os.path.join(self.server.data_dir, "files")
        keys = os.path.join(self.server.data_dir, "keys")
        paths = {}
        for doc_id, name, fid, wrapped, kv in docs:
            path = os.path.join(files, fid)
            self.assertEqual(header_format(path), 2)  # what the server writes now
            r = subprocess.run([TOOL, keys, path, fid, wrapped, str(kv)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(header_format(path), 1)
            paths[doc_id] = (path, name)
            # a row stored before 0032 holds the plaintext's BLAKE2b (digest kind 1), as every
            # format-1 file's row does
            self.sql("UPDATE documents SET digest_kind = 1, blake2b = %s WHERE id = %s",
                     hashlib.blake2b(datas[name], digest_size=32).hexdigest(), doc_id)

        def verify_store():
            r = accounts_helpers.run_cli(self.server, ["verify-store"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("2 rows, 2 files read", r.stdout)
            self.assertIn("sound, 0 problems", r.stdout)

        verify_store()  # old files with old digests verify

        def download(doc_id):
            d = c.get("/requests/%d/documents/%d/download" % (req, doc_id))
            self.assertEqual(d.status, 200)
            return d.body

        # format 1 still reads through the server
        for doc_id, (_, name) in paths.items():
            self.assertEqual(download(doc_id), datas[name])

        # an interrupted earlier run left a temp file
        some = next(iter(paths.values()))[0]
        with open(some + ".reseal", "wb") as f:
            f.write(b"partial copy")

        # a second reseal at the same time is refused and changes nothing
        with open(os.path.join(self.server.data_dir, "reseal.lock"), "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            r = accounts_helpers.run_cli(self.server, ["reseal"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("another secondop reseal is running", r.stderr)
        for path, _ in paths.values():
            self.assertEqual(header_format(path), 1)

        # reseal while the server runs (it holds the data directory lock)
        r = accounts_helpers.run_cli(self.server, ["reseal"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("resealing beside it", r.stderr)
        self.assertIn("reseal: 2 files to convert", r.stdout)
        self.assertIn("reseal: 1/2 files, ", r.stdout)
        self.assertIn("reseal: 2/2 files, ", r.stdout)
        self.assertIn("reseal: 2 converted, 0 already format 2, 0 deleted meanwhile, 0 failed", r.stdout)
        self.assertFalse(os.path.exists(some + ".reseal"))
        for doc_id, (path, name) in paths.items():
            self.assertEqual(header_format(path), 2)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            self.assertEqual(download(doc_id), datas[name])
        verify_store()  # the plaintext digest still holds after the rewrite
        # a kind-1 row whose plaintext digest is wrong is caught, by verify-store and the download
        bad_id = next(iter(paths))
        good = self.sql("SELECT blake2b FROM documents WHERE id = %s", bad_id)[0][0]
        self.sql("UPDATE documents SET blake2b = %s WHERE id = %s", hashlib.blake2b(b"x", digest_size=32).hexdigest(),
                 bad_id)
        r = accounts_helpers.run_cli(self.server, ["verify-store"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("document %d, file %s: decrypts, but its content does not match the database (BLAKE2b differs)"
                      % (bad_id, os.path.basename(paths[bad_id][0])), r.stdout)
        self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, bad_id)).status, 500)
        self.sql("UPDATE documents SET blake2b = %s WHERE id = %s", good, bad_id)
        self.assertEqual(download(bad_id), datas[paths[bad_id][1]])
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log "
                                  "WHERE action = 'storage.reseal' AND outcome = 'ok'")[0][0], 1)

        # a second run has nothing to do
        r = accounts_helpers.run_cli(self.server, ["reseal"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("reseal: 0 files to convert (0 bytes), 2 already format 2", r.stdout)

    def test_v1_staging_file_is_rewritten_at_start_and_upload_finishes(self):
        # an upload in progress when the server was upgraded: its staging file is format 1
        _, c, req = rh.new_patient_with_request(self.server, name="Staging Person")
        data = payload(300000, b"staging")
        url = rh.tus_create(c, req, len(data), "staged.pdf", "other", hashlib.sha256(data).digest())
        r = rh.tus_patch(c, url, 0, data[:100000])
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Upload-Offset"), "100000")
        uid = url.rsplit("/", 1)[1]
        fid, wrapped, kv = self.sql("SELECT encode(file_id, 'hex'), encode(wrapped_dek, 'hex'), kek_version "
                                    "FROM uploads WHERE id = %s", uid)[0]
        staging = os.path.join(self.server.data_dir, "staging", fid)
        keys = os.path.join(self.server.data_dir, "keys")

        def to_v1():
            self.assertEqual(header_format(staging), 2)
            # offset 100000 = one full record in the file, the rest sealed in the database
            t = subprocess.run([TOOL, keys, staging, fid, wrapped, str(kv), "1"], capture_output=True, text=True)
            self.assertEqual(t.returncode, 0, t.stderr)
            self.assertEqual(header_format(staging), 1)

        rh.restart(self.server, between=to_v1)
        self.assertEqual(header_format(staging), 2)  # start-up recovery rewrote it
        self.assertEqual(os.path.getsize(staging), 48 + 65576)
        self.assertFalse(os.path.exists(staging + ".v2tmp"))
        h = rh.tus_head(c, url)
        self.assertEqual(h.header("Upload-Offset"), "100000")
        r = rh.tus_patch(c, url, 100000, data[100000:])
        self.assertEqual(r.status, 204, r.text)
        rh.wait_checked(c, url)
        doc = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE upload_id = %s", uid)
        self.assertEqual(len(doc), 1)
        self.assertEqual(header_format(os.path.join(self.server.data_dir, "files", doc[0][1])), 2)
        d = c.get("/requests/%d/documents/%d/download" % (req, doc[0][0]))
        self.assertEqual(d.status, 200)
        self.assertEqual(d.body, data)
