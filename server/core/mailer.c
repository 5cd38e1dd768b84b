/* Outbox delivery by SMTP: see mailer.h. */
#include "core/mailer.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/outbox.h"
#include "store/center.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"

static struct {
  char *url, *user, *password, *from, *host;
  char *url_safe; /* scheme://host:port, no user info: the only form logged */
  int tls;        /* 0 none, 1 STARTTLS try (loopback), 2 STARTTLS required, 3 implicit */
  long backoff_base;
  long poll_ms;
  bool curl_ready, running, stop;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Reads a password file (first line) into a malloc'd string; NULL on error. */
static char *read_secret_file(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  char buf[512];
  char *s = NULL;
  if (fgets(buf, sizeof buf, f)) {
    buf[strcspn(buf, "\r\n")] = '\0';
    s = strdup(buf);
  }
  sodium_memzero(buf, sizeof buf);
  fclose(f);
  return s;
}

/* Host part of an smtp URL ("smtp://user@host:25/x" → "host"), malloc'd. */
static char *url_host(const char *url, char **safe) {
  const char *p = strstr(url, "://");
  const char *scheme_end = p;
  p = p ? p + 3 : url;
  const char *end = p + strcspn(p, "/?#");
  const char *at = memchr(p, '@', (size_t)(end - p));
  if (at) p = at + 1;
  size_t hl = (size_t)(end - p);
  char *hp = strndup(p, hl);
  if (safe) {
    size_t sl = scheme_end ? (size_t)(scheme_end - url) : 0;
    size_t n = sl + 3 + hl + 1;
    *safe = malloc(n);
    if (*safe) snprintf(*safe, n, "%.*s://%s", (int)sl, url, hp ? hp : "");
  }
  if (!hp) return NULL;
  /* strip the port and IPv6 brackets */
  if (hp[0] == '[') {
    char *rb = strchr(hp, ']');
    if (rb) *rb = '\0';
    memmove(hp, hp + 1, strlen(hp));
  } else {
    char *c = strrchr(hp, ':');
    if (c) *c = '\0';
  }
  return hp;
}

static bool is_loopback(const char *h) {
  return h && (strcmp(h, "127.0.0.1") == 0 || strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 ||
               strncmp(h, "127.", 4) == 0);
}

int mailer_init(const struct config *c) {
  const char *url = c->smtp_url;
  if (!url || !*url) return 0;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    LOG_E("libcurl could not be initialised: e-mail delivery is off");
    return -1;
  }
  M.curl_ready = true;
  M.url = strdup(url);
  M.host = url_host(url, &M.url_safe);
  M.from = strdup(c->mail_from ? c->mail_from : "no-reply@localhost");
  const char *u = getenv("SECONDOP_SMTP_USER");
  if (u && *u) M.user = strdup(u);
  const char *pw = getenv("SECONDOP_SMTP_PASSWORD");
  const char *pwf = getenv("SECONDOP_SMTP_PASSWORD_FILE");
  if (pw && *pw) {
    M.password = strdup(pw);
  } else if (pwf && *pwf) {
    M.password = read_secret_file(pwf);
    if (!M.password) {
      LOG_E("the SMTP password file named by SECONDOP_SMTP_PASSWORD_FILE cannot be read: %s", strerror(errno));
      return -1;
    }
  }
  const char *tls = getenv("SECONDOP_SMTP_TLS");
  if (strncmp(url, "smtps://", 8) == 0)
    M.tls = 3;
  else if (tls && strcmp(tls, "none") == 0)
    M.tls = 0;
  else
    M.tls = is_loopback(M.host) ? 1 : 2;
  M.backoff_base = 30;
#ifdef SECONDOP_TEST_HOOKS
  /* test builds only: retry after seconds rather than half a minute */
  const char *b = getenv("SECONDOP_TEST_MAIL_BACKOFF_SECONDS");
  if (b && *b) M.backoff_base = strtol(b, NULL, 10) > 0 ? strtol(b, NULL, 10) : 1;
#endif
  M.poll_ms = 1000;
  const char *pm = getenv("SECONDOP_MAIL_POLL_MS");
  if (pm && *pm && strtol(pm, NULL, 10) >= 50) M.poll_ms = strtol(pm, NULL, 10);
  if (!M.url || !M.host || !M.from || !M.url_safe) return -1;
  LOG_I("e-mail delivery through %s (%s)", M.url_safe,
        M.tls == 3 ? "TLS" : M.tls == 2 ? "STARTTLS required" : M.tls == 1 ? "STARTTLS when offered" : "no TLS");
  return 0;
}

