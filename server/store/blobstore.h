/* The blob store: encrypted files by server-generated id, over a directory
 * backend (<data-dir>/files/, staging/, quarantine/; 0700 directories, 0600
 * files; names are the hex file id, never a client name). The on-disk
 * format and the key ring are blobfmt.h; this is the interface the domain
 * uses (put / open / read / delete by id), so another backend (an object
 * store) can replace the directory later. Also: start-up recovery, the
 * background consistency sweep, the free-space reserve, and master key
 * rotation.
 *
 * Threads: blobstore_init/recover/rotate run before (or without) the HTTP
 * threads; everything else may run concurrently (the sweep runs on its own
 * thread). */
#ifndef SECONDOP_BLOBSTORE_H
#define SECONDOP_BLOBSTORE_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

/* Backends. The directory under --data-dir is the default; an S3-compatible
 * object store (--blob-store s3://bucket/prefix) is chosen with
 * blobstore_use_s3 before blobstore_init (the key ring stays in
 * <data-dir>/keys/; encryption is ours, the bucket only ever holds sealed
 * bytes). blobstore_init then checks that the bucket answers with the
 * credentials and refuses to start otherwise. Every function below works
 * on either backend; a failure of the object store later sets errno to
 * BLOBSTORE_EUNAVAILABLE (the caller answers 503). */
#define BLOBSTORE_EUNAVAILABLE EHOSTDOWN
struct blobstore_s3_settings {
  const char *url, *endpoint, *region, *access_key, *secret_key;
};
/* 0, or -1 with a reason in err (never the secret). */
int blobstore_use_s3(const struct blobstore_s3_settings *s, char *err, size_t errlen);
/* 1 when the s3:// backend is in use. */
int blobstore_is_s3(void);
/* "directory DIR" or "s3://bucket/prefix at ENDPOINT" (for the log). */
const char *blobstore_describe(void);

/* Uploads in progress (tus): a writer for the upload's blob at its committed
 * offset, from the tail its last checkpoint stored (stored/stored_len, as
 * blob_writer_checkpoint handed it out; NULL/0 at offset 0, which starts
 * over). Directory: the staging file, created or resumed (cut back to the
 * offset). S3: the multipart upload, its unfinished part restored from the
 * stored tail. errno ENOSPC, BLOBSTORE_EUNAVAILABLE, ... on failure. */
int blobstore_upload_open(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                          uint64_t committed_offset, const unsigned char *stored, size_t stored_len,
                          struct blob_writer **w, char *err, size_t errlen);
/* 1 when the upload's blob is still being written (a staging file; for S3
 * no finished object yet), 0 when it was finished already, -1 when the
 * store cannot tell (errno). */
int blobstore_upload_pending(const unsigned char id[BLOB_ID_LEN]);
/* Seals the last record and makes the blob the finished file for id
 * (directory: rename into files/; S3: complete the multipart upload). Frees
 * w in all cases. 0 or -1 (errno). */
int blobstore_upload_finish(struct blob_writer *w, const unsigned char id[BLOB_ID_LEN],
                            unsigned char digest[BLOB_DIGEST_LEN], int *have_digest, char *err, size_t errlen);
/* Drops an unfinished upload's bytes (directory: the staging file; S3:
 * aborts its multipart uploads). 0 or -1. */
int blobstore_upload_discard(const unsigned char id[BLOB_ID_LEN]);

/* Opens the store under data_dir: creates the directories (0700) and the key
 * ring (<data-dir>/keys/, first key on first run) and registers the store's
 * statements. The free-space reserve is SECONDOP_STORE_RESERVE_BYTES when set,
 * else min(2 GiB, 5 % of the volume). 0, or -1 with a reason in err. */
int blobstore_init(const char *data_dir, char *err, size_t errlen);
/* Wipes the key ring. Safe when init did not run. */
void blobstore_shutdown(void);

/* Path of a staging (staging = 1) or final file for id into out. 0 or -1. */
int blobstore_path(const unsigned char id[BLOB_ID_LEN], int staging, char *out, size_t cap);
/* Hex form of an id (33 bytes with the NUL). */
void blobstore_id_hex(const unsigned char id[BLOB_ID_LEN], char out[2 * BLOB_ID_LEN + 1]);
/* Parses 32 hex digits. 0 or -1. */
int blobstore_id_parse(const char *hex, unsigned char id[BLOB_ID_LEN]);

