/* What a DICOM object is: its SOP Class UID (PS3.4 Annex B, PS3.6 Annex A) in words, and the
 * kind of object it counts as in a receipt. One table for the whole portal. */
#ifndef SECONDOP_DICOM_SOPCLASS_H
#define SECONDOP_DICOM_SOPCLASS_H

enum sop_kind {
  SOP_IMAGE = 0,        /* has pixel data */
  SOP_PRESENTATION,     /* softcopy presentation state */
  SOP_REPORT,           /* structured report */
  SOP_CAD_REPORT,       /* mammography (or other) CAD SR */
  SOP_PDF,              /* encapsulated PDF */
  SOP_KEY_OBJECTS,      /* key object selection ("key images") */
  SOP_RT,               /* radiotherapy objects */
  SOP_WAVEFORM,         /* ECG and other waveforms */
  SOP_OTHER             /* any other object without pixel data */
};
#define SOP_KIND_COUNT 9

struct sop_class {
  const char *uid;
  enum sop_kind kind;
  const char *words; /* lower case, for a sentence: "digital mammogram (for presentation)" */
  int tomosynthesis; /* a breast tomosynthesis volume */
};

/* The table entry for uid, NULL when the class is not in the table. */
const struct sop_class *sop_class_find(const char *uid);

/* The class in words; "DICOM object of another kind" when unknown, "" for "" . */
const char *sop_class_words(const char *uid);

/* The kind a file counts as: an image only when it has pixel data (an image class without
 * pixel data counts as SOP_OTHER; an unknown class with pixel data as SOP_IMAGE). */
enum sop_kind sop_object_kind(const char *uid, int has_pixel_data);

/* Stored name of a kind ("image", "presentation_state", ...); sop_kind_parse is its inverse
 * (SOP_OTHER for anything else). */
const char *sop_kind_name(enum sop_kind k);
enum sop_kind sop_kind_parse(const char *name);

/* A receipt noun for n objects of kind k: "image"/"images", "presentation state"/..., "CAD report". */
const char *sop_kind_noun(enum sop_kind k, long long n);

#endif
