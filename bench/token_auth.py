#!/usr/bin/python3
"""What a personal access token costs per DICOMweb request (issue 14 item 2): the same QIDO-RS
search (GET /dicom-web/studies, one study of four images) answered for a patient's session cookie
and for her bearer token, over one keep-alive connection each, alternating in rounds. A token
request does more: a keyed BLAKE2b, one UPDATE (last use) instead of the session's, and one more
audit row (dicomweb.token_use). Prints requests/s and the median and 99th percentile latency of
each; asserts nothing but that every answer was 200.

Usage: SECONDOP_BIN=build/secondop /usr/bin/python3 bench/token_auth.py [--requests 2000]
(uses the integration harness: a throwaway PostgreSQL cluster)."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import argparse  # noqa: E402
import http.client  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import harness  # noqa: E402
from records_helpers import new_patient_with_request, studies, upload_path  # noqa: E402


def run(port, headers, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        conn.request("GET", "/dicom-web/studies", headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status == 200, r.status
        lat.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    conn.close()
    return n / total, lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    srv = harness.Server(harness.cluster().new_database())
    try:
        user, c, rid = new_patient_with_request(srv, name="Jane Doe")
        for v in ("R_CC", "R_MLO", "L_CC", "L_MLO"):
            upload_path(c, rid, os.path.join(studies(), "study1", v + ".dcm"))
        c.get("/account/tokens")
        r = c.post("/account/tokens", {"label": "bench", "stepup_credential": user["password"]})
        token = re.search(r"sop_[A-Za-z0-9_-]{43}", r.text).group(0)
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        kinds = {"session": {"Cookie": cookie, "Accept": "application/dicom+json"},
                 "token": {"Authorization": "Bearer " + token, "Accept": "application/dicom+json"}}
        res = {k: ([], []) for k in kinds}
        run(srv.port, kinds["session"], 100)  # warm up
        for _ in range(args.rounds):
            for k, h in kinds.items():
                rps, lat = run(srv.port, h, args.requests // args.rounds)
                res[k][0].append(rps)
                res[k][1].extend(lat)
        for k, (rps, lat) in res.items():
            lat.sort()
            print("%-8s %6.0f requests/s (median of %d rounds)  latency median %.2f ms  p99 %.2f ms  (%d requests)"
                  % (k, statistics.median(rps), args.rounds, lat[len(lat) // 2] * 1e3,
                     lat[int(len(lat) * 0.99)] * 1e3, len(lat)))
        n = srv.sql("SELECT count(*) FROM audit_log WHERE action = 'dicomweb.token_use'")[0][0]
        print("audit rows dicomweb.token_use: %d" % n)
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
