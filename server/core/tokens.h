/* Personal access tokens for DICOMweb clients (issue 14 item 2).
 *
 * A token is "sop_" followed by the base64url (no padding) of 32 random bytes: 47 characters,
 * recognisable in a leaked log or repository by its prefix. It is shown to its owner once, when
 * made, and never stored: the database keeps only a keyed BLAKE2b-256 of the 32 secret bytes,
 * keyed with the app key's SECRET_ACCESS_TOKEN subkey.
 *   - Why not Argon2 like passwords: the secret is 256 random bits, not a human's choice, so
 *     there is nothing to guess; a slow hash would only make every DICOMweb request slow.
 *   - Why keyed: a copy of the database alone (a backup) cannot even test a candidate token.
 *   - Lookup is by the hash (unique index); the row found is compared once more with the
 *     computed hash in constant time (sodium_memcmp), so nothing about the secret leaks by timing
 *     and a lookup that ever matched loosely would still not authenticate.
 * A token authenticates only under /dicom-web/ (http/auth.c), expires (1..365 days, default 30),
 * can be revoked, and is read-only (GET, HEAD) unless staff made it with can_store (STOW-RS).
 * Every use writes an audit row; the secret never appears in an audit row or a log. */
#ifndef SECONDOP_CORE_TOKENS_H
#define SECONDOP_CORE_TOKENS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/accounts.h"
#include "core/actor.h"
#include "util/err.h"

struct arena;

#define TOK_PREFIX "sop_"
#define TOK_PREFIX_LEN 4
#define TOK_SECRET_BYTES 32
#define TOK_CHARS (TOK_PREFIX_LEN + 43) /* 47 */
#define TOK_BUF (TOK_CHARS + 1)
#define TOK_HASH_BYTES 32
#define TOK_LABEL_MAX 80       /* characters */
#define TOK_DAYS_DEFAULT 30
#define TOK_DAYS_MAX 365
#define TOK_MAX_ACTIVE 20      /* live tokens per account */

/* ---- pure functions (tests/unit/test_tokens.c) ---- */

/* Writes the text form of a secret into out. */
void tok_format(const unsigned char secret[TOK_SECRET_BYTES], char out[TOK_BUF]);
/* Parses a token's text into its secret: 0, or -1 when it is not exactly "sop_" and 43 base64url
 * characters that decode to 32 bytes (a wrong prefix, length, alphabet, padding or trailing
 * bits). Never reads past the terminating NUL. */
int tok_parse(const char *text, unsigned char secret[TOK_SECRET_BYTES]);
/* The token in an Authorization header value: the text after "Bearer " (scheme case-insensitive,
 * one or more spaces), or NULL when the header is not a Bearer one. The token is not checked. */
const char *tok_from_authorization(const char *header);
/* Keyed BLAKE2b-256 of a secret with key (32 bytes) into out. */
void tok_hash(const unsigned char key[32], const unsigned char secret[TOK_SECRET_BYTES],
              unsigned char out[TOK_HASH_BYTES]);
/* The expiry in days from a form value: NULL or "" gives TOK_DAYS_DEFAULT; otherwise 1..365
 * written in decimal digits only (no sign, space or leading zeros beyond one digit). 0, or -1. */
int tok_parse_days(const char *text, int *days);
/* 0 when label is 1..TOK_LABEL_MAX characters of valid UTF-8 without control characters and not
 * only spaces; else -1. */
int tok_label_ok(const char *label);

/* ---- the domain ---- */

/* One token as the account page lists it (strings in the arena). */
struct tok_info {
  long long id;
  const char *label;
  const char *created, *expires, *last_used; /* "YYYY-MM-DD HH:MM" UTC; last_used "" when never */
  bool can_store, expired, revoked;
};

/* Makes a token for the actor (patient, staff or reviewer). label, days and can_store are the
 * form's texts (may be NULL). Field errors (ERR_INVALID, nothing saved): label missing or too
 * long, days out of 1..365, can_store by anyone but staff, more than TOK_MAX_ACTIVE live
 * tokens. On ERR_OK the token's text is in token (wipe it once shown) and *id its row; an audit
 * row access_token.create records id, label, days and scope (never the secret). */
enum err tokens_create(struct arena *a, const struct actor *who, const char *label, const char *days,
                       const char *can_store, struct acct_errors *errs, char token[TOK_BUF], long long *id);
/* The actor's tokens, newest first (revoked ones left out). */
enum err tokens_list(struct arena *a, const struct actor *who, struct tok_info **out, size_t *n);
/* Revokes one of the actor's own tokens (audited). ERR_NOT_FOUND when it is not theirs or was
 * revoked already. */
enum err tokens_revoke(struct arena *a, const struct actor *who, long long id);

/* Who a bearer token is, for the HTTP layer. */
struct tok_principal {
  long long token_id, user_id;
  unsigned role;               /* ACCT_ROLE_* */
  const char *email, *name, *label;
  bool can_store;              /* the token's scope, and the user is still staff */
};

/* Authenticates the token text sent in an Authorization header; who is the anonymous actor of
 * the request (its address and request id). Failures are counted per address (core/throttle.h
 * policy, bearer_ip counter):
 *   ERR_OK: *out filled, last use recorded;
 *   ERR_UNAUTHENTICATED: malformed, unknown, expired, revoked, or its account disabled (one
 *     answer for all, a failure counted);
 *   ERR_TOO_MANY: this address is cooling down after failures (*retry_after seconds): the token
 *     was not looked at;
 *   ERR_UNAVAILABLE / ERR_INTERNAL: the database. */
enum err tokens_authenticate(struct arena *a, const struct actor *who, const char *text, struct tok_principal *out,
                             int *retry_after);
/* Writes the audit row for one DICOMweb request made with a token: who, token id and label,
 * method and path (never the secret nor the query). */
enum err tokens_audit_use(const struct actor *who, const struct tok_principal *t, const char *method,
                          const char *path);
/* The token form for the one form layer (core/form.h): label (1-80
 * characters), days (1-TOK_DAYS_MAX, absent: TOK_DAYS_DEFAULT), can_store (a tick). The token itself
 * is never a form value: it is shown once and never echoed. */
struct form_spec;
const struct form_spec *tokens_create_form(void);
#endif
