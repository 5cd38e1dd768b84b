/* GET /requests/{id}/access?page=N: every time someone at the center opened
 * the patient's request or records, grouped by person and day, newest first,
 * ACCESS_LOG_PER_PAGE groups a page (core/access_log.h: the owner only; 404
 * for anyone else, a malformed page number or a page past the last). */
#include "routes/patient_access.h"

#include <stdio.h>
#include <string.h>

#include "core/caregivers.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/tz.h"

void pa_fill(HDF *hdf, const struct access_page *p) {
  char num[32];
#define NUM(v, key)                                  \
  do {                                               \
    snprintf(num, sizeof num, "%lld", (long long)(v)); \
    cv_set(hdf, num, key);                           \
  } while (0)
  NUM(p->page, "Access.Page");
  NUM(p->pages, "Access.Pages");
  NUM(p->total_groups, "Access.TotalGroups");
  NUM(p->total_events, "Access.TotalEvents");
  if (p->page > 1) NUM(p->page - 1, "Access.PrevPage");
  if (p->page < p->pages) NUM(p->page + 1, "Access.NextPage");
#undef NUM
  for (size_t i = 0; i < p->n; i++) {
    const struct access_group *g = &p->groups[i];
    cv_set(hdf, g->day, "Access.Groups.%zu.Date", i);
    cv_set(hdf, g->day_words, "Access.Groups.%zu.Day", i);
    cv_set(hdf, g->who, "Access.Groups.%zu.Who", i);
    cv_set(hdf, g->role, "Access.Groups.%zu.Role", i);
    for (size_t k = 0; k < g->n_items; k++) cv_set(hdf, g->items[k], "Access.Groups.%zu.Items.%zu", i, k);
  }
}

/* The page number from ?page= (1 when absent); 0 when malformed. */
static long long page_number(struct req *r) {
  const char *s = req_query(r, "page");
  if (!s) return 1;
  long long v = 0;
  size_t n = strlen(s);
  if (n == 0 || n > 7) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static void access_page(struct req *r) {
  long long id = cv_param_id(r, "id");
  long long page = page_number(r);
  struct actor who = actor_from_req(r);
  struct access_page p;
  enum err e = id && page ? access_log_page(r->arena, &who, id, page, ACCESS_LOG_PER_PAGE, &p) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  cv_set(hdf, "Who at the center opened your records", "Page.Title");
  cv_set(hdf, arena_printf(r->arena, "%lld", id), "Request.Id");
  pa_fill(hdf, &p);
  /* what the people who act for her did with this request, naming both (core/caregivers.h) */
  struct cg_action *x = NULL;
  size_t nx = 0, k = 0;
  if ((e = caregivers_actions(r->arena, &who, 200, &x, &nx)) != ERR_OK) return reply_error(r, e, NULL);
  for (size_t i = 0; i < nx; i++)
      if (x[i].request_id == id)
        cv_set(hdf, arena_printf(r->arena, "%s %s on %s.", x[i].who, x[i].what, req_when(r, x[i].at, TZ_LONG)),
               "Helpers.%zu", k++);
  reply_page(r, 200, "requests_access.cs");
}

const struct route patient_access_routes[] = {
    {"GET", "/requests/{id}/access", access_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "request-access"},
    {0},
};
