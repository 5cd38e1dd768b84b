#!/usr/bin/python3
"""Upload benchmark (issue 4, §Benchmark). Prints figures; asserts nothing.

    bench/upload.sh [--rounds 5] [--size 1G] [--chunk 64M] [--skip-rss] [--workdir DIR]
                    [--baseline OLD_SECONDOP] [--portal-arg ARG ...]

Interleaved over the rounds, each measurement on a freshly started server
(VmHWM is a process-lifetime peak):
  (a) limits: libsodium sealing of SIZE in memory (64 KiB records), and
      bench/bare_receiver (libmicrohttpd, seal 64 KiB records, one fsync at
      the end; no auth, no database) receiving SIZE in one PUT, written
      through the page cache and, as the portal writes its records, with
      O_DIRECT in 1 MiB blocks;
  (b) the portal: a SIZE tus upload over loopback alone and two at once (MB/s,
      server CPU-seconds per GiB from /proc/PID/stat, server peak RSS from
      VmHWM), and peak RSS for a 256 MiB and a 4 GiB upload;
  (c) the peer: the same uploads to the Node.js reference tus server
      (@tus/server + @tus/file-store, bench/package.json);
  (d) with --s3: the portal with --blob-store s3:// against a single-node Ceph
      radosgw on loopback (tests/integration/ceph_helper.py, started once),
      one upload and two at once; besides the portal's CPU-seconds per GiB,
      the Ceph daemons' (radosgw, OSD, monitor, manager) over the same time.
The client is a lean tus client on raw sockets: POST, then PATCH chunks of
CHUNK bytes streamed from one random 16 MiB buffer (the portal is sent a PDF
header first so that intake accepts the file).

PostgreSQL: a private cluster with default durability (fsync on) on a unix
socket; the portal commits each PATCH's offset there.

--baseline OLD_SECONDOP adds the same portal runs with another build (for
example one of the commit before a change: `git worktree add` or `git archive`
it, build it release), interleaved in every round right after the portal's, so
old and new meet the same load; its ratios are printed beside the new ones.
--portal-arg ARG (repeatable) is appended to both portals' `serve` command
line: the hook for another blob store, e.g.
  --portal-arg=--blob-store=s3://bucket/prefix --portal-arg=--s3-endpoint=...
(the bare receiver and Node keep writing to the local disk). The load average
is printed before and after, since the machine is shared.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("SECONDOP_BENCH_BUILD") or os.path.join(ROOT, "build-bench")
BIN = os.environ.get("SECONDOP_BIN") or os.path.join(BUILD, "secondop")
BARE = os.path.join(BUILD, "bench", "bare_receiver")
PG_BIN = os.environ.get("SECONDOP_PG_BINDIR") or "/usr/lib/postgresql/15/bin"
IS_ROOT = os.geteuid() == 0
MiB = 1024 * 1024
GiB = 1024 * MiB
CLK = os.sysconf("SC_CLK_TCK")
BLOCK = bytearray(os.urandom(16 * MiB))


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)i?B?", s.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError("size like 512M or 1G")
    return int(m.group(1)) * {"": 1, "K": 1024, "M": MiB, "G": GiB}[m.group(2).upper()]


def human(n):
    return "%d MiB" % (n // MiB) if n < GiB else ("%g GiB" % (n / GiB))


def as_pg(cmd):
    return (["runuser", "-u", "postgres", "--"] + cmd) if IS_ROOT else cmd


# ---------------------------------------------------------------- processes

def proc_cpu(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def proc_hwm(pid):
    """Peak resident set (VmHWM) in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def wait_line(proc, logpath, pattern, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(logpath, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    with open(logpath, errors="replace") as f:
        raise RuntimeError("did not start: %s\n%s" % (proc.args, f.read()[-2000:]))


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Postgres:
    """A private cluster on a unix socket (durable: fsync on) with a migrated template."""

    def __init__(self, work):
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=work)
        os.chmod(self.dir, 0o755)
        if IS_ROOT:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "d")
        subprocess.run(as_pg([PG_BIN + "/initdb", "-D", self.data, "-U", "secondop", "--auth=trust", "-E", "UTF8",
                              "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(as_pg([PG_BIN + "/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "pg.log"), "-o",
                              "-k %s -c listen_addresses=''" % self.dir, "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.n = 0
        self.psql("postgres", "CREATE DATABASE base")
        r = subprocess.run([BIN, "migrate", "--database-url", self.dsn("base"), "--share-dir", ROOT],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("migrate: " + r.stderr)

    def dsn(self, db):
        return "host=%s dbname=%s user=secondop" % (self.dir, db)

    def psql(self, db, sql):
        return subprocess.run(["psql", "-h", self.dir, "-U", "secondop", "-d", db, "-Atqc", sql], check=True,
                              capture_output=True, text=True).stdout.strip()

    def new_db(self):
        self.n += 1
        name = "b%d" % self.n
        self.psql("postgres", "CREATE DATABASE %s TEMPLATE base" % name)
        return name

    def drop_db(self, name):
        self.psql("postgres", "DROP DATABASE IF EXISTS %s" % name)

    def destroy(self):
        subprocess.run(as_pg([PG_BIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- a lean HTTP/1.1 + tus client

class Conn:
    def __init__(self, port):
        self.port = port
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.s.close()

    def _read_until(self, marker):
        while marker not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("connection closed")
            self.buf += d
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_n(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("connection closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, method, path, headers=None, body=b"", body_len=None, source=None):
        """Sends a request; with `source` (a callable giving memoryview pieces
        for body_len bytes) the body is streamed. Returns (status, headers, body)."""
        n = len(body) if body_len is None else body_len
        head = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % self.port, "Content-Length: %d" % n]
        head += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        if source:
            for piece in source(n):
                self.s.sendall(piece)
        elif body:
            self.s.sendall(body)
        raw = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(raw[0].split()[1])
        hdrs = {}
        cookies = []
        for line in raw[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
                if k.strip().lower() == "set-cookie":
                    cookies.append(v.strip())
        hdrs["_cookies"] = cookies
        data = b""
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0].strip(), 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                data += self._read_n(size)
                self._read_n(2)
        elif method != "HEAD" and status not in (204, 304):
            data = self._read_n(int(hdrs.get("content-length", "0")))
        return status, hdrs, data


def stream(prefix=b""):
    """A body source: prefix, then the random block over and over."""
    def gen(n):
        view = memoryview(BLOCK)
        first = True
        while n > 0:
            if first and prefix:
                first = False
                p = memoryview(prefix)[:n]
                yield p
                n -= len(p)
                continue
            k = min(n, len(BLOCK))
            yield view[:k]
            n -= k
    return gen


def tus_upload(port, create_path, size, chunk, headers, metadata, prefix=b""):
    """One tus upload: POST, then PATCHes of `chunk`. Returns seconds."""
    c = Conn(port)
    try:
        t0 = time.perf_counter()
        h = dict(headers, **{"Tus-Resumable": "1.0.0", "Upload-Length": str(size)})
        if metadata:
            h["Upload-Metadata"] = metadata
        st, hd, body = c.request("POST", create_path, h)
        if st != 201:
            raise RuntimeError("create: %d %s" % (st, body[:300]))
        url = urllib.parse.urlsplit(hd["location"]).path
        off = 0
        first = True
        while off < size:
            n = min(chunk, size - off)
            ph = dict(headers, **{"Tus-Resumable": "1.0.0", "Upload-Offset": str(off),
                                  "Content-Type": "application/offset+octet-stream"})
            st, hd, body = c.request("PATCH", url, ph, body_len=n, source=stream(prefix if first else b""))
            first = False
            if st != 204:
                raise RuntimeError("PATCH at %d: %d %s" % (off, st, body[:300]))
            off = int(hd["upload-offset"])
        return time.perf_counter() - t0
    finally:
        c.close()


# ---------------------------------------------------------------- the servers

class Server:
    """One process under measurement; `upload(size)` runs one upload."""

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def hwm(self):
        return proc_hwm(self.proc.pid)


def tree_cpu(pids):
    """CPU-seconds of the processes pids and all their descendants."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    total, todo, seen = 0.0, list(pids), set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            total += proc_cpu(p)
        except (OSError, ValueError):
            pass
        todo.extend(kids.get(p, []))
    return total


class Portal(Server):
    name = "portal"
    extra_args = []
    s3 = None  # (gateway, bucket) for the s3:// store

    def __init__(self, pg, work, binary=None, s3=None):
        self.bin = binary or BIN
        self.pg = pg
        self.db = pg.new_db()
        self.data = tempfile.mkdtemp(prefix="portal-", dir=work)
        log = os.path.join(self.data, "server.log")
        env = dict(os.environ, SECONDOP_MAX_FILE_SIZE=str(16 * GiB), SECONDOP_MAX_REQUEST_SIZE=str(64 * GiB), SECONDOP_QUOTA_DAILY_BYTES=str(256 * GiB))
        extra = list(self.extra_args)
        if s3:
            gw, bucket = s3
            self.s3 = s3
            extra += ["--blob-store", "s3://%s/bench" % bucket, "--s3-endpoint", gw.endpoint, "--s3-region", gw.region]
            env.update(AWS_ACCESS_KEY_ID=gw.access_key, AWS_SECRET_ACCESS_KEY=gw.secret_key)
        self.proc = subprocess.Popen([self.bin, "serve", "--listen", "127.0.0.1:0", "--database-url", pg.dsn(self.db),
                                      "--data-dir", self.data, "--share-dir", ROOT] + extra,
                                     stdout=subprocess.DEVNULL, stderr=open(log, "ab"), env=env)
        self.port = int(wait_line(self.proc, log, r"serving on http://127\.0\.0\.1:(\d+)/").group(1))
        self.headers, self.request_id = self._patient()

    def _patient(self):
        email, pw = "bench%d@example.test" % self.pg.n, "a long enough bench password %d" % self.pg.n
        r = subprocess.run([self.bin, "create-user", "--role", "patient", "--email", email, "--name", "Bench Patient",
                            "--password-stdin", "--database-url", self.pg.dsn(self.db), "--data-dir", self.data,
                            "--share-dir", ROOT], input=pw + "\n", capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("create-user: " + r.stderr)
        c = Conn(self.port)
        jar = {}

        def call(method, path, form=None):
            hdr = {"Cookie": "; ".join("%s=%s" % kv for kv in jar.items())} if jar else {}
            body = b""
            if form is not None:
                body = urllib.parse.urlencode(form).encode()
                hdr["Content-Type"] = "application/x-www-form-urlencoded"
            st, hd, data = c.request(method, path, hdr, body)
            for ck in hd["_cookies"]:
                k, v = ck.split(";", 1)[0].split("=", 1)
                jar[k] = v
            return st, hd, data.decode("utf-8", "replace")

        def token(html):
            m = re.search(r'name="csrf" value="([^"]+)"', html)
            return m.group(1) if m else ""

        st, _, html = call("GET", "/login")
        st, _, html = call("POST", "/login", {"csrf": token(html), "email": email, "password": pw})
        if st != 303:
            raise RuntimeError("login: %d" % st)
        st, _, html = call("GET", "/requests/new")
        st, hd, _ = call("POST", "/requests/new", {"csrf": token(html)})
        m = re.match(r"/requests/(\d+)/steps/exam", hd.get("location", ""))
        if st != 303 or not m:
            raise RuntimeError("new request: %d %s" % (st, hd.get("location")))
        st, _, html = call("GET", "/requests/%s/records" % m.group(1))
        csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
        c.close()
        cookie = "; ".join("%s=%s" % kv for kv in jar.items())
        return {"Cookie": cookie, "X-CSRF-Token": csrf}, m.group(1)

    def upload(self, size, chunk):
        import base64
        meta = ",".join(["request " + base64.b64encode(self.request_id.encode()).decode(),
                         "kind " + base64.b64encode(b"other").decode(),
                         "filename " + base64.b64encode(b"bench.pdf").decode()])
        return tus_upload(self.port, "/api/v1/uploads", size, chunk, self.headers, meta, prefix=b"%PDF-1.4\n")

    def close(self):
        stop(self.proc)
        self.pg.drop_db(self.db)
        shutil.rmtree(self.data, ignore_errors=True)
        if self.s3:
            # the bench's Ceph has a 4 GiB OSD: each measurement's objects go again
            gw, bucket = self.s3
            for key in gw.list_keys(bucket):
                gw.request("DELETE", "/%s/%s" % (bucket, key))
            gw.request("DELETE", "/" + bucket)


class NodeTus(Server):
    name = "node"

    def __init__(self, work):
        self.data = tempfile.mkdtemp(prefix="node-", dir=work)
        log = os.path.join(self.data, "server.log")
        store = os.path.join(self.data, "files")
        os.mkdir(store)
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "bench", "tus_node_server.mjs"), store],
                                     cwd=os.path.join(ROOT, "bench"), stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        self.port = int(wait_line(self.proc, log, r"listening on (\d+)").group(1))

    def upload(self, size, chunk):
        return tus_upload(self.port, "/files", size, chunk, {}, "filename " + "YmVuY2gucGRm")

    def close(self):
        stop(self.proc)
        shutil.rmtree(self.data, ignore_errors=True)


class Bare(Server):
    name = "bare"

    def __init__(self, work, memory_limit, direct=False):
        self.data = tempfile.mkdtemp(prefix="bare-", dir=work)
        log = os.path.join(self.data, "server.log")
        self.proc = subprocess.Popen([BARE, "serve", self.data, "--memory-limit", str(memory_limit)] +
                                     (["--direct", "1"] if direct else []),
                                     stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        self.port = int(wait_line(self.proc, log, r"listening on (\d+)").group(1))

    def upload(self, size, chunk):
        c = Conn(self.port)
        try:
            t0 = time.perf_counter()
            st, _, body = c.request("PUT", "/upload", {"Content-Type": "application/octet-stream"}, body_len=size,
                                    source=stream())
            if st != 204:
                raise RuntimeError("bare PUT: %d" % st)
            return time.perf_counter() - t0
        finally:
            c.close()

    def close(self):
        stop(self.proc)
        shutil.rmtree(self.data, ignore_errors=True)


def measure(make, size, parallel, chunk):
    """Starts a fresh server, runs `parallel` uploads of `size` at once and
    returns dict(mbps (aggregate), cpu_per_gib, hwm)."""
    srv = make()
    try:
        time.sleep(0.2)
        # VmHWM is a lifetime peak: start it from here, after start-up and the
        # portal's login (an Argon2id hash allocates 64 MiB for a moment)
        srv.hwm_at_start = srv.hwm()
        try:
            with open("/proc/%d/clear_refs" % srv.proc.pid, "w") as f:
                f.write("5")
        except OSError:
            pass
        cpu0 = srv.cpu()
        gw = getattr(srv, "s3", None)
        store0 = tree_cpu([p.pid for p in gw[0].procs]) if gw else 0.0
        errors = []
        t0 = time.perf_counter()
        if parallel == 1:
            srv.upload(size, chunk)
        else:
            def one():
                try:
                    srv.upload(size, chunk)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
            ts = [threading.Thread(target=one) for _ in range(parallel)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        dt = time.perf_counter() - t0
        if errors:
            raise errors[0]
        cpu = srv.cpu() - cpu0
        total = size * parallel
        out = {"mbps": total / dt / 1e6, "cpu_per_gib": cpu / (total / GiB), "hwm": srv.hwm(),
               "hwm_start": srv.hwm_at_start}
        if gw:
            out["store_cpu_per_gib"] = (tree_cpu([p.pid for p in gw[0].procs]) - store0) / (total / GiB)
        return out
    finally:
        srv.close()


def seal_limit(size):
    out = subprocess.run([BARE, "seal", str(size)], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"([\d.]+) MB/s", out).group(1))


# ---------------------------------------------------------------- report

def med(xs):
    return statistics.median(xs)


def fmt_range(xs, f="%.0f"):
    return (f + " (" + f + "–" + f + ")") % (med(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--size", type=parse_size, default=GiB, help="upload size (default 1G)")
    ap.add_argument("--chunk", type=parse_size, default=64 * MiB, help="tus PATCH size (default 64M)")
    ap.add_argument("--bare-memory-limit", type=parse_size, default=32 * 1024,
                    help="MHD_OPTION_CONNECTION_MEMORY_LIMIT of the bare receiver (default 32K, as the portal)")
    ap.add_argument("--skip-rss", action="store_true", help="skip the peak-RSS runs")
    ap.add_argument("--rss-sizes", default="256M,4G",
                    help="sizes of the single uploads whose peak RSS is measured (default 256M,4G; e.g. 6G)")
    ap.add_argument("--skip-node", action="store_true")
    ap.add_argument("--s3", action="store_true",
                    help="also the portal on an s3:// store: a single-node Ceph radosgw started here")
    ap.add_argument("--only-s3", action="store_true", help="with --s3: skip the bare receiver, the local "
                    "store and Node (the local figures then come from a run without it)")
    ap.add_argument("--workdir", default=os.environ.get("SECONDOP_BENCH_TMP") or "/var/tmp")
    ap.add_argument("--baseline", metavar="OLD_SECONDOP",
                    help="another secondop binary measured the same way, interleaved (before/after)")
    ap.add_argument("--portal-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for the portals' serve command (repeatable; e.g. another blob store)")
    a = ap.parse_args()
    Portal.extra_args = a.portal_arg
    for path in (BIN, BARE) + ((a.baseline,) if a.baseline else ()):
        if not os.access(path, os.X_OK):
            sys.exit("missing %s: build it first (meson setup build-bench --buildtype=release && ninja -C build-bench)"
                     % path)
    node = not a.skip_node and os.path.isdir(os.path.join(ROOT, "bench", "node_modules", "@tus", "server"))
    if not a.skip_node and not node:
        sys.exit("missing bench/node_modules: run (cd bench && npm ci) first, or pass --skip-node")
    work = tempfile.mkdtemp(prefix="secondop-bench-", dir=a.workdir)
    os.chmod(work, 0o755)
    pg = Postgres(work)
    size, chunk = a.size, a.chunk
    res = {}

    def rec(key, v):
        res.setdefault(key, []).append(v)

    plan = [
        ("bare1", lambda: Bare(work, a.bare_memory_limit), size, 1),
        ("portal1", lambda: Portal(pg, work), size, 1),
        ("old1", lambda: Portal(pg, work, a.baseline), size, 1),
        ("node1", lambda: NodeTus(work), size, 1),
        ("bare2", lambda: Bare(work, a.bare_memory_limit), size, 2),
        ("bared1", lambda: Bare(work, a.bare_memory_limit, True), size, 1),
        ("bared2", lambda: Bare(work, a.bare_memory_limit, True), size, 2),
        ("portal2", lambda: Portal(pg, work), size, 2),
        ("old2", lambda: Portal(pg, work, a.baseline), size, 2),
        ("node2", lambda: NodeTus(work), size, 2),
    ]
    if not a.baseline:
        plan = [p for p in plan if not p[0].startswith("old")]
    if not a.skip_rss:
        for spec in a.rss_sizes.split(","):
            plan.append(("portal_" + spec.strip(), lambda: Portal(pg, work), parse_size(spec.strip()), 1))
    if not node:
        plan = [p for p in plan if not p[0].startswith("node")]
    gw = None
    if a.s3:
        here = os.path.dirname(os.path.abspath(__file__))  # bench/http.py would shadow http.client
        sys.path[:] = [os.path.join(ROOT, "tests", "integration")] + [
            p for p in sys.path if os.path.abspath(p or ".") != here]
        import ceph_helper
        # the OSD's sparse file holds every round's objects (radosgw reclaims deleted ones late)
        os.environ.setdefault("SECONDOP_CEPH_OSD_GIB", str(max(8, 4 * a.rounds * a.size // GiB + 4)))
        gw = ceph_helper.gateway()
        if not gw:
            sys.exit("--s3: " + ceph_helper.skip_reason())
        print("single-node Ceph with radosgw started in %.1f s at %s" % (gw.start_seconds, gw.endpoint), flush=True)
        if a.only_s3:
            plan = []
        plan += [("portal1_s3", lambda: Portal(pg, work, s3=(gw, gw.new_bucket())), size, 1),
                 ("portal2_s3", lambda: Portal(pg, work, s3=(gw, gw.new_bucket())), size, 2)]
    print("upload benchmark: %d rounds, %s per upload, %s PATCHes, %d cores; workdir %s" %
          (a.rounds, human(size), human(chunk), os.cpu_count(), work), flush=True)
    print("portal: %s%s%s" % (BIN, " (baseline %s)" % a.baseline if a.baseline else "",
                              "; serve " + " ".join(a.portal_arg) if a.portal_arg else ""))
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    try:
        for rnd in range(1, a.rounds + 1):
            rec("seal", seal_limit(size))
            line = ["round %d: seal %.0f MB/s" % (rnd, res["seal"][-1])]
            for key, make, sz, par in plan:
                m = measure(make, sz, par, chunk)
                for k, v in m.items():
                    rec(key + "." + k, v)
                line.append("%s %.0f MB/s %.2f cpu-s/GiB %.1f MiB" % (key, m["mbps"], m["cpu_per_gib"], m["hwm"] / MiB) +
                            (" (Ceph %.2f cpu-s/GiB)" % m["store_cpu_per_gib"] if "store_cpu_per_gib" in m else ""))
                print("  " + line[-1], flush=True)
            print("; ".join(line), flush=True)
    finally:
        pg.destroy()
        if not os.environ.get("SECONDOP_BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)

    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    R = res
    mb = lambda k: R[k + ".mbps"]  # noqa: E731
    cpu = lambda k: R[k + ".cpu_per_gib"]  # noqa: E731
    rss = lambda k: [x / MiB for x in (R[k[:-6] + ".hwm_start"] if k.endswith("_start") else R[k + ".hwm"])]  # noqa: E731
    print()
    print("medians over %d rounds (min–max)" % a.rounds)
    if gw:
        print("(d) the portal on the s3:// store (radosgw on loopback; Ceph = radosgw + OSD + mon + mgr CPU)")
        for k, what in (("portal1_s3", "one upload"), ("portal2_s3", "two at once (sum)")):
            print("  %-43s %s MB/s, %s cpu-s/GiB (Ceph %s), peak RSS %s MiB" %
                  (what, fmt_range(mb(k)), fmt_range(cpu(k), "%.2f"), fmt_range(R[k + ".store_cpu_per_gib"], "%.2f"),
                   fmt_range(rss(k), "%.1f")))
        if a.only_s3:
            return
    print("(a) limits")
    print("  libsodium seal in memory, 64 KiB records   %s MB/s" % fmt_range(R["seal"]))
    print("  bare receiver, one upload (seal+fsync)      %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
          (fmt_range(mb("bare1")), fmt_range(cpu("bare1"), "%.2f"), fmt_range(rss("bare1"), "%.1f")))
    print("  bare receiver, two at once (sum)            %s MB/s, %s cpu-s/GiB" % (fmt_range(mb("bare2")), fmt_range(cpu("bare2"), "%.2f")))
    print("  the same writing with O_DIRECT, one upload  %s MB/s, %s cpu-s/GiB" % (fmt_range(mb("bared1")), fmt_range(cpu("bared1"), "%.2f")))
    print("  the same writing with O_DIRECT, two at once %s MB/s, %s cpu-s/GiB" % (fmt_range(mb("bared2")), fmt_range(cpu("bared2"), "%.2f")))
    print("(b) the portal (tus, auth, PostgreSQL, durable offsets, intake)")
    print("  one upload                                  %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
          (fmt_range(mb("portal1")), fmt_range(cpu("portal1"), "%.2f"), fmt_range(rss("portal1"), "%.1f")))
    print("  two at once (sum)                           %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
          (fmt_range(mb("portal2")), fmt_range(cpu("portal2"), "%.2f"), fmt_range(rss("portal2"), "%.1f")))
    if a.baseline:
        print("(b') the baseline portal (%s), interleaved with (b)" % a.baseline)
        print("  one upload                                  %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
              (fmt_range(mb("old1")), fmt_range(cpu("old1"), "%.2f"), fmt_range(rss("old1"), "%.1f")))
        print("  two at once (sum)                           %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
              (fmt_range(mb("old2")), fmt_range(cpu("old2"), "%.2f"), fmt_range(rss("old2"), "%.1f")))
    rss_keys = [] if a.skip_rss else ["portal_" + x.strip() for x in a.rss_sizes.split(",")]
    for k in rss_keys:
        print("  peak RSS, one %-6s upload                 %s MiB (%s MB/s)" %
              (k[7:], fmt_range(rss(k), "%.1f"), fmt_range(mb(k))))
    if node:
        print("(c) the peer: Node.js @tus/server + @tus/file-store (no encryption, no fsync)")
        print("  one upload                                  %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
              (fmt_range(mb("node1")), fmt_range(cpu("node1"), "%.2f"), fmt_range(rss("node1"), "%.1f")))
        print("  two at once (sum)                           %s MB/s, %s cpu-s/GiB, peak RSS %s MiB" %
              (fmt_range(mb("node2")), fmt_range(cpu("node2"), "%.2f"), fmt_range(rss("node2"), "%.1f")))
    print("ratios (medians; target in brackets)")
    print("  portal one upload / bare receiver           %.2f  [>= 0.85]" % (med(mb("portal1")) / med(mb("bare1"))))
    for k in ("portal", "old") if a.baseline else ("portal",):
        who = "portal" if k == "portal" else "baseline"
        print("  %-8s cpu-s/GiB / bare, one upload       %.2f  [<= 1.3]" % (who, med(cpu(k + "1")) / med(cpu("bare1"))))
        print("  %-8s cpu-s/GiB / bare, two at once      %.2f  [<= 1.3]" % (who, med(cpu(k + "2")) / med(cpu("bare2"))))
        print("  %-8s cpu-s/GiB / bare O_DIRECT, one     %.2f" % (who, med(cpu(k + "1")) / med(cpu("bared1"))))
        print("  %-8s cpu-s/GiB / bare O_DIRECT, two     %.2f" % (who, med(cpu(k + "2")) / med(cpu("bared2"))))
        if node:
            print("  %-8s MB/s / Node, one upload            %.2f  [>= 1.25]" % (who, med(mb(k + "1")) / med(mb("node1"))))
            print("  %-8s MB/s / Node, two at once           %.2f  [>= 1.25]" % (who, med(mb(k + "2")) / med(mb("node2"))))
    if node:
        print("  portal one upload / Node one upload         %.2f  [>= 1.25]" % (med(mb("portal1")) / med(mb("node1"))))
        print("  portal two at once / Node two at once       %.2f  [>= 1.5]" % (med(mb("portal2")) / med(mb("node2"))))
    if len(rss_keys) >= 2:
        print("  peak RSS %s - peak RSS %s              %+.2f MiB  [<= 1 MiB]" %
              (rss_keys[-1][7:], rss_keys[0][7:], med(rss(rss_keys[-1])) - med(rss(rss_keys[0]))))
    print("  portal peak RSS with two uploads            %.1f MiB  [< 32 MiB]" % med(rss("portal2")))
    print("(peak RSS = VmHWM reset through /proc/PID/clear_refs once the server is up and, for the portal, the")
    print(" patient logged in; the peak before that, from start-up and the login's Argon2id hash: portal %.1f MiB,"
          % med(rss("portal1_start")) + (" Node %.1f MiB)" % med(rss("node1_start")) if node else ")"))


if __name__ == "__main__":
    main()
