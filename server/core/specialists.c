#include "core/specialists.h"
#include "core/vocab.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/csv.h"
#include "core/form.h"
#include "store/db.h"
#include "store/specialists.h"
#include "util/arena.h"
#include "util/log.h"

#define MAX_IMPORT_ROWS 50000
#define MAX_IMPORT_PROBLEMS 200
#define MAX_NETWORKS 40
#define MAX_LANGUAGES 12
#define MAX_FEE_CENTS 10000000LL /* $100,000 */

/* CSV columns in export order; reviewer_user_id is a form-only field. */
const char *const specialist_fields[] = {
    "external_id",   "full_name",      "credentials",          "board",           "board_year",
    "breast_fellowship", "institution", "city",                "state",           "nci_designated",
    "academic",      "center_of_excellence", "remote_review",  "in_person",       "offers_reread",
    "fee_reread",    "offers_consult", "fee_consult",          "records_submission", "records_requirements",
    "turnaround_days", "networks",     "languages",            "accepting",       "active",
    NULL,
};

/* Columns an import file must have. */
static const char *const required_columns[] = {
    "external_id", "full_name", "credentials", "institution", "city", "state", "turnaround_days", NULL,
};

static const char *const us_states[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI",
    "AS", "MP", NULL,
};

int field_errors_add(struct arena *a, struct field_errors *fe, const char *field, const char *message) {
  if (fe->n == fe->cap) {
    size_t cap = fe->cap ? fe->cap * 2 : 8;
    struct field_error *items = arena_alloc(a, cap * sizeof *items);
    if (!items) return -1;
    if (fe->n) memcpy(items, fe->items, fe->n * sizeof *items);
    fe->items = items;
    fe->cap = cap;
  }
  fe->items[fe->n++] = (struct field_error){field, message};
  return 0;
}

const char *field_errors_get(const struct field_errors *fe, const char *field) {
  for (size_t i = 0; i < fe->n; i++)
    if (strcmp(fe->items[i].field, field) == 0) return fe->items[i].message;
  return NULL;
}

void specialist_filter_defaults(struct specialist_filter *f) {
  memset(f, 0, sizeof *f);
  f->breast_specialist = true;
  f->sort = SORT_NAME;
  f->limit = 20;
}

bool specialist_accepts(const struct specialist *s, const char *network) {
  if (!network || !*network) return false;
  for (size_t i = 0; i < s->n_networks; i++)
    if (strcasecmp(s->networks[i], network) == 0) return true;
  return false;
}

const char *specialist_money(struct arena *a, long long cents) {
  if (cents < 0) return "";
  return arena_printf(a, "%lld.%02lld", cents / 100, cents % 100);
}

/* ---- validation ---- */

/* Copy of s without leading/trailing blanks, in the arena (NULL: out of memory). */
static char *trimmed(struct arena *a, const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  return arena_strndup(a, s, n);
}

/* Number of code points in valid UTF-8 text. */
static size_t utf8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

