-- Foundation: a place to record facts about this installation.
CREATE TABLE app_settings (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app_settings IS 'Installation-wide settings that are not secrets (secrets live in files under the data directory).';
INSERT INTO app_settings(name, value) VALUES ('schema_created_at', now()::text);
