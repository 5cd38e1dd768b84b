/* Active content and polyglots in an uploaded file, from its bytes.
 *
 * PDFs: names that start JavaScript (/JS, /JavaScript — e.g. an /OpenAction
 * or /AA action), launch programs (/Launch) or carry files (/EmbeddedFile,
 * /EmbeddedFiles) are found also when written with #xx escapes
 * (/Java#53cript) and inside FlateDecode object streams (/Type /ObjStm),
 * within fixed bounds: the bytes given (intake passes the first MiB, and the
 * last MiB of a longer PDF through content_check_pdf_tail), at most
 * CONTENT_MAX_STREAMS streams and CONTENT_MAX_INFLATE inflated bytes in all.
 * Such PDFs are accepted but flagged, and never served as PDFs.
 *
 * Polyglots: a file whose bytes are also another type a program would open
 * (a web page in the first KiB, a PDF header where a PDF reader looks, a
 * complete ZIP archive hidden in an image or PDF) is refused. */
#ifndef SECONDOP_CONTENT_CHECK_H
#define SECONDOP_CONTENT_CHECK_H
#include <stddef.h>

#include "dicom/sniff.h"

#define CONTENT_JAVASCRIPT 1u
#define CONTENT_LAUNCH 2u
#define CONTENT_EMBEDDED 4u

#define CONTENT_MAX_STREAMS 256
#define CONTENT_MAX_INFLATE ((size_t)8 << 20)

struct content_report {
  unsigned active;          /* CONTENT_* bits (PDFs only) */
  const char *second_type;  /* polyglot: the other type ("HTML", "PDF", "ZIP"); NULL when none */
};

/* Examines buf[0..len), a prefix of a file that sniff_bytes classified as k;
 * complete is nonzero when buf holds the whole file. Never fails; bounded in
 * time and memory whatever the input. */
void content_check(const unsigned char *buf, size_t len, int complete, enum sniff_kind k, struct content_report *out);
/* Looks for active content in the last bytes of a PDF (buf ends where the
 * file ends; intake passes its last MiB when the file is longer than what
 * content_check saw): names and object streams, and a complete ZIP archive
 * at the end. Adds to *out. */
void content_check_pdf_tail(const unsigned char *buf, size_t len, struct content_report *out);
/* Plain words for the active bits, e.g. "JavaScript, a launch action, embedded files"
 * (a constant string; "" for 0). */
const char *content_active_words(unsigned active);
#endif
