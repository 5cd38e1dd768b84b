/* Streaming ZIP writer (APPNOTE 6.3.x): stored entries, data descriptors, ZIP64. */
#include "util/zipwrite.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ZIPW_NAME_MAX 1024
#define ZIPW_CHUNK (64 * 1024)
#define U32MAX 0xFFFFFFFFull

struct zent {
  char *name;
  size_t nl;
  uint64_t size, offset;
  uint32_t crc;
};

struct zipw {
  struct zent *e;
  size_t n, cur, central_i;
  unsigned flags;
  struct zipw_source src;
  int phase; /* 0 local header, 1 data, 2 descriptor, 3 central, 4 end, 5 done, -1 failed */
  uint64_t pos, central_start, entry_bytes;
  unsigned char out[ZIPW_CHUNK + 2 * ZIPW_NAME_MAX];
  size_t out_len, out_off;
};

static void put16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}
static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

static int big_size(uint64_t size, unsigned flags) { return (flags & ZIPW_FORCE_ZIP64) || size >= U32MAX; }
static int big_offset(uint64_t off, unsigned flags) { return (flags & ZIPW_FORCE_ZIP64) || off >= U32MAX; }

static uint64_t local_len(size_t nl, uint64_t size, unsigned flags) {
  return 30 + nl + (big_size(size, flags) ? 20 : 0);
}
static uint64_t desc_len(uint64_t size, unsigned flags) { return big_size(size, flags) ? 24 : 16; }
static uint64_t central_extra(uint64_t size, uint64_t off, unsigned flags) {
  uint64_t x = (big_size(size, flags) ? 16 : 0) + (big_offset(off, flags) ? 8 : 0);
  return x ? x + 4 : 0;
}
static int big_end(size_t n, uint64_t cd_start, uint64_t cd_size, unsigned flags) {
  return (flags & ZIPW_FORCE_ZIP64) || n >= 0xFFFF || cd_start >= U32MAX || cd_size >= U32MAX;
}

uint64_t zipw_total(const struct zipw_entry *e, size_t n, unsigned flags) {
  uint64_t pos = 0, cd = 0;
  for (size_t i = 0; i < n; i++) {
    size_t nl = strlen(e[i].name);
    if (nl > ZIPW_NAME_MAX) nl = ZIPW_NAME_MAX;
    cd += 46 + nl + central_extra(e[i].size, pos, flags);
    pos += local_len(nl, e[i].size, flags) + e[i].size + desc_len(e[i].size, flags);
  }
  return pos + cd + (big_end(n, pos, cd, flags) ? 56 + 20 : 0) + 22;
}

struct zipw *zipw_new(const struct zipw_entry *e, size_t n, const struct zipw_source *src, unsigned flags) {
  struct zipw *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  z->e = calloc(n ? n : 1, sizeof *z->e);
  if (!z->e) goto fail;
  z->n = n;
  z->flags = flags;
  z->src = *src;
  for (size_t i = 0; i < n; i++) {
    size_t nl = strlen(e[i].name);
    if (nl > ZIPW_NAME_MAX) nl = ZIPW_NAME_MAX;
    z->e[i].name = malloc(nl + 1);
    if (!z->e[i].name) goto fail;
    memcpy(z->e[i].name, e[i].name, nl);
    z->e[i].name[nl] = '\0';
    z->e[i].nl = nl;
    z->e[i].size = e[i].size;
  }
  return z;
fail:
  zipw_free(z);
  return NULL;
}

void zipw_free(struct zipw *z) {
  if (!z) return;
  if (z->e)
    for (size_t i = 0; i < z->n; i++) free(z->e[i].name);
  free(z->e);
  free(z);
}

