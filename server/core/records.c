#include "core/records.h"
#include "core/vocab.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/caregivers.h"
#include "core/dicomweb.h"
#include "core/jobs.h"
#include "core/requests.h"
#include "core/stow.h"
#include "core/unpacker.h"
#include "core/viewer.h"
#include "core/zipcheck.h"
#include "dicom/dicom.h"
#include "dicom/content_check.h"
#include "core/virus_scan.h"
#include "dicom/packaging.h"
#include "dicom/sniff.h"
#include "dicom/sopclass.h"
#include "dicom/charset.h"
#include "http/tus_parse.h"
#include "store/blobstore.h"
#include "store/db.h"
#include "store/identity.h"
#include "store/renditions.h"
#include "store/stow.h"
#include "util/arena.h"
#include "util/log.h"
#ifdef SECONDOP_TEST_HOOKS
#include "util/testhold.h"
#endif

#define UPLOAD_TTL_SECONDS (24 * 3600)
#define PREFIX_MAX ((size_t)1 << 20)        /* bytes of a file examined by sniff + DICOM reader */
#define ARCHIVE_MAX_ENTRIES_DEFAULT 20000
static unsigned archive_max_entries = ARCHIVE_MAX_ENTRIES_DEFAULT; /* SECONDOP_ARCHIVE_MAX_ENTRIES */
#define ARCHIVE_MAX_ENTRIES archive_max_entries
#define PDF_TAIL_SCAN_MAX ((uint64_t)512 << 20) /* PDFs up to this size also have their last MiB scanned */
#define ARCHIVE_MAX_TOTAL ((uint64_t)8 << 30) /* uncompressed bytes per archive */
#define ARCHIVE_MAX_RATIO 200               /* uncompressed : compressed */
#define IO_BUF (64 * 1024)

static uint64_t max_upload = (uint64_t)8 << 30, max_request = (uint64_t)32 << 30;
static unsigned quota_uploads = 20, quota_archives = 2;
static uint64_t quota_daily = (uint64_t)64 << 30;

/* Plain words for the last refusal on this thread (quota, limit, closed). */
static _Thread_local char refusal[320];
static _Thread_local int has_refusal;

const char *records_refusal(void) { return has_refusal ? refusal : NULL; }

/* Sets the thread's refusal text. */
__attribute__((format(printf, 1, 2))) static void refuse_why(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(refusal, sizeof refusal, fmt, ap);
  va_end(ap);
  has_refusal = 1;
}

/* "8 GiB", "512 MiB", "1.5 GiB" */
static void size_words(uint64_t n, char *out, size_t cap) {
  static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(out, cap, "%llu bytes", (unsigned long long)n);
  else if (v == (double)(uint64_t)v)
    snprintf(out, cap, "%llu %s", (unsigned long long)v, unit[u]);
  else
    snprintf(out, cap, "%.1f %s", v, unit[u]);
}

/* ---- in-process lock: one PATCH (or finalization) per upload at a time ---- */

#define MAX_ACTIVE 512
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static char active_ids[MAX_ACTIVE][27];

static void upload_unlock(const char *id);

/* Marks id busy. 0, or -1 when another request holds it (or the table is full). */
static int upload_lock(const char *id) {
  int rc = -1, free_slot = -1;
  pthread_mutex_lock(&active_mu);
  for (int i = 0; i < MAX_ACTIVE; i++) {
    if (active_ids[i][0] == '\0') {
      if (free_slot < 0) free_slot = i;
    } else if (strcmp(active_ids[i], id) == 0) {
      goto out;
    }
  }
  if (free_slot >= 0) {
    snprintf(active_ids[free_slot], sizeof active_ids[free_slot], "%s", id);
    rc = 0;
  }
out:
  pthread_mutex_unlock(&active_mu);
  return rc;
}

/* Like upload_lock, but waits up to LOCK_WAIT_MS for a PATCH that is ending
 * (e.g. one whose connection dropped, being kept durable) to let go, so a
 * client retrying at once resumes instead of meeting a 409. Ending takes a
 * sync and a commit: 1.5 s was not always enough on a loaded machine. */
