/* DICOM Part 10 metadata reader (PS3.10 file format, PS3.5 data set encoding).
 *
 * Reads the meta group (always explicit VR little endian), then the data set in the
 * transfer syntax it names, copying a few top-level attributes. Sequences are never
 * interpreted: defined-length ones are skipped by length, undefined-length ones by walking
 * their items to the delimiters (bounded depth). Every length is checked against the buffer. */
#include "dicom/dicom.h"

#include "dicom/charset.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PREAMBLE 128
#define UNDEFINED_LENGTH 0xFFFFFFFFu
#define MAX_DEPTH DICOM_MAX_DEPTH
#define INFLATE_FIRST ((size_t)64 << 10)
#define RC_STOP 100 /* internal: reached top-level Pixel Data */

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define TAG_ITEM TAG(0xFFFE, 0xE000)
#define TAG_ITEM_END TAG(0xFFFE, 0xE00D)
#define TAG_SEQ_END TAG(0xFFFE, 0xE0DD)
#define TAG_PIXEL_DATA TAG(0x7FE0, 0x0010)

#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_DEFLATED "1.2.840.10008.1.2.1.99"
#define SOP_DICOMDIR "1.2.840.10008.1.3.10"

struct rd {
  const unsigned char *p;
  size_t len, pos;
  int complete;
  struct dicom_info *out;
  char *series_laterality; /* (0020,0060), used when (0020,0062) is absent */
  size_t series_laterality_size;
  char *err;
  size_t errlen;
  unsigned long long base; /* file offset of p[0] (0 for inflated data) */
  int deflated;
  /* raw text values, decoded once the character set is known */
  unsigned char raw_name[1024], raw_study_desc[512], raw_series_desc[512], raw_manufacturer[512];
  size_t raw_name_len, raw_study_desc_len, raw_series_desc_len, raw_manufacturer_len;
  char charset[256];
  size_t charset_len;
  int n_centers, n_widths, has_slope, has_intercept;
  double slope, intercept;
};

struct enc {
  int explicit_vr, big;
};

struct elem {
  uint32_t tag;
  char vr[3];
  uint32_t vlen;
  size_t start; /* offset of the tag, for messages */
};

static int fail_at(struct rd *r, enum dicom_problem pr, size_t at, const char *fmt, ...) {
  if (r->out) {
    r->out->problem = pr;
    r->out->problem_at = r->base + at;
  }
  if (r->err && r->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
  }
  return DICOM_MALFORMED;
}

#define fail(r, ...) fail_at(r, DICOM_PROBLEM_BAD_ELEMENT, (r)->pos, __VA_ARGS__)

/* The buffer ended early: an error for a whole file, a request for more bytes otherwise. */
static int short_read(struct rd *r, size_t at, const char *what) {
  if (r->complete)
    return fail_at(r, DICOM_PROBLEM_TRUNCATED, at, "%s at offset %zu runs past the end of the file", what, at);
  return DICOM_NEED_MORE;
}

static uint16_t u16(const unsigned char *p, int big) {
  return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t u32(const unsigned char *p, int big) {
  return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
             : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static const char *const known_vrs[] = {
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV",
    "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
static const char *const long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                       "SV", "UC", "UN", "UR", "UT", "UV"};

static int vr_in(const char *vr, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (vr[0] == list[i][0] && vr[1] == list[i][1]) return 1;
  return 0;
}

/* Reads one element header at r->pos and advances past it (not past the value). */
static int read_header(struct rd *r, struct enc enc, struct elem *e) {
  size_t at = r->pos, avail = r->len - r->pos;
  e->start = at;
  if (avail < 8) return short_read(r, at, "element header");
  const unsigned char *p = r->p + at;
  e->tag = TAG(u16(p, enc.big), u16(p + 2, enc.big));
  e->vr[0] = e->vr[1] = e->vr[2] = '\0';
  if ((e->tag >> 16) == 0xFFFE || !enc.explicit_vr) { /* items and delimiters never have a VR */
    e->vlen = u32(p + 4, enc.big);
    r->pos += 8;
    return DICOM_OK;
  }
  e->vr[0] = (char)p[4];
  e->vr[1] = (char)p[5];
  if (!vr_in(e->vr, known_vrs, sizeof known_vrs / sizeof *known_vrs))
    return fail(r, "unknown VR in element (%04X,%04X) at offset %zu", e->tag >> 16,
                e->tag & 0xFFFF, at);
  if (vr_in(e->vr, long_vrs, sizeof long_vrs / sizeof *long_vrs)) {
    if (avail < 12) return short_read(r, at, "element header");
    e->vlen = u32(p + 8, enc.big);
    r->pos += 12;
  } else {
    e->vlen = u16(p + 6, enc.big);
    r->pos += 8;
  }
  return DICOM_OK;
}

#define FIELD(f) f, sizeof f

/* Copies a code or UID value as clean UTF-8 (trimmed, truncated). */
static void copy_clean(char *dst, size_t n, const unsigned char *v, size_t vlen) {
  while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\0')) vlen--;
  while (vlen > 0 && v[0] == ' ') v++, vlen--;
  (void)dicom_utf8_clean(v, vlen, dst, n);
}

/* Keeps raw bytes of a text value for decoding later. */
static void copy_raw(unsigned char *dst, size_t cap, size_t *len, const unsigned char *v, size_t vlen) {
  if (vlen > cap) vlen = cap;
  memcpy(dst, v, vlen);
  *len = vlen;
}

/* Parses one decimal string (DS: [+-]digits[.digits][e[+-]digits]) without the C library's
 * locale-dependent strtod. Returns 1 and sets *out on success. */
static int ds_one(const unsigned char *s, size_t n, double *out) {
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0')) n--;
  while (n > 0 && s[0] == ' ') s++, n--;
  size_t i = 0;
  int neg = 0, digits = 0, exp = 0, eneg = 0, scale = 0;
  long double m = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) m = m * 10 + (s[i] - '0');
  if (i < n && s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++, scale--) m = m * 10 + (s[i] - '0');
  if (!digits) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i == n) return 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      if (exp < 400) exp = exp * 10 + (s[i] - '0');
  }
  if (i != n) return 0;
  scale += eneg ? -exp : exp;
  long double p = 1;
  for (int k = 0; k < (scale < 0 ? -scale : scale) && k < 400; k++) p *= 10;
  m = scale < 0 ? m / p : m * p;
  *out = (double)(neg ? -m : m);
  return 1;
}

