"""A throwaway single-node Ceph with radosgw, the real S3 server of the blob-store tests.

One monitor, one OSD (bluestore on a sparse file in the temporary directory: 4 GiB, or
SECONDOP_CEPH_OSD_GIB; deleted objects are reclaimed within seconds), one manager
and radosgw (beast) on 127.0.0.1, with cephx off (loopback only, torn down at exit) and a
radosgw user made by `radosgw-admin user create`. As root every daemon runs as `nobody`
(as the harness runs PostgreSQL as `postgres`). Started once per test run by `gateway()`
and shared by every test file; stopped at exit.

    gw = ceph_helper.gateway()          # None (with gw_skip_reason()) when Ceph is missing
    gw.endpoint, gw.access_key, gw.secret_key, gw.new_bucket()
"""
import atexit
import hashlib
import hmac
import datetime
import http.client
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

IS_ROOT = os.geteuid() == 0
BINS = ["ceph-mon", "ceph-osd", "ceph-mgr", "radosgw", "radosgw-admin", "monmaptool", "ceph"]
_gw = None
_gw_error = None
_lock = threading.Lock()


def _free_port():
    from harness import free_port  # the worker's own share of the ports (run.py)
    return free_port()


def available():
    return all(shutil.which(b) for b in BINS)


class Gateway:
    def __init__(self):
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        self.dir = tempfile.mkdtemp(prefix="sop-ceph-", dir=base)
        os.chmod(self.dir, 0o755)
        self.procs = []
        self.mon_port = _free_port()
        self.rgw_port = _free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.rgw_port
        self.access_key = "SOPTEST" + uuid.uuid4().hex[:13].upper()
        self.secret_key = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self.region = "default"
        self._buckets = 0
        t0 = time.time()
        try:
            self._start()
        except Exception:
            self.stop()
            raise
        self.start_seconds = time.time() - t0

    def _run_as(self):
        if not IS_ROOT:
            return []
        return ["runuser", "-u", "nobody", "--"]

    def _cmd(self, args, timeout=60):
        env = dict(os.environ, CEPH_CONF=self.conf, HOME=self.dir)
        r = subprocess.run(self._run_as() + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s %s" % (args[0], r.returncode, r.stdout.decode()[-400:],
                                                          r.stderr.decode()[-800:]))
        return r.stdout.decode()

    def _daemon(self, args, name):
        env = dict(os.environ, CEPH_CONF=self.conf, HOME=self.dir)
        log = open(os.path.join(self.dir, name + ".out"), "w")
        p = subprocess.Popen(self._run_as() + args + ["-f"], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(p)
        return p

    def _start(self):
        d = self.dir
        self.conf = os.path.join(d, "ceph.conf")
        fsid = str(uuid.uuid4())
        for sub in ("mon", "osd", "run", "log", "rgw"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("""[global]
fsid = %(fsid)s
mon host = v1:127.0.0.1:%(mon)d
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
mon allow pool delete = true
mon max pg per osd = 1000
run dir = %(d)s/run
log file = %(d)s/log/$name.log
admin socket = %(d)s/run/$name.asok
pid file = %(d)s/run/$name.pid
keyring = /dev/null
ms bind ipv4 = true
ms bind ipv6 = false
public addr = 127.0.0.1
debug ms = 0
[mon.a]
mon data = %(d)s/mon
[mgr.x]
mgr data = %(d)s/mgr
[osd.0]
osd data = %(d)s/osd
osd objectstore = bluestore
bluestore block create = true
bluestore block size = %(block)d
bluestore fsck on mkfs = false
bluestore cache size = 67108864
osd memory target = 268435456
osd max object name len = 256
osd class update on start = false
osd crush update on start = false
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:%(rgw)d
rgw data = %(d)s/rgw
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw thread pool size = 32
rgw gc obj min wait = 0
rgw gc processor period = 10
""" % {"fsid": fsid, "mon": self.mon_port, "rgw": self.rgw_port, "d": d,
       "block": int(os.environ.get("SECONDOP_CEPH_OSD_GIB") or "4") << 30})
        if IS_ROOT:
            pw = pwd.getpwnam("nobody")
            for root, dirs, files in os.walk(d):
                os.chown(root, pw.pw_uid, pw.pw_gid)
                for n in files:
                    os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
        monmap = os.path.join(d, "monmap")
        self._cmd(["monmaptool", "--create", "--clobber", "--fsid", fsid,
                   "--addv", "a", "[v1:127.0.0.1:%d]" % self.mon_port, monmap])
        self._cmd(["ceph-mon", "--id", "a", "--mkfs", "--monmap", monmap, "-c", self.conf])
        self._daemon(["ceph-mon", "--id", "a", "-c", self.conf], "mon")
        # the OSD's uuid given to both (as go-ceph's micro-osd.sh does): an OSD made without one
        # sometimes fails its first boot with "mon_cmd_maybe_osd_create fail: 'wrong fsid'"
        osd_uuid = str(uuid.uuid4())
        self._cmd(["ceph", "-c", self.conf, "--connect-timeout", "30", "osd", "create", osd_uuid, "0"])
        # placed in the CRUSH map here, not by the OSD at its first boot: that boot's own
        # create-or-move / set-device-class now and then fails with "wrong fsid" and the OSD exits
        self._cmd(["ceph", "-c", self.conf, "--connect-timeout", "30", "osd", "crush", "add", "osd.0", "1.0",
                   "root=default"])
        self._cmd(["ceph", "-c", self.conf, "--connect-timeout", "30", "osd", "crush", "set-device-class", "hdd",
                   "osd.0"])
        self._cmd(["ceph-osd", "--id", "0", "--mkfs", "--osd-uuid", osd_uuid, "-c", self.conf], timeout=120)
        self._daemon(["ceph-osd", "--id", "0", "-c", self.conf], "osd")
        os.makedirs(os.path.join(d, "mgr"), exist_ok=True)
        if IS_ROOT:
            pw = pwd.getpwnam("nobody")
            os.chown(os.path.join(d, "mgr"), pw.pw_uid, pw.pw_gid)
        self._daemon(["ceph-mgr", "--id", "x", "-c", self.conf], "mgr")
        self._daemon(["radosgw", "-n", "client.rgw.a", "-c", self.conf], "rgw")
        # radosgw creates its pools on start; the user is made once it answers
        deadline = time.time() + 90
        while True:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError("a Ceph daemon exited (%s, status %s): %s" % (p.args, p.returncode,
                                                                                    self._log_tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.rgw_port, timeout=2)
                c.request("GET", "/")
                c.getresponse().read()
                c.close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("radosgw did not answer within 90 s: see " + self.dir)
                time.sleep(0.2)
        self._cmd(["radosgw-admin", "-c", self.conf, "-n", "client.rgw.a", "user", "create", "--uid", "secondop",
                   "--display-name", "secondop tests", "--access-key", self.access_key,
                   "--secret", self.secret_key])

    def _log_tail(self):
        """The last lines of the OSD's log and output (the daemon that fails a first boot), for the skip line."""
        out = []
        for name in ("log/osd.0.log", "osd.out"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
                out.append("%s: %s" % (name, " | ".join(lines[-4:])[-600:]))
            except OSError:
                pass
        return "; ".join(out) or "no log"

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        if not os.environ.get("SECONDOP_KEEP_CEPH"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- a small signed S3 client (AWS SigV4), for tests that look at the bucket directly
    def request(self, method, path, query=None, body=b"", headers=None):
        query = query or {}
        host = "127.0.0.1:%d" % self.rgw_port
        now = datetime.datetime.now(datetime.timezone.utc)
        amzdate = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        h = {"host": host, "x-amz-date": amzdate, "x-amz-content-sha256": payload}
        for k, v in (headers or {}).items():
            h[k.lower()] = v
        qs = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                      for k, v in sorted(query.items()))
        epath = urllib.parse.quote(path, safe="/-_.~")
        signed = ";".join(sorted(h))
        canon = "\n".join([method, epath, qs] + ["%s:%s" % (k, h[k].strip()) for k in sorted(h)] +
                          ["", signed, payload])
        scope = "%s/%s/s3/aws4_request" % (day, self.region)
        sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, hashlib.sha256(canon.encode()).hexdigest()])

        def hm(k, m):
            return hmac.new(k, m.encode(), hashlib.sha256).digest()
        k = hm(hm(hm(hm(("AWS4" + self.secret_key).encode(), day), self.region), "s3"), "aws4_request")
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.access_key, scope, signed, sig)
        c = http.client.HTTPConnection("127.0.0.1", self.rgw_port, timeout=60)
        c.request(method, epath + ("?" + qs if qs else ""), body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def new_bucket(self):
        with _lock:
            self._buckets += 1
            name = "sop-%d-%s" % (self._buckets, uuid.uuid4().hex[:8])
        st, body = self.request("PUT", "/" + name)
        if st != 200:
            raise RuntimeError("cannot create bucket %s: %d %s" % (name, st, body[:300]))
        return name

    def list_keys(self, bucket, prefix=""):
        import re
        st, body = self.request("GET", "/" + bucket, {"list-type": "2", "prefix": prefix})
        assert st == 200, body
        return re.findall(r"<Key>([^<]+)</Key>", body.decode())

    def list_multipart(self, bucket, prefix=""):
        import re
        st, body = self.request("GET", "/" + bucket, {"uploads": "", "prefix": prefix})
        assert st == 200, body
        return re.findall(r"<UploadId>([^<]+)</UploadId>", body.decode())

    def get(self, bucket, key):
        return self.request("GET", "/%s/%s" % (bucket, key))


class _Running(Gateway):
    """A gateway started earlier by `ceph_helper.py --keep FILE` (for quick reruns while
    developing: SECONDOP_TEST_CEPH=FILE)."""

    def __init__(self, path):
        import json
        d = json.load(open(path))
        self.dir, self.conf, self.endpoint = d["dir"], d["conf"], d["endpoint"]
        self.rgw_port = int(self.endpoint.rsplit(":", 1)[1])
        self.access_key, self.secret_key, self.region = d["ak"], d["sk"], "default"
        self.start_seconds, self.procs, self._buckets = d["start"], [], 0


def gateway():
    """The shared gateway, started on first use (None when Ceph cannot start: see skip_reason())."""
    global _gw, _gw_error
    with _lock:
        if _gw is None and _gw_error is None and os.environ.get("SECONDOP_TEST_CEPH"):
            _gw = _Running(os.environ["SECONDOP_TEST_CEPH"])
        if _gw is None and _gw_error is None:
            if not available():
                _gw_error = "Ceph is not installed (scripts/install-deps.sh --with-tests)"
            else:
                # more attempts, each in a fresh folder, in case a boot still fails on a loaded
                # machine (the OSD placing itself at its first boot used to, now and then)
                for attempt in (1, 2, 3):
                    try:
                        _gw = Gateway()
                        atexit.register(_gw.stop)
                        _gw_error = None
                        break
                    except Exception as e:  # the reason is shown in the skip line
                        _gw_error = "Ceph did not start (attempt %d): %s" % (attempt, e)
        return _gw


def skip_reason():
    return _gw_error


if __name__ == "__main__":
    # ceph_helper.py: start, check, stop, print the start time.
    # ceph_helper.py --keep FILE: start, write FILE for SECONDOP_TEST_CEPH, run until FILE is removed.
    import json
    import sys
    g = gateway()
    if not g:
        print(skip_reason())
        raise SystemExit(1)
    print("started in %.1f s at %s (%s)" % (g.start_seconds, g.endpoint, g.dir), flush=True)
    b = g.new_bucket()
    assert g.request("PUT", "/%s/hello" % b, body=b"hello")[0] == 200 and g.get(b, "hello") == (200, b"hello")
    if len(sys.argv) == 3 and sys.argv[1] == "--keep":
        json.dump({"endpoint": g.endpoint, "ak": g.access_key, "sk": g.secret_key, "dir": g.dir, "conf": g.conf,
                   "start": g.start_seconds}, open(sys.argv[2], "w"))
        while os.path.exists(sys.argv[2]):
            time.sleep(0.5)
