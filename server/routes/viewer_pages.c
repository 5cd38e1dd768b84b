/* The image viewer's pages (issue 13), one template for three audiences:
 *   GET /requests/{id}/images          the patient, own requests only
 *   GET /staff/requests/{id}/images    staff
 *   GET /reviewer/cases/{id}/images    the reviewer assigned to the case
 * {id} is the request, as on the records, staff request and case pages. The
 * page carries no image data: static/js/viewer.js reads the request's JSON,
 * previews and frames (/api/v1/requests/{id}/…, the same access check), and
 * draws them on canvases. Anyone else gets 404, like a document download. */
#include <ClearSilver.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/center.h"
#include "core/records.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/routes.h"
#include "util/arena.h"

/* Renders viewer.cs for request {id}; back/back_label: the page the viewer
 * was opened from (prefix, id, suffix). The access check is records_request_open's (owner, staff
 * past draft, the assigned reviewer; it audits the view or the refusal). */
static void viewer_page(struct req *r, const char *back_prefix, const char *back_suffix, const char *back_label) {
  struct actor who = actor_from_req(r);
  struct arena *a = r->arena;
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  struct request_row req;
  enum err e = records_request_open(a, &who, id, &req);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  bool notice = true;
  if ((e = center_viewer_notice(a, &notice)) != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  cv_set(hdf, arena_printf(a, "Images for request %s", req.reference), "Page.Title");
  cv_set(hdf, "viewer", "Page.Name");
  cv_set(hdf, arena_printf(a, "%lld", req.id), "Viewer.RequestId");
  cv_set(hdf, req.reference, "Viewer.Reference");
  cv_set(hdf, arena_printf(a, "/api/v1/requests/%lld/images", req.id), "Viewer.Api");
  cv_set(hdf, arena_printf(a, "%s%lld%s", back_prefix, req.id, back_suffix), "Viewer.Back");
  cv_set(hdf, back_label, "Viewer.BackLabel");
  cv_set(hdf, notice ? "1" : "0", "Viewer.Notice");
  reply_page(r, 200, "viewer.cs");
}

static void patient_images(struct req *r) { viewer_page(r, "/requests/", "/records", "Back to your records"); }
static void staff_images(struct req *r) { viewer_page(r, "/staff/requests/", "", "Back to the request"); }
static void reviewer_images(struct req *r) { viewer_page(r, "/reviewer/cases/", "", "Back to the case"); }

const struct route viewer_pages_routes[] = {
    {"GET", "/requests/{id}/images", patient_images, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "viewer-patient"},
    {"GET", "/staff/requests/{id}/images", staff_images, ROLE_STAFF, 0, BODY_NONE, 0, NULL, "viewer-staff"},
    {"GET", "/reviewer/cases/{id}/images", reviewer_images, ROLE_REVIEWER, 0, BODY_NONE, 0, NULL, "viewer-reviewer"},
    {0},
};
