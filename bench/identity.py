#!/usr/bin/python3
"""Identity check benchmark (issue 11): one request holding 2,000 DICOM
documents in 8 series (rows made in SQL, as intake would leave them; 3 files
name another person, the others the account holder in four spellings), then
the grouped identity query alone (EXPLAIN ANALYZE) and the three pages that
show its verdict over HTTP, one request at a time: the patient's records
page, the staff request page and the reviewer's case page. Prints p50/p99 per
page and the query's time; asserts nothing.

Usage: SECONDOP_BIN=build/secondop bench/identity.py [--files 2000] [--samples 50]
(uses the integration harness: a throwaway PostgreSQL cluster)."""
import argparse
import os
import re
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402
from accounts_helpers import login, make_user  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=50)
    args = ap.parse_args()
    db = harness.cluster().new_database()
    server = harness.Server(db, ("--threads", "4"))
    try:
        patient, pc, rid = rh.new_patient_with_request(server, name="Jane Doe", dob="1970-01-01")
        t0 = time.time()
        server.sql("INSERT INTO studies (request_id, study_uid, study_date, description, patient_name, patient_birth_date)"
                   " VALUES (%s, '2.25.1', '20240315', 'MAMMO', 'DOE^JANE', '19700101')", rid)
        server.sql("INSERT INTO series (study_id, request_id, series_uid, modality, description)"
                   " SELECT st.id, %s, '2.25.1.' || g, 'MG', 'Series ' || g FROM studies st, generate_series(1, 8) g"
                   " WHERE st.request_id = %s", rid, rid)
        server.sql(
            "INSERT INTO documents (request_id, kind, original_name, sniffed_type, size, blake2b, file_id, wrapped_dek,"
            " kek_version, series_id, sop_instance_uid, modality, laterality, view_position, study_date, patient_name,"
            " patient_birth_date)"
            " SELECT %s, 'images', 'IM' || g, 'dicom', 1000, repeat('ab', 32),"
            " decode(lpad(to_hex(g), 32, '0'), 'hex'), decode(repeat('00', 72), 'hex'), 1,"
            " (SELECT id FROM series WHERE request_id = %s AND series_uid = '2.25.1.' || (1 + g %% 8)),"
            " '2.25.9.' || g, 'MG', 'R', 'CC', '20240315',"
            " CASE WHEN g <= 3 THEN 'SMITH^JANE' ELSE (ARRAY['DOE^JANE', 'Doe^Jane', 'JANE^DOE', 'DOE^JANE^M'])[1 + g %% 4] END,"
            " CASE WHEN g <= 3 THEN '19610302' WHEN g %% 2 = 0 THEN '19700101' ELSE '1970.01.01' END"
            " FROM generate_series(1, %s) g", rid, rid, args.files)
        server.sql("ANALYZE")
        print("fixture: %d documents in 8 series in %.1f s" % (args.files, time.time() - t0))
        plan = server.sql(
            "EXPLAIN ANALYZE SELECT st.id, se.id, count(*), st.study_date, st.description, se.description, se.modality,"
            " coalesce(d.patient_name, ''), coalesce(d.patient_birth_date, '') FROM documents d JOIN series se"
            " ON se.id = d.series_id JOIN studies st ON st.id = se.study_id WHERE d.request_id = %s AND NOT d.skipped"
            " GROUP BY st.id, se.id, coalesce(d.patient_name, ''), coalesce(d.patient_birth_date, '')"
            " ORDER BY st.study_date DESC, st.id, se.id, count(*) DESC, 8, 9", rid)
        rows = server.sql("SELECT count(*) FROM (SELECT DISTINCT series_id, patient_name, patient_birth_date"
                          " FROM documents WHERE request_id = %s) x", rid)[0][0]
        ms = [float(m.group(1)) for line in plan for m in [re.search(r"Execution Time: ([\d.]+) ms", line[0])] if m]
        print("grouped identity query: %d groups from %d files, execution %.2f ms" % (rows, args.files, ms[0]))
        staff = make_user(server, "staff")
        reviewer = make_user(server, "reviewer")
        server.sql("UPDATE requests SET status = 'in_review', submitted_at = now(), assigned_reviewer_id = %s"
                   " WHERE id = %s", reviewer["id"], rid)
        sc, rc = server.client(), server.client()
        login(sc, staff)
        login(rc, reviewer)
        pages = [("patient records page", pc, "/requests/%d/records" % rid),
                 ("staff request page", sc, "/staff/requests/%d" % rid),
                 ("reviewer case page", rc, "/reviewer/cases/%d" % rid)]
        for name, client, path in pages:
            r = client.get(path)
            assert r.status == 200, (path, r.status)
            assert 'data-other="3"' in r.text, "the 3 other-person files are counted on the %s" % name
            times = []
            for _ in range(args.samples):
                t = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t) * 1000)
            print("%-22s p50 %7.1f ms  p99 %7.1f ms  (%d samples, %d KB)" % (
                name, statistics.median(times), pct(times, 99), len(times), len(r.body) // 1024))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
