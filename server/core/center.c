/* The center's side of a request: see center.h. */
#include "core/form.h"
#include "core/vocab.h"
#include "core/center.h"

#include "core/comm_tasks.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/ics.h"
#include "core/outbox.h"
#include "core/triage.h"
#include "store/caregivers.h"
#include "store/db.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

#define R_PATIENT (1u << 0)
#define R_STAFF (1u << 1)
#define R_REVIEWER (1u << 2)

/* ---- notifications ---- */

static const char *const nk_names[NK_COUNT] = {"status", "info_requested", "message", "assigned", "consultation", "report"};
static const char *const nk_labels[NK_COUNT] = {
    "A request changes status (received, accepted, declined, closed)",
    "The center asks for more information or records",
    "A new message arrives",
    "A case is assigned to me (reviewers)",
    "A consultation is scheduled or moved",
    "A report is signed or released",
};

const char *notify_kind_name(enum notify_kind k) { return (unsigned)k < NK_COUNT ? nk_names[k] : "status"; }
const char *notify_kind_label(enum notify_kind k) { return (unsigned)k < NK_COUNT ? nk_labels[k] : ""; }

static enum err notify_one(struct arena *a, long long user_id, enum notify_kind k, const char *path);

enum err notify_user(struct arena *a, long long user_id, enum notify_kind k, const char *path) {
  enum err e = notify_one(a, user_id, k, path);
  /* the people who act for a patient (core/caregivers.h) hear the same, with the same lack of detail */
  struct st_cg_link *cg = NULL;
  size_t n = 0;
  if (e == ERR_OK && st_cg_list_patient(a, user_id, acct_now(), &cg, &n) == ERR_OK)
    for (size_t i = 0; e == ERR_OK && i < n; i++)
      if (cg[i].accepted) e = notify_one(a, cg[i].caregiver_id, k, path);
  return e;
}

static enum err notify_one(struct arena *a, long long user_id, enum notify_kind k, const char *path) {
  const char *email = NULL, *zone = NULL;
  bool wants = true;
  enum err e = st_notify_target(a, user_id, notify_kind_name(k), &email, &wants, &zone);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !wants)) return ERR_OK;
  if (e != ERR_OK) return e;
  const char *link = outbox_link(a, path && *path == '/' ? path : "/");
  /* when it happened, in the recipient's own time zone */
  char when[96];
  tz_format(when, sizeof when, (int64_t)time(NULL), zone, TZ_LONG);
  const char *body = link ? arena_printf(a,
                                         "Hello,\n\nSomething changed in your account at the breast center's "
                                         "second-opinion portal on %s.\nPlease log in to see it:\n%s\n\n"
                                         "For your privacy this e-mail contains no details.\n"
                                         "You can choose which e-mails you receive under Account, Notifications.\n",
                                         when, link)
                          : NULL;
  if (!body) return ERR_INTERNAL;
  return outbox_enqueue(a, email, "Something changed in your second-opinion portal", body);
}

enum err notify_staff(struct arena *a, enum notify_kind k, const char *path) {
  struct rowset rs;
  enum err e = st_staff_ids(a, &rs);
  for (size_t i = 0; e == ERR_OK && i < rs.n; i++) e = notify_user(a, rs_ll(&rs, i, "id"), k, path);
  return e;
}

enum err notify_prefs_get(struct arena *a, const struct actor *who, bool out[NK_COUNT]) {
  for (size_t k = 0; k < NK_COUNT; k++) out[k] = true;
  if (!who || who->user_id <= 0) return ERR_FORBIDDEN;
  struct rowset rs;
  enum err e = st_prefs(a, who->user_id, &rs);
  if (e != ERR_OK) return e;
  for (size_t i = 0; i < rs.n; i++)
    for (size_t k = 0; k < NK_COUNT; k++)
      if (strcmp(rs_get(&rs, i, "event_kind"), nk_names[k]) == 0) out[k] = rs_bool(&rs, i, "enabled");
  return ERR_OK;
}

struct prefs_ctx {
  struct arena *a;
  const struct actor *who;
  const bool *in;
};

static enum err prefs_tx(void *p) {
  struct prefs_ctx *c = p;
  enum err e = ERR_OK;
  for (size_t k = 0; e == ERR_OK && k < NK_COUNT; k++) e = st_pref_set(c->a, c->who->user_id, nk_names[k], c->in[k]);
  if (e != ERR_OK) return e;
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", c->who->user_id);
  struct audit_event ev = {"account.notifications", "user", oid, 0, "ok", NULL};
  return audit_write(c->who, &ev);
}

enum err notify_prefs_set(struct arena *a, const struct actor *who, const bool in[NK_COUNT]) {
  if (!who || who->user_id <= 0) return ERR_FORBIDDEN;
  struct prefs_ctx c = {a, who, in};
  return db_tx(prefs_tx, &c);
}

/* ---- queue ---- */

enum err center_queue(struct arena *a, const struct actor *who, const struct st_queue_filter *f,
                      struct st_queue_page *out) {
  if (!who || who->role != R_STAFF) return ERR_FORBIDDEN;
  /* One transaction in three round trips: BEGIN goes with the reads (the
   * page with its unread messages, the counts, the open communication tasks), the
   * audit chain's lock with its head, and the COMMIT with the audit row. No
   * page is shown without its committed audit row. Retried like db_tx on a
   * deadlock (the triage refresh updates rows). */
  if (db_in_tx()) return ERR_INTERNAL; /* never called inside another transaction */
  enum err e = ERR_CONFLICT;
  for (int attempt = 0; attempt < 3; attempt++) {
    e = st_queue_page(a, f, true, out);
    if (e == ERR_OK && out->comm.n) {
      /* the open communication tasks came with the page (as comm_tasks_open) */
      struct audit_event ev = {"communication.list", NULL, NULL, 0, "ok", NULL};
      e = audit_write(who, &ev);
    }
    if (e == ERR_OK) {
      struct audit_event ev = {"triage.queue_view", NULL, NULL, 0, "ok",
                               arena_printf(a, "{\"rows\":%zu}", out->rows.n)};
      e = audit_write_commit(who, &ev);
    }
    if (e == ERR_OK) return ERR_OK;
    bool retry = e == ERR_CONFLICT && db_last_was_retryable();
    if (db_in_tx()) db_simple("ROLLBACK");
    if (!retry) return e;
  }
  return e;
}

