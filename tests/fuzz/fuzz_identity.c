/* libFuzzer target: the identity rule (core/identity.c) reads names and
 * dates from uploaded DICOM files and from what a patient typed. The input
 * is split at NUL bytes into image name, image birth date, account name and
 * account birth date; the verdict and the display must never crash. */
#include <stdint.h>
#include <string.h>

#include "core/identity.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char buf[4097];
  memcpy(buf, data, size);
  buf[size] = '\0';
  const char *part[4] = {"", "", "", ""};
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= size && k < 4; i++)
    if (i == size || buf[i] == '\0') {
      part[k++] = buf + start;
      start = i + 1;
    }
  struct identity_result r;
  identity_compare(part[0], part[1], "F", part[2], part[3], "", &r);
  identity_compare(part[2], part[3], "", part[0], part[1], "M", &r);
  struct arena *a = arena_new();
  if (a) {
    identity_pn_display(a, part[0]);
    identity_date_words(a, part[1]);
    struct identity_row row = {1, 1, 3, part[1], "", "", "MG", part[0], part[1], ""};
    struct identity_account acct = {part[2], part[3], ""};
    struct identity_report rep;
    identity_report_build(a, &acct, &row, 1, &rep);
    arena_free(a);
  }
  return 0;
}
