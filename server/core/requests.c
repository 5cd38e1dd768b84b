/* The request state machine and the patient's workflow (see requests.h). */
#include "core/requests.h"
#include "core/vocab.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/birads.h"
#include "core/form.h"
#include "core/caregivers.h"
#include "core/center.h"
#include "core/checklist.h"
#include "core/outbox.h"
#include "core/secrets.h"
#include "core/sigfold.h"
#include "core/specialists.h"
#include "store/caregivers.h"
#include "store/db.h"
#include "store/requests.h"
#include "store/uploads.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

/* Role bits: the same values as enum role in http/req.h (the domain does
 * not include HTTP headers). */
#define R_PATIENT (1u << 0)
#define R_STAFF (1u << 1)
#define R_REVIEWER (1u << 2)
#define R_ADMIN (1u << 3)

/* Subkey purposes of the app key for request data (secrets.h lists 1–4;
 * these numbers are reserved for the request workflow). */

const char *const REQUESTS_AUTH_VERSION = "2026-11-v1";

/* the statuses and their words: core/vocab.h (in enum req_status order) */
_Static_assert(RS_COUNT == 11, "enum req_status and VOCAB_STATUSES list the same statuses");

const char *req_status_name(enum req_status s) {
  return (unsigned)s < RS_COUNT ? VOCAB_STATUSES[s].key : "unknown";
}
const char *req_status_label(enum req_status s) {
  return (unsigned)s < RS_COUNT ? VOCAB_STATUSES[s].patient : "Unknown";
}

bool req_status_parse(const char *name, enum req_status *out) {
  int i = vocab_status_index(name);
  if (i < 0 || i >= RS_COUNT) return false;
  *out = (enum req_status)i;
  return true;
}

bool req_transition_allowed(enum req_status from, enum req_status to, unsigned role) {
  if (role == R_PATIENT) {
    if (from == RS_DRAFT && to == RS_SUBMITTED) return true;
    if (to == RS_WITHDRAWN && req_withdrawable(from)) return true;
    if (from == RS_NEEDS_INFO && to == RS_TRIAGE) return true;
    return false;
  }
  if (role == R_STAFF) {
    switch (from) {
    case RS_SUBMITTED: return to == RS_TRIAGE;
    case RS_TRIAGE: return to == RS_NEEDS_INFO || to == RS_ACCEPTED || to == RS_DECLINED;
    case RS_NEEDS_INFO: return to == RS_TRIAGE || to == RS_DECLINED;
    case RS_ACCEPTED: return to == RS_SCHEDULED || to == RS_IN_REVIEW || to == RS_DECLINED;
    case RS_SCHEDULED: return to == RS_IN_REVIEW;
    case RS_REPORT_READY: return to == RS_CLOSED;
    case RS_DRAFT:
    case RS_IN_REVIEW:
    case RS_CLOSED:
    case RS_DECLINED:
    case RS_WITHDRAWN:
    case RS_COUNT: return false;
    }
    return false;
  }
  if (role == R_REVIEWER) {
    if ((from == RS_ACCEPTED || from == RS_SCHEDULED) && to == RS_IN_REVIEW) return true;
    if (from == RS_IN_REVIEW && to == RS_REPORT_READY) return true;
    return false;
  }
  return false; /* admin, anonymous, system: none */
}

bool req_records_open(enum req_status s) { return s == RS_DRAFT || s == RS_NEEDS_INFO; }

bool req_withdrawable(enum req_status s) {
  return s == RS_SUBMITTED || s == RS_TRIAGE || s == RS_NEEDS_INFO || s == RS_ACCEPTED || s == RS_SCHEDULED;
}

/* Writes one audit row; failures are logged (the caller's transaction, if
 * any, decides). */
static enum err audit(const struct actor *a, const char *action, long long id, long long patient_id,
                      const char *outcome, const char *detail) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  struct audit_event ev = {action, "request", oid, patient_id, outcome, detail};
  enum err e = audit_write(a, &ev);
  if (e != ERR_OK) LOG_W("audit write failed for %s", action);
  return e;
}

/* The access rule without side effects: 1 when allowed. */
static int may(const struct actor *a, enum req_access kind, enum req_status st, long long owner, long long reviewer) {
  if (!a || a->user_id <= 0) return 0;
  switch (a->role) {
  /* the patient, or a caregiver she invited and has not revoked (core/caregivers.h) */
  case R_PATIENT: return owner == a->user_id || caregivers_acts_for(a->user_id, owner);
  case R_STAFF: return st != RS_DRAFT;
  case R_REVIEWER: return kind == RA_VIEW && reviewer == a->user_id && st != RS_DRAFT;
  default: return 0;
  }
}

/* Reads status, owner and reviewer of a request (locks the row when inside
 * a transaction and lock is set). */
static enum err peek(long long id, bool lock, enum req_status *st, long long *owner, long long *reviewer) {
  struct arena *ar = arena_new();
  if (!ar) return ERR_INTERNAL;
  const char *status = NULL;
  enum err e;
  if (lock) {
    e = rqs_lock(ar, id, &status, owner, reviewer);
  } else {
    struct rqs_row row;
    e = rqs_get(ar, id, &row);
    if (e == ERR_OK) {
      status = row.status;
      *owner = row.patient_id;
      *reviewer = row.assigned_reviewer_id;
    }
  }
  if (e == ERR_OK && !req_status_parse(status, st)) e = ERR_INTERNAL;
  arena_free(ar);
  return e;
}

enum err requests_access(const struct actor *a, long long id, enum req_access kind, enum req_status *status,
                         long long *patient_id) {
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  enum err e = id > 0 ? peek(id, false, &st, &owner, &reviewer) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !may(a, kind, st, owner, reviewer))) {
    audit(a, "request.view", id, 0, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  /* a caregiver opening her request is someone else opening her records */
  if (kind == RA_VIEW && (a->role != R_PATIENT || owner != a->user_id)) {
    e = audit(a, "request.view", id, owner, "ok", NULL);
    if (e != ERR_OK) return e; /* no unaudited reads of patient data */
  }
  if (status) *status = st;
  if (patient_id) *patient_id = owner;
  return ERR_OK;
}

enum err requests_access_view_unaudited(const struct actor *a, long long id, long long *patient_id) {
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  enum err e = id > 0 ? peek(id, false, &st, &owner, &reviewer) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !may(a, RA_VIEW, st, owner, reviewer))) {
    audit(a, "request.view", id, 0, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  if (patient_id) *patient_id = owner;
  return ERR_OK;
}

enum err requests_access_locked(const struct actor *a, long long id, enum req_access kind, enum req_status *status,
                                long long *patient_id, long long *reviewer_id) {
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  enum err e = id > 0 ? peek(id, true, &st, &owner, &reviewer) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !may(a, kind, st, owner, reviewer))) return ERR_NOT_FOUND;
  if (e != ERR_OK) return e;
  if (kind == RA_VIEW && (a->role != R_PATIENT || owner != a->user_id)) {
    e = audit(a, "request.view", id, owner, "ok", NULL);
    if (e != ERR_OK) return e;
  }
  if (status) *status = st;
  if (patient_id) *patient_id = owner;
  if (reviewer_id) *reviewer_id = reviewer;
  return ERR_OK;
}

void requests_access_denied(const struct actor *a, long long id) { audit(a, "request.view", id, 0, "denied", NULL); }

/* ---- transitions ---- */

