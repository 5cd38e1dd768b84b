/* iCalendar for consultations: see ics.h. */
#include "core/ics.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/arena.h"
#include "util/tz.h"

const char *ics_escape(struct arena *a, const char *s) {
  size_t n = strlen(s);
  char *o = arena_alloc(a, 2 * n + 1);
  if (!o) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && s[i + 1] == '\n') i++;
      o[j++] = '\\';
      o[j++] = 'n';
      continue;
    }
    if (ch < 0x20 || ch == 0x7f) continue;
    if (ch == '\\' || ch == ';' || ch == ',') o[j++] = '\\';
    o[j++] = (char)ch;
  }
  o[j] = '\0';
  return o;
}

const char *ics_fold(struct arena *a, const char *line) {
  size_t n = strlen(line);
  /* each physical line adds at most CRLF and a space */
  char *o = arena_alloc(a, n + (n / 70 + 2) * 3 + 1);
  if (!o) return NULL;
  size_t j = 0, i = 0;
  bool first = true;
  while (i < n || first) {
    size_t room = first ? 75 : 74; /* a continuation line's leading space counts */
    size_t take = n - i < room ? n - i : room;
    /* never split a UTF-8 character: back up over continuation bytes */
    while (take > 0 && i + take < n && ((unsigned char)line[i + take] & 0xC0) == 0x80) take--;
    if (!first) o[j++] = ' ';
    memcpy(o + j, line + i, take);
    j += take;
    o[j++] = '\r';
    o[j++] = '\n';
    i += take;
    first = false;
    if (take == 0) break;
  }
  o[j] = '\0';
  return o;
}

static const char *utc(struct arena *a, int64_t t) {
  char w[21];
  tz_wire(w, t); /* YYYY-MM-DDTHH:MM:SSZ */
  return arena_printf(a, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", w, w + 5, w + 8, w + 11, w + 14, w + 17);
}

const char *ics_calendar(struct arena *a, const struct ics_event *ev) {
  const char *summary = ics_escape(a, ev->summary ? ev->summary : "");
  const char *loc = ics_escape(a, ev->location ? ev->location : "");
  const char *desc = ics_escape(a, ev->description ? ev->description : "");
  const char *uid = ics_escape(a, ev->uid ? ev->uid : "");
  if (!summary || !loc || !desc || !uid) return NULL;
  const char *lines[] = {
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//secondop//consultation//EN",
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "BEGIN:VEVENT",
      arena_printf(a, "UID:%s", uid),
      arena_printf(a, "DTSTAMP:%s", utc(a, ev->stamp)),
      arena_printf(a, "DTSTART:%s", utc(a, ev->start)),
      arena_printf(a, "DTEND:%s", utc(a, ev->end)),
      arena_printf(a, "SUMMARY:%s", summary),
      *loc ? arena_printf(a, "LOCATION:%s", loc) : NULL,
      *desc ? arena_printf(a, "DESCRIPTION:%s", desc) : NULL,
      "END:VEVENT",
      "END:VCALENDAR",
  };
  for (size_t i = 6; i <= 10; i++)
    if (!lines[i]) return NULL;
  size_t nl = sizeof lines / sizeof lines[0];
  const char *folded[sizeof lines / sizeof lines[0]];
  size_t k = 0;
  for (size_t i = 0; i < nl; i++) {
    if (!lines[i]) continue;
    folded[k] = ics_fold(a, lines[i]);
    if (!folded[k]) return NULL;
    k++;
  }
  return arena_join(a, folded, k, "");
}
