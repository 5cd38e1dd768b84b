/* SQL for the center: see center.h. */
#include "store/center.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/sealing.h"
#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

/* Triage (migrations/0017_triage.sql, core/triage.h): the class and the
 * upcoming treatment date are stored by trigger requests_triage from
 * triage_class() (the SQL mirror of triage_classify(), both tested on
 * tests/data/triage_table.tsv), refreshed daily (ctr_triage_refresh), and
 * ordered by the index requests_triage_order: the release-queue mark, the
 * class, the upcoming treatment date, waiting time, id. */
#define EFF_CAT "triage_eff_birads(r.birads, r.verified_at, r.verified_birads)"
#define EFF_BX "triage_eff_biopsy(r.biopsy_done, r.verified_at, r.verified_biopsy)"
#define PRIO "r.triage_class"
#define RELEASE_LAST "(NOT (r.status = 'report_ready' AND r.release_first))"
#define UPCOMING "r.triage_upcoming"
#define ORDER_TRIAGE " ORDER BY " RELEASE_LAST ", " PRIO ", " UPCOMING ", r.submitted_at, r.id"
/* The one due date (trigger requests_due) and the flags shown with it. */
#define DUE_COLS                                                                                          \
  " coalesce(to_char(r.due_on, 'YYYY-MM-DD'), '') AS due, r.due_cannot_meet AS due_cannot_meet,"         \
  " coalesce(r.treatment_date < current_date, false) AS treatment_passed,"                               \
  " (" EFF_BX " = 'benign' AND coalesce(" EFF_CAT ", '') IN ('4', '4B', '4C', '5')) AS benign_discordant,"  \
  " (r.verified_at IS NOT NULL) AS verified, coalesce(" EFF_CAT ", '') AS eff_birads, " EFF_BX " AS eff_biopsy,"
#define OPEN_STATES "('submitted', 'triage', 'needs_info', 'accepted', 'scheduled', 'in_review')"
#define OVERDUE "(r.status IN " OPEN_STATES " AND r.due_on < current_date)"
#define HAS_DOC(k)                                                                                        \
  "EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id AND NOT d.skipped AND d.kind = '" k "')"
#define HAS_DICOM                                                                                         \
  "EXISTS (SELECT 1 FROM documents d WHERE d.request_id = r.id AND NOT d.skipped AND d.sniffed_type = 'dicom')"
#define HAS_AUTH "EXISTS (SELECT 1 FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NULL)"
/* Mirrors the required items of the completeness checklist (core/checklist.c). */
#define INCOMPLETE                                                                                        \
  "(NOT " HAS_DICOM " OR NOT " HAS_DOC("radiology_report") " OR (coalesce(r.biopsy_done, false) AND NOT " \
  HAS_DOC("pathology_report") ") OR (coalesce(r.plan_needs_referral, false) AND NOT " HAS_DOC("referral") \
  ") OR NOT " HAS_AUTH ")"
#define RULE_ON(k) "EXISTS (SELECT 1 FROM eligibility_rules e WHERE e.kind = '" k "' AND e.enabled)"
#define FLAGS                                                                                             \
  "(" RULE_ON("negative_screening") " AND r.birads IN ('1', '2') AND 'screening_mammogram' = ANY (r.exam_types)" \
  " AND NOT 'diagnostic_mammogram' = ANY (r.exam_types)) AS flag_negative_screening, "                   \
  "(" RULE_ON("no_images") " AND NOT " HAS_DICOM ") AS flag_no_images, "                                \
  "EXISTS (SELECT 1 FROM eligibility_rules e WHERE e.kind = 'old_exam' AND e.enabled AND r.exam_date <"   \
  " current_date - make_interval(months => coalesce(e.months, 12))) AS flag_old_exam"

#define QUEUE_WHERE(PRIO_COND, SEARCH)                                                                                    \
  " AND r.status <> 'draft'"                                                                              \
  " AND (($1::text = '' AND r.status IN " OPEN_STATES ") OR $1::text = 'all' OR r.status = $1::text)"    \
  PRIO_COND                                                                                               \
  " AND ($3::bigint = 0 OR coalesce(r.assigned_specialist_id, r.specialist_id) = $3::bigint)"             \
  " AND (NOT $4::boolean OR " OVERDUE ") AND (NOT $5::boolean OR " INCOMPLETE ")" SEARCH
/* Search by reference or patient name through the trigram indexes. */
#define SEARCH_Q " AND r.id IN (SELECT id FROM found)"
#define SEARCH_WITH                                                                                       \
  "WITH found AS MATERIALIZED (SELECT r2.id FROM requests r2 WHERE r2.reference ILIKE $6::text UNION"     \
  " SELECT r2.id FROM users u2 JOIN requests r2 ON r2.patient_id = u2.id WHERE u2.name ILIKE $6::text) "
#define NO_SEARCH " AND $6::text = ''"
/* One class (the index requests_triage_class serves filter and order), or any. */
#define PRIO_ONE " AND " PRIO " = $2::integer"
#define PRIO_ANY " AND $2::integer = 0"
/* The patient's messages on a request that nobody at the center has read yet (as
 * rqs_unread for staff; index messages_unread): in the page's statement, not a round trip of its own. */
#define UNREAD                                                                                            \
  "(SELECT count(*) FROM messages m JOIN users mu ON mu.id = m.author_id WHERE m.request_id = r.id"        \
  " AND m.read_at IS NULL AND NOT m.internal AND mu.role = 'patient')"
/* The page's ids first, on cheap keys only; the costly columns are computed
 * for those rows only. */
