-- The first read as the center verified it from the uploaded report.
-- The patient's own answers (requests.birads, requests.biopsy_done,
-- requests.exam_date) stay as she gave them ("as you told us"); staff or the
-- assigned reviewer confirm or correct the first read here, and concordance
-- and triage use these columns once verified_at is set. Every change is an
-- audited event on the request's timeline.
ALTER TABLE requests
  ADD COLUMN verified_birads          text CHECK (verified_birads IN
                                        ('0', '1', '2', '3', '4', '4A', '4B', '4C', '5', '6', 'unknown')),
  ADD COLUMN verified_recommendation  text CHECK (verified_recommendation IN
                                        ('routine_screening', 'short_interval_followup', 'additional_imaging', 'biopsy',
                                         'surgical_consultation', 'oncology_consultation', 'unknown')),
  ADD COLUMN verified_biopsy          text CHECK (verified_biopsy IN ('none', 'benign', 'malignant', 'pending')),
  ADD COLUMN verified_biopsy_date     date,
  ADD COLUMN verified_exam_date       date,
  ADD COLUMN verified_by              bigint REFERENCES users(id),
  ADD COLUMN verified_at              timestamptz,
  ADD CONSTRAINT requests_verified_complete CHECK (verified_at IS NULL OR
    (verified_by IS NOT NULL AND verified_birads IS NOT NULL AND verified_recommendation IS NOT NULL
     AND verified_biopsy IS NOT NULL));

COMMENT ON COLUMN requests.verified_birads IS 'First read''s BI-RADS category as staff or the reviewer read it on the uploaded report (unknown when the report does not say); NULL until verified.';
COMMENT ON COLUMN requests.verified_recommendation IS 'First read''s recommended next step, verified from the report (vocabulary of reports.recommendation, or unknown).';
COMMENT ON COLUMN requests.verified_biopsy IS 'Biopsy result known to the center: none (no biopsy), benign, malignant, pending (done, result not yet known).';
COMMENT ON COLUMN requests.verified_biopsy_date IS 'Date of the biopsy when one was done (verified).';
COMMENT ON COLUMN requests.verified_exam_date IS 'Date of the first exam as written on the report (verified).';
COMMENT ON COLUMN requests.verified_by IS 'Who last confirmed or corrected the first read.';
COMMENT ON COLUMN requests.verified_at IS 'When the first read was last confirmed or corrected; NULL: only the patient''s own answers are known (unverified).';
