/* DICOMweb read side, the domain: see core/dicomweb.h. */
#include "core/dicomweb.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/jobs.h"
#include "core/records.h"
#include "core/requests.h"
#include "dicom/dicom.h"
#include "store/uploads.h"
#include "util/decimal.h"
#include "util/arena.h"
#include "util/log.h"

#define DW_CHUNK ((size_t)64 * 1024)
/* fragments of one encapsulated Pixel Data we follow (a 4 GiB tomosynthesis object has a few hundred) */
#define DW_MAX_FRAGMENTS 200000
#define DEFLATE_TS "1.2.840.10008.1.2.1.99"

/* ---- indexing ---- */

enum err dicomweb_index_file(const unsigned char file_id[BLOB_ID_LEN], const struct dicom_info *di) {
  json_t *j = dw_instance_json(di);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) return ERR_INTERNAL;
  /* a deflated data set's offsets count inflated bytes: not a place in the file */
  int known = di->has_pixel_data && di->pixel_offset_known && strcmp(di->transfer_syntax, DEFLATE_TS) != 0;
  long long off = known ? (long long)di->pixel_offset : -1;
  long long len = known && !di->pixel_encapsulated ? (long long)di->pixel_length : -1;
  enum err e = dw_attrs_put(file_id, text, off, len, known && di->pixel_encapsulated);
  free(text);
  return e;
}

/* Files taken in before migration 0021: the header is read as intake reads it (our own header
 * reader, growing the prefix up to the header budget; pixel data never touched). */
static enum job_result index_job_run(const char *payload, long long patient_id, char *why, size_t whylen) {
  (void)patient_id;
  uint64_t v;
  if (!payload || decimal_u64(payload, &v) != 0 || v == 0 || v > LLONG_MAX) {
    snprintf(why, whylen, "bad payload");
    return JOB_FAIL;
  }
  struct arena *a = arena_new();
  if (!a) {
    snprintf(why, whylen, "out of memory");
    return JOB_RETRY;
  }
  enum job_result res = JOB_RETRY;
  struct blob_reader *r = NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, have = 0;
  struct dicom_info *di = calloc(1, sizeof *di);
  struct document_row d;
  enum err e = documents_get(a, (long long)v, &d);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && (!d.has_file || !d.sop_instance_uid || !d.sop_instance_uid[0]))) {
    res = JOB_DONE; /* deleted meanwhile, or nothing to index */
    goto done;
  }
  if (e != ERR_OK || !di) {
    snprintf(why, whylen, "the database is unavailable");
    goto done;
  }
  if (records_document_reader(&d, &r) != 0) {
    snprintf(why, whylen, "the stored file could not be opened");
    goto done;
  }
  size_t want = d.size < ((uint64_t)1 << 20) ? (size_t)d.size : (size_t)1 << 20;
  for (;;) {
    if (want > cap) {
      unsigned char *nb = realloc(buf, want);
      if (!nb) {
        snprintf(why, whylen, "out of memory");
        goto done;
      }
      buf = nb;
      cap = want;
    }
    char err[160];
    while (have < want) {
      ssize_t k = blob_reader_read(r, buf + have, want - have, err, sizeof err);
      if (k < 0) {
        snprintf(why, whylen, "the stored file could not be read");
        res = JOB_FAIL;
        goto done;
      }
      if (k == 0) break;
      have += (size_t)k;
    }
    int complete = have >= d.size;
    enum dicom_rc rc = dicom_parse(buf, have, complete, di, NULL, 0);
    if (rc == DICOM_OK) break;
    if (rc != DICOM_NEED_MORE || complete || want >= DICOM_HEADER_BUDGET) {
      snprintf(why, whylen, "the header could not be read");
      res = JOB_FAIL;
      goto done;
    }
    want = want * 4 > DICOM_HEADER_BUDGET ? DICOM_HEADER_BUDGET : want * 4;
    if (want > d.size) want = (size_t)d.size;
  }
  e = dicomweb_index_file(d.file_id, di);
  if (e == ERR_OK) res = JOB_DONE;
  else snprintf(why, whylen, "the database is unavailable");
done:
  if (buf) sodium_memzero(buf, cap);
  free(buf);
  free(di);
  blob_reader_close(r);
  arena_free(a);
  return res;
}

static void index_job_give_up(const char *payload, long long patient_id, const char *why) {
  (void)patient_id;
  LOG_W("document %s: DICOMweb attributes not indexed: %s (searched from the stored columns)", payload, why);
}

static const struct job_kind index_kind = {"dicomweb_index", 3, index_job_run, index_job_give_up};

void dicomweb_init(void) {
  dicomweb_store_register();
  jobs_register_kind(&index_kind);
}

/* ---- audit ---- */

struct owner {
  long long request_id, patient_id;
};

/* Adds (request, patient) once. */
static void owner_add(struct owner *o, size_t *n, size_t cap, long long rid, long long pid) {
  for (size_t i = 0; i < *n; i++)
    if (o[i].request_id == rid) return;
  if (*n < cap) o[(*n)++] = (struct owner){rid, pid};
}

/* Parses "rid:pid,rid:pid" into owners. */
static void owners_parse(struct owner *o, size_t *n, size_t cap, const char *s) {
  while (s && *s) {
    char *end;
    long long rid = strtoll(s, &end, 10), pid = 0;
    if (*end == ':') pid = strtoll(end + 1, &end, 10);
    if (rid > 0) owner_add(o, n, cap, rid, pid);
    s = strchr(end, ',');
    if (s) s++;
  }
}

