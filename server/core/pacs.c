/* See pacs.h. */
#include "core/pacs.h"
#include "core/vocab.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/form.h"
#include "core/dicomweb.h"
#include "core/jobs.h"
#include "core/pacs_wire.h"
#include "core/requests.h"
#include "core/secrets.h"
#include "store/db.h"
#include "store/pacs.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/decimal.h"
#include "util/log.h"

#define R_PATIENT (1u << 0) /* enum role in http/req.h */
#define R_STAFF (1u << 1)
#define R_REVIEWER (1u << 2)
#define R_ADMIN (1u << 3)

#define PACS_JOB_KIND "pacs_send"
#define PACS_MAX_ATTEMPTS 12          /* with the queue's back-off (5 s doubling): about three hours */
#define PACS_ANSWER_MAX (4u << 20)    /* a STOW-RS answer larger than this is cut (and read as refused) */
#define PACS_SECRET_MAX 2048

static const struct actor system_actor = {0, 0, "", "pacs-send", 0, false};

/* ---- small helpers ---- */

static const char *json_text(struct arena *a, json_t *j) {
  if (!j) return NULL;
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  const char *out = s ? arena_strdup(a, s) : NULL;
  free(s);
  return out;
}

static enum err audit_row(const struct actor *who, const char *action, const char *type, long long id,
                          long long patient_id, const char *outcome, const char *detail) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  struct audit_event ev = {action, type, oid, patient_id, outcome, detail};
  return audit_write(who, &ev);
}

static unsigned env_unsigned(const char *name, unsigned lo, unsigned hi, unsigned def) {
  const char *v = getenv(name);
  uint64_t n;
  if (v && decimal_u64(v, &n) == 0 && n >= lo && n <= hi) return (unsigned)n;
  return def;
}

/* The additional data a destination's secret is sealed with: its id. */
static const char *secret_ad(struct arena *a, long long id) { return arena_printf(a, "pacs_destination:%lld", id); }

static const char *seal_secret(struct arena *a, long long id, const char *plain) {
  size_t len = strlen(plain);
  const char *ad = secret_ad(a, id);
  unsigned char *out = arena_alloc(a, len + SECRETS_SEAL_OVERHEAD);
  char *hex = arena_alloc(a, 2 * (len + SECRETS_SEAL_OVERHEAD) + 1);
  if (!out || !hex || !ad) return NULL;
  if (secrets_seal(SECRET_PACS_CREDENTIAL, (const unsigned char *)plain, len, (const unsigned char *)ad, strlen(ad),
                   out) != 0)
    return NULL;
  sodium_bin2hex(hex, 2 * (len + SECRETS_SEAL_OVERHEAD) + 1, out, len + SECRETS_SEAL_OVERHEAD);
  return hex;
}

/* The opened secret (arena, *cap bytes, wiped by the caller with sodium_memzero), or NULL. */
static char *open_secret(struct arena *a, long long id, const char *hex, size_t *cap) {
  size_t hl = strlen(hex), bl = 0;
  *cap = 0;
  if (hl < 2 * SECRETS_SEAL_OVERHEAD || hl % 2) return NULL;
  unsigned char *bin = arena_alloc(a, hl / 2);
  char *plain = arena_alloc(a, hl / 2 - SECRETS_SEAL_OVERHEAD + 1);
  const char *ad = secret_ad(a, id);
  if (!bin || !plain || !ad || sodium_hex2bin(bin, hl / 2, hex, hl, NULL, &bl, NULL) != 0 || bl != hl / 2) return NULL;
  if (secrets_open(SECRET_PACS_CREDENTIAL, bin, bl, (const unsigned char *)ad, strlen(ad), (unsigned char *)plain) != 0) {
    sodium_memzero(plain, hl / 2 - SECRETS_SEAL_OVERHEAD + 1);
    return NULL;
  }
  plain[bl - SECRETS_SEAL_OVERHEAD] = 0;
  *cap = hl / 2 - SECRETS_SEAL_OVERHEAD + 1;
  return plain;
}

/* ---- destinations ---- */

static bool one_line(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f) return false;
  return true;
}

/* http(s)://host[:port][/path] with no user, query, fragment or blanks. */
static bool url_ok(const char *u) {
  size_t n = strlen(u);
  if (n < 8 || n > 500 || !one_line(u)) return false;
  const char *rest = strncmp(u, "https://", 8) == 0 ? u + 8 : strncmp(u, "http://", 7) == 0 ? u + 7 : NULL;
  if (!rest || !*rest || *rest == '/' || *rest == ':') return false;
  size_t host = strcspn(rest, "/");
  for (size_t i = 0; i < host; i++)
    if (rest[i] == '@') return false;
  for (const char *p = u; *p; p++)
    if (*p == ' ' || *p == '?' || *p == '#' || *p == '\\' || *p == '"' || *p == '<' || *p == '>') return false;
  return true;
}

