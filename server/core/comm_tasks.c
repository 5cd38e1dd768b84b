/* Communication tasks: see comm_tasks.h. */
#include "core/comm_tasks.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/form.h"
#include "core/requests.h"
#include "store/db.h"
#include "store/reports.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/tz.h"

#define R_STAFF (1u << 1)

static void add_err(struct center_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < sizeof errs->e / sizeof errs->e[0]) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

static enum err audit_req(const struct actor *who, const char *action, long long id, long long patient,
                          const char *outcome) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  struct audit_event ev = {action, "request", oid, patient, outcome, NULL};
  return audit_write(who, &ev);
}

enum err comm_task_open_tx(struct arena *a, const struct actor *who, long long request_id, long long patient_id,
                           long long report_id) {
  enum err e = st_comm_create(a, request_id, report_id);
  if (e == ERR_OK)
    e = rqs_event_add(request_id, NULL, NULL, "note", who ? who->user_id : 0,
                      "{\"event\":\"communication_task_opened\"}", true);
  if (e == ERR_OK) e = audit_req(who, "communication.open", request_id, patient_id, "ok");
  return e;
}

enum err comm_task_get(struct arena *a, const struct actor *who, long long request_id, struct rowset *out) {
  if (!who || who->role != R_STAFF) return ERR_NOT_FOUND;
  return st_comm_get(a, request_id, out);
}

static const struct form_word hows[] = {
    {"phone", "Phone call"},
    {"in_person", "In person"},
    {"secure_message", "Secure message, read receipt confirmed"},
    {"fax", "Fax, receipt confirmed by phone"},
};
#define N_HOWS (sizeof hows / sizeof hows[0])

const char *comm_how_label(const char *how) {
  const char *l = form_word_label(hows, N_HOWS, how);
  return l ? l : "";
}

/* Parses "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD HH:MM", a wall-clock time in zone
 * tz, into the instant t; out (17 bytes) gets it as UTC "YYYY-MM-DD HH:MM". */
static bool when_ok(const char *s, const char *tz, time_t *t, char out[17]) {
  int y, mo, d, h, mi;
  char sep, extra;
  if (!s || strlen(s) != 16 || sscanf(s, "%4d-%2d-%2d%c%2d:%2d%c", &y, &mo, &d, &sep, &h, &mi, &extra) != 6)
    return false;
  if ((sep != 'T' && sep != ' ') || y < 2000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || h < 0 ||
      mi < 0)
    return false;
  const struct tz *z = tz_get(tz && *tz ? tz : TZ_DEFAULT);
  if (!z) z = tz_get(TZ_DEFAULT);
  int64_t inst = 0;
  if (tz_from_local(z, y, mo, d, h, mi, &inst) < 0) return false; /* 31 February */
  *t = (time_t)inst;
  char w[21];
  tz_wire(w, inst);
  snprintf(out, 17, "%.10s %.5s", w, w + 11);
  return true;
}

struct log_ctx {
  struct arena *a;
  const struct actor *who;
  long long id, patient;
  const char *whom, *at, *how, *note;
  bool denied; /* out of the actor's reach, or no such request */
};

static enum err log_tx(void *p) {
  struct log_ctx *c = p;
  long long patient = 0;
  /* the one access check, on the row this statement locks */
  enum err e = requests_access_locked(c->who, c->id, RA_VIEW, NULL, &patient, NULL);
  if (e == ERR_NOT_FOUND) c->denied = true;
  if (e != ERR_OK) return e;
  c->patient = patient;
  struct rowset t;
  e = st_comm_get(c->a, c->id, &t);
  if (e != ERR_OK) return e;
  if (rs_bool(&t, 0, "logged")) return ERR_CONFLICT;
  e = st_comm_log(c->a, c->id, c->whom, c->at, c->how, c->note ? c->note : "", c->who->user_id);
  if (e == ERR_NOT_FOUND) return ERR_CONFLICT;
  if (e == ERR_OK)
    e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id,
                      arena_printf(c->a, "{\"event\":\"physician_reached\",\"how\":\"%s\"}", c->how), true);
  if (e == ERR_OK) e = audit_req(c->who, "communication.log", c->id, patient, "ok");
  return e;
}

