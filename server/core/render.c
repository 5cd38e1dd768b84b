#include "core/render.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/confined.h"
#include "dicom/dicom.h"
#include "dicom/lut.h"
#include "dicom/pixels.h"
#include "util/log.h"

#define FRAME_HDR 5
#define CHILD_CPU_SECONDS 600
/* the largest frame a decoder takes in (see pixels.h) with the codec's own working memory and
 * the mapped libraries, with room to spare: a decoder that runs away fails here, not the server */
#define CHILD_MEMORY_MIB 1024
#define WHY_MAX 512

static atomic_uint stall_seconds = 30;
static const char *program = "/proc/self/exe";

void render_set_stall_seconds(unsigned s) { atomic_store(&stall_seconds, s ? s : 1); }
void render_set_program(const char *path) { program = path; }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* ---- the parent ---- */

/* Moves n bytes in or out of fd (sending when out), giving up when nothing moved for the stall
 * limit. 0, -1 (the child hung up or failed) or -2 (stalled). */
static int move_all(int fd, void *buf, size_t n, int out) {
  unsigned char *p = buf;
  long long last = now_ms();
  while (n) {
    ssize_t k = out ? send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) : recv(fd, p, n, MSG_DONTWAIT);
    if (k > 0) {
      p += k;
      n -= (size_t)k;
      last = now_ms();
      continue;
    }
    if (k == 0 && !out) return -1;
    if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    long long left = last + (long long)atomic_load(&stall_seconds) * 1000 - now_ms();
    if (left <= 0) return -2;
    struct pollfd pf = {fd, out ? POLLOUT : POLLIN, 0};
    int pr = poll(&pf, 1, left > 60000 ? 60000 : (int)left);
    if (pr < 0 && errno != EINTR) return -1;
  }
  return 0;
}

#define LUT_FRAME_MAX (RENDER_LUT_HEAD + 2 * (size_t)65536)

/* Checks one 'L' frame and hands the table to ops->lut. 0, or -1 with why set. */
static int lut_frame(const struct render_ops *ops, const unsigned char *p, size_t len, unsigned *seen, char *why,
                     size_t whylen) {
  struct render_lut l = {0};
  if (len < RENDER_LUT_HEAD) {
    snprintf(why, whylen, "the rendering process sent a malformed lookup table");
    return -1;
  }
  uint32_t kind = get32(p);
  l.voi = kind == 1;
  l.first = (int)(int32_t)get32(p + 4);
  l.bits = get32(p + 8);
  l.entries = get32(p + 12);
  unsigned nvoi = 0;
  for (unsigned b = *seen >> 1; b; b >>= 1) nvoi++;
  if (kind > 1 || l.bits < 1 || l.bits > 16 || l.entries < 1 || l.entries > 65536 ||
      len != RENDER_LUT_HEAD + 2 * (size_t)l.entries || l.first < -65536 || l.first > 65535 ||
      (!l.voi && (*seen & 1)) || (l.voi && nvoi >= RENDER_MAX_VOI_LUTS)) {
    snprintf(why, whylen, "the rendering process sent a malformed lookup table");
    return -1;
  }
  *seen |= l.voi ? 2u << nvoi : 1u;
  size_t k = 0;
  for (size_t i = 16; i < RENDER_LUT_HEAD && p[i]; i++) /* a label for people: printable ASCII only */
    if (p[i] >= 0x20 && p[i] < 0x7F && k + 1 < sizeof l.explanation) l.explanation[k++] = (char)p[i];
  l.explanation[k] = '\0';
  if (!ops->lut) return 0;
  uint16_t *t = malloc(2 * (size_t)l.entries);
  if (!t) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < l.entries; i++)
    t[i] = (uint16_t)(p[RENDER_LUT_HEAD + 2 * i] | p[RENDER_LUT_HEAD + 2 * i + 1] << 8);
  l.table = t;
  int rc = ops->lut(ops->ctx, &l);
  free(t);
  if (rc != 0) snprintf(why, whylen, "the lookup tables could not be kept");
  return rc;
}