#define QUEUE_SQL(WITH, PRIO_COND, SEARCH)                                                                           \
  WITH "SELECT r.id, r.reference, r.status, u.name AS patient_name, coalesce(r.birads, '') AS birads,"          \
  " coalesce(r.biopsy_done, false) AS biopsy, coalesce(to_char(r.treatment_date, 'YYYY-MM-DD'), '') AS treatment_date," \
  " coalesce(" TZ_SQL("r.submitted_at") ", '') AS submitted, coalesce(r.review_type, '') AS review_type," \
  " " PRIO " AS priority," DUE_COLS " " OVERDUE " AS overdue, r.release_first AND r.status = 'report_ready' AS release_first, " \
  INCOMPLETE " AS incomplete, coalesce(s.full_name, '') AS specialist, coalesce(cu.name, '') AS claimed_by, " FLAGS ", " \
  UNREAD " AS unread"                                                                                       \
  " FROM (SELECT r.id FROM requests r WHERE true" QUEUE_WHERE(PRIO_COND, SEARCH) ORDER_TRIAGE " LIMIT $7 OFFSET $8) page"         \
  " JOIN requests r ON r.id = page.id JOIN users u ON u.id = r.patient_id"                                  \
  " LEFT JOIN specialists s ON s.id = coalesce(r.assigned_specialist_id, r.specialist_id)"                   \
  " LEFT JOIN triage_claims tc ON tc.request_id = r.id LEFT JOIN users cu ON cu.id = tc.staff_id" ORDER_TRIAGE
/* How many match, counted up to $7 rows (the caller shows "more than"). */
#define QUEUE_COUNT_SQL(WITH, PRIO_COND, SEARCH)                                                                     \
  WITH "SELECT count(*) FROM (SELECT 1 FROM requests r WHERE true" QUEUE_WHERE(PRIO_COND, SEARCH) " LIMIT $7) x"

#define CASE_COLS                                                                                         \
  "r.id, r.reference, r.status, r.patient_id, u.name AS patient_name, u.email AS patient_email,"          \
  " coalesce(to_char(u.date_of_birth, 'YYYY-MM-DD'), '') AS patient_dob,"                                \
  " r.exam_facility, r.records_contact, coalesce(to_char(r.exam_date, 'YYYY-MM-DD'), '') AS exam_date,"  \
  " array_to_string(r.exam_types, ';') AS exam_types, r.prior_exam_dates, coalesce(r.birads, '') AS birads," \
  " coalesce(r.biopsy_done::text, '') AS biopsy_done, r.reason, array_to_string(r.questions, E'\\x1f') AS questions," \
  " coalesce(encode(r.reason_sealed, 'hex'), '') AS reason_sealed,"                                      \
  " coalesce(encode(r.questions_sealed, 'hex'), '') AS questions_sealed,"                                \
  " coalesce(to_char(r.treatment_date, 'YYYY-MM-DD'), '') AS treatment_date, r.caregiver_name,"          \
  " r.caregiver_relationship, coalesce(r.review_type, '') AS review_type, coalesce(r.review_mode, '') AS review_mode," \
  " r.center_chooses, coalesce(r.payment, '') AS payment, r.insurance_plan,"                             \
  " coalesce(r.plan_needs_referral::text, '') AS plan_needs_referral,"                                   \
  " coalesce(" TZ_SQL("r.submitted_at") ", '') AS submitted_at,"     \
  " coalesce(to_char(r.due_on, 'YYYY-MM-DD'), '') AS expected_by, coalesce(r.parent_request_id, 0) AS parent_request_id," \
  " coalesce(r.specialist_id, 0) AS specialist_id, coalesce(cs.full_name, '') AS chosen_specialist,"     \
  " coalesce(r.assigned_specialist_id, 0) AS assigned_specialist_id, coalesce(asp.full_name, '') AS assigned_specialist," \
  " coalesce(r.assigned_reviewer_id, 0) AS assigned_reviewer_id, coalesce(ru.name, '') AS assigned_reviewer," \
  " coalesce(r.assignment_reason, '') AS assignment_reason,"                                              \
  " coalesce(" TZ_SQL("r.review_stopped_at") ", '') AS review_stopped_at," \
  " " PRIO " AS priority," DUE_COLS " " OVERDUE " AS overdue, "                                              \
  " coalesce(r.verified_birads, '') AS verified_birads, coalesce(r.verified_recommendation, '') AS verified_recommendation," \
  " coalesce(r.verified_biopsy, '') AS verified_biopsy,"                                                   \
  " coalesce(to_char(r.verified_biopsy_date, 'YYYY-MM-DD'), '') AS verified_biopsy_date,"                  \
  " coalesce(to_char(r.verified_exam_date, 'YYYY-MM-DD'), '') AS verified_exam_date,"                      \
  " coalesce(" TZ_SQL("r.verified_at") ", '') AS verified_at,"         \
  " coalesce((SELECT vu.name FROM users vu WHERE vu.id = r.verified_by), '') AS verified_by_name, "         \
  INCOMPLETE " AS incomplete, " FLAGS ", coalesce(cu.name, '') AS claimed_by, coalesce(tc.staff_id, 0) AS claimed_by_id," \
  " coalesce(cc.insurance_verified, false) AS insurance_verified, coalesce(cc.referral_received, false) AS referral_received," \
  " coalesce(cc.network_status, 'unknown') AS network_status, coalesce(cc.notes, '') AS coverage_notes,"   \
  " coalesce((SELECT au.signed_name FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NULL" \
  "   ORDER BY au.id DESC LIMIT 1), '') AS auth_signed_name,"                                              \
  " coalesce((SELECT " TZ_SQL("au.signed_at") " FROM authorizations au"  \
  "   WHERE au.request_id = r.id AND au.revoked_at IS NULL ORDER BY au.id DESC LIMIT 1), '') AS auth_signed_at," \
  " coalesce((SELECT au.document_id FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NULL" \
  "   ORDER BY au.id DESC LIMIT 1), 0) AS auth_document_id,"                                              \
  " EXISTS (SELECT 1 FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NOT NULL) AS auth_revoked"

