#!/usr/bin/python3
"""Our DICOM reader agrees with dcmtk's dcmdump on every synthetic study file.

Runs tests/data/make-studies.sh into a temporary directory, then for each DICOM file compares
every attribute printed by our tests/tools/dicom_dump with the top-level value dcmdump shows.
Also checks the content sniffer's verdict on every other file the script makes.

Needs SECONDOP_BUILD_DIR (the meson build directory holding tests/tools/dicom_dump) and dcmtk.
Run: SECONDOP_BUILD_DIR=build /usr/bin/python3 tests/integration/test_dicom_dcmdump.py
"""
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
