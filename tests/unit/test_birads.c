/* The BI-RADS vocabulary and the concordance rules (server/core/birads.c,
 * server/core/concordance.c) against the truth tables in tests/data, written
 * before the code: the full cross product of concordance.tsv with 0
 * disagreements, the patient wording of concordance_wording.tsv and its
 * review rules, and birads_contradictions.tsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/birads.h"
#include "core/concordance.h"
#include "t.h"

static FILE *open_data(const char *name) {
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/%s", share ? share : ".", name);
  FILE *f = fopen(path, "r");
  if (!f) fprintf(stderr, "  cannot open %s\n", path);
  return f;
}

/* Splits line (modified) at tabs into at most max fields; returns the count. */
static int split(char *line, char **f, int max) {
  line[strcspn(line, "\r\n")] = '\0';
  int n = 0;
  char *p = line;
  while (n < max) {
    f[n++] = p;
    char *t = strchr(p, '\t');
    if (!t) break;
    *t = '\0';
    p = t + 1;
  }
  return n;
}

static const char *mgmt_or_dash(enum birads_mgmt m) { return m == MG_NONE ? "-" : birads_mgmt_name(m); }

static const char *susp_or_dash(enum suspicion s) { return s == SUSP_NONE ? "-" : concordance_suspicion_name(s); }

static enum birads_rec rec_of(const char *s) { return strcmp(s, "-") == 0 ? REC_NONE : birads_rec_parse(s); }

static void concordance_table_agrees(void) {
  FILE *f = open_data("concordance.tsv");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[512], *c[12];
  size_t rows = 0, bad = 0, bad_input = 0;
  bool header = false;
  static unsigned char seen[11][7][3][10][7];
  memset(seen, 0, sizeof seen);
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    if (split(line, c, 12) != 10) {
      bad_input++;
      continue;
    }
    enum first_state st;
    enum birads b1 = birads_parse(c[0]), b2 = birads_parse(c[3]);
    enum birads_rec r1 = rec_of(c[1]), r2 = rec_of(c[4]);
    if (!concordance_first_state_parse(c[2], &st) || (b1 == BI_UNKNOWN && strcmp(c[0], "unknown") != 0) ||
        b2 == BI_UNKNOWN || (r1 == REC_NONE && strcmp(c[1], "-") != 0) || (r2 == REC_NONE && strcmp(c[4], "-") != 0)) {
      bad_input++;
      continue;
    }
    seen[b1 == BI_UNKNOWN ? 10 : b1][r1 + 1][st][b2][r2 + 1]++;
    rows++;
    struct conc_result r = concordance_judge(st, b1, r1, b2, r2);
    const char *got[5] = {concordance_verdict_name(r.verdict), susp_or_dash(r.suspicion), mgmt_or_dash(r.first_mgmt),
                          mgmt_or_dash(r.second_mgmt), concordance_why_name(r.why)};
    bool same = true;
    for (int i = 0; i < 5; i++) same = same && strcmp(got[i], c[5 + i]) == 0;
    if (!same) {
      if (bad < 10)
        fprintf(stderr, "  disagrees: %s %s %s %s %s: table %s %s %s %s %s, code %s %s %s %s %s\n", c[0], c[1], c[2],
                c[3], c[4], c[5], c[6], c[7], c[8], c[9], got[0], got[1], got[2], got[3], got[4]);
      bad++;
    }
  }
  fclose(f);
  size_t missing = 0, twice = 0;
  for (size_t i = 0; i < sizeof seen; i++) {
    unsigned char v = ((unsigned char *)seen)[i];
    if (v == 0) missing++;
    if (v > 1) twice++;
  }
  printf("concordance.tsv: %zu rows, %zu disagreements, %zu combinations missing, %zu repeated\n", rows, bad,
         missing, twice);
  T_EQ_INT(bad_input, 0);
  T_EQ_INT(rows, 11 * 7 * 3 * 10 * 7); /* the full cross product */
  T_EQ_INT(missing, 0);
  T_EQ_INT(twice, 0);
  T_EQ_INT(bad, 0);
}

struct wording {
  char key[48];
  bool third;
  char text[1024];
};
static struct wording words[64];
static size_t n_words;

static const struct wording *word(const char *key) {
  for (size_t i = 0; i < n_words; i++)
    if (strcmp(words[i].key, key) == 0) return &words[i];
  return NULL;
}

