/* Unit tests for server/store/blobverify.c: the per-blob verdicts of
 * `secondop verify-store` (sound, missing, a flipped byte, a cut file,
 * another file's key), the comparison with a row's size and digests, and
 * the pacing and text of the progress line. Blobs are written with the real
 * writer into a mkdtemp directory that is removed at the end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/blobverify.h"
#include "t.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];
static unsigned char g_buf[70000];

/* Writes a finished blob of n pattern bytes at dir/name; its plaintext into
 * plain (n bytes). 0 on success. */
static int make_blob(const char *name, const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                     unsigned char *plain, size_t n, char *path, size_t cap) {
  char staging[300], err[200];
  snprintf(path, cap, "%s/%s", g_dir, name);
  snprintf(staging, sizeof staging, "%s.part", path);
  unsigned char seed[randombytes_SEEDBYTES] = {7};
  randombytes_buf_deterministic(plain, n, seed);
  struct blob_writer *w = NULL;
  if (blob_writer_create(staging, id, dek, &w, err, sizeof err) != 0) return -1;
  if (blob_writer_append(w, plain, n, err, sizeof err) != 0) {
    blob_writer_abort(w);
    return -1;
  }
  return blob_writer_finish(w, path, err, sizeof err);
}

static void hex_blake2b(const unsigned char *p, size_t n, char out[65]) {
  unsigned char d[32];
  crypto_generichash(d, sizeof d, p, n, NULL, 0);
  sodium_bin2hex(out, 65, d, sizeof d);
}

static void hex_sha256(const unsigned char *p, size_t n, char out[65]) {
  unsigned char d[32];
  crypto_hash_sha256(d, p, n);
  sodium_bin2hex(out, 65, d, sizeof d);
}

static uint64_t ticked;
static void count_tick(void *ctx, uint64_t n) {
  (void)ctx;
  ticked += n;
}

/* 200000 bytes: three full records and a final one */
static void test_sound_blob_gives_its_digests_and_size(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], *plain = malloc(200000);
  char path[300], b2[65], sha[65];
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  T_CHECK(plain && make_blob("sound", id, dek, plain, 200000, path, sizeof path) == 0);
  hex_blake2b(plain, 200000, b2);
  hex_sha256(plain, 200000, sha);
  struct blobverify_result r;
  ticked = 0;
  blobverify_file(path, id, dek, true, g_buf, sizeof g_buf, count_tick, NULL, &r);
  T_EQ_INT(r.verdict, BV_OK);
  T_EQ_INT(r.size, 200000);
  T_EQ_INT(ticked, 200000);
  T_EQ_STR(r.blake2b, b2);
  T_EQ_STR(r.sha256, sha);
  struct blobverify_expect x = {200000, b2, sha, 0};
  T_EQ_INT(blobverify_compare(&r, &x), 0);
  /* no SHA-256 asked for: none computed, and a row without one does not need it */
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_OK);
  T_EQ_STR(r.sha256, "");
  struct blobverify_expect no_sha = {200000, b2, "", 0};
  T_EQ_INT(blobverify_compare(&r, &no_sha), 0);
  T_EQ_INT(blobverify_compare(&r, &x), BV_BAD_SHA256);
  free(plain);
}

/* Row truth table: which differences are reported. */
static void test_compare_reports_each_difference(void) {
  struct blobverify_result r = {.verdict = BV_OK, .size = 10};
  memset(r.blake2b, 'a', 64);
  memset(r.sha256, 'b', 64);
  char a64[65] = {0}, b64[65] = {0}, c64[65] = {0};
  memset(a64, 'a', 64);
  memset(b64, 'b', 64);
  memset(c64, 'c', 64);
  static const struct {
    long long size;
    const char *b2, *sha;
    unsigned want;
  } rows[] = {
      {10, NULL, NULL, 0},
      {-1, NULL, NULL, 0},
      {11, NULL, NULL, BV_BAD_SIZE},
      {0, NULL, NULL, BV_BAD_SIZE},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct blobverify_expect x = {rows[i].size, rows[i].b2, rows[i].sha, 0};
    T_EQ_INT(blobverify_compare(&r, &x), rows[i].want);
  }
  struct blobverify_expect x1 = {10, a64, b64, 0}, x2 = {10, c64, b64, 0}, x3 = {10, a64, c64, 0}, x4 = {9, c64, c64, 0},
                           x5 = {10, "", "", 0};
  T_EQ_INT(blobverify_compare(&r, &x1), 0);
  T_EQ_INT(blobverify_compare(&r, &x2), BV_BAD_BLAKE2B);
  T_EQ_INT(blobverify_compare(&r, &x3), BV_BAD_SHA256);
  T_EQ_INT(blobverify_compare(&r, &x4), BV_BAD_SIZE | BV_BAD_BLAKE2B | BV_BAD_SHA256);
  T_EQ_INT(blobverify_compare(&r, &x5), 0);
}

