/* The streaming multipart/related parser of STOW-RS (dicom/multipart.c): the same parts
 * whatever the chunking (a delimiter split at every byte position, one byte at a time), CRLF
 * edge cases inside data, preamble and epilogue, the errors (no close delimiter, header
 * lines too long or too many, bare LF, folding), and the Content-Type parameters as clients
 * send them (quoted and unquoted boundaries). */
#include <stdlib.h>
#include <string.h>

#include "dicom/multipart.h"
#include "t.h"

/* What the callbacks saw: an event log ("B", "H name=value", "E", "P") and each part's data. */
struct seen {
  char log[4096];
  unsigned char data[8][4096];
  size_t len[8];
  int part;
  int stop_at_data; /* >0: the data callback refuses after this many bytes */
  size_t total;
};

static void logf_(struct seen *s, const char *t) {
  size_t l = strlen(s->log);
  snprintf(s->log + l, sizeof s->log - l, "%s|", t);
}
static int on_begin(void *c) {
  struct seen *s = c;
  s->part++;
  logf_(s, "B");
  return 0;
}
static int on_header(void *c, const char *n, const char *v) {
  char b[600];
  snprintf(b, sizeof b, "H %s=%s", n, v);
  logf_(c, b);
  return 0;
}
static int on_hend(void *c) {
  logf_(c, "E");
  return 0;
}
static int on_data(void *c, const unsigned char *p, size_t n) {
  struct seen *s = c;
  if (n == 0) logf_(s, "ZERO"); /* never called with nothing */
  int k = s->part - 1;
  if (k < 0 || k >= 8 || s->len[k] + n > sizeof s->data[0]) return 1;
  memcpy(s->data[k] + s->len[k], p, n);
  s->len[k] += n;
  s->total += n;
  if (s->stop_at_data && s->total >= (size_t)s->stop_at_data) return 1;
  return 0;
}
static int on_end(void *c) {
  logf_(c, "P");
  return 0;
}
static const struct mp_callbacks cbs = {on_begin, on_header, on_hend, on_data, on_end};

/* Parses body in chunks at the given split points (sorted, < len; n_splits may be 0). */
static enum mp_rc parse_split(const char *boundary, const unsigned char *body, size_t len, const size_t *splits,
                              size_t n_splits, struct seen *s) {
  struct mp_parser p;
  memset(s, 0, sizeof *s);
  if (mp_init(&p, boundary, strlen(boundary), &cbs, s) != 0) return MP_ERR_SYNTAX;
  size_t at = 0;
  for (size_t k = 0; k <= n_splits; k++) {
    size_t end = k < n_splits ? splits[k] : len;
    enum mp_rc rc = mp_feed(&p, body + at, end - at);
    if (rc != MP_OK) return rc;
    at = end;
  }
  return mp_finish(&p);
}

static enum mp_rc parse(const char *boundary, const char *body, struct seen *s) {
  return parse_split(boundary, (const unsigned char *)body, strlen(body), NULL, 0, s);
}

static const char two_parts[] =
    "--XyZ\r\n"
    "Content-Type: application/dicom\r\n"
    "\r\n"
    "first\r\n-- not the end\r\n--Xy\r\n-XyZ --XyZ\r\r\n--XyX\r\n"
    "--XyZ\r\n"
    "\r\n"
    "second\r\r\n\r\n"
    "--XyZ--\r\n";

static void test_two_parts(void) {
  struct seen s;
  T_EQ_INT(parse("XyZ", two_parts, &s), MP_OK);
  T_EQ_STR(s.log, "B|H Content-Type=application/dicom|E|P|B|E|P|");
  const char *d0 = "first\r\n-- not the end\r\n--Xy\r\n-XyZ --XyZ\r\r\n--XyX";
  T_EQ_INT(s.len[0], strlen(d0));
  T_CHECK(memcmp(s.data[0], d0, s.len[0]) == 0);
  T_EQ_INT(s.len[1], 9);
  T_CHECK(memcmp(s.data[1], "second\r\r\n", 9) == 0);
}

