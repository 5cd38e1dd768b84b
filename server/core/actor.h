/* Who is acting, as the domain layer sees it: no HTTP types. Routes build
 * one from the request (http/actor.c); CLI commands build a "system" one.
 * Every domain function that reads or changes patient data takes the actor,
 * checks it per object, and writes the audit row. */
#ifndef SECONDOP_ACTOR_H
#define SECONDOP_ACTOR_H
#include <stdbool.h>

struct actor {
  long long user_id;        /* 0: anonymous or system */
  unsigned role;            /* enum role bits from http/req.h values; 0 when anonymous */
  const char *ip;           /* client address, "" for the CLI */
  const char *request_id;   /* request id, or "cli" */
  long long token_id;       /* the personal access token that authenticated (core/tokens.h); 0 for a
                               session, the CLI or a job */
  bool can_store;           /* that token may send studies (STOW-RS): staff made it so; false otherwise */
};

/* The role's name for audit rows and pages: "patient", "staff", "reviewer",
 * "admin", "anonymous" or "system". */
const char *actor_role_name(unsigned role);
#endif
