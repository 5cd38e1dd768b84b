/* Accounts for everyone: sign-up, e-mail verification, log in (with the
 * second factor), log out, forgotten password, the account page, password
 * change, TOTP enrolment, and the idle-warning ping. */
#include <ClearSilver.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/form.h"
#include "core/accounts.h"
#include "core/qrsvg.h"
#include "http/actor.h"
#include "http/auth.h"
#include "http/reply.h"
#include "routes/auth_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/tz.h"

/* ---- shared page helpers (also used by admin_accounts.c) ---- */

void view_set(struct req *r, const char *name, const char *value) {
  HDF *hdf = req_hdf(r);
  if (!hdf || !value) return;
  NEOERR *err = hdf_set_value(hdf, name, value);
  if (err) nerr_ignore(&err);
}

void view_set_int(struct req *r, const char *name, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  view_set(r, name, buf);
}

void view_errors(struct req *r, const struct acct_errors *errs) {
  for (size_t i = 0; i < errs->n; i++) {
    char *k = arena_printf(r->arena, "Form.Errors.%s", errs->e[i].field);
    if (k) view_set(r, k, errs->e[i].message);
  }
}

void view_keep(struct req *r, const char *field) {
  const char *v = req_form(r, field);
  char *k = arena_printf(r->arena, "Form.Values.%s", field);
  if (v && k) view_set(r, k, v);
}

void view_message(struct req *r, unsigned status, const char *title, const char *text, const char *link,
                  const char *link_text) {
  view_set(r, "Page.Title", title);
  view_set(r, "Message.Text", text);
  view_set(r, "Message.Link", link);
  view_set(r, "Message.LinkText", link_text);
  reply_page(r, status, "message.cs");
}

const char *role_home(unsigned role) {
  switch (role) {
  case ROLE_PATIENT: return "/requests";
  case ROLE_STAFF: return "/staff/queue";
  case ROLE_REVIEWER: return "/reviewer/cases";
  case ROLE_ADMIN: return "/admin";
  default: return "/";
  }
}

/* A local path to go to after login: starts with one '/', no backslash or
 * control characters, bounded. NULL when next is not acceptable. */
static const char *safe_next(const char *next) {
  if (!next || next[0] != '/' || next[1] == '/' || strlen(next) > 512) return NULL;
  for (const char *p = next; *p; p++)
    if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) return NULL;
  if (strncmp(next, "/login", 6) == 0 || strncmp(next, "/logout", 7) == 0) return NULL;
  return next;
}

/* Answers a domain failure that is not a form error. */
static void fail(struct req *r, enum err e) { reply_error(r, e, NULL); }

/* Echoes the typed values of spec (secrets never) and the error map (may be
 * NULL) into the page about to be drawn. */
static void form_show(struct req *r, const struct form_spec *spec, const struct form_errors *fe) {
  HDF *h = req_hdf(r);
  if (h) fv_fill(r, h, spec, fe);
}

/* ---- sign-up ---- */

static void signup_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Create an account");
  view_set(r, "Page.Name", "signup");
  if (auth_anon_csrf(r) != 0) return fail(r, ERR_INTERNAL);
  reply_page(r, status, "signup.cs");
}

static void signup_get(struct req *r) {
  if (r->user && !auth_mfa_pending(r->user)) return reply_redirect(r, role_home(r->user->role));
  signup_page(r, 200);
}

