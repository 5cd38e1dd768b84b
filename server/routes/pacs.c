/* "Send to our PACS" (core/pacs.h):
 *   GET  /admin/center/pacs/new, /admin/center/pacs/{id}   a destination's form (admins)
 *   POST /admin/center/pacs, /admin/center/pacs/{id}       create / change it: 422 with the
 *        message next to each field when something is wrong, nothing changed
 *   POST /admin/center/pacs/{id}/toggle, …/delete          turn on or off / delete
 *   POST /requests/{id}/pacs-sends                          staff or the assigned reviewer start a
 *        send of the whole request or one study (form: destination, study)
 *   GET  /requests/{id}/pacs-sends.json                     the sends' progress, for the page's script
 * The secret (password or token) is never put in a page: the form says whether one is kept. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pacs.h"
#include "core/pacs_wire.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/form_view.h"
#include "routes/pacs_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/decimal.h"

static const char *auth_words(const char *auth) {
  return strcmp(auth, "basic") == 0 ? "User name and password" : strcmp(auth, "bearer") == 0 ? "Token (bearer)" : "None";
}

enum err pacs_admin_hdf(struct req *r, HDF *hdf) {
  struct actor who = actor_from_req(r);
  struct rowset rs;
  enum err e = pacs_dest_list(r->arena, &who, &rs);
  if (e != ERR_OK) return e;
  cv_rows(hdf, "PacsDest", &rs);
  for (size_t i = 0; i < rs.n; i++) {
    cv_set(hdf, auth_words(rs_get(&rs, i, "auth")), "PacsDest.%zu.auth_words", i);
    cv_set(hdf, rs_bool(&rs, i, "enabled") ? "1" : "0", "PacsDest.%zu.enabled", i);
    cv_set(hdf, rs_bool(&rs, i, "has_ca") ? "1" : "0", "PacsDest.%zu.has_ca", i);
  }
  return ERR_OK;
}

/* The destination form page: Form.Values / Form.Errors are set by the caller. */
static void dest_page(struct req *r, unsigned status, long long id, bool has_secret) {
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  cv_set(hdf, id ? "Change a PACS destination" : "Add a PACS destination", "Page.Title");
  cv_set(hdf, arena_printf(r->arena, "%lld", id), "Pacs.Id");
  cv_set(hdf, id ? "1" : "0", "Pacs.Editing");
  cv_set(hdf, has_secret ? "1" : "0", "Pacs.HasSecret");
  if (!hdf_get_value(hdf, "Form.Values.auth", NULL)) cv_set(hdf, "none", "Form.Values.auth");
  reply_page(r, status, "admin_pacs.cs");
}

static void dest_new(struct req *r) { dest_page(r, 200, 0, false); }

static void dest_show(struct req *r, unsigned status) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  struct rowset rs;
  enum err e = id > 0 ? pacs_dest_get(r->arena, &who, id, &rs) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  static const char *const cols[] = {"name", "base_url", "auth", "username", "ca_pem"};
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) cv_set(hdf, rs_get(&rs, 0, cols[i]), "Form.Values.%s", cols[i]);
  dest_page(r, status, id, rs_bool(&rs, 0, "has_secret"));
}

static void dest_get(struct req *r) { dest_show(r, 200); }

static void dest_save(struct req *r, long long id) {
  struct actor who = actor_from_req(r);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  struct form_errors errs;
  long long out = 0;
  enum err e = pacs_dest_save(r->arena, &who, id, in, r->form.n, &errs, &out);
  if (e == ERR_INVALID) {
    HDF *hdf = req_hdf(r);
    if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
    fv_fill(r, hdf, pacs_dest_spec(), &errs);
    cv_set(hdf, "Some values need your attention: nothing was saved.", "Flash.Message");
    cv_set(hdf, "error", "Flash.Kind");
    bool has_secret = false;
    if (id) {
      struct rowset rs;
      if (pacs_dest_get(r->arena, &who, id, &rs) == ERR_OK) has_secret = rs_bool(&rs, 0, "has_secret");
    }
    return dest_page(r, 422, id, has_secret);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=pacs#pacs-h");
}

static void dest_create(struct req *r) { dest_save(r, 0); }

static void dest_update(struct req *r) {
  long long id = cv_param_id(r, "id");
  if (id <= 0) return reply_error(r, ERR_NOT_FOUND, NULL);
  dest_save(r, id);
}

static void dest_toggle(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  bool on = false;
  enum err e = id > 0 ? pacs_dest_toggle(r->arena, &who, id, &on) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, on ? "/admin/center?done=pacs-on#pacs-h" : "/admin/center?done=pacs-off#pacs-h");
}

