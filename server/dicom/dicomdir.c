/* DICOMDIR writer (PS3.10 section 7, PS3.3 annex F). */
#include "dicom/dicomdir.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* our implementation's identity in the File Meta (PS3.7 D.3.3.2) */
#define IMPL_CLASS_UID "2.25.6572885182588500859053232424186595902"
#define IMPL_VERSION "SECONDOP_1"
#define DICOMDIR_SOP_CLASS "1.2.840.10008.1.3.10"
#define EXPLICIT_LE "1.2.840.10008.1.2.1"

struct out {
  unsigned char *p;
  size_t n, cap;
  int oom;
};

static void put(struct out *o, const void *d, size_t n) {
  if (o->oom) return;
  if (o->n + n > o->cap) {
    size_t cap = (o->n + n) * 2 + 4096;
    unsigned char *q = realloc(o->p, cap);
    if (!q) {
      o->oom = 1;
      return;
    }
    o->p = q;
    o->cap = cap;
  }
  memcpy(o->p + o->n, d, n);
  o->n += n;
}
static void u16(struct out *o, unsigned v) {
  unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  put(o, b, 2);
}
static void u32(struct out *o, uint32_t v) {
  u16(o, v & 0xffff);
  u16(o, v >> 16);
}
static void patch32(struct out *o, size_t at, uint32_t v) {
  if (o->oom) return;
  o->p[at] = (unsigned char)v;
  o->p[at + 1] = (unsigned char)(v >> 8);
  o->p[at + 2] = (unsigned char)(v >> 16);
  o->p[at + 3] = (unsigned char)(v >> 24);
}

/* an element with a short (16-bit) length: every VR we write except OB and SQ */
static void elem(struct out *o, unsigned g, unsigned e, const char *vr, const void *v, size_t len) {
  u16(o, g);
  u16(o, e);
  put(o, vr, 2);
  u16(o, (unsigned)len);
  put(o, v, len);
}

/* A text value cleaned for its VR and padded to even length. max: bytes allowed. */
static void text(struct out *o, unsigned g, unsigned e, const char *vr, const char *s, size_t max) {
  char v[80];
  size_t k = 0;
  int ui = strcmp(vr, "UI") == 0;
  /* dates, times and numbers: only the characters their VR allows (a stored "2024-03-15" reads 20240315) */
  const char *only = strcmp(vr, "DA") == 0 ? "0123456789" : strcmp(vr, "TM") == 0 ? "0123456789." :
                     strcmp(vr, "IS") == 0 ? "0123456789+-" : ui ? "0123456789." : NULL;
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && k < max && k < sizeof v - 2; c++) {
    if (*c < 0x20 || *c == 0x7f || *c == '\\') continue;
    if (only && !strchr(only, *c)) continue;
    v[k++] = (char)*c;
  }
  /* never end inside a UTF-8 sequence */
  if (k && ((unsigned char)v[k - 1] & 0x80)) {
    size_t j = k;
    while (j > 0 && ((unsigned char)v[j - 1] & 0xC0) == 0x80) j--;
    if (j > 0) {
      unsigned char lead = (unsigned char)v[j - 1];
      size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      if (k - (j - 1) < need) k = j - 1;
    }
  }
  while (k && v[k - 1] == ' ' && !ui) k--;
  if (k & 1) v[k++] = ui ? '\0' : ' ';
  elem(o, g, e, vr, v, k);
}

static int non_ascii(const char *s) {
  for (; s && *s; s++)
    if ((unsigned char)*s >= 0x80) return 1;
  return 0;
}

static int comp_ok(const char *c, size_t n) {
  if (n < 1 || n > 8) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '_')) return 0;
  return 1;
}

int dicomdir_valid_file_id(const char *path) {
  if (!path || !*path) return 0;
  int comps = 0;
  const char *s = path;
  for (;;) {
    const char *sl = strchr(s, '/');
    size_t n = sl ? (size_t)(sl - s) : strlen(s);
    if (!comp_ok(s, n) || ++comps > 8) return 0;
    if (!sl) return 1;
    s = sl + 1;
  }
}