/* ---- a case ---- */

/* ---- the queue's filters as a form ---- */

/* the status filter: every status with its staff word (core/vocab.h) */
enum { QF_Q, QF_STATUS, QF_PRIORITY, QF_SPECIALIST, QF_PAGE, QF_OVERDUE, QF_INCOMPLETE, QF_N };
static const struct form_field queue_fields[] = {
    [QF_Q] = {.name = "q", .type = FT_TEXT, .max = 100,
              .invalid = "Search with at most 100 characters of a reference or a name."},
    [QF_STATUS] = {.name = "status", .type = FT_ENUM, .vocab = VOCAB_STATUS_FILTER,
                   .n_vocab = VOCAB_N_STATUS_FILTER,
                   .invalid = "Choose a status from the list."},
    [QF_PRIORITY] = {.name = "priority", .type = FT_INT, .min = 1, .max = TRIAGE_CLASSES,
                     .invalid = "Choose a priority from the list."},
    [QF_SPECIALIST] = {.name = "specialist", .type = FT_ID, .invalid = "Choose a specialist from the list."},
    [QF_PAGE] = {.name = "page", .type = FT_INT, .min = 1, .max = 100000, .invalid = "That page does not exist."},
    [QF_OVERDUE] = {.name = "overdue", .type = FT_TICK, .invalid = "Tick the box or leave it empty."},
    [QF_INCOMPLETE] = {.name = "incomplete", .type = FT_TICK, .invalid = "Tick the box or leave it empty."},
};

const struct form_spec *center_queue_form(void) {
  static const struct form_spec spec = {queue_fields, QF_N, NULL};
  return &spec;
}

bool center_queue_filter(struct arena *a, const struct form_pair *in, size_t n, struct st_queue_filter *f,
                         long long *page, struct form_errors *errs) {
  struct form_value v[QF_N];
  bool ok = form_parse(a, center_queue_form(), in, n, NULL, NULL, v, errs);
  f->status = ok ? v[QF_STATUS].text : "";
  f->priority = ok ? (int)v[QF_PRIORITY].num : 0;
  f->specialist_id = ok ? v[QF_SPECIALIST].num : 0;
  f->overdue = ok && v[QF_OVERDUE].tick;
  f->incomplete = ok && v[QF_INCOMPLETE].tick;
  f->q = ok ? v[QF_Q].text : "";
  *page = ok && v[QF_PAGE].present ? v[QF_PAGE].num : 1;
  return ok;
}

enum err center_case_load(struct arena *a, const struct actor *who, long long id, struct center_case *out) {
  memset(out, 0, sizeof *out);
  if (!who || (who->role != R_STAFF && who->role != R_REVIEWER)) return ERR_NOT_FOUND;
  long long owner = 0;
  enum err e = requests_access(who, id, RA_VIEW, &out->status, &owner);
  if (e != ERR_OK) return e;
  e = st_case(a, id, &out->req);
  if (e == ERR_OK) e = st_events(a, id, who->role == R_STAFF, &out->events);
  if (e == ERR_OK) e = st_documents(a, id, &out->documents);
  if (e == ERR_OK) e = st_studies(a, id, &out->studies);
  if (e == ERR_OK) e = st_consult_latest(a, id, &out->consult);
  if (e == ERR_OK && who->role == R_STAFF) e = st_assignable(a, &out->assignable);
  if (e != ERR_OK) return e;
  struct rowset rp;
  e = st_report_by_request(a, id, &rp);
  if (e == ERR_OK) {
    out->has_report = true;
    out->report_signed = strcmp(rs_get(&rp, 0, "status"), "signed") == 0;
    out->report_released = *rs_get(&rp, 0, "released_at") != '\0';
  } else if (e != ERR_NOT_FOUND) {
    return e;
  }
  return ERR_OK;
}

static const char *const action_names[CA_COUNT] = {"claim",  "ask-info", "resume",  "accept", "assign",   "schedule",
                                                   "start",  "decline",  "release", "close",  "coverage", "note",
                                                   "reply"};

const char *center_action_name(enum center_action c) { return (unsigned)c < CA_COUNT ? action_names[c] : ""; }

bool center_action_parse(const char *s, enum center_action *out) {
  for (size_t i = 0; s && i < CA_COUNT; i++)
    if (strcmp(s, action_names[i]) == 0) {
      *out = (enum center_action)i;
      return true;
    }
  return false;
}

bool center_action_offered(enum center_action c, enum req_status s, bool reviewer_assigned, bool report_signed,
                           bool report_released) {
  switch (c) {
  case CA_CLAIM: return s == RS_SUBMITTED;
  case CA_ASK_INFO: return s == RS_TRIAGE;
  case CA_RESUME: return s == RS_NEEDS_INFO;
  case CA_ACCEPT: return s == RS_TRIAGE;
  case CA_ASSIGN: return s == RS_TRIAGE || s == RS_ACCEPTED || s == RS_SCHEDULED;
  case CA_SCHEDULE: return s == RS_ACCEPTED || s == RS_SCHEDULED;
  case CA_START: return (s == RS_ACCEPTED || s == RS_SCHEDULED) && reviewer_assigned;
  case CA_DECLINE: return s == RS_TRIAGE || s == RS_NEEDS_INFO || s == RS_ACCEPTED;
  case CA_RELEASE: return s == RS_REPORT_READY && report_signed && !report_released;
  case CA_CLOSE: return s == RS_REPORT_READY && report_released;
  case CA_COVERAGE:
    return s == RS_SUBMITTED || s == RS_TRIAGE || s == RS_NEEDS_INFO || s == RS_ACCEPTED || s == RS_SCHEDULED ||
           s == RS_IN_REVIEW;
  case CA_NOTE: return s != RS_DRAFT;
  case CA_REPLY: return s != RS_DRAFT;
  case CA_COUNT: return false;
  }
  return false;
}

