/* dicom_dump: prints what our DICOM reader finds in each file, for comparison with dcmdump.
 * Usage: dicom_dump FILE...
 * For each file: "FILE=<path>", "RESULT=<ok|need-more|not-dicom|malformed>", "SNIFF=<kind>",
 * one KEY=VALUE line per attribute (empty values printed as KEY=; text decoded to UTF-8), then
 * what intake derives: Rows, Columns, NumberOfFrames (0 when absent), Frames, Pixels
 * (none|complete|incomplete), ObjectKind, SopClassWords, NameDisplay, PatientSex, NoPreamble,
 * Problem; then a blank line.
 * Reads at most 64 MiB of each file. Exit status 1 if any file could not be read or parsed. */
#include <stdio.h>
#include <stdlib.h>

#include "dicom/charset.h"
#include "dicom/dicom.h"
#include "dicom/sniff.h"
#include "dicom/sopclass.h"

#define MAX_READ ((size_t)64 << 20)

/* Reads up to MAX_READ bytes of path into a new buffer (caller frees); NULL on error. */
static unsigned char *slurp(const char *path, size_t *len, int *complete) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0;
  if (!f) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_READ) break;
      size_t ncap = cap ? cap * 2 : 65536;
      unsigned char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        buf = NULL;
        goto done;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    buf = NULL;
    goto done;
  }
  *complete = feof(f) != 0;
  *len = n;
done:
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  int status = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    size_t len = 0;
    int complete = 0;
    unsigned char *buf = slurp(argv[i], &len, &complete);
    if (!buf) {
      perror(argv[i]);
      status = 1;
      continue;
    }
    struct dicom_info d;
    char err[160];
    enum dicom_rc rc = dicom_parse(buf, len, complete, &d, err, sizeof err);
    size_t sniff_len = len < SNIFF_WANT_BYTES ? len : SNIFF_WANT_BYTES;
    printf("FILE=%s\nRESULT=%s\n", argv[i], dicom_rc_name(rc));
    if (rc == DICOM_MALFORMED) printf("ERROR=%s\n", err);
    printf("SNIFF=%s\n", sniff_kind_name(sniff_bytes(buf, sniff_len, argv[i])));
    printf("TransferSyntaxUID=%s\nSOPClassUID=%s\nSOPInstanceUID=%s\n", d.transfer_syntax,
           d.sop_class_uid, d.sop_instance_uid);
    printf("StudyInstanceUID=%s\nSeriesInstanceUID=%s\nModality=%s\n", d.study_instance_uid,
           d.series_instance_uid, d.modality);
    printf("ImageLaterality=%s\nViewPosition=%s\nStudyDate=%s\n", d.laterality, d.view_position,
           d.study_date);
    printf("StudyDescription=%s\nSeriesDescription=%s\nPatientName=%s\n", d.study_description,
           d.series_description, d.patient_name);
    printf("PatientBirthDate=%s\nManufacturer=%s\n", d.patient_birth_date, d.manufacturer);
    printf("IsDicomdir=%d\nHasPixelData=%d\n", d.is_dicomdir, d.has_pixel_data);
    static const char *const px[] = {"none", "complete", "incomplete"};
    char disp[600];
    dicom_pn_display(d.patient_name, disp, sizeof disp);
    printf("Rows=%u\nColumns=%u\nNumberOfFrames=%ld\nFrames=%ld\n", d.rows, d.columns, d.number_of_frames,
           dicom_frames(&d));
    printf("Pixels=%s\n", rc == DICOM_OK && complete ? px[dicom_pixels_in_buffer(&d, buf, len)] : "unknown");
    printf("ObjectKind=%s\nSopClassWords=%s\n", sop_kind_name(sop_object_kind(d.sop_class_uid, d.has_pixel_data)),
           sop_class_words(d.sop_class_uid));
    printf("NameDisplay=%s\nPatientSex=%s\nSpecificCharacterSet=%s\nReplacements=%zu\n", disp, d.patient_sex,
           d.specific_charset, d.charset_replacements);
    printf("NoPreamble=%d\nProblem=%d\n\n", d.no_preamble, (int)d.problem);
    if (rc != DICOM_OK) status = 1;
    free(buf);
  }
  return status;
}