/* One audit row per request whose data an answer holds. ERR_UNAVAILABLE when a row cannot be
 * written: nothing may be answered then. */
static enum err audit_owners(const struct actor *who, const char *action, const struct owner *o, size_t n,
                             const char *detail) {
  for (size_t i = 0; i < n; i++) {
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", o[i].request_id);
    struct audit_event ev = {action, "request", oid, o[i].patient_id, "ok", detail};
    if (audit_write(who, &ev) != ERR_OK) {
      LOG_W("%s: audit row not written; answering 503", action);
      return ERR_UNAVAILABLE;
    }
  }
  return ERR_OK;
}

/* ---- QIDO-RS ---- */

static void filter_from(const struct actor *who, const struct dw_query *q, struct dw_filter *f) {
  memset(f, 0, sizeof *f);
  f->user_id = who->user_id;
  unsigned r = who->role;
  f->role = who->user_id > 0 && (r == 1u || r == 2u || r == 4u) ? actor_role_name(r) : "";
  f->study_uid = q->study_uid;
  f->series_uid = q->series_uid;
  f->sop_uid = q->sop_uid;
  f->patient_name_like = q->patient_name_like;
  f->patient_id = q->patient_id;
  f->date_from = q->date_from;
  f->date_to = q->date_to;
  f->modality = q->modality;
  f->accession = q->accession;
  f->sop_class_uid = q->sop_class_uid;
  f->limit = q->limit;
  f->offset = q->offset;
}

/* Copies the attributes of stored (DICOM JSON text) that belong at most to level max_level and
 * that q includes (q NULL: all) into o. */
static void copy_attrs(json_t *o, const char *stored, int max_level, const struct dw_query *q) {
  json_t *src = stored && *stored ? json_loads(stored, 0, NULL) : NULL;
  const char *k;
  json_t *v;
  json_object_foreach(src, k, v) {
    char *end;
    unsigned long tag = strtoul(k, &end, 16);
    if (*end || dw_attr_level((uint32_t)tag) > max_level) continue;
    if (q && !dw_query_includes(q, (uint32_t)tag)) continue;
    if ((uint32_t)tag == 0x00020010u) continue; /* File Meta: not part of the data set */
    json_object_set(o, k, v);
  }
  json_decref(src);
}

/* Sets tag to text unless o has it already (a fallback from the stored columns), when included. */
static void set_missing(json_t *o, const struct dw_query *q, uint32_t tag, const char *text) {
  char key[9];
  dw_tag_key(tag, key);
  if (json_object_get(o, key) || (q && !dw_query_includes(q, tag))) return;
  dw_json_set(o, tag, text);
}

static void set_int(json_t *o, const struct dw_query *q, uint32_t tag, long long v) {
  if (q && !dw_query_includes(q, tag)) return;
  dw_json_set_int(o, tag, v);
}

static void set_common(json_t *o, const struct dw_query *q, const char *url) {
  set_missing(o, q, 0x00080005u, "ISO_IR 192");
  set_missing(o, q, 0x00080056u, "ONLINE");
  if (url) set_missing(o, q, 0x00081190u, url);
}

static json_t *instance_json(struct arena *a, const struct dw_instance_row *s, const struct dw_query *q,
                             const char *base) {
  json_t *o = json_object();
  if (!o) return NULL;
  copy_attrs(o, s->attrs, 2, q);
  /* rows indexed before their attributes were: what the columns know */
  set_missing(o, q, 0x00080016u, s->sop_class_uid);
  set_missing(o, q, 0x00080018u, s->sop_uid);
  set_missing(o, q, 0x0020000Du, s->study_uid);
  set_missing(o, q, 0x0020000Eu, s->series_uid);
  set_missing(o, q, 0x00080060u, s->modality);
  set_missing(o, q, 0x00080020u, s->study_date);
  set_missing(o, q, 0x00100010u, s->patient_name);
  set_missing(o, q, 0x00081030u, s->study_description);
  set_missing(o, q, 0x0008103Eu, s->series_description);
  if (s->rows) {
    char b[24];
    snprintf(b, sizeof b, "%u", s->rows);
    set_missing(o, q, 0x00280010u, b);
    snprintf(b, sizeof b, "%u", s->columns);
    set_missing(o, q, 0x00280011u, b);
  }
  const char *url = base ? arena_printf(a, "%s/studies/%s/series/%s/instances/%s", base, s->study_uid, s->series_uid,
                                        s->sop_uid)
                         : NULL;
  set_common(o, q, url);
  return o;
}

