-- Time as people live it (issue 15 item 5). Each account has a time zone of
-- the tz database (the browser's at sign-up, editable on the account page);
-- pages and e-mails show instants in it (server/util/tz.c). A consultation is
-- an instant: staff type its date and time in their own zone, the patient
-- sees it in hers, and her calendar file carries it in UTC.
ALTER TABLE users
  ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'
    CHECK (time_zone ~ '^[A-Za-z0-9_+/-]{1,64}$');
COMMENT ON COLUMN users.time_zone IS
  'The person''s time zone, a name of the tz database (/usr/share/zoneinfo, e.g. America/Los_Angeles), checked '
  'against it by the portal. Every time a page or e-mail shows this person is in this zone. Accounts made before '
  'zones existed read UTC, as pages showed them then.';

-- Until now a consultation's wall-clock time was kept without a zone and read
-- as UTC everywhere; it keeps that meaning here.
ALTER TABLE consultations
  ALTER COLUMN starts_at TYPE timestamptz USING starts_at AT TIME ZONE 'UTC';
COMMENT ON COLUMN consultations.starts_at IS
  'When the consultation starts (an instant). Staff type it in their own time zone; each person sees it in theirs.';

-- One due date: requests.due_on (trigger requests_due) is the only one shown.
-- expected_by, the specialist''s turnaround counted from another day, is no
-- longer written or read.
COMMENT ON COLUMN requests.expected_by IS
  'Superseded by due_on (migrations/0017_triage.sql), the one due date every page shows; kept for old rows, no longer written.';
