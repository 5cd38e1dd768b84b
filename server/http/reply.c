#include "http/reply.h"

#include <ClearSilver.h>
#include <dirent.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/arena.h"
#include "util/log.h"

/* ---- template cache: name -> contents, read once before threads start ---- */

struct tmpl {
  char *name, *text;
  size_t len;
};
static struct tmpl *tmpls;
static size_t ntmpls;

int templates_load(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    LOG_E("cannot open templates folder %s", dir);
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    size_t nl = strlen(e->d_name);
    if (nl < 4 || strcmp(e->d_name + nl - 3, ".cs") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size > (1 << 20)) {
      fclose(f);
      continue;
    }
    char *text = malloc((size_t)st.st_size + 1);
    struct tmpl *grown = realloc(tmpls, (ntmpls + 1) * sizeof *tmpls);
    if (!text || !grown) {
      free(text);
      if (grown) tmpls = grown;
      fclose(f);
      rc = -1;
      break;
    }
    tmpls = grown;
    size_t got = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    text[got] = '\0';
    tmpls[ntmpls++] = (struct tmpl){strdup(e->d_name), text, got};
  }
  closedir(d);
  return rc < 0 ? -1 : (int)ntmpls;
}

static void parsed_free_all(void);

void templates_free(void) {
  parsed_free_all();
  for (size_t i = 0; i < ntmpls; i++) {
    free(tmpls[i].name);
    free(tmpls[i].text);
  }
  free(tmpls);
  tmpls = NULL;
  ntmpls = 0;
}

static NEOERR *tmpl_fileload(void *ctx, HDF *hdf, const char *filename, char **contents) {
  (void)ctx;
  (void)hdf;
  for (size_t i = 0; i < ntmpls; i++) {
    if (strcmp(tmpls[i].name, filename) == 0) {
      *contents = malloc(tmpls[i].len + 1);
      if (!*contents) return nerr_raise(NERR_NOMEM, "template copy");
      memcpy(*contents, tmpls[i].text, tmpls[i].len + 1);
      return STATUS_OK;
    }
  }
  return nerr_raise(NERR_NOT_FOUND, "no template %s", filename);
}

static NEOERR *render_cb(void *ctx, char *s) { return string_append((STRING *)ctx, s); }

/* ---- parsed templates, kept for the next render ----
 *
 * Parsing a page's templates (with their includes and macros) costs about as
 * much as rendering it, so a parsed tree is kept in a pool and reused: taken
 * out by one render at a time (no sharing between threads), put back after.
 * A tree is parsed against a private HDF that holds only
 * Config.VarEscapeMode=html, so every var: is escaped whatever the page's
 * HDF says; for a render the tree's HDF is swapped to the page's, and back
 * after. What a render leaves behind stays in the page's HDF (set: writes
 * there, and the HDF is freed with the request); locals live on the render's
 * stack and are unlinked when their each/loop/call/with ends. A tree whose
 * render failed or left a local linked is destroyed, not reused. Our
 * templates include files by literal name only (an include: of a variable
 * would be resolved against the private HDF). test_templates proves that two
 * renders of one tree give each its own values, escaped, and that a set:
 * from one render does not reach the next. */
struct parsed {
  char *name;
  CSPARSE *cs;
  HDF *own; /* the HDF the tree was parsed against (Config.VarEscapeMode) */
  struct parsed *next;
};
#define PARSED_POOL_MAX 256 /* trees kept at most (a few per template per thread) */
static pthread_mutex_t parsed_mu = PTHREAD_MUTEX_INITIALIZER;
static struct parsed *parsed_pool;
static size_t parsed_n;
static unsigned long parse_count;

unsigned long templates_parse_count(void) {
  pthread_mutex_lock(&parsed_mu);
  unsigned long n = parse_count;
  pthread_mutex_unlock(&parsed_mu);
  return n;
}

