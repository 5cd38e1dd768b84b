/* secondop: command line. serve | migrate | version (more subcommands are
 * added by the features that need them). */
#include <ClearSilver.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "core/outbox.h"
#include "core/render.h"
#include "core/unpacker.h"
#include "http/reply.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "routes/routes.h"
#include "store/db.h"
#include "store/migrate.h"
#include "store/pgembed.h"
#include "util/log.h"

#ifndef SECONDOP_VERSION
#define SECONDOP_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "Usage: secondop COMMAND [OPTIONS]\n"
    "\n"
    "A portal through which patients ask a breast center for a second opinion.\n"
    "\n"
    "Commands:\n"
    "  serve         run the web portal (starts an embedded PostgreSQL unless a database URL is given)\n"
    "  migrate       apply pending database migrations and exit\n"
    "  version       print the version\n"
    "%s"
    "\n"
    "Run 'secondop COMMAND --help' for the options of a command.\n";

static int cmd_serve(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "serve");
  if (rc) return rc;
  if (c.verbose) log_set_level(LOG_DEBUG);
  char conninfo[1024], path[4096];
  bool embedded = false;
  char *cert = NULL, *key = NULL;
  int status = 1;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit: only sigwait below sees them */
  signal(SIGPIPE, SIG_IGN);

  /* a wrong option is said before anything is opened or started */
  if (c.metrics_token_file) {
    char *tok = cli_read_small_file(c.metrics_token_file);
    size_t tl = tok ? strcspn(tok, "\r\n") : 0;
    int bad = !tok || metrics_set_token(tok, tl) != 0;
    if (tok) sodium_memzero(tok, strlen(tok));
    free(tok);
    if (bad) {
      fprintf(stderr, "secondop: the metrics token file must hold a token of at least 32 characters on its first line\n");
      return 2;
    }
  }
  if (cli_open_data_dir(&c) != 0) return 1;
  if (cli_open_database(&c, conninfo, sizeof conninfo, &embedded) != 0) goto done;
  /* the embedded cluster is restarted when it ends unexpectedly (store/pgembed.c) */
  if (embedded && pgembed_supervise_start() != 0) goto done;
  if (embedded) db_set_epoch_source(pgembed_restarts);
  snprintf(path, sizeof path, "%s/templates", c.share_dir);
  if (templates_load(path) < 0) goto done;
  snprintf(path, sizeof path, "%s/static", c.share_dir);
  if (static_load(path) < 0) goto done;
  if (app_init(&c) != 0) goto done;
  if (c.demo && app_seed_demo(&c) != 0) goto done;
  if (c.tls_cert) {
    cert = cli_read_small_file(c.tls_cert);
    key = cli_read_small_file(c.tls_key);
    if (!cert || !key) {
      fprintf(stderr, "secondop: cannot read the TLS certificate or key\n");
      goto done;
    }
  }
  router_init(all_route_tables, all_route_tables_count);
  struct http_config hc = {
      .host = c.listen_host, .port = c.port, .threads = c.threads, .tls_cert_pem = cert, .tls_key_pem = key,
      .max_connections = 512, .per_ip_connections = 128, .timeout_seconds = 30,
  };
  uint16_t port = 0;
  if (http_start(&hc, &port) != 0) {
    fprintf(stderr, "secondop: cannot listen on %s:%u (in use, or not an address of this machine)\n", c.listen_host,
            c.port);
    goto done;
  }
  const char *scheme = cert ? "https" : "http";
  /* e-mailed links go where the server really is, unless --base-url says otherwise */
  outbox_set_listen_address(cert != NULL, c.listen_host, port);
  if (!c.base_url)
    fprintf(stderr, "secondop: e-mailed links use this address; behind a proxy set --base-url to the public one\n");
  if (strchr(c.listen_host, ':'))
    fprintf(stderr, "secondop: serving on %s://[%s]:%u/ (Ctrl-C stops)\n", scheme, c.listen_host, port);
  else
    fprintf(stderr, "secondop: serving on %s://%s:%u/ (Ctrl-C stops)\n", scheme, c.listen_host, port);
  fflush(stderr);
  app_started(&c);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "secondop: stopping (signal %d); finishing requests in flight\n", sig);
  pgembed_supervise_stop(); /* from now on a PostgreSQL that ends stays ended */
  app_stopping();
  http_stop(10000);
  status = 0;
done:
  app_shutdown();
  db_close();
  if (embedded) pgembed_stop();
  templates_free();
  static_free();
  cli_close_data_dir();
  if (cert) sodium_memzero(cert, strlen(cert));
  if (key) sodium_memzero(key, strlen(key));
  free(cert);
  free(key);
  if (status == 0) fprintf(stderr, "secondop: stopped\n");
  return status;
}

static int cmd_migrate(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "migrate");
  if (rc) return rc;
  char conninfo[1024];
  bool embedded = false;
  if (!c.database_url && cli_open_data_dir(&c) != 0) return 1;
  int status = cli_open_database(&c, conninfo, sizeof conninfo, &embedded) == 0 ? 0 : 1;
  if (status == 0) fprintf(stderr, "secondop: the schema is up to date\n");
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
  return status;
}

static const struct command {
  const char *name;
  int (*fn)(int, char **);
} builtin[] = {
    {"serve", cmd_serve},
    {"migrate", cmd_migrate},
};

int main(int argc, char **argv) {
  /* Blocks of 256 KiB and more (upload pipe slots, object store parts, read
   * windows) come from mmap and go back to the system when freed. Left to
   * itself glibc raises this threshold to the size of the first such block
   * freed, after which 5 MiB parts come from per-thread arenas that keep
   * their pages: the memory of every thread that ever held a part. */
  (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  /* the child intake starts to read an uploaded archive (core/unpacker.h); not for people */
  if (argc == 2 && strcmp(argv[1], "unpack-worker") == 0) return unpack_worker_main();
  /* the child the render job starts to decode an image's pixel data (core/render.h); not for people */
  if (argc == 2 && strcmp(argv[1], "render-worker") == 0) return render_worker_main();
  if (sodium_init() < 0) {
    fprintf(stderr, "secondop: libsodium failed to initialise\n");
    return 1;
  }
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  json_object_seed(0);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    printf(usage_text, app_commands_help());
    printf("\n%s", cli_options_text);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    printf("secondop %s\n", SECONDOP_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
    if (strcmp(argv[1], builtin[i].name) == 0) return builtin[i].fn(argc - 1, argv + 1);
  int rc = app_command(argv[1], argc - 1, argv + 1);
  if (rc != -1) return rc;
  fprintf(stderr, "secondop: unknown command '%s'; see 'secondop --help'\n", argv[1]);
  return 2;
}
