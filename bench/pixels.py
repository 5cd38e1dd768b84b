#!/usr/bin/python3
"""Pixel decoder benchmark: MB/s of decoded output, our decoders next to dcmtk's command-line
decoders on the same files. Prints figures; asserts nothing.

    bench/pixels.py [--build build-bench] [--rounds 3] [--workdir DIR]

Generates with pydicom a mammogram-sized image (3328 x 4096, 16 bits allocated, 12 stored,
gradient + noise) and a small tomosynthesis volume (10 frames of 1024 x 1024, 14 bits stored),
compresses each with dcmcjpeg +e1 (JPEG lossless SV1), dcmcrle (RLE), dcmcjpls (JPEG-LS) and
opj_compress (JPEG 2000 lossless), then times
  ours:  build/bench/pixel_decode (every frame decoded into memory; best of ROUNDS)
  dcmtk: dcmdjpeg / dcmdrle / dcmdjpls writing the decoded file (best of ROUNDS, wall time of the
         process), and dcmconv copying the decoded file, the part of dcmtk's time that is file I/O;
  opj:   opj_decompress on the same codestreams (writing raw files).
Needs a release build: meson setup build-bench --buildtype=release && ninja -C build-bench.
"""
import os
import sys

# bench/http.py would shadow the standard library's http package that pydicom imports
sys.path[0] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gen_pixels  # noqa: E402


def best(cmd, rounds):
    t = 1e30
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    tool = os.path.join(a.build, "bench", "pixel_decode")
    if not os.path.exists(tool):
        sys.exit("build %s first (meson setup %s --buildtype=release && ninja -C %s)" % (tool, a.build, a.build))
    work = a.workdir or tempfile.mkdtemp(prefix="bench-pixels-")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(1)
    cases = [("mammo", 4096, 3328, 1, 12), ("tomo", 1024, 1024, 10, 14)]
    print("%-22s %10s %12s %12s %12s" % ("file", "output MB", "ours MB/s", "tool MB/s", "dcmconv MB/s"))
    for name, rows, cols, frames, stored in cases:
        arr = gen_pixels.image(rng, rows, cols, frames, 1, stored, False)
        native = os.path.join(work, name + ".dcm")
        gen_pixels.write(native, arr, 16, stored, False, "MONOCHROME2", 0)
        # JPEG 2000 (lossless), ours through libopenjp2 against opj_decompress on the codestreams
        comp, _ = gen_pixels.j2k_frames(work, name, native, arr, stored, False, "MONOCHROME2", False)
        res = subprocess.run([tool, "-n", str(a.rounds), comp], check=True, capture_output=True, text=True)
        _, nbytes, secs = res.stdout.split()
        mb = int(nbytes) / 1e6
        t = 0.0
        for f in range(frames):
            cs = os.path.join(work, "%s.j2k.%d.j2k" % (name, f))
            t += best(["opj_decompress", "-i", cs, "-o", cs + ".out.rawl"], a.rounds)
        print("%-22s %10.1f %12.0f %12.0f %12s" % (name + ".j2k", mb, mb / float(secs), mb / t, "(opj)"))
        for tag, enc, dec in (("jll-sv1", ["dcmcjpeg", "+e1"], "dcmdjpeg"), ("rle", ["dcmcrle"], "dcmdrle"),
                              ("jls", ["dcmcjpls"], "dcmdjpls")):
            comp = os.path.join(work, "%s.%s.dcm" % (name, tag))
            out = os.path.join(work, "%s.%s.out.dcm" % (name, tag))
            copy = os.path.join(work, "%s.%s.copy.dcm" % (name, tag))
            subprocess.run(enc + [native, comp], check=True)
            res = subprocess.run([tool, "-n", str(a.rounds), comp], check=True, capture_output=True, text=True)
            _, nbytes, secs = res.stdout.split()
            mb = int(nbytes) / 1e6
            ours = mb / float(secs)
            theirs = mb / best([dec, comp, out], a.rounds)
            io = mb / best(["dcmconv", out, copy], a.rounds)
            print("%-22s %10.1f %12.0f %12.0f %12.0f" % (name + "." + tag, mb, ours, theirs, io))
    print("work files in", work)


if __name__ == "__main__":
    main()
