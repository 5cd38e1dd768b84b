#include "store/blobstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "store/blobstore_s3.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/keydir.h"
#include "util/log.h"

#define QUARANTINE_GRACE_SECONDS (24 * 3600)

static pthread_mutex_t fresh_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char (*fresh)[BLOB_ID_LEN]; /* all-zero = empty slot */
static size_t fresh_cap, fresh_n;
static int fresh_add(const unsigned char id[BLOB_ID_LEN]);
static void fresh_del(const unsigned char id[BLOB_ID_LEN]);
static int sweep_configure(char *err, size_t errlen);

static char root_files[4096], root_staging[4096], root_quarantine[4096], root_keys[4096];
static struct keyring *ring;
static struct s3 *g_s3;          /* the s3:// backend when chosen, else NULL (the directory) */
static char g_desc[4200] = "directory";
static uint64_t reserve_override;
static int have_reserve_override;

static const struct db_stmt stmts[] = {
    {"bs_known_ids",
     "SELECT encode(file_id, 'hex') FROM uploads WHERE state IN ('receiving', 'finalizing', 'checking') "
     "UNION SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL "
     "UNION SELECT encode(preview_file_id, 'hex') FROM renditions WHERE preview_file_id IS NOT NULL "
     "UNION SELECT encode(frames_file_id, 'hex') FROM renditions WHERE frames_file_id IS NOT NULL"},
    /* takes the lease (raising the fencing token) of every receiving upload that no other
     * live instance holds (the same rule as up_lease_take in uploads.c) */
    {"bs_receiving",
     "UPDATE uploads SET lease_token = lease_token + 1, lease_owner = $1, "
     "lease_until = now() + make_interval(secs => $2::int) WHERE state = 'receiving' AND (lease_owner IS NULL "
     "OR split_part(lease_owner, '.', 1) = split_part($1, '.', 1) OR lease_until < now()) "
     "RETURNING id, encode(file_id, 'hex'), \"offset\", encode(sealed_tail, 'hex'), encode(wrapped_dek, 'hex'), "
     "kek_version, expires_at < now()"},
    {"bs_receiving_held", "SELECT count(*) FROM uploads WHERE state = 'receiving' AND lease_owner <> $1"},
    {"bs_leases_release", "UPDATE uploads SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1"},
    {"bs_upload_expire",
     "UPDATE uploads SET state = 'failed', failure = $2, sealed_tail = NULL, updated_at = now() "
     "WHERE id = $1 AND state = 'receiving'"},
    {"bs_file_named",
     "SELECT 1 WHERE EXISTS (SELECT 1 FROM uploads WHERE file_id = decode($1, 'hex') "
     "AND state IN ('receiving', 'finalizing', 'checking')) "
     "OR EXISTS (SELECT 1 FROM documents WHERE file_id = decode($1, 'hex')) "
     "OR EXISTS (SELECT 1 FROM renditions WHERE preview_file_id = decode($1, 'hex')) "
     "OR EXISTS (SELECT 1 FROM renditions WHERE frames_file_id = decode($1, 'hex'))"},
    {"bs_documents_with_files",
     "SELECT id, encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL"},
    {"bs_wrapped_keys",
     "SELECT 'u', id, encode(file_id, 'hex'), encode(wrapped_dek, 'hex'), kek_version FROM uploads "
     "WHERE kek_version <> $1 "
     "UNION ALL SELECT 'd', id::text, encode(file_id, 'hex'), encode(wrapped_dek, 'hex'), kek_version "
     "FROM documents WHERE wrapped_dek IS NOT NULL AND kek_version <> $1 "
     "UNION ALL SELECT 'p', document_id::text, encode(preview_file_id, 'hex'), encode(preview_wrapped, 'hex'), "
     "preview_kek FROM renditions WHERE preview_wrapped IS NOT NULL AND preview_kek <> $1 "
     "UNION ALL SELECT 'f', document_id::text, encode(frames_file_id, 'hex'), encode(frames_wrapped, 'hex'), "
     "frames_kek FROM renditions WHERE frames_wrapped IS NOT NULL AND frames_kek <> $1"},
    {"bs_rewrap_upload", "UPDATE uploads SET wrapped_dek = decode($2, 'hex'), kek_version = $3 WHERE id = $1"},
    {"bs_rewrap_document",
     "UPDATE documents SET wrapped_dek = decode($2, 'hex'), kek_version = $3 WHERE id = $1::bigint"},
    {"bs_rewrap_preview",
     "UPDATE renditions SET preview_wrapped = decode($2, 'hex'), preview_kek = $3 WHERE document_id = $1::bigint"},
    {"bs_rewrap_frames",
     "UPDATE renditions SET frames_wrapped = decode($2, 'hex'), frames_kek = $3 WHERE document_id = $1::bigint"},
    {"bs_reseal_keys",
     "SELECT DISTINCT ON (fid) fid, w, k FROM ("
     "SELECT encode(file_id, 'hex') AS fid, encode(wrapped_dek, 'hex') AS w, kek_version AS k FROM documents "
     "WHERE file_id IS NOT NULL AND wrapped_dek IS NOT NULL "
     "UNION ALL SELECT encode(file_id, 'hex'), encode(wrapped_dek, 'hex'), kek_version FROM uploads "
     "WHERE file_id IS NOT NULL AND wrapped_dek IS NOT NULL "
     "UNION ALL SELECT encode(preview_file_id, 'hex'), encode(preview_wrapped, 'hex'), preview_kek FROM renditions "
     "WHERE preview_file_id IS NOT NULL AND preview_wrapped IS NOT NULL "
     "UNION ALL SELECT encode(frames_file_id, 'hex'), encode(frames_wrapped, 'hex'), frames_kek FROM renditions "
     "WHERE frames_file_id IS NOT NULL AND frames_wrapped IS NOT NULL) x ORDER BY fid"},
    {"bs_key_versions",
     "SELECT DISTINCT kek_version FROM uploads UNION SELECT DISTINCT kek_version FROM documents "
     "WHERE kek_version IS NOT NULL UNION SELECT DISTINCT preview_kek FROM renditions WHERE preview_kek IS NOT NULL "
     "UNION SELECT DISTINCT frames_kek FROM renditions WHERE frames_kek IS NOT NULL"},
};

/* Creates dir with mode 0700 if missing and refuses one that others can
 * read. 0 or -1 with a reason in err. */
static int make_private_dir(const char *dir, char *err, size_t errlen) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return -1;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s is not a directory", dir);
    return -1;
  }
  if (st.st_mode & 077) {
    if (chmod(dir, 0700) != 0) {
      snprintf(err, errlen, "cannot make %s private: %s", dir, strerror(errno));
      return -1;
    }
  }
  return 0;
}

static void s3_at_exit(void) {
  s3_free(g_s3);
  g_s3 = NULL;
}

int blobstore_use_s3(const struct blobstore_s3_settings *st, char *err, size_t errlen) {
  static int registered;
  if (!registered) {
    atexit(s3_at_exit);
    registered = 1;
  }
  struct s3_config cfg = {st->url, st->endpoint, st->region, st->access_key, st->secret_key};
  struct s3 *s = NULL;
  if (s3_new(&cfg, &s, err, errlen) != 0) return -1;
  s3_free(g_s3);
  g_s3 = s;
  snprintf(g_desc, sizeof g_desc, "%.1000s at %.1000s", st->url, st->endpoint);
  return 0;
}

int blobstore_is_s3(void) { return g_s3 != NULL; }

const char *blobstore_describe(void) { return g_desc; }

