"""Backup and restore with the README's procedure (scripts/backup.sh and
scripts/restore.sh): documents uploaded through the HTTP API, a backup taken
while the portal serves, restored into a fresh data directory and a fresh
PostgreSQL; secondop starts on it, `verify-audit` and `verify-store` pass,
and every document downloads with the SHA-256 it had. Both ways the README
gives: the embedded cluster (base backup) and an external database
(pg_dump into an empty database). A file newer than the database copy is a
harmless orphan: verify-store reports it without failing, and the running
server's background sweep moves it to quarantine once it is an hour old."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

import accounts_helpers
import harness
import records_helpers as rh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BACKUP = os.path.join(harness.ROOT, "scripts", "backup.sh")
RESTORE = os.path.join(harness.ROOT, "scripts", "restore.sh")


def payload(n, seed):
    out = bytearray(PDF)
    h = seed
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def sh(script, *args):
    r = subprocess.run(["sh", script] + list(args), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, "%s failed (%d):\n%s\n%s" % (script, r.returncode, r.stdout, r.stderr)
    return r


class DirServer(harness.Server):
    """A secondop on a given data directory: its embedded PostgreSQL (dsn=None)
    or a given database of the harness cluster."""

    def __init__(self, data_dir, dbname=None):
        self.cluster = harness.cluster()
        self.dbname = dbname
        self.embedded = dbname is None
        if self.embedded:  # the cluster's superuser, over the socket in DIR/pg
            self.dsn = "host=%s/pg dbname=secondop user=secondop" % data_dir
        else:
            self.dsn = self.cluster.dsn(dbname)
            self.app_dsn = self.cluster.dsn(dbname, "secondop_app")
        self.data_dir = data_dir
        self.log_path = os.path.join(data_dir, "server.log")
        self.extra_args = []
        self.env = dict(os.environ)
        self.proc = None
        self.port = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        skip = self.log.tell()
        args = [harness.BIN, "serve", "--listen", "127.0.0.1:%d" % (self.port or 0), "--data-dir", self.data_dir,
                "--share-dir", harness.ROOT, "--threads", "2"]
        if not self.embedded:
            args += ["--database-url", self.app_dsn]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            m = re.search(r"serving on https?://127\.0\.0\.1:(\d+)/", self.log_text(skip))
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                pglog = os.path.join(self.data_dir, "postgresql.log")
                extra = open(pglog, errors="replace").read()[-3000:] if os.path.exists(pglog) else ""
                raise RuntimeError("secondop exited early:\n" + self.log_text() + extra)
            time.sleep(0.05)
        raise RuntimeError("secondop did not start:\n" + self.log_text())

    def cli(self, *args):
        """A command beside the running server, through its database."""
        return subprocess.run([harness.BIN] + list(args) + ["--database-url", self.dsn, "--data-dir", self.data_dir,
                                                            "--share-dir", harness.ROOT],
                              capture_output=True, text=True, timeout=120, env=self.env)


class BackupRestoreTest(harness.ServerTestCase):
    def new_dir(self, prefix):
        d = tempfile.mkdtemp(prefix=prefix, dir=harness.cluster().dir)
        os.chmod(d, 0o711)  # as root the embedded cluster runs as postgres, who must pass through
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def fill(self, server, name):
        """A patient with three documents; returns (user, {doc id: sha256})."""
        user, c, req = rh.new_patient_with_request(server, name=name)
        for i, n in enumerate((200000, 65536, 777)):
            rh.upload_bytes(c, req, payload(n, name.encode() + bytes([i])), "doc%d.pdf" % i, "other")
        rows = server.sql("SELECT id, sha256 FROM documents WHERE request_id = %s AND file_id IS NOT NULL", req)
        self.assertEqual(len(rows), 3)
        return user, req, dict(rows)

    def check_restored(self, restored, user, req, docs, orphan=None, rows=None):
        r = restored.cli("verify-audit")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit chain intact", r.stdout)
        r = restored.cli("verify-store")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("sound, 0 problems", r.stdout)
        rows = rows or len(docs)
        self.assertRegex(r.stdout, r"verify-store: %d rows, %d files read" % (rows, rows))
        if restored.embedded:  # as an operator runs it: just the data directory, beside the server
            r = subprocess.run([harness.BIN, "verify-store", "--data-dir", restored.data_dir], capture_output=True,
                               text=True, timeout=120, env=restored.env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("checking beside it (read only)", r.stderr)
            self.assertIn("sound, 0 problems", r.stdout)
        if orphan:  # the file the database never named: an orphan, reported, not a problem
            self.assertIn("ORPHAN file %s: stored, but no row names it" % orphan, r.stdout)
            self.assertIn("; 1 orphan", r.stdout)
        c = restored.client()
        accounts_helpers.login(c, user)
        for doc_id, sha in docs.items():
            d = c.get("/requests/%d/documents/%d/download" % (req, doc_id))
            self.assertEqual(d.status, 200)
            self.assertEqual(hashlib.sha256(d.body).hexdigest(), sha)

    def test_embedded_cluster_backup_while_serving_restores_whole(self):
        src = DirServer(self.new_dir("sop-b-"))
        restored = None
        try:
            user, req, docs = self.fill(src, "Embedded Backup")
            # a restart signs an audit checkpoint (the backup must carry it consistently)
            rh.restart(src)
            self.assertTrue(os.path.getsize(os.path.join(src.data_dir, "audit-checkpoints.log")) > 0)
            c = src.client()
            accounts_helpers.login(c, user)  # audited after the checkpoint
            out, keys = os.path.join(self.new_dir("sop-o-"), "b"), os.path.join(self.new_dir("sop-k-"), "k")
            r = sh(BACKUP, "--data-dir", src.data_dir, "--out", out, "--keys-out", keys)
            self.assertIn("database: base_backup", r.stdout)
            self.assertFalse(os.path.exists(os.path.join(out, "keys")))  # the keys are kept apart
            self.assertTrue(os.path.exists(os.path.join(keys, "current")))
            self.assertEqual(sorted(os.listdir(os.path.join(out, "files"))),
                             sorted(os.listdir(os.path.join(src.data_dir, "files"))))
            # a file that arrived after the database copy (between the dump and the files' second pass)
            _, c2, req2 = rh.new_patient_with_request(src, name="After Backup")
            rh.upload_bytes(c2, req2, payload(5000, b"late"), "late.pdf", "other")
            late = set(os.listdir(os.path.join(src.data_dir, "files"))) - set(os.listdir(os.path.join(out, "files")))
            self.assertEqual(len(late), 1)
            late = late.pop()
            shutil.copy2(os.path.join(src.data_dir, "files", late), os.path.join(out, "files", late))

            # into a fresh data directory and a fresh PostgreSQL (the restored cluster)
            new = os.path.join(self.new_dir("sop-r-"), "d")
            sh(RESTORE, "--from", out, "--keys-from", keys, "--data-dir", new)
            restored = DirServer(new)
            self.check_restored(restored, user, req, docs, orphan=late)
            # the late request is not in the restored database
            self.assertEqual(restored.sql("SELECT count(*) FROM requests WHERE id = %s", req2)[0][0], 0)
            restored.stop()
            restored.assert_clean_exit()
            restored = None

            # with secondop stopped: a copy of the cluster under the data directory lock
            src.stop()
            src.assert_clean_exit()
            out2, keys2 = os.path.join(self.new_dir("sop-o-"), "b"), os.path.join(self.new_dir("sop-k-"), "k")
            r = sh(BACKUP, "--data-dir", src.data_dir, "--out", out2, "--keys-out", keys2)
            self.assertIn("database: cold_copy", r.stdout)
            new2 = os.path.join(self.new_dir("sop-r-"), "d")
            sh(RESTORE, "--from", out2, "--keys-from", keys2, "--data-dir", new2)
            restored = DirServer(new2)
            self.check_restored(restored, user, req, docs, rows=len(docs) + 1)
        finally:
            for s in (src, restored):
                if s:
                    s.stop()
                    s.assert_clean_exit()

    def test_external_database_pg_dump_restores_whole(self):
        user, req, docs = self.fill(self.server, "External Backup")
        out, keys = os.path.join(self.new_dir("sop-o-"), "b"), os.path.join(self.new_dir("sop-k-"), "k")
        r = sh(BACKUP, "--data-dir", self.server.data_dir, "--out", out, "--keys-out", keys,
               "--database-url", self.server.dsn)
        self.assertIn("database: pg_dump", r.stdout)
        # a fresh, empty database owned by secondop_owner, as the README sets up
        cl = harness.cluster()
        name = "restored%d" % os.getpid()
        cl._exec("CREATE DATABASE %s OWNER secondop_owner TEMPLATE template0" % name)
        new = os.path.join(self.new_dir("sop-r-"), "d")
        sh(RESTORE, "--from", out, "--keys-from", keys, "--data-dir", new,
           "--database-url", cl.dsn(name, "secondop_owner"))
        restored = DirServer(new, dbname=name)
        try:
            self.check_restored(restored, user, req, docs)
            # the application role has its grants back: uploads work on the restored portal
            c = restored.client()
            accounts_helpers.login(c, user)
            rh.upload_bytes(c, req, payload(3000, b"after restore"), "new.pdf", "other")
        finally:
            restored.stop()
            restored.assert_clean_exit()
