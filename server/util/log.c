#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level lvl) { min_level = lvl; }

static char *escape(const char *s, char *out, size_t cap, int quotes) {
  size_t o = 0;
  if (cap == 0) return out;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    char tmp[5];
    const char *rep = NULL;
    size_t rl;
    switch (*p) {
    case '\n': rep = "\\n"; break;
    case '\r': rep = "\\r"; break;
    case '\t': rep = "\\t"; break;
    case '\\': rep = quotes ? "\\\\" : NULL; break;
    case '"': rep = quotes ? "\\\"" : NULL; break;
    default:
      if (*p < 0x20 || *p == 0x7f) {
        snprintf(tmp, sizeof tmp, "\\x%02x", *p);
        rep = tmp;
      }
    }
    if (rep) {
      rl = strlen(rep);
    } else {
      tmp[0] = (char)*p;
      tmp[1] = 0;
      rep = tmp;
      rl = 1;
    }
    if (o + rl >= cap) break;
    memcpy(out + o, rep, rl);
    o += rl;
  }
  out[o] = '\0';
  return out;
}

char *log_escape(const char *s, char *out, size_t cap) { return escape(s, out, cap, 1); }

void log_msg(enum log_level lvl, const char *file, int line, const char *fmt, ...) {
  static const char *names[] = {"debug", "info", "warn", "error"};
  if (lvl < min_level) return;
  char msg[2048], esc[4096], out[4352];
  static _Thread_local char ts[32];
  static _Thread_local time_t ts_sec = -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec != ts_sec) { /* format the date once a second per thread */
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    ts_sec = now.tv_sec;
  }
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  int n;
  if (lvl >= LOG_WARN)
    n = snprintf(out, sizeof out, "%s.%03ldZ %s %s (%s:%d)\n", ts, now.tv_nsec / 1000000, names[lvl],
                 escape(msg, esc, sizeof esc, 0), base, line);
  else
    n = snprintf(out, sizeof out, "%s.%03ldZ %s %s\n", ts, now.tv_nsec / 1000000, names[lvl],
                 escape(msg, esc, sizeof esc, 0));
  if (n < 0) return;
  if ((size_t)n >= sizeof out) {
    n = (int)sizeof out - 1;
    out[n - 1] = '\n';
  }
  /* one write per line: lines from several threads never interleave */
  ssize_t w = write(STDERR_FILENO, out, (size_t)n);
  (void)w;
}
