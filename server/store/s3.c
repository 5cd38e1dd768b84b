/* A small S3 client over libcurl's SigV4 signer; see s3.h. */
#include "store/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 16
#define XML_MAX (4u << 20) /* the largest XML answer we keep (a listing page) */

struct s3 {
  char *endpoint, *bucket, *prefix, *region;
  char *sigv4;    /* "aws:amz:<region>:s3" */
  char *userpwd;  /* sodium_malloc'd "access:secret" */
  size_t userpwd_len;
  pthread_mutex_t mu;
  CURL *pool[POOL_MAX];
  unsigned npool;
  uint64_t received; /* body bytes, under mu */
  unsigned page;     /* max-keys / max-uploads of a listing page; 0: the store's (1000) */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int safe_path_chars(const char *p) {
  for (; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_' || *p == '.' || *p == '/'))
      return 0;
  return 1;
}

int s3_parse_url(const char *url, char *bucket, size_t bcap, char *prefix, size_t pcap) {
  if (!url || strncmp(url, "s3://", 5) != 0) return -1;
  const char *b = url + 5, *slash = strchr(b, '/');
  size_t bl = slash ? (size_t)(slash - b) : strlen(b);
  if (bl < 3 || bl > 63 || bl >= bcap) return -1;
  for (size_t i = 0; i < bl; i++)
    if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-' || b[i] == '.')) return -1;
  memcpy(bucket, b, bl);
  bucket[bl] = 0;
  const char *p = slash ? slash + 1 : "";
  while (*p == '/') p++;
  size_t pl = strlen(p);
  while (pl > 0 && p[pl - 1] == '/') pl--;
  if (pl >= pcap || pl > 512) return -1;
  memcpy(prefix, p, pl);
  prefix[pl] = 0;
  if (!safe_path_chars(prefix) || strstr(prefix, "//") || strstr(prefix, "..")) return -1;
  return 0;
}

int s3_new(const struct s3_config *cfg, struct s3 **out, char *err, size_t errlen) {
  char bucket[64], prefix[520];
  *out = NULL;
  if (!cfg->url || s3_parse_url(cfg->url, bucket, sizeof bucket, prefix, sizeof prefix) != 0) {
    set_err(err, errlen, "--blob-store must be s3://bucket[/prefix] (bucket: 3-63 of a-z 0-9 . -; prefix: "
                         "letters, digits, - _ . /)");
    return -1;
  }
  if (!cfg->endpoint || !*cfg->endpoint ||
      (strncmp(cfg->endpoint, "http://", 7) != 0 && strncmp(cfg->endpoint, "https://", 8) != 0)) {
    set_err(err, errlen, "--s3-endpoint must be given as http(s)://host[:port] for an s3:// blob store");
    return -1;
  }
  if (!cfg->access_key || !*cfg->access_key || !cfg->secret_key || !*cfg->secret_key) {
    set_err(err, errlen, "the s3:// blob store needs an access key and a secret (--s3-access-key and "
                         "--s3-secret-key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --s3-credentials-file)");
    return -1;
  }
  if (strchr(cfg->access_key, ':') || strpbrk(cfg->access_key, "\r\n") || strpbrk(cfg->secret_key, "\r\n")) {
    set_err(err, errlen, "the S3 access key may not contain ':' or line breaks");
    return -1;
  }
  const char *region = cfg->region && *cfg->region ? cfg->region : "us-east-1";
  if (!safe_path_chars(region) || strchr(region, '/') || strlen(region) > 64) {
    set_err(err, errlen, "--s3-region is not a region name");
    return -1;
  }
  if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    set_err(err, errlen, "cannot initialise libcurl");
    return -1;
  }
  struct s3 *s = calloc(1, sizeof *s);
  if (!s) goto oom;
  pthread_mutex_init(&s->mu, NULL);
  size_t el = strlen(cfg->endpoint);
  while (el > 0 && cfg->endpoint[el - 1] == '/') el--;
  s->endpoint = strndup(cfg->endpoint, el);
  s->bucket = strdup(bucket);
  s->prefix = strdup(prefix);
  s->region = strdup(region);
  size_t sigv4_len = strlen(region) + 16;
  s->sigv4 = malloc(sigv4_len);
  s->userpwd_len = strlen(cfg->access_key) + 1 + strlen(cfg->secret_key) + 1;
  s->userpwd = sodium_malloc(s->userpwd_len);
  if (!s->endpoint || !s->bucket || !s->prefix || !s->region || !s->sigv4 || !s->userpwd) {
    s3_free(s);
    goto oom;
  }
  snprintf(s->sigv4, sigv4_len, "aws:amz:%s:s3", region);
  snprintf(s->userpwd, s->userpwd_len, "%s:%s", cfg->access_key, cfg->secret_key);
  *out = s;
  return 0;
oom:
  set_err(err, errlen, "out of memory");
  return -1;
}

void s3_free(struct s3 *s) {
  if (!s) return;
  for (unsigned i = 0; i < s->npool; i++) curl_easy_cleanup(s->pool[i]);
  free(s->endpoint);
  free(s->bucket);
  free(s->prefix);
  free(s->region);
  free(s->sigv4);
  if (s->userpwd) sodium_free(s->userpwd); /* wipes */
  pthread_mutex_destroy(&s->mu);
  free(s);
}

int s3_key(const struct s3 *s, const char *name, char *out, size_t cap) {
  int n = *s->prefix ? snprintf(out, cap, "%s/%s", s->prefix, name) : snprintf(out, cap, "%s", name);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static CURL *handle_get(struct s3 *s) {
  CURL *c = NULL;
  pthread_mutex_lock(&s->mu);
  if (s->npool > 0) c = s->pool[--s->npool];
  pthread_mutex_unlock(&s->mu);
  if (c) {
    curl_easy_reset(c);
    return c;
  }
  return curl_easy_init();
}

static void handle_put(struct s3 *s, CURL *c) {
  pthread_mutex_lock(&s->mu);
  if (s->npool < POOL_MAX) {
    s->pool[s->npool++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&s->mu);
  if (c) curl_easy_cleanup(c);
}

struct resp {
  /* body: into dst (a ranged GET) or a growing buffer (XML) */
  unsigned char *dst;
  size_t dst_cap, dst_len;
  char *xml;
  size_t xml_len, xml_cap;
  int overflow;
  char etag[S3_ETAG_MAX];
  uint64_t clen;
  int has_clen;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  struct resp *r = ud;
  size_t len = sz * n;
  if (r->dst) {
    if (len > r->dst_cap - r->dst_len) {
      r->overflow = 1;
      return 0;
    }
    memcpy(r->dst + r->dst_len, p, len);
    r->dst_len += len;
    return len;
  }
  if (r->xml_len + len + 1 > XML_MAX) {
    r->overflow = 1;
    return 0;
  }
  if (r->xml_len + len + 1 > r->xml_cap) {
    size_t nc = r->xml_cap ? r->xml_cap * 2 : 8192;
    while (nc < r->xml_len + len + 1) nc *= 2;
    char *x = realloc(r->xml, nc);
    if (!x) return 0;
    r->xml = x;
    r->xml_cap = nc;
  }
  memcpy(r->xml + r->xml_len, p, len);
  r->xml_len += len;
  r->xml[r->xml_len] = 0;
  return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  struct resp *r = ud;
  size_t len = sz * n;
  if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
    const char *v = p + 5;
    size_t vl = len - 5;
    while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
    if (vl < sizeof r->etag) {
      memcpy(r->etag, v, vl);
      r->etag[vl] = 0;
    }
  } else if (len > 15 && strncasecmp(p, "content-length:", 15) == 0) {
    char *end;
    unsigned long long v = strtoull(p + 15, &end, 10);
    if (end != p + 15) {
      r->clen = v;
      r->has_clen = 1;
    }
  }
  return len;
}

struct body {
  const unsigned char *p;
  size_t len, pos;
};

static size_t on_read(char *buf, size_t sz, size_t n, void *ud) {
  struct body *b = ud;
  size_t k = sz * n;
  if (k > b->len - b->pos) k = b->len - b->pos;
  memcpy(buf, b->p + b->pos, k);
  b->pos += k;
  return k;
}

/* The text of the first <tag>...</tag> after *from into out (XML entities
 * &quot; &amp; decoded). 0, or -1 when absent. */
static int xml_tag(const char *xml, const char *tag, const char **from, char *out, size_t cap) {
  char open[64], close[64];
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  const char *a = strstr(from && *from ? *from : xml, open);
  if (!a) return -1;
  a += strlen(open);
  const char *b = strstr(a, close);
  if (!b) return -1;
  size_t o = 0;
  for (const char *q = a; q < b && o + 1 < cap;) {
    if (strncmp(q, "&quot;", 6) == 0) {
      out[o++] = '"';
      q += 6;
    } else if (strncmp(q, "&amp;", 5) == 0) {
      out[o++] = '&';
      q += 5;
    } else if (strncmp(q, "&#34;", 5) == 0) {
      out[o++] = '"';
      q += 5;
    } else {
      out[o++] = *q++;
    }
  }
  out[o] = 0;
  if (from) *from = b + strlen(close);
  return 0;
}

static size_t url_escape(const char *in, char *out, size_t cap, int keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/');
    if (o + 4 >= cap) return (size_t)-1;
    if (plain) {
      out[o++] = (char)*p;
    } else {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    }
  }
  out[o] = 0;
  return o;
}

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One signed request. key may be NULL (the bucket itself); query is the
 * sorted, escaped query string (or NULL). body for PUT/POST. range: "bytes=a-b"
 * or NULL. extra: one more (signed) header line or NULL. *status = the HTTP
 * status (0 when nothing answered). */
static enum s3_fail s3_req_x(struct s3 *s, const char *method, const char *key, const char *query, const void *body,
                             size_t blen, const char *range, const char *extra, struct resp *rp, long *status,
                             char *err, size_t errlen) {
  char ekey[2400], url[3200], hdr_sha[128], hdr_range[96];
  enum s3_fail rc = S3_BAD;
  *status = 0;
  if (key && url_escape(key, ekey, sizeof ekey, 1) == (size_t)-1) {
    set_err(err, errlen, "object key too long");
    return S3_BAD;
  }
  int n = snprintf(url, sizeof url, "%s/%s%s%s%s%s", s->endpoint, s->bucket, key ? "/" : "", key ? ekey : "",
                   query ? "?" : "", query ? query : "");
  if (n < 0 || (size_t)n >= sizeof url) {
    set_err(err, errlen, "request URL too long");
    return S3_BAD;
  }
  CURL *c = handle_get(s);
  if (!c) {
    set_err(err, errlen, "out of memory");
    return S3_UNAVAILABLE;
  }
  struct curl_slist *h = NULL;
  /* The payload hash: a real one for the (small) XML bodies and empty
   * requests; sealed data goes UNSIGNED-PAYLOAD (it is authenticated by our
   * own AEAD, hashing it again would cost a core). */
  if (blen == 0) {
    snprintf(hdr_sha, sizeof hdr_sha, "x-amz-content-sha256: %s", SHA256_EMPTY);
  } else if (strcmp(method, "POST") == 0) {
    unsigned char d[32];
    char hx[65];
    crypto_hash_sha256(d, body, blen);
    sodium_bin2hex(hx, sizeof hx, d, sizeof d);
    snprintf(hdr_sha, sizeof hdr_sha, "x-amz-content-sha256: %s", hx);
  } else {
    snprintf(hdr_sha, sizeof hdr_sha, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
  }
  h = curl_slist_append(h, hdr_sha);
  /* No "Expect:" entry: curl 7.88 signs every entry of the list, an empty
   * one too, but sends none (radosgw: SignatureDoesNotMatch). The
   * "Expect: 100-continue" curl adds to a PUT by itself comes after signing,
   * is not in SignedHeaders, and costs one round trip per 5 MiB part. */
  if (strcmp(method, "POST") == 0) h = curl_slist_append(h, "Content-Type: application/xml");
  if (range) {
    snprintf(hdr_range, sizeof hdr_range, "Range: %s", range);
    h = curl_slist_append(h, hdr_range);
  }
  if (extra) h = curl_slist_append(h, extra);
  struct body b = {body, blen, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
  curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, rp);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, rp);
  if (strcmp(method, "PUT") == 0) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &b);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)blen);
  } else if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, blen ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
  } else if (strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  CURLcode cc = curl_easy_perform(c);
  pthread_mutex_lock(&s->mu);
  s->received += rp->dst ? rp->dst_len : rp->xml_len;
  pthread_mutex_unlock(&s->mu);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  *status = code;
  if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && rp->overflow)) {
    set_err(err, errlen, "object store %s unreachable: %s", s->endpoint, curl_easy_strerror(cc));
    rc = S3_UNAVAILABLE;
    curl_easy_cleanup(c);
    c = NULL;
    goto done;
  }
  if (code >= 200 && code < 300) {
    rc = S3_OK;
  } else {
    char scode[64] = "";
    if (rp->xml) xml_tag(rp->xml, "Code", NULL, scode, sizeof scode);
    if (code == 404)
      rc = S3_NOT_FOUND;
    else if (code == 401 || code == 403)
      rc = S3_DENIED;
    else if (code >= 500)
      rc = S3_UNAVAILABLE;
    else
      rc = S3_BAD;
    if (rc == S3_DENIED)
      set_err(err, errlen, "object store refused the credentials (HTTP %ld %s): check the access key and secret",
              code, scode);
    else
      set_err(err, errlen, "object store answered HTTP %ld %s to %s", code, scode, method);
  }