/* The destination's page again, with why it was not deleted next to the tick. */
static void delete_refused(struct req *r, unsigned status, long long id, const char *why) {
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  cv_set(hdf, why, "Form.Errors.confirm_delete");
  (void)id;
  dest_show(r, status);
}

static void dest_delete(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (id <= 0) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *confirm = req_form(r, "confirm_delete");
  if (!confirm || strcmp(confirm, "yes") != 0)
    return delete_refused(r, 422, id, "Tick the box to confirm that this destination should be deleted.");
  enum err e = pacs_dest_delete(r->arena, &who, id);
  if (e == ERR_CONFLICT)
    return delete_refused(r, 409, id,
                          "Not deleted: images are being sent to this PACS right now, and deleting it would make "
                          "that send fail. Wait until the send has ended (or turn the destination off, which stops "
                          "it), then delete it.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/center?done=pacs-deleted#pacs-h");
}

/* ---- a request's sends ---- */

static const char *outcome_words(struct arena *a, const char *outcome, const char *reason) {
  int rc = *reason ? (int)strtol(reason, NULL, 10) : -1;
  if (strcmp(outcome, "referenced") == 0) return "Stored by the PACS";
  if (strcmp(outcome, "warning") == 0) return arena_printf(a, "Stored, with a warning: %s", pw_reason_words(rc));
  if (strcmp(outcome, "failed") == 0)
    return rc >= 0 ? arena_printf(a, "Not stored: %s (code 0x%04X)", pw_reason_words(rc), (unsigned)rc)
                   : "Not stored: the PACS did not confirm it";
  return "Not sent yet";
}

static const char *error_words(const char *code) {
  if (!code) return NULL;
  if (strcmp(code, "destination") == 0) return "Choose one of the PACS destinations listed.";
  if (strcmp(code, "empty") == 0) return "There are no DICOM images to send here yet.";
  if (strcmp(code, "withdrawn") == 0) return "Not sent: the patient withdrew the request.";
  if (strcmp(code, "revoked") == 0) return "Not sent: the patient revoked the authorization to share the records.";
  if (strcmp(code, "declined") == 0) return "Not sent: the center declined the request.";
  if (strcmp(code, "closed") == 0) return "Not sent: this request cannot be sent.";
  return NULL;
}

enum err pacs_case_hdf(struct req *r, HDF *hdf, long long request_id) {
  struct actor who = actor_from_req(r);
  struct arena *a = r->arena;
  struct rowset dests, sends;
  enum err e = pacs_dest_list(a, &who, &dests);
  if (e != ERR_OK) return e;
  if ((e = pacs_sends_view(a, &who, request_id, &sends)) != ERR_OK) return e;
  for (size_t i = 0; i < dests.n; i++) {
    cv_set(hdf, rs_get(&dests, i, "id"), "Pacs.Destinations.%zu.id", i);
    cv_set(hdf, rs_get(&dests, i, "name"), "Pacs.Destinations.%zu.name", i);
  }
  const char *code = req_query(r, "pacs_error");
  const char *err = error_words(code);
  if (err && (strcmp(code, "destination") == 0 || strcmp(code, "empty") == 0))
    cv_set(hdf, err, "Form.Errors.pacs_destination");
  else if (err)
    cv_set(hdf, err, "Form.Errors.pacs_send");
  cv_rows(hdf, "Pacs.Sends", &sends);
  cv_date_words(hdf, a, "Pacs.Sends", "study_date", sends.n);
  for (size_t i = 0; i < sends.n; i++) {
    const char *state = rs_get(&sends, i, "state");
    long long total = rs_ll(&sends, i, "total"), answered = rs_ll(&sends, i, "answered");
    cv_set(hdf, pacs_state_words(state), "Pacs.Sends.%zu.state_words", i);
    cv_set(hdf, arena_printf(a, "%lld", total ? answered * 100 / total : 0), "Pacs.Sends.%zu.percent", i);
    struct rowset items;
    if ((e = pacs_send_items_view(a, &who, request_id, rs_ll(&sends, i, "id"), &items)) != ERR_OK) return e;
    for (size_t k = 0; k < items.n; k++) {
      cv_set(hdf, rs_get(&items, k, "sop_uid"), "Pacs.Sends.%zu.Items.%zu.sop", i, k);
      cv_set(hdf, rs_get(&items, k, "outcome"), "Pacs.Sends.%zu.Items.%zu.outcome", i, k);
      cv_set(hdf, outcome_words(a, rs_get(&items, k, "outcome"), rs_get(&items, k, "reason")),
             "Pacs.Sends.%zu.Items.%zu.words", i, k);
      cv_set(hdf, rs_get(&items, k, "modality"), "Pacs.Sends.%zu.Items.%zu.modality", i, k);
      cv_set(hdf, rs_get(&items, k, "series"), "Pacs.Sends.%zu.Items.%zu.series", i, k);
    }
  }
  return ERR_OK;
}

