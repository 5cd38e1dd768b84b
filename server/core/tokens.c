/* Personal access tokens for DICOMweb clients: see tokens.h. */
#include "core/tokens.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/audit.h"
#include "core/form.h"
#include "core/secrets.h"
#include "core/throttle.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/tokens.h"
#include "util/arena.h"
#include "util/log.h"

#define B64_CHARS 43
#define BEARER_THROTTLE_FACTOR 5    /* an address gets 5 x 4 = 20 failed tokens before any cool-down */
#define BEARER_THROTTLE_FORGET 3600 /* its count is forgotten after an hour without failures */
#define DAY 86400LL

/* ---- pure functions ---- */

void tok_format(const unsigned char secret[TOK_SECRET_BYTES], char out[TOK_BUF]) {
  memcpy(out, TOK_PREFIX, TOK_PREFIX_LEN);
  sodium_bin2base64(out + TOK_PREFIX_LEN, TOK_BUF - TOK_PREFIX_LEN, secret, TOK_SECRET_BYTES,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int b64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int tok_parse(const char *text, unsigned char secret[TOK_SECRET_BYTES]) {
  if (!text || strncmp(text, TOK_PREFIX, TOK_PREFIX_LEN) != 0) return -1;
  const char *b = text + TOK_PREFIX_LEN;
  for (size_t i = 0; i < B64_CHARS; i++)
    if (!b64url_char(b[i])) return -1; /* stops at the NUL of a short token */
  if (b[B64_CHARS] != '\0') return -1;
  size_t len = 0;
  const char *end = NULL;
  /* libsodium refuses non-zero trailing bits, so each secret has exactly one text form */
  if (sodium_base642bin(secret, TOK_SECRET_BYTES, b, B64_CHARS, NULL, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != TOK_SECRET_BYTES || end != b + B64_CHARS) {
    sodium_memzero(secret, TOK_SECRET_BYTES);
    return -1;
  }
  return 0;
}

const char *tok_from_authorization(const char *h) {
  if (!h || strncasecmp(h, "Bearer", 6) != 0 || h[6] != ' ') return NULL;
  h += 6;
  while (*h == ' ') h++;
  return h;
}

void tok_hash(const unsigned char key[32], const unsigned char secret[TOK_SECRET_BYTES],
              unsigned char out[TOK_HASH_BYTES]) {
  crypto_generichash(out, TOK_HASH_BYTES, secret, TOK_SECRET_BYTES, key, 32);
}

int tok_parse_days(const char *text, int *days) {
  if (!text || !*text) {
    *days = TOK_DAYS_DEFAULT;
    return 0;
  }
  size_t n = strlen(text);
  if (n > 3 || strspn(text, "0123456789") != n || (n > 1 && text[0] == '0')) return -1;
  int d = (int)strtol(text, NULL, 10); /* at most three digits, checked above */
  if (d < 1 || d > TOK_DAYS_MAX) return -1;
  *days = d;
  return 0;
}

int tok_label_ok(const char *s) {
  if (!s) return -1;
  size_t chars = 0;
  int only_spaces = 1;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned char c = *p;
    size_t len;
    unsigned cp;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return -1;
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return -1;
    }
    for (size_t i = 1; i < len; i++) {
      if ((p[i] & 0xC0) != 0x80) return -1; /* also stops at the NUL */
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069))
      return -1; /* C1 controls and bidi overrides would disguise a label */
    if (cp != ' ') only_spaces = 0;
    p += len;
    chars++;
  }
  return chars >= 1 && chars <= TOK_LABEL_MAX && !only_spaces ? 0 : -1;
}

/* ---- the domain ---- */

static void add_error(struct acct_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < ACCT_MAX_ERRORS) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

/* The keyed hash of a secret as hex in the arena; NULL when there is no key or memory. */
static char *hash_hex(struct arena *a, const unsigned char secret[TOK_SECRET_BYTES]) {
  unsigned char key[SECRETS_KEY_BYTES], h[TOK_HASH_BYTES];
  if (secrets_subkey(SECRET_ACCESS_TOKEN, key) != 0) return NULL;
  tok_hash(key, secret, h);
  sodium_memzero(key, sizeof key);
  char *s = arena_alloc(a, TOK_HASH_BYTES * 2 + 1);
  if (s) sodium_bin2hex(s, TOK_HASH_BYTES * 2 + 1, h, sizeof h);
  return s;
}

static bool may_have_tokens(unsigned role) {
  return role == ACCT_ROLE_PATIENT || role == ACCT_ROLE_STAFF || role == ACCT_ROLE_REVIEWER;
}

/* A small JSON object as text (malloc'd; NULL when out of memory), built from a json_t it takes. */
static char *detail_take(json_t *j) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return s;
}

