/* Signed audit checkpoints: a formatted line parses back to the same values
 * under the right key; any change to a field, a wrong key or a malformed line
 * is refused; the key file is made 0600 and refused when others can read it. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit_anchor.h"
#include "t.h"

static unsigned char pk[32], sk[64];

static void round_trip(void) {
  struct anchor_checkpoint cp = {.row_id = 123456, .at = 1700000000}, back;
  for (int i = 0; i < 32; i++) cp.hash[i] = (unsigned char)(i * 7);
  char line[ANCHOR_LINE_MAX];
  int n = anchor_format(&cp, sk, line, sizeof line);
  T_CHECK(n > 0 && line[n - 1] == '\n');
  T_CHECK(strncmp(line, "v1 123456 00070e15", 18) == 0);
  T_EQ_INT(anchor_parse(line, pk, &back), 0);
  T_EQ_INT(back.row_id, 123456);
  T_EQ_INT(back.at, 1700000000);
  T_CHECK(memcmp(back.hash, cp.hash, 32) == 0);
  line[n - 1] = '\0'; /* without the newline too */
  T_EQ_INT(anchor_parse(line, pk, &back), 0);
}

static void tampering_is_refused(void) {
  struct anchor_checkpoint cp = {.row_id = 42, .at = 1700000000}, back;
  char line[ANCHOR_LINE_MAX], bad[ANCHOR_LINE_MAX];
  anchor_format(&cp, sk, line, sizeof line);
  /* another row id, an edited hash digit, an edited time: signature fails */
  strcpy(bad, line);
  bad[3] = '3';
  T_EQ_INT(anchor_parse(bad, pk, &back), -2);
  strcpy(bad, line);
  bad[6] = bad[6] == '0' ? '1' : '0';
  T_EQ_INT(anchor_parse(bad, pk, &back), -2);
  strcpy(bad, line);
  char *t = strstr(bad, " 1700000000 ");
  T_CHECK(t != NULL);
  if (t) t[10] = '1';
  T_EQ_INT(anchor_parse(bad, pk, &back), -2);
  /* another key */
  unsigned char pk2[32], sk2[64];
  crypto_sign_keypair(pk2, sk2);
  T_EQ_INT(anchor_parse(line, pk2, &back), -2);
  /* malformed */
  static const char *const junk[] = {"", "v1", "v2 42 00 1 00", "v1 -1 x 1 y", "v1 42 ABCD 1 00\n",
                                     "v1 42 0000000000000000000000000000000000000000000000000000000000000000 1 00"};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) T_EQ_INT(anchor_parse(junk[i], pk, &back), -1);
  strcpy(bad, line);
  strcat(bad, "x");
  T_EQ_INT(anchor_parse(bad, pk, &back), -1);
  /* upper-case hex is not the canonical form */
  strcpy(bad, line);
  char *sig = strrchr(bad, ' ') + 1;
  for (char *p = sig; *p; p++)
    if (*p >= 'a' && *p <= 'f') {
      *p = (char)(*p - 32);
      break;
    }
  T_EQ_INT(anchor_parse(bad, pk, &back), -1);
}

static void key_file(void) {
  char dir[] = "/tmp/sop-anchor-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  unsigned char p1[32], s1[64], p2[32], s2[64];
  T_EQ_INT(anchor_load_key(dir, false, p1, s1), -1); /* none yet, not asked to make one */
  T_EQ_INT(anchor_load_key(dir, true, p1, s1), 0);
  T_EQ_INT(anchor_load_key(dir, false, p2, s2), 0); /* the same key on the next start */
  T_CHECK(memcmp(p1, p2, 32) == 0);
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, ANCHOR_KEY_FILE);
  struct stat st;
  T_EQ_INT(stat(path, &st), 0);
  T_EQ_INT(st.st_mode & 0777, 0600);
  T_EQ_INT(st.st_size, 32);
  chmod(path, 0644);
  T_EQ_INT(anchor_load_key(dir, false, p2, s2), -1);
  unlink(path);
  snprintf(path, sizeof path, "%s/keys", dir);
  rmdir(path);
  rmdir(dir);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  crypto_sign_keypair(pk, sk);
  T_RUN(round_trip);
  T_RUN(tampering_is_refused);
  T_RUN(key_file);
  return t_done();
}
