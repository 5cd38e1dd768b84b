/* Accounts, the domain side: sign-up, e-mail verification, login with
 * throttling, sessions, logout, password change and reset, the TOTP second
 * factor with recovery codes, and the admin's account actions. No HTTP
 * types: routes pass an actor and form values; every account event writes an
 * audit row (core/audit.h).
 *
 * Timing and testing knobs (environment, read by acct_configure, and only in
 * builds configured with meson -Dtest_hooks=true; other builds ignore them):
 *   SECONDOP_TEST_IDLE_SECONDS      when set, the idle timeout for every role
 *                                   (default 900 s center roles, 1800 s patients)
 *   SECONDOP_TEST_ABSOLUTE_SECONDS  when set, the absolute session timeout (default 43200)
 *   SECONDOP_TEST_CLOCK_FILE        when set, a file holding a number of seconds
 *                                   added to the clock for sessions, throttling and
 *                                   token expiry (read at each use; missing = 0).
 *                                   TOTP always uses the real clock.
 * They exist for the integration tests (scripts/test.sh builds with them). */
#ifndef SECONDOP_CORE_ACCOUNTS_H
#define SECONDOP_CORE_ACCOUNTS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "core/form.h"
#include "core/totp.h"
#include "util/err.h"

struct arena;

/* Role bits, equal to enum role in http/req.h (checked there). */
#define ACCT_ROLE_PATIENT 1u
#define ACCT_ROLE_STAFF 2u
#define ACCT_ROLE_REVIEWER 4u
#define ACCT_ROLE_ADMIN 8u
#define ACCT_ROLE_CENTER (ACCT_ROLE_STAFF | ACCT_ROLE_REVIEWER | ACCT_ROLE_ADMIN)
#define ACCT_ROLE_SYSTEM (1u << 8) /* the command line; audited as "system" */

#define ACCT_TOKEN_CHARS 43       /* base64url of 32 bytes, no padding */
#define ACCT_TOKEN_BUF 44
#define ACCT_RECOVERY_COUNT 10
#define ACCT_MAX_ERRORS 8

/* Field errors to show next to each field (messages are static strings). */
struct acct_errors {
  size_t n;
  struct {
    const char *field, *message;
  } e[ACCT_MAX_ERRORS];
};

/* Adds the domain's field errors to a form's error map (a field keeps its first message). */
void acct_errors_to_form(struct form_errors *fe, const struct acct_errors *ae);

/* A live session, as the HTTP layer needs it. Strings live in the arena. */
struct acct_session {
  long long id, user_id;
  unsigned role;
  const char *name, *email, *csrf;
  const char *time_zone; /* the account's zone (tz database name) */
  bool mfa_enrolled, mfa_passed;
  long long idle_expires;
};

/* A freshly issued session cookie value and its CSRF token. */
struct acct_new_session {
  char token[ACCT_TOKEN_BUF];
  char csrf[ACCT_TOKEN_BUF];
  long long session_id;
};

enum acct_login_outcome {
  LOGIN_OK,          /* session made (maybe still needing the second factor) */
  LOGIN_FAILED,      /* unknown e-mail, wrong password or disabled: one answer for all */
  LOGIN_THROTTLED,   /* cool-down running: retry_after seconds */
  LOGIN_UNVERIFIED,  /* right password, e-mail not confirmed yet */
};

struct acct_login_result {
  enum acct_login_outcome outcome;
  int retry_after;
  long long user_id;
  unsigned role;
  bool mfa_needed;     /* the session must pass TOTP before anything else */
  bool mfa_enrolled;   /* false: center role that must enrol first */
  struct acct_new_session s;
};

/* Reads the knobs above and the base URL; call once before threads. */
void acct_configure(const char *base_url);
/* Seconds since the epoch, with the test clock offset when configured. */
long long acct_now(void);
/* Idle timeout in seconds for a role bit. */
long long acct_idle_seconds(unsigned role);
/* Role bit for "patient"/"staff"/"reviewer"/"admin"; 0 for anything else. */
unsigned acct_role_bit(const char *name);
/* Name for a single role bit ("patient" …), or NULL. */
const char *acct_role_str(unsigned role);
/* 1 when e is a plausible e-mail address (bounded, one @, no spaces). */
int acct_email_ok(const char *e);

