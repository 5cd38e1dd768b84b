#include "store/blobverify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "store/blobstore.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/keydir.h"

#define BATCH 500           /* rows per statement */
#define NAME_BATCH 256      /* stored file names per "named by a row?" question */
#define DEFER_MAX 4096      /* young unnamed files kept for a second look */
#define YOUNG_SECONDS 120   /* a file renamed into files/ this recently may await its row's commit */
#define IO_CAP (1u << 20)

/* ---- one blob ---- */

void blobverify_file(const char *path, const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                     bool want_sha256, unsigned char *buf, size_t cap, blobverify_tick tick, void *tick_ctx,
                     struct blobverify_result *res) {
  blobverify_file_digests(path, id, dek, true, want_sha256, buf, cap, tick, tick_ctx, res);
}

void blobverify_file_digests(const char *path, const unsigned char id[BLOB_ID_LEN],
                             const unsigned char dek[BLOB_DEK_LEN], bool want_plain_blake2b, bool want_sha256,
                             unsigned char *buf, size_t cap, blobverify_tick tick, void *tick_ctx,
                             struct blobverify_result *res) {
  memset(res, 0, sizeof *res);
  struct blob_reader *r = NULL;
  /* the object store's objects by id (ranged GETs), else the file at path */
  if ((blobstore_is_s3() ? blobstore_open(id, dek, &r, res->why, sizeof res->why)
                         : blob_reader_open(path, id, dek, &r, res->why, sizeof res->why)) != 0) {
    res->verdict = errno == ENOENT ? BV_MISSING : errno == EBADMSG ? BV_DAMAGED : BV_UNREADABLE;
    return;
  }
  crypto_generichash_state gh;
  crypto_hash_sha256_state sh;
  crypto_generichash_init(&gh, NULL, 0, 32);
  crypto_hash_sha256_init(&sh);
  for (;;) {
    ssize_t n = blob_reader_read(r, buf, cap, res->why, sizeof res->why);
    if (n < 0) {
      res->verdict = errno == EBADMSG ? BV_DAMAGED : BV_UNREADABLE;
      break;
    }
    if (n == 0) {
      unsigned char d[32];
      if (blob_reader_digest(r, d) == 0) sodium_bin2hex(res->records, sizeof res->records, d, sizeof d);
      if (want_plain_blake2b) {
        crypto_generichash_final(&gh, d, sizeof d);
        sodium_bin2hex(res->blake2b, sizeof res->blake2b, d, sizeof d);
      }
      if (want_sha256) {
        crypto_hash_sha256_final(&sh, d);
        sodium_bin2hex(res->sha256, sizeof res->sha256, d, sizeof d);
      }
      res->verdict = BV_OK;
      break;
    }
    res->size += (uint64_t)n;
    if (want_plain_blake2b) crypto_generichash_update(&gh, buf, (size_t)n);
    if (want_sha256) crypto_hash_sha256_update(&sh, buf, (size_t)n);
    if (tick) tick(tick_ctx, (uint64_t)n);
  }
  sodium_memzero(&gh, sizeof gh);
  sodium_memzero(&sh, sizeof sh);
  sodium_memzero(buf, cap);
  blob_reader_close(r);
}

unsigned blobverify_compare(const struct blobverify_result *res, const struct blobverify_expect *x) {
  unsigned bad = 0;
  if (x->size >= 0 && res->size != (uint64_t)x->size) bad |= BV_BAD_SIZE;
  if (x->blake2b && *x->blake2b &&
      strcmp(x->digest_kind == BLOB_DIGEST_KIND_RECORDS ? res->records : res->blake2b, x->blake2b) != 0)
    bad |= BV_BAD_BLAKE2B;
  if (x->sha256 && *x->sha256 && strcmp(res->sha256, x->sha256) != 0) bad |= BV_BAD_SHA256;
  return bad;
}

/* ---- progress ---- */

