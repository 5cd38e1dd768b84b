/* libFuzzer target for our own jpegll decoder (server/dicom/jpegll.c): any input decodes or is
 * refused with a reason, never reading or writing outside the buffers (ASan checks), and a
 * decode that succeeds leaves only stored bits in every sample. */
#include <stdint.h>
#include <stdlib.h>

#include "dicom/codecs.h"
#include "fuzz_codec_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct pix_format f;
  if (fuzz_layout(data, size, &f) != 0) return 0;
  size_t fb = pix_frame_bytes(&f);
  /* the exact frame size: ASan catches a write one byte past it */
  unsigned char *out = malloc(fb);
  if (!out) return 0;
  char err[128];
  err[0] = 'x';
  enum pix_rc rc = pix_jpegll_decode(data + 7, size - 7, &f, out, fb, err, sizeof err);
  if (rc == PIX_OK) {
    unsigned limit = 1u << f.bits_stored;
    for (size_t i = 0; i < fb / (f.bits_allocated / 8); i++) {
      unsigned v = f.bits_allocated == 8 ? out[i] : ((uint16_t *)(void *)out)[i];
      if (v >= limit) __builtin_trap();
    }
  } else if (err[0] == 'x' || !memchr(err, 0, sizeof err)) {
    __builtin_trap(); /* every refusal says why */
  }
  free(out);
  return 0;
}
