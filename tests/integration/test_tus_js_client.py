"""Interop: tus-js-client (npm, in Node) uploads to our tus server, and an
upload interrupted in one client process is resumed by a new process."""
import hashlib
import os
import shutil
import subprocess
import unittest

import harness
import records_helpers as rh

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node")
MODS = os.path.join(harness.ROOT, "tests", "node_modules", "tus-js-client")


@unittest.skipUnless(NODE and os.path.isdir(MODS), "node and tests/node_modules/tus-js-client are required")
class TusJsClientTest(harness.ServerTestCase):
    def run_client(self, client, req, path, mode, url=None):
        cookie = "; ".join("%s=%s" % kv for kv in client.cookies.items())
        args = [NODE, os.path.join(HERE, "tus_js_client.mjs"), "http://127.0.0.1:%d/api/v1/uploads" % self.server.port,
                cookie, client.csrf, str(req), path, mode] + ([url] if url else [])
        env = dict(os.environ, NODE_PATH=os.path.join(harness.ROOT, "tests", "node_modules"))
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=os.path.join(harness.ROOT, "tests"),
                           env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout.strip().split()

    def test_full_and_interrupted_upload(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        tmp = os.path.join(self.server.data_dir, "..", "tusjs-%d.pdf" % os.getpid())
        data = b"%PDF-1.4\n" + hashlib.sha256(b"a").digest() * 30000  # ~960 kB
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            out = self.run_client(c, req, tmp, "full")
            self.assertEqual(out[0], "DONE")
            out = self.run_client(c, req, tmp, "interrupt")
            self.assertEqual(out[0], "PARTIAL")
            url, acked = out[1], int(out[2])
            self.assertGreater(acked, 0)
            self.assertLess(acked, len(data))
            h = rh.tus_head(c, url.replace("http://127.0.0.1:%d" % self.server.port, ""))
            self.assertGreaterEqual(int(h.header("Upload-Offset")), acked)
            out = self.run_client(c, req, tmp, "resume", url)
            self.assertEqual(out, ["DONE", url])
            docs = self.sql("SELECT id, size FROM documents WHERE request_id = %s ORDER BY id", req)
            self.assertEqual(len(docs), 2)
            for doc_id, size in docs:
                self.assertEqual(size, len(data))
                self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc_id)).body, data)
        finally:
            os.unlink(tmp)
