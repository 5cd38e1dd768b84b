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
#endif
