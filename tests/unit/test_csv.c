/* The RFC 4180 CSV reader and writer: quoting, line endings, line numbers,
 * malformed input, limits and a write-then-read round trip. */
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "t.h"

/* Reads all of s; returns the number of records, or -(error code). Joins the
 * fields of record `want` with '|' into out. */
static int read_all(const char *s, size_t want, char *out, size_t cap, size_t *err_line) {
  struct csv_reader r;
  csv_reader_init(&r, s, strlen(s), 8, 32);
  int n = 0;
  enum csv_rc rc;
  out[0] = '\0';
  while ((rc = csv_next(&r)) == CSV_RECORD) {
    if ((size_t)n == want) {
      size_t len = 0;
      for (size_t i = 0; i < r.nfields; i++) {
        int k = snprintf(out + len, cap - len, "%s%s", i ? "|" : "", r.fields[i]);
        if (k < 0 || (size_t)k >= cap - len) break;
        len += (size_t)k;
      }
    }
    n++;
  }
  if (err_line) *err_line = r.line;
  csv_reader_free(&r);
  return rc == CSV_END ? n : -(int)rc;
}

static void simple_records(void) {
  char out[256];
  T_EQ_INT(read_all("a,b,c\r\n1,2,3\r\n", 1, out, sizeof out, NULL), 2);
  T_EQ_STR(out, "1|2|3");
  T_EQ_INT(read_all("a,b\n1,2", 1, out, sizeof out, NULL), 2); /* LF, no final break */
  T_EQ_STR(out, "1|2");
  T_EQ_INT(read_all("x,,\n", 0, out, sizeof out, NULL), 1);   /* empty fields kept */
  T_EQ_STR(out, "x||");
  T_EQ_INT(read_all("x,", 0, out, sizeof out, NULL), 1);
  T_EQ_STR(out, "x|");
  T_EQ_INT(read_all("", 0, out, sizeof out, NULL), 0);
  T_EQ_INT(read_all("\n\r\n\n", 0, out, sizeof out, NULL), 0); /* blank lines skipped */
}

static void quoted_fields(void) {
  char out[256];
  T_EQ_INT(read_all("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n", 0, out, sizeof out, NULL), 1);
  T_EQ_STR(out, "a,b|say \"hi\"|two\nlines");
  T_EQ_INT(read_all("\"\",x", 0, out, sizeof out, NULL), 1);
  T_EQ_STR(out, "|x");
  T_EQ_INT(read_all("\xEF\xBB\xBFname\n", 0, out, sizeof out, NULL), 1); /* BOM skipped */
  T_EQ_STR(out, "name");
}

static void line_numbers(void) {
  struct csv_reader r;
  const char *s = "h1,h2\n\"multi\nline\",x\n\nlast,row\n";
  csv_reader_init(&r, s, strlen(s), 0, 0);
  T_EQ_INT(csv_next(&r), CSV_RECORD);
  T_EQ_INT(r.record_line, 1);
  T_EQ_INT(csv_next(&r), CSV_RECORD);
  T_EQ_INT(r.record_line, 2);
  T_EQ_INT(csv_next(&r), CSV_RECORD);
  T_EQ_INT(r.record_line, 5); /* after the two-line record and a blank line */
  T_EQ_STR(r.fields[0], "last");
  T_EQ_INT(csv_next(&r), CSV_END);
  csv_reader_free(&r);
}

