#!/usr/bin/python3
"""secondop verify-store: throughput and memory (issue 16, item 7). Prints figures; no timed
assertion.

    SECONDOP_BIN=build/secondop /usr/bin/python3 bench/verify_store.py [--files 40] [--size 8M]

Starts a private PostgreSQL and the portal (tests/integration/harness.py), uploads FILES
documents of SIZE bytes each through tus, then runs `secondop verify-store` beside the server
twice: over a tenth of the files' worth (a store with FILES/10 of them) and over all of them,
reporting wall time, MiB/s of plaintext verified, CPU seconds per GiB and the command's peak
resident memory (from wait4's rusage), which should not grow with the store.
"""
import os
import sys

sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import argparse  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402

MiB = 1 << 20


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.strip(), re.I)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def data_of(i, size):
    block = (b"%PDF-1.4\n" + hashlib.sha256(b"vs-bench%d" % i).digest() * (1 << 15))[:MiB]
    return (block * (size // MiB + 1))[:size]


def run_verify(server):
    cmd = [harness.BIN, "verify-store", "--database-url", server.dsn, "--data-dir", server.data_dir,
           "--share-dir", harness.ROOT]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server.env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    out = p.stdout.read().decode()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--size", default="8M")
    a = ap.parse_args()
    size = parse_size(a.size)
    server = harness.Server(harness.cluster().new_database())
    try:
        _, c, req = rh.new_patient_with_request(server, name="Bench Verify")
        small = max(1, a.files // 10)
        rows = []
        for i in range(a.files):
            rh.upload_bytes(c, req, data_of(i, size), "f%d.pdf" % i, "other", chunk=64 * MiB)
            if i + 1 in (small, a.files):
                rc, out, wall, cpu, rss = run_verify(server)
                m = re.search(r"(\d+) files read \(([^)]*)\)", out)
                assert rc == 0 and m, out
                gib = (i + 1) * size / (1 << 30)
                rows.append((i + 1, m.group(2), wall, (i + 1) * size / MiB / wall, cpu / gib, rss / 1024))
        print("verify-store, %s per file:" % a.size)
        print("%6s %12s %8s %9s %12s %10s" % ("files", "plaintext", "wall s", "MiB/s", "CPU s/GiB", "peak MiB"))
        for r in rows:
            print("%6d %12s %8.2f %9.1f %12.2f %10.1f" % r)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
