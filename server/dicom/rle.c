/* RLE Lossless decoder (DICOM PS3.5 Annex G): a 64-byte header of up to 15 segment offsets,
 * each segment a PackBits byte stream holding one byte plane (most significant byte of each
 * sample first, samples in order). Bounded by the input and the frame size. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dicom/codecs.h"

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Decodes PackBits from in[0..inlen) into `want` bytes written every `stride` bytes of out.
 * Returns the bytes produced (less than want when the segment ends early). */
static size_t packbits(const unsigned char *in, size_t inlen, unsigned char *out, size_t want,
                       size_t stride) {
  size_t i = 0, o = 0;
  while (o < want && i < inlen) {
    int n = (int8_t)in[i++];
    if (n >= 0) {
      size_t c = (size_t)n + 1;
      if (c > inlen - i) c = inlen - i;
      if (c > want - o) c = want - o;
      for (size_t k = 0; k < c; k++) out[(o + k) * stride] = in[i + k];
      i += (size_t)n + 1;
      o += c;
    } else if (n != -128) {
      if (i >= inlen) break;
      size_t c = (size_t)(1 - n);
      unsigned char v = in[i++];
      if (c > want - o) c = want - o;
      for (size_t k = 0; k < c; k++) out[(o + k) * stride] = v;
      o += c;
    }
  }
  return o;
}

enum pix_rc pix_rle_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                           void *out, size_t outcap, char *err, size_t errlen) {
  size_t bytes = pix_frame_bytes(f);
  if (outcap < bytes) return pix_say(PIX_BUFFER, err, errlen, "the frame buffer is too small");
  if (inlen < 64) return pix_say(PIX_MALFORMED, err, errlen, "the RLE header is cut short");
  unsigned bps = f->bits_allocated / 8; /* bytes per sample */
  uint32_t segs = le32(in);
  if (segs != f->samples * bps)
    return pix_say(PIX_MALFORMED, err, errlen, "the RLE data has %u segments where %u were expected",
               (unsigned)segs, f->samples * bps);
  size_t px = (size_t)f->rows * f->columns;
  size_t step = (size_t)f->samples * bps; /* bytes between a plane's consecutive bytes */
  unsigned char *o = out;
  for (uint32_t s = 0; s < segs; s++) {
    uint32_t start = le32(in + 4 + 4 * s);
    uint32_t end = s + 1 < segs ? le32(in + 8 + 4 * s) : (uint32_t)(inlen > 0xFFFFFFFFu ? 0xFFFFFFFFu : inlen);
    if (start < 64 || start > inlen || end < start || end > inlen)
      return pix_say(PIX_MALFORMED, err, errlen, "RLE segment %u lies outside the data", (unsigned)s + 1);
    unsigned sample = s / bps, byte = s % bps; /* byte 0 is the most significant */
    /* canonical layout: uint16 in host order for 16-bit samples */
    size_t pos = (size_t)sample * bps;
    if (bps == 2) {
      uint16_t probe = 1;
      int little = *(unsigned char *)&probe == 1;
      pos += little ? (size_t)(1 - byte) : byte;
    }
    size_t got = packbits(in + start, end - start, o + pos, px, step);
    if (got < px)
      return pix_say(PIX_MALFORMED, err, errlen, "RLE segment %u ends after %zu of %zu bytes", (unsigned)s + 1, got, px);
  }
  /* move the stored bits down as for native data */
  unsigned shift = f->high_bit + 1 - f->bits_stored;
  size_t n = px * f->samples;
  if (bps == 1) {
    uint8_t mask = (uint8_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) o[i] = (uint8_t)((o[i] >> shift) & mask);
  } else {
    uint16_t *w = out, mask = (uint16_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) w[i] = (uint16_t)((w[i] >> shift) & mask);
  }
  return PIX_OK;
}
