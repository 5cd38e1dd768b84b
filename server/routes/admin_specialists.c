/* Admin: the specialist directory. List with search and paging, create,
 * edit (errors next to each field, the form re-shown as typed),
 * deactivate/reactivate (never delete), CSV import (all or nothing, every
 * bad line reported) and CSV export. ROLE_ADMIN only; every change is
 * audited by the domain layer in the same transaction. */
#include <ClearSilver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/specialists.h"
#include "core/form.h"
#include "http/reply.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "routes/specialists_view.h"
#include "store/specialists.h"
#include "util/arena.h"

#define ADMIN_PAGE_SIZE 25
#define IMPORT_LIMIT (2u * 1024 * 1024)

/* A node or NULL (ClearSilver's error dropped: out of memory only). */
static HDF *node_at(HDF *hdf, const char *name) {
  HDF *node = NULL;
  NEOERR *err = hdf_get_node(hdf, name, &node);
  if (err) {
    nerr_ignore(&err);
    return NULL;
  }
  return node;
}

/* ---- list ---- */

static const char *done_message(const char *done) {
  if (!done) return NULL;
  if (strcmp(done, "created") == 0) return "The specialist was added to the directory.";
  if (strcmp(done, "updated") == 0) return "Your changes were saved.";
  if (strcmp(done, "deactivated") == 0)
    return "The specialist was deactivated: patients no longer see them in the directory.";
  if (strcmp(done, "reactivated") == 0) return "The specialist is listed in the directory again.";
  if (strcmp(done, "imported") == 0) return "The file was imported.";
  if (strcmp(done, "invited") == 0)
    return "The specialist was invited and this entry is linked to their new reviewer account. They choose a "
           "password from the e-mailed link.";
  return NULL;
}

static void list_page(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", "Specialist directory");
  spec_set(hdf, "Page.Name", "admin-specialists");
  struct specialist_filter f;
  specialist_filter_defaults(&f);
  f.breast_specialist = false;
  f.include_inactive = true;
  f.limit = ADMIN_PAGE_SIZE;
  const char *q = req_query(r, "q");
  if (q && *q) {
    if (strlen(q) > 100) {
      spec_set(hdf, "Form.Errors.q", "Search with at most 100 characters.");
      spec_set(hdf, "Form.Values.q", "");
      reply_page(r, 400, "admin_specialists.cs");
      return;
    }
    f.q = q;
    spec_set(hdf, "Form.Values.q", q);
  }
  long long page = 1;
  const char *p = req_query(r, "page");
  if (p && *p && (!spec_parse_id(p, &page) || page > 100000)) {
    reply_error(r, ERR_BAD_REQUEST, "The page number is not valid.");
    return;
  }
  f.offset = (int)((page - 1) * ADMIN_PAGE_SIZE);
  const char *msg = done_message(req_query(r, "done"));
  if (msg) {
    spec_set(hdf, "Flash.Message", msg);
    spec_set(hdf, "Flash.Kind", "ok");
    long long created, updated;
    const char *c = req_query(r, "created"), *u = req_query(r, "updated");
    if (c && u && (spec_parse_id(c, &created) || strcmp(c, "0") == 0) &&
        (spec_parse_id(u, &updated) || strcmp(u, "0") == 0)) {
      spec_set(hdf, "Flash.Message",
               arena_printf(r->arena, "The file was imported: %s new specialists, %s updated.", c, u));
    }
  }
  struct specialist *list = NULL;
  size_t n = 0;
  long long total = 0;
  enum err e = specialists_search(r->arena, &f, &list, &n, &total);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  char key[40];
  for (size_t i = 0; i < n; i++) {
    snprintf(key, sizeof key, "Specialists.%zu", i);
    HDF *node = node_at(hdf, key);
    if (!node) {
      reply_error(r, ERR_INTERNAL, NULL);
      return;
    }
    specialist_hdf(r, node, &list[i], NULL);
  }
  spec_set_int(hdf, "Result.Total", total);
  spec_set_int(hdf, "Paging.Page", page);
  spec_set_int(hdf, "Paging.Pages", (total + ADMIN_PAGE_SIZE - 1) / ADMIN_PAGE_SIZE);
  const char *qenc = f.q ? spec_url_encode(r->arena, f.q) : "";
  if (!qenc) qenc = "";
  if (page > 1) spec_set(hdf, "Paging.PrevHref", arena_printf(r->arena, "/admin/specialists?q=%s&page=%lld", qenc, page - 1));
  if (f.offset + (long long)n < total)
    spec_set(hdf, "Paging.NextHref", arena_printf(r->arena, "/admin/specialists?q=%s&page=%lld", qenc, page + 1));
  reply_page(r, 200, "admin_specialists.cs");
}

