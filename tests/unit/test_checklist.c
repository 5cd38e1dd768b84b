/* The required-items rules (core/checklist.c) and the request state
 * machine's pure rules (core/requests.c). */
#include "core/checklist.h"
#include "core/requests.h"
#include "t.h"

#define P (1u << 0)
#define S (1u << 1)
#define R (1u << 2)
#define A (1u << 3)

/* Everything present for a plan without referral and no biopsy. */
static struct checklist_input complete_input(void) {
  struct checklist_input in = {0};
  in.authorization_signed = true;
  in.dicom_images = 8;
  in.image_studies = 2;
  in.newest_image_date = "20261101";
  in.radiology_report = 1;
  in.photo_id = 1;
  in.insurance_card = 1;
  in.today = "20261127";
  return in;
}

static const struct checklist_item *find(const struct checklist_item *it, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(it[i].key, key) == 0) return &it[i];
  return NULL;
}

static void complete_request_has_nothing_missing(void) {
  struct checklist_input in = complete_input();
  struct checklist_item it[CHECKLIST_ITEMS];
  size_t n = checklist_build(&in, it);
  T_EQ_INT(n, CHECKLIST_ITEMS);
  T_CHECK(checklist_complete(it, n));
  T_EQ_INT(find(it, n, "pathology_report")->need, CL_NOT_NEEDED);
  T_EQ_INT(find(it, n, "referral")->need, CL_NOT_NEEDED);
  T_EQ_INT(find(it, n, "prior_images")->state, CL_DONE);
}

static void biopsy_requires_pathology_report(void) {
  struct checklist_input in = complete_input();
  in.biopsy_done = true;
  struct checklist_item it[CHECKLIST_ITEMS];
  size_t n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "pathology_report")->need, CL_REQUIRED);
  T_EQ_INT(find(it, n, "pathology_report")->state, CL_MISSING);
  T_EQ_INT(checklist_missing(it, n), 1);
  in.pathology_report = 1;
  n = checklist_build(&in, it);
  T_CHECK(checklist_complete(it, n));
}

static void referral_plan_requires_referral_unless_self_pay(void) {
  struct checklist_input in = complete_input();
  in.plan_needs_referral = true;
  struct checklist_item it[CHECKLIST_ITEMS];
  size_t n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "referral")->need, CL_REQUIRED);
  T_CHECK(!checklist_complete(it, n));
  in.referral = 2;
  n = checklist_build(&in, it);
  T_CHECK(checklist_complete(it, n));
  /* paying oneself: neither insurance card nor referral */
  struct checklist_input sp = complete_input();
  sp.self_pay = true;
  sp.plan_needs_referral = true;
  sp.insurance_card = 0;
  n = checklist_build(&sp, it);
  T_EQ_INT(find(it, n, "insurance_card")->need, CL_NOT_NEEDED);
  T_EQ_INT(find(it, n, "referral")->need, CL_NOT_NEEDED);
  T_CHECK(checklist_complete(it, n));
}

static void images_must_be_original_and_recent(void) {
  struct checklist_input in = complete_input();
  struct checklist_item it[CHECKLIST_ITEMS];
  in.dicom_images = 0;
  size_t n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "images")->state, CL_MISSING);
  in.pictures = 3; /* screenshots only */
  n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "images")->state, CL_ATTENTION);
  T_CHECK(!checklist_complete(it, n));
  in.dicom_images = 4;
  in.newest_image_date = "20260526"; /* six months and a day */
  n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "images")->state, CL_ATTENTION);
  in.newest_image_date = "20260527"; /* exactly six months */
  n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "images")->state, CL_DONE);
  /* prior images are only suggested */
  in.image_studies = 1;
  n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "prior_images")->need, CL_SUGGESTED);
  T_EQ_INT(find(it, n, "prior_images")->state, CL_MISSING);
  T_CHECK(checklist_complete(it, n));
}

static void authorization_signed_or_uploaded_and_id_required(void) {
  struct checklist_input in = complete_input();
  struct checklist_item it[CHECKLIST_ITEMS];
  in.authorization_signed = false;
  size_t n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "authorization")->state, CL_MISSING);
  in.authorization_uploaded = 1;
  n = checklist_build(&in, it);
  T_EQ_INT(find(it, n, "authorization")->state, CL_DONE);
  in.photo_id = 0;
  in.radiology_report = 0;
  n = checklist_build(&in, it);
  T_EQ_INT(checklist_missing(it, n), 2);
}

