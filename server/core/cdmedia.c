/* CD-ready download: PS3.10 layout, DICOMDIR, README.TXT, streamed through util/zipwrite. */
#include "core/cdmedia.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/records.h"
#include "dicom/dicom.h"
#include "dicom/dicomdir.h"
#include "store/blobfmt.h"
#include "store/uploads.h"
#include "util/log.h"
#include "util/zipwrite.h"

/* the most header bytes read to find the keys a DICOMDIR needs */
#define CD_HEADER_MAX ((size_t)1 << 20)
#define CD_CHUNK ((size_t)64 * 1024)

struct cd_file {
  int doc;                 /* 1: a stored document; 0: bytes in memory */
  struct document_row d;   /* for a document: what the reader and the audit need */
  char blake[65];
  const unsigned char *mem; /* for bytes in memory (owned by cd_download) */
};

struct cd_download {
  struct cd_file *base, *f; /* f: the files in archive order (base + 1 when there is no DICOMDIR) */
  unsigned char *dicomdir, *readme;
  struct zipw *z;
  /* the entry being streamed */
  struct blob_reader *r;
  crypto_generichash_state gh;
  uint64_t mem_at; /* bytes of the entry given so far */
  size_t cur;
  struct actor who;
  char ip[48], rid[40];
};

/* ---- the zipw source ---- */

static int src_open(void *ctx, size_t i) {
  struct cd_download *c = ctx;
  struct cd_file *f = &c->f[i];
  c->cur = i;
  c->mem_at = 0;
  if (!f->doc) return 0;
  if (records_document_reader(&f->d, &c->r) != 0) {
    records_integrity_failure(&c->who, &f->d, "zip-open");
    return -1;
  }
  crypto_generichash_init(&c->gh, NULL, 0, 32);
  return 0;
}

static ssize_t src_read(void *ctx, size_t i, unsigned char *buf, size_t cap) {
  struct cd_download *c = ctx;
  struct cd_file *f = &c->f[i];
  if (!f->doc) {
    uint64_t left = f->d.size - c->mem_at;
    size_t k = cap < left ? cap : (size_t)left;
    memcpy(buf, f->mem + c->mem_at, k);
    c->mem_at += k;
    return (ssize_t)k;
  }
  char err[160];
  ssize_t k = blob_reader_read(c->r, buf, cap, err, sizeof err);
  if (k < 0) {
    records_integrity_failure(&c->who, &f->d, "zip-stream");
    return -1;
  }
  if (k > 0 && records_digest_wants_plain(f->d.digest_kind)) crypto_generichash_update(&c->gh, buf, (size_t)k);
  c->mem_at += (uint64_t)(k > 0 ? k : 0);
  if (c->mem_at > f->d.size) { /* more bytes than recorded: the writer refuses them, we say why */
    records_integrity_failure(&c->who, &f->d, "zip-digest");
    return -1;
  }
  return k;
}

static int src_done(void *ctx, size_t i, uint64_t bytes) {
  struct cd_download *c = ctx;
  struct cd_file *f = &c->f[i];
  if (!f->doc) return 0;
  unsigned char dig[32];
  crypto_generichash_final(&c->gh, dig, sizeof dig);
  int ok = bytes == f->d.size && records_digest_matches(f->d.digest_kind, f->blake, c->r, dig);
  blob_reader_close(c->r);
  c->r = NULL;
  if (!ok) {
    records_integrity_failure(&c->who, &f->d, "zip-digest");
    return -1;
  }
  return 0;
}

/* ---- planning ---- */

/* The header of a stored DICOM file, read through the decrypting reader (at most
 * CD_HEADER_MAX bytes). 0 when the keys were read, -1 otherwise (*info zeroed). */
