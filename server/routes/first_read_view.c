/* The first-read section: see first_read_view.h. */
#include "routes/first_read_view.h"
#include "core/vocab.h"

#include <stdio.h>
#include <string.h>

#include "core/birads.h"
#include "core/form.h"
#include "core/triage.h"
#include "routes/center_view.h"
#include "util/arena.h"


void fr_form(struct req *r, struct first_read_in *in) {
  in->birads = req_form(r, "fr_birads");
  in->recommendation = req_form(r, "fr_recommendation");
  in->biopsy = req_form(r, "fr_biopsy");
  in->biopsy_date = req_form(r, "fr_biopsy_date");
  in->exam_date = req_form(r, "fr_exam_date");
}

static const char *nz(const char *s) { return s ? s : ""; }

static void options(HDF *hdf, const char *name, const char *const *vals, size_t n, const char *sel,
                    const char *(*label)(struct arena *, const char *), struct arena *a) {
  for (size_t i = 0; i < n; i++) {
    cv_set(hdf, vals[i], "FirstRead.Options.%s.%zu.value", name, i);
    cv_set(hdf, label(a, vals[i]), "FirstRead.Options.%s.%zu.label", name, i);
    cv_set(hdf, strcmp(vals[i], sel) == 0 ? "1" : "0", "FirstRead.Options.%s.%zu.selected", name, i);
  }
}

/* Words for a category from the one vocabulary (core/birads.h). */
static const char *fr_birads_label(struct arena *a, const char *v) {
  (void)a;
  if (strcmp(v, "unknown") == 0) return "Not stated on the report";
  return birads_label(birads_parse(v));
}
static const char *rec_label(struct arena *a, const char *v) {
  (void)a;
  return strcmp(v, "unknown") == 0 ? "Not stated on the report" : triage_recommendation_label(v);
}
static const char *biopsy_label(struct arena *a, const char *v) {
  (void)a;
  return first_read_biopsy_label(v);
}

void fr_view(HDF *hdf, struct req *r, const struct rowset *q, const char *action, const struct center_errors *errs) {
  struct arena *a = r->arena;
  bool verified = rs_bool(q, 0, "verified");
  hdf_set_value(hdf, "FirstRead.Action", action);
  hdf_set_value(hdf, "FirstRead.Verified", verified ? "1" : "0");
  hdf_set_value(hdf, "FirstRead.VerifiedAt", cv_when(a, rs_get(q, 0, "verified_at")));
  hdf_set_value(hdf, "FirstRead.VerifiedBy", rs_get(q, 0, "verified_by_name"));
  /* what the patient told us */
  const char *pb = rs_get(q, 0, "birads"), *pbx = rs_get(q, 0, "biopsy_done"), *ped = rs_get(q, 0, "exam_date");
  bool pb_known = *pb && strcmp(pb, "unknown") != 0;
  hdf_set_value(hdf, "FirstRead.Patient.birads",
                pb_known ? birads_label(birads_parse(pb)) : "Not given");
  hdf_set_value(hdf, "FirstRead.Patient.biopsy",
                strcmp(pbx, "true") == 0 ? "Yes, a biopsy was done" : strcmp(pbx, "false") == 0 ? "No biopsy" : "Not answered");
  hdf_set_value(hdf, "FirstRead.Patient.exam_date", *ped ? ped : "Not given");
  /* the verified values in words */
  if (verified) {
    const char *vb = rs_get(q, 0, "verified_birads"), *vr = rs_get(q, 0, "verified_recommendation");
    const char *vbx = rs_get(q, 0, "verified_biopsy"), *vbd = rs_get(q, 0, "verified_biopsy_date");
    const char *ved = rs_get(q, 0, "verified_exam_date");
    hdf_set_value(hdf, "FirstRead.Current.birads", fr_birads_label(a, vb));
    hdf_set_value(hdf, "FirstRead.Current.recommendation", rec_label(a, vr));
    hdf_set_value(hdf, "FirstRead.Current.biopsy",
                  *vbd ? arena_printf(a, "%s (%s)", first_read_biopsy_label(vbx), vbd) : first_read_biopsy_label(vbx));
    hdf_set_value(hdf, "FirstRead.Current.exam_date", *ved ? ved : "Not stated");
  }
  /* the values shown in the form: what was sent (after an error), else the
   * verified values, else the patient's answers as a starting point */
  const char *b, *rec, *bx, *bd, *ed;
  bool echo = errs && errs->n;
  if (echo) {
    struct first_read_in in;
    fr_form(r, &in);
    b = nz(in.birads), rec = nz(in.recommendation), bx = nz(in.biopsy), bd = nz(in.biopsy_date), ed = nz(in.exam_date);
  } else if (verified) {
    b = rs_get(q, 0, "verified_birads"), rec = rs_get(q, 0, "verified_recommendation");
    bx = rs_get(q, 0, "verified_biopsy"), bd = rs_get(q, 0, "verified_biopsy_date");
    ed = rs_get(q, 0, "verified_exam_date");
  } else {
    b = pb_known ? pb : "", rec = "", bx = strcmp(pbx, "true") == 0 ? VOCAB_BIOPSY_PENDING : strcmp(pbx, "false") == 0 ? VOCAB_BIOPSY_NONE : "";
    bd = "", ed = ped;
  }
  /* the choices come from the one vocabulary (core/birads.h), with "unknown" last */
  size_t nb = 0;
  const struct form_word *bw = birads_words(true, &nb);
  const char *birads_opts[BI_COUNT + 1], *rec_opts[REC_COUNT + 1];
  for (size_t i = 0; i < nb && i < BI_COUNT + 1; i++) birads_opts[i] = bw[i].key;
  for (int i = 0; i < REC_COUNT; i++) rec_opts[i] = birads_rec_name((enum birads_rec)i);
  rec_opts[REC_COUNT] = VOCAB_RECOMMENDATION_WORDS[REC_COUNT].key;
  options(hdf, "Birads", birads_opts, nb < BI_COUNT + 1 ? nb : BI_COUNT + 1, b, fr_birads_label, a);
  options(hdf, "Recommendation", rec_opts, REC_COUNT + 1, rec, rec_label, a);
  const char *biopsy_opts[VOCAB_N_BIOPSY];
  for (size_t i = 0; i < VOCAB_N_BIOPSY; i++) biopsy_opts[i] = VOCAB_BIOPSY[i].key;
  options(hdf, "Biopsy", biopsy_opts, VOCAB_N_BIOPSY, bx, biopsy_label, a);
  hdf_set_value(hdf, "FirstRead.Value.fr_biopsy_date", bd);
  hdf_set_value(hdf, "FirstRead.Value.fr_exam_date", ed);
  if (echo) {
    for (size_t i = 0; i < errs->n; i++) cv_set(hdf, errs->e[i].message, "FirstRead.Errors.%s", errs->e[i].field);
    hdf_set_int_value(hdf, "FirstRead.ErrorCount", (int)errs->n);
  }
}
