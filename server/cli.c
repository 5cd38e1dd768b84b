/* Shared command-line plumbing: options, the data directory lock and the
 * database (embedded or configured, migrated). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/blobstore.h"
#include "store/db.h"
#include "store/migrate.h"
#include "store/pgembed.h"
#include "util/keydir.h"

const char cli_options_text[] =
    "Options (each also read from the environment variable in brackets; flags win):\n"
    "  --listen ADDR:PORT     address to serve on [SECONDOP_LISTEN] (default 127.0.0.1:8080; port 0 picks a free one)\n"
    "  --data-dir DIR         data directory: embedded database, keys, files [SECONDOP_DATA_DIR] (default ./var)\n"
    "  --database-url URL     use this PostgreSQL instead of the embedded one [SECONDOP_DATABASE_URL]\n"
    "  --migrate-database-url URL  connect as the schema's owner role to apply migrations (the portal itself\n"
    "                         connects with --database-url as a role that owns nothing) [SECONDOP_MIGRATE_DATABASE_URL]\n"
    "  --base-url URL         public address used in e-mailed links [SECONDOP_BASE_URL]\n"
    "  --threads N            worker threads, 1-256 [SECONDOP_THREADS] (default 4)\n"
    "  --tls-cert FILE        PEM certificate; with --tls-key serves HTTPS [SECONDOP_TLS_CERT]\n"
    "  --tls-key FILE         PEM private key [SECONDOP_TLS_KEY]\n"
    "  --smtp-url URL         deliver e-mail through this server: smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT\n"
    "                         (TLS) [SECONDOP_SMTP_URL]; login from SECONDOP_SMTP_USER and SECONDOP_SMTP_PASSWORD or\n"
    "                         SECONDOP_SMTP_PASSWORD_FILE; SECONDOP_SMTP_TLS=none allows a plain relay\n"
    "  --mail-from ADDR       sender address of notifications [SECONDOP_MAIL_FROM]\n"
    "  --metrics-token-file FILE  bearer token (first line, 32+ characters) that GET /metrics accepts besides an\n"
    "                         admin session [SECONDOP_METRICS_TOKEN_FILE]; without it only admins see /metrics\n"
    "  --audit-checkpoint-minutes N  sign the audit chain's head into DATA-DIR/audit-checkpoints.log every N\n"
    "                         minutes and at shutdown [SECONDOP_AUDIT_CHECKPOINT_MINUTES] (default 5)\n"
    "  --clamd-socket PATH    scan every finished upload with ClamAV's clamd on this unix socket before it is\n"
    "                         taken in; flagged files are quarantined [SECONDOP_CLAMD_SOCKET]\n"
"  --workers N            background workers that check uploaded files, 1-64 [SECONDOP_WORKERS] (default 2)\n"
    "  --max-file-size SIZE   largest file one upload may hold, e.g. 8G [SECONDOP_MAX_FILE_SIZE] (default 8G)\n"
    "  --max-request-size SIZE  all files of one request together [SECONDOP_MAX_REQUEST_SIZE] (default 32G)\n"
    "  --quota-uploads N      unfinished uploads one patient may have at once [SECONDOP_QUOTA_UPLOADS] (default 20)\n"
    "  --quota-daily-bytes SIZE  bytes one patient may start uploading in 24 hours [SECONDOP_QUOTA_DAILY_BYTES]\n"
    "                         (default 64G)\n"
    "  --quota-archives N     ZIP/ISO archives of one patient being checked at once [SECONDOP_QUOTA_ARCHIVES]\n"
    "                         (default 2)\n"
    "  --blob-store s3://BUCKET/PREFIX  keep the encrypted files in an S3-compatible object store instead of\n"
    "                         DATA-DIR/files [SECONDOP_BLOB_STORE]; needs --s3-endpoint and credentials\n"
    "  --s3-endpoint URL      the object store, http(s)://HOST:PORT [SECONDOP_S3_ENDPOINT]\n"
    "  --s3-region NAME       its region [SECONDOP_S3_REGION] (default us-east-1)\n"
    "  --s3-access-key KEY, --s3-secret-key SECRET  credentials [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY]\n"
    "  --s3-credentials-file FILE  or from a file of access_key_id=KEY and secret_access_key=SECRET lines, mode\n"
    "                         0600 or 0400 [SECONDOP_S3_CREDENTIALS_FILE]\n"
    "  --key-file DIR         the key material (key ring, app key, audit signing key) instead of\n"
    "                         DATA-DIR/keys [SECONDOP_KEY_FILE]; give every instance the same one: checked at\n"
    "                         start against the key id recorded in the database\n"
    "  --share-dir DIR        folder holding templates/, static/, migrations/, data/ [SECONDOP_SHARE_DIR]\n"
    "  --demo                 (serve) load demo accounts and data, and print their passwords\n"
    "  --verbose              log debug messages\n"
    "  --help                 show this help\n";

int cli_parse_options(int argc, char **argv, struct config *c, const char *cmd) {
  static const struct option longopts[] = {
      {"listen", required_argument, 0, 0},   {"data-dir", required_argument, 0, 0},
      {"database-url", required_argument, 0, 0}, {"base-url", required_argument, 0, 0},
      {"migrate-database-url", required_argument, 0, 0}, {"audit-checkpoint-minutes", required_argument, 0, 0},
      {"clamd-socket", required_argument, 0, 0}, {"key-file", required_argument, 0, 0},
      {"blob-store", required_argument, 0, 0}, {"s3-endpoint", required_argument, 0, 0},
      {"s3-region", required_argument, 0, 0}, {"s3-access-key", required_argument, 0, 0},
      {"s3-secret-key", required_argument, 0, 0}, {"s3-credentials-file", required_argument, 0, 0},
      {"threads", required_argument, 0, 0},  {"tls-cert", required_argument, 0, 0},
      {"tls-key", required_argument, 0, 0},  {"share-dir", required_argument, 0, 0},
      {"smtp-url", required_argument, 0, 0}, {"mail-from", required_argument, 0, 0},
      {"metrics-token-file", required_argument, 0, 0},
      {"workers", required_argument, 0, 0},  {"max-file-size", required_argument, 0, 0},
      {"max-request-size", required_argument, 0, 0}, {"quota-uploads", required_argument, 0, 0},
      {"quota-daily-bytes", required_argument, 0, 0}, {"quota-archives", required_argument, 0, 0},
      {"demo", no_argument, 0, 'D'},         {"verbose", no_argument, 0, 'v'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
  };
  int rc = config_from_env(c);
  if (rc) return rc;
  optind = 1;
  opterr = 0;
  int idx;
  for (;;) {
    idx = -1;
    int ch = getopt_long(argc, argv, "+h", longopts, &idx);
    if (ch == -1) break;
    if (ch == 'h') {
      printf("Usage: secondop %s [OPTIONS]\n\n%s", cmd, cli_options_text);
      exit(0);
    }
    if (ch == 'D') {
      c->demo = true;
      continue;
    }
    if (ch == 'v') {
      c->verbose = true;
      continue;
    }
    if (ch == '?' || ch == ':') {
      if (optopt)
        fprintf(stderr, "secondop: option -%c is not known or needs a value\n", optopt);
      else
        fprintf(stderr, "secondop: option %s is not known or needs a value\n", argv[optind - 1]);
      return 2;
    }
    rc = config_set(c, longopts[idx].name, optarg);
    if (rc) return rc;
  }
  if (optind < argc) {
    fprintf(stderr, "secondop: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  rc = config_validate(c);
  if (rc) return rc;
  keydir_set(c->key_file);
  return cli_configure_blob_store(c);
}

/* Reads access_key_id= and secret_access_key= lines (0600/0400 file). 0 or -1
 * (a line on stderr). The buffers are wiped by the caller. */
