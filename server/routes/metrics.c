/* GET /metrics: Prometheus text format (version 0.0.4). Requests by route
 * and status, the latency histogram, requests per status, the overdue count,
 * the outbox backlog and the stored files' consistency sweep. Answered to a scraper presenting the configured
 * bearer token (--metrics-token-file) and to admins who passed the second
 * factor; a wrong token gets 401, anyone else 404 (the page does not exist
 * for them). Being on loopback grants nothing: a reverse proxy on the same
 * host would make every visitor a loopback client. */
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alerts.h"
#include "core/center.h"
#include "core/requests.h"
#include "core/comm_tasks.h"
#include "core/health.h"
#include "http/metrics.h"
#include "http/reply.h"
#include "http/server.h"
#include "store/blobstore.h"
#include "routes/routes.h"
#include "util/arena.h"

#define MIN_TOKEN_CHARS 32

/* BLAKE2b-256 of the configured token; set once before the threads start. */
static unsigned char token_hash[32];
static bool token_set;

int metrics_set_token(const char *token, size_t len) {
  if (len < MIN_TOKEN_CHARS) return -1;
  crypto_generichash(token_hash, sizeof token_hash, (const unsigned char *)token, len, NULL, 0);
  token_set = true;
  return 0;
}

/* 1: the Authorization header carries the configured bearer token; 0: no
 * bearer token presented; -1: a token that does not match. Compares hashes
 * in constant time, so neither the token nor its length leaks by timing. */
static int bearer_ok(struct req *r) {
  const char *h = req_header(r, "Authorization");
  if (!h) return 0;
  if (strncasecmp(h, "Bearer ", 7) != 0) return -1;
  const char *t = h + 7;
  while (*t == ' ') t++;
  unsigned char got[32];
  crypto_generichash(got, sizeof got, (const unsigned char *)t, strlen(t), NULL, 0);
  if (!token_set) return -1;
  return sodium_memcmp(got, token_hash, sizeof got) == 0 ? 1 : -1;
}

