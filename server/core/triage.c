/* Triage priority and concordance: see triage.h. */
#include "core/triage.h"

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

enum triage_priority triage_priority_of(const char *birads, bool biopsy) {
  bool sub;
  int r = birads_rank(birads, &sub);
  if (biopsy || r >= 40) return TRIAGE_URGENT;
  if (r == 10 || r == 20) return TRIAGE_ROUTINE;
  return TRIAGE_SOON; /* 0, 3 and unknown */
}

const char *triage_priority_label(enum triage_priority p) {
  switch (p) {
  case TRIAGE_URGENT: return "Urgent";
  case TRIAGE_SOON: return "Soon";
  case TRIAGE_ROUTINE: return "Routine";
  }
  return "Unknown";
}

/* Three-way comparison of two long longs. */
static int cmp_ll(long long a, long long b) { return a < b ? -1 : a > b; }

int triage_compare(const void *pa, const void *pb) {
  const struct triage_item *a = pa, *b = pb;
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
