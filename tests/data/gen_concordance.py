#!/usr/bin/python3
"""Writes tests/data/concordance.tsv: the concordance truth table over the full
cross product of the first and the second read. Independent of the C code
(server/core/birads.c); the unit test tests/unit/test_birads.c compares the C
function with every row. Run it only when the clinical rules change, and
review the diff row by row:  /usr/bin/python3 tests/data/gen_concordance.py
"""
import itertools, os

HEADER = """\
# Concordance truth table (ACR BI-RADS 5th edition management categories).
#
# Columns: first_birads first_rec first_state second_birads second_rec
#          -> verdict suspicion first_mgmt second_mgmt why
#
# Management of a category: 1, 2 -> routine (routine screening);
#   3 -> short (short-interval follow-up); 0 -> recall (additional imaging);
#   4, 4A, 4B, 4C, 5 -> tissue (tissue diagnosis: biopsy);
#   6 -> treatment (known cancer: surgical or oncology consultation).
# Management of a recommendation: routine_screening -> routine;
#   short_interval_followup -> short; additional_imaging -> recall;
#   biopsy -> tissue; surgical_consultation, oncology_consultation -> treatment.
# R0 A read's management is its recommendation's when one is given ("-" =
#    none: then its category's). The recommendation is what the patient is
#    actually told to do; a category that contradicts it is caught before
#    signing (tests/data/birads_contradictions.tsv), not here.
# R1 first_state unknown (nothing known of the first read) -> no_verdict,
#    why=unknown. Whatever the values say, they are not a first read.
# R2 first_state unverified (only what the patient told us; the center has not
#    checked the first report) -> no_verdict, why=unverified. We never tell a
#    patient that two reads agree on the strength of her own recollection.
# R3 verified, but the first report states neither a category nor a next
#    step (first_birads unknown, first_rec -) -> no_verdict, why=not_stated.
# R4 same management -> concordant (1<->2, 4A<->4B, 4<->5 all concordant:
#    the next step is the same). why=same.
# R5 second management recall (a second read of 0, or additional imaging)
#    and the first was not recall -> incomplete: more imaging is needed
#    before the second opinion can conclude. Never "less concern", whatever
#    the first read was (5 -> 0 and 6 -> 0 included). why=second_recall.
# R6 first management recall (a first read of 0) is judged by where the
#    second read's management lands: tissue or treatment -> upgraded (toward
#    tissue diagnosis); routine or short -> downgraded (the recall is resolved
#    without a biopsy: 0 -> 1/2 and 0 -> 3 are both away from tissue
#    diagnosis). why=first_recall.
# R7 otherwise managements are ordered routine < short < tissue < treatment:
#    a second read further along (toward tissue diagnosis or treatment) ->
#    upgraded; back along -> downgraded (6 -> 5 is downgraded: away from
#    treatment; the patient wording for a move away from a proven cancer
#    never says "less reason for concern"). why=order.
# S  suspicion (only for concordant, and only when both categories have a
#    level): 1, 2 -> 0 (no suspicion: 1 <-> 2 is "same"); 3 -> 1; 4A -> 2;
#    4B -> 3; 4C -> 4; 5 -> 5. higher / lower / same; "-" otherwise (0, 4
#    without a subcategory, 6 and unknown have no comparable level).
"""

CATS1 = ["0", "1", "2", "3", "4", "4A", "4B", "4C", "5", "6", "unknown"]
CATS2 = ["0", "1", "2", "3", "4", "4A", "4B", "4C", "5", "6"]
RECS = ["-", "routine_screening", "short_interval_followup", "additional_imaging", "biopsy",
        "surgical_consultation", "oncology_consultation"]
STATES = ["unknown", "unverified", "verified"]

CAT_M = {"1": "routine", "2": "routine", "3": "short", "0": "recall", "4": "tissue", "4A": "tissue",
         "4B": "tissue", "4C": "tissue", "5": "tissue", "6": "treatment", "unknown": None}
REC_M = {"-": None, "routine_screening": "routine", "short_interval_followup": "short",
         "additional_imaging": "recall", "biopsy": "tissue", "surgical_consultation": "treatment",
         "oncology_consultation": "treatment"}
ORDER = {"routine": 1, "short": 2, "tissue": 3, "treatment": 4}
LEVEL = {"1": 0, "2": 0, "3": 1, "4A": 2, "4B": 3, "4C": 4, "5": 5}


def mgmt(cat, rec):
    return REC_M[rec] or CAT_M[cat]


def verdict(b1, r1, st, b2, r2):
    m2 = mgmt(b2, r2)
    if st == "unknown":
        return "no_verdict", "-", "-", m2, "unknown"
    if st == "unverified":
        return "no_verdict", "-", "-", m2, "unverified"
    m1 = mgmt(b1, r1)
    if m1 is None:
        return "no_verdict", "-", "-", m2, "not_stated"
    if m1 == m2:
        s = "-"
        if b1 in LEVEL and b2 in LEVEL:
            s = "higher" if LEVEL[b2] > LEVEL[b1] else "lower" if LEVEL[b2] < LEVEL[b1] else "same"
        return "concordant", s, m1, m2, "same"
    if m2 == "recall":
        return "incomplete", "-", m1, m2, "second_recall"
    if m1 == "recall":
        return ("upgraded" if m2 in ("tissue", "treatment") else "downgraded"), "-", m1, m2, "first_recall"
    return ("upgraded" if ORDER[m2] > ORDER[m1] else "downgraded"), "-", m1, m2, "order"


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "concordance.tsv")
    with open(out, "w") as f:
        f.write(HEADER)
        f.write("first_birads\tfirst_rec\tfirst_state\tsecond_birads\tsecond_rec\tverdict\tsuspicion\tfirst_mgmt\tsecond_mgmt\twhy\n")
        for b1, r1, st, b2, r2 in itertools.product(CATS1, RECS, STATES, CATS2, RECS):
            v = verdict(b1, r1, st, b2, r2)
            f.write("\t".join([b1, r1, st, b2, r2] + list(v)) + "\n")


if __name__ == "__main__":
    main()