/* Parses up to max backslash-separated decimal strings; returns how many leading ones parsed. */
static int ds_values(const unsigned char *v, size_t vlen, double *out, int max) {
  int n = 0;
  size_t s = 0;
  for (size_t k = 0; k <= vlen && n < max; k++) {
    if (k == vlen || v[k] == '\\') {
      if (!ds_one(v + s, k - s, &out[n])) break;
      n++;
      s = k + 1;
    }
  }
  return n;
}

static unsigned us_value(const unsigned char *v, size_t vlen, int big) {
  return vlen >= 2 ? u16(v, big) : 0;
}

/* Stores a wanted top-level attribute of the data set. */
static void keep(struct rd *r, uint32_t tag, const unsigned char *v, size_t vlen, int big) {
  struct dicom_info *o = r->out;
  switch (tag) {
  case TAG(0x0008, 0x0005):
    copy_raw((unsigned char *)r->charset, sizeof r->charset - 1, &r->charset_len, v, vlen);
    r->charset[r->charset_len] = '\0';
    copy_clean(FIELD(o->specific_charset), v, vlen);
    break;
  case TAG(0x0008, 0x0070): copy_raw(FIELD(r->raw_manufacturer), &r->raw_manufacturer_len, v, vlen); break;
  case TAG(0x0008, 0x1030): copy_raw(FIELD(r->raw_study_desc), &r->raw_study_desc_len, v, vlen); break;
  case TAG(0x0008, 0x103E): copy_raw(FIELD(r->raw_series_desc), &r->raw_series_desc_len, v, vlen); break;
  case TAG(0x0010, 0x0010): copy_raw(FIELD(r->raw_name), &r->raw_name_len, v, vlen); break;
  case TAG(0x0010, 0x0040): copy_clean(FIELD(o->patient_sex), v, vlen); break;
  case TAG(0x0028, 0x0002): o->samples_per_pixel = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0010): o->rows = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0011): o->columns = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0100): o->bits_allocated = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0101):
    o->bits_stored = us_value(v, vlen, big);
    o->has_bits_stored = vlen >= 2;
    break;
  case TAG(0x0028, 0x0102):
    o->high_bit = us_value(v, vlen, big);
    o->has_high_bit = vlen >= 2;
    break;
  case TAG(0x0028, 0x0103): o->pixel_representation = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0006): o->planar_configuration = us_value(v, vlen, big); break;
  case TAG(0x0028, 0x0004): copy_clean(FIELD(o->photometric), v, vlen); break;
  case TAG(0x0028, 0x1050):
  case TAG(0x0028, 0x1051): {
    double vals[DICOM_MAX_WINDOWS];
    int n = ds_values(v, vlen, vals, DICOM_MAX_WINDOWS);
    for (int i = 0; i < n; i++) {
      if (tag == TAG(0x0028, 0x1050)) o->window_center[i] = vals[i];
      else o->window_width[i] = vals[i];
    }
    if (tag == TAG(0x0028, 0x1050)) r->n_centers = n;
    else r->n_widths = n;
    o->window_count = r->n_centers < r->n_widths ? r->n_centers : r->n_widths;
    break;
  }
  case TAG(0x0028, 0x1055): {
    int i = 0;
    size_t s = 0;
    for (size_t k = 0; k <= vlen && i < DICOM_MAX_WINDOWS; k++) {
      if (k == vlen || v[k] == '\\') {
        copy_clean(FIELD(o->window_explanation[i]), v + s, k - s);
        i++;
        s = k + 1;
      }
    }
    break;
  }
  case TAG(0x0028, 0x1056): copy_clean(FIELD(o->voi_lut_function), v, vlen); break;
  case TAG(0x0028, 0x1052):
  case TAG(0x0028, 0x1053): {
    double x;
    if (ds_values(v, vlen, &x, 1) == 1) {
      if (tag == TAG(0x0028, 0x1052)) r->intercept = x, r->has_intercept = 1;
      else r->slope = x, r->has_slope = 1;
    }
    o->has_rescale = r->has_intercept && r->has_slope;
    if (o->has_rescale) o->rescale_slope = r->slope, o->rescale_intercept = r->intercept;
    break;
  }
  case TAG(0x0028, 0x0008): {
    char tmp[16];
    copy_clean(FIELD(tmp), v, vlen);
    long f = 0;
    for (const char *c = tmp; *c >= '0' && *c <= '9' && f < 100000000; c++) f = f * 10 + (*c - '0');
    o->number_of_frames = f;
    break;
  }
  case TAG(0x0008, 0x0016): copy_clean(FIELD(o->sop_class_uid), v, vlen); break;
  case TAG(0x0008, 0x0018): copy_clean(FIELD(o->sop_instance_uid), v, vlen); break;
  case TAG(0x0008, 0x0020): copy_clean(FIELD(o->study_date), v, vlen); break;
  case TAG(0x0008, 0x0030): copy_clean(FIELD(o->study_time), v, vlen); break;
  case TAG(0x0008, 0x0050): copy_clean(FIELD(o->accession_number), v, vlen); break;
  case TAG(0x0010, 0x0020): copy_clean(FIELD(o->patient_id), v, vlen); break;
  case TAG(0x0020, 0x0010): copy_clean(FIELD(o->study_id), v, vlen); break;
  case TAG(0x0020, 0x0011): copy_clean(FIELD(o->series_number), v, vlen); break;
  case TAG(0x0020, 0x0013): copy_clean(FIELD(o->instance_number), v, vlen); break;
  case TAG(0x0008, 0x0060): copy_clean(FIELD(o->modality), v, vlen); break;
  case TAG(0x0010, 0x0030): copy_clean(FIELD(o->patient_birth_date), v, vlen); break;
  case TAG(0x0018, 0x5101): copy_clean(FIELD(o->view_position), v, vlen); break;
  case TAG(0x0020, 0x000D): copy_clean(FIELD(o->study_instance_uid), v, vlen); break;
  case TAG(0x0020, 0x000E): copy_clean(FIELD(o->series_instance_uid), v, vlen); break;
  case TAG(0x0020, 0x0060):
    copy_clean(r->series_laterality, r->series_laterality_size, v, vlen);
    break;
  case TAG(0x0020, 0x0062): copy_clean(FIELD(o->laterality), v, vlen); break;
  case TAG(0x0020, 0x0020): copy_clean(FIELD(o->patient_orientation), v, vlen); break;
  case TAG(0x0028, 0x0030):
    o->has_pixel_spacing = ds_values(v, vlen, o->pixel_spacing, 2) == 2;
    break;
  case TAG(0x0018, 0x1164):
    o->has_imager_pixel_spacing = ds_values(v, vlen, o->imager_pixel_spacing, 2) == 2;
    break;
  default: break;
  }
}

