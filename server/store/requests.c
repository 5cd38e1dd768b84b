#include "store/requests.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sealing.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

#define RQ_COLS                                                                                                    \
  "r.id, r.patient_id, r.reference, r.status, " TZ_SQL("r.created_at") ", "            \
  "" TZ_SQL("r.updated_at") ", r.exam_facility, r.records_contact, "           \
  "coalesce(to_char(r.exam_date, 'YYYY-MM-DD'), ''), r.prior_exam_dates, coalesce(r.birads, ''), r.reason, "      \
  "coalesce(to_char(r.treatment_date, 'YYYY-MM-DD'), ''), r.caregiver_name, r.caregiver_relationship, "            \
  "array_to_json(r.exam_types)::text, array_to_json(r.questions)::text, "                                          \
  "CASE WHEN r.biopsy_done IS NULL THEN -1 WHEN r.biopsy_done THEN 1 ELSE 0 END, r.exam_saved_at IS NOT NULL, "   \
  "coalesce(r.review_type, ''), coalesce(r.review_mode, ''), r.center_chooses, coalesce(r.specialist_id, 0), "    \
  "coalesce(r.payment, ''), r.insurance_plan, coalesce(encode(r.member_id_sealed, 'hex'), ''), "                   \
  "CASE WHEN r.plan_needs_referral IS NULL THEN -1 WHEN r.plan_needs_referral THEN 1 ELSE 0 END, "                 \
  "r.estimate_ack_at IS NOT NULL, coalesce(" TZ_SQL("r.submitted_at") ", ''), " \
  "coalesce(to_char(r.due_on, 'YYYY-MM-DD'), ''), coalesce(to_char(r.records_requested_at, 'YYYY-MM-DD'), ''), " \
  "coalesce(to_char(r.records_requested_at + CASE WHEN r.records_extended THEN 60 ELSE 30 END, 'YYYY-MM-DD'), ''), " \
  "r.records_extended, coalesce(r.parent_request_id, 0), coalesce(r.assigned_specialist_id, 0), "                  \
  "coalesce(r.assigned_reviewer_id, 0), r.review_stopped_at IS NOT NULL, "                                          \
  "coalesce(r.due_on - current_date, 0), "                                                 \
  "coalesce(encode(r.reason_sealed, 'hex'), ''), coalesce(encode(r.questions_sealed, 'hex'), '')"

