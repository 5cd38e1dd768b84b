/* Unit tests for server/store/blobfmt.c: the encrypted blob format, resumable
 * writing and the master key ring. Everything runs in a mkdtemp directory
 * under /tmp that is removed at the end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/blobfmt.h"
#include "t.h"
#include "../tools/blob_v1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* On-disk size of a full record in the format new files are written in (2). */
#define FULL_CT BLOB_RECORD_STRIDE_V2
#define V1_CT BLOB_RECORD_STRIDE_V1

static char g_dir[64];
static int g_seq;
static char errbuf[256];

static void path_in(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s-%d", g_dir, name, g_seq++);
}

static void fill_pattern(unsigned char *p, size_t n, uint64_t seed) {
  unsigned char s[randombytes_SEEDBYTES] = {0};
  memcpy(s, &seed, sizeof seed);
  randombytes_buf_deterministic(p, n, s);
}

static void new_id(unsigned char id[BLOB_ID_LEN]) { randombytes_buf(id, BLOB_ID_LEN); }

/* Appends n bytes of data in random-sized pieces (1..max_piece). */
static int append_random(struct blob_writer *w, const unsigned char *data, size_t n,
                         uint32_t max_piece) {
  size_t off = 0;
  while (off < n) {
    size_t piece = 1 + randombytes_uniform(max_piece);
    if (piece > n - off) piece = n - off;
    if (blob_writer_append(w, data + off, piece, errbuf, sizeof errbuf) != 0) return -1;
    off += piece;
  }
  return 0;
}

/* Writes a finished blob holding data; 0 on success. */
static int write_blob(const char *path, const unsigned char *id, const unsigned char *dek,
                      const unsigned char *data, size_t n) {
  struct blob_writer *w = NULL;
  char staging[300];
  snprintf(staging, sizeof staging, "%s.part", path);
  if (blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf) != 0) return -1;
  if (append_random(w, data, n, 100000) != 0) {
    blob_writer_abort(w);
    return -1;
  }
  return blob_writer_finish(w, path, errbuf, sizeof errbuf);
}

/* Reads a blob with random read sizes. Returns 0 when the end was verified,
 * -1 on open or read failure. *got = bytes returned; they are checked to be
 * a prefix of expect (never unauthenticated bytes). */
static int read_blob(const char *path, const unsigned char *id, const unsigned char *dek,
                     const unsigned char *expect, size_t expect_len, size_t *got, int *prefix_ok) {
  struct blob_reader *r = NULL;
  unsigned char *buf = malloc(3 * BLOB_RECORD);
  int rc = -1;
  *got = 0;
  *prefix_ok = 1;
  if (!buf) return -1;
  if (blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf) != 0) goto done;
  for (;;) {
    size_t cap = 1 + randombytes_uniform(3 * BLOB_RECORD);
    ssize_t n = blob_reader_read(r, buf, cap, errbuf, sizeof errbuf);
    if (n < 0) goto done;
    if (n == 0) break;
    if (*got + (size_t)n > expect_len || memcmp(buf, expect + *got, (size_t)n) != 0)
      *prefix_ok = 0;
    *got += (size_t)n;
  }
  rc = 0;
done:
  blob_reader_close(r);
  free(buf);
  return rc;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int read_file(const char *path, unsigned char **out, size_t *len) {
  long long sz = file_size(path);
  FILE *f = fopen(path, "rb");
  if (!f || sz < 0) {
    if (f) fclose(f);
    return -1;
  }
  *out = malloc((size_t)sz + 1);
  *len = fread(*out, 1, (size_t)sz, f);
  fclose(f);
  return *len == (size_t)sz ? 0 : -1;
}

static int write_file(const char *path, const unsigned char *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(p, 1, n, f);
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static int contains(const unsigned char *hay, size_t n, const char *needle) {
  return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* ------------------------------------------------------------------ tests */

static void test_disk_sizes(void) {
  const size_t H = BLOB_HEADER_LEN;
  /* Format 2: every record is nonce(24) || ciphertext || tag(16). */
  T_EQ_INT(H, 48);
  T_EQ_INT(FULL_CT, 65576);
  T_EQ_INT(blob_disk_size_final(0), H + 40);
  T_EQ_INT(blob_disk_size_final(1), H + 41);
  T_EQ_INT(blob_disk_size_final(65536), H + 65576);
  T_EQ_INT(blob_disk_size_final(65537), H + 65576 + 41);
  T_EQ_INT(blob_disk_size_final(3 * 65536), H + 3 * 65576);
  T_EQ_INT(blob_disk_size_staging(0), H);
  T_EQ_INT(blob_disk_size_staging(1), H);
  T_EQ_INT(blob_disk_size_staging(65536), H);
  T_EQ_INT(blob_disk_size_staging(65537), H + 65576);
  T_EQ_INT(blob_disk_size_staging(2 * 65536), H + 65576);
  T_EQ_INT(blob_disk_size_staging(2 * 65536 + 1), H + 2 * 65576);
}

static void test_roundtrip_sizes(void) {
  const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 1024 * 1024 + 7};
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i], got = 0;
    int ok = 0;
    unsigned char *data = malloc(n + 1);
    char path[300];
    struct blob_writer *w = NULL;
    fill_pattern(data, n, i + 1);
    new_id(id);
    T_EQ_INT(blob_dek_new(dek), 0);
    path_in(path, sizeof path, "rt");
    char staging[310];
    snprintf(staging, sizeof staging, "%s.part", path);
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    /* Small pieces for small files so several appends happen. */
    T_EQ_INT(append_random(w, data, n, n < 1000 ? 7 : 100000), 0);
    T_EQ_INT(blob_writer_offset(w), n);
    /* The staging file holds only full non-final records. */
    T_EQ_INT(file_size(staging), blob_disk_size_staging(n));
    T_EQ_INT(blob_writer_finish(w, path, errbuf, sizeof errbuf), 0);
    T_EQ_INT(file_size(staging), -1);
    T_EQ_INT(file_size(path), blob_disk_size_final(n));
    struct blob_reader *r = NULL;
    T_EQ_INT(blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf), 0);
    T_EQ_INT(blob_reader_size(r), n);
    blob_reader_close(r);
    T_EQ_INT(read_blob(path, id, dek, data, n, &got, &ok), 0);
    T_EQ_INT(got, n);
    T_CHECK(ok);
    free(data);
  }
}

