/* The patient's records pages (the request workflow, patient_requests.c,
 * owns the list of requests and starting one): a request's records page
 * (receipt, series, documents, warnings, the uploader), removal of a
 * document or series, and downloads (one document, or the whole request as
 * a ZIP streamed on the fly; nothing decrypted ever touches the disk). */
#include <ClearSilver.h>
#include <limits.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/records.h"
#include "dicom/charset.h"
#include "dicom/sopclass.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/tus_parse.h"
#include "routes/identity_view.h"
#include "routes/routes.h"
#include "util/arena.h"
#include "util/log.h"

/* Path parameter as a positive id, or 0. */
static long long param_id(struct req *r, const char *name) {
  const char *s = req_param(r, name);
  uint64_t v;
  if (!s || tus_parse_u64(s, &v) != 0 || v == 0 || v > LLONG_MAX) return 0;
  return (long long)v;
}

/* Human size: "1.4 MB". */
static const char *human_size(struct arena *a, uint64_t n) {
  if (n < 1000) return arena_printf(a, "%llu bytes", (unsigned long long)n);
  if (n < 1000000) return arena_printf(a, "%.1f kB", (double)n / 1e3);
  if (n < 1000000000) return arena_printf(a, "%.1f MB", (double)n / 1e6);
  return arena_printf(a, "%.2f GB", (double)n / 1e9);
}

/* "20240315" or "2024.03.15" → "2024-03-15"; "unknown" when empty. */
static const char *dicom_date(struct arena *a, const char *d) {
  char out[32];
  dicom_date_display(d ? d : "", out, sizeof out);
  return out[0] ? arena_strdup(a, out) : "unknown";
}

/* "Yamada^Tarou=山田^太郎" → "Tarou Yamada (山田 太郎)"; "not given" when empty. */
static const char *dicom_name(struct arena *a, const char *pn) {
  char out[600];
  dicom_pn_display(pn ? pn : "", out, sizeof out);
  return out[0] ? arena_strdup(a, out) : "not given";
}

/* What a DICOM file is, in words: "digital mammogram (for presentation), MG R CC, 60 frames". */
static const char *dicom_detail(struct arena *a, const struct document_row *d) {
  const char *words = sop_class_words(d->sop_class_uid);
  char buf[400];
  size_t l = (size_t)snprintf(buf, sizeof buf, "%s", *words ? words : "DICOM object");
  const char *parts[] = {d->modality, d->laterality, d->view_position};
  int first = 1;
  for (size_t i = 0; i < 3 && l < sizeof buf; i++) {
    if (!parts[i] || !*parts[i]) continue;
    l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s", first ? ", " : " ", parts[i]);
    first = 0;
  }
  if (l < sizeof buf && d->frames > 1) l += (size_t)snprintf(buf + l, sizeof buf - l, ", %ld frames", d->frames);
  const struct sop_class *sc = sop_class_find(d->sop_class_uid);
  if (l < sizeof buf && d->object_kind && strcmp(d->object_kind, "other") == 0 && sc && sc->kind == SOP_IMAGE)
    l += (size_t)snprintf(buf + l, sizeof buf - l, ", no image data"); /* an image class without pixels */
  return arena_strdup(a, buf);
}

static const char *kind_label(const char *k) {
  static const char *const map[][2] = {
      {"images", "Images"},           {"radiology_report", "Radiology report"}, {"pathology_report", "Pathology report"},
      {"authorization", "Signed authorization form (paper)"}, {"photo_id", "Photo ID"},            {"insurance_card", "Insurance card"},
      {"referral", "Referral"},       {"prior_images", "Earlier images"},     {"other", "Other"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i][0], k) == 0) return map[i][1];
  return k;
}

