/* The patient's second-opinion requests: the dashboard (GET /requests), a
 * new request (GET/POST /requests/new), the guided form saved as a draft at
 * every step (/requests/{id}/steps/{exam|records|authorization|specialist|
 * coverage|review}), submission, the printable records-request letter and
 * authorization, the status page with timeline, messages, withdrawal and
 * "who opened my records", and the third-opinion request. Records uploads
 * live on the records page (patient_records.c); the report page belongs to
 * the reviewer feature (GET /requests/{id}/report).
 *
 * Every handler goes through core/requests.c, which checks ownership (another
 * patient's request is 404) and writes the audit rows. */
#include <ClearSilver.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/form.h"
#include "core/vocab.h"
#include "core/birads.h"
#include "core/caregivers.h"
#include "core/center.h"
#include "core/checklist.h"
#include "core/identity.h"
#include "core/requests.h"
#include "core/specialists.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/patient_access.h"
#include "routes/form_view.h"
#include "routes/print_view.h"
#include "routes/routes.h"
#include "store/center.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

/* ---- small helpers ---- */

/* Sets HDF name (printf-formatted) to value ("" for NULL). */
__attribute__((format(printf, 3, 4))) static void hs(HDF *h, const char *value, const char *fmt, ...) {
  char name[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof name) return;
  NEOERR *e = hdf_set_value(h, name, value ? value : "");
  if (e) nerr_ignore(&e);
}

/* Same with a number. */
__attribute__((format(printf, 3, 4))) static void hi(HDF *h, long long value, const char *fmt, ...) {
  char name[160], v[24];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof name) return;
  snprintf(v, sizeof v, "%lld", value);
  NEOERR *e = hdf_set_value(h, name, v);
  if (e) nerr_ignore(&e);
}

/* A positive decimal id, or 0. */
static long long parse_id(const char *s) { return form_id(s); }

static long long param_id(struct req *r) { return parse_id(req_param(r, "id")); }

/* A form value with surrounding spaces removed ("" when absent). */
static const char *fv(struct req *r, const char *name) {
  const char *v = req_form(r, name);
  if (!v) return "";
  while (isspace((unsigned char)*v)) v++;
  size_t n = strlen(v);
  while (n > 0 && isspace((unsigned char)v[n - 1])) n--;
  return arena_strndup(r->arena, v, n);
}

/* The posted fields as the form layer takes them (arena); NULL when out of memory. */
static const struct form_pair *posted(struct req *r) {
  struct form_pair *in = arena_alloc(r->arena, (r->form.n + 1) * sizeof *in);
  for (size_t i = 0; in && i < r->form.n; i++) in[i] = (struct form_pair){r->form.items[i].name, r->form.items[i].value};
  return in;
}

/* Today as YYYY-MM-DD where the person asking is (their time zone). */
static void today_iso(struct req *r, char out[16]) { tz_format(out, 16, (int64_t)time(NULL), req_tz(r), TZ_DATE); }

static const char *money(struct arena *a, long long cents) {
  if (cents < 0) return "not offered";
  return arena_printf(a, "$%lld.%02lld", cents / 100, cents % 100);
}

/* ---- labels ---- */


/* The patient's choices for the category on her report: the categories of
 * core/birads.h in her words, and "I don't know". */
static const char *birads_choice_label(char *buf, size_t n, const char *k) {
  if (strcmp(k, "unknown") == 0) return "I don't know, or the report does not say.";
  enum birads b = birads_parse(k);
  if (b == BI_UNKNOWN) return "Not answered";
  snprintf(buf, n, "%s – %s", birads_name(b), birads_patient_words(b));
  return buf;
}

static const char *exam_type_label(const char *k) {
  const char *l = form_word_label(VOCAB_EXAM_TYPES, VOCAB_N_EXAM_TYPES, k);
  return l ? l : k;
}

static const char *const steps[][2] = {
    {"exam", "Your first exam"},
    {"records", "Your records"},
    {"authorization", "Authorization"},
    {"specialist", "Specialist and review"},
    {"coverage", "Coverage and costs"},
    {"review", "Review and submit"},
};
#define N_STEPS (sizeof steps / sizeof steps[0])

static int step_index(const char *s) {
  for (size_t i = 0; s && i < N_STEPS; i++)
    if (strcmp(s, steps[i][0]) == 0) return (int)i;
  return -1;
}

/* What to do about a missing key, in plain words, and where. */
static void missing_text(struct arena *a, long long id, const char *key, const char **text, const char **href) {
  static const char *const map[][3] = {
      {"exam", "Tell us about your first exam", "steps/exam"},
      {"specialist", "Choose your specialist and the kind of review", "steps/specialist"},
      {"coverage", "Check your coverage and costs", "steps/coverage"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i][0], key) == 0) {
      *text = map[i][1];
      *href = arena_printf(a, "/requests/%lld/%s", id, map[i][2]);
      return;
    }
  /* a document: the words of its kind (core/vocab.h); the release is signed on its own step */
  const struct vocab_document *d = vocab_document(key);
  if (d && d->todo) {
    *text = d->todo;
    *href = arena_printf(a, "/requests/%lld/%s", id,
                         strcmp(key, VOCAB_DOC_AUTHORIZATION) == 0 ? "steps/authorization" : "records");
    return;
  }
  *text = key;
  *href = arena_printf(a, "/requests/%lld", id);
}

/* Refusal of a loaded request → the reply. */
static void fail(struct req *r, enum err e) {
  if (e == ERR_CONFLICT) return reply_error(r, e, "This request has been sent, so this part can no longer be changed.");
  reply_error(r, e, NULL);
}

/* ---- dashboard ---- */

/* The one next thing for a request (text, link). */
static void next_thing(struct arena *a, const struct rqs_row *q, const char **text, const char **href) {
  enum req_status st = RS_DRAFT;
  req_status_parse(q->status, &st);
  *href = arena_printf(a, "/requests/%lld", q->id);
  switch (st) {
  case RS_DRAFT: {
    const char **keys = NULL;
    size_t n = 0;
    if (requests_missing(a, q, &keys, &n) == ERR_OK && n > 0) {
      missing_text(a, q->id, keys[0], text, href);
    } else {
      *text = "Review and send your request";
      *href = arena_printf(a, "/requests/%lld/steps/review", q->id);
    }
    return;
  }
  case RS_NEEDS_INFO: *text = "Send the information the center asked for"; return;
  case RS_REPORT_READY:
    *text = "Your report is ready";
    *href = arena_printf(a, "/requests/%lld/report", q->id);
    return;
  case RS_SUBMITTED:
  case RS_TRIAGE: *text = "Nothing to do now: the center is checking your request"; return;
  case RS_ACCEPTED:
  case RS_SCHEDULED:
  case RS_IN_REVIEW:
    *text = *q->expected_by ? arena_printf(a, "Nothing to do now: your report is expected by %s", q->expected_by)
                            : "Nothing to do now";
    return;
  case RS_CLOSED:
  case RS_DECLINED:
  case RS_WITHDRAWN:
  case RS_COUNT: *text = "See the details"; return;
  }
}

