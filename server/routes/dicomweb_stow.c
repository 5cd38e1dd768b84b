/* STOW-RS (PS3.18 10.5): POST /dicom-web/studies?request=ID[&kind=prior_images] (or the same to the
 * per-request service root, POST /dicom-web/requests/ID/studies), for staff,
 * to attach instances pushed from the center's own systems to a request. The body
 * (multipart/related; type="application/dicom") is parsed as it arrives (dicom/multipart.c)
 * and each part is sealed into the store as it streams (core/stow.h): the body is never held
 * in memory. When the body is complete and well-formed, the parts go to the same intake job
 * as a patient's upload, on the job workers; the answer waits for those jobs, bounded (see
 * stow_done), and lists every instance in ReferencedSOPSequence or FailedSOPSequence.
 *
 * Everything that can be refused from the headers is refused before a byte is kept: the CSRF
 * token of the session (X-CSRF-Token, as /api/v1/uploads), the media type (415), the request
 * parameter (400), role, request and its state (403, 404, 409), the declared length against
 * the request's limit (413). A body that turns out malformed (400) or over a limit (413) keeps
 * nothing. */
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/stow.h"
#include "dicom/dicomweb.h"
#include "dicom/multipart.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/server.h"
#include "http/req.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/decimal.h"
#include "util/log.h"

#define STOW_ROLES (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER) /* the others hear why they may not (403) */
#define STOW_WAIT_MS_DEFAULT 30000u
#define STOW_CONCURRENT_DEFAULT 2u

/* STOW-RS requests in progress: each holds an HTTP thread while its body arrives and while it
 * waits for intake, so they are bounded, leaving threads for the portal's pages. */
static atomic_uint in_progress;

struct stow_req {
  struct stow_session *s;
  struct mp_parser mp;
  enum err err;          /* why a callback stopped the parser */
  const char *words;     /* and in plain words (arena), or NULL */
  int type_missing;      /* the Content-Type had no "type" parameter */
  int slot;              /* counted in in_progress */
  int offer;             /* the answer's media type (json_offers), from Accept */
};

static const struct dw_offer json_offers[] = {
    {"application/dicom+json", NULL, NULL},
    {"application/json", NULL, NULL},
};

/* At most SECONDOP_STOW_MAX_CONCURRENT (1-64, default 2) STOW-RS requests at once. */
static unsigned max_concurrent(void) {
  const char *v = getenv("SECONDOP_STOW_MAX_CONCURRENT");
  uint64_t n;
  if (v && decimal_u64(v, &n) == 0 && n >= 1 && n <= 64) return (unsigned)n;
  return STOW_CONCURRENT_DEFAULT;
}

/* How long the answer waits for intake: SECONDOP_STOW_WAIT_SECONDS (0-600), default 30 s. */
static unsigned wait_ms(void) {
  const char *v = getenv("SECONDOP_STOW_WAIT_SECONDS");
  uint64_t n;
  if (v && decimal_u64(v, &n) == 0 && n <= 600) return (unsigned)n * 1000u;
  return STOW_WAIT_MS_DEFAULT;
}

/* The service root for RetrieveURL, from the Host the client used; "" when it looks odd. */
static const char *base_url(struct req *r) {
  const char *host = req_header(r, "Host");
  if (!host || !*host || strlen(host) > 255 ||
      strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host))
    return "";
  return arena_printf(r->arena, "%s://%s/dicom-web", r->tls ? "https" : "http", host);
}

static int csrf_ok(struct req *r) {
  /* a bearer token is sent by the program that holds it, never added by a browser on
   * another site's behalf (http/auth.c lets only a token made to send studies POST here) */
  if (r->user && r->user->token_id) return 1;
  const char *t = req_header(r, "X-CSRF-Token");
  const char *want = r->user ? r->user->csrf : NULL;
  if (!t || !want) return 0;
  size_t n = strlen(want);
  return strlen(t) == n && n > 0 && sodium_memcmp(t, want, n) == 0;
}

