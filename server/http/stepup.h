/* The step-up gate for sensitive actions (issue 10, item 6): the password
 * or a TOTP code entered in this session within the last 5 minutes
 * (core/accounts.h, acct_stepup_fresh). A route handler calls
 * stepup_gate(r) first; when it returns false the answer is already queued
 * and the action must not happen:
 *   - under /api/: 401 {"error":"reauth_required"} (step up with POST
 *     /api/v1/session/reauth, field `credential`, then repeat the call);
 *   - pages: the step-up form (templates/stepup.cs), which posts back to the
 *     same URL with every field of the original form kept and a field
 *     `stepup_credential`; when that field arrives it is checked here first,
 *     and on success the action goes on in that same request.
 * Wrong credentials: the form again with the error (401); too many: 429 with
 * Retry-After; a locked second factor: 423. Future actions (API tokens,
 * sending to a PACS) use the same call. */
#ifndef SECONDOP_HTTP_STEPUP_H
#define SECONDOP_HTTP_STEPUP_H
#include <stdbool.h>

#include "http/req.h"
#include "http/router.h"

/* True when the action may proceed; false when an answer was queued. */
bool stepup_gate(struct req *r);
/* Handler of POST /api/v1/session/reauth (and the route table entry). */
extern const struct route stepup_routes[];
#endif