static bool pem_ok(const char *pem) {
  const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----"), *e = strstr(pem, "-----END CERTIFICATE-----");
  if (!b || !e || e < b || strlen(pem) > 65536) return false;
  for (const unsigned char *p = (const unsigned char *)pem; *p; p++)
    if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p >= 0x7f) return false;
  return true;
}

/* The destination form (/admin/center/pacs, /admin/center/pacs/{id}), in the order of the page. */
enum { PD_NAME, PD_URL, PD_AUTH, PD_USER, PD_SECRET, PD_CA, PD_N };
static const struct form_word auth_words[] = {
    {"none", "No sign-in"}, {"basic", "User name and password (HTTP basic)"}, {"bearer", "A token (Authorization: Bearer)"}};
static const struct form_field dest_fields[] = {
    [PD_NAME] = {.name = "name", .type = FT_TEXT, .required = true, .max = 100,
                 .missing = "Enter a name the staff will recognise, such as \"Riverside PACS\".",
                 .invalid = "Enter a name of at most 100 characters on one line."},
    [PD_URL] = {.name = "base_url", .type = FT_TEXT, .required = true, .max = 500,
                .missing = "Enter the PACS's DICOMweb address, such as https://pacs.example/dicom-web.",
                .invalid = "Enter an address starting with https:// or http://, without a user name, spaces, ? or #, at "
                           "most 500 characters."},
    [PD_AUTH] = {.name = "auth", .type = FT_ENUM, .required = true, .vocab = auth_words,
                 .n_vocab = sizeof auth_words / sizeof auth_words[0],
                 .missing = "Choose how the portal signs in to the PACS.",
                 .invalid = "Choose how the portal signs in to the PACS."},
    [PD_USER] = {.name = "username", .type = FT_TEXT, .max = 200,
                 .invalid = "Enter the user name for the PACS (at most 200 characters, no colon)."},
    [PD_SECRET] = {.name = "secret", .type = FT_TEXT, .secret = true, .max = PACS_SECRET_MAX,
                   .invalid = "Enter a password or token of at most 2048 characters on one line."},
    [PD_CA] = {.name = "ca_pem", .type = FT_MULTILINE, .max = 65536,
               .invalid = "Paste the certificate in PEM form, from -----BEGIN CERTIFICATE----- to -----END "
                          "CERTIFICATE----- (at most 64 KiB), or leave it empty to trust the system's certificates."},
};

/* The rules between fields; ctx is a bool: a secret of this kind is kept. */
static void dest_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)spec;
  bool has_secret = ctx && *(const bool *)ctx;
  if (v[PD_URL].present && !form_error(errs, "base_url") && !url_ok(v[PD_URL].text))
    form_error_add(errs, "base_url", dest_fields[PD_URL].invalid);
  const char *auth = form_error(errs, "auth") ? "" : v[PD_AUTH].text;
  bool basic = strcmp(auth, "basic") == 0, bearer = strcmp(auth, "bearer") == 0;
  if (basic && (!v[PD_USER].present || strchr(v[PD_USER].text, ':')))
    form_error_add(errs, "username", dest_fields[PD_USER].invalid);
  if ((basic || bearer) && !v[PD_SECRET].present && !has_secret)
    form_error_add(errs, "secret", basic ? "Enter the password for the PACS." : "Enter the token for the PACS.");
  if (v[PD_CA].present && !form_error(errs, "ca_pem") && !pem_ok(v[PD_CA].text))
    form_error_add(errs, "ca_pem", dest_fields[PD_CA].invalid);
}

const struct form_spec *pacs_dest_spec(void) {
  static const struct form_spec spec = {dest_fields, PD_N, dest_check};
  return &spec;
}

enum err pacs_dest_list(struct arena *a, const struct actor *who, struct rowset *out) {
  if (!who || !(who->role & (R_ADMIN | R_STAFF | R_REVIEWER))) return ERR_FORBIDDEN;
  return ps_dest_list(a, !(who->role & R_ADMIN), out);
}

enum err pacs_dest_get(struct arena *a, const struct actor *who, long long id, struct rowset *out) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  return ps_dest_get(a, id, out);
}

struct save_ctx {
  struct arena *a;
  const struct actor *who;
  long long id;
  const struct form_pair *in;
  size_t n;
  struct form_errors *errs;
};