static void signup_post(struct req *r) {
  const struct form_spec *spec = &acct_signup_form;
  struct form_value v[5];
  struct form_errors fe;
  if (fv_parse(r, spec, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    struct acct_errors errs = {0};
    /* the password as typed: the policy normalises it, spaces included */
    enum err e = acct_signup(r->arena, &who, v[ACCT_SIGNUP_NAME].text, v[ACCT_SIGNUP_EMAIL].text,
                             v[ACCT_SIGNUP_DOB].text, req_form(r, "password"), v[ACCT_SIGNUP_TZ].text, &errs);
    if (e == ERR_OK) {
      /* the same answer whether the address was new or taken */
      view_set(r, "Page.Title", "Check your e-mail");
      view_set(r, "Signup.Email", v[ACCT_SIGNUP_EMAIL].text);
      return reply_page(r, 200, "signup_sent.cs");
    }
    if (e != ERR_INVALID) return fail(r, e);
    acct_errors_to_form(&fe, &errs);
  }
  form_show(r, spec, &fe);
  view_set(r, "Form.Invalid", "1");
  signup_page(r, 422);
}

/* ---- e-mail verification ---- */

static void verify_get(struct req *r) {
  const char *tok = req_query(r, "token");
  const char *purpose = NULL;
  long long uid = 0;
  if (acct_token_check(r->arena, tok, &purpose, &uid) != ERR_OK || strcmp(purpose, "verify_email") != 0)
    return view_message(r, 404, "This link does not work",
                        "This confirmation link is unknown, was used already or has expired. Log in and we can "
                        "help, or choose a new password: that also confirms your address.",
                        "/forgot-password", "Choose a new password");
  view_set(r, "Page.Title", "Confirm your e-mail address");
  view_set(r, "Form.Values.token", tok);
  if (auth_anon_csrf(r) != 0) return fail(r, ERR_INTERNAL);
  reply_page(r, 200, "verify_email.cs");
}

static void verify_post(struct req *r) {
  struct form_value v[1];
  struct form_errors fe;
  enum err e = ERR_NOT_FOUND;
  if (fv_parse(r, &acct_verify_form, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    e = acct_verify_email(r->arena, &who, v[0].text);
  }
  /* no token, or not a live one: the link's own page, with the way on */
  if (e == ERR_NOT_FOUND)
    return view_message(r, 404, "This link does not work",
                        "This confirmation link is unknown, was used already or has expired.", "/login", "Log in");
  if (e != ERR_OK) return fail(r, e);
  view_message(r, 200, "E-mail address confirmed", "Thank you: your e-mail address is confirmed. You can log in now.",
               "/login", "Log in");
}

/* ---- log in, second factor, log out ---- */

static void login_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Log in");
  view_set(r, "Page.Name", "login");
  const char *next = safe_next(req_form(r, "next") ? req_form(r, "next") : req_query(r, "next"));
  if (next) view_set(r, "Form.Values.next", next);
  if (auth_anon_csrf(r) != 0) return fail(r, ERR_INTERNAL);
  reply_page(r, status, "login.cs");
}

static void login_get(struct req *r) {
  if (r->user && !auth_mfa_pending(r->user)) return reply_redirect(r, role_home(r->user->role));
  if (req_query(r, "expired")) view_set(r, "Login.Notice", "You were logged out after a time without activity. Please log in again.");
  if (req_query(r, "bye")) view_set(r, "Login.Notice", "You have logged out.");
  if (req_query(r, "reset")) view_set(r, "Login.Notice", "Your new password is set. Please log in.");
  if (req_query(r, "caregiver"))
    view_set(r, "Login.Notice", "Your account is ready and linked to the person who invited you. Please log in.");
  login_page(r, 200);
}

static void login_post(struct req *r) {
  const struct form_spec *spec = &acct_login_form;
  struct form_value v[2];
  struct form_errors fe;
  /* an empty or over-long field says so next to it: that tells nothing about accounts */
  if (!fv_parse(r, spec, NULL, v, &fe)) {
    form_show(r, spec, &fe);
    return login_page(r, 422);
  }
  struct actor who = actor_from_req(r);
  struct acct_login_result res;
  enum err e = acct_login(r->arena, &who, v[ACCT_LOGIN_EMAIL].text, req_form(r, "password"), auth_session_cookie(r),
                          r->user_agent, &res);
  if (e != ERR_OK) return fail(r, e);
  form_show(r, spec, NULL); /* the e-mail typed comes back on every answer below; never the password */
  switch (res.outcome) {
  case LOGIN_OK: {
    auth_set_session_cookie(r, res.s.token);
    sodium_memzero(res.s.token, sizeof res.s.token);
    if (res.mfa_needed) return reply_redirect(r, res.mfa_enrolled ? "/login/2fa" : "/account/2fa");
    const char *next = safe_next(req_form(r, "next"));
    return reply_redirect(r, next ? next : role_home(res.role));
  }
  case LOGIN_THROTTLED: {
    char *msg = arena_printf(r->arena,
                             "Too many attempts. For your safety, please wait %d second%s before trying again.",
                             res.retry_after, res.retry_after == 1 ? "" : "s");
    view_set(r, "Form.Errors.form", msg);
    login_page(r, 429);
    char ra[16];
    snprintf(ra, sizeof ra, "%d", res.retry_after);
    reply_header(r, "Retry-After", ra);
    return;
  }
  case LOGIN_UNVERIFIED:
    view_set(r, "Form.Errors.form",
             "Please confirm your e-mail address first: open the link we sent you when you signed up. "
             "No e-mail? Choose a new password with \"Forgot your password?\": that confirms it too.");
    return login_page(r, 403);
  case LOGIN_FAILED:
    break;
  }
  view_set(r, "Form.Errors.form", "The e-mail address or the password is not right. Please try again.");
  login_page(r, 401);
}

static void login_2fa_get(struct req *r) {
  if (!auth_mfa_pending(r->user)) return reply_redirect(r, role_home(r->user->role));
  if (!r->user->mfa_enrolled) return reply_redirect(r, "/account/2fa");
  view_set(r, "Page.Title", "Two-step login");
  reply_page(r, 200, "login_2fa.cs");
}

static void login_2fa_post(struct req *r) {
  if (!auth_mfa_pending(r->user)) return reply_redirect(r, role_home(r->user->role));
  if (!r->user->mfa_enrolled) return reply_redirect(r, "/account/2fa");
  view_set(r, "Page.Title", "Two-step login");
  struct form_value v[1];
  struct form_errors fe;
  if (!fv_parse(r, &acct_login_mfa_form, NULL, v, &fe)) { /* no code: not counted as a wrong one */
    form_show(r, &acct_login_mfa_form, &fe);
    return reply_page(r, 422, "login_2fa.cs");
  }
  struct actor who = actor_from_req(r);
  struct acct_new_session ns;
  int retry = 0;
  enum err e = acct_login_mfa(r->arena, &who, r->user->session_id, v[0].text, &ns, &retry);
  if (e == ERR_OK) {
    auth_set_session_cookie(r, ns.token);
    sodium_memzero(ns.token, sizeof ns.token);
    return reply_redirect(r, role_home(r->user->role));
  }
  if (e == ERR_INVALID) {
    view_set(r, "Form.Errors.code",
             "That code is not right, or was used already. Enter the 6-digit code your app shows now, or one of "
             "your recovery codes.");
    return reply_page(r, 401, "login_2fa.cs");
  }
  if (e == ERR_TOO_MANY && retry < 0) {
    view_set(r, "Form.Errors.code",
             "Two-step login for this account is locked after too many wrong codes. We have e-mailed the account "
             "holder. Please contact the breast center: an administrator can unlock it.");
    return reply_page(r, 423, "login_2fa.cs");
  }
  if (e == ERR_TOO_MANY) {
    char *msg = arena_printf(r->arena, "Too many attempts. Please wait %d seconds before trying again.", retry);
    view_set(r, "Form.Errors.code", msg);
    reply_page(r, 429, "login_2fa.cs");
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry);
    reply_header(r, "Retry-After", ra);
    return;
  }
  fail(r, e);
}