static void metrics_page(struct req *r) {
  int bearer = bearer_ok(r);
  bool admin = r->user && r->user->role == ROLE_ADMIN && r->user->mfa_passed;
  if (bearer < 0 && !admin) {
    reply_error(r, ERR_UNAUTHENTICATED, "The metrics token is not right.");
    reply_header(r, "WWW-Authenticate", "Bearer realm=\"metrics\"");
    return;
  }
  if (bearer == 0 && !admin) return reply_error(r, ERR_NOT_FOUND, NULL);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  struct rowset st;
  long long overdue = 0, pending = 0, held = 0;
  enum err e = center_metrics(r->arena, &st, &overdue, &pending, &held);
  int rc = metrics_render_http(&buf, &len, &cap);
  if (rc == 0)
    rc = metrics_appendf(&buf, &len, &cap, "# HELP secondop_http_in_flight Requests being served now.\n"
                                           "# TYPE secondop_http_in_flight gauge\nsecondop_http_in_flight %u\n",
                         http_in_flight());
  if (rc == 0 && e == ERR_OK) {
    rc = metrics_appendf(&buf, &len, &cap, "# HELP secondop_requests Second-opinion requests per status (drafts not counted).\n"
                                           "# TYPE secondop_requests gauge\n");
    for (int s = RS_SUBMITTED; rc == 0 && s < RS_COUNT; s++) {
      long long n = 0;
      for (size_t i = 0; i < st.n; i++)
        if (strcmp(rs_get(&st, i, "status"), req_status_name((enum req_status)s)) == 0) n = rs_ll(&st, i, "n");
      rc = metrics_appendf(&buf, &len, &cap, "secondop_requests{status=\"%s\"} %lld\n", req_status_name((enum req_status)s), n);
    }
    if (rc == 0)
      rc = metrics_appendf(&buf, &len, &cap,
                           "# HELP secondop_requests_overdue Open requests past their due date.\n"
                           "# TYPE secondop_requests_overdue gauge\nsecondop_requests_overdue %lld\n"
                           "# HELP secondop_outbox_pending E-mails waiting to be sent.\n"
                           "# TYPE secondop_outbox_pending gauge\nsecondop_outbox_pending %lld\n"
                           "# HELP secondop_outbox_held E-mails held after an uncertain delivery (need the operator).\n"
                           "# TYPE secondop_outbox_held gauge\nsecondop_outbox_held %lld\n",
                           overdue, pending, held);
  }
  long long comm_open = 0, comm_overdue = 0;
  if (rc == 0 && e == ERR_OK) e = comm_tasks_counts(r->arena, &comm_open, &comm_overdue);
  if (rc == 0 && e == ERR_OK)
    rc = metrics_appendf(&buf, &len, &cap,
                         "# HELP secondop_communication_tasks_open Significant unexpected findings whose referring "
                         "physician has not been reached yet.\n"
                         "# TYPE secondop_communication_tasks_open gauge\nsecondop_communication_tasks_open %lld\n"
                         "# HELP secondop_communication_tasks_overdue Of those, past one business day.\n"
                         "# TYPE secondop_communication_tasks_overdue gauge\nsecondop_communication_tasks_overdue %lld\n",
                         comm_open, comm_overdue);
  if (rc == 0)
    rc = metrics_appendf(&buf, &len, &cap, "# HELP secondop_alerts_total Abnormal rates seen since start (each also "
                                           "a log line starting with ALERT).\n# TYPE secondop_alerts_total counter\n");
  for (int k = 0; rc == 0 && k < ALERT_KIND_COUNT; k++)
    rc = metrics_appendf(&buf, &len, &cap, "secondop_alerts_total{kind=\"%s\"} %llu\n",
                         alert_kind_name((enum alert_kind)k), alerts_fired((enum alert_kind)k));
  if (rc == 0 && health_database_embedded())
    rc = metrics_appendf(&buf, &len, &cap,
                         "# HELP secondop_embedded_postgres_restarts_total Times the embedded PostgreSQL was started "
                         "again after it ended unexpectedly.\n"
                         "# TYPE secondop_embedded_postgres_restarts_total counter\n"
                         "secondop_embedded_postgres_restarts_total %llu\n"
                         "# HELP secondop_embedded_postgres_failed_starts_total Attempts to start it again that "
                         "failed (each retried after a back-off).\n"
                         "# TYPE secondop_embedded_postgres_failed_starts_total counter\n"
                         "secondop_embedded_postgres_failed_starts_total %llu\n",
                         health_database_restarts(), health_database_failed_starts());
  struct blobstore_sweep_stats sw;
  blobstore_sweep_get_stats(&sw);
  if (rc == 0)
    rc = metrics_appendf(
        &buf, &len, &cap,
        "# HELP secondop_store_sweep_running 1 while the consistency sweep of stored files runs.\n"
        "# TYPE secondop_store_sweep_running gauge\nsecondop_store_sweep_running %d\n"
        "# HELP secondop_store_sweep_passes_total Sweeps of the stored files finished since start.\n"
        "# TYPE secondop_store_sweep_passes_total counter\nsecondop_store_sweep_passes_total %llu\n"
        "# HELP secondop_store_sweep_files_listed Files listed by the running (or last) sweep.\n"
        "# TYPE secondop_store_sweep_files_listed gauge\nsecondop_store_sweep_files_listed %llu\n"
        "# HELP secondop_store_sweep_files_checked Files checked so far by the running (or last) sweep.\n"
        "# TYPE secondop_store_sweep_files_checked gauge\nsecondop_store_sweep_files_checked %llu\n"
        "# HELP secondop_store_sweep_files_checked_total Files checked by the sweep since start.\n"
        "# TYPE secondop_store_sweep_files_checked_total counter\nsecondop_store_sweep_files_checked_total %llu\n"
        "# HELP secondop_store_sweep_quarantined_total Files no row names, moved to quarantine since start.\n"
        "# TYPE secondop_store_sweep_quarantined_total counter\nsecondop_store_sweep_quarantined_total %llu\n"
        "# HELP secondop_store_sweep_purged_total Quarantined files deleted after 24 hours, since start.\n"
        "# TYPE secondop_store_sweep_purged_total counter\nsecondop_store_sweep_purged_total %llu\n"
        "# HELP secondop_store_sweep_missing_files Document rows whose file is missing (last finished sweep).\n"
        "# TYPE secondop_store_sweep_missing_files gauge\nsecondop_store_sweep_missing_files %llu\n"
        "# HELP secondop_store_sweep_last_duration_seconds How long the last finished sweep took.\n"
        "# TYPE secondop_store_sweep_last_duration_seconds gauge\nsecondop_store_sweep_last_duration_seconds %.3f\n"
        "# HELP secondop_store_sweep_last_finished_timestamp_seconds When the last sweep finished (0: none yet).\n"
        "# TYPE secondop_store_sweep_last_finished_timestamp_seconds gauge\n"
        "secondop_store_sweep_last_finished_timestamp_seconds %lld\n",
        sw.running, sw.passes, sw.listed, sw.checked, sw.checked_total, sw.quarantined_total, sw.purged_total,
        sw.missing, sw.last_duration, sw.last_finished);
  if (rc == 0)
    rc = metrics_appendf(&buf, &len, &cap, "# HELP secondop_database_up 1 when the figures above could be read.\n"
                                           "# TYPE secondop_database_up gauge\nsecondop_database_up %d\n",
                         e == ERR_OK);
  if (rc != 0) {
    free(buf);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
  free(buf);
}

const struct route metrics_routes[] = {
    {"GET", "/metrics", metrics_page, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "metrics"},
    {0},
};