static int send_frame(const struct render_chan *ch, char type, const void *p, size_t n) {
  unsigned char h[FRAME_HDR];
  h[0] = (unsigned char)type;
  put32(h + 1, (uint32_t)n);
  int rc = ch->send(ch->ctx, h, sizeof h);
  if (rc == 0 && n) rc = ch->send(ch->ctx, p, n);
  return rc;
}

static int fd_send(void *ctx, const void *p, size_t n) { return move_all(*(int *)ctx, (void *)p, n, 1); }
static int fd_recv(void *ctx, void *p, size_t n) { return move_all(*(int *)ctx, p, n, 0); }

enum render_rc render_image(const struct render_ops *ops, char *why, size_t whylen) {
  enum render_rc res = RENDER_FAILED;
  int fd = -1, finished = 0;
  snprintf(why, whylen, "the image could not be prepared");
  static const char *const pass_env[] = {
#ifdef SECONDOP_TEST_HOOKS
      "SECONDOP_TEST_RENDER_KILL_AT=", "SECONDOP_TEST_RENDER_STALL=",
#endif
      NULL};
  pid_t pid = confined_start(program, "render-worker", "rendering", pass_env, &fd);
  if (pid <= 0) {
    snprintf(why, whylen, "the rendering process could not be started");
    return res;
  }
  struct render_chan ch = {fd_recv, fd_send, &fd};
  res = render_converse(&ch, ops, &finished, why, whylen);
  close(fd);
  confined_stop(pid, finished, "rendering");
  return res;
}

