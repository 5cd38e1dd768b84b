-- Least privilege: the portal connects as an application role that owns
-- nothing (role secondop_app), so that its own connection can neither alter a
-- table nor disable a trigger; the tables belong to the role that runs the
-- migrations (secondop_owner in the embedded set-up). This function gives the
-- application role exactly what it needs; `secondop migrate` calls it after
-- every run, so tables added by later migrations are covered as well.
-- It does nothing when no role named secondop_app exists.

-- A signed HIPAA authorization never changes, except that it can be revoked
-- once (revoked_at set from NULL); the application role may update only that
-- column (see the grants below), and this trigger holds even for the owner.
CREATE FUNCTION authorizations_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.revoked_at IS NOT NULL
     OR NEW.revoked_at IS NULL
     OR (NEW.id, NEW.request_id, NEW.signed_name, NEW.signed_at, NEW.client_ip, NEW.text_sha256, NEW.text_version,
         NEW.document_id)
        IS DISTINCT FROM
        (OLD.id, OLD.request_id, OLD.signed_name, OLD.signed_at, OLD.client_ip, OLD.text_sha256, OLD.text_version,
         OLD.document_id) THEN
    RAISE EXCEPTION 'authorization % is signed: it can only be revoked, once', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
-- document_id may still be set to NULL by the foreign key when a document goes.
CREATE TRIGGER authorizations_immutable BEFORE UPDATE OF id, request_id, signed_name, signed_at, client_ip,
  text_sha256, text_version, revoked_at ON authorizations
  FOR EACH ROW EXECUTE FUNCTION authorizations_immutable();

CREATE FUNCTION secondop_grant_app_privileges() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'secondop_app') THEN
    RETURN;
  END IF;
  GRANT USAGE ON SCHEMA public TO secondop_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO secondop_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO secondop_app;
  -- the schema's history is read, never written, by the portal
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM secondop_app;
  -- append-only: rows are added, never changed or removed
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM secondop_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON report_addenda FROM secondop_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON report_releases FROM secondop_app;
  -- drafts are edited; a signed report is frozen by the reports_immutable trigger
  REVOKE DELETE, TRUNCATE ON reports FROM secondop_app;
  -- an authorization is only ever revoked
  REVOKE UPDATE, DELETE, TRUNCATE ON authorizations FROM secondop_app;
  GRANT UPDATE (revoked_at) ON authorizations TO secondop_app;
END $$;
COMMENT ON FUNCTION secondop_grant_app_privileges() IS
  'Grants the application role secondop_app its table privileges (DML, no UPDATE/DELETE on audit_log, addenda, '
  'releases, authorizations except revoked_at, no DELETE on reports); run by `secondop migrate` after every run.';

SELECT secondop_grant_app_privileges();

-- Active content (issue 10 item 7): PDFs that carry JavaScript, launch
-- actions or embedded files are kept but flagged, and never served as PDFs.
ALTER TABLE documents ADD COLUMN active_content text
  CHECK (active_content IS NULL OR char_length(active_content) BETWEEN 1 AND 200);
COMMENT ON COLUMN documents.active_content IS
  'PDFs only: what active content the intake scanner (server/dicom/content_check.c) found, in plain words '
  '("JavaScript, a launch action, embedded files"); NULL when none. Such files are downloaded as '
  'application/octet-stream, never rendered inline, and staff and reviewer see a warning.';

-- The optional virus scan (clamd): a finished upload waits for the scanner
-- when it is unreachable, and is quarantined when the scanner flags it.
ALTER TABLE uploads ADD COLUMN scan_pending boolean NOT NULL DEFAULT false;
ALTER TABLE uploads ADD COLUMN virus_name text CHECK (virus_name IS NULL OR char_length(virus_name) BETWEEN 1 AND 200);
ALTER TABLE uploads ADD COLUMN quarantined_at timestamptz;
COMMENT ON COLUMN uploads.scan_pending IS
  'The upload is complete and durable but the virus scanner could not be reached: intake waits and is retried.';
COMMENT ON COLUMN uploads.virus_name IS
  'What the virus scanner reported (its signature name) for a quarantined upload.';
COMMENT ON COLUMN uploads.quarantined_at IS
  'When the virus scanner flagged the upload: its sealed file is kept for the center but never served or taken in.';
