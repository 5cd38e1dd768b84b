#include "store/blobstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"

#define QUARANTINE_GRACE_SECONDS (24 * 3600)

static char root_files[4096], root_staging[4096], root_quarantine[4096], root_keys[4096];
static struct keyring *ring;
static uint64_t reserve_override;
static int have_reserve_override;

static const struct db_stmt stmts[] = {
    {"bs_known_ids",
     "SELECT encode(file_id, 'hex') FROM uploads WHERE state IN ('receiving', 'finalizing', 'checking') "
     "UNION SELECT encode(file_id, 'hex') FROM documents WHERE file_id IS NOT NULL "
     "UNION SELECT encode(preview_file_id, 'hex') FROM renditions WHERE preview_file_id IS NOT NULL "
     "UNION SELECT encode(frames_file_id, 'hex') FROM renditions WHERE frames_file_id IS NOT NULL"},
    {"bs_receiving",
     "SELECT id, encode(file_id, 'hex'), \"offset\", encode(sealed_tail, 'hex'), encode(wrapped_dek, 'hex'), "
     "kek_version, expires_at < now() FROM uploads WHERE state = 'receiving'"},
    {"bs_upload_expire",
     "UPDATE uploads SET state = 'failed', failure = $2, sealed_tail = NULL, updated_at = now() "
     "WHERE id = $1 AND state = 'receiving'"},
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

int blobstore_init(const char *data_dir, char *err, size_t errlen) {
  int n1 = snprintf(root_files, sizeof root_files, "%s/files", data_dir);
  int n2 = snprintf(root_staging, sizeof root_staging, "%s/staging", data_dir);
  int n3 = snprintf(root_quarantine, sizeof root_quarantine, "%s/quarantine", data_dir);
  int n4 = snprintf(root_keys, sizeof root_keys, "%s/keys", data_dir);
  if (n1 < 0 || n2 < 0 || n3 < 0 || n4 < 0 || (size_t)n1 >= sizeof root_files - 40 ||
      (size_t)n2 >= sizeof root_staging - 40 || (size_t)n3 >= sizeof root_quarantine - 60 ||
      (size_t)n4 >= sizeof root_keys - 40) {
    snprintf(err, errlen, "data directory path too long");
    return -1;
  }
  if (make_private_dir(root_files, err, errlen) || make_private_dir(root_staging, err, errlen) ||
      make_private_dir(root_quarantine, err, errlen))
    return -1;
  if (!ring && keyring_open(root_keys, 1, &ring, err, errlen) != 0) return -1;
  const char *rv = getenv("SECONDOP_STORE_RESERVE_BYTES");
  if (rv && *rv) {
    char *end;
    unsigned long long v = strtoull(rv, &end, 10);
    if (*end == '\0') {
      reserve_override = v;
      have_reserve_override = 1;
    }
  }
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
  if (blobstore_path(id, 1, path, sizeof path) != 0) return -1;
  return blob_writer_create(path, id, dek, w, err, errlen);
}

int blobstore_put_commit(struct blob_writer *w, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen) {
  char staging[4200], final[4200];
  if (blobstore_path(id, 1, staging, sizeof staging) != 0 || blobstore_path(id, 0, final, sizeof final) != 0) {
    blob_writer_abort(w);
    return -1;
  }
  if (blob_writer_finish(w, final, err, errlen) != 0) {
    unlink(staging);
    return -1;
  }
  return 0;
}

int blobstore_open(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                   struct blob_reader **out, char *err, size_t errlen) {
  char path[4200];
  if (blobstore_path(id, 0, path, sizeof path) != 0) return -1;
  return blob_reader_open(path, id, dek, out, err, errlen);
}

int blobstore_delete(const unsigned char id[BLOB_ID_LEN]) {
  char path[4200];
  int rc = 0;
  for (int staging = 0; staging <= 1; staging++) {
    if (blobstore_path(id, staging, path, sizeof path) != 0) return -1;
    if (unlink(path) != 0 && errno != ENOENT) rc = -1;
  }
  sync_dir(root_files);
  sync_dir(root_staging);
  return rc;
}

/* ---- recovery ---- */

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

/* True when name is 32 lower-case hex digits (a store file name). */
static int is_id_name(const char *name) {
  unsigned char id[BLOB_ID_LEN];
  return blobstore_id_parse(name, id) == 0;
}

/* Scans one store directory: files no row names go to quarantine. */
static int scan_orphans(const char *dir, struct arena *a, PGresult *known, unsigned *moved) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    int found = 0;
    if (is_id_name(de->d_name)) {
      for (int i = 0; i < PQntuples(known) && !found; i++)
        if (strcmp(PQgetvalue(known, i, 0), de->d_name) == 0) found = 1;
    }
    if (!found) {
      if (quarantine(dir, de->d_name) == 0) {
        (*moved)++;
        LOG_W("store: moved %s/%s (no database row) to quarantine", dir, de->d_name);
      }
    }
  }
  closedir(d);
  (void)a;
  return 0;
}

/* Deletes quarantined files older than the grace period. */
static void purge_quarantine(unsigned *purged) {
  DIR *d = opendir(root_quarantine);
  if (!d) return;
  struct dirent *de;
  time_t now = time(NULL);
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (now - st.st_mtime >= QUARANTINE_GRACE_SECONDS && unlinkat(dirfd(d), de->d_name, 0) == 0) (*purged)++;
  }
  closedir(d);
}

int blobstore_recover(struct blobstore_recovery *report) {
  struct blobstore_recovery rep = {0};
  struct arena *a = arena_new();
  if (!a) return -1;
  int rc = -1;
  enum err e;
  char err[200];
  PGresult *rows = db_exec(a, "bs_receiving", 0, NULL, &e);
  if (!rows) goto done;
  for (int i = 0; i < PQntuples(rows); i++) {
    const char *uid = PQgetvalue(rows, i, 0);
    unsigned char id[BLOB_ID_LEN];
    if (blobstore_id_parse(PQgetvalue(rows, i, 1), id) != 0) continue;
    char path[4200];
    if (blobstore_path(id, 1, path, sizeof path) != 0) continue;
    uint64_t off = strtoull(PQgetvalue(rows, i, 2), NULL, 10);
    int expired = PQgetvalue(rows, i, 6)[0] == 't';
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
  PGresult *known = db_exec(a, "bs_known_ids", 0, NULL, &e);
  if (!known) goto done;
  scan_orphans(root_staging, a, known, &rep.quarantined);
  scan_orphans(root_files, a, known, &rep.quarantined);
  purge_quarantine(&rep.purged);
  PGresult *docs = db_exec(a, "bs_documents_with_files", 0, NULL, &e);
  if (!docs) goto done;
  for (int i = 0; i < PQntuples(docs); i++) {
    unsigned char id[BLOB_ID_LEN];
    char path[4200];
    struct stat st;
    if (blobstore_id_parse(PQgetvalue(docs, i, 1), id) != 0 || blobstore_path(id, 0, path, sizeof path) != 0)
      continue;
    if (stat(path, &st) != 0) {
      LOG_E("store: document %s has no file", PQgetvalue(docs, i, 0));
      rep.missing++;
    }
  }
  sync_dir(root_staging);
  sync_dir(root_files);
  LOG_I("store recovery: %u staging files truncated, %u files quarantined, %u purged, %u uploads expired, %u rows "
        "without files",
        rep.truncated, rep.quarantined, rep.purged, rep.expired, rep.missing);
  rc = 0;
done:
  if (report) *report = rep;
  arena_free(a);
  return rc;
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