/* True when s has a control character (newlines allowed when multiline). */
static bool has_control(const char *s, bool multiline) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (multiline && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

/* A spreadsheet would run a value starting with these as a formula. */
static bool formula_like(const char *s) { return *s == '=' || *s == '+' || *s == '-' || *s == '@'; }

struct vctx {
  struct arena *a;
  spec_getter get;
  void *ctx;
  struct field_errors *fe;
  bool oom;
};

static void err_add(struct vctx *v, const char *field, const char *msg) {
  if (field_errors_add(v->a, v->fe, field, msg) != 0) v->oom = true;
}

/* Reads a text field: trimmed, length-checked, free of control characters
 * and formula starts. Returns the value ("" when absent), or NULL after
 * recording an error. */
static const char *text_field(struct vctx *v, const char *field, const char *label, size_t min, size_t max,
                              bool multiline) {
  const char *raw = v->get(v->ctx, field);
  char *t = trimmed(v->a, raw ? raw : "");
  if (!t) {
    v->oom = true;
    return NULL;
  }
  size_t n = utf8_len(t);
  char *msg = NULL;
  if (n == 0 && min > 0) {
    msg = arena_printf(v->a, "Enter the %s.", label);
  } else if (n < min) {
    msg = arena_printf(v->a, "The %s needs at least %zu characters.", label, min);
  } else if (n > max) {
    msg = arena_printf(v->a, "The %s can have at most %zu characters (it has %zu).", label, max, n);
  } else if (has_control(t, multiline)) {
    msg = arena_printf(v->a, "The %s contains a control character; please retype it.", label);
  } else if (formula_like(t)) {
    msg = arena_printf(v->a, "The %s cannot start with =, +, - or @.", label);
  } else {
    return t;
  }
  if (!msg) v->oom = true;
  else err_add(v, field, msg);
  return NULL;
}

/* Reads a yes/no field: absent or empty is no. *ok false after an error. */
static bool bool_field(struct vctx *v, const char *field, bool absent_value, bool *ok) {
  const char *raw = v->get(v->ctx, field);
  if (!raw) return absent_value;
  char *t = trimmed(v->a, raw);
  if (!t) {
    v->oom = true;
    *ok = false;
    return false;
  }
  static const char *const yes[] = {"yes", "y", "true", "t", "1", "on", NULL};
  static const char *const no[] = {"no", "n", "false", "f", "0", "off", "", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(t, yes[i]) == 0) return true;
  for (int i = 0; no[i]; i++)
    if (strcasecmp(t, no[i]) == 0) return false;
  err_add(v, field, "Write yes or no.");
  *ok = false;
  return false;
}

/* Parses a whole number in [min, max]; absent or empty gives dflt when
 * allow_empty. Records msg on error and returns dflt. */
static long long int_field(struct vctx *v, const char *field, long long min, long long max, bool allow_empty,
                           long long dflt, const char *msg) {
  const char *raw = v->get(v->ctx, field);
  char *t = trimmed(v->a, raw ? raw : "");
  if (!t) {
    v->oom = true;
    return dflt;
  }
  if (!*t) {
    if (!allow_empty) err_add(v, field, msg);
    return dflt;
  }
  bool digits = strlen(t) <= 12;
  for (const char *p = t; *p && digits; p++)
    if (*p < '0' || *p > '9') digits = false;
  long long val = digits ? strtoll(t, NULL, 10) : -1;
  if (!digits || val < min || val > max) {
    err_add(v, field, msg);
    return dflt;
  }
  return val;
}

/* Parses a fee in dollars ("350", "350.5", "$1,200.00") into cents; -1 when
 * empty. Records an error and returns -2 when malformed or out of range. */
static long long fee_field(struct vctx *v, const char *field) {
  const char *raw = v->get(v->ctx, field);
  char *t = trimmed(v->a, raw ? raw : "");
  if (!t) {
    v->oom = true;
    return -2;
  }
  if (!*t) return -1;
  const char *p = t;
  if (*p == '$') p++;
  long long dollars = 0, cents = 0;
  int ndig = 0;
  bool ok = true;
  for (; *p && *p != '.'; p++) {
    if (*p == ',' && ndig > 0) continue;
    if (*p < '0' || *p > '9' || ndig >= 7) {
      ok = false;
      break;
    }
    dollars = dollars * 10 + (*p - '0');
    ndig++;
  }
  if (ok && ndig == 0) ok = false;
  if (ok && *p == '.') {
    p++;
    int nc = 0;
    for (; *p; p++, nc++) {
      if (*p < '0' || *p > '9' || nc >= 2) {
        ok = false;
        break;
      }
      cents = cents * 10 + (*p - '0');
    }
    if (ok && nc == 0) ok = false;
    if (nc == 1) cents *= 10;
  }
  long long total = dollars * 100 + cents;
  if (!ok || total > MAX_FEE_CENTS) {
    err_add(v, field, "Enter the fee in US dollars, for example 350 or 350.00 (at most 100000).");
    return -2;
  }
  return total;
}

/* Reads one of the allowed words (case-insensitive, stored lower case or as
 * given in canon). Returns the canonical word, or NULL after an error. */
static const char *choice_field(struct vctx *v, const char *field, const char *const *canon, const char *dflt,
                                const char *msg) {
  const char *raw = v->get(v->ctx, field);
  char *t = trimmed(v->a, raw ? raw : "");
  if (!t) {
    v->oom = true;
    return NULL;
  }
  if (!*t && dflt) return dflt;
  for (int i = 0; canon[i]; i++)
    if (strcasecmp(t, canon[i]) == 0) return canon[i];
  err_add(v, field, msg);
  return NULL;
}

/* Splits a list field on ';' or line breaks; trims, drops empties and
 * case-insensitive duplicates, checks each item. 0, or -1 after an error. */
static int list_field(struct vctx *v, const char *field, const char *label, size_t max_items, size_t min_items,
                      const char ***out, size_t *n) {
  const char *raw = v->get(v->ctx, field);
  const char *s = raw ? raw : "";
  const char **items = arena_alloc(v->a, (max_items + 1) * sizeof *items);
  if (!items) {
    v->oom = true;
    return -1;
  }
  size_t k = 0;
  const char *start = s;
  for (const char *p = s;; p++) {
    if (*p != ';' && *p != '\n' && *p != '\0') continue;
    char *item = arena_strndup(v->a, start, (size_t)(p - start));
    char *t = item ? trimmed(v->a, item) : NULL;
    if (!t) {
      v->oom = true;
      return -1;
    }
    if (*t) {
      size_t len = utf8_len(t);
      const char *msg = NULL;
      if (len > 80) msg = arena_printf(v->a, "Each %s can have at most 80 characters.", label);
      else if (has_control(t, false)) msg = arena_printf(v->a, "A %s contains a control character.", label);
      else if (formula_like(t)) msg = arena_printf(v->a, "A %s cannot start with =, +, - or @.", label);
      if (msg) {
        err_add(v, field, msg);
        return -1;
      }
      bool dup = false;
      for (size_t i = 0; i < k && !dup; i++) dup = strcasecmp(items[i], t) == 0;
      if (!dup) {
        if (k == max_items) {
          err_add(v, field, arena_printf(v->a, "List at most %zu; separate them with semicolons.", max_items));
          return -1;
        }
        items[k++] = t;
      }
    }
    if (*p == '\0') break;
    start = p + 1;
  }
  if (k < min_items) {
    err_add(v, field, arena_printf(v->a, "Enter at least one %s; separate several with semicolons.", label));
    return -1;
  }
  *out = items;
  *n = k;
  return 0;
}

/* True when s is a two-letter USPS state or territory code. */
static bool state_ok(const char *s) {
  for (int i = 0; us_states[i]; i++)
    if (strcmp(s, us_states[i]) == 0) return true;
  return false;
}

/* True when s fits the external_id pattern [A-Za-z0-9._-]{1,64}. */
static bool external_id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return false;
  return true;
}