static void add_err(struct center_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < sizeof errs->e / sizeof errs->e[0]) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

static bool is_time(const char *s) {
  return s && strlen(s) == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':' &&
         isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) && (s[0] - '0') * 10 + (s[1] - '0') < 24 &&
         (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

/* The parameters of an action once its form is parsed (only those it uses). */
struct center_action_in {
  enum req_status from;         /* the state the form was made for */
  const char **missing;         /* CA_ASK_INFO: checklist keys */
  size_t n_missing;
  const char *message;          /* CA_ASK_INFO message, CA_DECLINE reason, CA_NOTE and CA_REPLY text */
  long long specialist_id;      /* CA_ASSIGN */
  const char *assign_reason;    /* CA_ASSIGN: why not the patient's choice ("" when none) */
  const char *date, *time, *place; /* CA_SCHEDULE: YYYY-MM-DD, HH:MM, text */
  const char *tz;               /* CA_SCHEDULE: the zone date and time are typed in (the staff member's) */
  bool insurance_verified, referral_received; /* CA_COVERAGE */
  const char *network_status, *coverage_notes;
};

/* The instant staff mean by the date and time they typed, in their zone:
 * 0, 1 when the time falls in the hour the clocks skip, -1 when impossible. */
static int consult_when(const char *date, const char *hm, const char *tz, int64_t *t) {
  const struct tz *z = tz_get(tz && *tz ? tz : TZ_DEFAULT);
  if (!z) z = tz_get(TZ_DEFAULT);
  long ymd = 0;
  if (!date || !form_date_parse(date, &ymd) || !hm || !is_time(hm)) return -1;
  int h = (int)strtol(hm, NULL, 10), mi = (int)strtol(hm + 3, NULL, 10);
  return tz_from_local(z, (int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100), h, mi, t);
}

/* ---- the staff actions' forms (core/form.h) ---- */

/* What staff may ask the patient to send: the checklist's keys (core/vocab.h). */
static const struct form_word network_words[] = {
    {"unknown", "Not checked yet"},
    {"in_network", "In network"},
    {"out_of_network", "Out of network"},
    {"self_pay", "Self-pay"},
};
static const struct form_word yes_word[] = {{"yes", "Yes"}};

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

static const struct form_field ask_fields[] = {
    {.name = "missing", .type = FT_ENUM, .required = true, .multi = true, .vocab = VOCAB_DOCUMENT_ASK_WORDS,
     .n_vocab = VOCAB_N_DOCUMENT_ASK, .missing = "Choose at least one item the patient should send."},
    {.name = "message", .type = FT_MULTILINE, .required = true, .max = 2000,
     .missing = "Write a short message to the patient saying what to send (up to 2,000 characters).",
     .invalid = "Write a short message to the patient saying what to send (up to 2,000 characters)."},
};
static const struct form_field decline_fields[] = {
    {.name = "reason", .type = FT_MULTILINE, .required = true, .max = 2000,
     .missing = "Give the reason the patient will read (up to 2,000 characters).",
     .invalid = "Give the reason the patient will read (up to 2,000 characters)."},
};
static const struct form_field note_fields[] = {
    {.name = "note", .type = FT_MULTILINE, .required = true, .max = 4000,
     .missing = "Write the note (up to 4,000 characters).", .invalid = "Write the note (up to 4,000 characters)."},
};
static const struct form_field reply_fields[] = {
    {.name = "reply", .type = FT_MULTILINE, .required = true, .max = REQUESTS_MESSAGE_MAX,
     .missing = "Write the message to the patient (up to 5,000 characters). Nothing was sent.",
     .invalid = "Write the message to the patient (up to 5,000 characters). Nothing was sent."},
};
static const struct form_field assign_fields[] = {
    {.name = "specialist", .type = FT_ID, .required = true, .missing = "Choose a specialist.",
     .invalid = "Choose a specialist."},
    {.name = "assign_reason", .type = FT_MULTILINE, .max = 1000,
     .invalid = "Keep the reason to 1,000 characters of plain text."},
};
enum { SC_DATE, SC_TIME, SC_PLACE, SC_N };
static const struct form_field schedule_fields[] = {
    [SC_DATE] = {.name = "date", .type = FT_DATE, .required = true, .missing = "Enter the date as YYYY-MM-DD.",
                 .invalid = "Enter the date as YYYY-MM-DD."},
    [SC_TIME] = {.name = "time", .type = FT_TEXT, .required = true, .max = 5,
                 .missing = "Enter the time as HH:MM (24-hour clock).",
                 .invalid = "Enter the time as HH:MM (24-hour clock)."},
    [SC_PLACE] = {.name = "place", .type = FT_TEXT, .required = true, .max = 300,
                  .missing = "Enter where the consultation takes place.",
                  .invalid = "Keep the place to one line of at most 300 characters."},
};
static const struct form_field coverage_fields[] = {
    {.name = "insurance_verified", .type = FT_ENUM, .vocab = yes_word, .n_vocab = 1},
    {.name = "referral_received", .type = FT_ENUM, .vocab = yes_word, .n_vocab = 1},
    {.name = "network_status", .type = FT_ENUM, .required = true, .vocab = network_words,
     .n_vocab = N_OF(network_words), .missing = "Choose the network status.", .invalid = "Choose the network status."},
    {.name = "coverage_notes", .type = FT_MULTILINE, .max = 2000, .invalid = "Notes are limited to 2,000 characters."},
};

/* A consultation is at a time that exists, from now on, in the zone (ctx) staff typed it in: the
 * error goes on the field that makes it wrong. */
static void schedule_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                           void *ctx) {
  (void)spec;
  const char *zone = ctx && *(const char *)ctx ? (const char *)ctx : TZ_DEFAULT;
  if (v[SC_TIME].present && !is_time(v[SC_TIME].text))
    form_error_add(errs, "time", "Enter the time as HH:MM (24-hour clock).");
  if (errs->n) return;
  int64_t t = 0;
  int w = consult_when(v[SC_DATE].text, v[SC_TIME].text, zone, &t);
  if (w < 0) {
    form_error_add(errs, "date", "Enter a real date, as YYYY-MM-DD.");
  } else if (w > 0) {
    form_error_add(errs, "time",
                   "The clocks change at that hour on that day, so this time does not exist. Choose another time.");
  } else if (t < (int64_t)time(NULL)) {
    char today_s[16];
    tz_format(today_s, sizeof today_s, (int64_t)time(NULL), zone, TZ_DATE);
    bool today = strcmp(v[SC_DATE].text, today_s) == 0;
    form_error_add(errs, today ? "time" : "date",
                   today ? "This time has already passed today. Choose a time later than now."
                         : "This date is in the past. Choose a day from today on.");
  }
}

