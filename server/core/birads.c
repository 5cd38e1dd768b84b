/* The BI-RADS vocabulary: see birads.h. */
#include "core/birads.h"
#include "core/vocab.h"

#include "core/form.h"

#include <stddef.h>
#include <string.h>

static const struct {
  const char *name, *label, *patient;
  enum birads_mgmt mgmt;
  int suspicion;
  enum birads_rec implied;
} cats[BI_COUNT] = {
    [BI_0] = {"0", "BI-RADS 0 — incomplete: needs additional imaging evaluation",
              "Incomplete: more imaging is needed before a conclusion.", MG_RECALL, -1, REC_ADDITIONAL_IMAGING},
    [BI_1] = {"1", "BI-RADS 1 — negative", "Negative: nothing of concern was seen.", MG_ROUTINE, 0,
              REC_ROUTINE_SCREENING},
    [BI_2] = {"2", "BI-RADS 2 — benign", "Benign: something was seen, and it is not cancer.", MG_ROUTINE, 0,
              REC_ROUTINE_SCREENING},
    [BI_3] = {"3", "BI-RADS 3 — probably benign",
              "Probably benign: a short-interval follow-up is advised to make sure it does not change.", MG_SHORT, 1,
              REC_SHORT_INTERVAL_FOLLOWUP},
    [BI_4] = {"4", "BI-RADS 4 — suspicious", "Suspicious: a biopsy is advised.", MG_TISSUE, -1, REC_BIOPSY},
    [BI_4A] = {"4A", "BI-RADS 4A — low suspicion for malignancy",
               "Low suspicion: a biopsy is advised, and cancer is unlikely.", MG_TISSUE, 2, REC_BIOPSY},
    [BI_4B] = {"4B", "BI-RADS 4B — moderate suspicion for malignancy", "Moderate suspicion: a biopsy is advised.",
               MG_TISSUE, 3, REC_BIOPSY},
    [BI_4C] = {"4C", "BI-RADS 4C — high suspicion for malignancy", "High suspicion: a biopsy is advised.", MG_TISSUE,
               4, REC_BIOPSY},
    [BI_5] = {"5", "BI-RADS 5 — highly suggestive of malignancy",
              "Highly suggestive of cancer: a biopsy is advised.", MG_TISSUE, 5, REC_BIOPSY},
    [BI_6] = {"6", "BI-RADS 6 — known biopsy-proven malignancy", "Cancer already proven by a biopsy.", MG_TREATMENT,
              -1, REC_SURGICAL_CONSULTATION},
};

/* the recommendations' keys and words: core/vocab.h (in enum birads_rec order) */
_Static_assert(REC_COUNT == VOCAB_N_RECOMMENDATIONS, "enum birads_rec and VOCAB_RECOMMENDATIONS list the same");
static const enum birads_mgmt rec_mgmt[REC_COUNT] = {
    [REC_ROUTINE_SCREENING] = MG_ROUTINE,  [REC_SHORT_INTERVAL_FOLLOWUP] = MG_SHORT,
    [REC_ADDITIONAL_IMAGING] = MG_RECALL,  [REC_BIOPSY] = MG_TISSUE,
    [REC_SURGICAL_CONSULTATION] = MG_TREATMENT, [REC_ONCOLOGY_CONSULTATION] = MG_TREATMENT,
};

enum birads birads_parse(const char *s) {
  for (int i = 0; s && i < BI_COUNT; i++)
    if (strcmp(s, cats[i].name) == 0) return (enum birads)i;
  return BI_UNKNOWN;
}

bool birads_valid(const char *s) { return birads_parse(s) != BI_UNKNOWN; }

static bool cat_ok(enum birads b) { return b >= 0 && b < BI_COUNT; }

const struct form_word BIRADS_WORDS[BI_COUNT + 1] = {
    {"0", "BI-RADS 0"}, {"1", "BI-RADS 1"},   {"2", "BI-RADS 2"},   {"3", "BI-RADS 3"},
    {"4", "BI-RADS 4"}, {"4A", "BI-RADS 4A"}, {"4B", "BI-RADS 4B"}, {"4C", "BI-RADS 4C"},
    {"5", "BI-RADS 5"}, {"6", "BI-RADS 6"},   {"unknown", "I don't know"},
};

const struct form_word *birads_words(bool with_unknown, size_t *n) {
  *n = with_unknown ? BI_COUNT + 1 : BI_COUNT;
  return BIRADS_WORDS;
}

const struct form_word *birads_rec_words(size_t *n) {
  *n = REC_COUNT;
  return VOCAB_RECOMMENDATION_WORDS;
}

const char *birads_name(enum birads b) { return cat_ok(b) ? cats[b].name : "unknown"; }
const char *birads_label(enum birads b) { return cat_ok(b) ? cats[b].label : "Not known"; }
const char *birads_patient_words(enum birads b) { return cat_ok(b) ? cats[b].patient : "Not known."; }
enum birads_mgmt birads_management(enum birads b) { return cat_ok(b) ? cats[b].mgmt : MG_NONE; }
int birads_suspicion(enum birads b) { return cat_ok(b) ? cats[b].suspicion : -1; }
enum birads_rec birads_implied_rec(enum birads b) { return cat_ok(b) ? cats[b].implied : REC_NONE; }

enum birads_rec birads_rec_parse(const char *s) {
  int i = vocab_recommendation_index(s);
  return i < 0 ? REC_NONE : (enum birads_rec)i;
}

bool birads_rec_valid(const char *s) { return birads_rec_parse(s) != REC_NONE; }

static bool rec_ok(enum birads_rec r) { return r >= 0 && r < REC_COUNT; }

const char *birads_rec_name(enum birads_rec r) { return rec_ok(r) ? VOCAB_RECOMMENDATIONS[r].key : ""; }
const char *birads_rec_label(enum birads_rec r) { return rec_ok(r) ? VOCAB_RECOMMENDATIONS[r].label : "Not given"; }
const char *birads_rec_patient_words(enum birads_rec r) { return rec_ok(r) ? VOCAB_RECOMMENDATIONS[r].patient : ""; }
enum birads_mgmt birads_rec_management(enum birads_rec r) { return rec_ok(r) ? rec_mgmt[r] : MG_NONE; }

bool birads_contradicts(enum birads b, enum birads_rec r) {
  if (!cat_ok(b) || !rec_ok(r)) return false;
  return cats[b].mgmt != rec_mgmt[r];
}

const char *birads_mgmt_name(enum birads_mgmt m) {
  switch (m) {
  case MG_NONE: return "";
  case MG_ROUTINE: return "routine";
  case MG_SHORT: return "short";
  case MG_RECALL: return "recall";
  case MG_TISSUE: return "tissue";
  case MG_TREATMENT: return "treatment";
  }
  return "";
}

const char *birads_mgmt_label(enum birads_mgmt m) {
  switch (m) {
  case MG_NONE: return "Not known";
  case MG_ROUTINE: return "Routine screening";
  case MG_SHORT: return "Short-interval follow-up";
  case MG_RECALL: return "Recall for additional imaging";
  case MG_TISSUE: return "Tissue diagnosis";
  case MG_TREATMENT: return "Known cancer: treatment";
  }
  return "Not known";
}