/* ERR_OK when the store's volume has `need` bytes free above the reserve,
 * else ERR_NO_SPACE (507); ERR_INTERNAL when statvfs fails. It reads the
 * volume's free space as it is: callers cut a staging file back to its
 * committed offset (blob_writer_resume, blob_writer_abort_to) before asking,
 * so unacknowledged bytes are never counted as used. */
enum err blobstore_space_check(uint64_t need);

/* A new file identity: random id and data key, the key wrapped under the
 * current master key (*kek_version). The caller wipes dek. 0 or -1. */
int blobstore_new_file(unsigned char id[BLOB_ID_LEN], unsigned char dek[BLOB_DEK_LEN],
                       unsigned char wrapped[BLOB_WRAPPED_LEN], uint32_t *kek_version);
/* Unwraps a stored data key (wrapped_len must be 72). 0, or -1 (dek zeroed). */
int blobstore_unwrap(const unsigned char id[BLOB_ID_LEN], const unsigned char *wrapped, size_t wrapped_len,
                     uint32_t kek_version, unsigned char dek[BLOB_DEK_LEN]);

/* put, in two steps: a writer on a new staging file for id, then commit
 * (seal the final record, fsync, rename into files/, fsync the directory).
 * commit frees w in all cases; on failure the staging file is removed. */
int blobstore_put_begin(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                        struct blob_writer **w, char *err, size_t errlen);
int blobstore_put_commit(struct blob_writer *w, const unsigned char id[BLOB_ID_LEN], char *err, size_t errlen);
/* open: a reader on the final file for id (blob_reader_read, then
 * blob_reader_close). 0 or -1 (errno ENOENT when there is no such file). */
int blobstore_open(const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                   struct blob_reader **out, char *err, size_t errlen);
/* delete: removes the final and the staging file of id (absent is fine) and
 * syncs the directories. 0 or -1. */
int blobstore_delete(const unsigned char id[BLOB_ID_LEN]);

/* Start-up recovery, file level (run before serving, after the database is
 * migrated). Reads only the uploads in progress from the database, never
 * the stored files, so it takes the same time with 100 or 1,000,000 files:
 * truncates each receiving upload's staging file to its committed offset
 * (rewriting a format-1 one), removes the bytes of expired uploads and fails
 * uploads whose committed bytes have no staging file. Finalizing uploads are
 * left to the domain (records_recover). Files no row names, quarantine
 * purging and rows whose file is missing are the background sweep's
 * (blobstore_sweep_start). Counts are written to *report when not NULL. 0 or
 * -1. Only uploads whose lease (migrations/0033) is free, lapsed or this data
 * directory's are touched, each under the lease taken for owner (an instance
 * id, records_instance_id) for lease_seconds and let go afterwards: another
 * live instance's uploads are left alone (counted in held). */
struct blobstore_recovery {
  unsigned truncated, expired, missing, held;
};
int blobstore_recover(const char *owner, int lease_seconds, struct blobstore_recovery *report);

/* The consistency sweep of stored files, on its own thread (never an HTTP
 * thread), paced, first pass right after start, then every
 * SECONDOP_STORE_SWEEP_HOURS (default 24, 1-8760). Each pass:
 *  - deletes quarantined files older than 24 hours;
 *  - lists staging/ and files/, THEN reads the ids every row names
 *    (uploads in progress, documents, renditions), and moves to quarantine/
 *    an entry that (1) no row in that read names, (2) was not written by
 *    this process through blobstore_put_begin with its row still to come
 *    (an in-memory set: the id enters before the file exists, leaves when the
 *    file is deleted or a row is seen naming it), (3) was last modified at
 *    least BLOBSTORE_ORPHAN_AGE_SECONDS ago (a name that is not a file id, a
 *    temp file such as <id>.reseal: modified or renamed), and (4) no row
 *    names when asked again just before the move. A file created after the
 *    listing is not looked at in this pass;
 *  - logs each document row whose file is missing.
 * Pace: at most SECONDOP_STORE_SWEEP_RATE files or rows a second (default
 * BLOBSTORE_SWEEP_RATE_DEFAULT; 0 = unpaced). Progress and result go to the
 * log ("store sweep: ...") and to blobstore_sweep_get_stats (for /metrics).
 * Reads its settings at blobstore_init (which refuses invalid values). */
