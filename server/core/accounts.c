/* Accounts, the domain side: see accounts.h. */
#include "core/form.h"
#include "core/vocab.h"
#include "core/accounts.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/mfaguard.h"
#include "core/outbox.h"
#include "core/password.h"
#include "core/secrets.h"
#include "core/throttle.h"
#include "core/uasummary.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/reauth.h"
#include "store/security.h"
#include "store/tokens.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
#define PW_SLOT_WAIT_MS 10000
#define IP_THROTTLE_FACTOR 5       /* an address gets 5x the failures of one account */
#define IP_THROTTLE_FORGET 3600    /* an address's count is forgotten after an hour of quiet */
#define VERIFY_TTL (48 * 3600)
#define RESET_TTL 3600
#define INVITE_TTL (7 * 24 * 3600)
#define SEALED_TOTP_BYTES (TOTP_SECRET_BYTES + SECRETS_SEAL_OVERHEAD)
#define MAIL_PER_ACCOUNT_HOUR 3    /* reset / invitation e-mails per account per hour */
#define MAIL_PER_ADDRESS_HOUR 10   /* ... and per client address per hour */
#define STEPUP_WINDOW_S 900        /* wrong step-up credentials counted over 15 minutes ... */
#define STEPUP_FAILURES 5          /* ... this many pause step-up ... */
#define STEPUP_PAUSE_S 900         /* ... for 15 minutes */

static long long idle_center = 900, idle_patient = 1800, absolute_ttl = 12 * 3600;
static const char *clock_file;

void acct_configure(const char *base_url) {
#ifdef SECONDOP_TEST_HOOKS
  /* test builds only (meson -Dtest_hooks=true): short timeouts and a movable clock */
  const char *v = getenv("SECONDOP_TEST_IDLE_SECONDS");
  if (v && *v && atoll(v) > 0) idle_center = idle_patient = atoll(v);
  v = getenv("SECONDOP_TEST_ABSOLUTE_SECONDS");
  if (v && *v && atoll(v) > 0) absolute_ttl = atoll(v);
  v = getenv("SECONDOP_TEST_CLOCK_FILE");
  clock_file = v && *v ? v : NULL;
#endif
  outbox_set_base_url(base_url);
}

long long acct_now(void) {
  long long t = (long long)time(NULL);
  if (clock_file) {
    FILE *f = fopen(clock_file, "r");
    if (f) {
      long long off = 0;
      if (fscanf(f, "%lld", &off) == 1) t += off;
      fclose(f);
    }
  }
  return t;
}

long long acct_idle_seconds(unsigned role) { return role == ACCT_ROLE_PATIENT ? idle_patient : idle_center; }

unsigned acct_role_bit(const char *n) { return vocab_role_bit(n); }

const char *acct_role_str(unsigned role) { return vocab_role_key(role); }

int acct_email_ok(const char *e) {
  if (!e) return 0;
  size_t n = strlen(e);
  if (n < 3 || n > 254) return 0;
  const char *at = strchr(e, '@');
  if (!at || at == e || strchr(at + 1, '@') || !at[1] || !strchr(at + 1, '.')) return 0;
  for (const char *p = e; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',' || *p == ';' || *p == 0x7f)
      return 0;
  return 1;
}

/* ---- small helpers ---- */

static void add_error(struct acct_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < ACCT_MAX_ERRORS) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

/* Lower-case hex of n bytes in the arena; NULL when out of memory. */
static char *hex(struct arena *a, const unsigned char *b, size_t n) {
  char *s = arena_alloc(a, n * 2 + 1);
  if (s) sodium_bin2hex(s, n * 2 + 1, b, n);
  return s;
}

/* A new 256-bit random token as base64url text (43 chars) in out, and the
 * hex of its BLAKE2b hash in the arena (*hash_hex; NULL on no memory). */