int blobstore_init(const char *data_dir, char *err, size_t errlen) {
  int n1 = snprintf(root_files, sizeof root_files, "%s/files", data_dir);
  int n2 = snprintf(root_staging, sizeof root_staging, "%s/staging", data_dir);
  int n3 = snprintf(root_quarantine, sizeof root_quarantine, "%s/quarantine", data_dir);
  int n4 = keydir_path(data_dir, root_keys, sizeof root_keys - 40) == 0 ? 0 : -1;
  if (n1 < 0 || n2 < 0 || n3 < 0 || n4 < 0 || (size_t)n1 >= sizeof root_files - 40 ||
      (size_t)n2 >= sizeof root_staging - 40 || (size_t)n3 >= sizeof root_quarantine - 60 ||
      0) {
    snprintf(err, errlen, "data directory path too long");
    return -1;
  }
  if (make_private_dir(root_files, err, errlen) || make_private_dir(root_staging, err, errlen) ||
      make_private_dir(root_quarantine, err, errlen))
    return -1;
  if (!ring && keyring_open(root_keys, 1, &ring, err, errlen) != 0) return -1;
  if (g_s3) {
    char why[300];
    if (s3_check(g_s3, why, sizeof why) != S3_OK) {
      snprintf(err, errlen, "the object store %s cannot be used: %s", g_desc, why);
      return -1;
    }
  } else {
    snprintf(g_desc, sizeof g_desc, "directory %s", root_files);
  }
  const char *rv = getenv("SECONDOP_STORE_RESERVE_BYTES");
  if (rv && *rv) {
    char *end;
    unsigned long long v = strtoull(rv, &end, 10);
    if (*end == '\0') {
      reserve_override = v;
      have_reserve_override = 1;
    }
  }
  if (sweep_configure(err, errlen) != 0) return -1;
  static int registered;
  if (!registered) {
    db_register(stmts, sizeof stmts / sizeof stmts[0]);
    registered = 1;
  }
  return 0;
}

void blobstore_shutdown(void) {
  keyring_close(ring);
  ring = NULL;
  s3_free(g_s3);
  g_s3 = NULL;
  blobstore_sweep_stop();
  pthread_mutex_lock(&fresh_mu);
  free(fresh);
  fresh = NULL;
  fresh_cap = fresh_n = 0;
  pthread_mutex_unlock(&fresh_mu);
}

void blobstore_id_hex(const unsigned char id[BLOB_ID_LEN], char out[2 * BLOB_ID_LEN + 1]) {
  sodium_bin2hex(out, 2 * BLOB_ID_LEN + 1, id, BLOB_ID_LEN);
}

