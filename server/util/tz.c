/* Time zones from the tz database: see tz.h. */
#include "util/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/arena.h"

#define TZ_MAX_FILE (256 * 1024)
#define TZ_MAX_TYPES 256
#define TZ_CACHE_MAX 1024

struct tz_type {
  long utoff;
  bool dst;
  char abbr[16];
};

/* A POSIX TZ rule date: Jn (julian, no Feb 29), n (0-based day of year), Mm.w.d. */
struct rule_date {
  char kind; /* 'J', 'D', 'M' */
  int a, b, c;
  long secs; /* local time of day of the change */
};

struct tz {
  char name[TZ_NAME_MAX + 1];
  size_t n_trans;
  int64_t *trans;     /* instants of the transitions, ascending */
  unsigned char *idx; /* type after each transition */
  size_t n_types;
  struct tz_type types[TZ_MAX_TYPES];
  /* the footer: time after the last transition */
  bool has_rule;
  struct tz_type std, dstt;
  bool rule_dst; /* the rule has daylight saving time */
  struct rule_date start, end;
};

static char zdir[512] = "/usr/share/zoneinfo";
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tz *cache[TZ_CACHE_MAX];
static size_t n_cache;
static struct tz utc_zone = {.name = "UTC", .n_types = 1, .types = {{0, false, "UTC"}}};

void tz_set_dir(const char *dir) {
  if (dir && *dir) snprintf(zdir, sizeof zdir, "%s", dir);
}

/* ---- civil dates (proleptic Gregorian; H. Hinnant's algorithms) ---- */

int64_t tz_days_from_civil(int y, int m, int d) {
  int64_t yy = y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
  int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yy + (mm <= 2));
  *m = mm;
  *d = dd;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int mdays(int y, int m) {
  static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : md[m - 1];
}
static int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* ---- POSIX TZ strings (the TZif footer) ---- */

static const char *p_name(const char *s, char out[16]) {
  size_t n = 0;
  if (*s == '<') {
    s++;
    while (*s && *s != '>' && n < 15) out[n++] = *s++;
    if (*s != '>') return NULL;
    s++;
  } else {
    while (((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) && n < 15) out[n++] = *s++;
  }
  out[n] = '\0';
  return n >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds (hours up to 167 as RFC 8536 allows). */
static const char *p_secs(const char *s, long *out) {
  int sign = 1;
  if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
  long v[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    if (k > 0) {
      if (*s != ':') break;
      s++;
    }
    if (*s < '0' || *s > '9') return NULL;
    long x = 0;
    int dig = 0;
    while (*s >= '0' && *s <= '9' && dig < 3) x = x * 10 + (*s++ - '0'), dig++;
    v[k] = x;
  }
  if (v[0] > 167 || v[1] > 59 || v[2] > 59) return NULL;
  *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
  return s;
}

static const char *p_int(const char *s, int *out, int lo, int hi) {
  if (*s < '0' || *s > '9') return NULL;
  long x = 0;
  while (*s >= '0' && *s <= '9' && x <= hi) x = x * 10 + (*s++ - '0');
  if (x < lo || x > hi) return NULL;
  *out = (int)x;
  return s;
}

static const char *p_rule(const char *s, struct rule_date *r) {
  if (*s == 'J') {
    r->kind = 'J';
    s = p_int(s + 1, &r->a, 1, 365);
  } else if (*s == 'M') {
    r->kind = 'M';
    s = p_int(s + 1, &r->a, 1, 12);
    if (s && *s == '.') s = p_int(s + 1, &r->b, 1, 5);
    else s = NULL;
    if (s && *s == '.') s = p_int(s + 1, &r->c, 0, 6);
    else s = NULL;
  } else {
    r->kind = 'D';
    s = p_int(s, &r->a, 0, 365);
  }
  if (!s) return NULL;
  r->secs = 7200;
  if (*s == '/') s = p_secs(s + 1, &r->secs);
  return s;
}

/* Parses a POSIX TZ string like "CET-1CEST,M3.5.0,M10.5.0/3" into z. */
static bool parse_posix(struct tz *z, const char *s) {
  long off = 0;
  if (!(s = p_name(s, z->std.abbr)) || !(s = p_secs(s, &off))) return false;
  z->std.utoff = -off;
  z->std.dst = false;
  z->rule_dst = false;
  if (*s == '\0') return (z->has_rule = true);
  if (!(s = p_name(s, z->dstt.abbr))) return false;
  z->dstt.dst = true;
  z->dstt.utoff = z->std.utoff + 3600;
  if (*s != ',' && *s != '\0') {
    if (!(s = p_secs(s, &off))) return false;
    z->dstt.utoff = -off;
  }
  if (*s != ',') return false; /* no rule given: RFC 8536 footers always have one */
  if (!(s = p_rule(s + 1, &z->start)) || *s != ',' || !(s = p_rule(s + 1, &z->end)) || *s) return false;
  z->rule_dst = true;
  return (z->has_rule = true);
}

/* Local midnight (as seconds since 1970 of the local date) of a rule date in year y. */
static int64_t rule_day(const struct rule_date *r, int y) {
  int64_t jan1 = tz_days_from_civil(y, 1, 1);
  switch (r->kind) {
  case 'J': return jan1 + r->a - 1 + (leap(y) && r->a >= 60 ? 1 : 0);
  case 'D': return jan1 + r->a;
  default: {
    int64_t first = tz_days_from_civil(y, r->a, 1);
    int wd1 = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    int64_t d = first + (r->c - wd1 + 7) % 7 + (int64_t)(r->b - 1) * 7;
    while (d >= first + mdays(y, r->a)) d -= 7;
    return d;
  }
  }
}

/* The type in force at t after the last transition. */
static const struct tz_type *rule_type(const struct tz *z, int64_t t) {
  if (!z->rule_dst) return &z->std;
  int y, m, d;
  tz_civil_from_days(floordiv(t + z->std.utoff, 86400), &y, &m, &d);
  /* the year of t in standard time; check it and its neighbours' changes */
  for (int yy = y - 1; yy <= y + 1; yy++) {
    int64_t on = rule_day(&z->start, yy) * 86400 + z->start.secs - z->std.utoff;
    int64_t off = rule_day(&z->end, yy) * 86400 + z->end.secs - z->dstt.utoff;
    if (on < off) {
      if (t >= on && t < off) return &z->dstt;
    } else {
      /* southern hemisphere: daylight time spans the new year */
      int64_t off_next = rule_day(&z->end, yy + 1) * 86400 + z->end.secs - z->dstt.utoff;
      if (t >= on && t < off_next) return &z->dstt;
    }
  }
  return &z->std;
}

/* ---- TZif ---- */

static int64_t be32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}
static int64_t be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | p[i];
  return (int64_t)v;
}

