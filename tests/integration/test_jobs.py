"""Intake as background jobs (issue 10 items 3-4, issue 11 item 8): the final
PATCH answers once the bytes are durable and the upload shows "being checked"
until a worker has taken it in; every late path into a request that no longer
takes records is refused and adds nothing; a ZIP over the limits is refused
from its central directory, while the site keeps answering; jobs survive a
killed server; failures end with a reason the patient reads; per-patient
quotas say which limit refused."""
import io
import os
import re
import socket
import tempfile
import threading
import time
import zipfile

import harness
from harness import wait_for
import records_helpers as rh

PDF = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"


def text(html):
    return re.sub(r"\s+", " ", html)


def bomb_zip(entries=100000):
    """A ZIP of `entries` one-byte files (about 10 MB), built in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(entries):
            z.writestr("f%06d.dcm" % i, b"x")
    return buf.getvalue()


def ratio_zip(size=300 << 20):
    """One entry of `size` zero bytes, deflated to about a thousandth."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.dcm", "w") as f:
            block = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                f.write(block)
    return buf.getvalue()


class HeldQueue:
    """While the hold file exists the job workers claim nothing (test builds):
    an upload stays 'checking' for as long as a test needs."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        open(self.path, "w").close()
        return self

    def __exit__(self, *exc):
        if os.path.exists(self.path):
            os.unlink(self.path)


HOLD = os.path.join(tempfile.gettempdir(), "sop-jobs-hold-%d" % os.getpid())


class JobsTest(harness.ServerTestCase):
    # a one-second lease (renewed every third of it): intakes outlast it
    server_env = {"SECONDOP_TEST_JOBS_HOLD_FILE": HOLD, "SECONDOP_TEST_JOB_LEASE_SECONDS": "1"}

    def patient(self, name="Jane Doe"):
        return rh.new_patient_with_request(self.server, name=name)

    def docs(self, req):
        return self.sql("SELECT count(*) FROM documents WHERE request_id = %s", req)[0][0]

    def test_final_patch_answers_then_being_checked_then_result(self):
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            url = rh.tus_create(c, req, len(PDF), "report.pdf", "radiology_report")
            r = rh.tus_patch(c, url, 0, PDF)
            self.assertEqual(r.status, 204)  # answered while intake has not run
            st = rh.upload_status(c, url)
            self.assertEqual(st["state"], "checking")
            self.assertEqual(st["message"], "received, being checked")
            self.assertEqual(self.docs(req), 0)
            self.assertEqual(self.sql("SELECT kind, state FROM jobs WHERE payload = %s", url.rsplit("/", 1)[1]),
                             [("intake", "queued")])
            page = text(rh.records_page(c, req))
            self.assertIn("report.pdf</span>: received, being checked", page)
            self.assertIn("1 file was received and being checked", page)
            self.assertNotIn("No images yet. Please upload", page)  # no false alarm while checking
        st = rh.wait_checked(c, url)
        self.assertEqual((st["state"], st["outcome"], st["accepted"]), ("complete", "accepted", 1))
        self.assertIn("report.pdf: 1 file taken in", st["message"])
        self.assertEqual(self.docs(req), 1)
        self.assertEqual(self.sql("SELECT count(*) FROM jobs WHERE payload = %s", url.rsplit("/", 1)[1])[0][0], 0)
        self.assertNotIn("being checked", rh.records_page(c, req))

    def test_status_is_the_owners_only(self):
        _, c, req = self.patient()
        url, _ = rh.upload_bytes(c, req, PDF, "mine.pdf", "other")
        _, other, _ = self.patient("Mary Major")
        self.assertEqual(other.get(url + "/status").status, 404)
        self.assertEqual(self.server.client().get(url + "/status").status, 401)

    # ---- B: every late path is refused and adds nothing ----

    def test_patch_after_submission_is_423_and_changes_nothing(self):
        _, c, req = self.patient()
        url = rh.tus_create(c, req, len(PDF), "late.pdf", "other")
        self.assertEqual(rh.tus_patch(c, url, 0, PDF[:1000]).status, 204)
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", req)
        r = rh.tus_patch(c, url, 1000, PDF[1000:2000])
        self.assertEqual(r.status, 423)
        self.assertIn("records_closed", r.text)
        self.assertIn("no longer accepts records", r.text)
        self.assertEqual(self.sql("SELECT \"offset\", state FROM uploads WHERE id = %s", url.rsplit("/", 1)[1]),
                         [(1000, "receiving")])
        # the final PATCH too (report released: still closed)
        self.sql("UPDATE requests SET status = 'report_ready' WHERE id = %s", req)
        self.assertEqual(rh.tus_patch(c, url, 1000, PDF[1000:]).status, 423)
        self.assertEqual(self.docs(req), 0)
        self.assertTrue(self.sql("SELECT count(*) FROM audit_log WHERE action = 'upload.append' AND outcome = 'denied' "
                                 "AND object_id = %s", url.rsplit("/", 1)[1])[0][0] >= 2)

    def test_final_patch_racing_submission_is_refused_at_finalisation(self):
        """The PATCH started while a draft (headers accepted), the request was
        submitted while its body was on the way: the finalisation transaction
        sees it and nothing is added."""
        _, c, req = self.patient()
        url = rh.tus_create(c, req, len(PDF), "race.pdf", "other")
        uid = url.rsplit("/", 1)[1]
        head = ("PATCH %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                "Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\nX-CSRF-Token: %s\r\n"
                "Cookie: %s\r\nConnection: close\r\n\r\n" % (url, self.server.port, len(PDF), c.csrf,
                                                             "; ".join("%s=%s" % kv for kv in c.cookies.items())))
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        try:
            s.sendall(head.encode() + PDF[:100])
            # the server has the headers and begun the PATCH once it holds the upload
            wait_for(lambda: rh.tus_patch(c, url, 0, b"").status == 409, what="PATCH in progress")
            self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", req)
            s.sendall(PDF[100:])
            resp = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                resp += chunk
        finally:
            s.close()
        self.assertTrue(resp.startswith(b"HTTP/1.1 423"), resp[:200])
        self.assertIn(b"records_closed", resp)
        st = rh.upload_status(c, url)
        self.assertEqual(st["state"], "failed")
        self.assertIn("no longer accepted records", st["message"])
        self.assertEqual(self.docs(req), 0)
        self.assertEqual(self.sql("SELECT count(*) FROM jobs WHERE payload = %s", uid)[0][0], 0)

    def test_intake_job_after_the_request_closed_adds_nothing(self):
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            url = rh.tus_create(c, req, len(PDF), "queued.pdf", "other")
            self.assertEqual(rh.tus_patch(c, url, 0, PDF).status, 204)
            self.assertEqual(rh.upload_status(c, url)["state"], "checking")
            self.sql("UPDATE requests SET status = 'closed' WHERE id = %s", req)
        st = rh.wait_checked(c, url)
        self.assertEqual((st["state"], st["outcome"]), ("failed", "failed"))
        self.assertIn("stopped accepting records", st["message"])
        self.assertEqual(self.docs(req), 0)
        self.assertEqual(self.sql("SELECT count(*) FROM intake_receipts WHERE request_id = %s", req)[0][0], 0)
        self.assertIn("queued.pdf</span>: not kept: this request stopped accepting records", rh.records_page(c, req))

    def test_sending_the_request_waits_for_files_being_checked(self):
        """Submitting (or sending the asked-for information) while a file is
        being checked would make its intake refuse it: 409 until it is checked."""
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            url = rh.tus_create(c, req, len(PDF), "last-minute.pdf", "other")
            self.assertEqual(rh.tus_patch(c, url, 0, PDF).status, 204)
            r = c.post("/requests/%d/submit" % req, {})
            self.assertEqual(r.status, 409)
            self.assertIn("still being checked", r.text)
            self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", req)[0][0], "draft")
            self.sql("UPDATE requests SET status = 'needs_info' WHERE id = %s", req)
            r = c.post("/requests/%d/info-sent" % req, {})
            self.assertEqual(r.status, 409)
            self.assertIn("still being checked", r.text)
            self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", req)[0][0], "needs_info")
        self.assertEqual(rh.wait_checked(c, url)["outcome"], "accepted")
        self.assertEqual(c.post("/requests/%d/info-sent" % req, {}).status, 303)
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", req)[0][0], "triage")

    # ---- A: archives refused before extraction; the site keeps answering ----

    def test_abusive_zip_refused_from_its_central_directory_while_site_answers(self):
        user, c, req = self.patient()
        bomb = bomb_zip()
        probe = self.server.client()
        answers = []
        stop = threading.Event()

        def keep_asking():
            while not stop.is_set():
                for path in ("/healthz", "/login"):
                    answers.append((path, probe.get(path).status))
                answers.append(("records", c.get("/requests/%d/records" % req).status))

        t = threading.Thread(target=keep_asking)
        t.start()
        try:
            url, r = rh.upload_bytes(c, req, bomb, "cd-export.zip", chunk=4 << 20)
        finally:
            stop.set()
            t.join()
        self.assertEqual(r.status, 204)
        st = rh.upload_status(c, url)
        self.assertEqual((st["state"], st["outcome"]), ("complete", "refused"))
        self.assertIn("holds 100000 files", st["message"])
        self.assertIn("cd-export.zip could not be unpacked", st["message"])
        self.assertTrue(answers)
        self.assertEqual({s for _, s in answers}, {200})
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE request_id = %s AND NOT skipped", req)[0][0], 0)
        self.assertIn("archive refused before unpacking", self.server.log_text())
        # nothing of it stays in the store
        on_disk, ids = rh.wait_store_clean(self.server)
        self.assertEqual(on_disk - ids, set())

    def test_ratio_bomb_refused_before_extraction(self):
        _, c, req = self.patient()
        url, _ = rh.upload_bytes(c, req, ratio_zip(), "zeros.zip", chunk=4 << 20)
        st = rh.upload_status(c, url)
        self.assertEqual(st["outcome"], "refused")
        self.assertIn("more than 200 times its own size", st["message"])

    def test_small_zip_still_unpacked(self):
        _, c, req = self.patient()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a/report.pdf", PDF)
            z.writestr("a/other.pdf", PDF + b"2")
        url, _ = rh.upload_bytes(c, req, buf.getvalue(), "two.zip")
        st = rh.upload_status(c, url)
        self.assertEqual((st["outcome"], st["accepted"]), ("accepted", 2))

    # ---- jobs survive a killed server ----

    def test_queued_job_survives_kill_and_lapsed_lease_is_claimed_again(self):
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            url = rh.tus_create(c, req, len(PDF), "survivor.pdf", "other")
            self.assertEqual(rh.tus_patch(c, url, 0, PDF).status, 204)
            uid = url.rsplit("/", 1)[1]
            # a worker of a dead process held it: running, lease lapsed
            self.sql("UPDATE jobs SET state = 'running', attempts = 1, lease_owner = 'dead', "
                     "lease_expires = now() - interval '1 second' WHERE payload = %s", uid)
            rh.restart(self.server, 9)
        st = rh.wait_checked(c, url)
        self.assertEqual((st["state"], st["outcome"]), ("complete", "accepted"))
        self.assertEqual(self.docs(req), 1)
        self.assertEqual(self.sql("SELECT count(*) FROM jobs WHERE payload = %s", uid)[0][0], 0)

    def test_long_intake_keeps_its_lease_and_runs_once(self):
        """An intake longer than the lease (1 s here) is renewed by the
        heartbeat: no other worker claims it, and it is taken in once."""
        _, c, req = self.patient()
        buf = io.BytesIO()
        n = 1500
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for i in range(n):
                z.writestr("scans/page%04d.pdf" % i, PDF + b"%d" % i)
        t0 = time.time()
        url, _ = rh.upload_bytes(c, req, buf.getvalue(), "scans.zip", "other")
        took = time.time() - t0
        uid = url.rsplit("/", 1)[1]
        st = rh.upload_status(c, url)
        self.assertEqual((st["outcome"], st["accepted"]), ("accepted", n))
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE upload_id = %s", uid)[0][0], n)
        self.assertEqual(self.sql("SELECT count(*) FROM intake_receipts WHERE upload_id = %s", uid)[0][0], 1)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'document.upload' AND object_id = %s",
                                  uid)[0][0], 1)
        print("\nlong intake: %d entries checked %.1f s after the upload began (lease 1 s)" % (n, took))

    def test_failing_intake_ends_failed_with_a_reason(self):
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            url = rh.tus_create(c, req, len(PDF), "lost.pdf", "other")
            self.assertEqual(rh.tus_patch(c, url, 0, PDF).status, 204)
            uid = url.rsplit("/", 1)[1]
            fid = self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE id = %s", uid)[0][0]
            for p in rh.store_files(self.server):
                if os.path.basename(p) == fid:
                    os.unlink(p)  # the finished file vanished: every attempt fails
            self.sql("UPDATE jobs SET max_attempts = 2 WHERE payload = %s", uid)
        st = rh.wait_checked(c, url)
        self.assertEqual((st["state"], st["outcome"]), ("failed", "failed"))
        self.assertIn("we could not check this file", st["message"])
        self.assertEqual(self.sql("SELECT state, attempts FROM jobs WHERE payload = %s", uid), [("failed", 2)])
        page = text(rh.records_page(c, req))
        self.assertIn("lost.pdf</span>: not kept: we could not check this file", page)
        self.assertIn("1 file not kept", page)


    def test_staff_see_files_not_kept_and_being_checked(self):
        from accounts_helpers import login, make_user
        _, c, req = self.patient()
        with HeldQueue(HOLD):
            lost = rh.tus_create(c, req, len(PDF), "scan-lost.pdf", "other")
            self.assertEqual(rh.tus_patch(c, lost, 0, PDF).status, 204)
            waiting = rh.tus_create(c, req, len(PDF), "scan-waiting.pdf", "other")
            self.assertEqual(rh.tus_patch(c, waiting, 0, PDF).status, 204)
            self.sql("UPDATE uploads SET state = 'failed', failure = 'we could not check this file' WHERE id = %s",
                     lost.rsplit("/", 1)[1])
            self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", req)
            staff = self.server.client()
            login(staff, make_user(self.server, "staff"))
            page = text(staff.get("/staff/requests/%d" % req).text)
            self.assertIn("Files not kept", page)
            self.assertIn("scan-lost.pdf — not kept: we could not check this file", page)
            self.assertIn("Still being checked: scan-waiting.pdf.", page)
            self.assertIn("1 file not kept", page)


class QuotaTest(harness.ServerTestCase):
    server_args = ["--quota-uploads", "2", "--quota-daily-bytes", "200K", "--quota-archives", "1",
                   "--max-file-size", "150K", "--max-request-size", "160K"]
    server_env = {"SECONDOP_TEST_JOBS_HOLD_FILE": HOLD + "-q"}

    def test_each_limit_says_which(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        r = rh.tus_create(c, req, 151 << 10, "big.pdf", "other", expect=413)
        self.assertIn("larger than the 150 KiB we accept for one file", r.text)
        rh.tus_create(c, req, 10, "a.pdf", "other")
        rh.tus_create(c, req, 10, "b.pdf", "other")
        r = rh.tus_create(c, req, 10, "c.pdf", "other", expect=429)
        self.assertIn("2 uploads that are not finished (at most 2 at a time)", r.text)
        _, c2, req2 = rh.new_patient_with_request(self.server, name="Mary Major")
        rh.upload_bytes(c2, req2, b"%PDF-1.4\n" + b"y" * (100 << 10), "one.pdf", "other")
        r = rh.tus_create(c2, req2, 60 << 10, "two.pdf", "other", expect=413)
        self.assertIn("together they may not exceed 160 KiB", r.text)
        _, c3, req3 = rh.new_patient_with_request(self.server, name="Ann Other")
        # the daily quota counts every request of the patient
        rh.upload_bytes(c3, req3, b"%PDF-1.4\n" + b"z" * (140 << 10), "day.pdf", "other")
        req3b = rh.new_request(c3)
        r = rh.tus_create(c3, req3b, 70 << 10, "more.pdf", "other", expect=429)
        self.assertIn("up to 200 KiB in 24 hours", r.text)

    def test_archives_being_checked(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Zoe Zip")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("r.pdf", PDF)
        data = buf.getvalue()
        with HeldQueue(HOLD + "-q"):
            first = rh.tus_create(c, req, len(data), "first.zip", "images")
            self.assertEqual(rh.tus_patch(c, first, 0, data).status, 204)
            self.assertEqual(rh.upload_status(c, first)["state"], "checking")
            r = rh.tus_create(c, req, len(data), "second.zip", "images", expect=429)
            self.assertIn("still being checked (at most 1 at a time)", r.text)
            # named otherwise: found by its content when it is complete
            sly = rh.tus_create(c, req, len(data), "second.bin", "images")
            r = rh.tus_patch(c, sly, 0, data)
            self.assertEqual(r.status, 429)
            self.assertIn("still being checked", r.text)
            self.assertEqual(rh.upload_status(c, sly)["state"], "failed")
        self.assertEqual(rh.wait_checked(c, first)["outcome"], "accepted")
        url, r = rh.upload_bytes(c, req, data, "third.zip")
        self.assertEqual(r.status, 204)