static const struct db_stmt stmts[] = {
    {"rqs_create",
     "INSERT INTO requests (patient_id, reference, parent_request_id) VALUES ($1, 'SO-' || "
     "to_char(now(), 'YYYY') || '-' || lpad(nextval('request_reference_seq')::text, 5, '0'), nullif($2, 0)) "
     "RETURNING id, reference"},
    {"rqs_get", "SELECT " RQ_COLS " FROM requests r WHERE r.id = $1"},
    {"rqs_list", "SELECT " RQ_COLS " FROM requests r WHERE r.patient_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 100"},
    {"rqs_lock",
     "SELECT status, patient_id, coalesce(assigned_reviewer_id, 0) FROM requests WHERE id = $1 FOR UPDATE"},
    {"rqs_set_status",
     "UPDATE requests r SET status = $3, updated_at = now(), "
     "submitted_at = CASE WHEN $3 = 'submitted' THEN now() ELSE submitted_at END, "
     "reference = CASE WHEN $3 = 'submitted' AND reference !~ '^SO-[0-9]{4}-[0-9]{5,}$' THEN 'SO-' || "
     "to_char(now(), 'YYYY') || '-' || lpad(nextval('request_reference_seq')::text, 5, '0') ELSE reference END "
     /* the one due date is due_on (trigger requests_due); expected_by is no longer written */
     "WHERE id = $1 AND status = $2"},
    {"rqs_event_add",
     "INSERT INTO request_events (request_id, from_status, to_status, kind, actor_id, detail, internal) "
     "VALUES ($1, $2, $3, $4, nullif($5, 0), $6::jsonb, $7)"},
    {"rqs_events",
     /* who did it, for the timeline's sentences: a reviewer by the directory name of their specialist */
     "SELECT e.id, " TZ_SQL("e.at") ", coalesce(e.from_status, ''), "
     "coalesce(e.to_status, ''), e.kind, coalesce(e.detail::text, ''), e.internal, "
     "coalesce(CASE WHEN u.role = 'reviewer' THEN (SELECT s.full_name FROM specialists s "
     "WHERE s.reviewer_user_id = u.id ORDER BY s.active DESC, s.id LIMIT 1) END, u.name, ''), coalesce(u.role, ''), "
     "coalesce(e.actor_id, 0) FROM request_events e LEFT JOIN users u ON u.id = e.actor_id "
     "WHERE e.request_id = $1 AND (NOT e.internal OR $2) ORDER BY e.at, e.id LIMIT 1000"},
    {"rqs_save_exam",
     "UPDATE requests SET exam_facility = $2, records_contact = $3, exam_date = nullif($4, '')::date, "
     "prior_exam_dates = $5, birads = nullif($6, ''), reason = '', "
     "reason_sealed = CASE $7 WHEN '' THEN NULL ELSE decode($7, 'hex') END, treatment_date = nullif($8, '')::date, "
     "caregiver_name = $9, caregiver_relationship = $10, "
     "exam_types = ARRAY(SELECT json_array_elements_text($11::json)), "
     "questions = '{}', questions_sealed = CASE $12 WHEN '' THEN NULL ELSE decode($12, 'hex') END, "
     "biopsy_done = CASE $13 WHEN '1' THEN true WHEN '0' THEN false ELSE NULL END, exam_saved_at = now(), "
     "updated_at = now() WHERE id = $1 AND status = 'draft' AND (patient_id = $14::bigint OR EXISTS (SELECT 1 FROM "
     "caregiver_links l WHERE l.patient_id = requests.patient_id AND l.caregiver_id = $14::bigint AND "
     "l.revoked_at IS NULL)) RETURNING patient_id"},
    {"rqs_save_specialist",
     "UPDATE requests SET review_type = nullif($2, ''), review_mode = nullif($3, ''), center_chooses = $4, "
     "specialist_id = nullif($5::bigint, 0), updated_at = now() WHERE id = $1 AND status = 'draft' AND (patient_id = "
     "$6::bigint OR EXISTS (SELECT 1 FROM caregiver_links l WHERE l.patient_id = requests.patient_id AND "
     "l.caregiver_id = $6::bigint AND l.revoked_at IS NULL)) "
     /* the specialist takes this kind of review, and a third opinion goes to someone else */
     "AND ($5::bigint = 0 OR (EXISTS (SELECT 1 FROM specialists s WHERE s.id = $5::bigint AND s.active AND "
     "s.accepting AND CASE $2 WHEN 'reread' THEN s.offers_reread ELSE s.offers_consult END AND "
     "CASE $3 WHEN 'remote' THEN s.remote_review ELSE s.in_person END) AND NOT EXISTS (SELECT 1 FROM requests p "
     "WHERE p.id = requests.parent_request_id AND coalesce(p.assigned_specialist_id, p.specialist_id) = $5::bigint))) "
     "RETURNING patient_id"},
    {"rqs_save_coverage",
     "UPDATE requests SET payment = nullif($2, ''), insurance_plan = $3, "
     "member_id_sealed = CASE $4 WHEN '' THEN member_id_sealed WHEN '-' THEN NULL ELSE decode($4, 'hex') END, "
     "plan_needs_referral = CASE $5 WHEN '1' THEN true WHEN '0' THEN false ELSE NULL END, "
     "estimate_ack_at = CASE WHEN $6 THEN coalesce(estimate_ack_at, now()) ELSE NULL END, updated_at = now() "
     "WHERE id = $1 AND status = 'draft' AND (patient_id = $7::bigint OR EXISTS (SELECT 1 FROM "
     "caregiver_links l WHERE l.patient_id = requests.patient_id AND l.caregiver_id = $7::bigint AND "
     "l.revoked_at IS NULL)) RETURNING patient_id, member_id_sealed IS NOT NULL"},
    {"rqs_records_requested",
     "UPDATE requests SET records_requested_at = nullif($2, '')::date, records_extended = false, updated_at = now() "
     "WHERE id = $1"},
    {"rqs_records_extended",
     "UPDATE requests SET records_extended = true, updated_at = now() WHERE id = $1 AND records_requested_at IS NOT "
     "NULL AND NOT records_extended"},
    {"rqs_review_stopped", "UPDATE requests SET review_stopped_at = now(), updated_at = now() WHERE id = $1"},
    {"rqs_doc_summary",
     "SELECT count(*) FILTER (WHERE kind = 'images' AND sniffed_type = 'dicom'), "
     "count(*) FILTER (WHERE kind = 'images' AND sniffed_type <> 'dicom'), "
     "count(DISTINCT study_date) FILTER (WHERE kind IN ('images', 'prior_images') AND sniffed_type = 'dicom' AND "
     "coalesce(study_date, '') <> ''), "
     "coalesce(max(study_date) FILTER (WHERE kind = 'images' AND sniffed_type = 'dicom'), ''), "
     "count(*) FILTER (WHERE kind = 'prior_images'), count(*) FILTER (WHERE kind = 'radiology_report'), "
     "count(*) FILTER (WHERE kind = 'pathology_report'), count(*) FILTER (WHERE kind = 'authorization'), "
     "count(*) FILTER (WHERE kind = 'photo_id'), count(*) FILTER (WHERE kind = 'insurance_card'), "
     "count(*) FILTER (WHERE kind = 'referral') FROM documents WHERE request_id = $1 AND NOT skipped"},
    {"rqs_copy_studies",
     "INSERT INTO studies (request_id, study_uid, study_date, description, patient_name, patient_birth_date) "
     "SELECT $2, study_uid, study_date, description, patient_name, patient_birth_date FROM studies "
     "WHERE request_id = $1 ON CONFLICT (request_id, study_uid) DO NOTHING"},
    {"rqs_copy_series",
     "INSERT INTO series (study_id, request_id, series_uid, modality, description) "
     "SELECT ns.id, $2, s.series_uid, s.modality, s.description FROM series s JOIN studies os ON os.id = s.study_id "
     "JOIN studies ns ON ns.request_id = $2 AND ns.study_uid = os.study_uid WHERE s.request_id = $1 "
     "ON CONFLICT (request_id, series_uid) DO NOTHING"},
    {"rqs_copy_documents",
     "INSERT INTO documents (request_id, kind, original_name, sniffed_type, size, sha256, blake2b, file_id, "
     "wrapped_dek, kek_version, skipped, refused, skip_reason, series_id, sop_instance_uid, sop_class_uid, "
     "transfer_syntax, modality, laterality, view_position, study_date, patient_name, patient_birth_date, "
     "manufacturer, object_kind, frames, pixel_rows, pixel_columns, pixel_incomplete, patient_sex, active_content, "
     "image_info, digest_kind) SELECT $2, d.kind, d.original_name, d.sniffed_type, d.size, d.sha256, d.blake2b, "
     "d.file_id, d.wrapped_dek, d.kek_version, false, false, NULL, ns.id, d.sop_instance_uid, d.sop_class_uid, "
     "d.transfer_syntax, d.modality, d.laterality, d.view_position, d.study_date, d.patient_name, "
     "d.patient_birth_date, d.manufacturer, d.object_kind, d.frames, d.pixel_rows, d.pixel_columns, "
     "d.pixel_incomplete, d.patient_sex, d.active_content, d.image_info, d.digest_kind FROM documents d "
     "LEFT JOIN series os ON os.id = d.series_id "
     "LEFT JOIN series ns ON ns.request_id = $2 AND ns.series_uid = os.series_uid "
     "WHERE d.request_id = $1 AND NOT d.skipped AND d.kind <> 'authorization' ORDER BY d.id "
     "ON CONFLICT DO NOTHING"},
    {"rqs_copy_answers",
     "UPDATE requests t SET exam_facility = f.exam_facility, records_contact = f.records_contact, "
     "exam_date = f.exam_date, exam_types = f.exam_types, prior_exam_dates = f.prior_exam_dates, "
     "birads = f.birads, biopsy_done = f.biopsy_done, reason = f.reason, questions = f.questions, "
     "treatment_date = f.treatment_date, caregiver_name = f.caregiver_name, "
     "caregiver_relationship = f.caregiver_relationship, review_type = f.review_type, review_mode = f.review_mode, "
     "payment = f.payment, insurance_plan = f.insurance_plan, plan_needs_referral = f.plan_needs_referral "
     "FROM requests f WHERE f.id = $1 AND t.id = $2"},
    {"rqs_text_sealed",
     "SELECT coalesce(encode(reason_sealed, 'hex'), ''), coalesce(encode(questions_sealed, 'hex'), '')"
     " FROM requests WHERE id = $1"},
    {"rqs_text_set_sealed",
     "UPDATE requests SET reason = '', questions = '{}',"
     " reason_sealed = CASE $2 WHEN '' THEN reason_sealed ELSE decode($2, 'hex') END,"
     " questions_sealed = CASE $3 WHEN '' THEN questions_sealed ELSE decode($3, 'hex') END WHERE id = $1"},
    {"rqs_auth_sign",
     "INSERT INTO authorizations (request_id, signed_name, client_ip, text_sha256, text_version) "
     "VALUES ($1, $2, $3, $4, $5) RETURNING id"},
    {"rqs_auth_current",
     "SELECT id, coalesce(signed_name, ''), " TZ_SQL("signed_at") ", client_ip, "
     "coalesce(text_sha256, ''), coalesce(text_version, ''), coalesce(document_id, 0) FROM authorizations "
     "WHERE request_id = $1 AND revoked_at IS NULL"},
    {"rqs_auth_revoke",
     "UPDATE authorizations SET revoked_at = now() WHERE request_id = $1 AND revoked_at IS NULL RETURNING id"},
    {"rqs_message_add",
     "INSERT INTO messages (request_id, author_id, body_sealed, internal) VALUES ($1, $2, decode($3, 'hex'), $4) "
     "RETURNING id"},
    {"rqs_messages",
     /* a reviewer writes in the directory name of the specialist linked to the account */
     "SELECT m.id, m.author_id, coalesce(CASE WHEN u.role = 'reviewer' THEN (SELECT s.full_name FROM specialists s "
     "WHERE s.reviewer_user_id = u.id ORDER BY (s.id = (SELECT r2.assigned_specialist_id FROM requests r2 "
     "WHERE r2.id = m.request_id)) DESC NULLS LAST, s.active DESC, s.id LIMIT 1) END, u.name, ''), "
     "coalesce(u.role, ''), encode(m.body_sealed, 'hex'), "
     "" TZ_SQL("m.created_at") ", "
     "coalesce(" TZ_SQL("m.read_at") ", ''), m.internal "
     "FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.request_id = $1 AND (NOT m.internal OR $2) "
     "ORDER BY m.created_at, m.id LIMIT 500"},
    {"rqs_messages_read",
     "UPDATE messages m SET read_at = now() FROM users u WHERE m.request_id = $1 AND m.read_at IS NULL AND "
     "NOT m.internal AND u.id = m.author_id AND m.author_id <> $2 AND ((u.role = 'patient') = $3)"},
    {"rqs_unread",
     "SELECT m.request_id, count(*) FROM messages m JOIN requests r ON r.id = m.request_id "
     "JOIN users u ON u.id = m.author_id WHERE m.read_at IS NULL AND NOT m.internal AND "
     "(($1 = 'patient' AND r.patient_id = $2 AND u.role <> 'patient') OR ($1 = 'staff' AND u.role = 'patient') OR "
     "($1 = 'reviewer' AND r.assigned_reviewer_id = $2 AND u.role = 'patient')) "
     "AND m.request_id = ANY ($3::bigint[]) GROUP BY m.request_id"},
    {"rqs_assignment",
     "SELECT coalesce(cs.full_name, ''), coalesce(asp.full_name, ''), coalesce(r.assignment_reason, '') "
     "FROM requests r LEFT JOIN specialists cs ON cs.id = r.specialist_id "
     "LEFT JOIN specialists asp ON asp.id = r.assigned_specialist_id WHERE r.id = $1"},
    {"rqs_user_contact", "SELECT email, name, time_zone FROM users WHERE id = $1"},
    /* "who opened my records", grouped by person (and role) and the patient's own day (her time zone), newest first; one page of
     * groups ($2 groups after $3), with the totals over every group (window sums, before LIMIT) */
    {"rqs_access_groups",
     "WITH ev AS (SELECT a.id, a.actor_id, a.actor_role, (a.at AT TIME ZONE (SELECT pu.time_zone FROM users pu WHERE pu.id = $1))::date AS day, a.action, "
     "  CASE WHEN a.action = 'study.view' THEN coalesce(a.detail->>'date', '') || '|' || "
     "  coalesce(a.detail->>'mammogram', '') END AS study, "
     "  CASE WHEN a.action = 'pacs.send' THEN coalesce(a.detail->>'destination', '') END AS pacs "
     "  FROM audit_log a WHERE a.patient_id = $1 AND a.outcome = 'ok' AND "
     "  a.actor_role IN ('staff', 'reviewer', 'admin') AND (a.action LIKE 'request.view%' OR "
     "  a.action = 'request.download_zip' OR a.action LIKE 'records.%' OR a.action LIKE 'document.%' OR "
     "  a.action = 'study.view' OR a.action LIKE 'dicomweb.%' OR a.action = 'pacs.send') "
     "  AND a.action NOT IN ('document.upload', 'dicomweb.store.outcome')), "
     "g AS (SELECT actor_id, actor_role, day, max(id) AS last_id, count(*) AS events, "
     "  count(*) FILTER (WHERE action LIKE 'request.view%') AS opened, "
     "  count(*) FILTER (WHERE action LIKE 'records.%') AS records, "
     "  count(*) FILTER (WHERE action = 'document.download') AS downloads, "
     "  count(*) FILTER (WHERE action LIKE 'document.%' AND action <> 'document.download') AS documents, "
     "  count(*) FILTER (WHERE action = 'request.download_zip') AS zips, "
     "  count(*) FILTER (WHERE action = 'dicomweb.search') AS dw_found, "
     "  count(*) FILTER (WHERE action = 'dicomweb.retrieve') AS dw_copied, "
     "  count(*) FILTER (WHERE action = 'dicomweb.metadata') AS dw_details, "
     "  count(*) FILTER (WHERE action IN ('dicomweb.frames', 'dicomweb.rendered')) AS dw_viewed, "
     "  count(*) FILTER (WHERE action = 'dicomweb.store') AS dw_stored, "
     "  coalesce(string_agg(DISTINCT study, E'\\n' ORDER BY study DESC), '') AS studies, "
     "  coalesce(string_agg(DISTINCT pacs, E'\\n' ORDER BY pacs), '') AS pacs "
     "  FROM ev GROUP BY actor_id, actor_role, day) "
     "SELECT to_char(g.day, 'YYYY-MM-DD'), coalesce(u.name, 'Someone at the center'), g.actor_role, g.events, "
     "g.opened, g.records, g.downloads, g.documents, g.zips, g.studies, count(*) OVER (), sum(g.events) OVER (), "
     "g.dw_found, g.dw_copied, g.dw_details, g.dw_viewed, g.dw_stored, g.pacs "
     "FROM g LEFT JOIN users u ON u.id = g.actor_id ORDER BY g.day DESC, g.last_id DESC LIMIT $2 OFFSET $3"},
    {"rqs_access_groups_count",
     "SELECT count(DISTINCT (a.actor_id, a.actor_role, (a.at AT TIME ZONE (SELECT pu.time_zone FROM users pu WHERE pu.id = $1))::date)), count(*) "
     "FROM audit_log a WHERE a.patient_id = $1 AND a.outcome = 'ok' AND "
     "a.actor_role IN ('staff', 'reviewer', 'admin') AND (a.action LIKE 'request.view%' OR "
     "a.action = 'request.download_zip' OR a.action LIKE 'records.%' OR a.action LIKE 'document.%' OR "
     "a.action = 'study.view' OR a.action LIKE 'dicomweb.%' OR a.action = 'pacs.send') "
     "AND a.action NOT IN ('document.upload', 'dicomweb.store.outcome')"},
};

