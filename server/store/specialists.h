/* SQL for the specialist directory: named prepared statements and the
 * conversion between rows and struct specialist. Called by core/specialists.c. */
#ifndef SECONDOP_STORE_SPECIALISTS_H
#define SECONDOP_STORE_SPECIALISTS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/specialists.h"
#include "util/err.h"

struct arena;

/* Registers the statements (app_init calls it once, before threads start). */
void store_specialists_register(void);
/* One page of matches for f, rows in an arena array. db errors as db_exec. */
enum err store_specialists_search(struct arena *a, const struct specialist_filter *f, const char *q_pattern,
                                  struct specialist **out, size_t *n);
/* Number of matches for f. */
enum err store_specialists_count(struct arena *a, const struct specialist_filter *f, const char *q_pattern,
                                 long long *total);
/* By id (active or not). ERR_NOT_FOUND when absent. */
enum err store_specialist_get(struct arena *a, long long id, struct specialist *out);
/* Inserts; *id set. ERR_CONFLICT when the external_id is taken. */
enum err store_specialist_insert(struct arena *a, const struct specialist *s, long long *id);
/* Updates the editable fields (not active). ERR_NOT_FOUND or ERR_CONFLICT (external_id taken). */
enum err store_specialist_update(struct arena *a, long long id, const struct specialist *s);
/* Inserts or updates by external_id (reviewer_user_id untouched); *inserted tells which. */
enum err store_specialist_upsert(struct arena *a, const struct specialist *s, long long *id, bool *inserted);
/* Sets active. ERR_NOT_FOUND when absent. */
enum err store_specialist_set_active(struct arena *a, long long id, bool active);
/* Every specialist, by id. */
enum err store_specialists_all(struct arena *a, struct specialist **out, size_t *n);
/* True in *any when at least one specialist exists. */
enum err store_specialists_exist(struct arena *a, bool *any);
/* Distinct networks / languages among active specialists, sorted. */
enum err store_specialists_choices(struct arena *a, const char ***networks, size_t *n_networks,
                                   const char ***languages, size_t *n_languages);
/* Active reviewer accounts (the directory's picker), by name, at most 1000. */
struct reviewer_account {
  long long id;
  const char *name, *email;
};
enum err store_reviewer_accounts(struct arena *a, struct reviewer_account **out, size_t *n);
/* The role and whether the account is active; ERR_NOT_FOUND when none. */
enum err store_account_kind(struct arena *a, long long user_id, const char **role, bool *active);
/* Links specialist id to a reviewer account. ERR_NOT_FOUND when no such specialist. */
enum err store_specialist_link_reviewer(struct arena *a, long long id, long long user_id);
/* Links the entry external_id to the active reviewer account with this
 * e-mail when it is not linked yet; *id the entry linked (0: nothing done). */
enum err store_specialist_link_by_email(struct arena *a, const char *external_id, const char *email, long long *id);
#endif
