/* Where the key material is: see keydir.h. */
#include "util/keydir.h"

#include <stdio.h>

static const char *given;

void keydir_set(const char *dir) { given = dir && *dir ? dir : NULL; }

int keydir_given(void) { return given != NULL; }

int keydir_path(const char *data_dir, char *out, size_t cap) {
  int n = given ? snprintf(out, cap, "%s", given) : snprintf(out, cap, "%s/keys", data_dir);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}