static int parse_elements(struct rd *r, struct enc enc, int depth);

/* Skips the items of an undefined-length sequence (or encapsulated fragments) up to and
 * including the sequence delimiter. depth is the nesting level of the items. */
static int skip_sequence(struct rd *r, struct enc enc, int depth) {
  if (depth > MAX_DEPTH)
    return fail_at(r, DICOM_PROBLEM_NESTING, r->pos, "sequences nested deeper than %d", MAX_DEPTH);
  for (;;) {
    struct elem e = {0};
    int rc = read_header(r, enc, &e);
    if (rc != DICOM_OK) return rc;
    if (e.tag == TAG_SEQ_END) return DICOM_OK;
    if (e.tag != TAG_ITEM)
      return fail(r, "expected an item in a sequence at offset %zu, found (%04X,%04X)", e.start,
                  e.tag >> 16, e.tag & 0xFFFF);
    if (e.vlen == UNDEFINED_LENGTH) {
      rc = parse_elements(r, enc, depth);
      if (rc != DICOM_OK) return rc;
    } else {
      if (e.vlen > r->len - r->pos) return short_read(r, e.start, "item");
      r->pos += e.vlen;
    }
  }
}

/* Reads the elements of one LUT item up to item_end (or its delimiter when undefined). */
static int lut_item(struct rd *r, struct enc enc, size_t item_end, int undefined, struct dicom_lut *l) {
  for (;;) {
    if (!undefined && r->pos == item_end) return DICOM_OK;
    struct elem e;
    int rc = read_header(r, enc, &e);
    if (rc != DICOM_OK) return rc;
    if (undefined && e.tag == TAG_ITEM_END) return DICOM_OK;
    if ((e.tag >> 16) == 0xFFFE) return fail(r, "unexpected item or delimiter in a LUT item at offset %zu", e.start);
    if (e.vlen == UNDEFINED_LENGTH) {
      rc = skip_sequence(r, enc, 3);
      if (rc != DICOM_OK) return rc;
      continue;
    }
    if (e.vlen > r->len - r->pos || (!undefined && e.vlen > item_end - r->pos))
      return short_read(r, e.start, "LUT element");
    const unsigned char *v = r->p + r->pos;
    if (l && e.tag == TAG(0x0028, 0x3002) && e.vlen >= 6) {
      l->entries = u16(v, enc.big) ? u16(v, enc.big) : 65536;
      l->first_raw = u16(v + 2, enc.big);
      l->bits = u16(v + 4, enc.big);
      l->descriptor_ok = 1;
    } else if (l && e.tag == TAG(0x0028, 0x3006)) {
      l->data_known = !r->deflated;
      l->data_offset = r->base + r->pos;
      l->data_length = e.vlen;
    } else if (l && e.tag == TAG(0x0028, 0x3003)) {
      copy_clean(FIELD(l->explanation), v, e.vlen);
    }
    r->pos += e.vlen;
  }
}

/* Reads a top-level VOI LUT or Modality LUT Sequence whose header is e; leaves r->pos after it. */
static int lut_sequence(struct rd *r, struct enc enc, const struct elem *e) {
  struct dicom_info *o = r->out;
  int voi = e->tag == TAG(0x0028, 0x3010);
  int undefined = e->vlen == UNDEFINED_LENGTH;
  if (!undefined && e->vlen > r->len - r->pos) return short_read(r, e->start, "LUT sequence");
  size_t end = undefined ? r->len : r->pos + e->vlen;
  for (int n = 0;; n++) {
    if (!undefined && r->pos == end) return DICOM_OK;
    struct elem it;
    int rc = read_header(r, enc, &it);
    if (rc != DICOM_OK) return rc;
    if (undefined && it.tag == TAG_SEQ_END) return DICOM_OK;
    if (it.tag != TAG_ITEM) return fail(r, "expected an item in a LUT sequence at offset %zu", it.start);
    struct dicom_lut *l = NULL;
    if (voi) {
      if (o->voi_lut_count < DICOM_MAX_VOI_LUTS) l = &o->voi_lut[o->voi_lut_count];
      if (o->voi_lut_count < 1000000) o->voi_lut_count++;
    } else if (n == 0) {
      l = &o->modality_lut;
      o->has_modality_lut = 1;
    }
    if (l) memset(l, 0, sizeof *l);
    int item_undefined = it.vlen == UNDEFINED_LENGTH;
    if (!item_undefined && (it.vlen > r->len - r->pos || it.vlen > end - r->pos))
      return short_read(r, it.start, "LUT item");
    rc = lut_item(r, enc, item_undefined ? 0 : r->pos + it.vlen, item_undefined, l);
    if (rc != DICOM_OK) return rc;
  }
}

/* View Modifier codes of PS3.16 CID 4015 the viewer names (SNOMED CT, then SNOMED-RT). */
static void view_modifier(struct dicom_info *o, const char *code) {
  if (!strcmp(code, "399055006") || !strcmp(code, "R-102D7")) o->view_spot = 1;
  if (!strcmp(code, "399163009") || !strcmp(code, "R-102D6")) o->view_magnified = 1;
}

#define TAG_VIEW_CODE_SEQ TAG(0x0054, 0x0220)
#define TAG_VIEW_MODIFIER_SEQ TAG(0x0054, 0x0222)

/* Reads a View Code Sequence (modifier 0) or View Modifier Code Sequence (modifier 1) whose
 * header is e: the first item's Code Value of a view, every modifier's, and a modifier
 * sequence nested in a view item. Leaves r->pos after the sequence. */