/* The picker of reviewer accounts (Opt.Reviewers): "not linked", then every
 * active reviewer account by name; an account already linked that is no
 * longer one is shown as such, so saving it is refused instead of silently
 * unlinking. 0, or -1 (the reply is queued). */
static int reviewer_picker(struct req *r, HDF *hdf) {
  struct reviewer_account *acc = NULL;
  size_t n = 0;
  if (specialist_reviewer_choices(r->arena, &acc, &n) != ERR_OK) {
    reply_error(r, ERR_UNAVAILABLE, NULL);
    return -1;
  }
  spec_set(hdf, "Opt.Reviewers.0.Value", "");
  spec_set(hdf, "Opt.Reviewers.0.Label", "Not linked to an account");
  const char *current = hdf_get_value(hdf, "Form.Values.reviewer_user_id", "");
  bool found = !*current;
  for (size_t i = 0; i < n; i++) {
    const char *id = arena_printf(r->arena, "%lld", acc[i].id);
    spec_set(hdf, arena_printf(r->arena, "Opt.Reviewers.%zu.Value", i + 1), id);
    spec_set(hdf, arena_printf(r->arena, "Opt.Reviewers.%zu.Label", i + 1),
             arena_printf(r->arena, "%s (%s)", acc[i].name, acc[i].email));
    if (id && strcmp(id, current) == 0) found = true;
  }
  if (!found) {
    spec_set(hdf, arena_printf(r->arena, "Opt.Reviewers.%zu.Value", n + 1), current);
    spec_set(hdf, arena_printf(r->arena, "Opt.Reviewers.%zu.Label", n + 1),
             arena_printf(r->arena, "Account %s: not an active reviewer account", current));
  }
  return 0;
}

/* ---- create and edit ---- */

static void put_value(void *ctx, const char *field, const char *value) {
  char key[80];
  snprintf(key, sizeof key, "Form.Values.%s", field);
  spec_set(ctx, key, value);
}

static void new_form(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", "Add a specialist");
  spec_set(hdf, "Form.Action", "/admin/specialists/new");
  /* sensible starting values */
  spec_set(hdf, "Form.Values.credentials", "MD");
  spec_set(hdf, "Form.Values.nci_designated", "none");
  spec_set(hdf, "Form.Values.records_submission", "upload");
  spec_set(hdf, "Form.Values.remote_review", "yes");
  spec_set(hdf, "Form.Values.offers_reread", "yes");
  spec_set(hdf, "Form.Values.accepting", "yes");
  spec_set(hdf, "Form.Values.languages", "English");
  if (reviewer_picker(r, hdf) != 0) return;
  reply_page(r, 200, "admin_specialists_form.cs");
}

static void create_post(struct req *r) {
  HDF *hdf = req_hdf(r);
  const struct form_pair *in = fv_pairs(r);
  if (!hdf || !in) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  struct form_errors errs;
  long long id = 0;
  struct actor who = spec_actor(r);
  enum err e = specialist_submit(&who, r->arena, 0, in, r->form.n, &errs, &id);
  if (e == ERR_INVALID) {
    spec_set(hdf, "Page.Title", "Add a specialist");
    spec_set(hdf, "Form.Action", "/admin/specialists/new");
    fv_fill(r, hdf, specialist_form(), &errs);
    if (reviewer_picker(r, hdf) != 0) return;
    reply_page(r, 422, "admin_specialists_form.cs");
    return;
  }
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_redirect(r, arena_printf(r->arena, "/admin/specialists/%lld?done=created", id));
}

/* The edit page; invite_errs (may be NULL) re-shows the invitation form
 * with the address typed and the error next to it (422). */
static void edit_page(struct req *r, long long id, const struct field_errors *invite_errs) {
  struct specialist s;
  enum err e = specialist_get(r->arena, id, &s);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  HDF *hdf = req_hdf(r);
  HDF *node = hdf ? node_at(hdf, "Specialist") : NULL;
  if (!node) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", arena_printf(r->arena, "Edit %s", s.full_name));
  spec_set(hdf, "Form.Action", arena_printf(r->arena, "/admin/specialists/%lld", id));
  specialist_hdf(r, node, &s, NULL);
  specialist_to_text(r->arena, &s, put_value, hdf);
  const char *msg = done_message(req_query(r, "done"));
  if (msg) {
    spec_set(hdf, "Flash.Message", msg);
    spec_set(hdf, "Flash.Kind", "ok");
  }
  spec_set(hdf, "Specialist.Linked", s.reviewer_user_id > 0 ? "1" : "0");
  if (invite_errs) {
    struct form_errors fe = {0};
    for (size_t i = 0; i < invite_errs->n; i++) form_error_add(&fe, invite_errs->items[i].field, invite_errs->items[i].message);
    fv_fill(r, hdf, specialist_invite_form(), &fe);
  }
  if (reviewer_picker(r, hdf) != 0) return;
  reply_page(r, invite_errs ? 422 : 200, "admin_specialists_form.cs");
}

