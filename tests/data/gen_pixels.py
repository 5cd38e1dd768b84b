#!/usr/bin/python3
"""Generates the pixel decoding test set into OUTDIR (offline; deterministic).

For each image kind (8/12/16-bit, signed, MONOCHROME1, RGB and YBR_FULL with planar
configuration 0 and 1, multi-frame, odd sizes) it writes with pydicom:
  NAME.dcm   native explicit VR little endian (NAME.be.dcm: explicit VR big endian for some)
  NAME.raw   the expected frames in the decoder's canonical layout (samples interleaved,
             uint8 or little-endian uint16, stored bits only), straight from numpy
and compresses NAME.dcm with dcmtk into
  NAME.rle.dcm                 dcmcrle (one fragment per frame, offset table)
  NAME.rle-frag.dcm            dcmcrle +fs 1 -ot (several fragments per frame, empty table)
  NAME.jll-svN[-ptP].dcm       dcmcjpeg +el +sv N [+pt P] (JPEG lossless, process 14)
  NAME.jll-sv1-frag.dcm        dcmcjpeg +e1 +fs 1 -ot
each with the independent decoder's output beside it (NAME.X.ref.dcm from dcmdrle/dcmdjpeg).
MANIFEST lists: compressed-file reference-file raw-file frames (one line each; "-" for none).
Usage: gen_pixels.py OUTDIR
"""
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ExplicitVRBigEndian, generate_uid

MG = "1.2.840.10008.5.1.4.1.1.1.2"


def image(rng, rows, cols, frames, samples, bits_stored, signed):
    """Gradient plus noise, the full stored range, shape (frames, rows, cols, samples)."""
    lo = -(1 << (bits_stored - 1)) if signed else 0
    hi = (1 << (bits_stored - 1)) - 1 if signed else (1 << bits_stored) - 1
    y, x = np.mgrid[0:rows, 0:cols]
    out = np.empty((frames, rows, cols, samples), dtype=np.int64)
    for f in range(frames):
        for s in range(samples):
            grad = lo + (x * 7 + y * 3 + f * 11 + s * 5) * (hi - lo) // (cols * 7 + rows * 3 + 40)
            noise = rng.integers(-(1 << max(bits_stored - 5, 1)), 1 << max(bits_stored - 5, 1), size=(rows, cols))
            v = np.clip(grad + noise, lo, hi)
            # a few extreme pixels so min/max and the sign bit are exercised
            v[0, 0], v[-1, -1] = lo, hi
            out[f, :, :, s] = v
    return out


def write(path, arr, bits_alloc, bits_stored, signed, photometric, planar, big=False, extra=None):
    frames, rows, cols, samples = arr.shape
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MG
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRBigEndian if big else ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = not big
    ds.is_implicit_VR = False
    ds.SOPClassUID = MG
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "MG"
    ds.PatientName = "Test^Pixels"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples > 1:
        ds.PlanarConfiguration = planar
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_alloc, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    for k, v in (extra or {}).items():
        setattr(ds, k, v)
    dt = np.uint8 if bits_alloc == 8 else np.uint16
    mask = (1 << bits_stored) - 1
    stored = (arr & mask).astype(dt)  # two's complement within bits stored, as written
    if signed:  # the file holds the sign-extended word (as every writer does)
        stored = (arr.astype(np.int64) & ((1 << bits_alloc) - 1)).astype(dt)
    native = stored.transpose(0, 3, 1, 2) if (samples > 1 and planar == 1) else stored
    data = native.astype(dt.__name__ == "uint8" and np.uint8 or (">u2" if big else "<u2")).tobytes()
    if len(data) % 2:
        data += b"\0"
    ds.PixelData = data
    ds["PixelData"].VR = "OB" if bits_alloc == 8 else "OW"
    ds.save_as(path, write_like_original=False)
    # canonical: interleaved, stored bits only, little-endian words
    canon = (arr & mask).astype(np.uint8 if bits_alloc == 8 else "<u2")
    return canon.tobytes()


