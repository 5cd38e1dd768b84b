/* DICOM Part 10 metadata reader: the few attributes the portal shows and checks.
 * Our own small parser; it never touches pixel data and never trusts a length. */
#ifndef SECONDOP_DICOM_H
#define SECONDOP_DICOM_H
#include <stddef.h>

enum dicom_rc { DICOM_OK = 0, DICOM_NEED_MORE = 1, DICOM_NOT_DICOM = 2, DICOM_MALFORMED = 3 };

struct dicom_info {
  char transfer_syntax[65], sop_class_uid[65], sop_instance_uid[65], study_instance_uid[65],
      series_instance_uid[65];
  char modality[17];
  char laterality[17]; /* ImageLaterality (0020,0062), else Laterality (0020,0060) */
  char view_position[17];
  char study_date[9], study_description[65], series_description[65], patient_name[325],
      patient_birth_date[17], manufacturer[65]; /* birth date as written: 19700101, or 1970.01.01 on older files */
  int is_dicomdir; /* MediaStorageSOPClassUID 1.2.840.10008.1.3.10 */
  int has_pixel_data;
};

/* Largest inflated prefix of a deflated data set we examine before giving up. */
#define DICOM_INFLATE_MAX ((size_t)8 << 20)

/* Parses a Part 10 file (128-byte preamble + "DICM" + meta group) from buf[0..len) and fills
 * *out (zeroed first). Stops at top-level Pixel Data (7FE0,0010). Only top-level attributes are
 * read; sequences are skipped. Values are raw bytes (character set not converted; the caller
 * escapes on output), trailing spaces/NULs trimmed, truncated to the field size.
 * Returns DICOM_OK; DICOM_NEED_MORE when buf ended before Pixel Data / the end of the data set
 * and is_complete_file == 0 (call again with a longer prefix); DICOM_NOT_DICOM when "DICM" is
 * absent; DICOM_MALFORMED with a short reason in err (may be NULL) otherwise. On NEED_MORE and
 * MALFORMED the fields found so far are set (is_dicomdir once the meta group was read).
 * Allocates only for deflated data sets (at most DICOM_INFLATE_MAX, freed before return). */
enum dicom_rc dicom_parse(const unsigned char *buf, size_t len, int is_complete_file,
                          struct dicom_info *out, char *err, size_t errlen);

/* Reads only the preamble and meta group of buf[0..len) (a prefix), filling transfer_syntax and
 * is_dicomdir in *out (zeroed first). Cheap: never touches the data set, never allocates.
 * Returns DICOM_OK, DICOM_NEED_MORE (prefix ends inside the meta group), DICOM_NOT_DICOM or
 * DICOM_MALFORMED (reason in err, may be NULL). */
enum dicom_rc dicom_parse_meta(const unsigned char *buf, size_t len, struct dicom_info *out,
                               char *err, size_t errlen);

/* Short constant name of a return code ("ok", "need-more", ...). */
const char *dicom_rc_name(enum dicom_rc rc);

#endif
