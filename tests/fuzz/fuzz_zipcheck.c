/* libFuzzer target: the ZIP census reads an uploaded archive's end record
 * and central directory before anything is unpacked. Any bytes: no crash,
 * an answer of 0 or 1, and a census within the limits when it says 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/zipcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
  const uint8_t *p;
  size_t n;
};

static int mem_read_at(void *ctx, uint64_t off, void *out, size_t len) {
  const struct mem *m = ctx;
  if (off > m->n || len > m->n - off) return -1;
  memcpy(out, m->p + off, len);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mem m = {data, size};
  struct zip_limits lim = {50, 1 << 20, 200};
  struct zip_census zc;
  char why[300];
  int rc = zip_census_read(mem_read_at, &m, size, &lim, &zc, why, sizeof why);
  if (rc == 0 && (zc.entries > lim.max_entries || zc.total > lim.max_total || why[0])) abort();
  if (rc == 1 && !why[0]) abort();
  if (rc != 0 && rc != 1 && rc != -1) abort();
  return 0;
}
