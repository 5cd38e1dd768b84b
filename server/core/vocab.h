/* The product's vocabularies, each spelled once (issue 15 item 1: "one
 * module per vocabulary"): roles, request statuses with their patient and
 * staff words, exam types, recommendations, biopsy results. Every other
 * file asks this module for a key, a label or a parse; SQL CHECK
 * constraints in the migrations keep their own lists. Tables are in the
 * order pages show them; tests/unit/test_vocab.c pins every key and word
 * and checks that no other C file spells the keys again. */
#ifndef SECONDOP_CORE_VOCAB_H
#define SECONDOP_CORE_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/form.h"

/* ---- roles ---- */
/* The role bits (enum role in http/req.h, ACCT_ROLE_* in accounts.h). */
#define VOCAB_ROLE_PATIENT (1u << 0)
#define VOCAB_ROLE_STAFF (1u << 1)
#define VOCAB_ROLE_REVIEWER (1u << 2)
#define VOCAB_ROLE_ADMIN (1u << 3)
/* The role keys, for code that needs one at compile time. */
#define VOCAB_KEY_PATIENT "patient"
#define VOCAB_KEY_STAFF "staff"
#define VOCAB_KEY_REVIEWER "reviewer"
#define VOCAB_KEY_ADMIN "admin"
/* key "patient", "staff", "reviewer", "admin"; label the words a person
 * reads ("patient", "center staff", "reviewing radiologist",
 * "administrator"). */
extern const struct form_word VOCAB_ROLES[4];
#define VOCAB_N_ROLES 4
/* The bit of a role key; 0 for NULL or an unknown key. */
unsigned vocab_role_bit(const char *key);
/* The key of one role bit; NULL for 0, several bits or an unknown bit. */
const char *vocab_role_key(unsigned bit);
/* The words of a role key; NULL for NULL or an unknown key. */
const char *vocab_role_label(const char *key);
bool vocab_role_valid(const char *key);

/* ---- request statuses (enum req_status order, core/requests.h) ---- */
struct vocab_status {
  const char *key;     /* what the store keeps */
  const char *patient; /* what the patient reads ("Sent: waiting for the center") */
  const char *staff;   /* what the center reads on its pages ("New") */
  const char *filter;  /* the center's queue filter ("Submitted") */
};
extern const struct vocab_status VOCAB_STATUSES[11];
#define VOCAB_N_STATUSES 11
/* The statuses as a form vocabulary with the staff words. */
extern const struct form_word VOCAB_STATUS_STAFF_WORDS[11];
/* The queue's status filter: {"all", "Everything"} then every status with
 * its filter word (VOCAB_N_STATUSES + 1 entries). */
extern const struct form_word VOCAB_STATUS_FILTER[12];
#define VOCAB_N_STATUS_FILTER 12
/* The index of a status key (its enum req_status), or -1. */
int vocab_status_index(const char *key);
const char *vocab_status_patient(const char *key); /* NULL when unknown */
const char *vocab_status_staff(const char *key);   /* NULL when unknown */
bool vocab_status_valid(const char *key);

/* ---- exam types (the first-exam step) ---- */
extern const struct form_word VOCAB_EXAM_TYPES[5];
#define VOCAB_N_EXAM_TYPES 5
const char *vocab_exam_label(const char *key); /* NULL when unknown */

/* ---- recommendations (enum birads_rec order, core/birads.h) ---- */
struct vocab_recommendation {
  const char *key;     /* "biopsy" */
  const char *label;   /* for clinicians: "Biopsy" */
  const char *patient; /* for the patient: "a biopsy" */
  const char *choice;  /* the reviewer's choice in the report form: "Biopsy" */
};
extern const struct vocab_recommendation VOCAB_RECOMMENDATIONS[6];
#define VOCAB_N_RECOMMENDATIONS 6
/* The recommendations as a form vocabulary, then {"unknown", "Not stated"}
 * (VOCAB_N_RECOMMENDATIONS + 1 entries). */
extern const struct form_word VOCAB_RECOMMENDATION_WORDS[7];
/* The index of a key (its enum birads_rec), or -1. */
int vocab_recommendation_index(const char *key);
const char *vocab_recommendation_label(const char *key); /* NULL when unknown */

/* ---- document kinds (what a patient uploads; the checklist's keys) ---- */
struct vocab_document {
  const char *key;     /* "pathology_report" */
  const char *patient; /* the patient's list of her documents: "Pathology report" */
  const char *upload;  /* the upload page's choice: "Pathology report" */
  const char *todo;    /* what to do when missing: "Upload your pathology report" */
  const char *staff;   /* what the center reads: "Pathology report" */
  const char *ask;     /* what staff may ask for: "Pathology report"; NULL when not asked for */
  const char *reviewer; /* the reviewer's case page: "pathology report" */
};
/* In the upload page's order; the representative's authority document last. */
extern const struct vocab_document VOCAB_DOCUMENTS[10];
#define VOCAB_N_DOCUMENTS 10
/* What staff may ask the patient to send (the kinds with an ask word), as a
 * form vocabulary. */
extern const struct form_word VOCAB_DOCUMENT_ASK_WORDS[9];
#define VOCAB_N_DOCUMENT_ASK 9
#define VOCAB_DOC_IMAGES "images"
#define VOCAB_DOC_PRIOR_IMAGES "prior_images"
#define VOCAB_DOC_RADIOLOGY "radiology_report"
#define VOCAB_DOC_PATHOLOGY "pathology_report"
#define VOCAB_DOC_REFERRAL "referral"
#define VOCAB_DOC_INSURANCE_CARD "insurance_card"
#define VOCAB_DOC_PHOTO_ID "photo_id"
#define VOCAB_DOC_AUTHORIZATION "authorization"
#define VOCAB_DOC_OTHER "other"
#define VOCAB_DOC_AUTHORITY "authority_document"
/* The row of a kind, or NULL when unknown. */
const struct vocab_document *vocab_document(const char *key);
bool vocab_document_valid(const char *key);

/* ---- biopsy results of the first read ---- */
#define VOCAB_BIOPSY_NONE "none"
#define VOCAB_BIOPSY_BENIGN "benign"
#define VOCAB_BIOPSY_MALIGNANT "malignant"
#define VOCAB_BIOPSY_PENDING "pending"
extern const struct form_word VOCAB_BIOPSY[4];
#define VOCAB_N_BIOPSY 4
const char *vocab_biopsy_label(const char *key); /* NULL when unknown */

#endif
