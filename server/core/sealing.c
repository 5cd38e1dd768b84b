/* Sealing of request text and the start-up conversion: see sealing.h. */
#include "core/sealing.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/outbox.h"
#include "core/secrets.h"
#include "store/db.h"
#include "store/security.h"
#include "util/arena.h"
#include "util/log.h"

char *reqtext_seal(struct arena *a, long long request_id, const char *field, const char *text) {
  size_t n = strlen(text);
  char ad[64];
  int adl = snprintf(ad, sizeof ad, "request:%lld:%s", request_id, field);
  if (adl <= 0 || (size_t)adl >= sizeof ad) return NULL;
  unsigned char *out = arena_alloc(a, n + SECRETS_SEAL_OVERHEAD);
  char *hx = arena_alloc(a, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1);
  if (!out || !hx) return NULL;
  if (secrets_seal(SECRET_REQUEST_TEXT, (const unsigned char *)text, n, (const unsigned char *)ad, (size_t)adl, out) !=
      0)
    return NULL;
  sodium_bin2hex(hx, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1, out, n + SECRETS_SEAL_OVERHEAD);
  return hx;
}

char *reqtext_open(struct arena *a, long long request_id, const char *field, const char *hex) {
  size_t hl = strlen(hex), bl = 0;
  if (hl % 2 || hl / 2 < SECRETS_SEAL_OVERHEAD) return NULL;
  unsigned char *bin = arena_alloc(a, hl / 2);
  char *out = arena_alloc(a, hl / 2 - SECRETS_SEAL_OVERHEAD + 1);
  if (!bin || !out || sodium_hex2bin(bin, hl / 2, hex, hl, NULL, &bl, NULL) != 0 || bl != hl / 2) return NULL;
  char ad[64];
  int adl = snprintf(ad, sizeof ad, "request:%lld:%s", request_id, field);
  if (adl <= 0 || (size_t)adl >= sizeof ad) return NULL;
  if (secrets_open(SECRET_REQUEST_TEXT, bin, bl, (const unsigned char *)ad, (size_t)adl, (unsigned char *)out) != 0)
    return NULL;
  out[bl - SECRETS_SEAL_OVERHEAD] = '\0';
  return out;
}

/* One batch of outbox rows; returns rows converted or -1. */
static long outbox_batch(void) {
  struct arena *a = arena_new();
  if (!a) return -1;
  long done = -1;
  struct st_plain_row *rows = NULL;
  size_t n = 0;
  if (db_simple("BEGIN") != ERR_OK) goto out;
  enum err e = st_plain_outbox(a, SEALING_BATCH, &rows, &n);
  for (size_t i = 0; e == ERR_OK && i < n; i++) {
    char *hx = outbox_seal_body(a, rows[i].id, rows[i].a);
    e = hx ? st_plain_outbox_seal(a, rows[i].id, hx) : ERR_INTERNAL;
  }
  if (e == ERR_OK && db_simple("COMMIT") == ERR_OK) done = (long)n;
  else db_simple("ROLLBACK");
out:
  arena_free(a);
  return done;
}

/* One batch of requests; returns rows converted or -1. */
static long requests_batch(void) {
  struct arena *a = arena_new();
  if (!a) return -1;
  long done = -1;
  struct st_plain_row *rows = NULL;
  size_t n = 0;
  if (db_simple("BEGIN") != ERR_OK) goto out;
  enum err e = st_plain_requests(a, SEALING_BATCH, &rows, &n);
  for (size_t i = 0; e == ERR_OK && i < n; i++) {
    const char *rh = "", *qh = "";
    if (*rows[i].a && !(rh = reqtext_seal(a, rows[i].id, "reason", rows[i].a))) e = ERR_INTERNAL;
    if (e == ERR_OK && strcmp(rows[i].b, "[]") != 0 && !(qh = reqtext_seal(a, rows[i].id, "questions", rows[i].b)))
      e = ERR_INTERNAL;
    if (e == ERR_OK) e = st_plain_request_seal(a, rows[i].id, rh, qh);
  }
  if (e == ERR_OK && db_simple("COMMIT") == ERR_OK) done = (long)n;
  else db_simple("ROLLBACK");
out:
  arena_free(a);
  return done;
}

long sealing_startup(void) {
  long total = 0;
  long (*const passes[])(void) = {outbox_batch, requests_batch};
  for (size_t p = 0; p < sizeof passes / sizeof passes[0]; p++) {
    long pass = 0;
    for (;;) {
      long n = passes[p]();
      if (n < 0) {
        LOG_E("sealing the plaintext left by an older version failed (%s pass)", p == 0 ? "outbox" : "requests");
        return -1;
      }
      pass += n;
      if (n < SEALING_BATCH) break;
      if (pass >= SEALING_MAX_ROWS) {
        LOG_W("sealed %ld rows this start; the rest is sealed at the next start", pass);
        break;
      }
    }
    total += pass;
  }
  if (total) LOG_I("sealed %ld rows of plaintext left by an older version", total);
  return total;
}
