"""Alerts on abnormal rates (checklist item 71): a scripted burst of failed logins gives
exactly one ALERT line and one count in /metrics; a patient downloading more files than the
threshold gives one alert naming the account number, never a name or a file."""
import os
import tempfile

import harness
import records_helpers as rh
from accounts_helpers import make_user

TOKEN = "alerts-metrics-token-0123456789abcdef"


class AlertsTest(harness.ServerTestCase):
    server_env = {"SECONDOP_ALERT_FAILED_LOGINS": "5", "SECONDOP_ALERT_DOWNLOADS": "3"}

    @classmethod
    def setUpClass(cls):
        d = tempfile.mkdtemp(prefix="sop-alerts-")
        cls.token_file = os.path.join(d, "token")
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(cls.token_file, 0o600)
        cls.server_args = ("--metrics-token-file", cls.token_file)
        super().setUpClass()

    def alerts_in_metrics(self, kind):
        r = self.client().get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(r.status, 200)
        line = 'secondop_alerts_total{kind="%s"} ' % kind
        return int(next(ln for ln in r.text.splitlines() if ln.startswith(line))[len(line):])

    def test_1_failed_login_burst_alerts_once(self):
        before = self.alerts_in_metrics("failed_logins")
        log_from = os.path.getsize(self.server.log_path)
        user = make_user(self.server, "patient")
        c = self.client()
        self.assertEqual(c.get("/login").status, 200)
        for i in range(12):  # some may be throttled: those are failed attempts too
            r = c.post("/login", {"email": user["email"] if i % 2 else "nobody-%d@example.org" % i,
                                  "password": "not the password %d" % i})
            self.assertIn(r.status, (401, 422, 429), r.text[:200])
        text = self.server.wait_log("ALERT failed_logins", from_byte=log_from)
        # every attempt was answered (and audited, which is where alerts are counted) before now
        self.assertEqual(text.count("ALERT failed_logins"), 1, text)
        self.assertIn("6 failed logins within 60 s across the site (more than 5)", text)
        self.assertNotIn(user["email"], text[text.index("ALERT"):].splitlines()[0])
        self.assertEqual(self.alerts_in_metrics("failed_logins"), before + 1)

    def test_2_many_downloads_by_one_account_alert_once(self):
        log_from = os.path.getsize(self.server.log_path)
        pat, c, req = rh.new_patient_with_request(self.server, name="Alert Patient")
        pdf = b"%PDF-1.4\n" + b"x" * 2000 + b"\n%%EOF\n"
        rh.upload_bytes(c, req, pdf, "report.pdf", kind="radiology_report")
        doc = rh.documents(self.server, req)[0][0]
        for _ in range(6):
            self.assertEqual(c.get("/requests/%d/documents/%d/download" % (req, doc)).status, 200)
        text = self.server.wait_log("ALERT downloads", from_byte=log_from)
        self.assertEqual(text.count("ALERT downloads"), 1, text)
        line = text[text.index("ALERT downloads"):].splitlines()[0]
        self.assertIn("account %d downloaded 4 files within 3600 s (more than 3)" % pat["id"], line)
        self.assertNotIn("report.pdf", line)
        self.assertNotIn("Alert Patient", line)
        self.assertEqual(self.alerts_in_metrics("downloads"), 1)