/* The data of "--XyZ" lines that do not end the delimiter: a part whose data is "\r\n--XyZ"
 * followed by other characters fails (the boundary may not appear in data, RFC 2046). */
static void test_boundary_in_data_is_an_error(void) {
  struct seen s;
  T_EQ_INT(parse("XyZ", "--XyZ\r\n\r\nabc\r\n--XyZabc\r\n--XyZ--", &s), MP_ERR_SYNTAX);
}

/* Every split of the body in two, and in three around each position, gives the same parts. */
static void test_every_split(void) {
  struct seen whole, s;
  size_t len = strlen(two_parts);
  T_EQ_INT(parse("XyZ", two_parts, &whole), MP_OK);
  int bad = 0;
  for (size_t i = 1; i < len; i++) {
    size_t sp[2] = {i, i + 1 < len ? i + 1 : i};
    for (size_t n = 1; n <= 2; n++) {
      if (n == 2 && sp[1] == sp[0]) continue;
      if (parse_split("XyZ", (const unsigned char *)two_parts, len, sp, n, &s) != MP_OK ||
          strcmp(s.log, whole.log) != 0 || s.len[0] != whole.len[0] || s.len[1] != whole.len[1] ||
          memcmp(s.data[0], whole.data[0], s.len[0]) != 0 || memcmp(s.data[1], whole.data[1], s.len[1]) != 0)
        bad++;
    }
  }
  T_EQ_INT(bad, 0);
}

/* One byte at a time. */
static void test_byte_by_byte(void) {
  struct seen whole, s;
  size_t len = strlen(two_parts);
  T_EQ_INT(parse("XyZ", two_parts, &whole), MP_OK);
  size_t *sp = malloc(len * sizeof *sp);
  T_CHECK(sp != NULL);
  if (!sp) return;
  for (size_t i = 0; i + 1 < len; i++) sp[i] = i + 1;
  T_EQ_INT(parse_split("XyZ", (const unsigned char *)two_parts, len, sp, len - 1, &s), MP_OK);
  T_EQ_STR(s.log, whole.log);
  T_EQ_INT(s.len[0], whole.len[0]);
  T_CHECK(memcmp(s.data[0], whole.data[0], s.len[0]) == 0);
  T_CHECK(memcmp(s.data[1], whole.data[1], s.len[1]) == 0);
  free(sp);
}

/* Data made of the delimiter's own pieces (CR, LF, dashes, a boundary prefix), random
 * binary bytes around them, random chunkings: the parts come back byte for byte. */
static void test_random_bodies(void) {
  static const char *pieces[] = {"\r", "\n", "\r\n", "-", "--", "\r\n-", "\r\n--", "\r\n--b0undar", "--b0undary",
                                 "\r\r\n--b0und", "\0", "x"};
  const char *B = "b0undary";
  unsigned seed = 12345;
  int bad = 0, tested = 0;
  for (int round = 0; round < 400; round++) {
    unsigned char want[3][600];
    size_t wl[3];
    unsigned char body[3000];
    size_t bl = 0;
    bl += (size_t)snprintf((char *)body + bl, sizeof body - bl, "%s", round % 2 ? "preamble --b0undary\r\n" : "");
    size_t nparts = 1 + round % 3;
    for (size_t k = 0; k < nparts; k++) {
      wl[k] = 0;
      bl += (size_t)snprintf((char *)body + bl, sizeof body - bl, "--%s%s\r\n\r\n", B, k % 2 ? " \t" : "");
      int np = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 30;
      for (int j = 0; j < np; j++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 16;
        if (r % 4 == 0) {
          want[k][wl[k]++] = (unsigned char)(r >> 4);
          continue;
        }
        const char *pc = pieces[r % (sizeof pieces / sizeof pieces[0])];
        size_t pl = pc[0] ? strlen(pc) : 1;
        memcpy(want[k] + wl[k], pc, pl);
        wl[k] += pl;
      }
      memcpy(body + bl, want[k], wl[k]);
      bl += wl[k];
      bl += (size_t)snprintf((char *)body + bl, sizeof body - bl, "\r\n");
    }
    bl += (size_t)snprintf((char *)body + bl, sizeof body - bl, "--%s--\r\nepilogue\r\n--%s\r\n", B, B);
    /* skip a round whose data happens to hold the whole delimiter (RFC 2046 forbids it) */
    int has = 0;
    for (size_t k = 0; k < nparts; k++)
      if (memmem(want[k], wl[k], "\r\n--b0undary", 12)) has = 1;
    if (has) continue;
    tested++;
    size_t sp[6], ns = 0;
    for (size_t k = 0; k < 6; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % bl;
      if (at && (ns == 0 || at > sp[ns - 1])) sp[ns++] = at;
    }
    struct seen s;
    enum mp_rc rc = parse_split(B, body, bl, sp, ns, &s);
    if (rc != MP_OK || (size_t)s.part != nparts || strstr(s.log, "ZERO")) {
      bad++;
      continue;
    }
    for (size_t k = 0; k < nparts; k++)
      if (s.len[k] != wl[k] || memcmp(s.data[k], want[k], wl[k]) != 0) bad++;
  }
  T_EQ_INT(bad, 0);
  T_CHECK(tested > 300); /* the skipped rounds are few */
  fprintf(stderr, "  %d random bodies\n", tested);
}

