/* Request counters for /metrics: requests by route name and status code, and
 * a latency histogram. Lock-light: one mutex around a small open-addressing
 * table, atomics for the histogram. */
#ifndef SECONDOP_METRICS_H
#define SECONDOP_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* Counts one finished request. route may be NULL (unmatched: "-"); it must be
 * a static string (route table names are). */
void metrics_observe(const char *route, unsigned status, uint64_t elapsed_us);
/* Appends the counters in Prometheus text format to a malloc'd buffer
 * (buf, len and cap grow as needed). 0, or -1 when out of memory. */
int metrics_render_http(char **buf, size_t *len, size_t *cap);
/* printf-append helper used by the /metrics route. 0 or -1. */
int metrics_appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#endif
