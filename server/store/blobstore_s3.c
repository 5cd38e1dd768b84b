/* The s3:// backend of the blob store: sink and source over S3; see
 * blobstore_s3.h. */
#include "store/blobstore_s3.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The state: "S3U2", the upload id (2-byte length), the count of stored
 * parts (4 bytes), each stored part's ETag (1-byte length), then the
 * unfinished part's bytes. "S3U1" (no ETags) is still read. */
#define STATE_MAGIC "S3U2"
#define STATE_MAGIC_V1 "S3U1"
#define WINDOW_MAX ((size_t)8 << 20)

void bs3_errno(enum s3_fail f) {
  errno = f == S3_NOT_FOUND ? ENOENT : f == S3_BAD ? EIO : BS3_EUNAVAILABLE;
}

int bs3_key(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *out, size_t cap) {
  char name[64], hex[2 * BLOB_ID_LEN + 1];
  sodium_bin2hex(hex, sizeof hex, id, BLOB_ID_LEN);
  snprintf(name, sizeof name, "files/%s", hex);
  return s3_key(s, name, out, cap);
}

/* ---- sink ---- */

struct sink {
  struct s3 *s;
  char key[1200];
  char upload_id[S3_UPLOAD_ID_MAX];
  unsigned parts;       /* parts stored (durable), each BS3_PART bytes */
  unsigned char *pend;  /* the object's bytes from parts * BS3_PART on */
  size_t pend_len, pend_cap;
  char (*etags)[S3_ETAG_MAX]; /* etags[n-1] of part n when known */
  unsigned etags_cap;
  /* the part being stored while the next one fills (one at a time, on its
   * own thread, so receiving goes on meanwhile); joined before a
   * checkpoint's state, the commit and free, so `parts` counts only stored
   * parts whenever anyone outside looks */
  pthread_t fly_thread;
  int fly_running;
  unsigned char *fly;
  size_t fly_len;
  unsigned fly_part;
  enum s3_fail fly_rc;
  char fly_etag[S3_ETAG_MAX];
  char fly_err[200];
  int v1_state; /* restored from an "S3U1" state (no ETags) */
};

static uint64_t sink_end(const struct sink *k) { return (uint64_t)k->parts * BS3_PART + k->pend_len; }

/* Makes room for parts 1..part's ETags (new ones empty). 0 or -1. */
static int etags_room(struct sink *k, unsigned part) {
  if (part > k->etags_cap) {
    unsigned nc = k->etags_cap ? k->etags_cap : 64;
    while (nc < part) nc *= 2;
    char(*e)[S3_ETAG_MAX] = realloc(k->etags, (size_t)nc * S3_ETAG_MAX);
    if (!e) return -1;
    memset(e + k->etags_cap, 0, (size_t)(nc - k->etags_cap) * S3_ETAG_MAX);
    k->etags = e;
    k->etags_cap = nc;
  }
  return 0;
}

static int etag_set(struct sink *k, unsigned part, const char *etag) {
  if (etags_room(k, part) != 0) return -1;
  snprintf(k->etags[part - 1], S3_ETAG_MAX, "%s", etag);
  return 0;
}

static void *fly_main(void *arg) {
  struct sink *k = arg;
  k->fly_rc = s3_mpu_part(k->s, k->key, k->upload_id, k->fly_part, k->fly, k->fly_len, k->fly_etag, k->fly_err,
                          sizeof k->fly_err);
  return NULL;
}

/* Waits for the part in flight, if any. 0, or -1 (errno, err) when it was
 * not stored. */
