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

int main(void) {
  T_RUN(defaults);
  T_RUN(metrics_token_file);
  T_RUN(listen_values);
  T_RUN(other_values);
  T_RUN(environment_is_read);
  return t_done();
}
