"""The audit trail (issue 3 item 9; checklist 66, 67, 70).

Rows are written through the real audit_write() by tests/tools/audit_write_tool
(built next to the secondop binary), read back with SQL, and the chain is
recomputed here with an independent implementation of the canonical form
documented in server/core/audit.c. The database must refuse UPDATE, DELETE
and TRUNCATE; a superuser who edits a row behind the triggers' back is caught
by `secondop verify-audit`. `secondop audit` filters answer "who viewed case
A". The admin pages are checked route x role once accounts exist.
"""
import csv
import hashlib
import io
import os
import subprocess
import unittest

import psycopg2

import harness

TOOL = os.path.join(os.path.dirname(harness.BIN), "tests", "audit_write_tool")


def write_rows(server, *args):
    """Runs audit_write_tool against the server's database; returns the CompletedProcess."""
    r = subprocess.run([TOOL, server.dsn] + [str(a) for a in args], capture_output=True, text=True, timeout=120)
    return r


def cli(server, *args):
    """Runs `secondop ARGS --database-url DSN`."""
    return subprocess.run([harness.BIN] + list(args) + ["--database-url", server.dsn, "--share-dir", harness.ROOT],
                          capture_output=True, text=True, timeout=120)


def _field(v):
    if v is None:
        return b"\x00"
    t = str(v).encode("utf-8")
    return b"\x01" + len(t).to_bytes(4, "big") + t


def expected_hash(row):
    """BLAKE2b-256(prev or 32 zero bytes || canonical row), as documented in server/core/audit.c."""
    (rid, at_us, actor_id, actor_role, action, object_type, object_id, patient_id, outcome, ip, request_id,
     detail, prev_hash, _hash) = row
    h = hashlib.blake2b(digest_size=32)
    h.update(bytes(prev_hash) if prev_hash is not None else b"\x00" * 32)
    for v in ("secondop.audit.v1", rid, at_us, actor_id, actor_role, action, object_type, object_id, patient_id,
              outcome, ip, request_id, detail):
        h.update(_field(v))
    return h.digest()


ROW_SQL = ("SELECT id, at_us, actor_id, actor_role, action, object_type, object_id, patient_id, outcome, ip,"
           " request_id, detail::text, prev_hash, hash FROM audit_log ORDER BY id")