#define LOCK_WAIT_MS 5000
static int upload_lock_wait(const char *id) {
  for (int waited = 0;; waited += 10) {
    if (upload_lock(id) == 0) return 0;
    if (waited >= LOCK_WAIT_MS) return -1;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

void records_upload_settle(const char *id) {
  if (!tus_id_valid(id) || upload_lock_wait(id) != 0) return;
  upload_unlock(id);
}

/* Releases id. */
static void upload_unlock(const char *id) {
  pthread_mutex_lock(&active_mu);
  for (int i = 0; i < MAX_ACTIVE; i++)
    if (strcmp(active_ids[i], id) == 0) active_ids[i][0] = '\0';
  pthread_mutex_unlock(&active_mu);
}

/* ---- the upload's lease in PostgreSQL: one instance at a time ----
 *
 * Several instances share the database and the blob store, so the in-process
 * lock above only keeps this process's own requests apart (a fast path). The
 * source of truth is the lease in the upload's row (migrations/0033): taking it
 * raises the fencing token, and an offset commits only with the token its
 * writer holds, in the same statement, so an instance that stalled past its
 * lease, or a restarted one, can never commit over the instance that took the
 * upload after it. */

static char instance_id[64]; /* "DIRID.RANDOM": the data directory's id, then random per process */
static int lease_secs = 30;  /* SECONDOP_UPLOAD_LEASE_SECONDS */

const char *records_instance_id(void) { return instance_id; }
int records_lease_seconds(void) { return lease_secs; }

/* Takes id's lease, waiting up to LOCK_WAIT_MS for another instance's PATCH
 * that is ending when wait. ERR_CONFLICT (with a refusal text) when another
 * instance still holds it. */
static enum err upload_lease_take(const char *id, int wait, long long *token) {
  for (int waited = 0;; waited += 50) {
    enum err e = uploads_lease_take(id, instance_id, lease_secs, token);
    if (e != ERR_CONFLICT) return e;
    if (!wait || waited >= LOCK_WAIT_MS) {
      refuse_why("Another connection is sending this file to the center right now, so nothing was changed. If that "
                 "was you on another tab or device, let it finish; otherwise ask where the upload stands (HEAD) "
                 "and resume in a few seconds.");
      return e;
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* Takes id's lock (waiting for a PATCH that is ending when wait) and its
 * lease, and reads the upload's row again under them, as who sees it (NULL:
 * the system): a row read before may be stale, and acting on it could cut
 * acknowledged bytes. ERR_CONFLICT when the lock or lease is held; both are
 * released on any error. out->lease_token is the fencing token held. */
static enum err upload_lock_fresh(struct arena *a, const struct actor *who, const char *id, int wait,
                                  struct upload_row *out) {
  if ((wait ? upload_lock_wait(id) : upload_lock(id)) != 0) return ERR_CONFLICT;
  long long token = 0;
  enum err e = upload_lease_take(id, wait, &token);
  if (e == ERR_OK) e = who ? records_upload_get(a, who, id, out) : uploads_get(a, id, out);
  if (e != ERR_OK) {
    if (token > 0) (void)uploads_lease_release(id, token);
    upload_unlock(id);
    return e;
  }
  out->lease_token = token;
  return ERR_OK;
}

/* Lets go of what upload_lock_fresh took. */
static void upload_let_go(const struct upload_row *u) {
  if (u->lease_token > 0 && uploads_lease_release(u->id, u->lease_token) != ERR_OK)
    LOG_W("upload %s: could not let go of its lease (it lapses by itself)", u->id);
  upload_unlock(u->id);
}

/* ---- audit helpers ---- */

static const struct actor system_actor = {0, 0, "", "recovery", 0, false};

/* Writes one audit row; failures are logged (the caller's action stands). */
static void audit(const struct actor *who, const char *action, const char *otype, const char *oid,
                  long long patient_id, const char *outcome, const char *detail) {
  struct audit_event ev = {action, otype, oid, patient_id, outcome, detail};
  if (audit_write(who ? who : &system_actor, &ev) != ERR_OK) LOG_W("audit write failed for %s", action);
}

/* ---- setup ---- */

static enum job_result intake_job_run(const char *payload, long long patient_id, char *why, size_t whylen);
static void intake_job_give_up(const char *payload, long long patient_id, const char *why);
static const struct job_kind intake_kind = {"intake", 5, intake_job_run, intake_job_give_up};

uint64_t records_max_upload(void) { return max_upload; }
uint64_t records_max_request(void) { return max_request; }

void records_set_limits(const struct records_limits *l) {
  if (l->max_file) max_upload = l->max_file;
  if (l->max_request) max_request = l->max_request;
  if (l->quota_uploads) quota_uploads = l->quota_uploads;
  if (l->quota_daily) quota_daily = l->quota_daily;
  if (l->quota_archives) quota_archives = l->quota_archives;
}

/* The data directory's id (DIR/instance-dir.id, made once): a lease whose
 * holder names it was this directory's, and only one process runs on a data
 * directory at a time (its lock file), so such a lease is free to take at
 * once: a server restarted after a crash resumes its own uploads without
 * waiting for their leases to lapse. Each instance needs its own data
 * directory (never a copy of another's: it would take that one's leases). */
static int data_dir_id(const char *data_dir, char out[33]) {
  char path[4200];
  snprintf(path, sizeof path, "%s/instance-dir.id", data_dir);
  for (int attempt = 0; attempt < 2; attempt++) {
    FILE *f = fopen(path, "re");
    if (f) {
      char line[64] = "";
      int ok = fgets(line, sizeof line, f) != NULL;
      fclose(f);
      line[strcspn(line, "\n")] = '\0';
      if (ok && strlen(line) == 32 && strspn(line, "0123456789abcdef") == 32) {
        memcpy(out, line, 33);
        return 0;
      }
      LOG_E("%s is damaged: remove it (a new id is made at the next start)", path);
      return -1;
    }
    unsigned char r[16];
    char hexid[33], tmp[4220];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(hexid, sizeof hexid, r, sizeof r);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *w = fopen(tmp, "we");
    if (!w || fprintf(w, "%s\n", hexid) < 0 || fflush(w) != 0 || fdatasync(fileno(w)) != 0) {
      if (w) fclose(w);
      LOG_E("cannot write %s: %s", tmp, strerror(errno));
      return -1;
    }
    fclose(w);
    if (rename(tmp, path) != 0) {
      LOG_E("cannot write %s: %s", path, strerror(errno));
      return -1;
    }
  }
  return -1;
}

int records_init(const char *data_dir) {
  char err[256];
  uint64_t v;
  if (blobstore_init(data_dir, err, sizeof err) != 0) {
    LOG_E("blob store: %s", err);
    return -1;
  }
  uploads_store_register();
  char dir_id[33];
  if (data_dir_id(data_dir, dir_id) != 0) return -1;
  unsigned char iid[12];
  char iid_hex[25];
  randombytes_buf(iid, sizeof iid);
  sodium_bin2hex(iid_hex, sizeof iid_hex, iid, sizeof iid);
  snprintf(instance_id, sizeof instance_id, "%s.%s", dir_id, iid_hex);
  const char *ls = getenv("SECONDOP_UPLOAD_LEASE_SECONDS");
  if (ls && *ls) {
    if (tus_parse_u64(ls, &v) != 0 || v < 2 || v > 3600) {
      LOG_E("SECONDOP_UPLOAD_LEASE_SECONDS must be a whole number of seconds from 2 to 3600");
      return -1;
    }
    lease_secs = (int)v;
  }
  LOG_I("uploads: this instance is %s; an upload's lease lapses %d s after its holder last renewed it", instance_id,
        lease_secs);
  stow_store_register();
  identity_store_register();
  const char *me = getenv("SECONDOP_ARCHIVE_MAX_ENTRIES");
  if (me && tus_parse_u64(me, &v) == 0 && v > 0 && v <= 10000000) archive_max_entries = (unsigned)v;
#ifdef SECONDOP_TEST_HOOKS
  const char *up = getenv("SECONDOP_TEST_UNPACK_PROGRAM"); /* e.g. a path that does not exist */
  if (up && *up) unpacker_set_program(up);
#endif
  const char *ms = getenv("SECONDOP_UNPACK_STALL_SECONDS");
  if (ms && tus_parse_u64(ms, &v) == 0 && v > 0 && v <= 3600) unpacker_set_stall_seconds((unsigned)v);
  jobs_init();
  jobs_register_kind(&intake_kind);
  viewer_init();
  dicomweb_init();
  db_close(); /* reconnect so this thread's connection prepares the new statements */
  return 0;
}

void records_shutdown(void) { blobstore_shutdown(); }

/* ---- requests ---- */

/* True when the actor acts for the request's patient: she herself, or a
 * caregiver she invited and has not revoked (core/caregivers.h). */
static int is_owner(const struct actor *who, const struct request_row *rq) {
  return who && who->user_id > 0 && who->role == ACCT_ROLE_PATIENT &&
         (rq->patient_id == who->user_id || caregivers_acts_for(who->user_id, rq->patient_id));
}

enum err records_request_open(struct arena *a, const struct actor *who, long long id, struct request_row *out) {
  enum err e = requests_get(a, id, out);
  if (e != ERR_OK && e != ERR_NOT_FOUND) return e;
  if (e == ERR_OK && is_owner(who, out)) return ERR_OK;
  if (who && who->user_id > 0 && (who->role & (ACCT_ROLE_STAFF | ACCT_ROLE_REVIEWER))) {
    /* the center: the request workflow's one rule (staff past draft, a
     * reviewer only when assigned); it audits the view or the refusal */
    enum req_status st;
    long long patient_id;
    e = requests_access(who, id, RA_VIEW, &st, &patient_id);
    if (e == ERR_OK) return requests_get(a, id, out);
    return e;
  }
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", id);
  audit(who, "request.view", "request", oid, 0, "denied", NULL);
  return ERR_NOT_FOUND;
}

/* Like records_request_open, but only the owner: changes to the records
 * (uploads, removals) are the patient's alone. */
static enum err records_request_own(struct arena *a, const struct actor *who, long long id,
                                    struct request_row *out) {
  enum err e = requests_get(a, id, out);
  if (e != ERR_OK && e != ERR_NOT_FOUND) return e;
  if (e == ERR_OK && is_owner(who, out)) return ERR_OK;
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", id);
  audit(who, "request.change", "request", oid, 0, "denied", NULL);
  return ERR_NOT_FOUND;
}

/* ---- uploads ---- */

/* True when k names a document kind (core/vocab.h; the last is a
 * representative's authority, core/caregivers.h). */
static int kind_valid(const char *k) { return vocab_document_valid(k); }

/* True when a client file name ends in .zip or .iso (case-insensitive). */
static int archive_name(const unsigned char *n, size_t len) {
  static const char *const ext[] = {".zip", ".iso"};
  for (size_t i = 0; i < 2; i++)
    if (n && len >= 4 && strncasecmp((const char *)n + len - 4, ext[i], 4) == 0) return 1;
  return 0;
}

/* The per-patient quotas and the per-request limit, for a new upload of
 * length bytes. ERR_OK, or ERR_TOO_MANY / ERR_TOO_LARGE with the refusal
 * text set (which limit, in plain words). */
static enum err records_quota_check(long long owner, long long request_id, uint64_t length, const unsigned char *name,
                                    size_t name_len) {
  struct upload_usage u;
  char lim[32], have[32];
  enum err e = uploads_usage(owner, request_id, &u);
  if (e != ERR_OK) return e;
  if (u.bytes_request + length > max_request) {
    size_words(max_request, lim, sizeof lim);
    size_words(u.bytes_request, have, sizeof have);
    refuse_why("This request already holds %s of files; together they may not exceed %s. Remove files you do not "
               "need, or ask the center how to send the rest.", have, lim);
    return ERR_TOO_LARGE;
  }
  if (u.receiving >= (long long)quota_uploads) {
    refuse_why("You have %lld uploads that are not finished (at most %u at a time). Let them finish, or remove "
               "them, then try again.", u.receiving, quota_uploads);
    return ERR_TOO_MANY;
  }
  if (u.bytes_day + length > quota_daily) {
    size_words(quota_daily, lim, sizeof lim);
    refuse_why("You can upload up to %s in 24 hours, and this file would go past it. Please try again tomorrow, "
               "or ask the center for help.", lim);
    return ERR_TOO_MANY;
  }
  if (archive_name(name, name_len) && u.archives >= (long long)quota_archives) {
    refuse_why("%lld ZIP or disc-image files of yours are still being checked (at most %u at a time). Please wait "
               "until they are checked, then upload this one.", u.archives, quota_archives);
    return ERR_TOO_MANY;
  }
  return ERR_OK;
}

enum err records_upload_create(const struct actor *who, const struct upload_new *un, char id_out[27],
                               long long *expires_at) {
  has_refusal = 0;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  struct request_row rq;
  unsigned char dek[BLOB_DEK_LEN];
  e = records_request_own(a, who, un->request_id, &rq);
  if (e != ERR_OK) goto done;
  if (!is_owner(who, &rq)) {
    e = ERR_NOT_FOUND;
    goto done;
  }
  enum req_status st;
  if (!req_status_parse(rq.status, &st) || !req_records_open(st)) {
    e = ERR_RECORDS_CLOSED; /* records are open while a draft, or when the center asks for information */
    goto done;
  }
  if (!kind_valid(un->kind)) {
    e = ERR_INVALID;
    goto done;
  }
  char lim[32];
  if (un->length > max_upload) {
    size_words(max_upload, lim, sizeof lim);
    refuse_why("This file is larger than the %s we accept for one file.", lim);
    e = ERR_TOO_LARGE;
    goto done;
  }
  e = records_quota_check(who->user_id, un->request_id, un->length, un->name, un->name_len);
  if (e != ERR_OK) goto done;
  e = blobstore_space_check(un->length);
  if (e == ERR_NO_SPACE)
    refuse_why("The center's storage is full right now, so this upload was not started and nothing of this file "
               "was saved. Please try again later.");
  if (e != ERR_OK) goto done;
  struct upload_row u;
  memset(&u, 0, sizeof u);
  unsigned char rid[16];
  randombytes_buf(rid, sizeof rid);
  tus_base32(rid, sizeof rid, u.id, sizeof u.id);
  char name[TUS_NAME_MAX + 1];
  tus_sanitize_filename(un->name ? un->name : (const unsigned char *)"", un->name ? un->name_len : 0, name,
                        sizeof name);
  u.request_id = un->request_id;
  u.owner_id = who->user_id;
  u.kind = un->kind;
  u.filename = name;
  u.length = un->length;
  u.has_sha256_expected = un->has_sha256;
  memcpy(u.sha256_expected, un->sha256, 32);
  if (blobstore_new_file(u.file_id, dek, u.wrapped, &u.kek_version) != 0) {
    e = ERR_INTERNAL;
    goto done;
  }
  sodium_memzero(dek, sizeof dek);
  u.expires_at = (long long)time(NULL) + UPLOAD_TTL_SECONDS;
  e = uploads_insert(&u);
  if (e != ERR_OK) goto done;
  memcpy(id_out, u.id, 27);
  *expires_at = u.expires_at;
  char detail[160];
  snprintf(detail, sizeof detail, "{\"request_id\":%lld,\"length\":%llu}", un->request_id,
           (unsigned long long)un->length);
  audit(who, "upload.create", "upload", u.id, rq.patient_id, "ok", detail);
done:
  arena_free(a);
  return e;
}

enum err records_upload_get(struct arena *a, const struct actor *who, const char *id, struct upload_row *out) {
  if (!tus_id_valid(id)) return ERR_NOT_FOUND;
  enum err e = uploads_get(a, id, out);
  if (e != ERR_OK) return e;
  if (!who || out->owner_id != who->user_id) return ERR_NOT_FOUND;
  if (out->expired && strcmp(out->state, "receiving") == 0) return ERR_NOT_FOUND;
  if (strcmp(out->state, "failed") == 0) return ERR_NOT_FOUND;
  return ERR_OK;
}

enum err records_upload_status(struct arena *a, const struct actor *who, const char *id, struct upload_status *out) {
  memset(out, 0, sizeof *out);
  struct upload_row u;
  if (!tus_id_valid(id)) return ERR_NOT_FOUND;
  enum err e = uploads_get(a, id, &u);
  if (e != ERR_OK) return e;
  if (!who || u.owner_id != who->user_id) return ERR_NOT_FOUND;
  out->offset = u.offset;
  out->length = u.length;
  out->outcome = "";
  out->message = "";
  if (strcmp(u.state, "receiving") == 0) {
    out->state = "receiving";
  } else if (u.scan_pending && strcmp(u.state, "checking") == 0) {
    out->state = "waiting"; /* durable, waiting for the virus scanner (core/virus_scan.c) */
    out->message = "received; waiting for the virus check before it is added";
  } else if (strcmp(u.state, "finalizing") == 0 || strcmp(u.state, "checking") == 0) {
    out->state = "checking";
    out->message = "received, being checked";
  } else if (strcmp(u.state, "failed") == 0) {
    out->state = "failed";
    out->outcome = "failed";
    out->message = *u.failure ? u.failure : "not kept";
  } else {
    out->state = "complete";
    struct receipt_row rc;
    e = receipts_for_upload(a, id, &rc);
    if (e != ERR_OK && e != ERR_NOT_FOUND) return e;
    if (e == ERR_OK) {
      out->message = rc.message;
      out->accepted = rc.accepted;
      out->images = rc.images;
      out->refused = rc.refused;
      out->skipped = rc.skipped;
      out->outcome = rc.accepted > 0 ? (rc.refused > 0 ? "partly" : "accepted") : rc.refused > 0 ? "refused"
                                                                                                 : "accepted";
    } else {
      out->outcome = "accepted";
    }
  }
  return ERR_OK;
}

enum err records_upload_delete(const struct actor *who, const char *id) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct upload_row u;
  enum err e = records_upload_get(a, who, id, &u);
  if (e != ERR_OK) goto done;
  /* the state is read under the lock: a PATCH may have just completed it */
  e = upload_lock_fresh(a, who, id, 0, &u);
  if (e != ERR_OK) goto done;
  if (strcmp(u.state, "receiving") != 0) e = ERR_CONFLICT; /* taken in already: remove the documents instead */
  if (e == ERR_OK) e = uploads_delete(id);
  if (e == ERR_OK) {
    blobstore_upload_discard(u.file_id);
    audit(who, "upload.delete", "upload", id, u.patient_id, "ok", NULL);
  }
  upload_let_go(&u);
done:
  arena_free(a);
  return e;
}

/* ---- running digests: computed while the bytes arrive ----
 *
 * The integrity digest is the records digest (store/blobfmt.h: BLAKE2b over
 * each sealed record's nonce and tag), which the blob writer keeps as it
 * seals: 40 bytes hashed per 64 KiB record instead of the whole plaintext.
 * SHA-256 of the plaintext is computed only when the client declared one.
 * The states cover exactly the bytes [0, offset) (the records digest: the
 * full records in the staging file, which is what a checkpoint keeps) and
 * are committed with the offset, sealed under the file's data key (the
 * SHA-256 state holds up to a block of buffered plaintext), so a resume after
 * a crash continues them and completion needs no read-back. A row without a
 * usable state (rows from before, or a libsodium whose state layout differs)
 * falls back to reading the finished file once. */

#define DIGEST_LABEL "digest"
#define DIGEST_FORMAT 2 /* 1: the plaintext's BLAKE2b state (before 0032), refused, so read back */
#define DIGEST_HDR 12
#define DIGEST_SHA_LEN sizeof(crypto_hash_sha256_state)

struct digests {
  crypto_hash_sha256_state sha; /* 64-byte aligned: the struct comes from aligned_alloc */
  int valid;                    /* the writer's records digest and sha cover exactly the committed/received bytes */
  int has_sha;
};

/* Bytes of the sealed plaintext: header, records digest state, SHA-256 state. */
static size_t digest_plain_len(void) { return DIGEST_HDR + blob_digest_state_len() + DIGEST_SHA_LEN; }

/* A zeroed, suitably aligned digests struct (invalid); NULL when out of
 * memory. Free with digests_free(). */
static struct digests *digests_new(void) {
  size_t sz = (sizeof(struct digests) + 63) & ~(size_t)63;
  struct digests *d = aligned_alloc(64, sz);
  if (d) memset(d, 0, sz);
  return d;
}

/* Wipes (the SHA-256 state holds buffered plaintext) and frees. NULL is fine. */
static void digests_free(struct digests *d) {
  if (!d) return;
  sodium_memzero(d, sizeof *d);
  free(d);
}

/* Starts at offset 0 (the writer starts its records digest itself). */
static void digests_start(struct digests *d, int has_sha) {
  if (has_sha) crypto_hash_sha256_init(&d->sha);
  d->has_sha = has_sha;
  d->valid = 1;
}

/* Adds len plaintext bytes to the SHA-256 (only when valid and declared). */
static void digests_update(struct digests *d, const void *buf, size_t len) {
  if (!d || !d->valid || !d->has_sha) return;
  crypto_hash_sha256_update(&d->sha, buf, len);
}

/* The serialized header: u8 format, u8 has_sha, u8 libsodium major, u8
 * minor, u32 BE state sizes (records digest, SHA-256). */
static void digests_header(int has_sha, unsigned char out[DIGEST_HDR]) {
  out[0] = DIGEST_FORMAT;
  out[1] = (unsigned char)has_sha;
  out[2] = (unsigned char)sodium_library_version_major();
  out[3] = (unsigned char)sodium_library_version_minor();
  uint32_t b = (uint32_t)blob_digest_state_len(), h = (uint32_t)DIGEST_SHA_LEN;
  for (int i = 0; i < 4; i++) {
    out[4 + i] = (unsigned char)(b >> (24 - 8 * i));
    out[8 + i] = (unsigned char)(h >> (24 - 8 * i));
  }
}

/* Restores the digests of an upload at its committed offset from the row's
 * sealed state: the records digest into the writer w, the SHA-256 into d.
 * Leaves d invalid (and logs why) when there is none or it does not open, has
 * another layout, or disagrees with the row or the file. */
static void digests_load(struct digests *d, const unsigned char dek[BLOB_DEK_LEN], const struct upload_row *u,
                         struct blob_writer *w) {
  d->valid = 0;
  if (!u->digest_state) {
    LOG_I("upload %s: no digest state at offset %llu; the digest will be computed at completion", u->id,
          (unsigned long long)u->offset);
    (void)blob_writer_digest_import(w, NULL, 0);
    return;
  }
  size_t pl = digest_plain_len();
  unsigned char *p = malloc(pl);
  char err[120];
  if (!p) return;
  if (blob_state_open(dek, u->file_id, DIGEST_LABEL, u->offset, u->digest_state, u->digest_state_len, p, pl, err,
                      sizeof err) != 0) {
    LOG_W("upload %s: digest state unusable (%s); the digest will be computed at completion", u->id, err);
    (void)blob_writer_digest_import(w, NULL, 0);
    free(p);
    return;
  }
  unsigned char want[DIGEST_HDR];
  digests_header(u->has_sha256_expected, want);
  if (memcmp(p, want, DIGEST_HDR) != 0) {
    LOG_W("upload %s: digest state from another format or library; the digest will be computed at completion",
          u->id);
    (void)blob_writer_digest_import(w, NULL, 0);
  } else if (blob_writer_digest_import(w, p + DIGEST_HDR, blob_digest_state_len()) != 0) {
    LOG_W("upload %s: digest state does not match the staging file; the digest will be computed at completion",
          u->id);
  } else {
    if (u->has_sha256_expected) memcpy(&d->sha, p + DIGEST_HDR + blob_digest_state_len(), sizeof d->sha);
    d->has_sha = u->has_sha256_expected;
    d->valid = 1;
  }
  sodium_memzero(p, pl);
  free(p);
}

/* Seals the digests for the writer's current offset into *out (malloc'd,
 * caller frees). 0, or -1 when d is invalid, the writer has no records
 * digest, or sealing fails. */
static int digests_seal(const struct digests *d, const struct blob_writer *w, unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (!d || !d->valid) return -1;
  size_t pl = digest_plain_len();
  unsigned char *p = calloc(1, pl);
  if (!p) return -1;
  digests_header(d->has_sha, p);
  int rc = -1;
  char err[120] = "the writer has no records digest";
  if (blob_writer_digest_export(w, p + DIGEST_HDR, blob_digest_state_len()) == 0) {
    if (d->has_sha) memcpy(p + DIGEST_HDR + blob_digest_state_len(), &d->sha, sizeof d->sha);
    rc = blob_writer_seal_state(w, DIGEST_LABEL, p, pl, out, len, err, sizeof err);
  }
  sodium_memzero(p, pl);
  free(p);
  if (rc != 0) LOG_W("cannot seal digest state: %s", err);
  return rc;
}

/* ---- the write pipeline: sealing, writing and hashing on a helper thread ----
 *
 * Receiving a PATCH's bytes (the kernel's copy out of the socket, on the HTTP
 * thread) and sealing and writing them are independent, so the HTTP thread
 * only copies what arrives into PIPE_SLOTS buffers of PIPE_SLOT bytes and a
 * per-PATCH helper thread appends them to the blob writer (which seals whole
 * records straight from a slot) and feeds the declared SHA-256: on a machine
 * with a free core a PATCH costs max(receive, seal + write) in time instead of
 * their sum, and the copy into the slot replaces the writer's copy into its
 * tail. Memory per active PATCH: PIPE_SLOTS * PIPE_SLOT, whatever the size.
 * Between pipe_start and pipe_sync the writer and dg belong to the thread.
 * A failed append stops the thread's work (the writer restored itself to
 * before that slot); the HTTP thread sees it at its next feed or at sync, and
 * the PATCH fails as an inline failure did: nothing is committed and the
 * staging file is cut back to the committed offset. */

#define PIPE_SLOT (256 * 1024)
#define PIPE_SLOTS 4

struct pipe {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;   /* broadcast on every change of rd, wr, stop or failed */
  unsigned char *mem;  /* PIPE_SLOTS * PIPE_SLOT */
  size_t len[PIPE_SLOTS];
  uint64_t rd, wr;     /* slots done / handed over (slot i is mem + (i % PIPE_SLOTS) * PIPE_SLOT) */
  size_t fill;         /* producer only: bytes in slot wr being filled */
  int stop;
  struct blob_writer *w;
  struct digests *dg;  /* the SHA-256, when declared (else NULL) */
  int failed, fail_errno; /* the first failed append (then later slots are dropped) */
  char fail_why[200];
};

/* The helper thread: appends handed-over slots in order until stopped. */
static void *pipe_main(void *arg) {
  struct pipe *h = arg;
  pthread_mutex_lock(&h->mu);
  for (;;) {
    while (h->rd == h->wr && !h->stop) pthread_cond_wait(&h->cv, &h->mu);
    if (h->rd == h->wr) break; /* stopped and drained */
    size_t i = (size_t)(h->rd % PIPE_SLOTS), n = h->len[i];
    int failed = h->failed;
    pthread_mutex_unlock(&h->mu);
    char why[200];
    int rc = 0, en = 0;
    if (!failed) {
      rc = blob_writer_append(h->w, h->mem + i * PIPE_SLOT, n, why, sizeof why);
      en = errno;
      if (rc == 0) digests_update(h->dg, h->mem + i * PIPE_SLOT, n);
    }
    pthread_mutex_lock(&h->mu);
    if (rc != 0) {
      h->failed = 1;
      h->fail_errno = en;
      snprintf(h->fail_why, sizeof h->fail_why, "%s", why);
    }
    h->rd++;
    pthread_cond_broadcast(&h->cv);
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/* Starts a helper for w (and dg's SHA-256 when not NULL). NULL when memory or
 * a thread is not available (the caller then appends inline). Free with
 * pipe_stop(). */
static struct pipe *pipe_start(struct blob_writer *w, struct digests *dg) {
  struct pipe *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->mem = malloc((size_t)PIPE_SLOTS * PIPE_SLOT);
  h->w = w;
  h->dg = dg;
  if (!h->mem || pthread_mutex_init(&h->mu, NULL) != 0) goto fail_mem;
  if (pthread_cond_init(&h->cv, NULL) != 0) goto fail_mu;
  if (pthread_create(&h->th, NULL, pipe_main, h) != 0) goto fail_cv;
  pthread_setname_np(h->th, "upload-write"); /* shows in top -H and perf */
  return h;
fail_cv:
  pthread_cond_destroy(&h->cv);
fail_mu:
  pthread_mutex_destroy(&h->mu);
fail_mem:
  free(h->mem);
  free(h);
  return NULL;
}

/* Hands the slot being filled to the thread (if it holds bytes). */
static void pipe_hand_over(struct pipe *h) {
  if (h->fill == 0) return;
  pthread_mutex_lock(&h->mu);
  h->len[h->wr % PIPE_SLOTS] = h->fill;
  h->wr++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  h->fill = 0;
}

/* Copies n bytes into the slots, handing full ones over; waits while every
 * slot is queued (memory stays bounded). -1 (errno, why) once an append
 * failed. */
static int pipe_feed(struct pipe *h, const unsigned char *p, size_t n, char *why, size_t whylen) {
  while (n > 0) {
    pthread_mutex_lock(&h->mu);
    while (h->wr - h->rd >= PIPE_SLOTS && !h->failed) pthread_cond_wait(&h->cv, &h->mu);
    int failed = h->failed, en = h->fail_errno;
    if (failed) snprintf(why, whylen, "%s", h->fail_why);
    pthread_mutex_unlock(&h->mu);
    if (failed) {
      errno = en;
      return -1;
    }
    size_t c = PIPE_SLOT - h->fill;
    if (c > n) c = n;
    memcpy(h->mem + (size_t)(h->wr % PIPE_SLOTS) * PIPE_SLOT + h->fill, p, c);
    h->fill += c;
    p += c;
    n -= c;
    if (h->fill == PIPE_SLOT) pipe_hand_over(h);
  }
  return 0;
}

/* Returns once every byte fed was appended (and hashed): 0, or -1 (errno,
 * why) when an append failed. NULL is fine. */
static int pipe_sync(struct pipe *h, char *why, size_t whylen) {
  if (!h) return 0;
  pipe_hand_over(h);
  pthread_mutex_lock(&h->mu);
  while (h->rd != h->wr) pthread_cond_wait(&h->cv, &h->mu);
  int failed = h->failed, en = h->fail_errno;
  if (failed) snprintf(why, whylen, "%s", h->fail_why);
  pthread_mutex_unlock(&h->mu);
  errno = en;
  return failed ? -1 : 0;
}

/* Stops the thread (slots still queued are dropped: call pipe_sync first to
 * keep them), wipes the slots (plaintext) and frees. NULL is fine. */
static void pipe_stop(struct pipe *h) {
  if (!h) return;
  pthread_mutex_lock(&h->mu);
  h->stop = 1;
  if (!h->failed) {
    h->failed = 1;
    h->fail_errno = ECANCELED;
    snprintf(h->fail_why, sizeof h->fail_why, "stopped");
  }
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->th, NULL);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  sodium_memzero(h->mem, (size_t)PIPE_SLOTS * PIPE_SLOT);
  free(h->mem);
  free(h);
}

/* ---- append (one PATCH) ---- */

struct upload_session {
  struct arena *a;
  struct actor who;
  char ip[48], rid[40];
  struct upload_row u;
  struct blob_writer *w;
  uint64_t start, received;
  int64_t declared;
  int check_sha;
  unsigned char want_sha[32];
  crypto_hash_sha256_state sha; /* this chunk's (Upload-Checksum) */
  struct digests *dg;           /* the whole file's SHA-256 (when declared), streamed; the records digest is w's */
  struct pipe *pp;              /* the writer's helper thread (NULL: none yet, or inline) */
  int pp_failed;                /* could not start one: append inline */
  int commit_unknown;           /* an offset commit failed without saying whether it landed */
  int fenced;                   /* another instance took the upload: its bytes are not ours to touch */
  struct timespec renewed;      /* when the lease was last taken or renewed (CLOCK_MONOTONIC) */
};

static enum err finalize_upload(struct arena *a, const struct actor *who, struct upload_row *u, struct blob_writer *w,
                                struct digests *dg);

/* Words for a 507 on a PATCH: what is kept (the committed offset) and that
 * the upload can be resumed. Sets the thread's refusal text. */
static void refuse_no_space(uint64_t committed) {
  char kept[32];
  size_words(committed, kept, sizeof kept);
  if (committed == 0)
    refuse_why("The center's storage is full right now, so nothing of this file is saved yet. Your upload can be "
               "resumed: try again later and it starts from the beginning (Upload-Offset 0).");
  else
    refuse_why("The center's storage is full right now. The first %llu bytes (%s) of this file are saved; what came "
               "after was not. Your upload can be resumed: try again later and it continues from byte %llu "
               "(Upload-Offset %llu).",
               (unsigned long long)committed, kept, (unsigned long long)committed, (unsigned long long)committed);
}

/* Frees a session (lock released). The writer is aborted after cutting the
 * staging file back to the committed offset, so the bytes of a PATCH that
 * failed (no space, checksum, client gone, commit refused) leave the disk
 * before the answer is sent; when a commit failed without saying whether it
 * landed, the file is left as it is (the next resume cuts it to whatever
 * offset the database holds). */
static void session_free(struct upload_session *s) {
  if (!s) return;
  pipe_stop(s->pp); /* the writer is ours again */
  s->pp = NULL;
  if (s->w && !s->commit_unknown && !s->fenced) {
    char err[200];
    if (blob_writer_abort_to(s->w, s->u.offset, err, sizeof err) != 0)
      LOG_W("upload %s: %s (the next resume cuts it)", s->u.id, err);
  } else {
    blob_writer_abort(s->w);
  }
  s->w = NULL;
  digests_free(s->dg);
  if (s->fenced) s->u.lease_token = 0; /* the lease is another's now */
  upload_let_go(&s->u);
  arena_free(s->a);
}

enum err records_append_begin(const struct actor *who, const char *id, uint64_t client_offset, int64_t declared_len,
                              const unsigned char *want_sha256, struct upload_session **out) {
  *out = NULL;
  has_refusal = 0;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct upload_session *s = arena_alloc(a, sizeof *s);
  if (!s) {
    arena_free(a);
    return ERR_INTERNAL;
  }
  memset(s, 0, sizeof *s);
  s->a = a;
  enum err e = records_upload_get(a, who, id, &s->u);
  if (e != ERR_OK) {
    arena_free(a);
    return e;
  }
  /* the request must still take records from this patient, at every PATCH */
  struct request_row rq;
  enum req_status rst;
  e = requests_get(a, s->u.request_id, &rq);
  if (e != ERR_OK) {
    arena_free(a);
    return e == ERR_NOT_FOUND ? ERR_NOT_FOUND : e;
  }
  if (!is_owner(who, &rq) || !req_status_parse(rq.status, &rst) || !req_records_open(rst)) {
    audit(who, "upload.append", "upload", id, rq.patient_id, "denied", "{\"reason\":\"records closed\"}");
    arena_free(a);
    return ERR_RECORDS_CLOSED;
  }
  /* a PATCH that held the lock may have committed since the read above */
  e = upload_lock_fresh(a, who, id, 1, &s->u);
  if (e != ERR_OK) {
    arena_free(a);
    return e;
  }
  clock_gettime(CLOCK_MONOTONIC, &s->renewed);
  s->who = *who;
  snprintf(s->ip, sizeof s->ip, "%s", who->ip ? who->ip : "");
  snprintf(s->rid, sizeof s->rid, "%s", who->request_id ? who->request_id : "");
  s->who.ip = s->ip;
  s->who.request_id = s->rid;
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  if (strcmp(s->u.state, "receiving") != 0 || client_offset != s->u.offset) {
    e = ERR_CONFLICT;
    goto fail;
  }
  if (declared_len >= 0 && (uint64_t)declared_len > s->u.length - s->u.offset) {
    e = ERR_TOO_LARGE;
    goto fail;
  }
  s->dg = digests_new();
  if (!s->dg) {
    e = ERR_INTERNAL;
    goto fail;
  }
  /* the sealed tail committed with the offset, for the writer to resume from */
  if (s->u.offset > 0 && (e = uploads_read_tail(a, &s->u)) != ERR_OK) goto fail;
  if (blobstore_unwrap(s->u.file_id, s->u.wrapped, sizeof s->u.wrapped, s->u.kek_version, dek) != 0) {
    e = ERR_INTERNAL;
    goto fail;
  }
  /* the staging file (created, or resumed and cut back to the offset), or
   * the object store's multipart upload */
  int rc = blobstore_upload_open(s->u.file_id, dek, s->u.offset, s->u.sealed_tail, s->u.sealed_tail_len, &s->w, err,
                                 sizeof err);
  int saved_errno = errno;
  if (rc == 0) {
    if (s->u.offset == 0)
      digests_start(s->dg, s->u.has_sha256_expected);
    else
      digests_load(s->dg, dek, &s->u, s->w);
  }
  sodium_memzero(dek, sizeof dek);
  errno = saved_errno;
  if (rc != 0) {
    LOG_E("upload %s: cannot open its staging file: %s", id, err);
    e = errno == ENOSPC || errno == EDQUOT ? ERR_NO_SPACE
        : errno == BLOBSTORE_EUNAVAILABLE  ? ERR_UNAVAILABLE
                                           : ERR_INTERNAL;
    if (e == ERR_NO_SPACE) refuse_no_space(s->u.offset);
    goto fail;
  }
  /* Checked only now: opening the staging file cut it back to the committed
   * offset, so bytes a crashed or failed PATCH left behind are not counted. */
  e = blobstore_space_check(declared_len >= 0 ? (uint64_t)declared_len : s->u.length - s->u.offset);
  if (e == ERR_NO_SPACE) refuse_no_space(s->u.offset);
  if (e != ERR_OK) goto fail;
  s->start = s->u.offset;
  s->declared = declared_len;
  if (want_sha256) {
    s->check_sha = 1;
    memcpy(s->want_sha, want_sha256, 32);
    crypto_hash_sha256_init(&s->sha);
  }
  *out = s;
  return ERR_OK;
fail:
  session_free(s);
  return e;
}

/* What a failed append (errno en) answers. */
static enum err append_failed(struct upload_session *s, int en, const char *why) {
  LOG_W("upload %s: append failed: %s", s->u.id, why);
  if (en == ENOSPC || en == EDQUOT) {
    refuse_no_space(s->u.offset);
    return ERR_NO_SPACE;
  }
  return en == EFBIG ? ERR_TOO_LARGE : en == BLOBSTORE_EUNAVAILABLE ? ERR_UNAVAILABLE : ERR_INTERNAL;
}

/* Says why another instance's taking of the upload refused this PATCH. */
static void refuse_fenced(struct upload_session *s) {
  s->fenced = 1;
  refuse_why("This upload was taken over by another connection while these bytes were arriving (this one had "
             "stalled), so they were not kept and nothing of them is acknowledged. Ask where the upload stands "
             "(HEAD) and resume from there.");
}

/* Renews the lease when a third of it has passed: ERR_CONFLICT once another
 * instance took the upload (this one stalled past it), so it stops writing. */
static enum err lease_keep(struct upload_session *s) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if ((now.tv_sec - s->renewed.tv_sec) * 3 < lease_secs) return ERR_OK;
  enum err e = uploads_lease_renew(s->u.id, s->u.lease_token, lease_secs);
  if (e == ERR_CONFLICT) {
    LOG_W("upload %s: another instance took it over while this PATCH was receiving; stopping", s->u.id);
    refuse_fenced(s);
    return e;
  }
  if (e == ERR_OK) s->renewed = now;
  return ERR_OK; /* a database hiccup: the commit's fencing check still decides */
}

enum err records_append_data(struct upload_session *s, const void *buf, size_t len) {
  if (s->start + s->received + len > s->u.length) return ERR_TOO_LARGE;
  if (lease_keep(s) != ERR_OK) return ERR_CONFLICT;
  char err[200];
  if (!s->pp && !s->pp_failed &&
      !(s->pp = pipe_start(s->w, s->dg && s->dg->valid && s->dg->has_sha ? s->dg : NULL)))
    s->pp_failed = 1;
  if (s->pp) {
    if (pipe_feed(s->pp, buf, len, err, sizeof err) != 0) return append_failed(s, errno, err);
  } else {
    if (blob_writer_append(s->w, buf, len, err, sizeof err) != 0) return append_failed(s, errno, err);
    if (s->dg && s->dg->valid && s->dg->has_sha) digests_update(s->dg, buf, len);
  }
  if (s->check_sha) crypto_hash_sha256_update(&s->sha, buf, len);
  s->received += len;
  return ERR_OK;
}

/* Waits until the helper appended every byte received: ERR_OK, or what the
 * failed append answers. The writer is the caller's again after ERR_OK. */
static enum err append_sync(struct upload_session *s) {
  char err[200];
  if (pipe_sync(s->pp, err, sizeof err) != 0) return append_failed(s, errno, err);
  return ERR_OK;
}

#ifdef SECONDOP_TEST_HOOKS
/* Test builds: while the file SECONDOP_TEST_COMMIT_PAUSE_FILE exists, an offset
 * commit waits before its statement (at most 5 minutes), as a stalled instance
 * would, saying so in the log. */
static void test_pause_before_commit(const char *id) {
  if (!test_hold_armed("SECONDOP_TEST_COMMIT_PAUSE_FILE")) return;
  LOG_I("test hook: upload %s pauses before its offset commit", id);
  test_hold_wait("SECONDOP_TEST_COMMIT_PAUSE_FILE");
  LOG_I("test hook: upload %s goes on to its offset commit", id);
}
#endif

/* Syncs the writer and commits its offset with the sealed tail and the
 * sealed digest state in one statement (durability order: data synced, then
 * the commit). A digest state that cannot be sealed is stored as unknown.
 * ERR_CONFLICT when the row moved. */
static enum err checkpoint_commit(struct upload_session *s, int finalizing, long long *expires_at) {
  unsigned char *tail = NULL;
  size_t tl = 0;
  char err[200];
  enum err se = append_sync(s); /* the writer and the digests now cover every byte received */
  if (se != ERR_OK) return se;
  if (blob_writer_checkpoint(s->w, &tail, &tl, err, sizeof err) != 0) {
    LOG_E("upload %s: sync failed: %s", s->u.id, err);
    if (errno == ENOSPC || errno == EDQUOT) {
      refuse_no_space(s->u.offset);
      return ERR_NO_SPACE;
    }
    return errno == BLOBSTORE_EUNAVAILABLE ? ERR_UNAVAILABLE : ERR_INTERNAL;
  }
  uint64_t off = blob_writer_offset(s->w);
  unsigned char *ds = NULL;
  size_t dl = 0;
  if (s->dg && s->dg->valid) (void)digests_seal(s->dg, s->w, &ds, &dl);
#ifdef SECONDOP_TEST_HOOKS
  test_pause_before_commit(s->u.id);
#endif
  enum err e = uploads_commit_offset(s->u.id, s->u.offset, off, tail, tl, ds, dl, finalizing, s->u.lease_token,
                                     expires_at);
  free(tail);
  free(ds);
  if (e == ERR_OK) s->u.offset = off;
  else if (e == ERR_CONFLICT) {
    /* another instance took the upload (the fencing token moved) or committed
     * past us: the bytes on the store are its, never cut them back */
    LOG_W("upload %s: commit refused: another instance took the upload over; nothing acknowledged", s->u.id);
    refuse_fenced(s);
  } else
    s->commit_unknown = 1; /* e.g. the connection broke: it may have landed */
  return e;
}

enum err records_append_commit(struct upload_session *s, uint64_t *offset, long long *expires_at) {
  enum err e = ERR_OK;
  has_refusal = 0;
  *offset = s->u.offset;
  *expires_at = s->u.expires_at;
  if (s->declared >= 0 && s->received != (uint64_t)s->declared) {
    e = ERR_BAD_REQUEST;
    goto done;
  }
  if (s->check_sha) {
    unsigned char got[32];
    crypto_hash_sha256_final(&s->sha, got);
    if (sodium_memcmp(got, s->want_sha, 32) != 0) {
      e = ERR_CHECKSUM; /* nothing committed; the next resume drops the records */
      goto done;
    }
  }
  int complete = s->start + s->received == s->u.length; /* the writer may still be the helper's */
  if (s->received == 0 && !(complete && s->u.length == 0)) goto done; /* an empty PATCH acknowledges the offset */
  e = checkpoint_commit(s, complete, expires_at);
  if (e != ERR_OK) goto done;
  *offset = s->u.offset;
  if (complete) {
    pipe_stop(s->pp); /* idle since the checkpoint's sync */
    s->pp = NULL;
    struct blob_writer *w = s->w;
    s->w = NULL;
    e = finalize_upload(s->a, &s->who, &s->u, w, s->dg);
  }
done:
  session_free(s);
  return e;
}

void records_append_abort(struct upload_session *s, int keep) {
  if (!s) return;
  if (keep && s->received > 0 && !s->check_sha && s->start + s->received < s->u.length) {
    long long exp;
    if (checkpoint_commit(s, 0, &exp) == ERR_OK)
      LOG_I("upload %s: kept %llu bytes of an interrupted PATCH", s->u.id, (unsigned long long)s->received);
  }
  session_free(s);
}

/* ---- finalization and intake ---- */

/* Why a file is refused, in words a patient can pass on. Each value has one message
 * (refusal_text); the stored skip_reason is "refused: " and that message. */
enum refusal {
  REF_PROGRAM,
  REF_UNKNOWN_TYPE,
  REF_DICOM_CUT_SHORT,
  REF_DICOM_DAMAGED,
  REF_DICOM_NESTING,
  REF_DICOM_NO_META,
  REF_DICOM_DEFLATE,
  REF_DICOM_HEADER_TOO_LARGE,
  REF_ARCHIVE_TOO_DEEP,
  REF_ARCHIVE_INNER_DAMAGED,
  REF_UNSAFE_NAME,
  REF_LINK,
  REF_ENTRY_UNREADABLE,
  REF_UNREADABLE,
  REF_NOT_DICOM,
  REF_NO_UIDS,
  REF_OTHER_STUDY
};

/* "1,840": n with thousands separators (arena). */
static const char *thousands(struct arena *a, unsigned long long n) {
  char d[32], o[48];
  int l = snprintf(d, sizeof d, "%llu", n), k = 0;
  for (int i = 0; i < l; i++) {
    if (i && (l - i) % 3 == 0) o[k++] = ',';
    o[k++] = d[i];
  }
  o[k] = '\0';
  return arena_strdup(a, o);
}

/* The stored reason for a refusal; size/at give the numbers some messages need. */
static const char *refusal_text(struct arena *a, enum refusal r, uint64_t size, uint64_t at) {
  switch (r) {
  case REF_PROGRAM: return "refused: a program";
  case REF_UNKNOWN_TYPE: return "refused: not a type we accept";
  case REF_DICOM_CUT_SHORT:
    return arena_printf(a, "refused: the file ends after %s bytes: it was cut short while copying",
                        thousands(a, size));
  case REF_DICOM_DAMAGED:
    return arena_printf(a, "refused: the DICOM data is damaged at byte %s (it stops following the DICOM format there)",
                        thousands(a, at));
  case REF_DICOM_NESTING:
    return arena_printf(a, "refused: its data is nested more than %d levels deep, which no real image needs",
                        DICOM_MAX_DEPTH);
  case REF_DICOM_NO_META:
    return "refused: it starts like a DICOM file, but its header (the file meta information) is missing or damaged";
  case REF_DICOM_DEFLATE: return "refused: its compressed DICOM header is damaged";
  case REF_DICOM_HEADER_TOO_LARGE:
    return arena_printf(a, "refused: its header is larger than %s MB before the image data, which no real image needs",
                        thousands(a, DICOM_HEADER_BUDGET >> 20));
  case REF_ARCHIVE_TOO_DEEP:
    return "refused: an archive inside an archive inside an archive; unpack the outer one and upload what is inside";
  case REF_ARCHIVE_INNER_DAMAGED:
    return "refused: this archive inside the archive is damaged or cut short, so nothing in it was kept";
  case REF_UNSAFE_NAME:
    return "refused: its name inside the archive points outside the archive's folder (\"../\" or a name starting "
           "with \"/\")";
  case REF_LINK: return "refused: a link to another file, not a file itself";
  case REF_ENTRY_UNREADABLE:
    return "refused: it could not be read from the archive (it is damaged or protected by a password)";
  case REF_UNREADABLE: return "refused: we could not read it back after it arrived; please upload it again";
  case REF_NOT_DICOM: return "refused: not a DICOM file; only DICOM instances can be stored over DICOMweb";
  case REF_NO_UIDS:
    return "refused: a DICOM file without its SOP Class, SOP Instance, Study Instance or Series Instance UID";
  case REF_OTHER_STUDY: return "refused: an instance of another study than the one it was sent to (DICOMweb)";
  }
  return "refused";
}

struct pending {
  struct document_row d;
  struct dicom_info di;
  int is_dicom, new_blob, inserted;
  enum sop_kind kind;
  int tomo;
  const char *study_desc, *series_desc;
};

struct archive_src {
  struct blob_reader *r;
  unsigned char buf[IO_BUF];
  uint64_t consumed;
  int failed;
};

struct intake {
  struct arena *a;
  const struct actor *who;
  struct upload_row *u;
  struct pending *p;
  size_t n, cap;
  long long accepted, images, duplicates, skipped, refused, system;
  long long undecodable; /* DICOM files with text that did not decode in their character set */
  char reasons[512];
  char refused_names[1200];
  /* archive limits, counted across both levels */
  unsigned entries;
  uint64_t unpacked;
  struct archive_src *outer; /* the upload's own archive: its bytes read bound the ratio */
  const unsigned char *tail; /* the last bytes of a PDF longer than its prefix; used once, by the top-level classify */
  size_t tail_len;
  /* a STOW-RS part (core/stow.h): DICOM instances only, no archives; the PS3.18 status of a
   * refusal (STOW_CANNOT_UNDERSTAND unless set) */
  int stow;
  int stow_code;
  const char *stow_class, *stow_instance; /* UIDs of a refused instance, when it had them */
  const char *stow_study; /* STOW-RS to one study: the Study Instance UID every instance must have, or NULL */
};

/* Adds a pending row; NULL when out of memory. */
static struct pending *intake_add(struct intake *in) {
  if (in->n == in->cap) {
    size_t cap = in->cap ? in->cap * 2 : 16;
    struct pending *np = arena_alloc(in->a, cap * sizeof *np);
    if (!np) return NULL;
    if (in->n) memcpy(np, in->p, in->n * sizeof *np);
    in->p = np;
    in->cap = cap;
  }
  struct pending *p = &in->p[in->n++];
  memset(p, 0, sizeof *p);
  p->d.request_id = in->u->request_id;
  p->d.upload_id = in->u->id;
  p->d.kind = in->u->kind;
  return p;
}

/* Appends s to a comma-separated list buffer once; an item that does not fit whole is left out
 * and the list ends with ", ..." (never a character cut in two). */
static void list_add(char *buf, size_t cap, const char *s) {
  if (strstr(buf, s)) return;
  size_t l = strlen(buf), n = strlen(s);
  if (l >= 5 && strcmp(buf + l - 5, ", ...") == 0) return; /* already full */
  if (l + 2 + n + 5 < cap) {
    snprintf(buf + l, cap - l, "%s%s", l ? ", " : "", s);
  } else if (l + 5 < cap) {
    snprintf(buf + l, cap - l, ", ...");
  }
}

/* Records a file that is not kept (skipped, or refused when refuse = 1). */
static void intake_skip(struct intake *in, const char *name, const char *type, const char *reason, int refuse) {
  struct pending *p = intake_add(in);
  if (!p) return;
  p->d.original_name = arena_strdup(in->a, name);
  p->d.sniffed_type = type;
  p->d.skipped = 1;
  p->d.refused = refuse;
  p->d.skip_reason = reason;
  if (refuse) {
    in->refused++;
    const char *why = strncmp(reason, "refused: ", 9) == 0 ? reason + 9 : reason;
    list_add(in->refused_names, sizeof in->refused_names, arena_printf(in->a, "%s (%s)", name, why));
  } else {
    in->skipped++;
    list_add(in->reasons, sizeof in->reasons, reason);
  }
}

/* Records a refusal with its words. */
static void intake_refuse(struct intake *in, const char *name, const char *type, enum refusal r, uint64_t size,
                          uint64_t at) {
  intake_skip(in, name, type, refusal_text(in->a, r, size, at), 1);
}

/* Last path component of a name. */
static const char *base_name(const char *n) {
  const char *s = strrchr(n, '/');
  return s ? s + 1 : n;
}

/* True when an executable's name looks like CD viewer software. */
static int looks_like_viewer(const char *name, int in_folder) {
  const char *b = base_name(name);
  const char *dot = strrchr(b, '.');
  static const char *const ext[] = {".exe", ".dll", ".com", ".bat", ".cmd", ".msi", ".app", ".ocx", ".sys", ".jar"};
  if (dot)
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
      if (strcasecmp(dot, ext[i]) == 0 && in_folder) return 1;
  return in_folder && strcasestr(name, "viewer") != NULL;
}

/* A stored blob: enough to open it again. */
struct blobref {
  const unsigned char *file_id, *wrapped;
  uint32_t kek;
};

/* Opens a reader on a stored blob. 0 or -1. */
static int blobref_open(const struct blobref *b, struct blob_reader **r) {
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  *r = NULL;
  if (blobstore_unwrap(b->file_id, b->wrapped, BLOB_WRAPPED_LEN, b->kek, dek) != 0) return -1;
  int rc = blobstore_open(b->file_id, dek, r, err, sizeof err);
  sodium_memzero(dek, sizeof dek);
  if (rc != 0) LOG_W("cannot open a stored file for intake: %s", err);
  return rc;
}

/* Reads a DICOM file's header up to Pixel Data whatever its offset (growing the buffer from the
 * prefix, bounded by DICOM_HEADER_BUDGET) and judges its pixel data (for encapsulated data the
 * file is streamed from the Pixel Data element on, fragment headers only). Returns the parse
 * result; *px the pixel verdict; *unreadable when the blob could not be read back. */
static enum dicom_rc read_dicom(const unsigned char *prefix, size_t plen, uint64_t size, const struct blobref *b,
                                struct dicom_info *di, enum dicom_pixels *px, int *unreadable) {
  char err[160];
  struct blob_reader *r = NULL;
  unsigned char *buf = NULL;
  const unsigned char *data = prefix;
  size_t have = plen;
  *px = DICOM_PIXELS_NONE;
  *unreadable = 0;
  enum dicom_rc rc = dicom_parse(data, have, have >= size, di, err, sizeof err);
  if (rc == DICOM_NEED_MORE) {
    size_t limit = size < DICOM_HEADER_BUDGET ? (size_t)size : DICOM_HEADER_BUDGET;
    size_t cap = have;
    if (blobref_open(b, &r) != 0) goto unreadable;
    while (rc == DICOM_NEED_MORE && have < limit) {
      size_t ncap = cap * 4 > limit ? limit : cap * 4;
      unsigned char *nb = realloc(buf, ncap);
      if (!nb) goto unreadable;
      if (!buf) memcpy(nb, prefix, have);
      buf = nb;
      cap = ncap;
      /* the reader is positioned at `have` after the first pass (it started at 0) */
      if (data == prefix) {
        size_t skip = 0;
        while (skip < have) {
          ssize_t n = blob_reader_read(r, buf + skip, have - skip, err, sizeof err);
          if (n <= 0) goto unreadable;
          skip += (size_t)n;
        }
      }
      data = buf;
      while (have < cap) {
        ssize_t n = blob_reader_read(r, buf + have, cap - have, err, sizeof err);
        if (n < 0) goto unreadable;
        if (n == 0) break;
        have += (size_t)n;
      }
      rc = dicom_parse(data, have, have >= size, di, err, sizeof err);
    }
    if (rc == DICOM_NEED_MORE) {
      di->problem = DICOM_PROBLEM_TOO_LARGE;
      rc = DICOM_MALFORMED;
    }
  }
  if (rc != DICOM_OK) goto done;
  if (!di->has_pixel_data || !di->pixel_encapsulated || !di->pixel_offset_known) {
    *px = dicom_pixels_judge(di, size, NULL);
    goto done;
  }
  /* encapsulated: scan the item headers from the pixel data value to the end */
  struct dicom_pixscan sc;
  dicom_pixscan_init(&sc, strcmp(di->transfer_syntax, "1.2.840.10008.1.2.2") == 0);
  if (di->pixel_offset < have) dicom_pixscan_feed(&sc, data + di->pixel_offset, have - (size_t)di->pixel_offset);
  if (!sc.done && !sc.bad && have < size) {
    if (!r && blobref_open(b, &r) != 0) goto unreadable;
    uint64_t pos = data == prefix ? 0 : have; /* where the reader stands */
    unsigned char *tmp = malloc(IO_BUF);
    if (!tmp) goto unreadable;
    while (!sc.done && !sc.bad) {
      ssize_t n = blob_reader_read(r, tmp, IO_BUF, err, sizeof err);
      if (n < 0) {
        free(tmp);
        goto unreadable;
      }
      if (n == 0) break;
      uint64_t s = pos, e = pos + (uint64_t)n;
      pos = e;
      if (e <= have || e <= di->pixel_offset) continue;
      uint64_t from = s > have ? s : have;
      if (from < di->pixel_offset) from = di->pixel_offset;
      dicom_pixscan_feed(&sc, tmp + (from - s), (size_t)(e - from));
    }
    sodium_memzero(tmp, IO_BUF);
    free(tmp);
  }
  *px = dicom_pixels_judge(di, size, &sc);
  goto done;
unreadable:
  *unreadable = 1;
  rc = DICOM_MALFORMED;
done:
  blob_reader_close(r);
  if (buf) {
    sodium_memzero(buf, have);
    free(buf);
  }
  return rc;
}

/* The refusal for a DICOM file the reader could not read. */
static enum refusal dicom_refusal(const struct dicom_info *di) {
  switch (di->problem) {
  case DICOM_PROBLEM_TRUNCATED: return REF_DICOM_CUT_SHORT;
  case DICOM_PROBLEM_NESTING: return REF_DICOM_NESTING;
  case DICOM_PROBLEM_NO_META: return REF_DICOM_NO_META;
  case DICOM_PROBLEM_DEFLATE: return REF_DICOM_DEFLATE;
  case DICOM_PROBLEM_TOO_LARGE: return REF_DICOM_HEADER_TOO_LARGE;
  case DICOM_PROBLEM_BAD_ELEMENT:
  case DICOM_PROBLEM_NONE: return REF_DICOM_DAMAGED;
  }
  return REF_DICOM_DAMAGED;
}

/* Decides what one file is from its prefix and records it. The blob (id,
 * wrapped key) already holds the file; kept files reference it. Returns 1
 * when the blob is kept, 0 when the caller should delete it, -1 when the file
 * is an archive to unpack (only when allow_archive). System files are counted
 * and left out without a row. */
static int classify(struct intake *in, const char *name, const unsigned char *prefix, size_t plen, uint64_t size,
                    const unsigned char file_id[BLOB_ID_LEN], const unsigned char wrapped[BLOB_WRAPPED_LEN],
                    uint32_t kek, const char *blake_hex, int digest_kind, int new_blob, int in_folder,
                    int allow_archive) {
  if (packaging_system_file(name)) {
    in->system++;
    return 0;
  }
  enum sniff_kind k = sniff_bytes(prefix, plen < SNIFF_WANT_BYTES ? plen : SNIFF_WANT_BYTES, base_name(name));
  if (in->stow && k != SNIFF_DICOM && k != SNIFF_DICOMDIR) {
    in->stow_code = STOW_CANNOT_UNDERSTAND;
    intake_refuse(in, name, sniff_kind_name(k), REF_NOT_DICOM, size, 0);
    return 0;
  }
  switch (k) {
  case SNIFF_DICOMDIR:
    in->stow_code = STOW_SOP_MISMATCH;
    intake_skip(in, name, "dicomdir", "DICOMDIR", 0);
    return 0;
  case SNIFF_AUTORUN:
    intake_skip(in, name, "autorun", "autorun", 0);
    return 0;
  case SNIFF_EXECUTABLE:
    if (looks_like_viewer(name, in_folder))
      intake_skip(in, name, "executable", "viewer program", 0);
    else
      intake_refuse(in, name, "executable", REF_PROGRAM, size, 0);
    return 0;
  case SNIFF_ZIP:
  case SNIFF_ISO9660:
    if (allow_archive) return -1;
    intake_refuse(in, name, sniff_kind_name(k), REF_ARCHIVE_TOO_DEEP, size, 0);
    return 0;
  case SNIFF_UNKNOWN:
    intake_refuse(in, name, "unknown", REF_UNKNOWN_TYPE, size, 0);
    return 0;
  case SNIFF_DICOM:
  case SNIFF_PDF:
  case SNIFF_JPEG:
  case SNIFF_PNG:
    break;
  }
  /* active content and polyglots (dicom/content_check.c): the one place intake asks */
  struct content_report cr;
  content_check(prefix, plen, plen >= size, k, &cr);
  if (k == SNIFF_PDF && in->tail && size > plen) content_check_pdf_tail(in->tail, in->tail_len, &cr);
  in->tail = NULL;
  if (cr.second_type) {
    const char *what = k == SNIFF_PDF ? "a PDF" : k == SNIFF_JPEG ? "a JPEG picture" : k == SNIFF_PNG ? "a PNG picture"
                                                                                                      : "a DICOM file";
    intake_skip(in, name, sniff_kind_name(k),
                arena_printf(in->a, "refused: its content is both %s and %s%s, a disguise that can hide harmful content",
                             what, strcmp(cr.second_type, "HTML") == 0 ? "a web page (" : "",
                             strcmp(cr.second_type, "HTML") == 0 ? "HTML)" : cr.second_type),
                1);
    return 0;
  }
  struct pending *p = intake_add(in);
  if (!p) return 0;
  p->d.original_name = arena_strdup(in->a, name);
  p->d.sniffed_type = sniff_kind_name(k);
  p->d.size = size;
  p->d.blake2b = blake_hex;
  p->d.digest_kind = digest_kind;
  p->d.has_file = 1;
  memcpy(p->d.file_id, file_id, BLOB_ID_LEN);
  memcpy(p->d.wrapped, wrapped, BLOB_WRAPPED_LEN);
  p->d.kek_version = kek;
  p->new_blob = new_blob;
  if (cr.active) p->d.active_content = content_active_words(cr.active);
  if (k == SNIFF_DICOM) {
    struct blobref b = {file_id, wrapped, kek};
    enum dicom_pixels px;
    int unreadable;
    enum dicom_rc rc = read_dicom(prefix, plen, size, &b, &p->di, &px, &unreadable);
    if (unreadable) {
      in->n--;
      intake_refuse(in, name, "dicom", REF_UNREADABLE, size, 0);
      return 0;
    }
    if (rc == DICOM_NOT_DICOM || rc == DICOM_MALFORMED) {
      struct dicom_info di = p->di;
      in->n--;
      if (rc == DICOM_NOT_DICOM)
        intake_refuse(in, name, "unknown", REF_UNKNOWN_TYPE, size, 0);
      else
        intake_refuse(in, name, "dicom", dicom_refusal(&di), size, di.problem_at);
      return 0;
    }
    if (p->di.is_dicomdir) {
      in->n--;
      in->stow_code = STOW_SOP_MISMATCH;
      intake_skip(in, name, "dicomdir", "DICOMDIR", 0);
      return 0;
    }
    if (in->stow && (!p->di.sop_instance_uid[0] || !p->di.sop_class_uid[0] || !p->di.study_instance_uid[0] ||
                     !p->di.series_instance_uid[0])) {
      in->n--;
      in->stow_code = STOW_SOP_MISMATCH;
      in->stow_class = p->di.sop_class_uid[0] ? arena_strdup(in->a, p->di.sop_class_uid) : NULL;
      in->stow_instance = p->di.sop_instance_uid[0] ? arena_strdup(in->a, p->di.sop_instance_uid) : NULL;
      intake_refuse(in, name, "dicom", REF_NO_UIDS, size, 0);
      return 0;
    }
    if (in->stow && in->stow_study && strcmp(p->di.study_instance_uid, in->stow_study) != 0) {
      in->n--;
      in->stow_code = STOW_STUDY_MISMATCH;
      in->stow_class = arena_strdup(in->a, p->di.sop_class_uid);
      in->stow_instance = arena_strdup(in->a, p->di.sop_instance_uid);
      intake_refuse(in, name, "dicom", REF_OTHER_STUDY, size, 0);
      return 0;
    }
    p->is_dicom = 1;
    if (strcmp(p->d.kind, VOCAB_DOC_PRIOR_IMAGES) != 0) p->d.kind = VOCAB_DOC_IMAGES;
    struct dicom_info *di = &p->di;
    p->kind = sop_object_kind(di->sop_class_uid, di->has_pixel_data);
    const struct sop_class *sc = sop_class_find(di->sop_class_uid);
    p->tomo = sc && sc->tomosynthesis && p->kind == SOP_IMAGE;
    p->d.object_kind = sop_kind_name(p->kind);
    p->d.frames = p->kind == SOP_IMAGE ? dicom_frames(di) : 0;
    p->d.rows = di->rows;
    p->d.columns = di->columns;
    p->d.pixel_incomplete = px == DICOM_PIXELS_INCOMPLETE;
    p->d.patient_sex = di->patient_sex;
    p->d.sop_instance_uid = di->sop_instance_uid[0] ? di->sop_instance_uid : NULL;
    p->d.sop_class_uid = di->sop_class_uid;
    p->d.transfer_syntax = di->transfer_syntax;
    p->d.modality = di->modality;
    p->d.laterality = di->laterality;
    p->d.view_position = di->view_position;
    p->d.study_date = di->study_date;
    p->d.patient_name = di->patient_name;
    p->d.patient_birth_date = di->patient_birth_date;
    p->d.manufacturer = di->manufacturer;
    if (p->kind == SOP_IMAGE) p->d.image_info = viewer_image_info(in->a, di);
    if (di->charset_replacements) in->undecodable++;
    if (di->charset_replacements || di->charset_unknown)
      LOG_W("upload %s: %zu byte(s) of text could not be decoded (Specific Character Set \"%s\", %d unknown "
            "term(s)); shown as U+FFFD",
            in->u->id, di->charset_replacements, di->specific_charset, di->charset_unknown);
  }
  in->accepted++;
  return 1;
}

/* 64 hex digits into 32 bytes. 0 or -1. */
static int unhex32(const char *h, unsigned char out[32]) {
  size_t bl = 0;
  return h && strlen(h) == 64 && sodium_hex2bin(out, 32, h, 64, NULL, &bl, NULL) == 0 && bl == 32 ? 0 : -1;
}

/* zip_census_read's reader over a decrypting blob reader. */
static int blob_read_at(void *ctx, uint64_t off, void *buf, size_t len) {
  struct blob_reader *r = ctx;
  char err[128];
  if (blob_reader_seek(r, off, err, sizeof err) != 0) return -1;
  size_t got = 0;
  while (got < len) {
    ssize_t n = blob_reader_read(r, (unsigned char *)buf + got, len - got, err, sizeof err);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

/* The unpacking child's feed: the archive's bytes through a decrypting blob reader. */
static long archive_src_feed(void *cls, const void **out) {
  struct archive_src *src = cls;
  char err[128];
  ssize_t n = blob_reader_read(src->r, src->buf, sizeof src->buf, err, sizeof err);
  if (n < 0) {
    src->failed = 1;
    return -1;
  }
  src->consumed += (uint64_t)n;
  *out = src->buf;
  return (long)n;
}

/* Outcome of unpacking: ok, over a limit (the whole upload is refused), unreadable, or the
 * unpacking process could not be started (the intake job is tried again later). */
enum unpack_rc { UNPACK_OK = 0, UNPACK_LIMIT = -1, UNPACK_DAMAGED = -2, UNPACK_RETRY = -3 };

static enum unpack_rc unpack_archive(struct intake *in, struct blob_reader *r, int depth, const char *prefix_name,
                                     char *why, size_t whylen);

/* The outcome, and why in words, when the unpacking child gave no frame (err: enum unpacker_err). */
static enum unpack_rc unpacker_failed(struct intake *in, int err, const struct archive_src *src, char *why,
                                      size_t whylen) {
  if (err == UNPACKER_FEED || src->failed) {
    snprintf(why, whylen, "it could not be read back after it arrived; please upload it again");
    return UNPACK_LIMIT;
  }
  if (err == UNPACKER_START) { /* the server's trouble, not the file's: the job is tried again */
    snprintf(why, whylen, "the server could not start unpacking it");
    return UNPACK_RETRY;
  }
  if (err == UNPACKER_STALLED) {
    LOG_W("upload %s: unpacking an archive made no progress for %u s; it was stopped", in->u->id,
          unpacker_stall_seconds());
    snprintf(why, whylen, "reading it stopped making progress, which an intact ZIP or ISO file never does: it is "
                          "damaged");
  } else {
    LOG_W("upload %s: the unpacking process ended unexpectedly (%d)", in->u->id, err);
    snprintf(why, whylen, "it is damaged: reading it stopped part way");
  }
  return UNPACK_DAMAGED;
}

/* Stores the current archive entry into a new blob and classifies it (unpacking an archive
 * found at depth 1). UNPACK_OK, or UNPACK_LIMIT on an error that stops the intake (limits, I/O;
 * why says which). */
static enum unpack_rc take_entry(struct intake *in, struct unpacker *up, const struct archive_src *src,
                                 const char *name, int depth, unsigned char *prefix, char *why, size_t whylen) {
  unsigned char id[BLOB_ID_LEN], dek[BLOB_DEK_LEN], wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek;
  char err[200];
  struct blob_writer *w = NULL;
  if (blobstore_new_file(id, dek, wrapped, &kek) != 0) return UNPACK_LIMIT;
  int rc = blobstore_put_begin(id, dek, &w, err, sizeof err);
  sodium_memzero(dek, sizeof dek);
  if (rc != 0) return UNPACK_LIMIT;
  crypto_generichash_state gh;
  crypto_generichash_init(&gh, NULL, 0, 32);
  size_t plen = 0;
  uint64_t size = 0;
  for (;;) {
    struct unpack_frame f;
    int ur = unpacker_next(up, &f);
    if (ur != 0 || (f.type != 'D' && f.type != 'E' && f.type != 'R')) {
      blob_writer_abort(w);
      blobstore_delete(id);
      return unpacker_failed(in, ur ? ur : UNPACKER_PROTO, src, why, whylen);
    }
    if (f.type == 'R') {
      blob_writer_abort(w);
      blobstore_delete(id);
      intake_refuse(in, name, "unknown", REF_ENTRY_UNREADABLE, size, 0);
      if (in->outer && in->outer->failed) {
        snprintf(why, whylen, "it could not be read back after it arrived; please upload it again");
        return UNPACK_LIMIT;
      }
      return UNPACK_OK;
    }
    if (f.type == 'E') break;
    const unsigned char *buf = f.p;
    size_t n = f.len;
    size += (uint64_t)n;
    in->unpacked += (uint64_t)n;
    uint64_t consumed = in->outer ? in->outer->consumed : 0;
    if (in->unpacked > ARCHIVE_MAX_TOTAL || in->unpacked > (consumed + (1u << 20)) * ARCHIVE_MAX_RATIO) {
      blob_writer_abort(w);
      blobstore_delete(id);
      LOG_W("upload %s: archive over its limits (%llu bytes unpacked)", in->u->id, (unsigned long long)in->unpacked);
      if (in->unpacked > ARCHIVE_MAX_TOTAL)
        snprintf(why, whylen, "it unpacks to more than %llu GB, more than we take in one upload",
                 (unsigned long long)(ARCHIVE_MAX_TOTAL / 1000000000u));
      else
        snprintf(why, whylen, "it unpacks to more than %d times its own size, which real images never do",
                 ARCHIVE_MAX_RATIO);
      return UNPACK_LIMIT;
    }
    if (plen < PREFIX_MAX) {
      size_t c = n < PREFIX_MAX - plen ? n : PREFIX_MAX - plen;
      memcpy(prefix + plen, buf, c);
      plen += c;
    }
    crypto_generichash_update(&gh, buf, n);
    if (blob_writer_append(w, buf, n, err, sizeof err) != 0) {
      blob_writer_abort(w);
      blobstore_delete(id);
      snprintf(why, whylen, "we could not store what it holds (the server's disk may be full)");
      return UNPACK_LIMIT;
    }
  }
  if (blobstore_put_commit(w, id, err, sizeof err) != 0) {
    snprintf(why, whylen, "we could not store what it holds (the server's disk may be full)");
    return UNPACK_LIMIT;
  }
  unsigned char dig[32];
  crypto_generichash_final(&gh, dig, sizeof dig);
  char *bh = arena_alloc(in->a, 65);
  if (!bh) return UNPACK_LIMIT;
  sodium_bin2hex(bh, 65, dig, sizeof dig);
  int kept = classify(in, name, prefix, plen, size, id, wrapped, kek, bh, BLOB_DIGEST_KIND_PLAIN, 1, 1, depth < 2);
  sodium_memzero(prefix, plen);
  enum unpack_rc urc = UNPACK_OK;
  if (kept == -1) {
    /* an archive inside the archive: one level is unpacked, under the same limits */
    struct blobref b = {id, wrapped, kek};
    struct blob_reader *ir = NULL;
    size_t n0 = in->n;
    long long acc0 = in->accepted, sk0 = in->skipped, rf0 = in->refused, sys0 = in->system;
    char reasons0[sizeof in->reasons], refused0[sizeof in->refused_names];
    memcpy(reasons0, in->reasons, sizeof reasons0);
    memcpy(refused0, in->refused_names, sizeof refused0);
    char inner_why[200] = "";
    if (blobref_open(&b, &ir) != 0) {
      intake_refuse(in, name, "archive", REF_UNREADABLE, size, 0);
    } else {
      urc = unpack_archive(in, ir, depth + 1, name, inner_why, sizeof inner_why);
      blob_reader_close(ir);
      if (urc == UNPACK_LIMIT) {
        snprintf(why, whylen, "%s", inner_why);
      } else if (urc == UNPACK_DAMAGED) {
        /* nothing from a damaged inner archive is kept; the rest of the upload is */
        for (size_t i = n0; i < in->n; i++)
          if (in->p[i].new_blob && in->p[i].d.has_file) blobstore_delete(in->p[i].d.file_id);
        in->n = n0;
        in->accepted = acc0;
        in->skipped = sk0;
        in->refused = rf0;
        in->system = sys0;
        memcpy(in->reasons, reasons0, sizeof reasons0);
        memcpy(in->refused_names, refused0, sizeof refused0);
        intake_refuse(in, name, "archive", REF_ARCHIVE_INNER_DAMAGED, size, 0);
        urc = UNPACK_OK;
      }
    }
  }
  if (kept != 1) blobstore_delete(id);
  return urc;
}

/* Unpacks a ZIP or ISO blob entry by entry; depth 1 is the upload itself, 2 an archive inside
 * it. UNPACK_OK; UNPACK_LIMIT when the upload is refused as a whole (over the limits, I/O);
 * UNPACK_DAMAGED when this archive cannot be read. why says why in words. */
static enum unpack_rc unpack_archive(struct intake *in, struct blob_reader *r, int depth, const char *prefix_name,
                                     char *why, size_t whylen) {
  struct archive_src *src = arena_alloc(in->a, sizeof *src);
  unsigned char *prefix = malloc(PREFIX_MAX);
  struct unpacker *up = NULL;
  enum unpack_rc rc = UNPACK_LIMIT;
  if (!src || !prefix) goto done;
  memset(src, 0, sizeof *src);
  src->r = r;
  if (depth == 1) in->outer = src;
  /* libarchive runs in a child process, bounded in time (core/unpacker.h) */
  int ur = unpacker_start(&up, archive_src_feed, src);
  if (ur != 0) {
    rc = unpacker_failed(in, ur, src, why, whylen);
    goto done;
  }
  unsigned entries = 0;
  for (;;) {
    struct unpack_frame f;
    ur = unpacker_next(up, &f);
    if (ur != 0) {
      rc = unpacker_failed(in, ur, src, why, whylen);
      goto done;
    }
    if (f.type == 'Z') break;
    if (f.type == 'F') {
      if (entries == 0)
        snprintf(why, whylen, "it is damaged, or it is not a ZIP or ISO file we can read");
      else
        snprintf(why, whylen, "it is damaged after %s files: it may have been cut short while copying",
                 thousands(in->a, entries));
      rc = src->failed ? UNPACK_LIMIT : UNPACK_DAMAGED;
      goto done;
    }
    if (f.type != 'H' || f.len < 2) {
      rc = unpacker_failed(in, UNPACKER_PROTO, src, why, whylen);
      goto done;
    }
    entries++;
    if (++in->entries > ARCHIVE_MAX_ENTRIES) {
      snprintf(why, whylen, "it holds more than %s files, more than we take in one upload",
               thousands(in->a, ARCHIVE_MAX_ENTRIES));
      rc = UNPACK_LIMIT;
      goto done;
    }
    char kind = (char)f.p[0];
    /* the name as the archive gives it (UTF-8, or raw bytes): shown cleaned */
    char safe[TUS_NAME_MAX + 1];
    tus_sanitize_filename(f.p + 2, f.len - 2, safe, sizeof safe);
    if (!safe[0]) snprintf(safe, sizeof safe, "(a file without a name)");
    if (prefix_name) { /* an entry of an inner archive is named inside it: "cd.zip/DICOM/IM1" */
      char full[2 * TUS_NAME_MAX + 2];
      snprintf(full, sizeof full, "%s/%s", prefix_name, safe);
      tus_sanitize_filename((const unsigned char *)full, strlen(full), safe, sizeof safe);
    }
    if (kind == UNPACK_ENTRY_DIR) continue;
    if (kind == UNPACK_ENTRY_SYSTEM) {
      in->system++;
      continue;
    }
    if (kind == UNPACK_ENTRY_LINK) {
      intake_refuse(in, safe, "link", REF_LINK, 0, 0);
      continue;
    }
    if (kind == UNPACK_ENTRY_UNSAFE) {
      intake_refuse(in, safe, "unknown", REF_UNSAFE_NAME, 0, 0);
      continue;
    }
    if (kind != UNPACK_ENTRY_FILE) {
      rc = unpacker_failed(in, UNPACKER_PROTO, src, why, whylen);
      goto done;
    }
    rc = take_entry(in, up, src, safe, depth, prefix, why, whylen);
    if (rc != UNPACK_OK) goto done;
  }
  rc = UNPACK_OK;
done:
  unpacker_stop(up);
  if (src) sodium_memzero(src->buf, sizeof src->buf);
  if (depth == 1) in->outer = NULL;
  free(prefix);
  return rc;
}

struct intake_tx {
  struct intake *in;
  const char *problem;
};

static const char *receipt_message(struct intake *in, const char *archive_problem);

/* The intake transaction: studies, series, documents, receipt, state. */
static enum err intake_commit(void *p) {
  struct intake_tx *t = p;
  struct intake *in = t->in;
  enum err e;
  /* nothing is added to a request that stopped taking records meanwhile */
  const char *status = NULL;
  enum req_status rst;
  e = requests_lock_status(in->a, in->u->request_id, &status);
  if (e != ERR_OK) return e;
  if (!req_status_parse(status, &rst) || !(in->stow ? stow_request_open(rst) : req_records_open(rst)))
    return ERR_RECORDS_CLOSED;
  long long dups = 0, images = 0;
  for (size_t i = 0; i < in->n; i++) {
    struct pending *pd = &in->p[i];
    pd->inserted = 0;
    pd->d.series_id = 0;
    if (pd->is_dicom && pd->di.study_instance_uid[0] && pd->di.series_instance_uid[0]) {
      long long st, se;
      e = studies_upsert(in->a, in->u->request_id, pd->di.study_instance_uid, pd->di.study_date,
                         pd->di.study_description, pd->di.patient_name, pd->di.patient_birth_date, &st);
      if (e != ERR_OK) return e;
      e = series_upsert(in->a, in->u->request_id, st, pd->di.series_instance_uid, pd->di.modality,
                        pd->di.series_description, &se);
      if (e != ERR_OK) return e;
      pd->d.series_id = se;
    }
    long long id;
    e = documents_insert(in->a, &pd->d, &id);
    if (e == ERR_CONFLICT && pd->d.sop_instance_uid) {
      dups++;
      continue;
    }
    if (e != ERR_OK) return e;
    pd->inserted = 1;
    if (pd->is_dicom && pd->d.sop_instance_uid) {
      /* what DICOMweb searches and answers, kept with the file (core/dicomweb.h) */
      e = dicomweb_index_file(pd->d.file_id, &pd->di);
      if (e != ERR_OK) return e;
    }
    if (pd->is_dicom && pd->kind == SOP_IMAGE) {
      images++;
      /* the viewer's renditions are prepared in the background (core/viewer.h) */
      e = viewer_queue_render(id, in->u->patient_id);
      if (e != ERR_OK) return e;
    }
  }
  in->duplicates = dups;
  in->images = images;
  struct receipt_row rc = {in->u->filename, receipt_message(in, t->problem), NULL, in->accepted - dups, images, dups, in->skipped,
                           in->refused};
  e = receipts_insert(in->u->request_id, in->u->id, &rc);
  if (e != ERR_OK) return e;
  e = uploads_set_complete(in->u->id); /* only from 'checking': a second run of the job adds nothing */
  if (e != ERR_OK) return e;
  if (in->stow) {
    /* the instance's PS3.18 outcome, for the STOW-RS answer (core/stow.h) */
    struct pending *p0 = in->n ? &in->p[0] : NULL;
    int code = in->stow_code ? in->stow_code : STOW_CANNOT_UNDERSTAND;
    const char *cls = in->stow_class, *inst = in->stow_instance;
    if (p0 && p0->is_dicom) {
      code = p0->inserted ? STOW_STORED : STOW_DUPLICATE;
      cls = p0->di.sop_class_uid;
      inst = p0->di.sop_instance_uid;
    }
    e = stow_store_set_outcome(in->u->id, code, cls, inst);
    if (e != ERR_OK) return e;
  }
  /* audited in the same transaction: the upload is complete if and only if its row exists */
  char detail[200];
  snprintf(detail, sizeof detail, "{\"request_id\":%lld,\"kept\":%lld,\"images\":%lld,\"skipped\":%lld,\"refused\":%lld}",
           in->u->request_id, in->accepted - in->duplicates, in->images, in->skipped, in->refused);
  struct audit_event ev = {"document.upload", "upload", in->u->id, in->u->patient_id, "ok", detail};
  /* a caregiver's upload is on the request's timeline, naming both people (core/caregivers.h) */
  if (in->who) {
    e = caregivers_records_event(in->who, in->u->request_id, in->u->patient_id, true, in->u->filename);
    if (e != ERR_OK) return e;
  }
  return audit_write(in->who ? in->who : &system_actor, &ev);
}

/* What was taken in, by kind: "212 images (3 tomosynthesis volumes, 1,840 frames), 4
 * presentation states, 1 CAD report, 1 PDF, 2 pictures" (only the inserted rows). */
static const char *objects_phrase(struct intake *in) {
  long long kinds[SOP_KIND_COUNT] = {0}, frames = 0, tomo = 0, multi = 0, incomplete = 0, pdf = 0, pic = 0;
  for (size_t i = 0; i < in->n; i++) {
    struct pending *pd = &in->p[i];
    if (!pd->inserted || pd->d.skipped) continue;
    if (pd->is_dicom) {
      kinds[pd->kind]++;
      if (pd->kind == SOP_IMAGE) {
        frames += pd->d.frames;
        tomo += pd->tomo;
        multi += pd->d.frames > 1 && !pd->tomo;
        incomplete += pd->d.pixel_incomplete;
      }
    } else if (strcmp(pd->d.sniffed_type, "pdf") == 0) {
      pdf++;
    } else {
      pic++;
    }
  }
  struct arena *a = in->a;
  char buf[600] = "";
  size_t l = 0;
#define ADD(...) l += (size_t)snprintf(buf + l, l < sizeof buf ? sizeof buf - l : 0, __VA_ARGS__)
  if (kinds[SOP_IMAGE])
    ADD("%s %s", thousands(a, (unsigned long long)kinds[SOP_IMAGE]), sop_kind_noun(SOP_IMAGE, kinds[SOP_IMAGE]));
  if (tomo || multi) {
    ADD(" (");
    if (tomo) ADD("%s tomosynthesis volume%s, ", thousands(a, (unsigned long long)tomo), tomo == 1 ? "" : "s");
    if (multi) ADD("%s multi-frame image%s, ", thousands(a, (unsigned long long)multi), multi == 1 ? "" : "s");
    ADD("%s frames)", thousands(a, (unsigned long long)frames));
  }
  for (int k = 1; k < SOP_KIND_COUNT; k++)
    if (kinds[k])
      ADD("%s%s %s", l ? ", " : "", thousands(a, (unsigned long long)kinds[k]), sop_kind_noun((enum sop_kind)k, kinds[k]));
  if (pdf) ADD("%s%s PDF%s", l ? ", " : "", thousands(a, (unsigned long long)pdf), pdf == 1 ? "" : "s");
  if (pic) ADD("%s%s picture%s", l ? ", " : "", thousands(a, (unsigned long long)pic), pic == 1 ? "" : "s");
  if (incomplete)
    ADD("; %s image%s incomplete image data", thousands(a, (unsigned long long)incomplete),
        incomplete == 1 ? " has" : "s have");
#undef ADD
  return arena_strdup(a, buf);
}

/* Builds the receipt line for one upload. */
static const char *receipt_message(struct intake *in, const char *archive_problem) {
  char buf[2400];
  int n;
  long long kept = in->accepted - in->duplicates;
  if (archive_problem)
    n = snprintf(buf, sizeof buf, "%s could not be unpacked: %s.", in->u->filename, archive_problem);
  else
    n = snprintf(buf, sizeof buf, "%s: %s file%s taken in%s%s", in->u->filename, thousands(in->a, (unsigned long long)kept),
                 kept == 1 ? "" : "s", kept > 0 ? ": " : "", kept > 0 ? objects_phrase(in) : "");
  if (n < 0) return "";
  size_t l = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
  if (!archive_problem && in->duplicates)
    l += (size_t)snprintf(buf + l, sizeof buf - l, "; %lld already received (same image)", in->duplicates);
  if (l < sizeof buf && !archive_problem && in->skipped)
    l += (size_t)snprintf(buf + l, sizeof buf - l, "; %lld skipped: %s", in->skipped, in->reasons);
  if (l < sizeof buf && in->refused)
    l += (size_t)snprintf(buf + l, sizeof buf - l, "; %lld refused: %s", in->refused, in->refused_names);
  if (l < sizeof buf && !archive_problem && in->system)
    l += (size_t)snprintf(buf + l, sizeof buf - l, "; %s system file%s (left by Mac or Windows, not needed) left out",
                          thousands(in->a, (unsigned long long)in->system), in->system == 1 ? "" : "s");
  if (l < sizeof buf && !archive_problem && in->undecodable)
    l += (size_t)snprintf(buf + l, sizeof buf - l,
                          "; %s file%s text (such as the patient's name) with characters we could not read, shown "
                          "as \xEF\xBF\xBD",
                          thousands(in->a, (unsigned long long)in->undecodable), in->undecodable == 1 ? " has" : "s have");
  if (l < sizeof buf && !archive_problem) snprintf(buf + l, sizeof buf - l, ".");
  /* the parts are UTF-8; a cut at the end of the buffer must not leave half a character */
  char clean[sizeof buf];
  dicom_utf8_clean((const unsigned char *)buf, strlen(buf), clean, sizeof clean);
  return arena_strdup(in->a, clean);
}

/* The last PREFIX_MAX bytes of a finished file of total bytes (read through
 * the file: the format has no seeking), for the active-content scan of a PDF
 * longer than its prefix. A new PREFIX_MAX buffer (free()) with *len set, or
 * NULL when it cannot be read (the prefix scan still stands). */
static unsigned char *read_tail(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                                const unsigned char dek[BLOB_DEK_LEN], uint64_t total, size_t *len) {
  char err[200];
  struct blob_reader *r = NULL;
  unsigned char *tail = malloc(PREFIX_MAX), *buf = malloc(IO_BUF);
  uint64_t start = total > PREFIX_MAX ? total - PREFIX_MAX : 0, pos = 0;
  *len = 0;
  (void)path; /* read through the store: a file or an object */
  if (!tail || !buf || blobstore_open(file_id, dek, &r, err, sizeof err) != 0) goto fail;
  for (;;) {
    ssize_t n = blob_reader_read(r, buf, IO_BUF, err, sizeof err);
    if (n < 0) goto fail;
    if (n == 0) break;
    uint64_t end = pos + (uint64_t)n;
    if (end > start) {
      uint64_t from = pos > start ? pos : start;
      size_t c = (size_t)(end - from);
      if (*len + c > PREFIX_MAX) goto fail;
      memcpy(tail + *len, buf + (from - pos), c);
      *len += c;
    }
    pos = end;
  }
  blob_reader_close(r);
  sodium_memzero(buf, IO_BUF);
  free(buf);
  return tail;
fail:
  LOG_W("could not read the end of a PDF for the active-content scan");
  blob_reader_close(r);
  if (buf) sodium_memzero(buf, IO_BUF);
  free(buf);
  if (tail) sodium_memzero(tail, PREFIX_MAX);
  free(tail);
  *len = 0;
  return NULL;
}

#define SNIFF_PREFIX ((size_t)64 * 1024) /* enough to tell a ZIP or an ISO (CD001 at 32769) */

struct finish_tx {
  struct upload_row *u;
  const unsigned char *b2, *s2;
  int is_archive;
  long long archives; /* out: the owner's archives being checked */
};

/* The transaction that ends the bytes' journey: with the request locked,
 * it checks that records are still open, the archive quota, marks the
 * upload 'checking' and queues its intake job. */
static enum err finish_commit(void *p) {
  struct finish_tx *t = p;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *status = NULL;
  enum req_status st;
  enum err e = requests_lock_status(a, t->u->request_id, &status);
  if (e == ERR_OK && (!req_status_parse(status, &st) || !req_records_open(st))) e = ERR_RECORDS_CLOSED;
  arena_free(a);
  if (e != ERR_OK) return e;
  if (t->is_archive) {
    e = uploads_archives_checking(t->u->owner_id, &t->archives);
    if (e != ERR_OK) return e;
    if (t->archives >= (long long)quota_archives) return ERR_TOO_MANY;
  }
  e = uploads_set_checking(t->u->id, t->is_archive, t->b2, t->s2, BLOB_DIGEST_KIND_RECORDS);
  if (e != ERR_OK) return e;
  return jobs_enqueue("intake", t->u->id, t->u->patient_id);
}

/* Marks an upload that will not be taken in as failed (reason in plain
 * words, shown to the patient) and deletes its bytes. */
static void upload_refuse(const struct actor *who, struct upload_row *u, const char *reason, const char *audit_why) {
  char detail[200];
  uploads_set_state(u->id, "failed", reason, NULL, NULL);
  blobstore_delete(u->file_id);
  snprintf(detail, sizeof detail, "{\"reason\":\"%s\"}", audit_why);
  audit(who, "upload.complete", "upload", u->id, u->patient_id, "denied", detail);
}

/* Finishes a fully received upload: seals and renames the staging file
 * into the store (w may be NULL after a restart: resumed or already
 * renamed), finishes the digests streamed during the upload (dg, or the
 * row's sealed state when dg is NULL; only without a usable state is the
 * file read back to compute them), compares a declared SHA-256, then — in
 * one transaction that re-checks the request — marks the upload 'checking'
 * and queues its intake job (intake runs on a job worker, never here).
 * ERR_RECORDS_CLOSED / ERR_TOO_MANY (archives being checked): the upload is
 * refused, failed with the reason, its bytes deleted. Does not free dg. */
static enum err finalize_upload(struct arena *a, const struct actor *who, struct upload_row *u,
                                struct blob_writer *w, struct digests *dg) {
  char err[200], staging[4200], final[4200];
  unsigned char dek[BLOB_DEK_LEN];
  struct blob_reader *r = NULL;
  enum err e = ERR_INTERNAL;
  unsigned char *prefix = NULL;
  struct digests *own_dg = NULL;
  if (blobstore_path(u->file_id, 1, staging, sizeof staging) != 0 ||
      blobstore_path(u->file_id, 0, final, sizeof final) != 0)
    goto done;
  if (blobstore_unwrap(u->file_id, u->wrapped, sizeof u->wrapped, u->kek_version, dek) != 0) goto done;
  if (!w && blobstore_upload_pending(u->file_id) == 1) {
    if (u->offset > 0 && uploads_read_tail(a, u) != ERR_OK) {
      LOG_E("upload %s: cannot read its sealed tail for finalization", u->id);
      goto done;
    }
    if (blobstore_upload_open(u->file_id, dek, u->offset, u->sealed_tail, u->sealed_tail_len, &w, err,
                              sizeof err) != 0) {
      LOG_E("upload %s: cannot resume for finalization: %s", u->id, err);
      goto done;
    }
    if (!dg) {
      own_dg = digests_new();
      if (!own_dg) goto done;
      digests_load(own_dg, dek, u, w);
      dg = own_dg;
    }
  }
  if (!dg) { /* already renamed: the digests come from reading the file */
    own_dg = digests_new();
    if (!own_dg) goto done;
    dg = own_dg;
  }
  unsigned char b2[32], s2[32];
  int have_b2 = 0;
  if (w) {
    int rc = blobstore_upload_finish(w, u->file_id, b2, &have_b2, err, sizeof err);
    w = NULL;
    if (rc != 0) {
      LOG_E("upload %s: finishing failed: %s", u->id, err);
      e = errno == ENOSPC ? ERR_NO_SPACE : errno == BLOBSTORE_EUNAVAILABLE ? ERR_UNAVAILABLE : ERR_INTERNAL;
      if (e == ERR_INTERNAL && errno == EIO) {
        /* the store refused to put the stored parts together (one was replaced
         * by a writer that had lost the upload): the file cannot be finished */
        uploads_set_state(u->id, "failed", "its stored parts could not be put together", NULL, NULL);
        refuse_why("Every byte of this file arrived, but the center's storage could not put the saved pieces "
                   "together, so the file was not kept. Please send it again.");
        e = ERR_CONFLICT;
      } else if (e == ERR_NO_SPACE)
        /* finished by records_recover at the next start (no retry while running) */
        refuse_why("All %llu bytes of this file are saved, but the center's storage is full, so it could not be "
                   "finished yet. You do not need to send it again: the center has to make space first, then it is "
                   "finished.",
                   (unsigned long long)u->length);
      goto done;
    }
  }
  if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) {
    LOG_E("upload %s: cannot open the finished file: %s", u->id, err);
    goto done;
  }
  prefix = malloc(SNIFF_PREFIX);
  if (!prefix) goto done;
  size_t plen = 0;
  uint64_t total = 0;
  if (dg->valid && have_b2) {
    /* streamed digests: only the start is read (and authenticated) */
    total = blob_reader_size(r);
    while (plen < SNIFF_PREFIX) {
      ssize_t n = blob_reader_read(r, prefix + plen, SNIFF_PREFIX - plen, err, sizeof err);
      if (n < 0) {
        LOG_E("upload %s: reading the start of the finished file failed: %s", u->id, err);
        goto done;
      }
      if (n == 0) break;
      plen += (size_t)n;
    }
    if (u->has_sha256_expected) crypto_hash_sha256_final(&dg->sha, s2);
    dg->valid = 0; /* finalized */
  } else {
    /* no usable streamed state: read back (authenticates every record and
     * gives the records digest) */
    crypto_hash_sha256_state sh;
    if (u->has_sha256_expected) crypto_hash_sha256_init(&sh);
    unsigned char *buf = malloc(IO_BUF);
    if (!buf) goto done;
    for (;;) {
      ssize_t n = blob_reader_read(r, buf, IO_BUF, err, sizeof err);
      if (n < 0) {
        LOG_E("upload %s: read-back failed: %s", u->id, err);
        free(buf);
        goto done;
      }
      if (n == 0) break;
      if (u->has_sha256_expected) crypto_hash_sha256_update(&sh, buf, (size_t)n);
      if (plen < SNIFF_PREFIX) {
        size_t c = (size_t)n < SNIFF_PREFIX - plen ? (size_t)n : SNIFF_PREFIX - plen;
        memcpy(prefix + plen, buf, c);
        plen += c;
      }
      total += (uint64_t)n;
    }
    sodium_memzero(buf, IO_BUF);
    free(buf);
    if (blob_reader_digest(r, b2) != 0) {
      LOG_E("upload %s: read-back gave no records digest", u->id);
      goto done;
    }
    if (u->has_sha256_expected) crypto_hash_sha256_final(&sh, s2);
    sodium_memzero(&sh, sizeof sh);
  }
  blob_reader_close(r);
  r = NULL;
  if (total != u->length) {
    LOG_E("upload %s: finished file holds %llu bytes, expected %llu", u->id, (unsigned long long)total,
          (unsigned long long)u->length);
    goto done;
  }
  if (u->has_sha256_expected) {
    if (sodium_memcmp(s2, u->sha256_expected, 32) != 0) {
      uploads_set_state(u->id, "failed", "the file's SHA-256 did not match the one declared", NULL, s2);
      blobstore_delete(u->file_id);
      audit(who, "upload.complete", "upload", u->id, u->patient_id, "failed", "{\"reason\":\"sha256 mismatch\"}");
      e = ERR_CHECKSUM;
      goto done;
    }
  }
  enum sniff_kind k = sniff_bytes(prefix, plen, base_name(u->filename));
  struct finish_tx ft = {u, b2, u->has_sha256_expected ? s2 : NULL, k == SNIFF_ZIP || k == SNIFF_ISO9660, 0};
  e = db_tx(finish_commit, &ft);
  if (e == ERR_RECORDS_CLOSED) {
    upload_refuse(who, u, "this request no longer accepted records when the upload finished (it had been submitted "
                  "or closed)", "records closed");
    goto done;
  }
  if (e == ERR_TOO_MANY) {
    refuse_why("%lld ZIP or disc-image files of yours are still being checked (at most %u at a time). Please wait "
               "until they are checked, then upload this one again.", ft.archives, quota_archives);
    upload_refuse(who, u, "too many archives were being checked at once; please upload it again once they are "
                  "checked", "archives in flight");
    goto done;
  }
  if (e != ERR_OK) goto done;
  jobs_kick();
  audit(who, "upload.complete", "upload", u->id, u->patient_id, "ok", NULL);
done:
  if (w) blob_writer_abort(w);
  blob_reader_close(r);
  if (prefix) {
    sodium_memzero(prefix, SNIFF_PREFIX);
    free(prefix);
  }
  sodium_memzero(dek, sizeof dek);
  digests_free(own_dg);
  return e;
}

/* ---- intake: on a job worker ---- */

static records_scan_fn file_scanner;

void records_set_scanner(records_scan_fn fn) { file_scanner = fn; }

/* Takes in an upload in 'checking': sniffs the file, runs the scanner hook,
 * checks a ZIP's central directory before anything is unpacked, unpacks
 * archives, and commits documents, receipt and the 'complete' state in one
 * transaction that re-checks the request (ERR_RECORDS_CLOSED: nothing is
 * added and the upload is failed with the reason). */
static enum err intake_upload(struct arena *a, const struct actor *who, struct upload_row *u, int stow) {
  char err[200], final[4200];
  unsigned char dek[BLOB_DEK_LEN];
  struct blob_reader *r = NULL;
  enum err e = ERR_INTERNAL;
  unsigned char *prefix = NULL, *tail = NULL;
  unsigned char b2[32], s2[32];
  if (blobstore_path(u->file_id, 0, final, sizeof final) != 0) return ERR_INTERNAL;
  if (blobstore_unwrap(u->file_id, u->wrapped, sizeof u->wrapped, u->kek_version, dek) != 0) return ERR_INTERNAL;
  if (unhex32(u->blake2b_hex, b2) != 0) goto done;
  if (u->has_sha256_expected && unhex32(u->sha256_hex, s2) != 0) goto done;
  if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) {
    LOG_E("upload %s: cannot open the finished file for intake: %s", u->id, err);
    goto done;
  }
  uint64_t total = blob_reader_size(r);
  prefix = malloc(PREFIX_MAX);
  if (!prefix) goto done;
  size_t plen = 0;
  while (plen < PREFIX_MAX) {
    ssize_t n = blob_reader_read(r, prefix + plen, PREFIX_MAX - plen, err, sizeof err);
    if (n < 0) {
      LOG_E("upload %s: reading the finished file failed: %s", u->id, err);
      goto done;
    }
    if (n == 0) break;
    plen += (size_t)n;
  }
  blob_reader_close(r);
  r = NULL;
  /* the optional virus scan (core/virus_scan.c), on the plaintext, before anything else */
  switch (content_scan_file(who, u, dek)) {
    case SCAN_CLEAN:
      break;
    case SCAN_QUARANTINED: /* failed and kept sealed, never taken in; the patient is told on the records page */
    case SCAN_WAIT:        /* stays 'checking' with scan_pending; the sweeper queues intake again */
      e = ERR_OK;
      goto done;
  }
  const char *scan_problem = NULL;
  if (file_scanner) {
    char why[200] = "";
    if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) goto done;
    int sr = file_scanner(u, r, why, sizeof why);
    blob_reader_close(r);
    r = NULL;
    if (sr < 0) goto done; /* try again later */
    if (sr > 0) scan_problem = arena_strdup(a, why[0] ? why : "the file was refused by the safety check");
  }
  /* intake */
  struct intake in = {0};
  in.a = a;
  in.who = who;
  in.u = u;
  in.stow = stow;
  if (stow) { /* STOW-RS to one study: the study every instance must belong to (e stays ERR_INTERNAL below) */
    enum err se = stow_store_part_study(a, u->id, &in.stow_study);
    if (se != ERR_OK) {
      e = se;
      goto done;
    }
  }
  char *bh = arena_alloc(a, 65);
  if (!bh) goto done;
  sodium_bin2hex(bh, 65, b2, sizeof b2);
  int in_folder = strchr(u->filename, '/') != NULL;
  if (total > plen && plen >= 5 && memcmp(prefix, "%PDF-", 5) == 0 && total <= PDF_TAIL_SCAN_MAX) {
    tail = read_tail(final, u->file_id, dek, total, &in.tail_len);
    in.tail = tail;
  }
  int kept;
  const char *problem = NULL;
  if (scan_problem) {
    intake_skip(&in, u->filename, "unknown", arena_printf(a, "refused: %s", scan_problem), 1);
    kept = 0;
  } else {
    kept = classify(&in, u->filename, prefix, plen, total, u->file_id, u->wrapped, u->kek_version, bh,
                    u->digest_kind, 0, in_folder, !stow);
  }
  if (kept == 1 && u->has_sha256_expected) {
    char *sx = arena_alloc(a, 65);
    if (sx) {
      sodium_bin2hex(sx, 65, s2, sizeof s2);
      in.p[in.n - 1].d.sha256 = sx;
    }
  }
  if (kept == -1) {
    char why[200] = "";
    if (sniff_bytes(prefix, plen, base_name(u->filename)) == SNIFF_ZIP) {
      /* the central directory says how many entries and bytes: refuse before unpacking */
      if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) goto done;
      struct zip_census zc;
      struct zip_limits zl = {ARCHIVE_MAX_ENTRIES, ARCHIVE_MAX_TOTAL, ARCHIVE_MAX_RATIO};
      int zr = zip_census_read(blob_read_at, r, total, &zl, &zc, why, sizeof why);
      blob_reader_close(r);
      r = NULL;
      if (zr < 0) goto done;
      if (zr > 0) LOG_I("upload %s: archive refused before unpacking: %s", u->id, why);
    }
    if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) goto done;
    enum unpack_rc urc = why[0] ? UNPACK_LIMIT : unpack_archive(&in, r, 1, NULL, why, sizeof why);
    if (urc == UNPACK_RETRY) {
      for (size_t i = 0; i < in.n; i++)
        if (in.p[i].new_blob && in.p[i].d.has_file) blobstore_delete(in.p[i].d.file_id);
      e = ERR_UNAVAILABLE;
      goto done;
    }
    if (urc != UNPACK_OK) {
      problem = arena_strdup(a, why[0] ? why : "it could not be read");
      /* nothing from a refused archive is kept */
      for (size_t i = 0; i < in.n; i++)
        if (in.p[i].new_blob && in.p[i].d.has_file) blobstore_delete(in.p[i].d.file_id);
      in.n = 0;
      in.accepted = in.skipped = in.refused = in.system = 0;
      in.refused_names[0] = '\0';
      intake_skip(&in, u->filename, "archive", arena_printf(a, "refused: the archive could not be unpacked: %s", problem), 1);
    }
    blob_reader_close(r);
    r = NULL;
  }
  struct intake_tx tx = {&in, problem};
  e = db_tx(intake_commit, &tx);
  if (e != ERR_OK) {
    for (size_t i = 0; i < in.n; i++)
      if (in.p[i].new_blob && in.p[i].d.has_file) blobstore_delete(in.p[i].d.file_id);
    if (e == ERR_RECORDS_CLOSED)
      upload_refuse(who, u, "this request stopped accepting records (it was submitted or closed) before the file "
                    "was checked", "records closed");
    goto done;
  }
  /* blobs not referenced by a row: duplicates, and the archive itself */
  int upload_blob_used = 0;
  for (size_t i = 0; i < in.n; i++) {
    struct pending *pd = &in.p[i];
    if (!pd->d.has_file) continue;
    if (!pd->new_blob && pd->inserted) upload_blob_used = 1;
    if (pd->new_blob && !pd->inserted) blobstore_delete(pd->d.file_id);
  }
  if (!upload_blob_used) blobstore_delete(u->file_id);
  e = ERR_OK;
done:
  blob_reader_close(r);
  if (prefix) {
    sodium_memzero(prefix, PREFIX_MAX);
    free(prefix);
  }
  if (tail) {
    sodium_memzero(tail, PREFIX_MAX);
    free(tail);
  }
  sodium_memzero(dek, sizeof dek);
  return e;
}

