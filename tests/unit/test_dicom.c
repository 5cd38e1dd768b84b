/* Unit tests for the DICOM Part 10 reader and the content sniffer, on byte buffers built here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dicom/dicom.h"
#include "dicom/sniff.h"
#include "t.h"

#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_DEFLATED "1.2.840.10008.1.2.1.99"
#define TS_JPEG_LOSSLESS "1.2.840.10008.1.2.4.70"
#define MG_PRESENTATION "1.2.840.10008.5.1.4.1.1.1.2"
#define UNDEF 0xFFFFFFFFu

struct b {
  unsigned char d[16384];
  size_t n;
  int explicit_vr, big;
};

static void raw(struct b *b, const void *p, size_t n) {
  memcpy(b->d + b->n, p, n);
  b->n += n;
}
static void w16(struct b *b, unsigned v) {
  unsigned char x[2] = {(unsigned char)(b->big ? v >> 8 : v), (unsigned char)(b->big ? v : v >> 8)};
  raw(b, x, 2);
}
static void w32(struct b *b, uint32_t v) {
  for (int i = 0; i < 4; i++) {
    int sh = b->big ? 24 - 8 * i : 8 * i;
    unsigned char c = (unsigned char)(v >> sh);
    raw(b, &c, 1);
  }
}
static int is_long_vr(const char *vr) {
  return strstr("OB OD OF OL OV OW SQ SV UC UN UR UT UV", vr) != NULL;
}
/* Element header in the buffer's current encoding. */
static void hdr(struct b *b, unsigned g, unsigned e, const char *vr, uint32_t len) {
  w16(b, g);
  w16(b, e);
  if (!b->explicit_vr || g == 0xFFFE) {
    w32(b, len);
  } else if (is_long_vr(vr)) {
    raw(b, vr, 2);
    w16(b, 0);
    w32(b, len);
  } else {
    raw(b, vr, 2);
    w16(b, (unsigned)len);
  }
}
/* String element, padded to even length with a space (UI: NUL). */
static void str(struct b *b, unsigned g, unsigned e, const char *vr, const char *s) {
  size_t n = strlen(s);
  hdr(b, g, e, vr, (uint32_t)(n + (n & 1)));
  raw(b, s, n);
  if (n & 1) raw(b, strcmp(vr, "UI") == 0 ? "\0" : " ", 1);
}
static void item(struct b *b, uint32_t len) { hdr(b, 0xFFFE, 0xE000, NULL, len); }
static void item_end(struct b *b) { hdr(b, 0xFFFE, 0xE00D, NULL, 0); }
static void seq_end(struct b *b) { hdr(b, 0xFFFE, 0xE0DD, NULL, 0); }

/* Preamble, DICM and a meta group (always explicit LE); then switches to the data set encoding. */
static void start(struct b *b, const char *ts, const char *sop) {
  memset(b, 0, sizeof *b);
  b->n = 128;
  raw(b, "DICM", 4);
  b->explicit_vr = 1;
  hdr(b, 0x0002, 0x0001, "OB", 2);
  raw(b, "\0\1", 2);
  str(b, 0x0002, 0x0002, "UI", sop);
  str(b, 0x0002, 0x0003, "UI", "1.2.3.4");
  str(b, 0x0002, 0x0010, "UI", ts);
  b->explicit_vr = strcmp(ts, TS_IMPLICIT_LE) != 0;
  b->big = strcmp(ts, TS_EXPLICIT_BE) == 0;
}

static void common_attrs(struct b *b) {
  str(b, 0x0008, 0x0016, "UI", MG_PRESENTATION);
  str(b, 0x0008, 0x0018, "UI", "1.2.3.4");
  str(b, 0x0008, 0x0020, "DA", "20240315");
  str(b, 0x0008, 0x0060, "CS", "MG");
  str(b, 0x0008, 0x0070, "LO", "ACME");
  str(b, 0x0008, 0x1030, "LO", "SCREENING");
  str(b, 0x0010, 0x0010, "PN", "DOE^JANE");
  str(b, 0x0010, 0x0030, "DA", "19700101");
  str(b, 0x0018, 0x5101, "CS", "MLO");
  str(b, 0x0020, 0x000D, "UI", "1.2.3");
  str(b, 0x0020, 0x000E, "UI", "1.2.3.1");
  str(b, 0x0020, 0x0062, "CS", "R");
}

static void pixels(struct b *b) {
  hdr(b, 0x7FE0, 0x0010, "OW", 8);
  raw(b, "\1\2\3\4\5\6\7\10", 8);
}

static void check_common(const struct dicom_info *i) {
  T_EQ_STR(i->sop_class_uid, MG_PRESENTATION);
  T_EQ_STR(i->sop_instance_uid, "1.2.3.4");
  T_EQ_STR(i->study_date, "20240315");
  T_EQ_STR(i->modality, "MG");
  T_EQ_STR(i->manufacturer, "ACME");
  T_EQ_STR(i->study_description, "SCREENING");
  T_EQ_STR(i->patient_name, "DOE^JANE");
  T_EQ_STR(i->patient_birth_date, "19700101");
  T_EQ_STR(i->view_position, "MLO");
  T_EQ_STR(i->study_instance_uid, "1.2.3");
  T_EQ_STR(i->series_instance_uid, "1.2.3.1");
  T_EQ_STR(i->laterality, "R");
  T_EQ_INT(i->has_pixel_data, 1);
  T_EQ_INT(i->is_dicomdir, 0);
}

static struct b B; /* too big for comfortable stack use in every test */
static struct dicom_info I;
static char E[128];

static int parse(const struct b *b, int complete) {
  return dicom_parse(b->d, b->n, complete, &I, E, sizeof E);
}

static void test_explicit_le_reads_all_fields(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.transfer_syntax, TS_EXPLICIT_LE);
  check_common(&I);
}

