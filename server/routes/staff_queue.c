/* GET /staff/queue: the triage queue, most urgent first (core/triage.h),
 * with filters (status, priority, specialist, overdue, incomplete), search
 * by reference or patient name, counts per status and due dates. */
#include <ClearSilver.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/center.h"
#include "core/requests.h"
#include "core/triage.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/staff_communication.h"
#include "routes/center_view.h"
#include "routes/routes.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/tz.h"

#define PER_PAGE 50

/* Sets a value under a row's node (a failure leaves it unset: it reads ""). */
static void set_on(HDF *node, const char *name, const char *value) {
  NEOERR *err = hdf_set_value(node, name, value ? value : "");
  if (err) nerr_ignore(&err);
}

static void queue_page(struct req *r) {
  struct actor who = actor_from_req(r);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  struct arena *a = r->arena;
  /* the filters through the form layer: a bad value is said next to its filter, and the
   * page shows the open requests unfiltered (400, never a dead end) */
  struct form_pair *in = arena_alloc(a, (r->query.n + 1) * sizeof *in);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  for (size_t i = 0; i < r->query.n; i++) in[i] = (struct form_pair){r->query.items[i].name, r->query.items[i].value};
  struct st_queue_filter f = {0};
  long long page = 1;
  struct form_errors ferrs;
  bool filters_ok = center_queue_filter(a, in, r->query.n, &f, &page, &ferrs);
  long long prio = f.priority, spec = f.specialist_id;
  f.limit = PER_PAGE;
  f.offset = (page - 1) * PER_PAGE;
  struct st_queue_page pg;
  enum err e = center_queue(a, &who, &f, &pg);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  const struct rowset rows = pg.rows, counts = pg.counts;
  long long total = pg.total, overdue = pg.overdue;
  hdf_set_value(hdf, "Page.Title", "Triage queue");
  hdf_set_value(hdf, "Page.Name", "staff-queue");
  /* Only what the template shows, set on each row's node (a full path per
   * value walks the tree from the root again: most of the page's CPU time).
   * Empty values and false marks are left unset: the template tests them as
   * strings (row.x != "", row.is_x == "1"), and an unset value reads "". */
  enum { C_PRIORITY = 3, C_SUBMITTED = 7 }; /* indexes of "priority" and "submitted" in shown_cols */
  static const char *const shown_cols[] = {"id",         "reference",  "patient_name", "priority",
                                           "eff_birads", "eff_biopsy", "treatment_date", "submitted",
                                           "due",        "specialist", "claimed_by"};
  enum { NSHOWN = sizeof shown_cols / sizeof shown_cols[0] };
  enum { C_STATUS, C_NEG = 8, C_NOIMG, C_OLD, NFLAG };
  /* columns read per row, and the template's mark for each true one */
  static const char *const flag_cols[NFLAG] = {
      "status",        "overdue",    "due_cannot_meet",         "treatment_passed", "benign_discordant",
      "verified",      "release_first", "incomplete",           "flag_negative_screening", "flag_no_images",
      "flag_old_exam"};
  static const char *const flag_keys[NFLAG] = {
      NULL,          "is_overdue",       "is_cannot_meet", "is_treatment_passed", "is_benign_discordant",
      "is_verified", "is_release_first", "is_incomplete",  NULL,                  NULL,
      NULL};
  long shown_idx[NSHOWN], flag_idx[NFLAG];
  /* patients' messages nobody at the center has read yet, per request (read with the page) */
  long unread_idx = rs_col(&rows, "unread");
  for (size_t c = 0; c < NSHOWN; c++) shown_idx[c] = rs_col(&rows, shown_cols[c]);
  for (size_t c = 0; c < NFLAG; c++) flag_idx[c] = rs_col(&rows, flag_cols[c]);
  for (size_t i = 0; i < rows.n; i++) {
    HDF *node = NULL;
    char key[40];
    snprintf(key, sizeof key, "Queue.Rows.%zu", i);
    NEOERR *err = hdf_get_node(hdf, key, &node);
    if (err) {
      nerr_ignore(&err);
      return reply_error(r, ERR_INTERNAL, NULL);
    }
    const char *const *row = rows.v + i * rows.ncol;
#define CELL(idx) ((idx) >= 0 ? row[(idx)] : "")
#define TRUE_AT(idx) (CELL(idx)[0] == 't')
    for (size_t c = 0; c < NSHOWN; c++)
      if (*CELL(shown_idx[c]))
        set_on(node, shown_cols[c], c == C_SUBMITTED ? req_when(r, CELL(shown_idx[c]), TZ_DATE) : CELL(shown_idx[c]));
    set_on(node, "status_label", cv_status_label(CELL(flag_idx[C_STATUS])));
    long long prio_n = strtoll(CELL(shown_idx[C_PRIORITY]), NULL, 10);
    set_on(node, "priority_label", triage_priority_label((enum triage_priority)prio_n));
    for (size_t c = 0; c < NFLAG; c++)
      if (flag_keys[c] && TRUE_AT(flag_idx[c])) set_on(node, flag_keys[c], "1");
    int flags = TRUE_AT(flag_idx[C_NEG]) + TRUE_AT(flag_idx[C_NOIMG]) + TRUE_AT(flag_idx[C_OLD]);
    set_on(node, "flags", flags == 0 ? "0" : flags == 1 ? "1" : flags == 2 ? "2" : "3");
    if (strtoll(CELL(unread_idx), NULL, 10) > 0) set_on(node, "unread", CELL(unread_idx));
#undef TRUE_AT
#undef CELL
  }
  static const enum req_status shown[] = {RS_SUBMITTED, RS_TRIAGE,       RS_NEEDS_INFO, RS_ACCEPTED, RS_SCHEDULED,
                                          RS_IN_REVIEW, RS_REPORT_READY, RS_CLOSED,     RS_DECLINED, RS_WITHDRAWN};
  for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
    const char *name = req_status_name(shown[k]);
    long long n = 0;
    for (size_t i = 0; i < counts.n; i++)
      if (strcmp(rs_get(&counts, i, "status"), name) == 0) n = rs_ll(&counts, i, "n");
    cv_set(hdf, name, "Queue.Counts.%zu.status", k);
    cv_set(hdf, cv_status_label(name), "Queue.Counts.%zu.label", k);
    cv_set(hdf, arena_printf(a, "%lld", n), "Queue.Counts.%zu.n", k);
  }
  hdf_set_value(hdf, "Queue.Overdue", arena_printf(a, "%lld", overdue));
  bool more = total > ST_QUEUE_COUNT_CAP && total > f.offset + f.limit;
  hdf_set_value(hdf, "Queue.Total", arena_printf(a, "%lld", more ? total - 1 : total));
  hdf_set_value(hdf, "Queue.MoreThan", more ? "1" : "0");
  for (int k = 1; k <= TRIAGE_CLASSES; k++) {
    cv_set(hdf, arena_printf(a, "%d", k), "Priorities.%d.n", k);
    cv_set(hdf, triage_priority_label((enum triage_priority)k), "Priorities.%d.label", k);
  }
  hdf_set_value(hdf, "Queue.Page", arena_printf(a, "%lld", page));
  if (page > 1) hdf_set_value(hdf, "Queue.Prev", arena_printf(a, "%lld", page - 1));
  if (page * PER_PAGE < total) hdf_set_value(hdf, "Queue.Next", arena_printf(a, "%lld", page + 1));
  hdf_set_value(hdf, "Filter.status", f.status);
  hdf_set_value(hdf, "Filter.priority", prio ? arena_printf(a, "%lld", prio) : "");
  hdf_set_value(hdf, "Filter.specialist", spec ? arena_printf(a, "%lld", spec) : "");
  hdf_set_value(hdf, "Filter.overdue", f.overdue ? "1" : "");
  hdf_set_value(hdf, "Filter.incomplete", f.incomplete ? "1" : "");
  hdf_set_value(hdf, "Filter.q", f.q);
  /* the query string for pager links, without page */
  hdf_set_value(hdf, "Filter.Qs",
                arena_printf(a, "status=%s&priority=%s&specialist=%s&overdue=%s&incomplete=%s", f.status,
                             prio ? arena_printf(a, "%lld", prio) : "", spec ? arena_printf(a, "%lld", spec) : "",
                             f.overdue ? "1" : "", f.incomplete ? "1" : ""));
  cv_rows(hdf, "Specialists", &pg.assignable);
  comm_view_queue(r, hdf, &pg.comm);
  if (!filters_ok) {
    /* what was typed in the search box comes back; each mistake next to its filter */
    const char *typed = req_query(r, "q");
    if (typed) hdf_set_value(hdf, "Filter.q", typed);
    for (size_t i = 0; i < ferrs.n; i++) cv_set(hdf, ferrs.e[i].message, "Form.Errors.%s", ferrs.e[i].field);
    hdf_set_int_value(hdf, "Form.ErrorCount", (int)ferrs.n);
  }
  reply_page(r, filters_ok ? 200 : 400, "staff_queue.cs");
}

const struct route staff_queue_routes[] = {
    {"GET", "/staff/queue", queue_page, ROLE_STAFF, 0, BODY_NONE, 0, NULL, "staff-queue"},
    {0},
};
