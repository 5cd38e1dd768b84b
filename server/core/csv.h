/* A small RFC 4180 CSV reader and writer.
 *
 * Reader: fields separated by ',', records by CRLF or LF; a field may be
 * quoted with '"' (then it may hold ',', '"' as '""', CR and LF). A UTF-8
 * byte-order mark at the start is skipped, empty lines are skipped, the last
 * record may lack its line break. Anything else (a quote inside an unquoted
 * field, text after a closing quote, an unterminated quote, a NUL byte,
 * invalid UTF-8) is an error with the line number where it was found. The
 * reader never reads past the buffer and bounds fields and record width.
 *
 * Writer: quotes a field only when it must (',', '"', CR, LF, leading or
 * trailing space), doubles quotes, ends records with CRLF. */
#ifndef SECONDOP_CSV_H
#define SECONDOP_CSV_H
#include <stdbool.h>
#include <stddef.h>

enum csv_rc {
  CSV_RECORD = 0,      /* a record is in fields[0..nfields) */
  CSV_END,             /* no more records */
  CSV_ERR_QUOTE,       /* a quoted field was never closed */
  CSV_ERR_BARE_QUOTE,  /* '"' inside an unquoted field */
  CSV_ERR_AFTER_QUOTE, /* something other than ',' or a line break after a closing quote */
  CSV_ERR_FIELD_LONG,  /* a field longer than max_field */
  CSV_ERR_TOO_MANY,    /* more fields in a record than max_fields */
  CSV_ERR_BINARY,      /* a NUL byte or invalid UTF-8 */
  CSV_ERR_NOMEM,
};

struct csv_reader {
  const char *p, *end;
  size_t line;          /* line number (1-based) at the reader's position */
  size_t record_line;   /* line where the last record (or error) started */
  size_t max_fields, max_field;
  /* the current record: NUL-terminated copies in buf */
  char **fields;
  size_t *lens;
  size_t nfields, cap_fields;
  char *buf;
  size_t buf_len, buf_cap;
  size_t *offs;
  enum csv_rc failed; /* the error once one was met, else CSV_RECORD */
};

/* Starts reading data[0..len) (borrowed; it must outlive the reader).
 * max_fields / max_field: widest record and longest field accepted (0 = 256 / 64 KiB). */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len, size_t max_fields, size_t max_field);
/* Reads the next record. CSV_RECORD: r->fields[i] (NUL-terminated, valid
 * until the next call) with r->lens[i], r->nfields, and r->record_line.
 * CSV_END at the end; an error code otherwise (r->line says where), after
 * which every call answers the same error. */
enum csv_rc csv_next(struct csv_reader *r);
/* Frees the reader's buffers (not the data). */
void csv_reader_free(struct csv_reader *r);
/* A sentence for an error code, for people. */
const char *csv_strerror(enum csv_rc rc);

/* Output buffer (malloc'd; free data with free()). oom is set on allocation
 * failure, after which appends do nothing. */
struct csv_out {
  char *data;
  size_t len, cap;
  bool oom;
  bool in_record; /* a field was written in the current record */
};

/* Appends one field (n bytes of s), with a separator when not first in its record. */
void csv_write_field(struct csv_out *o, const char *s, size_t n);
/* Same for a NUL-terminated string (NULL writes an empty field). */
void csv_write_str(struct csv_out *o, const char *s);
/* Ends the current record with CRLF. */
void csv_end_record(struct csv_out *o);
#endif
