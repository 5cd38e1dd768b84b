"""The specialist directory: filters and sorts with known answers, paging,
API validation, compare and detail pages, deactivation, CSV import/export
(CLI and admin pages), and the admin pages refused to every other role."""
import csv
import io
import os
import re
import subprocess
import tempfile
import urllib.parse

import harness
from accounts_helpers import class_session, login, make_user, run_cli

COLS = ["external_id", "full_name", "credentials", "board", "board_year", "breast_fellowship", "institution",
        "city", "state", "nci_designated", "academic", "center_of_excellence", "remote_review", "in_person",
        "offers_reread", "fee_reread", "offers_consult", "fee_consult", "records_submission",
        "records_requirements", "turnaround_days", "networks", "languages", "accepting", "active"]
ABR = "American Board of Radiology"

# Six specialists with known answers to every filter (see the tests).
FIXTURE = [
    # id  name          cred board year fel  inst    city  st    nci   acad  coe   remote inp  reread consult days networks langs accepting active
    ("t-a", "Alice Able", "MD", ABR, "2010", "yes", "Inst A", "Chicago", "IL", "comprehensive", "yes", "yes", "yes", "yes", "400", "700", 5, "Aetna;Medicare", "English;Spanish", "yes", "yes"),
    ("t-b", "Bob Baker", "DO", "American Osteopathic Board of Radiology", "2012", "yes", "Inst B", "Houston", "TX", "clinical", "no", "yes", "yes", "no", "250", "", 3, "Cigna", "English", "yes", "yes"),
    ("t-c", "Carla Cruz", "MD", ABR, "2015", "no", "Inst C", "Fresno", "CA", "none", "yes", "no", "no", "yes", "", "500", 10, "Aetna", "English;Spanish", "no", "yes"),
    ("t-d", "Dan Drake", "MD", "", "", "yes", "Inst D", "Albany", "NY", "none", "no", "no", "yes", "yes", "150", "300", 14, "", "English", "yes", "yes"),
    ("t-e", "Eve Evans", "MD", ABR, "2000", "yes", "Inst E", "New York", "NY", "comprehensive", "yes", "no", "yes", "no", "500", "", 7, "Aetna;Blue Cross Blue Shield", "English;French", "yes", "yes"),
    ("t-f", "Finn Ford", "MD", ABR, "2005", "yes", "Inst F", "Seattle", "WA", "none", "no", "no", "no", "yes", "200", "450", 2, "Medicare", "English", "yes", "no"),
]


def fixture_csv(rows=FIXTURE, changes=None):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLS)
    for r in rows:
        (eid, name, cred, board, year, fel, inst, city, st, nci, acad, coe, rem, inp, fr, fc, days, nets, langs,
         acc, act) = r
        row = [eid, name, cred, board, year, fel, inst, city, st, nci, acad, coe, rem, inp,
               "yes" if fr else "no", fr, "yes" if fc else "no", fc, "upload", "", days, nets, langs, acc, act]
        if changes and eid in changes:
            for k, v in changes[eid].items():
                row[COLS.index(k)] = v
        w.writerow(row)
    return out.getvalue()


def import_file(server, text):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return run_cli(server, ["import-specialists", path])
    finally:
        os.unlink(path)