bool blobverify_progress_due(struct blobverify_pace *p, double now, uint64_t done, uint64_t total) {
  unsigned tenth = total ? (unsigned)(done >= total ? 10 : done * 10 / total) : 10;
  bool due;
  if (p->last < 0) due = true;
  else if (p->tty) due = now - p->last >= 0.2;
  else due = tenth > p->last_tenth || now - p->last >= p->interval;
  if (due) {
    p->last = now;
    p->last_tenth = tenth;
  }
  return due;
}

void blobverify_bytes_text(char *out, size_t cap, uint64_t bytes) {
  static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    snprintf(out, cap, "%" PRIu64 " B", bytes);
    return;
  }
  double v = (double)bytes / 1024.0;
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof unit / sizeof unit[0]) {
    v /= 1024.0;
    u++;
  }
  snprintf(out, cap, "%.1f %s", v, unit[u]);
}

void blobverify_progress_text(char *out, size_t cap, uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                              uint64_t bytes_total, double seconds) {
  char bd[32], bt[32], rate[32];
  blobverify_bytes_text(bd, sizeof bd, bytes_done);
  blobverify_bytes_text(bt, sizeof bt, bytes_total);
  blobverify_bytes_text(rate, sizeof rate, seconds > 0 ? (uint64_t)((double)bytes_done / seconds) : 0);
  snprintf(out, cap, "%" PRIu64 "/%" PRIu64 " files, %s of %s, %s/s", files_done, files_total, bd, bt, rate);
}

unsigned blobverify_problems(const struct blobverify_report *r) {
  return r->missing + r->damaged + r->unreadable + r->mismatched + r->key_failures + r->foreign;
}

/* ---- the whole store ---- */

static const struct db_stmt stmts[] = {
    {"vs_totals",
     "SELECT count(*), coalesce(sum(sz), 0) FROM ("
     "SELECT size AS sz FROM documents WHERE file_id IS NOT NULL "
     "UNION ALL SELECT preview_size FROM renditions WHERE preview_file_id IS NOT NULL "
     "UNION ALL SELECT frames_size FROM renditions WHERE frames_file_id IS NOT NULL "
     "UNION ALL SELECT length FROM uploads WHERE state = 'checking') x"},
    /* keyset pages; each is one short statement (nothing held open between pages) */
    {"vs_documents",
     "SELECT encode(file_id, 'hex'), id, encode(wrapped_dek, 'hex'), kek_version, size, blake2b, "
     "coalesce(sha256, ''), digest_kind FROM documents WHERE file_id IS NOT NULL AND file_id >= decode($1, 'hex') "
     "AND (file_id > decode($1, 'hex') OR id > $2::bigint) ORDER BY file_id, id LIMIT 500"},
    {"vs_previews",
     "SELECT encode(preview_file_id, 'hex'), document_id, encode(preview_wrapped, 'hex'), preview_kek, "
     "coalesce(preview_size, -1), '', '', 0 FROM renditions WHERE preview_file_id IS NOT NULL "
     "AND document_id > $1::bigint ORDER BY document_id LIMIT 500"},
    {"vs_frames",
     "SELECT encode(frames_file_id, 'hex'), document_id, encode(frames_wrapped, 'hex'), frames_kek, "
     "coalesce(frames_size, -1), '', '', 0 FROM renditions WHERE frames_file_id IS NOT NULL "
     "AND document_id > $1::bigint ORDER BY document_id LIMIT 500"},
    {"vs_uploads",
     "SELECT encode(file_id, 'hex'), id, encode(wrapped_dek, 'hex'), kek_version, length, "
     "coalesce(encode(blake2b, 'hex'), ''), coalesce(encode(sha256, 'hex'), ''), digest_kind FROM uploads "
     "WHERE state = 'checking' AND id > $1 ORDER BY id LIMIT 500"},
    /* does any row (still) name this stored file? */
    {"vs_named",
     "SELECT EXISTS (SELECT 1 FROM documents WHERE file_id = decode($1, 'hex')) "
     "OR EXISTS (SELECT 1 FROM uploads WHERE file_id = decode($1, 'hex') AND state IN ('finalizing', 'checking')) "
     "OR EXISTS (SELECT 1 FROM renditions WHERE preview_file_id = decode($1, 'hex') "
     "OR frames_file_id = decode($1, 'hex'))"},
    /* of these stored file names (hex), the ones no row names */
    {"vs_unnamed",
     "SELECT h FROM unnest($1::text[]) AS t(h) "
     "WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.file_id = decode(t.h, 'hex')) "
     "AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.file_id = decode(t.h, 'hex') "
     "AND u.state IN ('finalizing', 'checking')) "
     "AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.preview_file_id = decode(t.h, 'hex')) "
     "AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.frames_file_id = decode(t.h, 'hex'))"},
};

