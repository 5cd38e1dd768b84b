/* The reviewer's side:
 *   GET  /reviewer/cases                       worklist with due dates
 *   GET  /reviewer/cases/{id}                  the case: first exam, original
 *        report and BI-RADS, pathology, study summaries, downloads, and the
 *        structured report form (draft) or the signed report with addenda
 *   POST /reviewer/cases/{id}/start            accepted|scheduled → in_review
 *   POST /reviewer/cases/{id}/report           save the draft, or sign it
 *        (button "sign", with the password or a TOTP code)
 *   POST /reviewer/cases/{id}/report/preview   JSON: the verdict and the
 *        patient's sentence the form would give if signed now (the same C
 *        function as signing; CSRF-checked like every POST)
 *   POST /reviewer/cases/{id}/addenda          a signed addendum
 *   POST /reviewer/cases/{id}/reply            a message to the patient
 *   POST /reviewer/cases/{id}/note             an internal note (staff and reviewers only)
 *   GET  /reviewer/cases/{id}/report/print     printable report for the
 *        referring physician (the reviewer, or staff) */
#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/birads.h"
#include "core/vocab.h"
#include "core/center.h"
#include "core/concordance.h"
#include "core/records.h"
#include "core/reports.h"
#include "core/requests.h"
#include "core/triage.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/pacs_view.h"
#include "routes/first_read_view.h"
#include "routes/form_view.h"
#include "routes/report_view.h"
#include "routes/identity_view.h"
#include "routes/print_view.h"
#include "routes/routes.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/tz.h"

static void worklist(struct req *r) {
  struct actor who = actor_from_req(r);
  struct rowset rs;
  enum err e = center_reviewer_cases(r->arena, &who, &rs);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  hdf_set_value(hdf, "Page.Title", "My cases");
  hdf_set_value(hdf, "Page.Name", "reviewer-cases");
  cv_rows(hdf, "Cases", &rs);
  struct rqs_unread *unread = NULL;
  size_t nu = 0;
  long long *ids = arena_alloc(r->arena, (rs.n + 1) * sizeof *ids);
  for (size_t i = 0; ids && i < rs.n; i++) ids[i] = rs_ll(&rs, i, "id");
  if (!ids || requests_unread(r->arena, &who, ids, rs.n, &unread, &nu) != ERR_OK) nu = 0; /* the list still shows */
  for (size_t i = 0; i < rs.n; i++) {
    cv_set(hdf, arena_printf(r->arena, "%lld", requests_unread_of(unread, nu, rs_ll(&rs, i, "id"))), "Cases.%zu.unread", i);
    cv_set(hdf, cv_status_label(rs_get(&rs, i, "status")), "Cases.%zu.status_label", i);
    cv_set(hdf, triage_priority_label((enum triage_priority)rs_ll(&rs, i, "priority")), "Cases.%zu.priority_label", i);
    /* the category that counts: verified, else the patient's (store: eff_birads) */
    cv_set(hdf, birads_label(birads_parse(rs_get(&rs, i, "eff_birads"))), "Cases.%zu.BiradsLabel", i);
  }
  reply_page(r, 200, "reviewer_cases.cs");
}

/* Puts a report view under Report.* (findings already opened). */
static void report_hdf(struct arena *a, HDF *hdf, const struct report_view *v) {
  hdf_set_int_value(hdf, "Report.Exists", v->exists);
  hdf_set_int_value(hdf, "Report.Signed", v->is_signed);
  hdf_set_int_value(hdf, "Report.Released", v->released);
  rv_report(hdf, v);
  hdf_set_value(hdf, "Report.signed_at", cv_when(a, v->signed_at));
  hdf_set_value(hdf, "Report.signed_by", v->signed_by);
  hdf_set_value(hdf, "Report.content_hash", v->content_hash);
  hdf_set_value(hdf, "Report.released_at", cv_when(a, v->released_at));
  hdf_set_value(hdf, "Report.updated_at", cv_when(a, v->updated_at));
  cv_rows(hdf, "Addenda", &v->addenda);
  cv_rows(hdf, "Questions", &v->questions);
  (void)a;
}

