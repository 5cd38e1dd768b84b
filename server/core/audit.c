/* The audit trail: appends hash-chained rows to audit_log and verifies the
 * chain; searches and CSV export for the admin page and the CLI.
 *
 * The chain. Rows are chained in id order. Each row stores
 *
 *   hash = BLAKE2b-256( P || C )          (libsodium crypto_generichash, 32-byte output, no key)
 *
 * where P is the previous row's hash (32 bytes), or 32 zero bytes for the
 * first row (whose prev_hash column is NULL), and C, the canonical bytes of
 * the row, is the concatenation of these fields, in this order:
 *
 *   "secondop.audit.v1", id, at_us, actor_id, actor_role, action,
 *   object_type, object_id, patient_id, outcome, ip, request_id, detail
 *
 * each encoded as
 *
 *   NULL      -> one byte 0x00
 *   value v   -> one byte 0x01, then len(t) as 4 bytes big-endian, then t
 *
 * where t is the value as text: integers (id, at_us, actor_id, patient_id)
 * in plain decimal ASCII ("-" for negatives, no '+', no leading zeros);
 * text columns as their UTF-8 bytes; detail as PostgreSQL's own jsonb text
 * output (detail::text), which the writer obtains from the database before
 * hashing (jsonb reorders keys and respaces, so the caller's text is not
 * what is stored). at_us is microseconds since 1970-01-01 UTC, taken from the
 * C clock; the at column is written as epoch + at_us and verification also
 * checks that the two agree.
 *
 * Writers serialise on a transaction-scoped advisory lock, read the last
 * hash and reserve the next id while holding it, so in READ COMMITTED the
 * chain is linear; a unique index on prev_hash makes a fork impossible even
 * under another isolation level (the second writer then fails). */
#include "core/form.h"
#include "core/audit.h"
#include "core/alerts.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"

#define AUDIT_DOMAIN "secondop.audit.v1"
#define VERIFY_BATCH 1000

void audit_register(void) {
  static bool registered; /* called before threads start; a second call must not prepare twice */
  if (registered) return;
  registered = true;
  audit_store_register();
}

/* Feeds one field of the canonical form into the hash state. */
static void put_text(crypto_generichash_state *st, const char *s) {
  if (!s) {
    unsigned char tag = 0;
    crypto_generichash_update(st, &tag, 1);
    return;
  }
  size_t n = strlen(s);
  unsigned char hdr[5] = {1, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                          (unsigned char)n};
  crypto_generichash_update(st, hdr, sizeof hdr);
  crypto_generichash_update(st, (const unsigned char *)s, n);
}

/* Feeds an integer field (NULL when !present) into the hash state. */
static void put_int(crypto_generichash_state *st, bool present, long long v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%lld", v);
  put_text(st, present ? buf : NULL);
}

void audit_row_hash(const struct audit_entry *e, unsigned char out[32]) {
  static const unsigned char zero[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, e->has_prev ? e->prev_hash : zero, 32);
  put_text(&st, AUDIT_DOMAIN);
  put_int(&st, true, e->id);
  put_int(&st, true, e->at_us);
  put_int(&st, e->has_actor_id, e->actor_id);
  put_text(&st, e->actor_role);
  put_text(&st, e->action);
  put_text(&st, e->object_type);
  put_text(&st, e->object_id);
  put_int(&st, e->has_patient_id, e->patient_id);
  put_text(&st, e->outcome);
  put_text(&st, e->ip);
  put_text(&st, e->request_id);
  put_text(&st, e->detail);
  crypto_generichash_final(&st, out, 32);
}

/* True when s is valid UTF-8 without control characters (what we accept in
 * the text columns of an audit row). */
static bool clean_text(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p;
    size_t n;
    unsigned cp;
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      p++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t i = 1; i <= n; i++) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    p += n + 1;
  }
  return true;
}

/* A client-influenced text value made safe to store: NULL stays NULL, text
 * that is too long or not clean UTF-8 is replaced by a marker. */
static const char *safe_text(const char *s, size_t max) {
  if (!s) return NULL;
  if (strlen(s) > max) return "(too long)";
  if (!clean_text(s)) return "(invalid text)";
  return s;
}

struct append_ctx {
  struct audit_entry e;
  const char *detail_in;
  bool commit; /* the insert carries the COMMIT of the open transaction */
};