long mailer_backoff(int attempts, long base) {
  if (attempts < 1) attempts = 1;
  long s = base;
  for (int i = 1; i < attempts && s < 3600; i++) s *= 2;
  return s > 3600 ? 3600 : s;
}

/* Copies s without CR/LF (header injection) into the arena-less buffer. */
static char *one_line(const char *s) {
  char *o = strdup(s ? s : "");
  if (!o) return NULL;
  for (char *p = o; *p; p++)
    if (*p == '\r' || *p == '\n') *p = ' ';
  return o;
}

/* Growing buffer for the message. */
struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap < b->n + n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}
static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

char *mailer_format(long long id, const char *from, const char *to, const char *subject, const char *body,
                    const char *date, const char *host) {
  struct sbuf b = {0};
  char *f = one_line(from), *t = one_line(to), *s = one_line(subject), *h = one_line(host);
  char line[512];
  if (!f || !t || !s || !h) goto done;
  snprintf(line, sizeof line, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, f, t);
  sb_str(&b, line);
  bool ascii = true;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p >= 0x80) ascii = false;
  sb_str(&b, "Subject: ");
  if (ascii) {
    sb_str(&b, s);
  } else {
    size_t bl = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_ORIGINAL);
    char *enc = malloc(bl);
    if (!enc) {
      b.oom = true;
      goto done;
    }
    sodium_bin2base64(enc, bl, (const unsigned char *)s, strlen(s), sodium_base64_VARIANT_ORIGINAL);
    sb_str(&b, "=?UTF-8?B?");
    sb_str(&b, enc);
    sb_str(&b, "?=");
    free(enc);
  }
  snprintf(line, sizeof line,
           "\r\nMessage-ID: <outbox-%lld@%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n",
           id, *h ? h : "secondop");
  sb_str(&b, line);
  for (const char *p = body ? body : ""; *p; p++) {
    if (*p == '\r') continue;
    if (*p == '\n')
      sb_add(&b, "\r\n", 2);
    else
      sb_add(&b, p, 1);
  }
  sb_add(&b, "\r\n", 2);
done:
  free(f);
  free(t);
  free(s);
  free(h);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

struct upload {
  const char *data;
  size_t len, off;
  bool all_read; /* curl took the last byte: a later failure is ambiguous */
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *cls) {
  struct upload *u = cls;
  size_t room = size * nmemb, left = u->len - u->off;
  size_t n = left < room ? left : room;
  memcpy(buf, u->data + u->off, n);
  u->off += n;
  if (n == 0) u->all_read = true;
  return n;
}

enum send_result { SENT, RETRY, HOLD };

/* Sends one message. err receives a short reason (never credentials). */
static enum send_result send_one(const struct st_mail *m, char *err, size_t errcap) {
  err[0] = '\0';
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  char *msg = mailer_format(m->id, M.from, m->recipient, m->subject, m->body, date, M.host);
  if (!msg) {
    snprintf(err, errcap, "out of memory");
    return RETRY;
  }
  CURL *c = curl_easy_init();
  if (!c) {
    free(msg);
    snprintf(err, errcap, "libcurl handle");
    return RETRY;
  }
  struct upload up = {msg, strlen(msg), 0, false};
  struct curl_slist *rcpt = NULL;
  char *to = one_line(m->recipient);
  char *from_angle = NULL;
  char ebuf[CURL_ERROR_SIZE] = "";
  enum send_result res = RETRY;
  if (!to) goto done;
  rcpt = curl_slist_append(NULL, to);
  size_t fl = strlen(M.from) + 3;
  from_angle = malloc(fl);
  if (!rcpt || !from_angle) goto done;
  snprintf(from_angle, fl, "<%s>", M.from);
  curl_easy_setopt(c, CURLOPT_URL, M.url);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_angle);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (M.tls == 1) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
  if (M.tls >= 2) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  if (M.user) curl_easy_setopt(c, CURLOPT_USERNAME, M.user);
  if (M.password) curl_easy_setopt(c, CURLOPT_PASSWORD, M.password);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    res = SENT;
  } else {
    snprintf(err, errcap, "%s%s%s", curl_easy_strerror(rc), ebuf[0] ? ": " : "", ebuf);
    /* A refusal of the sender or recipients, or any failure before curl took
     * the whole body, cannot have delivered the message. */
    res = (!up.all_read || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_LOGIN_DENIED || rc == CURLE_SEND_FAIL_REWIND || rc == CURLE_USE_SSL_FAILED ||
           rc == CURLE_SSL_CONNECT_ERROR)
              ? RETRY
              : HOLD;
  }
