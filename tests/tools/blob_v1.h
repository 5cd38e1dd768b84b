/* Writes blob files in format 1 (see server/store/blobfmt.h), which the
 * server no longer writes, so tests can prove that such files still read
 * and that `secondop reseal` converts them. Written from the format
 * description, independently of the library. Test code only. */
#ifndef SECONDOP_TESTS_BLOB_V1_H
#define SECONDOP_TESTS_BLOB_V1_H
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/blobfmt.h"

static void blob_v1_be64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (unsigned char)v;
    v >>= 8;
  }
}

/* A format-1 file written here, from the format description (not with the
 * library's writer, which writes format 2 only): header with a random nonce
 * prefix, records sealed with nonce = prefix || u64 i. With final = 0 it is
 * a staging file holding the full records of the first n bytes (n a multiple
 * of BLOB_RECORD). 0 or -1. */
static int blob_v1_write(const char *path, const unsigned char *id, const unsigned char *dek,
                         const unsigned char *data, size_t n, int final) {
  unsigned char h[BLOB_HEADER_LEN], prefix[16], nonce[24], ad[BLOB_ID_LEN + 9];
  unsigned char *ct = malloc(BLOB_RECORD_STRIDE_V1);
  FILE *f = fopen(path, "wb");
  int rc = -1;
  if (!f || !ct) goto done;
  randombytes_buf(prefix, sizeof prefix);
  memcpy(h, "SOPBLOB1", 8);
  memset(h + 8, 0, 8);
  h[11] = 1;    /* format 1 */
  h[13] = 0x01; /* record 65536 = 0x00010000 */
  memcpy(h + 16, id, BLOB_ID_LEN);
  memcpy(h + 32, prefix, 16);
  if (fwrite(h, 1, sizeof h, f) != sizeof h) goto done;
  size_t off = 0;
  for (uint64_t i = 0;; i++) {
    size_t len = n - off > BLOB_RECORD ? BLOB_RECORD : n - off;
    int last = final && n - off <= BLOB_RECORD; /* the final record holds 0..BLOB_RECORD bytes */
    if (!final && len == 0) break;
    memcpy(nonce, prefix, 16);
    blob_v1_be64(nonce + 16, i);
    memcpy(ad, id, BLOB_ID_LEN);
    blob_v1_be64(ad + BLOB_ID_LEN, i);
    ad[BLOB_ID_LEN + 8] = (unsigned char)last;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, data + off, len, ad, sizeof ad, NULL, nonce, dek);
    if (fwrite(ct, 1, len + BLOB_TAG_LEN, f) != len + BLOB_TAG_LEN) goto done;
    off += len;
    if (last) break;
  }
  rc = 0;
done:
  if (f && fclose(f) != 0) rc = -1;
  free(ct);
  return rc;
}
#endif
