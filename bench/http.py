#!/usr/bin/python3
"""HTTP benchmark (issue 2): wrk with 32 connections for 10 s against the
landing page (a ClearSilver render), a static CSS file and /healthz, and a
bare libmicrohttpd hello-world built from bench/, interleaved over ROUNDS
rounds. Prints the median requests/s (with range) and p99 latency of each
and the ratio to the hello-world. Prints figures only; asserts nothing.

Usage: bench/http.py [--rounds 5] [--seconds 10] [--threads 2]
Needs a release build in build/ (scripts/demo.sh or `meson setup build`)."""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def wrk(url, seconds, conns=32):
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency", url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit("non-2xx answers from %s: %s" % (url, non2xx.group(1)))
    return rps, p99


def wait_port(logpath, pattern, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, open(logpath).read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise SystemExit("server did not start; see " + logpath)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    build = os.path.join(ROOT, "build")
    subprocess.run(["ninja", "-C", build], check=True, stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="sop-bench-", dir="/tmp")
    os.chmod(tmp, 0o755)
    log = os.path.join(tmp, "portal.log")
    portal = subprocess.Popen([os.path.join(build, "secondop"), "serve", "--listen", "127.0.0.1:0",
                               "--data-dir", os.path.join(tmp, "data"), "--share-dir", ROOT,
                               "--threads", str(args.threads)],
                              stdout=open(os.devnull, "w"), stderr=open(log, "w"))
    hlog = os.path.join(tmp, "hello.log")
    hello = None
    try:
        port = wait_port(log, r"serving on http://127\.0\.0\.1:(\d+)/")
        hello = subprocess.Popen([os.path.join(build, "bench", "hello_mhd"), "18931", str(args.threads)],
                                 stderr=open(hlog, "w"))
        wait_port(hlog, r"listening on (\d+)")
        targets = [("hello-world (bare MHD)", "http://127.0.0.1:18931/"),
                   ("landing page /", "http://127.0.0.1:%d/" % port),
                   ("static CSS", "http://127.0.0.1:%d/static/css/site.css" % port),
                   ("/healthz", "http://127.0.0.1:%d/healthz" % port)]
        results = {name: [] for name, _ in targets}
        for rnd in range(args.rounds):
            for name, url in targets:
                results[name].append(wrk(url, args.seconds))
            print("round %d/%d done" % (rnd + 1, args.rounds), flush=True)
        base_rps = statistics.median(r for r, _ in results[targets[0][0]])
        base_p99 = statistics.median(p for _, p in results[targets[0][0]])
        print("\n%-24s %12s %22s %10s %10s %8s" % ("target", "median req/s", "range", "ratio", "p99 ms", "p99 x"))
        for name, _ in targets:
            rps = [r for r, _ in results[name]]
            p99 = [p for _, p in results[name]]
            print("%-24s %12.0f %10.0f–%-10.0f %9.2fx %10.2f %7.1fx" % (
                name, statistics.median(rps), min(rps), max(rps), statistics.median(rps) / base_rps,
                statistics.median(p99), statistics.median(p99) / base_p99))
        print("\n(wrk -t2 -c32 -d%ds, %d rounds interleaved, server threads %d, loopback, %d cores)"
              % (args.seconds, args.rounds, args.threads, os.cpu_count()))
    finally:
        if hello:
            hello.send_signal(signal.SIGINT)
            hello.wait()
        portal.send_signal(signal.SIGINT)
        portal.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