done:
  curl_slist_free_all(h);
  if (c) handle_put(s, c);
  return rc;
}

static enum s3_fail s3_req(struct s3 *s, const char *method, const char *key, const char *query, const void *body,
                           size_t blen, const char *range, struct resp *rp, long *status, char *err, size_t errlen) {
  return s3_req_x(s, method, key, query, body, blen, range, NULL, rp, status, err, errlen);
}

static void resp_free(struct resp *r) { free(r->xml); }

uint64_t s3_bytes_received(struct s3 *s) {
  pthread_mutex_lock(&s->mu);
  uint64_t v = s->received;
  pthread_mutex_unlock(&s->mu);
  return v;
}

enum s3_fail s3_check(struct s3 *s, char *err, size_t errlen) {
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "GET", NULL, "list-type=2&max-keys=1", NULL, 0, NULL, &r, &st, err, errlen);
  if (rc == S3_NOT_FOUND) set_err(err, errlen, "the bucket %s does not exist at %s", s->bucket, s->endpoint);
  resp_free(&r);
  return rc;
}

enum s3_fail s3_put(struct s3 *s, const char *key, const void *data, size_t len, char *err, size_t errlen) {
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "PUT", key, NULL, data, len, NULL, &r, &st, err, errlen);
  resp_free(&r);
  return rc;
}