static void test_preamble_and_epilogue(void) {
  struct seen s;
  T_EQ_INT(parse("b", "This is the preamble.\r\nIt says --b in passing.\r\n--b\r\n\r\nX\r\n--b--\r\nepilogue --b\r\n", &s),
           MP_OK);
  T_EQ_STR(s.log, "B|E|P|");
  T_EQ_INT(s.len[0], 1);
  /* the close delimiter with nothing after it */
  T_EQ_INT(parse("b", "--b\r\n\r\nX\r\n--b--", &s), MP_OK);
  /* an empty part, then one with data */
  T_EQ_INT(parse("b", "--b\r\n\r\n\r\n--b\r\n\r\nY\r\n--b--", &s), MP_OK);
  T_EQ_STR(s.log, "B|E|P|B|E|P|");
  T_EQ_INT(s.len[0], 0);
  T_EQ_INT(s.len[1], 1);
}

static void test_missing_close_delimiter(void) {
  struct seen s;
  T_EQ_INT(parse("b", "--b\r\n\r\nX", &s), MP_ERR_TRUNCATED);          /* cut inside the data */
  T_EQ_INT(parse("b", "--b\r\n\r\nX\r\n--b\r\n", &s), MP_ERR_TRUNCATED); /* a delimiter, not the close one */
  T_EQ_INT(parse("b", "--b\r\n\r\nX\r\n--b", &s), MP_ERR_TRUNCATED);
  T_EQ_INT(parse("b", "--b\r\n\r\nX\r\n--b-", &s), MP_ERR_TRUNCATED);
  T_EQ_INT(parse("b", "--b\r\nContent-Type: x", &s), MP_ERR_TRUNCATED); /* inside the headers */
  T_EQ_INT(parse("b", "no delimiter at all", &s), MP_ERR_TRUNCATED);
  T_EQ_INT(parse("b", "", &s), MP_ERR_NO_PARTS);
  T_EQ_INT(parse("b", "--b--\r\n", &s), MP_ERR_NO_PARTS);
}

