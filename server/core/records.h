/* Records: a request's documents, from resumable upload to intake.
 *
 * Uploads (tus state) belong to a request the actor owns; every byte is
 * sealed into the blob store as it arrives, and acknowledged only after it is
 * synced and its offset committed (checklist E.1). When the last byte is in,
 * the upload is finalized (sealed, renamed into the store, digest checked)
 * and taken in: the type is sniffed from content; DICOM files are read for
 * their study/series/instance and shown grouped; ZIP and ISO archives are
 * unpacked entry by entry into new blobs (never plaintext on disk); DICOMDIR,
 * viewer programs and autorun files are skipped with reasons; programs and
 * unknown types are refused, naming the file; the same SOPInstanceUID is
 * kept once per request.
 *
 * Digests: the records digest (store/blobfmt.h: BLAKE2b-256 over each
 * sealed record's nonce and tag, 40 bytes per 64 KiB record) is kept by the
 * blob writer as it seals; its running state is committed (sealed under the
 * file's key) with each offset, so a resumed upload continues it and
 * completion needs no read-back (a row without a usable state falls back to
 * one). Rows stored before migration 0032 hold the plaintext's BLAKE2b
 * instead (digest_kind 1); both are verified again before a download.
 * SHA-256 of the whole plaintext is computed only when the client declared
 * one (Upload-Metadata sha256) and is then compared; per-chunk SHA-256 is
 * checked when the client sends Upload-Checksum. Sealing, writing and the
 * declared SHA-256 run on a helper thread per PATCH, so receiving overlaps
 * them. Rationale: SHA-256 without hardware support runs ~240 MB/s here,
 * BLAKE2b ~830 MB/s, and neither is needed for integrity: the AEAD tags are.
 *
 * Access: records_request_open() is the one gate for reading: the owner, or a
 * center role through requests_access() (staff past draft, the assigned
 * reviewer); changes (uploads, removals) are the owner's alone. Another user's
 * request, upload or document is ERR_NOT_FOUND. Every view, upload,
 * download and deletion writes an audit row. */
#ifndef SECONDOP_RECORDS_H
#define SECONDOP_RECORDS_H
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/identity.h"
#include "store/uploads.h"
#include "util/err.h"

struct arena;

/* Opens the blob store under data_dir and registers statements. 0 or -1. */
int records_init(const char *data_dir);
/* Startup recovery: store recovery (uploads in progress only, read from the
 * database), then finishes uploads left finalizing (seal, rename, intake).
 * Does not look at stored files: that is the background sweep. 0 or -1. */
int records_recover(void);
/* Starts / stops the background sweeper that removes expired uploads, and
 * the blob store's consistency sweep of stored files (blobstore_sweep_*). */
void records_start_sweeper(void);
void records_stop_sweeper(void);
void records_shutdown(void);
/* The largest upload accepted (--max-file-size, default 8 GiB). */
uint64_t records_max_upload(void);
/* The most a request's files may hold together (--max-request-size, default 32 GiB). */
uint64_t records_max_request(void);

/* Limits from the configuration (0 keeps a default). Call before threads start. */
struct records_limits {
  uint64_t max_file, max_request; /* bytes per upload, per request */
  unsigned quota_uploads;         /* unfinished uploads per patient */
  uint64_t quota_daily;           /* bytes of uploads a patient starts per 24 hours */
  unsigned quota_archives;        /* a patient's archives being checked at once */
};
void records_set_limits(const struct records_limits *l);
/* Plain words saying which limit or quota refused the last call on this
 * thread (records_upload_create, records_append_commit), or NULL. */
const char *records_refusal(void);

/* The hook for a check of every finished file before intake (e.g. a virus
 * scanner): called on a job worker with a reader at the file's first byte.
 * Returns 0 (go on), 1 (refuse the file: why, in plain words, is shown to
 * the patient) or -1 (could not check now: the intake job is retried). */
typedef int (*records_scan_fn)(const struct upload_row *u, struct blob_reader *r, char *why, size_t whylen);
void records_set_scanner(records_scan_fn fn);