int blobstore_id_parse(const char *hex, unsigned char id[BLOB_ID_LEN]) {
  size_t bl = 0;
  if (!hex || strlen(hex) != 2 * BLOB_ID_LEN) return -1;
  for (const char *p = hex; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return -1;
  if (sodium_hex2bin(id, BLOB_ID_LEN, hex, 2 * BLOB_ID_LEN, NULL, &bl, NULL) != 0 || bl != BLOB_ID_LEN) return -1;
  return 0;
}

int blobstore_path(const unsigned char id[BLOB_ID_LEN], int staging, char *out, size_t cap) {
  char hex[2 * BLOB_ID_LEN + 1];
  blobstore_id_hex(id, hex);
  int n = snprintf(out, cap, "%s/%s", staging ? root_staging : root_files, hex);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

enum err blobstore_space_check(uint64_t need) {
  struct statvfs sv;
  if (g_s3) return ERR_OK; /* the object store says so itself when it is full */
  if (statvfs(root_staging, &sv) != 0) return ERR_INTERNAL;
  uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
  uint64_t total = (uint64_t)sv.f_blocks * sv.f_frsize;
  uint64_t reserve = total / 20;
  if (reserve > ((uint64_t)2 << 30)) reserve = (uint64_t)2 << 30;
  if (have_reserve_override) reserve = reserve_override;
  /* records add 40 bytes (nonce and tag) per 64 KiB */
  uint64_t disk_need = need + need / 1024 + 4096;
  if (avail < reserve || avail - reserve < disk_need) {
    LOG_W("store: free space low (%llu bytes free, reserve %llu, need %llu)", (unsigned long long)avail,
          (unsigned long long)reserve, (unsigned long long)disk_need);
    return ERR_NO_SPACE;
  }
  return ERR_OK;
}

int blobstore_new_file(unsigned char id[BLOB_ID_LEN], unsigned char dek[BLOB_DEK_LEN],
                       unsigned char wrapped[BLOB_WRAPPED_LEN], uint32_t *kek_version) {
  if (!ring) return -1;
  randombytes_buf(id, BLOB_ID_LEN);
  if (blob_dek_new(dek) != 0) return -1;
  *kek_version = keyring_current_version(ring);
  if (blob_dek_wrap(ring, *kek_version, id, dek, wrapped) != 0) {
    sodium_memzero(dek, BLOB_DEK_LEN);
    return -1;
  }
  return 0;
}

int blobstore_unwrap(const unsigned char id[BLOB_ID_LEN], const unsigned char *wrapped, size_t wrapped_len,
                     uint32_t kek_version, unsigned char dek[BLOB_DEK_LEN]) {
  if (!ring || wrapped_len != BLOB_WRAPPED_LEN) {
    sodium_memzero(dek, BLOB_DEK_LEN);
    return -1;
  }
  return blob_dek_unwrap(ring, kek_version, id, wrapped, dek);
}

/* fsyncs a directory. 0 or -1. */
static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int blobstore_put_begin(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                        struct blob_writer **w, char *err, size_t errlen) {
  char path[4200];
  /* before the file (object) exists: the sweep never takes it for an orphan */
  if (fresh_add(id) != 0) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (g_s3) {
    struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, err, errlen);
    if (k && blob_writer_create_sink(k, id, dek, w, err, errlen) == 0) return 0;
    int saved = errno;
    fresh_del(id);
    errno = saved;
    return -1;
  }
  if (blobstore_path(id, 1, path, sizeof path) != 0) {
    fresh_del(id);
    return -1;
  }
  if (blob_writer_create(path, id, dek, w, err, errlen) != 0) {
    fresh_del(id);
    return -1;
  }
  return 0;
}

int blobstore_put_commit(struct blob_writer *w, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen) {
  char staging[4200], final[4200];
  if (g_s3) {
    if (blob_writer_finish_sink(w, err, errlen) == 0) return 0;
    int saved = errno;
    (void)bs3_discard(g_s3, id, NULL, 0);
    fresh_del(id);
    errno = saved;
    return -1;
  }
  if (blobstore_path(id, 1, staging, sizeof staging) != 0 || blobstore_path(id, 0, final, sizeof final) != 0) {
    blob_writer_abort(w);
    return -1;
  }
  if (blob_writer_finish(w, final, err, errlen) != 0) {
    unlink(staging);
    fresh_del(id);
    return -1;
  }
  return 0;
}

int blobstore_open(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                   struct blob_reader **out, char *err, size_t errlen) {
  char path[4200];
  if (g_s3) {
    struct blob_source *src = bs3_source_new(g_s3, id, err, errlen);
    return src ? blob_reader_open_source(src, id, dek, out, err, errlen) : -1;
  }
  if (blobstore_path(id, 0, path, sizeof path) != 0) return -1;
  return blob_reader_open(path, id, dek, out, err, errlen);
}

int blobstore_delete(const unsigned char id[BLOB_ID_LEN]) {
  char path[4200];
  int rc = 0;
  if (g_s3) {
    char key[1200], err[200];
    if (bs3_key(g_s3, id, key, sizeof key) != 0) return -1;
    enum s3_fail f = s3_delete(g_s3, key, err, sizeof err);
    if (f != S3_OK) {
      LOG_W("store: cannot delete object %s: %s", key, err);
      rc = -1;
    }
    if (bs3_discard(g_s3, id, err, sizeof err) != 0) rc = -1;
    fresh_del(id);
    return rc;
  }
  for (int staging = 0; staging <= 1; staging++) {
    if (blobstore_path(id, staging, path, sizeof path) != 0) return -1;
    if (unlink(path) != 0 && errno != ENOENT) rc = -1;
  }
  sync_dir(root_files);
  sync_dir(root_staging);
  fresh_del(id);
  return rc;
}

/* ---- uploads in progress ---- */

int blobstore_upload_open(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                          uint64_t committed_offset, const unsigned char *stored, size_t stored_len,
                          struct blob_writer **w, char *err, size_t errlen) {
  *w = NULL;
  if (g_s3) {
    struct blob_sink *k;
    if (committed_offset == 0) {
      /* nothing committed: start over (a multipart upload an earlier attempt
       * began is dropped) */
      (void)bs3_discard(g_s3, id, NULL, 0);
      k = bs3_sink_new(g_s3, id, NULL, 0, err, errlen);
      return k ? blob_writer_create_sink(k, id, dek, w, err, errlen) : -1;
    }
    size_t tl = blob_sealed_tail_len(committed_offset);
    if (stored_len < tl) {
      snprintf(err, errlen, "the stored tail is shorter than offset %llu needs", (unsigned long long)committed_offset);
      errno = EINVAL;
      return -1;
    }
    k = bs3_sink_new(g_s3, id, stored + tl, stored_len - tl, err, errlen);
    return k ? blob_writer_resume_sink(k, id, dek, committed_offset, stored, tl, w, err, errlen) : -1;
  }
  char path[4200];
  struct stat st;
  if (blobstore_path(id, 1, path, sizeof path) != 0) {
    snprintf(err, errlen, "path too long");
    errno = ENAMETOOLONG;
    return -1;
  }
  if (committed_offset == 0) {
    /* a file from an earlier attempt with nothing committed: start over */
    if (stat(path, &st) == 0) unlink(path);
    return blob_writer_create(path, id, dek, w, err, errlen);
  }
  return blob_writer_resume(path, id, dek, committed_offset, stored, stored_len, w, err, errlen);
}

int blobstore_upload_pending(const unsigned char id[BLOB_ID_LEN]) {
  if (g_s3) {
    char key[1200], err[200];
    if (bs3_key(g_s3, id, key, sizeof key) != 0) return -1;
    enum s3_fail f = s3_head(g_s3, key, NULL, err, sizeof err);
    if (f == S3_NOT_FOUND) return 1;
    if (f == S3_OK) return 0;
    bs3_errno(f);
    return -1;
  }
  char path[4200];
  struct stat st;
  if (blobstore_path(id, 1, path, sizeof path) != 0) return -1;
  return stat(path, &st) == 0 ? 1 : 0;
}

int blobstore_upload_finish(struct blob_writer *w, const unsigned char id[BLOB_ID_LEN],
                            unsigned char digest[BLOB_DIGEST_LEN], int *have_digest, char *err, size_t errlen) {
  if (g_s3) return blob_writer_finish_sink_digest(w, digest, have_digest, err, errlen);
  char final[4200];
  if (blobstore_path(id, 0, final, sizeof final) != 0) {
    blob_writer_abort(w);
    errno = ENAMETOOLONG;
    return -1;
  }
  return blob_writer_finish_digest(w, final, digest, have_digest, err, errlen);
}

int blobstore_upload_discard(const unsigned char id[BLOB_ID_LEN]) {
  if (g_s3) {
    char err[200];
    if (bs3_discard(g_s3, id, err, sizeof err) != 0) {
      LOG_W("store: cannot abort an unfinished upload's multipart upload: %s", err);
      return -1;
    }
    return 0;
  }
  char path[4200];
  if (blobstore_path(id, 1, path, sizeof path) != 0) return -1;
  return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* ---- quarantine ---- */

/* Moves dir/name into quarantine (stamped with the time, so the grace period
 * starts now). 0 or -1. */
static int quarantine(const char *dir, const char *name) {
  char from[4400], to[4400];
  int n1 = snprintf(from, sizeof from, "%s/%s", dir, name);
  int n2 = snprintf(to, sizeof to, "%s/%s.%lld", root_quarantine, name, (long long)time(NULL));
  if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof from || (size_t)n2 >= sizeof to) return -1;
  if (rename(from, to) != 0) return -1;
  utimensat(AT_FDCWD, to, NULL, 0);
  return 0;
}

/* ---- recovery (start-up, before serving) ---- */

int blobstore_recover(const char *owner, int lease_seconds, struct blobstore_recovery *report) {
  struct blobstore_recovery rep = {0};
  struct arena *a = arena_new();
  if (!a) return -1;
  int rc = -1;
  enum err e;
  char err[200];
  const char *lp[] = {owner, arena_printf(a, "%d", lease_seconds)};
  PGresult *rows = db_exec(a, "bs_receiving", 2, lp, &e);
  if (!rows) goto done;
  for (int i = 0; i < PQntuples(rows); i++) {
    const char *uid = PQgetvalue(rows, i, 0);
    unsigned char id[BLOB_ID_LEN];
    if (blobstore_id_parse(PQgetvalue(rows, i, 1), id) != 0) continue;
    char path[4200];
    if (blobstore_path(id, 1, path, sizeof path) != 0) continue;
    uint64_t off = strtoull(PQgetvalue(rows, i, 2), NULL, 10);
    int expired = PQgetvalue(rows, i, 6)[0] == 't';
    if (g_s3) {
      /* the committed state is the database's (stored parts + the tail);
       * nothing to cut back. Expired uploads lose their parts. */
      if (expired) {
        (void)blobstore_upload_discard(id);
        const char *p[] = {uid, "expired"};
        db_exec(a, "bs_upload_expire", 2, p, &e);
        rep.expired++;
      }
      continue;
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (expired) {
      if (exists) unlink(path);
      const char *p[] = {uid, "expired"};
      db_exec(a, "bs_upload_expire", 2, p, &e);
      rep.expired++;
      continue;
    }
    if (!exists) {
      if (off > 0) {
        LOG_W("store: upload %s has %llu committed bytes but no staging file", uid, (unsigned long long)off);
        const char *p[] = {uid, "staging file missing"};
        db_exec(a, "bs_upload_expire", 2, p, &e);
        rep.missing++;
      }
      continue;
    }
    unsigned char wrapped[BLOB_WRAPPED_LEN], dek[BLOB_DEK_LEN];
    size_t wl = 0;
    const char *wh = PQgetvalue(rows, i, 4);
    if (sodium_hex2bin(wrapped, sizeof wrapped, wh, strlen(wh), NULL, &wl, NULL) != 0 ||
        blobstore_unwrap(id, wrapped, wl, (uint32_t)strtoul(PQgetvalue(rows, i, 5), NULL, 10), dek) != 0) {
      LOG_E("store: upload %s: its data key does not unwrap", uid);
      continue;
    }
    const char *th = PQgetvalue(rows, i, 3);
    size_t tl = 0;
    unsigned char *tail = NULL;
    if (*th) {
      tail = malloc(strlen(th) / 2 + 1);
      if (!tail || sodium_hex2bin(tail, strlen(th) / 2 + 1, th, strlen(th), NULL, &tl, NULL) != 0) {
        free(tail);
        sodium_memzero(dek, sizeof dek);
        continue;
      }
    }
    uint64_t before = (uint64_t)st.st_size;
    struct blob_writer *w = NULL;
    if (blob_writer_resume(path, id, dek, off, tail, tl, &w, err, sizeof err) == 0) {
      if (stat(path, &st) == 0 && (uint64_t)st.st_size != before) rep.truncated++;
      blob_writer_abort(w);
    } else {
      LOG_E("store: upload %s: staging file does not resume (%s)", uid, err);
    }
    free(tail);
    sodium_memzero(dek, sizeof dek);
  }
  sync_dir(root_staging);
  PGresult *held = db_exec(a, "bs_receiving_held", 1, lp, &e);
  if (held && PQntuples(held) == 1) rep.held = (unsigned)strtoul(PQgetvalue(held, 0, 0), NULL, 10);
  if (!db_exec(a, "bs_leases_release", 1, lp, &e)) LOG_W("store recovery: could not let go of the leases (they lapse)");
  LOG_I("store recovery: %u staging files truncated, %u uploads expired, %u uploads without their staging file, "
        "%u uploads left to the live instances holding them (stored files are checked by the background sweep)",
        rep.truncated, rep.expired, rep.missing, rep.held);
  rc = 0;
done:
  if (report) *report = rep;
  arena_free(a);
  return rc;
}

/* ---- files written before their row: never orphans while in this set ----
 *
 * blobstore_put_begin (intake entries, viewer renditions) creates the file
 * first and its row is committed later, possibly minutes later (an archive's
 * entries are inserted in one transaction at the end of its intake). The id
 * goes into this set before the file exists; it leaves when the file is
 * deleted, when its commit fails, or when the sweep sees a row naming it. An
 * open-addressing table of the random ids (their first bytes are the hash). */

static size_t fresh_slot(const unsigned char id[BLOB_ID_LEN]) {
  uint64_t h;
  memcpy(&h, id, sizeof h);
  return (size_t)(h & (fresh_cap - 1));
}

static int id_is_zero(const unsigned char id[BLOB_ID_LEN]) {
  static const unsigned char zero[BLOB_ID_LEN];
  return memcmp(id, zero, BLOB_ID_LEN) == 0;
}

/* Index of id in the table, or of the empty slot that ends its probe. */
static size_t fresh_find(const unsigned char id[BLOB_ID_LEN]) {
  size_t i = fresh_slot(id);
  while (!id_is_zero(fresh[i]) && memcmp(fresh[i], id, BLOB_ID_LEN) != 0) i = (i + 1) & (fresh_cap - 1);
  return i;
}

/* Adds id. -1 when out of memory. */
static int fresh_add(const unsigned char id[BLOB_ID_LEN]) {
  if (id_is_zero(id)) return 0;
  int rc = 0;
  pthread_mutex_lock(&fresh_mu);
  if ((fresh_n + 1) * 2 > fresh_cap) {
    size_t ncap = fresh_cap ? fresh_cap * 2 : 1024;
    unsigned char(*old)[BLOB_ID_LEN] = fresh;
    size_t ocap = fresh_cap;
    unsigned char(*nt)[BLOB_ID_LEN] = calloc(ncap, BLOB_ID_LEN);
    if (!nt) {
      rc = -1;
      goto out;
    }
    fresh = nt;
    fresh_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
      if (!id_is_zero(old[i])) memcpy(fresh[fresh_find(old[i])], old[i], BLOB_ID_LEN);
    free(old);
  }
  size_t i = fresh_find(id);
  if (id_is_zero(fresh[i])) {
    memcpy(fresh[i], id, BLOB_ID_LEN);
    fresh_n++;
  }
out:
  pthread_mutex_unlock(&fresh_mu);
  return rc;
}

/* Removes id (absent is fine): backward-shift deletion keeps probes intact. */
static void fresh_del(const unsigned char id[BLOB_ID_LEN]) {
  pthread_mutex_lock(&fresh_mu);
  if (fresh_n) {
    size_t i = fresh_find(id);
    if (!id_is_zero(fresh[i])) {
      memset(fresh[i], 0, BLOB_ID_LEN);
      fresh_n--;
      for (size_t j = (i + 1) & (fresh_cap - 1); !id_is_zero(fresh[j]); j = (j + 1) & (fresh_cap - 1)) {
        size_t home = fresh_slot(fresh[j]);
        /* move j back to i when i lies cyclically in [home, j) */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
          memcpy(fresh[i], fresh[j], BLOB_ID_LEN);
          memset(fresh[j], 0, BLOB_ID_LEN);
          i = j;
        }
      }
    }
  }
  pthread_mutex_unlock(&fresh_mu);
}

static int fresh_has(const unsigned char id[BLOB_ID_LEN]) {
  pthread_mutex_lock(&fresh_mu);
  int found = fresh_n && !id_is_zero(fresh[fresh_find(id)]);
  pthread_mutex_unlock(&fresh_mu);
  return found;
}

/* ---- the background consistency sweep ---- */

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  int started, stop;
  unsigned rate;     /* files per second, 0 = unpaced */
  unsigned hours;    /* between passes */
  struct blobstore_sweep_stats st;
  unsigned min_age;  /* seconds since last change before an orphan is moved */
  unsigned grace;    /* seconds in quarantine before a purge */
} S = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, BLOBSTORE_SWEEP_RATE_DEFAULT,
       BLOBSTORE_SWEEP_HOURS_DEFAULT, {0}, BLOBSTORE_ORPHAN_AGE_SECONDS, QUARANTINE_GRACE_SECONDS};

