/* Administration: the center's settings — review-time targets per review
 * type and the eligibility rules that flag requests in the staff queue.
 * Admins only (route table and core/center.c both check); every change is
 * one transaction with its audit row (center.settings.change). */
#include <ClearSilver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/center.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/pacs_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"

/* Renders the settings page with the given status. Field errors and typed
 * values (Form.Errors / Form.Values) are set by the caller beforehand; values
 * not typed are filled from the database. */
static void settings_page(struct req *r, unsigned status) {
  struct actor who = actor_from_req(r);
  struct rowset targets, rules;
  enum err e = center_settings_get(r->arena, &who, &targets, &rules);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  cv_set(hdf, "Center settings", "Page.Title");
  for (size_t i = 0; i < targets.n; i++) {
    const char *t = rs_get(&targets, i, "review_type");
    cv_set(hdf, t, "Targets.%zu.Type", i);
    cv_set(hdf, center_review_type_label(t), "Targets.%zu.Label", i);
    cv_set(hdf, cv_when(r->arena, rs_get(&targets, i, "updated_at")), "Targets.%zu.Updated", i);
    char field[48];
    int w = snprintf(field, sizeof field, "days_%s", t);
    if (w < 0 || (size_t)w >= sizeof field) continue;
    cv_set(hdf, field, "Targets.%zu.Field", i);
    char key[80];
    w = snprintf(key, sizeof key, "Form.Values.%s", field);
    if (w < 0 || (size_t)w >= sizeof key) continue;
    if (!hdf_get_value(hdf, key, NULL)) cv_set(hdf, rs_get(&targets, i, "target_days"), "%s", key);
  }
  for (size_t i = 0; i < rules.n; i++) {
    const char *k = rs_get(&rules, i, "kind");
    cv_set(hdf, k, "Rules.%zu.Kind", i);
    cv_set(hdf, rs_bool(&rules, i, "enabled") ? "1" : "0", "Rules.%zu.Enabled", i);
    cv_set(hdf, center_rule_explain(r->arena, k, rs_get(&rules, i, "months")), "Rules.%zu.Explain", i);
    cv_set(hdf, rs_get(&rules, i, "message"), "Rules.%zu.Message", i);
    cv_set(hdf, cv_when(r->arena, rs_get(&rules, i, "updated_at")), "Rules.%zu.Updated", i);
  }
  if (!hdf_get_value(hdf, "Form.Values.center_name", NULL)) {
    const char *name = "", *address = "";
    if ((e = center_identity_get(r->arena, &name, &address)) != ERR_OK) return reply_error(r, e, NULL);
    cv_set(hdf, name, "Form.Values.center_name");
    cv_set(hdf, address, "Form.Values.center_address");
  }
  bool notice = true;
  if ((e = center_viewer_notice(r->arena, &notice)) != ERR_OK) return reply_error(r, e, NULL);
  cv_set(hdf, notice ? "1" : "0", "Viewer.Notice");
  if ((e = pacs_admin_hdf(r, hdf)) != ERR_OK) return reply_error(r, e, NULL);
  const char *done = req_query(r, "done");
  if (status == 200 && done) {
    const char *msg = strcmp(done, "targets") == 0 ? "The review targets are saved. Due dates in the queue use them now."
                      : strcmp(done, "rule") == 0  ? "The rule is changed. The queue's flags follow it now."
                      : strcmp(done, "viewer-notice") == 0 ? "The image viewer's notice is changed."
                      : strcmp(done, "identity") == 0 ? "The center's name and address are saved. Printed pages show them now."
                      : strcmp(done, "pacs") == 0 ? "The PACS destination is saved."
                      : strcmp(done, "pacs-on") == 0 ? "The PACS destination is on: staff can send to it."
                      : strcmp(done, "pacs-off") == 0 ? "The PACS destination is off: sends to it stop."
                      : strcmp(done, "pacs-deleted") == 0 ? "The PACS destination is deleted."
                                                   : NULL;
    if (msg) {
      cv_set(hdf, msg, "Flash.Message");
      cv_set(hdf, "ok", "Flash.Kind");
    }
  }
  reply_page(r, status, "admin_center.cs");
}

static void center_get(struct req *r) { settings_page(r, 200); }

/* POST /admin/center/targets: one days_<type> field per review type. */
static void targets_post(struct req *r) {
  struct actor who = actor_from_req(r);
  struct rowset targets, rules;
  enum err e = center_settings_get(r->arena, &who, &targets, &rules);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct center_errors errs = {0};
  e = center_targets_submit(r->arena, &who, in, r->form.n, &errs);
  if (e == ERR_INVALID) {
    HDF *hdf = req_hdf(r);
    if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
    for (size_t i = 0; i < errs.n; i++) cv_set(hdf, errs.e[i].message, "Form.Errors.%s", errs.e[i].field);
    for (size_t i = 0; i < targets.n; i++) {
      const char *t = rs_get(&targets, i, "review_type");
      const char *typed = req_form(r, arena_printf(r->arena, "days_%s", t));
      cv_set(hdf, typed ? typed : "", "Form.Values.days_%s", t);
    }
    cv_set(hdf, "Some values need your attention: nothing was saved.", "Flash.Message");
    cv_set(hdf, "error", "Flash.Kind");
    return settings_page(r, 422);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=targets");
}

/* POST /admin/center/identity: the center's name and address for printed
 * pages (migrations/0025_center_identity.sql). Errors re-show the form with
 * what was typed and the message next to each field. */
static void identity_post(struct req *r) {
  struct actor who = actor_from_req(r);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct center_errors errs = {0};
  enum err e = center_identity_submit(r->arena, &who, in, r->form.n, &errs);
  if (e == ERR_INVALID) {
    HDF *hdf = req_hdf(r);
    if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
    for (size_t i = 0; i < errs.n; i++) cv_set(hdf, errs.e[i].message, "Form.Errors.%s", errs.e[i].field);
    fv_fill(r, hdf, center_identity_form(), NULL);
    cv_set(hdf, "Some values need your attention: nothing was saved.", "Flash.Message");
    cv_set(hdf, "error", "Flash.Kind");
    return settings_page(r, 422);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=identity");
}

/* POST /admin/center/rules/{id}/toggle: id is the rule's kind. */
static void rule_toggle_post(struct req *r) {
  struct actor who = actor_from_req(r);
  bool enabled = false;
  enum err e = center_rule_toggle(r->arena, &who, req_param(r, "id"), &enabled);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=rule");
}

/* POST /admin/center/viewer-notice/toggle: the image viewer's "for review
 * only" notice on or off (migrations/0019_viewer_notice.sql). */
static void viewer_notice_post(struct req *r) {
  struct actor who = actor_from_req(r);
  bool on = true;
  enum err e = center_viewer_notice_toggle(r->arena, &who, &on);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=viewer-notice");
}

const struct route admin_center_routes[] = {
    {"GET", "/admin/center", center_get, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_center"},
    {"POST", "/admin/center/identity", identity_post, ROLE_ADMIN, 0, BODY_FORM, 8192, NULL, "admin_center_identity"},
    {"POST", "/admin/center/targets", targets_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_center_targets"},
    {"POST", "/admin/center/rules/{id}/toggle", rule_toggle_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL,
     "admin_center_rule_toggle"},
    {"POST", "/admin/center/viewer-notice/toggle", viewer_notice_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL,
     "admin_center_viewer_notice"},
    {0},
};