/* ---- parser callbacks: each part into the store ---- */

static int stop(struct stow_req *q, enum err e) {
  q->err = e;
  const char *w = stow_refusal();
  q->words = w ? w : NULL;
  return 1;
}
static int cb_begin(void *ctx) {
  struct stow_req *q = ctx;
  enum err e = stow_part_begin(q->s);
  return e == ERR_OK ? 0 : stop(q, e);
}
static int cb_data(void *ctx, const unsigned char *p, size_t n) {
  struct stow_req *q = ctx;
  enum err e = stow_part_data(q->s, p, n);
  return e == ERR_OK ? 0 : stop(q, e);
}
static int cb_end(void *ctx) {
  struct stow_req *q = ctx;
  enum err e = stow_part_end(q->s);
  return e == ERR_OK ? 0 : stop(q, e);
}
/* Part headers: Content-Type, when present, is not trusted (intake reads the content); other
 * headers (Content-Location, Content-ID, Content-Length) are ignored. */
static const struct mp_callbacks callbacks = {cb_begin, NULL, NULL, cb_data, cb_end};

/* Keeps the words of a refusal for the answer (arena copy: stow_refusal is per thread). */
static void keep_words(struct req *r, struct stow_req *q) {
  const char *w = stow_refusal();
  q->words = w ? arena_strdup(r->arena, w) : NULL;
}

static enum err stow_begin_hook(struct req *r) {
  struct stow_req *q = arena_alloc(r->arena, sizeof *q);
  if (!q) return ERR_INTERNAL;
  memset(q, 0, sizeof *q);
  r->stream_ctx = q;
  if (!csrf_ok(r)) return ERR_CSRF;
  char why[400];
  q->offer = dw_negotiate(req_header(r, "Accept"), json_offers, 2, why, sizeof why);
  if (q->offer < 0) { /* decided before a byte is kept: the answer could not be read */
    q->words = arena_printf(r->arena, "Not acceptable: %s. STOW-RS answers application/dicom+json.", why);
    return q->words ? ERR_NOT_ACCEPTABLE : ERR_INTERNAL;
  }
  char boundary[MP_MAX_BOUNDARY + 1], type[128];
  int ct = mp_content_type(req_header(r, "Content-Type"), boundary, sizeof boundary, type, sizeof type);
  if (ct == 1) {
    q->words = "STOW-RS takes multipart/related; type=\"application/dicom\" (one DICOM instance per part).";
    return ERR_MEDIA_TYPE;
  }
  if (ct < 0) {
    q->words = "The Content-Type's parameters are malformed: multipart/related needs a boundary of 1 to 70 "
               "characters (RFC 2046; up to 200 are taken).";
    return ERR_BAD_REQUEST;
  }
  if (type[0] && strcasecmp(type, "application/dicom") != 0) {
    q->words = arena_printf(r->arena, "Only application/dicom parts are taken (PS3.18 10.5), not \"%s\".", type);
    if (!q->words) return ERR_INTERNAL;
    return ERR_MEDIA_TYPE;
  }
  q->type_missing = type[0] == '\0';
  /* the request: ?request=ID, or the per-request service root /dicom-web/requests/ID/ for clients
   * that cannot add a query parameter to their STOW-RS URL (Orthanc's DICOMweb plugin) */
  const char *rq = req_param(r, "request");
  if (!rq) rq = req_query(r, "request");
  uint64_t request_id;
  if (!rq || decimal_u64(rq, &request_id) != 0 || request_id == 0 || request_id > (uint64_t)LLONG_MAX) {
    q->words = "Name the request the instances are for: POST /dicom-web/studies?request=ID, or POST "
               "/dicom-web/requests/ID/studies (ID is the request's number).";
    return ERR_BAD_REQUEST;
  }
  const char *kind = req_query(r, "kind");
  /* POST …/studies/{study}: only instances of that study are taken (PS3.18 10.5) */
  const char *study = req_param(r, "study");
  if (study && (!*study || strlen(study) > 64 || strspn(study, "0123456789.") != strlen(study))) {
    q->words = "The study in the address is not a Study Instance UID (digits and dots, at most 64).";
    return ERR_BAD_REQUEST;
  }
  if (atomic_fetch_add(&in_progress, 1) >= max_concurrent()) {
    atomic_fetch_sub(&in_progress, 1);
    q->words = "The server is taking in as many STOW-RS requests as it takes at once; nothing was stored. Please "
               "send again in a moment.";
    return ERR_UNAVAILABLE;
  }
  q->slot = 1;
  struct actor who = actor_from_req(r);
  int64_t declared = r->has_length ? (int64_t)r->content_length : -1;
  enum err e = stow_begin(&who, (long long)request_id, kind ? kind : "images", declared, &q->s);
  if (e != ERR_OK) {
    keep_words(r, q);
    return e == ERR_INVALID ? ERR_BAD_REQUEST : e;
  }
  if (study && stow_set_study(q->s, study) != 0) return ERR_BAD_REQUEST;
  if (mp_init(&q->mp, boundary, strlen(boundary), &callbacks, q) != 0) return ERR_BAD_REQUEST;
  return ERR_OK;
}

