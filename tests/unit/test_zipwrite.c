/* Proves the streaming ZIP writer (util/zipwrite.c): the archive it streams is exactly
 * zipw_total bytes, Python's zipfile and our own census reader (core/zipcheck.c) read it,
 * ZIP64 appears when an entry passes 4 GiB (generated on the fly, never stored), and a
 * source that fails or lies about its size fails the archive. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "core/zipcheck.h"
#include "t.h"
#include "util/zipwrite.h"

/* ---- a generated source: entry i gives size[i] bytes of a pattern ---- */
struct gen {
  const uint64_t *size;
  uint64_t at;
  int fail_at_entry; /* -1 never */
  int lie;           /* give one byte more than declared */
  unsigned char block[65536 + 256];
};

static int gen_open(void *ctx, size_t i) {
  struct gen *g = ctx;
  (void)i;
  g->at = 0;
  return 0;
}
static ssize_t gen_read(void *ctx, size_t i, unsigned char *buf, size_t cap) {
  struct gen *g = ctx;
  if ((int)i == g->fail_at_entry) return -1;
  uint64_t left = g->size[i] + (g->lie ? 1 : 0) - g->at;
  size_t k = cap < 65536 ? cap : 65536;
  if (k > left) k = (size_t)left;
  memcpy(buf, g->block + (g->at % 251), k);
  g->at += k;
  return (ssize_t)k;
}
static void gen_init(struct gen *g, const uint64_t *size) {
  memset(g, 0, sizeof *g);
  g->size = size;
  g->fail_at_entry = -1;
  for (size_t i = 0; i < sizeof g->block; i++) g->block[i] = (unsigned char)(i % 251 * 7 + 3);
}

/* streams the whole archive into a file; returns bytes written or -1 */
static long long stream_to(struct zipw *z, FILE *f) {
  unsigned char buf[10000];
  long long total = 0;
  for (;;) {
    ssize_t k = zipw_read(z, buf, sizeof buf);
    if (k < 0) return -1;
    if (k == 0) return total;
    if (f) fwrite(buf, 1, (size_t)k, f);
    total += k;
  }
}

static int python_check(const char *path, const char *expect) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c 'import zipfile,sys\n"
           "z=zipfile.ZipFile(sys.argv[1])\n"
           "assert z.testzip() is None\n"
           "print(\";\".join(\"%%s=%%d\" %% (i.filename,len(z.read(i))) for i in z.infolist()))' %s > %s.out",
           path, path);
  if (system(cmd) != 0) return -1;
  char out[1000] = "", op[600];
  snprintf(op, sizeof op, "%s.out", path);
  FILE *f = fopen(op, "r");
  if (!f) return -1;
  size_t n = fread(out, 1, sizeof out - 1, f);
  fclose(f);
  unlink(op);
  out[n] = '\0';
  if (n && out[n - 1] == '\n') out[n - 1] = '\0';
  if (strcmp(out, expect) != 0) {
    fprintf(stderr, "  python read %s, expected %s\n", out, expect);
    return -1;
  }
  return 0;
}

