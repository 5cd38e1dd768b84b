#include "core/checklist.h"
#include "core/vocab.h"

#include <ctype.h>
#include <string.h>

/* Parses YYYYMMDD into y, m, d; false when malformed. */
static bool ymd(const char *s, int *y, int *m, int *d) {
  if (!s || strlen(s) != 8) return false;
  for (int i = 0; i < 8; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  *m = (s[4] - '0') * 10 + (s[5] - '0');
  *d = (s[6] - '0') * 10 + (s[7] - '0');
  return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

bool checklist_within_six_months(const char *date, const char *today) {
  int y, m, d, ty, tm, td;
  if (!ymd(date, &y, &m, &d) || !ymd(today, &ty, &tm, &td)) return false;
  long v = (long)y * 10000 + m * 100 + d, t = (long)ty * 10000 + tm * 100 + td;
  if (v > t) return false;
  /* the same day six months earlier (a day past a short month's end compares fine) */
  int ly = ty, lm = tm - 6;
  if (lm < 1) {
    lm += 12;
    ly--;
  }
  long limit = (long)ly * 10000 + lm * 100 + td;
  return v >= limit;
}

static void set(struct checklist_item *it, const char *key, const char *label, enum checklist_need need,
                enum checklist_state state, const char *note) {
  it->key = key;
  it->label = label;
  it->need = need;
  it->state = state;
  it->note = note;
}

size_t checklist_build(const struct checklist_input *in, struct checklist_item out[CHECKLIST_ITEMS]) {
  size_t n = 0;
  /* current images */
  if (in->dicom_images > 0) {
    if (in->newest_image_date && *in->newest_image_date && in->today &&
        !checklist_within_six_months(in->newest_image_date, in->today))
      set(&out[n++], VOCAB_DOC_IMAGES, "Current images (original DICOM data)", CL_REQUIRED, CL_ATTENTION,
          "The newest images we received are more than six months old. Please add the images from your most "
          "recent exam.");
    else
      set(&out[n++], VOCAB_DOC_IMAGES, "Current images (original DICOM data)", CL_REQUIRED, CL_DONE, "Received.");
  } else if (in->pictures > 0) {
    set(&out[n++], VOCAB_DOC_IMAGES, "Current images (original DICOM data)", CL_REQUIRED, CL_ATTENTION,
        "We only have pictures or screenshots. The specialist needs the original image data (DICOM), "
        "usually on the disc from the imaging center.");
  } else {
    set(&out[n++], VOCAB_DOC_IMAGES, "Current images (original DICOM data)", CL_REQUIRED, CL_MISSING,
        "Needed: the images from your exam, as original data (the disc or download from the imaging center).");
  }
  /* prior images: suggested */
  if (in->prior_images > 0 || in->image_studies >= 2)
    set(&out[n++], VOCAB_DOC_PRIOR_IMAGES, "Earlier images for comparison", CL_SUGGESTED, CL_DONE, "Received.");
  else
    set(&out[n++], VOCAB_DOC_PRIOR_IMAGES, "Earlier images for comparison", CL_SUGGESTED, CL_MISSING,
        "Suggested: images from earlier exams (ideally two years back) help the specialist compare.");
  /* reports */
  set(&out[n++], VOCAB_DOC_RADIOLOGY, "Radiology report of your exam", CL_REQUIRED,
      in->radiology_report > 0 ? CL_DONE : CL_MISSING,
      in->radiology_report > 0 ? "Received." : "Needed: the written report that came with your exam.");
  if (in->biopsy_done)
    set(&out[n++], VOCAB_DOC_PATHOLOGY, "Pathology report of your biopsy", CL_REQUIRED,
        in->pathology_report > 0 ? CL_DONE : CL_MISSING,
        in->pathology_report > 0 ? "Received." : "Needed because you had a biopsy: the pathology report.");
  else
    set(&out[n++], VOCAB_DOC_PATHOLOGY, "Pathology report of your biopsy", CL_NOT_NEEDED,
        in->pathology_report > 0 ? CL_DONE : CL_MISSING, "Not needed: you told us no biopsy was done.");
  /* authorization */
  {
    bool done = in->authorization_signed || in->authorization_uploaded > 0;
    set(&out[n++], VOCAB_DOC_AUTHORIZATION, "Signed authorization (release form)", CL_REQUIRED, done ? CL_DONE : CL_MISSING,
        in->authorization_signed ? "Signed in the portal."
        : done                   ? "Signed paper form received."
                                 : "Needed: sign the authorization in the portal, or upload a signed form.");
  }
  set(&out[n++], VOCAB_DOC_PHOTO_ID, "Photo ID", CL_REQUIRED, in->photo_id > 0 ? CL_DONE : CL_MISSING,
      in->photo_id > 0 ? "Received." : "Needed: a picture of your driver's license, passport or other photo ID.");
  if (in->self_pay)
    set(&out[n++], VOCAB_DOC_INSURANCE_CARD, "Insurance card", CL_NOT_NEEDED, in->insurance_card > 0 ? CL_DONE : CL_MISSING,
        "Not needed: you are paying yourself.");
  else
    set(&out[n++], VOCAB_DOC_INSURANCE_CARD, "Insurance card", CL_REQUIRED, in->insurance_card > 0 ? CL_DONE : CL_MISSING,
        in->insurance_card > 0 ? "Received." : "Needed: a picture of both sides of your insurance card.");
  if (in->plan_needs_referral && !in->self_pay)
    set(&out[n++], VOCAB_DOC_REFERRAL, "Referral from your doctor", CL_REQUIRED, in->referral > 0 ? CL_DONE : CL_MISSING,
        in->referral > 0 ? "Received." : "Needed because your plan requires a referral: ask your doctor for one.");
  else
    set(&out[n++], VOCAB_DOC_REFERRAL, "Referral from your doctor", CL_NOT_NEEDED, in->referral > 0 ? CL_DONE : CL_MISSING,
        "Not needed: your plan does not require a referral.");
  return n;
}

size_t checklist_missing(const struct checklist_item *items, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (items[i].need == CL_REQUIRED && items[i].state != CL_DONE) m++;
  return m;
}

bool checklist_complete(const struct checklist_item *items, size_t n) { return checklist_missing(items, n) == 0; }
