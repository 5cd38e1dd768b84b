"""Debian's Orthanc with its DICOMweb plugin, started by a test on loopback as the center's PACS
or as a DICOMweb client of ours: its own configuration and storage in a temporary folder, never
run as root (as `nobody` when the tests run as root). Its storage survives stop() and start()."""
import base64
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import harness

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"

needs_orthanc = unittest.skipUnless(os.path.exists(ORTHANC) and os.path.exists(PLUGIN),
                                    "Orthanc or orthanc-dicomweb missing")


class Orthanc:
    """One Orthanc process. servers: the DICOMweb plugin's remote servers ({name: {"Url", "HttpHeaders"}});
    users: HTTP basic users ({user: password}) Orthanc requires, none when empty."""

    def __init__(self, base=None, name="secondop-test", servers=None, users=None):
        # base must be a folder nobody can reach when the tests run as root
        self.dir = tempfile.mkdtemp(prefix="sop-orthanc-", dir=base or os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        self.name = name
        self.servers = servers or {}
        self.users = users
        self.port = harness.free_port()
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        cfg = {
            "Name": self.name, "StorageDirectory": os.path.join(self.dir, "db"),
            "IndexDirectory": os.path.join(self.dir, "db"), "HttpPort": self.port, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": bool(self.users), "RegisteredUsers": self.users or {},
            "DicomServerEnabled": False, "DicomPort": harness.free_port(), "Plugins": [PLUGIN],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Servers": self.servers},
        }
        path = os.path.join(self.dir, "orthanc.json")
        with open(path, "w") as fh:
            json.dump(cfg, fh)
        cmd = [ORTHANC, path]
        if os.geteuid() == 0:  # never as root
            user = pwd.getpwnam("nobody")
            for p in (self.dir, path):
                os.chown(p, user.pw_uid, user.pw_gid)
            if os.path.isdir(os.path.join(self.dir, "db")):
                subprocess.run(["chown", "-R", "nobody", os.path.join(self.dir, "db")], check=True)
            cmd = ["runuser", "-u", "nobody", "--"] + cmd
        log = open(os.path.join(self.dir, "orthanc.log"), "a")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        harness.wait_for(self.up, timeout=60, what="Orthanc")
        return self.url

    def up(self):
        try:
            self.call("/system")
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            assert self.proc.poll() is None, "Orthanc exited; see " + os.path.join(self.dir, "orthanc.log")
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def remove(self):
        """Stops it and deletes its folder."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, path, body=None, raw=None, timeout=120):
        """GET path, or POST body (as JSON) or raw bytes (as application/dicom); JSON answers decoded."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST")
        if data is not None:
            req.add_header("Content-Type", "application/dicom" if raw is not None else "application/json")
        if self.users:
            u, p = next(iter(self.users.items()))
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (u, p)).encode()).decode())
        with urllib.request.urlopen(req, timeout=timeout) as r:
            out = r.read()
        try:
            return json.loads(out)
        except ValueError:
            return out

    def study_files(self, study_uid):
        """{SOP Instance UID: file bytes} of a study as Orthanc holds it ({} when it has none)."""
        found = self.call("/tools/lookup", raw=study_uid.encode())
        out = {}
        for hit in found:
            if hit["Type"] != "Study":
                continue
            for inst in self.call("/studies/%s/instances" % hit["ID"]):
                out[inst["MainDicomTags"]["SOPInstanceUID"]] = self.call("/instances/%s/file" % inst["ID"])
        return out