void blobverify_register(void) {
  static int done;
  if (!done) {
    db_register(stmts, sizeof stmts / sizeof stmts[0]);
    done = 1;
  }
}

struct run {
  FILE *out;
  struct keyring *kr;
  char files_dir[4200];
  unsigned char *buf;
  struct blobverify_report *rep;
  struct blobverify_pace pace;
  bool line_open; /* a tty progress line is on screen */
  double t0;
  /* the last blob read, for rows that share it (documents of linked requests) */
  bool have_last;
  unsigned char last_id[BLOB_ID_LEN], last_dek[BLOB_DEK_LEN];
  struct blobverify_result last;
  bool last_sha;
  bool last_plain;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct run *s, bool force) {
  struct blobverify_report *r = s->rep;
  double now = now_s();
  uint64_t done = r->bytes_total ? r->bytes_done : r->files_done;
  uint64_t total = r->bytes_total ? r->bytes_total : r->files_total;
  if (!blobverify_progress_due(&s->pace, now, done, total) && !force) return;
  char line[200];
  blobverify_progress_text(line, sizeof line, r->files_done, r->files_total, r->bytes_done,
                           r->bytes_total > r->bytes_done ? r->bytes_total : r->bytes_done, now - s->t0);
  if (s->pace.tty) {
    fprintf(s->out, "\r\033[Kverify-store: %s", line);
    s->line_open = true;
  } else {
    fprintf(s->out, "verify-store: %s\n", line);
  }
  fflush(s->out);
}

static void tick(void *ctx, uint64_t n) {
  struct run *s = ctx;
  s->rep->bytes_done += n;
  progress(s, false);
}

/* One line starting with tag (clearing a progress line on a tty first). */
static void vline(struct run *s, const char *tag, const char *fmt, va_list ap) {
  if (s->line_open) {
    fputs("\r\033[K", s->out);
    s->line_open = false;
  }
  fputs(tag, s->out);
  vfprintf(s->out, fmt, ap);
  fputc('\n', s->out);
  fflush(s->out);
}

/* A problem line: the check fails. */
__attribute__((format(printf, 2, 3))) static void problem(struct run *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline(s, "PROBLEM ", fmt, ap);
  va_end(ap);
}

/* An orphan line: reported, not a problem. */
__attribute__((format(printf, 2, 3))) static void orphan(struct run *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline(s, "ORPHAN ", fmt, ap);
  va_end(ap);
}

/* True when some row still names the file (a row deleted while we ran takes
 * its file with it: not a problem). On a database error: true (report). */
static bool still_named(const char *fid) {
  struct arena *a = arena_new();
  if (!a) return true;
  enum err e;
  const char *p[] = {fid};
  PGresult *res = db_exec(a, "vs_named", 1, p, &e);
  bool named = !res || PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] == 't';
  arena_free(a);
  return named;
}

/* Checks one row: kind ("document", "preview of document", ...) and its id
 * name it in the lines printed. */
