/* DICOM pixel data: one frame at a time, native or encapsulated, into a caller's buffer.
 *
 * Builds on the header reader (dicom.h): the parsed struct dicom_info says where Pixel Data
 * starts and how the image is laid out. The bytes are read through a small random-access
 * interface (struct pix_io), so a frame of a multi-gigabyte multi-frame object is read without
 * the rest of it. Every length is checked against the source and the caller's buffer.
 *
 * Decoded frames have one canonical layout whatever the transfer syntax: samples interleaved
 * (R G B R G B ..., planar configuration 0) row by row; one byte per sample when Bits Allocated
 * is 8, else one uint16_t in host byte order; each sample holds the stored bits (Bits Stored,
 * moved down so the lowest stored bit is bit 0, higher bits zero). Signedness, Modality LUT and
 * VOI are applied by lut.h, not here. Colour data stays in its photometric interpretation
 * (RGB or YBR_FULL; see pix_ybr_full_to_rgb in lut.h), except colour baseline JPEG and JPEG
 * 2000, which their libraries turn into RGB (pix_format.photometric then says PIX_RGB). */
#ifndef SECONDOP_PIXELS_H
#define SECONDOP_PIXELS_H
#include <stddef.h>
#include <stdint.h>

#include "dicom/dicom.h"

enum pix_rc {
  PIX_OK = 0,
  PIX_UNSUPPORTED, /* a valid image in a form we do not decode (the reason says which) */
  PIX_MALFORMED,   /* the pixel data is broken or inconsistent with the header */
  PIX_NO_FRAME,    /* frame index out of range, or no pixel data */
  PIX_BUFFER,      /* the caller's buffer is too small (see pix_frame_bytes) */
  PIX_IO,          /* the source could not be read */
  PIX_NOMEM
};

/* How the pixel data is stored (from the transfer syntax). */
enum pix_codec {
  PIX_NATIVE_LE = 0, /* implicit or explicit VR little endian */
  PIX_NATIVE_BE,     /* explicit VR big endian (retired) */
  PIX_RLE,           /* 1.2.840.10008.1.2.5 */
  PIX_JPEG_LOSSLESS, /* 1.2.840.10008.1.2.4.57 and .70 (process 14) */
  PIX_JPEG_BASELINE, /* .4.50, 8-bit (libjpeg-turbo) */
  PIX_JPEG_EXTENDED, /* .4.51 (12-bit: Debian 12's libjpeg-turbo cannot decode it) */
  PIX_JPEG_LS,       /* .4.80, .4.81 (CharLS) */
  PIX_JPEG_2000,     /* .4.90, .4.91 (OpenJPEG) */
  PIX_DEFLATED,      /* .1.99: native data inside the deflate stream, inflated up to the frame */
  PIX_OTHER
};

enum pix_photometric {
  PIX_MONOCHROME1 = 0, PIX_MONOCHROME2, PIX_RGB, PIX_YBR_FULL, PIX_PHOTOMETRIC_OTHER
};

/* The image layout a decoder needs, checked once (pix_format_from_info). */
struct pix_format {
  unsigned rows, columns, samples;    /* samples: 1 (monochrome) or 3 (colour) */
  unsigned bits_allocated;            /* 8 or 16 */
  unsigned bits_stored, high_bit;     /* 1 <= bits_stored <= bits_allocated, high_bit < allocated */
  int is_signed;                      /* Pixel Representation 1 */
  int planar;                         /* Planar Configuration as stored (native data) */
  enum pix_photometric photometric;
  enum pix_codec codec;
  long frames;
  int big_endian;                     /* encoding of the item headers / native words */
  unsigned long long pixel_offset;    /* file offset of the Pixel Data value */
  unsigned long pixel_length;         /* its length (0xFFFFFFFF: encapsulated) */
  unsigned long long dataset_offset;  /* deflated: file offset of the deflate stream */
};

/* Random-access source of the file's bytes. read_at copies exactly n bytes at offset off into
 * dst and returns 0, or returns -1 (then nothing is assumed about dst). size is the file size. */
struct pix_io {
  int (*read_at)(void *ctx, unsigned long long off, void *dst, size_t n);
  void *ctx;
  unsigned long long size;
};

/* A source over a buffer in memory (or mapped): io borrows buf, which must outlive it. */
struct pix_mem {
  const unsigned char *buf;
  size_t len;
};
void pix_io_memory(struct pix_io *io, struct pix_mem *m, const unsigned char *buf, size_t len);

/* Checks the header's image pixel module and fills *f. Returns PIX_OK, PIX_NO_FRAME (no pixel
 * data), PIX_UNSUPPORTED (e.g. 32-bit samples, a palette, 12-bit JPEG) or PIX_MALFORMED
 * (an inconsistent module); err (may be NULL) gets a sentence a person can read. */
enum pix_rc pix_format_from_info(const struct dicom_info *d, struct pix_format *f, char *err,
                                 size_t errlen);

/* Bytes of one decoded frame in the canonical layout (rows x columns x samples x 1 or 2). */
size_t pix_frame_bytes(const struct pix_format *f);

/* Decodes frame `index` (0-based) into out[0..outcap) in the canonical layout. Reads only that
 * frame's bytes (and, for encapsulated data without an offset table, the item headers before
 * it; with one, the table entries and the frame's own items); the compressed frame
 * is held in one temporary buffer of at most PIX_MAX_COMPRESSED_FRAME bytes. Returns PIX_OK or
 * an error with a sentence in err (may be NULL); on error out's content is unspecified. */
enum pix_rc pix_decode_frame(const struct pix_io *io, const struct pix_format *f, long index,
                             void *out, size_t outcap, char *err, size_t errlen);

/* Largest compressed frame we read into memory. */
#define PIX_MAX_COMPRESSED_FRAME ((size_t)512 << 20)

/* One fragment of an encapsulated frame: file offset of its data and its length. */
struct pix_fragment {
  unsigned long long offset;
  unsigned long length;
};

/* Finds the fragments of encapsulated frame `index`: through the Basic Offset Table when it has
 * one entry per frame, else one fragment per frame when the counts agree, else (a single frame)
 * all fragments, else by the marker that starts a frame's first fragment (JPEG and JPEG-LS SOI,
 * JPEG 2000 SOC or JP2 signature, RLE header). Stores up to
 * max fragments in frags and their count in *n; *total gets the sum of their lengths.
 * Returns PIX_OK, PIX_NO_FRAME, PIX_MALFORMED (broken items; more than max fragments) or PIX_IO. */
enum pix_rc pix_frame_fragments(const struct pix_io *io, const struct pix_format *f, long index,
                                struct pix_fragment *frags, size_t max, size_t *n,
                                unsigned long long *total, char *err, size_t errlen);

/* Most fragments one frame may have. */
#define PIX_MAX_FRAGMENTS 4096

/* Short constant name of a return code ("ok", "unsupported", ...). */
const char *pix_rc_name(enum pix_rc rc);

/* How every decoder refuses: writes the reason (printf format) into err (cap errlen; either may
 * be NULL/0) and returns rc. */
enum pix_rc pix_say(enum pix_rc rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