static void logout_post(struct req *r) {
  struct actor who = actor_from_req(r);
  enum err e = acct_logout(r->arena, &who, r->user->session_id);
  if (e != ERR_OK) return fail(r, e);
  auth_clear_session_cookie(r);
  reply_redirect(r, "/login?bye=1");
}

static void ping_post(struct req *r) {
  long long left = r->user->idle_expires - acct_now();
  reply_json_take(r, 200, json_pack("{s:b,s:I}", "ok", 1, "idle_seconds", (json_int_t)(left > 0 ? left : 0)));
}

/* ---- forgotten password and reset (also accepts invitations) ---- */

static void forgot_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Forgot your password?");
  if (auth_anon_csrf(r) != 0) return fail(r, ERR_INTERNAL);
  reply_page(r, status, "forgot_password.cs");
}

static void forgot_get(struct req *r) { forgot_page(r, 200); }

static void forgot_post(struct req *r) {
  struct form_value v[1];
  struct form_errors fe;
  enum err e = ERR_INVALID;
  if (fv_parse(r, &acct_forgot_form, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    struct acct_errors errs = {0};
    e = acct_password_forgot(r->arena, &who, v[0].text, &errs);
    acct_errors_to_form(&fe, &errs);
  }
  if (e == ERR_INVALID) {
    form_show(r, &acct_forgot_form, &fe);
    return forgot_page(r, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  view_message(r, 200, "Check your e-mail",
               "If an account uses this address, we have sent it a link to choose a new password. The link works "
               "once, for 60 minutes. Nothing arrived? Check your spam folder, or try again.",
               "/login", "Back to log in");
}

static void reset_page(struct req *r, unsigned status, const char *token, const char *purpose) {
  bool invite = purpose && strcmp(purpose, "invitation") == 0;
  view_set(r, "Page.Title", invite ? "Welcome: choose your password" : "Choose a new password");
  view_set(r, "Reset.Invitation", invite ? "1" : NULL);
  view_set(r, "Form.Values.token", token);
  if (auth_anon_csrf(r) != 0) return fail(r, ERR_INTERNAL);
  reply_page(r, status, "reset_password.cs");
}

static void bad_link(struct req *r) {
  view_message(r, 404, "This link does not work",
               "This link is unknown, was used already or has expired. You can ask for a new one.",
               "/forgot-password", "Ask for a new link");
}

static void reset_get(struct req *r) {
  const char *tok = req_query(r, "token");
  const char *purpose = NULL;
  long long uid = 0;
  if (acct_token_check(r->arena, tok, &purpose, &uid) != ERR_OK || strcmp(purpose, "verify_email") == 0)
    return bad_link(r);
  reset_page(r, 200, tok, purpose);
}

static void reset_post(struct req *r) {
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  const char *tok = req_form(r, "token");
  const char *purpose = NULL;
  long long uid = 0;
  if (acct_token_check(r->arena, tok, &purpose, &uid) != ERR_OK || strcmp(purpose, "verify_email") == 0)
    return bad_link(r);
  struct form_value v[2];
  struct form_errors fe;
  enum err e = ERR_INVALID;
  if (fv_parse(r, &acct_reset_form, NULL, v, &fe)) {
    e = acct_password_reset(r->arena, &who, v[ACCT_RESET_TOKEN].text, req_form(r, "password"), &errs);
    acct_errors_to_form(&fe, &errs);
  }
  if (e == ERR_INVALID) {
    form_show(r, &acct_reset_form, &fe);
    return reset_page(r, 422, tok, purpose);
  }
  if (e == ERR_NOT_FOUND) return bad_link(r);
  if (e != ERR_OK) return fail(r, e);
  /* any session this browser had ended with the reset */
  if (r->user) auth_clear_session_cookie(r);
  reply_redirect(r, "/login?reset=1");
}

/* ---- account ---- */

static void account_show(struct req *r, unsigned status) {
  struct acct_overview o;
  enum err e = acct_overview(r->arena, r->user->user_id, &o);
  if (e != ERR_OK) return fail(r, e);
  view_set(r, "Page.Title", "Your account");
  /* the time zone every time is shown in, and what the clock says there now */
  view_set(r, "Account.TimeZone", req_tz(r));
  view_set(r, "Account.Now", tz_format_a(r->arena, (int64_t)time(NULL), req_tz(r), TZ_LONG));
  HDF *h = req_hdf(r);
  if (h && !hdf_get_value(h, "Form.Values.time_zone", NULL)) view_set(r, "Form.Values.time_zone", req_tz(r));
  if (req_query(r, "tz")) {
    view_set(r, "Flash.Message", "Saved: times are now shown in your new time zone.");
    view_set(r, "Flash.Kind", "ok");
  }
  view_set(r, "Account.Name", o.name);
  view_set(r, "Account.Email", o.email);
  view_set(r, "Account.Role", o.role);
  view_set(r, "Account.Dob", o.dob);
  view_set(r, "Account.Created", req_when(r, o.created_at, TZ_SHORT));
  view_set_int(r, "Account.EmailVerified", o.email_verified);
  view_set_int(r, "Account.Totp", o.totp_enabled);
  view_set_int(r, "Account.RecoveryLeft", (long long)o.recovery_left);
  view_set_int(r, "Account.Sessions", o.sessions);
  view_set_int(r, "Account.IdleMinutes", acct_idle_seconds(r->user->role) / 60);
  /* DICOMweb keys (routes/account_tokens.c): for everyone DICOMweb serves */
  if (r->user->role & (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER)) {
    view_set(r, "Account.MayConnect", "1");
    e = account_tokens_view(r);
    if (e != ERR_OK) return fail(r, e);
  }
  if (req_query(r, "changed")) view_set(r, "Flash.Message", "Your password is changed. Other sessions were logged out.");
  if (req_query(r, "changed")) view_set(r, "Flash.Kind", "ok");
  if (req_query(r, "signedout")) {
    view_set(r, "Flash.Message", "Done: that session is signed out.");
    view_set(r, "Flash.Kind", "ok");
  }
  struct actor who = actor_from_req(r);
  struct acct_session_info *ss = NULL;
  size_t n = 0;
  e = acct_sessions_list(r->arena, &who, r->user->session_id, &ss, &n);
  if (e != ERR_OK) return fail(r, e);
  for (size_t i = 0; i < n; i++) {
    char k[64];
    snprintf(k, sizeof k, "Sessions.%zu.Id", i);
    view_set_int(r, k, ss[i].id);
    snprintf(k, sizeof k, "Sessions.%zu.Device", i);
    view_set(r, k, ss[i].device);
    snprintf(k, sizeof k, "Sessions.%zu.Ip", i);
    view_set(r, k, *ss[i].ip ? ss[i].ip : "unknown");
    snprintf(k, sizeof k, "Sessions.%zu.Created", i);
    view_set(r, k, req_when(r, ss[i].created_at, TZ_SHORT));
    snprintf(k, sizeof k, "Sessions.%zu.LastSeen", i);
    view_set(r, k, req_when(r, ss[i].last_seen_at, TZ_SHORT));
    if (ss[i].current) {
      snprintf(k, sizeof k, "Sessions.%zu.Current", i);
      view_set(r, k, "1");
    }
  }
  view_set_int(r, "Account.Sessions", (long long)n); /* live ones, as listed */
  view_set_int(r, "Account.OtherSessions", n > 0 ? (long long)n - 1 : 0);
  reply_page(r, status, "account.cs");
}

static void account_get(struct req *r) { account_show(r, 200); }

static void time_zone_post(struct req *r) {
  /* spaces around a pasted name are not part of it; a tab or line break is refused */
  struct form_value v[1];
  struct form_errors fe;
  enum err e = ERR_INVALID;
  if (fv_parse(r, &acct_time_zone_form, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    struct acct_errors errs = {0};
    e = acct_time_zone_set(r->arena, &who, v[0].text, &errs);
    acct_errors_to_form(&fe, &errs);
  }
  if (e == ERR_INVALID) {
    form_show(r, &acct_time_zone_form, &fe);
    view_set(r, "Form.Invalid", "1");
    return account_show(r, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, "/account?tz=1#time-zone");
}

/* Parses the session id from the path; 0 when malformed. */
static long long session_param(struct req *r) {
  const char *s = req_param(r, "id");
  return form_id(s);
}

static void session_revoke_post(struct req *r) {
  long long id = session_param(r);
  if (!id) return fail(r, ERR_NOT_FOUND);
  struct actor who = actor_from_req(r);
  if (id == r->user->session_id) return logout_post(r);
  enum err e = acct_session_revoke(r->arena, &who, id);
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, "/account?signedout=1#sessions");
}

static void sessions_revoke_others_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long ended = 0;
  enum err e = acct_sessions_revoke_others(r->arena, &who, r->user->session_id, &ended);
  if (e != ERR_OK) return fail(r, e);
  reply_redirect(r, "/account?signedout=1#sessions");
}

static void password_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Change your password");
  reply_page(r, status, "account_password.cs");
}

static void password_get(struct req *r) { password_page(r, 200); }

static void password_post(struct req *r) {
  struct form_value v[2];
  struct form_errors fe;
  struct acct_new_session ns;
  enum err e = ERR_INVALID;
  if (fv_parse(r, &acct_password_form, NULL, v, &fe)) {
    struct actor who = actor_from_req(r);
    struct acct_errors errs = {0};
    /* both passwords as typed: the policy normalises them */
    e = acct_password_change(r->arena, &who, r->user->session_id, req_form(r, "current"), req_form(r, "password"),
                             &errs, &ns);
    acct_errors_to_form(&fe, &errs);
  }
  if (e == ERR_INVALID) {
    form_show(r, &acct_password_form, &fe);
    return password_page(r, 422);
  }
  if (e != ERR_OK) return fail(r, e);
  auth_set_session_cookie(r, ns.token);
  sodium_memzero(ns.token, sizeof ns.token);
  reply_redirect(r, "/account?changed=1");
}

/* ---- two-step login enrolment ---- */

static void twofa_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Two-step login");
  view_set_int(r, "Twofa.Required", (r->user->role & ROLE_CENTER) != 0);
  if (!r->user->mfa_enrolled) {
    struct actor who = actor_from_req(r);
    char *b32 = NULL, *uri = NULL;
    enum err e = acct_totp_begin(r->arena, &who, &b32, &uri);
    if (e != ERR_OK) return fail(r, e);
    /* group the secret in fours for typing */
    size_t n = strlen(b32);
    char *grouped = arena_alloc(r->arena, n + n / 4 + 1);
    if (!grouped) return fail(r, ERR_INTERNAL);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (i && i % 4 == 0) grouped[o++] = ' ';
      grouped[o++] = b32[i];
    }
    grouped[o] = '\0';
    view_set(r, "Twofa.Secret", grouped);
    sodium_memzero(uri, strlen(uri));
    sodium_memzero(b32, n);
  } else {
    struct acct_overview ov;
    if (acct_overview(r->arena, r->user->user_id, &ov) == ERR_OK)
      view_set_int(r, "Twofa.RecoveryLeft", (long long)ov.recovery_left);
    view_set_int(r, "Twofa.Enabled", 1);
  }
  reply_page(r, status, "account_2fa.cs");
}