static void malformed(void) {
  char out[256];
  size_t line = 0;
  T_EQ_INT(read_all("a,b\nc,\"open\n", 0, out, sizeof out, &line), -CSV_ERR_QUOTE);
  T_EQ_INT(line, 2);
  T_EQ_INT(read_all("a,b\nc,d\"e\n", 0, out, sizeof out, &line), -CSV_ERR_BARE_QUOTE);
  T_EQ_INT(line, 2);
  T_EQ_INT(read_all("\"a\"b,c\n", 0, out, sizeof out, &line), -CSV_ERR_AFTER_QUOTE);
  T_EQ_INT(read_all("a,\xff\n", 0, out, sizeof out, &line), -CSV_ERR_BINARY);
  T_EQ_INT(read_all("a,\xed\xa0\x80\n", 0, out, sizeof out, &line), -CSV_ERR_BINARY); /* surrogate */
  T_EQ_INT(read_all("a,b,c,d,e,f,g,h,i\n", 0, out, sizeof out, &line), -CSV_ERR_TOO_MANY);
  T_EQ_INT(read_all("0123456789012345678901234567890123456789\n", 0, out, sizeof out, &line), -CSV_ERR_FIELD_LONG);
  /* a NUL byte inside the buffer */
  struct csv_reader r;
  csv_reader_init(&r, "a\0b\n", 4, 0, 0);
  T_EQ_INT(csv_next(&r), CSV_ERR_BINARY);
  T_EQ_INT(csv_next(&r), CSV_ERR_BINARY); /* stays failed */
  csv_reader_free(&r);
  T_CHECK(strlen(csv_strerror(CSV_ERR_QUOTE)) > 10);
}

static void writer_quotes_only_when_needed(void) {
  struct csv_out o = {0};
  csv_write_str(&o, "plain");
  csv_write_str(&o, "a,b");
  csv_write_str(&o, "say \"hi\"");
  csv_write_str(&o, "two\nlines");
  csv_write_str(&o, " padded");
  csv_write_str(&o, NULL);
  csv_end_record(&o);
  csv_write_str(&o, "x");
  csv_end_record(&o);
  T_CHECK(!o.oom);
  T_EQ_STR(o.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",\r\nx\r\n");
  free(o.data);
}

static void round_trip(void) {
  const char *vals[] = {"", "a", "\"", "\"\"", ",", "\r\n", "é ü", "x\"y,z", " ", "last"};
  size_t nv = sizeof vals / sizeof vals[0];
  struct csv_out o = {0};
  for (size_t i = 0; i < nv; i++) csv_write_str(&o, vals[i]);
  csv_end_record(&o);
  struct csv_reader r;
  csv_reader_init(&r, o.data, o.len, 0, 0);
  T_EQ_INT(csv_next(&r), CSV_RECORD);
  T_EQ_INT(r.nfields, nv);
  for (size_t i = 0; i < nv && i < r.nfields; i++) T_EQ_STR(r.fields[i], vals[i]);
  T_EQ_INT(csv_next(&r), CSV_END);
  csv_reader_free(&r);
  free(o.data);
}

/* A first field that begins with a byte-order mark would lose it on the way
 * back, because a reader drops the mark at the start of a file (found by
 * fuzz_csv: "\na\n\xEF\xBB\xBF"). The writer quotes such a field. */
static void leading_bom_survives(void) {
  const char *bom_a = "\xEF\xBB\xBF" "a";
  struct csv_out o = {0};
  csv_write_str(&o, bom_a);
  csv_write_str(&o, bom_a);
  csv_end_record(&o);
  T_CHECK(!o.oom);
  T_EQ_STR(o.data, "\"\xEF\xBB\xBF" "a\",\xEF\xBB\xBF" "a\r\n");
  struct csv_reader r;
  csv_reader_init(&r, o.data, o.len, 0, 0);
  T_EQ_INT(csv_next(&r), CSV_RECORD);
  T_EQ_INT(r.nfields, 2);
  if (r.nfields == 2) {
    T_EQ_STR(r.fields[0], bom_a);
    T_EQ_STR(r.fields[1], bom_a);
  }
  T_EQ_INT(csv_next(&r), CSV_END);
  csv_reader_free(&r);
  free(o.data);
}

int main(void) {
  T_RUN(simple_records);
  T_RUN(quoted_fields);
  T_RUN(line_numbers);
  T_RUN(malformed);
  T_RUN(writer_quotes_only_when_needed);
  T_RUN(round_trip);
  T_RUN(leading_bom_survives);
  return t_done();
}