static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static void do_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

void rqs_register(void) { pthread_once(&reg_once, do_register); }

static const char *lld(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static long long ll(PGresult *r, int i, int c) { return strtoll(PQgetvalue(r, i, c), NULL, 10); }
static const char *sv(struct arena *a, PGresult *r, int i, int c) { return arena_strdup(a, PQgetvalue(r, i, c)); }
static bool bv(PGresult *r, int i, int c) { return PQgetvalue(r, i, c)[0] == 't'; }

/* Runs a statement that returns no rows of interest. */
static enum err exec_plain(const char *stmt, int n, const char *const *v, long long *affected) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (r && affected) *affected = strtoll(PQcmdTuples(r), NULL, 10);
  arena_free(a);
  return r ? ERR_OK : e;
}

/* Parses a JSON array of strings into an arena array. */
static const char **json_strings(struct arena *a, const char *text, size_t *n) {
  *n = 0;
  json_t *j = json_loads(text, 0, NULL);
  const char **out = NULL;
  if (!json_is_array(j)) goto done;
  out = arena_alloc(a, (json_array_size(j) + 1) * sizeof *out);
  if (!out) goto done;
  for (size_t i = 0; i < json_array_size(j); i++) {
    const char *s = json_string_value(json_array_get(j, i));
    if (s) out[(*n)++] = arena_strdup(a, s);
  }
  out[*n] = NULL;
done:
  json_decref(j);
  return out;
}

