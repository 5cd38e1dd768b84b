/* iCalendar (RFC 5545) for a consultation the patient adds to her calendar:
 * CRLF line endings, content lines folded at 75 octets (never inside a UTF-8
 * character), TEXT values escaped (backslash, semicolon, comma, newline),
 * times in UTC. Pure functions; strings come from the arena (NULL when out
 * of memory). */
#ifndef SECONDOP_ICS_H
#define SECONDOP_ICS_H
#include <stdint.h>

struct arena;

/* A TEXT value escaped per RFC 5545 3.3.11: \ ; , become \\ \; \, and a line
 * break (CRLF, LF or CR) becomes \n; other control characters are dropped. */
const char *ics_escape(struct arena *a, const char *text);
/* One content line (without its CRLF) folded: every physical line at most 75
 * octets, continuation lines starting with one space, each followed by CRLF. */
const char *ics_fold(struct arena *a, const char *line);

struct ics_event {
  const char *uid;         /* globally unique, e.g. "consultation-12@portal.example.org" */
  int64_t stamp;           /* DTSTAMP: when the event was made (unix seconds) */
  int64_t start, end;      /* DTSTART / DTEND (unix seconds; written in UTC) */
  const char *summary;     /* plain words, no clinical details */
  const char *location;    /* may be "" */
  const char *description; /* may be "" */
};
/* A VCALENDAR with one VEVENT. */
const char *ics_calendar(struct arena *a, const struct ics_event *ev);
#endif
