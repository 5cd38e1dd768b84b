/* Unit tests for the pixel decoding layer (pixels.h, codecs.h, lut.h).
 *
 * tests/data/gen_pixels.py makes the images (pydicom) and compresses them with dcmtk; the
 * native reader is compared with numpy's bytes, and every compressed frame (RLE, JPEG lossless
 * with each selection value, point transform, fragmented frames, empty offset tables) is
 * compared BIT-EXACT with dcmtk's own decoding (dcmdrle, dcmdjpeg) of the same file.
 * The VOI functions are checked against the truth table tests/data/voi_table.tsv. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dicom/codecs.h"
#include "dicom/dicom.h"
#include "dicom/lut.h"
#include "dicom/pixels.h"
#include "t.h"

static char dir[] = "/tmp/secondop-pixels-XXXXXX";
static int generated;

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(fp);
  *len = (size_t)n;
  return b;
}

/* A parsed file held in memory. */
struct img {
  unsigned char *buf;
  size_t len;
  struct dicom_info info;
  struct pix_format fmt;
  struct pix_mem mem;
  struct pix_io io;
  enum pix_rc rc;
  char err[160];
};

static int img_open(struct img *m, const char *path) {
  memset(m, 0, sizeof *m);
  m->buf = slurp(path, &m->len);
  if (!m->buf) return -1;
  if (dicom_parse(m->buf, m->len, 1, &m->info, m->err, sizeof m->err) != DICOM_OK) return -1;
  pix_io_memory(&m->io, &m->mem, m->buf, m->len);
  m->rc = pix_format_from_info(&m->info, &m->fmt, m->err, sizeof m->err);
  return m->rc == PIX_OK ? 0 : -1;
}

static void img_close(struct img *m) { free(m->buf); }

/* The source tree (tests run from it; SECONDOP_SHARE_DIR names it when they do not). */
static const char *share(void) {
  const char *s = getenv("SECONDOP_SHARE_DIR");
  return s && s[0] ? s : ".";
}

static int generate(void) {
  if (generated) return generated > 0 ? 0 : -1;
  generated = -1;
  if (!mkdtemp(dir)) return -1;
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/data/gen_pixels.py' %s", share(), dir);
  if (system(cmd) != 0) return -1;
  generated = 1;
  return 0;
}

/* Decodes every frame of path and compares it with the expected bytes (raw canonical frames
 * back to back) or with the frames of the reference file. Returns frames compared, -1 on error. */
static long compare_file(const char *path, const char *ref, const char *raw, long frames_expected) {
  struct img a, b;
  long compared = -1;
  unsigned char *want = NULL, *got = NULL, *exp = NULL;
  size_t wantlen = 0;
  int have_b = 0;
  if (img_open(&a, path) != 0) {
    fprintf(stderr, "  %s: %s\n", path, a.err);
    goto done;
  }
  if (a.fmt.frames != frames_expected) goto done;
  size_t fb = pix_frame_bytes(&a.fmt);
  got = malloc(fb);
  exp = malloc(fb);
  if (raw) {
    want = slurp(raw, &wantlen);
    if (!want || wantlen != fb * (size_t)frames_expected) goto done;
  } else {
    have_b = 1;
    if (img_open(&b, ref) != 0 || b.fmt.codec != PIX_NATIVE_LE || pix_frame_bytes(&b.fmt) != fb) goto done;
  }
  for (long i = 0; i < a.fmt.frames; i++) {
    enum pix_rc rc = pix_decode_frame(&a.io, &a.fmt, i, got, fb, a.err, sizeof a.err);
    if (rc != PIX_OK) {
      fprintf(stderr, "  %s frame %ld: %s: %s\n", path, i, pix_rc_name(rc), a.err);
      goto done;
    }
    if (raw) {
      /* the raw file holds little-endian words; convert for a big-endian host */
      for (size_t k = 0; a.fmt.bits_allocated == 16 && k < fb / 2; k++) {
        unsigned char *w = want + (size_t)i * fb + 2 * k;
        uint16_t v = (uint16_t)(w[0] | w[1] << 8);
        memcpy(exp + 2 * k, &v, 2);
      }
      if (a.fmt.bits_allocated == 8) memcpy(exp, want + (size_t)i * fb, fb);
    } else if (pix_decode_frame(&b.io, &b.fmt, i, exp, fb, b.err, sizeof b.err) != PIX_OK) {
      fprintf(stderr, "  %s frame %ld: %s\n", ref, i, b.err);
      goto done;
    }
    if (memcmp(got, exp, fb) != 0) {
      size_t k = 0;
      while (got[k] == exp[k]) k++;
      fprintf(stderr, "  %s frame %ld differs from the reference at byte %zu\n", path, i, k);
      goto done;
    }
  }
  compared = a.fmt.frames;
done:
  if (have_b) img_close(&b);
  img_close(&a);
  free(want);
  free(got);
  free(exp);
  return compared;
}

