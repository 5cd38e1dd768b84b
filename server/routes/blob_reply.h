/* A sealed blob as a response body, streamed through a libmicrohttpd callback
 * (the viewer's renditions, DICOMweb's rendered images). */
#ifndef SECONDOP_ROUTES_BLOB_REPLY_H
#define SECONDOP_ROUTES_BLOB_REPLY_H
#include <stdint.h>

#include "http/req.h"
#include "store/blobfmt.h"

/* Answers 200 with length bytes read from rd as content_type; rd is the
 * response's from here on (closed when it is done, or now on failure). A read
 * that is cut short or not authentic cuts the connection. Returns the
 * response (to add headers) or NULL after answering 500. */
struct MHD_Response *reply_blob(struct req *r, struct blob_reader *rd, uint64_t length, const char *content_type);
#endif
