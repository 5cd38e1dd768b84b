/* Unit tests for server/core/password.c: length in code points after NFKC,
 * blocklist, e-mail/name refusal, Argon2id format and cost, verify/rehash,
 * dummy hash, hashing slots. Security checklist items 13-17 and 19. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#endif
#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdlib.h>
#include <time.h>

#include "core/password.h"
#include "t.h"

/* Cheap Argon2id cost for speed; one test uses the production cost. */
#define CHEAP_OPS crypto_pwhash_OPSLIMIT_MIN
#define CHEAP_MEM crypto_pwhash_MEMLIMIT_MIN

static char blocklist_path[4096], passphrases_path[4096];

static void find_blocklist(void) {
  const char *dir = getenv("SECONDOP_SHARE_DIR");
  if (!dir || !*dir) dir = ".";
  snprintf(blocklist_path, sizeof blocklist_path, "%s/data/common-passwords.txt", dir);
  snprintf(passphrases_path, sizeof passphrases_path, "%s/data/blocked-passphrases.txt", dir);
}

/* Both lists, as the server loads them (server/accounts_cli.c). */
static long load_both(void) {
  const char *paths[] = {blocklist_path, passphrases_path};
  return pw_blocklist_load_files(paths, 2);
}

/* Verdict for a UTF-8 literal at the given minimum length. */
static enum pw_verdict verdict(const char *s, size_t min, const char *email, const char *name) {
  char *n = pw_normalize(s, strlen(s));
  if (!n) return PW_NOT_UTF8;
  enum pw_verdict v = pw_check(n, min, email, name);
  pw_free(n);
  return v;
}

static void repeat(char *out, const char *unit, int times) {
  out[0] = '\0';
  for (int i = 0; i < times; i++) strcat(out, unit);
}

static void slots_fail_closed_before_init(void) {
  T_EQ_INT(pw_slot_acquire(0), -1);
}

static void blocklist_loads_at_least_10000(void) {
  long n = pw_blocklist_load(blocklist_path);
  T_CHECK(n >= 10000);
  T_CHECK(pw_blocklisted("password123456"));
  T_CHECK(pw_blocklisted("QWERTYUIOPASDF"));
  T_CHECK(!pw_blocklisted("correct horse battery staple")); /* not in zxcvbn's list ... */
  T_CHECK(load_both() > n);
  T_CHECK(pw_blocklisted("correct horse battery staple")); /* ... but in ours */
  /* A failed reload keeps the list already loaded, all or nothing. */
  T_EQ_INT(pw_blocklist_load("/nonexistent/secondop/common-passwords.txt"), -1);
  const char *half[] = {blocklist_path, "/nonexistent/secondop/blocked-passphrases.txt"};
  T_EQ_INT(pw_blocklist_load_files(half, 2), -1);
  T_CHECK(pw_blocklisted("password123456"));
  T_CHECK(pw_blocklisted("correcthorsebatterystaple"));
}

static void check_fails_closed_without_blocklist(void) {
  pw_blocklist_free();
  T_EQ_INT(verdict("tangerine kites over the harbour", 15, NULL, NULL), PW_COMMON);
  T_CHECK(load_both() >= 10000);
  T_EQ_INT(verdict("tangerine kites over the harbour", 15, NULL, NULL), PW_OK);
}

/* Issue 10: the list bites at our minimum length. The shipped file has at
 * least 10,000 entries of 15+ characters, and the known patterns are refused
 * whatever the spacing, case and punctuation; a random passphrase is not. */