enum err dicomweb_search(struct arena *a, const struct actor *who, const struct dw_query *q, const char *base,
                         json_t **out) {
  *out = NULL;
  struct dw_filter f;
  filter_from(who, q, &f);
  enum { CAP = 1024 };
  struct owner *own = arena_alloc(a, CAP * sizeof *own);
  size_t nown = 0;
  json_t *arr = json_array();
  if (!own || !arr) {
    json_decref(arr);
    return ERR_INTERNAL;
  }
  enum err e = ERR_OK;
  const char *level = "study";
  if (!*f.role) goto audit; /* a role that sees no request: an empty answer */
  if (q->level == DW_STUDY) {
    struct dw_study_row *rows;
    size_t n;
    e = dw_search_studies(a, &f, &rows, &n);
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
      const struct dw_study_row *s = &rows[i];
      json_t *o = json_object();
      if (!o) {
        e = ERR_INTERNAL;
        break;
      }
      copy_attrs(o, s->attrs, 0, q);
      set_missing(o, q, 0x0020000Du, s->study_uid);
      set_missing(o, q, 0x00080020u, s->study_date);
      set_missing(o, q, 0x00081030u, s->description);
      set_missing(o, q, 0x00100010u, s->patient_name);
      set_missing(o, q, 0x00100030u, s->birth_date);
      set_missing(o, q, 0x00100020u, NULL);
      set_missing(o, q, 0x00080050u, NULL);
      set_missing(o, q, 0x00080030u, NULL);
      set_missing(o, q, 0x00200010u, NULL);
      set_missing(o, q, 0x00080090u, NULL); /* ReferringPhysicianName: required, not kept */
      if (dw_query_includes(q, 0x00080061u)) dw_json_set(o, 0x00080061u, s->modalities);
      set_int(o, q, 0x00201206u, s->n_series);
      set_int(o, q, 0x00201208u, s->n_instances);
      set_common(o, q, base ? arena_printf(a, "%s/studies/%s", base, s->study_uid) : NULL);
      json_array_append_new(arr, o);
      owners_parse(own, &nown, CAP, s->owners);
    }
  } else if (q->level == DW_SERIES) {
    level = "series";
    struct dw_series_row *rows;
    size_t n;
    e = dw_search_series(a, &f, &rows, &n);
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
      const struct dw_series_row *s = &rows[i];
      json_t *o = json_object();
      if (!o) {
        e = ERR_INTERNAL;
        break;
      }
      copy_attrs(o, s->attrs, 1, q);
      set_missing(o, q, 0x0020000Du, s->study_uid);
      set_missing(o, q, 0x0020000Eu, s->series_uid);
      set_missing(o, q, 0x00080060u, s->modality);
      set_missing(o, q, 0x0008103Eu, s->description);
      set_missing(o, q, 0x00200011u, NULL);
      set_int(o, q, 0x00201209u, s->n_instances);
      set_common(o, q, base ? arena_printf(a, "%s/studies/%s/series/%s", base, s->study_uid, s->series_uid) : NULL);
      json_array_append_new(arr, o);
      owners_parse(own, &nown, CAP, s->owners);
    }
  } else {
    level = "instance";
    struct dw_instance_row *rows;
    size_t n;
    e = dw_search_instances(a, &f, &rows, &n);
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
      json_t *o = instance_json(a, &rows[i], q, base);
      if (!o) {
        e = ERR_INTERNAL;
        break;
      }
      json_array_append_new(arr, o);
      owner_add(own, &nown, CAP, rows[i].request_id, rows[i].patient_id);
    }
  }
  if (e != ERR_OK) {
    json_decref(arr);
    return e;
  }
audit:;
  /* the answer names patients: audited before it leaves (one row per request in it) */
  char detail[120];
  snprintf(detail, sizeof detail, "{\"level\":\"%s\",\"results\":%zu}", level, json_array_size(arr));
  e = audit_owners(who, "dicomweb.search", own, nown, detail);
  if (e != ERR_OK) {
    json_decref(arr);
    return e;
  }
  *out = arr;
  return ERR_OK;
}

/* ---- WADO-RS ---- */

static const char *purpose_action(enum dw_purpose p) {
  switch (p) {
  case DW_RETRIEVE: return "dicomweb.retrieve";
  case DW_METADATA: return "dicomweb.metadata";
  case DW_FRAMES: return "dicomweb.frames";
  case DW_RENDERED: return "dicomweb.rendered";
  }
  return "dicomweb.retrieve";
}

enum err dicomweb_open(struct arena *a, const struct actor *who, const char *study_uid, const char *series_uid,
                       const char *sop_uid, enum dw_purpose why, struct dw_instance_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  struct dw_query q;
  memset(&q, 0, sizeof q);
  q.study_uid = study_uid;
  q.series_uid = series_uid;
  q.sop_uid = sop_uid;
  q.limit = 0;
  struct dw_filter f;
  filter_from(who, &q, &f);
  f.limit = 0;
  if (!*f.role) return ERR_NOT_FOUND;
  struct dw_instance_row *r;
  size_t k;
  enum err e = dw_search_instances(a, &f, &r, &k);
  if (e != ERR_OK) return e;
  if (k == 0) return ERR_NOT_FOUND;
  enum { CAP = 1024 };
  struct owner *own = arena_alloc(a, CAP * sizeof *own);
  size_t nown = 0;
  if (!own) return ERR_INTERNAL;
  for (size_t i = 0; i < k; i++) owner_add(own, &nown, CAP, r[i].request_id, r[i].patient_id);
  /* UIDs are meant to be unique, but an upload can carry any: never hand out one patient's
   * images as part of another's study (staff see every request, so the search splits such a
   * UID into one result per patient, and retrieving it as one is refused) */
  for (size_t i = 1; i < nown; i++)
    if (own[i].patient_id != own[0].patient_id) {
      LOG_W("dicomweb: a %s UID is in the records of more than one patient; retrieval refused",
            sop_uid ? "SOP Instance" : series_uid ? "Series Instance" : "Study Instance");
      return ERR_CONFLICT;
    }
  /* the one rule of the records, once more per request (refusals audited there) */
  for (size_t i = 0; i < nown; i++) {
    long long pid = 0;
    e = requests_access_view_unaudited(who, own[i].request_id, &pid);
    if (e != ERR_OK) return e;
  }
  char *detail = NULL;
  json_t *dj = json_pack("{s:s,s:s?,s:s?,s:I}", "study", study_uid, "series", series_uid, "instance", sop_uid,
                         "instances", (json_int_t)k);
  if (dj) detail = json_dumps(dj, JSON_COMPACT);
  json_decref(dj);
  e = audit_owners(who, purpose_action(why), own, nown, detail);
  free(detail);
  if (e != ERR_OK) return e;
  *rows = r;
  *n = k;
  return ERR_OK;
}