enum render_rc render_converse(const struct render_chan *ch, const struct render_ops *ops, int *finished, char *why,
                               size_t whylen) {
  enum render_rc res = RENDER_FAILED;
  int have_info = 0;
  struct render_info info = {0};
  uint64_t frames_total = 0, frames_got = 0;
  size_t png_got = 0;
  unsigned luts_seen = 0; /* bit 0: the Modality LUT; then one per VOI LUT from bit 1 */
  unsigned char *buf = malloc(RENDER_READ_MAX > RENDER_CHUNK ? RENDER_READ_MAX : RENDER_CHUNK);
  *finished = 0;
  snprintf(why, whylen, "the image could not be prepared");
  if (!buf) goto done;
  unsigned char sz[8];
  put64(sz, ops->size);
  if (send_frame(ch, 'S', sz, sizeof sz) != 0) {
    snprintf(why, whylen, "the rendering process ended at once");
    goto done;
  }
  for (;;) {
    unsigned char h[FRAME_HDR];
    int rc = ch->recv(ch->ctx, h, sizeof h);
    if (rc == 0) {
      uint32_t len = get32(h + 1);
      size_t cap = h[0] == 'U' ? WHY_MAX : h[0] == 'R' ? 12 : h[0] == 'I' ? 28 : h[0] == 'L' ? LUT_FRAME_MAX : RENDER_CHUNK;
      if (len > cap || (h[0] != 'D' && h[0] != 'P' && h[0] != 'U' && h[0] != 'L' && len != cap && h[0] != 'Z') ||
          (h[0] == 'Z' && len != 0)) {
        snprintf(why, whylen, "the rendering process sent a malformed frame ('%c', %u bytes)", h[0], len);
        goto done;
      }
      rc = ch->recv(ch->ctx, buf, len);
      if (rc == 0) {
        switch (h[0]) {
        case 'R': {
          uint64_t off = get64(buf);
          uint32_t n = get32(buf + 8);
          if (n == 0 || n > RENDER_READ_MAX || off > ops->size || n > ops->size - off) {
            snprintf(why, whylen, "the rendering process asked for bytes outside the file");
            goto done;
          }
          if (ops->read_at(ops->ctx, off, buf, n) != 0) {
            send_frame(ch, 'X', NULL, 0);
            snprintf(why, whylen, "the stored file could not be read back");
            goto done;
          }
          rc = send_frame(ch, 'B', buf, n);
          break;
        }
        case 'I':
          if (have_info) goto bad_order;
          info.rows = get32(buf);
          info.columns = get32(buf + 4);
          info.samples = get32(buf + 8);
          info.bytes_per_sample = get32(buf + 12);
          info.frames = (long)get32(buf + 16);
          info.frame_bytes = get64(buf + 20);
          if (!info.rows || !info.columns || info.rows > 65535 || info.columns > 65535 ||
              (info.samples != 1 && info.samples != 3) || (info.bytes_per_sample != 1 && info.bytes_per_sample != 2) ||
              info.frames < 1 || info.frames > 100000000 ||
              info.frame_bytes != (uint64_t)info.rows * info.columns * info.samples * info.bytes_per_sample) {
            snprintf(why, whylen, "the rendering process described an impossible image");
            goto done;
          }
          frames_total = info.frame_bytes * (uint64_t)info.frames;
          have_info = 1;
          if (ops->info(ops->ctx, &info) != 0) {
            snprintf(why, whylen, "the frames could not be stored");
            goto done;
          }
          break;
        case 'L':
          if (!have_info || frames_got != 0) goto bad_order;
          rc = lut_frame(ops, buf, len, &luts_seen, why, whylen);
          if (rc != 0) goto done;
          break;
        case 'D':
          if (!have_info || len == 0 || len > frames_total - frames_got) goto bad_order;
          frames_got += len;
          if (ops->frames(ops->ctx, buf, len) != 0) {
            snprintf(why, whylen, "the frames could not be stored");
            goto done;
          }
          break;
        case 'P':
          if (!have_info || frames_got != frames_total || len == 0 || len > RENDER_PNG_MAX - png_got) goto bad_order;
          png_got += len;
          if (ops->preview(ops->ctx, buf, len) != 0) {
            snprintf(why, whylen, "the preview could not be stored");
            goto done;
          }
          break;
        case 'U': {
          /* a sentence for people: printable ASCII only */
          size_t k = 0;
          for (uint32_t i = 0; i < len && k + 1 < whylen; i++)
            if (buf[i] >= 0x20 && buf[i] < 0x7F) why[k++] = (char)buf[i]; /* ASCII: the column is UTF-8 */
          why[k] = '\0';
          if (!k) snprintf(why, whylen, "This image's pixel data cannot be decoded.");
          *finished = 1;
          res = RENDER_NOT_DECODABLE;
          goto done;
        }
        case 'Z':
          if (!have_info || frames_got != frames_total || png_got == 0) goto bad_order;
          *finished = 1;
          res = RENDER_OK;
          goto done;
        default:
          goto bad_order;
        }
      }
    }
    if (rc == -2) {
      snprintf(why, whylen, "the rendering process stopped making progress for %u s and was stopped",
               atomic_load(&stall_seconds));
      goto done;
    }
    if (rc != 0) {
      snprintf(why, whylen, "the rendering process ended without finishing (it crashed or hit a limit)");
      goto done;
    }
  }
bad_order:
  snprintf(why, whylen, "the rendering process answered out of order");
done:
  if (buf) {
    explicit_bzero(buf, RENDER_READ_MAX > RENDER_CHUNK ? RENDER_READ_MAX : RENDER_CHUNK); /* pixel data */
    free(buf);
  }
  return res;
}

/* ---- PNG ---- */

static int png_chunk(unsigned char **p, const char *type, const unsigned char *data, size_t n) {
  unsigned char *q = *p;
  q[0] = (unsigned char)(n >> 24), q[1] = (unsigned char)(n >> 16), q[2] = (unsigned char)(n >> 8),
  q[3] = (unsigned char)n;
  memcpy(q + 4, type, 4);
  if (n) memcpy(q + 8, data, n);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, q + 4, (uInt)(n + 4));
  q += 8 + n;
  q[0] = (unsigned char)(crc >> 24), q[1] = (unsigned char)(crc >> 16), q[2] = (unsigned char)(crc >> 8),
  q[3] = (unsigned char)crc;
  *p = q + 4;
  return 0;
}