def encode_lossless(img, precision, sv, restart_rows):
    """A plain JPEG lossless (process 14) encoder for one grey frame with restart markers every
    restart_rows rows: dcmcjpeg writes none, and the decoder's restart rules need a test.
    Its output is decoded by dcmdjpeg as the independent reference."""
    rows, cols = img.shape
    counts = [0, 0, 6, 2, 2, 2, 2, 2, 1] + [0] * 7  # code lengths 1..16: 17 symbols
    codes, code, k = {}, 0, 0
    for length, n in enumerate(counts, start=1):
        for _ in range(n):
            codes[k] = (code, length)
            k, code = k + 1, code + 1
        code <<= 1
    out = bytearray(b"\xff\xd8")

    def seg(marker, body):
        out.extend(bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body)

    seg(0xC3, bytes([precision]) + rows.to_bytes(2, "big") + cols.to_bytes(2, "big") + bytes([1, 1, 0x11, 0]))
    seg(0xC4, bytes([0x00]) + bytes(counts) + bytes(range(17)))
    interval = restart_rows * cols
    seg(0xDD, interval.to_bytes(2, "big"))
    seg(0xDA, bytes([1, 1, 0x00, sv, 0, 0]))
    acc, nbits = 0, 0

    def put(value, n):
        nonlocal acc, nbits
        acc, nbits = (acc << n) | (value & ((1 << n) - 1)), nbits + n
        while nbits >= 8:
            b = (acc >> (nbits - 8)) & 0xFF
            out.append(b)
            if b == 0xFF:
                out.append(0)
            nbits -= 8
        acc &= (1 << nbits) - 1

    def flush():
        if nbits:
            put((1 << (8 - nbits)) - 1, 8 - nbits)

    v = img.astype(np.int64).tolist()
    rst, first_line = 0, True
    for y in range(rows):
        if y > 0 and y % restart_rows == 0:
            flush()
            out.extend(bytes([0xFF, 0xD0 + rst]))
            rst, first_line = (rst + 1) % 8, True
        elif y > 0:
            first_line = False
        for x in range(cols):
            if first_line and x == 0:
                pred = 1 << (precision - 1)
            elif x == 0:
                pred = v[y - 1][0]
            elif first_line:
                pred = v[y][x - 1]
            else:
                ra, rb, rc = v[y][x - 1], v[y - 1][x], v[y - 1][x - 1]
                pred = [0, ra, rb, rc, ra + rb - rc, ra + ((rb - rc) >> 1), rb + ((ra - rc) >> 1), (ra + rb) >> 1][sv]
            d = (v[y][x] - pred) & 0xFFFF
            if d == 0x8000:
                cat, bits = 16, None
            else:
                d = d - 0x10000 if d & 0x8000 else d
                cat = abs(d).bit_length()
                bits = d if d >= 0 else d + (1 << cat) - 1
            c_, l_ = codes[cat]
            put(c_, l_)
            if cat and bits is not None:
                put(bits, cat)
    flush()
    out.extend(b"\xff\xd9")
    return bytes(out)