/* A value as posted, not trimmed (a password is what it is; a certificate keeps its last line
 * break), "" when only blanks. */
static const char *posted_raw(const struct form_pair *in, size_t n, const char *name, const struct form_value *v) {
  if (!v->present) return "";
  for (size_t i = 0; i < n; i++)
    if (strcmp(in[i].name, name) == 0) return in[i].value;
  return "";
}

static enum err save_tx(void *p) {
  struct save_ctx *c = p;
  bool insert = c->id == 0, has_secret = false;
  enum err e;
  const char *old_auth = "";
  if (!insert) {
    struct rowset rs;
    if ((e = ps_dest_get(c->a, c->id, &rs)) != ERR_OK) return e;
    has_secret = rs_bool(&rs, 0, "has_secret");
    old_auth = rs_get(&rs, 0, "auth");
  } else if ((e = ps_dest_next_id(c->a, &c->id)) != ERR_OK) {
    return e;
  }
  struct form_value v[PD_N];
  /* a kept secret belongs to its kind: a password does not become a token */
  bool keep = has_secret;
  bool ok = form_parse(c->a, pacs_dest_spec(), c->in, c->n, NULL, &keep, v, c->errs);
  if (keep && strcmp(old_auth, v[PD_AUTH].text) != 0) {
    keep = false;
    ok = form_parse(c->a, pacs_dest_spec(), c->in, c->n, NULL, &keep, v, c->errs);
  }
  if (!ok) return ERR_INVALID;
  const char *auth = v[PD_AUTH].text;
  const char *typed = posted_raw(c->in, c->n, "secret", &v[PD_SECRET]);
  if (*typed && (strlen(typed) > PACS_SECRET_MAX || !one_line(typed))) {
    form_error_add(c->errs, "secret", dest_fields[PD_SECRET].invalid);
    return ERR_INVALID;
  }
  const char *secret = NULL; /* keep */
  if (strcmp(auth, "none") == 0) secret = "";
  else if (*typed) {
    if (!(secret = seal_secret(c->a, c->id, typed))) return ERR_INTERNAL;
  }
  const char *name = v[PD_NAME].text, *url = v[PD_URL].text, *ca = posted_raw(c->in, c->n, "ca_pem", &v[PD_CA]);
  e = ps_dest_put(c->a, insert, c->id, name, url, auth, strcmp(auth, "basic") == 0 ? v[PD_USER].text : "",
                  insert && !secret ? "" : secret, ca);
  if (e == ERR_CONFLICT) {
    memset(c->errs, 0, sizeof *c->errs);
    form_error_add(c->errs, "name", "Another destination has this name: choose another.");
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  json_t *d = json_pack("{s:s,s:s,s:s,s:b,s:b}", "name", name, "base_url", url, "auth", auth, "secret_changed",
                        *typed != 0, "ca", *ca != 0);
  return audit_row(c->who, insert ? "pacs.destination.create" : "pacs.destination.change", "pacs_destination", c->id, 0,
                   "ok", json_text(c->a, d));
}

enum err pacs_dest_save(struct arena *a, const struct actor *who, long long id, const struct form_pair *in, size_t n,
                        struct form_errors *errs, long long *out_id) {
  memset(errs, 0, sizeof *errs);
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  if (id < 0) return ERR_NOT_FOUND;
  struct save_ctx c = {a, who, id, in, n, errs};
  enum err e = db_tx(save_tx, &c);
  if (e == ERR_OK && out_id) *out_id = c.id;
  return e;
}

struct toggle_ctx {
  struct arena *a;
  const struct actor *who;
  long long id;
  bool enabled, del;
};

static enum err toggle_tx(void *p) {
  struct toggle_ctx *c = p;
  struct rowset rs;
  enum err e = ps_dest_get(c->a, c->id, &rs);
  if (e != ERR_OK) return e;
  const char *name = rs_get(&rs, 0, "name");
  if (c->del) {
    long long busy = 0;
    if ((e = ps_dest_busy(c->a, c->id, &busy)) != ERR_OK) return e;
    if (busy > 0) return ERR_CONFLICT; /* a send under way would fail */
    e = ps_dest_delete(c->a, c->id);
  } else {
    c->enabled = !rs_bool(&rs, 0, "enabled");
    e = ps_dest_enable(c->a, c->id, c->enabled);
  }
  if (e != ERR_OK) return e;
  return audit_row(c->who, c->del ? "pacs.destination.delete" : c->enabled ? "pacs.destination.enable" : "pacs.destination.disable",
                   "pacs_destination", c->id, 0, "ok", json_text(c->a, json_pack("{s:s}", "name", name)));
}

enum err pacs_dest_toggle(struct arena *a, const struct actor *who, long long id, bool *enabled) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct toggle_ctx c = {a, who, id, false, false};
  enum err e = db_tx(toggle_tx, &c);
  if (e == ERR_OK && enabled) *enabled = c.enabled;
  return e;
}

