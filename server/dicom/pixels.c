/* DICOM pixel data reader: native frames and encapsulated fragments (PS3.5 8.2, A.4), one frame
 * at a time. See pixels.h for the canonical output layout. */
#include "dicom/pixels.h"

#include "dicom/codecs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define UNDEFINED_LENGTH 0xFFFFFFFFu
#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define TAG_ITEM TAG(0xFFFE, 0xE000)
#define TAG_SEQ_END TAG(0xFFFE, 0xE0DD)

enum pix_rc pix_say(enum pix_rc rc, char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static int mem_read_at(void *ctx, unsigned long long off, void *dst, size_t n) {
  const struct pix_mem *m = ctx;
  if (off > m->len || n > m->len - off) return -1;
  if (n) memcpy(dst, m->buf + off, n);
  return 0;
}

void pix_io_memory(struct pix_io *io, struct pix_mem *m, const unsigned char *buf, size_t len) {
  m->buf = buf;
  m->len = buf ? len : 0;
  io->read_at = mem_read_at;
  io->ctx = m;
  io->size = m->len;
}

static const struct {
  const char *uid;
  enum pix_codec codec;
} syntaxes[] = {
    {"1.2.840.10008.1.2", PIX_NATIVE_LE},         {"1.2.840.10008.1.2.1", PIX_NATIVE_LE},
    {"1.2.840.10008.1.2.2", PIX_NATIVE_BE},       {"1.2.840.10008.1.2.1.99", PIX_DEFLATED},
    {"1.2.840.10008.1.2.5", PIX_RLE},             {"1.2.840.10008.1.2.4.57", PIX_JPEG_LOSSLESS},
    {"1.2.840.10008.1.2.4.70", PIX_JPEG_LOSSLESS}, {"1.2.840.10008.1.2.4.50", PIX_JPEG_BASELINE},
    {"1.2.840.10008.1.2.4.51", PIX_JPEG_EXTENDED}, {"1.2.840.10008.1.2.4.80", PIX_JPEG_LS},
    {"1.2.840.10008.1.2.4.81", PIX_JPEG_LS},       {"1.2.840.10008.1.2.4.90", PIX_JPEG_2000},
    {"1.2.840.10008.1.2.4.91", PIX_JPEG_2000},
};

static const char *codec_words(enum pix_codec c) {
  switch (c) {
  case PIX_NATIVE_LE:
  case PIX_NATIVE_BE: return "uncompressed";
  case PIX_RLE: return "RLE";
  case PIX_JPEG_LOSSLESS: return "JPEG lossless";
  case PIX_JPEG_BASELINE: return "baseline JPEG";
  case PIX_JPEG_EXTENDED: return "12-bit extended JPEG";
  case PIX_JPEG_LS: return "JPEG-LS";
  case PIX_JPEG_2000: return "JPEG 2000";
  case PIX_DEFLATED: return "deflated";
  case PIX_OTHER: return "an unknown transfer syntax";
  }
  return "an unknown transfer syntax";
}

enum pix_rc pix_format_from_info(const struct dicom_info *d, struct pix_format *f, char *err,
                                 size_t errlen) {
  memset(f, 0, sizeof *f);
  if (err && errlen) err[0] = '\0';
  if (!d->has_pixel_data) return pix_say(PIX_NO_FRAME, err, errlen, "the file holds no image");
  f->codec = PIX_OTHER;
  for (size_t i = 0; i < sizeof syntaxes / sizeof *syntaxes; i++)
    if (strcmp(d->transfer_syntax, syntaxes[i].uid) == 0) f->codec = syntaxes[i].codec;
  f->big_endian = f->codec == PIX_NATIVE_BE;
  f->rows = d->rows;
  f->columns = d->columns;
  f->samples = d->samples_per_pixel ? d->samples_per_pixel : 1;
  f->bits_allocated = d->bits_allocated;
  f->bits_stored = d->has_bits_stored ? d->bits_stored : d->bits_allocated;
  f->high_bit = d->has_high_bit ? d->high_bit : f->bits_stored - 1;
  f->is_signed = d->pixel_representation == 1;
  f->planar = d->planar_configuration == 1;
  f->frames = dicom_frames(d);
  f->pixel_offset = d->pixel_offset;
  f->pixel_length = d->pixel_length;
  f->dataset_offset = d->dataset_offset;
  const char *pi = d->photometric;
  f->photometric = !strcmp(pi, "MONOCHROME1")   ? PIX_MONOCHROME1
                   : !strcmp(pi, "MONOCHROME2") ? PIX_MONOCHROME2
                   : !strcmp(pi, "RGB")         ? PIX_RGB
                   : !strcmp(pi, "YBR_FULL")    ? PIX_YBR_FULL
                   : !pi[0] && f->samples == 1  ? PIX_MONOCHROME2
                                                : PIX_PHOTOMETRIC_OTHER;
  /* colour the decoding library turns into RGB: baseline JPEG's YCbCr, JPEG 2000's ICT/RCT */
  if (f->samples == 3 &&
      ((f->codec == PIX_JPEG_BASELINE && (!strcmp(pi, "YBR_FULL_422") || !strcmp(pi, "YBR_FULL"))) ||
       (f->codec == PIX_JPEG_2000 && (!strcmp(pi, "YBR_ICT") || !strcmp(pi, "YBR_RCT")))))
    f->photometric = PIX_RGB;
  if (!f->rows || !f->columns || !f->bits_allocated)
    return pix_say(PIX_MALFORMED, err, errlen, "the image size or sample size is missing");
  if (f->bits_allocated != 8 && f->bits_allocated != 16)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "images with %u-bit samples are not shown here",
               f->bits_allocated);
  if (!f->bits_stored || f->bits_stored > f->bits_allocated || f->high_bit >= f->bits_allocated ||
      f->high_bit + 1 < f->bits_stored)
    return pix_say(PIX_MALFORMED, err, errlen, "bits stored (%u) and high bit (%u) do not fit %u-bit samples",
               f->bits_stored, f->high_bit, f->bits_allocated);
  if (f->samples == 1 && f->photometric != PIX_MONOCHROME1 && f->photometric != PIX_MONOCHROME2)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "the colour model %s is not shown here", pi[0] ? pi : "(none)");
  if (f->samples == 3 && f->photometric != PIX_RGB && f->photometric != PIX_YBR_FULL)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "the colour model %s is not shown here", pi[0] ? pi : "(none)");
  if (f->samples != 1 && f->samples != 3)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "images with %u samples per pixel are not shown here", f->samples);
  if (f->rows > 65535 || f->columns > 65535 || f->frames < 1)
    return pix_say(PIX_MALFORMED, err, errlen, "the image size is not valid");
  if (f->codec != PIX_DEFLATED && !d->pixel_offset_known)
    return pix_say(PIX_MALFORMED, err, errlen, "the position of the image in the file is not known");
  int encapsulated = d->pixel_encapsulated;
  int wants_encapsulated = f->codec != PIX_NATIVE_LE && f->codec != PIX_NATIVE_BE && f->codec != PIX_DEFLATED;
  if (encapsulated != wants_encapsulated)
    return pix_say(PIX_MALFORMED, err, errlen, "the pixel data is %s but the transfer syntax says %s",
               encapsulated ? "compressed" : "not compressed", codec_words(f->codec));
  if (f->codec == PIX_JPEG_BASELINE && f->bits_allocated != 8)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "baseline JPEG with %u-bit samples is not shown here", f->bits_allocated);
  if (f->codec == PIX_JPEG_EXTENDED || f->codec == PIX_OTHER)
    return pix_say(PIX_UNSUPPORTED, err, errlen, "images compressed as %s are not shown yet", codec_words(f->codec));
  return PIX_OK;
}

