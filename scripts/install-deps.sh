#!/bin/sh
# Installs every Debian and npm package that building, serving and testing
# secondop needs. Idempotent: packages already present are not touched, and
# apt is not even asked when nothing is missing.
# Usage: scripts/install-deps.sh [--with-tests | --with-bench]
set -eu

BUILD_PKGS="build-essential pkg-config meson ninja-build
  libmicrohttpd-dev libjansson-dev libpq-dev libsodium-dev clearsilver-dev zlib1g-dev
  libarchive-dev libmagic-dev liboath-dev libqrencode-dev libunistring-dev libcurl4-openssl-dev
  libcharls-dev libopenjp2-7-dev libjpeg62-turbo-dev
  postgresql-15 postgresql-client-15 ca-certificates"
TEST_PKGS="curl openssl python3-psycopg2 python3-pydicom clang libclang-rt-14-dev dcmtk libopenjp2-tools xorriso zip unzip python3 python3-aiosmtpd
  chromium nodejs npm wrk procps iproute2 file
  binutils
  clamav-daemon zzuf slowhttptest sqlmap"
# the viewer's browser test writes its DICOM pixels with numpy (only recommended by pydicom)
TEST_PKGS="$TEST_PKGS python3-numpy"
# tests/integration/test_dicomweb_orthanc.py: Orthanc with its DICOMweb plugin, a real PACS as a
# client of our server (started by the test on loopback with its own configuration; Debian's
# orthanc service, where systemd starts it, is not used)
TEST_PKGS="$TEST_PKGS orthanc orthanc-dicomweb"
# tests/integration/test_active_active_nginx.py: Debian's nginx, round-robin on loopback in front of
# two instances (started by the test in the foreground with its own configuration; the nginx
# service is not used)
TEST_PKGS="$TEST_PKGS nginx-light"
# the print browser test reads Chromium's PDF as text (pdftotext)
TEST_PKGS="$TEST_PKGS poppler-utils"
# tests/integration/test_docker_files.py reads docker/compose.yaml
TEST_PKGS="$TEST_PKGS python3-yaml"
# tests/integration/ceph_helper.py: a single-node Ceph (one monitor, one OSD on a sparse file,
# one manager, radosgw on loopback), the real S3 server of the s3:// blob-store tests and bench
TEST_PKGS="$TEST_PKGS ceph-mon ceph-osd ceph-mgr radosgw ceph-common"

# bench/viewer.py times Orthanc's web viewer beside ours (bench/wado.py its DICOMweb plugin): both
# start /usr/sbin/Orthanc themselves on loopback with their own configuration
BENCH_PKGS="orthanc-webviewer orthanc-gdcm"

pkgs="$BUILD_PKGS"
if [ "${1:-}" = "--with-tests" ]; then pkgs="$pkgs $TEST_PKGS"; fi
if [ "${1:-}" = "--with-bench" ]; then pkgs="$pkgs $TEST_PKGS $BENCH_PKGS"; fi

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from another source on developer machines
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "secondop: missing packages:$missing -- run this script as root" >&2
    exit 1
  fi
  echo "secondop: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${1:-}" = "--with-tests" ] || [ "${1:-}" = "--with-bench" ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  # every dependency named in tests/package.json must be there (a checkout that gained one since
  # its last install installs again)
  if ! (cd "$here/tests" && node -e '
      const deps = Object.keys(require("./package.json").dependencies || {});
      process.exit(deps.every((d) => require("fs").existsSync("node_modules/" + d + "/package.json")) ? 0 : 1);
    ' 2>/dev/null); then
    echo "secondop: installing test tools from npm (tests/package.json)"
    (cd "$here/tests" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