int render_png(const unsigned char *pixels, unsigned width, unsigned height, unsigned samples,
               unsigned char **out, size_t *outlen) {
  *out = NULL;
  *outlen = 0;
  if (!width || !height || width > 4096 || height > 4096 || (samples != 1 && samples != 3)) return -1;
  size_t stride = (size_t)width * samples;
  size_t rawlen = (stride + 1) * height;
  unsigned char *raw = malloc(rawlen);
  uLongf zlen = compressBound((uLong)rawlen);
  unsigned char *z = malloc(zlen);
  unsigned char *png = malloc(zlen + 8 + 25 + 12 + 12);
  int rc = -1;
  if (!raw || !z || !png) goto done;
  for (unsigned y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; /* filter: none */
    memcpy(raw + y * (stride + 1) + 1, pixels + y * stride, stride);
  }
  if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK) goto done;
  unsigned char *p = png;
  memcpy(p, "\x89PNG\r\n\x1a\n", 8);
  p += 8;
  unsigned char ihdr[13] = {(unsigned char)(width >> 24), (unsigned char)(width >> 16), (unsigned char)(width >> 8),
                            (unsigned char)width, (unsigned char)(height >> 24), (unsigned char)(height >> 16),
                            (unsigned char)(height >> 8), (unsigned char)height, 8, samples == 3 ? 2 : 0, 0, 0, 0};
  png_chunk(&p, "IHDR", ihdr, sizeof ihdr);
  png_chunk(&p, "IDAT", z, zlen);
  png_chunk(&p, "IEND", NULL, 0);
  *outlen = (size_t)(p - png);
  *out = png;
  png = NULL;
  rc = 0;
done:
  free(raw);
  free(z);
  free(png);
  return rc;
}

/* ---- the child ---- */

static int frame_out(char type, const void *p, size_t n) {
  unsigned char h[FRAME_HDR];
  h[0] = (unsigned char)type;
  put32(h + 1, (uint32_t)n);
  if (confined_write_all(1, h, sizeof h) != 0) return -1;
  return n ? confined_write_all(1, p, n) : 0;
}

/* The child's source: every read is a request to the parent. */
static int child_read_at(void *ctx, unsigned long long off, void *dst, size_t n) {
  (void)ctx;
  unsigned char *d = dst;
  while (n) {
    size_t k = n > RENDER_READ_MAX ? RENDER_READ_MAX : n;
    unsigned char req[12], h[FRAME_HDR];
    put64(req, off);
    put32(req + 8, (uint32_t)k);
    if (frame_out('R', req, sizeof req) != 0 || confined_read_all(0, h, sizeof h) != 0) return -1;
    if (h[0] != 'B' || get32(h + 1) != k) return -1;
    if (confined_read_all(0, d, k) != 0) return -1;
    d += k;
    off += k;
    n -= k;
  }
  return 0;
}

static int undecodable(const char *why) { return frame_out('U', why, strnlen(why, WHY_MAX)) == 0 ? 0 : 3; }

/* The tables the file holds, as read by the child: [0] the Modality LUT, then the VOI LUTs. */
struct child_luts {
  uint16_t *table[1 + RENDER_MAX_VOI_LUTS];
  struct pix_lut lut[1 + RENDER_MAX_VOI_LUTS];
};

/* Reads the Modality LUT and the VOI LUTs of the header and sends each one that reads as an
 * 'L' frame; one that cannot be read is left out (the window and rescale still show the
 * image). 0, or -1 when the parent is gone. */
