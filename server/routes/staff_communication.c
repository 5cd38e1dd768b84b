/* Communication tasks on the staff pages: see staff_communication.h. */
#include "routes/staff_communication.h"

#include <string.h>

#include "core/comm_tasks.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/form_view.h"
#include "routes/routes.h"
#include "util/arena.h"

void comm_view_queue(struct req *r, HDF *hdf, const struct rowset *open) {
  const struct rowset rs = *open;
  cv_rows(hdf, "CommTasks.List", &rs);
  size_t overdue = 0;
  for (size_t i = 0; i < rs.n; i++) overdue += rs_bool(&rs, i, "overdue");
  hdf_set_value(hdf, "CommTasks.Count", arena_printf(r->arena, "%zu", rs.n));
  hdf_set_value(hdf, "CommTasks.Overdue", arena_printf(r->arena, "%zu", overdue));
}

void comm_view_request(struct req *r, HDF *hdf, long long id) {
  struct actor who = actor_from_req(r);
  struct rowset t;
  hdf_set_value(hdf, "CommTask.Exists", "0");
  if (comm_task_get(r->arena, &who, id, &t) != ERR_OK) return;
  cv_row(hdf, "CommTask", &t, 0);
  hdf_set_value(hdf, "CommTask.Exists", "1");
  hdf_set_value(hdf, "CommTask.HowLabel", comm_how_label(rs_get(&t, 0, "reached_how")));
}

static void log_post(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct center_errors errs = {0};
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  enum err e = comm_task_log_submit(r->arena, &who, id, in, r->form.n, req_tz(r), &errs);
  if (e == ERR_INVALID) return staff_request_show_form(r, id, &errs, comm_task_log_form(), "communication", 422, NULL);
  if (e == ERR_CONFLICT)
    return staff_request_show_form(r, id, NULL, NULL, NULL, 409,
                                   "The call to the referring physician is already recorded. Nothing was changed.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/staff/requests/%lld?done=communication", id));
}

const struct route staff_communication_routes[] = {
    {"POST", "/staff/requests/{id}/communication", log_post, ROLE_STAFF, 0, BODY_FORM, 8 * 1024, NULL,
     "staff-communication"},
    {0},
};
