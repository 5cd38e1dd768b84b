/* Role names for audit rows and pages: see actor.h. */
#include "core/actor.h"
#include "core/vocab.h"

const char *actor_role_name(unsigned role) {
  switch (role) {
  case 0: return "anonymous";
  default: {
    const char *k = vocab_role_key(role);
    return k ? k : "system";
  }
  }
}
