/* The viewer's domain: image metadata, the images listing with its audit, renditions. */
#include "core/viewer.h"

#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/center.h"
#include "core/jobs.h"
#include "core/records.h"
#include "core/render.h"
#include "core/requests.h"
#include "dicom/dicom.h"
#include "store/blobstore.h"
#include "store/db.h"
#include "store/renditions.h"
#include "store/uploads.h"
#include "util/decimal.h"
#include "util/arena.h"
#include "util/log.h"
#ifdef SECONDOP_TEST_HOOKS
#include "util/testhold.h"
#endif

/* ---- metadata ---- */

/* "R", "L", "B" or "". */
static const char *laterality(const char *l) {
  if (!strcmp(l, "R") || !strcmp(l, "L") || !strcmp(l, "B")) return l;
  return "";
}

/* Patient Orientation "P\L" as ["P", "L"]; null unless exactly two non-empty values. */
static json_t *orientation(const char *po) {
  const char *bs = strchr(po, '\\');
  if (!bs || bs == po || !bs[1] || strchr(bs + 1, '\\')) return json_null();
  char row[32], col[32];
  size_t rl = (size_t)(bs - po), cl = strlen(bs + 1);
  if (rl >= sizeof row || cl >= sizeof col) return json_null();
  memcpy(row, po, rl);
  row[rl] = '\0';
  memcpy(col, bs + 1, cl + 1);
  for (const char *s = po; *s; s++)
    if (!strchr("ARPLHFS\\", *s)) return json_null();
  return json_pack("[s,s]", row, col);
}

static const char *voi_function(const char *f) {
  if (!strcmp(f, "LINEAR_EXACT") || !strcmp(f, "SIGMOID")) return f;
  return "LINEAR";
}

char *viewer_image_info(struct arena *a, const struct dicom_info *di) {
  json_t *j = json_object();
  json_t *windows = json_array();
  char *out = NULL;
  if (!j || !windows) goto done;
  for (int i = 0; i < di->window_count && i < DICOM_MAX_WINDOWS; i++) {
    if (!(di->window_width[i] > 0)) continue;
    json_array_append_new(windows, json_pack("{s:f,s:f,s:s}", "center", di->window_center[i], "width",
                                             di->window_width[i], "explanation", di->window_explanation[i]));
  }
  json_t *spacing = json_null(), *source = json_null();
  if (di->has_pixel_spacing && di->pixel_spacing[0] > 0 && di->pixel_spacing[1] > 0) {
    spacing = json_pack("[f,f]", di->pixel_spacing[0], di->pixel_spacing[1]);
    source = json_string("Pixel Spacing");
  } else if (di->has_imager_pixel_spacing && di->imager_pixel_spacing[0] > 0 && di->imager_pixel_spacing[1] > 0) {
    spacing = json_pack("[f,f]", di->imager_pixel_spacing[0], di->imager_pixel_spacing[1]);
    source = json_string("Imager Pixel Spacing");
  }
  unsigned bits_stored = di->has_bits_stored ? di->bits_stored : di->bits_allocated;
  json_object_set_new(j, "laterality", json_string(laterality(di->laterality)));
  json_object_set_new(j, "view", json_string(dicom_mammo_view(di)));
  json_object_set_new(j, "orientation", orientation(di->patient_orientation));
  json_object_set_new(j, "rows", json_integer(di->rows));
  json_object_set_new(j, "columns", json_integer(di->columns));
  json_object_set_new(j, "frames", json_integer(dicom_frames(di)));
  json_object_set_new(j, "samples", json_integer(di->samples_per_pixel ? di->samples_per_pixel : 1));
  json_object_set_new(j, "bits_allocated", json_integer(di->bits_allocated));
  json_object_set_new(j, "bits_stored", json_integer(bits_stored));
  json_object_set_new(j, "signed", json_boolean(di->pixel_representation == 1));
  /* colour frames are always served as RGB (YBR is converted when decoding) */
  json_object_set_new(j, "photometric", json_string(di->samples_per_pixel == 3 ? "RGB" : di->photometric));
  json_object_set_new(j, "spacing_mm", spacing ? spacing : json_null());
  json_object_set_new(j, "spacing_source", source ? source : json_null());
  json_object_set_new(j, "rescale", di->has_rescale ? json_pack("[f,f]", di->rescale_slope, di->rescale_intercept)
                                                    : json_pack("[f,f]", 1.0, 0.0));
  json_object_set_new(j, "windows", windows);
  windows = NULL;
  json_object_set_new(j, "voi_function", json_string(voi_function(di->voi_lut_function)));
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  if (s) {
    out = arena_strdup(a, s);
    free(s);
  }
done:
  json_decref(windows);
  json_decref(j);
  return out;
}

