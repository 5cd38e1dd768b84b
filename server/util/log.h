/* One-line structured logging to stderr. Values are escaped so that no
 * client-controlled byte can start a new line or inject control codes. */
#ifndef SECONDOP_LOG_H
#define SECONDOP_LOG_H
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level printed (default LOG_INFO). */
void log_set_level(enum log_level lvl);
/* printf-style message; the formatted text is escaped before printing. */
void log_msg(enum log_level lvl, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Copies s into out (cap bytes, always NUL-terminated) with \, ", control
 * characters and DEL escaped as \\, \", \n, \r, \t or \xHH. Returns out. */
char *log_escape(const char *s, char *out, size_t cap);

#define LOG_I(...) log_msg(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_W(...) log_msg(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_E(...) log_msg(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_D(...) log_msg(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#endif