static void small_archive(unsigned flags) {
  static const uint64_t sizes[] = {70000, 0, 5};
  struct zipw_entry e[] = {{"DICOM/ST0001/SE0001/IM00001", 70000}, {"README.TXT", 0}, {"REPORTS/0001-a b.pdf", 5}};
  static struct gen g;
  gen_init(&g, sizes);
  struct zipw_source src = {gen_open, gen_read, NULL, &g};
  struct zipw *z = zipw_new(e, 3, &src, flags);
  T_CHECK(z != NULL);
  char path[] = "/tmp/test_zipwrite_XXXXXX";
  int fd = mkstemp(path);
  T_CHECK(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  long long n = stream_to(z, f);
  fclose(f);
  T_EQ_INT(n, (long long)zipw_total(e, 3, flags));
  T_EQ_INT(python_check(path, "DICOM/ST0001/SE0001/IM00001=70000;README.TXT=0;REPORTS/0001-a b.pdf=5"), 0);
  /* ZIP64 form exactly when forced (small archive) */
  f = fopen(path, "rb");
  unsigned char tail[98];
  fseek(f, -98, SEEK_END);
  T_EQ_INT(fread(tail, 1, sizeof tail, f), sizeof tail);
  fclose(f);
  int has64 = tail[0] == 0x50 && tail[1] == 0x4b && tail[2] == 6 && tail[3] == 6;
  T_EQ_INT(has64, (flags & ZIPW_FORCE_ZIP64) ? 1 : 0);
  unlink(path);
  zipw_free(z);
}

static void test_small_classic(void) { small_archive(0); }
static void test_small_forced_zip64(void) { small_archive(ZIPW_FORCE_ZIP64); }

static void test_empty_archive(void) {
  struct gen g;
  gen_init(&g, NULL);
  struct zipw_source src = {NULL, gen_read, NULL, &g};
  struct zipw *z = zipw_new(NULL, 0, &src, 0);
  T_EQ_INT(stream_to(z, NULL), 22);
  T_EQ_INT(zipw_total(NULL, 0, 0), 22);
  zipw_free(z);
}

static void test_source_failure_fails_archive(void) {
  static const uint64_t sizes[] = {10, 10};
  struct zipw_entry e[] = {{"a", 10}, {"b", 10}};
  static struct gen g;
  gen_init(&g, sizes);
  g.fail_at_entry = 1;
  struct zipw_source src = {gen_open, gen_read, NULL, &g};
  struct zipw *z = zipw_new(e, 2, &src, 0);
  T_EQ_INT(stream_to(z, NULL), -1);
  zipw_free(z);
}

static void test_source_longer_than_declared_fails(void) {
  static const uint64_t sizes[] = {70000};
  struct zipw_entry e[] = {{"a", 70000}};
  static struct gen g;
  gen_init(&g, sizes);
  g.lie = 1;
  struct zipw_source src = {gen_open, gen_read, NULL, &g};
  struct zipw *z = zipw_new(e, 1, &src, 0);
  T_EQ_INT(stream_to(z, NULL), -1);
  zipw_free(z);
}

static int done_calls;
static int refuse_done(void *ctx, size_t i, uint64_t bytes) {
  (void)ctx;
  (void)bytes;
  done_calls++;
  return i == 0 ? -1 : 0; /* a digest that does not match */
}
static void test_done_refusal_fails_archive(void) {
  static const uint64_t sizes[] = {10};
  struct zipw_entry e[] = {{"a", 10}};
  static struct gen g;
  gen_init(&g, sizes);
  struct zipw_source src = {gen_open, gen_read, refuse_done, &g};
  struct zipw *z = zipw_new(e, 1, &src, 0);
  T_EQ_INT(stream_to(z, NULL), -1);
  T_EQ_INT(done_calls, 1);
  zipw_free(z);
}

/* ---- over 4 GiB: one generated entry, then a small one whose offset needs ZIP64 ---- */
#define BIG ((uint64_t)4 * 1024 * 1024 * 1024 + 12345)
#define TAILCAP (128 * 1024)

struct vfile {
  unsigned char head[64], tail[TAILCAP];
  uint64_t total;
};
static int vread(void *ctx, uint64_t off, void *buf, size_t len) {
  struct vfile *v = ctx;
  if (off + len > v->total || off < v->total - TAILCAP) return -1;
  memcpy(buf, v->tail + (off - (v->total - TAILCAP)), len);
  return 0;
}
static uint64_t rd64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint32_t rd32(const unsigned char *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

static void test_entry_over_4gib_streams_as_zip64(void) {
  static const uint64_t sizes[] = {BIG, 3};
  struct zipw_entry e[] = {{"DICOM/ST0001/SE0001/IM00001", BIG}, {"README.TXT", 3}};
  static struct gen g;
  gen_init(&g, sizes);
  struct zipw_source src = {gen_open, gen_read, NULL, &g};
  struct zipw *z = zipw_new(e, 2, &src, 0);
  static struct vfile v;
  v.total = zipw_total(e, 2, 0);
  const uint64_t hl = 30 + strlen(e[0].name) + 20; /* local header with its ZIP64 extra */
  unsigned char *buf = malloc(1 << 20);
  uint64_t pos = 0;
  uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
  unsigned char desc[24];
  int failed = 0;
  for (;;) {
    ssize_t k = zipw_read(z, buf, 1 << 20);
    if (k < 0) failed = 1;
    if (k <= 0) break;
    for (ssize_t i = 0; i < k;) {
      uint64_t p = pos + (uint64_t)i;
      if (p >= hl && p < hl + BIG) {
        uint64_t run = hl + BIG - p;
        size_t m = (size_t)((uint64_t)(k - i) < run ? (uint64_t)(k - i) : run);
        crc = (uint32_t)crc32(crc, buf + i, (uInt)m);
        i += (ssize_t)m;
      } else {
        if (p < sizeof v.head) v.head[p] = buf[i];
        if (p >= hl + BIG && p < hl + BIG + 24) desc[p - hl - BIG] = buf[i];
        if (p >= v.total - TAILCAP && p < v.total) v.tail[p - (v.total - TAILCAP)] = buf[i];
        i++;
      }
    }
    pos += (uint64_t)k;
  }
  free(buf);
  zipw_free(z);
  T_EQ_INT(failed, 0);
  T_EQ_INT(pos, v.total);
  /* local header: version 45, sizes deferred to a ZIP64 descriptor */
  T_EQ_INT(rd32(v.head), 0x04034b50);
  T_EQ_INT(v.head[4], 45);
  T_EQ_INT(rd32(v.head + 22), 0xFFFFFFFFu);
  T_EQ_INT(v.head[30 + strlen(e[0].name)], 1); /* extra id 0x0001 */
  /* the 24-byte descriptor carries the CRC we computed and 64-bit sizes */
  T_EQ_INT(rd32(desc), 0x08074b50);
  T_EQ_INT(rd32(desc + 4), crc);
  T_EQ_INT(rd64(desc + 8), BIG);
  T_EQ_INT(rd64(desc + 16), BIG);
  /* our census reader (ZIP64 end records) agrees */
  struct zip_limits lim = {100, UINT64_MAX, UINT64_MAX};
  struct zip_census c;
  char why[200];
  T_EQ_INT(zip_census_read(vread, &v, v.total, &lim, &c, why, sizeof why), 0);
  T_EQ_INT(c.entries, 2);
  T_EQ_INT(c.total, BIG + 3);
  /* Python's zipfile reads the directory from a sparse file holding only the head and tail */
  char path[] = "/tmp/test_zipwrite_big_XXXXXX";
  int fd = mkstemp(path);
  T_CHECK(fd >= 0);
  T_EQ_INT(pwrite(fd, v.head, sizeof v.head, 0), sizeof v.head);
  T_EQ_INT(pwrite(fd, v.tail, TAILCAP, (off_t)(v.total - TAILCAP)), TAILCAP);
  close(fd);
  char cmd[800];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c 'import zipfile,sys\n"
           "i=zipfile.ZipFile(sys.argv[1]).infolist()\n"
           "assert [(x.filename,x.file_size,x.CRC) for x in i]==[(\"DICOM/ST0001/SE0001/IM00001\",%llu,%lu),(\"README.TXT\",3,%lu)],i\n"
           "assert i[1].header_offset==%llu,i[1].header_offset' %s",
           (unsigned long long)BIG, (unsigned long)crc, (unsigned long)crc32(0L, g.block, 3),
           (unsigned long long)(hl + BIG + 24), path);
  T_EQ_INT(system(cmd), 0);
  unlink(path);
}

int main(void) {
  T_RUN(test_small_classic);
  T_RUN(test_small_forced_zip64);
  T_RUN(test_empty_archive);
  T_RUN(test_source_failure_fails_archive);
  T_RUN(test_source_longer_than_declared_fails);
  T_RUN(test_done_refusal_fails_archive);
  T_RUN(test_entry_over_4gib_streams_as_zip64);
  return t_done();
}
