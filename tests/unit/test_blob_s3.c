/* The s3:// backend's writer and reader against a real S3 server (radosgw,
 * started by tests/integration/ceph_helper.py; run by test_blob_s3.py with
 * SECONDOP_TEST_S3_ENDPOINT, _BUCKET, _REGION, AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY). Proves what the HTTP tests cannot see: a record is
 * read with one ranged GET of about one record (the bytes the server sent
 * are counted), parts are 5 MiB, a writer resumed from a checkpoint's state
 * (the unfinished part kept beside the sealed tail) finishes the same
 * object, discarding aborts the multipart upload, and a wrong secret is
 * refused as such. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/blobfmt.h"
#include "store/blobstore_s3.h"
#include "store/s3.h"
#include "t.h"

#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define MIB ((size_t)1 << 20)

static struct s3 *g_s3;
static char g_err[400];
static const char *g_bucket;

static void fill(unsigned char *p, size_t n, uint64_t seed) {
  unsigned char s[randombytes_SEEDBYTES] = {0};
  memcpy(s, &seed, sizeof seed);
  randombytes_buf_deterministic(p, n, s);
}

static int count_uploads(void *ctx, const char *key, const char *id, int64_t initiated) {
  (void)key;
  (void)id;
  (void)initiated;
  (*(int *)ctx)++;
  return 0;
}

static int uploads_for(const unsigned char id[BLOB_ID_LEN]) {
  char key[1200];
  int n = 0;
  bs3_key(g_s3, id, key, sizeof key);
  T_EQ_INT(s3_mpu_list(g_s3, key, count_uploads, &n, g_err, sizeof g_err), S3_OK);
  return n;
}

/* Writes data through a fresh sink writer and commits it. */
static int put_blob(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                    const unsigned char *data, size_t len) {
  struct blob_writer *w = NULL;
  struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, g_err, sizeof g_err);
  if (!k || blob_writer_create_sink(k, id, dek, &w, g_err, sizeof g_err) != 0) return -1;
  for (size_t off = 0; off < len; off += 100000) {
    size_t n = len - off < 100000 ? len - off : 100000;
    if (blob_writer_append(w, data + off, n, g_err, sizeof g_err) != 0) {
      blob_writer_abort(w);
      return -1;
    }
  }
  int rc = blob_writer_finish_sink(w, g_err, sizeof g_err);
  if (rc != 0) fprintf(stderr, "# put_blob: %s\n", g_err);
  return rc;
}

static int read_all(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN], unsigned char *out,
                    size_t cap, size_t *got) {
  struct blob_reader *r = NULL;
  struct blob_source *src = bs3_source_new(g_s3, id, g_err, sizeof g_err);
  if (!src || blob_reader_open_source(src, id, dek, &r, g_err, sizeof g_err) != 0) return -1;
  *got = 0;
  for (;;) {
    ssize_t n = blob_reader_read(r, out + *got, cap - *got, g_err, sizeof g_err);
    if (n < 0) {
      blob_reader_close(r);
      return -1;
    }
    if (n == 0) break;
    *got += (size_t)n;
  }
  blob_reader_close(r);
  return 0;
}