/* Every generated file decodes to exactly what numpy wrote or what dcmtk decodes. */
static void test_decoders_bit_exact(void) {
  T_CHECK(generate() == 0);
  if (generated <= 0) return;
  char path[600];
  snprintf(path, sizeof path, "%s/MANIFEST", dir);
  FILE *fp = fopen(path, "r");
  T_CHECK(fp != NULL);
  if (!fp) return;
  char c[300], r[300], w[300];
  long frames;
  int files = 0, native = 0, be = 0, rle = 0, jll = 0, svs = 0, pts = 0, frag = 0, rst = 0, failed = 0;
  int jls = 0, base = 0, j2k = 0, j2k_lossy = 0, deflated = 0;
  long total_frames = 0;
  while (fscanf(fp, "%299s %299s %299s %ld", c, r, w, &frames) == 4) {
    long n = compare_file(c, strcmp(r, "-") ? r : NULL, strcmp(w, "-") ? w : NULL, frames);
    if (n != frames) {
      fprintf(stderr, "  FAILED: %s\n", c);
      failed++;
      continue;
    }
    files++;
    total_frames += n;
    native += strcmp(w, "-") != 0;
    be += strstr(c, ".be.dcm") != NULL;
    rle += strstr(c, ".rle") != NULL;
    jll += strstr(c, ".jll") != NULL;
    svs += strstr(c, ".jll-sv") != NULL && strstr(c, "-sv1") == NULL;
    pts += strstr(c, "-pt") != NULL;
    frag += strstr(c, "-frag") != NULL;
    rst += strstr(c, "-restart") != NULL;
    jls += strstr(c, ".jls") != NULL;
    deflated += strstr(c, ".deflated") != NULL;
    base += strstr(c, ".jpeg-baseline") != NULL;
    j2k += strstr(c, ".j2k") != NULL;
    j2k_lossy += strstr(c, ".j2k-lossy") != NULL;
  }
  fclose(fp);
  fprintf(stderr, "  deflated %d (dcmconv +td), JPEG-LS %d (dcmdjpls), baseline JPEG %d (dcmdjpeg), JPEG 2000 %d (%d lossy; opj_decompress, "
                  "and the original pixels for lossless)\n", deflated, jls, base, j2k, j2k_lossy);
  fprintf(stderr, "  %d files (%ld frames) bit-exact: %d native (%d big endian), %d RLE, %d JPEG lossless "
                  "(%d with selection values 2-7, %d with a point transform, %d with restart markers), %d fragmented\n",
          files, total_frames, native, be, rle, jll, svs, pts, rst, frag);
  T_EQ_INT(failed, 0);
  T_CHECK(native >= 11 && be >= 2 && rle >= 22 && jll >= 50 && svs >= 30 && pts >= 4 && frag >= 20 && rst >= 6);
  T_CHECK(jls >= 14 && base >= 3 && j2k >= 18 && j2k_lossy >= 6 && deflated >= 4);
}

