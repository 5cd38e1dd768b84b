/* Modality LUT and VOI to 8-bit display values; see lut.h. */
#include "dicom/lut.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum pix_rc pix_lut_read(const struct pix_io *io, const struct pix_format *f, const struct dicom_lut *l,
                         int first_signed, uint16_t *table, size_t cap, struct pix_lut *out,
                         char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!l->descriptor_ok || !l->data_known || l->entries == 0 || l->bits < 1 || l->bits > 16)
    return pix_say(PIX_MALFORMED, err, errlen, "the lookup table's descriptor or data is missing");
  if (cap < l->entries) return pix_say(PIX_BUFFER, err, errlen, "the lookup table buffer is too small");
  int words = l->data_length >= 2ul * l->entries;
  if (!words && !(l->bits <= 8 && l->data_length >= l->entries))
    return pix_say(PIX_MALFORMED, err, errlen, "the lookup table has %lu bytes for %u entries", l->data_length, l->entries);
  size_t n = words ? 2u * (size_t)l->entries : l->entries;
  if (l->data_offset > io->size || io->size - l->data_offset < n)
    return pix_say(PIX_MALFORMED, err, errlen, "the lookup table runs past the end of the file");
  /* read into the end of the table's memory, then widen in place from the front */
  unsigned char *raw = (unsigned char *)table + (2u * (size_t)l->entries - n);
  if (io->read_at(io->ctx, l->data_offset, raw, n) != 0) return pix_say(PIX_IO, err, errlen, "the lookup table could not be read");
  uint16_t mask = (uint16_t)(l->bits >= 16 ? 0xFFFFu : (1u << l->bits) - 1);
  for (size_t i = 0; i < l->entries; i++) {
    uint16_t v;
    if (words) v = f->big_endian ? (uint16_t)(raw[2 * i] << 8 | raw[2 * i + 1]) : (uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
    else v = raw[i];
    table[i] = (uint16_t)(v & mask);
  }
  out->table = table;
  out->entries = l->entries;
  out->bits = l->bits;
  out->first = first_signed ? (int)(int16_t)(uint16_t)l->first_raw : (int)l->first_raw;
  return PIX_OK;
}

static double lut_at(const struct pix_lut *l, double x) {
  double i = floor(x) - l->first;
  if (i < 0) i = 0;
  if (i > (double)l->entries - 1) i = (double)l->entries - 1;
  return l->table[(size_t)i];
}

enum pix_voi_function pix_voi_function_parse(const char *name, int *known) {
  if (known) *known = 1;
  if (!name || !name[0] || strcmp(name, "LINEAR") == 0) return PIX_VOI_LINEAR;
  if (strcmp(name, "LINEAR_EXACT") == 0) return PIX_VOI_LINEAR_EXACT;
  if (strcmp(name, "SIGMOID") == 0) return PIX_VOI_SIGMOID;
  if (known) *known = 0;
  return PIX_VOI_LINEAR;
}

int pix_voi_value(enum pix_voi_function fn, double c, double w, double x) {
  const double ymin = 0, ymax = 255;
  double y;
  switch (fn) {
  case PIX_VOI_LINEAR:
    if (!(w >= 1)) return -1;
    if (x <= c - 0.5 - (w - 1) / 2) y = ymin;
    else if (x > c - 0.5 + (w - 1) / 2) y = ymax;
    else y = ((x - (c - 0.5)) / (w - 1) + 0.5) * (ymax - ymin) + ymin;
    break;
  case PIX_VOI_LINEAR_EXACT:
    if (!(w > 0)) return -1;
    if (x <= c - w / 2) y = ymin;
    else if (x > c + w / 2) y = ymax;
    else y = ((x - c) / w + 0.5) * (ymax - ymin) + ymin;
    break;
  case PIX_VOI_SIGMOID:
    if (!(w > 0)) return -1;
    y = (ymax - ymin) / (1 + exp(-4 * (x - c) / w)) + ymin;
    break;
  default: return -1;
  }
  if (y < ymin) y = ymin;
  if (y > ymax) y = ymax;
  return (int)floor(y + 0.5);
}

int32_t pix_stored_value(const struct pix_format *f, unsigned raw) {
  if (!f->is_signed || f->bits_stored == 0 || f->bits_stored > 31) return (int32_t)raw;
  uint32_t sign = 1u << (f->bits_stored - 1);
  uint32_t v = raw & ((sign << 1) - 1);
  return (int32_t)(v ^ sign) - (int32_t)sign;
}

