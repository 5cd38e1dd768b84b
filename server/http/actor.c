/* Builds the domain's actor from a request: see actor.h. */
#include "http/actor.h"

struct actor actor_from_req(struct req *r) {
  struct actor a = {0, 0, r->client_ip, r->id, 0, false};
  if (r->user) {
    a.user_id = r->user->user_id;
    a.role = (unsigned)r->user->role;
    a.token_id = r->user->token_id;
    a.can_store = r->user->token_id && r->user->token_can_store;
  }
  return a;
}
