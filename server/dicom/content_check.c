/* Active content and polyglot detection (see content_check.h). */
#include "dicom/content_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define NAME_MAX_LEN 32
#define DICT_LOOKBACK 1024
#define STREAM_OUT_MAX ((size_t)4 << 20)

static bool is_delim(unsigned char c) {
  return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '(' || c == ')' ||
         c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads the PDF name starting after the '/' at buf[*i]; decodes #xx escapes
 * into out (NUL-terminated, truncated names are marked by returning false).
 * Moves *i to the first byte after the name. */
static bool read_name(const unsigned char *buf, size_t len, size_t *i, char out[NAME_MAX_LEN + 1]) {
  size_t p = *i + 1, n = 0;
  bool fits = true;
  while (p < len && !is_delim(buf[p])) {
    unsigned char c = buf[p];
    if (c == '#' && p + 2 < len && hexval(buf[p + 1]) >= 0 && hexval(buf[p + 2]) >= 0) {
      c = (unsigned char)(hexval(buf[p + 1]) * 16 + hexval(buf[p + 2]));
      p += 3;
    } else {
      p++;
    }
    if (n < NAME_MAX_LEN)
      out[n++] = (char)c;
    else
      fits = false;
  }
  out[n] = '\0';
  *i = p;
  return fits;
}

/* The active bit a decoded name stands for, or 0. */
static unsigned name_bit(const char *name) {
  if (strcmp(name, "JS") == 0 || strcmp(name, "JavaScript") == 0) return CONTENT_JAVASCRIPT;
  if (strcmp(name, "Launch") == 0) return CONTENT_LAUNCH;
  if (strcmp(name, "EmbeddedFile") == 0 || strcmp(name, "EmbeddedFiles") == 0) return CONTENT_EMBEDDED;
  return 0;
}

/* Scans every name in buf; ORs found bits into *active. Sets *objstm and
 * *flate when /ObjStm and /FlateDecode appear (when those pointers are set). */
static void scan_names(const unsigned char *buf, size_t len, unsigned *active, bool *objstm, bool *flate) {
  char name[NAME_MAX_LEN + 1];
  for (size_t i = 0; i < len;) {
    const unsigned char *slash = memchr(buf + i, '/', len - i);
    if (!slash) break;
    i = (size_t)(slash - buf);
    if (!read_name(buf, len, &i, name)) continue;
    *active |= name_bit(name);
    if (objstm && strcmp(name, "ObjStm") == 0) *objstm = true;
    if (flate && strcmp(name, "FlateDecode") == 0) *flate = true;
  }
}

/* Finds needle in buf[from..len); returns its offset or len. */
static size_t find(const unsigned char *buf, size_t len, size_t from, const char *needle) {
  size_t n = strlen(needle);
  while (from < len && len - from >= n) {
    const unsigned char *p = memchr(buf + from, needle[0], len - from);
    if (!p) return len;
    size_t off = (size_t)(p - buf);
    if (len - off < n) return len;
    if (memcmp(p, needle, n) == 0) return off;
    from = off + 1;
  }
  return len;
}

/* Inflates one zlib stream starting at data (at most avail bytes in, at most
 * cap bytes out) and scans the output's names. Returns the bytes produced. */
static size_t inflate_and_scan(const unsigned char *data, size_t avail, size_t cap, unsigned *active) {
  if (cap == 0) return 0;
  unsigned char *out = malloc(cap);
  if (!out) return 0;
  z_stream z;
  memset(&z, 0, sizeof z);
  size_t produced = 0;
  if (inflateInit(&z) == Z_OK) {
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = avail > 0x7fffffffu ? 0x7fffffffu : (uInt)avail;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH); /* partial output on damaged data is still scanned */
    (void)rc;
    produced = cap - z.avail_out;
    inflateEnd(&z);
  }
  scan_names(out, produced, active, NULL, NULL);
  free(out);
  return produced;
}

