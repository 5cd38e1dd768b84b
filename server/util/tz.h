/* Time as people live it: instants shown in a person's own time zone.
 *
 * Zones are read from the system's tz database (/usr/share/zoneinfo, RFC 8536
 * TZif files, the POSIX TZ footer for instants after the last transition) by
 * our own reader, because glibc's localtime() reads one process-wide TZ: a
 * setenv("TZ") + tzset() per request would race between the HTTP threads. A
 * loaded zone is immutable and cached for the life of the process (the cache
 * is guarded by a mutex), so every function here is safe on any thread.
 *
 * Instants travel between the database and the pages in one wire form,
 * "YYYY-MM-DDTHH:MM:SSZ" (UTC; SQL: TZ_SQL(x)), and tz_format() is the one
 * function that turns an instant into words for a page or an e-mail. */
#ifndef SECONDOP_TZ_H
#define SECONDOP_TZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* SQL that renders a timestamptz expression in the wire form. */
#define TZ_SQL(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TZ_NAME_MAX 64
/* The zone used when an account has none (accounts made before zones). */
#define TZ_DEFAULT "UTC"

struct tz;

/* Where the tz database is (default /usr/share/zoneinfo). Call before
 * threads start; copied. */
void tz_set_dir(const char *dir);
/* The zone named like "America/Los_Angeles", loaded once and kept; NULL when
 * the name is not a zone of the tz database (or is badly formed). */
const struct tz *tz_get(const char *name);
/* True when name is a zone of the tz database. */
bool tz_name_ok(const char *name);

/* Wall-clock time of an instant in a zone. */
struct tz_local {
  int year, mon, day, hour, min, sec; /* mon 1..12 */
  int wday;                           /* 0 Sunday .. 6 Saturday */
  long utoff;                         /* seconds east of UTC */
  bool dst;
  char abbr[16];                      /* "CET", "PDT", "-03" */
};
/* Fills *out for instant t (seconds since 1970 UTC). False only on a NULL zone. */
bool tz_to_local(const struct tz *z, int64_t t, struct tz_local *out);
/* The instant of a wall-clock time in zone z. A time that occurs twice (the
 * hour when clocks go back) is the first; a time that does not exist (the hour
 * clocks skip) gives 1 and *t the instant an hour-accurate clock would show
 * after the jump. Returns 0, 1, or -1 for an impossible date or time. */
int tz_from_local(const struct tz *z, int year, int mon, int day, int hour, int min, int64_t *t);

enum tz_style {
  TZ_SHORT, /* 2026-12-01 14:05 CET */
  TZ_LONG,  /* Tuesday 1 December 2026 at 14:05 CET */
  TZ_DATE,  /* 2026-12-01 (the local date) */
  TZ_DAY,   /* Tuesday 1 December 2026 */
  TZ_SECONDS, /* 2026-12-01 14:05:09 CET (the audit log) */
};
/* Writes instant t as seen in zone `zone` (an unknown zone reads as UTC) in
 * the given style into buf; returns buf ("" when it does not fit). */
const char *tz_format(char *buf, size_t n, int64_t t, const char *zone, enum tz_style style);
/* Same, in the arena; NULL when out of memory. */
const char *tz_format_a(struct arena *a, int64_t t, const char *zone, enum tz_style style);

/* Parses the wire form "YYYY-MM-DDTHH:MM:SSZ". */
bool tz_parse_wire(const char *s, int64_t *t);
/* The wire form of an instant into buf (at least 21 bytes). */
void tz_wire(char buf[21], int64_t t);
/* Converts a wire-form value to words in zone (TZ_SHORT etc.); any other
 * text (including "") comes back unchanged. NULL only when out of memory. */
const char *tz_localize(struct arena *a, const char *value, const char *zone, enum tz_style style);

/* The zone of the person the current thread is serving (set by the HTTP
 * layer when it knows who is asking, reset when the request ends); TZ_DEFAULT
 * when none. The name is copied into thread-local storage. */
void tz_view_set(const char *name);
const char *tz_view(void);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t tz_days_from_civil(int y, int m, int d);
void tz_civil_from_days(int64_t z, int *y, int *m, int *d);
#endif
