/* SQL for the account tables (users, sessions, login_throttle,
 * one_time_tokens, recovery_codes, outbox) as named prepared statements.
 * Times are unix seconds passed in by the caller (so a test clock applies);
 * binary values (hashes, sealed secrets) travel as lower-case hex text.
 * Strings returned live in the arena given. Errors: ERR_NOT_FOUND when no
 * row matched, ERR_CONFLICT on a unique violation, ERR_UNAVAILABLE /
 * ERR_INTERNAL from the database. */
#ifndef SECONDOP_STORE_ACCOUNTS_H
#define SECONDOP_STORE_ACCOUNTS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

struct st_user {
  long long id;
  const char *role;            /* "patient", "staff", "reviewer", "admin" */
  const char *name, *email;
  const char *dob;             /* "YYYY-MM-DD" or "" */
  const char *password_hash;   /* "" when none set yet */
  bool active, email_verified, totp_enabled;
  const char *totp_secret_hex; /* sealed secret as hex, "" when none */
  long long totp_last_step;    /* -1 when none */
  const char *created_at;      /* wire form (util/tz.h) */
  const char *time_zone;       /* tz database name, e.g. "Europe/Madrid" */
};

struct st_session {
  long long id, user_id;
  const char *csrf;
  long long idle_expires, absolute_expires;
  bool mfa_passed;
  struct st_user user;
};

/* Registers the statements (before threads start). */
void st_accounts_register(void);

enum err st_user_by_email(struct arena *a, const char *email, struct st_user *out);
enum err st_user_by_id(struct arena *a, long long id, struct st_user *out);
/* New user; hash may be NULL (invited), dob may be NULL. *id receives the id.
 * ERR_CONFLICT when the e-mail is taken (any letter case). */
enum err st_user_create(struct arena *a, const char *role, const char *name, const char *email, const char *dob,
                        const char *hash, bool verified, long long now, long long *id);
enum err st_user_set_password(struct arena *a, long long id, const char *hash, long long now);
/* Sets the account's time zone (a name the caller checked with tz_name_ok). */
enum err st_user_set_time_zone(struct arena *a, long long id, const char *zone);
enum err st_user_set_verified(struct arena *a, long long id, long long now);
enum err st_user_set_active(struct arena *a, long long id, bool active, long long now);
/* Stores a sealed secret (hex); enabled false while enrolling. */
enum err st_user_set_totp(struct arena *a, long long id, const char *sealed_hex, bool enabled, long long last_step,
                          long long now);
/* Forgets the second factor and every recovery code. */
enum err st_user_clear_totp(struct arena *a, long long id, long long now);
/* Accepts time step `step` only if newer than the stored last step (compare
 * and set, so two requests cannot both use one code). ERR_OK or ERR_CONFLICT. */
enum err st_user_advance_step(struct arena *a, long long id, long long step);
/* Users whose name or e-mail contains q (case-insensitive; "" for all),
 * newest first. *rows gets an arena array of *n users; *total all matches. */
enum err st_users_list(struct arena *a, const char *q, long long offset, long long limit, struct st_user **rows,
                       size_t *n, long long *total);
/* Number of users with the role (to seed demo data once). */
enum err st_users_count_role(struct arena *a, const char *role, long long *count);

enum err st_session_create(struct arena *a, long long user_id, const char *token_hash_hex, const char *csrf,
                           long long now, long long idle_exp, long long abs_exp, bool mfa_passed, const char *ip,
                           const char *ua, long long *id);
/* Finds a live session by token hash (not expired at now, user active),
 * moves its idle expiry to min(now + idle, absolute) where idle is
 * idle_center or idle_patient by role, and returns it with its user.
 * ERR_NOT_FOUND when no such live session. */
enum err st_session_touch(struct arena *a, const char *token_hash_hex, long long now, long long idle_center,
                          long long idle_patient, struct st_session *out);
/* Deletes the session with that token hash (live or not); *user_id and
 * *expired (1 when it had expired at now) describe it. ERR_NOT_FOUND if none. */
enum err st_session_delete_hash(struct arena *a, const char *token_hash_hex, long long now, long long *user_id,
                                const char **role, int *expired);
enum err st_session_delete(struct arena *a, long long id);
/* Ends every session of the user except keep_id (0 to end all). *n ended. */
enum err st_sessions_delete_user(struct arena *a, long long user_id, long long keep_id, long long *n);
/* New token hash and CSRF token for a session (privilege change), and its MFA state. */
enum err st_session_rotate(struct arena *a, long long id, const char *token_hash_hex, const char *csrf,
                           bool mfa_passed);
/* Sessions of a user (for the account page): ids, last seen, ip. */
enum err st_sessions_count(struct arena *a, long long user_id, long long *n);

enum err st_throttle_get(struct arena *a, const char *kind, const char *key, int *failures, long long *last);
/* Adds a failure at now (creating the row); *failures receives the new count. */
enum err st_throttle_fail(struct arena *a, const char *kind, const char *key, long long now, int *failures);
enum err st_throttle_reset(struct arena *a, const char *kind, const char *key);

enum err st_token_create(struct arena *a, long long user_id, const char *purpose, const char *hash_hex, long long now,
                         long long expires);
/* The user of an unused, unexpired token (no change). ERR_NOT_FOUND otherwise. */
enum err st_token_peek(struct arena *a, const char *purpose, const char *hash_hex, long long now, long long *user_id);
/* Marks it used, atomically; ERR_NOT_FOUND when used, expired or unknown. */
enum err st_token_use(struct arena *a, const char *purpose, const char *hash_hex, long long now, long long *user_id);
/* Marks every unused token of the user with that purpose as used. */
enum err st_tokens_retire(struct arena *a, long long user_id, const char *purpose, long long now);

/* Replaces the user's recovery codes with n hashes (hex each). */
enum err st_recovery_replace(struct arena *a, long long user_id, const char *const *hashes_hex, size_t n);
/* Unused codes: arrays of ids and hex hashes. */
enum err st_recovery_list(struct arena *a, long long user_id, long long **ids, const char ***hashes_hex, size_t *n);
/* Marks one used; ERR_NOT_FOUND when it was used already. */
enum err st_recovery_use(struct arena *a, long long id, long long now);

enum err st_outbox_add(struct arena *a, const char *recipient, const char *subject, const char *body, long long *id);
struct st_outbox_msg {
  long long id;
  const char *recipient, *subject, *body, *created_at;
  int attempts;
  const char *body_sealed_hex; /* "" for a legacy plaintext body */
};
/* Pending messages, oldest first (at most limit). */
enum err st_outbox_pending(struct arena *a, long long limit, struct st_outbox_msg **rows, size_t *n);
#endif
