/* Unpacking an uploaded archive in a child process, bounded in time.
 *
 * libarchive parses hostile bytes, and Debian 12's libarchive 3.6.2 has inputs on which it does
 * not return (a ZIP holding an ISO whose directory dates send it into mktime for minutes). So
 * intake never calls libarchive itself: it starts this binary again as `secondop unpack-worker`,
 * streams the archive's decrypted bytes to it over a socket pair, and reads back framed entries.
 * The child runs with no other file descriptors, no new privileges, no file writes and a CPU
 * limit; when no byte moves in either direction for the stall limit, the parent kills it and
 * the archive counts as damaged. A crash in the child is the same: the server lives on.
 *
 * Frames from the child: a type byte, a 4-byte little-endian length, the payload.
 *   'H' entry header: kind byte (UNPACK_ENTRY_*), 1 if the name is UTF-8 else 0, the name bytes
 *   'D' entry data (at most UNPACK_DATA_MAX bytes); only after an 'H' of kind FILE
 *   'E' the entry's data ended; 'R' the entry's data could not be read (the next 'H' follows)
 *   'F' the archive could not be opened ('o') or a header could not be read ('h'); last frame
 *   'Z' the end of the archive; last frame
 */
#ifndef SECONDOP_CORE_UNPACKER_H
#define SECONDOP_CORE_UNPACKER_H

#include <stddef.h>
#include <stdint.h>

#define UNPACK_DATA_MAX (64 * 1024)
#define UNPACK_NAME_MAX 4096 /* longer entry names are cut (then shown cleaned and shortened anyway) */

enum unpack_entry_kind {
  UNPACK_ENTRY_FILE = 'f',   /* a regular file: its data follows */
  UNPACK_ENTRY_DIR = 'd',    /* a folder */
  UNPACK_ENTRY_SYSTEM = 's', /* left by Mac or Windows (packaging_system_file) */
  UNPACK_ENTRY_LINK = 'l',   /* a link, a device or anything that is not a regular file */
  UNPACK_ENTRY_UNSAFE = 'u', /* a name that climbs out of its folder (packaging_unsafe_name) */
};

struct unpack_frame {
  char type;               /* 'H', 'D', 'E', 'R', 'F', 'Z' */
  const unsigned char *p;  /* payload, valid until the next unpacker_next */
  size_t len;
};

/* Why unpacker_next gave no frame. */
enum unpacker_err {
  UNPACKER_STALLED = -1, /* nothing moved for the stall limit: the child was stopped */
  UNPACKER_FEED = -2,    /* the feed callback failed (the archive could not be read back) */
  UNPACKER_CHILD = -3,   /* the child ended without a last frame (it crashed or hit a limit) */
  UNPACKER_PROTO = -4,   /* a malformed frame */
  UNPACKER_START = -5,   /* the child could not be started */
};

/* Gives the next bytes of the archive: *out points to n > 0 bytes, 0 at the end, -1 on error. */
typedef long (*unpacker_feed_fn)(void *ctx, const void **out);

struct unpacker;

/* Starts a child on the archive fed by feed(ctx). 0, or UNPACKER_START. */
int unpacker_start(struct unpacker **u, unpacker_feed_fn feed, void *ctx);

/* The next frame from the child (pumping the archive to it meanwhile): 0, or an
 * enum unpacker_err. After an error or the last frame, only unpacker_stop is useful. */
int unpacker_next(struct unpacker *u, struct unpack_frame *f);

/* Stops the child (killed if it has not ended by itself) and frees u. NULL is a no-op. */
void unpacker_stop(struct unpacker *u);

/* Seconds without progress before the child is stopped (default 30; at least 1). */
void unpacker_set_stall_seconds(unsigned s);
unsigned unpacker_stall_seconds(void);

/* The program started as the child (default /proc/self/exe, i.e. this binary). */
void unpacker_set_program(const char *path);

/* The child's side: `secondop unpack-worker`, reading the archive on fd 0 and writing frames on
 * fd 1. Returns the process exit status. */
int unpack_worker_main(void);

#endif
