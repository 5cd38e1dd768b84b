/* "Connect an imaging program" (/account/tokens): a patient, reviewer or staff member makes a
 * personal access token for a DICOMweb client, sees it exactly once, lists and removes tokens.
 * The domain (core/tokens.h) checks, stores and audits; this file parses the form and picks the
 * view. Making a token is a sensitive action: it needs a fresh step-up (http/stepup.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tokens.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/stepup.h"
#include "routes/auth_view.h"
#include "routes/center_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"

#define TOKEN_ROLES (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER)

/* The DICOMweb address a program is given, from the Host this browser used; NULL when odd. */
static const char *service_url(struct req *r) {
  const char *host = req_header(r, "Host");
  if (!host || !*host || strlen(host) > 255 ||
      strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host))
    return NULL;
  return arena_printf(r->arena, "%s://%s/dicom-web", r->tls ? "https" : "http", host);
}

enum err account_tokens_view(struct req *r) {
  struct actor who = actor_from_req(r);
  struct tok_info *t = NULL;
  size_t n = 0;
  enum err e = tokens_list(r->arena, &who, &t, &n);
  if (e != ERR_OK) return e;
  view_set_int(r, "Tokens.Count", (long long)n);
  for (size_t i = 0; i < n; i++) {
    char k[64];
#define SET(field, v)                                        \
  do {                                                       \
    snprintf(k, sizeof k, "Tokens.List.%zu." field, i);      \
    view_set(r, k, v);                                       \
  } while (0)
    snprintf(k, sizeof k, "Tokens.List.%zu.Id", i);
    view_set_int(r, k, t[i].id);
    SET("Label", t[i].label);
    SET("Created", cv_when(r->arena, t[i].created));
    SET("Expires", cv_when(r->arena, t[i].expires));
    SET("LastUsed", *t[i].last_used ? cv_when(r->arena, t[i].last_used) : NULL);
    SET("Scope", t[i].can_store ? "See images and send studies to the portal" : "See images (read only)");
    if (t[i].expired) SET("Expired", "1");
#undef SET
  }
  return ERR_OK;
}

/* The page: the list, the form (with errors and values when given), and a new token once. */
static void tokens_page(struct req *r, unsigned status) {
  enum err e = account_tokens_view(r);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  view_set(r, "Page.Title", "Connect an imaging program");
  view_set(r, "Tokens.ServiceUrl", service_url(r));
  view_set_int(r, "Tokens.MaxDays", TOK_DAYS_MAX);
  if (r->user->role == ROLE_STAFF) view_set(r, "Tokens.MayStore", "1");
  if (!req_form(r, "days")) view_set_int(r, "Form.Values.days", TOK_DAYS_DEFAULT);
  reply_page(r, status, "account_tokens.cs");
}

static void tokens_get(struct req *r) {
  if (req_query(r, "removed")) {
    view_set(r, "Flash.Message", "Done: that key is removed. Programs that used it can no longer open anything.");
    view_set(r, "Flash.Kind", "ok");
  }
  tokens_page(r, 200);
}

/* A refused form: the same page, 422, each message at its field, the name and days echoed. */
static void tokens_refused(struct req *r, const struct form_errors *fe) {
  HDF *h = req_hdf(r);
  if (!h) return reply_error(r, ERR_INTERNAL, NULL);
  fv_fill(r, h, tokens_create_form(), fe);
  view_set(r, "Form.Invalid", "1");
  tokens_page(r, 422);
}

static void tokens_post(struct req *r) {
  if (!stepup_gate(r)) return;
  struct form_value v[3];
  struct form_errors fe;
  if (!fv_parse(r, tokens_create_form(), NULL, v, &fe)) return tokens_refused(r, &fe);
  struct actor who = actor_from_req(r);
  struct acct_errors errs = {0};
  char token[TOK_BUF];
  long long id = 0;
  const char *label = v[0].text;
  enum err e = tokens_create(r->arena, &who, label, v[1].present ? v[1].text : NULL, v[2].tick ? "1" : NULL, &errs, token, &id);
  if (e == ERR_INVALID) {
    memset(&fe, 0, sizeof fe);
    acct_errors_to_form(&fe, &errs);
    return tokens_refused(r, &fe);
  }
  if (e != ERR_OK) return reply_error(r, e, NULL);
  /* shown on this answer only (Cache-Control: no-store), never again */
  view_set(r, "NewToken.Value", token);
  view_set(r, "NewToken.Label", label);
  sodium_memzero(token, sizeof token);
  view_set(r, "Flash.Message", "Your new key is made. Copy it now: it is shown only this once.");
  view_set(r, "Flash.Kind", "ok");
  tokens_page(r, 200);
}

static void token_revoke_post(struct req *r) {
  long long id = 0;
  if (!form_id_parse(req_param(r, "id"), &id)) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct actor who = actor_from_req(r);
  enum err e = tokens_revoke(r->arena, &who, id);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, "/account/tokens?removed=1");
}

const struct route account_tokens_routes[] = {
    {"GET", "/account/tokens", tokens_get, TOKEN_ROLES, 0, BODY_NONE, 0, NULL, "account_tokens"},
    {"POST", "/account/tokens", tokens_post, TOKEN_ROLES, 0, BODY_FORM, 16384, NULL, "account_tokens_create"},
    {"POST", "/account/tokens/{id}/revoke", token_revoke_post, TOKEN_ROLES, 0, BODY_FORM, 4096, NULL,
     "account_token_revoke"},
    {0},
};