/* The header reader keeps what the display needs: all window pairs with their explanations,
 * the VOI LUT Function, rescale, bits stored, signedness, photometric interpretation. */
static void test_header_fields(void) {
  if (generated <= 0) return;
  char path[600];
  const char *files[] = {"mono12.dcm", "mono12.be.dcm"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    struct img m;
    T_EQ_INT(img_open(&m, path), 0);
    const struct dicom_info *d = &m.info;
    T_EQ_INT(d->window_count, 2);
    T_CHECK(d->window_center[0] == 2000 && d->window_width[0] == 4000);
    T_CHECK(d->window_center[1] == 1000.5 && d->window_width[1] == 500);
    T_EQ_STR(d->window_explanation[0], "NORMAL");
    T_EQ_STR(d->window_explanation[1], "HARDER");
    T_EQ_STR(d->voi_lut_function, "SIGMOID");
    T_CHECK(d->has_rescale && d->rescale_slope == 2 && d->rescale_intercept == -1024.25);
    T_EQ_INT(m.fmt.bits_stored, 12);
    T_EQ_INT(m.fmt.high_bit, 11);
    T_EQ_INT(m.fmt.frames, 3);
    T_EQ_INT(m.fmt.photometric, PIX_MONOCHROME2);
    T_EQ_INT(m.fmt.codec, i ? PIX_NATIVE_BE : PIX_NATIVE_LE);
    img_close(&m);
  }
  snprintf(path, sizeof path, "%s/signed12.dcm", dir);
  struct img s;
  T_EQ_INT(img_open(&s, path), 0);
  T_EQ_INT(s.fmt.is_signed, 1);
  T_EQ_INT(s.info.window_count, 0);
  T_EQ_INT(s.info.has_rescale, 0);
  img_close(&s);
}

/* Out-of-range frames, small buffers, cut files and a broken offset table are errors with
 * words, never reads outside the buffer (the sanitizers check that). */
static void test_bounds(void) {
  if (generated <= 0) return;
  char path[600];
  snprintf(path, sizeof path, "%s/tomo.jll-sv1.dcm", dir);
  struct img m;
  T_EQ_INT(img_open(&m, path), 0);
  size_t fb = pix_frame_bytes(&m.fmt);
  unsigned char *out = malloc(fb);
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, 6, out, fb, m.err, sizeof m.err), PIX_NO_FRAME);
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, -1, out, fb, m.err, sizeof m.err), PIX_NO_FRAME);
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, 0, out, fb - 1, m.err, sizeof m.err), PIX_BUFFER);
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, 5, out, fb, m.err, sizeof m.err), PIX_OK);
  /* each cut of the file: the frames before the cut may decode, the rest fail cleanly */
  size_t full = m.len;
  int cut_errors = 0;
  for (size_t cut = (size_t)m.fmt.pixel_offset; cut < full; cut += 97) {
    struct pix_mem mem;
    struct pix_io io;
    pix_io_memory(&io, &mem, m.buf, cut);
    enum pix_rc rc = pix_decode_frame(&io, &m.fmt, 5, out, fb, m.err, sizeof m.err);
    T_CHECK(rc == PIX_MALFORMED || rc == PIX_IO || rc == PIX_OK);
    cut_errors += rc != PIX_OK;
    T_CHECK(rc == PIX_OK || m.err[0] != '\0');
  }
  T_CHECK(cut_errors > 0);
  /* a basic offset table entry that points inside a fragment */
  unsigned char *bot = m.buf + m.fmt.pixel_offset + 8 + 4;
  bot[0] ^= 1;
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, 1, out, fb, m.err, sizeof m.err), PIX_MALFORMED);
  if (!strstr(m.err, "offset table")) fprintf(stderr, "  error was: %s\n", m.err);
  T_CHECK(strstr(m.err, "offset table") != NULL);
  bot[0] ^= 1;
  /* a corrupted entropy-coded byte changes the frame or is refused: the comparison can fail */
  unsigned char *ref = malloc(fb);
  T_EQ_INT(pix_decode_frame(&m.io, &m.fmt, 0, ref, fb, m.err, sizeof m.err), PIX_OK);
  struct pix_fragment fr[4];
  size_t nf;
  unsigned long long tot;
  T_EQ_INT(pix_frame_fragments(&m.io, &m.fmt, 0, fr, 4, &nf, &tot, m.err, sizeof m.err), PIX_OK);
  T_EQ_INT(nf, 1);
  m.buf[fr[0].offset + fr[0].length / 2] ^= 0x10;
  enum pix_rc rc = pix_decode_frame(&m.io, &m.fmt, 0, out, fb, m.err, sizeof m.err);
  T_CHECK(rc != PIX_OK || memcmp(out, ref, fb) != 0);
  free(ref);
  free(out);
  img_close(&m);
}

