-- The center's side of a request: triage claims, coverage checks,
-- in-person consultations, the reviewer's structured report (signed,
-- immutable) and its addenda, the patient's follow-up questions, the review
-- targets and eligibility rules the center configures, and each user's
-- notification preferences.

CREATE TABLE review_targets (
  review_type  text PRIMARY KEY CHECK (review_type ~ '^[a-z_]{1,32}$'),
  target_days  integer NOT NULL CHECK (target_days BETWEEN 1 AND 180),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO review_targets (review_type, target_days) VALUES
  ('reread', 7), ('consult', 14), ('default', 10);
COMMENT ON TABLE review_targets IS
  'Days from submission to a released report, per review type (the request''s review_type; "default" when the type has no row). The queue''s due dates and overdue marks come from here.';

CREATE TABLE eligibility_rules (
  kind        text PRIMARY KEY CHECK (kind IN ('negative_screening', 'no_images', 'old_exam')),
  enabled     boolean NOT NULL DEFAULT true,
  months      integer CHECK (months IS NULL OR months BETWEEN 1 AND 120),
  message     text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 300),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO eligibility_rules (kind, enabled, months, message) VALUES
  ('negative_screening', true, NULL,
   'The first read was a negative screening (BI-RADS 1 or 2): the center does not usually re-read these.'),
  ('no_images', true, NULL, 'No original images have been uploaded yet.'),
  ('old_exam', false, 12, 'The first exam is older than the center''s limit.');
COMMENT ON TABLE eligibility_rules IS
  'Rules the center configures. A request that meets an enabled rule is flagged at the top of its staff page and in the queue; nothing is enforced: staff decide.';
COMMENT ON COLUMN eligibility_rules.months IS 'old_exam: the age limit in months.';

CREATE TABLE triage_claims (
  request_id  bigint PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
  staff_id    bigint NOT NULL REFERENCES users(id),
  claimed_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE triage_claims IS 'The staff member working a request''s triage (claimed when it moves from submitted to triage).';

CREATE TABLE coverage_checks (
  request_id          bigint PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
  insurance_verified  boolean NOT NULL DEFAULT false,
  referral_received   boolean NOT NULL DEFAULT false,
  network_status      text NOT NULL DEFAULT 'unknown'
                        CHECK (network_status IN ('unknown', 'in_network', 'out_of_network', 'self_pay')),
  notes               text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 2000),
  updated_by          bigint REFERENCES users(id),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE coverage_checks IS 'What staff verified about the patient''s coverage. Internal: never shown to the patient.';

CREATE TABLE consultations (
  id          bigserial PRIMARY KEY,
  request_id  bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  starts_at   timestamp NOT NULL,
  minutes     integer NOT NULL DEFAULT 45 CHECK (minutes BETWEEN 10 AND 480),
  place       text NOT NULL CHECK (char_length(place) BETWEEN 1 AND 300),
  created_by  bigint NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consultations_request ON consultations (request_id, id DESC);
COMMENT ON TABLE consultations IS 'In-person consultations staff scheduled; the newest row per request is the current one.';
COMMENT ON COLUMN consultations.starts_at IS 'Local wall-clock time at the center (no time zone: the patient travels there).';

CREATE TABLE reports (
  id                       bigserial PRIMARY KEY,
  request_id               bigint NOT NULL UNIQUE REFERENCES requests(id),
  reviewer_id              bigint NOT NULL REFERENCES users(id),
  status                   text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
  findings_left_enc        bytea,
  findings_right_enc       bytea,
  birads                   text CHECK (birads IS NULL OR birads IN ('0', '1', '2', '3', '4', '4A', '4B', '4C', '5', '6')),
  density                  text CHECK (density IS NULL OR density IN ('A', 'B', 'C', 'D')),
  recommendation           text CHECK (recommendation IS NULL OR recommendation IN
                             ('routine_screening', 'short_interval_followup', 'additional_imaging', 'biopsy',
                              'surgical_consultation', 'oncology_consultation')),
  answers                  text NOT NULL DEFAULT '' CHECK (char_length(answers) <= 10000),
  summary                  text NOT NULL DEFAULT '' CHECK (char_length(summary) <= 5000),
  first_birads             text NOT NULL DEFAULT '',
  first_recommendation     text NOT NULL DEFAULT '',
  concordance              text CHECK (concordance IS NULL OR concordance IN
                             ('concordant', 'upgraded', 'downgraded', 'management_change')),
  concordance_explanation  text NOT NULL DEFAULT '' CHECK (char_length(concordance_explanation) <= 3000),
  signed_at                timestamptz,
  signed_by                bigint REFERENCES users(id),
  content_hash             text CHECK (content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$'),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'draft' OR (signed_at IS NOT NULL AND signed_by IS NOT NULL AND content_hash IS NOT NULL
         AND birads IS NOT NULL AND density IS NOT NULL AND recommendation IS NOT NULL AND concordance IS NOT NULL))
);
CREATE INDEX reports_reviewer ON reports (reviewer_id);
COMMENT ON TABLE reports IS 'The reviewer''s structured report on a request. A signed report never changes (trigger reports_immutable); corrections are addenda.';
COMMENT ON COLUMN reports.findings_left_enc IS 'Findings for the left breast: nonce(24) || XChaCha20-Poly1305 ciphertext, key derived from the app key (server/core/reports.c), "report:<request_id>:left" as associated data.';
COMMENT ON COLUMN reports.findings_right_enc IS 'As findings_left_enc for the right breast ("report:<request_id>:right").';
COMMENT ON COLUMN reports.first_birads IS 'The first read''s BI-RADS category as the patient gave it ("" when unknown), copied when the report is signed.';
COMMENT ON COLUMN reports.first_recommendation IS 'The next step implied by the first read (same vocabulary as recommendation; "" when unknown).';
COMMENT ON COLUMN reports.concordance IS 'Computed from both BI-RADS categories and both recommendations (server/core/triage.c): concordant, upgraded, downgraded, management_change.';
COMMENT ON COLUMN reports.content_hash IS 'BLAKE2b-256 (hex) over the signed content in canonical form, computed at signing.';

-- A signed report is frozen: no UPDATE of any column, no DELETE.
CREATE FUNCTION reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'signed' THEN
    RAISE EXCEPTION 'report % is signed and cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reports_immutable BEFORE UPDATE OR DELETE ON reports
  FOR EACH ROW EXECUTE FUNCTION reports_immutable();

CREATE TABLE report_releases (
  report_id    bigint PRIMARY KEY REFERENCES reports(id),
  released_by  bigint NOT NULL REFERENCES users(id),
  released_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE report_releases IS 'Staff released the signed report to the patient (kept apart so that the report row itself never changes).';

CREATE TABLE report_questions (
  id          bigserial PRIMARY KEY,
  report_id   bigint NOT NULL REFERENCES reports(id),
  patient_id  bigint NOT NULL REFERENCES users(id),
  question    text NOT NULL CHECK (char_length(question) BETWEEN 1 AND 2000),
  asked_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_questions_report ON report_questions (report_id, id);
COMMENT ON TABLE report_questions IS 'The patient''s follow-up questions on a released report (at most three, enforced in server/core/reports.c); each is answered by an addendum.';

CREATE TABLE report_addenda (
  id            bigserial PRIMARY KEY,
  report_id     bigint NOT NULL REFERENCES reports(id),
  question_id   bigint UNIQUE REFERENCES report_questions(id),
  author_id     bigint NOT NULL REFERENCES users(id),
  body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
  signed_at     timestamptz NOT NULL DEFAULT now(),
  content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX report_addenda_report ON report_addenda (report_id, id);
COMMENT ON TABLE report_addenda IS 'Dated, signed additions to a signed report: corrections, or the answer to a patient''s follow-up question (question_id). Never changed or deleted.';

CREATE FUNCTION report_addenda_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'addenda cannot change' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER report_addenda_immutable BEFORE UPDATE OR DELETE ON report_addenda
  FOR EACH ROW EXECUTE FUNCTION report_addenda_immutable();

CREATE TABLE notification_prefs (
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  event_kind  text NOT NULL CHECK (event_kind IN ('status', 'info_requested', 'message', 'assigned',
                                                  'consultation', 'report')),
  enabled     boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, event_kind)
);
COMMENT ON TABLE notification_prefs IS 'Which events a user hears about by e-mail; no row means yes. Account e-mails (password reset, invitation) are always sent.';

-- The triage order (server/core/triage.h): priority class, then a scheduled
-- treatment date (earliest first, none last), then waiting time, then id.
-- The expression must stay identical to TRIAGE_PRIO_SQL in server/store/center.c.
CREATE INDEX requests_triage_order ON requests (
  (CASE WHEN coalesce(biopsy_done, false) OR birads IN ('4', '4A', '4B', '4C', '5', '6') THEN 1
        WHEN birads IN ('1', '2') THEN 3 ELSE 2 END),
  (treatment_date IS NULL), treatment_date, (submitted_at IS NULL), submitted_at, id)
  WHERE status <> 'draft';