static int code_sequence(struct rd *r, struct enc enc, const struct elem *e, int modifier) {
  struct dicom_info *o = r->out;
  int undefined = e->vlen == UNDEFINED_LENGTH;
  if (!undefined && e->vlen > r->len - r->pos) return short_read(r, e->start, "code sequence");
  size_t end = undefined ? r->len : r->pos + e->vlen;
  for (int n = 0;; n++) {
    if (!undefined && r->pos == end) return DICOM_OK;
    struct elem it;
    int rc = read_header(r, enc, &it);
    if (rc != DICOM_OK) return rc;
    if (undefined && it.tag == TAG_SEQ_END) return DICOM_OK;
    if (it.tag != TAG_ITEM) return fail(r, "expected an item in a code sequence at offset %zu", it.start);
    int item_undefined = it.vlen == UNDEFINED_LENGTH;
    if (!item_undefined && (it.vlen > r->len - r->pos || it.vlen > end - r->pos))
      return short_read(r, it.start, "code item");
    size_t item_end = item_undefined ? 0 : r->pos + it.vlen;
    for (;;) {
      if (!item_undefined && r->pos == item_end) break;
      struct elem el;
      rc = read_header(r, enc, &el);
      if (rc != DICOM_OK) return rc;
      if (item_undefined && el.tag == TAG_ITEM_END) break;
      if ((el.tag >> 16) == 0xFFFE) return fail(r, "unexpected item or delimiter in a code item at offset %zu", el.start);
      if (!modifier && el.tag == TAG_VIEW_MODIFIER_SEQ && !(el.vr[0] == 'U' && el.vr[1] == 'N')) {
        rc = code_sequence(r, enc, &el, 1);
        if (rc != DICOM_OK) return rc;
        if (!item_undefined && r->pos > item_end) return short_read(r, el.start, "code item");
        continue;
      }
      if (el.vlen == UNDEFINED_LENGTH) {
        rc = skip_sequence(r, enc, 3);
        if (rc != DICOM_OK) return rc;
        continue;
      }
      if (el.vlen > r->len - r->pos || (!item_undefined && el.vlen > item_end - r->pos))
        return short_read(r, el.start, "code element");
      if (el.tag == TAG(0x0008, 0x0100)) {
        char code[17];
        copy_clean(FIELD(code), r->p + r->pos, el.vlen);
        if (modifier) view_modifier(o, code);
        else if (n == 0) memcpy(o->view_code, code, sizeof code);
      }
      r->pos += el.vlen;
    }
  }
}

#define TAG_SHARED_FG_SEQ TAG(0x5200, 0x9229)
#define TAG_PER_FRAME_FG_SEQ TAG(0x5200, 0x9230)

/* What a functional group may still give: only what the data set itself left unsaid. */
struct fg_want {
  int window, function, spacing, rescale;
};

static void keep_fg(struct rd *r, const struct fg_want *w, uint32_t tag, const unsigned char *v, size_t vlen,
                    int big) {
  int wanted = 0;
  switch (tag) {
  case TAG(0x0028, 0x1050):
  case TAG(0x0028, 0x1051):
  case TAG(0x0028, 0x1055): wanted = w->window; break;
  case TAG(0x0028, 0x1056): wanted = w->function; break;
  case TAG(0x0028, 0x0030): wanted = w->spacing; break;
  case TAG(0x0028, 0x1052):
  case TAG(0x0028, 0x1053): wanted = w->rescale; break;
  default: break;
  }
  if (wanted) keep(r, tag, v, vlen, big);
}

/* Reads a Shared or Per-frame Functional Groups Sequence (macro 0) or, inside one of its
 * items, a Frame VOI LUT, Pixel Measures or Pixel Value Transformation Sequence (macro 1)
 * whose header is e. Values are taken from the first item only (the shared group has one;
 * of the per-frame group, the first frame's) and only where w wants them. Leaves r->pos
 * after the sequence. */
static int fg_sequence(struct rd *r, struct enc enc, const struct elem *e, int macro, const struct fg_want *w) {
  int undefined = e->vlen == UNDEFINED_LENGTH;
  if (!undefined && e->vlen > r->len - r->pos) return short_read(r, e->start, "functional group sequence");
  size_t end = undefined ? r->len : r->pos + e->vlen;
  for (int n = 0;; n++) {
    if (!undefined && r->pos == end) return DICOM_OK;
    struct elem it;
    int rc = read_header(r, enc, &it);
    if (rc != DICOM_OK) return rc;
    if (undefined && it.tag == TAG_SEQ_END) return DICOM_OK;
    if (it.tag != TAG_ITEM) return fail(r, "expected an item in a functional group at offset %zu", it.start);
    int item_undefined = it.vlen == UNDEFINED_LENGTH;
    if (!item_undefined && (it.vlen > r->len - r->pos || it.vlen > end - r->pos))
      return short_read(r, it.start, "functional group item");
    size_t item_end = item_undefined ? 0 : r->pos + it.vlen;
    const struct fg_want none = {0, 0, 0, 0};
    const struct fg_want *iw = n == 0 ? w : &none;
    for (;;) {
      if (!item_undefined && r->pos == item_end) break;
      struct elem el;
      rc = read_header(r, enc, &el);
      if (rc != DICOM_OK) return rc;
      if (item_undefined && el.tag == TAG_ITEM_END) break;
      if ((el.tag >> 16) == 0xFFFE)
        return fail(r, "unexpected item or delimiter in a functional group at offset %zu", el.start);
      if (!macro && (el.tag == TAG(0x0028, 0x9132) || el.tag == TAG(0x0028, 0x9110) || el.tag == TAG(0x0028, 0x9145)) &&
          !(el.vr[0] == 'U' && el.vr[1] == 'N')) {
        rc = fg_sequence(r, enc, &el, 1, iw);
        if (rc != DICOM_OK) return rc;
        if (!item_undefined && r->pos > item_end) return short_read(r, el.start, "functional group item");
        continue;
      }
      if (el.vlen == UNDEFINED_LENGTH) {
        rc = skip_sequence(r, enc, 3);
        if (rc != DICOM_OK) return rc;
        continue;
      }
      if (el.vlen > r->len - r->pos || (!item_undefined && el.vlen > item_end - r->pos))
        return short_read(r, el.start, "functional group element");
      if (macro) keep_fg(r, iw, el.tag, r->p + r->pos, el.vlen, enc.big);
      r->pos += el.vlen;
    }
  }
}

