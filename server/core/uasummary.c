/* User-Agent summary: see uasummary.h. Order matters: Edge and Opera say
 * "Chrome" too, Chrome says "Safari", Android says "Linux". */
#include "core/uasummary.h"

#include <stdio.h>
#include <string.h>

static const char *browser_of(const char *ua) {
  static const struct {
    const char *needle, *name;
  } b[] = {
      {"Edg/", "Edge"},       {"EdgA/", "Edge"},        {"OPR/", "Opera"},    {"Firefox/", "Firefox"},
      {"FxiOS/", "Firefox"},  {"SamsungBrowser/", "Samsung Internet"},      {"CriOS/", "Chrome"},
      {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl (command line)"},
      {"python-requests", "a Python program"},          {"Python-urllib", "a Python program"},
  };
  for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
    if (strstr(ua, b[i].needle)) return b[i].name;
  return NULL;
}

static const char *system_of(const char *ua) {
  static const struct {
    const char *needle, *name;
  } s[] = {
      {"iPhone", "iPhone"}, {"iPad", "iPad"},           {"Android", "Android"}, {"CrOS", "ChromeOS"},
      {"Windows", "Windows"}, {"Macintosh", "Mac"},     {"Mac OS X", "Mac"},    {"Linux", "Linux"},
  };
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    if (strstr(ua, s[i].needle)) return s[i].name;
  return NULL;
}

char *ua_summary(const char *ua, char *out, size_t cap) {
  if (!out || cap == 0) return out;
  const char *b = ua && *ua ? browser_of(ua) : NULL;
  const char *s = ua && *ua ? system_of(ua) : NULL;
  if (!b) b = "Unknown browser";
  if (s)
    snprintf(out, cap, "%s on %s", b, s);
  else
    snprintf(out, cap, "%s", b);
  return out;
}
