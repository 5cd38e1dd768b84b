/* The records of a request (or of one of its studies) as a CD-ready ZIP, laid out as IHE PDI /
 * DICOM PS3.10 media: DICOMDIR at the root, the DICOM files under DICOM/ with names of at most
 * 8 upper-case letters and digits per folder (DICOM/ST0001/SE0001/IM00001), the reports and
 * other documents under REPORTS/, and a README.TXT in plain words. Streamed through the ZIP
 * writer (ZIP64 past 4 GiB), decrypted on the way out, each file checked against its recorded
 * BLAKE2b; memory stays flat (the DICOMDIR is built before the first byte, from the stored
 * attributes and each file's header, read through the decrypting reader). */
#ifndef SECONDOP_CDMEDIA_H
#define SECONDOP_CDMEDIA_H
#include <stdint.h>
#include <sys/types.h>

#include "core/actor.h"
#include "util/arena.h"
#include "util/err.h"

struct cd_download;

/* Checks access and audits (records_zip_open / records_study_zip_open; study_id 0 = the whole
 * request), then plans the archive. *filename is the download's name (arena), *total its exact
 * length. The caller streams with cdmedia_read and frees with cdmedia_free (never NULL on
 * ERR_OK). Errors: those of the access check; ERR_NOT_FOUND for a study not in the request;
 * ERR_INTERNAL. */
enum err cdmedia_open(struct arena *a, const struct actor *who, long long request_id, long long study_id,
                      struct cd_download **out, const char **filename, uint64_t *total);

/* The next bytes of the archive: >0, 0 at the end, -1 on an integrity failure (audited as
 * records_integrity_failure; the caller cuts the connection). */
ssize_t cdmedia_read(struct cd_download *d, unsigned char *buf, size_t max);

void cdmedia_free(struct cd_download *d);
#endif
