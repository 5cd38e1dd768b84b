"""Triage (issue 12, item 6): the shared truth table tests/data/triage_table.tsv
inserted as real requests; the SQL class of every row, the order of the real
queue page ("Everything"), the flags each row shows, the filters by class,
and the index expression that must stay the store's expression.
The same table is read by tests/unit/test_triage.c (the pure C classifier).

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_triage_table
"""
import html
import os
import re

import harness
from accounts_helpers import login, make_user

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLS = ["id", "birads", "biopsy", "v_birads", "v_biopsy", "treat", "waited", "status", "upgraded", "class", "flags",
        "rank"]


def load_table():
    rows = []
    with open(os.path.join(ROOT, "tests", "data", "triage_table.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            assert len(parts) == len(COLS), line
            rows.append(dict(zip(COLS, parts)))
    return rows


def opt(v):
    return None if v == "-" else v


def insert_table(t, patient_id, staff_id, reviewer_id, prefix):
    """Inserts every row as a request; returns {table id: request id}."""
    base = t.sql("SELECT now()")[0][0]
    ids = {}
    for i, row in enumerate(load_table()):
        verified = opt(row["v_birads"]) is not None
        rid = t.sql(
            "INSERT INTO requests (reference, patient_id, status, birads, biopsy_done, treatment_date, submitted_at,"
            " exam_types, review_type, review_mode, exam_facility, reason, exam_saved_at, verified_birads,"
            " verified_recommendation, verified_biopsy, verified_by, verified_at)"
            " VALUES (%s, %s, %s, %s, %s, current_date + %s::integer, %s::timestamptz - make_interval(days => %s),"
            " ARRAY['diagnostic_mammogram'], 'reread', 'remote', 'Valley Imaging', 'table', now(),"
            " %s, %s, %s, %s, %s) RETURNING id",
            "%s-%03d" % (prefix, int(row["id"])), patient_id, row["status"], opt(row["birads"]),
            None if row["biopsy"] == "-" else row["biopsy"] == "t",
            None if row["treat"] == "-" else int(row["treat"]), base, int(row["waited"]),
            opt(row["v_birads"]), "unknown" if verified else None, opt(row["v_biopsy"]),
            staff_id if verified else None, base if verified else None)[0][0]
        ids[int(row["id"])] = rid
        if row["upgraded"] == "y":
            t.sql("INSERT INTO reports (request_id, reviewer_id, status, birads, density, recommendation, summary,"
                  " concordance, signed_at, signed_by, content_hash) VALUES (%s, %s, 'signed', '4B', 'B', 'biopsy',"
                  " 'More reason for concern.', 'upgraded', now(), %s, repeat('b', 64))", rid, reviewer_id, reviewer_id)
    return ids


class TriageTableTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.patient = make_user(cls.server, "patient", name="Tess Table")
        cls.c = cls.server.client()
        login(cls.c, cls.staff)
        cls.rows = load_table()
        cls.ids = insert_table(cls.server, cls.patient["id"], cls.staff["id"], cls.reviewer["id"], "SO-TT")

    def test_table_is_large_enough(self):
        self.assertGreaterEqual(len(self.rows), 40)

    def test_sql_class_of_every_row(self):
        bad = []
        for row in self.rows:
            got = self.sql(
                "SELECT triage_class(triage_eff_birads(birads, verified_at, verified_birads),"
                " triage_eff_biopsy(biopsy_done, verified_at, verified_biopsy), treatment_date, current_date)"
                " FROM requests WHERE id = %s", self.ids[int(row["id"])])[0][0]
            if got != int(row["class"]):
                bad.append((row["id"], got, row["class"]))
        self.assertEqual(bad, [])

    def test_queue_order_and_flags(self):
        r = self.c.get("/staff/queue?status=all")
        self.assertEqual(r.status, 200)
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', r.text)]
        by_rank = sorted(self.rows, key=lambda row: int(row["rank"]))
        self.assertEqual(got, [self.ids[int(row["id"])] for row in by_rank])
        trs = dict((int(m.group(1)), m.group(2)) for m in
                   re.finditer(r'data-request-id="(\d+)">(.*?)</tr>', r.text, re.S))
        for row in self.rows:
            tr = trs[self.ids[int(row["id"])]]
            flags = set() if row["flags"] == "-" else set(row["flags"].split(","))
            self.assertEqual("treatment date has passed" in tr, "treatment_passed" in flags, row["id"])
            self.assertEqual("check concordance" in tr, "benign_discordant" in flags, row["id"])
            self.assertEqual("Release first" in tr, row["status"] == "report_ready" and row["upgraded"] == "y",
                             row["id"])
            self.assertEqual("unverified" in tr, row["v_birads"] == "-", row["id"])

    def test_release_queue_puts_upgraded_first(self):
        r = self.c.get("/staff/queue?status=report_ready")
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', r.text)]
        want = [self.ids[int(row["id"])] for row in sorted(self.rows, key=lambda row: int(row["rank"]))
                if row["status"] == "report_ready"]
        self.assertEqual(got, want)
        self.assertEqual(len(want), 3)
        # the release clears the mark: the request goes back to its class
        first = want[0]
        rep = self.sql("SELECT id FROM reports WHERE request_id = %s", first)[0][0]
        self.sql("INSERT INTO report_releases (report_id, released_by) VALUES (%s, %s)", rep, self.staff["id"])
        try:
            got = [int(x) for x in re.findall(r'data-request-id="(\d+)"',
                                              self.c.get("/staff/queue?status=report_ready").text)]
            self.assertEqual(got[0], want[1])
        finally:
            self.sql("DELETE FROM report_releases WHERE report_id = %s", rep)
            self.sql("UPDATE requests SET release_first = true WHERE id = %s", first)

    def test_priority_filter_per_class(self):
        for cls in range(1, 7):
            got = set(int(x) for x in re.findall(r'data-request-id="(\d+)"',
                                                 self.c.get("/staff/queue?status=all&priority=%d" % cls).text))
            want = set(self.ids[int(row["id"])] for row in self.rows if int(row["class"]) == cls)
            self.assertEqual(got, want, "class %d" % cls)
        self.assertEqual(self.c.get("/staff/queue?priority=7").status, 400)

    def test_stored_class_index_and_store_agree(self):
        """The stored class is triage_class() of the row; the index orders exactly as the store does."""
        bad = self.sql(
            "SELECT id FROM requests WHERE status <> 'draft' AND triage_class IS DISTINCT FROM"
            " triage_class(triage_eff_birads(birads, verified_at, verified_birads),"
            " triage_eff_biopsy(biopsy_done, verified_at, verified_biopsy), treatment_date, current_date)")
        self.assertEqual(bad, [])
        idx = self.sql("SELECT pg_get_indexdef('requests_triage_order'::regclass)")[0][0]
        self.assertIn("((NOT ((status = 'report_ready'::text) AND release_first))), triage_class, triage_upcoming,"
                      " submitted_at, id) INCLUDE (", idx)
        self.assertTrue(idx.endswith("WHERE (status <> 'draft'::text)"), idx)
        # the store's order is the index's order: no sort needed (seq scans off: the table is tiny)
        plan = "\n".join(r[0] for r in self.sql(
            "SET enable_seqscan = off; SET enable_bitmapscan = off;"
            " EXPLAIN SELECT r.id FROM requests r WHERE r.status <> 'draft'"
            " ORDER BY (NOT (r.status = 'report_ready' AND r.release_first)), r.triage_class, r.triage_upcoming,"
            " r.submitted_at, r.id LIMIT 50"))
        self.assertIn("requests_triage_order", plan)
        self.assertNotIn("Sort", plan)
        with open(os.path.join(ROOT, "server", "store", "center.c")) as f:
            src = f.read()
        self.assertIn('#define PRIO "r.triage_class"', src)
        self.assertIn('#define RELEASE_LAST "(NOT (r.status = \'report_ready\' AND r.release_first))"', src)
        self.assertIn('#define ORDER_TRIAGE " ORDER BY " RELEASE_LAST ", " PRIO ", " UPCOMING ", r.submitted_at, r.id"',
                      src)
        with open(os.path.join(ROOT, "migrations", "0017_triage.sql")) as f:
            mig = f.read()
        self.assertIn("NEW.triage_class := triage_class(triage_eff_birads(NEW.birads, NEW.verified_at,"
                      " NEW.verified_birads),", mig)

    def test_stale_class_is_refreshed_before_the_queue_is_read(self):
        """A day passing (simulated: a class computed yesterday) is caught up before the queue is shown."""
        rid = self.ids[1]  # BI-RADS 6, treatment in 7 days: class 1
        self.sql("ALTER TABLE requests DISABLE TRIGGER requests_triage")
        try:
            self.sql("UPDATE requests SET triage_class = 6, triage_upcoming = NULL, triage_day = current_date - 1"
                     " WHERE id = %s", rid)
        finally:
            self.sql("ALTER TABLE requests ENABLE TRIGGER requests_triage")
        got = [int(x) for x in re.findall(r'data-request-id="(\d+)"', self.c.get("/staff/queue?status=all").text)]
        self.assertEqual(got.index(rid) + 1, 5)  # its rank in the table
        self.assertEqual(self.sql("SELECT triage_class, triage_day = current_date FROM requests WHERE id = %s", rid)[0],
                         (1, True))

    def test_reviewer_worklist_uses_the_same_order(self):
        """The reviewer's worklist: cases to work on (accepted, scheduled, in review) first, each group in the
        table's order."""
        self.sql("UPDATE requests SET assigned_reviewer_id = %s WHERE id = ANY(%s)", self.reviewer["id"],
                 list(self.ids.values()))
        rc = self.server.client()
        login(rc, self.reviewer)
        r = rc.get("/reviewer/cases")
        self.assertEqual(r.status, 200)
        got = [int(x) for x in re.findall(r'href="/reviewer/cases/(\d+)"', r.text)]
        by_rank = sorted(self.rows, key=lambda row: int(row["rank"]))
        working = [self.ids[int(row["id"])] for row in by_rank if row["status"] in ("accepted", "scheduled", "in_review")]
        rest = [self.ids[int(row["id"])] for row in by_rank if row["status"] not in ("accepted", "scheduled", "in_review")]
        self.assertEqual(got, working + rest)
        self.assertIn("treatment date has passed — confirm", html.unescape(r.text))