static void test_read_small_caps(void) {
  /* One byte at a time across a record boundary, then 0 forever. */
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], data[65540], b;
  char path[300];
  new_id(id);
  blob_dek_new(dek);
  fill_pattern(data, sizeof data, 99);
  path_in(path, sizeof path, "caps");
  T_EQ_INT(write_blob(path, id, dek, data, sizeof data), 0);
  struct blob_reader *r = NULL;
  T_EQ_INT(blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf), 0);
  int same = 1;
  for (size_t i = 0; i < sizeof data; i++) {
    if (blob_reader_read(r, &b, 1, errbuf, sizeof errbuf) != 1 || b != data[i]) same = 0;
  }
  T_CHECK(same);
  T_EQ_INT(blob_reader_read(r, &b, 1, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_read(r, &b, 1, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_read(r, &b, 0, errbuf, sizeof errbuf), 0);
  blob_reader_close(r);
}

static void test_seek(void) {
  /* Random access for the ZIP census: any offset, across records, in any order. */
  enum { N = 3 * 65536 + 1234 };
  static unsigned char data[N];
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], buf[300];
  char path[300];
  new_id(id);
  blob_dek_new(dek);
  fill_pattern(data, sizeof data, 7);
  path_in(path, sizeof path, "seek");
  T_EQ_INT(write_blob(path, id, dek, data, sizeof data), 0);
  struct blob_reader *r = NULL;
  T_EQ_INT(blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf), 0);
  static const uint64_t offs[] = {N - 100, 0, 65536 - 150, 65536, 2 * 65536 + 17, 65536 - 1, 3 * 65536, N - 300};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    size_t want = N - offs[i] < sizeof buf ? (size_t)(N - offs[i]) : sizeof buf;
    T_EQ_INT(blob_reader_seek(r, offs[i], errbuf, sizeof errbuf), 0);
    size_t got = 0;
    while (got < want) {
      ssize_t n = blob_reader_read(r, buf + got, want - got, errbuf, sizeof errbuf);
      if (n <= 0) break;
      got += (size_t)n;
    }
    T_EQ_INT(got, want);
    T_CHECK(memcmp(buf, data + offs[i], want) == 0);
  }
  T_EQ_INT(blob_reader_seek(r, N, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_read(r, buf, 1, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_seek(r, N + 1, errbuf, sizeof errbuf), -1);
  blob_reader_close(r);
}

static void test_resume_after_crash(void) {
  /* Several checkpoint positions, including offsets on record boundaries. */
  const size_t cps[] = {0, 1, 65536, 65537, 2 * 65536, 200000};
  const size_t total = 5 * 65536 + 123;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(total);
  fill_pattern(data, total, 7);
  for (size_t k = 0; k < sizeof cps / sizeof cps[0]; k++) {
    size_t cp = cps[k], got = 0;
    int ok = 0;
    char staging[300], final[300];
    struct blob_writer *w = NULL;
    unsigned char *tail = NULL;
    size_t tail_len = 0;
    new_id(id);
    blob_dek_new(dek);
    path_in(staging, sizeof staging, "resume.part");
    path_in(final, sizeof final, "resume");
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    T_EQ_INT(append_random(w, data, cp, 30000), 0);
    T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
    T_EQ_INT(tail_len, BLOB_SEALED_TAIL_OVERHEAD + (cp - (cp ? (cp - 1) / 65536 * 65536 : 0)));
    uint64_t committed = blob_writer_offset(w);
    T_EQ_INT(committed, cp);
    /* Unacknowledged data, then a crash (the writer is dropped). */
    T_EQ_INT(append_random(w, data + cp, total - cp, 50000), 0);
    T_CHECK(file_size(staging) > (long long)blob_disk_size_staging(committed));
    blob_writer_abort(w);
    w = NULL;
    /* Resume with a tail sealed for another offset fails. */
    if (cp > 0) {
      T_EQ_INT(blob_writer_resume(staging, id, dek, committed + 1, tail, tail_len + 1, &w,
                                  errbuf, sizeof errbuf),
               -1);
      T_CHECK(w == NULL);
    }
    T_EQ_INT(blob_writer_resume(staging, id, dek, committed, tail, tail_len, &w, errbuf,
                                sizeof errbuf),
             0);
    T_CHECK(w != NULL);
    if (!w) break;
    T_EQ_INT(file_size(staging), blob_disk_size_staging(committed));
    T_EQ_INT(blob_writer_offset(w), committed);
    T_EQ_INT(append_random(w, data + cp, total - cp, 40000), 0);
    T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
    T_EQ_INT(read_blob(final, id, dek, data, total, &got, &ok), 0);
    T_EQ_INT(got, total);
    T_CHECK(ok);
    free(tail);
  }
  free(data);
}

/* A failed PATCH: blob_writer_abort_to cuts the unacknowledged records at
 * once (not at the next resume), leaves a file that is not longer alone, and
 * the upload resumes and finishes from the committed offset. */
static void test_abort_to_cuts_unacknowledged(void) {
  const size_t cps[] = {0, 1, 65536, 65537, 200000};
  const size_t total = 5 * 65536 + 77;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(total);
  fill_pattern(data, total, 11);
  for (size_t k = 0; k < sizeof cps / sizeof cps[0]; k++) {
    size_t cp = cps[k], got = 0;
    int ok = 0;
    char staging[300], final[300];
    struct blob_writer *w = NULL;
    unsigned char *tail = NULL;
    size_t tail_len = 0;
    new_id(id);
    blob_dek_new(dek);
    path_in(staging, sizeof staging, "abortto.part");
    path_in(final, sizeof final, "abortto");
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    T_EQ_INT(append_random(w, data, cp, 30000), 0);
    T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
    /* nothing after the commit: the file stays as it is */
    T_EQ_INT(blob_writer_abort_to(w, cp, errbuf, sizeof errbuf), 0);
    T_EQ_INT(file_size(staging), blob_disk_size_staging(cp));
    w = NULL;
    T_EQ_INT(blob_writer_resume(staging, id, dek, cp, tail, tail_len, &w, errbuf, sizeof errbuf), 0);
    if (!w) break;
    /* up to three records and more that are never acknowledged */
    size_t extra = total - cp < 3 * 65536 + 5 ? total - cp : 3 * 65536 + 5;
    T_EQ_INT(append_random(w, data + cp, extra, 20000), 0);
    T_CHECK(file_size(staging) > (long long)blob_disk_size_staging(cp));
    T_EQ_INT(blob_writer_abort_to(w, cp, errbuf, sizeof errbuf), 0);
    w = NULL;
    T_EQ_INT(file_size(staging), blob_disk_size_staging(cp));
    T_EQ_INT(blob_writer_resume(staging, id, dek, cp, tail, tail_len, &w, errbuf, sizeof errbuf), 0);
    if (!w) break;
    T_EQ_INT(append_random(w, data + cp, total - cp, 40000), 0);
    T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
    T_EQ_INT(read_blob(final, id, dek, data, total, &got, &ok), 0);
    T_EQ_INT(got, total);
    T_CHECK(ok);
    free(tail);
  }
  T_EQ_INT(blob_writer_abort_to(NULL, 0, errbuf, sizeof errbuf), 0);
  free(data);
}

static void test_resume_rejects(void) {
  unsigned char id[BLOB_ID_LEN], other[BLOB_ID_LEN], dek[BLOB_DEK_LEN], dek2[BLOB_DEK_LEN];
  unsigned char data[3 * 65536];
  char staging[300];
  struct blob_writer *w = NULL;
  unsigned char *tail = NULL;
  size_t tail_len = 0;
  new_id(id);
  new_id(other);
  blob_dek_new(dek);
  blob_dek_new(dek2);
  fill_pattern(data, sizeof data, 3);
  path_in(staging, sizeof staging, "rej.part");
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_append(w, data, 2 * 65536 + 10, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
  uint64_t off = blob_writer_offset(w);
  blob_writer_abort(w);
  w = NULL;
  /* Wrong DEK, wrong file id, corrupt tail, wrong tail length. */
  T_EQ_INT(blob_writer_resume(staging, id, dek2, off, tail, tail_len, &w, errbuf, sizeof errbuf), -1);
  T_EQ_INT(blob_writer_resume(staging, other, dek, off, tail, tail_len, &w, errbuf, sizeof errbuf), -1);
  tail[tail_len - 1] ^= 1;
  T_EQ_INT(blob_writer_resume(staging, id, dek, off, tail, tail_len, &w, errbuf, sizeof errbuf), -1);
  tail[tail_len - 1] ^= 1;
  T_EQ_INT(blob_writer_resume(staging, id, dek, off, tail, tail_len - 1, &w, errbuf, sizeof errbuf), -1);
  T_EQ_INT(blob_writer_resume(staging, id, dek, off, NULL, 0, &w, errbuf, sizeof errbuf), -1);
  /* Corrupt last full record. */
  int fd = open(staging, O_RDWR);
  unsigned char b;
  T_EQ_INT(pread(fd, &b, 1, BLOB_HEADER_LEN + FULL_CT + 5), 1);
  b ^= 0x80;
  T_EQ_INT(pwrite(fd, &b, 1, BLOB_HEADER_LEN + FULL_CT + 5), 1);
  T_EQ_INT(blob_writer_resume(staging, id, dek, off, tail, tail_len, &w, errbuf, sizeof errbuf), -1);
  b ^= 0x80;
  T_EQ_INT(pwrite(fd, &b, 1, BLOB_HEADER_LEN + FULL_CT + 5), 1);
  /* File shorter than the offset needs. */
  T_EQ_INT(ftruncate(fd, BLOB_HEADER_LEN + FULL_CT + 100), 0);
  close(fd);
  T_EQ_INT(blob_writer_resume(staging, id, dek, off, tail, tail_len, &w, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "shorter") != NULL);
  T_CHECK(w == NULL);
  /* Nothing was truncated by the failed attempts. */
  T_EQ_INT(file_size(staging), BLOB_HEADER_LEN + FULL_CT + 100);
  /* Offset 0 without a tail works on a header-only file. */
  char s2[300];
  path_in(s2, sizeof s2, "zero.part");
  T_EQ_INT(blob_writer_create(s2, id, dek, &w, errbuf, sizeof errbuf), 0);
  blob_writer_abort(w);
  w = NULL;
  T_EQ_INT(blob_writer_resume(s2, id, dek, 0, NULL, 0, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_offset(w), 0);
  blob_writer_abort(w);
  /* create refuses an existing path. */
  w = NULL;
  T_EQ_INT(blob_writer_create(s2, id, dek, &w, errbuf, sizeof errbuf), -1);
  T_EQ_INT(errno, EEXIST);
  T_CHECK(file_size(s2) == BLOB_HEADER_LEN);
  free(tail);
}

static void test_wrong_dek_and_id(void) {
  unsigned char id[BLOB_ID_LEN], id2[BLOB_ID_LEN], dek[BLOB_DEK_LEN], dek2[BLOB_DEK_LEN];
  unsigned char data[1000];
  char path[300];
  size_t got;
  int ok;
  new_id(id);
  new_id(id2);
  blob_dek_new(dek);
  blob_dek_new(dek2);
  fill_pattern(data, sizeof data, 5);
  path_in(path, sizeof path, "wd");
  T_EQ_INT(write_blob(path, id, dek, data, sizeof data), 0);
  T_EQ_INT(read_blob(path, id, dek2, data, sizeof data, &got, &ok), -1);
  T_EQ_INT(got, 0);
  T_EQ_INT(read_blob(path, id2, dek, data, sizeof data, &got, &ok), -1);
  T_EQ_INT(got, 0);
  T_EQ_INT(read_blob(path, id, dek, data, sizeof data, &got, &ok), 0);
}

/* A 3-record blob (2 full + final of 100 bytes) for the tamper tests. */
#define TAMPER_LEN (2 * 65536 + 100)

static void tamper_expect_fail(const char *what, const unsigned char *raw, size_t raw_len,
                               const unsigned char *id, const unsigned char *dek,
                               const unsigned char *data) {
  char path[300];
  size_t got = 0;
  int ok = 0;
  path_in(path, sizeof path, "tamper");
  T_EQ_INT(write_file(path, raw, raw_len), 0);
  int rc = read_blob(path, id, dek, data, TAMPER_LEN, &got, &ok);
  if (rc != -1) fprintf(stderr, "  tamper case not detected: %s\n", what);
  T_EQ_INT(rc, -1);
  T_CHECK(ok); /* anything returned before the failure was genuine */
  T_CHECK(got < TAMPER_LEN);
  unlink(path);
}

static void test_tamper(void) {
  unsigned char id[BLOB_ID_LEN], id2[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  unsigned char *data = malloc(TAMPER_LEN), *raw = NULL, *raw2 = NULL, *t = NULL;
  size_t raw_len = 0, raw2_len = 0;
  char p1[300], p2[300];
  new_id(id);
  new_id(id2);
  blob_dek_new(dek);
  fill_pattern(data, TAMPER_LEN, 11);
  path_in(p1, sizeof p1, "orig");
  path_in(p2, sizeof p2, "other");
  T_EQ_INT(write_blob(p1, id, dek, data, TAMPER_LEN), 0);
  /* Same DEK, same size, other file id (and nonce prefix). */
  T_EQ_INT(write_blob(p2, id2, dek, data, TAMPER_LEN), 0);
  T_EQ_INT(read_file(p1, &raw, &raw_len), 0);
  T_EQ_INT(read_file(p2, &raw2, &raw2_len), 0);
  T_EQ_INT(raw_len, blob_disk_size_final(TAMPER_LEN));
  t = malloc(raw_len + FULL_CT + 64);
  const size_t H = BLOB_HEADER_LEN;
  const size_t r0 = H, r1 = H + FULL_CT, r2 = H + 2 * FULL_CT;

  /* Bit flips: header fields, start/middle/tag of each record. */
  /* r0, r0 + 23, r1 + 5, r2 + 23: bytes of stored nonces; 40: the reserved
   * header field. */
  const size_t flips[] = {0, 9, 14, 20, 40, H - 1, r0, r0 + 23, r0 + 30000, r1 - 1, r1, r1 + 5,
                          r1 + 65535, r2 - 1, r2, r2 + 23, r2 + 50, raw_len - 1};
  for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
    memcpy(t, raw, raw_len);
    t[flips[i]] ^= (unsigned char)(1u << (i % 8));
    tamper_expect_fail("bit flip", t, raw_len, id, dek, data);
  }
  /* Truncations: the last byte, most of the final record, the whole final
   * record, into the previous record, down to the header. */
  /* (the final record is 24 + 100 + 16 = 140 bytes) */
  const size_t cuts[] = {1, 16, 24, 40, 100, 139, 140, 141, 5000, 140 + FULL_CT, raw_len - H,
                         raw_len - H + 1, raw_len};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
    tamper_expect_fail("truncation", raw, raw_len - cuts[i], id, dek, data);
  /* Dropping record 0 or record 1. */
  memcpy(t, raw, r0);
  memcpy(t + r0, raw + r1, raw_len - r1);
  tamper_expect_fail("drop record 0", t, raw_len - FULL_CT, id, dek, data);
  memcpy(t, raw, r1);
  memcpy(t + r1, raw + r2, raw_len - r2);
  tamper_expect_fail("drop record 1", t, raw_len - FULL_CT, id, dek, data);
  /* Swapping records 0 and 1. */
  memcpy(t, raw, raw_len);
  memcpy(t + r0, raw + r1, FULL_CT);
  memcpy(t + r1, raw + r0, FULL_CT);
  tamper_expect_fail("swap records", t, raw_len, id, dek, data);
  /* Duplicating record 0 in place of record 1. */
  memcpy(t, raw, raw_len);
  memcpy(t + r1, raw + r0, FULL_CT);
  tamper_expect_fail("duplicate record", t, raw_len, id, dek, data);
  /* Trailing garbage: 1 byte, a tag's worth, a whole record's worth, and a
   * copy of the final record. */
  const size_t extra[] = {1, 16, 24, 40, FULL_CT, 140};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
    memcpy(t, raw, raw_len);
    if (i == 5) memcpy(t + raw_len, raw + r2, 140);
    else randombytes_buf(t + raw_len, extra[i]);
    tamper_expect_fail("trailing garbage", t, raw_len + extra[i], id, dek, data);
  }
  /* Splicing: record 1 (and the final record) from the other file. */
  memcpy(t, raw, raw_len);
  memcpy(t + r1, raw2 + r1, FULL_CT);
  tamper_expect_fail("splice record", t, raw_len, id, dek, data);
  memcpy(t, raw, raw_len);
  memcpy(t + r2, raw2 + r2, raw_len - r2);
  tamper_expect_fail("splice final", t, raw_len, id, dek, data);
  /* The other file's header with our records (and vice versa). */
  memcpy(t, raw, raw_len);
  memcpy(t, raw2, H);
  tamper_expect_fail("foreign header", t, raw_len, id2, dek, data);
  /* The untouched file still reads. */
  size_t got;
  int ok;
  T_EQ_INT(read_blob(p1, id, dek, data, TAMPER_LEN, &got, &ok), 0);
  T_EQ_INT(got, TAMPER_LEN);
  T_CHECK(ok);
  free(t);
  free(raw);
  free(raw2);
  free(data);
}

static void test_no_plaintext_on_disk(void) {
  const char *marker = "PATIENT-MARKER-Jane-Doe-DICM-%PDF";
  size_t mlen = strlen(marker), n = 4 * 65536 + 500;
  unsigned char *data = malloc(n), *raw = NULL;
  size_t raw_len = 0;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  char staging[300], final[300];
  for (size_t i = 0; i < n; i++) data[i] = (unsigned char)marker[i % mlen];
  new_id(id);
  blob_dek_new(dek);
  path_in(staging, sizeof staging, "marker.part");
  path_in(final, sizeof final, "marker");
  struct blob_writer *w = NULL;
  unsigned char *tail = NULL;
  size_t tail_len = 0;
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(append_random(w, data, n, 20000), 0);
  T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
  T_EQ_INT(read_file(staging, &raw, &raw_len), 0);
  T_CHECK(!contains(raw, raw_len, "PATIENT-MARKER"));
  T_CHECK(!contains(raw, raw_len, "Jane-Doe"));
  T_CHECK(!contains(tail, tail_len, "PATIENT-MARKER"));
  free(raw);
  T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
  T_EQ_INT(read_file(final, &raw, &raw_len), 0);
  T_CHECK(!contains(raw, raw_len, "PATIENT-MARKER"));
  T_CHECK(!contains(raw, raw_len, "DICM"));
  T_CHECK(!contains(raw, raw_len, "Jane-Doe"));
  free(raw);
  free(tail);
  free(data);
}

static void test_append_error_restores(void) {
  /* RLIMIT_FSIZE makes pwrite fail with EFBIG mid-append, standing in for
   * ENOSPC: the file and the writer must be as before the call. */
  const size_t n = 6 * 65536 + 17;
  unsigned char *data = malloc(n);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  char staging[300], final[300];
  struct blob_writer *w = NULL;
  struct rlimit old, lim;
  size_t got;
  int ok;
  fill_pattern(data, n, 21);
  new_id(id);
  blob_dek_new(dek);
  path_in(staging, sizeof staging, "efbig.part");
  path_in(final, sizeof final, "efbig");
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_append(w, data, 65536 + 300, errbuf, sizeof errbuf), 0);
  long long size0 = file_size(staging);
  T_EQ_INT(size0, BLOB_HEADER_LEN + FULL_CT);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = (rlim_t)(BLOB_HEADER_LEN + 2 * FULL_CT + 1000); /* room for one more record */
  T_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
  errno = 0;
  int rc = blob_writer_append(w, data + 65536 + 300, 4 * 65536, errbuf, sizeof errbuf);
  int e = errno;
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, prev);
  T_EQ_INT(rc, -1);
  T_EQ_INT(e, EFBIG);
  T_CHECK(strstr(errbuf, "File too large") != NULL);
  T_EQ_INT(file_size(staging), size0);
  T_EQ_INT(blob_writer_offset(w), 65536 + 300);
  /* Continue as if the client retried from the unchanged offset. */
  T_EQ_INT(append_random(w, data + 65536 + 300, n - 65536 - 300, 70000), 0);
  T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
  T_EQ_INT(read_blob(final, id, dek, data, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  free(data);
}

static void test_finish_no_replace(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], d[10] = {0};
  char path[300], staging[300];
  struct blob_writer *w = NULL;
  new_id(id);
  blob_dek_new(dek);
  path_in(path, sizeof path, "exists");
  T_EQ_INT(write_file(path, (const unsigned char *)"keep", 4), 0);
  path_in(staging, sizeof staging, "exists.part");
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_append(w, d, sizeof d, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_finish(w, path, errbuf, sizeof errbuf), -1);
  T_EQ_INT(file_size(path), 4);
  T_CHECK(file_size(staging) > 0);
}


/* ---------------------------------------------------------------- keyring */

/* ------------------------------------------------- format 1 and reseal */

static uint32_t header_format(const char *path) {
  uint32_t f = 0;
  return blob_file_format(path, &f, errbuf, sizeof errbuf) == 0 ? f : 0;
}

static void test_v2_layout_and_nonces(void) {
  /* 3 full records + a final one: the header says format 2 with a zero
   * reserved field, and the four stored nonces are all different and not
   * the old prefix || index form. */
  const size_t n = 3 * 65536 + 5;
  unsigned char *data = malloc(n), *raw = NULL;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], zero[16] = {0};
  size_t raw_len = 0;
  char path[300];
  new_id(id);
  blob_dek_new(dek);
  fill_pattern(data, n, 31);
  path_in(path, sizeof path, "v2");
  T_EQ_INT(write_blob(path, id, dek, data, n), 0);
  T_EQ_INT(header_format(path), 2);
  T_EQ_INT(read_file(path, &raw, &raw_len), 0);
  T_EQ_INT(raw_len, blob_disk_size_final(n));
  T_CHECK(memcmp(raw, "SOPBLOB1", 8) == 0);
  T_CHECK(raw[8] == 0 && raw[9] == 0 && raw[10] == 0 && raw[11] == 2);
  T_CHECK(memcmp(raw + 16, id, BLOB_ID_LEN) == 0);
  T_CHECK(memcmp(raw + 32, zero, 16) == 0);
  const unsigned char *nonces[4];
  for (int i = 0; i < 4; i++) nonces[i] = raw + BLOB_HEADER_LEN + (size_t)i * FULL_CT;
  for (int i = 0; i < 4; i++)
    for (int j = i + 1; j < 4; j++) T_CHECK(memcmp(nonces[i], nonces[j], BLOB_NONCE_LEN) != 0);
  /* prefix || u64 index would share the first 16 bytes */
  T_CHECK(memcmp(nonces[0], nonces[1], 16) != 0);
  size_t got;
  int ok;
  T_EQ_INT(read_blob(path, id, dek, data, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  free(raw);
  free(data);
}

/* Reads the stored nonce of record idx of a format-2 file. */
static int read_nonce(const char *path, uint64_t idx, unsigned char out[BLOB_NONCE_LEN]) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = pread(fd, out, BLOB_NONCE_LEN, (off_t)(BLOB_HEADER_LEN + idx * FULL_CT));
  close(fd);
  return n == BLOB_NONCE_LEN ? 0 : -1;
}

static void test_resent_bytes_get_fresh_nonce(void) {
  /* The case: offset 10 is acknowledged; the client sends bytes A
   * that fill record 0 (sealed to disk) but are never acknowledged (a crash,
   * or a PATCH refused for a wrong checksum); it then resends different
   * bytes B for the same offset. Record 0 is sealed twice with different
   * plaintext: the two nonces must differ. Repeated over several restarts. */
  const size_t n = 65536 + 500;
  unsigned char *a = malloc(n), *b = malloc(n);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], seen[6][BLOB_NONCE_LEN];
  unsigned char *tail = NULL;
  size_t tail_len = 0;
  char staging[300], final[300];
  struct blob_writer *w = NULL;
  new_id(id);
  blob_dek_new(dek);
  fill_pattern(a, n, 41);
  path_in(staging, sizeof staging, "resend.part");
  path_in(final, sizeof final, "resend");
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_append(w, a, 10, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
  for (int round = 0; round < 6; round++) {
    memcpy(b, a, 10);
    fill_pattern(b + 10, n - 10, 100 + (uint64_t)round); /* different bytes each time */
    if (round > 0) {
      T_EQ_INT(blob_writer_resume(staging, id, dek, 10, tail, tail_len, &w, errbuf, sizeof errbuf), 0);
      T_EQ_INT(file_size(staging), BLOB_HEADER_LEN); /* the unacknowledged record is gone */
    }
    T_EQ_INT(blob_writer_append(w, b + 10, n - 10, errbuf, sizeof errbuf), 0);
    T_EQ_INT(file_size(staging), BLOB_HEADER_LEN + FULL_CT); /* record 0 sealed to disk */
    T_EQ_INT(read_nonce(staging, 0, seen[round]), 0);
    if (round < 5) blob_writer_abort(w); /* not acknowledged: crash */
    w = round < 5 ? NULL : w;
  }
  for (int i = 0; i < 6; i++)
    for (int j = i + 1; j < 6; j++) T_CHECK(memcmp(seen[i], seen[j], BLOB_NONCE_LEN) != 0);
  /* The last round's bytes are what the finished file holds. */
  T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
  size_t got;
  int ok;
  T_EQ_INT(read_blob(final, id, dek, b, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  free(tail);
  free(a);
  free(b);
}

static void test_v1_still_reads(void) {
  const size_t sizes[] = {0, 1, 65535, 65536, 65537, 2 * 65536 + 100};
  unsigned char *data = malloc(3 * 65536);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  fill_pattern(data, 3 * 65536, 51);
  blob_dek_new(dek);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char path[300];
    size_t got;
    int ok;
    new_id(id);
    path_in(path, sizeof path, "v1");
    T_EQ_INT(blob_v1_write(path, id, dek, data, sizes[i], 1), 0);
    T_EQ_INT(header_format(path), 1);
    T_EQ_INT(read_blob(path, id, dek, data, sizes[i], &got, &ok), 0);
    T_EQ_INT(got, sizes[i]);
    T_CHECK(ok);
  }
  /* Random access on a v1 file: seek into record 1, read across into 2. */
  char path[300];
  new_id(id);
  path_in(path, sizeof path, "v1seek");
  T_EQ_INT(blob_v1_write(path, id, dek, data, 2 * 65536 + 100, 1), 0);
  struct blob_reader *r = NULL;
  unsigned char buf[200];
  T_EQ_INT(blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_size(r), 2 * 65536 + 100);
  T_EQ_INT(blob_reader_seek(r, 2 * 65536 - 50, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_reader_read(r, buf, sizeof buf, errbuf, sizeof errbuf), 150);
  T_CHECK(memcmp(buf, data + 2 * 65536 - 50, 150) == 0);
  T_EQ_INT(blob_reader_read(r, buf, sizeof buf, errbuf, sizeof errbuf), 0);
  blob_reader_close(r);
  /* Tampering with a v1 file is still detected: swapped records, a cut. */
  unsigned char *raw = NULL, *t = NULL;
  size_t raw_len = 0, got;
  int ok;
  T_EQ_INT(read_file(path, &raw, &raw_len), 0);
  t = malloc(raw_len);
  memcpy(t, raw, raw_len);
  memcpy(t + BLOB_HEADER_LEN, raw + BLOB_HEADER_LEN + V1_CT, V1_CT);
  memcpy(t + BLOB_HEADER_LEN + V1_CT, raw + BLOB_HEADER_LEN, V1_CT);
  char tp[300];
  path_in(tp, sizeof tp, "v1tamper");
  T_EQ_INT(write_file(tp, t, raw_len), 0);
  T_EQ_INT(read_blob(tp, id, dek, data, 2 * 65536 + 100, &got, &ok), -1);
  T_EQ_INT(write_file(tp, raw, raw_len - 116), 0);
  T_EQ_INT(read_blob(tp, id, dek, data, 2 * 65536 + 100, &got, &ok), -1);
  /* An unknown format number is refused. */
  memcpy(t, raw, raw_len);
  t[11] = 3;
  T_EQ_INT(write_file(tp, t, raw_len), 0);
  T_EQ_INT(blob_reader_open(tp, id, dek, &r, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "format") != NULL);
  /* A v1 file claiming format 2 does not read (layout differs). */
  t[11] = 2;
  T_EQ_INT(write_file(tp, t, raw_len), 0);
  T_EQ_INT(read_blob(tp, id, dek, data, 2 * 65536 + 100, &got, &ok), -1);
  free(t);
  free(raw);
  free(data);
}

static void test_v1_staging_resumes(void) {
  /* An upload begun in format 1 before the upgrade: its staging file holds
   * one v1 record (plus an unacknowledged one), the database a sealed tail
   * of 10 bytes. Resuming rewrites it as format 2, so what the client sends
   * next is sealed under random nonces; it finishes into a readable file. */
  const size_t n = 2 * 65536 + 7;
  unsigned char *data = malloc(n);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], nonce[24], ad[4 + BLOB_ID_LEN + 8];
  unsigned char sealed[BLOB_SEALED_TAIL_OVERHEAD + 10];
  char staging[300], final[300];
  struct blob_writer *w = NULL;
  new_id(id);
  blob_dek_new(dek);
  fill_pattern(data, n, 61);
  path_in(staging, sizeof staging, "v1stage.part");
  path_in(final, sizeof final, "v1stage");
  T_EQ_INT(blob_v1_write(staging, id, dek, data, 2 * 65536, 0), 0);
  T_EQ_INT(file_size(staging), BLOB_HEADER_LEN + 2 * V1_CT);
  randombytes_buf(nonce, sizeof nonce);
  memcpy(ad, "tail", 4);
  memcpy(ad + 4, id, BLOB_ID_LEN);
  blob_v1_be64(ad + 4 + BLOB_ID_LEN, 65536 + 10);
  memcpy(sealed, nonce, 24);
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + 24, NULL, data + 65536, 10, ad, sizeof ad, NULL, nonce, dek);
  T_EQ_INT(blob_writer_resume(staging, id, dek, 65536 + 10, sealed, sizeof sealed, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_offset(w), 65536 + 10);
  T_EQ_INT(header_format(staging), 2);
  T_EQ_INT(file_size(staging), blob_disk_size_staging(65536 + 10));
  char leftover[320];
  snprintf(leftover, sizeof leftover, "%s.v2tmp", staging);
  T_EQ_INT(file_size(leftover), -1);
  T_EQ_INT(blob_writer_append(w, data + 65536 + 10, n - 65536 - 10, errbuf, sizeof errbuf), 0);
  unsigned char n0[BLOB_NONCE_LEN], n1[BLOB_NONCE_LEN];
  T_EQ_INT(read_nonce(staging, 0, n0), 0);
  T_EQ_INT(read_nonce(staging, 1, n1), 0);
  T_CHECK(memcmp(n0, n1, 16) != 0); /* not prefix || index */
  T_EQ_INT(blob_writer_finish(w, final, errbuf, sizeof errbuf), 0);
  T_EQ_INT(header_format(final), 2);
  size_t got;
  int ok;
  T_EQ_INT(read_blob(final, id, dek, data, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  /* nothing left for reseal */
  char tmp[320];
  snprintf(tmp, sizeof tmp, "%s.reseal", final);
  T_EQ_INT(blob_reseal(final, tmp, id, dek, NULL, errbuf, sizeof errbuf), 1);
  /* A damaged format-1 staging record: resume fails, the file stays. */
  char s2[300];
  path_in(s2, sizeof s2, "v1stage-bad.part");
  T_EQ_INT(blob_v1_write(s2, id, dek, data, 2 * 65536, 0), 0);
  int fd = open(s2, O_RDWR);
  unsigned char b = 0;
  T_EQ_INT(pread(fd, &b, 1, BLOB_HEADER_LEN + 1000), 1);
  b ^= 0x55;
  T_EQ_INT(pwrite(fd, &b, 1, BLOB_HEADER_LEN + 1000), 1); /* record 0; resume checks only the last one */
  close(fd);
  w = NULL;
  T_EQ_INT(blob_writer_resume(s2, id, dek, 65536 + 10, sealed, sizeof sealed, &w, errbuf, sizeof errbuf), -1);
  T_CHECK(w == NULL);
  T_EQ_INT(header_format(s2), 1);
  T_EQ_INT(file_size(s2), BLOB_HEADER_LEN + 2 * V1_CT);
  snprintf(leftover, sizeof leftover, "%s.v2tmp", s2);
  T_EQ_INT(file_size(leftover), -1);
  free(data);
}

static void test_reseal(void) {
  const size_t n = 3 * 65536 + 123;
  unsigned char *data = malloc(n), *before = NULL, *after = NULL;
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], dek2[BLOB_DEK_LEN];
  size_t before_len = 0, after_len = 0, got;
  uint64_t plain = 0;
  int ok;
  char path[300], tmp[320];
  new_id(id);
  blob_dek_new(dek);
  blob_dek_new(dek2);
  fill_pattern(data, n, 71);
  path_in(path, sizeof path, "reseal");
  snprintf(tmp, sizeof tmp, "%s.reseal", path);
  T_EQ_INT(blob_v1_write(path, id, dek, data, n, 1), 0);

  /* Interrupted earlier: a partial copy left as the temp file. */
  T_EQ_INT(write_file(tmp, (const unsigned char *)"partial", 7), 0);
  T_EQ_INT(blob_reseal(path, tmp, id, dek, &plain, errbuf, sizeof errbuf), 0);
  T_EQ_INT(plain, n);
  T_EQ_INT(file_size(tmp), -1);
  T_EQ_INT(header_format(path), 2);
  T_EQ_INT(file_size(path), blob_disk_size_final(n));
  T_EQ_INT(read_blob(path, id, dek, data, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  struct stat st;
  T_EQ_INT(stat(path, &st), 0);
  T_EQ_INT(st.st_mode & 0777, 0600);

  /* Idempotent: a second run leaves the file byte for byte. */
  T_EQ_INT(read_file(path, &before, &before_len), 0);
  T_EQ_INT(blob_reseal(path, tmp, id, dek, &plain, errbuf, sizeof errbuf), 1);
  T_EQ_INT(read_file(path, &after, &after_len), 0);
  T_EQ_INT(before_len, after_len);
  T_CHECK(memcmp(before, after, before_len) == 0);
  free(after);
  after = NULL;

  /* Killed right after the exchange: the old v1 file is the temp file; the
   * rerun removes it and leaves the v2 file alone. */
  T_EQ_INT(blob_v1_write(tmp, id, dek, data, n, 1), 0);
  T_EQ_INT(blob_reseal(path, tmp, id, dek, &plain, errbuf, sizeof errbuf), 1);
  T_EQ_INT(file_size(tmp), -1);
  T_EQ_INT(read_file(path, &after, &after_len), 0);
  T_CHECK(after_len == before_len && memcmp(before, after, before_len) == 0);
  free(after);
  after = NULL;
  free(before);
  before = NULL;

  /* A damaged v1 file is not converted: unchanged, no temp left. */
  char bad[300], badtmp[320];
  path_in(bad, sizeof bad, "reseal-bad");
  snprintf(badtmp, sizeof badtmp, "%s.reseal", bad);
  T_EQ_INT(blob_v1_write(bad, id, dek, data, n, 1), 0);
  T_EQ_INT(read_file(bad, &before, &before_len), 0);
  before[BLOB_HEADER_LEN + V1_CT + 77] ^= 4;
  T_EQ_INT(write_file(bad, before, before_len), 0);
  T_EQ_INT(blob_reseal(bad, badtmp, id, dek, &plain, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "authenticate") != NULL);
  T_EQ_INT(file_size(badtmp), -1);
  T_EQ_INT(header_format(bad), 1);
  T_EQ_INT(read_file(bad, &after, &after_len), 0);
  T_CHECK(after_len == before_len && memcmp(before, after, before_len) == 0);
  free(after);
  free(before);
  /* The wrong key: refused, unchanged. */
  T_EQ_INT(blob_v1_write(bad, id, dek, data, 1000, 1), 0);
  T_EQ_INT(blob_reseal(bad, badtmp, id, dek2, &plain, errbuf, sizeof errbuf), -1);
  T_EQ_INT(header_format(bad), 1);
  T_EQ_INT(read_blob(bad, id, dek, data, 1000, &got, &ok), 0);
  /* A file deleted meanwhile is not brought back. */
  T_EQ_INT(unlink(bad), 0);
  T_EQ_INT(blob_reseal(bad, badtmp, id, dek, &plain, errbuf, sizeof errbuf), -1);
  T_EQ_INT(file_size(bad), -1);
  T_EQ_INT(file_size(badtmp), -1);
  /* The temp file must sit in the same directory. */
  T_EQ_INT(blob_reseal(path, "/tmp/elsewhere.reseal", id, dek, &plain, errbuf, sizeof errbuf), -1);
  free(data);
}


static const unsigned char *other_bytes(void) {
  static unsigned char b[2 * BLOB_RECORD];
  static int done;
  if (!done) {
    fill_pattern(b, sizeof b, 85);
    done = 1;
  }
  return b;
}

/* ---- the records digest (digest kind 2) ---- */

/* Reads the whole blob in order; 1 when it reads to its verified end AND its
 * records digest equals want, else 0 (what verify-store and a download ask). */
static int digest_verifies(const char *path, const unsigned char *id, const unsigned char *dek,
                           const unsigned char want[BLOB_DIGEST_LEN]) {
  struct blob_reader *r = NULL;
  unsigned char buf[40000], got[BLOB_DIGEST_LEN];
  int ok = 0;
  if (blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf) != 0) return 0;
  for (;;) {
    ssize_t n = blob_reader_read(r, buf, sizeof buf, errbuf, sizeof errbuf);
    if (n < 0) goto done;
    if (n == 0) break;
  }
  ok = blob_reader_digest(r, got) == 0 && memcmp(got, want, BLOB_DIGEST_LEN) == 0;
done:
  blob_reader_close(r);
  return ok;
}

/* The digest as blobfmt.h defines it, computed from the file's bytes alone
 * (v2): "SOPRDIG1" || u32 format || id || (nonce || tag)* || u64 count || u64 size. */
static int digest_by_spec(const char *path, const unsigned char *id, unsigned char out[BLOB_DIGEST_LEN]) {
  unsigned char *raw;
  size_t n;
  if (read_file(path, &raw, &n) != 0 || n < BLOB_HEADER_LEN + BLOB_NONCE_LEN + BLOB_TAG_LEN) return -1;
  crypto_generichash_state st;
  unsigned char h[28] = {'S', 'O', 'P', 'R', 'D', 'I', 'G', '1', 0, 0, 0, 2};
  memcpy(h + 12, id, BLOB_ID_LEN);
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, h, sizeof h);
  uint64_t count = 0, size = 0;
  size_t off = BLOB_HEADER_LEN;
  while (off < n) {
    size_t rl = n - off < FULL_CT ? n - off : FULL_CT;
    crypto_generichash_update(&st, raw + off, BLOB_NONCE_LEN);
    crypto_generichash_update(&st, raw + off + rl - BLOB_TAG_LEN, BLOB_TAG_LEN);
    size += rl - BLOB_NONCE_LEN - BLOB_TAG_LEN;
    count++;
    off += rl;
  }
  unsigned char t[16];
  for (int i = 0; i < 8; i++) {
    t[i] = (unsigned char)(count >> (56 - 8 * i));
    t[8 + i] = (unsigned char)(size >> (56 - 8 * i));
  }
  crypto_generichash_update(&st, t, sizeof t);
  crypto_generichash_final(&st, out, 32);
  free(raw);
  return 0;
}

/* Writes a finished blob and returns the writer's digest (have must be 1). */
static int write_blob_digest(const char *path, const unsigned char *id, const unsigned char *dek,
                             const unsigned char *data, size_t n, unsigned char d[BLOB_DIGEST_LEN]) {
  struct blob_writer *w = NULL;
  char staging[300];
  int have = 0;
  snprintf(staging, sizeof staging, "%s.part", path);
  if (blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf) != 0) return -1;
  if (append_random(w, data, n, 100000) != 0) {
    blob_writer_abort(w);
    return -1;
  }
  if (blob_writer_finish_digest(w, path, d, &have, errbuf, sizeof errbuf) != 0) return -1;
  return have ? 0 : -1;
}

/* Record i's on-disk bytes (full records only). */
static unsigned char *rec_at(unsigned char *raw, uint64_t i) { return raw + BLOB_HEADER_LEN + i * FULL_CT; }

enum dmut { D_INTACT, D_CUT_FINAL, D_CUT_MID, D_CUT_TO_HEADER, D_EMPTY_FILE, D_SWAP, D_REORDER, D_OTHER_FILE,
            D_OTHER_FILE_SAME_KEY, D_STALE_SEALING, D_DROP_MIDDLE, D_V1_SAME_CONTENT, D_V2_HEADER_V1_RECORDS };

/* The truth table: each damage of a 3-record-and-a-bit file, and whether the
 * intact file's stored digest must still verify. */
static const struct {
  enum dmut m;
  const char *what;
  int verifies;
} digest_table[] = {
    {D_INTACT, "the intact file", 1},
    {D_CUT_FINAL, "truncated: the final record dropped", 0},
    {D_CUT_MID, "truncated in the middle of a record", 0},
    {D_CUT_TO_HEADER, "truncated to its header", 0},
    {D_EMPTY_FILE, "an empty file (0 bytes)", 0},
    {D_SWAP, "records 0 and 1 swapped", 0},
    {D_REORDER, "records 0, 1, 2 rotated", 0},
    {D_OTHER_FILE, "record 1 from another file (other id and key)", 0},
    {D_OTHER_FILE_SAME_KEY, "record 1 from another file under the same key", 0},
    {D_STALE_SEALING, "record 1 from an earlier sealing of this file (authentic, not acknowledged)", 0},
    {D_DROP_MIDDLE, "record 1 cut out", 0},
    {D_V1_SAME_CONTENT, "the same content as a format-1 file", 0},
    {D_V2_HEADER_V1_RECORDS, "a v2 header over v1 records (mixed)", 0},
};

static void test_records_digest_table(void) {
  const size_t n = 3 * (size_t)BLOB_RECORD + 1000;
  unsigned char *data = malloc(n), *other = malloc(n);
  unsigned char id[BLOB_ID_LEN], id2[BLOB_ID_LEN], dek[BLOB_DEK_LEN], dek2[BLOB_DEK_LEN], d[BLOB_DIGEST_LEN],
      spec[BLOB_DIGEST_LEN], d2[BLOB_DIGEST_LEN];
  char orig[300], alt[300], alt_same_key[300], stale[300], v1[300];
  fill_pattern(data, n, 81);
  fill_pattern(other, n, 82);
  new_id(id);
  new_id(id2);
  blob_dek_new(dek);
  blob_dek_new(dek2);
  path_in(orig, sizeof orig, "dg");
  path_in(alt, sizeof alt, "dg-other");
  path_in(alt_same_key, sizeof alt_same_key, "dg-samekey");
  path_in(stale, sizeof stale, "dg-stale");
  path_in(v1, sizeof v1, "dg-v1");
  T_EQ_INT(write_blob_digest(orig, id, dek, data, n, d), 0);
  /* the writer, the reader and the definition agree */
  T_EQ_INT(digest_by_spec(orig, id, spec), 0);
  T_CHECK(memcmp(spec, d, sizeof d) == 0);
  T_EQ_INT(write_blob_digest(alt, id2, dek2, other, n, d2), 0);
  T_EQ_INT(write_blob_digest(alt_same_key, id2, dek, other, n, d2), 0);
  T_EQ_INT(write_blob_digest(stale, id, dek, data, n, d2), 0); /* the same plaintext sealed again */
  T_CHECK(memcmp(d, d2, sizeof d) != 0);                     /* fresh nonces: another digest */
  T_EQ_INT(blob_v1_write(v1, id, dek, data, n, 1), 0);
  unsigned char *raw, *oraw, *sraw, *kraw, *vraw;
  size_t rn, on, sn, kn, vn;
  T_EQ_INT(read_file(orig, &raw, &rn), 0);
  T_EQ_INT(read_file(alt, &oraw, &on), 0);
  T_EQ_INT(read_file(alt_same_key, &kraw, &kn), 0);
  T_EQ_INT(read_file(stale, &sraw, &sn), 0);
  T_EQ_INT(read_file(v1, &vraw, &vn), 0);
  for (size_t t = 0; t < sizeof digest_table / sizeof digest_table[0]; t++) {
    unsigned char *m = malloc(rn + vn);
    size_t mn = rn;
    memcpy(m, raw, rn);
    switch (digest_table[t].m) {
      case D_INTACT: break;
      case D_CUT_FINAL: mn = BLOB_HEADER_LEN + 3 * (size_t)FULL_CT; break;
      case D_CUT_MID: mn = rn - 500; break;
      case D_CUT_TO_HEADER: mn = BLOB_HEADER_LEN; break;
      case D_EMPTY_FILE: mn = 0; break;
      case D_SWAP:
        memcpy(rec_at(m, 0), rec_at(raw, 1), FULL_CT);
        memcpy(rec_at(m, 1), rec_at(raw, 0), FULL_CT);
        break;
      case D_REORDER:
        memcpy(rec_at(m, 0), rec_at(raw, 1), FULL_CT);
        memcpy(rec_at(m, 1), rec_at(raw, 2), FULL_CT);
        memcpy(rec_at(m, 2), rec_at(raw, 0), FULL_CT);
        break;
      case D_OTHER_FILE: memcpy(rec_at(m, 1), rec_at(oraw, 1), FULL_CT); break;
      case D_OTHER_FILE_SAME_KEY: memcpy(rec_at(m, 1), rec_at(kraw, 1), FULL_CT); break;
      case D_STALE_SEALING: memcpy(rec_at(m, 1), rec_at(sraw, 1), FULL_CT); break;
      case D_DROP_MIDDLE:
        memmove(rec_at(m, 1), rec_at(raw, 2), rn - (size_t)(rec_at(raw, 2) - raw));
        mn = rn - FULL_CT;
        break;
      case D_V1_SAME_CONTENT:
        memcpy(m, vraw, vn);
        mn = vn;
        break;
      case D_V2_HEADER_V1_RECORDS:
        memcpy(m, vraw, vn);
        mn = vn;
        m[11] = 2;                              /* format field: 2 */
        memset(m + 16 + BLOB_ID_LEN, 0, 16);    /* reserved field as v2 wants it */
        break;
    }
    char path[300];
    path_in(path, sizeof path, "dgcase");
    T_EQ_INT(write_file(path, m, mn), 0);
    int got = digest_verifies(path, id, dek, d);
    if (got != digest_table[t].verifies) fprintf(stderr, "case: %s\n", digest_table[t].what);
    T_EQ_INT(got, digest_table[t].verifies);
    if (digest_table[t].m == D_STALE_SEALING || digest_table[t].m == D_V1_SAME_CONTENT) {
      /* these authenticate record by record: only the digest tells them apart */
      size_t g;
      int ok;
      T_EQ_INT(read_blob(path, id, dek, data, n, &g, &ok), 0);
      T_EQ_INT(g, n);
    }
    free(m);
  }
  free(raw);
  free(oraw);
  free(kraw);
  free(sraw);
  free(vraw);
  free(data);
  free(other);
}

/* An empty blob has a digest of its own (one final record of 0 bytes); a
 * seek breaks the in-order digest; a reader that stopped early has none. */
static void test_records_digest_edges(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], d[BLOB_DIGEST_LEN], spec[BLOB_DIGEST_LEN], got[BLOB_DIGEST_LEN];
  char path[300];
  unsigned char *data = malloc(2 * BLOB_RECORD + 10);
  fill_pattern(data, 2 * BLOB_RECORD + 10, 83);
  new_id(id);
  blob_dek_new(dek);
  path_in(path, sizeof path, "dg-empty");
  T_EQ_INT(write_blob_digest(path, id, dek, data, 0, d), 0);
  T_EQ_INT(digest_by_spec(path, id, spec), 0);
  T_CHECK(memcmp(spec, d, sizeof d) == 0);
  T_EQ_INT(digest_verifies(path, id, dek, d), 1);
  T_EQ_INT(digest_verifies(path, id, dek, spec) && memcmp(d, (unsigned char[32]){0}, 32) != 0, 1);
  /* a read that stops before the end, and a seek, give no digest */
  path_in(path, sizeof path, "dg-partial");
  T_EQ_INT(write_blob_digest(path, id, dek, data, 2 * BLOB_RECORD + 10, d), 0);
  struct blob_reader *r = NULL;
  unsigned char buf[1000];
  T_EQ_INT(blob_reader_open(path, id, dek, &r, errbuf, sizeof errbuf), 0);
  T_CHECK(blob_reader_read(r, buf, sizeof buf, errbuf, sizeof errbuf) > 0);
  T_EQ_INT(blob_reader_digest(r, got), -1);
  T_EQ_INT(blob_reader_seek(r, 2 * BLOB_RECORD, errbuf, sizeof errbuf), 0);
  while (blob_reader_read(r, buf, sizeof buf, errbuf, sizeof errbuf) > 0) {
  }
  T_EQ_INT(blob_reader_digest(r, got), -1);
  blob_reader_close(r);
  free(data);
}

/* A resumed writer continues the digest only from an exported state that
 * covers exactly the records kept; without one it hands out none. */
static void test_records_digest_resume(void) {
  const size_t n = 5 * (size_t)BLOB_RECORD + 77;
  unsigned char *data = malloc(n);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], d[BLOB_DIGEST_LEN], spec[BLOB_DIGEST_LEN];
  unsigned char *state = malloc(blob_digest_state_len()), *early = malloc(blob_digest_state_len());
  char staging[300], final[300];
  fill_pattern(data, n, 84);
  blob_dek_new(dek);
  /* 0 none, 1 the right one, 2 an earlier one, 3 the right one but the file's last kept record was
   * replaced by another authentic sealing of it (a rewrite or a stale copy) */
  for (int with_state = 0; with_state < 4; with_state++) {
    new_id(id);
    path_in(staging, sizeof staging, "dgr.part");
    path_in(final, sizeof final, "dgr");
    struct blob_writer *w = NULL;
    unsigned char *tail = NULL;
    size_t tl = 0;
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    T_EQ_INT(append_random(w, data, BLOB_RECORD + 5, 9000), 0);
    T_EQ_INT(blob_writer_digest_export(w, early, blob_digest_state_len()), 0);
    const uint64_t off = 3 * (uint64_t)BLOB_RECORD + 12;
    T_EQ_INT(append_random(w, data + BLOB_RECORD + 5, off - BLOB_RECORD - 5, 9000), 0);
    T_EQ_INT(blob_writer_checkpoint(w, &tail, &tl, errbuf, sizeof errbuf), 0);
    T_EQ_INT(blob_writer_digest_export(w, state, blob_digest_state_len()), 0);
    /* unacknowledged bytes after the checkpoint, then a crash */
    T_EQ_INT(append_random(w, other_bytes(), BLOB_RECORD * 2, 9000), 0);
    blob_writer_abort(w);
    w = NULL;
    if (with_state == 3) {
      char other[300];
      struct blob_writer *w2 = NULL;
      unsigned char *raw;
      size_t rn;
      path_in(other, sizeof other, "dgr-other.part");
      T_EQ_INT(blob_writer_create(other, id, dek, &w2, errbuf, sizeof errbuf), 0);
      T_EQ_INT(append_random(w2, data, 4 * BLOB_RECORD, 9000), 0);
      blob_writer_abort(w2);
      T_EQ_INT(read_file(other, &raw, &rn), 0);
      int fd = open(staging, O_WRONLY);
      T_CHECK(fd >= 0 && pwrite(fd, rec_at(raw, 2), FULL_CT, BLOB_HEADER_LEN + 2 * (off_t)FULL_CT) == FULL_CT);
      close(fd);
      free(raw);
    }
    T_EQ_INT(blob_writer_resume(staging, id, dek, off, tail, tl, &w, errbuf, sizeof errbuf), 0);
    free(tail);
    if (with_state == 1) T_EQ_INT(blob_writer_digest_import(w, state, blob_digest_state_len()), 0);
    if (with_state == 3) T_EQ_INT(blob_writer_digest_import(w, state, blob_digest_state_len()), -1);
    if (with_state == 2) T_EQ_INT(blob_writer_digest_import(w, early, blob_digest_state_len()), -1);
    T_EQ_INT(blob_writer_digest_export(w, early, blob_digest_state_len()), with_state == 1 ? 0 : -1);
    T_EQ_INT(append_random(w, data + off, n - off, 9000), 0);
    int have = -1;
    T_EQ_INT(blob_writer_finish_digest(w, final, d, &have, errbuf, sizeof errbuf), 0);
    T_EQ_INT(have, with_state == 1);
    T_EQ_INT(digest_by_spec(final, id, spec), 0);
    if (have) T_CHECK(memcmp(spec, d, sizeof d) == 0);
    T_EQ_INT(digest_verifies(final, id, dek, spec), 1); /* the reader gets it either way */
  }
  free(state);
  free(early);
  free(data);
}


