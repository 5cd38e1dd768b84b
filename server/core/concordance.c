/* Concordance from management: see concordance.h. */
#include "core/concordance.h"

#include <stdio.h>
#include <string.h>

static enum birads_mgmt read_mgmt(enum birads b, enum birads_rec r) {
  enum birads_mgmt m = birads_rec_management(r);
  return m != MG_NONE ? m : birads_management(b);
}

static int order(enum birads_mgmt m) {
  switch (m) {
  case MG_ROUTINE: return 1;
  case MG_SHORT: return 2;
  case MG_TISSUE: return 3;
  case MG_TREATMENT: return 4;
  case MG_RECALL:
  case MG_NONE: return 0;
  }
  return 0;
}

struct conc_result concordance_judge(enum first_state st, enum birads b1, enum birads_rec r1, enum birads b2,
                                     enum birads_rec r2) {
  struct conc_result c = {V_NO_VERDICT, SUSP_NONE, MG_NONE, read_mgmt(b2, r2), WHY_UNKNOWN};
  if (st == FIRST_UNKNOWN) return c;
  if (st == FIRST_UNVERIFIED) {
    c.why = WHY_UNVERIFIED;
    return c;
  }
  enum birads_mgmt m1 = read_mgmt(b1, r1), m2 = c.second_mgmt;
  if (m1 == MG_NONE || m2 == MG_NONE) {
    c.why = WHY_NOT_STATED;
    return c;
  }
  c.first_mgmt = m1;
  if (m1 == m2) {
    c.verdict = V_CONCORDANT;
    c.why = WHY_SAME;
    int s1 = birads_suspicion(b1), s2 = birads_suspicion(b2);
    if (s1 >= 0 && s2 >= 0) c.suspicion = s2 > s1 ? SUSP_HIGHER : s2 < s1 ? SUSP_LOWER : SUSP_SAME;
    return c;
  }
  if (m2 == MG_RECALL) {
    c.verdict = V_INCOMPLETE;
    c.why = WHY_SECOND_RECALL;
    return c;
  }
  if (m1 == MG_RECALL) {
    c.why = WHY_FIRST_RECALL;
    c.verdict = (m2 == MG_TISSUE || m2 == MG_TREATMENT) ? V_UPGRADED : V_DOWNGRADED;
    return c;
  }
  c.why = WHY_ORDER;
  c.verdict = order(m2) > order(m1) ? V_UPGRADED : V_DOWNGRADED;
  return c;
}

static const char *const verdict_names[] = {"concordant", "upgraded", "downgraded", "incomplete", "no_verdict"};

const char *concordance_verdict_name(enum verdict v) {
  return (unsigned)v < sizeof verdict_names / sizeof verdict_names[0] ? verdict_names[v] : "no_verdict";
}

bool concordance_verdict_parse(const char *s, enum verdict *out) {
  for (size_t i = 0; s && i < sizeof verdict_names / sizeof verdict_names[0]; i++)
    if (strcmp(s, verdict_names[i]) == 0) {
      *out = (enum verdict)i;
      return true;
    }
  return false;
}

const char *concordance_suspicion_name(enum suspicion s) {
  switch (s) {
  case SUSP_NONE: return "";
  case SUSP_SAME: return "same";
  case SUSP_HIGHER: return "higher";
  case SUSP_LOWER: return "lower";
  }
  return "";
}

static const char *const state_names[] = {"unknown", "unverified", "verified"};

const char *concordance_first_state_name(enum first_state s) {
  return (unsigned)s < 3 ? state_names[s] : "unknown";
}

bool concordance_first_state_parse(const char *s, enum first_state *out) {
  for (int i = 0; s && i < 3; i++)
    if (strcmp(s, state_names[i]) == 0) {
      *out = (enum first_state)i;
      return true;
    }
  return false;
}

const char *concordance_why_name(enum conc_why w) {
  switch (w) {
  case WHY_SAME: return "same";
  case WHY_SECOND_RECALL: return "second_recall";
  case WHY_FIRST_RECALL: return "first_recall";
  case WHY_ORDER: return "order";
  case WHY_UNKNOWN: return "unknown";
  case WHY_UNVERIFIED: return "unverified";
  case WHY_NOT_STATED: return "not_stated";
  }
  return "unknown";
}

const char *concordance_verdict_label(const char *s) {
  static const char *const map[][2] = {
      {"concordant", "Concordant: same management as the first read"},
      {"upgraded", "Upgraded: moves toward tissue diagnosis or treatment"},
      {"downgraded", "Downgraded: moves away from tissue diagnosis or treatment"},
      {"incomplete", "Incomplete: more imaging is needed before a conclusion"},
      {"no_verdict", "No verdict: the first read is not known or not verified"},
      {"management_change", "Different recommended next step (recorded under the earlier rules)"},
  };
  for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
    if (strcmp(s, map[i][0]) == 0) return map[i][1];
  return "Not computed";
}

