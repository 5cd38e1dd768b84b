/* Admin: the audit log. GET /admin/audit shows matching rows, 50 per page,
 * filtered by actor, patient, action and date range; GET /admin/audit.csv
 * exports the same selection. Looking at or exporting the log is itself
 * written to the log. */
#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/form.h"
#include "core/audit.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/tz.h"

#define PAGE_SIZE 50
#define EXPORT_MAX 100000
#define EXPORT_BATCH 1000

struct audit_query {
  struct audit_filter f;
  const char *actor, *patient, *action, *since, *until; /* as typed, for the form */
  long long page;
  bool invalid;
};

/* True when s holds only decimal digits (1-18 of them) and the value is positive. */
static bool parse_pos_id(const char *s, long long *out) { return form_id_parse(s, out); }

/* Reads the filters from the query string, setting Form.Values.* and, for a
 * value that cannot be used, Form.Errors.* (q->invalid). */
static void read_query(struct req *r, HDF *hdf, struct audit_query *q) {
  memset(q, 0, sizeof *q);
  q->f.tz = req_tz(r); /* days are the admin's own */
  q->actor = req_query(r, "actor");
  q->patient = req_query(r, "patient");
  q->action = req_query(r, "action");
  q->since = req_query(r, "since");
  q->until = req_query(r, "until");
  const char *page = req_query(r, "page");
  struct {
    const char *name, *v;
  } vals[] = {{"actor", q->actor}, {"patient", q->patient}, {"action", q->action}, {"since", q->since}, {"until", q->until}};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    char key[64];
    snprintf(key, sizeof key, "Form.Values.%s", vals[i].name);
    if (vals[i].v) hdf_set_value(hdf, key, vals[i].v);
  }
  if (q->actor && *q->actor) {
    if (strlen(q->actor) > 254) {
      hdf_set_value(hdf, "Form.Errors.actor", "Enter a user number or an e-mail address (at most 254 characters).");
      q->invalid = true;
    } else if (!parse_pos_id(q->actor, &q->f.actor_id)) {
      if (!strchr(q->actor, '@')) {
        hdf_set_value(hdf, "Form.Errors.actor", "Enter a user number (like 12) or an e-mail address.");
        q->invalid = true;
      } else {
        q->f.actor_email = q->actor;
      }
    }
  }
  if (q->patient && *q->patient && !parse_pos_id(q->patient, &q->f.patient_id)) {
    hdf_set_value(hdf, "Form.Errors.patient", "Enter the patient's user number, like 12.");
    q->invalid = true;
  }
  if (q->action && *q->action) {
    if (strlen(q->action) > 100) {
      hdf_set_value(hdf, "Form.Errors.action", "An action name has at most 100 characters.");
      q->invalid = true;
    } else {
      q->f.action = q->action;
    }
  }
  if (q->since && *q->since) {
    if (!audit_date_valid(q->since)) {
      hdf_set_value(hdf, "Form.Errors.since", "Enter a date written year-month-day, like 2025-01-31.");
      q->invalid = true;
    } else {
      q->f.since = q->since;
    }
  }
  if (q->until && *q->until) {
    if (!audit_date_valid(q->until)) {
      hdf_set_value(hdf, "Form.Errors.until", "Enter a date written year-month-day, like 2025-01-31.");
      q->invalid = true;
    } else if (q->f.since && strcmp(q->until, q->since) < 0) {
      hdf_set_value(hdf, "Form.Errors.until", "The end date is before the start date.");
      q->invalid = true;
    } else {
      q->f.until = q->until;
    }
  }
  q->page = 1;
  if (page && *page && (!parse_pos_id(page, &q->page) || q->page > 1000000)) {
    hdf_set_value(hdf, "Form.Errors.page", "That page number does not exist.");
    q->invalid = true;
    q->page = 1;
  }
}

/* Appends "name=value&" to a query string, percent-encoding the value. */
static void add_param(char *buf, size_t cap, const char *name, const char *v) {
  if (!v || !*v) return;
  size_t len = strlen(buf);
  int n = snprintf(buf + len, cap - len, "%s%s=", len ? "&" : "", name);
  if (n < 0 || (size_t)n >= cap - len) return;
  len += (size_t)n;
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)v; *p && len + 4 < cap; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
        *p == '.' || *p == '_' || *p == '~') {
      buf[len++] = (char)*p;
    } else {
      buf[len++] = '%';
      buf[len++] = hex[*p >> 4];
      buf[len++] = hex[*p & 15];
    }
  }
  buf[len] = '\0';
}

