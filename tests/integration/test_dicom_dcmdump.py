#!/usr/bin/python3
"""Our DICOM reader agrees with dcmtk's dcmdump on every synthetic study file.

Runs tests/data/make-studies.sh into a temporary directory, then for each DICOM file compares
every attribute printed by our tests/tools/dicom_dump with the top-level value dcmdump shows.
Also checks the content sniffer's verdict on every other file the script makes.

Needs SECONDOP_BUILD_DIR (the meson build directory holding tests/tools/dicom_dump) and dcmtk.
Run: SECONDOP_BUILD_DIR=build /usr/bin/python3 tests/integration/test_dicom_dcmdump.py
"""
import json
import os
import re
import subprocess
import tempfile
import unittest
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAKE_STUDIES = REPO / "tests" / "data" / "make-studies.sh"

# dicom_dump key -> DICOM tag(s) as dcmdump prints them; the first present one wins.
KEYS = {
    "TransferSyntaxUID": ["0002,0010"],
    "SOPClassUID": ["0008,0016"],
    "SOPInstanceUID": ["0008,0018"],
    "StudyInstanceUID": ["0020,000d"],
    "SeriesInstanceUID": ["0020,000e"],
    "Modality": ["0008,0060"],
    "ImageLaterality": ["0020,0062", "0020,0060"],
    "ViewPosition": ["0018,5101"],
    "StudyDate": ["0008,0020"],
    "StudyDescription": ["0008,1030"],
    "SeriesDescription": ["0008,103e"],
    "PatientName": ["0010,0010"],
    "PatientBirthDate": ["0010,0030"],
    "Manufacturer": ["0008,0070"],
}
MG_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
LINE = re.compile(r"^\(([0-9a-f]{4},[0-9a-f]{4})\) [A-Za-z?]{2} (?:\[(.*)\]|\(no value available\))\s+#")


def dcmdump_top_level(path):
    """Top-level (unindented) element values of a file according to dcmdump."""
    out = subprocess.run(["dcmdump", "-Un", "+L", "-M", str(path)], check=True,
                         capture_output=True, text=True, errors="replace").stdout
    values = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m and m.group(1) not in values:
            values[m.group(1)] = (m.group(2) or "").rstrip(" \0")
    return values


def dicom_dump(binary, paths):
    """Runs our dicom_dump; returns {path: {KEY: VALUE}}."""
    proc = subprocess.run([str(binary)] + [str(p) for p in paths], capture_output=True,
                          text=True, errors="replace")
    result, cur = {}, None
    for line in proc.stdout.splitlines():
        if not line:
            continue
        key, _, value = line.partition("=")
        if key == "FILE":
            cur = result.setdefault(value, {})
        cur[key] = value
    return result