static int read_s3_credentials(const char *path, char *key, size_t kcap, char *secret, size_t scap) {
  struct stat st;
  FILE *f = fopen(path, "re");
  if (!f) {
    fprintf(stderr, "secondop: cannot read --s3-credentials-file %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
    fprintf(stderr, "secondop: --s3-credentials-file %s must be a regular file readable by its owner only (0600)\n",
            path);
    fclose(f);
    return -1;
  }
  char line[1024];
  key[0] = secret[0] = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    char *v = strchr(line, '=');
    if (!v) continue;
    *v++ = 0;
    char *k = line;
    while (*k == ' ') k++;
    size_t kl = strlen(k);
    while (kl && k[kl - 1] == ' ') k[--kl] = 0;
    while (*v == ' ') v++;
    if (strcmp(k, "access_key_id") == 0 || strcmp(k, "aws_access_key_id") == 0)
      snprintf(key, kcap, "%s", v);
    else if (strcmp(k, "secret_access_key") == 0 || strcmp(k, "aws_secret_access_key") == 0)
      snprintf(secret, scap, "%s", v);
  }
  sodium_memzero(line, sizeof line);
  fclose(f);
  if (!key[0] || !secret[0]) {
    fprintf(stderr, "secondop: --s3-credentials-file %s needs access_key_id= and secret_access_key= lines\n", path);
    return -1;
  }
  return 0;
}