enum err specialist_from_input(struct arena *a, spec_getter get, void *ctx, bool for_csv, struct specialist *out,
                               struct field_errors *fe) {
  struct vctx v = {a, get, ctx, fe, false};
  struct specialist s;
  memset(&s, 0, sizeof s);
  size_t errors_before = fe->n;
  bool ok = true;

  const char *raw_ext = get(ctx, "external_id");
  char *ext = trimmed(a, raw_ext ? raw_ext : "");
  if (!ext) return ERR_INTERNAL;
  if (!*ext && for_csv) err_add(&v, "external_id", "Enter an id for this row (it matches rows on the next import).");
  else if (*ext && !external_id_ok(ext))
    err_add(&v, "external_id", "Use 1 to 64 letters, digits, dots, dashes or underscores.");
  s.external_id = ext;

  s.full_name = text_field(&v, "full_name", "full name", 2, 120, false);
  static const char *const creds[] = {"MD", "DO", NULL};
  s.credentials = choice_field(&v, "credentials", creds, NULL, "Choose MD or DO.");
  s.board = text_field(&v, "board", "certifying board", 0, 120, false);
  time_t now = time(NULL);
  struct tm tmv;
  long long year_now = localtime_r(&now, &tmv) ? 1900 + (long long)tmv.tm_year : 2100;
  s.board_year = (int)int_field(&v, "board_year", 1950, year_now, true, 0,
                                "Enter the year of board certification, for example 2012.");
  if (s.board && *s.board && s.board_year == 0 && !field_errors_get(fe, "board_year"))
    err_add(&v, "board_year", "Enter the year of board certification.");
  if (s.board && !*s.board && s.board_year != 0)
    err_add(&v, "board", "Enter the certifying board, or leave the year empty.");
  s.breast_fellowship = bool_field(&v, "breast_fellowship", false, &ok);
  s.institution = text_field(&v, "institution", "institution", 2, 160, false);
  s.city = text_field(&v, "city", "city", 1, 80, false);
  const char *st = text_field(&v, "state", "state", 2, 2, false);
  if (st) {
    char *up = arena_strdup(a, st);
    if (!up) return ERR_INTERNAL;
    for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
    if (state_ok(up)) s.state = up;
    else err_add(&v, "state", "Enter the two-letter state code, for example TX.");
  }
  static const char *const ncis[] = {"none", "clinical", "comprehensive", NULL};
  s.nci = choice_field(&v, "nci_designated", ncis, "none", "Choose none, clinical or comprehensive.");
  s.academic = bool_field(&v, "academic", false, &ok);
  s.center_of_excellence = bool_field(&v, "center_of_excellence", false, &ok);
  s.remote_review = bool_field(&v, "remote_review", false, &ok);
  s.in_person = bool_field(&v, "in_person", false, &ok);
  bool modes_ok = ok;
  if (modes_ok && !s.remote_review && !s.in_person)
    err_add(&v, "remote_review", "Choose at least one: remote review or in-person consultation.");
  s.offers_reread = bool_field(&v, "offers_reread", false, &ok);
  s.offers_consult = bool_field(&v, "offers_consult", false, &ok);
  long long fr = fee_field(&v, "fee_reread"), fc = fee_field(&v, "fee_consult");
  if (s.offers_reread && fr == -1) err_add(&v, "fee_reread", "Enter the fee for an image re-read.");
  if (!s.offers_reread && fr >= 0) err_add(&v, "fee_reread", "Leave the fee empty when no re-read is offered.");
  if (s.offers_consult && fc == -1) err_add(&v, "fee_consult", "Enter the fee for a full consultation.");
  if (!s.offers_consult && fc >= 0)
    err_add(&v, "fee_consult", "Leave the fee empty when no consultation is offered.");
  if (ok && !s.offers_reread && !s.offers_consult)
    err_add(&v, "offers_reread", "Choose at least one review type: image re-read or full consultation.");
  s.fee_reread_cents = s.offers_reread && fr >= 0 ? fr : -1;
  s.fee_consult_cents = s.offers_consult && fc >= 0 ? fc : -1;
  static const char *const subs[] = {"upload", "mail", "both", NULL};
  s.records_submission = choice_field(&v, "records_submission", subs, NULL, "Choose upload, mail or both.");
  s.records_requirements = text_field(&v, "records_requirements", "records requirements", 0, 1000, true);
  s.turnaround_days =
      (int)int_field(&v, "turnaround_days", 1, 90, false, 0, "Enter the typical turnaround in days, from 1 to 90.");
  list_field(&v, "networks", "insurance network", MAX_NETWORKS, 0, &s.networks, &s.n_networks);
  list_field(&v, "languages", "language", MAX_LANGUAGES, 1, &s.languages, &s.n_languages);
  s.accepting = bool_field(&v, "accepting", false, &ok);
  s.active = for_csv ? bool_field(&v, "active", true, &ok) : true;
  if (!for_csv)
    s.reviewer_user_id = int_field(&v, "reviewer_user_id", 1, 999999999999LL, true, 0,
                                   "Choose a reviewer account from the list, or none.");
  if (v.oom) return ERR_INTERNAL;
  if (fe->n > errors_before) return ERR_INVALID;
  *out = s;
  return ERR_OK;
}

void specialist_to_text(struct arena *a, const struct specialist *s,
                        void (*put)(void *ctx, const char *field, const char *value), void *ctx) {
  const char *yn[2] = {"no", "yes"};
  put(ctx, "external_id", s->external_id);
  put(ctx, "full_name", s->full_name);
  put(ctx, "credentials", s->credentials);
  put(ctx, "board", s->board);
  put(ctx, "board_year", s->board_year ? arena_printf(a, "%d", s->board_year) : "");
  put(ctx, "breast_fellowship", yn[s->breast_fellowship]);
  put(ctx, "institution", s->institution);
  put(ctx, "city", s->city);
  put(ctx, "state", s->state);
  put(ctx, "nci_designated", s->nci);
  put(ctx, "academic", yn[s->academic]);
  put(ctx, "center_of_excellence", yn[s->center_of_excellence]);
  put(ctx, "remote_review", yn[s->remote_review]);
  put(ctx, "in_person", yn[s->in_person]);
  put(ctx, "offers_reread", yn[s->offers_reread]);
  put(ctx, "fee_reread", s->offers_reread ? specialist_money(a, s->fee_reread_cents) : "");
  put(ctx, "offers_consult", yn[s->offers_consult]);
  put(ctx, "fee_consult", s->offers_consult ? specialist_money(a, s->fee_consult_cents) : "");
  put(ctx, "records_submission", s->records_submission);
  put(ctx, "records_requirements", s->records_requirements);
  put(ctx, "turnaround_days", arena_printf(a, "%d", s->turnaround_days));
  char *nets = arena_join(a, (const char *const *)s->networks, s->n_networks, "; ");
  put(ctx, "networks", nets ? nets : "");
  char *langs = arena_join(a, (const char *const *)s->languages, s->n_languages, "; ");
  put(ctx, "languages", langs ? langs : "");
  put(ctx, "accepting", yn[s->accepting]);
  put(ctx, "active", yn[s->active]);
  put(ctx, "reviewer_user_id", s->reviewer_user_id ? arena_printf(a, "%lld", s->reviewer_user_id) : "");
}