/* The intake job: payload is the upload id. */
static enum job_result intake_job_run(const char *payload, long long patient_id, char *why, size_t whylen) {
  (void)patient_id;
  struct arena *a = arena_new();
  if (!a) return JOB_RETRY;
  enum job_result res = JOB_RETRY;
  struct upload_row u;
  enum err e = uploads_get(a, payload, &u);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && strcmp(u.state, "checking") != 0)) {
    res = JOB_DONE; /* removed, or taken in already (the process died before the job was marked done) */
    goto done;
  }
  if (e != ERR_OK) {
    snprintf(why, whylen, "the upload could not be read (%s)", err_code(e));
    goto done;
  }
  char ip[1] = "";
  int stow = 0;
  e = stow_store_is_part(u.id, &stow);
  if (e != ERR_OK) {
    snprintf(why, whylen, "the upload could not be read (%s)", err_code(e));
    goto done;
  }
  /* a STOW-RS part is the staff member's who sent it (core/stow.h) */
  const struct actor who = {u.owner_id, stow ? ACCT_ROLE_STAFF : ACCT_ROLE_PATIENT, ip, "intake-job", 0, false};
  struct request_row rq;
  enum req_status st;
  e = requests_get(a, u.request_id, &rq);
  if (e == ERR_OK && (!req_status_parse(rq.status, &st) || !(stow ? stow_request_open(st) : req_records_open(st)))) {
    upload_refuse(&who, &u, "this request stopped accepting records (it was submitted or closed) before the file "
                  "was checked", "records closed");
    res = JOB_DONE;
    goto done;
  }
  e = e == ERR_OK ? intake_upload(a, &who, &u, stow) : e;
  if (e == ERR_OK || e == ERR_RECORDS_CLOSED) {
    res = JOB_DONE;
  } else {
    snprintf(why, whylen, "intake failed (%s)", err_code(e));
    res = JOB_RETRY;
  }
