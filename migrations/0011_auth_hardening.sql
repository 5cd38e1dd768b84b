-- Accounts hardening: a second-factor counter that the password step cannot
-- reset, step-up re-authentication per session, the outbox's bodies sealed
-- and deleted once delivered, and the request's clinical free text sealed.
--
-- A migration has no key (the app key lives in <data-dir>/keys, never in the
-- database), so it cannot seal. It adds the *_sealed columns; the server seals
-- the remaining plaintext (pending outbox bodies, requests' reason and
-- questions) at start-up in bounded batches and clears the plaintext
-- (server/core/sealing.c). Until a row is converted, readers fall back to
-- its plaintext, so nothing breaks in between. Bodies of messages already
-- sent are simply deleted here: nothing needs them.

-- ---- second factor: wrong codes per account, across logins ----
CREATE TABLE mfa_failures (
  user_id         bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at timestamptz,
  locked_at       timestamptz
);
COMMENT ON TABLE mfa_failures IS 'Wrong TOTP and recovery codes per account since the last right one. Unlike login_throttle it is NOT reset by a right password, so logging in again does not buy more guesses. Policy in server/core/mfaguard.h.';
COMMENT ON COLUMN mfa_failures.failures IS 'Wrong codes since the last accepted one (login, step-up).';
COMMENT ON COLUMN mfa_failures.locked_at IS 'Set when failures reached the bound: no code is checked until an admin lifts the lock (audited); the holder was e-mailed.';

-- ---- step-up re-authentication ----
ALTER TABLE sessions ADD COLUMN reauth_at timestamptz;
COMMENT ON COLUMN sessions.reauth_at IS 'Last time this session re-entered its password or a TOTP code (step-up); sensitive actions need it within 5 minutes.';

-- ---- outbox: sealed bodies, deleted once delivered ----
ALTER TABLE outbox ALTER COLUMN body DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN body_sealed bytea;
ALTER TABLE outbox ADD COLUMN kind text NOT NULL DEFAULT 'notice'
  CHECK (kind IN ('notice', 'verify_email', 'password_reset', 'invitation', 'signup_existing', 'mfa_locked'));
ALTER TABLE outbox ADD COLUMN user_id bigint;
ALTER TABLE outbox ADD COLUMN client_ip text NOT NULL DEFAULT '' CHECK (char_length(client_ip) <= 64);
UPDATE outbox SET body = NULL WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_user_kind ON outbox (user_id, kind, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX outbox_ip_kind ON outbox (client_ip, kind, created_at) WHERE client_ip <> '';
CREATE INDEX outbox_plain ON outbox (id) WHERE body IS NOT NULL AND sent_at IS NULL;
COMMENT ON COLUMN outbox.body IS 'Legacy plaintext body: only rows written before migration 0011 or by hand; sealed into body_sealed at start-up. NULL once sent.';
COMMENT ON COLUMN outbox.body_sealed IS '24-byte nonce || XChaCha20-Poly1305 of the body, app-key subkey SECRET_OUTBOX, "outbox:<id>" as associated data. Set to NULL once delivered: what stays (recipient, kind, subject, times, status) is what the audit needs.';
COMMENT ON COLUMN outbox.kind IS 'What the message is, for rate limits and the audit: password_reset and invitation carry one-time links.';
COMMENT ON COLUMN outbox.user_id IS 'The account the message is about (rate limits per account), when there is one. No foreign key: the row outlives a deleted account for the audit.';
COMMENT ON COLUMN outbox.client_ip IS 'Address of the client whose request queued it (rate limits per address); empty for system messages.';

-- ---- requests: clinical free text sealed like messages ----
ALTER TABLE requests ADD COLUMN reason_sealed bytea;
ALTER TABLE requests ADD COLUMN questions_sealed bytea;
CREATE INDEX requests_plain_text ON requests (id) WHERE reason <> '' OR cardinality(questions) > 0;
COMMENT ON COLUMN requests.reason_sealed IS 'Sealed reason (app-key subkey SECRET_REQUEST_TEXT, "request:<id>:reason" as associated data). When set, reason is ''''.';
COMMENT ON COLUMN requests.questions_sealed IS 'Sealed JSON array of the questions ("request:<id>:questions" as associated data). When set, questions is empty.';
