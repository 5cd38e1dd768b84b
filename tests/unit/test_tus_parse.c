/* tus header parsing: strict numbers, Upload-Metadata, Upload-Checksum,
 * file-name sanitising and upload ids. */
#include <stdlib.h>

#include "http/tus_parse.h"
#include "t.h"

static void test_u64_strict(void) {
  uint64_t v = 7;
  T_EQ_INT(tus_parse_u64("0", &v), 0);
  T_EQ_INT(v, 0);
  T_EQ_INT(tus_parse_u64("18446744073709551615", &v), 0);
  T_CHECK(v == UINT64_MAX);
  const char *bad[] = {"", "-1", "+5", " 5", "5 ", "1e3", "0x10", "18446744073709551616", "99999999999999999999", "5a"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) T_EQ_INT(tus_parse_u64(bad[i], &v), -1);
  T_EQ_INT(tus_parse_u64(NULL, &v), -1);
}

/* Parses a header into m with a buffer of the documented size. */
static int meta(const char *h, struct tus_meta *m, unsigned char **buf) {
  size_t n = TUS_META_BUF(strlen(h));
  *buf = malloc(n);
  return tus_parse_metadata(h, *buf, n, m);
}

static void test_metadata(void) {
  struct tus_meta m;
  unsigned char *b;
  /* filename "world_domination_plan.pdf", is_confidential without value */
  T_EQ_INT(meta("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, request MTI=", &m, &b), 0);
  T_EQ_INT(m.n, 3);
  T_EQ_STR((const char *)tus_meta_get(&m, "filename")->value, "world_domination_plan.pdf");
  T_EQ_INT(tus_meta_get(&m, "is_confidential")->has_value, 0);
  T_EQ_INT(tus_meta_get(&m, "is_confidential")->len, 0);
  T_EQ_STR((const char *)tus_meta_get(&m, "request")->value, "12");
  T_CHECK(tus_meta_get(&m, "absent") == NULL);
  free(b);
  T_EQ_INT(meta("", &m, &b), 0);
  T_EQ_INT(m.n, 0);
  free(b);
  const char *bad[] = {"a b c", "a YQ", "a YQ=", "a Y===", "a YQ==,a YQ==", "a YQ==,", ",", "a\x01 YQ==", "a YR==",
                       "a YQ==x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    T_EQ_INT(meta(bad[i], &m, &b), -1);
    T_EQ_INT(m.n, 0);
    free(b);
  }
  /* a buffer smaller than documented is refused, not overrun */
  unsigned char small[4];
  T_EQ_INT(tus_parse_metadata("filename d29ybGQ=", small, sizeof small, &m), -1);
  /* too many pairs */
  char many[400] = "";
  for (int i = 0; i < TUS_META_MAX + 1; i++) {
    char k[16];
    snprintf(k, sizeof k, "%sk%d", i ? "," : "", i);
    strcat(many, k);
  }
  T_EQ_INT(meta(many, &m, &b), -1);
  free(b);
}

static void test_checksum(void) {
  unsigned char d[32];
  /* sha256("") in base64 */
  T_EQ_INT(tus_parse_checksum("sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", d), TUS_CK_OK);
  T_EQ_INT(d[0], 0xe3);
  T_EQ_INT(d[31], 0x55);
  T_EQ_INT(tus_parse_checksum("md5 1B2M2Y8AsgTpgAmY7PhCfg==", d), TUS_CK_UNSUPPORTED);
  T_EQ_INT(tus_parse_checksum("sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", d), TUS_CK_UNSUPPORTED);
  T_EQ_INT(tus_parse_checksum("sha256 AAAA", d), TUS_CK_MALFORMED);
  T_EQ_INT(tus_parse_checksum("sha256", d), TUS_CK_MALFORMED);
  T_EQ_INT(tus_parse_checksum(" sha256 x", d), TUS_CK_MALFORMED);
  T_EQ_INT(tus_parse_checksum(NULL, d), TUS_CK_MALFORMED);
  T_EQ_INT(tus_parse_sha256_value((const unsigned char *)"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 64, d), 0);
  T_EQ_INT(d[1], 0xb0);
  T_EQ_INT(tus_parse_sha256_value((const unsigned char *)"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 44, d), 0);
  T_EQ_INT(tus_parse_sha256_value((const unsigned char *)"zz", 2, d), -1);
}

static void test_filename(void) {
  char out[256];
  T_EQ_INT(tus_sanitize_filename((const unsigned char *)"../../etc/passwd", 16, out, sizeof out), 16);
  T_EQ_STR(out, "../../etc/passwd"); /* kept as text: it is never a path */
  /* U+202E RIGHT-TO-LEFT OVERRIDE removed */
  const char rlo[] = "\xe2\x80\xae" "fdp.exe";
  tus_sanitize_filename((const unsigned char *)rlo, sizeof rlo - 1, out, sizeof out);
  T_EQ_STR(out, "fdp.exe");
  const char ctl[] = "a\x00" "b\x1b[31mc\x7f\xc2\x85" "d";
  tus_sanitize_filename((const unsigned char *)ctl, sizeof ctl - 1, out, sizeof out);
  T_EQ_STR(out, "ab[31mcd");
  const char bad_utf8[] = "x\xff\xc0\xafy";
  tus_sanitize_filename((const unsigned char *)bad_utf8, sizeof bad_utf8 - 1, out, sizeof out);
  T_EQ_STR(out, "xy");
  tus_sanitize_filename((const unsigned char *)"", 0, out, sizeof out);
  T_EQ_STR(out, "unnamed");
  tus_sanitize_filename((const unsigned char *)"\xe2\x80\xae", 3, out, sizeof out);
  T_EQ_STR(out, "unnamed");
  /* 4 KiB of "é" (2 bytes each): cut at a character boundary, <= 255 bytes */
  static unsigned char big[4096];
  for (size_t i = 0; i < sizeof big; i += 2) {
    big[i] = 0xc3;
    big[i + 1] = 0xa9;
  }
  size_t n = tus_sanitize_filename(big, sizeof big, out, sizeof out);
  T_EQ_INT(n, 254);
  T_EQ_INT(strlen(out), 254);
}

static void test_ids(void) {
  unsigned char raw[16] = {0};
  char id[27];
  T_EQ_INT(tus_base32(raw, sizeof raw, id, sizeof id), 0);
  T_EQ_STR(id, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
  T_CHECK(tus_id_valid(id));
  unsigned char ff[16];
  memset(ff, 0xff, sizeof ff);
  tus_base32(ff, sizeof ff, id, sizeof id);
  T_EQ_STR(id, "77777777777777777777777774"); /* the last character carries 3 bits */
  T_EQ_INT(tus_base32(ff, sizeof ff, id, 26), -1);
  T_CHECK(!tus_id_valid("../../etc/passwd"));
  T_CHECK(!tus_id_valid("AAAAAAAAAAAAAAAAAAAAAAAAAA"));
  T_CHECK(!tus_id_valid("aaaa"));
  T_CHECK(!tus_id_valid(NULL));
}

int main(void) {
  T_RUN(test_u64_strict);
  T_RUN(test_metadata);
  T_RUN(test_checksum);
  T_RUN(test_filename);
  T_RUN(test_ids);
  return t_done();
}
