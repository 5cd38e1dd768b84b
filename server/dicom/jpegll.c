/* JPEG lossless decoder, process 14 (ITU T.81 Annex H), for DICOM transfer syntaxes
 * 1.2.840.10008.1.2.4.57 and .70. Debian 12's libjpeg-turbo 2.1.5 decodes only the DCT
 * processes, so this small decoder is our own: Huffman tables (Annex C, F.2.2.3), the seven
 * predictors with the first-line and restart rules (H.1.2.1), point transform, 2-16 bit
 * precision, interleaved and non-interleaved scans with 1x1 sampling. Bounded: it reads only
 * in[0..inlen), writes only the frame, and stops after rows x columns samples per component. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/codecs.h"

#define LOOK_BITS 9

struct huff {
  int defined;
  uint8_t vals[256];
  int32_t maxcode[18], mincode[17], valptr[17];
  uint16_t look[1 << LOOK_BITS]; /* (length << 8 | value), 0: longer code */
};

struct comp {
  int id, table;
  int done;
};

struct br {
  const unsigned char *p;
  size_t n, pos;
  uint64_t acc;
  int cnt, marker;
};

struct dec {
  const unsigned char *p;
  size_t n, pos;
  struct huff dc[4];
  struct comp comp[4];
  int ncomp, precision, have_frame;
  unsigned restart;
  char *err;
  size_t errlen;
};

