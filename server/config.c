#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SECONDOP_SHARE_DIR
#define SECONDOP_SHARE_DIR "."
#endif

static int bad(const char *name, const char *value, const char *why) {
  fprintf(stderr, "secondop: invalid --%s '%s': %s\n", name, value, why);
  return 2;
}

static int parse_listen(struct config *c, const char *v) {
  const char *colon = strrchr(v, ':');
  if (!colon || colon == v) return bad("listen", v, "expected ADDRESS:PORT, e.g. 127.0.0.1:8080");
  size_t hl = (size_t)(colon - v);
  const char *h = v;
  if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
    h++;
    hl -= 2;
  }
  if (hl >= sizeof c->listen_host) return bad("listen", v, "address too long");
  char host[64];
  memcpy(host, h, hl);
  host[hl] = '\0';
  unsigned char buf[16];
  if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
    return bad("listen", v, "the address must be a numeric IPv4 or IPv6 address");
  char *end;
  errno = 0;
  long port = strtol(colon + 1, &end, 10);
  if (errno || *end || colon[1] == '\0' || port < 0 || port > 65535) return bad("listen", v, "port must be 0-65535");
  memcpy(c->listen_host, host, hl + 1);
  c->port = (uint16_t)port;
  return 0;
}

int config_parse_size(const char *v, uint64_t *out) {
  char *end;
  if (!v || *v < '0' || *v > '9') return -1;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || n == 0) return -1;
  unsigned shift = 0;
  switch (*end) {
  case 'K': case 'k': shift = 10; end++; break;
  case 'M': case 'm': shift = 20; end++; break;
  case 'G': case 'g': shift = 30; end++; break;
  case 'T': case 't': shift = 40; end++; break;
  default: break;
  }
  if (shift && strcmp(end, "iB") == 0) end += 2;
  else if (*end == 'B') end++;
  if (*end) return -1;
  if (shift && n > (UINT64_MAX >> shift)) return -1;
  *out = (uint64_t)n << shift;
  return 0;
}

/* A whole number lo..hi. 0 or -1. */
static int parse_count(const char *v, long lo, long hi, unsigned *out) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || !*v || n < lo || n > hi) return -1;
  *out = (unsigned)n;
  return 0;
}

int config_set(struct config *c, const char *name, const char *v) {
  if (strcmp(name, "workers") == 0)
    return parse_count(v, 1, 64, &c->workers) ? bad(name, v, "must be a number from 1 to 64") : 0;
  if (strcmp(name, "quota-uploads") == 0)
    return parse_count(v, 1, 100000, &c->quota_uploads) ? bad(name, v, "must be a number from 1 to 100000") : 0;
  if (strcmp(name, "quota-archives") == 0)
    return parse_count(v, 1, 1000, &c->quota_archives) ? bad(name, v, "must be a number from 1 to 1000") : 0;
  if (strcmp(name, "max-file-size") == 0 || strcmp(name, "max-request-size") == 0 ||
      strcmp(name, "quota-daily-bytes") == 0) {
    uint64_t n;
    if (config_parse_size(v, &n) != 0 || n > ((uint64_t)1 << 50))
      return bad(name, v, "must be a size such as 8G, 512M or a number of bytes (at most 1024T)");
    if (name[0] == 'q')
      c->quota_daily_bytes = n;
    else if (name[4] == 'f')
      c->max_file_size = n;
    else
      c->max_request_size = n;
    return 0;
  }
  if (strcmp(name, "listen") == 0) return parse_listen(c, v);
  if (strcmp(name, "data-dir") == 0) {
    if (!*v) return bad(name, v, "must not be empty");
    c->data_dir = v;
    return 0;
  }
  if (strcmp(name, "database-url") == 0) {
    c->database_url = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "migrate-database-url") == 0) {
    c->migrate_database_url = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "key-file") == 0) {
    c->key_file = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "blob-store") == 0) {
    if (*v && strncmp(v, "s3://", 5) != 0) return bad(name, v, "must be s3://bucket/prefix (or empty: the data directory)");
    c->blob_store = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "s3-endpoint") == 0) {
    if (*v && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
      return bad(name, v, "must start with http:// or https://");
    c->s3_endpoint = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "s3-region") == 0) {
    c->s3_region = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "s3-access-key") == 0) {
    c->s3_access_key = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "s3-secret-key") == 0) {
    /* never echoed back, not even in an error */
    c->s3_secret_key = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "s3-credentials-file") == 0) {
    c->s3_credentials_file = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "clamd-socket") == 0) {
    if (*v && *v != '/') return bad(name, v, "must be an absolute path to clamd's unix socket");
    if (strlen(v) >= 108) return bad(name, v, "too long for a unix socket path");
    c->clamd_socket = *v ? v : NULL;
    return 0;
  }
  if (strcmp(name, "audit-checkpoint-minutes") == 0) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || !*v || n < 1 || n > 1440) return bad(name, v, "must be a number of minutes from 1 to 1440");
    c->audit_checkpoint_minutes = (unsigned)n;
    return 0;
  }
  if (strcmp(name, "base-url") == 0) {
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
      return bad(name, v, "must start with http:// or https://");
    c->base_url = v;
    return 0;
  }
  if (strcmp(name, "threads") == 0) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || !*v || n < 1 || n > 256) return bad(name, v, "must be a number from 1 to 256");
    c->threads = (unsigned)n;
    return 0;
  }
  if (strcmp(name, "tls-cert") == 0 || strcmp(name, "tls-key") == 0) {
    if (access(v, R_OK) != 0) return bad(name, v, strerror(errno));
    if (name[4] == 'c')
      c->tls_cert = v;
    else
      c->tls_key = v;
    return 0;
  }
  if (strcmp(name, "smtp-url") == 0) {
    if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
      return bad(name, "(hidden)", "must start with smtp:// or smtps://");
    c->smtp_url = v;
    return 0;
  }
  if (strcmp(name, "mail-from") == 0) {
    if (!strchr(v, '@') || strpbrk(v, "\r\n<>")) return bad(name, v, "must be a plain e-mail address");
    c->mail_from = v;
    return 0;
  }
  if (strcmp(name, "metrics-token-file") == 0) {
    if (access(v, R_OK) != 0) return bad(name, v, strerror(errno));
    c->metrics_token_file = v;
    return 0;
  }
  if (strcmp(name, "share-dir") == 0) {
    c->share_dir = v;
    return 0;
  }
  fprintf(stderr, "secondop: unknown option --%s\n", name);
  return 2;
}