struct tx_ctx {
  const struct actor *a;
  long long id;
  enum req_status from, to;
  const char *detail;
  bool internal;
  const char *kind;         /* event kind, "status" by default */
  bool check_complete;      /* submission: refuse unless complete */
  const char *reference;    /* out: reference after the change (malloc'd? no: copied into ref_buf) */
  char ref_buf[40];
};

/* Queues the "something changed" e-mail to the patient (no health data). */
static void notify_patient(struct arena *ar, long long patient_id, const char *reference, bool submitted) {
  if (!submitted) {
    /* status news follows the patient's notification preferences */
    if (notify_user(ar, patient_id, NK_STATUS, "/requests") != ERR_OK) LOG_W("could not queue the notification");
    return;
  }
  const char *email = NULL, *name = NULL, *zone = NULL;
  if (rqs_user_contact_tz(ar, patient_id, &email, &name, &zone) != ERR_OK) return;
  /* a represented person's placeholder address (core/caregivers.h) is never mailed */
  size_t el = strlen(email);
  if (el > 8 && strcmp(email + el - 8, "@invalid") == 0) return;
  const char *link = outbox_link(ar, "/requests");
  if (!link) return;
  /* when, in the patient's own time zone */
  char when[96];
  tz_format(when, sizeof when, (int64_t)time(NULL), zone, TZ_LONG);
  const char *subject = submitted ? "We received your second-opinion request" : "News about your second-opinion request";
  const char *body =
      submitted ? arena_printf(ar,
                               "Thank you. We received your request %s on %s.\n\nThe breast center will check "
                               "it and tell you if anything is missing. You can follow it here:\n%s\n",
                               reference, when, link)
                : arena_printf(ar, "There is news about your request %s. Please log in to see it:\n%s\n", reference,
                               link);
  if (body && outbox_enqueue(ar, email, subject, body) != ERR_OK) LOG_W("could not queue the notification");
}

static enum err transition_tx(void *vctx) {
  struct tx_ctx *c = vctx;
  struct arena *ar = arena_new();
  if (!ar) return ERR_INTERNAL;
  enum req_status st;
  long long owner = 0, reviewer = 0;
  enum err e = peek(c->id, true, &st, &owner, &reviewer);
  if (e != ERR_OK) goto done;
  if (!may(c->a, RA_EDIT, st, owner, reviewer) && !may(c->a, RA_VIEW, st, owner, reviewer)) {
    e = ERR_NOT_FOUND;
    goto done;
  }
  if (st != c->from) {
    e = ERR_CONFLICT;
    goto done;
  }
  /* the patient sends the request on: files still being checked would be
   * refused by their intake once records close, so they must finish first
   * (the row lock above orders this against the upload's last PATCH) */
  if (c->a->role == R_PATIENT && (c->to == RS_SUBMITTED || (c->from == RS_NEEDS_INFO && c->to == RS_TRIAGE))) {
    long long checking = 0;
    e = uploads_checking_count(c->id, &checking);
    if (e != ERR_OK) goto done;
    if (checking > 0) {
      e = ERR_FILES_CHECKING;
      goto done;
    }
  }
  /* a representative's request stops at the staff check until staff verified the authority document
   * (core/caregivers.h): accepting is the step past it (scheduling and review come after) */
  if (c->to == RS_ACCEPTED) {
    struct cg_authority au;
    e = caregivers_authority(ar, owner, &au);
    if (e != ERR_OK) goto done;
    if (au.state != CGA_NONE && au.state != CGA_VERIFIED) {
      e = ERR_AUTHORITY_PENDING;
      goto done;
    }
  }
  if (c->check_complete) {
    struct rqs_row row;
    const char **keys;
    size_t n = 0;
    e = rqs_get(ar, c->id, &row);
    if (e == ERR_OK) e = requests_missing(ar, &row, &keys, &n);
    if (e != ERR_OK) goto done;
    if (n > 0) {
      e = ERR_INVALID;
      goto done;
    }
  }
  e = rqs_set_status(c->id, req_status_name(c->from), req_status_name(c->to));
  if (e != ERR_OK) goto done;
  e = rqs_event_add(c->id, req_status_name(c->from), req_status_name(c->to), c->kind ? c->kind : "status",
                    c->a->user_id, c->detail, c->internal);
  if (e != ERR_OK) goto done;
  const char *det = arena_printf(ar, "{\"from\":\"%s\",\"to\":\"%s\"}", req_status_name(c->from),
                                 req_status_name(c->to));
  e = audit(c->a, c->to == RS_SUBMITTED ? "request.submit" : "request.transition", c->id, owner, "ok", det);
  if (e != ERR_OK) goto done;
  struct rqs_row row;
  e = rqs_get(ar, c->id, &row);
  if (e != ERR_OK) goto done;
  snprintf(c->ref_buf, sizeof c->ref_buf, "%s", row.reference);
  c->reference = c->ref_buf;
  if (c->a->role != R_PATIENT || c->to == RS_SUBMITTED) notify_patient(ar, owner, row.reference, c->to == RS_SUBMITTED);
done:
  arena_free(ar);
  return e;
}

/* Runs one transition as a transaction; the refusal reasons of
 * requests_transition. */