/* Large appends seal whole records straight from the caller's buffer: the
 * file reads back the same and its digest is the definition's, whether the
 * tail was empty or not when the append came; a failed append in the middle
 * of such records leaves the digest, the last record and the file as before. */
/* Finishes w into final and checks it: the writer's records digest is the
 * specification's, the blob reads back as data[0..n) and has its size. */
static void finish_and_check(struct blob_writer *w, const char *final, const unsigned char *id,
                             const unsigned char *dek, const unsigned char *data, size_t n) {
  unsigned char d[BLOB_DIGEST_LEN], spec[BLOB_DIGEST_LEN];
  size_t got = 0;
  int ok = 0, have = 0;
  T_EQ_INT(blob_writer_finish_digest(w, final, d, &have, errbuf, sizeof errbuf), 0);
  T_EQ_INT(have, 1);
  T_EQ_INT(digest_by_spec(final, id, spec), 0);
  T_CHECK(memcmp(spec, d, sizeof d) == 0);
  T_EQ_INT(read_blob(final, id, dek, data, n, &got, &ok), 0);
  T_EQ_INT(got, n);
  T_CHECK(ok);
  T_EQ_INT(file_size(final), (long long)blob_disk_size_final(n));
}

static void test_large_appends_and_failed_append_keep_the_digest(void) {
  const size_t n = 9 * (size_t)BLOB_RECORD + 3;
  unsigned char *data = malloc(n);
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  fill_pattern(data, n, 86);
  blob_dek_new(dek);
  for (int lead = 0; lead < 3; lead++) { /* 0, 7 bytes, or exactly one record before the big append */
    char staging[300], final[300];
    size_t first = lead == 0 ? 0 : lead == 1 ? 7 : BLOB_RECORD;
    struct blob_writer *w = NULL;
    new_id(id);
    path_in(staging, sizeof staging, "big.part");
    path_in(final, sizeof final, "big");
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    if (first) T_EQ_INT(blob_writer_append(w, data, first, errbuf, sizeof errbuf), 0);
    /* a failing big append first (the file may grow by one record only) */
    long long size0 = file_size(staging);
    struct rlimit old, lim;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)(size0 + FULL_CT + 100);
    T_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    T_EQ_INT(blob_writer_append(w, data + first, 5 * (size_t)BLOB_RECORD + 11, errbuf, sizeof errbuf), -1);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    T_EQ_INT(file_size(staging), size0);
    T_EQ_INT(blob_writer_offset(w), first);
    /* then the same bytes again, in two big appends */
    T_EQ_INT(blob_writer_append(w, data + first, 5 * (size_t)BLOB_RECORD + 11, errbuf, sizeof errbuf), 0);
    size_t at = first + 5 * (size_t)BLOB_RECORD + 11;
    T_EQ_INT(blob_writer_append(w, data + at, n - at, errbuf, sizeof errbuf), 0);
    finish_and_check(w, final, id, dek, data, n);
  }
  free(data);
}

