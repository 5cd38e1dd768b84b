/* Proves configuration parsing: defaults, environment, and one clear error for bad values. */
#include <stdlib.h>

#include "config.h"
#include "t.h"

static void defaults(void) {
  unsetenv("SECONDOP_LISTEN");
  struct config c;
  T_EQ_INT(config_from_env(&c), 0);
  T_EQ_STR(c.listen_host, "127.0.0.1");
  T_EQ_INT(c.port, 8080);
  T_EQ_STR(c.data_dir, "var");
  T_CHECK(c.database_url == NULL);
}

static void listen_values(void) {
  struct config c;
  config_from_env(&c);
  T_EQ_INT(config_set(&c, "listen", "0.0.0.0:9000"), 0);
  T_EQ_STR(c.listen_host, "0.0.0.0");
  T_EQ_INT(c.port, 9000);
  T_EQ_INT(config_set(&c, "listen", "[::1]:0"), 0);
  T_EQ_STR(c.listen_host, "::1");
  T_EQ_INT(config_set(&c, "listen", "localhost:80"), 2);
  T_EQ_INT(config_set(&c, "listen", "127.0.0.1:99999"), 2);
  T_EQ_INT(config_set(&c, "listen", "127.0.0.1"), 2);
  T_EQ_INT(config_set(&c, "listen", "127.0.0.1:8x"), 2);
}

static void other_values(void) {
  struct config c;
  config_from_env(&c);
  T_EQ_INT(config_set(&c, "threads", "0"), 2);
  T_EQ_INT(config_set(&c, "threads", "abc"), 2);
  T_EQ_INT(config_set(&c, "threads", "8"), 0);
  T_EQ_INT(c.threads, 8);
  T_EQ_INT(config_set(&c, "base-url", "ftp://x"), 2);
  T_EQ_INT(config_set(&c, "tls-cert", "/nonexistent/cert.pem"), 2);
  T_EQ_INT(config_set(&c, "bogus", "1"), 2);
  c.tls_cert = "/etc/hostname";
  T_EQ_INT(config_validate(&c), 2);
}

static void environment_is_read(void) {
  setenv("SECONDOP_LISTEN", "127.0.0.2:1234", 1);
  struct config c;
  T_EQ_INT(config_from_env(&c), 0);
  T_EQ_STR(c.listen_host, "127.0.0.2");
  T_EQ_INT(c.port, 1234);
  setenv("SECONDOP_THREADS", "-1", 1);
  T_EQ_INT(config_from_env(&c), 2);
  unsetenv("SECONDOP_THREADS");
  unsetenv("SECONDOP_LISTEN");
}

/* --metrics-token-file / SECONDOP_METRICS_TOKEN_FILE: a readable file, or an error line. */
static void metrics_token_file(void) {
  struct config c;
  unsetenv("SECONDOP_METRICS_TOKEN_FILE");
  T_EQ_INT(config_from_env(&c), 0);
  T_CHECK(c.metrics_token_file == NULL);
  T_EQ_INT(config_set(&c, "metrics-token-file", "/nonexistent/metrics.token"), 2);
  T_CHECK(c.metrics_token_file == NULL);
  T_EQ_INT(config_set(&c, "metrics-token-file", "/etc/hostname"), 0);
  T_EQ_STR(c.metrics_token_file, "/etc/hostname");
  setenv("SECONDOP_METRICS_TOKEN_FILE", "/nonexistent/metrics.token", 1);
  T_EQ_INT(config_from_env(&c), 2);
  setenv("SECONDOP_METRICS_TOKEN_FILE", "/etc/hostname", 1);
  T_EQ_INT(config_from_env(&c), 0);
  T_EQ_STR(c.metrics_token_file, "/etc/hostname");
  unsetenv("SECONDOP_METRICS_TOKEN_FILE");
}

/* Sizes and the background/upload limits (issues 10 and 11). */
static void sizes_and_limits(void) {
  uint64_t v;
  static const struct {
    const char *in;
    int rc;
    uint64_t want;
  } sz[] = {
      {"1024", 0, 1024},          {"8G", 0, (uint64_t)8 << 30}, {"8GiB", 0, (uint64_t)8 << 30},
      {"512M", 0, 512u << 20},    {"150K", 0, 150u << 10},      {"2T", 0, (uint64_t)2 << 40},
      {"100B", 0, 100},           {"0", -1, 0},                 {"", -1, 0},
      {"-1G", -1, 0},             {"8X", -1, 0},                {"8 G", -1, 0},
      {"G", -1, 0},               {"99999999999999999999", -1, 0}, {"20000000T", -1, 0},
  };
  for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
    v = 0;
    T_EQ_INT(config_parse_size(sz[i].in, &v), sz[i].rc);
    if (sz[i].rc == 0) T_EQ_INT(v, sz[i].want);
  }
  struct config c;
  config_from_env(&c);
  T_EQ_INT(c.workers, 2);
  T_EQ_INT(c.max_file_size, (uint64_t)8 << 30);
  T_EQ_INT(c.max_request_size, (uint64_t)32 << 30);
  T_EQ_INT(c.quota_uploads, 20);
  T_EQ_INT(c.quota_archives, 2);
  T_EQ_INT(c.quota_daily_bytes, (uint64_t)64 << 30);
  T_EQ_INT(config_set(&c, "workers", "0"), 2);
  T_EQ_INT(config_set(&c, "workers", "65"), 2);
  T_EQ_INT(config_set(&c, "workers", "3"), 0);
  T_EQ_INT(c.workers, 3);
  T_EQ_INT(config_set(&c, "max-file-size", "6G"), 0);
  T_EQ_INT(c.max_file_size, (uint64_t)6 << 30);
  T_EQ_INT(config_set(&c, "max-request-size", "lots"), 2);
  T_EQ_INT(config_set(&c, "max-request-size", "4G"), 0);
  T_EQ_INT(config_validate(&c), 2); /* a request must hold at least one file */
  T_EQ_INT(config_set(&c, "max-request-size", "12G"), 0);
  T_EQ_INT(config_validate(&c), 0);
  T_EQ_INT(config_set(&c, "quota-uploads", "0"), 2);
  T_EQ_INT(config_set(&c, "quota-archives", "5"), 0);
  T_EQ_INT(c.quota_archives, 5);
  T_EQ_INT(config_set(&c, "quota-daily-bytes", "1T"), 0);
  T_EQ_INT(c.quota_daily_bytes, (uint64_t)1 << 40);
  setenv("SECONDOP_MAX_FILE_SIZE", "3G", 1);
  setenv("SECONDOP_WORKERS", "4", 1);
  T_EQ_INT(config_from_env(&c), 0);
  T_EQ_INT(c.max_file_size, (uint64_t)3 << 30);
  T_EQ_INT(c.workers, 4);
  setenv("SECONDOP_MAX_FILE_SIZE", "3Q", 1);
  T_EQ_INT(config_from_env(&c), 2);
  unsetenv("SECONDOP_MAX_FILE_SIZE");
  unsetenv("SECONDOP_WORKERS");
}

int main(void) {
  T_RUN(defaults);
  T_RUN(metrics_token_file);
  T_RUN(sizes_and_limits);
  T_RUN(listen_values);
  T_RUN(other_values);
  T_RUN(environment_is_read);
  return t_done();
}
