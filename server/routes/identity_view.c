/* See identity_view.h. */
#include "routes/identity_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/arena.h"

static void set(HDF *hdf, const char *value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(HDF *hdf, const char *value, const char *fmt, ...) {
  char k[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k, sizeof k, fmt, ap);
  va_end(ap);
  NEOERR *err = hdf_set_value(hdf, k, value ? value : "");
  if (err) nerr_ignore(&err);
}

/* "Study of 15 March 2024 (MAMMO SCREENING), series “R CC” (MG)". */
static const char *where(struct arena *a, const struct identity_series *s) {
  const char *date = identity_date_words(a, s->study_date);
  const char *study = *date ? arena_printf(a, "Study of %s", date) : "Study without a date";
  if (*s->study_description) study = arena_printf(a, "%s (%s)", study, s->study_description);
  const char *series = *s->description ? arena_printf(a, "series “%s”", s->description) : "a series without a name";
  return arena_printf(a, "%s, %s%s%s%s", study, series, *s->modality ? " (" : "", s->modality,
                      *s->modality ? ")" : "");
}

void identity_view_hdf(HDF *hdf, struct arena *a, const struct identity_report *rep) {
  set(hdf, rep->files > 0 ? "1" : "0", "Identity.Checked");
  set(hdf, identity_verdict_name(rep->worst), "Identity.Verdict");
  set(hdf, rep->headline, "Identity.Headline");
  set(hdf, arena_printf(a, "%lld", rep->files), "Identity.Files");
  set(hdf, arena_printf(a, "%lld", rep->other), "Identity.Other");
  set(hdf, arena_printf(a, "%lld", rep->unsure), "Identity.Unsure");
  set(hdf, rep->account, "Identity.Account");
  size_t f = 0;
  for (size_t i = 0; i < rep->n_series; i++) {
    const struct identity_series *s = &rep->series[i];
    if (s->worst == ID_MATCH) continue;
    set(hdf, where(a, s), "Identity.Flagged.%zu.Where", f);
    set(hdf, s->summary, "Identity.Flagged.%zu.Summary", f);
    set(hdf, identity_verdict_name(s->worst), "Identity.Flagged.%zu.Verdict", f);
    for (size_t k = 0; k < s->n_people; k++) {
      const struct identity_person *p = &s->people[k];
      const char *who = *p->name_display ? arena_printf(a, "“%s”", p->name_display) : "no name";
      const char *born = *p->birth_display ? arena_printf(a, "born %s", p->birth_display) : "no date of birth";
      set(hdf,
          arena_printf(a, "%lld %s: %s, %s — %s.", p->files, p->files == 1 ? "image" : "images", who, born,
                       p->r.reason),
          "Identity.Flagged.%zu.People.%zu.Text", f, k);
      set(hdf, identity_verdict_name(p->r.verdict), "Identity.Flagged.%zu.People.%zu.Verdict", f, k);
    }
    f++;
  }
}

void identity_view_people(struct arena *a, const struct identity_report *rep, long long study_id, long long series_id,
                          const char *(*name_fn)(struct arena *, const char *),
                          const char *(*date_fn)(struct arena *, const char *), const char **names,
                          const char **births, enum identity_verdict *worst) {
  *names = "";
  if (births) *births = "";
  *worst = ID_MATCH;
  /* distinct (name, birth) over the chosen series, with their counts */
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < rep->n_series; i++) cap += rep->series[i].n_people;
  const struct identity_person **ps = arena_alloc(a, (cap + 1) * sizeof *ps);
  long long *counts = arena_alloc(a, (cap + 1) * sizeof *counts);
  if (!ps || !counts) return;
  for (size_t i = 0; i < rep->n_series; i++) {
    const struct identity_series *s = &rep->series[i];
    if (series_id ? s->series_id != series_id : s->study_id != study_id) continue;
    for (size_t k = 0; k < s->n_people; k++) {
      const struct identity_person *p = &s->people[k];
      if (p->r.verdict > *worst) *worst = p->r.verdict;
      size_t j = 0;
      while (j < n && !(strcmp(ps[j]->name, p->name) == 0 && strcmp(ps[j]->birth, p->birth) == 0)) j++;
      if (j == n) {
        ps[n] = p;
        counts[n++] = 0;
      }
      counts[j] += p->files;
    }
  }
  const char *nm = "", *bd = "";
  for (size_t j = 0; j < n; j++) {
    const char *nj = name_fn(a, ps[j]->name), *bj = date_fn(a, ps[j]->birth);
    if (!nj || !bj) return;
    if (!births) nj = *bj ? arena_printf(a, "%s, born %s", nj, bj) : nj;
    if (n > 1) {
      const char *cnt = arena_printf(a, " (%lld %s)", counts[j], counts[j] == 1 ? "image" : "images");
      nj = arena_printf(a, "%s%s", nj, cnt);
      bj = arena_printf(a, "%s%s", bj, cnt);
    }
    nm = arena_printf(a, "%s%s%s", nm, j ? "; " : "", nj);
    bd = arena_printf(a, "%s%s%s", bd, j ? "; " : "", bj);
    if (!nm || !bd) return;
  }
  *names = nm;
  if (births) *births = bd;
}
