/* DICOMweb pure pieces (dicom/dicomweb.h): wildcards, date ranges, QIDO query parameters,
 * Accept negotiation as real clients send it, and the DICOM JSON model (PS3.18 Annex F).
 * Each part is a table of cases. */
#include <jansson.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <zlib.h>

#include "core/render.h"

#include "dicom/dicom.h"
#include "dicom/dicomweb.h"
#include "t.h"
#include "util/arena.h"

static void test_wildcards(void) {
  static const struct {
    const char *in, *like;
  } cases[] = {
      {"DOE^JANE", "DOE^JANE"}, {"DOE*", "DOE%"},       {"D?E*", "D_E%"},      {"*", "%"},
      {"50%_off", "50\\%\\_off"}, {"back\\slash", "back\\\\slash"}, {"", ""},  {"*JANE*", "%JANE%"},
  };
  struct arena *a = arena_new();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) T_EQ_STR(dw_wildcard_to_like(a, cases[i].in), cases[i].like);
  arena_free(a);
}

static void test_date_ranges(void) {
  static const struct {
    const char *in;
    int rc;
    const char *from, *to;
  } cases[] = {
      {"20240131", 0, "20240131", "20240131"},
      {"20240101-20241231", 0, "20240101", "20241231"},
      {"20240101-", 0, "20240101", ""},
      {"-20241231", 0, "", "20241231"},
      {"20240229", 0, "20240229", "20240229"},   /* leap year */
      {"20230229", -1, "", ""},                  /* not a leap year */
      {"19000229", -1, "", ""},                  /* century, not a leap year */
      {"20000229", 0, "20000229", "20000229"},   /* 400: leap year */
      {"20241301", -1, "", ""},
      {"20240132", -1, "", ""},
      {"2024-01-01", -1, "", ""},                /* ISO dashes are not DICOM's */
      {"20241231-20240101", -1, "", ""},         /* reversed */
      {"-", -1, "", ""},
      {"", -1, "", ""},
      {"2024013", -1, "", ""},
      {"20240101-20240102-20240103", -1, "", ""},
      {"2024010a", -1, "", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char f[9], t[9];
    int rc = dw_date_range(cases[i].in, f, t);
    T_EQ_INT(rc, cases[i].rc);
    if (rc == 0) {
      T_EQ_STR(f, cases[i].from);
      T_EQ_STR(t, cases[i].to);
    }
  }
}

struct qcase {
  enum dw_level level;
  const char *names[4], *values[4];
  int rc;
  const char *why_has; /* a word the refusal must name */
};

static void test_query_parse(void) {
  static const struct qcase cases[] = {
      {DW_STUDY, {"PatientName"}, {"DOE*"}, 0, NULL},
      {DW_STUDY, {"00100010"}, {"DOE*"}, 0, NULL},
      {DW_STUDY, {"StudyDate"}, {"20240101-20241231"}, 0, NULL},
      {DW_STUDY, {"StudyDate"}, {"2024"}, -1, "StudyDate"},
      {DW_STUDY, {"limit", "offset"}, {"10", "20"}, 0, NULL},
      {DW_STUDY, {"limit"}, {"0"}, -1, "limit"},
      {DW_STUDY, {"limit"}, {"-1"}, -1, "limit"},
      {DW_STUDY, {"limit"}, {"100000"}, -1, "limit"},
      {DW_STUDY, {"offset"}, {"x"}, -1, "offset"},
      {DW_STUDY, {"includefield"}, {"all"}, 0, NULL},
      {DW_STUDY, {"includefield", "includefield"}, {"00081030,StudyID", "PatientAge"}, 0, NULL},
      {DW_STUDY, {"includefield"}, {"a b"}, -1, "includefield"},
      {DW_STUDY, {"NoSuchKey"}, {"1"}, -1, "NoSuchKey"},
      {DW_STUDY, {"SeriesInstanceUID"}, {"1.2.3"}, -1, "SeriesInstanceUID"},
      {DW_SERIES, {"SeriesInstanceUID"}, {"1.2.3"}, 0, NULL},
      {DW_SERIES, {"SOPInstanceUID"}, {"1.2.3"}, -1, "SOPInstanceUID"},
      {DW_INSTANCE, {"SOPInstanceUID"}, {"1.2.3"}, 0, NULL},
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.x"}, -1, "UID"},
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.3\\1.2.4"}, 0, NULL}, /* UID list matching */
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.3,1.2.4"}, 0, NULL},
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.3,,1.2.4"}, -1, "UID"},
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.3,"}, -1, "UID"},
      {DW_STUDY, {"StudyInstanceUID"}, {"1.2.3,1.2.x"}, -1, "UID"},
      {DW_STUDY, {"StudyInstanceUID"}, {"{1.2.3}"}, -1, "UID"},
      {DW_INSTANCE, {"SOPClassUID"}, {"1.2.3,1.2.4"}, -1, "one UID"},
      {DW_STUDY, {"ModalitiesInStudy"}, {"MG"}, 0, NULL},
      {DW_STUDY, {"ModalitiesInStudy"}, {"mg'; drop"}, -1, "modality"},
      {DW_STUDY, {"AccessionNumber"}, {"A123 "}, 0, NULL},
      {DW_STUDY, {"PatientName"}, {""}, 0, NULL}, /* universal matching */
      {DW_STUDY, {"fuzzymatching"}, {"false"}, 0, NULL},
      {DW_STUDY, {"fuzzymatching"}, {"maybe"}, -1, "fuzzymatching"},
      {DW_STUDY, {"Rows"}, {"512"}, -1, "Rows"},
  };
  struct arena *a = arena_new();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct qcase *c = &cases[i];
    size_t n = 0;
    while (n < 4 && c->names[n]) n++;
    struct dw_query q;
    char why[300] = "";
    int rc = dw_query_parse(a, c->level, c->names, c->values, n, &q, why, sizeof why);
    if (rc != c->rc) fprintf(stderr, "  case %zu (%s=%s): rc %d, why %s\n", i, c->names[0], c->values[0], rc, why);
    T_EQ_INT(rc, c->rc);
    if (c->why_has && !strstr(why, c->why_has)) fprintf(stderr, "  case %zu: \"%s\" lacks %s\n", i, why, c->why_has);
    if (c->why_has) T_CHECK(strstr(why, c->why_has) != NULL);
  }
  /* values land where the SQL expects them */
  struct dw_query q;
  char why[300];
  const char *nm[] = {"PatientName", "StudyDate", "limit", "includefield", "AccessionNumber"};
  const char *vl[] = {"do?*", "-20240630", "5", "StudyDescription,00200010", "A1  "};
  T_EQ_INT(dw_query_parse(a, DW_STUDY, nm, vl, 5, &q, why, sizeof why), 0);
  T_EQ_STR(q.patient_name_like, "do_%");
  T_CHECK(q.date_from == NULL);
  T_EQ_STR(q.date_to, "20240630");
  T_EQ_INT(q.limit, 5);
  T_EQ_INT(q.offset, 0);
  T_EQ_STR(q.accession, "A1");
  const char *nm3[] = {"StudyInstanceUID"};
  const char *vl3[] = {"1.2.3\\4.5.6,7.8"};
  T_EQ_INT(dw_query_parse(a, DW_STUDY, nm3, vl3, 1, &q, why, sizeof why), 0);
  T_EQ_STR(q.study_uid, "1.2.3,4.5.6,7.8"); /* joined by commas for the store's array */
  T_CHECK(dw_query_includes(&q, 0x00200010u));  /* StudyID asked for */
  T_CHECK(dw_query_includes(&q, 0x00100010u));  /* default */
  T_CHECK(!dw_query_includes(&q, 0x00280010u)); /* Rows: not at the study level */
  const char *nm2[] = {"includefield"};
  const char *vl2[] = {"all"};
  T_EQ_INT(dw_query_parse(a, DW_STUDY, nm2, vl2, 1, &q, why, sizeof why), 0);
  T_CHECK(dw_query_includes(&q, 0x00280010u));
  T_EQ_INT(q.limit, DW_DEFAULT_LIMIT);
  arena_free(a);
}