/* GET /requests/choose-specialist?id=N: the "choose" button of the
 * directory. Opens the specialist step of the patient's newest draft with
 * that specialist preselected (nothing is saved until the patient confirms
 * the step); with no draft, the patient starts one first. */
static void choose_specialist(struct req *r) {
  long long sid = parse_id(req_query(r, "id"));
  if (!sid) return reply_error(r, ERR_BAD_REQUEST, "Choose a specialist from the directory.");
  struct actor who = actor_from_req(r);
  struct rqs_row *rows = NULL;
  size_t n = 0;
  enum err e = requests_list_mine(r->arena, &who, &rows, &n);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  for (size_t i = 0; i < n; i++) { /* newest first */
    if (strcmp(rows[i].status, req_status_name(RS_DRAFT)) != 0) continue;
    const char *loc = arena_printf(r->arena, "/requests/%lld/steps/specialist?choose=%lld", rows[i].id, sid);
    return reply_redirect(r, loc ? loc : "/requests");
  }
  reply_redirect(r, "/requests/new");
}

static void dashboard(struct req *r) {
  struct actor who = actor_from_req(r);
  struct rqs_row *rows = NULL;
  size_t n = 0;
  enum err e = requests_list_mine(r->arena, &who, &rows, &n);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  hs(h, "My requests", "Page.Title");
  hs(h, "requests", "Page.Name");
  struct rqs_unread *unread = NULL;
  size_t nu = 0;
  long long *ids = arena_alloc(r->arena, (n + 1) * sizeof *ids);
  for (size_t i = 0; ids && i < n; i++) ids[i] = rows[i].id;
  if (!ids || requests_unread(r->arena, &who, ids, n, &unread, &nu) != ERR_OK) nu = 0; /* the list still shows */
  for (size_t i = 0; i < n; i++) {
    hs(h, arena_printf(r->arena, "%lld", requests_unread_of(unread, nu, rows[i].id)), "Requests.%zu.Unread", i);
    struct rqs_row *q = &rows[i];
    enum req_status st = RS_DRAFT;
    req_status_parse(q->status, &st);
    const char *text, *href;
    next_thing(r->arena, q, &text, &href);
    hi(h, q->id, "Requests.%zu.Id", i);
    hs(h, q->reference, "Requests.%zu.Reference", i);
    hs(h, q->status, "Requests.%zu.Status", i);
    hs(h, req_status_label(st), "Requests.%zu.StatusLabel", i);
    hs(h, req_when(r, q->created_at, TZ_DATE), "Requests.%zu.Created", i);
    hs(h, text, "Requests.%zu.Next", i);
    hs(h, href, "Requests.%zu.NextHref", i);
    hs(h, q->expected_by, "Requests.%zu.ExpectedBy", i);
    if (req_records_open(st) && *q->records_requested_at) hs(h, q->records_due, "Requests.%zu.RecordsDue", i);
    if (q->parent_request_id) hi(h, q->parent_request_id, "Requests.%zu.Parent", i);
  }
  /* the people this account helps as a caregiver, with their requests */
  struct cg_link *pts = NULL;
  size_t np = 0;
  if (caregivers_patients(r->arena, &who, &pts, &np) == ERR_OK) {
    for (size_t p = 0; p < np; p++) {
      hi(h, pts[p].patient_id, "Helping.%zu.PatientId", p);
      hs(h, pts[p].patient_name, "Helping.%zu.Name", p);
      hs(h, pts[p].relationship, "Helping.%zu.As", p);
      if (pts[p].represents) hs(h, pts[p].authority, "Helping.%zu.Authority", p);
      struct rqs_row *pr = NULL;
      size_t npr = 0;
      if (requests_list_for(r->arena, &who, pts[p].patient_id, &pr, &npr) != ERR_OK) continue;
      for (size_t i = 0; i < npr; i++) {
        enum req_status st = RS_DRAFT;
        req_status_parse(pr[i].status, &st);
        const char *text, *href;
        next_thing(r->arena, &pr[i], &text, &href);
        hi(h, pr[i].id, "Helping.%zu.Requests.%zu.Id", p, i);
        hs(h, pr[i].reference, "Helping.%zu.Requests.%zu.Reference", p, i);
        hs(h, pr[i].status, "Helping.%zu.Requests.%zu.Status", p, i);
        hs(h, req_status_label(st), "Helping.%zu.Requests.%zu.StatusLabel", p, i);
        hs(h, req_when(r, pr[i].created_at, TZ_DATE), "Helping.%zu.Requests.%zu.Created", p, i);
        hs(h, text, "Helping.%zu.Requests.%zu.Next", p, i);
        hs(h, href, "Helping.%zu.Requests.%zu.NextHref", p, i);
      }
    }
  }
  reply_page(r, 200, "requests_dashboard.cs");
}

static void new_page(struct req *r) {
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  hs(h, "Start a second-opinion request", "Page.Title");
  hs(h, "requests", "Page.Name");
  for (size_t i = 0; i < N_STEPS; i++) hs(h, steps[i][1], "Steps.%zu.Label", i);
  reply_page(r, 200, "requests_new.cs");
}

static void new_create(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = 0;
  const char *ref = NULL;
  /* "for": a caregiver starts a request for a patient they act for */
  const char *for_s = fv(r, "for");
  long long for_id = *for_s ? parse_id(for_s) : who.user_id;
  enum err e = for_id ? requests_create_draft_for(r->arena, &who, for_id, &id, &ref) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/exam", id));
}

/* ---- the guided form ---- */

struct step_view {
  struct rqs_row row;
  struct checklist_item items[CHECKLIST_ITEMS];
  size_t n_items;
  const char **missing;
  size_t n_missing;
  struct rqs_authorization auth;
  int auth_found;
};

/* Loads the request and what every step page shows (progress list). */
static enum err load_view(struct req *r, long long id, struct step_view *v) {
  struct actor who = actor_from_req(r);
  enum err e = requests_load(r->arena, &who, id, &v->row);
  if (e == ERR_OK) e = requests_checklist(r->arena, &v->row, v->items, &v->n_items);
  if (e == ERR_OK) e = requests_missing(r->arena, &v->row, &v->missing, &v->n_missing);
  if (e == ERR_OK) e = rqs_auth_current(r->arena, id, &v->auth, &v->auth_found);
  return e;
}

static bool missing_has(const struct step_view *v, const char *key) {
  for (size_t i = 0; i < v->n_missing; i++)
    if (strcmp(v->missing[i], key) == 0) return true;
  return false;
}

static bool records_done(const struct step_view *v) {
  for (size_t i = 0; i < v->n_items; i++)
    if (strcmp(v->items[i].key, "authorization") != 0 && v->items[i].need == CL_REQUIRED &&
        v->items[i].state != CL_DONE)
      return false;
  return true;
}

