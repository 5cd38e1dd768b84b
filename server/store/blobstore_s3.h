/* The s3:// backend of the blob store (internal to blobstore.c; see
 * blobstore.h for the interface and README "Blob store backends").
 *
 * Object names: <prefix>/files/<hex file id> for every blob, finished or
 * not. A blob written through a writer goes up as an S3 multipart upload to
 * that key: parts of BS3_PART bytes (the sealed file cut at fixed offsets,
 * part n holding bytes [(n-1)*BS3_PART, n*BS3_PART)); the bytes of the
 * unfinished part stay in memory and, at each checkpoint, go into the state
 * kept in PostgreSQL beside the sealed tail (so an acknowledged byte is in a
 * stored part or in the database). Commit uploads the last part and
 * completes the upload (a blob that never filled a part is one PutObject).
 * Reads are ranged GETs through a window that grows while reading in order
 * (one record for a seek, up to 8 MiB when streaming). */
#ifndef SECONDOP_STORE_BLOBSTORE_S3_H
#define SECONDOP_STORE_BLOBSTORE_S3_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "store/s3.h"

#define BS3_PART ((size_t)5 << 20) /* S3's smallest part (but the last) */

/* errno for "the object store cannot be reached or refuses us" (a 503) */
#define BS3_EUNAVAILABLE EHOSTDOWN

int bs3_key(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *out, size_t cap);
/* A fresh sink for a new blob, or one restored from a checkpoint's state
 * (state/state_len: what follows the sealed tail; NULL/0 for a fresh one). */
struct blob_sink *bs3_sink_new(struct s3 *s, const unsigned char id[BLOB_ID_LEN], const unsigned char *state,
                               size_t state_len, char *err, size_t errlen);
/* A source over the finished object (HEAD for its size). errno ENOENT when
 * absent, BS3_EUNAVAILABLE when the store does not answer. */
struct blob_source *bs3_source_new(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen);
/* Aborts every multipart upload in progress for id. 0 or -1. */
int bs3_discard(struct s3 *s, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen);
/* Sets errno from a failure class. */
void bs3_errno(enum s3_fail f);
#endif
