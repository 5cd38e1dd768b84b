/* The viewer's domain (issue 13; HTTP contract in the README): what a request's images are
 * (studies, series, images with view, orientation, spacing, windows), read from the metadata
 * intake stored, and their renditions — a PNG preview and the full-resolution frames — which a
 * background job ("render") prepares in a confined child process (core/render.h) and keeps
 * sealed in the blob store. No HTTP here. */
#ifndef SECONDOP_VIEWER_H
#define SECONDOP_VIEWER_H
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "store/blobfmt.h"
#include "util/err.h"

struct arena;
struct dicom_info;
struct json_t;
struct blob_reader;

/* Registers the statements and the render job kind (call before threads start, after
 * records_init). */
void viewer_init(void);

/* The viewer metadata of a DICOM image as JSON text in the arena (stored in
 * documents.image_info at intake), or NULL when out of memory. */
char *viewer_image_info(struct arena *a, const struct dicom_info *di);

/* Prepares the renditions of image document doc_id: adds its 'preparing' row and queues a render
 * job, in the caller's transaction when one is open. Nothing when the document has a row. */
enum err viewer_queue_render(long long doc_id, long long patient_id);

/* GET /api/v1/requests/{rid}/images: access as for a document download (ERR_NOT_FOUND
 * otherwise); builds the contract's JSON into *out (caller frees) and writes one study.view audit
 * row per study in it. Images without a rendition are queued for one. */
enum err viewer_images(struct arena *a, const struct actor *who, long long request_id, struct json_t **out);

enum viewer_state { VIEWER_READY, VIEWER_PREPARING, VIEWER_NOT_DECODABLE };

/* An opened rendition: a reader positioned at its first byte and the bytes to send. */
struct viewer_rendition {
  enum viewer_state state;
  const char *why;            /* NOT_DECODABLE: a sentence for people (arena) */
  struct blob_reader *reader; /* READY: the caller closes it */
  uint64_t length;            /* READY: bytes to read from the reader */
  unsigned rows, columns, samples, bytes_per_sample; /* frames */
};

/* The preview (frame < 0) or frame `frame` of image document doc of request rid. Access as for
 * a document download, not audited when granted (the opening of the study is). ERR_NOT_FOUND for
 * no access, another request's document, a document that is not an image or a frame out of
 * range. A rendition that is missing (never made, or its blob gone) is queued again and answers
 * PREPARING. */
enum err viewer_rendition_open(struct arena *a, const struct actor *who, long long request_id, long long doc,
                               long frame, struct viewer_rendition *out);

/* Deletes those of the n blobs no row names any more: the rendition blobs that the deleting
 * transaction read with renditions_blobs_of(_series), after it committed. */
void viewer_delete_blobs(const unsigned char (*ids)[BLOB_ID_LEN], size_t n);
#endif
