/* The domain's view of who is asking, built from an HTTP request. */
#ifndef SECONDOP_HTTP_ACTOR_H
#define SECONDOP_HTTP_ACTOR_H
#include "core/actor.h"
#include "http/req.h"

/* The actor for a request: the logged-in user (id, role) or anonymous, with
 * the client address and request id. Strings borrowed from r. */
struct actor actor_from_req(struct req *r);
#endif