static bool name_form_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/') return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '+' || (c == '/' && name[i + 1] != '/');
    if (!ok) return false;
  }
  /* the tz database's zones start with a capital letter (Africa/…, UTC, EST5EDT); its
   * other files (posixrules, leap-seconds.list, the right/ and posix/ copies) do not count */
  if (name[0] < 'A' || name[0] > 'Z') return false;
  if (strncmp(name, "SystemV/", 8) == 0) return false;
  return true;
}

static struct tz *load(const char *name) {
  char path[640];
  if (snprintf(path, sizeof path, "%s/%s", zdir, name) >= (int)sizeof path) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  unsigned char *buf = NULL;
  struct tz *z = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 44 || st.st_size > TZ_MAX_FILE) goto done;
  size_t len = (size_t)st.st_size;
  buf = malloc(len + 1);
  if (!buf) goto done;
  size_t got = 0;
  while (got < len) {
    ssize_t k = read(fd, buf + got, len - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) goto done;
    got += (size_t)k;
  }
  buf[len] = '\0';
  if (memcmp(buf, "TZif", 4) != 0) goto done;
  /* the v1 block, then (version 2+) the 64-bit block and the footer */
  const unsigned char *p = buf;
  size_t rest = len;
  bool v2 = buf[4] >= '2';
  for (int pass = 0; pass < (v2 ? 2 : 1); pass++) {
    if (rest < 44 || memcmp(p, "TZif", 4) != 0) goto done;
    uint32_t isut = (uint32_t)be32(p + 20), isstd = (uint32_t)be32(p + 24), leapc = (uint32_t)be32(p + 28),
             timec = (uint32_t)be32(p + 32), typec = (uint32_t)be32(p + 36), charc = (uint32_t)be32(p + 40);
    size_t tsz = pass == 0 ? 4 : 8;
    if (timec > 100000 || typec == 0 || typec > TZ_MAX_TYPES || charc > 4096 || leapc > 1000 ||
        (isut != 0 && isut != typec) || (isstd != 0 && isstd != typec))
      goto done;
    size_t body = (size_t)timec * tsz + timec + (size_t)typec * 6 + charc + (size_t)leapc * (tsz + 4) + isstd + isut;
    if (rest - 44 < body) goto done;
    const unsigned char *q = p + 44;
    if (pass == (v2 ? 1 : 0)) {
      if (leapc != 0) goto done; /* the right/ zones count leap seconds: not ours */
      z = calloc(1, sizeof *z);
      if (!z) goto done;
      snprintf(z->name, sizeof z->name, "%s", name);
      z->n_trans = timec;
      z->trans = calloc(timec ? timec : 1, sizeof *z->trans);
      z->idx = calloc(timec ? timec : 1, 1);
      if (!z->trans || !z->idx) goto fail;
      for (size_t i = 0; i < timec; i++) {
        z->trans[i] = tsz == 4 ? be32(q + i * 4) : be64(q + i * 8);
        if (i > 0 && z->trans[i] <= z->trans[i - 1]) goto fail;
      }
      q += (size_t)timec * tsz;
      for (size_t i = 0; i < timec; i++) {
        if (q[i] >= typec) goto fail;
        z->idx[i] = q[i];
      }
      q += timec;
      const unsigned char *chars = q + (size_t)typec * 6;
      z->n_types = typec;
      for (size_t i = 0; i < typec; i++) {
        const unsigned char *e = q + i * 6;
        z->types[i].utoff = (long)be32(e);
        z->types[i].dst = e[4] != 0;
        unsigned ai = e[5];
        if (ai >= charc || z->types[i].utoff < -89999 || z->types[i].utoff > 93599) goto fail;
        size_t k = 0;
        while (ai + k < charc && chars[ai + k] && k < sizeof z->types[i].abbr - 1) {
          z->types[i].abbr[k] = (char)chars[ai + k];
          k++;
        }
        z->types[i].abbr[k] = '\0';
      }
      if (v2) {
        const unsigned char *f = p + 44 + body;
        size_t flen = len - (size_t)(f - buf);
        if (flen >= 2 && f[0] == '\n') {
          const char *nl = memchr(f + 1, '\n', flen - 1);
          if (nl && nl > (const char *)f + 1) {
            char footer[128];
            size_t fl = (size_t)(nl - (const char *)f - 1);
            if (fl < sizeof footer) {
              memcpy(footer, f + 1, fl);
              footer[fl] = '\0';
              if (!parse_posix(z, footer)) z->has_rule = false;
            }
          }
        }
      }
      break;
    }
    p += 44 + body;
    rest -= 44 + body;
  }
  goto done;
