/* tus 1.0.0 header parsing, pure (no I/O, no allocation): offsets and
 * lengths, Upload-Metadata, Upload-Checksum, and the file-name sanitiser for
 * client-supplied names. Everything here sees outside bytes: it is fuzzed by
 * tests/fuzz/fuzz_tus_headers.c and unit-tested by tests/unit/test_tus_parse.c. */
#ifndef SECONDOP_TUS_PARSE_H
#define SECONDOP_TUS_PARSE_H
#include <stddef.h>
#include <stdint.h>

#define TUS_META_MAX 16      /* most key/value pairs accepted */
#define TUS_META_KEY_MAX 64  /* longest key */
#define TUS_NAME_MAX 255     /* longest stored file name, in bytes */

struct tus_meta_pair {
  const char *key;            /* NUL-terminated, in the caller's buffer */
  const unsigned char *value; /* decoded, NUL-terminated (len excludes the NUL) */
  size_t len;
  int has_value;              /* 0 for a key given without a value */
};

struct tus_meta {
  size_t n;
  struct tus_meta_pair pairs[TUS_META_MAX];
};

/* Strict decimal (util/decimal.h's decimal_u64, for the tus headers). */
int tus_parse_u64(const char *s, uint64_t *out);

/* Bytes of scratch space tus_parse_metadata needs for a header of hlen bytes. */
#define TUS_META_BUF(hlen) ((hlen) + 2 * TUS_META_MAX + 2)

/* Parses Upload-Metadata ("key b64value,key,key b64value"; spaces around
 * pairs allowed). Keys: 1..64 printable ASCII bytes without space or comma,
 * each at most once. Values: standard base64 with padding. Decoded keys and
 * values go into buf (buflen >= TUS_META_BUF(strlen(hdr))). An empty header
 * is zero pairs. Returns 0, or -1 when malformed (then *out is empty). */
int tus_parse_metadata(const char *hdr, unsigned char *buf, size_t buflen, struct tus_meta *out);

/* The value of key, or NULL when absent (a key without value gives ""). */
const struct tus_meta_pair *tus_meta_get(const struct tus_meta *m, const char *key);

enum tus_checksum_rc { TUS_CK_OK = 0, TUS_CK_MALFORMED = -1, TUS_CK_UNSUPPORTED = -2 };
/* Parses "Upload-Checksum: sha256 <base64 of 32 bytes>". TUS_CK_UNSUPPORTED
 * for another algorithm name (tus answers 400), TUS_CK_MALFORMED otherwise. */
enum tus_checksum_rc tus_parse_checksum(const char *hdr, unsigned char digest[32]);

/* Decodes the 32-byte SHA-256 a client declares in Upload-Metadata: the
 * (already base64-decoded) value is the 32 raw bytes, 64 hex digits, or
 * base64 text of 32 bytes. Returns 0 or -1. */
int tus_parse_sha256_value(const unsigned char *v, size_t len, unsigned char digest[32]);

/* Makes a client file name safe to keep and show: drops bytes that are not
 * valid UTF-8, NUL and other C0/C1 controls, DEL, and the bidirectional
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), trims
 * spaces at both ends and cuts at a character boundary to at most 255 bytes.
 * out needs cap >= 256. An empty result becomes "unnamed". Returns the
 * length written (without the NUL). */
size_t tus_sanitize_filename(const unsigned char *in, size_t len, char *out, size_t cap);

/* Base32 (RFC 4648 alphabet, lower case, no padding) of n bytes into out
 * (cap >= (n * 8 + 4) / 5 + 1). Returns 0, or -1 when out is too small. */
int tus_base32(const unsigned char *in, size_t n, char *out, size_t cap);
/* True when s is a well-formed upload id (26 base32 characters). */
int tus_id_valid(const char *s);
#endif
