#!/usr/bin/python3
"""A throwaway PostgreSQL cluster with a migrated `base` template, for the
browser tests.

  pg_cluster.py start        creates and starts it; prints its folder (the socket directory)
  pg_cluster.py stop FOLDER  stops it and removes the folder
"""
import os
import subprocess
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import harness  # noqa: E402


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "start":
        c = harness.Cluster()
        print(c.sock, flush=True)
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "stop":
        folder = sys.argv[2]
        if not os.path.isfile(os.path.join(folder, "d", "PG_VERSION")):
            print("pg_cluster: %s is not a test cluster" % folder, file=sys.stderr)
            return 2
        subprocess.run(harness._as_pg([harness.PG_BIN + "/pg_ctl", "-D", os.path.join(folder, "d"),
                                       "-m", "fast", "-w", "stop"]), stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