enum { CL_WHOM, CL_AT, CL_HOW, CL_NOTE, CL_N };
static const struct form_field log_fields[] = {
    [CL_WHOM] = {.name = "whom", .type = FT_TEXT, .required = true, .max = 200,
                 .missing = "Write who was reached: the physician's name (up to 200 characters).",
                 .invalid = "Write who was reached: the physician's name (up to 200 characters)."},
    [CL_AT] = {.name = "at", .type = FT_TEXT, .required = true, .max = 16,
               .missing = "Give the date and time the physician was reached, as YYYY-MM-DD HH:MM (your time zone).",
               .invalid = "Give the date and time the physician was reached, as YYYY-MM-DD HH:MM (your time zone)."},
    [CL_HOW] = {.name = "how", .type = FT_ENUM, .required = true, .vocab = hows, .n_vocab = N_HOWS,
                .missing = "Choose how the physician was reached.", .invalid = "Choose how the physician was reached."},
    [CL_NOTE] = {.name = "note", .type = FT_MULTILINE, .max = 2000,
                 .invalid = "The note is limited to 2,000 characters of plain text."},
};

/* The time typed is a real one, in the staff member's zone (ctx), and not in the future. */
static void log_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)spec;
  if (!v[CL_AT].present || form_error(errs, "at")) return;
  time_t t = 0;
  char norm[17];
  if (!when_ok(v[CL_AT].text, ctx, &t, norm))
    form_error_add(errs, "at", "Give the date and time the physician was reached, as YYYY-MM-DD HH:MM (your time zone).");
  else if (t > time(NULL) + 300)
    form_error_add(errs, "at", "The time the physician was reached cannot be in the future.");
}

const struct form_spec *comm_task_log_form(void) {
  static const struct form_spec spec = {log_fields, CL_N, log_check};
  return &spec;
}

enum err comm_task_log_submit(struct arena *a, const struct actor *who, long long request_id,
                              const struct form_pair *in, size_t n, const char *tz, struct center_errors *errs) {
  if (errs) memset(errs, 0, sizeof *errs);
  if (!who || who->role != R_STAFF) return ERR_NOT_FOUND;
  struct form_value v[CL_N];
  struct form_errors fe;
  if (!form_parse(a, comm_task_log_form(), in, n, NULL, (void *)tz, v, &fe)) {
    for (size_t i = 0; i < fe.n; i++) add_err(errs, fe.e[i].field, fe.e[i].message);
    return ERR_INVALID;
  }
  time_t t = 0;
  char norm[17];
  if (!when_ok(v[CL_AT].text, tz, &t, norm)) return ERR_INTERNAL; /* log_check accepted it */
  /* one transaction: the access check on the locked row, the save, the audit row */
  struct log_ctx c = {a, who, request_id, 0, v[CL_WHOM].text, norm, v[CL_HOW].text, v[CL_NOTE].text, false};
  enum err e = request_id > 0 ? db_tx(log_tx, &c) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND && (c.denied || request_id <= 0)) requests_access_denied(who, request_id);
  if (e == ERR_CONFLICT) audit_req(who, "communication.log", request_id, c.patient, "denied");
  return e;
}

enum err comm_task_blocks_release(struct arena *a, long long request_id, bool *blocks) {
  struct rowset t;
  *blocks = false;
  enum err e = st_comm_get(a, request_id, &t);
  if (e == ERR_NOT_FOUND) return ERR_OK;
  if (e != ERR_OK) return e;
  *blocks = !rs_bool(&t, 0, "logged");
  return ERR_OK;
}

enum err comm_tasks_open(struct arena *a, const struct actor *who, struct rowset *out) {
  if (!who || who->role != R_STAFF) return ERR_FORBIDDEN;
  enum err e = st_comm_open(a, out);
  if (e == ERR_OK && out->n) {
    struct audit_event ev = {"communication.list", NULL, NULL, 0, "ok", NULL};
    e = audit_write(who, &ev);
  }
  return e;
}

enum err comm_tasks_counts(struct arena *a, long long *open, long long *overdue) {
  return st_comm_counts(a, open, overdue);
}
