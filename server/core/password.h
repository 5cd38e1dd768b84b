/* Passwords: normalisation, policy, blocklist, Argon2id hashing, and a bound
 * on concurrent hashing. Pure functions over strings; no HTTP, no DB.
 *
 * Flow for a new password (registration, change, reset):
 *   if (len > PW_INPUT_MAX_BYTES)            -> PW_TOO_LONG
 *   n = pw_normalize(form_value, len)        -> NULL: PW_NOT_UTF8
 *   v = pw_check(n, min_len, email, name)    -> != PW_OK: show pw_verdict_message(v)
 *   pw_slot_acquire(ms) / pw_hash(n, ...) / pw_slot_release()
 *   pw_free(n)
 * Flow for a login: normalise the same way (no pw_check), then pw_verify()
 * against the stored hash, or against pw_dummy_hash() when no account exists.
 *
 * Policy (security checklist items 13-17): length in Unicode code points
 * after NFKC, 15 minimum for password-only accounts and 12 once a second
 * factor is enrolled, 128 maximum, never truncated; no composition rules; a
 * local blocklist of common/breached passwords plus the user's own e-mail
 * address and name; Argon2id (libsodium crypto_pwhash_str_alg, ALG_ARGON2ID13,
 * 16-byte salt, p=1). */
#ifndef SECONDOP_PASSWORD_H
#define SECONDOP_PASSWORD_H
#include <stddef.h>

#define PW_MIN_LEN_PASSWORD_ONLY 15 /* code points, no second factor */
#define PW_MIN_LEN_WITH_MFA 12      /* code points, TOTP enrolled */
#define PW_MAX_LEN 128              /* code points, after NFKC */
/* Raw form values longer than this many bytes are refused (PW_TOO_LONG)
 * before normalising; pw_normalize() returns NULL for them. 128 code points
 * take at most 512 bytes, so this only cuts off abuse. */
#define PW_INPUT_MAX_BYTES 4096
/* Hash string buffer size; equals crypto_pwhash_STRBYTES (checked in .c). */
#define PW_HASH_BYTES 128

enum pw_verdict {
  PW_OK = 0,
  PW_TOO_SHORT,
  PW_TOO_LONG,
  PW_NOT_UTF8,
  PW_COMMON,
  PW_MATCHES_EMAIL,
  PW_MATCHES_NAME
};

/* NFKC-normalises `len` bytes of UTF-8 (libunistring u8_normalize) into a
 * malloc'd NUL-terminated string; the caller frees it with pw_free().
 * Returns NULL when the input is not valid UTF-8, contains a NUL byte, is
 * longer than PW_INPUT_MAX_BYTES, or memory runs out. An empty input gives "". */
char *pw_normalize(const char *utf8, size_t len);

/* Wipes (sodium_memzero over strlen+1) then frees a pw_normalize() result.
 * NULL is fine. */
void pw_free(char *p);

/* Number of Unicode code points in a valid, NUL-terminated UTF-8 string. */
size_t pw_codepoints(const char *normalized);

/* Applies the password policy to an NFKC-normalised password: length
 * (min_len..PW_MAX_LEN code points), then equality with the e-mail address or
 * its local part, then with the name (case-insensitive, whitespace ignored),
 * then the blocklist (case-insensitive), looked up as typed, without
 * whitespace, and with ASCII spaces and punctuation removed (the e-mail and
 * name comparisons use the last form too). email and name may be NULL.
 * Fails closed: if no blocklist is loaded, answers PW_COMMON.
 * Everything allocated here is wiped before it is freed. */
enum pw_verdict pw_check(const char *normalized, size_t min_len, const char *email,
                         const char *name);

/* A sentence in plain words for the person choosing the password. Static
 * string; never NULL. PW_TOO_SHORT names 15 characters: callers whose
 * minimum is 12 use pw_verdict_message_len(). */
const char *pw_verdict_message(enum pw_verdict v);
/* Same, with the minimum length the caller applied (12 or 15) in the text
 * for PW_TOO_SHORT. Static string; never NULL. */
const char *pw_verdict_message_len(enum pw_verdict v, size_t min_len);

/* Loads the blocklist: one password per line (UTF-8, "\n" or "\r\n"), blank
 * lines ignored. Each entry is NFKC-normalised and lower-cased, then the set
 * is sorted for bsearch. Replaces any list loaded before. Not thread-safe:
 * call at startup before worker threads exist. Returns the number of entries,
 * or -1 (file unreadable, out of memory); on -1 the previous list is kept. */
long pw_blocklist_load(const char *path);
/* Same over several files, merged into one set (all or nothing). */
long pw_blocklist_load_files(const char *const *paths, size_t npaths);

/* Frees the blocklist (pw_check then fails closed). Call after threads stop. */
void pw_blocklist_free(void);

/* 1 when `normalized` (any case) is on the loaded blocklist, else 0. */
int pw_blocklisted(const char *normalized);

/* Argon2id hash of the normalised password with the given cost:
 * crypto_pwhash_str_alg(..., crypto_pwhash_ALG_ARGON2ID13). Production uses
 * crypto_pwhash_OPSLIMIT_INTERACTIVE (t=2) and MEMLIMIT_INTERACTIVE (64 MiB),
 * above the checklist floor m>=19456 KiB, t>=2. Writes a NUL-terminated
 * "$argon2id$v=19$m=...,t=...,p=1$..." string into out. Returns 0, or -1
 * (out of memory, cost out of range). */
int pw_hash(const char *normalized, unsigned long long ops, size_t mem, char out[PW_HASH_BYTES]);

/* Verifies a normalised password against a stored hash string. Returns 0 on a
 * match and -1 otherwise (wrong password, malformed hash, out of memory).
 * On a match *needs_rehash is set to 1 when the stored hash is not Argon2id
 * with exactly (ops, mem) (crypto_pwhash_str_needs_rehash), so the caller
 * re-hashes and stores; otherwise to 0. needs_rehash may be NULL. */
int pw_verify(const char *stored, const char *normalized, unsigned long long ops, size_t mem,
              int *needs_rehash);

/* A hash of a random, forgotten password with cost (ops, mem), computed on
 * first use for each cost and cached for the life of the process (up to 4
 * costs; thread-safe). Verify against it when the account does not exist so
 * an unknown user costs the same time as a wrong password. Call it once at
 * startup so the first unknown-user login is not slower. Returns a static
 * string, or NULL (out of memory, too many different costs). */
const char *pw_dummy_hash(unsigned long long ops, size_t mem);

/* Bounded concurrency for pw_hash/pw_verify (each uses `mem` bytes, 64 MiB in
 * production). pw_slots_init sets the number of slots (values < 1 mean 1);
 * call it once at startup before threads. pw_slot_acquire waits up to
 * timeout_ms for a slot and returns 0, or -1 when none came free in time or
 * pw_slots_init was never called (the caller answers 503 with Retry-After).
 * Every successful acquire is paired with one pw_slot_release. */
void pw_slots_init(int n);
int pw_slot_acquire(int timeout_ms);
void pw_slot_release(void);

#endif
