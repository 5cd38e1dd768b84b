/* The one registry of error codes. The domain returns these; the HTTP layer
 * turns each into its status and a message a person can act on. */
#ifndef SECONDOP_ERR_H
#define SECONDOP_ERR_H

#define ERR_LIST(X)                                                                          \
  X(ERR_OK, 200, "ok", "OK.")                                                                \
  X(ERR_BAD_REQUEST, 400, "bad_request", "The request could not be understood. Please check what you entered and try again.") \
  X(ERR_BAD_FORM, 400, "bad_form", "The form data was malformed. Please reload the page and try again.") \
  X(ERR_BAD_JSON, 400, "bad_json", "The JSON body is malformed.")                            \
  X(ERR_INVALID, 422, "invalid", "Some fields need your attention.")                         \
  X(ERR_UNAUTHENTICATED, 401, "unauthenticated", "Please log in to continue.")               \
  X(ERR_FORBIDDEN, 403, "forbidden", "You do not have access to this page.")                 \
  X(ERR_CSRF, 403, "csrf", "This form has expired or did not come from this site. Please go back, reload the page and try again.") \
  X(ERR_NOT_FOUND, 404, "not_found", "We could not find that page.")                         \
  X(ERR_METHOD, 405, "method_not_allowed", "That action is not allowed here.")               \
  X(ERR_CONFLICT, 409, "conflict", "That changed in the meantime. Please reload and try again.") \
  X(ERR_AUTHORITY_PENDING, 409, "authority_not_verified", "The representative's authority document is not verified yet. Verify it on the request page before accepting the request.") \
  X(ERR_FILES_CHECKING, 409, "files_being_checked", "Some of your files are still being checked. Please wait until the records page shows them as checked (usually a few seconds), then try again.") \
  X(ERR_NOT_ACCEPTABLE, 406, "not_acceptable", "None of the types this client accepts (Accept header) can be sent for this resource.") \
  X(ERR_GONE, 410, "gone", "This is no longer available.")                                   \
  X(ERR_LENGTH_REQUIRED, 411, "length_required", "The request needs a Content-Length.")      \
  X(ERR_RECORDS_CLOSED, 423, "records_closed", "This request no longer accepts records (it has been submitted, or it is closed), so nothing was added. If the center needs more, it will ask you for it.") \
  X(ERR_TOO_LARGE, 413, "too_large", "What you sent is larger than we accept.")              \
  X(ERR_PRECONDITION, 412, "precondition_failed", "This upload client speaks a protocol version we do not support (tus 1.0.0 is required).") \
  X(ERR_CHECKSUM, 460, "checksum_mismatch", "The data did not match its checksum and was not kept. Please try the upload again.") \
  X(ERR_URI_TOO_LONG, 414, "uri_too_long", "The address is too long.")                       \
  X(ERR_MEDIA_TYPE, 415, "unsupported_media_type", "This kind of content is not accepted here.") \
  X(ERR_HEADERS_TOO_LARGE, 431, "headers_too_large", "The request headers are too large.") \
  X(ERR_TOO_MANY, 429, "too_many_requests", "Too many attempts. Please wait a little and try again.") \
  X(ERR_INTERNAL, 500, "internal", "Something went wrong on our side. Please try again; if it keeps happening, tell the center the incident number below.") \
  X(ERR_UNAVAILABLE, 503, "unavailable", "The service is briefly unavailable. Please try again in a moment; nothing you entered has been lost.") \
  X(ERR_NO_SPACE, 507, "insufficient_storage", "The center's storage is full right now, so this was not saved. Please try again later.")

enum err {
#define X(name, status, code, msg) name,
  ERR_LIST(X)
#undef X
      ERR_COUNT
};

/* HTTP status, short machine code and human message of an error. */
unsigned err_status(enum err e);
const char *err_code(enum err e);
const char *err_message(enum err e);
#endif
