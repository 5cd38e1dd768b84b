/* The first read as the center verified it (issue 12, item 5): staff, or the
 * reviewer assigned to the request, confirm or correct the first read's
 * BI-RADS category, recommended next step, biopsy result (with its date) and
 * exam date from the uploaded report. The patient's own answers stay as she
 * gave them; triage (and concordance) use the verified values once set.
 * No HTTP types. */
#ifndef SECONDOP_FIRST_READ_H
#define SECONDOP_FIRST_READ_H
#include <stdbool.h>

#include "core/actor.h"
#include "core/center.h"
#include "util/err.h"

struct arena;

/* What the form sends (values as typed; NULL or "" when empty). */
struct first_read_in {
  const char *birads;         /* 0 1 2 3 4 4A 4B 4C 5 6, or "unknown" (the report does not say) */
  const char *recommendation; /* reports.recommendation vocabulary, or "unknown" */
  const char *biopsy;         /* none benign malignant pending */
  const char *biopsy_date;    /* YYYY-MM-DD: required unless biopsy is none, empty then */
  const char *exam_date;      /* YYYY-MM-DD, optional */
};

/* The form (core/form.h): fr_birads (a category or "unknown"),
 * fr_recommendation (a recommendation or "unknown"), fr_biopsy (none benign
 * malignant pending), fr_biopsy_date (YYYY-MM-DD, required unless none, empty
 * then; not in the future), fr_exam_date (optional, not in the future). One
 * message per field a person can act on. Static. */
struct form_pair;
const struct form_spec *first_read_form(void);

/* Plain words for a verified biopsy value ("Benign"); the value itself when unknown. */
const char *first_read_biopsy_label(const char *v);

/* Parses the posted form against first_read_form() (today: the person's
 * own date, YYYY-MM-DD), then verifies the first read of request `id` in one
 * transaction: access (staff on any request past draft; the assigned
 * reviewer on theirs; anyone else ERR_NOT_FOUND), the update, a
 * staff-timeline event in plain words saying what was confirmed and what was
 * corrected, and the audit row request.first_read.verify (field names only,
 * no clinical values). ERR_INVALID with errs filled when a value is wrong
 * (nothing read or changed). */
enum err first_read_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *pairs,
                           size_t n, const char *today, struct center_errors *errs);
#endif