static enum err run_transition(struct tx_ctx *c) {
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  /* whoever may see the request may ask to move it (the rule below
   * decides); a refusal is audited like any other */
  enum err e = c->id > 0 ? peek(c->id, false, &st, &owner, &reviewer) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !may(c->a, RA_VIEW, st, owner, reviewer) &&
                             !may(c->a, RA_EDIT, st, owner, reviewer))) {
    audit(c->a, "request.view", c->id, 0, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  if (!req_transition_allowed(c->from, c->to, c->a->role)) {
    audit(c->a, "request.transition", c->id, owner, "denied", NULL);
    return ERR_FORBIDDEN;
  }
  if (c->detail) {
    json_t *j = json_loads(c->detail, 0, NULL);
    bool ok = json_is_object(j);
    json_decref(j);
    if (!ok) return ERR_INVALID;
  }
  return db_tx(transition_tx, c);
}

enum err requests_transition(const struct actor *a, long long id, enum req_status from, enum req_status to,
                             const char *detail_json, bool internal) {
  if (!a || (unsigned)from >= RS_COUNT || (unsigned)to >= RS_COUNT) return ERR_INVALID;
  struct tx_ctx c = {.a = a, .id = id, .from = from, .to = to, .detail = detail_json, .internal = internal};
  return run_transition(&c);
}

/* ---- the patient's workflow ---- */

enum err requests_create_draft(struct arena *a, const struct actor *who, long long parent_id, long long *id,
                               const char **reference) {
  if (!who || who->user_id <= 0 || who->role != R_PATIENT) return ERR_FORBIDDEN;
  enum err e = rqs_create(a, who->user_id, parent_id, id, reference);
  if (e != ERR_OK) return e;
  audit(who, "request.create", *id, who->user_id, "ok",
        parent_id ? arena_printf(a, "{\"parent\":%lld}", parent_id) : NULL);
  return ERR_OK;
}

enum err requests_create_draft_for(struct arena *a, const struct actor *who, long long patient_id, long long *id,
                                   const char **reference) {
  if (!who || who->user_id <= 0 || who->role != R_PATIENT) return ERR_FORBIDDEN;
  if (patient_id == who->user_id) return requests_create_draft(a, who, 0, id, reference);
  if (!caregivers_acts_for(who->user_id, patient_id)) {
    audit(who, "request.create", 0, 0, "denied", arena_printf(a, "{\"for\":%lld}", patient_id));
    return ERR_NOT_FOUND;
  }
  enum err e = rqs_create(a, patient_id, 0, id, reference);
  if (e != ERR_OK) return e;
  audit(who, "request.create", *id, patient_id, "ok", "{\"by\":\"caregiver\"}");
  return ERR_OK;
}

enum err requests_load(struct arena *a, const struct actor *who, long long id, struct rqs_row *out) {
  enum req_status st;
  long long owner = 0;
  enum err e = requests_access(who, id, RA_VIEW, &st, &owner);
  if (e != ERR_OK) return e;
  e = rqs_get(a, id, out);
  if (e != ERR_OK) return e;
  if (who->role == R_PATIENT) audit(who, "request.view", id, owner, "ok", NULL);
  return ERR_OK;
}

enum err requests_list_mine(struct arena *a, const struct actor *who, struct rqs_row **out, size_t *n) {
  if (!who || who->user_id <= 0 || who->role != R_PATIENT) return ERR_FORBIDDEN;
  return rqs_list_for_patient(a, who->user_id, out, n);
}

enum err requests_list_for(struct arena *a, const struct actor *who, long long patient_id, struct rqs_row **out,
                           size_t *n) {
  *n = 0;
  if (!who || who->user_id <= 0 || who->role != R_PATIENT) return ERR_FORBIDDEN;
  if (patient_id != who->user_id && !caregivers_acts_for(who->user_id, patient_id)) return ERR_NOT_FOUND;
  return rqs_list_for_patient(a, patient_id, out, n);
}

/* Today as YYYYMMDD (UTC). */
static void today_ymd(char out[9]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  if (strftime(out, 9, "%Y%m%d", &tm) != 8) out[0] = '\0';
}

enum err requests_checklist(struct arena *a, const struct rqs_row *row, struct checklist_item *items, size_t *n) {
  struct rqs_doc_summary ds;
  struct rqs_authorization au;
  int signed_in_force = 0;
  enum err e = rqs_doc_summary(a, row->id, &ds);
  if (e == ERR_OK) e = rqs_auth_current(a, row->id, &au, &signed_in_force);
  if (e != ERR_OK) return e;
  char today[9];
  today_ymd(today);
  struct checklist_input in = {
      .biopsy_done = row->biopsy_done == 1,
      .self_pay = strcmp(row->payment, "self_pay") == 0,
      .plan_needs_referral = row->plan_needs_referral == 1,
      .authorization_signed = signed_in_force && au.signed_name && *au.signed_name,
      .dicom_images = ds.dicom_images,
      .pictures = ds.pictures,
      .image_studies = ds.image_studies,
      .prior_images = ds.prior_images,
      .newest_image_date = ds.newest_image_date,
      .radiology_report = ds.radiology_report,
      .pathology_report = ds.pathology_report,
      .authorization_uploaded = ds.authorization,
      .photo_id = ds.photo_id,
      .insurance_card = ds.insurance_card,
      .referral = ds.referral,
      .today = today,
  };
  *n = checklist_build(&in, items);
  return ERR_OK;
}

enum err requests_missing(struct arena *a, const struct rqs_row *row, const char ***keys, size_t *n) {
  struct checklist_item items[CHECKLIST_ITEMS];
  size_t ni = 0;
  enum err e = requests_checklist(a, row, items, &ni);
  if (e != ERR_OK) return e;
  const char **k = arena_alloc(a, (ni + 4) * sizeof *k);
  if (!k) return ERR_INTERNAL;
  *n = 0;
  if (!row->exam_saved || !*row->exam_facility || !*row->birads || row->biopsy_done < 0 || !*row->reason)
    k[(*n)++] = "exam";
  if (!*row->review_type || !*row->review_mode || (!row->center_chooses && row->specialist_id == 0))
    k[(*n)++] = "specialist";
  if (!*row->payment || !row->estimate_acknowledged ||
      (strcmp(row->payment, "insurance") == 0 && (!*row->insurance_plan || row->plan_needs_referral < 0)))
    k[(*n)++] = "coverage";
  for (size_t i = 0; i < ni; i++)
    if (items[i].need == CL_REQUIRED && items[i].state != CL_DONE) k[(*n)++] = items[i].key;
  /* a representative submits once the document giving them authority is uploaded */
  struct cg_authority au;
  e = caregivers_authority(a, row->patient_id, &au);
  if (e != ERR_OK) return e;
  if (au.state == CGA_MISSING) k[(*n)++] = VOCAB_DOC_AUTHORITY;
  *keys = k;
  return ERR_OK;
}

struct save_ctx {
  const struct actor *who;
  long long id, owner;
  const char *step;
  enum err (*fn)(struct save_ctx *);
  const struct rqs_exam *exam;
  const char *s1, *s2, *s3;
  bool b1;
  long long l1;
  int i1;
  bool denied;
  bool guarded; /* fn applies the access rule itself and sets owner (0: refused) */
  bool no_member; /* coverage: insurance without a member id (ERR_INVALID, rolled back) */
  enum err refused_as; /* guarded: what an allowed draft the statement did not change means */
};

/* One transaction with one access check: the row is locked, the rule of
 * requests_access(RA_EDIT) applied to it, the answers saved and the one
 * audit row written. A refusal sets c->denied (audited after the rollback). */
static enum err save_tx(void *p) {
  struct save_ctx *c = p;
  struct arena *ar = arena_new();
  if (!ar) return ERR_INTERNAL;
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  c->denied = false;
  enum err e = ERR_OK;
  if (c->guarded) {
    /* the statement that saves holds the access rule: the common case is the
     * change and its audit row; only a refusal reads the row to say why */
    c->owner = 0;
    e = c->fn(c);
    if (e == ERR_OK && c->owner > 0) {
      e = audit(c->who, "request.update", c->id, c->owner, "ok", arena_printf(ar, "{\"step\":\"%s\"}", c->step));
      arena_free(ar);
      return e;
    }
    if (e != ERR_OK) {
      arena_free(ar);
      return e;
    }
  }
  e = peek(c->id, true, &st, &owner, &reviewer);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !may(c->who, RA_EDIT, st, owner, reviewer))) {
    c->denied = true;
    e = ERR_NOT_FOUND;
  }
  if (e == ERR_OK && st != RS_DRAFT) e = ERR_CONFLICT;
  /* allowed, a draft, and still not saved: the statement's own rule said no (or it changed meanwhile) */
  if (e == ERR_OK && c->guarded) e = c->refused_as != ERR_OK ? c->refused_as : ERR_CONFLICT;
  c->owner = owner;
  if (e == ERR_OK) e = c->fn(c);
  if (e == ERR_OK)
    e = audit(c->who, "request.update", c->id, c->owner, "ok", arena_printf(ar, "{\"step\":\"%s\"}", c->step));
  arena_free(ar);
  return e;
}

/* Runs c->fn in one transaction with the access check and its audit row
 * (save_tx). Only patients (and the caregivers acting for them) edit. */