static const struct db_stmt stmts[] = {
    /* variants: any class or one, without or with a search (a generic plan then uses the right index) */
    {"ctr_queue", QUEUE_SQL("", PRIO_ANY, NO_SEARCH)},
    {"ctr_queue_p", QUEUE_SQL("", PRIO_ONE, NO_SEARCH)},
    {"ctr_queue_search", QUEUE_SQL(SEARCH_WITH, PRIO_ANY, SEARCH_Q)},
    {"ctr_queue_search_p", QUEUE_SQL(SEARCH_WITH, PRIO_ONE, SEARCH_Q)},
    {"ctr_queue_count", QUEUE_COUNT_SQL("", PRIO_ANY, NO_SEARCH)},
    {"ctr_queue_count_p", QUEUE_COUNT_SQL("", PRIO_ONE, NO_SEARCH)},
    {"ctr_queue_search_count", QUEUE_COUNT_SQL(SEARCH_WITH, PRIO_ANY, SEARCH_Q)},
    {"ctr_queue_search_count_p", QUEUE_COUNT_SQL(SEARCH_WITH, PRIO_ONE, SEARCH_Q)},
    /* inside the queue's transaction (st_queue_page): the generic plans of the queue
     * statements walk the triage indexes; planning each call for its parameters costs more than the read */
    {"ctr_generic_plans", "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"},
    /* the stored class and upcoming date of requests with a treatment date, as of today */
    {"ctr_triage_refresh",
     "UPDATE requests SET triage_day = current_date WHERE treatment_date IS NOT NULL AND triage_day < current_date"},
    {"ctr_counts", "SELECT status, sum(n)::bigint AS n FROM request_counts WHERE status <> 'draft' GROUP BY status"},
    /* the queue page's counts and its overdue count in one pass over the kept counts */
    {"ctr_counts_overdue",
     "SELECT status, sum(n)::bigint AS n, coalesce(sum(n) FILTER (WHERE status IN " OPEN_STATES
     " AND due_on < current_date), 0)::bigint AS overdue FROM request_counts WHERE status <> 'draft' GROUP BY status"},
    {"ctr_overdue",
     "SELECT coalesce(sum(n), 0)::bigint FROM request_counts WHERE status IN " OPEN_STATES " AND due_on < current_date"},
    {"ctr_case",
     "SELECT " CASE_COLS " FROM requests r JOIN users u ON u.id = r.patient_id"
     " LEFT JOIN specialists cs ON cs.id = r.specialist_id LEFT JOIN specialists asp ON asp.id = r.assigned_specialist_id"
     " LEFT JOIN users ru ON ru.id = r.assigned_reviewer_id LEFT JOIN triage_claims tc ON tc.request_id = r.id"
     " LEFT JOIN users cu ON cu.id = tc.staff_id LEFT JOIN coverage_checks cc ON cc.request_id = r.id WHERE r.id = $1"},
    {"ctr_events",
     "SELECT e.id, " TZ_SQL("e.at") " AS at, coalesce(e.from_status, '') AS from_status,"
     " coalesce(e.to_status, '') AS to_status, e.kind, coalesce(e.detail::text, '') AS detail, e.internal,"
     " coalesce(u.name, '') AS actor, coalesce(u.role, '') AS actor_role, coalesce(e.actor_id, 0) AS actor_id"
     " FROM request_events e LEFT JOIN users u ON u.id = e.actor_id"
     " WHERE e.request_id = $1 AND ($2::boolean OR NOT e.internal) ORDER BY e.at, e.id"},
    {"ctr_assignable",
     "SELECT s.id, s.full_name, s.reviewer_user_id, u.name AS reviewer_name FROM specialists s"
     " JOIN users u ON u.id = s.reviewer_user_id AND u.role = 'reviewer' AND u.status = 'active'"
     " WHERE s.active ORDER BY lower(s.full_name), s.id"},
    {"ctr_spec_reviewer",
     "SELECT s.reviewer_user_id FROM specialists s JOIN users u ON u.id = s.reviewer_user_id AND u.role = 'reviewer'"
     " AND u.status = 'active' WHERE s.id = $1 AND s.active"},
    {"ctr_assign",
     "UPDATE requests SET assigned_specialist_id = $2, assigned_reviewer_id = $3, assignment_reason = NULLIF($4, ''),"
     " updated_at = now() WHERE id = $1"},
    {"ctr_claim",
     "INSERT INTO triage_claims (request_id, staff_id) VALUES ($1, $2)"
     " ON CONFLICT (request_id) DO UPDATE SET staff_id = EXCLUDED.staff_id, claimed_at = now()"},
    {"ctr_coverage",
     "INSERT INTO coverage_checks (request_id, insurance_verified, referral_received, network_status, notes, updated_by)"
     " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO UPDATE SET insurance_verified = EXCLUDED.insurance_verified,"
     " referral_received = EXCLUDED.referral_received, network_status = EXCLUDED.network_status, notes = EXCLUDED.notes,"
     " updated_by = EXCLUDED.updated_by, updated_at = now()"},
    {"ctr_consult_add",
     "INSERT INTO consultations (request_id, starts_at, place, created_by) VALUES ($1, $2::timestamptz, $3, $4)"},
    {"ctr_consult_latest",
     "SELECT id, " TZ_SQL("starts_at") " AS starts_at, minutes, place, " TZ_SQL("created_at") " AS created_at"
     " FROM consultations WHERE request_id = $1 ORDER BY id DESC LIMIT 1"},
    {"ctr_reviewer_cases",
     "SELECT r.id, r.reference, r.status, coalesce(r.review_type, '') AS review_type, coalesce(r.birads, '') AS birads,"
     " " PRIO " AS priority," DUE_COLS " " OVERDUE " AS overdue,"
     " coalesce(to_char(r.treatment_date, 'YYYY-MM-DD'), '') AS treatment_date, coalesce(rp.status, '') AS report_status"
     " FROM requests r LEFT JOIN reports rp ON rp.request_id = r.id WHERE r.assigned_reviewer_id = $1"
     " ORDER BY (r.status IN ('accepted', 'scheduled', 'in_review')) DESC," " " RELEASE_LAST ", " PRIO ", " UPCOMING
     ", r.submitted_at, r.id"},
    {"ctr_documents",
     "SELECT d.id, d.kind, d.original_name, d.sniffed_type, d.size, d.skipped, d.refused, coalesce(d.skip_reason, '') AS skip_reason,"
     " coalesce(d.modality, '') AS modality, coalesce(d.laterality, '') AS laterality, coalesce(d.view_position, '') AS view_position,"
     " coalesce(d.study_date, '') AS study_date, coalesce(d.patient_name, '') AS patient_name,"
     " coalesce(d.patient_birth_date, '') AS patient_birth_date, coalesce(d.active_content, '') AS active_content"
     " FROM documents d WHERE d.request_id = $1 AND (d.sniffed_type <> 'dicom' OR d.skipped) ORDER BY d.id"},
    {"ctr_studies",
     "SELECT st.id, st.study_date, st.description, st.patient_name, st.patient_birth_date,"
     " (SELECT count(*) FROM series se WHERE se.study_id = st.id) AS series,"
     " (SELECT count(*) FROM documents d JOIN series se ON se.id = d.series_id WHERE se.study_id = st.id"
     "  AND coalesce(d.object_kind, 'image') = 'image') AS images,"
     " (SELECT count(*) FROM documents d JOIN series se ON se.id = d.series_id WHERE se.study_id = st.id"
     "  AND d.pixel_incomplete) AS incomplete,"
     " coalesce((SELECT string_agg(DISTINCT se.modality, ', ') FROM series se WHERE se.study_id = st.id), '') AS modalities"
     " FROM studies st WHERE st.request_id = $1 ORDER BY st.study_date DESC, st.id"},
    {"ctr_report_get",
     "SELECT rp.id, rp.request_id, rp.reviewer_id, rp.status, coalesce(encode(rp.findings_left_enc, 'hex'), '') AS left_hex,"
     " coalesce(encode(rp.findings_right_enc, 'hex'), '') AS right_hex, coalesce(rp.birads, '') AS birads,"
     " coalesce(rp.density, '') AS density, coalesce(rp.recommendation, '') AS recommendation, rp.answers,"
     " coalesce(encode(rp.answers_enc, 'hex'), '') AS answers_hex, rp.summary, rp.contradiction_reason,"
     " rp.suspicion_change, rp.first_read_state, coalesce(rp.concordance_rules, 0) AS concordance_rules,"
     " rp.first_birads, rp.first_recommendation, coalesce(rp.concordance, '') AS concordance, rp.concordance_explanation,"
     " coalesce(" TZ_SQL("rp.signed_at") ", '') AS signed_at,"
     /* signed in the name the directory gives the signer: the specialist linked to the account (the
      * request's assigned specialist first), else the account's name */
     " coalesce((SELECT s.full_name FROM specialists s WHERE s.reviewer_user_id = rp.signed_by"
     "  ORDER BY (s.id = (SELECT r2.assigned_specialist_id FROM requests r2 WHERE r2.id = rp.request_id)) DESC NULLS LAST,"
     "  s.active DESC, s.id LIMIT 1), su.name, '') AS signed_by, coalesce(rp.content_hash, '') AS content_hash,"
     " coalesce(" TZ_SQL("rr.released_at") ", '') AS released_at,"
     " " TZ_SQL("rp.updated_at") " AS updated_at"
     " FROM reports rp LEFT JOIN users su ON su.id = rp.signed_by LEFT JOIN report_releases rr ON rr.report_id = rp.id"
     " WHERE rp.request_id = $1"},
    {"ctr_report_insert",
     "INSERT INTO reports (request_id, reviewer_id, findings_left_enc, findings_right_enc, birads, density, recommendation,"
     " answers, answers_enc, summary, concordance_explanation, first_recommendation, contradiction_reason)"
     " VALUES ($1, $2, decode(NULLIF($3, ''), 'hex'), decode(NULLIF($4, ''), 'hex'),"
     " NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), '', decode(NULLIF($8, ''), 'hex'), $9, $10, $11, $12) RETURNING id"},
    {"ctr_report_update",
     "UPDATE reports SET reviewer_id = $2, findings_left_enc = decode(NULLIF($3, ''), 'hex'),"
     " findings_right_enc = decode(NULLIF($4, ''), 'hex'), birads = NULLIF($5, ''), density = NULLIF($6, ''),"
     " recommendation = NULLIF($7, ''), answers = '', answers_enc = decode(NULLIF($8, ''), 'hex'), summary = $9,"
     " concordance_explanation = $10, first_recommendation = $11, contradiction_reason = $12, updated_at = now()"
     " WHERE request_id = $1 AND status = 'draft' RETURNING id"},
    {"ctr_report_sign",
     "UPDATE reports SET status = 'signed', first_birads = $2, first_recommendation = $3, concordance = $4,"
     " content_hash = $5, signed_by = $6, suspicion_change = $7, first_read_state = $8, concordance_rules = 2,"
     " signed_at = now(), updated_at = now() WHERE id = $1 AND status = 'draft' RETURNING id"},
    {"ctr_report_release", "INSERT INTO report_releases (report_id, released_by) VALUES ($1, $2)"},
    {"ctr_addenda",
     "SELECT ad.id, " TZ_SQL("ad.signed_at") " AS signed_at, ad.body,"
     " coalesce(ad.question_id, 0) AS question_id, coalesce(q.question, '') AS question,"
     " coalesce((SELECT s.full_name FROM specialists s WHERE s.reviewer_user_id = ad.author_id"
     "  ORDER BY s.active DESC, s.id LIMIT 1), u.name) AS author, ad.content_hash"
     " FROM report_addenda ad JOIN users u ON u.id = ad.author_id LEFT JOIN report_questions q ON q.id = ad.question_id"
     " WHERE ad.report_id = $1 ORDER BY ad.id"},
    {"ctr_addendum_add",
     "INSERT INTO report_addenda (report_id, question_id, author_id, body, content_hash) VALUES ($1, NULLIF($2::bigint, 0), $3, $4, $5)"},
    {"ctr_questions",
     "SELECT q.id, q.question, " TZ_SQL("q.asked_at") " AS asked_at,"
     " coalesce((SELECT ad.id FROM report_addenda ad WHERE ad.question_id = q.id), 0) AS addendum_id"
     " FROM report_questions q WHERE q.report_id = $1 ORDER BY q.id"},
    {"ctr_question_add", "INSERT INTO report_questions (report_id, patient_id, question) VALUES ($1, $2, $3)"},
    {"ctr_notify_target",
     "SELECT u.email, coalesce((SELECT p.enabled FROM notification_prefs p WHERE p.user_id = u.id AND p.event_kind = $2), true),"
     " u.time_zone FROM users u WHERE u.id = $1 AND u.status = 'active'"},
    {"ctr_prefs", "SELECT event_kind, enabled FROM notification_prefs WHERE user_id = $1"},
    {"ctr_pref_set",
     "INSERT INTO notification_prefs (user_id, event_kind, enabled) VALUES ($1, $2, $3)"
     " ON CONFLICT (user_id, event_kind) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()"},
    {"ctr_staff_ids", "SELECT id FROM users WHERE role = 'staff' AND status = 'active' ORDER BY id"},
    {"ctr_outbox_backlog",
     "SELECT count(*) FILTER (WHERE next_attempt_at <> 'infinity'), count(*) FILTER (WHERE next_attempt_at = 'infinity')"
     " FROM outbox WHERE sent_at IS NULL"},
    {"ctr_mail_claim",
     "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1::integer)"
     " WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= now()"
     " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
     " RETURNING id, recipient, subject, coalesce(body, ''), attempts, coalesce(encode(body_sealed, 'hex'), '')"},
    /* a delivered message keeps only what the audit needs: the body goes */
    {"ctr_mail_sent",
     "UPDATE outbox SET sent_at = now(), last_error = NULL, body = NULL, body_sealed = NULL"
     " WHERE id = $1 AND sent_at IS NULL"},
    {"ctr_mail_retry",
     "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2::integer), last_error = left($3, 500)"
     " WHERE id = $1 AND sent_at IS NULL"},
    {"ctr_mail_hold",
     "UPDATE outbox SET next_attempt_at = 'infinity', last_error = left($2, 500) WHERE id = $1 AND sent_at IS NULL"},
};

