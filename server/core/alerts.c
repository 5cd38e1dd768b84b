#include "core/alerts.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

#define LOGIN_SPAN_MS 60000LL
#define DOWNLOAD_SPAN_MS 3600000LL
#define ACCOUNTS_MAX 1024 /* accounts watched at once; the least recently seen is forgotten */

/* The times of the last limit + 1 events, oldest at head. */
struct window {
  long long *t;
  unsigned n, head;
  bool alerted;
};

struct account {
  long long id;
  long long last_ms;
  struct window w;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned limit[ALERT_KIND_COUNT] = {20, 200};
static unsigned long long fired[ALERT_KIND_COUNT];
static struct window logins;
static struct account accounts[ACCOUNTS_MAX];

static unsigned env_limit(const char *name, unsigned def) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  return *end || n == 0 || n > 100000 ? def : (unsigned)n;
}

static void init(void) {
  limit[ALERT_FAILED_LOGINS] = env_limit("SECONDOP_ALERT_FAILED_LOGINS", 20);
  limit[ALERT_DOWNLOADS] = env_limit("SECONDOP_ALERT_DOWNLOADS", 200);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds an event at now to a window holding at most cap = limit + 1 times. True when this
 * event makes more than limit events within span and no alert stands for this rate; the
 * alert stands until an event finds the rate back under its limit. */
static bool window_add(struct window *w, unsigned cap, long long now, long long span) {
  if (!w->t) {
    w->t = calloc(cap, sizeof *w->t);
    if (!w->t) return false;
    w->n = w->head = 0;
  }
  if (w->n < cap) {
    w->t[(w->head + w->n) % cap] = now;
    w->n++;
  } else {
    w->t[w->head] = now;
    w->head = (w->head + 1) % cap;
  }
  bool over = w->n == cap && w->t[w->head] > now - span;
  if (!over) {
    w->alerted = false;
    return false;
  }
  if (w->alerted) return false;
  w->alerted = true;
  return true;
}

/* The slot of account id (found, free, or the least recently seen, cleared). */
static struct account *account_slot(long long id) {
  struct account *lru = &accounts[0];
  for (int i = 0; i < ACCOUNTS_MAX; i++) {
    struct account *a = &accounts[i];
    if (a->id == id) return a;
    if (a->id == 0) {
      lru = a;
      break;
    }
    if (a->last_ms < lru->last_ms) lru = a;
  }
  lru->id = id;
  lru->w.n = lru->w.head = 0;
  lru->w.alerted = false;
  return lru;
}

static bool is(const char *action, const char *const *names) {
  for (; *names; names++)
    if (strcmp(action, *names) == 0) return true;
  return false;
}

void alerts_observe(const char *action, long long actor_id) {
  static const char *const login_failures[] = {"login.failure", "login.2fa_failure", "login.throttled", NULL};
  static const char *const downloads[] = {"document.download", "request.download_zip", NULL};
  if (!action) return;
  bool login = is(action, login_failures), download = !login && actor_id > 0 && is(action, downloads);
  if (!login && !download) return;
  pthread_once(&once, init);
  long long now = now_ms();
  pthread_mutex_lock(&mu);
  if (login) {
    unsigned lim = limit[ALERT_FAILED_LOGINS];
    if (window_add(&logins, lim + 1, now, LOGIN_SPAN_MS)) {
      fired[ALERT_FAILED_LOGINS]++;
      LOG_W("ALERT failed_logins: %u failed logins within %lld s across the site (more than %u)", lim + 1,
            LOGIN_SPAN_MS / 1000, lim);
    }
  } else {
    unsigned lim = limit[ALERT_DOWNLOADS];
    struct account *a = account_slot(actor_id);
    a->last_ms = now;
    if (window_add(&a->w, lim + 1, now, DOWNLOAD_SPAN_MS)) {
      fired[ALERT_DOWNLOADS]++;
      LOG_W("ALERT downloads: account %lld downloaded %u files within %lld s (more than %u)", actor_id, lim + 1,
            DOWNLOAD_SPAN_MS / 1000, lim);
    }
  }
  pthread_mutex_unlock(&mu);
}

unsigned long long alerts_fired(enum alert_kind k) {
  pthread_mutex_lock(&mu);
  unsigned long long n = k < ALERT_KIND_COUNT ? fired[k] : 0;
  pthread_mutex_unlock(&mu);
  return n;
}

const char *alert_kind_name(enum alert_kind k) {
  return k == ALERT_FAILED_LOGINS ? "failed_logins" : k == ALERT_DOWNLOADS ? "downloads" : "unknown";
}