/* ---- queueing ---- */

enum err viewer_queue_render(long long doc_id, long long patient_id) {
  int added = 0;
  enum err e = renditions_begin(doc_id, &added);
  if (e != ERR_OK || !added) return e;
  char payload[32];
  snprintf(payload, sizeof payload, "%lld", doc_id);
  return jobs_enqueue("render", payload, patient_id);
}

struct requeue_ctx {
  long long doc, patient;
  int reset; /* a ready row whose blob is gone goes back to preparing first */
};

static enum err requeue_tx(void *p) {
  struct requeue_ctx *c = p;
  if (c->reset) {
    int reset = 0;
    enum err e = renditions_reset(c->doc, &reset);
    if (e != ERR_OK) return e;
    if (reset) {
      char payload[32];
      snprintf(payload, sizeof payload, "%lld", c->doc);
      return jobs_enqueue("render", payload, c->patient);
    }
    return ERR_OK;
  }
  return viewer_queue_render(c->doc, c->patient);
}

/* Queues a rendition outside any transaction; wakes a worker. */
static enum err requeue(long long doc, long long patient, int reset) {
  struct requeue_ctx c = {doc, patient, reset};
  enum err e = db_tx(requeue_tx, &c);
  if (e == ERR_OK) jobs_kick();
  return e;
}

/* ---- listing ---- */