/* The admin's center settings page (review targets and eligibility rules). */
static const struct db_stmt settings_stmts[] = {
    {"ctr_targets",
     "SELECT review_type, target_days, " TZ_SQL("updated_at") " AS updated_at"
     " FROM review_targets ORDER BY (review_type = 'default'), review_type"},
    {"ctr_target_set",
     "UPDATE review_targets SET target_days = $2::integer, updated_at = now()"
     " WHERE review_type = $1 AND target_days <> $2::integer"},
    {"ctr_rules",
     "SELECT kind, enabled, coalesce(months::text, '') AS months, message,"
     " " TZ_SQL("updated_at") " AS updated_at"
     " FROM eligibility_rules ORDER BY kind"},
    {"ctr_rule_toggle",
     "UPDATE eligibility_rules SET enabled = NOT enabled, updated_at = now() WHERE kind = $1 RETURNING enabled"},
    /* the viewer's "for review only" notice (migrations/0019_viewer_notice.sql); on when the row is missing */
    {"ctr_viewer_notice", "SELECT coalesce((SELECT viewer_notice FROM center_display), true) AS enabled"},
    {"ctr_viewer_notice_toggle",
     "UPDATE center_display SET viewer_notice = NOT viewer_notice, updated_at = now() RETURNING viewer_notice AS enabled"},
    /* the center's name and address for printed pages (migrations/0025_center_identity.sql) */
    {"ctr_identity", "SELECT coalesce((SELECT name FROM center_identity), '') AS name, "
                     "coalesce((SELECT address FROM center_identity), '') AS address"},
    {"ctr_identity_set",
     "INSERT INTO center_identity (id, name, address) VALUES (true, $1, $2) ON CONFLICT (id) DO UPDATE "
     "SET name = EXCLUDED.name, address = EXCLUDED.address, updated_at = now()"},
    {"ctr_print_header",
     "SELECT r.reference, u.name AS patient_name, coalesce(to_char(u.date_of_birth, 'YYYY-MM-DD'), '') AS birth_date, "
     "coalesce(ci.name, '') AS center_name, coalesce(ci.address, '') AS center_address "
     "FROM requests r JOIN users u ON u.id = r.patient_id LEFT JOIN center_identity ci ON ci.id WHERE r.id = $1"},
};