/* Parses data elements: at depth 0 the top-level data set (until Pixel Data or the end of the
 * buffer), deeper the content of an undefined-length item (until its delimiter). */
static int parse_elements(struct rd *r, struct enc enc, int depth) {
  for (;;) {
    if (r->pos == r->len) {
      if (depth > 0) return short_read(r, r->pos, "item");
      return r->complete ? DICOM_OK : DICOM_NEED_MORE;
    }
    struct elem e;
    int rc = read_header(r, enc, &e);
    if (rc != DICOM_OK) return rc;
    if ((e.tag >> 16) == 0xFFFE) {
      if (depth > 0 && e.tag == TAG_ITEM_END) return DICOM_OK;
      return fail(r, "unexpected item or delimiter (%04X,%04X) at offset %zu", e.tag >> 16,
                  e.tag & 0xFFFF, e.start);
    }
    if (depth == 0 && e.tag == TAG_PIXEL_DATA) {
      struct dicom_info *o = r->out;
      o->has_pixel_data = 1;
      o->pixel_encapsulated = e.vlen == UNDEFINED_LENGTH;
      o->pixel_length = e.vlen;
      o->pixel_offset = r->base + r->pos;
      o->pixel_offset_known = !r->deflated;
      return RC_STOP;
    }
    if (depth == 0 && (e.tag == TAG(0x0028, 0x3010) || e.tag == TAG(0x0028, 0x3000)) &&
        !(e.vr[0] == 'U' && e.vr[1] == 'N')) {
      if (e.vlen != UNDEFINED_LENGTH) {
        /* defined length: whatever its content, the file reads on past it as before */
        if (e.vlen > r->len - r->pos) return short_read(r, e.start, "element value");
        size_t after = r->pos + e.vlen;
        struct dicom_info *o = r->out;
        enum dicom_problem pr = o->problem;
        unsigned long long pat = o->problem_at;
        rc = lut_sequence(r, enc, &e);
        if (rc != DICOM_OK || r->pos != after) {
          if (e.tag == TAG(0x0028, 0x3010)) {
            o->voi_lut_count = 0;
            memset(o->voi_lut, 0, sizeof o->voi_lut);
          } else {
            o->has_modality_lut = 0;
            memset(&o->modality_lut, 0, sizeof o->modality_lut);
          }
          o->problem = pr;
          o->problem_at = pat;
          if (r->err && r->errlen) r->err[0] = '\0';
        }
        r->pos = after;
        continue;
      }
      rc = lut_sequence(r, enc, &e);
      if (rc != DICOM_OK) return rc;
      continue;
    }
    if (depth == 0 && (e.tag == TAG_VIEW_CODE_SEQ || e.tag == TAG_VIEW_MODIFIER_SEQ) &&
        !(e.vr[0] == 'U' && e.vr[1] == 'N')) {
      int modifier = e.tag == TAG_VIEW_MODIFIER_SEQ;
      if (e.vlen != UNDEFINED_LENGTH) {
        /* defined length: a broken code item loses the view, never the file */
        if (e.vlen > r->len - r->pos) return short_read(r, e.start, "element value");
        size_t after = r->pos + e.vlen;
        struct dicom_info *o = r->out;
        enum dicom_problem pr = o->problem;
        unsigned long long pat = o->problem_at;
        rc = code_sequence(r, enc, &e, modifier);
        if (rc != DICOM_OK || r->pos != after) {
          if (!modifier) o->view_code[0] = '\0';
          o->problem = pr;
          o->problem_at = pat;
          if (r->err && r->errlen) r->err[0] = '\0';
        }
        r->pos = after;
        continue;
      }
      rc = code_sequence(r, enc, &e, modifier);
      if (rc != DICOM_OK) return rc;
      continue;
    }
    if (depth == 0 && (e.tag == TAG_SHARED_FG_SEQ || e.tag == TAG_PER_FRAME_FG_SEQ) &&
        !(e.vr[0] == 'U' && e.vr[1] == 'N')) {
      /* the data set's own values come first in tag order: a group fills only the rest */
      struct dicom_info *o = r->out;
      struct fg_want w = {.window = !r->n_centers && !r->n_widths && !o->window_explanation[0][0],
                          .function = !o->voi_lut_function[0],
                          .spacing = !o->has_pixel_spacing,
                          .rescale = !r->has_intercept && !r->has_slope};
      if (e.vlen != UNDEFINED_LENGTH) {
        /* defined length: a broken group loses its values, never the file */
        if (e.vlen > r->len - r->pos) return short_read(r, e.start, "element value");
        size_t after = r->pos + e.vlen;
        enum dicom_problem pr = o->problem;
        unsigned long long pat = o->problem_at;
        rc = fg_sequence(r, enc, &e, 0, &w);
        if (rc != DICOM_OK || r->pos != after) {
          if (w.window) {
            o->window_count = r->n_centers = r->n_widths = 0;
            memset(o->window_explanation, 0, sizeof o->window_explanation);
          }
          if (w.function) o->voi_lut_function[0] = '\0';
          if (w.spacing) o->has_pixel_spacing = 0;
          if (w.rescale) o->has_rescale = r->has_intercept = r->has_slope = 0;
          o->problem = pr;
          o->problem_at = pat;
          if (r->err && r->errlen) r->err[0] = '\0';
        }
        r->pos = after;
        continue;
      }
      rc = fg_sequence(r, enc, &e, 0, &w);
      if (rc != DICOM_OK) return rc;
      continue;
    }
    if (e.vlen == UNDEFINED_LENGTH) {
      /* SQ, encapsulated OB/OW, or UN holding an implicit VR little endian sequence. */
      struct enc inner = enc;
      if (e.vr[0] == 'U' && e.vr[1] == 'N') inner = (struct enc){.explicit_vr = 0, .big = 0};
      rc = skip_sequence(r, inner, depth + 1);
      if (rc != DICOM_OK) return rc;
      continue;
    }
    if (e.vlen > r->len - r->pos) return short_read(r, e.start, "element value");
    if (depth == 0) keep(r, e.tag, r->p + r->pos, e.vlen, enc.big);
    r->pos += e.vlen;
  }
}