static void test_implicit_le_reads_all_fields(void) {
  start(&B, TS_IMPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.transfer_syntax, TS_IMPLICIT_LE);
  check_common(&I);
}

static void test_explicit_be_reads_all_fields(void) {
  start(&B, TS_EXPLICIT_BE, MG_PRESENTATION);
  str(&B, 0x0008, 0x0008, "CS", "ORIGINAL");
  hdr(&B, 0x0008, 0x0009, "US", 2); /* a binary value whose bytes must not be misread */
  w16(&B, 0x1234);
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.transfer_syntax, TS_EXPLICIT_BE);
  check_common(&I);
}

/* Nested undefined-length sequences before the wanted tags; a decoy PatientName inside. */
static void nested_sequences(struct b *b) {
  str(b, 0x0008, 0x0016, "UI", MG_PRESENTATION);
  hdr(b, 0x0008, 0x1032, "SQ", UNDEF);
  item(b, UNDEF);
  str(b, 0x0010, 0x0010, "PN", "DECOY^INNER");
  hdr(b, 0x0040, 0xA730, "SQ", UNDEF);
  item(b, UNDEF);
  hdr(b, 0x0040, 0xA730, "SQ", UNDEF);
  item(b, 0); /* empty defined-length item */
  seq_end(b);
  item_end(b);
  item(b, UNDEF);
  hdr(b, 0x7FE0, 0x0010, "OW", 2); /* nested Pixel Data (an icon) must not stop the parse */
  w16(b, 0);
  item_end(b);
  seq_end(b);
  item_end(b);
  item(b, 14); /* defined-length item skipped by length */
  str(b, 0x0010, 0x0010, "PN", "DECOY2");
  seq_end(b);
  hdr(b, 0x0008, 0x2218, "SQ", 22); /* defined-length sequence skipped by length */
  item(b, 14);
  str(b, 0x0010, 0x0010, "PN", "DECOY3");
  str(b, 0x0010, 0x0010, "PN", "DOE^JANE");
  str(b, 0x0020, 0x0060, "CS", "L"); /* series Laterality, used without ImageLaterality */
}

static void test_nested_undefined_sequences_are_skipped(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  nested_sequences(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(E, "");
  T_EQ_STR(I.patient_name, "DOE^JANE");
  T_EQ_STR(I.laterality, "L");
  T_EQ_INT(I.has_pixel_data, 1);

  start(&B, TS_IMPLICIT_LE, MG_PRESENTATION);
  nested_sequences(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.patient_name, "DOE^JANE");

  start(&B, TS_EXPLICIT_BE, MG_PRESENTATION);
  nested_sequences(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.patient_name, "DOE^JANE");
}

static void test_un_undefined_length_is_implicit_inside(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  hdr(&B, 0x0009, 0x1010, "UN", UNDEF);
  B.explicit_vr = 0;
  item(&B, UNDEF);
  str(&B, 0x0009, 0x1011, "LO", "PRIVATE");
  item_end(&B);
  seq_end(&B);
  B.explicit_vr = 1;
  str(&B, 0x0010, 0x0010, "PN", "DOE^JANE");
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.patient_name, "DOE^JANE");
  T_EQ_INT(I.has_pixel_data, 0);
}

static void test_encapsulated_pixel_data_stops(void) {
  start(&B, TS_JPEG_LOSSLESS, MG_PRESENTATION);
  common_attrs(&B);
  hdr(&B, 0x7FE0, 0x0010, "OB", UNDEF);
  item(&B, 0);
  item(&B, 4000); /* fragment longer than the buffer: never read */
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
}

static void test_values_trimmed_and_truncated(void) {
  char longname[400];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  hdr(&B, 0x0008, 0x0060, "CS", 4);
  raw(&B, "MG \0", 4);
  str(&B, 0x0008, 0x1030, "LO", " LEADING TRIMMED  "); /* LO: leading spaces insignificant */
  str(&B, 0x0010, 0x0010, "PN", longname);
  str(&B, 0x0010, 0x0030, "DA", "1970.01.01 and more text"); /* longer than the 16-char field */
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.modality, "MG");
  T_EQ_STR(I.study_description, "LEADING TRIMMED");
  T_EQ_INT(strlen(I.patient_name), sizeof I.patient_name - 1);
  T_EQ_STR(I.patient_birth_date, "1970.01.01 and m");
}