done:
  arena_free(a);
  return res;
}

/* The intake job failed for good: the patient is told, the bytes go. */
static void intake_job_give_up(const char *payload, long long patient_id, const char *why) {
  (void)patient_id;
  (void)why;
  struct arena *a = arena_new();
  struct upload_row u;
  if (a && uploads_get(a, payload, &u) == ERR_OK && strcmp(u.state, "checking") == 0) {
    char ip[1] = "";
    int stow = 0;
    (void)stow_store_is_part(u.id, &stow);
    const struct actor who = {u.owner_id, stow ? ACCT_ROLE_STAFF : ACCT_ROLE_PATIENT, ip, "intake-job", 0, false};
    upload_refuse(&who, &u, "we could not check this file; please upload it again, and if that fails too, tell the "
                  "center", "intake gave up");
  }
  arena_free(a);
}

int records_recover(void) {
  struct blobstore_recovery rep;
  if (blobstore_recover(instance_id, lease_secs, &rep) != 0) return -1;
  struct arena *a = arena_new();
  if (!a) return -1;
  char **ids;
  size_t n;
  int rc = 0;
  if (uploads_list_finalizing(a, &ids, &n) != ERR_OK) {
    rc = -1;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    struct arena *b = arena_new();
    struct upload_row u;
    /* only an upload whose lease is free or lapsed: another live instance may be finishing it */
    if (b && upload_lock_fresh(b, NULL, ids[i], 0, &u) == ERR_OK) {
      if (strcmp(u.state, "finalizing") == 0) {
        enum err e = finalize_upload(b, &system_actor, &u, NULL, NULL);
        LOG_I("recovery: finished upload %s (%s)", u.id, err_code(e));
        if (e != ERR_OK && e != ERR_CHECKSUM && e != ERR_RECORDS_CLOSED && e != ERR_TOO_MANY)
          uploads_set_state(u.id, "failed", "could not be finished after a restart", NULL, NULL);
      }
      upload_let_go(&u);
    } else if (b) {
      LOG_I("recovery: upload %s is being finished by another instance; left to it", ids[i]);
    }
    arena_free(b);
  }
done:
  arena_free(a);
  return rc;
}

