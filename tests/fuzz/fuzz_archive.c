/* libFuzzer target for archive intake: ZIP and ISO 9660 through libarchive, as intake reads
 * them (streamed, zip + iso9660 formats), with one level of nesting: an entry that sniffs as ZIP
 * or ISO is opened the same way (an archive found at the second level is not opened). Every
 * entry name goes through the packaging checks; every entry's bytes are sniffed and, when DICOM,
 * read by the header reader with its pixel check. Bounded like intake: entries, bytes per entry
 * and in total. Any crash, leak or sanitizer report is a finding. */
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/dicom.h"
#include "dicom/packaging.h"
#include "dicom/sniff.h"

#define MAX_ENTRIES 64
#define MAX_ENTRY ((size_t)4 << 20)
#define MAX_TOTAL ((size_t)16 << 20)

struct budget {
  size_t total;
  unsigned entries;
};

static void walk(const uint8_t *data, size_t size, int depth, struct budget *b);

/* Reads the current entry (bounded) and examines it. */
static void take(struct archive *ar, const char *name, int depth, struct budget *b) {
  size_t cap = 65536, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return;
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_ENTRY) break;
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    la_ssize_t r = archive_read_data(ar, buf + n, cap - n);
    if (r <= 0) break;
    n += (size_t)r;
    b->total += (size_t)r;
    if (b->total > MAX_TOTAL) break;
  }
  enum sniff_kind k = sniff_bytes(buf, n < SNIFF_WANT_BYTES ? n : SNIFF_WANT_BYTES, name);
  if ((k == SNIFF_ZIP || k == SNIFF_ISO9660) && depth < 2) {
    walk(buf, n, depth + 1, b);
  } else if (k == SNIFF_DICOM) {
    struct dicom_info d;
    char err[128];
    if (dicom_parse(buf, n, 1, &d, err, sizeof err) == DICOM_OK) (void)dicom_pixels_in_buffer(&d, buf, n);
  }
  free(buf);
}

static void walk(const uint8_t *data, size_t size, int depth, struct budget *b) {
  struct archive *ar = archive_read_new();
  if (!ar) return;
  archive_read_support_format_zip(ar);
  archive_read_support_format_iso9660(ar);
  if (archive_read_open_memory(ar, data, size) != ARCHIVE_OK) goto done;
  struct archive_entry *ent;
  for (;;) {
    int hr = archive_read_next_header(ar, &ent);
    if (hr != ARCHIVE_OK && hr != ARCHIVE_WARN) break;
    if (++b->entries > MAX_ENTRIES || b->total > MAX_TOTAL) break;
    const char *nm = archive_entry_pathname_utf8(ent);
    if (!nm) nm = archive_entry_pathname(ent);
    if (archive_entry_filetype(ent) == AE_IFDIR) continue;
    if (nm && packaging_system_file(nm)) continue;
    if (archive_entry_hardlink(ent) || archive_entry_symlink(ent) || archive_entry_filetype(ent) != AE_IFREG) continue;
    if (packaging_unsafe_name(nm)) continue;
    take(ar, nm, depth, b);
  }
done:
  archive_read_free(ar);
}

/* Entry names are converted to the locale, as in the server's unpacking threads: UTF-8. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  setlocale(LC_CTYPE, "C.UTF-8");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct budget b = {0, 0};
  walk(data, size, 1, &b);
  return 0;
}
