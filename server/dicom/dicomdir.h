/* A DICOMDIR (PS3.10 media directory, PS3.3 F) written by our own code: File Meta with Media
 * Storage SOP Class 1.2.840.10008.1.3.10, explicit VR little endian, the File-set Identification
 * and Directory Information modules, and PATIENT -> STUDY -> SERIES -> IMAGE records with their
 * keys and the offsets that link them. Pure: builds bytes in memory, no I/O. */
#ifndef SECONDOP_DICOMDIR_H
#define SECONDOP_DICOMDIR_H
#include <stddef.h>

/* One referenced file with the keys of the records above it. Strings are UTF-8 (NULL = "");
 * values are cleaned (no backslash or control characters) and cut to their VR's length. */
struct dicomdir_image {
  const char *patient_id, *patient_name;
  const char *study_uid, *study_date, *study_time, *study_description, *accession, *study_id;
  const char *series_uid, *modality, *series_number;
  const char *file_id; /* relative path, '/' separated: "DICOM/ST0001/SE0001/IM00001" */
  const char *sop_class, *sop_instance, *transfer_syntax, *instance_number;
};

/* A fresh UID under 2.25 (a random UUID as a decimal number), for the Media Storage SOP
 * Instance UID. out holds at least 65 bytes. */
void dicomdir_new_uid(char out[65]);

/* Builds the DICOMDIR for n files: one PATIENT record per Patient ID and name, one STUDY per
 * Study Instance UID, one SERIES per Series Instance UID, one IMAGE per file, each in the
 * order first met. fileset_id (CS, at most 16 characters, may be "") names the disc.
 * *out (malloc'd, the caller frees) and *len are set on success. Returns 0, or -1 when out of
 * memory or a file ID is not valid on media (components of 1 to 8 characters A-Z 0-9 _,
 * at most 8 components). */
int dicomdir_build(const struct dicomdir_image *im, size_t n, const char *fileset_id, const char *instance_uid,
                   unsigned char **out, size_t *len);

/* True when path is a valid PS3.10 file ID (see dicomdir_build). */
int dicomdir_valid_file_id(const char *path);
#endif
