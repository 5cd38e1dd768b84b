/* Display of decoded frames: Modality LUT (rescale slope/intercept) and VOI (window center/width
 * with the VOI LUT Functions of PS3.3 C.11.2.1.2 and C.11.2.1.3), to 8-bit values. Pure
 * functions over the canonical frames of pixels.h; no allocation except where said. */
#ifndef SECONDOP_LUT_H
#define SECONDOP_LUT_H
#include <stddef.h>
#include <stdint.h>

#include "dicom/dicom.h"
#include "dicom/pixels.h"

enum pix_voi_function { PIX_VOI_LINEAR = 0, PIX_VOI_LINEAR_EXACT, PIX_VOI_SIGMOID };

/* A LUT table read from a file (pix_lut_read): entries values of `bits` bits, the first
 * mapped to input value `first`; inputs below/above use the first/last entry. */
struct pix_lut {
  const uint16_t *table;
  unsigned entries, bits;
  int first;
};

/* How a grey frame is shown: output = invert(VOI(Modality(stored))). Modality is the table
 * when modality.table is set, else slope * stored + intercept; VOI is the table when
 * voi.table is set (scaled from its bits to 0..255), else the window through `function`. */
struct pix_display {
  double slope, intercept;    /* Modality LUT (1, 0 when the file has none) */
  enum pix_voi_function function;
  double center, width;       /* the window, in modality units */
  int invert;                 /* MONOCHROME1 (or the viewer's invert): 255 - value */
  struct pix_lut modality, voi; /* borrowed tables (NULL table: not used) */
};

/* Reads the LUT Data of l (from a VOI LUT or Modality LUT Sequence item of the header) into
 * table[0 .. l->entries), cap entries at most: 16-bit words in the file's byte order, or, for
 * 8-bit LUTs whose data has one byte per entry, bytes. *out describes the table (first is
 * read as signed 16-bit when first_signed, e.g. for signed pixels or a negative rescale
 * intercept). Returns PIX_OK, PIX_MALFORMED (descriptor and data disagree), PIX_BUFFER, PIX_IO. */
enum pix_rc pix_lut_read(const struct pix_io *io, const struct pix_format *f, const struct dicom_lut *l,
                         int first_signed, uint16_t *table, size_t cap, struct pix_lut *out,
                         char *err, size_t errlen);

/* The VOI LUT Function named by (0028,1056): "" and "LINEAR" -> LINEAR; unknown words -> LINEAR
 * (PS3.3 says LINEAR is the default) with *known = 0 (known may be NULL). */
enum pix_voi_function pix_voi_function_parse(const char *name, int *known);

/* One VOI output on 0..255 for the modality value x (PS3.3 C.11.2.1.2 with ymin 0, ymax 255,
 * rounded half up). Returns -1 when the width is not valid for the function (LINEAR needs
 * width >= 1, the others width > 0). */
int pix_voi_value(enum pix_voi_function fn, double center, double width, double x);

/* Sign-extends a canonical sample (bits_stored wide) of a signed image; unsigned unchanged. */
int32_t pix_stored_value(const struct pix_format *f, unsigned raw);

/* Lowest and highest stored values of a grey frame (signedness applied). */
void pix_frame_range(const struct pix_format *f, const void *frame, int32_t *min, int32_t *max);

/* Fills *out for window pair `window` of the header (0-based; -1 or beyond the pairs: a window
 * over the frame's full range from pix_frame_range: frame must then not be NULL). Applies the
 * header's rescale and VOI LUT Function, and inverts MONOCHROME1. Returns 0, or -1 when the
 * header's window has an invalid width (then the full-range window is used instead).
 * LUT Sequences are not applied here (they need the file): read a table with pix_lut_read
 * (d->voi_lut[i], d->modality_lut) and set out->voi or out->modality. */
int pix_display_from_header(const struct dicom_info *d, const struct pix_format *f, int window,
                            const void *frame, struct pix_display *out);

/* Builds the 8-bit table for every stored pattern: lut[0 .. 1 << bits_stored), indexed by the
 * canonical sample. lutlen must be at least 1 << bits_stored. Returns 0, or -1 (bad width or
 * small table). */
int pix_display_lut(const struct pix_format *f, const struct pix_display *disp, uint8_t *lut, size_t lutlen);

/* Maps a grey frame through lut to one byte per pixel: out[0 .. rows*columns). Returns 0, or -1
 * when out is too small or the frame is not grey. */
int pix_render_gray(const struct pix_format *f, const void *frame, const uint8_t *lut, uint8_t *out, size_t outcap);

/* Converts an 8-bit YBR_FULL frame (interleaved) to RGB in place (PS3.3 C.7.6.3.1.2). */
void pix_ybr_full_to_rgb(uint8_t *frame, size_t pixels);

#endif