enum err tokens_create(struct arena *a, const struct actor *who, const char *label, const char *days,
                       const char *can_store, struct acct_errors *errs, char token[TOK_BUF], long long *id) {
  if (!who || !who->user_id || !may_have_tokens(who->role)) return ERR_FORBIDDEN;
  int d = 0;
  bool store = can_store && *can_store && strcmp(can_store, "0") != 0;
  if (!label || !*label)
    add_error(errs, "label", "Give the program a name, so you can recognise it later (for example \"Weasis at home\").");
  else if (tok_label_ok(label) != 0)
    add_error(errs, "label", "Use at most 80 letters, digits, spaces or punctuation for the name.");
  if (tok_parse_days(days, &d) != 0)
    add_error(errs, "days", "Enter a whole number of days from 1 to 365.");
  if (store && who->role != ACCT_ROLE_STAFF)
    add_error(errs, "can_store", "Only center staff can let a program send studies to the portal.");
  if (errs && errs->n) return ERR_INVALID;

  long long now = acct_now(), live = 0;
  enum err e = st_pat_count_live(a, who->user_id, now, &live);
  if (e != ERR_OK) return e;
  if (live >= TOK_MAX_ACTIVE) {
    add_error(errs, "label", "You already have 20 programs connected. Remove one you no longer use first.");
    return ERR_INVALID;
  }
  unsigned char secret[TOK_SECRET_BYTES];
  randombytes_buf(secret, sizeof secret);
  char *h = hash_hex(a, secret);
  if (!h) {
    sodium_memzero(secret, sizeof secret);
    return ERR_INTERNAL;
  }
  char *detail = NULL;
  e = db_simple("BEGIN");
  if (e != ERR_OK) goto done;
  e = st_pat_create(a, who->user_id, label, h, store, now, now + d * DAY, id);
  if (e == ERR_OK) {
    detail = detail_take(json_pack("{s:I,s:s,s:i,s:b}", "token_id", (json_int_t)*id, "label", label, "days", d,
                                   "can_store", store));
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", *id);
    struct audit_event ev = {.action = "access_token.create", .object_type = "access_token", .object_id = oid,
                             .outcome = "ok", .detail_json = detail};
    e = detail ? audit_write(who, &ev) : ERR_INTERNAL;
  }
  if (e == ERR_OK)
    e = db_simple("COMMIT");
  else
    db_simple("ROLLBACK");
  if (e == ERR_OK) tok_format(secret, token);
done:
  sodium_memzero(secret, sizeof secret);
  free(detail);
  return e;
}

enum err tokens_list(struct arena *a, const struct actor *who, struct tok_info **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!who || !who->user_id) return ERR_FORBIDDEN;
  struct st_pat *rows = NULL;
  size_t k = 0;
  enum err e = st_pat_list(a, who->user_id, acct_now(), &rows, &k);
  if (e != ERR_OK) return e;
  struct tok_info *t = arena_alloc(a, (k ? k : 1) * sizeof *t);
  if (!t) return ERR_INTERNAL;
  for (size_t i = 0; i < k; i++)
    t[i] = (struct tok_info){rows[i].id,        rows[i].label,     rows[i].created, rows[i].expires,
                             rows[i].last_used, rows[i].can_store, rows[i].expired, rows[i].revoked};
  *out = t;
  *n = k;
  return ERR_OK;
}

enum err tokens_revoke(struct arena *a, const struct actor *who, long long id) {
  if (!who || !who->user_id) return ERR_FORBIDDEN;
  const char *label = NULL;
  enum err e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_pat_revoke(a, who->user_id, id, acct_now(), &label);
  char *detail = NULL;
  if (e == ERR_OK) {
    detail = detail_take(json_pack("{s:I,s:s}", "token_id", (json_int_t)id, "label", label));
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", id);
    struct audit_event ev = {.action = "access_token.revoke", .object_type = "access_token", .object_id = oid,
                             .outcome = "ok", .detail_json = detail};
    e = detail ? audit_write(who, &ev) : ERR_INTERNAL;
  }
  if (e == ERR_OK)
    e = db_simple("COMMIT");
  else
    db_simple("ROLLBACK");
  free(detail);
  return e;
}

/* Seconds this address must still wait before a token is looked at (0: go ahead). */
static enum err bearer_wait(struct arena *a, const char *ip, long long now, int *wait) {
  int f = 0;
  long long last = 0;
  *wait = 0;
  if (!ip || !*ip) return ERR_OK;
  enum err e = st_throttle_get(a, "bearer_ip", ip, &f, &last);
  if (e != ERR_OK) return e;
  if (f && now - last > BEARER_THROTTLE_FORGET) {
    st_throttle_reset(a, "bearer_ip", ip);
    return ERR_OK;
  }
  *wait = throttle_retry_after(f / BEARER_THROTTLE_FACTOR, (time_t)last, (time_t)now);
  return ERR_OK;
}

