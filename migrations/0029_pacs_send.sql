-- "Send to our PACS" (issue 14 item 3): admins configure the center's DICOMweb destinations;
-- staff and the assigned reviewer send a request's (or one study's) instances there with
-- STOW-RS on a background job (kind 'pacs_send', payload the send's id). The state of each send
-- lives here, so that a restart of the portal resumes it and an instance the PACS acknowledged
-- is never sent again.
CREATE TABLE pacs_destinations (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  base_url      text NOT NULL CHECK (base_url ~ '^https?://' AND char_length(base_url) <= 500),
  auth          text NOT NULL DEFAULT 'none' CHECK (auth IN ('none', 'basic', 'bearer')),
  username      text NOT NULL DEFAULT '' CHECK (char_length(username) <= 200),
  secret_sealed bytea CHECK (secret_sealed IS NULL OR octet_length(secret_sealed) <= 4200),
  ca_pem        text NOT NULL DEFAULT '' CHECK (char_length(ca_pem) <= 65536),
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pacs_destinations_name ON pacs_destinations (lower(name));
COMMENT ON TABLE pacs_destinations IS
  'DICOMweb (STOW-RS) destinations of the center (its PACS), configured by admins in /admin/center.';
COMMENT ON COLUMN pacs_destinations.base_url IS 'The DICOMweb service root; instances are POSTed to <base_url>/studies.';
COMMENT ON COLUMN pacs_destinations.secret_sealed IS
  'The basic password or bearer token, sealed with the app key (secrets_seal, SECRET_PACS_CREDENTIAL, bound to the row id). Never shown back.';
COMMENT ON COLUMN pacs_destinations.ca_pem IS 'PEM certificate(s) to trust for HTTPS instead of the system store; empty: the system store.';

CREATE TABLE pacs_sends (
  id               bigserial PRIMARY KEY,
  request_id       bigint NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  study_uid        text CHECK (study_uid IS NULL OR char_length(study_uid) <= 64),
  destination_id   bigint REFERENCES pacs_destinations(id) ON DELETE SET NULL,
  destination_name text NOT NULL,
  sender_id        bigint REFERENCES users(id) ON DELETE SET NULL,
  state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'retrying', 'done', 'failed', 'stopped')),
  total            integer NOT NULL CHECK (total >= 0),
  next_try_at      timestamptz,
  failure          text CHECK (failure IS NULL OR char_length(failure) <= 500),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX pacs_sends_request ON pacs_sends (request_id, id);
COMMENT ON TABLE pacs_sends IS 'One "Send to our PACS": a whole request (study_uid NULL) or one study, to one destination.';
COMMENT ON COLUMN pacs_sends.destination_name IS 'The destination''s name when the send began (kept when it is renamed or deleted).';
COMMENT ON COLUMN pacs_sends.state IS
  'queued (job waiting), sending, retrying (the PACS could not be reached or was busy: again at next_try_at), done (every instance has its outcome), failed (failure says why), '
  'stopped (the patient withdrew the request or revoked the authorization before it was sent: failure says which).';
COMMENT ON COLUMN pacs_sends.failure IS 'Why the send stopped, in plain words (no health data).';

CREATE TABLE pacs_send_items (
  send_id     bigint NOT NULL REFERENCES pacs_sends(id) ON DELETE CASCADE,
  document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  sop_uid     text NOT NULL,
  outcome     text CHECK (outcome IS NULL OR outcome IN ('referenced', 'warning', 'failed')),
  reason      integer CHECK (reason IS NULL OR reason BETWEEN 0 AND 65535),
  answered_at timestamptz,
  PRIMARY KEY (send_id, document_id)
);
CREATE INDEX pacs_send_items_pending ON pacs_send_items (send_id, document_id) WHERE outcome IS NULL;
COMMENT ON TABLE pacs_send_items IS 'Each instance of a send and what the PACS answered for it.';
COMMENT ON COLUMN pacs_send_items.outcome IS
  'NULL: not yet acknowledged (sent again after a failure); referenced (in ReferencedSOPSequence), warning (referenced with a WarningReason), failed (in FailedSOPSequence, or refused as a whole).';
COMMENT ON COLUMN pacs_send_items.reason IS 'FailureReason (00081197) or WarningReason (00081196) the PACS gave.';

-- STOW-RS to one study (POST /dicom-web/studies/{study}, PS3.18 10.5): intake takes only the
-- instances of that study and refuses the others (FailedSOPSequence).
ALTER TABLE uploads ADD COLUMN stow_study text CHECK (stow_study IS NULL OR stow_study ~ '^[0-9.]{1,64}$');
ALTER TABLE uploads ADD CONSTRAINT uploads_stow_study CHECK (stow_study IS NULL OR stow_id IS NOT NULL);
COMMENT ON COLUMN uploads.stow_study IS
  'A STOW-RS part sent to one study: the Study Instance UID it must have (intake refuses another with 0xA900); NULL otherwise.';