/* The filters as a query string (without page), into buf. */
static void filter_qs(const struct audit_query *q, char *buf, size_t cap) {
  buf[0] = '\0';
  add_param(buf, cap, "actor", q->actor);
  add_param(buf, cap, "patient", q->patient);
  add_param(buf, cap, "action", q->action);
  add_param(buf, cap, "since", q->since);
  add_param(buf, cap, "until", q->until);
}

/* The filters as a small JSON object text for the audit row (malloc'd; NULL on failure). */
static char *filters_json(const struct audit_query *q, long long page, long long rows) {
  json_t *d = json_object();
  if (!d) return NULL;
  if (q->f.actor_id) json_object_set_new(d, "actor_id", json_integer(q->f.actor_id));
  if (q->f.actor_email) json_object_set_new(d, "actor_email", json_string(q->f.actor_email));
  if (q->f.patient_id) json_object_set_new(d, "patient", json_integer(q->f.patient_id));
  if (q->f.action) json_object_set_new(d, "action", json_string(q->f.action));
  if (q->f.since) json_object_set_new(d, "since", json_string(q->f.since));
  if (q->f.until) json_object_set_new(d, "until", json_string(q->f.until));
  if (page) json_object_set_new(d, "page", json_integer(page));
  json_object_set_new(d, "rows", json_integer(rows));
  char *s = json_dumps(d, JSON_COMPACT);
  json_decref(d);
  return s;
}

/* Records that the admin looked at (or exported) the log. ERR_OK or the failure. */
static enum err record(struct req *r, const char *action, const struct audit_query *q, long long page, long long rows) {
  struct actor a = actor_from_req(r);
  char *detail = filters_json(q, page, rows);
  struct audit_event ev = {.action = action, .object_type = "audit_log", .outcome = "ok", .detail_json = detail};
  enum err e = audit_write(&a, &ev);
  free(detail);
  return e;
}

/* Sets Audit.Rows.<i>.<field> when value is not NULL. */
static void set_row_value(HDF *hdf, int i, const char *field, const char *value) {
  char key[64];
  int n = snprintf(key, sizeof key, "Audit.Rows.%d.%s", i, field);
  if (value && n > 0 && (size_t)n < sizeof key) hdf_set_value(hdf, key, value);
}

/* Puts one row into Audit.Rows.<i>.* */
static void row_hdf(HDF *hdf, int i, const struct audit_entry *e) {
  char num[32], when[96];
#define SET(field, value) set_row_value(hdf, i, field, value)
  snprintf(num, sizeof num, "%lld", e->id);
  SET("Id", num);
  /* to the second, in the admin's zone (the CSV export and the command line keep UTC) */
  long long secs = e->at_us >= 0 ? e->at_us / 1000000 : -((-e->at_us + 999999) / 1000000);
  SET("At", tz_format(when, sizeof when, (int64_t)secs, tz_view(), TZ_SECONDS));
  if (e->has_actor_id) {
    snprintf(num, sizeof num, "%lld", e->actor_id);
    SET("ActorId", num);
  }
  SET("ActorName", e->actor_name);
  SET("ActorEmail", e->actor_email);
  SET("Role", e->actor_role);
  SET("Action", e->action);
  SET("ObjectType", e->object_type);
  SET("ObjectId", e->object_id);
  if (e->has_patient_id) {
    snprintf(num, sizeof num, "%lld", e->patient_id);
    SET("Patient", num);
  }
  SET("Outcome", e->outcome);
  SET("Ip", e->ip);
  SET("Request", e->request_id);
  SET("Detail", e->detail);
#undef SET
}

