/* The outbox: see outbox.h. */
#include "core/outbox.h"

#include <stdlib.h>
#include <string.h>

#include "store/accounts.h"
#include "util/arena.h"

static char *base_url;
static bool echo;

void outbox_set_base_url(const char *u) {
  free(base_url);
  base_url = strdup(u ? u : "http://127.0.0.1:8080");
  if (base_url) {
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/') base_url[--n] = '\0';
  }
}

void outbox_set_echo(bool on) { echo = on; }

char *outbox_link(struct arena *a, const char *path) {
  return arena_printf(a, "%s%s", base_url ? base_url : "http://127.0.0.1:8080", path);
}

enum err outbox_enqueue(struct arena *a, const char *to, const char *subject, const char *body) {
  long long id = 0;
  enum err e = st_outbox_add(a, to, subject, body, &id);
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
    for (size_t i = 0; i < n; i++)
      fprintf(out, "---- message %lld, queued %s UTC, %d attempts ----\nTo: %s\nSubject: %s\n\n%s\n\n", rows[i].id,
              rows[i].created_at, rows[i].attempts, rows[i].recipient, rows[i].subject, rows[i].body);
    fprintf(out, "%zu pending message%s\n", n, n == 1 ? "" : "s");
    rc = (long)n;
  }
  arena_free(a);
  return rc;
}
