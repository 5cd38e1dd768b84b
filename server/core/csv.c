#include "core/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FIELDS 256
#define DEFAULT_MAX_FIELD (64 * 1024)

void csv_reader_init(struct csv_reader *r, const char *data, size_t len, size_t max_fields, size_t max_field) {
  memset(r, 0, sizeof *r);
  r->p = data;
  r->end = data + len;
  r->line = 1;
  r->max_fields = max_fields ? max_fields : DEFAULT_MAX_FIELDS;
  r->max_field = max_field ? max_field : DEFAULT_MAX_FIELD;
  /* skip a UTF-8 byte-order mark */
  if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
    r->p += 3;
}

void csv_reader_free(struct csv_reader *r) {
  free(r->fields);
  free(r->lens);
  free(r->offs);
  free(r->buf);
  r->fields = NULL;
  r->lens = NULL;
  r->offs = NULL;
  r->buf = NULL;
}

const char *csv_strerror(enum csv_rc rc) {
  switch (rc) {
  case CSV_RECORD:
  case CSV_END:
    return "no error";
  case CSV_ERR_QUOTE:
    return "a quoted value is never closed (a \" is missing)";
  case CSV_ERR_BARE_QUOTE:
    return "a \" appears inside a value that does not start with \" (quote the whole value and double the inner quotes)";
  case CSV_ERR_AFTER_QUOTE:
    return "text follows a closing \" before the next comma or line break";
  case CSV_ERR_FIELD_LONG:
    return "a value is too long";
  case CSV_ERR_TOO_MANY:
    return "a line has too many columns";
  case CSV_ERR_BINARY:
    return "the file is not UTF-8 text (a NUL byte or an invalid character)";
  case CSV_ERR_NOMEM:
    return "out of memory";
  }
  return "unknown error";
}

/* True when s[0..n) is valid UTF-8 (shortest forms, no surrogates) without NUL. */
static bool utf8_ok(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c == 0) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

/* Appends one byte to the record buffer. false when out of memory. */
static bool put(struct csv_reader *r, char c) {
  if (r->buf_len + 1 >= r->buf_cap) {
    size_t cap = r->buf_cap ? r->buf_cap * 2 : 256;
    char *b = realloc(r->buf, cap);
    if (!b) return false;
    r->buf = b;
    r->buf_cap = cap;
  }
  r->buf[r->buf_len++] = c;
  return true;
}

/* Closes the field that started at offset start: NUL-terminates it, checks
 * its length, width and encoding. CSV_RECORD when fine, an error otherwise. */
static enum csv_rc end_field(struct csv_reader *r, size_t start) {
  size_t n = r->buf_len - start;
  if (n > r->max_field) return CSV_ERR_FIELD_LONG;
  if (n && !utf8_ok((const unsigned char *)r->buf + start, n)) return CSV_ERR_BINARY;
  if (r->nfields >= r->max_fields) return CSV_ERR_TOO_MANY;
  if (r->nfields == r->cap_fields) {
    size_t cap = r->cap_fields ? r->cap_fields * 2 : 16;
    size_t *o = realloc(r->offs, cap * sizeof *o);
    if (!o) return CSV_ERR_NOMEM;
    r->offs = o;
    size_t *l = realloc(r->lens, cap * sizeof *l);
    if (!l) return CSV_ERR_NOMEM;
    r->lens = l;
    char **f = realloc(r->fields, cap * sizeof *f);
    if (!f) return CSV_ERR_NOMEM;
    r->fields = f;
    r->cap_fields = cap;
  }
  if (!put(r, '\0')) return CSV_ERR_NOMEM;
  r->offs[r->nfields] = start;
  r->lens[r->nfields] = n;
  r->nfields++;
  return CSV_RECORD;
}

/* Consumes a line break at p when there is one (LF or CRLF). */
static bool take_newline(struct csv_reader *r) {
  if (r->p < r->end && *r->p == '\n') {
    r->p++;
    r->line++;
    return true;
  }
  if (r->end - r->p >= 2 && r->p[0] == '\r' && r->p[1] == '\n') {
    r->p += 2;
    r->line++;
    return true;
  }
  return false;
}

static enum csv_rc fail(struct csv_reader *r, enum csv_rc rc) {
  r->failed = rc;
  r->nfields = 0;
  return rc;
}

