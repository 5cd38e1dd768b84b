/* Every page that shows a BI-RADS category, rendered with each of 0, 1, 2,
 * 3, 4A, 4B, 4C, 5, 6 and unknown through the same C helpers the routes use
 * (server/routes/report_view.c): the category's words appear, and a
 * BI-RADS 0 is never shown as "not given" / "not known" (ClearSilver treats
 * the string "0" as false). The patient page shows the verdict's sentence. */
#include <ClearSilver.h>
#include <stdlib.h>
#include <string.h>

#include "core/birads.h"
#include "core/concordance.h"
#include "http/reply.h"
#include "routes/report_view.h"
#include "t.h"

static const char *const cats[] = {"0", "1", "2", "3", "4A", "4B", "4C", "5", "6", "unknown"};
#define N_CATS (sizeof cats / sizeof cats[0])

/* HTML-escaped copy of s (as the templates print it); static buffer. */
static const char *esc(const char *s) {
  static char out[4096];
  size_t o = 0;
  for (; *s && o + 8 < sizeof out; s++) {
    const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
                      : *s == '\'' ? "&#39;" : NULL;
    if (rep) {
      memcpy(out + o, rep, strlen(rep));
      o += strlen(rep);
    } else {
      out[o++] = *s;
    }
  }
  out[o] = '\0';
  return out;
}