void pix_frame_range(const struct pix_format *f, const void *frame, int32_t *min, int32_t *max) {
  size_t n = (size_t)f->rows * f->columns * f->samples;
  int32_t lo = INT32_MAX, hi = INT32_MIN;
  for (size_t i = 0; i < n; i++) {
    unsigned raw = f->bits_allocated == 8 ? ((const uint8_t *)frame)[i] : ((const uint16_t *)frame)[i];
    int32_t v = pix_stored_value(f, raw);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (n == 0) lo = hi = 0;
  *min = lo;
  *max = hi;
}

int pix_display_from_header(const struct dicom_info *d, const struct pix_format *f, int window,
                            const void *frame, struct pix_display *out) {
  memset(out, 0, sizeof *out);
  out->slope = d->has_rescale && d->rescale_slope != 0 ? d->rescale_slope : 1;
  out->intercept = d->has_rescale ? d->rescale_intercept : 0;
  out->function = pix_voi_function_parse(d->voi_lut_function, NULL);
  out->invert = f->photometric == PIX_MONOCHROME1;
  int rc = 0;
  if (window >= 0 && window < d->window_count) {
    out->center = d->window_center[window];
    out->width = d->window_width[window];
    if (pix_voi_value(out->function, out->center, out->width, out->center) >= 0) return 0;
    rc = -1;
  }
  int32_t lo = 0, hi = 0;
  if (frame) pix_frame_range(f, frame, &lo, &hi);
  double a = out->slope * lo + out->intercept, b = out->slope * hi + out->intercept;
  if (a > b) {
    double t = a;
    a = b;
    b = t;
  }
  out->function = out->function == PIX_VOI_SIGMOID ? PIX_VOI_LINEAR : out->function;
  out->center = (a + b) / 2 + (out->function == PIX_VOI_LINEAR ? 0.5 : 0);
  out->width = b - a + 1;
  return rc;
}

int pix_display_lut(const struct pix_format *f, const struct pix_display *disp, uint8_t *lut, size_t lutlen) {
  if (f->bits_stored < 1 || f->bits_stored > 16) return -1;
  size_t n = (size_t)1 << f->bits_stored;
  if (lutlen < n) return -1;
  if (!disp->voi.table && pix_voi_value(disp->function, disp->center, disp->width, disp->center) < 0) return -1;
  if ((disp->voi.table && (!disp->voi.entries || disp->voi.bits < 1 || disp->voi.bits > 16)) ||
      (disp->modality.table && !disp->modality.entries))
    return -1;
  double vmax = disp->voi.table ? (double)((1u << disp->voi.bits) - 1) : 1;
  for (size_t raw = 0; raw < n; raw++) {
    int32_t s = pix_stored_value(f, (unsigned)raw);
    double x = disp->modality.table ? lut_at(&disp->modality, s) : disp->slope * s + disp->intercept;
    int y = disp->voi.table ? (int)floor(lut_at(&disp->voi, x) * 255 / vmax + 0.5)
                            : pix_voi_value(disp->function, disp->center, disp->width, x);
    lut[raw] = (uint8_t)(disp->invert ? 255 - y : y);
  }
  return 0;
}

int pix_render_gray(const struct pix_format *f, const void *frame, const uint8_t *lut, uint8_t *out, size_t outcap) {
  size_t n = (size_t)f->rows * f->columns;
  if (f->samples != 1 || outcap < n) return -1;
  if (f->bits_allocated == 8) {
    const uint8_t *p = frame;
    for (size_t i = 0; i < n; i++) out[i] = lut[p[i]];
  } else {
    const uint16_t *p = frame;
    for (size_t i = 0; i < n; i++) out[i] = lut[p[i]];
  }
  return 0;
}

static uint8_t clamp8(double v) {
  v = floor(v + 0.5);
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void pix_ybr_full_to_rgb(uint8_t *p, size_t pixels) {
  for (size_t i = 0; i < pixels; i++, p += 3) {
    double y = p[0], cb = p[1] - 128.0, cr = p[2] - 128.0;
    p[0] = clamp8(y + 1.402 * cr);
    p[1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
    p[2] = clamp8(y + 1.772 * cb);
  }
}
