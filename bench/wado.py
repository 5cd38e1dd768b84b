#!/usr/bin/python3
"""WADO-RS retrieval of a whole study (issue 14, "Performance"): our server, which decrypts on the
way out, beside Orthanc's DICOMweb plugin holding the same files. Prints figures; the only check
is that every part comes back byte-identical.

    SECONDOP_BIN=build/secondop /usr/bin/python3 bench/wado.py [--size 500M] [--rounds 3] [--no-orthanc]

Starts a private PostgreSQL and the portal (tests/integration/harness.py), writes a study of
native 16-bit mammography-sized images (pydicom, 3328 x 4096, about 26 MiB each) adding up to
SIZE, uploads it through tus as a patient, then retrieves GET /dicom-web/studies/{uid}
(multipart/related; type="application/dicom") ROUNDS times, reading and discarding the body.
Reports MB/s (best and median) and the server's CPU seconds per GiB sent (utime + stime of the
process from /proc, over the rounds), and its RSS before and after. With Orthanc installed
(orthanc + orthanc-dicomweb: scripts/install-deps.sh --with-tests) the same files are POSTed to
an Orthanc started here on loopback (as nobody when run as root) and retrieved the same way
from its /dicom-web/.
"""
import os
import sys

# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import argparse  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import pwd  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import numpy as np  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import orthanc_helper  # noqa: E402
import records_helpers as rh  # noqa: E402

MG = "1.2.840.10008.5.1.4.1.1.1.2"
ROWS, COLS = 4096, 3328


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.strip(), re.I)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def make_study(out, size):
    study, series = generate_uid(), generate_uid()
    rng = np.random.default_rng(500)
    per = ROWS * COLS * 2
    paths = []
    for i in range(max(1, size // per)):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MG
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SOPClassUID, ds.SOPInstanceUID = MG, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID, ds.StudyDate, ds.Modality = "BENCH^WADO", "W1", "20261130", "MG"
        ds.InstanceNumber, ds.SeriesNumber = i + 1, 1
        ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = ROWS, COLS, 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = rng.integers(0, 4096, size=ROWS * COLS, dtype="<u2").tobytes()
        p = os.path.join(out, "IM%04d.dcm" % (i + 1))
        ds.save_as(p, write_like_original=False)
        paths.append(p)
    return study, paths


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def retrieve(port, path, headers, digests=None):
    """GETs path, reading the body in 1 MiB pieces; returns (bytes, seconds). With digests, the
    body is kept and every part's SHA-256 must be one of them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError("%s answered %d: %r" % (path, r.status, r.read(300)))
    n, keep = 0, [] if digests is not None else None
    while True:
        b = r.read(1 << 20)
        if not b:
            break
        n += len(b)
        if keep is not None:
            keep.append(b)
    dt = time.perf_counter() - t0
    conn.close()
    if keep is not None:
        body = b"".join(keep)
        m = re.search(r'boundary="?([^";]+)"?', r.getheader("Content-Type"))
        sep = b"--" + m.group(1).encode()
        got = []
        for chunk in body.split(sep)[1:-1]:
            data = chunk[2:-2].partition(b"\r\n\r\n")[2]
            got.append(hashlib.sha256(data).hexdigest())
        if sorted(got) != sorted(digests):
            raise RuntimeError("%s: the parts are not the files uploaded" % path)
    return n, dt


def start_orthanc(work):
    if os.geteuid() == 0:  # Orthanc runs as nobody, inside work
        u = pwd.getpwnam("nobody")
        os.chown(work, u.pw_uid, u.pw_gid)
    o = orthanc_helper.Orthanc(work, "bench")
    o.start()
    return o.proc, o.port


def orthanc_pid(proc):
    """The Orthanc process itself (runuser's child when started through runuser)."""
    try:
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        return int(kids[0]) if kids else proc.pid
    except (OSError, ValueError):
        return proc.pid


def measure(name, port, path, headers, pid, rounds, total, digests):
    retrieve(port, path, headers, digests)  # warm, and checked
    rss0, cpu0 = rss_mib(pid), cpu_seconds(pid)
    rates = []
    for _ in range(rounds):
        n, dt = retrieve(port, path, headers)
        if n < total:
            raise RuntimeError("%s: %d bytes, fewer than the files" % (name, n))
        rates.append(n / dt / 1e6)
    cpu = cpu_seconds(pid) - cpu0
    gib = rounds * n / (1 << 30)
    print("  %-8s best %7.1f MB/s  median %7.1f MB/s  CPU %6.2f s/GiB  RSS %5.0f -> %5.0f MiB"
          % (name, max(rates), statistics.median(rates), cpu / gib, rss0, rss_mib(pid)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="500M")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
    ap.add_argument("--no-orthanc", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sop-wado-", dir=a.workdir)
    os.chmod(work, 0o755)
    orthanc = None
    server = None
    try:
        study, paths = make_study(work, parse_size(a.size))
        total = sum(os.path.getsize(p) for p in paths)
        digests = []
        for p in paths:
            with open(p, "rb") as fh:
                digests.append(hashlib.sha256(fh.read()).hexdigest())
        print("study: %d files, %.1f MiB" % (len(paths), total / (1 << 20)))
        server = harness.Server(harness.cluster().new_database())
        _, c, rid = rh.new_patient_with_request(server, name="Bench Wado")
        for p in paths:
            rh.upload_path(c, rid, p)
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        accept = 'multipart/related; type="application/dicom"'
        measure("secondop", server.port, "/dicom-web/studies/" + study, {"Accept": accept, "Cookie": cookie},
                server.proc.pid, a.rounds, total, digests)
        if not a.no_orthanc:
            if not (os.path.exists(orthanc_helper.ORTHANC) and os.path.exists(orthanc_helper.PLUGIN)):
                print("  Orthanc:  not installed (orthanc, orthanc-dicomweb); skipped")
            else:
                orthanc, port = start_orthanc(work)
                for p in paths:
                    with open(p, "rb") as fh:
                        req = urllib.request.Request("http://127.0.0.1:%d/instances" % port, data=fh.read(),
                                                     method="POST", headers={"Content-Type": "application/dicom"})
                    urllib.request.urlopen(req, timeout=300).close()
                measure("Orthanc", port, "/dicom-web/studies/" + study, {"Accept": accept}, orthanc_pid(orthanc),
                        a.rounds, total, digests)
    finally:
        if orthanc:
            orthanc.terminate()
            orthanc.wait(30)
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