/* Formats we do not decode say so in words. */
static void test_unsupported_words(void) {
  struct dicom_info d;
  memset(&d, 0, sizeof d);
  d.has_pixel_data = 1;
  d.pixel_offset_known = 1;
  d.pixel_encapsulated = 1;
  d.rows = d.columns = 8;
  d.bits_allocated = 16;
  d.samples_per_pixel = 1;
  strcpy(d.photometric, "MONOCHROME2");
  strcpy(d.transfer_syntax, "1.2.840.10008.1.2.4.51");
  struct pix_format f;
  char err[120];
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_UNSUPPORTED);
  T_CHECK(strstr(err, "12-bit extended JPEG") != NULL);
  strcpy(d.transfer_syntax, "1.2.840.10008.1.2.4.50");
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_UNSUPPORTED); /* 16-bit baseline */
  d.pixel_offset_known = 0; /* deflated: offsets count in the inflated bytes */
  strcpy(d.transfer_syntax, "1.2.840.10008.1.2.1.99");
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_MALFORMED); /* not encapsulated */
  d.pixel_encapsulated = 0;
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_OK);
  d.pixel_encapsulated = 1;
  d.pixel_offset_known = 1;
  strcpy(d.transfer_syntax, "1.2.840.10008.1.2.4.90");
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_OK);
  strcpy(d.transfer_syntax, "1.2.840.10008.1.2.4.70");
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_OK);
  strcpy(d.photometric, "PALETTE COLOR");
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_UNSUPPORTED);
  strcpy(d.photometric, "MONOCHROME2");
  d.bits_allocated = 32;
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_UNSUPPORTED);
  d.bits_allocated = 16;
  d.bits_stored = 17;
  d.has_bits_stored = 1;
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_MALFORMED);
  d.bits_stored = 12;
  d.pixel_encapsulated = 0;
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_MALFORMED);
  d.has_pixel_data = 0;
  T_EQ_INT(pix_format_from_info(&d, &f, err, sizeof err), PIX_NO_FRAME);
}

/* Hand-made JPEG streams: a Huffman table with more codes than its lengths allow (the first
 * fuzzer finding: it wrote past the lookup table) is refused; a 2x2 image decodes. */
