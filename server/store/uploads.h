/* SQL for the records family: requests (minimal), uploads (tus state),
 * documents, studies, series and intake receipts. Plain C structs in and
 * out; strings come from the caller's arena. Every function returns ERR_OK,
 * ERR_NOT_FOUND (no such row), ERR_CONFLICT (an optimistic check or a unique
 * key failed), ERR_UNAVAILABLE (database down) or ERR_INTERNAL. */
#ifndef SECONDOP_UPLOADS_H
#define SECONDOP_UPLOADS_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

struct arena;

struct request_row {
  long long id, patient_id;
  const char *reference, *status, *created_at;
};

struct upload_row {
  char id[27];
  long long request_id, owner_id, patient_id;
  const char *kind, *filename, *state, *failure;
  uint64_t length, offset;
  int has_sha256_expected;
  unsigned char sha256_expected[32];
  int has_sealed_tail;        /* the row keeps a sealed tail */
  unsigned char *sealed_tail; /* arena, NULL until uploads_read_tail */
  size_t sealed_tail_len;
  unsigned char *digest_state; /* arena; sealed running digests at offset, NULL when unknown */
  size_t digest_state_len;
  unsigned char file_id[BLOB_ID_LEN];
  unsigned char wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek_version;
  long long expires_at; /* unix seconds */
  int expired;
  int scan_pending;       /* complete, waiting for the virus scanner */
  const char *virus_name; /* quarantined by the virus scanner: its finding; "" otherwise */
  char blake2b_hex[65];  /* set once complete ('checking' on), else "" */
  int digest_kind;       /* what blake2b_hex is: BLOB_DIGEST_KIND_PLAIN or _RECORDS (store/blobfmt.h) */
  char sha256_hex[65];   /* the declared SHA-256 that matched, else "" */
  int is_archive;
  long long lease_token; /* the fencing token this process holds (records.c), 0 when none */
};

struct document_row {
  long long id, request_id, series_id;
  const char *upload_id, *kind, *original_name, *sniffed_type, *sha256, *blake2b, *skip_reason;
  int digest_kind; /* what blake2b is: BLOB_DIGEST_KIND_RECORDS (2), else the plaintext's BLAKE2b (1; 0 reads as 1) */
  uint64_t size;
  int skipped, refused, has_file;
  unsigned char file_id[BLOB_ID_LEN];
  unsigned char wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek_version;
  const char *sop_instance_uid, *sop_class_uid, *transfer_syntax, *modality, *laterality, *view_position,
      *study_date, *patient_name, *patient_birth_date, *manufacturer, *created_at;
  const char *active_content; /* PDFs: "JavaScript, a launch action, ..." (dicom/content_check.c); NULL/"" none */
  /* DICOM objects (object_kind NULL/"" otherwise): the kind it counts as (sopclass.h names),
   * frames, matrix, pixel data not all there, Patient's Sex */
  const char *object_kind, *patient_sex;
  long frames;
  unsigned rows, columns;
  int pixel_incomplete;
  const char *image_info; /* viewer metadata of a DICOM image (JSON text, core/viewer.h); NULL/"" none */
};

struct series_row {
  long long id, study_id, images;
  const char *series_uid, *modality, *description, *study_uid, *study_date, *study_description, *patient_name,
      *patient_birth_date, *views;
};

struct receipt_row {
  const char *filename, *message, *created_at;
  long long accepted, images, duplicates, skipped, refused;
};

/* Registers the statements (call before threads start). */
void uploads_store_register(void);

enum err requests_get(struct arena *a, long long id, struct request_row *out);

/* The account's name and date of birth (YYYYMMDD, "" when unknown). */
enum err users_identity(struct arena *a, long long user_id, const char **name, const char **birth_yyyymmdd);

enum err uploads_insert(const struct upload_row *u);
/* Loads an upload with its request's patient. */
enum err uploads_get(struct arena *a, const char *id, struct upload_row *out);
/* Reads the sealed tail committed with u->offset into u->sealed_tail (arena;
 * binary, so a part of the object store's in size is not sent as hex), only
 * where a writer resumes. ERR_CONFLICT when the row's offset is no longer
 * u->offset. */
enum err uploads_read_tail(struct arena *a, struct upload_row *u);
/* Commits a new offset, sealed tail and sealed digest state (NULL/0: unknown)
 * in one statement if the row still has old_offset and is receiving;
 * finalizing = 1 also moves it to 'finalizing'; and only while lease_token is
 * still the row's fencing token. ERR_CONFLICT when the offset moved meanwhile
 * or another instance took the upload. */
enum err uploads_commit_offset(const char *id, uint64_t old_offset, uint64_t new_offset,
                               const unsigned char *tail, size_t tail_len, const unsigned char *digest_state,
                               size_t digest_len, int finalizing, long long lease_token, long long *expires_at);
/* The upload's lease (migrations/0033_active_active.sql): taken for owner (an instance id) for
 * seconds when no one holds it, it lapsed, or an owner of the same data directory (the part
 * before the '.') holds it; *token is the new fencing token.
 * ERR_CONFLICT when another instance holds it, ERR_NOT_FOUND when there is no such upload. */
