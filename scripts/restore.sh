#!/bin/sh
# Restores a backup made by scripts/backup.sh into a new, empty data
# directory. See README, "Backup and restore".
#
#   sh scripts/restore.sh --from BACKUP --keys-from KEYS --data-dir NEWDIR [--database-url URL]
#
# A backup of the embedded cluster becomes NEWDIR/pg (secondop starts it as
# usual). A pg_dump backup goes into the empty database --database-url names
# (connect as secondop_owner; create the roles and the database first as the
# README says). Then run, before serving:
#   secondop verify-audit --data-dir NEWDIR [--database-url ...]
#   secondop verify-store --data-dir NEWDIR [--database-url ...]
set -eu
umask 077

die() { echo "restore: $*" >&2; exit 1; }
usage() { echo "usage: sh scripts/restore.sh --from BACKUP --keys-from KEYS --data-dir NEWDIR [--database-url URL]" >&2; exit 2; }

FROM=; KEYS=; DATA=; URL=
while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] || usage; FROM=$2; shift 2 ;;
    --keys-from) [ $# -ge 2 ] || usage; KEYS=$2; shift 2 ;;
    --data-dir) [ $# -ge 2 ] || usage; DATA=$2; shift 2 ;;
    --database-url) [ $# -ge 2 ] || usage; URL=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "restore: unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "$FROM" ] && [ -n "$KEYS" ] && [ -n "$DATA" ] || usage
[ -f "$FROM/BACKUP-INFO" ] && [ -d "$FROM/files" ] || die "$FROM is not a complete backup (no BACKUP-INFO)"
[ -f "$KEYS/current" ] || die "$KEYS holds no key ring (no 'current')"
if [ -e "$DATA" ] && [ -n "$(ls -A "$DATA" 2>/dev/null)" ]; then die "$DATA exists and is not empty; restore into a new folder"; fi
if [ -d "$FROM/pg" ]; then
  [ -z "$URL" ] || die "this backup holds the embedded cluster; restore it without --database-url"
elif [ -f "$FROM/database.dump" ]; then
  [ -n "$URL" ] || die "this backup is a pg_dump: give --database-url of an empty database (as secondop_owner)"
else
  die "$FROM holds no database (neither pg/ nor database.dump)"
fi
PG_BIN=/usr/lib/postgresql/15/bin
[ -x "$PG_BIN/pg_restore" ] || PG_BIN=$(dirname "$(command -v pg_restore)")

mkdir -p "$DATA/keys" "$DATA/files"
chmod 700 "$DATA" "$DATA/keys" "$DATA/files"
cp -p "$KEYS/"* "$DATA/keys/"
chmod 600 "$DATA/keys/"*
# the files: straight copy; names only ever hold one file's content
for f in "$FROM/files/"*; do
  [ -f "$f" ] || continue
  cp -p "$f" "$DATA/files/"
done
chmod 600 "$DATA/files/"* 2>/dev/null || true
if [ -f "$FROM/audit-checkpoints.log" ]; then cp -p "$FROM/audit-checkpoints.log" "$DATA/"; fi

if [ -d "$FROM/pg" ]; then
  cp -Rp "$FROM/pg" "$DATA/pg"
  rm -f "$DATA/pg/postmaster.pid" "$DATA/pg/postmaster.opts" "$DATA/pg/.s.PGSQL."* # a socket's lock file
  chmod 700 "$DATA/pg"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$DATA/pg" # secondop runs the cluster as postgres when started as root
  fi
  echo "restore: embedded PostgreSQL cluster restored into $DATA/pg"
else
  "$PG_BIN/pg_restore" --exit-on-error --single-transaction --no-owner --dbname="$URL" "$FROM/database.dump" ||
    die "pg_restore failed (is the database empty, and are you connected as secondop_owner?)"
  echo "restore: database restored"
fi
sync
echo "restore: done. Check it before serving:"
echo "  secondop verify-audit --data-dir $DATA${URL:+ --database-url ...}"
echo "  secondop verify-store --data-dir $DATA${URL:+ --database-url ...}"