static void test_jpegll_small(void) {
  struct pix_format f = {.rows = 2, .columns = 2, .samples = 1, .bits_allocated = 8,
                         .bits_stored = 8, .high_bit = 7, .photometric = PIX_MONOCHROME2, .frames = 1};
  unsigned char bad[] = {0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0,
                         0xFF, 0xC4, 0, 22, 0x00, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2,
                         0xFF, 0xD9};
  uint8_t out[4];
  char err[120];
  T_EQ_INT(pix_jpegll_decode(bad, sizeof bad, &f, out, sizeof out, err, sizeof err), PIX_MALFORMED);
  T_CHECK(strstr(err, "too many codes") != NULL);
  /* one table: category 0 -> "0", category 1 -> "10"; SV1; samples 128 (initial), 129, 129, 130:
   * diffs 0, +1 (Ra), +1 (Rb of the first column: 128 + 1), +1 (Ra 129 + 1) */
  unsigned char good[] = {0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0,
                          0xFF, 0xC4, 0, 21, 0x00, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                          0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 0, 0,
                          /* bits: 0 | 10 1 | 10 1 | 10 1, padded with ones: 0101 1011 0111 1111 */
                          0x5B, 0x7F, 0xFF, 0xD9};
  T_EQ_INT(pix_jpegll_decode(good, sizeof good, &f, out, sizeof out, err, sizeof err), PIX_OK);
  T_CHECK(out[0] == 128 && out[1] == 129 && out[2] == 129 && out[3] == 130);
  T_EQ_INT(pix_jpegll_decode(good, sizeof good - 2, &f, out, sizeof out, err, sizeof err), PIX_MALFORMED);
  T_EQ_INT(pix_jpegll_decode(good, sizeof good, &f, out, 3, err, sizeof err), PIX_BUFFER);
  good[3] = 0xC0; /* baseline DCT: not ours */
  T_EQ_INT(pix_jpegll_decode(good, sizeof good, &f, out, sizeof out, err, sizeof err), PIX_UNSUPPORTED);
}

/* VOI LUT and Modality LUT Sequences: the header keeps where each table lies, pix_lut_read
 * reads it (16-bit US values, 8-bit entries in OW words), and the display table follows it. */
