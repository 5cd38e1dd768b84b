/* The verified first read: see first_read.h. */
#include "core/form.h"
#include "core/vocab.h"
#include "core/first_read.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/birads.h"
#include "core/requests.h"
#include "core/triage.h"
#include "store/db.h"
#include "store/first_read.h"
#include "store/requests.h"
#include "util/arena.h"

#define R_STAFF (1u << 1)
#define R_REVIEWER (1u << 2)

static void add_err(struct center_errors *errs, const char *field, const char *msg) {
  if (errs->n < sizeof errs->e / sizeof errs->e[0]) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

static bool empty(const char *s) { return !s || !*s; }


const char *first_read_biopsy_label(const char *v) {
  const char *l = vocab_biopsy_label(v);
  return l ? l : v ? v : "";
}

enum { FR_BIRADS, FR_REC, FR_BIOPSY, FR_BDATE, FR_EDATE, FR_N };
static const struct form_field fr_fields[] = {
    [FR_BIRADS] = {.name = "fr_birads", .type = FT_ENUM, .required = true, .vocab = BIRADS_WORDS,
                   .n_vocab = BI_COUNT + 1,
                   .missing = "Choose the BI-RADS category written on the report, or \"not stated\".",
                   .invalid = "Choose one of the BI-RADS categories in the list."},
    [FR_REC] = {.name = "fr_recommendation", .type = FT_ENUM, .required = true, .vocab = VOCAB_RECOMMENDATION_WORDS,
                .n_vocab = REC_COUNT + 1,
                .missing = "Choose the next step the report recommends, or \"not stated\".",
                .invalid = "Choose one of the next steps in the list."},
    [FR_BIOPSY] = {.name = "fr_biopsy", .type = FT_ENUM, .required = true, .vocab = VOCAB_BIOPSY,
                   .n_vocab = VOCAB_N_BIOPSY,
                   .missing = "Say whether a biopsy was done and, if so, its result.",
                   .invalid = "Choose one of the biopsy answers."},
    [FR_BDATE] = {.name = "fr_biopsy_date", .type = FT_DATE, .not_future = true,
                  .invalid = "Enter the date as year-month-day, for example 2026-03-14.",
                  .future = "The biopsy date cannot be in the future."},
    [FR_EDATE] = {.name = "fr_exam_date", .type = FT_DATE, .not_future = true,
                  .invalid = "Enter the date as year-month-day, for example 2026-03-14.",
                  .future = "The exam date cannot be in the future."},
};

/* A biopsy done has its date; none has none. */
static void fr_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)spec;
  (void)ctx;
  if (form_error(errs, "fr_biopsy")) return;
  bool biopsy = strcmp(v[FR_BIOPSY].text, VOCAB_BIOPSY_NONE) != 0;
  if (biopsy && !v[FR_BDATE].present)
    form_error_add(errs, "fr_biopsy_date", "Enter the date of the biopsy (from the pathology or radiology report).");
  else if (!biopsy && v[FR_BDATE].present)
    form_error_add(errs, "fr_biopsy_date", "Leave the biopsy date empty when no biopsy was done.");
}

const struct form_spec *first_read_form(void) {
  static const struct form_spec spec = {fr_fields, FR_N, fr_check};
  return &spec;
}

struct fr_ctx {
  struct arena *a;
  const struct actor *who;
  long long id, patient;
  const struct first_read_in *in;
  struct center_errors *errs;
};

static const char *or_none(const char *s) { return empty(s) ? "" : s; }

/* "BI-RADS 4B" / "BI-RADS not stated" in plain words. */
static const char *cat_words(struct arena *a, const char *b) {
  if (empty(b) || strcmp(b, "unknown") == 0) return "BI-RADS not stated";
  (void)a;
  return birads_label(birads_parse(b));
}

static const char *rec_words(const char *r) {
  if (empty(r) || strcmp(r, "unknown") == 0) return "not stated";
  return triage_recommendation_label(r);
}