/* ---- sweeper: expired uploads ---- */

static pthread_t sweeper;
static int sweeper_running;
static pthread_mutex_t sweep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweep_cv = PTHREAD_COND_INITIALIZER;
static int sweep_stop;

/* Seconds between sweeps: 60 (test builds: SECONDOP_TEST_SWEEP_SECONDS). */
static long sweep_seconds(void) {
#ifdef SECONDOP_TEST_HOOKS
  const char *t = getenv("SECONDOP_TEST_SWEEP_SECONDS");
  if (t && *t && strtol(t, NULL, 10) > 0) return strtol(t, NULL, 10);
#endif
  return 60;
}

/* Queues intake again for one upload that waited for the virus scanner. */
static enum err requeue_intake(void *p) {
  const struct upload_row *u = p;
  return jobs_enqueue("intake", u->id, u->patient_id);
}

/* Uploads that waited for the virus scanner (still 'checking', scan_pending):
 * their intake job is queued again; it scans first (core/virus_scan.c). */
static void retry_scans(void) {
  struct arena *a = arena_new();
  char **ids;
  size_t n, queued = 0;
  if (a && uploads_list_scan_waiting(a, &ids, &n) == ERR_OK) {
    for (size_t i = 0; i < n; i++) {
      struct arena *b = arena_new();
      struct upload_row u;
      if (b && uploads_get(b, ids[i], &u) == ERR_OK && strcmp(u.state, "checking") == 0) {
        enum err e = db_tx(requeue_intake, &u);
        if (e != ERR_OK)
          LOG_W("upload %s: could not queue the check again after waiting for the virus scanner (%s)", u.id,
                err_code(e));
        else
          queued++;
      }
      arena_free(b);
    }
  }
  if (queued) jobs_kick();
  arena_free(a);
}

