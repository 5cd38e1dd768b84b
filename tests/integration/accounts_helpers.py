"""Helpers other tests use to get a logged-in user. Stable API:

    user = make_user(server, "patient")            # or "staff", "reviewer", "admin"
    login(client, user)                             # through the real forms; asserts success

make_user(server, role, email=None, name=None, password=None) -> dict with
  email, password, totp_secret (base32 text, or None for patients), id, role, name.
It runs `secondop create-user --role ROLE --email E --name N --password-stdin
[--totp]` against the test server's database and data directory (the data
directory holds keys/app.key, which encrypts TOTP secrets; the running server
created it). The account is active and its e-mail verified. Center roles
(staff, reviewer, admin) are enrolled in TOTP so they are usable at once.

login(client, user, next_path=None) posts the login form (with the pre-session
CSRF token from GET /login), then, for an account with TOTP, the code form at
/login/2fa with a code computed here (RFC 6238, HMAC-SHA-1, 6 digits, 30 s). It
ends with GET /account (200) so that client.csrf holds the session's CSRF
token for later posts. A TOTP code is accepted once per time step, so the
helper picks a step newer than the last one the server accepted (read from the
database) and waits for a new step if the window is used up.
"""
import base64
import hashlib
import hmac
import itertools
import os
import re
import struct
import subprocess
import sys
import time
import urllib.parse

import harness

_counter = itertools.count(1)

CENTER_ROLES = ("staff", "reviewer", "admin")


def totp_code(secret_b32, step):
    """The RFC 6238 code (6 digits, SHA-1) for a time step (unix time // 30)."""
    pad = "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(secret_b32.upper() + pad)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    val = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (val % 1000000)


def run_cli(server, args, stdin_text=None):
    """Runs `secondop ARGS` against the test server's database and data dir.
    Returns the CompletedProcess (text mode)."""
    cmd = [harness.BIN] + list(args) + ["--database-url", server.dsn, "--data-dir", server.data_dir,
                                        "--share-dir", harness.ROOT]
    return subprocess.run(cmd, input=stdin_text, capture_output=True, text=True, timeout=60,
                          env=server.env)


def parse_kv_output(text):
    """Parses 'name: value' lines printed by create-user."""
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            out[k.strip()] = v.strip()
    return out


def make_user(server, role, email=None, name=None, password=None):
    """Creates a verified, active user of `role` (TOTP enrolled for center roles)."""
    n = next(_counter)
    tag = "%d-%d" % (os.getpid(), n)
    email = email or "%s%s@example.test" % (role, tag)
    name = name or "%s %s" % (role.capitalize(), tag)
    password = password or "correct horse battery %s staple" % tag
    args = ["create-user", "--role", role, "--email", email, "--name", name, "--password-stdin"]
    if role in CENTER_ROLES:
        args.append("--totp")
    r = run_cli(server, args, password + "\n")
    if r.returncode != 0:
        raise AssertionError("create-user failed (%d): %s" % (r.returncode, r.stderr))
    kv = parse_kv_output(r.stdout)
    if "user-id" not in kv:
        raise AssertionError("create-user printed no user-id: %r" % r.stdout)
    return {
        "id": int(kv["user-id"]),
        "email": email,
        "name": name,
        "role": role,
        "password": password,
        "totp_secret": kv.get("totp-secret"),
    }


def _totp_last_step(server, user_id):
    rows = server.sql("SELECT totp_last_step FROM users WHERE id = %s", user_id)
    if not rows or rows[0][0] is None:
        return -1
    return int(rows[0][0])


def next_totp_code(server, user):
    """A code the server will accept now and for at least the next 30 s: the
    current step or the next one, newer than the last accepted step, waiting
    for a new step if needed. (The previous step is never used: it can leave
    the server's +-1 window before a slow request arrives.)"""
    while True:
        last = _totp_last_step(server, user["id"])
        now = int(time.time()) // 30
        for step in (now, now + 1):
            if step > last:
                return totp_code(user["totp_secret"], step)
        wait = max(0.2, 30 - (time.time() % 30) + 0.2)
        # said in the log, so that a test that sits out steps shows where it does
        print("(waiting %.0f s for a new TOTP step for user %d)" % (wait, user["id"]), file=sys.stderr, flush=True)
        time.sleep(wait)


def class_session(test, user):
    """One logged-in client per user for the whole test class, for tests that are not
    about the login: a second-factor user who logs in again within the same 30-second
    step has to wait for the next one (a code is good once)."""
    sessions = type(test).__dict__.get("_class_sessions")
    if sessions is None:
        sessions = {}
        type(test)._class_sessions = sessions
    if user["id"] not in sessions:
        c = test.client()
        login(c, user)
        sessions[user["id"]] = c
    return sessions[user["id"]]


def login(client, user, next_path=None):
    """Logs the client in through the real forms and asserts success."""
    path = "/login"
    if next_path:
        path += "?" + urllib.parse.urlencode({"next": next_path})
    r = client.get(path)
    assert r.status == 200, "GET /login answered %d" % r.status
    form = {"email": user["email"], "password": user["password"]}
    if next_path:
        form["next"] = next_path
    r = client.post("/login", form)
    assert r.status == 303, "login of %s answered %d: %s" % (user["email"], r.status, r.text[:300])
    loc = r.header("Location") or ""
    if user.get("totp_secret"):
        assert loc.startswith("/login/2fa"), "expected the 2FA step, got Location %r" % loc
        r = client.get("/login/2fa")
        assert r.status == 200, "GET /login/2fa answered %d" % r.status
        r = client.post("/login/2fa", {"code": next_totp_code(client.server, user)})
        assert r.status == 303, "2FA step answered %d: %s" % (r.status, r.text[:300])
        loc = r.header("Location") or ""
        assert not loc.startswith("/login"), "2FA step sent us to %r" % loc
    r = client.get("/account")
    assert r.status == 200, "GET /account after login answered %d" % r.status
    assert user["email"] in r.text, "account page does not show %s" % user["email"]


_OUTBOX_RE = re.compile(r"---- message (\d+), queued [^\n]*----\nTo: ([^\n]*)\nSubject: ([^\n]*)\n\n(.*?)\n\n"
                        r"(?=---- message |\d+ pending message)", re.S)


def outbox_messages(server):
    """Pending outbox messages, oldest first, as dicts (id, to, subject, body).
    The table keeps bodies sealed with the server's app key, so they are read
    the way an operator reads them: `secondop outbox` with the data directory."""
    r = run_cli(server, ["outbox"])
    assert r.returncode == 0, "secondop outbox failed: %s" % r.stderr
    return [{"id": int(m.group(1)), "to": m.group(2), "subject": m.group(3), "body": m.group(4)}
            for m in _OUTBOX_RE.finditer(r.stdout)]