static void token_new(struct arena *a, char out[ACCT_TOKEN_BUF], char **hash_hex) {
  unsigned char raw[32], h[32];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(out, ACCT_TOKEN_BUF, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  crypto_generichash(h, sizeof h, raw, sizeof raw, NULL, 0);
  sodium_memzero(raw, sizeof raw);
  *hash_hex = hex(a, h, sizeof h);
}

/* The hex hash of a token given by a client; NULL when it is not a 43-char
 * base64url token (or out of memory). */
static char *token_hash_hex(struct arena *a, const char *token) {
  if (!token || strlen(token) != ACCT_TOKEN_CHARS) return NULL;
  unsigned char raw[32], h[32];
  size_t len = 0;
  if (sodium_base642bin(raw, sizeof raw, token, ACCT_TOKEN_CHARS, NULL, &len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != 32)
    return NULL;
  crypto_generichash(h, sizeof h, raw, sizeof raw, NULL, 0);
  sodium_memzero(raw, sizeof raw);
  return hex(a, h, sizeof h);
}

/* Writes an audit row about a user account. Returns audit_write's answer. */
static enum err audit_user(const struct actor *who, const char *action, long long user_id, const char *outcome,
                           const char *detail) {
  char id[24];
  snprintf(id, sizeof id, "%lld", user_id);
  struct audit_event ev = {action, user_id ? "user" : NULL, user_id ? id : NULL, 0, outcome, detail};
  enum err e = audit_write(who, &ev);
  if (e != ERR_OK) LOG_W("audit row for %s could not be written", action);
  return e;
}

/* The actor acting as the given user (after a login, the actor is them). */
static struct actor as_user(const struct actor *who, long long id, unsigned role) {
  struct actor x = *who;
  x.user_id = id;
  x.role = role;
  return x;
}

static enum err tx_begin(void) { return db_simple("BEGIN"); }
/* Commits when e is ERR_OK, else rolls back; returns the final result. */
static enum err tx_end(enum err e) {
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  return e;
}

/* Hashes a normalised password under a hashing slot into out.
 * ERR_UNAVAILABLE when no slot came free. */
static enum err hash_pw(const char *norm, char out[PW_HASH_BYTES]) {
  if (pw_slot_acquire(PW_SLOT_WAIT_MS) != 0) return ERR_UNAVAILABLE;
  int rc = pw_hash(norm, PW_OPS, PW_MEM, out);
  pw_slot_release();
  return rc == 0 ? ERR_OK : ERR_INTERNAL;
}

/* Normalises and checks a new password against the policy; on a problem adds
 * the message under `field` and returns NULL. The caller pw_free()s. */
static char *new_password(const char *raw, size_t min_len, const char *email, const char *name, const char *field,
                          struct acct_errors *errs) {
  if (!raw || !*raw) {
    add_error(errs, field, "Please choose a password.");
    return NULL;
  }
  size_t len = strlen(raw);
  if (len > PW_INPUT_MAX_BYTES) {
    add_error(errs, field, pw_verdict_message_len(PW_TOO_LONG, min_len));
    return NULL;
  }
  char *n = pw_normalize(raw, len);
  if (!n) {
    add_error(errs, field, pw_verdict_message_len(PW_NOT_UTF8, min_len));
    return NULL;
  }
  enum pw_verdict v = pw_check(n, min_len, email, name);
  if (v != PW_OK) {
    add_error(errs, field, pw_verdict_message_len(v, min_len));
    pw_free(n);
    return NULL;
  }
  return n;
}

/* Minimum password length for a user: 12 with a second factor (center
 * roles must have one), 15 for password-only patients. */
static size_t min_len_for(const char *role, bool totp) {
  return (totp || strcmp(role, "patient") != 0) ? PW_MIN_LEN_WITH_MFA : PW_MIN_LEN_PASSWORD_ONLY;
}

/* Throttle key for an e-mail: keyed hash of its ASCII-lower-cased form, hex. */
static char *throttle_key(struct arena *a, const char *email) {
  size_t n = strlen(email);
  char *low = arena_strndup(a, email, n);
  if (!low) return NULL;
  for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
  unsigned char h[32];
  if (secrets_mac(SECRET_THROTTLE, low, n, h) != 0) return NULL;
  return hex(a, h, sizeof h);
}

/* Seconds still to wait for an account key and the client's address;
 * 0 when an attempt may proceed. *acct_locked / *ip_locked say which. */
static enum err throttle_wait(struct arena *a, const char *key, const char *ip, long long now, int *wait,
                              bool *acct_locked, bool *ip_locked) {
  int af = 0, ipf = 0;
  long long al = 0, il = 0;
  enum err e = st_throttle_get(a, "account", key, &af, &al);
  if (e == ERR_OK && ip && *ip) e = st_throttle_get(a, "ip", ip, &ipf, &il);
  if (e != ERR_OK) return e;
  if (ipf && now - il > IP_THROTTLE_FORGET) {
    st_throttle_reset(a, "ip", ip);
    ipf = 0;
  }
  int wa = throttle_retry_after(af, (time_t)al, (time_t)now);
  int wi = throttle_retry_after(ipf / IP_THROTTLE_FACTOR, (time_t)il, (time_t)now);
  *acct_locked = wa > 0;
  *ip_locked = wi > 0;
  *wait = wa > wi ? wa : wi;
  return ERR_OK;
}

/* Counts a failure for the account key and the address; *delay receives the
 * cool-down that now applies (the Retry-After when locked). */
static void throttle_fail(struct arena *a, const char *key, const char *ip, long long now, bool count_account,
                          bool count_ip, int *delay) {
  int af = 0, ipf = 0;
  if (count_account) st_throttle_fail(a, "account", key, now, &af);
  if (count_ip && ip && *ip) st_throttle_fail(a, "ip", ip, now, &ipf);
  int da = throttle_delay_seconds(af), di = throttle_delay_seconds(ipf / IP_THROTTLE_FACTOR);
  if (delay) *delay = da > di ? da : di;
}

/* ---- sessions ---- */

/* Makes a session row for the user and fills ns. */
static enum err session_new(struct arena *a, const struct actor *who, long long user_id, unsigned role,
                            bool mfa_passed, const char *ua, struct acct_new_session *ns) {
  char *th = NULL, *ch = NULL;
  token_new(a, ns->token, &th);
  token_new(a, ns->csrf, &ch);
  if (!th) return ERR_INTERNAL;
  long long now = acct_now();
  long long abs_exp = now + absolute_ttl, idle = now + acct_idle_seconds(role);
  if (idle > abs_exp) idle = abs_exp;
  enum err e = st_session_create(a, user_id, th, ns->csrf, now, idle, abs_exp, mfa_passed, who->ip, ua, &ns->session_id);
  /* a login that needs nothing more is itself a fresh authentication (step-up) */
  if (e == ERR_OK && mfa_passed) e = st_session_reauth_set(a, ns->session_id, now);
  return e;
}

/* New token and CSRF token for an existing session (privilege change). */
static enum err session_rotate(struct arena *a, long long session_id, bool mfa_passed, struct acct_new_session *ns) {
  char *th = NULL, *ch = NULL;
  token_new(a, ns->token, &th);
  token_new(a, ns->csrf, &ch);
  if (!th) return ERR_INTERNAL;
  ns->session_id = session_id;
  enum err e = st_session_rotate(a, session_id, th, ns->csrf, mfa_passed);
  /* rotation follows a credential just checked (second factor, password, enrolment) */
  if (e == ERR_OK && mfa_passed) e = st_session_reauth_set(a, session_id, acct_now());
  return e;
}

enum err acct_session_lookup(struct arena *a, const struct actor *who, const char *token, struct acct_session *out) {
  char *th = token_hash_hex(a, token);
  if (!th) return ERR_NOT_FOUND;
  long long now = acct_now();
  struct st_session s;
  enum err e = st_session_touch(a, th, now, idle_center, idle_patient, &s);
  if (e == ERR_NOT_FOUND) {
    /* an expired (or disabled user's) session: remove it for good */
    long long uid = 0;
    const char *role = NULL;
    int expired = 0;
    if (st_session_delete_hash(a, th, now, &uid, &role, &expired) == ERR_OK) {
      struct actor x = as_user(who, uid, acct_role_bit(role));
      audit_user(&x, expired ? "session.timeout" : "session.end", uid, "ok",
                 expired ? "{\"reason\":\"expired\"}" : "{\"reason\":\"account disabled\"}");
    }
    return ERR_NOT_FOUND;
  }
  if (e != ERR_OK) return e;
  out->id = s.id;
  out->user_id = s.user_id;
  out->role = acct_role_bit(s.user.role);
  out->name = s.user.name;
  out->email = s.user.email;
  out->time_zone = s.user.time_zone;
  out->csrf = s.csrf;
  out->mfa_enrolled = s.user.totp_enabled;
  out->mfa_passed = s.mfa_passed;
  out->idle_expires = s.idle_expires;
  return ERR_OK;
}

/* ---- sign-up and e-mail verification ---- */

/* Checks a YYYY-MM-DD date of birth: a real date between 1900 and today. */
static int dob_ok(const char *s, long long now) {
  long ymd = 0;
  if (!form_date_parse(s, &ymd)) return 0;
  time_t t = (time_t)now;
  struct tm tm;
  gmtime_r(&t, &tm);
  long today = (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
  return ymd <= today;
}

/* Checks a display name: 1-200 characters of text, no control characters. */
static int name_ok(const char *n) {
  if (!n) return 0;
  size_t len = strlen(n);
  if (len == 0 || len > 600) return 0;
  for (const char *p = n; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return 0;
  bool any = false;
  for (const char *p = n; *p; p++)
    if (*p != ' ') any = true;
  return any;
}

/* Makes a one-time token for the user and returns the link path with it. */
static enum err make_link(struct arena *a, long long user_id, const char *purpose, long long ttl, const char *path,
                          char **link) {
  char tok[ACCT_TOKEN_BUF];
  char *th = NULL;
  token_new(a, tok, &th);
  if (!th) return ERR_INTERNAL;
  long long now = acct_now();
  enum err e = st_token_create(a, user_id, purpose, th, now, now + ttl);
  if (e != ERR_OK) return e;
  char *p = arena_printf(a, "%s?token=%s", path, tok);
  *link = p ? outbox_link(a, p) : NULL;
  sodium_memzero(tok, sizeof tok);
  return *link ? ERR_OK : ERR_INTERNAL;
}

/* Sign-up: the name and e-mail as limited here, the date of birth a real
 * date not after today, the password judged by the password policy in
 * acct_signup (secret: never echoed), the browser's time zone checked
 * against the tz database there (empty: UTC). */
static const struct form_field signup_fields[] = {
    [ACCT_SIGNUP_NAME] = {.name = "name", .type = FT_TEXT, .required = true, .max = 200,
                          .missing = "Please enter your name as you would like us to address you."},
    [ACCT_SIGNUP_EMAIL] = {.name = "email", .type = FT_EMAIL, .required = true, .max = 254,
                           .missing = "Please enter a valid e-mail address, like name@example.com.", .invalid = "Please enter a valid e-mail address, like name@example.com."},
    [ACCT_SIGNUP_DOB] = {.name = "dob", .type = FT_DATE, .required = true, .not_future = true,
                         .missing = "Please enter your date of birth (year, month and day).",
                         .invalid = "Please enter your date of birth (year, month and day).",
                         .future = "Please enter your date of birth (year, month and day)."},
    [ACCT_SIGNUP_PASSWORD] = {.name = "password", .type = FT_MULTILINE, .required = true, .secret = true,
                              .missing = "Please choose a password."},
    [ACCT_SIGNUP_TZ] = {.name = "time_zone", .type = FT_TEXT, .max = 64, .spaces_only = true,
                        .invalid = "Your browser gave a time zone we do not know. Type yours, like Europe/Madrid or "
                                   "America/Los_Angeles."},
};
/* When another field is wrong the form is not handed on, yet the password's
 * fault is said in the same go: the policy judges it here too (acct_signup
 * judges it as typed once every field is right). */
static void signup_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs,
                         void *ctx) {
  (void)spec;
  (void)ctx;
  if (errs->n == 0 || form_error(errs, "password") || !v[ACCT_SIGNUP_PASSWORD].present) return;
  struct acct_errors pe = {0};
  const char *email = v[ACCT_SIGNUP_EMAIL].text;
  char *norm = new_password(v[ACCT_SIGNUP_PASSWORD].text, PW_MIN_LEN_PASSWORD_ONLY, acct_email_ok(email) ? email : NULL,
                            v[ACCT_SIGNUP_NAME].text, "password", &pe);
  pw_free(norm);
  if (pe.n) form_error_add(errs, "password", pe.e[0].message);
}
const struct form_spec acct_signup_form = {signup_fields, sizeof signup_fields / sizeof *signup_fields, signup_check};

enum err acct_signup(struct arena *a, const struct actor *who, const char *name, const char *email, const char *dob,
                     const char *password, const char *time_zone, struct acct_errors *errs) {
  long long now = acct_now();
  /* the browser's zone (static/js/timezone.js); without script the account starts in UTC */
  if (!time_zone || !*time_zone) time_zone = TZ_DEFAULT;
  if (!tz_name_ok(time_zone))
    add_error(errs, "time_zone",
              "Your browser gave a time zone we do not know. Type yours, like Europe/Madrid or America/Los_Angeles.");
  if (!name_ok(name)) add_error(errs, "name", "Please enter your name as you would like us to address you.");
  if (!acct_email_ok(email)) add_error(errs, "email", "Please enter a valid e-mail address, like name@example.com.");
  if (!dob_ok(dob, now)) add_error(errs, "dob", "Please enter your date of birth (year, month and day).");
  char *norm = new_password(password, PW_MIN_LEN_PASSWORD_ONLY, acct_email_ok(email) ? email : NULL, name,
                            "password", errs);
  if (errs->n) {
    pw_free(norm);
    return ERR_INVALID;
  }
  char hash[PW_HASH_BYTES];
  /* hashed whether or not the address is taken, so both cost the same time */
  enum err e = hash_pw(norm, hash);
  pw_free(norm);
  if (e != ERR_OK) return e;
  struct st_user existing;
  e = st_user_by_email(a, email, &existing);
  if (e == ERR_OK) {
    /* taken: tell the owner, answer as for a new account */
    char *link = outbox_link(a, "/forgot-password");
    long long for_user = 0, from_ip = 0;
    e = st_outbox_recent(a, "signup_existing", existing.id, who->ip, &for_user, &from_ip);
    if (e == ERR_OK && (for_user >= MAIL_PER_ACCOUNT_HOUR || from_ip >= MAIL_PER_ADDRESS_HOUR)) {
      audit_user(who, "account.signup_existing", existing.id, "denied", "{\"reason\":\"rate limit\"}");
      sodium_memzero(hash, sizeof hash);
      return ERR_OK;
    }
    if (e == ERR_OK)
    e = outbox_enqueue_kind(a, existing.email, "Someone tried to sign up with your e-mail address",
                       arena_printf(a,
                                    "Hello,\n\nSomeone (perhaps you) tried to create a secondop account with this "
                                    "e-mail address, which already has an account.\n\nIf it was you, log in, or "
                                    "choose a new password here: %s\n\nIf it was not you, you can ignore this "
                                    "message.\n",
                                    link ? link : ""),
                       "signup_existing", existing.id, who->ip);
    audit_user(who, "account.signup_existing", existing.id, "denied", NULL);
    sodium_memzero(hash, sizeof hash);
    return e;
  }
  if (e != ERR_NOT_FOUND) return e;
  long long id = 0;
  char *link = NULL;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_create(a, "patient", name, email, dob, hash, false, now, &id);
  if (e == ERR_OK) e = st_user_set_time_zone(a, id, time_zone);
  if (e == ERR_OK) e = make_link(a, id, "verify_email", VERIFY_TTL, "/verify-email", &link);
  if (e == ERR_OK)
    e = outbox_enqueue_kind(a, email, "Please confirm your e-mail address",
                       arena_printf(a,
                                    "Hello,\n\nWelcome to secondop. Please confirm your e-mail address by opening "
                                    "this link (it works once, for 48 hours):\n\n%s\n\nIf you did not sign up, "
                                    "you can ignore this message.\n",
                                    link),
                            "verify_email", id, who->ip);
  if (e == ERR_OK) {
    struct actor x = as_user(who, id, ACCT_ROLE_PATIENT);
    e = audit_user(&x, "account.create", id, "ok", "{\"role\":\"patient\",\"via\":\"signup\"}");
  }
  sodium_memzero(hash, sizeof hash);
  e = tx_end(e);
  /* a concurrent sign-up with the same address: same answer as "taken" */
  return e == ERR_CONFLICT ? ERR_OK : e;
}

void acct_token_new(struct arena *a, char out[ACCT_TOKEN_BUF], char **hash_hex) { token_new(a, out, hash_hex); }

char *acct_token_hash_hex(struct arena *a, const char *token) { return token_hash_hex(a, token); }

enum err acct_create_from_link(struct arena *a, const struct actor *who, const char *name, const char *email,
                               const char *password, const char *time_zone, const char *via,
                               struct acct_errors *errs, long long *user_id) {
  long long now = acct_now();
  if (!time_zone || !*time_zone) time_zone = TZ_DEFAULT;
  if (!tz_name_ok(time_zone))
    add_error(errs, "time_zone",
              "Your browser gave a time zone we do not know. Type yours, like Europe/Madrid or America/Los_Angeles.");
  if (!name_ok(name)) add_error(errs, "name", "Please enter your name as you would like us to address you.");
  if (!acct_email_ok(email)) return ERR_INVALID;
  char *norm = new_password(password, PW_MIN_LEN_PASSWORD_ONLY, email, name, "password", errs);
  if (errs->n) {
    pw_free(norm);
    return ERR_INVALID;
  }
  char hash[PW_HASH_BYTES];
  enum err e = hash_pw(norm, hash);
  pw_free(norm);
  if (e != ERR_OK) return e;
  long long id = 0;
  e = tx_begin();
  if (e == ERR_OK) {
    e = st_user_create(a, "patient", name, email, NULL, hash, true, now, &id);
    if (e == ERR_OK) e = st_user_set_time_zone(a, id, time_zone);
    if (e == ERR_OK) {
      struct actor x = as_user(who, id, ACCT_ROLE_PATIENT);
      e = audit_user(&x, "account.create", id, "ok",
                     arena_printf(a, "{\"role\":\"patient\",\"via\":\"%s\"}", via ? via : "link"));
    }
    e = tx_end(e);
  }
  sodium_memzero(hash, sizeof hash);
  if (e == ERR_OK) *user_id = id;
  return e;
}

enum err acct_token_check(struct arena *a, const char *token, const char **purpose, long long *user_id) {
  char *th = token_hash_hex(a, token);
  if (!th) return ERR_NOT_FOUND;
  static const char *const purposes[] = {"verify_email", "password_reset", "invitation"};
  long long now = acct_now();
  for (size_t i = 0; i < 3; i++) {
    enum err e = st_token_peek(a, purposes[i], th, now, user_id);
    if (e == ERR_OK) {
      *purpose = purposes[i];
      return ERR_OK;
    }
    if (e != ERR_NOT_FOUND) return e;
  }
  return ERR_NOT_FOUND;
}

/* The confirmation button: the link's token, posted back hidden. */
static const struct form_field verify_fields[] = {
    {.name = "token", .type = FT_TEXT, .required = true, .max = 200, .secret = true},
};
const struct form_spec acct_verify_form = {verify_fields, 1, NULL};

enum err acct_verify_email(struct arena *a, const struct actor *who, const char *token) {
  char *th = token_hash_hex(a, token);
  if (!th) return ERR_NOT_FOUND;
  long long now = acct_now(), uid = 0;
  enum err e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_token_use(a, "verify_email", th, now, &uid);
  if (e == ERR_OK) e = st_user_set_verified(a, uid, now);
  if (e == ERR_OK) {
    struct actor x = as_user(who, uid, ACCT_ROLE_PATIENT);
    e = audit_user(&x, "account.email_verified", uid, "ok", NULL);
  }
  return tx_end(e);
}

/* ---- login ---- */

/* Log in: any text as the e-mail (a wrong one is only "not right", so the
 * answer tells nothing about accounts), the password secret. */
static const struct form_field login_fields[] = {
    [ACCT_LOGIN_EMAIL] = {.name = "email", .type = FT_TEXT, .required = true, .max = 254,
                          .missing = "Please enter your e-mail address."},
    [ACCT_LOGIN_PASSWORD] = {.name = "password", .type = FT_MULTILINE, .required = true, .secret = true,
                             .missing = "Please enter your password."},
};
const struct form_spec acct_login_form = {login_fields, 2, NULL};

enum err acct_login(struct arena *a, const struct actor *who, const char *email, const char *password,
                    const char *old_token, const char *user_agent, struct acct_login_result *res) {
  memset(res, 0, sizeof *res);
  res->outcome = LOGIN_FAILED;
  long long now = acct_now();
  if (!email) email = "";
  if (!password) password = "";
  if (strlen(email) > 254) email = "";
  char *key = throttle_key(a, email);
  if (!key) return ERR_INTERNAL;
  int wait = 0;
  bool al = false, il = false;
  enum err e = throttle_wait(a, key, who->ip, now, &wait, &al, &il);
  if (e != ERR_OK) return e;
  struct st_user u;
  e = st_user_by_email(a, email, &u);
  bool found = e == ERR_OK;
  if (e != ERR_OK && e != ERR_NOT_FOUND) return e;
  if (wait > 0) {
    /* cool-down: the password is not checked, and the attempt counts */
    int delay = 0;
    throttle_fail(a, key, who->ip, now, al, il, &delay);
    res->outcome = LOGIN_THROTTLED;
    res->retry_after = delay > wait ? delay : wait;
    audit_user(who, "login.throttled", found ? u.id : 0, "denied", al ? "{\"limit\":\"account\"}" : "{\"limit\":\"address\"}");
    return ERR_OK;
  }
  const char *stored = found && u.password_hash[0] ? u.password_hash : pw_dummy_hash(PW_OPS, PW_MEM);
  if (!stored) return ERR_INTERNAL;
  size_t plen = strlen(password);
  char *norm = plen <= PW_INPUT_MAX_BYTES ? pw_normalize(password, plen) : NULL;
  if (pw_slot_acquire(PW_SLOT_WAIT_MS) != 0) {
    pw_free(norm);
    return ERR_UNAVAILABLE;
  }
  int rehash = 0;
  int rc = pw_verify(stored, norm ? norm : "", PW_OPS, PW_MEM, &rehash);
  pw_slot_release();
  bool ok = rc == 0 && norm && found && u.password_hash[0] && u.active;
  if (!ok) {
    pw_free(norm);
    throttle_fail(a, key, who->ip, now, true, true, NULL);
    const char *why = !found ? "{\"reason\":\"unknown e-mail\"}"
                      : !u.active ? "{\"reason\":\"account disabled\"}"
                      : !u.password_hash[0] ? "{\"reason\":\"no password set\"}"
                                            : "{\"reason\":\"wrong password\"}";
    audit_user(who, "login.failure", found ? u.id : 0, "failed", why);
    return ERR_OK;
  }
  unsigned role = acct_role_bit(u.role);
  struct actor x = as_user(who, u.id, role);
  if (!u.email_verified) {
    pw_free(norm);
    res->outcome = LOGIN_UNVERIFIED;
    audit_user(&x, "login.failure", u.id, "failed", "{\"reason\":\"e-mail not verified\"}");
    return ERR_OK;
  }
  st_throttle_reset(a, "account", key);
  if (rehash) {
    char h[PW_HASH_BYTES];
    if (hash_pw(norm, h) == ERR_OK) st_user_set_password(a, u.id, h, now);
    sodium_memzero(h, sizeof h);
  }
  pw_free(norm);
  res->user_id = u.id;
  res->role = role;
  res->mfa_enrolled = u.totp_enabled;
  res->mfa_needed = u.totp_enabled || (role & ACCT_ROLE_CENTER);
  /* a new session for a new login: any session the browser had ends */
  if (old_token) {
    char *oh = token_hash_hex(a, old_token);
    long long ouid = 0;
    const char *orole = NULL;
    int oexp = 0;
    if (oh) st_session_delete_hash(a, oh, now, &ouid, &orole, &oexp);
  }
  e = session_new(a, who, u.id, role, !res->mfa_needed, user_agent, &res->s);
  if (e != ERR_OK) return e;
  res->outcome = LOGIN_OK;
  audit_user(&x, res->mfa_needed ? "login.password_ok" : "login.success", u.id, "ok",
             res->mfa_needed ? "{\"next\":\"second factor\"}" : NULL);
  return ERR_OK;
}

/* Opens the user's sealed TOTP secret into out. 0 or -1. */
static int open_totp(struct arena *a, const struct st_user *u, unsigned char out[TOTP_SECRET_BYTES]) {
  size_t hl = strlen(u->totp_secret_hex);
  if (hl != SEALED_TOTP_BYTES * 2) return -1;
  unsigned char sealed[SEALED_TOTP_BYTES];
  size_t bl = 0;
  if (sodium_hex2bin(sealed, sizeof sealed, u->totp_secret_hex, hl, NULL, &bl, NULL) != 0 || bl != sizeof sealed)
    return -1;
  char ad[32];
  int n = snprintf(ad, sizeof ad, "user:%lld", u->id);
  (void)a;
  return secrets_open(SECRET_TOTP_SEAL, sealed, sizeof sealed, (const unsigned char *)ad, (size_t)n, out);
}

/* Seals a TOTP secret for the user into hex text in the arena; NULL on failure. */
static char *seal_totp(struct arena *a, long long user_id, const unsigned char secret[TOTP_SECRET_BYTES]) {
  unsigned char sealed[SEALED_TOTP_BYTES];
  char ad[32];
  int n = snprintf(ad, sizeof ad, "user:%lld", user_id);
  if (secrets_seal(SECRET_TOTP_SEAL, secret, TOTP_SECRET_BYTES, (const unsigned char *)ad, (size_t)n, sealed) != 0)
    return NULL;
  return hex(a, sealed, sizeof sealed);
}

/* 1 when code looks like a recovery code (has a letter), 0 for digits. */
static int looks_like_recovery(const char *code) {
  for (const char *p = code; *p; p++)
    if (isalpha((unsigned char)*p)) return 1;
  return 0;
}

/* Checks a TOTP code for the user and, when right, records its step (once).
 * ERR_OK, ERR_INVALID (wrong or replayed) or a DB error. */
static enum err check_totp(struct arena *a, const struct st_user *u, const char *code) {
  unsigned char secret[TOTP_SECRET_BYTES];
  if (open_totp(a, u, secret) != 0) {
    LOG_E("the TOTP secret of user %lld cannot be opened (wrong app key?)", u->id);
    return ERR_INTERNAL;
  }
  long long step = totp_check(secret, sizeof secret, code, time(NULL), u->totp_last_step);
  sodium_memzero(secret, sizeof secret);
  if (step < 0) return ERR_INVALID;
  enum err e = st_user_advance_step(a, u->id, step);
  return e == ERR_CONFLICT ? ERR_INVALID : e;
}

/* Checks a recovery code and marks it used. ERR_OK or ERR_INVALID. */
static enum err use_recovery(struct arena *a, const struct st_user *u, const char *code) {
  long long *ids = NULL;
  const char **hx = NULL;
  size_t n = 0;
  enum err e = st_recovery_list(a, u->id, &ids, &hx, &n);
  if (e != ERR_OK) return e;
  if (n == 0) return ERR_INVALID;
  unsigned char(*hashes)[TOTP_RECOVERY_HASH_BYTES] = arena_alloc(a, n * TOTP_RECOVERY_HASH_BYTES);
  if (!hashes) return ERR_INTERNAL;
  for (size_t i = 0; i < n; i++) {
    size_t bl = 0;
    if (sodium_hex2bin(hashes[i], TOTP_RECOVERY_HASH_BYTES, hx[i], strlen(hx[i]), NULL, &bl, NULL) != 0) return ERR_INTERNAL;
  }
  unsigned char key[SECRETS_KEY_BYTES];
  if (secrets_subkey(SECRET_RECOVERY, key) != 0) return ERR_INTERNAL;
  long idx = totp_recovery_find(code, key, (const unsigned char(*)[TOTP_RECOVERY_HASH_BYTES])hashes, n);
  sodium_memzero(key, sizeof key);
  if (idx < 0) return ERR_INVALID;
  e = st_recovery_use(a, ids[idx], acct_now());
  return e == ERR_NOT_FOUND ? ERR_INVALID : e;
}

/* Makes fresh recovery codes and stores their hashes (replacing old ones). */
static enum err new_recovery_codes(struct arena *a, long long user_id, char (*codes)[TOTP_RECOVERY_BUF]) {
  if (totp_recovery_codes(ACCT_RECOVERY_COUNT, codes) != 0) return ERR_INTERNAL;
  unsigned char key[SECRETS_KEY_BYTES];
  if (secrets_subkey(SECRET_RECOVERY, key) != 0) return ERR_INTERNAL;
  const char *hx[ACCT_RECOVERY_COUNT];
  enum err e = ERR_OK;
  for (size_t i = 0; i < ACCT_RECOVERY_COUNT && e == ERR_OK; i++) {
    unsigned char h[TOTP_RECOVERY_HASH_BYTES];
    if (totp_recovery_hash(codes[i], key, h) != 0 || !(hx[i] = hex(a, h, sizeof h))) e = ERR_INTERNAL;
  }
  sodium_memzero(key, sizeof key);
  if (e == ERR_OK) e = st_recovery_replace(a, user_id, hx, ACCT_RECOVERY_COUNT);
  return e;
}

/* The session's user, from the actor (routes pass the session's actor). */
static enum err actor_user(struct arena *a, const struct actor *who, struct st_user *u) {
  if (!who->user_id) return ERR_UNAUTHENTICATED;
  return st_user_by_id(a, who->user_id, u);
}

/* ---- second-factor throttling (core/mfaguard.h) ---- */

/* Reserves one second-factor guess for the user: the guess is counted before
 * its code is checked, in one transaction with the row locked, so parallel
 * requests cannot pass the bound. ERR_OK (*count: the count with this guess),
 * ERR_TOO_MANY with *retry in seconds, or -1 when the factor is locked. */
static enum err mfa_reserve(struct arena *a, long long user_id, int *count, int *retry) {
  long long now = acct_now(), last = 0;
  int f = 0, w = 0;
  bool locked = false;
  enum err e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_mfa_lock_row(a, user_id, &f, &last, &locked);
  if (e == ERR_OK) {
    w = locked ? -1 : mfa_retry_after(f, (time_t)last, (time_t)now);
    if (w == 0) e = st_mfa_count(a, user_id, now, count);
  }
  e = tx_end(e);
  if (e != ERR_OK) return e;
  if (w != 0) {
    *retry = w;
    return ERR_TOO_MANY;
  }
  return ERR_OK;
}

/* After a wrong code that brought the count to `count`: at the bound, locks
 * the factor, e-mails the holder (no health data) and audits, once. */
static void mfa_wrong(struct arena *a, const struct actor *who, const struct st_user *u, int count) {
  if (!mfa_locked(count)) return;
  if (tx_begin() != ERR_OK) return;
  enum err e = st_mfa_set_locked(a, u->id, acct_now(), MFA_LOCK_AFTER);
  if (e == ERR_OK) {
    char *link = outbox_link(a, "/forgot-password");
    e = outbox_enqueue_kind(
        a, u->email, "Two-step login for your secondop account is locked",
        arena_printf(a,
                     "Hello,\n\nSomeone entered %d wrong two-step login codes for your secondop account, so two-step "
                     "login is locked for now and nobody can log in to the account.\n\nIf this was not you, someone "
                     "may know your password: please choose a new one here: %s\n\nTo unlock two-step login, contact "
                     "the breast center: an administrator can lift the lock.\n",
                     count, link ? link : ""),
        "mfa_locked", u->id, "");
    if (e == ERR_OK) e = audit_user(who, "2fa.locked", u->id, "denied", arena_printf(a, "{\"wrong_codes\":%d}", count));
  } else if (e == ERR_NOT_FOUND) {
    e = ERR_OK; /* locked already: one e-mail is enough */
  }
  if (tx_end(e) != ERR_OK) LOG_E("the second-factor lock of user %lld could not be recorded", u->id);
}

/* Checks a TOTP or recovery code behind the per-account counter. ERR_OK (the
 * counter is reset), ERR_INVALID (wrong, counted), ERR_TOO_MANY (*retry, -1
 * locked; no code checked). *recovery says which kind was tried. */
static enum err mfa_guarded_check(struct arena *a, const struct actor *who, const struct st_user *u, const char *code,
                                  int *retry, bool *recovery) {
  int count = 0;
  enum err e = mfa_reserve(a, u->id, &count, retry);
  if (e != ERR_OK) return e;
  if (!code || strlen(code) > 64) code = "";
  *recovery = looks_like_recovery(code);
  e = *recovery ? use_recovery(a, u, code) : check_totp(a, u, code);
  if (e == ERR_INVALID) {
    mfa_wrong(a, who, u, count);
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  return st_mfa_reset(a, u->id, NULL);
}

/* The second factor at log in: a 6-digit code or a recovery code, secret. */
static const struct form_field login_mfa_fields[] = {
    {.name = "code", .type = FT_TEXT, .required = true, .max = 64, .secret = true,
     .missing = "Please enter the 6-digit code your app shows now, or one of your recovery codes.",
     .invalid = "That code is not right, or was used already. Enter the 6-digit code your app shows now, or one of "
                "your recovery codes."},
};
const struct form_spec acct_login_mfa_form = {login_mfa_fields, 1, NULL};

enum err acct_login_mfa(struct arena *a, const struct actor *who, long long session_id, const char *code,
                        struct acct_new_session *ns, int *retry_after) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  if (!u.totp_enabled) return ERR_CONFLICT;
  long long now = acct_now();
  char *key = throttle_key(a, u.email);
  if (!key) return ERR_INTERNAL;
  /* the address limit still applies; the account's guesses are counted by
   * mfa_failures, which the password step does not reset */
  int wait = 0;
  bool al = false, il = false;
  e = throttle_wait(a, key, who->ip, now, &wait, &al, &il);
  if (e != ERR_OK) return e;
  if (il) {
    int delay = 0;
    throttle_fail(a, key, who->ip, now, false, true, &delay);
    *retry_after = delay > wait ? delay : wait;
    audit_user(who, "login.throttled", u.id, "denied", "{\"step\":\"second factor\",\"limit\":\"address\"}");
    return ERR_TOO_MANY;
  }
  bool recovery = false;
  e = mfa_guarded_check(a, who, &u, code, retry_after, &recovery);
  if (e == ERR_TOO_MANY) {
    audit_user(who, "login.throttled", u.id, "denied",
               *retry_after < 0 ? "{\"step\":\"second factor\",\"limit\":\"locked\"}"
                                : "{\"step\":\"second factor\",\"limit\":\"account\"}");
    return ERR_TOO_MANY;
  }
  if (e == ERR_INVALID) {
    throttle_fail(a, key, who->ip, now, false, true, NULL);
    audit_user(who, "login.2fa_failure", u.id, "failed", recovery ? "{\"factor\":\"recovery code\"}" : "{\"factor\":\"totp\"}");
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  st_throttle_reset(a, "account", key);
  e = session_rotate(a, session_id, true, ns);
  if (e != ERR_OK) return e;
  audit_user(who, "login.success", u.id, "ok", recovery ? "{\"factor\":\"recovery code\"}" : "{\"factor\":\"totp\"}");
  if (recovery) audit_user(who, "2fa.recovery_used", u.id, "ok", NULL);
  return ERR_OK;
}

enum err acct_logout(struct arena *a, const struct actor *who, long long session_id) {
  enum err e = st_session_delete(a, session_id);
  if (e == ERR_NOT_FOUND) e = ERR_OK;
  if (e == ERR_OK) audit_user(who, "logout", who->user_id, "ok", NULL);
  return e;
}

/* ---- passwords ---- */

/* Verifies a password against a user's hash under a slot. ERR_OK, ERR_INVALID, ERR_UNAVAILABLE. */
static enum err verify_pw(const struct st_user *u, const char *raw) {
  size_t n = raw ? strlen(raw) : 0;
  char *norm = raw && n <= PW_INPUT_MAX_BYTES ? pw_normalize(raw, n) : NULL;
  const char *stored = u->password_hash[0] ? u->password_hash : pw_dummy_hash(PW_OPS, PW_MEM);
  if (!stored) {
    pw_free(norm);
    return ERR_INTERNAL;
  }
  if (pw_slot_acquire(PW_SLOT_WAIT_MS) != 0) {
    pw_free(norm);
    return ERR_UNAVAILABLE;
  }
  int rc = pw_verify(stored, norm ? norm : "", PW_OPS, PW_MEM, NULL);
  pw_slot_release();
  bool ok = rc == 0 && norm && u->password_hash[0];
  pw_free(norm);
  return ok ? ERR_OK : ERR_INVALID;
}

/* "This happened on Tuesday 1 December 2026 at 05:05 PST." — now, in the
 * account's own time zone, for the e-mails that tell of a security change. */
static const char *happened_now(struct arena *a, const char *zone) {
  char when[96];
  tz_format(when, sizeof when, (int64_t)time(NULL), zone && *zone ? zone : TZ_DEFAULT, TZ_LONG);
  return arena_printf(a, "This happened on %s.", when);
}

/* Tells the user by e-mail that their password changed (no details). */
static enum err notify_password_changed(struct arena *a, const struct st_user *u) {
  char *link = outbox_link(a, "/forgot-password");
  return outbox_enqueue(a, u->email, "Your secondop password was changed",
                        arena_printf(a,
                                     "Hello,\n\nThe password of your secondop account was just changed, and every "
                                     "other session was logged out. %s\n\nIf you did not do this, choose a new "
                                     "password now: %s\nand tell the breast center.\n",
                                     happened_now(a, u->time_zone), link ? link : ""));
}

/* Change password: the current one and the new one, both secret; the new
 * one is judged by the password policy in acct_password_change. */
static const struct form_field password_fields[] = {
    [ACCT_PASSWORD_CURRENT] = {.name = "current", .type = FT_MULTILINE, .required = true, .secret = true,
                               .missing = "Please enter your current password."},
    [ACCT_PASSWORD_NEW] = {.name = "password", .type = FT_MULTILINE, .required = true, .secret = true,
                           .missing = "Please choose a password."},
};
const struct form_spec acct_password_form = {password_fields, 2, NULL};

enum err acct_password_change(struct arena *a, const struct actor *who, long long session_id, const char *current,
                              const char *new_password_raw, struct acct_errors *errs, struct acct_new_session *ns) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  e = verify_pw(&u, current);
  if (e == ERR_INVALID) {
    add_error(errs, "current", "That is not your current password.");
    audit_user(who, "password.change", u.id, "failed", "{\"reason\":\"wrong current password\"}");
  } else if (e != ERR_OK) {
    return e;
  }
  char *norm = new_password(new_password_raw, min_len_for(u.role, u.totp_enabled), u.email, u.name, "password", errs);
  if (errs->n) {
    pw_free(norm);
    return ERR_INVALID;
  }
  char hash[PW_HASH_BYTES];
  e = hash_pw(norm, hash);
  pw_free(norm);
  if (e != ERR_OK) return e;
  long long now = acct_now(), ended = 0;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_set_password(a, u.id, hash, now);
  if (e == ERR_OK) e = st_sessions_delete_user(a, u.id, session_id, &ended);
  if (e == ERR_OK) e = session_rotate(a, session_id, true, ns);
  if (e == ERR_OK) e = st_tokens_retire(a, u.id, "password_reset", now);
  if (e == ERR_OK) e = st_tokens_retire(a, u.id, "invitation", now);
  if (e == ERR_OK) e = notify_password_changed(a, &u);
  if (e == ERR_OK)
    e = audit_user(who, "password.change", u.id, "ok", arena_printf(a, "{\"other_sessions_ended\":%lld}", ended));
  sodium_memzero(hash, sizeof hash);
  return tx_end(e);
}

/* Forgot password: an e-mail address (the answer is the same whether an
 * account uses it or not). */
static const struct form_field forgot_fields[] = {
    {.name = "email", .type = FT_EMAIL, .required = true, .max = 254, .missing = "Please enter a valid e-mail address, like name@example.com.", .invalid = "Please enter a valid e-mail address, like name@example.com."},
};
const struct form_spec acct_forgot_form = {forgot_fields, 1, NULL};

enum err acct_password_forgot(struct arena *a, const struct actor *who, const char *email, struct acct_errors *errs) {
  if (!acct_email_ok(email)) {
    add_error(errs, "email", "Please enter a valid e-mail address, like name@example.com.");
    return ERR_INVALID;
  }
  struct st_user u;
  enum err e = st_user_by_email(a, email, &u);
  if (e == ERR_NOT_FOUND) {
    audit_user(who, "password.reset_request", 0, "failed", "{\"reason\":\"unknown e-mail\"}");
    return ERR_OK;
  }
  if (e != ERR_OK) return e;
  if (!u.active) {
    audit_user(who, "password.reset_request", u.id, "denied", "{\"reason\":\"account disabled\"}");
    return ERR_OK;
  }
  /* at most 3 reset e-mails per account and 10 per client address an hour;
   * the answer stays the same, so it tells nothing about the account */
  long long for_user = 0, from_ip = 0;
  e = st_outbox_recent(a, "password_reset", u.id, who->ip, &for_user, &from_ip);
  if (e != ERR_OK) return e;
  if (for_user >= MAIL_PER_ACCOUNT_HOUR || from_ip >= MAIL_PER_ADDRESS_HOUR) {
    audit_user(who, "password.reset_request", u.id, "denied",
               for_user >= MAIL_PER_ACCOUNT_HOUR ? "{\"reason\":\"rate limit\",\"limit\":\"account\"}"
                                                 : "{\"reason\":\"rate limit\",\"limit\":\"address\"}");
    return ERR_OK;
  }
  char *link = NULL;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = make_link(a, u.id, "password_reset", RESET_TTL, "/reset-password", &link);
  if (e == ERR_OK)
    e = outbox_enqueue_kind(a, u.email, "Choose a new secondop password",
                       arena_printf(a,
                                    "Hello,\n\nSomeone (we hope you) asked to choose a new password for this "
                                    "secondop account. Open this link within 60 minutes to do so (it works once):"
                                    "\n\n%s\n\nIf you did not ask, ignore this message: your password stays as it "
                                    "is.\n",
                                    link),
                            "password_reset", u.id, who->ip);
  if (e == ERR_OK) e = audit_user(who, "password.reset_request", u.id, "ok", NULL);
  return tx_end(e);
}

/* Reset password (or accept an invitation): the link's token (hidden) and
 * the new password (secret), judged by the policy in acct_password_reset. */
static const struct form_field reset_fields[] = {
    [ACCT_RESET_TOKEN] = {.name = "token", .type = FT_TEXT, .required = true, .max = 200, .secret = true},
    [ACCT_RESET_PASSWORD] = {.name = "password", .type = FT_MULTILINE, .required = true, .secret = true,
                             .missing = "Please choose a password."},
};
const struct form_spec acct_reset_form = {reset_fields, 2, NULL};

enum err acct_password_reset(struct arena *a, const struct actor *who, const char *token, const char *new_pw,
                             struct acct_errors *errs) {
  const char *purpose = NULL;
  long long uid = 0;
  enum err e = acct_token_check(a, token, &purpose, &uid);
  if (e != ERR_OK) return e;
  if (strcmp(purpose, "verify_email") == 0) return ERR_NOT_FOUND;
  struct st_user u;
  e = st_user_by_id(a, uid, &u);
  if (e != ERR_OK) return e;
  if (!u.active) return ERR_NOT_FOUND;
  char *norm = new_password(new_pw, min_len_for(u.role, u.totp_enabled), u.email, u.name, "password", errs);
  if (errs->n) {
    pw_free(norm);
    return ERR_INVALID;
  }
  char hash[PW_HASH_BYTES];
  e = hash_pw(norm, hash);
  pw_free(norm);
  if (e != ERR_OK) return e;
  long long now = acct_now(), used_by = 0, ended = 0;
  struct actor x = as_user(who, u.id, acct_role_bit(u.role));
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_token_use(a, purpose, token_hash_hex(a, token), now, &used_by);
  if (e == ERR_OK && used_by != u.id) e = ERR_NOT_FOUND;
  if (e == ERR_OK) e = st_user_set_password(a, u.id, hash, now);
  if (e == ERR_OK) e = st_user_set_verified(a, u.id, now); /* the link proved the address */
  if (e == ERR_OK) e = st_sessions_delete_user(a, u.id, 0, &ended);
  /* every other outstanding link retires with this one (finding 5) */
  if (e == ERR_OK) e = st_tokens_retire(a, u.id, "password_reset", now);
  if (e == ERR_OK) e = st_tokens_retire(a, u.id, "invitation", now);
  if (e == ERR_OK && strcmp(purpose, "password_reset") == 0) e = notify_password_changed(a, &u);
  if (e == ERR_OK)
    e = audit_user(&x, strcmp(purpose, "invitation") == 0 ? "account.invitation_accepted" : "password.reset", u.id,
                   "ok", arena_printf(a, "{\"sessions_ended\":%lld}", ended));
  sodium_memzero(hash, sizeof hash);
  return tx_end(e);
}

enum err acct_overview(struct arena *a, long long user_id, struct acct_overview *out) {
  struct st_user u;
  enum err e = st_user_by_id(a, user_id, &u);
  if (e != ERR_OK) return e;
  out->name = u.name;
  out->email = u.email;
  out->role = u.role;
  out->dob = u.dob;
  out->created_at = u.created_at;
  out->email_verified = u.email_verified;
  out->totp_enabled = u.totp_enabled;
  long long *ids = NULL;
  const char **hx = NULL;
  out->recovery_left = 0;
  e = st_recovery_list(a, user_id, &ids, &hx, &out->recovery_left);
  if (e == ERR_OK) e = st_sessions_count(a, user_id, &out->sessions);
  return e;
}

/* ---- TOTP enrolment ---- */

enum err acct_totp_begin(struct arena *a, const struct actor *who, char **base32, char **uri) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  if (u.totp_enabled) return ERR_CONFLICT;
  unsigned char secret[TOTP_SECRET_BYTES];
  if (!u.totp_secret_hex[0] || open_totp(a, &u, secret) != 0) {
    totp_secret_new(secret);
    char *sealed = seal_totp(a, u.id, secret);
    e = sealed ? st_user_set_totp(a, u.id, sealed, false, -1, acct_now()) : ERR_INTERNAL;
    if (e != ERR_OK) {
      sodium_memzero(secret, sizeof secret);
      return e;
    }
  }
  *base32 = arena_alloc(a, TOTP_BASE32_MAX);
  *uri = arena_alloc(a, 512);
  int ok = *base32 && *uri && totp_base32(secret, sizeof secret, *base32, TOTP_BASE32_MAX) > 0 &&
           totp_uri(secret, sizeof secret, "secondop", u.email, *uri, 512) > 0;
  sodium_memzero(secret, sizeof secret);
  return ok ? ERR_OK : ERR_INTERNAL;
}

/* Two-step login on the account: which button (enable, regenerate,
 * disable) and the code from the app, secret. */
static const struct form_word totp_actions[] = {
    {"enable", "Turn on two-step login"}, {"regenerate", "Make new recovery codes"}, {"disable", "Turn it off"}};
static const struct form_field totp_fields[] = {
    [ACCT_TOTP_ACTION] = {.name = "action", .type = FT_ENUM, .required = true, .vocab = totp_actions, .n_vocab = 3},
    [ACCT_TOTP_CODE] = {.name = "code", .type = FT_TEXT, .required = true, .max = 64, .secret = true,
                        .missing = "Please enter the 6-digit code your app shows now.",
                        .invalid = "That code is not right. Enter the 6-digit code your app shows now."},
};
const struct form_spec acct_totp_form = {totp_fields, 2, NULL};

enum err acct_totp_enable(struct arena *a, const struct actor *who, long long session_id, const char *code,
                          char (*codes)[TOTP_RECOVERY_BUF], struct acct_new_session *ns) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  if (u.totp_enabled || !u.totp_secret_hex[0]) return ERR_CONFLICT;
  unsigned char secret[TOTP_SECRET_BYTES];
  if (open_totp(a, &u, secret) != 0) return ERR_CONFLICT;
  long long step = totp_check(secret, sizeof secret, code ? code : "", time(NULL), -1);
  sodium_memzero(secret, sizeof secret);
  if (step < 0) {
    audit_user(who, "2fa.enable", u.id, "failed", "{\"reason\":\"wrong code\"}");
    return ERR_INVALID;
  }
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_set_totp(a, u.id, u.totp_secret_hex, true, step, acct_now());
  if (e == ERR_OK) e = new_recovery_codes(a, u.id, codes);
  if (e == ERR_OK) e = session_rotate(a, session_id, true, ns);
  if (e == ERR_OK)
    e = outbox_enqueue(a, u.email, "Two-step login is now on for your secondop account",
                       arena_printf(a,
                                    "Hello,\n\nTwo-step login (an authenticator app code) was just turned on for your "
                                    "secondop account. %s\n\nIf you did not do this, contact the breast center at once.\n",
                                    happened_now(a, u.time_zone)));
  if (e == ERR_OK) e = audit_user(who, "2fa.enable", u.id, "ok", NULL);
  return tx_end(e);
}

enum err acct_recovery_regenerate(struct arena *a, const struct actor *who, const char *code,
                                  char (*codes)[TOTP_RECOVERY_BUF]) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  if (!u.totp_enabled) return ERR_CONFLICT;
  int retry = 0;
  bool recovery = false;
  e = mfa_guarded_check(a, who, &u, code, &retry, &recovery);
  if (e != ERR_OK) {
    if (e == ERR_INVALID) audit_user(who, "2fa.recovery_regenerate", u.id, "failed", "{\"reason\":\"wrong code\"}");
    return e;
  }
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = new_recovery_codes(a, u.id, codes);
  if (e == ERR_OK) e = audit_user(who, "2fa.recovery_regenerate", u.id, "ok", NULL);
  return tx_end(e);
}

