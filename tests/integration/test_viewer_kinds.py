"""Renditions of every kind of image the decoders take (issue 13 item 1), end to end: a file
made with pydicom (tests/data/gen_pixels.py) is uploaded, the render job prepares it in its
child, and the frames endpoint answers every frame's stored values bit for bit (samples
interleaved, little-endian, signed ones sign-extended):
8-bit, signed 12- and 16-bit, MONOCHROME1, RGB with planar configuration 1 (served
interleaved), YBR_FULL (served as RGB), and a multi-frame volume frame by frame. The listing
says what the viewer needs to show each one, and the preview is a PNG of the right kind."""
import os
import struct
import sys
import tempfile
import zlib

import numpy as np

import harness
from records_helpers import new_patient_with_request, upload_path
from test_viewer_api import png_size, wait_state

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import gen_pixels  # noqa: E402

# name, rows, cols, frames, samples, bits allocated, bits stored, signed, photometric, planar
KINDS = [
    ("mono8", 48, 64, 1, 1, 8, 8, False, "MONOCHROME2", 0),
    ("signed12", 37, 41, 2, 1, 16, 12, True, "MONOCHROME2", 0),
    ("signed16", 30, 30, 1, 1, 16, 16, True, "MONOCHROME2", 0),
    ("mono1_12", 29, 31, 1, 1, 16, 12, False, "MONOCHROME1", 0),
    ("rgb_p1", 24, 36, 2, 3, 8, 8, False, "RGB", 1),
    ("ybr_full", 21, 35, 1, 3, 8, 8, False, "YBR_FULL", 0),
    ("tomo", 64, 64, 6, 1, 16, 14, False, "MONOCHROME2", 0),
    ("voilut12", 16, 16, 1, 1, 16, 12, False, "MONOCHROME2", 0),
    ("voionly12", 16, 16, 1, 1, 16, 12, False, "MONOCHROME2", 0),
    ("tomo_groups", 32, 32, 3, 1, 16, 12, False, "MONOCHROME2", 0),
]
# the lookup tables of gen_pixels.voi_luts() and .modality_lut()
RAMP = {"first": 0, "bits": 16, "explanation": "RAMP", "table": [(16 * i) & 0xFFFF for i in range(4096)]}
INVERSE = {"first": 1000, "bits": 8, "explanation": "INVERSE", "table": [255 - i for i in range(256)]}
FLIP = {"first": 0, "bits": 16, "explanation": "FLIP", "table": [4095 - i for i in range(4096)]}