static int send_luts(const struct dicom_info *d, const struct pix_format *f, const struct pix_io *io,
                     struct child_luts *cl) {
  /* VOI input is the Modality output: signed when the pixels are or the rescale can go below
   * zero, unless a Modality LUT (whose output is unsigned) comes first */
  int voi_signed = !d->has_modality_lut && (f->is_signed || (d->has_rescale && (d->rescale_intercept < 0 || d->rescale_slope < 0)));
  int nvoi = d->voi_lut_count < RENDER_MAX_VOI_LUTS ? d->voi_lut_count : RENDER_MAX_VOI_LUTS;
  if (nvoi > DICOM_MAX_VOI_LUTS) nvoi = DICOM_MAX_VOI_LUTS;
  unsigned char *msg = malloc(LUT_FRAME_MAX);
  if (!msg) return 0;
  int rc = 0;
  for (int k = -1; k < nvoi && rc == 0; k++) {
    const struct dicom_lut *src = k < 0 ? &d->modality_lut : &d->voi_lut[k];
    if (k < 0 && !d->has_modality_lut) continue;
    size_t slot = (size_t)(k + 1), entries = src->entries ? src->entries : 1;
    if (!src->descriptor_ok || entries > 65536) continue;
    uint16_t *t = malloc(2 * entries);
    if (!t) continue;
    if (pix_lut_read(io, f, src, k < 0 ? f->is_signed : voi_signed, t, entries, &cl->lut[slot], NULL, 0) != PIX_OK) {
      free(t);
      memset(&cl->lut[slot], 0, sizeof cl->lut[slot]);
      continue;
    }
    cl->table[slot] = t;
    const struct pix_lut *l = &cl->lut[slot];
    memset(msg, 0, RENDER_LUT_HEAD);
    put32(msg, k < 0 ? 0 : 1);
    put32(msg + 4, (uint32_t)l->first);
    put32(msg + 8, l->bits);
    put32(msg + 12, l->entries);
    memcpy(msg + 16, src->explanation, strnlen(src->explanation, RENDER_LUT_HEAD - 16));
    for (size_t i = 0; i < l->entries; i++) {
      msg[RENDER_LUT_HEAD + 2 * i] = (unsigned char)l->table[i];
      msg[RENDER_LUT_HEAD + 2 * i + 1] = (unsigned char)(l->table[i] >> 8);
    }
    rc = frame_out('L', msg, RENDER_LUT_HEAD + 2 * (size_t)l->entries);
  }
  free(msg);
  return rc;
}

/* The 8-bit preview of decoded frame 0 (canonical layout, before the output conversion):
 * through the file's Modality LUT when it has one, then its first window, else its first VOI
 * LUT, else the frame's full range; box-averaged down to a long side of at most
 * RENDER_PREVIEW_MAX. */
