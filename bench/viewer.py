#!/usr/bin/python3
"""Viewer benchmark (issue 13, "Performance"): our viewer next to Orthanc's web viewer, on the
same machine, in the same run, in headless Chromium. Prints figures; asserts nothing.

    bench/viewer.py [--build build-bench] [--rounds 3] [--workdir DIR] [--no-orthanc]

Generates with pydicom a 4-view mammography study (RCC, LCC, RMLO, LMLO, each view its own
series; 3328 x 4096, 16 bits allocated, 12 stored; a breast-shaped half-disc of tissue with
noise on black) twice: JPEG 2000 lossless (opj_compress, as tests/data/gen_pixels.py does) and
JPEG lossless process 14 SV1 (dcmcjpeg +e1). Then, with a throwaway PostgreSQL cluster
(tests/pg_cluster.py) and our release build, bench/viewer.mjs:
  - uploads each study as a patient through the records page and times, separately, the upload
    and the intake-side cost: from the upload's end until the four renditions are ready;
  - per round, in a fresh browser context, the assigned reviewer follows "View the images"
    from the case page; from the click to all four viewports showing a preview (or already
    the full image) and to all four at full resolution (the figures' data-drawn attribute);
  - Orthanc (Debian's orthanc, orthanc-webviewer, orthanc-gdcm; started here on loopback with
    its own configuration and storage, the studies POSTed to /instances): its web viewer
    (/web-viewer/app/viewer.html?series=ID) opened for each series alone, one after the other,
    and for the four series at once in four pages, with its lossless images ('deflate', the "H"
    button), until its canvas shows the image and its image requests have finished; also the
    four at once with its default 8-bit JPEG (quality 95) images. Round 1 opens Orthanc's
    series cold (the web viewer decodes on first request and caches, here with a cache of
    4000 MB); later rounds are warm;
  - the server's resident memory (itself and its children, sampled every 10 ms) while four
    reviewers open the viewer at once.
Medians of the rounds. Needs: meson setup build-bench --buildtype=release && ninja -C build-bench;
npm install --prefix tests (playwright-core); Debian's chromium; for Orthanc,
apt-get install orthanc orthanc-webviewer orthanc-gdcm (scripts/install-deps.sh --bench).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# bench/http.py would shadow the standard library's http package
sys.path[0] = os.path.join(ROOT, "tests", "data")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

ROWS, COLS, STORED = 4096, 3328, 12
VIEWS = [("RCC", "R", "CC", "P\\L"), ("LCC", "L", "CC", "A\\R"), ("RMLO", "R", "MLO", "P\\F"),
         ("LMLO", "L", "MLO", "A\\F")]
PLUGINS = "/usr/share/orthanc/plugins"


def study_module():
    """tests/data/make-viewer-study.py's dataset(), at mammogram size."""
    spec = importlib.util.spec_from_file_location("viewer_study", os.path.join(ROOT, "tests", "data", "make-viewer-study.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.ROWS, m.COLS = ROWS, COLS
    return m


def right_breast(rng):
    """As displayed, chest wall on the right: tissue fading toward the nipple, with noise."""
    y, x = np.mgrid[0:ROWS, 0:COLS]
    d = np.hypot(x - (COLS - 1), (y - ROWS / 2) * 0.8)
    img = np.zeros((ROWS, COLS), dtype=np.float64)
    t = d < COLS * 0.95
    img[t] = 2600 - d[t] * 0.5
    img[t] += rng.normal(0, 60, t.sum())
    return img.clip(0, (1 << STORED) - 1).astype(np.uint16)


def make_studies(work):
    m = study_module()
    rng = np.random.default_rng(13)
    right = right_breast(rng)
    pixels = {"RCC": right, "LCC": right[:, ::-1], "RMLO": right, "LMLO": right[:, ::-1]}
    out = {}
    for tag in ("j2k", "jll"):
        study = generate_uid()
        files = []
        for inst, (label, lat, view, orient) in enumerate(VIEWS, 1):
            native = os.path.join(work, "%s_%s.native.dcm" % (tag, label))
            m.dataset(native, pixels[label], lat, view, orient, study, "20261102", generate_uid(), inst)
            ds = pydicom.dcmread(native)
            ds.PatientID = "BENCH-" + tag.upper()
            ds.save_as(native, write_like_original=False)
            path = os.path.join(work, "%s_%s.dcm" % (tag, label))
            if tag == "jll":
                subprocess.run(["dcmcjpeg", "+e1", native, path], check=True)
            else:
                raw = os.path.join(work, "%s_%s.rawl" % (tag, label))
                cs = raw + ".j2k"
                pixels[label].astype("<u2").tofile(raw)
                subprocess.run(["opj_compress", "-i", raw, "-o", cs, "-F", "%d,%d,1,%d,u@1x1" % (COLS, ROWS, STORED),
                                "-n", "6"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                with open(cs, "rb") as fh:
                    stream = fh.read()
                ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
                ds.PixelData = encapsulate([stream], has_bot=True)
                ds["PixelData"].VR = "OB"
                ds["PixelData"].is_undefined_length = True
                ds.save_as(path, write_like_original=False)
                os.remove(raw)
                os.remove(cs)
            os.remove(native)
            files.append((label, path))
        out[tag] = files
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Orthanc:
    """/usr/sbin/Orthanc on loopback with its own configuration, storage and web viewer cache."""

    def __init__(self, work):
        self.dir = os.path.join(work, "orthanc")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        cfg = {
            "Name": "bench", "StorageDirectory": os.path.join(self.dir, "db"), "IndexDirectory": os.path.join(self.dir, "db"),
            "HttpPort": self.port, "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomServerEnabled": False, "DicomPort": free_port(),
            "Plugins": [os.path.join(PLUGINS, "libOrthancWebViewer.so"), os.path.join(PLUGINS, "libOrthancGdcm.so")],
            # a cache that holds every image of the run (its default, 100 MB, holds about four), so
            # that rounds after the first are warm
            "WebViewer": {"CachePath": os.path.join(self.dir, "cache"), "CacheSize": 4000,
                          "Threads": 2},  # decoding threads (its default here: 1); the machine's cores
        }
        path = os.path.join(self.dir, "orthanc.json")
        with open(path, "w") as fh:
            json.dump(cfg, fh)
        self.log = open(os.path.join(self.dir, "orthanc.log"), "w")
        self.proc = subprocess.Popen(["/usr/sbin/Orthanc", path], stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % self.port
        for _ in range(300):
            try:
                self.get("/system")
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("Orthanc did not start; see " + self.log.name)

    def get(self, p):
        with urllib.request.urlopen(self.url + p, timeout=10) as r:
            return json.load(r)

    def upload(self, path):
        with open(path, "rb") as fh:
            req = urllib.request.Request(self.url + "/instances", data=fh.read(), method="POST",
                                         headers={"Content-Type": "application/dicom"})
        with urllib.request.urlopen(req, timeout=300) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def fmt(v):
    return "-" if v is None else "%.0f" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir")
    ap.add_argument("--no-orthanc", action="store_true")
    a = ap.parse_args()
    binary = os.path.abspath(os.path.join(a.build, "secondop"))
    if not os.path.exists(binary):
        sys.exit("build %s first (meson setup %s --buildtype=release && ninja -C %s)" % (binary, a.build, a.build))
    work = a.workdir or tempfile.mkdtemp(prefix="bench-viewer-")
    os.makedirs(work, exist_ok=True)
    print("generating the studies in", work, flush=True)
    studies = make_studies(work)
    orthanc = None
    if not a.no_orthanc:
        if not os.path.exists("/usr/sbin/Orthanc"):
            sys.exit("Orthanc is not installed (apt-get install orthanc orthanc-webviewer orthanc-gdcm), or use --no-orthanc")
        orthanc = Orthanc(work)
    env = dict(os.environ, SECONDOP_BIN=binary, SECONDOP_SHARE_DIR=ROOT)
    sock = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "pg_cluster.py"), "start"], env=env,
                          check=True, capture_output=True, text=True).stdout.strip()
    env["SECONDOP_TEST_PGHOST"] = sock
    try:
        cfg = {"rounds": a.rounds, "orthanc": orthanc.url if orthanc else None,
               "orthancPid": orthanc.proc.pid if orthanc else None, "storages": []}
        for tag, files in studies.items():
            series = []
            if orthanc:
                for label, path in files:
                    r = orthanc.upload(path)
                    series.append({"label": label, "series": r["ParentSeries"]})
            cfg["storages"].append({"tag": tag, "files": [p for _, p in files], "orthanc": series})
        cfg_path = os.path.join(work, "config.json")
        with open(cfg_path, "w") as fh:
            json.dump(cfg, fh)
        res = subprocess.run(["node", os.path.join(HERE, "viewer.mjs"), cfg_path], env=env, stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
        if res.returncode != 0:
            sys.exit("bench/viewer.mjs failed")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    finally:
        if orthanc:
            orthanc.stop()
            shutil.rmtree(orthanc.dir, ignore_errors=True)  # its storage and cache: a few hundred MB
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "pg_cluster.py"), "stop", sock], env=env)
    report(out, a.rounds, studies)
    print("work files in", work)