static void fill_row(struct arena *a, PGresult *r, int i, struct rqs_row *o) {
  memset(o, 0, sizeof *o);
  int c = 0;
  o->id = ll(r, i, c++);
  o->patient_id = ll(r, i, c++);
  o->reference = sv(a, r, i, c++);
  o->status = sv(a, r, i, c++);
  o->created_at = sv(a, r, i, c++);
  o->updated_at = sv(a, r, i, c++);
  o->exam_facility = sv(a, r, i, c++);
  o->records_contact = sv(a, r, i, c++);
  o->exam_date = sv(a, r, i, c++);
  o->prior_exam_dates = sv(a, r, i, c++);
  o->birads = sv(a, r, i, c++);
  o->reason = sv(a, r, i, c++);
  o->treatment_date = sv(a, r, i, c++);
  o->caregiver_name = sv(a, r, i, c++);
  o->caregiver_relationship = sv(a, r, i, c++);
  o->exam_types = json_strings(a, PQgetvalue(r, i, c++), &o->n_exam_types);
  o->questions = json_strings(a, PQgetvalue(r, i, c++), &o->n_questions);
  o->biopsy_done = (int)ll(r, i, c++);
  o->exam_saved = bv(r, i, c++);
  o->review_type = sv(a, r, i, c++);
  o->review_mode = sv(a, r, i, c++);
  o->center_chooses = bv(r, i, c++);
  o->specialist_id = ll(r, i, c++);
  o->payment = sv(a, r, i, c++);
  o->insurance_plan = sv(a, r, i, c++);
  o->member_sealed_hex = sv(a, r, i, c++);
  o->plan_needs_referral = (int)ll(r, i, c++);
  o->estimate_acknowledged = bv(r, i, c++);
  o->submitted_at = sv(a, r, i, c++);
  o->expected_by = sv(a, r, i, c++);
  o->records_requested_at = sv(a, r, i, c++);
  o->records_due = sv(a, r, i, c++);
  o->records_extended = bv(r, i, c++);
  o->parent_request_id = ll(r, i, c++);
  o->assigned_specialist_id = ll(r, i, c++);
  o->assigned_reviewer_id = ll(r, i, c++);
  o->review_stopped = bv(r, i, c++);
  o->days_to_expected = (int)ll(r, i, c++);
  /* the clinical free text is sealed (core/sealing.h); a row not yet
   * converted by the start-up pass still has its plaintext */
  const char *rh = PQgetvalue(r, i, c++), *qh = PQgetvalue(r, i, c++);
  if (*rh) {
    const char *t = reqtext_open(a, o->id, "reason", rh);
    if (!t) LOG_E("the reason of request %lld cannot be opened (wrong app key?)", o->id);
    o->reason = t ? t : "(This text could not be read.)";
  }
  if (*qh) {
    const char *t = reqtext_open(a, o->id, "questions", qh);
    if (!t) LOG_E("the questions of request %lld cannot be opened (wrong app key?)", o->id);
    o->questions = json_strings(a, t ? t : "[]", &o->n_questions);
  }
}

