/* Administration: the admin home and the accounts of staff, reviewers,
 * admins and patients: list and search, invite, disable and re-enable,
 * reset two-step login. Admins only; every change is audited. */
#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/stepup.h"
#include "routes/auth_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/tz.h"

#define PER_PAGE 25

static void admin_home(struct req *r) {
  view_set(r, "Page.Title", "Administration");
  reply_page(r, 200, "admin.cs");
}

/* The account id of the path (the one id parser); 0 when malformed. */
static long long path_id(struct req *r) { return form_id(req_param(r, "id")); }

static void accounts_list(struct req *r) {
  struct actor who = actor_from_req(r);
  const char *q = req_query(r, "q");
  const char *pg = req_query(r, "page");
  long long page = 1;
  if (q && strlen(q) > 200) return reply_error(r, ERR_BAD_REQUEST, "The search text is too long (200 characters at most).");
  if (pg) {
    char *end;
    page = strtoll(pg, &end, 10);
    if (*end || page < 1 || page > 100000) return reply_error(r, ERR_BAD_REQUEST, "The page number is not valid.");
  }
  struct acct_row *rows = NULL;
  size_t n = 0;
  long long total = 0;
  enum err e = acct_admin_list(r->arena, &who, q ? q : "", page, PER_PAGE, &rows, &n, &total);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  view_set(r, "Page.Title", "Accounts");
  view_set(r, "Search.Q", q);
  view_set_int(r, "Search.Total", total);
  view_set_int(r, "Search.Page", page);
  if (page > 1) {
    char *u = arena_printf(r->arena, "/admin/accounts?page=%lld", page - 1);
    view_set(r, "Search.Prev", u);
    if (q && *q) view_set(r, "Search.PrevQ", q);
  }
  if (page * PER_PAGE < total) view_set_int(r, "Search.NextPage", page + 1);
  if (page > 1) view_set_int(r, "Search.PrevPage", page - 1);
  for (size_t i = 0; i < n; i++) {
    char k[64];
#define ROW(field, val)                                                   \
  do {                                                                    \
    snprintf(k, sizeof k, "Accounts.%zu." field, i);                      \
    view_set(r, k, val);                                                  \
  } while (0)
    char id[24];
    snprintf(id, sizeof id, "%lld", rows[i].id);
    ROW("Id", id);
    ROW("Name", rows[i].name);
    ROW("Email", rows[i].email);
    ROW("Role", rows[i].role);
    ROW("Created", req_when(r, rows[i].created_at, TZ_SHORT));
    ROW("Status", !rows[i].active ? "disabled" : rows[i].invited ? "invited" : "active");
    ROW("Totp", rows[i].totp_enabled ? "on" : "off");
#undef ROW
  }
  if (req_query(r, "invited")) {
    view_set(r, "Flash.Message", "The invitation is sent. The link in it works for 7 days.");
    view_set(r, "Flash.Kind", "ok");
  }
  reply_page(r, 200, "admin_accounts.cs");
}

static void account_show(struct req *r, unsigned status) {
  struct actor who = actor_from_req(r);
  long long id = path_id(r);
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct acct_row a;
  enum err e = acct_admin_get(r->arena, &who, id, &a);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  view_set(r, "Page.Title", a.name);
  view_set_int(r, "Target.Id", a.id);
  view_set(r, "Target.Name", a.name);
  view_set(r, "Target.Email", a.email);
  view_set(r, "Target.Role", a.role);
  view_set(r, "Target.Created", req_when(r, a.created_at, TZ_SHORT));
  view_set_int(r, "Target.Active", a.active);
  view_set_int(r, "Target.Invited", a.invited);
  view_set_int(r, "Target.Totp", a.totp_enabled);
  view_set_int(r, "Target.EmailVerified", a.email_verified);
  view_set_int(r, "Target.IsSelf", a.id == r->user->user_id);
  int failures = 0;
  bool locked = false;
  if (acct_admin_mfa_state(r->arena, &who, id, &failures, &locked) == ERR_OK) {
    view_set_int(r, "Target.MfaFailures", failures);
    if (locked || failures >= 10) view_set(r, "Target.MfaLocked", "1");
  }
  const char *done = req_query(r, "done");
  if (done) {
    const char *msg = strcmp(done, "disabled") == 0 ? "The account is disabled and its sessions are ended."
                      : strcmp(done, "enabled") == 0 ? "The account is enabled again."
                      : strcmp(done, "2fa") == 0     ? "Two-step login is reset: they set it up again at their next login."
                      : strcmp(done, "unlocked") == 0 ? "The two-step login lock is lifted and the count of wrong codes is cleared."
                      : strcmp(done, "loggedout") == 0 ? "Every session of this account is ended."
                                                     : NULL;
    if (msg) {
      view_set(r, "Flash.Message", msg);
      view_set(r, "Flash.Kind", "ok");
    }
  }
  reply_page(r, status, "admin_account.cs");
}

