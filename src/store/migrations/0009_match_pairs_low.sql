-- Non-match candidate pairs kept apart from the review and match bands.
-- They are most of the pairs (six in seven at a million customers) and are
-- read by pair (a, b) or by a only, so they carry no index on b: building
-- that index after a full run's bulk write took as long as writing them.
-- Same columns as match_pairs less the derived ones (band is 'non-match',
-- prob follows from score).
CREATE TABLE match_pairs_low (
    a         INTEGER NOT NULL,
    b         INTEGER NOT NULL,
    score     REAL NOT NULL,       -- log2 odds, prior included
    keys      INTEGER NOT NULL,
    evidence  BLOB NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES match_runs(id),
    PRIMARY KEY (a, b)
) WITHOUT ROWID;

-- Customers an incremental run compared again. Their non-match pairs are
-- found by a alone, so those stored under another customer (b = this one)
-- cannot be deleted cheaply: a row of match_pairs_low written before
-- run_id that names this customer is stale and is not read. A full run
-- empties both tables.
CREATE TABLE match_pairs_stale (
    customer_id  INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL
);