enum err rqs_create(struct arena *a, long long patient_id, long long parent_id, long long *id,
                    const char **reference) {
  enum err e;
  const char *v[] = {lld(a, patient_id), lld(a, parent_id)};
  PGresult *r = db_exec(a, "rqs_create", 2, v, &e);
  if (!r) return e;
  *id = ll(r, 0, 0);
  *reference = sv(a, r, 0, 1);
  return ERR_OK;
}

enum err rqs_get(struct arena *a, long long id, struct rqs_row *out) {
  enum err e;
  const char *v[] = {lld(a, id)};
  PGresult *r = db_exec(a, "rqs_get", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  fill_row(a, r, 0, out);
  return ERR_OK;
}

enum err rqs_list_for_patient(struct arena *a, long long patient_id, struct rqs_row **out, size_t *n) {
  enum err e;
  const char *v[] = {lld(a, patient_id)};
  PGresult *r = db_exec(a, "rqs_list", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) fill_row(a, r, (int)i, &(*out)[i]);
  return ERR_OK;
}

enum err rqs_lock(struct arena *a, long long id, const char **status, long long *patient_id, long long *reviewer_id) {
  enum err e;
  const char *v[] = {lld(a, id)};
  PGresult *r = db_exec(a, "rqs_lock", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *status = sv(a, r, 0, 0);
  *patient_id = ll(r, 0, 1);
  *reviewer_id = ll(r, 0, 2);
  return ERR_OK;
}

enum err rqs_set_status(long long id, const char *from, const char *to) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids, from, to};
  long long n = 0;
  enum err e = exec_plain("rqs_set_status", 3, v, &n);
  if (e != ERR_OK) return e;
  return n == 1 ? ERR_OK : ERR_CONFLICT;
}

