/* Content type of an uploaded file from its first bytes, never from its name. */
#ifndef SECONDOP_SNIFF_H
#define SECONDOP_SNIFF_H
#include <stddef.h>

enum sniff_kind {
  SNIFF_UNKNOWN,
  SNIFF_DICOM,
  SNIFF_DICOMDIR,
  SNIFF_PDF,
  SNIFF_JPEG,
  SNIFF_PNG,
  SNIFF_ZIP,
  SNIFF_ISO9660,
  SNIFF_EXECUTABLE, /* ELF, PE 'MZ', Mach-O, shebang scripts */
  SNIFF_AUTORUN     /* autorun.inf text */
};

/* Bytes callers should pass when the file is that long: ISO 9660 needs offset 32769 + 5. */
#define SNIFF_WANT_BYTES ((size_t)40 << 10)

/* Classifies buf[0..len) (a prefix of the file; pass SNIFF_WANT_BYTES when available).
 * Executable signatures win over everything, so a DICOM file whose preamble is a PE or ELF
 * header (a polyglot, CVE-2019-11687) is SNIFF_EXECUTABLE. name_hint (may be NULL) is only used
 * to recognise AUTORUN.INF and program names (.exe, .bat, ...), which can only make the answer
 * SNIFF_AUTORUN / SNIFF_EXECUTABLE, never accept a type. Never fails; unknown is SNIFF_UNKNOWN. */
enum sniff_kind sniff_bytes(const unsigned char *buf, size_t len, const char *name_hint);

/* Constant lower-case name of a kind: "dicom", "dicomdir", "pdf", ..., "unknown". */
const char *sniff_kind_name(enum sniff_kind k);

#endif