enum err acct_totp_disable(struct arena *a, const struct actor *who, const char *code) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  if (strcmp(u.role, "patient") != 0) return ERR_FORBIDDEN;
  if (!u.totp_enabled) return ERR_CONFLICT;
  int retry = 0;
  bool recovery = false;
  e = mfa_guarded_check(a, who, &u, code, &retry, &recovery);
  if (e != ERR_OK) {
    if (e == ERR_INVALID) audit_user(who, "2fa.disable", u.id, "failed", "{\"reason\":\"wrong code\"}");
    return e;
  }
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_clear_totp(a, u.id, acct_now());
  if (e == ERR_OK)
    e = outbox_enqueue(a, u.email, "Two-step login was turned off for your secondop account",
                       arena_printf(a,
                                    "Hello,\n\nTwo-step login was just turned off for your secondop account. %s\n\n"
                                    "If you did not do this, choose a new password and contact the breast center.\n",
                                    happened_now(a, u.time_zone)));
  if (e == ERR_OK) e = audit_user(who, "2fa.disable", u.id, "ok", NULL);
  return tx_end(e);
}

/* ---- admin ---- */

static void row_from(const struct st_user *u, struct acct_row *r) {
  r->id = u->id;
  r->name = u->name;
  r->email = u->email;
  r->role = u->role;
  r->created_at = u->created_at;
  r->active = u->active;
  r->email_verified = u->email_verified;
  r->totp_enabled = u->totp_enabled;
  r->invited = !u->password_hash[0];
}