void dicomdir_new_uid(char out[65]) {
  unsigned char r[16];
  randombytes_buf(r, sizeof r);
  r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* a version 4 UUID */
  r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
  unsigned __int128 v = 0;
  for (int i = 0; i < 16; i++) v = v << 8 | r[i];
  char dig[40];
  int k = 0;
  do {
    dig[k++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v);
  int o = snprintf(out, 65, "2.25.");
  while (k) out[o++] = dig[--k];
  out[o] = '\0';
}

enum { L_PATIENT, L_STUDY, L_SERIES, L_IMAGE };

struct rec {
  int level;
  size_t img;            /* the image whose keys this record carries */
  size_t start;          /* offset of the item tag */
  size_t at_next, at_child;
  long next, child;      /* record indexes, -1 none */
};

static int same(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* writes record r's item (undefined length) */
static void record(struct out *o, struct rec *r, const struct dicomdir_image *m) {
  static const char *types[] = {"PATIENT", "STUDY", "SERIES", "IMAGE"};
  r->start = o->n;
  u16(o, 0xFFFE);
  u16(o, 0xE000);
  u32(o, 0xFFFFFFFFu);
  u16(o, 0x0004);
  u16(o, 0x1400);
  put(o, "UL", 2);
  u16(o, 4);
  r->at_next = o->n;
  u32(o, 0);
  unsigned char inuse[2] = {0xFF, 0xFF};
  elem(o, 0x0004, 0x1410, "US", inuse, 2);
  u16(o, 0x0004);
  u16(o, 0x1420);
  put(o, "UL", 2);
  u16(o, 4);
  r->at_child = o->n;
  u32(o, 0);
  text(o, 0x0004, 0x1430, "CS", types[r->level], 16);
  switch (r->level) {
  case L_PATIENT:
    if (non_ascii(m->patient_name) || non_ascii(m->patient_id)) text(o, 0x0008, 0x0005, "CS", "ISO_IR 192", 16);
    text(o, 0x0010, 0x0010, "PN", m->patient_name, 64);
    text(o, 0x0010, 0x0020, "LO", m->patient_id, 64);
    break;
  case L_STUDY:
    if (non_ascii(m->study_description) || non_ascii(m->accession) || non_ascii(m->study_id))
      text(o, 0x0008, 0x0005, "CS", "ISO_IR 192", 16);
    text(o, 0x0008, 0x0020, "DA", m->study_date, 8);
    text(o, 0x0008, 0x0030, "TM", m->study_time, 14);
    text(o, 0x0008, 0x0050, "SH", m->accession, 16);
    text(o, 0x0008, 0x1030, "LO", m->study_description, 64);
    text(o, 0x0020, 0x000D, "UI", m->study_uid, 64);
    text(o, 0x0020, 0x0010, "SH", m->study_id, 16);
    break;
  case L_SERIES:
    text(o, 0x0008, 0x0060, "CS", m->modality, 16);
    text(o, 0x0020, 0x000E, "UI", m->series_uid, 64);
    text(o, 0x0020, 0x0011, "IS", m->series_number, 12);
    break;
  default: {
    char fid[80];
    size_t k = 0;
    for (const char *c = m->file_id; *c && k < sizeof fid - 2; c++) fid[k++] = *c == '/' ? '\\' : *c;
    if (k & 1) fid[k++] = ' ';
    elem(o, 0x0004, 0x1500, "CS", fid, k);
    text(o, 0x0004, 0x1510, "UI", m->sop_class, 64);
    text(o, 0x0004, 0x1511, "UI", m->sop_instance, 64);
    text(o, 0x0004, 0x1512, "UI", m->transfer_syntax, 64);
    text(o, 0x0020, 0x0013, "IS", m->instance_number, 12);
    break;
  }
  }
  u16(o, 0xFFFE);
  u16(o, 0xE00D);
  u32(o, 0);
}

int dicomdir_build(const struct dicomdir_image *im, size_t n, const char *fileset_id, const char *instance_uid,
                   unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  for (size_t i = 0; i < n; i++)
    if (!dicomdir_valid_file_id(im[i].file_id)) return -1;
  /* the tree: for each image, the first image of its patient, study and series */
  size_t *pat = malloc((n ? n : 1) * sizeof *pat), *stu = malloc((n ? n : 1) * sizeof *stu),
         *ser = malloc((n ? n : 1) * sizeof *ser);
  struct rec *rec = malloc((4 * n + 1) * sizeof *rec);
  struct out o = {0};
  int rc = -1;
  if (!pat || !stu || !ser || !rec) goto done;
  for (size_t i = 0; i < n; i++) {
    pat[i] = stu[i] = ser[i] = i;
    for (size_t j = 0; j < i; j++)
      if (same(im[j].patient_id, im[i].patient_id) && same(im[j].patient_name, im[i].patient_name)) {
        pat[i] = pat[j];
        break;
      }
    for (size_t j = 0; j < i; j++)
      if (pat[j] == pat[i] && same(im[j].study_uid, im[i].study_uid)) {
        stu[i] = stu[j];
        break;
      }
    for (size_t j = 0; j < i; j++)
      if (stu[j] == stu[i] && same(im[j].series_uid, im[i].series_uid)) {
        ser[i] = ser[j];
        break;
      }
  }
  /* records depth first */
  size_t nr = 0;
  for (size_t p = 0; p < n; p++) {
    if (pat[p] != p) continue;
    rec[nr++] = (struct rec){L_PATIENT, p, 0, 0, 0, -1, -1};
    for (size_t s = 0; s < n; s++) {
      if (stu[s] != s || pat[s] != p) continue;
      rec[nr++] = (struct rec){L_STUDY, s, 0, 0, 0, -1, -1};
      for (size_t e = 0; e < n; e++) {
        if (ser[e] != e || stu[e] != s) continue;
        rec[nr++] = (struct rec){L_SERIES, e, 0, 0, 0, -1, -1};
        for (size_t i = 0; i < n; i++)
          if (ser[i] == e) rec[nr++] = (struct rec){L_IMAGE, i, 0, 0, 0, -1, -1};
      }
    }
  }
  /* links: next record on the same level under the same parent; first record one level down */
  long last[4] = {-1, -1, -1, -1};
  long first_root = -1, last_root = -1;
  for (size_t r = 0; r < nr; r++) {
    int l = rec[r].level;
    if (last[l] >= 0) rec[last[l]].next = (long)r;
    if (l > 0 && rec[last[l - 1]].child < 0) rec[last[l - 1]].child = (long)r;
    if (l == 0) {
      if (first_root < 0) first_root = (long)r;
      last_root = (long)r;
    }
    last[l] = (long)r;
    for (int d = l + 1; d < 4; d++) last[d] = -1;
  }

  /* File Meta Information */
  unsigned char pre[128] = {0};
  put(&o, pre, sizeof pre);
  put(&o, "DICM", 4);
  size_t meta_len_at = o.n + 8;
  unsigned char ul0[4] = {0};
  elem(&o, 0x0002, 0x0000, "UL", ul0, 4);
  size_t meta_start = o.n;
  u16(&o, 0x0002);
  u16(&o, 0x0001);
  put(&o, "OB", 2);
  u16(&o, 0);
  u32(&o, 2);
  unsigned char ver[2] = {0, 1};
  put(&o, ver, 2);
  text(&o, 0x0002, 0x0002, "UI", DICOMDIR_SOP_CLASS, 64);
  text(&o, 0x0002, 0x0003, "UI", instance_uid, 64);
  text(&o, 0x0002, 0x0010, "UI", EXPLICIT_LE, 64);
  text(&o, 0x0002, 0x0012, "UI", IMPL_CLASS_UID, 64);
  text(&o, 0x0002, 0x0013, "SH", IMPL_VERSION, 16);
  patch32(&o, meta_len_at, (uint32_t)(o.n - meta_start));

  /* File-set Identification and Directory Information */
  text(&o, 0x0004, 0x1130, "CS", fileset_id, 16);
  size_t at_first = o.n + 8;
  elem(&o, 0x0004, 0x1200, "UL", ul0, 4);
  size_t at_last = o.n + 8;
  elem(&o, 0x0004, 0x1202, "UL", ul0, 4);
  unsigned char us0[2] = {0, 0};
  elem(&o, 0x0004, 0x1212, "US", us0, 2);
  u16(&o, 0x0004);
  u16(&o, 0x1220);
  put(&o, "SQ", 2);
  u16(&o, 0);
  u32(&o, 0xFFFFFFFFu);
  for (size_t r = 0; r < nr; r++) record(&o, &rec[r], &im[rec[r].img]);
  u16(&o, 0xFFFE);
  u16(&o, 0xE0DD);
  u32(&o, 0);
  if (o.oom || o.n >= 0xFFFFFFFFu) goto done;
  for (size_t r = 0; r < nr; r++) {
    if (rec[r].next >= 0) patch32(&o, rec[r].at_next, (uint32_t)rec[rec[r].next].start);
    if (rec[r].child >= 0) patch32(&o, rec[r].at_child, (uint32_t)rec[rec[r].child].start);
  }
  if (first_root >= 0) patch32(&o, at_first, (uint32_t)rec[first_root].start);
  if (last_root >= 0) patch32(&o, at_last, (uint32_t)rec[last_root].start);
  *out = o.p;
  *len = o.n;
  o.p = NULL;
  rc = 0;
done:
  free(o.p);
  free(pat);
  free(stu);
  free(ser);
  free(rec);
  return rc;
}
