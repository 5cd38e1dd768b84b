/* Time zones (server/util/tz.c) and iCalendar (server/core/ics.c), from the
 * truth tables tests/data/tz_table.tsv and tests/data/tz_local_table.tsv and
 * the folding/escaping table below. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ics.h"
#include "t.h"
#include "util/arena.h"
#include "util/tz.h"

static char *field(char **p) {
  char *s = *p, *t = strchr(s, '\t');
  if (t) {
    *t = '\0';
    *p = t + 1;
  } else {
    s[strcspn(s, "\r\n")] = '\0';
    *p = s + strlen(s);
  }
  return s;
}

static void format_table(void) {
  FILE *f = fopen("tests/data/tz_table.tsv", "r");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[512];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || strncmp(line, "zone\t", 5) == 0) continue;
    char *p = line;
    char *zone = field(&p), *inst = field(&p), *shrt = field(&p), *lng = field(&p);
    int64_t t = 0;
    T_CHECK(tz_parse_wire(inst, &t));
    char b[96];
    tz_format(b, sizeof b, t, zone, TZ_SHORT);
    if (strcmp(b, shrt) != 0) fprintf(stderr, "  %s %s\n", zone, inst);
    T_EQ_STR(b, shrt);
    tz_format(b, sizeof b, t, zone, TZ_LONG);
    T_EQ_STR(b, lng);
    /* the local date is the short form's first ten characters */
    tz_format(b, sizeof b, t, zone, TZ_DATE);
    T_CHECK(strncmp(b, shrt, 10) == 0 && strlen(b) == 10);
    /* and the wire form reads back */
    char w[21];
    tz_wire(w, t);
    T_EQ_STR(w, inst);
    rows++;
  }
  fclose(f);
  T_CHECK(rows >= 25);
}

static void local_table(void) {
  FILE *f = fopen("tests/data/tz_local_table.tsv", "r");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[512];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || strncmp(line, "zone\t", 5) == 0) continue;
    char *p = line;
    char *zone = field(&p), *date = field(&p), *time = field(&p), *res = field(&p), *inst = field(&p);
    const struct tz *z = tz_get(zone);
    T_CHECK(z != NULL);
    int y = atoi(date), mo = atoi(date + 5), d = atoi(date + 8), h = atoi(time), mi = atoi(time + 3);
    int64_t t = 0;
    int r = tz_from_local(z, y, mo, d, h, mi, &t);
    int want = strcmp(res, "ok") == 0 ? 0 : strcmp(res, "gap") == 0 ? 1 : -1;
    if (r != want) fprintf(stderr, "  %s %s %s: %d\n", zone, date, time, r);
    T_EQ_INT(r, want);
    if (want >= 0) {
      char w[21];
      tz_wire(w, t);
      T_EQ_STR(w, inst);
    }
    rows++;
  }
  fclose(f);
  T_CHECK(rows >= 15);
}

static void names(void) {
  T_CHECK(tz_name_ok("America/Los_Angeles"));
  T_CHECK(tz_name_ok("Europe/Madrid"));
  T_CHECK(tz_name_ok("UTC"));
  T_CHECK(tz_name_ok("America/Argentina/Buenos_Aires"));
  T_CHECK(tz_name_ok("Etc/GMT+5"));
  T_CHECK(!tz_name_ok(""));
  T_CHECK(!tz_name_ok(NULL));
  T_CHECK(!tz_name_ok("Mars/Olympus_Mons"));
  T_CHECK(!tz_name_ok("America"));          /* a folder */
  T_CHECK(!tz_name_ok("../../etc/passwd"));
  T_CHECK(!tz_name_ok("/etc/localtime"));
  T_CHECK(!tz_name_ok("America//Los_Angeles"));
  T_CHECK(!tz_name_ok("America/Los_Angeles/"));
  T_CHECK(!tz_name_ok("zone.tab"));
  T_CHECK(!tz_name_ok("right/Europe/Madrid")); /* leap seconds: not a civil zone */
  T_CHECK(!tz_name_ok("America/Los Angeles"));
  T_CHECK(!tz_name_ok("Europe/Madrid\n"));
  char longname[80];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  T_CHECK(!tz_name_ok(longname));
}

