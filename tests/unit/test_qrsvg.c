/* Unit tests for server/core/qrsvg.c: the SVG has the promised structure
 * (viewBox with a 4-module quiet zone, one path, crispEdges, role/aria-label,
 * no style or script), and its path redraws exactly libqrencode's modules. */
#include <qrencode.h>
#include <stdlib.h>

#include "core/qrsvg.h"
#include "t.h"

static const char *URI =
    "otpauth://totp/secondop:jo%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=secondop&algorithm=SHA1&digits=6&period=30";

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

static void svg_structure(void) {
  char *svg = qr_svg(URI);
  T_CHECK(svg != NULL);
  if (!svg) return;
  QRcode *qr = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  T_CHECK(qr != NULL);
  if (!qr) {
    qr_svg_free(svg);
    return;
  }
  int size = qr->width + 8;
  char vb[64];
  snprintf(vb, sizeof vb, "viewBox=\"0 0 %d %d\"", size, size);
  T_CHECK(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 40) == 0);
  T_CHECK(strstr(svg, vb) != NULL);
  T_CHECK(strstr(svg, "shape-rendering=\"crispEdges\"") != NULL);
  T_CHECK(strstr(svg, "role=\"img\"") != NULL);
  T_CHECK(strstr(svg, "aria-label=\"QR code for your authenticator app\"") != NULL);
  T_EQ_INT(count(svg, "<path"), 1);
  T_EQ_INT(count(svg, "<svg"), 1);
  T_EQ_INT(count(svg, "</svg>"), 1);
  T_EQ_INT(count(svg, "style"), 0);
  T_EQ_INT(count(svg, "script"), 0);
  T_EQ_INT(count(svg, "secret"), 0); /* the text is not copied in clear */
  T_CHECK(strlen(svg) < 64 * 1024);
  QRcode_free(qr);
  qr_svg_free(svg);
}

/* Redraws the path into a module grid and compares it with libqrencode. */
static void path_matches_modules(void) {
  char *svg = qr_svg(URI);
  QRcode *qr = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  T_CHECK(svg && qr);
  if (!svg || !qr) goto done;
  int w = qr->width, size = w + 8;
  unsigned char *grid = calloc((size_t)size * (size_t)size, 1);
  T_CHECK(grid != NULL);
  if (!grid) goto done;
  const char *d = strstr(svg, " d=\"");
  T_CHECK(d != NULL);
  if (d) {
    d += 4;
    int x, y, n, n2, used, bad = 0;
    while (*d == 'M') {
      if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used) != 4 || n != n2 || n < 1 ||
          y < 0 || y >= size || x < 0 || x + n > size) {
        bad = 1;
        break;
      }
      for (int i = 0; i < n; i++) grid[y * size + x + i]++;
      d += used;
    }
    T_CHECK(!bad);
    T_EQ_INT(*d, '"');
    int mismatches = 0;
    for (int yy = 0; yy < size; yy++)
      for (int xx = 0; xx < size; xx++) {
        int inside = xx >= 4 && yy >= 4 && xx < 4 + w && yy < 4 + w;
        int dark = inside ? (qr->data[(yy - 4) * w + (xx - 4)] & 1) : 0;
        if (grid[yy * size + xx] != dark) mismatches++; /* also catches overlaps (2) */
      }
    T_EQ_INT(mismatches, 0);
  }
  free(grid);
done:
  if (qr) QRcode_free(qr);
  qr_svg_free(svg);
}

static void refuses_bad_input(void) {
  T_CHECK(qr_svg(NULL) == NULL);
  T_CHECK(qr_svg("") == NULL);
  char *big = malloc(8000);
  T_CHECK(big != NULL);
  if (!big) return;
  memset(big, 'x', 7999);
  big[7999] = '\0';
  T_CHECK(qr_svg(big) == NULL); /* beyond QR version 40 capacity */
  free(big);
  qr_svg_free(NULL);
}

int main(void) {
  T_RUN(svg_structure);
  T_RUN(path_matches_modules);
  T_RUN(refuses_bad_input);
  return t_done();
}