/* Waits until the absolute CLOCK_REALTIME time ts or a stop. 1 when stopping. */
static int sweep_wait_until(const struct timespec *ts) {
  pthread_mutex_lock(&S.mu);
  while (!S.stop) {
    if (pthread_cond_timedwait(&S.cv, &S.mu, ts) != 0) break;
  }
  int stop = S.stop;
  pthread_mutex_unlock(&S.mu);
  return stop;
}

static int sweep_stopping(void) {
  pthread_mutex_lock(&S.mu);
  int stop = S.stop;
  pthread_mutex_unlock(&S.mu);
  return stop;
}

static double mono_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One pass's pacing: at most S.rate units (files or rows looked at) per
 * second, sleeping every rate/20 units. 1 when the sweep must stop. */
struct pace {
  double start;
  unsigned long long units;
};
static int pace_step(struct pace *p) {
  p->units++;
  if (S.rate == 0) return (p->units & 1023) == 0 ? sweep_stopping() : 0;
  unsigned batch = S.rate / 20 ? S.rate / 20 : 1;
  if (p->units % batch) return 0;
  double ahead = p->start + (double)p->units / S.rate - mono_now();
  if (ahead <= 0) return sweep_stopping();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long ns = (long long)ts.tv_nsec + (long long)(ahead * 1e9);
  ts.tv_sec += (time_t)(ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  return sweep_wait_until(&ts);
}

/* Listed names; on the object store also each one's time (LastModified or
 * Initiated) and, for a multipart upload, its upload id. */
struct name_list {
  char **v;
  size_t n, cap;
  int64_t *when;
  char **uid;
};

static void names_free(struct name_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i]);
    if (l->uid) free(l->uid[i]);
  }
  free(l->v);
  free(l->when);
  free(l->uid);
  memset(l, 0, sizeof *l);
}

/* Appends name (with when and uid on the object store). 0 or -1. */
static int names_push(struct name_list *l, const char *name, int64_t when, const char *uid) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 1024;
    char **nv = realloc(l->v, nc * sizeof *nv);
    if (!nv) return -1;
    l->v = nv;
    int64_t *nw = realloc(l->when, nc * sizeof *nw);
    if (!nw) return -1;
    l->when = nw;
    char **nu = realloc(l->uid, nc * sizeof *nu);
    if (!nu) return -1;
    l->uid = nu;
    l->cap = nc;
  }
  char *v = strdup(name), *u = uid ? strdup(uid) : NULL;
  if (!v || (uid && !u)) {
    free(v);
    free(u);
    return -1;
  }
  l->v[l->n] = v;
  l->when[l->n] = when;
  l->uid[l->n] = u;
  l->n++;
  return 0;
}

