/* A small S3 client (libcurl with CURLOPT_AWS_SIGV4) for the s3:// blob store:
 * objects (put, ranged get, head, delete), multipart uploads (create, part,
 * complete, abort, list) and listing. Path-style addressing against one
 * endpoint (radosgw, MinIO, AWS with an explicit endpoint).
 *
 * curl 7.88's SigV4 signer (Debian 12) has three traps, handled here: the
 * payload hash is given as an `x-amz-content-sha256` header (the signer uses
 * it), the query string is signed as written so parameters are sorted and a
 * bare key is written with its `=` (`?uploads=`), and every entry of the
 * header list is signed — an empty `Expect:` entry (the usual way to turn
 * 100-continue off) too, although curl sends no such header, so radosgw
 * answers SignatureDoesNotMatch: the list holds no `Expect:` entry, and the
 * `Expect: 100-continue` curl adds to a PUT after signing (not a signed
 * header) stays.
 *
 * Credentials live in sodium_malloc'd memory and are never logged; error
 * reasons carry the HTTP status and S3 error code only.
 *
 * Threads: every call may run concurrently on one struct s3 (each call uses
 * its own curl handle, kept per thread for keep-alive). */
#ifndef SECONDOP_STORE_S3_H
#define SECONDOP_STORE_S3_H
#include <stddef.h>
#include <stdint.h>

struct s3; /* opaque */

/* Result classes of a call (besides 0 = done). */
enum s3_fail {
  S3_OK = 0,
  S3_NOT_FOUND = 1,   /* 404 NoSuchKey / NoSuchUpload / NoSuchBucket */
  S3_DENIED = 2,      /* 401/403: wrong key or secret, or no permission */
  S3_UNAVAILABLE = 3, /* connection refused, timeout, 5xx */
  S3_BAD = 4,         /* any other answer (a bug or an unexpected server) */
};

/* Configuration: url is s3://bucket[/prefix]; endpoint http(s)://host[:port];
 * region (default "us-east-1"). */
struct s3_config {
  const char *url, *endpoint, *region, *access_key, *secret_key;
};
/* Parses s3://bucket/prefix into bucket and prefix (no leading or trailing
 * slash; may be empty). 0, or -1 when malformed. */
int s3_parse_url(const char *url, char *bucket, size_t bcap, char *prefix, size_t pcap);
/* 0 with *out, or -1 with a reason (no secret in it). */
int s3_new(const struct s3_config *cfg, struct s3 **out, char *err, size_t errlen);
void s3_free(struct s3 *s);
/* The key of an object name under the configured prefix ("prefix/name"). */
int s3_key(const struct s3 *s, const char *name, char *out, size_t cap);
/* Checks that the bucket answers with these credentials (a one-key listing).
 * S3_OK or a failure class with a sentence in err. */
enum s3_fail s3_check(struct s3 *s, char *err, size_t errlen);

enum s3_fail s3_put(struct s3 *s, const char *key, const void *data, size_t len, char *err, size_t errlen);
/* Ranged GET of [off, off+len): *got = bytes returned (fewer at the end). */
enum s3_fail s3_get_range(struct s3 *s, const char *key, uint64_t off, size_t len, void *buf, size_t *got,
                          char *err, size_t errlen);
enum s3_fail s3_head(struct s3 *s, const char *key, uint64_t *size, char *err, size_t errlen);
/* Deleting an absent key is S3_OK. */
enum s3_fail s3_delete(struct s3 *s, const char *key, char *err, size_t errlen);

#define S3_UPLOAD_ID_MAX 256
#define S3_ETAG_MAX 80
enum s3_fail s3_mpu_create(struct s3 *s, const char *key, char upload_id[S3_UPLOAD_ID_MAX], char *err,
                           size_t errlen);
enum s3_fail s3_mpu_part(struct s3 *s, const char *key, const char *upload_id, unsigned part, const void *data,
                         size_t len, char etag[S3_ETAG_MAX], char *err, size_t errlen);
/* etags[i] is part i + 1. */
enum s3_fail s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id, char (*etags)[S3_ETAG_MAX],
                             unsigned nparts, char *err, size_t errlen);
enum s3_fail s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id, char *err, size_t errlen);
/* The uploaded parts 1..max (ETags into etags[part-1]; a part absent leaves
 * its entry empty). latest, when not NULL: the newest LastModified of any
 * part (unix seconds; 0 when there is no part or the store gave none). */
enum s3_fail s3_mpu_list_parts(struct s3 *s, const char *key, const char *upload_id, char (*etags)[S3_ETAG_MAX],
                               unsigned max, int64_t *latest, char *err, size_t errlen);
/* Calls fn for each multipart upload in progress whose key starts with
 * key_prefix, with its Initiated time (unix seconds, 0 when the store gave
 * none), page after page (key-marker, upload-id-marker); fn's return != 0
 * stops. */
enum s3_fail s3_mpu_list(struct s3 *s, const char *key_prefix,
                         int (*fn)(void *ctx, const char *key, const char *upload_id, int64_t initiated), void *ctx,
                         char *err, size_t errlen);
/* Body bytes received from the store so far (all calls on s; for tests and
 * metrics). */
uint64_t s3_bytes_received(struct s3 *s);
/* Calls fn for each object whose key starts with key_prefix (ListObjectsV2,
 * page after page through continuation-token), with its size and
 * LastModified (unix seconds, 0 when the store gave none); fn's return != 0
 * stops. */
enum s3_fail s3_list(struct s3 *s, const char *key_prefix,
                     int (*fn)(void *ctx, const char *key, uint64_t size, int64_t modified), void *ctx, char *err,
                     size_t errlen);
/* Server-side CopyObject of from_key to to_key in the bucket (the copy's
 * LastModified is the time of the copy). A 200 whose body is an <Error> (S3
 * may fail a copy after answering) is a failure. */
enum s3_fail s3_copy(struct s3 *s, const char *from_key, const char *to_key, char *err, size_t errlen);
/* Listing pages of at most n entries (0: the store's default, 1000); tests
 * use a small n to prove the paging. */
void s3_set_page_size(struct s3 *s, unsigned n);
/* "2026-12-01T01:29:28.000Z" (S3's LastModified and Initiated) as unix
 * seconds; 0 when it does not parse. */
int64_t s3_parse_time(const char *iso);
#endif