done:
  curl_slist_free_all(rcpt);
  free(to);
  free(from_angle);
  curl_easy_cleanup(c);
  sodium_memzero(msg, strlen(msg));
  free(msg);
  return res;
}

/* Delivers due messages until none is due. Returns the number handled. */
static int deliver_due(void) {
  int handled = 0;
  for (;;) {
    pthread_mutex_lock(&M.mu);
    bool stop = M.stop;
    pthread_mutex_unlock(&M.mu);
    if (stop) break;
    struct arena *a = arena_new();
    if (!a) break;
    struct st_mail m;
    enum err e = st_mail_claim(a, 600, &m);
    if (e != ERR_OK) {
      arena_free(a);
      break; /* ERR_NOT_FOUND: nothing due; a DB error: try again next round */
    }
    char err[400];
    enum send_result r;
    /* the body is sealed at rest: opened only for the time it is on the wire */
    char *body = outbox_open_body(a, m.id, m.body, m.body_sealed_hex);
    if (!body) {
      snprintf(err, sizeof err, "the sealed body cannot be opened (another data directory's key?)");
      if (st_mail_hold(a, m.id, err) != ERR_OK) LOG_E("mail outbox=%lld: could not record the hold", m.id);
      LOG_E("mail outbox=%lld: held, nothing sent: %s", m.id, err);
      arena_free(a);
      handled++;
      continue;
    } else {
      m.body = body;
      r = send_one(&m, err, sizeof err);
      sodium_memzero(body, strlen(body));
    }
    enum err me;
    if (r == SENT) {
      me = st_mail_sent(a, m.id);
      LOG_I("mail outbox=%lld sent (attempt %d)", m.id, m.attempts);
    } else if (r == RETRY && m.attempts >= 20) {
      me = st_mail_hold(a, m.id, err);
      LOG_E("mail outbox=%lld: giving up after %d attempts: %s", m.id, m.attempts, err);
    } else if (r == RETRY) {
      long wait = mailer_backoff(m.attempts, M.backoff_base);
      me = st_mail_retry(a, m.id, wait, err);
      LOG_W("mail outbox=%lld not delivered (attempt %d), retrying in %ld s: %s", m.id, m.attempts, wait, err);
    } else {
      me = st_mail_hold(a, m.id, err);
      LOG_E("mail outbox=%lld: delivery uncertain after the whole message was sent; held for the operator "
            "(no second copy is sent): %s",
            m.id, err);
    }
    if (me != ERR_OK) LOG_E("mail outbox=%lld: could not record the delivery result", m.id);
    arena_free(a);
    handled++;
  }
  return handled;
}

static void *mail_thread(void *arg) {
  (void)arg;
  for (;;) {
    deliver_due();
    pthread_mutex_lock(&M.mu);
    if (!M.stop) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += M.poll_ms / 1000;
      ts.tv_nsec += (M.poll_ms % 1000) * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&M.cv, &M.mu, &ts);
    }
    bool stop = M.stop;
    pthread_mutex_unlock(&M.mu);
    if (stop) break;
  }
  db_close();
  return NULL;
}

void mailer_start(void) {
  if (!M.url || M.running) return;
  M.stop = false;
  if (pthread_create(&M.thread, NULL, mail_thread, NULL) == 0)
    M.running = true;
  else
    LOG_E("could not start the mail delivery thread");
}

void mailer_stop(void) {
  if (!M.running) return;
  pthread_mutex_lock(&M.mu);
  M.stop = true;
  pthread_cond_broadcast(&M.cv);
  pthread_mutex_unlock(&M.mu);
  pthread_join(M.thread, NULL);
  M.running = false;
}

void mailer_shutdown(void) {
  mailer_stop();
  if (M.password) {
    sodium_memzero(M.password, strlen(M.password));
    free(M.password);
  }
  free(M.url);
  free(M.user);
  free(M.from);
  free(M.host);
  free(M.url_safe);
  M.url = M.user = M.password = M.from = M.host = M.url_safe = NULL;
  if (M.curl_ready) curl_global_cleanup();
  M.curl_ready = false;
}