/* Looks up the session for a cookie value; refreshes its idle expiry. An
 * expired session is deleted and a "session.timeout" row audited. ERR_OK
 * with *out filled, ERR_NOT_FOUND when there is no live session, or a
 * database error. */
enum err acct_session_lookup(struct arena *a, const struct actor *who, const char *token, struct acct_session *out);

/* The account and sign-in forms on the one form layer (core/form.h), each
 * declared next to the domain function that saves it. The route parses the
 * posted fields with its spec (passwords and codes are secret: never echoed)
 * and hands the typed values to that function, which checks what needs the
 * database or the password policy and saves in one transaction. Field
 * indexes are the ACCT_F_* values below. */
extern const struct form_spec acct_signup_form;     /* name, email, dob, password, time_zone */
enum { ACCT_SIGNUP_NAME, ACCT_SIGNUP_EMAIL, ACCT_SIGNUP_DOB, ACCT_SIGNUP_PASSWORD, ACCT_SIGNUP_TZ };
extern const struct form_spec acct_verify_form;     /* token */
extern const struct form_spec acct_login_form;      /* email, password */
enum { ACCT_LOGIN_EMAIL, ACCT_LOGIN_PASSWORD };
extern const struct form_spec acct_login_mfa_form;  /* code */
extern const struct form_spec acct_forgot_form;     /* email */
extern const struct form_spec acct_reset_form;      /* token, password */
enum { ACCT_RESET_TOKEN, ACCT_RESET_PASSWORD };
extern const struct form_spec acct_time_zone_form;  /* time_zone (spaces only trimmed) */
extern const struct form_spec acct_password_form;   /* current, password */
enum { ACCT_PASSWORD_CURRENT, ACCT_PASSWORD_NEW };
extern const struct form_spec acct_totp_form;       /* action (enable, regenerate, disable), code */
enum { ACCT_TOTP_ACTION, ACCT_TOTP_CODE };

/* Patient sign-up. Validates every field (errors per field, ERR_INVALID).
 * When the e-mail is already registered, nothing is created and the owner
 * is told by e-mail; the caller answers exactly as for a new account.
 * ERR_OK, ERR_INVALID, ERR_UNAVAILABLE (hashing slots busy) or a DB error. */
enum err acct_signup(struct arena *a, const struct actor *who, const char *name, const char *email, const char *dob,
                     const char *password, const char *time_zone, struct acct_errors *errs);
/* Sets the acting user's time zone: a name of the tz database (util/tz.h),
 * e.g. "Europe/Madrid". ERR_INVALID with a "time_zone" error when unknown;
 * audited (account.time_zone). */
enum err acct_time_zone_set(struct arena *a, const struct actor *who, const char *time_zone, struct acct_errors *errs);
/* Purpose of a valid one-time token ("verify_email", "password_reset",
 * "invitation") without using it, for showing its form. ERR_NOT_FOUND when
 * unknown, used or expired. */
enum err acct_token_check(struct arena *a, const char *token, const char **purpose, long long *user_id);
/* Confirms the e-mail address with the token (single use). ERR_OK or ERR_NOT_FOUND. */
enum err acct_verify_email(struct arena *a, const struct actor *who, const char *token);

/* Checks the password (or a dummy hash for unknown e-mails) behind the
 * throttle and, on success, makes a new session (ending old_token's). */
enum err acct_login(struct arena *a, const struct actor *who, const char *email, const char *password,
                    const char *old_token, const char *user_agent, struct acct_login_result *res);
/* The second factor for session_id: a 6-digit TOTP code or a recovery code.
 * On success the session is marked passed and gets a new token (*ns).
 * ERR_OK, ERR_INVALID (wrong code), ERR_TOO_MANY (*retry_after set). */
enum err acct_login_mfa(struct arena *a, const struct actor *who, long long session_id, const char *code,
                        struct acct_new_session *ns, int *retry_after);
/* Ends the session (audited "logout"). */
enum err acct_logout(struct arena *a, const struct actor *who, long long session_id);

