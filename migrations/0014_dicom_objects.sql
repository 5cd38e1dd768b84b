-- What each DICOM object is, as intake read it: the kind it counts as
-- (image, presentation state, report, ...), its frames and matrix, whether
-- its pixel data is all there, and the patient's sex as the file gives it.
-- Names, dates and descriptions in documents/studies/series are UTF-8 decoded
-- from the file's Specific Character Set since this migration; older rows keep
-- what was stored.
ALTER TABLE documents
  ADD COLUMN object_kind      text CHECK (object_kind IN ('image', 'presentation_state', 'report', 'cad_report',
                                'pdf', 'key_objects', 'rt', 'waveform', 'other')),
  ADD COLUMN frames           integer CHECK (frames IS NULL OR frames >= 0),
  ADD COLUMN pixel_rows       integer CHECK (pixel_rows IS NULL OR pixel_rows >= 0),
  ADD COLUMN pixel_columns    integer CHECK (pixel_columns IS NULL OR pixel_columns >= 0),
  ADD COLUMN pixel_incomplete boolean NOT NULL DEFAULT false,
  ADD COLUMN patient_sex      text;
COMMENT ON COLUMN documents.object_kind IS
  'DICOM object kind from the SOP class (server/dicom/sopclass.c): image only when pixel data is present. NULL for non-DICOM files.';
COMMENT ON COLUMN documents.frames IS 'Frames in the image (Number of Frames, 1 for a single-frame image, 0 without pixel data).';
COMMENT ON COLUMN documents.pixel_incomplete IS
  'Pixel data present but not all there (native: shorter than rows x columns x samples x bits x frames; encapsulated: missing fragments or cut short). Shown as "incomplete image data".';
COMMENT ON COLUMN documents.patient_sex IS 'Patient''s Sex (0010,0040) as found in this file.';
COMMENT ON COLUMN documents.patient_name IS 'Patient''s Name (0010,0010) of this file, decoded to UTF-8 (groups = and components ^ kept).';
COMMENT ON COLUMN documents.patient_birth_date IS 'Patient''s Birth Date (0010,0030) of this file, as written (YYYYMMDD, or YYYY.MM.DD in old files).';
