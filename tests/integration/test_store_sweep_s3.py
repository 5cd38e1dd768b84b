"""The background consistency sweep and verify-store's unnamed objects on the s3:// store, against
the real radosgw (ceph_helper.py, shared with test_blob_s3.py).

radosgw's LastModified and Initiated times cannot be set back, so the server runs with the test
hook SECONDOP_TEST_SWEEP_MIN_AGE_SECONDS (test builds only) in place of the one-hour age rule:
"old" below is older than that, "young" newer.

Proves: a pass lists the objects of PREFIX/files/ and the multipart uploads in progress there;
an old object no row names is copied to PREFIX/quarantine/ (the same bytes) and leaves files/; an
old multipart upload no row names is aborted; a young orphan object and a young orphan multipart
upload are left, and so is an old multipart upload that got a part within the age rule (another
instance still sending it, its row to come); every object a row names is left, and the multipart upload of a live tus upload
(older than the age rule) is left and the upload then finishes with its exact SHA-256; a document
whose object is missing is logged and counted; the log lines and /metrics figures say all of it;
`secondop verify-store` lists an object no row names and still ends sound."""
import hashlib
import os
import re
import secrets
import time

import accounts_helpers
import harness
import records_helpers as rh
import test_blob_s3
from test_blob_s3 import MIB, payload

TOKEN = "store-sweep-s3-metrics-token-0123456789abcdef"
MIN_AGE = 40  # seconds: the sweep's age rule in this test (an hour in production)


