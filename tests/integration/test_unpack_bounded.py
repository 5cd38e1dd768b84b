"""Archives are unpacked in a child process bounded in time (server/core/unpacker.c).

tests/data/archives/iso-in-zip-stalls-libarchive.zip is a real input (823 bytes, found by
fuzzing) on which Debian 12's libarchive 3.6.2 does not return for minutes: the start of a ZIP
(no table of contents) whose one entry, cd.iso, is an ISO with directory dates that send
libarchive into mktime. The ISO alone stalls it too. Before, intake read such a file in the
server and held a background worker for as long; now the child is stopped after the stall limit,
the ISO is refused as damaged (alone: the upload; inside a ZIP: that entry, the rest is kept), and
the worker takes the next upload. A child killed part way (as by the
kernel's out-of-memory killer) is the same: the archive is refused as damaged, the server lives.
The child runs with only its socket and stderr open, no new privileges and no secrets in its
environment."""
import io
import os
import time
import zipfile
import zlib

import harness
from harness import wait_for
import records_helpers as rh

STALL = os.path.join(harness.ROOT, "tests", "data", "archives", "iso-in-zip-stalls-libarchive.zip")


def children(pid):
    """Process ids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the parent follows ") S "
        if int(st.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(d))
    return out


def unpack_workers(pid):
    res = []
    for c in children(pid):
        try:
            with open("/proc/%d/cmdline" % c, "rb") as f:
                if f.read().split(b"\0")[:2] == [b"secondop", b"unpack-worker"]:
                    res.append(c)
        except OSError:
            pass
    return res


def descriptors(pid):
    """The child's open descriptors and what each one is."""
    out = {}
    for x in os.listdir("/proc/%d/fd" % pid):
        try:
            out[int(x)] = os.readlink("/proc/%d/fd/%s" % (pid, x))
        except OSError:
            pass  # closed meanwhile
    return out


def own_descriptors(pid, settle=1.0):
    """The child's descriptors once only 0, 1 and 2 are open, or, if that is not so within
    settle seconds, what it holds then. A library inside the child may open and close a file of
    its own for a moment (the C library's time zone or character set files); a descriptor
    inherited from the server never closes, and fails the check."""
    deadline = time.time() + settle
    while True:
        fds = descriptors(pid)
        if sorted(fds) == [0, 1, 2] or time.time() > deadline:
            return fds
        time.sleep(0.005)


def stalling_iso():
    """The ISO inside the fixture (its deflated data, cut short, inflated as far as it goes)."""
    with open(STALL, "rb") as f:
        d = f.read()
    assert d[:4] == b"PK\3\4" and d[26:28] == b"\6\0" and d[30:36] == b"cd.iso"
    return zlib.decompressobj(-15).decompress(d[36:])


def pdf(i):
    return b"%%PDF-1.4\n%% report %d\n" % i + b"x" * 4000 + b"\n%%EOF\n"


def small_zip(n=3):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            z.writestr("reports/r%d.pdf" % i, pdf(i))
    return buf.getvalue()


def sanitized_build():
    with open(os.environ["SECONDOP_BIN"], "rb") as f:
        return b"__asan_init" in f.read()


# What /proc/PID/limits says of a confined child: 600 s of CPU, no file written, no core,
# 1 GiB of address space (none in builds with AddressSanitizer, whose shadow alone is larger).
CHILD_LIMITS = {"Max cpu time": "600", "Max file size": "0", "Max core file size": "0",
                "Max address space": "unlimited" if sanitized_build() else str(1024 << 20)}


def child_limits(pid):
    limits = {}
    with open("/proc/%d/limits" % pid) as f:
        for line in f.readlines()[1:]:
            name, soft = line[:26].strip(), line[26:].split()[0]
            if name in CHILD_LIMITS:
                limits[name] = soft
    return limits