def write_encapsulated(native_path, path, frames):
    from pydicom.encaps import encapsulate
    ds = pydicom.dcmread(native_path)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.70" if all(f[1] == 1 for f in frames) else "1.2.840.10008.1.2.4.57"
    ds.NumberOfFrames = len(frames)
    ds.PixelData = encapsulate([f[0] for f in frames], has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.is_implicit_VR, ds.is_little_endian = False, True
    ds.save_as(path, write_like_original=False)


def j2k_frames(out, name, native_path, arr, stored, signed, pi, lossy):
    """JPEG 2000 with OpenJPEG's opj_compress (each frame a raw codestream, offset table),
    and the frames opj_decompress makes of the same codestreams, in the canonical layout."""
    frames, rows, cols, samples = arr.shape
    mask = (1 << stored) - 1
    wide = stored > 8
    tag = "j2k-lossy" if lossy else "j2k"
    streams, expected = [], b""
    for f in range(frames):
        a = arr[f]
        dt = ("<i2" if signed else "<u2") if wide else (np.int8 if signed else np.uint8)
        planar = np.ascontiguousarray(a.transpose(2, 0, 1)).astype(dt)
        rin = os.path.join(out, "%s.%s.%d.rawl" % (name, tag, f))
        cs = os.path.join(out, "%s.%s.%d.j2k" % (name, tag, f))
        dec = os.path.join(out, "%s.%s.%d.dec.rawl" % (name, tag, f))
        with open(rin, "wb") as fh:
            fh.write(planar.tobytes())
        fmt = "%d,%d,%d,%d,%s@%s" % (cols, rows, samples, stored, "s" if signed else "u", ":".join(["1x1"] * samples))
        run("opj_compress", "-i", rin, "-o", cs, "-F", fmt, "-n", "4", *(["-r", "12"] if lossy else []))
        run("opj_decompress", "-i", cs, "-o", dec)
        with open(cs, "rb") as fh:
            streams.append(fh.read())
        d = np.fromfile(dec, dtype=dt).astype(np.int64).reshape(samples, rows, cols).transpose(1, 2, 0)
        expected += (d & mask).astype("<u2" if wide else np.uint8).tobytes()
    comp = os.path.join(out, "%s.%s.dcm" % (name, tag))
    from pydicom.encaps import encapsulate
    ds = pydicom.dcmread(native_path)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.91" if lossy else "1.2.840.10008.1.2.4.90"
    if samples == 3:
        ds.PhotometricInterpretation = "YBR_ICT" if lossy else "YBR_RCT"
    ds.PixelData = encapsulate(streams, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.save_as(comp, write_like_original=False)
    if frames > 1:  # two fragments per frame and no offset table: frames found by their SOC marker
        ds.PixelData = encapsulate(streams, fragments_per_frame=2, has_bot=False)
        ds.save_as(comp.replace(".dcm", "-frag.dcm"), write_like_original=False)
    raw = os.path.join(out, "%s.%s.expected.raw" % (name, tag))
    with open(raw, "wb") as fh:
        fh.write(expected)
    return comp, raw


def voi_luts():
    """Two VOI LUT items: 4096 16-bit entries from 0 (entry i = 16 i, as US values), and 256
    8-bit entries in 16-bit words from 1000 (entry i = 255 - i, as OW), with explanations."""
    from pydicom.sequence import Sequence
    a, b = Dataset(), Dataset()
    a.add_new(0x00283002, "US", [0, 0, 16])  # 0 entries means 65536: see the second value below
    a[0x00283002].value = [4096, 0, 16]
    a.add_new(0x00283003, "LO", "RAMP")
    a.add_new(0x00283006, "US", [(16 * i) & 0xFFFF for i in range(4096)])
    b.add_new(0x00283002, "US", [256, 1000, 8])
    b.add_new(0x00283003, "LO", "INVERSE")
    b.add_new(0x00283006, "OW", np.array([255 - i for i in range(256)], dtype="<u2").tobytes())
    return Sequence([a, b])


def modality_lut():
    """A Modality LUT item: 4096 entries from 0, entry i = 4095 - i (16 bits)."""
    from pydicom.sequence import Sequence
    m = Dataset()
    m.add_new(0x00283002, "US", [4096, 0, 16])
    m.add_new(0x00283003, "LO", "FLIP")
    m.add_new(0x00283004, "LO", "US")
    m.add_new(0x00283006, "OW", np.array([4095 - i for i in range(4096)], dtype="<u2").tobytes())
    return Sequence([m])


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261130)
    kinds = [
        # name, rows, cols, frames, samples, alloc, stored, signed, photometric, planar, big-endian copy
        ("mono8", 48, 64, 1, 1, 8, 8, False, "MONOCHROME2", 0, False),
        ("mono12", 40, 52, 3, 1, 16, 12, False, "MONOCHROME2", 0, True),
        ("mono16", 33, 45, 1, 1, 16, 16, False, "MONOCHROME2", 0, True),
        ("signed12", 37, 41, 2, 1, 16, 12, True, "MONOCHROME2", 0, False),
        ("signed16", 30, 30, 1, 1, 16, 16, True, "MONOCHROME2", 0, False),
        ("mono1_12", 29, 31, 1, 1, 16, 12, False, "MONOCHROME1", 0, False),
        ("odd15", 17, 31, 1, 1, 16, 15, False, "MONOCHROME2", 0, False),
        ("rgb_p0", 24, 36, 2, 3, 8, 8, False, "RGB", 0, False),
        ("rgb_p1", 24, 36, 2, 3, 8, 8, False, "RGB", 1, False),
        ("ybr_full", 21, 35, 1, 3, 8, 8, False, "YBR_FULL", 0, False),
        ("tomo", 64, 64, 6, 1, 16, 14, False, "MONOCHROME2", 0, False),
        ("voilut12", 16, 16, 1, 1, 16, 12, False, "MONOCHROME2", 0, True),
    ]
    manifest = []
    for name, rows, cols, frames, samples, alloc, stored, signed, pi, planar, be in kinds:
        arr = image(rng, rows, cols, frames, samples, stored, signed)
        native = os.path.join(out, name + ".dcm")
        raw = os.path.join(out, name + ".raw")
        extra = None
        if name == "mono12":  # the VOI attributes the header reader must keep
            extra = {"WindowCenter": ["2000", "1000.5"], "WindowWidth": ["4000", "500"],
                     "WindowCenterWidthExplanation": ["NORMAL", "HARDER"],
                     "VOILUTFunction": "SIGMOID", "RescaleSlope": "2", "RescaleIntercept": "-1024.25"}
        if name == "voilut12":  # VOI LUT and Modality LUT Sequences (PS3.3 C.11.1, C.11.2)
            extra = {"VOILUTSequence": voi_luts(), "ModalityLUTSequence": modality_lut()}
        with open(raw, "wb") as fh:
            fh.write(write(native, arr, alloc, stored, signed, pi, planar, extra=extra))
        manifest.append((native, "-", raw, frames))
        if name in ("mono8", "mono12", "rgb_p1", "tomo"):  # deflated explicit VR little endian
            dfl = os.path.join(out, name + ".deflated.dcm")
            run("dcmconv", "+td", native, dfl)
            manifest.append((dfl, "-", raw, frames))
        if be:
            bep = os.path.join(out, name + ".be.dcm")
            write(bep, arr, alloc, stored, signed, pi, planar, big=True, extra=extra)
            manifest.append((bep, "-", raw, frames))
        variants = [("rle", ["dcmcrle"], "dcmdrle"),
                    ("rle-frag", ["dcmcrle", "+fs", "1", "-ot"], "dcmdrle")]
        if pi != "YBR_FULL":
            variants.append(("jll-sv1", ["dcmcjpeg", "+e1"], "dcmdjpeg"))
            variants.append(("jll-sv1-frag", ["dcmcjpeg", "+e1", "+fs", "1", "-ot"], "dcmdjpeg"))
        if name in ("mono12", "mono16", "signed12", "rgb_p0", "mono8"):
            for sv in range(2, 8):
                variants.append(("jll-sv%d" % sv, ["dcmcjpeg", "+el", "+sv", str(sv)], "dcmdjpeg"))
        if name in ("mono12", "mono16"):
            variants.append(("jll-sv1-pt2", ["dcmcjpeg", "+el", "+sv", "1", "+pt", "2"], "dcmdjpeg"))
            variants.append(("jll-sv7-pt3", ["dcmcjpeg", "+el", "+sv", "7", "+pt", "3"], "dcmdjpeg"))
        if pi != "YBR_FULL":
            variants.append(("jls", ["dcmcjpls"], "dcmdjpls"))
        if name in ("mono12", "rgb_p0", "mono8"):  # dcmcjpls refuses near-lossless signed data
            variants.append(("jls-near", ["dcmcjpls", "+en"], "dcmdjpls"))
        if name in ("rgb_p0", "rgb_p1"):
            variants.append(("jls-in", ["dcmcjpls", "+in"], "dcmdjpls"))
            variants.append(("jls-is", ["dcmcjpls", "+is"], "dcmdjpls"))
        if alloc == 8 and pi != "YBR_FULL":
            variants.append(("jpeg-baseline", ["dcmcjpeg", "+eb"], "dcmdjpeg"))
        if name in ("mono8", "mono12", "mono16", "signed12", "rgb_p0", "tomo"):
            for lossy in (False, True):
                comp, expect = j2k_frames(out, name, native, arr, stored, signed, pi, lossy)
                manifest.append((comp, "-", expect, frames))
                if frames > 1:
                    manifest.append((comp.replace(".dcm", "-frag.dcm"), "-", expect, frames))
                if not lossy:
                    manifest.append((comp, "-", raw, frames))  # lossless: the original pixels
        for tag, enc, dec in variants:
            comp = os.path.join(out, "%s.%s.dcm" % (name, tag))
            ref = os.path.join(out, "%s.%s.ref.dcm" % (name, tag))
            run(*enc, native, comp)
            run(dec, comp, ref)
            manifest.append((comp, ref, "-", frames))
    # restart markers (every row, every 3 rows) with selection values 1 and 6, from our encoder
    tomo = pydicom.dcmread(os.path.join(out, "tomo.dcm")).pixel_array
    for sv, every in ((1, 1), (6, 3), (7, 5)):
        frames = [(encode_lossless(tomo[i], 14, sv, every), sv) for i in range(tomo.shape[0])]
        comp = os.path.join(out, "tomo.jll-restart%d-sv%d.dcm" % (every, sv))
        ref = os.path.join(out, "tomo.jll-restart%d-sv%d.ref.dcm" % (every, sv))
        write_encapsulated(os.path.join(out, "tomo.dcm"), comp, frames)
        run("dcmdjpeg", comp, ref)
        manifest.append((comp, ref, "-", tomo.shape[0]))
        manifest.append((comp, "-", os.path.join(out, "tomo.raw"), tomo.shape[0]))
    with open(os.path.join(out, "MANIFEST"), "w") as fh:
        for comp, ref, raw, frames in manifest:
            fh.write("%s %s %s %d\n" % (comp, ref, raw, frames))


if __name__ == "__main__":
    main()
