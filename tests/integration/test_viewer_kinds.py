"""Renditions of every kind of image the decoders take (issue 13 item 1), end to end: a file
made with pydicom (tests/data/gen_pixels.py) is uploaded, the render job prepares it in its
child, and the frames endpoint answers every frame's stored values bit for bit (samples
interleaved, little-endian, signed ones sign-extended):
8-bit, signed 12- and 16-bit, MONOCHROME1, RGB with planar configuration 1 (served
interleaved), YBR_FULL (served as RGB), and a multi-frame volume frame by frame. The listing
says what the viewer needs to show each one, and the preview is a PNG of the right kind."""
import os
import sys
import tempfile

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
]


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
            canon = gen_pixels.write(path, arr, alloc, stored, signed, pi, planar)
            if pi == "YBR_FULL":
                canon = ybr_full_to_rgb(canon)
            if signed:  # served sign-extended to the sample's width
                canon = arr.astype("<i2" if alloc == 16 else "i1").tobytes()
            per = len(canon) // frames
            cls.expected[name + ".dcm"] = [canon[i * per:(i + 1) * per] for i in range(frames)]
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


if __name__ == "__main__":
    harness.main()