static void test_deflated_dataset(void) {
  static struct b ds;
  static unsigned char z[16384];
  memset(&ds, 0, sizeof ds);
  ds.explicit_vr = 1;
  nested_sequences(&ds);
  common_attrs(&ds);
  pixels(&ds);
  z_stream s;
  memset(&s, 0, sizeof s);
  T_EQ_INT(deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  s.next_in = ds.d;
  s.avail_in = (uInt)ds.n;
  s.next_out = z;
  s.avail_out = sizeof z;
  T_EQ_INT(deflate(&s, Z_FINISH), Z_STREAM_END);
  size_t zn = sizeof z - s.avail_out;
  deflateEnd(&s);

  start(&B, TS_DEFLATED, MG_PRESENTATION);
  raw(&B, z, zn);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.transfer_syntax, TS_DEFLATED);
  check_common(&I);
  /* A prefix that ends inside the compressed stream asks for more. */
  size_t full = B.n;
  B.n = full - zn / 2;
  T_EQ_INT(parse(&B, 0), DICOM_NEED_MORE);
  /* Garbage instead of deflate data is malformed. */
  B.n = full - zn;
  raw(&B, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
  T_CHECK(E[0] != '\0');
}

static void test_deflate_bomb_is_capped(void) {
  /* An element claiming 128 MiB, then 64 MiB of zeros: inflating must stop at the cap. */
  size_t n = (size_t)64 << 20;
  unsigned char *zeros = calloc(1, n), *z = malloc(n / 100);
  unsigned char *file = malloc(n / 100 + 512);
  T_CHECK(zeros && z && file);
  if (!zeros || !z || !file) goto done;
  z_stream s;
  memset(&s, 0, sizeof s);
  deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  static const unsigned char big_ob[] = {0x09, 0x00, 0x01, 0x10, 'O', 'B', 0, 0, 0, 0, 0, 0x08};
  s.next_in = (unsigned char *)big_ob;
  s.avail_in = sizeof big_ob;
  s.next_out = z;
  s.avail_out = (uInt)(n / 100);
  T_EQ_INT(deflate(&s, Z_NO_FLUSH), Z_OK);
  s.next_in = zeros;
  s.avail_in = (uInt)n;
  T_EQ_INT(deflate(&s, Z_FINISH), Z_STREAM_END);
  size_t zn = n / 100 - s.avail_out;
  deflateEnd(&s);
  start(&B, TS_DEFLATED, MG_PRESENTATION);
  memcpy(file, B.d, B.n);
  memcpy(file + B.n, z, zn);
  T_EQ_INT(dicom_parse(file, B.n + zn, 1, &I, E, sizeof E), DICOM_MALFORMED);
  T_CHECK(strstr(E, "exceeds") != NULL);
done:
  free(zeros);
  free(z);
  free(file);
}

static void test_every_truncation_needs_more(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  nested_sequences(&B);
  common_attrs(&B);
  pixels(&B);
  size_t stop = B.n - 12 - 8; /* where Pixel Data's header starts */
  size_t full = B.n;
  for (size_t n = 0; n < stop + 12; n++) {
    int rc = dicom_parse(B.d, n, 0, &I, E, sizeof E);
    if (rc != DICOM_NEED_MORE) {
      fprintf(stderr, "  prefix %zu: %s %s\n", n, dicom_rc_name(rc), E);
      T_EQ_INT(rc, DICOM_NEED_MORE);
      break;
    }
  }
  /* From the Pixel Data header on, the answer is known. */
  T_EQ_INT(dicom_parse(B.d, stop + 12, 0, &I, E, sizeof E), DICOM_OK);
  T_EQ_INT(dicom_parse(B.d, full, 0, &I, E, sizeof E), DICOM_OK);
  /* The same prefixes as whole files are malformed (cut inside an element). */
  T_EQ_INT(dicom_parse(B.d, stop - 3, 1, &I, E, sizeof E), DICOM_MALFORMED);
  /* A data set with no Pixel Data needs more unless the file is complete. */
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  T_EQ_INT(parse(&B, 0), DICOM_NEED_MORE);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(I.has_pixel_data, 0);
}

static void test_lying_lengths_are_malformed(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  str(&B, 0x0010, 0x0010, "PN", "DOE^JANE");
  hdr(&B, 0x0010, 0x0030, "UT", 0x7FFFFFF0u); /* claims 2 GiB */
  raw(&B, "1970", 4);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
  T_CHECK(strstr(E, "past the end") != NULL);
  T_EQ_STR(I.patient_name, "DOE^JANE"); /* fields found before the error stay */

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  hdr(&B, 0x0008, 0x1032, "SQ", UNDEF);
  item(&B, 0xFFFFFFF0u);
  seq_end(&B);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION); /* sequence never closed */
  hdr(&B, 0x0008, 0x1032, "SQ", UNDEF);
  item(&B, UNDEF);
  str(&B, 0x0010, 0x0010, "PN", "X");
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION); /* not an item inside a sequence */
  hdr(&B, 0x0008, 0x1032, "SQ", UNDEF);
  str(&B, 0x0010, 0x0010, "PN", "X");
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION); /* unknown VR */
  hdr(&B, 0x0010, 0x0010, "ZZ", 2);
  raw(&B, "AB", 2);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION); /* stray item delimiter at top level */
  item_end(&B);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
}

/* Sequences nested `levels` deep (undefined lengths), closed again, then the usual attributes. */
static void nested(struct b *b, int levels) {
  for (int i = 0; i < levels; i++) {
    hdr(b, 0x0008, 0x1032, "SQ", UNDEF);
    item(b, UNDEF);
  }
  for (int i = 0; i < levels; i++) {
    item_end(b);
    seq_end(b);
  }
}

static void test_deep_nesting(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  nested(&B, 64); /* 20 levels were refused once; 64 must be read */
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  nested(&B, DICOM_MAX_DEPTH + 5);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
  T_CHECK(strstr(E, "nested") != NULL);
  T_EQ_INT(I.problem, DICOM_PROBLEM_NESTING);
}

/* The data set alone, as older CDs write it: no preamble, no DICM, no meta group. */
static void test_no_preamble(void) {
  for (int ex = 0; ex <= 1; ex++) {
    memset(&B, 0, sizeof B);
    B.explicit_vr = ex;
    common_attrs(&B);
    pixels(&B);
    T_EQ_INT(parse(&B, 1), DICOM_OK);
    check_common(&I);
    T_EQ_INT(I.no_preamble, 1);
    T_EQ_STR(I.transfer_syntax, ex ? TS_EXPLICIT_LE : TS_IMPLICIT_LE);
    T_EQ_INT(sniff_bytes(B.d, B.n, "IM000001"), SNIFF_DICOM);
    T_EQ_INT(dicom_sniff_headerless(B.d, B.n), 1);
  }
  /* a meta group at offset 0 (no preamble) names the transfer syntax */
  start(&B, TS_IMPLICIT_LE, MG_PRESENTATION);
  memmove(B.d, B.d + 132, B.n - 132);
  B.n -= 132;
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
  T_EQ_STR(I.transfer_syntax, TS_IMPLICIT_LE);
  /* bytes that only start like a data set are not DICOM */
  static const unsigned char junk[] = {0x08, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 'A', 'B', 0xFF, 0xFF};
  T_EQ_INT(dicom_parse(junk, sizeof junk, 1, &I, E, sizeof E), DICOM_NOT_DICOM);
  T_EQ_INT(sniff_bytes(junk, sizeof junk, NULL), SNIFF_UNKNOWN);
}

