-- DICOMweb (issue 14 item 1): what QIDO-RS searches and WADO-RS metadata answer is read
-- from the database, never from the files on an HTTP thread. Intake stores each DICOM
-- file's attributes (PS3.18 Annex F JSON, as server/dicom/dicomweb.c dw_instance_json
-- writes them) and where its Pixel Data starts, keyed by the stored file: a third-opinion
-- request's copied documents name the same file and so share the row. Files taken in
-- before this migration are indexed by background jobs queued here.
CREATE TABLE dicom_attrs (
  file_id        bytea PRIMARY KEY CHECK (octet_length(file_id) = 16),
  attrs          jsonb NOT NULL,
  pixel_offset   bigint CHECK (pixel_offset IS NULL OR pixel_offset >= 0),
  pixel_length   bigint CHECK (pixel_length IS NULL OR pixel_length >= 0),
  encapsulated   boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dicom_attrs IS
  'DICOM attributes of a stored DICOM file (documents.file_id) for DICOMweb: searched by QIDO-RS and answered by '
  'WADO-RS metadata. Deleted with the last document that names the file (trigger documents_dicom_attrs_gone).';
COMMENT ON COLUMN dicom_attrs.attrs IS
  'The file''s attributes in the DICOM JSON model (PS3.18 Annex F): keys are 8 upper-case hex tags, text decoded to UTF-8.';
COMMENT ON COLUMN dicom_attrs.pixel_offset IS
  'File offset of the top-level Pixel Data value (after its element header); NULL when unknown (no pixel data, a deflated data set).';
COMMENT ON COLUMN dicom_attrs.pixel_length IS
  'Length of the Pixel Data value as stored; NULL for encapsulated (undefined length) data.';
COMMENT ON COLUMN dicom_attrs.encapsulated IS 'Pixel Data is encapsulated (compressed frames in fragments).';

CREATE FUNCTION documents_dicom_attrs_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.file_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM documents WHERE file_id = OLD.file_id) THEN
    DELETE FROM dicom_attrs WHERE file_id = OLD.file_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER documents_dicom_attrs_gone AFTER DELETE ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_dicom_attrs_gone();

-- lookups by UID across the requests an actor may see
CREATE INDEX studies_study_uid ON studies (study_uid);
CREATE INDEX series_series_uid ON series (series_uid);
CREATE INDEX documents_sop_uid ON documents (sop_instance_uid) WHERE sop_instance_uid IS NOT NULL;
CREATE INDEX dicom_attrs_accession ON dicom_attrs ((attrs #>> '{00080050,Value,0}'));
CREATE INDEX dicom_attrs_patient_id ON dicom_attrs ((attrs #>> '{00100020,Value,0}'));

-- backfill: one job per stored DICOM file that has no row yet (server/core/dicomweb.c)
INSERT INTO jobs (kind, payload, patient_id, max_attempts)
SELECT 'dicomweb_index', min(d.id)::text, min(r.patient_id), 3
  FROM documents d JOIN requests r ON r.id = d.request_id
 WHERE d.file_id IS NOT NULL AND NOT d.skipped AND d.sop_instance_uid IS NOT NULL
 GROUP BY d.file_id;
