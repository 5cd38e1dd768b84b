/* TOTP second factor (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps,
 * +-1 step accepted) and one-time recovery codes. HMAC-SHA-1 comes from
 * liboath (libsodium has no SHA-1). No HTTP, no DB: the caller stores the
 * secret (encrypted at rest, security checklist item 20), the last accepted
 * time step, and the hashes of unused recovery codes.
 *
 * Replay: totp_check() returns the time step a code matched. The caller
 * stores it as last_step in the same transaction that accepts the login and
 * passes it back next time; codes for steps <= last_step are refused, so a
 * code works once, and so does any older code. */
#ifndef SECONDOP_TOTP_H
#define SECONDOP_TOTP_H
#include <stddef.h>
#include <time.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226 recommendation */
#define TOTP_DIGITS 6
#define TOTP_STEP 30
#define TOTP_WINDOW 1 /* steps either side of now */
/* Base32 of 20 bytes is 32 characters; plus NUL. */
#define TOTP_BASE32_MAX 33

#define TOTP_RECOVERY_CHARS 10          /* random characters per code */
#define TOTP_RECOVERY_BUF 12            /* "xxxxx-xxxxx" + NUL */
#define TOTP_RECOVERY_KEY_BYTES 32      /* server-side key for code hashes */
#define TOTP_RECOVERY_HASH_BYTES 32     /* stored per code */
/* Unambiguous alphabet: no 0/o, 1/l/i. 31 symbols, ~49.5 bits per code. */
#define TOTP_RECOVERY_ALPHABET "23456789abcdefghjkmnpqrstuvwxyz"

/* Initialises liboath. Call once at startup, before threads. Returns 0, or -1. */
int totp_init(void);

/* Releases liboath (oath_done). Call once at shutdown, after threads stop. */
void totp_done(void);

/* Fills secret with 20 random bytes (randombytes_buf). The caller wipes it
 * with sodium_memzero when done. */
void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES]);

/* RFC 4648 Base32 (upper case, no padding) of secret[0..len) into out, NUL
 * terminated, for manual entry in an authenticator app. Returns the number of
 * characters written (without NUL), or -1 if out (cap bytes) is too small or
 * an argument is NULL. */
int totp_base32(const unsigned char *secret, size_t len, char *out, size_t cap);

/* Key URI for authenticator apps:
 *   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with ISSUER and ACCOUNT percent-encoded (RFC 3986 unreserved characters
 * kept). Written NUL-terminated into out. Returns the length, or -1 if out
 * (cap bytes) is too small or an argument is NULL. The result contains the
 * secret: wipe it when done. */
int totp_uri(const unsigned char *secret, size_t len, const char *issuer, const char *account,
             char *out, size_t cap);

/* Checks a 6-digit code at time `now`, accepting the steps now-1, now, now+1
 * (30 s each). ASCII spaces in the code are ignored ("123 456"). Returns the
 * matched time step (>= 0), or -1 when the code is malformed, matches no step
 * in the window, or matches only steps <= last_step (replay; pass -1 when no
 * code was accepted before). */
long long totp_check(const unsigned char *secret, size_t len, const char *code, time_t now,
                     long long last_step);

/* The 6-digit code (NUL-terminated) for time t. Returns 0, or -1. For tests
 * and for showing nothing else: never send codes anywhere. */
int totp_code_at(const unsigned char *secret, size_t len, time_t t, char out[TOTP_DIGITS + 1]);

/* Fills out[0..n) with fresh recovery codes, each "xxxxx-xxxxx" from
 * TOTP_RECOVERY_ALPHABET. Show them once; store only totp_recovery_hash()
 * of each. Returns 0, or -1 on NULL out. The caller wipes out when done. */
int totp_recovery_codes(size_t n, char (*out)[TOTP_RECOVERY_BUF]);

/* Keyed BLAKE2b (crypto_generichash, 32 bytes) of a recovery code after
 * canonicalising it (ASCII letters lower-cased, spaces and hyphens dropped),
 * so "ABCDE FGHJK" and "abcde-fghjk" hash alike. Codes are high-entropy, so a
 * fast keyed hash is enough; the key is a server secret. Returns 0, or -1
 * when the code is not 10 characters from the alphabet after canonicalising. */
int totp_recovery_hash(const char *code, const unsigned char key[TOTP_RECOVERY_KEY_BYTES],
                       unsigned char out[TOTP_RECOVERY_HASH_BYTES]);

/* Compares an entered code with n stored hashes, touching every hash in
 * constant time (sodium_memcmp). Returns the index of the match (the caller
 * deletes that stored hash so the code works once), or -1. */
long totp_recovery_find(const char *code, const unsigned char key[TOTP_RECOVERY_KEY_BYTES],
                        const unsigned char (*hashes)[TOTP_RECOVERY_HASH_BYTES], size_t n);

#endif
