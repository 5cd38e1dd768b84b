/* Caregivers (issue 15 item 4), the pages:
 *   /account/caregivers                 the patient's caregivers, the invitation form, what they did
 *   /account/caregivers/{id}/revoke     the patient ends a caregiver's access (or an invitation), at once
 *   /caregivers/accept?token=…          the invited person: create an account, or accept while logged in
 * The domain (core/caregivers.h) checks, stores and audits; this file parses
 * the forms and picks the view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caregivers.h"
#include "core/center.h"
#include "http/actor.h"
#include "http/auth.h"
#include "http/reply.h"
#include "routes/auth_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/tz.h"

static const char *fv(struct req *r, const char *name) {
  const char *v = req_form(r, name);
  return v ? v : "";
}

/* A refused form: every non-secret value typed and each message next to its field
 * (the form layer's errors, then the domain's). */
static void refill(struct req *r, const struct form_spec *spec, struct form_errors *fe,
                   const struct acct_errors *domain) {
  acct_errors_to_form(fe, domain);
  HDF *h = req_hdf(r);
  if (h) fv_fill(r, h, spec, fe);
}

/* The list, the form, and what the caregivers did; status 200 or 422. */
static void caregivers_page(struct req *r, unsigned status) {
  struct actor who = actor_from_req(r);
  struct cg_link *l = NULL;
  size_t n = 0;
  enum err e = caregivers_list(r->arena, &who, &l, &n);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  view_set(r, "Page.Title", "People who help you");
  for (size_t i = 0; i < n; i++) {
    char k[80];
#define SET(field, v)                                          \
  do {                                                         \
    snprintf(k, sizeof k, "Caregivers.%zu." field, i);         \
    view_set(r, k, v);                                         \
  } while (0)
    snprintf(k, sizeof k, "Caregivers.%zu.Id", i);
    view_set_int(r, k, l[i].id);
    SET("Name", *l[i].caregiver_name ? l[i].caregiver_name : NULL);
    SET("Email", l[i].email);
    SET("Relationship", l[i].relationship);
    SET("Since", req_when(r, l[i].created_at, TZ_DATE));
    SET("Expires", req_when(r, l[i].expires_at, TZ_SHORT));
    SET("State", l[i].accepted ? "active" : l[i].expired ? "expired" : "invited");
#undef SET
  }
  struct cg_action *x = NULL;
  size_t nx = 0;
  e = caregivers_actions(r->arena, &who, 50, &x, &nx);
  if (e != ERR_OK) return reply_error(r, e, NULL); /* never a silently empty record of what was done */
  {
    for (size_t i = 0; i < nx; i++) {
      char k[64];
      snprintf(k, sizeof k, "Actions.%zu.Text", i);
      view_set(r, k, arena_printf(r->arena, "%s %s on %s.", x[i].who, x[i].what, req_when(r, x[i].at, TZ_LONG)));
      snprintf(k, sizeof k, "Actions.%zu.Request", i);
      if (x[i].request_id) view_set_int(r, k, x[i].request_id);
    }
  }
  reply_page(r, status, "account_caregivers.cs");
}

static void caregivers_get(struct req *r) {
  const char *done = req_query(r, "done");
  if (done && strcmp(done, "invited") == 0) {
    view_set(r, "Flash.Message", "Invitation sent. The link in it works once, for 7 days.");
    view_set(r, "Flash.Kind", "ok");
  } else if (done && strcmp(done, "revoked") == 0) {
    view_set(r, "Flash.Message", "Done: this person can no longer see or do anything on your requests.");
    view_set(r, "Flash.Kind", "ok");
  }
  caregivers_page(r, 200);
}

