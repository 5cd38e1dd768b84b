"""docker/: no Docker engine runs where the tests run, so what can be checked without one is
checked here: the image installs the Debian package of every shared library the binary
links (a library added to meson.build but not to the Dockerfile makes an image that cannot
start), its build stage every development package scripts/install-deps.sh builds with, and
the compose file never lets the portal connect as the database superuser."""
import os
import re
import subprocess
import unittest

import yaml

import harness

DOCKER = os.path.join(harness.ROOT, "docker")
# in debian:12-slim already (Priority: required), so the image does not list them
BASE_IMAGE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
# the test build's sanitizer runtimes, not the release build's
SANITIZERS = {"libasan8", "libubsan1"}


def stages():
    """Package names installed by each FROM stage of the Dockerfile, in order."""
    text = open(os.path.join(DOCKER, "Dockerfile")).read().replace("\\\n", " ")
    out = []
    for stage in re.split(r"^FROM ", text, flags=re.M)[1:]:
        pkgs = set()
        for m in re.finditer(r"apt-get install ([^&\n]*)", stage):
            pkgs.update(w for w in m.group(1).split() if not w.startswith("-"))
        out.append(pkgs)
    return out


def needed_packages(binary):
    """Debian packages owning the libraries the binary names in DT_NEEDED."""
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    where = {}
    for ln in ldd.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", ln)
        if m:
            where[m.group(1)] = os.path.realpath(m.group(2))
    pkgs = {}
    for lib in needed:
        self_path = where.get(lib)
        if self_path is None:
            continue  # the dynamic loader itself
        r = subprocess.run(["dpkg-query", "-S", self_path.removeprefix("/usr")], capture_output=True, text=True)
        if r.returncode != 0:
            r = subprocess.run(["dpkg-query", "-S", self_path], capture_output=True, text=True, check=True)
        pkgs[lib] = r.stdout.split(":")[0]
    return pkgs


class DockerFilesTest(unittest.TestCase):
    def test_the_image_installs_every_library_the_binary_links(self):
        build, runtime = stages()
        pkgs = needed_packages(harness.BIN)
        self.assertIn("libmicrohttpd12", pkgs.values())
        missing = {lib: p for lib, p in pkgs.items() if p not in runtime | BASE_IMAGE | SANITIZERS}
        self.assertEqual(missing, {}, "add these packages to the Dockerfile's runtime stage")

    def test_the_build_stage_installs_every_development_package(self):
        build, runtime = stages()
        text = open(os.path.join(harness.ROOT, "scripts", "install-deps.sh")).read()
        block = re.search(r'BUILD_PKGS="([^"]*)"', text).group(1)
        dev = {w for w in block.split() if w.endswith("-dev")}
        self.assertIn("libcharls-dev", dev)
        self.assertEqual(dev - build, set(), "add these packages to the Dockerfile's build stage")

    def test_the_portal_never_connects_as_the_database_superuser(self):
        compose = yaml.safe_load(open(os.path.join(DOCKER, "compose.yaml")))
        env = compose["services"]["portal"]["environment"]
        users = {k: re.search(r"\buser=(\S+)", v).group(1) for k, v in env.items() if k.endswith("DATABASE_URL")}
        self.assertEqual(users, {"SECONDOP_DATABASE_URL": "secondop_app",
                                 "SECONDOP_MIGRATE_DATABASE_URL": "secondop_owner"})
        db = compose["services"]["db"]
        # the image's superuser keeps its default name and is given to nobody else
        self.assertNotIn("POSTGRES_USER", db.get("environment", {}))
        init = [v for v in db["volumes"] if v.endswith(":/docker-entrypoint-initdb.d:ro")]
        self.assertEqual(len(init), 1)
        script = open(os.path.join(DOCKER, init[0].split(":")[0].removeprefix("./"),
                                   "10-secondop-roles.sh")).read()
        for role in ("secondop_owner", "secondop_app"):
            self.assertRegex(script, r"CREATE ROLE %s LOGIN PASSWORD :'" % role)
        self.assertIn("CREATE DATABASE secondop OWNER secondop_owner", script)
        # every secret a service names is declared, with a file
        declared = compose["secrets"]
        for name, svc in compose["services"].items():
            for s in svc.get("secrets", []):
                key = s if isinstance(s, str) else s["source"]
                self.assertIn("file", declared[key], (name, key))
        # and the init script reads only secrets the db service is given
        given = set(db["secrets"])
        for path in re.findall(r"/run/secrets/(\w+)", script):
            self.assertIn(path, given)


if __name__ == "__main__":
    unittest.main()
