#include "core/confined.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

extern char **environ;

/* The environment the child gets: the sanitizers' settings and the given prefixes only (no
 * database URL, no secrets). The strings are environ's own. */
static char **child_env(const char *const *pass_env) {
  static const char *const sanitizers[] = {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", NULL};
  size_t n = 0;
  for (char **e = environ; e && *e; e++) n++;
  char **out = calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  size_t k = 0;
  for (char **e = environ; e && *e; e++) {
    int keep = 0;
    for (const char *const *p = sanitizers; *p && !keep; p++) keep = strncmp(*e, *p, strlen(*p)) == 0;
    for (const char *const *p = pass_env; p && *p && !keep; p++) keep = strncmp(*e, *p, strlen(*p)) == 0;
    if (keep) out[k++] = *e;
  }
  return out;
}

pid_t confined_start(const char *program, const char *command, const char *what, const char *const *pass_env,
                     int *fd) {
  int sv[2] = {-1, -1};
  pid_t pid = 0;
  char **env = child_env(pass_env);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int fa_ok = 0, at_ok = 0;
  *fd = -1;
  if (!env || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) goto done;
  if (posix_spawn_file_actions_init(&fa) != 0) goto done;
  fa_ok = 1;
  if (posix_spawn_file_actions_adddup2(&fa, sv[1], 0) != 0 || posix_spawn_file_actions_adddup2(&fa, sv[1], 1) != 0 ||
      posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0)
    goto done;
  /* the server blocks its stop signals and ignores SIGPIPE: the child starts with neither */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (posix_spawnattr_init(&at) != 0) goto done;
  at_ok = 1;
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  char *argv[] = {"secondop", (char *)command, NULL};
  int rc = posix_spawn(&pid, program, &fa, &at, argv, env);
  if (rc != 0) {
    LOG_E("cannot start the %s process %s: %s", what, program, strerror(rc));
    pid = 0;
    goto done;
  }
  *fd = sv[0];
  sv[0] = -1;
done:
  if (at_ok) posix_spawnattr_destroy(&at);
  if (fa_ok) posix_spawn_file_actions_destroy(&fa);
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
  free(env);
  return pid;
}

void confined_stop(pid_t pid, int finished, const char *what) {
  if (pid <= 0) return;
  int st = 0;
  pid_t w = 0;
  if (finished) /* it sent its last frame: give it a moment to exit by itself */
    for (int i = 0; i < 200 && (w = waitpid(pid, &st, WNOHANG)) == 0; i++) {
      struct timespec ts = {0, 10 * 1000000L};
      nanosleep(&ts, NULL);
    }
  if (w == 0) {
    kill(pid, SIGKILL);
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
  } else if (w > 0 && finished && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
    LOG_W("the %s process ended with %s %d", what, WIFEXITED(st) ? "status" : "signal",
          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
  }
}

int confined_write_all(int fd, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

int confined_read_all(int fd, void *p, size_t n) {
  unsigned char *b = p;
  while (n) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static void limit(int res, rlim_t v) {
  struct rlimit r = {v, v};
  setrlimit(res, &r);
}

/* AddressSanitizer reserves terabytes of address space for its shadow at start: an address
 * space limit would stop every allocation of a sanitized child, so those builds go without. */
#if defined(__SANITIZE_ADDRESS__)
#define CONFINED_AS_LIMIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINED_AS_LIMIT 0
#endif
#endif
#ifndef CONFINED_AS_LIMIT
#define CONFINED_AS_LIMIT 1
#endif

int confined_child_enter(const char *name, unsigned cpu_seconds, unsigned memory_mib) {
  /* The C library opens the time zone file on the first mktime or localtime (libarchive calls
   * them on every ISO date): load it now, so that what follows the no-new-privileges mark below
   * opens nothing of its own. */
  tzset();
  /* what the server had open is not the child's business; its end of the socket is 0 and 1 */
  closefrom(3);
  prctl(PR_SET_NAME, name, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); /* last: a test waits for it before it looks */
  limit(RLIMIT_FSIZE, 0);
  limit(RLIMIT_CORE, 0);
  limit(RLIMIT_CPU, cpu_seconds);
  if (CONFINED_AS_LIMIT) limit(RLIMIT_AS, (rlim_t)memory_mib << 20);
  return chdir("/") == 0 ? 0 : -1;
}
