/* The form layer (server/core/form.c) against the truth table in
 * tests/data/form_fields.tsv, written before the code: every type missing,
 * empty, too long, out of range, bad vocabulary and good; then the date and
 * id parsers, multi-valued vocabularies, the cross-field rule and the error
 * map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/form.h"
#include "core/pacs.h"
#include "core/specialists.h"
#include "t.h"
#include "util/arena.h"

static const struct form_word colors[] = {{"red", "Red"}, {"green", "Green"}, {"blue", "Blue"}};

static const struct form_field table_fields[] = {
    {.name = "name", .type = FT_TEXT, .required = true, .min = 3, .max = 10, .missing = "Please enter a name."},
    {.name = "note", .type = FT_MULTILINE, .max = 20},
    {.name = "count", .type = FT_INT, .required = true, .min = 1, .max = 10},
    {.name = "who", .type = FT_ID, .required = true, .missing = "Please choose someone."},
    {.name = "day", .type = FT_DATE, .not_future = true},
    {.name = "visit", .type = FT_DATE, .required = true, .not_past = true, .missing = "Please enter a date."},
    {.name = "color", .type = FT_ENUM, .required = true, .vocab = colors, .n_vocab = 3, .missing = "Please choose one."},
    {.name = "agree", .type = FT_TICK, .required = true, .missing = "Please tick the box to confirm."},
    {.name = "mail", .type = FT_EMAIL},
    {.name = "sent", .type = FT_DATE, .required = true, .not_future = true, .missing = "Give the date you sent it.",
     .invalid = "Give the date as YYYY-MM-DD.", .future = "That date has not come yet."},
    {.name = "body", .type = FT_MULTILINE, .required = true, .max = 10, .missing = "Please write a message.",
     .invalid = "Please keep a message to 10 characters."},
};

/* "\n" and "\s" escapes of the table. */
static char *unescape(const char *s) {
  char *o = malloc(2 * strlen(s) + 1), *p = o; /* "\\s" becomes three spaces */
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] == 'n') { *p++ = '\n'; s++; }
    else if (s[0] == '\\' && s[1] == 's') { memcpy(p, "   ", 3); p += 3; s++; }
    else *p++ = *s;
  }
  *p = '\0';
  return o;
}

static void table(void) {
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char path[4096], line[1024];
  snprintf(path, sizeof path, "%s/tests/data/form_fields.tsv", share ? share : ".");
  FILE *f = fopen(path, "r");
  T_CHECK(f != NULL);
  if (!f) return;
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#' || !line[0]) continue;
    char *col[4] = {0};
    char *p = line;
    for (int i = 0; i < 4; i++) {
      col[i] = p;
      char *t = p ? strchr(p, '\t') : NULL;
      if (t) { *t = '\0'; p = t + 1; } else p = NULL;
    }
    if (!col[2] || !col[3]) col[3] = "";
    T_CHECK(col[2] != NULL);
    if (!col[2]) continue;
    const struct form_field *fd = NULL;
    for (size_t i = 0; i < sizeof table_fields / sizeof table_fields[0]; i++)
      if (strcmp(table_fields[i].name, col[0]) == 0) fd = &table_fields[i];
    T_CHECK(fd != NULL);
    if (!fd) continue;
    struct form_spec spec = {fd, 1, NULL};
    struct arena *a = arena_new();
    char *input = unescape(col[1]), *want = unescape(col[3]);
    bool absent = strcmp(col[1], "\\0") == 0;
    struct form_pair in[2] = {{"csrf", "token"}, {fd->name, input}};
    struct form_value v[1];
    struct form_errors errs;
    bool ok = form_parse(a, &spec, in, absent ? 1 : 2, "2026-11-30", NULL, v, &errs);
    bool want_ok = strcmp(col[2], "yes") == 0;
    if (ok != want_ok) fprintf(stderr, "  row %s %s: ok=%d\n", col[0], col[1], ok);
    T_EQ_INT(ok, want_ok);
    if (want_ok) {
      T_EQ_INT(errs.n, 0);
      char num[32];
      snprintf(num, sizeof num, "%lld", v[0].num);
      if (fd->type == FT_INT || fd->type == FT_ID || (fd->type == FT_DATE && *want)) T_EQ_STR(num, want);
      else if (fd->type == FT_TICK) T_EQ_INT(v[0].tick, 1);
      else T_EQ_STR(v[0].text, want);
    } else {
      T_EQ_INT(errs.n, 1);
      T_EQ_STR(form_error(&errs, fd->name), want);
    }
    free(input);
    free(want);
    arena_free(a);
    rows++;
  }
  fclose(f);
  T_EQ_INT(rows, 56); /* every row of the table was read */
}

