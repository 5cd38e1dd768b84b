/* DICOMweb pure pieces: attributes, DICOM JSON, QIDO query parameters, Accept negotiation. */
#include "dicom/dicomweb.h"

#include <ctype.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dicom/dicom.h"
#include "util/arena.h"

/* ---- attributes ---- */

#define T_SPECIFIC_CHARSET 0x00080005u
#define T_SOP_CLASS 0x00080016u
#define T_SOP_INSTANCE 0x00080018u
#define T_STUDY_DATE 0x00080020u
#define T_STUDY_TIME 0x00080030u
#define T_ACCESSION 0x00080050u
#define T_AVAILABILITY 0x00080056u
#define T_MODALITIES 0x00080061u
#define T_MODALITY 0x00080060u
#define T_MANUFACTURER 0x00080070u
#define T_REFERRING 0x00080090u
#define T_RETRIEVE_URL 0x00081190u
#define T_STUDY_DESC 0x00081030u
#define T_SERIES_DESC 0x0008103Eu
#define T_PATIENT_NAME 0x00100010u
#define T_PATIENT_ID 0x00100020u
#define T_BIRTH_DATE 0x00100030u
#define T_SEX 0x00100040u
#define T_IMAGER_SPACING 0x00181164u
#define T_VIEW_POSITION 0x00185101u
#define T_STUDY_UID 0x0020000Du
#define T_SERIES_UID 0x0020000Eu
#define T_STUDY_ID 0x00200010u
#define T_SERIES_NUMBER 0x00200011u
#define T_INSTANCE_NUMBER 0x00200013u
#define T_PATIENT_ORIENTATION 0x00200020u
#define T_IMAGE_LATERALITY 0x00200062u
#define T_N_STUDY_SERIES 0x00201206u
#define T_N_STUDY_INSTANCES 0x00201208u
#define T_N_SERIES_INSTANCES 0x00201209u
#define T_SAMPLES 0x00280002u
#define T_PHOTOMETRIC 0x00280004u
#define T_PLANAR 0x00280006u
#define T_FRAMES 0x00280008u
#define T_ROWS 0x00280010u
#define T_COLUMNS 0x00280011u
#define T_PIXEL_SPACING 0x00280030u
#define T_BITS_ALLOCATED 0x00280100u
#define T_BITS_STORED 0x00280101u
#define T_HIGH_BIT 0x00280102u
#define T_PIXEL_REPR 0x00280103u
#define T_WINDOW_CENTER 0x00281050u
#define T_WINDOW_WIDTH 0x00281051u
#define T_RESCALE_INTERCEPT 0x00281052u
#define T_RESCALE_SLOPE 0x00281053u
#define T_VOI_FUNCTION 0x00281056u
#define T_TRANSFER_SYNTAX 0x00020010u

static const struct dw_attr attrs[] = {
    {T_TRANSFER_SYNTAX, "TransferSyntaxUID", "UI"},
    {T_SPECIFIC_CHARSET, "SpecificCharacterSet", "CS"},
    {T_SOP_CLASS, "SOPClassUID", "UI"},
    {T_SOP_INSTANCE, "SOPInstanceUID", "UI"},
    {T_STUDY_DATE, "StudyDate", "DA"},
    {T_STUDY_TIME, "StudyTime", "TM"},
    {T_ACCESSION, "AccessionNumber", "SH"},
    {T_AVAILABILITY, "InstanceAvailability", "CS"},
    {T_MODALITY, "Modality", "CS"},
    {T_MODALITIES, "ModalitiesInStudy", "CS"},
    {T_MANUFACTURER, "Manufacturer", "LO"},
    {T_REFERRING, "ReferringPhysicianName", "PN"},
    {T_RETRIEVE_URL, "RetrieveURL", "UR"},
    {T_STUDY_DESC, "StudyDescription", "LO"},
    {T_SERIES_DESC, "SeriesDescription", "LO"},
    {T_PATIENT_NAME, "PatientName", "PN"},
    {T_PATIENT_ID, "PatientID", "LO"},
    {T_BIRTH_DATE, "PatientBirthDate", "DA"},
    {T_SEX, "PatientSex", "CS"},
    {T_IMAGER_SPACING, "ImagerPixelSpacing", "DS"},
    {T_VIEW_POSITION, "ViewPosition", "CS"},
    {T_STUDY_UID, "StudyInstanceUID", "UI"},
    {T_SERIES_UID, "SeriesInstanceUID", "UI"},
    {T_STUDY_ID, "StudyID", "SH"},
    {T_SERIES_NUMBER, "SeriesNumber", "IS"},
    {T_INSTANCE_NUMBER, "InstanceNumber", "IS"},
    {T_PATIENT_ORIENTATION, "PatientOrientation", "CS"},
    {T_IMAGE_LATERALITY, "ImageLaterality", "CS"},
    {T_N_STUDY_SERIES, "NumberOfStudyRelatedSeries", "IS"},
    {T_N_STUDY_INSTANCES, "NumberOfStudyRelatedInstances", "IS"},
    {T_N_SERIES_INSTANCES, "NumberOfSeriesRelatedInstances", "IS"},
    {T_SAMPLES, "SamplesPerPixel", "US"},
    {T_PHOTOMETRIC, "PhotometricInterpretation", "CS"},
    {T_PLANAR, "PlanarConfiguration", "US"},
    {T_FRAMES, "NumberOfFrames", "IS"},
    {T_ROWS, "Rows", "US"},
    {T_COLUMNS, "Columns", "US"},
    {T_PIXEL_SPACING, "PixelSpacing", "DS"},
    {T_BITS_ALLOCATED, "BitsAllocated", "US"},
    {T_BITS_STORED, "BitsStored", "US"},
    {T_HIGH_BIT, "HighBit", "US"},
    {T_PIXEL_REPR, "PixelRepresentation", "US"},
    {T_WINDOW_CENTER, "WindowCenter", "DS"},
    {T_WINDOW_WIDTH, "WindowWidth", "DS"},
    {T_RESCALE_INTERCEPT, "RescaleIntercept", "DS"},
    {T_RESCALE_SLOPE, "RescaleSlope", "DS"},
    {T_VOI_FUNCTION, "VOILUTFunction", "CS"},
};
#define N_ATTRS (sizeof attrs / sizeof attrs[0])

