-- Personal access tokens for DICOMweb clients (issue 14 item 2): a patient's, a reviewer's or
-- staff's imaging program (a workstation, OHIF, Weasis, Orthanc) sends
-- `Authorization: Bearer sop_<secret>` and is that user under /dicom-web/ only. The secret is shown
-- once and never stored: only its keyed BLAKE2b hash (server/core/tokens.h says why).
CREATE TABLE access_tokens (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  label         text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 80),
  token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  can_store     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL CHECK (expires_at > created_at),
  last_used_at  timestamptz,
  last_used_ip  text CHECK (last_used_ip IS NULL OR char_length(last_used_ip) <= 48),
  revoked_at    timestamptz
);
CREATE INDEX access_tokens_user ON access_tokens (user_id, id);
COMMENT ON TABLE access_tokens IS
  'Personal access tokens for DICOMweb clients: listed and revoked on /account/tokens, accepted only under '
  '/dicom-web/ (server/http/auth.c). Every use writes an audit row dicomweb.token_use.';
COMMENT ON COLUMN access_tokens.token_hash IS
  'Keyed BLAKE2b-256 (app key subkey SECRET_ACCESS_TOKEN) of the 32 random secret bytes; the secret itself is never stored.';
COMMENT ON COLUMN access_tokens.can_store IS
  'May also send studies (STOW-RS). Only staff can set it; without it the token may only read (GET, HEAD).';
COMMENT ON COLUMN access_tokens.revoked_at IS 'Set when the owner revokes it; a revoked token never works again.';

-- failed bearer attempts are throttled per client address like logins, in their own counter
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_kind_check;
ALTER TABLE login_throttle ADD CONSTRAINT login_throttle_kind_check CHECK (kind IN ('account', 'ip', 'bearer_ip'));
COMMENT ON COLUMN login_throttle.kind IS
  'account and ip: failed logins; bearer_ip: failed DICOMweb bearer tokens from one client address.';
