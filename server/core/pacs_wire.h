/* "Send to our PACS" (core/pacs.h), the pure parts: what a STOW-RS answer (PS3.18 10.5.3)
 * means for each instance of a batch, how many instances go in one POST, and plain words for
 * the standard failure reasons. No I/O, no database (tests/unit/test_pacs_wire.c holds the
 * table of answers). */
#ifndef SECONDOP_PACS_WIRE_H
#define SECONDOP_PACS_WIRE_H
#include <stddef.h>
#include <stdint.h>

enum pw_verdict {
  PW_ANSWERED,    /* the PACS said what became of the instances: see each pw_item */
  PW_RETRY,       /* no answer (connection failed), busy (503, 429, 408) or broken on its side (5xx): again later */
  PW_CREDENTIALS, /* 401 or 403: our user name, password or token is refused; stop */
  PW_REFUSED,     /* any other answer that names no instance (404, 415, a 2xx without a list, …); stop */
};

enum pw_outcome { PWO_NONE, PWO_REFERENCED, PWO_WARNING, PWO_FAILED };

struct pw_item {
  enum pw_outcome outcome;
  int reason; /* WarningReason (00081196) or FailureReason (00081197); -1 when none was given */
};

/* Reads the answer to one STOW-RS POST of the instances sops[0..n): http is the status (0 when
 * the connection failed), body its len bytes (a DICOM JSON object, or an array holding one).
 * For PW_ANSWERED out[i] is the outcome of sops[i]: referenced (in ReferencedSOPSequence, a
 * warning when the item carries a WarningReason), failed (in FailedSOPSequence, or not
 * mentioned at all: reason -1). Otherwise why (cap whylen) says in plain words what went wrong. */
enum pw_verdict pw_classify(long http, const char *body, size_t len, const char *const *sops, size_t n,
                            struct pw_item *out, char *why, size_t whylen);

/* How many of the next instances (sizes[0..n)) go in one POST: at most max_n and together at
 * most max_bytes, but always at least one when n > 0 (a file over the limit goes alone). */
size_t pw_batch_take(const uint64_t *sizes, size_t n, size_t max_n, uint64_t max_bytes);

/* Plain words for a Failure or Warning Reason (any value; -1: none given). */
const char *pw_reason_words(int reason);
struct curl_slist;
/* Overwrites with zeros every header of a list (the copies curl_slist_append made, one of which
 * holds the bearer token) so that curl_slist_free_all then frees no secret. NULL: nothing. */
void pw_headers_wipe(struct curl_slist *h);

/* Whether a request's images may be sent (a send started, or a queued one go on), from its
 * status and whether the patient revoked her HIPAA authorization and signed none since. Past
 * draft and until the end (closed included: the report is released and the center keeps its
 * record) a send may go, except after the patient withdrew the request or revoked her
 * authorization, or after the center declined it. An unknown status is refused like a draft. */
enum pw_gate { PWG_MAY, PWG_DRAFT, PWG_DECLINED, PWG_WITHDRAWN, PWG_REVOKED };
enum pw_gate pw_send_gate(const char *status, int auth_revoked);
/* The reason in plain words, lower case without a full stop ("" for PWG_MAY). */
const char *pw_gate_words(enum pw_gate g);
#endif
