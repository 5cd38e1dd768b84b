/* Streaming multipart/related parser for STOW-RS (see multipart.h). The delimiter is
 * "\r\n--boundary"; since a boundary holds no CR, its first byte occurs nowhere else in it, so
 * a mismatch after a partial match only has to look at the current byte again (no KMP table).
 * Bytes of a partial match are held back (they are in the delimiter itself, so nothing is
 * copied) and passed on as data when the match fails. */
#include "dicom/multipart.h"

#include <string.h>
#include <strings.h>

int mp_init(struct mp_parser *p, const char *boundary, size_t blen, const struct mp_callbacks *cb, void *ctx) {
  memset(p, 0, sizeof *p);
  if (!boundary || blen == 0 || blen > MP_MAX_BOUNDARY) return -1;
  for (size_t i = 0; i < blen; i++)
    if (boundary[i] == '\r' || boundary[i] == '\n' || boundary[i] == '\0') return -1;
  static const struct mp_callbacks none;
  p->cb = cb ? cb : &none;
  p->ctx = ctx;
  memcpy(p->delim, "\r\n--", 4);
  memcpy(p->delim + 4, boundary, blen);
  p->dlen = blen + 4;
  p->state = MP_S_PREAMBLE;
  p->match = 2; /* the body's start counts as a line start: "--boundary" may open it */
  return 0;
}

const char *mp_error_words(enum mp_rc rc) {
  switch (rc) {
  case MP_OK: return "";
  case MP_ERR_SYNTAX:
    return "The multipart/related body is malformed (a boundary line or a part's header line does not follow "
           "RFC 2046: lines end in CRLF, headers are \"Name: value\").";
  case MP_ERR_HEADERS: return "A part's headers are too long or too many.";
  case MP_ERR_TRUNCATED:
    return "The multipart/related body ends before its closing boundary (\"--boundary--\"): it was cut short.";
  case MP_ERR_NO_PARTS: return "The multipart/related body holds no part.";
  case MP_ERR_CALLBACK: return "The body was refused while it was read.";
  }
  return "The multipart/related body is malformed.";
}

static enum mp_rc fail(struct mp_parser *p, enum mp_rc rc) {
  p->state = MP_S_ERROR;
  p->error = rc;
  return rc;
}

/* Passes data on (n may be 0). 0, or -1 when the callback stopped the parser. */
static int emit(struct mp_parser *p, const unsigned char *d, size_t n) {
  if (n == 0 || p->state != MP_S_BODY || !p->cb->data) return 0;
  return p->cb->data(p->ctx, d, n) != 0 ? -1 : 0;
}

/* Scans buf[*i, n) for the delimiter, passing data on in BODY (dropping it in PREAMBLE).
 * Returns 1 when the whole delimiter was matched (*i just after it), 0 when the chunk is used
 * up (a partial match held back in p->match), -1 when a callback stopped the parser. */
static int scan(struct mp_parser *p, const unsigned char *buf, size_t n, size_t *pi) {
  size_t i = *pi, ds = i;  /* ds: first byte of this chunk not passed on yet */
  size_t carried = p->match; /* delimiter bytes matched in earlier chunks (held back) */
  while (i < n) {
    if (p->match == 0) {
      const unsigned char *q = memchr(buf + i, '\r', n - i);
      if (!q) {
        i = n;
        break;
      }
      i = (size_t)(q - buf) + 1;
      p->match = 1;
      continue;
    }
    if (buf[i] == p->delim[p->match]) {
      p->match++;
      i++;
      if (p->match == p->dlen) {
        size_t here = p->dlen - carried; /* delimiter bytes in this chunk */
        if (emit(p, buf + ds, i - here - ds) != 0) return -1;
        p->match = 0;
        *pi = i;
        return 1;
      }
      continue;
    }
    /* mismatch: what was held back is data; look at this byte again */
    if (carried) {
      if (emit(p, p->delim, carried) != 0) return -1;
      carried = 0;
    }
    p->match = 0;
  }
  /* the chunk is used up: hold back this chunk's part of a partial match */
  size_t held = p->match - carried; /* carried <= match: a failed carried match was emitted */
  if (emit(p, buf + ds, n - held - ds) != 0) return -1;
  *pi = n;
  return 0;
}