static enum err save(struct save_ctx *c) {
  if (!c->who || c->who->role != R_PATIENT || c->id <= 0) {
    audit(c->who, "request.view", c->id, 0, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  enum err e = db_tx(save_tx, c);
  if (c->denied) audit(c->who, "request.view", c->id, 0, "denied", NULL);
  return e;
}

static enum err do_exam(struct save_ctx *c) { return rqs_save_exam(c->id, c->who->user_id, c->exam, &c->owner); }
enum err requests_save_exam(const struct actor *who, long long id, const struct rqs_exam *x) {
  struct save_ctx c = {.who = who, .id = id, .step = "exam", .fn = do_exam, .exam = x, .guarded = true};
  return save(&c);
}

/* ---- the first-exam step as a form ---- */

/* the exam types: core/vocab.h */

static const struct form_word yes_no[] = {{"yes", "Yes"}, {"no", "No"}};
static const struct form_word filled_by[] = {{"self", "The patient"}, {"caregiver", "Someone helping her"}};

enum {
  EX_FACILITY, EX_CONTACT, EX_DATE, EX_TYPES, EX_PRIOR, EX_BIRADS, EX_BIOPSY, EX_REASON,
  EX_Q1, EX_Q2, EX_Q3, EX_Q4, EX_Q5, EX_Q6, EX_TREAT, EX_BY, EX_CG_NAME, EX_CG_REL, EX_N
};

#define EX_QUESTION(n) {.name = "q" #n, .type = FT_TEXT, .max = 500}
static struct form_field exam_fields[EX_N] = {
    [EX_FACILITY] = {.name = "facility", .type = FT_TEXT, .required = true, .max = 200,
                     .missing = "Please enter where the exam was done."},
    [EX_CONTACT] = {.name = "records_contact", .type = FT_TEXT, .max = 300},
    [EX_DATE] = {.name = "exam_date", .type = FT_DATE, .required = true, .not_future = true,
                 .missing = "Please enter the date of the exam."},
    [EX_TYPES] = {.name = "exam_type", .type = FT_ENUM, .required = true, .multi = true,
                  .vocab = VOCAB_EXAM_TYPES, .n_vocab = VOCAB_N_EXAM_TYPES,
                  .missing = "Please tick at least one kind of exam."},
    [EX_PRIOR] = {.name = "prior_exam_dates", .type = FT_TEXT, .max = 200},
    [EX_BIRADS] = {.name = "birads", .type = FT_ENUM, .required = true, /* vocabulary: core/birads.h, set below */
                   .missing = "Please choose the category on your report, or \"I don't know\"."},
    [EX_BIOPSY] = {.name = "biopsy", .type = FT_ENUM, .required = true, .vocab = yes_no, .n_vocab = 2,
                   .missing = "Please tell us whether a biopsy was done."},
    [EX_REASON] = {.name = "reason", .type = FT_MULTILINE, .required = true, .max = 2000,
                   .missing = "Please tell us in a few words why you want a second opinion."},
    [EX_Q1] = EX_QUESTION(1), [EX_Q2] = EX_QUESTION(2), [EX_Q3] = EX_QUESTION(3), [EX_Q4] = EX_QUESTION(4),
    [EX_Q5] = EX_QUESTION(5), [EX_Q6] = EX_QUESTION(6),
    [EX_TREAT] = {.name = "treatment_date", .type = FT_DATE},
    [EX_BY] = {.name = "filled_by", .type = FT_ENUM, .required = true, .vocab = filled_by, .n_vocab = 2,
               .missing = "Please tell us who is filling in this form."},
    [EX_CG_NAME] = {.name = "caregiver_name", .type = FT_TEXT, .max = 120},
    [EX_CG_REL] = {.name = "caregiver_relationship", .type = FT_TEXT, .max = 60},
};

/* Someone helping names themself; at most five questions. */
static void exam_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)spec;
  (void)ctx;
  if (v[EX_Q6].present) form_error_add(errs, "q5", "You can ask at most five questions.");
  if (strcmp(v[EX_BY].text, "caregiver") == 0) {
    if (!v[EX_CG_NAME].present) form_error_add(errs, "caregiver_name", "Please enter your name.");
    if (!v[EX_CG_REL].present)
      form_error_add(errs, "caregiver_relationship", "Please tell us how you are related to the patient.");
  }
}

static pthread_once_t exam_once = PTHREAD_ONCE_INIT;
static void exam_init(void) {
  exam_fields[EX_BIRADS].vocab = birads_words(true, &exam_fields[EX_BIRADS].n_vocab);
}

const struct form_spec *requests_exam_form(void) {
  static const struct form_spec spec = {exam_fields, EX_N, exam_check};
  pthread_once(&exam_once, exam_init);
  return &spec;
}

enum err requests_exam_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                              size_t n, const char *today, struct form_errors *errs) {
  struct form_value v[EX_N];
  if (!form_parse(a, requests_exam_form(), in, n, today, NULL, v, errs)) return ERR_INVALID;
  json_t *types = json_array(), *qs = json_array();
  for (size_t i = 0; types && i < v[EX_TYPES].n_list; i++) json_array_append_new(types, json_string(v[EX_TYPES].list[i]));
  for (int q = EX_Q1; qs && q <= EX_Q5; q++)
    if (v[q].present) json_array_append_new(qs, json_string(v[q].text));
  char *tj = types ? json_dumps(types, JSON_COMPACT) : NULL, *qj = qs ? json_dumps(qs, JSON_COMPACT) : NULL;
  json_decref(types);
  json_decref(qs);
  enum err e = ERR_INTERNAL;
  if (tj && qj) {
    bool cg = strcmp(v[EX_BY].text, "caregiver") == 0;
    struct rqs_exam x = {v[EX_FACILITY].text, v[EX_CONTACT].text, v[EX_DATE].text, v[EX_PRIOR].text,
                         v[EX_BIRADS].text, v[EX_REASON].text, v[EX_TREAT].text,
                         cg ? v[EX_CG_NAME].text : "", cg ? v[EX_CG_REL].text : "",
                         tj, qj, strcmp(v[EX_BIOPSY].text, "yes") == 0 ? 1 : 0};
    e = requests_save_exam(who, id, &x);
  }
  free(tj);
  free(qj);
  return e;
}

static enum err do_specialist(struct save_ctx *c) {
  return rqs_save_specialist(c->id, c->who->user_id, c->s1, c->s2, c->b1, c->l1, &c->owner);
}
enum err requests_save_specialist(const struct actor *who, long long id, const char *review_type,
                                  const char *review_mode, bool center_chooses, long long specialist_id) {
  struct save_ctx c = {.who = who, .id = id, .step = "specialist", .fn = do_specialist, .s1 = review_type,
                       .s2 = review_mode, .b1 = center_chooses, .l1 = specialist_id, .guarded = true,
                       .refused_as = ERR_INVALID};
  return save(&c);
}

/* ---- the specialist step as a form ---- */

static const struct form_word review_types[] = {{"reread", "Image re-read"}, {"consult", "Full consultation"}};
static const struct form_word review_modes[] = {{"remote", "Remote review"}, {"in_person", "In person"}};

enum { SP_TYPE, SP_MODE, SP_SPECIALIST, SP_N };
static const struct form_field step_specialist_fields[SP_N] = {
    [SP_TYPE] = {.name = "review_type", .type = FT_ENUM, .required = true, .vocab = review_types, .n_vocab = 2,
                 .missing = "Please choose an image re-read or a full consultation."},
    [SP_MODE] = {.name = "review_mode", .type = FT_ENUM, .required = true, .vocab = review_modes, .n_vocab = 2,
                 .missing = "Please choose a remote review or an in-person visit."},
    [SP_SPECIALIST] = {.name = "specialist", .type = FT_TEXT, .required = true,
                       .missing = "Please choose a specialist, or let the center choose."},
};

