/* A streaming multipart/related parser (RFC 2046 section 5.1, RFC 2387) for STOW-RS
 * request bodies (PS3.18 10.5): bytes are fed as they arrive, in chunks of any size, and
 * each part's headers and data are handed to callbacks without the body ever being held
 * whole. Pure: no I/O, no allocation; the parser is a fixed-size struct.
 *
 * The body is: a preamble (ignored), "--boundary" at the start of the body or after CRLF,
 * transport padding (spaces and tabs) and CRLF, then per part: header lines ending in CRLF, an
 * empty line, the data, and "CRLF--boundary"; the last delimiter is followed by "--" and the
 * epilogue (ignored). A delimiter may be split anywhere across chunks. Header lines must end in
 * CRLF (a bare LF is an error), may not be folded, and a part's header block is bounded by
 * MP_MAX_HEADER_BYTES. The data is passed through exactly: a CRLF that is not followed by the
 * whole delimiter is data. */
#ifndef SECONDOP_MULTIPART_H
#define SECONDOP_MULTIPART_H
#include <stddef.h>

/* RFC 2046 allows 1 to 70 characters; Orthanc's DICOMweb plugin sends 73 (two UUIDs joined by
 * "-"), so longer ones are taken, up to this bound. */
#define MP_MAX_BOUNDARY 200
#define MP_MAX_HEADER_BYTES 8192 /* one part's header lines, CRLFs included */
#define MP_MAX_HEADERS 32        /* header lines per part */

enum mp_rc {
  MP_OK = 0,
  MP_ERR_SYNTAX,     /* not multipart/related as RFC 2046 writes it (bad delimiter line, header line) */
  MP_ERR_HEADERS,    /* a part's headers are longer than MP_MAX_HEADER_BYTES or too many */
  MP_ERR_TRUNCATED,  /* the body ended before the close delimiter ("--boundary--") */
  MP_ERR_NO_PARTS,   /* a well-formed body with no part at all */
  MP_ERR_CALLBACK,   /* a callback returned non-zero: the caller knows why */
};

/* Callbacks; each returns 0 to go on, non-zero to stop the parser (MP_ERR_CALLBACK). Any may
 * be NULL. name and value are NUL-terminated, value without surrounding spaces; both are
 * valid during the call only. */
struct mp_callbacks {
  int (*part_begin)(void *ctx);
  int (*header)(void *ctx, const char *name, const char *value);
  int (*headers_end)(void *ctx);
  int (*data)(void *ctx, const unsigned char *p, size_t n);
  int (*part_end)(void *ctx);
};

enum mp_state { MP_S_PREAMBLE, MP_S_AFTER_DELIM, MP_S_DASH2, MP_S_PAD, MP_S_PAD_LF, MP_S_HEADERS,
                MP_S_HEADER_LF, MP_S_BODY, MP_S_EPILOGUE, MP_S_ERROR };

struct mp_parser {
  const struct mp_callbacks *cb;
  void *ctx;
  unsigned char delim[MP_MAX_BOUNDARY + 4]; /* "\r\n--" boundary */
  size_t dlen;
  size_t match;          /* delimiter bytes matched so far (not yet passed on as data) */
  enum mp_state state;
  enum mp_rc error;      /* the error once state is MP_S_ERROR */
  char line[MP_MAX_HEADER_BYTES + 1];
  size_t line_len;       /* bytes of the header line being read */
  size_t header_bytes;   /* this part's header bytes so far */
  unsigned header_count;
  unsigned long parts;   /* parts begun */
  unsigned long long offset; /* body bytes consumed, for error messages */
};

/* Sets up p for a body with this boundary (1..MP_MAX_BOUNDARY bytes, no CR or LF). 0, or -1 when the
 * boundary is not acceptable. */
int mp_init(struct mp_parser *p, const char *boundary, size_t blen, const struct mp_callbacks *cb, void *ctx);
/* Feeds n more body bytes. MP_OK, or the first error (sticky: later calls return it too). */
enum mp_rc mp_feed(struct mp_parser *p, const unsigned char *buf, size_t n);
/* The body has ended. MP_OK when the close delimiter was seen after at least one part. */
enum mp_rc mp_finish(struct mp_parser *p);
/* Plain words for an error, for a 400 answer. */
const char *mp_error_words(enum mp_rc rc);

/* Parses a request's Content-Type for STOW-RS: "multipart/related" (any case) with parameters
 * in any order, values as tokens or quoted strings (with backslash escapes). boundary (cap
 * bytes) receives the boundary; type (cap bytes) the "type" parameter or "" when absent.
 * Returns 0; 1 when the media type is not multipart/related (a 415); -1 when it is, but the
 * parameters are malformed, a parameter is repeated, or the boundary is missing, empty, longer
 * than MP_MAX_BOUNDARY bytes or has characters RFC 2046 does not allow (a 400). */
int mp_content_type(const char *ct, char *boundary, size_t bcap, char *type, size_t tcap);
#endif