static int preview(const struct dicom_info *d, const struct pix_format *f, const void *frame,
                   const struct child_luts *cl, unsigned char **png, size_t *pnglen) {
  unsigned long long L = f->rows > f->columns ? f->rows : f->columns;
  unsigned ow = L > RENDER_PREVIEW_MAX ? (unsigned)((f->columns * (unsigned long long)RENDER_PREVIEW_MAX + L / 2) / L) : f->columns;
  unsigned oh = L > RENDER_PREVIEW_MAX ? (unsigned)((f->rows * (unsigned long long)RENDER_PREVIEW_MAX + L / 2) / L) : f->rows;
  if (!ow) ow = 1;
  if (!oh) oh = 1;
  unsigned s = f->samples;
  uint8_t *lut = NULL, *out = malloc((size_t)ow * oh * s);
  int rc = -1;
  if (!out) goto done;
  if (s == 1) {
    size_t lutlen = (size_t)1 << f->bits_stored;
    lut = malloc(lutlen);
    if (!lut) goto done;
    struct pix_display disp;
    pix_display_from_header(d, f, d->window_count > 0 ? 0 : -1, frame, &disp);
    if (cl->table[0]) disp.modality = cl->lut[0];
    if (d->window_count == 0 && cl->table[1]) disp.voi = cl->lut[1];
    if (cl->table[0] && d->window_count == 0 && !cl->table[1]) {
      /* the full-range window was computed through rescale: take it over what the table gives
       * for the frame's stored values instead */
      const struct pix_lut *m = &cl->lut[0];
      int32_t lo = 0, hi = 0;
      pix_frame_range(f, frame, &lo, &hi);
      double a = 65535, b = 0;
      for (int64_t sv = lo; sv <= hi; sv++) {
        int64_t i = sv - m->first;
        double v = m->table[i < 0 ? 0 : i >= (int64_t)m->entries ? m->entries - 1 : i];
        if (v < a) a = v;
        if (v > b) b = v;
      }
      disp.center = (a + b + 1) / 2;
      disp.width = b - a + 1;
      disp.function = PIX_VOI_LINEAR;
    }
    if (pix_display_lut(f, &disp, lut, lutlen) != 0) {
      pix_display_from_header(d, f, -1, frame, &disp);
      if (pix_display_lut(f, &disp, lut, lutlen) != 0) memset(lut, 128, lutlen);
    }
  }
  const uint8_t *b8 = frame;
  const uint16_t *b16 = frame;
  unsigned mask = f->bits_stored >= 16 ? 0xFFFFu : (1u << f->bits_stored) - 1;
  unsigned shift = f->bits_stored > 8 ? f->bits_stored - 8 : 0;
  for (unsigned oy = 0; oy < oh; oy++) {
    unsigned y0 = (unsigned)((unsigned long long)oy * f->rows / oh);
    unsigned y1 = (unsigned)((unsigned long long)(oy + 1) * f->rows / oh);
    if (y1 <= y0) y1 = y0 + 1;
    for (unsigned ox = 0; ox < ow; ox++) {
      unsigned x0 = (unsigned)((unsigned long long)ox * f->columns / ow);
      unsigned x1 = (unsigned)((unsigned long long)(ox + 1) * f->columns / ow);
      if (x1 <= x0) x1 = x0 + 1;
      for (unsigned c = 0; c < s; c++) {
        unsigned long long sum = 0, n = 0;
        for (unsigned y = y0; y < y1; y++)
          for (unsigned x = x0; x < x1; x++) {
            size_t i = ((size_t)y * f->columns + x) * s + c;
            unsigned v = f->bits_allocated == 8 ? b8[i] : b16[i];
            unsigned o;
            if (s == 1) o = lut[v & mask];
            else o = f->bits_allocated == 8 ? v : (v >> shift) > 255 ? 255 : (v >> shift);
            sum += o;
            n++;
          }
        out[((size_t)oy * ow + ox) * s + c] = (uint8_t)((sum + n / 2) / n);
      }
    }
  }
  rc = render_png(out, ow, oh, s, png, pnglen);
done:
  free(lut);
  free(out);
  return rc;
}