/* Fills Page.*, Request.*, the progress list, and the checklist. */
static void fill_common(struct req *r, HDF *h, const struct step_view *v, int current) {
  const struct rqs_row *q = &v->row;
  enum req_status st = RS_DRAFT;
  req_status_parse(q->status, &st);
  hi(h, q->id, "Request.Id");
  hs(h, q->reference, "Request.Reference");
  hs(h, q->status, "Request.Status");
  hs(h, req_status_label(st), "Request.StatusLabel");
  hi(h, st == RS_DRAFT, "Request.IsDraft");
  if (q->parent_request_id) hi(h, q->parent_request_id, "Request.Parent");
  hs(h, "requests", "Page.Name");
  /* a caregiver acting for the patient sees for whom, on every page of her request */
  struct cg_link cg;
  if (r->user && q->patient_id != r->user->user_id &&
      caregivers_link(r->arena, q->patient_id, r->user->user_id, &cg) == ERR_OK) {
    hs(h, cg.patient_name, "Acting.For");
    hs(h, cg.relationship, "Acting.As");
    struct cg_authority au;
    if (cg.represents && caregivers_authority(r->arena, q->patient_id, &au) == ERR_OK && au.state != CGA_NONE) {
      hs(h, cg.authority, "Acting.Authority");
      hs(h, cg_authority_state_words(au.state), "Acting.AuthorityState");
      if (au.state == CGA_REFUSED) hs(h, au.reason, "Acting.AuthorityReason");
    }
  }
  bool done[N_STEPS] = {
      !missing_has(v, "exam"), records_done(v), !missing_has(v, "authorization"), !missing_has(v, "specialist"),
      !missing_has(v, "coverage"), st != RS_DRAFT};
  for (size_t i = 0; i < N_STEPS; i++) {
    hs(h, steps[i][0], "Steps.%zu.Key", i);
    hs(h, steps[i][1], "Steps.%zu.Label", i);
    hi(h, done[i], "Steps.%zu.Done", i);
    hi(h, (int)i == current, "Steps.%zu.Current", i);
    hs(h, arena_printf(r->arena, "/requests/%lld/steps/%s", q->id, steps[i][0]), "Steps.%zu.Href", i);
  }
  if (current >= 0) {
    hs(h, steps[current][0], "Step.Key");
    hs(h, steps[current][1], "Step.Label");
    hi(h, current + 1, "Step.Number");
    hi(h, (long long)N_STEPS, "Step.Count");
    if ((size_t)current + 1 < N_STEPS) hs(h, steps[current + 1][0], "Step.Next");
  }
  for (size_t i = 0; i < v->n_items; i++) {
    const struct checklist_item *it = &v->items[i];
    hs(h, it->key, "Checklist.%zu.Key", i);
    hs(h, it->label, "Checklist.%zu.Label", i);
    hs(h, it->need == CL_REQUIRED ? "required" : it->need == CL_SUGGESTED ? "suggested" : "not_needed",
       "Checklist.%zu.Need", i);
    hs(h, it->state == CL_DONE ? "done" : it->state == CL_ATTENTION ? "attention" : "missing", "Checklist.%zu.State",
       i);
    hs(h, it->note, "Checklist.%zu.Note", i);
    hs(h, strcmp(it->key, "authorization") == 0 ? arena_printf(r->arena, "/requests/%lld/steps/authorization", q->id)
                                                  : arena_printf(r->arena, "/requests/%lld/records", q->id),
       "Checklist.%zu.Href", i);
  }
  for (size_t i = 0; i < v->n_missing; i++) {
    const char *text, *href;
    missing_text(r->arena, q->id, v->missing[i], &text, &href);
    hs(h, v->missing[i], "Missing.%zu.Key", i);
    hs(h, text, "Missing.%zu.Text", i);
    hs(h, href, "Missing.%zu.Href", i);
  }
}

/* Form.Values from the stored exam answers. */
static void exam_values(HDF *h, const struct rqs_row *q) {
  hs(h, q->exam_facility, "Form.Values.facility");
  hs(h, q->records_contact, "Form.Values.records_contact");
  hs(h, q->exam_date, "Form.Values.exam_date");
  hs(h, q->prior_exam_dates, "Form.Values.prior_exam_dates");
  hs(h, q->birads, "Form.Values.birads");
  hs(h, q->biopsy_done == 1 ? "yes" : q->biopsy_done == 0 ? "no" : "", "Form.Values.biopsy");
  hs(h, q->reason, "Form.Values.reason");
  hs(h, q->treatment_date, "Form.Values.treatment_date");
  hs(h, *q->caregiver_name ? "caregiver" : (q->exam_saved ? "self" : ""), "Form.Values.filled_by");
  hs(h, q->caregiver_name, "Form.Values.caregiver_name");
  hs(h, q->caregiver_relationship, "Form.Values.caregiver_relationship");
  for (size_t i = 0; i < q->n_exam_types; i++) hs(h, "1", "Form.Values.exam_type.%s", q->exam_types[i]);
  for (size_t i = 0; i < q->n_questions && i < 5; i++) hs(h, q->questions[i], "Form.Values.q%zu", i + 1);
}

static void exam_choices(HDF *h) {
  for (size_t i = 0; i < VOCAB_N_EXAM_TYPES; i++) {
    hs(h, VOCAB_EXAM_TYPES[i].key, "ExamTypes.%zu.Key", i);
    hs(h, VOCAB_EXAM_TYPES[i].label, "ExamTypes.%zu.Label", i);
  }
  for (int i = 0; i <= BI_COUNT; i++) {
    const char *k = i < BI_COUNT ? birads_name((enum birads)i) : "unknown";
    hs(h, k, "Birads.%d.Key", i);
    char lb[160];
    hs(h, birads_choice_label(lb, sizeof lb, k), "Birads.%d.Label", i);
  }
}

/* Specialist choices for the specialist step. */
static void specialist_choices(struct req *r, HDF *h, const struct rqs_row *q, long long exclude) {
  struct specialist_filter f;
  specialist_filter_defaults(&f);
  f.breast_specialist = false;
  f.limit = 100;
  struct specialist *list = NULL;
  size_t n = 0;
  long long total = 0;
  if (specialists_search(r->arena, &f, &list, &n, &total) != ERR_OK) return;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    struct specialist *s = &list[i];
    if (s->id == exclude) continue;
    hi(h, s->id, "Specialists.%zu.Id", k);
    hs(h, s->full_name, "Specialists.%zu.Name", k);
    hs(h, s->credentials, "Specialists.%zu.Credentials", k);
    hs(h, s->institution, "Specialists.%zu.Institution", k);
    hs(h, arena_printf(r->arena, "%s, %s", s->city, s->state), "Specialists.%zu.Place", k);
    hi(h, s->turnaround_days, "Specialists.%zu.Days", k);
    hs(h, s->offers_reread ? money(r->arena, s->fee_reread_cents) : "", "Specialists.%zu.FeeReread", k);
    hs(h, s->offers_consult ? money(r->arena, s->fee_consult_cents) : "", "Specialists.%zu.FeeConsult", k);
    hs(h,
       s->remote_review && s->in_person ? "Remote review or in person"
       : s->remote_review               ? "Remote review only"
                                        : "In person only",
       "Specialists.%zu.Modes", k);
    hi(h, s->accepting, "Specialists.%zu.Accepting", k);
    k++;
  }
  (void)q;
}

