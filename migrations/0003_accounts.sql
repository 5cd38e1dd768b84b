-- Accounts: users and their roles, sessions, login throttling, one-time
-- tokens (e-mail verification, password reset, invitations), the TOTP second
-- factor with recovery codes, and the outbox of messages to send.
-- Secrets are never stored in the clear: passwords as Argon2id strings,
-- tokens as BLAKE2b-256 hashes, TOTP secrets sealed with the app key.

CREATE TABLE users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role            text NOT NULL CHECK (role IN ('patient', 'staff', 'reviewer', 'admin')),
  name            text NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
  email           text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
  date_of_birth   date CHECK (date_of_birth IS NULL OR date_of_birth BETWEEN DATE '1900-01-01' AND DATE '2100-01-01'),
  password_hash   text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  email_verified  boolean NOT NULL DEFAULT false,
  totp_secret_enc bytea,
  totp_enabled    boolean NOT NULL DEFAULT false,
  totp_last_step  bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT totp_enabled OR totp_secret_enc IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
COMMENT ON TABLE users IS 'Every person who signs in: patients (self sign-up) and center staff, reviewers and admins (invited).';
COMMENT ON COLUMN users.email IS 'Login name; unique regardless of letter case (users_email_lower_key).';
COMMENT ON COLUMN users.date_of_birth IS 'Patients only: used to match uploaded images to the right person.';
COMMENT ON COLUMN users.password_hash IS 'Argon2id string from crypto_pwhash_str_alg; NULL until an invited user chooses a password.';
COMMENT ON COLUMN users.status IS 'disabled accounts cannot log in; their sessions are ended when disabled.';
COMMENT ON COLUMN users.totp_secret_enc IS '24-byte nonce || XChaCha20-Poly1305 ciphertext of the 20-byte TOTP secret, key derived from <data-dir>/keys/app.key, user id as associated data. Set while enrolling (totp_enabled false) or enrolled.';
COMMENT ON COLUMN users.totp_enabled IS 'True once the user proved the authenticator works with a code.';
COMMENT ON COLUMN users.totp_last_step IS 'Newest accepted TOTP time step (unix time / 30); codes for this step or older are refused (no replay).';

CREATE TABLE sessions (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id             bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash          bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  csrf_token          text NOT NULL CHECK (char_length(csrf_token) >= 43),
  created_at          timestamptz NOT NULL,
  last_seen_at        timestamptz NOT NULL,
  idle_expires_at     timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  mfa_passed          boolean NOT NULL DEFAULT false,
  ip                  text NOT NULL DEFAULT '',
  user_agent          text NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 300)
);
CREATE INDEX sessions_user ON sessions (user_id);
COMMENT ON TABLE sessions IS 'Logged-in browsers. The cookie holds a 256-bit random token; only its hash is kept here, so any instance can serve any request and a database leak gives no usable cookie.';
COMMENT ON COLUMN sessions.token_hash IS 'BLAKE2b-256 of the raw 32-byte session token.';
COMMENT ON COLUMN sessions.csrf_token IS 'Random per-session token that every form and state-changing call must echo (compared in constant time).';
COMMENT ON COLUMN sessions.idle_expires_at IS 'Moves forward on each request: 15 minutes for center roles, 60 for patients, never past absolute_expires_at.';
COMMENT ON COLUMN sessions.absolute_expires_at IS '12 hours after login, whatever the activity.';
COMMENT ON COLUMN sessions.mfa_passed IS 'This session passed the TOTP step; required for center roles before anything but enrolment and logout.';

CREATE TABLE login_throttle (
  kind            text NOT NULL CHECK (kind IN ('account', 'ip')),
  key             text NOT NULL CHECK (char_length(key) <= 128),
  failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_failure_at timestamptz,
  PRIMARY KEY (kind, key)
);
COMMENT ON TABLE login_throttle IS 'Consecutive failed logins per account and per client address; the delay policy is in server/core/throttle.h.';
COMMENT ON COLUMN login_throttle.key IS 'account: keyed BLAKE2b of the lower-cased e-mail typed (hex), so typed addresses of non-users are not kept; ip: the client address.';

CREATE TABLE one_time_tokens (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset', 'invitation')),
  token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
COMMENT ON TABLE one_time_tokens IS 'Links sent by e-mail: verify an address, reset a password, accept an invitation. 256-bit tokens, stored hashed, single use (used_at), expiring.';

CREATE TABLE recovery_codes (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  used_at   timestamptz
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id) WHERE used_at IS NULL;
COMMENT ON TABLE recovery_codes IS 'Single-use codes that replace a TOTP code once (lost phone). Keyed BLAKE2b of the code; shown to the user only when made.';

CREATE TABLE outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient       text NOT NULL CHECK (char_length(recipient) BETWEEN 3 AND 254),
  subject         text NOT NULL CHECK (char_length(subject) <= 200),
  body            text NOT NULL CHECK (char_length(body) <= 20000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
COMMENT ON TABLE outbox IS 'E-mail waiting to be sent (written in the same transaction as the change it announces). Bodies carry no health information: only "something changed, please log in" and one-time links.';
COMMENT ON COLUMN outbox.sent_at IS 'NULL while pending.';
COMMENT ON COLUMN outbox.attempts IS 'Delivery attempts so far.';
COMMENT ON COLUMN outbox.next_attempt_at IS 'Earliest time of the next delivery attempt (back-off after failures).';
COMMENT ON COLUMN outbox.last_error IS 'Why the last attempt failed (SMTP answer), for the operator.';
