/* /metrics counters: see metrics.h. */
#include "http/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024 /* routes × statuses seen; a full table counts in the overflow slot */

struct slot {
  const char *route;
  unsigned status;
  unsigned long long n;
};

static struct slot table[SLOTS];
static unsigned long long overflow;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bounds_us[] = {1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};
#define NB (sizeof bounds_us / sizeof bounds_us[0])
static atomic_ullong buckets[NB + 1];
static atomic_ullong sum_us;

void metrics_observe(const char *route, unsigned status, uint64_t elapsed_us) {
  if (!route) route = "-";
  size_t b = 0;
  while (b < NB && elapsed_us > bounds_us[b]) b++;
  atomic_fetch_add(&buckets[b], 1);
  atomic_fetch_add(&sum_us, elapsed_us);
  uintptr_t h = ((uintptr_t)route >> 3) * 31u + status;
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < SLOTS; i++) {
    struct slot *s = &table[(h + i) % SLOTS];
    if (!s->route) {
      s->route = route;
      s->status = status;
    }
    if (s->route == route && s->status == status) {
      s->n++;
      pthread_mutex_unlock(&mu);
      return;
    }
  }
  overflow++;
  pthread_mutex_unlock(&mu);
}

int metrics_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
  for (;;) {
    size_t room = *cap - *len;
    va_list ap;
    va_start(ap, fmt);
    int n = *buf ? vsnprintf(*buf + *len, room, fmt, ap) : -2;
    va_end(ap);
    if (n >= 0 && (size_t)n < room) {
      *len += (size_t)n;
      return 0;
    }
    if (n == -1) return -1;
    size_t ncap = *cap ? *cap * 2 : 8192;
    while (n > 0 && ncap - *len <= (size_t)n) ncap *= 2;
    char *q = realloc(*buf, ncap);
    if (!q) return -1;
    *buf = q;
    *cap = ncap;
  }
}

int metrics_render_http(char **buf, size_t *len, size_t *cap) {
  int rc = metrics_appendf(buf, len, cap,
                           "# HELP secondop_http_requests_total HTTP requests served, by route and status code.\n"
                           "# TYPE secondop_http_requests_total counter\n");
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < SLOTS && rc == 0; i++)
    if (table[i].route)
      rc = metrics_appendf(buf, len, cap, "secondop_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                           table[i].route, table[i].status, table[i].n);
  unsigned long long of = overflow;
  pthread_mutex_unlock(&mu);
  if (rc == 0 && of)
    rc = metrics_appendf(buf, len, cap, "secondop_http_requests_total{route=\"other\",status=\"other\"} %llu\n", of);
  if (rc == 0)
    rc = metrics_appendf(buf, len, cap,
                         "# HELP secondop_http_request_duration_seconds Time from the first byte of a request to its "
                         "completion.\n# TYPE secondop_http_request_duration_seconds histogram\n");
  unsigned long long cum = 0;
  for (size_t b = 0; b < NB && rc == 0; b++) {
    cum += atomic_load(&buckets[b]);
    rc = metrics_appendf(buf, len, cap, "secondop_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                         (double)bounds_us[b] / 1e6, cum);
  }
  cum += atomic_load(&buckets[NB]);
  if (rc == 0)
    rc = metrics_appendf(buf, len, cap,
                         "secondop_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                         "secondop_http_request_duration_seconds_sum %.6f\n"
                         "secondop_http_request_duration_seconds_count %llu\n",
                         cum, (double)atomic_load(&sum_us) / 1e6, cum);
  return rc;
}