static void test_missing_flipped_cut_and_wrong_key(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], other[BLOB_DEK_LEN], *plain = malloc(150000);
  char path[300];
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  randombytes_buf(other, sizeof other);
  T_CHECK(plain && make_blob("bad", id, dek, plain, 150000, path, sizeof path) == 0);
  struct blobverify_result r;
  /* another data key: the first record does not authenticate */
  blobverify_file(path, id, other, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_DAMAGED);
  /* another file id: the header says so */
  unsigned char id2[BLOB_ID_LEN];
  memcpy(id2, id, sizeof id2);
  id2[0] ^= 1;
  blobverify_file(path, id2, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_CHECK(r.verdict == BV_UNREADABLE || r.verdict == BV_DAMAGED);
  /* one byte flipped in the second record */
  int fd = open(path, O_RDWR);
  T_CHECK(fd >= 0);
  off_t at = BLOB_HEADER_LEN + BLOB_RECORD_STRIDE_V2 + 1000;
  unsigned char b;
  T_CHECK(pread(fd, &b, 1, at) == 1);
  b ^= 0x01;
  T_CHECK(pwrite(fd, &b, 1, at) == 1);
  ticked = 0;
  blobverify_file(path, id, dek, true, g_buf, sizeof g_buf, count_tick, NULL, &r);
  T_EQ_INT(r.verdict, BV_DAMAGED);
  T_CHECK(strstr(r.why, "record 1") != NULL);
  T_CHECK(ticked <= BLOB_RECORD); /* only the first record's bytes were ever handed out */
  b ^= 0x01;
  T_CHECK(pwrite(fd, &b, 1, at) == 1);
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_OK);
  /* cut after the second record: the final record is missing */
  T_CHECK(ftruncate(fd, BLOB_HEADER_LEN + 2 * BLOB_RECORD_STRIDE_V2) == 0);
  close(fd);
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_DAMAGED);
  /* gone */
  T_CHECK(unlink(path) == 0);
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_MISSING);
  /* not a blob at all */
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  T_CHECK(fd >= 0 && write(fd, "not a blob, just text long enough to hold a header......", 56) == 56);
  close(fd);
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_CHECK(r.verdict == BV_DAMAGED || r.verdict == BV_UNREADABLE);
  unlink(path);
  free(plain);
}

static void test_empty_blob_is_sound(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], none[1];
  char path[300], b2[65];
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  T_CHECK(make_blob("empty", id, dek, none, 0, path, sizeof path) == 0);
  hex_blake2b(none, 0, b2);
  struct blobverify_result r;
  blobverify_file(path, id, dek, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_OK);
  T_EQ_INT(r.size, 0);
  T_EQ_STR(r.blake2b, b2);
}

static void test_progress_pacing(void) {
  /* not a terminal: the first call, each new tenth, or the interval */
  struct blobverify_pace p = {false, 10, -1, 0};
  T_CHECK(blobverify_progress_due(&p, 0.0, 0, 1000));
  T_CHECK(!blobverify_progress_due(&p, 1.0, 50, 1000));
  T_CHECK(blobverify_progress_due(&p, 1.5, 100, 1000)); /* 10 % */
  T_CHECK(!blobverify_progress_due(&p, 2.0, 199, 1000));
  T_CHECK(blobverify_progress_due(&p, 12.0, 199, 1000)); /* 10 s */
  T_CHECK(!blobverify_progress_due(&p, 13.0, 199, 1000));
  T_CHECK(blobverify_progress_due(&p, 13.0, 1000, 1000)); /* done */
  T_CHECK(!blobverify_progress_due(&p, 13.1, 1000, 1000));
  /* nothing to do at all */
  struct blobverify_pace z = {false, 10, -1, 0};
  T_CHECK(blobverify_progress_due(&z, 0.0, 0, 0));
  T_CHECK(!blobverify_progress_due(&z, 1.0, 0, 0));
  /* a terminal: at most five lines a second, whatever the work */
  struct blobverify_pace t = {true, 10, -1, 0};
  T_CHECK(blobverify_progress_due(&t, 0.0, 0, 1000));
  T_CHECK(!blobverify_progress_due(&t, 0.1, 500, 1000));
  T_CHECK(blobverify_progress_due(&t, 0.25, 500, 1000));
}

