/* Authentication, CSRF and the MFA gate for every request: see auth.h. */
#include "http/auth.h"

#include <ClearSilver.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/secrets.h"
#include "core/tokens.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/router.h"
#include "http/server.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

_Static_assert(ROLE_PATIENT == ACCT_ROLE_PATIENT && ROLE_STAFF == ACCT_ROLE_STAFF &&
                   ROLE_REVIEWER == ACCT_ROLE_REVIEWER && ROLE_ADMIN == ACCT_ROLE_ADMIN,
               "role bits of http/req.h and core/accounts.h differ");

#define PRE_NONCE_CHARS 43

static const char *sid_name(const struct req *r) { return r->tls ? "__Host-sid" : "sid"; }
static const char *pre_name(const struct req *r) { return r->tls ? "__Host-csrf" : "csrf"; }

const char *auth_session_cookie(struct req *r) { return kv_get(&r->cookies, sid_name(r)); }

void auth_set_session_cookie(struct req *r, const char *token) {
  char *c = arena_printf(r->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", sid_name(r), token,
                         r->tls ? "; Secure" : "");
  if (c) req_set_cookie(r, c);
}

void auth_clear_session_cookie(struct req *r) {
  char *c = arena_printf(r->arena, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s", sid_name(r),
                         r->tls ? "; Secure" : "");
  if (c) req_set_cookie(r, c);
}

bool auth_mfa_pending(const struct principal *p) {
  if (!p || p->mfa_passed) return false;
  return (p->role & ROLE_CENTER) || p->mfa_enrolled;
}

/* The form token that matches a pre-session nonce: base64url of a keyed
 * BLAKE2b of the nonce, written into out (44 bytes). 0 or -1. */