enum err acct_admin_list(struct arena *a, const struct actor *who, const char *q, long long page, long long per_page,
                         struct acct_row **rows, size_t *n, long long *total) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  if (page < 1) page = 1;
  struct st_user *us = NULL;
  enum err e = st_users_list(a, q ? q : "", (page - 1) * per_page, per_page, &us, n, total);
  if (e != ERR_OK) return e;
  *rows = arena_alloc(a, sizeof **rows * (*n ? *n : 1));
  if (!*rows) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) row_from(&us[i], &(*rows)[i]);
  return ERR_OK;
}

enum err acct_admin_get(struct arena *a, const struct actor *who, long long id, struct acct_row *out) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  struct st_user u;
  enum err e = st_user_by_id(a, id, &u);
  if (e == ERR_OK) row_from(&u, out);
  return e;
}

/* Creates a center account without a password and e-mails the invitation. */
static enum err invite(struct arena *a, const struct actor *who, const char *role, const char *name,
                       const char *email, long long *user_id, char **link_out) {
  char *link = NULL;
  long long now = acct_now();
  enum err e = st_user_create(a, role, name, email, NULL, NULL, false, now, user_id);
  if (e == ERR_OK) e = make_link(a, *user_id, "invitation", INVITE_TTL, "/reset-password", &link);
  if (e == ERR_OK)
    e = outbox_enqueue_kind(a, email, "You are invited to secondop",
                       arena_printf(a,
                                    "Hello,\n\nAn administrator created a secondop account for you (role: %s). "
                                    "Open this link within 7 days to choose your password (it works once):\n\n%s\n\n"
                                    "After that you will set up an authenticator app for two-step login.\n",
                                    role, link),
                            "invitation", *user_id, who->ip);
  if (e == ERR_OK)
    e = audit_user(who, "account.create", *user_id, "ok", arena_printf(a, "{\"role\":\"%s\",\"via\":\"invitation\"}", role));
  if (link_out) *link_out = link;
  return e;
}

