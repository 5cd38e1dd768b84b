/* STOW-RS sessions (core/stow.h): parts sealed into the store as they stream in, then handed
 * to intake as uploads. */
#include "core/stow.h"
#include "core/vocab.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/jobs.h"
#include "core/records.h"
#include "http/tus_parse.h"
#include "store/blobstore.h"
#include "store/db.h"
#include "store/stow.h"
#include "store/uploads.h"
#include "util/arena.h"
#include "util/log.h"

#define STOW_MAX_PARTS 20000 /* instances in one STOW-RS request (a large tomosynthesis study holds a few hundred) */

bool stow_request_open(enum req_status st) {
  switch (st) {
  case RS_SUBMITTED:
  case RS_TRIAGE:
  case RS_NEEDS_INFO:
  case RS_ACCEPTED:
  case RS_SCHEDULED:
  case RS_IN_REVIEW:
  case RS_REPORT_READY:
    return true;
  case RS_DRAFT:
  case RS_CLOSED:
  case RS_DECLINED:
  case RS_WITHDRAWN:
  case RS_COUNT:
    return false;
  }
  return false;
}

static _Thread_local char refusal[400];
static _Thread_local int has_refusal;

const char *stow_refusal(void) { return has_refusal ? refusal : NULL; }

static void refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void refuse(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(refusal, sizeof refusal, fmt, ap);
  va_end(ap);
  has_refusal = 1;
}

/* "8 GiB", "512 MiB" */
static void size_words(uint64_t n, char *out, size_t cap) {
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) snprintf(out, cap, "%llu GiB", (unsigned long long)(n >> 30));
  else if (n >= (1ull << 30)) snprintf(out, cap, "%.1f GiB", (double)n / (double)(1ull << 30));
  else if (n >= (1ull << 20)) snprintf(out, cap, "%llu MiB", (unsigned long long)(n >> 20));
  else snprintf(out, cap, "%llu bytes", (unsigned long long)n);
}

struct stow_part {
  unsigned char file_id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN], b2[32];
  uint32_t kek;
  uint64_t size;
  char upload_id[27];
};

struct stow_session {
  struct actor who;
  char ip[48], rid[40];
  long long request_id, patient_id;
  const char *kind;
  char stow_id[27];
  uint64_t allowance, total; /* bytes the request may still take; bytes received */
  struct stow_part *parts;
  size_t n, cap;
  struct blob_writer *w; /* the part being received */
  crypto_generichash_state gh;
  int committed;
  char study[65]; /* STOW-RS to one study (POST …/studies/{study}): its Study Instance UID, or "" */
};

static void audit_row(const struct actor *who, const char *action, long long request_id, long long patient_id,
                      const char *outcome, const char *detail) {
  char oid[32];
  snprintf(oid, sizeof oid, "%lld", request_id);
  struct audit_event ev = {action, "request", oid, patient_id, outcome, detail};
  if (audit_write(who, &ev) != ERR_OK) LOG_W("audit write failed for %s", action);
}