/* Removes the bytes of expired uploads and retries uploads waiting for the
 * virus scanner (once a minute). */
static void *sweep_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&sweep_mu);
  while (!sweep_stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += sweep_seconds();
    pthread_cond_timedwait(&sweep_cv, &sweep_mu, &ts);
    if (sweep_stop) break;
    pthread_mutex_unlock(&sweep_mu);
    struct arena *a = arena_new();
    struct upload_row *ups;
    size_t n;
    if (a && uploads_list_expired(a, &ups, &n) == ERR_OK) {
      for (size_t i = 0; i < n; i++) {
        /* a PATCH may have moved it on since the list */
        struct upload_row now;
        if (upload_lock_fresh(a, NULL, ups[i].id, 0, &now) != ERR_OK) continue;
        if (strcmp(now.state, "receiving") != 0 || !now.expired) {
          upload_let_go(&now);
          continue;
        }
        blobstore_upload_discard(ups[i].file_id); /* S3: aborts the multipart upload */
        uploads_set_state(ups[i].id, "failed", "expired", NULL, NULL);
        upload_let_go(&now);
        audit(&system_actor, "upload.expire", "upload", ups[i].id, ups[i].patient_id, "ok", NULL);
      }
    }
    arena_free(a);
    retry_scans();
    db_close();
    pthread_mutex_lock(&sweep_mu);
  }
  pthread_mutex_unlock(&sweep_mu);
  return NULL;
}

