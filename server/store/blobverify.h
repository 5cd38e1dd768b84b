/* secondop verify-store: checks the blob store against the database, read
 * only (backup and restore checks, and a running server's store).
 *
 * For every row that names a stored blob (documents, the viewer's preview and
 * frames renditions, uploads being checked after completion) it checks that
 * the file exists in <data-dir>/files, that the row's data key unwraps with
 * the key ring in <data-dir>/keys (opened read only: a missing ring is an
 * error, never a new key), that every record authenticates to the final
 * record, and that the plaintext has the row's size and digests (BLAKE2b-256,
 * and SHA-256 where the row has one). Then it lists files in files/ that no
 * row names (on the s3:// store the objects under PREFIX/files/, through
 * blobstore_list_objects, the listing the background sweep uses). It reads
 * one record at a time (memory does not grow with the
 * size or number of files) and asks the database in batches, each a short
 * statement (no long transaction, no cursor held open beside a live server).
 * It moves, deletes and rewrites nothing.
 *
 * Output: one line per problem (which row, which file id, what is wrong;
 * never plaintext, digests or keys), a progress line (files done/total,
 * bytes, rate: rewritten in place with \r on a terminal, otherwise a line at
 * every tenth of the work and at most every progress_seconds), and a final
 * summary. */
#ifndef SECONDOP_BLOBVERIFY_H
#define SECONDOP_BLOBVERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/blobfmt.h"

/* ---- one blob (no database; unit-tested) ---- */

enum blobverify_verdict {
  BV_OK = 0,     /* every record authenticated, the final one reached */
  BV_MISSING,    /* no such file */
  BV_UNREADABLE, /* not a regular file, no blob header, another file id, an I/O error */
  BV_DAMAGED,    /* a record does not authenticate, or the file is cut */
};

/* What a verified blob turned out to hold. */
struct blobverify_result {
  enum blobverify_verdict verdict;
  uint64_t size;      /* plaintext bytes read (all of them when BV_OK) */
  char blake2b[65];   /* hex, when BV_OK and the plaintext's BLAKE2b was wanted */
  char records[65];   /* hex records digest (store/blobfmt.h), when BV_OK */
  char sha256[65];    /* hex, when BV_OK and want_sha256 */
  char why[200];      /* the reader's reason when not BV_OK (no plaintext, no key) */
};

/* Called after every buffer read with the bytes just read (progress). */
typedef void (*blobverify_tick)(void *ctx, uint64_t bytes);

/* Reads the blob at path (file id, data key) to its end through the blob
 * reader, hashing the plaintext with BLAKE2b-256 (and SHA-256 when
 * want_sha256), into *res. buf/cap is the caller's work buffer (wiped
 * before return). Never fails otherwise: every outcome is a verdict. */
void blobverify_file(const char *path, const unsigned char id[BLOB_ID_LEN], const unsigned char dek[BLOB_DEK_LEN],
                     bool want_sha256, unsigned char *buf, size_t cap, blobverify_tick tick, void *tick_ctx,
                     struct blobverify_result *res);
/* The same, hashing the plaintext with BLAKE2b-256 only when
 * want_plain_blake2b (rows of digest kind 1); the records digest is always
 * given (it costs 40 bytes of hashing per 64 KiB record). */
void blobverify_file_digests(const char *path, const unsigned char id[BLOB_ID_LEN],
                             const unsigned char dek[BLOB_DEK_LEN], bool want_plain_blake2b, bool want_sha256,
                             unsigned char *buf, size_t cap, blobverify_tick tick, void *tick_ctx,
                             struct blobverify_result *res);

/* What a row expects of its blob. NULL or "" digests are not checked;
 * size < 0 is not checked. */
struct blobverify_expect {
  long long size;
  const char *blake2b; /* hex */
  const char *sha256;  /* hex */
  int digest_kind;     /* what blake2b is: BLOB_DIGEST_KIND_RECORDS, else (0, 1) the plaintext's BLAKE2b */
};
#define BV_BAD_SIZE 1u
#define BV_BAD_BLAKE2B 2u
#define BV_BAD_SHA256 4u
/* Compares a BV_OK result with a row: 0 when it matches, else BV_BAD_* bits
 * (a wanted SHA-256 that was not computed counts as BV_BAD_SHA256). */
unsigned blobverify_compare(const struct blobverify_result *res, const struct blobverify_expect *x);

/* ---- progress (unit-tested) ---- */

struct blobverify_pace {
  bool tty;              /* rewrite one line in place */
  double interval;       /* seconds between lines when not a tty (at least) */
  double last;           /* time of the last line, -1 before the first */
  unsigned last_tenth;   /* tenths of the work done at the last line */
};
/* True when a progress line is due at time now (seconds) for done of total
 * units: on a tty at most 5 a second; otherwise when a new tenth of the work
 * is reached or interval seconds passed since the last line. The first call
 * is always due. Updates p when it answers true. */
bool blobverify_progress_due(struct blobverify_pace *p, double now, uint64_t done, uint64_t total);
/* Formats "N/M files, X of Y, Z/s" (binary units) into out. */
void blobverify_progress_text(char *out, size_t cap, uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                              uint64_t bytes_total, double seconds);
/* Formats a byte count as "123 B", "4.0 KiB", "1.5 GiB" into out. */
void blobverify_bytes_text(char *out, size_t cap, uint64_t bytes);

/* ---- the whole store (database) ---- */

struct blobverify_report {
  uint64_t rows, files_total, files_done, bytes_total, bytes_done, stored_files;
  /* unnamed: stored files no row names (orphans: harmless, not problems; a
   * backup taken while the portal serves has some, and the background sweep
   * of a running server quarantines them once they are an hour old);
   * foreign: names in files/ that are not store file names (problems). */
  unsigned missing, damaged, unreadable, mismatched, key_failures, foreign, unnamed, gone;
  double seconds;
};
/* Total problems found in a report. */
unsigned blobverify_problems(const struct blobverify_report *r);

/* Registers the statements (before the connection is opened). */
void blobverify_register(void);
/* Runs the whole check for data_dir against the current database (db.h)
 * with the key ring of data_dir/keys, writing problem, progress and summary
 * lines to out (a tty when tty). 0 when the run completed (the report says
 * whether everything is sound), -1 when it could not run (no key ring, the
 * database unreadable: one line on stderr). */
int blobverify_run(const char *data_dir, FILE *out, bool tty, struct blobverify_report *rep);
#endif
