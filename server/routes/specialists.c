/* The public specialist directory: GET /specialists (filters, sorts, paging),
 * GET /specialists/compare?id=…&id=… (up to three side by side),
 * GET /specialists/{id} (one specialist, also when no longer active), and the
 * JSON API GET /api/v1/specialists with the same filters. The directory holds
 * no patient data: everything here is public and writes no audit rows. */
#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/form.h"
#include "core/specialists.h"
#include "http/reply.h"
#include "routes/routes.h"
#include "routes/specialists_view.h"
#include "util/arena.h"
#include "util/tz.h"

#define MAX_COMPARE 3
#define MAX_LIMIT 100
#define MAX_OFFSET 1000000

/* ---- shared view helpers ---- */

void spec_set(HDF *h, const char *name, const char *value) {
  NEOERR *e = hdf_set_value(h, name, value ? value : "");
  if (e) nerr_ignore(&e);
}

void spec_set_int(HDF *h, const char *name, long long value) {
  char buf[24];
  snprintf(buf, sizeof buf, "%lld", value);
  spec_set(h, name, buf);
}

struct actor spec_actor(const struct req *r) {
  struct actor a = {r->user ? r->user->user_id : 0, r->user ? (unsigned)r->user->role : 0, r->client_ip, r->id, 0, false};
  return a;
}

bool spec_parse_id(const char *s, long long *out) { return form_id_parse(s, out); }

char *spec_url_encode(struct arena *a, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = arena_alloc(a, n * 3 + 1);
  if (!out) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out[k++] = (char)c;
    } else {
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  out[k] = '\0';
  return out;
}

/* Joins a list with ", " into an arena string. */
static const char *join(struct arena *a, const char *const *items, size_t n) {
  const char *s = arena_join(a, items, n, ", ");
  return s ? s : "";
}

static const char *nci_label(const char *nci) {
  if (strcmp(nci, "comprehensive") == 0) return "NCI-designated comprehensive cancer center";
  if (strcmp(nci, "clinical") == 0) return "NCI-designated cancer center";
  return "";
}

static const char *records_label(const char *how) {
  if (strcmp(how, "upload") == 0) return "Secure upload through this portal";
  if (strcmp(how, "mail") == 0) return "By mail (a CD or DVD and paper copies)";
  return "Secure upload or mail";
}

void specialist_hdf(struct req *r, HDF *node, const struct specialist *s, const char *plan) {
  spec_set_int(node, "Id", s->id);
  spec_set(node, "ExternalId", s->external_id);
  spec_set(node, "Name", s->full_name);
  spec_set(node, "Credentials", s->credentials);
  spec_set(node, "Board", s->board);
  if (s->board_year) spec_set_int(node, "BoardYear", s->board_year);
  spec_set_int(node, "BoardCertified", s->board[0] != '\0');
  spec_set_int(node, "Fellowship", s->breast_fellowship);
  spec_set_int(node, "BreastSpecialist", s->board[0] != '\0' && s->breast_fellowship);
  spec_set(node, "Institution", s->institution);
  spec_set(node, "City", s->city);
  spec_set(node, "State", s->state);
  spec_set(node, "Nci", s->nci);
  spec_set(node, "NciLabel", nci_label(s->nci));
  spec_set_int(node, "Academic", s->academic);
  spec_set_int(node, "Coe", s->center_of_excellence);
  spec_set_int(node, "Remote", s->remote_review);
  spec_set_int(node, "InPerson", s->in_person);
  spec_set_int(node, "OffersReread", s->offers_reread);
  if (s->offers_reread) spec_set(node, "FeeReread", specialist_money(r->arena, s->fee_reread_cents));
  spec_set_int(node, "OffersConsult", s->offers_consult);
  if (s->offers_consult) spec_set(node, "FeeConsult", specialist_money(r->arena, s->fee_consult_cents));
  spec_set(node, "Records", s->records_submission);
  spec_set(node, "RecordsLabel", records_label(s->records_submission));
  spec_set(node, "RecordsRequirements", s->records_requirements);
  spec_set_int(node, "Turnaround", s->turnaround_days);
  spec_set(node, "Networks", join(r->arena, s->networks, s->n_networks));
  spec_set_int(node, "NetworkCount", (long long)s->n_networks);
  spec_set(node, "Languages", join(r->arena, s->languages, s->n_languages));
  spec_set_int(node, "Accepting", s->accepting);
  spec_set_int(node, "Active", s->active);
  if (s->reviewer_user_id) spec_set_int(node, "ReviewerUserId", s->reviewer_user_id);
  spec_set(node, "UpdatedAt", req_when(r, s->updated_at, TZ_SHORT));
  if (plan && *plan) {
    spec_set_int(node, "HasPlan", 1);
    spec_set_int(node, "InNetwork", specialist_accepts(s, plan));
  }
}

