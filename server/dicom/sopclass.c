/* The SOP class table (see sopclass.h). */
#include "dicom/sopclass.h"

#include <string.h>

#define P "1.2.840.10008.5.1.4.1.1."

static const struct sop_class table[] = {
    {P "1.2", SOP_IMAGE, "digital mammogram (for presentation)", 0},
    {P "1.2.1", SOP_IMAGE, "digital mammogram (for processing)", 0},
    {P "13.1.3", SOP_IMAGE, "breast tomosynthesis", 1},
    {P "13.1.4", SOP_IMAGE, "breast projection X-ray (for presentation)", 0},
    {P "13.1.5", SOP_IMAGE, "breast projection X-ray (for processing)", 0},
    {P "1", SOP_IMAGE, "computed radiography", 0},
    {P "1.1", SOP_IMAGE, "digital X-ray (for presentation)", 0},
    {P "1.1.1", SOP_IMAGE, "digital X-ray (for processing)", 0},
    {P "1.3", SOP_IMAGE, "intra-oral X-ray (for presentation)", 0},
    {P "6.1", SOP_IMAGE, "ultrasound", 0},
    {P "3.1", SOP_IMAGE, "ultrasound (multi-frame)", 0},
    {P "6.2", SOP_IMAGE, "enhanced ultrasound volume", 0},
    {P "4", SOP_IMAGE, "MR", 0},
    {P "4.1", SOP_IMAGE, "enhanced MR", 0},
    {P "4.3", SOP_IMAGE, "enhanced MR (color)", 0},
    {P "4.2", SOP_OTHER, "MR spectroscopy", 0},
    {P "2", SOP_IMAGE, "CT", 0},
    {P "2.1", SOP_IMAGE, "enhanced CT", 0},
    {P "20", SOP_IMAGE, "nuclear medicine", 0},
    {P "128", SOP_IMAGE, "PET", 0},
    {P "7", SOP_IMAGE, "secondary capture", 0},
    {P "7.1", SOP_IMAGE, "secondary capture (multi-frame, 1 bit)", 0},
    {P "7.2", SOP_IMAGE, "secondary capture (multi-frame, grayscale byte)", 0},
    {P "7.3", SOP_IMAGE, "secondary capture (multi-frame, grayscale word)", 0},
    {P "7.4", SOP_IMAGE, "secondary capture (multi-frame, true color)", 0},
    {P "77.1.4", SOP_IMAGE, "photograph", 0},
    {P "11.1", SOP_PRESENTATION, "grayscale presentation state", 0},
    {P "11.2", SOP_PRESENTATION, "color presentation state", 0},
    {P "11.3", SOP_PRESENTATION, "pseudo-color presentation state", 0},
    {P "11.4", SOP_PRESENTATION, "blending presentation state", 0},
    {P "88.50", SOP_CAD_REPORT, "mammography CAD report", 0},
    {P "88.65", SOP_CAD_REPORT, "chest CAD report", 0},
    {P "88.11", SOP_REPORT, "basic text report", 0},
    {P "88.22", SOP_REPORT, "enhanced structured report", 0},
    {P "88.33", SOP_REPORT, "comprehensive structured report", 0},
    {P "88.34", SOP_REPORT, "comprehensive 3D structured report", 0},
    {P "88.67", SOP_REPORT, "X-ray radiation dose report", 0},
    {P "88.59", SOP_KEY_OBJECTS, "key image note", 0},
    {P "104.1", SOP_PDF, "PDF document", 0},
    {P "481.1", SOP_IMAGE, "radiotherapy image", 0},
    {P "481.2", SOP_RT, "radiotherapy dose", 0},
    {P "481.3", SOP_RT, "radiotherapy structure set", 0},
    {P "481.4", SOP_RT, "radiotherapy treatment record", 0},
    {P "481.5", SOP_RT, "radiotherapy plan", 0},
    {P "481.8", SOP_RT, "radiotherapy ion plan", 0},
    {P "9.1.1", SOP_WAVEFORM, "12-lead ECG", 0},
    {P "9.1.2", SOP_WAVEFORM, "ECG", 0},
    {P "9.1.3", SOP_WAVEFORM, "ambulatory ECG", 0},
    {P "9.2.1", SOP_WAVEFORM, "hemodynamic waveform", 0},
    {P "9.3.1", SOP_WAVEFORM, "cardiac electrophysiology waveform", 0},
    {P "9.4.1", SOP_WAVEFORM, "audio recording", 0},
    {"1.2.840.10008.1.3.10", SOP_OTHER, "DICOMDIR index", 0},
};

const struct sop_class *sop_class_find(const char *uid) {
  if (!uid) return NULL;
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)
    if (strcmp(table[i].uid, uid) == 0) return &table[i];
  return NULL;
}

const char *sop_class_words(const char *uid) {
  if (!uid || !*uid) return "";
  const struct sop_class *c = sop_class_find(uid);
  return c ? c->words : "DICOM object of another kind";
}

enum sop_kind sop_object_kind(const char *uid, int has_pixel_data) {
  const struct sop_class *c = sop_class_find(uid);
  if (!c) return has_pixel_data ? SOP_IMAGE : SOP_OTHER;
  if (c->kind == SOP_IMAGE && !has_pixel_data) return SOP_OTHER;
  return c->kind;
}

static const char *const names[SOP_KIND_COUNT] = {"image",      "presentation_state", "report",
                                                  "cad_report", "pdf",                "key_objects",
                                                  "rt",         "waveform",           "other"};

const char *sop_kind_name(enum sop_kind k) {
  return (unsigned)k < SOP_KIND_COUNT ? names[k] : "other";
}

enum sop_kind sop_kind_parse(const char *name) {
  for (int i = 0; i < SOP_KIND_COUNT; i++)
    if (name && strcmp(names[i], name) == 0) return (enum sop_kind)i;
  return SOP_OTHER;
}

const char *sop_kind_noun(enum sop_kind k, long long n) {
  static const char *const one[SOP_KIND_COUNT] = {
      "image", "presentation state", "structured report", "CAD report", "PDF document (in DICOM)",
      "key image note", "radiotherapy object", "waveform", "other DICOM object"};
  static const char *const many[SOP_KIND_COUNT] = {
      "images", "presentation states", "structured reports", "CAD reports", "PDF documents (in DICOM)",
      "key image notes", "radiotherapy objects", "waveforms", "other DICOM objects"};
  if ((unsigned)k >= SOP_KIND_COUNT) k = SOP_OTHER;
  return n == 1 ? one[k] : many[k];
}
