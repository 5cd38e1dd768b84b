/* Unit tests for the DICOM character-set decoder and the display helpers (PS3.5 §6.1 and the
 * examples of Annex H, I and J). The table is the rule: Specific Character Set, whether the
 * value is a person name, the raw bytes, the UTF-8 we must produce, and how many bytes could not
 * be decoded (each becomes U+FFFD). */
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "dicom/charset.h"
#include "util/arena.h"
#include "t.h"

struct dcase {
  const char *charset;
  int pn;
  const char *raw;
  size_t raw_len;
  const char *want;
  size_t bad;
};

static const struct dcase cases[] = {
    {"", 1, "DOE^JANE", 8, "DOE^JANE", 0},
    {"", 1, "M\xfc""ller^Hans", 11, "M\xef""\xbf""\xbd""ller^Hans", 1},
    {"ISO_IR 100", 1, "Buc^J\xe9""r\xf4""me", 10, "Buc^J\xc3""\xa9""r\xc3""\xb4""me", 0},
    {"ISO_IR 101", 1, "Wa\xb3""\xea""sa^Lech", 11, "Wa\xc5""\x82""\xc4""\x99""sa^Lech", 0},
    {"ISO_IR 109", 1, "\xa1""a\xf5""ar^\xc5""ensu", 11, "\xc4""\xa6""a\xc4""\xa1""ar^\xc4""\x8a""ensu", 0},
    {"ISO_IR 110", 1, "\xd3""\xba""ni\xf1""\xb9""^\xab""irts", 12, "\xc4""\xb6""\xc4""\x93""ni\xc5""\x86""\xc5""\xa1""^\xc4""\xa2""irts", 0},
    {"ISO_IR 144", 1, "\xb8""\xd2""\xd0""\xdd""\xde""\xd2""^\xb8""\xd2""\xd0""\xdd""", 11, "\xd0""\x98""\xd0""\xb2""\xd0""\xb0""\xd0""\xbd""\xd0""\xbe""\xd0""\xb2""^\xd0""\x98""\xd0""\xb2""\xd0""\xb0""\xd0""\xbd""", 0},
    {"ISO_IR 127", 1, "\xe2""\xc8""\xc7""\xe6""\xea""^\xe4""\xe6""\xd2""\xc7""\xd1""", 11, "\xd9""\x82""\xd8""\xa8""\xd8""\xa7""\xd9""\x86""\xd9""\x8a""^\xd9""\x84""\xd9""\x86""\xd8""\xb2""\xd8""\xa7""\xd8""\xb1""", 0},
    {"ISO_IR 126", 1, "\xc4""\xe9""\xef""\xed""\xf5""\xf3""\xe9""\xef""\xf2""", 9, "\xce""\x94""\xce""\xb9""\xce""\xbf""\xce""\xbd""\xcf""\x85""\xcf""\x83""\xce""\xb9""\xce""\xbf""\xcf""\x82""", 0},
    {"ISO_IR 138", 1, "\xf9""\xf8""\xe5""\xef""^\xe3""\xe1""\xe5""\xf8""\xe4""", 10, "\xd7""\xa9""\xd7""\xa8""\xd7""\x95""\xd7""\x9f""^\xd7""\x93""\xd7""\x91""\xd7""\x95""\xd7""\xa8""\xd7""\x94""", 0},
    {"ISO_IR 148", 1, "\xc7""elik^\xde""\xfc""kr\xfc""", 11, "\xc3""\x87""elik^\xc5""\x9e""\xc3""\xbc""kr\xc3""\xbc""", 0},
    {"ISO_IR 166", 1, "\xca""\xc1""\xaa""\xd2""\xc2""^\xe3""\xa8""\xb4""\xd5""", 10, "\xe0""\xb8""\xaa""\xe0""\xb8""\xa1""\xe0""\xb8""\x8a""\xe0""\xb8""\xb2""\xe0""\xb8""\xa2""^\xe0""\xb9""\x83""\xe0""\xb8""\x88""\xe0""\xb8""\x94""\xe0""\xb8""\xb5""", 0},
    {"ISO_IR 13", 1, "\xd4""\xcf""\xc0""\xde""^\xc0""\xdb""\xb3""", 8, "\xef""\xbe""\x94""\xef""\xbe""\x8f""\xef""\xbe""\x80""\xef""\xbe""\x9e""^\xef""\xbe""\x80""\xef""\xbe""\x9b""\xef""\xbd""\xb3""", 0},
    {"\x5c""ISO 2022 IR 87", 1, "Yamada^Tarou=\x1b""$B;3ED\x1b""(B^\x1b""$BB@O:\x1b""(B=\x1b""$B$d$^$@\x1b""(B^\x1b""$B$\x3f""$m$&\x1b""(B", 60, "Yamada^Tarou=\xe5""\xb1""\xb1""\xe7""\x94""\xb0""^\xe5""\xa4""\xaa""\xe9""\x83""\x8e""=\xe3""\x82""\x84""\xe3""\x81""\xbe""\xe3""\x81""\xa0""^\xe3""\x81""\x9f""\xe3""\x82""\x8d""\xe3""\x81""\x86""", 0},
    {"ISO 2022 IR 13\x5c""ISO 2022 IR 87", 1, "\xd4""\xcf""\xc0""\xde""^\xc0""\xdb""\xb3""=\x1b""$B;3ED\x1b""(J^\x1b""$BB@O:\x1b""(J=\x1b""$B$d$^$@\x1b""(J^\x1b""$B$\x3f""$m$&\x1b""(J", 56, "\xef""\xbe""\x94""\xef""\xbe""\x8f""\xef""\xbe""\x80""\xef""\xbe""\x9e""^\xef""\xbe""\x80""\xef""\xbe""\x9b""\xef""\xbd""\xb3""=\xe5""\xb1""\xb1""\xe7""\x94""\xb0""^\xe5""\xa4""\xaa""\xe9""\x83""\x8e""=\xe3""\x82""\x84""\xe3""\x81""\xbe""\xe3""\x81""\xa0""^\xe3""\x81""\x9f""\xe3""\x82""\x8d""\xe3""\x81""\x86""", 0},
    {"\x5c""ISO 2022 IR 159", 1, "Kou^Ichi=\x1b""$(D0!\x1b""(B^", 19, "Kou^Ichi=\xe4""\xb8""\x82""^", 0},
    {"\x5c""ISO 2022 IR 149", 1, "Hong^Gildong=\x1b""$)C\xfb""\xf3""^\x1b""$)C\xd1""\xce""\xd4""\xd7""=\x1b""$)C\xc8""\xab""^\x1b""$)C\xb1""\xe6""\xb5""\xbf""", 44, "Hong^Gildong=\xe6""\xb4""\xaa""^\xe5""\x90""\x89""\xe6""\xb4""\x9e""=\xed""\x99""\x8d""^\xea""\xb8""\xb8""\xeb""\x8f""\x99""", 0},
    {"\x5c""ISO 2022 IR 58", 1, "Zhang^XiaoDong=\x1b""$)A\xd5""\xc5""^\x1b""$)A\xd0""\xa1""\xb6""\xab""=", 31, "Zhang^XiaoDong=\xe5""\xbc""\xa0""^\xe5""\xb0""\x8f""\xe4""\xb8""\x9c""=", 0},
    {"ISO 2022 IR 100", 1, "Buc^J\xe9""r\xf4""me", 10, "Buc^J\xc3""\xa9""r\xc3""\xb4""me", 0},
    {"\x5c""ISO 2022 IR 101", 1, "Name^\x1b""-BWa\xb3""\xea""sa^X", 16, "Name^Wa\xc5""\x82""\xc4""\x99""sa^X", 0},
    {"\x5c""ISO 2022 IR 109", 1, "Name^\x1b""-C\xa1""a\xf5""ar^X", 15, "Name^\xc4""\xa6""a\xc4""\xa1""ar^X", 0},
    {"\x5c""ISO 2022 IR 110", 1, "Name^\x1b""-D\xd3""\xba""ni\xf1""\xb9""^X", 16, "Name^\xc4""\xb6""\xc4""\x93""ni\xc5""\x86""\xc5""\xa1""^X", 0},
    {"\x5c""ISO 2022 IR 144", 1, "Name^\x1b""-L\xb8""\xd2""\xd0""\xdd""\xde""\xd2""^X", 16, "Name^\xd0""\x98""\xd0""\xb2""\xd0""\xb0""\xd0""\xbd""\xd0""\xbe""\xd0""\xb2""^X", 0},
    {"\x5c""ISO 2022 IR 127", 1, "Name^\x1b""-G\xe2""\xc8""\xc7""\xe6""\xea""^X", 15, "Name^\xd9""\x82""\xd8""\xa8""\xd8""\xa7""\xd9""\x86""\xd9""\x8a""^X", 0},
    {"\x5c""ISO 2022 IR 126", 1, "Name^\x1b""-F\xc4""\xe9""\xef""\xed""\xf5""\xf3""\xe9""\xef""\xf2""^X", 19, "Name^\xce""\x94""\xce""\xb9""\xce""\xbf""\xce""\xbd""\xcf""\x85""\xcf""\x83""\xce""\xb9""\xce""\xbf""\xcf""\x82""^X", 0},
    {"\x5c""ISO 2022 IR 138", 1, "Name^\x1b""-H\xf9""\xf8""\xe5""\xef""^X", 14, "Name^\xd7""\xa9""\xd7""\xa8""\xd7""\x95""\xd7""\x9f""^X", 0},
    {"\x5c""ISO 2022 IR 148", 1, "Name^\x1b""-M\xc7""elik^X", 15, "Name^\xc3""\x87""elik^X", 0},
    {"\x5c""ISO 2022 IR 166", 1, "Name^\x1b""-T\xca""\xc1""\xaa""\xd2""\xc2""^X", 15, "Name^\xe0""\xb8""\xaa""\xe0""\xb8""\xa1""\xe0""\xb8""\x8a""\xe0""\xb8""\xb2""\xe0""\xb8""\xa2""^X", 0},
    {"\x5c""ISO 2022 IR 100", 1, "Name^\x1b""-AJ\xe9""r\xf4""me^X", 16, "Name^J\xc3""\xa9""r\xc3""\xb4""me^X", 0},
    {"\x5c""ISO 2022 IR 126", 1, "\x1b""-F\xc4""^\xc4""", 6, "\xce""\x94""^\xef""\xbf""\xbd""", 1},
    {"\x5c""ISO 2022 IR 126", 0, "\x1b""-F\xc4""^\xc4""", 6, "\xce""\x94""^\xce""\x94""", 0},
    {"ISO_IR 192", 1, "Wang^XiaoDong=\xe7""\x8e""\x8b""^\xe5""\xb0""\x8f""\xe6""\x9d""\xb1""=", 25, "Wang^XiaoDong=\xe7""\x8e""\x8b""^\xe5""\xb0""\x8f""\xe6""\x9d""\xb1""=", 0},
    {"ISO_IR 192", 1, "Bad\xff""^Byte\xc3""", 10, "Bad\xef""\xbf""\xbd""^Byte\xef""\xbf""\xbd""", 2},
    {"GB18030", 1, "Wang^XiaoDong=\xcd""\xf5""^\xd0""\xa1""\xb6""\xab""=", 22, "Wang^XiaoDong=\xe7""\x8e""\x8b""^\xe5""\xb0""\x8f""\xe4""\xb8""\x9c""=", 0},
    {"GBK", 1, "Wang^XiaoDong=\xcd""\xf5""^\xd0""\xa1""\xb6""\xab""=", 22, "Wang^XiaoDong=\xe7""\x8e""\x8b""^\xe5""\xb0""\x8f""\xe4""\xb8""\x9c""=", 0},
    {"ISO_IR 999", 1, "DOE^JANE", 8, "DOE^JANE", 0},
};

