/* BI-RADS as a type: the one vocabulary of categories and recommendations,
 * their words for patients and clinicians, and the ACR (5th edition)
 * management each implies. Pure, no database, no HTTP. Every page, e-mail
 * and export that shows a category or a recommendation takes its words from
 * here; templates receive the words from C and never test a clinical value
 * for truth (ClearSilver's if: treats "0" as false).
 *
 * Management: 1, 2 → routine screening; 3 → short-interval follow-up;
 * 0 → recall for additional imaging; 4, 4A, 4B, 4C, 5 → tissue diagnosis;
 * 6 → known cancer, treatment. Recommendations: routine_screening → routine;
 * short_interval_followup → short; additional_imaging → recall; biopsy →
 * tissue; surgical_consultation, oncology_consultation → treatment. */
#ifndef SECONDOP_BIRADS_H
#define SECONDOP_BIRADS_H
#include <stdbool.h>
#include <stddef.h>

enum birads { BI_UNKNOWN = -1, BI_0, BI_1, BI_2, BI_3, BI_4, BI_4A, BI_4B, BI_4C, BI_5, BI_6, BI_COUNT };
enum birads_rec {
  REC_NONE = -1,
  REC_ROUTINE_SCREENING,
  REC_SHORT_INTERVAL_FOLLOWUP,
  REC_ADDITIONAL_IMAGING,
  REC_BIOPSY,
  REC_SURGICAL_CONSULTATION,
  REC_ONCOLOGY_CONSULTATION,
  REC_COUNT
};
enum birads_mgmt { MG_NONE, MG_ROUTINE, MG_SHORT, MG_RECALL, MG_TISSUE, MG_TREATMENT };

/* Parses a stored category ("0" … "6", "4A"…); BI_UNKNOWN for NULL, "",
 * "unknown" or anything else. */
enum birads birads_parse(const char *s);
/* True when s is a category (not "unknown"). */
bool birads_valid(const char *s);
/* "0", "4A" …; "unknown" for BI_UNKNOWN. Static strings. */
const char *birads_name(enum birads b);
/* For clinicians: "BI-RADS 0 — incomplete: needs additional imaging
 * evaluation"; "Not known" for BI_UNKNOWN. */
const char *birads_label(enum birads b);
/* For the patient, one sentence in plain words; "Not known." for
 * BI_UNKNOWN. */
const char *birads_patient_words(enum birads b);
/* The management the category implies (MG_NONE for BI_UNKNOWN). */
enum birads_mgmt birads_management(enum birads b);
/* Level of suspicion of malignancy for comparing two categories of the same
 * management: 1, 2 → 0; 3 → 1; 4A → 2; 4B → 3; 4C → 4; 5 → 5; -1 when the
 * category has no comparable level (0, 4, 6, unknown). */
int birads_suspicion(enum birads b);

/* Parses a stored recommendation; REC_NONE for NULL, "", "unknown" or
 * anything else. */
enum birads_rec birads_rec_parse(const char *s);
bool birads_rec_valid(const char *s);
/* Stored name ("biopsy"); "" for REC_NONE. */
const char *birads_rec_name(enum birads_rec r);
/* For clinicians: "Biopsy"; "Not given" for REC_NONE. */
const char *birads_rec_label(enum birads_rec r);
/* For the patient: "a biopsy"; "" for REC_NONE. */
const char *birads_rec_patient_words(enum birads_rec r);
enum birads_mgmt birads_rec_management(enum birads_rec r);
/* The recommendation a category implies when none is given: 1, 2 →
 * routine_screening; 3 → short_interval_followup; 0 → additional_imaging;
 * 4*, 5 → biopsy; 6 → surgical_consultation; REC_NONE for unknown. */
enum birads_rec birads_implied_rec(enum birads b);
/* True when the category's management differs from the recommendation's
 * (tests/data/birads_contradictions.tsv); false when either is missing. */
bool birads_contradicts(enum birads b, enum birads_rec r);

/* "routine", "short", "recall", "tissue", "treatment"; "" for MG_NONE. */
const char *birads_mgmt_name(enum birads_mgmt m);
/* For clinicians: "Routine screening", "Short-interval follow-up", "Recall
 * for additional imaging", "Tissue diagnosis", "Known cancer: treatment";
 * "Not known" for MG_NONE. */
const char *birads_mgmt_label(enum birads_mgmt m);
/* The categories as a form vocabulary (core/form.h): keys "0" … "6", "4A" …
 * with the clinical label, then, when with_unknown, "unknown" (the patient's
 * "I don't know"). *n receives the count. Static. */
#include "core/form.h"
const struct form_word *birads_words(bool with_unknown, size_t *n);
/* The recommendations as a form vocabulary: their stored names with the
 * clinical label; *n receives REC_COUNT. Static. */
const struct form_word *birads_rec_words(size_t *n);
/* The same two vocabularies as arrays, for specs initialised at compile
 * time: BIRADS_WORDS[BI_COUNT] are the categories ("unknown" follows at
 * index BI_COUNT); the recommendations are VOCAB_RECOMMENDATION_WORDS
 * (core/vocab.h: "unknown", not stated, follows at index REC_COUNT). */
extern const struct form_word BIRADS_WORDS[];
#endif