static void test_keyring_create_modes(void) {
  char kd[300], kf[400];
  struct keyring *kr = NULL;
  struct stat st;
  path_in(kd, sizeof kd, "keys");
  /* Missing and not allowed to create. */
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_EQ_INT(keyring_open(kd, 1, &kr, errbuf, sizeof errbuf), 0);
  T_EQ_INT(keyring_current_version(kr), 1);
  keyring_close(kr);
  kr = NULL;
  T_EQ_INT(stat(kd, &st), 0);
  T_EQ_INT(st.st_mode & 0777, 0700);
  snprintf(kf, sizeof kf, "%s/master-1.key", kd);
  T_EQ_INT(stat(kf, &st), 0);
  T_EQ_INT(st.st_mode & 0777, 0600);
  T_EQ_INT(st.st_size, 32);
  snprintf(kf, sizeof kf, "%s/current", kd);
  unsigned char *cur = NULL;
  size_t cl = 0;
  T_EQ_INT(read_file(kf, &cur, &cl), 0);
  T_CHECK(cl == 2 && memcmp(cur, "1\n", 2) == 0);
  free(cur);
  /* Reopening keeps the same key: a wrapped DEK survives. */
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], dek2[BLOB_DEK_LEN], wr[BLOB_WRAPPED_LEN];
  new_id(id);
  blob_dek_new(dek);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_dek_wrap(kr, 1, id, dek, wr), 0);
  keyring_close(kr);
  kr = NULL;
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_dek_unwrap(kr, 1, id, wr, dek2), 0);
  T_CHECK(memcmp(dek, dek2, sizeof dek) == 0);
  keyring_close(kr);
  kr = NULL;
  /* A 0644 key file is refused with a message naming the problem. */
  snprintf(kf, sizeof kf, "%s/master-1.key", kd);
  T_EQ_INT(chmod(kf, 0644), 0);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "group/other") != NULL);
  T_CHECK(kr == NULL);
  T_EQ_INT(chmod(kf, 0400), 0); /* 0400 is fine */
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), 0);
  keyring_close(kr);
  kr = NULL;
  T_EQ_INT(chmod(kf, 0600), 0);
  /* A directory open to others is refused. */
  T_EQ_INT(chmod(kd, 0755), 0);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "group/other") != NULL);
  T_EQ_INT(chmod(kd, 0700), 0);
  /* A key file of the wrong size is refused. */
  char bad[400];
  snprintf(bad, sizeof bad, "%s/master-7.key", kd);
  T_EQ_INT(write_file(bad, (const unsigned char *)"short", 5), 0);
  T_EQ_INT(chmod(bad, 0600), 0);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_CHECK(strstr(errbuf, "expected 32") != NULL);
  unlink(bad);
  /* current naming a missing key is refused. */
  snprintf(kf, sizeof kf, "%s/current", kd);
  T_EQ_INT(write_file(kf, (const unsigned char *)"9\n", 2), 0);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_EQ_INT(write_file(kf, (const unsigned char *)"01\n", 3), 0);
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), -1);
  T_CHECK(kr == NULL);
}