/* Decodes the text values kept raw, now that Specific Character Set is known. */
static void decode_texts(struct rd *r) {
  struct dicom_info *o = r->out;
  struct dicom_charset cs;
  o->charset_unknown = dicom_charset_parse(r->charset, r->charset_len, &cs);
  struct {
    const unsigned char *raw;
    size_t len;
    char *dst;
    size_t cap;
    int pn;
  } t[] = {{r->raw_name, r->raw_name_len, FIELD(o->patient_name), 1},
           {r->raw_study_desc, r->raw_study_desc_len, FIELD(o->study_description), 0},
           {r->raw_series_desc, r->raw_series_desc_len, FIELD(o->series_description), 0},
           {r->raw_manufacturer, r->raw_manufacturer_len, FIELD(o->manufacturer), 0}};
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    size_t n = t[i].len;
    while (n > 0 && (t[i].raw[n - 1] == ' ' || t[i].raw[n - 1] == '\0')) n--;
    size_t s = 0;
    while (s < n && t[i].raw[s] == ' ') s++;
    o->charset_replacements += dicom_decode(&cs, t[i].pn, t[i].raw + s, n - s, t[i].dst, t[i].cap);
    /* trailing spaces a decoder left (e.g. padding inside an escape run) */
    size_t l = strlen(t[i].dst);
    while (l > 0 && t[i].dst[l - 1] == ' ') t[i].dst[--l] = '\0';
  }
}

/* Parses a whole data set held in buf[0..len); base is its offset in the file. */
static int parse_dataset(const unsigned char *buf, size_t len, int complete, struct enc enc,
                         struct dicom_info *out, char *series_lat, size_t series_lat_size,
                         char *err, size_t errlen, unsigned long long base, int deflated) {
  struct rd *r = calloc(1, sizeof *r);
  if (!r) {
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return DICOM_MALFORMED;
  }
  r->p = buf;
  r->len = len;
  r->complete = complete;
  r->out = out;
  r->series_laterality = series_lat;
  r->series_laterality_size = series_lat_size;
  r->err = err;
  r->errlen = errlen;
  r->base = base;
  r->deflated = deflated;
  int rc = parse_elements(r, enc, 0);
  decode_texts(r);
  free(r);
  return rc == RC_STOP ? DICOM_OK : rc;
}

/* Inflates the deflated data set in[0..inlen) in growing steps (up to DICOM_INFLATE_MAX) and
 * parses it; stops inflating as soon as the prefix decides the answer. */
static int parse_deflated(const unsigned char *in, size_t inlen, int complete,
                          struct dicom_info *out, char *lat, size_t latn, char *err,
                          size_t errlen) {
  struct rd er = {.err = err, .errlen = errlen, .out = out};
  struct enc enc = {.explicit_vr = 1, .big = 0};
  z_stream z;
  memset(&z, 0, sizeof z);
  unsigned char *buf = NULL;
  size_t cap = INFLATE_FIRST, have = 0, fed = 0;
  int rc = DICOM_MALFORMED, ended = 0;
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return fail(&er, "cannot initialise zlib");
  buf = malloc(cap);
  if (!buf) {
    rc = fail(&er, "out of memory");
    goto done;
  }
  for (;;) {
    if (z.avail_in == 0 && fed < inlen) {
      size_t n = inlen - fed > 0x40000000u ? 0x40000000u : inlen - fed;
      z.next_in = (Bytef *)(uintptr_t)(in + fed);
      z.avail_in = (uInt)n;
      fed += n;
    }
    z.next_out = buf + have;
    z.avail_out = (uInt)(cap - have);
    int zr = inflate(&z, Z_NO_FLUSH);
    have = cap - z.avail_out;
    if (zr == Z_STREAM_END) {
      ended = 1;
      break;
    }
    if (zr != Z_OK && zr != Z_BUF_ERROR) {
      rc = fail_at(&er, DICOM_PROBLEM_DEFLATE, 0, "deflated data set is corrupt (%s)",
                   z.msg ? z.msg : "zlib error");
      goto done;
    }
    if (z.avail_out == 0) {
      rc = parse_dataset(buf, have, 0, enc, out, lat, latn, err, errlen, 0, 1);
      if (rc != DICOM_NEED_MORE) goto done;
      if (cap >= DICOM_INFLATE_MAX) {
        rc = fail_at(&er, DICOM_PROBLEM_TOO_LARGE, 0, "deflated data set header exceeds %zu bytes",
                     DICOM_INFLATE_MAX);
        goto done;
      }
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = fail(&er, "out of memory");
        goto done;
      }
      buf = nb;
      cap *= 2;
      continue;
    }
    if ((z.avail_in == 0 && fed == inlen) || zr == Z_BUF_ERROR) break; /* input ended early */
  }
  rc = parse_dataset(buf, have, ended || complete, enc, out, lat, latn, err, errlen, 0, 1);
done:
  inflateEnd(&z);
  free(buf);
  return rc;
}

static int headerless_encoding(const unsigned char *p, size_t len);

/* Reads the file meta group (explicit VR little endian, group 0002) starting at r->pos. */
static int parse_meta(struct rd *r) {
  struct enc le = {.explicit_vr = 1, .big = 0};
  int n = 0;
  for (;;) {
    if (r->len - r->pos < 2) {
      if (r->complete && n > 0 && r->pos == r->len) break; /* a file of meta information only */
      return short_read(r, r->pos, "meta group");
    }
    if (u16(r->p + r->pos, 0) != 0x0002) break;
    struct elem e;
    int rc = read_header(r, le, &e);
    if (rc != DICOM_OK) return rc;
    if (e.vlen == UNDEFINED_LENGTH)
      return fail_at(r, DICOM_PROBLEM_NO_META, e.start, "undefined length in the meta group");
    if (e.vlen > r->len - r->pos) return short_read(r, e.start, "meta element");
    const unsigned char *v = r->p + r->pos;
    if (e.tag == TAG(0x0002, 0x0010)) copy_clean(FIELD(r->out->transfer_syntax), v, e.vlen);
    if (e.tag == TAG(0x0002, 0x0002)) {
      char sop[65];
      copy_clean(FIELD(sop), v, e.vlen);
      r->out->is_dicomdir = strcmp(sop, SOP_DICOMDIR) == 0;
    }
    r->pos += e.vlen;
    n++;
  }
  if (n == 0) return fail_at(r, DICOM_PROBLEM_NO_META, r->pos, "no file meta information after DICM");
  if (!r->out->transfer_syntax[0]) {
    /* some writers leave it out: infer it from the first data element, as for no meta group */
    int ex = headerless_encoding(r->p + r->pos, r->len - r->pos);
    if (ex < 0 || u16(r->p + r->pos, ex == 2) != 0x0008)
      return fail_at(r, DICOM_PROBLEM_NO_META, r->pos, "no transfer syntax in the meta group");
    snprintf(r->out->transfer_syntax, sizeof r->out->transfer_syntax, "%s",
             ex == 2 ? TS_EXPLICIT_BE : ex ? "1.2.840.10008.1.2.1" : TS_IMPLICIT_LE);
  }
  return DICOM_OK;
}