/* The case page; errs (may be NULL) re-shows the form with what was typed;
 * fr_errs (may be NULL) the first-read form (core/first_read.h). */
static void show_case_fr(struct req *r, long long id, const struct report_errors *errs, const char *flash,
                         const char *tmpl, const struct center_errors *fr_errs) {
  struct actor who = actor_from_req(r);
  struct arena *a = r->arena;
  struct center_case cc;
  enum err e = center_case_load(a, &who, id, &cc);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  struct report_view v;
  e = reports_load(a, &who, id, &v);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  if (strcmp(tmpl, "report_print.cs") == 0 && !v.is_signed)
    return reply_error(r, ERR_NOT_FOUND, "The report is not signed yet.");
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  if (strcmp(tmpl, "report_print.cs") == 0 && (e = pv_print_header(r, hdf, id)) != ERR_OK)
    return reply_error(r, e, NULL);
  const struct rowset *q = &cc.req;
  hdf_set_value(hdf, "Page.Title", arena_printf(a, "Case %s", rs_get(q, 0, "reference")));
  hdf_set_value(hdf, "Page.Name", "reviewer-case");
  cv_row(hdf, "Case", q, 0);
  hdf_set_value(hdf, "Case.status_label", cv_status_label(rs_get(q, 0, "status")));
  rv_birads(hdf, rs_get(q, 0, "birads"), "Case");
  hdf_set_value(hdf, "Case.implied_recommendation",
                birads_rec_label(birads_implied_rec(birads_parse(rs_get(q, 0, "birads")))));
  /* the report form's choices, from the one vocabulary (core/vocab.h) */
  for (size_t i = 0; i < VOCAB_N_RECOMMENDATIONS; i++) {
    cv_set(hdf, VOCAB_RECOMMENDATIONS[i].key, "Recommendations.%zu.Key", i);
    cv_set(hdf, VOCAB_RECOMMENDATIONS[i].choice, "Recommendations.%zu.Label", i);
  }
  const char *qs = rs_get(q, 0, "questions");
  size_t qi = 0;
  while (*qs) {
    size_t n = strcspn(qs, "\x1f");
    cv_set(hdf, arena_strndup(a, qs, n), "Case.Questions.%zu", qi++);
    qs += n;
    if (*qs) qs++;
  }
  cv_rows(hdf, "Documents", &cc.documents);
  for (size_t i = 0; i < cc.documents.n; i++)
    cv_set(hdf, vocab_document(rs_get(&cc.documents, i, "kind")) ? vocab_document(rs_get(&cc.documents, i, "kind"))->reviewer
                                                                  : cv_kind_label(rs_get(&cc.documents, i, "kind")),
           "Documents.%zu.kind_label", i);
  cv_rows(hdf, "Studies", &cc.studies);
  cv_date_words(hdf, a, "Studies", "study_date", cc.studies.n);
  hdf_set_value(hdf, "Case.exam_types", cv_exam_types_words(a, rs_get(q, 0, "exam_types")));
  /* whose images: the same check and words as the patient's and the staff's pages */
  struct identity_report idr;
  if ((e = records_identity(a, &who, id, &idr)) != ERR_OK) return reply_error(r, e, NULL); /* never silently unchecked */
  identity_view_hdf(hdf, a, &idr);
  report_hdf(a, hdf, &v);
  hdf_set_int_value(hdf, "Case.InReview", cc.status == RS_IN_REVIEW);
  hdf_set_int_value(hdf, "Case.CanStart", cc.status == RS_ACCEPTED || cc.status == RS_SCHEDULED);
  hdf_set_int_value(hdf, "Case.IsReviewer", who.role == ROLE_REVIEWER);
  /* the form shows what was typed, else the draft */
  static const char *const fields[] = {"findings_left", "findings_right", "birads",  "density",
                                       "recommendation", "first_recommendation", "answers", "summary",
                                       "explanation",    "contradiction_reason", "body", "question_id"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *typed = errs ? req_form(r, fields[i]) : NULL;
    char k[64];
    snprintf(k, sizeof k, "Report.%s", fields[i]);
    cv_set(hdf, typed ? typed : hdf_get_value(hdf, k, ""), "Form.Values.%s", fields[i]);
  }
  if (errs) {
    for (size_t i = 0; i < errs->n; i++) cv_set(hdf, errs->e[i].message, "Form.Errors.%s", errs->e[i].field);
    hdf_set_int_value(hdf, "Form.ErrorCount", (int)errs->n);
    /* the thread's forms: what was typed comes back */
    static const char *const thread_fields[] = {"reply", "note"};
    for (size_t i = 0; i < 2; i++) {
      const char *typed = req_form(r, thread_fields[i]);
      if (typed) {
        cv_set(hdf, typed, "Form.Values.%s", thread_fields[i]);
        hdf_set_value(hdf, "Form.Context", "thread");
      }
    }
  }
  if (strcmp(tmpl, "reviewer_case.cs") == 0) {
    /* the conversation with the patient and the center's internal notes */
    struct rqs_message *msgs = NULL;
    size_t nm = 0;
    if ((e = requests_thread(a, &who, id, &msgs, &nm)) != ERR_OK) return reply_error(r, e, NULL);
    cv_thread(hdf, msgs, nm, who.user_id);
    cv_thread_people(hdf, a, msgs, nm, rs_ll(&cc.req, 0, "patient_id"), who.user_id);
    hdf_set_int_value(hdf, "Case.CanMessage", cc.status != RS_DRAFT);
    if ((e = pacs_case_hdf(r, hdf, id)) != ERR_OK) return reply_error(r, e, NULL); /* "Send to our PACS" */
  }
  if (flash) {
    hdf_set_value(hdf, "Flash.Kind", r->status == 409 ? "error" : "ok");
    hdf_set_value(hdf, "Flash.Message", flash);
  }
  if (cc.status == RS_IN_REVIEW && !v.is_signed && who.role == ROLE_REVIEWER) {
    /* the verdict of the form as shown, before any script runs */
    struct report_fields pf = {.birads = hdf_get_value(hdf, "Form.Values.birads", ""),
                               .recommendation = hdf_get_value(hdf, "Form.Values.recommendation", ""),
                               .first_recommendation = hdf_get_value(hdf, "Form.Values.first_recommendation", "")};
    struct report_verdict pv;
    if (reports_preview(a, &who, id, &pf, &pv) == ERR_OK) rv_verdict(hdf, &pv, "Preview");
  }
  fr_view(hdf, r, q, arena_printf(a, "/reviewer/cases/%lld/first-read", id), fr_errs);
  reply_page(r, r->status == 409 ? 409 : (errs && errs->n) || (fr_errs && fr_errs->n) ? 422 : 200, tmpl);
}

