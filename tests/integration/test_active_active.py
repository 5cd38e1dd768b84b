"""Active-active (issue 16 item 3): two instances on one PostgreSQL and one blob store, any
instance serving any request. Instance B's data directory shares A's key ring and store
folders (keys/, files/, staging/, quarantine/) through links, as a shared file system would;
each has its own lock file and log.

Proves:
- an upload's ownership is a lease in PostgreSQL with a fencing token checked by the offset
  commit: a PATCH on A stalled before its commit (test hook) past its lease, B takes the upload
  and commits, and A's commit is refused (409 that says so, nothing acknowledged, B's bytes
  untouched); the file then completes through either instance with its exact bytes;
- a PATCH meeting an upload that another live instance holds waits for it, then answers 409
  saying so, changing nothing."""
import hashlib
import os
import signal
import tempfile
import threading
import time
import unittest

import harness
import records_helpers as rh

LEASE = 2  # seconds: SECONDOP_UPLOAD_LEASE_SECONDS for both instances


def shared_data_dir(a):
    """A data directory for a second instance that shares a's keys and store folders."""
    d = tempfile.mkdtemp(prefix="sop-data-b-", dir=a.cluster.dir)
    for sub in ("keys", "files", "staging", "quarantine"):
        os.symlink(os.path.join(a.data_dir, sub), os.path.join(d, sub))
    return d


def on(client, server):
    """The same browser (cookies, CSRF token) talking to another instance."""
    c = server.client()
    c.cookies = dict(client.cookies)
    c.csrf = client.csrf
    return c


