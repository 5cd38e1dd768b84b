/* libFuzzer target: the CSV reader sees uploaded directory files. Every record
 * read is written back with the writer and must read back identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct csv_reader r;
  csv_reader_init(&r, (const char *)data, size, 64, 4096);
  while (csv_next(&r) == CSV_RECORD) {
    struct csv_out o = {0};
    for (size_t i = 0; i < r.nfields; i++) csv_write_field(&o, r.fields[i], r.lens[i]);
    csv_end_record(&o);
    if (o.oom) {
      free(o.data);
      continue;
    }
    struct csv_reader back;
    csv_reader_init(&back, o.data, o.len, 64, 4096);
    enum csv_rc rc = csv_next(&back);
    if (rc != CSV_RECORD || back.nfields != r.nfields) abort();
    for (size_t i = 0; i < r.nfields; i++)
      if (back.lens[i] != r.lens[i] || memcmp(back.fields[i], r.fields[i], r.lens[i]) != 0) abort();
    if (csv_next(&back) != CSV_END) abort();
    csv_reader_free(&back);
    free(o.data);
  }
  csv_reader_free(&r);
  return 0;
}
