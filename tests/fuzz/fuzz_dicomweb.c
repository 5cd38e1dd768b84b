/* libFuzzer target: the DICOMweb parsers that see outside bytes: the Accept header, QIDO-RS
 * query parameters (split here into name=value pairs at '&'), frame lists and date ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/dicomweb.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const struct dw_offer offers[] = {
      {"multipart/related", "application/dicom", "1.2.840.10008.1.2.1"},
      {"multipart/related", "image/jls", "1.2.840.10008.1.2.4.80"},
      {"application/dicom+json", NULL, NULL},
  };
  struct arena *a = arena_new();
  char *s = a ? arena_strndup(a, (const char *)data, size) : NULL;
  if (!s) goto done;
  char why[400];
  /* what each parser promises (dicomweb.h), checked on every input */
  int k = dw_negotiate(s, offers, 3, why, sizeof why);
  if (k < -1 || k >= 3) abort();
  long list[16];
  size_t n;
  if (dw_frame_list(s, 1000, list, 16, &n, why, sizeof why) == 0) {
    if (n == 0 || n > 16) abort();
    for (size_t i = 0; i < n; i++)
      if (list[i] < 1 || list[i] > 1000) abort();
  }
  char f[9], t[9];
  if (dw_date_range(s, f, t) == 0) {
    size_t lf = strlen(f), lt = strlen(t);
    if ((lf != 0 && lf != 8) || (lt != 0 && lt != 8) || (lf == 0 && lt == 0)) abort();
    if (strspn(f, "0123456789") != lf || strspn(t, "0123456789") != lt) abort();
    if (lf && lt && strcmp(f, t) > 0) abort();
  }
  /* "k=v&k=v" */
  const char *names[16], *values[16];
  size_t np = 0;
  for (char *p = s; p && np < 16;) {
    char *amp = strchr(p, '&');
    if (amp) *amp = '\0';
    char *eq = strchr(p, '=');
    if (eq) *eq = '\0';
    names[np] = p;
    values[np++] = eq ? eq + 1 : "";
    p = amp ? amp + 1 : NULL;
  }
  struct dw_query q;
  for (int level = DW_STUDY; level <= DW_INSTANCE; level++)
    if (dw_query_parse(a, (enum dw_level)level, names, values, np, &q, why, sizeof why) == 0)
      for (uint32_t tag = 0x00080000u; tag < 0x00080100u; tag++) dw_query_includes(&q, tag);
done:
  arena_free(a);
  return 0;
}