static const char *case_path(struct arena *a, const struct actor *who, long long id) {
  return who->role == ROLE_REVIEWER ? arena_printf(a, "/reviewer/cases/%lld", id) : arena_printf(a, "/staff/requests/%lld", id);
}

static void send_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id"), dest = 0, study = 0;
  uint64_t v;
  const char *d = req_form(r, "destination"), *s = req_form(r, "study");
  if (id <= 0) return reply_error(r, ERR_NOT_FOUND, NULL);
  if (d && decimal_u64(d, &v) == 0 && v > 0 && v < (1ull << 62)) dest = (long long)v;
  if (s && *s && strcmp(s, "all") != 0) {
    if (decimal_u64(s, &v) != 0 || v == 0 || v >= (1ull << 62)) return reply_error(r, ERR_NOT_FOUND, NULL);
    study = (long long)v;
  }
  long long send_id = 0;
  const char *why = NULL;
  enum err e = pacs_send_start(r->arena, &who, id, dest, study, &send_id, &why);
  if (e == ERR_CONFLICT) { /* the patient withdrew or revoked (or the center declined): the reason */
    const char *code = why && strstr(why, "withdrew")   ? "withdrawn"
                       : why && strstr(why, "revoked")  ? "revoked"
                       : why && strstr(why, "declined") ? "declined"
                                                        : "closed";
    const char *accept = req_header(r, "Accept");
    if (accept && strstr(accept, "application/json"))
      return reply_json_take(r, 409, json_pack("{s:s,s:s}", "error", code, "message", error_words(code)));
    return reply_redirect(r, arena_printf(r->arena, "%s?pacs_error=%s#pacs-send-error", case_path(r->arena, &who, id),
                                          code));
  }
  if (e == ERR_INVALID)
    return reply_redirect(r, arena_printf(r->arena, "%s?pacs_error=%s#pacs-h", case_path(r->arena, &who, id),
                                          dest && why && strstr(why, "images") ? "empty" : "destination"));
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "%s?done=pacs#pacs-h", case_path(r->arena, &who, id)));
}

/* The progress of the request's sends as JSON: [{id, state, state_words, answered, total,
 * stored, failed, failure, next_try_at}] (times as the reader reads them). */
static void sends_json(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  struct rowset sends;
  enum err e = id > 0 ? pacs_sends_view(r->arena, &who, id, &sends) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < sends.n; i++) {
    const char *state = rs_get(&sends, i, "state");
    json_array_append_new(
        arr, json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s}", "id", (json_int_t)rs_ll(&sends, i, "id"), "state", state,
                       "state_words", pacs_state_words(state), "answered", (json_int_t)rs_ll(&sends, i, "answered"),
                       "total", (json_int_t)rs_ll(&sends, i, "total"), "stored", (json_int_t)rs_ll(&sends, i, "stored"),
                       "failed", (json_int_t)rs_ll(&sends, i, "failed"), "failure", rs_get(&sends, i, "failure"),
                       "next_try_at", cv_when(r->arena, rs_get(&sends, i, "next_try_at"))));
  }
  if (!arr) return reply_error(r, ERR_INTERNAL, NULL);
  reply_json_take(r, 200, arr);
}

const struct route pacs_routes[] = {
    {"GET", "/admin/center/pacs/new", dest_new, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_pacs_new"},
    {"GET", "/admin/center/pacs/{id}", dest_get, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_pacs"},
    {"POST", "/admin/center/pacs", dest_create, ROLE_ADMIN, 0, BODY_FORM, 96 * 1024, NULL, "admin_pacs_create"},
    {"POST", "/admin/center/pacs/{id}", dest_update, ROLE_ADMIN, 0, BODY_FORM, 96 * 1024, NULL, "admin_pacs_change"},
    {"POST", "/admin/center/pacs/{id}/toggle", dest_toggle, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_pacs_toggle"},
    {"POST", "/admin/center/pacs/{id}/delete", dest_delete, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_pacs_delete"},
    {"POST", "/requests/{id}/pacs-sends", send_post, ROLE_STAFF | ROLE_REVIEWER, 0, BODY_FORM, 4096, NULL, "pacs_send"},
    {"GET", "/requests/{id}/pacs-sends.json", sends_json, ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0, NULL,
     "pacs_sends_json"},
    {0},
};