class DicomAgainstDcmdump(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build = os.environ.get("SECONDOP_BUILD_DIR")
        if not build:
            raise RuntimeError("set SECONDOP_BUILD_DIR to the meson build directory")
        candidates = [Path(build).resolve() / "tests" / "tools" / "dicom_dump",
                      Path(build).resolve() / "tests" / "dicom_dump"]
        cls.binary = next((p for p in candidates if p.is_file()), None)
        if cls.binary is None:
            raise RuntimeError(f"dicom_dump not built (looked for {candidates[0]})")
        cls.tmp = tempfile.TemporaryDirectory(prefix="secondop-dicom-")
        out = subprocess.run(["sh", str(MAKE_STUDIES), cls.tmp.name], check=True,
                             capture_output=True, text=True).stdout.strip()
        cls.out = Path(out)
        cls.dicom_files = sorted(p for p in cls.out.rglob("*")
                                 if p.is_file() and (p.suffix == ".dcm" or p.name.startswith("IM")))
        cls.ours = dicom_dump(cls.binary, cls.dicom_files + sorted(p for p in cls.out.rglob("*")
                                                                  if p.is_file() and p not in cls.dicom_files))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_generator_made_the_expected_files(self):
        names = {str(p.relative_to(self.out)) for p in self.out.rglob("*") if p.is_file()}
        for want in ["study1/R_CC.dcm", "study1/L_MLO.dcm", "variants/R_CC_implicit.dcm",
                     "variants/L_CC_big.dcm", "variants/R_MLO_jpeg.dcm",
                     "variants/L_MLO_deflate.dcm", "prior/R_CC.dcm", "other/L_CC.dcm",
                     "cd/DICOMDIR", "cd/DICOM/ST000001/SE000001/IM000004",
                     "cd/DICOM/ST000002/SE000001/IM000001", "cd/VIEWER.EXE", "cd/AUTORUN.INF",
                     "cd.zip", "cd.iso", "report.pdf", "screenshot.png", "junk.bin", "true.elf"]:
            self.assertIn(want, names)
        with zipfile.ZipFile(self.out / "cd.zip") as z:
            self.assertIn("cd/DICOMDIR", z.namelist())
            self.assertIn("cd/DICOM/ST000001/SE000001/IM000001", z.namelist())
        self.assertEqual(len(self.dicom_files), 22)

    def test_every_attribute_matches_dcmdump(self):
        compared = 0
        for path in self.dicom_files:
            ours = self.ours[str(path)]
            ref = dcmdump_top_level(path)
            with self.subTest(file=str(path.relative_to(self.out))):
                self.assertEqual(ours["RESULT"], "ok", ours.get("ERROR"))
                self.assertEqual(ours["HasPixelData"], "1")
                for key, tags in KEYS.items():
                    want = next((ref[t] for t in tags if t in ref), "")
                    self.assertEqual(ours[key].strip(), want.strip(), f"{key} {tags}")
                    compared += bool(want)  # the generator sets every attribute
        self.assertEqual(compared, len(self.dicom_files) * len(KEYS))

    def test_synthetic_studies_have_the_promised_content(self):
        def get(rel):
            return self.ours[str(self.out / rel)]
        for rel in ["study1/R_CC.dcm", "variants/L_MLO_deflate.dcm", "prior/L_CC.dcm"]:
            self.assertEqual(get(rel)["PatientName"], "DOE^JANE")
            self.assertEqual(get(rel)["PatientBirthDate"], "19700101")
            self.assertEqual(get(rel)["Modality"], "MG")
            self.assertEqual(get(rel)["SOPClassUID"], MG_FOR_PRESENTATION)
        views = {(get(f"study1/{v}.dcm")["ImageLaterality"], get(f"study1/{v}.dcm")["ViewPosition"])
                 for v in ["R_CC", "R_MLO", "L_CC", "L_MLO"]}
        self.assertEqual(views, {("R", "CC"), ("R", "MLO"), ("L", "CC"), ("L", "MLO")})
        self.assertNotEqual(get("prior/R_CC.dcm")["StudyInstanceUID"],
                            get("study1/R_CC.dcm")["StudyInstanceUID"])
        self.assertEqual(get("prior/R_CC.dcm")["StudyDate"], "20220310")
        self.assertEqual(get("other/R_CC.dcm")["PatientName"], "ROE^RICHARD")
        self.assertNotEqual(get("other/R_CC.dcm")["PatientBirthDate"], "19700101")
        ts = {get(f"variants/{v}.dcm")["TransferSyntaxUID"] for v in
              ["R_CC_implicit", "L_CC_big", "R_MLO_jpeg", "L_MLO_deflate"]}
        self.assertEqual(ts, {"1.2.840.10008.1.2", "1.2.840.10008.1.2.2",
                              "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.1.99"})

    def test_sniffer_names_every_file_kind(self):
        want = {"cd/DICOMDIR": "dicomdir", "study1/R_CC.dcm": "dicom",
                "variants/R_MLO_jpeg.dcm": "dicom", "cd/DICOM/ST000001/SE000001/IM000001": "dicom",
                "cd/VIEWER.EXE": "executable", "cd/AUTORUN.INF": "autorun", "cd.zip": "zip",
                "cd.iso": "iso9660", "report.pdf": "pdf", "screenshot.png": "png",
                "junk.bin": "unknown", "true.elf": "executable"}
        for rel, kind in want.items():
            with self.subTest(file=rel):
                self.assertEqual(self.ours[str(self.out / rel)]["SNIFF"], kind)
        self.assertEqual(self.ours[str(self.out / "cd/DICOMDIR")]["RESULT"], "ok")
        self.assertEqual(self.ours[str(self.out / "junk.bin")]["RESULT"], "not-dicom")


# ---- the intake corpus (tests/data/make-corpus.py): generated files and pydicom's own ----

MAKE_CORPUS = REPO / "tests" / "data" / "make-corpus.py"
# dicom_dump key -> tag, compared on every corpus file where dcmdump gives the value
CORPUS_KEYS = {
    "SOPClassUID": "0008,0016", "SOPInstanceUID": "0008,0018", "StudyInstanceUID": "0020,000d",
    "SeriesInstanceUID": "0020,000e", "Modality": "0008,0060", "StudyDate": "0008,0020",
    "PatientBirthDate": "0010,0030", "PatientName": "0010,0010", "PatientSex": "0010,0040",
    "Rows": "0028,0010", "Columns": "0028,0011", "NumberOfFrames": "0028,0008",
}
ANY_LINE = re.compile(r"^\(([0-9a-f]{4},[0-9a-f]{4})\) [A-Za-z?]{2} (?:\[(.*?)\]|\(no value available\)|(\S+))\s+#")
# Files dcmdump reads that we refuse on purpose, with the reason.
KNOWN_REFUSALS = {
    "meta_missing_tsyntax.dcm": "meta group without a transfer syntax, followed by group 0001: no data set we can "
                                "determine the encoding of",
}
# Values where we differ from dcmdump on purpose, in pydicom's deliberately odd files.
KNOWN_DIFFERENCES = {
    ("badVR.dcm", "NumberOfFrames"): "the IS value '1A' counts as 1 frame (dcmdump prints the bytes)",
}

HEX_BYTES = re.compile(r"^[0-9a-f]{2}(\\[0-9a-f]{2})+$")


def dcmdump_values(path):
    """Top-level values per dcmdump; names converted to UTF-8 where dcmtk's iconv build can
    (it cannot convert ISO 2022 IR 87/159 nor a lone ISO 2022 IR 6: then names is False)."""
    r = subprocess.run(["dcmdump", "-q", "-Un", "+L", "-M", "+U8", str(path)], capture_output=True, text=True,
                       errors="replace")
    names = r.returncode == 0
    if not names:
        r = subprocess.run(["dcmdump", "-q", "-Un", "+L", "-M", str(path)], capture_output=True, text=True,
                           errors="replace")
    values = {}
    for line in r.stdout.splitlines():
        m = ANY_LINE.match(line)
        if m and m.group(1) not in values:
            v = m.group(2) if m.group(2) is not None else (m.group(3) or "")
            if HEX_BYTES.match(v):  # a value stored with VR UN: dcmdump prints its bytes
                v = bytes.fromhex(v.replace("\\", "")).decode("latin-1")
            values[m.group(1)] = v.rstrip(" \0")
    return values, names


class CorpusAgainstDcmdump(unittest.TestCase):
    """Every file of the intake corpus: what we read agrees with dcmdump, and the generated files
    give what the manifest promises (names decoded from every character set, object kinds,
    frames, complete or incomplete pixel data, files without preamble)."""

    @classmethod
    def setUpClass(cls):
        build = Path(os.environ["SECONDOP_BUILD_DIR"]).resolve()
        cls.binary = build / "tests" / "dicom_dump"
        cls.tmp = tempfile.TemporaryDirectory(prefix="secondop-corpus-")
        out = subprocess.run(["/usr/bin/python3", str(MAKE_CORPUS), cls.tmp.name], check=True, capture_output=True,
                             text=True).stdout.strip()
        cls.out = Path(out)
        cls.manifest = json.loads((cls.out / "manifest.json").read_text())
        cls.files = sorted(p for p in cls.out.rglob("*.dcm") if p.is_file())
        cls.ours = dicom_dump(cls.binary, cls.files)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_corpus_size(self):
        self.assertGreaterEqual(len(self.files), 120)
        self.assertGreaterEqual(len([f for f in self.files if f.parent.name == "charset"]), 32)
        print("\ncorpus: %d DICOM files (%d generated, %d from pydicom)" % (
            len(self.files), len(self.manifest), len([f for f in self.files if f.parent.name == "pydicom"])))

    def test_values_agree_with_dcmdump(self):
        compared = files = 0
        for path in self.files:
            rel = str(path.relative_to(self.out))
            if rel in self.manifest and self.manifest[rel]["result"] != "ok":
                continue
            ref, names = dcmdump_values(path)
            if not ref:
                continue  # dcmdump cannot read it either
            ours = self.ours[str(path)]
            with self.subTest(file=rel):
                if path.name in KNOWN_REFUSALS:
                    self.assertNotEqual(ours["RESULT"], "ok")
                    continue
                self.assertEqual(ours["RESULT"], "ok", ours.get("ERROR"))
                files += 1
                for key, tag in CORPUS_KEYS.items():
                    if tag not in ref or (key == "PatientName" and not names):
                        continue
                    if (path.name, key) in KNOWN_DIFFERENCES:
                        continue
                    want = ref[tag].strip()
                    got = ours[key].strip()
                    if key == "NumberOfFrames" and want == "":
                        want = "0"
                    self.assertEqual(got, want, "%s (%s)" % (key, tag))
                    compared += 1
        print("\ndcmdump agreement: %d values in %d files" % (compared, files))
        self.assertGreater(files, 100)

    def test_generated_files_as_promised(self):
        for rel, want in sorted(self.manifest.items()):
            ours = self.ours[str(self.out / rel)]
            with self.subTest(file=rel):
                if want["result"] != "ok":
                    self.assertEqual(ours["RESULT"], "malformed")
                    continue
                self.assertEqual(ours["RESULT"], "ok", ours.get("ERROR"))
                if "name" in want:
                    self.assertEqual(ours["PatientName"], want["name"])
                    self.assertEqual(ours["Replacements"], str(want.get("replacements", 0)))
                if "display" in want:
                    self.assertEqual(ours["NameDisplay"], want["display"])
                for key, field in (("object_kind", "ObjectKind"), ("frames", "Frames"), ("pixels", "Pixels"),
                                   ("no_preamble", "NoPreamble"), ("words", "SopClassWords"),
                                   ("study_date", "StudyDate"), ("birth", "PatientBirthDate")):
                    if key in want:
                        self.assertEqual(ours[field], str(want[key]), key)

    def test_pydicom_charset_files(self):
        want = {"chrH31.dcm": "Yamada^Tarou=山田^太郎=やまだ^たろう", "chrH32.dcm": "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
                "chrI2.dcm": "Hong^Gildong=洪^吉洞=홍^길동", "chrX1.dcm": "Wang^XiaoDong=王^小東=",
                "chrX2.dcm": "Wang^XiaoDong=王^小东=", "chrFren.dcm": "Buc^Jérôme", "chrGerm.dcm": "Äneas^Rüdiger",
                "chrGreek.dcm": "Διονυσιος", "chrHbrw.dcm": "שרון^דבורה", "chrArab.dcm": "قباني^لنزار",
                "chrRuss.dcm": "Люкceмбypг"}
        for f, name in want.items():
            with self.subTest(file=f):
                self.assertEqual(self.ours[str(self.out / "pydicom" / f)]["PatientName"], name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