/* 20261102 -> 2026-11-02; anything else as it is. */
static const char *iso_date(struct arena *a, const char *d) {
  if (strlen(d) == 8 && strspn(d, "0123456789") == 8) return arena_printf(a, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
  return d;
}

static const struct rendition_row *find_rendition(const struct rendition_row *r, size_t n, long long doc) {
  for (size_t i = 0; i < n; i++)
    if (r[i].document_id == doc) return &r[i];
  return NULL;
}

/* One image of the listing: the stored metadata with the document's own and the state. */
static json_t *image_json(const struct document_row *d, const struct rendition_row *rn, int *queue) {
  json_t *j = NULL;
  if (d->image_info && d->image_info[0]) j = json_loads(d->image_info, 0, NULL);
  if (!j || !json_is_object(j)) {
    /* a row from before the viewer: what the document row knows; the render job fills in the rest */
    json_decref(j);
    j = json_pack("{s:s,s:s,s:n,s:i,s:i,s:i,s:i,s:i,s:i,s:b,s:s,s:n,s:n,s:[f,f],s:[],s:s}", "laterality",
                  laterality(d->laterality ? d->laterality : ""), "view", "", "orientation", "rows", (int)d->rows,
                  "columns", (int)d->columns, "frames", (int)d->frames, "samples", 1, "bits_allocated", 0,
                  "bits_stored", 0, "signed", 0, "photometric", "", "spacing_mm", "spacing_source", "rescale", 1.0,
                  0.0, "windows", "voi_function", "LINEAR");
    if (!j) return NULL;
    static const char *const positions[] = {"CC", "MLO", "ML", "LM", "XCCL"};
    for (size_t i = 0; d->view_position && i < sizeof positions / sizeof positions[0]; i++)
      if (!strcmp(d->view_position, positions[i])) json_object_set_new(j, "view", json_string(positions[i]));
  }
  const char *lat = json_string_value(json_object_get(j, "laterality"));
  const char *view = json_string_value(json_object_get(j, "view"));
  char label[32] = "";
  if (view && view[0]) snprintf(label, sizeof label, "%s%s", lat ? lat : "", view);
  json_object_set_new(j, "document", json_integer(d->id));
  json_object_set_new(j, "name", json_string(d->original_name ? d->original_name : ""));
  json_object_set_new(j, "label", json_string(label));
  const char *state = "preparing";
  json_t *why = json_null();
  if (rn && !strcmp(rn->state, "ready")) {
    state = "ready";
  } else if (rn && !strcmp(rn->state, "not_decodable")) {
    state = "not_decodable";
    json_decref(why);
    why = json_string(rn->why && rn->why[0] ? rn->why : "This image cannot be shown here.");
  } else if (!rn) {
    *queue = 1;
  }
  json_object_set_new(j, "state", json_string(state));
  json_object_set_new(j, "why", why);
  return j;
}

enum err viewer_images(struct arena *a, const struct actor *who, long long request_id, json_t **out) {
  *out = NULL;
  struct request_row rq;
  enum err e = records_request_open(a, who, request_id, &rq);
  if (e != ERR_OK) return e;
  struct series_row *se;
  size_t ns;
  struct document_row *docs;
  size_t nd;
  struct rendition_row *rn;
  size_t nr;
  if ((e = series_list(a, request_id, &se, &ns)) != ERR_OK) return e;
  if ((e = documents_list(a, request_id, &docs, &nd)) != ERR_OK) return e;
  if ((e = renditions_list(a, request_id, &rn, &nr)) != ERR_OK) return e;
  bool notice = true; /* the center's setting (/admin/center); shown when it cannot be read */
  if (center_viewer_notice(a, &notice) != ERR_OK) notice = true;
  json_t *root = json_pack("{s:I,s:b,s:[]}", "request", (json_int_t)request_id, "notice", notice ? 1 : 0, "studies");
  if (!root) return ERR_INTERNAL;
  json_t *studies = json_object_get(root, "studies");
  const char *newest = NULL; /* series come newest study date first */
  for (size_t i = 0; i < ns; i++)
    if (se[i].study_date && se[i].study_date[0] && (!newest || strcmp(se[i].study_date, newest) > 0))
      newest = se[i].study_date;
  long long *queue = arena_alloc(a, (nd + 1) * sizeof *queue);
  size_t nq = 0;
  if (!queue) goto fail;
  json_t *study = NULL;
  long long study_id = 0;
  for (size_t i = 0; i < ns; i++) {
    json_t *images = json_array();
    if (!images) goto fail;
    for (size_t k = 0; k < nd; k++) {
      const struct document_row *d = &docs[k];
      if (d->series_id != se[i].id || d->skipped || !d->has_file || !d->object_kind || strcmp(d->object_kind, "image"))
        continue;
      int q = 0;
      json_t *im = image_json(d, find_rendition(rn, nr, d->id), &q);
      if (!im) {
        json_decref(images);
        goto fail;
      }
      json_array_append_new(images, im);
      if (q) queue[nq++] = d->id;
    }
    if (json_array_size(images) == 0) {
      json_decref(images);
      continue;
    }
    if (!study || study_id != se[i].study_id) {
      const char *date = se[i].study_date ? se[i].study_date : "";
      int current = newest ? strcmp(date, newest) == 0 : study == NULL;
      study = json_pack("{s:I,s:s,s:s,s:b,s:[]}", "id", (json_int_t)se[i].study_id, "date", iso_date(a, date),
                        "description", se[i].study_description ? se[i].study_description : "", "current", current,
                        "series");
      if (!study) {
        json_decref(images);
        goto fail;
      }
      json_array_append_new(studies, study);
      study_id = se[i].study_id;
    }
    json_t *series = json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)se[i].id, "description",
                               se[i].description ? se[i].description : "", "modality",
                               se[i].modality ? se[i].modality : "", "images", images);
    if (!series) goto fail;
    json_array_append_new(json_object_get(study, "series"), series);
  }
  /* opening the study: one audit row per study returned */
  size_t k;
  json_t *st;
  json_array_foreach(studies, k, st) {
    char oid[32];
    snprintf(oid, sizeof oid, "%lld", (long long)json_integer_value(json_object_get(st, "id")));
    /* the patient's "who opened my records" says "viewed your mammogram of 2 November 2026" */
    int mammo = 0;
    size_t si;
    json_t *sr;
    json_array_foreach(json_object_get(st, "series"), si, sr) {
      const char *mod = json_string_value(json_object_get(sr, "modality"));
      mammo |= mod && !strcmp(mod, "MG");
    }
    json_t *det = json_pack("{s:I,s:O,s:b}", "request", (json_int_t)request_id, "date", json_object_get(st, "date"),
                            "mammogram", mammo);
    char *dj = det ? json_dumps(det, JSON_COMPACT) : NULL;
    json_decref(det);
    struct audit_event ev = {"study.view", "study", oid, rq.patient_id, "ok", dj};
    e = audit_write(who, &ev);
    free(dj);
    if (e != ERR_OK) {
      json_decref(root);
      return e; /* no unaudited reads of patient data */
    }
  }
  for (size_t q = 0; q < nq; q++)
    if (requeue(queue[q], rq.patient_id, 0) != ERR_OK) LOG_W("document %lld: rendition not queued", queue[q]);
  *out = root;
  return ERR_OK;