/* Counts a failed token from this address; a token that exists but no longer works (revoked,
 * expired, account disabled) leaves an audit row naming it, for its owner's trail. */
static void bearer_fail(struct arena *a, const struct actor *who, long long now, const char *hex) {
  const char *ip = who->ip;
  int f = 0;
  if (ip && *ip) st_throttle_fail(a, "bearer_ip", ip, now, &f);
  long long id = 0, uid = 0;
  const char *reason = NULL;
  if (!hex || st_pat_refusal(a, hex, now, &id, &uid, &reason) != ERR_OK) return;
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  char *detail = detail_take(json_pack("{s:I,s:s}", "token_id", (json_int_t)id, "reason", reason));
  struct actor anon = {0, 0, ip ? ip : "", who->request_id, 0, false};
  struct audit_event ev = {.action = "access_token.refused", .object_type = "access_token", .object_id = oid,
                           .outcome = "denied", .detail_json = detail};
  if (audit_write(&anon, &ev) != ERR_OK) LOG_W("could not audit a refused access token");
  free(detail);
}

enum err tokens_authenticate(struct arena *a, const struct actor *who, const char *text, struct tok_principal *out,
                             int *retry_after) {
  const char *ip = who->ip;
  long long now = acct_now();
  int wait = 0;
  *retry_after = 0;
  enum err e = bearer_wait(a, ip, now, &wait);
  if (e != ERR_OK) return e;
  if (wait > 0) {
    *retry_after = wait;
    return ERR_TOO_MANY;
  }
  unsigned char secret[TOK_SECRET_BYTES];
  if (tok_parse(text, secret) != 0) {
    bearer_fail(a, who, now, NULL);
    return ERR_UNAUTHENTICATED;
  }
  char *h = hash_hex(a, secret);
  sodium_memzero(secret, sizeof secret);
  if (!h) return ERR_INTERNAL;
  struct st_pat_use u;
  e = st_pat_touch(a, h, now, ip, &u);
  if (e == ERR_NOT_FOUND) {
    bearer_fail(a, who, now, h);
    return ERR_UNAUTHENTICATED;
  }
  if (e != ERR_OK) return e;
  unsigned role = acct_role_bit(u.role);
  if (strlen(u.hash_hex) != strlen(h) || sodium_memcmp(u.hash_hex, h, strlen(h)) != 0 || !may_have_tokens(role)) {
    bearer_fail(a, who, now, NULL);
    return ERR_UNAUTHENTICATED;
  }
  *out = (struct tok_principal){.token_id = u.id,
                                .user_id = u.user_id,
                                .role = role,
                                .email = u.email,
                                .name = u.name,
                                .label = u.label,
                                .can_store = u.can_store && role == ACCT_ROLE_STAFF};
  return ERR_OK;
}

enum err tokens_audit_use(const struct actor *who, const struct tok_principal *t, const char *method,
                          const char *path) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", t->token_id);
  char *detail = detail_take(json_pack("{s:I,s:s,s:s,s:s}", "token_id", (json_int_t)t->token_id, "label",
                                       t->label ? t->label : "", "method", method ? method : "", "path",
                                       path ? path : ""));
  if (!detail) return ERR_INTERNAL;
  struct audit_event ev = {.action = "dicomweb.token_use", .object_type = "access_token", .object_id = oid,
                           .outcome = "ok", .detail_json = detail};
  enum err e = audit_write(who, &ev);
  free(detail);
  return e;
}

/* The form (the one form layer): a name for the program, its days, and the tick to send studies. */
static const struct form_field token_fields[] = {
    {.name = "label", .type = FT_TEXT, .required = true, .max = 80,
     .missing = "Give the program a name, so you can recognise it later (for example \"Weasis at home\").",
     .invalid = "Use at most 80 letters, digits, spaces or punctuation for the name."},
    {.name = "days", .type = FT_INT, .min = 1, .max = TOK_DAYS_MAX, /* absent: TOK_DAYS_DEFAULT */
     .missing = "Enter a whole number of days from 1 to 365.", .invalid = "Enter a whole number of days from 1 to 365."},
    {.name = "can_store", .type = FT_TICK,
     .missing = "Only center staff can let a program send studies to the portal."},
};

const struct form_spec *tokens_create_form(void) {
  static const struct form_spec spec = {token_fields, sizeof token_fields / sizeof token_fields[0], NULL};
  return &spec;
}