/* Offers of a WADO-RS instance retrieval and of frames, as the routes make them. */
static const struct dw_offer inst[] = {
    {"multipart/related", "application/dicom", "1.2.840.10008.1.2.1"},
    {"application/dicom", NULL, "1.2.840.10008.1.2.1"},
};
static const struct dw_offer jls_frames[] = {
    {"multipart/related", "image/jls", "1.2.840.10008.1.2.4.80"},
};
static const struct dw_offer native_frames[] = {
    {"multipart/related", "application/octet-stream", "1.2.840.10008.1.2.1"},
};
static const struct dw_offer json_offers[] = {
    {"application/dicom+json", NULL, NULL},
    {"application/json", NULL, NULL},
};

static void test_negotiate(void) {
  static const struct {
    const struct dw_offer *offers;
    size_t n;
    const char *accept;
    int want;
  } cases[] = {
      {inst, 2, NULL, 0},
      {inst, 2, "", 0},
      {inst, 2, "*/*", 0},
      {inst, 2, "multipart/related; type=\"application/dicom\"", 0},
      {inst, 2, "multipart/related; type=application/dicom", 0},          /* unquoted */
      {inst, 2, "multipart/related;type=\"application/dicom\";transfer-syntax=*", 0},
      {inst, 2, "Multipart/Related; Type=\"Application/DICOM\"", 0},      /* case */
      {inst, 2, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1", 0},
      {inst, 2, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50", -1},
      {inst, 2, "application/dicom", 1},
      {inst, 2, "multipart/related; type=\"application/dicom\"; q=0.5, application/dicom", 1},
      {inst, 2, "multipart/related; type=\"application/dicom+xml\"", -1},
      {inst, 2, "text/html", -1},
      {inst, 2, "text/html, */*;q=0.1", 0},
      {inst, 2, "*/*; q=0", -1},
      {inst, 2, "multipart/related", 0},                                   /* no type: any part */
      {inst, 2, "multipart/*", 0},
      {inst, 2, "multipart/related; type=\"application/dicom\", text/plain", 0},
      {inst, 2, "multipart/related; type=\"application/dicom\"; boundary=x", 0},
      {inst, 2, "multipart/related; type=\"unterminated", -1},            /* unreadable */
      {inst, 2, "multipart/related; type=\"application/dicom\"; q=2", -1}, /* bad q */
      {jls_frames, 1, "multipart/related; type=\"image/jls\"", 0},
      {jls_frames, 1, "multipart/related; type=\"image/jls\"; transfer-syntax=1.2.840.10008.1.2.4.80", 0},
      {jls_frames, 1, "multipart/related; type=\"application/octet-stream\"", -1},
      {jls_frames, 1, "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*", -1},
      {jls_frames, 1, "multipart/related; type=\"image/*\"", 0},
      {jls_frames, 1, "*/*", 0},
      {native_frames, 1, "multipart/related; type=\"application/octet-stream\"", 0},
      {native_frames, 1, "multipart/related; type=application/octet-stream; transfer-syntax=*", 0},
      {native_frames, 1, "multipart/related; type=\"image/jpeg\"", -1},
      {json_offers, 2, "application/dicom+json", 0},
      {json_offers, 2, "application/json", 1},
      {json_offers, 2, "application/dicom+json, application/json", 0},
      {json_offers, 2, "application/json, application/dicom+json;q=0.9", 1},
      {json_offers, 2, "application/*", 0},
      {json_offers, 2, "multipart/related; type=\"application/dicom+xml\"", -1},
      {json_offers, 2, "application/dicom+json; q=0, application/json; q=0", -1},
      {json_offers, 2, "*/*, application/dicom+json; q=0", 1}, /* the specific range decides */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char why[400] = "";
    int got = dw_negotiate(cases[i].accept, cases[i].offers, cases[i].n, why, sizeof why);
    if (got != cases[i].want) fprintf(stderr, "  case %zu: Accept %s -> %d (%s)\n", i, cases[i].accept, got, why);
    T_EQ_INT(got, cases[i].want);
    if (got < 0) T_CHECK(why[0] != '\0');
  }
  char why[400];
  T_EQ_INT(dw_negotiate("image/png", jls_frames, 1, why, sizeof why), -1);
  T_CHECK(strstr(why, "image/jls") != NULL); /* the refusal says what can be had */
}

static void test_frame_media_types(void) {
  T_EQ_STR(dw_frame_media_type("1.2.840.10008.1.2.4.70"), "image/jpeg");
  T_EQ_STR(dw_frame_media_type("1.2.840.10008.1.2.4.50"), "image/jpeg");
  T_EQ_STR(dw_frame_media_type("1.2.840.10008.1.2.4.80"), "image/jls");
  T_EQ_STR(dw_frame_media_type("1.2.840.10008.1.2.4.90"), "image/jp2");
  T_EQ_STR(dw_frame_media_type("1.2.840.10008.1.2.5"), "image/x-dicom-rle");
  T_CHECK(dw_frame_media_type("1.2.840.10008.1.2.1") == NULL);
  T_CHECK(dw_frame_media_type(NULL) == NULL);
  T_CHECK(dw_tsyntax_native_le("1.2.840.10008.1.2"));
  T_CHECK(dw_tsyntax_native_le("1.2.840.10008.1.2.1"));
  T_CHECK(!dw_tsyntax_native_le("1.2.840.10008.1.2.2"));  /* big endian */
  T_CHECK(!dw_tsyntax_native_le("1.2.840.10008.1.2.1.99")); /* deflate */
}

static void test_frame_lists(void) {
  static const struct {
    const char *in;
    long frames;
    int rc;
    size_t n;
  } cases[] = {
      {"1", 1, 0, 1},  {"1,2,3", 3, 0, 3}, {"3,1", 3, 0, 2}, {"0", 3, -1, 0},  {"4", 3, -1, 0}, {"", 3, -1, 0},
      {"1,", 3, -1, 0}, {",1", 3, -1, 0}, {"1,,2", 3, -1, 0}, {"a", 3, -1, 0}, {"-1", 3, -1, 0}, {"1 ,2", 3, -1, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long out[8];
    size_t n = 99;
    char why[200];
    T_EQ_INT(dw_frame_list(cases[i].in, cases[i].frames, out, 8, &n, why, sizeof why), cases[i].rc);
    if (cases[i].rc == 0) T_EQ_INT(n, cases[i].n);
  }
  long out[2];
  size_t n;
  char why[200];
  T_EQ_INT(dw_frame_list("1,2,3", 3, out, 2, &n, why, sizeof why), -1); /* too many */
}

/* The JSON model: key, vr, Value, PN groups, numbers, empty values. */
static void test_json_model(void) {
  static const struct {
    uint32_t tag;
    const char *text, *json;
  } cases[] = {
      {0x00100010u, "DOE^JANE", "{\"vr\": \"PN\", \"Value\": [{\"Alphabetic\": \"DOE^JANE\"}]}"},
      {0x00100010u, "Yamada^Tarou=山田^太郎=やまだ^たろう",
       "{\"vr\": \"PN\", \"Value\": [{\"Alphabetic\": \"Yamada^Tarou\", \"Ideographic\": \"山田^太郎\", "
       "\"Phonetic\": \"やまだ^たろう\"}]}"},
      {0x00100010u, "", "{\"vr\": \"PN\"}"},
      {0x00100010u, NULL, "{\"vr\": \"PN\"}"},
      {0x00080020u, "20240131", "{\"vr\": \"DA\", \"Value\": [\"20240131\"]}"},
      {0x00080061u, "MG\\US", "{\"vr\": \"CS\", \"Value\": [\"MG\", \"US\"]}"},
      {0x00280010u, "3328", "{\"vr\": \"US\", \"Value\": [3328]}"},
      {0x00200013u, " 7 ", "{\"vr\": \"IS\", \"Value\": [7]}"},
      {0x00281050u, "2047.5\\300", "{\"vr\": \"DS\", \"Value\": [2047.5, 300]}"},
      {0x00280030u, "0.07\\0.07", "{\"vr\": \"DS\", \"Value\": [0.070000000000000007, 0.070000000000000007]}"},
      {0x00200013u, "seven", "{\"vr\": \"IS\"}"}, /* not a number: left out */
      {0x0020000Du, "1.2.3", "{\"vr\": \"UI\", \"Value\": [\"1.2.3\"]}"},
      {0x00081190u, "http://h/a\\b", "{\"vr\": \"UR\", \"Value\": [\"http://h/a\\\\b\"]}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *o = json_object();
    T_EQ_INT(dw_json_set(o, cases[i].tag, cases[i].text), 0);
    char key[9];
    dw_tag_key(cases[i].tag, key);
    char *got = json_dumps(json_object_get(o, key), JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_t *want_j = json_loads(cases[i].json, 0, NULL);
    char *want = json_dumps(want_j, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    if (!got || !want || strcmp(got, want) != 0) fprintf(stderr, "  case %zu: %s != %s\n", i, got, want);
    T_CHECK(got && want && strcmp(got, want) == 0);
    free(got);
    free(want);
    json_decref(want_j);
    json_decref(o);
  }
  json_t *o = json_object();
  T_EQ_INT(dw_json_set(o, 0x12345678u, "x"), -1); /* not an attribute we write */
  json_decref(o);
  char key[9];
  dw_tag_key(0x0020000Du, key);
  T_EQ_STR(key, "0020000D"); /* upper-case hex */
  T_CHECK(dw_attr_find("0020000d") == dw_attr_find("StudyInstanceUID"));
  T_CHECK(dw_attr_find("studyinstanceuid") == NULL);
}

static void test_instance_json(void) {
  struct dicom_info di;
  memset(&di, 0, sizeof di);
  strcpy(di.transfer_syntax, "1.2.840.10008.1.2.1");
  strcpy(di.sop_class_uid, "1.2.840.10008.5.1.4.1.1.1.2");
  strcpy(di.sop_instance_uid, "1.2.3.4.5");
  strcpy(di.study_instance_uid, "1.2.3");
  strcpy(di.series_instance_uid, "1.2.3.4");
  strcpy(di.patient_name, "DOE^JANE");
  strcpy(di.study_date, "20240131");
  strcpy(di.accession_number, "A77");
  strcpy(di.instance_number, "3");
  di.rows = 64;
  di.columns = 48;
  di.samples_per_pixel = 1;
  di.bits_allocated = 16;
  di.has_bits_stored = 1;
  di.bits_stored = 12;
  di.window_count = 1;
  di.window_center[0] = 2048;
  di.window_width[0] = 4096;
  json_t *j = dw_instance_json(&di);
  T_CHECK(j != NULL);
  T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "00100010"), "Value"), 0), "Alphabetic")),
           "DOE^JANE");
  T_EQ_INT(json_integer_value(json_array_get(json_object_get(json_object_get(j, "00280010"), "Value"), 0)), 64);
  T_EQ_INT(json_integer_value(json_array_get(json_object_get(json_object_get(j, "00280101"), "Value"), 0)), 12);
  T_EQ_STR(json_string_value(json_array_get(json_object_get(json_object_get(j, "00080050"), "Value"), 0)), "A77");
  T_EQ_INT(json_integer_value(json_array_get(json_object_get(json_object_get(j, "00281050"), "Value"), 0)), 2048);
  T_CHECK(json_object_get(j, "00280102") == NULL);         /* HighBit absent in the file: absent here */
  T_CHECK(json_object_get(json_object_get(j, "00100020"), "Value") == NULL); /* empty PatientID: vr only */
  /* every key is 8 upper-case hex digits with a vr */
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    T_EQ_INT(strlen(k), 8);
    T_CHECK(strspn(k, "0123456789ABCDEF") == 8);
    T_CHECK(json_is_string(json_object_get(v, "vr")));
  }
  json_decref(j);
}