static void caregivers_post(struct req *r) {
  const struct form_spec *spec = caregivers_invite_form();
  struct form_value v[3];
  struct form_errors fe;
  if (!fv_parse(r, spec, NULL, v, &fe)) {
    refill(r, spec, &fe, NULL);
    return caregivers_page(r, 422);
  }
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  enum err e = caregivers_invite(r->arena, &who, v[0].text, v[1].text, v[2].text, &errs);
  if (e == ERR_INVALID || e == ERR_TOO_MANY) {
    if (e == ERR_TOO_MANY)
      form_error_add(&fe, "email", "You have sent many invitations in the last hour. Please try again later.");
    refill(r, spec, &fe, &errs);
    return caregivers_page(r, e == ERR_TOO_MANY ? 429 : 422);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/account/caregivers?done=invited");
}

static void caregiver_revoke(struct req *r) {
  long long id = 0;
  if (!form_id_parse(req_param(r, "id"), &id)) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct actor who = actor_from_req(r);
  enum err e = caregivers_revoke(r->arena, &who, id);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/account/caregivers?done=revoked");
}

static void bad_link(struct req *r) {
  view_message(r, 404, "This invitation does not work",
               "This link is unknown, was used already, was withdrawn or has expired. Ask the person who invited "
               "you to send a new one.",
               "/", "Go to the home page");
}

/* The invitation page: who invited them, and either an account form or an accept button. */
static void accept_page(struct req *r, unsigned status, const char *token, const struct cg_link *l) {
  view_set(r, "Page.Title", "Help someone on secondop");
  view_set(r, "Invite.PatientName", l->patient_name);
  view_set(r, "Invite.Relationship", l->relationship);
  view_set(r, "Invite.Email", l->email);
  view_set(r, "Form.Values.token", token);
  if (r->user) {
    view_set(r, "Invite.LoggedIn", "1");
    view_set(r, "Invite.AccountName", r->user->name);
    if (r->user->role != ROLE_PATIENT) view_set(r, "Invite.CenterAccount", "1");
  } else {
    const char *next = arena_printf(r->arena, "/caregivers/accept?token=%s", token);
    view_set(r, "Invite.LoginNext", next);
    if (auth_anon_csrf(r) != 0) return reply_error(r, ERR_INTERNAL, NULL);
  }
  reply_page(r, status, "caregiver_accept.cs");
}

static void accept_get(struct req *r) {
  const char *tok = req_query(r, "token");
  /* half logged in (second factor still owed): finish logging in first, then come back */
  if (r->user && auth_mfa_pending(r->user)) return reply_redirect(r, "/login/2fa");
  struct cg_link l;
  if (caregivers_invitation(r->arena, tok, &l) != ERR_OK) return bad_link(r);
  accept_page(r, 200, tok, &l);
}

static void accept_post(struct req *r) {
  const char *tok = fv(r, "token");
  if (r->user && auth_mfa_pending(r->user)) return reply_redirect(r, "/login/2fa");
  struct cg_link l;
  if (caregivers_invitation(r->arena, tok, &l) != ERR_OK) return bad_link(r);
  struct actor who = actor_from_req(r);
  enum err e;
  if (r->user) {
    e = caregivers_accept(r->arena, &who, tok);
    if (e == ERR_CONFLICT) {
      view_set(r, "Form.Errors.accept",
               l.patient_id == r->user->user_id
                   ? "This is your own invitation: it must be accepted by the person you invited, with their own account."
                   : "You already help this person.");
      return accept_page(r, 409, tok, &l);
    }
    if (e == ERR_FORBIDDEN) {
      view_set(r, "Form.Errors.accept",
               "A center account cannot act for a patient. Log out and accept with a personal account.");
      return accept_page(r, 403, tok, &l);
    }
    if (e == ERR_NOT_FOUND) return bad_link(r);
    if (e != ERR_OK) return reply_error(r, e, NULL);
    return reply_redirect(r, "/requests#helping");
  }
  const struct form_spec *spec = caregivers_accept_form();
  struct form_value v[3];
  struct form_errors fe;
  if (!fv_parse(r, spec, NULL, v, &fe)) {
    refill(r, spec, &fe, NULL); /* the password is secret: never echoed */
    return accept_page(r, 422, tok, &l);
  }
  struct acct_errors errs = {0};
  /* the password as typed (the form layer trims; a password is not trimmed) */
  e = caregivers_accept_new(r->arena, &who, tok, v[0].text, fv(r, "password"), v[2].text, &errs);
  if (e == ERR_INVALID || e == ERR_CONFLICT) {
    if (e == ERR_CONFLICT)
      form_error_add(&fe, "name",
                     "This e-mail address already has an account. Please log in with it first, then open the link again.");
    refill(r, spec, &fe, &errs);
    return accept_page(r, e == ERR_CONFLICT ? 409 : 422, tok, &l);
  }
  if (e == ERR_NOT_FOUND) return bad_link(r);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/login?caregiver=1");
}

/* ---- a representative starts a request for someone who cannot invite ---- */

static void represent_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Start a request for someone you represent");
  reply_page(r, status, "requests_for_someone.cs");
}

static void represent_get(struct req *r) { represent_page(r, 200); }