fail:
  json_decref(root);
  return ERR_INTERNAL;
}

/* ---- renditions ---- */

enum err viewer_rendition_open(struct arena *a, const struct actor *who, long long request_id, long long doc,
                               long frame, struct viewer_rendition *out) {
  memset(out, 0, sizeof *out);
  long long patient = 0;
  enum err e = requests_access_view_unaudited(who, request_id, &patient);
  if (e != ERR_OK) return e;
  struct document_row d;
  e = documents_get(a, doc, &d);
  if (e != ERR_OK) return e;
  if (d.request_id != request_id || !d.has_file || d.skipped || !d.object_kind || strcmp(d.object_kind, "image"))
    return ERR_NOT_FOUND;
  if (frame >= 0 && d.frames > 0 && frame >= d.frames) return ERR_NOT_FOUND;
  struct rendition_row rn;
  e = renditions_get(a, doc, &rn);
  if (e == ERR_NOT_FOUND) {
    out->state = VIEWER_PREPARING;
    return requeue(doc, patient, 0);
  }
  if (e != ERR_OK) return e;
  if (!strcmp(rn.state, "not_decodable")) {
    out->state = VIEWER_NOT_DECODABLE;
    out->why = rn.why[0] ? rn.why : "This image cannot be shown here.";
    return ERR_OK;
  }
  if (strcmp(rn.state, "ready") != 0) {
    out->state = VIEWER_PREPARING;
    return ERR_OK;
  }
  if (frame >= rn.frame_count) return ERR_NOT_FOUND;
  const struct rendition_blob *b = frame < 0 ? &rn.preview : &rn.frames;
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  int rc = -1;
  if (b->present && blobstore_unwrap(b->id, b->wrapped, sizeof b->wrapped, b->kek_version, dek) == 0) {
    rc = blobstore_open(b->id, dek, &out->reader, err, sizeof err);
    sodium_memzero(dek, sizeof dek);
  }
  if (rc != 0) {
    /* the blob is gone: prepare it again */
    LOG_W("document %lld: rendition blob missing; preparing it again", doc);
    out->reader = NULL;
    out->state = VIEWER_PREPARING;
    return requeue(doc, patient, 1);
  }
  uint64_t off = frame < 0 ? 0 : (uint64_t)frame * rn.frame_bytes;
  out->length = frame < 0 ? b->size : rn.frame_bytes;
  if (blob_reader_size(out->reader) < off + out->length || blob_reader_seek(out->reader, off, err, sizeof err) != 0) {
    blob_reader_close(out->reader);
    out->reader = NULL;
    LOG_E("document %lld: rendition blob shorter than recorded", doc);
    return ERR_INTERNAL;
  }
  out->state = VIEWER_READY;
  out->rows = rn.rows;
  out->columns = rn.columns;
  out->samples = rn.samples;
  out->bytes_per_sample = rn.bytes_per_sample;
  return ERR_OK;
}

