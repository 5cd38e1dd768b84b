/* Clinical values into page data: every page that shows a BI-RADS category,
 * a recommendation or a verdict gets its words from core/birads.h and
 * core/concordance.h through these helpers, so a template only prints them
 * (var:) and never tests a clinical value for truth. */
#ifndef SECONDOP_REPORT_VIEW_H
#define SECONDOP_REPORT_VIEW_H
#include <ClearSilver.h>

#include "core/reports.h"

/* prefix.BiradsLabel ("BI-RADS 0 — incomplete: …" or "Not known") and
 * prefix.BiradsWords (for the patient) from a stored category. */
void rv_birads(HDF *hdf, const char *stored, const char *prefix);
/* The report under Report.*: the fields, Report.BiradsLabel,
 * Report.RecommendationLabel, Report.FirstBiradsLabel,
 * Report.FirstRecommendationLabel, Report.ConcordanceLabel,
 * Report.SuspicionLabel, Report.FirstStateLabel, Report.PatientSentence,
 * Report.SuspicionSentence and Report.OfferThird ("1"/"0"). */
void rv_report(HDF *hdf, const struct report_view *v);
/* A computed verdict under prefix.*: Verdict (stored name), VerdictLabel,
 * SuspicionLabel, FirstStateLabel, FirstBiradsLabel, FirstRecommendationLabel,
 * PatientSentence, SuspicionSentence, OfferThird, Contradiction ("1"/"0"). */
void rv_verdict(HDF *hdf, const struct report_verdict *v, const char *prefix);
/* Plain words for the first read's state: "Verified from the report",
 * "As the patient told us (not verified)", "Not known". */
const char *rv_first_state_label(const char *stored);
#endif
