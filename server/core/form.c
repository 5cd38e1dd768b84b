/* The one form layer: field specs parsed into typed values and one error
 * map (see form.h), and the one date and id parsers. */
#include "core/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

bool form_date_parse(const char *s, long *ymd) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
  /* every character was checked to be a digit: plain arithmetic */
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
  int max = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
  if (d > max) return false;
  if (ymd) *ymd = (long)y * 10000 + m * 100 + d;
  return true;
}

bool form_id_parse(const char *s, long long *id) {
  if (!s || !*s || strlen(s) > 18) return false;
  long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + (*p - '0'); /* 18 digits cannot overflow */
  }
  if (v <= 0) return false;
  if (id) *id = v;
  return true;
}

long long form_id(const char *s) {
  long long v = 0;
  return form_id_parse(s, &v) ? v : 0;
}

size_t form_chars(const char *s) {
  size_t n = 0;
  for (; s && *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool utf8_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p;
    int more;
    unsigned min;
    if (c < 0x80) { p++; continue; }
    if (c >= 0xC2 && c <= 0xDF) more = 1, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) more = 2, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) more = 3, min = 0x10000;
    else return false;
    unsigned cp = c & (0x3F >> more);
    for (int i = 1; i <= more; i++) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += more + 1;
  }
  return true;
}

void form_error_add(struct form_errors *errs, const char *field, const char *message) {
  if (!errs || form_error(errs, field) || errs->n >= FORM_ERRORS_MAX) return;
  errs->e[errs->n].field = field;
  errs->e[errs->n].message = message;
  errs->n++;
}

const char *form_error(const struct form_errors *errs, const char *field) {
  for (size_t i = 0; errs && field && i < errs->n; i++)
    if (strcmp(errs->e[i].field, field) == 0) return errs->e[i].message;
  return NULL;
}

int form_index(const struct form_spec *spec, const char *name) {
  for (size_t i = 0; spec && name && i < spec->n; i++)
    if (strcmp(spec->fields[i].name, name) == 0) return (int)i;
  return -1;
}

const char *form_word_label(const struct form_word *vocab, size_t n, const char *key) {
  for (size_t i = 0; key && i < n; i++)
    if (strcmp(vocab[i].key, key) == 0) return vocab[i].label;
  return NULL;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* s without surrounding white space, or only without surrounding spaces (arena). */
static const char *trimmed(struct arena *a, const char *s, bool spaces_only) {
  if (!s) return "";
  while (spaces_only ? *s == ' ' : is_space(*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && (spaces_only ? s[n - 1] == ' ' : is_space(s[n - 1]))) n--;
  return arena_strndup(a, s, n);
}

static bool email_ok(const char *s) {
  const char *at = strchr(s, '@');
  if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254) return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',' || *p == ';') return false;
  const char *dot = strrchr(at + 1, '.');
  return dot && dot > at + 1 && dot[1] != '\0';
}