/* The parent's specialist (a third opinion must go to someone else). */
static long long parent_specialist(struct req *r, const struct rqs_row *q) {
  if (!q->parent_request_id) return 0;
  struct rqs_row p;
  if (rqs_get(r->arena, q->parent_request_id, &p) != ERR_OK) return 0;
  return p.assigned_specialist_id ? p.assigned_specialist_id : p.specialist_id;
}

/* Cost summary for the coverage step. */
static void cost_summary(struct req *r, HDF *h, const struct rqs_row *q, const char *plan) {
  long long sid = q->specialist_id;
  if (!sid) {
    hs(h, "The center will choose your specialist; the fee depends on who is chosen and will be confirmed before "
          "the review starts.",
       "Cost.Fee");
    hs(h, "unknown", "Cost.Network");
    return;
  }
  struct specialist s;
  if (specialist_get(r->arena, sid, &s) != ERR_OK) return;
  hs(h, s.full_name, "Cost.Specialist");
  bool consult = strcmp(q->review_type, "consult") == 0;
  long long fee = consult ? s.fee_consult_cents : s.fee_reread_cents;
  hs(h, arena_printf(r->arena, "%s for %s", money(r->arena, fee), consult ? "a full consultation" : "an image re-read"),
     "Cost.Fee");
  if (plan && *plan) hs(h, specialist_accepts(&s, plan) ? "in" : "out", "Cost.Network");
  else hs(h, "unknown", "Cost.Network");
  hs(h, plan, "Cost.Plan");
}

/* Shows a step page (GET, or a POST re-shown with errors). */
static void show_step(struct req *r, struct step_view *v, int idx, bool from_post, unsigned status) {
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  const struct rqs_row *q = &v->row;
  fill_common(r, h, v, idx);
  hs(h, arena_printf(r->arena, "%s · %s", steps[idx][1], q->reference), "Page.Title");
  if (!from_post && req_query(r, "saved")) hi(h, 1, "Page.Saved");
  const char *key = steps[idx][0];
  if (strcmp(key, "exam") == 0) {
    exam_choices(h);
    if (!from_post) exam_values(h, q);
    /* a caregiver acting for her fills it in: their own name and relationship, until saved otherwise */
    struct cg_link cg;
    if (!from_post && !q->exam_saved && r->user && q->patient_id != r->user->user_id &&
        caregivers_link(r->arena, q->patient_id, r->user->user_id, &cg) == ERR_OK) {
      hs(h, "caregiver", "Form.Values.filled_by");
      hs(h, cg.caregiver_name, "Form.Values.caregiver_name");
      hs(h, cg.relationship, "Form.Values.caregiver_relationship");
    }
  } else if (strcmp(key, "records") == 0) {
    hs(h, q->exam_facility, "Request.Facility");
    hs(h, q->records_requested_at, "Request.RecordsRequested");
    hs(h, q->records_due, "Request.RecordsDue");
    hi(h, q->records_extended, "Request.RecordsExtended");
  } else if (strcmp(key, "authorization") == 0) {
    const char *text, *sha;
    if (requests_authorization_text(r->arena, q, &text, &sha) != ERR_OK) return reply_error(r, ERR_INTERNAL, NULL);
    hs(h, text, "Auth.Text");
    hs(h, sha, "Auth.Sha256");
    if (v->auth_found) {
      hi(h, 1, "Auth.InForce");
      hs(h, v->auth.signed_name, "Auth.SignedName");
      hs(h, req_when(r, v->auth.signed_at, TZ_SHORT), "Auth.SignedAt");
      hi(h, v->auth.document_id, "Auth.DocumentId");
      struct cg_signer sg;
      if (caregivers_signer(r->arena, v->auth.id, &sg) == ERR_OK) {
        hs(h, sg.relationship, "Auth.SignerRelationship");
        hs(h, sg.authority, "Auth.SignerAuthority");
      }
    }
    for (size_t i = 0; i < v->n_items; i++)
      if (strcmp(v->items[i].key, "authorization") == 0 && v->items[i].state == CL_DONE && !v->auth_found)
        hi(h, 1, "Auth.Uploaded");
  } else if (strcmp(key, "specialist") == 0) {
    long long exclude = parent_specialist(r, q);
    specialist_choices(r, h, q, exclude);
    if (exclude) {
      struct specialist s;
      if (specialist_get(r->arena, exclude, &s) == ERR_OK) hs(h, s.full_name, "Request.ParentSpecialist");
    }
    if (!from_post) {
      hs(h, q->review_type, "Form.Values.review_type");
      hs(h, q->review_mode, "Form.Values.review_mode");
      const char *choose = req_query(r, "choose");
      long long cid = parse_id(choose);
      if (cid) hs(h, arena_printf(r->arena, "%lld", cid), "Form.Values.specialist");
      else if (q->specialist_id) hs(h, arena_printf(r->arena, "%lld", q->specialist_id), "Form.Values.specialist");
      else if (q->center_chooses) hs(h, "center", "Form.Values.specialist");
    }
  } else if (strcmp(key, "coverage") == 0) {
    const char *plan = from_post ? fv(r, "plan") : q->insurance_plan;
    cost_summary(r, h, q, plan);
    const char *member = "";
    if (requests_member_id(r->arena, q, &member) == ERR_OK && *member) {
      size_t ml = strlen(member);
      hs(h, ml > 4 ? member + ml - 4 : member, "Request.MemberIdEnd");
    }
    if (!from_post) {
      hs(h, q->payment, "Form.Values.payment");
      hs(h, q->insurance_plan, "Form.Values.plan");
      hs(h, q->plan_needs_referral == 1 ? "yes" : q->plan_needs_referral == 0 ? "no" : "", "Form.Values.referral");
      hs(h, q->estimate_acknowledged ? "1" : "", "Form.Values.ack");
    }
  } else if (strcmp(key, "review") == 0) {
    char lbuf[160];
    hs(h, q->exam_facility, "Review.Facility");
    hs(h, q->records_contact, "Review.RecordsContact");
    hs(h, q->exam_date, "Review.ExamDate");
    for (size_t i = 0; i < q->n_exam_types; i++) hs(h, exam_type_label(q->exam_types[i]), "Review.Types.%zu", i);
    hs(h, *q->birads ? birads_choice_label(lbuf, sizeof lbuf, q->birads) : "Not given", "Review.Birads");
    hs(h, q->biopsy_done == 1 ? "Yes" : q->biopsy_done == 0 ? "No" : "", "Review.Biopsy");
    hs(h, q->reason, "Review.Reason");
    for (size_t i = 0; i < q->n_questions; i++) hs(h, q->questions[i], "Review.Questions.%zu", i);
    hs(h, q->treatment_date, "Review.TreatmentDate");
    hs(h, q->caregiver_name, "Review.CaregiverName");
    hs(h, q->caregiver_relationship, "Review.CaregiverRelationship");
    hs(h, strcmp(q->review_type, "consult") == 0 ? "Full consultation" : *q->review_type ? "Image re-read" : "",
       "Review.Type");
    hs(h, strcmp(q->review_mode, "in_person") == 0 ? "In person" : *q->review_mode ? "Remote review" : "",
       "Review.Mode");
    if (q->specialist_id) {
      struct specialist s;
      if (specialist_get(r->arena, q->specialist_id, &s) == ERR_OK) hs(h, s.full_name, "Review.Specialist");
    } else if (q->center_chooses) {
      hs(h, "The center will choose", "Review.Specialist");
    }
    hs(h, strcmp(q->payment, "self_pay") == 0 ? "I will pay myself" : q->insurance_plan, "Review.Plan");
    hs(h, q->plan_needs_referral == 1 ? "Yes" : q->plan_needs_referral == 0 ? "No" : "", "Review.Referral");
    hi(h, q->estimate_acknowledged, "Review.Acknowledged");
    hi(h, v->auth_found, "Review.Signed");
  }
  reply_page(r, status, arena_printf(r->arena, "requests_step_%s.cs", key));
}

