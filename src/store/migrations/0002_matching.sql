-- Duplicate detection: runs with their learned model, every candidate pair
-- with its evidence, blocking keys kept between runs (incremental matching
-- and term frequencies), review clusters, decisions and rejections.

CREATE TABLE match_runs (
    id            INTEGER PRIMARY KEY,
    mode          TEXT NOT NULL CHECK (mode IN ('full','incremental')),
    actor         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    config        TEXT NOT NULL,   -- TOML-equivalent JSON of the configuration used
    model         TEXT NOT NULL,   -- JSON: comparisons, levels, m, u, weights, prior, passes
    stats         TEXT NOT NULL,   -- JSON: counts per blocking key, bands, clusters, timings
    -- High-water marks: what the run had seen, so the next run compares
    -- only customers created or changed after it.
    hw_customer   INTEGER NOT NULL,
    hw_batch      INTEGER NOT NULL,
    hw_audit      INTEGER NOT NULL
);

-- Every pair blocking produced, with a < b (customer ids). evidence holds,
-- per comparison of the run's model, the level (1 byte) and the weight in
-- centibits (2 bytes, little-endian, signed).
CREATE TABLE match_pairs (
    a         INTEGER NOT NULL,
    b         INTEGER NOT NULL,
    score     REAL NOT NULL,       -- log2 odds, prior included
    prob      REAL NOT NULL,
    band      TEXT NOT NULL CHECK (band IN ('match','review','non-match')),
    keys      INTEGER NOT NULL,    -- bit i: produced by blocking key i of the run's model
    evidence  BLOB NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES match_runs(id),
    PRIMARY KEY (a, b)
) WITHOUT ROWID;

-- Blocking keys and counted values (hashes) of every customer at its last run.
CREATE TABLE match_keys (
    h            INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL,
    PRIMARY KEY (h, customer_id)
) WITHOUT ROWID;

-- A cluster is a snapshot: when its members or their scores change it is
-- superseded by a new cluster, so an approval of what was shown can be
-- refused when it is no longer what is there.
CREATE TABLE match_clusters (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES match_runs(id),
    signature   TEXT NOT NULL,     -- members, their versions and pair scores, hashed
    score       REAL NOT NULL,     -- probability of the weakest joining pair
    size        INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open','approved','rejected','superseded')),
    skipped_at  TEXT,              -- set by `review skip`: still open, shown last
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT
);

CREATE TABLE match_cluster_members (
    cluster_id   INTEGER NOT NULL REFERENCES match_clusters(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    version      INTEGER NOT NULL,  -- the customer's version when the cluster was built
    PRIMARY KEY (cluster_id, customer_id)
) WITHOUT ROWID;

-- "Not a duplicate", per pair of customers (a < b as recorded); ids are
-- resolved through merged_into when read, so a rejection survives merges.
CREATE TABLE match_rejections (
    a           INTEGER NOT NULL REFERENCES customers(id),
    b           INTEGER NOT NULL REFERENCES customers(id),
    cluster_id  INTEGER REFERENCES match_clusters(id),
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;

CREATE INDEX match_clusters_state ON match_clusters(state, score);
CREATE INDEX match_cluster_members_customer ON match_cluster_members(customer_id);
CREATE INDEX match_keys_customer ON match_keys(customer_id);
CREATE INDEX match_pairs_b ON match_pairs(b);
