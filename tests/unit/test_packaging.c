/* Unit tests for names inside uploaded packaging: system files left out, unsafe names refused. */
#include "dicom/packaging.h"
#include "t.h"

static void test_system_files(void) {
  static const struct {
    const char *name;
    int system;
  } t[] = {
      {"__MACOSX/study/._IM1", 1}, {"cd/__MACOSX/x", 1}, {"study/._IM1", 1},     {"._IM1", 1},
      {".DS_Store", 1},            {"a/.ds_store", 1},   {"a/Thumbs.db", 1},     {"THUMBS.DB", 1},
      {"a/desktop.ini", 1},        {"DICOM/IM000001", 0}, {"__MACOSXX/IM1", 0},  {"MAC__MACOSX/IM1", 0},
      {"study/_IM1", 0},           {"DICOMDIR", 0},      {"report.pdf", 0},      {"", 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    if (packaging_system_file(t[i].name) != t[i].system) fprintf(stderr, "  %s\n", t[i].name);
    T_EQ_INT(packaging_system_file(t[i].name), t[i].system);
  }
  T_EQ_INT(packaging_system_file(NULL), 0);
}

static void test_unsafe_names(void) {
  static const struct {
    const char *name;
    int unsafe;
  } t[] = {
      {"../evil.dcm", 1}, {"a/../../evil", 1}, {"/etc/passwd", 1}, {"a\\b", 1},    {"", 1},
      {"..", 1},          {"a/..", 1},         {"DICOM/IM1", 0},   {"a..b/c", 0},  {"...", 0},
      {"a/.../b", 0},     {".hidden", 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) T_EQ_INT(packaging_unsafe_name(t[i].name), t[i].unsafe);
  T_EQ_INT(packaging_unsafe_name(NULL), 1);
}

int main(void) {
  T_RUN(test_system_files);
  T_RUN(test_unsafe_names);
  return t_done();
}