enum err stow_begin(const struct actor *who, long long request_id, const char *kind, int64_t declared_len,
                    struct stow_session **out) {
  *out = NULL;
  has_refusal = 0;
  char detail[160];
  snprintf(detail, sizeof detail, "{\"request_id\":%lld}", request_id);
  if (!who || who->user_id <= 0 || !(who->role & ACCT_ROLE_STAFF)) {
    refuse("Only the center's staff may store instances in a request (STOW-RS); a %s cannot.",
           who ? actor_role_name(who->role) : "visitor");
    audit_row(who, "dicomweb.store", request_id, 0, "denied", detail);
    return ERR_FORBIDDEN;
  }
  if (who->token_id && !who->can_store) { /* a read-only key never stores, whoever made it */
    refuse("This key may only read; ask for a key made to send studies.");
    audit_row(who, "dicomweb.store", request_id, 0, "denied", detail);
    return ERR_FORBIDDEN;
  }
  if (!kind || (strcmp(kind, VOCAB_DOC_IMAGES) != 0 && strcmp(kind, VOCAB_DOC_PRIOR_IMAGES) != 0)) {
    refuse("The kind must be \"images\" or \"prior_images\".");
    return ERR_INVALID;
  }
  enum req_status st;
  long long patient_id = 0;
  enum err e = requests_access(who, request_id, RA_VIEW, &st, &patient_id); /* audits the opening or the refusal */
  if (e == ERR_NOT_FOUND) {
    refuse("There is no request %lld that the center can see (a request is the patient's own until they submit "
           "it), so nothing was stored.", request_id);
    return e;
  }
  if (e != ERR_OK) return e;
  if (!stow_request_open(st)) {
    refuse("Request %lld is %s, so it takes no more images; nothing was stored.", request_id, req_status_name(st));
    audit_row(who, "dicomweb.store", request_id, patient_id, "denied", "{\"reason\":\"request closed\"}");
    return ERR_RECORDS_CLOSED;
  }
  uint64_t used = 0, max_request = records_max_request();
  e = stow_store_request_bytes(request_id, &used);
  if (e != ERR_OK) return e;
  uint64_t allowance = used < max_request ? max_request - used : 0;
  if (declared_len >= 0 && (uint64_t)declared_len > allowance) {
    char lim[32], have[32];
    size_words(max_request, lim, sizeof lim);
    size_words(used, have, sizeof have);
    refuse("Request %lld already holds %s of files; together they may not exceed %s, and this body is larger than "
           "what is left. Nothing was stored.", request_id, have, lim);
    audit_row(who, "dicomweb.store", request_id, patient_id, "denied", "{\"reason\":\"request limit\"}");
    return ERR_TOO_LARGE;
  }
  e = blobstore_space_check(declared_len >= 0 ? (uint64_t)declared_len : 0);
  if (e == ERR_NO_SPACE) refuse("The center's storage is full right now, so nothing was stored.");
  if (e != ERR_OK) return e;
  struct stow_session *s = calloc(1, sizeof *s);
  if (!s) return ERR_INTERNAL;
  s->who = *who;
  snprintf(s->ip, sizeof s->ip, "%s", who->ip ? who->ip : "");
  snprintf(s->rid, sizeof s->rid, "%s", who->request_id ? who->request_id : "");
  s->who.ip = s->ip;
  s->who.request_id = s->rid;
  s->request_id = request_id;
  s->patient_id = patient_id;
  s->kind = strcmp(kind, VOCAB_DOC_IMAGES) == 0 ? VOCAB_DOC_IMAGES : VOCAB_DOC_PRIOR_IMAGES;
  s->allowance = allowance;
  unsigned char rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  tus_base32(rnd, sizeof rnd, s->stow_id, sizeof s->stow_id);
  *out = s;
  return ERR_OK;
}

size_t stow_parts(const struct stow_session *s) { return s ? s->n : 0; }

void stow_thread_done(void) { db_close(); }

/* Drops the part being received (its staging file). */
static void part_drop(struct stow_session *s) {
  if (!s->w) return;
  blob_writer_abort(s->w);
  s->w = NULL;
  blobstore_delete(s->parts[s->n - 1].file_id);
  s->n--;
}

enum err stow_part_begin(struct stow_session *s) {
  has_refusal = 0;
  if (s->w) return ERR_INTERNAL;
  if (s->n >= STOW_MAX_PARTS) {
    refuse("A STOW-RS request may hold at most %d instances; send the rest in another request. Nothing was stored.",
           STOW_MAX_PARTS);
    return ERR_TOO_LARGE;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct stow_part *np = realloc(s->parts, cap * sizeof *np);
    if (!np) return ERR_INTERNAL;
    s->parts = np;
    s->cap = cap;
  }
  struct stow_part *p = &s->parts[s->n];
  memset(p, 0, sizeof *p);
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  if (blobstore_new_file(p->file_id, dek, p->wrapped, &p->kek) != 0) return ERR_INTERNAL;
  int rc = blobstore_put_begin(p->file_id, dek, &s->w, err, sizeof err);
  sodium_memzero(dek, sizeof dek);
  if (rc != 0) {
    LOG_E("stow: cannot start a blob: %s", err);
    s->w = NULL;
    return errno == ENOSPC || errno == EDQUOT ? ERR_NO_SPACE : ERR_INTERNAL;
  }
  s->n++;
  crypto_generichash_init(&s->gh, NULL, 0, 32);
  return ERR_OK;
}