const struct form_spec *center_action_form(enum center_action c) {
  static const struct form_spec none = {NULL, 0, NULL};
  static const struct form_spec ask = {ask_fields, N_OF(ask_fields), NULL};
  static const struct form_spec decline = {decline_fields, N_OF(decline_fields), NULL};
  static const struct form_spec note = {note_fields, N_OF(note_fields), NULL};
  static const struct form_spec reply = {reply_fields, N_OF(reply_fields), NULL};
  static const struct form_spec assign = {assign_fields, N_OF(assign_fields), NULL};
  static const struct form_spec schedule = {schedule_fields, SC_N, schedule_check};
  static const struct form_spec coverage = {coverage_fields, N_OF(coverage_fields), NULL};
  switch (c) {
  case CA_ASK_INFO: return &ask;
  case CA_DECLINE: return &decline;
  case CA_NOTE: return &note;
  case CA_REPLY: return &reply;
  case CA_ASSIGN: return &assign;
  case CA_SCHEDULE: return &schedule;
  case CA_COVERAGE: return &coverage;
  case CA_CLAIM:
  case CA_RESUME:
  case CA_ACCEPT:
  case CA_START:
  case CA_RELEASE:
  case CA_CLOSE:
  case CA_COUNT: break;
  }
  return &none;
}

struct act_ctx {
  struct arena *a;
  const struct actor *who;
  long long id, patient, reviewer;
  enum center_action c;
  const struct center_action_in *in;
  struct center_errors *errs;
  enum req_status st;
  bool denied; /* out of the actor's reach, or no such request */
};

/* A JSON object text in the arena from a jansson value (consumed). */
static const char *json_text(struct arena *a, json_t *j) {
  if (!j) return NULL;
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!s) return NULL;
  const char *r = arena_strdup(a, s);
  free(s);
  return r;
}

static enum err act_audit(struct act_ctx *c, const char *outcome) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", c->id);
  const char *det = arena_printf(c->a, "{\"action\":\"%s\"}", center_action_name(c->c));
  struct audit_event ev = {"request.action", "request", oid, c->patient, outcome, det};
  return audit_write(c->who, &ev);
}