enum csv_rc csv_next(struct csv_reader *r) {
  if (r->failed != CSV_RECORD) return r->failed;
  while (take_newline(r)) {
  }
  if (r->p >= r->end) return CSV_END;
  r->record_line = r->line;
  r->nfields = 0;
  r->buf_len = 0;
  for (;;) {
    size_t start = r->buf_len;
    bool end_record = false;
    if (r->p < r->end && *r->p == '"') {
      size_t open_line = r->line;
      r->p++;
      for (;;) {
        if (r->p >= r->end) {
          r->line = open_line;
          return fail(r, CSV_ERR_QUOTE);
        }
        char c = *r->p;
        if (c == '"') {
          if (r->end - r->p >= 2 && r->p[1] == '"') {
            if (!put(r, '"')) return fail(r, CSV_ERR_NOMEM);
            r->p += 2;
            continue;
          }
          r->p++;
          break;
        }
        if (c == '\n') r->line++;
        if (!put(r, c)) return fail(r, CSV_ERR_NOMEM);
        if (r->buf_len - start > r->max_field) return fail(r, CSV_ERR_FIELD_LONG);
        r->p++;
      }
      if (r->p >= r->end) {
        end_record = true;
      } else if (*r->p == ',') {
        r->p++;
      } else if (take_newline(r)) {
        end_record = true;
      } else {
        return fail(r, CSV_ERR_AFTER_QUOTE);
      }
    } else {
      while (r->p < r->end) {
        char c = *r->p;
        if (c == ',' || c == '\n') break;
        if (c == '\r' && r->end - r->p >= 2 && r->p[1] == '\n') break;
        if (c == '"') return fail(r, CSV_ERR_BARE_QUOTE);
        if (!put(r, c)) return fail(r, CSV_ERR_NOMEM);
        if (r->buf_len - start > r->max_field) return fail(r, CSV_ERR_FIELD_LONG);
        r->p++;
      }
      if (r->p >= r->end) {
        end_record = true;
      } else if (*r->p == ',') {
        r->p++;
      } else {
        take_newline(r);
        end_record = true;
      }
    }
    enum csv_rc rc = end_field(r, start);
    if (rc != CSV_RECORD) return fail(r, rc);
    if (end_record) break;
    /* a ',' as the very last byte ends the record with one more empty field */
    if (r->p >= r->end) {
      rc = end_field(r, r->buf_len);
      if (rc != CSV_RECORD) return fail(r, rc);
      break;
    }
  }
  for (size_t i = 0; i < r->nfields; i++) r->fields[i] = r->buf + r->offs[i];
  return CSV_RECORD;
}

/* ---- writer ---- */

/* Appends n bytes to the output. */
static void out_append(struct csv_out *o, const char *s, size_t n) {
  if (o->oom) return;
  if (o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + n + 1) cap *= 2;
    char *d = realloc(o->data, cap);
    if (!d) {
      o->oom = true;
      return;
    }
    o->data = d;
    o->cap = cap;
  }
  memcpy(o->data + o->len, s, n);
  o->len += n;
  o->data[o->len] = '\0';
}

void csv_write_field(struct csv_out *o, const char *s, size_t n) {
  /* An empty first field is written "" so that a record of one empty field is
   * not a blank line; a first field that begins with a byte-order mark is
   * quoted so that a reader does not take the mark for the file's own. */
  bool first = !o->in_record;
  bool bom = n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF;
  bool quote = (first && (n == 0 || bom)) || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
  if (o->in_record) out_append(o, ",", 1);
  o->in_record = true;
  for (size_t i = 0; i < n && !quote; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') quote = true;
  if (!quote) {
    out_append(o, s, n);
    return;
  }
  out_append(o, "\"", 1);
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') {
      out_append(o, s + from, i - from + 1);
      out_append(o, "\"", 1);
      from = i + 1;
    }
  }
  out_append(o, s + from, n - from);
  out_append(o, "\"", 1);
}

void csv_write_str(struct csv_out *o, const char *s) { csv_write_field(o, s ? s : "", s ? strlen(s) : 0); }

void csv_end_record(struct csv_out *o) {
  out_append(o, "\r\n", 2);
  o->in_record = false;
}
