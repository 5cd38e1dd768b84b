#!/usr/bin/python3
"""Specialist directory benchmark (issue 5): loads 10,000 generated
specialists through `secondop import-specialists` (the same all-or-nothing
CSV import admins use) into a throwaway PostgreSQL cluster, starts the
portal, and measures the latency of filtered directory pages over HTTP on
loopback: the HTML page (/specialists?...) and the JSON API
(/api/v1/specialists?...), a few hundred requests each on one keep-alive
connection after a warm-up. Prints the import time and p50/p90/p99 per
query; asserts nothing.

Usage: bench/directory.py [--count 10000] [--requests 400] [--bin build/secondop]
The binary defaults to $SECONDOP_BIN or build/secondop; use a release build
(a sanitizer build is several times slower)."""
import os
import sys

# bench/http.py would shadow the standard library's http package
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import csv
import http.client
import io
import random
import statistics
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

COLS = ["external_id", "full_name", "credentials", "board", "board_year", "breast_fellowship", "institution",
        "city", "state", "nci_designated", "academic", "center_of_excellence", "remote_review", "in_person",
        "offers_reread", "fee_reread", "offers_consult", "fee_consult", "records_submission",
        "records_requirements", "turnaround_days", "networks", "languages", "accepting", "active"]
FIRST = ["Amelia", "Rafael", "Priya", "Thomas", "Helen", "Kenji", "Laura", "Sofia", "Marcus", "Nadia", "Grace",
         "Daniel", "Rebecca", "Olivia", "Samuel", "Isabel", "Victor", "Ruth", "Mei", "Hassan", "Anna", "Yasmin"]
LAST = ["Hartwell", "Quintero", "Raman", "Okafor", "Marsh", "Watanabe", "Bennett", "Delgado", "Whitfield",
        "Haddad", "Lindqvist", "Cho", "Stein", "Grant", "Achebe", "Moreau", "Nguyen", "Doyle", "Zhou", "Karimi"]
PLACES = [("Chicago", "IL"), ("Phoenix", "AZ"), ("San Diego", "CA"), ("Omaha", "NE"), ("Boston", "MA"),
          ("Seattle", "WA"), ("Dayton", "OH"), ("Houston", "TX"), ("Dallas", "TX"), ("Arlington", "VA"),
          ("Denver", "CO"), ("Minneapolis", "MN"), ("New York", "NY"), ("Atlanta", "GA"), ("Durham", "NC"),
          ("Miami", "FL"), ("Portland", "OR"), ("Nashville", "TN"), ("Ann Arbor", "MI"), ("Pittsburgh", "PA")]
NETWORKS = ["Aetna", "Blue Cross Blue Shield", "Cigna", "Medicare", "Medicaid", "UnitedHealthcare", "Humana",
            "Kaiser Permanente", "Anthem", "Tricare", "Oxford", "Highmark"]
LANGS = ["Spanish", "French", "Mandarin", "Vietnamese", "Arabic", "Portuguese", "Korean", "Hindi"]


def generate(n, seed=5):
    rnd = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLS)
    yn = lambda b: "yes" if b else "no"
    for i in range(n):
        city, st = rnd.choice(PLACES)
        board = rnd.random() < 0.9
        remote = rnd.random() < 0.75
        inp = not remote or rnd.random() < 0.5
        reread = rnd.random() < 0.85
        consult = not reread or rnd.random() < 0.5
        nets = rnd.sample(NETWORKS, rnd.randint(0, 5))
        langs = ["English"] + rnd.sample(LANGS, rnd.randint(0, 2))
        w.writerow([
            "bench-%05d" % i, "Dr. %s %s %d" % (rnd.choice(FIRST), rnd.choice(LAST), i), rnd.choice(["MD", "MD", "DO"]),
            "American Board of Radiology" if board else "", rnd.randint(1985, 2022) if board else "",
            yn(rnd.random() < 0.7), "%s Medical Center %d" % (city, i % 97), city, st,
            rnd.choice(["none", "none", "none", "clinical", "comprehensive"]), yn(rnd.random() < 0.35),
            yn(rnd.random() < 0.3), yn(remote), yn(inp), yn(reread), rnd.randint(150, 600) if reread else "",
            yn(consult), rnd.randint(300, 950) if consult else "", rnd.choice(["upload", "mail", "both"]), "",
            rnd.randint(2, 30), ";".join(nets), ";".join(langs), yn(rnd.random() < 0.9), yn(rnd.random() < 0.97)])
    return out.getvalue()


def measure(port, path, n, warmup=20):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    size = 0
    for i in range(warmup + n):
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise SystemExit("%s answered %d: %r" % (path, r.status, body[:200]))
        if i >= warmup:
            times.append(dt * 1000.0)
            size = len(body)
    conn.close()
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
    return q(0.50), q(0.90), q(0.99), statistics.mean(times), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--bin", default=os.environ.get("SECONDOP_BIN") or os.path.join(ROOT, "build", "secondop"))
    args = ap.parse_args()
    os.environ["SECONDOP_BIN"] = args.bin
    import harness
    harness.BIN = args.bin
    from accounts_helpers import run_cli

    db = harness.cluster().new_database()
    server = harness.Server(db, ["--threads", "2"])
    text = generate(args.count)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(text)
        path = f.name
    t0 = time.perf_counter()
    r = run_cli(server, ["import-specialists", path])
    dt = time.perf_counter() - t0
    os.unlink(path)
    if r.returncode != 0:
        raise SystemExit("import failed: " + r.stderr[:2000])
    print("binary: %s" % args.bin)
    print("import of %d specialists (%.1f MiB CSV) via the CLI: %.2f s  (%s)" %
          (args.count, len(text) / 1048576.0, dt, r.stdout.strip()))

    filt = "remote=1&nci=any&network=Aetna&in_network=1&sort=turnaround"
    queries = [
        ("HTML  default first page", "/specialists"),
        ("HTML  filtered (remote, NCI, Aetna)", "/specialists?" + filt),
        ("HTML  filtered, page 5", "/specialists?" + filt + "&page=5"),
        ("JSON  filtered (remote, NCI, Aetna)", "/api/v1/specialists?" + filt),
        ("JSON  sort by fee, Spanish, <=10 days", "/api/v1/specialists?language=Spanish&max_days=10&sort=fee"),
        ("JSON  100 per page, no filter", "/api/v1/specialists?breast=0&limit=100"),
    ]
    print("%d requests each after 20 warm-up, one keep-alive connection, loopback" % args.requests)
    print("%-40s %9s %9s %9s %9s %9s" % ("query", "p50 ms", "p90 ms", "p99 ms", "mean ms", "bytes"))
    for name, q in queries:
        p50, p90, p99, mean, size = measure(server.port, q, args.requests)
        print("%-40s %9.2f %9.2f %9.2f %9.2f %9d" % (name, p50, p90, p99, mean, size))
    total = server.sql("SELECT count(*) FROM specialists WHERE active")[0][0]
    matching = server.sql("SELECT count(*) FROM specialists WHERE active AND board <> '' AND breast_fellowship "
                          "AND remote_review AND nci_designated <> 'none' "
                          "AND specialists_lower_array(networks) @> ARRAY['aetna']")[0][0]
    print("active specialists: %d; matching the filtered query: %d" % (total, matching))
    server.stop()


if __name__ == "__main__":
    main()