static void twofa_get(struct req *r) {
  /* an enrolled user who has not passed the factor cannot re-enrol here */
  if (r->user->mfa_enrolled && !r->user->mfa_passed) return reply_redirect(r, "/login/2fa");
  twofa_page(r, 200);
}

static void twofa_qr(struct req *r) {
  if (r->user->mfa_enrolled) return fail(r, ERR_NOT_FOUND);
  struct actor who = actor_from_req(r);
  char *b32 = NULL, *uri = NULL;
  enum err e = acct_totp_begin(r->arena, &who, &b32, &uri);
  if (e != ERR_OK) return fail(r, e == ERR_CONFLICT ? ERR_NOT_FOUND : e);
  char *svg = qr_svg(uri);
  sodium_memzero(uri, strlen(uri));
  sodium_memzero(b32, strlen(b32));
  if (!svg) return fail(r, ERR_INTERNAL);
  reply_bytes(r, 200, "image/svg+xml", svg, strlen(svg));
  qr_svg_free(svg);
}

static void show_codes(struct req *r, char (*codes)[TOTP_RECOVERY_BUF], const char *title) {
  for (size_t i = 0; i < ACCT_RECOVERY_COUNT; i++) {
    char k[32];
    snprintf(k, sizeof k, "Recovery.Codes.%zu", i);
    view_set(r, k, codes[i]);
  }
  sodium_memzero(codes, sizeof(char[TOTP_RECOVERY_BUF]) * ACCT_RECOVERY_COUNT);
  view_set(r, "Page.Title", title);
  reply_page(r, 200, "recovery_codes.cs");
}