static enum err act_tx(void *p) {
  struct act_ctx *c = p;
  struct arena *a = c->a;
  const struct center_action_in *in = c->in;
  long long patient = 0, reviewer = 0;
  /* the one access check, on the row this statement locks: what it allows is what is saved */
  enum err e = requests_access_locked(c->who, c->id, c->who->role == R_REVIEWER ? RA_VIEW : RA_EDIT, &c->st,
                                      &patient, &reviewer);
  if (e == ERR_NOT_FOUND) c->denied = true;
  if (e != ERR_OK) return e;
  c->patient = patient;
  c->reviewer = reviewer;
  /* a message typed while the request moved on is still sent: its words do not depend on the state */
  if (c->st != in->from && c->c != CA_REPLY) return ERR_CONFLICT;
  struct rowset rp;
  bool has_report = false, signed_ = false, released = false;
  long long report_id = 0;
  e = st_report_by_request(a, c->id, &rp);
  if (e == ERR_OK) {
    has_report = true;
    signed_ = strcmp(rs_get(&rp, 0, "status"), "signed") == 0;
    released = *rs_get(&rp, 0, "released_at") != '\0';
    report_id = rs_ll(&rp, 0, "id");
  } else if (e != ERR_NOT_FOUND) {
    return e;
  }
  (void)has_report;
  if (!center_action_offered(c->c, c->st, reviewer > 0, signed_, released)) return ERR_CONFLICT;
  if (c->c == CA_START && c->who->role == R_REVIEWER && reviewer != c->who->user_id) return ERR_NOT_FOUND;
  const char *path = arena_printf(a, "/requests/%lld", c->id);
  switch (c->c) {
  case CA_CLAIM:
    e = requests_transition(c->who, c->id, RS_SUBMITTED, RS_TRIAGE, NULL, false);
    if (e == ERR_OK) e = st_claim(a, c->id, c->who->user_id);
    break;
  case CA_ASK_INFO: {
    json_t *miss = json_array();
    for (size_t i = 0; i < in->n_missing; i++) json_array_append_new(miss, json_string(in->missing[i]));
    const char *det = json_text(a, json_pack("{s:o,s:s}", "missing", miss, "message", in->message));
    e = det ? requests_transition(c->who, c->id, RS_TRIAGE, RS_NEEDS_INFO, det, false) : ERR_INTERNAL;
    break;
  }
  case CA_RESUME: e = requests_transition(c->who, c->id, RS_NEEDS_INFO, RS_TRIAGE, NULL, false); break;
  case CA_ACCEPT: e = requests_transition(c->who, c->id, RS_TRIAGE, RS_ACCEPTED, NULL, false); break;
  case CA_ASSIGN: {
    long long rev = 0;
    /* the patient's choice is honoured, or the patient reads why not */
    struct rqs_row row;
    e = rqs_get(a, c->id, &row);
    if (e != ERR_OK) return e;
    bool other = row.specialist_id > 0 && row.specialist_id != in->specialist_id;
    const char *why = in->assign_reason;
    while (why && (*why == ' ' || *why == '\n' || *why == '\r' || *why == '\t')) why++;
    if (other && (!why || !*why)) {
      add_err(c->errs, "assign_reason",
              "The patient chose another specialist: say why this one is assigned. The patient reads it.");
      return ERR_INVALID;
    }
    if (!other) why = NULL;
    e = st_specialist_reviewer(a, in->specialist_id, &rev);
    if (e == ERR_NOT_FOUND) {
      add_err(c->errs, "specialist", "Choose an active specialist who has a reviewer account.");
      return ERR_INVALID;
    }
    if (e == ERR_OK) e = st_assign(a, c->id, in->specialist_id, rev, why ? in->assign_reason : "");
    if (e == ERR_OK)
      e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id,
                        json_text(a, why ? json_pack("{s:s,s:I,s:s}", "event", "reviewer_assigned", "specialist",
                                                     (json_int_t)in->specialist_id, "reason", in->assign_reason)
                                         : json_pack("{s:s,s:I}", "event", "reviewer_assigned", "specialist",
                                                     (json_int_t)in->specialist_id)),
                        true);
    if (e == ERR_OK) e = notify_user(a, rev, NK_ASSIGNED, arena_printf(a, "/reviewer/cases/%lld", c->id));
    break;
  }
  case CA_SCHEDULE: {
    int64_t t = 0;
    if (consult_when(in->date, in->time, in->tz, &t) != 0) return ERR_INVALID; /* the form's rule said so already */
    char when[21];
    tz_wire(when, t);
    e = st_consult_add(a, c->id, when, in->place, c->who->user_id);
    /* the instant, so that each reader sees it in their own zone; date and time as typed, with their zone */
    const char *det =
        json_text(a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "starts_at", when, "date", in->date, "time", in->time, "zone",
                               in->tz && *in->tz ? in->tz : TZ_DEFAULT, "place", in->place));
    if (e == ERR_OK && c->st == RS_ACCEPTED) {
      e = requests_transition(c->who, c->id, RS_ACCEPTED, RS_SCHEDULED, det, false);
    } else if (e == ERR_OK) {
      e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id, det, false);
      if (e == ERR_OK) e = notify_user(a, patient, NK_CONSULTATION, path);
    }
    break;
  }
  case CA_START: e = requests_transition(c->who, c->id, c->st, RS_IN_REVIEW, NULL, false); break;
  case CA_DECLINE: {
    const char *det = json_text(a, json_pack("{s:s}", "reason", in->message));
    e = det ? requests_transition(c->who, c->id, c->st, RS_DECLINED, det, false) : ERR_INTERNAL;
    break;
  }
  case CA_RELEASE: {
    /* a significant unexpected finding goes to the referring physician first */
    bool blocks = false;
    e = comm_task_blocks_release(a, c->id, &blocks);
    if (e != ERR_OK) return e;
    if (blocks) {
      add_err(c->errs, "communication",
              "This report has a significant unexpected finding: record that the referring physician was reached "
              "(who, when, how) before releasing it. Nothing was released.");
      return ERR_INVALID;
    }
    e = st_report_release(a, report_id, c->who->user_id);
    if (e == ERR_OK)
      e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id, "{\"event\":\"report_released\"}", false);
    if (e == ERR_OK) e = notify_user(a, patient, NK_REPORT, arena_printf(a, "/requests/%lld/report", c->id));
    break;
  }
  case CA_CLOSE: e = requests_transition(c->who, c->id, RS_REPORT_READY, RS_CLOSED, NULL, false); break;
  case CA_COVERAGE:
    e = st_coverage_set(a, c->id, in->insurance_verified, in->referral_received, in->network_status,
                        in->coverage_notes ? in->coverage_notes : "", c->who->user_id);
    if (e == ERR_OK)
      e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id, "{\"event\":\"coverage_checked\"}", true);
    break;
  case CA_NOTE: e = requests_post_message(c->who, c->id, in->message, true); break;
  case CA_REPLY: e = requests_post_message(c->who, c->id, in->message, false); break;
  case CA_COUNT: e = ERR_INVALID; break;
  }
  if (e == ERR_OK) e = act_audit(c, "ok");
  return e;
}

/* Runs one parsed action as one transaction: the access check on the locked row, the checks of
 * the state, the save and the audit row; a refusal is written down after the rollback. */
static enum err act_run(struct arena *a, const struct actor *who, long long id, enum center_action c,
                        const struct center_action_in *in, struct center_errors *errs) {
  struct act_ctx ctx = {.a = a, .who = who, .id = id, .c = c, .in = in, .errs = errs};
  enum err e = id > 0 ? db_tx(act_tx, &ctx) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND && (ctx.denied || id <= 0)) requests_access_denied(who, id);
  if (e == ERR_CONFLICT || e == ERR_FORBIDDEN) act_audit(&ctx, "denied");
  return e;
}

