/* Request-scoped memory: every allocation made while serving a request comes
 * from its arena and is released in one step by arena_free(). Non-memory
 * resources (a PGresult, an HDF, a file descriptor) are registered with
 * arena_defer() and released, newest first, by the same arena_free(). */
#ifndef SECONDOP_ARENA_H
#define SECONDOP_ARENA_H
#include <stdarg.h>
#include <stddef.h>

struct arena;

/* New empty arena; NULL when out of memory. Free with arena_free(). */
struct arena *arena_new(void);
/* Runs the deferred cleanups (newest first), then frees every block. NULL is fine. */
void arena_free(struct arena *a);
/* Zeroed memory of n bytes, aligned for any type; NULL when out of memory or
 * when the arena's byte limit (arena_set_limit) would be exceeded. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies of a string / n bytes plus a NUL. NULL on failure. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. NULL on failure. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
/* The n strings of parts (NULL counts as "") joined by sep, in the arena. NULL on failure. */
char *arena_join(struct arena *a, const char *const *parts, size_t n, const char *sep);
/* Registers fn(ptr) to run at arena_free(). Returns 0, or -1 when out of
 * memory, in which case fn(ptr) has already been called. */
int arena_defer(struct arena *a, void (*fn)(void *), void *ptr);
/* Caps the total bytes this arena will hand out (0 = no cap). */
void arena_set_limit(struct arena *a, size_t max_bytes);
/* Bytes handed out so far. */
size_t arena_used(const struct arena *a);
#endif
