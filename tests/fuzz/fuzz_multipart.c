/* libFuzzer target: the STOW-RS multipart/related parser (dicom/multipart.c) and its
 * Content-Type parser. The input's first byte picks a chunk size; the body is fed in those
 * chunks and again whole, and the invariants the parser promises are checked on every input:
 * the same parts and data whatever the chunking, data never longer than the body, callbacks
 * never called with nothing, a part never ends without having begun, the outcome of a body
 * that ends cleanly is MP_OK only after a close delimiter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
  unsigned long begun, ended, headers_ended;
  unsigned long long data_bytes;
  uint64_t hash; /* FNV-1a over the events and data, to compare two runs */
  int open;      /* inside a part */
};

static void mix(struct run *r, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) r->hash = (r->hash ^ b[i]) * 1099511628211ull;
}
static int on_begin(void *c) {
  struct run *r = c;
  if (r->open) abort();
  r->open = 1;
  r->begun++;
  mix(r, "B", 1);
  return 0;
}
static int on_header(void *c, const char *n, const char *v) {
  struct run *r = c;
  if (!r->open || !*n) abort();
  mix(r, n, strlen(n) + 1);
  mix(r, v, strlen(v) + 1);
  return 0;
}
static int on_hend(void *c) {
  struct run *r = c;
  if (!r->open) abort();
  r->headers_ended++;
  mix(r, "E", 1);
  return 0;
}
static int on_data(void *c, const unsigned char *p, size_t n) {
  struct run *r = c;
  if (!r->open || n == 0 || r->headers_ended != r->begun) abort();
  r->data_bytes += n;
  mix(r, p, n);
  return 0;
}
static int on_end(void *c) {
  struct run *r = c;
  if (!r->open) abort();
  r->open = 0;
  r->ended++;
  mix(r, "P", 1);
  return 0;
}
static const struct mp_callbacks cbs = {on_begin, on_header, on_hend, on_data, on_end};

static enum mp_rc run(const uint8_t *body, size_t n, size_t chunk, struct run *r) {
  struct mp_parser p;
  memset(r, 0, sizeof *r);
  r->hash = 1469598103934665603ull;
  if (mp_init(&p, "b0und", 5, &cbs, r) != 0) abort();
  enum mp_rc rc = MP_OK;
  for (size_t at = 0; at < n && rc == MP_OK; at += chunk) rc = mp_feed(&p, body + at, n - at < chunk ? n - at : chunk);
  if (rc == MP_OK) rc = mp_finish(&p);
  if (r->data_bytes > n) abort();
  if (rc == MP_OK && (r->open || r->begun == 0 || r->ended != r->begun)) abort();
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = (size_t)data[0] % 17 + 1;
  const uint8_t *body = data + 1;
  size_t n = size - 1;
  struct run a, b;
  enum mp_rc ra = run(body, n, n ? n : 1, &a), rb = run(body, n, chunk, &b);
  if (ra != rb) abort();
  if (ra == MP_OK && (a.hash != b.hash || a.data_bytes != b.data_bytes || a.begun != b.begun)) abort();
  /* the Content-Type parser on the same bytes as text */
  char *s = malloc(n + 1);
  if (!s) return 0;
  memcpy(s, body, n);
  s[n] = '\0';
  char bd[MP_MAX_BOUNDARY + 1], ty[128];
  int rc = mp_content_type(s, bd, sizeof bd, ty, sizeof ty);
  if (rc < -1 || rc > 1) abort();
  if (rc == 0) {
    size_t bl = strlen(bd);
    if (bl == 0 || bl > MP_MAX_BOUNDARY || strpbrk(bd, "\r\n\"")) abort();
    struct mp_parser p;
    if (mp_init(&p, bd, bl, NULL, NULL) != 0) abort();
  }
  free(s);
  return 0;
}
