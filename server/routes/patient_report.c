/* The patient's report page and the notification preferences:
 *   GET  /requests/{id}/report             the released report (owner only):
 *        printable, plain-language summary, answers, agreement with the first
 *        read in plain words, next steps, the third-opinion button, and up to
 *        three follow-up questions answered as dated addenda
 *   POST /requests/{id}/report/questions   ask a follow-up question
 *   GET/POST /account/notifications        which e-mails a user receives */
#include <ClearSilver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/center.h"
#include "core/reports.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/report_view.h"
#include "routes/print_view.h"
#include "routes/routes.h"
#include "util/arena.h"

static void show_report(struct req *r, long long id, const struct report_errors *errs, const char *flash) {
  struct actor who = actor_from_req(r);
  struct arena *a = r->arena;
  struct report_view v;
  enum err e = reports_load(a, &who, id, &v);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  if ((e = pv_print_header(r, hdf, id)) != ERR_OK) return reply_error(r, e, NULL);
  hdf_set_value(hdf, "Page.Title", "Your second-opinion report");
  hdf_set_value(hdf, "Page.Name", "patient-report");
  hdf_set_value(hdf, "Request.Id", arena_printf(a, "%lld", id));
  rv_report(hdf, &v);
  hdf_set_value(hdf, "Report.signed_at", cv_when(a, v.signed_at));
  hdf_set_value(hdf, "Report.signed_by", v.signed_by);
  hdf_set_value(hdf, "Report.released_at", cv_when(a, v.released_at));
  hdf_set_value(hdf, "Report.content_hash", v.content_hash);
  cv_rows(hdf, "Addenda", &v.addenda);
  cv_rows(hdf, "Questions", &v.questions);
  hdf_set_int_value(hdf, "Report.QuestionsLeft", (int)(REPORTS_MAX_QUESTIONS - (v.questions.n > REPORTS_MAX_QUESTIONS ? REPORTS_MAX_QUESTIONS : v.questions.n)));
  hdf_set_int_value(hdf, "Report.CanThird", v.status == RS_REPORT_READY || v.status == RS_CLOSED);
  if (errs) {
    for (size_t i = 0; i < errs->n; i++) cv_set(hdf, errs->e[i].message, "Form.Errors.%s", errs->e[i].field);
    hdf_set_int_value(hdf, "Form.ErrorCount", (int)errs->n);
    const char *q = req_form(r, "question");
    hdf_set_value(hdf, "Form.Values.question", q ? q : "");
  }
  if (flash) {
    hdf_set_value(hdf, "Flash.Kind", "ok");
    hdf_set_value(hdf, "Flash.Message", flash);
  }
  reply_page(r, errs && errs->n ? 422 : 200, "report_patient.cs");
}

static void report_page(struct req *r) {
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *done = req_query(r, "done");
  show_report(r, id, NULL,
              done && strcmp(done, "asked") == 0 ? "Your question was sent. The answer will appear here as a dated addendum." : NULL);
}

static void ask_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct report_errors errs = {0};
  enum err e = reports_ask(r->arena, &who, id, req_form(r, "question"), &errs);
  if (e == ERR_INVALID) return show_report(r, id, &errs, NULL);
  if (e == ERR_CONFLICT) return reply_error(r, e, "You have already asked three follow-up questions on this report.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/report?done=asked", id));
}

static void prefs_show(struct req *r, const char *flash) {
  struct actor who = actor_from_req(r);
  bool on[NK_COUNT];
  enum err e = notify_prefs_get(r->arena, &who, on);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  hdf_set_value(hdf, "Page.Title", "E-mail notifications");
  hdf_set_value(hdf, "Page.Name", "account-notifications");
  for (int k = 0; k < NK_COUNT; k++) {
    cv_set(hdf, notify_kind_name((enum notify_kind)k), "Prefs.%d.kind", k);
    cv_set(hdf, notify_kind_label((enum notify_kind)k), "Prefs.%d.label", k);
    cv_set(hdf, on[k] ? "1" : "0", "Prefs.%d.on", k);
  }
  if (flash) {
    hdf_set_value(hdf, "Flash.Kind", "ok");
    hdf_set_value(hdf, "Flash.Message", flash);
  }
  reply_page(r, 200, "account_notifications.cs");
}

static void prefs_page(struct req *r) {
  const char *done = req_query(r, "done");
  prefs_show(r, done ? "Your choices are saved." : NULL);
}

static void prefs_post(struct req *r) {
  struct actor who = actor_from_req(r);
  bool on[NK_COUNT];
  for (size_t i = 0; i < r->form.n; i++) {
    const char *n = r->form.items[i].name;
    if (strcmp(n, "csrf") == 0 || strcmp(n, "kinds") == 0) continue;
    bool known = false;
    for (int k = 0; k < NK_COUNT; k++) known |= strcmp(n, notify_kind_name((enum notify_kind)k)) == 0;
    if (!known) return reply_error(r, ERR_BAD_FORM, NULL);
  }
  for (int k = 0; k < NK_COUNT; k++) on[k] = req_form(r, notify_kind_name((enum notify_kind)k)) != NULL;
  enum err e = notify_prefs_set(r->arena, &who, on);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/account/notifications?done=1");
}

const struct route patient_report_routes[] = {
    {"GET", "/requests/{id}/report", report_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "patient-report"},
    {"POST", "/requests/{id}/report/questions", ask_post, ROLE_PATIENT, 0, BODY_FORM, 8 * 1024, NULL, "report-question"},
    {"GET", "/account/notifications", prefs_page, ROLE_ANY_USER, 0, BODY_NONE, 0, NULL, "notifications"},
    {"POST", "/account/notifications", prefs_post, ROLE_ANY_USER, 0, BODY_FORM, 0, NULL, "notifications-save"},
    {0},
};
