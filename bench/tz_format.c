/* What showing a time in a person's zone costs (util/tz.c): tz_format() in
 * the short and the sentence form, over a year of instants, per zone, on one
 * thread and on four at once (the cache is shared behind a mutex), next to
 * glibc's localtime_r + strftime in the process's own zone for scale.
 *
 * Run: build/bench/tz_format   (prints ns per call; no assertion) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/tz.h"

#define N 2000000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

static double run(const char *zone, enum tz_style style) {
  char b[96];
  double t0 = now_s();
  for (long i = 0; i < N; i++) {
    tz_format(b, sizeof b, 1767225600 + (int64_t)(i % 525600) * 60, zone, style);
    sink += (size_t)b[3];
  }
  return (now_s() - t0) * 1e9 / N;
}

static void *thr(void *p) {
  *(double *)p = run(((double *)p)[1] > 0 ? "Europe/Madrid" : "America/Los_Angeles", TZ_SHORT);
  return NULL;
}

int main(void) {
  const char *zones[] = {"UTC", "America/Los_Angeles", "Europe/Madrid", "Australia/Sydney"};
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
    printf("tz_format %-20s short %6.1f ns   sentence %6.1f ns\n", zones[z], run(zones[z], TZ_SHORT),
           run(zones[z], TZ_LONG));
  /* after the last listed transition: the POSIX footer's rule is evaluated */
  {
    char b[96];
    double t0 = now_s();
    for (long i = 0; i < N; i++) {
      tz_format(b, sizeof b, 2240524800 + (int64_t)(i % 525600) * 60, "Europe/Madrid", TZ_SHORT);
      sink += (size_t)b[3];
    }
    printf("tz_format %-20s short %6.1f ns   (year 2041, footer rule)\n", "Europe/Madrid", (now_s() - t0) * 1e9 / N);
  }
  pthread_t th[4];
  double res[4][2] = {{0, 0}, {0, 1}, {0, 0}, {0, 1}};
  double t0 = now_s();
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, thr, res[i]);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  printf("tz_format on 4 threads at once: %.1f ns per call per thread, %.1f M calls/s in all\n",
         (res[0][0] + res[1][0] + res[2][0] + res[3][0]) / 4, 4.0 * N / (now_s() - t0) / 1e6);
  {
    char b[96];
    struct tm tm;
    double t1 = now_s();
    for (long i = 0; i < N; i++) {
      time_t t = 1767225600 + (time_t)(i % 525600) * 60;
      localtime_r(&t, &tm);
      strftime(b, sizeof b, "%Y-%m-%d %H:%M %Z", &tm);
      sink += (size_t)b[3];
    }
    printf("glibc localtime_r + strftime (process zone, for scale): %.1f ns\n", (now_s() - t1) * 1e9 / N);
  }
  return 0;
}