enum err rqs_event_add(long long request_id, const char *from, const char *to, const char *kind, long long actor_id,
                       const char *detail_json, bool internal) {
  char ids[24], aid[24];
  snprintf(ids, sizeof ids, "%lld", request_id);
  snprintf(aid, sizeof aid, "%lld", actor_id);
  const char *v[] = {ids, from, to, kind, aid, detail_json, internal ? "true" : "false"};
  return exec_plain("rqs_event_add", 7, v, NULL);
}

enum err rqs_events(struct arena *a, long long request_id, bool include_internal, struct rqs_event **out,
                    size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id), include_internal ? "true" : "false"};
  PGresult *r = db_exec(a, "rqs_events", 2, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    struct rqs_event *o = &(*out)[i];
    o->id = ll(r, (int)i, 0);
    o->at = sv(a, r, (int)i, 1);
    o->from_status = sv(a, r, (int)i, 2);
    o->to_status = sv(a, r, (int)i, 3);
    o->kind = sv(a, r, (int)i, 4);
    o->detail = sv(a, r, (int)i, 5);
    o->internal = bv(r, (int)i, 6);
    o->actor_name = sv(a, r, (int)i, 7);
    o->actor_role = sv(a, r, (int)i, 8);
    o->actor_id = ll(r, (int)i, 9);
  }
  return ERR_OK;
}

enum err rqs_save_exam(long long id, long long actor_id, const struct rqs_exam *x, long long *owner) {
  char ids[24], actor[24];
  snprintf(ids, sizeof ids, "%lld", id);
  snprintf(actor, sizeof actor, "%lld", actor_id);
  *owner = 0;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *rh = "", *qh = "";
  if (x->reason && *x->reason && !(rh = reqtext_seal(a, id, "reason", x->reason))) rh = NULL;
  if (rh && x->questions_json && strcmp(x->questions_json, "[]") != 0 &&
      !(qh = reqtext_seal(a, id, "questions", x->questions_json)))
    qh = NULL;
  if (!rh || !qh) {
    arena_free(a);
    return ERR_INTERNAL;
  }
  const char *v[] = {ids,
                     x->facility,
                     x->records_contact,
                     x->exam_date,
                     x->prior_exam_dates,
                     x->birads,
                     rh,
                     x->treatment_date,
                     x->caregiver_name,
                     x->caregiver_relationship,
                     x->types_json,
                     qh,
                     x->biopsy_done == 1 ? "1" : x->biopsy_done == 0 ? "0" : "",
                     actor};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "rqs_save_exam", 14, v, &e);
  if (r && PQntuples(r) == 1) *owner = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  arena_free(a);
  return r ? ERR_OK : e;
}

enum err rqs_save_specialist(long long id, long long actor_id, const char *review_type, const char *review_mode,
                             bool center_chooses, long long specialist_id, long long *owner) {
  char ids[24], sid[24], actor[24];
  snprintf(ids, sizeof ids, "%lld", id);
  snprintf(sid, sizeof sid, "%lld", specialist_id);
  snprintf(actor, sizeof actor, "%lld", actor_id);
  *owner = 0;
  const char *v[] = {ids, review_type, review_mode, center_chooses ? "true" : "false", sid, actor};
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "rqs_save_specialist", 6, v, &e);
  if (r && PQntuples(r) == 1) *owner = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  arena_free(a);
  return r ? ERR_OK : e;
}

enum err rqs_save_coverage(long long id, long long actor_id, const char *payment, const char *plan,
                           const char *member_sealed_hex, int needs_referral, bool acknowledged, long long *owner,
                           bool *has_member) {
  char ids[24], actor[24];
  snprintf(ids, sizeof ids, "%lld", id);
  snprintf(actor, sizeof actor, "%lld", actor_id);
  *owner = 0;
  *has_member = false;
  const char *v[] = {ids, payment, plan, member_sealed_hex,
                     needs_referral == 1 ? "1" : needs_referral == 0 ? "0" : "", acknowledged ? "true" : "false",
                     actor};
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "rqs_save_coverage", 7, v, &e);
  if (r && PQntuples(r) == 1) {
    *owner = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    *has_member = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
  }
  arena_free(a);
  return r ? ERR_OK : e;
}

