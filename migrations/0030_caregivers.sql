-- Caregivers (issue 15 item 4): a patient invites someone she trusts (a
-- daughter, a partner) to act for her in the portal. The caregiver signs in
-- with an account of their own (a patient-side account: role 'patient'); what
-- lets them act for her is a live row here, checked on every request in the
-- domain layer (core/caregivers.h). Revoking sets revoked_at: from that
-- moment every request of hers is a 404 to them.

CREATE TABLE caregiver_links (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  caregiver_id        bigint REFERENCES users(id) ON DELETE CASCADE,
  invited_email       text NOT NULL CHECK (char_length(invited_email) BETWEEN 3 AND 254),
  relationship        text NOT NULL CHECK (relationship IN ('daughter', 'son', 'spouse', 'parent', 'other')),
  relationship_other  text NOT NULL DEFAULT '' CHECK (char_length(relationship_other) <= 60),
  token_hash          bytea UNIQUE CHECK (token_hash IS NULL OR octet_length(token_hash) = 32),
  created_at          timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  accepted_at         timestamptz,
  revoked_at          timestamptz,
  revoked_by          bigint REFERENCES users(id) ON DELETE SET NULL,
  authority           text NOT NULL DEFAULT 'patient_invitation'
                        CHECK (authority IN ('patient_invitation', 'healthcare_poa', 'legal_guardian', 'parent_of_minor',
                                             'personal_representative')),
  authority_decision  text CHECK (authority_decision IN ('verified', 'refused')),
  authority_document_id bigint REFERENCES documents(id) ON DELETE SET NULL,
  authority_reason    text NOT NULL DEFAULT '' CHECK (char_length(authority_reason) <= 1000),
  authority_decided_by bigint REFERENCES users(id) ON DELETE SET NULL,
  authority_decided_at timestamptz,
  ended_reason        text NOT NULL DEFAULT '' CHECK (char_length(ended_reason) <= 1000),
  CHECK (caregiver_id IS NULL OR caregiver_id <> patient_id),
  CHECK (authority_decision IS NULL OR authority <> 'patient_invitation'),
  CHECK ((accepted_at IS NULL) = (caregiver_id IS NULL)),
  CHECK (relationship <> 'other' OR char_length(relationship_other) >= 1)
);
CREATE UNIQUE INDEX caregiver_links_live ON caregiver_links (patient_id, caregiver_id)
  WHERE caregiver_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX caregiver_links_caregiver ON caregiver_links (caregiver_id) WHERE caregiver_id IS NOT NULL;
COMMENT ON TABLE caregiver_links IS
  'A patient''s caregivers: invited by e-mail (token_hash: BLAKE2b of a 256-bit single-use link, like one_time_tokens), '
  'accepted by an account of their own (caregiver_id), revoked by the patient (revoked_at). A live row '
  '(accepted, not revoked) lets the caregiver see and act on every request of the patient.';
COMMENT ON COLUMN caregiver_links.relationship IS 'What the caregiver is to the patient: daughter, son, spouse (or partner), parent, other.';
COMMENT ON COLUMN caregiver_links.relationship_other IS 'The patient''s own words when relationship is other ("neighbour").';
COMMENT ON COLUMN caregiver_links.authority IS
  'patient_invitation: the patient invited them. The others: a representative started a request for someone who '
  'cannot invite (the patient row is then a placeholder account that cannot log in) and uploaded a document of '
  'kind authority_document that staff verify before the request can be accepted.';
COMMENT ON COLUMN caregiver_links.authority_decision IS
  'Staff''s decision on authority_document_id (the newest authority document when decided). A newer document makes '
  'the authority pending again; a request is accepted only while the decision on the newest document is verified.';
COMMENT ON COLUMN caregiver_links.ended_reason IS
  'Why staff ended a representative''s link (the authority was withdrawn, a court order ended it); revoked_by is then '
  'the staff account. A request of a person whose representation ended cannot be accepted.';
COMMENT ON COLUMN caregiver_links.authority_reason IS 'Why staff refused the document, shown to the representative.';
COMMENT ON COLUMN caregiver_links.token_hash IS 'Hash of the invitation link; set to NULL once used or revoked, so a link works once.';

-- Who signed an authorization in the portal, when it was not the patient:
-- the signer's own account, their relationship and on what authority. One
-- row per authorization, written in the signing transaction, never changed.
CREATE TABLE authorization_signers (
  authorization_id  bigint PRIMARY KEY REFERENCES authorizations(id) ON DELETE CASCADE,
  signer_id         bigint NOT NULL REFERENCES users(id),
  relationship      text NOT NULL CHECK (char_length(relationship) BETWEEN 1 AND 80),
  authority         text NOT NULL CHECK (authority IN ('patient_invitation', 'healthcare_poa', 'legal_guardian',
                                                   'parent_of_minor', 'personal_representative'))
);
COMMENT ON TABLE authorization_signers IS
  'The person who signed an authorization for the patient (a caregiver), in their own name: their account, '
  'relationship to the patient and authority. No row: the patient signed herself.';
COMMENT ON COLUMN authorization_signers.authority IS
  'patient_invitation: the patient invited this caregiver and had not revoked them when they signed; the others: '
  'the representative''s stated authority (healthcare power of attorney, legal guardian, parent of a minor, personal '
  'representative), shown with the staff''s decision on the document.';

CREATE FUNCTION authorization_signers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the signer of authorization % is recorded once', OLD.authorization_id
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER authorization_signers_immutable BEFORE UPDATE ON authorization_signers
  FOR EACH ROW EXECUTE FUNCTION authorization_signers_immutable();

-- The document that gives a representative authority is a record like any
-- other (same intake, same encryption), of its own kind.
ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check CHECK (kind IN ('images', 'radiology_report',
  'pathology_report', 'authorization', 'photo_id', 'insurance_card', 'referral', 'prior_images', 'other',
  'authority_document'));
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check CHECK (kind IN ('images', 'radiology_report',
  'pathology_report', 'authorization', 'photo_id', 'insurance_card', 'referral', 'prior_images', 'other',
  'authority_document'));

-- What a caregiver or representative did to the records is on the request's
-- timeline, naming both people (core/caregivers.h caregivers_records_event).
ALTER TABLE request_events DROP CONSTRAINT request_events_kind_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN ('status', 'authorization_signed',
  'authorization_revoked', 'records_letter', 'records_extension', 'third_opinion', 'note', 'records_added',
  'records_removed'));
COMMENT ON COLUMN request_events.kind IS
  'status, authorization_signed/_revoked, records_letter, records_extension, third_opinion, note; records_added and '
  'records_removed: a caregiver''s upload or removal of records (detail {"file": name}), actor the caregiver.';
