/* Triage priority and concordance: see triage.h. */
#include "core/triage.h"
#include "core/vocab.h"

#include "core/birads.h"

#include <stddef.h>
#include <string.h>

/* Severity rank on the scale 1 < 2 < 3 < 0 < 4 < 4A < 4B < 4C < 5 < 6, with
 * *sub set for 4A/4B/4C; -1 when unknown. */
static int birads_rank(const char *s, bool *sub) {
  static const struct {
    const char *name;
    int rank;
    bool sub;
  } map[] = {
      {"1", 10, false}, {"2", 20, false}, {"3", 30, false}, {"0", 35, false}, {"4", 40, false},
      {"4A", 41, true}, {"4B", 42, true}, {"4C", 43, true}, {"5", 50, false}, {"6", 60, false},
  };
  *sub = false;
  if (!s) return -1;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(s, map[i].name) == 0) {
      *sub = map[i].sub;
      return map[i].rank;
    }
  return -1;
}

bool triage_birads_valid(const char *s) {
  bool sub;
  return birads_rank(s, &sub) >= 0;
}

/* The category that counts: the verified one once verified, else the
 * patient's ("" when unknown). */
static const char *eff_birads(const struct triage_facts *f) {
  const char *b = f->verified ? f->v_birads : f->birads;
  bool sub;
  return birads_rank(b, &sub) >= 0 ? b : "";
}

/* The biopsy result that counts: the verified one, else the patient's "done"
 * read as a pending result. */
static const char *eff_biopsy(const struct triage_facts *f) {
  if (f->verified) return f->v_biopsy && *f->v_biopsy ? f->v_biopsy : VOCAB_BIOPSY_NONE;
  return f->biopsy_done ? VOCAB_BIOPSY_PENDING : VOCAB_BIOPSY_NONE;
}

static bool in(const char *s, const char *const *set) {
  for (; *set; set++)
    if (strcmp(s, *set) == 0) return true;
  return false;
}

enum triage_priority triage_classify(const struct triage_facts *f, long long today, unsigned *flags,
                                     long long *upcoming_day) {
  static const char *const c5_4c[] = {"5", "4C", NULL}, *const c4[] = {"4", "4A", "4B", NULL},
                           *const benign_ok[] = {"1", "2", "3", "4A", NULL}, *const c12[] = {"1", "2", NULL},
                           *const suspicious[] = {"4", "4B", "4C", "5", NULL};
  const char *cat = eff_birads(f), *bx = eff_biopsy(f);
  unsigned fl = 0;
  long long up = 0;
  if (f->has_treatment) {
    if (f->treatment_day >= today) up = f->treatment_day;
    else fl |= TRIAGE_FLAG_TREATMENT_PASSED;
  }
  if (strcmp(bx, VOCAB_BIOPSY_BENIGN) == 0 && in(cat, suspicious)) fl |= TRIAGE_FLAG_BENIGN_DISCORDANT;
  if (flags) *flags = fl;
  if (upcoming_day) *upcoming_day = up;
  if (strcmp(cat, "6") == 0 || strcmp(bx, VOCAB_BIOPSY_MALIGNANT) == 0)
    return up && up <= today + TRIAGE_TREATMENT_WINDOW_DAYS ? TRIAGE_P1_TREATMENT_SOON : TRIAGE_P2_HIGHLY_SUSPICIOUS;
  if (in(cat, c5_4c)) return TRIAGE_P2_HIGHLY_SUSPICIOUS;
  if (strcmp(bx, VOCAB_BIOPSY_PENDING) == 0) return TRIAGE_P3_SUSPICIOUS;
  if (strcmp(bx, VOCAB_BIOPSY_BENIGN) == 0 && in(cat, benign_ok)) return TRIAGE_P6_ROUTINE;
  if (in(cat, c4)) return TRIAGE_P3_SUSPICIOUS;
  if (strcmp(cat, "3") == 0) return TRIAGE_P5_PROBABLY_BENIGN;
  if (in(cat, c12)) return TRIAGE_P6_ROUTINE;
  return TRIAGE_P4_RECALL_OR_UNKNOWN; /* 0, and an unknown category: someone must look */
}

const char *triage_priority_label(enum triage_priority p) {
  switch (p) {
  case TRIAGE_P1_TREATMENT_SOON: return "1 Treatment within 14 days";
  case TRIAGE_P2_HIGHLY_SUSPICIOUS: return "2 Highly suspicious or cancer";
  case TRIAGE_P3_SUSPICIOUS: return "3 Suspicious or biopsy pending";
  case TRIAGE_P4_RECALL_OR_UNKNOWN: return "4 Recall, or no category given";
  case TRIAGE_P5_PROBABLY_BENIGN: return "5 Probably benign";
  case TRIAGE_P6_ROUTINE: return "6 Routine";
  }
  return "Unknown";
}

/* Three-way comparison of two long longs. */
static int cmp_ll(long long a, long long b) { return a < b ? -1 : a > b; }

int triage_compare(const void *pa, const void *pb) {
  const struct triage_item *a = pa, *b = pb;
  if (a->release_first != b->release_first) return a->release_first ? -1 : 1;
  if (a->priority != b->priority) return cmp_ll(a->priority, b->priority);
  bool ta = a->treatment_day > 0, tb = b->treatment_day > 0;
  if (ta != tb) return ta ? -1 : 1;
  if (ta && a->treatment_day != b->treatment_day) return cmp_ll(a->treatment_day, b->treatment_day);
  bool sa = a->submitted_at > 0, sb = b->submitted_at > 0;
  if (sa != sb) return sa ? -1 : 1;
  if (a->submitted_at != b->submitted_at) return cmp_ll(a->submitted_at, b->submitted_at);
  return cmp_ll(a->id, b->id);
}

bool triage_recommendation_valid(const char *s) { return birads_rec_valid(s); }

const char *triage_recommendation_label(const char *s) {
  enum birads_rec r = birads_rec_parse(s);
  return r != REC_NONE ? birads_rec_label(r) : s ? s : "";
}

const char *triage_implied_recommendation(const char *birads) {
  return birads_rec_name(birads_implied_rec(birads_parse(birads)));
}
