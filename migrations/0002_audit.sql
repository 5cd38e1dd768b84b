-- The audit trail: one append-only row per security-relevant event, each
-- holding the BLAKE2b-256 hash of the previous row's hash and its own
-- canonical bytes (defined in server/core/audit.c), so that any later edit,
-- deletion or reordering is found by `secondop verify-audit`.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  at_us       bigint NOT NULL,
  actor_id    bigint,
  actor_role  text NOT NULL,
  action      text NOT NULL CHECK (action <> '' AND octet_length(action) <= 100),
  object_type text,
  object_id   text,
  patient_id  bigint,
  outcome     text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  ip          text NOT NULL DEFAULT '',
  request_id  text NOT NULL DEFAULT '',
  detail      jsonb CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object'),
  prev_hash   bytea CHECK (prev_hash IS NULL OR octet_length(prev_hash) = 32),
  hash        bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- Two rows can never claim the same predecessor: a forked chain is refused
-- by the database even if two writers raced past the advisory lock.
CREATE UNIQUE INDEX audit_log_prev_hash_key ON audit_log (prev_hash) NULLS NOT DISTINCT;
CREATE INDEX audit_log_patient_at ON audit_log (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_actor_at ON audit_log (actor_id, at) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id) WHERE object_type IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Audit rows can be added, never changed or removed.';
END
$$;
COMMENT ON FUNCTION audit_log_refuse_change() IS
  'Trigger function that refuses UPDATE, DELETE and TRUNCATE on audit_log.';

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Least privilege where the operator runs the portal under its own role: it
-- may add and read audit rows, nothing else. (The embedded setup connects as
-- the cluster owner, a superuser, for whom grants do not apply: there the
-- triggers above are the guard, and the hash chain reveals what a superuser
-- does after disabling them.)
REVOKE ALL ON audit_log FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'secondop_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM secondop_app;
    GRANT SELECT, INSERT ON audit_log TO secondop_app;
    GRANT USAGE ON SEQUENCE audit_log_id_seq TO secondop_app;
  END IF;
END
$$;

COMMENT ON TABLE audit_log IS
  'Append-only, hash-chained audit trail: logins, account changes and every read or change of patient data. '
  'UPDATE, DELETE and TRUNCATE are refused by triggers (the real guard when the portal connects as a superuser, '
  'as the embedded database does); an application role named secondop_app, when it exists, gets only SELECT and INSERT. '
  'Each row''s hash covers the previous row''s hash and all of its own columns; `secondop verify-audit` recomputes the chain.';
COMMENT ON COLUMN audit_log.id IS 'Position in the chain: rows are chained in id order (gaps from rolled-back writes are harmless).';
COMMENT ON COLUMN audit_log.at IS 'When the event was recorded (UTC); always equal to the epoch plus at_us microseconds.';
COMMENT ON COLUMN audit_log.at_us IS 'The same instant as microseconds since 1970-01-01 UTC: the form that is hashed.';
COMMENT ON COLUMN audit_log.actor_id IS 'users.id of who acted; NULL for anonymous visitors and the system. No foreign key: rows must outlive users.';
COMMENT ON COLUMN audit_log.actor_role IS 'The actor''s role at the time: patient, staff, reviewer, admin, anonymous or system.';
COMMENT ON COLUMN audit_log.action IS 'Dotted verb, e.g. login.success, login.failure, request.view, document.download, audit.view.';
COMMENT ON COLUMN audit_log.object_type IS 'Kind of object acted on (user, request, document, …), or NULL.';
COMMENT ON COLUMN audit_log.object_id IS 'Id of the object acted on, as text, or NULL.';
COMMENT ON COLUMN audit_log.patient_id IS 'users.id of the patient whose data was touched, or NULL: answers "who opened my records".';
COMMENT ON COLUMN audit_log.outcome IS 'ok, denied (access refused) or failed (attempt that did not succeed).';
COMMENT ON COLUMN audit_log.ip IS 'Client address; empty for command-line actions.';
COMMENT ON COLUMN audit_log.request_id IS 'The HTTP request id (the incident number shown on error pages), or cli.';
COMMENT ON COLUMN audit_log.detail IS 'Small JSON object with event details; never passwords, tokens or clinical text.';
COMMENT ON COLUMN audit_log.prev_hash IS 'hash of the previous row in id order; NULL for the first row.';
COMMENT ON COLUMN audit_log.hash IS 'BLAKE2b-256(prev_hash, or 32 zero bytes for the first row, || canonical bytes of this row).';