/* Lists dir's entries (not "." names) into l. 0, or -1 (stop or error). */
static int list_dir(const char *dir, struct name_list *l) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (names_push(l, de->d_name, 0, NULL) != 0) {
      rc = -1;
      break;
    }
    if ((l->n & 4095) == 0 && sweep_stopping()) {
      rc = -1;
      break;
    }
  }
  closedir(d);
  return rc;
}

/* ---- the object store's listing (the sweep and verify-store) ---- */

struct objlist {
  size_t skip; /* strlen("PREFIX/files/") */
  blobstore_object_fn fn;
  void *ctx;
};

static int objlist_one(void *p, const char *key, uint64_t size, int64_t modified) {
  struct objlist *o = p;
  if (strlen(key) <= o->skip) return 0;
  return o->fn(o->ctx, key + o->skip, size, modified);
}

int blobstore_list_objects(blobstore_object_fn fn, void *ctx, char *err, size_t errlen) {
  char prefix[1200];
  if (!g_s3) {
    snprintf(err, errlen, "the directory store has no objects to list");
    errno = ENOENT;
    return -1;
  }
  if (s3_key(g_s3, "files/", prefix, sizeof prefix) != 0) {
    snprintf(err, errlen, "object key prefix too long");
    errno = ENAMETOOLONG;
    return -1;
  }
  struct objlist o = {strlen(prefix), fn, ctx};
  enum s3_fail f = s3_list(g_s3, prefix, objlist_one, &o, err, errlen);
  if (f != S3_OK) {
    bs3_errno(f);
    return -1;
  }
  return 0;
}

struct s3_collect {
  struct name_list *l;
  size_t skip; /* strlen("PREFIX/files/") for multipart upload keys */
  int rc;
};

static int collect_push(struct s3_collect *c, const char *name, int64_t when, const char *uid) {
  if (names_push(c->l, name, when, uid) != 0 || ((c->l->n & 4095) == 0 && sweep_stopping())) {
    c->rc = -1;
    return 1;
  }
  return 0;
}

static int collect_object(void *p, const char *name, uint64_t size, int64_t modified) {
  (void)size;
  return collect_push(p, name, modified, NULL);
}

static int collect_upload(void *p, const char *key, const char *upload_id, int64_t initiated) {
  struct s3_collect *c = p;
  if (strlen(key) <= c->skip) return 0;
  return collect_push(c, key + c->skip, initiated, upload_id);
}

/* Lists the multipart uploads in progress (into uploads, with their upload
 * ids and Initiated times) and the objects (into files, with LastModified)
 * under PREFIX/files/. 0, or -1 (stop, or an error, logged). */
static int list_s3(struct name_list *uploads, struct name_list *files) {
  char prefix[1200], err[300] = "";
  if (s3_key(g_s3, "files/", prefix, sizeof prefix) != 0) return -1;
  struct s3_collect cu = {uploads, strlen(prefix), 0}, cf = {files, 0, 0};
  if (s3_mpu_list(g_s3, prefix, collect_upload, &cu, err, sizeof err) != S3_OK) {
    LOG_W("store sweep: cannot list the multipart uploads in progress: %s", err);
    return -1;
  }
  if (cu.rc != 0) return -1;
  if (blobstore_list_objects(collect_object, &cf, err, sizeof err) != 0) {
    LOG_W("store sweep: cannot list the stored objects: %s", err);
    return -1;
  }
  return cf.rc;
}

struct s3_purge {
  struct pace *pc;
  time_t now;
  unsigned long long purged;
  int stopped;
};

static int purge_one(void *p, const char *key, uint64_t size, int64_t modified) {
  (void)size;
  struct s3_purge *q = p;
  char err[300];
  if (modified > 0 && q->now - modified >= (int64_t)S.grace) {
    if (s3_delete(g_s3, key, err, sizeof err) == S3_OK)
      q->purged++;
    else
      LOG_W("store sweep: cannot delete %s from quarantine: %s", key, err);
  }
  q->stopped = pace_step(q->pc);
  return q->stopped;
}

/* Deletes the quarantined objects past their grace period (LastModified is
 * the time of the copy into quarantine/). 1 when the sweep must stop. */
static int purge_s3(struct pace *pc, unsigned long long *purged) {
  char prefix[1200], err[300] = "";
  struct s3_purge q = {pc, time(NULL), 0, 0};
  if (s3_key(g_s3, "quarantine/", prefix, sizeof prefix) == 0 &&
      s3_list(g_s3, prefix, purge_one, &q, err, sizeof err) != S3_OK)
    LOG_W("store sweep: cannot list the quarantine: %s", err);
  *purged += q.purged;
  return q.stopped;
}

static int cmp_id(const void *x, const void *y) { return memcmp(x, y, BLOB_ID_LEN); }

/* Sorted ids of the rows of column col of res (unparsable values left out). */
static unsigned char (*ids_of(PGresult *res, int col, size_t *n))[BLOB_ID_LEN] {
  size_t rows = (size_t)PQntuples(res);
  unsigned char(*v)[BLOB_ID_LEN] = malloc((rows ? rows : 1) * BLOB_ID_LEN);
  *n = 0;
  if (!v) return NULL;
  for (size_t i = 0; i < rows; i++)
    if (blobstore_id_parse(PQgetvalue(res, (int)i, col), v[*n]) == 0) (*n)++;
  qsort(v, *n, BLOB_ID_LEN, cmp_id);
  return v;
}

static int ids_has(unsigned char (*v)[BLOB_ID_LEN], size_t n, const unsigned char id[BLOB_ID_LEN]) {
  return n && bsearch(id, v, n, BLOB_ID_LEN, cmp_id) != NULL;
}

static void stats_update(void (*fn)(struct blobstore_sweep_stats *, unsigned long long), unsigned long long v) {
  pthread_mutex_lock(&S.mu);
  fn(&S.st, v);
  pthread_mutex_unlock(&S.mu);
}
static void st_checked(struct blobstore_sweep_stats *s, unsigned long long v) {
  s->checked += v;
  s->checked_total += v;
}

/* Test builds: after listing, waits while the file SECONDOP_TEST_SWEEP_PAUSE_FILE
 * exists (so a test can name a listed file by a row before the sweep looks). */
static int test_pause(void) {
#ifdef SECONDOP_TEST_HOOKS
  const char *pf = getenv("SECONDOP_TEST_SWEEP_PAUSE_FILE");
  struct stat st;
  int said = 0;
  while (pf && *pf && stat(pf, &st) == 0) {
    if (!said) LOG_I("store sweep: paused while %s exists", pf);
    said = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    if (sweep_wait_until(&ts)) return 1;
  }
#endif
  return 0;
}

/* True when a row names the file now (asked again right before a quarantine).
 * -1 when the database cannot say (then nothing is moved). */
static int file_named_now(struct arena *a, const char *hex) {
  enum err e;
  const char *p[] = {hex};
  PGresult *r = db_exec(a, "bs_file_named", 1, p, &e);
  if (!r) return -1;
  return PQntuples(r) > 0;
}

/* Whether a listed name may be an orphan at all (parsing its id into id and
 * *is_id): not when a row read for this pass names it (it is then no longer
 * waiting for its row) nor when this process wrote it with its row still to
 * come. */