/* ---- query parameters ---- */

static const char *const known_params[] = {
    "breast", "nci",      "academic", "coe",   "remote",   "in_person", "accepting", "review", "network",
    "in_network", "language", "state", "max_days", "sort", "limit", "offset", "page", NULL,
};

/* Parses a yes/no query value. */
static bool parse_flag(const char *v, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on", NULL};
  static const char *const no[] = {"0", "false", "no", "off", "", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(v, yes[i]) == 0) return (*out = true);
  for (int i = 0; no[i]; i++)
    if (strcasecmp(v, no[i]) == 0) {
      *out = false;
      return true;
    }
  return false;
}

/* Parses a decimal integer in [min, max]. */
static bool parse_int(const char *v, long long min, long long max, long long *out) {
  if (!*v || strlen(v) > 9) return false;
  for (const char *p = v; *p; p++)
    if (*p < '0' || *p > '9') return false;
  long long x = strtoll(v, NULL, 10);
  if (x < min || x > max) return false;
  *out = x;
  return true;
}

/* A short free-text filter value: at most 80 bytes, no control characters. */
static bool short_text_ok(const char *v) {
  if (strlen(v) > 80) return false;
  for (const char *p = v; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return false;
  return true;
}

struct filter_error {
  const char *param, *message;
};

/* Reads the directory filters from the query string into f (defaults for
 * what is absent). With api, unknown or repeated parameters are refused; the
 * page ignores unknown ones (the form's own "filtered" marker among them).
 * Returns true, or false with *fe naming the parameter and the problem. */
static bool read_filter(struct req *r, bool api, struct specialist_filter *f, struct filter_error *fe) {
  specialist_filter_defaults(f);
  if (api) {
    for (size_t i = 0; i < r->query.n; i++) {
      const char *name = r->query.items[i].name;
      bool known = false;
      for (int k = 0; known_params[k] && !known; k++) known = strcmp(known_params[k], name) == 0;
      if (!known) {
        *fe = (struct filter_error){arena_strdup(r->arena, name), "This parameter is not known."};
        return false;
      }
      if (kv_count(&r->query, name) > 1) {
        *fe = (struct filter_error){name, "Give this parameter once."};
        return false;
      }
    }
  }
  const char *v;
  /* A submitted form leaves an unticked box out: "filtered" says the form was
   * sent, so a missing breast means off. Without it the default (on) holds. */
  if (!api && req_query(r, "filtered") && !req_query(r, "breast")) f->breast_specialist = false;
  struct {
    const char *name;
    bool *dst;
  } flags[] = {
      {"breast", &f->breast_specialist}, {"academic", &f->academic}, {"coe", &f->center_of_excellence},
      {"remote", &f->remote_review},     {"in_person", &f->in_person}, {"accepting", &f->accepting},
      {"in_network", &f->in_network},
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    if ((v = req_query(r, flags[i].name)) && !parse_flag(v, flags[i].dst)) {
      *fe = (struct filter_error){flags[i].name, "Use 1 (yes) or 0 (no)."};
      return false;
    }
  }
  if ((v = req_query(r, "nci")) && *v) {
    bool b;
    if (strcmp(v, "any") == 0 || strcmp(v, "clinical") == 0 || strcmp(v, "comprehensive") == 0) {
      f->nci = v;
    } else if (parse_flag(v, &b)) {
      f->nci = b ? "any" : NULL;
    } else {
      *fe = (struct filter_error){"nci", "Use any, clinical or comprehensive."};
      return false;
    }
  }
  if ((v = req_query(r, "review")) && *v) {
    if (strcmp(v, "reread") != 0 && strcmp(v, "consult") != 0) {
      *fe = (struct filter_error){"review", "Use reread (image re-read) or consult (full consultation)."};
      return false;
    }
    f->review = v;
  }
  if ((v = req_query(r, "network")) && *v) {
    if (!short_text_ok(v)) {
      *fe = (struct filter_error){"network", "Enter the network's name (at most 80 characters)."};
      return false;
    }
    f->network = v;
  }
  if (f->in_network && !f->network) {
    *fe = (struct filter_error){"network", "Enter your insurance network to see who accepts it."};
    return false;
  }
  if ((v = req_query(r, "language")) && *v) {
    if (!short_text_ok(v)) {
      *fe = (struct filter_error){"language", "Enter a language (at most 80 characters)."};
      return false;
    }
    f->language = v;
  }
  if ((v = req_query(r, "state")) && *v) {
    if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z') {
      *fe = (struct filter_error){"state", "Use a two-letter state code in capitals, like TX."};
      return false;
    }
    f->state = v;
  }
  long long x;
  if ((v = req_query(r, "max_days")) && *v) {
    if (!parse_int(v, 1, 365, &x)) {
      *fe = (struct filter_error){"max_days", "Enter a number of days from 1 to 365."};
      return false;
    }
    f->max_days = (int)x;
  }
  if ((v = req_query(r, "sort")) && *v) {
    if (strcmp(v, "name") == 0) f->sort = SORT_NAME;
    else if (strcmp(v, "turnaround") == 0) f->sort = SORT_TURNAROUND;
    else if (strcmp(v, "fee") == 0) f->sort = SORT_FEE;
    else {
      *fe = (struct filter_error){"sort", "Sort by name, turnaround or fee."};
      return false;
    }
  }
  if ((v = req_query(r, "limit")) && *v) {
    if (!parse_int(v, 1, MAX_LIMIT, &x)) {
      *fe = (struct filter_error){"limit", "Use a number from 1 to 100."};
      return false;
    }
    f->limit = (int)x;
  }
  const char *off = req_query(r, "offset"), *page = req_query(r, "page");
  if (off && *off && page && *page) {
    *fe = (struct filter_error){"page", "Give either page or offset, not both."};
    return false;
  }
  if (off && *off) {
    if (!parse_int(off, 0, MAX_OFFSET, &x)) {
      *fe = (struct filter_error){"offset", "Use a number from 0 to 1000000."};
      return false;
    }
    f->offset = (int)x;
  }
  if (page && *page) {
    if (!parse_int(page, 1, MAX_OFFSET / MAX_LIMIT, &x)) {
      *fe = (struct filter_error){"page", "Use a page number from 1 to 10000."};
      return false;
    }
    f->offset = (int)((x - 1) * f->limit);
  }
  return true;
}

