/* Unit tests for server/core/totp.c: RFC 6238 Appendix B vectors (SHA-1,
 * last 6 of the 8 digits), the +-1 step window, replay refusal, Base32 and
 * otpauth:// URI, recovery codes. Security checklist item 20. */
#include <sodium.h>
#include <stdlib.h>

#include "core/totp.h"
#include "t.h"

static const unsigned char RFC_SECRET[] = "12345678901234567890"; /* 20 bytes used */
#define RFC_LEN 20

static void rfc6238_vectors_sha1_6_digits(void) {
  static const struct {
    long long t;
    const char *code;
  } v[] = {
      {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
      {1234567890, "005924"}, {2000000000, "279037"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char out[TOTP_DIGITS + 1];
    T_EQ_INT(totp_code_at(RFC_SECRET, RFC_LEN, (time_t)v[i].t, out), 0);
    T_EQ_STR(out, v[i].code);
    T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, v[i].code, (time_t)v[i].t, -1), v[i].t / 30);
  }
}

static void window_is_plus_minus_one_step(void) {
  const time_t t = 1111111111; /* step 37037037, code 050471 */
  const long long step = 37037037;
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "050471", t + 30, -1), step);  /* one step late */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "050471", t - 30, -1), step);  /* one step early */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "050471", t + 60, -1), -1);    /* two late */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "050471", t - 60, -1), -1);    /* two early */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "050 471", t, -1), step);      /* spaces ok */
}

static void replay_is_refused(void) {
  const time_t t = 1234567890;
  long long last = -1;
  long long s = totp_check(RFC_SECRET, RFC_LEN, "005924", t, last);
  T_EQ_INT(s, t / 30);
  last = s; /* the caller stores it */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "005924", t, last), -1);      /* same code */
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "005924", t + 29, last), -1); /* still in window */
  /* The previous step's code is older than last_step: refused too. */
  char prev[TOTP_DIGITS + 1], next[TOTP_DIGITS + 1];
  T_EQ_INT(totp_code_at(RFC_SECRET, RFC_LEN, t - 30, prev), 0);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, prev, t, last), -1);
  /* The next step's code is accepted once. */
  T_EQ_INT(totp_code_at(RFC_SECRET, RFC_LEN, t + 30, next), 0);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, next, t + 30, last), last + 1);
}

static void malformed_codes_refused(void) {
  const time_t t = 59;
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "28708", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "2870820", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "28708a", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "+87082", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "\xef\xbc\x92" "87082", t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, NULL, t, -1), -1);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, "000000", t, -1), -1);
  char many[100];
  memset(many, ' ', sizeof many - 7);
  memcpy(many + sizeof many - 7, "287082", 7);
  T_EQ_INT(totp_check(RFC_SECRET, RFC_LEN, many, t, -1), -1); /* bounded input */
}