static void parsed_destroy(struct parsed *p) {
  if (!p) return;
  if (p->cs) {
    p->cs->hdf = p->own;
    cs_destroy(&p->cs);
  }
  if (p->own) hdf_destroy(&p->own);
  free(p->name);
  free(p);
}

static void parsed_free_all(void) {
  pthread_mutex_lock(&parsed_mu);
  struct parsed *p = parsed_pool;
  parsed_pool = NULL;
  parsed_n = 0;
  pthread_mutex_unlock(&parsed_mu);
  while (p) {
    struct parsed *next = p->next;
    parsed_destroy(p);
    p = next;
  }
}

/* A parsed tree of tmpl for this render alone: from the pool, or parsed now. */
static NEOERR *parsed_take(const char *tmpl, struct parsed **out) {
  *out = NULL;
  pthread_mutex_lock(&parsed_mu);
  for (struct parsed **pp = &parsed_pool; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, tmpl) == 0) {
      *out = *pp;
      *pp = (*pp)->next;
      (*out)->next = NULL;
      parsed_n--;
      break;
    }
  }
  pthread_mutex_unlock(&parsed_mu);
  if (*out) return STATUS_OK;
  struct parsed *p = calloc(1, sizeof *p);
  if (!p || !(p->name = strdup(tmpl))) {
    free(p);
    return nerr_raise(NERR_NOMEM, "parsed template");
  }
  /* must be lower case and set before cs_init: ClearSilver 0.10.5 escapes nothing otherwise */
  NEOERR *err = hdf_init(&p->own);
  if (!err) err = hdf_set_value(p->own, "Config.VarEscapeMode", "html");
  if (!err) err = cs_init(&p->cs, p->own);
  if (!err) {
    cs_register_fileload(p->cs, NULL, tmpl_fileload);
    err = cgi_register_strfuncs(p->cs);
  }
  if (!err) err = cs_parse_file(p->cs, tmpl);
  pthread_mutex_lock(&parsed_mu);
  parse_count++;
  pthread_mutex_unlock(&parsed_mu);
  if (err) {
    parsed_destroy(p);
    return err;
  }
  *out = p;
  return STATUS_OK;
}

/* Back to the pool after a clean render; destroyed otherwise. */
static void parsed_put(struct parsed *p, bool clean) {
  p->cs->hdf = p->own;
  p->cs->output_ctx = NULL;
  p->cs->output_cb = NULL;
  if (clean && !p->cs->locals) {
    pthread_mutex_lock(&parsed_mu);
    if (parsed_n < PARSED_POOL_MAX) {
      p->next = parsed_pool;
      parsed_pool = p;
      parsed_n++;
      p = NULL;
    }
    pthread_mutex_unlock(&parsed_mu);
  }
  parsed_destroy(p);
}

char *render_template(HDF *hdf, const char *tmpl) {
  struct parsed *p = NULL;
  STRING out;
  string_init(&out);
  char *result = NULL;
  /* kept in the page's HDF too, as before the parsed trees were kept (the trees are parsed in html mode) */
  NEOERR *err = hdf_set_value(hdf, "Config.VarEscapeMode", "html");
  if (err) goto done;
  err = parsed_take(tmpl, &p);
  if (err) goto done;
  p->cs->hdf = hdf;
  err = cs_render(p->cs, &out, render_cb);
  parsed_put(p, err == STATUS_OK);
  if (err) goto done;
  result = out.buf ? out.buf : strdup("");
  out.buf = NULL;
done:
  if (err) {
    STRING msg;
    string_init(&msg);
    nerr_error_string(err, &msg);
    LOG_E("template %s failed: %s", tmpl, msg.buf ? msg.buf : "?");
    string_clear(&msg);
    nerr_ignore(&err);
  }
  string_clear(&out);
  return result;
}

static void set_response(struct req *r, unsigned status, struct MHD_Response *resp) {
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = status;
}

