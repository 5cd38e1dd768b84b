/* One form layer (issue 15): a form is described by a table of fields and
 * parsed by one call that returns typed values and one error map (field →
 * a message in plain words). The same module holds the one date parser and
 * the one id parser every other layer calls.
 *
 * A form is declared once, next to the domain function that saves it:
 *
 *   static const struct form_field exam_fields[] = {
 *     {.name = "facility", .type = FT_TEXT, .required = true, .max = 200,
 *      .missing = "Please enter where the exam was done."},
 *     {.name = "exam_date", .type = FT_DATE, .required = true, .not_future = true},
 *   };
 *
 * form_parse() trims every value, checks it against its field (required,
 * length in characters, numeric range, calendar date, vocabulary, tick,
 * e-mail), then runs the spec's cross-field rule (which adds its messages to
 * fields that have none yet, so every mistake is shown in one go).
 * Names the spec does not know (the CSRF token, the button pressed) are
 * ignored. Nothing here touches HTTP or the database. */
#ifndef SECONDOP_FORM_H
#define SECONDOP_FORM_H
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* ---- the one date parser and the one id parser ---- */

/* A real calendar date written YYYY-MM-DD (leap years counted), from the
 * year 1900 on. On success *ymd = y*10000 + m*100 + d (may be NULL). A date
 * field of a form (FT_DATE) also refuses anything after FORM_DATE_LAST. */
#define FORM_DATE_LAST 21001231L
bool form_date_parse(const char *s, long *ymd);
/* A positive decimal id: 1 to 18 digits, nothing else, greater than 0. On
 * success *id holds it (may be NULL). */
bool form_id_parse(const char *s, long long *id);
/* Same, 0 when s is not an id (for the many callers that treat 0 as absent). */
long long form_id(const char *s);

/* ---- field specs ---- */

enum form_type {
  FT_TEXT,      /* one line; control characters refused */
  FT_MULTILINE, /* several lines (a message, a reason) */
  FT_INT,       /* a whole number within [min, max] */
  FT_ID,        /* a positive id (form_id_parse) */
  FT_DATE,      /* YYYY-MM-DD (form_date_parse); not_future / not_past against today */
  FT_ENUM,      /* one key of vocab (or several when multi) */
  FT_TICK,      /* a check box: present with value "1" or absent */
  FT_EMAIL,     /* name@domain.tld, at most 254 characters */
};

struct form_word {
  const char *key;   /* what the form posts and the store keeps */
  const char *label; /* what a person reads */
};

struct form_field {
  const char *name;
  enum form_type type;
  bool required;
  long long min, max; /* characters (text, multiline, e-mail) or value (int); 0 = no limit */
  const struct form_word *vocab;
  size_t n_vocab;
  bool multi;        /* FT_ENUM: several values under one name (check boxes) */
  size_t max_values; /* multi: at most this many (0 = the vocabulary's size) */
  bool not_future;   /* FT_DATE: today (the person's own) or earlier */
  bool not_past;     /* FT_DATE: today or later */
  bool secret;       /* never echoed back into a page (a password, a member id) */
  bool spaces_only;  /* trim only spaces around the value: a tab or line break stays and is refused
                        (FT_TEXT, FT_EMAIL) as a control character (a time-zone name) */
  const char *missing; /* the message when required and empty ("Please fill in this field.") */
  const char *invalid; /* instead of the type's own message for any other mistake (NULL: the type's) */
  const char *future;  /* not_future: instead of "This date cannot be in the future." */
};

/* A typed value. text is the trimmed text ("" when absent; the key for an
 * enum); num the integer or id, or the date as y*10000+m*100+d; tick for a
 * check box; list/n_list the keys of a multi enum. */
struct form_value {
  const char *text;
  long long num;
  bool tick;
  bool present; /* the form sent something other than spaces */
  const char **list;
  size_t n_list;
};

#define FORM_ERRORS_MAX 24
/* The one error map: at most one message per field, in field order. */
struct form_errors {
  size_t n;
  struct {
    const char *field, *message;
  } e[FORM_ERRORS_MAX];
};

/* Adds a message for field unless it already has one (the first error is
 * the one a person fixes first). Strings are borrowed. */
void form_error_add(struct form_errors *errs, const char *field, const char *message);
/* The message for field, or NULL. */
const char *form_error(const struct form_errors *errs, const char *field);

struct form_pair {
  const char *name, *value;
};

struct form_spec;
/* A cross-field rule, run after the fields were checked: adds errors with
 * form_error_add (a field already wrong keeps its first message; a value
 * that failed its own check has present/text as typed but no typed value);
 * ctx is the caller's (the loaded request, the specialist). */
typedef void (*form_check_fn)(const struct form_spec *spec, const struct form_value *values, struct form_errors *errs,
                              void *ctx);

struct form_spec {
  const struct form_field *fields;
  size_t n;
  form_check_fn check; /* may be NULL */
};

/* Parses the posted pairs against spec into values[spec->n] (arena strings)
 * and errs (reset first). today is the person's own date YYYY-MM-DD (for
 * not_future/not_past; NULL skips those checks). ctx goes to spec->check.
 * Returns true when there are no errors; false with errs filled (the caller
 * re-shows the form and saves nothing). Out of memory is reported as an
 * error on the first field. */
bool form_parse(struct arena *a, const struct form_spec *spec, const struct form_pair *in, size_t n_in,
                const char *today, void *ctx, struct form_value *values, struct form_errors *errs);
/* The index of field name in spec, or -1. */
int form_index(const struct form_spec *spec, const char *name);
/* The label of key in a vocabulary, or NULL when it is not one of its keys. */
const char *form_word_label(const struct form_word *vocab, size_t n, const char *key);
/* Number of characters (UTF-8 code points) in s. */
size_t form_chars(const char *s);
#endif