static void test_lut_sequences(void) {
  if (generated <= 0) return;
  char path[600];
  snprintf(path, sizeof path, "%s/voilut12.be.dcm", dir);
  struct img be;
  T_EQ_INT(img_open(&be, path), 0);
  T_EQ_INT(be.info.voi_lut_count, 2);
  T_CHECK(be.info.voi_lut[0].descriptor_ok && be.info.voi_lut[0].entries == 4096 && be.info.voi_lut[0].bits == 16);
  T_EQ_STR(be.info.voi_lut[1].explanation, "INVERSE");
  static uint16_t t[4096];
  struct pix_lut l;
  T_EQ_INT(pix_lut_read(&be.io, &be.fmt, &be.info.voi_lut[0], 0, t, 4096, &l, be.err, sizeof be.err), PIX_OK);
  T_CHECK(t[0] == 0 && t[1] == 16 && t[4095] == (16 * 4095 & 0xFFFF)); /* US values, big endian */
  img_close(&be);

  snprintf(path, sizeof path, "%s/voilut12.dcm", dir);
  struct img m;
  T_EQ_INT(img_open(&m, path), 0);
  const struct dicom_info *d = &m.info;
  T_EQ_INT(d->voi_lut_count, 2);
  T_EQ_INT(d->has_modality_lut, 1);
  T_EQ_STR(d->voi_lut[0].explanation, "RAMP");
  T_EQ_STR(d->modality_lut.explanation, "FLIP");
  T_CHECK(d->voi_lut[1].entries == 256 && d->voi_lut[1].first_raw == 1000 && d->voi_lut[1].bits == 8);
  static uint16_t ramp[4096], inv[256], flip[4096];
  struct pix_lut lr, li, lf;
  int ok = 1;
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &d->voi_lut[0], 0, ramp, 4096, &lr, m.err, sizeof m.err), PIX_OK);
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &d->voi_lut[1], 0, inv, 256, &li, m.err, sizeof m.err), PIX_OK);
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &d->modality_lut, 0, flip, 4096, &lf, m.err, sizeof m.err), PIX_OK);
  struct pix_lut tmp;
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &d->voi_lut[1], 0, inv, 255, &tmp, m.err, sizeof m.err), PIX_BUFFER);
  for (int i = 0; i < 4096; i++) ok &= ramp[i] == (uint16_t)(16 * i) && flip[i] == 4095 - i;
  for (int i = 0; i < 256; i++) ok &= inv[i] == 255 - i;
  T_CHECK(ok);
  T_EQ_INT(li.first, 1000);
  static uint8_t lut[4096];
  /* VOI by the 8-bit table from 1000: below -> entry 0 (255), 1255 and above -> 0 */
  struct pix_display disp = {.slope = 1, .voi = li};
  T_EQ_INT(pix_display_lut(&m.fmt, &disp, lut, sizeof lut), 0);
  T_CHECK(lut[0] == 255 && lut[999] == 255 && lut[1000] == 255 && lut[1001] == 254 && lut[1255] == 0 && lut[4095] == 0);
  /* 16-bit ramp: entry 100 = 1600 -> 1600 * 255 / 65535 = 6.23 -> 6 */
  disp.voi = lr;
  T_EQ_INT(pix_display_lut(&m.fmt, &disp, lut, sizeof lut), 0);
  T_CHECK(lut[100] == 6 && lut[4095] == 255);
  /* Modality LUT flips first: stored 4095 -> 0 -> ramp entry 0 -> 0; stored 0 -> 4095 -> 255 */
  disp.modality = lf;
  T_EQ_INT(pix_display_lut(&m.fmt, &disp, lut, sizeof lut), 0);
  T_CHECK(lut[4095] == 0 && lut[0] == 255 && lut[3995] == 6);
  /* a defined-length VOI LUT Sequence with a broken item is passed over as before: the file
   * still reads, the image still decodes, only the VOI LUTs are gone */
  unsigned char sig[] = {0x28, 0x00, 0x10, 0x30, 'S', 'Q', 0, 0};
  unsigned char *at = memmem(m.buf, m.len, sig, sizeof sig);
  T_CHECK(at != NULL && at[12] == 0xFE);
  if (at) {
    at[12] = 0x00;
    struct dicom_info d2;
    char e2[120];
    T_EQ_INT(dicom_parse(m.buf, m.len, 1, &d2, e2, sizeof e2), DICOM_OK);
    T_EQ_INT(d2.voi_lut_count, 0);
    T_EQ_INT(d2.has_modality_lut, 1);
    T_EQ_INT(d2.problem, DICOM_PROBLEM_NONE);
    struct pix_format f2;
    T_EQ_INT(pix_format_from_info(&d2, &f2, e2, sizeof e2), PIX_OK);
    static uint16_t frame[16 * 16];
    T_EQ_INT(pix_decode_frame(&m.io, &f2, 0, frame, sizeof frame, e2, sizeof e2), PIX_OK);
    at[12] = 0xFE;
  }
  /* a descriptor whose data is too short is refused */
  struct dicom_lut bad = d->voi_lut[0];
  bad.data_length = 100;
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &bad, 0, ramp, 4096, &lr, m.err, sizeof m.err), PIX_MALFORMED);
  bad = d->voi_lut[0];
  bad.data_offset = m.len - 10;
  T_EQ_INT(pix_lut_read(&m.io, &m.fmt, &bad, 0, ramp, 4096, &lr, m.err, sizeof m.err), PIX_MALFORMED);
  img_close(&m);
}

/* The VOI truth table, written from PS3.3 C.11.2.1.2 before the code. */
static void test_voi_table(void) {
  char tsv[600];
  snprintf(tsv, sizeof tsv, "%s/tests/data/voi_table.tsv", share());
  FILE *fp = fopen(tsv, "r");
  T_CHECK(fp != NULL);
  if (!fp) return;
  char line[256];
  int rows = 0;
  while (fgets(line, sizeof line, fp)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char fn[32];
    double c, w, x;
    int want;
    if (sscanf(line, "%31s %lf %lf %lf %d", fn, &c, &w, &x, &want) != 5) continue;
    int known;
    enum pix_voi_function f = pix_voi_function_parse(fn, &known);
    T_CHECK(known);
    int got = pix_voi_value(f, c, w, x);
    if (got != want) fprintf(stderr, "  %s c=%g w=%g x=%g: %d, expected %d\n", fn, c, w, x, got, want);
    T_EQ_INT(got, want);
    rows++;
  }
  fclose(fp);
  T_CHECK(rows >= 25);
  int known = 1;
  T_EQ_INT(pix_voi_function_parse("", &known), PIX_VOI_LINEAR);
  T_EQ_INT(known, 1);
  T_EQ_INT(pix_voi_function_parse("CUBIC", &known), PIX_VOI_LINEAR);
  T_EQ_INT(known, 0);
}