/* "center", or the id of a specialist. */
static void specialist_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                             void *ctx) {
  (void)spec;
  (void)ctx;
  if (v[SP_SPECIALIST].present && strcmp(v[SP_SPECIALIST].text, "center") != 0 && !form_id(v[SP_SPECIALIST].text))
    form_error_add(errs, "specialist", "Please choose a specialist, or let the center choose.");
}

const struct form_spec *requests_specialist_form(void) {
  static const struct form_spec spec = {step_specialist_fields, SP_N, specialist_check};
  return &spec;
}

/* Why the saving statement refused specialist sid for request id (read only
 * after it did: the common case costs nothing). */
static void specialist_refusal(struct arena *a, long long id, long long sid, const char *type, const char *mode,
                               struct form_errors *errs) {
  struct specialist s;
  if (specialist_get(a, sid, &s) != ERR_OK || !s.active) {
    form_error_add(errs, "specialist", "That specialist is not in the directory. Please choose another.");
    return;
  }
  if (!s.accepting) {
    form_error_add(errs, "specialist", "This specialist is not taking new requests. Please choose another.");
    return;
  }
  struct rqs_row q, p;
  if (rqs_get(a, id, &q) == ERR_OK && q.parent_request_id && rqs_get(a, q.parent_request_id, &p) == ERR_OK &&
      (p.assigned_specialist_id ? p.assigned_specialist_id : p.specialist_id) == sid) {
    form_error_add(errs, "specialist",
                   "A third opinion should come from a different specialist than the one who wrote the second report.");
    return;
  }
  if (strcmp(type, "reread") == 0 && !s.offers_reread)
    form_error_add(errs, "review_type",
                   "This specialist does not offer image re-reads. Choose a full consultation or another specialist.");
  if (strcmp(type, "consult") == 0 && !s.offers_consult)
    form_error_add(errs, "review_type",
                   "This specialist does not offer full consultations. Choose a re-read or another specialist.");
  if (strcmp(mode, "remote") == 0 && !s.remote_review)
    form_error_add(errs, "review_mode", "This specialist only sees patients in person.");
  if (strcmp(mode, "in_person") == 0 && !s.in_person)
    form_error_add(errs, "review_mode", "This specialist only does remote reviews.");
  if (errs->n == 0) form_error_add(errs, "specialist", "Please choose another specialist.");
}

enum err requests_specialist_submit(struct arena *a, const struct actor *who, long long id,
                                    const struct form_pair *in, size_t n, struct form_errors *errs) {
  struct form_value v[SP_N];
  if (!form_parse(a, requests_specialist_form(), in, n, NULL, NULL, v, errs)) return ERR_INVALID;
  bool center = strcmp(v[SP_SPECIALIST].text, "center") == 0;
  long long sid = center ? 0 : form_id(v[SP_SPECIALIST].text);
  enum err e = requests_save_specialist(who, id, v[SP_TYPE].text, v[SP_MODE].text, center, sid);
  if (e == ERR_INVALID) specialist_refusal(a, id, sid, v[SP_TYPE].text, v[SP_MODE].text, errs);
  return e;
}

static enum err do_coverage(struct save_ctx *c) {
  bool has_member = false;
  enum err e = rqs_save_coverage(c->id, c->who->user_id, c->s1, c->s2, c->s3, c->i1, c->b1, &c->owner, &has_member);
  /* insurance needs a member id: typed now, or kept from before (nothing is saved without one) */
  if (e == ERR_OK && c->owner > 0 && strcmp(c->s1, "insurance") == 0 && !has_member) {
    c->no_member = true;
    return ERR_INVALID;
  }
  return e;
}

/* AD binding sealed request data to its request: "<label>:<id>". */
static size_t bind_ad(char *buf, size_t cap, const char *label, long long id) {
  int n = snprintf(buf, cap, "%s:%lld", label, id);
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Seals text for a request into arena hex; NULL on failure. */
static const char *seal_hex(struct arena *a, enum secret_purpose p, const char *label, long long id, const char *text) {
  size_t len = strlen(text);
  char ad[64];
  size_t adlen = bind_ad(ad, sizeof ad, label, id);
  unsigned char *out = arena_alloc(a, len + SECRETS_SEAL_OVERHEAD);
  char *hex = arena_alloc(a, 2 * (len + SECRETS_SEAL_OVERHEAD) + 1);
  if (!out || !hex || !adlen) return NULL;
  if (secrets_seal(p, (const unsigned char *)text, len, (const unsigned char *)ad, adlen, out) != 0) return NULL;
  sodium_bin2hex(hex, 2 * (len + SECRETS_SEAL_OVERHEAD) + 1, out, len + SECRETS_SEAL_OVERHEAD);
  return hex;
}

/* Opens what seal_hex made; NULL when it does not authenticate. */
static const char *open_hex(struct arena *a, enum secret_purpose p, const char *label, long long id, const char *hex) {
  size_t hl = strlen(hex), bl = 0;
  unsigned char *bin = arena_alloc(a, hl / 2 + 1);
  if (!bin || sodium_hex2bin(bin, hl / 2 + 1, hex, hl, NULL, &bl, NULL) != 0 || bl < SECRETS_SEAL_OVERHEAD)
    return NULL;
  char ad[64];
  size_t adlen = bind_ad(ad, sizeof ad, label, id);
  char *out = arena_alloc(a, bl - SECRETS_SEAL_OVERHEAD + 1);
  if (!out || !adlen) return NULL;
  if (secrets_open(p, bin, bl, (const unsigned char *)ad, adlen, (unsigned char *)out) != 0) return NULL;
  out[bl - SECRETS_SEAL_OVERHEAD] = '\0';
  return out;
}

enum err requests_save_coverage(const struct actor *who, long long id, const char *payment, const char *plan,
                                const char *member_id, int needs_referral, bool acknowledged) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *sealed = "";
  if (member_id && !*member_id) sealed = "-";
  else if (member_id) sealed = seal_hex(a, SECRET_MEMBER_ID, "member", id, member_id);
  enum err e = ERR_INTERNAL;
  if (sealed) {
    struct save_ctx c = {.who = who, .id = id, .step = "coverage", .fn = do_coverage, .s1 = payment, .s2 = plan,
                         .s3 = sealed, .i1 = needs_referral, .b1 = acknowledged, .guarded = true};
    e = save(&c);
    if (e == ERR_INVALID && !c.no_member) e = ERR_INTERNAL;
  }
  arena_free(a);
  return e;
}

/* ---- the coverage step as a form ---- */

static const struct form_word payments[] = {{"insurance", "With my health insurance"}, {"self_pay", "I will pay myself"}};

enum { CV_PAYMENT, CV_PLAN, CV_MEMBER, CV_REFERRAL, CV_ACK, CV_N };
static const struct form_field coverage_fields[CV_N] = {
    [CV_PAYMENT] = {.name = "payment", .type = FT_ENUM, .required = true, .vocab = payments, .n_vocab = 2,
                    .missing = "Please tell us whether you use insurance or pay yourself."},
    [CV_PLAN] = {.name = "plan", .type = FT_TEXT, .max = 120},
    [CV_MEMBER] = {.name = "member_id", .type = FT_TEXT},
    [CV_REFERRAL] = {.name = "referral", .type = FT_ENUM, .vocab = yes_no, .n_vocab = 2},
    [CV_ACK] = {.name = "ack", .type = FT_TICK, .required = true,
                .missing = "Please confirm that you have read the cost estimate."},
};

