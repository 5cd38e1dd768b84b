/* The identity rule (core/identity.c) against its table,
 * tests/identity_table.tsv: every row that disagrees is reported, and any
 * disagreement fails. Plus the date reader, the PN display and the grouped
 * report the pages show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "t.h"
#include "util/arena.h"

#define MAX_ROWS 400

static int table_rows;

/* Splits line in place at TABs into at most n fields; returns the count. */
static size_t split_tabs(char *line, char **f, size_t n) {
  size_t k = 0;
  f[k++] = line;
  for (char *p = line; *p && k < n; p++)
    if (*p == '\t') {
      *p = '\0';
      f[k++] = p + 1;
    }
  return k;
}

static void table_agrees(void) {
  const char *dir = getenv("SECONDOP_SHARE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/identity_table.tsv", dir && *dir ? dir : ".");
  FILE *fp = fopen(path, "r");
  T_CHECK(fp != NULL);
  if (!fp) return;
  char line[2048];
  int lineno = 0, wrong = 0;
  while (fgets(line, sizeof line, fp)) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0') continue;
    char *f[9];
    size_t n = split_tabs(line, f, 9);
    if (n != 9) {
      fprintf(stderr, "  table line %d: %zu columns, want 9\n", lineno, n);
      wrong++;
      continue;
    }
    table_rows++;
    struct identity_result r;
    identity_compare(f[1], f[2], f[3], f[4], f[5], f[6], &r);
    const char *got = identity_verdict_name(r.verdict);
    int ok = strcmp(got, f[0]) == 0 && (!*f[7] || strstr(r.reason, f[7]) != NULL);
    if (!ok) {
      fprintf(stderr,
              "  table line %d: image \"%s\" born \"%s\" sex \"%s\" vs account \"%s\" born \"%s\" sex \"%s\": "
              "want %s%s%s%s, got %s (\"%s\")  [%s]\n",
              lineno, f[1], f[2], f[3], f[4], f[5], f[6], f[0], *f[7] ? " with \"" : "", f[7], *f[7] ? "\"" : "",
              got, r.reason, f[8]);
      wrong++;
    }
  }
  fclose(fp);
  printf("# identity table: %d pairs, %d disagree\n", table_rows, wrong);
  T_EQ_INT(wrong, 0);
  T_CHECK(table_rows >= 60);
}