void store_center_register(void) {
  db_register(stmts, sizeof stmts / sizeof stmts[0]);
  db_register(settings_stmts, sizeof settings_stmts / sizeof settings_stmts[0]);
}

const char *rs_get(const struct rowset *rs, size_t i, const char *col) {
  if (!rs || i >= rs->n) return "";
  for (size_t c = 0; c < rs->ncol; c++)
    if (strcmp(rs->names[c], col) == 0) return rs->v[i * rs->ncol + c];
  return "";
}

long long rs_ll(const struct rowset *rs, size_t i, const char *col) { return strtoll(rs_get(rs, i, col), NULL, 10); }

bool rs_bool(const struct rowset *rs, size_t i, const char *col) {
  const char *v = rs_get(rs, i, col);
  return v[0] == 't' || strcmp(v, "true") == 0;
}

long rs_col(const struct rowset *rs, const char *col) {
  for (size_t c = 0; rs && c < rs->ncol; c++)
    if (strcmp(rs->names[c], col) == 0) return (long)c;
  return -1;
}

/* Runs a statement and exposes its rows (values live as long as the arena). */
static enum err run(struct arena *a, const char *stmt, int n, const char *const *vals, struct rowset *out) {
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, stmt, n, vals, &e);
  if (!res) return e;
  if (!out) return ERR_OK;
  out->n = (size_t)PQntuples(res);
  out->ncol = (size_t)PQnfields(res);
  out->names = arena_alloc(a, (out->ncol + 1) * sizeof *out->names);
  out->v = arena_alloc(a, (out->n * out->ncol + 1) * sizeof *out->v);
  if (!out->names || !out->v) return ERR_INTERNAL;
  for (size_t c = 0; c < out->ncol; c++) out->names[c] = PQfname(res, (int)c);
  for (size_t i = 0; i < out->n; i++)
    for (size_t c = 0; c < out->ncol; c++) out->v[i * out->ncol + c] = PQgetvalue(res, (int)i, (int)c);
  return ERR_OK;
}

