/* Proves the ZIP census read from the central directory before anything is
 * unpacked (core/zipcheck.c): entry counts and sizes from the directory
 * (ZIP64 too), the three limits, and damaged or lying directories refused.
 * The cases are a table first; the ZIPs are built here byte by byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/zipcheck.h"
#include "t.h"

struct buf {
  unsigned char *p;
  size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 1024;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}
static void u16(struct buf *b, unsigned v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  put(b, x, 2);
}
static void u32(struct buf *b, uint32_t v) {
  u16(b, v & 0xFFFF);
  u16(b, v >> 16);
}
static void u64(struct buf *b, uint64_t v) {
  u32(b, (uint32_t)v);
  u32(b, (uint32_t)(v >> 32));
}

struct spec {
  const char *name;
  unsigned entries;        /* stored one-byte entries */
  uint64_t declared_size;  /* uncompressed size written in the directory (0: 1 byte) */
  int zip64_size;          /* write 0xFFFFFFFF and a ZIP64 extra with declared_size */
  int eocd_count_delta;    /* added to the count in the end record (a lie) */
  int split;               /* disk numbers of a split archive */
  size_t prefix;           /* bytes before the archive (self-extracting) */
  int no_eocd;             /* cut the end record off */
  /* expected */
  int rc;
  uint64_t want_entries;
  const char *why_has;
};

static const struct zip_limits LIM = {5, (uint64_t)1 << 30, 200};

/* The truth table: written before the reader. */
static const struct spec cases[] = {
    {"empty archive", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL},
    {"three small entries", 3, 0, 0, 0, 0, 0, 0, 0, 3, NULL},
    {"at the entry limit", 5, 0, 0, 0, 0, 0, 0, 0, 5, NULL},
    {"one entry too many (end record tells)", 6, 0, 0, 0, 0, 0, 0, 1, 0, "holds 6 files"},
    {"too many, end record lies low", 6, 0, 0, -3, 0, 0, 0, 1, 0, "more than 5 files"},
    {"end record lies high", 2, 0, 0, 1, 0, 0, 0, 1, 0, "does not add up"},
    {"over the total size", 1, (uint64_t)2 << 30, 0, 0, 0, 0, 0, 1, 0, "more than 1 GiB"},
    {"over the ratio", 1, (uint64_t)300 << 20, 0, 0, 0, 0, 0, 1, 0, "200 times its own size"},
    {"ZIP64 size over the total", 1, (uint64_t)5 << 30, 1, 0, 0, 0, 0, 1, 0, "more than 1 GiB"},
    {"ZIP64 size within limits", 2, 100, 1, 0, 0, 0, 0, 0, 2, NULL},
    {"self-extracting prefix", 2, 0, 0, 0, 0, 4096, 0, 0, 2, NULL},
    {"split archive", 2, 0, 0, 0, 1, 0, 0, 1, 0, "split over several files"},
    {"no end record", 2, 0, 0, 0, 0, 0, 1, 1, 0, "table of contents is missing"},
};

/* Builds a stored ZIP after s. */
static void build(const struct spec *s, struct buf *b) {
  memset(b, 0, sizeof *b);
  for (size_t i = 0; i < s->prefix; i++) put(b, "M", 1);
  uint32_t *off = calloc(s->entries + 1, sizeof *off);
  for (unsigned i = 0; i < s->entries; i++) {
    off[i] = (uint32_t)b->n;
    u32(b, 0x04034b50), u16(b, 10), u16(b, 0), u16(b, 0), u16(b, 0), u16(b, 0), u32(b, 0), u32(b, 1), u32(b, 1);
    u16(b, 5), u16(b, 0);
    char nm[16];
    snprintf(nm, sizeof nm, "f%04u", i % 10000);
    put(b, nm, 5);
    put(b, "x", 1);
  }
  uint64_t cd_start = b->n;
  for (unsigned i = 0; i < s->entries; i++) {
    uint64_t unc = s->declared_size ? s->declared_size : 1;
    u32(b, 0x02014b50), u16(b, 45), u16(b, 10), u16(b, 0), u16(b, 0), u16(b, 0), u16(b, 0), u32(b, 0);
    u32(b, 1);
    u32(b, s->zip64_size ? 0xFFFFFFFFu : (uint32_t)unc);
    u16(b, 5), u16(b, s->zip64_size ? 12 : 0), u16(b, 0), u16(b, 0), u16(b, 0), u32(b, 0), u32(b, off[i]);
    char nm[16];
    snprintf(nm, sizeof nm, "f%04u", i % 10000);
    put(b, nm, 5);
    if (s->zip64_size) u16(b, 1), u16(b, 8), u64(b, unc);
  }
  uint64_t cd_size = b->n - cd_start;
  if (!s->no_eocd) {
    u32(b, 0x06054b50), u16(b, s->split ? 1 : 0), u16(b, 0);
    u16(b, (unsigned)((int)s->entries + s->eocd_count_delta)), u16(b, (unsigned)((int)s->entries + s->eocd_count_delta));
    u32(b, (uint32_t)cd_size), u32(b, (uint32_t)cd_start), u16(b, 0);
  }
  free(off);
}

struct mem {
  const struct buf *b;
  int fail;
};
static int mem_read_at(void *ctx, uint64_t off, void *out, size_t len) {
  struct mem *m = ctx;
  if (m->fail || off > m->b->n || len > m->b->n - off) return -1;
  memcpy(out, m->b->p + off, len);
  return 0;
}

static void table(void) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct spec *s = &cases[i];
    struct buf b;
    build(s, &b);
    struct mem m = {&b, 0};
    struct zip_census zc;
    char why[300];
    int rc = zip_census_read(mem_read_at, &m, b.n, &LIM, &zc, why, sizeof why);
    t_cur = s->name;
    T_EQ_INT(rc, s->rc);
    if (s->rc == 0) {
      T_EQ_INT(zc.entries, s->want_entries);
      T_EQ_STR(why, "");
    }
    if (s->why_has) {
      T_CHECK(strstr(why, s->why_has) != NULL);
      if (!strstr(why, s->why_has)) fprintf(stderr, "    why: %s\n", why);
    }
    free(b.p);
  }
  t_cur = "table";
}

static void short_and_failing_input(void) {
  struct buf b = {(unsigned char *)"PK\x05\x06", 4, 4};
  struct mem m = {&b, 0};
  struct zip_census zc;
  char why[200];
  T_EQ_INT(zip_census_read(mem_read_at, &m, b.n, &LIM, &zc, why, sizeof why), 1);
  T_CHECK(strstr(why, "too short") != NULL);
  struct buf z;
  build(&cases[1], &z);
  struct mem f = {&z, 1};
  T_EQ_INT(zip_census_read(mem_read_at, &f, z.n, &LIM, &zc, why, sizeof why), -1);
  T_EQ_STR(why, "");
  free(z.p);
}

int main(void) {
  T_RUN(table);
  T_RUN(short_and_failing_input);
  return t_done();
}
