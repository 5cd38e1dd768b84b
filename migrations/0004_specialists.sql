-- The specialist directory: the radiologists a patient can choose from.
-- Public data (no patient data here). Rows are never deleted: requests refer
-- to them, so a specialist who leaves is deactivated instead.

-- Lower-cased copy of a text array, for case-insensitive "contains" filters
-- (insurance networks, languages) that a GIN index can answer.
CREATE FUNCTION specialists_lower_array(text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(lower(x)), '{}') FROM unnest($1) AS x $$;
COMMENT ON FUNCTION specialists_lower_array(text[]) IS
  'Lower-cases every element; used by the GIN indexes behind the network and language filters.';

CREATE TABLE specialists (
  id                    bigserial PRIMARY KEY,
  external_id           text NOT NULL UNIQUE
                          CHECK (external_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  full_name             text NOT NULL CHECK (full_name <> '' AND char_length(full_name) <= 120),
  credentials           text NOT NULL CHECK (credentials IN ('MD', 'DO')),
  board                 text NOT NULL DEFAULT '' CHECK (char_length(board) <= 120),
  board_year            integer CHECK (board_year IS NULL OR board_year BETWEEN 1950 AND 2100),
  breast_fellowship     boolean NOT NULL DEFAULT false,
  institution           text NOT NULL CHECK (institution <> '' AND char_length(institution) <= 160),
  city                  text NOT NULL CHECK (city <> '' AND char_length(city) <= 80),
  state                 text NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
  nci_designated        text NOT NULL DEFAULT 'none'
                          CHECK (nci_designated IN ('none', 'clinical', 'comprehensive')),
  academic              boolean NOT NULL DEFAULT false,
  center_of_excellence  boolean NOT NULL DEFAULT false,
  remote_review         boolean NOT NULL DEFAULT false,
  in_person             boolean NOT NULL DEFAULT false,
  offers_reread         boolean NOT NULL DEFAULT false,
  fee_reread_cents      bigint CHECK (fee_reread_cents IS NULL OR fee_reread_cents BETWEEN 0 AND 10000000),
  offers_consult        boolean NOT NULL DEFAULT false,
  fee_consult_cents     bigint CHECK (fee_consult_cents IS NULL OR fee_consult_cents BETWEEN 0 AND 10000000),
  records_submission    text NOT NULL DEFAULT 'upload'
                          CHECK (records_submission IN ('upload', 'mail', 'both')),
  records_requirements  text NOT NULL DEFAULT '' CHECK (char_length(records_requirements) <= 1000),
  turnaround_days       integer NOT NULL CHECK (turnaround_days BETWEEN 1 AND 90),
  networks              text[] NOT NULL DEFAULT '{}',
  languages             text[] NOT NULL DEFAULT '{}',
  accepting             boolean NOT NULL DEFAULT true,
  active                boolean NOT NULL DEFAULT true,
  reviewer_user_id      bigint,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK ((board = '') = (board_year IS NULL)),
  CHECK (remote_review OR in_person),
  CHECK (offers_reread OR offers_consult),
  CHECK (offers_reread = (fee_reread_cents IS NOT NULL)),
  CHECK (offers_consult = (fee_consult_cents IS NOT NULL))
);

-- Indexes behind the directory's filters and sorts. The public listing always
-- filters on active, so the partial indexes cover only active rows.
CREATE INDEX specialists_active_name ON specialists (lower(full_name), id) WHERE active;
CREATE INDEX specialists_active_turnaround ON specialists (turnaround_days, lower(full_name), id) WHERE active;
CREATE INDEX specialists_active_flags ON specialists (breast_fellowship, remote_review, in_person, nci_designated,
                                                      academic, center_of_excellence) WHERE active;
CREATE INDEX specialists_state ON specialists (state) WHERE active;
CREATE INDEX specialists_networks ON specialists USING gin (specialists_lower_array(networks));
CREATE INDEX specialists_languages ON specialists USING gin (specialists_lower_array(languages));
CREATE INDEX specialists_reviewer ON specialists (reviewer_user_id) WHERE reviewer_user_id IS NOT NULL;

COMMENT ON TABLE specialists IS
  'The specialist directory: radiologists a patient can ask for a second opinion. Public data. Never deleted: '
  'a specialist who leaves is deactivated (active = false) so that old requests keep their reference.';
COMMENT ON COLUMN specialists.external_id IS
  'Stable key from the directory''s CSV file: re-importing a row with the same external_id updates it.';
COMMENT ON COLUMN specialists.credentials IS 'Medical degree: MD or DO.';
COMMENT ON COLUMN specialists.board IS 'Certifying board (e.g. American Board of Radiology); empty when not board-certified.';
COMMENT ON COLUMN specialists.board_year IS 'Year of board certification; NULL exactly when board is empty.';
COMMENT ON COLUMN specialists.breast_fellowship IS 'Completed a fellowship in breast imaging.';
COMMENT ON COLUMN specialists.nci_designated IS
  'Works at a National Cancer Institute designated cancer center: none, clinical or comprehensive (the kind of designation).';
COMMENT ON COLUMN specialists.academic IS 'Works at an academic medical center (a teaching hospital tied to a medical school).';
COMMENT ON COLUMN specialists.center_of_excellence IS 'Works at a breast imaging center of excellence (accredited in all breast imaging modalities).';
COMMENT ON COLUMN specialists.remote_review IS 'Reviews images sent to them, without the patient travelling.';
COMMENT ON COLUMN specialists.in_person IS 'Offers an in-person consultation.';
COMMENT ON COLUMN specialists.offers_reread IS 'Offers an image re-read (a written second reading of the images).';
COMMENT ON COLUMN specialists.fee_reread_cents IS 'Fee for an image re-read in US cents; NULL exactly when not offered.';
COMMENT ON COLUMN specialists.offers_consult IS 'Offers a full consultation (re-read plus a discussion with the patient).';
COMMENT ON COLUMN specialists.fee_consult_cents IS 'Fee for a full consultation in US cents; NULL exactly when not offered.';
COMMENT ON COLUMN specialists.records_submission IS 'How records may reach them: upload (through the portal), mail, or both.';
COMMENT ON COLUMN specialists.records_requirements IS 'Free-text requirements for records (formats, forms), shown to patients.';
COMMENT ON COLUMN specialists.turnaround_days IS 'Typical days from a complete request to the report.';
COMMENT ON COLUMN specialists.networks IS 'Insurance networks accepted (names as the plans spell them).';
COMMENT ON COLUMN specialists.languages IS 'Languages the specialist can consult in.';
COMMENT ON COLUMN specialists.accepting IS 'Accepting new requests. Active but not accepting specialists stay listed.';
COMMENT ON COLUMN specialists.active IS 'Listed in the directory. Inactive rows are hidden from the listing but still readable by id.';
COMMENT ON COLUMN specialists.reviewer_user_id IS
  'The reviewer account (users.id) that signs reports for this specialist; NULL when none. The foreign key is added by a later migration.';
