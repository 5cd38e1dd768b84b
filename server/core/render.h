/* Decoding an image's pixel data in a confined child process (issue 13).
 *
 * Image decoders parse hostile bytes (security checklist item 52: heap overflows in image
 * decoders), so the server never decodes pixel data itself: like archive unpacking
 * (core/unpacker.h) it starts this binary again as `secondop render-worker` (shown as
 * `secondop-render`), with only a socket pair and stderr, no environment but the sanitizers',
 * no new privileges, no file writes, no core dumps and 10 minutes of CPU. The child never sees
 * a file: it asks the parent for byte ranges (the decoders need random access), so the parent
 * reads the sealed blob with blob_reader_seek/read and a multi-gigabyte tomosynthesis object is
 * never in memory at once — the child holds one decoded frame (plus, for compressed data, that
 * frame's compressed bytes). When no byte moves for the stall limit the parent kills it; a crash
 * is the same: the rendition fails, the server lives on.
 *
 * Frames: a type byte, a 4-byte little-endian length, the payload.
 *   parent -> child: 'S' the file size (8 bytes LE), first; 'B' the bytes of a read; 'X' the read failed
 *   child -> parent: 'R' read request (offset 8 bytes LE, length 4 bytes LE, at most RENDER_READ_MAX)
 *                    'I' info (rows, columns, samples, bytes per sample, frames: 4 bytes LE each;
 *                        frame bytes: 8 bytes LE), once, before any 'D'
 *                    'L' a lookup table the file holds, after 'I' and before any 'D': kind (0 the
 *                        Modality LUT, 1 a VOI LUT, in the file's order), first input value (signed),
 *                        bits, entries (1 .. 65536): 4 bytes LE each; the explanation (64 bytes,
 *                        NUL-padded); the entries (2 bytes LE each). A table that cannot be read
 *                        is left out. At most one Modality LUT and RENDER_MAX_VOI_LUTS VOI LUTs.
 *                    'D' frame bytes (stored values, samples interleaved, little-endian), frames back
 *                        to back, at most RENDER_CHUNK each
 *                    'P' the preview PNG's bytes (after all frames), at most RENDER_CHUNK each
 *                    'U' the image cannot be decoded: a sentence for people; last frame
 *                    'Z' done; last frame
 *
 * Test builds: SECONDOP_TEST_RENDER_KILL_AT=n makes the child kill itself after its n-th 'D'
 * frame; SECONDOP_TEST_RENDER_STALL=1 makes it stop moving after its 'I' frame. */
#ifndef SECONDOP_CORE_RENDER_H
#define SECONDOP_CORE_RENDER_H
#include <stddef.h>
#include <stdint.h>

#define RENDER_READ_MAX ((size_t)1 << 20)
#define RENDER_CHUNK ((size_t)64 << 10)
#define RENDER_PREVIEW_MAX 512           /* long side of the preview, pixels */
#define RENDER_PNG_MAX ((size_t)4 << 20) /* a 512 x 512 RGB preview deflates to far less */

#define RENDER_MAX_VOI_LUTS 4
#define RENDER_LUT_HEAD 80 /* kind, first, bits, entries, explanation */

/* A lookup table of the file (PS3.3 C.11.1, C.11.2): input first maps to table[0]; inputs
 * below or above use the first or last entry; values have `bits` bits. */
struct render_lut {
  int voi; /* 0: the Modality LUT; 1: a VOI LUT */
  int first;
  unsigned bits, entries;
  char explanation[65];
  const uint16_t *table;
};

struct render_info {
  unsigned rows, columns, samples, bytes_per_sample;
  long frames;
  uint64_t frame_bytes;
};

/* What the parent gives and takes. Callbacks return 0, or -1 to stop (the render fails). */
struct render_ops {
  int (*read_at)(void *ctx, uint64_t off, void *dst, size_t n); /* the file's bytes */
  uint64_t size;                                                 /* the file's size */
  int (*info)(void *ctx, const struct render_info *i);
  int (*frames)(void *ctx, const void *p, size_t n);
  int (*preview)(void *ctx, const void *p, size_t n);
  int (*lut)(void *ctx, const struct render_lut *l); /* may be NULL */
  void *ctx;
};

enum render_rc {
  RENDER_OK = 0,
  RENDER_NOT_DECODABLE, /* why: the child's sentence for people */
  RENDER_FAILED,        /* why: what went wrong (stalled, crashed, a malformed answer, a callback) */
};

/* Runs one child over the file and feeds the callbacks. Blocks the calling (worker) thread. */
enum render_rc render_image(const struct render_ops *ops, char *why, size_t whylen);

/* The parent's half of the conversation over any channel (render_image's is the child's
 * socket; the fuzz target's is its input). recv and send move exactly n bytes: 0, -1 when the
 * other end is gone, -2 when it stopped making progress. *finished says whether the child
 * sent its last frame. Every frame is checked before a callback sees it. */
struct render_chan {
  int (*recv)(void *ctx, void *p, size_t n);
  int (*send)(void *ctx, const void *p, size_t n);
  void *ctx;
};
enum render_rc render_converse(const struct render_chan *ch, const struct render_ops *ops, int *finished, char *why,
                               size_t whylen);

/* Seconds without progress before the child is stopped (default 30; at least 1). */
void render_set_stall_seconds(unsigned s);

/* The program started as the child (default /proc/self/exe). */
void render_set_program(const char *path);

/* The child's side: `secondop render-worker`, on the socket at fds 0 and 1. Exit status. */
int render_worker_main(void);

/* An 8-bit PNG (grey when samples is 1, RGB when 3) of width x height pixels from rows of
 * width * samples bytes, into a malloc'd buffer (*out, *outlen). 0, or -1. */
int render_png(const unsigned char *pixels, unsigned width, unsigned height, unsigned samples,
               unsigned char **out, size_t *outlen);
#endif
