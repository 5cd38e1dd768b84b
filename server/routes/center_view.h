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
/* An instant in the store's wire form (util/tz.h) as the person being served
 * reads it (tz_view(): "2026-12-01 14:05 CET"); other text unchanged. cv_row
 * and cv_rows do this for every column named "at" or "…_at". */
const char *cv_when(struct arena *a, const char *wire);
/* Copies row i under prefix.<column>. 0 or -1. */
int cv_row(HDF *hdf, const char *prefix, const struct rowset *rs, size_t i);
/* hdf_set_value with a printf-formatted name. */
void cv_set(HDF *hdf, const char *value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Plain label of a stored status name. */
const char *cv_status_label(const char *status);
/* Labels of the document kinds (checklist keys). */
const char *cv_kind_label(const char *kind);
struct arena;
/* Exam types stored as "screening_mammogram;tomosynthesis" in the patient's
 * words, comma-separated ("" when none); arena string. */
const char *cv_exam_types_words(struct arena *a, const char *joined);
/* Rewrites prefix.N.column (N < n) from a DICOM or ISO date to words
 * ("2 November 2026"); text that is no date stays as written. */
void cv_date_words(HDF *hdf, struct arena *a, const char *prefix, const char *column, size_t n);
/* Plain words for an account role ("reviewer" → "reviewing radiologist"). */
const char *cv_role_words(const char *role);
struct rqs_message;
/* The thread for the center's pages under Thread.Items.N (author, role in
 * words, at, body, internal "1"/"0", new "1" for a patient's message the
 * center had not read) and Thread.Unread (count). */
void cv_thread(HDF *hdf, const struct rqs_message *m, size_t n, long long reader_id);
/* After cv_thread: a message written by someone who acts for patient_id (a
 * caregiver or representative) names both people, "María Rivera's daughter
 * Ana Rivera (acting for the patient)", as the rest of the feature does
 * (caregivers_who). Strings from the arena. */
void cv_thread_people(HDF *hdf, struct arena *a, const struct rqs_message *m, size_t n, long long patient_id,
                      long long reader_id);
#endif
