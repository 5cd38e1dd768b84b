/* Minimal test macros for the C unit tests.
 * Each test binary calls T_RUN(fn) for every test function and ends with
 * `return t_done();`, which prints "UNIT <file>: N passed, M failed". */
#ifndef SECONDOP_T_H
#define SECONDOP_T_H
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;
static const char *t_cur;

#define T_CHECK(cond)                                                           \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "  FAIL %s: %s:%d: %s\n", t_cur, __FILE__, __LINE__, #cond); \
      t_cur_failed = 1;                                                         \
    }                                                                           \
  } while (0)
#define T_EQ_INT(a, b)                                                          \
  do {                                                                          \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                     \
    if (t_a_ != t_b_) {                                                         \
      fprintf(stderr, "  FAIL %s: %s:%d: %s == %s (%lld != %lld)\n", t_cur,     \
              __FILE__, __LINE__, #a, #b, t_a_, t_b_);                          \
      t_cur_failed = 1;                                                         \
    }                                                                           \
  } while (0)
#define T_EQ_STR(a, b)                                                          \
  do {                                                                          \
    const char *t_a_ = (a), *t_b_ = (b);                                        \
    if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                            \
      fprintf(stderr, "  FAIL %s: %s:%d: %s == %s (\"%s\" != \"%s\")\n", t_cur, \
              __FILE__, __LINE__, #a, #b, t_a_ ? t_a_ : "(null)",               \
              t_b_ ? t_b_ : "(null)");                                          \
      t_cur_failed = 1;                                                         \
    }                                                                           \
  } while (0)
#define T_RUN(fn)                                                               \
  do {                                                                          \
    t_cur = #fn;                                                                \
    t_cur_failed = 0;                                                           \
    fn();                                                                       \
    if (t_cur_failed) {                                                         \
      t_fail++;                                                                 \
      printf("not ok - %s\n", #fn);                                             \
    } else {                                                                    \
      t_pass++;                                                                 \
      printf("ok - %s\n", #fn);                                                 \
    }                                                                           \
  } while (0)

static inline int t_done_(const char *file) {
  printf("UNIT %s: %d passed, %d failed\n", file, t_pass, t_fail);
  return t_fail ? 1 : 0;
}
#define t_done() t_done_(__FILE__)
#endif
