-- Records: second-opinion requests (minimal; the request workflow extends the
-- table), resumable uploads (tus state), the documents taken in from them,
-- their grouping into DICOM studies and series, and intake receipts.
-- Content never lives here: files are encrypted blobs under
-- <data-dir>/files/, named by file_id; each row holds the file's data key
-- wrapped under the master key of kek_version (crypto-shredding: deleting the
-- row makes the file unreadable).

CREATE TABLE requests (
  id          bigserial PRIMARY KEY,
  reference   text NOT NULL UNIQUE CHECK (reference ~ '^[A-Z0-9-]{4,32}$'),
  patient_id  bigint NOT NULL REFERENCES users(id),
  status      text NOT NULL DEFAULT 'draft',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_patient ON requests (patient_id, created_at DESC);
COMMENT ON TABLE requests IS
  'A patient''s second-opinion request. Minimal here (records issue); the request workflow adds its columns.';
COMMENT ON COLUMN requests.reference IS 'Human-facing reference shown to the patient, e.g. SO-7K3M-Q2XD.';
COMMENT ON COLUMN requests.status IS 'Workflow state; records can only be added or removed while draft.';

CREATE TABLE uploads (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z2-7]{26}$'),
  request_id     bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  owner_id       bigint NOT NULL REFERENCES users(id),
  kind           text NOT NULL CHECK (kind IN ('images', 'radiology_report', 'pathology_report',
                   'authorization', 'photo_id', 'insurance_card', 'referral', 'prior_images', 'other')),
  filename       text NOT NULL CHECK (octet_length(filename) BETWEEN 1 AND 255),
  length         bigint NOT NULL CHECK (length >= 0),
  "offset"       bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
  state          text NOT NULL DEFAULT 'receiving'
                   CHECK (state IN ('receiving', 'finalizing', 'complete', 'failed')),
  failure        text,
  sha256_expected bytea CHECK (sha256_expected IS NULL OR octet_length(sha256_expected) = 32),
  sha256         bytea CHECK (sha256 IS NULL OR octet_length(sha256) = 32),
  blake2b        bytea CHECK (blake2b IS NULL OR octet_length(blake2b) = 32),
  sealed_tail    bytea,
  file_id        bytea NOT NULL UNIQUE CHECK (octet_length(file_id) = 16),
  wrapped_dek    bytea NOT NULL CHECK (octet_length(wrapped_dek) = 72),
  kek_version    integer NOT NULL CHECK (kek_version > 0),
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_request ON uploads (request_id);
CREATE INDEX uploads_state ON uploads (state, expires_at);
COMMENT ON TABLE uploads IS
  'tus 1.0.0 uploads. The staging file <data-dir>/staging/<hex file_id> holds the sealed full records up to "offset"; the trailing partial record is sealed_tail (ciphertext under the file''s key).';
COMMENT ON COLUMN uploads.id IS 'The upload URL''s id: 128 random bits in base32 (lower case, no padding).';
COMMENT ON COLUMN uploads."offset" IS 'Bytes durably received: synced to disk before this commit, acknowledged only after it.';
COMMENT ON COLUMN uploads.sha256_expected IS 'SHA-256 the client declared in Upload-Metadata (sha256), checked at completion.';
COMMENT ON COLUMN uploads.blake2b IS 'BLAKE2b-256 of the whole plaintext, computed at completion (the internal integrity digest).';
COMMENT ON COLUMN uploads.filename IS 'Client file name, metadata only: sanitised (no control or bidi characters, <= 255 bytes). Never a path.';

CREATE TABLE studies (
  id                 bigserial PRIMARY KEY,
  request_id         bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  study_uid          text NOT NULL,
  study_date         text NOT NULL DEFAULT '',
  description        text NOT NULL DEFAULT '',
  patient_name       text NOT NULL DEFAULT '',
  patient_birth_date text NOT NULL DEFAULT '',
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request_id, study_uid)
);
COMMENT ON TABLE studies IS 'DICOM studies (StudyInstanceUID) found in a request''s images; values as found in the first image.';

