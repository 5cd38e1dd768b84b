/* DICOM character sets (PS3.5 §6.1, Annex H/I/J): text values to UTF-8 with iconv (glibc),
 * and the display forms of person names and dates.
 *
 * Specific Character Set (0008,0005) names the repertoire of PN, LO, SH, ST, LT, UT (and UC)
 * values. Single-byte sets (ISO_IR 100/101/109/110/144/127/126/138/148/166/13), their
 * ISO 2022 code-extension forms (ISO 2022 IR 6/100/.../13/87/159/149/58: escape sequences
 * switch G0/G1 inside a value and the first set is active again at each value, at '^' and
 * '=' in person names and at control characters) and the multi-byte sets without extensions
 * (ISO_IR 192 = UTF-8, GB18030, GBK) are decoded. A byte sequence that is invalid in the set in
 * force becomes U+FFFD and is counted; nothing here ever fails on input. */
#ifndef SECONDOP_DICOM_CHARSET_H
#define SECONDOP_DICOM_CHARSET_H
#include <stddef.h>

#define DCS_MAX_TERMS 8

/* The sets a value may use: terms[0] is the one in force at the start of each value. */
struct dicom_charset {
  int terms[DCS_MAX_TERMS]; /* internal set ids (see charset.c) */
  int n;
  int iso2022;     /* code extensions in use (an "ISO 2022 ..." term) */
  int unknown;     /* number of terms we did not recognise (decoded as the default) */
};

/* Parses the raw Specific Character Set value (backslash-separated, possibly padded; NULL or ""
 * is the default repertoire) into *cs. Returns the number of unknown terms (0 when all known). */
int dicom_charset_parse(const char *value, size_t len, struct dicom_charset *cs);

/* Decodes in[0..inlen) to NUL-terminated UTF-8 in out (cap > 0), truncated at a character
 * boundary. is_pn: the value is a person name ('^' and '=' reset code extensions). Trailing
 * spaces are kept (the caller trims). Returns the number of U+FFFD replacements made. */
size_t dicom_decode(const struct dicom_charset *cs, int is_pn, const unsigned char *in, size_t inlen,
                    char *out, size_t cap);

/* Copies in[0..inlen) to out (cap > 0) as valid UTF-8 without control characters other than
 * tab/CR/LF: invalid sequences and other controls become U+FFFD. Truncates at a character
 * boundary. Returns the number of replacements. For values that should be ASCII (UIDs, codes). */
size_t dicom_utf8_clean(const unsigned char *in, size_t inlen, char *out, size_t cap);

/* A decoded (UTF-8) person name for display, the same form as the identity rule's pages:
 * the alphabetic group family name first with a comma ("DOE^JANE" -> "DOE, JANE"), the
 * ideographic and phonetic groups with a space ("山田 太郎"), the other groups in parentheses:
 * "Yamada^Tarou=山田^太郎=やまだ^たろう" -> "Yamada, Tarou (山田 太郎, やまだ たろう)". A name
 * without delimiters is kept as written. "" for an empty name. Truncates at cap (whole
 * characters). */
void dicom_pn_display(const char *pn, char *out, size_t cap);

/* A DICOM date as YYYY-MM-DD: "19970424", old ACR-NEMA "1997.04.24" and "1997-04-24" are
 * recognised; anything else is copied unchanged (it is never reformatted into nonsense).
 * "" for an empty date. out needs at least 11 bytes; longer input is truncated at cap. */
void dicom_date_display(const char *da, char *out, size_t cap);

#endif
