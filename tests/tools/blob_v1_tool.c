/* Test tool: rewrites a stored blob (any format) as blob format 1, the
 * format written before nonces were random, so integration tests can put
 * format-1 files under a real server and run `secondop reseal` on them.
 *
 *   blob_v1_tool KEYS_DIR FILE FILE_ID_HEX WRAPPED_DEK_HEX KEK_VERSION [RECORDS]
 *
 * Reads FILE fully (authenticated), writes FILE.v1tmp in format 1 and
 * renames it over FILE. With RECORDS, FILE is a format-2 staging file: its
 * first RECORDS full records are decrypted (from the format description)
 * and written as a format-1 staging file. Exit 0, or 1 with a reason on
 * stderr. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_v1.h"
#include "store/blobfmt.h"

/* Format-2 staging file with `records` full records -> format 1. */
static int staging_v1(const char *path, const unsigned char *id, const unsigned char *dek, uint64_t records) {
  char tmp[4200];
  unsigned char *data = malloc(records * BLOB_RECORD + 1), *rec = malloc(BLOB_RECORD_STRIDE_V2);
  unsigned char ad[BLOB_ID_LEN + 9];
  FILE *f = fopen(path, "rb");
  if (!f || !data || !rec) return 1;
  for (uint64_t i = 0; i < records; i++) {
    if (fseek(f, (long)(BLOB_HEADER_LEN + i * BLOB_RECORD_STRIDE_V2), SEEK_SET) != 0 ||
        fread(rec, 1, BLOB_RECORD_STRIDE_V2, f) != BLOB_RECORD_STRIDE_V2) {
      fprintf(stderr, "blob_v1_tool: staging file too short\n");
      return 1;
    }
    memcpy(ad, id, BLOB_ID_LEN);
    blob_v1_be64(ad + BLOB_ID_LEN, i);
    ad[BLOB_ID_LEN + 8] = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(data + i * BLOB_RECORD, NULL, NULL, rec + BLOB_NONCE_LEN,
                                                   BLOB_RECORD + BLOB_TAG_LEN, ad, sizeof ad, rec, dek) != 0) {
      fprintf(stderr, "blob_v1_tool: staging record %llu does not authenticate\n", (unsigned long long)i);
      return 1;
    }
  }
  fclose(f);
  snprintf(tmp, sizeof tmp, "%s.v1tmp", path);
  if (blob_v1_write(tmp, id, dek, data, records * BLOB_RECORD, 0) != 0 || rename(tmp, path) != 0) {
    fprintf(stderr, "blob_v1_tool: cannot write %s\n", tmp);
    return 1;
  }
  free(rec);
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  unsigned char id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN], dek[BLOB_DEK_LEN];
  char err[256], tmp[4200];
  size_t il = 0, wl = 0;
  struct keyring *kr = NULL;
  struct blob_reader *r = NULL;
  if ((argc != 6 && argc != 7) || sodium_init() < 0) {
    fprintf(stderr, "usage: blob_v1_tool KEYS_DIR FILE FILE_ID_HEX WRAPPED_DEK_HEX KEK_VERSION\n");
    return 1;
  }
  if (sodium_hex2bin(id, sizeof id, argv[3], strlen(argv[3]), NULL, &il, NULL) != 0 || il != sizeof id ||
      sodium_hex2bin(wrapped, sizeof wrapped, argv[4], strlen(argv[4]), NULL, &wl, NULL) != 0 ||
      wl != sizeof wrapped) {
    fprintf(stderr, "blob_v1_tool: bad file id or wrapped key\n");
    return 1;
  }
  if (keyring_open(argv[1], 0, &kr, err, sizeof err) != 0) {
    fprintf(stderr, "blob_v1_tool: %s\n", err);
    return 1;
  }
  int bad = blob_dek_unwrap(kr, (uint32_t)strtoul(argv[5], NULL, 10), id, wrapped, dek) != 0;
  keyring_close(kr);
  if (!bad && argc == 7) return staging_v1(argv[2], id, dek, strtoull(argv[6], NULL, 10));
  if (bad || blob_reader_open(argv[2], id, dek, &r, err, sizeof err) != 0) {
    fprintf(stderr, "blob_v1_tool: cannot open %s: %s\n", argv[2], bad ? "key does not unwrap" : err);
    return 1;
  }
  uint64_t size = blob_reader_size(r);
  unsigned char *data = malloc(size + 1);
  size_t got = 0;
  for (;;) {
    ssize_t n = data ? blob_reader_read(r, data + got, size + 1 - got, err, sizeof err) : -1;
    if (n < 0) {
      fprintf(stderr, "blob_v1_tool: cannot read %s: %s\n", argv[2], err);
      return 1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  blob_reader_close(r);
  snprintf(tmp, sizeof tmp, "%s.v1tmp", argv[2]);
  if (got != size || blob_v1_write(tmp, id, dek, data, got, 1) != 0 || rename(tmp, argv[2]) != 0) {
    fprintf(stderr, "blob_v1_tool: cannot write %s\n", tmp);
    return 1;
  }
  sodium_memzero(dek, sizeof dek);
  free(data);
  return 0;
}