/* Changes the actor's password after checking the current one; ends every
 * other session and rotates this one (*ns). ERR_INVALID with errs. */
enum err acct_password_change(struct arena *a, const struct actor *who, long long session_id, const char *current,
                              const char *new_password, struct acct_errors *errs, struct acct_new_session *ns);
/* Sends a reset link when an active account has this e-mail; answers ERR_OK
 * either way (ERR_INVALID only for a malformed address). */
enum err acct_password_forgot(struct arena *a, const struct actor *who, const char *email, struct acct_errors *errs);
/* Sets a new password with a reset or invitation token (single use); ends
 * every session of the user. ERR_NOT_FOUND (bad token), ERR_INVALID (errs). */
enum err acct_password_reset(struct arena *a, const struct actor *who, const char *token, const char *new_password,
                             struct acct_errors *errs);

/* Account overview for the account page. */
struct acct_overview {
  const char *name, *email, *role, *dob, *created_at;
  bool email_verified, totp_enabled;
  size_t recovery_left;
  long long sessions;
};
enum err acct_overview(struct arena *a, long long user_id, struct acct_overview *out);

/* Starts (or continues) TOTP enrolment: keeps a sealed pending secret and
 * gives its base32 text and otpauth URI (arena strings; secret material:
 * never log). ERR_CONFLICT when already enrolled. */
enum err acct_totp_begin(struct arena *a, const struct actor *who, char **base32, char **uri);
/* Finishes enrolment with a code from the app; fills codes with fresh
 * recovery codes (show once), marks the session as passed and rotates it.
 * ERR_INVALID (wrong code), ERR_CONFLICT (nothing pending). */
enum err acct_totp_enable(struct arena *a, const struct actor *who, long long session_id, const char *code,
                          char (*codes)[TOTP_RECOVERY_BUF], struct acct_new_session *ns);
/* New recovery codes after a valid TOTP code. ERR_INVALID on a wrong code. */
enum err acct_recovery_regenerate(struct arena *a, const struct actor *who, const char *code,
                                  char (*codes)[TOTP_RECOVERY_BUF]);
/* Patients only: turns TOTP off after a valid code. ERR_FORBIDDEN for center roles. */
enum err acct_totp_disable(struct arena *a, const struct actor *who, const char *code);

/* Admin: list accounts (search in name/e-mail, newest first). */
struct acct_row {
  long long id;
  const char *name, *email, *role, *created_at;
  bool active, email_verified, totp_enabled, invited; /* invited: no password yet */
};
enum err acct_admin_list(struct arena *a, const struct actor *who, const char *q, long long page, long long per_page,
                         struct acct_row **rows, size_t *n, long long *total);
enum err acct_admin_get(struct arena *a, const struct actor *who, long long id, struct acct_row *out);
/* Invites a center member: creates the account without a password and
 * e-mails a link (7 days) to choose one. ERR_INVALID (errs) or ERR_OK. */
enum err acct_admin_invite(struct arena *a, const struct actor *who, const char *role, const char *name,
                           const char *email, struct acct_errors *errs, long long *user_id);
/* The same from the admin's posted form (acct_invite_form: name, one line of
 * at most 200 characters; email; role staff/reviewer/admin), parsed by the
 * form layer: ERR_INVALID with one error per field and nothing saved;
 * ERR_FORBIDDEN for non-admins (checked once, first). */
struct form_spec;
struct form_pair;
const struct form_spec *acct_invite_form(void);
enum err acct_admin_invite_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                                  struct acct_errors *errs, long long *user_id);
/* Disables (ending every session) or re-enables an account. ERR_NOT_FOUND,
 * ERR_CONFLICT (an admin disabling themselves). */
enum err acct_admin_set_active(struct arena *a, const struct actor *who, long long id, bool active);
/* Forgets the user's second factor and ends their sessions (they enrol again). */
enum err acct_admin_reset_2fa(struct arena *a, const struct actor *who, long long id);

/* The second-factor counter of an account (failures since the last right
 * code; locked at the bound). Admins only. */
