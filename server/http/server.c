#include "http/server.h"
#include "store/dbstats.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/metrics.h"
#include "http/reply.h"
#include "http/router.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

#define MAX_HEADER_BYTES (16 * 1024)
#define MAX_URL_BYTES 4096
#define DEFAULT_FORM_LIMIT (256 * 1024)
#define DEFAULT_JSON_LIMIT (256 * 1024)
#define REQ_ARENA_LIMIT (8u * 1024 * 1024)
/* A chunked body refused while it arrives is read and dropped up to this
 * much, so the client still gets our answer (libmicrohttpd cannot queue one
 * mid-body); past it the connection is closed. */
#define MAX_DISCARD_BYTES (8ull * 1024 * 1024)

static struct MHD_Daemon *daemon_;
static atomic_uint in_flight;
static struct http_hooks hooks;
static const struct parse_limits form_limits = {.max_fields = 200, .max_name = 64, .max_value = 64 * 1024};
static const struct parse_limits query_limits = {.max_fields = 50, .max_name = 64, .max_value = 2048};
static const struct parse_limits cookie_limits = {.max_fields = 50, .max_name = 64, .max_value = 4096};

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

void http_set_hooks(const struct http_hooks *h) { hooks = *h; }

static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static void (*stop_fns[8])(void);
static size_t n_stop_fns;

void http_on_stop(void (*fn)(void)) {
  pthread_mutex_lock(&stop_mu);
  if (n_stop_fns < sizeof stop_fns / sizeof stop_fns[0]) stop_fns[n_stop_fns++] = fn;
  pthread_mutex_unlock(&stop_mu);
}

void req_park(struct req *r, void (*resume)(struct req *r), void (*parked)(struct req *r)) {
  r->park_resume = resume;
  r->park_parked = parked;
  r->parking = true;
}

void req_wake(struct req *r) { MHD_resume_connection(r->conn); }
unsigned http_in_flight(void) { return atomic_load(&in_flight); }

/* ---- header inspection ---- */

struct header_scan {
  unsigned n_content_length, n_transfer_encoding, n_host;
  size_t bytes;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  struct header_scan *s = cls;
  if (strcasecmp(key, "Content-Length") == 0) s->n_content_length++;
  if (strcasecmp(key, "Transfer-Encoding") == 0) s->n_transfer_encoding++;
  if (strcasecmp(key, "Host") == 0) s->n_host++;
  s->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
  return MHD_YES;
}

struct query_collect {
  struct req *r;
  enum parse_rc rc;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  struct query_collect *q = cls;
  if (q->rc != PARSE_OK) return MHD_NO;
  if (q->r->query.n >= query_limits.max_fields) {
    q->rc = PARSE_TOO_MANY;
    return MHD_NO;
  }
  bool nomem;
  size_t nl, vl = 0;
  char *k = url_decode(q->r->arena, key, strlen(key), true, &nl, &nomem);
  char *v = value ? url_decode(q->r->arena, value, strlen(value), true, &vl, &nomem) : (char *)"";
  if (!k || !v || nl == 0) {
    q->rc = PARSE_MALFORMED;
    return MHD_NO;
  }
  if (nl > query_limits.max_name || vl > query_limits.max_value) {
    q->rc = PARSE_TOO_LONG;
    return MHD_NO;
  }
  if (kv_add(q->r->arena, &q->r->query, k, v, vl) != 0) q->rc = PARSE_NOMEM;
  return MHD_YES;
}

/* Decodes and checks the path: no NUL, no "." or ".." segments, no
 * backslashes, valid UTF-8. NULL when it is not acceptable. */
static const char *clean_path(struct arena *a, const char *raw) {
  size_t n = strlen(raw);
  if (n == 0 || raw[0] != '/' || n > MAX_URL_BYTES) return NULL;
  bool nomem;
  size_t len;
  char *p = url_decode(a, raw, n, false, &len, &nomem);
  if (!p || strchr(p, '\\')) return NULL;
  for (const char *s = p; *s; s++) {
    if (*s != '/') continue;
    if (s[1] == '/') return NULL;
    if (s[1] == '.' && (s[2] == '/' || s[2] == '\0')) return NULL;
    if (s[1] == '.' && s[2] == '.' && (s[3] == '/' || s[3] == '\0')) return NULL;
  }
  return p;
}

