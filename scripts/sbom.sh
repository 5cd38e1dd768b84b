#!/bin/sh
# Prints the software bill of materials of a secondop binary: every Debian package
# that provides a shared library it loads, plus ClearSilver (linked statically from
# clearsilver-dev) and the PostgreSQL server that `serve` embeds, with the versions
# dpkg has installed. One line per package:
#   package<TAB>version<TAB>architecture<TAB>source package
# Usage: scripts/sbom.sh [BINARY] > SBOM.txt   (default: build/secondop)
set -eu
BIN=${1:-build/secondop}
[ -x "$BIN" ] || { echo "sbom: no executable at $BIN (build it first, or name it)" >&2; exit 2; }

libs=$(ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || { echo "sbom: ldd found no shared libraries in $BIN" >&2; exit 2; }
# dpkg knows a path as installed (usrmerge: /lib may be /usr/lib): ask once, with every spelling
q=""
for l in $libs; do
  real=$(readlink -f "$l")
  q="$q $l $real ${real#/usr}"
done
owned=$(dpkg-query -S $q 2>/dev/null || true)
pkgs=""
for l in $libs; do
  real=$(readlink -f "$l")
  p=$(printf '%s\n' "$owned" | awk -F': ' -v a="$l" -v b="$real" -v c="${real#/usr}" \
        '$2 == a || $2 == b || $2 == c { split($1, o, ":"); print o[1]; exit }')
  [ -n "$p" ] || { echo "sbom: no Debian package owns $l" >&2; exit 1; }
  pkgs="$pkgs $p"
done
pkgs="$pkgs clearsilver-dev postgresql-15"
for p in $(printf '%s\n' $pkgs | sort -u); do
  dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${source:Package}\n' "$p"
done
