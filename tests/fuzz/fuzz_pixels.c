/* libFuzzer target for the frame/fragment reader (server/dicom/pixels.c) behind the header
 * reader: a whole file is parsed, its layout checked and its frames decoded one at a time,
 * through the codecs, with no read outside the file and no write outside the frame buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/dicom.h"
#include "dicom/lut.h"
#include "dicom/pixels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct dicom_info d;
  char err[160];
  if (dicom_parse(data, size, 1, &d, err, sizeof err) != DICOM_OK) return 0;
  struct pix_format f;
  if (pix_format_from_info(&d, &f, err, sizeof err) != PIX_OK) return 0;
  size_t fb = pix_frame_bytes(&f);
  if (fb > ((size_t)4 << 20)) return 0; /* keep runs fast; sizes are checked, not trusted */
  struct pix_mem m;
  struct pix_io io;
  pix_io_memory(&io, &m, data, size);
  unsigned char *out = malloc(fb);
  if (!out) return 0;
  long frames = f.frames < 8 ? f.frames : 8;
  for (long i = 0; i < frames; i++) {
    struct pix_fragment fr[16];
    size_t n;
    unsigned long long total;
    if (f.pixel_length == 0xFFFFFFFFul &&
        pix_frame_fragments(&io, &f, i, fr, 16, &n, &total, err, sizeof err) == PIX_OK) {
      for (size_t k = 0; k < n; k++)
        if (fr[k].offset > size || fr[k].length > size - fr[k].offset) __builtin_trap();
    }
    enum pix_rc rc = pix_decode_frame(&io, &f, i, out, fb, err, sizeof err);
    if (rc == PIX_OK && f.samples == 1 && f.bits_stored <= 16) {
      static uint8_t lut[65536];
      struct pix_display disp;
      (void)pix_display_from_header(&d, &f, 0, out, &disp);
      if (pix_display_lut(&f, &disp, lut, sizeof lut) == 0) {
        uint8_t *grey = malloc((size_t)f.rows * f.columns);
        if (grey) (void)pix_render_gray(&f, out, lut, grey, (size_t)f.rows * f.columns);
        free(grey);
      }
    }
  }
  (void)pix_decode_frame(&io, &f, f.frames, out, fb, err, sizeof err);
  /* the LUT tables of VOI LUT / Modality LUT Sequence items, read through the same source */
  static uint16_t table[65536];
  static uint8_t lut8[65536];
  int kept = d.voi_lut_count < DICOM_MAX_VOI_LUTS ? d.voi_lut_count : DICOM_MAX_VOI_LUTS;
  for (int k = -1; k < kept; k++) {
    const struct dicom_lut *l = k < 0 ? &d.modality_lut : &d.voi_lut[k];
    if (k < 0 && !d.has_modality_lut) continue;
    struct pix_lut pl;
    if (pix_lut_read(&io, &f, l, k & 1, table, 65536, &pl, err, sizeof err) != PIX_OK) continue;
    struct pix_display disp = {.slope = 1};
    if (k < 0) disp.modality = pl;
    else disp.voi = pl;
    disp.width = 1;
    if (f.samples == 1 && f.bits_stored <= 16) (void)pix_display_lut(&f, &disp, lut8, sizeof lut8);
  }
  free(out);
  return 0;
}
