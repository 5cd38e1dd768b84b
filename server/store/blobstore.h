/* The blob store: encrypted files by server-generated id, over a directory
 * backend (<data-dir>/files/, staging/, quarantine/; 0700 directories, 0600
 * files; names are the hex file id, never a client name). The on-disk
 * format and the key ring are blobfmt.h; this is the interface the domain
 * uses (put / open / read / delete by id), so another backend (an object
 * store) can replace the directory later. Also: startup recovery and
 * garbage collection, the free-space reserve, and master key rotation.
 *
 * Threads: blobstore_init/recover/rotate run before (or without) the HTTP
 * threads; everything else may run concurrently. */
#ifndef SECONDOP_BLOBSTORE_H
#define SECONDOP_BLOBSTORE_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

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
 * else ERR_NO_SPACE (507); ERR_INTERNAL when statvfs fails. */
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

/* Startup recovery, file level (run before serving, after the database is
 * migrated): truncates each receiving upload's staging file to its committed
 * offset, moves files that no row names to quarantine/, deletes quarantined
 * files older than 24 hours, removes the bytes of expired uploads, and logs
 * rows whose file is missing. Finalizing uploads are left to the domain
 * (records_recover). Counts are written to *report when not NULL. 0 or -1. */
struct blobstore_recovery {
  unsigned truncated, quarantined, purged, expired, missing;
};
int blobstore_recover(struct blobstore_recovery *report);

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
