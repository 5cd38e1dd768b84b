/* "Who opened my records" (issue 15 item 6): GET /requests/{id}/access?page=N,
 * and the summary on the request's status page. */
#ifndef SECONDOP_ROUTES_PATIENT_ACCESS_H
#define SECONDOP_ROUTES_PATIENT_ACCESS_H

#include <ClearSilver.h>

#include "core/access_log.h"

/* Puts a page of groups under Access.* (Access.Groups.N.{Day,Who,Role,Items.M},
 * Access.Page, Access.Pages, Access.TotalGroups, Access.TotalEvents,
 * Access.PrevPage / Access.NextPage when they exist). Counts are strings. */
void pa_fill(HDF *hdf, const struct access_page *p);

#endif
