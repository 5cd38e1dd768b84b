/* Route tables, one per route family (one file each in server/routes/).
 * Each table ends with a zero entry; routes.c lists them all. */
#ifndef SECONDOP_ROUTES_H
#define SECONDOP_ROUTES_H
#include <stddef.h>

#include "http/router.h"

extern const struct route pages_routes[];
extern const struct route specialists_routes[];
extern const struct route admin_specialists_routes[];
extern const struct route admin_audit_routes[];
extern const struct route auth_routes[];
extern const struct route admin_accounts_routes[];
extern const struct route admin_center_routes[];
extern const struct route pacs_routes[];
extern const struct route api_uploads_routes[];
extern const struct route viewer_api_routes[];
extern const struct route dicomweb_routes[];
extern const struct route account_tokens_routes[];
extern const struct route account_caregivers_routes[];
/* Puts the signed-in user's personal access tokens in the page data (Tokens.Count,
 * Tokens.List.N.*; templates/_tokens.cs shows them): for /account and /account/tokens. */
enum err account_tokens_view(struct req *r);
extern const struct route dicomweb_stow_routes[];
extern const struct route patient_requests_routes[];
extern const struct route patient_access_routes[];
extern const struct route patient_records_routes[];
extern const struct route staff_queue_routes[];
extern const struct route staff_requests_routes[];
extern const struct route staff_communication_routes[];
struct center_errors;
/* The staff page of request id (staff_requests.c), with form errors (may be
 * NULL) and a done message (may be NULL). */
void staff_request_show(struct req *r, long long id, const struct center_errors *errs, const char *done);
/* The same page after a refused form `action` (its spec echoes what was
 * typed, Form.Action names it); status 422 with errs, or `status` with
 * `problem` said at the top. */
struct form_spec;
void staff_request_show_form(struct req *r, long long id, const struct center_errors *errs,
                             const struct form_spec *spec, const char *action, int status, const char *problem);
extern const struct route reviewer_cases_routes[];
extern const struct route viewer_pages_routes[];
extern const struct route patient_report_routes[];
extern const struct route metrics_routes[];

/* Sets the bearer token GET /metrics accepts (only its hash is kept; the
 * caller wipes its copy). 0, or -1 when it is shorter than 32 characters.
 * Call before the HTTP threads start. */
int metrics_set_token(const char *token, size_t len);

/* Every table, in match order. */
extern const struct route *const all_route_tables[];
extern const size_t all_route_tables_count;
#endif