enum err rqs_set_records_requested(long long id, const char *date) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids, date};
  return exec_plain("rqs_records_requested", 2, v, NULL);
}

enum err rqs_set_records_extended(long long id) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids};
  long long n = 0;
  enum err e = exec_plain("rqs_records_extended", 1, v, &n);
  if (e != ERR_OK) return e;
  return n == 1 ? ERR_OK : ERR_CONFLICT;
}

enum err rqs_set_review_stopped(long long id) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids};
  return exec_plain("rqs_review_stopped", 1, v, NULL);
}

enum err rqs_doc_summary(struct arena *a, long long request_id, struct rqs_doc_summary *out) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "rqs_doc_summary", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  out->dicom_images = ll(r, 0, 0);
  out->pictures = ll(r, 0, 1);
  out->image_studies = ll(r, 0, 2);
  out->newest_image_date = sv(a, r, 0, 3);
  out->prior_images = ll(r, 0, 4);
  out->radiology_report = ll(r, 0, 5);
  out->pathology_report = ll(r, 0, 6);
  out->authorization = ll(r, 0, 7);
  out->photo_id = ll(r, 0, 8);
  out->insurance_card = ll(r, 0, 9);
  out->referral = ll(r, 0, 10);
  return ERR_OK;
}

enum err rqs_copy_records(long long from, long long to, long long *copied) {
  char f[24], t[24];
  snprintf(f, sizeof f, "%lld", from);
  snprintf(t, sizeof t, "%lld", to);
  const char *v[] = {f, t};
  enum err e = exec_plain("rqs_copy_studies", 2, v, NULL);
  if (e == ERR_OK) e = exec_plain("rqs_copy_series", 2, v, NULL);
  if (e == ERR_OK) e = exec_plain("rqs_copy_documents", 2, v, copied);
  return e;
}

enum err rqs_copy_answers(long long from, long long to) {
  char f[24], t[24];
  snprintf(f, sizeof f, "%lld", from);
  snprintf(t, sizeof t, "%lld", to);
  const char *v[] = {f, t};
  enum err e = exec_plain("rqs_copy_answers", 2, v, NULL);
  if (e != ERR_OK) return e;
  /* sealed text is bound to its request: open the parent's, seal it for the child */
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *fv[] = {f};
  PGresult *r = db_exec(a, "rqs_text_sealed", 1, fv, &e);
  if (r && PQntuples(r) == 1) {
    const char *rh = PQgetvalue(r, 0, 0), *qh = PQgetvalue(r, 0, 1), *nr = "", *nq = "";
    if (*rh) {
      const char *txt = reqtext_open(a, from, "reason", rh);
      nr = txt ? reqtext_seal(a, to, "reason", txt) : NULL;
    }
    if (nr && *qh) {
      const char *txt = reqtext_open(a, from, "questions", qh);
      nq = txt ? reqtext_seal(a, to, "questions", txt) : NULL;
    }
    if (!nr || !nq) {
      e = ERR_INTERNAL;
    } else if (*nr || *nq) {
      const char *sv2[] = {t, nr, nq};
      db_exec(a, "rqs_text_set_sealed", 3, sv2, &e);
    }
  } else if (r) {
    e = ERR_NOT_FOUND;
  }
  arena_free(a);
  return e;
}

enum err rqs_auth_sign(struct arena *a, long long request_id, const char *name, const char *ip, const char *sha256_hex,
                       const char *version, long long *auth_id) {
  enum err e;
  const char *v[] = {lld(a, request_id), name, ip ? ip : "", sha256_hex, version};
  PGresult *r = db_exec(a, "rqs_auth_sign", 5, v, &e);
  if (!r) return e;
  *auth_id = ll(r, 0, 0);
  return ERR_OK;
}

enum err rqs_auth_current(struct arena *a, long long request_id, struct rqs_authorization *out, int *found) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "rqs_auth_current", 1, v, &e);
  if (!r) return e;
  *found = PQntuples(r) > 0;
  memset(out, 0, sizeof *out);
  if (!*found) return ERR_OK;
  out->id = ll(r, 0, 0);
  out->signed_name = sv(a, r, 0, 1);
  out->signed_at = sv(a, r, 0, 2);
  out->client_ip = sv(a, r, 0, 3);
  out->text_sha256 = sv(a, r, 0, 4);
  out->text_version = sv(a, r, 0, 5);
  out->document_id = ll(r, 0, 6);
  out->revoked_at = "";
  return ERR_OK;
}

enum err rqs_auth_revoke(long long request_id) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", request_id);
  const char *v[] = {ids};
  long long n = 0;
  enum err e = exec_plain("rqs_auth_revoke", 1, v, &n);
  if (e != ERR_OK) return e;
  return n >= 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err rqs_message_add(long long request_id, long long author_id, const char *sealed_hex, bool internal,
                         long long *id) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, request_id), lld(a, author_id), sealed_hex, internal ? "true" : "false"};
  PGresult *r = db_exec(a, "rqs_message_add", 4, v, &e);
  if (r) {
    *id = ll(r, 0, 0);
    e = ERR_OK;
  }
  arena_free(a);
  return e;
}

