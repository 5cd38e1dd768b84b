/* The first-read section shared by the staff request page and the
 * reviewer's case page (core/first_read.h): what the patient told us, the
 * verified values, and the form to confirm or correct them. */
#ifndef SECONDOP_FIRST_READ_VIEW_H
#define SECONDOP_FIRST_READ_VIEW_H
#include <ClearSilver.h>

#include "core/first_read.h"
#include "http/req.h"
#include "store/center.h"

/* Puts FirstRead.* into hdf from the case row q (st_case columns): the
 * patient's answers, the verified values, the form's action URL and the
 * values to show selected. When errs has errors, the values the user sent
 * (r's form) are shown again with FirstRead.Errors.<field>. */
void fr_view(HDF *hdf, struct req *r, const struct rowset *q, const char *action, const struct center_errors *errs);
/* Reads the form fields fr_* of r into in (borrowed strings). */
void fr_form(struct req *r, struct first_read_in *in);
#endif
