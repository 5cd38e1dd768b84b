/* DICOM Part 10 metadata reader (PS3.10 file format, PS3.5 data set encoding).
 *
 * Reads the meta group (always explicit VR little endian), then the data set in the
 * transfer syntax it names, copying a few top-level attributes. Sequences are never
 * interpreted: defined-length ones are skipped by length, undefined-length ones by walking
 * their items to the delimiters (bounded depth). Every length is checked against the buffer. */
#include "dicom/dicom.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PREAMBLE 128
#define UNDEFINED_LENGTH 0xFFFFFFFFu
#define MAX_DEPTH 16
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

static int fail(struct rd *r, const char *fmt, ...) {
  if (r->err && r->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
  }
  return DICOM_MALFORMED;
}

/* The buffer ended early: an error for a whole file, a request for more bytes otherwise. */
static int short_read(struct rd *r, size_t at, const char *what) {
  if (r->complete) return fail(r, "%s at offset %zu runs past the end of the file", what, at);
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

/* Copies a value into dst (size n), trimming trailing spaces and NULs, truncating. */
static void copy_value(char *dst, size_t n, const unsigned char *v, size_t vlen) {
  while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\0')) vlen--;
  if (vlen > n - 1) vlen = n - 1;
  memcpy(dst, v, vlen);
  dst[vlen] = '\0';
}

#define FIELD(f) f, sizeof f

/* Stores a wanted top-level attribute of the data set. */
static void keep(struct rd *r, uint32_t tag, const unsigned char *v, size_t vlen) {
  struct dicom_info *o = r->out;
  switch (tag) {
  case TAG(0x0008, 0x0016): copy_value(FIELD(o->sop_class_uid), v, vlen); break;
  case TAG(0x0008, 0x0018): copy_value(FIELD(o->sop_instance_uid), v, vlen); break;
  case TAG(0x0008, 0x0020): copy_value(FIELD(o->study_date), v, vlen); break;
  case TAG(0x0008, 0x0060): copy_value(FIELD(o->modality), v, vlen); break;
  case TAG(0x0008, 0x0070): copy_value(FIELD(o->manufacturer), v, vlen); break;
  case TAG(0x0008, 0x1030): copy_value(FIELD(o->study_description), v, vlen); break;
  case TAG(0x0008, 0x103E): copy_value(FIELD(o->series_description), v, vlen); break;
  case TAG(0x0010, 0x0010): copy_value(FIELD(o->patient_name), v, vlen); break;
  case TAG(0x0010, 0x0030): copy_value(FIELD(o->patient_birth_date), v, vlen); break;
  case TAG(0x0018, 0x5101): copy_value(FIELD(o->view_position), v, vlen); break;
  case TAG(0x0020, 0x000D): copy_value(FIELD(o->study_instance_uid), v, vlen); break;
  case TAG(0x0020, 0x000E): copy_value(FIELD(o->series_instance_uid), v, vlen); break;
  case TAG(0x0020, 0x0060):
    copy_value(r->series_laterality, r->series_laterality_size, v, vlen);
    break;
  case TAG(0x0020, 0x0062): copy_value(FIELD(o->laterality), v, vlen); break;
  default: break;
  }
}

static int parse_elements(struct rd *r, struct enc enc, int depth);

/* Skips the items of an undefined-length sequence (or encapsulated fragments) up to and
 * including the sequence delimiter. depth is the nesting level of the items. */
static int skip_sequence(struct rd *r, struct enc enc, int depth) {
  if (depth > MAX_DEPTH) return fail(r, "sequences nested deeper than %d", MAX_DEPTH);
  for (;;) {
    struct elem e;
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
      r->out->has_pixel_data = 1;
      return RC_STOP;
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
    if (depth == 0) keep(r, e.tag, r->p + r->pos, e.vlen);
    r->pos += e.vlen;
  }
}

/* Parses a whole data set held in buf[0..len). */
static int parse_dataset(const unsigned char *buf, size_t len, int complete, struct enc enc,
                         struct dicom_info *out, char *series_lat, size_t series_lat_size,
                         char *err, size_t errlen) {
  struct rd r = {.p = buf, .len = len, .complete = complete, .out = out,
                 .series_laterality = series_lat, .series_laterality_size = series_lat_size,
                 .err = err, .errlen = errlen};
  int rc = parse_elements(&r, enc, 0);
  return rc == RC_STOP ? DICOM_OK : rc;
}

/* Inflates the deflated data set in[0..inlen) in growing steps (up to DICOM_INFLATE_MAX) and
 * parses it; stops inflating as soon as the prefix decides the answer. */
static int parse_deflated(const unsigned char *in, size_t inlen, int complete,
                          struct dicom_info *out, char *lat, size_t latn, char *err,
                          size_t errlen) {
  struct rd er = {.err = err, .errlen = errlen};
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
      rc = fail(&er, "deflated data set is corrupt (%s)", z.msg ? z.msg : "zlib error");
      goto done;
    }
    if (z.avail_out == 0) {
      rc = parse_dataset(buf, have, 0, enc, out, lat, latn, err, errlen);
      if (rc != DICOM_NEED_MORE) goto done;
      if (cap >= DICOM_INFLATE_MAX) {
        rc = fail(&er, "deflated data set header exceeds %zu bytes", DICOM_INFLATE_MAX);
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
  rc = parse_dataset(buf, have, ended || complete, enc, out, lat, latn, err, errlen);
done:
  inflateEnd(&z);
  free(buf);
  return rc;
}

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
    if (e.vlen == UNDEFINED_LENGTH) return fail(r, "undefined length in the meta group");
    if (e.vlen > r->len - r->pos) return short_read(r, e.start, "meta element");
    const unsigned char *v = r->p + r->pos;
    if (e.tag == TAG(0x0002, 0x0010)) copy_value(FIELD(r->out->transfer_syntax), v, e.vlen);
    if (e.tag == TAG(0x0002, 0x0002)) {
      char sop[65];
      copy_value(FIELD(sop), v, e.vlen);
      r->out->is_dicomdir = strcmp(sop, SOP_DICOMDIR) == 0;
    }
    r->pos += e.vlen;
    n++;
  }
  if (n == 0) return fail(r, "no file meta information after DICM");
  if (!r->out->transfer_syntax[0]) return fail(r, "no transfer syntax in the meta group");
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

/* Parses a Part 10 file; see dicom.h. */
enum dicom_rc dicom_parse(const unsigned char *buf, size_t len, int is_complete_file,
                          struct dicom_info *out, char *err, size_t errlen) {
  char series_lat[17] = "";
  struct rd r = {.p = buf, .len = len, .pos = PREAMBLE + 4, .complete = is_complete_file,
                 .out = out, .err = err, .errlen = errlen};
  int rc = parse_head(&r);
  if (rc != DICOM_OK) return (enum dicom_rc)rc;
  len = r.len;

  const char *ts = out->transfer_syntax;
  const unsigned char *ds = buf + r.pos;
  size_t dslen = len - r.pos;
  if (strcmp(ts, TS_DEFLATED) == 0) {
    rc = parse_deflated(ds, dslen, is_complete_file, out, FIELD(series_lat), err, errlen);
  } else {
    /* Every other transfer syntax (JPEG, RLE, ...) encodes the data set as explicit VR LE. */
    struct enc enc = {.explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0,
                      .big = strcmp(ts, TS_EXPLICIT_BE) == 0};
    rc = parse_dataset(ds, dslen, is_complete_file, enc, out, FIELD(series_lat), err, errlen);
  }
  if (!out->laterality[0]) memcpy(out->laterality, series_lat, sizeof series_lat);
  return (enum dicom_rc)rc;
}

/* Short constant name of a return code. */
const char *dicom_rc_name(enum dicom_rc rc) {
  switch (rc) {
  case DICOM_OK: return "ok";
  case DICOM_NEED_MORE: return "need-more";
  case DICOM_NOT_DICOM: return "not-dicom";
  case DICOM_MALFORMED: return "malformed";
  }
  return "invalid";
}
