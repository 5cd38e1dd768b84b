/* Content sniffing from magic numbers (see sniff.h). */
#include "dicom/sniff.h"

#include <string.h>
#include <strings.h>

#include "dicom/dicom.h"

static int has_at(const unsigned char *buf, size_t len, size_t off, const void *magic, size_t n) {
  return len >= off && len - off >= n && memcmp(buf + off, magic, n) == 0;
}

static int is_executable(const unsigned char *buf, size_t len) {
  static const unsigned char macho[][4] = {{0xFE, 0xED, 0xFA, 0xCE}, {0xFE, 0xED, 0xFA, 0xCF},
                                           {0xCE, 0xFA, 0xED, 0xFE}, {0xCF, 0xFA, 0xED, 0xFE},
                                           {0xCA, 0xFE, 0xBA, 0xBE}};
  if (has_at(buf, len, 0, "\x7f" "ELF", 4) || has_at(buf, len, 0, "MZ", 2) ||
      has_at(buf, len, 0, "#!", 2))
    return 1;
  for (size_t i = 0; i < sizeof macho / sizeof *macho; i++)
    if (has_at(buf, len, 0, macho[i], 4)) return 1;
  return 0;
}

/* Text starting (after a UTF-8 BOM and blank space) with "[autorun]", any case. */
static int is_autorun_text(const unsigned char *buf, size_t len) {
  size_t i = has_at(buf, len, 0, "\xEF\xBB\xBF", 3) ? 3 : 0;
  while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
  return len - i >= 9 && strncasecmp((const char *)buf + i, "[autorun]", 9) == 0;
}

static const char *base_name(const char *name) {
  const char *b = name;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == '\\') b = p + 1;
  return b;
}

static int is_program_name(const char *base) {
  static const char *const exts[] = {".exe", ".com", ".bat", ".cmd", ".msi", ".dll", ".scr",
                                     ".pif", ".vbs", ".js",  ".jar", ".ps1", ".sh",  ".app",
                                     ".lnk", ".cpl", ".hta", ".wsf", ".dmg", ".pkg"};
  size_t n = strlen(base);
  for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
    size_t m = strlen(exts[i]);
    if (n > m && strcasecmp(base + n - m, exts[i]) == 0) return 1;
  }
  return 0;
}

/* Classifies a file prefix; see sniff.h. */
enum sniff_kind sniff_bytes(const unsigned char *buf, size_t len, const char *name_hint) {
  if (!buf) len = 0;
  if (is_executable(buf, len)) return SNIFF_EXECUTABLE;
  if (name_hint) {
    const char *base = base_name(name_hint);
    if (strcasecmp(base, "autorun.inf") == 0) return SNIFF_AUTORUN;
    if (is_program_name(base)) return SNIFF_EXECUTABLE;
  }
  if (is_autorun_text(buf, len)) return SNIFF_AUTORUN;
  if (has_at(buf, len, 128, "DICM", 4)) {
    struct dicom_info info;
    (void)dicom_parse_meta(buf, len, &info, NULL, 0); /* the meta group says whether DICOMDIR */
    return info.is_dicomdir ? SNIFF_DICOMDIR : SNIFF_DICOM;
  }
  if (has_at(buf, len, 0, "%PDF-", 5)) return SNIFF_PDF;
  if (has_at(buf, len, 0, "\xFF\xD8\xFF", 3)) return SNIFF_JPEG;
  if (has_at(buf, len, 0, "\x89PNG\r\n\x1A\n", 8)) return SNIFF_PNG;
  if (has_at(buf, len, 0, "PK\x03\x04", 4) || has_at(buf, len, 0, "PK\x05\x06", 4))
    return SNIFF_ZIP;
  if (dicom_sniff_headerless(buf, len)) return SNIFF_DICOM; /* older CDs: no preamble */
  /* Volume descriptors start at sector 16 (2048-byte sectors); the first may be a boot record. */
  for (size_t off = 32769; off <= 32769 + 2 * 2048; off += 2048)
    if (has_at(buf, len, off, "CD001", 5)) return SNIFF_ISO9660;
  return SNIFF_UNKNOWN;
}

/* Constant name of a kind. */
const char *sniff_kind_name(enum sniff_kind k) {
  switch (k) {
  case SNIFF_UNKNOWN: return "unknown";
  case SNIFF_DICOM: return "dicom";
  case SNIFF_DICOMDIR: return "dicomdir";
  case SNIFF_PDF: return "pdf";
  case SNIFF_JPEG: return "jpeg";
  case SNIFF_PNG: return "png";
  case SNIFF_ZIP: return "zip";
  case SNIFF_ISO9660: return "iso9660";
  case SNIFF_EXECUTABLE: return "executable";
  case SNIFF_AUTORUN: return "autorun";
  }
  return "unknown";
}