static void date_parser(void) {
  long ymd = 0;
  T_CHECK(form_date_parse("2000-02-29", &ymd));
  T_EQ_INT(ymd, 20000229);
  T_CHECK(!form_date_parse("1900-02-29", NULL)); /* not a leap year */
  T_CHECK(!form_date_parse("2026-04-31", NULL));
  T_CHECK(!form_date_parse("2026-4-01", NULL));
  T_CHECK(!form_date_parse("2026-04-01 ", NULL));
  T_CHECK(!form_date_parse("+026-04-01", NULL));
  T_CHECK(!form_date_parse("", NULL));
  T_CHECK(!form_date_parse(NULL, NULL));
  T_CHECK(form_date_parse("1900-01-01", NULL));
  T_CHECK(form_date_parse("2999-01-01", NULL)); /* the audit filter's far end; forms stop at FORM_DATE_LAST */
}

static void id_parser(void) {
  long long id = -1;
  T_CHECK(form_id_parse("1", &id));
  T_EQ_INT(id, 1);
  T_CHECK(form_id_parse("999999999999999999", &id));
  T_CHECK(!form_id_parse("0", NULL));
  T_CHECK(!form_id_parse("000", NULL));
  T_CHECK(!form_id_parse("-1", NULL));
  T_CHECK(!form_id_parse("+1", NULL));
  T_CHECK(!form_id_parse(" 1", NULL));
  T_CHECK(!form_id_parse("1e3", NULL));
  T_CHECK(!form_id_parse("", NULL));
  T_CHECK(!form_id_parse(NULL, NULL));
  T_EQ_INT(form_id("17"), 17);
  T_EQ_INT(form_id("x"), 0);
}

static const struct form_field multi_fields[] = {
    {.name = "color", .type = FT_ENUM, .required = true, .multi = true, .vocab = colors, .n_vocab = 3,
     .missing = "Please tick at least one."},
    {.name = "secret", .type = FT_TEXT, .secret = true, .max = 40},
};

static void multi_values(void) {
  struct form_spec spec = {multi_fields, 2, NULL};
  struct arena *a = arena_new();
  struct form_value v[2];
  struct form_errors errs;
  struct form_pair good[] = {{"color", "red"}, {"color", "blue"}, {"secret", " s3 "}};
  T_CHECK(form_parse(a, &spec, good, 3, NULL, NULL, v, &errs));
  T_EQ_INT(v[0].n_list, 2);
  T_EQ_STR(v[0].list[0], "red");
  T_EQ_STR(v[0].list[1], "blue");
  T_EQ_STR(v[1].text, "s3");
  struct form_pair bad[] = {{"color", "red"}, {"color", "mauve"}};
  T_CHECK(!form_parse(a, &spec, bad, 2, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "color"), "Please choose from the list.");
  T_CHECK(!form_parse(a, &spec, bad, 0, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "color"), "Please tick at least one.");
  struct form_pair twice[] = {{"color", "red"}, {"color", "red"}, {"color", "red"}, {"color", "red"}};
  T_CHECK(!form_parse(a, &spec, twice, 4, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "color"), "Please choose at most 3.");
  arena_free(a);
}

static int check_runs;
static void needs_b_with_a(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)ctx;
  check_runs++;
  int ia = form_index(spec, "a"), ib = form_index(spec, "b");
  if (v[ia].tick && !v[ib].present) form_error_add(errs, "b", "Please tell us b when you tick a.");
}

static const struct form_field cross_fields[] = {
    {.name = "a", .type = FT_TICK},
    {.name = "b", .type = FT_TEXT, .max = 5},
};

static void cross_field_rule(void) {
  struct form_spec spec = {cross_fields, 2, needs_b_with_a};
  struct arena *a = arena_new();
  struct form_value v[2];
  struct form_errors errs;
  struct form_pair only_a[] = {{"a", "1"}};
  check_runs = 0;
  T_CHECK(!form_parse(a, &spec, only_a, 1, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "b"), "Please tell us b when you tick a.");
  T_EQ_INT(check_runs, 1);
  struct form_pair too_long[] = {{"a", "1"}, {"b", "abcdefg"}};
  T_CHECK(!form_parse(a, &spec, too_long, 2, NULL, NULL, v, &errs));
  T_EQ_INT(check_runs, 2); /* run even when a field is wrong: every mistake shown at once */
  T_EQ_STR(form_error(&errs, "b"), "Please use at most 5 characters."); /* the field's own message first */
  T_EQ_INT(errs.n, 1);
  struct form_pair both[] = {{"a", "1"}, {"b", "x"}};
  T_CHECK(form_parse(a, &spec, both, 2, NULL, NULL, v, &errs));
  T_EQ_INT(errs.n, 0);
  arena_free(a);
}

static void error_map(void) {
  struct form_errors errs = {0};
  form_error_add(&errs, "x", "first");
  form_error_add(&errs, "x", "second");
  form_error_add(&errs, "y", "other");
  T_EQ_INT(errs.n, 2);
  T_EQ_STR(form_error(&errs, "x"), "first");
  T_CHECK(form_error(&errs, "z") == NULL);
  T_EQ_INT(form_chars("María"), 5);
}

static void bad_utf8(void) {
  struct form_spec spec = {table_fields, 1, NULL};
  struct arena *a = arena_new();
  struct form_value v[1];
  struct form_errors errs;
  struct form_pair in[] = {{"name", "Ana \xC3\x28x"}};
  T_CHECK(!form_parse(a, &spec, in, 1, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "name"), "Some characters could not be read. Please type them again.");
  arena_free(a);
}