static void test_keyring_rotate(void) {
  char kd[300], kf[400];
  struct keyring *kr = NULL;
  enum { N = 20 };
  unsigned char ids[N][BLOB_ID_LEN], deks[N][BLOB_DEK_LEN], wr[N][BLOB_WRAPPED_LEN];
  uint32_t ver[N];
  unsigned char out[BLOB_DEK_LEN];
  path_in(kd, sizeof kd, "keys");
  T_EQ_INT(keyring_open(kd, 1, &kr, errbuf, sizeof errbuf), 0);
  for (int i = 0; i < N; i++) {
    new_id(ids[i]);
    blob_dek_new(deks[i]);
    ver[i] = keyring_current_version(kr);
    T_EQ_INT(blob_dek_wrap(kr, ver[i], ids[i], deks[i], wr[i]), 0);
  }
  /* Wrong file id, wrong version, unknown version, flipped bit all fail. */
  T_EQ_INT(blob_dek_unwrap(kr, 1, ids[1], wr[0], out), -1);
  T_EQ_INT(blob_dek_unwrap(kr, 2, ids[0], wr[0], out), -1);
  wr[0][30] ^= 1;
  T_EQ_INT(blob_dek_unwrap(kr, 1, ids[0], wr[0], out), -1);
  wr[0][30] ^= 1;
  T_EQ_INT(blob_dek_unwrap(kr, 1, ids[0], wr[0], out), 0);
  /* Rotate: new key exists but current is unchanged. */
  uint32_t nv = 0;
  T_EQ_INT(keyring_rotate(kr, &nv, errbuf, sizeof errbuf), 0);
  T_EQ_INT(nv, 2);
  T_EQ_INT(keyring_current_version(kr), 1);
  snprintf(kf, sizeof kf, "%s/master-2.key", kd);
  struct stat st;
  T_EQ_INT(stat(kf, &st), 0);
  T_EQ_INT(st.st_mode & 0777, 0600);
  /* Rewrap every DEK under version 2 (what the DB batch does). */
  for (int i = 0; i < N; i++) {
    T_EQ_INT(blob_dek_unwrap(kr, ver[i], ids[i], wr[i], out), 0);
    T_EQ_INT(blob_dek_wrap(kr, nv, ids[i], out, wr[i]), 0);
    ver[i] = nv;
    sodium_memzero(out, sizeof out);
  }
  T_EQ_INT(keyring_set_current(kr, 2, errbuf, sizeof errbuf), 0);
  T_EQ_INT(keyring_set_current(kr, 9, errbuf, sizeof errbuf), -1);
  T_EQ_INT(keyring_current_version(kr), 2);
  T_EQ_INT(keyring_forget(kr, 2, errbuf, sizeof errbuf), -1); /* current */
  T_EQ_INT(keyring_forget(kr, 1, errbuf, sizeof errbuf), 0);
  snprintf(kf, sizeof kf, "%s/master-1.key", kd);
  T_EQ_INT(stat(kf, &st), -1);
  keyring_close(kr);
  kr = NULL;
  /* After a reopen only version 2 is there and every DEK still unwraps. */
  T_EQ_INT(keyring_open(kd, 0, &kr, errbuf, sizeof errbuf), 0);
  T_EQ_INT(keyring_current_version(kr), 2);
  int all = 1;
  for (int i = 0; i < N; i++)
    if (blob_dek_unwrap(kr, ver[i], ids[i], wr[i], out) != 0 || memcmp(out, deks[i], 32) != 0)
      all = 0;
  T_CHECK(all);
  /* Version 1 is gone. */
  unsigned char w1[BLOB_WRAPPED_LEN];
  T_EQ_INT(blob_dek_wrap(kr, 1, ids[0], deks[0], w1), -1);
  /* A second rotation numbers past the highest existing key. */
  T_EQ_INT(keyring_rotate(kr, &nv, errbuf, sizeof errbuf), 0);
  T_EQ_INT(nv, 3);
  keyring_close(kr);
}