static void records_page(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id");
  struct records_view v;
  enum err e = id ? records_view_load(r->arena, &who, id, &v) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  struct arena *a = r->arena;
  char k[96];
  hdf_set_value(hdf, "Page.Title", arena_printf(a, "Records for request %s", v.request.reference));
  hdf_set_value(hdf, "Page.Name", "records");
  hdf_set_int_value(hdf, "Request.Id", (int)v.request.id);
  hdf_set_value(hdf, "Request.Reference", v.request.reference);
  hdf_set_value(hdf, "Request.Status", v.request.status);
  hdf_set_int_value(hdf, "Request.Editable", v.editable);
  hdf_set_int_value(hdf, "Request.Uploadable", v.uploadable);
  hdf_set_value(hdf, "Records.Summary", v.summary);
  hdf_set_int_value(hdf, "Records.Images", (int)v.images);
  hdf_set_int_value(hdf, "Records.Partial", v.skipped || v.refused || v.failed_uploads);
  hdf_set_value(hdf, "Records.MaxSize", arena_printf(a, "%llu", (unsigned long long)records_max_upload()));
  identity_view_hdf(hdf, a, &v.identity);
  for (size_t i = 0; i < v.n_warnings; i++) {
    snprintf(k, sizeof k, "Records.Warnings.%zu", i);
    hdf_set_value(hdf, k, v.warnings[i]);
  }
  for (size_t i = 0; i < v.n_series; i++) {
    struct series_row *s = &v.series[i];
#define SET(field, val)                                         \
  do {                                                          \
    snprintf(k, sizeof k, "Records.Series.%zu." field, i);      \
    hdf_set_value(hdf, k, val);                                 \
  } while (0)
    SET("Id", arena_printf(a, "%lld", s->id));
    SET("Description", *s->description ? s->description : (*s->study_description ? s->study_description : "(no description)"));
    SET("Modality", *s->modality ? s->modality : "unknown");
    SET("Date", dicom_date(a, s->study_date));
    SET("Images", arena_printf(a, "%lld", s->images));
    /* the patient(s) this series' own files name, not the study's first file */
    const char *names = "", *births = "";
    enum identity_verdict worst;
    identity_view_people(a, &v.identity, s->study_id, s->id, dicom_name, dicom_date, &names, &births, &worst);
    SET("PatientName", *names ? names : dicom_name(a, s->patient_name));
    SET("BirthDate", *births ? births : dicom_date(a, s->patient_birth_date));
    SET("Identity", identity_verdict_name(worst));
    SET("Views", *s->views ? s->views : "none recorded");
#undef SET
  }
  size_t nd = 0, ns = 0;
  for (size_t i = 0; i < v.n_documents; i++) {
    struct document_row *d = &v.documents[i];
    const char *base = d->skipped ? "Records.Skipped" : "Records.Documents";
    size_t idx = d->skipped ? ns++ : nd++;
#define SET(field, val)                                               \
  do {                                                                \
    snprintf(k, sizeof k, "%s.%zu." field, base, idx);                \
    hdf_set_value(hdf, k, val);                                       \
  } while (0)
    SET("Id", arena_printf(a, "%lld", d->id));
    SET("Name", d->original_name);
    SET("Type", d->sniffed_type);
    SET("Kind", kind_label(d->kind));
    SET("Size", human_size(a, d->size));
    SET("Reason", d->skip_reason);
    SET("Refused", d->refused ? "1" : "0");
    SET("Created", d->created_at);
    if (!d->skipped && strcmp(d->sniffed_type, "dicom") == 0) {
      SET("Detail", dicom_detail(a, d));
      if (d->pixel_incomplete) SET("Incomplete", "1");
    }
#undef SET
  }
  for (size_t i = 0; i < v.n_receipts; i++) {
    snprintf(k, sizeof k, "Records.Receipts.%zu", i);
    hdf_set_value(hdf, k, v.receipts[i].message);
  }
  size_t np = 0, nf = 0;
  for (size_t i = 0; i < v.n_pending; i++) {
    struct upload_row *u = &v.pending[i];
    if (strcmp(u->state, "failed") == 0) {
      if (u->virus_name && *u->virus_name) continue; /* quarantined: its own warning, not "upload it again" */
      snprintf(k, sizeof k, "Records.Failed.%zu.Name", nf);
      hdf_set_value(hdf, k, u->filename);
      snprintf(k, sizeof k, "Records.Failed.%zu.Reason", nf);
      hdf_set_value(hdf, k, *u->failure ? u->failure : "it did not finish correctly");
      nf++;
      continue;
    }
    int checking = strcmp(u->state, "checking") == 0 || strcmp(u->state, "finalizing") == 0;
    snprintf(k, sizeof k, "Records.Pending.%zu.Name", np);
    hdf_set_value(hdf, k, u->filename);
    snprintf(k, sizeof k, "Records.Pending.%zu.Checking", np);
    hdf_set_value(hdf, k, checking ? "1" : "0");
    snprintf(k, sizeof k, "Records.Pending.%zu.State", np);
    hdf_set_value(hdf, k,
                  checking ? "received, being checked…"
                  : u->scan_pending ? "received; waiting for the virus check before it is added"
                           : arena_printf(a, "%s of %s received", human_size(a, u->offset), human_size(a, u->length)));
    np++;
  }
  hdf_set_value(hdf, "Records.Checking", v.checking ? "1" : "0");
  reply_page(r, 200, "records.cs");
}