class AuditChainTest(harness.ServerTestCase):
    """Appending, the chain, and the database's refusal to change rows."""

    def rows(self):
        return self.sql(ROW_SQL)

    def assert_chain_valid(self, rows):
        prev = None
        for row in rows:
            self.assertEqual(row[12] if row[12] is None else bytes(row[12]), prev, "row %d links to the wrong hash" % row[0])
            self.assertEqual(bytes(row[13]), expected_hash(row), "row %d hash does not recompute" % row[0])
            prev = bytes(row[13])

    def test_01_rows_appended_with_valid_chain(self):
        before = len(self.rows())
        r = write_rows(self.server, "--count", 5, "--action", "request.view", "--actor", 42, "--role", 2,
                       "--patient", 7, "--object-type", "request", "--object-id", "A-1",
                       "--detail", '{"b": 2, "a": "x"}', "--ip", "192.0.2.9")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows()
        self.assertEqual(len(rows), before + 5)
        self.assertIsNone(rows[0][12], "the first row has no predecessor")
        self.assert_chain_valid(rows)
        last = rows[-1]
        self.assertEqual(last[2], 42)
        self.assertEqual(last[3], "staff")
        self.assertEqual(last[4], "request.view")
        self.assertEqual((last[5], last[6], last[7]), ("request", "A-1", 7))
        self.assertEqual(last[8], "ok")
        self.assertEqual(last[9], "192.0.2.9")
        self.assertEqual(last[11], '{"a": "x", "b": 2}')
        # at and at_us agree, and at is close to now
        ok = self.sql("SELECT bool_and(at = timestamptz 'epoch' + at_us * interval '1 microsecond'),"
                      " bool_and(abs(extract(epoch FROM clock_timestamp() - at)) < 120) FROM audit_log")
        self.assertEqual(ok[0], (True, True))
        v = cli(self.server, "verify-audit")
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertEqual(v.stdout.strip(), "audit chain intact: %d rows" % len(rows))

    def test_02_anonymous_actor_stored_as_null(self):
        r = write_rows(self.server, "--action", "login.failure", "--outcome", "failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        row = self.rows()[-1]
        self.assertIsNone(row[2])
        self.assertEqual(row[3], "anonymous")
        self.assertEqual(row[8], "failed")
        self.assertIsNone(row[7])
        self.assert_chain_valid(self.rows())

    def test_03_concurrent_writers_keep_one_linear_chain(self):
        before = len(self.rows())
        r = write_rows(self.server, "--count", 25, "--threads", 4, "--action", "document.download")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows()
        self.assertEqual(len(rows), before + 100)
        self.assert_chain_valid(rows)
        self.assertEqual(cli(self.server, "verify-audit").returncode, 0)

    def test_04_row_rolls_back_with_the_callers_transaction(self):
        before = len(self.rows())
        r = write_rows(self.server, "--count", 3, "--in-tx", "--rollback", "--action", "tx.rolledback")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.rows()), before)
        r = write_rows(self.server, "--count", 3, "--in-tx", "--action", "tx.committed")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows()
        self.assertEqual(len(rows), before + 3)
        self.assertEqual([x[4] for x in rows[-3:]], ["tx.committed"] * 3)
        self.assert_chain_valid(rows)  # the rolled-back ids left gaps; the chain is still whole
        self.assertEqual(cli(self.server, "verify-audit").returncode, 0)

    def test_05_bad_events_are_refused_and_write_nothing(self):
        before = len(self.rows())
        for args in (["--detail", "[1, 2]"], ["--detail", "{not json"], ["--outcome", "maybe"], ["--action", ""]):
            r = write_rows(self.server, *args)
            self.assertEqual(r.returncode, 1, "accepted %r" % (args,))
        self.assertEqual(len(self.rows()), before)

    def _refused(self, statement):
        conn = psycopg2.connect(self.server.dsn)
        try:
            with conn.cursor() as cur:
                with self.assertRaises(psycopg2.Error) as ctx:
                    cur.execute(statement)
            conn.rollback()
            return ctx.exception
        finally:
            conn.close()

    def test_06_update_delete_truncate_refused_by_the_database(self):
        write_rows(self.server, "--action", "x.y")
        rows = self.rows()
        rid = rows[-1][0]
        e = self._refused("UPDATE audit_log SET action = 'forged' WHERE id = %d" % rid)
        self.assertIn("append-only", str(e))
        self.assertEqual(e.pgcode, "42501")
        self._refused("DELETE FROM audit_log WHERE id = %d" % rid)
        self._refused("DELETE FROM audit_log")
        self._refused("TRUNCATE audit_log")
        self.assertEqual(self.rows(), rows, "nothing changed")

    def test_07_fork_refused_by_unique_prev_hash(self):
        last = self.rows()[-1]
        e = self._refused(
            "INSERT INTO audit_log (at_us, actor_role, action, outcome, prev_hash, hash)"
            " SELECT 1, 'system', 'fork', 'ok', prev_hash, decode(repeat('ab', 32), 'hex')"
            " FROM audit_log WHERE id = %d" % last[0])
        self.assertEqual(e.pgcode, "23505")


