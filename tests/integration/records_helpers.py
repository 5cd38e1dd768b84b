"""Helpers for the records tests: a patient with a draft request, a small
tus 1.0.0 client over http.client, and the synthetic studies.

    pat, client, req_id = new_patient_with_request(server, name="Jane Doe", dob="1970-01-01")
    url = tus_create(client, req_id, b"...", "report.pdf", kind="radiology_report")
    tus_patch(client, url, 0, data)            -> Response
    upload_file(client, req_id, path_or_bytes, name) -> final Response (204)
"""
import base64
import hashlib
import io
import os
import re
import subprocess
import tempfile
import time

import accounts_helpers
import harness

_studies = None


def studies():
    """Builds the synthetic studies once per run (tests/data/make-studies.sh)."""
    global _studies
    if _studies is None:
        base = os.environ.get("SECONDOP_TEST_TMP") or "/tmp"
        out = tempfile.mkdtemp(prefix="sop-studies-", dir=base)
        subprocess.run(["sh", os.path.join(harness.ROOT, "tests", "data", "make-studies.sh"), out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _studies = out
    return _studies


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def tus_headers(client, extra=None):
    h = {"Tus-Resumable": "1.0.0"}
    if client.csrf:
        h["X-CSRF-Token"] = client.csrf
    h.update(extra or {})
    return h


def metadata(req_id, name, kind="images", sha256=None):
    parts = ["request " + b64(str(req_id)), "kind " + b64(kind)]
    if name is not None:
        parts.append("filename " + b64(name))
    if sha256 is not None:
        parts.append("sha256 " + b64(sha256))
    return ",".join(parts)


def tus_create(client, req_id, length, name, kind="images", sha256=None, expect=201):
    r = client.request("POST", "/api/v1/uploads", headers=tus_headers(client, {
        "Upload-Length": str(length), "Upload-Metadata": metadata(req_id, name, kind, sha256)}))
    assert r.status == expect, "create answered %d: %s" % (r.status, r.text[:300])
    return r.header("Location") if r.status == 201 else r


def tus_patch(client, url, offset, data, extra=None):
    h = tus_headers(client, {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
    h.update(extra or {})
    return client.request("PATCH", url, body=data, headers=h)


def tus_head(client, url):
    return client.request("HEAD", url, headers=tus_headers(client))


def upload_bytes(client, req_id, data, name, kind="images", chunk=None, declare_sha=True):
    """Creates and sends a whole upload; returns (url, last PATCH response)."""
    sha = hashlib.sha256(data).digest() if declare_sha else None
    url = tus_create(client, req_id, len(data), name, kind, sha)
    off = 0
    chunk = chunk or max(1, len(data))
    r = None
    if not data:
        r = tus_patch(client, url, 0, b"")
    while off < len(data):
        piece = data[off:off + chunk]
        r = tus_patch(client, url, off, piece)
        assert r.status == 204, "PATCH at %d answered %d: %s" % (off, r.status, r.text[:300])
        off = int(r.header("Upload-Offset"))
    if r is not None and r.status == 204:
        wait_checked(client, url)
    return url, r


def upload_status(client, url):
    """The uploader's view of an upload: GET {url}/status as a dict."""
    import json
    r = client.get(url + "/status")
    assert r.status == 200, "status answered %d: %s" % (r.status, r.text[:300])
    return json.loads(r.text)


def wait_checked(client, url, timeout=120):
    """Polls the upload's status until intake (a background job) is done;
    returns the final status (state complete or failed, or waiting: durable
    but held for the virus scanner)."""
    import time
    deadline = time.time() + timeout
    while True:
        st = upload_status(client, url)
        if st["state"] in ("complete", "failed", "waiting"):
            return st
        assert time.time() < deadline, "upload %s still %s after %d s" % (url, st["state"], timeout)
        time.sleep(0.05)


def upload_path(client, req_id, path, name=None, kind="images"):
    with open(path, "rb") as f:
        data = f.read()
    return upload_bytes(client, req_id, data, name or os.path.basename(path), kind)


def new_request(client):
    """Starts a draft the way a patient does (GET, then POST /requests/new)
    and opens its records page (which refreshes client.csrf); returns its id."""
    r = client.get("/requests/new")
    assert r.status == 200, "GET /requests/new answered %d" % r.status
    r = client.post("/requests/new", {})
    assert r.status == 303, "POST /requests/new answered %d: %s" % (r.status, r.text[:300])
    m = re.match(r"/requests/(\d+)/steps/exam$", r.header("Location") or "")
    assert m, r.header("Location")
    req_id = int(m.group(1))
    assert client.get("/requests/%d/records" % req_id).status == 200
    return req_id


def new_patient_with_request(server, name=None, dob="1970-01-01"):
    user = accounts_helpers.make_user(server, "patient", name=name)
    if dob:
        server.sql("UPDATE users SET date_of_birth = %s WHERE id = %s", dob, user["id"])
    client = server.client()
    accounts_helpers.login(client, user)
    return user, client, new_request(client)


def records_page(client, req_id):
    r = client.get("/requests/%d/records" % req_id)
    assert r.status == 200, r.status
    return r.text


def documents(server, req_id):
    return server.sql("SELECT id, original_name, sniffed_type, skipped, refused, skip_reason, size, sop_instance_uid "
                      "FROM documents WHERE request_id = %s ORDER BY id", req_id)


def store_files(server):
    """Every file under the data directory's store folders."""
    out = []
    for sub in ("files", "staging", "quarantine"):
        d = os.path.join(server.data_dir, sub)
        for root, _, files in os.walk(d):
            out.extend(os.path.join(root, f) for f in files)
    return out


def records_digest(blob):
    """The records digest (digest kind 2) of a stored format-2 blob (its path, or its bytes),
    computed from the blob's bytes alone as server/store/blobfmt.h defines it: BLAKE2b-256 over
    "SOPRDIG1", u32 format, the file id, then each record's nonce and tag, then u64 record count
    and plaintext size."""
    stride = 24 + 65536 + 16
    h = hashlib.blake2b(digest_size=32)
    count, size = 0, 0
    with (io.BytesIO(blob) if isinstance(blob, (bytes, bytearray)) else open(blob, "rb")) as f:
        head = f.read(48)
        assert head[:8] == b"SOPBLOB1" and int.from_bytes(head[8:12], "big") == 2, "not a format-2 blob"
        h.update(b"SOPRDIG1" + head[8:12] + head[16:32])
        while True:
            rec = f.read(stride)
            if not rec:
                break
            h.update(rec[:24] + rec[-16:])
            count += 1
            size += len(rec) - 40
    h.update(count.to_bytes(8, "big") + size.to_bytes(8, "big"))
    return h.hexdigest()


def stored_file(server, file_id_hex):
    """Path of a finished blob in the local store."""
    return os.path.join(server.data_dir, "files", file_id_hex)


def stored_blob(server, file_id_hex):
    """The bytes of a finished blob: from the object store when the server has one
    (test_blob_s3.py sets server.store_get), else from the local store's file."""
    get = getattr(server, "store_get", None)
    if get:
        return get(file_id_hex)
    with open(stored_file(server, file_id_hex), "rb") as f:
        return f.read()


def store_vs_rows(server):
    """(names of the files under files/, hex file ids that document and rendition rows name)."""
    ids = {r[0] for r in server.sql(
        "SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL "
        "UNION SELECT encode(preview_file_id, 'hex') FROM renditions WHERE preview_file_id IS NOT NULL "
        "UNION SELECT encode(frames_file_id, 'hex') FROM renditions WHERE frames_file_id IS NOT NULL")}
    if getattr(server, "store_ids", None):  # an object store (test_blob_s3.py): its listing
        return server.store_ids(), ids
    on_disk = {os.path.basename(p) for p in store_files(server) if "/files/" in p}
    return on_disk, ids


def wait_store_clean(server, timeout=90):
    """Returns (on disk, named by rows) once only files named by rows remain in the store and no
    intake or render job is running or due. The intake job deletes an archive's own blob and
    duplicates just after its transaction commits, so the upload's status says complete a moment
    before; a render job stores its two blobs a moment before its row names them, and the jobs of
    a study run one after another (on a loaded machine, for longer than a fixed wait). Poll,
    bounded, then let the caller compare (and fail with both sets); what the extra files are is
    printed then."""
    deadline = time.time() + timeout
    while True:
        on_disk, ids = store_vs_rows(server)
        busy = server.sql("SELECT count(*) FROM jobs WHERE kind IN ('intake', 'render') "
                          "AND (state = 'running' OR (state = 'queued' AND run_after <= now()))")[0][0]
        if (on_disk == ids and not busy) or time.time() >= deadline:
            if on_disk != ids:
                print("store vs rows after %d s: %d jobs busy; only on disk %s; only in rows %s; jobs %s" % (
                    timeout, busy, sorted(on_disk - ids), sorted(ids - on_disk),
                    server.sql("SELECT kind, state, attempts, payload FROM jobs ORDER BY id")))
            return on_disk, ids
        time.sleep(0.05)


def restart(server, sig=None, between=None):
    """Stops the server (SIGTERM, or sig e.g. 9), runs between(), starts it
    again on the same port and waits until it answers (harness.Server.start
    can see the previous run's 'serving on' line in the appended log)."""
    import signal as _signal
    import socket
    import time as _time
    server.stop(sig or _signal.SIGTERM)
    if between:
        between()
    server.start()
    deadline = _time.time() + 30
    while _time.time() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=1)
            s.close()
            return
        except OSError:
            _time.sleep(0.05)
    raise RuntimeError("server did not come back:\n" + server.log_text()[-2000:])