/* ------------------------------------------------------------------ main */

static void rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char p[600];
  if (!d) return;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      chmod(p, 0700);
      rm_tree(p);
    } else {
      unlink(p);
    }
  }
  closedir(d);
  rmdir(dir);
}

/* ------------------------------------------------------- direct I/O */

/* Whether this directory's file system takes O_DIRECT, asked the kernel's way. */
static int fs_takes_direct(void) {
  char probe[300];
  path_in(probe, sizeof probe, "probe");
  int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  unlink(probe);
  return fd >= 0;
}

static void test_direct_io_is_used_where_it_can_be(void) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
  char staging[300];
  struct blob_writer *w = NULL;
  new_id(id);
  blob_dek_new(dek);
  path_in(staging, sizeof staging, "direct.part");
  blob_set_direct_io(1);
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_direct(w), fs_takes_direct());
  blob_writer_abort(w);
  blob_set_direct_io(0);
  path_in(staging, sizeof staging, "buffered.part");
  T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
  T_EQ_INT(blob_writer_direct(w), 0);
  blob_writer_abort(w);
}

/* Appends in random pieces across several 1 MiB blocks with checkpoints at
 * random offsets: each checkpoint leaves exactly the committed records in
 * the file; a crash after unacknowledged bytes resumes at the last one, also
 * at offsets that end inside a 4 KiB block; the finished blob reads back and
 * its records digest is the specification's. */
