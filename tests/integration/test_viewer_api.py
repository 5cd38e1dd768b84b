"""The viewer's API (issue 13, contract in the README): the images of a request as JSON,
with access exactly as for a document download (the owner, staff past draft, the assigned
reviewer; anyone else 404) and one study.view audit row per study returned; the view,
orientation and spacing read at intake."""
import html
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

import harness
from accounts_helpers import login, make_user
from records_helpers import (new_patient_with_request, new_request, store_files, studies, upload_path,
                             wait_store_clean)

VIEWS = {"R_CC": ("R", "CC", ["P", "L"]), "R_MLO": ("R", "MLO", ["P", "L"]),
         "L_CC": ("L", "CC", ["A", "R"]), "L_MLO": ("L", "MLO", ["A", "R"])}


def with_spacing(src, dst):
    """A copy of src carrying Imager Pixel Spacing 0.065 x 0.07 mm."""
    shutil.copy(src, dst)
    subprocess.run(["dcmodify", "-nb", "-q", "-i", "(0018,1164)=0.065\\0.07", dst], check=True)
    return dst


class ViewerApiTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        s = studies()
        tmp = tempfile.mkdtemp(prefix="sop-viewer-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        for v in VIEWS:
            src = os.path.join(s, "study1", v + ".dcm")
            path = with_spacing(src, os.path.join(tmp, v + ".dcm")) if v == "R_CC" else src
            upload_path(cls.pc, cls.rid, path)
        upload_path(cls.pc, cls.rid, os.path.join(s, "prior", "R_CC.dcm"), name="prior_R_CC.dcm")
        cls.staff = make_user(cls.server, "staff")
        cls.reviewer = make_user(cls.server, "reviewer")
        cls.other_reviewer = make_user(cls.server, "reviewer")
        cls.other_patient, cls.opc, _ = new_patient_with_request(cls.server, name="Other Person")
        cls.c = {"patient": cls.pc, "other_patient": cls.opc}
        for name, u in (("staff", cls.staff), ("reviewer", cls.reviewer), ("other_reviewer", cls.other_reviewer)):
            cls.c[name] = cls.server.client()
            login(cls.c[name], u)

    def images(self, who, rid=None):
        return self.c[who].get("/api/v1/requests/%s/images" % (rid or self.rid))

    def study_views(self, actor_id):
        return self.sql("SELECT count(*) FROM audit_log WHERE action = 'study.view' AND actor_id = %s "
                        "AND outcome = 'ok'", actor_id)[0][0]

    def test_a_listing_holds_every_view_with_its_metadata(self):
        r = self.images("patient")
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(r.header("Cache-Control"), "no-store")
        j = r.json()
        self.assertEqual(j["request"], self.rid)
        self.assertIs(j["notice"], True)
        # the center's setting (an admin turns it off in /admin/center) is what the listing says
        self.sql("UPDATE center_display SET viewer_notice = false")
        try:
            self.assertIs(self.images("patient").json()["notice"], False)
        finally:
            self.sql("UPDATE center_display SET viewer_notice = true")
        self.assertEqual([s["date"] for s in j["studies"]], ["2024-03-15", "2022-03-10"])
        self.assertEqual([s["current"] for s in j["studies"]], [True, False])
        cur = j["studies"][0]
        self.assertEqual(cur["description"], "MAMMO SCREENING BILATERAL")
        images = [im for se in cur["series"] for im in se["images"]]
        self.assertEqual(sorted(im["name"] for im in images), sorted(v + ".dcm" for v in VIEWS))
        for im in images:
            lat, view, orient = VIEWS[im["name"][:-4]]
            self.assertEqual(im["laterality"], lat)
            self.assertEqual(im["view"], view)
            self.assertEqual(im["label"], lat + view)
            self.assertEqual(im["orientation"], orient)
            self.assertEqual((im["rows"], im["columns"], im["frames"], im["samples"]), (64, 64, 1, 1))
            self.assertEqual((im["bits_stored"], im["signed"], im["photometric"]), (12, False, "MONOCHROME2"))
            self.assertEqual(im["rescale"], [1.0, 0.0])
            self.assertEqual(im["windows"], [{"center": 2048.0, "width": 4096.0, "explanation": ""}])
            self.assertEqual(im["voi_function"], "LINEAR")
            self.assertIn(im["state"], ("preparing", "ready", "not_decodable"))
            self.assertTrue(im["document"] > 0)
            if im["name"] == "R_CC.dcm":
                self.assertEqual(im["spacing_mm"], [0.065, 0.07])
                self.assertEqual(im["spacing_source"], "Imager Pixel Spacing")
            else:
                self.assertIsNone(im["spacing_mm"])
                self.assertIsNone(im["spacing_source"])
        self.assertEqual(cur["series"][0]["modality"], "MG")

    def test_b_access_as_for_downloads_and_one_audit_row_per_study(self):
        self.sql("UPDATE requests SET status = 'draft' WHERE id = %s", self.rid)
        self.assertEqual(self.images("staff").status, 404)  # a draft is the patient's alone
        self.sql("UPDATE requests SET status = 'submitted' WHERE id = %s", self.rid)
        before = {k: self.study_views(u["id"]) for k, u in (("patient", self.patient), ("staff", self.staff),
                                                              ("reviewer", self.reviewer))}
        self.assertEqual(self.images("patient").status, 200)
        self.assertEqual(self.images("staff").status, 200)
        self.assertEqual(self.images("other_patient").status, 404)
        self.assertEqual(self.images("reviewer").status, 404)  # not assigned
        self.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                 self.reviewer["id"], self.rid)
        r = self.images("reviewer")
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json()["studies"]), 2)
        self.assertEqual(self.images("other_reviewer").status, 404)
        for bad in ("0", "abc", "99999999", "-1"):
            self.assertEqual(self.images("patient", bad).status, 404)
        # one row per study returned (two studies), none for a refusal
        self.assertEqual(self.study_views(self.patient["id"]) - before["patient"], 2)
        self.assertEqual(self.study_views(self.staff["id"]) - before["staff"], 2)
        self.assertEqual(self.study_views(self.reviewer["id"]) - before["reviewer"], 2)
        self.assertEqual(self.study_views(self.other_reviewer["id"]), 0)
        self.assertEqual(self.study_views(self.other_patient["id"]), 0)
        rows = self.sql("SELECT object_type, patient_id, detail::text FROM audit_log WHERE action = 'study.view' "
                        "AND actor_id = %s ORDER BY id", self.reviewer["id"])
        self.assertEqual({r[0] for r in rows}, {"study"})
        self.assertEqual({r[1] for r in rows}, {self.patient["id"]})
        self.assertIn('"date": "2024-03-15"', " ".join(r[2] for r in rows).replace('":"', '": "'))
        # the patient's "who opened my records" says who viewed which mammogram, in words
        self.assertTrue(self.sql("SELECT count(*) FROM audit_log WHERE patient_id = %s AND actor_id = %s "
                                 "AND action = 'study.view'", self.patient["id"], self.reviewer["id"])[0][0] >= 2)
        page = self.pc.get("/requests/%d" % self.rid).text
        # grouped by person and day since issue 15: one entry per person, each study once
        rows = [(who + " (" + role + ")", item) for who, role, items in
                re.findall(r'<li class="access-group"><p><strong>([^<]*)</strong> \(([^)]*)\) — <time[^>]*>[^<]*</time>'
                           r'</p>\s*<ul>(.*?)</ul></li>', page, re.S)
                for item in re.findall(r"<li>([^<]*)</li>", items)]
        self.assertIn((html.escape(self.reviewer["name"]) + " (reviewing radiologist)",
                       "viewed your mammogram of 15 March 2024"), rows)
        self.assertIn((html.escape(self.reviewer["name"]) + " (reviewing radiologist)",
                       "viewed your mammogram of 10 March 2022"), rows)
        self.assertIn((html.escape(self.staff["name"]) + " (center staff)", "viewed your mammogram of 15 March 2024"),
                      rows)

    def test_c_preview_and_frames_refuse_others(self):
        self.sql("UPDATE requests SET status = 'submitted', assigned_reviewer_id = NULL WHERE id = %s", self.rid)
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s ORDER BY id LIMIT 1", self.rid)[0][0]
        for who in ("other_patient", "reviewer", "other_reviewer"):
            for path in ("preview", "frames/0"):
                r = self.c[who].get("/api/v1/requests/%d/documents/%d/%s" % (self.rid, doc, path))
                self.assertEqual(r.status, 404, (who, path))
        # another request's document through this request's id
        _, _, orid = self.other_patient, self.opc, None
        orid = self.sql("SELECT id FROM requests WHERE patient_id = %s", self.other_patient["id"])[0][0]
        r = self.opc.get("/api/v1/requests/%d/documents/%d/preview" % (orid, doc))
        self.assertEqual(r.status, 404)
        r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/1" % (self.rid, doc))
        self.assertEqual(r.status, 404)  # one frame only
        r = self.pc.get("/api/v1/requests/%d/documents/%d/frames/x" % (self.rid, doc))
        self.assertEqual(r.status, 404)




