-- The request workflow: the patient's answers on the requests table, the
-- timeline (request_events), the signed authorizations and the message
-- thread with the center. Secrets (member id, message bodies) are sealed by
-- the application (XChaCha20-Poly1305 under a subkey of the app key, bound to
-- the request id) and stored only as ciphertext.

CREATE SEQUENCE request_reference_seq;
COMMENT ON SEQUENCE request_reference_seq IS 'Numbers the human-facing references SO-YYYY-NNNNN.';

ALTER TABLE requests
  ADD COLUMN exam_facility          text NOT NULL DEFAULT '' CHECK (char_length(exam_facility) <= 200),
  ADD COLUMN records_contact        text NOT NULL DEFAULT '' CHECK (char_length(records_contact) <= 300),
  ADD COLUMN exam_date              date,
  ADD COLUMN exam_types             text[] NOT NULL DEFAULT '{}'
    CHECK (exam_types <@ ARRAY['screening_mammogram', 'diagnostic_mammogram', 'tomosynthesis', 'ultrasound', 'mri']::text[]),
  ADD COLUMN prior_exam_dates       text NOT NULL DEFAULT '' CHECK (char_length(prior_exam_dates) <= 200),
  ADD COLUMN birads                 text CHECK (birads IN ('0', '1', '2', '3', '4', '4A', '4B', '4C', '5', '6', 'unknown')),
  ADD COLUMN biopsy_done            boolean,
  ADD COLUMN reason                 text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
  ADD COLUMN questions              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(questions) <= 5),
  ADD COLUMN treatment_date         date,
  ADD COLUMN caregiver_name         text NOT NULL DEFAULT '' CHECK (char_length(caregiver_name) <= 120),
  ADD COLUMN caregiver_relationship text NOT NULL DEFAULT '' CHECK (char_length(caregiver_relationship) <= 60),
  ADD COLUMN exam_saved_at          timestamptz,
  ADD COLUMN review_type            text CHECK (review_type IN ('reread', 'consult')),
  ADD COLUMN review_mode            text CHECK (review_mode IN ('remote', 'in_person')),
  ADD COLUMN center_chooses         boolean NOT NULL DEFAULT false,
  ADD COLUMN specialist_id          bigint REFERENCES specialists(id),
  ADD COLUMN payment                text CHECK (payment IN ('insurance', 'self_pay')),
  ADD COLUMN insurance_plan         text NOT NULL DEFAULT '' CHECK (char_length(insurance_plan) <= 120),
  ADD COLUMN member_id_sealed       bytea,
  ADD COLUMN plan_needs_referral    boolean,
  ADD COLUMN estimate_ack_at        timestamptz,
  ADD COLUMN submitted_at           timestamptz,
  ADD COLUMN expected_by            date,
  ADD COLUMN records_requested_at   date,
  ADD COLUMN records_extended       boolean NOT NULL DEFAULT false,
  ADD COLUMN parent_request_id      bigint REFERENCES requests(id),
  ADD COLUMN assigned_specialist_id bigint REFERENCES specialists(id),
  ADD COLUMN assigned_reviewer_id   bigint REFERENCES users(id),
  ADD COLUMN review_stopped_at      timestamptz,
  ADD CONSTRAINT requests_status_known CHECK (status IN ('draft', 'submitted', 'triage', 'needs_info', 'accepted',
    'scheduled', 'in_review', 'report_ready', 'closed', 'declined', 'withdrawn')),
  ADD CONSTRAINT requests_caregiver_both CHECK ((caregiver_name = '') = (caregiver_relationship = '')),
  ADD CONSTRAINT requests_not_own_parent CHECK (parent_request_id IS NULL OR parent_request_id <> id);

CREATE INDEX requests_status ON requests (status, submitted_at);
CREATE INDEX requests_reviewer ON requests (assigned_reviewer_id) WHERE assigned_reviewer_id IS NOT NULL;
CREATE INDEX requests_parent ON requests (parent_request_id) WHERE parent_request_id IS NOT NULL;

COMMENT ON COLUMN requests.exam_facility IS 'Where the first exam was done (the facility that holds the records).';
COMMENT ON COLUMN requests.records_contact IS 'That facility''s medical-records contact (phone, fax or address), as the patient gave it.';
COMMENT ON COLUMN requests.exam_date IS 'Date of the exam the second opinion is about.';
COMMENT ON COLUMN requests.exam_types IS 'Kinds of imaging in that exam: screening_mammogram, diagnostic_mammogram, tomosynthesis, ultrasound, mri.';
COMMENT ON COLUMN requests.prior_exam_dates IS 'Free text: dates of earlier exams the patient knows of (for comparison images).';
COMMENT ON COLUMN requests.birads IS 'BI-RADS category as written on the first report (0-6, 4A/4B/4C), or unknown; NULL until answered.';
COMMENT ON COLUMN requests.biopsy_done IS 'A biopsy was done (then a pathology report is required); NULL until answered.';
COMMENT ON COLUMN requests.questions IS 'The patient''s own questions for the reviewer (at most five).';
COMMENT ON COLUMN requests.treatment_date IS 'Treatment already scheduled (surgery, therapy): raises triage priority.';
COMMENT ON COLUMN requests.caregiver_name IS 'When a caregiver filled in the request for the patient: their name (relationship beside it).';
COMMENT ON COLUMN requests.exam_saved_at IS 'When the first-exam step was last saved (a step is "started" once saved).';
COMMENT ON COLUMN requests.review_type IS 'reread: a written second reading of the images; consult: a full consultation.';
COMMENT ON COLUMN requests.review_mode IS 'remote: images sent to the specialist; in_person: the patient visits.';
COMMENT ON COLUMN requests.center_chooses IS 'The patient let the center choose the specialist (specialist_id is NULL then).';
COMMENT ON COLUMN requests.specialist_id IS 'The specialist the patient chose from the directory.';
COMMENT ON COLUMN requests.payment IS 'insurance or self_pay.';
COMMENT ON COLUMN requests.member_id_sealed IS
  'Insurance member id, sealed (nonce || XChaCha20-Poly1305) with the app key''s request subkey, bound to the request id.';