/* ---- reading ---- */

/* An ILIKE pattern matching q anywhere, with %, _ and \ escaped. NULL for none. */
static const char *like_pattern(struct arena *a, const char *q) {
  if (!q || !*q) return NULL;
  size_t n = strlen(q);
  char *p = arena_alloc(a, n * 2 + 3);
  if (!p) return NULL;
  size_t k = 0;
  p[k++] = '%';
  for (size_t i = 0; i < n; i++) {
    if (q[i] == '%' || q[i] == '_' || q[i] == '\\') p[k++] = '\\';
    p[k++] = q[i];
  }
  p[k++] = '%';
  p[k] = '\0';
  return p;
}

enum err specialists_search(struct arena *a, const struct specialist_filter *f, struct specialist **out, size_t *n,
                            long long *total) {
  const char *pat = like_pattern(a, f->q);
  enum err e = store_specialists_search(a, f, pat, out, n);
  if (e != ERR_OK) return e;
  if (*n == 0 && f->offset == 0) {
    *total = 0;
    return ERR_OK;
  }
  if (f->offset == 0 && (int)*n < f->limit) {
    *total = (long long)*n;
    return ERR_OK;
  }
  return store_specialists_count(a, f, pat, total);
}

enum err specialist_get(struct arena *a, long long id, struct specialist *out) {
  if (id <= 0) return ERR_NOT_FOUND;
  return store_specialist_get(a, id, out);
}

/* The filter form's choices (distinct networks and languages) cost a scan of
 * the whole directory, so they are kept for CHOICES_TTL seconds in one
 * process-wide copy (malloc'd, guarded by a mutex) and dropped when this
 * process changes the directory. Another instance's change shows within the TTL. */
#define CHOICES_TTL 60
static pthread_mutex_t choices_lock = PTHREAD_MUTEX_INITIALIZER;
static char **cached_nets, **cached_langs;
static size_t cached_nn, cached_nl;
static time_t cached_at;

/* Frees the cached lists; call with choices_lock held. */
static void choices_drop_locked(void) {
  for (size_t i = 0; i < cached_nn; i++) free(cached_nets[i]);
  for (size_t i = 0; i < cached_nl; i++) free(cached_langs[i]);
  free(cached_nets);
  free(cached_langs);
  cached_nets = cached_langs = NULL;
  cached_nn = cached_nl = 0;
  cached_at = 0;
}

static void choices_invalidate(void) {
  pthread_mutex_lock(&choices_lock);
  choices_drop_locked();
  pthread_mutex_unlock(&choices_lock);
}

/* malloc'd copy of an array of n strings; NULL when out of memory. */
static char **dup_list(const char *const *src, size_t n) {
  char **out = calloc(n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++) {
    out[i] = strdup(src[i]);
    if (!out[i]) {
      for (size_t k = 0; k < i; k++) free(out[k]);
      free(out);
      return NULL;
    }
  }
  return out;
}

