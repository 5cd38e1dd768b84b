#include "http/static.h"

#include <dirent.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/reply.h"
#include "util/log.h"

struct asset {
  char *rel;   /* "css/site.css" */
  unsigned char *data;
  size_t len;
  char etag[40];
  const char *mime;
};

static struct asset *assets;
static size_t nassets;

const char *mime_for(const char *name) {
  static const struct {
    const char *ext, *mime;
  } map[] = {
      {".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
      {".png", "image/png"}, {".jpg", "image/jpeg"}, {".ico", "image/x-icon"},
      {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
      {".json", "application/json"}, {".html", "text/html; charset=utf-8"},
  };
  const char *dot = strrchr(name, '.');
  if (dot)
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
      if (strcmp(dot, map[i].ext) == 0) return map[i].mime;
  return "application/octet-stream";
}

static int load_dir(const char *root, const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
  DIR *d = opendir(path);
  if (!d) return -1;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char sub[2048], full[4096];
    snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
    snprintf(full, sizeof full, "%s/%s", root, sub);
    struct stat st;
    if (lstat(full, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      rc = load_dir(root, sub);
      continue;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > 8 * 1024 * 1024) continue;
    FILE *f = fopen(full, "rb");
    if (!f) continue;
    unsigned char *data = malloc((size_t)st.st_size + 1);
    struct asset *grown = realloc(assets, (nassets + 1) * sizeof *assets);
    if (grown) assets = grown;
    if (!data || !grown) {
      free(data);
      fclose(f);
      rc = -1;
      break;
    }
    size_t got = fread(data, 1, (size_t)st.st_size, f);
    fclose(f);
    struct asset *a = &assets[nassets++];
    a->rel = strdup(sub);
    a->data = data;
    a->len = got;
    a->mime = mime_for(sub);
    unsigned char h[12];
    crypto_generichash(h, sizeof h, data, got, NULL, 0);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(a->etag, sizeof a->etag, "\"%s\"", hex);
  }
  closedir(d);
  return rc;
}

int static_load(const char *dir) {
  if (load_dir(dir, "") != 0) {
    LOG_E("cannot read static folder %s", dir);
    return -1;
  }
  return (int)nassets;
}

void static_free(void) {
  for (size_t i = 0; i < nassets; i++) {
    free(assets[i].rel);
    free(assets[i].data);
  }
  free(assets);
  assets = NULL;
  nassets = 0;
}

static bool etag_matches(const char *inm, const char *etag) {
  if (!inm) return false;
  if (strcmp(inm, "*") == 0) return true;
  return strstr(inm, etag) != NULL;
}

void static_serve(struct req *r, const char *rel) {
  for (size_t i = 0; i < nassets; i++) {
    struct asset *a = &assets[i];
    if (strcmp(a->rel, rel) != 0) continue;
    r->cache_public = true;
    if (etag_matches(req_header(r, "If-None-Match"), a->etag)) {
      reply_bytes(r, 304, a->mime, "", 0);
    } else {
      struct MHD_Response *resp = MHD_create_response_from_buffer(a->len, a->data, MHD_RESPMEM_PERSISTENT);
      if (!resp) return;
      MHD_add_response_header(resp, "Content-Type", a->mime);
      r->resp = resp;
      r->status = 200;
      r->resp_bytes = a->len;
    }
    reply_header(r, "ETag", a->etag);
    return;
  }
  reply_error(r, ERR_NOT_FOUND, NULL);
}
