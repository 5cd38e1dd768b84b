-- Printed pages (issue 15 item 6): the report, the records-request letter and
-- the authorization carry a header naming the center that keeps the records.
-- One row, changed only by an admin in /admin/center (audited as
-- center.settings.change). Empty until an admin fills it in; pages then say
-- that the center has not given its name.
CREATE TABLE center_identity (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  name text NOT NULL DEFAULT '' CHECK (char_length(name) <= 200),
  address text NOT NULL DEFAULT '' CHECK (char_length(address) <= 500),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE center_identity IS
  'The breast center''s name and postal address (one row), printed in the header of the report, the records-request '
  'letter and the HIPAA authorization. address keeps the lines as typed, separated by newlines.';
INSERT INTO center_identity DEFAULT VALUES;
