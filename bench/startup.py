#!/usr/bin/python3
"""Start-up time with no stored files and with 100,000 (issue 16, item 4): the time from
starting `secondop serve` until /readyz answers 200, for a store with no files and for one
with N stored files, in the same run, rounds alternating between the two so that the
machine's load falls on both alike. Goal: the start with N files within 2x the start with none.

The N files are made quickly, not uploaded one by one: one real upload gives a template
document row and its sealed file; N document rows are then inserted in one INSERT ... SELECT
over generate_series (each with a fresh random file id), and N copies of the sealed file are
written under those ids into files/ (separate files, as an archive holds them). Start-up
reads only the uploads in progress, so it should not care; the consistency sweep of the
stored files runs afterwards in the background: the last line times one unpaced pass over
them (SECONDOP_STORE_SWEEP_RATE=0), for information.

  --files N     stored files in the full store (default 100000)
  --rounds R    starts of each store (default 3)
  --no-sweep    skip the last line (e.g. for a binary from before the background sweep)

Usage: SECONDOP_BIN=build/secondop bench/startup.py
(uses the integration harness: a throwaway PostgreSQL cluster). Prints figures only."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402


def started(srv):
    """Seconds from starting the process until /readyz answers 200 (on the port of its first
    start; no 30 s limit, unlike the harness's start: the old code took minutes)."""
    t0 = time.monotonic()
    srv.log = open(srv.log_path, "ab")
    args = [harness.BIN, "serve", "--listen", "127.0.0.1:%d" % srv.port, "--database-url", srv.app_dsn,
            "--data-dir", srv.data_dir, "--share-dir", harness.ROOT, "--threads", "4"] + srv.extra_args
    srv.proc = subprocess.Popen(args, stdout=srv.log, stderr=srv.log, env=srv.env)
    while True:
        try:
            if srv.client().get("/readyz").status == 200:
                return time.monotonic() - t0
        except OSError:
            pass
        if srv.proc.poll() is not None or time.monotonic() - t0 > 1800:
            raise RuntimeError("no /readyz 200:\n" + srv.log_text()[-2000:])
        time.sleep(0.005)


def stopped(srv):
    """Seconds SIGTERM takes to end the process (it stops a sweep in progress)."""
    t0 = time.monotonic()
    rc = srv.stop()
    if rc != 0:
        raise RuntimeError("server exited with %s:\n%s" % (rc, srv.log_text()[-2000:]))
    return time.monotonic() - t0


def make_files(srv, n):
    """One real upload, then n more document rows and sealed files made in bulk."""
    _, c, req = rh.new_patient_with_request(srv, name="Bench Patient")
    rh.upload_bytes(c, req, b"%PDF-1.4\n" + os.urandom(600), "template.pdf", "other")
    tid, tfid = srv.sql("SELECT id, encode(file_id, 'hex') FROM documents ORDER BY id LIMIT 1")[0]
    with open(os.path.join(srv.data_dir, "files", tfid), "rb") as f:
        sealed = f.read()
    cols = [r[0] for r in srv.sql("SELECT column_name FROM information_schema.columns WHERE table_name = 'documents' "
                                  "AND column_name NOT IN ('id', 'file_id', 'upload_id') ORDER BY ordinal_position")]
    t0 = time.monotonic()
    ids = srv.sql("INSERT INTO documents (file_id, %s) SELECT decode(md5(random()::text || g::text || clock_timestamp()"
                  "::text), 'hex'), %s FROM documents, generate_series(1, %%s) g WHERE id = %%s "
                  "RETURNING encode(file_id, 'hex')" % (", ".join(cols), ", ".join(cols)), n, tid)
    t1 = time.monotonic()
    files = os.path.join(srv.data_dir, "files")
    for (fid,) in ids:
        fd = os.open(os.path.join(files, fid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, sealed)
        os.close(fd)
    t2 = time.monotonic()
    print("made %d document rows in %.1f s and %d sealed files (%d bytes each) in %.1f s" %
          (len(ids), t1 - t0, len(ids), len(sealed), t2 - t1))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args()
    print("binary: %s" % harness.BIN)
    empty = harness.Server(harness.cluster().new_database())
    full = harness.Server(harness.cluster().new_database())
    make_files(full, args.files)
    stopped(empty)
    stopped(full)
    on_disk = len(os.listdir(os.path.join(full.data_dir, "files")))
    t = {"none": [], "full": []}
    stop_t = {"none": [], "full": []}
    for r in range(args.rounds):
        for key, srv in (("none", empty), ("full", full)):
            t[key].append(started(srv))
            stop_t[key].append(stopped(srv))
        print("round %d: none %.3f s, %d files %.3f s" % (r + 1, t["none"][-1], on_disk, t["full"][-1]))
        sys.stdout.flush()
    m0, m1 = statistics.median(t["none"]), statistics.median(t["full"])
    print("start-up until /readyz 200, median of %d: no stored files %.3f s; %d stored files %.3f s; ratio %.2fx "
          "(goal <= 2x)" % (args.rounds, m0, on_disk, m1, m1 / m0))
    print("SIGTERM to exit, median: no stored files %.3f s; %d stored files (sweep in progress) %.3f s" %
          (statistics.median(stop_t["none"]), on_disk, statistics.median(stop_t["full"])))
    if args.no_sweep:
        return
    # for information: one unpaced background pass over the full store
    full.env["SECONDOP_STORE_SWEEP_RATE"] = "0"
    from_byte = os.path.getsize(full.log_path)
    started(full)
    text = full.wait_log("store sweep: finished", 600, from_byte)
    m = re.search(r"store sweep: finished in ([0-9.]+) s: (\d+) files checked", text)
    print("background sweep, unpaced: %s files checked in %s s (default pace: at most 2000 files a second)" %
          (m.group(2), m.group(1)))
    stopped(full)


if __name__ == "__main__":
    main()