enum err stow_part_data(struct stow_session *s, const void *buf, size_t n) {
  has_refusal = 0;
  if (!s->w) return ERR_INTERNAL;
  struct stow_part *p = &s->parts[s->n - 1];
  uint64_t max_file = records_max_upload();
  char lim[32];
  if (p->size + n > max_file) {
    size_words(max_file, lim, sizeof lim);
    refuse("Instance %zu is larger than the %s we accept for one file. Nothing was stored.", s->n, lim);
    part_drop(s);
    return ERR_TOO_LARGE;
  }
  if (s->total + n > s->allowance) {
    size_words(records_max_request(), lim, sizeof lim);
    refuse("These instances would take request %lld past the %s its files may hold together. Nothing was stored.",
           s->request_id, lim);
    part_drop(s);
    return ERR_TOO_LARGE;
  }
  char err[200];
  if (blob_writer_append(s->w, buf, n, err, sizeof err) != 0) {
    int en = errno;
    LOG_W("stow: append failed: %s", err);
    part_drop(s);
    if (en == ENOSPC || en == EDQUOT) {
      refuse("The center's storage is full right now, so nothing was stored.");
      return ERR_NO_SPACE;
    }
    return ERR_INTERNAL;
  }
  crypto_generichash_update(&s->gh, buf, n);
  p->size += n;
  s->total += n;
  return ERR_OK;
}

enum err stow_part_end(struct stow_session *s) {
  if (!s->w) return ERR_INTERNAL;
  struct stow_part *p = &s->parts[s->n - 1];
  char err[200];
  struct blob_writer *w = s->w;
  s->w = NULL;
  if (blobstore_put_commit(w, p->file_id, err, sizeof err) != 0) { /* frees w, removes the staging file */
    int en = errno;
    LOG_E("stow: cannot finish a blob: %s", err);
    s->n--;
    if (en == ENOSPC || en == EDQUOT) {
      refuse("The center's storage is full right now, so nothing was stored.");
      return ERR_NO_SPACE;
    }
    return ERR_INTERNAL;
  }
  crypto_generichash_final(&s->gh, p->b2, sizeof p->b2);
  return ERR_OK;
}

static enum err commit_tx(void *ctx) {
  struct stow_session *s = ctx;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *status = NULL;
  enum req_status st;
  enum err e = requests_lock_status(a, s->request_id, &status);
  if (e == ERR_OK && (!req_status_parse(status, &st) || !stow_request_open(st))) e = ERR_RECORDS_CLOSED;
  for (size_t i = 0; i < s->n && e == ERR_OK; i++) {
    struct stow_part *p = &s->parts[i];
    struct stow_part_row row = {.stow_id = s->stow_id, .part = (int)i + 1, .request_id = s->request_id,
                                .owner_id = s->who.user_id, .kind = s->kind, .length = p->size,
                                .kek_version = p->kek, .study = s->study[0] ? s->study : NULL};
    memcpy(row.id, p->upload_id, sizeof row.id);
    row.filename = arena_printf(a, "DICOM instance %zu sent by the center (DICOMweb)", i + 1);
    memcpy(row.blake2b, p->b2, 32);
    memcpy(row.file_id, p->file_id, BLOB_ID_LEN);
    memcpy(row.wrapped, p->wrapped, BLOB_WRAPPED_LEN);
    if (!row.filename) e = ERR_INTERNAL;
    if (e == ERR_OK) e = stow_store_insert_part(&row);
    if (e == ERR_OK) e = jobs_enqueue("intake", p->upload_id, s->patient_id);
  }
  if (e == ERR_OK) {
    char oid[32], detail[200];
    snprintf(oid, sizeof oid, "%lld", s->request_id);
    snprintf(detail, sizeof detail, "{\"request_id\":%lld,\"stow\":\"%s\",\"parts\":%zu,\"bytes\":%llu}",
             s->request_id, s->stow_id, s->n, (unsigned long long)s->total);
    struct audit_event ev = {"dicomweb.store", "request", oid, s->patient_id, "ok", detail};
    e = audit_write(&s->who, &ev);
  }
  arena_free(a);
  return e;
}