static void six_month_window_edges(void) {
  T_CHECK(checklist_within_six_months("20261127", "20261127"));
  T_CHECK(!checklist_within_six_months("20261128", "20261127")); /* future */
  T_CHECK(checklist_within_six_months("20260301", "20260831"));
  T_CHECK(checklist_within_six_months("20250815", "20260131")); /* across a year */
  T_CHECK(!checklist_within_six_months("20250730", "20260131"));
  T_CHECK(!checklist_within_six_months("2026-01-01", "20260131"));
  T_CHECK(!checklist_within_six_months("", "20260131"));
}

static void state_machine_rules(void) {
  T_CHECK(req_transition_allowed(RS_DRAFT, RS_SUBMITTED, P));
  T_CHECK(!req_transition_allowed(RS_DRAFT, RS_SUBMITTED, S));
  T_CHECK(req_transition_allowed(RS_SCHEDULED, RS_WITHDRAWN, P));
  T_CHECK(!req_transition_allowed(RS_IN_REVIEW, RS_WITHDRAWN, P));
  T_CHECK(!req_transition_allowed(RS_DRAFT, RS_WITHDRAWN, P));
  T_CHECK(req_transition_allowed(RS_NEEDS_INFO, RS_TRIAGE, P));
  T_CHECK(req_transition_allowed(RS_SUBMITTED, RS_TRIAGE, S));
  T_CHECK(req_transition_allowed(RS_TRIAGE, RS_NEEDS_INFO, S));
  T_CHECK(req_transition_allowed(RS_ACCEPTED, RS_IN_REVIEW, S));
  T_CHECK(req_transition_allowed(RS_REPORT_READY, RS_CLOSED, S));
  T_CHECK(!req_transition_allowed(RS_IN_REVIEW, RS_REPORT_READY, S));
  T_CHECK(req_transition_allowed(RS_IN_REVIEW, RS_REPORT_READY, R));
  T_CHECK(req_transition_allowed(RS_SCHEDULED, RS_IN_REVIEW, R));
  T_CHECK(!req_transition_allowed(RS_TRIAGE, RS_ACCEPTED, R));
  /* admins manage accounts, not cases; no role jumps states */
  for (int f = 0; f < RS_COUNT; f++)
    for (int t = 0; t < RS_COUNT; t++) {
      T_CHECK(!req_transition_allowed((enum req_status)f, (enum req_status)t, A));
      T_CHECK(!req_transition_allowed((enum req_status)f, (enum req_status)t, 0));
      T_CHECK(!req_transition_allowed((enum req_status)f, (enum req_status)t, S | P));
    }
  int patient_moves = 0;
  for (int f = 0; f < RS_COUNT; f++)
    for (int t = 0; t < RS_COUNT; t++) patient_moves += req_transition_allowed((enum req_status)f, (enum req_status)t, P);
  T_EQ_INT(patient_moves, 7);
  enum req_status s;
  T_CHECK(req_status_parse("needs_info", &s));
  T_EQ_INT(s, RS_NEEDS_INFO);
  T_CHECK(!req_status_parse("NEEDS_INFO", &s));
  for (int i = 0; i < RS_COUNT; i++) {
    T_CHECK(req_status_parse(req_status_name((enum req_status)i), &s));
    T_EQ_INT(s, i);
  }
  T_EQ_STR(req_status_label(RS_REPORT_READY), "Your report is ready");
  T_CHECK(req_records_open(RS_NEEDS_INFO));
  T_CHECK(!req_records_open(RS_TRIAGE));
}

int main(void) {
  T_RUN(complete_request_has_nothing_missing);
  T_RUN(biopsy_requires_pathology_report);
  T_RUN(referral_plan_requires_referral_unless_self_pay);
  T_RUN(images_must_be_original_and_recent);
  T_RUN(authorization_signed_or_uploaded_and_id_required);
  T_RUN(six_month_window_edges);
  T_RUN(state_machine_rules);
  return t_done();
}
