/* Helpers the center's route families share: path ids, rowsets into page
 * data, state names for pages. */
#ifndef SECONDOP_CENTER_VIEW_H
#define SECONDOP_CENTER_VIEW_H
#include <ClearSilver.h>

#include "http/req.h"
#include "store/center.h"

/* Path parameter as a positive id, or 0. */
long long cv_param_id(struct req *r, const char *name);
/* Copies each row of rs under prefix.N.<column> (values escaped at output by the template). 0 or -1. */
int cv_rows(HDF *hdf, const char *prefix, const struct rowset *rs);
/* Copies row i under prefix.<column>. 0 or -1. */
int cv_row(HDF *hdf, const char *prefix, const struct rowset *rs, size_t i);
/* hdf_set_value with a printf-formatted name. */
void cv_set(HDF *hdf, const char *value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Plain label of a stored status name. */
const char *cv_status_label(const char *status);
/* Labels of the document kinds (checklist keys). */
const char *cv_kind_label(const char *kind);
#endif