#define BLOBSTORE_SWEEP_RATE_DEFAULT 2000
#define BLOBSTORE_SWEEP_HOURS_DEFAULT 24
#define BLOBSTORE_ORPHAN_AGE_SECONDS 3600
struct blobstore_sweep_stats {
  int running;                          /* a pass is under way */
  unsigned long long passes;            /* passes finished since start */
  unsigned long long listed, checked;   /* files listed / looked at by the running or last pass */
  unsigned long long checked_total, quarantined_total, purged_total; /* since start */
  unsigned long long missing;           /* document rows without a file, last finished pass */
  double last_duration;                 /* seconds, last finished pass */
  long long last_finished;              /* unix time, 0 before the first */
};
/* On the s3:// store the same pass, over objects (README "Start-up in
 * constant time, and the sweep of stored files"):
 *  - deletes objects under PREFIX/quarantine/ whose LastModified is older
 *    than 24 hours;
 *  - lists the objects under PREFIX/files/ and the multipart uploads in
 *    progress there, THEN reads the rows; an object that meets (1)-(4) (age:
 *    its LastModified) is copied server-side to PREFIX/quarantine/<name> and
 *    then deleted from files/; a multipart upload that meets them (age: the
 *    later of its Initiated time and its newest part's LastModified, so one
 *    that another instance is still sending, unseen by (2) here, is left)
 *    is aborted;
 *  - logs each document row whose object is missing (HEAD answers 404).
 * Test builds: SECONDOP_TEST_SWEEP_MIN_AGE_SECONDS (0-86400) replaces
 * BLOBSTORE_ORPHAN_AGE_SECONDS and SECONDOP_TEST_QUARANTINE_GRACE_SECONDS
 * the 24 hours in quarantine, for both stores. */
/* Starts the sweep thread (once; again after a stop). 0 or -1. */
int blobstore_sweep_start(void);
/* Asks the sweep to stop and joins it; a pass stops within one pacing step
 * (at most 1/20 s of work), without waiting for its end. */
void blobstore_sweep_stop(void);
/* A consistent copy of the sweep's figures. */
void blobstore_sweep_get_stats(struct blobstore_sweep_stats *out);

/* s3:// only: calls fn for each object under PREFIX/files/ with its name
 * (the key after "files/"), size and LastModified (unix seconds, 0 when
 * unknown), page after page; fn's return != 0 stops the listing (still 0).
 * Shared by the sweep and verify-store. 0, or -1 with a reason in err
 * (errno ENOENT on the directory store, which has no objects to list). */
typedef int (*blobstore_object_fn)(void *ctx, const char *name, uint64_t size, int64_t modified);
int blobstore_list_objects(blobstore_object_fn fn, void *ctx, char *err, size_t errlen);

/* secondop rotate-key: makes a new master key, rewraps every data key in the
 * database in one transaction, switches `current` only after the commit,
 * then removes the old key files. Ciphertext is never touched. Prints a line
 * per step to stdout. 0 or -1. */
int blobstore_rotate_key(void);

/* secondop reseal: rewrites every finished file (files/) still in blob
 * format 1 as format 2 (blob_reseal: temp file, fsync, verified read-back,
 * atomic exchange, directory fsync), one file at a time, with the data keys
 * from the database. Staging files are never touched (start-up recovery
 * rewrites format-1 staging files through blob_writer_resume). Safe while
 * the server runs and safe to kill at any moment: a rerun skips files
 * already format 2 and removes temp files left behind. Prints a progress
 * line per file (files done/total, bytes done/total) to stdout, reasons to
 * stderr. 0 when no file failed, else -1. */
struct blobstore_reseal_report {
  unsigned total, converted, already, gone, failed;
  uint64_t total_bytes, done_bytes;
};
int blobstore_reseal(struct blobstore_reseal_report *report);
#endif
