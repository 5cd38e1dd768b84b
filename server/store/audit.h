/* SQL for the audit trail (table audit_log, migrations/0002_audit.sql). The
 * hashing and the rules live in core/audit.c; this file only moves rows. */
#ifndef SECONDOP_STORE_AUDIT_H
#define SECONDOP_STORE_AUDIT_H
#include <stdbool.h>
#include <stddef.h>

#include "core/audit.h"
#include "util/err.h"

struct arena;

/* Registers the audit statements with db_register (call once before threads start). */
void audit_store_register(void);

/* Transaction state of the calling thread's connection. */
enum audit_tx { AUDIT_TX_IDLE, AUDIT_TX_OPEN, AUDIT_TX_FAILED, AUDIT_TX_NONE };
/* Whether this thread's connection is idle, inside a transaction, inside a
 * failed one, or unavailable (AUDIT_TX_NONE). */
enum audit_tx audit_store_tx_state(void);

/* Inside an open transaction: takes the chain's transaction-scoped advisory
 * lock, then reads the last row's hash (*has_prev false when the table is
 * empty), reserves the next id and normalises detail_json through jsonb
 * (*detail_norm: PostgreSQL's jsonb text, arena-owned; NULL when detail_json
 * is NULL). ERR_OK, ERR_UNAVAILABLE, or ERR_INTERNAL (e.g. invalid JSON). */
enum err audit_store_prepare_append(struct arena *a, const char *detail_json, long long *id, bool *has_prev,
                                    unsigned char prev[32], const char **detail_norm);
/* Inserts a fully computed row (id, at_us, hashes set). ERR_OK or as db_exec. */
enum err audit_store_insert(const struct audit_entry *e);
/* The same, then COMMIT of the open transaction in the same round trip. */
enum err audit_store_insert_commit(const struct audit_entry *e);

/* Up to limit rows with id > after_id in id order, every column, for
 * verification (at_matches set). *out is arena-owned. ERR_OK or as db_exec. */
enum err audit_store_chain_page(struct arena *a, long long after_id, int limit, struct audit_entry **out, size_t *n);
/* Rows matching f, newest first, skipping offset, at most limit; *total is
 * the number of matching rows (0 when the page is empty). Arena-owned. */
enum err audit_store_search(struct arena *a, const struct audit_filter *f, long long offset, int limit,
                            struct audit_entry **out, size_t *n, long long *total);
/* Rows matching f with id > after_id, oldest first (for exports). Arena-owned. */
enum err audit_store_export_page(struct arena *a, const struct audit_filter *f, long long after_id, int limit,
                                 struct audit_entry **out, size_t *n);
/* The number of rows matching f. */
enum err audit_store_count(struct arena *a, const struct audit_filter *f, long long *count);
/* Rows touching a patient's data, newest first, at most limit. Arena-owned. */
enum err audit_store_for_patient(struct arena *a, long long patient_id, int limit, struct audit_entry **out,
                                 size_t *n);
/* The newest row's id and hash (*found false when the table is empty).
 * ERR_OK or as db_exec. */
enum err audit_store_head(long long *id, unsigned char hash[32], bool *found);
/* The hash stored in row id (*found false when there is no such row). */
enum err audit_store_hash_at(long long id, unsigned char hash[32], bool *found);
#endif