const struct dw_attr *dw_attr_by_tag(uint32_t tag) {
  for (size_t i = 0; i < N_ATTRS; i++)
    if (attrs[i].tag == tag) return &attrs[i];
  return NULL;
}

const struct dw_attr *dw_attr_find(const char *name) {
  if (!name) return NULL;
  if (strlen(name) == 8 && strspn(name, "0123456789abcdefABCDEF") == 8) {
    char *end;
    unsigned long v = strtoul(name, &end, 16);
    return dw_attr_by_tag((uint32_t)v);
  }
  for (size_t i = 0; i < N_ATTRS; i++)
    if (strcmp(attrs[i].keyword, name) == 0) return &attrs[i];
  return NULL;
}

int dw_attr_level(uint32_t tag) {
  switch (tag) {
  case T_SPECIFIC_CHARSET:
  case T_RETRIEVE_URL:
  case T_AVAILABILITY: return -1;
  case T_PATIENT_NAME:
  case T_PATIENT_ID:
  case T_BIRTH_DATE:
  case T_SEX:
  case T_STUDY_UID:
  case T_STUDY_DATE:
  case T_STUDY_TIME:
  case T_ACCESSION:
  case T_STUDY_ID:
  case T_STUDY_DESC:
  case T_REFERRING:
  case T_MODALITIES:
  case T_N_STUDY_SERIES:
  case T_N_STUDY_INSTANCES: return 0;
  case T_MODALITY:
  case T_SERIES_UID:
  case T_SERIES_NUMBER:
  case T_SERIES_DESC:
  case T_N_SERIES_INSTANCES:
  case T_MANUFACTURER: return 1;
  default: return 2;
  }
}

void dw_tag_key(uint32_t tag, char buf[9]) { snprintf(buf, 9, "%08X", (unsigned)tag); }

/* A number as DICOM writes IS/DS: optional spaces, sign, digits, point, exponent. */
static json_t *number_value(const char *s, size_t n, bool integer) {
  char tmp[64];
  while (n && (*s == ' ')) s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (n == 0 || n >= sizeof tmp) return NULL;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  char *end;
  if (integer) {
    long long v = strtoll(tmp, &end, 10);
    return *end ? NULL : json_integer(v);
  }
  double d = strtod(tmp, &end);
  if (*end || d != d) return NULL;
  /* a whole number stays an integer in JSON, as other servers write it */
  if (d == (double)(long long)d && d > -9e15 && d < 9e15 && !strpbrk(tmp, ".eE")) return json_integer((long long)d);
  return json_real(d);
}

static json_t *pn_value(const char *s, size_t n) {
  static const char *const groups[] = {"Alphabetic", "Ideographic", "Phonetic"};
  json_t *o = json_object();
  if (!o) return NULL;
  size_t g = 0;
  const char *p = s, *end = s + n;
  while (g < 3) {
    const char *e = memchr(p, '=', (size_t)(end - p));
    if (!e) e = end;
    if (e > p) json_object_set_new(o, groups[g], json_stringn(p, (size_t)(e - p)));
    g++;
    if (e == end) break;
    p = e + 1;
  }
  return o;
}

