/* Whose images are these? One identity rule for every page.
 *
 * identity_compare() is a pure function (no HTTP, no SQL, no globals): it
 * compares the patient an image names (a DICOM PN value in UTF-8 with its
 * alphabetic, ideographic and phonetic groups, a birth date as written, a
 * sex where present) with the account holder (the name as typed, the date of
 * birth, the sex if known) and answers match, probably the same person, or
 * different person, with the reason in plain words. The rule is written down
 * as a table in tests/identity_table.tsv (read by tests/unit/test_identity.c).
 *
 * Names: case and diacritics are folded (NFKD, combining marks dropped,
 * Unicode case folding; ø ł đ æ œ ß and friends mapped), apostrophes dropped
 * ("O'Neil" = "ONEIL"), hyphens split words but words run together also match
 * ("Smith-Jones" = "SMITH JONES" = "SMITHJONES"). Component order, missing
 * middle names and initials are ignored; one of several family names is
 * enough ("GARCIA^JOSE" for "José García López"). Each alias group is
 * compared and the closest wins; names without spaces (Chinese, Japanese,
 * Korean) also match run together or by their leading family name; Japanese
 * romanisations fold long vowels (Tarou = Taro = Tarō) when the value carries
 * an ideographic or phonetic group.
 *
 * Given names: a side may lack some (middle names, initials), but when each
 * side has one the other lacks (Nguyen Thi Lan / Nguyen Thi Mai) it is only
 * "partly" the same name.
 *
 * Weighing: same name + same date of birth → match; same name, another date
 * → different ("same name, different date of birth"); same family name and
 * date but another given name → different (a twin or a relative); same given
 * name and date but another family name → probably (maiden or married name);
 * no given name, or no name at all, with the same date → probably; day and
 * month swapped → probably; partly the same given names with the same date →
 * probably; a missing or unreadable date leaves the name to
 * decide; another sex recorded turns a match into probably.
 *
 * identity_report_build() applies the rule to the distinct (series, name,
 * birth date) groups of a request's images with their file counts and makes
 * the grouped verdicts every page shows ("3 of 212 images name another
 * person: “SMITH, JANE”, born 2 March 1961"). */
#ifndef SECONDOP_IDENTITY_H
#define SECONDOP_IDENTITY_H
#include <stddef.h>

struct arena;

enum identity_verdict { ID_MATCH = 0, ID_PROBABLY = 1, ID_DIFFERENT = 2 };

struct identity_result {
  enum identity_verdict verdict;
  char reason[200]; /* plain words, e.g. "same name, different date of birth" */
};

/* Compares an image's patient with the account holder. Any argument may be
 * NULL or "" (unknown). Strings are UTF-8 (invalid bytes count as
 * separators). Never fails; thread-safe. */
void identity_compare(const char *pn, const char *pn_birth, const char *pn_sex, const char *account_name,
                      const char *account_birth, const char *account_sex, struct identity_result *out);

/* "match", "probably", "different". */
const char *identity_verdict_name(enum identity_verdict v);

/* A date of birth as people write it: YYYYMMDD, YYYY.MM.DD, YYYY-MM-DD,
 * YYYY/MM/DD, DD.MM.YYYY, YYYYMM, YYYY (spaces around ignored). Returns the
 * precision found: 3 (day), 2 (month), 1 (year), 0 (empty, unreadable or
 * impossible). Fields not found are 0. */
int identity_parse_date(const char *s, int *y, int *m, int *d);

/* "2 March 1961" (arena); "" for an empty value; the text as written when it
 * cannot be read. NULL only when the arena is out of memory. */
const char *identity_date_words(struct arena *a, const char *s);

/* A PN value for people (arena): "DOE^JANE^MARIE" → "DOE, JANE MARIE";
 * "Yamada^Tarou=山田^太郎=やまだ^たろう" → "Yamada, Tarou (山田 太郎, やまだ たろう)";
 * prefixes and suffixes kept after the name; "" for an empty value. */
const char *identity_pn_display(struct arena *a, const char *pn);

/* ---- grouped verdicts for a request ---- */

/* One distinct (series, patient name, birth date) among a request's images. */
struct identity_row {
  long long study_id, series_id, files;
  const char *study_date, *study_description, *series_description, *modality;
  const char *name, *birth, *sex; /* as stored; sex may be "" */
};

struct identity_account {
  const char *name, *birth, *sex; /* sex may be "" (accounts do not record it) */
};

struct identity_person {
  const char *name, *birth;                 /* as stored */
  const char *name_display, *birth_display; /* for people */
  long long files;
  struct identity_result r;
};

struct identity_series {
  long long study_id, series_id, files, other, unsure; /* other: different; unsure: probably */
  const char *study_date, *study_description, *description, *modality;
  enum identity_verdict worst;
  struct identity_person *people; /* most files first */
  size_t n_people;
  const char *summary; /* "3 of 212 images name another person: …" ("" when all match) */
};

struct identity_report {
  long long files, other, unsure, studies;
  size_t flagged_series; /* series with a verdict other than match */
  enum identity_verdict worst;
  const char *account;  /* "Jane Doe, born 1 January 1970" */
  const char *headline; /* one sentence for the whole request ("" without images) */
  struct identity_series *series; /* in the order of the rows */
  size_t n_series;
};

/* Builds the report (everything in the arena). rows may be in any order;
 * rows of one series are kept together in the order they first appear.
 * 0, or -1 when the arena is out of memory. */
int identity_report_build(struct arena *a, const struct identity_account *acct, const struct identity_row *rows,
                          size_t n, struct identity_report *out);
#endif
