/* Proves the request arena: alignment, growth, limits, cleanups in reverse order. */
#include <stdint.h>

#include "t.h"
#include "util/arena.h"

static int order[4], norder;
static void record(void *p) { order[norder++] = (int)(intptr_t)p; }

static void allocations_are_aligned_and_zeroed(void) {
  struct arena *a = arena_new();
  for (int i = 1; i < 100; i++) {
    unsigned char *p = arena_alloc(a, (size_t)i);
    T_CHECK(p != NULL);
    T_EQ_INT((uintptr_t)p % 16, 0);
    for (int j = 0; j < i; j++) T_EQ_INT(p[j], 0);
    p[i - 1] = 0xff;
  }
  arena_free(a);
}

static void large_allocations_and_strings(void) {
  struct arena *a = arena_new();
  char *big = arena_alloc(a, 1 << 20);
  T_CHECK(big != NULL);
  big[(1 << 20) - 1] = 1;
  T_EQ_STR(arena_strdup(a, "hello"), "hello");
  T_EQ_STR(arena_strndup(a, "hello world", 5), "hello");
  T_EQ_STR(arena_printf(a, "%d-%s", 42, "x"), "42-x");
  arena_free(a);
}

static void limit_refuses_past_the_cap(void) {
  struct arena *a = arena_new();
  arena_set_limit(a, 1000);
  T_CHECK(arena_alloc(a, 900) != NULL);
  T_CHECK(arena_alloc(a, 200) == NULL);
  T_CHECK(arena_used(a) <= 1000);
  T_CHECK(arena_alloc(a, SIZE_MAX) == NULL);
  arena_free(a);
}

static void cleanups_run_newest_first(void) {
  struct arena *a = arena_new();
  norder = 0;
  arena_defer(a, record, (void *)1);
  arena_defer(a, record, (void *)2);
  arena_defer(a, record, (void *)3);
  arena_free(a);
  T_EQ_INT(norder, 3);
  T_EQ_INT(order[0], 3);
  T_EQ_INT(order[2], 1);
}

static void cleanup_registers_even_at_limit(void) {
  struct arena *a = arena_new();
  arena_set_limit(a, 64);
  arena_alloc(a, 64);
  norder = 0;
  T_EQ_INT(arena_defer(a, record, (void *)7), 0);
  arena_free(a);
  T_EQ_INT(norder, 1);
}

static void join_with_separators(void) {
  struct arena *a = arena_new();
  const char *three[] = {"Aetna", NULL, "Blue Cross"};
  T_EQ_STR(arena_join(a, three, 3, "; "), "Aetna; ; Blue Cross");
  T_EQ_STR(arena_join(a, three, 1, "; "), "Aetna");
  T_EQ_STR(arena_join(a, three, 0, "; "), "");
  const char *two[] = {"why?", "when?"};
  T_EQ_STR(arena_join(a, two, 2, "\x1f"), "why?\x1fwhen?");
  arena_set_limit(a, 1);
  T_CHECK(arena_join(a, two, 2, ", ") == NULL);
  arena_free(a);
}

int main(void) {
  T_RUN(allocations_are_aligned_and_zeroed);
  T_RUN(large_allocations_and_strings);
  T_RUN(limit_refuses_past_the_cap);
  T_RUN(cleanups_run_newest_first);
  T_RUN(cleanup_registers_even_at_limit);
  T_RUN(join_with_separators);
  return t_done();
}
