/* QR code to SVG: see qrsvg.h. */
#include "core/qrsvg.h"

#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4        /* modules of quiet zone on each side (ISO/IEC 18004) */
#define PX_PER_MODULE 6 /* intrinsic size; CSS may scale it */

struct buf {
  char *p;
  size_t len, cap;
  int failed;
};

/* Grows b to hold extra more bytes plus NUL, wiping the old block. */
static int buf_reserve(struct buf *b, size_t extra) {
  if (b->failed) return -1;
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t ncap = b->cap ? b->cap : 4096;
  while (ncap < b->len + extra + 1) ncap *= 2;
  char *n = malloc(ncap);
  if (!n) {
    b->failed = 1;
    return -1;
  }
  if (b->p) {
    memcpy(n, b->p, b->len + 1);
    sodium_memzero(b->p, b->cap);
    free(b->p);
  }
  b->p = n;
  b->cap = ncap;
  return 0;
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    b->failed = 1;
    return;
  }
  if (buf_reserve(b, (size_t)n) != 0) return;
  memcpy(b->p + b->len, tmp, (size_t)n + 1);
  b->len += (size_t)n;
}

char *qr_svg(const char *text) {
  QRcode *qr = NULL;
  struct buf b = {0};
  char *ret = NULL;

  if (!text || !*text) goto done;
  qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr || qr->width <= 0) goto done;
  int w = qr->width, size = w + 2 * QUIET;
  buf_printf(&b,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
             "height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" "
             "aria-label=\"QR code for your authenticator app\">",
             size, size, size * PX_PER_MODULE, size * PX_PER_MODULE);
  buf_printf(&b, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", size,
             size);
  /* One sub-path per horizontal run of dark modules (bit 0 set = dark). */
  for (int y = 0; y < w; y++) {
    int x = 0;
    while (x < w) {
      if (!(qr->data[y * w + x] & 1)) {
        x++;
        continue;
      }
      int run = 1;
      while (x + run < w && (qr->data[y * w + x + run] & 1)) run++;
      buf_printf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
      x += run;
    }
  }
  buf_printf(&b, "\"/></svg>\n");
  if (b.failed) goto done;
  ret = b.p;
  b.p = NULL;
done:
  if (b.p) {
    sodium_memzero(b.p, b.cap);
    free(b.p);
  }
  if (qr) {
    if (qr->data && qr->width > 0) sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
    QRcode_free(qr);
  }
  return ret;
}

void qr_svg_free(char *svg) {
  if (!svg) return;
  sodium_memzero(svg, strlen(svg));
  free(svg);
}