enum err center_act_submit(struct arena *a, const struct actor *who, long long id, enum center_action c,
                           enum req_status from, const struct form_pair *pairs, size_t n, const char *today,
                           const char *tz, struct center_errors *errs) {
  if (errs) memset(errs, 0, sizeof *errs);
  if (!who || (who->role != R_STAFF && !(who->role == R_REVIEWER && c == CA_START))) return ERR_FORBIDDEN;
  const struct form_spec *spec = center_action_form(c);
  struct form_value v[8];
  struct form_errors fe;
  if (spec->n > N_OF(v)) return ERR_INTERNAL;
  if (!form_parse(a, spec, pairs, n, today, (void *)tz, v, &fe)) {
    for (size_t i = 0; i < fe.n; i++) add_err(errs, fe.e[i].field, fe.e[i].message);
    return ERR_INVALID;
  }
  struct center_action_in in = {.from = from, .tz = tz};
  switch (c) {
  case CA_ASK_INFO:
    in.missing = v[0].list;
    in.n_missing = v[0].n_list;
    in.message = v[1].text;
    break;
  case CA_DECLINE:
  case CA_NOTE:
  case CA_REPLY: in.message = v[0].text; break;
  case CA_ASSIGN:
    in.specialist_id = v[0].num;
    in.assign_reason = v[1].text;
    break;
  case CA_SCHEDULE:
    in.date = v[SC_DATE].text;
    in.time = v[SC_TIME].text;
    in.place = v[SC_PLACE].text;
    break;
  case CA_COVERAGE:
    in.insurance_verified = v[0].present;
    in.referral_received = v[1].present;
    in.network_status = v[2].text;
    in.coverage_notes = v[3].text;
    break;
  case CA_CLAIM:
  case CA_RESUME:
  case CA_ACCEPT:
  case CA_START:
  case CA_RELEASE:
  case CA_CLOSE:
  case CA_COUNT: break;
  }
  return act_run(a, who, id, c, &in, errs);
}

enum err center_consult_latest(struct arena *a, const struct actor *who, long long id, struct rowset *out) {
  enum req_status st;
  long long owner = 0;
  out->n = 0;
  enum err e = requests_access(who, id, RA_VIEW, &st, &owner);
  if (e != ERR_OK) return e;
  return st_consult_latest(a, id, out);
}

enum err center_consult_ics(struct arena *a, const struct actor *who, long long id, const char **ics) {
  if (!who || (who->role != R_PATIENT && who->role != R_STAFF)) return ERR_NOT_FOUND;
  enum req_status st;
  long long owner = 0;
  enum err e = requests_access(who, id, RA_VIEW, &st, &owner);
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  if (e == ERR_NOT_FOUND || e == ERR_FORBIDDEN) {
    /* someone else's request, or none: refused like any unknown one, and written down */
    struct audit_event ev = {"consultation.ics", "request", oid, owner, "denied", NULL};
    audit_write(who, &ev);
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  struct rowset rs;
  e = st_consult_latest(a, id, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  int64_t start = 0, stamp = 0;
  if (!tz_parse_wire(rs_get(&rs, 0, "starts_at"), &start) || !tz_parse_wire(rs_get(&rs, 0, "created_at"), &stamp))
    return ERR_INTERNAL;
  /* the UID names the portal's host (RFC 5545 3.8.4.7): a moved consultation is a new event */
  const char *base = outbox_link(a, "/");
  const char *host = base && strstr(base, "://") ? strstr(base, "://") + 3 : "secondop";
  size_t hl = strcspn(host, ":/");
  struct ics_event ev = {
      .uid = arena_printf(a, "consultation-%s-request-%lld@%.*s", rs_get(&rs, 0, "id"), id, (int)hl, host),
      .stamp = stamp,
      .start = start,
      .end = start + 60 * rs_ll(&rs, 0, "minutes"),
      /* plain words, nothing clinical: a calendar is seen by others and synchronised to other services */
      .summary = "Appointment at the breast center",
      .location = rs_get(&rs, 0, "place"),
      .description = "Your appointment at the breast center. Details are in the portal.",
  };
  *ics = ev.uid ? ics_calendar(a, &ev) : NULL;
  if (!*ics) return ERR_INTERNAL;
  struct audit_event au = {"consultation.ics", "request", oid, owner, "ok", NULL};
  return audit_write(who, &au);
}

enum err center_reviewer_cases(struct arena *a, const struct actor *who, struct rowset *out) {
  if (!who || who->role != R_REVIEWER) return ERR_FORBIDDEN;
  enum err e = st_reviewer_cases(a, who->user_id, out);
  if (e != ERR_OK) return e;
  struct audit_event ev = {"reviewer.worklist_view", NULL, NULL, 0, "ok", arena_printf(a, "{\"rows\":%zu}", out->n)};
  return audit_write(who, &ev);
}

enum err center_metrics(struct arena *a, struct rowset *per_status, long long *overdue, long long *outbox_pending,
                        long long *outbox_held) {
  enum err e = st_queue_counts(a, per_status);
  if (e == ERR_OK) e = st_overdue_count(a, overdue);
  if (e == ERR_OK) e = st_outbox_backlog(a, outbox_pending, outbox_held);
  return e;
}

/* ---- center settings (admin only) ---- */

#define R_ADMIN (1u << 3)

enum err center_settings_get(struct arena *a, const struct actor *who, struct rowset *targets, struct rowset *rules) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  enum err e = st_targets(a, targets);
  if (e == ERR_OK) e = st_rules(a, rules);
  return e;
}

const char *center_review_type_label(const char *t) {
  if (!t) return "";
  if (strcmp(t, "reread") == 0) return "Re-read of the images";
  if (strcmp(t, "consult") == 0) return "Consultation with a specialist";
  if (strcmp(t, "default") == 0) return "Any other review (no target of its own)";
  /* per triage class (core/triage.h): the due date takes the smaller of the two targets */
  if (strcmp(t, "priority_1") == 0) return "Priority 1: proven cancer, treatment within 14 days";
  if (strcmp(t, "priority_2") == 0) return "Priority 2: BI-RADS 5 or 4C, or proven cancer";
  if (strcmp(t, "priority_3") == 0) return "Priority 3: BI-RADS 4, 4A, 4B, or biopsy result pending";
  if (strcmp(t, "priority_4") == 0) return "Priority 4: BI-RADS 0, or no category given";
  if (strcmp(t, "priority_5") == 0) return "Priority 5: BI-RADS 3";
  if (strcmp(t, "priority_6") == 0) return "Priority 6: BI-RADS 1 or 2, or a concordant benign biopsy";
  return t;
}

const char *center_rule_explain(struct arena *a, const char *kind, const char *months) {
  if (!kind) return "";
  if (strcmp(kind, "negative_screening") == 0)
    return "Flags a request whose first read was a negative screening mammogram (BI-RADS 1 or 2, no diagnostic "
           "mammogram).";
  if (strcmp(kind, "no_images") == 0) return "Flags a request that has no original images (DICOM) uploaded yet.";
  if (strcmp(kind, "old_exam") == 0)
    return arena_printf(a, "Flags a request whose first exam is older than %s months.",
                        months && *months ? months : "12");
  return kind;
}

/* Parses a whole number of days 1–90 (digits only); false otherwise. */
struct targets_ctx {
  struct arena *a;
  const struct actor *who;
  size_t n;
  const char *const *types;
  const int *days;
};

static enum err targets_tx(void *p) {
  struct targets_ctx *c = p;
  json_t *changed = json_object();
  if (!changed) return ERR_INTERNAL;
  enum err e = ERR_OK;
  for (size_t i = 0; e == ERR_OK && i < c->n; i++) {
    bool ch = false;
    e = st_target_set(c->a, c->types[i], c->days[i], &ch);
    if (e == ERR_OK && ch && json_object_set_new(changed, c->types[i], json_integer(c->days[i])) != 0) e = ERR_INTERNAL;
  }
  char *detail = NULL;
  if (e == ERR_OK) {
    json_t *d = json_pack("{s:s, s:O}", "what", "review_targets", "target_days", changed);
    detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!detail) e = ERR_INTERNAL;
  }
  if (e == ERR_OK) {
    struct audit_event ev = {"center.settings.change", "review_targets", NULL, 0, "ok", detail};
    e = audit_write(c->who, &ev);
  }
  free(detail);
  json_decref(changed);
  return e;
}