json_t *dicomweb_metadata(const struct dw_instance_row *rows, size_t n, const char *base) {
  struct arena *a = arena_new();
  json_t *arr = json_array();
  if (!a || !arr) {
    arena_free(a);
    json_decref(arr);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *o = instance_json(a, &rows[i], NULL, base);
    if (!o || json_array_append_new(arr, o) != 0) {
      json_decref(arr);
      arr = NULL;
      break;
    }
  }
  arena_free(a);
  return arr;
}

/* An integer attribute of a stored JSON object, or def. */
static long long attr_int(json_t *j, const char *key, long long def) {
  json_t *v = json_array_get(json_object_get(json_object_get(j, key), "Value"), 0);
  return json_is_integer(v) ? json_integer_value(v) : def;
}

long dicomweb_frames(const struct dw_instance_row *row) {
  if (row->frames > 0) return row->frames; /* intake counted an image's frames */
  json_t *j = row->attrs && *row->attrs ? json_loads(row->attrs, 0, NULL) : NULL;
  long f = 0;
  if (j && row->pixel_offset >= 0 && attr_int(j, "00280010", 0) > 0) f = (long)attr_int(j, "00280008", 1);
  json_decref(j);
  return f;
}

/* ---- streams ---- */

struct dw_seg {
  uint64_t off, len;
};

struct dw_part {
  char *head;
  size_t head_len;
  struct document_row d; /* the stored file: id, request, key, size */
  int verify;            /* whole file: it must end at its authenticated final record */
  struct dw_seg *segs;
  size_t nseg;
  uint64_t body_len;
};

struct dw_stream {
  struct dw_part *parts;
  size_t n;
  char tail[64];
  size_t tail_len;
  /* position */
  size_t cur, seg, head_at, tail_at;
  int phase; /* 0 part head, 1 body, 2 CRLF after the body, 3 closing boundary, 4 done */
  int single; /* one file as the whole body: no part head, CRLF or closing boundary */
  uint64_t seg_at, body_at;
  size_t crlf_at;
  struct blob_reader *r;
  struct actor who;
  char ip[48], rid[40];
  /* the first failed check (set by whichever thread produces; reported on the HTTP thread) */
  const char *fail_where;
  size_t fail_part;
  struct readahead *ra; /* the read-ahead helper, or NULL (then read inline) */
  int ra_tried, dead;    /* dead: a check failed, nothing more is sent */
};

static void new_boundary(char out[33]) {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(out, 33, raw, sizeof raw);
}

static struct dw_stream *stream_new(const struct actor *who, size_t n, const char *boundary) {
  struct dw_stream *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->parts = calloc(n ? n : 1, sizeof *s->parts);
  if (!s->parts) {
    free(s);
    return NULL;
  }
  s->n = n;
  s->who = *who;
  snprintf(s->ip, sizeof s->ip, "%s", who->ip ? who->ip : "");
  snprintf(s->rid, sizeof s->rid, "%s", who->request_id ? who->request_id : "");
  s->who.ip = s->ip;
  s->who.request_id = s->rid;
  s->tail_len = (size_t)snprintf(s->tail, sizeof s->tail, "--%s--\r\n", boundary);
  return s;
}

/* Fills a part's file from an instance row (no arena strings kept). */
static void part_file(struct dw_part *p, const struct dw_instance_row *row) {
  memset(&p->d, 0, sizeof p->d);
  p->d.id = row->doc;
  p->d.request_id = row->request_id;
  p->d.has_file = 1;
  memcpy(p->d.file_id, row->file_id, BLOB_ID_LEN);
  memcpy(p->d.wrapped, row->wrapped, BLOB_WRAPPED_LEN);
  p->d.kek_version = row->kek_version;
  p->d.size = row->size;
}

static int part_head(struct dw_part *p, const char *boundary, const char *ctype) {
  char buf[512];
  int k = snprintf(buf, sizeof buf, "--%s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n\r\n", boundary, ctype,
                   (unsigned long long)p->body_len);
  if (k < 0 || (size_t)k >= sizeof buf) return -1;
  p->head = strdup(buf);
  p->head_len = (size_t)k;
  return p->head ? 0 : -1;
}

static uint64_t stream_total(const struct dw_stream *s) {
  uint64_t t = s->tail_len;
  for (size_t i = 0; i < s->n; i++) t += s->parts[i].head_len + s->parts[i].body_len + (s->single ? 0 : 2);
  return t;
}

static void ra_stop(struct dw_stream *s);

void dicomweb_stream_free(struct dw_stream *s) {
  if (!s) return;
  ra_stop(s); /* the helper is joined before anything it uses goes */
  blob_reader_close(s->r);
  for (size_t i = 0; i < s->n; i++) {
    free(s->parts[i].head);
    free(s->parts[i].segs);
  }
  sodium_memzero(s->parts, s->n * sizeof *s->parts);
  free(s->parts);
  free(s);
}