class StallTest(harness.ServerTestCase):
    server_env = {"SECONDOP_UNPACK_STALL_SECONDS": "3"}
    server_args = ["--workers", "1"]

    def receipt(self, req):
        return self.sql("SELECT message FROM intake_receipts WHERE request_id = %s ORDER BY id DESC LIMIT 1", req)[0][0]

    def check_children(self, pid):
        """While the one child stalls: it holds nothing of the server's and runs without
        privileges. (Only with one archive: a child that ends by itself is, for a moment, in
        the sanitizers' exit checks, which open files of their own.)"""
        workers = wait_for(lambda: unpack_workers(pid), timeout=30, what="the unpacking child")
        checked = 0
        for w in workers:
            def settled():  # the child sets itself up first thing: closes, then drops privileges
                try:
                    st = open("/proc/%d/status" % w).read()
                except OSError:
                    return "gone"
                return "NoNewPrivs:\t1" in st and st
            status = wait_for(settled, timeout=20, what="the child to set itself up")
            try:
                fds = own_descriptors(w)
                env = open("/proc/%d/environ" % w, "rb").read()
            except OSError:
                continue  # it ended meanwhile; the stalling one is checked
            if status == "gone":
                continue
            checked += 1
            self.assertEqual(sorted(fds), [0, 1, 2], "the unpacking child holds other descriptors: %r" % fds)
            self.assertIn("Name:\tsecondop-unpack", status)
            self.assertNotIn(b"SECONDOP_", env)
            self.assertNotIn(b"PG", env)
            self.assertEqual(child_limits(w), CHILD_LIMITS)
        self.assertGreater(checked, 0)

    def send(self, c, req, data, name):
        url = rh.tus_create(c, req, len(data), name, "images", None)
        r = rh.tus_patch(c, url, 0, data)
        self.assertEqual(r.status, 204, r.text)
        return url

    def test_stalling_iso_is_stopped_and_the_worker_goes_on(self):
        _, c, req = rh.new_patient_with_request(self.server)
        pid = self.server.proc.pid
        log_from = os.path.getsize(self.server.log_path)
        url = self.send(c, req, stalling_iso(), "cd.iso")
        self.check_children(pid)
        st = rh.wait_checked(c, url, timeout=90)
        self.assertEqual(st["state"], "complete", st)
        self.server.wait_log("made no progress for 3 s; it was stopped", from_byte=log_from)
        self.assertIn("cd.iso could not be unpacked: reading it stopped making progress, which an intact ZIP or "
                      "ISO file never does: it is damaged", self.receipt(req))
        self.assertEqual([d[1] for d in rh.documents(self.server, req) if not d[3]], [])
        # no child is left behind, and the one worker takes the next upload
        wait_for(lambda: not unpack_workers(pid), timeout=20, what="the children to be gone")
        rh.upload_bytes(c, req, small_zip(), "next.zip")
        self.assertIn("next.zip: 3 files taken in", self.receipt(req))

    def test_stalling_iso_inside_a_zip_is_refused_and_the_rest_kept(self):
        _, c, req = rh.new_patient_with_request(self.server)
        pid = self.server.proc.pid
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("export/report.pdf", pdf(1))
            z.writestr("export/cd.iso", stalling_iso())
            z.writestr("export/z-last.pdf", pdf(2))
        url = self.send(c, req, buf.getvalue(), "export.zip")
        st = rh.wait_checked(c, url, timeout=90)
        self.assertEqual(st["state"], "complete", st)
        docs = rh.documents(self.server, req)
        self.assertEqual(sorted(d[1] for d in docs if not d[3]), ["export/report.pdf", "export/z-last.pdf"])
        refused = [d for d in docs if d[4]]
        self.assertEqual([d[1] for d in refused], ["export/cd.iso"])
        self.assertIn("damaged", refused[0][5])
        self.assertIn("2 files taken in: 2 PDFs", self.receipt(req))
        wait_for(lambda: not unpack_workers(pid), timeout=20, what="the children to be gone")
        self.assertEqual(self.server.proc.poll(), None)


class KilledChildTest(harness.ServerTestCase):
    server_env = {"SECONDOP_TEST_UNPACK_KILL_AT": "2"}

    def receipt(self, req):
        return self.sql("SELECT message FROM intake_receipts WHERE request_id = %s ORDER BY id DESC LIMIT 1", req)[0][0]

    def test_killed_child_refuses_the_archive_and_keeps_nothing(self):
        _, c, req = rh.new_patient_with_request(self.server)
        url, _ = rh.upload_bytes(c, req, small_zip(4), "cd.zip")
        self.assertEqual(rh.upload_status(c, url)["state"], "complete")
        self.assertIn("cd.zip could not be unpacked: it is damaged: reading it stopped part way", self.receipt(req))
        docs = rh.documents(self.server, req)
        self.assertEqual([d[1] for d in docs if not d[3]], [], "nothing of a half-read archive is kept")
        self.server.wait_log("the unpacking process ended unexpectedly")
        # the server is unharmed and a plain file still goes in
        rh.upload_bytes(c, req, pdf(99), "report.pdf")
        self.assertIn("report.pdf: 1 file taken in", self.receipt(req))


class NoUnpackerTest(harness.ServerTestCase):
    """The unpacking process cannot be started (the server's trouble, not the file's): the
    intake job is tried again later, and when its attempts are spent the patient is told to
    upload again; nothing of the archive is kept and the server goes on."""
    server_env = {"SECONDOP_TEST_UNPACK_PROGRAM": "/nonexistent/secondop"}

    def test_archive_waits_for_retries_then_fails_with_a_reason(self):
        _, c, req = rh.new_patient_with_request(self.server)
        data = small_zip(2)
        url = rh.tus_create(c, req, len(data), "cd.zip", "images", None)
        uid = url.rsplit("/", 1)[1]
        self.assertEqual(rh.tus_patch(c, url, 0, data).status, 204)
        self.server.wait_log("cannot start the unpacking process /nonexistent/secondop")
        # retried, not refused: the first attempt failed and the job is queued again
        wait_for(lambda: self.sql("SELECT attempts FROM jobs WHERE payload = %s", uid)[0][0] >= 1,
                 what="a first attempt")
        self.assertIn(rh.upload_status(c, url)["state"], ("checking",))
        self.sql("UPDATE jobs SET max_attempts = attempts + 1, run_after = now() WHERE payload = %s", uid)
        st = rh.wait_checked(c, url)
        self.assertEqual((st["state"], st["outcome"]), ("failed", "failed"), st)
        self.assertIn("please upload it again", st["message"])
        self.assertEqual([d for d in rh.documents(self.server, req) if not d[3]], [])
        on_disk, ids = rh.wait_store_clean(self.server)
        self.assertEqual(on_disk - ids, set())
        rh.upload_bytes(c, req, pdf(7), "report.pdf")
        self.assertIn("report.pdf: 1 file taken in",
                      self.sql("SELECT message FROM intake_receipts WHERE request_id = %s ORDER BY id DESC LIMIT 1",
                               req)[0][0])
