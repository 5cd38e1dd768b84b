"""Send to our PACS (issue 14 item 3) with real peers: Debian's Orthanc with its DICOMweb plugin as
the center's PACS (started here on loopback, its own configuration and storage, as an
unprivileged user when run as root), reached through a small loopback gate written here that
forwards each STOW-RS POST to Orthanc and writes down what passed (the SOP Instance UIDs in
each body, the Authorization header, Orthanc's answer). The gate can also be closed (nothing
listens: the PACS is down), answer 503 (busy) or ask for a bearer token (Orthanc checks basic
credentials itself, not bearer tokens).

Proven: admins configure destinations (bad input answers 422 with the message next to the
field; the password or token is sealed, never shown back, never in the audit trail); staff press
"Send to our PACS" and a background job delivers the study: Orthanc then lists exactly those SOP
Instance UIDs and each of its files is byte-identical to ours; a PACS that is not started yet,
or stops in the middle, gets everything exactly once when it comes back; a portal killed in the
middle resumes after its restart and never sends again an instance the PACS acknowledged; basic
and bearer authentication work and a wrong password ends in a failure in plain words; a
patient, an unassigned reviewer and an admin cannot start a send and learn nothing; the send
is on the staff timeline and in the patient's "who opened my records"."""
import html
import http.server
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pydicom

import harness
from accounts_helpers import login, make_user
from records_helpers import new_patient_with_request, restart, studies, upload_bytes
from test_stow import JSON, VIEWS, body_of, fresh_instance, read
from orthanc_helper import Orthanc, needs_orthanc
from harness import free_port