/* Arena copy of an array of n strings; NULL when out of memory. */
static const char **arena_list(struct arena *a, char *const *src, size_t n) {
  const char **out = arena_alloc(a, (n + 1) * sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    if (!(out[i] = arena_strdup(a, src[i]))) return NULL;
  return out;
}

enum err specialists_choices(struct arena *a, const char ***networks, size_t *n_networks, const char ***languages,
                             size_t *n_languages) {
  time_t now = time(NULL);
  enum err e = ERR_OK;
  pthread_mutex_lock(&choices_lock);
  if (cached_at && now - cached_at < CHOICES_TTL) {
    *networks = arena_list(a, cached_nets, cached_nn);
    *languages = arena_list(a, cached_langs, cached_nl);
    *n_networks = cached_nn;
    *n_languages = cached_nl;
    pthread_mutex_unlock(&choices_lock);
    return *networks && *languages ? ERR_OK : ERR_INTERNAL;
  }
  pthread_mutex_unlock(&choices_lock);
  e = store_specialists_choices(a, networks, n_networks, languages, n_languages);
  if (e != ERR_OK) return e;
  char **nets = dup_list(*networks, *n_networks), **langs = dup_list(*languages, *n_languages);
  pthread_mutex_lock(&choices_lock);
  if (nets && langs) {
    choices_drop_locked();
    cached_nets = nets;
    cached_langs = langs;
    cached_nn = *n_networks;
    cached_nl = *n_languages;
    cached_at = now;
    nets = langs = NULL;
  }
  pthread_mutex_unlock(&choices_lock);
  for (size_t i = 0; nets && nets[i]; i++) free(nets[i]);
  for (size_t i = 0; langs && langs[i]; i++) free(langs[i]);
  free(nets);
  free(langs);
  return ERR_OK;
}

void specialists_choices_free(void) { choices_invalidate(); }

/* ---- changes ---- */

struct change {
  const struct actor *who;
  struct arena *a;
  long long id;
  const struct specialist *s;
  bool active;
  const char *action;
  struct field_errors *fe; /* create and update: the reviewer account's error */
  long long link_user;     /* link: the reviewer account */
};

/* Inside the change's transaction: a linked account must be an active
 * reviewer (a staff, patient or admin account, or a disabled one, never
 * signs for a specialist). ERR_INVALID with the field error otherwise. */
static enum err check_reviewer(struct change *c) {
  if (!c->s || c->s->reviewer_user_id <= 0) return ERR_OK;
  const char *role = NULL;
  bool active = false;
  enum err e = store_account_kind(c->a, c->s->reviewer_user_id, &role, &active);
  if (e != ERR_OK && e != ERR_NOT_FOUND) return e;
  const char *msg = e == ERR_NOT_FOUND              ? "There is no such account. Choose a reviewer from the list."
                    : strcmp(role, VOCAB_KEY_REVIEWER) != 0 ? "This account is not a reviewer's: only a reviewer account can sign "
                                                      "reports for a specialist. Choose one from the list."
                    : !active                       ? "This reviewer account is disabled. Choose an active one."
                                                    : NULL;
  if (!msg) return ERR_OK;
  if (c->fe && field_errors_add(c->a, c->fe, "reviewer_user_id", msg) != 0) return ERR_INTERNAL;
  return ERR_INVALID;
}

/* Writes the audit row for a change to specialist c->id. */
static enum err audit_change(struct change *c) {
  char idtext[24];
  snprintf(idtext, sizeof idtext, "%lld", c->id);
  /* external ids are [A-Za-z0-9._-]: safe inside a JSON string */
  const char *detail = c->s ? arena_printf(c->a, "{\"external_id\":\"%s\"}", c->s->external_id) : NULL;
  struct audit_event ev = {
      .action = c->action, .object_type = "specialist", .object_id = idtext, .outcome = "ok", .detail_json = detail,
  };
  return audit_write(c->who, &ev);
}

static enum err tx_create(void *ctx) {
  struct change *c = ctx;
  enum err e = check_reviewer(c);
  if (e != ERR_OK) return e;
  e = store_specialist_insert(c->a, c->s, &c->id);
  if (e != ERR_OK) return e;
  return audit_change(c);
}

static enum err tx_update(void *ctx) {
  struct change *c = ctx;
  enum err e = check_reviewer(c);
  if (e != ERR_OK) return e;
  e = store_specialist_update(c->a, c->id, c->s);
  if (e != ERR_OK) return e;
  return audit_change(c);
}

static enum err tx_set_active(void *ctx) {
  struct change *c = ctx;
  enum err e = store_specialist_set_active(c->a, c->id, c->active);
  if (e != ERR_OK) return e;
  return audit_change(c);
}

enum err specialist_create(const struct actor *who, struct arena *a, struct specialist *s, long long *id,
                           struct field_errors *fe) {
  if (!s->external_id || !*s->external_id) {
    unsigned char rnd[5];
    char hex[11];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    s->external_id = arena_printf(a, "local-%s", hex);
    if (!s->external_id) return ERR_INTERNAL;
  }
  struct change c = {who, a, 0, s, true, "specialist.create", fe, 0};
  enum err e = db_tx(tx_create, &c);
  if (e == ERR_OK) choices_invalidate();
  if (e == ERR_CONFLICT && !db_last_was_retryable()) {
    if (field_errors_add(a, fe, "external_id", "Another specialist already has this id.") != 0) return ERR_INTERNAL;
    return ERR_INVALID;
  }
  if (e == ERR_OK) *id = c.id;
  return e;
}

enum err specialist_update(const struct actor *who, struct arena *a, long long id, const struct specialist *s,
                           struct field_errors *fe) {
  if (id <= 0) return ERR_NOT_FOUND;
  struct change c = {who, a, id, s, true, "specialist.update", fe, 0};
  enum err e = db_tx(tx_update, &c);
  if (e == ERR_OK) choices_invalidate();
  if (e == ERR_CONFLICT && !db_last_was_retryable()) {
    if (field_errors_add(a, fe, "external_id", "Another specialist already has this id.") != 0) return ERR_INTERNAL;
    return ERR_INVALID;
  }
  return e;
}

enum err specialist_set_active(const struct actor *who, struct arena *a, long long id, bool active) {
  if (id <= 0) return ERR_NOT_FOUND;
  struct change c = {who, a, id, NULL, active, active ? "specialist.reactivate" : "specialist.deactivate", NULL, 0};
  enum err e = db_tx(tx_set_active, &c);
  if (e == ERR_OK) choices_invalidate();
  return e;
}

/* ---- the admin's form (/admin/specialists/new, /admin/specialists/{id}) ---- */

#define R_ADMIN (1u << 3)

enum {
  SF_EXTERNAL_ID, SF_FULL_NAME, SF_CREDENTIALS, SF_BOARD, SF_BOARD_YEAR, SF_FELLOWSHIP, SF_INSTITUTION, SF_CITY,
  SF_STATE, SF_NCI, SF_ACADEMIC, SF_COE, SF_REMOTE, SF_IN_PERSON, SF_OFFERS_REREAD, SF_FEE_REREAD, SF_OFFERS_CONSULT,
  SF_FEE_CONSULT, SF_RECORDS_SUBMISSION, SF_RECORDS_REQUIREMENTS, SF_TURNAROUND, SF_NETWORKS, SF_LANGUAGES,
  SF_ACCEPTING, SF_REVIEWER, SF_N
};
static const struct form_word yes_no[] = {{"yes", "Yes"}, {"no", "No"}};
static const struct form_word cred_words[] = {{"MD", "MD"}, {"DO", "DO"}};
static const struct form_word nci_words[] = {
    {"none", "Not NCI-designated"}, {"clinical", "Clinical cancer center"}, {"comprehensive", "Comprehensive cancer center"}};
static const struct form_word submission_words[] = {
    {"upload", "Upload only"}, {"mail", "Mail only"}, {"both", "Upload or mail"}};
#define YES_NO(f) {.name = f, .type = FT_ENUM, .vocab = yes_no, .n_vocab = 2, .invalid = "Write yes or no."}
static const struct form_field specialist_form_fields[] = {
    [SF_EXTERNAL_ID] = {.name = "external_id", .type = FT_TEXT, .max = 64,
                        .invalid = "Use 1 to 64 letters, digits, dots, dashes or underscores."},
    [SF_FULL_NAME] = {.name = "full_name", .type = FT_TEXT, .required = true, .min = 2, .max = 120,
                      .missing = "Enter the full name."},
    [SF_CREDENTIALS] = {.name = "credentials", .type = FT_ENUM, .required = true, .vocab = cred_words, .n_vocab = 2,
                        .missing = "Choose MD or DO.", .invalid = "Choose MD or DO."},
    [SF_BOARD] = {.name = "board", .type = FT_TEXT, .max = 120},
    [SF_BOARD_YEAR] = {.name = "board_year", .type = FT_INT, .min = 1950, .max = 2100,
                       .invalid = "Enter the year of board certification, for example 2012."},
    [SF_FELLOWSHIP] = YES_NO("breast_fellowship"),
    [SF_INSTITUTION] = {.name = "institution", .type = FT_TEXT, .required = true, .min = 2, .max = 160,
                        .missing = "Enter the institution."},
    [SF_CITY] = {.name = "city", .type = FT_TEXT, .required = true, .max = 80, .missing = "Enter the city."},
    [SF_STATE] = {.name = "state", .type = FT_TEXT, .required = true, .min = 2, .max = 2,
                  .missing = "Enter the two-letter state code, for example TX.",
                  .invalid = "Enter the two-letter state code, for example TX."},
    [SF_NCI] = {.name = "nci_designated", .type = FT_ENUM, .vocab = nci_words, .n_vocab = 3,
                .invalid = "Choose none, clinical or comprehensive."},
    [SF_ACADEMIC] = YES_NO("academic"),
    [SF_COE] = YES_NO("center_of_excellence"),
    [SF_REMOTE] = YES_NO("remote_review"),
    [SF_IN_PERSON] = YES_NO("in_person"),
    [SF_OFFERS_REREAD] = YES_NO("offers_reread"),
    [SF_FEE_REREAD] = {.name = "fee_reread", .type = FT_TEXT, .max = 20,
                       .invalid = "Enter the fee in US dollars, for example 350 or 350.00 (at most 100000)."},
    [SF_OFFERS_CONSULT] = YES_NO("offers_consult"),
    [SF_FEE_CONSULT] = {.name = "fee_consult", .type = FT_TEXT, .max = 20,
                        .invalid = "Enter the fee in US dollars, for example 350 or 350.00 (at most 100000)."},
    [SF_RECORDS_SUBMISSION] = {.name = "records_submission", .type = FT_ENUM, .required = true,
                               .vocab = submission_words, .n_vocab = 3, .missing = "Choose upload, mail or both.",
                               .invalid = "Choose upload, mail or both."},
    [SF_RECORDS_REQUIREMENTS] = {.name = "records_requirements", .type = FT_MULTILINE, .max = 1000},
    [SF_TURNAROUND] = {.name = "turnaround_days", .type = FT_INT, .required = true, .min = 1, .max = 90,
                       .missing = "Enter the typical turnaround in days, from 1 to 90.",
                       .invalid = "Enter the typical turnaround in days, from 1 to 90."},
    [SF_NETWORKS] = {.name = "networks", .type = FT_TEXT, .max = 4000},
    [SF_LANGUAGES] = {.name = "languages", .type = FT_TEXT, .required = true, .max = 1200,
                      .missing = "Enter at least one language; separate several with semicolons."},
    [SF_ACCEPTING] = YES_NO("accepting"),
    [SF_REVIEWER] = {.name = "reviewer_user_id", .type = FT_ID,
                     .invalid = "Choose a reviewer account from the list, or none."},
};
#undef YES_NO

struct sform_ctx {
  struct arena *a;
  const struct form_value *v;
  struct specialist s;
  bool ok, oom;
};

/* The typed values by field name, for the record's own rules (specialist_from_input). */
static const char *sform_get(void *ctx, const char *field) {
  struct sform_ctx *c = ctx;
  for (size_t i = 0; i < SF_N; i++)
    if (strcmp(specialist_form_fields[i].name, field) == 0) return c->v[i].text;
  return NULL;
}

/* The rules between fields (board and year, fees and the services offered, at least one way
 * to review, the state's code, the lists) are the record's own: the ones the CSV import
 * applies too. A field the form layer refused keeps its first message. */
static void sform_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                        void *ctx) {
  (void)spec;
  struct sform_ctx *c = ctx;
  c->v = v;
  struct field_errors fe = {0};
  enum err e = specialist_from_input(c->a, sform_get, c, false, &c->s, &fe);
  c->ok = e == ERR_OK;
  c->oom = e == ERR_INTERNAL;
  for (size_t i = 0; i < fe.n; i++) form_error_add(errs, fe.items[i].field, fe.items[i].message);
  if (c->oom) form_error_add(errs, "full_name", "Please try again: the form could not be read.");
}