static void blocked_passphrases_bite_at_15(void) {
  FILE *f = fopen(passphrases_path, "r");
  T_CHECK(f != NULL);
  long long15 = 0;
  char line[256], prev[256] = "";
  bool sorted = true;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    if (pw_codepoints(line) >= 15) long15++;
    if (strcmp(prev, line) >= 0) sorted = false;
    snprintf(prev, sizeof prev, "%s", line);
  }
  if (f) fclose(f);
  T_CHECK(long15 >= 10000);
  T_CHECK(sorted);
  T_CHECK(load_both() >= 40000);
  static const char *const refused[] = {
      "password1234567",          "Password-123456!",          "qwertyuiopasdfgh",
      "QWERTYUIOPASDFG",          "correcthorsebatterystaple", "correct horse battery staple",
      "Correct-Horse-Battery-Staple!", "the quick brown fox jumps over the lazy dog",
      "1qaz2wsx3edc4rfv",         "zaq1xsw2cde3vfr4",          "qazwsxedcrfvtgby",
      "poiuytrewqlkjhgf",         "iloveyouiloveyou",          "I love you forever!!!",
      "monkeymonkeymonkey",       "123456789012345",           "aaaaaaaaaaaaaaaa",
      "abcdefghijklmnop",         "sunshine1234567",           "Password2024!!!",
      "may the force be with you", "To be or not to be!",      "twinkle twinkle little star",
      "letmeinletmeinletmein",         "passwordpassword",          "football1234567",
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    enum pw_verdict v = verdict(refused[i], 15, NULL, NULL);
    if (v != PW_COMMON) fprintf(stderr, "  not refused: %s (%d)\n", refused[i], (int)v);
    T_EQ_INT(v, PW_COMMON);
  }
  /* password123456 and qwertyuiopasdf are 14: refused for length at 15, by the list at 12 */
  T_EQ_INT(verdict("password123456", 12, NULL, NULL), PW_COMMON);
  T_EQ_INT(verdict("qwertyuiopasdf", 12, NULL, NULL), PW_COMMON);
  /* the person's own e-mail address, however it is written */
  const char *email = "jane.doe.1970@example.org";
  T_EQ_INT(verdict("jane.doe.1970@example.org", 15, email, NULL), PW_MATCHES_EMAIL);
  T_EQ_INT(verdict("Jane Doe 1970 @ Example.org", 15, email, NULL), PW_MATCHES_EMAIL);
  T_EQ_INT(verdict("janedoe1970examp", 15, email, NULL), PW_OK); /* not the whole address */
  /* random 20-character passphrases are accepted (a hit would be a 1 in 36^20 accident) */
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int k = 0; k < 50; k++) {
    char pw[21];
    for (int i = 0; i < 20; i++) pw[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    pw[20] = '\0';
    T_EQ_INT(verdict(pw, 15, email, "Jane Doe"), PW_OK);
  }
  /* and sentences nobody has listed */
  T_EQ_INT(verdict("tangerine kites over the harbour", 15, NULL, NULL), PW_OK);
  T_EQ_INT(verdict("my cat likes warm windowsills", 15, NULL, NULL), PW_OK);
}

static void min_length_14_refused_15_accepted(void) {
  T_EQ_INT(verdict("tangerine kite", 15, NULL, NULL), PW_TOO_SHORT);  /* 14 */
  T_EQ_INT(verdict("tangerine kites", 15, NULL, NULL), PW_OK);        /* 15 */
  T_EQ_INT(verdict("tangerine k", 12, NULL, NULL), PW_TOO_SHORT);     /* 11 */
  T_EQ_INT(verdict("tangerine ki", 12, NULL, NULL), PW_OK);           /* 12 */
}

static void fifteen_emoji_accepted(void) {
  char buf[256];
  repeat(buf, "\xF0\x9F\x94\xA5", 15); /* U+1F525 x 15: 60 bytes, 15 code points */
  char *n = pw_normalize(buf, strlen(buf));
  T_CHECK(n != NULL);
  T_EQ_INT(pw_codepoints(n), 15);
  T_EQ_INT(pw_check(n, 15, NULL, NULL), PW_OK);
  pw_free(n);
  repeat(buf, "\xF0\x9F\x94\xA5", 14);
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_TOO_SHORT);
  T_EQ_INT(verdict("\xF0\x9F\x90\xB4\xF0\x9F\x94\x8B\xF0\x9F\x93\x8E \xE5\xAF\x86\xE7\xA0\x81 "
                   "\xC3\xA9t\xC3\xA9 caf\xC3\xA9",
                   12, NULL, NULL),
           PW_OK); /* emoji, CJK, accents and spaces */
}