static void dates_as_written(void) {
  int y, m, d;
  T_EQ_INT(identity_parse_date("19700101", &y, &m, &d), 3);
  T_CHECK(y == 1970 && m == 1 && d == 1);
  T_EQ_INT(identity_parse_date("1997.04.24", &y, &m, &d), 3);
  T_CHECK(y == 1997 && m == 4 && d == 24);
  T_EQ_INT(identity_parse_date(" 1970-12-31 ", &y, &m, &d), 3);
  T_EQ_INT(identity_parse_date("24.04.1997", &y, &m, &d), 3);
  T_CHECK(y == 1997 && m == 4 && d == 24);
  T_EQ_INT(identity_parse_date("04/24/1997", &y, &m, &d), 3); /* unambiguous: 24 is not a month */
  T_CHECK(m == 4 && d == 24);
  T_EQ_INT(identity_parse_date("04/05/1997", &y, &m, &d), 0); /* April 5 or 4 May: unknown */
  T_EQ_INT(identity_parse_date("197004", &y, &m, &d), 2);
  T_EQ_INT(identity_parse_date("1970", &y, &m, &d), 1);
  T_EQ_INT(identity_parse_date("", &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date(NULL, &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date("19700230", &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date("19000229", &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date("20000229", &y, &m, &d), 3);
  T_EQ_INT(identity_parse_date("1970.01-01", &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date("unknown", &y, &m, &d), 0);
  T_EQ_INT(identity_parse_date("99999999999", &y, &m, &d), 0);
  struct arena *a = arena_new();
  T_EQ_STR(identity_date_words(a, "19610302"), "2 March 1961");
  T_EQ_STR(identity_date_words(a, "1997.04.24"), "24 April 1997");
  T_EQ_STR(identity_date_words(a, ""), "");
  T_EQ_STR(identity_date_words(a, "sometime"), "sometime");
  arena_free(a);
}

static void names_for_people(void) {
  struct arena *a = arena_new();
  T_EQ_STR(identity_pn_display(a, "DOE^JANE"), "DOE, JANE");
  T_EQ_STR(identity_pn_display(a, "DOE^JANE^MARIE^MRS"), "DOE, JANE MARIE MRS");
  T_EQ_STR(identity_pn_display(a, "DOE"), "DOE");
  T_EQ_STR(identity_pn_display(a, "Yamada^Tarou=山田^太郎=やまだ^たろう"), "Yamada, Tarou (山田 太郎, やまだ たろう)");
  T_EQ_STR(identity_pn_display(a, "=山田^花子"), "山田 花子");
  T_EQ_STR(identity_pn_display(a, ""), "");
  T_EQ_STR(identity_pn_display(a, "^^^"), "");
  arena_free(a);
}

/* Hostile or odd values never crash and always give a verdict and reason. */
static void odd_values_answer(void) {
  static const char *const odd[] = {"",       "^",     "=",     "==",    "^^^^^^^^^^", "=^=^=^",
                                    "\xff\xfe", "\xc3", "a^b^c^d^e^f^g", "''''", "- - -", "O'"};
  struct identity_result r;
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    identity_compare(odd[i], odd[i], odd[i], "Jane Doe", "1970-01-01", "", &r);
    T_CHECK(r.reason[0] != '\0');
    identity_compare("DOE^JANE", "19700101", "", odd[i], odd[i], odd[i], &r);
    T_CHECK(r.reason[0] != '\0');
  }
  char longname[4096];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  for (size_t i = 0; i < sizeof longname - 1; i += 3) longname[i] = i % 2 ? '^' : ' ';
  identity_compare(longname, "19700101", "", longname, "19700101", "", &r);
  T_CHECK(r.reason[0] != '\0');
  identity_compare(NULL, NULL, NULL, NULL, NULL, NULL, &r);
  T_EQ_INT(r.verdict, ID_PROBABLY);
}

/* 212 images in two series: 209 name the account holder in several
 * spellings, 3 name SMITH^JANE: one series flagged, counted, named. */
static void report_groups_and_counts(void) {
  struct arena *a = arena_new();
  struct identity_row rows[] = {
      {1, 10, 100, "20240315", "MAMMO", "R CC", "MG", "DOE^JANE", "19700101", ""},
      {1, 11, 80, "20240315", "MAMMO", "L CC", "MG", "Doe^Jane", "1970.01.01", ""},
      {1, 11, 3, "20240315", "MAMMO", "L CC", "MG", "SMITH^JANE", "19610302", ""},
      {1, 10, 29, "20240315", "MAMMO", "R CC", "MG", "JANE^DOE", "", ""},
  };
  struct identity_account acct = {"Jane Doe", "19700101", ""};
  struct identity_report rep;
  T_EQ_INT(identity_report_build(a, &acct, rows, 4, &rep), 0);
  T_EQ_INT(rep.files, 212);
  T_EQ_INT(rep.other, 3);
  T_EQ_INT(rep.unsure, 0);
  T_EQ_INT(rep.studies, 1);
  T_EQ_INT(rep.n_series, 2);
  T_EQ_INT(rep.flagged_series, 1);
  T_EQ_INT(rep.worst, ID_DIFFERENT);
  T_EQ_INT(rep.series[0].series_id, 10);
  T_EQ_INT(rep.series[0].files, 129);
  T_EQ_INT(rep.series[0].worst, ID_MATCH);
  T_EQ_STR(rep.series[0].summary, "");
  T_EQ_INT(rep.series[1].files, 83);
  T_EQ_INT(rep.series[1].other, 3);
  T_EQ_STR(rep.series[1].summary, "3 of 83 images name another person: “SMITH, JANE”, born 2 March 1961.");
  T_EQ_STR(rep.series[1].people[0].name, "Doe^Jane");
  T_CHECK(strstr(rep.headline, "3 of 212 images name someone other than the account holder") != NULL);
  T_CHECK(strstr(rep.headline, "Found in 1 of 2 series") != NULL);
  /* all the account holder's: one reassuring sentence */
  struct identity_row same[] = {{1, 10, 2, "20240315", "", "", "MG", "GARCIA^JOSE", "1970.01.01", ""}};
  struct identity_account maria = {"José García López", "1970-01-01", ""};
  T_EQ_INT(identity_report_build(a, &maria, same, 1, &rep), 0);
  T_EQ_INT(rep.worst, ID_MATCH);
  T_EQ_STR(rep.headline, "All 2 images were checked: each names the account holder, José García López, born 1 January 1970.");
  /* no images: no headline */
  T_EQ_INT(identity_report_build(a, &maria, NULL, 0, &rep), 0);
  T_EQ_STR(rep.headline, "");
  arena_free(a);
}

int main(void) {
  T_RUN(table_agrees);
  T_RUN(dates_as_written);
  T_RUN(names_for_people);
  T_RUN(odd_values_answer);
  T_RUN(report_groups_and_counts);
  return t_done();
}