enum s3_fail s3_get_range(struct s3 *s, const char *key, uint64_t off, size_t len, void *buf, size_t *got,
                          char *err, size_t errlen) {
  char range[96];
  *got = 0;
  if (len == 0) return S3_OK;
  snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)off, (unsigned long long)(off + len - 1));
  struct resp r = {0};
  r.dst = buf;
  r.dst_cap = len;
  long st;
  enum s3_fail rc = s3_req(s, "GET", key, NULL, NULL, 0, range, &r, &st, err, errlen);
  if (rc == S3_OK && st != 206 && !(st == 200 && off == 0)) {
    set_err(err, errlen, "object store ignored the range (HTTP %ld)", st);
    rc = S3_BAD;
  }
  if (rc == S3_OK && r.overflow) {
    set_err(err, errlen, "object store sent more than the range");
    rc = S3_BAD;
  }
  if (rc == S3_BAD && st == 416) {
    rc = S3_OK; /* past the end: nothing */
    r.dst_len = 0;
  }
  *got = r.dst_len;
  resp_free(&r);
  return rc;
}

enum s3_fail s3_head(struct s3 *s, const char *key, uint64_t *size, char *err, size_t errlen) {
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "HEAD", key, NULL, NULL, 0, NULL, &r, &st, err, errlen);
  if (rc == S3_OK && !r.has_clen) {
    set_err(err, errlen, "object store sent no Content-Length");
    rc = S3_BAD;
  }
  if (rc == S3_OK && size) *size = r.clen;
  resp_free(&r);
  return rc;
}