class S3StoreSweepTest(test_blob_s3.S3Mixin, harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        cls.token_file = os.path.join(base, "sweep-s3-token-%d" % os.getpid())
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(cls.token_file, 0o600)
        cls.extra_args = ("--metrics-token-file", cls.token_file)
        cls.extra_env = {"SECONDOP_STORE_SWEEP_RATE": "400", "SECONDOP_TEST_SWEEP_MIN_AGE_SECONDS": str(MIN_AGE),
                         "SECONDOP_TEST_QUARANTINE_GRACE_SECONDS": str(MIN_AGE)}
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Swept Person")

    @classmethod
    def tearDownClass(cls):
        if os.path.exists(cls.token_file):
            os.unlink(cls.token_file)
        super().tearDownClass()

    def metrics(self):
        r = self.client().get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(r.status, 200)
        return {m.group(1): float(m.group(2))
                for m in re.finditer(r"^(secondop_store_sweep_\w+) (\S+)$", r.text, re.M)}

    def key(self, sub, name):
        return "%s/%s/%s" % (self.prefix, sub, name)

    def put(self, key, body):
        st, out = self.gw.request("PUT", "/%s/%s" % (self.bucket, key), body=body)
        self.assertEqual(st, 200, out)

    def start_multipart(self, key):
        st, out = self.gw.request("POST", "/%s/%s" % (self.bucket, key), {"uploads": ""})
        self.assertEqual(st, 200, out)
        return re.search(rb"<UploadId>([^<]+)</UploadId>", out).group(1).decode()

    def uploads_of(self, key):
        return self.gw.list_multipart(self.bucket, key)

    def s3_cli_args(self):
        return test_blob_s3.s3_args(self.gw, self.bucket, self.prefix)

    def test_sweep_quarantines_old_orphans_and_aborts_old_orphan_uploads(self):
        srv, c, req = self.server, self.c, self.req
        # the first start's pass (over an empty store) finished
        harness.wait_for(lambda: self.metrics().get("secondop_store_sweep_passes_total") == 1, 120,
                         "the first sweep")
        # named objects: two finished documents (one of them loses its object below)
        rh.upload_bytes(c, req, payload(70000, b"kept"), "kept.pdf", "other")
        url_gone, _ = rh.upload_bytes(c, req, payload(5000, b"gone"), "gone.pdf", "other")
        gone_doc, gone_fid = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                                      url_gone.rsplit("/", 1)[1])[0]
        # a live tus upload: one 5 MiB part stored, its multipart upload named by the upload's row
        live = payload(7 * MIB + 999, b"live")
        live_url = rh.tus_create(c, req, len(live), "live.pdf", "other", hashlib.sha256(live).digest())
        self.assertEqual(rh.tus_patch(c, live_url, 0, live[:6 * MIB]).status, 204)
        live_fid = self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s",
                            live_url.rsplit("/", 1)[1])[0][0]
        self.assertEqual(len(self.uploads_of(self.key("files", live_fid))), 1)

        # orphans older than the age rule: an object and a multipart upload no row names
        old_obj, old_mpu = secrets.token_hex(16), secrets.token_hex(16)
        old_bytes = os.urandom(3000)
        self.put(self.key("files", old_obj), old_bytes)
        old_uid = self.start_multipart(self.key("files", old_mpu))
        busy_mpu = secrets.token_hex(16)
        busy_uid = self.start_multipart(self.key("files", busy_mpu))
        planted_at = time.time()
        # the document whose object goes missing (its bytes kept to put back for verify-store)
        st, gone_raw = self.gw.get(self.bucket, self.key("files", gone_fid))
        self.assertEqual(st, 200)
        self.assertEqual(self.gw.request("DELETE", "/%s/%s" % (self.bucket, self.key("files", gone_fid)))[0], 204)
        # let the old orphans (and the live upload's multipart upload) pass the age rule
        harness.wait_for(lambda: time.time() >= planted_at + MIN_AGE + 2, MIN_AGE + 30, "the age rule to pass")
        # young orphans: planted just before the pass
        young_obj, young_mpu = secrets.token_hex(16), secrets.token_hex(16)
        self.put(self.key("files", young_obj), b"young")
        young_uid = self.start_multipart(self.key("files", young_mpu))
        # an old multipart upload still being sent: a part now
        st, out = self.gw.request("PUT", "/%s/%s" % (self.bucket, self.key("files", busy_mpu)),
                                  {"partNumber": "1", "uploadId": busy_uid}, body=os.urandom(5 * MIB))
        self.assertEqual(st, 200, out)

        files = self.prefix + "/files/"
        listed = len(self.gw.list_keys(self.bucket, files)) + len(self.gw.list_multipart(self.bucket, files))
        log_from = os.path.getsize(srv.log_path)
        rh.restart(srv)  # a pass runs right after start
        # (the pass starts within a few seconds: the young orphans are still younger than MIN_AGE)
        harness.wait_for(lambda: self.metrics().get("secondop_store_sweep_passes_total") == 1, 120, "the sweep")

        m = self.metrics()
        self.assertEqual(m["secondop_store_sweep_running"], 0)
        self.assertEqual(m["secondop_store_sweep_files_listed"], listed)
        self.assertEqual(m["secondop_store_sweep_files_checked"], listed)
        self.assertEqual(m["secondop_store_sweep_quarantined_total"], 2)  # the old object and the old upload
        self.assertEqual(m["secondop_store_sweep_purged_total"], 0)
        self.assertEqual(m["secondop_store_sweep_missing_files"], 1)
        self.assertGreater(m["secondop_store_sweep_last_finished_timestamp_seconds"], 0)

        keys = set(self.gw.list_keys(self.bucket, self.prefix + "/"))
        # the old orphan object: in quarantine/ with its bytes, gone from files/
        self.assertNotIn(self.key("files", old_obj), keys)
        self.assertIn(self.key("quarantine", old_obj), keys)
        self.assertEqual(self.gw.get(self.bucket, self.key("quarantine", old_obj)), (200, old_bytes))
        # the old orphan multipart upload: aborted
        self.assertNotIn(old_uid, self.uploads_of(self.key("files", old_mpu)))
        self.assertEqual(self.uploads_of(self.key("files", old_mpu)), [])
        # left: the young orphans, the live upload's multipart upload, every object a row names
        self.assertIn(self.key("files", young_obj), keys)
        self.assertEqual(self.uploads_of(self.key("files", young_mpu)), [young_uid])
        self.assertEqual(self.uploads_of(self.key("files", busy_mpu)), [busy_uid])
        self.assertEqual(len(self.uploads_of(self.key("files", live_fid))), 1)
        named = {r[0] for r in self.sql("SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL")}
        self.assertGreaterEqual(len(named), 2)
        for fid in named - {gone_fid}:
            self.assertIn(self.key("files", fid), keys)
        self.assertEqual([k for k in keys if k.startswith(self.prefix + "/quarantine/")],
                         [self.key("quarantine", old_obj)])

        log = srv.log_text(log_from)
        self.assertIn("store sweep: started", log)
        self.assertRegex(log, r"store sweep: listed %d files \(%d being uploaded\)" % (listed, 3 + 1))
        self.assertIn("store: moved %s (no database row) to quarantine" % self.key("files", old_obj), log)
        self.assertIn("store: aborted the multipart upload of %s (no database row)" % self.key("files", old_mpu), log)
        self.assertIn("store: document %d has no file" % gone_doc, log)
        self.assertRegex(log, r"store sweep: finished in [0-9.]+ s: %d files checked, 2 quarantined, 0 purged from "
                              r"quarantine, 1 rows without files" % listed)
        self.assertNotIn("not run for the object store", log)
        self.assertNotIn(self.gw.secret_key, log)

        # the live upload, older than the age rule, was never touched: it finishes exactly
        self.assertEqual(rh.tus_patch(c, live_url, 6 * MIB, live[6 * MIB:]).status, 204)
        stt = rh.wait_checked(c, live_url)
        self.assertEqual(stt["state"], "complete", stt)
        doc = self.sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", live_url.rsplit("/", 1)[1])[0]
        self.assertEqual(doc[1], hashlib.sha256(live).hexdigest())
        self.assertEqual(hashlib.sha256(c.get("/requests/%d/documents/%d/download" % (req, doc[0])).body).hexdigest(),
                         hashlib.sha256(live).hexdigest())
        # put the missing object back (verify-store below must find the store whole)
        self.put(self.key("files", gone_fid), gone_raw)
        self.gw.request("DELETE", "/%s/%s" % (self.bucket, self.key("files", young_mpu)), {"uploadId": young_uid})
        self.gw.request("DELETE", "/%s/%s" % (self.bucket, self.key("files", busy_mpu)), {"uploadId": busy_uid})
        self.gw.request("DELETE", "/%s/%s" % (self.bucket, self.key("files", young_obj)))

        # the next pass, once the quarantined object is past its grace period (the test's
        # SECONDOP_TEST_QUARANTINE_GRACE_SECONDS in place of 24 hours): purged from quarantine
        quarantined_at = time.time()
        harness.wait_for(lambda: time.time() >= quarantined_at + MIN_AGE + 2, MIN_AGE + 30, "the grace period")
        log_from = os.path.getsize(srv.log_path)
        rh.restart(srv)
        harness.wait_for(lambda: self.metrics().get("secondop_store_sweep_passes_total") == 1, 120, "the next sweep")
        self.assertEqual(self.metrics()["secondop_store_sweep_purged_total"], 1)
        self.assertEqual(self.metrics()["secondop_store_sweep_missing_files"], 0)
        self.assertNotIn(self.key("quarantine", old_obj), self.gw.list_keys(self.bucket, self.prefix + "/"))
        self.assertRegex(srv.log_text(log_from), r"store sweep: finished in [0-9.]+ s: \d+ files checked, \d+ "
                                                 r"quarantined, 1 purged from quarantine, 0 rows without files")

    def test_verify_store_lists_an_unnamed_object_and_ends_sound(self):
        url, _ = rh.upload_bytes(self.c, self.req, payload(6 * MIB + 7, b"vs-s3"), "vs.pdf", "other")
        fid = self.sql("SELECT encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                       url.rsplit("/", 1)[1])[0][0]
        unnamed = secrets.token_hex(16)
        self.put(self.key("files", unnamed), b"no row names this")
        out = accounts_helpers.run_cli(self.server, ["verify-store"] + self.s3_cli_args())
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("file %s: stored, but no row names it" % unnamed, out.stdout)
        self.assertNotIn("file %s: stored, but no row names it" % fid, out.stdout)
        self.assertRegex(out.stdout, r"sound, 0 problems .*; [1-9]\d* orphans?")
        self.assertNotIn("are not listed", out.stdout)
        # an object whose name is not a file id: a problem, as a stray file in files/ is
        self.put(self.key("files", "not-a-file-id"), b"junk")
        out = accounts_helpers.run_cli(self.server, ["verify-store"] + self.s3_cli_args())
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("file not-a-file-id: not a store file name", out.stdout)
        for name in ("not-a-file-id", unnamed):
            self.assertEqual(self.gw.request("DELETE", "/%s/%s" % (self.bucket, self.key("files", name)))[0], 204)
