/* Encrypted blob files and the master key ring (checklist section E.3 (b),
 * items 60, 61, 63, 77, 80).
 *
 * Key ring: <keys_dir>/master-<version>.key (32 random bytes, mode 0600 or
 * 0400, in a 0700 directory) and <keys_dir>/current (decimal version, written
 * atomically). Keys live in sodium_malloc'd (guarded, mlocked) memory and are
 * wiped by keyring_close().
 *
 * Data keys (DEK): 32 bytes per file, wrapped under the master key (KEK) of a
 * given version as nonce(24) || XChaCha20-Poly1305(DEK, AD = file_id ||
 * kek_version u32 BE) = 72 bytes.
 *
 * File layout (all integers big endian). Every new file is written in
 * format 2; format 1 files (written before) stay readable and are rewritten
 * as format 2 by `secondop reseal` (blob_reseal below).
 *   header, 48 bytes: "SOPBLOB1" | u32 format | u32 record = 65536 |
 *                     file_id[16] | field[16]
 *     format 2: field = 16 zero bytes (reserved; a reader refuses others)
 *     format 1: field = nonce_prefix (16 random bytes per file)
 *   record i, format 2 (stride 24 + 65536 + 16 = 65576 bytes):
 *                     nonce_i[24] || XChaCha20-Poly1305(plaintext_i,
 *                       nonce = nonce_i,
 *                       AD    = file_id || u64 i || u8 final)
 *     nonce_i is 24 fresh random bytes (libsodium randombytes_buf) drawn each
 *     time a record is sealed, so two seals never share a nonce (probability
 *     of a collision ~2^-96 after 2^48 records), even when a writer resumed
 *     from a checkpoint seals different plaintext at the same index.
 *   record i, format 1 (stride 65536 + 16 = 65552 bytes):
 *                     XChaCha20-Poly1305(plaintext_i,
 *                       nonce = nonce_prefix || u64 i,
 *                       AD    = file_id || u64 i || u8 final)
 *     (deterministic nonce: a resumed upload that resent different bytes for
 *     an unacknowledged record reused it; hence format 2.)
 * Every record holds exactly BLOB_RECORD plaintext bytes except the last,
 * which has final = 1 and holds 0..BLOB_RECORD bytes. An empty blob is one
 * final record of 0 bytes. Records have a fixed stride, so record i starts at
 * 48 + i * stride and a reader seeks without an index; the plaintext size
 * follows from the file length. The AD binds each record to its file, its
 * position and whether it is the last, so swapped, dropped, spliced or cut
 * records do not authenticate.
 *
 * Staging (resumable upload): new staging files are format 2. A format-1
 * staging file (an upload begun before the upgrade) is rewritten as format 2
 * by blob_writer_resume (startup recovery resumes every upload in progress,
 * so this happens once, before serving), so no record is sealed under a
 * derived nonce again. The file holds the header and full non-final
 * records only. The trailing 1..BLOB_RECORD bytes (the "tail") stay in the
 * writer; blob_writer_checkpoint() hands them out sealed under the DEK
 * (nonce(24) || AEAD(tail, AD = "tail" || file_id || u64 offset)) so the
 * caller stores them in the database with the committed offset. A full
 * record is written to the file only once at least one more byte follows, so
 * for a committed offset N the file holds floor((N - 1) / BLOB_RECORD) full
 * records (0 when N = 0) and the tail holds the rest.
 *
 * Threads: a blob_writer / blob_reader belongs to one thread at a time.
 * keyring_current_version, blob_dek_wrap and blob_dek_unwrap only read the
 * ring and may run concurrently; keyring_rotate, keyring_set_current,
 * keyring_forget and keyring_close modify it and must not run concurrently
 * with anything else on the same ring.
 *
 * Errors: functions return 0 (or a byte count) on success and -1 on error,
 * with a short reason copied into err (NUL-terminated, truncated to errlen;
 * err may be NULL). Functions that fail because of a system call leave errno
 * set from that call. The reasons never contain key material or plaintext. */