enum s3_fail s3_delete(struct s3 *s, const char *key, char *err, size_t errlen) {
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "DELETE", key, NULL, NULL, 0, NULL, &r, &st, err, errlen);
  if (rc == S3_NOT_FOUND) rc = S3_OK;
  resp_free(&r);
  return rc;
}

enum s3_fail s3_mpu_create(struct s3 *s, const char *key, char upload_id[S3_UPLOAD_ID_MAX], char *err,
                           size_t errlen) {
  struct resp r = {0};
  long st;
  /* curl 7.88 signs the query as written: "uploads=" with its '=' */
  enum s3_fail rc = s3_req(s, "POST", key, "uploads=", NULL, 0, NULL, &r, &st, err, errlen);
  if (rc == S3_OK && (!r.xml || xml_tag(r.xml, "UploadId", NULL, upload_id, S3_UPLOAD_ID_MAX) != 0 || !*upload_id)) {
    set_err(err, errlen, "object store sent no UploadId");
    rc = S3_BAD;
  }
  resp_free(&r);
  return rc;
}

static int escape_id(const char *upload_id, char *out, size_t cap) {
  return url_escape(upload_id, out, cap, 0) == (size_t)-1 ? -1 : 0;
}

enum s3_fail s3_mpu_part(struct s3 *s, const char *key, const char *upload_id, unsigned part, const void *data,
                         size_t len, char etag[S3_ETAG_MAX], char *err, size_t errlen) {
  char eid[800], q[900];
  if (escape_id(upload_id, eid, sizeof eid) != 0) return S3_BAD;
  snprintf(q, sizeof q, "partNumber=%u&uploadId=%s", part, eid);
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "PUT", key, q, data, len, NULL, &r, &st, err, errlen);
  if (rc == S3_OK && !*r.etag) {
    set_err(err, errlen, "object store sent no ETag for part %u", part);
    rc = S3_BAD;
  }
  if (rc == S3_OK) memcpy(etag, r.etag, S3_ETAG_MAX);
  resp_free(&r);
  return rc;
}

