/* The application secret key: 32 random bytes in <data-dir>/keys/app.key
 * (mode 0600, folder 0700), made on first run. Subkeys are derived from it
 * with crypto_kdf for each use, so one purpose never sees another's key:
 * sealing TOTP secrets (XChaCha20-Poly1305), hashing recovery codes, signing
 * the pre-session CSRF cookie, and hashing throttle keys. */
#ifndef SECONDOP_SECRETS_H
#define SECONDOP_SECRETS_H
#include <stddef.h>

#define SECRETS_KEY_BYTES 32
#define SECRETS_SEAL_OVERHEAD (24 + 16) /* nonce + tag */

enum secret_purpose {
  SECRET_TOTP_SEAL = 1,   /* AEAD key for TOTP secrets at rest */
  SECRET_RECOVERY = 2,    /* key for recovery code hashes */
  SECRET_CSRF = 3,        /* HMAC key for the pre-session CSRF cookie */
  SECRET_THROTTLE = 4,    /* keyed hash of e-mail addresses in login_throttle */
  SECRET_OUTBOX = 5,      /* AEAD key for outbox bodies until delivered */
  SECRET_MEMBER_ID = 16,  /* AEAD key for insurance member ids (requests) */
  SECRET_MESSAGE = 17,    /* AEAD key for message bodies (requests) */
  SECRET_REQUEST_TEXT = 18, /* AEAD key for a request's reason and questions */
  SECRET_REPORT = 32,     /* AEAD key for report findings (reports) */
  SECRET_ACCESS_TOKEN = 48, /* keyed hash of DICOMweb personal access tokens (core/tokens.h) */
  SECRET_PACS_CREDENTIAL = 80, /* AEAD key for PACS destinations' passwords and tokens (core/pacs.h) */
  SECRET_KEY_ID = 96,     /* keyed hash naming the key material (app.c: the key id recorded in the database) */
};

/* Loads <data_dir>/keys/app.key, creating it (and keys/) on first run with
 * fresh random bytes; a key file of the wrong size or with group/other
 * permissions is refused. Call once before threads start. 0, or -1 after
 * logging why. */
int secrets_init(const char *data_dir);
/* Wipes the key from memory. */
void secrets_done(void);
/* 1 when secrets_init succeeded. */
int secrets_ready(void);
/* Writes the 32-byte subkey for a purpose into out (wipe it after use).
 * 0, or -1 when no key is loaded. */
int secrets_subkey(enum secret_purpose p, unsigned char out[SECRETS_KEY_BYTES]);
/* Seals plain[0..len) with the purpose's subkey: out receives nonce(24) ||
 * ciphertext+tag, i.e. len + SECRETS_SEAL_OVERHEAD bytes. ad (adlen bytes,
 * may be NULL) binds the ciphertext to a context such as the user id.
 * 0, or -1. */
int secrets_seal(enum secret_purpose p, const unsigned char *plain, size_t len, const unsigned char *ad,
                 size_t adlen, unsigned char *out);
/* Opens what secrets_seal made (inlen bytes) into out (inlen -
 * SECRETS_SEAL_OVERHEAD bytes). 0, or -1 when forged, truncated or sealed
 * with another key or context. */
int secrets_open(enum secret_purpose p, const unsigned char *in, size_t inlen, const unsigned char *ad,
                 size_t adlen, unsigned char *out);
/* Keyed BLAKE2b-256 of data with the purpose's subkey into out[32]. 0 or -1. */
int secrets_mac(enum secret_purpose p, const void *data, size_t len, unsigned char out[32]);
#endif
