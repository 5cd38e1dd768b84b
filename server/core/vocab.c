/* See vocab.h. Each key is written once, in the X-lists below. */
#include "core/vocab.h"

#include <string.h>

/* ---- roles ---- */
#define ROLES(X)                                          \
  X(VOCAB_KEY_PATIENT, "patient", VOCAB_ROLE_PATIENT)                 \
  X(VOCAB_KEY_STAFF, "center staff", VOCAB_ROLE_STAFF)                \
  X(VOCAB_KEY_REVIEWER, "reviewing radiologist", VOCAB_ROLE_REVIEWER) \
  X(VOCAB_KEY_ADMIN, "administrator", VOCAB_ROLE_ADMIN)

#define ROLE_WORD(k, l, b) {k, l},
const struct form_word VOCAB_ROLES[VOCAB_N_ROLES] = {ROLES(ROLE_WORD)};
#define ROLE_BIT(k, l, b) b,
static const unsigned role_bits[VOCAB_N_ROLES] = {ROLES(ROLE_BIT)};

static int find(const struct form_word *v, size_t n, const char *key) {
  for (size_t i = 0; key && i < n; i++)
    if (strcmp(key, v[i].key) == 0) return (int)i;
  return -1;
}

unsigned vocab_role_bit(const char *key) {
  int i = find(VOCAB_ROLES, VOCAB_N_ROLES, key);
  return i < 0 ? 0 : role_bits[i];
}
const char *vocab_role_key(unsigned bit) {
  for (size_t i = 0; i < VOCAB_N_ROLES; i++)
    if (role_bits[i] == bit) return VOCAB_ROLES[i].key;
  return NULL;
}
const char *vocab_role_label(const char *key) { return form_word_label(VOCAB_ROLES, VOCAB_N_ROLES, key); }
bool vocab_role_valid(const char *key) { return find(VOCAB_ROLES, VOCAB_N_ROLES, key) >= 0; }

/* ---- request statuses ---- */
/* key, the patient's words, the center's words on its pages, the queue filter's word */
#define STATUSES(X)                                                                                   \
  X("draft", "Draft: not sent yet", "Draft", "Draft")                                                 \
  X("submitted", "Sent: waiting for the center", "New", "Submitted")                                  \
  X("triage", "The center is checking your request", "In triage", "In triage")                        \
  X("needs_info", "Information needed from you", "Waiting for the patient", "Needs information")      \
  X("accepted", "Accepted", "Accepted", "Accepted")                                                   \
  X("scheduled", "Consultation scheduled", "Consultation scheduled", "Scheduled")                     \
  X("in_review", "The specialist is reviewing your images", "In review", "In review")                 \
  X("report_ready", "Your report is ready", "Report signed", "Report ready")                          \
  X("closed", "Closed", "Closed", "Closed")                                                           \
  X("declined", "Declined", "Declined", "Declined")                                                   \
  X("withdrawn", "Withdrawn", "Withdrawn", "Withdrawn")

#define STATUS_ROW(k, p, s, f) {k, p, s, f},
const struct vocab_status VOCAB_STATUSES[VOCAB_N_STATUSES] = {STATUSES(STATUS_ROW)};
#define STATUS_STAFF(k, p, s, f) {k, s},
#define STATUS_FILTER(k, p, s, f) {k, f},
const struct form_word VOCAB_STATUS_STAFF_WORDS[VOCAB_N_STATUSES] = {STATUSES(STATUS_STAFF)};
const struct form_word VOCAB_STATUS_FILTER[VOCAB_N_STATUS_FILTER] = {{"all", "Everything"}, STATUSES(STATUS_FILTER)};

int vocab_status_index(const char *key) { return find(VOCAB_STATUS_STAFF_WORDS, VOCAB_N_STATUSES, key); }
const char *vocab_status_patient(const char *key) {
  int i = vocab_status_index(key);
  return i < 0 ? NULL : VOCAB_STATUSES[i].patient;
}
const char *vocab_status_staff(const char *key) {
  int i = vocab_status_index(key);
  return i < 0 ? NULL : VOCAB_STATUSES[i].staff;
}
bool vocab_status_valid(const char *key) { return vocab_status_index(key) >= 0; }

/* ---- exam types ---- */
const struct form_word VOCAB_EXAM_TYPES[VOCAB_N_EXAM_TYPES] = {
    {"screening_mammogram", "Screening mammogram"},
    {"diagnostic_mammogram", "Diagnostic mammogram"},
    {"tomosynthesis", "Tomosynthesis (3D mammogram)"},
    {"ultrasound", "Breast ultrasound"},
    {"mri", "Breast MRI"},
};
const char *vocab_exam_label(const char *key) { return form_word_label(VOCAB_EXAM_TYPES, VOCAB_N_EXAM_TYPES, key); }

