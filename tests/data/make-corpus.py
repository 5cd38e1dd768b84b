#!/usr/bin/python3
"""Builds the DICOM intake corpus with pydicom (Debian's python3-pydicom) and the Debian tools.

Usage: tests/data/make-corpus.py OUTDIR   (prints OUTDIR; deterministic, rebuilds what it owns)

OUTDIR/
  charset/NN_*.dcm        one MG image per character-set case (every defined term of PS3.5
                          §6.1: single-byte, ISO 2022 code extensions, UTF-8, GB18030, GBK), the
                          patient's name in raw bytes of that set
  sop/*.dcm               one object per SOP class the portal names (images with pixel data,
                          presentation state, reports, CAD SR, PDF, key objects, RT, waveform),
                          a tomosynthesis volume of 60 frames, an image class without pixel data
  special/*.dcm           no preamble (implicit and explicit VR LE), sequences 64 levels deep,
                          native and encapsulated pixel data cut short, a header cut short,
                          an ACR-NEMA style date (1997.04.24)
  pydicom/*.dcm           pydicom's own test files (Expat licence, shipped by Debian) that dcmdump
                          reads: every transfer syntax pydicom has examples of, its character
                          set files
  packaging/*             zip in zip, iso in zip, a Mac-made zip, and one archive per refusal:
                          unsafe names (../, absolute), a link, too many entries (> 50), over the
                          ratio cap, nested three deep, damaged
  manifest.json           what intake must find in each generated file
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile

import warnings

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit,
                         PYDICOM_IMPLEMENTATION_UID)

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "tests/data/corpus")
ROOT = "2.25.3141592653589793238462643383279"
P = "1.2.840.10008.5.1.4.1.1."
ESC = b"\x1b"
manifest = {}

# ---- character sets: (Specific Character Set, raw PN bytes, UTF-8, the name read given name first) ----
# The page shows pn_display(UTF-8) (family name first, as the identity pages do).
# The same rule table as tests/unit/test_charset.c (PS3.5 Annex H, I, J examples).
JP_H31 = (b"Yamada^Tarou=" + ESC + b"$B;3ED" + ESC + b"(B^" + ESC + b"$BB@O:" + ESC + b"(B=" + ESC +
          b"$B$d$^$@" + ESC + b"(B^" + ESC + b"$B$?$m$&" + ESC + b"(B")
JP_H32 = (b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=" + ESC + b"$B;3ED" + ESC + b"(J^" + ESC + b"$BB@O:" + ESC +
          b"(J=" + ESC + b"$B$d$^$@" + ESC + b"(J^" + ESC + b"$B$?$m$&" + ESC + b"(J")
_x = "丂".encode("euc_jp")
CHARSETS = [
    ("", b"DOE^JANE", "DOE^JANE", "JANE DOE"),
    ("ISO_IR 6", b"DOE^JANE", "DOE^JANE", "JANE DOE"),
    ("ISO_IR 100", "Buc^Jérôme".encode("latin-1"), "Buc^Jérôme", "Jérôme Buc"),
    ("ISO_IR 101", "Wałęsa^Lech".encode("iso8859_2"), "Wałęsa^Lech", "Lech Wałęsa"),
    ("ISO_IR 109", "Ħaġar^Ċensu".encode("iso8859_3"), "Ħaġar^Ċensu", "Ċensu Ħaġar"),
    ("ISO_IR 110", "Ķēniņš^Ģirts".encode("iso8859_4"), "Ķēniņš^Ģirts", "Ģirts Ķēniņš"),
    ("ISO_IR 144", "Иванов^Иван".encode("iso8859_5"), "Иванов^Иван", "Иван Иванов"),
    ("ISO_IR 127", "قباني^لنزار".encode("iso8859_6"), "قباني^لنزار", "لنزار قباني"),
    ("ISO_IR 126", "Διονυσιος".encode("iso8859_7"), "Διονυσιος", "Διονυσιος"),
    ("ISO_IR 138", "שרון^דבורה".encode("iso8859_8"), "שרון^דבורה", "דבורה שרון"),
    ("ISO_IR 148", "Çelik^Şükrü".encode("iso8859_9"), "Çelik^Şükrü", "Şükrü Çelik"),
    ("ISO_IR 166", "สมชาย^ใจดี".encode("tis_620"), "สมชาย^ใจดี", "ใจดี สมชาย"),
    ("ISO_IR 13", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3", "ﾔﾏﾀﾞ^ﾀﾛｳ", "ﾀﾛｳ ﾔﾏﾀﾞ"),
    ("ISO 2022 IR 6", b"DOE^JANE", "DOE^JANE", "JANE DOE"),
    ("\\ISO 2022 IR 87", JP_H31, "Yamada^Tarou=山田^太郎=やまだ^たろう", "Tarou Yamada (山田 太郎)"),
    ("ISO 2022 IR 13\\ISO 2022 IR 87", JP_H32, "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", "ﾀﾛｳ ﾔﾏﾀﾞ (山田 太郎)"),
    ("\\ISO 2022 IR 159", b"Kou^Ichi=" + ESC + b"$(D" + bytes([_x[1] & 0x7F, _x[2] & 0x7F]) + ESC + b"(B^Ichi",
     "Kou^Ichi=丂^Ichi", "Ichi Kou (丂 Ichi)"),
    ("\\ISO 2022 IR 149", b"Hong^Gildong=" + ESC + b"$)C\xfb\xf3^" + ESC + b"$)C\xd1\xce\xd4\xd7=" + ESC +
     b"$)C\xc8\xab^" + ESC + b"$)C\xb1\xe6\xb5\xbf", "Hong^Gildong=洪^吉洞=홍^길동", "Gildong Hong (洪 吉洞)"),
    ("\\ISO 2022 IR 58", b"Zhang^XiaoDong=" + ESC + b"$)A\xd5\xc5^" + ESC + b"$)A\xd0\xa1\xb6\xab=",
     "Zhang^XiaoDong=张^小东=", "XiaoDong Zhang (张 小东)"),
    ("ISO_IR 192", "Wang^XiaoDong=王^小東=".encode(), "Wang^XiaoDong=王^小東=", "XiaoDong Wang (王 小東)"),
    ("GB18030", "Wang^XiaoDong=王^小东=".encode("gb18030"), "Wang^XiaoDong=王^小东=", "XiaoDong Wang (王 小东)"),
    ("GBK", "Wang^XiaoDong=王^小东=".encode("gbk"), "Wang^XiaoDong=王^小东=", "XiaoDong Wang (王 小东)"),
]
for term, codec, word, esc in [("100", "latin-1", "Jérôme", b"-A"), ("101", "iso8859_2", "Wałęsa", b"-B"),
                               ("109", "iso8859_3", "Ħaġar", b"-C"), ("110", "iso8859_4", "Ķēniņš", b"-D"),
                               ("144", "iso8859_5", "Иванов", b"-L"), ("127", "iso8859_6", "قباني", b"-G"),
                               ("126", "iso8859_7", "Διονυσιος", b"-F"), ("138", "iso8859_8", "שרון", b"-H"),
                               ("148", "iso8859_9", "Çelik", b"-M"), ("166", "tis_620", "สมชาย", b"-T")]:
    CHARSETS.append(("ISO 2022 IR 6\\ISO 2022 IR " + term, b"Name^" + ESC + esc + word.encode(codec),
                     "Name^" + word, word + " Name"))


def pn_display(pn):
    """The display form of a decoded name (server/dicom/charset.c, core/identity.c)."""
    if "^" not in pn and "=" not in pn:
        return pn.strip()
    shown = []
    for i, g in enumerate(pn.split("=")[:3]):
        c = [x.strip() for x in g.split("^")[:5]]
        fam, rest = c[0], " ".join(x for x in c[1:] if x)
        shown.append(fam + (", " if i == 0 else " ") + rest if fam and rest else fam + rest)
    shown = [x for x in shown if x]
    if not shown:
        return ""
    return shown[0] + (" (%s)" % ", ".join(shown[1:]) if len(shown) > 1 else "")


def uid(*parts):
    return ROOT + "." + ".".join(str(p) for p in parts)


def pixels16(rows, cols, frames=1):
    return struct.pack("<%dH" % (rows * cols * frames), *[(i * 37) % 4096 for i in range(rows * cols * frames)])


def dataset(sop_class, n, modality="MG", pixel=True, frames=1, rows=8, cols=8, charset=None, name=b"DOE^JANE",
            study=1, ts=ExplicitVRLittleEndian, birth="19700101", date="20240315"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid(study, 9, n)
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.is_little_endian = True
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    if charset is not None:
        ds.SpecificCharacterSet = charset.split("\\") if "\\" in charset else charset
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid(study, 9, n)
    ds.StudyDate = date
    ds.Modality = modality
    ds.Manufacturer = "SECONDOP CORPUS"
    ds.StudyDescription = "CORPUS"
    ds.SeriesDescription = "SERIES %d" % n
    # the name is written as a placeholder of the same length, then replaced by the raw bytes
    ds.PatientName = placeholder(name)
    ds.PatientID = "P%d" % study
    ds.PatientBirthDate = birth
    ds.PatientSex = "F"
    ds.StudyInstanceUID = uid(study)
    ds.SeriesInstanceUID = uid(study, n)
    if pixel:
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = rows
        ds.Columns = cols
        ds.BitsAllocated = 16
        ds.BitsStored = 12
        ds.HighBit = 11
        ds.PixelRepresentation = 0
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.PixelData = pixels16(rows, cols, frames)
    return ds, name


def placeholder(raw):
    n = len(raw) + (len(raw) & 1)
    return ("Zq" * n)[:n]


def save(ds_name, rel, **kw):
    ds, raw = ds_name
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, write_like_original=kw.get("like_original", False))
    data = buf.getvalue()
    ph = placeholder(raw).encode()
    padded = raw + (b" " if len(raw) & 1 else b"")
    assert data.count(ph) == 1, rel
    data = data.replace(ph, padded)
    with open(path, "wb") as f:
        f.write(data)
    return path


def expect(rel, **kw):
    manifest[rel] = kw


def make_charsets():
    for i, (cs, raw, utf8, _reading) in enumerate(CHARSETS):
        slug = (cs or "default").replace("\\", "+").replace(" ", "_") or "default"
        rel = "charset/%02d_%s.dcm" % (i, slug)
        save(dataset(P + "1.2", 100 + i, charset=cs if cs else None, name=raw, study=10 + i), rel)
        expect(rel, result="ok", name=utf8, display=pn_display(utf8), object_kind="image", frames=1,
               pixels="complete", charset=cs)


SOPS = [
    # (file, class, modality, pixel, frames, kind, words)
    ("mg_for_presentation", P + "1.2", "MG", True, 1, "image", "digital mammogram (for presentation)"),
    ("mg_for_processing", P + "1.2.1", "MG", True, 1, "image", "digital mammogram (for processing)"),
    ("breast_tomosynthesis", P + "13.1.3", "MG", True, 60, "image", "breast tomosynthesis"),
    ("breast_projection", P + "13.1.4", "MG", True, 1, "image", "breast projection X-ray (for presentation)"),
    ("ultrasound", P + "6.1", "US", True, 1, "image", "ultrasound"),
    ("enhanced_us_volume", P + "6.2", "US", True, 4, "image", "enhanced ultrasound volume"),
    ("mr", P + "4", "MR", True, 1, "image", "MR"),
    ("enhanced_mr", P + "4.1", "MR", True, 3, "image", "enhanced MR"),
    ("ct", P + "2", "CT", True, 1, "image", "CT"),
    ("secondary_capture", P + "7", "OT", True, 1, "image", "secondary capture"),
    ("sc_multiframe_byte", P + "7.2", "OT", True, 2, "image", "secondary capture (multi-frame, grayscale byte)"),
    ("sc_multiframe_word", P + "7.3", "OT", True, 2, "image", "secondary capture (multi-frame, grayscale word)"),
    ("grayscale_presentation_state", P + "11.1", "PR", False, 0, "presentation_state",
     "grayscale presentation state"),
    ("mammography_cad_sr", P + "88.50", "SR", False, 0, "cad_report", "mammography CAD report"),
    ("basic_text_sr", P + "88.11", "SR", False, 0, "report", "basic text report"),
    ("enhanced_sr", P + "88.22", "SR", False, 0, "report", "enhanced structured report"),
    ("comprehensive_sr", P + "88.33", "SR", False, 0, "report", "comprehensive structured report"),
    ("encapsulated_pdf", P + "104.1", "DOC", False, 0, "pdf", "PDF document"),
    ("key_object_selection", P + "88.59", "KO", False, 0, "key_objects", "key image note"),
    ("rt_structure_set", P + "481.3", "RTSTRUCT", False, 0, "rt", "radiotherapy structure set"),
    ("rt_plan", P + "481.5", "RTPLAN", False, 0, "rt", "radiotherapy plan"),
    ("ecg_waveform", P + "9.1.1", "ECG", False, 0, "waveform", "12-lead ECG"),
    ("mg_without_pixels", P + "1.2", "MG", False, 0, "other", "digital mammogram (for presentation)"),
]


def make_sops():
    for i, (f, cls, mod, pix, frames, kind, words) in enumerate(SOPS):
        ds, raw = dataset(cls, 200 + i, modality=mod, pixel=pix, frames=max(frames, 1), study=3)
        if cls == P + "104.1":
            ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
            ds.EncapsulatedDocument = b"%PDF-1.4\n%%EOF\n"
        if mod == "ECG":
            w = Dataset()
            w.NumberOfWaveformChannels = 1
            w.NumberOfWaveformSamples = 4
            w.SamplingFrequency = "500"
            w.WaveformBitsAllocated = 16
            w.WaveformSampleInterpretation = "SS"
            w.WaveformData = struct.pack("<4h", 1, 2, 3, 4)
            ds.WaveformSequence = Sequence([w])
        rel = "sop/%s.dcm" % f
        save((ds, raw), rel)
        expect(rel, result="ok", name="DOE^JANE", display="DOE, JANE", object_kind=kind, words=words,
               frames=frames if kind == "image" else 0, pixels="complete" if pix else "none")


def nest(depth):
    item = Dataset()
    item.CodeValue = "LEAF"
    for _ in range(depth - 1):
        outer = Dataset()
        outer.ContentSequence = Sequence([item])
        item = outer
    return Sequence([item])


def make_special():
    # no preamble, no meta: implicit and explicit VR little endian, as older CDs write them
    for ex in (0, 1):
        ds, raw = dataset(P + "1.2", 300 + ex, study=4, ts=ExplicitVRLittleEndian if ex else ImplicitVRLittleEndian)
        del ds.file_meta
        ds.preamble = None
        ds.is_implicit_VR = not ex
        rel = "special/no_preamble_%s.dcm" % ("explicit" if ex else "implicit")
        save((ds, raw), rel, like_original=True)
        expect(rel, result="ok", name="DOE^JANE", object_kind="image", frames=1, pixels="complete", no_preamble=1)
    # 64 levels of nested sequences
    ds, raw = dataset(P + "1.2", 310, study=4)
    ds.ContentSequence = nest(64)
    save((ds, raw), "special/deep_sequences_64.dcm")
    expect("special/deep_sequences_64.dcm", result="ok", name="DOE^JANE", object_kind="image", frames=1,
           pixels="complete")
    # native pixel data cut short (the header is whole)
    p = save(dataset(P + "1.2", 320, rows=64, cols=64, study=4), "special/pixels_cut_short.dcm")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:-1000])
    expect("special/pixels_cut_short.dcm", result="ok", object_kind="image", frames=1, pixels="incomplete")
    # encapsulated: two frames announced by the offset table, the file ends inside the second
    ds, raw = dataset(P + "1.2", 321, study=4, ts=JPEGBaseline8Bit, frames=2)
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelData = encapsulate([b"\xff\xd8" + b"\x11" * 300 + b"\xff\xd9", b"\xff\xd8" + b"\x22" * 300 + b"\xff\xd9"],
                               has_bot=True)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    p = save((ds, raw), "special/encapsulated_whole.dcm")
    data = open(p, "rb").read()
    expect("special/encapsulated_whole.dcm", result="ok", object_kind="image", frames=2, pixels="complete")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid(4, 9, 322)
    p = save((ds, raw), "special/encapsulated_cut_short.dcm")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:-200])
    expect("special/encapsulated_cut_short.dcm", result="ok", object_kind="image", frames=2, pixels="incomplete")
    # the header itself cut short: refused with the size in words
    p = save(dataset(P + "1.2", 330, study=4), "special/header_cut_short.dcm")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:300])
    expect("special/header_cut_short.dcm", result="refused", refusal="the file ends after 300 bytes: it was cut short while copying")
    # the patient's name after 3 MiB of private data: the header is read whatever its size
    ds, raw = dataset(P + "1.2", 350, study=4, name=b"DOE^LATE")
    ds.add_new(0x00090010, "LO", "SECONDOP PRIVATE")
    ds.add_new(0x00091000, "OB", b"\x5a" * (3 << 20))
    save((ds, raw), "special/name_after_3mib.dcm")
    expect("special/name_after_3mib.dcm", result="ok", name="DOE^LATE", display="DOE, LATE", object_kind="image",
           frames=1, pixels="complete")
    # a tomosynthesis volume of 1,200 small frames (thousands in the receipt)
    save(dataset(P + "13.1.3", 360, study=4, frames=1200, rows=4, cols=4), "special/tomo_1200_frames.dcm")
    expect("special/tomo_1200_frames.dcm", result="ok", name="DOE^JANE", object_kind="image", frames=1200,
           pixels="complete")
    # Latin-1 bytes without a Specific Character Set: the default repertoire cannot hold them
    save(dataset(P + "1.2", 370, study=4, name="M\u00fcller^Hans".encode("latin-1")), "special/undeclared_latin1.dcm")
    expect("special/undeclared_latin1.dcm", result="ok", name="M\ufffdller^Hans", replacements=1,
           object_kind="image", frames=1, pixels="complete")
    # an old ACR-NEMA style date
    save(dataset(P + "1.2", 340, study=5, birth="1970.01.01", date="1997.04.24"), "special/acr_nema_dates.dcm")
    expect("special/acr_nema_dates.dcm", result="ok", study_date="1997.04.24", study_date_display="1997-04-24",
           birth="1970.01.01", birth_display="1970-01-01", object_kind="image", frames=1, pixels="complete")


def dcmdump_ok(path):
    r = subprocess.run(["dcmdump", "-q", path], capture_output=True)
    return r.returncode == 0


def make_pydicom():
    base = os.path.join(os.path.dirname(pydicom.__file__), "data")
    out = os.path.join(OUT, "pydicom")
    os.makedirs(out, exist_ok=True)
    for sub in ("test_files", "charset_files"):
        d = os.path.join(base, sub)
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if not f.endswith(".dcm") or not os.path.isfile(p) or not dcmdump_ok(p):
                continue
            shutil.copyfile(p, os.path.join(out, f))


def zip_bytes(entries, compress=zipfile.ZIP_DEFLATED):
    """entries: (name, bytes) or (ZipInfo, bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def make_packaging():
    pk = os.path.join(OUT, "packaging")
    os.makedirs(pk, exist_ok=True)
    dcm = [open(os.path.join(OUT, "sop", f), "rb").read() for f in ("mg_for_presentation.dcm", "ultrasound.dcm")]
    inner = zip_bytes([("DICOM/IM1", dcm[0]), ("DICOM/IM2", dcm[1])])

    def w(name, data):
        open(os.path.join(pk, name), "wb").write(data)

    w("zip_in_zip.zip", zip_bytes([("export/study.zip", inner), ("export/readme.txt.pdf", b"%PDF-1.4\n%%EOF\n")]))
    # an ISO inside a ZIP
    iso_root = os.path.join(OUT, ".iso")
    os.makedirs(os.path.join(iso_root, "DICOM"), exist_ok=True)
    open(os.path.join(iso_root, "DICOM", "IM1"), "wb").write(dcm[0])
    open(os.path.join(iso_root, "DICOM", "IM2"), "wb").write(dcm[1])
    iso = os.path.join(OUT, ".cd.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, iso_root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w("iso_in_zip.zip", zip_bytes([("cd.iso", open(iso, "rb").read())]))
    # an ISO (Rock Ridge) holding a symbolic link next to an image
    os.symlink("/etc/passwd", os.path.join(iso_root, "DICOM", "LINK"))
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-o", os.path.join(pk, "link.iso"), iso_root],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # a Mac-made ZIP: resource forks and folder data next to the images
    w("mac.zip", zip_bytes([("study/IM1", dcm[0]), ("study/IM2", dcm[1]), ("__MACOSX/study/._IM1", b"\0\5\26\7" * 8),
                            ("__MACOSX/study/._IM2", b"\0\5\26\7" * 8), ("study/.DS_Store", b"\0\0\0\1Bud1" * 4),
                            ("study/._IM1", b"\0\5\26\7"), ("study/Thumbs.db", b"\xd0\xcf\x11\xe0"),
                            ("study/desktop.ini", b"[.ShellClassInfo]\r\n")]))
    # refusals inside an archive
    w("unsafe_names.zip", zip_bytes([("ok/IM1", dcm[0]), ("../evil.dcm", dcm[1]), ("/etc/evil.dcm", dcm[1])]))
    link = zipfile.ZipInfo("study/link-to-passwd")
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    w("link.zip", zip_bytes([("study/IM1", dcm[0]), (link, b"/etc/passwd")]))
    w("too_many_entries.zip", zip_bytes([("f%03d.txt" % i, b"x") for i in range(60)], zipfile.ZIP_STORED))
    w("ratio.zip", zip_bytes([("zeros.bin", b"\0" * (300 << 20))]))
    w("three_deep.zip", zip_bytes([("a/middle.zip", zip_bytes([("b/innermost.zip", inner), ("b/IM2", dcm[1])]))]))
    good = zip_bytes([("DICOM/IM1", dcm[0]), ("DICOM/IM2", dcm[1])], zipfile.ZIP_STORED)
    w("damaged.zip", good[: len(good) * 2 // 3])
    w("damaged_inner.zip", zip_bytes([("cd/damaged.zip", good[: len(good) * 2 // 3]), ("cd/IM2", dcm[1])]))


def main():
    warnings.simplefilter("ignore")
    for d in ("charset", "sop", "special", "pydicom", "packaging", ".iso"):
        shutil.rmtree(os.path.join(OUT, d), ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    make_charsets()
    make_sops()
    make_special()
    make_pydicom()
    make_packaging()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
    print(OUT)


if __name__ == "__main__":
    main()
