-- Issue 15, finding 3: `imports undo` commits in chunks and can be resumed.
--
-- A row here says its batch is part-way through an undo (the batch shows
-- as 'undoing'): the step of the undo reached and the cursor within it, so
-- that an undo killed between chunks continues from the next one
-- (`crmwb imports undo N` again). Each chunk updates it in the transaction
-- that does the chunk's work; the last chunk deletes it and marks the batch
-- 'undone'. `pid` is the process running the undo, to tell a crash from a
-- run; `removed`/`restored` are counted once, before the first chunk, for
-- the audit entry of the last.
CREATE TABLE batch_undos (
    batch_id    INTEGER PRIMARY KEY REFERENCES import_batches(id),
    actor       TEXT NOT NULL,
    pid         INTEGER,
    started_at  TEXT NOT NULL,
    step        INTEGER NOT NULL DEFAULT 0,
    cursor      INTEGER NOT NULL DEFAULT 0,
    chunks      INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    restored    INTEGER NOT NULL DEFAULT 0
);

-- Removing a customer or a contact checks every reference to it; these had
-- no index on the referring column, so each removal scanned the table (an
-- undo of 109,236 rows into 297k customers: 565 s, then ~0.5 s per 500
-- contacts while interactions.contact_id was still scanned).
CREATE INDEX IF NOT EXISTS interactions_contact ON interactions(contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS match_rejections_b ON match_rejections(b);
CREATE INDEX IF NOT EXISTS source_moves_from ON source_moves(from_customer);
CREATE INDEX IF NOT EXISTS source_moves_to ON source_moves(to_customer);
CREATE INDEX IF NOT EXISTS batch_changes_customer ON batch_changes(customer_id);
CREATE INDEX IF NOT EXISTS source_record_history_customer ON source_record_history(customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;
