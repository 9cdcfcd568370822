-- crm-workbench schema: merges, unmerges, moves of source records, and
-- survivorship rules. Everything a merge changes is recorded here so that
-- an unmerge can put it back exactly.

-- One merge: a survivor absorbing one or more customers.
CREATE TABLE merges (
    id            INTEGER PRIMARY KEY,
    survivor_id   INTEGER NOT NULL REFERENCES customers(id),
    origin        TEXT NOT NULL CHECK (origin IN ('manual','cluster')),
    cluster_id    INTEGER,             -- the match cluster approved, for origin 'cluster'
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    -- JSON: the survivor's golden fields, name parts and flags before the merge.
    before        TEXT NOT NULL,
    -- JSON: the same, as the merge wrote them (kept current when a member is split out).
    after         TEXT NOT NULL,
    -- JSON: per field, the value chosen, from which customer, by which rule.
    choices       TEXT NOT NULL,
    -- JSON: the picks and the survivorship rules the merge ran with, to
    -- recompute the golden record when one member is split out again.
    config        TEXT NOT NULL,
    undone_at     TEXT,
    undone_by     TEXT
);

-- The absorbed customers of a merge; split_at is set when one is split out.
CREATE TABLE merge_members (
    merge_id     INTEGER NOT NULL REFERENCES merges(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    position     INTEGER NOT NULL,
    split_at     TEXT,
    split_by     TEXT,
    PRIMARY KEY (merge_id, customer_id)
) WITHOUT ROWID;

-- A move of one source record to another customer.
CREATE TABLE source_moves (
    id                INTEGER PRIMARY KEY,
    source_record_id  INTEGER NOT NULL REFERENCES source_records(id),
    from_customer     INTEGER NOT NULL REFERENCES customers(id),
    to_customer       INTEGER NOT NULL REFERENCES customers(id),
    actor             TEXT NOT NULL,
    at                TEXT NOT NULL
);

-- Every row a merge or a move re-pointed or changed, with what it was
-- before: `before` is JSON ({"primary":1}, {"contact_id":7}, a contact's
-- details before they were filled in, a custom value's absence…).
CREATE TABLE merge_rows (
    id             INTEGER PRIMARY KEY,
    merge_id       INTEGER REFERENCES merges(id),
    move_id        INTEGER REFERENCES source_moves(id),
    tbl            TEXT NOT NULL CHECK (tbl IN ('customer_phones','customer_emails','contacts','interactions',
                                                'source_records','contact_fill','custom_values')),
    row_id         INTEGER,            -- NULL for custom_values (keyed by name)
    name           TEXT,               -- custom_values: the field name
    from_customer  INTEGER NOT NULL,
    before         TEXT NOT NULL DEFAULT '{}',
    CHECK ((merge_id IS NULL) != (move_id IS NULL))
);

-- A phone, e-mail or contact of an absorbed customer identical to one the
-- survivor has: the survivor keeps one row; the duplicate stays with the
-- absorbed customer (hidden while absorbed) and counts as a source of the kept row.
CREATE TABLE merge_collapsed (
    merge_id  INTEGER NOT NULL REFERENCES merges(id),
    tbl       TEXT NOT NULL CHECK (tbl IN ('customer_phones','customer_emails','contacts')),
    kept_id   INTEGER NOT NULL,
    dup_id    INTEGER NOT NULL,
    PRIMARY KEY (tbl, dup_id, merge_id)
) WITHOUT ROWID;

-- Golden fields of a survivor set by hand (edit) after a merge: an unmerge
-- leaves them as edited.
CREATE TABLE merge_edits (
    merge_id  INTEGER NOT NULL REFERENCES merges(id),
    field     TEXT NOT NULL,
    PRIMARY KEY (merge_id, field)
) WITHOUT ROWID;

-- Survivorship rule per golden field ('*' is the default for fields not
-- listed). Absent rows mean the built-in defaults (`crmwb survivorship show`).
CREATE TABLE survivorship_rules (
    field       TEXT PRIMARY KEY,
    rule        TEXT NOT NULL CHECK (rule IN ('most_recent','most_complete','source_priority','most_frequent',
                                              'earliest','latest')),
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
) WITHOUT ROWID;

-- Sources in priority order, for the source_priority rule (rank 1 first).
CREATE TABLE survivorship_sources (
    source      TEXT PRIMARY KEY,
    rank        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX merges_survivor ON merges(survivor_id, id);
CREATE INDEX merge_members_customer ON merge_members(customer_id);
CREATE INDEX merge_rows_merge ON merge_rows(merge_id, from_customer) WHERE merge_id IS NOT NULL;
CREATE INDEX merge_rows_move ON merge_rows(move_id) WHERE move_id IS NOT NULL;
CREATE INDEX merge_collapsed_kept ON merge_collapsed(tbl, kept_id);
CREATE INDEX merge_collapsed_merge ON merge_collapsed(merge_id);
CREATE INDEX source_moves_record ON source_moves(source_record_id, id);
