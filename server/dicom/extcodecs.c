/* Decoders that are the field's own libraries, packaged in Debian 12: JPEG-LS through CharLS's
 * C API, JPEG 2000 through OpenJPEG (libopenjp2), 8-bit baseline JPEG through libjpeg-turbo.
 * Each decodes one compressed frame held in memory into the canonical layout of pixels.h,
 * checking the image it finds against the header before writing anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <charls/charls.h>
#include <jpeglib.h>
#include <openjpeg.h>

#include "dicom/codecs.h"

static int dims_match(const struct pix_format *f, unsigned w, unsigned h, unsigned comps) {
  return w == f->columns && h == f->rows && comps == f->samples;
}

/* Planar to interleaved for 3 samples, through a scratch copy. */
static int planar_to_interleaved(const struct pix_format *f, void *buf) {
  size_t bytes = pix_frame_bytes(f), px = (size_t)f->rows * f->columns;
  unsigned char *tmp = malloc(bytes);
  if (!tmp) return -1;
  memcpy(tmp, buf, bytes);
  if (f->bits_allocated == 8) {
    uint8_t *o = buf;
    for (size_t i = 0; i < px; i++)
      for (unsigned s = 0; s < f->samples; s++) o[i * f->samples + s] = tmp[s * px + i];
  } else {
    uint16_t *o = buf;
    const uint16_t *t = (const uint16_t *)(void *)tmp;
    for (size_t i = 0; i < px; i++)
      for (unsigned s = 0; s < f->samples; s++) o[i * f->samples + s] = t[s * px + i];
  }
  free(tmp);
  return 0;
}

static void mask_stored(const struct pix_format *f, void *buf) {
  size_t n = (size_t)f->rows * f->columns * f->samples;
  if (f->bits_allocated == 8) {
    uint8_t *p = buf, m = (uint8_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) p[i] &= m;
  } else {
    uint16_t *p = buf, m = (uint16_t)((1u << f->bits_stored) - 1);
    for (size_t i = 0; i < n; i++) p[i] &= m;
  }
}

/* ---- JPEG-LS (CharLS 2.4) ---- */

enum pix_rc pix_jpegls_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                              void *out, size_t outcap, char *err, size_t errlen) {
  size_t bytes = pix_frame_bytes(f);
  if (outcap < bytes) return pix_say(PIX_BUFFER, err, errlen, "the frame buffer is too small");
  charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
  if (!dec) return pix_say(PIX_NOMEM, err, errlen, "out of memory");
  enum pix_rc rc = PIX_OK;
  charls_frame_info fi;
  charls_interleave_mode im;
  size_t need = 0;
  if (charls_jpegls_decoder_set_source_buffer(dec, in, inlen) != CHARLS_JPEGLS_ERRC_SUCCESS ||
      charls_jpegls_decoder_read_header(dec) != CHARLS_JPEGLS_ERRC_SUCCESS ||
      charls_jpegls_decoder_get_frame_info(dec, &fi) != CHARLS_JPEGLS_ERRC_SUCCESS ||
      charls_jpegls_decoder_get_interleave_mode(dec, &im) != CHARLS_JPEGLS_ERRC_SUCCESS) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG-LS header is not valid");
    goto done;
  }
  if (!dims_match(f, fi.width, fi.height, (unsigned)fi.component_count) || fi.bits_per_sample < 2 ||
      fi.bits_per_sample > (int32_t)f->bits_allocated) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG-LS image (%ux%u, %d components, %d bits) is not the one the header describes",
             fi.width, fi.height, fi.component_count, fi.bits_per_sample);
    goto done;
  }
  if (charls_jpegls_decoder_get_destination_size(dec, 0, &need) != CHARLS_JPEGLS_ERRC_SUCCESS || need != bytes) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG-LS image has an unexpected size");
    goto done;
  }
  charls_jpegls_errc e = charls_jpegls_decoder_decode_to_buffer(dec, out, bytes, 0);
  if (e != CHARLS_JPEGLS_ERRC_SUCCESS) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG-LS data is broken (%s)", charls_get_error_message(e));
    goto done;
  }
  if (f->samples > 1 && im == CHARLS_INTERLEAVE_MODE_NONE && planar_to_interleaved(f, out) != 0) {
    rc = pix_say(PIX_NOMEM, err, errlen, "out of memory");
    goto done;
  }
  mask_stored(f, out);
done:
  charls_jpegls_decoder_destroy(dec);
  return rc;
}

/* ---- JPEG 2000 (OpenJPEG 2.5) ---- */

struct memstream {
  const unsigned char *p;
  size_t n, pos;
};

static OPJ_SIZE_T ms_read(void *buf, OPJ_SIZE_T n, void *user) {
  struct memstream *m = user;
  if (m->pos >= m->n) return (OPJ_SIZE_T)-1;
  size_t c = m->n - m->pos < n ? m->n - m->pos : n;
  memcpy(buf, m->p + m->pos, c);
  m->pos += c;
  return c;
}

static OPJ_OFF_T ms_skip(OPJ_OFF_T n, void *user) {
  struct memstream *m = user;
  if (n < 0) {
    if ((size_t)(-n) > m->pos) n = -(OPJ_OFF_T)m->pos;
  } else if ((size_t)n > m->n - m->pos) {
    n = (OPJ_OFF_T)(m->n - m->pos);
  }
  m->pos += (size_t)n;
  return n;
}

static OPJ_BOOL ms_seek(OPJ_OFF_T n, void *user) {
  struct memstream *m = user;
  if (n < 0 || (size_t)n > m->n) return OPJ_FALSE;
  m->pos = (size_t)n;
  return OPJ_TRUE;
}

static void opj_quiet(const char *msg, void *user) {
  (void)msg;
  (void)user;
}