static void step_get(struct req *r) {
  long long id = param_id(r);
  int idx = step_index(req_param(r, "step"));
  if (!id || idx < 0) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct step_view v;
  memset(&v, 0, sizeof v);
  enum err e = load_view(r, id, &v);
  if (e != ERR_OK) return fail(r, e);
  if (strcmp(v.row.status, req_status_name(RS_DRAFT)) != 0) return reply_redirect(r, arena_printf(r->arena, "/requests/%lld", id));
  show_step(r, &v, idx, false, 200);
}




/* The signature through the form layer (core/requests.h requests_sign_submit). */
static int post_authorization(struct req *r, HDF *h, const struct rqs_row *q, enum err *e) {
  struct actor who = actor_from_req(r);
  const struct form_pair *in = posted(r);
  if (!in) {
    *e = ERR_INTERNAL;
    return 0;
  }
  struct form_errors errs;
  *e = requests_sign_submit(r->arena, &who, q->id, in, r->form.n, &errs);
  if (*e != ERR_INVALID) return 0;
  *e = ERR_OK;
  fv_fill(r, h, requests_sign_form(), &errs);
  return (int)errs.n;
}


/* POST of a step moved to the form layer (exam, specialist, coverage): the domain parses,
 * checks access, saves and audits in one transaction; only a refused form
 * loads the page again (422, the messages next to the fields, every typed
 * value kept, nothing saved). */
