/* Signature matching for the HIPAA authorization: the name typed under it
 * against the signer's own account name. Pure (no HTTP, no SQL).
 *
 * Folds case (Unicode full case folding), accents (NFKD with combining marks
 * dropped) and spacing (every run of white space, no-break and em spaces
 * included, becomes one space; none at either end), then NFC. Nothing else:
 * hyphens, letters with strokes (ł, ø) and word order still count, so
 * "maria  jose rivera" signs for "María José Rivera" but "Rivera María José"
 * does not. The rule is the table tests/data/signature_fold.tsv. */
#ifndef SECONDOP_CORE_SIGFOLD_H
#define SECONDOP_CORE_SIGFOLD_H
#include <stddef.h>

#define SIGFOLD_MAX 512 /* bytes, folded name and its NUL */

/* Folds the UTF-8 name s into out (cap bytes). 0 on success; -1 when s is
 * NULL, not UTF-8, longer than 400 bytes, or the result does not fit. */
int sigfold(const char *s, char *out, size_t cap);
/* 1 when typed and account fold to the same non-empty text, else 0. */
int sigfold_match(const char *typed, const char *account);
#endif
