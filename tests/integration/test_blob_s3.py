"""The s3:// blob store against a real radosgw (a single-node Ceph started once per run by
ceph_helper.py): tus uploads as S3 multipart uploads (parts of 5 MiB, the unfinished part
durable in PostgreSQL beside the sealed tail), resume after a cut connection and after
kill -9, downloads through ranged GETs, a record read without fetching the object, deletion,
the expiry sweep aborting the multipart upload, verify-store, no plaintext in the bucket,
random object names, and the refusals: a wrong secret or an unreachable endpoint stops the
start with a clear line; the store going away later gives 503s, never a 500.

The directory backend's own tests (test_uploads' protocol, empty-file and streaming-digest
classes, test_intake, test_records_cd) are re-run against radosgw where they do not look at
the data directory's files: see the S3 subclasses at the end."""
import hashlib
import os
import re
import socket
import subprocess
import time
import unittest

import accounts_helpers
import ceph_helper
import harness
import records_helpers as rh
import test_intake
import test_records_cd
import test_uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARKER = b"PLAINTEXT-MARKER-7f3a9c"
MIB = 1 << 20


def payload(n, seed=b"x"):
    """n bytes that look like a PDF, with a plaintext marker every 64 KiB, never repeating otherwise."""
    out = bytearray(PDF)
    h = seed
    while len(out) < n:
        if len(out) % 65536 < 40:
            out += MARKER
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def gateway_or_skip():
    gw = ceph_helper.gateway()
    if gw is None:
        raise unittest.SkipTest(ceph_helper.skip_reason())
    return gw


def s3_args(gw, bucket, prefix="store", secret=None, endpoint=None):
    return ["--blob-store", "s3://%s/%s" % (bucket, prefix), "--s3-endpoint", endpoint or gw.endpoint,
            "--s3-region", gw.region]


def s3_env(gw, secret=None):
    return {"AWS_ACCESS_KEY_ID": gw.access_key, "AWS_SECRET_ACCESS_KEY": secret or gw.secret_key}


class S3Mixin:
    """Runs the test class's server on a fresh bucket of the shared radosgw."""
    prefix = "store"
    extra_env = {}
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.gw = gateway_or_skip()
        cls.bucket = cls.gw.new_bucket()
        cls.server_args = tuple(s3_args(cls.gw, cls.bucket, cls.prefix)) + tuple(cls.extra_args)
        cls.server_env = dict(s3_env(cls.gw), **cls.extra_env)
        super().setUpClass()
        gw, bucket, files = cls.gw, cls.bucket, cls.prefix + "/files/"
        # records_helpers.store_vs_rows: the bucket's objects instead of DATA/files
        cls.server.store_ids = lambda: {k[len(files):] for k in gw.list_keys(bucket, files)}
        # records_helpers.stored_blob: a finished blob's bytes from the bucket
        cls.server.store_get = lambda fid: gw.get(bucket, files + fid)[1]

    def objects(self):
        return self.gw.list_keys(self.bucket, self.prefix + "/")

    def multipart(self):
        return self.gw.list_multipart(self.bucket, self.prefix + "/")


def cut_patch(server, c, url, offset, data, send):
    """A PATCH whose connection is cut after `send` body bytes (the client goes away)."""
    h = rh.tus_headers(c, {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                           "Content-Length": str(len(data))})
    s = socket.create_connection(("127.0.0.1", server.port))
    head = "PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % url
    for k, v in h.items():
        head += "%s: %s\r\n" % (k, v)
    if c.cookies:
        head += "Cookie: " + "; ".join("%s=%s" % kv for kv in c.cookies.items()) + "\r\n"
    s.sendall(head.encode() + b"\r\n" + data[:send])
    s.shutdown(socket.SHUT_RDWR)
    s.close()