const char *concordance_suspicion_label(enum suspicion s) {
  switch (s) {
  case SUSP_NONE: return "";
  case SUSP_SAME: return "Same next step, same level of suspicion";
  case SUSP_HIGHER: return "Same next step, higher suspicion";
  case SUSP_LOWER: return "Same next step, lower suspicion";
  }
  return "";
}

const char *concordance_wording_key(const struct conc_result *r, char *buf, unsigned long n) {
  const char *v = concordance_verdict_name(r->verdict);
  switch (r->verdict) {
  case V_NO_VERDICT: snprintf(buf, n, "%s/%s", v, concordance_why_name(r->why)); break;
  case V_CONCORDANT: snprintf(buf, n, "%s/%s", v, birads_mgmt_name(r->first_mgmt)); break;
  case V_INCOMPLETE: snprintf(buf, n, "%s/%s", v, birads_mgmt_name(r->first_mgmt)); break;
  case V_UPGRADED:
  case V_DOWNGRADED:
    snprintf(buf, n, "%s/%s/%s", v, birads_mgmt_name(r->first_mgmt), birads_mgmt_name(r->second_mgmt));
    break;
  }
  return buf;
}

/* The wording, the same as tests/data/concordance_wording.tsv (the unit test
 * compares them). */
static const struct {
  const char *key;
  bool third;
  const char *text;
} wording[] = {
    {"no_verdict/unknown", false,
     "We could not compare the second reading with your first report, because we do not know what your first report "
     "concluded. This is not a sign that anything is wrong: please read the second reading below and bring both "
     "reports to your doctor."},
    {"no_verdict/unverified", false,
     "We could not compare the second reading with your first report, because the center has not yet checked your "
     "first report itself (we only have what you told us about it). Please read the second reading below and bring "
     "both reports to your doctor, who can compare them."},
    {"no_verdict/not_stated", false,
     "We could not compare the second reading with your first report, because your first report does not state a "
     "BI-RADS category or a recommended next step. Please read the second reading below and bring both reports to "
     "your doctor."},
    {"concordant/routine", false,
     "The second reading agrees with your first report: both recommend the same next step, routine screening at your "
     "usual interval. You can keep the plan you already have."},
    {"concordant/short", false,
     "The second reading agrees with your first report: both recommend the same next step, a follow-up exam in about "
     "6 months. You can keep the plan you already have."},
    {"concordant/recall", false,
     "The second reading agrees with your first report: both say that more imaging is needed before a conclusion can "
     "be reached. Please go ahead with the additional imaging you were asked to have."},
    {"concordant/tissue", false,
     "The second reading agrees with your first report: both recommend the same next step, a biopsy. Please go ahead "
     "with the biopsy as planned."},
    {"concordant/treatment", false,
     "The second reading agrees with your first report: both recommend the same next step, care for the cancer "
     "already found. Please continue with the treatment planning you already have."},
    {"suspicion/higher", false,
     "Within that same next step, the second specialist's level of suspicion is higher than in your first report."},
    {"suspicion/lower", false,
     "Within that same next step, the second specialist's level of suspicion is lower than in your first report."},
    {"upgraded/routine/short", true,
     "The second reading differs from your first report and recommends a closer look: a follow-up exam in about 6 "
     "months instead of routine screening. Please talk with your doctor about scheduling it."},
    {"upgraded/routine/tissue", true,
     "The second reading differs from your first report and found more reason for concern: it recommends a biopsy, "
     "where your first report recommended routine screening. Please contact your doctor soon to arrange it; the "
     "center will also let your doctor know."},
    {"upgraded/routine/treatment", true,
     "The second reading differs from your first report and found more reason for concern: it recommends a "
     "consultation about treatment, where your first report recommended routine screening. Please contact your "
     "doctor soon; the center will also let your doctor know."},
    {"upgraded/short/tissue", true,
     "The second reading differs from your first report and found more reason for concern: it recommends a biopsy, "
     "where your first report recommended a follow-up exam in about 6 months. Please contact your doctor soon to "
     "arrange it; the center will also let your doctor know."},
    {"upgraded/short/treatment", true,
     "The second reading differs from your first report and found more reason for concern: it recommends a "
     "consultation about treatment, where your first report recommended a follow-up exam in about 6 months. Please "
     "contact your doctor soon; the center will also let your doctor know."},
    {"upgraded/tissue/treatment", true,
     "The second reading differs from your first report: it recommends a consultation about treatment, where your "
     "first report recommended a biopsy. Please contact your doctor soon to discuss it."},
    {"upgraded/recall/tissue", true,
     "Your first report asked for more imaging; the second reading found enough reason for concern to recommend a "
     "biopsy. Please contact your doctor soon to arrange it; the center will also let your doctor know."},
    {"upgraded/recall/treatment", true,
     "Your first report asked for more imaging; the second reading recommends a consultation about treatment. Please "
     "contact your doctor soon; the center will also let your doctor know."},
    {"downgraded/short/routine", true,
     "The second reading differs from your first report and found less reason for concern: it recommends routine "
     "screening, where your first report recommended a follow-up exam in about 6 months. Please discuss with your "
     "doctor which plan to follow before changing anything."},
    {"downgraded/tissue/routine", true,
     "The second reading differs from your first report and found less reason for concern: it recommends routine "
     "screening, where your first report recommended a biopsy. Please do not cancel a planned biopsy on your own: "
     "discuss both reports with your doctor first."},
    {"downgraded/tissue/short", true,
     "The second reading differs from your first report and found less reason for concern: it recommends a "
     "follow-up exam in about 6 months, where your first report recommended a biopsy. Please do not cancel a planned "
     "biopsy on your own: discuss both reports with your doctor first."},
    {"downgraded/treatment/routine", true,
     "The second reading recommends routine screening, while your first report was of a cancer already proven by a "
     "biopsy. A difference like this needs careful review: please do not change any treatment plan, and talk with "
     "your care team about both reports soon."},
    {"downgraded/treatment/short", true,
     "The second reading recommends a follow-up exam in about 6 months, while your first report was of a cancer "
     "already proven by a biopsy. A difference like this needs careful review: please do not change any treatment "
     "plan, and talk with your care team about both reports soon."},
    {"downgraded/treatment/tissue", true,
     "The second reading recommends a biopsy, while your first report was of a cancer already proven by a biopsy. "
     "Please do not change any treatment plan, and talk with your care team about both reports soon."},
    {"downgraded/recall/routine", true,
     "Your first report asked for more imaging; the second reading found less reason for concern and recommends "
     "routine screening. Please ask your doctor whether the additional imaging is still needed before you cancel "
     "it."},
    {"downgraded/recall/short", true,
     "Your first report asked for more imaging; the second reading found less reason for concern and recommends a "
     "follow-up exam in about 6 months instead. Please ask your doctor whether the additional imaging is still "
     "needed before you cancel it."},
    {"incomplete/routine", false,
     "The second specialist needs more imaging before reaching a conclusion, although your first report recommended "
     "routine screening. This does not mean that cancer was found: please ask your doctor to arrange the additional "
     "imaging."},
    {"incomplete/short", false,
     "The second specialist needs more imaging before reaching a conclusion, although your first report recommended "
     "a follow-up exam in about 6 months. This does not mean that cancer was found: please ask your doctor to "
     "arrange the additional imaging."},
    {"incomplete/tissue", false,
     "The second specialist needs more imaging before reaching a conclusion. Please keep the biopsy plan you already "
     "have unless your doctor advises otherwise, and ask your doctor about the additional imaging."},
    {"incomplete/treatment", false,
     "The second specialist needs more imaging before reaching a conclusion. Please continue with the treatment "
     "planning you already have, and ask your care team about the additional imaging."},
};

