/* DICOM Part 10 metadata reader: the few attributes the portal shows and checks.
 * Our own small parser; it never touches pixel data and never trusts a length. */
#ifndef SECONDOP_DICOM_H
#define SECONDOP_DICOM_H
#include <stddef.h>

enum dicom_rc { DICOM_OK = 0, DICOM_NEED_MORE = 1, DICOM_NOT_DICOM = 2, DICOM_MALFORMED = 3 };

/* Why a file is not a readable DICOM file, for the words a patient is shown. */
enum dicom_problem {
  DICOM_PROBLEM_NONE = 0,
  DICOM_PROBLEM_TRUNCATED,     /* the bytes end inside the header: cut short */
  DICOM_PROBLEM_BAD_ELEMENT,   /* an element header that is not DICOM (unknown VR, stray item) */
  DICOM_PROBLEM_NESTING,       /* sequences nested deeper than DICOM_MAX_DEPTH */
  DICOM_PROBLEM_NO_META,       /* "DICM" but no usable file meta information */
  DICOM_PROBLEM_DEFLATE,       /* the deflated data set does not inflate */
  DICOM_PROBLEM_TOO_LARGE      /* the header exceeds the header budget */
};

/* Pixel data as found: absent, complete, or present but not all there. */
enum dicom_pixels { DICOM_PIXELS_NONE = 0, DICOM_PIXELS_COMPLETE, DICOM_PIXELS_INCOMPLETE };

/* Sequences may nest this deep (PS3.5 sets no limit; 64 levels must be accepted). */
#define DICOM_MAX_DEPTH 128

/* Window center/width pairs kept from a header (further pairs are ignored). */
#define DICOM_MAX_WINDOWS 8

/* A LUT of a VOI LUT or Modality LUT Sequence item (PS3.3 C.11.1, C.11.2). The table itself
 * stays in the file: data_offset/data_length say where LUT Data (0028,3006) lies (data_known 0
 * for deflated data sets, or when an item had no LUT Data). */
struct dicom_lut {
  unsigned entries;     /* LUT Descriptor value 1 (0 in the file means 65536) */
  unsigned first_raw;   /* value 2 as stored: the first input value mapped (US or SS bits) */
  unsigned bits;        /* value 3: bits per entry (8 or 16) */
  int descriptor_ok;    /* three values were read */
  int data_known;
  unsigned long long data_offset;
  unsigned long data_length;
  char explanation[65]; /* LUT Explanation (0028,3003), cleaned to UTF-8 */
};

/* VOI LUT Sequence items kept from a header. */
#define DICOM_MAX_VOI_LUTS 4

struct dicom_info {
  char transfer_syntax[65], sop_class_uid[65], sop_instance_uid[65], study_instance_uid[65],
      series_instance_uid[65];
  char modality[17];
  char laterality[17]; /* ImageLaterality (0020,0062), else Laterality (0020,0060) */
  char view_position[17];
  /* text values below are UTF-8, decoded from Specific Character Set (invalid bytes U+FFFD) */
  char study_date[17], study_description[200], series_description[200], patient_name[400],
      patient_birth_date[17], patient_sex[17], manufacturer[200];
  char specific_charset[65]; /* (0008,0005) as found (ASCII) */
  size_t charset_replacements; /* bytes that could not be decoded (each shown as U+FFFD) */
  int charset_unknown;         /* terms of (0008,0005) we do not know (decoded as ASCII) */
  int is_dicomdir; /* MediaStorageSOPClassUID 1.2.840.10008.1.3.10 */
  int has_pixel_data;
  int no_preamble; /* no 128-byte preamble and "DICM": the transfer syntax was inferred */
  /* image pixel module (0 when absent) */
  unsigned rows, columns, samples_per_pixel, bits_allocated;
  long number_of_frames; /* (0028,0008); 0 when absent */
  /* top-level Pixel Data: offset of its value in the file, its length (0xFFFFFFFF: encapsulated) */
  int pixel_encapsulated, pixel_offset_known;
  unsigned long long pixel_offset;
  unsigned long pixel_length;
  enum dicom_problem problem; /* with DICOM_MALFORMED */
  unsigned long long problem_at; /* byte offset where it was found */
  /* image pixel module, continued (for decoding; 0 / "" when absent) */
  unsigned bits_stored, high_bit, pixel_representation, planar_configuration;
  int has_bits_stored, has_high_bit;
  char photometric[17]; /* Photometric Interpretation (0028,0004), e.g. "MONOCHROME2" */
  /* Modality LUT: Rescale Slope/Intercept (0028,1053)/(0028,1052); has_rescale when both read */
  int has_rescale;
  double rescale_slope, rescale_intercept;
  /* VOI: Window Center/Width pairs (0028,1050)/(0028,1051), their explanations (0028,1055)
   * (cleaned to UTF-8), VOI LUT Function (0028,1056) as found ("" = LINEAR) */
  int window_count;
  double window_center[DICOM_MAX_WINDOWS], window_width[DICOM_MAX_WINDOWS];
  char window_explanation[DICOM_MAX_WINDOWS][65];
  char voi_lut_function[17];
  /* VOI LUT Sequence (0028,3010) items (the first DICOM_MAX_VOI_LUTS; voi_lut_count counts all)
   * and the Modality LUT Sequence (0028,3000) item: where each LUT's data lies in the file */
  int voi_lut_count, has_modality_lut;
  struct dicom_lut voi_lut[DICOM_MAX_VOI_LUTS], modality_lut;
  /* file offset where the data set starts (after the meta group); for a deflated data set,
   * where the deflate stream starts (pixel_offset then counts in the inflated bytes) */
  unsigned long long dataset_offset;
  /* for the viewer (appended; "" / 0 when absent) */
  char patient_orientation[65]; /* Patient Orientation (0020,0020) as found, e.g. "P\\L" */
  char view_code[17];           /* View Code Sequence (0054,0220): Code Value of its first item */
  int view_spot, view_magnified; /* View Modifier Code Sequence (0054,0222): spot compression, magnification */
  int has_pixel_spacing, has_imager_pixel_spacing; /* two values read */
  double pixel_spacing[2];         /* Pixel Spacing (0028,0030): row spacing, column spacing in mm */
  double imager_pixel_spacing[2];  /* Imager Pixel Spacing (0018,1164) */
  /* for a DICOMDIR (appended; "" when absent; cleaned, trailing spaces trimmed) */
  char patient_id[65], study_time[17], accession_number[17], study_id[17], series_number[13],
      instance_number[13];
};

