/* A streaming ZIP writer: stored entries, CRC-32 and data descriptors, ZIP64 where an
 * entry, an offset, the central directory or the entry count outgrows the classic fields.
 * Memory stays flat: the caller supplies each entry's bytes through a source, chunk by chunk,
 * and pulls the archive out with zipw_read. Sizes are declared up front so the whole length is
 * known before the first byte (an HTTP Content-Length). */
#ifndef SECONDOP_ZIPWRITE_H
#define SECONDOP_ZIPWRITE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct zipw_entry {
  const char *name; /* UTF-8, '/' separated, relative; copied by zipw_new */
  uint64_t size;    /* exact number of bytes the source will give */
};

/* Where entry bytes come from. open(i) before the first read of entry i; read returns bytes
 * (>0), 0 at the end, -1 on failure; done(i, bytes) after the end (a chance to verify a digest:
 * non-zero fails the archive). Any callback may be NULL except read. */
struct zipw_source {
  int (*open)(void *ctx, size_t i);
  ssize_t (*read)(void *ctx, size_t i, unsigned char *buf, size_t cap);
  int (*done)(void *ctx, size_t i, uint64_t bytes);
  void *ctx;
};

enum { ZIPW_FORCE_ZIP64 = 1 }; /* every entry and the end record in ZIP64 form (tests) */

struct zipw;

/* The exact length of the archive zipw_read will produce for these entries. */
uint64_t zipw_total(const struct zipw_entry *e, size_t n, unsigned flags);

/* A writer over n entries (names copied). NULL when out of memory. Free with zipw_free. */
struct zipw *zipw_new(const struct zipw_entry *e, size_t n, const struct zipw_source *src, unsigned flags);

/* Copies up to max bytes of the archive into buf. Returns the number copied, 0 at the end,
 * -1 when a source failed or gave a different number of bytes than declared (the archive is
 * then unusable; the caller drops the connection). */
ssize_t zipw_read(struct zipw *z, unsigned char *buf, size_t max);

void zipw_free(struct zipw *z);
#endif