static bool content_type_is(const char *ct, const char *want) {
  if (!ct) return false;
  size_t n = strlen(want);
  if (strncasecmp(ct, want, n) != 0) return false;
  return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool method_changes_state(const char *m) {
  return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Origin check for state-changing requests: a browser that sends Origin
 * must send ours. Same-host comparison with the Host header. */
static bool origin_ok(struct req *r) {
  /* browsers say where a request comes from; a cross-site one never passes */
  const char *site = req_header(r, "Sec-Fetch-Site");
  if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) return false;
  const char *origin = req_header(r, "Origin");
  if (!origin) return true;
  /* with Referrer-Policy: no-referrer, Chromium sends "Origin: null" on our
   * own form posts; the CSRF token (always required) decides then */
  if (strcmp(origin, "null") == 0) return site != NULL;
  const char *host = req_header(r, "Host");
  if (!host) return false;
  const char *p = strstr(origin, "://");
  if (!p) return false;
  return strcmp(p + 3, host) == 0;
}

/* ---- lifecycle ---- */

/* Request ids need to be unique, not secret: a per-thread random start
 * (one getrandom per thread) stepped through splitmix64. */
static void request_id(char out[17]) {
  static _Thread_local uint64_t state;
  if (!state) randombytes_buf(&state, sizeof state);
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  snprintf(out, 17, "%016llx", (unsigned long long)z);
}

static struct req *req_new(struct MHD_Connection *c, const char *url, const char *method) {
  struct arena *a = arena_new();
  if (!a) return NULL;
  struct req *r = arena_alloc(a, sizeof *r);
  if (!r) {
    arena_free(a);
    return NULL;
  }
  r->arena = a;
  r->conn = c;
  r->start_ns = now_ns();
  r->method = arena_strdup(a, method);
  r->raw_url = arena_strdup(a, url);
  r->early_error = ERR_OK;
  request_id(r->id);
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client_ip, sizeof r->client_ip);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client_ip, sizeof r->client_ip);
  }
  const union MHD_ConnectionInfo *ti = MHD_get_connection_info(c, MHD_CONNECTION_INFO_PROTOCOL);
  r->tls = ti && ti->protocol != 0;
  arena_set_limit(a, REQ_ARENA_LIMIT);
  atomic_fetch_add(&in_flight, 1);
  return r;
}