/* Checks one field's value; the message, or NULL when it is good. */
static const char *check_one(struct arena *a, const struct form_field *f, const char *raw, const char *today,
                             struct form_value *v) {
  const char *s = trimmed(a, raw, f->spaces_only);
  if (!s) return "Please try again: the form could not be read.";
  v->text = s;
  v->present = *s != '\0';
  if (!v->present) {
    if (f->required) return f->missing ? f->missing : "Please fill in this field.";
    v->text = "";
    return NULL;
  }
  if (!utf8_ok(s)) return "Some characters could not be read. Please type them again.";
  switch (f->type) {
  case FT_TEXT:
  case FT_MULTILINE:
  case FT_EMAIL: {
    for (const char *p = s; *p; p++) {
      unsigned char c = (unsigned char)*p;
      bool line = c == '\n' || c == '\r';
      if (f->type != FT_MULTILINE && (c < 0x20 || c == 0x7F)) return "Please keep this on one line.";
      if (f->type == FT_MULTILINE && c < 0x20 && !line && c != '\t') return "Please remove the special characters.";
    }
    size_t n = form_chars(s);
    if (f->min > 0 && (long long)n < f->min) return arena_printf(a, "Please use at least %lld characters.", f->min);
    if (f->max > 0 && (long long)n > f->max) return arena_printf(a, "Please use at most %lld characters.", f->max);
    if (f->type == FT_EMAIL && !email_ok(s)) return "Please enter an e-mail address like name@example.org.";
    return NULL;
  }
  case FT_INT: {
    const char *p = s;
    if (*p == '-') p++;
    if (!*p) return "Please enter a whole number, for example 2.";
    for (const char *q = p; *q; q++)
      if (*q < '0' || *q > '9') return "Please enter a whole number, for example 2.";
    bool huge = strlen(p) > 18;
    long long val = huge ? 0 : strtoll(s, NULL, 10);
    bool low = f->min != 0 || f->max != 0;
    if (huge || (low && (val < f->min || val > f->max)))
      return arena_printf(a, "Please enter a number from %lld to %lld.", f->min, f->max);
    v->num = val;
    return NULL;
  }
  case FT_ID:
    if (!form_id_parse(s, &v->num)) return "Please choose from the list.";
    return NULL;
  case FT_DATE: {
    long ymd = 0, now = 0;
    if (!form_date_parse(s, &ymd) || ymd > FORM_DATE_LAST)
      return "Please write the date as YYYY-MM-DD, for example 2026-03-15.";
    v->num = ymd;
    if (today && form_date_parse(today, &now)) {
      if (f->not_future && ymd > now) return f->future ? f->future : "This date cannot be in the future.";
      if (f->not_past && ymd < now) return "This date has already passed. Please choose today or a later day.";
    }
    return NULL;
  }
  case FT_ENUM:
    if (!form_word_label(f->vocab, f->n_vocab, s)) return "Please choose from the list.";
    return NULL;
  case FT_TICK:
    if (strcmp(s, "1") != 0) return f->missing ? f->missing : "Please tick the box.";
    v->tick = true;
    return NULL;
  }
  return "Please check this field.";
}

bool form_parse(struct arena *a, const struct form_spec *spec, const struct form_pair *in, size_t n_in,
                const char *today, void *ctx, struct form_value *values, struct form_errors *errs) {
  memset(errs, 0, sizeof *errs);
  for (size_t i = 0; i < spec->n; i++) {
    const struct form_field *f = &spec->fields[i];
    struct form_value *v = &values[i];
    memset(v, 0, sizeof *v);
    v->text = "";
    if (f->type == FT_ENUM && f->multi) {
      size_t cap = f->max_values ? f->max_values : f->n_vocab, n = 0, seen = 0;
      const char **list = arena_alloc(a, (cap + 1) * sizeof *list);
      const char *msg = list ? NULL : "Please try again: the form could not be read.";
      for (size_t k = 0; !msg && k < n_in; k++) {
        if (strcmp(in[k].name, f->name) != 0) continue;
        const char *s = trimmed(a, in[k].value, f->spaces_only);
        if (!s || !*s) continue;
        seen++;
        if (!form_word_label(f->vocab, f->n_vocab, s)) msg = "Please choose from the list.";
        else if (n >= cap) msg = arena_printf(a, "Please choose at most %zu.", cap);
        else list[n++] = s;
      }
      if (!msg && seen == 0 && f->required) msg = f->missing ? f->missing : "Please choose at least one.";
      if (msg) {
        form_error_add(errs, f->name, msg ? msg : "Please try again.");
        continue;
      }
      v->list = list;
      v->n_list = n;
      v->present = n > 0;
      v->text = n ? list[0] : "";
      continue;
    }
    const char *raw = NULL;
    for (size_t k = 0; k < n_in && !raw; k++)
      if (strcmp(in[k].name, f->name) == 0) raw = in[k].value;
    const char *msg = check_one(a, f, raw, today, v);
    /* a field's own words replace the type's, except for "missing" and "in the future" (their own fields) */
    if (msg && f->invalid && v->present && msg != f->future && strcmp(msg, "This date cannot be in the future.") != 0)
      msg = f->invalid;
    if (msg) form_error_add(errs, f->name, msg);
  }
  /* the cross-field rule sees every field (a field already wrong keeps its first message) */
  if (spec->check) spec->check(spec, values, errs, ctx);
  return errs->n == 0;
}
