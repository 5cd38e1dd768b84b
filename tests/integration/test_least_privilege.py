"""Least privilege (issue 10 item 9): the portal's own database connection
belongs to an application role that owns nothing, so it cannot disable the
append-only triggers, delete or change audit rows, change a signed report or
a signed authorization. The integration harness runs every server under test
as that role (secondop_app), with the schema owned by secondop_owner; the
embedded cluster is set up the same way.
"""
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import psycopg2
import psycopg2.errors

import harness

SIGNED_HASH = "a" * 64


def seed_signed(server):
    """As the superuser: a patient, a reviewer, a request with a signed report and a signed authorization."""
    pid = server.sql("INSERT INTO users (role, name, email) VALUES ('patient', 'P', 'lp-p@example.org') RETURNING id")[0][0]
    rid = server.sql("INSERT INTO users (role, name, email) VALUES ('reviewer', 'R', 'lp-r@example.org') RETURNING id")[0][0]
    req = server.sql("INSERT INTO requests (reference, patient_id, status) VALUES ('LP-0001', %s, 'in_review') RETURNING id",
                     pid)[0][0]
    server.sql("INSERT INTO reports (request_id, reviewer_id, status, birads, density, recommendation, concordance,"
               " signed_at, signed_by, content_hash) VALUES (%s, %s, 'signed', '2', 'B', 'routine_screening',"
               " 'concordant', now(), %s, %s)", req, rid, rid, SIGNED_HASH)
    server.sql("INSERT INTO authorizations (request_id, signed_name, text_sha256, text_version) VALUES (%s, 'P P', %s, 'v1')",
               req, SIGNED_HASH)
    return req