static void represent_post(struct req *r) {
  const struct form_spec *spec = caregivers_represent_form();
  struct form_value v[5];
  struct form_errors fe;
  struct acct_errors errs = {0};
  enum err e = ERR_INVALID;
  long long rid = 0;
  if (fv_parse(r, spec, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    e = caregivers_represent(r->arena, &who, v[0].text, v[1].text, v[2].text, v[3].text, v[4].text, &errs, &rid);
  }
  if (e == ERR_INVALID) {
    refill(r, spec, &fe, &errs);
    return represent_page(r, 422);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/records", rid));
}

/* ---- staff verify or refuse a representative's authority document ---- */

/* The staff page again: 422 with the message at the form's one field (an
 * authority decision's at authority_reason, the reason typed echoed there). */
static void staff_refused(struct req *r, long long id, const char *field, const char *message,
                          const struct form_spec *spec) {
  struct center_errors ce = {0};
  ce.e[0].field = field;
  ce.e[0].message = message;
  ce.n = 1;
  if (!spec) view_set(r, "Form.Values.authority_reason", req_form(r, "reason"));
  staff_request_show_form(r, id, &ce, spec, spec ? "representative-end" : "authority", 422, NULL);
}

static void authority_post(struct req *r) {
  long long id = 0;
  if (!form_id_parse(req_param(r, "id"), &id)) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct form_value v[3];
  struct form_errors fe;
  if (!fv_parse(r, caregivers_authority_form(), NULL, v, &fe))
    return staff_refused(r, id, "authority_reason", fe.e[0].message, NULL);
  bool verify = strcmp(v[1].text, "verify") == 0;
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  enum err e = caregivers_authority_decide(r->arena, &who, id, v[0].num, verify, v[2].text, &errs);
  if (e == ERR_INVALID || e == ERR_CONFLICT)
    return staff_refused(r, id, "authority_reason",
                         e == ERR_CONFLICT ? "A newer document arrived meanwhile: please look at it first. Nothing was changed."
                                           : errs.e[0].message,
                         NULL);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/staff/requests/%lld?done=authority-%s#authority-h", id,
                                 verify ? "verified" : "refused"));
}

/* ---- staff end a representative's link ---- */

static void end_post(struct req *r) {
  long long id = 0;
  if (!form_id_parse(req_param(r, "id"), &id)) return reply_error(r, ERR_NOT_FOUND, NULL);
  const struct form_spec *spec = caregivers_end_form();
  struct form_value v[2];
  struct form_errors fe;
  if (!fv_parse(r, spec, NULL, v, &fe)) {
    const char *m = form_error(&fe, "link");
    return staff_refused(r, id, "end_reason", m ? m : form_error(&fe, "end_reason"), spec);
  }
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  enum err e = caregivers_end_representation(r->arena, &who, id, v[0].num, v[1].text, &errs);
  if (e == ERR_INVALID || e == ERR_CONFLICT)
    return staff_refused(r, id, "end_reason",
                         e == ERR_CONFLICT ? "Someone else changed who acts for the patient meanwhile: please look "
                                             "again. Nothing was changed."
                                           : errs.e[0].message,
                         spec);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/staff/requests/%lld?done=authority-ended#authority-h", id));
}

const struct route account_caregivers_routes[] = {
    {"GET", "/requests/for-someone", represent_get, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request_for_someone"},
    {"POST", "/requests/for-someone", represent_post, ROLE_PATIENT, 0, BODY_FORM, 16384, NULL,
     "request_for_someone_post"},
    {"POST", "/staff/requests/{id}/authority", authority_post, ROLE_STAFF, 0, BODY_FORM, 8192, NULL,
     "staff_request_authority"},
    {"POST", "/staff/requests/{id}/representative/end", end_post, ROLE_STAFF, 0, BODY_FORM, 8192, NULL,
     "staff_request_representative_end"},
    {"GET", "/account/caregivers", caregivers_get, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "account_caregivers"},
    {"POST", "/account/caregivers", caregivers_post, ROLE_PATIENT, 0, BODY_FORM, 8192, NULL, "account_caregivers_invite"},
    {"POST", "/account/caregivers/{id}/revoke", caregiver_revoke, ROLE_PATIENT, 0, BODY_FORM, 4096, NULL,
     "account_caregiver_revoke"},
    {"GET", "/caregivers/accept", accept_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "caregiver_accept"},
    {"POST", "/caregivers/accept", accept_post, 0, RF_PUBLIC, BODY_FORM, 16384, NULL, "caregiver_accept_post"},
    {0},
};