static void test_direct_checkpoints_resume_and_finish(void) {
  const size_t total = 3 * 1024 * 1024 + 5 * 65536 + 4097;
  unsigned char *data = malloc(total);
  blob_set_direct_io(1);
  for (int round = 0; round < 4; round++) {
    unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
    char staging[300], final[300];
    struct blob_writer *w = NULL;
    unsigned char *tail = NULL, ds[512];
    size_t tail_len = 0, at = 0;
    fill_pattern(data, total, 300 + (uint64_t)round);
    new_id(id);
    blob_dek_new(dek);
    path_in(staging, sizeof staging, "dcp.part");
    path_in(final, sizeof final, "dcp");
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    T_EQ_INT(blob_writer_direct(w), fs_takes_direct());
    uint64_t committed = 0;
    while (at < total) {
      size_t step = 1 + randombytes_uniform(1500000);
      if (step > total - at) step = total - at;
      T_EQ_INT(append_random(w, data + at, step, 300000), 0);
      at += step;
      free(tail);
      tail = NULL;
      T_EQ_INT(blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf), 0);
      committed = blob_writer_offset(w);
      T_EQ_INT(committed, at);
      T_EQ_INT(file_size(staging), blob_disk_size_staging(committed));
      T_EQ_INT(blob_writer_digest_export(w, ds, blob_digest_state_len()), 0);
      if (round == 0 || at >= total / 2) break;
    }
    /* unacknowledged bytes, then a crash */
    T_EQ_INT(append_random(w, data + at, (total - at) / 2, 200000), 0);
    blob_writer_abort(w);
    w = NULL;
    T_EQ_INT(blob_writer_resume(staging, id, dek, committed, tail, tail_len, &w, errbuf, sizeof errbuf), 0);
    T_CHECK(w != NULL);
    if (!w) break;
    T_EQ_INT(file_size(staging), blob_disk_size_staging(committed));
    T_EQ_INT(blob_writer_direct(w), fs_takes_direct());
    T_EQ_INT(blob_writer_digest_import(w, ds, blob_digest_state_len()), 0);
    T_EQ_INT(append_random(w, data + at, total - at, 400000), 0);
    finish_and_check(w, final, id, dek, data, total);
    free(tail);
  }
  blob_set_direct_io(0);
  free(data);
}