static enum err fr_tx(void *p) {
  struct fr_ctx *c = p;
  struct arena *a = c->a;
  const struct first_read_in *in = c->in;
  struct rowset cur;
  enum err e = st_first_read_lock(a, c->id, &cur);
  if (e != ERR_OK) return e;
  enum req_status st;
  if (!req_status_parse(rs_get(&cur, 0, "status"), &st)) return ERR_INTERNAL;
  c->patient = rs_ll(&cur, 0, "patient_id");
  /* the same rule as requests_access, checked again under the lock */
  if (st == RS_DRAFT) return ERR_NOT_FOUND;
  if (c->who->role == R_REVIEWER && rs_ll(&cur, 0, "reviewer_id") != c->who->user_id) return ERR_NOT_FOUND;
  const char *bdate = strcmp(in->biopsy, VOCAB_BIOPSY_NONE) == 0 ? "" : or_none(in->biopsy_date);
  const char *edate = or_none(in->exam_date);
  /* what changed, against the last verified values, or the patient's answers */
  bool was = rs_bool(&cur, 0, "verified");
  const char *pb = rs_get(&cur, 0, "birads"), *pbx = rs_get(&cur, 0, "biopsy_done");
  const char *old_b = was ? rs_get(&cur, 0, "verified_birads") : (*pb ? pb : "unknown");
  const char *old_bx = was ? rs_get(&cur, 0, "verified_biopsy")
                           : (strcmp(pbx, "true") == 0 ? VOCAB_BIOPSY_PENDING : strcmp(pbx, "false") == 0 ? VOCAB_BIOPSY_NONE : "");
  const char *old_ed = was ? rs_get(&cur, 0, "verified_exam_date") : rs_get(&cur, 0, "exam_date");
  json_t *changed = json_array();
  if (!changed) return ERR_INTERNAL;
  if (strcmp(old_b, in->birads) != 0) json_array_append_new(changed, json_string("birads"));
  if (was && strcmp(rs_get(&cur, 0, "verified_recommendation"), in->recommendation) != 0)
    json_array_append_new(changed, json_string("recommendation"));
  if (strcmp(old_bx, in->biopsy) != 0) json_array_append_new(changed, json_string("biopsy"));
  if (was && strcmp(rs_get(&cur, 0, "verified_biopsy_date"), bdate) != 0)
    json_array_append_new(changed, json_string("biopsy_date"));
  if (strcmp(old_ed, edate) != 0) json_array_append_new(changed, json_string("exam_date"));
  size_t nchanged = json_array_size(changed);
  e = st_first_read_set(a, c->id, in->birads, in->recommendation, in->biopsy, bdate, edate, c->who->user_id);
  /* the staff timeline, in plain words */
  const char *what = arena_printf(
      a, "%s. Next step: %s. Biopsy: %s%s%s. Exam date: %s.", cat_words(a, in->birads), rec_words(in->recommendation),
      first_read_biopsy_label(in->biopsy), *bdate ? ", on " : "", bdate, *edate ? edate : "not stated");
  const char *before = arena_printf(
      a, "%s: %s; biopsy: %s; exam date: %s.", was ? "Before this change" : "As the patient told us",
      cat_words(a, old_b), *old_bx ? first_read_biopsy_label(old_bx) : "not answered", *old_ed ? old_ed : "not given");
  json_t *det = json_pack("{s:s,s:s,s:s}", "event", nchanged ? "first_read_corrected" : "first_read_confirmed",
                          "verified", what ? what : "", "previous", before ? before : "");
  char *dtext = det ? json_dumps(det, JSON_COMPACT) : NULL;
  json_decref(det);
  if (e == ERR_OK && !dtext) e = ERR_INTERNAL;
  if (e == ERR_OK) e = rqs_event_add(c->id, NULL, NULL, "note", c->who->user_id, dtext, true);
  free(dtext);
  json_t *ad = json_pack("{s:o,s:b}", "changed", changed, "first_time", !was);
  char *atext = ad ? json_dumps(ad, JSON_COMPACT) : NULL;
  json_decref(ad);
  if (e == ERR_OK && !atext) e = ERR_INTERNAL;
  if (e == ERR_OK) {
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", c->id);
    struct audit_event ev = {"request.first_read.verify", "request", oid, c->patient, "ok", atext};
    e = audit_write(c->who, &ev);
  }
  free(atext);
  return e;
}

enum err first_read_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *pairs,
                           size_t n, const char *today, struct center_errors *errs) {
  errs->n = 0;
  if (!who || (who->role != R_STAFF && who->role != R_REVIEWER)) return ERR_NOT_FOUND;
  struct form_value v[FR_N];
  struct form_errors fe;
  if (!form_parse(a, first_read_form(), pairs, n, today, NULL, v, &fe)) {
    for (size_t i = 0; i < fe.n; i++) add_err(errs, fe.e[i].field, fe.e[i].message);
    return ERR_INVALID;
  }
  struct first_read_in in = {.birads = v[FR_BIRADS].text,
                             .recommendation = v[FR_REC].text,
                             .biopsy = v[FR_BIOPSY].text,
                             .biopsy_date = v[FR_BDATE].text,
                             .exam_date = v[FR_EDATE].text};
  enum req_status st;
  long long patient = 0;
  enum err e = requests_access(who, id, RA_VIEW, &st, &patient);
  if (e != ERR_OK) return e;
  struct fr_ctx c = {.a = a, .who = who, .id = id, .patient = patient, .in = &in, .errs = errs};
  e = db_tx(fr_tx, &c);
  if (e == ERR_NOT_FOUND) {
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", id);
    struct audit_event ev = {"request.first_read.verify", "request", oid, patient, "denied", NULL};
    audit_write(who, &ev);
  }
  return e;
}