static void base32_known_answers(void) {
  char out[TOTP_BASE32_MAX];
  T_EQ_INT(totp_base32(RFC_SECRET, RFC_LEN, out, sizeof out), 32);
  T_EQ_STR(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  /* RFC 4648 section 10 vectors, padding removed. */
  static const struct {
    const char *in, *out;
  } v[] = {{"", ""},         {"f", "MY"},         {"fo", "MZXQ"},         {"foo", "MZXW6"},
           {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    T_EQ_INT(totp_base32((const unsigned char *)v[i].in, strlen(v[i].in), out, sizeof out),
             strlen(v[i].out));
    T_EQ_STR(out, v[i].out);
  }
  T_EQ_INT(totp_base32(RFC_SECRET, RFC_LEN, out, 32), -1); /* no room for NUL */
}

static void uri_is_escaped(void) {
  char out[512];
  int n = totp_uri(RFC_SECRET, RFC_LEN, "secondop", "jo+test@example.org", out, sizeof out);
  T_EQ_INT(n, strlen(out));
  T_EQ_STR(out,
           "otpauth://totp/secondop:jo%2Btest%40example.org?secret="
           "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=secondop&algorithm=SHA1&digits=6&period=30");
  T_EQ_INT(totp_uri(RFC_SECRET, RFC_LEN, "secondop", "a b&c=d", out, sizeof out) > 0, 1);
  T_CHECK(strstr(out, "secondop:a%20b%26c%3Dd?") != NULL);
  T_EQ_INT(totp_uri(RFC_SECRET, RFC_LEN, "secondop", "jo@example.org", out, 40), -1);
  T_EQ_STR(out, ""); /* nothing half-written */
}

static void new_secrets_differ(void) {
  unsigned char a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
  totp_secret_new(a);
  totp_secret_new(b);
  T_CHECK(memcmp(a, b, sizeof a) != 0);
  char code[TOTP_DIGITS + 1];
  time_t now = time(NULL);
  T_EQ_INT(totp_code_at(a, sizeof a, now, code), 0);
  T_EQ_INT(totp_check(a, sizeof a, code, now, -1), (long long)now / 30);
  sodium_memzero(a, sizeof a);
  sodium_memzero(b, sizeof b);
}

static void recovery_codes_format_hash_once(void) {
  char codes[10][TOTP_RECOVERY_BUF];
  unsigned char key[TOTP_RECOVERY_KEY_BYTES];
  unsigned char hashes[10][TOTP_RECOVERY_HASH_BYTES];
  randombytes_buf(key, sizeof key);
  T_EQ_INT(totp_recovery_codes(10, codes), 0);
  for (int i = 0; i < 10; i++) {
    T_EQ_INT(strlen(codes[i]), 11);
    T_EQ_INT(codes[i][5], '-');
    for (int j = 0; j < 11; j++)
      if (j != 5) T_CHECK(strchr(TOTP_RECOVERY_ALPHABET, codes[i][j]) != NULL);
    T_EQ_INT(totp_recovery_hash(codes[i], key, hashes[i]), 0);
  }
  T_CHECK(strcmp(codes[0], codes[1]) != 0);
  /* Found regardless of case, spaces and hyphen. */
  char typed[32];
  memcpy(typed, codes[7], 5);
  typed[5] = ' ';
  memcpy(typed + 6, codes[7] + 6, 6); /* 5 characters and the NUL */
  for (char *p = typed; *p; p++)
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
  T_EQ_INT(totp_recovery_find(typed, key, (const unsigned char(*)[32])hashes, 10), 7);
  T_EQ_INT(totp_recovery_find(codes[3], key, (const unsigned char(*)[32])hashes, 10), 3);
  /* Wrong key, wrong code, malformed code: no match. */
  unsigned char key2[TOTP_RECOVERY_KEY_BYTES];
  randombytes_buf(key2, sizeof key2);
  T_EQ_INT(totp_recovery_find(codes[3], key2, (const unsigned char(*)[32])hashes, 10), -1);
  T_EQ_INT(totp_recovery_find("22222-22222", key, (const unsigned char(*)[32])hashes, 10), -1);
  T_EQ_INT(totp_recovery_find("0oli1-22222", key, (const unsigned char(*)[32])hashes, 10), -1);
  T_EQ_INT(totp_recovery_find("2222-22222", key, (const unsigned char(*)[32])hashes, 10), -1);
  T_EQ_INT(totp_recovery_find("", key, (const unsigned char(*)[32])hashes, 10), -1);
  sodium_memzero(codes, sizeof codes);
  sodium_memzero(key, sizeof key);
}

int main(void) {
  if (sodium_init() < 0 || totp_init() != 0) return 1;
  T_RUN(rfc6238_vectors_sha1_6_digits);
  T_RUN(window_is_plus_minus_one_step);
  T_RUN(replay_is_refused);
  T_RUN(malformed_codes_refused);
  T_RUN(base32_known_answers);
  T_RUN(uri_is_escaped);
  T_RUN(new_secrets_differ);
  T_RUN(recovery_codes_format_hash_once);
  totp_done();
  return t_done();
}