def report(out, rounds, studies):
    names = {"j2k": "JPEG 2000 lossless", "jll": "JPEG lossless SV1"}
    print()
    print("Viewer, 4-view study of 3328 x 4096 (16 bits allocated, 12 stored); median of %d rounds, ms; "
          "load average at the start %s" % (rounds, out["load"]))
    for s in out["storages"]:
        size = sum(os.path.getsize(p) for _, p in studies[s["tag"]]) / 1e6
        m = s["median"]
        print()
        print("%s (%.1f MB for the four files)" % (names[s["tag"]], size))
        print("  upload through the records page             %8s" % fmt(s["uploadMs"]))
        print("  upload's end -> 4 renditions ready (intake) %8s" % fmt(s["renditionsMs"]))
        print("  ours: previews of all 4 on screen           %8s   goal <= 1000: %s"
              % (fmt(m["oursPreview"]), "met" if m["oursPreview"] <= 1000 else "NOT met"))
        print("  ours: all 4 at full resolution             %8s" % fmt(m["oursFull"]))
        if m["orthancPer"]:
            per = "  ".join("%s %s" % (k, fmt(v)) for k, v in m["orthancPer"].items())
            cold = "  ".join("%s %s" % (k, fmt(v)) for k, v in s["orthancCold"].items())
            print("  Orthanc, lossless, each series alone       %s" % per)
            print("    (round 1, cold cache:                    %s)" % cold)
            print("  Orthanc, lossless, sum of the four         %8s" % fmt(m["orthancSum"]))
            print("  Orthanc, lossless, four pages at once      %8s" % fmt(m["orthancTogether"]))
            print("  Orthanc, default jpeg95, four at once      %8s" % fmt(m["orthancDefault"]))
            r1 = m["oursFull"] / m["orthancTogether"]
            r2 = m["oursFull"] / m["orthancSum"]
            print("  ratio ours full / Orthanc four at once     %8.2f   goal <= 0.5: %s" % (r1, "met" if r1 <= 0.5 else "NOT met"))
            print("  ratio ours full / Orthanc sum of the four  %8.2f" % r2)
        print("  every round, ours (preview/full): %s" % ", ".join("%d/%d" % (o["preview"], o["full"]) for o in s["ours"]))
        if s["orthanc"]:
            print("  every round, Orthanc (sum/at once/default): %s" % ", ".join(
                "%d/%d/%d" % (o["sum"], o["together"], d) for o, d in zip(s["orthanc"], s["orthancDefault"])))
    if out.get("orthancAsked"):
        print()
        print("Orthanc's web viewer asked for these image kinds: %s" % ", ".join(sorted(out["orthancAsked"])))
    r = out["rss"]
    peak = r["peakKiB"] / 1024
    print()
    print("Server RSS (itself and its children), four reviewers opening the JPEG 2000 study at once:")
    if out.get("orthancPeakKiB"):
        print("  (Orthanc's own peak RSS while its viewer opened four series at once: %.0f MiB)" % (out["orthancPeakKiB"] / 1024))
    print("  before %.0f MiB, peak %.0f MiB (goal <= 256: %s); VmHWM over the whole run %.0f MiB; their full-resolution times %s ms"
          % (r["baseKiB"] / 1024, peak, "met" if peak <= 256 else "NOT met", r["hwmKiB"] / 1024,
             ", ".join(str(x) for x in r["fourFullMs"])))


if __name__ == "__main__":
    main()
