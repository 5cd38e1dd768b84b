/* Unit tests for the render child's PNG writer (core/render.h): every chunk's CRC, the header,
 * and the image data inflating back to the rows given, filter byte none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/render.h"
#include "t.h"

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks the chunks of png; fills w, h, colour type and the inflated image data. 0 or -1. */
static int parse_png(const unsigned char *png, size_t len, unsigned *w, unsigned *h, unsigned *ctype,
                     unsigned char *raw, size_t *rawlen) {
  if (len < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0) return -1;
  unsigned char idat[1 << 16];
  size_t il = 0, pos = 8;
  int ihdr = 0, iend = 0;
  while (pos + 12 <= len) {
    uint32_t n = be32(png + pos);
    if (pos + 12 + n > len) return -1;
    const unsigned char *type = png + pos + 4, *data = png + pos + 8;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), type, n + 4);
    if (crc != be32(data + n)) return -1;
    if (!memcmp(type, "IHDR", 4)) {
      if (n != 13 || data[8] != 8 || data[10] || data[11] || data[12]) return -1;
      *w = be32(data);
      *h = be32(data + 4);
      *ctype = data[9];
      ihdr = 1;
    } else if (!memcmp(type, "IDAT", 4)) {
      if (il + n > sizeof idat) return -1;
      memcpy(idat + il, data, n);
      il += n;
    } else if (!memcmp(type, "IEND", 4)) {
      iend = 1;
    }
    pos += 12 + n;
  }
  if (pos != len || !ihdr || !iend) return -1;
  uLongf rl = (uLongf)*rawlen;
  if (uncompress(raw, &rl, idat, il) != Z_OK) return -1;
  *rawlen = rl;
  return 0;
}

static void test_grey_png_round_trips(void) {
  unsigned char px[3 * 2] = {0, 128, 255, 10, 20, 30}, *png = NULL, raw[64];
  size_t len = 0, rawlen = sizeof raw;
  unsigned w = 0, h = 0, ct = 9;
  T_EQ_INT(render_png(px, 3, 2, 1, &png, &len), 0);
  T_EQ_INT(parse_png(png, len, &w, &h, &ct, raw, &rawlen), 0);
  T_EQ_INT(w, 3);
  T_EQ_INT(h, 2);
  T_EQ_INT(ct, 0);
  T_EQ_INT(rawlen, 2 * (1 + 3));
  static const unsigned char want[] = {0, 0, 128, 255, 0, 10, 20, 30};
  T_CHECK(memcmp(raw, want, sizeof want) == 0);
  free(png);
}

static void test_rgb_png_round_trips(void) {
  unsigned char px[2 * 2 * 3], *png = NULL, raw[64];
  for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 21);
  size_t len = 0, rawlen = sizeof raw;
  unsigned w = 0, h = 0, ct = 9;
  T_EQ_INT(render_png(px, 2, 2, 3, &png, &len), 0);
  T_EQ_INT(parse_png(png, len, &w, &h, &ct, raw, &rawlen), 0);
  T_EQ_INT(ct, 2);
  T_EQ_INT(rawlen, 2 * (1 + 6));
  T_CHECK(raw[0] == 0 && memcmp(raw + 1, px, 6) == 0 && raw[7] == 0 && memcmp(raw + 8, px + 6, 6) == 0);
  free(png);
}

static void test_bad_shapes_are_refused(void) {
  unsigned char px[4] = {0}, *png = (unsigned char *)1;
  size_t len = 7;
  T_EQ_INT(render_png(px, 0, 1, 1, &png, &len), -1);
  T_CHECK(png == NULL && len == 0);
  T_EQ_INT(render_png(px, 1, 1, 2, &png, &len), -1);
  T_EQ_INT(render_png(px, 5000, 1, 1, &png, &len), -1);
}

int main(void) {
  T_RUN(test_grey_png_round_trips);
  T_RUN(test_rgb_png_round_trips);
  T_RUN(test_bad_shapes_are_refused);
  return t_done();
}
