#include "core/zipcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EOCD_LEN 22
#define EOCD_SEARCH (EOCD_LEN + 65535)
#define CDH_LEN 46
#define WINDOW (256 * 1024) /* >= CDH_LEN + 3 * 65535: one whole header always fits */
#define MAX_CD_BYTES ((uint64_t)256 << 20)

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* A buffered window over read_at. */
struct win {
  zip_read_at_fn read_at;
  void *ctx;
  uint64_t size, off;
  size_t len;
  unsigned char *buf;
};

/* Makes [pos, pos + need) available; returns a pointer to it, or NULL when
 * the range runs past the end or read_at failed (then *io_err is set). */
static const unsigned char *win_get(struct win *w, uint64_t pos, size_t need, int *io_err) {
  if (pos >= w->off && pos + need <= w->off + w->len) return w->buf + (pos - w->off);
  if (pos > w->size || need > w->size - pos || need > WINDOW) return NULL;
  size_t n = w->size - pos < WINDOW ? (size_t)(w->size - pos) : WINDOW;
  if (w->read_at(w->ctx, pos, w->buf, n) != 0) {
    *io_err = 1;
    return NULL;
  }
  w->off = pos;
  w->len = n;
  return w->buf;
}

int zip_census_read(zip_read_at_fn read_at, void *ctx, uint64_t size, const struct zip_limits *lim,
                    struct zip_census *out, char *why, size_t whylen) {
  memset(out, 0, sizeof *out);
  if (whylen) why[0] = '\0';
  int rc = 1, io_err = 0;
  struct win w = {read_at, ctx, size, 0, 0, malloc(WINDOW)};
  if (!w.buf) return -1;
  if (size < EOCD_LEN) {
    snprintf(why, whylen, "the archive is damaged: it is too short to be a ZIP file");
    goto done;
  }
  /* the end-of-central-directory record: the last signature in the tail */
  size_t tail = size < EOCD_SEARCH ? (size_t)size : EOCD_SEARCH;
  uint64_t tail_off = size - tail;
  unsigned char *t = malloc(tail);
  if (!t || read_at(ctx, tail_off, t, tail) != 0) {
    free(t);
    rc = -1;
    goto done;
  }
  long eocd = -1;
  for (long i = (long)tail - EOCD_LEN; i >= 0; i--)
    if (le32(t + i) == 0x06054b50 && (size_t)i + EOCD_LEN + le16(t + i + 20) <= tail) {
      eocd = i;
      break;
    }
  if (eocd < 0) {
    free(t);
    snprintf(why, whylen, "the archive is damaged: its table of contents is missing");
    goto done;
  }
  const unsigned char *e = t + eocd;
  uint64_t eocd_pos = tail_off + (uint64_t)eocd;
  uint64_t entries = le16(e + 10), cd_size = le32(e + 12), cd_end = eocd_pos;
  int disk = le16(e + 4) != 0 || le16(e + 6) != 0;
  int counts_differ = le16(e + 8) != le16(e + 10);
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || le32(e + 16) == 0xFFFFFFFF) {
    /* ZIP64: the locator sits just before the record */
    unsigned char loc[20], z[56];
    if (eocd_pos < 20 || read_at(ctx, eocd_pos - 20, loc, 20) != 0) {
      free(t);
      rc = eocd_pos < 20 ? 1 : -1;
      if (rc == 1) snprintf(why, whylen, "the archive is damaged: its table of contents is incomplete");
      goto done;
    }
    uint64_t z_off = le64(loc + 8);
    if (le32(loc) != 0x07064b50 || z_off > eocd_pos - 20 || eocd_pos - 20 - z_off < 56 ||
        read_at(ctx, z_off, z, 56) != 0 || le32(z) != 0x06064b50) {
      free(t);
      snprintf(why, whylen, "the archive is damaged: its table of contents is incomplete");
      goto done;
    }
    entries = le64(z + 32);
    cd_size = le64(z + 40);
    cd_end = z_off;
    disk = disk || le32(z + 16) != 0 || le32(z + 20) != 0;
    counts_differ = le64(z + 24) != le64(z + 32);
  }
  free(t);
  if (disk) {
    snprintf(why, whylen, "it is one part of an archive split over several files; please send it as one ZIP file");
    goto done;
  }
  if (counts_differ) {
    snprintf(why, whylen, "the archive is damaged: its table of contents does not add up");
    goto done;
  }
  if (entries > lim->max_entries) {
    snprintf(why, whylen, "it holds %llu files, and we unpack at most %llu from one archive; please split it into "
             "smaller ZIP files", (unsigned long long)entries, (unsigned long long)lim->max_entries);
    goto done;
  }
  if (cd_size > cd_end || cd_size > MAX_CD_BYTES) {
    snprintf(why, whylen, "the archive is damaged: its table of contents does not fit in it");
    goto done;
  }
  /* walk the central directory (it may not start at its recorded offset
   * when something precedes the archive, so it is found from its end) */
  uint64_t pos = cd_end - cd_size;
  while (pos < cd_end) {
    const unsigned char *h = win_get(&w, pos, CDH_LEN, &io_err);
    if (!h || le32(h) != 0x02014b50) break;
    size_t var = (size_t)le16(h + 28) + le16(h + 30) + le16(h + 32);
    h = win_get(&w, pos, CDH_LEN + var, &io_err);
    if (!h) break;
    uint64_t comp = le32(h + 20), unc = le32(h + 24);
    if (comp == 0xFFFFFFFF || unc == 0xFFFFFFFF) {
      /* ZIP64 extra field: uncompressed, then compressed, each only when its 32-bit field is all ones */
      const unsigned char *x = h + CDH_LEN + le16(h + 28), *xe = x + le16(h + 30);
      while (x + 4 <= xe) {
        uint16_t id = le16(x), xl = le16(x + 2);
        if (x + 4 + xl > xe) break;
        if (id == 0x0001) {
          const unsigned char *f = x + 4, *fe = x + 4 + xl;
          if (unc == 0xFFFFFFFF && f + 8 <= fe) {
            unc = le64(f);
            f += 8;
          }
          if (comp == 0xFFFFFFFF && f + 8 <= fe) comp = le64(f);
          break;
        }
        x += 4 + xl;
      }
    }
    out->entries++;
    out->total += unc;
    out->compressed += comp;
    if (out->entries > lim->max_entries) {
      snprintf(why, whylen, "it holds more than %llu files, the most we unpack from one archive; please split it "
               "into smaller ZIP files", (unsigned long long)lim->max_entries);
      goto done;
    }
    if (unc > lim->max_total || out->total > lim->max_total) {
      snprintf(why, whylen, "it would unpack to more than %llu GiB, the most we unpack from one archive",
               (unsigned long long)(lim->max_total >> 30));
      goto done;
    }
    pos += CDH_LEN + var;
  }
  if (io_err) {
    rc = -1;
    goto done;
  }
  if (pos != cd_end || out->entries != entries) {
    snprintf(why, whylen, "the archive is damaged: its table of contents does not add up");
    goto done;
  }
  if (out->total > (size + ((uint64_t)1 << 20)) * lim->max_ratio) {
    snprintf(why, whylen, "it would unpack to more than %llu times its own size, which only damaged or "
             "deliberately harmful archives do", (unsigned long long)lim->max_ratio);
    goto done;
  }
  rc = 0;
done:
  free(w.buf);
  if (rc != 1 && whylen) why[0] = '\0';
  return rc;
}
