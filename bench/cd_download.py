#!/usr/bin/python3
"""CD-ready download of a request over 4 GiB (issue 14, item 4). Prints figures; the checks are
the archive's own: it must come whole.

    SECONDOP_BIN=build/secondop /usr/bin/python3 bench/cd_download.py [--size 5G] [--workdir /tmp]

Starts a private PostgreSQL and the portal (tests/integration/harness.py), uploads a study of
four mammograms and one document of SIZE bytes (a PDF by content) through tus, then downloads
/requests/{id}/records.zip into WORKDIR while sampling the server's resident memory. Reports
MB/s of the download, the server's RSS growth during it, and checks the ZIP with Python's
zipfile (ZIP64 entry of SIZE bytes, every CRC, DICOMDIR present). Needs ~2 x SIZE of disk.
"""
import os
import sys

# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import argparse  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import re  # noqa: E402
import threading
import time
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import records_helpers as rh  # noqa: E402

MiB = 1 << 20
BLOCK = (b"%PDF-1.4\n" + hashlib.sha256(b"cd-bench").digest() * (1 << 15))[:MiB]
PATCH = 512 * MiB


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.strip(), re.I)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def patch_stream(server, c, url, offset, length):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=900)
    conn.putrequest("PATCH", url)
    for k, v in rh.tus_headers(c, {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                                    "Content-Length": str(length),
                                    "Cookie": "; ".join("%s=%s" % kv for kv in c.cookies.items())}).items():
        conn.putheader(k, v)
    conn.endheaders()
    pos = offset
    while pos < offset + length:
        i = pos % len(BLOCK)
        n = min(len(BLOCK) - i, offset + length - pos)
        conn.send(BLOCK[i:i + n])
        pos += n
    r = conn.getresponse()
    r.read()
    conn.close()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="5G")
    ap.add_argument("--workdir", default=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
    args = ap.parse_args()
    size = parse_size(args.size)
    server = harness.Server(harness.cluster().new_database())
    out = os.path.join(args.workdir, "cd-bench-%d.zip" % os.getpid())
    try:
        _, c, req = rh.new_patient_with_request(server, name="Jane Doe")
        st = rh.studies()
        for v in ("R_CC", "R_MLO", "L_CC", "L_MLO"):
            rh.upload_path(c, req, os.path.join(st, "study1", v + ".dcm"))
        url = rh.tus_create(c, req, size, "tomo-export.pdf", "other")
        t0 = time.time()
        off = 0
        while off < size:
            r = patch_stream(server, c, url, off, min(PATCH, size - off))
            assert r.status == 204, r.status
            off = int(r.getheader("Upload-Offset"))
        st_ = rh.wait_checked(c, url, timeout=3600)
        assert st_["state"] == "complete", st_
        print("upload of %d MiB and intake: %.1f s" % (size // MiB, time.time() - t0))

        pid = server.proc.pid
        before = rss_kib(pid)
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak.append(rss_kib(pid))
                time.sleep(0.1)

        th = threading.Thread(target=sample)
        th.start()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=900)
        conn.request("GET", "/requests/%d/records.zip" % req,
                     headers={"Cookie": "; ".join("%s=%s" % kv for kv in c.cookies.items())})
        r = conn.getresponse()
        assert r.status == 200, r.status
        length = int(r.getheader("Content-Length"))
        t0 = time.time()
        got = 0
        with open(out, "wb") as f:
            while True:
                b = r.read(4 * MiB)
                if not b:
                    break
                f.write(b)
                got += len(b)
        dt = time.time() - t0
        stop.set()
        th.join()
        conn.close()
        assert got == length, (got, length)
        print("download: %d bytes in %.1f s = %.0f MB/s" % (got, dt, got / dt / 1e6))
        print("server RSS: %d MiB before, peak %d MiB (+%d MiB)" % (before // 1024, max(peak) // 1024,
                                                                     (max(peak) - before) // 1024))
        t0 = time.time()
        with zipfile.ZipFile(out) as z:
            bad = z.testzip()
            assert bad is None, bad
            names = {i.filename: i.file_size for i in z.infolist()}
        assert "DICOMDIR" in names and names.get("REPORTS/0001-tomo-export.pdf") == size, names
        print("zipfile: %d entries, every CRC right, the %d-byte entry whole (checked in %.1f s)"
              % (len(names), size, time.time() - t0))
    finally:
        if os.path.exists(out):
            os.unlink(out)
        server.stop()


if __name__ == "__main__":
    main()
