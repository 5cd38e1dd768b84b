#!/usr/bin/python3
"""Writes a synthetic 4-view mammography study (and a prior RCC, and a
3-frame image) whose orientation can be checked from pixels, for the viewer's
browser test (tests/e2e/viewer.test.mjs).

Each image, as a radiologist should see it (right breast: chest wall on the
right edge; left breast: chest wall on the left edge; CC lateral side up, MLO
head up), has a bright bar (4000) along the chest wall, tissue (about 1500)
fading toward the nipple, air (0), and a bright square (3500) in the upper
corner at the chest wall, so that a horizontal and a vertical flip are both
visible. Some files are stored flipped, with the Patient Orientation (0020,0020)
that says so, and the viewer must undo it:
  RCC  stored nipple-right          "A\\L"  (viewer flips horizontally)
  LCC  stored as displayed          "A\\R"
  RMLO stored as displayed          "P\\F"
  LMLO stored upside down           "A\\H"  (viewer flips vertically)
R_ML_JPEG12.dcm is 12-bit extended JPEG (dcmcjpeg +ee), which the server
cannot decode: its viewport must say so. Imager Pixel Spacing 0.1 mm: the chest-wall bar is 40 mm long between its
marks. Usage: make-viewer-study.py OUTDIR
"""
import os
import subprocess
import sys

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ROWS, COLS = 320, 240
MG = "1.2.840.10008.5.1.4.1.1.1.2"
TOMO = "1.2.840.10008.5.1.4.1.1.13.1.3"


def displayed_right():
    """The right breast as displayed: chest wall at the right edge."""
    y, x = np.mgrid[0:ROWS, 0:COLS]
    img = np.zeros((ROWS, COLS), dtype=np.uint16)
    # tissue: a half-disc centred on the chest wall
    d = np.hypot(x - (COLS - 1), y - ROWS / 2)
    tissue = d < COLS * 0.9
    img[tissue] = (1500 - d[tissue] * 3).clip(400, 1500).astype(np.uint16)
    img[:, COLS - 12:] = 4000                      # the chest wall bar
    img[8:40, COLS - 60:COLS - 20] = 3500          # the upper marker
    return img


def dataset(path, pixels, lat, view, orient, study_uid, date, series_uid, inst, frames=1, sop=MG):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = date
    ds.SeriesDate = date
    ds.ContentDate = date
    ds.StudyTime = "101500"
    ds.AccessionNumber = "A" + date
    ds.Modality = "MG"
    ds.StudyDescription = "MAMMO SCREENING" if frames == 1 else "TOMO"
    ds.SeriesDescription = "Screening views" if frames == 1 else "Tomosynthesis"
    ds.PatientName = "DOE^JANE"
    ds.PatientID = "PID-1"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.StudyID = "1"
    ds.SeriesNumber = 1 if frames == 1 else 2
    ds.InstanceNumber = inst
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.ImageLaterality = lat
    ds.Laterality = lat
    ds.ViewPosition = view
    code = {"CC": ("399162004", "cranio-caudal"), "MLO": ("399368009", "medio-lateral oblique"),
            "ML": ("399260004", "medio-lateral")}[view]
    vc = Dataset()
    vc.CodeValue, vc.CodingSchemeDesignator, vc.CodeMeaning = code[0], "SCT", code[1]
    ds.ViewCodeSequence = Sequence([vc])
    ds.PatientOrientation = orient.split("\\")
    ds.ImagerPixelSpacing = [0.1, 0.1]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = ROWS, COLS
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, 0, "US"
    ds.WindowCenter = [2048, 1200]
    ds.WindowWidth = [4096, 1600]
    ds.WindowCenterWidthExplanation = ["FULL", "TISSUE"]
    ds.VOILUTFunction = "LINEAR"
    ds.BurnedInAnnotation = "NO"
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = pixels.astype("<u2").tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


def main(out):
    os.makedirs(out, exist_ok=True)
    right = displayed_right()
    left = right[:, ::-1]
    cur, prior = generate_uid(), generate_uid()
    se, se_prior = generate_uid(), generate_uid()
    dataset(os.path.join(out, "R_CC.dcm"), right[:, ::-1], "R", "CC", "A\\L", cur, "20261102", se, 1)
    dataset(os.path.join(out, "L_CC.dcm"), left, "L", "CC", "A\\R", cur, "20261102", se, 2)
    dataset(os.path.join(out, "R_MLO.dcm"), right, "R", "MLO", "P\\F", cur, "20261102", se, 3)
    dataset(os.path.join(out, "L_MLO.dcm"), left[::-1, :], "L", "MLO", "A\\H", cur, "20261102", se, 4)
    dataset(os.path.join(out, "PRIOR_R_CC.dcm"), right, "R", "CC", "P\\L", prior, "20241015", se_prior, 1)
    # three frames, each with its frame number as a row of bright squares
    frames = []
    for f in range(3):
        fr = right.copy()
        for k in range(f + 1):
            fr[ROWS - 40:ROWS - 20, 20 + 30 * k:40 + 30 * k] = 3800
        frames.append(fr)
    dataset(os.path.join(out, "TOMO_R_CC.dcm"), np.stack(frames), "R", "CC", "P\\L", cur, "20261102",
            generate_uid(), 5, frames=3)
    # an R ML view stored as 12-bit extended JPEG, which the server cannot decode
    raw = os.path.join(out, ".R_ML_raw.dcm")
    dataset(raw, right, "R", "ML", "P\\F", cur, "20261102", generate_uid(), 6)
    subprocess.run(["dcmcjpeg", "+ee", raw, os.path.join(out, "R_ML_JPEG12.dcm")], check=True)
    os.remove(raw)


if __name__ == "__main__":
    main(sys.argv[1])