static void domain_step_post(struct req *r, long long id, int idx) {
  struct actor who = actor_from_req(r);
  const struct form_pair *in = posted(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  const char *key = steps[idx][0];
  char today[16];
  today_iso(r, today);
  struct form_errors errs;
  const struct form_spec *spec = NULL;
  enum err e = ERR_NOT_FOUND;
  if (strcmp(key, "exam") == 0) {
    spec = requests_exam_form();
    e = requests_exam_submit(r->arena, &who, id, in, r->form.n, today, &errs);
  } else if (strcmp(key, "specialist") == 0) {
    spec = requests_specialist_form();
    e = requests_specialist_submit(r->arena, &who, id, in, r->form.n, &errs);
  } else if (strcmp(key, "coverage") == 0) {
    spec = requests_coverage_form();
    e = requests_coverage_submit(r->arena, &who, id, in, r->form.n, &errs);
  }
  if (e == ERR_INVALID) {
    struct step_view v;
    memset(&v, 0, sizeof v);
    if ((e = load_view(r, id, &v)) != ERR_OK) return fail(r, e);
    if (strcmp(v.row.status, req_status_name(RS_DRAFT)) != 0) return fail(r, ERR_CONFLICT);
    HDF *h = req_hdf(r);
    if (!h) return reply_error(r, ERR_INTERNAL, NULL);
    fv_fill(r, h, spec, &errs);
    return show_step(r, &v, idx, true, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  const char *go = req_form(r, "go");
  if (go && strcmp(go, "stay") == 0)
    return reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/%s?saved=1", id, steps[idx][0]));
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/%s", id, steps[idx + 1][0]));
}

static void step_post(struct req *r) {
  long long id = param_id(r);
  int idx = step_index(req_param(r, "step"));
  if (!id || idx < 0) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *k = steps[idx][0];
  if (strcmp(k, "exam") == 0 || strcmp(k, "specialist") == 0 || strcmp(k, "coverage") == 0)
    return domain_step_post(r, id, idx);
  struct step_view v;
  memset(&v, 0, sizeof v);
  enum err e = load_view(r, id, &v);
  if (e != ERR_OK) return fail(r, e);
  if (strcmp(v.row.status, req_status_name(RS_DRAFT)) != 0) return fail(r, ERR_CONFLICT);
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  const char *key = steps[idx][0];
  int nerr = 0;
  e = ERR_OK;
  if (strcmp(key, "authorization") == 0 && !v.auth_found) nerr = post_authorization(r, h, &v.row, &e);
  else if (strcmp(key, "review") == 0) return reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/review", id));
  if (e != ERR_OK) return fail(r, e);
  if (nerr) {
    return show_step(r, &v, idx, true, 422);
  }
  const char *go = req_form(r, "go");
  if (go && strcmp(go, "stay") == 0)
    return reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/%s?saved=1", id, key));
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/%s", id, steps[idx + 1 < (int)N_STEPS ? idx + 1 : idx][0]));
}

static void submit(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  const char *ref = NULL;
  enum err e = id ? requests_submit(r->arena, &who, id, &ref) : ERR_NOT_FOUND;
  if (e == ERR_INVALID) {
    struct step_view v;
    memset(&v, 0, sizeof v);
    e = load_view(r, id, &v);
    if (e != ERR_OK) return fail(r, e);
    HDF *h = req_hdf(r);
    if (!h) return reply_error(r, ERR_INTERNAL, NULL);
    hs(h, "Your request cannot be sent yet: some required items are missing. Each one is listed below with a link.",
       "Form.Refused");
    return show_step(r, &v, (int)N_STEPS - 1, true, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld?submitted=1", id));
}

/* ---- letter, authorization print ---- */

static void letter(struct req *r) {
  long long id = param_id(r);
  struct step_view v;
  memset(&v, 0, sizeof v);
  enum err e = id ? load_view(r, id, &v) : ERR_NOT_FOUND;
  if (e != ERR_OK) return fail(r, e);
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  fill_common(r, h, &v, -1);
  const char *email = "", *name = "";
  rqs_user_contact(r->arena, v.row.patient_id, &email, &name);
  char today[16];
  today_iso(r, today);
  if ((e = pv_print_header(r, h, id)) != ERR_OK) return fail(r, e);
  hs(h, "Request for my medical records", "Page.Title");
  hs(h, name, "Letter.Name");
  hs(h, email, "Letter.Email");
  hs(h, today, "Letter.Date");
  hs(h, *v.row.exam_facility ? v.row.exam_facility : "", "Letter.Facility");
  hs(h, v.row.records_contact, "Letter.Contact");
  hs(h, v.row.exam_date, "Letter.ExamDate");
  for (size_t i = 0; i < v.row.n_exam_types; i++) hs(h, exam_type_label(v.row.exam_types[i]), "Letter.Types.%zu", i);
  hs(h, v.row.prior_exam_dates, "Letter.Prior");
  hi(h, v.row.biopsy_done == 1, "Letter.Biopsy");
  reply_page(r, 200, "requests_letter.cs");
}

static void letter_sent(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  const struct form_pair *in = posted(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  /* "today" is the patient's own: late in the evening in Los Angeles it is already tomorrow in UTC */
  char today[16];
  today_iso(r, today);
  struct form_errors errs;
  enum err e = id ? requests_letter_submit(r->arena, &who, id, in, r->form.n, today, &errs) : ERR_NOT_FOUND;
  if (e == ERR_INVALID) {
    /* the records step again, with the date typed and the message next to it; nothing saved */
    struct step_view v;
    memset(&v, 0, sizeof v);
    enum err le = load_view(r, id, &v);
    if (le != ERR_OK) return fail(r, le);
    HDF *h = req_hdf(r);
    if (!h) return reply_error(r, ERR_INTERNAL, NULL);
    if (strcmp(v.row.status, req_status_name(RS_DRAFT)) != 0) return reply_error(r, ERR_INVALID, form_error(&errs, "sent_on"));
    fv_fill(r, h, requests_letter_form(), &errs);
    return show_step(r, &v, step_index("records"), true, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/records", id));
}

static void letter_extend(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  enum err e = id ? requests_records_extend(&who, id) : ERR_NOT_FOUND;
  if (e == ERR_CONFLICT)
    return reply_error(r, e, "The facility may extend the deadline only once, and only after the letter was sent.");
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/records", id));
}

/* The revoke form (on the authorization page). */
static const struct form_field revoke_fields[] = {
    {.name = "confirm", .type = FT_TICK, .required = true,
     .missing = "Please tick the box to confirm that you want to revoke the authorization."},
};
static const struct form_spec revoke_form = {revoke_fields, 1, NULL};

/* The withdraw form (on the status page). */
static const struct form_field withdraw_fields[] = {
    {.name = "reason", .type = FT_TEXT, .max = 500},
    {.name = "confirm", .type = FT_TICK, .required = true,
     .missing = "Please tick the box to confirm that you want to withdraw the request."},
};
static const struct form_spec withdraw_form = {withdraw_fields, 2, NULL};

/* The authorization page; with errs, the revoke form re-shown (422). */
static void show_authorization(struct req *r, const struct form_errors *errs) {
  long long id = param_id(r);
  struct step_view v;
  memset(&v, 0, sizeof v);
  enum err e = id ? load_view(r, id, &v) : ERR_NOT_FOUND;
  if (e != ERR_OK) return fail(r, e);
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  fill_common(r, h, &v, -1);
  const char *text, *sha;
  if (requests_authorization_text(r->arena, &v.row, &text, &sha) != ERR_OK) return reply_error(r, ERR_INTERNAL, NULL);
  if ((e = pv_print_header(r, h, id)) != ERR_OK) return fail(r, e);
  hs(h, "Authorization", "Page.Title");
  hs(h, text, "Auth.Text");
  hs(h, sha, "Auth.Sha256");
  if (v.auth_found) {
    hi(h, 1, "Auth.InForce");
    hs(h, v.auth.signed_name, "Auth.SignedName");
    hs(h, req_when(r, v.auth.signed_at, TZ_SHORT), "Auth.SignedAt");
    hs(h, v.auth.client_ip, "Auth.Ip");
    hs(h, v.auth.text_sha256, "Auth.SignedSha256");
    struct cg_signer sg;
    if (caregivers_signer(r->arena, v.auth.id, &sg) == ERR_OK) {
      hs(h, sg.relationship, "Auth.SignerRelationship");
      hs(h, sg.authority, "Auth.SignerAuthority");
    }
  }
  if (errs) fv_fill(r, h, &revoke_form, errs);
  reply_page(r, errs ? 422 : 200, "requests_authorization.cs");
}

static void authorization_print(struct req *r) { show_authorization(r, NULL); }

static void authorization_revoke(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  struct form_value val[1];
  struct form_errors errs;
  if (!fv_parse(r, &revoke_form, NULL, val, &errs)) return show_authorization(r, &errs);
  enum err e = id ? requests_revoke_authorization(&who, id) : ERR_NOT_FOUND;
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld", id));
}

/* ---- status page ---- */

/* Who did it, as the patient reads it: "You", a reviewer by the directory
 * name of their specialist, someone at the center by name, else "The center". */
static const char *event_who(struct req *r, const struct rqs_event *ev, long long patient_id) {
  if (r->user && ev->actor_id == r->user->user_id) return "You";
  if (strcmp(ev->actor_role, VOCAB_KEY_PATIENT) == 0) {
    /* a caregiver: "Your daughter Ana Rivera", or to the caregiver, the patient by name */
    const char *cg = r->user && ev->actor_id != patient_id
                         ? caregivers_who(r->arena, patient_id, ev->actor_id, r->user->user_id)
                         : NULL;
    if (cg) return cg;
    return *ev->actor_name ? ev->actor_name : "You";
  }
  if (!*ev->actor_name) return "The center";
  if (strcmp(ev->actor_role, VOCAB_KEY_STAFF) == 0) return arena_printf(r->arena, "%s at the breast center", ev->actor_name);
  return ev->actor_name;
}

/* The timeline speaks in sentences: who did what, and when in the reader's
 * own time zone ("Dr. Lucia Fernandes started reviewing your images on
 * Tuesday 1 December 2026 at 14:05 CET."). */
static const char *event_text(struct req *r, const struct rqs_event *ev, long long patient_id) {
  struct arena *a = r->arena;
  const char *who = event_who(r, ev, patient_id), *when = req_when(r, ev->at, TZ_LONG);
  bool you = strcmp(who, "You") == 0;
  const char *what = NULL;
  if (strcmp(ev->kind, "status") == 0) {
    enum req_status to;
    if (!req_status_parse(ev->to_status, &to)) to = RS_COUNT;
    switch (to) {
    case RS_SUBMITTED: what = "sent your request"; break;
    case RS_TRIAGE:
      what = strcmp(ev->from_status, req_status_name(RS_NEEDS_INFO)) != 0 ? "started checking your request"
             : you                                     ? "sent the information the center asked for"
                                                       : "started checking your request again";
      break;
    case RS_NEEDS_INFO: what = "asked you for more information"; break;
    case RS_ACCEPTED: what = "accepted your request"; break;
    case RS_SCHEDULED: what = "scheduled your consultation"; break;
    case RS_IN_REVIEW: what = "started reviewing your images"; break;
    case RS_REPORT_READY: what = "finished your report"; break;
    case RS_CLOSED: what = "closed the request"; break;
    case RS_DECLINED: what = "declined the request"; break;
    case RS_WITHDRAWN: what = "withdrew the request"; break;
    case RS_DRAFT:
    case RS_COUNT: what = "updated your request"; break;
    }
  } else if (strcmp(ev->kind, "authorization_signed") == 0) {
    what = "signed the authorization";
  } else if (strcmp(ev->kind, "authorization_revoked") == 0) {
    what = "revoked the authorization";
  } else if (strcmp(ev->kind, "records_letter") == 0) {
    what = "noted that the records-request letter was sent";
  } else if (strcmp(ev->kind, "records_extension") == 0) {
    what = "noted the facility's one 30-day extension";
  } else if (cg_records_event_words(a, ev->kind, ev->detail)) {
    what = cg_records_event_words(a, ev->kind, ev->detail); /* a caregiver's upload or removal */
  } else if (strcmp(ev->kind, "third_opinion") == 0) {
    return arena_printf(a, "This third-opinion request was opened on %s, with the records of the earlier request.", when);
  } else if (strcmp(ev->kind, "note") == 0) {
    json_t *j = *ev->detail ? json_loads(ev->detail, 0, NULL) : NULL;
    const char *evn = json_string_value(json_object_get(j, "event"));
    bool consult = json_object_get(j, "place") != NULL;
    if (evn && strcmp(evn, "report_released") == 0) what = "released your report to you";
    else if (consult) what = "moved your consultation";
    json_decref(j);
  }
  if (!what) return arena_printf(a, "The center updated your request on %s.", when);
  return arena_printf(a, "%s %s on %s.", who, what, when);
}

/* Adds the patient-visible details of an event (reason, missing items, date). */
static void event_detail(struct req *r, HDF *h, size_t i, const struct rqs_event *ev, long long id, bool latest_info) {
  if (!*ev->detail) return;
  json_t *j = json_loads(ev->detail, 0, NULL);
  if (!json_is_object(j)) goto done;
  const char *msg = json_string_value(json_object_get(j, "message"));
  const char *reason = json_string_value(json_object_get(j, "reason"));
  const char *date = json_string_value(json_object_get(j, "date"));
  const char *starts = json_string_value(json_object_get(j, "starts_at"));
  const char *place = json_string_value(json_object_get(j, "place"));
  /* a consultation is an instant: shown in the reader's zone (older events kept the typed date) */
  if (starts) date = req_when(r, starts, TZ_LONG);
  if (msg) hs(h, msg, "Timeline.%zu.Message", i);
  if (reason) hs(h, reason, "Timeline.%zu.Reason", i);
  if (date) hs(h, date, "Timeline.%zu.Date", i);
  if (place) hs(h, place, "Timeline.%zu.Place", i);
  json_t *missing = json_object_get(j, "missing");
  for (size_t k = 0; json_is_array(missing) && k < json_array_size(missing) && k < 20; k++) {
    const char *key = json_string_value(json_array_get(missing, k));
    if (!key) continue;
    const char *text, *href;
    missing_text(r->arena, id, key, &text, &href);
    hs(h, text, "Timeline.%zu.Missing.%zu", i, k);
    if (latest_info) {
      hs(h, text, "Needed.%zu.Text", k);
      hs(h, arena_printf(r->arena, "/requests/%lld/records", id), "Needed.%zu.Href", k);
    }
  }
  if (latest_info && msg) hs(h, msg, "NeededMessage");
done:
  json_decref(j);
}

/* The status page; body_err (may be NULL) re-shows the message form with
 * the text typed and the error next to it (422). */
static void show_status(struct req *r, const char *body_err, const struct form_errors *wd_errs) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  struct step_view v;
  memset(&v, 0, sizeof v);
  enum err e = id ? load_view(r, id, &v) : ERR_NOT_FOUND;
  if (e != ERR_OK) return fail(r, e);
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  const struct rqs_row *q = &v.row;
  enum req_status st = RS_DRAFT;
  req_status_parse(q->status, &st);
  fill_common(r, h, &v, -1);
  hs(h, arena_printf(r->arena, "Request %s", q->reference), "Page.Title");
  if (req_query(r, "submitted")) hi(h, 1, "Request.JustSubmitted");
  hs(h, req_when(r, q->submitted_at, TZ_SHORT), "Request.SubmittedAt");
  hs(h, q->expected_by, "Request.ExpectedBy");
  if (*q->expected_by && st != RS_REPORT_READY && st != RS_CLOSED && st != RS_DECLINED && st != RS_WITHDRAWN &&
      st != RS_DRAFT)
    hi(h, q->days_to_expected, "Request.DaysLeft");
  hi(h, req_withdrawable(st), "Request.CanWithdraw");
  hi(h, st == RS_NEEDS_INFO, "Request.NeedsInfo");
  hi(h, st == RS_REPORT_READY || st == RS_CLOSED, "Request.HasReport");
  hi(h, st == RS_REPORT_READY || st == RS_CLOSED, "Request.CanThirdOpinion");
  hi(h, st != RS_DRAFT, "Request.CanMessage");
  hi(h, q->review_stopped, "Request.ReviewStopped");
  hi(h, v.auth_found, "Request.AuthInForce");
  if (req_records_open(st) && *q->records_requested_at) hs(h, q->records_due, "Request.RecordsDue");
  if (st == RS_DRAFT) {
    const char *text, *href;
    next_thing(r->arena, q, &text, &href);
    hs(h, text, "Request.Next");
    hs(h, href, "Request.NextHref");
  }
  struct rqs_event *ev = NULL;
  size_t ne = 0;
  e = rqs_events(r->arena, id, false, &ev, &ne);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  size_t last_info = (size_t)-1;
  for (size_t i = 0; i < ne; i++)
    if (strcmp(ev[i].kind, "status") == 0 && strcmp(ev[i].to_status, req_status_name(RS_NEEDS_INFO)) == 0) last_info = i;
  for (size_t i = 0; i < ne; i++) {
    hs(h, ev[i].at, "Timeline.%zu.At", i);
    hs(h, event_text(r, &ev[i], q->patient_id), "Timeline.%zu.Text", i);
    event_detail(r, h, i, &ev[i], id, st == RS_NEEDS_INFO && i == last_info);
  }
  struct rqs_message *msgs = NULL;
  size_t nm = 0;
  e = requests_thread(r->arena, &who, id, &msgs, &nm);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  long long unread = 0;
  for (size_t i = 0; i < nm; i++) {
    bool mine = msgs[i].author_id == who.user_id;
    bool fresh = !mine && !*msgs[i].read_at; /* as it was before this visit */
    unread += fresh;
    const char *cg = !mine && strcmp(msgs[i].author_role, VOCAB_KEY_PATIENT) == 0
                         ? caregivers_who(r->arena, q->patient_id, msgs[i].author_id, who.user_id)
                         : NULL;
    hs(h, mine ? "You" : cg ? cg : (*msgs[i].author_name ? msgs[i].author_name : "The center"), "Messages.%zu.Author", i);
    hs(h, mine || cg ? "" : strcmp(msgs[i].author_role, VOCAB_KEY_REVIEWER) == 0 ? "your reviewing radiologist" : "the breast center",
       "Messages.%zu.From", i);
    hi(h, mine, "Messages.%zu.Mine", i);
    hi(h, fresh, "Messages.%zu.New", i);
    hs(h, req_when(r, msgs[i].created_at, TZ_SHORT), "Messages.%zu.At", i);
    hs(h, msgs[i].body_sealed_hex, "Messages.%zu.Body", i);
  }
  hs(h, arena_printf(r->arena, "%lld", unread), "Request.Unread");
  /* the consultation, in the patient's own time zone, with its calendar file */
  struct rowset cons;
  if (st != RS_DRAFT && st != RS_WITHDRAWN && st != RS_DECLINED &&
      center_consult_latest(r->arena, &who, id, &cons) == ERR_OK && cons.n > 0) {
    hs(h, req_when(r, rs_get(&cons, 0, "starts_at"), TZ_LONG), "Consult.When");
    hs(h, rs_get(&cons, 0, "place"), "Consult.Place");
    hs(h, rs_get(&cons, 0, "minutes"), "Consult.Minutes");
  }
  /* who reviews: the patient's choice, or the center's with its reason */
  const char *chosen = "", *assigned = "", *why = "";
  if (q->assigned_specialist_id > 0 && rqs_assignment(r->arena, id, &chosen, &assigned, &why) == ERR_OK) {
    hs(h, assigned, "Request.Assigned");
    hs(h, chosen, "Request.Chosen");
    hs(h, why, "Request.AssignReason");
  }
  if (body_err) {
    hs(h, body_err, "Form.Errors.body");
    hs(h, fv(r, "body"), "Form.Values.body");
    hi(h, 1, "Form.ErrorCount");
  }
  if (wd_errs) fv_fill(r, h, &withdraw_form, wd_errs);
  /* the newest few of "who opened my records" (routes/patient_access.c has them all) */
  struct access_page ap;
  if (access_log_page(r->arena, &who, id, 1, 3, &ap) == ERR_OK) pa_fill(h, &ap);
  reply_page(r, body_err || wd_errs ? 422 : 200, "requests_status.cs");
}

static void status_page(struct req *r) { show_status(r, NULL, NULL); }

static void message_post(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  const struct form_pair *in = posted(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct form_errors errs;
  enum err e = id ? requests_message_submit(r->arena, &who, id, in, r->form.n, &errs) : ERR_NOT_FOUND;
  if (e == ERR_INVALID) return show_status(r, form_error(&errs, "body"), NULL);
  if (e == ERR_CONFLICT) return reply_error(r, e, "Messages open once the request is sent.");
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld#messages", id));
}

static void withdraw(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  enum req_status st;
  long long owner;
  struct form_value val[2];
  struct form_errors errs;
  if (!fv_parse(r, &withdraw_form, NULL, val, &errs)) return show_status(r, NULL, &errs);
  enum err e = id ? requests_access(&who, id, RA_EDIT, &st, &owner) : ERR_NOT_FOUND;
  if (e != ERR_OK) return fail(r, e);
  const char *reason = val[0].text;
  json_t *d = json_object();
  if (*reason) json_object_set_new(d, "reason", json_string(reason));
  char *dj = json_dumps(d, JSON_COMPACT);
  json_decref(d);
  e = dj ? requests_transition(&who, id, st, RS_WITHDRAWN, dj, false) : ERR_INTERNAL;
  free(dj);
  if (e == ERR_FORBIDDEN)
    return reply_error(r, ERR_CONFLICT, "The review has already started (or the request is finished), so it can no longer be withdrawn. Please write to the center.");
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld", id));
}

static void info_sent(struct req *r) {
  long long id = param_id(r);
  struct actor who = actor_from_req(r);
  enum err e = id ? requests_transition(&who, id, RS_NEEDS_INFO, RS_TRIAGE, NULL, false) : ERR_NOT_FOUND;
  if (e == ERR_FILES_CHECKING) return reply_error(r, e, NULL);
  if (e == ERR_CONFLICT || e == ERR_FORBIDDEN) return reply_error(r, ERR_CONFLICT, "The center is not waiting for information on this request.");
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld", id));
}

static void third_opinion(struct req *r) {
  long long id = param_id(r), nid = 0;
  struct actor who = actor_from_req(r);
  enum err e = id ? requests_third_opinion(r->arena, &who, id, &nid) : ERR_NOT_FOUND;
  if (e == ERR_CONFLICT) return reply_error(r, e, "A third opinion can be asked for once the report is ready.");
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/steps/specialist", nid));
}

const struct route patient_requests_routes[] = {
    {"GET", "/requests", dashboard, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "requests"},
    {"GET", "/requests/new", new_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-new"},
    {"GET", "/requests/choose-specialist", choose_specialist, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-choose"},
    {"POST", "/requests/new", new_create, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-new-create"},
    {"GET", "/requests/{id}", status_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-status"},
    {"GET", "/requests/{id}/steps/{step}", step_get, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-step"},
    {"POST", "/requests/{id}/steps/{step}", step_post, ROLE_PATIENT, 0, BODY_FORM, 64 * 1024, NULL, "request-step-save"},
    {"POST", "/requests/{id}/submit", submit, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-submit"},
    {"GET", "/requests/{id}/letter", letter, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-letter"},
    {"POST", "/requests/{id}/letter/sent", letter_sent, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-letter-sent"},
    {"POST", "/requests/{id}/letter/extend", letter_extend, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-letter-extend"},
    {"GET", "/requests/{id}/authorization", authorization_print, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-authorization"},
    {"POST", "/requests/{id}/authorization/revoke", authorization_revoke, ROLE_PATIENT, 0, BODY_FORM, 0, NULL,
     "request-authorization-revoke"},
    {"POST", "/requests/{id}/messages", message_post, ROLE_PATIENT, 0, BODY_FORM, 32 * 1024, NULL, "request-message"},
    {"POST", "/requests/{id}/withdraw", withdraw, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-withdraw"},
    {"POST", "/requests/{id}/info-sent", info_sent, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-info-sent"},
    {"POST", "/requests/{id}/third-opinion", third_opinion, ROLE_PATIENT, 0, BODY_FORM, 0, NULL, "request-third-opinion"},
    {0},
};