#ifndef SECONDOP_STORE_BLOBFMT_H
#define SECONDOP_STORE_BLOBFMT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BLOB_RECORD 65536
#define BLOB_ID_LEN 16
#define BLOB_DEK_LEN 32
#define BLOB_WRAPPED_LEN 72
#define BLOB_TAG_LEN 16
#define BLOB_NONCE_LEN 24 /* a format-2 record's stored nonce */
#define BLOB_FORMAT_V1 1u
#define BLOB_FORMAT_V2 2u /* what every new file is written in */
#define BLOB_RECORD_STRIDE_V1 (BLOB_RECORD + BLOB_TAG_LEN)
#define BLOB_RECORD_STRIDE_V2 (BLOB_NONCE_LEN + BLOB_RECORD + BLOB_TAG_LEN)
#define BLOB_HEADER_LEN 48 /* 8+4+4+16+16 (the brief said 44; its fields add up to 48) */
/* Sealed tail for t plaintext bytes: nonce(24) + t + tag(16). */
#define BLOB_SEALED_TAIL_OVERHEAD 40
#define BLOB_SEALED_TAIL_MAX (BLOB_SEALED_TAIL_OVERHEAD + BLOB_RECORD)
/* Largest plaintext a blob may hold (keeps every file offset in off_t). */
#define BLOB_MAX_PLAIN ((uint64_t)1 << 56)

struct keyring; /* opaque */

/* Opens the key ring in keys_dir and loads every master-<n>.key into locked
 * memory. With create_if_missing, creates the directory (0700), master-1.key
 * (0600) and `current` on first use. Refuses key files that are not regular
 * files, are accessible by group/other, or are not 32 bytes, and a directory
 * accessible by group/other. *out is owned by the caller: keyring_close(). */
int keyring_open(const char *keys_dir, int create_if_missing, struct keyring **out, char *err,
                 size_t errlen);
/* Wipes every key and frees the ring. NULL is fine. */
void keyring_close(struct keyring *kr);
/* Version named by `current` (the one new DEKs are wrapped with). */
uint32_t keyring_current_version(const struct keyring *kr);
/* Creates master-<max+1>.key (max = highest version present), loads it and
 * returns its number in *new_version. Does not switch `current`: the caller
 * rewraps DEKs first, then calls keyring_set_current(). */
int keyring_rotate(struct keyring *kr, uint32_t *new_version, char *err, size_t errlen);
/* Atomically points `current` at a loaded version (temp file, fsync, rename,
 * fsync directory). Call after the database rewrap has committed. */
int keyring_set_current(struct keyring *kr, uint32_t version, char *err, size_t errlen);
/* Deletes master-<version>.key and wipes it from memory. Refuses the current
 * version. Call only once no DEK is wrapped with it any more. */
int keyring_forget(struct keyring *kr, uint32_t version, char *err, size_t errlen);

/* Fills dek with a fresh random data key. Returns 0, or -1 if libsodium
 * cannot initialise. */
int blob_dek_new(unsigned char dek[BLOB_DEK_LEN]);
/* Wraps dek under master key `version` for file_id into out (72 bytes:
 * nonce || ciphertext). Returns -1 if the version is not loaded. */
int blob_dek_wrap(const struct keyring *kr, uint32_t version, const unsigned char file_id[BLOB_ID_LEN],
                  const unsigned char dek[BLOB_DEK_LEN], unsigned char out[BLOB_WRAPPED_LEN]);
/* Unwraps into dek. Returns -1 (dek zeroed) if the version is not loaded or
 * the wrapped key does not authenticate for this file_id and version. */
int blob_dek_unwrap(const struct keyring *kr, uint32_t version,
                    const unsigned char file_id[BLOB_ID_LEN],
                    const unsigned char wrapped[BLOB_WRAPPED_LEN], unsigned char dek[BLOB_DEK_LEN]);

struct blob_writer; /* opaque */

/* Creates a new staging file at path (O_CREAT|O_EXCL, 0600), writes the
 * header and returns a writer at offset 0. The writer keeps its own copy of
 * the DEK (the caller may wipe its copy). *out: blob_writer_finish() or
 * blob_writer_abort(). On error nothing is returned and a partly written file
 * is removed. */
int blob_writer_create(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                       const unsigned char dek[BLOB_DEK_LEN], struct blob_writer **out, char *err,
                       size_t errlen);
/* Reopens a staging file after a restart. committed_offset and the sealed tail
 * (from blob_writer_checkpoint, stored by the caller) come from the database;
 * sealed_tail may be NULL with length 0 when committed_offset is 0. Checks the
 * header and file_id, fails if the file is shorter than the records the
 * offset needs, verifies that the last full record authenticates, opens the
 * tail, then truncates the file to exactly those records (dropping
 * unacknowledged data) and syncs. A format-1 staging file is instead
 * rewritten as format 2 (<path>.v2tmp, each record authenticated, fsync,
 * rename over path, directory fsync); on failure it is left as it was.
 * *out as for blob_writer_create. */