static void test_progress_text(void) {
  char out[200];
  blobverify_bytes_text(out, sizeof out, 0);
  T_EQ_STR(out, "0 B");
  blobverify_bytes_text(out, sizeof out, 1023);
  T_EQ_STR(out, "1023 B");
  blobverify_bytes_text(out, sizeof out, 1536);
  T_EQ_STR(out, "1.5 KiB");
  blobverify_bytes_text(out, sizeof out, (uint64_t)3 << 30);
  T_EQ_STR(out, "3.0 GiB");
  blobverify_progress_text(out, sizeof out, 3, 12, (uint64_t)10 << 20, (uint64_t)40 << 20, 2.0);
  T_EQ_STR(out, "3/12 files, 10.0 MiB of 40.0 MiB, 5.0 MiB/s");
  blobverify_progress_text(out, sizeof out, 0, 0, 0, 0, 0.0);
  T_EQ_STR(out, "0/0 files, 0 B of 0 B, 0 B/s");
}

static void test_problem_count(void) {
  struct blobverify_report r = {0};
  T_EQ_INT(blobverify_problems(&r), 0);
  r.gone = 3; /* rows deleted while checking are not problems */
  T_EQ_INT(blobverify_problems(&r), 0);
  r.missing = 1;
  r.damaged = 1;
  r.unreadable = 1;
  r.mismatched = 1;
  r.key_failures = 1;
  r.foreign = 1;
  T_EQ_INT(blobverify_problems(&r), 6);
  r.unnamed = 4; /* orphans are reported, not problems */
  T_EQ_INT(blobverify_problems(&r), 6);
}


/* A row of digest kind 2 is compared with the records digest (which the
 * writer handed out), without hashing the plaintext; a kind-1 row with the
 * plaintext's BLAKE2b; each kind's value is wrong for the other kind. */
static void test_records_digest_rows(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], *plain = malloc(150000), d[BLOB_DIGEST_LEN];
  char path[300], staging[320], err[200], b2[65], rec[65];
  randombytes_buf(id, sizeof id);
  randombytes_buf(dek, sizeof dek);
  unsigned char seed[randombytes_SEEDBYTES] = {9};
  randombytes_buf_deterministic(plain, 150000, seed);
  snprintf(path, sizeof path, "%s/kind2", g_dir);
  snprintf(staging, sizeof staging, "%s.part", path);
  struct blob_writer *w = NULL;
  int have = 0;
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, err, sizeof err), 0);
  T_EQ_INT(blob_writer_append(w, plain, 150000, err, sizeof err), 0);
  T_EQ_INT(blob_writer_finish_digest(w, path, d, &have, err, sizeof err), 0);
  T_EQ_INT(have, 1);
  sodium_bin2hex(rec, sizeof rec, d, sizeof d);
  hex_blake2b(plain, 150000, b2);
  struct blobverify_result r;
  blobverify_file_digests(path, id, dek, false, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  T_EQ_INT(r.verdict, BV_OK);
  T_EQ_STR(r.records, rec);
  T_EQ_STR(r.blake2b, ""); /* not computed */
  struct blobverify_expect k2 = {150000, rec, "", BLOB_DIGEST_KIND_RECORDS}, k2_plain = {150000, b2, "", BLOB_DIGEST_KIND_RECORDS};
  T_EQ_INT(blobverify_compare(&r, &k2), 0);
  T_EQ_INT(blobverify_compare(&r, &k2_plain), BV_BAD_BLAKE2B);
  blobverify_file_digests(path, id, dek, true, false, g_buf, sizeof g_buf, NULL, NULL, &r);
  struct blobverify_expect k1 = {150000, b2, "", BLOB_DIGEST_KIND_PLAIN}, k1_rec = {150000, rec, "", BLOB_DIGEST_KIND_PLAIN};
  T_EQ_INT(blobverify_compare(&r, &k1), 0);
  T_EQ_INT(blobverify_compare(&r, &k1_rec), BV_BAD_BLAKE2B);
  T_EQ_INT(blobverify_compare(&r, &k2), 0);
  free(plain);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  snprintf(g_dir, sizeof g_dir, "/tmp/sop-bv-XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  T_RUN(test_sound_blob_gives_its_digests_and_size);
  T_RUN(test_compare_reports_each_difference);
  T_RUN(test_missing_flipped_cut_and_wrong_key);
  T_RUN(test_empty_blob_is_sound);
  T_RUN(test_records_digest_rows);
  T_RUN(test_progress_pacing);
  T_RUN(test_progress_text);
  T_RUN(test_problem_count);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return t_done();
}
