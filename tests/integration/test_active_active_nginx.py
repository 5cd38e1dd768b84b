"""Two instances behind Debian's nginx (round-robin on loopback), on one PostgreSQL and the
s3:// store (a single-node Ceph, ceph_helper.py), sharing one key directory (--key-file): a
kill -9 campaign (at least 20 kills of either instance at random moments) during four
concurrent tus uploads whose clients resume through nginx (HEAD, then PATCH from the offset
it gives, whichever instance answers). Proves: the offset nginx reports never goes below the
highest offset acknowledged with a 204 (0 acknowledged bytes lost), and every file's SHA-256
is exact, read back through nginx. Skipped (listed as skipped) without nginx or Ceph."""
import hashlib
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import accounts_helpers as ah
import ceph_helper
import harness
import records_helpers as rh

KILLS = int(os.environ.get("SECONDOP_CRASH_KILLS", "20"))
UPLOADS = 4
SIZE = 11 * 1024 * 1024 + 4321  # two S3 parts and an unfinished one
CHUNK = 64 * 1024 + 7
NGINX = "/usr/sbin/nginx"


class Nginx:
    """nginx in the foreground on a loopback port, round-robin over the given ports."""

    def __init__(self, ports):
        self.dir = tempfile.mkdtemp(prefix="sop-nginx-", dir=harness.cluster().dir)
        os.chmod(self.dir, 0o777)
        self.port = harness.free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        with open(conf, "w") as f:
            f.write(user + """worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path %(d)s/body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  upstream portal { %(servers)s }
  server {
    listen 127.0.0.1:%(port)d;
    client_max_body_size 0;
    location / {
      proxy_pass http://portal;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
    }
  }
}
""" % {"d": self.dir, "port": self.port,
       "servers": " ".join("server 127.0.0.1:%d max_fails=0;" % p for p in ports)})
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("nginx did not start: " + open(os.path.join(self.dir, "error.log")).read())
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # what harness.Client needs of a server
    def check_response(self, r):
        pass


class NginxKillCampaignTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(NGINX):
            raise unittest.SkipTest("nginx is not installed (scripts/install-deps.sh installs nginx-light)")
        cls.gw = ceph_helper.gateway()
        if cls.gw is None:
            raise unittest.SkipTest(ceph_helper.skip_reason())
        cls.bucket = cls.gw.new_bucket()
        cls.dbname = harness.cluster().new_database()
        keys = tempfile.mkdtemp(prefix="sop-keys-", dir=harness.cluster().dir)
        env = {"SECONDOP_KEY_FILE": keys, "SECONDOP_UPLOAD_LEASE_SECONDS": "3",
               "AWS_ACCESS_KEY_ID": cls.gw.access_key, "AWS_SECRET_ACCESS_KEY": cls.gw.secret_key}
        args = ["--blob-store", "s3://%s/store" % cls.bucket, "--s3-endpoint", cls.gw.endpoint,
                "--s3-region", cls.gw.region]
        cls.servers = [harness.Server(cls.dbname, args, env)]
        cls.servers.append(harness.Server(cls.dbname, args, env))
        cls.nginx = Nginx([s.port for s in cls.servers])

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        for s in cls.servers:
            s.stop()
        for s in cls.servers:
            # a kill -9 leaves no report; the last run of each must be clean
            s.assert_clean_exit()

    def test_kill9_campaign_through_nginx(self):
        rnd = random.Random(int(os.environ.get("SECONDOP_CRASH_SEED", "16")))
        user = ah.make_user(self.servers[0], "patient", name="Jane Doe")
        self.servers[0].sql("UPDATE users SET date_of_birth = '1970-01-01' WHERE id = %s", user["id"])
        c = harness.Client(self.nginx)
        ah.login(c, user)
        req = rh.new_request(c)
        sources, urls = [], []
        for i in range(UPLOADS):
            data = b"%PDF-1.4\n" + os.urandom(SIZE - 9)
            sources.append(data)
            urls.append(rh.tus_create(c, req, len(data), "campaign-%d.pdf" % i, "other",
                                      hashlib.sha256(data).digest()))
        ledger = {u: 0 for u in urls}  # highest offset acknowledged with a 204
        lock = threading.Lock()
        violations, done = [], set()
        stop = threading.Event()
        # paced by kills, as test_crash.py: at most `quota` chunks per upload between two kills
        quota = (SIZE // CHUNK) // (KILLS + 2)
        epoch = [0]
        sent = {u: 0 for u in urls}
        statuses = {}

        def may_send(url):
            with lock:
                return epoch[0] >= KILLS or sent[url] < quota

        def worker(url, data):
            off = None
            while not stop.is_set():
                try:
                    if off is None:
                        h = rh.tus_head(c, url)
                        if h.status != 200:
                            time.sleep(0.05)
                            continue
                        off = int(h.header("Upload-Offset"))
                        with lock:
                            if off < ledger[url]:
                                violations.append((url, off, ledger[url]))
                    if off >= len(data):
                        done.add(url)
                        return
                    if not may_send(url):
                        time.sleep(0.01)
                        continue
                    r = rh.tus_patch(c, url, off, data[off:off + CHUNK])
                    with lock:
                        statuses[r.status] = statuses.get(r.status, 0) + 1
                    if r.status == 204:
                        new = int(r.header("Upload-Offset"))
                        with lock:
                            ledger[url] = max(ledger[url], new)
                            sent[url] += 1
                        off = new
                    else:
                        off = None
                        time.sleep(0.05)
                except (OSError, harness.http.client.HTTPException, AssertionError):
                    off = None
                    time.sleep(0.05)

        def all_progressed():
            with lock:
                return all(sent[u] > 0 for u in urls if u not in done)

        threads = [threading.Thread(target=worker, args=(u, d)) for u, d in zip(urls, sources)]
        for t in threads:
            t.start()
        kills = kills_during = 0
        killed = [0, 0]
        try:
            while kills < KILLS:
                deadline = time.time() + 120
                while not all_progressed() and time.time() < deadline:
                    time.sleep(0.01)
                time.sleep(rnd.uniform(0.0, 0.15))
                if len(done) < UPLOADS:
                    kills_during += 1
                which = rnd.randrange(2)
                killed[which] += 1
                rh.restart(self.servers[which], 9)
                kills += 1
                with lock:
                    epoch[0] += 1
                    for u in urls:
                        sent[u] = 0
        finally:
            deadline = time.time() + 300
            while len(done) < UPLOADS and time.time() < deadline:
                time.sleep(0.1)
            stop.set()
            for t in threads:
                t.join()
        self.assertGreaterEqual(kills, min(KILLS, 20))
        self.assertGreater(min(killed), 0, "both instances were killed")
        self.assertGreaterEqual(kills_during, min(KILLS, 20) * 3 // 4, "most kills must hit running uploads")
        self.assertEqual(violations, [], "acknowledged bytes lost")
        self.assertEqual(len(done), UPLOADS)
        for url, data in zip(urls, sources):
            uid = url.rsplit("/", 1)[1]
            self.assertEqual(rh.wait_checked(c, url)["state"], "complete", uid)
            doc = self.servers[0].sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", uid)
            self.assertEqual(len(doc), 1, uid)
            self.assertEqual(doc[0][1], hashlib.sha256(data).hexdigest())
            for _ in range(2):  # through nginx: one download from each instance, round-robin
                body = c.get("/requests/%d/documents/%d/download" % (req, doc[0][0])).body
                self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(data).hexdigest())
        print("\nnginx campaign: %d kills (A %d, B %d; %d during uploads), %d uploads of %d bytes, ledger %s, "
              "PATCH answers %s" % (kills, killed[0], killed[1], kills_during, UPLOADS, SIZE,
                                    sorted(ledger.values()), sorted(statuses.items())))


if __name__ == "__main__":
    unittest.main()
