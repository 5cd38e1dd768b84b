#!/usr/bin/python3
"""Abusive archives benchmark (issue 10, item 3): while four patients each
upload a 10 MB ZIP of 100,000 one-byte entries (and the portal refuses it),
three probes ask /healthz, /login and a patient's records page one request
after the other. Prints p50/p99/max latency per probe, first with no load and
then under the abusive uploads, and how long each archive took from its first
byte to its refusal. Prints figures only; asserts nothing (the goal is a p99
under 100 ms under load).

  --entries N     entries per archive (default 100000; below the 20,000 limit
                  the archives pass the central-directory check and are
                  unpacked on the job workers, the slow path)
  --archives N    abusive uploads at once (default 4)
  --baseline S    seconds of probing without load (default 5)
  --seconds S     each patient uploads its archive again until S seconds have
                  passed (default 20: refusals are quick, so the load repeats)

Usage: SECONDOP_BIN=build/secondop bench/abusive_archives.py
(uses the integration harness: a throwaway PostgreSQL cluster)."""
import argparse
import io
import os
import sys
import threading
import time
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def archive(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(entries):
            z.writestr("IM%06d" % i, b"x")
    return buf.getvalue()


class Probes:
    """One thread per path, one request after the other, latencies in ms."""

    def __init__(self, server, patient_client, req):
        self.paths = [("/healthz", server.client()), ("/login", server.client()),
                      ("/requests/%d/records" % req, patient_client)]
        self.lat = {p: [] for p, _ in self.paths}
        self.errors = {p: 0 for p, _ in self.paths}
        self.stop = threading.Event()

    def run(self, path, client):
        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                ok = client.get(path).status == 200
            except Exception:  # noqa: BLE001 - a probe that fails is counted, not fatal
                ok = False
            ms = (time.perf_counter() - t) * 1000.0
            if ok:
                self.lat[path].append(ms)
            else:
                self.errors[path] += 1

    def __enter__(self):
        self.threads = [threading.Thread(target=self.run, args=pc) for pc in self.paths]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def report(self, label):
        print(label)
        print("  %-22s %8s %8s %8s %8s %7s" % ("probe", "requests", "p50 ms", "p99 ms", "max ms", "errors"))
        for p, _ in self.paths:
            xs = self.lat[p]
            name = "patient records page" if p.startswith("/requests") else p
            print("  %-22s %8d %8.1f %8.1f %8.1f %7d" % (name, len(xs), pct(xs, 50), pct(xs, 99), max(xs or [0]),
                                                        self.errors[p]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100000)
    ap.add_argument("--archives", type=int, default=4)
    ap.add_argument("--baseline", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    db = harness.cluster().new_database()
    server = harness.Server(db, ("--threads", "4", "--workers", "2"))
    try:
        _, pc, preq = rh.new_patient_with_request(server, name="Probe Patient")
        rh.upload_bytes(pc, preq, b"%PDF-1.4\n" + b"p" * 4000, "probe.pdf", "other")
        t0 = time.time()
        data = archive(args.entries)
        print("archive: %d entries, %.1f MB, built in %.1f s" % (args.entries, len(data) / 1e6, time.time() - t0))
        abusers = [rh.new_patient_with_request(server, name="Abuser %d" % i) for i in range(args.archives)]

        with Probes(server, pc, preq) as base:
            time.sleep(args.baseline)
        base.report("no load (%.0f s):" % args.baseline)

        results = [[] for _ in range(args.archives)]
        end = time.time() + args.seconds

        def abuse(i):
            _, c, req = abusers[i]
            n = 0
            while not results[i] or time.time() < end:
                t = time.time()
                url = rh.tus_create(c, req, len(data), "cd-export-%d-%d.zip" % (i, n), "images")
                n += 1
                off = 0
                while off < len(data):
                    r = rh.tus_patch(c, url, off, data[off:off + (4 << 20)])
                    off = int(r.header("Upload-Offset"))
                t_bytes = time.time() - t
                st = rh.wait_checked(c, url, timeout=1800)
                results[i].append((t_bytes, time.time() - t, st["outcome"], st["message"]))

        with Probes(server, pc, preq) as load:
            ts = [threading.Thread(target=abuse, args=(i,)) for i in range(args.archives)]
            t_all = time.time()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            t_all = time.time() - t_all
        load.report("%d patients uploading abusive archives at once, again and again, until every one is checked "
                    "(%.1f s):" % (args.archives, t_all))
        flat = [x for r in results for x in r]
        print("  %d archives: bytes in p50 %.2f s; checked %.2f s (p50) / %.2f s (max) after their first byte" %
              (len(flat), pct([x[0] for x in flat], 50), pct([x[1] for x in flat], 50), max(x[1] for x in flat)))
        print("  outcomes: %s" % ", ".join("%s %d" % (o, sum(1 for x in flat if x[2] == o))
                                         for o in sorted({x[2] for x in flat})))
        print("  e.g. %s" % flat[0][3][:160])
    finally:
        server.stop()


if __name__ == "__main__":
    main()