/* Header budget: the most bytes before Pixel Data that intake reads to find the header. */
#define DICOM_HEADER_BUDGET ((size_t)64 << 20)

/* Largest inflated prefix of a deflated data set we examine before giving up. */
#define DICOM_INFLATE_MAX ((size_t)8 << 20)

/* Parses a Part 10 file (128-byte preamble + "DICM" + meta group) from buf[0..len) and fills
 * *out (zeroed first). Stops at top-level Pixel Data (7FE0,0010). Only top-level attributes are
 * read; sequences are skipped (nesting up to DICOM_MAX_DEPTH). Text values are decoded to UTF-8
 * from Specific Character Set; UIDs and codes are cleaned to valid UTF-8; trailing spaces/NULs
 * trimmed, truncated to the field size. A data set without preamble (implicit or explicit VR
 * little endian starting with group 0008, or a meta group at offset 0) is read when a whole
 * file parses that way (no_preamble set); otherwise it is DICOM_NOT_DICOM.
 * Returns DICOM_OK; DICOM_NEED_MORE when buf ended before Pixel Data / the end of the data set
 * and is_complete_file == 0 (call again with a longer prefix); DICOM_NOT_DICOM when "DICM" is
 * absent; DICOM_MALFORMED with a short reason in err (may be NULL) otherwise. On NEED_MORE and
 * MALFORMED the fields found so far are set (is_dicomdir once the meta group was read).
 * Allocates only for deflated data sets (at most DICOM_INFLATE_MAX, freed before return). */
enum dicom_rc dicom_parse(const unsigned char *buf, size_t len, int is_complete_file,
                          struct dicom_info *out, char *err, size_t errlen);

/* Reads only the preamble and meta group of buf[0..len) (a prefix), filling transfer_syntax and
 * is_dicomdir in *out (zeroed first). Cheap: never touches the data set, never allocates.
 * Returns DICOM_OK, DICOM_NEED_MORE (prefix ends inside the meta group), DICOM_NOT_DICOM or
 * DICOM_MALFORMED (reason in err, may be NULL). */
enum dicom_rc dicom_parse_meta(const unsigned char *buf, size_t len, struct dicom_info *out,
                               char *err, size_t errlen);

/* True when a prefix reads as a DICOM data set without the preamble (see dicom_parse). */
int dicom_sniff_headerless(const unsigned char *buf, size_t len);

/* Scanner over the bytes of an encapsulated Pixel Data value (items after the element header),
 * fed in pieces. Counts the basic offset table's entries and the fragments. */
struct dicom_pixscan {
  int big, done, bad;         /* done: sequence delimiter seen; bad: not an item */
  unsigned char hdr[8];
  unsigned hlen;
  unsigned long long skip;    /* bytes of the current item still to skip */
  long items;                 /* items seen (the first is the basic offset table) */
  unsigned long bot_length;   /* length of the first item */
};
void dicom_pixscan_init(struct dicom_pixscan *s, int big_endian);
/* Feeds n bytes; stops consuming once done or bad. */
void dicom_pixscan_feed(struct dicom_pixscan *s, const unsigned char *p, size_t n);

/* Frames in an image: Number of Frames, 1 when absent and there is pixel data, else 0. */
long dicom_frames(const struct dicom_info *d);

/* Native pixel data length rows x columns x samples x bits allocated / 8 x frames (rounded up
 * for 1-bit data); 0 when the image pixel module is incomplete. */
unsigned long long dicom_native_length(const struct dicom_info *d);

/* Judges the pixel data of a parsed file of file_size bytes. For native data this needs
 * nothing else; for encapsulated data pass the scan of the bytes from pixel_offset to the end
 * (NULL: judged incomplete). Deflated data sets are judged complete when pixel data is present
 * (their offsets are not file offsets). */
enum dicom_pixels dicom_pixels_judge(const struct dicom_info *d, unsigned long long file_size,
                                     const struct dicom_pixscan *scan);

/* Convenience for a whole file in memory: parse + judge (scanning buf when encapsulated). */
enum dicom_pixels dicom_pixels_in_buffer(const struct dicom_info *d, const unsigned char *buf, size_t len);

/* The mammography view of an image: "CC", "MLO", "ML", "LM", "LMO", "FB", "SIO", "ISO",
 * "XCCL", "XCCM", "SPOT", "MAG" or "".
 * From the View Code Sequence (SNOMED CT codes of PS3.16 CID 4014, or the older SNOMED-RT
 * ones); spot compression / magnification from the View Modifier Code Sequence (CID 4015)
 * override the view; without a known code, from View Position (0018,5101). Constant string. */
const char *dicom_mammo_view(const struct dicom_info *d);

/* Short constant name of a return code ("ok", "need-more", ...). */
const char *dicom_rc_name(enum dicom_rc rc);

#endif
