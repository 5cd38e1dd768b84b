/* The step-up gate: see stepup.h. */
#include "http/stepup.h"

#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/accounts.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/router.h"
#include "util/arena.h"

#define CRED_FIELD "stepup_credential"

static void hset(struct req *r, const char *k, const char *v) {
  HDF *h = req_hdf(r);
  if (!h || !k || !v) return;
  NEOERR *err = hdf_set_value(h, k, v);
  if (err) nerr_ignore(&err);
}

/* The step-up form, keeping every field of the original form as hidden inputs. */
static void stepup_page(struct req *r, unsigned status, const char *error) {
  hset(r, "Page.Title", "Confirm it is you");
  hset(r, "StepUp.Action", r->path);
  hset(r, "StepUp.Totp", r->user && r->user->mfa_enrolled ? "1" : NULL);
  if (error) hset(r, "Form.Errors." CRED_FIELD, error);
  size_t k = 0;
  for (size_t i = 0; i < r->form.n; i++) {
    const struct kv *f = &r->form.items[i];
    if (strcmp(f->name, "csrf") == 0 || strcmp(f->name, CRED_FIELD) == 0) continue;
    char key[64];
    snprintf(key, sizeof key, "StepUp.Fields.%zu.Name", k);
    hset(r, key, f->name);
    snprintf(key, sizeof key, "StepUp.Fields.%zu.Value", k);
    hset(r, key, f->value);
    k++;
  }
  reply_page(r, status, "stepup.cs");
}

/* Answers a refused or failed step-up: 429 / 423 or the form with an error. */
static void refuse(struct req *r, enum err e, int retry) {
  char ra[16];
  if (e == ERR_TOO_MANY && retry < 0) {
    if (r->is_api)
      return reply_json_take(r, 423, json_pack("{s:s}", "error", "second_factor_locked"));
    return stepup_page(r, 423,
                       "Two-step login is locked after too many wrong codes. Ask an administrator to unlock it; "
                       "your password still works here.");
  }
  if (e == ERR_TOO_MANY) {
    snprintf(ra, sizeof ra, "%d", retry);
    if (r->is_api) reply_json_take(r, 429, json_pack("{s:s,s:i}", "error", "too_many_requests", "retry_after", retry));
    else
      stepup_page(r, 429,
                  arena_printf(r->arena, "Too many attempts. For your safety, please wait %d seconds before trying again.",
                               retry));
    reply_header(r, "Retry-After", ra);
    return;
  }
  if (e == ERR_INVALID) {
    if (r->is_api) return reply_json_take(r, 401, json_pack("{s:s}", "error", "reauth_failed"));
    return stepup_page(r, 401, "That is not right. Please enter your password, or a code from your authenticator app.");
  }
  reply_error(r, e, NULL);
}

bool stepup_gate(struct req *r) {
  if (!r->user) {
    reply_error(r, ERR_UNAUTHENTICATED, NULL);
    return false;
  }
  bool fresh = false;
  enum err e = acct_stepup_fresh(r->arena, r->user->session_id, &fresh);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return false;
  }
  if (fresh) return true;
  const char *cred = req_form(r, CRED_FIELD);
  if (cred && *cred && !r->is_api) {
    struct actor who = actor_from_req(r);
    int retry = 0;
    e = acct_stepup(r->arena, &who, r->user->session_id, cred, &retry);
    if (e == ERR_OK) return true;
    refuse(r, e, retry);
    return false;
  }
  if (r->is_api) {
    reply_json_take(r, 401, json_pack("{s:s,s:s}", "error", "reauth_required", "message",
                                      "Confirm it is you: POST your password or a TOTP code to /api/v1/session/reauth "
                                      "(field credential), then repeat this call within 5 minutes."));
    return false;
  }
  stepup_page(r, 401, NULL);
  return false;
}

/* POST /api/v1/session/reauth: steps up the session for API callers. */
static void reauth_api(struct req *r) {
  struct actor who = actor_from_req(r);
  int retry = 0;
  enum err e = acct_stepup(r->arena, &who, r->user->session_id, req_form(r, "credential"), &retry);
  if (e == ERR_OK)
    return reply_json_take(r, 200, json_pack("{s:b,s:i}", "ok", 1, "valid_seconds", ACCT_STEPUP_SECONDS));
  refuse(r, e, retry);
}

const struct route stepup_routes[] = {
    {"POST", "/api/v1/session/reauth", reauth_api, ROLE_ANY_USER, 0, BODY_FORM, 4096, NULL, "session_reauth"},
    {0},
};