static int may_be_orphan(const char *name, unsigned char id[BLOB_ID_LEN], int *is_id,
                         unsigned char (*known)[BLOB_ID_LEN], size_t nknown) {
  *is_id = blobstore_id_parse(name, id) == 0;
  if (*is_id && ids_has(known, nknown, id)) {
    fresh_del(id); /* its row is committed: it is no longer waiting for one */
    return 0;
  }
  return !(*is_id && fresh_has(id)); /* written by this process, its row not committed yet */
}

/* Looks at one listed entry of dir: quarantines it when it is an orphan (see
 * blobstore.h for the rules). 1 when it was moved. */
static int sweep_one(struct arena *a, const char *dir, const char *name, unsigned char (*known)[BLOB_ID_LEN],
                     size_t nknown, time_t now) {
  unsigned char id[BLOB_ID_LEN];
  int is_id;
  if (!may_be_orphan(name, id, &is_id, known, nknown)) return 0;
  struct stat st;
  char path[4400];
  int n = snprintf(path, sizeof path, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0) return 0; /* gone meanwhile */
  if (S_ISDIR(st.st_mode)) return 0;
  /* too young to judge. A name that is not a file id is a temp file of an
   * operation in flight (<id>.reseal, <id>.v2tmp) or junk: its rename counts
   * too (reseal's exchange leaves the old file under the temp name, with an
   * old mtime, until it unlinks it) */
  time_t changed = !is_id && st.st_ctime > st.st_mtime ? st.st_ctime : st.st_mtime;
  if (now - changed < (time_t)S.min_age) return 0;
  if (is_id && file_named_now(a, name) != 0) return 0;
  if (is_id && fresh_has(id)) return 0;
  if (quarantine(dir, name) != 0) return 0;
  LOG_W("store: moved %s/%s (no database row) to quarantine", dir, name);
  return 1;
}

/* Whether a multipart upload got a part within the age rule: a writer on
 * any instance is still sending it (its row to come at the end), as a local
 * file being written keeps a fresh mtime. Initiated alone says when it
 * began, not whether it goes on. No verdict (a failed listing) counts as
 * written lately. */
static int mpu_written_lately(const char *key, const char *upload_id, time_t now) {
  int64_t latest = 0;
  char err[300];
  if (s3_mpu_list_parts(g_s3, key, upload_id, NULL, 0, &latest, err, sizeof err) != S3_OK) {
    LOG_W("store sweep: cannot list the parts of the multipart upload of %s: %s", key, err);
    return 1;
  }
  return latest > 0 && (int64_t)now - latest < (int64_t)S.min_age;
}

/* The object store's sweep_one: entry i of l, a multipart upload in progress
 * (is_upload) or an object of files/. An orphan object is copied to
 * quarantine/ and then deleted; an orphan multipart upload is aborted. The
 * age is its LastModified or, for an upload, the later of its Initiated time
 * and its newest part's (an entry without one is never judged). 1 when it
 * was moved or aborted. */
static int sweep_one_s3(struct arena *a, const struct name_list *l, size_t i, int is_upload,
                        unsigned char (*known)[BLOB_ID_LEN], size_t nknown, time_t now) {
  const char *name = l->v[i];
  unsigned char id[BLOB_ID_LEN];
  int is_id;
  if (!may_be_orphan(name, id, &is_id, known, nknown)) return 0;
  if (l->when[i] <= 0 || (int64_t)now - l->when[i] < (int64_t)S.min_age) return 0;
  if (is_id && file_named_now(a, name) != 0) return 0;
  if (is_id && fresh_has(id)) return 0;
  char rel[1200], key[1300], qkey[1300], err[300] = "";
  if (snprintf(rel, sizeof rel, "files/%s", name) >= (int)sizeof rel || s3_key(g_s3, rel, key, sizeof key) != 0)
    return 0;
  if (is_upload) {
    if (mpu_written_lately(key, l->uid[i], now)) return 0;
    if (s3_mpu_abort(g_s3, key, l->uid[i], err, sizeof err) != S3_OK) {
      LOG_W("store sweep: cannot abort the multipart upload of %s: %s", key, err);
      return 0;
    }
    LOG_W("store: aborted the multipart upload of %s (no database row)", key);
    return 1;
  }
  if (snprintf(rel, sizeof rel, "quarantine/%s", name) >= (int)sizeof rel || s3_key(g_s3, rel, qkey, sizeof qkey) != 0)
    return 0;
  if (s3_copy(g_s3, key, qkey, err, sizeof err) != S3_OK || s3_delete(g_s3, key, err, sizeof err) != S3_OK) {
    LOG_W("store sweep: cannot move %s to quarantine: %s", key, err);
    return 0;
  }
  LOG_W("store: moved %s (no database row) to quarantine", key);
  return 1;
}

/* True when the document's object is missing from the store (a HEAD answers
 * 404; any other failure is no verdict). */
static int object_missing(const unsigned char id[BLOB_ID_LEN]) {
  char key[1200], err[300];
  return bs3_key(g_s3, id, key, sizeof key) == 0 && s3_head(g_s3, key, NULL, err, sizeof err) == S3_NOT_FOUND;
}

/* One pass over the quarantine, staging/ and files/ (on the object store: the
 * quarantine/ objects, the multipart uploads in progress and the objects of
 * files/) and the rows that name files. */
