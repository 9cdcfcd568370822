-- Issue 15, "cost follows the change": where an incremental run's
-- non-match pairs go.
--
-- They are most of its pairs (779,317 of 790,748 for 94,038 new customers
-- in a database of 1.75M), and nearly all of them pair a new customer (the
-- larger id, b) with an older one (a). In match_pairs_low, keyed by (a, b),
-- each went to a random leaf of a table of millions of rows: writing them
-- and committing the pages they dirtied took 4-5 s of a 16 s run (measured
-- by not writing them). Keyed by (b, a), and written in that order, a new
-- customer's pairs append: that run 20.6-21.5 s -> 19.0-19.1 s, a re-import
-- of 63,553 changed customers 20.8-21.3 s -> 15.9-18.5 s.
--
-- Same columns and the same staleness rule (match_pairs_stale) as
-- match_pairs_low; read by b, or by (a, b). A full run writes
-- match_pairs_low and empties this table.
CREATE TABLE match_pairs_low_b (
    b         INTEGER NOT NULL,
    a         INTEGER NOT NULL,
    score     REAL NOT NULL,
    keys      INTEGER NOT NULL,
    evidence  BLOB NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES match_runs(id),
    PRIMARY KEY (b, a)
) WITHOUT ROWID;