static void twofa_post(struct req *r) {
  if (r->user->mfa_enrolled && !r->user->mfa_passed) return reply_redirect(r, "/login/2fa");
  struct actor who = actor_from_req(r);
  struct form_value v[2];
  struct form_errors fe;
  fv_parse(r, &acct_totp_form, NULL, v, &fe);
  /* the action is the button pressed: anything else is not this page's form */
  if (form_error(&fe, "action")) return fail(r, ERR_BAD_REQUEST);
  const char *action = v[ACCT_TOTP_ACTION].text;
  const char *code = v[ACCT_TOTP_CODE].text;
  char codes[ACCT_RECOVERY_COUNT][TOTP_RECOVERY_BUF];
  enum err e = ERR_INVALID;
  view_set(r, "Twofa.Action", action); /* which of the page's forms the error belongs to */
  if (fe.n) {
    form_show(r, &acct_totp_form, &fe);
    return twofa_page(r, 422);
  }
  if (strcmp(action, "enable") == 0) {
    struct acct_new_session ns;
    e = acct_totp_enable(r->arena, &who, r->user->session_id, code, codes, &ns);
    if (e == ERR_OK) {
      auth_set_session_cookie(r, ns.token);
      sodium_memzero(ns.token, sizeof ns.token);
      r->user->mfa_enrolled = true;
      r->user->mfa_passed = true;
      r->user->csrf = arena_strdup(r->arena, ns.csrf);
      return show_codes(r, codes, "Two-step login is on");
    }
  } else if (strcmp(action, "regenerate") == 0) {
    e = acct_recovery_regenerate(r->arena, &who, code, codes);
    if (e == ERR_OK) return show_codes(r, codes, "Your new recovery codes");
  } else if (strcmp(action, "disable") == 0) {
    e = acct_totp_disable(r->arena, &who, code);
    if (e == ERR_OK) {
      r->user->mfa_enrolled = false;
      return view_message(r, 200, "Two-step login is off",
                          "Two-step login is turned off. Your password must now be at least 15 characters long "
                          "the next time you change it.",
                          "/account", "Back to your account");
    }
  }
  if (e == ERR_INVALID) {
    view_set(r, "Form.Errors.code", "That code is not right. Enter the 6-digit code your app shows now.");
    return twofa_page(r, 422);
  }
  if (e == ERR_CONFLICT) return reply_redirect(r, "/account/2fa");
  fail(r, e);
}