int blob_writer_resume(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                       const unsigned char dek[BLOB_DEK_LEN], uint64_t committed_offset,
                       const unsigned char *sealed_tail, size_t sealed_tail_len,
                       struct blob_writer **out, char *err, size_t errlen);
/* Accepts len plaintext bytes: full records are sealed and written as they
 * fill, the last 1..BLOB_RECORD bytes stay in memory. With direct I/O (see
 * blob_set_direct_io) sealed records are gathered and written in 1 MiB
 * blocks, so the file holds every full record only from the next
 * checkpoint on. Memory use does not grow with len. On failure (ENOSPC, EDQUOT, EIO, size limit) the file is
 * truncated back to its size before the call, the writer is restored to its
 * state before the call and -1 is returned with errno preserved from the
 * failing call (EFBIG for the size limit), so ENOSPC can become a 507. */
int blob_writer_append(struct blob_writer *w, const void *data, size_t len, char *err,
                       size_t errlen);
/* Records of staging files are written with O_DIRECT where the file system
 * takes it (the default); blob_set_direct_io(0) makes writers created after
 * the call use ordinary writes. blob_writer_direct says which a writer uses. */
void blob_set_direct_io(int on);
int blob_writer_direct(const struct blob_writer *w);
/* Plaintext bytes accepted so far (file records + tail). */
uint64_t blob_writer_offset(const struct blob_writer *w);
/* Side state sealed with a file's DEK (used for the running digests of an
 * upload, stored beside the sealed tail): out = nonce(24) || AEAD(plain,
 * AD = "state" || label(8, NUL-padded) || file_id || u64 offset) — bound to
 * the file, the purpose and the offset it describes. BLOB_STATE_OVERHEAD
 * bytes more than the plaintext. */
#define BLOB_STATE_OVERHEAD 40
#define BLOB_STATE_LABEL_MAX 8
/* Seals len bytes under the writer's DEK for its current offset into *out
 * (malloc'd, caller frees; ciphertext). label: up to 8 bytes. 0 or -1. */
int blob_writer_seal_state(const struct blob_writer *w, const char *label, const void *plain, size_t len,
                           unsigned char **out, size_t *out_len, char *err, size_t errlen);
/* Opens a sealed state for (dek, file_id, label, offset) into plain (cap
 * bytes; the plaintext length must be exactly cap). 0, or -1 (plain zeroed)
 * when it does not authenticate or has another length. */
int blob_state_open(const unsigned char dek[BLOB_DEK_LEN], const unsigned char file_id[BLOB_ID_LEN],
                    const char *label, uint64_t offset, const unsigned char *sealed, size_t sealed_len,
                    void *plain, size_t cap, char *err, size_t errlen);
/* fdatasyncs the file, then returns the sealed tail for the current offset in
 * *sealed_tail (malloc'd, caller frees; it is ciphertext) and its length
 * (BLOB_SEALED_TAIL_OVERHEAD + tail bytes). Store it with
 * blob_writer_offset() in one commit. */
int blob_writer_checkpoint(struct blob_writer *w, unsigned char **sealed_tail, size_t *sealed_len,
                           char *err, size_t errlen);
/* Seals the tail as the final record, fsyncs, renames the staging file to
 * final_path (same filesystem) and fsyncs the directory of final_path. Frees
 * w in all cases; on failure the staging file stays (a later resume drops the
 * final record again). */
int blob_writer_finish(struct blob_writer *w, const char *final_path, char *err, size_t errlen);
/* Closes and frees the writer, wiping the DEK and buffered plaintext. Leaves
 * the file. NULL is fine. */
void blob_writer_abort(struct blob_writer *w);
/* Like blob_writer_abort, but first cuts the staging file back to the full
 * records that committed_offset needs (blob_disk_size_staging) and syncs it,
 * so the records a failed append or an unacknowledged PATCH wrote leave the
 * disk now instead of at the next resume. Does nothing to a file that is not
 * longer than that. Frees w in all cases. 0, or -1 (err, errno) when the
 * truncation failed (the next resume still cuts the file). NULL is fine. */
int blob_writer_abort_to(struct blob_writer *w, uint64_t committed_offset, char *err, size_t errlen);

