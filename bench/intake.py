#!/usr/bin/python3
"""Intake benchmark: files/s and MB/s of intake after the bytes have arrived. Prints figures;
asserts nothing.

    bench/intake.py [--files 200] [--image-mib 2] [--zip-gib 2] [--rounds 3] [--workdir DIR]

Two cases, each on a freshly started release server with a durable private PostgreSQL:
  (a) a CD folder of FILES uncompressed mammograms (MG For Presentation, IMAGE-MIB each,
      explicit VR LE) uploaded file by file;
  (b) one ZIP (stored, as portals export) of breast tomosynthesis volumes (60 frames of
      1024 x 1024 x 16 bit, 120 MiB each) adding up to ZIP-GIB.
Every file is sent with tus in two PATCHes: all bytes but the last, then the last byte. The
second PATCH completes the upload: the server seals and renames the file and queues its intake
(sniffing, the DICOM header up to Pixel Data, pixel data checks, unpacking, database rows) on a
background worker. The intake time measured here runs from the second PATCH until the upload's
status says complete; the first PATCH (the transfer) is not counted.
Needs a release build in build-bench (meson setup build-bench --buildtype=release) and
python3-pydicom.
"""
import argparse
import base64
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
# bench/ holds an http.py of its own: load the standard library's first
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID  # noqa: E402

sys.path.append(HERE)
import upload as ub  # noqa: E402  (the upload benchmark's server, database and client)

MiB = ub.MiB
GiB = ub.GiB


def dicom_bytes(sop_class, rows, cols, frames, n):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = "2.25.4242.%d" % n
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = "2.25.4242.%d" % n
    ds.StudyDate = "20240315"
    ds.Modality = "MG"
    ds.PatientName = "Bench^Patient"
    ds.PatientBirthDate = "19700101"
    ds.StudyInstanceUID = "2.25.4242"
    ds.SeriesInstanceUID = "2.25.4242.%d" % (n % 4)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = bytes((ub.BLOCK * (rows * cols * 2 * frames // len(ub.BLOCK) + 1))[:rows * cols * 2 * frames])
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds)
    return buf.getvalue()


def send(portal, name, data=None, path=None):
    """Uploads bytes (or a file) in two PATCHes; returns the seconds of the completing one."""
    size = len(data) if data is not None else os.path.getsize(path)
    meta = ",".join(["request " + base64.b64encode(portal.request_id.encode()).decode(),
                     "kind " + base64.b64encode(b"images").decode(),
                     "filename " + base64.b64encode(name.encode()).decode()])
    c = ub.Conn(portal.port)
    try:
        h = dict(portal.headers, **{"Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": meta})
        st, hd, body = c.request("POST", "/api/v1/uploads", h)
        if st != 201:
            raise RuntimeError("create: %d %s" % (st, body[:200]))
        url = urllib.parse.urlsplit(hd["location"]).path

        def source(n, start):
            if data is not None:
                yield memoryview(data)[start:start + n]
                return
            with open(path, "rb") as f:
                f.seek(start)
                while n > 0:
                    piece = f.read(min(n, 16 * MiB))
                    n -= len(piece)
                    yield piece

        def patch(off, n):
            ph = dict(portal.headers, **{"Tus-Resumable": "1.0.0", "Upload-Offset": str(off),
                                         "Content-Type": "application/offset+octet-stream"})
            st, hd, body = c.request("PATCH", url, ph, body_len=n, source=lambda k: source(k, off))
            if st != 204:
                raise RuntimeError("PATCH: %d %s" % (st, body[:200]))

        patch(0, size - 1)
        t0 = time.perf_counter()
        patch(size - 1, 1)
        # intake is a background job: the PATCH answers first; the upload is taken in when its
        # status says so (polled every 5 ms, which the figures include)
        while True:
            st, _, body = c.request("GET", url + "/status", dict(portal.headers))
            if st != 200:
                raise RuntimeError("status: %d %s" % (st, body[:200]))
            state = json.loads(body)["state"]
            if state == "complete":
                return time.perf_counter() - t0
            if state not in ("receiving", "checking"):
                raise RuntimeError("intake of %s ended %s: %s" % (name, state, body[:300]))
            time.sleep(0.005)
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--image-mib", type=float, default=2)
    ap.add_argument("--zip-gib", type=float, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="intake-bench-", dir=a.workdir)
    os.chmod(work, 0o755)
    pg = ub.Postgres(work)
    try:
        side = int((a.image_mib * MiB / 2) ** 0.5)
        images = [dicom_bytes("1.2.840.10008.5.1.4.1.1.1.2", side, side, 1, i) for i in range(a.files)]
        folder_bytes = sum(len(d) for d in images)
        tomo = dicom_bytes("1.2.840.10008.5.1.4.1.1.13.1.3", 1024, 1024, 60, 0)
        volumes = max(1, int(a.zip_gib * GiB // len(tomo)))
        zpath = os.path.join(work, "tomo.zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
            for v in range(volumes):
                uid = b"2.25.4242.%d" % v
                z.writestr("TOMO/VOL%03d" % v, tomo.replace(b"2.25.4242.0\0", uid + b"\0" * (12 - len(uid))))
        zsize = os.path.getsize(zpath)
        print("intake benchmark: %d files of %.1f MiB (%.0f MiB); a ZIP of %d tomosynthesis volumes (%.2f GiB)"
              % (a.files, folder_bytes / a.files / MiB, folder_bytes / MiB, volumes, zsize / GiB))
        folder_t, zip_t = [], []
        for r in range(a.rounds):
            p = ub.Portal(pg, work)
            try:
                folder_t.append(sum(send(p, "cd/DICOM/IM%06d" % i, data=d) for i, d in enumerate(images)))
            finally:
                p.close()
            p = ub.Portal(pg, work)
            try:
                zip_t.append(send(p, "tomo.zip", path=zpath))
            finally:
                p.close()
            print("  round %d: folder %.2f s, zip %.2f s" % (r + 1, folder_t[-1], zip_t[-1]))
        ft, zt = statistics.median(folder_t), statistics.median(zip_t)
        print("%d-file folder: %.1f files/s, %.0f MB/s of intake (median %.2f s of %d rounds, range %.2f-%.2f s)"
              % (a.files, a.files / ft, folder_bytes / ft / 1e6, ft, a.rounds, min(folder_t), max(folder_t)))
        print("tomosynthesis ZIP (%.2f GiB, %d volumes): %.1f files/s, %.0f MB/s of intake (median %.2f s, range "
              "%.2f-%.2f s)" % (zsize / GiB, volumes, volumes / zt, zsize / zt / 1e6, zt, min(zip_t), max(zip_t)))
    finally:
        pg.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