int dw_json_set(json_t *obj, uint32_t tag, const char *text) {
  const struct dw_attr *at = dw_attr_by_tag(tag);
  if (!at || !obj) return -1;
  char key[9];
  dw_tag_key(tag, key);
  json_t *el = json_pack("{s:s}", "vr", at->vr);
  if (!el) return -1;
  if (text && *text) {
    json_t *vals = json_array();
    bool integer = strcmp(at->vr, "IS") == 0 || strcmp(at->vr, "US") == 0 || strcmp(at->vr, "UL") == 0 ||
                   strcmp(at->vr, "SS") == 0 || strcmp(at->vr, "SL") == 0;
    bool decimal = strcmp(at->vr, "DS") == 0;
    bool pn = strcmp(at->vr, "PN") == 0;
    /* UR, LT, ST, UT carry one value that may contain backslashes */
    bool single = strcmp(at->vr, "UR") == 0 || strcmp(at->vr, "LT") == 0 || strcmp(at->vr, "ST") == 0;
    const char *p = text;
    for (;;) {
      const char *e = single ? NULL : strchr(p, '\\');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      json_t *v = NULL;
      if (integer || decimal)
        v = number_value(p, n, integer);
      else if (pn)
        v = n ? pn_value(p, n) : json_null();
      else
        v = n ? json_stringn(p, n) : json_null();
      if (v) json_array_append_new(vals, v);
      if (!e) break;
      p = e + 1;
    }
    if (vals && json_array_size(vals) > 0)
      json_object_set_new(el, "Value", vals);
    else
      json_decref(vals);
  }
  return json_object_set_new(obj, key, el) == 0 ? 0 : -1;
}

int dw_json_set_int(json_t *obj, uint32_t tag, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  return dw_json_set(obj, tag, buf);
}

/* DS values joined with '\\' ("%.10g" keeps what files write). */
static void ds_join(char *out, size_t cap, const double *v, size_t n) {
  size_t at = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && at < cap; i++) {
    int k = snprintf(out + at, cap - at, "%s%.10g", i ? "\\" : "", v[i]);
    if (k < 0) break;
    at += (size_t)k;
  }
}

