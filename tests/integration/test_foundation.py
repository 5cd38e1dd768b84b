"""The foundation: pages, static files, limits, error answers, the database
going away and coming back, and the embedded PostgreSQL's life cycle."""
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness


class PagesTest(harness.ServerTestCase):
    def test_landing_page_speaks_to_patients(self):
        r = self.client().get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        for words in ("A second opinion on your mammogram", "original images", "BI-RADS",
                      "pathology report", "HIPAA release", "referral"):
            self.assertIn(words, r.text)

    def test_security_headers_on_every_kind_of_answer(self):
        c = self.client()
        for path, status in (("/", 200), ("/healthz", 200), ("/nope", 404), ("/static/css/site.css", 200)):
            r = c.get(path)
            self.assertEqual(r.status, status, path)
            csp = r.header("Content-Security-Policy")
            self.assertIn("default-src 'none'", csp)
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
            self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
            self.assertEqual(r.header("Cross-Origin-Opener-Policy"), "same-origin")
            self.assertIsNone(r.header("Server"))
            self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertEqual(c.get("/").header("Cache-Control"), "no-store")
        self.assertIsNone(c.get("/", headers={"Origin": "https://evil.example"}).header("Access-Control-Allow-Origin"))

    def test_healthz_and_readyz(self):
        c = self.client()
        self.assertEqual(c.get("/healthz").json(), {"status": "ok"})
        self.assertEqual(c.get("/readyz").json()["database"], "ok")

    def test_static_file_with_etag_and_304(self):
        c = self.client()
        r = c.get("/static/css/site.css")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/css; charset=utf-8")
        etag = r.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{24}"$')
        with open(os.path.join(harness.ROOT, "static/css/site.css"), "rb") as f:
            self.assertEqual(r.body, f.read())
        r2 = c.get("/static/css/site.css", headers={"If-None-Match": etag})
        self.assertEqual(r2.status, 304)
        self.assertEqual(r2.body, b"")
        r3 = c.get("/static/js/app.js")
        self.assertEqual(r3.header("Content-Type"), "text/javascript; charset=utf-8")

    def test_traversal_and_listing_refused(self):
        c = self.client()
        for path in ("/static/../server/main.c", "/static/%2e%2e/server/main.c", "/static/..%2fserver%2fmain.c",
                     "/static/css/../../meson.build", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/",
                     "/static/css", "/static/css/", "/static//etc/passwd", "/static/css%00.css",
                     "/static/.%2e/meson.build", "/static/css\\..\\site.css"):
            r = c.get(path)
            self.assertIn(r.status, (400, 404), path)
            self.assertNotIn(b"project(", r.body)
            self.assertNotIn(b"root:", r.body)

    def test_unknown_route_is_404_page_and_json_under_api(self):
        c = self.client()
        r = c.get("/no/such/page")
        self.assertEqual(r.status, 404)
        self.assertIn("text/html", r.header("Content-Type"))
        self.assertIn("We could not find that page", r.text)
        self.assertRegex(r.text, r"incident number <code>[0-9a-f]{16}</code>")
        r = c.get("/api/v1/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json()["error"]["code"], "not_found")
        self.assertRegex(r.json()["error"]["incident"], r"^[0-9a-f]{16}$")

    def test_wrong_method_is_405_with_allow(self):
        c = self.client()
        for m in ("POST", "PUT", "DELETE", "TRACE", "PATCH"):
            r = c.request(m, "/healthz")
            self.assertEqual(r.status, 405, m)
            self.assertEqual(r.header("Allow"), "GET")
        self.assertIn("method=TRACE refused", self.server.log_text().replace("method ", "method="))

    def test_head_answers_like_get_without_body(self):
        r = self.client().request("HEAD", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")


class LimitsTest(harness.ServerTestCase):
    def test_body_on_a_bodyless_route_is_413_before_reading(self):
        # declares 10 MB but sends nothing: the answer must come from the headers alone
        raw = harness.raw_request(self.server.port,
                                  b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", timeout=5)
        self.assertTrue(raw.startswith(b"HTTP/1.1 413") or raw.startswith(b"HTTP/1.1 405"), raw[:40])

    def test_duplicate_content_length_refused(self):
        raw = harness.raw_request(self.server.port,
                                  b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n")
        self.assertRegex(raw[:20], rb"^HTTP/1.1 400")

    def test_content_length_with_transfer_encoding_refused(self):
        raw = harness.raw_request(self.server.port,
                                  b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertRegex(raw[:20], rb"^HTTP/1.1 400")

    def test_huge_headers_refused(self):
        raw = harness.raw_request(self.server.port,
                                  b"GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertRegex(raw[:20], rb"^HTTP/1.1 4(31|13|00)")

    def test_log_lines_stay_single_lines(self):
        c = self.client()
        c.get("/x%0d%0a2025-01-01%20LOGIN%20OK%20admin")
        c.get("/", headers={"User-Agent": "evil\x1b[31mred"})
        # the access line is written after the response is sent: wait for it
        self.server.wait_log("2025-01-01 LOGIN OK admin")
        log = self.server.wait_log("\\x1b[31mred")
        self.assertNotIn("\n2025-01-01 LOGIN OK admin", log)
        self.assertNotIn("\x1b[31m", log)
        self.assertIn("\\x1b[31mred", log)


class DatabaseOutageTest(harness.ServerTestCase):
    def test_database_down_gives_503_then_recovers(self):
        c = self.client()
        self.assertEqual(c.get("/readyz").status, 200)
        cl = harness.cluster()
        cl.stop_server()
        try:
            r = c.get("/readyz")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.header("Retry-After"), "2")
            self.assertEqual(c.get("/healthz").status, 200)  # the process is up
        finally:
            cl.start_server()
        deadline = time.time() + 10
        status = None
        while time.time() < deadline:
            status = c.get("/readyz").status
            if status == 200:
                break
            time.sleep(0.3)
        self.assertEqual(status, 200)
        self.assertIsNone(self.server.proc.poll())


class CommandLineTest(unittest.TestCase):
    def run_bin(self, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([harness.BIN] + list(args), capture_output=True, text=True, env=e, timeout=60)

    def test_help_documents_options(self):
        r = self.run_bin("--help")
        self.assertEqual(r.returncode, 0)
        for opt in ("--listen", "--data-dir", "--database-url", "--base-url", "--threads", "--tls-cert", "--tls-key"):
            self.assertIn(opt, r.stdout)
        r = self.run_bin("serve", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("SECONDOP_LISTEN", r.stdout)

    def test_invalid_values_exit_2_with_one_line(self):
        for args in (("serve", "--listen", "nonsense"), ("serve", "--threads", "0"), ("serve", "--bogus"),
                     ("serve", "--tls-cert", "/etc/hostname"), ("frobnicate",)):
            r = self.run_bin(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        r = self.run_bin("serve", env={"SECONDOP_THREADS": "many"})
        self.assertEqual(r.returncode, 2)


def pg_processes(datadir):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "postgres" in l and datadir in l]


class EmbeddedPostgresTest(unittest.TestCase):
    def test_serve_starts_and_stops_its_own_cluster(self):
        base = tempfile.mkdtemp(prefix="sop-emb-", dir="/tmp")
        os.chmod(base, 0o755)
        data = os.path.join(base, "d")
        env = dict(os.environ)
        env.pop("SECONDOP_DATABASE_URL", None)
        log = open(os.path.join(base, "log"), "wb")
        p = subprocess.Popen([harness.BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                              "--share-dir", harness.ROOT], stdout=log, stderr=log, env=env)
        try:
            port = None
            deadline = time.time() + 60
            while time.time() < deadline and port is None:
                text = open(os.path.join(base, "log")).read()
                m = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", text)
                if m:
                    port = int(m.group(1))
                self.assertIsNone(p.poll(), text)
                time.sleep(0.1)
            self.assertIsNotNone(port)
            self.assertTrue(os.path.exists(os.path.join(data, "pg", "PG_VERSION")))
            self.assertTrue(os.path.exists(os.path.join(data, "pg", ".s.PGSQL.5432")))
            self.assertTrue(pg_processes(os.path.join(data, "pg")))
            server = type("S", (), {"port": port, "check_response": lambda self, r: None})()
            r = harness.Client(server).get("/readyz")
            self.assertEqual(r.status, 200)
            # a second serve on the same data directory says one is running
            second = subprocess.run([harness.BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                                     "--share-dir", harness.ROOT], capture_output=True, text=True, env=env, timeout=30)
            self.assertEqual(second.returncode, 1)
            self.assertIn("already running", second.stderr)
            # no TCP listener from PostgreSQL
            ss = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
            self.assertNotIn("postgres", ss)
        finally:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=60)
            log.close()
        self.assertEqual(p.returncode, 0)
        self.assertEqual(pg_processes(os.path.join(data, "pg")), [])
        # restart on the same folder reuses the cluster (no initdb) and migrations are not re-applied
        r = subprocess.run([harness.BIN, "migrate", "--data-dir", data, "--share-dir", harness.ROOT],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("applied migration", r.stderr)
        self.assertNotIn("creating the embedded", r.stderr)
        self.assertEqual(pg_processes(os.path.join(data, "pg")), [])
        subprocess.run(["rm", "-rf", base])

    def test_failing_migration_stops_start_and_changes_nothing(self):
        share = tempfile.mkdtemp(prefix="sop-share-", dir="/tmp")
        os.chmod(share, 0o755)
        os.symlink(os.path.join(harness.ROOT, "templates"), os.path.join(share, "templates"))
        os.symlink(os.path.join(harness.ROOT, "static"), os.path.join(share, "static"))
        os.symlink(os.path.join(harness.ROOT, "data"), os.path.join(share, "data"))
        mig = os.path.join(share, "migrations")
        os.mkdir(mig)
        for f in os.listdir(os.path.join(harness.ROOT, "migrations")):
            os.symlink(os.path.join(harness.ROOT, "migrations", f), os.path.join(mig, f))
        with open(os.path.join(mig, "9999_broken.sql"), "w") as f:
            f.write("CREATE TABLE half_done (x int);\nSELECT no_such_function();\n")
        cl = harness.cluster()
        db = cl.new_database()
        r = subprocess.run([harness.BIN, "migrate", "--database-url", cl.dsn(db), "--share-dir", share],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("9999_broken.sql", r.stderr)
        self.assertIn("no_such_function", r.stderr)
        srv = harness.Server.__new__(harness.Server)
        srv.dsn = cl.dsn(db)
        self.assertEqual(srv.sql("SELECT to_regclass('half_done') IS NULL")[0][0], True)
        self.assertEqual(srv.sql("SELECT count(*) FROM schema_migrations WHERE version = '9999_broken.sql'")[0][0], 0)
        subprocess.run(["rm", "-rf", share])


if __name__ == "__main__":
    unittest.main()
