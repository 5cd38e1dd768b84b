/* The audit chain's head anchored outside the table: every few minutes (and
 * at shutdown) the server signs the newest audit row's id and chain hash with
 * an Ed25519 key of its own (<data-dir>/keys/audit-signing.key, 0600, made on
 * first run) and appends the checkpoint to <data-dir>/audit-checkpoints.log
 * (opened O_APPEND, one line each) and to the log. `secondop verify-audit`
 * checks the signatures and that the chain still reaches the newest
 * checkpoint with the same hash: deleting the newest rows, even as the
 * database superuser with the triggers disabled, is reported as TAMPERED.
 *
 * Line format (text, one per checkpoint):
 *   v1 ROW_ID HASH_HEX UNIX_SECONDS SIGNATURE_HEX
 * where the Ed25519 signature covers "secondop.audit.checkpoint.v1 ROW_ID
 * HASH_HEX UNIX_SECONDS". */
#ifndef SECONDOP_AUDIT_ANCHOR_H
#define SECONDOP_AUDIT_ANCHOR_H
#include <stdbool.h>
#include <stddef.h>

#define ANCHOR_FILE "audit-checkpoints.log"
#define ANCHOR_KEY_FILE "keys/audit-signing.key"
#define ANCHOR_LINE_MAX 256

struct anchor_checkpoint {
  long long row_id;
  unsigned char hash[32];
  long long at;  /* unix seconds */
};

/* Loads <data_dir>/keys/audit-signing.key (a 32-byte Ed25519 seed), making it
 * on first run (create=true). Fills the key pair; wipe sk after use. 0, or -1
 * after logging why (missing when !create, wrong size, readable by others). */
int anchor_load_key(const char *data_dir, bool create, unsigned char pk[32], unsigned char sk[64]);
/* Formats one signed checkpoint line (with its newline) into line (cap >=
 * ANCHOR_LINE_MAX). Returns its length, or -1. */
int anchor_format(const struct anchor_checkpoint *cp, const unsigned char sk[64], char *line, size_t cap);
/* Parses and verifies one line (with or without its newline) against pk.
 * 0 when well-formed and correctly signed; -1 malformed; -2 bad signature. */
int anchor_parse(const char *line, const unsigned char pk[32], struct anchor_checkpoint *out);

/* Server side: loads/creates the key and remembers the data directory;
 * interval_seconds between checkpoints (>= 1). 0 or -1. */
int anchor_init(const char *data_dir, unsigned interval_seconds);
/* Starts the checkpoint thread (after the database is ready). */
void anchor_start(void);
/* Stops the thread (no checkpoint written by it afterwards). */
void anchor_stop(void);
/* Writes a checkpoint now on the calling thread when the chain's head moved
 * since the last one (always when force). 0 (written or nothing new), -1. */
int anchor_checkpoint_now(bool force);
/* Wipes the key. */
void anchor_shutdown(void);
#endif