static void max_length_128_accepted_129_refused(void) {
  char buf[1024];
  repeat(buf, "abcdefgh", 16); /* 128 */
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_OK);
  strcat(buf, "x"); /* 129 */
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_TOO_LONG);
  repeat(buf, "\xC3\xA9", 128); /* 128 code points, 256 bytes */
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_OK);
  repeat(buf, "\xC3\xA9", 129);
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_TOO_LONG);
  repeat(buf, "a", 64);
  T_EQ_INT(verdict(buf, 15, NULL, NULL), PW_OK);
  /* Raw input beyond PW_INPUT_MAX_BYTES is refused before normalising. */
  char *big = malloc(PW_INPUT_MAX_BYTES + 2);
  T_CHECK(big != NULL);
  if (big) {
    memset(big, 'a', PW_INPUT_MAX_BYTES + 1);
    big[PW_INPUT_MAX_BYTES + 1] = '\0';
    T_CHECK(pw_normalize(big, PW_INPUT_MAX_BYTES + 1) == NULL);
    free(big);
  }
}

static void nfkc_precomposed_equals_decomposed(void) {
  const char *pre = "r\xC3\xA9sum\xC3\xA9 of my summer holiday";   /* U+00E9 */
  const char *dec = "re\xCC\x81sume\xCC\x81 of my summer holiday"; /* e + U+0301 */
  char *a = pw_normalize(pre, strlen(pre));
  char *b = pw_normalize(dec, strlen(dec));
  T_CHECK(a && b);
  if (a && b) {
    T_EQ_STR(a, b);
    char h[PW_HASH_BYTES];
    T_EQ_INT(pw_hash(a, CHEAP_OPS, CHEAP_MEM, h), 0);
    T_EQ_INT(pw_verify(h, b, CHEAP_OPS, CHEAP_MEM, NULL), 0);
  }
  pw_free(a);
  pw_free(b);
  /* Compatibility forms fold too: fullwidth "Ａ" -> "A", "ﬁ" -> "fi". */
  char *c = pw_normalize("\xEF\xBC\xA1\xEF\xAC\x81", 6);
  T_EQ_STR(c, "Afi");
  pw_free(c);
}

static void no_composition_rules(void) {
  /* lower case words only, no digits or symbols: fine (the checklist's example
   * "correct horse battery staple" is itself on the blocked list now) */
  T_EQ_INT(verdict("tangerine kites over the harbour", 15, NULL, NULL), PW_OK);
  T_EQ_INT(verdict("tangerine kites over the harbour", 12, NULL, NULL), PW_OK);
}

static void common_passwords_refused(void) {
  T_EQ_INT(verdict("password123456", 12, NULL, NULL), PW_COMMON);
  T_EQ_INT(verdict("qwertyuiopasdf", 12, NULL, NULL), PW_COMMON);
  T_EQ_INT(verdict("PassWord123456", 12, NULL, NULL), PW_COMMON);
  T_EQ_INT(verdict("password 123456", 12, NULL, NULL), PW_COMMON);
  /* Fullwidth digits NFKC-fold to the listed entry. */
  T_EQ_INT(verdict("password\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95"
                   "\xEF\xBC\x96",
                   12, NULL, NULL),
           PW_COMMON);
  /* Under 15, the length rule answers first. */
  T_EQ_INT(verdict("password123456", 15, NULL, NULL), PW_TOO_SHORT);
  T_EQ_STR(pw_verdict_message(PW_COMMON),
           "This password is too common or has appeared in a data breach. Choose another.");
}

static void email_and_name_refused(void) {
  const char *email = "Margaret.Hamilton@example.org";
  T_EQ_INT(verdict("margaret.hamilton@example.org", 15, email, NULL), PW_MATCHES_EMAIL);
  T_EQ_INT(verdict("MARGARET.HAMILTON@EXAMPLE.ORG", 15, email, NULL), PW_MATCHES_EMAIL);
  T_EQ_INT(verdict("margaret.hamilton", 15, email, NULL), PW_MATCHES_EMAIL);
  /* both her name and, without the dot, her address's local part: the address is named first */
  T_EQ_INT(verdict("Margaret Hamilton", 15, email, "Margaret Hamilton"), PW_MATCHES_EMAIL);
  T_EQ_INT(verdict("Margaret Hamilton", 15, "mh@example.org", "Margaret Hamilton"), PW_MATCHES_NAME);
  T_EQ_INT(verdict("margarethamilton", 15, NULL, "Margaret Hamilton"), PW_MATCHES_NAME);
  T_EQ_INT(verdict("margaret hamilton wrote apollo code", 15, email, "Margaret Hamilton"), PW_OK);
  T_EQ_INT(verdict("tangerine kites", 15, "", ""), PW_OK);
}