enum err pacs_dest_delete(struct arena *a, const struct actor *who, long long id) {
  if (!who || !(who->role & R_ADMIN)) return ERR_FORBIDDEN;
  struct toggle_ctx c = {a, who, id, false, true};
  return db_tx(toggle_tx, &c);
}

/* ---- sends ---- */

const char *pacs_state_words(const char *state) {
  return strcmp(state, "queued") == 0     ? "Waiting to start"
         : strcmp(state, "sending") == 0  ? "Sending"
         : strcmp(state, "retrying") == 0 ? "Waiting to retry"
         : strcmp(state, "done") == 0     ? "Done"
         : strcmp(state, "failed") == 0   ? "Failed"
         : strcmp(state, "stopped") == 0  ? "Stopped"
                                          : state;
}

/* Staff, or the reviewer assigned to the request: the request exists for them past draft.
 * Everyone else: ERR_NOT_FOUND (audited as a refused view by requests_access_view_unaudited). */
static enum err may_send(const struct actor *who, long long request_id, long long *patient_id) {
  if (!who || !(who->role == R_STAFF || who->role == R_REVIEWER)) {
    if (who) audit_row(who, "pacs.send", "request", request_id, 0, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  return requests_access_view_unaudited(who, request_id, patient_id);
}

struct start_ctx {
  struct arena *a;
  const struct actor *who;
  long long request_id, dest_id, patient_id, send_id, total;
  long long study_id;
  const char *why;
  enum pw_gate gate;
};

static enum err start_tx(void *p) {
  struct start_ctx *c = p;
  struct rowset rs;
  const char *status = NULL;
  bool revoked = false;
  enum err e = ps_request_gate(c->a, c->request_id, &status, &revoked);
  if (e != ERR_OK) return e;
  if ((c->gate = pw_send_gate(status, revoked)) != PWG_MAY) {
    c->why = pw_gate_words(c->gate);
    return ERR_CONFLICT;
  }
  e = ps_dest_get(c->a, c->dest_id, &rs);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && !rs_bool(&rs, 0, "enabled"))) {
    c->why = "Choose one of the PACS destinations listed.";
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  const char *name = rs_get(&rs, 0, "name");
  e = ps_send_create(c->a, c->request_id, c->study_id, c->dest_id, name, c->who->user_id, &c->send_id, &c->total);
  if (e == ERR_GONE) return ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND) {
    c->why = c->study_id ? "This study has no DICOM images to send." : "This request has no DICOM images to send yet.";
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  if ((e = jobs_enqueue(PACS_JOB_KIND, arena_printf(c->a, "%lld", c->send_id), 0)) != ERR_OK) return e;
  json_t *d = json_pack("{s:s,s:I,s:I}", "destination", name, "send", (json_int_t)c->send_id, "instances",
                        (json_int_t)c->total);
  if (d && c->study_id) json_object_set_new(d, "study", json_integer(c->study_id));
  const char *det = json_text(c->a, d);
  if ((e = rqs_event_add(c->request_id, NULL, NULL, "note", c->who->user_id,
                         json_text(c->a, json_pack("{s:s,s:s,s:I,s:s}", "event", "pacs_send", "destination", name,
                                                   "instances", (json_int_t)c->total, "scope",
                                                   c->study_id ? "study" : "request")),
                         true)) != ERR_OK)
    return e;
  return audit_row(c->who, "pacs.send", "request", c->request_id, c->patient_id, "ok", det);
}

enum err pacs_send_start(struct arena *a, const struct actor *who, long long request_id, long long dest_id,
                         long long study_id, long long *send_id, const char **why) {
  *why = NULL;
  long long patient = 0;
  enum err e = may_send(who, request_id, &patient);
  if (e != ERR_OK) return e;
  if (study_id < 0) return ERR_NOT_FOUND;
  struct start_ctx c = {a, who, request_id, dest_id, patient, 0, 0, study_id, NULL, PWG_MAY};
  e = db_tx(start_tx, &c);
  if (e == ERR_INVALID) *why = c.why;
  if (e == ERR_CONFLICT) {
    *why = c.why;
    audit_row(who, "pacs.send.refused", "request", request_id, patient, "denied",
              json_text(a, json_pack("{s:s}", "reason", c.why)));
  }
  if (e == ERR_OK) {
    *send_id = c.send_id;
    jobs_kick();
    LOG_I("pacs send %lld: request %lld, %lld instances queued", c.send_id, request_id, c.total);
  }
  return e;
}

enum err pacs_sends_view(struct arena *a, const struct actor *who, long long request_id, struct rowset *out) {
  enum err e = may_send(who, request_id, NULL);
  if (e != ERR_OK) return e;
  return ps_sends_of_request(a, request_id, out);
}

enum err pacs_send_items_view(struct arena *a, const struct actor *who, long long request_id, long long send_id,
                              struct rowset *out) {
  enum err e = may_send(who, request_id, NULL);
  if (e != ERR_OK) return e;
  struct rowset s;
  if ((e = ps_send_get(a, send_id, &s)) != ERR_OK) return e;
  if (rs_ll(&s, 0, "request_id") != request_id) return ERR_NOT_FOUND;
  return ps_send_items(a, send_id, out);
}

/* ---- the job ---- */

struct answer {
  char *buf;
  size_t len, cap;
  int cut;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *p) {
  struct answer *b = p;
  size_t n = size * nmemb;
  if (b->len + n > PACS_ANSWER_MAX) {
    b->cut = 1;
    return n; /* read on and drop: the answer is judged without it */
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 8192;
    while (cap < b->len + n + 1) cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (!nb) return 0;
    b->buf = nb;
    b->cap = cap;
  }
  memcpy(b->buf + b->len, data, n);
  b->len += n;
  b->buf[b->len] = 0;
  return n;
}

struct body_src {
  struct dw_stream *s;
  int broken; /* a stored file failed its check */
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *p) {
  struct body_src *src = p;
  ssize_t k = dicomweb_stream_read(src->s, (unsigned char *)buf, size * nitems);
  if (k < 0) {
    src->broken = 1;
    return CURL_READFUNC_ABORT;
  }
  return (size_t)k;
}

/* A POST in progress stops when the portal is stopping (jobs_stop waits for the workers). */
static int progress_cb(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)p;
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return jobs_stopping() ? 1 : 0;
}

