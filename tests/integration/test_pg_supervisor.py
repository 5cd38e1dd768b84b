"""The embedded PostgreSQL is supervised: when its postmaster is killed the
portal notices, says why in its log, starts it again with a back-off, answers
/readyz 503 ("restarting") meanwhile and 200 once connections work, keeps
/healthz at 200, and serves logged-in pages again without being restarted
itself. A SIGTERM stops the cluster cleanly and nothing restarts it then.

Every server here runs its own embedded cluster (no --database-url); the
postmaster is found through <data-dir>/pg/postmaster.pid and killed by that
pid only (other clusters run on this machine)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import psycopg2

import accounts_helpers
import harness
import records_helpers

TOKEN = "supervisor-test-metrics-token-0123456789abcdef"


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running(pid):
    """Alive and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_on(pgdir):
    """Command lines of running processes that name this cluster's directory."""
    out = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if pgdir in l and not l.lstrip().startswith("Z")]


class EmbeddedServer(harness.Server):
    """secondop serving with its own embedded PostgreSQL under a fresh data directory."""

    def __init__(self, env=None, wrapper=()):
        self.wrapper = list(wrapper)
        base = tempfile.mkdtemp(prefix="sop-sup-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        os.chmod(base, 0o755)
        self.base = base
        self.data_dir = os.path.join(base, "d")
        self.pgdir = os.path.join(self.data_dir, "pg")
        # the embedded cluster's superuser (trust, unix socket): for create-user and inspection
        self.dsn = "host=%s dbname=secondop user=secondop" % self.pgdir
        self.log_path = os.path.join(base, "server.log")
        token_file = os.path.join(base, "metrics-token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        self.extra_args = ["--metrics-token-file", token_file]
        self.env = dict(os.environ)
        self.env.pop("SECONDOP_DATABASE_URL", None)
        self.env.update(env or {})
        self.log = None
        self.proc = None
        self.port = None
        self.start()

    def start(self):
        self.log = open(self.log_path, "ab")
        args = self.wrapper + [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--share-dir", harness.ROOT, "--threads", "4"] + self.extra_args
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=self.env)

        def serving():
            assert self.proc.poll() is None, "secondop exited early:\n" + self.log_text()
            return re.search(r"serving on http://127\.0\.0\.1:(\d+)/", self.log_text())
        # a first start runs initdb and every migration: bounded generously for a loaded machine
        self.port = int(harness.wait_for(serving, timeout=120, what="secondop to serve").group(1))

    def postmaster_pid(self):
        with open(os.path.join(self.pgdir, "postmaster.pid")) as f:
            return int(f.readline())

    def metric(self, name):
        r = self.client().get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        assert r.status == 200, r
        m = re.search(r"^%s (\d+)$" % re.escape(name), r.text, re.M)
        return int(m.group(1)) if m else None

    def destroy(self):
        self.stop()
        subprocess.run(["rm", "-rf", self.base])


class SupervisorTestCase(unittest.TestCase):
    server_env = None

    def setUp(self):
        self.server = EmbeddedServer(self.server_env)

    def tearDown(self):
        self.server.stop()
        self.server.assert_clean_exit()
        self.assertEqual(processes_on(self.server.pgdir), [], "a PostgreSQL outlived secondop")
        subprocess.run(["rm", "-rf", self.server.base])

    def kill_postmaster(self):
        """kill -9 of the postmaster named by postmaster.pid; returns its pid."""
        pid = self.server.postmaster_pid()
        self.assertTrue(pid_alive(pid))
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_back(self, old_pid, restarts):
        """Polls until the supervisor counts `restarts` restarts, a new postmaster
        runs and /readyz is 200; /healthz must answer 200 all along. Returns the
        /readyz bodies of the 503 answers seen meanwhile."""
        c = self.server.client()
        seen = []

        def back():
            self.assertEqual(c.get("/healthz").status, 200)
            r = c.get("/readyz")
            if r.status == 503:
                seen.append(r.json())
                return False
            self.assertEqual(r.status, 200, r)
            return self.server.metric("secondop_embedded_postgres_restarts_total") == restarts
        harness.wait_for(back, timeout=90, what="the embedded PostgreSQL to come back")
        if old_pid is not None:  # None: in another PID namespace, where postmaster.pid's pids mean nothing here
            new_pid = self.server.postmaster_pid()
            self.assertNotEqual(new_pid, old_pid)
            self.assertTrue(pid_alive(new_pid))
        return seen


class KilledPostmasterTest(SupervisorTestCase):
    # a long first back-off keeps the "restarting" state long enough to be seen for sure
    server_env = {"SECONDOP_TEST_PG_BACKOFF_MS": "2500"}

    def test_killed_postmaster_is_restarted_and_logged_in_pages_work_again(self):
        srv = self.server
        self.assertEqual(srv.metric("secondop_embedded_postgres_restarts_total"), 0)
        user = accounts_helpers.make_user(srv, "patient")
        c = srv.client()
        accounts_helpers.login(c, user)
        # something that must not reach the portal's log: an ERROR with its STATEMENT in PostgreSQL's log
        conn = psycopg2.connect(srv.dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            with self.assertRaises(psycopg2.Error):
                cur.execute("SELECT 'hunter2-not-for-the-log' || (1/0)")
        conn.close()
        log_before = len(srv.log_text())

        old = self.kill_postmaster()
        # the portal says it is restarting (a reason, no details) while /healthz stays 200
        def restarting():
            self.assertEqual(c.get("/healthz").status, 200)
            r = c.get("/readyz")
            if r.status == 503 and r.json().get("database") == "restarting":
                return r
            return None
        r = harness.wait_for(restarting, timeout=30, what="/readyz to say restarting")
        self.assertEqual(r.header("Retry-After"), "2")
        self.assertIn("restarted", r.json()["reason"])
        self.assertNotIn(str(old), r.text)

        self.wait_back(old, 1)
        # every HTTP thread's connection died with the old server: each is replaced before use, so no request
        # after the restart fails (4 threads; a dozen requests reach all of them)
        for _ in range(12):
            self.assertEqual(c.get("/account").status, 200)
        req_id = records_helpers.new_request(c)  # a change committed through the new server
        self.assertEqual(srv.sql("SELECT patient_id FROM requests WHERE id = %s", req_id)[0][0], user["id"])

        log = srv.wait_log("is back (pid %d, restart 1)" % srv.postmaster_pid(), from_byte=log_before)
        self.assertIn("the embedded PostgreSQL (pid %d) stopped unexpectedly: killed by signal 9 (SIGKILL); "
                      "restarting it in 2.5 s" % old, log)
        self.assertIn("PostgreSQL's log before that:", log)
        self.assertNotIn("hunter2", srv.log_text())
        self.assertNotIn("STATEMENT", srv.log_text())
        self.assertIsNone(srv.proc.poll())  # the same secondop process throughout
        self.assertEqual(srv.metric("secondop_embedded_postgres_restarts_total"), 1)


class RepeatedKillsTest(SupervisorTestCase):
    def test_killed_three_times_comes_back_each_time_with_growing_back_off(self):
        srv = self.server
        user = accounts_helpers.make_user(srv, "patient")
        c = srv.client()
        accounts_helpers.login(c, user)
        for n in (1, 2, 3):
            old = self.kill_postmaster()
            self.wait_back(old, n)
            self.assertEqual(c.get("/account").status, 200)
        log = srv.wait_log("restart 3)")
        delays = [float(d) for d in re.findall(r"(?:restarting it|trying again) in ([0-9.]+) s", log)]
        self.assertGreaterEqual(len(delays), 3, log)
        self.assertEqual(delays[0], 0.5)
        # back-off doubles with every end or failed start (the server never stayed up a minute here)
        for a, b in zip(delays, delays[1:]):
            self.assertEqual(b, min(a * 2, 30.0), delays)
        self.assertEqual(log.count("stopped unexpectedly: killed by signal 9 (SIGKILL)"), 3)
        self.assertEqual(srv.metric("secondop_embedded_postgres_restarts_total"), 3)
        self.assertEqual(srv.metric("secondop_embedded_postgres_failed_starts_total"), len(delays) - 3)


class ShutdownTest(SupervisorTestCase):
    # while the postmaster is down, the restart is 30 s away: a SIGTERM always lands in the back-off
    server_env = {"SECONDOP_TEST_PG_BACKOFF_MS": "30000"}

    def test_sigterm_stops_the_cluster_cleanly(self):
        srv = self.server
        pid = srv.postmaster_pid()
        self.assertTrue(processes_on(srv.pgdir))
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        self.assertFalse(pid_alive(pid))
        self.assertFalse(os.path.exists(os.path.join(srv.pgdir, "postmaster.pid")))
        self.assertEqual(processes_on(srv.pgdir), [])
        pglog = open(os.path.join(srv.data_dir, "postgresql.log")).read()
        self.assertIn("database system is shut down", pglog.rsplit("received fast shutdown request", 1)[-1])
        self.assertNotIn("unexpectedly", srv.log_text())

    def test_sigterm_while_restarting_starts_nothing(self):
        srv = self.server
        self.kill_postmaster()
        srv.wait_log("stopped unexpectedly")
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        log = srv.log_text()
        self.assertNotIn("starting the embedded PostgreSQL again", log)
        self.assertIn("secondop: stopped", log)
        self.assertEqual(processes_on(srv.pgdir), [])


class StartedByHandTest(SupervisorTestCase):
    """While it is down, someone starts the cluster by hand: the supervisor watches that
    server instead of starting a second postmaster on the directory."""

    def setUp(self):
        self.hold = tempfile.mktemp(prefix="sop-sup-hold-")
        open(self.hold, "w").close()
        self.server_env = {"SECONDOP_TEST_PG_HOLD_FILE": self.hold}
        super().setUp()

    def tearDown(self):
        if os.path.exists(self.hold):
            os.unlink(self.hold)
        super().tearDown()

    def postmasters(self):
        """Command lines of the postmasters on this cluster's directory. A backend that a
        postmaster has just forked shows its parent's command line until it sets its own
        title, so a process whose parent is one of them is not a second postmaster."""
        out = subprocess.run(["ps", "-eo", "pid=,ppid=,stat=,args="], capture_output=True, text=True).stdout
        rows = [l.split(None, 3) for l in out.splitlines()]
        rows = [r for r in rows if len(r) == 4 and not r[2].startswith("Z")
                and "postgres -D " + self.server.pgdir in r[3]]
        pids = {r[0] for r in rows}
        return [r[3] for r in rows if r[1] not in pids]

    def test_a_server_started_by_hand_is_watched_not_doubled(self):
        srv = self.server
        kids = [pid for pid, _, _ in children(srv.postmaster_pid())]
        self.kill_postmaster()
        srv.wait_log("stopped unexpectedly")
        # as an operator would: the killed server's processes have ended (while one is still
        # attached to its shared memory, PostgreSQL refuses to start on the directory)
        harness.wait_for(lambda: not any(running(p) for p in kids), timeout=60,
                         what="the killed server's processes to end")
        # the supervisor holds its restart (test hook) while an operator starts the cluster
        opts = "-k %s -c listen_addresses='' -c unix_socket_permissions=0700" % srv.pgdir
        cmd = [harness.PG_BIN + "/pg_ctl", "-D", srv.pgdir, "-l", os.path.join(srv.data_dir, "postgresql.log"),
               "-o", opts, "-w", "start"]
        r = subprocess.run((["runuser", "-u", "postgres", "--"] if harness.IS_ROOT else []) + cmd,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        by_hand = srv.postmaster_pid()
        os.unlink(self.hold)
        srv.wait_log("not started by this secondop (pid %d)" % by_hand)
        self.wait_back(None, 1)
        self.assertEqual(srv.postmaster_pid(), by_hand)
        self.assertEqual(len(self.postmasters()), 1, self.postmasters())
        # that server ends too: now the supervisor starts its own
        os.kill(by_hand, signal.SIGKILL)
        srv.wait_log("(pid %d) stopped unexpectedly: ended (it was not started by this secondop" % by_hand)
        self.wait_back(by_hand, 2)
        self.assertEqual(len(self.postmasters()), 1, self.postmasters())
        self.assertEqual(self.server.client().get("/readyz").status, 200)


def children(pid):
    """(pid, state, comm) of the children of pid."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,stat=,comm="], capture_output=True, text=True).stdout
    rows = [l.split(None, 3) for l in out.splitlines()]
    return [(int(r[0]), r[2], r[3]) for r in rows if len(r) == 4 and int(r[1]) == pid]


@unittest.skipUnless(harness.IS_ROOT and shutil.which("unshare"), "a PID namespace needs root and unshare")
class ProcessOneTest(SupervisorTestCase):
    """In a container secondop is process 1: the killed postmaster's backends become its
    children when they end, and it must reap them."""

    def setUp(self):
        self.server = EmbeddedServer(wrapper=["unshare", "--pid", "--fork", "--mount-proc"])
        self.sop = harness.wait_for(lambda: [p for p, _, c in children(self.server.proc.pid) if c == "secondop"],
                                    timeout=10, what="secondop under unshare")[0]

    def tearDown(self):
        if pid_alive(self.sop):
            os.kill(self.sop, signal.SIGTERM)
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)  # unshare exits with secondop's status
        self.server.assert_clean_exit()
        self.assertEqual(processes_on(self.server.pgdir), [])
        subprocess.run(["rm", "-rf", self.server.base])

    def test_backends_of_a_killed_postmaster_are_reaped(self):
        # postmaster.pid holds the namespace's pid: find ours among secondop's children by its data directory
        pm = [p for p, _, c in children(self.sop) if c == "postgres"]
        self.assertEqual(len(pm), 1, children(self.sop))
        os.kill(pm[0], signal.SIGKILL)
        self.wait_back(None, 1)
        harness.wait_for(lambda: not [p for p, st, c in children(self.sop) if st.startswith("Z")],
                         timeout=30, what="no zombie children of secondop")
        self.assertEqual(len([p for p, _, c in children(self.sop) if c == "postgres"]), 1)


class ExternalDatabaseTest(harness.ServerTestCase):
    """With --database-url nothing is supervised: no supervisor figures in /metrics."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sop-sup-ext-")
        token_file = os.path.join(cls.tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        cls.server_args = ("--metrics-token-file", token_file)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_external_database_is_not_supervised(self):
        r = self.client().get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(r.status, 200)
        self.assertIn("secondop_database_up 1", r.text)
        self.assertNotIn("secondop_embedded_postgres", r.text)
        self.assertEqual(self.client().get("/readyz").json()["database"], "ok")

if __name__ == "__main__":
    unittest.main()