static void wire(void) {
  int64_t t;
  T_CHECK(tz_parse_wire("1970-01-01T00:00:00Z", &t) && t == 0);
  T_CHECK(tz_parse_wire("2026-12-01T13:05:00Z", &t) && t == 1796130300);
  T_CHECK(!tz_parse_wire("2026-12-01 13:05", &t));
  T_CHECK(!tz_parse_wire("2026-13-01T13:05:00Z", &t));
  T_CHECK(!tz_parse_wire("2026-02-29T13:05:00Z", &t));
  T_CHECK(!tz_parse_wire("2026-12-01T13:05:00+01", &t));
  T_CHECK(!tz_parse_wire("", &t));
  struct arena *a = arena_new();
  T_EQ_STR(tz_localize(a, "2026-12-01T13:05:00Z", "Europe/Madrid", TZ_SHORT), "2026-12-01 14:05 CET");
  T_EQ_STR(tz_localize(a, "2026-12-01T13:05:09Z", "Europe/Madrid", TZ_SECONDS), "2026-12-01 14:05:09 CET");
  T_EQ_STR(tz_localize(a, "2026-12-02T02:30:00Z", "America/Los_Angeles", TZ_DAY), "Tuesday 1 December 2026");
  T_EQ_STR(tz_localize(a, "not a time", "Europe/Madrid", TZ_SHORT), "not a time");
  T_EQ_STR(tz_localize(a, "", "Europe/Madrid", TZ_SHORT), "");
  /* an unknown zone reads as UTC rather than failing a page */
  T_EQ_STR(tz_localize(a, "2026-12-01T13:05:00Z", "Nowhere/Else", TZ_SHORT), "2026-12-01 13:05 UTC");
  arena_free(a);
  /* the thread's viewing zone */
  T_EQ_STR(tz_view(), "UTC");
  tz_view_set("Europe/Madrid");
  T_EQ_STR(tz_view(), "Europe/Madrid");
  tz_view_set(NULL);
  T_EQ_STR(tz_view(), "UTC");
}

/* A "slim" TZif file (as zic -b slim writes and some distributions ship):
 * no transitions at all, only the POSIX TZ footer. */
static void write_slim(const char *path, long utoff, const char *abbr, const char *footer) {
  unsigned char hdr[44] = {'T', 'Z', 'i', 'f', '2'};
  size_t al = strlen(abbr) + 1;
  hdr[39] = 1;             /* typecnt */
  hdr[43] = (unsigned char)al; /* charcnt */
  unsigned char type[6] = {(unsigned char)(utoff >> 24), (unsigned char)(utoff >> 16), (unsigned char)(utoff >> 8),
                           (unsigned char)utoff, 0, 0};
  FILE *f = fopen(path, "wb");
  T_CHECK(f != NULL);
  if (!f) return;
  for (int pass = 0; pass < 2; pass++) {
    fwrite(hdr, 1, sizeof hdr, f);
    fwrite(type, 1, sizeof type, f);
    fwrite(abbr, 1, al, f);
  }
  fprintf(f, "\n%s\n", footer);
  fclose(f);
}

