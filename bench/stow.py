#!/usr/bin/python3
"""STOW-RS of a whole study (issue 14 item 1): our server, which seals every byte into the store
and takes each instance through intake before it answers, beside Orthanc's DICOMweb plugin
receiving the same body. Prints figures; the only checks are that every instance is stored
(200, one ReferencedSOPSequence item per file) and that our server's memory stays flat.

    SECONDOP_BIN=build-rel/secondop /usr/bin/python3 bench/stow.py [--size 500M] [--rounds 3] [--no-orthanc]

Starts a private PostgreSQL and the portal (tests/integration/harness.py), writes a study of
native 16-bit mammography-sized images (pydicom, 3328 x 4096, about 26 MiB each) adding up to
SIZE, and POSTs it ROUNDS times as one chunked multipart/related body, streamed from the files
(each round to a new request past draft, as staff, so nothing is a duplicate). Reports MB/s
(best and median; the clock stops when the answer, which waits for intake, has arrived), the
server's CPU seconds per GiB received (utime + stime from /proc, over the rounds) and its peak
RSS over the rounds (VmHWM, reset before them). With Orthanc installed (orthanc +
orthanc-dicomweb) the same bodies are POSTed to an Orthanc started here on loopback (as nobody
when run as root) at its /dicom-web/studies, each round after deleting what the previous one
stored.
"""
import os
import sys

# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402
from accounts_helpers import login, make_user  # noqa: E402
from wado import ORTHANC, PLUGIN, cpu_seconds, make_study, orthanc_pid, parse_size, start_orthanc  # noqa: E402

BOUNDARY = "bench-stow-b0undary"


def chunks(paths):
    for p in paths:
        yield ("--%s\r\nContent-Type: application/dicom\r\n\r\n" % BOUNDARY).encode()
        with open(p, "rb") as fh:
            while True:
                b = fh.read(1 << 20)
                if not b:
                    break
                yield b
        yield b"\r\n"
    yield ("--%s--\r\n" % BOUNDARY).encode()


def stow(port, path, headers, paths):
    """POSTs the study chunked; returns (seconds, answer JSON)."""
    h = {"Content-Type": 'multipart/related; type="application/dicom"; boundary=%s' % BOUNDARY,
         "Accept": "application/dicom+json"}
    h.update(headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    t0 = time.perf_counter()
    conn.request("POST", path, body=chunks(paths), headers=h, encode_chunked=True)
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    conn.close()
    if r.status != 200:
        raise RuntimeError("%s answered %d: %r" % (path, r.status, body[:300]))
    j = json.loads(body)
    if len(j.get("00081199", {}).get("Value", [])) != len(paths) or j.get("00081198", {}).get("Value"):
        raise RuntimeError("%s: not every instance was stored: %r" % (path, body[:300]))
    return dt, j


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def report(name, rates, cpu, gib, rss):
    print("  %-8s best %7.1f MB/s  median %7.1f MB/s  CPU %6.2f s/GiB  %s"
          % (name, max(rates), statistics.median(rates), cpu / gib, rss))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="500M")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
    ap.add_argument("--no-orthanc", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sop-stow-", dir=a.workdir)
    os.chmod(work, 0o755)
    orthanc = None
    server = None
    try:
        study, paths = make_study(work, parse_size(a.size))
        total = sum(os.path.getsize(p) for p in paths)
        print("study: %d files, %.1f MiB" % (len(paths), total / (1 << 20)))
        server = harness.Server(harness.cluster().new_database())
        staff = make_user(server, "staff")
        sc = server.client()
        login(sc, staff)
        headers = {"X-CSRF-Token": sc.csrf, "Cookie": "; ".join("%s=%s" % kv for kv in sc.cookies.items())}
        rids = []
        for _ in range(a.rounds):
            _, _, rid = rh.new_patient_with_request(server, name="Bench Stow")
            server.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", rid)
            rids.append(rid)
        pid = server.proc.pid
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # VmHWM from here
        rss0, cpu0 = status_kib(pid, "VmRSS"), cpu_seconds(pid)
        rates = []
        for rid in rids:
            dt, _ = stow(server.port, "/dicom-web/studies?request=%d" % rid, headers, paths)
            rates.append(total / dt / 1e6)
        cpu = cpu_seconds(pid) - cpu0
        report("secondop", rates, cpu, a.rounds * total / (1 << 30),
               "RSS %.0f MiB before, peak %.0f MiB" % (rss0 / 1024, status_kib(pid, "VmHWM") / 1024))
        if not a.no_orthanc:
            if not (os.path.exists(ORTHANC) and os.path.exists(PLUGIN)):
                print("  Orthanc:  not installed (orthanc, orthanc-dicomweb); skipped")
            else:
                orthanc, port = start_orthanc(work)
                opid = orthanc_pid(orthanc)
                cpu, rates = 0.0, []
                for _ in range(a.rounds):
                    c0 = cpu_seconds(opid)
                    dt, j = stow(port, "/dicom-web/studies", {}, paths)
                    cpu += cpu_seconds(opid) - c0  # the STOW alone, not the deletion after it
                    rates.append(total / dt / 1e6)
                    for oid in json.load(urllib.request.urlopen("http://127.0.0.1:%d/studies" % port)):
                        urllib.request.urlopen(urllib.request.Request(
                            "http://127.0.0.1:%d/studies/%s" % (port, oid), method="DELETE")).close()
                report("Orthanc", rates, cpu, a.rounds * total / (1 << 30),
                       "RSS peak %.0f MiB" % (status_kib(opid, "VmHWM") / 1024))
    finally:
        if orthanc:
            orthanc.terminate()
            orthanc.wait(30)
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
