/* Names inside uploaded packaging (see packaging.h). */
#include "dicom/packaging.h"

#include <string.h>
#include <strings.h>

static const char *last_component(const char *n) {
  const char *s = strrchr(n, '/');
  return s ? s + 1 : n;
}

int packaging_system_file(const char *name) {
  if (!name) return 0;
  const char *p = name;
  while (*p) {
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == 8 && strncmp(p, "__MACOSX", 8) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  const char *b = last_component(name);
  return strncmp(b, "._", 2) == 0 || strcasecmp(b, ".DS_Store") == 0 || strcasecmp(b, "Thumbs.db") == 0 ||
         strcasecmp(b, "desktop.ini") == 0;
}

int packaging_unsafe_name(const char *n) {
  if (!n || !*n || n[0] == '/' || strchr(n, '\\')) return 1;
  const char *p = n;
  while (*p) {
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == 2 && p[0] == '.' && p[1] == '.') return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}
