"""scripts/sbom.sh: the bill of materials of the binary under test names the Debian
package of every shared library it loads, ClearSilver (static) and the embedded
PostgreSQL, each with the version dpkg has installed."""
import os
import subprocess
import unittest

import harness

SBOM = os.path.join(harness.ROOT, "scripts", "sbom.sh")


def dpkg_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                          check=True).stdout


class SbomTest(unittest.TestCase):
    def test_lists_every_runtime_package_with_its_installed_version(self):
        out = subprocess.run(["sh", SBOM, harness.BIN], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [line.split("\t") for line in out.stdout.splitlines()]
        self.assertTrue(all(len(r) == 4 for r in rows), out.stdout)
        pkgs = {r[0]: r[1] for r in rows}
        for p in ("libmicrohttpd12", "libjansson4", "libpq5", "libsodium23", "libarchive13", "libc6",
                  "clearsilver-dev", "postgresql-15"):
            self.assertIn(p, pkgs)
        for p, v in pkgs.items():
            self.assertEqual(v, dpkg_version(p), p)
        # every library ldd resolves is owned by a listed package
        ldd = subprocess.run(["ldd", harness.BIN], capture_output=True, text=True, check=True).stdout
        paths = [ln.split("=>")[1].split()[0] for ln in ldd.splitlines() if "=> /" in ln]
        self.assertGreater(len(paths), 5)
        spell = {p: {p, os.path.realpath(p), os.path.realpath(p).removeprefix("/usr")} for p in paths}
        r = subprocess.run(["dpkg-query", "-S"] + sorted(set().union(*spell.values())), capture_output=True,
                           text=True)
        owner = {}
        for ln in r.stdout.splitlines():
            pkg, _, path = ln.partition(": ")
            owner.setdefault(path, set()).update(x.split(":")[0] for x in pkg.split(", "))
        for path, names in spell.items():
            owners = set().union(*(owner.get(n, set()) for n in names))
            self.assertTrue(owners & set(pkgs), "%s (owned by %s) is not in the SBOM" % (path, owners))

    def test_missing_binary_is_said_and_exit_2(self):
        out = subprocess.run(["sh", SBOM, "/nonexistent/secondop"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("no executable at /nonexistent/secondop", out.stderr)
        self.assertEqual(out.stdout, "")