enum err rqs_messages(struct arena *a, long long request_id, bool include_internal, struct rqs_message **out,
                      size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id), include_internal ? "true" : "false"};
  PGresult *r = db_exec(a, "rqs_messages", 2, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    struct rqs_message *o = &(*out)[i];
    int k = (int)i;
    o->id = ll(r, k, 0);
    o->author_id = ll(r, k, 1);
    o->author_name = sv(a, r, k, 2);
    o->author_role = sv(a, r, k, 3);
    o->body_sealed_hex = sv(a, r, k, 4);
    o->created_at = sv(a, r, k, 5);
    o->read_at = sv(a, r, k, 6);
    o->internal = bv(r, k, 7);
  }
  return ERR_OK;
}

enum err rqs_unread(struct arena *a, const char *side, long long reader_id, const long long *ids, size_t n_ids,
                    struct rqs_unread **out, size_t *n) {
  enum err e;
  *n = 0;
  *out = NULL;
  if (!n_ids) return ERR_OK;
  char *arr = arena_alloc(a, n_ids * 21 + 3);
  if (!arr) return ERR_INTERNAL;
  size_t o = 0;
  arr[o++] = '{';
  for (size_t i = 0; i < n_ids; i++) o += (size_t)snprintf(arr + o, 22, "%s%lld", i ? "," : "", ids[i]);
  arr[o++] = '}';
  arr[o] = '\0';
  const char *v[] = {side, lld(a, reader_id), arr};
  PGresult *r = db_exec(a, "rqs_unread", 3, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    (*out)[i].request_id = ll(r, (int)i, 0);
    (*out)[i].count = ll(r, (int)i, 1);
  }
  return ERR_OK;
}

enum err rqs_messages_mark_read(long long request_id, long long reader_id, bool center_reader) {
  char ids[24], rid[24];
  snprintf(ids, sizeof ids, "%lld", request_id);
  snprintf(rid, sizeof rid, "%lld", reader_id);
  /* a center reader marks the patient's messages read, and the other way round */
  const char *v[] = {ids, rid, center_reader ? "true" : "false"};
  return exec_plain("rqs_messages_read", 3, v, NULL);
}

enum err rqs_user_contact(struct arena *a, long long user_id, const char **email, const char **name) {
  const char *zone;
  return rqs_user_contact_tz(a, user_id, email, name, &zone);
}

enum err rqs_user_contact_tz(struct arena *a, long long user_id, const char **email, const char **name,
                             const char **time_zone) {
  enum err e;
  const char *v[] = {lld(a, user_id)};
  PGresult *r = db_exec(a, "rqs_user_contact", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *email = sv(a, r, 0, 0);
  *name = sv(a, r, 0, 1);
  *time_zone = sv(a, r, 0, 2);
  return ERR_OK;
}

enum err rqs_assignment(struct arena *a, long long request_id, const char **chosen, const char **assigned,
                        const char **reason) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "rqs_assignment", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *chosen = sv(a, r, 0, 0);
  *assigned = sv(a, r, 0, 1);
  *reason = sv(a, r, 0, 2);
  return *chosen && *assigned && *reason ? ERR_OK : ERR_INTERNAL;
}

enum err rqs_center_access_groups(struct arena *a, long long patient_id, long long limit, long long offset,
                                  struct rqs_access_group **out, size_t *n, long long *total_groups,
                                  long long *total_events) {
  enum err e;
  const char *v[] = {lld(a, patient_id), lld(a, limit), lld(a, offset)};
  PGresult *r = db_exec(a, "rqs_access_groups", 3, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  *total_groups = *total_events = 0;
  for (size_t i = 0; i < *n; i++) {
    int k = (int)i;
    struct rqs_access_group *g = &(*out)[i];
    g->day = sv(a, r, k, 0);
    g->who = sv(a, r, k, 1);
    g->role = sv(a, r, k, 2);
    g->events = ll(r, k, 3);
    g->opened = ll(r, k, 4);
    g->records = ll(r, k, 5);
    g->downloads = ll(r, k, 6);
    g->documents = ll(r, k, 7);
    g->zips = ll(r, k, 8);
    g->studies = sv(a, r, k, 9);
    g->dw_found = ll(r, k, 12);
    g->dw_copied = ll(r, k, 13);
    g->dw_details = ll(r, k, 14);
    g->dw_viewed = ll(r, k, 15);
    g->dw_stored = ll(r, k, 16);
    g->pacs = sv(a, r, k, 17);
    *total_groups = ll(r, k, 10);
    *total_events = ll(r, k, 11);
  }
  if (*n == 0 && offset > 0) { /* past the last page: the totals still count */
    const char *cv[] = {v[0]};
    PGresult *c = db_exec(a, "rqs_access_groups_count", 1, cv, &e);
    if (!c) return e;
    *total_groups = ll(c, 0, 0);
    *total_events = ll(c, 0, 1);
  }
  return ERR_OK;
}
