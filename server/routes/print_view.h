/* The header of printed pages (issue 15 item 6): the report (patient and
 * reviewer), the records-request letter and the HIPAA authorization carry the
 * patient's name and date of birth, the request's reference and the center's
 * name and address, from the domain (core/center.h center_print_header). */
#ifndef SECONDOP_ROUTES_PRINT_VIEW_H
#define SECONDOP_ROUTES_PRINT_VIEW_H

#include <ClearSilver.h>

#include "http/req.h"
#include "util/err.h"

/* Sets Print.PatientName, Print.BirthDate (in words, "" when unknown),
 * Print.Reference, Print.CenterName, Print.CenterAddress.N (one per line) for
 * request `id` as the signed-in actor sees it. ERR_NOT_FOUND without access;
 * nothing is audited here (the page's own read is). */
enum err pv_print_header(struct req *r, HDF *hdf, long long id);

#endif