/* With insurance: the plan, a well-formed member id (a missing one is
 * checked against the stored one when saving), the referral question. */
static void coverage_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                           void *ctx) {
  (void)spec;
  (void)ctx;
  if (strcmp(v[CV_PAYMENT].text, "insurance") != 0) return;
  if (!v[CV_PLAN].present) form_error_add(errs, "plan", "Please enter the name of your insurance plan.");
  bool ok = form_chars(v[CV_MEMBER].text) <= 40;
  for (const char *p = v[CV_MEMBER].text; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != ' ') ok = false;
  if (!ok) form_error_add(errs, "member_id", "Please use only letters, digits, spaces and dashes (at most 40).");
  if (!v[CV_REFERRAL].present)
    form_error_add(errs, "referral", "Please tell us whether your plan needs a referral (ask your insurer if unsure).");
}

const struct form_spec *requests_coverage_form(void) {
  static const struct form_spec spec = {coverage_fields, CV_N, coverage_check};
  return &spec;
}

enum err requests_coverage_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                  size_t n, struct form_errors *errs) {
  struct form_value v[CV_N];
  if (!form_parse(a, requests_coverage_form(), in, n, NULL, NULL, v, errs)) {
    /* every mistake at once: a member id is needed when none is stored (read only on this refused path) */
    enum req_status st;
    long long owner = 0;
    struct rqs_row q;
    if (strcmp(v[CV_PAYMENT].text, "insurance") == 0 && !v[CV_MEMBER].present &&
        requests_access(who, id, RA_EDIT, &st, &owner) == ERR_OK && rqs_get(a, id, &q) == ERR_OK &&
        !*q.member_sealed_hex)
      form_error_add(errs, "member_id", "Please enter your member ID (it is on your card).");
    return ERR_INVALID;
  }
  bool insurance = strcmp(v[CV_PAYMENT].text, "insurance") == 0;
  const char *member = !insurance ? "" : (v[CV_MEMBER].present ? v[CV_MEMBER].text : NULL);
  int needs = !insurance ? -1 : strcmp(v[CV_REFERRAL].text, "yes") == 0 ? 1 : 0;
  enum err e = requests_save_coverage(who, id, v[CV_PAYMENT].text, insurance ? v[CV_PLAN].text : "", member, needs,
                                      v[CV_ACK].tick);
  if (e == ERR_INVALID) form_error_add(errs, "member_id", "Please enter your member ID (it is on your card).");
  return e;
}

enum err requests_member_id(struct arena *a, const struct rqs_row *row, const char **member_id) {
  *member_id = "";
  if (!*row->member_sealed_hex) return ERR_OK;
  const char *m = open_hex(a, SECRET_MEMBER_ID, "member", row->id, row->member_sealed_hex);
  if (!m) return ERR_INTERNAL;
  *member_id = m;
  return ERR_OK;
}

struct letter_ctx {
  const struct actor *who;
  long long id, owner;
  const char *date; /* NULL: extend */
};
static enum err letter_tx(void *p) {
  struct letter_ctx *c = p;
  enum err e = c->date ? rqs_set_records_requested(c->id, c->date) : rqs_set_records_extended(c->id);
  if (e == ERR_OK)
    e = rqs_event_add(c->id, NULL, NULL, c->date ? "records_letter" : "records_extension", c->who->user_id, NULL,
                      false);
  if (e == ERR_OK) e = audit(c->who, "request.update", c->id, c->owner, "ok", "{\"step\":\"records_letter\"}");
  return e;
}

/* The records clock may change before submission and while information is needed. */
static enum err letter_run(struct letter_ctx *c) {
  enum req_status st;
  if (!c->who || c->who->role != R_PATIENT) return ERR_NOT_FOUND;
  enum err e = requests_access(c->who, c->id, RA_EDIT, &st, &c->owner);
  if (e != ERR_OK) return e;
  if (!req_records_open(st)) return ERR_CONFLICT;
  return db_tx(letter_tx, c);
}

enum err requests_records_letter(const struct actor *who, long long id, const char *date) {
  struct letter_ctx c = {.who = who, .id = id, .date = date ? date : ""};
  return letter_run(&c);
}

/* ---- the letter date, the message and the signature as forms ---- */

static const struct form_field letter_fields[] = {
    {.name = "sent_on", .type = FT_DATE, .required = true, .not_future = true,
     .missing = "Give the date you sent the letter, as YYYY-MM-DD.",
     .invalid = "Give the date you sent the letter, as YYYY-MM-DD.",
     .future = "That date has not come yet. Give the day you sent the letter (today or earlier)."},
};

const struct form_spec *requests_letter_form(void) {
  static const struct form_spec spec = {letter_fields, 1, NULL};
  return &spec;
}

enum err requests_letter_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                size_t n, const char *today, struct form_errors *errs) {
  struct form_value v[1];
  if (!form_parse(a, requests_letter_form(), in, n, today, NULL, v, errs)) return ERR_INVALID;
  return requests_records_letter(who, id, v[0].text);
}

static const struct form_field message_fields[] = {
    {.name = "body", .type = FT_MULTILINE, .required = true, .max = REQUESTS_MESSAGE_MAX,
     .missing = "Please write a message before sending.",
     .invalid = "Please keep a message to 5,000 characters. Nothing was sent."},
};

const struct form_spec *requests_message_form(void) {
  static const struct form_spec spec = {message_fields, 1, NULL};
  return &spec;
}

enum err requests_message_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                 size_t n, struct form_errors *errs) {
  struct form_value v[1];
  if (!form_parse(a, requests_message_form(), in, n, NULL, NULL, v, errs)) return ERR_INVALID;
  enum err e = requests_post_message(who, id, v[0].text, false);
  if (e == ERR_INVALID) form_error_add(errs, "body", "Please write a message before sending.");
  return e;
}

static const struct form_field sign_fields[] = {
    {.name = "full_name", .type = FT_TEXT, .required = true, .max = 200, .missing = "Please type your full name to sign."},
    {.name = "confirm", .type = FT_TICK, .required = true,
     .missing = "Please tick the box to confirm that you have read and agree to the authorization."},
    {.name = "text_sha256", .type = FT_TEXT, .max = 64},
};

const struct form_spec *requests_sign_form(void) {
  static const struct form_spec spec = {sign_fields, 3, NULL};
  return &spec;
}

enum err requests_sign_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                              size_t n, struct form_errors *errs) {
  struct form_value v[3];
  if (!form_parse(a, requests_sign_form(), in, n, NULL, NULL, v, errs)) return ERR_INVALID;
  enum err e = requests_sign_authorization(who, id, v[0].text, v[2].text);
  if (e == ERR_INVALID)
    form_error_add(errs, "full_name",
                   "Please type your own full name as it is on your account (capitals, accents and extra spaces do "
                   "not matter).");
  else if (e == ERR_CONFLICT) {
    form_error_add(errs, "confirm", "The authorization text changed, or one is already signed. Please read it again.");
    e = ERR_INVALID;
  }
  return e;
}

enum err requests_records_extend(const struct actor *who, long long id) {
  struct letter_ctx c = {.who = who, .id = id, .date = NULL};
  return letter_run(&c);
}

enum err requests_submit(struct arena *a, const struct actor *who, long long id, const char **reference) {
  struct tx_ctx c = {.a = who, .id = id, .from = RS_DRAFT, .to = RS_SUBMITTED, .check_complete = true,
                     .detail = "{\"type\":\"second_opinion\"}"};
  if (!who || who->role != R_PATIENT) return ERR_NOT_FOUND;
  enum err e = run_transition(&c);
  if (e == ERR_OK) *reference = arena_strdup(a, c.ref_buf);
  return e;
}

