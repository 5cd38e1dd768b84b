/* Messages to users (e-mail), queued in the outbox table in the caller's
 * transaction. Bodies carry no health information: only "something changed,
 * please log in" and one-time links. Until real delivery exists,
 * `secondop outbox` prints what is pending, and in demo mode every new
 * message is also printed to the server log. */
#ifndef SECONDOP_OUTBOX_H
#define SECONDOP_OUTBOX_H
#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"

struct arena;

/* Public base URL for links, e.g. "https://portal.example.org" (copied; a
 * trailing slash is dropped). Call before threads start. */
void outbox_set_base_url(const char *base_url);
/* Demo mode: also print each new message to stderr. */
void outbox_set_echo(bool on);
/* base URL + path ("/reset-password?token=…") in the arena; NULL when out of memory. */
char *outbox_link(struct arena *a, const char *path);
/* Queues one message. ERR_OK, or the database error. */
enum err outbox_enqueue(struct arena *a, const char *to, const char *subject, const char *body);
/* Prints pending messages (oldest first, at most 1000) to out. Returns the
 * number printed, or -1 when the database could not be read. */
long outbox_print_pending(FILE *out);
#endif