static void invalid_utf8_refused(void) {
  T_CHECK(pw_normalize("abc\xFF" "defghijklmnop", 17) == NULL);       /* invalid byte */
  T_CHECK(pw_normalize("abc\xC0\xAF" "defghijklmnop", 18) == NULL);   /* overlong "/" */
  T_CHECK(pw_normalize("abc\xED\xA0\x80" "defghijklmno", 18) == NULL); /* surrogate */
  T_CHECK(pw_normalize("abc\xE2\x82" , 5) == NULL);                   /* truncated */
  T_CHECK(pw_normalize("abcdefgh\0ijklmnopq", 18) == NULL);            /* NUL inside */
  T_EQ_INT(pw_check("abc\xFF" "defghijklmnopqr", 15, NULL, NULL), PW_NOT_UTF8);
  T_EQ_INT(pw_check(NULL, 15, NULL, NULL), PW_NOT_UTF8);
  char *e = pw_normalize("", 0);
  T_EQ_STR(e, "");
  T_EQ_INT(pw_check(e, 15, NULL, NULL), PW_TOO_SHORT);
  pw_free(e);
}

/* Parses "$argon2id$v=19$m=M,t=T,p=1$" and returns 1 when it has that shape. */
static int parse_hash(const char *h, unsigned *m, unsigned *t) {
  char tail;
  unsigned v = 0, p = 0;
  if (strncmp(h, "$argon2id$v=19$m=", 17) != 0) return 0;
  if (sscanf(h, "$argon2id$v=%u$m=%u,t=%u,p=%u%c", &v, m, t, &p, &tail) != 5) return 0;
  return v == 19 && p == 1 && tail == '$';
}

static void hash_production_cost_meets_checklist(void) {
  char h[PW_HASH_BYTES];
  unsigned m = 0, t = 0;
  T_EQ_INT(pw_hash("correct horse battery staple", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                   crypto_pwhash_MEMLIMIT_INTERACTIVE, h),
           0);
  T_CHECK(parse_hash(h, &m, &t));
  T_CHECK(m >= 19456);
  T_CHECK(t >= 2);
  int rehash = -1;
  T_EQ_INT(pw_verify(h, "correct horse battery staple", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                     crypto_pwhash_MEMLIMIT_INTERACTIVE, &rehash),
           0);
  T_EQ_INT(rehash, 0);
}

static void verify_match_wrong_truncated_rehash(void) {
  char h[PW_HASH_BYTES], h2[PW_HASH_BYTES];
  char p[101];
  repeat(p, "0123456789", 10); /* 100 characters */
  p[99] = 'Z';
  T_EQ_INT(pw_hash(p, CHEAP_OPS, CHEAP_MEM, h), 0);
  T_EQ_INT(pw_hash(p, CHEAP_OPS, CHEAP_MEM, h2), 0);
  T_CHECK(strcmp(h, h2) != 0); /* fresh salt each time */
  int rehash = -1;
  T_EQ_INT(pw_verify(h, p, CHEAP_OPS, CHEAP_MEM, &rehash), 0);
  T_EQ_INT(rehash, 0);
  /* No truncation: P[:-1] fails. */
  p[99] = '\0';
  T_EQ_INT(pw_verify(h, p, CHEAP_OPS, CHEAP_MEM, &rehash), -1);
  T_EQ_INT(rehash, 0);
  p[99] = 'Z';
  /* Stronger target cost: the old hash still verifies but needs a rehash. */
  T_EQ_INT(pw_verify(h, p, CHEAP_OPS + 1, CHEAP_MEM, &rehash), 0);
  T_EQ_INT(rehash, 1);
  /* An Argon2i hash verifies and is flagged for upgrade to Argon2id. */
  char hi[crypto_pwhash_STRBYTES];
  T_EQ_INT(crypto_pwhash_str_alg(hi, p, strlen(p), 3, CHEAP_MEM, crypto_pwhash_ALG_ARGON2I13), 0);
  T_EQ_INT(pw_verify(hi, p, CHEAP_OPS, CHEAP_MEM, &rehash), 0);
  T_EQ_INT(rehash, 1);
  /* Garbage stored values never match. */
  T_EQ_INT(pw_verify("", p, CHEAP_OPS, CHEAP_MEM, &rehash), -1);
  T_EQ_INT(pw_verify("$argon2id$v=19$m=8,t=1,p=1$bad", p, CHEAP_OPS, CHEAP_MEM, &rehash), -1);
  T_EQ_INT(pw_verify(NULL, p, CHEAP_OPS, CHEAP_MEM, &rehash), -1);
  unsigned m = 0, t = 0;
  T_CHECK(parse_hash(h, &m, &t));
}