json_t *dw_instance_json(const struct dicom_info *di) {
  json_t *o = json_object();
  if (!o) return NULL;
  int bad = 0;
#define S(tag, val) bad |= dw_json_set(o, tag, val) != 0
#define U(tag, val) bad |= dw_json_set_int(o, tag, (long long)(val)) != 0
  S(T_TRANSFER_SYNTAX, di->transfer_syntax);
  /* text values were decoded to UTF-8 at intake: that is what we answer */
  S(T_SPECIFIC_CHARSET, "ISO_IR 192");
  S(T_SOP_CLASS, di->sop_class_uid);
  S(T_SOP_INSTANCE, di->sop_instance_uid);
  S(T_STUDY_DATE, di->study_date);
  S(T_STUDY_TIME, di->study_time);
  S(T_ACCESSION, di->accession_number);
  S(T_MODALITY, di->modality);
  S(T_MANUFACTURER, di->manufacturer);
  S(T_STUDY_DESC, di->study_description);
  S(T_SERIES_DESC, di->series_description);
  S(T_PATIENT_NAME, di->patient_name);
  S(T_PATIENT_ID, di->patient_id);
  S(T_BIRTH_DATE, di->patient_birth_date);
  S(T_SEX, di->patient_sex);
  S(T_STUDY_UID, di->study_instance_uid);
  S(T_SERIES_UID, di->series_instance_uid);
  S(T_STUDY_ID, di->study_id);
  if (di->series_number[0]) S(T_SERIES_NUMBER, di->series_number);
  if (di->instance_number[0]) S(T_INSTANCE_NUMBER, di->instance_number);
  if (di->view_position[0]) S(T_VIEW_POSITION, di->view_position);
  if (di->laterality[0]) S(T_IMAGE_LATERALITY, di->laterality);
  if (di->patient_orientation[0]) S(T_PATIENT_ORIENTATION, di->patient_orientation);
  if (di->rows || di->columns) {
    U(T_SAMPLES, di->samples_per_pixel);
    S(T_PHOTOMETRIC, di->photometric);
    if (di->samples_per_pixel > 1) U(T_PLANAR, di->planar_configuration);
    U(T_ROWS, di->rows);
    U(T_COLUMNS, di->columns);
    U(T_BITS_ALLOCATED, di->bits_allocated);
    if (di->has_bits_stored) U(T_BITS_STORED, di->bits_stored);
    if (di->has_high_bit) U(T_HIGH_BIT, di->high_bit);
    U(T_PIXEL_REPR, di->pixel_representation);
    if (di->number_of_frames > 0) U(T_FRAMES, di->number_of_frames);
  }
  char buf[400];
  if (di->has_pixel_spacing) {
    ds_join(buf, sizeof buf, di->pixel_spacing, 2);
    S(T_PIXEL_SPACING, buf);
  }
  if (di->has_imager_pixel_spacing) {
    ds_join(buf, sizeof buf, di->imager_pixel_spacing, 2);
    S(T_IMAGER_SPACING, buf);
  }
  if (di->window_count > 0) {
    size_t n = (size_t)di->window_count;
    ds_join(buf, sizeof buf, di->window_center, n);
    S(T_WINDOW_CENTER, buf);
    ds_join(buf, sizeof buf, di->window_width, n);
    S(T_WINDOW_WIDTH, buf);
  }
  if (di->has_rescale) {
    ds_join(buf, sizeof buf, &di->rescale_intercept, 1);
    S(T_RESCALE_INTERCEPT, buf);
    ds_join(buf, sizeof buf, &di->rescale_slope, 1);
    S(T_RESCALE_SLOPE, buf);
  }
  if (di->voi_lut_function[0]) S(T_VOI_FUNCTION, di->voi_lut_function);
#undef S
#undef U
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* ---- QIDO-RS ---- */

char *dw_wildcard_to_like(struct arena *a, const char *value) {
  size_t n = strlen(value);
  char *out = arena_alloc(a, 2 * n + 1), *o = out;
  if (!out) return NULL;
  for (const char *p = value; *p; p++) {
    switch (*p) {
    case '*': *o++ = '%'; break;
    case '?': *o++ = '_'; break;
    case '%':
    case '_':
    case '\\':
      *o++ = '\\';
      *o++ = *p;
      break;
    default: *o++ = *p;
    }
  }
  *o = '\0';
  return out;
}

static bool real_date(const char *s, size_t n) {
  if (n != 8) return false;
  for (size_t i = 0; i < 8; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
  return d <= max;
}

int dw_date_range(const char *v, char from[9], char to[9]) {
  from[0] = to[0] = '\0';
  if (!v) return -1;
  size_t n = strlen(v);
  const char *dash = strchr(v, '-');
  if (!dash) {
    if (!real_date(v, n)) return -1;
    memcpy(from, v, 9);
    memcpy(to, v, 9);
    return 0;
  }
  if (strchr(dash + 1, '-')) return -1;
  size_t a = (size_t)(dash - v), b = n - a - 1;
  if (a == 0 && b == 0) return -1;
  if (a && !real_date(v, a)) return -1;
  if (b && !real_date(dash + 1, b)) return -1;
  if (a) {
    memcpy(from, v, 8);
    from[8] = '\0';
  }
  if (b) memcpy(to, dash + 1, 9);
  if (a && b && strcmp(from, to) > 0) return -1;
  return 0;
}

/* A UID as PS3.5 9.1 allows: digits and dots, at most 64 characters. */
static bool uid_ok(const char *s) {
  size_t n = strlen(s);
  return n > 0 && n <= 64 && strspn(s, "0123456789.") == n && s[0] != '.' && s[n - 1] != '.';
}

/* A UID list (PS3.4 C.2.2.2.2: UIDs separated by backslashes; commas as PS3.18 8.3.4.2 also
 * allows) as the same UIDs joined by commas (arena), or NULL when an entry is not a UID or
 * there are more than DW_MAX_UIDS. */
#define DW_MAX_UIDS 100
static const char *uid_list(struct arena *a, const char *v) {
  char *out = arena_strdup(a, v);
  if (!out) return NULL;
  size_t count = 0;
  for (char *p = out; p;) {
    char *e = strpbrk(p, ",\\");
    if (e) *e = '\0';
    if (!uid_ok(p) || ++count > DW_MAX_UIDS) return NULL;
    if (e) *e = ',';
    p = e ? e + 1 : NULL;
  }
  return out;
}

static int parse_long(const char *s, long max, long *out) {
  if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) return -1;
  long v = strtol(s, NULL, 10);
  if (v > max) return -1;
  *out = v;
  return 0;
}

static void add_include(struct dw_query *q, uint32_t tag) {
  for (size_t i = 0; i < q->n_include; i++)
    if (q->include[i] == tag) return;
  if (q->n_include < DW_MAX_INCLUDE) q->include[q->n_include++] = tag;
}

/* Strips a trailing run of spaces (clients pad values) into an arena copy. */
static const char *trimmed(struct arena *a, const char *v) {
  size_t n = strlen(v);
  while (n && v[n - 1] == ' ') n--;
  char *c = arena_alloc(a, n + 1);
  if (!c) return NULL;
  memcpy(c, v, n);
  c[n] = '\0';
  return c;
}

int dw_query_parse(struct arena *a, enum dw_level level, const char *const *names, const char *const *values,
                   size_t n, struct dw_query *q, char *why, size_t whylen) {
  memset(q, 0, sizeof *q);
  q->level = level;
  q->limit = DW_DEFAULT_LIMIT;
  for (size_t i = 0; i < n; i++) {
    const char *k = names[i], *v = values[i] ? trimmed(a, values[i]) : "";
    if (!v) {
      snprintf(why, whylen, "out of memory");
      return -1;
    }
    if (strcmp(k, "limit") == 0 || strcmp(k, "offset") == 0) {
      long x;
      bool lim = k[0] == 'l';
      if (parse_long(v, lim ? DW_MAX_LIMIT : 100000000L, &x) != 0 || (lim && x == 0)) {
        if (lim)
          snprintf(why, whylen, "limit must be a whole number from 1 to %d", DW_MAX_LIMIT);
        else
          snprintf(why, whylen, "offset must be a whole number (0 or more)");
        return -1;
      }
      if (lim)
        q->limit = x;
      else
        q->offset = x;
      continue;
    }
    if (strcmp(k, "fuzzymatching") == 0) {
      if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        snprintf(why, whylen, "fuzzymatching must be true or false");
        return -1;
      }
      continue; /* names are matched case-insensitively anyway; nothing fuzzier is offered */
    }
    if (strcmp(k, "includefield") == 0) {
      const char *p = v;
      while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char one[80];
        if (len == 0 || len >= sizeof one) {
          snprintf(why, whylen, "includefield has an empty or overlong entry");
          return -1;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        if (strcmp(one, "all") == 0) {
          q->include_all = true;
        } else {
          const struct dw_attr *at = dw_attr_find(one);
          /* an attribute we do not keep is simply not in the answer (PS3.18 10.6.1.2.3) */
          if (at) add_include(q, at->tag);
          else if (!((len == 8 && strspn(one, "0123456789abcdefABCDEF") == 8) ||
                     strspn(one, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == len)) {
            snprintf(why, whylen, "includefield \"%.40s\" is neither a keyword nor a tag", one);
            return -1;
          }
        }
        p += len;
        if (*p == ',') p++;
      }
      continue;
    }
    const struct dw_attr *at = dw_attr_find(k);
    if (!at) {
      snprintf(why, whylen, "unknown query key \"%.60s\" (use a DICOM keyword or tag, limit, offset or includefield)", k);
      return -1;
    }
    if (!*v) continue; /* universal matching: the attribute is returned, nothing is filtered */
    bool series_key = at->tag == T_SERIES_UID || at->tag == T_MODALITY;
    bool instance_key = at->tag == T_SOP_INSTANCE || at->tag == T_SOP_CLASS;
    if ((series_key && level == DW_STUDY) || (instance_key && level != DW_INSTANCE)) {
      snprintf(why, whylen, "%s cannot be searched at the %s level", at->keyword, level == DW_STUDY ? "study" : "series");
      return -1;
    }
    switch (at->tag) {
    case T_STUDY_UID:
    case T_SERIES_UID:
    case T_SOP_INSTANCE:
    case T_SOP_CLASS:
      if (at->tag == T_SOP_CLASS ? !uid_ok(v) : !(v = uid_list(a, v))) {
        snprintf(why, whylen,
                 at->tag == T_SOP_CLASS ? "%s must be one UID (digits and dots, at most 64 characters)"
                                        : "%s must be a UID, or UIDs separated by commas or backslashes (digits and "
                                          "dots, at most 64 characters each)",
                 at->keyword);
        return -1;
      }
      if (at->tag == T_STUDY_UID) q->study_uid = v;
      if (at->tag == T_SERIES_UID) q->series_uid = v;
      if (at->tag == T_SOP_INSTANCE) q->sop_uid = v;
      if (at->tag == T_SOP_CLASS) q->sop_class_uid = v;
      break;
    case T_PATIENT_NAME:
      q->patient_name_like = dw_wildcard_to_like(a, v);
      if (!q->patient_name_like) {
        snprintf(why, whylen, "out of memory");
        return -1;
      }
      break;
    case T_PATIENT_ID: q->patient_id = v; break;
    case T_ACCESSION: q->accession = v; break;
    case T_MODALITY:
    case T_MODALITIES:
      if (strlen(v) > 16 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ") != strlen(v)) {
        snprintf(why, whylen, "%s must be one modality code such as MG", at->keyword);
        return -1;
      }
      q->modality = v;
      break;
    case T_STUDY_DATE: {
      char f[9], t[9];
      if (dw_date_range(v, f, t) != 0) {
        snprintf(why, whylen, "StudyDate must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be left open)");
        return -1;
      }
      q->date_from = f[0] ? arena_strdup(a, f) : NULL;
      q->date_to = t[0] ? arena_strdup(a, t) : NULL;
      break;
    }
    default:
      snprintf(why, whylen, "%s cannot be used to search here (searchable: PatientName, PatientID, StudyDate, "
                            "AccessionNumber, ModalitiesInStudy, StudyInstanceUID, Modality, SeriesInstanceUID, "
                            "SOPInstanceUID, SOPClassUID)",
               at->keyword);
      return -1;
    }
    add_include(q, at->tag); /* a matching key is returned (PS3.18 10.6.3.3) */
  }
  return 0;
}

static const uint32_t study_default[] = {T_SPECIFIC_CHARSET, T_STUDY_DATE, T_STUDY_TIME, T_ACCESSION,
                                         T_AVAILABILITY, T_MODALITIES, T_REFERRING, T_RETRIEVE_URL,
                                         T_PATIENT_NAME, T_PATIENT_ID, T_BIRTH_DATE, T_SEX,
                                         T_STUDY_UID, T_STUDY_ID, T_N_STUDY_SERIES, T_N_STUDY_INSTANCES,
                                         T_STUDY_DESC};
static const uint32_t series_default[] = {T_SPECIFIC_CHARSET, T_MODALITY, T_SERIES_DESC, T_RETRIEVE_URL,
                                          T_STUDY_UID, T_SERIES_UID, T_SERIES_NUMBER, T_N_SERIES_INSTANCES};
static const uint32_t instance_default[] = {T_SPECIFIC_CHARSET, T_SOP_CLASS, T_SOP_INSTANCE, T_AVAILABILITY,
                                            T_RETRIEVE_URL, T_STUDY_UID, T_SERIES_UID, T_INSTANCE_NUMBER,
                                            T_ROWS, T_COLUMNS, T_BITS_ALLOCATED, T_FRAMES};

static bool in(const uint32_t *list, size_t n, uint32_t tag) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == tag) return true;
  return false;
}