static enum err stow_data_hook(struct req *r, const char *buf, size_t len) {
  struct stow_req *q = r->stream_ctx;
  if (!q || !q->s) return ERR_INTERNAL;
  enum mp_rc rc = mp_feed(&q->mp, (const unsigned char *)buf, len);
  if (rc == MP_OK) return ERR_OK;
  if (rc == MP_ERR_CALLBACK) {
    if (q->words) q->words = arena_strdup(r->arena, q->words);
    return q->err;
  }
  q->words = mp_error_words(rc);
  return ERR_BAD_REQUEST;
}

/* Ends the STOW-RS session (once; every end of the request calls it). */
static void stow_release(struct req *r) {
  struct stow_req *q = r->stream_ctx;
  if (q) {
    stow_free(q->s); /* nothing committed: its blobs are deleted */
    q->s = NULL;
    if (q->slot) atomic_fetch_sub(&in_progress, 1);
    q->slot = 0;
  }
}

/* An error replaced the handler: say why in words, drop what was stored. */
static void stow_fail_hook(struct req *r) {
  struct stow_req *q = r->stream_ctx;
  stow_release(r);
  enum err e = r->early_error;
  if (e == ERR_RECORDS_CLOSED) e = ERR_CONFLICT; /* a request that takes no more images: 409 (PS3.18 keeps 423 out) */
  const char *words = q ? q->words : NULL;
  if (e == ERR_CSRF)
    words = "A STOW-RS request from a signed-in session must carry the session's CSRF token in X-CSRF-Token.";
  if (e == ERR_UNAUTHENTICATED) words = "Sign in first: STOW-RS is for the center's staff.";
  if (words || e != r->early_error) reply_error(r, e, words);
  LOG_I("stow refused: %s (%s)", err_code(e), words ? words : err_message(e));
}

static void stow_abort_hook(struct req *r) { stow_release(r); }

/* One item of a sequence: the instance's UIDs (left out when intake could not read them). */
static json_t *sop_item(const struct stow_outcome *o) {
  json_t *it = json_object();
  if (!it) return NULL;
  if (o->sop_class[0]) json_object_set_new(it, "00081150", json_pack("{s:s,s:[s]}", "vr", "UI", "Value", o->sop_class));
  if (o->sop_instance[0])
    json_object_set_new(it, "00081155", json_pack("{s:s,s:[s]}", "vr", "UI", "Value", o->sop_instance));
  return it;
}

/* ---- waiting for intake: parked requests and their waiter thread ----
 *
 * A STOW-RS client needs each instance's outcome (Orthanc fails a whole send unless every
 * instance is in 00081199), and PS3.18 has no "still being checked" status, so the answer waits
 * for intake, bounded. It waits parked (req_park): a libmicrohttpd thread serves many
 * connections, and blocking it would stall everyone else's pages on it. One waiter thread polls
 * the parked requests' parts (one indexed count each, every POLL_MS) and wakes each request when
 * its parts are taken in or its time is up; at shutdown it wakes them all at once. */