/* Everything decided from the request line and headers. */
static void prepare(struct req *r) {
  /* DICOMweb clients are programs too: errors in JSON, 401 instead of the login page */
  r->is_api = strncmp(r->raw_url, "/api/", 5) == 0 || strncmp(r->raw_url, "/dicom-web/", 11) == 0;
  r->user_agent = req_header(r, "User-Agent");

  struct header_scan hs = {0};
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &hs);
  if (hs.bytes > MAX_HEADER_BYTES) {
    r->early_error = ERR_HEADERS_TOO_LARGE;
    return;
  }
  /* two Host headers: which one a proxy or cache used is anyone's guess (RFC 9112 §3.2: 400) */
  if (hs.n_content_length > 1 || (hs.n_content_length && hs.n_transfer_encoding) || hs.n_transfer_encoding > 1 ||
      hs.n_host > 1) {
    r->early_error = ERR_BAD_REQUEST;
    return;
  }
  const char *cl = req_header(r, "Content-Length");
  if (cl) {
    char *end;
    if (!*cl || *cl == '-' || *cl == '+') {
      r->early_error = ERR_BAD_REQUEST;
      return;
    }
    unsigned long long v = strtoull(cl, &end, 10);
    if (*end) {
      r->early_error = ERR_BAD_REQUEST;
      return;
    }
    r->has_length = true;
    r->content_length = v;
  }
  const char *te = req_header(r, "Transfer-Encoding");
  if (te) r->chunked = true;

  r->path = clean_path(r->arena, r->raw_url);
  if (!r->path) {
    r->path = "(invalid)";
    r->early_error = strlen(r->raw_url) > MAX_URL_BYTES ? ERR_URI_TOO_LONG : ERR_NOT_FOUND;
    return;
  }
  struct query_collect qc = {r, PARSE_OK};
  MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_query, &qc);
  if (qc.rc != PARSE_OK) {
    r->early_error = ERR_BAD_REQUEST;
    return;
  }
  parse_cookies(r->arena, req_header(r, "Cookie"), &cookie_limits, &r->cookies);

  const struct route *rt = NULL;
  switch (router_match(r->arena, r->method, r->path, &rt, &r->params, &r->allow)) {
  case MATCH_NOT_FOUND:
    r->early_error = ERR_NOT_FOUND;
    return;
  case MATCH_METHOD:
    LOG_I("method %s refused on %s (allowed: %s)", r->method, r->path, r->allow ? r->allow : "");
    r->early_error = ERR_METHOD;
    return;
  case MATCH_OK:
    break;
  }
  r->route = rt;

  /* body admission, from the headers alone */
  bool has_body = (r->has_length && r->content_length > 0) || r->chunked;
  size_t limit = rt->body_limit;
  if (!limit) limit = rt->body == BODY_FORM ? DEFAULT_FORM_LIMIT : rt->body == BODY_JSON ? DEFAULT_JSON_LIMIT : 0;
  if (has_body) {
    if (rt->body == BODY_NONE || (r->has_length && r->content_length > limit)) {
      r->early_error = ERR_TOO_LARGE;
      return;
    }
    const char *ct = req_header(r, "Content-Type");
    if (rt->body == BODY_FORM && !content_type_is(ct, "application/x-www-form-urlencoded")) {
      r->early_error = ERR_MEDIA_TYPE;
      return;
    }
    if (rt->body == BODY_JSON && !content_type_is(ct, "application/json")) {
      r->early_error = ERR_MEDIA_TYPE;
      return;
    }
  }

  /* who is asking, and may they */
  if (hooks.authenticate) {
    enum err e = hooks.authenticate(r);
    if (e != ERR_OK) {
      r->early_error = e;
      return;
    }
  }
  if (!(rt->flags & RF_PUBLIC)) {
    if (!r->user) {
      r->early_error = ERR_UNAUTHENTICATED;
      return;
    }
    if (!(rt->roles & r->user->role)) {
      LOG_I("role refused: user %lld on %s %s", r->user->user_id, r->method, rt->pattern);
      r->role_refused = true;
      r->early_error = ERR_FORBIDDEN;
      return;
    }
  }
  if (method_changes_state(r->method) && !origin_ok(r)) {
    r->early_error = ERR_CSRF;
    return;
  }
  if (rt->body == BODY_STREAM && rt->stream && rt->stream->begin) {
    enum err e = rt->stream->begin(r);
    if (e != ERR_OK) r->early_error = e;
  }
}

/* Takes a piece of the body. Returns false to drop the connection. */
static bool consume(struct req *r, const char *data, size_t n) {
  const struct route *rt = r->route;
  if (rt->body == BODY_STREAM) {
    enum err e = rt->stream->data(r, data, n);
    if (e != ERR_OK) r->early_error = e;
    return true;
  }
  size_t limit = rt->body_limit ? rt->body_limit : rt->body == BODY_FORM ? DEFAULT_FORM_LIMIT : DEFAULT_JSON_LIMIT;
  if (r->body_len + n > limit) {
    /* only a chunked body can get here: its size was not declared; the rest
     * is dropped (bounded) and the 413 is answered at the end */
    r->early_error = ERR_TOO_LARGE;
    r->discarded += n;
    return true;
  }
  if (r->body_len + n + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 4096;
    while (cap < r->body_len + n + 1) cap *= 2;
    if (cap > limit + 1) cap = limit + 1;
    char *b = arena_alloc(r->arena, cap);
    if (!b) return false;
    if (r->body_len) memcpy(b, r->body, r->body_len);
    r->body = b;
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, data, n);
  r->body_len += n;
  r->body[r->body_len] = '\0';
  return true;
}

