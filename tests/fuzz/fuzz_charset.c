/* libFuzzer target for the character-set decoder and the display helpers.
 * The first byte chooses a Specific Character Set (from the defined terms, or the raw input when
 * it is odd), the rest is a value. Invariants: the output is NUL-terminated, valid UTF-8 without
 * controls other than tab/LF/FF/CR, within the buffer; display helpers stay within theirs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dicom/charset.h"

static const char *const terms[] = {
    "",  "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 144", "ISO_IR 127",
    "ISO_IR 126", "ISO_IR 138", "ISO_IR 148", "ISO_IR 166", "ISO_IR 13", "ISO_IR 192", "GB18030", "GBK",
    "\\ISO 2022 IR 87", "ISO 2022 IR 13\\ISO 2022 IR 87", "\\ISO 2022 IR 159", "\\ISO 2022 IR 149",
    "\\ISO 2022 IR 58", "ISO 2022 IR 100", "ISO 2022 IR 6\\ISO 2022 IR 126\\ISO 2022 IR 144",
    "ISO 2022 IR 6\\ISO 2022 IR 87\\ISO 2022 IR 159\\ISO 2022 IR 149\\ISO 2022 IR 58\\ISO 2022 IR 13"};

/* Checks out[0..cap) holds valid UTF-8 ending in NUL. */
static void check_utf8(const char *out, size_t cap) {
  const unsigned char *s = (const unsigned char *)out;
  size_t n = strnlen(out, cap);
  if (n >= cap) __builtin_trap();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t l = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!l || i + l > n) __builtin_trap();
    for (size_t k = 1; k < l; k++)
      if ((s[i + k] & 0xC0) != 0x80) __builtin_trap();
    i += l;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  struct dicom_charset cs;
  unsigned sel = data[0];
  const unsigned char *v = data + 1;
  size_t n = size - 1;
  if (sel & 1) {
    size_t split = n / 4;
    dicom_charset_parse((const char *)v, split, &cs); /* raw bytes as the charset value */
    v += split;
    n -= split;
  } else {
    const char *t = terms[(sel >> 1) % (sizeof terms / sizeof *terms)];
    dicom_charset_parse(t, strlen(t), &cs);
  }
  char out[1024], small[7], disp[256], date[11];
  dicom_decode(&cs, (sel >> 7) & 1, v, n, out, sizeof out);
  check_utf8(out, sizeof out);
  for (size_t i = 0; i < strlen(out); i++)
    if ((unsigned char)out[i] < 0x20 && out[i] != 9 && out[i] != 10 && out[i] != 12 && out[i] != 13) __builtin_trap();
  dicom_decode(&cs, 1, v, n, small, sizeof small);
  check_utf8(small, sizeof small);
  dicom_utf8_clean(v, n, out, sizeof out);
  check_utf8(out, sizeof out);
  dicom_pn_display(out, disp, sizeof disp);
  check_utf8(disp, sizeof disp);
  dicom_date_display(out, date, sizeof date);
  if (strnlen(date, sizeof date) >= sizeof date) __builtin_trap();
  return 0;
}