/* Where an upload stands, for the uploader's poll after its last byte. */
struct upload_status {
  const char *state;   /* receiving, checking (finalizing too), complete, failed */
  const char *outcome; /* "", "accepted", "partly" (some files refused), "refused", "failed" */
  const char *message; /* the receipt line or the failure reason, plain words */
  uint64_t offset, length;
  long long accepted, images, refused, skipped;
};
/* The owner's upload, in any state. ERR_NOT_FOUND otherwise. */
enum err records_upload_status(struct arena *a, const struct actor *who, const char *id, struct upload_status *out);

/* Loads a request the actor may read (owner, or staff/assigned reviewer via
 * requests_access). ERR_NOT_FOUND otherwise. */
enum err records_request_open(struct arena *a, const struct actor *who, long long id, struct request_row *out);

struct upload_new {
  long long request_id;
  const char *kind;            /* one of the document kinds */
  const unsigned char *name;   /* raw client name (bytes), sanitised here */
  size_t name_len;
  uint64_t length;
  int has_sha256;
  unsigned char sha256[32];
};
/* Creates an upload (row only; the staging file comes with the first bytes).
 * ERR_NOT_FOUND (request), ERR_INVALID (kind), ERR_TOO_LARGE (the file or
 * the request's total over its limit), ERR_TOO_MANY (a per-patient quota:
 * unfinished uploads, bytes per day, archives being checked; which one is
 * in records_refusal()), ERR_RECORDS_CLOSED (request neither a draft nor
 * waiting for information: req_records_open), ERR_NO_SPACE. id_out: 27
 * bytes. */
enum err records_upload_create(const struct actor *who, const struct upload_new *u, char id_out[27],
                               long long *expires_at);
/* An upload the actor owns and that has not expired. */
enum err records_upload_get(struct arena *a, const struct actor *who, const char *id, struct upload_row *out);
/* Waits (at most 1.5 s) while a PATCH of this upload is ending, so that a
 * HEAD right after a dropped connection reports the offset it kept. */
void records_upload_settle(const char *id);
/* This process's instance id (random per start), which names the upload leases it holds, and
 * the lease's length in seconds (SECONDOP_UPLOAD_LEASE_SECONDS, default 30). */
const char *records_instance_id(void);
int records_lease_seconds(void);
/* Terminates an upload: removes its bytes and row. */
enum err records_upload_delete(const struct actor *who, const char *id);

struct upload_session; /* one PATCH */
/* Starts a PATCH at client_offset with declared_len body bytes (or -1 when
 * unknown). want_sha256 non-NULL: the chunk's SHA-256 must match.
 * ERR_NOT_FOUND, ERR_RECORDS_CLOSED (the request no longer takes records),
 * ERR_CONFLICT (offset, or another PATCH in progress),
 * ERR_TOO_LARGE (past Upload-Length), ERR_NO_SPACE, ERR_UNAVAILABLE. The
 * session is freed by commit or abort. */
enum err records_append_begin(const struct actor *who, const char *id, uint64_t client_offset,
                              int64_t declared_len, const unsigned char *want_sha256, struct upload_session **out);
/* Seals len more bytes. ERR_TOO_LARGE past the length, ERR_NO_SPACE on a
 * full disk (rolled back to the last durable record), ERR_INTERNAL. */
enum err records_append_data(struct upload_session *s, const void *buf, size_t len);
/* Ends the PATCH: checks the chunk checksum (ERR_CHECKSUM, nothing kept),
 * syncs, commits the offset, and when complete finishes the file and, in
 * the transaction that marks it 'checking', queues its intake job (run by
 * a job worker; the answer does not wait for it). On completion:
 * ERR_CHECKSUM when the declared whole-file SHA-256 differs;
 * ERR_RECORDS_CLOSED when the request stopped taking records; ERR_TOO_MANY
 * when too many of the patient's archives are being checked (the upload is
 * then failed with the reason). Fills *offset and *expires_at. Frees s. */