fail:
  free(z->trans);
  free(z->idx);
  free(z);
  z = NULL;
done:
  free(buf);
  close(fd);
  return z;
}

/* The zone this thread looked up last: a page formats many times in one zone,
 * and loaded zones are immutable and never freed, so no lock is needed for it. */
static _Thread_local const struct tz *last_zone;

const struct tz *tz_get(const char *name) {
  if (!name) return NULL;
  if (last_zone && strcmp(last_zone->name, name) == 0) return last_zone;
  if (!name_form_ok(name)) return NULL;
  if (strcmp(name, "UTC") == 0) return &utc_zone;
  pthread_mutex_lock(&cache_mu);
  for (size_t i = 0; i < n_cache; i++)
    if (strcmp(cache[i]->name, name) == 0) {
      struct tz *z = cache[i];
      pthread_mutex_unlock(&cache_mu);
      return last_zone = z;
    }
  struct tz *z = load(name);
  if (z && n_cache < TZ_CACHE_MAX) {
    cache[n_cache++] = z;
  } else if (z) {
    /* the database has about 600 zones: a full cache means something is wrong; refuse */
    free(z->trans);
    free(z->idx);
    free(z);
    z = NULL;
  }
  pthread_mutex_unlock(&cache_mu);
  if (z) last_zone = z;
  return z;
}

bool tz_name_ok(const char *name) { return tz_get(name) != NULL; }

static const struct tz_type *type_at(const struct tz *z, int64_t t) {
  if (z->n_trans == 0) return z->has_rule ? rule_type(z, t) : &z->types[0];
  if (t >= z->trans[z->n_trans - 1]) return z->has_rule ? rule_type(z, t) : &z->types[z->idx[z->n_trans - 1]];
  if (t < z->trans[0]) return &z->types[0];
  size_t lo = 0, hi = z->n_trans - 1; /* trans[lo] <= t < trans[hi] */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (z->trans[mid] <= t) lo = mid;
    else hi = mid;
  }
  return &z->types[z->idx[lo]];
}

bool tz_to_local(const struct tz *z, int64_t t, struct tz_local *out) {
  if (!z) return false;
  const struct tz_type *ty = type_at(z, t);
  int64_t lt = t + ty->utoff;
  int64_t days = floordiv(lt, 86400);
  int64_t sod = lt - days * 86400;
  tz_civil_from_days(days, &out->year, &out->mon, &out->day);
  out->hour = (int)(sod / 3600);
  out->min = (int)(sod / 60 % 60);
  out->sec = (int)(sod % 60);
  out->wday = (int)((days % 7 + 11) % 7);
  out->utoff = ty->utoff;
  out->dst = ty->dst;
  snprintf(out->abbr, sizeof out->abbr, "%s", ty->abbr);
  return true;
}