static const char *lookup(const char *key, bool *third) {
  for (size_t i = 0; i < sizeof wording / sizeof wording[0]; i++)
    if (strcmp(key, wording[i].key) == 0) {
      if (third) *third = wording[i].third;
      return wording[i].text;
    }
  if (third) *third = false;
  return NULL;
}

const char *concordance_patient_sentence(const struct conc_result *r, bool *offer_third) {
  char key[48];
  concordance_wording_key(r, key, sizeof key);
  const char *t = lookup(key, offer_third);
  /* every key the judge can produce is in the table (the unit test proves it) */
  return t ? t : lookup("no_verdict/unknown", offer_third);
}

const char *concordance_suspicion_sentence(const struct conc_result *r) {
  if (r->verdict != V_CONCORDANT) return "";
  if (r->suspicion == SUSP_HIGHER) return lookup("suspicion/higher", NULL);
  if (r->suspicion == SUSP_LOWER) return lookup("suspicion/lower", NULL);
  return "";
}

bool concordance_unexpected(const struct conc_result *r) {
  bool second = r->second_mgmt == MG_TISSUE || r->second_mgmt == MG_TREATMENT;
  bool first = r->verdict != V_NO_VERDICT && (r->first_mgmt == MG_TISSUE || r->first_mgmt == MG_TREATMENT);
  return second && !first;
}