enum err records_append_commit(struct upload_session *s, uint64_t *offset, long long *expires_at);
/* The request ended early (client gone, or an error): keeps what was
 * received durable (sync + commit) without acknowledging it. Frees s. */
void records_append_abort(struct upload_session *s, int keep);

/* Everything the records page shows. */
struct records_view {
  struct request_row request;
  struct series_row *series;
  size_t n_series;
  struct document_row *documents;
  size_t n_documents;
  struct receipt_row *receipts;
  size_t n_receipts;
  struct upload_row *pending;
  size_t n_pending;
  long long images, studies, pictures, pdfs, skipped, refused, failed_uploads, checking;
  long long kinds[9];        /* DICOM objects per enum sop_kind (dicom/sopclass.h) */
  long long frames, multiframe, incomplete; /* over the images */
  const char *summary;        /* "Received 8 images in 2 series from 2 studies; 3 files skipped: ..." */
  const char *warnings[16];   /* plain words */
  size_t n_warnings;
  int editable;               /* draft: documents can be removed */
  int uploadable;             /* draft or needs_info (req_records_open): files can be added */
  struct identity_report identity; /* whose images: every file checked, grouped per series */
};
enum err records_view_load(struct arena *a, const struct actor *who, long long request_id, struct records_view *v);
/* The identity check of a request's images (core/identity.h): every DICOM
 * file's patient name and birth date against the account holder, grouped
 * per series in SQL. Access as records_request_open (audited the same way);
 * ERR_NOT_FOUND without it. Everything in the arena. */
enum err records_identity(struct arena *a, const struct actor *who, long long request_id,
                          struct identity_report *out);
/* The same for a request the caller has already opened for this actor
 * (records_request_open or requests_access): no access check here. */
enum err records_identity_build(struct arena *a, long long request_id, long long patient_id,
                                struct identity_report *out);
enum err records_document_delete(const struct actor *who, long long request_id, long long doc_id);
enum err records_series_delete(const struct actor *who, long long request_id, long long series_id);

/* Download of one document: checks access, verifies the whole plaintext
 * against the recorded BLAKE2b (ERR_INTERNAL and an integrity_failure audit
 * row on any mismatch or authentication failure), audits the download and
 * returns a fresh reader positioned at the start. *content_type is the
 * server-determined type. */
enum err records_document_open(struct arena *a, const struct actor *who, long long request_id, long long doc_id,
                               struct document_row *doc, const char **content_type, struct blob_reader **reader);
/* For the request ZIP: access check and audit; lists the stored documents. */
enum err records_zip_open(struct arena *a, const struct actor *who, long long request_id, struct request_row *req,
                          struct document_row **docs, size_t *n);
/* The same for one study of the request (studies.id): its DICOM documents; ERR_NOT_FOUND when
 * the request has no such study (nothing audited then). The audit row names the study. */
enum err records_study_zip_open(struct arena *a, const struct actor *who, long long request_id, long long study_id,
                                struct request_row *req, struct document_row **docs, size_t *n);
/* A reader on one document's blob (no whole-file verification: the caller
 * streams, checks the digest at the end and cuts the connection on failure). */
int records_document_reader(const struct document_row *d, struct blob_reader **reader);
/* Records an integrity failure seen while streaming. */
void records_integrity_failure(const struct actor *who, const struct document_row *d, const char *where);
/* The check of a document's stored digest while its blob is read in order
 * to the end. Rows of digest kind 1 (stored before 0032, archive entries,
 * STOW-RS parts) hold the BLAKE2b-256 of the plaintext: only for them does the
 * caller hash what it reads (records_digest_wants_plain() says so) and pass
 * that hash. Rows of kind 2 hold the records digest, which the reader r
 * computed while authenticating every record. 1 when the stored digest
 * (blake2b_hex: the row's, in hex) matches, else 0. */
int records_digest_wants_plain(int digest_kind);
int records_digest_matches(int digest_kind, const char *blake2b_hex, const struct blob_reader *r,
                           const unsigned char plain_b2[32]);

/* Server-determined Content-Type for a sniffed type name. */
const char *records_content_type(const char *sniffed_type);
#endif
