/* Triage: pure rules, no database, no HTTP.
 *
 * Clinical priority at triage (issue 12; truth table tests/data/triage_table.tsv,
 * SQL mirror triage_class() in migrations/0017_triage.sql). The facts that
 * count are the verified first read once staff or the reviewer verified it,
 * else the patient's answers, where "biopsy done" means a pending result.
 *   1 proven malignancy (category 6, or a malignant biopsy) with treatment
 *     from today to 14 days ahead;
 *   2 BI-RADS 5 and 4C (a benign biopsy does not lower them: that is a
 *     radiology-pathology discordance, flagged), and proven malignancy with
 *     no treatment date, a later one or a past one;
 *   3 4, 4A, 4B, and a pending biopsy result; a benign biopsy on 4 or 4B
 *     stays here, flagged, until a radiologist judges concordance;
 *   4 0 (recall) and an unknown category: someone must look, so it is not last;
 *   5 3;
 *   6 1 and 2, and a benign biopsy on a 1, 2, 3 or 4A read (concordant benign).
 * Within a class an upcoming treatment date first (earliest first; a past one
 * is flagged "treatment date has passed — confirm" and does not count), then
 * the longest wait, then the lower id. A request waiting for release whose
 * signed second read is 'upgraded' goes before every class.
 *
 * Concordance lives in core/concordance.h; the vocabulary of categories and
 * recommendations in core/birads.h (the recommendation functions below are
 * kept for callers and use it). */
#ifndef SECONDOP_TRIAGE_H
#define SECONDOP_TRIAGE_H
#include <stdbool.h>

enum triage_priority {
  TRIAGE_P1_TREATMENT_SOON = 1,
  TRIAGE_P2_HIGHLY_SUSPICIOUS = 2,
  TRIAGE_P3_SUSPICIOUS = 3,
  TRIAGE_P4_RECALL_OR_UNKNOWN = 4,
  TRIAGE_P5_PROBABLY_BENIGN = 5,
  TRIAGE_P6_ROUTINE = 6,
};
#define TRIAGE_CLASSES 6
/* Days ahead (inclusive) in which a treatment date makes proven malignancy class 1. */
#define TRIAGE_TREATMENT_WINDOW_DAYS 14
/* Flags of a classified request. */
#define TRIAGE_FLAG_TREATMENT_PASSED 1u   /* "treatment date has passed — confirm" */
#define TRIAGE_FLAG_BENIGN_DISCORDANT 2u  /* benign biopsy on a 4, 4B, 4C or 5 read */

/* One request's clinical facts as triage reads them. Strings are borrowed. */
struct triage_facts {
  const char *birads;   /* the patient's answer; NULL, "" or "unknown" when not known */
  bool biopsy_done;     /* the patient's answer */
  bool verified;        /* the first read was verified: the v_* fields replace the two above */
  const char *v_birads; /* verified category, "unknown" when the report does not say */
  const char *v_biopsy; /* "none", "benign", "malignant", "pending" */
  bool has_treatment;
  long long treatment_day; /* days since 1970-01-01 */
};

/* The priority class of a request on day `today` (days since 1970-01-01).
 * *flags (may be NULL) gets TRIAGE_FLAG_* bits; *upcoming_day (may be NULL)
 * the treatment day when it is today or later, else 0. */
enum triage_priority triage_classify(const struct triage_facts *f, long long today, unsigned *flags,
                                     long long *upcoming_day);

/* One request as the queue sorts it. */
struct triage_item {
  long long id;
  int priority;            /* enum triage_priority */
  long long treatment_day; /* upcoming treatment day (triage_classify); 0 when none or past */
  long long submitted_at;  /* unix seconds; 0 when unknown (sorted last within equals) */
  bool release_first;      /* report_ready with a signed 'upgraded' second read */
};

/* True when s is a BI-RADS category we accept: 0 1 2 3 4 4A 4B 4C 5 6. */
bool triage_birads_valid(const char *s);
/* Plain label of a class ("2 Highly suspicious or cancer"). */
const char *triage_priority_label(enum triage_priority p);
/* qsort comparator over struct triage_item: release_first, then class, then
 * upcoming treatment date, then waiting time, then id. */
int triage_compare(const void *a, const void *b);

/* The recommendation stored names, and true when s is one. */
bool triage_recommendation_valid(const char *s);
/* Plain words for a recommendation ("Biopsy"); s itself when unknown. */
const char *triage_recommendation_label(const char *s);
/* The next step a category implies when the first report names none:
 * 1,2 → routine_screening; 3 → short_interval_followup; 0 →
 * additional_imaging; 4*,5 → biopsy; 6 → surgical_consultation; "" for an
 * unknown category. Static strings. */
const char *triage_implied_recommendation(const char *birads);
#endif