/* Appends ctx's row on the thread's connection, inside an open transaction. */
static enum err append_row(void *p) {
  struct append_ctx *ctx = p;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *detail = NULL;
  enum err e = audit_store_prepare_append(a, ctx->detail_in, &ctx->e.id, &ctx->e.has_prev, ctx->e.prev_hash, &detail);
  if (e != ERR_OK) goto done;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ctx->e.at_us = (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
  ctx->e.detail = detail;
  audit_row_hash(&ctx->e, ctx->e.hash);
  e = ctx->commit ? audit_store_insert_commit(&ctx->e) : audit_store_insert(&ctx->e);
done:
  arena_free(a);
  return e;
}

/* Checks the event and fills ctx's row from it. ERR_OK or ERR_INTERNAL (logged). */
static enum err make_row(const struct actor *a, const struct audit_event *ev, struct append_ctx *ctx) {
  if (!ev || !ev->action || !ev->action[0] || strlen(ev->action) > 100 || !clean_text(ev->action)) {
    LOG_E("audit_write: missing or malformed action");
    return ERR_INTERNAL;
  }
  const char *outcome = ev->outcome ? ev->outcome : "ok";
  if (strcmp(outcome, "ok") != 0 && strcmp(outcome, "denied") != 0 && strcmp(outcome, "failed") != 0) {
    LOG_E("audit_write: outcome '%s' for %s is not ok, denied or failed", outcome, ev->action);
    return ERR_INTERNAL;
  }
  if (ev->detail_json) {
    json_error_t jerr;
    json_t *j = json_loads(ev->detail_json, JSON_REJECT_DUPLICATES, &jerr);
    bool ok = j && json_is_object(j) && strlen(ev->detail_json) <= 8192;
    json_decref(j);
    if (!ok) {
      LOG_E("audit_write: detail for %s is not a small JSON object", ev->action);
      return ERR_INTERNAL;
    }
  }
  *ctx = (struct append_ctx){.detail_in = ev->detail_json};
  ctx->e.has_actor_id = a && a->user_id != 0;
  ctx->e.actor_id = a ? a->user_id : 0;
  ctx->e.actor_role = a ? actor_role_name(a->role) : "system";
  if (!ctx->e.actor_role) ctx->e.actor_role = "unknown";
  ctx->e.action = ev->action;
  ctx->e.object_type = safe_text(ev->object_type, 100);
  ctx->e.object_id = safe_text(ev->object_id, 200);
  ctx->e.has_patient_id = ev->patient_id != 0;
  ctx->e.patient_id = ev->patient_id;
  ctx->e.outcome = outcome;
  ctx->e.ip = safe_text(a && a->ip ? a->ip : "", 64);
  ctx->e.request_id = safe_text(a ? (a->request_id ? a->request_id : "") : "cli", 64);
  return ERR_OK;
}

enum err audit_write(const struct actor *a, const struct audit_event *ev) {
  struct append_ctx ctx;
  enum err e = make_row(a, ev, &ctx);
  if (e != ERR_OK) return e;
  alerts_observe(ev->action, a ? a->user_id : 0);
  switch (audit_store_tx_state()) {
    case AUDIT_TX_OPEN:
    case AUDIT_TX_IDLE:
      e = audit_store_tx_state() == AUDIT_TX_OPEN ? append_row(&ctx) : db_tx(append_row, &ctx);
      /* the row could not be stored (the database refused it): whatever needed it waits, as
       * for a database that is down, rather than failing as a fault of its own */
      if (e == ERR_INTERNAL) {
        LOG_E("audit_write: the row for %s could not be stored", ev->action);
        e = ERR_UNAVAILABLE;
      }
      return e;
    case AUDIT_TX_FAILED:
      LOG_E("audit_write: %s inside a failed transaction", ev->action);
      return ERR_INTERNAL;
    case AUDIT_TX_NONE:
      return ERR_UNAVAILABLE;
  }
  return ERR_INTERNAL;
}

enum err audit_write_commit(const struct actor *a, const struct audit_event *ev) {
  struct append_ctx ctx;
  enum err e = make_row(a, ev, &ctx);
  if (e != ERR_OK) return e;
  alerts_observe(ev->action, a ? a->user_id : 0);
  if (audit_store_tx_state() != AUDIT_TX_OPEN) {
    LOG_E("audit_write_commit: %s outside an open transaction", ev->action);
    return ERR_INTERNAL;
  }
  ctx.commit = true;
  return append_row(&ctx);
}

long long audit_verify_count(long long *rows) {
  long long count = 0, broken = 0;
  bool own_tx = false, first = true, failed = false;
  unsigned char prev[32] = {0};
  switch (audit_store_tx_state()) {
    case AUDIT_TX_IDLE:
      if (db_simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != ERR_OK) return -1;
      own_tx = true;
      break;
    case AUDIT_TX_OPEN:
      break;
    case AUDIT_TX_FAILED:
    case AUDIT_TX_NONE:
      return -1;
  }
  long long after = 0;
  while (!broken && !failed) {
    struct arena *a = arena_new();
    struct audit_entry *v = NULL;
    size_t n = 0;
    if (!a || audit_store_chain_page(a, after, VERIFY_BATCH, &v, &n) != ERR_OK) {
      failed = true;
      arena_free(a);
      break;
    }
    for (size_t i = 0; i < n && !broken; i++) {
      unsigned char h[32];
      bool link_ok = first ? !v[i].has_prev : (v[i].has_prev && sodium_memcmp(v[i].prev_hash, prev, 32) == 0);
      audit_row_hash(&v[i], h);
      if (!link_ok || !v[i].at_matches || sodium_memcmp(h, v[i].hash, 32) != 0) {
        broken = v[i].id;
        break;
      }
      memcpy(prev, v[i].hash, 32);
      first = false;
      after = v[i].id;
      count++;
    }
    arena_free(a);
    if (n < VERIFY_BATCH) break;
  }
  if (own_tx) db_simple("ROLLBACK");
  if (rows) *rows = count;
  if (failed) return -1;
  return broken;
}

long long audit_verify(void) { return audit_verify_count(NULL); }

bool audit_date_valid(const char *s) {
  long ymd = 0;
  return form_date_parse(s, &ymd) && ymd >= 19700101;
}

/* ERR_OK when the filter's dates are absent or valid. */
static enum err check_filter(const struct audit_filter *f) {
  if (f->since && f->since[0] && !audit_date_valid(f->since)) return ERR_INVALID;
  if (f->until && f->until[0] && !audit_date_valid(f->until)) return ERR_INVALID;
  return ERR_OK;
}

enum err audit_search(struct arena *a, const struct audit_filter *f, long long offset, int limit,
                      struct audit_entry **out, size_t *n, long long *total) {
  *out = NULL;
  *n = 0;
  *total = 0;
  enum err e = check_filter(f);
  if (e != ERR_OK) return e;
  if (offset < 0) offset = 0;
  return audit_store_search(a, f, offset, limit, out, n, total);
}

enum err audit_export_page(struct arena *a, const struct audit_filter *f, long long after_id, int limit,
                           struct audit_entry **out, size_t *n) {
  *out = NULL;
  *n = 0;
  enum err e = check_filter(f);
  if (e != ERR_OK) return e;
  return audit_store_export_page(a, f, after_id, limit, out, n);
}

enum err audit_count(struct arena *a, const struct audit_filter *f, long long *count) {
  *count = 0;
  enum err e = check_filter(f);
  if (e != ERR_OK) return e;
  return audit_store_count(a, f, count);
}

enum err audit_list_for_patient(struct arena *a, long long patient_id, int limit, struct audit_entry **out,
                                size_t *n) {
  *out = NULL;
  *n = 0;
  if (patient_id <= 0 || limit <= 0) return ERR_OK;
  return audit_store_for_patient(a, patient_id, limit, out, n);
}

void audit_csv_field(FILE *f, const char *s) {
  if (!s) return;
  bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
  bool quote = formula || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ';
  if (!quote) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  if (formula) fputc('\'', f);
  for (const char *p = s; *p; p++) {
    if (*p == '"') fputc('"', f);
    fputc(*p, f);
  }
  fputc('"', f);
}

void audit_csv_header(FILE *f) {
  fputs("id,time_utc,actor_id,actor_name,actor_email,actor_role,action,object_type,object_id,patient_id,"
        "outcome,ip,request_id,detail\r\n",
        f);
}

void audit_csv_row(FILE *f, const struct audit_entry *e) {
  fprintf(f, "%lld,", e->id);
  audit_csv_field(f, e->at_text);
  fputc(',', f);
  if (e->has_actor_id) fprintf(f, "%lld", e->actor_id);
  fputc(',', f);
  audit_csv_field(f, e->actor_name);
  fputc(',', f);
  audit_csv_field(f, e->actor_email);
  fputc(',', f);
  audit_csv_field(f, e->actor_role);
  fputc(',', f);
  audit_csv_field(f, e->action);
  fputc(',', f);
  audit_csv_field(f, e->object_type);
  fputc(',', f);
  audit_csv_field(f, e->object_id);
  fputc(',', f);
  if (e->has_patient_id) fprintf(f, "%lld", e->patient_id);
  fputc(',', f);
  audit_csv_field(f, e->outcome);
  fputc(',', f);
  audit_csv_field(f, e->ip);
  fputc(',', f);
  audit_csv_field(f, e->request_id);
  fputc(',', f);
  audit_csv_field(f, e->detail);
  fputs("\r\n", f);
}
