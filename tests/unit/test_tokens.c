/* Unit tests for the pure parts of server/core/tokens.c: the token's text form (prefix, base64url,
 * exactly one text per secret), the Authorization header, the keyed hash, and the form's expiry
 * days and label rules, each as a truth table. */
#include <sodium.h>
#include <string.h>

#include "core/tokens.h"
#include "http/actor.h"
#include "t.h"

static void format_and_parse_round_trip(void) {
  unsigned char s[TOK_SECRET_BYTES], back[TOK_SECRET_BYTES];
  char text[TOK_BUF];
  for (int i = 0; i < 200; i++) {
    randombytes_buf(s, sizeof s);
    tok_format(s, text);
    T_EQ_INT(strlen(text), TOK_CHARS);
    T_EQ_INT(strncmp(text, "sop_", 4), 0);
    T_EQ_INT(tok_parse(text, back), 0);
    T_EQ_INT(memcmp(s, back, sizeof s), 0);
  }
  memset(s, 0, sizeof s);
  tok_format(s, text);
  T_EQ_STR(text, "sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  memset(s, 0xff, sizeof s);
  tok_format(s, text);
  T_EQ_STR(text, "sop___________________________________________8");
}

static void parse_truth_table(void) {
  static const struct {
    const char *text;
    int ok;
  } cases[] = {
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1},
      {"sop___________________________________________8", 1},
      {"sop_abcdefghijklmnopqrstuvwxyz-_0123456789ABCDE", 1},
      {"SOP_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},  /* the prefix is lower case */
      {"sop-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},  /* no prefix */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},   /* 42 characters */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0}, /* 44 characters */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},  /* padding */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 0},  /* standard base64, not url-safe */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/", 0},
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.", 0},
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", 0},  /* non-zero trailing bits: a second text */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ", 0}, /* trailing space */
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0},
      {" sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
      {"sop_AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA", 0},
      {"sop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9", 0},
      {"sop_", 0},
      {"sop", 0},
      {"", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char s[TOK_SECRET_BYTES];
    int rc = tok_parse(cases[i].text, s);
    if ((rc == 0) != cases[i].ok) fprintf(stderr, "  case %zu: \"%s\"\n", i, cases[i].text);
    T_EQ_INT(rc == 0, cases[i].ok);
  }
  unsigned char s[TOK_SECRET_BYTES];
  T_EQ_INT(tok_parse(NULL, s), -1);
}

static void authorization_header(void) {
  static const struct {
    const char *header, *token;
  } cases[] = {
      {"Bearer sop_x", "sop_x"},
      {"bearer sop_x", "sop_x"},
      {"BEARER sop_x", "sop_x"},
      {"Bearer   sop_x", "sop_x"},
      {"Bearer ", ""},
      {"Bearer", NULL},
      {"Bearersop_x", NULL},
      {"Basic dXNlcjpwYXNz", NULL},
      {"Token sop_x", NULL},
      {"", NULL},
      {NULL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = tok_from_authorization(cases[i].header);
    if (cases[i].token)
      T_EQ_STR(got, cases[i].token);
    else
      T_CHECK(got == NULL);
  }
}

static void keyed_hash(void) {
  unsigned char k1[32], k2[32], s[TOK_SECRET_BYTES], h1[32], h2[32], h3[32], plain[32];
  randombytes_buf(k1, sizeof k1);
  memcpy(k2, k1, sizeof k2);
  k2[0] ^= 1;
  randombytes_buf(s, sizeof s);
  tok_hash(k1, s, h1);
  tok_hash(k2, s, h2);
  T_CHECK(memcmp(h1, h2, 32) != 0); /* another server key: another hash */
  crypto_generichash(plain, 32, s, sizeof s, NULL, 0);
  T_CHECK(memcmp(h1, plain, 32) != 0); /* keyed, not a plain BLAKE2b */
  tok_hash(k1, s, h3);
  T_EQ_INT(memcmp(h1, h3, 32), 0);
  s[31] ^= 0x80;
  tok_hash(k1, s, h3);
  T_CHECK(memcmp(h1, h3, 32) != 0);
}

static void days_truth_table(void) {
  static const struct {
    const char *text;
    int days; /* -1: refused */
  } cases[] = {
      {NULL, 30}, {"", 30},    {"1", 1},     {"30", 30},   {"365", 365}, {"0", -1},   {"366", -1},
      {"-1", -1}, {"+5", -1},  {" 5", -1},   {"5 ", -1},   {"05", -1},   {"1e2", -1}, {"abc", -1},
      {"3650", -1}, {"30.5", -1}, {"99999999999", -1}, {"٣", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int d = -7;
    int rc = tok_parse_days(cases[i].text, &d);
    if (cases[i].days < 0) {
      T_EQ_INT(rc, -1);
    } else {
      T_EQ_INT(rc, 0);
      T_EQ_INT(d, cases[i].days);
    }
  }
}

static void label_truth_table(void) {
  char long80[81], long81[82];
  memset(long80, 'a', 80);
  long80[80] = 0;
  memset(long81, 'a', 81);
  long81[81] = 0;
  /* 80 two-byte characters are 160 bytes and still fine */
  char e80[161];
  for (int i = 0; i < 80; i++) memcpy(e80 + 2 * i, "\xc3\xa9", 2);
  e80[160] = 0;
  static const char *const ok[] = {"Weasis", "OHIF at the clinic", "Dr. Müller's workstation", "x", "  a  ",
                                   "放射線科", "Weasis (laptop) #2"};
  static const char *const bad[] = {"",           " ",          "   ",         "tab\there", "new\nline",
                                    "cr\rhere",   "del\x7fhere", "bad\xc3utf8", "\xc0\xafoverlong",
                                    "c1\xc2\x85x", "bidi\xe2\x80\xaeoverride", "iso\xe2\x81\xa6x", "\xed\xa0\x80"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    if (tok_label_ok(ok[i]) != 0) fprintf(stderr, "  ok label %zu refused\n", i);
    T_EQ_INT(tok_label_ok(ok[i]), 0);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (tok_label_ok(bad[i]) == 0) fprintf(stderr, "  bad label %zu accepted\n", i);
    T_EQ_INT(tok_label_ok(bad[i]), -1);
  }
  T_EQ_INT(tok_label_ok(NULL), -1);
  T_EQ_INT(tok_label_ok(long80), 0);
  T_EQ_INT(tok_label_ok(long81), -1);
  T_EQ_INT(tok_label_ok(e80), 0);
}

/* The token's scope reaches the domain on the actor (for STOW-RS): only from a token. */
static void actor_carries_the_token(void) {
  struct req r;
  memset(&r, 0, sizeof r);
  strcpy(r.client_ip, "192.0.2.7");
  strcpy(r.id, "0123456789abcdef");
  struct actor a = actor_from_req(&r);
  T_EQ_INT(a.user_id, 0);
  T_EQ_INT(a.token_id, 0);
  T_EQ_INT(a.can_store, 0);
  struct principal p;
  memset(&p, 0, sizeof p);
  p.user_id = 42;
  p.role = ROLE_STAFF;
  p.token_id = 5;
  p.token_can_store = true;
  r.user = &p;
  a = actor_from_req(&r);
  T_EQ_INT(a.user_id, 42);
  T_EQ_INT(a.role, ROLE_STAFF);
  T_EQ_INT(a.token_id, 5);
  T_EQ_INT(a.can_store, 1);
  T_EQ_STR(a.ip, "192.0.2.7");
  p.token_can_store = false; /* a read-only token */
  a = actor_from_req(&r);
  T_EQ_INT(a.can_store, 0);
  p.token_id = 0; /* a session: never a sending scope */
  p.token_can_store = true;
  a = actor_from_req(&r);
  T_EQ_INT(a.token_id, 0);
  T_EQ_INT(a.can_store, 0);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  T_RUN(format_and_parse_round_trip);
  T_RUN(parse_truth_table);
  T_RUN(authorization_header);
  T_RUN(keyed_hash);
  T_RUN(days_truth_table);
  T_RUN(label_truth_table);
  T_RUN(actor_carries_the_token);
  return t_done();
}
