-- Issue 15, finding 2: blank rows are passed over, counted as blank and
-- not as rejected. The import printed the count; now the batch keeps it,
-- so `crmwb imports show` and the Import pane say what the file held long
-- after the import (a sheet whose dimension claims a million rows shows
-- them here, not as rejected source records). Batches imported before
-- this migration did not count them: 0.
ALTER TABLE import_batches ADD COLUMN rows_blank INTEGER NOT NULL DEFAULT 0;