static void show_case(struct req *r, long long id, const struct report_errors *errs, const char *flash,
                      const char *tmpl) {
  show_case_fr(r, id, errs, flash, tmpl, NULL);
}

/* The case as it is now after a refused action (409): what happened is said at the top. */
static void show_refused(struct req *r, long long id, const char *problem) {
  r->status = 409;
  show_case(r, id, NULL, problem, "reviewer_case.cs");
}

static void case_page(struct req *r) {
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *done = req_query(r, "done");
  const char *flash = !done                             ? NULL
                      : strcmp(done, "saved") == 0      ? "Draft saved."
                      : strcmp(done, "signed") == 0     ? "The report is signed. Staff will release it to the patient."
                      : strcmp(done, "addendum") == 0   ? "The addendum is signed and added."
                      : strcmp(done, "started") == 0    ? "The review has started."
                      : strcmp(done, "first-read") == 0 ? "The first read is saved as verified."
                      : strcmp(done, "reply") == 0      ? "Your message is sent. The patient gets an e-mail asking them to log in to read it."
                      : strcmp(done, "note") == 0       ? "Internal note added. The patient never sees it."
                      : strcmp(done, "pacs") == 0       ? "The images are queued for the PACS. Their progress shows below."
                                                        : NULL;
  show_case(r, id, NULL, flash, "reviewer_case.cs");
}

