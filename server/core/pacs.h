/* "Send to our PACS" (issue 14 item 3). Admins keep the center's DICOMweb destinations (name,
 * service root, authentication none / basic / bearer with the secret sealed by the app key
 * (SECRET_PACS_CREDENTIAL, bound to the destination's id) and never shown back, the CA to trust
 * for HTTPS). Staff, and the reviewer assigned to a request, send its instances (or one study's)
 * to a destination: pacs_send_start records the send and one item per SOP Instance UID and
 * queues a 'pacs_send' job in one transaction with the audit row (pacs.send: the patient reads
 * it as "sent your images to <destination>") and a staff-only timeline event. The job (never an
 * HTTP thread) POSTs the instances not yet acknowledged with STOW-RS in batches
 * (SECONDOP_PACS_BATCH_INSTANCES, default 10, and SECONDOP_PACS_BATCH_MB, default 32, per POST),
 * streamed from the sealed store and decrypted on the way (dicomweb_stream_instances), records
 * each instance's outcome as the PACS gave it (core/pacs_wire.h) right after each answer, and
 * retries through the job queue's back-off when the PACS cannot be reached, is busy or fails on
 * its side (5xx): an acknowledged instance is never sent again, so a restart of the portal or
 * of the PACS resumes where it stopped. Credentials refused (401/403), a destination removed or
 * turned off, or any other refusal end the send as failed, with the reason in plain words. */
#ifndef SECONDOP_PACS_H
#define SECONDOP_PACS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "store/center.h"
#include "util/err.h"

struct arena;

/* Registers the statements and the job kind (before threads start). */
void pacs_init(void);

/* ---- destinations (admins) ---- */
struct form_spec;
struct form_pair;
struct form_errors;
/* The destination form (form layer): name 1-100 characters on one line; an http(s) URL without
 * user, query or fragment (at most 500); auth none/basic/bearer; basic needs a user name (at
 * most 200, no colon); a secret (password or token, secret: never echoed) is needed unless one
 * of the same kind is kept; the CA, when given, is PEM certificates (at most 64 KiB). */
const struct form_spec *pacs_dest_spec(void);
/* Every destination (admins), or the enabled ones (staff and reviewers, to choose from). */
enum err pacs_dest_list(struct arena *a, const struct actor *who, struct rowset *out);
/* One destination (admins): id, name, base_url, auth, username, has_secret, ca_pem, enabled. */
enum err pacs_dest_get(struct arena *a, const struct actor *who, long long id, struct rowset *out);
/* Creates (id 0) or changes a destination from the posted form (pacs_dest_spec, parsed in
 * the transaction that saves it and writes its audit row); an empty secret keeps the stored one. ERR_INVALID
 * with errs filled (nothing changed), ERR_NOT_FOUND, ERR_FORBIDDEN (not an admin). Audited
 * pacs.destination.create / .change (never with the secret). *out_id the destination. */
enum err pacs_dest_save(struct arena *a, const struct actor *who, long long id, const struct form_pair *in, size_t n,
                        struct form_errors *errs, long long *out_id);
/* Turns a destination on or off (*enabled: the new state) / deletes it. Audited. Deleting a
 * destination with a send not finished (queued, sending, retrying) is refused: ERR_CONFLICT. */
enum err pacs_dest_toggle(struct arena *a, const struct actor *who, long long id, bool *enabled);
enum err pacs_dest_delete(struct arena *a, const struct actor *who, long long id);

/* ---- sends (staff, the assigned reviewer) ---- */
/* Starts sending request_id's instances (study_id 0: all of them; else the study with that id
 * in the request) to destination dest_id. ERR_NOT_FOUND: a request (or study) the actor may
 * not act on, as if it did not exist; ERR_INVALID with *why (plain words): no such enabled
 * destination, nothing to send. */
enum err pacs_send_start(struct arena *a, const struct actor *who, long long request_id, long long dest_id,
                         long long study_id, long long *send_id, const char **why);
/* The sends of a request for its page (staff, assigned reviewer; ERR_NOT_FOUND otherwise): see
 * ps_sends_of_request. */
enum err pacs_sends_view(struct arena *a, const struct actor *who, long long request_id, struct rowset *out);
/* The per-instance outcomes of one send of the request. */
enum err pacs_send_items_view(struct arena *a, const struct actor *who, long long request_id, long long send_id,
                              struct rowset *out);
/* Plain words of a send's state for its page ("Sending", "Waiting to retry", …). */
const char *pacs_state_words(const char *state);
#endif