/* spaces_only: spaces around the value go, a tab or line break around it
 * stays and is refused as a control character (a time-zone name). */
static void spaces_only(void) {
  static const struct form_field f[] = {{.name = "zone", .type = FT_TEXT, .required = true, .max = 64,
                                         .spaces_only = true, .invalid = "Unknown zone."},
                                        {.name = "plain", .type = FT_TEXT}};
  struct form_spec spec = {f, 2, NULL};
  struct arena *a = arena_new();
  struct form_value v[2];
  struct form_errors errs;
  struct form_pair good[] = {{"zone", "  Europe/Madrid "}, {"plain", "Europe/Madrid\n"}};
  T_CHECK(form_parse(a, &spec, good, 2, NULL, NULL, v, &errs));
  T_EQ_STR(v[0].text, "Europe/Madrid");
  T_EQ_STR(v[1].text, "Europe/Madrid"); /* without the flag a line break around a value is trimmed */
  static const char *bad[] = {"Europe/Madrid\n", "\tEurope/Madrid", "Europe/Madrid\r\n", "Europe/\nMadrid"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct form_pair in[] = {{"zone", bad[i]}};
    T_CHECK(!form_parse(a, &spec, in, 1, NULL, NULL, v, &errs));
    T_EQ_STR(form_error(&errs, "zone"), "Unknown zone.");
  }
  struct form_pair blank[] = {{"zone", "   "}};
  T_CHECK(!form_parse(a, &spec, blank, 1, NULL, NULL, v, &errs));
  T_EQ_STR(form_error(&errs, "zone"), "Please fill in this field.");
  arena_free(a);
}

/* The admin's specs: the PACS secret is the only secret and is never echoed; the PACS rule
 * needs a secret unless one of the same kind is kept (ctx); the invitation's role is a center
 * role; the specialist form's own rules run as its cross-field rule. */
static void admin_specs(void) {
  const struct form_spec *ps = pacs_dest_spec();
  int secrets = 0;
  for (size_t i = 0; i < ps->n; i++) secrets += ps->fields[i].secret;
  T_EQ_INT(secrets, 1);
  T_CHECK(ps->fields[form_index(ps, "secret")].secret);
  struct arena *a = arena_new();
  struct form_value v[8];
  struct form_errors errs;
  struct form_pair bad[] = {{"name", ""}, {"base_url", "ftp://pacs"}, {"auth", "basic"}, {"username", "a:b"}};
  bool kept = false;
  T_CHECK(!form_parse(a, ps, bad, 4, NULL, &kept, v, &errs));
  T_CHECK(form_error(&errs, "name") != NULL);
  T_CHECK(form_error(&errs, "base_url") != NULL);
  T_CHECK(form_error(&errs, "username") != NULL);
  T_EQ_STR(form_error(&errs, "secret"), "Enter the password for the PACS.");
  struct form_pair good[] = {{"name", "Riverside"}, {"base_url", "https://pacs.example/dw"}, {"auth", "bearer"}};
  T_CHECK(!form_parse(a, ps, good, 3, NULL, &kept, v, &errs));
  T_EQ_STR(form_error(&errs, "secret"), "Enter the token for the PACS.");
  kept = true;
  T_CHECK(form_parse(a, ps, good, 3, NULL, &kept, v, &errs));
  struct form_pair ca[] = {{"name", "R"}, {"base_url", "https://pacs.example/dw"}, {"auth", "none"}, {"ca_pem", "x"}};
  T_CHECK(!form_parse(a, ps, ca, 4, NULL, &kept, v, &errs));
  T_CHECK(form_error(&errs, "ca_pem") != NULL);

  const struct form_spec *inv = acct_invite_form();
  struct form_pair patient[] = {{"name", "Ann"}, {"email", "ann@example.test"}, {"role", "patient"}};
  T_CHECK(!form_parse(a, inv, patient, 3, NULL, NULL, v, &errs));
  T_EQ_INT(errs.n, 1);
  T_EQ_STR(form_error(&errs, "role"), "Please choose staff, reviewer or admin.");
  patient[2].value = "reviewer";
  T_CHECK(form_parse(a, inv, patient, 3, NULL, NULL, v, &errs));

  const struct form_spec *sp = specialist_form();
  for (size_t i = 0; i < sp->n; i++) T_CHECK(!sp->fields[i].secret);
  T_CHECK(form_index(sp, "active") < 0); /* the CSV's column only: the form never deactivates */
  T_CHECK(sp->fields[form_index(sp, "reviewer_user_id")].type == FT_ID);
  arena_free(a);
}

int main(void) {
  T_RUN(table);
  T_RUN(date_parser);
  T_RUN(id_parser);
  T_RUN(multi_values);
  T_RUN(cross_field_rule);
  T_RUN(error_map);
  T_RUN(bad_utf8);
  T_RUN(spaces_only);
  T_RUN(admin_specs);
  return t_done();
}