enum err dicomweb_stream_instances(const struct actor *who, const struct dw_instance_row *rows, size_t n,
                                   int multipart, struct dw_stream **out, uint64_t *total, char boundary[33]) {
  new_boundary(boundary);
  if (!multipart && n != 1) return ERR_INTERNAL;
  struct dw_stream *s = stream_new(who, n, boundary);
  if (!s) return ERR_INTERNAL;
  if (!multipart) {
    s->single = 1;
    s->tail_len = 0;
  }
  for (size_t i = 0; i < n; i++) {
    struct dw_part *p = &s->parts[i];
    part_file(p, &rows[i]);
    p->verify = 1;
    p->segs = malloc(sizeof *p->segs);
    if (!p->segs) goto fail;
    p->segs[0] = (struct dw_seg){0, rows[i].size};
    p->nseg = 1;
    p->body_len = rows[i].size;
    char ctype[120];
    if (rows[i].tsyntax && *rows[i].tsyntax)
      snprintf(ctype, sizeof ctype, "application/dicom; transfer-syntax=%s", rows[i].tsyntax);
    else
      snprintf(ctype, sizeof ctype, "application/dicom");
    if (!multipart) {
      p->head = strdup("");
      if (!p->head) goto fail;
    } else if (part_head(p, boundary, ctype) != 0) {
      goto fail;
    }
  }
  *out = s;
  *total = stream_total(s);
  return ERR_OK;
fail:
  dicomweb_stream_free(s);
  return ERR_INTERNAL;
}

/* Reads exactly len bytes at off. 0 or -1. */
static int read_at(struct blob_reader *r, uint64_t off, unsigned char *buf, size_t len) {
  char err[160];
  if (blob_reader_seek(r, off, err, sizeof err) != 0) return -1;
  size_t have = 0;
  while (have < len) {
    ssize_t k = blob_reader_read(r, buf + have, len - have, err, sizeof err);
    if (k <= 0) return -1;
    have += (size_t)k;
  }
  return 0;
}

struct frag {
  uint64_t off, len; /* value of the item */
  uint64_t rel;      /* item start, relative to the first fragment's item start */
  unsigned char head[4];
};

/* The items of an encapsulated Pixel Data value starting at off: the Basic Offset Table's
 * entries and the fragments. 0, or -1 with why. */
static int scan_fragments(struct blob_reader *r, uint64_t off, uint64_t file_size, uint32_t **bot, size_t *nbot,
                          struct frag **frags, size_t *nfrag, char *why, size_t whylen) {
  *bot = NULL;
  *frags = NULL;
  *nbot = *nfrag = 0;
  size_t cap = 0;
  int first = 1;
  uint64_t first_item = 0;
  for (;;) {
    unsigned char h[8];
    if (off + 8 > file_size || read_at(r, off, h, 8) != 0) {
      snprintf(why, whylen, "the compressed pixel data ends early");
      return -1;
    }
    uint16_t g = (uint16_t)(h[0] | h[1] << 8), e = (uint16_t)(h[2] | h[3] << 8);
    uint32_t len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
    if (g == 0xFFFE && e == 0xE0DD) return 0; /* sequence delimiter */
    if (g != 0xFFFE || e != 0xE000 || off + 8 + len > file_size) {
      snprintf(why, whylen, "the compressed pixel data is not made of items as DICOM writes them");
      return -1;
    }
    if (first) {
      first = 0;
      if (len % 4 || len / 4 > DW_MAX_FRAGMENTS) {
        snprintf(why, whylen, "the Basic Offset Table cannot be read");
        return -1;
      }
      if (len) {
        *bot = malloc(len);
        unsigned char *raw = malloc(len);
        if (!*bot || !raw || read_at(r, off + 8, raw, len) != 0) {
          free(raw);
          snprintf(why, whylen, "the Basic Offset Table cannot be read");
          return -1;
        }
        for (size_t i = 0; i < len / 4; i++)
          (*bot)[i] = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 | (uint32_t)raw[4 * i + 2] << 16 |
                      (uint32_t)raw[4 * i + 3] << 24;
        *nbot = len / 4;
        free(raw);
      }
      off += 8 + (uint64_t)len;
      first_item = off;
      continue;
    }
    if (*nfrag == cap) {
      if (cap >= DW_MAX_FRAGMENTS) {
        snprintf(why, whylen, "the compressed pixel data has too many fragments");
        return -1;
      }
      size_t nc = cap ? cap * 2 : 64;
      struct frag *nf = realloc(*frags, nc * sizeof *nf);
      if (!nf) {
        snprintf(why, whylen, "out of memory");
        return -1;
      }
      *frags = nf;
      cap = nc;
    }
    struct frag *f = &(*frags)[(*nfrag)++];
    f->off = off + 8;
    f->len = len;
    f->rel = off - first_item;
    memset(f->head, 0, sizeof f->head);
    if (len >= 4 && read_at(r, off + 8, f->head, 4) != 0) {
      snprintf(why, whylen, "the compressed pixel data cannot be read");
      return -1;
    }
    off += 8 + (uint64_t)len;
  }
}

/* A fragment that starts a frame: a JPEG (SOI), JPEG-LS (SOI) or JPEG 2000 codestream (SOC) or
 * JP2 box header. */
static int starts_frame(const struct frag *f) {
  return (f->head[0] == 0xFF && f->head[1] == 0xD8) || (f->head[0] == 0xFF && f->head[1] == 0x4F) ||
         (f->head[0] == 0 && f->head[1] == 0 && f->head[2] == 0 && f->head[3] == 0x0C);
}