/* The admin's invitation form (/admin/accounts/invite), in the order of the page. */
enum { INV_NAME, INV_EMAIL, INV_ROLE, INV_N };
static const struct form_word invite_roles[] = {
    {VOCAB_KEY_STAFF, "Staff (triage, scheduling)"}, {VOCAB_KEY_REVIEWER, "Reviewer (radiologist)"}, {VOCAB_KEY_ADMIN, "Admin"}};
static const struct form_field invite_fields[] = {
    [INV_NAME] = {.name = "name", .type = FT_TEXT, .required = true, .max = 200,
                  .missing = "Please enter the person's name."},
    [INV_EMAIL] = {.name = "email", .type = FT_EMAIL, .required = true,
                   .missing = "Please enter a valid e-mail address, like name@example.com.",
                   .invalid = "Please enter a valid e-mail address, like name@example.com."},
    [INV_ROLE] = {.name = "role", .type = FT_ENUM, .required = true, .vocab = invite_roles,
                  .n_vocab = sizeof invite_roles / sizeof invite_roles[0],
                  .missing = "Please choose staff, reviewer or admin.",
                  .invalid = "Please choose staff, reviewer or admin."},
};

const struct form_spec *acct_invite_form(void) {
  static const struct form_spec spec = {invite_fields, INV_N, NULL};
  return &spec;
}