static int read_header(const struct document_row *d, struct dicom_info *info) {
  struct blob_reader *r = NULL;
  unsigned char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = -1, eof = 0;
  char err[160];
  memset(info, 0, sizeof *info);
  if (records_document_reader(d, &r) != 0) goto done;
  while (len < CD_HEADER_MAX && !eof) {
    if (len + CD_CHUNK > cap) {
      unsigned char *q = realloc(buf, cap + CD_CHUNK);
      if (!q) goto done;
      buf = q;
      cap += CD_CHUNK;
    }
    ssize_t k = blob_reader_read(r, buf + len, cap - len, err, sizeof err);
    if (k < 0) goto done;
    if (k == 0) eof = 1;
    len += (size_t)k;
    if (len < cap && !eof) continue;
    enum dicom_rc p = dicom_parse(buf, len, eof, info, err, sizeof err);
    if (p == DICOM_OK) {
      rc = 0;
      break;
    }
    if (p != DICOM_NEED_MORE) break;
  }
done:
  if (rc != 0) memset(info, 0, sizeof *info);
  if (buf) {
    sodium_memzero(buf, cap);
    free(buf);
  }
  blob_reader_close(r);
  return rc;
}

static const char *pick(struct arena *a, const char *header, const char *stored) {
  return arena_strdup(a, header && *header ? header : (stored ? stored : ""));
}

/* a safe name under REPORTS/ or OTHER/: a number and the base name */
static const char *doc_name(struct arena *a, const char *folder, size_t i, const struct document_row *d) {
  const char *b = strrchr(d->original_name, '/');
  b = b ? b + 1 : d->original_name;
  char clean[200];
  size_t o = 0;
  for (const char *p = b; *p && o < sizeof clean - 1; p++)
    clean[o++] = (*p == '\\' || *p == ':' || (unsigned char)*p < 0x20) ? '_' : *p;
  clean[o] = '\0';
  if (clean[0] == '.' || !clean[0]) snprintf(clean, sizeof clean, "file");
  return arena_printf(a, "%s/%04zu-%s", folder, i + 1, clean);
}