static int fly_join(struct sink *k, char *err, size_t errlen) {
  if (!k->fly_running) return 0;
  pthread_join(k->fly_thread, NULL);
  k->fly_running = 0;
  if (k->fly_rc != S3_OK) {
    if (err) snprintf(err, errlen, "%s", k->fly_err);
    bs3_errno(k->fly_rc);
    return -1;
  }
  if (etag_set(k, k->fly_part, k->fly_etag) != 0) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

/* Stores the first len pending bytes as the next part: on a thread of its own
 * when `async` (the caller goes on filling the next part), else now. */
static int sink_flush_part(struct sink *k, size_t len, int async, char *err, size_t errlen) {
  enum s3_fail f;
  if (fly_join(k, err, errlen) != 0) return -1;
  if (!*k->upload_id && (f = s3_mpu_create(k->s, k->key, k->upload_id, err, errlen)) != S3_OK) {
    bs3_errno(f);
    return -1;
  }
  if (!k->fly && !(k->fly = malloc(BS3_PART))) {
    errno = ENOMEM;
    return -1;
  }
  memcpy(k->fly, k->pend, len);
  k->fly_len = len;
  k->fly_part = k->parts + 1;
  memmove(k->pend, k->pend + len, k->pend_len - len);
  k->pend_len -= len;
  k->parts++; /* taken out of pend; stored once joined */
  if (async && pthread_create(&k->fly_thread, NULL, fly_main, k) == 0) {
    k->fly_running = 1;
    return 0;
  }
  fly_main(k);
  if (k->fly_rc != S3_OK) {
    if (err) snprintf(err, errlen, "%s", k->fly_err);
    bs3_errno(k->fly_rc);
    return -1;
  }
  return etag_set(k, k->fly_part, k->fly_etag) == 0 ? 0 : -1;
}

static int sink_write(void *ctx, const void *buf, size_t len, uint64_t off, char *err, size_t errlen) {
  struct sink *k = ctx;
  if (off != sink_end(k)) {
    if (err) snprintf(err, errlen, "object written out of order");
    errno = EINVAL;
    return -1;
  }
  if (k->pend_len + len > k->pend_cap) {
    size_t nc = k->pend_cap ? k->pend_cap : 256 * 1024;
    while (nc < k->pend_len + len) nc *= 2;
    unsigned char *p = realloc(k->pend, nc);
    if (!p) {
      errno = ENOMEM;
      return -1;
    }
    k->pend = p;
    k->pend_cap = nc;
  }
  memcpy(k->pend + k->pend_len, buf, len);
  k->pend_len += len;
  /* a part goes up once a byte follows it, so the last part is never empty */
  while (k->pend_len > BS3_PART)
    if (sink_flush_part(k, BS3_PART, 1, err, errlen) != 0) return -1; /* the writer gives up on this sink */
  return 0;
}

static int sink_truncate(void *ctx, uint64_t len, char *err, size_t errlen) {
  struct sink *k = ctx;
  uint64_t base = (uint64_t)k->parts * BS3_PART;
  if (len < base) {
    if (err) snprintf(err, errlen, "cannot cut back a stored part");
    errno = EIO;
    return -1;
  }
  if (len - base < k->pend_len) k->pend_len = (size_t)(len - base);
  return 0;
}

static int sink_read(void *ctx, void *buf, size_t len, uint64_t off) {
  struct sink *k = ctx;
  uint64_t base = (uint64_t)k->parts * BS3_PART;
  if (off < base || off + len > sink_end(k)) {
    errno = ENOENT;
    return -1;
  }
  memcpy(buf, k->pend + (off - base), len);
  return 0;
}

static int sink_state(void *ctx, unsigned char **out, size_t *len, char *err, size_t errlen) {
  struct sink *k = ctx;
  if (fly_join(k, err, errlen) != 0) return -1; /* only stored parts count */
  size_t il = strlen(k->upload_id), el = 0;
  for (unsigned i = 0; i < k->parts; i++) el += 1 + (i < k->etags_cap ? strlen(k->etags[i]) : 0);
  size_t n = 4 + 2 + il + 4 + el + k->pend_len;
  unsigned char *p = malloc(n);
  if (!p) {
    if (err) snprintf(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  memcpy(p, STATE_MAGIC, 4);
  p[4] = (unsigned char)(il >> 8);
  p[5] = (unsigned char)il;
  memcpy(p + 6, k->upload_id, il);
  p[6 + il] = (unsigned char)(k->parts >> 24);
  p[7 + il] = (unsigned char)(k->parts >> 16);
  p[8 + il] = (unsigned char)(k->parts >> 8);
  p[9 + il] = (unsigned char)k->parts;
  size_t o = 10 + il;
  for (unsigned i = 0; i < k->parts; i++) {
    size_t tl = i < k->etags_cap ? strlen(k->etags[i]) : 0; /* < S3_ETAG_MAX: fits a byte */
    p[o++] = (unsigned char)tl;
    if (tl) memcpy(p + o, k->etags[i], tl);
    o += tl;
  }
  if (k->pend_len) memcpy(p + o, k->pend, k->pend_len);
  *out = p;
  *len = n;
  return 0;
}

static int sink_commit(void *ctx, char *err, size_t errlen) {
  struct sink *k = ctx;
  enum s3_fail f;
  if (fly_join(k, err, errlen) != 0) return -1;
  if (k->parts == 0 && !*k->upload_id) {
    f = s3_put(k->s, k->key, k->pend, k->pend_len, err, errlen);
    if (f != S3_OK) {
      bs3_errno(f);
      return -1;
    }
    return 0;
  }
  if (k->pend_len > 0 && sink_flush_part(k, k->pend_len, 0, err, errlen) != 0) return -1;
  unsigned n = k->parts;
  int missing = 0;
  if (etags_room(k, n) != 0) {
    errno = ENOMEM;
    return -1;
  }
  for (unsigned i = 0; i < n; i++)
    if (!k->etags[i][0]) missing = 1;
  if (missing && !k->v1_state) {
    /* every stored part's ETag is in the state: one missing is a bug, never
     * a reason to take whatever the store now lists for it */
    if (err) snprintf(err, errlen, "the upload's state lacks a stored part's ETag");
    errno = EIO;
    return -1;
  }
  if (missing) {
    /* an "S3U1" state from before ETags were kept: they come from the store */
    char(*listed)[S3_ETAG_MAX] = calloc(n, S3_ETAG_MAX);
    if (!listed) {
      errno = ENOMEM;
      return -1;
    }
    f = s3_mpu_list_parts(k->s, k->key, k->upload_id, listed, n, NULL, err, errlen);
    if (f != S3_OK) {
      free(listed);
      bs3_errno(f);
      return -1;
    }
    for (unsigned i = 0; i < n; i++) {
      if (!k->etags[i][0]) memcpy(k->etags[i], listed[i], S3_ETAG_MAX);
      if (!k->etags[i][0]) {
        free(listed);
        if (err) snprintf(err, errlen, "part %u of the upload is not in the object store", i + 1);
        errno = EIO;
        return -1;
      }
    }
    free(listed);
  }
  f = s3_mpu_complete(k->s, k->key, k->upload_id, k->etags, n, err, errlen);
  if (f != S3_OK) {
    bs3_errno(f);
    return -1;
  }
  return 0;
}

static void sink_free(void *ctx) {
  struct sink *k = ctx;
  if (!k) return;
  (void)fly_join(k, NULL, 0);
  free(k->fly);
  free(k->pend);
  free(k->etags);
  free(k);
}

struct blob_sink *bs3_sink_new(struct s3 *s, const unsigned char id[BLOB_ID_LEN], const unsigned char *state,
                               size_t state_len, char *err, size_t errlen) {
  struct sink *k = calloc(1, sizeof *k);
  struct blob_sink *bs = calloc(1, sizeof *bs);
  if (!k || !bs) goto oom;
  k->s = s;
  if (bs3_key(s, id, k->key, sizeof k->key) != 0) goto bad;
  if (state && state_len) {
    if (state_len < 10) goto bad;
    k->v1_state = memcmp(state, STATE_MAGIC_V1, 4) == 0;
    if (!k->v1_state && memcmp(state, STATE_MAGIC, 4) != 0) goto bad;
    size_t il = ((size_t)state[4] << 8) | state[5];
    if (il >= S3_UPLOAD_ID_MAX || state_len < 10 + il) goto bad;
    memcpy(k->upload_id, state + 6, il);
    k->upload_id[il] = 0;
    const unsigned char *q = state + 6 + il;
    k->parts = ((unsigned)q[0] << 24) | ((unsigned)q[1] << 16) | ((unsigned)q[2] << 8) | q[3];
    if (k->parts > 10000 || (k->parts && !il)) goto bad; /* S3 stops at part 10,000 */
    size_t o = 10 + il;
    for (unsigned i = 0; !k->v1_state && i < k->parts; i++) {
      if (o >= state_len) goto bad;
      size_t tl = state[o++];
      if (tl == 0 || tl >= S3_ETAG_MAX || o + tl > state_len) goto bad;
      char tag[S3_ETAG_MAX];
      memcpy(tag, state + o, tl);
      tag[tl] = 0;
      o += tl;
      if (etag_set(k, i + 1, tag) != 0) goto oom;
    }
    size_t pl = state_len - o;
    if (pl > BS3_PART) goto bad;
    k->pend_cap = pl + BS3_PART / 4;
    k->pend = malloc(k->pend_cap);
    if (!k->pend) goto oom;
    memcpy(k->pend, state + o, pl);
    k->pend_len = pl;
  }
  bs->ctx = k;
  bs->write = sink_write;
  bs->truncate = sink_truncate;
  bs->read = sink_read;
  bs->state = sink_state;
  bs->commit = sink_commit;
  bs->free = sink_free;
  return bs;
bad:
  if (err) snprintf(err, errlen, "the upload's stored object-store state is malformed");
  errno = EINVAL;
  sink_free(k);
  free(bs);
  return NULL;
oom:
  if (err) snprintf(err, errlen, "out of memory");
  errno = ENOMEM;
  sink_free(k);
  free(bs);
  return NULL;
}

/* ---- source ---- */

struct source {
  struct s3 *s;
  char key[1200];
  uint64_t size;
  unsigned char *win;
  uint64_t win_off;
  size_t win_len, want;
  uint64_t last_end; /* where the previous read ended */
};

static ssize_t source_read(void *ctx, void *buf, size_t len, uint64_t off, char *err, size_t errlen) {
  struct source *c = ctx;
  if (off >= c->size) return 0;
  if (len > c->size - off) len = (size_t)(c->size - off);
  if (!(off >= c->win_off && off + len <= c->win_off + c->win_len)) {
    /* in order: the window doubles (fewer, larger GETs); a seek: one read */
    if (off == c->last_end && c->want)
      c->want = c->want * 2 > WINDOW_MAX ? WINDOW_MAX : c->want * 2;
    else
      c->want = len;
    size_t n = c->want < len ? len : c->want;
    if (n > c->size - off) n = (size_t)(c->size - off);
    unsigned char *w = c->win;
    if (!w || n > WINDOW_MAX) {
      free(c->win);
      c->win = NULL;
      w = malloc(n > WINDOW_MAX ? n : WINDOW_MAX);
      if (!w) {
        errno = ENOMEM;
        return -1;
      }
      c->win = w;
    }
    size_t got = 0;
    c->win_len = 0;
    enum s3_fail f = s3_get_range(c->s, c->key, off, n, w, &got, err, errlen);
    if (f != S3_OK) {
      bs3_errno(f);
      if (f == S3_NOT_FOUND) errno = EBADMSG; /* it was there at open: gone while being read */
      return -1;
    }
    c->win_off = off;
    c->win_len = got;
    if (got < len) len = got;
  }
  memcpy(buf, c->win + (off - c->win_off), len);
  c->last_end = off + len;
  return (ssize_t)len;
}

static void source_free(void *ctx) {
  struct source *c = ctx;
  if (!c) return;
  free(c->win);
  free(c);
}

struct blob_source *bs3_source_new(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen) {
  struct source *c = calloc(1, sizeof *c);
  struct blob_source *bs = calloc(1, sizeof *bs);
  if (!c || !bs) {
    free(c);
    free(bs);
    errno = ENOMEM;
    return NULL;
  }
  c->s = s;
  if (bs3_key(s, id, c->key, sizeof c->key) != 0) {
    free(c);
    free(bs);
    errno = EINVAL;
    return NULL;
  }
  enum s3_fail f = s3_head(s, c->key, &c->size, err, errlen);
  if (f != S3_OK) {
    if (f == S3_NOT_FOUND && err) snprintf(err, errlen, "no such object in the store");
    bs3_errno(f);
    free(c);
    free(bs);
    return NULL;
  }
  bs->ctx = c;
  bs->size = c->size;
  bs->read = source_read;
  bs->free = source_free;
  return bs;
}

struct discard_ctx {
  struct s3 *s;
  const char *key;
  int failed;
};

static int discard_one(void *ctx, const char *key, const char *upload_id, int64_t initiated) {
  struct discard_ctx *d = ctx;
  (void)initiated;
  char err[200];
  if (strcmp(key, d->key) == 0 && s3_mpu_abort(d->s, key, upload_id, err, sizeof err) != S3_OK) d->failed = 1;
  return 0;
}

int bs3_discard(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen) {
  char key[1200];
  if (bs3_key(s, id, key, sizeof key) != 0) return -1;
  struct discard_ctx d = {s, key, 0};
  enum s3_fail f = s3_mpu_list(s, key, discard_one, &d, err, errlen);
  if (f != S3_OK) {
    bs3_errno(f);
    return -1;
  }
  return d.failed ? -1 : 0;
}
