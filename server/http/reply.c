#include "http/reply.h"

#include <ClearSilver.h>
#include <dirent.h>
#include <jansson.h>
#include <microhttpd.h>
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

void templates_free(void) {
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

char *render_template(HDF *hdf, const char *tmpl) {
  CSPARSE *cs = NULL;
  STRING out;
  string_init(&out);
  char *result = NULL;
  /* must be lower case and set before cs_init: ClearSilver 0.10.5 escapes nothing otherwise */
  NEOERR *err = hdf_set_value(hdf, "Config.VarEscapeMode", "html");
  if (err) goto done;
  err = cs_init(&cs, hdf);
  if (err) goto done;
  cs_register_fileload(cs, NULL, tmpl_fileload);
  err = cgi_register_strfuncs(cs);
  if (err) goto done;
  err = cs_parse_file(cs, tmpl);
  if (err) goto done;
  err = cs_render(cs, &out, render_cb);
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
  if (cs) cs_destroy(&cs);
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