static void audit_page(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  hdf_set_value(hdf, "Page.Title", "Audit log");
  hdf_set_value(hdf, "Page.Name", "admin-audit");
  struct audit_query q;
  read_query(r, hdf, &q);
  if (q.invalid) {
    hdf_set_int_value(hdf, "Audit.Invalid", 1);
    reply_page(r, 422, "admin_audit.cs");
    return;
  }
  struct audit_entry *rows = NULL;
  size_t n = 0;
  long long total = 0;
  enum err e = audit_search(r->arena, &q.f, (q.page - 1) * PAGE_SIZE, PAGE_SIZE, &rows, &n, &total);
  if (e == ERR_OK && n == 0 && q.page > 1) e = audit_count(r->arena, &q.f, &total); /* past the last page */
  if (e == ERR_OK) e = record(r, "audit.view", &q, q.page, (long long)n);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  for (size_t i = 0; i < n; i++) row_hdf(hdf, (int)i, &rows[i]);
  char qs[2048], url[2200];
  filter_qs(&q, qs, sizeof qs);
  long long pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
  hdf_set_int_value(hdf, "Audit.Count", (int)n);
  char num[32];
  snprintf(num, sizeof num, "%lld", total);
  hdf_set_value(hdf, "Audit.Total", num);
  snprintf(num, sizeof num, "%lld", q.page);
  hdf_set_value(hdf, "Audit.Page", num);
  snprintf(num, sizeof num, "%lld", pages);
  hdf_set_value(hdf, "Audit.Pages", num);
  if (q.page > 1) {
    snprintf(url, sizeof url, "/admin/audit?%s%spage=%lld", qs, qs[0] ? "&" : "", q.page - 1);
    hdf_set_value(hdf, "Audit.PrevUrl", url);
  }
  if (q.page < pages) {
    snprintf(url, sizeof url, "/admin/audit?%s%spage=%lld", qs, qs[0] ? "&" : "", q.page + 1);
    hdf_set_value(hdf, "Audit.NextUrl", url);
  }
  snprintf(url, sizeof url, "/admin/audit.csv%s%s", qs[0] ? "?" : "", qs);
  hdf_set_value(hdf, "Audit.CsvUrl", url);
  reply_page(r, 200, "admin_audit.cs");
}

static void audit_csv(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  hdf_set_value(hdf, "Page.Title", "Audit log");
  hdf_set_value(hdf, "Page.Name", "admin-audit");
  struct audit_query q;
  read_query(r, hdf, &q);
  if (q.invalid) {
    hdf_set_int_value(hdf, "Audit.Invalid", 1);
    reply_page(r, 422, "admin_audit.cs");
    return;
  }
  long long count = 0;
  enum err e = audit_count(r->arena, &q.f, &count);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  if (count > EXPORT_MAX) {
    hdf_set_value(hdf, "Form.Errors.since",
                  "More than 100,000 rows match. Choose a shorter date range or more filters, then export again.");
    hdf_set_int_value(hdf, "Audit.Invalid", 1);
    reply_page(r, 422, "admin_audit.cs");
    return;
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  audit_csv_header(out);
  long long after = 0, written = 0;
  while (e == ERR_OK && written <= EXPORT_MAX) {
    struct arena *a = arena_new();
    struct audit_entry *rows = NULL;
    size_t n = 0;
    e = a ? audit_export_page(a, &q.f, after, EXPORT_BATCH, &rows, &n) : ERR_INTERNAL;
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
      audit_csv_row(out, &rows[i]);
      after = rows[i].id;
      written++;
    }
    arena_free(a);
    if (n < EXPORT_BATCH) break;
  }
  if (e == ERR_OK) e = record(r, "audit.export", &q, 0, written);
  if (fclose(out) != 0 && e == ERR_OK) e = ERR_INTERNAL;
  if (e != ERR_OK) {
    free(buf);
    reply_error(r, e, NULL);
    return;
  }
  reply_bytes(r, 200, "text/csv; charset=utf-8", buf, len);
  free(buf);
  char disp[96];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  snprintf(disp, sizeof disp, "attachment; filename=\"audit-%04d%02d%02d.csv\"", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday);
  reply_header(r, "Content-Disposition", disp);
  reply_header(r, "Cache-Control", "no-store");
}

const struct route admin_audit_routes[] = {
    {"GET", "/admin/audit", audit_page, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin-audit"},
    {"GET", "/admin/audit.csv", audit_csv, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin-audit-csv"},
    {0},
};
