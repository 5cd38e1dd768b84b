#!/usr/bin/python3
"""Starts a throwaway PostgreSQL cluster with a migrated `base` template for
the browser tests: `pg_cluster.py start` prints the socket folder and keeps
running until stdin closes or SIGTERM; then it stops and removes the cluster."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import harness  # noqa: E402

c = harness.Cluster()
print(c.sock, flush=True)


def stop(*_):
    c.destroy()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
try:
    sys.stdin.read()
finally:
    c.destroy()