static void sweep_pass(void) {
  struct arena *a = arena_new();
  struct name_list staging = {0}, files = {0};
  unsigned char(*known)[BLOB_ID_LEN] = NULL, (*listed)[BLOB_ID_LEN] = NULL;
  size_t nknown = 0, nlisted = 0;
  unsigned long long quarantined = 0, purged = 0, missing = 0;
  struct pace pc = {mono_now(), 0};
  int stopped = 0, failed = 0;
  pthread_mutex_lock(&S.mu);
  S.st.running = 1;
  S.st.listed = 0;
  S.st.checked = 0;
  pthread_mutex_unlock(&S.mu);
  LOG_I("store sweep: started (at most %u files a second%s)", S.rate, S.rate ? "" : ": unpaced");
  if (!a) {
    failed = 1;
    goto done;
  }
  /* quarantined files past their grace period go */
  DIR *qd = g_s3 ? NULL : opendir(root_quarantine);
  if (g_s3) stopped = purge_s3(&pc, &purged);
  if (qd) {
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(qd)) && !stopped) {
      if (de->d_name[0] == '.') continue;
      struct stat st;
      if (fstatat(dirfd(qd), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          now - st.st_mtime >= (time_t)S.grace && unlinkat(dirfd(qd), de->d_name, 0) == 0)
        purged++;
      stopped = pace_step(&pc);
    }
    closedir(qd);
  }
  if (stopped) goto done;
  /* list first, read the rows after: a file listed here and named by a row
   * committed before the query below is seen as named */
  int listed_ok = g_s3 ? list_s3(&staging, &files) == 0
                       : list_dir(root_staging, &staging) == 0 && list_dir(root_files, &files) == 0;
  if (!listed_ok) {
    stopped = sweep_stopping();
    failed = !stopped;
    goto done;
  }
  pthread_mutex_lock(&S.mu);
  S.st.listed = staging.n + files.n;
  pthread_mutex_unlock(&S.mu);
  LOG_I("store sweep: listed %zu files (%zu being uploaded)", staging.n + files.n, staging.n);
  if (test_pause()) {
    stopped = 1;
    goto done;
  }
  enum err e;
  PGresult *kr = db_exec(a, "bs_known_ids", 0, NULL, &e);
  PGresult *docs = kr ? db_exec(a, "bs_documents_with_files", 0, NULL, &e) : NULL;
  if (!docs || !(known = ids_of(kr, 0, &nknown))) {
    LOG_W("store sweep: cannot read the rows that name files (%s); nothing moved", err_code(e));
    failed = 1;
    goto done;
  }
  time_t now = time(NULL);
  size_t total = staging.n + files.n, step = total / 10 > 10000 ? 10000 : (total / 10 ? total / 10 : 1);
  for (size_t i = 0; i < total && !stopped; i++) {
    int in_staging = i < staging.n;
    const char *name = in_staging ? staging.v[i] : files.v[i - staging.n];
    if (g_s3)
      quarantined += (unsigned long long)sweep_one_s3(a, in_staging ? &staging : &files,
                                                      in_staging ? i : i - staging.n, in_staging, known, nknown, now);
    else
      quarantined +=
          (unsigned long long)sweep_one(a, in_staging ? root_staging : root_files, name, known, nknown, now);
    stats_update(st_checked, 1);
    if ((i + 1) % step == 0 && i + 1 < total) LOG_I("store sweep: %zu of %zu files checked", i + 1, total);
    stopped = pace_step(&pc);
  }
  if (stopped) goto done;
  /* rows whose file is missing: a document's file exists before its row */
  listed = malloc((files.n ? files.n : 1) * BLOB_ID_LEN);
  if (!listed) {
    failed = 1;
    goto done;
  }
  for (size_t i = 0; i < files.n; i++)
    if (blobstore_id_parse(files.v[i], listed[nlisted]) == 0) nlisted++;
  qsort(listed, nlisted, BLOB_ID_LEN, cmp_id);
  for (int i = 0; i < PQntuples(docs) && !stopped; i++) {
    unsigned char id[BLOB_ID_LEN];
    char path[4200];
    struct stat st;
    if (blobstore_id_parse(PQgetvalue(docs, i, 1), id) == 0 && !ids_has(listed, nlisted, id) &&
        (g_s3 ? object_missing(id)
              : blobstore_path(id, 0, path, sizeof path) == 0 && stat(path, &st) != 0 && errno == ENOENT)) {
      LOG_E("store: document %s has no file", PQgetvalue(docs, i, 0));
      missing++;
    }
    stopped = pace_step(&pc);
  }
  if (stopped) goto done;
  if (!g_s3) {
    sync_dir(root_staging);
    sync_dir(root_files);
    sync_dir(root_quarantine);
  }
done:;
  double took = mono_now() - pc.start;
  pthread_mutex_lock(&S.mu);
  S.st.running = 0;
  S.st.quarantined_total += quarantined;
  S.st.purged_total += purged;
  if (!stopped && !failed) {
    S.st.passes++;
    S.st.missing = missing;
    S.st.last_duration = took;
    S.st.last_finished = (long long)time(NULL);
  }
  unsigned long long checked = S.st.checked;
  pthread_mutex_unlock(&S.mu);
  if (stopped)
    LOG_I("store sweep: stopped after %llu files checked (%.1f s)", checked, took);
  else if (failed)
    LOG_W("store sweep: failed after %llu files checked (%.1f s); the next pass tries again", checked, took);
  else
    LOG_I("store sweep: finished in %.1f s: %llu files checked, %llu quarantined, %llu purged from quarantine, %llu "
          "rows without files",
          took, checked, quarantined, purged, missing);
  free(listed);
  free(known);
  names_free(&staging);
  names_free(&files);
  arena_free(a);
}

static void *sweep_main(void *arg) {
  (void)arg;
  while (!sweep_stopping()) {
    sweep_pass();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)S.hours * 3600;
    if (sweep_wait_until(&ts)) break;
  }
  db_close();
  return NULL;
}

/* Reads a whole number in [lo, hi] from the environment into *out. 0, or -1
 * with a reason in err. */
static int env_uint(const char *name, unsigned lo, unsigned hi, unsigned *out, char *err, size_t errlen) {
  const char *v = getenv(name);
  if (!v || !*v) return 0;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (*end || errno || v[0] == '-' || x < lo || x > hi) {
    snprintf(err, errlen, "%s must be a whole number from %u to %u", name, lo, hi);
    return -1;
  }
  *out = (unsigned)x;
  return 0;
}

/* Reads the sweep's pace and interval from the environment. 0 or -1 (err). */
static int sweep_configure(char *err, size_t errlen) {
  unsigned rate = BLOBSTORE_SWEEP_RATE_DEFAULT, hours = BLOBSTORE_SWEEP_HOURS_DEFAULT;
  if (env_uint("SECONDOP_STORE_SWEEP_RATE", 0, 10000000, &rate, err, errlen) != 0 ||
      env_uint("SECONDOP_STORE_SWEEP_HOURS", 1, 8760, &hours, err, errlen) != 0)
    return -1;
  unsigned min_age = BLOBSTORE_ORPHAN_AGE_SECONDS, grace = QUARANTINE_GRACE_SECONDS;
#ifdef SECONDOP_TEST_HOOKS
  /* test builds: radosgw's LastModified cannot be set back, so the age rules are */
  if (env_uint("SECONDOP_TEST_SWEEP_MIN_AGE_SECONDS", 0, 86400, &min_age, err, errlen) != 0 ||
      env_uint("SECONDOP_TEST_QUARANTINE_GRACE_SECONDS", 0, 86400, &grace, err, errlen) != 0)
    return -1;
#endif
  pthread_mutex_lock(&S.mu);
  S.rate = rate;
  S.hours = hours;
  S.min_age = min_age;
  S.grace = grace;
  pthread_mutex_unlock(&S.mu);
  return 0;
}

int blobstore_sweep_start(void) {
  pthread_mutex_lock(&S.mu);
  int already = S.started;
  S.stop = 0;
  pthread_mutex_unlock(&S.mu);
  if (already) return 0;
  LOG_I("store sweep: checks the %s every %u hours", g_desc, S.hours);
  if (pthread_create(&S.thread, NULL, sweep_main, NULL) != 0) {
    LOG_E("store sweep: cannot start its thread; stored files are not checked");
    return -1;
  }
  S.started = 1;
  return 0;
}

void blobstore_sweep_stop(void) {
  if (!S.started) return;
  pthread_mutex_lock(&S.mu);
  S.stop = 1;
  pthread_cond_broadcast(&S.cv);
  pthread_mutex_unlock(&S.mu);
  pthread_join(S.thread, NULL);
  S.started = 0;
}

void blobstore_sweep_get_stats(struct blobstore_sweep_stats *out) {
  pthread_mutex_lock(&S.mu);
  *out = S.st;
  pthread_mutex_unlock(&S.mu);
}

/* ---- key rotation ---- */

struct rewrap_ctx {
  uint32_t new_version;
  unsigned count;
};

