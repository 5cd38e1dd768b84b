/* Our own decoders for one compressed frame held in memory (RLE, JPEG lossless). Both write the
 * canonical frame layout of pixels.h and never read or write outside the buffers given. */
#ifndef SECONDOP_CODECS_H
#define SECONDOP_CODECS_H
#include <stddef.h>

#include "dicom/pixels.h"

/* RLE Lossless (PS3.5 Annex G): in[0..inlen) is the frame's whole RLE data (64-byte header and
 * segments). Writes pix_frame_bytes(f) bytes to out. Returns PIX_OK, PIX_MALFORMED,
 * PIX_UNSUPPORTED or PIX_BUFFER with a sentence in err (may be NULL). */
enum pix_rc pix_rle_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                           void *out, size_t outcap, char *err, size_t errlen);

/* JPEG lossless, process 14 (ITU T.81 Annex H; any selection value 1-7, point transform,
 * restart intervals, 2-16 bit precision, 1-4 components interleaved or in separate scans):
 * in[0..inlen) is one JPEG stream (SOI .. EOI). The image must have f's rows, columns and
 * samples and a precision no more than Bits Allocated. Writes pix_frame_bytes(f) bytes to out.
 * Returns PIX_OK, PIX_MALFORMED, PIX_UNSUPPORTED (another JPEG process) or PIX_BUFFER. */
enum pix_rc pix_jpegll_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                              void *out, size_t outcap, char *err, size_t errlen);

/* Through the field's own libraries (extcodecs.c): JPEG-LS with CharLS, JPEG 2000 (raw
 * codestream or JP2) with OpenJPEG, 8-bit baseline JPEG with libjpeg-turbo. Same contract as
 * above; colour JPEG and JPEG 2000 come out as RGB (the libraries undo YCbCr / ICT / RCT). */
enum pix_rc pix_jpegls_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                              void *out, size_t outcap, char *err, size_t errlen);
enum pix_rc pix_j2k_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                           void *out, size_t outcap, char *err, size_t errlen);
enum pix_rc pix_jpegbase_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                                void *out, size_t outcap, char *err, size_t errlen);

#endif
