/* SQL for the viewer's renditions (migrations/0018_viewer.sql): per image
 * document a state and two sealed blobs, a PNG preview and the frames. */
#ifndef SECONDOP_STORE_RENDITIONS_H
#define SECONDOP_STORE_RENDITIONS_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

struct arena;

/* A sealed blob a rendition names. */
struct rendition_blob {
  int present;
  unsigned char id[BLOB_ID_LEN];
  unsigned char wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek_version;
  uint64_t size;
};

struct rendition_row {
  long long document_id;
  const char *state; /* "preparing", "ready", "not_decodable" */
  const char *why;   /* "" unless not_decodable */
  struct rendition_blob preview, frames;
  long frame_count;
  uint64_t frame_bytes;
  unsigned rows, columns, samples, bytes_per_sample;
};

/* Registers the statements (call before threads start). */
void renditions_store_register(void);

/* The rendition of a document: ERR_OK, ERR_NOT_FOUND when there is none. Strings in the arena. */
enum err renditions_get(struct arena *a, long long document_id, struct rendition_row *out);
/* Every rendition of a request's documents (state and why only). Arena-owned. */
enum err renditions_list(struct arena *a, long long request_id, struct rendition_row **out, size_t *n);
/* Adds a 'preparing' row unless the document has one: *added 1 when it did. Runs in the caller's
 * transaction when one is open. */
enum err renditions_begin(long long document_id, int *added);
/* A rendition whose blobs went missing goes back to 'preparing' (blobs forgotten): *reset 1 when
 * the row was ready and changed. */
enum err renditions_reset(long long document_id, int *reset);
/* Records a prepared rendition (state ready) from r. ERR_NOT_FOUND when the row is gone (the
 * document was deleted meanwhile: the caller deletes the blobs). */
enum err renditions_set_ready(const struct rendition_row *r);
/* Records that the image cannot be shown, with a sentence for people. */
enum err renditions_set_not_decodable(long long document_id, const char *why);
/* The rendition blobs of the given document (before it is deleted), into ids (up to 2). Call it
 * in the deleting transaction: it locks the row, so that a render job finishing meanwhile either
 * named its blobs before (and they are returned) or finds the row gone (and deletes its own). */
enum err renditions_blobs_of(long long document_id, unsigned char ids[2][BLOB_ID_LEN], size_t *n);
/* The rendition blobs of a series' documents (before they are deleted): *ids in the arena. The
 * rows are locked as renditions_blobs_of's. */
enum err renditions_blobs_of_series(struct arena *a, long long request_id, long long series_id,
                                    unsigned char (**ids)[BLOB_ID_LEN], size_t *n);
/* How many renditions or documents name blob id (a blob is deleted only when none does). */
enum err renditions_blob_refs(const unsigned char id[BLOB_ID_LEN], long long *n);
#endif
