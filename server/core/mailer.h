/* Delivery of the outbox by SMTP (libcurl). A background thread claims due
 * messages one at a time with FOR UPDATE SKIP LOCKED (so several instances
 * share one outbox), sends each and marks it sent.
 *
 * Never more than once: a claim moves next_attempt_at forward by a lease, so
 * no other sender picks the message while it is on the wire. A failure known
 * to have happened before the server could have accepted the message
 * (connection, TLS, login, a refused sender or recipient, or any failure
 * before curl read the last byte of the body) is retried with back-off
 * (base, 2×, 4× … capped at one hour; base 30 s, or
 * SECONDOP_TEST_MAIL_BACKOFF_SECONDS). A failure after the whole body was
 * handed over is ambiguous (the server may have delivered it): the message is
 * held (next_attempt_at = infinity) with last_error saying so, for the
 * operator, instead of risking a second copy. Each message carries a stable
 * Message-ID made from its outbox id.
 *
 * Configuration: --smtp-url / SECONDOP_SMTP_URL (smtp:// uses STARTTLS,
 * required unless the host is loopback or SECONDOP_SMTP_TLS=none; smtps:// is
 * TLS from the start), SECONDOP_SMTP_USER, SECONDOP_SMTP_PASSWORD or
 * SECONDOP_SMTP_PASSWORD_FILE (never logged), --mail-from /
 * SECONDOP_MAIL_FROM. Without a URL nothing is delivered (the outbox keeps
 * filling and `secondop outbox` prints it). */
#ifndef SECONDOP_MAILER_H
#define SECONDOP_MAILER_H
#include <stddef.h>

#include "config.h"

/* Reads the configuration and initialises libcurl (before threads start).
 * 0, or -1 after logging why (e.g. an unreadable password file). */
int mailer_init(const struct config *c);
/* Starts the delivery thread (no-op without an SMTP URL). */
void mailer_start(void);
/* Stops the thread (waits for the message in flight). */
void mailer_stop(void);
/* Frees what mailer_init made. */
void mailer_shutdown(void);

/* Builds the RFC 5322 message (CRLF line ends; header values stripped of
 * CR/LF; a non-ASCII subject encoded as RFC 2047 base64) into a malloc'd
 * string the caller frees. date_rfc2822 is the Date header value. NULL when
 * out of memory. Exposed for tests. */
char *mailer_format(long long id, const char *from, const char *to, const char *subject, const char *body,
                    const char *date_rfc2822, const char *host);
/* Back-off in seconds before attempt n+1 after n failed attempts (n >= 1). */
long mailer_backoff(int attempts, long base);
#endif
