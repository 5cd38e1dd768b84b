#!/bin/sh
# Upload benchmark (issue 4): limits, the portal and the Node.js tus server,
# interleaved over rounds; prints medians with ranges and the target ratios.
#   bench/upload.sh [--rounds 5] [--size 1G] [--chunk 64M] [--skip-rss] [--skip-node] [--s3 [--only-s3]]
# (--s3: also the portal on an s3:// store, a single-node Ceph radosgw started on loopback)
# Needs a release build in build-bench (or SECONDOP_BENCH_BUILD=DIR):
#   meson setup build-bench --buildtype=release && ninja -C build-bench
# and the peer: (cd bench && npm ci).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/upload.py" "$@"