class S3UploadTest(S3Mixin, harness.ServerTestCase):
    extra_env = {"SECONDOP_TEST_SWEEP_SECONDS": "1"}  # the expiry sweep every second

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Stored Person")

    def test_start_names_the_object_store(self):
        self.assertIn("s3://%s/store" % self.bucket, self.server.log_text())
        self.assertNotIn(self.gw.secret_key, self.server.log_text())

    def test_multipart_upload_download_and_no_plaintext_in_the_bucket(self):
        data = payload(12 * MIB + 12345, b"mp")
        url = rh.tus_create(self.c, self.req, len(data), "big.pdf", "other", hashlib.sha256(data).digest())
        # 7 MiB: one 5 MiB part stored, the rest (sealed) kept in PostgreSQL with the offset
        r = rh.tus_patch(self.c, url, 0, data[:7 * MIB])
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(len(self.multipart()), 1)  # the upload's multipart upload is under way
        uid = url.rsplit("/", 1)[1]
        tail = self.sql("SELECT octet_length(sealed_tail) FROM uploads WHERE id = %s", uid)[0][0]
        self.assertGreater(tail, 1 * MIB)  # the unfinished part, sealed
        r = rh.tus_patch(self.c, url, 7 * MIB, data[7 * MIB:])
        self.assertEqual(r.status, 204, r.text)
        st = rh.wait_checked(self.c, url)
        self.assertEqual(st["state"], "complete", st)
        self.assertEqual(self.multipart(), [])  # completed
        doc = self.sql("SELECT d.id, encode(d.file_id, 'hex') FROM documents d WHERE upload_id = %s", uid)[0]
        self.assertIn("%s/files/%s" % (self.prefix, doc[1]), self.objects())  # named by its random id
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc[0]))
        self.assertEqual(d.status, 200)
        self.assertEqual(hashlib.sha256(d.body).hexdigest(), hashlib.sha256(data).hexdigest())
        # the raw object: sealed records only, not one plaintext marker, not the name
        st, raw = self.gw.get(self.bucket, "%s/files/%s" % (self.prefix, doc[1]))
        self.assertEqual(st, 200)
        self.assertGreater(len(raw), len(data))
        self.assertTrue(raw.startswith(b"SOPBLOB1"))
        self.assertNotIn(MARKER, raw)
        self.assertNotIn(data[1000:1064], raw)
        self.assertNotIn(b"big.pdf", raw)

    def test_resume_after_a_cut_connection_and_after_kill(self):
        data = payload(11 * MIB + 777, b"cut")
        url = rh.tus_create(self.c, self.req, len(data), "cut.pdf", "other", hashlib.sha256(data).digest())
        cut_patch(self.server, self.c, url, 0, data, 6 * MIB + 100)

        uid = url.rsplit("/", 1)[1]

        def settled():
            # the cut PATCH has committed what it kept and let go of the upload's lease
            # (storing its part in flight can take seconds on a loaded machine)
            if self.sql("SELECT lease_owner FROM uploads WHERE id = %s", uid)[0][0] is not None:
                return None
            h = rh.tus_head(self.c, url)
            return h if h.status == 200 else None
        h = harness.wait_for(settled, 60, "the cut PATCH to let go of the upload")
        acked = int(h.header("Upload-Offset"))
        self.assertLessEqual(acked, 6 * MIB + 100)
        r = rh.tus_patch(self.c, url, acked, data[acked:9 * MIB])
        self.assertEqual(r.status, 204, r.text)
        rh.restart(self.server, 9)  # kill -9 with 9 MiB acknowledged: one part stored, the rest in the database
        h = rh.tus_head(self.c, url)
        self.assertEqual(int(h.header("Upload-Offset")), 9 * MIB)
        r = rh.tus_patch(self.c, url, 9 * MIB, data[9 * MIB:])
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(rh.wait_checked(self.c, url)["state"], "complete")
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0][0]
        d = self.c.get("/requests/%d/documents/%d/download" % (self.req, doc))
        self.assertEqual(hashlib.sha256(d.body).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_delete_aborts_the_multipart_upload_and_documents_leave_the_bucket(self):
        data = payload(6 * MIB, b"del")
        url = rh.tus_create(self.c, self.req, len(data) + 10, "del.pdf", "other")
        self.assertEqual(rh.tus_patch(self.c, url, 0, data).status, 204)
        self.assertEqual(len(self.multipart()), 1)
        r = self.c.request("DELETE", url, headers=rh.tus_headers(self.c))
        self.assertEqual(r.status, 204)
        self.assertEqual(self.multipart(), [])
        # a finished document deleted by the patient leaves the bucket
        url, _ = rh.upload_bytes(self.c, self.req, payload(3000, b"gone"), "gone.pdf", "other")
        doc, fid = self.sql("SELECT id, encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                            url.rsplit("/", 1)[1])[0]
        key = "%s/files/%s" % (self.prefix, fid)
        self.assertIn(key, self.objects())
        self.c.get("/requests/%d/records" % self.req)  # a fresh CSRF token
        r = self.c.post("/requests/%d/documents/%d/delete" % (self.req, doc), {})
        self.assertIn(r.status, (200, 303), r.text[:300])
        harness.wait_for(lambda: key not in self.objects(), 20, "the object to leave the bucket")

    def expiring_upload(self, seed):
        data = payload(5 * MIB + 70000, seed)
        url = rh.tus_create(self.c, self.req, len(data) + 10, "exp.pdf", "other")
        self.assertEqual(rh.tus_patch(self.c, url, 0, data).status, 204)
        uid = url.rsplit("/", 1)[1]
        key = "%s/files/%s" % (self.prefix, self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s",
                                                     uid)[0][0])
        self.assertEqual(len(self.gw.list_multipart(self.bucket, key)), 1)  # one part stored
        return uid, key

    def test_expiry_sweep_aborts_the_multipart_upload(self):
        uid, key = self.expiring_upload(b"sweep")
        self.sql("UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = %s", uid)
        harness.wait_for(lambda: self.gw.list_multipart(self.bucket, key) == [], 30,
                         "the sweep to abort the multipart upload")
        harness.wait_for(lambda: self.sql("SELECT state FROM uploads WHERE id = %s", uid)[0][0] == "failed", 30,
                         "the upload to be failed as expired")

    def test_verify_store_reads_every_object(self):
        url, _ = rh.upload_bytes(self.c, self.req, payload(6 * MIB + 5, b"vs"), "vs.pdf", "other")
        out = accounts_helpers.run_cli(self.server, ["verify-store"] + list(self.server_args))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("sound, 0 problems", out.stdout)
        # one flipped byte in an object (written back through S3): reported, exit 1
        fid = self.sql("SELECT encode(file_id, 'hex') FROM documents WHERE upload_id = %s",
                       url.rsplit("/", 1)[1])[0][0]
        key = "%s/files/%s" % (self.prefix, fid)
        st, raw = self.gw.get(self.bucket, key)
        bad = bytearray(raw)
        bad[5 * MIB + 3] ^= 1
        self.assertEqual(self.gw.request("PUT", "/%s/%s" % (self.bucket, key), body=bytes(bad))[0], 200)
        out = accounts_helpers.run_cli(self.server, ["verify-store"] + list(self.server_args))
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn(fid[:4], out.stdout)
        self.assertIn("does not authenticate", out.stdout)
        self.assertEqual(self.gw.request("PUT", "/%s/%s" % (self.bucket, key), body=raw)[0], 200)


class S3RecoveryTest(S3Mixin, harness.ServerTestCase):
    """No expiry sweep while the test runs (its default minute): start-up recovery aborts it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.c, cls.req = rh.new_patient_with_request(cls.server, name="Recovered Person")

    def test_expired_at_start_up_is_aborted_by_recovery(self):
        data = payload(5 * MIB + 70000, b"exp")
        url = rh.tus_create(self.c, self.req, len(data) + 10, "exp.pdf", "other")
        self.assertEqual(rh.tus_patch(self.c, url, 0, data).status, 204)
        uid = url.rsplit("/", 1)[1]
        fid = self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s", uid)[0][0]
        key = "%s/files/%s" % (self.prefix, fid)
        self.assertEqual(len(self.gw.list_multipart(self.bucket, key)), 1)
        self.sql("UPDATE uploads SET expires_at = now() - interval '1 minute' WHERE id = %s", uid)
        # the sweep runs at start-up recovery and on its timer; a restart runs it now
        rh.restart(self.server)
        harness.wait_for(lambda: self.sql("SELECT state FROM uploads WHERE id = %s", uid)[0][0] == "failed", 30,
                         "the upload to expire")

        def aborted():
            return self.gw.list_multipart(self.bucket, key) == []
        harness.wait_for(aborted, 30, "the multipart upload to be aborted")


class S3RangeTest(unittest.TestCase):
    """A record read through the store's reader fetches that record, not the object
    (tests/unit/test_blob_s3 with the shared radosgw; it counts the bytes radosgw sent)."""

    def test_record_read_without_fetching_the_object(self):
        gw = gateway_or_skip()
        build = os.environ.get("SECONDOP_BUILD_DIR") or os.path.join(harness.ROOT, "build")
        exe = os.path.join(build, "tests", "test_blob_s3")
        if not os.path.exists(exe):
            self.fail("%s is missing (build the tests)" % exe)
        env = dict(os.environ, SECONDOP_TEST_S3_ENDPOINT=gw.endpoint, SECONDOP_TEST_S3_BUCKET=gw.new_bucket(),
                   AWS_ACCESS_KEY_ID=gw.access_key, AWS_SECRET_ACCESS_KEY=gw.secret_key,
                   SECONDOP_TEST_S3_REGION=gw.region)
        r = subprocess.run([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out)
        self.assertRegex(out, r"\d+ passed, 0 failed")


class S3RefusalTest(unittest.TestCase):
    """A wrong secret or an unreachable endpoint: the server refuses to start with one clear
    line, never the secret. The store going away while serving: 503, never a 500."""

    def start(self, args, env):
        dbname = harness.cluster().new_database()
        try:
            harness.Server(dbname, args, env)
        except RuntimeError as e:
            return str(e)
        self.fail("the server started")

    def test_wrong_secret_refuses_to_start(self):
        gw = gateway_or_skip()
        bucket = gw.new_bucket()
        text = self.start(s3_args(gw, bucket), s3_env(gw, secret="not-the-secret-" + "x" * 20))
        self.assertIn("refused the credentials", text)
        self.assertIn("check the access key and secret", text)
        self.assertNotIn("not-the-secret-", text)
        self.assertNotIn(gw.secret_key, text)

    def test_unreachable_endpoint_refuses_to_start(self):
        gw = gateway_or_skip()
        port = harness.free_port()  # nothing listens there
        text = self.start(s3_args(gw, "nobucket", endpoint="http://127.0.0.1:%d" % port), s3_env(gw))
        self.assertIn("unreachable", text)
        self.assertNotIn(gw.secret_key, text)

    def test_missing_bucket_and_missing_credentials(self):
        gw = gateway_or_skip()
        text = self.start(s3_args(gw, "no-such-bucket-here"), s3_env(gw))
        self.assertIn("does not exist", text)
        text = self.start(s3_args(gw, "whatever"), {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
        self.assertIn("needs an access key and a secret", text)


class S3GoneWhileServingTest(S3Mixin, harness.ServerTestCase):
    """The endpoint changes under a running server (here: its credentials are revoked):
    uploads and downloads answer 503, not 500."""

    def test_revoked_credentials_give_503(self):
        user, c, req = rh.new_patient_with_request(self.server, name="Revoked Person")
        url, _ = rh.upload_bytes(c, req, payload(3000, b"rv"), "rv.pdf", "other")
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])[0][0]
        big = payload(6 * MIB, b"rv2")
        url2 = rh.tus_create(c, req, len(big), "rv2.pdf", "other")
        gw = self.gw
        gw._cmd(["radosgw-admin", "-c", gw.conf, "-n", "client.rgw.a", "key", "rm", "--uid", "secondop",
                 "--key-type", "s3", "--access-key", gw.access_key])
        try:
            def refused():
                d = c.get("/requests/%d/documents/%d/download" % (req, doc))
                return d if d.status != 200 else None
            d = harness.wait_for(refused, 30, "the download to be refused")
            self.assertEqual(d.status, 503, d.text[:300])
            r = rh.tus_patch(c, url2, 0, big)
            self.assertEqual(r.status, 503, r.text[:300])
        finally:
            gw._cmd(["radosgw-admin", "-c", gw.conf, "-n", "client.rgw.a", "key", "create", "--uid", "secondop",
                     "--key-type", "s3", "--access-key", gw.access_key, "--secret", gw.secret_key])
        r = rh.tus_head(c, url2)
        self.assertEqual(r.status, 200)
        off = int(r.header("Upload-Offset"))
        r = rh.tus_patch(c, url2, off, big[off:])
        self.assertEqual(r.status, 204, r.text[:300])


# ---- the directory backend's tests, against radosgw where they do not read the data directory

class S3TusProtocolTest(S3Mixin, test_uploads.TusProtocolTest):
    def test_delete_then_404(self):
        url = rh.tus_create(self.c, self.req, 10, "d.pdf")
        self.assertEqual(rh.tus_patch(self.c, url, 0, PDF[:5]).status, 204)
        r = self.c.request("DELETE", url, headers=rh.tus_headers(self.c))
        self.assertEqual(r.status, 204)
        self.assertEqual(rh.tus_head(self.c, url).status, 404)
        self.assertEqual(self.c.request("DELETE", url, headers=rh.tus_headers(self.c)).status, 404)


class S3EmptyFileTest(S3Mixin, test_uploads.EmptyFileTest):
    pass


class S3StreamingDigestTest(S3Mixin, test_uploads.StreamingDigestTest):
    pass


class S3IntakeTest(S3Mixin, test_intake.IntakeTest):
    """Intake writes each archive entry as its own blob (put: PutObject or a multipart upload)."""


class S3RecordsCdTest(S3Mixin, test_records_cd.RecordsCdTest):
    """The CD-ready ZIP streams every document through the store's readers (ranged GETs)."""