class Gate:
    """A loopback HTTP server in front of a PACS: forwards each POST, writes down what passed."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.mode = "forward"  # or "busy" (503), or "bearer:<token>" (401 unless that token)
        self.down = False       # set by close(): a POST still let in drops its connection unanswered
        self.seen = []          # (authorization, [sop uids], status)
        self.lock = threading.Lock()
        self.httpd = None
        self.tls = None         # (certificate file, key file): HTTPS

    def open(self):
        gate = self
        self.down = False

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if gate.down:  # the PACS has gone away: nothing forwarded, no answer
                    self.close_connection = True
                    return
                ctype = self.headers.get("Content-Type", "")
                auth = self.headers.get("Authorization")
                sops = []
                m = re.search(r'boundary="?([^";]+)"?', ctype)
                if m:
                    for chunk in body.split(b"--" + m.group(1).encode())[1:-1]:
                        data = chunk[2:-2].partition(b"\r\n\r\n")[2]
                        sops.append(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)
                status, out, otype = 502, b"", "text/plain"
                if gate.mode == "busy":
                    status = 503
                elif gate.mode.startswith("bearer:") and auth != "Bearer " + gate.mode[7:]:
                    status = 401
                else:
                    req = urllib.request.Request(gate.target + self.path.replace("/pacs", "/dicom-web", 1), data=body,
                                                 method="POST", headers={"Content-Type": ctype,
                                                                         "Accept": "application/dicom+json"})
                    try:
                        with urllib.request.urlopen(req, timeout=60) as r:
                            status, out, otype = r.status, r.read(), r.headers.get("Content-Type", JSON)
                    except urllib.error.HTTPError as e:
                        status, out = e.code, e.read()
                    except OSError:
                        status = 502
                with gate.lock:
                    gate.seen.append((auth, sops, status))
                self.send_response(status)
                self.send_header("Content-Type", otype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        """Goes away at once: shutdown() lets connections in until the serving loop next looks
        (up to half a second), and a POST taken meanwhile is dropped, never forwarded."""
        self.down = True
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d/pacs" % ("https" if self.tls else "http", self.port)

    def delivered(self):
        """Counter of the SOP Instance UIDs in POSTs the PACS answered 200 or 202."""
        with self.lock:
            return Counter(s for _, sops, st in self.seen if st in (200, 202) for s in sops)


@needs_orthanc
class PacsSendTest(harness.ServerTestCase):
    # one instance per POST, and a pause after each answer, so that a test can act in the middle
    # and one batch per claim of the job (then the worker is given back), so that intake jobs
    # queued meanwhile go first
    server_env = {"SECONDOP_PACS_BATCH_INSTANCES": "1", "SECONDOP_TEST_PACS_PAUSE_MS": "400",
                  "SECONDOP_PACS_SLICE_BATCHES": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="sop-pacs-", dir=os.environ.get("SECONDOP_TEST_TMP") or "/tmp")
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"  # Orthanc runs as nobody: not under cls.tmp (0700)
        cls.orthanc = Orthanc(base)
        cls.orthanc.start()
        cls.secure = Orthanc(base, users={"portal": "s3cret-pw"})
        cls.secure.start()
        cls.gates = []
        cls.users = {r: make_user(cls.server, r) for r in ("patient", "staff", "reviewer", "admin")}
        cls.users["reviewer2"] = make_user(cls.server, "reviewer")
        cls.c = {}
        for role, u in cls.users.items():
            cls.c[role] = cls.server.client()
            login(cls.c[role], u)
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        for g in cls.gates:
            g.close()
        for o in (cls.orthanc, cls.secure):
            o.stop()
            shutil.rmtree(o.dir, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    # ---- helpers ----

    def gate(self, target=None):
        g = Gate(target or self.orthanc.url)
        type(self).gates.append(g)
        return g

    def new_uid(self):
        type(self).seq += 1
        return "2.25.7731%d%06d" % (os.getpid() % 1000, type(self).seq)

    def request_with_study(self, n=4):
        """A submitted request (of the class's patient) holding a fresh 4-view study stored by staff
        over STOW-RS; returns (request id, study uid, {sop uid: file bytes}). self.pc is then the
        patient's own client."""
        _, self.pc, rid = new_patient_with_request(self.server, name="Mary Major")
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", rid)
        study, series = self.new_uid(), self.new_uid()
        files = {}
        for v in VIEWS[:n]:
            sop = self.new_uid()
            p = fresh_instance(os.path.join(studies(), "prior", v + ".dcm"), os.path.join(self.tmp, sop + ".dcm"), sop,
                               study, series)
            files[sop] = read(p)
        sc = self.c["staff"]
        r = sc.request("POST", "/dicom-web/studies?request=%d" % rid, body=body_of(list(files.values())),
                       headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary="st0wB0undary"',
                                "Accept": JSON, "X-CSRF-Token": sc.csrf})
        self.assertEqual(r.status, 200, r.text)
        return rid, study, files

    def add_destination(self, name, url, auth="none", username="", secret="", expect=303, ca_pem=""):
        ac = self.c["admin"]
        ac.get("/admin/center/pacs/new")
        r = ac.post("/admin/center/pacs", form={"name": name, "base_url": url, "auth": auth, "username": username,
                                                "secret": secret, "ca_pem": ca_pem})
        self.assertEqual(r.status, expect, r.text[:2000])
        rows = self.sql("SELECT id FROM pacs_destinations WHERE name = %s", name)
        return rows[0][0] if rows else None

    def send(self, client, rid, dest, study="all", expect=303):
        page = "/reviewer/cases/%d" % rid if client is self.c.get("reviewer") else "/staff/requests/%d" % rid
        client.get(page)
        r = client.post("/requests/%d/pacs-sends" % rid, form={"destination": str(dest), "study": study})
        self.assertEqual(r.status, expect, r.text[:2000])
        rows = self.sql("SELECT max(id) FROM pacs_sends WHERE request_id = %s", rid)
        return rows[0][0]

    def wait_state(self, sid, states, timeout=90):
        def reached():
            st = self.sql("SELECT state FROM pacs_sends WHERE id = %s", sid)[0][0]
            return st in states
        harness.wait_for(reached, timeout=timeout, what="send %s to reach %s (log: %s)" % (
            sid, states, self.server.log_text()[-1500:]))
        out = self.sql("SELECT state, coalesce(failure, '') FROM pacs_sends WHERE id = %s", sid)[0]
        if os.environ.get("PACS_DEBUG"):
            print("\n".join(l for l in self.server.log_text().splitlines() if "pacs" in l.lower())[-3000:])
        return out

    def outcomes(self, sid):
        return dict(self.sql("SELECT sop_uid, coalesce(outcome, '') FROM pacs_send_items WHERE send_id = %s", sid))

    def referenced(self, sid):
        return self.sql("SELECT count(*) FROM pacs_send_items WHERE send_id = %s AND outcome = 'referenced'", sid)[0][0]

    # ---- tests ----

    def test_a_admin_configures_a_destination_secret_sealed_never_shown(self):
        ac = self.c["admin"]
        r = ac.get("/admin/center")
        self.assertEqual(r.status, 200)
        self.assertIn("PACS destinations", r.text)
        ac.get("/admin/center/pacs/new")
        before = self.sql("SELECT count(*) FROM pacs_destinations")[0][0]
        bad = {"name": "", "base_url": "ftp://pacs", "auth": "basic", "username": "", "secret": "", "ca_pem": "junk"}
        r = ac.post("/admin/center/pacs", form=bad)
        self.assertEqual(r.status, 422)
        page = html.unescape(r.text)
        for field, words in (("name", "Enter a name"), ("base_url", "starting with https://"),
                             ("username", "user name for the PACS"), ("secret", "Enter the password"),
                             ("ca_pem", "PEM form")):
            self.assertRegex(page, r'id="%s-error"[^>]*>[^<]*%s' % (field, re.escape(words)), field)
        self.assertIn('value="ftp://pacs"', page)  # what was typed comes back
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_destinations")[0][0], before)
        did = self.add_destination("Riverside PACS", "https://pacs.example/dicom-web", "basic", "portal", "pw-Secret-42")
        sealed = bytes(self.sql("SELECT secret_sealed FROM pacs_destinations WHERE id = %s", did)[0][0])
        self.assertNotIn(b"pw-Secret-42", sealed)
        self.assertEqual(len(sealed), len("pw-Secret-42") + 40)
        r = ac.get("/admin/center/pacs/%d" % did)
        self.assertEqual(r.status, 200)
        self.assertNotIn("pw-Secret-42", r.text)
        self.assertIn("Set — leave empty to keep it.", html.unescape(r.text))
        # a change without a secret keeps it; the audit trail never holds it
        r = ac.post("/admin/center/pacs/%d" % did, form={"name": "Riverside PACS", "base_url": "https://pacs2.example/dw",
                                                         "auth": "basic", "username": "portal", "secret": "",
                                                         "ca_pem": ""})
        self.assertEqual(r.status, 303)
        self.assertEqual(bytes(self.sql("SELECT secret_sealed FROM pacs_destinations WHERE id = %s", did)[0][0]), sealed)
        audit = self.sql("SELECT action, coalesce(detail::text, '') FROM audit_log WHERE object_type = 'pacs_destination' "
                         "AND object_id = %s ORDER BY id", str(did))
        self.assertEqual([a for a, _ in audit], ["pacs.destination.create", "pacs.destination.change"])
        self.assertFalse(any("pw-Secret-42" in d for _, d in audit))
        self.assertNotIn("pw-Secret-42", self.server.log_text())
        # turn off, on, delete: each audited
        for path in ("toggle", "toggle", "delete"):
            ac.get("/admin/center")
            form = {"confirm_delete": "yes"} if path == "delete" else {}
            self.assertEqual(ac.post("/admin/center/pacs/%d/%s" % (did, path), form=form).status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_destinations WHERE id = %s", did)[0][0], 0)
        acts = [a for (a,) in self.sql("SELECT action FROM audit_log WHERE object_type = 'pacs_destination' AND "
                                       "object_id = %s ORDER BY id", str(did))]
        self.assertEqual(acts[2:], ["pacs.destination.disable", "pacs.destination.enable", "pacs.destination.delete"])
        # staff cannot reach the admin forms
        self.assertEqual(self.c["staff"].get("/admin/center/pacs/new").status, 403)

    def test_b_send_delivers_the_study_byte_identical(self):
        rid, study, files = self.request_with_study()
        g = self.gate()
        g.open()
        dest = self.add_destination("Riverside PACS b", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        held = self.orthanc.study_files(study)
        self.assertEqual(sorted(held), sorted(files))
        for sop, data in files.items():
            self.assertEqual(held[sop], data, sop)
        self.assertEqual(set(self.outcomes(sid).values()), {"referenced"})
        self.assertEqual(g.delivered(), Counter({s: 1 for s in files}))
        # the page shows the outcome; the staff timeline says it; the patient reads who sent it where
        page = html.unescape(self.c["staff"].get("/staff/requests/%d" % rid).text)
        self.assertIn("4 of 4 sent", page)
        self.assertIn("Done: 4 stored", page)
        self.assertIn("Stored by the PACS", page)
        self.assertIn("Sending 4 images of the request to Riverside PACS b (PACS)", page)
        self.assertIn("Sending to Riverside PACS b (PACS) is done: 4 of 4 stored", page)
        owner = self.sql("SELECT patient_id FROM requests WHERE id = %s", rid)[0][0]
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action = 'pacs.send' AND outcome = 'ok' "
                                  "AND patient_id = %s AND detail->>'destination' = 'Riverside PACS b'", owner)[0][0], 1)
        page = html.unescape(self.pc.get("/requests/%d/access" % rid).text)
        self.assertIn("sent your images to Riverside PACS b", page)
        self.assertIn(self.users["staff"]["name"], page)

    def test_c_a_pacs_not_started_yet_gets_everything_exactly_once(self):
        rid, study, files = self.request_with_study()
        g = self.gate()  # not listening yet: connection refused
        dest = self.add_destination("Later PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        state, why = self.wait_state(sid, ("retrying", "failed", "done"))
        self.assertEqual(state, "retrying")
        self.assertIn("could not be reached", why)
        page = html.unescape(self.c["staff"].get("/staff/requests/%d" % rid).text)
        self.assertRegex(page, r"Waiting to retry at [^<(]*\d\d:\d\d")
        self.assertIn("0 of 4 sent", page)
        g.open()
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(sorted(self.orthanc.study_files(study)), sorted(files))
        self.assertEqual(g.delivered(), Counter({s: 1 for s in files}))

    def test_d_a_pacs_stopped_mid_send_then_busy_comes_back_exactly_once(self):
        rid, study, files = self.request_with_study()
        g = self.gate()
        g.open()
        dest = self.add_destination("Flaky PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        harness.wait_for(lambda: self.referenced(sid) >= 1, timeout=60, what="a first instance acknowledged")
        g.close()  # the PACS goes away in the middle
        state, _ = self.wait_state(sid, ("retrying", "done", "failed"))
        self.assertEqual(state, "retrying")
        acked = self.referenced(sid)
        self.assertLess(acked, 4)
        g.mode = "busy"
        g.open()  # back, but busy (503) at first
        harness.wait_for(lambda: any(st == 503 for _, _, st in g.seen), timeout=60, what="a 503")
        # the gate writes the 503 down before the portal reads it: the send may still say
        # "sending" for a moment; once it settles, a busy PACS means another try later
        self.assertEqual(self.wait_state(sid, ("retrying", "done", "failed"))[0], "retrying")
        g.mode = "forward"
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(sorted(self.orthanc.study_files(study)), sorted(files))
        self.assertEqual(g.delivered(), Counter({s: 1 for s in files}))

    def test_e_a_portal_killed_mid_send_resumes_and_never_resends_an_acknowledged_instance(self):
        rid, study, files = self.request_with_study()
        g = self.gate()
        g.open()
        dest = self.add_destination("Restart PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        harness.wait_for(lambda: self.referenced(sid) >= 1, timeout=60, what="a first instance acknowledged")
        restart(self.server, signal.SIGKILL)
        acked = {s for s, o in self.outcomes(sid).items() if o == "referenced"}
        self.assertTrue(acked)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(sorted(self.orthanc.study_files(study)), sorted(files))
        sent = g.delivered()
        self.assertEqual(set(sent), set(files))
        for s in acked:  # acknowledged before the kill: sent once, never again
            self.assertEqual(sent[s], 1, s)
        for s in set(files) - acked:  # at most the one in flight when the portal died is sent twice
            self.assertLessEqual(sent[s], 2, s)

    def test_f_basic_auth_works_and_a_wrong_password_fails_in_plain_words(self):
        rid, study, files = self.request_with_study(n=2)
        good = self.add_destination("Secure PACS", self.secure.url + "/dicom-web/", "basic", "portal", "s3cret-pw")
        sid = self.send(self.c["staff"], rid, good)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(sorted(self.secure.study_files(study)), sorted(files))
        bad = self.add_destination("Secure PACS typo", self.secure.url + "/dicom-web", "basic", "portal", "wrong")
        sid = self.send(self.c["staff"], rid, bad)
        state, why = self.wait_state(sid, ("done", "failed"))
        self.assertEqual(state, "failed")
        self.assertIn("refused our credentials (HTTP 401)", why)
        page = html.unescape(self.c["staff"].get("/staff/requests/%d" % rid).text)
        self.assertIn("Failed: The PACS refused our credentials (HTTP 401)", page)
        self.assertNotIn("s3cret-pw", self.server.log_text())

    def test_g_bearer_token_is_sent(self):
        rid, study, files = self.request_with_study(n=2)
        g = self.gate()
        g.mode = "bearer:tok-Abc.123"
        g.open()
        dest = self.add_destination("Token PACS", g.url, "bearer", "", "tok-Abc.123")
        sid = self.send(self.c["staff"], rid, dest)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertTrue(g.seen and all(a == "Bearer tok-Abc.123" for a, _, _ in g.seen))
        self.assertEqual(sorted(self.orthanc.study_files(study)), sorted(files))
        wrong = self.add_destination("Token PACS old", g.url, "bearer", "", "tok-old")
        sid = self.send(self.c["staff"], rid, wrong)
        state, why = self.wait_state(sid, ("done", "failed"))
        self.assertEqual(state, "failed")
        self.assertIn("HTTP 401", why)
        self.assertNotIn("tok-Abc.123", self.server.log_text())

    def test_h_one_study_by_the_assigned_reviewer(self):
        rid, study, files = self.request_with_study(n=2)
        g = self.gate()
        g.open()
        dest = self.add_destination("Reviewer PACS", g.url)
        self.sql("UPDATE requests SET assigned_reviewer_id = %s, status = 'in_review' WHERE id = %s",
                 self.users["reviewer"]["id"], rid)
        st_id = self.sql("SELECT id FROM studies WHERE request_id = %s AND study_uid = %s", rid, study)[0][0]
        page = self.c["reviewer"].get("/reviewer/cases/%d" % rid)
        self.assertIn("Send to our PACS", page.text)
        sid = self.send(self.c["reviewer"], rid, dest, study=str(st_id))
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(self.sql("SELECT study_uid FROM pacs_sends WHERE id = %s", sid)[0][0], study)
        self.assertEqual(set(g.delivered()), set(files))
        # a study that is not this request's: as if it did not exist
        other = self.sql("SELECT id FROM studies WHERE request_id <> %s LIMIT 1", rid)[0][0]
        self.send(self.c["reviewer"], rid, dest, study=str(other), expect=404)

    def test_i_who_may_not_send_learns_nothing(self):
        rid, study, files = self.request_with_study(n=1)
        g = self.gate()
        g.open()
        dest = self.add_destination("Closed PACS", g.url)
        self.sql("UPDATE requests SET assigned_reviewer_id = %s WHERE id = %s", self.users["reviewer"]["id"], rid)
        before = self.sql("SELECT count(*) FROM pacs_sends")[0][0]
        for who, status in (("patient", 403), ("admin", 403), ("reviewer2", 404)):
            c = self.c[who]
            c.get("/account")
            r = c.post("/requests/%d/pacs-sends" % rid, form={"destination": str(dest), "study": "all"})
            self.assertEqual(r.status, status, who)
            self.assertNotIn("Closed PACS", r.text)
            r = c.get("/requests/%d/pacs-sends.json" % rid)
            self.assertIn(r.status, (403, 404), who)
            self.assertNotIn("Closed PACS", r.text)
        # staff without the form's CSRF token: refused, nothing starts
        r = self.c["staff"].post("/requests/%d/pacs-sends" % rid, form={"destination": str(dest)}, csrf=False)
        self.assertEqual(r.status, 403)
        # the same answer for a request that does not exist
        r = self.c["reviewer2"].post("/requests/%d/pacs-sends" % (rid + 100000), form={"destination": str(dest)})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_sends")[0][0], before)
        self.assertEqual(g.seen, [])
        # a destination that is off or unknown: the form says so next to the field, nothing starts
        self.c["admin"].get("/admin/center")
        self.c["admin"].post("/admin/center/pacs/%d/toggle" % dest, form={})
        r = self.c["staff"].get("/staff/requests/%d" % rid)
        r = self.c["staff"].post("/requests/%d/pacs-sends" % rid, form={"destination": str(dest), "study": "all"})
        self.assertEqual(r.status, 303)
        self.assertIn("pacs_error=destination", r.header("Location"))
        page = html.unescape(self.c["staff"].get(r.header("Location").split("#")[0]).text)
        self.assertRegex(page, r'id="pacs_destination-error"[^>]*>Choose one of the PACS destinations listed')
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_sends")[0][0], before)

    def test_j_https_with_the_center_s_own_certificate(self):
        rid, study, files = self.request_with_study(n=2)
        cert, key = os.path.join(self.tmp, "pacs.crt"), os.path.join(self.tmp, "pacs.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=pacs.test", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        g = self.gate()
        g.tls = (cert, key)
        g.open()
        self.assertTrue(g.url.startswith("https://"))
        # without the certificate: refused for good, in words, nothing sent
        plain = self.add_destination("TLS PACS untrusted", g.url)
        sid = self.send(self.c["staff"], rid, plain)
        state, why = self.wait_state(sid, ("done", "failed"))
        self.assertEqual(state, "failed")
        self.assertIn("HTTPS certificate is not trusted", why)
        self.assertEqual(g.seen, [])
        # with it (pasted in the form): delivered
        with open(cert) as fh:
            pem = fh.read()
        trusted = self.add_destination("TLS PACS", g.url, ca_pem=pem)
        self.assertEqual(self.sql("SELECT ca_pem FROM pacs_destinations WHERE id = %s", trusted)[0][0], pem)
        sid = self.send(self.c["staff"], rid, trusted)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(g.delivered(), Counter({s: 1 for s in files}))


    def test_k_large_instances_go_with_flat_server_memory(self):
        """Two 48 MiB instances: the portal's peak RSS grows by far less than what it sends."""
        from test_stow import reset_hwm, vm
        rid = new_patient_with_request(self.server, name="Mary Major")[2]
        self.sql("UPDATE requests SET status = 'triage' WHERE id = %s", rid)
        study, series = self.new_uid(), self.new_uid()
        files = {}
        for k in range(2):
            sop = self.new_uid()
            ds = pydicom.dcmread(os.path.join(studies(), "prior", "R_CC.dcm"))
            del ds.PixelData
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"  # Encapsulated PDF
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
            ds.EncapsulatedDocument = b"%PDF-1.4\n" + os.urandom((48 << 20) - 9)
            path = os.path.join(self.tmp, sop + ".dcm")
            ds.save_as(path)
            files[sop] = read(path)
        sc = self.c["staff"]
        r = sc.request("POST", "/dicom-web/studies?request=%d" % rid, body=body_of(list(files.values())),
                       headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary="st0wB0undary"',
                                "Accept": JSON, "X-CSRF-Token": sc.csrf})
        self.assertEqual(r.status, 200, r.text)
        g = self.gate()
        g.open()
        dest = self.add_destination("Big PACS", g.url)
        pid = self.server.proc.pid
        reset_hwm(pid)
        before = vm(pid, "VmRSS")
        sid = self.send(self.c["staff"], rid, dest)
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        growth = vm(pid, "VmHWM") - before
        print("\n  Send to our PACS, 2 x 48 MiB: server peak RSS (VmHWM) %.1f MiB above the RSS before" %
              (growth / 1048576), end=" ")
        self.assertLess(growth, 32 << 20)
        held = self.orthanc.study_files(study)
        self.assertEqual(sorted(held), sorted(files))
        for sop, data in files.items():
            self.assertEqual(held[sop], data, sop)

    def test_l_a_portal_stopped_mid_send_exits_promptly_and_resumes(self):
        rid, study, files = self.request_with_study()
        g = self.gate()
        g.open()
        dest = self.add_destination("Stop PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        harness.wait_for(lambda: self.referenced(sid) >= 1, timeout=60, what="a first instance acknowledged")
        # SIGTERM: the job stops between batches (or its POST is cut), the server exits 0 within the
        # harness's 20 s (else it is killed: -9)
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        self.assertIn("The portal was restarting", self.server.log_text())
        self.server.start()
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        self.assertEqual(g.delivered(), Counter({s: 1 for s in files}))
        self.assertEqual(sorted(self.orthanc.study_files(study)), sorted(files))


    # ---- what the patient decided comes first; a send never holds a worker for long ----

    def revoke_authorization(self, rid):
        self.sql("INSERT INTO authorizations (request_id, signed_name, text_sha256, text_version, revoked_at) "
                 "VALUES (%s, 'Mary Major', %s, 'v1', now())", rid, "a" * 64)

    def post_json(self, rid, dest):
        sc = self.c["staff"]
        sc.get("/staff/requests/%d" % rid)
        return sc.request("POST", "/requests/%d/pacs-sends" % rid,
                          body=("destination=%d&study=all" % dest).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                                   "X-CSRF-Token": sc.csrf})

    def test_za_a_withdrawn_or_revoked_request_is_not_sent_a_closed_one_is(self):
        g = self.gate()
        g.open()
        dest = self.add_destination("Consent PACS", g.url)
        rid, study, files = self.request_with_study(n=1)
        r = self.pc.post("/requests/%d/withdraw" % rid, {"confirm": "1"})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(self.sql("SELECT status FROM requests WHERE id = %s", rid)[0][0], "withdrawn")
        before = self.sql("SELECT count(*) FROM pacs_sends")[0][0]
        # the form: back to the page, the reason next to the button
        sc = self.c["staff"]
        sc.get("/staff/requests/%d" % rid)
        r = sc.post("/requests/%d/pacs-sends" % rid, form={"destination": str(dest), "study": "all"})
        self.assertEqual(r.status, 303)
        self.assertIn("pacs_error=withdrawn", r.header("Location"))
        page = html.unescape(sc.get(r.header("Location").split("#")[0]).text)
        self.assertRegex(page, r'id="pacs-send-error"[^>]*>Not sent: the patient withdrew the request\.</p>\s*<button')
        # a client asking for JSON: 409 with the reason
        r = self.post_json(rid, dest)
        self.assertEqual(r.status, 409, r.text[:500])
        self.assertEqual(json.loads(r.text)["error"], "withdrawn")
        # a revoked authorization (none signed since)
        rid2, _, _ = self.request_with_study(n=1)
        self.revoke_authorization(rid2)
        r = self.post_json(rid2, dest)
        self.assertEqual(r.status, 409, r.text[:500])
        self.assertEqual(json.loads(r.text)["error"], "revoked")
        self.assertIn("revoked", json.loads(r.text)["message"])
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_sends")[0][0], before)
        self.assertEqual(g.seen, [])
        refused = self.sql("SELECT count(*) FROM audit_log WHERE action = 'pacs.send.refused' AND object_id IN (%s, %s)",
                           str(rid), str(rid2))[0][0]
        self.assertEqual(refused, 3)
        # closed (the report released): may still go to the center's PACS
        rid3, study3, files3 = self.request_with_study(n=1)
        self.sql("UPDATE requests SET status = 'closed' WHERE id = %s", rid3)
        sid = self.send(sc, rid3, dest)
        self.assertEqual(self.wait_state(sid, ("done", "failed", "stopped")), ("done", ""))
        self.assertEqual(set(g.delivered()), set(files3))

    def test_zb_a_waiting_or_running_send_stops_when_the_patient_withdraws_or_revokes(self):
        # waiting: the PACS is down, the send waits to retry; the patient withdraws meanwhile
        rid, study, files = self.request_with_study(n=2)
        g = self.gate()
        dest = self.add_destination("Withdrawn PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        self.assertEqual(self.wait_state(sid, ("retrying", "done", "failed"))[0], "retrying")
        r = self.pc.post("/requests/%d/withdraw" % rid, {"confirm": "1"})
        self.assertEqual(r.status, 303, r.text[:500])
        g.open()
        state, why = self.wait_state(sid, ("stopped", "done", "failed"))
        self.assertEqual((state, why), ("stopped", "the patient withdrew the request"))
        self.assertEqual(g.seen, [])  # nothing left the portal after she withdrew
        page = html.unescape(self.c["staff"].get("/staff/requests/%d" % rid).text)
        self.assertIn("Stopped: the patient withdrew the request", page)
        self.assertIn("Sending to Withdrawn PACS (PACS) was stopped (0 of 2 stored before): the patient withdrew the request",
                      page)
        audit = self.sql("SELECT outcome, detail->>'reason' FROM audit_log WHERE action = 'pacs.send.stopped' "
                         "AND object_id = %s", str(rid))
        self.assertEqual(audit, [("ok", "the patient withdrew the request")])
        ev = self.sql("SELECT count(*) FROM request_events WHERE request_id = %s AND internal "
                      "AND detail->>'event' = 'pacs_send_stopped'", rid)[0][0]
        self.assertEqual(ev, 1)
        # running: the authorization is revoked after the first instance went
        rid2, study2, files2 = self.request_with_study(n=4)
        g2 = self.gate()
        g2.open()
        dest2 = self.add_destination("Revoked PACS", g2.url)
        sid2 = self.send(self.c["staff"], rid2, dest2)
        harness.wait_for(lambda: self.referenced(sid2) >= 1, timeout=60, what="a first instance acknowledged")
        self.revoke_authorization(rid2)
        state, why = self.wait_state(sid2, ("stopped", "done", "failed"))
        self.assertEqual(state, "stopped")
        self.assertIn("revoked", why)
        sent = len(g2.seen)
        self.assertLess(self.referenced(sid2), 4)
        time.sleep(1.5)  # nothing more goes afterwards (the job does not run again)
        self.assertEqual(len(g2.seen), sent)

    def test_zc_a_patient_s_upload_is_taken_in_while_long_sends_are_under_way(self):
        rid, study, files = self.request_with_study(n=4)
        g = self.gate()
        g.open()
        dest = self.add_destination("Busy PACS", g.url)
        # three sends of four instances each: more than the two workers
        sids = [self.send(self.c["staff"], rid, dest) for _ in range(3)]
        harness.wait_for(lambda: self.referenced(sids[0]) >= 1, timeout=60, what="the first send under way")
        _, pc, prid = new_patient_with_request(self.server, name="Ann Intake")
        path = fresh_instance(os.path.join(studies(), "prior", VIEWS[0] + ".dcm"),
                              os.path.join(self.tmp, "intake.dcm"), self.new_uid())
        url, _ = upload_bytes(pc, prid, read(path), "intake.dcm")
        states = [self.sql("SELECT state FROM pacs_sends WHERE id = %s", s)[0][0] for s in sids]
        st = pc.get(url + "/status")
        self.assertEqual(json.loads(st.text)["state"], "complete")
        self.assertNotIn("done", states)  # taken in while every send was still under way
        for s in sids:
            self.assertEqual(self.wait_state(s, ("done", "failed", "stopped")), ("done", ""))
        self.assertEqual(g.delivered(), Counter({s: 3 for s in files}))  # each send: each instance once

    def test_zd_a_destination_is_deleted_only_when_confirmed_and_idle(self):
        rid, study, files = self.request_with_study(n=1)
        g = self.gate()
        dest = self.add_destination("Delete PACS", g.url)
        sid = self.send(self.c["staff"], rid, dest)
        self.assertEqual(self.wait_state(sid, ("retrying", "done", "failed"))[0], "retrying")
        ac = self.c["admin"]
        page = ac.get("/admin/center").text
        self.assertIn('href="/admin/center/pacs/%d#delete-h"' % dest, page)
        ac.get("/admin/center/pacs/%d" % dest)
        r = ac.post("/admin/center/pacs/%d/delete" % dest, form={})
        self.assertEqual(r.status, 422)
        self.assertRegex(html.unescape(r.text), r'id="confirm_delete-error"[^>]*>Tick the box to confirm')
        r = ac.post("/admin/center/pacs/%d/delete" % dest, form={"confirm_delete": "yes"})
        self.assertEqual(r.status, 409)
        self.assertRegex(html.unescape(r.text),
                         r'id="confirm_delete-error"[^>]*>Not deleted: images are being sent to this PACS right now')
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_destinations WHERE id = %s", dest)[0][0], 1)
        g.open()
        self.assertEqual(self.wait_state(sid, ("done", "failed")), ("done", ""))
        r = ac.post("/admin/center/pacs/%d/delete" % dest, form={"confirm_delete": "yes"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sql("SELECT count(*) FROM pacs_destinations WHERE id = %s", dest)[0][0], 0)