int cli_configure_blob_store(const struct config *c) {
  if (!c->blob_store) {
    if (c->s3_endpoint) {
      fprintf(stderr, "secondop: --s3-endpoint is given but --blob-store is not an s3:// store\n");
      return 2;
    }
    return 0;
  }
  char key[256], secret[512], err[400];
  int rc = 2;
  key[0] = secret[0] = 0;
  if (c->s3_credentials_file) {
    if (read_s3_credentials(c->s3_credentials_file, key, sizeof key, secret, sizeof secret) != 0) goto done;
  } else {
    snprintf(key, sizeof key, "%s", c->s3_access_key ? c->s3_access_key : "");
    snprintf(secret, sizeof secret, "%s", c->s3_secret_key ? c->s3_secret_key : "");
  }
  struct blobstore_s3_settings st = {c->blob_store, c->s3_endpoint, c->s3_region, key, secret};
  if (blobstore_use_s3(&st, err, sizeof err) != 0) {
    fprintf(stderr, "secondop: %s\n", err);
    goto done;
  }
  rc = 0;
done:
  sodium_memzero(key, sizeof key);
  sodium_memzero(secret, sizeof secret);
  return rc;
}

static int lock_fd = -1;

/* Creates the data directory and takes its lock; a second serve on the same
 * directory is told which process holds it. */
int cli_open_data_dir(const struct config *c) {
  if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "secondop: cannot create data directory %s: %s\n", c->data_dir, strerror(errno));
    return -1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/secondop.lock", c->data_dir);
  lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    fprintf(stderr, "secondop: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = "";
    ssize_t n = pread(lock_fd, pid, sizeof pid - 1, 0);
    if (n > 0) pid[n] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    fprintf(stderr, "secondop: another secondop is already running on data directory %s (pid %s); stop it first\n",
            c->data_dir, pid[0] ? pid : "unknown");
    close(lock_fd);
    lock_fd = -1;
    return -1;
  }
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(lock_fd, 0) != 0 || pwrite(lock_fd, pid, (size_t)n, 0) != n) return -1;
  return 0;
}

void cli_close_data_dir(void) {
  if (lock_fd >= 0) {
    if (ftruncate(lock_fd, 0) != 0) { /* nothing more to do */
    }
    close(lock_fd);
    lock_fd = -1;
  }
}

char *cli_read_small_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = calloc(1, 256 * 1024);
  if (buf) {
    size_t n = fread(buf, 1, 256 * 1024 - 1, f);
    buf[n] = '\0';
  }
  fclose(f);
  return buf;
}

/* Connects to the configured or embedded database and migrates it: as the
 * owner role (the embedded secondop_owner, or --migrate-database-url), while
 * the portal's own connections use the application role. */
int cli_open_database(const struct config *c, char *conninfo, size_t cap, bool *embedded) {
  *embedded = false;
  char owner[1024];
  if (c->database_url) {
    snprintf(conninfo, cap, "%s", c->database_url);
    snprintf(owner, sizeof owner, "%s", c->migrate_database_url ? c->migrate_database_url : c->database_url);
  } else {
    if (pgembed_start(c->data_dir, owner, conninfo, cap < sizeof owner ? cap : sizeof owner) != 0) return -1;
    *embedded = true;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/migrations", c->share_dir);
  int rc = migrate_run(owner, dir);
  sodium_memzero(owner, sizeof owner);
  if (rc < 0) {
    if (*embedded) pgembed_stop();
    return -1;
  }
  db_set_conninfo(conninfo);
  return 0;
}