static void test_multipart_object_and_a_record_by_range(void) {
  size_t len = 12 * MIB + 4321;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(len), *back = malloc(len + 1);
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, len, 1);
  T_EQ_INT(put_blob(id, dek, data, len), 0);
  T_EQ_INT(uploads_for(id), 0); /* completed */
  char key[1200];
  uint64_t size = 0;
  bs3_key(g_s3, id, key, sizeof key);
  T_EQ_INT(s3_head(g_s3, key, &size, g_err, sizeof g_err), S3_OK);
  T_EQ_INT(size, blob_disk_size_final(len));
  /* record 150: one ranged GET of one record, not the 12 MiB object */
  struct blob_reader *r = NULL;
  struct blob_source *src = bs3_source_new(g_s3, id, g_err, sizeof g_err);
  T_CHECK(src != NULL);
  uint64_t before = s3_bytes_received(g_s3);
  T_EQ_INT(blob_reader_open_source(src, id, dek, &r, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_reader_seek(r, 150 * (uint64_t)BLOB_RECORD + 7, g_err, sizeof g_err), 0);
  unsigned char rec[1000];
  T_EQ_INT(blob_reader_read(r, rec, sizeof rec, g_err, sizeof g_err), (ssize_t)sizeof rec);
  T_CHECK(memcmp(rec, data + 150 * (size_t)BLOB_RECORD + 7, sizeof rec) == 0);
  uint64_t fetched = s3_bytes_received(g_s3) - before;
  printf("# a record read fetched %llu bytes of a %llu-byte object\n", (unsigned long long)fetched,
         (unsigned long long)size);
  T_CHECK(fetched <= BLOB_HEADER_LEN + BLOB_RECORD_STRIDE_V2);
  blob_reader_close(r);
  /* the whole object, in order: a few growing GETs */
  size_t got = 0;
  T_EQ_INT(read_all(id, dek, back, len + 1, &got), 0);
  T_EQ_INT(got, len);
  T_CHECK(memcmp(back, data, len) == 0);
  /* a flipped byte in the stored object does not authenticate */
  unsigned char *raw = malloc(size);
  size_t rg = 0;
  T_EQ_INT(s3_get_range(g_s3, key, 0, size, raw, &rg, g_err, sizeof g_err), S3_OK);
  T_EQ_INT(rg, size);
  raw[6 * MIB] ^= 0x40;
  T_EQ_INT(s3_put(g_s3, key, raw, size, g_err, sizeof g_err), S3_OK);
  T_EQ_INT(read_all(id, dek, back, len + 1, &got), -1);
  T_EQ_INT(errno, EBADMSG);
  T_EQ_INT(s3_delete(g_s3, key, g_err, sizeof g_err), S3_OK);
  T_CHECK(bs3_source_new(g_s3, id, g_err, sizeof g_err) == NULL);
  T_EQ_INT(errno, ENOENT);
  free(raw);
  free(data);
  free(back);
}

static void test_small_and_empty_objects_are_one_put(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], data[3000], back[3001];
  size_t got = 0;
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, sizeof data, 2);
  T_EQ_INT(put_blob(id, dek, data, sizeof data), 0);
  T_EQ_INT(read_all(id, dek, back, sizeof back, &got), 0);
  T_EQ_INT(got, sizeof data);
  T_CHECK(memcmp(back, data, sizeof data) == 0);
  randombytes_buf(id, sizeof id);
  T_EQ_INT(put_blob(id, dek, data, 0), 0);
  T_EQ_INT(read_all(id, dek, back, sizeof back, &got), 0);
  T_EQ_INT(got, 0);
}

/* A checkpoint's state (sealed tail + unfinished part) restores the writer:
 * as a PATCH, a crash and the next PATCH do. */
