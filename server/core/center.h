/* The center's side of a request (issue 7): the triage queue, a case as
 * staff see it, the staff actions, and notifications with per-user
 * preferences. No HTTP types. Every read of patient data goes through
 * requests_access() (which audits it); every action is one transaction with
 * its timeline event (requests_transition or an event row), its audit row
 * and its notification; a refused action changes nothing and is audited as
 * denied.
 *
 * Which actions a state offers (center_actions_offered) and which it
 * accepts are the same rules: a forged form for an action the state does not
 * offer is refused with ERR_CONFLICT (the state moved or never allowed it) or
 * ERR_FORBIDDEN (the role may not), and nothing changes. */
#ifndef SECONDOP_CENTER_H
#define SECONDOP_CENTER_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "core/requests.h"
#include "store/center.h"
#include "util/err.h"

struct arena;

/* ---- notifications ---- */
enum notify_kind { NK_STATUS, NK_INFO_REQUESTED, NK_MESSAGE, NK_ASSIGNED, NK_CONSULTATION, NK_REPORT, NK_COUNT };
/* Stored name ("status", "info_requested", …) and a plain label. */
const char *notify_kind_name(enum notify_kind k);
const char *notify_kind_label(enum notify_kind k);
/* Queues the "something changed, please log in" e-mail to a user unless they
 * turned this kind off. path is the page to open after login ("/requests/12").
 * The message names no condition, result or person. ERR_OK also when the
 * user opted out or is disabled; a database error otherwise. */
enum err notify_user(struct arena *a, long long user_id, enum notify_kind k, const char *path);
/* Same for every active staff account. */
enum err notify_staff(struct arena *a, enum notify_kind k, const char *path);
/* The actor's preferences (true = wants e-mail), one per kind. */
enum err notify_prefs_get(struct arena *a, const struct actor *who, bool out[NK_COUNT]);
/* Saves all preferences (audited account.notifications). */
enum err notify_prefs_set(struct arena *a, const struct actor *who, const bool in[NK_COUNT]);

/* ---- queue ---- */
/* The queue's filters as a form (core/form.h, read from the query string):
 * q (≤ 100 characters), status ("all" or a status name), priority (1..6),
 * specialist (an id), page (1..100000), overdue and incomplete ("1"). Static. */
const struct form_spec *center_queue_form(void);
/* Parses the filters into f (status, priority, specialist_id, overdue,
 * incomplete, q; arena strings) and *page (1 when absent). False with errs
 * filled when a value is not valid (f then holds no filter at all). */
struct form_pair;
struct form_errors;
bool center_queue_filter(struct arena *a, const struct form_pair *in, size_t n, struct st_queue_filter *f,
                         long long *page, struct form_errors *errs);
/* A page of the triage queue (staff only: ERR_FORBIDDEN otherwise) with the
 * counts per status, the overdue count and the assignable specialists
 * (store/center.h). Audited triage.queue_view in the same transaction. */
enum err center_queue(struct arena *a, const struct actor *who, const struct st_queue_filter *f,
                      struct st_queue_page *out);

/* ---- a case ---- */
struct center_case {
  enum req_status status;
  struct rowset req;       /* st_case row */
  struct rowset events;    /* timeline (internal events included for staff) */
  struct rowset documents; /* non-image documents */
  struct rowset studies;
  struct rowset consult;   /* newest consultation (0 or 1 row) */
  struct rowset assignable;
  bool has_report, report_signed, report_released;
};
/* Loads a case for staff (any request past draft) or the assigned reviewer
 * (ERR_NOT_FOUND otherwise). Audited request.view by requests_access. */
enum err center_case_load(struct arena *a, const struct actor *who, long long id, struct center_case *out);

enum center_action {
  CA_CLAIM,       /* submitted → triage, and the claim */
  CA_ASK_INFO,    /* triage → needs_info with the missing items and a message */
  CA_RESUME,      /* needs_info → triage (staff take it back) */
  CA_ACCEPT,      /* triage → accepted */
  CA_ASSIGN,      /* pick the specialist/reviewer (triage, accepted, scheduled) */
  CA_SCHEDULE,    /* accepted → scheduled (or a new date while scheduled) */
  CA_START,       /* accepted | scheduled → in_review (staff or the reviewer) */
  CA_DECLINE,     /* triage | needs_info | accepted → declined with a reason */
  CA_RELEASE,     /* report_ready and a signed, unreleased report */
  CA_CLOSE,       /* report_ready → closed, after the release */
  CA_COVERAGE,    /* coverage check while open */
  CA_NOTE,        /* internal note, any state past draft */
  CA_REPLY,       /* a message to the patient in the request's thread, any state past draft */
  CA_COUNT
};
/* "claim", "ask-info", … as used in URLs. */
const char *center_action_name(enum center_action c);
bool center_action_parse(const char *s, enum center_action *out);
/* Pure: is the action offered for a staff member in this state? reviewer
 * assigned / report signed / released refine it. */
bool center_action_offered(enum center_action c, enum req_status s, bool reviewer_assigned, bool report_signed,
                           bool report_released);

/* The error map of the center's forms: a field and a message a person can
 * act on (the same shape as core/form.h's form_errors). */