static void edit_form(struct req *r) {
  long long id;
  if (!spec_parse_id(req_param(r, "id"), &id)) {
    reply_error(r, ERR_NOT_FOUND, NULL);
    return;
  }
  edit_page(r, id, NULL);
}

/* POST /admin/specialists/{id}/invite: invite the specialist as a reviewer
 * and link the entry to the new account. */
static void invite_post(struct req *r) {
  long long id, uid = 0;
  if (!spec_parse_id(req_param(r, "id"), &id)) {
    reply_error(r, ERR_NOT_FOUND, NULL);
    return;
  }
  struct actor who = spec_actor(r);
  struct field_errors fe = {0};
  const struct form_pair *in = fv_pairs(r);
  if (!in) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  enum err e = specialist_invite_reviewer(&who, r->arena, id, in, r->form.n, &fe, &uid);
  if (e == ERR_INVALID) return edit_page(r, id, &fe);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_redirect(r, arena_printf(r->arena, "/admin/specialists/%lld?done=invited", id));
}

static void update_post(struct req *r) {
  long long id;
  struct specialist current;
  if (!spec_parse_id(req_param(r, "id"), &id)) {
    reply_error(r, ERR_NOT_FOUND, NULL);
    return;
  }
  HDF *hdf = req_hdf(r);
  const struct form_pair *in = fv_pairs(r);
  if (!hdf || !in) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  struct form_errors errs;
  struct actor who = spec_actor(r);
  enum err e = specialist_submit(&who, r->arena, id, in, r->form.n, &errs, NULL);
  if (e == ERR_INVALID) {
    if (specialist_get(r->arena, id, &current) != ERR_OK) {
      reply_error(r, ERR_UNAVAILABLE, NULL);
      return;
    }
    HDF *node = node_at(hdf, "Specialist");
    if (node) specialist_hdf(r, node, &current, NULL);
    spec_set(hdf, "Page.Title", arena_printf(r->arena, "Edit %s", current.full_name));
    spec_set(hdf, "Form.Action", arena_printf(r->arena, "/admin/specialists/%lld", id));
    fv_fill(r, hdf, specialist_form(), &errs);
    if (reviewer_picker(r, hdf) != 0) return;
    reply_page(r, 422, "admin_specialists_form.cs");
    return;
  }
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_redirect(r, arena_printf(r->arena, "/admin/specialists/%lld?done=updated", id));
}

/* Deactivate or reactivate, then back to the edit page. */
static void set_active(struct req *r, bool active) {
  long long id;
  if (!spec_parse_id(req_param(r, "id"), &id)) {
    reply_error(r, ERR_NOT_FOUND, NULL);
    return;
  }
  struct actor who = spec_actor(r);
  enum err e = specialist_set_active(&who, r->arena, id, active);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_redirect(r, arena_printf(r->arena, "/admin/specialists/%lld?done=%s", id, active ? "reactivated" : "deactivated"));
}

static void deactivate_post(struct req *r) { set_active(r, false); }
static void reactivate_post(struct req *r) { set_active(r, true); }

/* ---- CSV import and export ---- */

static void import_form(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", "Import specialists from a CSV file");
  char key[40];
  for (int i = 0; specialist_fields[i]; i++) {
    snprintf(key, sizeof key, "Columns.%d", i);
    spec_set(hdf, key, specialist_fields[i]);
  }
  reply_page(r, 200, "admin_specialists_import.cs");
}

/* The import form can carry a whole directory (2 MiB), more than the
 * server's general form limits: the body is taken as a stream, and parsed
 * into r->form (with limits sized for it) once all of it has arrived, before
 * the CSRF check and the handler run. */
static enum err import_begin(struct req *r) {
  const char *ct = req_header(r, "Content-Type");
  if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) return ERR_MEDIA_TYPE;
  if (r->chunked || !r->has_length) return ERR_LENGTH_REQUIRED;
  if (r->content_length > IMPORT_LIMIT) return ERR_TOO_LARGE;
  r->body = arena_alloc(r->arena, (size_t)r->content_length + 1);
  r->body_cap = (size_t)r->content_length + 1;
  return r->body ? ERR_OK : ERR_INTERNAL;
}

