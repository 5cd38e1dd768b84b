/* DICOMweb (PS3.18) pieces that need no database and no HTTP library: the attributes we
 * answer with and their tags, the DICOM JSON model (Annex F) written from a parsed header,
 * QIDO-RS query parameters (matching keys with wildcards and date ranges, limit, offset,
 * includefield) and content negotiation over Accept headers as real clients send them
 * (quoted or unquoted parameters, q-values, wildcards). Pure functions: unit tested in
 * tests/unit/test_dicomweb.c. */
#ifndef SECONDOP_DICOMWEB_H
#define SECONDOP_DICOMWEB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct dicom_info;
struct json_t;

/* ---- attributes ---- */

struct dw_attr {
  uint32_t tag;
  const char *keyword; /* "PatientName" */
  const char *vr;      /* "PN" */
};

/* The attribute with this keyword (case-sensitive, as PS3.6 spells it) or 8 hex digits
 * ("00100010", either case); NULL when we do not know it. */
const struct dw_attr *dw_attr_find(const char *name);
/* The attribute of a tag, or NULL. */
const struct dw_attr *dw_attr_by_tag(uint32_t tag);
/* The level an attribute belongs to in a QIDO-RS answer: 0 patient/study, 1 series, 2 instance
 * (a study result carries level 0 only, a series result 0 and 1). SpecificCharacterSet,
 * RetrieveURL and InstanceAvailability are -1: every level. */
int dw_attr_level(uint32_t tag);
/* The JSON key of a tag: 8 upper-case hex digits (buf of 9). */
void dw_tag_key(uint32_t tag, char buf[9]);

/* Sets attribute tag with value text (DICOM's own string form: multiple values separated by
 * '\\', PN groups by '=') in the JSON object obj, as Annex F writes it: {"vr": VR} alone when
 * text is NULL or empty; PN as [{"Alphabetic": ..., "Ideographic": ..., "Phonetic": ...}];
 * IS, DS as numbers (a value that is not a number is left out); US, UL, SS, SL as integers;
 * everything else as strings. 0, or -1 (unknown tag, out of memory). */
int dw_json_set(struct json_t *obj, uint32_t tag, const char *text);
/* The same with an integer value. */
int dw_json_set_int(struct json_t *obj, uint32_t tag, long long v);

/* The instance's attributes as we know them from its header, as a DICOM JSON object (new
 * reference; NULL when out of memory): patient, study, series and instance identification,
 * the image pixel module, VOI and rescale, view and laterality, the transfer syntax. This is
 * what intake stores (dicom_attrs) and what WADO-RS metadata answers. */
struct json_t *dw_instance_json(const struct dicom_info *di);

/* ---- QIDO-RS ---- */

enum dw_level { DW_STUDY, DW_SERIES, DW_INSTANCE };

#define DW_MAX_INCLUDE 32
#define DW_DEFAULT_LIMIT 100
#define DW_MAX_LIMIT 1000

struct dw_query {
  enum dw_level level;
  /* matching keys; NULL when not given */
  const char *study_uid, *series_uid, *sop_uid; /* one UID, or several joined by commas */
  const char *patient_name_like;  /* SQL LIKE pattern, '\\' escapes (PatientName with * and ?) */
  const char *patient_id, *accession, *modality, *sop_class_uid;
  const char *date_from, *date_to; /* YYYYMMDD, either may be NULL (open range) */
  long limit, offset;
  bool include_all;
  uint32_t include[DW_MAX_INCLUDE];
  size_t n_include;
};

/* Turns a DICOM wildcard value (* any run, ? one character) into a SQL LIKE pattern with '\\'
 * as the escape (%, _ and \\ in the value are escaped). Arena string; NULL when out of memory. */
char *dw_wildcard_to_like(struct arena *a, const char *value);

/* Reads a StudyDate value: "YYYYMMDD" (that day), "YYYYMMDD-YYYYMMDD", "YYYYMMDD-" (from),
 * "-YYYYMMDD" (until); every date a real calendar date and from <= to. Fills from/to (9 bytes
 * each; "" for an open end). 0, or -1. */
int dw_date_range(const char *value, char from[9], char to[9]);

/* Parses QIDO-RS query parameters (names[i]=values[i], n of them) for a level. Keys are
 * keywords or tags; `limit`, `offset`, `includefield` (repeatable, comma-separated, `all`),
 * `fuzzymatching` (accepted, ignored). 0, or -1 with a sentence in why (names the key and
 * what is wrong) for an unknown key, a key not searchable at this level, a bad value. */
int dw_query_parse(struct arena *a, enum dw_level level, const char *const *names, const char *const *values,
                   size_t n, struct dw_query *out, char *why, size_t whylen);

/* True when the answer at q's level should carry tag: the level's default attributes
 * (PS3.18 Table 10.6.3-3..5), those asked for with includefield, everything with `all`. */
bool dw_query_includes(const struct dw_query *q, uint32_t tag);

/* ---- content negotiation ---- */

/* What a resource can answer with: a media type, for multipart/related the type of its parts,
 * and the transfer syntax of the bytes (NULL: none applies). */
struct dw_offer {
  const char *media;   /* "multipart/related", "application/dicom+json", "image/png" */
  const char *part;    /* multipart only: "application/dicom", "application/octet-stream", "image/jpeg" */
  const char *tsyntax; /* transfer syntax UID of the payload, or NULL */
};

/* Picks the offer the Accept header value prefers: the offer whose best matching media range has
 * the highest q (ties: the earlier offer). A missing or empty header accepts the first offer.
 * Media ranges match case-insensitively, with "* / *" and "type/ *"; a range's `type` parameter
 * (quoted or not) must match the offer's part type (multipart ranges without it accept any part);
 * its `transfer-syntax` parameter, unless "*", must equal the offer's syntax (an offer without a
 * syntax matches only "*" or no parameter). q=0 refuses. Returns the index, or -1 when nothing
 * is acceptable or the header cannot be read (why says which). */
int dw_negotiate(const char *accept, const struct dw_offer *offers, size_t n, char *why, size_t whylen);

/* The media type of the compressed frames of an encapsulated transfer syntax (PS3.18 Table
 * 8.7.3-5: image/jpeg, image/jls, image/jp2, image/jpx, image/x-dicom-rle, video/mpeg2,
 * video/mp4), or NULL for native (and unknown) syntaxes. */
const char *dw_frame_media_type(const char *tsyntax);
/* True for the native (uncompressed, not deflated) transfer syntaxes: implicit and explicit VR
 * little endian. Big endian and deflate are neither native here nor encapsulated. */
bool dw_tsyntax_native_le(const char *tsyntax);

/* Parses a frame list "1,3,5" (1-based, ascending order not required, at most max entries, each
 * at most frames). Fills out[] and *n. 0, or -1 with why. */
int dw_frame_list(const char *text, long frames, long *out, size_t max, size_t *n, char *why, size_t whylen);

/* The viewer's own preview PNG (core/render.c render_png: 8-bit grey or RGB, one IDAT, no
 * filters, at most 4096 pixels a side) as a baseline JPEG of the given quality (1-100), for
 * rendered answers that ask for image/jpeg. *out is malloc'd (caller frees). 0, or -1 when the
 * PNG is not one render_png writes or out of memory. */
int dw_png_to_jpeg(const unsigned char *png, size_t len, int quality, unsigned char **out, size_t *outlen);
#endif