const struct form_spec *specialist_form(void) {
  static const struct form_spec spec = {specialist_form_fields, SF_N, sform_check};
  return &spec;
}

enum err specialist_submit(const struct actor *who, struct arena *a, long long id, const struct form_pair *in,
                           size_t n, struct form_errors *errs, long long *out_id) {
  memset(errs, 0, sizeof *errs);
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct specialist current;
  if (id) {
    enum err e = id > 0 ? specialist_get(a, id, &current) : ERR_NOT_FOUND;
    if (e != ERR_OK) return e;
  }
  struct form_value v[SF_N];
  struct sform_ctx c = {.a = a};
  if (!form_parse(a, specialist_form(), in, n, NULL, &c, v, errs)) return c.oom ? ERR_INTERNAL : ERR_INVALID;
  if (!c.ok) return ERR_INTERNAL;
  struct field_errors fe = {0};
  enum err e;
  if (id) {
    if (!*c.s.external_id) c.s.external_id = current.external_id; /* an emptied id keeps the old one */
    e = specialist_update(who, a, id, &c.s, &fe);
    if (e == ERR_OK && out_id) *out_id = id;
  } else {
    e = specialist_create(who, a, &c.s, out_id, &fe);
  }
  for (size_t i = 0; i < fe.n; i++) form_error_add(errs, fe.items[i].field, fe.items[i].message);
  return e;
}

/* ---- CSV import ---- */

struct row_ctx {
  const struct csv_reader *r;
  const int *col_of; /* field index in specialist_fields -> column, or -1 */
};

/* Getter over one CSV record: the value of the column named field, or NULL. */
static const char *row_get(void *ctx, const char *field) {
  struct row_ctx *rc = ctx;
  for (int i = 0; specialist_fields[i]; i++) {
    if (strcmp(specialist_fields[i], field) != 0) continue;
    int col = rc->col_of[i];
    return col >= 0 ? rc->r->fields[col] : NULL;
  }
  return NULL;
}