static int tchar(unsigned char c) {
  return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* A complete header line in p->line (without CRLF). */
static enum mp_rc header_line(struct mp_parser *p) {
  char *l = p->line;
  l[p->line_len] = '\0';
  if (l[0] == ' ' || l[0] == '\t') return MP_ERR_SYNTAX; /* folded lines are not taken */
  char *colon = memchr(l, ':', p->line_len);
  if (!colon || colon == l) return MP_ERR_SYNTAX;
  for (char *s = l; s < colon; s++)
    if (!tchar((unsigned char)*s)) return MP_ERR_SYNTAX;
  *colon = '\0';
  char *v = colon + 1, *end = l + p->line_len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  *end = '\0';
  if (++p->header_count > MP_MAX_HEADERS) return MP_ERR_HEADERS;
  if (p->cb->header && p->cb->header(p->ctx, l, v) != 0) return MP_ERR_CALLBACK;
  return MP_OK;
}

enum mp_rc mp_feed(struct mp_parser *p, const unsigned char *buf, size_t n) {
  size_t i = 0;
  if (p->state == MP_S_ERROR) return p->error;
  while (i < n) {
    size_t before = i;
    switch (p->state) {
    case MP_S_PREAMBLE:
    case MP_S_BODY: {
      int was_body = p->state == MP_S_BODY;
      int r = scan(p, buf, n, &i);
      if (r < 0) return fail(p, MP_ERR_CALLBACK);
      if (r == 1) {
        if (was_body && p->cb->part_end && p->cb->part_end(p->ctx) != 0) {
          p->offset += i - before;
          return fail(p, MP_ERR_CALLBACK);
        }
        p->state = MP_S_AFTER_DELIM;
      }
      break;
    }
    case MP_S_AFTER_DELIM: {
      unsigned char c = buf[i++];
      if (c == '-') p->state = MP_S_DASH2;
      else if (c == ' ' || c == '\t') p->state = MP_S_PAD;
      else if (c == '\r') p->state = MP_S_PAD_LF;
      else return fail(p, MP_ERR_SYNTAX);
      break;
    }
    case MP_S_DASH2:
      if (buf[i++] != '-') return fail(p, MP_ERR_SYNTAX);
      p->state = MP_S_EPILOGUE;
      break;
    case MP_S_PAD: {
      unsigned char c = buf[i++];
      if (c == '\r') p->state = MP_S_PAD_LF;
      else if (c != ' ' && c != '\t') return fail(p, MP_ERR_SYNTAX);
      break;
    }
    case MP_S_PAD_LF:
      if (buf[i++] != '\n') return fail(p, MP_ERR_SYNTAX);
      p->parts++;
      p->line_len = p->header_bytes = 0;
      p->header_count = 0;
      p->state = MP_S_HEADERS;
      if (p->cb->part_begin && p->cb->part_begin(p->ctx) != 0) {
        p->offset += i - before;
        return fail(p, MP_ERR_CALLBACK);
      }
      break;
    case MP_S_HEADERS: {
      unsigned char c = buf[i++];
      if (++p->header_bytes > MP_MAX_HEADER_BYTES) return fail(p, MP_ERR_HEADERS);
      if (c == '\r') {
        p->state = MP_S_HEADER_LF;
      } else if (c == '\n' || c == '\0') {
        return fail(p, MP_ERR_SYNTAX);
      } else {
        p->line[p->line_len++] = (char)c; /* header_bytes bounds line_len below the buffer */
      }
      break;
    }
    case MP_S_HEADER_LF: {
      if (buf[i++] != '\n') return fail(p, MP_ERR_SYNTAX);
      if (++p->header_bytes > MP_MAX_HEADER_BYTES) return fail(p, MP_ERR_HEADERS);
      if (p->line_len == 0) {
        p->state = MP_S_BODY;
        p->match = 0;
        if (p->cb->headers_end && p->cb->headers_end(p->ctx) != 0) {
          p->offset += i - before;
          return fail(p, MP_ERR_CALLBACK);
        }
        break;
      }
      enum mp_rc rc = header_line(p);
      if (rc != MP_OK) return fail(p, rc);
      p->line_len = 0;
      p->state = MP_S_HEADERS;
      break;
    }
    case MP_S_EPILOGUE:
      i = n; /* ignored */
      break;
    case MP_S_ERROR:
      return p->error;
    }
    p->offset += i - before;
  }
  return MP_OK;
}

enum mp_rc mp_finish(struct mp_parser *p) {
  if (p->state == MP_S_ERROR) return p->error;
  if (p->state != MP_S_EPILOGUE) return fail(p, p->state == MP_S_PREAMBLE && p->parts == 0 && p->offset == 0
                                                    ? MP_ERR_NO_PARTS
                                                    : MP_ERR_TRUNCATED);
  if (p->parts == 0) return fail(p, MP_ERR_NO_PARTS);
  return MP_OK;
}

/* ---- Content-Type ---- */

static int bchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' ||
         (c != '\0' && strchr("'()+_,-./:=?", c) != NULL);
}