static void document_remove(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id"), doc = param_id(r, "doc");
  enum err e = id && doc ? records_document_delete(&who, id, doc) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, e == ERR_CONFLICT ? "This request has been submitted: its records can no longer be changed." : NULL);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/records", id));
}

static void series_remove(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id"), sid = param_id(r, "series");
  enum err e = id && sid ? records_series_delete(&who, id, sid) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, e == ERR_CONFLICT ? "This request has been submitted: its records can no longer be changed." : NULL);
  reply_redirect(r, arena_printf(r->arena, "/requests/%lld/records", id));
}

/* Content-Disposition: attachment with an ASCII fallback and the UTF-8 name. */
static const char *disposition(struct arena *a, const char *name) {
  const char *b = strrchr(name, '/');
  b = b ? b + 1 : name;
  if (!*b) b = "document";
  size_t n = strlen(b);
  char *ascii = arena_alloc(a, n + 1), *pct = arena_alloc(a, 3 * n + 1);
  if (!ascii || !pct) return "attachment";
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    ascii[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ';' || c == '%') ? '_' : (char)c;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
      pct[o++] = (char)c;
    } else {
      static const char hx[] = "0123456789ABCDEF";
      pct[o++] = '%';
      pct[o++] = hx[c >> 4];
      pct[o++] = hx[c & 15];
    }
  }
  ascii[n] = '\0';
  pct[o] = '\0';
  return arena_printf(a, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, pct);
}

struct doc_stream {
  struct blob_reader *r;
  struct document_row d;
  struct actor who;
  char ip[48], rid[40];
  crypto_generichash_state gh;
  uint64_t sent;
};

/* MHD pull callback for one document: decrypts record by record and checks
 * the digest at the end; any failure cuts the connection. */
static ssize_t doc_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  struct doc_stream *s = cls;
  char err[128];
  ssize_t n = blob_reader_read(s->r, buf, max, err, sizeof err);
  if (n < 0) {
    records_integrity_failure(&s->who, &s->d, "download-stream");
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  crypto_generichash_update(&s->gh, (unsigned char *)buf, (size_t)n);
  s->sent += (uint64_t)n;
  return n;
}

static void doc_free(void *cls) {
  struct doc_stream *s = cls;
  blob_reader_close(s->r);
  sodium_memzero(s, sizeof *s);
  free(s);
}