class AuditTamperTest(harness.ServerTestCase):
    """A superuser who bypasses the triggers is caught by verify-audit."""

    def superuser(self, *statements):
        conn = psycopg2.connect(self.server.dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("ALTER TABLE audit_log DISABLE TRIGGER ALL")
                try:
                    for s in statements:
                        cur.execute(s)
                finally:
                    cur.execute("ALTER TABLE audit_log ENABLE TRIGGER ALL")
        finally:
            conn.close()

    def ids(self):
        return [r[0] for r in self.sql("SELECT id FROM audit_log ORDER BY id")]

    def test_01_edited_row_is_named(self):
        self.assertEqual(write_rows(self.server, "--count", 10, "--action", "request.view").returncode, 0)
        v = cli(self.server, "verify-audit")
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        ids = self.ids()
        victim = ids[4]
        self.superuser("UPDATE audit_log SET actor_id = 999 WHERE id = %d" % victim)
        v = cli(self.server, "verify-audit")
        self.assertEqual(v.returncode, 1, v.stdout)
        self.assertIn("audit chain broken at row %d" % victim, v.stdout)
        # triggers are back on
        with self.assertRaises(psycopg2.Error):
            self.sql("UPDATE audit_log SET actor_id = 1 WHERE id = %d" % victim)

    def test_02_deleted_row_is_found_at_its_successor(self):
        # restore a consistent table first: drop every row, write a fresh chain
        self.superuser("DELETE FROM audit_log")
        self.assertEqual(write_rows(self.server, "--count", 6).returncode, 0)
        ids = self.ids()
        self.superuser("DELETE FROM audit_log WHERE id = %d" % ids[2])
        v = cli(self.server, "verify-audit")
        self.assertEqual(v.returncode, 1)
        self.assertIn("audit chain broken at row %d" % ids[3], v.stdout)

    def test_03_changed_time_and_deleted_first_row_are_found(self):
        self.superuser("DELETE FROM audit_log")
        self.assertEqual(write_rows(self.server, "--count", 3).returncode, 0)
        ids = self.ids()
        self.superuser("UPDATE audit_log SET at = at - interval '1 day' WHERE id = %d" % ids[1])
        v = cli(self.server, "verify-audit")
        self.assertIn("audit chain broken at row %d" % ids[1], v.stdout)
        self.superuser("DELETE FROM audit_log")
        self.assertEqual(write_rows(self.server, "--count", 3).returncode, 0)
        ids = self.ids()
        self.superuser("DELETE FROM audit_log WHERE id = %d" % ids[0])
        v = cli(self.server, "verify-audit")
        self.assertIn("audit chain broken at row %d" % ids[1], v.stdout)

    def test_04_empty_log_is_intact(self):
        self.superuser("DELETE FROM audit_log")
        v = cli(self.server, "verify-audit")
        self.assertEqual(v.returncode, 0)
        self.assertEqual(v.stdout.strip(), "audit chain intact: 0 rows")


class AuditCliTest(harness.ServerTestCase):
    """`secondop audit` answers "who viewed case A"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server

        def user(role, name, email):
            return s.sql("INSERT INTO users (role, name, email) VALUES (%s, %s, %s) RETURNING id",
                         role, name, email)[0][0]
        cls.pat1 = user("patient", "Pat One", "pat1@example.test")
        cls.pat2 = user("patient", "Pat Two", "pat2@example.test")
        cls.rad1 = user("reviewer", "Rad One", "rad1@example.test")
        cls.staff1 = user("staff", "Staff One", "Staff1@Example.test")
        cls.staff2 = user("staff", "Staff Two", "staff2@example.test")

        def w(actor, role, action, obj=None, patient=None, *extra):
            args = ["--actor", actor, "--role", role, "--action", action]
            if obj:
                args += ["--object-type", "request", "--object-id", obj]
            if patient:
                args += ["--patient", patient]
            r = write_rows(s, *(args + list(extra)))
            assert r.returncode == 0, r.stderr
        w(cls.pat1, 1, "login.success")
        w(cls.pat1, 1, "request.view", "A", cls.pat1)
        w(cls.staff1, 2, "login.success")
        w(cls.staff1, 2, "request.view", "A", cls.pat1)
        w(cls.rad1, 4, "request.view", "A", cls.pat1)
        w(cls.rad1, 4, "request.view", "A", cls.pat1)
        w(cls.staff2, 2, "request.view", "B", cls.pat2)
        w(cls.pat2, 1, "request.view", "B", cls.pat2)
        w(cls.staff2, 2, "request.update", "A", cls.pat1, "--detail", '{"status": "triaged"}')
        w(cls.staff2, 2, "login.failure", None, None, "--outcome", "failed")
        w(cls.staff2, 2, "request.view", "=HYPERLINK(\"http://evil.example\")", cls.pat2)

    def csv_rows(self, *args):
        r = cli(self.server, "audit", "--format", "csv", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
        return rows

    def test_who_viewed_case_a(self):
        rows = self.csv_rows("--object-type", "request", "--object-id", "A", "--action", "request.view")
        self.assertEqual({int(x["actor_id"]) for x in rows}, {self.pat1, self.rad1, self.staff1})
        self.assertEqual(len(rows), 4)
        self.assertEqual({x["actor_email"] for x in rows},
                         {"pat1@example.test", "rad1@example.test", "Staff1@Example.test"})
        self.assertEqual({x["actor_name"] for x in rows}, {"Pat One", "Rad One", "Staff One"})

    def test_filter_by_user_id_and_email(self):
        by_id = self.csv_rows("--user", str(self.staff1))
        self.assertEqual([x["action"] for x in by_id], ["login.success", "request.view"])
        by_email = self.csv_rows("--user", "staff1@example.TEST")
        self.assertEqual([x["id"] for x in by_email], [x["id"] for x in by_id])

    def test_filter_by_patient(self):
        rows = self.csv_rows("--patient", str(self.pat2))
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(x["patient_id"] == str(self.pat2) for x in rows))

    def test_filter_by_action_exact_and_family(self):
        self.assertEqual(len(self.csv_rows("--action", "login.success")), 2)
        fam = self.csv_rows("--action", "login.")
        self.assertEqual(sorted(x["action"] for x in fam), ["login.failure", "login.success", "login.success"])
        self.assertEqual(fam[[x["action"] for x in fam].index("login.failure")]["outcome"], "failed")
        self.assertEqual(self.csv_rows("--action", "login"), [])

    def test_filter_by_date(self):
        today = self.sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")[0][0]
        n_all = len(self.csv_rows("--action", "request."))
        self.assertGreaterEqual(n_all, 8)
        self.assertEqual(len(self.csv_rows("--since", today, "--action", "request.")), n_all)
        self.assertEqual(len(self.csv_rows("--until", today, "--action", "request.")), n_all)
        self.assertEqual(len(self.csv_rows("--since", today, "--until", today, "--action", "request.")), n_all)
        self.assertEqual(self.csv_rows("--since", "2999-01-01"), [])
        self.assertEqual(self.csv_rows("--until", "2000-01-01"), [])

    def test_csv_quoting_and_formula_protection(self):
        r = cli(self.server, "audit", "--format", "csv", "--patient", str(self.pat2))
        self.assertIn('"\'=HYPERLINK(""http://evil.example"")"', r.stdout)
        rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
        evil = [x for x in rows if "HYPERLINK" in x["object_id"]]
        self.assertEqual(len(evil), 1)
        self.assertEqual(evil[0]["object_id"], "'=HYPERLINK(\"http://evil.example\")")
        detail = self.csv_rows("--action", "request.update")[0]["detail"]
        self.assertEqual(detail, '{"status": "triaged"}')

    def test_text_format_and_export_is_audited(self):
        before = self.sql("SELECT count(*) FROM audit_log WHERE action = 'audit.export'")[0][0]
        r = cli(self.server, "audit", "--user", str(self.rad1))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn("Rad One", lines[0])
        self.assertIn("request.view", lines[0])
        self.assertIn("request:A", lines[0])
        after = self.sql("SELECT actor_role, request_id, detail->>'user' FROM audit_log"
                         " WHERE action = 'audit.export' ORDER BY id")
        self.assertEqual(len(after), before + 1)
        self.assertEqual(after[-1], ("system", "cli", str(self.rad1)))

    def test_list_for_patient_names_who_opened_the_records(self):
        r = write_rows(self.server, "--list-patient", self.pat1)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [line.split("\t") for line in r.stdout.strip().splitlines()]
        self.assertEqual(len(rows), 5)
        ids = [int(x[0]) for x in rows]
        self.assertEqual(ids, sorted(ids, reverse=True), "newest first")
        self.assertEqual(rows[0][2:], ["Staff Two", "staff", "request.update"])
        self.assertEqual({x[2] for x in rows}, {"Pat One", "Staff One", "Rad One", "Staff Two"})
        r = write_rows(self.server, "--list-patient", self.pat1, "--limit", 2)
        self.assertEqual(len(r.stdout.strip().splitlines()), 2)
        # a deleted user's rows stay, with no name
        gone = self.sql("INSERT INTO users (role, name, email) VALUES ('staff', 'Gone', 'gone@example.test')"
                        " RETURNING id")[0][0]
        write_rows(self.server, "--actor", gone, "--role", 2, "--action", "request.view", "--patient", self.pat1)
        self.sql("DELETE FROM users WHERE id = %s", gone)
        r = write_rows(self.server, "--list-patient", self.pat1, "--limit", 1)
        self.assertEqual(r.stdout.split("\t")[1:3], [str(gone), ""])

    def test_bad_filters_are_usage_errors(self):
        for args in (["--since", "2025-02-30"], ["--until", "yesterday"], ["--patient", "x"],
                     ["--user", "bob"], ["--format", "xml"], ["--action"]):
            r = cli(self.server, "audit", *args)
            self.assertEqual(r.returncode, 2, "%r gave %d" % (args, r.returncode))
            self.assertTrue(r.stderr.strip(), "no message for %r" % (args,))


def _accounts_available():
    r = subprocess.run([harness.BIN, "--help"], capture_output=True, text=True)
    return "create-user" in r.stdout


@unittest.skipUnless(_accounts_available(), "accounts (create-user, login) not built yet")
class AdminAuditPageTest(harness.ServerTestCase):
    """GET /admin/audit and /admin/audit.csv: admins only; viewing is audited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import accounts_helpers as ah
        cls.ah = ah
        cls.users = {role: ah.make_user(cls.server, role) for role in ("patient", "staff", "reviewer", "admin")}

    def logged_in(self, role):
        return self.ah.class_session(self, self.users[role])

    def test_route_by_role(self):
        for path in ("/admin/audit", "/admin/audit.csv"):
            r = self.client().get(path)
            self.assertIn(r.status, (302, 303, 401), "anonymous %s answered %d" % (path, r.status))
            if r.status in (302, 303):
                self.assertTrue(r.header("Location").startswith("/login"))
            for role in ("patient", "staff", "reviewer"):
                r = self.logged_in(role).get(path)
                self.assertEqual(r.status, 403, "%s %s answered %d" % (role, path, r.status))
            r = self.logged_in("admin").get(path)
            self.assertEqual(r.status, 200, "admin %s answered %d" % (path, r.status))

    def test_page_filters_and_is_audited(self):
        admin = self.users["admin"]
        c = self.logged_in("admin")
        write_rows(self.server, "--actor", 4242, "--role", 4, "--action", "request.view", "--object-type", "request",
                   "--object-id", "Z9", "--patient", 77)
        r = c.get("/admin/audit?patient=77")
        self.assertEqual(r.status, 200)
        self.assertIn("Z9", r.text)
        self.assertIn("1 matching rows", r.text)
        views = self.sql("SELECT actor_id, actor_role, detail->>'patient' FROM audit_log"
                         " WHERE action = 'audit.view' ORDER BY id DESC LIMIT 1")
        self.assertEqual(views, [(admin["id"], "admin", "77")])

    def test_bad_filter_shows_error_next_to_field(self):
        c = self.logged_in("admin")
        before = self.sql("SELECT count(*) FROM audit_log WHERE action = 'audit.view'")[0][0]
        r = c.get("/admin/audit?since=2025-13-01&patient=abc")
        self.assertEqual(r.status, 422)
        self.assertIn('id="since-error"', r.text)
        self.assertIn('id="patient-error"', r.text)
        self.assertIn('value="abc"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'audit.view'")[0][0], before)

    def test_paging(self):
        write_rows(self.server, "--count", 60, "--action", "paging.test")
        c = self.logged_in("admin")
        r = c.get("/admin/audit?action=paging.test")
        self.assertEqual(r.text.count("<code>paging.test</code>"), 50)
        self.assertIn("page=2", r.text)
        r = c.get("/admin/audit?action=paging.test&page=2")
        self.assertEqual(r.text.count("<code>paging.test</code>"), 10)

    def test_csv_export(self):
        write_rows(self.server, "--action", "csv.test", "--object-type", "request", "--object-id", "@SUM(A1)")
        c = self.logged_in("admin")
        r = c.get("/admin/audit.csv?action=csv.test")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertIn("attachment", r.header("Content-Disposition"))
        rows = list(csv.DictReader(io.StringIO(r.text, newline="")))
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["object_id"], "'@SUM(A1)")
        last = self.sql("SELECT action, detail->>'rows' FROM audit_log ORDER BY id DESC LIMIT 1")
        self.assertEqual(last, [("audit.export", "1")])


if __name__ == "__main__":
    unittest.main()
