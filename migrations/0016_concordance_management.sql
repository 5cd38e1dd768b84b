-- Concordance from ACR management (server/core/concordance.c, truth table
-- tests/data/concordance.tsv), the reviewer's reason for a category that
-- contradicts its recommendation, the answers sealed at rest like the
-- findings, and communication tasks for significant unexpected findings.

-- New verdicts. 'management_change' was the old rules' "same category,
-- different next step": it stays valid for rows signed under those rules
-- (concordance_rules NULL) and for no new row.
ALTER TABLE reports DROP CONSTRAINT reports_concordance_check;
ALTER TABLE reports
  ADD COLUMN concordance_rules     smallint CHECK (concordance_rules IS NULL OR concordance_rules = 2),
  ADD COLUMN suspicion_change      text NOT NULL DEFAULT '' CHECK (suspicion_change IN ('', 'same', 'higher', 'lower')),
  ADD COLUMN first_read_state      text NOT NULL DEFAULT '' CHECK (first_read_state IN ('', 'unknown', 'unverified', 'verified')),
  ADD COLUMN contradiction_reason  text NOT NULL DEFAULT '' CHECK (char_length(contradiction_reason) <= 2000),
  ADD COLUMN answers_enc           bytea,
  ADD CONSTRAINT reports_concordance_check CHECK (concordance IS NULL
    OR concordance IN ('concordant', 'upgraded', 'downgraded', 'incomplete', 'no_verdict')
    OR (concordance = 'management_change' AND concordance_rules IS NULL)),
  ADD CONSTRAINT reports_new_rules_signed CHECK (status = 'draft' OR concordance_rules IS NULL
    OR (first_read_state <> '' AND concordance <> 'management_change'));

COMMENT ON COLUMN reports.concordance IS 'Verdict of the second read against the first, from ACR management (server/core/concordance.c, tests/data/concordance.tsv): concordant (same management), upgraded (moves toward tissue diagnosis or treatment), downgraded (away from it), incomplete (the second read needs more imaging), no_verdict (first read unknown, unverified or stating nothing). management_change only on rows signed before concordance_rules existed.';
COMMENT ON COLUMN reports.concordance_rules IS 'Rules the verdict was computed with: NULL = the old category-scale rules (before migration 0016), 2 = management rules.';
COMMENT ON COLUMN reports.suspicion_change IS 'With a concordant verdict, the change of suspicion level within the same management (4A → 4C: higher); '''' when not comparable.';
COMMENT ON COLUMN reports.first_read_state IS 'State of the first read when signed: unknown, unverified (only the patient''s own answer), verified (requests.verified_at set).';
COMMENT ON COLUMN reports.first_recommendation IS 'Draft: the first read''s next step as the reviewer typed it ('''' = from the verified first read or its category). Signed: the first read''s next step the verdict used.';
COMMENT ON COLUMN reports.first_birads IS 'The first read''s BI-RADS category the verdict used (verified when first_read_state = verified); '''' when unknown.';
COMMENT ON COLUMN reports.contradiction_reason IS 'The reviewer''s reason for signing a category that contradicts the recommendation (tests/data/birads_contradictions.tsv); required then.';
COMMENT ON COLUMN reports.answers_enc IS 'Answers to the patient''s questions: nonce(24) || XChaCha20-Poly1305 ciphertext under the report key, "report:<request_id>:answers" as associated data. The plaintext column answers is '''' once sealed; rows from before migration 0016 are sealed when the server starts.';

-- A signed report stays frozen, with one exception: sealing its plaintext
-- answers once (answers → '', answers_enc set, nothing else changes). The
-- content hash covers the plaintext, which opening gives back unchanged.
CREATE OR REPLACE FUNCTION reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'signed' THEN
    IF TG_OP = 'UPDATE' AND OLD.answers_enc IS NULL AND OLD.answers <> '' AND NEW.answers = ''
       AND NEW.answers_enc IS NOT NULL
       AND (to_jsonb(NEW) - 'answers' - 'answers_enc') = (to_jsonb(OLD) - 'answers' - 'answers_enc') THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'report % is signed and cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;

-- Significant unexpected findings: the second read recommends tissue
-- diagnosis or treatment and no verified first read did. Staff must record
-- that the referring physician was reached before the report is released.
CREATE TABLE communication_tasks (
  id             bigserial PRIMARY KEY,
  request_id     bigint NOT NULL UNIQUE REFERENCES requests(id),
  report_id      bigint NOT NULL REFERENCES reports(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  due_at         timestamptz NOT NULL,
  reached_whom   text CHECK (reached_whom IS NULL OR char_length(reached_whom) BETWEEN 1 AND 200),
  reached_at     timestamptz,
  reached_how    text CHECK (reached_how IS NULL OR reached_how IN ('phone', 'in_person', 'secure_message', 'fax')),
  note           text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
  logged_by      bigint REFERENCES users(id),
  logged_at      timestamptz,
  CHECK ((logged_at IS NULL AND reached_whom IS NULL AND reached_at IS NULL AND reached_how IS NULL AND logged_by IS NULL)
      OR (logged_at IS NOT NULL AND reached_whom IS NOT NULL AND reached_at IS NOT NULL AND reached_how IS NOT NULL
          AND logged_by IS NOT NULL))
);
CREATE INDEX communication_tasks_open ON communication_tasks (due_at) WHERE logged_at IS NULL;
COMMENT ON TABLE communication_tasks IS 'A significant unexpected finding (second read recommends tissue diagnosis or treatment, the verified first read did not): staff record who was reached, when and how (ACR practice parameter on communication) before the report can be released. Overdue one business day after the signature.';
COMMENT ON COLUMN communication_tasks.due_at IS 'One business day after the signature (Friday → Monday, Saturday → Monday, Sunday → Monday).';
COMMENT ON COLUMN communication_tasks.reached_whom IS 'The referring physician (or covering clinician) who was reached.';
COMMENT ON COLUMN communication_tasks.reached_at IS 'When they were reached (not when it was logged).';
