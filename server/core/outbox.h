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
/* Without an explicit base URL (NULL or "" above), links use the address the
 * server really listens on: scheme, host (the machine's name for a wildcard
 * address) and the bound port. Safe while request threads run. */
void outbox_set_listen_address(bool tls, const char *host, unsigned port);
/* Frees the base URL (at exit). */
void outbox_shutdown(void);
/* Demo mode: also print each new message to stderr. */
void outbox_set_echo(bool on);
/* base URL + path ("/reset-password?token=…") in the arena; NULL when out of memory. */
char *outbox_link(struct arena *a, const char *path);
/* Queues one message (kind "notice"). ERR_OK, or the database error. */
enum err outbox_enqueue(struct arena *a, const char *to, const char *subject, const char *body);
/* Queues one message of a kind ("notice", "verify_email", "password_reset",
 * "invitation", "signup_existing", "mfa_locked") about user_id (0: none),
 * asked for from client_ip ("" for none). The body is stored sealed
 * (app-key subkey SECRET_OUTBOX, "outbox:<id>" as associated data) and is
 * deleted once delivered. ERR_OK, ERR_INTERNAL (no key), or the DB error. */
enum err outbox_enqueue_kind(struct arena *a, const char *to, const char *subject, const char *body, const char *kind,
                             long long user_id, const char *client_ip);
/* The body of message id in the arena: sealed_hex opened when non-empty,
 * else the legacy plaintext. NULL when it cannot be opened (forged, other
 * key) or out of memory. */
char *outbox_open_body(struct arena *a, long long id, const char *plain, const char *sealed_hex);
/* Seals body for message id into hex text in the arena (NULL on failure). */
char *outbox_seal_body(struct arena *a, long long id, const char *body);
/* Prints pending messages (oldest first, at most 1000) to out. Returns the
 * number printed, or -1 when the database could not be read. */
long outbox_print_pending(FILE *out);
#endif
