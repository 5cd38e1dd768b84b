/* "Send to our PACS" on the center's pages (routes/pacs.c): the destinations list of
 * /admin/center and the send form with each send's progress on a request's staff and reviewer
 * pages. */
#ifndef SECONDOP_PACS_VIEW_H
#define SECONDOP_PACS_VIEW_H
#include <ClearSilver.h>

#include "http/req.h"

/* The destinations under PacsDest.N (id, name, base_url, auth, auth_words, enabled "1"/"0",
 * has_ca, updated_at) for the admin's settings page. ERR_OK or the error. */
enum err pacs_admin_hdf(struct req *r, HDF *hdf);
/* The send form (posting to /requests/{Case.id}/pacs-sends; Pacs.Destinations.N.id/name, Pacs.Error from ?pacs_error) and
 * the request's sends (Pacs.Sends.N: destination, scope, state, state_words, answered, total,
 * percent, stored, failed, failure, sender, created_at, next_try_at, Items.M: sop, outcome,
 * words, modality, series) for a request's page. ERR_OK or the error. */
enum err pacs_case_hdf(struct req *r, HDF *hdf, long long request_id);
#endif