#define POLL_MS 20

struct parked {
  struct req *r;
  struct stow_session *s;
  uint64_t deadline_ns;
  struct parked *next;
};

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cv = PTHREAD_COND_INITIALIZER;
static struct parked *park_list; /* guarded by park_mu */
static bool park_stopping, waiter_running;
static pthread_t waiter;

/* Wakes every entry of a private list (taken off park_list): after this, they are not touched. */
static void wake_all(struct parked *p) {
  while (p) {
    struct parked *next = p->next;
    req_wake(p->r);
    p = next;
  }
}

static void *waiter_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&park_mu);
  for (;;) {
    while (!park_list && !park_stopping) pthread_cond_wait(&park_cv, &park_mu);
    struct parked *mine = park_list;
    park_list = NULL;
    if (park_stopping) {
      pthread_mutex_unlock(&park_mu);
      wake_all(mine);
      break;
    }
    pthread_mutex_unlock(&park_mu);
    /* outside the lock: one database read per parked request */
    struct parked *keep = NULL, **tail = &keep;
    uint64_t now = now_ns();
    for (struct parked *p = mine, *next; p; p = next) {
      next = p->next;
      long long pending = 1;
      if ((stow_pending(p->s, &pending) == ERR_OK && pending == 0) || now >= p->deadline_ns) {
        req_wake(p->r);
        continue;
      }
      p->next = NULL;
      *tail = p;
      tail = &p->next;
    }
    pthread_mutex_lock(&park_mu);
    *tail = park_list;
    park_list = keep;
    if (park_list && !park_stopping) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += POLL_MS * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&park_cv, &park_mu, &ts);
    }
  }
  stow_thread_done();
  return NULL;
}

/* http_stop begins: every parked request is woken (it answers with what intake has done). */
static void waiter_stop(void) {
  pthread_mutex_lock(&park_mu);
  park_stopping = true;
  bool join = waiter_running;
  waiter_running = false;
  pthread_cond_broadcast(&park_cv);
  pthread_mutex_unlock(&park_mu);
  if (join) pthread_join(waiter, NULL);
}

/* The connection is suspended: hand the request to the waiter (or wake it at once when the server
 * is stopping or no waiter can be started). */
static void stow_parked(struct req *r) {
  struct stow_req *q = r->stream_ctx;
  struct parked *p = arena_alloc(r->arena, sizeof *p);
  pthread_mutex_lock(&park_mu);
  if (!p || park_stopping) goto now;
  if (!waiter_running) {
    static bool registered;
    if (!registered) http_on_stop(waiter_stop);
    registered = true;
    if (pthread_create(&waiter, NULL, waiter_main, NULL) != 0) goto now;
    waiter_running = true;
  }
  p->r = r;
  p->s = q->s;
  p->deadline_ns = now_ns() + (uint64_t)wait_ms() * 1000000ull;
  p->next = park_list;
  park_list = p;
  pthread_cond_signal(&park_cv);
  pthread_mutex_unlock(&park_mu);
  return;
now:
  pthread_mutex_unlock(&park_mu);
  req_wake(r);
}

static void stow_answer(struct req *r);

/* The handler: the body is complete. */
static void stow_done(struct req *r) {
  struct stow_req *q = r->stream_ctx;
  if (!q || !q->s) return reply_error(r, ERR_INTERNAL, NULL);
  enum mp_rc rc = mp_finish(&q->mp);
  if (rc != MP_OK) {
    stow_release(r);
    LOG_I("stow refused: %s", mp_error_words(rc));
    return reply_error(r, ERR_BAD_REQUEST, mp_error_words(rc));
  }
  /* commit (intake is queued), then wait parked for intake (above) */
  enum err e = stow_commit(q->s);
  if (e != ERR_OK) {
    const char *w = stow_refusal() ? arena_strdup(r->arena, stow_refusal()) : NULL;
    stow_release(r);
    return reply_error(r, e == ERR_RECORDS_CLOSED ? ERR_CONFLICT : e, w);
  }
  req_park(r, stow_answer, stow_parked);
}