static void test_decode_table(void) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const struct dcase *c = &cases[i];
    struct dicom_charset cs;
    dicom_charset_parse(c->charset, strlen(c->charset), &cs);
    char out[256];
    size_t bad = dicom_decode(&cs, c->pn, (const unsigned char *)c->raw, c->raw_len, out, sizeof out);
    if (strcmp(out, c->want) != 0 || bad != c->bad)
      fprintf(stderr, "  case %zu (%s): got \"%s\" (%zu bad)\n", i, c->charset, out, bad);
    T_EQ_STR(out, c->want);
    T_EQ_INT(bad, c->bad);
  }
}

static void test_unknown_terms_counted(void) {
  struct dicom_charset cs;
  T_EQ_INT(dicom_charset_parse("ISO_IR 999", 10, &cs), 1);
  T_EQ_INT(dicom_charset_parse("ISO_IR 100 ", 11, &cs), 0);
  T_EQ_INT(dicom_charset_parse("\\ISO 2022 IR 87", 15, &cs), 0);
  T_EQ_INT(cs.iso2022, 1);
  T_EQ_INT(dicom_charset_parse(NULL, 0, &cs), 0);
}

/* Output is cut at a character boundary, never inside a UTF-8 sequence. */
static void test_truncation_keeps_whole_characters(void) {
  struct dicom_charset cs;
  dicom_charset_parse("ISO_IR 192", 10, &cs);
  const char *in = "\xe5\xb1\xb1\xe7\x94\xb0"; /* 山田 */
  char out[5];
  dicom_decode(&cs, 1, (const unsigned char *)in, strlen(in), out, sizeof out);
  T_EQ_STR(out, "\xe5\xb1\xb1");
  char tiny[1];
  dicom_decode(&cs, 1, (const unsigned char *)in, strlen(in), tiny, sizeof tiny);
  T_EQ_STR(tiny, "");
}

