"""HTTPS through libmicrohttpd's GnuTLS support: TLS 1.2/1.3 only, AEAD
suites only, HSTS on every response."""
import http.client
import os
import socket
import ssl
import subprocess
import tempfile
import unittest

import harness


def make_cert(folder):
    key = os.path.join(folder, "key.pem")
    cert = os.path.join(folder, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


class TlsTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sop-tls-")
        cls.cert, key = make_cert(cls.tmp)
        cls.server_args = ("--tls-cert", cls.cert, "--tls-key", key)
        super().setUpClass()

    def https(self, path, ctx=None):
        ctx = ctx or ssl.create_default_context(cafile=self.cert)
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx, timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        headers = r.getheaders()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in headers), body

    def test_serves_https_with_hsts(self):
        status, headers, body = self.https("/")
        self.assertEqual(status, 200)
        self.assertIn(b"A second opinion on your mammogram", body)
        self.assertEqual(headers["strict-transport-security"], "max-age=31536000; includeSubDomains")
        status, headers, _ = self.https("/nope")
        self.assertEqual(status, 404)
        self.assertIn("strict-transport-security", headers)
        self.assertIn("serving on https://", self.server.log_text())

    def test_old_protocols_refused(self):
        tried = 0
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                ctx.minimum_version = version
                ctx.maximum_version = version
                ctx.set_ciphers("ALL:@SECLEVEL=0")
            except (ValueError, ssl.SSLError):
                continue
            tried += 1
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
                    with ctx.wrap_socket(s) as t:
                        t.sendall(b"GET / HTTP/1.0\r\n\r\n")
                        t.recv(10)
        self.assertGreater(tried, 0, "this Python could offer neither TLS 1.0 nor 1.1")

    def test_only_aead_suites_with_forward_secrecy(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                name, version, _ = t.cipher()
                self.assertEqual(version, "TLSv1.2")
                self.assertRegex(name, r"^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)")
        # a CBC-only client finds nothing in common
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-SHA256")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
                with ctx.wrap_socket(s) as t:
                    t.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    t.recv(10)


if __name__ == "__main__":
    unittest.main()
