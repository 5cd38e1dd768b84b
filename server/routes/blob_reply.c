/* See blob_reply.h. */
#include "routes/blob_reply.h"

#include <microhttpd.h>
#include <stdlib.h>

#include "http/reply.h"

struct blob_stream {
  struct blob_reader *rd;
  uint64_t left;
};

static ssize_t blob_stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  struct blob_stream *s = cls;
  if (s->left == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  if (max > s->left) max = (size_t)s->left;
  char err[128];
  ssize_t n = blob_reader_read(s->rd, buf, max, err, sizeof err);
  if (n <= 0) return MHD_CONTENT_READER_END_WITH_ERROR; /* cut short or not authentic: cut the connection */
  s->left -= (uint64_t)n;
  return n;
}

static void blob_stream_free(void *cls) {
  struct blob_stream *s = cls;
  blob_reader_close(s->rd);
  free(s);
}

struct MHD_Response *reply_blob(struct req *r, struct blob_reader *rd, uint64_t length, const char *content_type) {
  struct blob_stream *s = calloc(1, sizeof *s);
  if (!s) {
    blob_reader_close(rd);
    reply_error(r, ERR_INTERNAL, NULL);
    return NULL;
  }
  s->rd = rd;
  s->left = length;
  struct MHD_Response *resp =
      MHD_create_response_from_callback(length, 64 * 1024, blob_stream_read, s, blob_stream_free);
  if (!resp) {
    blob_stream_free(s);
    reply_error(r, ERR_INTERNAL, NULL);
    return NULL;
  }
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = 200;
  r->resp_bytes = length;
  MHD_add_response_header(resp, "Content-Type", content_type);
  return resp;
}