static void print_page(struct req *r) {
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  show_case(r, id, NULL, NULL, "report_print.cs");
}

static void start_review(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  enum req_status from;
  const char *from_s = req_form(r, "from");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  if (!from_s || !req_status_parse(from_s, &from))
    return reply_error(r, ERR_BAD_REQUEST, "The form is missing the case's state. Please reload the page.");
  struct center_errors errs = {0};
  enum err e = center_act_submit(r->arena, &who, id, CA_START, from, NULL, 0, NULL, req_tz(r), &errs);
  if (e == ERR_CONFLICT) return show_refused(r, id, "The review cannot start in this state. Nothing was changed.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/reviewer/cases/%lld?done=started", id));
}

/* POST /reviewer/cases/{id}/reply and /note: a message to the patient, or
 * an internal note for staff and reviewers; an empty or too long text
 * re-shows the case with the message next to the field and the text typed. */
static void thread_post(struct req *r, bool internal) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct report_errors errs;
  enum err e = reports_thread_submit(r->arena, &who, id, internal, in, r->form.n, &errs);
  if (e == ERR_INVALID) {
    if (!errs.n) { /* the domain refused the text itself */
      errs.n = 1;
      errs.e[0].field = internal ? "note" : "reply";
      errs.e[0].message = "Write the message (up to 5,000 characters). Nothing was sent.";
    }
    return show_case(r, id, &errs, NULL, "reviewer_case.cs");
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/reviewer/cases/%lld?done=%s#thread-h", id, internal ? "note" : "reply"));
}

static void reply_post(struct req *r) { thread_post(r, false); }
static void note_post(struct req *r) { thread_post(r, true); }

/* The 429 page of a signing pause (too many wrong passwords or codes), with
 * Retry-After; nothing was signed. */
static void too_many(struct req *r, const struct actor *who, const struct report_errors *errs) {
  int wait = reports_reauth_wait(r->arena, who);
  reply_error(r, ERR_TOO_MANY, errs->n ? errs->e[0].message : NULL);
  reply_header(r, "Retry-After", arena_printf(r->arena, "%d", wait > 0 ? wait : 900));
}

static void report_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *action = req_form(r, "action");
  bool sign = action && strcmp(action, "sign") == 0;
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct report_errors errs;
  enum err e = reports_submit(r->arena, &who, id, sign, in, r->form.n, &errs);
  if (e == ERR_TOO_MANY) return too_many(r, &who, &errs);
  if (e == ERR_INVALID || (e == ERR_UNAUTHENTICATED && errs.n)) {
    show_case(r, id, &errs, NULL, "reviewer_case.cs");
    if (e == ERR_UNAUTHENTICATED) r->status = 403;
    return;
  }
  if (e == ERR_CONFLICT)
    return show_refused(r, id, "This report can no longer be changed (it is signed, or the case is not in review). Nothing was changed.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/reviewer/cases/%lld?done=%s", id, sign ? "signed" : "saved"));
}

/* JSON {verdict, verdict_label, suspicion_label, first_read_label,
 * first_birads_label, first_recommendation_label, patient_sentence,
 * suspicion_sentence, offer_third, contradiction} for the form's current
 * category and recommendations. Nothing is saved. */