/* Adds one problem to the report (copied to the caller's arena). */
static int add_problem(struct arena *out, struct import_report *rep, size_t line, const char *msg) {
  if (rep->n_problems >= MAX_IMPORT_PROBLEMS) {
    rep->truncated = true;
    return 0;
  }
  if (!rep->problems) {
    rep->problems = arena_alloc(out, MAX_IMPORT_PROBLEMS * sizeof *rep->problems);
    if (!rep->problems) return -1;
  }
  const char *m = arena_strdup(out, msg);
  if (!m) return -1;
  rep->problems[rep->n_problems++] = (struct import_problem){line, m};
  return 0;
}

struct import_tx {
  const struct actor *who;
  struct arena *a;
  struct specialist *rows;
  size_t n;
  size_t created, updated;
};

static enum err tx_import(void *ctx) {
  struct import_tx *t = ctx;
  t->created = t->updated = 0;
  for (size_t i = 0; i < t->n; i++) {
    long long id;
    bool inserted;
    enum err e = store_specialist_upsert(t->a, &t->rows[i], &id, &inserted);
    if (e != ERR_OK) return e;
    if (inserted) t->created++;
    else t->updated++;
  }
  char *detail = arena_printf(t->a, "{\"rows\":%zu,\"created\":%zu,\"updated\":%zu}", t->n, t->created, t->updated);
  struct audit_event ev = {.action = "specialist.import", .object_type = "specialist", .outcome = "ok",
                           .detail_json = detail};
  return audit_write(t->who, &ev);
}

enum err specialists_import_csv(const struct actor *who, struct arena *out, const char *data, size_t len,
                                struct import_report *rep) {
  memset(rep, 0, sizeof *rep);
  struct arena *a = arena_new(); /* working memory, unbounded by the request's cap */
  struct csv_reader r;
  csv_reader_init(&r, data, len, 64, 4096);
  enum err result = ERR_INTERNAL;
  if (!a) goto done;

  int ncols_known = 0;
  while (specialist_fields[ncols_known]) ncols_known++;
  int *col_of = arena_alloc(a, (size_t)ncols_known * sizeof *col_of);
  if (!col_of) goto done;
  for (int i = 0; i < ncols_known; i++) col_of[i] = -1;

  enum csv_rc rc = csv_next(&r);
  if (rc == CSV_END) {
    if (add_problem(out, rep, 1, "The file is empty: the first line must name the columns.") != 0) goto done;
    result = ERR_INVALID;
    goto done;
  }
  if (rc != CSV_RECORD) {
    if (add_problem(out, rep, r.line, csv_strerror(rc)) != 0) goto done;
    result = ERR_INVALID;
    goto done;
  }
  size_t header_cols = r.nfields;
  for (size_t c = 0; c < r.nfields; c++) {
    char *name = trimmed(a, r.fields[c]);
    if (!name) goto done;
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    int idx = -1;
    for (int i = 0; i < ncols_known; i++)
      if (strcmp(specialist_fields[i], name) == 0) idx = i;
    const char *msg = NULL;
    if (idx < 0) msg = arena_printf(a, "Unknown column \"%s\" in the header.", name);
    else if (col_of[idx] >= 0) msg = arena_printf(a, "The column \"%s\" appears twice in the header.", name);
    else col_of[idx] = (int)c;
    if (msg && add_problem(out, rep, 1, msg) != 0) goto done;
  }
  for (int i = 0; required_columns[i]; i++) {
    int idx = -1;
    for (int k = 0; k < ncols_known; k++)
      if (strcmp(specialist_fields[k], required_columns[i]) == 0) idx = k;
    if (idx >= 0 && col_of[idx] < 0) {
      const char *msg = arena_printf(a, "The header lacks the required column \"%s\".", required_columns[i]);
      if (!msg || add_problem(out, rep, 1, msg) != 0) goto done;
    }
  }
  if (rep->n_problems) {
    result = ERR_INVALID;
    goto done;
  }

  size_t cap = 256, n = 0;
  struct specialist *rows = arena_alloc(a, cap * sizeof *rows);
  size_t *lines = arena_alloc(a, cap * sizeof *lines);
  if (!rows || !lines) goto done;
  while ((rc = csv_next(&r)) == CSV_RECORD) {
    size_t line = r.record_line;
    if (n + rep->n_problems >= MAX_IMPORT_ROWS) {
      const char *msg = arena_printf(a, "The file has more than %d rows; split it into smaller files.", MAX_IMPORT_ROWS);
      if (!msg || add_problem(out, rep, line, msg) != 0) goto done;
      break;
    }
    rep->rows++;
    if (r.nfields != header_cols) {
      const char *msg = arena_printf(a, "This line has %zu values; the header has %zu columns.", r.nfields, header_cols);
      if (!msg || add_problem(out, rep, line, msg) != 0) goto done;
      continue;
    }
    struct field_errors fe = {0};
    struct specialist s;
    struct row_ctx ctx = {&r, col_of};
    enum err e = specialist_from_input(a, row_get, &ctx, true, &s, &fe);
    if (e == ERR_INTERNAL) goto done;
    if (e == ERR_INVALID) {
      const char **parts = arena_alloc(a, (fe.n ? fe.n : 1) * sizeof *parts);
      if (!parts) goto done;
      for (size_t i = 0; i < fe.n; i++) parts[i] = arena_printf(a, "%s: %s", fe.items[i].field, fe.items[i].message);
      char *msg = arena_join(a, parts, fe.n, " ");
      if (!msg) goto done;
      if (add_problem(out, rep, line, msg) != 0) goto done;
      continue;
    }
    /* the same external_id twice in one file would silently keep only the last */
    for (size_t i = 0; i < n; i++) {
      if (strcmp(rows[i].external_id, s.external_id) == 0) {
        const char *msg =
            arena_printf(a, "external_id: \"%s\" is already used on line %zu.", s.external_id, lines[i]);
        if (!msg || add_problem(out, rep, line, msg) != 0) goto done;
        goto next_row;
      }
    }
    if (n == cap) {
      size_t ncap = cap * 2;
      struct specialist *nr = arena_alloc(a, ncap * sizeof *nr);
      size_t *nl = arena_alloc(a, ncap * sizeof *nl);
      if (!nr || !nl) goto done;
      memcpy(nr, rows, n * sizeof *nr);
      memcpy(nl, lines, n * sizeof *nl);
      rows = nr;
      lines = nl;
      cap = ncap;
    }
    rows[n] = s;
    lines[n] = line;
    n++;
  next_row:;
  }
  if (rc != CSV_RECORD && rc != CSV_END) {
    if (add_problem(out, rep, r.line, csv_strerror(rc)) != 0) goto done;
  }
  if (rep->n_problems == 0 && n == 0) {
    if (add_problem(out, rep, 2, "The file has a header but no specialists.") != 0) goto done;
  }
  if (rep->n_problems) {
    result = ERR_INVALID;
    goto done;
  }
  struct import_tx t = {who, a, rows, n, 0, 0};
  result = db_tx(tx_import, &t);
  if (result == ERR_OK) {
    choices_invalidate();
    rep->created = t.created;
    rep->updated = t.updated;
  }
done:
  csv_reader_free(&r);
  arena_free(a);
  return result;
}