static void add_standard_headers(struct req *r) {
  struct MHD_Response *resp = r->resp;
  MHD_add_response_header(resp, "Content-Security-Policy", CSP);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
  MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  if (!MHD_get_response_header(resp, "Cache-Control"))
    MHD_add_response_header(resp, "Cache-Control", r->cache_public ? "no-cache" : "no-store");
  if (r->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  if (!MHD_get_response_header(resp, "Content-Type"))
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
  for (size_t i = 0; i < r->n_set_cookie; i++)
    MHD_add_response_header(resp, "Set-Cookie", r->set_cookie[i]);
}

/* Percent-encodes s for use as one query value (unreserved characters and
 * '/' stay as they are). NULL when out of memory. */
static char *url_encode(struct arena *a, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = arena_alloc(a, n * 3 + 1), *o = out;
  if (!out) return NULL;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
        *p == '_' || *p == '.' || *p == '~' || *p == '/') {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = '\0';
  return out;
}

/* Where to come back after logging in: this page with its query, encoded
 * as one value ("/" when it would be too long). */
static const char *login_next(struct req *r) {
  const char *target = r->path ? r->path : "/";
  for (size_t i = 0; i < r->query.n && target; i++) {
    char *k = url_encode(r->arena, r->query.items[i].name), *v = url_encode(r->arena, r->query.items[i].value);
    target = k && v ? arena_printf(r->arena, "%s%c%s=%s", target, i ? '&' : '?', k, v) : NULL;
  }
  const char *enc = target ? url_encode(r->arena, target) : NULL;
  return enc && strlen(enc) < 1024 ? enc : "/";
}

static void finish(struct req *r) {
  if (r->early_error != ERR_OK) goto error;
  const struct route *rt = r->route;
  if (rt->body == BODY_FORM && r->body_len) {
    switch (parse_urlencoded(r->arena, r->body, r->body_len, &form_limits, &r->form)) {
    case PARSE_OK:
      break;
    case PARSE_MALFORMED:
    case PARSE_TOO_MANY:
    case PARSE_TOO_LONG:
      r->early_error = ERR_BAD_FORM;
      goto error;
    case PARSE_NOMEM:
      r->early_error = ERR_INTERNAL;
      goto error;
    }
  }
  if (method_changes_state(r->method) && !(rt->flags & RF_NO_CSRF) && hooks.check_csrf) {
    enum err e = hooks.check_csrf(r);
    if (e != ERR_OK) {
      r->early_error = e;
      goto error;
    }
  }
  /* the person's zone for the pages' times (util/tz.h), set here and not at
   * authentication: a thread serves other connections between the calls of one request */
  tz_view_set(r->user ? r->user->tz : NULL);
#ifdef SECONDOP_TEST_HOOKS
  unsigned long sql_before = db_statements_sent();
#endif
  rt->handler(r);
  tz_view_set(NULL);
#ifdef SECONDOP_TEST_HOOKS
  /* what the handler cost in SQL statements, for tests that bound it (a parked request has none yet) */
  if (r->resp && !r->parking) {
    char n[24];
    snprintf(n, sizeof n, "%lu", db_statements_sent() - sql_before);
    reply_header(r, "X-Test-Sql-Statements", n);
  }
#endif
  if (r->parking) return; /* answered when woken (req_park) */
  if (!r->resp) reply_error(r, ERR_INTERNAL, NULL);
  goto out;
error:
  if (r->early_error == ERR_UNAUTHENTICATED && !r->is_api && strcmp(r->method, "GET") == 0) {
    char *loc = arena_printf(r->arena, "/login?next=%s", login_next(r));
    reply_redirect(r, loc ? loc : "/login");
  } else {
    reply_error(r, r->early_error, NULL);
  }
  if (r->route && r->route->stream && r->route->stream->fail) r->route->stream->fail(r);
out:
  if (hooks.after) hooks.after(r);
}

static enum MHD_Result queue(struct req *r) {
  if (!r->resp) return MHD_NO;
  add_standard_headers(r);
  enum MHD_Result ok = MHD_queue_response(r->conn, r->status, r->resp);
  MHD_destroy_response(r->resp);
  r->resp = NULL;
  return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
  (void)cls;
  (void)version;
  struct req *r = *req_cls;
  if (!r) {
    r = req_new(c, url, method);
    if (!r) return MHD_NO;
    *req_cls = r;
    prepare(r);
    bool body_coming = (r->has_length && r->content_length > 0) || r->chunked;
    if (r->early_error != ERR_OK && body_coming) {
      /* refuse from the headers: none of the body is read */
      finish(r);
      return queue(r);
    }
    return MHD_YES;
  }
  if (r->parked) { /* woken (req_wake): the handler's second half answers */
    r->parked = false;
    r->park_resume(r);
    if (!r->resp) reply_error(r, ERR_INTERNAL, NULL);
    if (hooks.after) hooks.after(r);
    return queue(r);
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (r->early_error != ERR_OK) { /* discard, within bounds */
      r->discarded += n;
      /* a declared length bounds itself; a chunked body only by our cap */
      return r->has_length || r->discarded <= MAX_DISCARD_BYTES ? MHD_YES : MHD_NO;
    }
    return consume(r, upload_data, n) ? MHD_YES : MHD_NO;
  }
  finish(r);
  if (r->parking) {
    r->parking = false;
    r->parked = true;
    MHD_suspend_connection(c);
    r->park_parked(r); /* from here on, whoever holds r wakes it */
    return MHD_YES;
  }
  return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  struct req *r = *req_cls;
  if (!r) return;
  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->route && r->route->stream && r->route->stream->abort)
    r->route->stream->abort(r);
  char path[600], ua[200];
  log_escape(r->path ? r->path : r->raw_url, path, sizeof path);
  log_escape(r->user_agent ? r->user_agent : "", ua, sizeof ua);
  LOG_I("access req=%s ip=%s method=%s path=\"%s\" route=%s status=%u bytes=%llu us=%llu user=%lld ua=\"%s\"%s",
        r->id, r->client_ip, r->method, path, r->route && r->route->name ? r->route->name : "-", r->status,
        (unsigned long long)r->resp_bytes, (unsigned long long)req_elapsed_us(r),
        r->user ? r->user->user_id : 0LL, ua, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
  metrics_observe(r->route ? r->route->name : NULL, r->status, req_elapsed_us(r));
  *req_cls = NULL;
  atomic_fetch_sub(&in_flight, 1);
  arena_free(r->arena);
}

/* Keep the URL as sent: the path is decoded and checked by clean_path(),
 * query values by collect_query(), so nothing is decoded twice. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls;
  (void)c;
  return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char buf[512];
  vsnprintf(buf, sizeof buf, fmt, ap);
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
  LOG_D("libmicrohttpd: %s", buf);
}

int http_start(const struct http_config *cfg, uint16_t *bound_port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (strchr(cfg->host, ':')) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(cfg->port);
    if (inet_pton(AF_INET6, cfg->host, &s6->sin6_addr) != 1) return -1;
    sl = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(cfg->port);
    if (inet_pton(AF_INET, cfg->host, &s4->sin_addr) != 1) return -1;
    sl = sizeof *s4;
  }
  (void)sl;
  /* poll(), not epoll: libmicrohttpd 0.9.75's edge-triggered epoll loop misses
   * a client's FIN that arrives together with the last body bytes (it stops
   * reading after a short read), so a dropped PATCH kept its upload locked
   * until the connection timed out. Level-triggered poll sees it at once. */
  unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
  if (strchr(cfg->host, ':')) flags |= MHD_USE_IPv6;
  bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
  if (tls) flags |= MHD_USE_TLS;
  struct MHD_OptionItem opts[24];
  size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){o, (intptr_t)(v), p}
  OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
  OPT(MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL);
  OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL);
  OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_connections, NULL);
  OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds, NULL);
  /* libmicrohttpd zeroes the whole per-connection pool for every request:
   * 256 KiB cost a third of the CPU per request (perf); 32 KiB is its default. */
  OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->memory_limit ? cfg->memory_limit : 32 * 1024, NULL);
  OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
  OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL);
  OPT(MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL);
  OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);
  if (tls) {
    OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem);
    OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem);
    OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
        (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:"
                "+AES-128-GCM:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:%SAFE_RENEGOTIATION");
  }
  OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
  daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_access, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!daemon_) return -1;
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  *bound_port = di ? di->port : cfg->port;
  return 0;
}

void http_stop(unsigned grace_ms) {
  if (!daemon_) return;
  /* parked requests are woken first: the daemon cannot stop with a connection suspended */
  pthread_mutex_lock(&stop_mu);
  size_t n = n_stop_fns;
  pthread_mutex_unlock(&stop_mu);
  for (size_t i = 0; i < n; i++) stop_fns[i]();
  MHD_socket s = MHD_quiesce_daemon(daemon_);
  if (s != MHD_INVALID_SOCKET) close(s);
  for (unsigned waited = 0; atomic_load(&in_flight) > 0 && waited < grace_ms; waited += 20) usleep(20000);
  MHD_stop_daemon(daemon_);
  daemon_ = NULL;
}
