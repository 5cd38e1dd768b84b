/* A ZIP's census from its central directory, before anything is unpacked:
 * the number of entries and their total uncompressed size, read from the
 * end-of-central-directory record (ZIP64 too) and the central directory
 * itself, so an archive over the limits (too many entries, too large once
 * unpacked, a compression ratio only a bomb has) is refused in
 * milliseconds instead of being extracted until a limit trips. The
 * streaming unpacker still enforces the same limits as it goes (local
 * headers may disagree with the directory). Pure: no I/O except through
 * read_at. */
#ifndef SECONDOP_ZIPCHECK_H
#define SECONDOP_ZIPCHECK_H
#include <stddef.h>
#include <stdint.h>

struct zip_limits {
  uint64_t max_entries;
  uint64_t max_total;  /* uncompressed bytes */
  uint64_t max_ratio;  /* uncompressed : archive size */
};

struct zip_census {
  uint64_t entries;    /* central directory headers walked */
  uint64_t total;      /* sum of their uncompressed sizes */
  uint64_t compressed; /* sum of their compressed sizes */
};

/* Reads len bytes at off into buf; 0, or -1 on an I/O error. */
typedef int (*zip_read_at_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Fills *out from the archive of size bytes. Returns 0 when it is within
 * the limits, 1 when it is refused (why: plain words for the patient, e.g.
 * "it holds 100000 files; we unpack at most 20000 from one archive"), or
 * -1 when read_at failed. */
int zip_census_read(zip_read_at_fn read_at, void *ctx, uint64_t size, const struct zip_limits *lim,
                    struct zip_census *out, char *why, size_t whylen);
#endif
