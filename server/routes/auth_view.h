/* Page helpers shared by the account route families (auth.c, admin_accounts.c). */
#ifndef SECONDOP_ROUTES_AUTH_VIEW_H
#define SECONDOP_ROUTES_AUTH_VIEW_H
#include "core/accounts.h"
#include "http/req.h"

/* Sets an HDF value (ignored when value is NULL or memory runs out). */
void view_set(struct req *r, const char *name, const char *value);
void view_set_int(struct req *r, const char *name, long long v);
/* Form.Errors.<field> for each error. */
void view_errors(struct req *r, const struct acct_errors *errs);
/* Form.Values.<field> from the posted form, so the page shows what was typed. */
void view_keep(struct req *r, const char *field);
/* A short page with a title, a sentence and one link (message.cs). */
void view_message(struct req *r, unsigned status, const char *title, const char *text, const char *link,
                  const char *link_text);
/* Where a role lands after logging in. */
const char *role_home(unsigned role);
#endif