/* The query string for f (without paging), for links that keep the filters. */
static char *filter_query(struct arena *a, const struct specialist_filter *f) {
  static const char *const sorts[] = {"name", "turnaround", "fee"};
  char *q = arena_printf(a, "filtered=1&breast=%d&sort=%s&limit=%d", f->breast_specialist, sorts[f->sort], f->limit);
  struct {
    const char *name;
    bool on;
  } flags[] = {{"academic", f->academic}, {"coe", f->center_of_excellence}, {"remote", f->remote_review},
               {"in_person", f->in_person}, {"accepting", f->accepting},     {"in_network", f->in_network}};
  for (size_t i = 0; q && i < sizeof flags / sizeof flags[0]; i++)
    if (flags[i].on) q = arena_printf(a, "%s&%s=1", q, flags[i].name);
  struct {
    const char *name, *value;
  } texts[] = {{"nci", f->nci}, {"review", f->review}, {"network", f->network}, {"language", f->language},
               {"state", f->state}};
  for (size_t i = 0; q && i < sizeof texts / sizeof texts[0]; i++) {
    if (!texts[i].value) continue;
    char *enc = spec_url_encode(a, texts[i].value);
    q = enc ? arena_printf(a, "%s&%s=%s", q, texts[i].name, enc) : NULL;
  }
  if (q && f->max_days) q = arena_printf(a, "%s&max_days=%d", q, f->max_days);
  return q;
}

