#!/bin/sh
# Installs what is missing, builds secondop, and serves the portal with an
# embedded PostgreSQL and demo data on http://127.0.0.1:8080 (Ctrl-C stops
# everything it started). Run as root on a fresh Debian 12, or as a user
# once the packages are installed.
# Environment: SECONDOP_DATA_DIR (default /var/lib/secondop-demo as root,
# ./var otherwise), SECONDOP_LISTEN (default 127.0.0.1:8080).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null
if [ "$(id -u)" = 0 ]; then
  data=${SECONDOP_DATA_DIR:-/var/lib/secondop-demo}
else
  data=${SECONDOP_DATA_DIR:-$(pwd)/var}
fi
mkdir -p "$data"
echo "secondop: data directory $data"
exec ./build/secondop serve --demo --data-dir "$data" --share-dir "$(pwd)" "$@"