void records_start_sweeper(void) {
  sweep_stop = 0;
  if (pthread_create(&sweeper, NULL, sweep_main, NULL) == 0) sweeper_running = 1;
  (void)blobstore_sweep_start(); /* the stored files' consistency sweep (logs its own failure) */
}

void records_stop_sweeper(void) {
  blobstore_sweep_stop();
  if (!sweeper_running) return;
  pthread_mutex_lock(&sweep_mu);
  sweep_stop = 1;
  pthread_cond_signal(&sweep_cv);
  pthread_mutex_unlock(&sweep_mu);
  pthread_join(sweeper, NULL);
  sweeper_running = 0;
}

/* ---- the records page ---- */

/* "20240315" or "2024.03.15" → "2024-03-15" (arena); other text unchanged. */
static const char *nice_date(struct arena *a, const char *d) {
  char out[32];
  dicom_date_display(d ? d : "", out, sizeof out);
  return arena_strdup(a, out);
}

enum err records_view_load(struct arena *a, const struct actor *who, long long request_id, struct records_view *v) {
  memset(v, 0, sizeof *v);
  enum err e = records_request_open(a, who, request_id, &v->request);
  if (e != ERR_OK) return e;
  if ((e = series_list(a, request_id, &v->series, &v->n_series)) != ERR_OK) return e;
  if ((e = documents_list(a, request_id, &v->documents, &v->n_documents)) != ERR_OK) return e;
  if ((e = receipts_list(a, request_id, &v->receipts, &v->n_receipts)) != ERR_OK) return e;
  if ((e = uploads_list_for_request(a, request_id, &v->pending, &v->n_pending)) != ERR_OK) return e;
  v->editable = strcmp(v->request.status, req_status_name(RS_DRAFT)) == 0;
  enum req_status st;
  v->uploadable = req_status_parse(v->request.status, &st) && req_records_open(st);
  char reasons[400] = "";
  static const char *const order[] = {"DICOMDIR", "viewer program", "autorun"};
  for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
    for (size_t i = 0; i < v->n_documents; i++)
      if (v->documents[i].skipped && !v->documents[i].refused && strcmp(v->documents[i].skip_reason, order[o]) == 0) {
        list_add(reasons, sizeof reasons, order[o]);
        break;
      }
  for (size_t i = 0; i < v->n_documents; i++) {
    struct document_row *d = &v->documents[i];
    if (d->skipped && d->refused) {
      v->refused++;
    } else if (d->skipped) {
      v->skipped++;
      list_add(reasons, sizeof reasons, d->skip_reason);
    } else if (strcmp(d->sniffed_type, "dicom") == 0) {
      /* rows from before object kinds were recorded count as images, as they did */
      enum sop_kind k = d->object_kind[0] ? sop_kind_parse(d->object_kind) : SOP_IMAGE;
      v->kinds[k]++;
      if (k == SOP_IMAGE) {
        v->images++;
        v->frames += d->frames > 0 ? d->frames : 1;
        v->multiframe += d->frames > 1;
        v->incomplete += d->pixel_incomplete;
      }
    } else if (strcmp(d->sniffed_type, "jpeg") == 0 || strcmp(d->sniffed_type, "png") == 0) {
      v->pictures++;
    } else if (strcmp(d->sniffed_type, "pdf") == 0) {
      v->pdfs++;
    }
  }
  size_t quarantined = 0, scan_waiting = 0;
  for (size_t i = 0; i < v->n_pending; i++) {
    if (v->pending[i].virus_name && v->pending[i].virus_name[0])
      quarantined++;
    else if (strcmp(v->pending[i].state, "failed") == 0)
      v->failed_uploads++;
    else if (v->pending[i].scan_pending)
      scan_waiting++;
    else if (strcmp(v->pending[i].state, "checking") == 0 || strcmp(v->pending[i].state, "finalizing") == 0)
      v->checking++;
  }
  /* studies */
  long long nstudies = 0;
  const char *newest = "";
  for (size_t i = 0; i < v->n_series; i++) {
    int seen = 0;
    for (size_t j = 0; j < i; j++) seen |= v->series[j].study_id == v->series[i].study_id;
    if (!seen) nstudies++;
    if (strcmp(v->series[i].study_date, newest) > 0) newest = v->series[i].study_date;
  }
  v->studies = nstudies;
  char sum[800];
  int n = snprintf(sum, sizeof sum, "Received %s image%s", thousands(a, (unsigned long long)v->images),
                   v->images == 1 ? "" : "s");
  size_t l = n > 0 && (size_t)n < sizeof sum ? (size_t)n : 0;
  if (v->multiframe)
    l += (size_t)snprintf(sum + l, sizeof sum - l, " (%s with several frames, %s frames in all)",
                          thousands(a, (unsigned long long)v->multiframe), thousands(a, (unsigned long long)v->frames));
  if (l < sizeof sum)
    l += (size_t)snprintf(sum + l, sizeof sum - l, " in %zu series from %lld stud%s", v->n_series, nstudies,
                          nstudies == 1 ? "y" : "ies");
  for (int k = 1; k < SOP_KIND_COUNT && l < sizeof sum; k++)
    if (v->kinds[k])
      l += (size_t)snprintf(sum + l, sizeof sum - l, ", %s %s", thousands(a, (unsigned long long)v->kinds[k]),
                            sop_kind_noun((enum sop_kind)k, v->kinds[k]));
  if (v->pdfs || v->pictures)
    l += (size_t)snprintf(sum + l, sizeof sum - l, ", %lld PDF document%s and %lld picture%s", v->pdfs,
                          v->pdfs == 1 ? "" : "s", v->pictures, v->pictures == 1 ? "" : "s");
  if (l < sizeof sum && v->skipped)
    l += (size_t)snprintf(sum + l, sizeof sum - l, "; %lld file%s skipped: %s", v->skipped, v->skipped == 1 ? "" : "s",
                          reasons);
  if (l < sizeof sum && v->refused)
    l += (size_t)snprintf(sum + l, sizeof sum - l, "; %lld file%s refused (see below)", v->refused,
                          v->refused == 1 ? "" : "s");
  if (l < sizeof sum && v->checking)
    l += (size_t)snprintf(sum + l, sizeof sum - l, "; %lld file%s received and being checked", v->checking,
                          v->checking == 1 ? "" : "s");
  if (l < sizeof sum && v->failed_uploads)
    l += (size_t)snprintf(sum + l, sizeof sum - l, "; %lld file%s not kept (see below)", v->failed_uploads,
                          v->failed_uploads == 1 ? "" : "s");
  if (l < sizeof sum) snprintf(sum + l, sizeof sum - l, ".");
  v->summary = arena_strdup(a, sum);