enum err center_targets_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                               struct center_errors *errs) {
  errs->n = 0;
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct rowset known;
  enum err e = st_targets(a, &known);
  if (e != ERR_OK) return e;
  /* the form: one days_<type> field per review type the center knows, each 1–90 */
  struct form_field *fields = arena_alloc(a, (known.n + 1) * sizeof *fields);
  struct form_value *v = arena_alloc(a, (known.n + 1) * sizeof *v);
  int *days = arena_alloc(a, (known.n + 1) * sizeof *days);
  const char **kt = arena_alloc(a, (known.n + 1) * sizeof *kt);
  if (!fields || !v || !days || !kt) return ERR_INTERNAL;
  for (size_t k = 0; k < known.n; k++) {
    kt[k] = rs_get(&known, k, "review_type");
    fields[k] = (struct form_field){.name = arena_printf(a, "days_%s", kt[k]), .type = FT_INT, .required = true,
                                    .min = 1, .max = 90,
                                    .missing = "Enter the number of days (a whole number from 1 to 90).",
                                    .invalid = "Enter a whole number of days from 1 to 90."};
    if (!fields[k].name) return ERR_INTERNAL;
  }
  const struct form_spec spec = {fields, known.n, NULL};
  struct form_errors fe;
  bool ok = form_parse(a, &spec, in, n, NULL, NULL, v, &fe);
  if (!ok)
    for (size_t i = 0; i < fe.n; i++) add_err(errs, fe.e[i].field, fe.e[i].message);
  /* a target for a review type the center does not have is refused, not silently dropped */
  for (size_t i = 0; i < n; i++)
    if (in[i].name && strncmp(in[i].name, "days_", 5) == 0 && form_index(&spec, in[i].name) < 0) {
      add_err(errs, "targets",
              "The form sent a target for a review type this center does not have. Nothing was saved: reload "
              "the page and enter the targets again.");
      ok = false;
      break;
    }
  if (!ok) return ERR_INVALID;
  for (size_t k = 0; k < known.n; k++) days[k] = (int)v[k].num;
  struct targets_ctx c = {a, who, known.n, kt, days};
  return db_tx(targets_tx, &c);
}

struct rule_ctx {
  struct arena *a;
  const struct actor *who;
  const char *kind;
  bool *enabled;
};

static enum err rule_tx(void *p) {
  struct rule_ctx *c = p;
  enum err e = st_rule_toggle(c->a, c->kind, c->enabled);
  if (e != ERR_OK) return e;
  const char *detail = arena_printf(c->a, "{\"what\":\"eligibility_rule\",\"enabled\":%s}", *c->enabled ? "true" : "false");
  struct audit_event ev = {"center.settings.change", "eligibility_rule", c->kind, 0, "ok", detail};
  return audit_write(c->who, &ev);
}

enum err center_rule_toggle(struct arena *a, const struct actor *who, const char *kind, bool *enabled) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  if (!kind || (strcmp(kind, "negative_screening") != 0 && strcmp(kind, "no_images") != 0 &&
                strcmp(kind, "old_exam") != 0))
    return ERR_NOT_FOUND;
  struct rule_ctx c = {a, who, kind, enabled};
  return db_tx(rule_tx, &c);
}