/* ---- recommendations ---- */
/* key, the clinical label, the patient's words, the reviewer's choice in the report form */
#define RECS(X)                                                                                                \
  X("routine_screening", "Routine screening", "routine screening at your usual interval", "Routine screening") \
  X("short_interval_followup", "Short-interval follow-up imaging (usually in 6 months)",                       \
    "a follow-up exam in about 6 months", "Short-interval follow-up")                                          \
  X("additional_imaging", "Additional imaging", "more imaging", "Additional imaging")                          \
  X("biopsy", "Biopsy", "a biopsy", "Biopsy")                                                                  \
  X("surgical_consultation", "Consultation with a breast surgeon", "a consultation with a breast surgeon",      \
    "Surgical consultation")                                                                                   \
  X("oncology_consultation", "Consultation with an oncologist", "a consultation with an oncologist",            \
    "Oncology consultation")

#define REC_ROW(k, l, p, c) {k, l, p, c},
const struct vocab_recommendation VOCAB_RECOMMENDATIONS[VOCAB_N_RECOMMENDATIONS] = {RECS(REC_ROW)};
#define REC_WORD(k, l, p, c) {k, l},
const struct form_word VOCAB_RECOMMENDATION_WORDS[VOCAB_N_RECOMMENDATIONS + 1] = {RECS(REC_WORD){"unknown", "Not stated"}};

int vocab_recommendation_index(const char *key) {
  return find(VOCAB_RECOMMENDATION_WORDS, VOCAB_N_RECOMMENDATIONS, key);
}
const char *vocab_recommendation_label(const char *key) {
  return form_word_label(VOCAB_RECOMMENDATION_WORDS, VOCAB_N_RECOMMENDATIONS, key);
}

/* ---- document kinds ---- */
/* key, the patient's list, the upload choice, what to do when missing, the
 * center's word, what staff ask for, the reviewer's word; the kinds staff
 * may ask for, then the one they do not (the authority) */
#define DOCS_ASKED(X)                                                                                        \
  X(VOCAB_DOC_IMAGES, "Images", "Images (CD, DVD, ZIP or ISO)",                                              \
    "Upload your images (the original data from your disc)", "Current images (original DICOM data)", "Images", \
    "Current images (original DICOM data)")                                                                  \
  X(VOCAB_DOC_PRIOR_IMAGES, "Earlier images", "Earlier images, for comparison",                              \
    "Upload earlier images for comparison", "Earlier images for comparison", "Earlier images",               \
    "Earlier images for comparison")                                                                         \
  X(VOCAB_DOC_RADIOLOGY, "Radiology report", "Radiology report", "Upload your radiology report",              \
    "Radiology report of the first read", "Radiology report", "original radiology report")                   \
  X(VOCAB_DOC_PATHOLOGY, "Pathology report", "Pathology report", "Upload your pathology report",              \
    "Pathology report", "Pathology report", "pathology report")                                              \
  X(VOCAB_DOC_REFERRAL, "Referral", "Referral", "Upload your referral", "Referral", "Referral", "Referral")   \
  X(VOCAB_DOC_INSURANCE_CARD, "Insurance card", "Insurance card", "Upload your insurance card",              \
    "Insurance card", "Insurance card", "Insurance card")                                                    \
  X(VOCAB_DOC_PHOTO_ID, "Photo ID", "Photo ID", "Upload a photo ID", "Photo ID", "Photo ID", "Photo ID")     \
  X(VOCAB_DOC_AUTHORIZATION, "Signed authorization form (paper)", "Signed authorization form (paper)",       \
    "Sign the release", "Signed authorization", "Signed authorization", "Signed authorization")              \
  X(VOCAB_DOC_OTHER, "Other", "Something else", NULL, "Something else (see the message)", "Something else",  \
    "Something else (see the message)")
#define DOCS_UNASKED(X)                                                                                      \
  X(VOCAB_DOC_AUTHORITY, "Document giving you authority",                                                    \
    "Document giving you authority (power of attorney, guardianship…)",                                     \
    "Upload the document that gives you authority to act", "Representative's authority document", NULL,      \
    "Representative's authority document")

#define DOC_ROW(k, p, u, t, s, q, r) {k, p, u, t, s, q, r},
const struct vocab_document VOCAB_DOCUMENTS[VOCAB_N_DOCUMENTS] = {DOCS_ASKED(DOC_ROW) DOCS_UNASKED(DOC_ROW)};
#define DOC_ASK(k, p, u, t, s, q, r) {k, q},
const struct form_word VOCAB_DOCUMENT_ASK_WORDS[VOCAB_N_DOCUMENT_ASK] = {DOCS_ASKED(DOC_ASK)};

const struct vocab_document *vocab_document(const char *key) {
  for (size_t i = 0; key && i < VOCAB_N_DOCUMENTS; i++)
    if (strcmp(key, VOCAB_DOCUMENTS[i].key) == 0) return &VOCAB_DOCUMENTS[i];
  return NULL;
}
bool vocab_document_valid(const char *key) { return vocab_document(key) != NULL; }

/* ---- biopsy results ---- */
const struct form_word VOCAB_BIOPSY[VOCAB_N_BIOPSY] = {
    {VOCAB_BIOPSY_NONE, "No biopsy"},
    {VOCAB_BIOPSY_BENIGN, "Benign"},
    {VOCAB_BIOPSY_MALIGNANT, "Malignant (cancer)"},
    {VOCAB_BIOPSY_PENDING, "Biopsy done, result pending"},
};
const char *vocab_biopsy_label(const char *key) { return form_word_label(VOCAB_BIOPSY, VOCAB_N_BIOPSY, key); }
