-- The conversation and the patient's chosen specialist (issue 15, items 2
-- and 3): unread counts are asked for on every dashboard, queue and worklist,
-- so the unread messages have their own small index; and when staff assign
-- another specialist than the one the patient chose, they say why, and the
-- patient reads it.
CREATE INDEX messages_unread ON messages (request_id) WHERE read_at IS NULL AND NOT internal;

ALTER TABLE requests
  ADD COLUMN assignment_reason text
    CHECK (assignment_reason IS NULL OR char_length(assignment_reason) BETWEEN 1 AND 1000);
COMMENT ON COLUMN requests.assignment_reason IS
  'Why the center assigned another specialist than the one the patient chose (shown to the patient); '
  'NULL when the chosen specialist was assigned or the patient let the center choose.';