static void slim_files_use_the_footer(void) {
  char dir[] = "/tmp/sop-tz-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  char sub[64], p1[96], p2[96];
  snprintf(sub, sizeof sub, "%s/Slim", dir);
  mkdir(sub, 0700);
  snprintf(p1, sizeof p1, "%s/Madrid", sub);
  snprintf(p2, sizeof p2, "%s/Sydney", sub);
  write_slim(p1, 3600, "CET", "CET-1CEST,M3.5.0,M10.5.0/3");
  write_slim(p2, 36000, "AEST", "AEST-10AEDT,M10.1.0,M4.1.0/3");
  tz_set_dir(dir);
  /* the same answers as the real (fat) files in tests/data/tz_table.tsv */
  static const char *const rows[][3] = {
      {"Slim/Madrid", "2026-03-29T00:59:00Z", "2026-03-29 01:59 CET"},
      {"Slim/Madrid", "2026-03-29T01:00:00Z", "2026-03-29 03:00 CEST"},
      {"Slim/Madrid", "2026-10-25T00:59:00Z", "2026-10-25 02:59 CEST"},
      {"Slim/Madrid", "2026-10-25T01:00:00Z", "2026-10-25 02:00 CET"},
      {"Slim/Madrid", "2026-12-31T23:30:00Z", "2027-01-01 00:30 CET"},
      {"Slim/Sydney", "2026-01-15T00:00:00Z", "2026-01-15 11:00 AEDT"},
      {"Slim/Sydney", "2026-04-04T15:59:00Z", "2026-04-05 02:59 AEDT"},
      {"Slim/Sydney", "2026-04-04T16:00:00Z", "2026-04-05 02:00 AEST"},
      {"Slim/Sydney", "2026-07-15T00:00:00Z", "2026-07-15 10:00 AEST"},
      {"Slim/Sydney", "2026-10-03T15:59:00Z", "2026-10-04 01:59 AEST"},
      {"Slim/Sydney", "2026-10-03T16:00:00Z", "2026-10-04 03:00 AEDT"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int64_t t = 0;
    char b[96];
    T_CHECK(tz_parse_wire(rows[i][1], &t));
    tz_format(b, sizeof b, t, rows[i][0], TZ_SHORT);
    if (strcmp(b, rows[i][2]) != 0) fprintf(stderr, "  %s %s\n", rows[i][0], rows[i][1]);
    T_EQ_STR(b, rows[i][2]);
  }
  const struct tz *z = tz_get("Slim/Madrid");
  int64_t t = 0;
  T_EQ_INT(tz_from_local(z, 2026, 3, 29, 2, 30, &t), 1);
  T_EQ_INT(tz_from_local(z, 2026, 10, 25, 2, 30, &t), 0);
  char w[21];
  tz_wire(w, t);
  T_EQ_STR(w, "2026-10-25T00:30:00Z");
  tz_set_dir("/usr/share/zoneinfo");
  unlink(p1);
  unlink(p2);
  rmdir(sub);
  rmdir(dir);
}

/* Many threads format in different zones at once: each sees its own zone. */
struct thr {
  const char *zone, *want;
  int bad;
};
static void *thr_run(void *p) {
  struct thr *t = p;
  tz_view_set(t->zone);
  for (int i = 0; i < 2000; i++) {
    char b[96];
    tz_format(b, sizeof b, 1796130300, tz_view(), TZ_SHORT);
    if (strcmp(b, t->want) != 0) t->bad++;
  }
  return NULL;
}
static void threads(void) {
  struct thr ts[4] = {{"Europe/Madrid", "2026-12-01 14:05 CET", 0},
                      {"America/Los_Angeles", "2026-12-01 05:05 PST", 0},
                      {"Asia/Kolkata", "2026-12-01 18:35 IST", 0},
                      {"Australia/Sydney", "2026-12-02 00:05 AEDT", 0}};
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, thr_run, &ts[i]);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) T_EQ_INT(ts[i].bad, 0);
}

/* iCalendar escaping and folding: input, expected output. */
static void ics_escaping(void) {
  static const char *const table[][2] = {
      {"plain words", "plain words"},
      {"a,b", "a\\,b"},
      {"a;b", "a\\;b"},
      {"a\\b", "a\\\\b"},
      {"line1\nline2", "line1\\nline2"},
      {"line1\r\nline2", "line1\\nline2"},
      {"line1\rline2", "line1\\nline2"},
      {"tab\there", "tabhere"},
      {"Room 3, 2nd floor; ask at desk\\", "Room 3\\, 2nd floor\\; ask at desk\\\\"},
      {"María José", "María José"},
      {"", ""},
  };
  struct arena *a = arena_new();
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) T_EQ_STR(ics_escape(a, table[i][0]), table[i][1]);
  arena_free(a);
}