/* Text values are decoded from Specific Character Set; the stored values are valid UTF-8. */
static void test_charset_decoded(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  str(&B, 0x0008, 0x0005, "CS", "ISO_IR 100");
  str(&B, 0x0008, 0x0018, "UI", "1.2.3\xff");
  str(&B, 0x0008, 0x1030, "LO", "Mammographie d\xe9pistage");
  str(&B, 0x0010, 0x0010, "PN", "Buc^J\xe9r\xf4me");
  str(&B, 0x0010, 0x0040, "CS", "F");
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.patient_name, "Buc^J\xc3\xa9r\xc3\xb4me");
  T_EQ_STR(I.study_description, "Mammographie d\xc3\xa9pistage");
  T_EQ_STR(I.sop_instance_uid, "1.2.3\xef\xbf\xbd");
  T_EQ_STR(I.patient_sex, "F");
  T_EQ_STR(I.specific_charset, "ISO_IR 100");
  /* undeclared: the default repertoire, an 8-bit byte is replaced */
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  str(&B, 0x0010, 0x0010, "PN", "M\xfcller");
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_STR(I.patient_name, "M\xef\xbf\xbdller");
  T_EQ_INT(I.charset_replacements, 1);
}

/* The image pixel module used to judge native pixel data. */
static void image_module(struct b *b, unsigned rows, unsigned cols, const char *frames) {
  hdr(b, 0x0028, 0x0002, "US", 2);
  w16(b, 1);
  if (frames) str(b, 0x0028, 0x0008, "IS", frames);
  hdr(b, 0x0028, 0x0010, "US", 2);
  w16(b, rows);
  hdr(b, 0x0028, 0x0011, "US", 2);
  w16(b, cols);
  hdr(b, 0x0028, 0x0100, "US", 2);
  w16(b, 16);
}

static void test_native_pixels_judged(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  image_module(&B, 2, 2, "2"); /* 2 x 2 x 16 bits x 2 frames = 16 bytes */
  hdr(&B, 0x7FE0, 0x0010, "OW", 16);
  for (int i = 0; i < 16; i++) raw(&B, "\1", 1);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_frames(&I), 2);
  T_EQ_INT(I.rows, 2);
  T_EQ_INT(I.columns, 2);
  T_EQ_INT(dicom_native_length(&I), 16);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_COMPLETE);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n - 1), DICOM_PIXELS_INCOMPLETE); /* cut short */
  /* a length that promises less than the image needs */
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  image_module(&B, 2, 2, "2");
  hdr(&B, 0x7FE0, 0x0010, "OW", 8);
  for (int i = 0; i < 8; i++) raw(&B, "\1", 1);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_INCOMPLETE);
  /* no pixel data: none, and 0 frames */
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_NONE);
  T_EQ_INT(dicom_frames(&I), 0);
}

static void test_encapsulated_pixels_judged(void) {
  /* basic offset table with 2 entries, 2 fragments, delimiter: complete */
  start(&B, TS_JPEG_LOSSLESS, MG_PRESENTATION);
  common_attrs(&B);
  image_module(&B, 2, 2, "2");
  hdr(&B, 0x7FE0, 0x0010, "OB", UNDEF);
  item(&B, 8);
  w32(&B, 0);
  w32(&B, 12);
  item(&B, 4);
  raw(&B, "abcd", 4);
  item(&B, 4);
  raw(&B, "efgh", 4);
  size_t before_end = B.n;
  seq_end(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_COMPLETE);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, before_end), DICOM_PIXELS_INCOMPLETE); /* no delimiter */
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, before_end - 6), DICOM_PIXELS_INCOMPLETE);
  /* the offset table says 2 frames but only one fragment follows */
  start(&B, TS_JPEG_LOSSLESS, MG_PRESENTATION);
  common_attrs(&B);
  hdr(&B, 0x7FE0, 0x0010, "OB", UNDEF);
  item(&B, 8);
  w32(&B, 0);
  w32(&B, 12);
  item(&B, 4);
  raw(&B, "abcd", 4);
  seq_end(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_INCOMPLETE);
  /* an empty offset table: frames from Number of Frames (absent: 1) */
  start(&B, TS_JPEG_LOSSLESS, MG_PRESENTATION);
  common_attrs(&B);
  hdr(&B, 0x7FE0, 0x0010, "OB", UNDEF);
  item(&B, 0);
  item(&B, 4);
  raw(&B, "abcd", 4);
  seq_end(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(dicom_pixels_in_buffer(&I, B.d, B.n), DICOM_PIXELS_COMPLETE);
  /* the streaming scanner gives the same answer fed one byte at a time */
  struct dicom_pixscan sc;
  dicom_pixscan_init(&sc, 0);
  for (size_t i = (size_t)I.pixel_offset; i < B.n; i++) dicom_pixscan_feed(&sc, B.d + i, 1);
  T_EQ_INT(dicom_pixels_judge(&I, B.n, &sc), DICOM_PIXELS_COMPLETE);
}

/* A file cut short inside its header says where. */
static void test_truncation_problem(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  pixels(&B);
  T_EQ_INT(dicom_parse(B.d, 200, 1, &I, E, sizeof E), DICOM_MALFORMED);
  T_EQ_INT(I.problem, DICOM_PROBLEM_TRUNCATED);
  T_CHECK(I.problem_at <= 200);
}