static int pre_token(const char *nonce, char out[ACCT_TOKEN_BUF]) {
  unsigned char mac[32];
  char buf[64];
  int n = snprintf(buf, sizeof buf, "pre-session:%s", nonce);
  if (n < 0 || (size_t)n >= sizeof buf) return -1;
  if (secrets_mac(SECRET_CSRF, buf, (size_t)n, mac) != 0) return -1;
  sodium_bin2base64(out, ACCT_TOKEN_BUF, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return 0;
}

/* True when s is exactly n characters of base64url. */
static bool b64url_len(const char *s, size_t n) {
  if (!s || strlen(s) != n) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
      return false;
  return true;
}

/* Constant-time equality of two NUL-terminated tokens. */
static bool token_eq(const char *a, const char *b) {
  size_t n = strlen(a);
  return n == strlen(b) && n > 0 && sodium_memcmp(a, b, n) == 0;
}

int auth_anon_csrf(struct req *r) {
  const char *nonce = kv_get(&r->cookies, pre_name(r));
  if (!b64url_len(nonce, PRE_NONCE_CHARS)) {
    unsigned char raw[32];
    char *fresh = arena_alloc(r->arena, ACCT_TOKEN_BUF);
    if (!fresh) return -1;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(fresh, ACCT_TOKEN_BUF, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *c = arena_printf(r->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", pre_name(r), fresh,
                           r->tls ? "; Secure" : "");
    if (!c) return -1;
    req_set_cookie(r, c);
    nonce = fresh;
  }
  char tok[ACCT_TOKEN_BUF];
  if (pre_token(nonce, tok) != 0) return -1;
  HDF *hdf = req_hdf(r);
  if (!hdf) return -1;
  /* a logged-in visitor's forms carry the session token instead */
  if (!r->user) hdf_set_value(hdf, "Csrf.Token", tok);
  return 0;
}

/* True for the DICOMweb routes, the only place a bearer token is accepted. */
static bool dicomweb_route(const struct route *rt) { return rt && strncmp(rt->pattern, "/dicom-web/", 11) == 0; }

/* A request under /dicom-web/ with `Authorization: Bearer …` is its token's owner, whatever
 * cookie comes along. Refusals: an unusable token 401 with WWW-Authenticate error="invalid_token"
 * (one answer for malformed, unknown, expired, revoked or a disabled account); an address
 * cooling down after failed tokens 429; a read-only token on anything but GET/HEAD 403 with
 * error="insufficient_scope". Each request made with a token is audited before it is served. */
static enum err authenticate_bearer(struct req *r, const char *text) {
  struct tok_principal t;
  int retry = 0;
  struct actor anon = actor_from_req(r); /* r->user is still NULL: address and request id */
  enum err e = tokens_authenticate(r->arena, &anon, text, &t, &retry);
  switch (e) {
  case ERR_OK:
    break;
  case ERR_UNAUTHENTICATED:
    r->www_authenticate = "Bearer realm=\"secondop\", error=\"invalid_token\"";
    return e;
  case ERR_TOO_MANY:
    r->retry_after = retry;
    return e;
  default:
    return e;
  }
  struct principal *p = arena_alloc(r->arena, sizeof *p);
  if (!p) return ERR_INTERNAL;
  p->user_id = t.user_id;
  p->role = (enum role)t.role;
  p->email = t.email;
  p->name = t.name;
  p->mfa_enrolled = true; /* the token was made in a session that passed the second factor */
  p->mfa_passed = true;
  p->token_id = t.token_id;
  p->token_can_store = t.can_store;
  r->user = p;
  struct actor who = actor_from_req(r);
  if (tokens_audit_use(&who, &t, r->method, r->path) != ERR_OK) {
    LOG_W("could not audit a token's use for request %s", r->id);
    return ERR_UNAVAILABLE;
  }
  if (!t.can_store && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
    r->www_authenticate = "Bearer realm=\"secondop\", error=\"insufficient_scope\"";
    return ERR_FORBIDDEN;
  }
  return ERR_OK;
}

/* authenticate hook: fills r->user from a live session, or under /dicom-web/ from a bearer token. */
static enum err authenticate(struct req *r) {
  const struct route *rt = r->route;
  /* static files and probes need no session (and no database round trip) */
  if (rt && (strncmp(rt->pattern, "/static/", 8) == 0 || strcmp(rt->pattern, "/healthz") == 0 ||
             strcmp(rt->pattern, "/readyz") == 0))
    return ERR_OK;
  /* a bearer token is no login for the portal's pages or /api: there it is ignored */
  const char *bearer = tok_from_authorization(req_header(r, "Authorization"));
  if (bearer && dicomweb_route(rt)) return authenticate_bearer(r, bearer);
  const char *tok = auth_session_cookie(r);
  if (!tok) return ERR_OK;
  struct actor who = actor_from_req(r);
  struct acct_session s;
  enum err e = acct_session_lookup(r->arena, &who, tok, &s);
  if (e == ERR_NOT_FOUND) {
    auth_clear_session_cookie(r);
    return ERR_OK;
  }
  if (e != ERR_OK) return e;
  struct principal *p = arena_alloc(r->arena, sizeof *p);
  if (!p) return ERR_INTERNAL;
  p->user_id = s.user_id;
  p->role = (enum role)s.role;
  p->email = s.email;
  p->name = s.name;
  p->tz = s.time_zone && *s.time_zone ? s.time_zone : TZ_DEFAULT;
  p->session_id = s.id;
  p->csrf = s.csrf;
  p->mfa_enrolled = s.mfa_enrolled;
  p->mfa_passed = s.mfa_passed;
  p->idle_expires = s.idle_expires;
  r->user = p;
  if (rt && auth_mfa_pending(p) && !(rt->flags & (RF_NO_MFA | RF_PUBLIC))) return ERR_FORBIDDEN;
  return ERR_OK;
}

/* check_csrf hook: the session's token, or for public forms the pre-session one. */
static enum err check_csrf(struct req *r) {
  const char *t = req_form(r, "csrf");
  if (!t) t = req_header(r, "X-CSRF-Token");
  /* a bearer token is sent by the program that holds it, never added by a browser on another
   * site's behalf: there is nothing to forge (and such requests are only under /dicom-web/) */
  if (r->user && r->user->token_id) return ERR_OK;
  if (!t || !*t) return ERR_CSRF;
  if (r->user && r->user->csrf && token_eq(t, r->user->csrf)) return ERR_OK;
  if (r->route && (r->route->flags & RF_PUBLIC)) {
    const char *nonce = kv_get(&r->cookies, pre_name(r));
    char want[ACCT_TOKEN_BUF];
    if (b64url_len(nonce, PRE_NONCE_CHARS) && pre_token(nonce, want) == 0 && token_eq(t, want)) return ERR_OK;
  }
  return ERR_CSRF;
}

/* A logged-in user refused by the route table's role check leaves an audit
 * row: who, which route, from where (actor_from_req carries the address and
 * request id). Anonymous 401s are not audited: they would only flood. */
static void audit_role_refusal(struct req *r) {
  struct actor who = actor_from_req(r);
  json_t *d = json_pack("{s:s,s:s}", "method", r->method, "path", r->path ? r->path : "");
  char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
  json_decref(d);
  struct audit_event ev = {.action = "access.role_denied", .object_type = "route", .object_id = r->route->pattern,
                           .outcome = "denied", .detail_json = detail};
  if (audit_write(&who, &ev) != ERR_OK) LOG_W("could not audit a role refusal for request %s", r->id);
  free(detail);
}

/* after hook: a role refusal is audited; a page refused by the MFA gate
 * becomes a redirect to the second-factor step (or to enrolment when there
 * is no factor yet). */
static void after(struct req *r) {
  if (r->role_refused && r->user && r->route) audit_role_refusal(r);
  /* DICOMweb clients learn how to authenticate (RFC 6750 section 3) */
  if (r->resp && r->status == 401 && strncmp(r->path ? r->path : "", "/dicom-web/", 11) == 0)
    reply_header(r, "WWW-Authenticate", r->www_authenticate ? r->www_authenticate : "Bearer realm=\"secondop\"");
  if (r->resp && r->status == 403 && r->www_authenticate) reply_header(r, "WWW-Authenticate", r->www_authenticate);
  if (r->resp && r->status == 429 && r->retry_after > 0) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", r->retry_after);
    reply_header(r, "Retry-After", ra);
  }
  if (r->early_error != ERR_FORBIDDEN || r->is_api || !r->user || !r->route) return;
  if (!auth_mfa_pending(r->user) || (r->route->flags & (RF_NO_MFA | RF_PUBLIC))) return;
  reply_redirect(r, r->user->mfa_enrolled ? "/login/2fa" : "/account/2fa");
}

void auth_install(void) {
  static const struct http_hooks h = {authenticate, check_csrf, after};
  http_set_hooks(&h);
}