/* ---- HTML pages ---- */

/* Puts the filter values and the form's choices into the page data. */
static void filter_hdf(struct req *r, HDF *hdf, const struct specialist_filter *f) {
  spec_set_int(hdf, "Filter.breast", f->breast_specialist);
  spec_set(hdf, "Filter.nci", f->nci ? f->nci : "");
  spec_set_int(hdf, "Filter.academic", f->academic);
  spec_set_int(hdf, "Filter.coe", f->center_of_excellence);
  spec_set_int(hdf, "Filter.remote", f->remote_review);
  spec_set_int(hdf, "Filter.in_person", f->in_person);
  spec_set_int(hdf, "Filter.accepting", f->accepting);
  spec_set_int(hdf, "Filter.in_network", f->in_network);
  spec_set(hdf, "Filter.review", f->review ? f->review : "");
  spec_set(hdf, "Filter.network", f->network ? f->network : "");
  spec_set(hdf, "Filter.language", f->language ? f->language : "");
  spec_set(hdf, "Filter.state", f->state ? f->state : "");
  if (f->max_days) spec_set_int(hdf, "Filter.max_days", f->max_days);
  static const char *const sorts[] = {"name", "turnaround", "fee"};
  spec_set(hdf, "Filter.sort", sorts[f->sort]);
  const char **nets = NULL, **langs = NULL;
  size_t nn = 0, nl = 0;
  if (specialists_choices(r->arena, &nets, &nn, &langs, &nl) == ERR_OK) {
    char key[48];
    for (size_t i = 0; i < nn; i++) {
      snprintf(key, sizeof key, "Choices.Networks.%zu", i);
      spec_set(hdf, key, nets[i]);
    }
    for (size_t i = 0; i < nl; i++) {
      snprintf(key, sizeof key, "Choices.Languages.%zu", i);
      spec_set(hdf, key, langs[i]);
    }
  }
}

static void directory_page(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", "Find a breast imaging specialist");
  spec_set(hdf, "Page.Name", "specialists");
  struct specialist_filter f;
  struct filter_error fe = {0};
  if (!read_filter(r, false, &f, &fe)) {
    char key[96];
    snprintf(key, sizeof key, "Form.Errors.%s", fe.param);
    spec_set(hdf, key, fe.message);
    spec_set(hdf, "Form.ErrorSummary", fe.message);
    filter_hdf(r, hdf, &f);
    reply_page(r, 400, "specialists.cs");
    return;
  }
  struct specialist *list = NULL;
  size_t n = 0;
  long long total = 0;
  enum err e = specialists_search(r->arena, &f, &list, &n, &total);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  filter_hdf(r, hdf, &f);
  char key[48];
  for (size_t i = 0; i < n; i++) {
    snprintf(key, sizeof key, "Specialists.%zu", i);
    HDF *node = NULL;
    NEOERR *err = hdf_get_node(hdf, key, &node);
    if (err) {
      nerr_ignore(&err);
      reply_error(r, ERR_INTERNAL, NULL);
      return;
    }
    specialist_hdf(r, node, &list[i], f.network);
  }
  spec_set_int(hdf, "Result.Total", total);
  spec_set_int(hdf, "Result.Count", (long long)n);
  spec_set_int(hdf, "Result.From", n ? f.offset + 1 : 0);
  spec_set_int(hdf, "Result.To", f.offset + (long long)n);
  char *base = filter_query(r->arena, &f);
  if (!base) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  long long page = f.offset / f.limit + 1;
  long long pages = (total + f.limit - 1) / f.limit;
  spec_set_int(hdf, "Paging.Page", page);
  spec_set_int(hdf, "Paging.Pages", pages);
  if (f.offset > 0) {
    int prev = f.offset - f.limit;
    spec_set(hdf, "Paging.PrevHref", arena_printf(r->arena, "/specialists?%s&offset=%d", base, prev < 0 ? 0 : prev));
  }
  if (f.offset + (long long)n < total)
    spec_set(hdf, "Paging.NextHref", arena_printf(r->arena, "/specialists?%s&offset=%d", base, f.offset + f.limit));
  reply_page(r, 200, "specialists.cs");
}