/* ---- authorization ---- */

enum err requests_authorization_text(struct arena *a, const struct rqs_row *row, const char **text,
                                     const char **sha256_hex) {
  const char *patient = "", *email = "";
  if (rqs_user_contact(a, row->patient_id, &email, &patient) != ERR_OK) return ERR_INTERNAL;
  const char *to_whom = "the breast center running this portal and the board-certified breast radiologist it "
                        "assigns to review my case";
  char *s = arena_printf(
      a,
      "Authorization to use and disclose my health information (version %s)\n\n"
      "Patient: %s\nRequest: %s\n\n"
      "1. What may be disclosed: my breast imaging records for this request: the images (mammogram, "
      "tomosynthesis, ultrasound, MRI) and their reports, pathology reports, and the answers and documents I give "
      "in this portal.\n"
      "2. Who may disclose it: the facilities where my exams were done, and the breast center.\n"
      "3. To whom: %s.\n"
      "4. For what purpose: a second opinion on my breast imaging, at my request.\n"
      "5. Until when: this authorization ends when the review and any follow-up questions are finished, and "
      "no later than one year after I sign it.\n"
      "6. My right to revoke: I may revoke this authorization at any time, in the portal or in writing to the "
      "breast center. Revoking stops the review; it does not undo disclosures already made while it was in force.\n"
      "7. My care, payment, enrollment and eligibility for benefits do not depend on my signing.\n"
      "8. Information disclosed under this authorization could be re-disclosed by the recipient and might then "
      "no longer be protected by federal privacy law.\n"
      "9. I may have a copy of this authorization.\n",
      REQUESTS_AUTH_VERSION, patient, row->reference, to_whom);
  if (!s) return ERR_INTERNAL;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
  char *hex = arena_alloc(a, 2 * sizeof h + 1);
  if (!hex) return ERR_INTERNAL;
  sodium_bin2hex(hex, 2 * sizeof h + 1, h, sizeof h);
  *text = s;
  *sha256_hex = hex;
  return ERR_OK;
}

struct sign_ctx {
  const struct actor *who;
  long long id, owner;
  const char *name, *sha;
  bool revoke;
  enum req_status st;
};

static enum err sign_tx(void *p) {
  struct sign_ctx *c = p;
  struct arena *ar = arena_new();
  if (!ar) return ERR_INTERNAL;
  enum req_status st;
  long long owner = 0, reviewer = 0, auth_id = 0;
  enum err e = peek(c->id, true, &st, &owner, &reviewer);
  if (e != ERR_OK) goto done;
  if (!c->revoke) {
    if (!req_records_open(st)) {
      e = ERR_CONFLICT;
      goto done;
    }
    /* a caregiver signs in their own name: their relationship and authority are recorded with it,
     * and the link is checked again under the request's lock (a revocation in between wins) */
    struct st_cg_link cg;
    bool by_caregiver = owner != c->who->user_id;
    if (by_caregiver) {
      e = st_cg_live(ar, owner, c->who->user_id, &cg);
      if (e != ERR_OK) goto done;
    }
    e = rqs_auth_sign(ar, c->id, c->name, c->who->ip, c->sha, REQUESTS_AUTH_VERSION, &auth_id);
    if (e == ERR_OK && by_caregiver)
      e = st_cg_signer_add(ar, auth_id, c->who->user_id, cg_relationship_words(cg.relationship, cg.relationship_other),
                           cg.authority);
    if (e == ERR_OK) e = rqs_event_add(c->id, NULL, NULL, "authorization_signed", c->who->user_id, NULL, false);
    if (e == ERR_OK)
      e = audit(c->who, "authorization.sign", c->id, owner, "ok",
                arena_printf(ar, "{\"authorization\":%lld,\"sha256\":\"%s\"}", auth_id, c->sha));
    goto done;
  }
  e = rqs_auth_revoke(c->id);
  if (e != ERR_OK) goto done;
  e = rqs_event_add(c->id, NULL, NULL, "authorization_revoked", c->who->user_id, NULL, false);
  if (e == ERR_OK) e = audit(c->who, "authorization.revoke", c->id, owner, "ok", NULL);
  if (e != ERR_OK) goto done;
  if (req_withdrawable(st)) {
    e = rqs_set_status(c->id, req_status_name(st), req_status_name(RS_WITHDRAWN));
    if (e == ERR_OK)
      e = rqs_event_add(c->id, req_status_name(st), req_status_name(RS_WITHDRAWN), "status", c->who->user_id,
                        "{\"reason\":\"The authorization was revoked.\"}", false);
    if (e == ERR_OK)
      e = audit(c->who, "request.transition", c->id, owner, "ok",
                arena_printf(ar, "{\"from\":\"%s\",\"to\":\"withdrawn\"}", req_status_name(st)));
  } else if (st == RS_IN_REVIEW) {
    e = rqs_set_review_stopped(c->id);
  }
  c->st = st;
done:
  arena_free(ar);
  return e;
}

enum err requests_sign_authorization(const struct actor *who, long long id, const char *typed_name,
                                     const char *sha256_hex) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct sign_ctx c = {.who = who, .id = id, .name = typed_name, .sha = sha256_hex};
  enum req_status st;
  struct rqs_row row;
  const char *text, *sha, *email, *name;
  enum err e = ERR_NOT_FOUND;
  if (!who || who->role != R_PATIENT) goto done;
  e = requests_access(who, id, RA_EDIT, &st, &c.owner);
  if (e != ERR_OK) goto done;
  e = rqs_get(a, id, &row);
  if (e == ERR_OK) e = requests_authorization_text(a, &row, &text, &sha);
  if (e == ERR_OK) e = rqs_user_contact(a, who->user_id, &email, &name);
  if (e != ERR_OK) goto done;
  /* the signer's own name (a caregiver signs as themself), case, accents and spacing folded */
  if (!sigfold_match(typed_name, name)) {
    e = ERR_INVALID;
    goto done;
  }
  if (!sha256_hex || strcmp(sha256_hex, sha) != 0) {
    e = ERR_CONFLICT;
    goto done;
  }
  e = db_tx(sign_tx, &c);
done:
  arena_free(a);
  return e;
}

enum err requests_revoke_authorization(const struct actor *who, long long id) {
  struct sign_ctx c = {.who = who, .id = id, .revoke = true};
  enum req_status st;
  if (!who || who->role != R_PATIENT) return ERR_NOT_FOUND;
  enum err e = requests_access(who, id, RA_EDIT, &st, &c.owner);
  if (e != ERR_OK) return e;
  /* after the report (report_ready, closed) revoking still ends any further use */
  return db_tx(sign_tx, &c);
}

/* ---- messages ---- */

/* Who may take part in the thread: the owner patient and staff (RA_EDIT
 * rule), and the assigned reviewer (RA_VIEW rule). The reviewer's reading is
 * not audited a second time here: the case page that shows the thread has
 * written its request.view row (center_case_load), and a message writes its
 * own row. *reviewer receives the assigned reviewer's account (0: none). */