/* The invitation once the values are known to be well formed and the actor an admin. */
static enum err invite_checked(struct arena *a, const struct actor *who, const char *role, const char *name,
                               const char *email, struct acct_errors *errs, long long *user_id);

enum err acct_admin_invite_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                                  struct acct_errors *errs, long long *user_id) {
  if (!who || !(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  struct form_value v[INV_N];
  struct form_errors fe;
  if (!form_parse(a, acct_invite_form(), in, n, NULL, NULL, v, &fe)) {
    for (size_t i = 0; i < fe.n; i++) add_error(errs, fe.e[i].field, fe.e[i].message);
    return ERR_INVALID;
  }
  return invite_checked(a, who, v[INV_ROLE].text, v[INV_NAME].text, v[INV_EMAIL].text, errs, user_id);
}

enum err acct_admin_invite(struct arena *a, const struct actor *who, const char *role, const char *name,
                           const char *email, struct acct_errors *errs, long long *user_id) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  unsigned bit = acct_role_bit(role);
  if (!(bit & ACCT_ROLE_CENTER)) add_error(errs, "role", "Please choose staff, reviewer or admin.");
  if (!name_ok(name)) add_error(errs, "name", "Please enter the person's name.");
  if (!acct_email_ok(email)) add_error(errs, "email", "Please enter a valid e-mail address, like name@example.com.");
  if (errs->n) return ERR_INVALID;
  return invite_checked(a, who, role, name, email, errs, user_id);
}

static enum err invite_checked(struct arena *a, const struct actor *who, const char *role, const char *name,
                               const char *email, struct acct_errors *errs, long long *user_id) {
  struct st_user u;
  enum err e = st_user_by_email(a, email, &u);
  if (e == ERR_OK) {
    add_error(errs, "email", "An account with this e-mail address exists already.");
    return ERR_INVALID;
  }
  if (e != ERR_NOT_FOUND) return e;
  /* invitations carry live links: at most 10 an hour from one address */
  long long for_user = 0, from_ip = 0;
  e = st_outbox_recent(a, "invitation", 0, who->ip, &for_user, &from_ip);
  if (e != ERR_OK) return e;
  if (from_ip >= MAIL_PER_ADDRESS_HOUR) {
    add_error(errs, "email", "You have sent 10 invitations in the last hour. Please wait a little before the next one.");
    audit_user(who, "account.create", 0, "denied", "{\"reason\":\"rate limit\",\"via\":\"invitation\"}");
    return ERR_INVALID;
  }
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = tx_end(invite(a, who, role, name, email, user_id, NULL));
  if (e == ERR_CONFLICT) {
    add_error(errs, "email", "An account with this e-mail address exists already.");
    return ERR_INVALID;
  }
  return e;
}

enum err acct_admin_set_active(struct arena *a, const struct actor *who, long long id, bool active) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  if (!active && id == who->user_id) return ERR_CONFLICT;
  struct st_user u;
  enum err e = st_user_by_id(a, id, &u);
  if (e != ERR_OK) return e;
  long long ended = 0, tokens = 0, now = acct_now();
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_set_active(a, id, active, now);
  if (e == ERR_OK && !active) e = st_sessions_delete_user(a, id, 0, &ended);
  /* its imaging programs' tokens end with it: enabling the account again must not bring back
     a token that may have leaked while it was disabled */
  if (e == ERR_OK && !active) e = st_pat_revoke_user(a, id, now, &tokens);
  if (e == ERR_OK)
    e = audit_user(who, active ? "account.enable" : "account.disable", id, "ok",
                   active ? NULL
                          : arena_printf(a, "{\"sessions_ended\":%lld,\"tokens_revoked\":%lld}", ended, tokens));
  return tx_end(e);
}