static void check_row(struct run *s, const char *kind, const char *rid, const char *fid, const char *wrapped_hex,
                      const char *kek, const char *size, const char *b2, const char *sha, int digest_kind) {
  struct blobverify_report *rep = s->rep;
  unsigned char id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN], dek[BLOB_DEK_LEN];
  size_t wl = 0;
  rep->rows++;
  if (blobstore_id_parse(fid, id) != 0) {
    problem(s, "%s %s: its file id is malformed", kind, rid);
    rep->unreadable++;
    goto done;
  }
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", s->files_dir, fid);
  char *end = NULL;
  unsigned long kv = strtoul(kek, &end, 10);
  if (!*wrapped_hex ||
      sodium_hex2bin(wrapped, sizeof wrapped, wrapped_hex, strlen(wrapped_hex), NULL, &wl, NULL) != 0 ||
      wl != sizeof wrapped || !end || *end || kv == 0 || kv > UINT32_MAX ||
      blob_dek_unwrap(s->kr, (uint32_t)kv, id, wrapped, dek) != 0) {
    struct stat st;
    if ((blobstore_is_s3() || (stat(path, &st) != 0 && errno == ENOENT)) && !still_named(fid)) {
      rep->gone++;
      goto done;
    }
    problem(s, "%s %s, file %s: its data key does not unwrap with the key ring (master key version %s missing or "
            "wrong key files, or the row was altered)", kind, rid, fid, kek);
    rep->key_failures++;
    goto done;
  }
  bool want_sha = sha && *sha;
  /* the plaintext's BLAKE2b only for rows stored with it (kind 1); the records digest comes free */
  bool want_plain = b2 && *b2 && digest_kind != BLOB_DIGEST_KIND_RECORDS;
  struct blobverify_result res;
  if (s->have_last && sodium_memcmp(id, s->last_id, sizeof id) == 0 &&
      sodium_memcmp(dek, s->last_dek, sizeof dek) == 0 &&
      (!want_sha || s->last_sha) && (!want_plain || s->last_plain)) {
    res = s->last; /* a blob several rows share is read once */
  } else {
    blobverify_file_digests(path, id, dek, want_plain, want_sha, s->buf, IO_CAP, tick, s, &res);
    if (res.verdict != BV_MISSING) rep->stored_files++;
    s->have_last = true;
    memcpy(s->last_id, id, sizeof id);
    memcpy(s->last_dek, dek, sizeof dek);
    s->last = res;
    s->last_sha = want_sha;
    s->last_plain = want_plain;
  }
  switch (res.verdict) {
    case BV_OK:
      break;
    case BV_MISSING:
      if (!still_named(fid)) {
        rep->gone++; /* deleted with its row while we ran */
        goto done;
      }
      problem(s, "%s %s, file %s: missing from the store", kind, rid, fid);
      rep->missing++;
      goto done;
    case BV_DAMAGED:
      problem(s, "%s %s, file %s: damaged, does not decrypt (%s)", kind, rid, fid, res.why);
      rep->damaged++;
      goto done;
    case BV_UNREADABLE:
      problem(s, "%s %s, file %s: cannot be read (%s)", kind, rid, fid, res.why);
      rep->unreadable++;
      goto done;
  }
  struct blobverify_expect x = {-1, b2, sha, digest_kind};
  if (size && *size) x.size = strtoll(size, NULL, 10);
  unsigned bad = blobverify_compare(&res, &x);
  if (bad) {
    problem(s, "%s %s, file %s: decrypts, but its content does not match the database (%s%s%s)", kind, rid, fid,
            bad & BV_BAD_SIZE ? "size differs" : "",
            (bad & BV_BAD_SIZE) && (bad & (BV_BAD_BLAKE2B | BV_BAD_SHA256)) ? ", " : "",
            (bad & BV_BAD_BLAKE2B) && (bad & BV_BAD_SHA256) ? "BLAKE2b and SHA-256 differ"
            : bad & BV_BAD_BLAKE2B                          ? "BLAKE2b differs"
            : bad & BV_BAD_SHA256                           ? "SHA-256 differs"
                                                            : "");
    rep->mismatched++;
  }
done:
  sodium_memzero(dek, sizeof dek);
  rep->files_done++;
  progress(s, false);
}