static void preview_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct report_fields f = {.birads = req_form(r, "birads"),
                            .recommendation = req_form(r, "recommendation"),
                            .first_recommendation = req_form(r, "first_recommendation")};
  const char *bad = (f.birads && *f.birads && !birads_valid(f.birads))                   ? "birads"
                    : (f.recommendation && *f.recommendation && !birads_rec_valid(f.recommendation)) ? "recommendation"
                    : (f.first_recommendation && *f.first_recommendation && !birads_rec_valid(f.first_recommendation))
                        ? "first_recommendation"
                        : NULL;
  if (bad) return reply_error(r, ERR_BAD_REQUEST, arena_printf(r->arena, "Unknown value for %s.", bad));
  struct report_verdict v;
  enum err e = reports_preview(r->arena, &who, id, &f, &v);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  bool third = false;
  const char *sentence = concordance_patient_sentence(&v.r, &third);
  const char *verdict = concordance_verdict_name(v.r.verdict);
  json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "verdict", verdict, "verdict_label",
                        concordance_verdict_label(verdict), "suspicion_label",
                        concordance_suspicion_label(v.r.suspicion), "first_read_label",
                        rv_first_state_label(concordance_first_state_name(v.state)), "first_birads_label",
                        birads_label(birads_parse(v.first_birads)), "first_recommendation_label",
                        birads_rec_label(birads_rec_parse(v.first_rec)), "patient_sentence", sentence,
                        "suspicion_sentence", concordance_suspicion_sentence(&v.r), "offer_third", third,
                        "contradiction", v.contradiction);
  if (!j) return reply_error(r, ERR_INTERNAL, NULL);
  reply_json_take(r, 200, j);
}

static void addendum_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct report_errors errs;
  enum err e = reports_addendum_submit(r->arena, &who, id, in, r->form.n, &errs);
  if (e == ERR_TOO_MANY) return too_many(r, &who, &errs);
  if (e == ERR_INVALID || (e == ERR_UNAUTHENTICATED && errs.n)) {
    show_case(r, id, &errs, NULL, "reviewer_case.cs");
    if (e == ERR_UNAUTHENTICATED) r->status = 403;
    return;
  }
  if (e == ERR_CONFLICT)
    return show_refused(r, id, "An addendum needs a signed report, and each question is answered once. Nothing was added.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/reviewer/cases/%lld?done=addendum", id));
}

/* POST /reviewer/cases/{id}/first-read: the assigned reviewer confirms or
 * corrects the first read (core/first_read.h). */
static void first_read_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  char today[16];
  tz_format(today, sizeof today, (int64_t)time(NULL), req_tz(r), TZ_DATE);
  struct center_errors errs = {0};
  enum err e = first_read_submit(r->arena, &who, id, in, r->form.n, today, &errs);
  if (e == ERR_INVALID) return show_case_fr(r, id, NULL, NULL, "reviewer_case.cs", &errs);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/reviewer/cases/%lld?done=first-read#first-read", id));
}

const struct route reviewer_cases_routes[] = {
    {"GET", "/reviewer/cases", worklist, ROLE_REVIEWER, 0, BODY_NONE, 0, NULL, "reviewer-cases"},
    {"GET", "/reviewer/cases/{id}", case_page, ROLE_REVIEWER, 0, BODY_NONE, 0, NULL, "reviewer-case"},
    {"POST", "/reviewer/cases/{id}/start", start_review, ROLE_REVIEWER, 0, BODY_FORM, 0, NULL, "reviewer-start"},
    {"POST", "/reviewer/cases/{id}/report", report_post, ROLE_REVIEWER, 0, BODY_FORM, 64 * 1024, NULL, "reviewer-report"},
    {"POST", "/reviewer/cases/{id}/first-read", first_read_post, ROLE_REVIEWER, 0, BODY_FORM, 0, NULL,
     "reviewer-first-read"},
    {"POST", "/reviewer/cases/{id}/report/preview", preview_post, ROLE_REVIEWER, 0, BODY_FORM, 16 * 1024, NULL,
     "reviewer-report-preview"},
    {"POST", "/reviewer/cases/{id}/reply", reply_post, ROLE_REVIEWER, 0, BODY_FORM, 32 * 1024, NULL, "reviewer-reply"},
    {"POST", "/reviewer/cases/{id}/note", note_post, ROLE_REVIEWER, 0, BODY_FORM, 32 * 1024, NULL, "reviewer-note"},
    {"POST", "/reviewer/cases/{id}/addenda", addendum_post, ROLE_REVIEWER, 0, BODY_FORM, 32 * 1024, NULL, "reviewer-addendum"},
    {"GET", "/reviewer/cases/{id}/report/print", print_page, ROLE_REVIEWER | ROLE_STAFF, 0, BODY_NONE, 0, NULL,
     "report-print"},
    {0},
};