static const char *skip_ows(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

int mp_content_type(const char *ct, char *boundary, size_t bcap, char *type, size_t tcap) {
  static const char mt[] = "multipart/related";
  if (bcap) boundary[0] = '\0';
  if (tcap) type[0] = '\0';
  if (!ct) return 1;
  const char *s = skip_ows(ct);
  if (strncasecmp(s, mt, sizeof mt - 1) != 0) return 1;
  s += sizeof mt - 1;
  if (*s && *s != ';' && *s != ' ' && *s != '\t') return 1; /* multipart/relatedness */
  int have_b = 0, have_t = 0;
  s = skip_ows(s);
  while (*s) {
    if (*s != ';') return -1;
    s = skip_ows(s + 1);
    if (!*s) break; /* a trailing ';' */
    const char *name = s;
    while (tchar((unsigned char)*s)) s++;
    size_t nl = (size_t)(s - name);
    if (nl == 0) return -1;
    s = skip_ows(s);
    if (*s != '=') return -1;
    s = skip_ows(s + 1);
    char val[256];
    size_t vl = 0;
    if (*s == '"') {
      s++;
      for (;;) {
        if (!*s) return -1;
        if (*s == '"') {
          s++;
          break;
        }
        if (*s == '\\') {
          s++;
          if (!*s) return -1;
        }
        if ((unsigned char)*s < 32 && *s != '\t') return -1;
        if (vl + 1 >= sizeof val) return -1;
        val[vl++] = *s++;
      }
    } else {
      while (*s && *s != ';' && *s != ' ' && *s != '\t') {
        if (*s == '"' || (unsigned char)*s < 32) return -1;
        if (vl + 1 >= sizeof val) return -1;
        val[vl++] = *s++;
      }
      if (vl == 0) return -1;
    }
    val[vl] = '\0';
    s = skip_ows(s);
    if (nl == 8 && strncasecmp(name, "boundary", 8) == 0) {
      if (have_b++) return -1;
      if (vl == 0 || vl > MP_MAX_BOUNDARY || val[vl - 1] == ' ') return -1;
      for (size_t i = 0; i < vl; i++)
        if (!bchar((unsigned char)val[i])) return -1;
      if (vl + 1 > bcap) return -1;
      memcpy(boundary, val, vl + 1);
    } else if (nl == 4 && strncasecmp(name, "type", 4) == 0) {
      if (have_t++) return -1;
      if (vl + 1 > tcap) return -1;
      memcpy(type, val, vl + 1);
    }
  }
  return have_b ? 0 : -1;
}
