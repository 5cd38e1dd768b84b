/* Whose images are these: the identity check of a request's images, loaded
 * grouped per series from the database and judged by the one rule
 * (core/identity.c). See records.h. */
#include <string.h>

#include "core/identity.h"
#include "core/records.h"
#include "store/identity.h"
#include "store/uploads.h"
#include "util/arena.h"

enum err records_identity_build(struct arena *a, long long request_id, long long patient_id,
                                struct identity_report *out) {
  memset(out, 0, sizeof *out);
  const char *name = "", *birth = "";
  enum err e = users_identity(a, patient_id, &name, &birth);
  if (e != ERR_OK) return e;
  struct identity_row *rows = NULL;
  size_t n = 0;
  if ((e = identity_rows_list(a, request_id, &rows, &n)) != ERR_OK) return e;
  struct identity_account acct = {.name = name, .birth = birth, .sex = ""};
  return identity_report_build(a, &acct, rows, n, out) == 0 ? ERR_OK : ERR_INTERNAL;
}

enum err records_identity(struct arena *a, const struct actor *who, long long request_id,
                          struct identity_report *out) {
  memset(out, 0, sizeof *out);
  struct request_row rq;
  enum err e = records_request_open(a, who, request_id, &rq);
  if (e != ERR_OK) return e;
  return records_identity_build(a, request_id, rq.patient_id, out);
}