void reply_header(struct req *r, const char *name, const char *value) {
  if (r->resp) MHD_add_response_header(r->resp, name, value);
}

static void hdf_common(struct req *r, HDF *hdf) {
  hdf_set_value(hdf, "Page.RequestId", r->id);
  hdf_set_value(hdf, "Page.Path", r->path);
  if (r->user) {
    hdf_set_value(hdf, "User.Name", r->user->name);
    hdf_set_value(hdf, "User.Email", r->user->email);
    hdf_set_int_value(hdf, "User.IsPatient", r->user->role == ROLE_PATIENT);
    hdf_set_int_value(hdf, "User.IsStaff", r->user->role == ROLE_STAFF);
    hdf_set_int_value(hdf, "User.IsReviewer", r->user->role == ROLE_REVIEWER);
    hdf_set_int_value(hdf, "User.IsAdmin", r->user->role == ROLE_ADMIN);
    hdf_set_int_value(hdf, "User.IdleSeconds",
                      (int)(r->user->idle_expires - (long long)time(NULL)));
    if (r->user->csrf) hdf_set_value(hdf, "Csrf.Token", r->user->csrf);
  }
}

void reply_page(struct req *r, unsigned status, const char *tmpl) {
  HDF *hdf = req_hdf(r);
  char *html = NULL;
  if (hdf) {
    hdf_common(r, hdf);
    html = render_template(hdf, tmpl);
  }
  if (!html) {
    if (strcmp(tmpl, "error.cs") == 0) {
      static const char fallback[] = "<!doctype html><title>Error</title><p>Something went wrong.</p>";
      reply_bytes(r, 500, "text/html; charset=utf-8", fallback, sizeof fallback - 1);
      return;
    }
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  size_t len = strlen(html);
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, html, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(html);
    return;
  }
  MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
  set_response(r, status, resp);
  r->resp_bytes = len;
}

void reply_json_take(struct req *r, unsigned status, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!text) {
    static const char fallback[] = "{\"error\":{\"code\":\"internal\"}}";
    reply_bytes(r, 500, "application/json", fallback, sizeof fallback - 1);
    return;
  }
  size_t len = strlen(text);
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return;
  }
  MHD_add_response_header(resp, "Content-Type", "application/json");
  set_response(r, status, resp);
  r->resp_bytes = len;
}

void reply_bytes(struct req *r, unsigned status, const char *ctype, const void *data, size_t len) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
  if (!resp) return;
  if (ctype) MHD_add_response_header(resp, "Content-Type", ctype);
  set_response(r, status, resp);
  r->resp_bytes = len;
}

void reply_redirect(struct req *r, const char *location) {
  if (!location || location[0] != '/' || location[1] == '/' || location[1] == '\\') location = "/";
  struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (!resp) return;
  MHD_add_response_header(resp, "Location", location);
  MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
  set_response(r, 303, resp);
}

void reply_error(struct req *r, enum err e, const char *detail) {
  unsigned status = err_status(e);
  const char *msg = detail ? detail : err_message(e);
  if (status >= 500) LOG_W("answering %u %s for request %s", status, err_code(e), r->id);
  if (r->is_api) {
    json_t *j = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", err_code(e), "message", msg,
                          "incident", r->id);
    reply_json_take(r, status, j);
  } else {
    HDF *hdf = req_hdf(r);
    if (hdf) {
      hdf_set_int_value(hdf, "Error.Status", (int)status);
      hdf_set_value(hdf, "Error.Code", err_code(e));
      hdf_set_value(hdf, "Error.Message", msg);
      hdf_set_value(hdf, "Page.Title", status == 404 ? "Page not found" : "Something went wrong");
    }
    reply_page(r, status, "error.cs");
  }
  if (e == ERR_METHOD && r->allow) reply_header(r, "Allow", r->allow);
  if (e == ERR_UNAVAILABLE) reply_header(r, "Retry-After", "2");
}
