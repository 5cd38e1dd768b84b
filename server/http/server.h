/* The libmicrohttpd daemon: thread pool, request lifecycle, limits,
 * security headers, access log and graceful shutdown. */
#ifndef SECONDOP_SERVER_H
#define SECONDOP_SERVER_H
#include <stddef.h>
#include <stdint.h>

#include "http/req.h"

struct http_config {
  const char *host;          /* numeric IPv4/IPv6 address to bind */
  uint16_t port;             /* 0 picks a free port */
  unsigned threads;          /* worker threads in the pool */
  const char *tls_cert_pem;  /* both set: HTTPS */
  const char *tls_key_pem;
  unsigned max_connections;
  unsigned per_ip_connections;
  unsigned timeout_seconds;
  size_t memory_limit;       /* per-connection pool; 0 = 32 KiB */
};

/* Hooks the accounts layer installs: fill r->user from the session cookie
 * (return ERR_OK when anonymous too), and check CSRF on a state-changing request. */
struct http_hooks {
  enum err (*authenticate)(struct req *r);
  enum err (*check_csrf)(struct req *r);
  /* called after the handler, e.g. to refresh the session cookie */
  void (*after)(struct req *r);
};
void http_set_hooks(const struct http_hooks *h);

/* Starts the daemon; *bound_port receives the port actually bound. 0 or -1. */
int http_start(const struct http_config *cfg, uint16_t *bound_port);
/* Stops accepting, waits up to grace_ms for requests in flight, then stops. */
void http_stop(unsigned grace_ms);
/* Requests currently being served (for /metrics and shutdown). */
unsigned http_in_flight(void);

/* Parking a request that waits for background work without holding its HTTP thread (which also
 * serves other connections): a handler calls req_park(r, resume, parked) instead of replying.
 * Once the connection is suspended (libmicrohttpd suspend/resume), parked(r) runs on the HTTP
 * thread and hands r to whoever will wake it; req_wake(r), from any thread, resumes it, and
 * resume(r) then runs on an HTTP thread and replies as a handler would. The waking side must not
 * touch r after req_wake, and must wake every request it holds when http_stop begins (see
 * http_on_stop): the daemon cannot stop with a connection suspended. */
void req_park(struct req *r, void (*resume)(struct req *r), void (*parked)(struct req *r));
void req_wake(struct req *r);
/* Registers fn to run first in http_stop (at most 8; thread-safe). */
void http_on_stop(void (*fn)(void));
#endif