size_t pix_frame_bytes(const struct pix_format *f) {
  return (size_t)f->rows * f->columns * f->samples * (f->bits_allocated > 8 ? 2u : 1u);
}

/* Bytes of one native frame as stored. */
static unsigned long long native_frame_bytes(const struct pix_format *f) {
  return (unsigned long long)f->rows * f->columns * f->samples * (f->bits_allocated / 8);
}

/* Moves stored bits down and masks them, in place over n samples of the canonical layout. */
static void normalise_bits(const struct pix_format *f, void *buf, size_t n) {
  unsigned shift = f->high_bit + 1 - f->bits_stored;
  if (f->bits_allocated == 8) {
    if (shift == 0 && f->bits_stored == 8) return;
    uint8_t *p = buf, mask = (uint8_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((p[i] >> shift) & mask);
  } else {
    if (shift == 0 && f->bits_stored == 16) return;
    uint16_t *p = buf, mask = (uint16_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint16_t)((p[i] >> shift) & mask);
  }
}

/* Reorders planar (RRR..GGG..BBB..) samples to interleaved, through a scratch copy. */
static enum pix_rc interleave(const struct pix_format *f, void *buf, size_t bytes) {
  unsigned char *tmp = malloc(bytes);
  if (!tmp) return PIX_NOMEM;
  memcpy(tmp, buf, bytes);
  size_t px = (size_t)f->rows * f->columns;
  if (f->bits_allocated == 8) {
    uint8_t *o = buf;
    for (size_t i = 0; i < px; i++)
      for (unsigned s = 0; s < f->samples; s++) o[i * f->samples + s] = tmp[s * px + i];
  } else {
    uint16_t *o = buf;
    const uint16_t *t = (const uint16_t *)(void *)tmp;
    for (size_t i = 0; i < px; i++)
      for (unsigned s = 0; s < f->samples; s++) o[i * f->samples + s] = t[s * px + i];
  }
  free(tmp);
  return PIX_OK;
}

static enum pix_rc native_finish(const struct pix_format *f, void *out, char *err, size_t errlen);

static enum pix_rc native_frame(const struct pix_io *io, const struct pix_format *f, long index,
                                void *out, char *err, size_t errlen) {
  unsigned long long fb = native_frame_bytes(f);
  unsigned long long start = (unsigned long long)index * fb;
  if (f->pixel_length < start + fb)
    return pix_say(PIX_MALFORMED, err, errlen, "the pixel data is shorter than frame %ld needs", index + 1);
  if (f->pixel_offset > io->size || io->size - f->pixel_offset < start + fb)
    return pix_say(PIX_MALFORMED, err, errlen, "the file ends inside frame %ld", index + 1);
  if (io->read_at(io->ctx, f->pixel_offset + start, out, (size_t)fb) != 0)
    return pix_say(PIX_IO, err, errlen, "the image could not be read");
  return native_finish(f, out, err, errlen);
}

/* Turns one native frame as stored (in out) into the canonical layout. */
static enum pix_rc native_finish(const struct pix_format *f, void *out, char *err, size_t errlen) {
  unsigned long long fb = native_frame_bytes(f);
  size_t n = (size_t)f->rows * f->columns * f->samples;
  if (f->bits_allocated == 16) {
    uint8_t *b = out;
    uint16_t *w = out;
    for (size_t i = 0; i < n; i++) {
      uint8_t lo = b[2 * i + (f->big_endian ? 1 : 0)], hi = b[2 * i + (f->big_endian ? 0 : 1)];
      w[i] = (uint16_t)(lo | hi << 8);
    }
  }
  if (f->samples > 1 && f->planar) {
    enum pix_rc rc = interleave(f, out, (size_t)fb);
    if (rc != PIX_OK) return pix_say(rc, err, errlen, "out of memory");
  }
  normalise_bits(f, out, n);
  return PIX_OK;
}

/* A frame of a deflated data set: inflates from the start of the stream, discarding the bytes
 * before the frame (memory stays at two 64 KiB buffers whatever the object's size). */
static enum pix_rc deflated_frame(const struct pix_io *io, const struct pix_format *f, long index,
                                  void *out, char *err, size_t errlen) {
  unsigned long long fb = native_frame_bytes(f);
  unsigned long long start = f->pixel_offset + (unsigned long long)index * fb, end = start + fb;
  if (f->pixel_length < (unsigned long long)(index + 1) * fb)
    return pix_say(PIX_MALFORMED, err, errlen, "the pixel data is shorter than frame %ld needs", index + 1);
  unsigned char *in = malloc(65536), *sink = malloc(65536);
  z_stream z;
  memset(&z, 0, sizeof z);
  enum pix_rc rc = PIX_OK;
  int zinit = 0;
  if (!in || !sink) {
    rc = pix_say(PIX_NOMEM, err, errlen, "out of memory");
    goto done;
  }
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    rc = pix_say(PIX_NOMEM, err, errlen, "out of memory");
    goto done;
  }
  zinit = 1;
  unsigned long long off = f->dataset_offset, produced = 0;
  while (produced < end) {
    if (z.avail_in == 0) {
      if (off >= io->size) {
        rc = pix_say(PIX_MALFORMED, err, errlen, "the file ends inside frame %ld", index + 1);
        goto done;
      }
      size_t n = io->size - off < 65536 ? (size_t)(io->size - off) : 65536;
      if (io->read_at(io->ctx, off, in, n) != 0) {
        rc = pix_say(PIX_IO, err, errlen, "the image could not be read");
        goto done;
      }
      off += n;
      z.next_in = in;
      z.avail_in = (uInt)n;
    }
    uInt room;
    if (produced < start) {
      room = start - produced < 65536 ? (uInt)(start - produced) : 65536;
      z.next_out = sink;
    } else {
      room = end - produced < 0x40000000ull ? (uInt)(end - produced) : 0x40000000u;
      z.next_out = (unsigned char *)out + (produced - start);
    }
    z.avail_out = room;
    int zr = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (zr == Z_STREAM_END && produced < end) {
      rc = pix_say(PIX_MALFORMED, err, errlen, "the deflated data ends inside frame %ld", index + 1);
      goto done;
    }
    if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && z.avail_in == 0)) {
      rc = pix_say(PIX_MALFORMED, err, errlen, "the deflated data is corrupt");
      goto done;
    }
  }
  rc = native_finish(f, out, err, errlen);
