-- Active-active (issue 16 item 3): any number of instances share one PostgreSQL and one blob
-- store. Who may write an upload's bytes and commit its offset is a lease held in this row,
-- not an in-process lock: an instance takes it (lease_owner: that instance's id,
-- lease_until: when it lapses unless renewed) by adding one to lease_token, the fencing token.
-- The commit of an offset names the token it holds, in the same statement that moves the
-- offset, so an instance that stalled past its lease (or a restarted one) can never commit
-- over the instance that took the upload after it: its token is no longer the row's.
-- Start-up recovery takes the same lease, so it touches only uploads whose lease is free or
-- has lapsed, never one another live instance is receiving.
ALTER TABLE uploads ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN lease_owner text CHECK (lease_owner IS NULL OR char_length(lease_owner) BETWEEN 1 AND 64);
ALTER TABLE uploads ADD COLUMN lease_until timestamptz;
COMMENT ON COLUMN uploads.lease_token IS
  'Fencing token: raised by one each time an instance (or start-up recovery) takes the upload; an offset commits only with the current token.';
COMMENT ON COLUMN uploads.lease_owner IS
  'The instance holding the upload''s lease: its data directory''s id, a dot, a random id per process; NULL when no one holds it.';
COMMENT ON COLUMN uploads.lease_until IS
  'When the lease lapses unless its holder renews it; another instance may take the upload after that.';

-- Shared key material: every instance is given the same key file; its id (a keyed hash that
-- reveals nothing of the keys) is recorded by the first instance that starts, and an instance
-- given another key refuses to start.
CREATE TABLE key_identity (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  key_id text NOT NULL CHECK (char_length(key_id) BETWEEN 16 AND 128),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE key_identity IS
  'One row: the id of the key material every instance must be started with (a BLAKE2b of the keys under a fixed label; not the keys).';
