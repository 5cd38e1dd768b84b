/* SQL for the accounts hardening of migration 0011: the per-account
 * second-factor counter (mfa_failures), the list of a user's sessions and
 * their step-up time, sealed outbox bodies with their rate-limit counts, and
 * the start-up conversion of plaintext rows into sealed ones. Times are unix
 * seconds passed in by the caller (the test clock applies); binary values
 * travel as lower-case hex. Strings live in the arena given. */
#ifndef SECONDOP_STORE_SECURITY_H
#define SECONDOP_STORE_SECURITY_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

/* Registers the statements (before threads start; app_init does). */
void store_security_register(void);

/* ---- second factor ---- */
/* The user's counter, locking its row (call inside a transaction): makes the
 * row when missing. *last is 0 when none. */
enum err st_mfa_lock_row(struct arena *a, long long user_id, int *failures, long long *last, bool *locked);
/* Reads without locking (admin page). */
enum err st_mfa_get(struct arena *a, long long user_id, int *failures, bool *locked);
/* Counts one guess at now; *failures receives the new count. */
enum err st_mfa_count(struct arena *a, long long user_id, long long now, int *failures);
/* Marks the factor locked at now when it is not yet and failures >= bound.
 * ERR_OK when this call locked it, ERR_NOT_FOUND when it was already. */
enum err st_mfa_set_locked(struct arena *a, long long user_id, long long now, int bound);
/* Forgets the counter (a right code, an admin's unlock). *had: a row existed. */
enum err st_mfa_reset(struct arena *a, long long user_id, bool *had);

/* ---- sessions ---- */
struct st_session_row {
  long long id;
  const char *created_at, *last_seen_at; /* "YYYY-MM-DD HH:MM" UTC */
  const char *ip, *user_agent;
};
/* Live sessions of a user at now, newest use first. */
enum err st_sessions_list(struct arena *a, long long user_id, long long now, struct st_session_row **rows, size_t *n);
/* Ends one session of this user. ERR_NOT_FOUND when it is not theirs (or gone). */
enum err st_session_delete_own(struct arena *a, long long user_id, long long session_id);
/* Records a step-up at now for the session. */
enum err st_session_reauth_set(struct arena *a, long long session_id, long long now);
/* The session's last step-up (0 when none). */
enum err st_session_reauth_get(struct arena *a, long long session_id, long long *at);

/* Wrong step-up credentials of the user (audit rows account.stepup, denied,
 * reason credential), as st_reauth_failures counts them for signing. */
enum err st_stepup_failures(struct arena *a, long long user_id, int window_s, int lock_s, int *failures, int *wait_s);

/* ---- outbox ---- */
/* Adds a message whose body is already sealed (hex); *id must be the value
 * st_outbox_next_id gave (the id is the body's associated data). */
enum err st_outbox_next_id(struct arena *a, long long *id);
enum err st_outbox_add_sealed(struct arena *a, long long id, const char *recipient, const char *subject,
                              const char *sealed_hex, const char *kind, long long user_id, const char *client_ip);
/* Messages of one kind queued in the last hour for the user and from the
 * address (either may be 0 / "" to skip). */
enum err st_outbox_recent(struct arena *a, const char *kind, long long user_id, const char *client_ip,
                          long long *for_user, long long *from_ip);

/* ---- start-up sealing of plaintext left by older versions ---- */
struct st_plain_row {
  long long id;
  const char *a, *b; /* outbox: body, unused; requests: reason, questions as JSON array text */
};
/* Up to limit pending outbox rows with a plaintext body. */
enum err st_plain_outbox(struct arena *a, long long limit, struct st_plain_row **rows, size_t *n);
/* Replaces one row's plaintext body by the sealed one (only if unchanged since read). */
enum err st_plain_outbox_seal(struct arena *a, long long id, const char *sealed_hex);
/* Up to limit requests with plaintext reason or questions. */
enum err st_plain_requests(struct arena *a, long long limit, struct st_plain_row **rows, size_t *n);
/* Sets reason_sealed/questions_sealed (hex, "" for none) and clears the plaintext. */
enum err st_plain_request_seal(struct arena *a, long long id, const char *reason_hex, const char *questions_hex);
#endif
