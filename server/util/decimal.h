/* Strict decimal integers as they come from outside: headers, job payloads,
 * path parameters, environment settings. */
#ifndef SECONDOP_DECIMAL_H
#define SECONDOP_DECIMAL_H
#include <stdint.h>

/* Digits only (no sign, space, hex or exponent), at least one, no overflow of
 * uint64. Returns 0 and sets *out, or -1. */
int decimal_u64(const char *s, uint64_t *out);
#endif