/* Walks one family of rows page by page, each page one short statement.
 * keyset: 'i' (text id: uploads), 'd' (bigint document id: renditions) or
 * 'f' (documents: file id, then id, so rows sharing a blob come together). */
static int walk(struct run *s, const char *stmt, const char *kind, char keyset) {
  char last_fid[2 * BLOB_ID_LEN + 1] = "", last_id[64] = "";
  if (keyset != 'i') snprintf(last_id, sizeof last_id, "0");
  for (;;) {
    struct arena *a = arena_new();
    if (!a) return -1;
    enum err e;
    const char *p[2] = {keyset == 'f' ? last_fid : last_id, last_id};
    PGresult *res = db_exec(a, stmt, keyset == 'f' ? 2 : 1, p, &e);
    if (!res) {
      arena_free(a);
      fprintf(stderr, "secondop: cannot read the %s rows (%s)\n", kind, err_code(e));
      return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
      check_row(s, kind, PQgetvalue(res, i, 1), PQgetvalue(res, i, 0), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                PQgetisnull(res, i, 4) ? "" : PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6),
                (int)strtol(PQgetvalue(res, i, 7), NULL, 10));
    }
    if (n > 0) {
      snprintf(last_fid, sizeof last_fid, "%s", PQgetvalue(res, n - 1, 0));
      snprintf(last_id, sizeof last_id, "%s", PQgetvalue(res, n - 1, 1));
    }
    arena_free(a);
    if (n < BATCH) return 0;
  }
}

/* Asks which of names[0..n) no row names; those are reported, or deferred
 * (young ones) into defer. */
struct names {
  char (*h)[2 * BLOB_ID_LEN + 1];
  time_t *ctime;
  size_t n;
};

static int ask_unnamed(struct run *s, struct names *batch, struct names *defer, bool final) {
  if (batch->n == 0) return 0;
  size_t cap = batch->n * (2 * BLOB_ID_LEN + 1) + 3;
  char *arr = malloc(cap);
  if (!arr) return -1;
  size_t o = 0;
  arr[o++] = '{';
  for (size_t i = 0; i < batch->n; i++) {
    if (i) arr[o++] = ',';
    memcpy(arr + o, batch->h[i], 2 * BLOB_ID_LEN);
    o += 2 * BLOB_ID_LEN;
  }
  arr[o++] = '}';
  arr[o] = '\0';
  struct arena *a = arena_new();
  enum err e = ERR_INTERNAL;
  const char *p[] = {arr};
  PGresult *res = a ? db_exec(a, "vs_unnamed", 1, p, &e) : NULL;
  free(arr);
  if (!res) {
    arena_free(a);
    fprintf(stderr, "secondop: cannot compare the stored files with the database (%s)\n", err_code(e));
    return -1;
  }
  time_t now = time(NULL);
  for (int i = 0; i < PQntuples(res); i++) {
    const char *h = PQgetvalue(res, i, 0);
    time_t ct = 0;
    for (size_t j = 0; j < batch->n; j++)
      if (strcmp(batch->h[j], h) == 0) ct = batch->ctime[j];
    if (!final && defer && now - ct < YOUNG_SECONDS && defer->n < DEFER_MAX) {
      memcpy(defer->h[defer->n], h, 2 * BLOB_ID_LEN + 1);
      defer->ctime[defer->n++] = ct;
      continue;
    }
    orphan(s, "file %s: stored, but no row names it (harmless; a running server moves it to quarantine once it "
              "is an hour old)", h);
    s->rep->unnamed++;
  }
  arena_free(a);
  batch->n = 0;
  return 0;
}

/* True while a `secondop reseal` holds its lock (its *.reseal temp files are
 * then work in progress, not strays). */
static bool reseal_running(const char *data_dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/reseal.lock", data_dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  bool busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return busy;
}

/* Lists files/ and reports what no row names: names that are not file ids
 * at once, file ids after asking the database in batches. Young unnamed
 * files (possibly a finished upload whose row is about to commit) are asked
 * about again at the end. */