static enum err thread_access(const struct actor *who, long long id, enum req_status *st, long long *owner,
                              long long *reviewer) {
  if (!who) return ERR_NOT_FOUND;
  enum err e;
  if (who->role == R_REVIEWER) {
    e = requests_access_view_unaudited(who, id, owner);
    if (e == ERR_OK) {
      long long rv = 0;
      e = peek(id, false, st, owner, &rv);
    }
  } else {
    e = requests_access(who, id, RA_EDIT, st, owner);
  }
  if (e != ERR_OK) return e;
  struct arena *ar = arena_new();
  if (!ar) return ERR_INTERNAL;
  struct rqs_row row;
  e = rqs_get(ar, id, &row);
  if (e == ERR_OK) *reviewer = row.assigned_reviewer_id;
  arena_free(ar);
  return e;
}

/* UTF-8 characters of s (continuation bytes not counted). */
static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

bool requests_message_valid(const char *body) {
  if (!body) return false;
  const char *p = body;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  return *p && utf8_chars(body) <= REQUESTS_MESSAGE_MAX;
}

struct msg_ctx {
  const struct actor *who;
  long long id, owner, reviewer, mid;
  const char *body, *sealed;
  bool internal;
  bool denied; /* out of the writer's reach, or no such request */
  struct arena *a;
};

/* Saves, audits and queues the notices in one transaction: a message is
 * never stored without its audit row and its "log in to read" e-mails.
 * Notices carry no health data (core/center.c notify_user). */
static enum err message_tx(void *p) {
  struct msg_ctx *c = p;
  /* the one access check, on the row this statement locks (the rule of thread_access(): the
   * assigned reviewer reads and writes the thread; nobody's view is audited here) */
  enum req_status st = RS_DRAFT;
  long long owner = 0, reviewer = 0;
  enum err e = peek(c->id, true, &st, &owner, &reviewer);
  if (e == ERR_NOT_FOUND ||
      (e == ERR_OK && !may(c->who, c->who->role == R_REVIEWER ? RA_VIEW : RA_EDIT, st, owner, reviewer))) {
    c->denied = true;
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  c->owner = owner;
  c->reviewer = reviewer;
  if (c->internal && c->who->role == R_PATIENT) return ERR_FORBIDDEN;
  if (!requests_message_valid(c->body)) return ERR_INVALID;
  if (st == RS_DRAFT) return ERR_CONFLICT; /* the thread opens with the submission */
  c->sealed = seal_hex(c->a, SECRET_MESSAGE, "message", c->id, c->body);
  if (!c->sealed) return ERR_INTERNAL;
  e = rqs_message_add(c->id, c->who->user_id, c->sealed, c->internal, &c->mid);
  if (e == ERR_OK)
    e = audit(c->who, c->internal ? "request.note" : "request.message", c->id, c->owner, "ok",
              arena_printf(c->a, "{\"message\":%lld}", c->mid));
  if (e != ERR_OK) return e;
  const char *staff_path = arena_printf(c->a, "/staff/requests/%lld#thread-h", c->id);
  const char *rev_path = arena_printf(c->a, "/reviewer/cases/%lld#thread-h", c->id);
  if (c->who->role == R_PATIENT) {
    /* the center: every staff member, and the assigned reviewer */
    e = notify_staff(c->a, NK_MESSAGE, staff_path);
    if (e == ERR_OK && c->reviewer > 0) e = notify_user(c->a, c->reviewer, NK_MESSAGE, rev_path);
  } else if (!c->internal) {
    e = notify_user(c->a, c->owner, NK_MESSAGE, arena_printf(c->a, "/requests/%lld#messages", c->id));
  } else if (c->who->role == R_REVIEWER) {
    e = notify_staff(c->a, NK_MESSAGE, staff_path); /* a note for the staff */
  } else if (c->reviewer > 0) {
    e = notify_user(c->a, c->reviewer, NK_MESSAGE, rev_path); /* a note for the reviewer */
  }
  return e;
}

enum err requests_post_message(const struct actor *who, long long id, const char *body, bool internal) {
  if (!who) return ERR_NOT_FOUND;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  /* one transaction: the access check on the locked row, the checks, the save, the audit row and
   * the notices; a refusal is audited after the rollback, as thread_access() does */
  struct msg_ctx c = {.who = who, .id = id, .body = body, .internal = internal, .a = a};
  enum err e = id > 0 ? db_tx(message_tx, &c) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND && (c.denied || id <= 0)) audit(who, "request.view", id, 0, "denied", NULL);
  arena_free(a);
  return e;
}

enum err requests_thread(struct arena *a, const struct actor *who, long long id, struct rqs_message **out,
                         size_t *n) {
  enum req_status st;
  long long owner = 0, reviewer = 0;
  enum err e = thread_access(who, id, &st, &owner, &reviewer);
  if (e != ERR_OK) return e;
  bool center = who->role != R_PATIENT;
  e = rqs_messages(a, id, center, out, n);
  if (e != ERR_OK) return e;
  for (size_t i = 0; i < *n; i++) {
    const char *t = open_hex(a, SECRET_MESSAGE, "message", id, (*out)[i].body_sealed_hex);
    (*out)[i].body_sealed_hex = t ? t : "(This message could not be read.)";
  }
  rqs_messages_mark_read(id, who->user_id, center);
  return ERR_OK;
}

enum err requests_unread(struct arena *a, const struct actor *who, const long long *ids, size_t n_ids,
                         struct rqs_unread **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!who || who->user_id <= 0) return ERR_NOT_FOUND;
  const char *side = who->role & (R_PATIENT | R_STAFF | R_REVIEWER) ? vocab_role_key(who->role) : NULL;
  if (!side) return ERR_OK; /* admins take no part in threads */
  return rqs_unread(a, side, who->user_id, ids, n_ids, out, n);
}

long long requests_unread_of(const struct rqs_unread *u, size_t n, long long request_id) {
  for (size_t i = 0; i < n; i++)
    if (u[i].request_id == request_id) return u[i].count;
  return 0;
}

/* ---- third opinion ---- */

struct third_ctx {
  const struct actor *who;
  long long parent, owner, id;
  long long copied;
  struct arena *a;
  const char *reference;
};

static enum err third_tx(void *p) {
  struct third_ctx *c = p;
  enum err e = rqs_create(c->a, c->who->user_id, c->parent, &c->id, &c->reference);
  if (e == ERR_OK) e = rqs_copy_answers(c->parent, c->id);
  if (e == ERR_OK) e = rqs_copy_records(c->parent, c->id, &c->copied);
  if (e == ERR_OK)
    e = rqs_event_add(c->id, NULL, NULL, "third_opinion", c->who->user_id,
                      arena_printf(c->a, "{\"parent\":%lld,\"documents\":%lld}", c->parent, c->copied), false);
  if (e == ERR_OK)
    e = audit(c->who, "request.create", c->id, c->owner, "ok",
              arena_printf(c->a, "{\"parent\":%lld,\"documents\":%lld}", c->parent, c->copied));
  return e;
}

enum err requests_third_opinion(struct arena *a, const struct actor *who, long long parent_id, long long *new_id) {
  struct third_ctx c = {.who = who, .parent = parent_id, .a = a};
  enum req_status st;
  if (!who || who->role != R_PATIENT) return ERR_NOT_FOUND;
  enum err e = requests_access(who, parent_id, RA_EDIT, &st, &c.owner);
  if (e != ERR_OK) return e;
  if (st != RS_REPORT_READY && st != RS_CLOSED) return ERR_CONFLICT;
  e = db_tx(third_tx, &c);
  if (e == ERR_OK) *new_id = c.id;
  return e;
}
