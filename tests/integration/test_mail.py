"""E-mail delivery of the outbox to a real SMTP server on loopback (Debian's
python3-aiosmtpd, a Maildir handler): delivery, the server being down and
coming back (retried with back-off, delivered once), several messages each
exactly once, and what a notification says (nothing clinical).

Run: SECONDOP_BIN=$PWD/build-center/secondop /usr/bin/python3 tests/integration/run.py test_mail
"""
import email
import mailbox
import os
import signal
import socket
import subprocess
import tempfile
import time

import harness


SMTP_PORT = harness.free_port()


class SmtpServer:
    """python3 -m aiosmtpd writing every message into a Maildir."""

    def __init__(self, port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="sop-smtp-")
        self.maildir = os.path.join(self.dir, "Maildir")
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "smtpd.log"), "ab")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % self.port,
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=log, stderr=log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("aiosmtpd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None

    def messages(self):
        if not os.path.isdir(self.maildir):
            return []
        return [m for m in mailbox.Maildir(self.maildir, create=False)]


class MailDeliveryTest(harness.ServerTestCase):
    server_args = ("--smtp-url", "smtp://127.0.0.1:%d" % SMTP_PORT, "--mail-from", "portal@center.test")
    server_env = {"SECONDOP_MAIL_POLL_MS": "100", "SECONDOP_TEST_MAIL_BACKOFF_SECONDS": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = SmtpServer(SMTP_PORT)

    @classmethod
    def tearDownClass(cls):
        cls.smtp.stop()
        super().tearDownClass()

    def enqueue(self, to, subject="Something changed", body="Please log in:\nhttp://x/\n"):
        return self.sql("INSERT INTO outbox (recipient, subject, body) VALUES (%s, %s, %s) RETURNING id",
                        to, subject, body)[0][0]

    def row(self, mid):
        return self.sql("SELECT sent_at IS NOT NULL, attempts, last_error, next_attempt_at = 'infinity'"
                        " FROM outbox WHERE id = %s", mid)[0]

    def wait_for(self, cond, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return True
            time.sleep(0.1)
        return False

    def with_id(self, mid):
        return [m for m in self.smtp.messages() if m["Message-ID"] and "outbox-%d@" % mid in m["Message-ID"]]

    def test_1_down_then_back_delivers_once(self):
        # the SMTP server is down: attempts are made and failures recorded, nothing marked sent
        self.smtp.stop()
        mid = self.enqueue("patient1@example.test")
        self.assertTrue(self.wait_for(lambda: self.row(mid)[1] >= 2, 15), "no retry while the server is down")
        sent, attempts, err, held = self.row(mid)
        self.assertFalse(sent)
        self.assertFalse(held, "a connection failure must be retried, not held")
        self.assertTrue(err, "the failure reason is kept for the operator")
        # it comes back: the message is delivered, exactly once
        self.smtp.start()
        self.assertTrue(self.wait_for(lambda: self.row(mid)[0], 20), "not delivered after the server came back")
        # the SMTP server stores a message once it has answered; wait for it,
        # then give a duplicate a moment to show up
        self.assertTrue(self.wait_for(lambda: len(self.with_id(mid)) >= 1, 20), "the message never arrived")
        time.sleep(1.0)
        got = self.with_id(mid)
        self.assertEqual(len(got), 1, "delivered %d times" % len(got))
        self.assertEqual(got[0]["To"], "patient1@example.test")
        self.assertEqual(got[0]["From"], "portal@center.test")
        sent, attempts, err, held = self.row(mid)
        self.assertTrue(sent)
        self.assertIsNone(err)
        self.server.wait_log("outbox=%d sent" % mid)

    def test_2_many_messages_each_exactly_once(self):
        self.smtp.start() if self.smtp.proc is None else None
        ids = [self.enqueue("p%d@example.test" % i, "Subject %d" % i) for i in range(12)]
        self.assertTrue(self.wait_for(
            lambda: self.sql("SELECT count(*) FROM outbox WHERE id = ANY(%s) AND sent_at IS NOT NULL", ids)[0][0] == 12,
            30))
        self.assertTrue(self.wait_for(lambda: all(self.with_id(m) for m in ids), 20), "not every message arrived")
        time.sleep(1.0)  # room for a duplicate to show up
        for mid in ids:
            self.assertEqual(len(self.with_id(mid)), 1, "message %d" % mid)
            self.assertEqual(self.row(mid)[1], 1, "one attempt for message %d" % mid)

    def test_3_header_injection_and_utf8_subject(self):
        self.smtp.start() if self.smtp.proc is None else None
        mid = self.enqueue("p-inj@example.test", "Hello\r\nBcc: evil@example.test", "Line one\nLine two\n.\nend\n")
        mid2 = self.enqueue("p-utf@example.test", "Ihre Anfrage \u00e4ndert sich", "x\n")
        self.assertTrue(self.wait_for(lambda: self.row(mid)[0] and self.row(mid2)[0], 20))
        self.assertTrue(self.wait_for(lambda: self.with_id(mid) and self.with_id(mid2), 20))
        m = self.with_id(mid)[0]
        self.assertIsNone(m["Bcc"], "a CR/LF in the subject must not add a header")
        self.assertIn("Hello", m["Subject"])
        body = m.get_payload()
        self.assertIn("Line two\n.\nend", body.replace("\r\n", "\n"), "dot-stuffing must round-trip")
        m2 = self.with_id(mid2)[0]
        subj = str(email.header.make_header(email.header.decode_header(m2["Subject"])))
        self.assertEqual(subj, "Ihre Anfrage \u00e4ndert sich")


class MailUnconfiguredTest(harness.ServerTestCase):
    """Without --smtp-url nothing is sent and the outbox keeps the message."""

    def test_nothing_sent_without_url(self):
        mid = self.sql("INSERT INTO outbox (recipient, subject, body) VALUES ('a@b.test', 's', 'b') RETURNING id")[0][0]
        time.sleep(1.5)
        row = self.sql("SELECT sent_at, attempts FROM outbox WHERE id = %s", mid)[0]
        self.assertIsNone(row[0])
        self.assertEqual(row[1], 0)