/* Runs a statement that must touch one row (UPDATE … RETURNING or INSERT). */
static enum err run_one(struct arena *a, const char *stmt, int n, const char *const *vals) {
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, stmt, n, vals, &e);
  if (!res) return e;
  const char *t = PQcmdTuples(res);
  return (t && *t && strcmp(t, "0") == 0) ? ERR_NOT_FOUND : ERR_OK;
}

static const char *ll_s(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static const char *b_s(bool v) { return v ? "true" : "false"; }

enum err st_triage_refresh(struct arena *a) { return run(a, "ctr_triage_refresh", 0, NULL, NULL); }

/* A result's rows as a rowset (values live as long as the arena, which owns res). */
static enum err to_rowset(struct arena *a, PGresult *res, struct rowset *out) {
  out->n = (size_t)PQntuples(res);
  out->ncol = (size_t)PQnfields(res);
  out->names = arena_alloc(a, (out->ncol + 1) * sizeof *out->names);
  out->v = arena_alloc(a, (out->n * out->ncol + 1) * sizeof *out->v);
  if (!out->names || !out->v) return ERR_INTERNAL;
  for (size_t c = 0; c < out->ncol; c++) out->names[c] = PQfname(res, (int)c);
  for (size_t i = 0; i < out->n; i++)
    for (size_t c = 0; c < out->ncol; c++) out->v[i * out->ncol + c] = PQgetvalue(res, (int)i, (int)c);
  return ERR_OK;
}

enum err st_queue_page(struct arena *a, const struct st_queue_filter *f, bool begin, struct st_queue_page *out) {
  memset(out, 0, sizeof *out);
  bool search = f->q && *f->q;
  const char *q = search ? arena_printf(a, "%%%s%%", f->q) : "";
  if (!q) return ERR_INTERNAL;
  const char *v[8] = {f->status ? f->status : "", ll_s(a, f->priority), ll_s(a, f->specialist_id),
                      b_s(f->overdue), b_s(f->incomplete), q, ll_s(a, f->limit), ll_s(a, f->offset)};
  /* Counted up to the cap (or just past this page): the page says "more than". */
  long long cap = f->offset + f->limit + 1 > ST_QUEUE_COUNT_CAP ? f->offset + f->limit + 1 : ST_QUEUE_COUNT_CAP + 1;
  const char *vc[7] = {v[0], v[1], v[2], v[3], v[4], v[5], ll_s(a, cap)};
  const char *p = f->priority ? "_p" : "";
  bool only_status = !search && !f->priority && !f->specialist_id && !f->overdue && !f->incomplete;
  /* one round trip: the generic plans walk the triage indexes (planning each
   * call for its parameters costs more than the read); the stored classes
   * are refreshed before the read */
  struct db_call calls[8] = {
      {"BEGIN", 0, NULL, NULL, true},
      {"ctr_generic_plans", 0, NULL, NULL, false},
      {"ctr_triage_refresh", 0, NULL, NULL, false},
      {arena_printf(a, "%s%s", search ? "ctr_queue_search" : "ctr_queue", p), 8, v, NULL, false},
      {"ctr_counts_overdue", 0, NULL, NULL, false},
      {"ctr_assignable", 0, NULL, NULL, false},
      {"rpt_comm_open", 0, NULL, NULL, false}, /* store/reports.c: the open communication tasks */
      {arena_printf(a, "%s%s", search ? "ctr_queue_search_count" : "ctr_queue_count", p), 7, vc, NULL, false},
  };
  /* without begin, the statements run in the caller's transaction (or an implicit one) */
  struct db_call *cl = calls + 1; /* the results, whether BEGIN went first or not */
  enum err e = db_pipeline(a, begin ? calls : cl, (begin ? 1 : 0) + (only_status ? 6 : 7));
  if (e == ERR_OK) e = to_rowset(a, cl[2].res, &out->rows);
  if (e == ERR_OK) e = to_rowset(a, cl[3].res, &out->counts);
  if (e == ERR_OK) e = to_rowset(a, cl[4].res, &out->assignable);
  if (e == ERR_OK) e = to_rowset(a, cl[5].res, &out->comm);
  if (e != ERR_OK) return e;
  for (size_t i = 0; i < out->counts.n; i++) out->overdue += rs_ll(&out->counts, i, "overdue");
  if (!only_status) {
    out->total = PQntuples(cl[6].res) ? strtoll(PQgetvalue(cl[6].res, 0, 0), NULL, 10) : 0;
    return ERR_OK;
  }
  /* Only a status filter: the kept counts answer without a scan. */
  static const char *const open[] = {"submitted", "triage", "needs_info", "accepted", "scheduled", "in_review"};
  for (size_t i = 0; i < out->counts.n; i++) {
    const char *st = rs_get(&out->counts, i, "status");
    bool hit = strcmp(v[0], "all") == 0 || strcmp(v[0], st) == 0;
    for (size_t k = 0; !*v[0] && k < sizeof open / sizeof open[0]; k++) hit = hit || strcmp(open[k], st) == 0;
    if (hit) out->total += rs_ll(&out->counts, i, "n");
  }
  return ERR_OK;
}

enum err st_queue_counts(struct arena *a, struct rowset *out) { return run(a, "ctr_counts", 0, NULL, out); }

enum err st_overdue_count(struct arena *a, long long *n) {
  struct rowset rs;
  enum err e = run(a, "ctr_overdue", 0, NULL, &rs);
  if (e == ERR_OK) *n = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  return e;
}

/* Index of a column by name, or -1. */
static long col_index(const struct rowset *rs, const char *col) {
  for (size_t c = 0; c < rs->ncol; c++)
    if (strcmp(rs->names[c], col) == 0) return (long)c;
  return -1;
}

/* Replaces the case's reason and questions by their opened sealed values
 * (core/sealing.h); questions are joined with the unit separator as before. */
static enum err open_request_text(struct arena *a, long long request_id, struct rowset *rs) {
  long cr = col_index(rs, "reason"), cq = col_index(rs, "questions"), crs = col_index(rs, "reason_sealed"),
       cqs = col_index(rs, "questions_sealed");
  if (cr < 0 || cq < 0 || crs < 0 || cqs < 0) return ERR_INTERNAL;
  const char *rh = rs->v[crs], *qh = rs->v[cqs];
  if (*rh) {
    const char *t = reqtext_open(a, request_id, "reason", rh);
    if (!t) LOG_E("the reason of request %lld cannot be opened (wrong app key?)", request_id);
    rs->v[cr] = t ? t : "(This text could not be read.)";
  }
  if (*qh) {
    const char *t = reqtext_open(a, request_id, "questions", qh);
    if (!t) LOG_E("the questions of request %lld cannot be opened (wrong app key?)", request_id);
    json_t *j = t ? json_loads(t, 0, NULL) : NULL;
    size_t n = json_array_size(j);
    const char **qs = arena_alloc(a, (n ? n : 1) * sizeof *qs);
    for (size_t i = 0; qs && i < n; i++) qs[i] = json_string_value(json_array_get(j, i));
    char *joined = qs ? arena_join(a, qs, n, "\x1f") : NULL;
    if (!joined) {
      json_decref(j);
      return ERR_INTERNAL;
    }
    json_decref(j);
    rs->v[cq] = joined;
  }
  rs->v[crs] = rs->v[cqs] = "";
  return ERR_OK;
}

enum err st_case(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  enum err e = st_triage_refresh(a);
  if (e == ERR_OK) e = run(a, "ctr_case", 1, v, out);
  if (e == ERR_OK && out->n == 0) return ERR_NOT_FOUND;
  if (e == ERR_OK) e = open_request_text(a, request_id, out);
  return e;
}

enum err st_events(struct arena *a, long long request_id, bool include_internal, struct rowset *out) {
  const char *v[2] = {ll_s(a, request_id), b_s(include_internal)};
  return run(a, "ctr_events", 2, v, out);
}

enum err st_assignable(struct arena *a, struct rowset *out) { return run(a, "ctr_assignable", 0, NULL, out); }

enum err st_specialist_reviewer(struct arena *a, long long specialist_id, long long *reviewer_user_id) {
  struct rowset rs;
  const char *v[1] = {ll_s(a, specialist_id)};
  enum err e = run(a, "ctr_spec_reviewer", 1, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  *reviewer_user_id = strtoll(rs.v[0], NULL, 10);
  return ERR_OK;
}

enum err st_assign(struct arena *a, long long request_id, long long specialist_id, long long reviewer_user_id,
                   const char *reason) {
  const char *v[4] = {ll_s(a, request_id), ll_s(a, specialist_id), ll_s(a, reviewer_user_id), reason ? reason : ""};
  return run_one(a, "ctr_assign", 4, v);
}

enum err st_claim(struct arena *a, long long request_id, long long staff_id) {
  const char *v[2] = {ll_s(a, request_id), ll_s(a, staff_id)};
  return run_one(a, "ctr_claim", 2, v);
}

enum err st_coverage_set(struct arena *a, long long request_id, bool verified, bool referral, const char *network,
                         const char *notes, long long by) {
  const char *v[6] = {ll_s(a, request_id), b_s(verified), b_s(referral), network, notes, ll_s(a, by)};
  return run_one(a, "ctr_coverage", 6, v);
}

enum err st_consult_add(struct arena *a, long long request_id, const char *starts_at, const char *place,
                        long long by) {
  const char *v[4] = {ll_s(a, request_id), starts_at, place, ll_s(a, by)};
  return run_one(a, "ctr_consult_add", 4, v);
}

enum err st_consult_latest(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  return run(a, "ctr_consult_latest", 1, v, out);
}

enum err st_reviewer_cases(struct arena *a, long long reviewer_id, struct rowset *out) {
  enum err e = st_triage_refresh(a);
  if (e != ERR_OK) return e;
  const char *v[1] = {ll_s(a, reviewer_id)};
  return run(a, "ctr_reviewer_cases", 1, v, out);
}

enum err st_documents(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  return run(a, "ctr_documents", 1, v, out);
}

enum err st_studies(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  return run(a, "ctr_studies", 1, v, out);
}

enum err st_report_by_request(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  enum err e = run(a, "ctr_report_get", 1, v, out);
  if (e == ERR_OK && out->n == 0) return ERR_NOT_FOUND;
  return e;
}

enum err st_report_save(struct arena *a, long long request_id, long long reviewer_id, const char *left_hex,
                        const char *right_hex, const char *birads, const char *density, const char *recommendation,
                        const char *answers_hex, const char *summary, const char *explanation,
                        const char *first_rec, const char *contradiction_reason, long long *report_id) {
  const char *v[12] = {ll_s(a, request_id), ll_s(a, reviewer_id), left_hex, right_hex, birads, density,
                       recommendation, answers_hex, summary, explanation, first_rec, contradiction_reason};
  struct rowset cur;
  enum err e = st_report_by_request(a, request_id, &cur);
  struct rowset rs;
  if (e == ERR_NOT_FOUND) {
    e = run(a, "ctr_report_insert", 12, v, &rs);
  } else if (e == ERR_OK) {
    if (strcmp(rs_get(&cur, 0, "status"), "draft") != 0) return ERR_CONFLICT;
    e = run(a, "ctr_report_update", 12, v, &rs);
    if (e == ERR_OK && rs.n == 0) return ERR_CONFLICT;
  }
  if (e != ERR_OK) return e;
  *report_id = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  return ERR_OK;
}

enum err st_report_sign(struct arena *a, long long report_id, const char *first_birads, const char *first_rec,
                        const char *concordance, const char *suspicion, const char *first_state,
                        const char *hash_hex, long long by) {
  const char *v[8] = {ll_s(a, report_id), first_birads, first_rec, concordance, hash_hex, ll_s(a, by), suspicion,
                      first_state};
  struct rowset rs;
  enum err e = run(a, "ctr_report_sign", 8, v, &rs);
  if (e == ERR_OK && rs.n == 0) return ERR_CONFLICT;
  return e;
}

enum err st_report_release(struct arena *a, long long report_id, long long by) {
  const char *v[2] = {ll_s(a, report_id), ll_s(a, by)};
  return run_one(a, "ctr_report_release", 2, v);
}

enum err st_addenda(struct arena *a, long long report_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, report_id)};
  return run(a, "ctr_addenda", 1, v, out);
}

