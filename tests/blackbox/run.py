#!/usr/bin/python3
"""A bounded black-box layer: the real binary on loopback, attacked from
outside with the field's own tools, within about five minutes.

1. zzuf: ~5,000 recorded requests (tus creation and PATCH, form POSTs with
   session cookies and CSRF tokens, logins, sign-ups, directory and staff
   searches), each corrupted by zzuf (its own seed, ratio 0.004), sent raw;
   every 500 requests a health probe. Asserts the server stays alive, every
   probe answers and its resident memory grows by less than 32 MiB after the
   first 500 (the warm-up).
2. slowhttptest: 300 slow-header connections for 30 s; /healthz, polled from
   another loopback address, keeps answering.
3. sqlmap (level 2, --batch, bounded per target) on the login and sign-up
   forms (with their CSRF token), the directory filters and the staff search
   (with a staff session): nothing may be reported injectable.

Prints the figures, one "BLACKBOX: N passed, M failed" line, and exits 1 on
any failure. Only 127.0.0.0/8 addresses are used.

Environment as for tests/integration (SECONDOP_BIN, SECONDOP_SHARE_DIR);
BLACKBOX_REQUESTS (default 5000), BLACKBOX_SQLMAP_SECONDS (per target,
default 100) bound the run.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import accounts_helpers as ah  # noqa: E402
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402

REQUESTS = int(os.environ.get("BLACKBOX_REQUESTS", "5000"))
SQLMAP_SECONDS = int(os.environ.get("BLACKBOX_SQLMAP_SECONDS", "100"))
PROBE_SOURCE = "127.0.0.2"  # the probe's own address: the attacks' per-address limits do not apply to it
RSS_LIMIT = 32 << 20

results = []


def record(name, ok, detail):
    results.append((name, ok, detail))
    print("%s %s: %s" % ("ok" if ok else "FAIL", name, detail), flush=True)


def raw(port, data, timeout=5, source="127.0.0.1"):
    """Sends raw bytes, returns the answer's status code (0 when none)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    except OSError:
        return 0
    try:
        s.sendall(data)
        buf = b""
        while b"\r\n" not in buf and len(buf) < 4096:
            c = s.recv(4096)
            if not c:
                break
            buf += c
        while True:  # drain, bounded by the timeout
            c = s.recv(65536)
            if not c:
                break
        m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
        return int(m.group(1)) if m else 0
    except OSError:
        m = re.match(rb"HTTP/1\.[01] (\d{3})", buf if "buf" in dir() else b"")
        return int(m.group(1)) if m else 0
    finally:
        s.close()


def probe(port, timeout=10):
    return raw(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout, PROBE_SOURCE)


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def http(method, path, headers=None, body=b""):
    h = {"Host": "127.0.0.1", "Connection": "close"}
    h.update(headers or {})
    if body or method in ("POST", "PATCH"):
        h["Content-Length"] = str(len(body))
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    return head.encode() + body


def cookie(client):
    return "; ".join("%s=%s" % kv for kv in client.cookies.items())


def form(client, fields):
    f = dict(fields)
    if client.csrf:
        f["csrf"] = client.csrf
    return urllib.parse.urlencode(f).encode()


