/* Test tool: rewrites a stored blob (any format) as blob format 1, the
 * format written before nonces were random, so integration tests can put
 * format-1 files under a real server and run `secondop reseal` on them.
 *
 *   blob_v1_tool KEYS_DIR FILE FILE_ID_HEX WRAPPED_DEK_HEX KEK_VERSION
 *
 * Reads FILE fully (authenticated), writes FILE.v1tmp in format 1 and
 * renames it over FILE. Exit 0, or 1 with a reason on stderr. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_v1.h"
#include "store/blobfmt.h"

int main(int argc, char **argv) {
  unsigned char id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN], dek[BLOB_DEK_LEN];
  char err[256], tmp[4200];
  size_t il = 0, wl = 0;
  struct keyring *kr = NULL;
  struct blob_reader *r = NULL;
  if (argc != 6 || sodium_init() < 0) {
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
