"""`secondop verify-store` against a real server and store: documents uploaded
through the HTTP API check sound (exit 0, audited); then one flipped byte in
a stored file, one deleted file, one file no row names and one altered
digest in a row are each reported on their own line naming the row and the
file id (exit 1), without plaintext or digests in the output, and the check
changes nothing (files, rows, quarantine) while the server keeps running.
The progress line is rewritten in place on a terminal."""
import hashlib
import os
import pty
import subprocess

import accounts_helpers
import harness
import records_helpers as rh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def payload(n, seed):
    out = bytearray(PDF)
    h = seed
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def verify(server):
    return accounts_helpers.run_cli(server, ["verify-store"])


def problems(out):
    return [l for l in out.splitlines() if l.startswith("PROBLEM ")]


class VerifyStoreDamageTest(harness.ServerTestCase):
    """Its own database and server: the counts below are exact."""

    def snapshot(self):
        """Names, sizes and hashes of everything under files/, staging/ and quarantine/."""
        out = {}
        for p in rh.store_files(self.server):
            with open(p, "rb") as f:
                out[p] = hashlib.sha256(f.read()).hexdigest()
        return out

    def test_sound_store_then_each_kind_of_damage_is_reported(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Verify Person")
        datas = {"a.pdf": payload(200000, b"a"), "b.pdf": payload(70000, b"b"), "c.pdf": payload(900, b"c"),
                 "d.pdf": payload(5000, b"d")}
        for name, data in datas.items():
            rh.upload_bytes(c, req, data, name, "other")
        rows = self.sql("SELECT id, original_name, encode(file_id, 'hex'), blake2b, sha256 FROM documents "
                        "WHERE request_id = %s AND file_id IS NOT NULL ORDER BY id", req)
        self.assertEqual(len(rows), 4)
        doc = {name: (i, fid, b2, sha) for i, name, fid, b2, sha in rows}
        for name, data in datas.items():
            self.assertEqual(doc[name][3], hashlib.sha256(data).hexdigest())  # the declared digest was kept

        # sound: exit 0, a progress line and a summary, audited
        r = verify(self.server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("checking beside it (read only)", r.stderr)
        self.assertEqual(problems(r.stdout), [])
        self.assertRegex(r.stdout, r"verify-store: 4/4 files, [0-9.]+ KiB of [0-9.]+ KiB, [0-9.]+ [KMG]?i?B/s")
        self.assertRegex(r.stdout, r"verify-store: 4 rows, 4 files read \([0-9.]+ KiB\) in [0-9.]+ s: sound, "
                                   r"0 problems")
        self.assertEqual(self.sql("SELECT outcome, detail->>'rows', detail->>'files_read' FROM audit_log "
                                  "WHERE action = 'storage.verify' ORDER BY id"), [("ok", "4", "4")])

        files = os.path.join(self.server.data_dir, "files")
        # 1. one byte flipped inside the second record of a.pdf
        a_id, a_fid = doc["a.pdf"][0], doc["a.pdf"][1]
        with open(os.path.join(files, a_fid), "r+b") as f:
            f.seek(48 + 65576 + 24 + 1000)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x20]))
        # 2. b.pdf's file deleted
        b_id, b_fid = doc["b.pdf"][0], doc["b.pdf"][1]
        os.unlink(os.path.join(files, b_fid))
        # 3. a file no row names
        stray = os.urandom(16).hex()
        with open(os.path.join(files, stray), "wb") as f:
            f.write(os.urandom(3000))
        # 3b. something that is not a store file at all
        with open(os.path.join(files, "notes.txt"), "w") as f:
            f.write("not ours")
        # 4. c.pdf's row altered: another BLAKE2b
        c_id, c_fid, c_b2 = doc["c.pdf"][0], doc["c.pdf"][1], doc["c.pdf"][2]
        self.sql("UPDATE documents SET blake2b = %s WHERE id = %s", hashlib.blake2b(b"x", digest_size=32).hexdigest(),
                 c_id)

        before = self.snapshot()
        rows_before = self.sql("SELECT id, encode(file_id, 'hex'), blake2b FROM documents ORDER BY id")
        r = verify(self.server)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        found = problems(r.stdout)
        self.assertEqual(len(found), 4, r.stdout)
        joined = "\n".join(found)
        self.assertRegex(joined, r"PROBLEM document %d, file %s: damaged, does not decrypt \(blob record 1 does not "
                                 r"authenticate\)" % (a_id, a_fid))
        self.assertIn("PROBLEM document %d, file %s: missing from the store" % (b_id, b_fid), joined)
        self.assertIn("PROBLEM file notes.txt: not a store file name (no row can name it)", joined)
        # a file no row names is an orphan: reported, not a problem
        self.assertIn("ORPHAN file %s: stored, but no row names it (harmless; " % stray, r.stdout)
        self.assertNotIn(stray, joined)
        self.assertIn("PROBLEM document %d, file %s: decrypts, but its content does not match the database "
                      "(BLAKE2b differs)" % (c_id, c_fid), joined)
        self.assertNotIn("document %d" % doc["d.pdf"][0], joined)
        self.assertIn("4 problems (1 missing, 1 damaged, 0 unreadable, 1 not matching the database, "
                      "0 keys not unwrapping, 1 not store files); 1 orphan", r.stdout)
        # never plaintext or digests
        out = r.stdout + r.stderr
        for name, data in datas.items():
            self.assertNotIn(data[40:72].hex(), out)
            self.assertNotIn(hashlib.sha256(data).hexdigest(), out)
            self.assertNotIn(doc[name][2], out)
        self.assertNotIn("%PDF", out)
        # read only: nothing moved, deleted, rewritten or quarantined
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.sql("SELECT id, encode(file_id, 'hex'), blake2b FROM documents ORDER BY id"),
                         rows_before)
        self.assertEqual(self.sql("SELECT outcome, detail->>'missing', detail->>'damaged', detail->>'mismatched', "
                                  "detail->>'foreign', detail->>'unnamed' FROM audit_log "
                                  "WHERE action = 'storage.verify' ORDER BY id")[-1],
                         ("failed", "1", "1", "1", "1", "1"))
        # the server still serves the sound document
        d = c.get("/requests/%d/documents/%d/download" % (req, doc["d.pdf"][0]))
        self.assertEqual(d.status, 200)
        self.assertEqual(d.body, datas["d.pdf"])

        # each repaired: sound again
        self.sql("UPDATE documents SET blake2b = %s WHERE id = %s", c_b2, c_id)
        os.unlink(os.path.join(files, "notes.txt"))
        self.sql("DELETE FROM documents WHERE id IN (%s, %s)", a_id, b_id)
        os.unlink(os.path.join(files, a_fid))
        r = verify(self.server)  # the orphan alone does not fail the check
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2 rows, 2 files read", r.stdout)
        self.assertIn("sound, 0 problems", r.stdout)
        self.assertIn("; 1 orphan", r.stdout)
        os.unlink(os.path.join(files, stray))
        r = verify(self.server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("; 0 orphans", r.stdout)



class VerifyStoreKeysAndTerminalTest(harness.ServerTestCase):
    def test_a_wrong_key_ring_is_reported_per_row_and_no_key_is_made(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Key Person")
        rh.upload_bytes(c, req, payload(3000, b"k"), "k.pdf", "other")
        (doc_id, fid), = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE request_id = %s", req)
        # a data directory holding the files but a key ring of other keys
        other = os.path.join(self.server.cluster.dir, "sop-otherkeys")
        os.makedirs(os.path.join(other, "files"), mode=0o700)
        os.makedirs(os.path.join(other, "keys"), mode=0o700)
        for name in os.listdir(os.path.join(self.server.data_dir, "files")):
            with open(os.path.join(self.server.data_dir, "files", name), "rb") as s, \
                    open(os.path.join(other, "files", name), "wb") as d:
                d.write(s.read())
        cur = open(os.path.join(self.server.data_dir, "keys", "current")).read().strip()
        with open(os.path.join(other, "keys", "master-%s.key" % cur), "wb") as f:
            f.write(os.urandom(32))
        os.chmod(os.path.join(other, "keys", "master-%s.key" % cur), 0o600)
        with open(os.path.join(other, "keys", "current"), "w") as f:
            f.write(cur + "\n")
        cmd = [harness.BIN, "verify-store", "--database-url", self.server.dsn, "--data-dir", other,
               "--share-dir", harness.ROOT]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=self.server.env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("PROBLEM document %d, file %s: its data key does not unwrap with the key ring" % (doc_id, fid),
                      r.stdout)
        # no key ring at all: refused with one line, and none is made
        empty = os.path.join(self.server.cluster.dir, "sop-nokeys")
        os.makedirs(os.path.join(empty, "files"), mode=0o700)
        r = subprocess.run([harness.BIN, "verify-store", "--database-url", self.server.dsn, "--data-dir", empty,
                            "--share-dir", harness.ROOT], capture_output=True, text=True, timeout=60,
                           env=self.server.env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot open the key ring", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(empty, "keys", "current")))

    def test_progress_is_rewritten_in_place_on_a_terminal(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Tty Person")
        rh.upload_bytes(c, req, payload(150000, b"t"), "t.pdf", "other")
        master, slave = pty.openpty()
        cmd = [harness.BIN, "verify-store", "--database-url", self.server.dsn, "--data-dir", self.server.data_dir,
               "--share-dir", harness.ROOT]
        p = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=self.server.env)
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        p.wait(timeout=60)
        os.close(master)
        out = b"".join(chunks).decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("\r\x1b[Kverify-store: ", out)
        self.assertRegex(out, r"\r\x1b\[Kverify-store: \d+/\d+ files, ")
        self.assertRegex(out, r"sound, 0 problems")


class VerifyStoreRenditionsTest(harness.ServerTestCase):
    """The viewer's renditions are blobs too: checked with their own keys and sizes."""

    def test_preview_and_frames_are_checked(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Rendition Person")
        rh.upload_path(c, req, os.path.join(rh.studies(), "study1", "R_CC.dcm"))
        (doc_id,), = self.sql("SELECT id FROM documents WHERE request_id = %s AND file_id IS NOT NULL", req)
        harness.wait_for(lambda: self.sql("SELECT state FROM renditions WHERE document_id = %s", doc_id) ==
                         [("ready",)], what="renditions ready")
        preview, frames, frames_size = self.sql(
            "SELECT encode(preview_file_id, 'hex'), encode(frames_file_id, 'hex'), frames_size FROM renditions "
            "WHERE document_id = %s", doc_id)[0]
        r = verify(self.server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("3 rows, 3 files read", r.stdout)

        files = os.path.join(self.server.data_dir, "files")
        with open(os.path.join(files, frames), "r+b") as f:
            f.seek(48 + 24 + 10)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))
        self.sql("UPDATE renditions SET preview_size = preview_size + 1 WHERE document_id = %s", doc_id)
        r = verify(self.server)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        found = problems(r.stdout)
        self.assertEqual(len(found), 2, r.stdout)
        self.assertIn("PROBLEM viewer frames of document %d, file %s: damaged, does not decrypt (blob record 0 does "
                      "not authenticate)" % (doc_id, frames), found)
        self.assertIn("PROBLEM viewer preview of document %d, file %s: decrypts, but its content does not match the "
                      "database (size differs)" % (doc_id, preview), found)
        self.assertGreater(frames_size, 0)