enum err acct_admin_reset_2fa(struct arena *a, const struct actor *who, long long id) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  struct st_user u;
  enum err e = st_user_by_id(a, id, &u);
  if (e != ERR_OK) return e;
  long long ended = 0;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_clear_totp(a, id, acct_now());
  if (e == ERR_OK) e = st_sessions_delete_user(a, id, id == who->user_id ? -1 : 0, &ended);
  if (e == ERR_OK)
    e = outbox_enqueue(a, u.email, "Your secondop two-step login was reset",
                       arena_printf(a,
                                    "Hello,\n\nAn administrator reset the two-step login of your secondop account. %s "
                                    "The next time you log in you will set up your authenticator app again.\n",
                                    happened_now(a, u.time_zone)));
  if (e == ERR_OK) e = audit_user(who, "2fa.reset", id, "ok", arena_printf(a, "{\"sessions_ended\":%lld}", ended));
  return tx_end(e);
}

enum err acct_admin_mfa_state(struct arena *a, const struct actor *who, long long id, int *failures, bool *locked) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  return st_mfa_get(a, id, failures, locked);
}

enum err acct_admin_unlock_2fa(struct arena *a, const struct actor *who, long long id) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  struct st_user u;
  enum err e = st_user_by_id(a, id, &u);
  if (e != ERR_OK) return e;
  int failures = 0;
  bool locked = false;
  e = st_mfa_get(a, id, &failures, &locked);
  if (e != ERR_OK) return e;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_mfa_reset(a, id, NULL);
  if (e == ERR_OK)
    e = audit_user(who, "2fa.unlock", id, "ok", arena_printf(a, "{\"wrong_codes\":%d,\"was_locked\":%s}", failures,
                                                              locked ? "true" : "false"));
  return tx_end(e);
}

enum err acct_admin_logout_all(struct arena *a, const struct actor *who, long long id, long long keep_session) {
  if (!(who->role & ACCT_ROLE_ADMIN)) return ERR_FORBIDDEN;
  struct st_user u;
  enum err e = st_user_by_id(a, id, &u);
  if (e != ERR_OK) return e;
  long long ended = 0;
  e = tx_begin();
  if (e != ERR_OK) return e;
  /* an admin signing themselves out everywhere keeps the session they act from */
  e = st_sessions_delete_user(a, id, id == who->user_id ? keep_session : 0, &ended);
  if (e == ERR_OK) e = audit_user(who, "account.logout_all", id, "ok", arena_printf(a, "{\"sessions_ended\":%lld}", ended));
  return tx_end(e);
}

/* ---- the user's own sessions ---- */

enum err acct_sessions_list(struct arena *a, const struct actor *who, long long current_id,
                            struct acct_session_info **out, size_t *n) {
  if (!who->user_id) return ERR_UNAUTHENTICATED;
  struct st_session_row *rows = NULL;
  enum err e = st_sessions_list(a, who->user_id, acct_now(), &rows, n);
  if (e != ERR_OK) return e;
  *out = arena_alloc(a, sizeof **out * (*n ? *n : 1));
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    char *dev = arena_alloc(a, 64);
    if (!dev) return ERR_INTERNAL;
    ua_summary(rows[i].user_agent, dev, 64);
    (*out)[i] = (struct acct_session_info){rows[i].id, dev, rows[i].ip, rows[i].created_at, rows[i].last_seen_at,
                                           rows[i].id == current_id};
  }
  return ERR_OK;
}

enum err acct_session_revoke(struct arena *a, const struct actor *who, long long session_id) {
  if (!who->user_id) return ERR_UNAUTHENTICATED;
  enum err e = st_session_delete_own(a, who->user_id, session_id);
  if (e == ERR_OK)
    audit_user(who, "session.revoke", who->user_id, "ok", arena_printf(a, "{\"session\":%lld}", session_id));
  return e;
}