/* The fragments [*first, *end) of frame k (0-based). 0, or -1. */
static int frame_fragments(const uint32_t *bot, size_t nbot, const struct frag *fr, size_t nfrag, long frames,
                           long k, size_t *first, size_t *end) {
  if (frames == 1) {
    *first = 0;
    *end = nfrag;
    return nfrag ? 0 : -1;
  }
  if (nbot == (size_t)frames) {
    uint64_t lo = bot[k], hi = (size_t)k + 1 < nbot ? bot[k + 1] : UINT64_MAX;
    size_t i = 0;
    while (i < nfrag && fr[i].rel < lo) i++;
    if (i == nfrag || fr[i].rel != lo) return -1;
    *first = i;
    while (i < nfrag && fr[i].rel < hi) i++;
    *end = i;
    return 0;
  }
  if (nfrag == (size_t)frames) {
    *first = (size_t)k;
    *end = (size_t)k + 1;
    return 0;
  }
  long seen = -1;
  for (size_t i = 0; i < nfrag; i++) {
    if (starts_frame(&fr[i])) seen++;
    if (seen == k) {
      size_t j = i + 1;
      while (j < nfrag && !starts_frame(&fr[j])) j++;
      *first = i;
      *end = j;
      return 0;
    }
  }
  return -1;
}

