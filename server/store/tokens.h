/* SQL for personal access tokens (access_tokens) and the bearer throttle, as named prepared
 * statements. Times are unix seconds from the caller (a test clock applies); hashes travel as
 * lower-case hex. Strings live in the arena. ERR_NOT_FOUND when no row matched; ERR_UNAVAILABLE /
 * ERR_INTERNAL from the database. */
#ifndef SECONDOP_STORE_TOKENS_H
#define SECONDOP_STORE_TOKENS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

struct st_pat {
  long long id, user_id;
  const char *label;
  const char *created, *expires, *last_used; /* "YYYY-MM-DD HH:MM" UTC, last_used "" when never */
  bool can_store, expired, revoked;
};

/* A live token found by its hash, with its owner. */
struct st_pat_use {
  long long id, user_id;
  const char *hash_hex; /* as stored, for the constant-time comparison */
  const char *label, *role, *email, *name;
  bool can_store;
};

/* Registers the statements (before threads start). */
void st_pat_register(void);
/* Live (not revoked, not expired) tokens of a user at time now. */
enum err st_pat_count_live(struct arena *a, long long user_id, long long now, long long *n);
enum err st_pat_create(struct arena *a, long long user_id, const char *label, const char *hash_hex, bool can_store,
                         long long now, long long expires, long long *id);
/* A user's tokens that are not revoked, newest first. */
/* Revokes every live token of a user (an admin disabled the account); *n = how many. */
enum err st_pat_revoke_user(struct arena *a, long long user_id, long long now, long long *n);
enum err st_pat_list(struct arena *a, long long user_id, long long now, struct st_pat **rows, size_t *n);
/* Revokes a user's own live-or-expired token; *label receives its label. ERR_NOT_FOUND when not
 * theirs or revoked already. */
enum err st_pat_revoke(struct arena *a, long long user_id, long long id, long long now, const char **label);
/* The token with this hash when it is not revoked, not expired and its account is active;
 * records its last use (time and address). ERR_NOT_FOUND otherwise. */
enum err st_pat_touch(struct arena *a, const char *hash_hex, long long now, const char *ip, struct st_pat_use *out);
/* Why a token with this hash was refused, when it exists at all: its id, owner and reason
 * ("revoked", "expired", "account_disabled"). ERR_NOT_FOUND for an unknown hash. */
enum err st_pat_refusal(struct arena *a, const char *hash_hex, long long now, long long *id, long long *user_id,
                          const char **reason);
#endif
