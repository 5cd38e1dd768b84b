/* Unit tests for the SOP class table: every class the issue names is known, in words, and
 * counted as the right kind; a file without pixel data is never an image. */
#include <string.h>

#include "dicom/sopclass.h"
#include "t.h"

#define P "1.2.840.10008.5.1.4.1.1."

static void test_named_classes(void) {
  static const struct {
    const char *uid, *words;
    enum sop_kind kind;
  } t[] = {
      {P "1.2", "digital mammogram (for presentation)", SOP_IMAGE},
      {P "1.2.1", "digital mammogram (for processing)", SOP_IMAGE},
      {P "13.1.3", "breast tomosynthesis", SOP_IMAGE},
      {P "13.1.4", "breast projection X-ray (for presentation)", SOP_IMAGE},
      {P "13.1.5", "breast projection X-ray (for processing)", SOP_IMAGE},
      {P "6.1", "ultrasound", SOP_IMAGE},
      {P "6.2", "enhanced ultrasound volume", SOP_IMAGE},
      {P "3.1", "ultrasound (multi-frame)", SOP_IMAGE},
      {P "4", "MR", SOP_IMAGE},
      {P "4.1", "enhanced MR", SOP_IMAGE},
      {P "2", "CT", SOP_IMAGE},
      {P "7", "secondary capture", SOP_IMAGE},
      {P "7.1", "secondary capture (multi-frame, 1 bit)", SOP_IMAGE},
      {P "7.2", "secondary capture (multi-frame, grayscale byte)", SOP_IMAGE},
      {P "7.3", "secondary capture (multi-frame, grayscale word)", SOP_IMAGE},
      {P "7.4", "secondary capture (multi-frame, true color)", SOP_IMAGE},
      {P "11.1", "grayscale presentation state", SOP_PRESENTATION},
      {P "88.50", "mammography CAD report", SOP_CAD_REPORT},
      {P "88.11", "basic text report", SOP_REPORT},
      {P "88.22", "enhanced structured report", SOP_REPORT},
      {P "88.33", "comprehensive structured report", SOP_REPORT},
      {P "104.1", "PDF document", SOP_PDF},
      {P "88.59", "key image note", SOP_KEY_OBJECTS},
      {P "481.2", "radiotherapy dose", SOP_RT},
      {P "481.3", "radiotherapy structure set", SOP_RT},
      {P "481.5", "radiotherapy plan", SOP_RT},
      {P "9.1.1", "12-lead ECG", SOP_WAVEFORM},
      {P "9.1.2", "ECG", SOP_WAVEFORM},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    T_EQ_STR(sop_class_words(t[i].uid), t[i].words);
    int pixels = t[i].kind == SOP_IMAGE;
    T_EQ_INT(sop_object_kind(t[i].uid, pixels), t[i].kind);
    T_EQ_INT(sop_kind_parse(sop_kind_name(t[i].kind)), t[i].kind);
  }
  T_CHECK(sop_class_find(P "13.1.3")->tomosynthesis);
  T_CHECK(!sop_class_find(P "1.2")->tomosynthesis);
}

static void test_pixel_data_decides_image(void) {
  T_EQ_INT(sop_object_kind(P "1.2", 0), SOP_OTHER); /* a mammogram class without pixels */
  T_EQ_INT(sop_object_kind("1.2.3.4.5", 1), SOP_IMAGE);
  T_EQ_INT(sop_object_kind("1.2.3.4.5", 0), SOP_OTHER);
  T_EQ_INT(sop_object_kind("", 0), SOP_OTHER);
  T_EQ_STR(sop_class_words("1.2.3.4.5"), "DICOM object of another kind");
  T_EQ_STR(sop_class_words(""), "");
}

static void test_nouns(void) {
  T_EQ_STR(sop_kind_noun(SOP_IMAGE, 1), "image");
  T_EQ_STR(sop_kind_noun(SOP_IMAGE, 212), "images");
  T_EQ_STR(sop_kind_noun(SOP_PRESENTATION, 4), "presentation states");
  T_EQ_STR(sop_kind_noun(SOP_CAD_REPORT, 1), "CAD report");
  T_EQ_STR(sop_kind_name((enum sop_kind)99), "other");
}

int main(void) {
  T_RUN(test_named_classes);
  T_RUN(test_pixel_data_decides_image);
  T_RUN(test_nouns);
  return t_done();
}
