"""Start-up in constant time, and the background consistency sweep of stored files.

Proves: start-up reads only the uploads in progress, so the server answers /readyz while the
sweep of the stored files has not even begun looking (held by the test hook
SECONDOP_TEST_SWEEP_PAUSE_FILE right after it listed the folders); an upload in progress when
the server was killed with -9 is cut back to its committed offset before the first request and
then finishes with the exact SHA-256; the paced sweep then quarantines old files no row names
(in files/ and staging/), leaves young files and files a row came to name after the listing,
never touches a file that appeared after the listing, logs a document row whose file is
missing, and reports all of it in /metrics; SIGTERM stops a sweep in progress at once (clean
exit)."""
import hashlib
import os
import re
import secrets
import signal
import time

import harness
import records_helpers as rh

TOKEN = "store-sweep-metrics-token-0123456789abcdef"
YOUNG = 1500  # files without a row but modified just now: too young to judge, never moved
OLD = time.time() - 2 * 3600  # older than the sweep's one-hour age rule


def payload(n, seed):
    out = bytearray(b"%PDF-1.4\n")
    block = hashlib.sha256(seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


class StoreSweepTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        cls.token_file = os.path.join(base, "sweep-token-%d" % os.getpid())
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(cls.token_file, 0o600)
        cls.pause_file = os.path.join(base, "sweep-pause-%d" % os.getpid())
        cls.server_args = ("--metrics-token-file", cls.token_file)
        cls.server_env = {"SECONDOP_STORE_SWEEP_RATE": "400", "SECONDOP_TEST_SWEEP_PAUSE_FILE": cls.pause_file}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        for p in (cls.pause_file, cls.token_file):
            if os.path.exists(p):
                os.unlink(p)
        super().tearDownClass()

    def metrics(self):
        r = self.client().get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(r.status, 200)
        out = {}
        for m in re.finditer(r"^(secondop_store_sweep_\w+) (\S+)$", r.text, re.M):
            out[m.group(1)] = float(m.group(2))
        return out

    def ready(self):
        try:
            return self.client().get("/readyz").status == 200
        except OSError:
            return False

    def path(self, sub, name):
        return os.path.join(self.server.data_dir, sub, name)

    def plant(self, sub, mtime=None):
        name = secrets.token_hex(16)
        with open(self.path(sub, name), "wb") as f:
            f.write(b"not a real blob")
        if mtime is not None:
            os.utime(self.path(sub, name), (mtime, mtime))
        return name

    def quarantined(self, name):
        return [q for q in os.listdir(os.path.join(self.server.data_dir, "quarantine")) if q.startswith(name + ".")]

    def test_startup_does_not_wait_for_the_sweep(self):
        srv = self.server
        _, c, req = rh.new_patient_with_request(srv, name="Jane Doe")
        # the first start's sweep (an empty store) finished
        harness.wait_for(lambda: self.metrics().get("secondop_store_sweep_passes_total") == 1, 60, "first sweep")
        # a finished document, and a second one whose file will go missing
        rh.upload_bytes(c, req, payload(70000, b"kept"), "kept.pdf", "other")
        url_gone, _ = rh.upload_bytes(c, req, payload(5000, b"gone"), "gone.pdf", "other")
        gone_doc, gone_fid = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                                      url_gone.rsplit("/", 1)[1])[0]
        kept_doc = self.sql("SELECT id FROM documents WHERE original_name = 'kept.pdf'")[0][0]
        # an upload in progress: 150001 bytes acknowledged
        data = payload(400000, b"in progress")
        url = rh.tus_create(c, req, len(data), "progress.pdf", "other", hashlib.sha256(data).digest())
        r = rh.tus_patch(c, url, 0, data[:150001])
        self.assertEqual(r.status, 204)
        fid = self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s", url.rsplit("/", 1)[1])[0][0]
        staging = self.path("staging", fid)
        committed_size = 48 + 2 * 65576  # two full format-2 records; the tail is in the database

        planted = {}

        def between():
            # what a crash mid-PATCH leaves: unacknowledged bytes after the committed records
            with open(staging, "ab") as f:
                f.write(os.urandom(3 * 65576))
            os.unlink(self.path("files", gone_fid))
            planted["young"] = [self.plant("files") for _ in range(YOUNG)]
            planted["orphan_file"] = self.plant("files", OLD)
            planted["orphan_staging"] = self.plant("staging", OLD)
            planted["named_later"] = self.plant("files", OLD)
            planted["listed"] = sum(len(os.listdir(os.path.join(srv.data_dir, d))) for d in ("files", "staging"))
            open(self.pause_file, "w").close()

        log_from = os.path.getsize(srv.log_path)
        rh.restart(srv, signal.SIGKILL, between)
        harness.wait_for(self.ready, 60, "/readyz 200")
        # serving while the sweep is held after listing: start-up did not wait for it
        m = self.metrics()
        self.assertEqual(m["secondop_store_sweep_running"], 1)
        self.assertEqual(m["secondop_store_sweep_files_checked"], 0)
        self.assertEqual(m["secondop_store_sweep_passes_total"], 0)
        log = srv.wait_log("store sweep: paused", 60, log_from)
        self.assertRegex(log, r"store sweep: listed %d files" % planted["listed"])
        self.assertRegex(log, r"store recovery: 1 staging files truncated")
        # the upload in progress was cut back to its committed offset before the first answer
        self.assertEqual(os.path.getsize(staging), committed_size)
        self.assertEqual(int(rh.tus_head(c, url).header("Upload-Offset")), 150001)

        # after the listing: a row comes to name a listed file, and a new orphan appears
        cols = [r[0] for r in self.sql("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                       "'documents' AND column_name NOT IN ('id', 'file_id', 'upload_id') "
                                       "ORDER BY ordinal_position")]
        self.sql("INSERT INTO documents (file_id, %s) SELECT decode(%%s, 'hex'), %s FROM documents WHERE id = %%s"
                 % (", ".join(cols), ", ".join(cols)), planted["named_later"], kept_doc)
        appeared = self.plant("files", OLD)
        os.unlink(self.pause_file)

        # the upload in progress finishes, exactly, while the sweep runs
        r = rh.tus_patch(c, url, 150001, data[150001:])
        self.assertEqual(r.status, 204)
        rh.wait_checked(c, url)
        doc = self.sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0]
        self.assertEqual(doc[1], hashlib.sha256(data).hexdigest())
        self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc[0])).body, data)

        harness.wait_for(lambda: self.metrics().get("secondop_store_sweep_passes_total") == 1, 120, "the sweep")
        m = self.metrics()
        self.assertEqual(m["secondop_store_sweep_running"], 0)
        self.assertEqual(m["secondop_store_sweep_files_listed"], planted["listed"])
        self.assertEqual(m["secondop_store_sweep_files_checked"], planted["listed"])
        self.assertEqual(m["secondop_store_sweep_quarantined_total"], 2)
        self.assertEqual(m["secondop_store_sweep_missing_files"], 1)
        self.assertGreater(m["secondop_store_sweep_last_finished_timestamp_seconds"], 0)
        # old files no row names: quarantined, from files/ and from staging/
        self.assertEqual(len(self.quarantined(planted["orphan_file"])), 1)
        self.assertEqual(len(self.quarantined(planted["orphan_staging"])), 1)
        self.assertFalse(os.path.exists(self.path("files", planted["orphan_file"])))
        self.assertFalse(os.path.exists(self.path("staging", planted["orphan_staging"])))
        # never moved: named by a row committed after the listing, appeared after the listing, young
        self.assertTrue(os.path.exists(self.path("files", planted["named_later"])))
        self.assertEqual(self.quarantined(planted["named_later"]), [])
        self.assertTrue(os.path.exists(self.path("files", appeared)))
        for name in planted["young"]:
            self.assertTrue(os.path.exists(self.path("files", name)), name)
        # nothing a row names was moved
        named = {r[0] for r in self.sql("SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL")}
        for name in named - {gone_fid}:
            self.assertTrue(os.path.exists(self.path("files", name)), name)
        log = srv.log_text(log_from)
        self.assertIn("store: document %d has no file" % gone_doc, log)
        self.assertRegex(log, r"store sweep: finished in [0-9.]+ s: %d files checked, 2 quarantined, 0 purged from "
                              r"quarantine, 1 rows without files" % planted["listed"])

        # SIGTERM while a sweep is in progress (held again after its listing): a prompt, clean exit
        open(self.pause_file, "w").close()
        log_from = os.path.getsize(srv.log_path)
        srv.stop()
        srv.start()
        harness.wait_for(self.ready, 60, "/readyz 200")
        srv.wait_log("store sweep: paused", 60, log_from)
        self.assertEqual(srv.stop(), 0)
        self.assertIn("store sweep: stopped after 0 files checked", srv.log_text(log_from))
        os.unlink(self.pause_file)
        srv.start()