def wait_until(cond, what, timeout=30):
    deadline = time.time() + timeout
    while not cond():
        if time.time() >= deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class ActiveActiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dbname = harness.cluster().new_database()
        cls.pause = os.path.join(harness.cluster().dir, "pause-commit-a-%d" % os.getpid())
        cls.pause_b = os.path.join(harness.cluster().dir, "pause-commit-b-%d" % os.getpid())
        env = {"SECONDOP_UPLOAD_LEASE_SECONDS": str(LEASE)}
        # each instance stalls before an offset commit while its pause file exists
        cls.a = harness.Server(cls.dbname, env=dict(env, SECONDOP_TEST_COMMIT_PAUSE_FILE=cls.pause))
        cls.b = harness.Server(cls.dbname, env=dict(env, SECONDOP_TEST_COMMIT_PAUSE_FILE=cls.pause_b),
                               data_dir=shared_data_dir(cls.a))

    @classmethod
    def tearDownClass(cls):
        for p in (cls.pause, cls.pause_b):
            if os.path.exists(p):
                os.unlink(p)
        for s in (cls.a, cls.b):
            s.stop()
        for s in (cls.a, cls.b):
            s.assert_clean_exit()

    def lease_of(self, url):
        uid = url.rsplit("/", 1)[1]
        return self.a.sql("SELECT lease_token, lease_owner, lease_until < now() FROM uploads WHERE id = %s", uid)[0]

    def test_stalled_commit_is_fenced(self):
        _, ca, req = rh.new_patient_with_request(self.a)
        cb = on(ca, self.b)
        data = b"%PDF-1.4\n" + os.urandom(300 * 1024)
        url = rh.tus_create(ca, req, len(data), "fenced.pdf", "other", hashlib.sha256(data).digest())
        r = rh.tus_patch(ca, url, 0, data[:100000])
        self.assertEqual(r.status, 204, r.text)
        self.assertIsNone(self.lease_of(url)[1], "a finished PATCH lets go of the lease")

        # A's next PATCH stalls (after its bytes are synced, before its commit)
        open(self.pause, "w").close()
        out = {}
        mark_a, mark_b = len(self.a.log_text()), len(self.b.log_text())
        ta = threading.Thread(target=lambda: out.update(a=rh.tus_patch(ca, url, 100000, data[100000:200000])))
        tb = None
        ta.start()
        try:
            self.a.wait_log("pauses before its offset commit", from_byte=mark_a)
            token_a, owner_a, _ = self.lease_of(url)
            self.assertIsNotNone(owner_a)
            wait_until(lambda: self.lease_of(url)[2], "A's lease to lapse")
            # B sees the committed offset and takes the upload; its PATCH is held before
            # its commit too, so the offset in the row is still the one A started from
            h = rh.tus_head(cb, url)
            self.assertEqual((h.status, h.header("Upload-Offset")), (200, "100000"))
            open(self.pause_b, "w").close()
            tb = threading.Thread(target=lambda: out.update(b=rh.tus_patch(cb, url, 100000, data[100000:250000])))
            tb.start()
            self.b.wait_log("pauses before its offset commit", from_byte=mark_b)
            token_b, owner_b, _ = self.lease_of(url)
            self.assertGreater(token_b, token_a, "B's taking raised the fencing token")
            self.assertNotEqual(owner_b, owner_a)
            # A goes on first: only the fencing token can refuse it (the offset did not move)
            os.unlink(self.pause)
            ta.join(60)
            self.assertFalse(ta.is_alive())
            self.a.wait_log("commit refused", from_byte=mark_a)
            self.assertEqual(self.a.sql("SELECT \"offset\" FROM uploads WHERE id = %s", url.rsplit("/", 1)[1]),
                             [(100000,)])
            os.unlink(self.pause_b)
            tb.join(60)
            self.assertFalse(tb.is_alive())
        finally:
            for p in (self.pause, self.pause_b):
                if os.path.exists(p):
                    os.unlink(p)
            ta.join(60)
            if tb:
                tb.join(60)
        ra, rb = out["a"], out["b"]
        self.assertEqual(ra.status, 409, ra.text)
        self.assertIn("taken over by another connection", ra.text)
        self.assertIsNone(ra.header("Upload-Offset"))
        self.assertEqual((rb.status, rb.header("Upload-Offset")), (204, "250000"), rb.text)
        # nothing of A's was committed, B's bytes stand: both instances say 250000
        for c in (ca, cb):
            h = rh.tus_head(c, url)
            self.assertEqual((h.status, h.header("Upload-Offset")), (200, "250000"))
        # the rest through A; the file is exact
        r = rh.tus_patch(ca, url, 250000, data[250000:])
        self.assertEqual(r.status, 204, r.text)
        st = rh.wait_checked(ca, url)
        self.assertEqual(st["state"], "complete", st)
        doc = self.a.sql("SELECT id FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])
        self.assertEqual(len(doc), 1)
        for c in (ca, cb):
            d = c.get("/requests/%d/documents/%d/download" % (req, doc[0][0]))
            self.assertEqual(d.status, 200)
            self.assertEqual(hashlib.sha256(d.body).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_live_lease_elsewhere_answers_409(self):
        _, ca, req = rh.new_patient_with_request(self.a)
        cb = on(ca, self.b)
        data = b"%PDF-1.4\n" + os.urandom(50000)
        url = rh.tus_create(ca, req, len(data), "held.pdf", "other")
        uid = url.rsplit("/", 1)[1]
        # another live instance holds the lease (renewed for the whole check)
        self.a.sql("UPDATE uploads SET lease_token = lease_token + 1, lease_owner = 'elsewhere', "
                   "lease_until = now() + interval '1 hour' WHERE id = %s", uid)
        for c in (ca, cb):
            r = rh.tus_patch(c, url, 0, data)
            self.assertEqual(r.status, 409, r.text)
            self.assertIn("Another connection is sending this file", r.text)
        self.assertEqual(self.a.sql("SELECT \"offset\", lease_owner FROM uploads WHERE id = %s", uid)[0],
                         (0, "elsewhere"))
        # once it lets go, either instance takes the upload
        self.a.sql("UPDATE uploads SET lease_owner = NULL, lease_until = NULL WHERE id = %s", uid)
        r = rh.tus_patch(cb, url, 0, data)
        self.assertEqual(r.status, 204, r.text)


class RestartBesideLiveUploadTest(unittest.TestCase):
    """Recovery at start touches only uploads whose lease is free or lapsed: restarting A
    while B is in the middle of a PATCH (its bytes synced, its commit still to come, its
    lease live) leaves B's upload alone; B's PATCH then commits and the file is exact."""

    @classmethod
    def setUpClass(cls):
        cls.dbname = harness.cluster().new_database()
        cls.pause_b = os.path.join(harness.cluster().dir, "pause-commit-rb-%d" % os.getpid())
        env = {"SECONDOP_UPLOAD_LEASE_SECONDS": "600"}  # B's lease stays live for the whole test
        cls.a = harness.Server(cls.dbname, env=env)
        cls.b = harness.Server(cls.dbname, env=dict(env, SECONDOP_TEST_COMMIT_PAUSE_FILE=cls.pause_b),
                               data_dir=shared_data_dir(cls.a))

    @classmethod
    def tearDownClass(cls):
        if os.path.exists(cls.pause_b):
            os.unlink(cls.pause_b)
        for s in (cls.a, cls.b):
            s.stop()
        for s in (cls.a, cls.b):
            s.assert_clean_exit()

    def staging_size(self, url):
        fid = self.a.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s", url.rsplit("/", 1)[1])[0][0]
        return os.path.getsize(os.path.join(self.a.data_dir, "staging", fid))

    def test_restart_leaves_live_upload_alone(self):
        _, ca, req = rh.new_patient_with_request(self.a)
        cb = on(ca, self.b)
        data = b"%PDF-1.4\n" + os.urandom(400 * 1024)
        uid_url = rh.tus_create(cb, req, len(data), "beside.pdf", "other", hashlib.sha256(data).digest())
        uid = uid_url.rsplit("/", 1)[1]
        r = rh.tus_patch(cb, uid_url, 0, data[:100000])
        self.assertEqual(r.status, 204, r.text)
        open(self.pause_b, "w").close()
        out = {}
        mark_b = len(self.b.log_text())
        t = threading.Thread(target=lambda: out.update(b=rh.tus_patch(cb, uid_url, 100000, data[100000:300000])))
        t.start()
        try:
            self.b.wait_log("pauses before its offset commit", from_byte=mark_b)
            held = self.a.sql("SELECT lease_token, lease_owner FROM uploads WHERE id = %s", uid)[0]
            synced = self.staging_size(uid_url)  # B's bytes are in the staging file, not committed
            # A restarts (killed, as a crash would) while B's PATCH is in flight
            mark_a = len(self.a.log_text())
            self.a.stop(signal.SIGKILL)
            self.a.start()
            self.a.wait_log("1 uploads left to the live instances holding them", from_byte=mark_a)
            self.assertEqual(self.a.sql("SELECT lease_token, lease_owner, \"offset\" FROM uploads WHERE id = %s",
                                        uid)[0], held + (100000,))
            self.assertEqual(self.staging_size(uid_url), synced, "A's recovery cut B's staging file")
            h = rh.tus_head(ca, uid_url)
            self.assertEqual((h.status, h.header("Upload-Offset")), (200, "100000"))
        finally:
            if os.path.exists(self.pause_b):
                os.unlink(self.pause_b)
            t.join(60)
        self.assertEqual((out["b"].status, out["b"].header("Upload-Offset")), (204, "300000"), out["b"].text)
        for c in (ca, cb):
            h = rh.tus_head(c, uid_url)
            self.assertEqual((h.status, h.header("Upload-Offset")), (200, "300000"))
        r = rh.tus_patch(ca, uid_url, 300000, data[300000:])
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(rh.wait_checked(ca, uid_url)["state"], "complete")
        doc = self.a.sql("SELECT id FROM documents WHERE upload_id = %s", uid)
        d = ca.get("/requests/%d/documents/%d/download" % (req, doc[0][0]))
        self.assertEqual(hashlib.sha256(d.body).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_restart_after_crash_resumes_own_upload_at_once(self):
        """A lease held by the same data directory (a crashed run of this instance) is taken at
        once: the restarted server resumes its own upload without waiting for it to lapse."""
        _, ca, req = rh.new_patient_with_request(self.a)
        data = b"%PDF-1.4\n" + os.urandom(200 * 1024)
        url = rh.tus_create(ca, req, len(data), "own.pdf", "other")
        uid = url.rsplit("/", 1)[1]
        r = rh.tus_patch(ca, url, 0, data[:100000])
        self.assertEqual(r.status, 204, r.text)
        # as if A had been killed inside a PATCH: its lease (600 s) is still in the row
        self.assertIsNone(self.a.sql("SELECT lease_owner FROM uploads WHERE id = %s", uid)[0][0])
        self.a.sql("UPDATE uploads SET lease_token = lease_token + 1, lease_owner = split_part(%s, '.', 1) || "
                   "'.deadbeefdeadbeefdeadbeef', lease_until = now() + interval '10 minutes' WHERE id = %s",
                   self.a_dir_id(), uid)
        mark_a = len(self.a.log_text())
        self.a.stop(signal.SIGKILL)
        self.a.start()
        self.a.wait_log("uploads left to the live instances", from_byte=mark_a)
        # recovery took it (the lease named A's own data directory) and let go of it
        token, owner = self.a.sql("SELECT lease_token, lease_owner FROM uploads WHERE id = %s", uid)[0]
        self.assertIsNone(owner)
        r = rh.tus_patch(ca, url, 100000, data[100000:])
        self.assertEqual(r.status, 204, r.text)
        self.assertGreater(self.a.sql("SELECT lease_token FROM uploads WHERE id = %s", uid)[0][0], token)

    def a_dir_id(self):
        with open(os.path.join(self.a.data_dir, "instance-dir.id")) as f:
            return f.read().strip() + ".x"  # split_part(…, '.', 1) is the directory's id



if __name__ == "__main__":
    unittest.main()
