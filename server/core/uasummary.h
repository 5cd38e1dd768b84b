/* A User-Agent header summarised in plain words for the list of sessions
 * ("Firefox on Linux", "Safari on iPhone", "Chrome on Android"). Pure. */
#ifndef SECONDOP_UASUMMARY_H
#define SECONDOP_UASUMMARY_H
#include <stddef.h>

/* Writes the summary into out (cap bytes, always terminated); an empty or
 * unknown agent gives "Unknown browser" or "Unknown browser on <system>".
 * Returns out. */
char *ua_summary(const char *ua, char *out, size_t cap);
#endif