class AppRoleTest(harness.ServerTestCase):
    def app(self):
        conn = psycopg2.connect(self.server.app_dsn)
        conn.autocommit = True
        return conn

    def refused(self, sql, *params):
        """Runs sql on the application role's connection and returns the error it raised (fails if none)."""
        conn = self.app()
        try:
            with conn.cursor() as cur:
                with self.assertRaises(psycopg2.Error, msg=sql) as ctx:
                    cur.execute(sql, params)
            return ctx.exception
        finally:
            conn.close()

    def test_server_connects_as_the_application_role(self):
        self.assertEqual(self.client().get("/readyz").status, 200)
        users = {r[0] for r in self.sql("SELECT usename FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                         "pg_backend_pid() AND backend_type = 'client backend'", self.dbname)}
        self.assertEqual(users, {"secondop_app"})
        self.assertEqual(self.sql("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles "
                                  "WHERE rolname = 'secondop_app'")[0][0], False)
        owned = self.sql("SELECT count(*) FROM pg_class WHERE relowner = 'secondop_app'::regrole")[0][0]
        self.assertEqual(owned, 0)
        self.assertEqual(self.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
                                  "tableowner <> 'secondop_owner'")[0][0], 0)

    def test_cannot_disable_triggers_or_alter_tables(self):
        for sql in ("ALTER TABLE audit_log DISABLE TRIGGER ALL",
                    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
                    "ALTER TABLE reports DISABLE TRIGGER reports_immutable",
                    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
                    "ALTER TABLE audit_log OWNER TO secondop_app",
                    "DROP TABLE audit_log",
                    "CREATE TABLE intruder (x int)",
                    "SET session_replication_role = replica"):
            e = self.refused(sql)
            self.assertIsInstance(e, psycopg2.errors.InsufficientPrivilege, sql)
        triggers = self.sql("SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal")
        self.assertEqual(sorted(t[0] for t in triggers), ["O", "O"])

    def test_audit_log_is_append_only_for_the_application(self):
        self.client().get("/login")  # nothing needed, but make sure rows may exist
        self.sql("INSERT INTO audit_log (at_us, actor_role, action, outcome, hash) VALUES (0, 'system', 'lp.test', 'ok',"
                 " decode(repeat('00', 32), 'hex'))")
        before = self.sql("SELECT count(*) FROM audit_log")[0][0]
        for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET action = 'x'", "TRUNCATE audit_log"):
            e = self.refused(sql)
            self.assertIsInstance(e, psycopg2.errors.InsufficientPrivilege, sql)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log")[0][0], before)
        # it may still read and append (what the portal does)
        conn = self.app()
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM audit_log")
            self.assertEqual(cur.fetchone()[0], before)
        conn.close()

    def test_signed_report_and_authorization_cannot_change(self):
        req = seed_signed(self.server)
        e = self.refused("UPDATE reports SET summary = 'changed' WHERE request_id = %s", req)
        self.assertIn("signed", str(e))
        e = self.refused("DELETE FROM reports WHERE request_id = %s", req)
        self.assertIsInstance(e, psycopg2.errors.InsufficientPrivilege)
        e = self.refused("UPDATE authorizations SET signed_name = 'Someone Else' WHERE request_id = %s", req)
        self.assertIsInstance(e, psycopg2.errors.InsufficientPrivilege)
        e = self.refused("DELETE FROM authorizations WHERE request_id = %s", req)
        self.assertIsInstance(e, psycopg2.errors.InsufficientPrivilege)
        self.assertEqual(self.sql("SELECT summary FROM reports WHERE request_id = %s", req)[0][0], "")
        self.assertEqual(self.sql("SELECT signed_name FROM authorizations WHERE request_id = %s", req)[0][0], "P P")
        # revoking (what the portal does) still works, once
        conn = self.app()
        with conn.cursor() as cur:
            cur.execute("UPDATE authorizations SET revoked_at = now() WHERE request_id = %s AND revoked_at IS NULL", (req,))
            self.assertEqual(cur.rowcount, 1)
        conn.close()
        e = self.refused("UPDATE authorizations SET revoked_at = now() WHERE request_id = %s", req)
        self.assertIn("revoked", str(e))

    def test_application_role_cannot_migrate(self):
        r = subprocess.run([harness.BIN, "migrate", "--database-url", self.server.app_dsn, "--share-dir", harness.ROOT],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)  # nothing pending: it only checks
        self.assertNotIn("applied migration", r.stderr)


class EmbeddedRolesTest(unittest.TestCase):
    def test_embedded_cluster_runs_the_portal_as_the_application_role(self):
        base = tempfile.mkdtemp(prefix="sop-lp-", dir="/tmp")
        os.chmod(base, 0o755)
        data = os.path.join(base, "d")
        env = dict(os.environ)
        env.pop("SECONDOP_DATABASE_URL", None)
        logpath = os.path.join(base, "log")
        log = open(logpath, "wb")
        p = subprocess.Popen([harness.BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                              "--share-dir", harness.ROOT], stdout=log, stderr=log, env=env)
        try:
            port = None
            deadline = time.time() + 90
            while time.time() < deadline and port is None:
                m = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", open(logpath).read())
                if m:
                    port = int(m.group(1))
                self.assertIsNone(p.poll(), open(logpath).read())
                time.sleep(0.1)
            self.assertIsNotNone(port)
            sock = os.path.join(data, "pg")
            server = type("S", (), {"port": port, "check_response": lambda self, r: None})()
            self.assertEqual(harness.Client(server).get("/readyz").status, 200)
            sup = psycopg2.connect(host=sock, dbname="secondop", user="secondop")
            sup.autocommit = True
            with sup.cursor() as cur:
                cur.execute("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'secondop' AND "
                            "pid <> pg_backend_pid() AND backend_type = 'client backend'")
                self.assertEqual({r[0] for r in cur.fetchall()}, {"secondop_app"})
                cur.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'secondop'")
                self.assertEqual(cur.fetchone()[0], "secondop_owner")
                cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'secondop_owner'")
                self.assertEqual(cur.fetchone()[0], 0)
            sup.close()
            app = psycopg2.connect(host=sock, dbname="secondop", user="secondop_app")
            app.autocommit = True
            with app.cursor() as cur:
                for sql in ("ALTER TABLE audit_log DISABLE TRIGGER ALL", "DELETE FROM audit_log",
                            "DELETE FROM reports", "UPDATE audit_log SET action = 'x'"):
                    with self.assertRaises(psycopg2.errors.InsufficientPrivilege, msg=sql):
                        cur.execute(sql)
            app.close()
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
            log.close()
            subprocess.run(["rm", "-rf", base])
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