enum s3_fail s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id, char (*etags)[S3_ETAG_MAX],
                             unsigned nparts, char *err, size_t errlen) {
  char eid[800], q[900];
  if (escape_id(upload_id, eid, sizeof eid) != 0) return S3_BAD;
  snprintf(q, sizeof q, "uploadId=%s", eid);
  size_t cap = 64 + (size_t)nparts * (S3_ETAG_MAX + 64);
  char *x = malloc(cap);
  if (!x) return S3_UNAVAILABLE;
  size_t o = (size_t)snprintf(x, cap, "<CompleteMultipartUpload>");
  for (unsigned i = 0; i < nparts; i++)
    o += (size_t)snprintf(x + o, cap - o, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", i + 1,
                          etags[i]);
  o += (size_t)snprintf(x + o, cap - o, "</CompleteMultipartUpload>");
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "POST", key, q, x, o, NULL, &r, &st, err, errlen);
  /* a 200 can still carry an <Error> (S3 sends it while it works) */
  if (rc == S3_OK && r.xml && strstr(r.xml, "<Error>")) {
    char code[64] = "";
    xml_tag(r.xml, "Code", NULL, code, sizeof code);
    set_err(err, errlen, "object store could not complete the upload: %s", code);
    rc = S3_BAD;
  }
  resp_free(&r);
  free(x);
  return rc;
}

enum s3_fail s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id, char *err, size_t errlen) {
  char eid[800], q[900];
  if (escape_id(upload_id, eid, sizeof eid) != 0) return S3_BAD;
  snprintf(q, sizeof q, "uploadId=%s", eid);
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req(s, "DELETE", key, q, NULL, 0, NULL, &r, &st, err, errlen);
  if (rc == S3_NOT_FOUND) rc = S3_OK;
  resp_free(&r);
  return rc;
}