/* Which level of a QIDO answer each attribute belongs to. */
static void test_attr_levels(void) {
  static const struct {
    const char *keyword;
    int level;
  } cases[] = {
      {"PatientName", 0},       {"PatientID", 0},        {"StudyInstanceUID", 0}, {"StudyDate", 0},
      {"AccessionNumber", 0},   {"ModalitiesInStudy", 0}, {"NumberOfStudyRelatedInstances", 0},
      {"Modality", 1},          {"SeriesInstanceUID", 1}, {"SeriesNumber", 1},    {"SeriesDescription", 1},
      {"SOPInstanceUID", 2},    {"Rows", 2},             {"NumberOfFrames", 2},  {"WindowCenter", 2},
      {"SpecificCharacterSet", -1}, {"RetrieveURL", -1},  {"InstanceAvailability", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct dw_attr *at = dw_attr_find(cases[i].keyword);
    T_CHECK(at != NULL);
    if (at) T_EQ_INT(dw_attr_level(at->tag), cases[i].level);
  }
}

/* Decodes a JPEG with libjpeg: width, height, components and the pixels (malloc'd). */
static unsigned char *jpeg_decode(const unsigned char *j, size_t n, unsigned *w, unsigned *h, unsigned *comp) {
  struct jpeg_decompress_struct d;
  struct jpeg_error_mgr e;
  d.err = jpeg_std_error(&e);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, j, (unsigned long)n);
  jpeg_read_header(&d, TRUE);
  jpeg_start_decompress(&d);
  *w = d.output_width;
  *h = d.output_height;
  *comp = (unsigned)d.output_components;
  unsigned char *px = malloc((size_t)*w * *h * *comp);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = px + (size_t)d.output_scanline * *w * *comp;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return px;
}