static void check_pdf(const unsigned char *buf, size_t len, unsigned *active) {
  scan_names(buf, len, active, NULL, NULL);
  size_t budget = CONTENT_MAX_INFLATE;
  int streams = 0, examined = 0;
  for (size_t at = find(buf, len, 0, "stream");
       at < len && streams < CONTENT_MAX_STREAMS && examined < 16 * CONTENT_MAX_STREAMS && budget > 0;
       at = find(buf, len, at + 6, "stream")) {
    examined++;
    if (at >= 3 && memcmp(buf + at - 3, "end", 3) == 0) continue;
    size_t data = at + 6;
    if (data < len && buf[data] == '\r') data++;
    if (data < len && buf[data] == '\n')
      data++;
    else
      continue;
    /* the stream's dictionary: back to the object's start, bounded */
    size_t from = at > DICT_LOOKBACK ? at - DICT_LOOKBACK : 0;
    size_t obj = from, o;
    while ((o = find(buf, at, obj, "obj")) < at) obj = o + 3;
    bool objstm = false, flate = false;
    unsigned ignored = 0;
    scan_names(buf + obj, at - obj, &ignored, &objstm, &flate);
    if (!objstm || !flate) continue;
    streams++;
    size_t cap = budget < STREAM_OUT_MAX ? budget : STREAM_OUT_MAX;
    size_t got = inflate_and_scan(buf + data, len - data, cap, active);
    budget -= got < budget ? got : budget;
  }
}

/* Case-insensitive search for an HTML opening in buf[0..len). */
static bool has_html(const unsigned char *buf, size_t len) {
  static const char *const tags[] = {"<script", "<html", "<!doctype html", "<svg", "<iframe", "<body",
                                     "<meta", "<object", "<embed", "<head", "<?xml-stylesheet"};
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != '<') continue;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
      size_t n = strlen(tags[t]);
      if (len - i >= n && strncasecmp((const char *)buf + i, tags[t], n) == 0) return true;
    }
  }
  return false;
}

/* A complete ZIP archive in buf: a local file header somewhere and an end of
 * central directory record that ends exactly at the end of the file. */
static bool has_zip(const unsigned char *buf, size_t len, int complete) {
  if (!complete || len < 22 + 30) return false;
  if (find(buf, len, 0, "PK\x03\x04") >= len) return false;
  size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
  for (size_t e = len - 22 + 1; e-- > lo;) {
    if (memcmp(buf + e, "PK\x05\x06", 4) != 0) continue;
    size_t comment = (size_t)buf[e + 20] | ((size_t)buf[e + 21] << 8);
    if (e + 22 + comment == len) return true;
  }
  return false;
}

void content_check(const unsigned char *buf, size_t len, int complete, enum sniff_kind k, struct content_report *out) {
  memset(out, 0, sizeof *out);
  if (!buf) return;
  size_t kib = len < 1024 ? len : 1024;
  switch (k) {
    case SNIFF_PDF:
      check_pdf(buf, len, &out->active);
      if (has_html(buf, kib))
        out->second_type = "HTML";
      else if (has_zip(buf, len, complete))
        out->second_type = "ZIP";
      break;
    case SNIFF_JPEG:
    case SNIFF_PNG:
      if (has_html(buf, kib))
        out->second_type = "HTML";
      else if (find(buf, kib, 0, "%PDF-") < kib)
        out->second_type = "PDF";
      else if (has_zip(buf, len, complete))
        out->second_type = "ZIP";
      break;
    case SNIFF_DICOM: {
      /* the 128-byte preamble is free for other formats' headers (PE is caught by sniff) */
      size_t pre = len < 128 ? len : 128;
      if (has_html(buf, pre))
        out->second_type = "HTML";
      else if (find(buf, pre, 0, "%PDF-") < pre)
        out->second_type = "PDF";
      else if (pre >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0)
        out->second_type = "ZIP";
      break;
    }
    case SNIFF_UNKNOWN:
    case SNIFF_DICOMDIR:
    case SNIFF_ZIP:
    case SNIFF_ISO9660:
    case SNIFF_EXECUTABLE:
    case SNIFF_AUTORUN:
      break;
  }
}

void content_check_pdf_tail(const unsigned char *buf, size_t len, struct content_report *out) {
  if (!buf) return;
  check_pdf(buf, len, &out->active);
  if (!out->second_type && has_zip(buf, len, 1)) out->second_type = "ZIP";
}

const char *content_active_words(unsigned active) {
  static const char *const words[8] = {
      "",
      "JavaScript",
      "a launch action",
      "JavaScript, a launch action",
      "embedded files",
      "JavaScript, embedded files",
      "a launch action, embedded files",
      "JavaScript, a launch action, embedded files",
  };
  return words[active & 7u];
}
