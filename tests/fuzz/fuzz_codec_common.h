/* Shared by the codec fuzz targets: the first 7 bytes of an input choose the image layout
 * (rows, columns as 16-bit big endian, samples, bits allocated, bits stored), the rest is the
 * compressed frame. Sizes are kept small so each input runs quickly. */
#ifndef FUZZ_CODEC_COMMON_H
#define FUZZ_CODEC_COMMON_H
#include <stdint.h>
#include <string.h>

#include "dicom/pixels.h"

static int fuzz_layout(const uint8_t *d, size_t n, struct pix_format *f) {
  if (n < 7) return -1;
  memset(f, 0, sizeof *f);
  f->rows = (unsigned)(d[0] << 8 | d[1]) % 257 + 1;
  f->columns = (unsigned)(d[2] << 8 | d[3]) % 257 + 1;
  f->samples = d[4] & 1 ? 3 : 1;
  f->bits_allocated = d[5] & 1 ? 16 : 8;
  f->bits_stored = (unsigned)d[6] % f->bits_allocated + 1;
  f->high_bit = f->bits_stored - 1;
  f->photometric = f->samples == 3 ? PIX_RGB : PIX_MONOCHROME2;
  f->frames = 1;
  return 0;
}
#endif
