/* Role names for audit rows and pages: see actor.h. */
#include "core/actor.h"

const char *actor_role_name(unsigned role) {
  switch (role) {
  case 0: return "anonymous";
  case 1u << 0: return "patient";
  case 1u << 1: return "staff";
  case 1u << 2: return "reviewer";
  case 1u << 3: return "admin";
  default: return "system";
  }
}