static void dummy_hash_is_cached_and_matches_nothing(void) {
  const char *d = pw_dummy_hash(CHEAP_OPS, CHEAP_MEM);
  T_CHECK(d != NULL);
  if (!d) return;
  unsigned m = 0, t = 0;
  T_CHECK(parse_hash(d, &m, &t));
  T_CHECK(pw_dummy_hash(CHEAP_OPS, CHEAP_MEM) == d);
  T_EQ_INT(pw_verify(d, "", CHEAP_OPS, CHEAP_MEM, NULL), -1);
  T_EQ_INT(pw_verify(d, "correct horse battery staple", CHEAP_OPS, CHEAP_MEM, NULL), -1);
  const char *d2 = pw_dummy_hash(CHEAP_OPS + 1, CHEAP_MEM);
  T_CHECK(d2 != NULL && d2 != d);
}

static void messages_are_plain_words(void) {
  for (int v = PW_OK; v <= PW_MATCHES_NAME; v++) {
    const char *m = pw_verdict_message((enum pw_verdict)v);
    T_CHECK(m != NULL && strlen(m) > 10);
  }
  T_EQ_STR(pw_verdict_message(PW_TOO_SHORT),
           "Use at least 15 characters. A short sentence you can remember works well.");
  T_CHECK(strstr(pw_verdict_message_len(PW_TOO_SHORT, 12), "12 characters") != NULL);
}

static void *hold_then_release(void *arg) {
  (void)arg;
  struct timespec ts = {0, 100 * 1000000L};
  nanosleep(&ts, NULL);
  pw_slot_release();
  return NULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void slots_bound_concurrency(void) {
  pw_slots_init(2);
  T_EQ_INT(pw_slot_acquire(0), 0);
  T_EQ_INT(pw_slot_acquire(0), 0);
  double t0 = now_ms();
  T_EQ_INT(pw_slot_acquire(50), -1); /* full: times out */
  T_CHECK(now_ms() - t0 >= 45.0);
  /* A waiter gets the slot another thread releases. */
  pthread_t th;
  T_EQ_INT(pthread_create(&th, NULL, hold_then_release, NULL), 0);
  T_EQ_INT(pw_slot_acquire(5000), 0);
  pthread_join(th, NULL);
  pw_slot_release();
  pw_slot_release();
  T_EQ_INT(pw_slot_acquire(0), 0);
  pw_slot_release();
}

int main(void) {
  if (sodium_init() < 0) return 1;
  find_blocklist();
  FILE *probe = fopen(blocklist_path, "r");
  if (!probe)
    fprintf(stderr, "cannot read %s: run from the source root or set SECONDOP_SHARE_DIR\n",
            blocklist_path);
  else
    fclose(probe);
  T_RUN(slots_fail_closed_before_init);
  T_RUN(blocklist_loads_at_least_10000);
  T_RUN(check_fails_closed_without_blocklist);
  T_RUN(min_length_14_refused_15_accepted);
  T_RUN(fifteen_emoji_accepted);
  T_RUN(max_length_128_accepted_129_refused);
  T_RUN(nfkc_precomposed_equals_decomposed);
  T_RUN(no_composition_rules);
  T_RUN(common_passwords_refused);
  T_RUN(blocked_passphrases_bite_at_15);
  T_RUN(email_and_name_refused);
  T_RUN(invalid_utf8_refused);
  T_RUN(hash_production_cost_meets_checklist);
  T_RUN(verify_match_wrong_truncated_rehash);
  T_RUN(dummy_hash_is_cached_and_matches_nothing);
  T_RUN(messages_are_plain_words);
  T_RUN(slots_bound_concurrency);
  pw_blocklist_free();
  return t_done();
}