bool dw_query_includes(const struct dw_query *q, uint32_t tag) {
  if (q->include_all) return true;
  if (in(q->include, q->n_include, tag)) return true;
  switch (q->level) {
  case DW_STUDY: return in(study_default, sizeof study_default / sizeof *study_default, tag);
  case DW_SERIES: return in(series_default, sizeof series_default / sizeof *series_default, tag);
  case DW_INSTANCE: return in(instance_default, sizeof instance_default / sizeof *instance_default, tag);
  }
  return false;
}

/* ---- content negotiation ---- */

struct range {
  char media[80], part[80], ts[80];
  bool has_part, has_ts;
  double q;
};

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static const char *skip_ows(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  return p;
}

/* Copies [p, e) trimmed of spaces into out; -1 when too long. */
static int copy_trim(char *out, size_t cap, const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t')) p++;
  while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
  if ((size_t)(e - p) >= cap) return -1;
  memcpy(out, p, (size_t)(e - p));
  out[e - p] = '\0';
  return 0;
}

/* One media range from [p, end): 0, or -1 when it cannot be read. */
static int parse_range(const char *p, const char *end, struct range *r) {
  memset(r, 0, sizeof *r);
  r->q = 1.0;
  const char *semi = p;
  while (semi < end && *semi != ';') semi++;
  if (copy_trim(r->media, sizeof r->media, p, semi) != 0 || !strchr(r->media, '/')) return -1;
  lower(r->media);
  p = semi;
  while (p < end) {
    p = skip_ows(p + 1, end); /* past ';' */
    const char *eq = p;
    while (eq < end && *eq != '=' && *eq != ';') eq++;
    char name[40], value[80];
    if (eq >= end || *eq != '=') {
      if (copy_trim(name, sizeof name, p, eq) != 0) return -1;
      if (name[0]) return -1; /* a parameter without a value */
      p = eq;
      continue;
    }
    if (copy_trim(name, sizeof name, p, eq) != 0 || !name[0]) return -1;
    lower(name);
    const char *v = skip_ows(eq + 1, end), *ve;
    if (v < end && *v == '"') {
      ve = memchr(v + 1, '"', (size_t)(end - v - 1));
      if (!ve) return -1;
      if (copy_trim(value, sizeof value, v + 1, ve) != 0) return -1;
      ve++;
      ve = skip_ows(ve, end);
      if (ve < end && *ve != ';') return -1;
    } else {
      ve = v;
      while (ve < end && *ve != ';') ve++;
      if (copy_trim(value, sizeof value, v, ve) != 0) return -1;
    }
    p = ve;
    if (strcmp(name, "q") == 0) {
      char *qe;
      double q = strtod(value, &qe);
      if (*qe || qe == value || q < 0 || q > 1) return -1;
      r->q = q;
    } else if (strcmp(name, "type") == 0) {
      snprintf(r->part, sizeof r->part, "%s", value);
      lower(r->part);
      r->has_part = true;
    } else if (strcmp(name, "transfer-syntax") == 0) {
      snprintf(r->ts, sizeof r->ts, "%s", value);
      r->has_ts = true;
    } /* other parameters (charset, boundary) do not change what we send */
  }
  return 0;
}

