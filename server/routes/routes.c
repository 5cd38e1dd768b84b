/* The route tables, in one place: a newcomer finds a URL's handler here. */
#include "routes/routes.h"

const struct route *const all_route_tables[] = {
    pages_routes,
    admin_audit_routes,
    auth_routes,
    admin_accounts_routes,
};
const size_t all_route_tables_count = sizeof all_route_tables / sizeof all_route_tables[0];
