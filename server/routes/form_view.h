/* The HTTP side of the one form layer (core/form.h): the posted fields
 * handed to form_parse(), and the one way a form's typed values and its
 * error map go into a page (Form.Values.<name>, Form.Errors.<name>,
 * Form.ErrorCount), drawn by the field macros of templates/_macros.cs. */
#ifndef SECONDOP_FORM_VIEW_H
#define SECONDOP_FORM_VIEW_H
#include <ClearSilver.h>
#include <stdbool.h>

#include "core/form.h"
#include "http/req.h"

/* form_parse() over the request's urlencoded body, with today in the
 * person's own time zone. values[spec->n] and errs as form_parse. */
bool fv_parse(struct req *r, const struct form_spec *spec, void *ctx, struct form_value *values,
              struct form_errors *errs);
/* The request's urlencoded fields as form pairs (r->form.n of them, arena),
 * for a domain function that parses its own spec; NULL when out of memory. */
const struct form_pair *fv_pairs(struct req *r);
/* Echoes every value typed for the spec's fields (secret fields never) into
 * Form.Values.<name> (a multi vocabulary as Form.Values.<name>.<key> = 1),
 * and the error map into Form.Errors.<field> with Form.ErrorCount. */
void fv_fill(struct req *r, HDF *h, const struct form_spec *spec, const struct form_errors *errs);
#endif