enum s3_fail s3_mpu_list_parts(struct s3 *s, const char *key, const char *upload_id, char (*etags)[S3_ETAG_MAX],
                               unsigned max, int64_t *latest, char *err, size_t errlen) {
  char eid[800], q[1000];
  unsigned marker = 0;
  if (latest) *latest = 0;
  if (escape_id(upload_id, eid, sizeof eid) != 0) return S3_BAD;
  for (unsigned i = 0; i < max; i++) etags[i][0] = 0;
  for (;;) {
    if (marker)
      snprintf(q, sizeof q, "part-number-marker=%u&uploadId=%s", marker, eid);
    else
      snprintf(q, sizeof q, "uploadId=%s", eid);
    struct resp r = {0};
    long st;
    enum s3_fail rc = s3_req(s, "GET", key, q, NULL, 0, NULL, &r, &st, err, errlen);
    if (rc != S3_OK || !r.xml) {
      resp_free(&r);
      return rc == S3_OK ? S3_BAD : rc;
    }
    const char *at = r.xml;
    char num[32], tag[S3_ETAG_MAX + 16], trunc[16] = "", next[32] = "";
    for (;;) {
      const char *part = strstr(at, "<Part>");
      if (!part) break;
      at = part;
      const char *lm = part, *pend = strstr(part, "</Part>");
      char when[64];
      if (latest && pend && xml_tag(r.xml, "LastModified", &lm, when, sizeof when) == 0 && lm <= pend) {
        int64_t t = s3_parse_time(when);
        if (t > *latest) *latest = t;
      }
      if (xml_tag(r.xml, "PartNumber", &at, num, sizeof num) != 0 ||
          xml_tag(r.xml, "ETag", &at, tag, sizeof tag) != 0)
        break;
      unsigned long pn = strtoul(num, NULL, 10);
      size_t tl = strlen(tag);
      if (pn >= 1 && pn <= max && tl < S3_ETAG_MAX) memcpy(etags[pn - 1], tag, tl + 1);
    }
    xml_tag(r.xml, "IsTruncated", NULL, trunc, sizeof trunc);
    xml_tag(r.xml, "NextPartNumberMarker", NULL, next, sizeof next);
    resp_free(&r);
    unsigned nm = (unsigned)strtoul(next, NULL, 10);
    if (strcmp(trunc, "true") != 0 || nm <= marker) break;
    marker = nm;
  }
  return S3_OK;
}

enum s3_fail s3_mpu_list(struct s3 *s, const char *key_prefix,
                         int (*fn)(void *ctx, const char *key, const char *upload_id, int64_t initiated), void *ctx,
                         char *err, size_t errlen) {
  char ep[2400], q[6000], kmark[1200] = "", umark[S3_UPLOAD_ID_MAX] = "", ek[2400], eu[800], pg[32] = "";
  if (url_escape(key_prefix, ep, sizeof ep, 0) == (size_t)-1) return S3_BAD;
  if (s->page) snprintf(pg, sizeof pg, "max-uploads=%u&", s->page);
  for (;;) {
    if (*kmark) {
      if (url_escape(kmark, ek, sizeof ek, 0) == (size_t)-1 || escape_id(umark, eu, sizeof eu) != 0) return S3_BAD;
      snprintf(q, sizeof q, "key-marker=%s&%sprefix=%s&upload-id-marker=%s&uploads=", ek, pg, ep, eu);
    } else {
      snprintf(q, sizeof q, "%sprefix=%s&uploads=", pg, ep);
    }
    struct resp r = {0};
    long st;
    enum s3_fail rc = s3_req(s, "GET", NULL, q, NULL, 0, NULL, &r, &st, err, errlen);
    if (rc != S3_OK || !r.xml) {
      resp_free(&r);
      return rc == S3_OK ? S3_BAD : rc;
    }
    const char *at = r.xml;
    char key[1200], id[S3_UPLOAD_ID_MAX], when[64], trunc[16] = "";
    int stop = 0;
    for (;;) {
      const char *u = strstr(at, "<Upload>");
      if (!u) break;
      const char *end = strstr(u, "</Upload>");
      if (!end) break;
      /* each field looked for inside this <Upload> only */
      const char *k = u, *i = u, *t = u;
      if (xml_tag(r.xml, "Key", &k, key, sizeof key) != 0 || k > end ||
          xml_tag(r.xml, "UploadId", &i, id, sizeof id) != 0 || i > end)
        break;
      int64_t initiated = xml_tag(r.xml, "Initiated", &t, when, sizeof when) == 0 && t <= end ? s3_parse_time(when) : 0;
      at = end;
      if (fn(ctx, key, id, initiated) != 0) {
        stop = 1;
        break;
      }
    }
    xml_tag(r.xml, "IsTruncated", NULL, trunc, sizeof trunc);
    char nk[1200] = "", nu[S3_UPLOAD_ID_MAX] = "";
    xml_tag(r.xml, "NextKeyMarker", NULL, nk, sizeof nk);
    xml_tag(r.xml, "NextUploadIdMarker", NULL, nu, sizeof nu);
    resp_free(&r);
    if (stop || strcmp(trunc, "true") != 0 || !*nk || (strcmp(nk, kmark) == 0 && strcmp(nu, umark) == 0)) break;
    memcpy(kmark, nk, sizeof kmark);
    memcpy(umark, nu, sizeof umark);
  }
  return S3_OK;
}