done:
  if (zinit) inflateEnd(&z);
  free(in);
  free(sink);
  return rc;
}

static uint32_t rd32(const unsigned char *p, int big) {
  return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
             : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Reads an item header at off: *tag and *len. */
static int item_at(const struct pix_io *io, unsigned long long off, int big, uint32_t *tag, uint32_t *len) {
  unsigned char h[8];
  if (off > io->size || io->size - off < 8) return -1;
  if (io->read_at(io->ctx, off, h, 8) != 0) return -1;
  if (big) *tag = (uint32_t)(h[0] << 8 | h[1]) << 16 | (uint32_t)(h[2] << 8 | h[3]);
  else *tag = (uint32_t)(h[1] << 8 | h[0]) << 16 | (uint32_t)(h[3] << 8 | h[2]);
  *len = rd32(h + 4, big);
  return 0;
}

/* Walks the fragments after the Basic Offset Table starting at item offset `at`, calling back
 * for each: cb returns 1 to stop. Returns PIX_OK at the sequence delimiter or on stop. */
struct walk {
  long want_frame, frame, frames;
  unsigned long long bot_first, bot_next; /* BOT: absolute item offsets of the frame and the next */
  int mode;                               /* 0 BOT, 1 one per frame, 2 all, 3 by SOI */
  long fragment;
  struct pix_fragment *frags;
  size_t max, n;
  unsigned long long total;
  int overflow;
};

static enum pix_rc add_frag(struct walk *w, unsigned long long off, unsigned long len) {
  if (w->n >= w->max) {
    w->overflow = 1;
    return PIX_MALFORMED;
  }
  w->frags[w->n].offset = off;
  w->frags[w->n].length = len;
  w->n++;
  w->total += len;
  return PIX_OK;
}

enum pix_rc pix_frame_fragments(const struct pix_io *io, const struct pix_format *f, long index,
                                struct pix_fragment *frags, size_t max, size_t *n,
                                unsigned long long *total, char *err, size_t errlen) {
  *n = 0;
  *total = 0;
  if (index < 0 || index >= f->frames) return pix_say(PIX_NO_FRAME, err, errlen, "there is no frame %ld", index + 1);
  int big = f->big_endian;
  unsigned long long at = f->pixel_offset;
  uint32_t tag, len;
  if (item_at(io, at, big, &tag, &len) != 0 || tag != TAG_ITEM || len == UNDEFINED_LENGTH)
    return pix_say(PIX_MALFORMED, err, errlen, "the compressed image has no offset table item");
  unsigned long long bot_at = at + 8, first = bot_at + len;
  if (len > io->size - bot_at) return pix_say(PIX_MALFORMED, err, errlen, "the offset table runs past the end of the file");
  struct walk w = {.want_frame = index, .frames = f->frames, .frags = frags, .max = max};
  /* Basic Offset Table: one 32-bit offset per frame, relative to the first fragment's item */
  if (len >= 4 && len % 4 == 0 && len / 4 == (unsigned long long)f->frames) {
    unsigned char b[8];
    if (io->read_at(io->ctx, bot_at + 4ull * (unsigned long long)index, b, 4) != 0)
      return pix_say(PIX_IO, err, errlen, "the image could not be read");
    w.bot_first = first + rd32(b, big);
    w.bot_next = ~0ull;
    if (index + 1 < f->frames) {
      if (io->read_at(io->ctx, bot_at + 4ull * (unsigned long long)(index + 1), b, 4) != 0)
        return pix_say(PIX_IO, err, errlen, "the image could not be read");
      w.bot_next = first + rd32(b, big);
      if (w.bot_next <= w.bot_first)
        return pix_say(PIX_MALFORMED, err, errlen, "the offset table is not in order at frame %ld", index + 1);
    }
    w.mode = 0;
  } else if (len != 0) {
    return pix_say(PIX_MALFORMED, err, errlen, "the offset table has %lu bytes for %ld frames",
               (unsigned long)len, f->frames);
  } else if (f->frames == 1) {
    w.mode = 2;
  } else {
    w.mode = 1; /* decided below: one fragment per frame if counts agree, else by SOI */
    long count = 0;
    for (unsigned long long p = first;;) {
      if (item_at(io, p, big, &tag, &len) != 0) return pix_say(PIX_MALFORMED, err, errlen, "the compressed image is cut short");
      if (tag == TAG_SEQ_END) break;
      if (tag != TAG_ITEM || len == UNDEFINED_LENGTH || len > io->size - p - 8)
        return pix_say(PIX_MALFORMED, err, errlen, "a fragment of the compressed image is broken");
      p += 8ull + len;
      count++;
    }
    if (count != f->frames) w.mode = 3; /* frames start at a JPEG SOI, a J2K SOC or an RLE header */
  }
  long frame = -1;
  int in = 0;
  /* with an offset table, go straight to the frame's first fragment */
  for (unsigned long long p = w.mode == 0 ? w.bot_first : first;; w.fragment++) {
    if (w.mode == 0 && p == w.bot_first &&
        (item_at(io, p, big, &tag, &len) != 0 || tag != TAG_ITEM))
      return pix_say(PIX_MALFORMED, err, errlen, "the offset table does not point at a fragment for frame %ld", index + 1);
    if (item_at(io, p, big, &tag, &len) != 0) return pix_say(PIX_MALFORMED, err, errlen, "the compressed image is cut short");
    if (tag == TAG_SEQ_END) break;
    if (tag != TAG_ITEM || len == UNDEFINED_LENGTH || len > io->size - p - 8)
      return pix_say(PIX_MALFORMED, err, errlen, "a fragment of the compressed image is broken");
    unsigned long long data = p + 8;
    switch (w.mode) {
    case 0:
      if (p == w.bot_first) in = 1;
      else if (!in && p > w.bot_first)
        return pix_say(PIX_MALFORMED, err, errlen, "the offset table does not point at a fragment for frame %ld", index + 1);
      if (in && p >= w.bot_next) in = 0;
      break;
    case 1: in = w.fragment == index; break;
    case 2: in = 1; break;
    case 3: {
      unsigned char m[8] = {0};
      size_t want = len < 8 ? len : 8;
      if (io->read_at(io->ctx, data, m, want) != 0) return pix_say(PIX_IO, err, errlen, "the image could not be read");
      if (f->codec == PIX_RLE) {
        /* an RLE header: 1-15 segments, the first at offset 64 */
        if (len >= 64 && rd32(m, 0) >= 1 && rd32(m, 0) <= 15 && rd32(m + 4, 0) == 64) frame++;
      } else if (m[0] == 0xFF && (m[1] == 0xD8 || m[1] == 0x4F)) { /* JPEG/JPEG-LS SOI, J2K SOC */
        frame++;
      } else if (want == 8 && !memcmp(m, "\0\0\0\x0CjP  ", 8)) { /* a JP2 file */
        frame++;
      }
      in = frame == index;
      break;
    }
    }
    if (in && add_frag(&w, data, len) != PIX_OK)
      return pix_say(PIX_MALFORMED, err, errlen, "frame %ld has more than %zu fragments", index + 1, max);
    if (!in && w.n > 0 && w.mode != 2) break; /* past our frame */
    p = data + len;
  }
  if (w.n == 0 && w.mode == 0)
    return pix_say(PIX_MALFORMED, err, errlen, "the offset table points past the fragments for frame %ld", index + 1);
  if (w.n == 0) return pix_say(PIX_MALFORMED, err, errlen, "frame %ld has no compressed data", index + 1);
  *n = w.n;
  *total = w.total;
  return PIX_OK;
}

enum pix_rc pix_decode_frame(const struct pix_io *io, const struct pix_format *f, long index,
                             void *out, size_t outcap, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (index < 0 || index >= f->frames) return pix_say(PIX_NO_FRAME, err, errlen, "there is no frame %ld", index + 1);
  if (outcap < pix_frame_bytes(f)) return pix_say(PIX_BUFFER, err, errlen, "the frame buffer is too small");
  if (f->codec == PIX_NATIVE_LE || f->codec == PIX_NATIVE_BE) return native_frame(io, f, index, out, err, errlen);
  if (f->codec == PIX_DEFLATED) return deflated_frame(io, f, index, out, err, errlen);
  struct pix_fragment *frags = malloc(PIX_MAX_FRAGMENTS * sizeof *frags);
  unsigned char *data = NULL;
  enum pix_rc rc = PIX_NOMEM;
  if (!frags) goto done;
  size_t n;
  unsigned long long total;
  rc = pix_frame_fragments(io, f, index, frags, PIX_MAX_FRAGMENTS, &n, &total, err, errlen);
  if (rc != PIX_OK) goto done;
  if (total > PIX_MAX_COMPRESSED_FRAME) {
    rc = pix_say(PIX_UNSUPPORTED, err, errlen, "frame %ld is too large to decode", index + 1);
    goto done;
  }
  data = malloc(total ? (size_t)total : 1);
  if (!data) {
    rc = PIX_NOMEM;
    goto done;
  }
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (io->read_at(io->ctx, frags[i].offset, data + at, frags[i].length) != 0) {
      rc = pix_say(PIX_IO, err, errlen, "the image could not be read");
      goto done;
    }
    at += frags[i].length;
  }
  if (f->codec == PIX_RLE) rc = pix_rle_decode(data, at, f, out, outcap, err, errlen);
  else if (f->codec == PIX_JPEG_LOSSLESS) rc = pix_jpegll_decode(data, at, f, out, outcap, err, errlen);
  else if (f->codec == PIX_JPEG_LS) rc = pix_jpegls_decode(data, at, f, out, outcap, err, errlen);
  else if (f->codec == PIX_JPEG_2000) rc = pix_j2k_decode(data, at, f, out, outcap, err, errlen);
  else if (f->codec == PIX_JPEG_BASELINE) rc = pix_jpegbase_decode(data, at, f, out, outcap, err, errlen);
  else rc = pix_say(PIX_UNSUPPORTED, err, errlen, "images compressed as %s are not shown yet", codec_words(f->codec));
done:
  if (rc == PIX_NOMEM) pix_say(rc, err, errlen, "out of memory");
  free(data);
  free(frags);
  return rc;
}

const char *pix_rc_name(enum pix_rc rc) {
  switch (rc) {
  case PIX_OK: return "ok";
  case PIX_UNSUPPORTED: return "unsupported";
  case PIX_MALFORMED: return "malformed";
  case PIX_NO_FRAME: return "no-frame";
  case PIX_BUFFER: return "buffer";
  case PIX_IO: return "io";
  case PIX_NOMEM: return "nomem";
  }
  return "invalid";
}
