/* See print_view.h. Values go into the HDF and out through var: (escaped). */
#include "routes/print_view.h"

#include <string.h>

#include "core/center.h"
#include "core/identity.h"
#include "http/actor.h"
#include "routes/center_view.h"
#include "util/arena.h"

enum err pv_print_header(struct req *r, HDF *hdf, long long id) {
  struct actor who = actor_from_req(r);
  struct center_print_header ph;
  enum err e = center_print_header(r->arena, &who, id, &ph);
  if (e != ERR_OK) return e;
  cv_set(hdf, ph.patient_name, "Print.PatientName");
  const char *born = *ph.birth_date ? identity_date_words(r->arena, ph.birth_date) : "";
  cv_set(hdf, born ? born : "", "Print.BirthDate");
  cv_set(hdf, ph.reference, "Print.Reference");
  cv_set(hdf, ph.center_name, "Print.CenterName");
  /* one HDF node per address line: the template joins them with <br> */
  const char *p = ph.center_address;
  for (int i = 0; *p && i < 16; i++) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char *line = arena_alloc(r->arena, n + 1);
    if (!line) return ERR_INTERNAL;
    memcpy(line, p, n);
    line[n] = 0;
    cv_set(hdf, line, "Print.CenterAddress.%d", i);
    p = nl ? nl + 1 : p + n;
  }
  return ERR_OK;
}