static void test_meta_group_problems(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  B.n = 132; /* DICM then nothing */
  T_EQ_INT(parse(&B, 0), DICOM_NEED_MORE);
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
  B.explicit_vr = 1;
  str(&B, 0x0002, 0x0002, "UI", MG_PRESENTATION); /* no transfer syntax */
  str(&B, 0x0008, 0x0060, "CS", "MG");
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
  B.n = 132;
  str(&B, 0x0008, 0x0060, "CS", "MG"); /* no meta group at all */
  T_EQ_INT(parse(&B, 1), DICOM_MALFORMED);
}

static void test_not_dicom(void) {
  static const unsigned char pdf[] = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";
  T_EQ_INT(dicom_parse(pdf, sizeof pdf - 1, 1, &I, E, sizeof E), DICOM_NOT_DICOM);
  T_EQ_INT(dicom_parse(pdf, sizeof pdf - 1, 0, &I, E, sizeof E), DICOM_NEED_MORE);
  T_EQ_INT(dicom_parse(NULL, 0, 1, &I, E, sizeof E), DICOM_NOT_DICOM);
  memset(&B, 0, sizeof B);
  B.n = 300;
  memcpy(B.d + 128, "DICX", 4);
  T_EQ_INT(parse(&B, 0), DICOM_NOT_DICOM);
  T_EQ_INT(dicom_parse(B.d, 130, 0, &I, E, sizeof E), DICOM_NEED_MORE); /* "DI" so far */
  memcpy(B.d + 128, "XXCM", 4);
  T_EQ_INT(dicom_parse(B.d, 130, 0, &I, E, sizeof E), DICOM_NOT_DICOM);
}

static void test_dicomdir_flag(void) {
  start(&B, TS_EXPLICIT_LE, "1.2.840.10008.1.3.10");
  str(&B, 0x0004, 0x1130, "CS", "PATIENT_CD");
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(I.is_dicomdir, 1);
  T_EQ_INT(sniff_bytes(B.d, B.n, NULL), SNIFF_DICOMDIR);
  T_EQ_INT(dicom_parse_meta(B.d, B.n, &I, E, sizeof E), DICOM_OK);
  T_EQ_INT(I.is_dicomdir, 1);
  T_EQ_STR(I.transfer_syntax, TS_EXPLICIT_LE);
  T_EQ_INT(dicom_parse_meta(B.d, 200, &I, E, sizeof E), DICOM_NEED_MORE);
  T_EQ_INT(dicom_parse_meta(B.d + 1, B.n - 1, &I, E, sizeof E), DICOM_NOT_DICOM);
  B.n = 200; /* the meta group alone decides */
  T_EQ_INT(sniff_bytes(B.d, B.n, "DICOMDIR"), SNIFF_DICOMDIR);
}

static void test_sniff_kinds(void) {
  static unsigned char iso[40960];
  memset(iso, 0, sizeof iso);
  memcpy(iso + 32769, "CD001", 5);
  T_EQ_INT(sniff_bytes(iso, sizeof iso, NULL), SNIFF_ISO9660);
  T_EQ_INT(sniff_bytes(iso, 32773, NULL), SNIFF_UNKNOWN); /* too short to see it */

  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  T_EQ_INT(sniff_bytes(B.d, B.n, "IM000001"), SNIFF_DICOM);
  T_EQ_INT(sniff_bytes(B.d, B.n, "report.pdf"), SNIFF_DICOM); /* the name never decides */
  T_EQ_INT(sniff_bytes(B.d, B.n, "viewer.exe"), SNIFF_EXECUTABLE);
  memcpy(B.d, "MZ\x90\0", 4); /* PE/DICOM polyglot preamble */
  T_EQ_INT(sniff_bytes(B.d, B.n, NULL), SNIFF_EXECUTABLE);

  T_EQ_INT(sniff_bytes((const unsigned char *)"%PDF-1.7\n", 9, NULL), SNIFF_PDF);
  T_EQ_INT(sniff_bytes((const unsigned char *)"%PDF-1.7\n", 9, "AUTORUN.INF"), SNIFF_AUTORUN);
  T_EQ_INT(sniff_bytes((const unsigned char *)"\xFF\xD8\xFF\xE0", 4, NULL), SNIFF_JPEG);
  T_EQ_INT(sniff_bytes((const unsigned char *)"\x89PNG\r\n\x1A\n\0\0", 10, NULL), SNIFF_PNG);
  T_EQ_INT(sniff_bytes((const unsigned char *)"PK\x03\x04\x14\0", 6, NULL), SNIFF_ZIP);
  T_EQ_INT(sniff_bytes((const unsigned char *)"\x7f" "ELF\2\1\1", 7, NULL), SNIFF_EXECUTABLE);
  T_EQ_INT(sniff_bytes((const unsigned char *)"#!/bin/sh\n", 10, NULL), SNIFF_EXECUTABLE);
  T_EQ_INT(sniff_bytes((const unsigned char *)"\xCF\xFA\xED\xFE\7\0", 6, NULL), SNIFF_EXECUTABLE);
  T_EQ_INT(sniff_bytes((const unsigned char *)"\xEF\xBB\xBF\r\n[AutoRun]\r\nopen=x.exe", 29, NULL),
           SNIFF_AUTORUN);
  T_EQ_INT(sniff_bytes((const unsigned char *)"hello", 5, "d/Autorun.inf"), SNIFF_AUTORUN);
  T_EQ_INT(sniff_bytes((const unsigned char *)"hello", 5, "scan.dcm"), SNIFF_UNKNOWN);
  T_EQ_INT(sniff_bytes(NULL, 0, NULL), SNIFF_UNKNOWN);
  T_EQ_STR(sniff_kind_name(SNIFF_DICOMDIR), "dicomdir");
  T_EQ_STR(sniff_kind_name(SNIFF_ISO9660), "iso9660");
  T_EQ_STR(sniff_kind_name(SNIFF_EXECUTABLE), "executable");
}