/* ?network= is the patient's plan until plans are stored with the account. */
static const char *plan_param(struct req *r) {
  const char *v = req_query(r, "network");
  return v && *v && short_text_ok(v) ? v : NULL;
}

static void detail_page(struct req *r) {
  long long id;
  if (!spec_parse_id(req_param(r, "id"), &id)) {
    reply_error(r, ERR_NOT_FOUND, NULL);
    return;
  }
  struct specialist s;
  enum err e = specialist_get(r->arena, id, &s);
  if (e != ERR_OK) {
    reply_error(r, e, e == ERR_NOT_FOUND ? "There is no specialist with this number in our directory." : NULL);
    return;
  }
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  HDF *node = NULL;
  NEOERR *err = hdf_get_node(hdf, "Specialist", &node);
  if (err) {
    nerr_ignore(&err);
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  const char *plan = plan_param(r);
  specialist_hdf(r, node, &s, plan);
  if (plan) spec_set(hdf, "Plan", plan);
  spec_set(hdf, "Page.Title", arena_printf(r->arena, "%s, %s", s.full_name, s.credentials));
  spec_set(hdf, "Page.Name", "specialist");
  reply_page(r, 200, "specialist.cs");
}

static void compare_page(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  spec_set(hdf, "Page.Title", "Compare specialists");
  spec_set(hdf, "Page.Name", "specialists-compare");
  long long ids[MAX_COMPARE];
  size_t n = 0;
  const char *problem = NULL;
  for (size_t i = 0; i < r->query.n && !problem; i++) {
    if (strcmp(r->query.items[i].name, "id") != 0) continue;
    long long id;
    if (!spec_parse_id(r->query.items[i].value, &id)) {
      problem = "One of the chosen specialists is not a valid number.";
      break;
    }
    bool dup = false;
    for (size_t k = 0; k < n; k++) dup = dup || ids[k] == id;
    if (dup) continue;
    if (n == MAX_COMPARE) problem = "You can compare up to three specialists at a time. Please choose fewer.";
    else ids[n++] = id;
  }
  if (!problem && n == 0) problem = "Choose two or three specialists to compare, using the boxes in the list.";
  const char *plan = plan_param(r);
  if (problem) {
    spec_set(hdf, "Compare.Problem", problem);
    reply_page(r, 400, "specialists_compare.cs");
    return;
  }
  char key[32];
  for (size_t i = 0; i < n; i++) {
    struct specialist s;
    enum err e = specialist_get(r->arena, ids[i], &s);
    if (e != ERR_OK) {
      reply_error(r, e, e == ERR_NOT_FOUND ? "One of the chosen specialists is not in our directory." : NULL);
      return;
    }
    snprintf(key, sizeof key, "Compare.%zu", i);
    HDF *node = NULL;
    NEOERR *err = hdf_get_node(hdf, key, &node);
    if (err) {
      nerr_ignore(&err);
      reply_error(r, ERR_INTERNAL, NULL);
      return;
    }
    specialist_hdf(r, node, &s, plan);
  }
  if (plan) spec_set(hdf, "Plan", plan);
  reply_page(r, 200, "specialists_compare.cs");
}

/* ---- JSON API ---- */

/* A 400 answer naming the parameter. */
static void api_bad_param(struct req *r, const struct filter_error *fe) {
  json_t *j = json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "code", "invalid_parameter", "message", fe->message,
                        "parameter", fe->param, "incident", r->id);
  reply_json_take(r, 400, j);
}