class DirectoryFixture(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = import_file(cls.server, fixture_csv())
        if r.returncode != 0:
            raise AssertionError("fixture import failed: %s %s" % (r.stdout, r.stderr))
        cls.ids = {eid: i for i, eid in cls.server.sql("SELECT id, external_id FROM specialists")}

    def api(self, query="", status=200):
        r = self.client().get("/api/v1/specialists" + ("?" + query if query else ""))
        self.assertEqual(r.status, status, r.text)
        return r.json()

    def names(self, query):
        return [s["full_name"] for s in self.api(query)["specialists"]]


class FilterTest(DirectoryFixture):
    def test_default_is_board_certified_breast_specialists_by_name(self):
        j = self.api()
        self.assertEqual([s["full_name"] for s in j["specialists"]], ["Alice Able", "Bob Baker", "Eve Evans"])
        self.assertEqual(j["total"], 3)
        self.assertEqual(j["sort"], "name")

    def test_breast_off_shows_every_active_specialist(self):
        self.assertEqual(self.names("breast=0"),
                         ["Alice Able", "Bob Baker", "Carla Cruz", "Dan Drake", "Eve Evans"])

    def test_each_filter(self):
        cases = {
            "nci=any": ["Alice Able", "Bob Baker", "Eve Evans"],
            "nci=comprehensive": ["Alice Able", "Eve Evans"],
            "nci=clinical": ["Bob Baker"],
            "academic=1": ["Alice Able", "Carla Cruz", "Eve Evans"],
            "coe=1": ["Alice Able", "Bob Baker"],
            "remote=1": ["Alice Able", "Bob Baker", "Dan Drake", "Eve Evans"],
            "in_person=1": ["Alice Able", "Carla Cruz", "Dan Drake"],
            "review=reread": ["Alice Able", "Bob Baker", "Dan Drake", "Eve Evans"],
            "review=consult": ["Alice Able", "Carla Cruz", "Dan Drake"],
            "network=aetna&in_network=1": ["Alice Able", "Carla Cruz", "Eve Evans"],
            "network=Medicare&in_network=1": ["Alice Able"],
            "language=SPANISH": ["Alice Able", "Carla Cruz"],
            "max_days=5": ["Alice Able", "Bob Baker"],
            "accepting=1": ["Alice Able", "Bob Baker", "Dan Drake", "Eve Evans"],
            "state=NY": ["Dan Drake", "Eve Evans"],
        }
        for q, want in cases.items():
            with self.subTest(q=q):
                self.assertEqual(self.names("breast=0&" + q), want)

    def test_combined_filters(self):
        # the browser story: remote review, NCI-designated, in network for Aetna (breast specialists by default)
        self.assertEqual(self.names("remote=1&nci=any&network=Aetna&in_network=1"), ["Alice Able", "Eve Evans"])
        self.assertEqual(self.names("remote=1&nci=any&network=Aetna&in_network=1&max_days=5"), ["Alice Able"])
        self.assertEqual(self.names("academic=1&in_person=1&review=consult"), ["Alice Able"])
        self.assertEqual(self.names("coe=1&state=CA"), [])

    def test_plan_marks_in_and_out_of_network_without_filtering(self):
        j = self.api("network=Aetna")
        self.assertEqual({s["full_name"]: s["in_network"] for s in j["specialists"]},
                         {"Alice Able": True, "Bob Baker": False, "Eve Evans": True})
        self.assertNotIn("in_network", self.api()["specialists"][0])

    def test_sorts(self):
        self.assertEqual(self.names("breast=0&sort=turnaround"),
                         ["Bob Baker", "Alice Able", "Eve Evans", "Carla Cruz", "Dan Drake"])
        # lowest offered fee; ties (Carla 500, Eve 500) by name
        self.assertEqual(self.names("breast=0&sort=fee"),
                         ["Dan Drake", "Bob Baker", "Alice Able", "Carla Cruz", "Eve Evans"])
        self.assertEqual(self.names("breast=0&sort=fee&review=consult"), ["Dan Drake", "Carla Cruz", "Alice Able"])
        self.assertEqual(self.names("breast=0&sort=name"),
                         ["Alice Able", "Bob Baker", "Carla Cruz", "Dan Drake", "Eve Evans"])

    def test_paging_edges(self):
        j = self.api("breast=0&limit=2")
        self.assertEqual([s["full_name"] for s in j["specialists"]], ["Alice Able", "Bob Baker"])
        self.assertEqual((j["total"], j["limit"], j["offset"]), (5, 2, 0))
        self.assertEqual(self.names("breast=0&limit=2&offset=2"), ["Carla Cruz", "Dan Drake"])
        j = self.api("breast=0&limit=2&offset=4")
        self.assertEqual([s["full_name"] for s in j["specialists"]], ["Eve Evans"])
        self.assertEqual(j["total"], 5)
        j = self.api("breast=0&limit=2&page=3")
        self.assertEqual([s["full_name"] for s in j["specialists"]], ["Eve Evans"])
        self.assertEqual(j["offset"], 4)
        for q in ("breast=0&limit=2&offset=5", "breast=0&offset=1000"):
            j = self.api(q)
            self.assertEqual(j["specialists"], [])
            self.assertEqual(j["total"], 5, q)
        self.assertEqual(len(self.api("breast=0&limit=100")["specialists"]), 5)

    def test_api_fields(self):
        alice = self.api("network=Aetna")["specialists"][0]
        self.assertEqual(alice["external_id"], "t-a")
        self.assertEqual(alice["review_types"], {"reread": {"offered": True, "fee_cents": 40000},
                                                 "consult": {"offered": True, "fee_cents": 70000}})
        self.assertEqual(alice["networks"], ["Aetna", "Medicare"])
        self.assertEqual(alice["languages"], ["English", "Spanish"])
        self.assertEqual(alice["nci_designated"], "comprehensive")
        self.assertEqual(alice["board_year"], 2010)
        self.assertTrue(alice["in_network"])
        bob = self.api("nci=clinical")["specialists"][0]
        self.assertEqual(bob["review_types"]["consult"], {"offered": False, "fee_cents": None})
        self.assertNotIn("reviewer_user_id", bob)

    def test_api_validation_names_the_parameter(self):
        bad = {
            "limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "offset=-1": "offset",
            "page=0": "page", "page=1&offset=2": "page", "sort=price": "sort", "nci=maybe": "nci",
            "breast=perhaps": "breast", "review=both": "review", "max_days=0": "max_days",
            "max_days=9999": "max_days", "state=tx": "state", "in_network=1": "network",
            "colour=red": "colour", "academic=1&academic=0": "academic", "network=" + "x" * 81: "network",
        }
        for q, param in bad.items():
            with self.subTest(q=q):
                r = self.client().get("/api/v1/specialists?" + q)
                self.assertEqual(r.status, 400, r.text)
                self.assertTrue(r.header("Content-Type").startswith("application/json"))
                err = r.json()["error"]
                self.assertEqual(err["parameter"], param)
                self.assertEqual(err["code"], "invalid_parameter")
                self.assertTrue(err["message"])

    def test_inactive_hidden_from_listing_but_readable_by_id(self):
        self.assertNotIn("Finn Ford", self.names("breast=0&limit=100"))
        r = self.client().get("/specialists?filtered=1&limit=100")
        self.assertEqual(r.status, 200)
        self.assertNotIn("Finn Ford", r.text)
        r = self.client().get("/specialists/%d" % self.ids["t-f"])
        self.assertEqual(r.status, 200)
        self.assertIn("Finn Ford", r.text)
        self.assertIn("no longer in our directory and is not accepting requests", r.text)
        self.assertNotIn('href="/signup">Start a request', r.text)

    def test_unknown_or_malformed_id_is_404(self):
        for p in ("/specialists/999999", "/specialists/abc", "/specialists/0"):
            self.assertEqual(self.client().get(p).status, 404, p)


class PagesTest(DirectoryFixture):
    def test_directory_page_defaults_and_explains_each_flag(self):
        r = self.client().get("/specialists")
        self.assertEqual(r.status, 200)
        for name in ("Alice Able", "Bob Baker", "Eve Evans"):
            self.assertIn(name, r.text)
        self.assertNotIn("Carla Cruz", r.text)
        self.assertRegex(r.text, r'name="breast" value="1" checked')
        self.assertIn("3 specialists found", r.text)
        for sentence in ("trained for an extra year, a fellowship, in breast imaging",
                         "recognised by the National Cancer Institute",
                         "teaching hospital linked to a medical school",
                         "accredited in every breast imaging method",
                         "so you do not need to travel",
                         "meet you in person",
                         "a full consultation adds a conversation",
                         "Only shows specialists in your insurance network",
                         "from a complete request to your report"):
            self.assertIn(sentence, r.text)
        self.assertNotIn("<script>", r.text)

    def test_unticking_breast_in_the_form_turns_it_off(self):
        r = self.client().get("/specialists?filtered=1&sort=turnaround")
        self.assertEqual(r.status, 200)
        self.assertIn("Carla Cruz", r.text)
        self.assertNotRegex(r.text, r'name="breast" value="1" checked')
        order = [m for m in re.findall(r"(Bob Baker|Alice Able|Eve Evans|Carla Cruz|Dan Drake), ", r.text)]
        self.assertEqual(order[:5], ["Bob Baker", "Alice Able", "Eve Evans", "Carla Cruz", "Dan Drake"])

    def test_plan_shown_in_list_detail_and_compare(self):
        r = self.client().get("/specialists?network=Aetna")
        self.assertIn("In network for Aetna", r.text)
        self.assertIn("Out of network for Aetna", r.text)
        r = self.client().get("/specialists/%d?network=Aetna" % self.ids["t-a"])
        self.assertIn("In network for Aetna", r.text)
        r = self.client().get("/specialists/%d?network=Aetna" % self.ids["t-b"])
        self.assertIn("Out of network for Aetna", r.text)

    def test_bad_filter_on_the_page_is_400_with_the_error_next_to_the_field(self):
        r = self.client().get("/specialists?max_days=abc")
        self.assertEqual(r.status, 400)
        self.assertIn('id="max_days-error"', r.text)
        self.assertIn("Enter a number of days from 1 to 365.", r.text)

    def test_paging_links(self):
        r = self.client().get("/specialists?filtered=1&limit=2")
        self.assertIn("Page 1 of 3", r.text)
        m = re.search(r'rel="next" href="([^"]+)"', r.text)
        self.assertIsNotNone(m)
        nxt = m.group(1).replace("&amp;", "&")
        r = self.client().get(nxt)
        self.assertIn("Page 2 of 3", r.text)
        self.assertIn("Carla Cruz", r.text)
        self.assertNotIn("Alice Able, MD</a>", r.text)

    def test_compare_two_and_three_side_by_side(self):
        a, b, e = self.ids["t-a"], self.ids["t-b"], self.ids["t-e"]
        r = self.client().get("/specialists/compare?id=%d&id=%d&network=Aetna" % (a, b))
        self.assertEqual(r.status, 200)
        self.assertIn("Alice Able", r.text)
        self.assertIn("Bob Baker", r.text)
        self.assertIn("$400.00", r.text)
        self.assertIn("Your plan (Aetna)", r.text)
        self.assertEqual(len(re.findall(r"<th scope=\"col\"><a href", r.text)), 2)
        r = self.client().get("/specialists/compare?id=%d&id=%d&id=%d" % (a, b, e))
        self.assertEqual(r.status, 200)
        self.assertEqual(len(re.findall(r"<th scope=\"col\"><a href", r.text)), 3)

    def test_compare_refuses_more_than_three_or_none(self):
        ids = list(self.ids.values())[:4]
        r = self.client().get("/specialists/compare?" + "&".join("id=%d" % i for i in ids))
        self.assertEqual(r.status, 400)
        self.assertIn("up to three", r.text)
        r = self.client().get("/specialists/compare")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.client().get("/specialists/compare?id=999999").status, 404)

    def test_values_are_escaped(self):
        r = self.client().get("/specialists?network=%3Cscript%3Ex")
        self.assertEqual(r.status, 200)
        self.assertNotIn("<script>x", r.text)
        self.assertIn("&lt;script&gt;x", r.text)