int tz_from_local(const struct tz *z, int year, int mon, int day, int hour, int min, int64_t *t) {
  if (!z || year < 1 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > mdays(year, mon) || hour < 0 ||
      hour > 23 || min < 0 || min > 59)
    return -1;
  int64_t lt = tz_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60;
  /* offsets in force a day either side; the earliest instant whose wall clock matches wins */
  long offs[2] = {type_at(z, lt - 86400)->utoff, type_at(z, lt + 86400)->utoff};
  bool found = false;
  int64_t best = 0;
  for (int i = 0; i < 2; i++) {
    int64_t cand = lt - offs[i];
    if (type_at(z, cand)->utoff == offs[i] && (!found || cand < best)) best = cand, found = true;
  }
  if (found) {
    *t = best;
    return 0;
  }
  /* in a gap: read with the offset from before the jump */
  *t = lt - offs[0];
  return 1;
}

static const char *const wdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

const char *tz_format(char *buf, size_t n, int64_t t, const char *zone, enum tz_style style) {
  if (!buf || n == 0) return "";
  const struct tz *z = tz_get(zone);
  if (!z) z = &utc_zone;
  struct tz_local l;
  tz_to_local(z, t, &l);
  /* a zone whose abbreviation is a bare offset ("-03") reads "UTC-03" */
  char ab[24];
  snprintf(ab, sizeof ab, "%s%s", (l.abbr[0] == '+' || l.abbr[0] == '-') ? "UTC" : "", l.abbr);
  int k = -1;
  switch (style) {
  case TZ_SHORT:
    k = snprintf(buf, n, "%04d-%02d-%02d %02d:%02d %s", l.year, l.mon, l.day, l.hour, l.min, ab);
    break;
  case TZ_LONG:
    k = snprintf(buf, n, "%s %d %s %d at %02d:%02d %s", wdays[l.wday], l.day, months[l.mon - 1], l.year, l.hour,
                 l.min, ab);
    break;
  case TZ_SECONDS:
    k = snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d %s", l.year, l.mon, l.day, l.hour, l.min, l.sec, ab);
    break;
  case TZ_DATE: k = snprintf(buf, n, "%04d-%02d-%02d", l.year, l.mon, l.day); break;
  case TZ_DAY: k = snprintf(buf, n, "%s %d %s %d", wdays[l.wday], l.day, months[l.mon - 1], l.year); break;
  }
  if (k < 0 || (size_t)k >= n) buf[0] = '\0';
  return buf;
}

const char *tz_format_a(struct arena *a, int64_t t, const char *zone, enum tz_style style) {
  char b[96];
  tz_format(b, sizeof b, t, zone, style);
  return arena_strdup(a, b);
}

static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool tz_parse_wire(const char *s, int64_t *t) {
  if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != 'Z')
    return false;
  int y, m, d, H, M, S;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &H) ||
      !digits(s + 14, 2, &M) || !digits(s + 17, 2, &S))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > mdays(y, m) || H > 23 || M > 59 || S > 60) return false;
  *t = tz_days_from_civil(y, m, d) * 86400 + H * 3600 + M * 60 + S;
  return true;
}

void tz_wire(char buf[21], int64_t t) {
  int64_t days = floordiv(t, 86400), sod = t - days * 86400;
  int y, m, d;
  tz_civil_from_days(days, &y, &m, &d);
  char w[64];
  snprintf(w, sizeof w, "%04d-%02d-%02dT%02d:%02d:%02dZ", (y % 10000 + 10000) % 10000, m % 100, d % 100,
           (int)(sod / 3600) % 100, (int)(sod / 60 % 60), (int)(sod % 60));
  memcpy(buf, w, 20);
  buf[20] = '\0';
}

const char *tz_localize(struct arena *a, const char *value, const char *zone, enum tz_style style) {
  int64_t t;
  if (!value || !tz_parse_wire(value, &t)) return value;
  return tz_format_a(a, t, zone, style);
}

static _Thread_local char view_zone[TZ_NAME_MAX + 1];

void tz_view_set(const char *name) {
  if (name && *name && strlen(name) <= TZ_NAME_MAX) snprintf(view_zone, sizeof view_zone, "%s", name);
  else view_zone[0] = '\0';
}

const char *tz_view(void) { return view_zone[0] ? view_zone : TZ_DEFAULT; }