/* Text of the element with id="id" up to its closing tag (static buffer). */
static const char *element(const char *html, const char *id) {
  static char out[4096];
  char key[64];
  snprintf(key, sizeof key, "id=\"%s\"", id);
  const char *p = html ? strstr(html, key) : NULL;
  if (!p) return "";
  p = strchr(p, '>');
  if (!p) return "";
  p++;
  const char *end = strstr(p, "</d");
  size_t n = end ? (size_t)(end - p) : strlen(p);
  if (n >= sizeof out) n = sizeof out - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

static void check_words(const char *page, const char *html, const char *id, const char *cat) {
  const char *el = element(html, id);
  const char *want = birads_label(birads_parse(cat));
  if (!strstr(el, esc(want))) {
    fprintf(stderr, "  %s, BI-RADS %s: #%s is \"%s\", wanted \"%s\"\n", page, cat, id, el, want);
    T_CHECK(0);
  }
  if (strcmp(cat, "unknown") != 0) {
    T_CHECK(strstr(el, "not given") == NULL && strstr(el, "not known") == NULL && strstr(el, "Not known") == NULL);
  } else {
    T_CHECK(strstr(el, "Not known") != NULL);
  }
}

/* A signed report with second read cat against a verified first read 2. */
static void signed_view(struct report_view *v, const char *cat) {
  memset(v, 0, sizeof *v);
  enum birads b2 = birads_parse(cat);
  enum birads_rec r2 = birads_implied_rec(b2);
  if (r2 == REC_NONE) r2 = REC_ADDITIONAL_IMAGING;
  struct conc_result c = concordance_judge(FIRST_VERIFIED, BI_2, REC_NONE, b2, r2);
  v->exists = v->is_signed = v->released = true;
  v->f = (struct report_fields){"Left: no findings.", "Right: no findings.", strcmp(cat, "unknown") ? cat : "", "B",
                                birads_rec_name(r2), "", "", "Summary.", "", ""};
  v->concordance = concordance_verdict_name(c.verdict);
  v->first_birads = "2";
  v->first_state = "verified";
  v->suspicion = concordance_suspicion_name(c.suspicion);
  v->signed_at = "2026-11-30 10:00";
  v->signed_by = "Dr. Rita Reader";
  v->released_at = "2026-11-30 11:00";
  v->content_hash = "00";
  v->updated_at = "2026-11-30 10:00";
}

static HDF *base(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Page.Title", "t");
  hdf_set_value(hdf, "User.Name", "x");
  hdf_set_value(hdf, "Csrf.Token", "tok");
  hdf_set_value(hdf, "Case.id", "7");
  hdf_set_value(hdf, "Case.reference", "SO-7");
  return hdf;
}

static void every_page_shows_every_category(void) {
  for (size_t i = 0; i < N_CATS; i++) {
    const char *cat = cats[i];
    const char *stored = strcmp(cat, "unknown") ? cat : "";
    struct report_view v;
    signed_view(&v, cat);

    /* the reviewer's case page: the first read, and the signed report */
    HDF *hdf = base();
    rv_birads(hdf, stored, "Case");
    hdf_set_value(hdf, "Report.Signed", "1");
    rv_report(hdf, &v);
    char *html = render_template(hdf, "reviewer_case.cs");
    T_CHECK(html != NULL);
    check_words("reviewer_case.cs (first read)", html, "case-first-birads", cat);
    check_words("reviewer_case.cs (signed)", html, "report-birads", cat);
    free(html);
    /* the printable report for the referring physician */
    html = render_template(hdf, "report_print.cs");
    T_CHECK(html != NULL);
    check_words("report_print.cs", html, "report-birads", cat);
    if (html) T_CHECK(strstr(html, esc(concordance_verdict_label(v.concordance))) != NULL);
    free(html);
    hdf_destroy(&hdf);

    /* the staff page of the request */
    hdf = base();
    rv_birads(hdf, stored, "Case");
    html = render_template(hdf, "staff_request.cs");
    T_CHECK(html != NULL);
    check_words("staff_request.cs", html, "case-first-birads", cat);
    free(html);
    hdf_destroy(&hdf);

    /* the reviewer's worklist */
    hdf = base();
    hdf_set_value(hdf, "Cases.0.id", "7");
    hdf_set_value(hdf, "Cases.0.birads", stored);
    hdf_set_value(hdf, "Cases.0.BiradsLabel", birads_label(birads_parse(stored)));
    html = render_template(hdf, "reviewer_cases.cs");
    T_CHECK(html && strstr(html, esc(birads_label(birads_parse(stored)))) != NULL);
    if (html && *stored) T_CHECK(strstr(html, "not given") == NULL);
    free(html);
    hdf_destroy(&hdf);

    /* the staff queue */
    hdf = base();
    hdf_set_value(hdf, "Queue.Rows.0.id", "7");
    /* the category that counts (verified, else the patient's: store eff_birads, issue 12 triage) */
    hdf_set_value(hdf, "Queue.Rows.0.eff_birads", stored);
    hdf_set_value(hdf, "Queue.Rows.0.flags", "0");
    html = render_template(hdf, "staff_queue.cs");
    T_CHECK(html != NULL);
    if (html && *stored) {
      char want[32];
      snprintf(want, sizeof want, "BI-RADS %s</span>", stored);
      T_CHECK(strstr(html, want) != NULL);
      T_CHECK(strstr(html, "not known") == NULL);
    } else if (html) {
      T_CHECK(strstr(html, "not known") != NULL);
    }
    free(html);
    hdf_destroy(&hdf);

    /* the patient's report: her category in words, and the verdict's sentence */
    hdf = base();
    hdf_set_value(hdf, "Request.Id", "7");
    rv_report(hdf, &v);
    html = render_template(hdf, "report_patient.cs");
    T_CHECK(html != NULL);
    const char *cat_el = element(html, "patient-category");
    if (*stored) {
      T_CHECK(strstr(cat_el, esc(birads_label(birads_parse(stored)))) != NULL);
      T_CHECK(strstr(cat_el, esc(birads_patient_words(birads_parse(stored)))) != NULL);
    }
    struct conc_result c;
    T_CHECK(reports_stored_verdict(&v, &c) || !*stored);
    if (*stored) {
      bool third = false;
      const char *sentence = concordance_patient_sentence(&c, &third);
      T_CHECK(html && strstr(html, esc(sentence)) != NULL);
      T_CHECK(html && (strstr(html, "id=\"next-steps\"") != NULL) == third);
    }
    free(html);
    hdf_destroy(&hdf);
  }
}

/* The report form's select keeps BI-RADS 0 selected, and an empty value
 * selects nothing but "Choose…". */
static void form_keeps_category_zero(void) {
  HDF *hdf = base();
  hdf_set_value(hdf, "Case.InReview", "1");
  hdf_set_value(hdf, "Form.Values.birads", "0");
  char *html = render_template(hdf, "reviewer_case.cs");
  T_CHECK(html && strstr(html, "<option value=\"0\" selected>") != NULL);
  free(html);
  hdf_set_value(hdf, "Form.Values.birads", "");
  html = render_template(hdf, "reviewer_case.cs");
  T_CHECK(html && strstr(html, "<option value=\"0\" selected>") == NULL);
  T_CHECK(html && strstr(html, "<option value=\"\" selected>") != NULL);
  free(html);
  hdf_destroy(&hdf);
}

/* Counts of "0" on the communication tasks are values, not false. */
static void zero_counts_are_shown(void) {
  HDF *hdf = base();
  hdf_set_value(hdf, "CommTasks.List.0.request_id", "7");
  hdf_set_value(hdf, "CommTasks.List.0.reference", "SO-7");
  hdf_set_value(hdf, "CommTasks.List.0.overdue", "f");
  hdf_set_value(hdf, "CommTasks.Count", "1");
  hdf_set_value(hdf, "CommTasks.Overdue", "0");
  char *html = render_template(hdf, "staff_queue.cs");
  T_CHECK(html && strstr(html, "id=\"comm-tasks\"") != NULL);
  T_CHECK(html && strstr(html, "1 open)") != NULL);
  free(html);
  hdf_set_value(hdf, "CommTasks.Overdue", "1");
  html = render_template(hdf, "staff_queue.cs");
  T_CHECK(html && strstr(html, "<strong>1 overdue</strong>") != NULL);
  free(html);
  hdf_destroy(&hdf);
  hdf = base();
  hdf_set_value(hdf, "Request.ExpectedBy", "2026-12-01");
  hdf_set_value(hdf, "Request.DaysLeft", "0");
  html = render_template(hdf, "requests_status.cs");
  T_CHECK(html && strstr(html, " — today.") != NULL);
  free(html);
  hdf_destroy(&hdf);
}

int main(void) {
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/templates", share ? share : ".");
  T_CHECK(templates_load(dir) > 0);
  T_RUN(every_page_shows_every_category);
  T_RUN(form_keeps_category_zero);
  T_RUN(zero_counts_are_shown);
  templates_free();
  return t_done();
}
