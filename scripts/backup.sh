#!/bin/sh
# Backs up a secondop data directory: the database, the encrypted files and,
# to a separate place, the keys. See README, "Backup and restore".
#
#   sh scripts/backup.sh --data-dir DIR --out BACKUP --keys-out KEYS [--database-url URL]
#
# Order, and why (a backup must never name a file it does not hold):
#   1. the keys (to KEYS, kept apart from BACKUP: BACKUP alone is ciphertext);
#   2. a first copy of the files (the long part, while the portal serves);
#   3. the signed audit checkpoints (before the database, so that every
#      checkpoint copied refers to audit rows the database copy holds);
#   4. the database: a consistent snapshot (pg_basebackup of the embedded
#      cluster while secondop runs, a copy of DIR/pg under the data directory
#      lock while it is stopped, or pg_dump of --database-url);
#   5. the files again, copying only names not yet copied: a file is renamed
#      into files/ before the row naming it commits and never changes after,
#      so every file the snapshot names is in BACKUP; files newer than the
#      snapshot are orphans there (no row names them; secondop moves them to
#      quarantine at start and verify-store lists them);
#   6. the keys again: if they changed (rotate-key during the backup) it fails.
# Restore with scripts/restore.sh, then run secondop verify-audit and
# secondop verify-store on the restored data directory.
set -eu
umask 077

die() { echo "backup: $*" >&2; exit 1; }
usage() { echo "usage: sh scripts/backup.sh --data-dir DIR --out BACKUP --keys-out KEYS [--database-url URL]" >&2; exit 2; }

DATA=; OUT=; KEYS=; URL=${SECONDOP_DATABASE_URL:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) [ $# -ge 2 ] || usage; DATA=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    --keys-out) [ $# -ge 2 ] || usage; KEYS=$2; shift 2 ;;
    --database-url) [ $# -ge 2 ] || usage; URL=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "backup: unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "$DATA" ] && [ -n "$OUT" ] && [ -n "$KEYS" ] || usage
[ -d "$DATA/files" ] && [ -d "$DATA/keys" ] || die "$DATA is not a secondop data directory (no files/ or keys/)"
for d in "$OUT" "$KEYS"; do
  if [ -e "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then die "$d exists and is not empty; give a new folder"; fi
done
PG_BIN=/usr/lib/postgresql/15/bin
[ -x "$PG_BIN/pg_dump" ] || PG_BIN=$(dirname "$(command -v pg_dump)")

mkdir -p "$OUT/files" "$KEYS"
chmod 700 "$OUT" "$OUT/files" "$KEYS"

# 1. keys: master-N.key and current (files' data keys), app.key (sealed fields),
# audit-signing.key (checkpoints)
keys_digest() { (cd "$DATA/keys" && for f in *; do [ -f "$f" ] && cksum "$f"; done) ; }
before=$(keys_digest)
cp -p "$DATA/keys/"* "$KEYS/"
chmod 600 "$KEYS/"*

# copies files/ entries not yet in $OUT/files (through a temporary name)
copy_files() {
  n=0
  for f in "$DATA/files/"*; do
    [ -f "$f" ] || continue
    name=${f##*/}
    case "$name" in *.reseal) continue ;; esac # a running reseal's temporary copy
    [ -e "$OUT/files/$name" ] && continue
    if cp -p "$f" "$OUT/files/.$name.part" 2>/dev/null; then
      mv "$OUT/files/.$name.part" "$OUT/files/$name"
      n=$((n + 1))
    else
      rm -f "$OUT/files/.$name.part" # deleted while we copied: its row is gone too
    fi
  done
  echo "$n"
}

# 2. files, first pass
n1=$(copy_files)
echo "backup: files, first pass: $n1 copied"

# 3. audit checkpoints
if [ -f "$DATA/audit-checkpoints.log" ]; then cp -p "$DATA/audit-checkpoints.log" "$OUT/"; fi

# 4. the database
if [ -n "$URL" ]; then
  "$PG_BIN/pg_dump" --format=custom --file="$OUT/database.dump" "$URL" || die "pg_dump failed"
  kind=pg_dump
elif "$PG_BIN/pg_isready" -q -h "$DATA/pg" 2>/dev/null; then
  # secondop is serving: a base backup of the running cluster (consistent; its WAL included)
  "$PG_BIN/pg_basebackup" -h "$DATA/pg" -U secondop -D "$OUT/pg" -Fp -X stream -c fast ||
    die "pg_basebackup failed"
  kind=base_backup
  rm -f "$OUT/pg/.s.PGSQL."* # the socket's lock file lives in the cluster folder here
else
  # stopped: copy the cluster while holding the data directory lock, so no secondop starts meanwhile
  [ -f "$DATA/pg/PG_VERSION" ] || die "no embedded PostgreSQL under $DATA/pg and no --database-url"
  command -v flock >/dev/null || die "flock (util-linux) is needed to copy a stopped cluster"
  flock -n "$DATA/secondop.lock" sh -c 'cp -Rp "$1/pg" "$2/pg" && rm -f "$2/pg/postmaster.pid" "$2/pg/postmaster.opts" "$2/pg/.s.PGSQL."*' \
    sh "$DATA" "$OUT" || die "secondop started on $DATA during the backup (or the copy failed); run again"
  kind=cold_copy
fi
echo "backup: database: $kind"

# 5. files, second pass: what the snapshot may name that the first pass did not see
n2=$(copy_files)
echo "backup: files, second pass: $n2 copied"

# 6. the keys must not have changed meanwhile
[ "$before" = "$(keys_digest)" ] || die "the keys changed during the backup (rotate-key?); run it again into new folders"

{
  echo "secondop backup"
  echo "taken: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "database: $kind"
  echo "files: $(ls "$OUT/files" | wc -l)"
} > "$OUT/BACKUP-INFO"
sync
echo "backup: done: $OUT (keys in $KEYS: keep them apart, offline)"
