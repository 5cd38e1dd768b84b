-- Background work off the HTTP threads (issue 10, item 3): a job queue in
-- PostgreSQL, claimed with FOR UPDATE SKIP LOCKED under a lease, so a job
-- whose worker died (process killed) is claimed again once its lease has
-- expired; bounded retries with back-off, then failed with a reason.
-- Uploads gain the state 'checking': every byte is durable and the file is
-- complete, its intake job is queued or running.
CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL CHECK (kind ~ '^[a-z_.]{1,40}$'),
  payload       text NOT NULL DEFAULT '' CHECK (octet_length(payload) <= 4096),
  patient_id    bigint REFERENCES users(id) ON DELETE CASCADE,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
  attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts  integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
  lease_owner   text,
  lease_expires timestamptz,
  run_after     timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires) WHERE state = 'running';
CREATE INDEX jobs_patient ON jobs (patient_id, kind) WHERE state IN ('queued', 'running');
COMMENT ON TABLE jobs IS
  'Background work (e.g. intake of a finished upload). A row exists while the job is queued or running and after it failed for good; a job that succeeded is deleted.';
COMMENT ON COLUMN jobs.payload IS 'What the job works on, in the kind''s own terms (for intake: the upload id). Never health data.';
COMMENT ON COLUMN jobs.lease_owner IS 'Random token of the server process running the job; with lease_expires, a claim that lapses when the process dies.';
COMMENT ON COLUMN jobs.lease_expires IS 'Renewed while the worker is alive; a running job past it is claimed again by any worker.';
COMMENT ON COLUMN jobs.run_after IS 'Not claimed before this time (back-off after a failed attempt).';
COMMENT ON COLUMN jobs.attempts IS 'Claims so far, including one that died with its process; past max_attempts the job fails for good.';

ALTER TABLE uploads DROP CONSTRAINT uploads_state_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_state_check
  CHECK (state IN ('receiving', 'finalizing', 'checking', 'complete', 'failed'));
ALTER TABLE uploads ADD COLUMN is_archive boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN uploads.state IS
  'receiving (bytes arriving), finalizing (all bytes durable, being sealed), checking (complete; the intake job is queued or running), complete (taken in: see intake_receipts), failed (not kept: see failure).';
COMMENT ON COLUMN uploads.is_archive IS 'The finished file is a ZIP or ISO (sniffed): counts toward the per-patient limit of archives being checked.';
CREATE INDEX uploads_owner_recent ON uploads (owner_id, created_at);