/* Printable form of a stored name for a problem line (at most 79 bytes). */
static void shown_name(const char *name, char shown[80]) {
  size_t k = 0;
  for (const char *c = name; *c && k + 1 < 80; c++) shown[k++] = (*c >= 0x21 && *c <= 0x7e) ? *c : '?';
  shown[k] = '\0';
}

struct obj_scan {
  struct run *s;
  struct names *batch, *defer;
  int rc;
};

/* One object of PREFIX/files/ (the listing the sweep uses too): the same
 * verdicts as a file of files/, its LastModified as its age. */
static int scan_object(void *ctx, const char *name, uint64_t size, int64_t modified) {
  (void)size;
  struct obj_scan *o = ctx;
  unsigned char id[BLOB_ID_LEN];
  if (blobstore_id_parse(name, id) != 0) {
    char shown[80];
    shown_name(name, shown);
    problem(o->s, "file %s%s: not a store file name (no row can name it)", shown,
            strlen(name) > strlen(shown) ? "..." : "");
    o->s->rep->foreign++;
    return 0;
  }
  memcpy(o->batch->h[o->batch->n], name, 2 * BLOB_ID_LEN + 1);
  o->batch->ctime[o->batch->n++] = (time_t)modified;
  if (o->batch->n == NAME_BATCH && ask_unnamed(o->s, o->batch, o->defer, false) != 0) {
    o->rc = -1;
    return 1;
  }
  return 0;
}

static int scan_unnamed(struct run *s, const char *data_dir, struct names *defer) {
  int rc = -1;
  if (blobstore_is_s3()) {
    (void)data_dir;
    struct names ob = {calloc(NAME_BATCH, sizeof *ob.h), calloc(NAME_BATCH, sizeof *ob.ctime), 0};
    struct obj_scan o = {s, &ob, defer, 0};
    char err[300] = "";
    if (!ob.h || !ob.ctime) {
      o.rc = -1;
    } else if (blobstore_list_objects(scan_object, &o, err, sizeof err) != 0) {
      fprintf(stderr, "secondop: cannot list the objects of %s: %s\n", blobstore_describe(), err);
      o.rc = -1;
    }
    if (o.rc == 0 && ask_unnamed(s, &ob, defer, false) != 0) o.rc = -1;
    free(ob.h);
    free(ob.ctime);
    return o.rc;
  }
  struct names batch = {calloc(NAME_BATCH, sizeof *batch.h), calloc(NAME_BATCH, sizeof *batch.ctime), 0};
  DIR *d = opendir(s->files_dir);
  if (!batch.h || !batch.ctime || !d) {
    if (!d) fprintf(stderr, "secondop: cannot list %s: %s\n", s->files_dir, strerror(errno));
    goto done;
  }
  bool resealing = reseal_running(data_dir);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    unsigned char id[BLOB_ID_LEN];
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue; /* gone meanwhile */
    if (blobstore_id_parse(de->d_name, id) != 0) {
      size_t l = strlen(de->d_name);
      if (resealing && l > 7 && strcmp(de->d_name + l - 7, ".reseal") == 0) continue;
      char shown[80];
      shown_name(de->d_name, shown);
      problem(s, "file %s%s: not a store file name (no row can name it)", shown,
              strlen(de->d_name) > strlen(shown) ? "..." : "");
      s->rep->foreign++;
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      problem(s, "file %s: not a regular file", de->d_name);
      s->rep->unreadable++;
      continue;
    }
    memcpy(batch.h[batch.n], de->d_name, 2 * BLOB_ID_LEN + 1);
    batch.ctime[batch.n++] = st.st_ctime;
    if (batch.n == NAME_BATCH && ask_unnamed(s, &batch, defer, false) != 0) goto done;
  }
  if (ask_unnamed(s, &batch, defer, false) != 0) goto done;
  rc = 0;