COMMENT ON COLUMN requests.plan_needs_referral IS 'The plan needs a referral (then a referral document is required).';
COMMENT ON COLUMN requests.estimate_ack_at IS 'When the patient acknowledged the cost estimate.';
COMMENT ON COLUMN requests.expected_by IS 'Date the report is expected: submission (or acceptance) plus the specialist''s turnaround.';
COMMENT ON COLUMN requests.records_requested_at IS
  'Date the patient sent the records-request letter: the facility must act within 30 days (records_extended: one 30-day extension).';
COMMENT ON COLUMN requests.parent_request_id IS 'For a third, tie-breaking opinion: the request whose report it reconciles.';
COMMENT ON COLUMN requests.assigned_specialist_id IS 'Specialist the center assigned (staff triage).';
COMMENT ON COLUMN requests.assigned_reviewer_id IS 'Reviewer account assigned to read the case; the only reviewer who may open it.';
COMMENT ON COLUMN requests.review_stopped_at IS
  'The patient revoked the authorization while the review was under way: the review must stop (staff see the flag).';

CREATE TABLE request_events (
  id          bigserial PRIMARY KEY,
  request_id  bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  from_status text,
  to_status   text,
  kind        text NOT NULL CHECK (kind IN ('status', 'authorization_signed', 'authorization_revoked',
                'records_letter', 'records_extension', 'third_opinion', 'note')),
  actor_id    bigint REFERENCES users(id),
  detail      jsonb,
  internal    boolean NOT NULL DEFAULT false
);
CREATE INDEX request_events_request ON request_events (request_id, at, id);
COMMENT ON TABLE request_events IS 'The timeline of a request: every status change and notable step, oldest first.';
COMMENT ON COLUMN request_events.detail IS
  'Small JSON: {"missing":[...],"message":"..."} for needs_info, {"reason":"..."} for declined, {"date":..,"place":..} for scheduled.';
COMMENT ON COLUMN request_events.internal IS 'Staff-only event: never shown to the patient.';

CREATE TABLE authorizations (
  id            bigserial PRIMARY KEY,
  request_id    bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  signed_name   text CHECK (signed_name IS NULL OR char_length(signed_name) BETWEEN 2 AND 120),
  signed_at     timestamptz NOT NULL DEFAULT now(),
  client_ip     text NOT NULL DEFAULT '',
  text_sha256   text CHECK (text_sha256 IS NULL OR text_sha256 ~ '^[0-9a-f]{64}$'),
  text_version  text,
  document_id   bigint REFERENCES documents(id) ON DELETE SET NULL,
  revoked_at    timestamptz,
  CHECK ((signed_name IS NOT NULL AND text_sha256 IS NOT NULL AND text_version IS NOT NULL) OR document_id IS NOT NULL)
);
CREATE UNIQUE INDEX authorizations_one_active ON authorizations (request_id) WHERE revoked_at IS NULL;
COMMENT ON TABLE authorizations IS
  'HIPAA authorizations for a request: signed in the portal (typed name, time, address, SHA-256 of the exact text '
  'shown) or an uploaded signed paper form. At most one is in force; revoking stops the review.';
COMMENT ON COLUMN authorizations.text_sha256 IS 'SHA-256 (hex) of the exact authorization text the patient signed.';
COMMENT ON COLUMN authorizations.text_version IS 'Version label of the authorization wording.';

CREATE TABLE messages (
  id           bigserial PRIMARY KEY,
  request_id   bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  author_id    bigint NOT NULL REFERENCES users(id),
  body_sealed  bytea NOT NULL,
  internal     boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  read_at      timestamptz
);
CREATE INDEX messages_request ON messages (request_id, created_at, id);
COMMENT ON TABLE messages IS
  'The thread between a patient and the center about one request. internal = a staff note, never shown to the patient.';
COMMENT ON COLUMN messages.body_sealed IS 'Message text sealed with the app key''s message subkey, bound to the request id.';
COMMENT ON COLUMN messages.read_at IS 'When the other side first read it (NULL while unread).';

-- A third opinion reuses the parent's records without re-uploading: its
-- document rows point at the same encrypted blobs (same file_id and wrapped
-- data key). The blob is deleted only when no row names it any more
-- (records.c release_blob counts references).
ALTER TABLE documents DROP CONSTRAINT IF EXISTS documents_file_id_key;
CREATE INDEX IF NOT EXISTS documents_file_id ON documents (file_id) WHERE file_id IS NOT NULL;
