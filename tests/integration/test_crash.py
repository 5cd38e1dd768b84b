"""kill -9 campaign: several concurrent uploads, the server killed at random
moments (at least 20 times) and restarted; clients resume from HEAD.
Proves: the server's offset is never below the highest offset it
acknowledged with a 204 (ledger); every completed file decrypts to the exact
SHA-256 of its source; after recovery no staging file lacks a row and no
row lacks a file."""
import hashlib
import os
import random
import threading
import time

import harness
import records_helpers as rh

KILLS = int(os.environ.get("SECONDOP_CRASH_KILLS", "20"))
UPLOADS = 3
SIZE = 16 * 1024 * 1024 + 12345
CHUNK = 64 * 1024 + 7


class CrashTest(harness.ServerTestCase):
    def test_kill9_campaign(self):
        rnd = random.Random(int(os.environ.get("SECONDOP_CRASH_SEED", "4")))
        _, c, req = rh.new_patient_with_request(self.server, name="Jane Doe")
        sources, urls = [], []
        for i in range(UPLOADS):
            data = b"%PDF-1.4\n" + os.urandom(SIZE - 9)
            sources.append(data)
            urls.append(rh.tus_create(c, req, len(data), "crash-%d.pdf" % i, "other",
                                      hashlib.sha256(data).digest()))
        ledger = {u: 0 for u in urls}  # highest offset acknowledged with 204
        lock = threading.Lock()
        violations = []
        done = set()
        stop = threading.Event()
        # Progress is paced by kills, not by the clock: between two kills each
        # upload may send at most `quota` chunks, so no upload can finish before
        # the campaign is over however fast or slow the machine is, and each
        # kill waits until every upload made progress since the last one.
        quota = (SIZE // CHUNK) // (KILLS + 2)
        epoch = [0]
        sent = {u: 0 for u in urls}  # chunks acknowledged in this epoch

        def may_send(url):
            with lock:
                return epoch[0] >= KILLS or sent[url] < quota

        def worker(url, data):
            off = None
            while not stop.is_set():
                try:
                    if off is None:
                        h = rh.tus_head(c, url)
                        if h.status != 200:
                            time.sleep(0.05)
                            continue
                        off = int(h.header("Upload-Offset"))
                        with lock:
                            if off < ledger[url]:
                                violations.append((url, off, ledger[url]))
                    if off >= len(data):
                        done.add(url)
                        return
                    if not may_send(url):
                        time.sleep(0.01)
                        continue
                    r = rh.tus_patch(c, url, off, data[off:off + CHUNK])
                    if r.status == 204:
                        new = int(r.header("Upload-Offset"))
                        with lock:
                            ledger[url] = max(ledger[url], new)
                            sent[url] += 1
                        off = new
                    else:
                        off = None
                        time.sleep(0.02)
                except (OSError, harness.http.client.HTTPException, AssertionError):
                    off = None
                    time.sleep(0.05)

        def all_progressed():
            with lock:
                return all(sent[u] > 0 for u in urls if u not in done)

        threads = [threading.Thread(target=worker, args=(u, d)) for u, d in zip(urls, sources)]
        for t in threads:
            t.start()
        kills = kills_during = 0
        try:
            while kills < KILLS:
                deadline = time.time() + 120
                while not all_progressed() and time.time() < deadline:
                    time.sleep(0.01)
                time.sleep(rnd.uniform(0.0, 0.15))  # somewhere inside a PATCH, or between two
                if len(done) < UPLOADS:
                    kills_during += 1
                rh.restart(self.server, 9)
                kills += 1
                with lock:
                    epoch[0] += 1
                    for u in urls:
                        sent[u] = 0
        finally:
            deadline = time.time() + 120
            while len(done) < UPLOADS and time.time() < deadline:
                time.sleep(0.1)
            stop.set()
            for t in threads:
                t.join()
        self.assertGreaterEqual(kills, min(KILLS, 20))
        self.assertGreaterEqual(kills_during, min(KILLS, 20) * 3 // 4, "most kills must hit running uploads")
        self.assertEqual(violations, [])
        self.assertEqual(len(done), UPLOADS)
        # after one more restart (recovery), store and rows agree
        rh.restart(self.server, 9)
        for url, data in zip(urls, sources):
            uid = url.rsplit("/", 1)[1]
            # intake is a job: one killed mid-way is claimed again when its lease lapses
            self.assertEqual(rh.wait_checked(c, url)["state"], "complete", uid)
            doc = self.sql("SELECT id, sha256 FROM documents WHERE upload_id = %s", uid)
            self.assertEqual(len(doc), 1, uid)
            self.assertEqual(doc[0][1], hashlib.sha256(data).hexdigest())
            body = c.get("/requests/%d/documents/%d/download" % (req, doc[0][0])).body
            self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(data).hexdigest())
        rows_staging = {r[0] for r in self.sql("SELECT encode(file_id, 'hex') FROM uploads WHERE state IN "
                                               "('receiving', 'finalizing') AND \"offset\" > 0")}
        rows_files = {r[0] for r in self.sql("SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL")}
        staging = {os.path.basename(p) for p in rh.store_files(self.server) if "/staging/" in p}
        files = {os.path.basename(p) for p in rh.store_files(self.server) if "/files/" in p}
        self.assertEqual(staging - rows_staging, set(), "staging files without a row")
        self.assertEqual(rows_staging - staging, set(), "rows without a staging file")
        self.assertEqual(files, rows_files)
        # every resume continued the streamed digests (no read-back fallback)
        self.assertNotIn("the digest will be computed at completion", self.server.log_text())
        print("\ncrash campaign: %d kills (%d during uploads), %d uploads of %d bytes, ledger %s" % (kills, kills_during, UPLOADS, SIZE,
              sorted(ledger.values())))
