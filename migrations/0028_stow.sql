-- STOW-RS (issue 14 item 1): staff attach DICOM instances pushed from the center's own systems
-- (priors from its PACS) to a request with POST /dicom-web/studies?request=ID. Each part of
-- the multipart/related body is stored as an upload of its own, created in 'checking' (all its
-- bytes are sealed in the store before the row exists) and taken in by the same intake job as a
-- patient's upload; intake writes the PS3.18 outcome of the instance back onto the row, where
-- the STOW-RS answer reads it.
ALTER TABLE uploads ADD COLUMN stow_id text CHECK (stow_id IS NULL OR stow_id ~ '^[a-z2-7]{26}$');
ALTER TABLE uploads ADD COLUMN stow_part integer CHECK (stow_part IS NULL OR stow_part > 0);
ALTER TABLE uploads ADD COLUMN stow_status integer CHECK (stow_status IS NULL OR stow_status BETWEEN 0 AND 65535);
ALTER TABLE uploads ADD COLUMN stow_sop_class text CHECK (stow_sop_class IS NULL OR char_length(stow_sop_class) <= 64);
ALTER TABLE uploads ADD COLUMN stow_sop_instance text
  CHECK (stow_sop_instance IS NULL OR char_length(stow_sop_instance) <= 64);
ALTER TABLE uploads ADD CONSTRAINT uploads_stow_whole CHECK ((stow_id IS NULL) = (stow_part IS NULL));
CREATE INDEX uploads_stow ON uploads (stow_id, stow_part) WHERE stow_id IS NOT NULL;
COMMENT ON COLUMN uploads.stow_id IS
  'The STOW-RS request this upload is one part (instance) of; NULL for a patient''s tus upload. The owner is then the staff member who sent it.';
COMMENT ON COLUMN uploads.stow_part IS 'The part''s position in the STOW-RS body, from 1.';
COMMENT ON COLUMN uploads.stow_status IS
  'PS3.18 outcome written by intake: 0 stored, else the Failure Reason (0x0111 already present in the request, 0xA900 data set does not match its SOP class, 0xC000 cannot understand). NULL while being checked, or when the upload failed as a whole (answered as 0x0110 processing failure).';
COMMENT ON COLUMN uploads.stow_sop_class IS 'SOP Class UID of the instance as intake read it (NULL when it could not be read).';
COMMENT ON COLUMN uploads.stow_sop_instance IS 'SOP Instance UID of the instance as intake read it (NULL when it could not be read).';