/* Checks the preamble magic and reads the meta group; r->pos ends after it. */
static int parse_head(struct rd *r) {
  memset(r->out, 0, sizeof *r->out);
  if (r->err && r->errlen) r->err[0] = '\0';
  if (!r->p) r->len = 0;
  if (r->len < PREAMBLE + 4) {
    size_t have = r->len > PREAMBLE ? r->len - PREAMBLE : 0;
    if (r->complete || (have > 0 && memcmp(r->p + PREAMBLE, "DICM", have) != 0))
      return DICOM_NOT_DICOM;
    return DICOM_NEED_MORE;
  }
  if (memcmp(r->p + PREAMBLE, "DICM", 4) != 0) return DICOM_NOT_DICOM;
  return parse_meta(r);
}

/* Reads only the preamble and meta group; see dicom.h. */
enum dicom_rc dicom_parse_meta(const unsigned char *buf, size_t len, struct dicom_info *out,
                               char *err, size_t errlen) {
  struct rd r = {.p = buf, .len = len, .pos = PREAMBLE + 4, .out = out, .err = err,
                 .errlen = errlen};
  return (enum dicom_rc)parse_head(&r);
}

/* Plausible start of a data set without preamble: explicit (1) or implicit (0) VR little
 * endian, explicit VR big endian (2), -1 when it does not look like one. The first element must
 * be of group 0002 (a meta group without preamble, always explicit LE) or 0008 with a small
 * element number. */
static int headerless_encoding(const unsigned char *p, size_t len) {
  if (len < 8) return -1;
  int letters = p[4] >= 'A' && p[4] <= 'Z' && p[5] >= 'A' && p[5] <= 'Z' &&
                vr_in((const char[]){(char)p[4], (char)p[5], 0}, known_vrs, sizeof known_vrs / sizeof *known_vrs);
  if (u16(p, 1) == 0x0008 && u16(p + 2, 1) <= 0x0020 && letters) return 2;
  uint16_t g = u16(p, 0), el = u16(p + 2, 0);
  if (g != 0x0002 && g != 0x0008) return -1;
  if (el > 0x0020) return -1;
  if (g == 0x0002 && !letters) return -1;
  if (!letters) {
    uint32_t l = u32(p + 4, 0);
    if (l > 1024 || (l & 1)) return -1;
  }
  return letters;
}

static enum dicom_rc parse_headerless(const unsigned char *buf, size_t len, int complete,
                                      struct dicom_info *out, char *err, size_t errlen) {
  char series_lat[17] = "";
  memset(out, 0, sizeof *out);
  if (err && errlen) err[0] = '\0';
  int ex = headerless_encoding(buf, len);
  if (ex < 0) return len < 8 && !complete ? DICOM_NEED_MORE : DICOM_NOT_DICOM;
  size_t start = 0;
  if (u16(buf, 0) == 0x0002) { /* the meta group, without preamble */
    struct rd r = {.p = buf, .len = len, .pos = 0, .complete = complete, .out = out, .err = err,
                   .errlen = errlen};
    int rc = parse_meta(&r);
    if (rc != DICOM_OK) return rc == DICOM_NEED_MORE ? DICOM_NEED_MORE : DICOM_NOT_DICOM;
    start = r.pos;
  }
  const char *ts = out->transfer_syntax;
  if (!ts[0])
    snprintf(out->transfer_syntax, sizeof out->transfer_syntax, "%s",
             ex == 2 ? TS_EXPLICIT_BE : ex ? "1.2.840.10008.1.2.1" : TS_IMPLICIT_LE);
  if (strcmp(ts, TS_DEFLATED) == 0) return DICOM_NOT_DICOM;
  struct enc enc = {.explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0, .big = strcmp(ts, TS_EXPLICIT_BE) == 0};
  int rc = parse_dataset(buf + start, len - start, complete, enc, out, FIELD(series_lat), err, errlen,
                         start, 0);
  if (rc == DICOM_MALFORMED) return DICOM_NOT_DICOM; /* it only looked like a data set */
  if (rc == DICOM_OK && !out->sop_class_uid[0] && !out->sop_instance_uid[0]) return DICOM_NOT_DICOM;
  if (!out->laterality[0]) memcpy(out->laterality, series_lat, sizeof series_lat);
  out->no_preamble = 1;
  return (enum dicom_rc)rc;
}

/* Parses a Part 10 file; see dicom.h. */
enum dicom_rc dicom_parse(const unsigned char *buf, size_t len, int is_complete_file,
                          struct dicom_info *out, char *err, size_t errlen) {
  char series_lat[17] = "";
  struct rd r = {.p = buf, .len = len, .pos = PREAMBLE + 4, .complete = is_complete_file,
                 .out = out, .err = err, .errlen = errlen};
  int rc = parse_head(&r);
  if (rc == DICOM_NOT_DICOM && buf) return parse_headerless(buf, len, is_complete_file, out, err, errlen);
  if (rc != DICOM_OK) return (enum dicom_rc)rc;
  len = r.len;

  const char *ts = out->transfer_syntax;
  const unsigned char *ds = buf + r.pos;
  out->dataset_offset = r.pos;
  size_t dslen = len - r.pos;
  if (strcmp(ts, TS_DEFLATED) == 0) {
    rc = parse_deflated(ds, dslen, is_complete_file, out, FIELD(series_lat), err, errlen);
  } else {
    /* Every other transfer syntax (JPEG, RLE, ...) encodes the data set as explicit VR LE. */
    struct enc enc = {.explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0,
                      .big = strcmp(ts, TS_EXPLICIT_BE) == 0};
    rc = parse_dataset(ds, dslen, is_complete_file, enc, out, FIELD(series_lat), err, errlen, r.pos, 0);
  }
  if (!out->laterality[0]) memcpy(out->laterality, series_lat, sizeof series_lat);
  return (enum dicom_rc)rc;
}

