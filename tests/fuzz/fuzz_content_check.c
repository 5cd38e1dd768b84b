/* libFuzzer target: the active-content and polyglot scanner sees every
 * uploaded file's first MiB (PDF names, #xx escapes, zlib object streams). */
#include <stdint.h>
#include <stdlib.h>

#include "dicom/content_check.h"
#include "dicom/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct content_report cr;
  /* as intake does, and as a PDF whatever the bytes are, to reach the deep paths */
  content_check(data, size, 1, sniff_bytes(data, size, NULL), &cr);
  content_check(data, size, size & 1, SNIFF_PDF, &cr);
  if (cr.active > 7) abort();
  content_check(data, size, 1, SNIFF_JPEG, &cr);
  content_check(data, size, 1, SNIFF_DICOM, &cr);
  return 0;
}
