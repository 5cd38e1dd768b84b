/* The audit trail: append-only, hash-chained rows in audit_log. Every login
 * result, every account change and every read or change of patient data
 * writes one. The database refuses UPDATE and DELETE on the table. */
#ifndef SECONDOP_AUDIT_H
#define SECONDOP_AUDIT_H
#include "core/actor.h"
#include "util/err.h"

struct audit_event {
  const char *action;       /* dotted verb: "login.success", "request.view", "document.download" */
  const char *object_type;  /* "user", "request", "document", "specialist", NULL */
  const char *object_id;    /* its id as text, or NULL */
  long long patient_id;     /* the patient whose data this touches (0 if none): lets a patient see who opened their records */
  const char *outcome;      /* "ok", "denied", "failed" (NULL means "ok") */
  const char *detail_json;  /* small JSON object text, or NULL; never passwords, tokens or clinical text */
};

/* Appends one row for the actor. Runs on the calling thread's database
 * connection, so inside the caller's transaction when one is open (the row
 * commits or rolls back with the change it records). Serialises the chain
 * with a transaction-scoped advisory lock. ERR_OK, or ERR_UNAVAILABLE /
 * ERR_INTERNAL. */
enum err audit_write(const struct actor *a, const struct audit_event *ev);
/* Walks the whole chain; returns the id of the first row whose hash does
 * not match (0 when intact, -1 when the database could not be read). */
long long audit_verify(void);
#endif