static void add_line(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add_line(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (k < 0) return;
  *len += (size_t)k < cap - *len ? (size_t)k : cap - *len - 1;
  if (*len + 2 < cap) {
    buf[(*len)++] = '\r';
    buf[(*len)++] = '\n';
    buf[*len] = '\0';
  }
}

/* digits and dots only, or a placeholder: a date for people, YYYY-MM-DD */
static void people_date(const char *da, char out[16]) {
  if (da && strlen(da) == 8 && strspn(da, "0123456789") == 8)
    snprintf(out, 16, "%.4s-%.2s-%.2s", da, da + 4, da + 6);
  else
    snprintf(out, 16, "date unknown");
}

enum err cdmedia_open(struct arena *a, const struct actor *who, long long request_id, long long study_id,
                      struct cd_download **out, const char **filename, uint64_t *total) {
  struct request_row rq;
  struct document_row *docs;
  size_t n;
  *out = NULL;
  enum err e = study_id ? records_study_zip_open(a, who, request_id, study_id, &rq, &docs, &n)
                        : records_zip_open(a, who, request_id, &rq, &docs, &n);
  if (e != ERR_OK) return e;
  struct series_row *ser = NULL;
  size_t ns = 0;
  if ((e = series_list(a, request_id, &ser, &ns)) != ERR_OK) return e;

  struct cd_download *c = calloc(1, sizeof *c);
  struct cd_file *files = calloc(n + 2, sizeof *files);
  struct zipw_entry *ent = arena_alloc(a, (n + 2) * sizeof *ent);
  struct dicomdir_image *im = arena_alloc(a, (n + 1) * sizeof *im);
  struct dicom_info *info = malloc(sizeof *info);
  /* study and series numbering for file names: the study / series row ids in order met */
  long long *st_ids = arena_alloc(a, (n + 1) * sizeof *st_ids), *se_ids = arena_alloc(a, (n + 1) * sizeof *se_ids);
  size_t *se_study = arena_alloc(a, (n + 1) * sizeof *se_study), *se_images = arena_alloc(a, (n + 1) * sizeof *se_images);
  size_t *st_images = arena_alloc(a, (n + 1) * sizeof *st_images);
  size_t nst = 0, nse = 0, nim = 0, nfiles = 0, nrep = 0, noth = 0;
  if (!c || !files || !ent || !im || !info || !st_ids || !se_ids || !se_study || !se_images || !st_images) goto oom;
  c->base = c->f = files;
  c->who = *who;
  snprintf(c->ip, sizeof c->ip, "%s", who->ip ? who->ip : "");
  snprintf(c->rid, sizeof c->rid, "%s", who->request_id ? who->request_id : "");
  c->who.ip = c->ip;
  c->who.request_id = c->rid;
  nfiles = 2; /* README.TXT, DICOMDIR: filled last */

  for (size_t i = 0; i < n; i++) {
    struct document_row *d = &docs[i];
    const struct series_row *s = NULL;
    for (size_t j = 0; j < ns && !s; j++)
      if (ser[j].id == d->series_id) s = &ser[j];
    int dicom = strcmp(d->sniffed_type, "dicom") == 0;
    const char *name = NULL;
    if (dicom && s && d->sop_instance_uid && *d->sop_instance_uid) {
      size_t st = 0, se = 0;
      while (st < nst && st_ids[st] != s->study_id) st++;
      if (st == nst) st_ids[nst] = s->study_id, st_images[nst++] = 0;
      while (se < nse && se_ids[se] != s->id) se++;
      if (se == nse) se_ids[nse] = s->id, se_study[nse] = st, se_images[nse++] = 0;
      size_t se_in_study = 0;
      for (size_t k = 0; k < se; k++) se_in_study += se_study[k] == st;
      size_t img = ++se_images[se];
      st_images[st]++;
      if (st < 9999 && se_in_study < 9999 && img <= 99999)
        name = arena_printf(a, "DICOM/ST%04zu/SE%04zu/IM%05zu", st + 1, se_in_study + 1, img);
      else
        name = arena_printf(a, "DICOM/F%07zu", nim + 1);
      int have = read_header(d, info) == 0;
      struct dicomdir_image *m = &im[nim++];
      m->patient_id = pick(a, have ? info->patient_id : NULL, "");
      m->patient_name = pick(a, have ? info->patient_name : NULL, d->patient_name);
      m->study_uid = pick(a, have ? info->study_instance_uid : NULL, s->study_uid);
      m->study_date = pick(a, have ? info->study_date : NULL, s->study_date);
      m->study_time = pick(a, have ? info->study_time : NULL, "");
      m->study_description = pick(a, have ? info->study_description : NULL, s->study_description);
      m->accession = pick(a, have ? info->accession_number : NULL, "");
      m->study_id = pick(a, have ? info->study_id : NULL, "");
      m->series_uid = pick(a, have ? info->series_instance_uid : NULL, s->series_uid);
      m->modality = pick(a, have ? info->modality : NULL, d->modality && *d->modality ? d->modality : s->modality);
      m->series_number = pick(a, have ? info->series_number : NULL, "");
      m->file_id = name;
      m->sop_class = pick(a, have ? info->sop_class_uid : NULL, d->sop_class_uid);
      m->sop_instance = pick(a, have ? info->sop_instance_uid : NULL, d->sop_instance_uid);
      m->transfer_syntax = pick(a, have ? info->transfer_syntax : NULL, d->transfer_syntax);
      m->instance_number = pick(a, have ? info->instance_number : NULL, arena_printf(a, "%zu", img));
      if (!have) LOG_W("DICOMDIR: header of document %lld not read; stored attributes used", d->id);
    } else if (dicom) {
      name = doc_name(a, "OTHER", noth++, d);
    } else {
      name = doc_name(a, "REPORTS", nrep++, d);
    }
    struct cd_file *f = &files[nfiles];
    f->doc = 1;
    f->d = *d;
    snprintf(f->blake, sizeof f->blake, "%s", d->blake2b);
    static char empty[] = "";
    f->d.original_name = f->d.blake2b = f->d.sniffed_type = empty; /* arena strings: not used later */
    ent[nfiles].name = name;
    ent[nfiles].size = d->size;
    nfiles++;
  }

  /* DICOMDIR (only when there are DICOM files) */
  size_t ddlen = 0;
  if (nim) {
    char uid[65];
    dicomdir_new_uid(uid);
    if (dicomdir_build(im, nim, "SECONDOP", uid, &c->dicomdir, &ddlen) != 0) goto oom;
  }

  /* README.TXT */
  size_t cap = 4096 + nst * 200, rl = 0;
  char *rd = malloc(cap);
  if (!rd) goto oom;
  rd[0] = '\0';
  add_line(rd, cap, &rl, "Medical records of request %s%s", rq.reference, study_id ? " (one study)" : "");
  add_line(rd, cap, &rl, "%s", "");
  add_line(rd, cap, &rl, "%s", "This folder is laid out like a hospital CD (DICOM media):");
  if (nim) {
    add_line(rd, cap, &rl, "%s", "  DICOMDIR   the index that a DICOM viewer or a hospital's import software reads first.");
    add_line(rd, cap, &rl, "%s", "  DICOM      the images, one file per image, exactly as they were uploaded.");
    add_line(rd, cap, &rl, "%s", "             STxxxx is a study (one visit), SExxxx a series, IMxxxxx an image.");
  }
  if (nrep) add_line(rd, cap, &rl, "%s", "  REPORTS    reports and other documents (PDF files, pictures).");
  if (noth) add_line(rd, cap, &rl, "%s", "  OTHER      DICOM files that the index cannot list (no image identifiers).");
  add_line(rd, cap, &rl, "%s", "");
  if (nim) {
    add_line(rd, cap, &rl, "%s", "Studies on this disc:");
    for (size_t st = 0; st < nst; st++) {
      const struct series_row *s = NULL;
      for (size_t j = 0; j < ns && !s; j++)
        if (ser[j].study_id == st_ids[st]) s = &ser[j];
      char when[16];
      people_date(s ? s->study_date : NULL, when);
      add_line(rd, cap, &rl, "  ST%04zu  %s  %s  (%zu image%s)", st + 1, when,
               s && *s->study_description ? s->study_description : "no description", st_images[st],
               st_images[st] == 1 ? "" : "s");
    }
    add_line(rd, cap, &rl, "%s", "");
    add_line(rd, cap, &rl, "%s", "To look at the images, open this folder with a DICOM viewer, or burn it to a CD");
    add_line(rd, cap, &rl, "%s", "or copy it to a USB stick for your doctor's office: they can import it from DICOMDIR.");
  } else {
    add_line(rd, cap, &rl, "%s", "There are no DICOM images in this download.");
  }
  c->readme = (unsigned char *)rd;
  files[0].doc = 0;
  files[0].mem = c->readme;
  files[0].d.size = rl;
  ent[0].name = "README.TXT";
  ent[0].size = rl;
  size_t first = 0, count = nfiles;
  if (nim) {
    files[1].doc = 0;
    files[1].mem = c->dicomdir;
    files[1].d.size = ddlen;
    ent[1].name = "DICOMDIR";
    ent[1].size = ddlen;
  } else {
    /* no DICOMDIR: README.TXT moves next to the documents */
    files[1] = files[0];
    ent[1] = ent[0];
    first = 1;
    count = nfiles - 1;
  }
  c->f = files + first;
  struct zipw_source src = {src_open, src_read, src_done, c};
  c->z = zipw_new(ent + first, count, &src, 0);
  if (!c->z) goto oom;
  free(info);
  *total = zipw_total(ent + first, count, 0);
  *filename = study_id ? arena_printf(a, "%s-study-%lld-records.zip", rq.reference, study_id)
                       : arena_printf(a, "%s-records.zip", rq.reference);
  *out = c;
  return ERR_OK;
oom:
  free(info);
  if (c) {
    c->base = files;
    cdmedia_free(c);
  } else {
    free(files);
  }
  return ERR_INTERNAL;
}

ssize_t cdmedia_read(struct cd_download *c, unsigned char *buf, size_t max) { return zipw_read(c->z, buf, max); }

void cdmedia_free(struct cd_download *c) {
  if (!c) return;
  zipw_free(c->z);
  blob_reader_close(c->r);
  free(c->base);
  free(c->dicomdir);
  free(c->readme);
  sodium_memzero(c, sizeof *c);
  free(c);
}