static void test_header_limits(void) {
  struct seen s;
  size_t n = MP_MAX_HEADER_BYTES + 100;
  char *body = malloc(n + 100);
  T_CHECK(body != NULL);
  if (!body) return;
  /* one line of exactly the limit (with its CRLF and the empty line) passes; one byte more fails */
  size_t vlen = MP_MAX_HEADER_BYTES - strlen("X: ") - 4;
  int l = sprintf(body, "--b\r\nX: ");
  memset(body + l, 'v', vlen);
  sprintf(body + l + vlen, "\r\n\r\nD\r\n--b--");
  T_EQ_INT(parse("b", body, &s), MP_OK);
  memset(body + l, 'v', vlen + 1);
  sprintf(body + l + vlen + 1, "\r\n\r\nD\r\n--b--");
  T_EQ_INT(parse("b", body, &s), MP_ERR_HEADERS);
  /* a line that never ends */
  memset(body + l, 'v', n - (size_t)l);
  body[n] = '\0';
  T_EQ_INT(parse("b", body, &s), MP_ERR_HEADERS);
  /* too many short lines */
  l = sprintf(body, "--b\r\n");
  for (int i = 0; i <= MP_MAX_HEADERS; i++) l += sprintf(body + l, "A: 1\r\n");
  sprintf(body + l, "\r\nD\r\n--b--");
  T_EQ_INT(parse("b", body, &s), MP_ERR_HEADERS);
  free(body);
}

