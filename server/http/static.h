/* Static assets from static/: loaded into memory at start with their
 * Content-Type and a strong ETag; served by exact path only, so no request
 * can reach a file outside the folder and no directory is ever listed. */
#ifndef SECONDOP_STATIC_H
#define SECONDOP_STATIC_H
#include "http/req.h"

/* Loads every regular file below dir. Returns the count or -1. */
int static_load(const char *dir);
void static_free(void);
/* Handler for GET /static/{...}: 200 with ETag, 304 on If-None-Match, 404 otherwise. */
void static_serve(struct req *r, const char *rel_path);
/* Content-Type for a file name by extension. */
const char *mime_for(const char *name);
#endif