def recorded_requests(server):
    """The requests a browser session sends, recorded with real cookies and tokens."""
    patient, pc, req = rh.new_patient_with_request(server, name="Jane Doe")
    staff = ah.make_user(server, "staff")
    sc = server.client()
    ah.login(sc, staff)
    anon = server.client()
    anon.get("/login")
    signup = server.client()
    signup.get("/signup")
    urls = []
    for i in range(4):
        urls.append(rh.tus_create(pc, req, 4096, "scan%d.dcm" % i))
    ph = {"Cookie": cookie(pc), "X-CSRF-Token": pc.csrf or "", "Tus-Resumable": "1.0.0"}
    tus_create_body = {"Upload-Length": "4096", "Upload-Metadata": "request %s,kind aW1hZ2Vz,filename eC5wZGY=" %
                       __import__("base64").b64encode(str(req).encode()).decode()}
    reqs = [
        http("GET", "/"),
        http("GET", "/specialists?review=remote&network=aetna&language=Spanish&max_days=7&sort=fee&nci=1"),
        http("GET", "/specialists?filtered=1&sort=turnaround", {"Cookie": cookie(anon)}),
        http("POST", "/login", {"Cookie": cookie(anon), "Content-Type": "application/x-www-form-urlencoded"},
             form(anon, {"email": "nobody@example.test", "password": "not the right password at all"})),
        http("POST", "/signup", {"Cookie": cookie(signup), "Content-Type": "application/x-www-form-urlencoded"},
             form(signup, {"name": "Zoe Fuzz", "email": "zoe@example.test", "dob": "1970-01-01",
                           "password": "a long enough passphrase 42"})),
        http("GET", "/requests/%d/records" % req, {"Cookie": cookie(pc)}),
        http("POST", "/api/v1/uploads", dict(ph, **tus_create_body)),
        http("POST", "/requests/%d/steps/exam" % req, {"Cookie": cookie(pc),
                                                       "Content-Type": "application/x-www-form-urlencoded"},
             form(pc, {"exam_type": "screening", "facility": "Main Street Imaging", "exam_date": "2026-10-01"})),
        http("GET", "/staff/queue?q=Doe&status=triage&priority=high", {"Cookie": cookie(sc)}),
        http("GET", "/account", {"Cookie": cookie(sc)}),
    ]
    for u in urls:
        path = urllib.parse.urlparse(u).path
        body = bytes(range(256)) * 4
        reqs.append(http("PATCH", path, dict(ph, **{"Upload-Offset": "0",
                                                     "Content-Type": "application/offset+octet-stream"}), body))
        reqs.append(http("HEAD", path, ph))
    return reqs