/* The view a mammography image shows: View Code Sequence code (PS3.16 CID 4014, SNOMED CT and
 * the older SNOMED-RT codes), View Modifier code (CID 4015), View Position. Written first as
 * the rule; "-" means absent. */
static const struct {
  const char *code, *modifier, *position, *view;
} VIEWS[] = {
    /* CID 4014 as published (SNOMED CT code, SNOMED-RT code, ACR MQCM abbreviation) */
    {"399162004", "-", "-", "CC"},        {"R-10242", "-", "-", "CC"},
    {"399368009", "-", "-", "MLO"},       {"R-10226", "-", "-", "MLO"},
    {"399260004", "-", "-", "ML"},        {"R-10224", "-", "-", "ML"},
    {"399352003", "-", "-", "LM"},        {"R-10228", "-", "-", "LM"},
    {"399099002", "-", "-", "LMO"},       {"R-10230", "-", "-", "LMO"},
    {"399196006", "-", "-", "FB"},        {"R-10244", "-", "-", "FB"},
    {"399188001", "-", "-", "SIO"},       {"R-102D0", "-", "-", "SIO"},
    {"441555000", "-", "-", "ISO"},       {"R-40AAA", "-", "-", "ISO"},
    {"399192008", "-", "-", "XCCL"},      {"R-1024A", "-", "-", "XCCL"},
    {"399101009", "-", "-", "XCCM"},      {"R-1024B", "-", "-", "XCCM"},
    {"399192003", "-", "-", ""},          /* not a CID 4014 code (XCCL is 399192008) */
    /* CID 4015 modifiers that make a view of their own here */
    {"399162004", "399055006", "-", "SPOT"}, {"399162004", "399163009", "-", "MAG"},
    {"399368009", "R-102D7", "-", "SPOT"},   {"399368009", "R-102D6", "-", "MAG"},
    {"399162004", "399161006", "-", "CC"}, /* cleavage: not a view of its own here */
    {"399162004", "-", "MLO", "CC"},       /* the code wins over View Position */
    {"-", "-", "MLO", "MLO"},             {"-", "-", "CC", "CC"},
    {"-", "-", "XCCL", "XCCL"},           {"-", "-", "FB", "FB"},
    {"-", "-", "LMO", "LMO"},             {"-", "-", "XCCM", "XCCM"},
    {"-", "-", "AP", ""},                 /* not a mammography view */
    {"123456", "-", "ML", "ML"},          /* an unknown code: View Position */
    {"-", "-", "-", ""},
};

/* A View Code Sequence item with an optional nested View Modifier Code Sequence; defined
 * lengths when defined, else undefined lengths with delimiters. */
static void view_code_seq(struct b *b, const char *code, const char *modifier, int defined) {
  struct b inner;
  memset(&inner, 0, sizeof inner);
  inner.explicit_vr = b->explicit_vr;
  inner.big = b->big;
  /* item content */
  str(&inner, 0x0008, 0x0100, "SH", code);
  str(&inner, 0x0008, 0x0102, "SH", code[0] == 'R' ? "SRT" : "SCT");
  str(&inner, 0x0008, 0x0104, "LO", "view");
  if (strcmp(modifier, "-") != 0) {
    struct b mi;
    memset(&mi, 0, sizeof mi);
    mi.explicit_vr = b->explicit_vr;
    mi.big = b->big;
    str(&mi, 0x0008, 0x0100, "SH", modifier);
    str(&mi, 0x0008, 0x0102, "SH", modifier[0] == 'R' ? "SRT" : "SCT");
    if (defined) {
      hdr(&inner, 0x0054, 0x0222, "SQ", (uint32_t)(mi.n + 8));
      item(&inner, (uint32_t)mi.n);
      raw(&inner, mi.d, mi.n);
    } else {
      hdr(&inner, 0x0054, 0x0222, "SQ", UNDEF);
      item(&inner, UNDEF);
      raw(&inner, mi.d, mi.n);
      item_end(&inner);
      seq_end(&inner);
    }
  }
  if (defined) {
    hdr(b, 0x0054, 0x0220, "SQ", (uint32_t)(inner.n + 8));
    item(b, (uint32_t)inner.n);
    raw(b, inner.d, inner.n);
  } else {
    hdr(b, 0x0054, 0x0220, "SQ", UNDEF);
    item(b, UNDEF);
    raw(b, inner.d, inner.n);
    item_end(b);
    seq_end(b);
  }
}

static void test_view_from_codes_table(void) {
  const char *tss[] = {TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_EXPLICIT_BE};
  for (size_t t = 0; t < 3; t++)
    for (int defined = 0; defined < 2; defined++)
      for (size_t i = 0; i < sizeof VIEWS / sizeof VIEWS[0]; i++) {
        start(&B, tss[t], MG_PRESENTATION);
        str(&B, 0x0008, 0x0016, "UI", MG_PRESENTATION);
        if (strcmp(VIEWS[i].position, "-") != 0) str(&B, 0x0018, 0x5101, "CS", VIEWS[i].position);
        str(&B, 0x0020, 0x0020, "CS", "P\\L");
        if (strcmp(VIEWS[i].code, "-") != 0) view_code_seq(&B, VIEWS[i].code, VIEWS[i].modifier, defined);
        pixels(&B);
        T_EQ_INT(parse(&B, 1), DICOM_OK);
        T_EQ_STR(dicom_mammo_view(&I), VIEWS[i].view);
        T_EQ_STR(I.patient_orientation, "P\\L");
        if (strcmp(dicom_mammo_view(&I), VIEWS[i].view) != 0)
          fprintf(stderr, "  row %zu ts %zu defined %d\n", i, t, defined);
      }
}