static enum pix_rc say(struct dec *d, enum pix_rc rc, const char *fmt, ...) {
  if (d->err && d->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, d->errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* ---- bit reader: byte stuffing (FF 00) removed; at a marker, zeros are fed ---- */

static void fill(struct br *b) {
  while (b->cnt <= 56) {
    unsigned v = 0;
    if (!b->marker && b->pos < b->n) {
      v = b->p[b->pos];
      if (v == 0xFF) {
        if (b->pos + 1 < b->n && b->p[b->pos + 1] == 0x00) {
          b->pos += 2;
        } else {
          b->marker = 1; /* stay on the marker */
          v = 0;
        }
      } else {
        b->pos++;
      }
    }
    b->acc |= (uint64_t)v << (56 - b->cnt);
    b->cnt += 8;
  }
}

static inline unsigned peek(struct br *b, int n) {
  if (b->cnt < n) fill(b);
  return (unsigned)(b->acc >> (64 - n));
}

static inline void skip(struct br *b, int n) {
  b->acc <<= n;
  b->cnt -= n;
}

/* Decodes one Huffman symbol, or -1 for a code no table has. */
static inline int symbol(struct br *b, const struct huff *h) {
  if (b->cnt < 16) fill(b);
  unsigned l = h->look[b->acc >> (64 - LOOK_BITS)];
  if (l) {
    skip(b, (int)(l >> 8));
    return (int)(l & 0xFF);
  }
  for (int len = LOOK_BITS + 1; len <= 16; len++) {
    int32_t code = (int32_t)(b->acc >> (64 - len));
    if (code <= h->maxcode[len]) {
      skip(b, len);
      return h->vals[h->valptr[len] + code - h->mincode[len]];
    }
  }
  return -1;
}

/* ---- markers ---- */

static int u8at(struct dec *d, size_t at) { return at < d->n ? d->p[at] : -1; }

static int seg_length(struct dec *d, size_t *len) {
  if (d->n - d->pos < 2) return -1;
  *len = (size_t)d->p[d->pos] << 8 | d->p[d->pos + 1];
  if (*len < 2 || *len > d->n - d->pos) return -1;
  return 0;
}

static enum pix_rc read_dht(struct dec *d, size_t len) {
  size_t at = d->pos + 2, end = d->pos + len;
  while (at < end) {
    if (end - at < 17) return say(d, PIX_MALFORMED, "a Huffman table is cut short");
    int tc = d->p[at] >> 4, th = d->p[at] & 15;
    unsigned counts[17], total = 0;
    for (int i = 1; i <= 16; i++) total += counts[i] = d->p[at + (size_t)i];
    at += 17;
    if (total > 256 || total > end - at) return say(d, PIX_MALFORMED, "a Huffman table is cut short");
    if (tc != 0 || th > 3) { /* AC tables have no use in lossless JPEG */
      at += total;
      continue;
    }
    struct huff *h = &d->dc[th];
    memset(h, 0, sizeof *h);
    memcpy(h->vals, d->p + at, total);
    at += total;
    int32_t code = 0;
    int k = 0;
    for (int bl = 1; bl <= 16; bl++) {
      h->valptr[bl] = k;
      h->mincode[bl] = code;
      if ((int32_t)counts[bl] > (1 << bl) - code) return say(d, PIX_MALFORMED, "a Huffman table has too many codes");
      for (unsigned i = 0; i < counts[bl]; i++, k++, code++) {
        if (bl <= LOOK_BITS) {
          int sh = LOOK_BITS - bl;
          for (int f = 0; f < (1 << sh); f++) h->look[(code << sh) | f] = (uint16_t)(bl << 8 | h->vals[k]);
        }
      }
      h->maxcode[bl] = counts[bl] ? code - 1 : -1;
      code <<= 1;
    }
    h->maxcode[17] = 0x7FFFFFFF;
    h->defined = 1;
  }
  return PIX_OK;
}

static enum pix_rc read_sof(struct dec *d, size_t len, const struct pix_format *f) {
  const unsigned char *s = d->p + d->pos + 2;
  if (len < 8) return say(d, PIX_MALFORMED, "the JPEG frame header is cut short");
  if (d->have_frame) return say(d, PIX_MALFORMED, "the JPEG stream has two frame headers");
  d->precision = s[0];
  unsigned y = (unsigned)s[1] << 8 | s[2], x = (unsigned)s[3] << 8 | s[4];
  d->ncomp = s[5];
  if (len != 8 + 3 * (size_t)d->ncomp || d->ncomp < 1 || d->ncomp > 4)
    return say(d, PIX_MALFORMED, "the JPEG frame header is not valid");
  if (d->precision < 2 || d->precision > 16 || (unsigned)d->precision > f->bits_allocated)
    return say(d, PIX_MALFORMED, "the JPEG precision (%d bits) does not fit %u-bit samples", d->precision,
               f->bits_allocated);
  if (y != f->rows || x != f->columns || (unsigned)d->ncomp != f->samples)
    return say(d, PIX_MALFORMED, "the JPEG image (%ux%u, %d components) is not the %ux%u image the header describes",
               x, y, d->ncomp, f->columns, f->rows);
  for (int i = 0; i < d->ncomp; i++) {
    d->comp[i].id = s[6 + 3 * i];
    if (s[7 + 3 * i] != 0x11) return say(d, PIX_UNSUPPORTED, "subsampled lossless JPEG is not supported");
    for (int j = 0; j < i; j++)
      if (d->comp[j].id == d->comp[i].id) return say(d, PIX_MALFORMED, "two JPEG components share an id");
  }
  d->have_frame = 1;
  return PIX_OK;
}

/* Moves d->pos to the next marker (FF xx, xx not 00, not a restart marker, fill bytes skipped). */
static void seek_marker(struct dec *d) {
  while (d->pos + 1 < d->n) {
    if (d->p[d->pos] == 0xFF) {
      int m = d->p[d->pos + 1];
      if (m != 0x00 && m != 0xFF && (m & 0xF8) != 0xD0) return;
      d->pos += m == 0xFF ? 1 : 2;
    } else {
      d->pos++;
    }
  }
  d->pos = d->n;
}

/* Decodes one scan whose header is at d->pos (length len). */
static enum pix_rc read_scan(struct dec *d, size_t len, const struct pix_format *f, void *out) {
  const unsigned char *s = d->p + d->pos + 2;
  if (!d->have_frame) return say(d, PIX_MALFORMED, "a JPEG scan comes before the frame header");
  int ns = len >= 3 ? s[0] : 0;
  if (ns < 1 || ns > d->ncomp || len != 6 + 2 * (size_t)ns) return say(d, PIX_MALFORMED, "the JPEG scan header is not valid");
  int ci[4];
  for (int i = 0; i < ns; i++) {
    ci[i] = -1;
    for (int j = 0; j < d->ncomp; j++)
      if (d->comp[j].id == s[1 + 2 * i]) ci[i] = j;
    if (ci[i] < 0 || d->comp[ci[i]].done) return say(d, PIX_MALFORMED, "a JPEG scan names an unknown component");
    int t = s[2 + 2 * i] >> 4;
    if (t > 3 || !d->dc[t].defined) return say(d, PIX_MALFORMED, "a JPEG scan uses a Huffman table that is not defined");
    d->comp[ci[i]].table = t;
  }
  int sv = s[1 + 2 * ns], se = s[2 + 2 * ns], pt = s[3 + 2 * ns] & 15;
  if (sv < 1 || sv > 7 || se != 0 || (s[3 + 2 * ns] >> 4) != 0 || pt >= d->precision)
    return say(d, PIX_MALFORMED, "the JPEG scan parameters are not lossless (selection value %d)", sv);
  d->pos += len;

  unsigned cols = f->columns, rows = f->rows, spp = f->samples;
  int32_t *lines = malloc(sizeof *lines * (size_t)cols * 2 * (size_t)ns);
  if (!lines) return say(d, PIX_NOMEM, "out of memory");
  struct br b = {.p = d->p, .n = d->n, .pos = d->pos};
  const int32_t initial = 1 << (d->precision - pt - 1);
  const unsigned mask = f->bits_stored >= 16 ? 0xFFFFu : (1u << f->bits_stored) - 1;
  unsigned long mcus = 0;
  int reset = 1, first_line = 1;
  enum pix_rc rc = PIX_OK;
  for (unsigned y = 0; y < rows && rc == PIX_OK; y++) {
    if (y > 0) first_line = 0;
    for (unsigned x = 0; x < cols; x++) {
      if (d->restart && mcus > 0 && mcus % d->restart == 0) {
        /* restart marker: byte-align, expect RSTn, reset the predictors */
        b.acc = 0;
        b.cnt = 0;
        size_t p = b.pos;
        while (p < b.n && b.p[p] == 0xFF && p + 1 < b.n && b.p[p + 1] == 0xFF) p++;
        if (p + 1 < b.n && b.p[p] == 0xFF && (b.p[p + 1] & 0xF8) == 0xD0) {
          b.pos = p + 2;
          b.marker = 0;
        } else {
          rc = say(d, PIX_MALFORMED, "a JPEG restart marker is missing");
          break;
        }
        reset = 1;
        first_line = 1;
      }
      mcus++;
      for (int k = 0; k < ns; k++) {
        int32_t *cur = lines + ((size_t)k * 2 + (y & 1)) * cols, *prev = lines + ((size_t)k * 2 + !(y & 1)) * cols;
        int t = symbol(&b, &d->dc[d->comp[ci[k]].table]);
        if (t < 0 || t > 16) {
          rc = say(d, PIX_MALFORMED, "the JPEG data has a bad Huffman code at row %u", y + 1);
          break;
        }
        int32_t diff;
        if (t == 0) {
          diff = 0;
        } else if (t == 16) {
          diff = 32768;
        } else {
          int32_t v = (int32_t)peek(&b, t);
          skip(&b, t);
          diff = v < (1 << (t - 1)) ? v - (1 << t) + 1 : v;
        }
        int32_t pred;
        if (reset) {
          pred = initial;
        } else if (x == 0) {
          pred = prev[0];
        } else if (first_line) {
          pred = cur[x - 1];
        } else {
          int32_t ra = cur[x - 1], rb = prev[x], rc_ = prev[x - 1];
          switch (sv) {
          case 1: pred = ra; break;
          case 2: pred = rb; break;
          case 3: pred = rc_; break;
          case 4: pred = ra + rb - rc_; break;
          case 5: pred = ra + ((rb - rc_) >> 1); break;
          case 6: pred = rb + ((ra - rc_) >> 1); break;
          default: pred = (ra + rb) >> 1; break;
          }
        }
        int32_t v = (pred + diff) & 0xFFFF;
        cur[x] = v;
        size_t idx = ((size_t)y * cols + x) * spp + (size_t)ci[k];
        unsigned o = ((unsigned)v << pt) & mask;
        if (f->bits_allocated == 8) ((uint8_t *)out)[idx] = (uint8_t)o;
        else ((uint16_t *)out)[idx] = (uint16_t)o;
      }
      reset = 0;
      if (rc != PIX_OK) break;
    }
  }
  free(lines);
  if (rc != PIX_OK) return rc;
  for (int i = 0; i < ns; i++) d->comp[ci[i]].done = 1;
  d->pos = b.pos;
  seek_marker(d);
  return PIX_OK;
}

enum pix_rc pix_jpegll_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                              void *out, size_t outcap, char *err, size_t errlen) {
  struct dec *d = calloc(1, sizeof *d);
  if (!d) {
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return PIX_NOMEM;
  }
  d->p = in;
  d->n = in ? inlen : 0;
  d->err = err;
  d->errlen = errlen;
  enum pix_rc rc = PIX_OK;
  if (outcap < pix_frame_bytes(f)) {
    rc = say(d, PIX_BUFFER, "the frame buffer is too small");
    goto done;
  }
  if (u8at(d, 0) != 0xFF || u8at(d, 1) != 0xD8) {
    rc = say(d, PIX_MALFORMED, "the JPEG data does not start with a start-of-image marker");
    goto done;
  }
  d->pos = 2;
  for (;;) {
    seek_marker(d);
    if (d->pos + 1 >= d->n) {
      rc = say(d, PIX_MALFORMED, "the JPEG data ends before the end-of-image marker");
      break;
    }
    int m = d->p[d->pos + 1];
    d->pos += 2;
    if (m == 0xD9) break; /* EOI */
    if (m == 0xD8 || m == 0x01) {
      rc = say(d, PIX_MALFORMED, "unexpected JPEG marker FF%02X", m);
      break;
    }
    size_t len;
    if (seg_length(d, &len) != 0) {
      rc = say(d, PIX_MALFORMED, "a JPEG marker segment is cut short");
      break;
    }
    if (m == 0xC3) rc = read_sof(d, len, f);
    else if (m == 0xC4) rc = read_dht(d, len);
    else if (m == 0xDD) {
      if (len != 4) rc = say(d, PIX_MALFORMED, "the JPEG restart interval is not valid");
      else d->restart = (unsigned)d->p[d->pos + 2] << 8 | d->p[d->pos + 3];
    } else if (m == 0xDA) {
      rc = read_scan(d, len, f, out);
      if (rc != PIX_OK) break;
      continue; /* read_scan left pos at the next marker */
    } else if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      rc = say(d, PIX_UNSUPPORTED, "the JPEG data is not lossless (process marker FF%02X)", m);
    }
    if (rc != PIX_OK) break;
    d->pos += len;
  }
  if (rc == PIX_OK) {
    if (!d->have_frame) rc = say(d, PIX_MALFORMED, "the JPEG data has no frame header");
    for (int i = 0; rc == PIX_OK && i < d->ncomp; i++)
      if (!d->comp[i].done) rc = say(d, PIX_MALFORMED, "the JPEG data lacks a scan for component %d", i + 1);
  }
done:
  free(d);
  return rc;
}