enum pix_rc pix_j2k_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                           void *out, size_t outcap, char *err, size_t errlen) {
  size_t bytes = pix_frame_bytes(f);
  if (outcap < bytes) return pix_say(PIX_BUFFER, err, errlen, "the frame buffer is too small");
  if (inlen < 12) return pix_say(PIX_MALFORMED, err, errlen, "the JPEG 2000 data is cut short");
  /* a raw codestream (FF4F FF51) as DICOM stores it, or a JP2 file as some writers do */
  OPJ_CODEC_FORMAT fmt = in[0] == 0xFF && in[1] == 0x4F ? OPJ_CODEC_J2K : OPJ_CODEC_JP2;
  struct memstream ms = {.p = in, .n = inlen};
  opj_codec_t *codec = opj_create_decompress(fmt);
  opj_stream_t *st = opj_stream_create(64 << 10, OPJ_TRUE);
  opj_image_t *img = NULL;
  enum pix_rc rc = PIX_OK;
  if (!codec || !st) {
    rc = pix_say(PIX_NOMEM, err, errlen, "out of memory");
    goto done;
  }
  opj_set_info_handler(codec, opj_quiet, NULL);
  opj_set_warning_handler(codec, opj_quiet, NULL);
  opj_set_error_handler(codec, opj_quiet, NULL);
  opj_stream_set_user_data(st, &ms, NULL);
  opj_stream_set_user_data_length(st, inlen);
  opj_stream_set_read_function(st, ms_read);
  opj_stream_set_skip_function(st, ms_skip);
  opj_stream_set_seek_function(st, ms_seek);
  opj_dparameters_t par;
  opj_set_default_decoder_parameters(&par);
  if (!opj_setup_decoder(codec, &par) || !opj_read_header(st, codec, &img) || !img) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG 2000 header is not valid");
    goto done;
  }
  if (!dims_match(f, img->x1 - img->x0, img->y1 - img->y0, img->numcomps)) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG 2000 image (%ux%u, %u components) is not the one the header describes",
             img->x1 - img->x0, img->y1 - img->y0, img->numcomps);
    goto done;
  }
  if (!opj_decode(codec, st, img) || !opj_end_decompress(codec, st)) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG 2000 data is broken");
    goto done;
  }
  size_t px = (size_t)f->rows * f->columns;
  for (unsigned c = 0; c < img->numcomps; c++) {
    const opj_image_comp_t *ic = &img->comps[c];
    if (ic->w != f->columns || ic->h != f->rows || ic->dx != 1 || ic->dy != 1 || !ic->data ||
        ic->prec < 1 || ic->prec > f->bits_allocated) {
      rc = pix_say(PIX_UNSUPPORTED, err, errlen, "subsampled or over-deep JPEG 2000 components are not shown here");
      goto done;
    }
    for (size_t i = 0; i < px; i++) {
      uint32_t v = (uint32_t)ic->data[i]; /* signed values keep their two's complement bits */
      if (f->bits_allocated == 8) ((uint8_t *)out)[i * f->samples + c] = (uint8_t)v;
      else ((uint16_t *)out)[i * f->samples + c] = (uint16_t)v;
    }
  }
  mask_stored(f, out);
done:
  if (img) opj_image_destroy(img);
  if (st) opj_stream_destroy(st);
  if (codec) opj_destroy_codec(codec);
  return rc;
}

/* ---- 8-bit baseline JPEG (libjpeg-turbo 2.1) ---- */

struct jerr {
  struct jpeg_error_mgr mgr;
  jmp_buf jb;
};

static void jerr_exit(j_common_ptr cinfo) {
  struct jerr *e = (struct jerr *)(void *)cinfo->err;
  longjmp(e->jb, 1);
}

static void jerr_quiet(j_common_ptr cinfo, int level) {
  (void)cinfo;
  (void)level;
}

enum pix_rc pix_jpegbase_decode(const unsigned char *in, size_t inlen, const struct pix_format *f,
                                void *out, size_t outcap, char *err, size_t errlen) {
  size_t bytes = pix_frame_bytes(f);
  if (outcap < bytes) return pix_say(PIX_BUFFER, err, errlen, "the frame buffer is too small");
  if (f->bits_allocated != 8) return pix_say(PIX_UNSUPPORTED, err, errlen, "JPEG with more than 8 bits is not shown here");
  if (inlen > 0xFFFFFFFFul) return pix_say(PIX_UNSUPPORTED, err, errlen, "the JPEG frame is too large");
  struct jpeg_decompress_struct cinfo;
  struct jerr je;
  volatile enum pix_rc rc = PIX_OK;
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jerr_exit;
  je.mgr.emit_message = jerr_quiet;
  if (setjmp(je.jb)) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG data is broken");
    goto done;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, in, (unsigned long)inlen);
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG header is not valid");
    goto done;
  }
  if (cinfo.data_precision != 8) {
    rc = pix_say(PIX_UNSUPPORTED, err, errlen, "%d-bit JPEG cannot be decoded here", cinfo.data_precision);
    goto done;
  }
  if (!dims_match(f, cinfo.image_width, cinfo.image_height, (unsigned)cinfo.num_components)) {
    rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG image (%ux%u, %d components) is not the one the header describes",
             cinfo.image_width, cinfo.image_height, cinfo.num_components);
    goto done;
  }
  cinfo.out_color_space = f->samples == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)f->columns * f->samples;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = (unsigned char *)out + (size_t)cinfo.output_scanline * stride;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      rc = pix_say(PIX_MALFORMED, err, errlen, "the JPEG data is broken");
      goto done;
    }
  }
  jpeg_finish_decompress(&cinfo);
done:
  jpeg_destroy_decompress(&cinfo);
  return rc;
}