void viewer_delete_blobs(const unsigned char (*ids)[BLOB_ID_LEN], size_t n) {
  for (size_t i = 0; i < n; i++) {
    long long refs = 1;
    if (renditions_blob_refs(ids[i], &refs) == ERR_OK && refs == 0) blobstore_delete(ids[i]);
  }
}

/* ---- the render job ---- */

struct job_io {
  struct blob_reader *src;
  struct blob_writer *fw, *pw;
  struct render_info info;
  uint64_t frames_size, preview_size;
  json_t *luts; /* {"modality_lut": {...}, "voi_luts": [...]} as the child sent them */
};

static int job_read_at(void *ctx, uint64_t off, void *dst, size_t n) {
  struct job_io *j = ctx;
  char err[128];
  if (blob_reader_seek(j->src, off, err, sizeof err) != 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t k = blob_reader_read(j->src, (unsigned char *)dst + got, n - got, err, sizeof err);
    if (k <= 0) return -1;
    got += (size_t)k;
  }
  return 0;
}
static int job_info(void *ctx, const struct render_info *i) {
  struct job_io *j = ctx;
  j->info = *i;
  return blobstore_space_check(i->frame_bytes * (uint64_t)i->frames) == ERR_OK ? 0 : -1;
}
static int job_frames(void *ctx, const void *p, size_t n) {
  struct job_io *j = ctx;
  char err[128];
  j->frames_size += n;
  return blob_writer_append(j->fw, p, n, err, sizeof err) == 0 ? 0 : -1;
}
static int job_preview(void *ctx, const void *p, size_t n) {
  struct job_io *j = ctx;
  char err[128];
  j->preview_size += n;
  return blob_writer_append(j->pw, p, n, err, sizeof err) == 0 ? 0 : -1;
}

/* The file's lookup tables go to the viewer with its metadata (viewer_lut.js applies them). */
static int job_lut(void *ctx, const struct render_lut *l) {
  struct job_io *j = ctx;
  if (!j->luts && !(j->luts = json_pack("{s:n,s:[]}", "modality_lut", "voi_luts"))) return -1;
  json_t *t = json_array();
  json_t *o = t ? json_pack("{s:i,s:i,s:s,s:o}", "first", l->first, "bits", (int)l->bits, "explanation",
                            l->explanation, "table", t)
                : NULL;
  if (!o) return -1;
  for (unsigned i = 0; i < l->entries; i++)
    if (json_array_append_new(t, json_integer(l->table[i])) != 0) {
      json_decref(o);
      return -1;
    }
  if (l->voi) return json_array_append_new(json_object_get(j->luts, "voi_luts"), o) == 0 ? 0 : -1;
  return json_object_set_new(j->luts, "modality_lut", o) == 0 ? 0 : -1;
}

/* A new sealed blob: identity and a writer on its staging file. 0 or -1. */
static int new_blob(struct rendition_blob *b, struct blob_writer **w) {
  unsigned char dek[BLOB_DEK_LEN];
  char err[200];
  int rc = -1;
  if (blobstore_new_file(b->id, dek, b->wrapped, &b->kek_version) == 0 &&
      blobstore_put_begin(b->id, dek, w, err, sizeof err) == 0)
    rc = 0;
  sodium_memzero(dek, sizeof dek);
  return rc;
}