def functional_groups():
    """An enhanced object's window, function, spacing and rescale: shared by every frame, and
    per frame (which the shared group outranks)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    def group(center, width, spacing):
        g, v, m = Dataset(), Dataset(), Dataset()
        v.WindowCenter, v.WindowWidth, v.WindowCenterWidthExplanation = center, width, "NORMAL"
        v.VOILUTFunction = "SIGMOID"
        m.SliceThickness, m.PixelSpacing = "1", spacing
        g.FrameVOILUTSequence, g.PixelMeasuresSequence = Sequence([v]), Sequence([m])
        return g
    return {"SharedFunctionalGroupsSequence": Sequence([group("2000", "4000", ["0.085", "0.085"])]),
            "PerFrameFunctionalGroupsSequence": Sequence([group("100", "50", ["0.5", "0.5"]) for _ in range(3)])}


EXTRA = {"voilut12": lambda: {"VOILUTSequence": gen_pixels.voi_luts(), "ModalityLUTSequence": gen_pixels.modality_lut()},
         "voionly12": lambda: {"VOILUTSequence": gen_pixels.voi_luts()},
         "tomo_groups": functional_groups}


def png_grey(body):
    """The grey pixels of a preview PNG (8-bit, filter none on every row, as the server writes)."""
    w, h, ctype = png_size(body)
    assert ctype == 0
    pos, idat = 8, b""
    while pos < len(body):
        (n,) = struct.unpack(">I", body[pos:pos + 4])
        if body[pos + 4:pos + 8] == b"IDAT":
            idat += body[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows = [raw[y * (w + 1):(y + 1) * (w + 1)] for y in range(h)]
    assert all(r[0] == 0 for r in rows)
    return np.frombuffer(b"".join(r[1:] for r in rows), dtype=np.uint8).reshape(h, w)


def lut_at(lut, x):
    i = min(max(int(np.floor(x)) - lut["first"], 0), len(lut["table"]) - 1)
    return lut["table"][i]


def ybr_full_to_rgb(canon):
    """PS3.3 C.7.6.3.1.2, rounded half up and clamped as the server does."""
    a = np.frombuffer(canon, dtype=np.uint8).reshape(-1, 3).astype(np.float64)
    y, cb, cr = a[:, 0], a[:, 1] - 128.0, a[:, 2] - 128.0
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=1)
    return np.clip(np.floor(rgb + 0.5), 0, 255).astype(np.uint8).tobytes()


class ViewerKindsTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        tmp = tempfile.mkdtemp(prefix="sop-kinds-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        rng = np.random.default_rng(20261130)
        cls.expected = {}
        for name, rows, cols, frames, samples, alloc, stored, signed, pi, planar in KINDS:
            arr = gen_pixels.image(rng, rows, cols, frames, samples, stored, signed)
            path = os.path.join(tmp, name + ".dcm")
            extra = EXTRA[name]() if name in EXTRA else None
            canon = gen_pixels.write(path, arr, alloc, stored, signed, pi, planar, extra=extra)
            if pi == "YBR_FULL":
                canon = ybr_full_to_rgb(canon)
            if signed:  # served sign-extended to the sample's width
                canon = arr.astype("<i2" if alloc == 16 else "i1").tobytes()
            per = len(canon) // frames
            cls.expected[name + ".dcm"] = [canon[i * per:(i + 1) * per] for i in range(frames)]
            if name in EXTRA:
                cls.stored = {**getattr(cls, "stored", {}), name: arr[0, :, :, 0]}
            upload_path(cls.pc, cls.rid, path)

    def test_every_frame_of_every_kind_bit_for_bit(self):
        ims = wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        for name, rows, cols, frames, samples, alloc, stored, signed, pi, planar in KINDS:
            im = ims[name + ".dcm"]
            self.assertEqual(im["state"], "ready", im)
            for n in range(frames):
                r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/%d" % (self.rid, im["document"], n))
                self.assertEqual(r.status, 200, (name, n))
                self.assertEqual((r.header("X-Rows"), r.header("X-Columns"), r.header("X-Samples"),
                                  r.header("X-Bytes-Per-Sample")),
                                 (str(rows), str(cols), str(samples), "1" if alloc == 8 else "2"), name)
                self.assertEqual(r.body, self.expected[name + ".dcm"][n], "%s frame %d" % (name, n))
            r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/%d" % (self.rid, im["document"], frames))
            self.assertEqual(r.status, 404, name)

    def test_listing_says_how_to_show_each_kind(self):
        ims = wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        for name, rows, cols, frames, samples, alloc, stored, signed, pi, planar in KINDS:
            info = ims[name + ".dcm"]
            got = {k: info.get(k) for k in ("rows", "columns", "frames", "samples", "bits_allocated",
                                            "bits_stored", "signed", "photometric")}
            want = {"rows": rows, "columns": cols, "frames": frames, "samples": samples, "bits_allocated": alloc,
                    "bits_stored": stored, "signed": signed, "photometric": "RGB" if samples == 3 else pi}
            self.assertEqual(got, want, name)

    def test_previews_are_pngs_of_each_kind(self):
        ims = wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        for name, rows, cols, frames, samples, alloc, stored, signed, pi, planar in KINDS:
            r = self.pc.get("/api/v1/requests/%d/documents/%d/preview" % (self.rid, ims[name + ".dcm"]["document"]))
            self.assertEqual(r.status, 200, name)
            self.assertEqual(png_size(r.body), (cols, rows, 2 if samples == 3 else 0), name)

    def test_lookup_tables_go_to_the_viewer(self):
        ims = wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        both, voi = ims["voilut12.dcm"], ims["voionly12.dcm"]
        self.assertEqual(both["modality_lut"], FLIP)
        self.assertEqual(both["voi_luts"], [RAMP, INVERSE])
        self.assertIsNone(voi["modality_lut"])
        self.assertEqual(voi["voi_luts"], [RAMP, INVERSE])
        # a file without tables gets neither key
        self.assertNotIn("voi_luts", ims["mono8.dcm"])

    def test_enhanced_objects_window_and_spacing_from_their_functional_groups(self):
        im = wait_state(self.pc, self.rid, len(KINDS), timeout=90)["tomo_groups.dcm"]
        self.assertEqual(im["windows"], [{"center": 2000, "width": 4000, "explanation": "NORMAL"}])
        self.assertEqual(im["voi_function"], "SIGMOID")
        self.assertEqual((im["spacing_mm"], im["spacing_source"]), ([0.085, 0.085], "Pixel Spacing"))

    def test_preview_follows_the_files_lookup_tables(self):
        """No window in these files: the preview goes through the Modality LUT (when there is
        one) and the first VOI LUT, scaled from its bits to 0..255 (rounded half up)."""
        ims = wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        for name, modality in (("voilut12", FLIP), ("voionly12", None)):
            r = self.pc.get("/api/v1/requests/%d/documents/%d/preview" % (self.rid, ims[name + ".dcm"]["document"]))
            self.assertEqual(r.status, 200, name)
            got = png_grey(r.body)
            want = np.zeros_like(got)
            for (y, x), v in np.ndenumerate(self.stored[name]):
                m = lut_at(modality, v) if modality else v
                want[y, x] = int(np.floor(lut_at(RAMP, m) * 255 / 65535 + 0.5))
            self.assertTrue(np.array_equal(got, want), "%s: %s != %s" % (name, got[:2], want[:2]))

    def test_a_third_opinion_shows_the_same_images(self):
        """The records a third opinion reuses are images to the viewer as they were to the first."""
        wait_state(self.pc, self.rid, len(KINDS), timeout=90)
        self.sql("UPDATE requests SET status = 'report_ready' WHERE id = %s", self.rid)
        try:
            r = self.pc.post("/requests/%d/third-opinion" % self.rid, {})
            self.assertEqual(r.status, 303, r.text[:300])
            nid = int(r.header("Location").split("/")[2])
        finally:
            self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        self.assertNotEqual(nid, self.rid)
        ims = wait_state(self.pc, nid, len(KINDS), timeout=120)
        first = wait_state(self.pc, self.rid, len(KINDS))
        for name, im in ims.items():
            self.assertEqual(im["state"], "ready", name)
            for key in ("rows", "columns", "frames", "windows", "spacing_mm", "photometric"):
                self.assertEqual(im[key], first[name][key], (name, key))
            r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/0" % (nid, im["document"]))
            self.assertEqual(r.status, 200, name)
            self.assertEqual(r.body, self.expected[name][0], name)


if __name__ == "__main__":
    harness.main()
