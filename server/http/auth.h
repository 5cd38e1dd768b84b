/* Who is asking, for every request: the session cookie (`sid`, or
 * `__Host-sid` under TLS) is looked up by its hash, idle (15 min center
 * roles, 60 min patients) and absolute (12 h) timeouts are enforced, and
 * r->user is filled. CSRF: state-changing requests carry the session's token
 * (form field `csrf` or header X-CSRF-Token), compared in constant time;
 * anonymous forms (login, sign-up, forgotten password) use a signed
 * pre-session cookie (double submit, keyed BLAKE2b with the app key). MFA
 * gate: a session that must pass TOTP reaches only RF_NO_MFA routes; pages
 * are redirected to /login/2fa (or /account/2fa to enrol). */
#ifndef SECONDOP_HTTP_AUTH_H
#define SECONDOP_HTTP_AUTH_H
#include <stdbool.h>

#include "http/req.h"

/* Installs the authenticate, CSRF and after hooks (before threads start). */
void auth_install(void);
/* The raw session cookie value sent with the request, or NULL. */
const char *auth_session_cookie(struct req *r);
/* Queues Set-Cookie for a new session token (HttpOnly, SameSite=Lax,
 * Path=/, Secure and __Host- under TLS; no expiry: the server decides). */
void auth_set_session_cookie(struct req *r, const char *token);
/* Queues Set-Cookie that removes the session cookie. */
void auth_clear_session_cookie(struct req *r);
/* For anonymous forms: makes sure the pre-session CSRF cookie exists
 * (queuing it when new) and puts the matching form token in the page data
 * as Csrf.Token. 0, or -1 when out of memory. */
int auth_anon_csrf(struct req *r);
/* True when this principal must pass TOTP (center roles always; patients
 * who enrolled) and has not yet in this session. */
bool auth_mfa_pending(const struct principal *p);
#endif