/* ---- pixel data ---- */

void dicom_pixscan_init(struct dicom_pixscan *s, int big_endian) {
  memset(s, 0, sizeof *s);
  s->big = big_endian;
}

void dicom_pixscan_feed(struct dicom_pixscan *s, const unsigned char *p, size_t n) {
  while (n > 0 && !s->done && !s->bad) {
    if (s->skip > 0) {
      size_t c = s->skip < n ? (size_t)s->skip : n;
      s->skip -= c;
      p += c;
      n -= c;
      continue;
    }
    size_t c = 8 - s->hlen < n ? 8 - s->hlen : n;
    memcpy(s->hdr + s->hlen, p, c);
    s->hlen += (unsigned)c;
    p += c;
    n -= c;
    if (s->hlen < 8) break;
    s->hlen = 0;
    uint32_t tag = TAG(u16(s->hdr, s->big), u16(s->hdr + 2, s->big));
    uint32_t len = u32(s->hdr + 4, s->big);
    if (tag == TAG_SEQ_END) {
      s->done = 1;
    } else if (tag == TAG_ITEM && len != UNDEFINED_LENGTH) {
      if (s->items == 0) s->bot_length = len;
      s->items++;
      s->skip = len;
    } else {
      s->bad = 1;
    }
  }
}

long dicom_frames(const struct dicom_info *d) {
  if (!d->has_pixel_data) return 0;
  return d->number_of_frames > 0 ? d->number_of_frames : 1;
}

unsigned long long dicom_native_length(const struct dicom_info *d) {
  unsigned long long f = (unsigned long long)dicom_frames(d);
  unsigned long long spp = d->samples_per_pixel ? d->samples_per_pixel : 1;
  if (!d->rows || !d->columns || !d->bits_allocated || !f) return 0;
  unsigned long long bits = (unsigned long long)d->rows * d->columns * spp * d->bits_allocated * f;
  return (bits + 7) / 8;
}

enum dicom_pixels dicom_pixels_judge(const struct dicom_info *d, unsigned long long file_size,
                                     const struct dicom_pixscan *scan) {
  if (!d->has_pixel_data) return DICOM_PIXELS_NONE;
  if (!d->pixel_offset_known) return DICOM_PIXELS_COMPLETE; /* deflated: not judged */
  if (!d->pixel_encapsulated) {
    unsigned long long want = dicom_native_length(d);
    if (want == 0 || d->pixel_length < want) return DICOM_PIXELS_INCOMPLETE;
    if (d->pixel_offset > file_size || file_size - d->pixel_offset < want) return DICOM_PIXELS_INCOMPLETE;
    return DICOM_PIXELS_COMPLETE;
  }
  if (!scan || !scan->done || scan->bad || scan->items < 1) return DICOM_PIXELS_INCOMPLETE;
  long fragments = scan->items - 1;
  long frames = scan->bot_length >= 4 ? (long)(scan->bot_length / 4) : dicom_frames(d);
  return fragments >= frames && fragments > 0 ? DICOM_PIXELS_COMPLETE : DICOM_PIXELS_INCOMPLETE;
}

enum dicom_pixels dicom_pixels_in_buffer(const struct dicom_info *d, const unsigned char *buf, size_t len) {
  if (!d->has_pixel_data || !d->pixel_encapsulated || !d->pixel_offset_known)
    return dicom_pixels_judge(d, len, NULL);
  struct dicom_pixscan s;
  dicom_pixscan_init(&s, strcmp(d->transfer_syntax, TS_EXPLICIT_BE) == 0);
  if (d->pixel_offset <= len) dicom_pixscan_feed(&s, buf + d->pixel_offset, len - (size_t)d->pixel_offset);
  return dicom_pixels_judge(d, len, &s);
}

/* True when buf[0..len) (a prefix) reads as a data set without preamble; see dicom.h. */
int dicom_sniff_headerless(const unsigned char *buf, size_t len) {
  if (!buf || headerless_encoding(buf, len) < 0) return 0;
  struct dicom_info *d = malloc(sizeof *d);
  if (!d) return 0;
  /* a short buffer is taken as the whole file; a long prefix that is consistent so far counts */
  int whole = len < 4096;
  enum dicom_rc rc = parse_headerless(buf, len, whole, d, NULL, 0);
  free(d);
  return rc == DICOM_OK || (!whole && rc == DICOM_NEED_MORE);
}

/* Short constant name of a return code. */
const char *dicom_mammo_view(const struct dicom_info *d) {
  static const struct {
    const char *code, *view;
  } views[] = {
      /* PS3.16 CID 4014 View for Mammography: SNOMED CT, then the SNOMED-RT codes older files carry */
      {"399162004", "CC"},   {"R-10242", "CC"},   {"399368009", "MLO"},  {"R-10226", "MLO"},
      {"399260004", "ML"},   {"R-10224", "ML"},   {"399352003", "LM"},   {"R-10228", "LM"},
      {"399099002", "LMO"},  {"R-10230", "LMO"},  {"399196006", "FB"},   {"R-10244", "FB"},
      {"399188001", "SIO"},  {"R-102D0", "SIO"},  {"441555000", "ISO"},  {"R-40AAA", "ISO"},
      {"399192008", "XCCL"}, {"R-1024A", "XCCL"}, {"399101009", "XCCM"}, {"R-1024B", "XCCM"},
  };
  if (d->view_spot) return "SPOT";
  if (d->view_magnified) return "MAG";
  if (d->view_code[0]) {
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
      if (!strcmp(d->view_code, views[i].code)) return views[i].view;
  }
  static const char *const positions[] = {"CC", "MLO", "ML", "LM", "LMO", "FB", "SIO", "ISO", "XCCL", "XCCM"};
  for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++)
    if (!strcmp(d->view_position, positions[i])) return positions[i];
  return "";
}

const char *dicom_rc_name(enum dicom_rc rc) {
  switch (rc) {
  case DICOM_OK: return "ok";
  case DICOM_NEED_MORE: return "need-more";
  case DICOM_NOT_DICOM: return "not-dicom";
  case DICOM_MALFORMED: return "malformed";
  }
  return "invalid";
}
