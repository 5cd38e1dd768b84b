/* Triage priority order (server/core/triage.c); concordance: test_birads.c. */
#include <stdio.h>
#include <stdlib.h>

#include "core/triage.h"
#include "t.h"

static void test_birads_valid(void) {
  T_CHECK(!triage_birads_valid("4D"));
  T_CHECK(!triage_birads_valid("7"));
  T_CHECK(!triage_birads_valid(""));
  T_CHECK(triage_birads_valid("4B"));
  T_CHECK(triage_birads_valid("0"));
}

/* ---- the shared truth table (tests/data/triage_table.tsv) ---- */

#define MAX_ROWS 200
struct row {
  long long id;
  char birads[16], biopsy[4], v_birads[16], v_biopsy[16], treat[16], status[24], upgraded[4], flags[64];
  int waited, cls, rank;
};
static struct row rows[MAX_ROWS];
static size_t nrows;
static const long long TODAY = 20000; /* any day: the table is relative to today */

static const char *opt(const char *s) { return strcmp(s, "-") == 0 ? NULL : s; }

static void load_table(void) {
  const char *dir = getenv("SECONDOP_SHARE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/triage_table.tsv", dir ? dir : ".");
  FILE *f = fopen(path, "r");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f) && nrows < MAX_ROWS) {
    if (line[0] == '#' || line[0] == '\n') continue;
    struct row *r = &rows[nrows];
    int n = sscanf(line, "%lld\t%15[^\t]\t%3[^\t]\t%15[^\t]\t%15[^\t]\t%15[^\t]\t%d\t%23[^\t]\t%3[^\t]\t%d\t%63[^\t]\t%d",
                   &r->id, r->birads, r->biopsy, r->v_birads, r->v_biopsy, r->treat, &r->waited, r->status,
                   r->upgraded, &r->cls, r->flags, &r->rank);
    T_EQ_INT(n, 12);
    if (n == 12) nrows++;
  }
  fclose(f);
}

static struct triage_facts facts_of(const struct row *r) {
  struct triage_facts f = {
      .birads = opt(r->birads),
      .biopsy_done = strcmp(r->biopsy, "t") == 0,
      .verified = opt(r->v_birads) != NULL,
      .v_birads = opt(r->v_birads),
      .v_biopsy = opt(r->v_biopsy),
      .has_treatment = opt(r->treat) != NULL,
      .treatment_day = opt(r->treat) ? TODAY + strtoll(r->treat, NULL, 10) : 0,
  };
  return f;
}

static void flags_text(unsigned fl, char *out, size_t n) {
  snprintf(out, n, "%s%s%s", fl & TRIAGE_FLAG_TREATMENT_PASSED ? "treatment_passed" : "",
           (fl & TRIAGE_FLAG_TREATMENT_PASSED) && (fl & TRIAGE_FLAG_BENIGN_DISCORDANT) ? "," : "",
           fl & TRIAGE_FLAG_BENIGN_DISCORDANT ? "benign_discordant" : "");
  if (!*out) snprintf(out, n, "-");
}

static void test_table_classes_and_flags(void) {
  T_CHECK(nrows >= 40);
  size_t bad = 0;
  for (size_t i = 0; i < nrows; i++) {
    struct triage_facts f = facts_of(&rows[i]);
    unsigned fl = 99;
    long long up = -1;
    int cls = (int)triage_classify(&f, TODAY, &fl, &up);
    char ft[80];
    flags_text(fl, ft, sizeof ft);
    if (cls != rows[i].cls || strcmp(ft, rows[i].flags) != 0) {
      fprintf(stderr, "  row %lld: class %d flags %s, table says %d %s\n", rows[i].id, cls, ft, rows[i].cls,
              rows[i].flags);
      bad++;
    }
  }
  T_EQ_INT(bad, 0);
}

static void test_table_order(void) {
  struct triage_item it[MAX_ROWS];
  long long now = TODAY * 86400 + 12 * 3600;
  for (size_t i = 0; i < nrows; i++) {
    struct triage_facts f = facts_of(&rows[i]);
    long long up = 0;
    it[i] = (struct triage_item){
        .id = rows[i].id,
        .priority = (int)triage_classify(&f, TODAY, NULL, &up),
        .treatment_day = up,
        .submitted_at = now - rows[i].waited * 86400LL,
        .release_first = strcmp(rows[i].status, "report_ready") == 0 && strcmp(rows[i].upgraded, "y") == 0,
    };
  }
  qsort(it, nrows, sizeof it[0], triage_compare);
  size_t bad = 0;
  for (size_t i = 0; i < nrows; i++) {
    const struct row *want = NULL;
    for (size_t k = 0; k < nrows; k++)
      if (rows[k].id == it[i].id) want = &rows[k];
    if (!want || want->rank != (int)i + 1) {
      fprintf(stderr, "  position %zu: row %lld (table rank %d)\n", i + 1, it[i].id, want ? want->rank : -1);
      bad++;
    }
  }
  T_EQ_INT(bad, 0);
}

/* Not in the table: a request of unknown submission time sorts last among equals. */
static void test_unknown_submission_last(void) {
  struct triage_item it[] = {{1, 6, 0, 0, false}, {2, 6, 0, 5000, false}, {3, 6, 0, 9000, false}};
  qsort(it, 3, sizeof it[0], triage_compare);
  T_EQ_INT(it[0].id, 2);
  T_EQ_INT(it[1].id, 3);
  T_EQ_INT(it[2].id, 1);
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
  T_RUN(test_birads_valid);
  load_table();
  T_RUN(test_table_classes_and_flags);
  T_RUN(test_table_order);
  T_RUN(test_unknown_submission_last);
  T_RUN(test_recommendations);
  return t_done();
}
