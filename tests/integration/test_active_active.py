"""Active-active (issue 16 item 3): two instances on one PostgreSQL and one blob store, any
instance serving any request. Both get one key directory (--key-file); instance B's data
directory shares A's store folders (files/, staging/, quarantine/) through links, as a shared
file system would; each has its own lock file and log.

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
    """A data directory for a second instance that shares a's store folders (a shared file system)."""
    d = tempfile.mkdtemp(prefix="sop-data-b-", dir=a.cluster.dir)
    for sub in ("files", "staging", "quarantine"):
        os.symlink(os.path.join(a.data_dir, sub), os.path.join(d, sub))
    return d


def shared_keys():
    """A key directory for every instance of a test class (--key-file)."""
    return tempfile.mkdtemp(prefix="sop-keys-", dir=harness.cluster().dir)


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
        env = {"SECONDOP_UPLOAD_LEASE_SECONDS": str(LEASE), "SECONDOP_KEY_FILE": shared_keys()}
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

    def test_intake_jobs_taken_once_across_instances(self):
        """Both instances' job workers claim from one queue (FOR UPDATE SKIP LOCKED under
        leases): uploads finished through either instance are each taken in exactly once."""
        _, ca, req = rh.new_patient_with_request(self.a)
        cb = on(ca, self.b)
        urls, sources = [], []
        for i in range(8):
            data = b"%PDF-1.4\n" + os.urandom(20000 + i)
            c = (ca, cb)[i % 2]
            url = rh.tus_create(c, req, len(data), "job-%d.pdf" % i, "other", hashlib.sha256(data).digest())
            r = rh.tus_patch(c, url, 0, data)
            self.assertEqual(r.status, 204, r.text)
            urls.append(url)
            sources.append(data)
        for i, (url, data) in enumerate(zip(urls, sources)):
            self.assertEqual(rh.wait_checked((cb, ca)[i % 2], url)["state"], "complete")
            doc = self.a.sql("SELECT sha256 FROM documents WHERE upload_id = %s", url.rsplit("/", 1)[1])
            self.assertEqual(doc, [(hashlib.sha256(data).hexdigest(),)])
        wait_until(lambda: not self.a.sql("SELECT 1 FROM jobs WHERE kind = 'intake' AND state IN "
                                          "('queued', 'running')"), "the intake jobs to be done")

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
        # B's lease stays live for the whole test
        env = {"SECONDOP_UPLOAD_LEASE_SECONDS": "600", "SECONDOP_KEY_FILE": shared_keys()}
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



class SharedKeysTest(unittest.TestCase):
    """One key directory given to every instance (--key-file, here SECONDOP_KEY_FILE so that the
    CLI the helpers run gets it too), checked against the key id recorded in the database:
    a login page loaded on A is submitted to B, the staff second factor and CSRF work across
    instances; an instance given other keys refuses to start with a clear message."""

    @classmethod
    def setUpClass(cls):
        cls.dbname = harness.cluster().new_database()
        cls.keys = tempfile.mkdtemp(prefix="sop-keys-", dir=harness.cluster().dir)
        env = {"SECONDOP_KEY_FILE": cls.keys}
        cls.a = harness.Server(cls.dbname, env=env)
        cls.b = harness.Server(cls.dbname, env=env)

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            s.stop()
        for s in (cls.a, cls.b):
            s.assert_clean_exit()

    def test_keys_are_the_given_directory(self):
        self.assertTrue(os.path.isfile(os.path.join(self.keys, "app.key")))
        for s in (self.a, self.b):
            self.assertFalse(os.path.exists(os.path.join(s.data_dir, "keys")), "keys made in the data directory")
        kid = self.a.sql("SELECT key_id FROM key_identity")
        self.assertEqual(len(kid), 1)
        self.assertIn("key id %s" % kid[0][0][:16], self.b.log_text())

    def test_other_keys_refuse_to_start(self):
        other = tempfile.mkdtemp(prefix="sop-keys-other-", dir=harness.cluster().dir)
        before = self.a.sql("SELECT key_id FROM key_identity")
        with self.assertRaises(RuntimeError) as cm:
            harness.Server(self.dbname, env={"SECONDOP_KEY_FILE": other})
        msg = str(cm.exception)
        self.assertIn("are not the keys this database was used with", msg)
        self.assertIn("start every instance with the same --key-file", msg)
        self.assertEqual(self.a.sql("SELECT key_id FROM key_identity"), before)
        # the flag wins over the environment, and the same refusal comes with a non-zero exit
        cmd = [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--database-url", self.a.app_dsn,
               "--data-dir", tempfile.mkdtemp(prefix="sop-data-c-", dir=harness.cluster().dir),
               "--share-dir", harness.ROOT, "--key-file", other]
        env = dict(self.a.env)
        env["SECONDOP_KEY_FILE"] = self.keys
        p = harness.subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("are not the keys this database was used with", p.stderr)

    def test_login_page_on_a_submitted_to_b(self):
        user = harness_user(self.a, "patient")
        ca = self.a.client()
        r = ca.get("/login")
        self.assertEqual(r.status, 200)
        cb = on(ca, self.b)
        r = cb.post("/login", {"email": user["email"], "password": user["password"]})
        self.assertEqual(r.status, 303, r.text[:300])
        # the session works on both; a form loaded on B is submitted to A (CSRF)
        for c in (on(cb, self.a), cb):
            r = c.get("/account")
            self.assertEqual(r.status, 200)
            self.assertIn(user["email"], r.text)
        r = cb.get("/requests/new")
        self.assertEqual(r.status, 200)
        r = on(cb, self.a).post("/requests/new", {})
        self.assertEqual(r.status, 303, r.text[:300])
        # a wrong token is still refused on either
        for s in (self.a, self.b):
            c = on(cb, s)
            c.csrf = "x" * 43
            self.assertEqual(c.post("/requests/new", {}).status, 403)

    def test_staff_second_factor_across_instances(self):
        import accounts_helpers as ah
        user = harness_user(self.a, "staff")
        ca = self.a.client()
        self.assertEqual(ca.get("/login").status, 200)
        r = ca.post("/login", {"email": user["email"], "password": user["password"]})
        self.assertEqual(r.status, 303)
        self.assertTrue((r.header("Location") or "").startswith("/login/2fa"), r.header("Location"))
        # the second-factor page loaded on B, the code submitted to A
        cb = on(ca, self.b)
        self.assertEqual(cb.get("/login/2fa").status, 200)
        ca = on(cb, self.a)
        r = ca.post("/login/2fa", {"code": ah.next_totp_code(self.a, user)})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertFalse((r.header("Location") or "").startswith("/login"), r.header("Location"))
        for s in (self.a, self.b):
            r = on(ca, s).get("/account")  # the session cookie A set after the second factor
            self.assertEqual(r.status, 200)
            self.assertIn(user["email"], r.text)


def harness_user(server, role):
    import accounts_helpers as ah
    return ah.make_user(server, role)


if __name__ == "__main__":
    unittest.main()
