/* QR codes as standalone SVG, for the authenticator enrolment page. */
#ifndef SECONDOP_QRSVG_H
#define SECONDOP_QRSVG_H

/* Encodes text (NUL-terminated, 8-bit mode, error correction level M, via
 * libqrencode) as a standalone SVG document: a white background, one <path>
 * with the dark modules, a quiet zone of 4 modules, viewBox in module units,
 * shape-rendering="crispEdges", role="img" and an aria-label. No style or
 * script elements or attributes (CSP without unsafe-inline). Returns a
 * malloc'd NUL-terminated string, or NULL (NULL/too long text, out of
 * memory). The SVG encodes whatever text held, e.g. a TOTP secret: free it
 * with qr_svg_free(), which wipes it. */
char *qr_svg(const char *text);

/* Wipes (sodium_memzero) and frees a qr_svg() result. NULL is fine. */
void qr_svg_free(char *svg);

#endif
