/* The optional virus-scan hook: with --clamd-socket PATH every finished
 * upload's plaintext is streamed to ClamAV's clamd over its unix socket
 * (INSTREAM, in chunks of at most CLAMD_CHUNK bytes, with socket time-outs)
 * before intake. A file clamd flags is quarantined: the upload fails with a
 * plain message to the patient, its sealed file is kept but never served or
 * taken in, and staff see it flagged. When clamd cannot be reached (or cannot
 * scan), the upload waits (uploads.scan_pending) and is retried by the
 * records sweeper and at start-up: it is never taken in unscanned. */
#ifndef SECONDOP_VIRUS_SCAN_H
#define SECONDOP_VIRUS_SCAN_H
#include <stddef.h>

#include "core/actor.h"
#include "store/blobfmt.h"
#include "store/uploads.h"

#define CLAMD_CHUNK ((size_t)64 << 10)
#define VIRUS_MESSAGE                                                                                         \
  "this file was flagged by the virus scanner and was not added; if you believe this is wrong, contact the " \
  "center"

enum scan_verdict {
  SCAN_CLEAN,        /* scanned and clean, or no scanner configured: go on with intake */
  SCAN_QUARANTINED,  /* flagged: already recorded (upload failed, quarantined, audited) */
  SCAN_WAIT,         /* scanner unavailable: recorded as waiting; retry later */
};

/* Remembers the clamd socket path (NULL or "": no scanning). Call before threads start. */
void content_scan_init(const char *socket_path);
/* Scans the finished upload u (its sealed file opened with dek) and records
 * the outcome as described above. */
enum scan_verdict content_scan_file(const struct actor *who, struct upload_row *u,
                                    const unsigned char dek[BLOB_DEK_LEN]);

/* The bare protocol, for tests: streams the plaintext of r to clamd at
 * socket_path. 1 infected (finding copied into virus), 0 clean, -1 clamd
 * unreachable or could not scan (why copied into virus). */
int clamd_instream(const char *socket_path, struct blob_reader *r, char *virus, size_t cap);
#endif