static bool type_match(const char *range, const char *offer) {
  if (strcmp(range, "*/*") == 0) return true;
  size_t n = strlen(range);
  if (n > 2 && strcmp(range + n - 2, "/*") == 0) return strncasecmp(range, offer, n - 1) == 0;
  return strcasecmp(range, offer) == 0;
}

/* How well a range matches an offer: -1 no match, else its specificity (higher wins). */
static int match(const struct range *r, const struct dw_offer *o) {
  bool multipart = strcasecmp(o->media, "multipart/related") == 0;
  if (!type_match(r->media, o->media)) return -1;
  int spec = strcmp(r->media, "*/*") == 0 ? 0 : strchr(r->media, '*') ? 1 : 2;
  if (r->has_part) {
    if (!multipart || !o->part || !type_match(r->part, o->part)) return -1;
    spec += 2;
  }
  if (r->has_ts && strcmp(r->ts, "*") != 0) {
    if (!o->tsyntax || strcmp(r->ts, o->tsyntax) != 0) return -1;
    spec += 1;
  }
  return spec;
}

int dw_negotiate(const char *accept, const struct dw_offer *offers, size_t n, char *why, size_t whylen) {
  if (n == 0) return -1;
  const char *p = accept ? accept : "";
  while (*p == ' ' || *p == '\t') p++;
  if (!*p) return 0;
  double best_q[16];
  int best_spec[16];
  if (n > 16) n = 16;
  for (size_t i = 0; i < n; i++) {
    best_q[i] = -1;
    best_spec[i] = -1;
  }
  const char *end = p + strlen(p);
  size_t ranges = 0;
  while (p < end) {
    /* a comma outside quotes ends a range */
    const char *e = p;
    bool quoted = false;
    while (e < end && (quoted || *e != ',')) {
      if (*e == '"') quoted = !quoted;
      e++;
    }
    const char *s = skip_ows(p, e);
    if (s < e) {
      struct range r;
      if (parse_range(s, e, &r) != 0 || ++ranges > 64) {
        snprintf(why, whylen, "the Accept header could not be read");
        return -1;
      }
      for (size_t i = 0; i < n; i++) {
        int spec = match(&r, &offers[i]);
        /* the most specific matching range decides an offer's q (RFC 9110 12.5.1) */
        if (spec > best_spec[i]) {
          best_spec[i] = spec;
          best_q[i] = r.q;
        }
      }
    }
    p = e < end ? e + 1 : e;
  }
  int pick = -1;
  double q = 0;
  for (size_t i = 0; i < n; i++)
    if (best_q[i] > q) {
      q = best_q[i];
      pick = (int)i;
    }
  if (pick < 0) {
    size_t at = 0;
    at += (size_t)snprintf(why, whylen, "none of the types in Accept can be sent here; available:");
    for (size_t i = 0; i < n && at < whylen; i++) {
      int k;
      if (offers[i].part)
        k = snprintf(why + at, whylen - at, "%s %s; type=\"%s\"%s%s", i ? "," : "", offers[i].media, offers[i].part,
                     offers[i].tsyntax ? "; transfer-syntax=" : "", offers[i].tsyntax ? offers[i].tsyntax : "");
      else
        k = snprintf(why + at, whylen - at, "%s %s", i ? "," : "", offers[i].media);
      if (k < 0) break;
      at += (size_t)k;
    }
  }
  return pick;
}