def zzuf_run(server):
    reqs = recorded_requests(server)
    pid = server.proc.pid
    fuzzed = []
    for i in range(REQUESTS):
        r = subprocess.run(["zzuf", "-s", str(i), "-r", "0.004", "cat"], input=reqs[i % len(reqs)],
                           capture_output=True, timeout=30)
        fuzzed.append(r.stdout)
    statuses = {}
    lock = threading.Lock()
    baseline = None
    peak = 0
    probes_ok = True

    def send(data):
        st = raw(server.port, data, timeout=5)
        with lock:
            statuses[st // 100] = statuses.get(st // 100, 0) + 1

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for start in range(0, REQUESTS, 500):
            list(pool.map(send, fuzzed[start:start + 500]))
            alive = server.proc.poll() is None
            answered = alive and probe(server.port) == 200
            probes_ok = probes_ok and answered
            if not alive:
                break
            now = rss(pid)
            if baseline is None:
                baseline = now
            peak = max(peak, now)
    elapsed = time.time() - t0
    growth = (peak - baseline) if baseline else 0
    alive = server.proc.poll() is None
    sent = sum(statuses.values())
    detail = ("%d requests sent in %.0f s (answers by class: %s); RSS after warm-up %.1f MiB, peak %.1f MiB, "
              "growth %.1f MiB" % (sent, elapsed, ", ".join("%dxx=%d" % kv for kv in sorted(statuses.items())),
                                   (baseline or 0) / 1048576, peak / 1048576, growth / 1048576))
    record("zzuf: server alive and every probe answered", alive and probes_ok, detail)
    record("zzuf: RSS growth under 32 MiB", growth < RSS_LIMIT, "%.1f MiB" % (growth / 1048576))
    if statuses.get(5, 0):
        print("note: %d corrupted requests got a 5xx answer" % statuses[5], flush=True)


def slow_run(server):
    out = tempfile.mkdtemp(prefix="sop-slow-")
    p = subprocess.Popen(["slowhttptest", "-c", "300", "-H", "-i", "10", "-r", "100", "-t", "GET", "-x", "24",
                          "-p", "3", "-l", "30", "-u", "http://127.0.0.1:%d/" % server.port, "-o",
                          os.path.join(out, "slow")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    answers = misses = 0
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 60:
        if probe(server.port) == 200:
            answers += 1
        else:
            misses += 1
        time.sleep(0.5)
    if p.poll() is None:
        p.kill()
    text = p.communicate()[0].decode("utf-8", "replace")
    shutil.rmtree(out, ignore_errors=True)
    m = re.findall(r"connected:\D{0,40}?(\d+)", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text))
    record("slowhttptest: /healthz kept answering during 300 slow connections for 30 s",
           misses == 0 and answers > 0 and server.proc.poll() is None,
           "%d probes answered, %d not; slowhttptest reported up to %s connected" %
           (answers, misses, max(map(int, m)) if m else "(count not printed)"))


INJECTABLE = re.compile(r"identified the following injection point|is vulnerable|parameter '[^']+' is '[^']+' injectable")


def sqlmap_target(name, args):
    out = tempfile.mkdtemp(prefix="sop-sqlmap-")
    cmd = ["sqlmap", "--batch", "--level", "2", "--risk", "1", "--flush-session", "--disable-coloring",
           "--output-dir", out, "--timeout", "10", "--retries", "0", "--time-sec", "1",
           "--skip-waf", "--answers", "follow=N"] + args
    if "--csrf-token" not in args:
        cmd += ["--threads", "2"]  # sqlmap cannot refresh a CSRF token from several threads
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=SQLMAP_SECONDS)
        text, finished = r.stdout + r.stderr, True
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        finished = False
    shutil.rmtree(out, ignore_errors=True)
    requests = re.findall(r"(\d+) HTTP\(s\) requests", text)
    found = INJECTABLE.search(text)
    tested = re.findall(r"testing '([^']+)'", text)
    clean = "do not appear to be injectable" in text or "does not seem to be injectable" in text
    ok = not found and (clean or not finished) and bool(tested)
    record("sqlmap %s: nothing injectable" % name, ok,
           "%s%s; %d technique tests%s" % ("finished" if finished else "stopped at the time bound",
                                          ", all parameters not injectable" if clean else "",
                                          len(tested), (", " + found.group(0)) if found else ""))
    if not ok:
        print(text[-3000:], flush=True)


def sqlmap_run(server):
    base = "http://127.0.0.1:%d" % server.port
    staff = ah.make_user(server, "staff")
    sc = server.client()
    ah.login(sc, staff)
    targets = [
        ("login", ["-u", base + "/login", "--data", "email=someone%40example.test&password=wrong+password+123&csrf=x",
                   "--csrf-token", "csrf", "--csrf-url", base + "/login", "-p", "email,password",
                   "--ignore-code", "401,422,429"]),
        ("sign-up", ["-u", base + "/signup", "--data",
                     "name=Sam+Test&email=sam%40example.test&dob=1970-01-01&password=a+long+enough+passphrase+42&csrf=x",
                     "--csrf-token", "csrf", "--csrf-url", base + "/signup", "-p", "name,email,dob,password",
                     "--ignore-code", "400,422,429"]),
        ("directory filters", ["-u", base + "/specialists?review=remote&network=aetna&language=English&max_days=7"
                               "&sort=fee&nci=1"]),
        ("staff search", ["-u", base + "/staff/queue?q=Doe&status=triage&priority=high&specialist=1",
                          "--cookie", cookie(sc), "-p", "q,status,priority,specialist"]),
    ]
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        list(pool.map(lambda t: sqlmap_target(*t), targets))
    record("sqlmap: server alive afterwards", server.proc.poll() is None and probe(server.port) == 200, "")


def main():
    for tool in ("zzuf", "slowhttptest", "sqlmap"):
        if not shutil.which(tool):
            print("BLACKBOX: 0 passed, 1 failed (%s is not installed: scripts/install-deps.sh --with-tests)" % tool)
            return 1
    t0 = time.time()
    cl = harness.cluster()
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16"}
    server = harness.Server(cl.new_database(), env=env)
    try:
        zzuf_run(server)
        slow_run(server)
        sqlmap_run(server)
    finally:
        server.stop()
        try:
            server.assert_clean_exit()
            record("server exited cleanly (no sanitizer report)", True, "")
        except AssertionError as e:
            record("server exited cleanly (no sanitizer report)", False, str(e)[:2000])
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    print("black-box layer took %.0f s" % (time.time() - t0))
    print("BLACKBOX: %d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