  /* warnings in plain words */
#define WARN(...)                                                               \
  do {                                                                          \
    if (v->n_warnings < sizeof v->warnings / sizeof v->warnings[0])             \
      v->warnings[v->n_warnings++] = arena_printf(a, __VA_ARGS__);              \
  } while (0)
  if (v->checking)
    WARN("%lld file%s received and being checked. This page shows what we kept once the check is done.",
         v->checking, v->checking == 1 ? " was" : "s were");
  if (v->images == 0 && v->pictures > 0)
    WARN("We received only pictures (screenshots or photos) and no original image files. The specialist needs the "
         "original image data (DICOM files, usually on the CD from your imaging center), not pictures of it.");
  else if (v->images == 0 && !v->checking)
    WARN("No images yet. Please upload the images from your imaging center (the CD or a download from its portal).");
  for (size_t i = 0; i < v->n_documents; i++)
    if (!v->documents[i].skipped && v->documents[i].active_content && v->documents[i].active_content[0])
      WARN("%s: this PDF contains active content (%s); open it only in a safe viewer.",
           v->documents[i].original_name, v->documents[i].active_content);
  if (v->refused)
    WARN("%lld file%s could not be accepted. They are listed below with the reason.", v->refused,
         v->refused == 1 ? "" : "s");
  for (size_t i = 0; i < v->n_pending && quarantined; i++)
    if (v->pending[i].virus_name && v->pending[i].virus_name[0])
      WARN("%s: " VIRUS_MESSAGE ".", v->pending[i].filename);
  if (scan_waiting)
    WARN("%zu file%s received and waiting for the virus check before %s added.", scan_waiting,
         scan_waiting == 1 ? " was" : "s were", scan_waiting == 1 ? "it is" : "they are");
  if (v->incomplete)
    WARN("%lld image%s incomplete image data: the file holds less image data than it says it should, so it was "
         "probably cut short while copying. The specialist will see %s marked; if you can, upload %s again from the "
         "original disc or download.",
         v->incomplete, v->incomplete == 1 ? " has" : "s have", v->incomplete == 1 ? "it" : "them",
         v->incomplete == 1 ? "it" : "them");
  if (v->failed_uploads)
    WARN("%lld upload%s did not finish correctly and %s not kept (the reason is listed below). Please upload %s "
         "again.", v->failed_uploads,
         v->failed_uploads == 1 ? "" : "s", v->failed_uploads == 1 ? "was" : "were",
         v->failed_uploads == 1 ? "it" : "them");
  /* whose images: every file, grouped per series (shown by the pages, not as a warning line) */
  if ((e = records_identity_build(a, request_id, v->request.patient_id, &v->identity)) != ERR_OK) return e;
  for (size_t i = 0; i < v->n_series; i++) {
    struct series_row *s = &v->series[i];
    int first = 1;
    for (size_t j = 0; j < i; j++) first &= v->series[j].study_id != s->study_id;
    if (!first) continue;
    if (nstudies > 1 && s->study_date[0] && newest[0] && strcmp(s->study_date, newest) < 0 &&
        strtol(newest, NULL, 10) - strtol(s->study_date, NULL, 10) >= 10000)
      WARN("The study from %s is more than a year older than the others. If it is an earlier mammogram for "
           "comparison, that helps the specialist; if it was added by mistake, remove it.",
           nice_date(a, s->study_date));
  }
#undef WARN
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", request_id);
  struct audit_event ev = {"records.view", "request", oid, v->request.patient_id, "ok", NULL};
  return audit_write(who, &ev); /* no unaudited view */
}

/* Deletes a blob unless another row still uses it. */
static void release_blob(const unsigned char id[BLOB_ID_LEN]) {
  long long refs = 1;
  if (documents_file_refs(id, &refs) == ERR_OK && refs == 0) blobstore_delete(id);
}

/* Transaction body: a document's rendition blobs (the row locked, store/renditions.h), then the
 * document. Read outside the transaction, a rendition finished between the two was left behind. */
struct doc_del {
  long long doc_id;
  unsigned char rids[2][BLOB_ID_LEN];
  size_t nr;
};
static enum err doc_del_tx(void *p) {
  struct doc_del *dd = p;
  enum err e = renditions_blobs_of(dd->doc_id, dd->rids, &dd->nr);
  if (e != ERR_OK) return e;
#ifdef SECONDOP_TEST_HOOKS
  test_hold("SECONDOP_TEST_DELETE_HOLD_FILE", "document delete", dd->doc_id);
#endif
  return documents_delete(dd->doc_id);
}

enum err records_document_delete(const struct actor *who, long long request_id, long long doc_id) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct request_row rq;
  struct document_row d;
  enum err e = records_request_own(a, who, request_id, &rq);
  if (e != ERR_OK) goto done;
  e = documents_get(a, doc_id, &d);
  if (e != ERR_OK) goto done;
  if (d.request_id != request_id) {
    e = ERR_NOT_FOUND;
    goto done;
  }
  if (strcmp(rq.status, req_status_name(RS_DRAFT)) != 0) {
    e = ERR_CONFLICT;
    goto done;
  }
  struct doc_del dd = {doc_id, {{0}}, 0};
  e = db_tx(doc_del_tx, &dd); /* the row (and its wrapped key) first: crypto-shredding */
  if (e != ERR_OK) goto done;
  if (d.has_file) release_blob(d.file_id);
  viewer_delete_blobs((const unsigned char(*)[BLOB_ID_LEN])dd.rids, dd.nr); /* its renditions go with it */
  studies_prune(request_id);
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", doc_id);
  audit(who, "document.delete", "document", oid, rq.patient_id, "ok", NULL);
  /* a caregiver's removal is on the request's timeline too (core/caregivers.h) */
  if (caregivers_records_event(who, request_id, rq.patient_id, false, d.original_name) != ERR_OK)
    LOG_W("timeline event for a removal not written");
done:
  arena_free(a);
  return e;
}

/* Transaction body: delete a series' documents and the series. */
struct series_del {
  struct arena *a;
  long long request_id, series_id;
  unsigned char (*ids)[BLOB_ID_LEN];
  size_t n;
  unsigned char (*rids)[BLOB_ID_LEN]; /* the documents' renditions */
  size_t nr;
};
static enum err series_del_tx(void *p) {
  struct series_del *s = p;
  enum err e = renditions_blobs_of_series(s->a, s->request_id, s->series_id, &s->rids, &s->nr);
  if (e != ERR_OK) return e;
#ifdef SECONDOP_TEST_HOOKS
  test_hold("SECONDOP_TEST_DELETE_HOLD_FILE", "series delete", s->series_id);
#endif
  e = series_delete(s->a, s->request_id, s->series_id, &s->ids, &s->n);
  if (e != ERR_OK) return e;
  return studies_prune(s->request_id);
}

enum err records_series_delete(const struct actor *who, long long request_id, long long series_id) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct request_row rq;
  enum err e = records_request_own(a, who, request_id, &rq);
  if (e != ERR_OK) goto done;
  if (strcmp(rq.status, req_status_name(RS_DRAFT)) != 0) {
    e = ERR_CONFLICT;
    goto done;
  }
  struct series_del sd = {a, request_id, series_id, NULL, 0, NULL, 0};
  e = db_tx(series_del_tx, &sd);
  if (e != ERR_OK) goto done;
  for (size_t i = 0; i < sd.n; i++) release_blob(sd.ids[i]);
  viewer_delete_blobs((const unsigned char(*)[BLOB_ID_LEN])sd.rids, sd.nr);
  char oid[32], detail[64];
  snprintf(oid, sizeof oid, "%lld", series_id);
  snprintf(detail, sizeof detail, "{\"documents\":%zu}", sd.n);
  audit(who, "series.delete", "series", oid, rq.patient_id, "ok", detail);
  if (caregivers_records_event(who, request_id, rq.patient_id, false,
                               arena_printf(a, "a series of %zu file%s", sd.n, sd.n == 1 ? "" : "s")) != ERR_OK)
    LOG_W("timeline event for a removal not written");
done:
  arena_free(a);
  return e;
}

/* ---- downloads ---- */

const char *records_content_type(const char *t) {
  if (strcmp(t, "dicom") == 0) return "application/dicom";
  if (strcmp(t, "pdf") == 0) return "application/pdf";
  if (strcmp(t, "jpeg") == 0) return "image/jpeg";
  if (strcmp(t, "png") == 0) return "image/png";
  return "application/octet-stream";
}

int records_document_reader(const struct document_row *d, struct blob_reader **reader) {
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  if (!d->has_file || blobstore_unwrap(d->file_id, d->wrapped, sizeof d->wrapped, d->kek_version, dek) != 0) return -1;
  int rc = blobstore_open(d->file_id, dek, reader, err, sizeof err);
  sodium_memzero(dek, sizeof dek);
  return rc;
}

void records_integrity_failure(const struct actor *who, const struct document_row *d, const char *where) {
  char oid[32], detail[160];
  snprintf(oid, sizeof oid, "%lld", d->id);
  snprintf(detail, sizeof detail, "{\"where\":\"%s\",\"request_id\":%lld}", where, d->request_id);
  LOG_E("integrity failure: document %lld (%s)", d->id, where);
  audit(who, "integrity_failure", "document", oid, 0, "failed", detail);
}

int records_digest_wants_plain(int digest_kind) { return digest_kind != BLOB_DIGEST_KIND_RECORDS; }

int records_digest_matches(int digest_kind, const char *blake2b_hex, const struct blob_reader *r,
                           const unsigned char plain_b2[32]) {
  unsigned char d[32];
  char hx[65];
  if (!blake2b_hex) return 0;
  if (digest_kind == BLOB_DIGEST_KIND_RECORDS) {
    if (blob_reader_digest(r, d) != 0) return 0;
  } else {
    if (!plain_b2) return 0;
    memcpy(d, plain_b2, sizeof d);
  }
  sodium_bin2hex(hx, sizeof hx, d, sizeof d);
  return strlen(blake2b_hex) == 64 && sodium_memcmp(hx, blake2b_hex, 64) == 0;
}

enum err records_document_open(struct arena *a, const struct actor *who, long long request_id, long long doc_id,
                               struct document_row *doc, const char **content_type, struct blob_reader **reader) {
  struct request_row rq;
  *reader = NULL;
  enum err e = records_request_open(a, who, request_id, &rq);
  if (e != ERR_OK) return e;
  e = documents_get(a, doc_id, doc);
  if (e != ERR_OK) return e;
  if (doc->request_id != request_id || !doc->has_file) return ERR_NOT_FOUND;
  /* verify the whole plaintext before sending a byte */
  struct blob_reader *r = NULL;
  unsigned char *buf = malloc(IO_BUF);
  char err[200];
  int ok = 0, unavailable = 0; /* the object store did not answer: 503, not an integrity failure */
  if (buf && records_document_reader(doc, &r) != 0) unavailable = errno == BLOBSTORE_EUNAVAILABLE;
  if (buf && r) {
    crypto_generichash_state gh;
    int plain = records_digest_wants_plain(doc->digest_kind);
    crypto_generichash_init(&gh, NULL, 0, 32);
    uint64_t total = 0;
    for (;;) {
      ssize_t n = blob_reader_read(r, buf, IO_BUF, err, sizeof err);
      if (n < 0) {
        unavailable = errno == BLOBSTORE_EUNAVAILABLE;
        break;
      }
      if (n == 0) {
        unsigned char dig[32];
        crypto_generichash_final(&gh, dig, sizeof dig);
        ok = total == doc->size && records_digest_matches(doc->digest_kind, doc->blake2b, r, dig);
        break;
      }
      total += (uint64_t)n;
      if (plain) crypto_generichash_update(&gh, buf, (size_t)n);
    }
  }
  if (buf) {
    sodium_memzero(buf, IO_BUF);
    free(buf);
  }
  blob_reader_close(r);
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", doc_id);
  if (!ok && unavailable) {
    LOG_W("document %lld: the blob store did not answer", doc_id);
    audit(who, "document.download", "document", oid, rq.patient_id, "failed", NULL);
    return ERR_UNAVAILABLE;
  }
  if (!ok) {
    records_integrity_failure(who, doc, "download");
    audit(who, "document.download", "document", oid, rq.patient_id, "failed", NULL);
    return ERR_INTERNAL;
  }
  if (records_document_reader(doc, reader) != 0)
    return errno == BLOBSTORE_EUNAVAILABLE ? ERR_UNAVAILABLE : ERR_INTERNAL;
  /* a PDF with active content is never handed to a browser's PDF viewer */
  *content_type = doc->active_content && doc->active_content[0] ? "application/octet-stream"
                                                                 : records_content_type(doc->sniffed_type);
  struct audit_event ev = {"document.download", "document", oid, rq.patient_id, "ok", NULL};
  e = audit_write(who, &ev);
  if (e != ERR_OK) { /* no unaudited download */
    blob_reader_close(*reader);
    *reader = NULL;
  }
  return e;
}

/* The request ZIP (study_id 0) or one study's: access, the documents, the audit row. */
static enum err zip_open(struct arena *a, const struct actor *who, long long request_id, long long study_id,
                         struct request_row *req, struct document_row **docs, size_t *n) {
  enum err e = records_request_open(a, who, request_id, req);
  if (e != ERR_OK) return e;
  struct document_row *all;
  size_t na;
  e = documents_list(a, request_id, &all, &na);
  if (e != ERR_OK) return e;
  struct series_row *ser = NULL;
  size_t ns = 0;
  if (study_id && (e = series_list(a, request_id, &ser, &ns)) != ERR_OK) return e;
  size_t k = 0;
  for (size_t i = 0; i < na; i++) {
    if (!all[i].has_file || all[i].skipped) continue;
    if (study_id) {
      int in = 0;
      for (size_t j = 0; j < ns && !in; j++) in = ser[j].id == all[i].series_id && ser[j].study_id == study_id;
      if (!in) continue;
    }
    all[k++] = all[i];
  }
  if (study_id && k == 0) return ERR_NOT_FOUND; /* no such study in this request */
  *docs = all;
  *n = k;
  char oid[32], detail[96];
  snprintf(oid, sizeof oid, "%lld", request_id);
  if (study_id)
    snprintf(detail, sizeof detail, "{\"documents\":%zu,\"study_id\":%lld}", k, study_id);
  else
    snprintf(detail, sizeof detail, "{\"documents\":%zu}", k);
  /* no unaudited download: the archive is not sent when its row cannot be written */
  struct audit_event ev = {"request.download_zip", "request", oid, req->patient_id, "ok", detail};
  return audit_write(who, &ev);
}

enum err records_zip_open(struct arena *a, const struct actor *who, long long request_id, struct request_row *req,
                          struct document_row **docs, size_t *n) {
  return zip_open(a, who, request_id, 0, req, docs, n);
}

enum err records_study_zip_open(struct arena *a, const struct actor *who, long long request_id, long long study_id,
                                struct request_row *req, struct document_row **docs, size_t *n) {
  if (study_id <= 0) return ERR_NOT_FOUND;
  return zip_open(a, who, request_id, study_id, req, docs, n);
}
