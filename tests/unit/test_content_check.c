/* Active content and polyglots (server/dicom/content_check.c): a truth table
 * of PDFs (names plain, #xx-escaped, inside FlateDecode object streams) and
 * of files that are two types at once, then the bounds. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dicom/content_check.h"
#include "t.h"

struct row {
  const char *what;
  enum sniff_kind kind;
  const char *bytes;
  size_t len;
  unsigned active;
  const char *second;
};

#define R(w, k, b, a, sec) {w, k, b, sizeof(b) - 1, a, sec}
#define PDF_HEAD "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
static const struct row table[] = {
    R("plain PDF", SNIFF_PDF, PDF_HEAD "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n", 0, NULL),
    R("OpenAction JavaScript", SNIFF_PDF,
     PDF_HEAD "1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj", CONTENT_JAVASCRIPT, NULL),
    R("JS only", SNIFF_PDF, PDF_HEAD "<</AA<</O<</JS 5 0 R>>>>>>", CONTENT_JAVASCRIPT, NULL),
    R("hex-escaped JavaScript", SNIFF_PDF, PDF_HEAD "<< /S /Java#53cript /J#53 (x) >>", CONTENT_JAVASCRIPT, NULL),
    R("hex-escaped lower case", SNIFF_PDF, PDF_HEAD "<< /S /#4a#61#76#61#53#63#72#69#70#74 >>", CONTENT_JAVASCRIPT, NULL),
    R("launch action", SNIFF_PDF, PDF_HEAD "<< /S /Launch /F (cmd.exe) >>", CONTENT_LAUNCH, NULL),
    R("escaped launch", SNIFF_PDF, PDF_HEAD "<</S/L#61unch>>", CONTENT_LAUNCH, NULL),
    R("embedded files", SNIFF_PDF, PDF_HEAD "<< /Names << /EmbeddedFiles 9 0 R >> >>", CONTENT_EMBEDDED, NULL),
    R("embedded file", SNIFF_PDF, PDF_HEAD "<< /Type /EmbeddedFile /Length 3 >>", CONTENT_EMBEDDED, NULL),
    R("all three", SNIFF_PDF, PDF_HEAD "/JS /Launch /EmbeddedFile",
     CONTENT_JAVASCRIPT | CONTENT_LAUNCH | CONTENT_EMBEDDED, NULL),
    R("longer names are other names", SNIFF_PDF, PDF_HEAD "/JSX /JavaScripts /Launched /EmbeddedFileX /JavaScript#", 0, NULL),
    R("a broken escape is not a match", SNIFF_PDF, PDF_HEAD "/J#5", 0, NULL),
    R("PDF that is also a web page", SNIFF_PDF, PDF_HEAD "<html><body>hi</body></html>", 0, "HTML"),
    R("PNG with a web page", SNIFF_PNG, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR<HTML><script>alert(1)</script>", 0, "HTML"),
    R("JPEG with a script", SNIFF_JPEG, "\xff\xd8\xff\xe0\0\x10JFIF\0<sCrIpT src=//x>", 0, "HTML"),
    R("JPEG with svg", SNIFF_JPEG, "\xff\xd8\xff\xfe\0\x20<svg onload=alert(1)>", 0, "HTML"),
    R("JPEG with a PDF header", SNIFF_JPEG, "\xff\xd8\xff\xfe\0\x20%PDF-1.4 ", 0, "PDF"),
    R("plain PNG", SNIFF_PNG, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 0, NULL),
    R("XMP metadata is not HTML", SNIFF_JPEG, "\xff\xd8\xff\xe1\0\x20<x:xmpmeta><rdf:RDF></rdf:RDF>", 0, NULL),
    R("ZIP is checked entry by entry", SNIFF_ZIP, "PK\x03\x04<html>", 0, NULL),
};

static void truth_table(void) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct row *r = &table[i];
    struct content_report cr;
    content_check((const unsigned char *)r->bytes, r->len, 1, r->kind, &cr);
    if (cr.active != r->active || (cr.second_type == NULL) != (r->second == NULL) ||
        (r->second && strcmp(cr.second_type, r->second) != 0))
      fprintf(stderr, "  row %zu (%s): active %u second %s\n", i, r->what, cr.active,
              cr.second_type ? cr.second_type : "-");
    T_EQ_INT(cr.active, r->active);
    T_CHECK((cr.second_type == NULL) == (r->second == NULL));
  }
}

/* Builds "N 0 obj <<dict>> stream\n" + zlib(payload) + "\nendstream endobj". */
static size_t stream_obj(unsigned char *out, size_t cap, const char *dict, const char *payload) {
  size_t n = (size_t)snprintf((char *)out, cap, "%s4 0 obj << %s >>\nstream\n", PDF_HEAD, dict);
  uLongf clen = (uLongf)(cap - n - 64);
  if (compress(out + n, &clen, (const Bytef *)payload, (uLong)strlen(payload)) != Z_OK) return 0;
  n += clen;
  n += (size_t)snprintf((char *)out + n, cap - n, "\nendstream\nendobj\n");
  return n;
}