/* Fills z->out with the next piece (or leaves it empty and moves on). 0 more, 1 end, -1 fail. */
static int zipw_next(struct zipw *z) {
  z->out_len = z->out_off = 0;
  for (;;) {
    switch (z->phase) {
    case 0: {
      if (z->cur >= z->n) {
        z->phase = 3;
        z->central_start = z->pos;
        continue;
      }
      struct zent *e = &z->e[z->cur];
      int big = big_size(e->size, z->flags);
      e->offset = z->pos;
      e->crc = (uint32_t)crc32(0L, Z_NULL, 0);
      unsigned char *p = z->out;
      memset(p, 0, 30);
      put32(p, 0x04034b50);
      put16(p + 4, big ? 45 : 20);
      put16(p + 6, 0x0808); /* sizes in a data descriptor; UTF-8 names */
      if (big) {
        put32(p + 18, 0xFFFFFFFFu);
        put32(p + 22, 0xFFFFFFFFu);
      }
      put16(p + 26, (unsigned)e->nl);
      put16(p + 28, big ? 20 : 0);
      memcpy(p + 30, e->name, e->nl);
      z->out_len = 30 + e->nl;
      if (big) {
        unsigned char *x = p + z->out_len;
        memset(x, 0, 20);
        put16(x, 0x0001);
        put16(x + 2, 16);
        z->out_len += 20;
      }
      if (z->src.open && z->src.open(z->src.ctx, z->cur) != 0) return -1;
      z->entry_bytes = 0;
      z->phase = 1;
      return 0;
    }
    case 1: {
      struct zent *e = &z->e[z->cur];
      uint64_t left = e->size - z->entry_bytes;
      size_t cap = ZIPW_CHUNK;
      /* ask one byte past the declared end so a source that gives more is caught */
      if (left < cap) cap = (size_t)left + 1;
      ssize_t k = z->src.read(z->src.ctx, z->cur, z->out, cap);
      if (k < 0) return -1;
      if (k == 0) {
        /* done first: the source may want to say why a short entry fails */
        if (z->src.done && z->src.done(z->src.ctx, z->cur, z->entry_bytes) != 0) return -1;
        if (z->entry_bytes != e->size) return -1;
        z->phase = 2;
        continue;
      }
      if ((uint64_t)k > left) return -1;
      e->crc = (uint32_t)crc32(e->crc, z->out, (uInt)k);
      z->entry_bytes += (uint64_t)k;
      z->out_len = (size_t)k;
      return 0;
    }
    case 2: {
      struct zent *e = &z->e[z->cur];
      put32(z->out, 0x08074b50);
      put32(z->out + 4, e->crc);
      if (big_size(e->size, z->flags)) {
        put64(z->out + 8, e->size);
        put64(z->out + 16, e->size);
        z->out_len = 24;
      } else {
        put32(z->out + 8, (uint32_t)e->size);
        put32(z->out + 12, (uint32_t)e->size);
        z->out_len = 16;
      }
      z->cur++;
      z->phase = 0;
      return 0;
    }
    case 3: {
      if (z->central_i >= z->n) {
        z->phase = 4;
        continue;
      }
      struct zent *e = &z->e[z->central_i++];
      int bs = big_size(e->size, z->flags), bo = big_offset(e->offset, z->flags);
      unsigned xl = (unsigned)central_extra(e->size, e->offset, z->flags);
      unsigned char *p = z->out;
      memset(p, 0, 46);
      put32(p, 0x02014b50);
      put16(p + 4, 0x0300 | 45); /* made by: unix, 4.5 */
      put16(p + 6, xl ? 45 : 20);
      put16(p + 8, 0x0808);
      put32(p + 16, e->crc);
      put32(p + 20, bs ? 0xFFFFFFFFu : (uint32_t)e->size);
      put32(p + 24, bs ? 0xFFFFFFFFu : (uint32_t)e->size);
      put16(p + 28, (unsigned)e->nl);
      put16(p + 30, xl);
      put32(p + 38, (uint32_t)0100644 << 16);
      put32(p + 42, bo ? 0xFFFFFFFFu : (uint32_t)e->offset);
      memcpy(p + 46, e->name, e->nl);
      z->out_len = 46 + e->nl;
      if (xl) {
        unsigned char *x = p + z->out_len;
        put16(x, 0x0001);
        put16(x + 2, xl - 4);
        size_t o = 4;
        if (bs) {
          put64(x + o, e->size); /* uncompressed, then compressed */
          put64(x + o + 8, e->size);
          o += 16;
        }
        if (bo) put64(x + o, e->offset);
        z->out_len += xl;
      }
      return 0;
    }
    case 4: {
      uint64_t cd_size = z->pos - z->central_start;
      unsigned char *p = z->out;
      size_t o = 0;
      int big = big_end(z->n, z->central_start, cd_size, z->flags);
      if (big) {
        uint64_t rec = z->pos;
        memset(p, 0, 56 + 20);
        put32(p, 0x06064b50);
        put64(p + 4, 44);
        put16(p + 12, 0x0300 | 45);
        put16(p + 14, 45);
        put64(p + 24, z->n);
        put64(p + 32, z->n);
        put64(p + 40, cd_size);
        put64(p + 48, z->central_start);
        put32(p + 56, 0x07064b50);
        put64(p + 64, rec);
        put32(p + 72, 1);
        o = 76;
      }
      memset(p + o, 0, 22);
      put32(p + o, 0x06054b50);
      unsigned cnt = z->n >= 0xFFFF || (big && (z->flags & ZIPW_FORCE_ZIP64)) ? 0xFFFF : (unsigned)z->n;
      put16(p + o + 8, cnt);
      put16(p + o + 10, cnt);
      put32(p + o + 12, cd_size >= U32MAX || (big && (z->flags & ZIPW_FORCE_ZIP64)) ? 0xFFFFFFFFu : (uint32_t)cd_size);
      put32(p + o + 16, z->central_start >= U32MAX || (big && (z->flags & ZIPW_FORCE_ZIP64)) ? 0xFFFFFFFFu
                                                                                             : (uint32_t)z->central_start);
      z->out_len = o + 22;
      z->phase = 5;
      return 0;
    }
    case 5: return 1;
    default: return -1;
    }
  }
}

ssize_t zipw_read(struct zipw *z, unsigned char *buf, size_t max) {
  size_t got = 0;
  while (got < max) {
    if (z->out_off == z->out_len) {
      int rc = zipw_next(z);
      if (rc < 0) {
        z->phase = -1;
        return -1;
      }
      if (rc > 0) break;
      continue;
    }
    size_t k = z->out_len - z->out_off;
    if (k > max - got) k = max - got;
    memcpy(buf + got, z->out + z->out_off, k);
    z->out_off += k;
    z->pos += k;
    got += k;
  }
  return (ssize_t)got;
}