/* Rows from before the viewer: their metadata is read from the header now, as intake would have
 * (our own header reader, the same that runs at intake; pixel data is never touched here). */
static void fill_image_info(struct arena *a, const struct document_row *d, struct blob_reader *r) {
  size_t cap = d->size < ((uint64_t)1 << 20) ? (size_t)d->size : (size_t)1 << 20;
  unsigned char *buf = NULL;
  struct dicom_info *di = calloc(1, sizeof *di);
  struct job_io j = {.src = r};
  while (di && cap) {
    unsigned char *nb = realloc(buf, cap);
    if (!nb || job_read_at(&j, 0, nb, cap) != 0) {
      if (nb) buf = nb;
      break;
    }
    buf = nb;
    enum dicom_rc rc = dicom_parse(buf, cap, cap == d->size, di, NULL, 0);
    if (rc == DICOM_OK) {
      char *info = viewer_image_info(a, di);
      if (info && documents_set_image_info(d->id, info) != ERR_OK) LOG_W("document %lld: metadata not stored", d->id);
      break;
    }
    if (rc != DICOM_NEED_MORE || cap >= d->size || cap >= DICOM_HEADER_BUDGET) break;
    cap = cap * 4 > DICOM_HEADER_BUDGET ? DICOM_HEADER_BUDGET : cap * 4;
    if (cap > d->size) cap = (size_t)d->size;
  }
  if (buf) sodium_memzero(buf, cap);
  free(buf);
  free(di);
}