enum err center_viewer_notice(struct arena *a, bool *on) { return st_viewer_notice(a, on); }

struct notice_ctx {
  struct arena *a;
  const struct actor *who;
  bool *on;
};

static enum err notice_tx(void *p) {
  struct notice_ctx *c = p;
  enum err e = st_viewer_notice_toggle(c->a, c->on);
  if (e != ERR_OK) return e;
  const char *detail = arena_printf(c->a, "{\"what\":\"viewer_notice\",\"enabled\":%s}", *c->on ? "true" : "false");
  struct audit_event ev = {"center.settings.change", "center_display", "viewer_notice", 0, "ok", detail};
  return audit_write(c->who, &ev);
}

enum err center_viewer_notice_toggle(struct arena *a, const struct actor *who, bool *on) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct notice_ctx c = {a, who, on};
  return db_tx(notice_tx, &c);
}

/* ---- the center's name and address, and the header of printed pages (issue 15 item 6) ---- */

enum err center_identity_get(struct arena *a, const char **name, const char **address) {
  return st_center_identity(a, name, address);
}

/* Counts UTF-8 characters; false when a control character other than the
 * allowed newline appears. */
/* Copies s without carriage returns and without trailing spaces/newlines. */
static char *identity_clean(struct arena *a, const char *s) {
  size_t n = strlen(s);
  char *o = arena_alloc(a, n + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] != '\r') o[k++] = s[i];
  while (k && (o[k - 1] == ' ' || o[k - 1] == '\n' || o[k - 1] == '\t')) k--;
  o[k] = 0;
  size_t lead = 0;
  while (o[lead] == ' ' || o[lead] == '\n' || o[lead] == '\t') lead++;
  return o + lead;
}

struct identity_ctx {
  struct arena *a;
  const struct actor *who;
  const char *name, *address;
};

static enum err identity_tx(void *p) {
  struct identity_ctx *c = p;
  enum err e = st_center_identity_set(c->a, c->name, c->address);
  if (e != ERR_OK) return e;
  struct audit_event ev = {"center.settings.change", "center_identity", "identity", 0, "ok",
                           "{\"what\":\"center_identity\"}"};
  return audit_write(c->who, &ev);
}

enum { CI_NAME, CI_ADDRESS, CI_N };
static const struct form_field identity_fields[] = {
    [CI_NAME] = {.name = "center_name", .type = FT_TEXT, .required = true, .max = 200,
                 .missing = "Enter the center's name as it should appear on printed pages.",
                 .invalid = "Enter a name of at most 200 characters on one line."},
    [CI_ADDRESS] = {.name = "center_address", .type = FT_MULTILINE, .required = true,
                    .missing = "Enter the center's postal address.",
                    .invalid = "Enter an address of at most 500 characters on at most 8 lines."},
};

/* The address, carriage returns aside: at most 500 characters on at most 8 lines. */
static void identity_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                           void *ctx) {
  (void)spec;
  (void)ctx;
  if (!v[CI_ADDRESS].present || form_error(errs, "center_address")) return;
  size_t chars = 0, lines = 1;
  for (const unsigned char *p = (const unsigned char *)v[CI_ADDRESS].text; *p; p++) {
    if (*p == '\r') continue;
    if ((*p & 0xC0) != 0x80) chars++;
    lines += *p == '\n';
  }
  if (chars > 500 || lines > 8)
    form_error_add(errs, "center_address", "Enter an address of at most 500 characters on at most 8 lines.");
}

const struct form_spec *center_identity_form(void) {
  static const struct form_spec spec = {identity_fields, CI_N, identity_check};
  return &spec;
}

enum err center_identity_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                                struct center_errors *errs) {
  errs->n = 0;
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct form_value v[CI_N];
  struct form_errors fe;
  if (!form_parse(a, center_identity_form(), in, n, NULL, NULL, v, &fe)) {
    for (size_t i = 0; i < fe.n; i++) add_err(errs, fe.e[i].field, fe.e[i].message);
    return ERR_INVALID;
  }
  char *name = identity_clean(a, v[CI_NAME].text), *ad = identity_clean(a, v[CI_ADDRESS].text);
  if (!name || !ad) return ERR_INTERNAL;
  struct identity_ctx c = {a, who, name, ad};
  return db_tx(identity_tx, &c);
}

enum err center_print_header(struct arena *a, const struct actor *who, long long id, struct center_print_header *out) {
  memset(out, 0, sizeof *out);
  enum err e = requests_access_view_unaudited(who, id, NULL);
  if (e != ERR_OK) return e;
  struct rowset rs;
  if ((e = st_print_header(a, id, &rs)) != ERR_OK) return e;
  out->reference = rs_get(&rs, 0, "reference");
  out->patient_name = rs_get(&rs, 0, "patient_name");
  out->birth_date = rs_get(&rs, 0, "birth_date");
  out->center_name = rs_get(&rs, 0, "center_name");
  out->center_address = rs_get(&rs, 0, "center_address");
  return ERR_OK;
}

static enum err identity_demo_tx(void *p) {
  struct identity_ctx *c = p;
  const char *name = "", *address = "";
  enum err e = st_center_identity(c->a, &name, &address);
  if (e != ERR_OK || *name) return e; /* an admin's own settings are kept */
  return identity_tx(c);
}

enum err center_identity_seed_demo(void) {
  static const struct actor seed_actor = {0, 0, "", "seed-demo", 0, false};
  db_close(); /* the start-up thread's connection predates the center's statements: reopen it */
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct identity_ctx c = {a, &seed_actor, "secondop Demo Breast Center", "1 Example Street\nSpringfield, MA 01101"};
  enum err e = db_tx(identity_demo_tx, &c);
  arena_free(a);
  return e;
}