static void wording_table_is_the_code(void) {
  FILE *f = open_data("concordance_wording.tsv");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[2048], *c[4];
  bool header = false;
  n_words = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    T_EQ_INT(split(line, c, 4), 3);
    T_CHECK(n_words < sizeof words / sizeof words[0]);
    if (n_words >= sizeof words / sizeof words[0]) break;
    int kl = snprintf(words[n_words].key, sizeof words[n_words].key, "%s", c[0]);
    T_CHECK(kl >= 0 && (size_t)kl < sizeof words[n_words].key);
    words[n_words].third = strcmp(c[1], "yes") == 0;
    snprintf(words[n_words].text, sizeof words[n_words].text, "%s", c[2]);
    n_words++;
  }
  fclose(f);
  T_EQ_INT(n_words, 30);
  /* every key the judge can produce over the cross product has its sentence,
   * the one in the table, and passes the review rules */
  size_t checked = 0;
  for (int st = FIRST_UNKNOWN; st <= FIRST_VERIFIED; st++)
    for (int b1 = BI_UNKNOWN; b1 < BI_COUNT; b1++)
      for (int r1 = REC_NONE; r1 < REC_COUNT; r1++)
        for (int b2 = BI_0; b2 < BI_COUNT; b2++)
          for (int r2 = REC_NONE; r2 < REC_COUNT; r2++) {
            struct conc_result r = concordance_judge((enum first_state)st, (enum birads)b1, (enum birads_rec)r1,
                                                     (enum birads)b2, (enum birads_rec)r2);
            char key[48];
            concordance_wording_key(&r, key, sizeof key);
            const struct wording *w = word(key);
            bool third = true;
            const char *s = concordance_patient_sentence(&r, &third);
            checked++;
            if (!w) {
              fprintf(stderr, "  no wording for %s\n", key);
              T_CHECK(w != NULL);
              return;
            }
            T_EQ_STR(s, w->text);
            T_EQ_INT(third, w->third);
            bool same_mgmt = r.verdict == V_CONCORDANT;
            if (same_mgmt || r.verdict == V_NO_VERDICT) {
              T_CHECK(!third);
              T_CHECK(strstr(s, "oncologist") == NULL && strstr(s, "third") == NULL);
            }
            if (r.second_mgmt == MG_RECALL || r.first_mgmt == MG_TREATMENT || r.verdict == V_INCOMPLETE ||
                r.verdict == V_NO_VERDICT)
              T_CHECK(strstr(s, "less reason for concern") == NULL);
            if (r.verdict == V_UPGRADED) T_CHECK(strstr(s, "less reason") == NULL);
            if (r.verdict == V_NO_VERDICT) {
              T_CHECK(strncmp(s, "We could not compare", 20) == 0);
              T_CHECK(strstr(s, ", because ") != NULL);
              T_CHECK(strstr(s, "agree") == NULL);
            }
            const char *ss = concordance_suspicion_sentence(&r);
            if (r.suspicion == SUSP_HIGHER) T_EQ_STR(ss, word("suspicion/higher")->text);
            else if (r.suspicion == SUSP_LOWER) T_EQ_STR(ss, word("suspicion/lower")->text);
            else T_EQ_STR(ss, "");
          }
  printf("concordance_wording.tsv: %zu sentences, %zu judged combinations checked\n", n_words, checked);
  /* the suspicion sentences name no specialist and offer nothing */
  T_CHECK(word("suspicion/higher") && !word("suspicion/higher")->third);
}

static void contradictions_table_agrees(void) {
  FILE *f = open_data("birads_contradictions.tsv");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[256], *c[4];
  bool header = false;
  size_t rows = 0, bad = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    T_EQ_INT(split(line, c, 4), 3);
    enum birads b = birads_parse(c[0]);
    enum birads_rec r = birads_rec_parse(c[1]);
    T_CHECK(b != BI_UNKNOWN && r != REC_NONE);
    rows++;
    if (birads_contradicts(b, r) != (strcmp(c[2], "yes") == 0)) {
      fprintf(stderr, "  contradiction disagrees: %s %s %s\n", c[0], c[1], c[2]);
      bad++;
    }
  }
  fclose(f);
  printf("birads_contradictions.tsv: %zu rows, %zu disagreements\n", rows, bad);
  T_EQ_INT(rows, 10 * 6);
  T_EQ_INT(bad, 0);
  /* the issue's examples */
  T_CHECK(birads_contradicts(BI_5, REC_ROUTINE_SCREENING));
  T_CHECK(birads_contradicts(BI_1, REC_BIOPSY));
  T_CHECK(birads_contradicts(BI_3, REC_ROUTINE_SCREENING));
  T_CHECK(birads_contradicts(BI_0, REC_BIOPSY));
  T_CHECK(!birads_contradicts(BI_0, REC_ADDITIONAL_IMAGING));
  T_CHECK(!birads_contradicts(BI_UNKNOWN, REC_BIOPSY));
}

