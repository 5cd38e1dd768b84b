/* SQL for "Send to our PACS" (core/pacs.h, migrations/0029_pacs_send.sql): the center's
 * DICOMweb destinations, the sends and each instance's outcome. Rows come back as rowsets
 * (store/center.h; values live as long as the arena). Every function returns ERR_OK,
 * ERR_NOT_FOUND (no such row), ERR_CONFLICT (a destination of that name exists),
 * ERR_UNAVAILABLE or ERR_INTERNAL. */
#ifndef SECONDOP_STORE_PACS_H
#define SECONDOP_STORE_PACS_H
#include <stdbool.h>
#include <stddef.h>

#include "store/center.h"
#include "store/dicomweb.h"
#include "util/err.h"

struct arena;

/* Registers the statements (before threads start). */
void pacs_store_register(void);

/* ---- destinations ---- */
/* Every destination: id, name, base_url, auth, username, has_secret, has_ca, enabled, updated_at (wire). */
enum err ps_dest_list(struct arena *a, bool enabled_only, struct rowset *out);
/* One destination with secret (hex, "" when none) and ca_pem. */
enum err ps_dest_get(struct arena *a, long long id, struct rowset *out);
/* A new row id to bind a sealed secret to before the row exists. */
enum err ps_dest_next_id(struct arena *a, long long *id);
/* Inserts (id from ps_dest_next_id) or updates a destination; secret_hex NULL keeps the stored
 * one (update) / stores none (insert), "" removes it. */
enum err ps_dest_put(struct arena *a, bool insert, long long id, const char *name, const char *base_url, const char *auth,
                     const char *username, const char *secret_hex, const char *ca_pem);
enum err ps_dest_enable(struct arena *a, long long id, bool enabled);
enum err ps_dest_delete(struct arena *a, long long id);

/* ---- sends ---- */
/* Creates a send of request_id (study_id 0: every study, else that study of the request) with
 * one item per SOP Instance UID of its DICOM documents; *id the send, *total its instances.
 * ERR_GONE: no such study in the request; ERR_NOT_FOUND: nothing to send (nothing is kept). */
enum err ps_send_create(struct arena *a, long long request_id, long long study_id, long long dest_id,
                        const char *dest_name, long long sender_id, long long *id, long long *total);
/* One send with its destination's settings (dest_* columns; dest_id "" when deleted) and the
 * sender's role. */
enum err ps_send_get(struct arena *a, long long id, struct rowset *out);
/* Sets the state ('sending', 'retrying', 'done', 'failed') and the failure words (NULL: none). */
/* The request's status and whether its authorization was revoked (none in force, one revoked),
 * the request's row locked FOR SHARE (inside a transaction: it cannot be withdrawn meanwhile). */
enum err ps_request_gate(struct arena *a, long long request_id, const char **status, bool *revoked);
/* How many sends of the destination are not finished (queued, sending or retrying), after
 * locking its row FOR UPDATE (inside a transaction: no send can start meanwhile). */
enum err ps_dest_busy(struct arena *a, long long dest_id, long long *n);
enum err ps_send_state(struct arena *a, long long id, const char *state, const char *failure);
/* The next max instances of a send not yet acknowledged, in document order. */
enum err ps_send_pending(struct arena *a, long long id, size_t max, struct dw_instance_row **out, size_t *n);
/* Records the PACS's outcome of one instance ("referenced", "warning", "failed"; reason -1: none). */
enum err ps_item_set(struct arena *a, long long send_id, long long doc, const char *outcome, int reason);
/* Counts of a send: total, answered, referenced, warning, failed. */
enum err ps_send_counts(struct arena *a, long long id, struct rowset *out);
/* The sends of a request, newest first, with their counts, the sender's name and the job's next
 * try (wire). */
enum err ps_sends_of_request(struct arena *a, long long request_id, struct rowset *out);
/* The instances of a send with their outcome, study and series (outcome "" while pending). */
enum err ps_send_items(struct arena *a, long long send_id, struct rowset *out);
#endif