struct dest {
  long long id;
  const char *url, *auth, *user, *ca;
  char *secret; /* opened; wiped at the end of the job */
  size_t secret_cap; /* its buffer's size */
};

/* POSTs the instances to the destination. *http the status (0: no answer, with curl's words in
 * cwhy; *untrusted set when that was the PACS's certificate, which trying again will not mend);
 * the answer in *ans (caller frees ans->buf). -1 when a stored file failed its check. */
static int post_batch(const struct actor *sender, const struct dest *d, const struct dw_instance_row *rows, size_t n,
                      long *http, struct answer *ans, char *cwhy, size_t cwhylen, int *untrusted) {
  *http = 0;
  *untrusted = 0;
  cwhy[0] = 0;
  struct dw_stream *s = NULL;
  uint64_t total = 0;
  char boundary[33];
  if (dicomweb_stream_instances(sender, rows, n, 1, &s, &total, boundary) != ERR_OK) {
    snprintf(cwhy, cwhylen, "out of memory");
    return 0;
  }
  struct body_src src = {s, 0};
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  char url[600], ctype[160], bearer[PACS_SECRET_MAX + 40];
  size_t ul = strlen(d->url);
  while (ul && d->url[ul - 1] == '/') ul--;
  snprintf(url, sizeof url, "%.*s/studies", (int)ul, d->url);
  snprintf(ctype, sizeof ctype, "Content-Type: multipart/related; type=\"application/dicom\"; boundary=%s", boundary);
  h = curl_slist_append(h, ctype);
  h = curl_slist_append(h, "Accept: application/dicom+json, application/json");
  h = curl_slist_append(h, "Expect:");
  if (strcmp(d->auth, "bearer") == 0) {
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", d->secret ? d->secret : "");
    h = curl_slist_append(h, bearer);
    sodium_memzero(bearer, sizeof bearer);
  }
  if (!c || !h) {
    snprintf(cwhy, cwhylen, "out of memory");
    goto done;
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)total);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "secondop");
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (strcmp(d->auth, "basic") == 0) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, d->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, d->secret ? d->secret : "");
  }
  if (d->ca && *d->ca) {
    struct curl_blob blob = {(void *)d->ca, strlen(d->ca), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }
  CURLcode rc = curl_easy_perform(c);
  if (src.broken) goto done;
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
  } else {
    snprintf(cwhy, cwhylen, "%s", curl_easy_strerror(rc));
    *untrusted = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
  }