enum s3_fail s3_list(struct s3 *s, const char *key_prefix,
                     int (*fn)(void *ctx, const char *key, uint64_t size, int64_t modified), void *ctx, char *err,
                     size_t errlen) {
  char ep[2400], q[5000], token[1200] = "", etok[2400], pg[32] = "";
  if (url_escape(key_prefix, ep, sizeof ep, 0) == (size_t)-1) return S3_BAD;
  if (s->page) snprintf(pg, sizeof pg, "max-keys=%u&", s->page);
  for (;;) {
    if (*token) {
      if (url_escape(token, etok, sizeof etok, 0) == (size_t)-1) return S3_BAD;
      snprintf(q, sizeof q, "continuation-token=%s&list-type=2&%sprefix=%s", etok, pg, ep);
    } else {
      snprintf(q, sizeof q, "list-type=2&%sprefix=%s", pg, ep);
    }
    struct resp r = {0};
    long st;
    enum s3_fail rc = s3_req(s, "GET", NULL, q, NULL, 0, NULL, &r, &st, err, errlen);
    if (rc != S3_OK || !r.xml) {
      resp_free(&r);
      return rc == S3_OK ? S3_BAD : rc;
    }
    const char *at = r.xml;
    char key[1200], size[32], when[64], trunc[16] = "";
    int stop = 0;
    for (;;) {
      const char *c = strstr(at, "<Contents>");
      if (!c) break;
      at = c;
      if (xml_tag(r.xml, "Key", &at, key, sizeof key) != 0) break;
      const char *at2 = c;
      if (xml_tag(r.xml, "Size", &at2, size, sizeof size) != 0) break;
      if (at2 > at) at = at2;
      const char *end = strstr(c, "</Contents>"), *at3 = c;
      int64_t modified = xml_tag(r.xml, "LastModified", &at3, when, sizeof when) == 0 && end && at3 <= end
                             ? s3_parse_time(when)
                             : 0;
      if (fn(ctx, key, strtoull(size, NULL, 10), modified) != 0) {
        stop = 1;
        break;
      }
    }
    xml_tag(r.xml, "IsTruncated", NULL, trunc, sizeof trunc);
    token[0] = 0;
    xml_tag(r.xml, "NextContinuationToken", NULL, token, sizeof token);
    resp_free(&r);
    if (stop || strcmp(trunc, "true") != 0 || !*token) break;
  }
  return S3_OK;
}

enum s3_fail s3_copy(struct s3 *s, const char *from_key, const char *to_key, char *err, size_t errlen) {
  char esrc[2400], hdr[2600];
  if (url_escape(from_key, esrc, sizeof esrc, 1) == (size_t)-1) {
    set_err(err, errlen, "object key too long");
    return S3_BAD;
  }
  int n = snprintf(hdr, sizeof hdr, "x-amz-copy-source: /%s/%s", s->bucket, esrc);
  if (n < 0 || (size_t)n >= sizeof hdr) {
    set_err(err, errlen, "object key too long");
    return S3_BAD;
  }
  struct resp r = {0};
  long st;
  enum s3_fail rc = s3_req_x(s, "PUT", to_key, NULL, "", 0, NULL, hdr, &r, &st, err, errlen);
  if (rc == S3_OK && (!r.xml || !strstr(r.xml, "<CopyObjectResult"))) {
    char scode[64] = "";
    if (r.xml) xml_tag(r.xml, "Code", NULL, scode, sizeof scode);
    set_err(err, errlen, "object store did not copy the object (HTTP %ld %s)", st, scode);
    rc = S3_BAD;
  }
  resp_free(&r);
  return rc;
}

int64_t s3_parse_time(const char *iso) {
  struct tm tm = {0};
  int y, mo, d, h, mi, sec;
  if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return 0;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  return t == (time_t)-1 ? 0 : (int64_t)t;
}

void s3_set_page_size(struct s3 *s, unsigned n) { s->page = n; }