struct center_errors {
  size_t n;
  struct {
    const char *field, *message;
  } e[8];
};
/* The form of a staff action as a declarative spec (core/form.h): ask-info
 * (missing: checklist keys, message), decline (reason), note, reply,
 * assign (specialist, assign_reason), schedule (date, time, place; nothing
 * in the past, no time the clocks skip, in the staff member's zone),
 * coverage (insurance_verified, referral_received: "yes" or absent,
 * network_status, coverage_notes); the other actions have no fields. The
 * page draws its fields and echoes them from this spec. Static. */
const struct form_spec *center_action_form(enum center_action c);
/* Parses the posted fields of action c against its spec (today and tz: the
 * staff member's own date and zone; from: the state the form was made for),
 * then runs the action as one transaction (the lock of the request, the
 * state check, the change and its audit row). ERR_INVALID with errs filled
 * (a field and a message) and nothing read or changed when a field is
 * wrong, or nothing changed when the domain refuses a value (a specialist
 * without a reviewer account, a reason the patient must read); ERR_CONFLICT /
 * ERR_FORBIDDEN when the state does not allow it, ERR_NOT_FOUND without
 * access. A reviewer may only start the review of a case assigned to them. */
enum err center_act_submit(struct arena *a, const struct actor *who, long long id, enum center_action c,
                           enum req_status from, const struct form_pair *in, size_t n, const char *today,
                           const char *tz, struct center_errors *errs);

/* The newest consultation of a request the actor may view (columns id,
 * starts_at and created_at in the wire form of util/tz.h, minutes, place);
 * out->n is 0 when none. Errors as requests_access. */
enum err center_consult_latest(struct arena *a, const struct actor *who, long long id, struct rowset *out);
/* The .ics calendar text (RFC 5545, core/ics.h) of the newest consultation,
 * for the owner patient or staff; every download is audited, a refusal too
 * (consultation.ics, denied). ERR_NOT_FOUND when none or not theirs. */
enum err center_consult_ics(struct arena *a, const struct actor *who, long long id, const char **ics);

/* Figures for /metrics: requests per status, overdue, outbox pending and
 * held. No patient data; not audited. */
enum err center_metrics(struct arena *a, struct rowset *per_status, long long *overdue, long long *outbox_pending,
                        long long *outbox_held);

/* The reviewer's worklist. ERR_FORBIDDEN for other roles. */
enum err center_reviewer_cases(struct arena *a, const struct actor *who, struct rowset *out);

/* ---- center settings (admin only) ---- */
/* The review targets and eligibility rules (admins only: ERR_FORBIDDEN
 * otherwise). Rows live in the arena; see st_targets / st_rules. */
enum err center_settings_get(struct arena *a, const struct actor *who, struct rowset *targets, struct rowset *rules);
/* A plain label for a review type ("reread" → "Re-read of the images"); the
 * type itself when unknown. Static string or the argument. */
const char *center_review_type_label(const char *review_type);
/* What a rule does, in plain words (arena-owned; months used by old_exam). */
const char *center_rule_explain(struct arena *a, const char *kind, const char *months);
/* Sets the target days of every review type from the posted form (one
 * field days_<type> per type the center knows, each a whole number 1–90,
 * parsed by the form layer). ERR_INVALID with one error per field and
 * nothing changed; otherwise one transaction with an audit row
 * center.settings.change. ERR_FORBIDDEN for non-admins. */
enum err center_targets_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                               struct center_errors *errs);
/* Whether the image viewer shows "For review only: diagnostic reading of
 * mammograms needs an FDA-cleared display." (a display setting, no patient
 * data: anyone signed in may read it). */
enum err center_viewer_notice(struct arena *a, bool *on);
/* Admins: turns that notice on or off (*on is the new value), with its audit
 * row (center.settings.change) in the same transaction. */
enum err center_viewer_notice_toggle(struct arena *a, const struct actor *who, bool *on);
/* Turns an eligibility rule on or off (one transaction with its audit row
 * center.settings.change); *enabled is the new state. ERR_NOT_FOUND for an
 * unknown rule, ERR_FORBIDDEN for non-admins. */
enum err center_rule_toggle(struct arena *a, const struct actor *who, const char *kind, bool *enabled);

/* The center's name and postal address (lines separated by "\n"), "" when
 * not set. Not patient data: readable by anyone signed in. Arena strings. */
enum err center_identity_get(struct arena *a, const char **name, const char **address);
/* Admins: sets them from the posted form (center_identity_form: the name is
 * required, one line, at most 200 characters; the address is required, at
 * most 500 characters on at most 8 lines, carriage returns and surrounding
 * blanks dropped). ERR_INVALID with one error per field ("center_name",
 * "center_address") and nothing changed; otherwise one transaction with its
 * audit row (center.settings.change). ERR_FORBIDDEN for non-admins. */
const struct form_spec *center_identity_form(void);
enum err center_identity_submit(struct arena *a, const struct actor *who, const struct form_pair *in, size_t n,
                                struct center_errors *errs);

/* serve --demo: gives the center a demo name and address unless one is set
 * (as the system, audited as center.settings.change). */
enum err center_identity_seed_demo(void);

/* What the header of a printed page of a request shows (arena strings). */
struct center_print_header {
  const char *patient_name, *birth_date /* YYYY-MM-DD or "" */, *reference, *center_name, *center_address;
};
/* Fills the header of a printed page of request `id` for the actor: access as
 * requests_access_view_unaudited (the page that prints it audits its own opening),
 * ERR_NOT_FOUND without access. */
enum err center_print_header(struct arena *a, const struct actor *who, long long id, struct center_print_header *out);
#endif