done:
  if (c) curl_easy_setopt(c, CURLOPT_PASSWORD, "");
  curl_easy_cleanup(c);
  pw_headers_wipe(h); /* curl's copy of "Authorization: Bearer <token>" */
  curl_slist_free_all(h);
  dicomweb_stream_free(s);
  return src.broken ? -1 : 0;
}

struct record_ctx {
  struct arena *a;
  long long send_id;
  const struct dw_instance_row *rows;
  const struct pw_item *items;
  size_t n;
};

static enum err record_tx(void *p) {
  struct record_ctx *c = p;
  for (size_t i = 0; i < c->n; i++) {
    const char *o = c->items[i].outcome == PWO_REFERENCED ? "referenced"
                    : c->items[i].outcome == PWO_WARNING  ? "warning"
                                                          : "failed";
    enum err e = ps_item_set(c->a, c->send_id, c->rows[i].doc, o, c->items[i].reason);
    if (e != ERR_OK) return e;
  }
  return ERR_OK;
}

/* The end of a send: its state, the staff-only timeline event and the audit row. */
static void finish(struct arena *a, long long send_id, long long request_id, long long patient_id, const char *dest,
                   const char *state, const char *failure) {
  struct rowset cnt;
  long long stored = 0, failed = 0, total = 0;
  if (ps_send_counts(a, send_id, &cnt) == ERR_OK) {
    stored = rs_ll(&cnt, 0, "referenced") + rs_ll(&cnt, 0, "warning");
    failed = rs_ll(&cnt, 0, "failed");
    total = rs_ll(&cnt, 0, "total");
  }
  if (ps_send_state(a, send_id, state, failure) != ERR_OK) LOG_W("pacs send %lld: could not record its end", send_id);
  json_t *ev = json_pack("{s:s,s:s,s:I,s:I,s:I}", "event", strcmp(state, "done") == 0 ? "pacs_send_done" : "pacs_send_failed",
                         "destination", dest, "stored", (json_int_t)stored, "failed", (json_int_t)failed, "instances",
                         (json_int_t)total);
  if (ev && failure) json_object_set_new(ev, "reason", json_string(failure));
  if (rqs_event_add(request_id, NULL, NULL, "note", 0, json_text(a, ev), true) != ERR_OK)
    LOG_W("pacs send %lld: no timeline event", send_id);
  json_t *d = json_pack("{s:I,s:s,s:I,s:I}", "send", (json_int_t)send_id, "destination", dest, "stored",
                        (json_int_t)stored, "failed", (json_int_t)failed);
  audit_row(&system_actor, "pacs.send.outcome", "request", request_id, patient_id,
            strcmp(state, "done") == 0 ? "ok" : "failed", json_text(a, d));
  LOG_I("pacs send %lld %s: %lld stored, %lld failed of %lld", send_id, state, stored, failed, total);
}

/* The patient withdrew the request or revoked the authorization (or the request can no longer
 * be sent for another reason): the send stops before its next POST, state 'stopped', audited
 * and on the staff timeline. 1 when it stopped, 0 when it may go on, -1 when the database could
 * not be read. */
static int stop_if_refused(struct arena *a, long long send_id, long long request_id, long long patient_id,
                           const char *dest) {
  const char *status = NULL;
  bool revoked = false;
  if (ps_request_gate(a, request_id, &status, &revoked) != ERR_OK) return -1;
  enum pw_gate g = pw_send_gate(status, revoked);
  if (g == PWG_MAY) return 0;
  const char *words = pw_gate_words(g);
  if (ps_send_state(a, send_id, "stopped", words) != ERR_OK) return -1;
  struct rowset cnt;
  long long stored = 0, total = 0;
  if (ps_send_counts(a, send_id, &cnt) == ERR_OK) {
    stored = rs_ll(&cnt, 0, "referenced") + rs_ll(&cnt, 0, "warning");
    total = rs_ll(&cnt, 0, "total");
  }
  json_t *ev = json_pack("{s:s,s:s,s:s,s:I,s:I}", "event", "pacs_send_stopped", "destination", dest, "reason", words,
                         "stored", (json_int_t)stored, "instances", (json_int_t)total);
  if (rqs_event_add(request_id, NULL, NULL, "note", 0, json_text(a, ev), true) != ERR_OK)
    LOG_W("pacs send %lld: no timeline event", send_id);
  json_t *d = json_pack("{s:I,s:s,s:s,s:I}", "send", (json_int_t)send_id, "destination", dest, "reason", words,
                        "stored", (json_int_t)stored);
  audit_row(&system_actor, "pacs.send.stopped", "request", request_id, patient_id, "ok", json_text(a, d));
  LOG_I("pacs send %lld stopped before its end (%lld of %lld stored): %s", send_id, stored, total, words);
  return 1;
}