static void vocabulary(void) {
  const char *names[] = {"0", "1", "2", "3", "4", "4A", "4B", "4C", "5", "6"};
  for (size_t i = 0; i < 10; i++) {
    enum birads b = birads_parse(names[i]);
    T_EQ_INT(b, (int)i);
    T_EQ_STR(birads_name(b), names[i]);
    T_CHECK(strstr(birads_label(b), names[i]) != NULL);
    T_CHECK(*birads_patient_words(b) != '\0');
    T_CHECK(birads_management(b) != MG_NONE);
    T_CHECK(birads_implied_rec(b) != REC_NONE);
    T_CHECK(!birads_contradicts(b, birads_implied_rec(b)));
  }
  T_EQ_STR(birads_label(BI_0), "BI-RADS 0 — incomplete: needs additional imaging evaluation");
  T_EQ_INT(birads_parse("unknown"), BI_UNKNOWN);
  T_EQ_INT(birads_parse(""), BI_UNKNOWN);
  T_EQ_INT(birads_parse(NULL), BI_UNKNOWN);
  T_EQ_INT(birads_parse("4D"), BI_UNKNOWN);
  T_EQ_INT(birads_parse("4a"), BI_UNKNOWN);
  T_EQ_STR(birads_label(BI_UNKNOWN), "Not known");
  T_EQ_INT(birads_management(BI_1), MG_ROUTINE);
  T_EQ_INT(birads_management(BI_2), MG_ROUTINE);
  T_EQ_INT(birads_management(BI_3), MG_SHORT);
  T_EQ_INT(birads_management(BI_0), MG_RECALL);
  T_EQ_INT(birads_management(BI_4B), MG_TISSUE);
  T_EQ_INT(birads_management(BI_5), MG_TISSUE);
  T_EQ_INT(birads_management(BI_6), MG_TREATMENT);
  T_EQ_INT(birads_rec_management(REC_ONCOLOGY_CONSULTATION), MG_TREATMENT);
  T_EQ_STR(birads_rec_name(birads_rec_parse("short_interval_followup")), "short_interval_followup");
  T_EQ_INT(birads_rec_parse("surgery"), REC_NONE);
  T_EQ_STR(birads_rec_label(REC_BIOPSY), "Biopsy");
  /* stored verdict names; the old one keeps a label */
  enum verdict v;
  T_CHECK(concordance_verdict_parse("incomplete", &v) && v == V_INCOMPLETE);
  T_CHECK(!concordance_verdict_parse("management_change", &v));
  T_CHECK(strstr(concordance_verdict_label("upgraded"), "toward tissue diagnosis") != NULL);
  T_CHECK(strcmp(concordance_verdict_label("management_change"), "Not computed") != 0);
}

static void unexpected_findings(void) {
  struct conc_result r = concordance_judge(FIRST_VERIFIED, BI_2, REC_NONE, BI_4B, REC_BIOPSY);
  T_EQ_INT(r.verdict, V_UPGRADED);
  T_CHECK(concordance_unexpected(&r));
  r = concordance_judge(FIRST_VERIFIED, BI_4A, REC_NONE, BI_4C, REC_NONE);
  T_EQ_INT(r.verdict, V_CONCORDANT);
  T_EQ_INT(r.suspicion, SUSP_HIGHER);
  T_CHECK(!concordance_unexpected(&r));
  r = concordance_judge(FIRST_VERIFIED, BI_0, REC_NONE, BI_5, REC_NONE);
  T_CHECK(concordance_unexpected(&r));
  r = concordance_judge(FIRST_UNVERIFIED, BI_5, REC_NONE, BI_5, REC_NONE);
  T_EQ_INT(r.verdict, V_NO_VERDICT);
  T_CHECK(concordance_unexpected(&r)); /* not known to have been recommended */
  r = concordance_judge(FIRST_VERIFIED, BI_3, REC_NONE, BI_2, REC_NONE);
  T_CHECK(!concordance_unexpected(&r));
}

int main(void) {
  T_RUN(vocabulary);
  T_RUN(concordance_table_agrees);
  T_RUN(wording_table_is_the_code);
  T_RUN(contradictions_table_agrees);
  T_RUN(unexpected_findings);
  return t_done();
}
