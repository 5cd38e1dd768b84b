"""Integration test harness: a real PostgreSQL cluster and the real secondop
binary, driven over HTTP on loopback. Standard library + psycopg2 only.

One cluster per test run (started by `cluster()`, stopped at exit). Each test
class gets its own database, cloned from a migrated template, and its own
server process on a free port:

    class LandingTest(harness.ServerTestCase):
        def test_landing(self):
            r = self.client().get("/")
            self.assertEqual(r.status, 200)

Environment: SECONDOP_BIN (the binary; default build/secondop),
SECONDOP_SHARE_DIR (source root), SECONDOP_TEST_TMP (scratch folder).
As root the cluster runs as the `postgres` user.
"""
import atexit
import http.client
import json as jsonlib
import os
import socket
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import psycopg2

ROOT = os.environ.get("SECONDOP_SHARE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("SECONDOP_BIN") or os.path.join(ROOT, "build", "secondop")
PG_BIN = os.environ.get("SECONDOP_PG_BINDIR") or "/usr/lib/postgresql/15/bin"
IS_ROOT = os.geteuid() == 0

_cluster = None
_db_counter = 0
_lock = threading.Lock()


def _as_pg(cmd):
    return (["runuser", "-u", "postgres", "--"] + cmd) if IS_ROOT else cmd


def free_port():
    """A TCP port on loopback that nothing listens on right now. When run.py shares the
    modules among worker processes (SECONDOP_TEST_SHARD of SECONDOP_TEST_SHARDS), each takes
    ports from its own share only, so that two workers never pick the same port between
    asking for it and binding it. (The share goes by port // 2: the kernel hands out odd
    ports to bind() and even ones to connect(), and a share by parity would leave a worker
    only the ports of outgoing connections.)"""
    shard = int(os.environ.get("SECONDOP_TEST_SHARD") or 0)
    shards = int(os.environ.get("SECONDOP_TEST_SHARDS") or 1)
    held = []
    try:
        for _ in range(1000):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
            if (p // 2) % shards == shard:
                return p
        raise RuntimeError("no free port in this worker's share")
    finally:
        for s in held:
            s.close()


def wait_for(cond, timeout=60, what="condition"):
    """Polls cond (every 20 ms) until it gives a true value, which it returns; fails the
    calling test after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


class Cluster:
    """A throwaway PostgreSQL cluster on a unix socket, with a migrated template database."""

    def __init__(self):
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix="sop-pg-", dir=base)
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "d")
        self.sock = self.dir
        if IS_ROOT:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        subprocess.run(_as_pg([PG_BIN + "/initdb", "-D", self.data, "-U", "secondop", "--auth=trust",
                               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        opts = "-k %s -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=300" % self.sock
        subprocess.run(_as_pg([PG_BIN + "/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "pg.log"),
                               "-o", opts, "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
        self.running = True
        self.admin_dsn = "host=%s dbname=postgres user=secondop" % self.sock
        # the roles of the least-privilege set-up (as the embedded cluster makes them): the owner
        # runs migrations, the servers under test connect as the application role
        self._exec("CREATE ROLE secondop_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        self._exec("CREATE ROLE secondop_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        self._exec("CREATE DATABASE base OWNER secondop_owner")
        r = subprocess.run([BIN, "migrate", "--database-url", self.dsn("base", "secondop_owner"), "--share-dir", ROOT],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("migrate failed: " + r.stderr)

    def dsn(self, db, user="secondop"):
        """Superuser by default (for test set-up and inspection); servers get user="secondop_app"."""
        return "host=%s dbname=%s user=%s" % (self.sock, db, user)

    def _exec(self, sql):
        conn = psycopg2.connect(self.admin_dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    def new_database(self):
        global _db_counter
        with _lock:
            _db_counter += 1
            name = "t%d" % _db_counter
        self._exec("CREATE DATABASE %s TEMPLATE base OWNER secondop_owner" % name)
        return name

    def stop_server(self):
        subprocess.run(_as_pg([PG_BIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       check=False, stdout=subprocess.DEVNULL)
        self.running = False

    def start_server(self):
        opts = "-k %s -c listen_addresses='' -c fsync=off -c max_connections=300" % self.sock
        subprocess.run(_as_pg([PG_BIN + "/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "pg.log"),
                               "-o", opts, "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
        self.running = True

    def destroy(self):
        if self.running:
            self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)


def cluster():
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
        atexit.register(_cluster.destroy)
    return _cluster


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.header_list:
            if k.lower() == name:
                return v
        return None

    def headers_named(self, name):
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


def _chunked_body_complete(body):
    pos = 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return False
        try:
            size = int(body[pos:eol].split(b";")[0], 16)
        except ValueError:
            return False
        if size == 0:
            rest = body[eol + 2:]
            return rest.startswith(b"\r\n") or b"\r\n\r\n" in rest
        pos = eol + 2 + size + 2
        if pos > len(body):
            return False


def answer_complete(buf, head_request=False):
    """True once buf holds one whole HTTP/1.1 answer (after any 1xx interim ones),
    delimited by its Content-Length or its chunked encoding. An answer delimited
    only by the connection's close is never complete here."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = buf[:end].decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            return False
        if 100 <= status < 200:
            buf = buf[end + 4:]
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        body = buf[end + 4:]
        if head_request or status in (204, 304):
            return True
        if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            return _chunked_body_complete(body)
        if len(headers.get("content-length", [])) == 1:
            try:
                return len(body) >= int(headers["content-length"][0])
            except ValueError:
                return False
        return False


def raw_request(port, data, timeout=10):
    """Sends raw bytes (one request, for malformed ones) and returns the raw
    answer: read until the answer is whole, the server closes, or timeout
    seconds pass without a byte. (A kept-alive connection would otherwise
    cost the whole timeout.)"""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head_request = data.startswith(b"HEAD ")
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
            if answer_complete(b"".join(chunks), head_request):
                break
        return b"".join(chunks)
    finally:
        s.close()


class Client:
    """An HTTP client with a cookie jar, like one browser profile."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, form=None, json=None):
        h = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if json is not None:
            body = jsonlib.dumps(json).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookies and "Cookie" not in h:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            headers_list = resp.getheaders()
        finally:
            conn.close()
        r = Response(resp.status, headers_list, data)
        for sc in r.headers_named("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in sc or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        m = re.search(rb'name="csrf" value="([^"]+)"', data)
        if m:
            self.csrf = m.group(1).decode()
        self.server.check_response(r)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form=None, csrf=True, **kw):
        form = dict(form or {})
        if csrf and self.csrf and "csrf" not in form:
            form["csrf"] = self.csrf
        return self.request("POST", path, form=form, **kw)


class SqlConnections:
    """One PostgreSQL connection per thread and DSN, kept between statements."""

    def __init__(self):
        self.local = threading.local()
        self.lock = threading.Lock()
        self.all = set()

    def get(self, dsn):
        conns = self.local.__dict__.setdefault("conns", {})
        conn = conns.get(dsn)
        if conn is None or conn.closed:
            conn = psycopg2.connect(dsn)
            conn.autocommit = True
            conns[dsn] = conn
            with self.lock:
                self.all.add(conn)
        return conn

    def forget(self, conn):
        with self.lock:
            self.all.discard(conn)
        conn.close()

    def close_all(self):
        with self.lock:
            conns, self.all = self.all, set()
        for conn in conns:
            conn.close()


class Server:
    """One secondop process against its own database."""

    def __init__(self, dbname, extra_args=(), env=None, data_dir=None):
        self.cluster = cluster()
        self.dbname = dbname
        self.dsn = self.cluster.dsn(dbname)  # superuser: for the test's own inspection and set-up
        self.app_dsn = self.cluster.dsn(dbname, "secondop_app")  # what the server connects as
        # data_dir: a folder made by the caller (e.g. a second instance's, sharing the first's
        # keys and store through links: test_active_active.py)
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sop-data-", dir=self.cluster.dir)
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        # background jobs: a killed server's job is claimed again after this lease (test builds only)
        self.env.setdefault("SECONDOP_TEST_JOB_LEASE_SECONDS", "3")
        self.env.setdefault("SECONDOP_TEST_JOB_BACKOFF_SECONDS", "1")
        self.env.update(env or {})
        self.proc = None
        self.port = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        skip = self.log.tell()  # only this run's "serving on" line counts
        args = [BIN, "serve", "--listen", "127.0.0.1:%d" % (self.port or 0), "--database-url", self.app_dsn,
                "--data-dir", self.data_dir, "--share-dir", ROOT, "--threads", "4"] + self.extra_args
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.search(r"serving on https?://127\.0\.0\.1:(\d+)/", self.log_text(skip))
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError("secondop exited early:\n" + self.log_text())
            time.sleep(0.05)
        raise RuntimeError("secondop did not start:\n" + self.log_text())

    def log_text(self, from_byte=0):
        with open(self.log_path, "rb") as f:
            f.seek(from_byte)
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, timeout=20.0, from_byte=0):
        """The log text once it contains needle (the server writes some lines
        after the response is sent); fails the calling test after timeout."""
        deadline = time.time() + timeout
        while True:
            text = self.log_text(from_byte)
            if needle in text:
                return text
            if time.time() >= deadline:
                raise AssertionError("the server log never showed %r within %.0f s" % (needle, timeout))
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        self.close_sql()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None
        return self.proc.returncode if self.proc else None

    def client(self):
        return Client(self)

    def assert_clean_exit(self):
        """Fails when the sanitizers reported anything or the server did not exit cleanly."""
        log = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                i = log.index(marker)
                raise AssertionError("sanitizer report in server log:\n" + log[max(0, i - 200):i + 3000])
        if self.proc and self.proc.returncode not in (0, None):
            raise AssertionError("server exited with %s:\n%s" % (self.proc.returncode, log[-3000:]))

    def _sql_connections(self):
        # made on first use: subclasses and tests build a Server without __init__
        with _lock:
            if "_sqlconns" not in self.__dict__:
                self._sqlconns = SqlConnections()
            return self._sqlconns

    def close_sql(self):
        """Closes the connections sql() keeps (every thread's)."""
        self._sql_connections().close_all()

    def sql(self, query, *params):
        """Runs one statement (autocommit) as the superuser and returns its rows. Each thread
        keeps its connection (a new one costs a PostgreSQL backend, tens of milliseconds on a
        loaded machine, and the tests run thousands of statements); DISCARD ALL after each
        statement gives the next one a fresh session, as a new connection would: settings,
        advisory locks and prepared statements do not carry over. A connection found broken
        (PostgreSQL restarted by the test) is replaced once."""
        conns = self._sql_connections()
        for attempt in (0, 1):
            conn = conns.get(self.dsn)
            try:
                with conn.cursor() as cur:
                    cur.execute(query, params)
                    return cur.fetchall() if cur.description else []
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if conn.closed and attempt == 0:
                    conns.forget(conn)
                    continue
                raise
            finally:
                if not conn.closed:
                    try:
                        with conn.cursor() as cur:
                            cur.execute("DISCARD ALL")
                    except psycopg2.Error:
                        conns.forget(conn)

    def check_response(self, r):
        """Invariants every response must keep (security headers, no leaks)."""
        for h in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Content-Type"):
            if r.status != 304 and r.header(h) is None:
                raise AssertionError("response %d lacks %s" % (r.status, h))
        if r.header("Server") and re.search(r"\d", r.header("Server")):
            raise AssertionError("Server header discloses a version")
        if r.status >= 500 and re.search(rb"SQLSTATE|/work/|\.c:\d+", r.body):
            raise AssertionError("error body leaks internals: %r" % r.body[:200])
        # a page shows times in words in the reader's zone, never the store's UTC wire form
        # (machine-readable copies in data-at attributes excepted)
        if (r.header("Content-Type") or "").startswith("text/html"):
            shown = re.sub(rb'data-at="[^"]*"', b"", r.body)
            m = re.search(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown)
            if m:
                raise AssertionError("a page shows a raw UTC instant %r: %r" % (m.group(0), shown[max(0, m.start() - 200):m.end() + 50]))


class ServerTestCase(unittest.TestCase):
    """Base class: one database and one server per test class."""
    server_args = ()
    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.dbname = cluster().new_database()
        cls.server = Server(cls.dbname, cls.server_args, cls.server_env)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.assert_clean_exit()

    def client(self):
        return self.server.client()

    def sql(self, query, *params):
        return self.server.sql(query, *params)