enum err acct_admin_mfa_state(struct arena *a, const struct actor *who, long long id, int *failures, bool *locked);
/* Lifts a second-factor lock (and forgets the count); audited "2fa.unlock". */
enum err acct_admin_unlock_2fa(struct arena *a, const struct actor *who, long long id);
/* Ends every session of the account (an admin forcing a logout), except
 * keep_session when the admin acts on their own account. Audited. */
enum err acct_admin_logout_all(struct arena *a, const struct actor *who, long long id, long long keep_session);

/* One of the user's live sessions, for the account page. */
struct acct_session_info {
  long long id;
  const char *device;                  /* "Firefox on Linux" (core/uasummary.h) */
  const char *ip, *created_at, *last_seen_at;
  bool current;                        /* the session asking */
};
/* The actor's live sessions, most recently used first (arena array). */
enum err acct_sessions_list(struct arena *a, const struct actor *who, long long current_id,
                            struct acct_session_info **out, size_t *n);
/* Ends one of the actor's own sessions. ERR_NOT_FOUND when it is not theirs. Audited. */
enum err acct_session_revoke(struct arena *a, const struct actor *who, long long session_id);
/* Ends every session of the actor but current_id; *ended how many. Audited. */
enum err acct_sessions_revoke_others(struct arena *a, const struct actor *who, long long current_id, long long *ended);

/* Step-up re-authentication: sensitive actions need the password or a TOTP
 * code entered in this session within ACCT_STEPUP_SECONDS (a login counts).
 * http/stepup.h wraps it for routes. */
#define ACCT_STEPUP_SECONDS 300
/* *fresh: the session stepped up within the last 5 minutes (test clock applies). */
enum err acct_stepup_fresh(struct arena *a, long long session_id, bool *fresh);
/* Checks the credential (the password, or a 6-digit TOTP code for an enrolled
 * user, which counts in the second-factor counter) and records the step-up
 * for the session. ERR_OK, ERR_INVALID (wrong; audited), ERR_TOO_MANY
 * (*retry seconds, -1 when the second factor is locked). */
enum err acct_stepup(struct arena *a, const struct actor *who, long long session_id, const char *credential,
                     int *retry);

/* Command-line creation (first admin, tests, demo). password NULL: an
 * invitation link is made instead and returned in *link. with_totp: enrols
 * a fresh secret, returned as base32 in totp_b32. dob may be NULL.
 * ERR_INVALID with errs, ERR_CONFLICT when the e-mail exists. */
enum err acct_create_user(struct arena *a, const struct actor *who, const char *role, const char *name,
                          const char *email, const char *dob, const char *password, bool with_totp, long long *user_id,
                          char **link, char totp_b32[TOTP_BASE32_MAX], struct acct_errors *errs);
/* The one-time link machinery, for other features' links (core/caregivers.c):
 * a new 256-bit token as base64url text in out and the hex of its BLAKE2b
 * hash in the arena (*hash_hex; NULL on no memory); and the hex hash of a
 * token a client gave (NULL when it is not a 43-character token). */
void acct_token_new(struct arena *a, char out[ACCT_TOKEN_BUF], char **hash_hex);
char *acct_token_hash_hex(struct arena *a, const char *token);
/* Creates a verified patient-side account for someone who followed a link
 * sent to email (which proves the address): name, password (the patient
 * rules) and time zone checked as at sign-up, errors in errs (ERR_INVALID).
 * ERR_CONFLICT when the address has an account already. Audited
 * account.create with via. *user_id the new id. */
enum err acct_create_from_link(struct arena *a, const struct actor *who, const char *name, const char *email,
                               const char *password, const char *time_zone, const char *via,
                               struct acct_errors *errs, long long *user_id);
/* Demo data: makes sure an account with this e-mail exists (creating it
 * verified and active), gives it a fresh random password written to pw
 * (>= 32 bytes) and, with with_totp, a freshly enrolled TOTP secret in
 * totp_b32. ERR_OK or a DB error. */
enum err acct_demo_account(struct arena *a, const struct actor *who, const char *role, const char *name,
                           const char *email, const char *dob, bool with_totp, char *pw, size_t pw_cap,
                           char totp_b32[TOTP_BASE32_MAX]);
#endif