static void ics_folding(void) {
  struct arena *a = arena_new();
  /* short line: one physical line */
  T_EQ_STR(ics_fold(a, "SUMMARY:Consultation"), "SUMMARY:Consultation\r\n");
  /* exactly 75 octets: not folded; 76: folded after 75 */
  char l75[76], l76[77];
  memset(l75, 'x', 75);
  l75[75] = '\0';
  memset(l76, 'x', 76);
  l76[76] = '\0';
  T_EQ_STR(ics_fold(a, l75), arena_printf(a, "%s\r\n", l75));
  T_EQ_STR(ics_fold(a, l76), arena_printf(a, "%s\r\n x\r\n", l75));
  /* 75 + 74 + 1: the continuation's space counts toward its 75 */
  char l150[151];
  memset(l150, 'y', 150);
  l150[150] = '\0';
  const char *f = ics_fold(a, l150);
  T_EQ_INT(strlen(f), 75 + 2 + 1 + 74 + 2 + 1 + 1 + 2);
  /* a two-octet character straddling octet 75 moves whole to the next line */
  char u[80];
  memset(u, 'z', 74);
  memcpy(u + 74, "é", 2); /* octets 75 and 76 */
  u[76] = '\0';
  char want[90];
  memset(want, 'z', 74);
  snprintf(want + 74, sizeof want - 74, "\r\n é\r\n");
  T_EQ_STR(ics_fold(a, u), want);
  /* every physical line of a long folded text is at most 75 octets and ends in CRLF */
  char big[1000];
  for (int i = 0; i < 999; i++) big[i] = (char)('a' + i % 26);
  big[999] = '\0';
  f = ics_fold(a, big);
  size_t linelen = 0, total = 0;
  int lines_ok = 1;
  for (const char *p = f; *p; p++) {
    if (p[0] == '\r') {
      lines_ok &= p[1] == '\n' && linelen <= 75;
      linelen = 0;
      p++;
      continue;
    }
    if (p[0] == '\n') lines_ok = 0; /* a bare LF */
    linelen++;
    total++;
  }
  T_CHECK(lines_ok);
  T_EQ_INT(total, 999 + 13); /* the text plus one space per continuation line: (999 - 75) / 74 rounded up */
  arena_free(a);
}

static void ics_event_text(void) {
  struct arena *a = arena_new();
  struct ics_event ev = {.uid = "consultation-7@portal.example.org",
                         .stamp = 1796130300,
                         .start = 1796137200, /* 2026-12-01T15:00:00Z */
                         .end = 1796139900,
                         .summary = "Consultation at the breast center",
                         .location = "Breast Center, Room 3; 2nd floor",
                         .description = ""};
  const char *c = ics_calendar(a, &ev);
  T_CHECK(c != NULL);
  if (!c) {
    arena_free(a);
    return;
  }
  T_CHECK(strncmp(c, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0);
  T_CHECK(strstr(c, "\r\nUID:consultation-7@portal.example.org\r\n") != NULL);
  T_CHECK(strstr(c, "\r\nDTSTAMP:20261201T130500Z\r\n") != NULL);
  T_CHECK(strstr(c, "\r\nDTSTART:20261201T150000Z\r\n") != NULL);
  T_CHECK(strstr(c, "\r\nDTEND:20261201T154500Z\r\n") != NULL);
  T_CHECK(strstr(c, "\r\nLOCATION:Breast Center\\, Room 3\\; 2nd floor\r\n") != NULL);
  T_CHECK(strstr(c, "DESCRIPTION") == NULL);
  size_t n = strlen(c);
  T_CHECK(n > 2 && strcmp(c + n - 15, "END:VCALENDAR\r\n") == 0);
  for (size_t i = 0; i < n; i++)
    if (c[i] == '\n') T_CHECK(i > 0 && c[i - 1] == '\r');
  arena_free(a);
}

int main(void) {
  T_RUN(format_table);
  T_RUN(local_table);
  T_RUN(names);
  T_RUN(wire);
  T_RUN(slim_files_use_the_footer);
  T_RUN(threads);
  T_RUN(ics_escaping);
  T_RUN(ics_folding);
  T_RUN(ics_event_text);
  return t_done();
}