class CsvImportTest(harness.ServerTestCase):
    def setUp(self):
        self.sql("DELETE FROM specialists")   # each test starts from an empty directory

    def count(self):
        return self.sql("SELECT count(*) FROM specialists")[0][0]

    def test_good_then_reimport_updates_not_duplicates(self):
        r = import_file(self.server, fixture_csv())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("6 new, 0 updated", r.stdout)
        self.assertEqual(self.count(), 6)
        r = import_file(self.server, fixture_csv(changes={"t-b": {"turnaround_days": "9"}}))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 new, 6 updated", r.stdout)
        self.assertEqual(self.count(), 6)
        self.assertEqual(self.sql("SELECT turnaround_days FROM specialists WHERE external_id='t-b'")[0][0], 9)
        rows = self.sql("SELECT detail->>'created', detail->>'updated' FROM audit_log "
                        "WHERE action = 'specialist.import' ORDER BY id")
        self.assertEqual(rows[-2:], [("6", "0"), ("0", "6")])

    def test_bad_file_refused_whole_with_every_bad_line(self):
        import_file(self.server, fixture_csv())
        before = self.sql("SELECT external_id, full_name, turnaround_days FROM specialists ORDER BY 1")
        text = fixture_csv(changes={"t-b": {"state": "XX", "turnaround_days": "8"},
                                    "t-d": {"credentials": "PhD"},
                                    "t-e": {"fee_reread": "abc"}})
        text += "t-new,New Person,MD,,,no,Inst,City,TX,none,no,no,yes,no,yes,100,no,,upload,,3,,English,yes,yes\r\n"
        r = import_file(self.server, text)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nothing was imported", r.stderr)
        self.assertIn("line 3: state:", r.stderr)       # t-b is the second data row: line 3
        self.assertIn("line 5: credentials:", r.stderr)
        self.assertIn("line 6: fee_reread:", r.stderr)
        self.assertNotIn("line 8", r.stderr)             # the new row itself is fine
        self.assertEqual(self.sql("SELECT external_id, full_name, turnaround_days FROM specialists ORDER BY 1"),
                         before)

    def test_structural_errors(self):
        cases = [
            ("external_id,full_name,colour\r\n", "line 1: Unknown column \"colour\""),
            ("full_name,credentials\r\n", "line 1: The header lacks the required column \"external_id\""),
            ("", "line 1: The file is empty"),
            (",".join(COLS) + "\r\n", "header but no specialists"),
            (",".join(COLS) + "\r\nt-x,\"Open quote,MD\r\n", "line 2: a quoted value is never closed"),
            (",".join(COLS) + "\r\nt-x,only,three\r\n", "line 2: This line has 3 values"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                r = import_file(self.server, text)
                self.assertEqual(r.returncode, 1)
                self.assertIn(want, r.stderr)
        self.assertEqual(self.count(), 0)

    def test_duplicate_external_id_in_one_file(self):
        rows = FIXTURE[:2] + [FIXTURE[0]]
        r = import_file(self.server, fixture_csv(rows))
        self.assertEqual(r.returncode, 1)
        self.assertIn('line 4: external_id: "t-a" is already used on line 2', r.stderr)
        self.assertEqual(self.count(), 0)

    def test_export_round_trips(self):
        import_file(self.server, fixture_csv())
        r = run_cli(self.server, ["export-specialists"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], ",".join(COLS))
        self.assertEqual(len(lines), 7)
        self.assertIn("t-f,Finn Ford,MD", r.stdout)
        self.assertTrue(lines[6].endswith(",yes,no"))   # Finn: accepting yes, active no
        # importing the export changes nothing but updated_at
        before = self.sql("SELECT external_id, full_name, fee_reread_cents, networks, active FROM specialists ORDER BY 1")
        r2 = import_file(self.server, r.stdout)
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertIn("0 new, 6 updated", r2.stdout)
        self.assertEqual(self.sql("SELECT external_id, full_name, fee_reread_cents, networks, active FROM specialists "
                                  "ORDER BY 1"), before)

    def test_demo_data_imports(self):
        path = os.path.join(harness.ROOT, "data", "demo-specialists.csv")
        with open(path) as f:
            text = f.read()
        r = import_file(self.server, text)
        self.assertEqual(r.returncode, 0, r.stderr)
        n = self.count()
        self.assertGreaterEqual(n, 25)
        states = self.sql("SELECT count(DISTINCT state) FROM specialists")[0][0]
        self.assertGreaterEqual(states, 8)
        flags = self.sql("SELECT bool_or(remote_review), bool_and(remote_review), bool_or(nci_designated <> 'none'), "
                         "bool_and(nci_designated <> 'none'), bool_or(academic), bool_and(academic) FROM specialists")[0]
        self.assertEqual(flags, (True, False, True, False, True, False))


class DemoSeedTest(harness.ServerTestCase):
    server_args = ("--demo",)

    def test_demo_mode_loads_the_directory(self):
        self.assertGreaterEqual(self.sql("SELECT count(*) FROM specialists")[0][0], 25)
        r = self.client().get("/api/v1/specialists?breast=0&limit=100")
        self.assertGreaterEqual(r.json()["total"], 25)


ADMIN_GETS = ["/admin/specialists", "/admin/specialists/new", "/admin/specialists/import",
              "/admin/specialists/export", "/admin/specialists/%d"]
ADMIN_POSTS = ["/admin/specialists/new", "/admin/specialists/import", "/admin/specialists/%d",
               "/admin/specialists/%d/deactivate", "/admin/specialists/%d/reactivate"]


def form_for(**over):
    f = {"external_id": "", "full_name": "Dr. Quinn Quill", "credentials": "MD", "board": ABR,
         "board_year": "2011", "breast_fellowship": "yes", "institution": "Quill Institute", "city": "Boise",
         "state": "ID", "nci_designated": "none", "remote_review": "yes", "offers_reread": "yes",
         "fee_reread": "310", "fee_consult": "", "records_submission": "upload", "records_requirements": "",
         "turnaround_days": "6", "networks": "Aetna; Regence", "languages": "English", "accepting": "yes",
         "reviewer_user_id": ""}
    f.update(over)
    return {k: v for k, v in f.items() if v is not None}


class AdminTest(DirectoryFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = make_user(cls.server, "admin")

    def admin_client(self):
        return class_session(self, self.admin)

    def test_every_other_role_is_refused(self):
        sid = self.ids["t-a"]
        for role in ("patient", "staff", "reviewer"):
            user = make_user(self.server, role)
            c = self.client()
            login(c, user)
            for p in ADMIN_GETS:
                path = p % sid if "%d" in p else p
                r = c.get(path)
                self.assertEqual(r.status, 403, "%s GET %s -> %d" % (role, path, r.status))
            for p in ADMIN_POSTS:
                path = p % sid if "%d" in p else p
                r = c.post(path, form_for(full_name="Hacked Name", csv="x"))
                self.assertEqual(r.status, 403, "%s POST %s -> %d" % (role, path, r.status))
        anon = self.client()
        r = anon.get("/admin/specialists")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").startswith("/login"))
        self.assertEqual(anon.post("/admin/specialists/%d/deactivate" % sid, {}).status in (401, 403), True)
        self.assertEqual(self.sql("SELECT full_name, active FROM specialists WHERE id=%s", sid)[0],
                         ("Alice Able", True))

    def test_list_search_and_paging(self):
        c = self.admin_client()
        r = c.get("/admin/specialists")
        self.assertEqual(r.status, 200)
        self.assertIn("Finn Ford", r.text)            # inactive ones are listed for admins
        self.assertIn("Deactivated", r.text)
        r = c.get("/admin/specialists?q=houston")
        self.assertIn("Bob Baker", r.text)
        self.assertNotIn("Alice Able", r.text)
        r = c.get("/admin/specialists?q=%25")          # a literal %, not a wildcard
        self.assertIn("0 specialists", r.text)
        self.assertEqual(c.get("/admin/specialists?page=0").status, 400)

    def test_create_with_errors_then_success_audited(self):
        c = self.admin_client()
        c.get("/admin/specialists/new")
        r = c.post("/admin/specialists/new", form_for(full_name="", state="Idaho", fee_reread="", turnaround_days="0"))
        self.assertEqual(r.status, 422)
        self.assertIn('id="full_name-error"', r.text)
        self.assertIn('id="state-error"', r.text)
        self.assertIn('id="fee_reread-error"', r.text)
        self.assertIn('id="turnaround_days-error"', r.text)
        self.assertIn('value="Idaho"', r.text)           # what was typed is shown again
        self.assertIn('value="Quill Institute"', r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM specialists WHERE institution='Quill Institute'")[0][0], 0)
        r = c.post("/admin/specialists/new", form_for())
        self.assertEqual(r.status, 303, r.text[:500])
        m = re.match(r"/admin/specialists/(\d+)\?done=created", r.header("Location"))
        self.assertIsNotNone(m)
        sid = int(m.group(1))
        row = self.sql("SELECT full_name, state, fee_reread_cents, networks, external_id FROM specialists WHERE id=%s",
                       sid)[0]
        self.assertEqual(row[:4], ("Dr. Quinn Quill", "ID", 31000, ["Aetna", "Regence"]))
        self.assertTrue(row[4].startswith("local-"))
        audit = self.sql("SELECT actor_id, actor_role FROM audit_log WHERE action='specialist.create' AND object_id=%s",
                         str(sid))
        self.assertEqual(audit, [(self.admin["id"], "admin")])
        # a duplicate external id is an error next to that field
        r = c.post("/admin/specialists/new", form_for(external_id="t-a"))
        self.assertEqual(r.status, 422)
        self.assertIn("Another specialist already has this id.", r.text)

    def test_edit_deactivate_reactivate(self):
        c = self.admin_client()
        sid = self.ids["t-c"]
        r = c.get("/admin/specialists/%d" % sid)
        self.assertEqual(r.status, 200)
        self.assertIn('value="Carla Cruz"', r.text)
        r = c.post("/admin/specialists/%d" % sid, form_for(external_id="t-c", full_name="Carla Cruz-Diaz",
                                                           offers_reread=None, fee_reread="",
                                                           offers_consult="yes", fee_consult="525"))
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(self.sql("SELECT full_name, fee_consult_cents, offers_reread FROM specialists WHERE id=%s",
                                  sid)[0], ("Carla Cruz-Diaz", 52500, False))
        r = c.post("/admin/specialists/%d" % sid, form_for(external_id="t-c", board_year="1800"))
        self.assertEqual(r.status, 422)
        self.assertIn('id="board_year-error"', r.text)
        r = c.post("/admin/specialists/%d/deactivate" % sid, {})
        self.assertEqual(r.status, 303)
        self.assertFalse(self.sql("SELECT active FROM specialists WHERE id=%s", sid)[0][0])
        self.assertNotIn("Carla", str(self.names("breast=0&limit=100")))
        self.assertEqual(self.client().get("/specialists/%d" % sid).status, 200)
        r = c.post("/admin/specialists/%d/reactivate" % sid, {})
        self.assertEqual(r.status, 303)
        self.assertTrue(self.sql("SELECT active FROM specialists WHERE id=%s", sid)[0][0])
        actions = [a for (a,) in self.sql("SELECT action FROM audit_log WHERE object_type='specialist' "
                                          "AND object_id=%s ORDER BY id", str(sid))]
        self.assertEqual(actions, ["specialist.update", "specialist.deactivate", "specialist.reactivate"])
        self.assertEqual(c.post("/admin/specialists/999999/deactivate", {}).status, 404)

    def test_import_and_export_over_http(self):
        c = self.admin_client()
        c.get("/admin/specialists/import")
        text = fixture_csv(changes={"t-e": {"turnaround_days": "11"}})
        r = c.post("/admin/specialists/import", {"csv": text})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertIn("done=imported&created=0&updated=6", r.header("Location"))
        self.assertEqual(self.sql("SELECT turnaround_days FROM specialists WHERE external_id='t-e'")[0][0], 11)
        bad = fixture_csv(changes={"t-a": {"languages": ""}})
        r = c.post("/admin/specialists/import", {"csv": bad})
        self.assertEqual(r.status, 422)
        self.assertIn("Line 2: languages:", r.text)
        self.assertIn("nothing was imported", r.text)
        r = c.get("/admin/specialists/export")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertIn("attachment", r.header("Content-Disposition"))
        self.assertTrue(r.text.startswith(",".join(COLS) + "\r\n"))
        self.assertIn("t-e,Eve Evans", r.text)

    def test_import_without_csrf_token_is_refused(self):
        c = self.admin_client()
        before = self.sql("SELECT count(*) FROM audit_log WHERE action='specialist.import'")[0][0]
        r = c.post("/admin/specialists/import", {"csv": fixture_csv()}, csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.sql("SELECT count(*) FROM audit_log WHERE action='specialist.import'")[0][0], before)

    def test_import_body_limit(self):
        # refused from the headers, before any of the body is read
        c = self.admin_client()
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        raw = harness.raw_request(self.server.port, (
            "POST /admin/specialists/import HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
            % (cookie, 2 * 1024 * 1024 + 1)).encode())
        self.assertTrue(raw.startswith(b"HTTP/1.1 413"), raw[:100])
