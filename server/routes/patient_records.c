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

#include "core/form.h"
#include "core/vocab.h"
#include "core/caregivers.h"
#include "core/cdmedia.h"
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
#include "util/tz.h"

/* Path parameter as a positive id, or 0. */
static long long param_id(struct req *r, const char *name) {
  return form_id(req_param(r, name));
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
  const struct vocab_document *d = vocab_document(k);
  return d ? d->patient : k;
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
  /* a representative uploads the document that gives them authority (core/caregivers.h) */
  struct cg_authority au;
  if (caregivers_authority(a, v.request.patient_id, &au) == ERR_OK && au.state != CGA_NONE) {
    hdf_set_value(hdf, "Records.Represents", "1");
    hdf_set_value(hdf, "Records.AuthorityState", cg_authority_state_words(au.state));
    if (au.state == CGA_REFUSED) hdf_set_value(hdf, "Records.AuthorityReason", au.reason);
  }
  hdf_set_value(hdf, "Records.Summary", v.summary);
  hdf_set_int_value(hdf, "Records.Images", (int)v.images);
  hdf_set_int_value(hdf, "Records.Partial", v.skipped || v.refused || v.failed_uploads);
  hdf_set_value(hdf, "Records.MaxSize", arena_printf(a, "%llu", (unsigned long long)records_max_upload()));
  /* the kinds a patient may upload, in the words of the one vocabulary (core/vocab.h);
   * the authority document only for someone acting for the patient */
  for (size_t i = 0; i < VOCAB_N_DOCUMENTS; i++) {
    hdf_set_value(hdf, arena_printf(a, "UploadKinds.%zu.Key", i), VOCAB_DOCUMENTS[i].key);
    hdf_set_value(hdf, arena_printf(a, "UploadKinds.%zu.Label", i), VOCAB_DOCUMENTS[i].upload);
    if (strcmp(VOCAB_DOCUMENTS[i].key, VOCAB_DOC_AUTHORITY) == 0)
      hdf_set_value(hdf, arena_printf(a, "UploadKinds.%zu.Authority", i), "1");
  }
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
  /* one CD-ready download per study (studies.id), in the order the series list them */
  size_t nst = 0;
  for (size_t i = 0; i < v.n_series; i++) {
    struct series_row *s = &v.series[i];
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++) seen = v.series[j].study_id == s->study_id;
    if (seen) continue;
    snprintf(k, sizeof k, "Records.Studies.%zu.Id", nst);
    hdf_set_value(hdf, k, arena_printf(a, "%lld", s->study_id));
    snprintf(k, sizeof k, "Records.Studies.%zu.Date", nst);
    hdf_set_value(hdf, k, dicom_date(a, s->study_date));
    snprintf(k, sizeof k, "Records.Studies.%zu.Description", nst);
    hdf_set_value(hdf, k, *s->study_description ? s->study_description : "no description");
    nst++;
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
    SET("Created", tz_localize(a, d->created_at, tz_view(), TZ_SHORT));
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
  uint64_t sent;
};

/* MHD pull callback for one document: decrypts record by record (the stored
 * digest was checked over the whole file by records_document_open before the
 * first byte); any failure cuts the connection. */
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

/* ---- the request (or one study) as a CD-ready ZIP, streamed (core/cdmedia.c) ---- */

static ssize_t zip_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  ssize_t n = cdmedia_read(cls, (unsigned char *)buf, max);
  if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return n;
}

static void zip_free(void *cls) { cdmedia_free(cls); }

static void reply_zip(struct req *r, long long study_id) {
  struct actor who = actor_from_req(r);
  long long id = param_id(r, "id");
  struct cd_download *cd = NULL;
  const char *filename = NULL;
  uint64_t total = 0;
  enum err e = id ? cdmedia_open(r->arena, &who, id, study_id, &cd, &filename, &total) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  struct MHD_Response *resp = MHD_create_response_from_callback(total, 64 * 1024, zip_read, cd, zip_free);
  if (!resp) {
    cdmedia_free(cd);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = 200;
  r->resp_bytes = total;
  MHD_add_response_header(resp, "Content-Type", "application/zip");
  MHD_add_response_header(resp, "Content-Disposition", disposition(r->arena, filename));
}

static void request_zip(struct req *r) { reply_zip(r, 0); }

static void study_zip(struct req *r) {
  long long study = param_id(r, "study");
  if (!study) return reply_error(r, ERR_NOT_FOUND, NULL);
  reply_zip(r, study);
}

const struct route patient_records_routes[] = {
    {"GET", "/requests/{id}/records", records_page, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "records"},
    {"GET", "/requests/{id}/records.zip", request_zip, ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0, NULL, "records-zip"},
    {"GET", "/requests/{id}/studies/{study}/records.zip", study_zip, ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0,
     NULL, "study-zip"},
    {"GET", "/requests/{id}/documents/{doc}/download", document_download, ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER, 0, BODY_NONE, 0, NULL,
     "document-download"},
    {"POST", "/requests/{id}/documents/{doc}/delete", document_remove, ROLE_PATIENT, 0, BODY_FORM, 0, NULL,
     "document-delete"},
    {"POST", "/requests/{id}/series/{series}/delete", series_remove, ROLE_PATIENT, 0, BODY_FORM, 0, NULL,
     "series-delete"},
    {0},
};