done:
  if (d) closedir(d);
  free(batch.h);
  free(batch.ctime);
  return rc;
}

int blobverify_run(const char *data_dir, FILE *out, bool tty, struct blobverify_report *rep) {
  struct run s = {0};
  struct names defer = {0};
  int rc = -1;
  char err[200], keys[4200];
  memset(rep, 0, sizeof *rep);
  s.out = out;
  s.rep = rep;
  s.pace.tty = tty;
  s.pace.interval = 10;
  s.pace.last = -1;
  s.t0 = now_s();
  if (sodium_init() < 0) return -1;
  if (snprintf(s.files_dir, sizeof s.files_dir, "%s/files", data_dir) >= (int)sizeof s.files_dir - 40 ||
      keydir_path(data_dir, keys, sizeof keys) != 0) {
    fprintf(stderr, "secondop: the data directory path is too long\n");
    return -1;
  }
  /* read only: a missing key ring is an error here, never a new key */
  if (keyring_open(keys, 0, &s.kr, err, sizeof err) != 0) {
    fprintf(stderr, "secondop: cannot open the key ring in %s: %s\n", keys, err);
    return -1;
  }
  s.buf = malloc(IO_CAP);
  defer.h = calloc(DEFER_MAX, sizeof *defer.h);
  defer.ctime = calloc(DEFER_MAX, sizeof *defer.ctime);
  struct arena *a = arena_new();
  if (!s.buf || !defer.h || !defer.ctime || !a) goto done;
  enum err e;
  PGresult *t = db_exec(a, "vs_totals", 0, NULL, &e);
  if (!t) {
    fprintf(stderr, "secondop: cannot read the database (%s); is its schema current (secondop migrate)?\n",
            err_code(e));
    goto done;
  }
  rep->files_total = strtoull(PQgetvalue(t, 0, 0), NULL, 10);
  rep->bytes_total = strtoull(PQgetvalue(t, 0, 1), NULL, 10);
  fprintf(out, "verify-store: %" PRIu64 " stored files named by the database; checking every record\n",
          rep->files_total);
  fflush(out);
  progress(&s, true);
  if (scan_unnamed(&s, data_dir, &defer) != 0) goto done;
  if (walk(&s, "vs_documents", "document", 'f') != 0 ||
      walk(&s, "vs_previews", "viewer preview of document", 'd') != 0 ||
      walk(&s, "vs_frames", "viewer frames of document", 'd') != 0 ||
      walk(&s, "vs_uploads", "upload being checked", 'i') != 0)
    goto done;
  /* a young file still unnamed after all that is an orphan after all */
  if (ask_unnamed(&s, &defer, NULL, true) != 0) goto done;
  rep->seconds = now_s() - s.t0;
  progress(&s, true);
  if (s.line_open) {
    fputc('\n', out);
    s.line_open = false;
  }
  char bytes[32];
  blobverify_bytes_text(bytes, sizeof bytes, rep->bytes_done);
  unsigned np = blobverify_problems(rep);
  fprintf(out,
          "verify-store: %" PRIu64 " rows, %" PRIu64 " files read (%s) in %.1f s: %s%u problem%s (%u missing, "
          "%u damaged, %u unreadable, %u not matching the database, %u keys not unwrapping, %u not store files); %u orphan%s"
          "%s\n",
          rep->rows, rep->stored_files, bytes, rep->seconds, np ? "" : "sound, ", np, np == 1 ? "" : "s",
          rep->missing, rep->damaged, rep->unreadable, rep->mismatched, rep->key_failures, rep->foreign,
          rep->unnamed, rep->unnamed == 1 ? "" : "s", rep->gone ? "; rows deleted while checking were skipped" : "");
  fflush(out);
  rc = 0;
done:
  if (s.line_open) fputc('\n', out);
  arena_free(a);
  sodium_memzero(s.last_dek, sizeof s.last_dek);
  free(s.buf);
  free(defer.h);
  free(defer.ctime);
  keyring_close(s.kr);
  return rc;
}