static enum err import_data(struct req *r, const char *buf, size_t len) {
  if (len > r->body_cap - 1 - r->body_len) return ERR_TOO_LARGE;
  memcpy(r->body + r->body_len, buf, len);
  r->body_len += len;
  r->body[r->body_len] = '\0';
  if (r->body_len == r->content_length) {
    static const struct parse_limits lim = {.max_fields = 8, .max_name = 32, .max_value = IMPORT_LIMIT};
    switch (parse_urlencoded(r->arena, r->body, r->body_len, &lim, &r->form)) {
    case PARSE_OK:
      break;
    case PARSE_MALFORMED:
    case PARSE_TOO_MANY:
    case PARSE_TOO_LONG:
      return ERR_BAD_FORM;
    case PARSE_NOMEM:
      return ERR_INTERNAL;
    }
  }
  return ERR_OK;
}

static const struct stream_ops import_stream = {.begin = import_begin, .data = import_data};

static void import_post(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  if (r->body_len != r->content_length) {
    reply_error(r, ERR_BAD_FORM, NULL);
    return;
  }
  const char *csv = req_form(r, "csv");
  if (!csv || !*csv) {
    spec_set(hdf, "Page.Title", "Import specialists from a CSV file");
    spec_set(hdf, "Form.Errors.csv", "Paste the contents of a CSV file, or choose a file.");
    reply_page(r, 422, "admin_specialists_import.cs");
    return;
  }
  struct import_report rep;
  struct actor who = spec_actor(r);
  enum err e = specialists_import_csv(&who, r->arena, csv, strlen(csv), &rep);
  if (e == ERR_INVALID) {
    spec_set(hdf, "Page.Title", "Import specialists from a CSV file");
    spec_set(hdf, "Form.Errors.csv", "The file was refused and nothing was imported. Fix the lines listed below and try again.");
    spec_set(hdf, "Form.Values.csv", csv);
    char key[48];
    for (size_t i = 0; i < rep.n_problems; i++) {
      snprintf(key, sizeof key, "Problems.%zu.Line", i);
      spec_set_int(hdf, key, (long long)rep.problems[i].line);
      snprintf(key, sizeof key, "Problems.%zu.Message", i);
      spec_set(hdf, key, rep.problems[i].message);
    }
    spec_set_int(hdf, "ProblemCount", (long long)rep.n_problems);
    if (rep.truncated) spec_set_int(hdf, "ProblemsTruncated", 1);
    reply_page(r, 422, "admin_specialists_import.cs");
    return;
  }
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_redirect(r, arena_printf(r->arena, "/admin/specialists?done=imported&created=%zu&updated=%zu", rep.created,
                                 rep.updated));
}

static void export_csv(struct req *r) {
  char *csv = NULL;
  size_t len = 0;
  struct actor who = spec_actor(r);
  enum err e = specialists_export_csv(&who, r->arena, &csv, &len);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  reply_bytes(r, 200, "text/csv; charset=utf-8", csv, len);
  free(csv);
  reply_header(r, "Content-Disposition", "attachment; filename=\"specialists.csv\"");
}

const struct route admin_specialists_routes[] = {
    {"GET", "/admin/specialists", list_page, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_specialists"},
    {"GET", "/admin/specialists/new", new_form, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_specialist_new"},
    {"POST", "/admin/specialists/new", create_post, ROLE_ADMIN, 0, BODY_FORM, 32768, NULL, "admin_specialist_create"},
    {"GET", "/admin/specialists/import", import_form, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_specialists_import"},
    {"POST", "/admin/specialists/import", import_post, ROLE_ADMIN, 0, BODY_STREAM, IMPORT_LIMIT, &import_stream,
     "admin_specialists_import_post"},
    {"GET", "/admin/specialists/export", export_csv, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_specialists_export"},
    {"GET", "/admin/specialists/{id}", edit_form, ROLE_ADMIN, 0, BODY_NONE, 0, NULL, "admin_specialist"},
    {"POST", "/admin/specialists/{id}", update_post, ROLE_ADMIN, 0, BODY_FORM, 32768, NULL, "admin_specialist_update"},
    {"POST", "/admin/specialists/{id}/invite", invite_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL, "admin_specialist_invite"},
    {"POST", "/admin/specialists/{id}/deactivate", deactivate_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL,
     "admin_specialist_deactivate"},
    {"POST", "/admin/specialists/{id}/reactivate", reactivate_post, ROLE_ADMIN, 0, BODY_FORM, 4096, NULL,
     "admin_specialist_reactivate"},
    {0},
};
