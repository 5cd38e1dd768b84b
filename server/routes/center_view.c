/* Shared helpers of the center's pages: see center_view.h. */
#include "routes/center_view.h"
#include "core/vocab.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caregivers.h"
#include "core/identity.h"
#include "core/requests.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/tz.h"

long long cv_param_id(struct req *r, const char *name) {
  const char *s = req_param(r, name);
  if (!s || !*s || strlen(s) > 18) return 0;
  long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    v = v * 10 + (*p - '0');
  }
  return v > 0 ? v : 0;
}

/* A column named "at" or "…_at" holding an instant in the wire form
 * (util/tz.h) is shown in the viewer's zone: "2026-12-01 14:05 CET". */
static const char *cell(const struct rowset *rs, size_t i, size_t c, char buf[96]) {
  const char *v = rs->v[i * rs->ncol + c], *n = rs->names[c];
  size_t nl = strlen(n);
  int64_t t;
  if ((strcmp(n, "at") == 0 || (nl > 3 && strcmp(n + nl - 3, "_at") == 0)) && tz_parse_wire(v, &t))
    return tz_format(buf, 96, t, tz_view(), TZ_SHORT);
  return v;
}

const char *cv_when(struct arena *a, const char *wire) {
  const char *s = tz_localize(a, wire, tz_view(), TZ_SHORT);
  return s ? s : "";
}

int cv_row(HDF *hdf, const char *prefix, const struct rowset *rs, size_t i) {
  char k[160], b[96];
  for (size_t c = 0; c < rs->ncol; c++) {
    snprintf(k, sizeof k, "%s.%s", prefix, rs->names[c]);
    NEOERR *err = hdf_set_value(hdf, k, cell(rs, i, c, b));
    if (err) {
      nerr_ignore(&err);
      return -1;
    }
  }
  return 0;
}

int cv_rows(HDF *hdf, const char *prefix, const struct rowset *rs) {
  char k[128], b[96];
  for (size_t i = 0; i < rs->n; i++) {
    /* each value is set on the row's node: a full path would walk the tree from the root again */
    HDF *node = NULL;
    snprintf(k, sizeof k, "%s.%zu", prefix, i);
    NEOERR *err = hdf_get_node(hdf, k, &node);
    for (size_t c = 0; !err && c < rs->ncol; c++) err = hdf_set_value(node, rs->names[c], cell(rs, i, c, b));
    if (err) {
      nerr_ignore(&err);
      return -1;
    }
  }
  return 0;
}

void cv_set(HDF *hdf, const char *value, const char *fmt, ...) {
  char k[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k, sizeof k, fmt, ap);
  va_end(ap);
  NEOERR *err = hdf_set_value(hdf, k, value ? value : "");
  if (err) nerr_ignore(&err);
}

const char *cv_status_label(const char *status) {
  const char *w = vocab_status_staff(status);
  return w ? w : status;
}

const char *cv_kind_label(const char *k) {
  const struct vocab_document *d = vocab_document(k);
  return d ? d->staff : k ? k : "";
}

const char *cv_exam_types_words(struct arena *a, const char *joined) {
  /* the same words the patient chose from: the one vocabulary (core/requests.h) */
  if (!joined || !*joined) return "";
  char *out = arena_strdup(a, "");
  const char *p = joined;
  while (out && *p) {
    size_t n = strcspn(p, ";");
    const char *w = NULL;
    for (size_t i = 0; i < VOCAB_N_EXAM_TYPES; i++)
      if (strlen(VOCAB_EXAM_TYPES[i].key) == n && strncmp(VOCAB_EXAM_TYPES[i].key, p, n) == 0)
        w = VOCAB_EXAM_TYPES[i].label;
    /* an unknown key shows as words, never as a code */
    char *raw = w ? NULL : arena_strndup(a, p, n);
    for (char *q = raw; q && *q; q++)
      if (*q == '_') *q = ' ';
    if (n) out = arena_printf(a, "%s%s%s", out, *out ? ", " : "", w ? w : raw ? raw : "");
    p += n;
    if (*p) p++;
  }
  return out;
}

void cv_date_words(HDF *hdf, struct arena *a, const char *prefix, const char *column, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char k[160];
    snprintf(k, sizeof k, "%s.%zu.%s", prefix, i, column);
    const char *v = identity_date_words(a, hdf_get_value(hdf, k, ""));
    hdf_set_value(hdf, k, v ? v : "");
  }
}

const char *cv_role_words(const char *role) {
  if (!role) return "";
  const char *w = vocab_role_label(role);
  return w ? w : "";
}

void cv_thread(HDF *hdf, const struct rqs_message *m, size_t n, long long reader_id) {
  long long unread = 0;
  for (size_t i = 0; i < n; i++) {
    bool fresh = !m[i].internal && !*m[i].read_at && m[i].author_id != reader_id && strcmp(m[i].author_role, "patient") == 0;
    unread += fresh;
    cv_set(hdf, *m[i].author_name ? m[i].author_name : "(no name)", "Thread.Items.%zu.author", i);
    cv_set(hdf, cv_role_words(m[i].author_role), "Thread.Items.%zu.role", i);
    char b[96];
    int64_t t;
    cv_set(hdf, tz_parse_wire(m[i].created_at, &t) ? tz_format(b, sizeof b, t, tz_view(), TZ_SHORT) : m[i].created_at,
           "Thread.Items.%zu.at", i);
    cv_set(hdf, m[i].body_sealed_hex, "Thread.Items.%zu.body", i);
    cv_set(hdf, m[i].internal ? "1" : "0", "Thread.Items.%zu.internal", i);
    cv_set(hdf, fresh ? "1" : "0", "Thread.Items.%zu.new", i);
  }
  char b[24];
  snprintf(b, sizeof b, "%lld", unread);
  hdf_set_value(hdf, "Thread.Unread", b);
}

void cv_thread_people(HDF *hdf, struct arena *a, const struct rqs_message *m, size_t n, long long patient_id,
                      long long reader_id) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(m[i].author_role, "patient") != 0 || m[i].author_id == patient_id) continue;
    const char *both = caregivers_who(a, patient_id, m[i].author_id, reader_id);
    if (!both) continue;
    cv_set(hdf, both, "Thread.Items.%zu.author", i);
    cv_set(hdf, "acting for the patient", "Thread.Items.%zu.role", i);
  }
}