static void test_malformed(void) {
  struct seen s;
  T_EQ_INT(parse("b", "--b\nContent-Type: x\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);   /* bare LF after delimiter */
  T_EQ_INT(parse("b", "--b\r\nContent-Type: x\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);   /* bare LF in headers */
  T_EQ_INT(parse("b", "--b\r\nContent-Type: x\r\n more\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX); /* folded */
  T_EQ_INT(parse("b", "--b\r\nno colon here\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);
  T_EQ_INT(parse("b", "--b\r\n: no name\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);
  T_EQ_INT(parse("b", "--b\r\nBad Name: x\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);
  T_EQ_INT(parse("b", "--bx\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);                    /* boundary runs on */
  T_EQ_INT(parse("b", "--b \tx\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);                 /* padding then junk */
  T_EQ_INT(parse("b", "--b\r\n\r\nD\r\n--b-x", &s), MP_ERR_SYNTAX);
  T_EQ_INT(parse("b", "--b\r\nX: 1\rY: 2\r\n\r\nD\r\n--b--", &s), MP_ERR_SYNTAX);      /* CR without LF */
  /* errors are sticky */
  struct mp_parser p;
  mp_init(&p, "b", 1, &cbs, &s);
  T_EQ_INT(mp_feed(&p, (const unsigned char *)"--bx", 4), MP_ERR_SYNTAX);
  T_EQ_INT(mp_feed(&p, (const unsigned char *)"\r\n", 2), MP_ERR_SYNTAX);
  T_EQ_INT(mp_finish(&p), MP_ERR_SYNTAX);
  /* boundaries the parser refuses */
  T_EQ_INT(mp_init(&p, "", 0, &cbs, &s), -1);
  T_EQ_INT(mp_init(&p, "a\rb", 3, &cbs, &s), -1);
  char longb[MP_MAX_BOUNDARY + 2];
  memset(longb, 'a', MP_MAX_BOUNDARY + 1);
  longb[MP_MAX_BOUNDARY + 1] = '\0';
  T_EQ_INT(mp_init(&p, longb, MP_MAX_BOUNDARY + 1, &cbs, &s), -1);
  T_EQ_INT(mp_init(&p, longb, MP_MAX_BOUNDARY, &cbs, &s), 0);
  T_EQ_INT(mp_init(&p, longb, 73, &cbs, &s), 0); /* Orthanc's: two UUIDs */
}

static void test_callback_stops(void) {
  struct seen s;
  struct mp_parser p;
  memset(&s, 0, sizeof s);
  s.stop_at_data = 3;
  mp_init(&p, "b", 1, &cbs, &s);
  T_EQ_INT(mp_feed(&p, (const unsigned char *)"--b\r\n\r\nABCDEF\r\n--b--", 20), MP_ERR_CALLBACK);
  T_EQ_INT(mp_finish(&p), MP_ERR_CALLBACK);
}

/* Content-Type as clients send it: rows of input, expected rc, boundary, type. */
static void test_content_type(void) {
  static const struct {
    const char *ct;
    int rc;
    const char *boundary, *type;
  } rows[] = {
      {"multipart/related; type=\"application/dicom\"; boundary=\"abc\"", 0, "abc", "application/dicom"},
      {"multipart/related; type=application/dicom; boundary=abc", 0, "abc", "application/dicom"},  /* Orthanc */
      {"Multipart/Related;boundary=abc;type=\"application/dicom\"", 0, "abc", "application/dicom"},
      {"multipart/related; boundary=\"a b:c=d?e\"", 0, "a b:c=d?e", ""},
      {"multipart/related; boundary=abc; start=\"<x>\"; type=\"application/dicom\";", 0, "abc", "application/dicom"},
      {"multipart/related ; BOUNDARY = abc", 0, "abc", ""},
      {"multipart/related; boundary=\"a\\\"b\"", -1, "", ""}, /* a quote is not a boundary character */
      {"multipart/related; type=\"application/dicom\"", -1, "", ""},
      {"multipart/related; boundary=", -1, "", ""},
      {"multipart/related; boundary=\"\"", -1, "", ""},
      {"multipart/related; boundary=abc; boundary=def", -1, "", ""},
      {"multipart/related; boundary=\"abc", -1, "", ""},
      {"multipart/related; boundary=\"abc \"", -1, "", ""},
      {"multipart/related; boundary=a<b", -1, "", ""},
      {"multipart/related; boundary", -1, "", ""},
      {"multipart/related boundary=abc", -1, "", ""},
      /* Orthanc's DICOMweb plugin: two UUIDs, 73 characters, past RFC 2046's 70 */
      {"multipart/related; type=\"application/dicom\"; boundary=0c1b6e8e-6f4a-4a8f-9e8b-3f2d8f1f0c11-"
       "5a2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 0,
       "0c1b6e8e-6f4a-4a8f-9e8b-3f2d8f1f0c11-5a2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "application/dicom"},
      {"multipart/related; boundary=0123456789012345678901234567890123456789012345678901234567890123456789", 0,
       "0123456789012345678901234567890123456789012345678901234567890123456789", ""},
      {"multipart/form-data; boundary=abc", 1, "", ""},
      {"multipart/relatedx; boundary=abc", 1, "", ""},
      {"application/dicom", 1, "", ""},
      {"", 1, "", ""},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char b[80], t[80];
    int rc = mp_content_type(rows[i].ct, b, sizeof b, t, sizeof t);
    if (rc != rows[i].rc) fprintf(stderr, "  row %zu: %s\n", i, rows[i].ct);
    T_EQ_INT(rc, rows[i].rc);
    if (rc == 0) {
      T_EQ_STR(b, rows[i].boundary);
      T_EQ_STR(t, rows[i].type);
    }
  }
  char b[4], t[4];
  T_EQ_INT(mp_content_type(NULL, b, sizeof b, t, sizeof t), 1);
  char over[300], bb[MP_MAX_BOUNDARY + 1], tt[64];
  int l = snprintf(over, sizeof over, "multipart/related; boundary=");
  memset(over + l, 'z', MP_MAX_BOUNDARY + 1);
  over[l + MP_MAX_BOUNDARY + 1] = '\0';
  T_EQ_INT(mp_content_type(over, bb, sizeof bb, tt, sizeof tt), -1);
  over[l + MP_MAX_BOUNDARY] = '\0';
  T_EQ_INT(mp_content_type(over, bb, sizeof bb, tt, sizeof tt), 0);
  T_EQ_INT(mp_content_type("multipart/related; boundary=abcd", b, sizeof b, t, sizeof t), -1); /* does not fit */
}

int main(void) {
  T_RUN(test_two_parts);
  T_RUN(test_boundary_in_data_is_an_error);
  T_RUN(test_every_split);
  T_RUN(test_byte_by_byte);
  T_RUN(test_random_bodies);
  T_RUN(test_preamble_and_epilogue);
  T_RUN(test_missing_close_delimiter);
  T_RUN(test_header_limits);
  T_RUN(test_malformed);
  T_RUN(test_callback_stops);
  T_RUN(test_content_type);
  return t_done();
}