static enum job_result render_job_run(const char *payload, long long patient_id, char *why, size_t whylen) {
  (void)patient_id;
  uint64_t v;
  if (!payload || decimal_u64(payload, &v) != 0 || v == 0 || v > LLONG_MAX) {
    snprintf(why, whylen, "bad payload");
    return JOB_FAIL;
  }
  long long doc = (long long)v;
  struct arena *a = arena_new();
  if (!a) {
    snprintf(why, whylen, "out of memory");
    return JOB_RETRY;
  }
  enum job_result res = JOB_RETRY;
  int kept = 0; /* the new blobs are recorded as the rendition */
  struct job_io j = {0};
  struct rendition_row rn;
  memset(&rn, 0, sizeof rn);
  rn.document_id = doc;
  struct document_row d;
  enum err e = documents_get(a, doc, &d);
  if (e == ERR_NOT_FOUND) { /* deleted meanwhile: nothing to do */
    res = JOB_DONE;
    goto done;
  }
  if (e != ERR_OK) {
    snprintf(why, whylen, "the database is unavailable");
    goto done;
  }
  struct rendition_row cur;
  e = renditions_get(a, doc, &cur);
  if (e == ERR_NOT_FOUND || (e == ERR_OK && strcmp(cur.state, "preparing") != 0)) {
    res = JOB_DONE;
    goto done;
  }
  if (e != ERR_OK) {
    snprintf(why, whylen, "the database is unavailable");
    goto done;
  }
  if (records_document_reader(&d, &j.src) != 0) {
    snprintf(why, whylen, "the stored file could not be opened");
    goto done;
  }
  if (!d.image_info || !d.image_info[0]) fill_image_info(a, &d, j.src);
  if (new_blob(&rn.frames, &j.fw) != 0 || new_blob(&rn.preview, &j.pw) != 0) {
    snprintf(why, whylen, "the renditions could not be stored");
    goto done;
  }
  struct render_ops ops = {job_read_at, blob_reader_size(j.src), job_info, job_frames, job_preview, job_lut, &j};
  char rwhy[512];
  enum render_rc rr = render_image(&ops, rwhy, sizeof rwhy);
  if (rr == RENDER_NOT_DECODABLE) {
    e = renditions_set_not_decodable(doc, rwhy);
    res = e == ERR_OK ? JOB_DONE : JOB_RETRY;
    if (e != ERR_OK) snprintf(why, whylen, "the database is unavailable");
    goto done;
  }
  if (rr != RENDER_OK) {
    snprintf(why, whylen, "%s", rwhy);
    res = JOB_FAIL;
    goto done;
  }
  char err[200];
  struct blob_writer *fw = j.fw, *pw = j.pw;
  j.fw = j.pw = NULL;
  int c1 = blobstore_put_commit(fw, rn.frames.id, err, sizeof err);
  int c2 = blobstore_put_commit(pw, rn.preview.id, err, sizeof err);
  if (c1 != 0 || c2 != 0) {
    snprintf(why, whylen, "the renditions could not be stored");
    goto done;
  }
  rn.frames.present = rn.preview.present = 1;
  rn.frames.size = j.frames_size;
  rn.preview.size = j.preview_size;
  rn.frame_count = j.info.frames;
  rn.frame_bytes = j.info.frame_bytes;
  rn.rows = j.info.rows;
  rn.columns = j.info.columns;
  rn.samples = j.info.samples;
  rn.bytes_per_sample = j.info.bytes_per_sample;
  if (j.luts) { /* before the rendition is ready, so that the viewer never sees it without them */
    char *lj = json_dumps(j.luts, JSON_COMPACT);
    e = lj ? documents_merge_image_info(doc, lj) : ERR_INTERNAL;
    free(lj);
    if (e != ERR_OK) {
      snprintf(why, whylen, "the lookup tables could not be stored");
      goto done;
    }
  }
#ifdef SECONDOP_TEST_HOOKS
  test_hold("SECONDOP_TEST_RENDER_HOLD_FILE", "rendition of document", doc);
#endif
  e = renditions_set_ready(&rn);
  if (e == ERR_OK) {
    res = JOB_DONE;
    kept = 1;
  } else if (e == ERR_NOT_FOUND) {
    res = JOB_DONE; /* the document went (or was prepared) meanwhile: the new blobs go */
  } else {
    snprintf(why, whylen, "the database is unavailable");
  }
done:
  json_decref(j.luts);
  blob_reader_close(j.src);
  if (j.fw) blob_writer_abort(j.fw);
  if (j.pw) blob_writer_abort(j.pw);
  /* blobs not recorded as ready are removed (staging or final) */
  if (!kept) {
    static const unsigned char zero[BLOB_ID_LEN];
    if (memcmp(rn.frames.id, zero, BLOB_ID_LEN) != 0) blobstore_delete(rn.frames.id);
    if (memcmp(rn.preview.id, zero, BLOB_ID_LEN) != 0) blobstore_delete(rn.preview.id);
  }
  arena_free(a);
  return res;
}

static void render_job_give_up(const char *payload, long long patient_id, const char *why) {
  (void)patient_id;
  uint64_t v;
  if (!payload || decimal_u64(payload, &v) != 0 || v == 0 || v > LLONG_MAX) return;
  LOG_W("document %llu: rendition failed for good: %s", (unsigned long long)v, why);
  if (renditions_set_not_decodable((long long)v, "This image could not be prepared for viewing here. The file "
                                                 "itself is kept and can be downloaded.") != ERR_OK)
    LOG_W("document %llu: rendition failure not recorded", (unsigned long long)v);
}

/* A crashed or stalled child is not retried: the same bytes would do the same again. */
static const struct job_kind render_kind = {"render", 2, render_job_run, render_job_give_up};

void viewer_init(void) {
  renditions_store_register();
  jobs_register_kind(&render_kind);
  uint64_t v;
  const char *ms = getenv("SECONDOP_RENDER_STALL_SECONDS");
  if (ms && decimal_u64(ms, &v) == 0 && v > 0 && v <= 3600) render_set_stall_seconds((unsigned)v);
}