const struct route auth_routes[] = {
    {"GET", "/signup", signup_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "signup"},
    {"POST", "/signup", signup_post, 0, RF_PUBLIC, BODY_FORM, 16384, NULL, "signup_post"},
    {"GET", "/verify-email", verify_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "verify_email"},
    {"POST", "/verify-email", verify_post, 0, RF_PUBLIC, BODY_FORM, 4096, NULL, "verify_email_post"},
    {"GET", "/login", login_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "login"},
    {"POST", "/login", login_post, 0, RF_PUBLIC, BODY_FORM, 16384, NULL, "login_post"},
    {"GET", "/login/2fa", login_2fa_get, ROLE_ANY_USER, RF_NO_MFA, BODY_NONE, 0, NULL, "login_2fa"},
    {"POST", "/login/2fa", login_2fa_post, ROLE_ANY_USER, RF_NO_MFA, BODY_FORM, 4096, NULL, "login_2fa_post"},
    {"POST", "/logout", logout_post, ROLE_ANY_USER, RF_NO_MFA, BODY_FORM, 4096, NULL, "logout"},
    {"POST", "/session/ping", ping_post, ROLE_ANY_USER, RF_NO_MFA, BODY_FORM, 4096, NULL, "session_ping"},
    {"GET", "/forgot-password", forgot_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "forgot_password"},
    {"POST", "/forgot-password", forgot_post, 0, RF_PUBLIC, BODY_FORM, 4096, NULL, "forgot_password_post"},
    {"GET", "/reset-password", reset_get, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "reset_password"},
    {"POST", "/reset-password", reset_post, 0, RF_PUBLIC, BODY_FORM, 16384, NULL, "reset_password_post"},
    {"GET", "/account", account_get, ROLE_ANY_USER, 0, BODY_NONE, 0, NULL, "account"},
    {"POST", "/account/time-zone", time_zone_post, ROLE_ANY_USER, 0, BODY_FORM, 4096, NULL, "account_time_zone"},
    {"POST", "/account/sessions/revoke-others", sessions_revoke_others_post, ROLE_ANY_USER, 0, BODY_FORM, 4096, NULL,
     "account_sessions_revoke_others"},
    {"POST", "/account/sessions/{id}/revoke", session_revoke_post, ROLE_ANY_USER, 0, BODY_FORM, 4096, NULL,
     "account_session_revoke"},
    {"GET", "/account/password", password_get, ROLE_ANY_USER, 0, BODY_NONE, 0, NULL, "account_password"},
    {"POST", "/account/password", password_post, ROLE_ANY_USER, 0, BODY_FORM, 16384, NULL, "account_password_post"},
    {"GET", "/account/2fa", twofa_get, ROLE_ANY_USER, RF_NO_MFA, BODY_NONE, 0, NULL, "account_2fa"},
    {"GET", "/account/2fa/qr.svg", twofa_qr, ROLE_ANY_USER, RF_NO_MFA, BODY_NONE, 0, NULL, "account_2fa_qr"},
    {"POST", "/account/2fa", twofa_post, ROLE_ANY_USER, RF_NO_MFA, BODY_FORM, 4096, NULL, "account_2fa_post"},
    {0},
};