/* Modality LUT, signed samples and MONOCHROME1 inversion through the display table. */
static void test_display_lut(void) {
  struct pix_format f = {.rows = 1, .columns = 4, .samples = 1, .bits_allocated = 16,
                         .bits_stored = 12, .high_bit = 11, .is_signed = 1,
                         .photometric = PIX_MONOCHROME1, .frames = 1};
  T_EQ_INT(pix_stored_value(&f, 0x800), -2048);
  T_EQ_INT(pix_stored_value(&f, 0xFFF), -1);
  T_EQ_INT(pix_stored_value(&f, 0x7FF), 2047);
  static uint8_t lut[4096];
  struct pix_display d = {.slope = 2, .intercept = -1000, .function = PIX_VOI_LINEAR_EXACT,
                          .center = -1000, .width = 400, .invert = 1};
  T_EQ_INT(pix_display_lut(&f, &d, lut, sizeof lut), 0);
  /* stored 0 -> -1000 (centre: 128, inverted 127); stored 100 -> -800 (edge: 255 -> 0) */
  T_EQ_INT(lut[0], 127);
  T_EQ_INT(lut[100], 0);
  T_EQ_INT(lut[0xFFF & (unsigned)-100], 255); /* stored -100 -> -1200: 0, inverted 255 */
  T_EQ_INT(pix_display_lut(&f, &d, lut, 4095), -1);
  d.width = 0;
  T_EQ_INT(pix_display_lut(&f, &d, lut, sizeof lut), -1);
  uint16_t frame[4] = {0, 100, 0xF9C, 5};
  uint8_t out[4];
  d.width = 400;
  T_EQ_INT(pix_display_lut(&f, &d, lut, sizeof lut), 0);
  T_EQ_INT(pix_render_gray(&f, frame, lut, out, sizeof out), 0);
  T_CHECK(out[0] == 127 && out[1] == 0 && out[2] == 255);
  T_EQ_INT(pix_render_gray(&f, frame, lut, out, 3), -1);
  int32_t lo, hi;
  pix_frame_range(&f, frame, &lo, &hi);
  T_EQ_INT(lo, -100);
  T_EQ_INT(hi, 100);
  /* header defaults: the file's window pair with its function, or the full range */
  struct dicom_info di;
  memset(&di, 0, sizeof di);
  di.window_count = 1;
  di.window_center[0] = 50;
  di.window_width[0] = 20;
  strcpy(di.voi_lut_function, "SIGMOID");
  struct pix_display p;
  T_EQ_INT(pix_display_from_header(&di, &f, 0, frame, &p), 0);
  T_CHECK(p.function == PIX_VOI_SIGMOID && p.center == 50 && p.width == 20 && p.slope == 1 && p.invert);
  di.window_width[0] = 0;
  T_EQ_INT(pix_display_from_header(&di, &f, 0, frame, &p), -1);
  T_CHECK(p.width == 201 && p.function == PIX_VOI_LINEAR); /* -100..100 */
  uint8_t ybr[6] = {128, 128, 128, 76, 85, 255};
  pix_ybr_full_to_rgb(ybr, 2);
  T_CHECK(ybr[0] == 128 && ybr[1] == 128 && ybr[2] == 128);
  T_CHECK(ybr[3] >= 253 && ybr[4] <= 2 && ybr[5] <= 2); /* pure red */
}

int main(void) {
  T_RUN(test_decoders_bit_exact);
  T_RUN(test_header_fields);
  T_RUN(test_bounds);
  T_RUN(test_unsupported_words);
  T_RUN(test_jpegll_small);
  T_RUN(test_lut_sequences);
  T_RUN(test_voi_table);
  T_RUN(test_display_lut);
  if (generated > 0) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", dir);
  }
  return t_done();
}
