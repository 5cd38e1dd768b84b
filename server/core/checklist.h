/* The required-items rules of a second-opinion request, as one pure
 * function over the patient's answers and the documents present. The
 * patient's records step, the review-and-submit page and the staff triage
 * page (issue 7) all show the same list from it.
 *
 * Rules: current images as original DICOM data taken within six months are
 * required; prior images for comparison are suggested; the radiology report
 * is required; the pathology report is required when a biopsy was done; the
 * authorization (signed in the portal or uploaded) is required; a photo ID is
 * required; the insurance card is required unless the patient pays
 * themselves; the referral is required when the plan needs one. */
#ifndef SECONDOP_CHECKLIST_H
#define SECONDOP_CHECKLIST_H
#include <stdbool.h>
#include <stddef.h>

struct checklist_input {
  /* answers */
  bool biopsy_done;
  bool self_pay;
  bool plan_needs_referral;
  bool authorization_signed; /* a portal signature in force */
  /* documents present (kept, not skipped) */
  long long dicom_images, pictures, image_studies, prior_images;
  const char *newest_image_date; /* YYYYMMDD of the newest DICOM image study, or "" */
  long long radiology_report, pathology_report, authorization_uploaded, photo_id, insurance_card, referral;
  /* today's date as YYYYMMDD (the rules never read the clock themselves) */
  const char *today;
};

enum checklist_need { CL_REQUIRED, CL_SUGGESTED, CL_NOT_NEEDED };
enum checklist_state { CL_DONE, CL_MISSING, CL_ATTENTION };

struct checklist_item {
  const char *key;    /* "images", "prior_images", "radiology_report", "pathology_report", "authorization",
                         "photo_id", "insurance_card", "referral" (the document kind, except authorization) */
  const char *label;  /* "Current images (original DICOM data)" */
  enum checklist_need need;
  enum checklist_state state;
  const char *note;   /* plain sentence about its state (static text) */
};

#define CHECKLIST_ITEMS 8

/* Fills out[CHECKLIST_ITEMS] from the input (no allocation; the strings are
 * static). Returns the number of items (always CHECKLIST_ITEMS). */
size_t checklist_build(const struct checklist_input *in, struct checklist_item out[CHECKLIST_ITEMS]);
/* True when every required item is done. */
bool checklist_complete(const struct checklist_item *items, size_t n);
/* Number of required items not done. */
size_t checklist_missing(const struct checklist_item *items, size_t n);
/* True when YYYYMMDD date d is no more than six calendar months before
 * today (also YYYYMMDD) and not after it. False when either is malformed. */
bool checklist_within_six_months(const char *d, const char *today);
#endif