/* One specialist as a JSON object (NULL when out of memory). */
static json_t *specialist_json(const struct specialist *s, const char *plan) {
  json_t *nets = json_array(), *langs = json_array();
  for (size_t i = 0; nets && i < s->n_networks; i++) json_array_append_new(nets, json_string(s->networks[i]));
  for (size_t i = 0; langs && i < s->n_languages; i++) json_array_append_new(langs, json_string(s->languages[i]));
  json_t *reread = s->offers_reread ? json_pack("{s:b,s:I}", "offered", 1, "fee_cents", (json_int_t)s->fee_reread_cents)
                                    : json_pack("{s:b,s:n}", "offered", 0, "fee_cents");
  json_t *consult = s->offers_consult
                        ? json_pack("{s:b,s:I}", "offered", 1, "fee_cents", (json_int_t)s->fee_consult_cents)
                        : json_pack("{s:b,s:n}", "offered", 0, "fee_cents");
  json_t *o = json_pack(
      "{s:I,s:s,s:s,s:s,s:s,s:o,s:b,s:b,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:{s:o,s:o},s:s,s:s,s:i,s:o,s:o,s:b,s:b}",
      "id", (json_int_t)s->id, "external_id", s->external_id, "full_name", s->full_name, "credentials",
      s->credentials, "board", s->board, "board_year", s->board_year ? json_integer(s->board_year) : json_null(),
      "board_certified", s->board[0] != '\0', "breast_fellowship", s->breast_fellowship, "institution",
      s->institution, "city", s->city, "state", s->state, "nci_designated", s->nci, "academic", s->academic,
      "center_of_excellence", s->center_of_excellence, "remote_review", s->remote_review, "in_person", s->in_person,
      "review_types", "reread", reread, "consult", consult, "records_submission", s->records_submission,
      "records_requirements", s->records_requirements, "turnaround_days", s->turnaround_days, "networks", nets,
      "languages", langs, "accepting", s->accepting, "active", s->active);
  if (o && plan) json_object_set_new(o, "in_network", json_boolean(specialist_accepts(s, plan)));
  return o;
}

static void api_list(struct req *r) {
  struct specialist_filter f;
  struct filter_error fe = {0};
  if (!read_filter(r, true, &f, &fe)) {
    api_bad_param(r, &fe);
    return;
  }
  struct specialist *list = NULL;
  size_t n = 0;
  long long total = 0;
  enum err e = specialists_search(r->arena, &f, &list, &n, &total);
  if (e != ERR_OK) {
    reply_error(r, e, NULL);
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    json_t *o = specialist_json(&list[i], f.network);
    if (!o || json_array_append_new(arr, o) != 0) {
      json_decref(arr);
      arr = NULL;
    }
  }
  static const char *const sorts[] = {"name", "turnaround", "fee"};
  json_t *body = arr ? json_pack("{s:o,s:I,s:i,s:i,s:s}", "specialists", arr, "total", (json_int_t)total, "limit",
                                 f.limit, "offset", f.offset, "sort", sorts[f.sort])
                     : NULL;
  if (!body) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  reply_json_take(r, 200, body);
}

const struct route specialists_routes[] = {
    {"GET", "/specialists", directory_page, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "specialists"},
    {"GET", "/specialists/compare", compare_page, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "specialists-compare"},
    {"GET", "/specialists/{id}", detail_page, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "specialist"},
    {"GET", "/api/v1/specialists", api_list, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "api-specialists"},
    {0},
};
