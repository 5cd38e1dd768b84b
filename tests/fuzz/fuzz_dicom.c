/* libFuzzer target for the DICOM reader and the content sniffer.
 * Each input is parsed as a complete file and as a prefix, and sniffed with and without a
 * name. Build: clang -fsanitize=fuzzer,address,undefined -Iserver server/dicom/dicom.c \
 *   server/dicom/sniff.c tests/fuzz/fuzz_dicom.c -lz -o fuzz_dicom && ./fuzz_dicom tests/fuzz/corpus/dicom */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dicom/dicom.h"
#include "dicom/sniff.h"

/* Checks invariants that must hold for any input; a violation aborts (a fuzzer finding). */
static void check_strings(const struct dicom_info *d) {
  const char *fields[] = {d->transfer_syntax,     d->sop_class_uid,      d->sop_instance_uid,
                          d->study_instance_uid,  d->series_instance_uid, d->modality,
                          d->laterality,          d->view_position,      d->study_date,
                          d->study_description,   d->series_description, d->patient_name,
                          d->patient_birth_date,  d->manufacturer};
  size_t sizes[] = {sizeof d->transfer_syntax,    sizeof d->sop_class_uid,
                    sizeof d->sop_instance_uid,   sizeof d->study_instance_uid,
                    sizeof d->series_instance_uid, sizeof d->modality,
                    sizeof d->laterality,         sizeof d->view_position,
                    sizeof d->study_date,         sizeof d->study_description,
                    sizeof d->series_description, sizeof d->patient_name,
                    sizeof d->patient_birth_date, sizeof d->manufacturer};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    if (memchr(fields[i], '\0', sizes[i]) == NULL) __builtin_trap();
}

/* libFuzzer entry point: never fails, traps on a broken invariant. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct dicom_info info;
  char err[96];
  for (int complete = 0; complete <= 1; complete++) {
    enum dicom_rc rc = dicom_parse(data, size, complete, &info, err, sizeof err);
    check_strings(&info);
    if (rc > DICOM_MALFORMED) __builtin_trap();
    if (complete && rc == DICOM_NEED_MORE) __builtin_trap(); /* a whole file is decided */
    if (memchr(err, '\0', sizeof err) == NULL) __builtin_trap();
  }
  /* the streaming side: the header read from growing prefixes (as intake does up to its budget)
   * decides the same way as the whole buffer, and the pixel scan fed in pieces agrees */
  struct dicom_info whole;
  enum dicom_rc rw = dicom_parse(data, size, 1, &whole, err, sizeof err);
  for (size_t cut = 64; cut < size; cut *= 4) {
    enum dicom_rc rp = dicom_parse(data, cut, 0, &info, err, sizeof err);
    check_strings(&info);
    if (rp == DICOM_OK && rw == DICOM_OK && strcmp(info.sop_instance_uid, whole.sop_instance_uid) != 0)
      __builtin_trap(); /* a prefix that decided must agree with the whole file */
  }
  if (rw == DICOM_OK) {
    enum dicom_pixels a = dicom_pixels_in_buffer(&whole, data, size);
    if (whole.has_pixel_data && whole.pixel_encapsulated && whole.pixel_offset_known && whole.pixel_offset <= size) {
      struct dicom_pixscan sc;
      dicom_pixscan_init(&sc, 0);
      size_t at = (size_t)whole.pixel_offset;
      while (at < size) {
        size_t step = 1 + (data[at] & 31);
        if (step > size - at) step = size - at;
        dicom_pixscan_feed(&sc, data + at, step);
        at += step;
      }
      if (strcmp(whole.transfer_syntax, "1.2.840.10008.1.2.2") != 0 && dicom_pixels_judge(&whole, size, &sc) != a)
        __builtin_trap();
    }
    (void)dicom_frames(&whole);
    (void)dicom_native_length(&whole);
  }
  (void)dicom_sniff_headerless(data, size);
  (void)sniff_bytes(data, size, NULL);
  (void)sniff_bytes(data, size, "DICOM/IM000001");
  return 0;
}
