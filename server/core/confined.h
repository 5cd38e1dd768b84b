/* Confined child processes for work on hostile bytes (unpacking archives, decoding images).
 *
 * The server starts this binary again with a hidden command (`secondop unpack-worker`,
 * `secondop render-worker`) and talks to it over one socket pair, so that a parser that hangs
 * or is overrun never does so in the server's memory, next to its keys and connections. The
 * child keeps only the socket (fds 0 and 1) and stderr, gets no environment but the sanitizers'
 * settings (and named test hooks), starts with no signal blocked, and, once it runs, names
 * itself, dies with the thread that started it, may not gain privileges, write files or dump
 * core, and has a CPU and an address-space limit. What the two talk about is each user's business. */
#ifndef SECONDOP_CORE_CONFINED_H
#define SECONDOP_CORE_CONFINED_H

#include <sys/types.h>

/* Starts `secondop COMMAND` from program (normally "/proc/self/exe", i.e. this binary) with the
 * socket at its fds 0 and 1. pass_env: NULL, or a NULL-ended list of "NAME=" prefixes of
 * variables to pass on besides the sanitizers'. The child's pid with *fd the server's end of
 * the socket (close-on-exec); 0 (logged as "cannot start the WHAT process ...") when it cannot
 * be started. */
pid_t confined_start(const char *program, const char *command, const char *what, const char *const *pass_env,
                     int *fd);

/* Ends a child and reaps it: when it finished its work by itself (sent its last frame), waits up
 * to 2 s for it to exit and logs an abnormal exit; otherwise, or after that, kills it. The
 * caller closes its end of the socket first. pid 0 is a no-op. */
void confined_stop(pid_t pid, int finished, const char *what);

/* The child's first steps, before it reads anything: drops every descriptor above 2, takes the
 * name shown by ps, dies with its parent, may not gain privileges, write files or dump core,
 * gets cpu_seconds of CPU, memory_mib MiB of address space (not in builds with
 * AddressSanitizer, whose shadow memory alone is larger) and the root as its working folder.
 * 0, or -1. */
int confined_child_enter(const char *name, unsigned cpu_seconds, unsigned memory_mib);

/* The child's blocking I/O on its socket: moves exactly n bytes (retrying after signals).
 * 0, or -1 when the other end is gone or an error occurred. */
int confined_write_all(int fd, const void *p, size_t n);
int confined_read_all(int fd, void *p, size_t n);

#endif