static void account_get(struct req *r) { account_show(r, 200); }

/* Runs an admin action on /admin/accounts/{id}/... and redirects back. */
static void account_action(struct req *r, enum err (*fn)(struct arena *, const struct actor *, long long),
                           const char *done) {
  struct actor who = actor_from_req(r);
  long long id = path_id(r);
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  if (!stepup_gate(r)) return; /* an admin's change to an account needs a fresh step-up */
  enum err e = fn(r->arena, &who, id);
  if (e == ERR_CONFLICT) return reply_error(r, ERR_CONFLICT, "You cannot disable your own account.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  char *loc = arena_printf(r->arena, "/admin/accounts/%lld?done=%s", id, done);
  reply_redirect(r, loc ? loc : "/admin/accounts");
}

static enum err do_disable(struct arena *a, const struct actor *w, long long id) { return acct_admin_set_active(a, w, id, false); }
static enum err do_enable(struct arena *a, const struct actor *w, long long id) { return acct_admin_set_active(a, w, id, true); }

static void disable_post(struct req *r) { account_action(r, do_disable, "disabled"); }
static void enable_post(struct req *r) { account_action(r, do_enable, "enabled"); }
static void reset2fa_post(struct req *r) { account_action(r, acct_admin_reset_2fa, "2fa"); }
static void unlock2fa_post(struct req *r) { account_action(r, acct_admin_unlock_2fa, "unlocked"); }

/* Ends every session of the account (the admin's own current one survives). */
static void logout_all_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = path_id(r);
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  if (!stepup_gate(r)) return;
  enum err e = acct_admin_logout_all(r->arena, &who, id, r->user->session_id);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  if (r->is_api) return reply_json_take(r, 200, json_pack("{s:b}", "ok", 1));
  char *loc = arena_printf(r->arena, "/admin/accounts/%lld?done=loggedout", id);
  reply_redirect(r, loc ? loc : "/admin/accounts");
}

static void invite_page(struct req *r, unsigned status) {
  view_set(r, "Page.Title", "Invite a colleague");
  reply_page(r, status, "admin_invite.cs");
}

static void invite_get(struct req *r) { invite_page(r, 200); }

static void invite_post(struct req *r) {
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  long long id = 0;
  if (!stepup_gate(r)) return;
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  enum err e = acct_admin_invite_submit(r->arena, &who, in, r->form.n, &errs, &id);
  if (e == ERR_INVALID) {
    HDF *hdf = req_hdf(r);
    if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
    struct form_errors fe = {0};
    acct_errors_to_form(&fe, &errs);
    fv_fill(r, hdf, acct_invite_form(), &fe);
    return invite_page(r, 422);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/admin/accounts?invited=1");
}

const struct route admin_accounts_routes[] = {
    {"GET", "/admin", admin_home, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin"},
    {"GET", "/admin/accounts", accounts_list, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_accounts"},
    {"GET", "/admin/accounts/invite", invite_get, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_invite"},
    {"POST", "/admin/accounts/invite", invite_post, ROLE_ADMIN, 0, BODY_FORM, 8192, NULL, "admin_invite_post"},
    {"GET", "/admin/accounts/{id}", account_get, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_account"},
    {"POST", "/admin/accounts/{id}/disable", disable_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_account_disable"},
    {"POST", "/admin/accounts/{id}/enable", enable_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_account_enable"},
    {"POST", "/admin/accounts/{id}/reset-2fa", reset2fa_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_account_reset_2fa"},
    {"POST", "/admin/accounts/{id}/unlock-2fa", unlock2fa_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_account_unlock_2fa"},
    {"POST", "/admin/accounts/{id}/logout-all", logout_all_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_account_logout_all"},
    {"POST", "/api/v1/admin/accounts/{id}/logout-all", logout_all_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL,
     "api_admin_account_logout_all"},
    {0},
};
