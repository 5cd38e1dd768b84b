/* See access_log.h. */
#include "core/access_log.h"
#include "core/vocab.h"

#include <stdbool.h>
#include <string.h>

#include "core/identity.h"
#include "core/requests.h"
#include "store/requests.h"

#define R_PATIENT (1u << 0) /* enum role in http/req.h */

static const char *role_words(const char *role) {
  unsigned bit = vocab_role_bit(role);
  return vocab_role_label(vocab_role_key(bit == VOCAB_ROLE_REVIEWER || bit == VOCAB_ROLE_STAFF ? bit : VOCAB_ROLE_ADMIN));
}

/* "opened your request" / "… 3 times" */
static const char *times(struct arena *a, const char *what, long long n) {
  return n == 1 ? what : arena_printf(a, "%s %lld times", what, n);
}

/* The words of one group's activity, in a fixed order. */
static void group_items(struct arena *a, const struct rqs_access_group *g, struct access_group *o) {
  size_t cap = 12; /* the fixed items below, one line per study and per PACS */
  for (const char *p = g->studies; *p; p++) cap += *p == '\n';
  for (const char *p = g->pacs ? g->pacs : ""; *p; p++) cap += *p == '\n';
  o->items = arena_alloc(a, (cap + 1) * sizeof *o->items);
  o->n_items = 0;
  if (!o->items) return;
  const char *p = g->studies;
  while (*p) {
    size_t n = strcspn(p, "\n");
    const char *line = arena_strndup(a, p, n);
    p += n + (p[n] == '\n');
    if (!line) continue;
    const char *bar = strrchr(line, '|');
    const char *date = bar ? arena_strndup(a, line, (size_t)(bar - line)) : line;
    bool mammo = bar && strcmp(bar + 1, "true") == 0;
    const char *words = date && *date ? identity_date_words(a, date) : "";
    const char *kind = mammo ? "your mammogram" : "your images";
    o->items[o->n_items++] = words && *words ? arena_printf(a, "viewed %s of %s", kind, words)
                                             : arena_printf(a, "viewed %s", kind);
  }
  if (g->opened) o->items[o->n_items++] = times(a, "opened your request", g->opened);
  if (g->records) o->items[o->n_items++] = times(a, "looked at your records", g->records);
  if (g->downloads)
    o->items[o->n_items++] = g->downloads == 1 ? "downloaded 1 file" : arena_printf(a, "downloaded %lld files", g->downloads);
  if (g->documents) o->items[o->n_items++] = times(a, "opened a document", g->documents);
  if (g->zips) o->items[o->n_items++] = times(a, "downloaded your records as a ZIP file", g->zips);
  /* DICOMweb (routes/dicomweb.c): a radiologist's workstation or viewer reading the images */
  if (g->dw_found) o->items[o->n_items++] = times(a, "found your images from a radiology workstation", g->dw_found);
  if (g->dw_copied) o->items[o->n_items++] = times(a, "copied your images to a radiology workstation", g->dw_copied);
  if (g->dw_details)
    o->items[o->n_items++] = times(a, "read the details of your images from a radiology workstation", g->dw_details);
  if (g->dw_viewed) o->items[o->n_items++] = times(a, "viewed your images from a radiology workstation", g->dw_viewed);
  /* STOW-RS (routes/dicomweb_stow.c): images sent from the center's own systems added to the request */
  if (g->dw_stored) o->items[o->n_items++] = times(a, "added images from the center's own systems", g->dw_stored);
  /* "Send to our PACS" (core/pacs.c): copies handed to the center's own image archive */
  for (const char *q = g->pacs ? g->pacs : ""; *q;) {
    size_t n = strcspn(q, "\n");
    const char *dest = arena_strndup(a, q, n);
    q += n + (q[n] == '\n');
    if (dest && *dest) o->items[o->n_items++] = arena_printf(a, "sent your images to %s", dest);
  }
  o->items[o->n_items] = NULL;
}

enum err access_log_page(struct arena *a, const struct actor *who, long long request_id, long long page,
                         long long per_page, struct access_page *out) {
  memset(out, 0, sizeof *out);
  if (!who || !(who->role & R_PATIENT) || request_id <= 0) return ERR_NOT_FOUND;
  if (page < 1 || page > 1000000 || per_page < 1 || per_page > ACCESS_LOG_MAX_PER_PAGE) return ERR_NOT_FOUND;
  enum req_status st;
  long long owner = 0;
  enum err e = requests_access(who, request_id, RA_VIEW, &st, &owner);
  if (e != ERR_OK) return e;
  if (owner != who->user_id) return ERR_NOT_FOUND;
  struct rqs_access_group *g = NULL;
  size_t n = 0;
  e = rqs_center_access_groups(a, owner, per_page, (page - 1) * per_page, &g, &n, &out->total_groups,
                               &out->total_events);
  if (e != ERR_OK) return e;
  out->page = page;
  out->per_page = per_page;
  out->pages = (out->total_groups + per_page - 1) / per_page;
  if (page > 1 && page > out->pages) return ERR_NOT_FOUND;
  out->groups = arena_alloc(a, (n + 1) * sizeof *out->groups);
  if (!out->groups) return ERR_INTERNAL;
  for (size_t i = 0; i < n; i++) {
    struct access_group *o = &out->groups[i];
    o->day = g[i].day;
    o->day_words = identity_date_words(a, g[i].day);
    if (!o->day_words) o->day_words = g[i].day;
    o->who = g[i].who;
    o->role = role_words(g[i].role);
    o->events = g[i].events;
    group_items(a, &g[i], o);
    if (!o->items) return ERR_INTERNAL;
  }
  out->n = n;
  return ERR_OK;
}