/* A direct write that fails (RLIMIT_FSIZE's EFBIG standing in for ENOSPC)
 * in the middle of a big append, once after a flush already moved the
 * buffer past the call's first records: the call fails with the errno, the
 * file and the writer are as before it, and the same bytes sent again
 * finish a blob that reads back with the right digest. A checkpoint that
 * cannot write the partial last block fails with the errno too. */
static void test_direct_failed_write_restores(void) {
  const size_t n = 5 * 1024 * 1024 + 333;
  unsigned char *data = malloc(n);
  blob_set_direct_io(1);
  for (int where = 0; where < 3; where++) { /* 0: the first flush fails, 1: the second, 2: the checkpoint */
    unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN];
    char staging[300], final[300];
    struct blob_writer *w = NULL;
    unsigned char *tail = NULL, *tail0 = NULL, ds[512];
    size_t tail_len = 0, tail0_len = 0, first = 100000 + 4096 * (size_t)where;
    fill_pattern(data, n, 500 + (uint64_t)where);
    new_id(id);
    blob_dek_new(dek);
    path_in(staging, sizeof staging, "defbig.part");
    path_in(final, sizeof final, "defbig");
    T_EQ_INT(blob_writer_create(staging, id, dek, &w, errbuf, sizeof errbuf), 0);
    T_EQ_INT(append_random(w, data, first, 70000), 0);
    T_EQ_INT(blob_writer_checkpoint(w, &tail0, &tail0_len, errbuf, sizeof errbuf), 0);
    T_EQ_INT(blob_writer_digest_export(w, ds, blob_digest_state_len()), 0);
    long long size0 = file_size(staging);
    T_EQ_INT(size0, blob_disk_size_staging(first));
    struct rlimit old, lim;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)(where == 0 ? size0 + 100 : where == 1 ? size0 + 1536 * 1024 : size0 + 10);
    T_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc, e;
    if (where < 2) {
      errno = 0;
      rc = blob_writer_append(w, data + first, 3 * 1024 * 1024, errbuf, sizeof errbuf);
      e = errno;
    } else {
      T_EQ_INT(blob_writer_append(w, data + first, 3 * 65536, errbuf, sizeof errbuf), 0);
      errno = 0;
      rc = blob_writer_checkpoint(w, &tail, &tail_len, errbuf, sizeof errbuf);
      e = errno;
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    T_EQ_INT(rc, -1);
    T_EQ_INT(e, EFBIG);
    if (where < 2) {
      T_EQ_INT(file_size(staging), size0);
      T_EQ_INT(blob_writer_offset(w), first);
    } else {
      /* what the portal does after a failed checkpoint: cut back, and resume
       * from the last committed one */
      T_EQ_INT(blob_writer_abort_to(w, first, errbuf, sizeof errbuf), 0);
      T_EQ_INT(file_size(staging), size0);
      w = NULL;
      T_EQ_INT(blob_writer_resume(staging, id, dek, first, tail0, tail0_len, &w, errbuf, sizeof errbuf), 0);
      T_CHECK(w != NULL);
      if (!w) break;
      T_EQ_INT(blob_writer_digest_import(w, ds, blob_digest_state_len()), 0);
    }
    T_EQ_INT(append_random(w, data + first, n - first, 500000), 0);
    finish_and_check(w, final, id, dek, data, n);
    free(tail0);
  }
  blob_set_direct_io(0);
  free(data);
}

int main(void) {
  if (sodium_init() < 0) return 2;
  snprintf(g_dir, sizeof g_dir, "/tmp/test_blobfmt.XXXXXX");
  if (!mkdtemp(g_dir)) return 2;
  /* the tests up to the direct I/O ones look at the file as records fill */
  blob_set_direct_io(0);
  T_RUN(test_disk_sizes);
  T_RUN(test_roundtrip_sizes);
  T_RUN(test_read_small_caps);
  T_RUN(test_seek);
  T_RUN(test_resume_after_crash);
  T_RUN(test_abort_to_cuts_unacknowledged);
  T_RUN(test_resume_rejects);
  T_RUN(test_wrong_dek_and_id);
  T_RUN(test_tamper);
  T_RUN(test_no_plaintext_on_disk);
  T_RUN(test_append_error_restores);
  T_RUN(test_finish_no_replace);
  T_RUN(test_v2_layout_and_nonces);
  T_RUN(test_resent_bytes_get_fresh_nonce);
  T_RUN(test_v1_still_reads);
  T_RUN(test_v1_staging_resumes);
  T_RUN(test_reseal);
  T_RUN(test_records_digest_table);
  T_RUN(test_records_digest_edges);
  T_RUN(test_records_digest_resume);
  T_RUN(test_large_appends_and_failed_append_keep_the_digest);
  T_RUN(test_direct_io_is_used_where_it_can_be);
  T_RUN(test_direct_checkpoints_resume_and_finish);
  T_RUN(test_direct_failed_write_restores);
  T_RUN(test_keyring_create_modes);
  T_RUN(test_keyring_rotate);
  rm_tree(g_dir);
  return t_done();
}