static void test_spacing_and_orientation(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  str(&B, 0x0018, 0x1164, "DS", "0.065\\0.07");
  str(&B, 0x0020, 0x0020, "CS", "A\\R");
  str(&B, 0x0028, 0x0030, "DS", "0.1\\0.2 ");
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
  T_EQ_INT(I.has_imager_pixel_spacing, 1);
  T_CHECK(I.imager_pixel_spacing[0] == 0.065 && I.imager_pixel_spacing[1] == 0.07);
  T_EQ_INT(I.has_pixel_spacing, 1);
  T_CHECK(I.pixel_spacing[0] == 0.1 && I.pixel_spacing[1] == 0.2);
  T_EQ_STR(I.patient_orientation, "A\\R");
  T_EQ_STR(dicom_mammo_view(&I), "MLO"); /* View Position of common_attrs */
  /* one value is not a spacing */
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  str(&B, 0x0028, 0x0030, "DS", "0.1");
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  T_EQ_INT(I.has_pixel_spacing, 0);
  T_EQ_INT(I.has_imager_pixel_spacing, 0);
  T_EQ_STR(I.patient_orientation, "");
}

/* A View Code Sequence with a broken item of defined length loses the view, not the file. */
static void test_broken_view_code_item_keeps_file(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  hdr(&B, 0x0054, 0x0220, "SQ", 12);
  item(&B, 4);
  raw(&B, "\x08\x00\x00\x01", 4); /* an element header cut short inside the item */
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
  T_EQ_STR(I.view_code, "");
  T_EQ_STR(dicom_mammo_view(&I), "MLO");
}

/* Enhanced objects (Breast Tomosynthesis, Enhanced MG) keep window, spacing and rescale in
 * functional groups: Shared (5200,9229) for every frame, Per-frame (5200,9230) one item per
 * frame. The reader takes them from the shared group, else from the first frame's item, and
 * never over values the data set itself gives. Each row: what the file holds, what is read. */
struct fg_vals {
  const char *center, *width, *explanation, *function, *spacing, *slope, *intercept;
};
static const struct {
  const char *what;
  struct fg_vals top, shared, frame1, frame2; /* NULL strings: absent */
  double center, width, spacing, slope, intercept; /* expected; width 0: no window */
  const char *explanation, *function;
} FG[] = {
    {"shared group only", {0}, {"2000", "4000", "NORMAL", "SIGMOID", "0.085\\0.085", "1", "-1024"}, {0}, {0},
     2000, 4000, 0.085, 1, -1024, "NORMAL", "SIGMOID"},
    {"per-frame only: the first frame's", {0}, {0}, {"1000", "2000", "SOFT", "LINEAR", "0.1\\0.1", "2", "0"},
     {"3000", "500", "HARD", "LINEAR_EXACT", "0.2\\0.2", "3", "5"}, 1000, 2000, 0.1, 2, 0, "SOFT", "LINEAR"},
    {"shared wins over per-frame", {0}, {"2000", "4000", "NORMAL", NULL, "0.085\\0.085", NULL, NULL},
     {"1000", "2000", "SOFT", "SIGMOID", "0.1\\0.1", "2", "7"}, {0}, 2000, 4000, 0.085, 2, 7, "NORMAL", "SIGMOID"},
    {"the data set's own values win", {"40", "400", "TOP", "LINEAR", "0.05\\0.05", "1", "0"},
     {"2000", "4000", "NORMAL", "SIGMOID", "0.085\\0.085", "3", "9"}, {0}, {0}, 40, 400, 0.05, 1, 0, "TOP", "LINEAR"},
    {"several windows in one item", {0}, {"100\\200", "10\\20", "A\\B", NULL, NULL, NULL, NULL}, {0}, {0},
     100, 10, 0, 0, 0, "A", ""},
};

/* The elements of fg_vals for one functional-group item, each macro in its own sequence. */
static void fg_item_content(struct b *out, const struct fg_vals *v, int defined) {
  struct b m;
  struct {
    unsigned tag;
    int has;
  } macros[] = {{0x9132, v->center || v->function}, {0x9110, v->spacing != NULL}, {0x9145, v->slope != NULL}};
  for (size_t k = 0; k < 3; k++) {
    if (!macros[k].has) continue;
    memset(&m, 0, sizeof m);
    m.explicit_vr = out->explicit_vr;
    m.big = out->big;
    if (macros[k].tag == 0x9132) {
      if (v->center) str(&m, 0x0028, 0x1050, "DS", v->center);
      if (v->width) str(&m, 0x0028, 0x1051, "DS", v->width);
      if (v->explanation) str(&m, 0x0028, 0x1055, "LO", v->explanation);
      if (v->function) str(&m, 0x0028, 0x1056, "CS", v->function);
    } else if (macros[k].tag == 0x9110) {
      str(&m, 0x0018, 0x0050, "DS", "1"); /* Slice Thickness before Pixel Spacing */
      str(&m, 0x0028, 0x0030, "DS", v->spacing);
    } else {
      str(&m, 0x0028, 0x1052, "DS", v->intercept);
      str(&m, 0x0028, 0x1053, "DS", v->slope);
      str(&m, 0x0028, 0x1054, "LO", "US");
    }
    if (defined) {
      hdr(out, 0x0028, macros[k].tag, "SQ", (uint32_t)(m.n + 8));
      item(out, (uint32_t)m.n);
      raw(out, m.d, m.n);
    } else {
      hdr(out, 0x0028, macros[k].tag, "SQ", UNDEF);
      item(out, UNDEF);
      raw(out, m.d, m.n);
      item_end(out);
      seq_end(out);
    }
  }
}

static int fg_given(const struct fg_vals *v) { return v->center || v->function || v->spacing || v->slope; }

