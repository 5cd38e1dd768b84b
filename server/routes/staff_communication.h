/* Communication tasks on the staff pages (core/comm_tasks.h): the open
 * tasks at the top of the triage queue (CommTasks.*, template
 * _communication_tasks.cs), the task of one request (CommTask.*), and
 *   POST /staff/requests/{id}/communication   record that the referring
 *        physician was reached (who, when, how). */
#ifndef SECONDOP_STAFF_COMMUNICATION_H
#define SECONDOP_STAFF_COMMUNICATION_H
#include <ClearSilver.h>

#include "http/req.h"
#include "store/center.h"

/* Puts the open tasks (read with the queue's page, st_queue_page, as
 * comm_tasks_open reads them) under CommTasks.List.N.* (id, request_id, reference,
 * patient_name, created_at, due_at, overdue "t"/"f") and CommTasks.Count,
 * CommTasks.Overdue. */
void comm_view_queue(struct req *r, HDF *hdf, const struct rowset *open);
/* Puts the task of request id under CommTask.* (Exists "1"/"0", due_at,
 * overdue, logged, reached_whom, reached_at, HowLabel, note, logged_by_name,
 * logged_at). */
void comm_view_request(struct req *r, HDF *hdf, long long id);
#endif
