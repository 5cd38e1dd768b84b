/* Triage: pure rules, no database, no HTTP.
 *
 * Clinical priority at triage (brief §4, issue 7):
 *   1 urgent  — first read BI-RADS 4 (4A/4B/4C), 5 or 6, or a biopsy was done;
 *   2 soon    — BI-RADS 0 or 3, or the category is unknown (someone must look);
 *   3 routine — BI-RADS 1 or 2.
 * Within a class: a request with a scheduled treatment date comes first,
 * earliest date first; then the one waiting longest; then the lower id (so
 * the order is total and stable).
 *
 * Concordance lives in core/concordance.h; the vocabulary of categories and
 * recommendations in core/birads.h (the recommendation functions below are
 * kept for callers and use it). */
#ifndef SECONDOP_TRIAGE_H
#define SECONDOP_TRIAGE_H
#include <stdbool.h>

enum triage_priority { TRIAGE_URGENT = 1, TRIAGE_SOON = 2, TRIAGE_ROUTINE = 3 };

/* One request as the queue sorts it. */
struct triage_item {
  long long id;
  int priority;            /* enum triage_priority */
  long long treatment_day; /* days since 1970-01-01 of a scheduled treatment; 0 when none */
  long long submitted_at;  /* unix seconds; 0 when unknown (sorted last within equals) */
};

/* True when s is a BI-RADS category we accept: 0 1 2 3 4 4A 4B 4C 5 6. */
bool triage_birads_valid(const char *s);
/* Priority class from the first read's category (NULL, "" or "unknown" when
 * not known) and whether a biopsy was done. */
enum triage_priority triage_priority_of(const char *birads, bool biopsy);
/* Plain label: "Urgent", "Soon", "Routine". */
const char *triage_priority_label(enum triage_priority p);
/* qsort comparator over struct triage_item: highest priority first, then
 * treatment date, then waiting time, then id. */
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