struct blob_reader; /* opaque */
/* Object backends other than the directory (the s3:// store) plug into the
 * writer and the reader through these. A sink receives the sealed file
 * strictly in order (write at the current end), may be cut back, keeps
 * bytes it has not made durable yet (they go into the writer's checkpoint,
 * after the sealed tail: see blob_writer_checkpoint), and makes the object
 * whole and visible at commit. Calls return 0, or -1 with errno (and err). */
struct blob_sink {
  void *ctx;
  int (*write)(void *ctx, const void *buf, size_t len, uint64_t off, char *err, size_t errlen);
  int (*truncate)(void *ctx, uint64_t len, char *err, size_t errlen);
  /* bytes [off, off+len) the sink still holds in memory, or -1 (ENOENT) */
  int (*read)(void *ctx, void *buf, size_t len, uint64_t off);
  /* the sink's state to keep beside the sealed tail (malloc'd; may be empty) */
  int (*state)(void *ctx, unsigned char **out, size_t *len, char *err, size_t errlen);
  int (*commit)(void *ctx, char *err, size_t errlen);
  void (*free)(void *ctx);
};
/* A writer over a new object in a sink (the header is written at once). The
 * writer owns the sink from the call on (sink->free at the end, also on
 * failure). */
int blob_writer_create_sink(struct blob_sink *sink, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], struct blob_writer **out, char *err,
                            size_t errlen);
/* A writer resumed over a sink restored to committed_offset (its full
 * records written, its own state loaded); sealed_tail as for
 * blob_writer_resume (the first blob_sealed_tail_len(committed_offset)
 * bytes of what the checkpoint handed out; the rest is the sink's state).
 * Owns the sink from the call on. */
int blob_writer_resume_sink(struct blob_sink *sink, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], uint64_t committed_offset,
                            const unsigned char *sealed_tail, size_t sealed_tail_len, struct blob_writer **out,
                            char *err, size_t errlen);
/* Seals the final record and commits the sink; frees w in all cases. */
int blob_writer_finish_sink(struct blob_writer *w, char *err, size_t errlen);
/* Length of the sealed tail for a committed offset (0 when the offset is 0). */
size_t blob_sealed_tail_len(uint64_t committed_offset);

/* A read-only object: its size and a positioned read (fewer bytes only at
 * the end; -1 with errno on failure). */
struct blob_source {
  void *ctx;
  uint64_t size;
  ssize_t (*read)(void *ctx, void *buf, size_t len, uint64_t off, char *err, size_t errlen);
  void (*free)(void *ctx);
};
/* As blob_reader_open over a source; the reader owns it (also on failure). */
int blob_reader_open_source(struct blob_source *src, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], struct blob_reader **out, char *err,
                            size_t errlen);


/* Opens a finished blob, checks the header and file_id and derives the
 * plaintext size from the file length. The reader copies the DEK. *out:
 * blob_reader_close(). */
int blob_reader_open(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                     const unsigned char dek[BLOB_DEK_LEN], struct blob_reader **out, char *err,
                     size_t errlen);
/* Copies up to cap plaintext bytes into buf, decrypting one record at a time.
 * Returns the number of bytes copied (> 0), 0 once the final record has been
 * verified and everything returned (or when cap is 0), and -1 on an I/O,
 * truncation or authentication failure. Only authenticated bytes are ever
 * copied. After -1 every later call fails too. Bytes returned before a
 * failure came from records that did authenticate, but the caller must treat
 * the whole object as failed unless it reaches 0. */
ssize_t blob_reader_read(struct blob_reader *r, void *buf, size_t cap, char *err, size_t errlen);
/* Moves to plaintext offset off (<= the size); the next read starts there.
 * Loads and authenticates the record holding it. 0, or -1 (err). */
int blob_reader_seek(struct blob_reader *r, uint64_t off, char *err, size_t errlen);
/* Plaintext size computed from the file length at open time. */
uint64_t blob_reader_size(const struct blob_reader *r);
/* Closes, wipes and frees. NULL is fine. */
void blob_reader_close(struct blob_reader *r);