static void test_pause(void) {
#ifdef SECONDOP_TEST_HOOKS
  unsigned ms = env_unsigned("SECONDOP_TEST_PACS_PAUSE_MS", 0, 60000, 0);
  if (ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
#endif
}

static enum job_result pacs_run(const char *payload, long long patient_id, char *why, size_t whylen) {
  (void)patient_id;
  enum job_result res = JOB_RETRY;
  long long id = strtoll(payload, NULL, 10);
  struct arena *a = arena_new();
  struct dest d = {0};
  if (!a) {
    snprintf(why, whylen, "out of memory");
    return JOB_RETRY;
  }
  struct rowset s;
  enum err e = ps_send_get(a, id, &s);
  if (e == ERR_NOT_FOUND) { /* the request was deleted with its sends */
    res = JOB_DONE;
    goto done;
  }
  if (e != ERR_OK) {
    snprintf(why, whylen, "The database could not be read.");
    goto done;
  }
  const char *state = rs_get(&s, 0, "state"), *dest_name = rs_get(&s, 0, "destination_name");
  long long request_id = rs_ll(&s, 0, "request_id"), patient = rs_ll(&s, 0, "patient_id");
  if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 || strcmp(state, "stopped") == 0) {
    res = JOB_DONE;
    goto done;
  }
  int stopped = stop_if_refused(a, id, request_id, patient, dest_name);
  if (stopped != 0) {
    if (stopped < 0) snprintf(why, whylen, "The database could not be read.");
    else res = JOB_DONE;
    goto done;
  }
  if (!*rs_get(&s, 0, "dest_id")) {
    snprintf(why, whylen, "The destination was deleted by an administrator.");
    res = JOB_FAIL;
    goto done;
  }
  if (!rs_bool(&s, 0, "dest_enabled")) {
    snprintf(why, whylen, "The destination was turned off by an administrator.");
    res = JOB_FAIL;
    goto done;
  }
  d.id = strtoll(rs_get(&s, 0, "dest_id"), NULL, 10);
  d.url = rs_get(&s, 0, "dest_url");
  d.auth = rs_get(&s, 0, "dest_auth");
  d.user = rs_get(&s, 0, "dest_user");
  d.ca = rs_get(&s, 0, "dest_ca");
  if (strcmp(d.auth, "none") != 0 && !(d.secret = open_secret(a, d.id, rs_get(&s, 0, "dest_secret"), &d.secret_cap))) {
    snprintf(why, whylen, "The destination's password or token cannot be read: an administrator should enter it again.");
    res = JOB_FAIL;
    goto done;
  }
  const char *role = rs_get(&s, 0, "sender_role");
  struct actor sender = {rs_ll(&s, 0, "sender_id"),
                         (vocab_role_bit(role) & (R_STAFF | R_REVIEWER)), "",
                         "pacs-send", 0, false};
  if (ps_send_state(a, id, "sending", NULL) != ERR_OK) {
    snprintf(why, whylen, "The database could not be written.");
    goto done;
  }
  unsigned max_n = env_unsigned("SECONDOP_PACS_BATCH_INSTANCES", 1, 1000, 10);
  uint64_t max_bytes = (uint64_t)env_unsigned("SECONDOP_PACS_BATCH_MB", 1, 4096, 32) << 20;
  /* one claim sends a bounded slice, then gives the worker back (JOB_YIELD) so that the
   * patients' intake jobs waiting meanwhile are not starved by a large send */
  unsigned slice_batches = env_unsigned("SECONDOP_PACS_SLICE_BATCHES", 1, 10000, 4);
  unsigned slice_seconds = env_unsigned("SECONDOP_PACS_SLICE_SECONDS", 1, 3600, 20);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (unsigned batches = 0;; batches++) {
    if (batches > 0) {
      struct timespec t1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (batches >= slice_batches || t1.tv_sec - t0.tv_sec >= (time_t)slice_seconds) {
        res = JOB_YIELD;
        goto done;
      }
    }
    int stop = stop_if_refused(a, id, request_id, patient, dest_name);
    if (stop != 0) {
      if (stop < 0) snprintf(why, whylen, "The database could not be read.");
      else res = JOB_DONE;
      goto done;
    }
    struct arena *b = arena_new();
    if (!b) {
      snprintf(why, whylen, "out of memory");
      goto done;
    }
    struct dw_instance_row *rows = NULL;
    size_t n = 0;
    if ((e = ps_send_pending(b, id, max_n, &rows, &n)) != ERR_OK) {
      arena_free(b);
      snprintf(why, whylen, "The database could not be read.");
      goto done;
    }
    if (n == 0) {
      arena_free(b);
      finish(a, id, request_id, patient, dest_name, "done", NULL);
      res = JOB_DONE;
      goto done;
    }
    uint64_t *sizes = arena_alloc(b, n * sizeof *sizes);
    const char **sops = arena_alloc(b, n * sizeof *sops);
    struct pw_item *items = arena_alloc(b, n * sizeof *items);
    if (!sizes || !sops || !items) {
      arena_free(b);
      snprintf(why, whylen, "out of memory");
      goto done;
    }
    for (size_t i = 0; i < n; i++) {
      sizes[i] = rows[i].size;
      sops[i] = rows[i].sop_uid;
    }
    size_t k = pw_batch_take(sizes, n, max_n, max_bytes);
    long http = 0;
    struct answer ans = {0};
    char cwhy[200];
    int untrusted = 0;
    int broken = post_batch(&sender, &d, rows, k, &http, &ans, cwhy, sizeof cwhy, &untrusted);
    enum pw_verdict v = PW_REFUSED;
    if (broken) {
      snprintf(why, whylen, "An image in the portal's store failed its integrity check; the center has been told.");
    } else if (untrusted) {
      snprintf(why, whylen,
               "The PACS's HTTPS certificate is not trusted (%s): an administrator should add the certificate of "
               "the authority that signed it to this destination.",
               cwhy);
    } else if (http == 0 && jobs_stopping()) {
      v = PW_RETRY; /* the POST was stopped: the portal is stopping */
      snprintf(why, whylen, "The portal was restarting.");
    } else {
      v = pw_classify(http, ans.cut ? "" : ans.buf, ans.cut ? 0 : ans.len, sops, k, items, why, whylen);
      if (http == 0 && *cwhy) {
        size_t l = strlen(why);
        if (l > 1 && why[l - 1] == '.') why[l - 1] = 0;
        l = strlen(why);
        snprintf(why + l, whylen - l, " (%s).", cwhy);
      }
    }
    LOG_I("pacs send %lld: %zu instance(s) posted, HTTP %ld", id, k, http);
    free(ans.buf);
    if (broken || v == PW_CREDENTIALS || v == PW_REFUSED) {
      arena_free(b);
      res = JOB_FAIL;
      goto done;
    }
    if (v == PW_RETRY) {
      arena_free(b);
      if (ps_send_state(a, id, "retrying", why) != ERR_OK) LOG_W("pacs send %lld: state not saved", id);
      goto done;
    }
    struct record_ctx rc = {b, id, rows, items, k};
    e = db_tx(record_tx, &rc);
    arena_free(b);
    if (e != ERR_OK) {
      snprintf(why, whylen, "The PACS's answer could not be recorded.");
      goto done;
    }
    test_pause();
    if (jobs_stopping()) {
      snprintf(why, whylen, "The portal was restarting.");
      if (ps_send_state(a, id, "retrying", why) != ERR_OK) LOG_W("pacs send %lld: state not saved", id);
      goto done;
    }
  }
done:
  if (d.secret) sodium_memzero(d.secret, d.secret_cap);
  arena_free(a);
  return res;
}

static void pacs_give_up(const char *payload, long long patient_id, const char *why) {
  (void)patient_id;
  long long id = strtoll(payload, NULL, 10);
  struct arena *a = arena_new();
  struct rowset s;
  if (a && ps_send_get(a, id, &s) == ERR_OK && strcmp(rs_get(&s, 0, "state"), "done") != 0 &&
      strcmp(rs_get(&s, 0, "state"), "stopped") != 0)
    finish(a, id, rs_ll(&s, 0, "request_id"), rs_ll(&s, 0, "patient_id"), rs_get(&s, 0, "destination_name"), "failed",
           why && *why ? why : "The PACS could not be reached.");
  arena_free(a);
}

static const struct job_kind pacs_kind = {PACS_JOB_KIND, PACS_MAX_ATTEMPTS, pacs_run, pacs_give_up};

void pacs_init(void) {
  pacs_store_register();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) LOG_E("libcurl could not be initialised: PACS sends will fail");
  jobs_register_kind(&pacs_kind);
}
