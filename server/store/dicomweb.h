/* SQL for DICOMweb (core/dicomweb.h): the attributes stored per DICOM file (dicom_attrs) and
 * the searches over the studies, series and instances an actor may see. The access rule is the
 * one of requests_access (core/requests.c may()): a patient their own requests, staff any request
 * past draft, a reviewer the requests assigned to them past draft; any other role nothing. It is
 * part of every statement, so no search can reach outside it. Strings come from the arena.
 * Functions return ERR_OK, ERR_UNAVAILABLE or ERR_INTERNAL. */
#ifndef SECONDOP_STORE_DICOMWEB_H
#define SECONDOP_STORE_DICOMWEB_H
#include <stddef.h>
#include <stdint.h>

#include "store/blobfmt.h"
#include "util/err.h"

struct arena;

/* What a search is limited to: the actor (user id and role name: "patient", "staff",
 * "reviewer"; anything else sees nothing) and the matching keys (NULL: not given). The UIDs are
 * one UID or several joined by commas, already checked to be digits and dots. */
struct dw_filter {
  long long user_id;
  const char *role;
  const char *study_uid, *series_uid, *sop_uid, *patient_name_like, *patient_id, *date_from, *date_to,
      *modality, *accession, *sop_class_uid;
  long limit, offset; /* limit 0: no limit */
};

struct dw_study_row {
  const char *study_uid, *study_date, *description, *patient_name, *birth_date, *modalities, *attrs;
  long long n_series, n_instances;
  const char *owners; /* "request:patient" pairs, comma-separated: whose data this is */
};

struct dw_series_row {
  const char *study_uid, *series_uid, *modality, *description, *attrs, *owners;
  long long n_instances;
};

struct dw_instance_row {
  long long doc, request_id, patient_id;
  const char *study_uid, *series_uid, *sop_uid, *sop_class_uid, *tsyntax, *attrs, *blake2b, *modality,
      *study_date, *patient_name, *study_description, *series_description;
  unsigned char file_id[BLOB_ID_LEN], wrapped[BLOB_WRAPPED_LEN];
  uint32_t kek_version;
  uint64_t size;
  long long pixel_offset, pixel_length; /* -1: unknown / undefined length */
  int encapsulated, indexed;           /* indexed: a dicom_attrs row exists */
  long frames;
  unsigned rows, columns;
};

void dicomweb_store_register(void);

/* Stores the attributes of a stored file (nothing when it has a row). pixel_offset < 0: unknown. */
enum err dw_attrs_put(const unsigned char file_id[BLOB_ID_LEN], const char *attrs_json, long long pixel_offset,
                      long long pixel_length, int encapsulated);

enum err dw_search_studies(struct arena *a, const struct dw_filter *f, struct dw_study_row **out, size_t *n);
enum err dw_search_series(struct arena *a, const struct dw_filter *f, struct dw_series_row **out, size_t *n);
/* Instances, one row per SOP Instance UID (the first document that holds it), ordered by
 * study, series, instance number. */
enum err dw_search_instances(struct arena *a, const struct dw_filter *f, struct dw_instance_row **out, size_t *n);
#endif
