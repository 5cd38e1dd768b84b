#!/usr/bin/python3
"""Unread-count benchmark (issue 15, item 2): the statement behind the unread
badges (store/requests.c rqs_unread) for a page of 25 requests, on 20,000
requests with 200,000 messages of which 10,000 are unread, as staff, a
reviewer and a patient. Prints PostgreSQL's execution time (EXPLAIN ANALYZE,
median and max of 15); asserts nothing.

Usage: SECONDOP_BIN=build/secondop bench/unread.py
(uses the integration harness: a throwaway PostgreSQL cluster)."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from accounts_helpers import make_user  # noqa: E402
c = harness.cluster()
db = c.new_database()
srv = harness.Server(db)
try:
    pat = make_user(srv, "patient"); st = make_user(srv, "staff"); rv = make_user(srv, "reviewer")
    srv.sql("INSERT INTO requests (reference, patient_id, status, submitted_at, assigned_reviewer_id) "
            "SELECT 'SO-M-' || g, %s, 'accepted', now(), CASE WHEN g %% 10 = 0 THEN %s END FROM generate_series(1, 20000) g",
            pat["id"], rv["id"])
    # 200,000 messages, 10 per request; 1 in 20 unread, half from the patient
    srv.sql("INSERT INTO messages (request_id, author_id, body_sealed, internal, read_at) "
            "SELECT r.id, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, '\\x00', g %% 7 = 0, "
            "CASE WHEN (r.id + g) %% 20 = 0 THEN NULL ELSE now() END FROM requests r, generate_series(1, 10) g",
            pat["id"], st["id"])
    srv.sql("ANALYZE")
    q = ("SELECT m.request_id, count(*) FROM messages m JOIN requests r ON r.id = m.request_id "
         "JOIN users u ON u.id = m.author_id WHERE m.read_at IS NULL AND NOT m.internal AND "
         "((%s = 'patient' AND r.patient_id = %s AND u.role <> 'patient') OR (%s = 'staff' AND u.role = 'patient') OR "
         "(%s = 'reviewer' AND r.assigned_reviewer_id = %s AND u.role = 'patient')) "
         "AND m.request_id = ANY (%s::bigint[]) GROUP BY m.request_id")
    page = [r[0] for r in srv.sql("SELECT id FROM requests ORDER BY random() LIMIT 25")]
    for side, uid in (("staff", st["id"]), ("reviewer", rv["id"]), ("patient", pat["id"])):
        rows = srv.sql(q, side, uid, side, side, uid, page)
        ts = []
        for _ in range(15):
            plan = srv.sql("EXPLAIN (ANALYZE, TIMING OFF) " + q, side, uid, side, side, uid, page)
            ts.append(float([l[0] for l in plan if "Execution Time" in l[0]][0].split(":")[1].split()[0]))
        ts.sort()
        print("%-8s rows=%5d  execution median %.2f ms  max %.2f ms (a page of 25 requests; 200,000 messages, 10,000 unread, 20,000 requests)" % (side, len(rows), ts[7], ts[-1]))
finally:
    srv.stop()