struct ts_media {
  const char *uid, *media;
};
static const struct ts_media ts_media[] = {
    {"1.2.840.10008.1.2.4.50", "image/jpeg"},  {"1.2.840.10008.1.2.4.51", "image/jpeg"},
    {"1.2.840.10008.1.2.4.57", "image/jpeg"},  {"1.2.840.10008.1.2.4.70", "image/jpeg"},
    {"1.2.840.10008.1.2.4.80", "image/jls"},   {"1.2.840.10008.1.2.4.81", "image/jls"},
    {"1.2.840.10008.1.2.4.90", "image/jp2"},   {"1.2.840.10008.1.2.4.91", "image/jp2"},
    {"1.2.840.10008.1.2.4.92", "image/jpx"},   {"1.2.840.10008.1.2.4.93", "image/jpx"},
    {"1.2.840.10008.1.2.5", "image/x-dicom-rle"}, {"1.2.840.10008.1.2.4.100", "video/mpeg2"},
    {"1.2.840.10008.1.2.4.101", "video/mpeg2"}, {"1.2.840.10008.1.2.4.102", "video/mp4"},
    {"1.2.840.10008.1.2.4.103", "video/mp4"},
};

const char *dw_frame_media_type(const char *ts) {
  if (!ts) return NULL;
  for (size_t i = 0; i < sizeof ts_media / sizeof ts_media[0]; i++)
    if (strcmp(ts, ts_media[i].uid) == 0) return ts_media[i].media;
  return NULL;
}