enum err st_addendum_add(struct arena *a, long long report_id, long long question_id, long long author,
                         const char *body, const char *hash_hex) {
  const char *v[5] = {ll_s(a, report_id), ll_s(a, question_id), ll_s(a, author), body, hash_hex};
  return run_one(a, "ctr_addendum_add", 5, v);
}

enum err st_questions(struct arena *a, long long report_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, report_id)};
  return run(a, "ctr_questions", 1, v, out);
}

enum err st_question_add(struct arena *a, long long report_id, long long patient_id, const char *text) {
  const char *v[3] = {ll_s(a, report_id), ll_s(a, patient_id), text};
  return run_one(a, "ctr_question_add", 3, v);
}

enum err st_notify_target(struct arena *a, long long user_id, const char *kind, const char **email, bool *wants,
                          const char **time_zone) {
  struct rowset rs;
  const char *v[2] = {ll_s(a, user_id), kind};
  enum err e = run(a, "ctr_notify_target", 2, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  *email = rs.v[0];
  *wants = rs.v[1][0] == 't';
  *time_zone = rs.v[2];
  return ERR_OK;
}

enum err st_prefs(struct arena *a, long long user_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, user_id)};
  return run(a, "ctr_prefs", 1, v, out);
}

enum err st_pref_set(struct arena *a, long long user_id, const char *kind, bool enabled) {
  const char *v[3] = {ll_s(a, user_id), kind, b_s(enabled)};
  return run_one(a, "ctr_pref_set", 3, v);
}