static void document_download(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id"), doc = param_id(r, "doc");
  struct document_row d;
  const char *ctype;
  struct blob_reader *reader = NULL;
  enum err e = id && doc ? records_document_open(r->arena, &who, id, doc, &d, &ctype, &reader) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  struct doc_stream *s = calloc(1, sizeof *s);
  if (!s) {
    blob_reader_close(reader);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  s->r = reader;
  s->d = d;
  s->d.original_name = s->d.blake2b = NULL; /* arena strings: not used after the handler */
  s->who = who;
  snprintf(s->ip, sizeof s->ip, "%s", who.ip ? who.ip : "");
  snprintf(s->rid, sizeof s->rid, "%s", who.request_id ? who.request_id : "");
  s->who.ip = s->ip;
  s->who.request_id = s->rid;
  crypto_generichash_init(&s->gh, NULL, 0, 32);
  struct MHD_Response *resp = MHD_create_response_from_callback(d.size, 64 * 1024, doc_read, s, doc_free);
  if (!resp) {
    doc_free(s);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = 200;
  r->resp_bytes = d.size;
  MHD_add_response_header(resp, "Content-Type", ctype);
  MHD_add_response_header(resp, "Content-Disposition", disposition(r->arena, d.original_name));
  MHD_add_response_header(resp, "Content-Security-Policy", "sandbox");
}

/* ---- the whole request as a ZIP, streamed (stored entries, data descriptors) ---- */

struct zip_entry {
  char name[300];
  char blake[65];
  struct document_row d;
  uint32_t crc;
  uint64_t offset;
};

struct zip_stream {
  struct zip_entry *e;
  size_t n, cur;
  int phase; /* 0 header, 1 data, 2 descriptor, 3 central, 4 end, 5 done */
  size_t central_i;
  uint64_t pos, central_start;
  struct blob_reader *r;
  crypto_generichash_state gh;
  uint64_t entry_bytes;
  unsigned char out[64 * 1024 + 512];
  size_t out_len, out_off;
  struct actor who;
  char ip[48], rid[40];
};

static void put16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}

/* Fills z->out with the next piece. 0, 1 at the end, -1 on failure. */
static int zip_next(struct zip_stream *z) {
  z->out_len = z->out_off = 0;
  char err[128];
  for (;;) {
    if (z->phase == 0) {
      if (z->cur >= z->n) {
        z->phase = 3;
        z->central_start = z->pos;
        continue;
      }
      struct zip_entry *e = &z->e[z->cur];
      e->offset = z->pos;
      size_t nl = strlen(e->name);
      unsigned char *p = z->out;
      memset(p, 0, 30);
      put32(p, 0x04034b50);
      put16(p + 4, 20);
      put16(p + 6, 0x0808); /* data descriptor, UTF-8 names */
      memcpy(p + 30, e->name, nl);
      put16(p + 26, (unsigned)nl);
      z->out_len = 30 + nl;
      if (records_document_reader(&e->d, &z->r) != 0) {
        records_integrity_failure(&z->who, &e->d, "zip-open");
        return -1;
      }
      crypto_generichash_init(&z->gh, NULL, 0, 32);
      e->crc = (uint32_t)crc32(0L, Z_NULL, 0);
      z->entry_bytes = 0;
      z->phase = 1;
      return 0;
    }
    if (z->phase == 1) {
      struct zip_entry *e = &z->e[z->cur];
      ssize_t n = blob_reader_read(z->r, z->out, 64 * 1024, err, sizeof err);
      if (n < 0) {
        records_integrity_failure(&z->who, &e->d, "zip-stream");
        return -1;
      }
      if (n == 0) {
        unsigned char dig[32];
        char hx[65];
        crypto_generichash_final(&z->gh, dig, sizeof dig);
        sodium_bin2hex(hx, sizeof hx, dig, sizeof dig);
        blob_reader_close(z->r);
        z->r = NULL;
        if (z->entry_bytes != e->d.size || strcmp(hx, e->blake) != 0) {
          records_integrity_failure(&z->who, &e->d, "zip-digest");
          return -1;
        }
        z->phase = 2;
        continue;
      }
      crypto_generichash_update(&z->gh, z->out, (size_t)n);
      e->crc = (uint32_t)crc32(e->crc, z->out, (uInt)n);
      z->entry_bytes += (uint64_t)n;
      z->out_len = (size_t)n;
      return 0;
    }
    if (z->phase == 2) {
      struct zip_entry *e = &z->e[z->cur];
      put32(z->out, 0x08074b50);
      put32(z->out + 4, e->crc);
      put32(z->out + 8, (uint32_t)e->d.size);
      put32(z->out + 12, (uint32_t)e->d.size);
      z->out_len = 16;
      z->cur++;
      z->phase = 0;
      return 0;
    }
    if (z->phase == 3) {
      if (z->central_i >= z->n) {
        z->phase = 4;
        continue;
      }
      struct zip_entry *e = &z->e[z->central_i++];
      size_t nl = strlen(e->name);
      unsigned char *p = z->out;
      memset(p, 0, 46);
      put32(p, 0x02014b50);
      put16(p + 4, 0x031e); /* made by: unix, 3.0 */
      put16(p + 6, 20);
      put16(p + 8, 0x0808);
      put32(p + 16, e->crc);
      put32(p + 20, (uint32_t)e->d.size);
      put32(p + 24, (uint32_t)e->d.size);
      put16(p + 28, (unsigned)nl);
      put32(p + 38, (uint32_t)0100600 << 16);
      put32(p + 42, (uint32_t)e->offset);
      memcpy(p + 46, e->name, nl);
      z->out_len = 46 + nl;
      return 0;
    }
    if (z->phase == 4) {
      unsigned char *p = z->out;
      memset(p, 0, 22);
      put32(p, 0x06054b50);
      put16(p + 8, (unsigned)z->n);
      put16(p + 10, (unsigned)z->n);
      put32(p + 12, (uint32_t)(z->pos - z->central_start));
      put32(p + 16, (uint32_t)z->central_start);
      z->out_len = 22;
      z->phase = 5;
      return 0;
    }
    return 1;
  }
}

static ssize_t zip_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  struct zip_stream *z = cls;
  if (z->out_off == z->out_len) {
    int rc = zip_next(z);
    if (rc < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (rc > 0) return MHD_CONTENT_READER_END_OF_STREAM;
  }
  size_t n = z->out_len - z->out_off;
  if (n > max) n = max;
  memcpy(buf, z->out + z->out_off, n);
  z->out_off += n;
  z->pos += n;
  return (ssize_t)n;
}

static void zip_free(void *cls) {
  struct zip_stream *z = cls;
  blob_reader_close(z->r);
  free(z->e);
  sodium_memzero(z, sizeof *z);
  free(z);
}

/* A safe entry name: the reference, a number and the base name. */
static void zip_name(char *out, size_t cap, const char *ref, size_t i, const struct document_row *d) {
  const char *b = strrchr(d->original_name, '/');
  b = b ? b + 1 : d->original_name;
  char clean[260];
  size_t o = 0;
  for (const char *p = b; *p && o < sizeof clean - 1; p++) clean[o++] = (*p == '\\' || *p == ':') ? '_' : *p;
  clean[o] = '\0';
  if (clean[0] == '.' || !clean[0]) snprintf(clean, sizeof clean, "file");
  const char *folder = strcmp(d->sniffed_type, "dicom") == 0 ? "images" : "documents";
  int n = snprintf(out, cap, "%s/%s/%04zu-%s", ref, folder, i + 1, clean);
  if (n < 0 || (size_t)n >= cap) snprintf(out, cap, "%s/%s/%04zu", ref, folder, i + 1);
}

static void request_zip(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id");
  struct request_row rq;
  struct document_row *docs;
  size_t n;
  enum err e = id ? records_zip_open(r->arena, &who, id, &rq, &docs, &n) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  uint64_t total = 22;
  for (size_t i = 0; i < n; i++)
    if (docs[i].size >= 0xffffffffu || n >= 0xffff) return reply_error(r, ERR_TOO_LARGE, "This request is too large for one ZIP file; please download the documents one by one.");
  struct zip_stream *z = calloc(1, sizeof *z);
  struct zip_entry *ents = calloc(n + 1, sizeof *ents);
  if (!z || !ents) {
    free(z);
    free(ents);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  for (size_t i = 0; i < n; i++) {
    zip_name(ents[i].name, sizeof ents[i].name, rq.reference, i, &docs[i]);
    ents[i].d = docs[i];
    /* keep only what the stream needs beyond the arena's life */
    static char empty[] = "";
    snprintf(ents[i].blake, sizeof ents[i].blake, "%s", docs[i].blake2b);
    ents[i].d.original_name = ents[i].d.blake2b = empty;
    ents[i].d.sniffed_type = empty;
    size_t nl = strlen(ents[i].name);
    total += 30 + nl + docs[i].size + 16 + 46 + nl;
  }
  z->e = ents;
  z->n = n;
  z->who = who;
  snprintf(z->ip, sizeof z->ip, "%s", who.ip ? who.ip : "");
  snprintf(z->rid, sizeof z->rid, "%s", who.request_id ? who.request_id : "");
  z->who.ip = z->ip;
  z->who.request_id = z->rid;
  if (total >= 0xffffffffu) {
    zip_free(z);
    return reply_error(r, ERR_TOO_LARGE, "This request is too large for one ZIP file; please download the documents one by one.");
  }
  struct MHD_Response *resp = MHD_create_response_from_callback(total, 64 * 1024, zip_read, z, zip_free);
  if (!resp) {
    zip_free(z);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = 200;
  r->resp_bytes = total;
  MHD_add_response_header(resp, "Content-Type", "application/zip");
  MHD_add_response_header(resp, "Content-Disposition",
                          disposition(r->arena, arena_printf(r->arena, "%s-records.zip", rq.reference)));
}

const struct route patient_records_routes[] = {
    {"GET", "/requests/{id}/records", records_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "records"},
    {"GET", "/requests/{id}/records.zip", request_zip, ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0, NULL, "records-zip"},
    {"GET", "/requests/{id}/documents/{doc}/download", document_download, ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0, NULL,
     "document-download"},
    {"POST", "/requests/{id}/documents/{doc}/delete", document_remove, ROLE_PATIENT, 0, BODY_FORM, 0, NULL,
     "document-delete"},
    {"POST", "/requests/{id}/series/{series}/delete", series_remove, ROLE_PATIENT, 0, BODY_FORM, 0, NULL,
     "series-delete"},
    {0},
};
