/* libFuzzer target: the tus header parsers (Upload-Metadata,
 * Upload-Checksum, Upload-Offset/Length, sha256 values, file names). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/tus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 20000) return 0;
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  size_t hl = strlen(s);
  size_t bl = TUS_META_BUF(hl);
  unsigned char *buf = malloc(bl);
  struct tus_meta m;
  if (buf && tus_parse_metadata(s, buf, bl, &m) == 0) {
    for (size_t i = 0; i < m.n; i++) {
      char name[256];
      tus_sanitize_filename(m.pairs[i].value, m.pairs[i].len, name, sizeof name);
      if (strlen(name) > TUS_NAME_MAX) abort();
      unsigned char d[32];
      tus_parse_sha256_value(m.pairs[i].value, m.pairs[i].len, d);
    }
  }
  /* a deliberately short buffer must be refused, never overrun */
  unsigned char small[8];
  tus_parse_metadata(s, small, sizeof small, &m);
  unsigned char dig[32];
  tus_parse_checksum(s, dig);
  uint64_t v;
  tus_parse_u64(s, &v);
  char name[256];
  size_t n = tus_sanitize_filename(data, size, name, sizeof name);
  if (n > TUS_NAME_MAX || strlen(name) != n) abort();
  tus_id_valid(s);
  free(buf);
  free(s);
  return 0;
}
