/* The route tables, in one place: a newcomer finds a URL's handler here. */
#include "routes/routes.h"

#include "http/stepup.h"

const struct route *const all_route_tables[] = {
    pages_routes,
    specialists_routes,
    admin_specialists_routes,
    admin_audit_routes,
    auth_routes,
    admin_accounts_routes,
    admin_center_routes,
    pacs_routes, /* before patient_requests_routes and staff_requests_routes */
    api_uploads_routes,
    viewer_api_routes,
    dicomweb_routes,
    account_tokens_routes,
    account_caregivers_routes,
    dicomweb_stow_routes,
    viewer_pages_routes, /* before staff_requests_routes: its POST …/{action} would answer 405 for …/images */
    patient_access_routes,
    patient_requests_routes, /* before patient_records_routes: its GET /requests replaces the records list */
    patient_records_routes,
    staff_queue_routes,
    staff_communication_routes, /* before staff_requests_routes: its POST …/{action} would take …/communication */
    staff_requests_routes,
    reviewer_cases_routes,
    patient_report_routes,
    metrics_routes,
    stepup_routes,
};
const size_t all_route_tables_count = sizeof all_route_tables / sizeof all_route_tables[0];
