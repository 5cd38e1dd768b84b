/* The HTTP side of the form layer: see form_view.h. */
#include "routes/form_view.h"

#include <ClearSilver.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/arena.h"
#include "util/tz.h"

bool fv_parse(struct req *r, const struct form_spec *spec, void *ctx, struct form_value *values,
              struct form_errors *errs) {
  struct form_pair *in = arena_alloc(r->arena, (r->form.n + 1) * sizeof *in);
  size_t n = 0;
  for (size_t i = 0; in && i < r->form.n; i++) in[n++] = (struct form_pair){r->form.items[i].name, r->form.items[i].value};
  char today[16];
  tz_format(today, sizeof today, (int64_t)time(NULL), req_tz(r), TZ_DATE);
  if (!in) { /* out of memory: the form is re-shown, nothing saved */
    memset(errs, 0, sizeof *errs);
    form_error_add(errs, spec->n ? spec->fields[0].name : "form", "Please try again: the form could not be read.");
    return false;
  }
  return form_parse(r->arena, spec, in, n, today, ctx, values, errs);
}

const struct form_pair *fv_pairs(struct req *r) {
  struct form_pair *in = arena_alloc(r->arena, (r->form.n + 1) * sizeof *in);
  for (size_t i = 0; in && i < r->form.n; i++) in[i] = (struct form_pair){r->form.items[i].name, r->form.items[i].value};
  return in;
}

static void set(HDF *h, const char *name, const char *value) {
  NEOERR *e = hdf_set_value(h, name, value ? value : "");
  if (e) nerr_ignore(&e);
}

/* A name safe as one HDF path element. */
static bool plain(const char *s) {
  if (!*s || strlen(s) > 60) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

void fv_fill(struct req *r, HDF *h, const struct form_spec *spec, const struct form_errors *errs) {
  char name[160];
  for (size_t i = 0; i < spec->n; i++) {
    const struct form_field *f = &spec->fields[i];
    if (f->secret || !plain(f->name)) continue;
    for (size_t k = 0; k < r->form.n; k++) {
      if (strcmp(r->form.items[k].name, f->name) != 0) continue;
      const char *v = r->form.items[k].value;
      if (f->type == FT_ENUM && f->multi) {
        if (!plain(v)) continue;
        snprintf(name, sizeof name, "Form.Values.%s.%s", f->name, v);
        set(h, name, "1");
        continue;
      }
      snprintf(name, sizeof name, "Form.Values.%s", f->name);
      set(h, name, v);
      break;
    }
  }
  for (size_t i = 0; errs && i < errs->n; i++) {
    if (!plain(errs->e[i].field)) continue;
    snprintf(name, sizeof name, "Form.Errors.%s", errs->e[i].field);
    set(h, name, errs->e[i].message);
  }
  if (errs && errs->n) {
    snprintf(name, sizeof name, "%zu", errs->n);
    set(h, "Form.ErrorCount", name);
  }
}
