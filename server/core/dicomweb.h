/* DICOMweb (PS3.18) read side, the domain: QIDO-RS searches and WADO-RS retrieval over the
 * studies an actor may see, with the access rule of requests_access (a patient their own
 * requests, staff any past draft, a reviewer those assigned to them), in the SQL of every
 * search (store/dicomweb.h) and checked again per request before anything is streamed. A
 * study, series or instance the actor may not see is ERR_NOT_FOUND, exactly like one that does
 * not exist. Every answer that carries patient data writes its audit rows first (one per
 * request whose data it holds); when they cannot be written the answer is ERR_UNAVAILABLE and
 * nothing is read. Attributes come from the database (dicom_attrs, written at intake, or by a
 * background job for files taken in before); files are streamed from the sealed store,
 * decrypted on the way out, 64 KiB at a time. No HTTP here: the routes (routes/dicomweb.c)
 * negotiate media types and wire the streams to libmicrohttpd. */
#ifndef SECONDOP_CORE_DICOMWEB_H
#define SECONDOP_CORE_DICOMWEB_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/actor.h"
#include "dicom/dicomweb.h"
#include "store/blobfmt.h"
#include "store/dicomweb.h"
#include "util/err.h"

struct arena;
struct dicom_info;
struct json_t;

/* Registers the statements and the backfill job kind (before threads start). */
void dicomweb_init(void);

/* Stores the DICOMweb attributes of a stored DICOM file (intake calls it in its transaction;
 * nothing when the file has them already). */
enum err dicomweb_index_file(const unsigned char file_id[BLOB_ID_LEN], const struct dicom_info *di);

/* QIDO-RS: the matches of q (its level; study_uid / series_uid set from the path too) as a
 * DICOM JSON array (new reference in *out). base is the service root for RetrieveURL
 * ("https://host/dicom-web"). Audited (dicomweb.search, one row per request in the answer)
 * before returning. */
enum err dicomweb_search(struct arena *a, const struct actor *who, const struct dw_query *q, const char *base,
                         struct json_t **out);

/* What a WADO-RS request is for, as named in its audit rows. */
enum dw_purpose { DW_RETRIEVE, DW_METADATA, DW_FRAMES, DW_RENDERED };

/* The instances of a study (series_uid, sop_uid NULL), a series or one instance the actor may
 * see, in study/series/instance-number order: ERR_NOT_FOUND when none, ERR_CONFLICT when the UID
 * is in the records of more than one patient (never mixed in one answer). Re-checks each request
 * with the records access rule and writes the audit rows (dicomweb.retrieve, .metadata,
 * .frames, .rendered) before returning. */
enum err dicomweb_open(struct arena *a, const struct actor *who, const char *study_uid, const char *series_uid,
                       const char *sop_uid, enum dw_purpose why, struct dw_instance_row **rows, size_t *n);

/* WADO-RS metadata of the opened instances: a DICOM JSON array, every attribute we keep (new
 * reference, NULL when out of memory). base for RetrieveURL as in dicomweb_search. */
struct json_t *dicomweb_metadata(const struct dw_instance_row *rows, size_t n, const char *base);

/* A multipart/related body streamed from the sealed store. */
struct dw_stream;

/* The instances as a multipart/related body of application/dicom parts (each file whole, checked
 * against its recorded BLAKE2b as it streams), or with multipart 0 one instance (n == 1) as the
 * whole body (application/dicom). *total is the exact body length; boundary (33 bytes) receives
 * the boundary. ERR_INTERNAL when out of memory. */
enum err dicomweb_stream_instances(const struct actor *who, const struct dw_instance_row *rows, size_t n,
                                   int multipart, struct dw_stream **out, uint64_t *total, char boundary[33]);

/* Frames `list` (1-based, n of them) of one instance as a multipart/related body whose parts have
 * content type part_type: native data (explicit or implicit VR little endian) read from Pixel
 * Data at its offset; encapsulated data as the original compressed bytes of each frame
 * (fragments found through the Basic Offset Table, one fragment per frame, or the frame's start
 * marker). ERR_INVALID with a sentence in why when the frames cannot be cut from this file
 * (deflated or big endian data, the pixel data's place unknown, a frame out of range).
 * ERR_INTERNAL when the file cannot be read. */
enum err dicomweb_stream_frames(const struct actor *who, const struct dw_instance_row *row, const long *list,
                                size_t n, const char *part_type, struct dw_stream **out, uint64_t *total,
                                char boundary[33], char *why, size_t whylen);

/* The next bytes: >0, 0 at the end, -1 when a file fails its check (audited as an integrity
 * failure; the caller cuts the connection). */
ssize_t dicomweb_stream_read(struct dw_stream *s, unsigned char *buf, size_t max);
void dicomweb_stream_free(struct dw_stream *s);
/* Read-ahead helper threads running now (each retrieval being sent has at most one). */
int dicomweb_readahead_running(void);

/* Number of frames of an opened instance (from its attributes; 1 for a single-frame image, 0
 * without pixel data). */
long dicomweb_frames(const struct dw_instance_row *row);
#endif