/* rendered as image/jpeg: the viewer's PNG, grey and RGB, into a JPEG of the same picture. */
static void test_png_to_jpeg(void) {
  for (unsigned samples = 1; samples <= 3; samples += 2) {
    unsigned w = 40, h = 30;
    unsigned char *px = malloc((size_t)w * h * samples);
    for (unsigned i = 0; i < w * h * samples; i++) px[i] = (unsigned char)((i / samples) % w * 6);
    unsigned char *png = NULL, *jpg = NULL;
    size_t pl = 0, jl = 0;
    T_EQ_INT(render_png(px, w, h, samples, &png, &pl), 0);
    T_EQ_INT(dw_png_to_jpeg(png, pl, 95, &jpg, &jl), 0);
    T_CHECK(jl > 4 && jpg[0] == 0xFF && jpg[1] == 0xD8);
    unsigned dw, dh, dc;
    unsigned char *back = jpg ? jpeg_decode(jpg, jl, &dw, &dh, &dc) : NULL;
    T_EQ_INT(dw, w);
    T_EQ_INT(dh, h);
    T_EQ_INT(dc, samples);
    int worst = 0;
    for (unsigned i = 0; back && i < w * h * samples; i++) {
      int d = abs((int)back[i] - (int)px[i]);
      if (d > worst) worst = d;
    }
    T_CHECK(worst <= 12); /* lossy, but the same picture */
    /* what render_png never writes is refused: cut short, not a PNG, a filtered row */
    unsigned char *bad = NULL;
    size_t bl = 0;
    T_EQ_INT(dw_png_to_jpeg(png, pl / 2, 95, &bad, &bl), -1);
    T_EQ_INT(dw_png_to_jpeg((const unsigned char *)"GIF89a", 6, 95, &bad, &bl), -1);
    unsigned char *raw = malloc((w * samples + 1) * h), *z = malloc(compressBound((w * samples + 1) * h));
    memset(raw, 0, (w * samples + 1) * h);
    raw[0] = 1; /* Sub filter on the first row */
    uLongf zl = compressBound((w * samples + 1) * h);
    compress2(z, &zl, raw, (w * samples + 1) * h, 6);
    size_t idat_at = 8 + 25;
    unsigned char *filtered = malloc(idat_at + 12 + zl + 12);
    memcpy(filtered, png, idat_at);
    unsigned char *p = filtered + idat_at;
    p[0] = (unsigned char)(zl >> 24), p[1] = (unsigned char)(zl >> 16), p[2] = (unsigned char)(zl >> 8),
    p[3] = (unsigned char)zl;
    memcpy(p + 4, "IDAT", 4);
    memcpy(p + 8, z, zl);
    memset(p + 8 + zl, 0, 4); /* CRC: not checked by the reader */
    memcpy(p + 12 + zl, "\0\0\0\0IEND\xae" "B`\x82", 12);
    T_EQ_INT(dw_png_to_jpeg(filtered, idat_at + 12 + zl + 12, 95, &bad, &bl), -1);
    T_CHECK(bad == NULL);
    free(filtered);
    free(raw);
    free(z);
    free(back);
    free(jpg);
    free(png);
    free(px);
  }
}

int main(void) {
  T_RUN(test_png_to_jpeg);
  T_RUN(test_attr_levels);
  T_RUN(test_wildcards);
  T_RUN(test_date_ranges);
  T_RUN(test_query_parse);
  T_RUN(test_negotiate);
  T_RUN(test_frame_media_types);
  T_RUN(test_frame_lists);
  T_RUN(test_json_model);
  T_RUN(test_instance_json);
  return t_done();
}