/* Woken: each instance's outcome, as intake left it. */
static void stow_answer(struct req *r) {
  struct stow_req *q = r->stream_ctx;
  if (!q || !q->s) return reply_error(r, ERR_INTERNAL, NULL);
  struct stow_outcome *out;
  size_t n;
  enum err e = stow_results(r->arena, q->s, &out, &n);
  stow_release(r); /* committed: the blobs are the rows' now */
  if (e != ERR_OK) return reply_error(r, e, NULL);
  json_t *root = json_object(), *ok = json_array(), *bad = json_array();
  if (!root || !ok || !bad) goto oom;
  const char *base = base_url(r);
  size_t stored = 0, not_dicom = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *it = sop_item(&out[i]);
    if (!it) goto oom;
    if (out[i].status == STOW_STORED) {
      stored++;
      if (base[0])
        json_object_set_new(it, "00081190",
                            json_pack("{s:s,s:[s]}", "vr", "UR", "Value",
                                      arena_printf(r->arena, "%s/studies/%s/series/%s/instances/%s", base,
                                                   out[i].study_uid, out[i].series_uid, out[i].sop_instance)));
      json_array_append_new(ok, it);
    } else {
      if (out[i].status == STOW_CANNOT_UNDERSTAND) not_dicom++;
      json_object_set_new(it, "00081197", json_pack("{s:s,s:[i]}", "vr", "US", "Value", out[i].status));
      json_array_append_new(bad, it);
    }
  }
  /* no "type" parameter and no part was DICOM: the body was not what STOW-RS takes */
  if (q->type_missing && stored == 0 && n > 0 && not_dicom == n) {
    json_decref(root);
    json_decref(ok);
    json_decref(bad);
    return reply_error(r, ERR_MEDIA_TYPE,
                       "None of the parts is a DICOM instance: STOW-RS takes multipart/related; "
                       "type=\"application/dicom\". Nothing was stored.");
  }
  if (json_array_size(ok)) json_object_set_new(root, "00081199", json_pack("{s:s,s:O}", "vr", "SQ", "Value", ok));
  if (json_array_size(bad)) json_object_set_new(root, "00081198", json_pack("{s:s,s:O}", "vr", "SQ", "Value", bad));
  json_decref(ok);
  json_decref(bad);
  char *text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  if (!text) return reply_error(r, ERR_INTERNAL, NULL);
  unsigned status = stored == n ? 200 : stored ? 202 : 409;
  reply_bytes(r, status, json_offers[q->offer].media, text, strlen(text));
  free(text);
  return;
oom:
  json_decref(root);
  json_decref(ok);
  json_decref(bad);
  reply_error(r, ERR_INTERNAL, NULL);
}

static const struct stream_ops stow_ops = {stow_begin_hook, stow_data_hook, stow_abort_hook, stow_fail_hook};

const struct route dicomweb_stow_routes[] = {
    {"POST", "/dicom-web/studies", stow_done, STOW_ROLES, 0, BODY_STREAM, (size_t)1 << 42, &stow_ops,
     "dicomweb-stow"},
    {"POST", "/dicom-web/requests/{request}/studies", stow_done, STOW_ROLES, 0, BODY_STREAM, (size_t)1 << 42,
     &stow_ops, "dicomweb-stow"},
    {"POST", "/dicom-web/studies/{study}", stow_done, STOW_ROLES, 0, BODY_STREAM, (size_t)1 << 42, &stow_ops,
     "dicomweb-stow-study"},
    {"POST", "/dicom-web/requests/{request}/studies/{study}", stow_done, STOW_ROLES, 0, BODY_STREAM,
     (size_t)1 << 42, &stow_ops, "dicomweb-stow-study"},
    {0},
};
