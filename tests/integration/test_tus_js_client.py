"""Interop: tus-js-client (npm, in Node) uploads to our tus server, and an
upload interrupted in one client process is resumed by a new process."""
import hashlib
import os
import shutil
import socket
import subprocess
import threading
import unittest

import harness
import records_helpers as rh

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node")
MODS = os.path.join(harness.ROOT, "tests", "node_modules", "tus-js-client")


class CuttingProxy:
    """A TCP proxy to the server that really drops a connection once
    `cut_after` request bytes went through it, `cuts` times; later connections
    pass untouched. The server learns of a cut first (its side is closed at
    once) and the client only when the server closes its own connection, that
    is after the server has noticed the cut: so the client's immediate retry
    never overtakes the server's handling of the cut PATCH (that race is
    test_uploads' lock test)."""

    def __init__(self, port, cut_after, cuts):
        self.port, self.cut_after, self.cuts_left, self.cuts = port, cut_after, cuts, 0
        self.late = 0  # cuts the server had not noticed 10 s later
        self.lock = threading.Lock()
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.listen_port = self.ls.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.port))
            with self.lock:
                budget = self.cut_after if self.cuts_left > 0 else None
            closed = threading.Event()  # set when either direction has ended
            threading.Thread(target=self.pump, args=(c, u, budget, closed), daemon=True).start()
            threading.Thread(target=self.pump, args=(u, c, None, closed), daemon=True).start()

    def pump(self, src, dst, budget, closed):
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if budget is not None and sent + len(data) >= budget:
                    with self.lock:
                        cut = self.cuts_left > 0
                        if cut:
                            self.cuts_left -= 1
                            self.cuts += 1
                    if cut:
                        dst.sendall(data[:budget - sent])
                        dst.shutdown(socket.SHUT_WR)  # the server sees the end of the stream
                        # the other pump closes the client's side when the server closes its
                        # connection; a server that does not notice within 10 s is counted
                        if not closed.wait(10):
                            with self.lock:
                                self.late += 1
                            break
                        return
                    budget = None
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        closed.set()

    def close(self):
        self.stopping = True
        self.ls.close()


@unittest.skipUnless(NODE and os.path.isdir(MODS), "node and tests/node_modules/tus-js-client are required")
class TusJsClientTest(harness.ServerTestCase):
    def run_client(self, client, req, path, mode, url=None, port=None):
        cookie = "; ".join("%s=%s" % kv for kv in client.cookies.items())
        args = [NODE, os.path.join(HERE, "tus_js_client.mjs"),
                "http://127.0.0.1:%d/api/v1/uploads" % (port or self.server.port),
                cookie, client.csrf, str(req), path, mode] + ([url] if url else [])
        env = dict(os.environ, NODE_PATH=os.path.join(harness.ROOT, "tests", "node_modules"))
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=os.path.join(harness.ROOT, "tests"),
                           env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout.strip().split() if mode != "defaults" else r.stdout.strip().splitlines()

    def test_full_and_interrupted_upload(self):
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        tmp = os.path.join(self.server.data_dir, "..", "tusjs-%d.pdf" % os.getpid())
        data = b"%PDF-1.4\n" + hashlib.sha256(b"a").digest() * 30000  # ~960 kB
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            out = self.run_client(c, req, tmp, "full")
            self.assertEqual(out[0], "DONE")
            base = "http://127.0.0.1:%d" % self.server.port
            self.assertEqual(rh.wait_checked(c, out[1].replace(base, ""))["state"], "complete")
            out = self.run_client(c, req, tmp, "interrupt")
            self.assertEqual(out[0], "PARTIAL")
            url, acked = out[1], int(out[2])
            self.assertGreater(acked, 0)
            self.assertLess(acked, len(data))
            h = rh.tus_head(c, url.replace("http://127.0.0.1:%d" % self.server.port, ""))
            self.assertGreaterEqual(int(h.header("Upload-Offset")), acked)
            out = self.run_client(c, req, tmp, "resume", url)
            self.assertEqual(out, ["DONE", url])
            self.assertEqual(rh.wait_checked(c, url.replace(base, ""))["state"], "complete")
            docs = self.sql("SELECT id, size FROM documents WHERE request_id = %s ORDER BY id", req)
            self.assertEqual(len(docs), 2)
            for doc_id, size in docs:
                self.assertEqual(size, len(data))
                self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc_id)).body, data)
        finally:
            os.unlink(tmp)

    def test_cut_three_times_resumes_at_once_with_default_retry_delays(self):
        """A PATCH whose connection drops lets go of the upload as soon as the
        server notices, so tus-js-client's immediate retry (HEAD, then PATCH)
        resumes without a 409; three real cuts, and the file arrives whole."""
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        tmp = os.path.join(self.server.data_dir, "..", "tuscut-%d.pdf" % os.getpid())
        data = b"%PDF-1.4\n" + b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(100000))  # 3.2 MB
        with open(tmp, "wb") as f:
            f.write(data)
        proxy = CuttingProxy(self.server.port, 700 * 1024, 3)
        try:
            lines = self.run_client(c, req, tmp, "defaults", port=proxy.listen_port)
        finally:
            proxy.close()
            os.unlink(tmp)
        self.assertEqual(proxy.cuts, 3)
        self.assertEqual(proxy.late, 0, "the server did not notice a cut connection within 10 s")
        self.assertTrue(lines[-1].startswith("DONE "), lines)
        statuses = [l for l in lines if l.startswith("STATUS ")]
        self.assertEqual([l for l in statuses if l.split()[2] not in ("200", "201", "204")], [], statuses)
        self.assertGreaterEqual(sum(1 for l in statuses if l.startswith("STATUS HEAD 200")), 3, statuses)
        url = lines[-1].split()[1].replace("http://127.0.0.1:%d" % proxy.listen_port, "")
        self.assertEqual(rh.wait_checked(c, url)["outcome"], "accepted")
        uid = url.rsplit("/", 1)[1]
        doc = self.sql("SELECT id FROM documents WHERE upload_id = %s", uid)
        self.assertEqual(len(doc), 1)
        self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc[0][0])).body, data)
        # every acknowledged byte was kept across the cuts: the interrupted PATCHes were made durable
        self.server.wait_log("bytes of an interrupted PATCH")