/* Rewraps every data key not yet under ctx->new_version (one transaction). */
static enum err rewrap_all(void *p) {
  struct rewrap_ctx *ctx = p;
  ctx->count = 0;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e = db_simple("LOCK TABLE uploads, documents, renditions IN SHARE ROW EXCLUSIVE MODE");
  if (e != ERR_OK) goto done;
  char vbuf[16];
  snprintf(vbuf, sizeof vbuf, "%u", ctx->new_version);
  const char *pv[] = {vbuf};
  PGresult *rows = db_exec(a, "bs_wrapped_keys", 1, pv, &e);
  if (!rows) goto done;
  for (int i = 0; i < PQntuples(rows); i++) {
    unsigned char id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN], dek[BLOB_DEK_LEN], nw[BLOB_WRAPPED_LEN];
    size_t wl = 0;
    const char *wh = PQgetvalue(rows, i, 3);
    if (blobstore_id_parse(PQgetvalue(rows, i, 2), id) != 0 ||
        sodium_hex2bin(wrapped, sizeof wrapped, wh, strlen(wh), NULL, &wl, NULL) != 0 ||
        blobstore_unwrap(id, wrapped, wl, (uint32_t)strtoul(PQgetvalue(rows, i, 4), NULL, 10), dek) != 0) {
      fprintf(stderr, "secondop: a data key (%s %s) does not unwrap; nothing changed\n", PQgetvalue(rows, i, 0),
              PQgetvalue(rows, i, 1));
      e = ERR_INTERNAL;
      goto done;
    }
    int wrc = blob_dek_wrap(ring, ctx->new_version, id, dek, nw);
    sodium_memzero(dek, sizeof dek);
    if (wrc != 0) {
      e = ERR_INTERNAL;
      goto done;
    }
    char nh[2 * BLOB_WRAPPED_LEN + 1];
    sodium_bin2hex(nh, sizeof nh, nw, sizeof nw);
    const char *up[] = {PQgetvalue(rows, i, 1), nh, vbuf};
    char which = PQgetvalue(rows, i, 0)[0];
    const char *stmt = which == 'u'   ? "bs_rewrap_upload"
                       : which == 'p' ? "bs_rewrap_preview"
                       : which == 'f' ? "bs_rewrap_frames"
                                      : "bs_rewrap_document";
    if (!db_exec(a, stmt, 3, up, &e))
      goto done;
    ctx->count++;
  }
  e = ERR_OK;
done:
  arena_free(a);
  return e;
}

int blobstore_rotate_key(void) {
  char err[200];
  if (!ring) return -1;
  uint32_t old = keyring_current_version(ring), nv = 0;
  if (keyring_rotate(ring, &nv, err, sizeof err) != 0) {
    fprintf(stderr, "secondop: cannot make a new master key: %s\n", err);
    return -1;
  }
  printf("new master key: version %u\n", nv);
  struct rewrap_ctx ctx = {nv, 0};
  enum err e = db_tx(rewrap_all, &ctx);
  if (e != ERR_OK) {
    fprintf(stderr, "secondop: rewrapping failed (%s); the old key stays current\n", err_code(e));
    keyring_forget(ring, nv, err, sizeof err); /* refused if current; it is not */
    return -1;
  }
  printf("rewrapped %u data keys in one transaction\n", ctx.count);
  if (keyring_set_current(ring, nv, err, sizeof err) != 0) {
    fprintf(stderr, "secondop: rewrap committed but switching the current key failed: %s\n", err);
    return -1;
  }
  printf("current master key: version %u\n", nv);
  for (uint32_t v = 1; v <= old; v++)
    if (v != nv && keyring_forget(ring, v, err, sizeof err) == 0) printf("removed old master key %u\n", v);
  return 0;
}

/* ---- reseal (format 1 -> 2) ---- */

/* Unwraps the data key of row i of bs_reseal_keys. 0 or -1. */
static int reseal_row_key(PGresult *rows, int i, unsigned char id[BLOB_ID_LEN], unsigned char dek[BLOB_DEK_LEN]) {
  unsigned char wrapped[BLOB_WRAPPED_LEN];
  size_t wl = 0;
  const char *wh = PQgetvalue(rows, i, 1);
  if (blobstore_id_parse(PQgetvalue(rows, i, 0), id) != 0 ||
      sodium_hex2bin(wrapped, sizeof wrapped, wh, strlen(wh), NULL, &wl, NULL) != 0)
    return -1;
  return blobstore_unwrap(id, wrapped, wl, (uint32_t)strtoul(PQgetvalue(rows, i, 2), NULL, 10), dek);
}

int blobstore_reseal(struct blobstore_reseal_report *report) {
  struct blobstore_reseal_report rep = {0};
  if (g_s3) {
    /* every object in an object store was written by a format-2 writer */
    printf("reseal: the object store %s holds format 2 only; nothing to convert\n", g_desc);
    if (report) *report = rep;
    return 0;
  }
  struct arena *a = arena_new();
  unsigned char *todo = NULL;
  int rc = -1, lock_fd = -1;
  enum err e;
  char err[200];
  if (!a || !ring) goto done;
  /* One reseal at a time: two would remove each other's temp files. */
  char lock_path[4200];
  snprintf(lock_path, sizeof lock_path, "%s/../reseal.lock", root_files); /* in the data directory */
  lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "secondop: %s\n",
            lock_fd < 0 ? "cannot open the reseal lock file" : "another secondop reseal is running; wait for it");
    goto done;
  }
  PGresult *rows = db_exec(a, "bs_reseal_keys", 0, NULL, &e);
  if (!rows) {
    fprintf(stderr, "secondop: cannot list the stored files (%s)\n", err_code(e));
    goto done;
  }
  int n = PQntuples(rows);
  todo = calloc((size_t)n + 1, 1);
  if (!todo) goto done;
  /* Pass 1: which finished files (files/, never staging/) are format 1. */
  for (int i = 0; i < n; i++) {
    unsigned char id[BLOB_ID_LEN];
    char path[4200];
    struct stat st;
    uint32_t f = 0;
    if (blobstore_id_parse(PQgetvalue(rows, i, 0), id) != 0 || blobstore_path(id, 0, path, sizeof path) != 0 ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (blob_file_format(path, &f, err, sizeof err) != 0) {
      fprintf(stderr, "secondop: file %s: %s\n", PQgetvalue(rows, i, 0), err);
      rep.failed++;
      continue;
    }
    if (f == BLOB_FORMAT_V2) {
      rep.already++;
    } else {
      todo[i] = 1;
      rep.total++;
      rep.total_bytes += (uint64_t)st.st_size;
    }
  }
  printf("reseal: %u files to convert (%llu bytes), %u already format 2\n", rep.total,
         (unsigned long long)rep.total_bytes, rep.already);
  fflush(stdout);
  /* Pass 2: convert, one line per file. */
  unsigned seen = 0;
  for (int i = 0; i < n; i++) {
    if (!todo[i]) continue;
    seen++;
    unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
    char path[4200], tmp[4300];
    struct stat st;
    if (blobstore_id_parse(PQgetvalue(rows, i, 0), id) != 0 || blobstore_path(id, 0, path, sizeof path) != 0)
      continue;
    snprintf(tmp, sizeof tmp, "%s.reseal", path);
    uint64_t disk = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (reseal_row_key(rows, i, id, dek) != 0) {
      fprintf(stderr, "secondop: file %s: its data key does not unwrap\n", PQgetvalue(rows, i, 0));
      rep.failed++;
      continue;
    }
    int r = blob_reseal(path, tmp, id, dek, NULL, err, sizeof err);
    sodium_memzero(dek, sizeof dek);
    if (r == 0) rep.converted++;
    else if (r == 1) rep.already++;
    else if (errno == ENOENT) rep.gone++; /* deleted meanwhile */
    else {
      fprintf(stderr, "secondop: file %s not converted: %s\n", PQgetvalue(rows, i, 0), err);
      rep.failed++;
    }
    rep.done_bytes += disk;
    printf("reseal: %u/%u files, %llu/%llu bytes\n", seen, rep.total, (unsigned long long)rep.done_bytes,
           (unsigned long long)rep.total_bytes);
    fflush(stdout);
  }
  printf("reseal: %u converted, %u already format 2, %u deleted meanwhile, %u failed\n", rep.converted,
         rep.already, rep.gone, rep.failed);
  rc = rep.failed ? -1 : 0;
done:
  if (report) *report = rep;
  if (lock_fd >= 0) close(lock_fd);
  free(todo);
  arena_free(a);
  return rc;
}