def pixel_data(path):
    """The native Pixel Data value at the end of a study1 file (64 x 64 x 16 bits), checked by its header."""
    data = open(path, "rb").read()
    n = 64 * 64 * 2
    assert data[-n - 12:-n] == b"\xe0\x7f\x10\x00OW\x00\x00" + struct.pack("<I", n), path
    return data[-n:]


def png_size(body):
    """(width, height, colour type) of a PNG whose chunks all check out and whose image data
    inflates to exactly height rows of width pixels plus a filter byte."""
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr, end = 8, b"", None, False
    while pos < len(body):
        (n,) = struct.unpack(">I", body[pos:pos + 4])
        kind, data = body[pos + 4:pos + 8], body[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", body[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + data) == crc, kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        elif kind == b"IEND":
            end = True
        pos += 12 + n
    assert ihdr and end and pos == len(body)
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    assert depth == 8
    raw = zlib.decompress(idat)
    assert len(raw) == h * (1 + w * (3 if ctype == 2 else 1))
    return w, h, ctype


def wait_state(client, rid, want_docs, timeout=60):
    """Polls the listing (bounded) until every image is no longer preparing; returns {name: image}."""
    def ready():
        r = client.get("/api/v1/requests/%d/images" % rid)
        assert r.status == 200, r.status
        ims = {im["name"]: im for st in r.json()["studies"] for se in st["series"] for im in se["images"]}
        if len(ims) == want_docs and all(im["state"] != "preparing" for im in ims.values()):
            return ims
        return None
    return harness.wait_for(ready, timeout=timeout, what="renditions")


class RenditionsTest(harness.ServerTestCase):
    """Previews and frames are prepared after intake by the render job in a child process and
    stored sealed; the frames endpoint answers the file's stored values bit for bit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient, cls.pc, cls.rid = new_patient_with_request(cls.server, name="Jane Doe")
        s = studies()
        for v in VIEWS:
            upload_path(cls.pc, cls.rid, os.path.join(s, "study1", v + ".dcm"))
        cls.rid2 = new_request(cls.pc)
        for v in ("R_MLO_jpeg", "L_CC_big", "L_MLO_deflate"):
            upload_path(cls.pc, cls.rid2, os.path.join(s, "variants", v + ".dcm"))
        cls.rid3 = new_request(cls.pc)
        tmp = tempfile.mkdtemp(prefix="sop-viewer-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        cls.ext = os.path.join(tmp, "R_CC_12bit_jpeg.dcm")
        subprocess.run(["dcmcjpeg", "-q", "+ee", os.path.join(s, "study1", "R_CC.dcm"), cls.ext], check=True)
        upload_path(cls.pc, cls.rid3, cls.ext)

    def get(self, rid, doc, what):
        return self.pc.get("/api/v1/requests/%d/documents/%d/%s" % (rid, doc, what))

    def test_frames_are_the_stored_values_bit_for_bit(self):
        ims = wait_state(self.pc, self.rid, 4)
        s = studies()
        for name, im in ims.items():
            self.assertEqual(im["state"], "ready", im)
            self.assertIsNone(im["why"])
            r = self.get(self.rid, im["document"], "frames/0")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"), "application/octet-stream")
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertEqual((r.header("X-Rows"), r.header("X-Columns"), r.header("X-Samples"),
                              r.header("X-Bytes-Per-Sample")), ("64", "64", "1", "2"))
            self.assertEqual(r.body, pixel_data(os.path.join(s, "study1", name)))
            self.assertEqual(self.get(self.rid, im["document"], "frames/1").status, 404)

    def test_compressed_and_other_syntaxes_decode_to_the_same_values(self):
        ims = wait_state(self.pc, self.rid2, 3)
        s = studies()
        for name, src in (("R_MLO_jpeg.dcm", "R_MLO"), ("L_CC_big.dcm", "L_CC"), ("L_MLO_deflate.dcm", "L_MLO")):
            im = ims[name]
            self.assertEqual(im["state"], "ready", im)
            r = self.get(self.rid2, im["document"], "frames/0")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, pixel_data(os.path.join(s, "study1", src + ".dcm")), name)

    def test_preview_is_a_png_of_the_image(self):
        ims = wait_state(self.pc, self.rid, 4)
        for im in ims.values():
            r = self.get(self.rid, im["document"], "preview")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Type"), "image/png")
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertEqual(png_size(r.body), (64, 64, 0))

    def test_renditions_are_sealed(self):
        wait_state(self.pc, self.rid, 4)
        blobs = self.sql("SELECT encode(preview_file_id, 'hex'), encode(frames_file_id, 'hex') FROM renditions "
                         "r JOIN documents d ON d.id = r.document_id WHERE d.request_id = %s", self.rid)
        self.assertEqual(len(blobs), 4)
        files = {os.path.basename(p): p for p in store_files(self.server)}
        s = studies()
        pixels = pixel_data(os.path.join(s, "study1", "R_CC.dcm"))
        for pv, fr in blobs:
            for b in (pv, fr):
                data = open(files[b], "rb").read()
                self.assertNotIn(b"IHDR", data)
                self.assertNotIn(pixels[:64], data)

    def test_not_decodable_says_why(self):
        ims = wait_state(self.pc, self.rid3, 1)
        im = ims["R_CC_12bit_jpeg.dcm"]
        self.assertEqual(im["state"], "not_decodable")
        self.assertIn("12-bit", im["why"])
        for what in ("preview", "frames/0"):
            r = self.get(self.rid3, im["document"], what)
            self.assertEqual(r.status, 422)
            self.assertEqual(r.json()["error"], im["why"])
            self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_missing_rendition_is_prepared_again(self):
        ims = wait_state(self.pc, self.rid, 4)
        doc = ims["L_CC.dcm"]["document"]
        (fid,) = self.sql("SELECT encode(frames_file_id, 'hex') FROM renditions WHERE document_id = %s", doc)[0]
        path = [p for p in store_files(self.server) if os.path.basename(p) == fid][0]
        os.unlink(path)
        r = self.get(self.rid, doc, "frames/0")
        self.assertEqual(r.status, 202)
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertEqual(r.json(), {"state": "preparing"})

        def again():
            r = self.get(self.rid, doc, "frames/0")
            return r if r.status == 200 else None
        r = harness.wait_for(again, timeout=60, what="the rendition prepared again")
        self.assertEqual(r.body, pixel_data(os.path.join(studies(), "study1", "L_CC.dcm")))

    def test_renditions_go_with_their_document(self):
        rid = new_request(self.pc)
        upload_path(self.pc, rid, os.path.join(studies(), "prior", "R_MLO.dcm"))
        ims = wait_state(self.pc, rid, 1)
        doc = ims["R_MLO.dcm"]["document"]
        blobs = set(self.sql("SELECT encode(preview_file_id, 'hex'), encode(frames_file_id, 'hex') FROM renditions "
                             "WHERE document_id = %s", doc)[0])
        self.assertEqual(len(blobs), 2)
        self.assertTrue(blobs <= {os.path.basename(p) for p in store_files(self.server)})
        self.pc.get("/requests/%d/records" % rid)
        r = self.pc.post("/requests/%d/documents/%d/delete" % (rid, doc), {})
        self.assertIn(r.status, (200, 303))
        self.assertEqual(self.sql("SELECT count(*) FROM renditions WHERE document_id = %s", doc)[0][0], 0)
        self.assertFalse(blobs & {os.path.basename(p) for p in store_files(self.server)})


    def test_center_reads_frames_without_an_audit_row_each(self):
        rid = new_request(self.pc)
        upload_path(self.pc, rid, os.path.join(studies(), "prior", "L_CC.dcm"))
        ims = wait_state(self.pc, rid, 1)
        doc = ims["L_CC.dcm"]["document"]
        staff, reviewer = make_user(self.server, "staff"), make_user(self.server, "reviewer")
        sc, rc = self.server.client(), self.server.client()
        login(sc, staff)
        login(rc, reviewer)
        path = "/api/v1/requests/%d/documents/%d/frames/0" % (rid, doc)
        self.assertEqual(sc.get(path).status, 404)  # a draft
        self.sql("UPDATE requests SET status = 'in_review', assigned_reviewer_id = %s WHERE id = %s",
                 reviewer["id"], rid)
        for c, u in ((sc, staff), (rc, reviewer)):
            self.assertEqual(c.get("/api/v1/requests/%d/images" % rid).status, 200)
            before = self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s", u["id"])[0][0]
            for _ in range(3):
                r = c.get(path)
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.body), 64 * 64 * 2)
                self.assertEqual(c.get(path.replace("frames/0", "preview")).status, 200)
            self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE actor_id = %s", u["id"])[0][0], before)

    def test_rows_from_before_the_viewer_are_filled_by_the_render_job(self):
        rid = new_request(self.pc)
        upload_path(self.pc, rid, os.path.join(studies(), "prior", "L_MLO.dcm"))
        doc = wait_state(self.pc, rid, 1)["L_MLO.dcm"]["document"]
        self.sql("UPDATE documents SET image_info = NULL WHERE id = %s", doc)
        self.sql("DELETE FROM renditions WHERE document_id = %s", doc)
        im = self.pc.get("/api/v1/requests/%d/images" % rid).json()["studies"][0]["series"][0]["images"][0]
        self.assertEqual((im["laterality"], im["view"], im["rows"], im["columns"]), ("L", "MLO", 64, 64))
        self.assertIsNone(im["orientation"])  # not in the row: the file tells once the job has run
        self.assertEqual(im["state"], "preparing")
        im = wait_state(self.pc, rid, 1)["L_MLO.dcm"]
        self.assertEqual(im["state"], "ready")
        self.assertEqual(im["orientation"], ["A", "R"])
        self.assertEqual(im["windows"], [{"center": 2048.0, "width": 4096.0, "explanation": ""}])


class RenderChildFailureTest(harness.ServerTestCase):
    """A render child killed part way (as by the out-of-memory killer) fails its job cleanly: the
    image says it could not be prepared, the server serves on, no blob is left behind."""
    server_env = {"SECONDOP_TEST_RENDER_KILL_AT": "1"}

    def test_killed_child_fails_cleanly(self):
        patient, pc, rid = new_patient_with_request(self.server, name="Jane Doe")
        upload_path(pc, rid, os.path.join(studies(), "study1", "R_CC.dcm"))
        ims = wait_state(pc, rid, 1)
        im = ims["R_CC.dcm"]
        self.assertEqual(im["state"], "not_decodable")
        self.assertIn("could not be prepared", im["why"])
        r = pc.get("/api/v1/requests/%d/documents/%d/preview" % (rid, im["document"]))
        self.assertEqual(r.status, 422)
        self.assertEqual(pc.get("/healthz").status, 200)
        on_disk, ids = wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)
        self.assertEqual(self.sql("SELECT state FROM jobs WHERE kind = 'render'"), [("failed",)])


class RenderChildStallTest(harness.ServerTestCase):
    """A render child that stops moving is stopped after the stall limit."""
    server_env = {"SECONDOP_TEST_RENDER_STALL": "1", "SECONDOP_RENDER_STALL_SECONDS": "1"}

    def test_stalled_child_is_stopped(self):
        patient, pc, rid = new_patient_with_request(self.server, name="Jane Doe")
        upload_path(pc, rid, os.path.join(studies(), "study1", "L_CC.dcm"))
        ims = wait_state(pc, rid, 1)
        self.assertEqual(ims["L_CC.dcm"]["state"], "not_decodable")
        self.assertIn("stopped making progress", self.server.log_text())
        self.assertEqual(pc.get("/healthz").status, 200)
        on_disk, ids = wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)


class RenditionDeleteRaceTest(harness.ServerTestCase):
    """A render job that finishes while its document (or series) is being deleted leaves no blob
    behind. The server's test hold points order the two exactly: the delete has read the
    rendition's blobs (none yet) and waits; the render job then names its two blobs; the delete
    goes on. Before the fix the delete took the row with it and the two blobs stayed in the store
    for good; now the render job waits for the delete's lock, finds the row gone and deletes its
    own blobs."""

    @classmethod
    def setUpClass(cls):
        cls.holds = tempfile.mkdtemp(prefix="sop-holds-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        cls.render_hold = os.path.join(cls.holds, "render")
        cls.delete_hold = os.path.join(cls.holds, "delete")
        cls.server_env = {"SECONDOP_TEST_RENDER_HOLD_FILE": cls.render_hold,
                          "SECONDOP_TEST_DELETE_HOLD_FILE": cls.delete_hold}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.holds, ignore_errors=True)

    def race(self, pc, rid, doc, path, what):
        """Runs the delete at path against the held render job of doc; returns its status."""
        import threading
        log_from = os.path.getsize(self.server.log_path)
        open(self.delete_hold, "w").close()
        done = {}
        t = threading.Thread(target=lambda: done.update(r=pc.post(path, {})))
        t.start()
        try:
            self.server.wait_log("test hook: %s holds" % what, timeout=60, from_byte=log_from)
            os.unlink(self.render_hold)  # the render job goes on to name its blobs
            self.server.wait_log("test hook: rendition of document %d goes on" % doc, timeout=60,
                                 from_byte=log_from)

            def render_finished_or_waits():
                # without the lock the rendition is ready now; with it the job's update waits
                return self.sql("SELECT (SELECT count(*) FROM renditions WHERE document_id = %s AND state = 'ready') + "
                                "(SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND query LIKE 'UPDATE renditions SET state = ''ready''%%')", doc)[0][0] > 0
            harness.wait_for(render_finished_or_waits, timeout=60, what="the render job's update")
        finally:
            if os.path.exists(self.delete_hold):
                os.unlink(self.delete_hold)
            t.join(60)
        return done["r"].status

    def held_upload(self, pc, rid, name):
        open(self.render_hold, "w").close()
        log_from = os.path.getsize(self.server.log_path)
        upload_path(pc, rid, os.path.join(studies(), "study1", name))
        doc = self.sql("SELECT id FROM documents WHERE request_id = %s AND original_name = %s", rid, name)[0][0]
        self.server.wait_log("test hook: rendition of document %d holds" % doc, timeout=60, from_byte=log_from)
        return doc

    def test_a_document_deleted_while_its_rendition_finishes(self):
        patient, pc, rid = new_patient_with_request(self.server, name="Jane Doe")
        doc = self.held_upload(pc, rid, "R_CC.dcm")
        pc.get("/requests/%d/records" % rid)
        status = self.race(pc, rid, doc, "/requests/%d/documents/%d/delete" % (rid, doc), "document delete %d" % doc)
        self.assertIn(status, (200, 303))
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE id = %s", doc)[0][0], 0)
        on_disk, ids = wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)

    def test_b_series_deleted_while_a_rendition_finishes(self):
        patient, pc, rid = new_patient_with_request(self.server, name="John Roe")
        doc = self.held_upload(pc, rid, "L_CC.dcm")
        sid = self.sql("SELECT series_id FROM documents WHERE id = %s", doc)[0][0]
        pc.get("/requests/%d/records" % rid)
        status = self.race(pc, rid, doc, "/requests/%d/series/%d/delete" % (rid, sid), "series delete %d" % sid)
        self.assertIn(status, (200, 303))
        self.assertEqual(self.sql("SELECT count(*) FROM documents WHERE id = %s", doc)[0][0], 0)
        on_disk, ids = wait_store_clean(self.server)
        self.assertEqual(on_disk, ids)
