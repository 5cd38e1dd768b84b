/* The per-request context. Created on the first libmicrohttpd callback for a
 * request, freed (with its arena) in the completion callback. */
#ifndef SECONDOP_REQ_H
#define SECONDOP_REQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/kv.h"
#include "util/err.h"

struct arena;
struct route;
struct MHD_Connection;
struct MHD_Response;
struct _hdf;

/* Roles as bits, so a route can admit several. */
enum role {
  ROLE_PATIENT = 1 << 0,
  ROLE_STAFF = 1 << 1,
  ROLE_REVIEWER = 1 << 2,
  ROLE_ADMIN = 1 << 3,
};
#define ROLE_ANY_USER (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER | ROLE_ADMIN)
#define ROLE_CENTER (ROLE_STAFF | ROLE_REVIEWER | ROLE_ADMIN)

/* Who is asking: filled from the session cookie before the handler runs. */
struct principal {
  long long user_id;
  enum role role;
  const char *email, *name;
  const char *tz; /* the person's time zone (util/tz.h): every time shown to them is in it */
  long long session_id;
  const char *csrf;       /* the session's CSRF token, as sent in forms */
  bool mfa_enrolled;      /* TOTP set up */
  bool mfa_passed;        /* this session passed the second factor */
  long long idle_expires; /* unix time when the session ends if idle */
  long long token_id;     /* a DICOMweb personal access token authenticated (session_id 0, csrf NULL) */
  bool token_can_store;   /* that token may send studies (STOW-RS) */
};

struct req {
  struct arena *arena;
  struct MHD_Connection *conn;
  const struct route *route;
  const char *method, *path, *raw_url;
  char id[17];         /* request id, shown as the incident number on errors */
  char client_ip[48];
  const char *user_agent;
  bool is_api;         /* path under /api/: errors answer JSON */
  bool tls;
  uint64_t start_ns;

  struct kv_list params;  /* path parameters from the route pattern */
  struct kv_list query;
  struct kv_list cookies;
  struct kv_list form;    /* urlencoded body */

  /* body */
  uint64_t content_length; /* declared, when has_length */
  bool has_length, chunked;
  char *body;
  size_t body_len, body_cap;

  /* decided before or while the body arrives: answered at the end */
  enum err early_error;
  const char *allow;       /* Allow header for 405 */
  bool role_refused;       /* a logged-in user whose role the route does not admit (audited) */
  uint64_t discarded;      /* body bytes dropped after a refusal */

  /* streaming body handler state (tus PATCH) */
  void *stream_ctx;

  /* parked (req_park, http/server.h): answered later by park_resume */
  void (*park_resume)(struct req *r);
  void (*park_parked)(struct req *r);
  bool parking, parked;

  struct principal *user;  /* NULL when anonymous */
  struct _hdf *hdf;        /* page data; created by req_hdf() */
  const char *set_cookie[4];
  size_t n_set_cookie;

  /* response */
  struct MHD_Response *resp;
  unsigned status;
  uint64_t resp_bytes;
  bool cache_public;       /* static assets: cacheable */
  const char *www_authenticate; /* WWW-Authenticate for a refused bearer token (added by the after hook) */
  int retry_after;         /* seconds, for a 429 decided before the handler */
};

/* The request's HDF (page data), created on first use and freed with the
 * request. NULL when out of memory. */
struct _hdf *req_hdf(struct req *r);
/* Header value from the request, or NULL. */
const char *req_header(struct req *r, const char *name);
/* Value of a path parameter, query or form field; NULL when absent. */
const char *req_param(struct req *r, const char *name);
const char *req_query(struct req *r, const char *name);
/* An instant as the store gives it (the wire form of util/tz.h) in the words
 * and time zone of the person asking (UTC when anonymous), through tz_format:
 * style 0 "2026-12-01 14:05 CET", 1 "Tuesday 1 December 2026 at 14:05 CET",
 * 2 the local date "2026-12-01" (enum tz_style). Any other text, "" included,
 * comes back unchanged. Arena-owned. */
const char *req_when(struct req *r, const char *wire, int style);
/* The asking person's time zone name (TZ_DEFAULT when anonymous). */
const char *req_tz(const struct req *r);
const char *req_form(struct req *r, const char *name);
/* Queues a Set-Cookie header for the response (value borrowed from the arena). */
void req_set_cookie(struct req *r, const char *cookie);
/* Time since the request started, in microseconds. */
uint64_t req_elapsed_us(const struct req *r);
/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);
#endif