enum err dicomweb_stream_frames(const struct actor *who, const struct dw_instance_row *row, const long *list,
                                size_t n, const char *part_type, struct dw_stream **out, uint64_t *total,
                                char boundary[33], char *why, size_t whylen) {
  *out = NULL;
  enum err e = ERR_INTERNAL;
  struct blob_reader *r = NULL;
  uint32_t *bot = NULL;
  struct frag *fr = NULL;
  size_t nbot = 0, nfrag = 0;
  struct dw_stream *s = NULL;
  json_t *j = row->attrs && *row->attrs ? json_loads(row->attrs, 0, NULL) : NULL;
  long frames = dicomweb_frames(row);
  if (row->pixel_offset < 0 || frames <= 0) {
    snprintf(why, whylen, "the frames of this instance cannot be cut from the stored file (%s)",
             frames <= 0 ? "it has no pixel data" : "its pixel data is deflated or its place is not known");
    e = ERR_INVALID;
    goto done;
  }
  new_boundary(boundary);
  s = stream_new(who, n, boundary);
  if (!s) goto done;
  if (!row->encapsulated) {
    if (!dw_tsyntax_native_le(row->tsyntax)) {
      snprintf(why, whylen, "frames are sent for little-endian data only; this file is %s", row->tsyntax);
      e = ERR_INVALID;
      goto done;
    }
    long long rows = attr_int(j, "00280010", row->rows), cols = attr_int(j, "00280011", row->columns),
              spp = attr_int(j, "00280002", 1), bits = attr_int(j, "00280100", 0);
    if (rows <= 0 || cols <= 0 || spp <= 0 || (bits != 8 && bits != 16 && bits != 32)) {
      snprintf(why, whylen, "the frame size cannot be known from this file's image attributes");
      e = ERR_INVALID;
      goto done;
    }
    uint64_t flen = (uint64_t)rows * (uint64_t)cols * (uint64_t)spp * (uint64_t)(bits / 8);
    for (size_t i = 0; i < n; i++) {
      uint64_t at = (uint64_t)row->pixel_offset + (uint64_t)(list[i] - 1) * flen;
      if (at + flen > row->size || (row->pixel_length >= 0 && (uint64_t)(list[i]) * flen > (uint64_t)row->pixel_length)) {
        snprintf(why, whylen, "frame %ld is not all there in the stored file", list[i]);
        e = ERR_INVALID;
        goto done;
      }
      struct dw_part *p = &s->parts[i];
      part_file(p, row);
      p->segs = malloc(sizeof *p->segs);
      if (!p->segs) goto done;
      p->segs[0] = (struct dw_seg){at, flen};
      p->nseg = 1;
      p->body_len = flen;
    }
  } else {
    struct document_row d;
    struct dw_part tmp;
    part_file(&tmp, row);
    d = tmp.d;
    if (records_document_reader(&d, &r) != 0) {
      records_integrity_failure(who, &d, "dicomweb-frames");
      goto done;
    }
    if (scan_fragments(r, (uint64_t)row->pixel_offset, row->size, &bot, &nbot, &fr, &nfrag, why, whylen) != 0) {
      e = ERR_INVALID;
      goto done;
    }
    for (size_t i = 0; i < n; i++) {
      size_t a = 0, b = 0;
      if (frame_fragments(bot, nbot, fr, nfrag, frames, list[i] - 1, &a, &b) != 0 || a >= b) {
        snprintf(why, whylen, "frame %ld cannot be found among the compressed fragments of this file", list[i]);
        e = ERR_INVALID;
        goto done;
      }
      struct dw_part *p = &s->parts[i];
      part_file(p, row);
      p->segs = calloc(b - a, sizeof *p->segs);
      if (!p->segs) goto done;
      for (size_t k = a; k < b; k++) {
        p->segs[p->nseg++] = (struct dw_seg){fr[k].off, fr[k].len};
        p->body_len += fr[k].len;
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    char ctype[160];
    if (row->encapsulated)
      snprintf(ctype, sizeof ctype, "%s; transfer-syntax=%s", part_type, row->tsyntax);
    else
      snprintf(ctype, sizeof ctype, "%s", part_type);
    if (part_head(&s->parts[i], boundary, ctype) != 0) goto done;
  }
  *out = s;
  *total = stream_total(s);
  s = NULL;
  e = ERR_OK;
done:
  json_decref(j);
  free(bot);
  free(fr);
  blob_reader_close(r);
  dicomweb_stream_free(s);
  return e;
}

/* Notes the first failed check of the current part's file; -1. */
static int stream_fail(struct dw_stream *s, const char *where) {
  if (!s->fail_where) {
    s->fail_where = where;
    s->fail_part = s->cur;
  }
  return -1;
}

/* Ends the current part's file: for a whole file, checks that it ended exactly at its
 * authenticated final record; closes the reader. 0 or -1.
 *
 * Why no whole-file digest here: every record is sealed under the file's own data key with
 * AD = file id || record index || final flag, so a record that was changed, moved, dropped,
 * spliced in from another file or cut off does not authenticate, and a reader that has returned
 * every byte and then reports the final record verified (blob_reader_read: 0) has returned
 * exactly the bytes that were sealed. Recomputing the BLAKE2b of the plaintext would only
 * repeat that check at twice the CPU (it was two thirds of a retrieval's cost). The stored
 * digest is still what verify-store checks. */
static int part_end(struct dw_stream *s) {
  struct dw_part *p = &s->parts[s->cur];
  int rc = 0;
  if (p->verify) {
    unsigned char probe[1];
    char err[160];
    if (s->body_at != p->d.size || blob_reader_size(s->r) != p->d.size ||
        blob_reader_read(s->r, probe, sizeof probe, err, sizeof err) != 0) {
      stream_fail(s, "dicomweb-final-record");
      rc = -1;
    }
  }
  blob_reader_close(s->r);
  s->r = NULL;
  return rc;
}

/* Produces up to max bytes of the body: 0 at its end, -1 when a file failed a check (then
 * s->fail_where and s->fail_part say which; nothing of this call's bytes may be sent). */
static ssize_t stream_produce(struct dw_stream *s, unsigned char *buf, size_t max) {
  size_t got = 0;
  while (got < max) {
    if (s->phase == 4) break;
    if (s->phase == 3) {
      size_t k = s->tail_len - s->tail_at;
      if (k > max - got) k = max - got;
      memcpy(buf + got, s->tail + s->tail_at, k);
      s->tail_at += k;
      got += k;
      if (s->tail_at == s->tail_len) s->phase = 4;
      continue;
    }
    if (s->cur >= s->n) {
      s->phase = 3;
      continue;
    }
    struct dw_part *p = &s->parts[s->cur];
    if (s->phase == 0) {
      size_t k = p->head_len - s->head_at;
      if (k > max - got) k = max - got;
      memcpy(buf + got, p->head + s->head_at, k);
      s->head_at += k;
      got += k;
      if (s->head_at == p->head_len) {
        s->phase = 1;
        s->seg = 0;
        s->seg_at = 0;
        s->body_at = 0;
        if (records_document_reader(&p->d, &s->r) != 0) {
          return stream_fail(s, "dicomweb-open");
        }
        /* a whole file must hold exactly the recorded size: checked before its first byte, since
         * a single-part answer has nothing after the body that could still be withheld (the
         * reader returns only authenticated bytes, the last ones only from the final record) */
        if (p->verify && blob_reader_size(s->r) != p->d.size) {
          return stream_fail(s, "dicomweb-size");
        }
      }
      continue;
    }
    if (s->phase == 1) {
      if (s->seg >= p->nseg) {
        if (part_end(s) != 0) return -1;
        s->phase = 2;
        s->crlf_at = 0;
        continue;
      }
      struct dw_seg *g = &p->segs[s->seg];
      char err[160];
      if (s->seg_at == 0 && g->off != 0 && blob_reader_seek(s->r, g->off, err, sizeof err) != 0) {
        return stream_fail(s, "dicomweb-seek");
      }
      uint64_t left = g->len - s->seg_at;
      size_t want = max - got;
      if (want > left) want = (size_t)left;
      if (want > DW_CHUNK) want = DW_CHUNK;
      if (want == 0) {
        s->seg++;
        s->seg_at = 0;
        continue;
      }
      ssize_t k = blob_reader_read(s->r, buf + got, want, err, sizeof err);
      if (k <= 0) {
        return stream_fail(s, "dicomweb-stream");
      }
      got += (size_t)k;
      s->seg_at += (uint64_t)k;
      s->body_at += (uint64_t)k;
      if (s->seg_at == g->len) {
        s->seg++;
        s->seg_at = 0;
      }
      continue;
    }
    /* phase 2: CRLF after the body */
    static const char crlf[] = "\r\n";
    if (s->single) s->crlf_at = 2;
    size_t k = 2 - s->crlf_at;
    if (k > max - got) k = max - got;
    memcpy(buf + got, crlf + s->crlf_at, k);
    s->crlf_at += k;
    got += k;
    if (s->crlf_at == 2) {
      s->cur++;
      s->phase = 0;
      s->head_at = 0;
    }
  }
  return (ssize_t)got;
}

/* ---- read-ahead: opening and decrypting on a helper thread ----
 *
 * Inline, the HTTP thread took turns: open and decrypt a block, hand it to the socket, wait for
 * the socket, decrypt the next. A per-stream helper thread instead produces the body
 * (stream_produce: part heads, decrypted records, boundaries) into RA_SLOTS buffers of RA_SLOT
 * bytes while the HTTP thread copies finished ones out, so on a machine with a free core a
 * retrieval costs max(decrypt, send) in time instead of their sum. Memory per stream stays
 * RA_SLOTS * RA_SLOT whatever the study's size. Between ra_start and ra_stop the stream's
 * position, reader and fail fields belong to the helper.
 *
 * A failed check stops the helper; the HTTP thread then returns -1 at once (queued bytes, all
 * authenticated, are dropped too) and the connection is cut, as inline. ra_stop (from
 * dicomweb_stream_free: end of the body, client gone or server shutdown) stops and joins it;
 * the helper never waits on anything but a free slot, which stop releases. At most
 * RA_MAX_THREADS helpers run at once; a stream that cannot have one reads inline. */

#define RA_SLOT ((size_t)256 * 1024)
#define RA_SLOTS 4
#define RA_MAX_THREADS 16

static atomic_int ra_running;

struct readahead {
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;  /* the side waiting (never both: one waits on an empty ring, the other on a full one) */
  unsigned char *mem; /* RA_SLOTS * RA_SLOT */
  size_t len[RA_SLOTS];
  uint64_t rd, wr;    /* slots copied out / produced (slot i is mem + (i % RA_SLOTS) * RA_SLOT) */
  size_t out_at;      /* consumer only: bytes of slot rd already copied out */
  int stop, done, failed;
  int prod_wait, cons_wait; /* who waits on cv: only they are woken (fewer futex calls and switches) */
  struct dw_stream *s;
};

static void *ra_main(void *arg) {
  struct readahead *h = arg;
  for (;;) {
    pthread_mutex_lock(&h->mu);
    while (h->wr - h->rd >= RA_SLOTS && !h->stop) {
      h->prod_wait = 1;
      pthread_cond_wait(&h->cv, &h->mu);
    }
    h->prod_wait = 0;
    int stop = h->stop;
    size_t i = (size_t)(h->wr % RA_SLOTS);
    pthread_mutex_unlock(&h->mu);
    if (stop) break;
    ssize_t n = stream_produce(h->s, h->mem + i * RA_SLOT, RA_SLOT);
    pthread_mutex_lock(&h->mu);
    if (n < 0)
      h->failed = 1;
    else if (n == 0)
      h->done = 1;
    else {
      h->len[i] = (size_t)n;
      h->wr++;
    }
    if (h->cons_wait) pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (n <= 0) break;
  }
  return NULL;
}

/* A helper for s, or NULL (too many running, no memory or no thread: read inline). */
static struct readahead *ra_start(struct dw_stream *s) {
  if (atomic_fetch_add(&ra_running, 1) >= RA_MAX_THREADS) goto fail_count;
  struct readahead *h = calloc(1, sizeof *h);
  if (!h) goto fail_count;
  h->s = s;
  h->mem = malloc((size_t)RA_SLOTS * RA_SLOT);
  if (!h->mem || pthread_mutex_init(&h->mu, NULL) != 0) goto fail_mem;
  if (pthread_cond_init(&h->cv, NULL) != 0) goto fail_mu;
  if (pthread_create(&h->th, NULL, ra_main, h) != 0) goto fail_cv;
  pthread_setname_np(h->th, "wado-read"); /* shows in top -H, perf and /proc/PID/task */
  return h;
fail_cv:
  pthread_cond_destroy(&h->cv);
fail_mu:
  pthread_mutex_destroy(&h->mu);
fail_mem:
  free(h->mem);
  free(h);
fail_count:
  atomic_fetch_sub(&ra_running, 1);
  return NULL;
}

static void ra_stop(struct dw_stream *s) {
  struct readahead *h = s->ra;
  if (!h) return;
  pthread_mutex_lock(&h->mu);
  h->stop = 1;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->th, NULL);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  sodium_memzero(h->mem, (size_t)RA_SLOTS * RA_SLOT); /* decrypted files */
  free(h->mem);
  free(h);
  s->ra = NULL;
  atomic_fetch_sub(&ra_running, 1);
}

/* Copies up to max produced bytes out, waiting only while none is ready. As stream_produce. */
static ssize_t ra_read(struct readahead *h, unsigned char *buf, size_t max) {
  size_t got = 0;
  pthread_mutex_lock(&h->mu);
  while (got < max) {
    while (h->rd == h->wr && !h->failed && !h->done && got == 0) {
      h->cons_wait = 1;
      pthread_cond_wait(&h->cv, &h->mu);
    }
    h->cons_wait = 0;
    if (h->failed) {
      pthread_mutex_unlock(&h->mu);
      return -1;
    }
    if (h->rd == h->wr) break; /* the end, or nothing more ready yet */
    size_t i = (size_t)(h->rd % RA_SLOTS), len = h->len[i];
    pthread_mutex_unlock(&h->mu);
    size_t k = len - h->out_at;
    if (k > max - got) k = max - got;
    memcpy(buf + got, h->mem + i * RA_SLOT + h->out_at, k);
    got += k;
    h->out_at += k;
    pthread_mutex_lock(&h->mu);
    if (h->out_at == len) {
      h->rd++;
      h->out_at = 0;
      /* a waiting helper is woken once half the ring is free, not at every slot */
      if (h->prod_wait && h->wr - h->rd <= RA_SLOTS / 2) pthread_cond_broadcast(&h->cv);
    }
  }
  pthread_mutex_unlock(&h->mu);
  return (ssize_t)got;
}

int dicomweb_readahead_running(void) { return atomic_load(&ra_running); }

ssize_t dicomweb_stream_read(struct dw_stream *s, unsigned char *buf, size_t max) {
  if (s->dead) return -1;
  if (!s->ra_tried) {
    s->ra_tried = 1;
    s->ra = ra_start(s);
  }
  ssize_t n = s->ra ? ra_read(s->ra, buf, max) : stream_produce(s, buf, max);
  if (n < 0) {
    s->dead = 1;
    ra_stop(s); /* the helper has stopped at the failure: after the join its fields are ours */
    if (s->fail_where) {
      records_integrity_failure(&s->who, &s->parts[s->fail_part < s->n ? s->fail_part : 0].d, s->fail_where);
      s->fail_where = NULL;
    }
  }
  return n;
}