static void object_streams(void) {
  unsigned char buf[4096];
  struct content_report cr;
  size_t n = stream_obj(buf, sizeof buf, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                        "5 0 << /S /JavaScript /JS (app.launchURL('x')) >>");
  T_CHECK(n > 0);
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, CONTENT_JAVASCRIPT);
  /* the dictionary's own names escaped */
  n = stream_obj(buf, sizeof buf, "/Type /Obj#53tm /Filter /Flate#44ecode", "<< /EmbeddedFiles 3 0 R >>");
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, CONTENT_EMBEDDED);
  /* escaped names inside the compressed objects */
  n = stream_obj(buf, sizeof buf, "/Type /ObjStm /Filter /FlateDecode", "<< /S /L#61unch >>");
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, CONTENT_LAUNCH);
  /* a compressed page (not an object stream) is not searched: its bytes are drawing operators */
  n = stream_obj(buf, sizeof buf, "/Filter /FlateDecode /Length 99", "/JS 12 Tf");
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, 0);
  /* damaged compressed data: no crash, nothing found */
  n = stream_obj(buf, sizeof buf, "/Type /ObjStm /Filter /FlateDecode", "<< /JS (x) >>");
  buf[n - 30] ^= 0xff;
  buf[n - 29] ^= 0xff;
  content_check(buf, n - 25, 1, SNIFF_PDF, &cr);
  T_CHECK(cr.active == 0 || cr.active == CONTENT_JAVASCRIPT);
}

static void zip_inside(void) {
  /* a PDF with a complete ZIP archive at its end (PDF+ZIP polyglot) */
  static const unsigned char zip[] = "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0a"
                                     "PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0a"
                                     "PK\x05\x06\0\0\0\0\1\0\1\0\x2f\0\0\0\x1f\0\0\0\0\0";
  unsigned char buf[512];
  size_t n = (size_t)snprintf((char *)buf, sizeof buf, "%s1 0 obj << >> endobj\n%%%%EOF\n", PDF_HEAD);
  memcpy(buf + n, zip, sizeof zip - 1);
  n += sizeof zip - 1;
  struct content_report cr;
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_CHECK(cr.second_type && strcmp(cr.second_type, "ZIP") == 0);
  content_check(buf, n, 0, SNIFF_PDF, &cr); /* only a prefix: its end is unknown */
  T_CHECK(cr.second_type == NULL);
  content_check(buf, n - 1, 1, SNIFF_PDF, &cr); /* the record must end the file */
  T_CHECK(cr.second_type == NULL);
}

static void dicom_preamble(void) {
  unsigned char buf[256] = {0};
  memcpy(buf + 128, "DICM", 4);
  struct content_report cr;
  content_check(buf, sizeof buf, 1, SNIFF_DICOM, &cr);
  T_CHECK(cr.second_type == NULL);
  memcpy(buf, "%PDF-1.4", 8);
  content_check(buf, sizeof buf, 1, SNIFF_DICOM, &cr);
  T_CHECK(cr.second_type && strcmp(cr.second_type, "PDF") == 0);
  memcpy(buf, "<html>  ", 8);
  content_check(buf, sizeof buf, 1, SNIFF_DICOM, &cr);
  T_CHECK(cr.second_type && strcmp(cr.second_type, "HTML") == 0);
  /* after the preamble, an encapsulated PDF is the file's own content */
  memset(buf, 0, 128);
  memcpy(buf + 200, "%PDF-1.4", 8);
  content_check(buf, sizeof buf, 1, SNIFF_DICOM, &cr);
  T_CHECK(cr.second_type == NULL);
}

static void html_beyond_first_kib_and_bounds(void) {
  size_t n = 4096;
  unsigned char *buf = calloc(1, n);
  memcpy(buf, "\xff\xd8\xff\xe0", 4);
  memcpy(buf + 2000, "<script>", 8);
  struct content_report cr;
  content_check(buf, n, 1, SNIFF_JPEG, &cr);
  T_CHECK(cr.second_type == NULL);
  free(buf);
  /* many empty stream keywords: bounded work, no crash */
  n = (size_t)1 << 20;
  buf = malloc(n);
  for (size_t i = 0; i + 7 <= n; i += 7) memcpy(buf + i, "stream\n", 7);
  content_check(buf, n, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, 0);
  content_check(NULL, 0, 1, SNIFF_PDF, &cr);
  T_EQ_INT(cr.active, 0);
  free(buf);
}

static void pdf_tail(void) {
  static const char tail[] = "stream junk endobj 9 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj";
  struct content_report cr = {0};
  content_check_pdf_tail((const unsigned char *)tail, sizeof tail - 1, &cr);
  T_EQ_INT(cr.active, CONTENT_JAVASCRIPT);
  T_CHECK(cr.second_type == NULL);
  /* HTML in the middle of a long file is not a polyglot: browsers sniff the start */
  static const char mid[] = "<html><script>x</script>";
  struct content_report cr2 = {0};
  content_check_pdf_tail((const unsigned char *)mid, sizeof mid - 1, &cr2);
  T_CHECK(cr2.second_type == NULL);
  T_EQ_INT(cr2.active, 0);
}

static void words(void) {
  T_EQ_STR(content_active_words(0), "");
  T_EQ_STR(content_active_words(CONTENT_JAVASCRIPT), "JavaScript");
  T_EQ_STR(content_active_words(CONTENT_JAVASCRIPT | CONTENT_EMBEDDED), "JavaScript, embedded files");
  T_EQ_STR(content_active_words(7), "JavaScript, a launch action, embedded files");
}

int main(void) {
  T_RUN(truth_table);
  T_RUN(object_streams);
  T_RUN(zip_inside);
  T_RUN(dicom_preamble);
  T_RUN(html_beyond_first_kib_and_bounds);
  T_RUN(pdf_tail);
  T_RUN(words);
  return t_done();
}
