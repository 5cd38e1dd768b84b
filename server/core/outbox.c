/* The outbox: see outbox.h. */
#include "core/outbox.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/secrets.h"
#include "store/accounts.h"
#include "store/security.h"
#include "util/arena.h"

/* The base URL is published once more after the listening socket is bound
 * (outbox_set_listen_address), while request threads may already read it:
 * an atomic pointer, and the replaced string is kept until the next change
 * so no reader is left holding freed memory. */
static _Atomic(char *) base_url;
static char *retired;
static bool explicit_base;
static bool echo;

static void publish(char *u) {
  if (!u) return;
  size_t n = strlen(u);
  while (n && u[n - 1] == '/') u[--n] = '\0';
  free(retired);
  retired = atomic_exchange(&base_url, u);
}

void outbox_set_base_url(const char *u) {
  explicit_base = u && *u;
  publish(strdup(u && *u ? u : "http://127.0.0.1:8080"));
}

void outbox_set_listen_address(bool tls, const char *host, unsigned port) {
  if (explicit_base || !host) return;
  char name[256];
  const char *h = host;
  /* a wildcard address is no place to send anyone: the machine's name is */
  if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || !*host) {
    if (gethostname(name, sizeof name) == 0 && name[0]) {
      name[sizeof name - 1] = '\0';
      h = name;
    } else {
      h = "localhost";
    }
  }
  char buf[320];
  snprintf(buf, sizeof buf, strchr(h, ':') ? "%s://[%s]:%u" : "%s://%s:%u", tls ? "https" : "http", h, port);
  publish(strdup(buf));
}

void outbox_shutdown(void) {
  free(retired);
  retired = NULL;
  free(atomic_exchange(&base_url, NULL));
}

void outbox_set_echo(bool on) { echo = on; }

char *outbox_link(struct arena *a, const char *path) {
  const char *b = atomic_load(&base_url);
  return arena_printf(a, "%s%s", b ? b : "http://127.0.0.1:8080", path);
}

char *outbox_seal_body(struct arena *a, long long id, const char *body) {
  size_t n = strlen(body);
  char ad[40];
  int adl = snprintf(ad, sizeof ad, "outbox:%lld", id);
  unsigned char *sealed = arena_alloc(a, n + SECRETS_SEAL_OVERHEAD);
  char *hx = arena_alloc(a, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1);
  if (!sealed || !hx) return NULL;
  if (secrets_seal(SECRET_OUTBOX, (const unsigned char *)body, n, (const unsigned char *)ad, (size_t)adl, sealed) != 0)
    return NULL;
  sodium_bin2hex(hx, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1, sealed, n + SECRETS_SEAL_OVERHEAD);
  return hx;
}

char *outbox_open_body(struct arena *a, long long id, const char *plain, const char *sealed_hex) {
  if (!sealed_hex || !*sealed_hex) return plain ? arena_strdup(a, plain) : NULL;
  size_t hl = strlen(sealed_hex), bl = 0;
  if (hl % 2 || hl / 2 < SECRETS_SEAL_OVERHEAD) return NULL;
  unsigned char *sealed = arena_alloc(a, hl / 2);
  char *out = arena_alloc(a, hl / 2 - SECRETS_SEAL_OVERHEAD + 1);
  if (!sealed || !out) return NULL;
  if (sodium_hex2bin(sealed, hl / 2, sealed_hex, hl, NULL, &bl, NULL) != 0 || bl != hl / 2) return NULL;
  char ad[40];
  int adl = snprintf(ad, sizeof ad, "outbox:%lld", id);
  if (secrets_open(SECRET_OUTBOX, sealed, bl, (const unsigned char *)ad, (size_t)adl, (unsigned char *)out) != 0)
    return NULL;
  out[bl - SECRETS_SEAL_OVERHEAD] = '\0';
  return out;
}

enum err outbox_enqueue(struct arena *a, const char *to, const char *subject, const char *body) {
  return outbox_enqueue_kind(a, to, subject, body, "notice", 0, "");
}

enum err outbox_enqueue_kind(struct arena *a, const char *to, const char *subject, const char *body, const char *kind,
                             long long user_id, const char *client_ip) {
  long long id = 0;
  if (!body) return ERR_INTERNAL;
  enum err e = st_outbox_next_id(a, &id);
  if (e != ERR_OK) return e;
  char *sealed = outbox_seal_body(a, id, body);
  if (!sealed) return ERR_INTERNAL;
  e = st_outbox_add_sealed(a, id, to, subject, sealed, kind, user_id, client_ip);
  if (e == ERR_OK && echo) {
    /* demo mode only: the person trying the demo needs these one-time links */
    fprintf(stderr, "---- outbox message %lld (demo mode) ----\nTo: %s\nSubject: %s\n\n%s\n---- end of message ----\n",
            id, to, subject, body);
    fflush(stderr);
  }
  return e;
}

long outbox_print_pending(FILE *out) {
  struct arena *a = arena_new();
  if (!a) return -1;
  struct st_outbox_msg *rows = NULL;
  size_t n = 0;
  long rc = -1;
  if (st_outbox_pending(a, 1000, &rows, &n) == ERR_OK) {
    for (size_t i = 0; i < n; i++) {
      const char *body = outbox_open_body(a, rows[i].id, rows[i].body, rows[i].body_sealed_hex);
      fprintf(out, "---- message %lld, queued %s UTC, %d attempts ----\nTo: %s\nSubject: %s\n\n%s\n\n", rows[i].id,
              rows[i].created_at, rows[i].attempts, rows[i].recipient, rows[i].subject,
              body ? body : "(the body cannot be opened with this data directory's key)");
    }
    fprintf(out, "%zu pending message%s\n", n, n == 1 ? "" : "s");
    rc = (long)n;
  }
  arena_free(a);
  return rc;
}