bool dw_tsyntax_native_le(const char *ts) {
  return ts && (strcmp(ts, "1.2.840.10008.1.2") == 0 || strcmp(ts, "1.2.840.10008.1.2.1") == 0);
}

int dw_frame_list(const char *text, long frames, long *out, size_t max, size_t *n, char *why, size_t whylen) {
  *n = 0;
  const char *p = text ? text : "";
  if (!*p) {
    snprintf(why, whylen, "the frame list is empty");
    return -1;
  }
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char num[16];
    long v = 0;
    if (len == 0 || len >= sizeof num) {
      snprintf(why, whylen, "the frame list must be frame numbers separated by commas, such as 1,2,3");
      return -1;
    }
    memcpy(num, p, len);
    num[len] = '\0';
    if (parse_long(num, 1000000000L, &v) != 0 || v < 1) {
      snprintf(why, whylen, "frame numbers start at 1 (\"%s\" is not one)", num);
      return -1;
    }
    if (v > frames) {
      snprintf(why, whylen, "frame %ld does not exist: this instance has %ld frame%s", v, frames, frames == 1 ? "" : "s");
      return -1;
    }
    if (*n >= max) {
      snprintf(why, whylen, "at most %zu frames can be asked for at once", max);
      return -1;
    }
    out[(*n)++] = v;
    p += len;
    if (*p == ',') {
      p++;
      if (!*p) {
        snprintf(why, whylen, "the frame list ends with a comma");
        return -1;
      }
    }
  }
  return 0;
}

/* ---- rendered as JPEG ---- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct jerr {
  struct jpeg_error_mgr mgr;
  jmp_buf jb;
};

static void jerr_exit(j_common_ptr c) { longjmp(((struct jerr *)c->err)->jb, 1); }

/* Rows of w x h samples-per-pixel bytes, each after one filter byte (stride bytes apart), as a
 * JPEG in *out (malloc'd). Nothing here changes after setjmp but memory it points to. */
static int encode_jpeg(const unsigned char *raw, size_t stride, unsigned w, unsigned h, unsigned samples, int quality,
                       unsigned char **out, unsigned long *outlen) {
  struct jpeg_compress_struct c;
  struct jerr je;
  *out = NULL;
  *outlen = 0;
  c.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jerr_exit;
  if (setjmp(je.jb)) {
    jpeg_destroy_compress(&c);
    free(*out);
    *out = NULL;
    return -1;
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, out, outlen);
  c.image_width = w;
  c.image_height = h;
  c.input_components = (int)samples;
  c.in_color_space = samples == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(raw + (size_t)c.next_scanline * stride + 1);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return 0;
}

int dw_png_to_jpeg(const unsigned char *png, size_t len, int quality, unsigned char **out, size_t *outlen) {
  *out = NULL;
  *outlen = 0;
  if (len < 8 + 25 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0) return -1;
  size_t at = 8;
  uint32_t w = 0, h = 0;
  unsigned samples = 0;
  const unsigned char *idat = NULL;
  size_t idat_len = 0;
  while (at + 12 <= len) {
    uint32_t n = be32(png + at);
    const unsigned char *type = png + at + 4, *data = png + at + 8;
    if (n > len - at - 12) return -1;
    if (memcmp(type, "IHDR", 4) == 0) {
      if (n != 13 || data[8] != 8 || (data[9] != 0 && data[9] != 2) || data[10] || data[11] || data[12]) return -1;
      w = be32(data);
      h = be32(data + 4);
      samples = data[9] == 2 ? 3 : 1;
    } else if (memcmp(type, "IDAT", 4) == 0) {
      if (idat) return -1; /* render_png writes one */
      idat = data;
      idat_len = n;
    } else if (memcmp(type, "IEND", 4) == 0) {
      break;
    }
    at += 12 + (size_t)n;
  }
  if (!w || !h || w > 4096 || h > 4096 || !idat) return -1;
  size_t stride = (size_t)w * samples, rawlen = (stride + 1) * h;
  unsigned char *raw = malloc(rawlen);
  if (!raw) return -1;
  uLongf got = (uLongf)rawlen;
  if (uncompress(raw, &got, idat, (uLong)idat_len) != Z_OK || got != rawlen) {
    free(raw);
    return -1;
  }
  for (size_t y = 0; y < h; y++) {
    if (raw[y * (stride + 1)] != 0) { /* render_png never filters */
      free(raw);
      return -1;
    }
  }
  unsigned long jl = 0;
  int rc = encode_jpeg(raw, stride + 1, w, h, samples, quality, out, &jl);
  free(raw);
  *outlen = rc == 0 ? jl : 0;
  return rc;
}