enum err uploads_lease_take(const char *id, const char *owner, int seconds, long long *token);
/* Extends the lease held with token: ERR_CONFLICT when it was taken meanwhile (the token moved). */
enum err uploads_lease_renew(const char *id, long long token, int seconds);
/* Lets go of the lease held with token (nothing when the token moved). */
enum err uploads_lease_release(const char *id, long long token);
/* Sets the state (and failure text, digests when not NULL). */
enum err uploads_set_state(const char *id, const char *state, const char *failure,
                           const unsigned char blake2b[32], const unsigned char sha256[32]);
enum err uploads_delete(const char *id);
/* Ids of uploads in 'finalizing'. */
enum err uploads_list_finalizing(struct arena *a, char ***ids, size_t *n);
/* Receiving uploads past their expiry (at most 100). */
enum err uploads_list_expired(struct arena *a, struct upload_row **out, size_t *n);
/* Unfinished uploads of a request (for the page). */
enum err uploads_list_for_request(struct arena *a, long long request_id, struct upload_row **out, size_t *n);

/* Studies and series: upsert by UID, returning the id. */
enum err studies_upsert(struct arena *a, long long request_id, const char *study_uid, const char *date,
                        const char *description, const char *patient_name, const char *birth, long long *id);
enum err series_upsert(struct arena *a, long long request_id, long long study_id, const char *series_uid,
                       const char *modality, const char *description, long long *id);
/* Series of a request with study attributes, image count and views found. */
enum err series_list(struct arena *a, long long request_id, struct series_row **out, size_t *n);
/* Deletes a series' documents (their rows) and the series; returns the
 * removed documents' file ids (arena) so the caller can delete the blobs. */
enum err series_delete(struct arena *a, long long request_id, long long series_id,
                       unsigned char (**file_ids)[BLOB_ID_LEN], size_t *n);
/* Removes studies that no longer have a series. */
enum err studies_prune(long long request_id);

/* Inserts a document. With a SOPInstanceUID already present in the request
 * the row is not inserted and ERR_CONFLICT is returned (a duplicate). */
/* The virus scanner could not be reached (pending = 1) or has answered (0). */
enum err uploads_set_scan_pending(const char *id, int pending);
/* Quarantines a finalizing upload the scanner flagged: failed, with the
 * patient's message, the scanner's finding and the time; the sealed file stays. */
enum err uploads_quarantine(const char *id, const char *failure, const char *virus);
/* Finalizing uploads waiting for the virus scanner (at most 100). Arena-owned. */
enum err uploads_list_scan_waiting(struct arena *a, char ***ids, size_t *n);
enum err documents_insert(struct arena *a, const struct document_row *d, long long *id);
enum err documents_list(struct arena *a, long long request_id, struct document_row **out, size_t *n);
enum err documents_get(struct arena *a, long long id, struct document_row *out);
enum err documents_delete(long long id);
/* Sets a document's viewer metadata (JSON text) when it has none yet. */
enum err documents_set_image_info(long long id, const char *json);
/* Adds the keys of a JSON object to a document's viewer metadata (replacing keys it had). */
enum err documents_merge_image_info(long long id, const char *json);
/* Number of other documents or uploads using the same file id. */
enum err documents_file_refs(const unsigned char file_id[BLOB_ID_LEN], long long *n);

/* The request's status, locked FOR SHARE until the transaction ends (a
 * submission waits for it, and it for a submission). */
enum err requests_lock_status(struct arena *a, long long id, const char **status);
/* finalizing -> checking (the bytes are complete; intake is queued) with the
 * digests (blake2b of the kind digest_kind, store/blobfmt.h). ERR_CONFLICT
 * when the row was not finalizing. */
enum err uploads_set_checking(const char *id, int is_archive, const unsigned char blake2b[32],
                              const unsigned char *sha256, int digest_kind);
struct upload_usage {
  long long receiving;     /* the owner's unfinished, unexpired uploads */
  uint64_t bytes_day;      /* bytes of the owner's uploads created in the last 24 hours */
  uint64_t bytes_request;  /* bytes of the request's uploads not failed */
  long long archives;      /* the owner's archives finalizing or being checked */
};
/* What counts toward the per-patient quotas and the per-request limit. */
enum err uploads_usage(long long owner_id, long long request_id, struct upload_usage *out);
/* checking -> complete (intake done). ERR_CONFLICT when it was not checking
 * (another run of the same job got there first). */
enum err uploads_set_complete(const char *id);
/* Uploads of a request whose bytes are complete and whose intake is not done. */
enum err uploads_checking_count(long long request_id, long long *n);
/* The owner's archives being checked. */
enum err uploads_archives_checking(long long owner_id, long long *n);
/* The newest receipt of an upload; ERR_NOT_FOUND when there is none. */
enum err receipts_for_upload(struct arena *a, const char *upload_id, struct receipt_row *out);

enum err receipts_insert(long long request_id, const char *upload_id, const struct receipt_row *r);
enum err receipts_list(struct arena *a, long long request_id, struct receipt_row **out, size_t *n);
#endif