enum err stow_commit(struct stow_session *s) {
  has_refusal = 0;
  if (s->w || s->committed) return ERR_INTERNAL;
  for (size_t i = 0; i < s->n; i++) {
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    tus_base32(rnd, sizeof rnd, s->parts[i].upload_id, sizeof s->parts[i].upload_id);
  }
  enum err e = db_tx(commit_tx, s);
  if (e == ERR_RECORDS_CLOSED) {
    refuse("Request %lld stopped taking images while they arrived (it was closed, declined or withdrawn); nothing "
           "was stored.", s->request_id);
    audit_row(&s->who, "dicomweb.store", s->request_id, s->patient_id, "denied", "{\"reason\":\"request closed\"}");
  }
  if (e != ERR_OK) return e;
  s->committed = 1;
  jobs_kick();
  return ERR_OK;
}

enum err stow_pending(struct stow_session *s, long long *n) {
  *n = 0;
  if (!s->committed || s->n == 0) return ERR_OK;
  return stow_store_pending(s->stow_id, n);
}

enum err stow_results(struct arena *a, struct stow_session *s, struct stow_outcome **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!s->committed) return ERR_INTERNAL;
  struct stow_result_row *rows;
  size_t nr;
  enum err e = stow_store_results(a, s->stow_id, &rows, &nr);
  if (e != ERR_OK) return e;
  struct stow_outcome *o = arena_alloc(a, (nr + 1) * sizeof *o);
  if (!o) return ERR_INTERNAL;
  long long stored = 0, failed = 0, pending = 0;
  for (size_t i = 0; i < nr; i++) {
    memset(&o[i], 0, sizeof o[i]);
    o[i].sop_class = rows[i].sop_class;
    o[i].sop_instance = rows[i].sop_instance;
    o[i].study_uid = rows[i].study_uid;
    o[i].series_uid = rows[i].series_uid;
    if (strcmp(rows[i].state, "complete") != 0 && strcmp(rows[i].state, "failed") != 0) {
      o[i].pending = 1;
      o[i].status = STOW_OUT_OF_RESOURCES;
      pending++;
      continue;
    }
    o[i].status = rows[i].status >= 0 && strcmp(rows[i].state, "complete") == 0 ? rows[i].status
                                                                                 : STOW_PROCESSING_FAILURE;
    if (o[i].status == STOW_STORED && (!o[i].study_uid[0] || !o[i].series_uid[0]))
      o[i].status = STOW_PROCESSING_FAILURE; /* removed meanwhile: nothing to point a RetrieveURL at */
    if (o[i].status == STOW_STORED) stored++;
    else failed++;
  }
  char detail[240];
  snprintf(detail, sizeof detail,
           "{\"request_id\":%lld,\"stow\":\"%s\",\"stored\":%lld,\"failed\":%lld,\"pending\":%lld}", s->request_id,
           s->stow_id, stored, failed, pending);
  audit_row(&s->who, "dicomweb.store.outcome", s->request_id, s->patient_id, stored ? "ok" : "failed", detail);
  *out = o;
  *n = nr;
  return ERR_OK;
}

void stow_free(struct stow_session *s) {
  if (!s) return;
  size_t begun = s->n;
  if (s->w) part_drop(s);
  if (!s->committed) {
    for (size_t i = 0; i < s->n; i++) blobstore_delete(s->parts[i].file_id);
    /* refused as a whole after it began (malformed, over a limit, client gone): audited too */
    char detail[200];
    snprintf(detail, sizeof detail, "{\"request_id\":%lld,\"parts\":%zu,\"bytes\":%llu,\"stored\":0}",
             s->request_id, begun, (unsigned long long)s->total);
    audit_row(&s->who, "dicomweb.store", s->request_id, s->patient_id, "failed", detail);
  }
  free(s->parts);
  sodium_memzero(&s->gh, sizeof s->gh);
  free(s);
}

int stow_set_study(struct stow_session *s, const char *study_uid) {
  size_t n = study_uid ? strlen(study_uid) : 0;
  if (!s || n == 0 || n > 64 || strspn(study_uid, "0123456789.") != n) return -1;
  memcpy(s->study, study_uid, n + 1);
  return 0;
}
