/* SQL for STOW-RS (core/stow.h): the parts of a STOW-RS request are uploads rows (stow_id,
 * stow_part) that intake takes in like any other; their PS3.18 outcome is kept on the row.
 * Every function returns ERR_OK, ERR_NOT_FOUND, ERR_CONFLICT, ERR_UNAVAILABLE or ERR_INTERNAL. */
#ifndef SECONDOP_STORE_STOW_H
#define SECONDOP_STORE_STOW_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

struct arena;

/* Registers the statements (call before threads start). */
void stow_store_register(void);

/* Bytes the request's uploads hold or are receiving (not failed, not expired): what the
 * per-request limit counts, as for a patient's upload. */
enum err stow_store_request_bytes(long long request_id, uint64_t *bytes);

/* One stored part, inserted as an upload in 'checking' (its bytes are in the store). */
struct stow_part_row {
  char id[27];
  const char *stow_id;
  int part;
  long long request_id, owner_id;
  const char *kind, *filename;
  uint64_t length;
  unsigned char blake2b[32];
  unsigned char file_id[BLOB_ID_LEN];
  unsigned char wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek_version;
  const char *study; /* STOW-RS to one study: its Study Instance UID; NULL otherwise */
};
enum err stow_store_insert_part(const struct stow_part_row *p);

/* Whether an upload is a STOW-RS part (*is_stow 1) or a patient's tus upload (0). */
enum err stow_store_is_part(const char *upload_id, int *is_stow);
/* The Study Instance UID a STOW-RS part must have (POST …/studies/{study}), or NULL (arena). */
enum err stow_store_part_study(struct arena *a, const char *upload_id, const char **study);
/* Intake's outcome for a part: PS3.18 status (0 stored) and the UIDs it read (NULL: unknown). */
enum err stow_store_set_outcome(const char *upload_id, int status, const char *sop_class, const char *sop_instance);
/* Parts of a STOW-RS request still being taken in. */
enum err stow_store_pending(const char *stow_id, long long *n);

struct stow_result_row {
  int part;
  const char *state;          /* checking, complete, failed */
  int status;                 /* -1 when intake wrote none */
  const char *sop_class, *sop_instance, *study_uid, *series_uid; /* "" when unknown */
};
/* The parts of a STOW-RS request in body order, with the study and series of each stored one. */
enum err stow_store_results(struct arena *a, const char *stow_id, struct stow_result_row **out, size_t *n);
#endif
