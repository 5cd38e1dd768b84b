/* Configuration from flags and SECONDOP_* environment variables (flags win). */
#ifndef SECONDOP_CONFIG_H
#define SECONDOP_CONFIG_H
#include <stdbool.h>
#include <stdint.h>

struct config {
  char listen_host[64];
  uint16_t port;
  const char *data_dir;
  const char *database_url;  /* NULL: embedded PostgreSQL */
  const char *migrate_database_url; /* owner role for migrations; NULL: database_url */
  const char *base_url;      /* public URL for links in e-mails */
  unsigned threads;
  const char *tls_cert, *tls_key;
  const char *share_dir;     /* templates/, static/, migrations/, data/ */
  bool demo;                 /* load demo data at start */
  bool verbose;
  const char *smtp_url;       /* smtp://host:port or smtps://host:port; NULL: no delivery */
  const char *mail_from;      /* From: address of notifications */
  const char *metrics_token_file; /* bearer token for GET /metrics; NULL: admins only */
  unsigned audit_checkpoint_minutes; /* signed audit checkpoint interval (default 5) */
  const char *clamd_socket;   /* ClamAV clamd unix socket: scan every finished upload; NULL: no scanning */
  unsigned workers;           /* background job workers (intake), default 2 */
  uint64_t max_file_size;     /* largest upload, bytes (default 8 GiB) */
  uint64_t max_request_size;  /* all uploads of one request together, bytes (default 32 GiB) */
  unsigned quota_uploads;     /* unfinished uploads a patient may have at once (default 20) */
  uint64_t quota_daily_bytes; /* bytes a patient may start uploading per 24 hours (default 64 GiB) */
  unsigned quota_archives;    /* archives of one patient being checked at once (default 2) */
  /* blob store: NULL = the directory under data_dir; else s3://bucket/prefix */
  const char *blob_store;
  const char *s3_endpoint, *s3_region;    /* http(s)://host:port; region (default us-east-1) */
  const char *s3_access_key, *s3_secret_key; /* flags or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY */
  const char *s3_credentials_file;        /* access_key_id=… / secret_access_key=… lines */
  const char *key_file; /* the key directory every instance is given (NULL: data_dir/keys); util/keydir.h */
};
/* "8G", "512M", "1024" (bytes; K/M/G/T are powers of 1024, an optional
 * trailing "iB" or "B" is allowed). 0, or -1 when malformed or zero. */
int config_parse_size(const char *v, uint64_t *out);

/* Fills defaults, then the environment. Returns 0, or 2 after printing one error line. */
int config_from_env(struct config *c);
/* Applies one option (name without dashes) with its value. 0, or 2 after printing an error. */
int config_set(struct config *c, const char *name, const char *value);
/* Seconds between audit checkpoints (test builds: SECONDOP_TEST_AUDIT_CHECKPOINT_SECONDS overrides). */
unsigned config_audit_checkpoint_seconds(const struct config *c);
/* Checks cross-field rules (both TLS files or none, …). 0 or 2. */
int config_validate(const struct config *c);
#endif
