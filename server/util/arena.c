/* Request arena: a list of blocks, bump allocation, cleanups run in reverse. */
#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct block {
  struct block *next;
  size_t cap, used;
  _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct cleanup {
  struct cleanup *next;
  void (*fn)(void *);
  void *ptr;
};

struct arena {
  struct block *head;
  struct cleanup *cleanups;
  size_t limit, total;
};

struct arena *arena_new(void) { return calloc(1, sizeof(struct arena)); }

void arena_free(struct arena *a) {
  if (!a) return;
  /* cleanups live in the arena's own blocks: read next before running */
  for (struct cleanup *c = a->cleanups; c; c = c->next) c->fn(c->ptr);
  struct block *b = a->head;
  while (b) {
    struct block *next = b->next;
    free(b);
    b = next;
  }
  free(a);
}

void *arena_alloc(struct arena *a, size_t n) {
  if (n == 0) n = 1;
  if (n > SIZE_MAX - ARENA_ALIGN) return NULL;
  size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (a->limit && (need > a->limit || a->total > a->limit - need)) return NULL;
  struct block *b = a->head;
  if (!b || b->cap - b->used < need) {
    size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
    b = malloc(sizeof(struct block) + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->used = 0;
    if (need > ARENA_BLOCK / 2 && a->head) {
      /* big allocation: keep it behind the current block so its free space stays usable */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  void *p = b->data + b->used;
  b->used += need;
  a->total += need;
  memset(p, 0, need);
  return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *arena_strdup(struct arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) {
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0) return NULL;
  char *p = arena_alloc(a, (size_t)n + 1);
  if (!p) return NULL;
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = arena_vprintf(a, fmt, ap);
  va_end(ap);
  return p;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *ptr) {
  size_t saved = a->limit;
  a->limit = 0; /* cleanups must always be registrable */
  struct cleanup *c = arena_alloc(a, sizeof *c);
  a->limit = saved;
  if (!c) {
    fn(ptr);
    return -1;
  }
  c->fn = fn;
  c->ptr = ptr;
  c->next = a->cleanups;
  a->cleanups = c;
  return 0;
}

void arena_set_limit(struct arena *a, size_t max_bytes) { a->limit = max_bytes; }

size_t arena_used(const struct arena *a) { return a->total; }

char *arena_join(struct arena *a, const char *const *parts, size_t n, const char *sep) {
  size_t sl = strlen(sep), len = 1;
  for (size_t i = 0; i < n; i++) {
    size_t pl = parts[i] ? strlen(parts[i]) : 0;
    if (len > SIZE_MAX - pl - sl) return NULL;
    len += pl + (i ? sl : 0);
  }
  char *out = arena_alloc(a, len), *w = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (i) {
      memcpy(w, sep, sl);
      w += sl;
    }
    size_t pl = parts[i] ? strlen(parts[i]) : 0;
    if (pl) memcpy(w, parts[i], pl);
    w += pl;
  }
  *w = '\0';
  return out;
}
