/* Triage priority order (server/core/triage.c); concordance: test_birads.c. */
#include <stdlib.h>

#include "core/triage.h"
#include "t.h"

static void test_priority_classes(void) {
  T_EQ_INT(triage_priority_of("4", false), TRIAGE_URGENT);
  T_EQ_INT(triage_priority_of("4A", false), TRIAGE_URGENT);
  T_EQ_INT(triage_priority_of("4C", false), TRIAGE_URGENT);
  T_EQ_INT(triage_priority_of("5", false), TRIAGE_URGENT);
  T_EQ_INT(triage_priority_of("6", false), TRIAGE_URGENT);
  T_EQ_INT(triage_priority_of("1", true), TRIAGE_URGENT); /* a biopsy was done */
  T_EQ_INT(triage_priority_of("0", false), TRIAGE_SOON);
  T_EQ_INT(triage_priority_of("3", false), TRIAGE_SOON);
  T_EQ_INT(triage_priority_of(NULL, false), TRIAGE_SOON);
  T_EQ_INT(triage_priority_of("unknown", false), TRIAGE_SOON);
  T_EQ_INT(triage_priority_of("1", false), TRIAGE_ROUTINE);
  T_EQ_INT(triage_priority_of("2", false), TRIAGE_ROUTINE);
  T_CHECK(!triage_birads_valid("4D"));
  T_CHECK(!triage_birads_valid("7"));
  T_CHECK(!triage_birads_valid(""));
  T_CHECK(triage_birads_valid("4B"));
}

static void test_sort_order(void) {
  struct triage_item it[] = {
      {1, TRIAGE_ROUTINE, 0, 1000},     /* routine, waiting longest of all */
      {2, TRIAGE_SOON, 0, 5000},        /* soon, recent */
      {3, TRIAGE_URGENT, 0, 9000},      /* urgent, newest */
      {4, TRIAGE_SOON, 0, 2000},        /* soon, older: before 2 */
      {5, TRIAGE_SOON, 20000, 8000},    /* soon with treatment date: before 4 and 2 */
      {6, TRIAGE_SOON, 19000, 9500},    /* earlier treatment date: before 5 */
      {7, TRIAGE_URGENT, 0, 9000},      /* same as 3: id breaks the tie */
      {8, TRIAGE_ROUTINE, 0, 0},        /* unknown submission time: last */
  };
  size_t n = sizeof it / sizeof it[0];
  qsort(it, n, sizeof it[0], triage_compare);
  long long want[] = {3, 7, 6, 5, 4, 2, 1, 8};
  for (size_t i = 0; i < n; i++) T_EQ_INT(it[i].id, want[i]);
}

static void test_recommendations(void) {
  T_EQ_STR(triage_implied_recommendation("1"), "routine_screening");
  T_EQ_STR(triage_implied_recommendation("3"), "short_interval_followup");
  T_EQ_STR(triage_implied_recommendation("0"), "additional_imaging");
  T_EQ_STR(triage_implied_recommendation("4A"), "biopsy");
  T_EQ_STR(triage_implied_recommendation("5"), "biopsy");
  T_EQ_STR(triage_implied_recommendation("6"), "surgical_consultation");
  T_EQ_STR(triage_implied_recommendation("x"), "");
  T_CHECK(triage_recommendation_valid("oncology_consultation"));
  T_CHECK(!triage_recommendation_valid("surgery"));
}

int main(void) {
  T_RUN(test_priority_classes);
  T_RUN(test_sort_order);
  T_RUN(test_recommendations);
  return t_done();
}
