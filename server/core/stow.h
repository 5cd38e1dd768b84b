/* STOW-RS (PS3.18 10.5): staff attach DICOM instances pushed from the center's own systems
 * (priors from its PACS) to a request. A session takes the instances of one STOW-RS request
 * as they stream in: each part is sealed into a new blob of the store while it arrives
 * (never held in memory), hashed (BLAKE2b) on the way; when the body is complete and
 * well-formed, stow_commit inserts one upload per part in 'checking' and queues its intake job
 * in one transaction, so the parts go through the very intake a patient's upload goes through
 * (sniffing, DICOM header and character set, dicom_attrs, studies and series, renditions) on
 * the job workers, never on an HTTP thread. Intake writes each part's PS3.18 outcome on its
 * row; stow_pending says how many are still being taken in, stow_results reads them.
 *
 * Nothing is kept from a request that fails as a whole (malformed body, over a limit, client
 * gone): stow_free deletes the blobs of a session that was not committed. */
#ifndef SECONDOP_STOW_H
#define SECONDOP_STOW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/requests.h"
#include "util/err.h"

struct arena;

/* PS3.18 Table 10.5.3-1 / PS3.4 Annex B status codes answered in FailureReason (00081197). */
#define STOW_STORED 0x0000
#define STOW_PROCESSING_FAILURE 0x0110
#define STOW_DUPLICATE 0x0111
#define STOW_OUT_OF_RESOURCES 0xA700
#define STOW_SOP_MISMATCH 0xA900
#define STOW_CANNOT_UNDERSTAND 0xC000
/* An instance of another study sent to POST …/studies/{study}: PS3.18 names no code of its own,
 * so the PS3.4 (Annex B) error class for a data set that does not match what it is stored as. */
#define STOW_STUDY_MISMATCH 0xA900

/* Pure rule: a request takes STOW-RS instances once it is past draft and until it is closed,
 * declined or withdrawn. */
bool stow_request_open(enum req_status st);

/* Plain words for the last refusal of stow_begin / stow_part_data on this thread, or NULL. */
const char *stow_refusal(void);

struct stow_session;
/* Starts a STOW-RS request for request_id (kind: "images" or "prior_images"), declared_len
 * body bytes or -1 when chunked. ERR_FORBIDDEN (not staff), ERR_NOT_FOUND (no such request the
 * actor may see: staff see requests past draft), ERR_RECORDS_CLOSED (closed, declined,
 * withdrawn), ERR_INVALID (kind), ERR_TOO_LARGE (the request's limit), ERR_NO_SPACE,
 * ERR_UNAVAILABLE. Refusals are audited; the words are in stow_refusal(). */
enum err stow_begin(const struct actor *who, long long request_id, const char *kind, int64_t declared_len,
                    struct stow_session **out);
/* A new part begins / more of its bytes / it ended. ERR_TOO_LARGE (one file over the largest
 * accepted, or the request over its limit: words in stow_refusal()), ERR_NO_SPACE, ERR_INTERNAL. */
enum err stow_part_begin(struct stow_session *s);
enum err stow_part_data(struct stow_session *s, const void *buf, size_t n);
enum err stow_part_end(struct stow_session *s);
/* The body is complete: inserts the parts as uploads in 'checking' with their intake jobs and the
 * dicomweb.store audit row, in one transaction that re-checks the request (ERR_RECORDS_CLOSED).
 * After ERR_OK the blobs belong to the rows. */
enum err stow_commit(struct stow_session *s);
/* Parts of a committed session still being taken in (one database read; callable from any
 * thread while the request's own thread does not use s). */
enum err stow_pending(struct stow_session *s, long long *n);

struct stow_outcome {
  int status;         /* STOW_* (0: stored) */
  int pending;        /* still being taken in when the wait ended (status is STOW_OUT_OF_RESOURCES) */
  const char *sop_class, *sop_instance, *study_uid, *series_uid; /* "" when unknown */
};
/* Each part's outcome, in body order (arena), and an audit row dicomweb.store.outcome with the
 * counts. */
enum err stow_results(struct arena *a, struct stow_session *s, struct stow_outcome **out, size_t *n);
/* A thread that called stow_pending is ending: closes its database connection. */
void stow_thread_done(void);
/* STOW-RS to one study (POST /dicom-web/studies/{study}, PS3.18 10.5): intake takes only the
 * instances of this Study Instance UID and refuses the others with STOW_STUDY_MISMATCH. Call
 * before the first part. 0, or -1 when the UID is not one (digits and dots, 1-64). */
int stow_set_study(struct stow_session *s, const char *study_uid);
/* Number of parts begun. */
size_t stow_parts(const struct stow_session *s);
/* Frees the session; a session that was not committed deletes its blobs and writes a
 * dicomweb.store audit row with outcome "failed". NULL is fine. */
void stow_free(struct stow_session *s);
#endif
