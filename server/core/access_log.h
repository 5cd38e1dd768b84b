/* "Who opened my records" (issue 15 item 6): the center's reads of a patient's
 * data, from the audit log, grouped by person and day ("Dr. X (reviewing
 * radiologist), 3 March 2026: viewed your mammogram of 15 March 2024,
 * downloaded 2 files"), paginated in SQL, complete (every group is on some
 * page). Only the patient who owns the request reads it. */
#ifndef SECONDOP_CORE_ACCESS_LOG_H
#define SECONDOP_CORE_ACCESS_LOG_H

#include <stddef.h>

#include "core/actor.h"
#include "util/arena.h"
#include "util/err.h"

/* Groups shown per page of /requests/{id}/access. */
#define ACCESS_LOG_PER_PAGE 10
#define ACCESS_LOG_MAX_PER_PAGE 100

struct access_group {
  const char *day;       /* YYYY-MM-DD (UTC) */
  const char *day_words; /* "3 March 2026" */
  const char *who;       /* the person's name */
  const char *role;      /* in words: "reviewing radiologist", "center staff", "administrator" */
  long long events;      /* audit rows behind the group */
  size_t n_items;
  const char **items;    /* what they did, in words, one per kind ("opened your request 2 times") */
};

struct access_page {
  long long page, per_page, pages; /* pages: 0 when nobody opened anything */
  long long total_groups, total_events;
  size_t n;
  struct access_group *groups;
};

/* Page `page` (1-based) of per_page (1..ACCESS_LOG_MAX_PER_PAGE) groups of the
 * access to the data of the patient who owns request `request_id`. Only that
 * patient: anyone else gets ERR_NOT_FOUND (as requests_access). A page past the
 * last (other than page 1 of an empty log) or out of range is ERR_NOT_FOUND.
 * Everything lives in the arena. */
enum err access_log_page(struct arena *a, const struct actor *who, long long request_id, long long page,
                         long long per_page, struct access_page *out);

#endif
