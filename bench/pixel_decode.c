/* Decodes every frame of DICOM files with our pixel decoding layer, for bench/pixels.py.
 *   pixel_decode [-n ROUNDS] [-o OUT.raw] FILE...
 * Prints per file: output bytes per round and the best round's time in seconds. -o writes the
 * decoded frames of the last file (canonical layout) so the bench can check them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dicom/dicom.h"
#include "dicom/pixels.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int rounds = 3, i = 1;
  const char *outpath = NULL;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-o") && i + 1 < argc) outpath = argv[++i];
    else return fprintf(stderr, "usage: pixel_decode [-n ROUNDS] [-o OUT.raw] FILE...\n"), 2;
  }
  for (; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) return perror(argv[i]), 1;
    fseek(fp, 0, SEEK_END);
    size_t len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(len);
    if (!buf || fread(buf, 1, len, fp) != len) return fprintf(stderr, "%s: read failed\n", argv[i]), 1;
    fclose(fp);
    struct dicom_info d;
    struct pix_format f;
    char err[200];
    if (dicom_parse(buf, len, 1, &d, err, sizeof err) != DICOM_OK ||
        pix_format_from_info(&d, &f, err, sizeof err) != PIX_OK)
      return fprintf(stderr, "%s: %s\n", argv[i], err), 1;
    struct pix_mem m;
    struct pix_io io;
    pix_io_memory(&io, &m, buf, len);
    size_t fb = pix_frame_bytes(&f);
    unsigned char *out = malloc(fb);
    FILE *of = outpath && i == argc - 1 ? fopen(outpath, "wb") : NULL;
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
      double t0 = now();
      for (long k = 0; k < f.frames; k++) {
        if (pix_decode_frame(&io, &f, k, out, fb, err, sizeof err) != PIX_OK)
          return fprintf(stderr, "%s frame %ld: %s\n", argv[i], k, err), 1;
        if (of && r == rounds - 1) fwrite(out, 1, fb, of);
      }
      double t = now() - t0;
      if (t < best) best = t;
    }
    if (of) fclose(of);
    printf("%s %zu %.6f\n", argv[i], fb * (size_t)f.frames, best);
    free(out);
    free(buf);
  }
  return 0;
}