int render_worker_main(void) {
  if (confined_child_enter("secondop-render", CHILD_CPU_SECONDS, CHILD_MEMORY_MIB) != 0) return 3;
  unsigned long kill_at = 0;
  int stall = 0;
#ifdef SECONDOP_TEST_HOOKS
  const char *ka = getenv("SECONDOP_TEST_RENDER_KILL_AT");
  if (ka) kill_at = strtoul(ka, NULL, 10);
  stall = getenv("SECONDOP_TEST_RENDER_STALL") != NULL;
#endif
  unsigned char h[FRAME_HDR], sz[8];
  if (confined_read_all(0, h, sizeof h) != 0 || h[0] != 'S' || get32(h + 1) != 8 || confined_read_all(0, sz, 8) != 0) return 3;
  uint64_t size = get64(sz);
  struct pix_io io = {child_read_at, NULL, size};
  /* the header: a growing prefix, as intake reads it */
  size_t cap = size < ((size_t)256 << 10) ? (size_t)size : (size_t)256 << 10;
  unsigned char *hdr = NULL, *frame = NULL, *png = NULL;
  size_t pnglen = 0;
  int rc = 3;
  struct child_luts luts;
  memset(&luts, 0, sizeof luts);
  struct dicom_info *d = calloc(1, sizeof *d);
  if (!d) goto done;
  for (;;) {
    unsigned char *nh = realloc(hdr, cap ? cap : 1);
    if (!nh) goto done;
    hdr = nh;
    if (cap && child_read_at(NULL, 0, hdr, cap) != 0) goto done;
    char err[200];
    enum dicom_rc dr = dicom_parse(hdr, cap, cap == size, d, err, sizeof err);
    if (dr == DICOM_OK) break;
    if (dr != DICOM_NEED_MORE || cap >= size || cap >= DICOM_HEADER_BUDGET) {
      rc = undecodable("The file's DICOM header could not be read, so its image cannot be shown.");
      goto done;
    }
    cap = cap * 4 > DICOM_HEADER_BUDGET ? DICOM_HEADER_BUDGET : cap * 4;
    if (cap > size) cap = (size_t)size;
  }
  free(hdr);
  hdr = NULL;
  struct pix_format f;
  char err[300];
  enum pix_rc pr = pix_format_from_info(d, &f, err, sizeof err);
  if (pr != PIX_OK) {
    rc = undecodable(err[0] ? err : "This image's pixel data cannot be decoded.");
    goto done;
  }
  size_t fb = pix_frame_bytes(&f);
  unsigned bps = f.bits_allocated == 16 ? 2 : 1;
  if (!fb || f.frames < 1 || fb != (size_t)f.rows * f.columns * f.samples * bps) {
    rc = undecodable("This image's pixel data cannot be decoded.");
    goto done;
  }
  frame = malloc(fb);
  if (!frame) {
    rc = undecodable("This image is too large to be prepared for viewing.");
    goto done;
  }
  unsigned char info[28];
  put32(info, f.rows);
  put32(info + 4, f.columns);
  put32(info + 8, f.samples);
  put32(info + 12, bps);
  put32(info + 16, (uint32_t)f.frames);
  put64(info + 20, fb);
  if (frame_out('I', info, sizeof info) != 0) goto done;
  while (stall) pause();
  if (f.samples == 1 && send_luts(d, &f, &io, &luts) != 0) goto done;
  unsigned long chunks = 0;
  for (long i = 0; i < f.frames; i++) {
    pr = pix_decode_frame(&io, &f, i, frame, fb, err, sizeof err);
    if (pr != PIX_OK) {
      rc = undecodable(err[0] ? err : "This image's pixel data cannot be decoded.");
      goto done;
    }
    if (f.photometric == PIX_YBR_FULL && f.bits_allocated == 8) pix_ybr_full_to_rgb(frame, (size_t)f.rows * f.columns);
    if (i == 0 && preview(d, &f, frame, &luts, &png, &pnglen) != 0) {
      rc = undecodable("A preview of this image could not be made.");
      goto done;
    }
    /* stored values, little-endian; signed samples sign-extended to their width */
    size_t n = fb / bps;
    if (bps == 2) {
      uint16_t *w = (uint16_t *)frame;
      for (size_t k = 0; k < n; k++) {
        uint16_t v = f.is_signed ? (uint16_t)(int16_t)pix_stored_value(&f, w[k]) : w[k];
        frame[2 * k] = (unsigned char)v;
        frame[2 * k + 1] = (unsigned char)(v >> 8);
      }
    } else if (f.is_signed) {
      for (size_t k = 0; k < n; k++) frame[k] = (unsigned char)(int8_t)pix_stored_value(&f, frame[k]);
    }
    for (size_t off = 0; off < fb; off += RENDER_CHUNK) {
      size_t k = fb - off < RENDER_CHUNK ? fb - off : RENDER_CHUNK;
      if (frame_out('D', frame + off, k) != 0) goto done;
      if (++chunks == kill_at) raise(SIGKILL);
    }
  }
  for (size_t off = 0; off < pnglen; off += RENDER_CHUNK) {
    size_t k = pnglen - off < RENDER_CHUNK ? pnglen - off : RENDER_CHUNK;
    if (frame_out('P', png + off, k) != 0) goto done;
  }
  rc = frame_out('Z', NULL, 0) == 0 ? 0 : 3;
done:
  free(hdr);
  free(frame);
  free(png);
  free(d);
  for (size_t i = 0; i < sizeof luts.table / sizeof luts.table[0]; i++) free(luts.table[i]);
  return rc;
}
