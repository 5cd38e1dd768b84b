/* libFuzzer target: the DICOMweb parsers that see outside bytes: the Accept header, QIDO-RS
 * query parameters (split here into name=value pairs at '&'), frame lists and date ranges. */
#include <stdint.h>
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
  dw_negotiate(s, offers, 3, why, sizeof why);
  long list[16];
  size_t n;
  dw_frame_list(s, 1000, list, 16, &n, why, sizeof why);
  char f[9], t[9];
  dw_date_range(s, f, t);
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
