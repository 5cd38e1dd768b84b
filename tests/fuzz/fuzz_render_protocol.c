/* libFuzzer target for the parent's half of the rendering conversation (core/render.h): the
 * input is what a rendering child sends (a compromised decoder could send anything). Whatever
 * it is, the parent reads only inside the file, hands the callbacks only what it checked (an
 * image it could hold, no more frame bytes than the image has, a bounded preview, tables of
 * 1..65536 entries with printable labels), and reports success only for a complete answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/render.h"

#define FILE_SIZE ((uint64_t)3 << 20)

struct in {
  const uint8_t *p;
  size_t n, at;
};

struct seen {
  int info;
  struct render_info i;
  uint64_t frames, preview;
  unsigned luts;
};

static int in_recv(void *ctx, void *p, size_t n) {
  struct in *s = ctx;
  if (n > s->n - s->at) return -1; /* the child has gone */
  memcpy(p, s->p + s->at, n);
  s->at += n;
  return 0;
}
static int in_send(void *ctx, const void *p, size_t n) {
  (void)ctx;
  (void)p;
  (void)n;
  return 0;
}

static int read_at(void *ctx, uint64_t off, void *dst, size_t n) {
  (void)ctx;
  if (n == 0 || off > FILE_SIZE || n > FILE_SIZE - off || n > RENDER_READ_MAX) __builtin_trap();
  memset(dst, 0, n);
  return 0;
}
static int info(void *ctx, const struct render_info *i) {
  struct seen *s = ctx;
  if (s->info++ || !i->rows || !i->columns || i->frames < 1 ||
      i->frame_bytes != (uint64_t)i->rows * i->columns * i->samples * i->bytes_per_sample)
    __builtin_trap();
  s->i = *i;
  return 0;
}
static int frames(void *ctx, const void *p, size_t n) {
  struct seen *s = ctx;
  (void)p;
  s->frames += n;
  if (!s->info || n == 0 || s->frames > s->i.frame_bytes * (uint64_t)s->i.frames) __builtin_trap();
  return 0;
}
static int preview(void *ctx, const void *p, size_t n) {
  struct seen *s = ctx;
  (void)p;
  s->preview += n;
  if (s->frames != s->i.frame_bytes * (uint64_t)s->i.frames || s->preview > RENDER_PNG_MAX) __builtin_trap();
  return 0;
}
static int lut(void *ctx, const struct render_lut *l) {
  struct seen *s = ctx;
  if (!s->info || s->frames || !l->table || l->entries < 1 || l->entries > 65536 || l->bits < 1 || l->bits > 16 ||
      ++s->luts > 1 + RENDER_MAX_VOI_LUTS)
    __builtin_trap();
  for (const char *c = l->explanation; *c; c++)
    if (*c < 0x20 || *c > 0x7E) __builtin_trap();
  volatile uint16_t last = l->table[l->entries - 1]; /* ASan: the whole table is there */
  (void)last;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct in in = {data, size, 0};
  struct seen s = {0};
  struct render_chan ch = {in_recv, in_send, &in};
  struct render_ops ops = {read_at, FILE_SIZE, info, frames, preview, lut, &s};
  char why[256];
  int finished = -1;
  enum render_rc rc = render_converse(&ch, &ops, &finished, why, sizeof why);
  if (!memchr(why, 0, sizeof why) || !why[0]) __builtin_trap();
  if (rc == RENDER_OK && (!finished || s.frames != s.i.frame_bytes * (uint64_t)s.i.frames || !s.preview))
    __builtin_trap();
  if (rc == RENDER_NOT_DECODABLE) {
    if (!finished) __builtin_trap();
    for (const char *c = why; *c; c++)
      if (*c < 0x20 || *c > 0x7E) __builtin_trap();
  }
  if (rc == RENDER_FAILED && finished) __builtin_trap();
  return 0;
}