enum err st_staff_ids(struct arena *a, struct rowset *out) { return run(a, "ctr_staff_ids", 0, NULL, out); }

enum err st_outbox_backlog(struct arena *a, long long *pending, long long *held) {
  struct rowset rs;
  enum err e = run(a, "ctr_outbox_backlog", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  *pending = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  *held = rs.n ? strtoll(rs.v[1], NULL, 10) : 0;
  return ERR_OK;
}

enum err st_mail_claim(struct arena *a, long lease_s, struct st_mail *out) {
  struct rowset rs;
  const char *v[1] = {arena_printf(a, "%ld", lease_s)};
  enum err e = run(a, "ctr_mail_claim", 1, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  out->id = strtoll(rs.v[0], NULL, 10);
  out->recipient = rs.v[1];
  out->subject = rs.v[2];
  out->body = rs.v[3];
  out->attempts = (int)strtol(rs.v[4], NULL, 10);
  out->body_sealed_hex = rs.v[5];
  return ERR_OK;
}

enum err st_mail_sent(struct arena *a, long long id) {
  const char *v[1] = {ll_s(a, id)};
  return run_one(a, "ctr_mail_sent", 1, v);
}

enum err st_mail_retry(struct arena *a, long long id, long wait_s, const char *error) {
  const char *v[3] = {ll_s(a, id), arena_printf(a, "%ld", wait_s), error};
  return run_one(a, "ctr_mail_retry", 3, v);
}

enum err st_mail_hold(struct arena *a, long long id, const char *error) {
  const char *v[2] = {ll_s(a, id), error};
  return run_one(a, "ctr_mail_hold", 2, v);
}

/* ---- center settings (admin) ---- */

enum err st_targets(struct arena *a, struct rowset *out) { return run(a, "ctr_targets", 0, NULL, out); }

enum err st_target_set(struct arena *a, const char *review_type, int days, bool *changed) {
  const char *v[2] = {review_type, arena_printf(a, "%d", days)};
  enum err e = run_one(a, "ctr_target_set", 2, v);
  *changed = e == ERR_OK;
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err st_rules(struct arena *a, struct rowset *out) { return run(a, "ctr_rules", 0, NULL, out); }

enum err st_rule_toggle(struct arena *a, const char *kind, bool *enabled) {
  struct rowset rs;
  const char *v[1] = {kind};
  enum err e = run(a, "ctr_rule_toggle", 1, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  *enabled = rs_bool(&rs, 0, "enabled");
  return ERR_OK;
}

enum err st_viewer_notice(struct arena *a, bool *on) {
  struct rowset rs;
  enum err e = run(a, "ctr_viewer_notice", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  *on = rs.n == 0 || rs_bool(&rs, 0, "enabled");
  return ERR_OK;
}

enum err st_viewer_notice_toggle(struct arena *a, bool *on) {
  struct rowset rs;
  enum err e = run(a, "ctr_viewer_notice_toggle", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  if (rs.n == 0) return ERR_NOT_FOUND;
  *on = rs_bool(&rs, 0, "enabled");
  return ERR_OK;
}

enum err st_center_identity(struct arena *a, const char **name, const char **address) {
  struct rowset rs;
  enum err e = run(a, "ctr_identity", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  *name = rs.n ? rs_get(&rs, 0, "name") : "";
  *address = rs.n ? rs_get(&rs, 0, "address") : "";
  return ERR_OK;
}

enum err st_center_identity_set(struct arena *a, const char *name, const char *address) {
  const char *v[2] = {name, address};
  return run_one(a, "ctr_identity_set", 2, v);
}

enum err st_print_header(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {arena_printf(a, "%lld", request_id)};
  if (!v[0]) return ERR_INTERNAL;
  enum err e = run(a, "ctr_print_header", 1, v, out);
  if (e != ERR_OK) return e;
  return out->n ? ERR_OK : ERR_NOT_FOUND;
}
