-- The image viewer (issue 13): the pages say "For review only: diagnostic
-- reading of mammograms needs an FDA-cleared display." unless the center turns
-- that notice off in /admin/center (a center whose reviewers read on cleared
-- displays elsewhere may not want it). One row, changed only by an admin.
CREATE TABLE center_display (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  viewer_notice boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE center_display IS
  'Center-wide display settings (one row). viewer_notice: the image viewer shows the "for review only, diagnostic '
  'reading needs an FDA-cleared display" notice; turned off by an admin in /admin/center.';
INSERT INTO center_display DEFAULT VALUES;