enum err acct_sessions_revoke_others(struct arena *a, const struct actor *who, long long current_id, long long *ended) {
  if (!who->user_id) return ERR_UNAUTHENTICATED;
  enum err e = st_sessions_delete_user(a, who->user_id, current_id, ended);
  if (e == ERR_OK)
    audit_user(who, "session.revoke_others", who->user_id, "ok", arena_printf(a, "{\"sessions_ended\":%lld}", *ended));
  return e;
}

/* ---- step-up re-authentication ---- */

enum err acct_stepup_fresh(struct arena *a, long long session_id, bool *fresh) {
  long long at = 0, now = acct_now();
  enum err e = st_session_reauth_get(a, session_id, &at);
  *fresh = e == ERR_OK && at > 0 && at <= now + 5 && now - at < ACCT_STEPUP_SECONDS;
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

/* 1 when s is a 6-digit code (spaces allowed) */
static int six_digits(const char *s) {
  size_t d = 0;
  for (const char *p = s; *p; p++) {
    if (*p >= '0' && *p <= '9')
      d++;
    else if (*p != ' ')
      return 0;
  }
  return d == TOTP_DIGITS;
}

enum err acct_stepup(struct arena *a, const struct actor *who, long long session_id, const char *credential,
                     int *retry) {
  struct st_user u;
  enum err e = actor_user(a, who, &u);
  if (e != ERR_OK) return e;
  *retry = 0;
  if (!credential || !*credential || strlen(credential) > PW_INPUT_MAX_BYTES) return ERR_INVALID;
  /* wrong passwords pause step-up (audited attempts, like signing) */
  int failures = 0, wait = 0;
  e = st_stepup_failures(a, u.id, STEPUP_WINDOW_S, STEPUP_PAUSE_S, &failures, &wait);
  if (e != ERR_OK) return e;
  if (failures >= STEPUP_FAILURES && wait > 0) {
    *retry = wait;
    audit_user(who, "account.stepup", u.id, "denied", "{\"reason\":\"throttled\"}");
    return ERR_TOO_MANY;
  }
  bool totp = u.totp_enabled && six_digits(credential);
  if (totp) {
    bool recovery = false;
    e = mfa_guarded_check(a, who, &u, credential, retry, &recovery);
    if (e == ERR_TOO_MANY) {
      audit_user(who, "account.stepup", u.id, "denied", "{\"reason\":\"throttled\",\"factor\":\"totp\"}");
      return e;
    }
  } else {
    e = verify_pw(&u, credential);
  }
  if (e == ERR_INVALID) {
    audit_user(who, "account.stepup", u.id, "denied",
               totp ? "{\"reason\":\"credential\",\"factor\":\"totp\"}" : "{\"reason\":\"credential\",\"factor\":\"password\"}");
    return ERR_INVALID;
  }
  if (e != ERR_OK) return e;
  e = st_session_reauth_set(a, session_id, acct_now());
  if (e == ERR_OK)
    audit_user(who, "account.stepup", u.id, "ok", totp ? "{\"factor\":\"totp\"}" : "{\"factor\":\"password\"}");
  return e;
}

/* ---- command line ---- */

enum err acct_create_user(struct arena *a, const struct actor *who, const char *role, const char *name,
                          const char *email, const char *dob, const char *password, bool with_totp, long long *user_id,
                          char **link, char totp_b32[TOTP_BASE32_MAX], struct acct_errors *errs) {
  long long now = acct_now();
  unsigned bit = acct_role_bit(role);
  if (!bit) add_error(errs, "role", "The role must be patient, staff, reviewer or admin.");
  if (!name_ok(name)) add_error(errs, "name", "Please give a name (--name).");
  if (!acct_email_ok(email)) add_error(errs, "email", "Please give a valid e-mail address (--email).");
  if (dob && *dob && !dob_ok(dob, now)) add_error(errs, "dob", "The date of birth must be YYYY-MM-DD, in the past.");
  if (bit == ACCT_ROLE_PATIENT && !password) add_error(errs, "password", "A patient needs --password-stdin.");
  char *norm = NULL;
  if (password && bit)
    norm = new_password(password, (with_totp || bit != ACCT_ROLE_PATIENT) ? PW_MIN_LEN_WITH_MFA : PW_MIN_LEN_PASSWORD_ONLY,
                        email, name, "password", errs);
  if (errs->n) {
    pw_free(norm);
    return ERR_INVALID;
  }
  char hash[PW_HASH_BYTES];
  enum err e = ERR_OK;
  if (norm) {
    e = hash_pw(norm, hash);
    pw_free(norm);
    if (e != ERR_OK) return e;
  }
  *link = NULL;
  totp_b32[0] = '\0';
  e = tx_begin();
  if (e != ERR_OK) return e;
  if (!password) {
    e = invite(a, who, role, name, email, user_id, link);
  } else {
    e = st_user_create(a, role, name, email, dob && *dob ? dob : NULL, hash, true, now, user_id);
    if (e == ERR_OK)
      e = audit_user(who, "account.create", *user_id, "ok", arena_printf(a, "{\"role\":\"%s\",\"via\":\"cli\"}", role));
  }
  if (e == ERR_OK && with_totp) {
    unsigned char secret[TOTP_SECRET_BYTES];
    totp_secret_new(secret);
    char *sealed = seal_totp(a, *user_id, secret);
    e = sealed ? st_user_set_totp(a, *user_id, sealed, true, -1, now) : ERR_INTERNAL;
    if (e == ERR_OK && totp_base32(secret, sizeof secret, totp_b32, TOTP_BASE32_MAX) < 0) e = ERR_INTERNAL;
    sodium_memzero(secret, sizeof secret);
    if (e == ERR_OK) e = audit_user(who, "2fa.enable", *user_id, "ok", "{\"via\":\"cli\"}");
  }
  if (password) sodium_memzero(hash, sizeof hash);
  return tx_end(e);
}

/* ---- demo data ---- */

enum err acct_demo_account(struct arena *a, const struct actor *who, const char *role, const char *name,
                           const char *email, const char *dob, bool with_totp, char *pw, size_t pw_cap,
                           char totp_b32[TOTP_BASE32_MAX]) {
  static const char alpha[] = "abcdefghijkmnpqrstuvwxyz23456789";
  if (pw_cap < 24) return ERR_INTERNAL;
  /* four groups of five random characters: 100 bits, easy to type */
  size_t o = 0;
  for (int g = 0; g < 4; g++) {
    if (g) pw[o++] = '-';
    for (int i = 0; i < 5; i++) pw[o++] = alpha[randombytes_uniform(sizeof alpha - 1)];
  }
  pw[o] = '\0';
  totp_b32[0] = '\0';
  char hash[PW_HASH_BYTES];
  enum err e = hash_pw(pw, hash);
  if (e != ERR_OK) return e;
  long long now = acct_now(), id = 0;
  struct st_user u;
  e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_by_email(a, email, &u);
  if (e == ERR_OK) {
    id = u.id;
    e = st_user_set_password(a, id, hash, now);
    if (e == ERR_OK) e = st_user_set_verified(a, id, now);
    if (e == ERR_OK) e = st_user_set_active(a, id, true, now);
    if (e == ERR_OK) e = audit_user(who, "password.reset", id, "ok", "{\"via\":\"demo seed\"}");
  } else if (e == ERR_NOT_FOUND) {
    e = st_user_create(a, role, name, email, dob, hash, true, now, &id);
    if (e == ERR_OK)
      e = audit_user(who, "account.create", id, "ok", arena_printf(a, "{\"role\":\"%s\",\"via\":\"demo seed\"}", role));
  }
  if (e == ERR_OK && with_totp) {
    unsigned char secret[TOTP_SECRET_BYTES];
    totp_secret_new(secret);
    char *sealed = seal_totp(a, id, secret);
    e = sealed ? st_user_set_totp(a, id, sealed, true, -1, now) : ERR_INTERNAL;
    if (e == ERR_OK && totp_base32(secret, sizeof secret, totp_b32, TOTP_BASE32_MAX) < 0) e = ERR_INTERNAL;
    sodium_memzero(secret, sizeof secret);
  }
  sodium_memzero(hash, sizeof hash);
  return tx_end(e);
}

#define TZ_UNKNOWN                                                                                           \
  "We do not know this time zone. Type it as the tz database names it, like Europe/Madrid or "                       \
  "America/Los_Angeles (upper and lower case as shown)."
/* The account's time zone: a tz database name. Only spaces around it are
 * trimmed: a tab or a line break is refused like any unknown name. */
static const struct form_field time_zone_fields[] = {
    {.name = "time_zone", .type = FT_TEXT, .required = true, .max = 64, .spaces_only = true, .missing = TZ_UNKNOWN,
     .invalid = TZ_UNKNOWN},
};
const struct form_spec acct_time_zone_form = {time_zone_fields, 1, NULL};

enum err acct_time_zone_set(struct arena *a, const struct actor *who, const char *time_zone, struct acct_errors *errs) {
  if (!who || who->user_id <= 0) return ERR_FORBIDDEN;
  if (!time_zone || !tz_name_ok(time_zone)) {
    add_error(errs, "time_zone", TZ_UNKNOWN);
    return ERR_INVALID;
  }
  enum err e = tx_begin();
  if (e != ERR_OK) return e;
  e = st_user_set_time_zone(a, who->user_id, time_zone);
  if (e == ERR_OK) {
    json_t *d = json_pack("{s:s}", "time_zone", time_zone);
    char *det = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    e = audit_user(who, "account.time_zone", who->user_id, "ok", det);
    free(det);
  }
  return tx_end(e);
}

void acct_errors_to_form(struct form_errors *fe, const struct acct_errors *ae) {
  for (size_t i = 0; ae && i < ae->n; i++) form_error_add(fe, ae->e[i].field, ae->e[i].message);
}
