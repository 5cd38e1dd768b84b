#!/usr/bin/python3
"""Runs every tests/integration/test_*.py (or the names given) and prints
one line: INTEGRATION: N passed, M failed, K skipped.

Given names (modules, classes or tests), it runs them here, one after another; given
"--jobs N" and module names, it shares those as below. Given none, it shares the modules among SECONDOP_TEST_JOBS worker processes (default 2): most of a module's
time is spent waiting on servers and peers, so two modules at a time finish sooner even on
one free core. Each worker is this script with --worker; it has its own PostgreSQL cluster
(harness.cluster()), its own share of the loopback ports (harness.free_port()) and its own
scratch; it takes one module at a time from this process, and the modules that share a
peer started once per process (the Ceph gateway) all go to the one worker that started it.
Each module's output is copied into this process's output as a whole when it ends, followed
by a line "MODULE name: S s (worker K)"."""
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

# Modules that need the same peer started once per worker process: all go to one worker.
GROUPS = {"test_active_active_nginx": "ceph", "test_blob_s3": "ceph", "test_store_sweep_s3": "ceph"}
# The longest modules start first, so that no long one is left to run alone at the end.
LONG_FIRST = ["test_blob_s3", "test_store_sweep_s3", "test_active_active_nginx", "test_pacs_send"]


def counts(result):
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    return result.testsRun, failed, [(t.id(), why) for t, why in result.skipped]


def run_here(names, stream):
    loader = unittest.TestLoader()
    if names:
        suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in names)
    else:
        suite = loader.discover(here, pattern="test_*.py", top_level_dir=here)
    return counts(unittest.TextTestRunner(verbosity=2, stream=stream).run(suite))


def worker(cmd_fd, res_fd):
    """Runs the modules named on cmd_fd, one per line, until it closes; answers each with one
    JSON line on res_fd. Its own output (and its tests' and their servers') goes to stdout."""
    cmds = os.fdopen(cmd_fd, "r")
    res = os.fdopen(res_fd, "w")
    for line in cmds:
        name = line.strip()
        t0 = time.time()
        run, failed, skipped = run_here([name], sys.stdout)
        sys.stdout.flush()
        sys.stderr.flush()
        res.write(json.dumps({"module": name, "run": run, "failed": failed, "skipped": skipped,
                              "seconds": time.time() - t0}) + "\n")
        res.flush()
    return 0


class Worker:
    def __init__(self, k, jobs, scratch):
        self.k = k
        self.log_path = os.path.join(scratch, "worker%d.log" % k)
        self.log = open(self.log_path, "wb")
        self.read_at = 0
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        env = dict(os.environ, SECONDOP_TEST_SHARD=str(k), SECONDOP_TEST_SHARDS=str(jobs))
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", str(cmd_r), str(res_w)],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     pass_fds=(cmd_r, res_w))
        os.close(cmd_r)
        os.close(res_w)
        self.res = os.fdopen(self.res_r, "r")
        self.module = None
        self.started = 0.0

    def send(self, name):
        self.module, self.started = name, time.time()
        os.write(self.cmd_w, (name + "\n").encode())

    def finish(self):
        if self.cmd_w >= 0:
            os.close(self.cmd_w)
            self.cmd_w = -1

    def new_output(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.read_at)
            data = f.read()
        self.read_at += len(data)
        return data.decode("utf-8", "replace")


def run_shared(jobs, names=None):
    names = names or sorted(f[:-3] for f in os.listdir(here) if f.startswith("test_") and f.endswith(".py"))
    pending = [n for n in LONG_FIRST if n in names] + [n for n in names if n not in LONG_FIRST]
    scratch = tempfile.mkdtemp(prefix="sop-run-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
    workers = [Worker(k, jobs, scratch) for k in range(jobs)]
    owner = {}  # group -> worker number
    sel = selectors.DefaultSelector()
    for w in workers:
        sel.register(w.res, selectors.EVENT_READ, w)
    total_run = total_failed = 0
    skipped = []
    t0 = time.time()

    def dispatch(w):
        for i, n in enumerate(pending):
            g = GROUPS.get(n)
            if g is None or owner.setdefault(g, w.k) == w.k:
                w.send(pending.pop(i))
                return
        w.finish()  # nothing left that this worker may take: it ends

    def report(w, line):
        nonlocal total_run, total_failed
        sys.stdout.write(w.new_output())
        if line:
            r = json.loads(line)
            total_run += r["run"]
            total_failed += r["failed"]
            skipped.extend(r["skipped"])
            print("MODULE %s: %.1f s (worker %d)" % (w.module, r["seconds"], w.k))
        else:  # the worker ended in the middle of a module
            total_failed += 1
            print("ERROR: %s (the worker running it ended: %s)\nMODULE %s: %.1f s (worker %d)"
                  % (w.module, w.proc.wait(), w.module, time.time() - w.started, w.k))
            for g, k in list(owner.items()):
                if k == w.k:
                    del owner[g]
        sys.stdout.flush()
        w.module = None

    for w in workers:
        dispatch(w)
    live = list(workers)
    while live:
        for key, _ in sel.select():
            w = key.data
            line = w.res.readline()
            if w.module is not None:
                report(w, line)
            if not line:
                sel.unregister(w.res)
                w.finish()
                w.proc.wait()
                sys.stdout.write(w.new_output())
                live.remove(w)
                continue
            dispatch(w)
    for n in pending:  # none left, unless every worker that could run them ended
        total_failed += 1
        print("ERROR: %s (not run: no worker left to run it)" % n)
    print("Ran %d tests in %.3fs in %d workers" % (total_run, time.time() - t0, jobs))
    shutil.rmtree(scratch, ignore_errors=True)  # the workers' output is copied above
    return total_run, total_failed, skipped


def main():
    if sys.argv[1:2] == ["--worker"]:
        return worker(int(sys.argv[2]), int(sys.argv[3]))
    names = sys.argv[1:]
    jobs = int(os.environ.get("SECONDOP_TEST_JOBS") or 2)
    if names[:1] == ["--jobs"]:  # these modules, shared as a whole run's are
        jobs, names = int(names[1]), names[2:]
        run, failed, skipped = run_shared(jobs, names)
    elif names or jobs <= 1:
        run, failed, skipped = run_here(names, sys.stdout)
    else:
        run, failed, skipped = run_shared(jobs)
    passed = run - failed - len(skipped)
    for test, why in skipped:
        print("SKIPPED: %s (%s)" % (test, why))
    print("INTEGRATION: %d passed, %d failed, %d skipped" % (passed, failed, len(skipped)))
    sys.stdout.flush()
    return 1 if failed or run == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
