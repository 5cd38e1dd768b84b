"""A real ClamAV clamd for the tests: a private clamd.conf, a private
database holding one .hdb signature (the MD5 of the EICAR test string, its
size, a name: freshclam cannot reach its servers here) and a local socket.
Started and stopped by the test that needs it; waits for the socket, bounded."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Secondop.Test.EICAR"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


class Clamd:
    def __init__(self):
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix="sop-clamd-", dir=base)
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "db"))
        os.mkdir(os.path.join(self.dir, "tmp"))
        assert len(EICAR) == 68
        with open(os.path.join(self.dir, "db", "test.hdb"), "w") as f:
            f.write("%s:%d:%s\n" % (hashlib.md5(EICAR).hexdigest(), len(EICAR), SIGNATURE))
        self.socket = os.path.join(self.dir, "clamd.sock")
        self.conf = os.path.join(self.dir, "clamd.conf")
        with open(self.conf, "w") as f:
            f.write("LocalSocket %s\nDatabaseDirectory %s\nTemporaryDirectory %s\nForeground yes\n"
                    "StreamMaxLength 64M\nLogFile %s\n" % (self.socket, os.path.join(self.dir, "db"),
                                                            os.path.join(self.dir, "tmp"),
                                                            os.path.join(self.dir, "clamd.log")))
        self.proc = None
        self.start()

    def start(self, timeout=60):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.out = open(os.path.join(self.dir, "clamd.out"), "ab")
        self.proc = subprocess.Popen([CLAMD, "-c", self.conf], stdout=self.out, stderr=self.out)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.socket):
                return
            if self.proc.poll() is not None:
                raise RuntimeError("clamd exited: " + open(os.path.join(self.dir, "clamd.out")).read()[-2000:])
            time.sleep(0.1)
        raise RuntimeError("clamd did not open its socket within %d s" % timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        if self.out:
            self.out.close()
            self.out = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
