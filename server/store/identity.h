/* SQL for the identity check: a request's images grouped by series and by
 * the patient name and birth date each file names (core/identity.h). */
#ifndef SECONDOP_STORE_IDENTITY_H
#define SECONDOP_STORE_IDENTITY_H
#include <stddef.h>

#include "core/identity.h"
#include "util/err.h"

struct arena;

/* Registers the statements (call before threads start). */
void identity_store_register(void);

/* The distinct (series, patient name, birth date) of a request's DICOM
 * documents with how many files name each, newest study first, then by
 * series and most files first. One row per group, however many files: a
 * 2,000-file upload of one patient is one row per series. Rows and strings
 * live in the arena; sex is "" (not stored). */
enum err identity_rows_list(struct arena *a, long long request_id, struct identity_row **out, size_t *n);
#endif
