/* Clinical values into page data: see report_view.h. */
#include "routes/report_view.h"

#include <string.h>

#include "core/birads.h"
#include "core/concordance.h"
#include "routes/center_view.h"

void rv_birads(HDF *hdf, const char *stored, const char *prefix) {
  enum birads b = birads_parse(stored);
  cv_set(hdf, birads_label(b), "%s.BiradsLabel", prefix);
  cv_set(hdf, birads_patient_words(b), "%s.BiradsWords", prefix);
}

const char *rv_first_state_label(const char *s) {
  if (s && strcmp(s, "verified") == 0) return "Verified from the first report";
  if (s && strcmp(s, "unverified") == 0) return "As the patient told us (not verified from the report)";
  return "Not known";
}

static const char *rec_label(const char *stored) {
  return birads_rec_label(birads_rec_parse(stored));
}

void rv_report(HDF *hdf, const struct report_view *v) {
  hdf_set_value(hdf, "Report.findings_left", v->f.findings_left);
  hdf_set_value(hdf, "Report.findings_right", v->f.findings_right);
  hdf_set_value(hdf, "Report.birads", v->f.birads);
  rv_birads(hdf, v->f.birads, "Report");
  hdf_set_value(hdf, "Report.density", v->f.density);
  hdf_set_value(hdf, "Report.density_words", reports_density_words(v->f.density));
  hdf_set_value(hdf, "Report.recommendation", v->f.recommendation);
  hdf_set_value(hdf, "Report.RecommendationLabel", rec_label(v->f.recommendation));
  hdf_set_value(hdf, "Report.first_recommendation", v->f.first_recommendation);
  hdf_set_value(hdf, "Report.FirstRecommendationLabel", rec_label(v->f.first_recommendation));
  hdf_set_value(hdf, "Report.first_birads", v->first_birads);
  hdf_set_value(hdf, "Report.FirstBiradsLabel", birads_label(birads_parse(v->first_birads)));
  hdf_set_value(hdf, "Report.answers", v->f.answers);
  hdf_set_value(hdf, "Report.summary", v->f.summary);
  hdf_set_value(hdf, "Report.explanation", v->f.explanation);
  hdf_set_value(hdf, "Report.contradiction_reason", v->f.contradiction_reason ? v->f.contradiction_reason : "");
  hdf_set_value(hdf, "Report.concordance", v->concordance);
  hdf_set_value(hdf, "Report.ConcordanceLabel", concordance_verdict_label(v->concordance));
  hdf_set_value(hdf, "Report.FirstStateLabel", v->legacy_rules ? "As the patient told us (before verification existed)"
                                                               : rv_first_state_label(v->first_state));
  struct conc_result c;
  if (v->is_signed && reports_stored_verdict(v, &c)) {
    bool third = false;
    hdf_set_value(hdf, "Report.PatientSentence", concordance_patient_sentence(&c, &third));
    hdf_set_value(hdf, "Report.SuspicionSentence", concordance_suspicion_sentence(&c));
    hdf_set_value(hdf, "Report.SuspicionLabel", concordance_suspicion_label(c.suspicion));
    hdf_set_int_value(hdf, "Report.OfferThird", third);
  } else if (v->is_signed) {
    /* signed under the old rules: say nothing we cannot stand behind */
    hdf_set_value(hdf, "Report.PatientSentence",
                  "We could not compare the second reading with your first report, because this report was signed "
                  "before the center checked first reports itself. Please bring both reports to your doctor, who can "
                  "compare them.");
    hdf_set_value(hdf, "Report.SuspicionSentence", "");
    hdf_set_value(hdf, "Report.SuspicionLabel", "");
    hdf_set_int_value(hdf, "Report.OfferThird", 1);
  }
}

void rv_verdict(HDF *hdf, const struct report_verdict *v, const char *prefix) {
  bool third = false;
  const char *verdict = concordance_verdict_name(v->r.verdict);
  cv_set(hdf, verdict, "%s.Verdict", prefix);
  cv_set(hdf, concordance_verdict_label(verdict), "%s.VerdictLabel", prefix);
  cv_set(hdf, concordance_suspicion_label(v->r.suspicion), "%s.SuspicionLabel", prefix);
  cv_set(hdf, rv_first_state_label(concordance_first_state_name(v->state)), "%s.FirstStateLabel", prefix);
  cv_set(hdf, birads_label(birads_parse(v->first_birads)), "%s.FirstBiradsLabel", prefix);
  cv_set(hdf, rec_label(v->first_rec), "%s.FirstRecommendationLabel", prefix);
  cv_set(hdf, concordance_patient_sentence(&v->r, &third), "%s.PatientSentence", prefix);
  cv_set(hdf, concordance_suspicion_sentence(&v->r), "%s.SuspicionSentence", prefix);
  cv_set(hdf, third ? "1" : "0", "%s.OfferThird", prefix);
  cv_set(hdf, v->contradiction ? "1" : "0", "%s.Contradiction", prefix);
}
