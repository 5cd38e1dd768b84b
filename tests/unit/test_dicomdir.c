/* Proves the DICOMDIR writer (dicom/dicomdir.c): the File Meta says Media Storage Directory,
 * records nest patient -> study -> series -> image in the order first met, the offsets
 * (0004,1200)/(0004,1202)/(0004,1400)/(0004,1420) point at the records they name, the keys are
 * there, file IDs are checked, and dcmtk's dcmdump reads the result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dicom/dicom.h"
#include "dicom/dicomdir.h"
#include "t.h"

/* the files: patient A with two studies (the first with two series), patient B with one */
static const struct dicomdir_image IM[] = {
    {"PID-A", "DOE^JANE", "1.2.3.1", "20240102", "101500", "MAMMO SCREEN", "ACC1", "S1", "1.2.3.1.1", "MG", "1",
     "DICOM/ST0001/SE0001/IM00001", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.1.1.1", "1.2.840.10008.1.2.1", "1"},
    {"PID-A", "DOE^JANE", "1.2.3.1", "20240102", "101500", "MAMMO SCREEN", "ACC1", "S1", "1.2.3.1.1", "MG", "1",
     "DICOM/ST0001/SE0001/IM00002", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.1.1.2", "1.2.840.10008.1.2.1", "2"},
    {"PID-A", "DOE^JANE", "1.2.3.1", "20240102", "101500", "MAMMO SCREEN", "ACC1", "S1", "1.2.3.1.2", "MG", "2",
     "DICOM/ST0001/SE0002/IM00001", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.1.2.1", "1.2.840.10008.1.2.4.70", "1"},
    {"PID-B", "ROE^RICHARD", "1.2.3.9", "20230101", "090000", "", "", "S9", "1.2.3.9.1", "MG", "1",
     "DICOM/ST0003/SE0001/IM00001", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.9.1.1", "1.2.840.10008.1.2.1", "1"},
    {"PID-A", "DOE^JANE", "1.2.3.2", "20220101", "080000", "PRIOR \\ CHECK", "ACC0", "S0", "1.2.3.2.1", "MG", "1",
     "DICOM/ST0002/SE0001/IM00001", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.2.1.1", "1.2.840.10008.1.2.1", "1"},
};
#define NIM (sizeof IM / sizeof IM[0])

static const unsigned char *B;
static size_t BL;

static unsigned rd16(size_t at) { return (unsigned)(B[at] | B[at + 1] << 8); }
static uint32_t rd32(size_t at) { return (uint32_t)rd16(at) | (uint32_t)rd16(at + 2) << 16; }

/* the top-level UL value of (0004,eeee), found by scanning */
static uint32_t top_ul(unsigned e) {
  for (size_t i = 132; i + 12 < BL; i++)
    if (rd16(i) == 4 && rd16(i + 2) == e && B[i + 4] == 'U' && B[i + 5] == 'L') return rd32(i + 8);
  return 0xFFFFFFFFu;
}

struct item {
  uint32_t next, child;
  char type[20], value[200]; /* record type; the first key value after it */
  char fid[80];
};

/* reads the explicit VR LE elements of the item at off */
static int read_item(size_t off, struct item *it) {
  memset(it, 0, sizeof *it);
  if (off + 8 > BL || rd16(off) != 0xFFFE || rd16(off + 2) != 0xE000) return -1;
  size_t p = off + 8;
  while (p + 8 <= BL) {
    unsigned g = rd16(p), e = rd16(p + 2);
    if (g == 0xFFFE && e == 0xE00D) return 0;
    unsigned len = rd16(p + 6);
    const char *v = (const char *)B + p + 8;
    if (p + 8 + len > BL) return -1;
    if (g == 4 && e == 0x1400) it->next = rd32(p + 8);
    if (g == 4 && e == 0x1420) it->child = rd32(p + 8);
    if (g == 4 && e == 0x1430) memcpy(it->type, v, len < 19 ? len : 19);
    if (g == 4 && e == 0x1500) memcpy(it->fid, v, len < 79 ? len : 79);
    if (g == 0x0010 && e == 0x0020) memcpy(it->value, v, len < 199 ? len : 199);
    if (g == 0x0020 && (e == 0x000D || e == 0x000E)) memcpy(it->value, v, len < 199 ? len : 199);
    p += 8 + len;
  }
  return -1;
}

static void build(void) {
  static unsigned char *buf;
  size_t len;
  free(buf);
  T_EQ_INT(dicomdir_build(IM, NIM, "SECONDOP", "2.25.1", &buf, &len), 0);
  B = buf;
  BL = len;
}

static void test_meta_says_media_storage_directory(void) {
  build();
  T_CHECK(BL > 132 && memcmp(B + 128, "DICM", 4) == 0);
  struct dicom_info info;
  char err[200];
  T_EQ_INT(dicom_parse(B, BL, 1, &info, err, sizeof err), DICOM_OK);
  T_EQ_INT(info.is_dicomdir, 1);
  T_EQ_STR(info.transfer_syntax, "1.2.840.10008.1.2.1");
  /* group length counts exactly the meta elements after it */
  uint32_t gl = rd32(140);
  T_EQ_INT(rd16(144 + gl), 0x0004);
}

static void test_tree_and_offsets(void) {
  build();
  struct item p, s, se, im;
  uint32_t first = top_ul(0x1200), last = top_ul(0x1202);
  T_EQ_INT(read_item(first, &p), 0);
  T_EQ_STR(p.type, "PATIENT ");
  T_EQ_STR(p.value, "PID-A ");
  /* patient A: studies 1.2.3.1 then 1.2.3.2 */
  T_EQ_INT(read_item(p.child, &s), 0);
  T_EQ_STR(s.type, "STUDY ");
  T_EQ_STR(s.value, "1.2.3.1");
  T_EQ_INT(read_item(s.child, &se), 0);
  T_EQ_STR(se.type, "SERIES");
  T_EQ_STR(se.value, "1.2.3.1.1");
  T_EQ_INT(read_item(se.child, &im), 0);
  T_EQ_STR(im.type, "IMAGE ");
  T_EQ_STR(im.fid, "DICOM\\ST0001\\SE0001\\IM00001 ");
  T_CHECK(im.child == 0);
  T_EQ_INT(read_item(im.next, &im), 0);
  T_EQ_STR(im.fid, "DICOM\\ST0001\\SE0001\\IM00002 ");
  T_EQ_INT(im.next, 0);
  T_EQ_INT(read_item(se.next, &se), 0);
  T_EQ_STR(se.value, "1.2.3.1.2");
  T_EQ_INT(se.next, 0);
  T_EQ_INT(read_item(s.next, &s), 0);
  T_EQ_STR(s.value, "1.2.3.2");
  T_EQ_INT(s.next, 0);
  T_EQ_INT(read_item(s.child, &se), 0);
  T_EQ_INT(read_item(se.child, &im), 0);
  T_EQ_STR(im.fid, "DICOM\\ST0002\\SE0001\\IM00001 ");
  /* patient B is the last root record */
  T_EQ_INT(p.next, last);
  T_EQ_INT(read_item(p.next, &p), 0);
  T_EQ_STR(p.value, "PID-B ");
  T_EQ_INT(p.next, 0);
}

static void test_dcmdump_reads_it(void) {
  build();
  char path[] = "/tmp/test_dicomdir_XXXXXX";
  int fd = mkstemp(path);
  T_EQ_INT(write(fd, B, BL), (long long)BL);
  close(fd);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "dcmdump -q %s > %s.txt 2>&1", path, path);
  T_EQ_INT(system(cmd), 0);
  char tp[300], txt[20000] = "";
  snprintf(tp, sizeof tp, "%s.txt", path);
  FILE *f = fopen(tp, "r");
  size_t n = f ? fread(txt, 1, sizeof txt - 1, f) : 0;
  if (f) fclose(f);
  txt[n] = '\0';
  T_CHECK(strstr(txt, "(0002,0002) UI =MediaStorageDirectoryStorage") != NULL);
  T_CHECK(strstr(txt, "[DICOM\\ST0001\\SE0002\\IM00001]") != NULL);
  T_CHECK(strstr(txt, "(0008,1030) LO [PRIOR  CHECK]") != NULL); /* the backslash is gone */
  T_CHECK(strstr(txt, "(0004,1512) UI =JPEGLossless") != NULL || strstr(txt, "1.2.840.10008.1.2.4.70") != NULL);
  T_CHECK(strstr(txt, "(0008,0050) SH [ACC1]") != NULL);
  T_CHECK(strstr(txt, "(0020,0013) IS [2]") != NULL);
  T_CHECK(strstr(txt, "E:") == NULL && strstr(txt, "W:") == NULL);
  unlink(path);
  unlink(tp);
}

static void test_file_ids_checked(void) {
  T_EQ_INT(dicomdir_valid_file_id("DICOM/ST0001/SE0001/IM00001"), 1);
  T_EQ_INT(dicomdir_valid_file_id("DICOM/00000001"), 1);
  T_EQ_INT(dicomdir_valid_file_id("DICOM/IM000000001"), 0); /* 9 characters */
  T_EQ_INT(dicomdir_valid_file_id("dicom/IM1"), 0);
  T_EQ_INT(dicomdir_valid_file_id("DICOM//IM1"), 0);
  T_EQ_INT(dicomdir_valid_file_id("DICOM/IM1.DCM"), 0);
  T_EQ_INT(dicomdir_valid_file_id("A/B/C/D/E/F/G/H/I"), 0);
  struct dicomdir_image bad = IM[0];
  bad.file_id = "DICOM/../X";
  unsigned char *out;
  size_t len;
  T_EQ_INT(dicomdir_build(&bad, 1, "", "2.25.1", &out, &len), -1);
  T_CHECK(out == NULL);
}

static void test_dates_times_numbers_keep_only_their_characters(void) {
  struct dicomdir_image one = IM[0];
  one.study_date = "2024-03-15";
  one.study_time = "10:15:00.5";
  one.instance_number = " 7 ";
  unsigned char *out;
  size_t len;
  T_EQ_INT(dicomdir_build(&one, 1, "", "2.25.1", &out, &len), 0);
  T_CHECK(memmem(out, len, "DA\x08\x00" "20240315", 12) != NULL);
  T_CHECK(memmem(out, len, "TM\x08\x00" "101500.5 ", 12) != NULL);
  T_CHECK(memmem(out, len, "IS\x02\x00" "7 ", 6) != NULL);
  free(out);
}

static void test_new_uid_is_a_uid(void) {
  char a[65], b[65];
  dicomdir_new_uid(a);
  dicomdir_new_uid(b);
  T_CHECK(strncmp(a, "2.25.", 5) == 0 && strlen(a) <= 64 && strlen(a) > 20);
  T_CHECK(strcmp(a, b) != 0);
  T_CHECK(a[5] != '0');
  T_CHECK(strspn(a, "0123456789.") == strlen(a));
}

static void test_utf8_names_declare_charset_and_are_not_cut_inside_a_character(void) {
  struct dicomdir_image one = IM[0];
  one.patient_name = "M\xc3\xbcller^J\xc3\xbcrgen";
  unsigned char *out;
  size_t len;
  T_EQ_INT(dicomdir_build(&one, 1, "", "2.25.1", &out, &len), 0);
  T_CHECK(memmem(out, len, "ISO_IR 192", 10) != NULL);
  T_CHECK(memmem(out, len, "M\xc3\xbcller^J\xc3\xbcrgen", 15) != NULL);
  free(out);
  char longname[100];
  memset(longname, 'A', 63);
  memcpy(longname + 63, "\xc3\xbc", 3); /* a two-byte character across the 64-byte limit */
  one.patient_name = longname;
  T_EQ_INT(dicomdir_build(&one, 1, "", "2.25.1", &out, &len), 0);
  T_CHECK(memmem(out, len, "\xc3", 1) == NULL);
  free(out);
}

int main(void) {
  T_RUN(test_meta_says_media_storage_directory);
  T_RUN(test_tree_and_offsets);
  T_RUN(test_dcmdump_reads_it);
  T_RUN(test_file_ids_checked);
  T_RUN(test_dates_times_numbers_keep_only_their_characters);
  T_RUN(test_new_uid_is_a_uid);
  T_RUN(test_utf8_names_declare_charset_and_are_not_cut_inside_a_character);
  return t_done();
}