static void test_utf8_clean(void) {
  char out[64];
  T_EQ_INT(dicom_utf8_clean((const unsigned char *)"1.2.840", 7, out, sizeof out), 0);
  T_EQ_STR(out, "1.2.840");
  T_EQ_INT(dicom_utf8_clean((const unsigned char *)"1.2\xff\x01", 5, out, sizeof out), 2);
  T_EQ_STR(out, "1.2\xef\xbf\xbd\xef\xbf\xbd");
  T_EQ_INT(dicom_utf8_clean((const unsigned char *)"\xed\xa0\x80", 3, out, sizeof out), 3); /* surrogate */
}

/* Names in the form the identity rule's pages use (identity_pn_display gives the same). */
static void test_pn_display(void) {
  static const char *const t[][2] = {
      {"Yamada^Tarou=\xe5\xb1\xb1\xe7\x94\xb0^\xe5\xa4\xaa\xe9\x83\x8e=\xe3\x82\x84\xe3\x81\xbe\xe3\x81\xa0^"
       "\xe3\x81\x9f\xe3\x82\x8d\xe3\x81\x86",
       "Yamada, Tarou (\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e, \xe3\x82\x84\xe3\x81\xbe\xe3\x81\xa0 "
       "\xe3\x81\x9f\xe3\x82\x8d\xe3\x81\x86)"},
      {"DOE^JANE", "DOE, JANE"},
      {"DOE^JANE^MARIE^MRS", "DOE, JANE MARIE MRS"},
      {"Doe^Jane ", "Doe, Jane"},
      {"Jane Doe", "Jane Doe"},
      {"DOE", "DOE"},
      {"DOE^", "DOE"},
      {"=\xe5\xb1\xb1\xe7\x94\xb0^\xe8\x8a\xb1\xe5\xad\x90", "\xe5\xb1\xb1\xe7\x94\xb0 \xe8\x8a\xb1\xe5\xad\x90"},
      {"Hong^Gildong=\xe6\xb4\xaa^\xe5\x90\x89\xe6\xb4\x9e=\xed\x99\x8d^\xea\xb8\xb8\xeb\x8f\x99",
       "Hong, Gildong (\xe6\xb4\xaa \xe5\x90\x89\xe6\xb4\x9e, \xed\x99\x8d \xea\xb8\xb8\xeb\x8f\x99)"},
      {"Zhang^XiaoDong=\xe5\xbc\xa0^\xe5\xb0\x8f\xe4\xb8\x9c=", "Zhang, XiaoDong (\xe5\xbc\xa0 \xe5\xb0\x8f\xe4\xb8\x9c)"},
      {"", ""},
      {"^^^", ""},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    char out[200];
    dicom_pn_display(t[i][0], out, sizeof out);
    T_EQ_STR(out, t[i][1]);
  }
  /* one display rule: the identity pages' helper gives the same text */
  struct arena *a = arena_new();
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    char out[200];
    dicom_pn_display(t[i][0], out, sizeof out);
    T_EQ_STR(identity_pn_display(a, t[i][0]), out);
  }
  arena_free(a);
  char small[6];
  dicom_pn_display("DOE^JANE", small, sizeof small);
  T_CHECK(strlen(small) < sizeof small);
}

/* Dates: never "1997-.0-4.". */
static void test_date_display(void) {
  static const char *const t[][2] = {
      {"19970424", "1997-04-24"}, {"1997.04.24", "1997-04-24"}, {"1997-04-24", "1997-04-24"},
      {"", ""},                   {"1997", "1997"},             {"19970424 ", "1997-04-24"},
      {"1997.4.24", "1997.4.24"}, {"abcdefgh", "abcdefgh"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    char out[32];
    dicom_date_display(t[i][0], out, sizeof out);
    T_EQ_STR(out, t[i][1]);
  }
}

int main(void) {
  T_RUN(test_decode_table);
  T_RUN(test_unknown_terms_counted);
  T_RUN(test_truncation_keeps_whole_characters);
  T_RUN(test_utf8_clean);
  T_RUN(test_pn_display);
  T_RUN(test_date_display);
  return t_done();
}