static void fg_sequence(struct b *b, unsigned elem, const struct fg_vals *items, size_t n, int defined) {
  static struct b seq, it;
  memset(&seq, 0, sizeof seq);
  seq.explicit_vr = b->explicit_vr;
  seq.big = b->big;
  for (size_t i = 0; i < n; i++) {
    memset(&it, 0, sizeof it);
    it.explicit_vr = b->explicit_vr;
    it.big = b->big;
    fg_item_content(&it, &items[i], defined);
    if (defined) {
      item(&seq, (uint32_t)it.n);
      raw(&seq, it.d, it.n);
    } else {
      item(&seq, UNDEF);
      raw(&seq, it.d, it.n);
      item_end(&seq);
    }
  }
  hdr(b, 0x5200, elem, "SQ", defined ? (uint32_t)seq.n : UNDEF);
  raw(b, seq.d, seq.n);
  if (!defined) seq_end(b);
}

static void test_functional_groups_table(void) {
  const char *tss[] = {TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_EXPLICIT_BE};
  for (size_t t = 0; t < 3; t++)
    for (int defined = 0; defined < 2; defined++)
      for (size_t i = 0; i < sizeof FG / sizeof FG[0]; i++) {
        start(&B, tss[t], MG_PRESENTATION);
        common_attrs(&B);
        const struct fg_vals *top = &FG[i].top;
        if (top->spacing) str(&B, 0x0028, 0x0030, "DS", top->spacing);
        if (top->center) str(&B, 0x0028, 0x1050, "DS", top->center);
        if (top->width) str(&B, 0x0028, 0x1051, "DS", top->width);
        if (top->intercept) str(&B, 0x0028, 0x1052, "DS", top->intercept);
        if (top->slope) str(&B, 0x0028, 0x1053, "DS", top->slope);
        if (top->explanation) str(&B, 0x0028, 0x1055, "LO", top->explanation);
        if (top->function) str(&B, 0x0028, 0x1056, "CS", top->function);
        if (fg_given(&FG[i].shared)) fg_sequence(&B, 0x9229, &FG[i].shared, 1, defined);
        if (fg_given(&FG[i].frame1)) {
          struct fg_vals frames[2] = {FG[i].frame1, FG[i].frame2};
          fg_sequence(&B, 0x9230, frames, fg_given(&FG[i].frame2) ? 2 : 1, defined);
        }
        pixels(&B);
        int ok = 1;
        T_EQ_INT(parse(&B, 1), DICOM_OK);
        check_common(&I);
        ok &= I.window_count >= (FG[i].width > 0 ? 1 : 0);
        if (FG[i].width > 0) {
          ok &= I.window_center[0] == FG[i].center && I.window_width[0] == FG[i].width;
          ok &= strcmp(I.window_explanation[0], FG[i].explanation) == 0;
        }
        ok &= strcmp(I.voi_lut_function, FG[i].function) == 0;
        ok &= FG[i].spacing > 0 ? I.has_pixel_spacing && I.pixel_spacing[0] == FG[i].spacing : !I.has_pixel_spacing;
        ok &= FG[i].slope != 0 ? I.has_rescale && I.rescale_slope == FG[i].slope &&
                                     I.rescale_intercept == FG[i].intercept
                               : !I.has_rescale;
        T_CHECK(ok);
        if (!ok)
          fprintf(stderr, "  row '%s' ts %zu defined %d: windows %d (%g/%g %s) function '%s' spacing %d %g rescale %d %g %g\n",
                  FG[i].what, t, defined, I.window_count, I.window_center[0], I.window_width[0],
                  I.window_explanation[0], I.voi_lut_function, I.has_pixel_spacing, I.pixel_spacing[0],
                  I.has_rescale, I.rescale_slope, I.rescale_intercept);
      }
  /* the second window of "several windows" is read as well */
  T_EQ_INT(I.window_count, 2);
  T_CHECK(I.window_center[1] == 200 && I.window_width[1] == 20);
  T_EQ_STR(I.window_explanation[1], "B");
}

/* A functional group of defined length with a broken item loses its values, not the file. */
static void test_broken_functional_group_keeps_file(void) {
  start(&B, TS_EXPLICIT_LE, MG_PRESENTATION);
  common_attrs(&B);
  hdr(&B, 0x5200, 0x9229, "SQ", 12);
  item(&B, 4);
  raw(&B, "\x28\x00\x32\x91", 4); /* a macro's header cut short inside the item */
  pixels(&B);
  T_EQ_INT(parse(&B, 1), DICOM_OK);
  check_common(&I);
  T_EQ_INT(I.window_count, 0);
  T_EQ_INT(I.has_pixel_spacing, 0);
}

int main(void) {
  T_RUN(test_explicit_le_reads_all_fields);
  T_RUN(test_view_from_codes_table);
  T_RUN(test_spacing_and_orientation);
  T_RUN(test_broken_view_code_item_keeps_file);
  T_RUN(test_functional_groups_table);
  T_RUN(test_broken_functional_group_keeps_file);
  T_RUN(test_implicit_le_reads_all_fields);
  T_RUN(test_explicit_be_reads_all_fields);
  T_RUN(test_nested_undefined_sequences_are_skipped);
  T_RUN(test_un_undefined_length_is_implicit_inside);
  T_RUN(test_encapsulated_pixel_data_stops);
  T_RUN(test_values_trimmed_and_truncated);
  T_RUN(test_deflated_dataset);
  T_RUN(test_deflate_bomb_is_capped);
  T_RUN(test_every_truncation_needs_more);
  T_RUN(test_lying_lengths_are_malformed);
  T_RUN(test_deep_nesting);
  T_RUN(test_no_preamble);
  T_RUN(test_charset_decoded);
  T_RUN(test_native_pixels_judged);
  T_RUN(test_encapsulated_pixels_judged);
  T_RUN(test_truncation_problem);
  T_RUN(test_meta_group_problems);
  T_RUN(test_not_dicom);
  T_RUN(test_dicomdir_flag);
  T_RUN(test_sniff_kinds);
  return t_done();
}
