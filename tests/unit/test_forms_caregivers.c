/* The caregiver, representative and token form specs (core/caregivers.c,
 * core/tokens.c) through the one parse function: each row is a form as
 * posted and the one field that must carry an error ("" when none), checked
 * against a fixed today so a date in the future is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caregivers.h"
#include "core/form.h"
#include "core/password.h"
#include "core/tokens.h"
#include "t.h"
#include "util/arena.h"

#define TODAY "2026-11-30"
#define X61 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct row {
  const char *form;   /* which spec */
  const char *pairs;  /* name=value&... (no escaping: the values here hold no & or =) */
  const char *field;  /* the field with an error, "" when the form is accepted */
  size_t n_errors;    /* how many errors in all */
};

static const struct row rows[] = {
    /* the invitation */
    {"invite", "email=ana@example.test&relationship=daughter", "", 0},
    {"invite", "email=&relationship=son", "email", 1},
    {"invite", "email=not-an-address&relationship=son", "email", 1},
    {"invite", "email=ana@example.test&relationship=", "relationship", 1},
    {"invite", "email=ana@example.test&relationship=boss", "relationship", 1},
    {"invite", "email=ana@example.test&relationship=other&relationship_other=", "relationship_other", 1},
    {"invite", "email=ana@example.test&relationship=other&relationship_other=" X61, "relationship_other", 1},
    {"invite", "email=ana@example.test&relationship=other&relationship_other=my neighbour", "", 0},
    {"invite", "email=&relationship=", "email", 2},
    /* a request for someone */
    {"represent", "name=Lucia Menor&dob=2010-05-01&relationship=parent&authority=parent_of_minor", "", 0},
    {"represent", "name= &dob=2010-05-01&relationship=parent&authority=parent_of_minor", "name", 1},
    {"represent", "name=Lucia Menor&dob=2999-01-01&relationship=parent&authority=parent_of_minor", "dob", 1},
    {"represent", "name=Lucia Menor&dob=2010-02-30&relationship=parent&authority=parent_of_minor", "dob", 1},
    {"represent", "name=Lucia Menor&dob=" TODAY "&relationship=parent&authority=parent_of_minor", "", 0},
    {"represent", "name=Lucia Menor&dob=2010-05-01&relationship=parent&authority=boss", "authority", 1},
    {"represent", "name=Lucia Menor&dob=2010-05-01&relationship=other&authority=legal_guardian",
     "relationship_other", 1},
    {"represent", "name=&dob=&relationship=&authority=", "name", 4},
    /* accepting an invitation with a new account */
    {"accept", "name=Ana Rivera&password=caregiver horse battery staple&time_zone=Europe/Madrid", "", 0},
    {"accept", "name=&password=caregiver horse battery staple", "name", 1},
    {"accept", "name=Ana Rivera&password=", "password", 1},
    {"accept", "name=Ana Rivera&password=short1", "password", 1},
    {"accept", "name=&password=short1", "password", 2},
    /* staff's decision on an authority document */
    {"authority", "document=12&decision=verify", "", 0},
    {"authority", "document=12&decision=refuse&reason=The stamp is missing.", "", 0},
    {"authority", "document=12&decision=refuse&reason=", "reason", 1},
    {"authority", "document=12&reason=x", "decision", 1},
    {"authority", "document=abc&decision=verify", "document", 1},
    {"authority", "decision=verify", "document", 1},
    /* ending a representative */
    {"end", "link=7&end_reason=Withdrawn by the court.", "", 0},
    {"end", "link=7&end_reason=   ", "end_reason", 1},
    {"end", "link=0&end_reason=Withdrawn", "link", 1},
    /* the personal access token */
    {"token", "label=Weasis at home", "", 0},
    {"token", "label=Weasis at home&days=365&can_store=1", "", 0},
    {"token", "label=&days=30", "label", 1},
    {"token", "label=Weasis&days=0", "days", 1},
    {"token", "label=Weasis&days=366", "days", 1},
    {"token", "label=Weasis&days=abc", "days", 1},
    {"token", "label=Weasis&can_store=on", "can_store", 1},
};

static const struct form_spec *spec_of(const char *form) {
  if (strcmp(form, "invite") == 0) return caregivers_invite_form();
  if (strcmp(form, "represent") == 0) return caregivers_represent_form();
  if (strcmp(form, "accept") == 0) return caregivers_accept_form();
  if (strcmp(form, "authority") == 0) return caregivers_authority_form();
  if (strcmp(form, "end") == 0) return caregivers_end_form();
  return tokens_create_form();
}

static void table(void) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct arena *a = arena_new();
    char *buf = strdup(rows[i].pairs);
    struct form_pair in[16];
    size_t n = 0;
    for (char *save = NULL, *p = strtok_r(buf, "&", &save); p && n < 16; p = strtok_r(NULL, "&", &save)) {
      char *eq = strchr(p, '=');
      if (!eq) continue;
      *eq = '\0';
      in[n++] = (struct form_pair){p, eq + 1};
    }
    const struct form_spec *spec = spec_of(rows[i].form);
    struct form_value v[16];
    struct form_errors errs;
    bool ok = form_parse(a, spec, in, n, TODAY, NULL, v, &errs);
    if (ok != !*rows[i].field || errs.n != rows[i].n_errors ||
        (*rows[i].field && !form_error(&errs, rows[i].field))) {
      fprintf(stderr, "  row %zu (%s %s): %zu errors, first %s\n", i, rows[i].form, rows[i].pairs, errs.n,
              errs.n ? errs.e[0].field : "-");
      T_CHECK(0);
    }
    free(buf);
    arena_free(a);
  }
}

/* The password is the one secret field: never echoed back into a page. */
static void secrets(void) {
  const struct form_spec *s = caregivers_accept_form();
  for (size_t i = 0; i < s->n; i++) T_EQ_INT(s->fields[i].secret, strcmp(s->fields[i].name, "password") == 0);
  const struct form_spec *forms[] = {caregivers_invite_form(), caregivers_represent_form(),
                                     caregivers_authority_form(), caregivers_end_form(), tokens_create_form()};
  for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++)
    for (size_t i = 0; i < forms[k]->n; i++) T_CHECK(!forms[k]->fields[i].secret);
}

int main(void) {
  const char *dir = getenv("SECONDOP_SHARE_DIR");
  char p1[4096], p2[4096];
  snprintf(p1, sizeof p1, "%s/data/common-passwords.txt", dir && *dir ? dir : ".");
  snprintf(p2, sizeof p2, "%s/data/blocked-passphrases.txt", dir && *dir ? dir : ".");
  const char *paths[] = {p1, p2};
  if (pw_blocklist_load_files(paths, 2) < 0) {
    fprintf(stderr, "the password blocklists could not be read\n");
    return 1;
  }
  T_RUN(table);
  T_RUN(secrets);
  return t_done();
}