int config_from_env(struct config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->listen_host, sizeof c->listen_host, "%s", "127.0.0.1");
  c->port = 8080;
  c->data_dir = "var";
  c->threads = 4;
  c->audit_checkpoint_minutes = 5;
  c->workers = 2;
  c->max_file_size = (uint64_t)8 << 30;
  c->max_request_size = (uint64_t)32 << 30;
  c->quota_uploads = 20;
  c->quota_daily_bytes = (uint64_t)64 << 30;
  c->quota_archives = 2;
  c->share_dir = SECONDOP_SHARE_DIR;
  static const struct {
    const char *env, *opt;
  } map[] = {
      {"SECONDOP_LISTEN", "listen"},     {"SECONDOP_DATA_DIR", "data-dir"}, {"SECONDOP_DATABASE_URL", "database-url"},
      {"SECONDOP_BASE_URL", "base-url"}, {"SECONDOP_THREADS", "threads"},   {"SECONDOP_TLS_CERT", "tls-cert"},
      {"SECONDOP_TLS_KEY", "tls-key"},   {"SECONDOP_SHARE_DIR", "share-dir"},
      {"SECONDOP_SMTP_URL", "smtp-url"}, {"SECONDOP_MAIL_FROM", "mail-from"},
      {"SECONDOP_METRICS_TOKEN_FILE", "metrics-token-file"},
      {"SECONDOP_MIGRATE_DATABASE_URL", "migrate-database-url"},
      {"SECONDOP_AUDIT_CHECKPOINT_MINUTES", "audit-checkpoint-minutes"},
      {"SECONDOP_CLAMD_SOCKET", "clamd-socket"},
      {"SECONDOP_BLOB_STORE", "blob-store"}, {"SECONDOP_S3_ENDPOINT", "s3-endpoint"},
      {"SECONDOP_KEY_FILE", "key-file"},
      {"SECONDOP_S3_REGION", "s3-region"},   {"SECONDOP_S3_CREDENTIALS_FILE", "s3-credentials-file"},
      {"AWS_ACCESS_KEY_ID", "s3-access-key"}, {"AWS_SECRET_ACCESS_KEY", "s3-secret-key"},
      {"SECONDOP_WORKERS", "workers"},   {"SECONDOP_MAX_FILE_SIZE", "max-file-size"},
      {"SECONDOP_MAX_REQUEST_SIZE", "max-request-size"}, {"SECONDOP_QUOTA_UPLOADS", "quota-uploads"},
      {"SECONDOP_QUOTA_DAILY_BYTES", "quota-daily-bytes"}, {"SECONDOP_QUOTA_ARCHIVES", "quota-archives"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    const char *v = getenv(map[i].env);
    if (v && *v) {
      int rc = config_set(c, map[i].opt, v);
      if (rc) {
        fprintf(stderr, "secondop: (from %s)\n", map[i].env);
        return rc;
      }
    }
  }
  return 0;
}

unsigned config_audit_checkpoint_seconds(const struct config *c) {
#ifdef SECONDOP_TEST_HOOKS
  const char *t = getenv("SECONDOP_TEST_AUDIT_CHECKPOINT_SECONDS");
  if (t && *t && strtol(t, NULL, 10) > 0) return (unsigned)strtol(t, NULL, 10);
#endif
  return c->audit_checkpoint_minutes * 60u;
}

int config_validate(const struct config *c) {
  if (c->max_request_size < c->max_file_size) {
    fprintf(stderr, "secondop: --max-request-size must be at least --max-file-size\n");
    return 2;
  }
  if ((c->tls_cert != NULL) != (c->tls_key != NULL)) {
    fprintf(stderr, "secondop: --tls-cert and --tls-key go together: give both or neither\n");
    return 2;
  }
  return 0;
}
