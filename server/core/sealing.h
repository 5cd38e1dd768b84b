/* Sealing of text at rest that older versions kept in plaintext, and the
 * start-up pass that converts what they left.
 *
 * A request's `reason` and `questions` (clinical free text) are sealed with
 * the app-key subkey SECRET_REQUEST_TEXT, bound to the request id and the
 * field ("request:<id>:reason", "request:<id>:questions") as associated data,
 * like messages are; questions are sealed as one JSON array of strings.
 * Migration 0011 could not seal (a migration has no key), so it added the
 * *_sealed columns; sealing_startup() seals the remaining plaintext in
 * batches of SEALING_BATCH rows per transaction, at most SEALING_MAX_ROWS per
 * start (the rest at the next start: readers fall back to plaintext until a
 * row is converted), and the same for pending outbox bodies. */
#ifndef SECONDOP_SEALING_H
#define SECONDOP_SEALING_H

struct arena;

#define SEALING_BATCH 200
#define SEALING_MAX_ROWS 20000

/* Seals text for a request's field into hex in the arena; NULL on failure. */
char *reqtext_seal(struct arena *a, long long request_id, const char *field, const char *text);
/* Opens what reqtext_seal made; NULL when it does not authenticate. */
char *reqtext_open(struct arena *a, long long request_id, const char *field, const char *hex);
/* Seals the plaintext left by older versions (outbox bodies not yet sent,
 * requests' reason and questions). Returns the rows converted, or -1 on a
 * database or key failure (logged). Call after migrations, before threads. */
long sealing_startup(void);
#endif
