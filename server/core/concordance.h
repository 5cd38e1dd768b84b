/* Concordance of the second read with the first, from ACR management (the
 * rules and their reasons: tests/data/concordance.tsv, whose header is the
 * specification; the unit test checks every row of the full cross product).
 *
 * A read's management is its recommendation's when one is given, else its
 * category's. Same management → concordant (a change of suspicion within it
 * is reported separately); a second read whose management is recall →
 * incomplete; from a first read of 0, tissue/treatment → upgraded and
 * routine/short → downgraded; otherwise along routine < short < tissue <
 * treatment: further → upgraded ("moves toward tissue diagnosis or
 * treatment"), back → downgraded. A first read that is not known, or known
 * only from the patient (not verified from the report), or whose report
 * states neither category nor next step → no verdict. Pure. */
#ifndef SECONDOP_CONCORDANCE_H
#define SECONDOP_CONCORDANCE_H
#include <stdbool.h>

#include "core/birads.h"

enum first_state { FIRST_UNKNOWN, FIRST_UNVERIFIED, FIRST_VERIFIED };
enum verdict { V_CONCORDANT, V_UPGRADED, V_DOWNGRADED, V_INCOMPLETE, V_NO_VERDICT };
enum suspicion { SUSP_NONE, SUSP_SAME, SUSP_HIGHER, SUSP_LOWER };
enum conc_why { WHY_SAME, WHY_SECOND_RECALL, WHY_FIRST_RECALL, WHY_ORDER, WHY_UNKNOWN, WHY_UNVERIFIED, WHY_NOT_STATED };

struct conc_result {
  enum verdict verdict;
  enum suspicion suspicion;
  enum birads_mgmt first_mgmt, second_mgmt; /* first_mgmt MG_NONE with no verdict */
  enum conc_why why;
};

/* Judges the second read (category b2, recommendation r2; r2 REC_NONE =
 * implied by b2) against the first (b1, r1 in state st). */
struct conc_result concordance_judge(enum first_state st, enum birads b1, enum birads_rec r1, enum birads b2,
                                     enum birads_rec r2);

/* Stored names: "concordant" "upgraded" "downgraded" "incomplete"
 * "no_verdict"; suspicion "" "same" "higher" "lower"; first state
 * "unknown" "unverified" "verified"; why "same" "second_recall"
 * "first_recall" "order" "unknown" "unverified" "not_stated". */
const char *concordance_verdict_name(enum verdict v);
bool concordance_verdict_parse(const char *s, enum verdict *out);
const char *concordance_suspicion_name(enum suspicion s);
const char *concordance_first_state_name(enum first_state s);
bool concordance_first_state_parse(const char *s, enum first_state *out);
const char *concordance_why_name(enum conc_why w);

/* For clinicians, from a stored verdict name (old rows may hold
 * "management_change"): "Concordant: same management" … */
const char *concordance_verdict_label(const char *stored);
/* For clinicians: "Same next step, higher suspicion" …; "" for none. */
const char *concordance_suspicion_label(enum suspicion s);

/* The exact sentence the patient reads (tests/data/concordance_wording.tsv)
 * and whether the page offers a third opinion. Static strings. */
const char *concordance_patient_sentence(const struct conc_result *r, bool *offer_third);
/* The sentence about a change of suspicion within the same next step, or "". */
const char *concordance_suspicion_sentence(const struct conc_result *r);
/* The key of the wording table for r ("upgraded/routine/tissue"), written
 * into buf (at least 48 bytes). */
const char *concordance_wording_key(const struct conc_result *r, char *buf, unsigned long n);

/* A significant unexpected finding (ACR practice parameter on
 * communication): the second read recommends tissue diagnosis or treatment
 * and no verified first read did. True also with no verdict (the first read
 * is not known to have recommended it): better one call too many. */
bool concordance_unexpected(const struct conc_result *r);
#endif