/* The duplicate-id check above is quadratic; imports are capped, and a
 * directory has thousands of rows at most, so it stays well under a second. */

struct csv_put {
  struct csv_out *o;
};

static void put_csv(void *ctx, const char *field, const char *value) {
  struct csv_put *p = ctx;
  if (strcmp(field, "reviewer_user_id") == 0) return;
  csv_write_str(p->o, value);
}

enum err specialists_export_csv(const struct actor *who, struct arena *a, char **out, size_t *len) {
  struct specialist *all = NULL;
  size_t n = 0;
  *out = NULL;
  *len = 0;
  enum err e = store_specialists_all(a, &all, &n);
  if (e != ERR_OK) return e;
  struct csv_out o = {0};
  for (int i = 0; specialist_fields[i]; i++) csv_write_str(&o, specialist_fields[i]);
  csv_end_record(&o);
  struct csv_put p = {&o};
  for (size_t i = 0; i < n; i++) {
    specialist_to_text(a, &all[i], put_csv, &p);
    csv_end_record(&o);
  }
  if (o.oom) {
    free(o.data);
    return ERR_INTERNAL;
  }
  char *detail = arena_printf(a, "{\"rows\":%zu}", n);
  struct audit_event ev = {.action = "specialist.export", .object_type = "specialist", .outcome = "ok",
                           .detail_json = detail};
  e = audit_write(who, &ev);
  if (e != ERR_OK) {
    free(o.data);
    return e;
  }
  *out = o.data;
  *len = o.len;
  return ERR_OK;
}

enum err specialist_reviewer_choices(struct arena *a, struct reviewer_account **out, size_t *n) {
  return store_reviewer_accounts(a, out, n);
}

static enum err tx_link(void *ctx) {
  struct change *c = ctx;
  enum err e = store_specialist_link_reviewer(c->a, c->id, c->link_user);
  if (e != ERR_OK) return e;
  return audit_change(c);
}

static const struct form_field invite_form_fields[] = {
    {.name = "invite_email", .type = FT_EMAIL, .required = true,
     .missing = "Please enter a valid e-mail address, like name@example.com.",
     .invalid = "Please enter a valid e-mail address, like name@example.com."},
};

const struct form_spec *specialist_invite_form(void) {
  static const struct form_spec spec = {invite_form_fields, 1, NULL};
  return &spec;
}

enum err specialist_invite_reviewer(const struct actor *who, struct arena *a, long long id, const struct form_pair *in,
                                    size_t n, struct field_errors *fe, long long *user_id) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct specialist s;
  enum err e = id > 0 ? specialist_get(a, id, &s) : ERR_NOT_FOUND;
  if (e != ERR_OK) return e;
  struct form_value v[1];
  struct form_errors ferr;
  if (!form_parse(a, specialist_invite_form(), in, n, NULL, NULL, v, &ferr)) {
    for (size_t i = 0; i < ferr.n; i++)
      if (field_errors_add(a, fe, ferr.e[i].field, ferr.e[i].message) != 0) return ERR_INTERNAL;
    return ERR_INVALID;
  }
  const char *email = v[0].text;
  if (s.reviewer_user_id > 0) {
    if (field_errors_add(a, fe, "invite_email", "This specialist is linked to an account already.") != 0) return ERR_INTERNAL;
    return ERR_INVALID;
  }
  struct acct_errors ae = {0};
  e = acct_admin_invite(a, who, VOCAB_KEY_REVIEWER, s.full_name, email, &ae, user_id);
  if (e == ERR_INVALID) {
    for (size_t i = 0; i < ae.n; i++)
      if (field_errors_add(a, fe, "invite_email",
                           strcmp(ae.e[i].field, "name") == 0 ? "The directory name cannot be used as an account name."
                                                              : ae.e[i].message) != 0)
        return ERR_INTERNAL;
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  /* the account exists (invited): link it, audited */
  struct change c = {who, a, id, NULL, true, "specialist.link_reviewer", NULL, *user_id};
  e = db_tx(tx_link, &c);
  if (e == ERR_OK) choices_invalidate();
  return e;
}

struct demo_link_ctx {
  const struct actor *who;
  struct arena *a;
  const char *external_id, *email;
  long long id;
};

static enum err tx_demo_link(void *ctx) {
  struct demo_link_ctx *d = ctx;
  enum err e = store_specialist_link_by_email(d->a, d->external_id, d->email, &d->id);
  if (e != ERR_OK || !d->id) return e;
  struct change c = {d->who, d->a, d->id, NULL, true, "specialist.link_reviewer", NULL, 0};
  return audit_change(&c);
}

enum err specialist_link_demo(const struct actor *who, struct arena *a, const char *external_id, const char *email,
                              bool *linked) {
  struct demo_link_ctx d = {who, a, external_id, email, 0};
  enum err e = db_tx(tx_demo_link, &d);
  *linked = e == ERR_OK && d.id > 0;
  if (*linked) choices_invalidate();
  return e;
}