static void test_resume_from_a_checkpoint_finishes_the_same_object(void) {
  size_t len = 11 * MIB + 99, cut = 7 * MIB + 12345;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(len), *back = malloc(len + 1);
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, len, 3);
  struct blob_writer *w = NULL;
  struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, g_err, sizeof g_err);
  T_EQ_INT(blob_writer_create_sink(k, id, dek, &w, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(w, data, cut, g_err, sizeof g_err), 0);
  unsigned char *stored = NULL;
  size_t stored_len = 0;
  T_EQ_INT(blob_writer_checkpoint(w, &stored, &stored_len, g_err, sizeof g_err), 0);
  /* one 5 MiB part is stored; the other ~2 MiB sealed bytes are in the state */
  T_CHECK(stored_len > 2 * MIB && stored_len < 3 * MIB);
  T_EQ_INT(uploads_for(id), 1);
  /* unacknowledged bytes after the checkpoint (another part goes up), then a crash */
  T_EQ_INT(blob_writer_append(w, data + cut, len - cut, g_err, sizeof g_err), 0);
  blob_writer_abort(w);
  w = NULL;
  size_t tl = blob_sealed_tail_len(cut);
  k = bs3_sink_new(g_s3, id, stored + tl, stored_len - tl, g_err, sizeof g_err);
  T_CHECK(k != NULL);
  T_EQ_INT(blob_writer_resume_sink(k, id, dek, cut, stored, tl, &w, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_offset(w), cut);
  /* the client resends from the committed offset */
  T_EQ_INT(blob_writer_append(w, data + cut, len - cut, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_finish_sink(w, g_err, sizeof g_err), 0);
  size_t got = 0;
  T_EQ_INT(read_all(id, dek, back, len + 1, &got), 0);
  T_EQ_INT(got, len);
  T_CHECK(memcmp(back, data, len) == 0);
  T_EQ_INT(uploads_for(id), 0);
  /* a tampered state does not resume */
  stored[3] ^= 1;
  k = bs3_sink_new(g_s3, id, stored + tl, stored_len - tl, g_err, sizeof g_err);
  T_CHECK(k != NULL);
  T_EQ_INT(blob_writer_resume_sink(k, id, dek, cut, stored, tl, &w, g_err, sizeof g_err), -1);
  free(stored);
  free(data);
  free(back);
}

/* A writer that stalled past its lease (another instance resumed the upload
 * from its checkpoint) can still send a part it was filling: S3 keeps the
 * last one sent under a part number. The parts a writer stored go into the
 * state with their ETags, so the upload is completed with exactly the parts
 * the committed state names: a part replaced by the stale writer makes the
 * finish fail, and never makes an object of bytes nobody acknowledged. */
static void test_a_stale_writers_part_never_enters_the_object(void) {
  size_t len = 16 * MIB + 7, cut_a = 7 * MIB + 1, cut_b = 12 * MIB + 3;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(len), *other = malloc(len);
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, len, 5);
  fill(other, len, 6);
  /* A stores part 1 and checkpoints */
  struct blob_writer *wa = NULL, *wb = NULL, *wc = NULL;
  struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, g_err, sizeof g_err);
  T_EQ_INT(blob_writer_create_sink(k, id, dek, &wa, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(wa, data, cut_a, g_err, sizeof g_err), 0);
  unsigned char *sa = NULL, *sb = NULL;
  size_t sa_len = 0, sb_len = 0;
  T_EQ_INT(blob_writer_checkpoint(wa, &sa, &sa_len, g_err, sizeof g_err), 0);
  size_t ta = blob_sealed_tail_len(cut_a), tb = blob_sealed_tail_len(cut_b);
  /* B takes over from A's checkpoint, stores part 2 and checkpoints */
  k = bs3_sink_new(g_s3, id, sa + ta, sa_len - ta, g_err, sizeof g_err);
  T_CHECK(k != NULL);
  T_EQ_INT(blob_writer_resume_sink(k, id, dek, cut_a, sa, ta, &wb, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(wb, data + cut_a, cut_b - cut_a, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_checkpoint(wb, &sb, &sb_len, g_err, sizeof g_err), 0);
  blob_writer_abort(wb); /* B goes away (a restart); its state is committed */
  /* the stale A wakes up and sends its own part 2, of other bytes */
  T_EQ_INT(blob_writer_append(wa, other + cut_a, 6 * MIB, g_err, sizeof g_err), 0);
  blob_writer_abort(wa); /* its part in flight is joined: it is stored */
  /* C resumes from B's committed state and finishes */
  k = bs3_sink_new(g_s3, id, sb + tb, sb_len - tb, g_err, sizeof g_err);
  T_CHECK(k != NULL);
  T_EQ_INT(blob_writer_resume_sink(k, id, dek, cut_b, sb, tb, &wc, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(wc, data + cut_b, len - cut_b, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_finish_sink(wc, g_err, sizeof g_err), -1);
  /* no object was made of A's part */
  struct blob_source *src = bs3_source_new(g_s3, id, g_err, sizeof g_err);
  T_CHECK(src == NULL);
  T_EQ_INT(errno, ENOENT);
  T_EQ_INT(bs3_discard(g_s3, id, g_err, sizeof g_err), 0);
  free(sa);
  free(sb);
  free(data);
  free(other);
}

/* An "S3U1" state (written before ETags were kept) still resumes: the
 * stored parts' ETags come from the store. */
static void test_a_state_without_etags_still_resumes(void) {
  size_t len = 9 * MIB + 5, cut = 6 * MIB + 17;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(len), *back = malloc(len + 1);
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, len, 7);
  struct blob_writer *w = NULL;
  struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, g_err, sizeof g_err);
  T_EQ_INT(blob_writer_create_sink(k, id, dek, &w, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(w, data, cut, g_err, sizeof g_err), 0);
  unsigned char *st = NULL;
  size_t st_len = 0;
  T_EQ_INT(blob_writer_checkpoint(w, &st, &st_len, g_err, sizeof g_err), 0);
  blob_writer_abort(w);
  w = NULL;
  size_t tl = blob_sealed_tail_len(cut);
  unsigned char *s = st + tl;
  T_CHECK(memcmp(s, "S3U2", 4) == 0);
  /* rewrite it as "S3U1": drop the one part's ETag (1-byte length + text) */
  size_t il = ((size_t)s[4] << 8) | s[5], at = 10 + il, el = 1 + s[at];
  T_EQ_INT(((unsigned)s[6 + il + 3]), 1);
  memcpy(s, "S3U1", 4);
  memmove(s + at, s + at + el, st_len - tl - at - el);
  k = bs3_sink_new(g_s3, id, s, st_len - tl - el, g_err, sizeof g_err);
  T_CHECK(k != NULL);
  T_EQ_INT(blob_writer_resume_sink(k, id, dek, cut, st, tl, &w, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(w, data + cut, len - cut, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_finish_sink(w, g_err, sizeof g_err), 0);
  size_t got = 0;
  T_EQ_INT(read_all(id, dek, back, len + 1, &got), 0);
  T_EQ_INT(got, len);
  T_CHECK(memcmp(back, data, len) == 0);
  free(st);
  free(data);
  free(back);
}

static void test_discard_aborts_the_multipart_upload(void) {
  size_t len = 6 * MIB;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(len);
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  fill(data, len, 4);
  struct blob_writer *w = NULL;
  struct blob_sink *k = bs3_sink_new(g_s3, id, NULL, 0, g_err, sizeof g_err);
  T_EQ_INT(blob_writer_create_sink(k, id, dek, &w, g_err, sizeof g_err), 0);
  T_EQ_INT(blob_writer_append(w, data, len, g_err, sizeof g_err), 0);
  blob_writer_abort(w);
  T_EQ_INT(uploads_for(id), 1);
  T_EQ_INT(bs3_discard(g_s3, id, g_err, sizeof g_err), 0);
  T_EQ_INT(uploads_for(id), 0);
  free(data);
}

struct seen {
  int n;
  int64_t oldest, newest;
  uint64_t bytes;
};

static void seen_time(struct seen *v, int64_t t) {
  if (v->n == 0 || t < v->oldest) v->oldest = t;
  if (v->n == 0 || t > v->newest) v->newest = t;
  v->n++;
}

static int seen_object(void *ctx, const char *key, uint64_t size, int64_t modified) {
  (void)key;
  struct seen *v = ctx;
  v->bytes += size;
  seen_time(v, modified);
  return 0;
}

static int seen_upload(void *ctx, const char *key, const char *upload_id, int64_t initiated) {
  (void)key;
  T_CHECK(upload_id[0] != 0);
  seen_time(ctx, initiated);
  return 0;
}

/* The sweep's and verify-store's listing: every object over several pages
 * (continuation-token), with its size and LastModified; every multipart
 * upload over several pages (key-marker, upload-id-marker) with its
 * Initiated time; a server-side copy holds the same bytes. */
static void test_listing_pages_times_and_copy(void) {
  char pfx[64], key[200], hex[17];
  unsigned char r[8];
  randombytes_buf(r, sizeof r);
  sodium_bin2hex(hex, sizeof hex, r, sizeof r);
  snprintf(pfx, sizeof pfx, "unit/ls-%s/", hex);
  unsigned char data[1000];
  fill(data, sizeof data, 9);
  int64_t t0 = (int64_t)time(NULL);
  for (int i = 0; i < 5; i++) {
    snprintf(key, sizeof key, "%sobj-%d", pfx, i);
    T_EQ_INT(s3_put(g_s3, key, data, 100 + (size_t)i, g_err, sizeof g_err), S3_OK);
  }
  char uids[3][S3_UPLOAD_ID_MAX];
  for (int i = 0; i < 3; i++) {
    snprintf(key, sizeof key, "%smpu-%d", pfx, i % 2); /* two uploads to one key: the upload-id marker */
    T_EQ_INT(s3_mpu_create(g_s3, key, uids[i], g_err, sizeof g_err), S3_OK);
  }
  s3_set_page_size(g_s3, 2);
  struct seen objs = {0}, ups = {0};
  T_EQ_INT(s3_list(g_s3, pfx, seen_object, &objs, g_err, sizeof g_err), S3_OK);
  T_EQ_INT(s3_mpu_list(g_s3, pfx, seen_upload, &ups, g_err, sizeof g_err), S3_OK);
  s3_set_page_size(g_s3, 0);
  T_EQ_INT(objs.n, 5);
  T_EQ_INT((int)objs.bytes, 100 + 101 + 102 + 103 + 104);
  /* times from the store's clock (the same machine): within a few minutes */
  T_CHECK(objs.oldest > t0 - 300 && objs.newest < t0 + 300);
  T_EQ_INT(ups.n, 3);
  T_CHECK(ups.oldest > t0 - 300 && ups.newest < t0 + 300);
  for (int i = 0; i < 3; i++) {
    snprintf(key, sizeof key, "%smpu-%d", pfx, i % 2);
    T_EQ_INT(s3_mpu_abort(g_s3, key, uids[i], g_err, sizeof g_err), S3_OK);
  }
  struct seen none = {0};
  T_EQ_INT(s3_mpu_list(g_s3, pfx, seen_upload, &none, g_err, sizeof g_err), S3_OK);
  T_EQ_INT(none.n, 0);
  /* copy: the same bytes under the new key; an absent source is not found */
  char from[200], to[200];
  snprintf(from, sizeof from, "%sobj-4", pfx);
  snprintf(to, sizeof to, "%squarantine/obj-4", pfx);
  T_EQ_INT(s3_copy(g_s3, from, to, g_err, sizeof g_err), S3_OK);
  unsigned char back[200];
  size_t got = 0;
  T_EQ_INT(s3_get_range(g_s3, to, 0, sizeof back, back, &got, g_err, sizeof g_err), S3_OK);
  T_EQ_INT((int)got, 104);
  T_CHECK(memcmp(back, data, 104) == 0);
  snprintf(from, sizeof from, "%sno-such-object", pfx);
  T_EQ_INT(s3_copy(g_s3, from, to, g_err, sizeof g_err), S3_NOT_FOUND);
}

static void test_wrong_secret_and_no_server(void) {
  char url[200];
  snprintf(url, sizeof url, "s3://%s/t", g_bucket);
  struct s3_config bad = {url, getenv("SECONDOP_TEST_S3_ENDPOINT"), getenv("SECONDOP_TEST_S3_REGION"),
                          getenv("AWS_ACCESS_KEY_ID"), "wrong-secret-0123456789"};
  struct s3 *s = NULL;
  T_EQ_INT(s3_new(&bad, &s, g_err, sizeof g_err), 0);
  T_EQ_INT(s3_check(s, g_err, sizeof g_err), S3_DENIED);
  T_CHECK(strstr(g_err, "refused the credentials") != NULL);
  T_CHECK(strstr(g_err, "wrong-secret") == NULL);
  s3_free(s);
  struct s3_config gone = {url, "http://127.0.0.1:9", "us-east-1", "a", "b"};
  T_EQ_INT(s3_new(&gone, &s, g_err, sizeof g_err), 0);
  T_EQ_INT(s3_check(s, g_err, sizeof g_err), S3_UNAVAILABLE);
  T_CHECK(strstr(g_err, "unreachable") != NULL);
  s3_free(s);
}

static void test_url_parsing(void) {
  char b[64], p[600];
  T_EQ_INT(s3_parse_url("s3://bucket-1/a/b/", b, sizeof b, p, sizeof p), 0);
  T_EQ_STR(b, "bucket-1");
  T_EQ_STR(p, "a/b");
  T_EQ_INT(s3_parse_url("s3://bucket", b, sizeof b, p, sizeof p), 0);
  T_EQ_STR(p, "");
  T_EQ_INT(s3_parse_url("s3://Bucket/x", b, sizeof b, p, sizeof p), -1);
  T_EQ_INT(s3_parse_url("s3://ab/x", b, sizeof b, p, sizeof p), -1);
  T_EQ_INT(s3_parse_url("s3://bucket/a/../b", b, sizeof b, p, sizeof p), -1);
  T_EQ_INT(s3_parse_url("s3://bucket/a b", b, sizeof b, p, sizeof p), -1);
  T_EQ_INT(s3_parse_url("http://bucket/x", b, sizeof b, p, sizeof p), -1);
  /* LastModified and Initiated */
  T_CHECK(s3_parse_time("2000-01-01T00:00:00.000Z") == 946684800);
  T_CHECK(s3_parse_time("1970-01-02T00:00:01Z") == 86401);
  T_CHECK(s3_parse_time("2026-12-01T01:29:28.123Z") == 1796088568);
  T_CHECK(s3_parse_time("yesterday") == 0);
  T_CHECK(s3_parse_time("") == 0);
  T_CHECK(s3_parse_time(NULL) == 0);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  T_RUN(test_url_parsing);
  const char *ep = getenv("SECONDOP_TEST_S3_ENDPOINT");
  g_bucket = getenv("SECONDOP_TEST_S3_BUCKET");
  if (!ep || !g_bucket) {
    printf("# SECONDOP_TEST_S3_ENDPOINT and SECONDOP_TEST_S3_BUCKET are needed for the rest\n");
    return t_done() || 1;
  }
  char url[200];
  snprintf(url, sizeof url, "s3://%s/unit", g_bucket);
  struct s3_config cfg = {url, ep, getenv("SECONDOP_TEST_S3_REGION"), getenv("AWS_ACCESS_KEY_ID"),
                          getenv("AWS_SECRET_ACCESS_KEY")};
  if (s3_new(&cfg, &g_s3, g_err, sizeof g_err) != 0 || s3_check(g_s3, g_err, sizeof g_err) != S3_OK) {
    printf("cannot use %s: %s\n", ep, g_err);
    return 1;
  }
  T_RUN(test_multipart_object_and_a_record_by_range);
  T_RUN(test_small_and_empty_objects_are_one_put);
  T_RUN(test_resume_from_a_checkpoint_finishes_the_same_object);
  T_RUN(test_a_stale_writers_part_never_enters_the_object);
  T_RUN(test_a_state_without_etags_still_resumes);
  T_RUN(test_discard_aborts_the_multipart_upload);
  T_RUN(test_listing_pages_times_and_copy);
  T_RUN(test_wrong_secret_and_no_server);
  s3_free(g_s3);
  return t_done();
}
