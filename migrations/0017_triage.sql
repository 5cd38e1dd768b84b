-- Triage as a radiologist expects (issue 12, items 6 and 8).
--
-- * triage_class(): the six priority classes, the SQL mirror of
--   triage_classify() in server/core/triage.c; both are tested against the
--   same truth table (tests/data/triage_table.tsv). The store calls this
--   function, so the queue, the reviewer's worklist, the filters and the
--   index below cannot drift apart.
-- * One due date per request (requests.due_on), computed by a trigger when
--   the request is submitted and again when its clinical facts change: the
--   target of its priority class, never later than its review type's target,
--   and never later than a known upcoming treatment date minus two working
--   days (requests.due_cannot_meet when even that is already past).
-- * requests.release_first: a signed second read that moved toward tissue
--   diagnosis or treatment (concordance 'upgraded'), not yet released: it
--   goes to the top of the release queue.
-- * request_counts: requests per (status, due date), kept current by a
--   trigger in the same transaction as each change, so the queue's counts and
--   the overdue count never scan requests.
-- * pg_trgm indexes for the search by patient name or reference.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The category and biopsy result that count: the verified ones once the first
-- read was verified (verified_at set), else the patient's answers, where
-- "biopsy done" means a result still pending.
CREATE FUNCTION triage_eff_birads(p_birads text, v_at timestamptz, v_birads text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN v_at IS NULL THEN p_birads ELSE v_birads END $$;

CREATE FUNCTION triage_eff_biopsy(p_biopsy boolean, v_at timestamptz, v_biopsy text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN v_at IS NULL THEN CASE WHEN p_biopsy THEN 'pending' ELSE 'none' END
              ELSE coalesce(v_biopsy, 'none') END $$;

-- Priority class 1..6 on day `today` (see server/core/triage.h for the words).
-- With treatment and today NULL it gives the class a request has when no
-- upcoming treatment date counts (used by the index).
CREATE FUNCTION triage_class(cat text, bx text, treatment date, today date) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE
    WHEN cat = '6' OR bx = 'malignant' THEN
      CASE WHEN treatment >= today AND treatment <= today + 14 THEN 1 ELSE 2 END
    WHEN cat IN ('5', '4C') THEN 2
    WHEN bx = 'pending' THEN 3
    WHEN bx = 'benign' AND cat IN ('1', '2', '3', '4A') THEN 6
    WHEN cat IN ('4', '4A', '4B') THEN 3
    WHEN cat = '3' THEN 5
    WHEN cat IN ('1', '2') THEN 6
    ELSE 4 END $$;
COMMENT ON FUNCTION triage_class(text, text, date, date) IS
  'Triage priority class (1 most urgent .. 6) from the effective category and biopsy result (triage_eff_birads/triage_eff_biopsy), a treatment date and today. Mirror of triage_classify() in server/core/triage.c; both are tested against tests/data/triage_table.tsv.';

-- d minus n working days (Monday to Friday).
CREATE FUNCTION working_days_before(d date, n integer) RETURNS date
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  r date := d;
  k integer := 0;
BEGIN
  WHILE k < n LOOP
    r := r - 1;
    IF extract(isodow FROM r) < 6 THEN
      k := k + 1;
    END IF;
  END LOOP;
  RETURN r;
END $$;

-- Targets per priority class live with the other review targets, so the
-- admin's center settings page edits them.
ALTER TABLE review_targets DROP CONSTRAINT review_targets_review_type_check,
  ADD CONSTRAINT review_targets_review_type_check CHECK (review_type ~ '^[a-z][a-z0-9_]{0,31}$');
INSERT INTO review_targets (review_type, target_days) VALUES
  ('priority_1', 2), ('priority_2', 3), ('priority_3', 5), ('priority_4', 7), ('priority_5', 10), ('priority_6', 14)
  ON CONFLICT (review_type) DO NOTHING;
COMMENT ON TABLE review_targets IS
  'Days from submission to a released report. Rows named after a review type (reread, consult; "default" when the type has no row) and rows priority_1..priority_6 (per triage class). A request is due after the smaller of its class''s and its type''s targets, never later than two working days before a known treatment date (requests.due_on). A changed target moves the due dates of open requests (trigger review_targets_redue).';

ALTER TABLE requests
  ADD COLUMN due_on date,
  ADD COLUMN due_cannot_meet boolean NOT NULL DEFAULT false,
  ADD COLUMN release_first boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN requests.due_on IS
  'The one due date shown to the patient, staff and the reviewer: set by trigger requests_due when the request is submitted and when its clinical facts, treatment date or review type change.';
COMMENT ON COLUMN requests.due_cannot_meet IS
  'The target cannot be met before the known treatment date (two working days before it has already passed when the due date was computed).';
COMMENT ON COLUMN requests.release_first IS
  'A signed second read moved toward tissue diagnosis or treatment (reports.concordance = upgraded) and is not released yet: first in the release queue.';

CREATE FUNCTION requests_due() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cls integer;
  days integer;
  cap date;
BEGIN
  IF NEW.submitted_at IS NULL THEN
    NEW.due_on := NULL;
    NEW.due_cannot_meet := false;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.submitted_at IS NOT DISTINCT FROM OLD.submitted_at
     AND NEW.birads IS NOT DISTINCT FROM OLD.birads AND NEW.biopsy_done IS NOT DISTINCT FROM OLD.biopsy_done
     AND NEW.verified_at IS NOT DISTINCT FROM OLD.verified_at
     AND NEW.verified_birads IS NOT DISTINCT FROM OLD.verified_birads
     AND NEW.verified_biopsy IS NOT DISTINCT FROM OLD.verified_biopsy
     AND NEW.treatment_date IS NOT DISTINCT FROM OLD.treatment_date
     AND NEW.review_type IS NOT DISTINCT FROM OLD.review_type
     AND NEW.due_on IS NOT DISTINCT FROM OLD.due_on AND OLD.due_on IS NOT NULL THEN
    RETURN NEW;
  END IF;
  cls := triage_class(triage_eff_birads(NEW.birads, NEW.verified_at, NEW.verified_birads),
                      triage_eff_biopsy(NEW.biopsy_done, NEW.verified_at, NEW.verified_biopsy),
                      NEW.treatment_date, current_date);
  SELECT least(coalesce((SELECT target_days FROM review_targets WHERE review_type = 'priority_' || cls), 14),
               coalesce((SELECT target_days FROM review_targets WHERE review_type = NEW.review_type),
                        (SELECT target_days FROM review_targets WHERE review_type = 'default'), 10))
    INTO days;
  NEW.due_on := (NEW.submitted_at)::date + days;
  NEW.due_cannot_meet := false;
  IF NEW.treatment_date IS NOT NULL AND NEW.treatment_date >= current_date THEN
    cap := working_days_before(NEW.treatment_date, 2);
    IF NEW.due_on > cap THEN
      NEW.due_on := cap;
    END IF;
    NEW.due_cannot_meet := cap < current_date;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER requests_due BEFORE INSERT OR UPDATE ON requests
  FOR EACH ROW EXECUTE FUNCTION requests_due();
UPDATE requests SET due_on = NULL WHERE submitted_at IS NOT NULL; -- the trigger computes each (as of today)

-- A changed target moves the due dates of the open requests (computed again as of today).
CREATE FUNCTION review_targets_redue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM changed_targets) THEN
    RETURN NULL; -- the statement changed no target
  END IF;
  UPDATE requests SET due_on = NULL
   WHERE status IN ('submitted', 'triage', 'needs_info', 'accepted', 'scheduled', 'in_review');
  RETURN NULL;
END $$;
CREATE TRIGGER review_targets_redue AFTER UPDATE ON review_targets
  REFERENCING NEW TABLE AS changed_targets FOR EACH STATEMENT EXECUTE FUNCTION review_targets_redue();

-- The release-queue mark follows the signed report and its release.
CREATE FUNCTION reports_release_first() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'signed' AND NEW.concordance = 'upgraded'
     AND NOT EXISTS (SELECT 1 FROM report_releases rr WHERE rr.report_id = NEW.id) THEN
    UPDATE requests SET release_first = true WHERE id = NEW.request_id AND NOT release_first;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reports_release_first AFTER INSERT OR UPDATE ON reports
  FOR EACH ROW EXECUTE FUNCTION reports_release_first();
CREATE FUNCTION report_releases_clear_first() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE requests SET release_first = false
   WHERE release_first AND id = (SELECT request_id FROM reports WHERE id = NEW.report_id);
  RETURN NULL;
END $$;
CREATE TRIGGER report_releases_clear_first AFTER INSERT ON report_releases
  FOR EACH ROW EXECUTE FUNCTION report_releases_clear_first();
UPDATE requests r SET release_first = true FROM reports rp
 WHERE rp.request_id = r.id AND rp.status = 'signed' AND rp.concordance = 'upgraded'
   AND NOT EXISTS (SELECT 1 FROM report_releases rr WHERE rr.report_id = rp.id);

-- Counts per status and due date, kept by trigger.
CREATE TABLE request_counts (
  status  text NOT NULL,
  due_on  date NOT NULL,
  n       bigint NOT NULL,
  PRIMARY KEY (status, due_on)
);
COMMENT ON TABLE request_counts IS
  'Number of requests per status and due date (infinity: no due date), kept current by trigger requests_count in the same transaction as every insert, status change, due-date change and delete. The queue''s counts and the overdue count read this, never requests.';
CREATE FUNCTION requests_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF TG_OP = 'UPDATE' AND NEW.status = OLD.status AND NEW.due_on IS NOT DISTINCT FROM OLD.due_on THEN
      RETURN NULL;
    END IF;
    UPDATE request_counts SET n = n - 1 WHERE status = OLD.status AND due_on = coalesce(OLD.due_on, 'infinity');
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO request_counts (status, due_on, n) VALUES (NEW.status, coalesce(NEW.due_on, 'infinity'), 1)
      ON CONFLICT (status, due_on) DO UPDATE SET n = request_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER requests_count AFTER INSERT OR UPDATE OR DELETE ON requests
  FOR EACH ROW EXECUTE FUNCTION requests_count();
INSERT INTO request_counts (status, due_on, n)
  SELECT status, coalesce(due_on, 'infinity'), count(*) FROM requests GROUP BY 1, 2;

-- The queue order, stored so that one index serves it: the class and the
-- upcoming treatment date as of triage_day, computed by trigger
-- requests_triage from triage_class() on every insert and update. Only a
-- request with a treatment date can change class or order as days pass; the
-- store refreshes those whose triage_day is before today (indexed, once a day
-- each) before it reads the queue.
ALTER TABLE requests
  ADD COLUMN triage_class smallint,
  ADD COLUMN triage_upcoming date,
  ADD COLUMN triage_day date;
COMMENT ON COLUMN requests.triage_class IS
  'Triage priority class 1..6 as of triage_day: triage_class() over the verified first read, else the patient''s answers (trigger requests_triage).';
COMMENT ON COLUMN requests.triage_upcoming IS 'The treatment date when it was today or later on triage_day; NULL otherwise (a past date does not raise priority).';
COMMENT ON COLUMN requests.triage_day IS 'The day triage_class and triage_upcoming were computed.';
CREATE FUNCTION requests_triage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.triage_day := current_date;
  NEW.triage_class := triage_class(triage_eff_birads(NEW.birads, NEW.verified_at, NEW.verified_birads),
                                   triage_eff_biopsy(NEW.biopsy_done, NEW.verified_at, NEW.verified_biopsy),
                                   NEW.treatment_date, current_date);
  NEW.triage_upcoming := CASE WHEN NEW.treatment_date >= current_date THEN NEW.treatment_date END;
  RETURN NEW;
END $$;
CREATE TRIGGER requests_triage BEFORE INSERT OR UPDATE ON requests
  FOR EACH ROW EXECUTE FUNCTION requests_triage();
UPDATE requests SET triage_day = current_date;

DROP INDEX IF EXISTS requests_triage_order;
CREATE INDEX requests_triage_order ON requests (
  (NOT (status = 'report_ready' AND release_first)), triage_class, triage_upcoming, submitted_at, id)
  INCLUDE (status, due_on, release_first, assigned_specialist_id, specialist_id, biopsy_done, plan_needs_referral) WHERE status <> 'draft';
-- The same order within one class (the queue's priority filter).
CREATE INDEX requests_triage_class ON requests (
  triage_class, (NOT (status = 'report_ready' AND release_first)), triage_upcoming, submitted_at, id)
  INCLUDE (status, due_on, release_first, assigned_specialist_id, specialist_id, biopsy_done, plan_needs_referral) WHERE status <> 'draft';
CREATE INDEX requests_triage_stale ON requests (triage_day) WHERE treatment_date IS NOT NULL;
CREATE INDEX requests_due_open ON requests (due_on)
  WHERE status IN ('submitted', 'triage', 'needs_info', 'accepted', 'scheduled', 'in_review');
CREATE INDEX requests_reference_trgm ON requests USING gin (reference gin_trgm_ops);
CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