CREATE TABLE series (
  id           bigserial PRIMARY KEY,
  study_id     bigint NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
  request_id   bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  series_uid   text NOT NULL,
  modality     text NOT NULL DEFAULT '',
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request_id, series_uid)
);
CREATE INDEX series_study ON series (study_id);
COMMENT ON TABLE series IS 'DICOM series (SeriesInstanceUID); image count and views are derived from documents.';

CREATE TABLE documents (
  id                 bigserial PRIMARY KEY,
  request_id         bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  upload_id          text REFERENCES uploads(id) ON DELETE SET NULL,
  kind               text NOT NULL CHECK (kind IN ('images', 'radiology_report', 'pathology_report',
                       'authorization', 'photo_id', 'insurance_card', 'referral', 'prior_images', 'other')),
  original_name      text NOT NULL CHECK (octet_length(original_name) BETWEEN 1 AND 255),
  sniffed_type       text NOT NULL,
  size               bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
  sha256             text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
  blake2b            text CHECK (blake2b IS NULL OR blake2b ~ '^[0-9a-f]{64}$'),
  file_id            bytea UNIQUE CHECK (file_id IS NULL OR octet_length(file_id) = 16),
  wrapped_dek        bytea CHECK (wrapped_dek IS NULL OR octet_length(wrapped_dek) = 72),
  kek_version        integer,
  skipped            boolean NOT NULL DEFAULT false,
  refused            boolean NOT NULL DEFAULT false,
  skip_reason        text,
  series_id          bigint REFERENCES series(id) ON DELETE SET NULL,
  sop_instance_uid   text,
  sop_class_uid      text,
  transfer_syntax    text,
  modality           text,
  laterality         text,
  view_position      text,
  study_date         text,
  patient_name       text,
  patient_birth_date text,
  manufacturer       text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (skipped OR (file_id IS NOT NULL AND wrapped_dek IS NOT NULL AND kek_version IS NOT NULL AND blake2b IS NOT NULL)),
  CHECK (NOT skipped OR (file_id IS NULL AND skip_reason IS NOT NULL)),
  CHECK (NOT refused OR skipped)
);
CREATE UNIQUE INDEX documents_sop_once ON documents (request_id, sop_instance_uid)
  WHERE sop_instance_uid IS NOT NULL;
CREATE INDEX documents_request ON documents (request_id, id);
CREATE INDEX documents_series ON documents (series_id);
COMMENT ON TABLE documents IS
  'Files taken in for a request (one per DICOM instance, PDF, picture) and files skipped or refused at intake (skipped = true, no blob).';
COMMENT ON COLUMN documents.sniffed_type IS 'Type found from the content (sniff.h): dicom, pdf, jpeg, png, dicomdir, executable, ...';
COMMENT ON COLUMN documents.blake2b IS 'BLAKE2b-256 (hex) of the plaintext, verified again before a download.';
COMMENT ON COLUMN documents.sha256 IS 'SHA-256 (hex) of the plaintext when the client declared one and it matched.';
COMMENT ON COLUMN documents.refused IS 'The file was refused (a program, an unknown type), not just skipped as not needed.';
COMMENT ON COLUMN documents.skip_reason IS 'Plain-words reason a file was skipped (DICOMDIR, viewer program, autorun, duplicate) or refused (executable, unknown type).';

CREATE TABLE intake_receipts (
  id            bigserial PRIMARY KEY,
  request_id    bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  upload_id     text REFERENCES uploads(id) ON DELETE SET NULL,
  filename      text NOT NULL,
  accepted      integer NOT NULL DEFAULT 0,
  images        integer NOT NULL DEFAULT 0,
  duplicates    integer NOT NULL DEFAULT 0,
  skipped       integer NOT NULL DEFAULT 0,
  refused       integer NOT NULL DEFAULT 0,
  message       text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intake_receipts_request ON intake_receipts (request_id, id);
COMMENT ON TABLE intake_receipts IS 'What intake did with one completed upload (counts and a plain-words summary).';