/* Records digest (the stored digest of kind 2, BLOB_DIGEST_KIND_RECORDS):
 * BLAKE2b-256 (unkeyed) over
 *   "SOPRDIG1" || u32 BE format || file_id[16]
 *   || for every record i in file order: nonce_i[24] || tag_i[16]
 *      (format 1: the derived nonce prefix || u64 i)
 *   || u64 BE number of records || u64 BE plaintext size.
 * It costs 40 bytes of hashing per 64 KiB record instead of the whole
 * plaintext. Each tag authenticates its record under the file's DEK with AD
 * file_id || index || final, so a file that reads back fully with this
 * digest is exactly the sequence of sealings the writer produced, in order,
 * complete, and not some other authentic sealing of the same index (a record
 * from before a resume, a snapshot, a freed block). What it does not give:
 * a commitment to the content that survives a leak of the DEK (Poly1305 is
 * not collision resistant for a key holder); a key holder who can write the
 * store can also write the database. Kind 1 (BLOB_DIGEST_KIND_PLAIN, rows
 * written before) is BLAKE2b-256 of the whole plaintext. */
#define BLOB_DIGEST_LEN 32
#define BLOB_DIGEST_KIND_PLAIN 1
#define BLOB_DIGEST_KIND_RECORDS 2
/* Bytes of an exported running records digest (u64 BE records covered ||
 * nonce || tag of the last of them || the BLAKE2b state). */
size_t blob_digest_state_len(void);
/* Exports the writer's running records digest, which covers exactly the full
 * records in the file (what a checkpoint keeps), into out (len must be
 * blob_digest_state_len()). -1 when the writer has none (resumed at a
 * non-zero offset without an import, or its file was rewritten from v1). */
int blob_writer_digest_export(const struct blob_writer *w, unsigned char *out, size_t len);
/* Restores a running records digest exported at the writer's committed
 * offset. -1 (and no digest) when it covers another number of records, does
 * not end with the record the staging file ends with (the file was rewritten
 * or replaced since), or the staging file was rewritten from format 1 by the
 * resume. */
int blob_writer_digest_import(struct blob_writer *w, const unsigned char *in, size_t len);
/* blob_writer_finish that also hands out the file's records digest in
 * digest (*have_digest = 1) when the writer kept one from record 0 (else
 * *have_digest = 0: read the finished file with a blob_reader to get it).
 * digest and have_digest may be NULL. */
int blob_writer_finish_digest(struct blob_writer *w, const char *final_path, unsigned char digest[BLOB_DIGEST_LEN],
                              int *have_digest, char *err, size_t errlen);
/* blob_writer_finish_sink, handing out the records digest the same way. */
int blob_writer_finish_sink_digest(struct blob_writer *w, unsigned char digest[BLOB_DIGEST_LEN], int *have_digest,
                                   char *err, size_t errlen);
/* The records digest of a reader that has read the whole file in order from
 * the start (blob_reader_read returned 0, no seek elsewhere). 0, or -1. */
int blob_reader_digest(const struct blob_reader *r, unsigned char out[BLOB_DIGEST_LEN]);

/* Exact on-disk size of a finished format-2 blob holding plain bytes. */
uint64_t blob_disk_size_final(uint64_t plain);
/* Exact on-disk size of a format-2 staging file whose committed offset is
 * committed_offset (header + full non-final records only). */
uint64_t blob_disk_size_staging(uint64_t committed_offset);

/* Reads the header's format field (1 or 2; other values are returned as
 * found) without authenticating anything. 0, or -1 when the file cannot be
 * read or has no blob magic. */
int blob_file_format(const char *path, uint32_t *format, char *err, size_t errlen);
/* secondop reseal, one file: rewrites the finished blob at path (format 1)
 * as format 2 with the same file id and DEK (nonces are random now, so the
 * key may stay). Steps: remove tmp_path if an interrupted run left it;
 * return 1 at once when path is already format 2; copy every record
 * (authenticating each) into a new format-2 file at tmp_path (same
 * directory), fsync it, read it back fully and compare the plaintext hash
 * and length with the source's; then atomically exchange tmp_path and path
 * (renameat2 RENAME_EXCHANGE, which fails if path was deleted meanwhile, so
 * a deleted file never comes back), remove the old file and fsync the
 * directory. Safe to kill at any point: path is always a complete v1 or v2
 * file, and a rerun finishes the job. A reader holding the old file open
 * keeps reading it. Never call it on a staging file. *plain_bytes (may be
 * NULL) = the plaintext size converted. 0 converted, 1 already format 2,
 * -1 on error (err; path unchanged, tmp_path removed). */
int blob_reseal(const char *path, const char *tmp_path, const unsigned char file_id[BLOB_ID_LEN],
                const unsigned char dek[BLOB_DEK_LEN], uint64_t *plain_bytes, char *err, size_t errlen);

#endif
