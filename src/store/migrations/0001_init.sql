-- crm-workbench schema, version 1.
-- Dates are ISO text (YYYY-MM-DD); timestamps are RFC 3339 in UTC.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    login       TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin','manager','sales','service','marketing','steward')),
    manager_id  INTEGER REFERENCES users(id),
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

-- Customer numbers are never reused: the sequence only ever grows.
CREATE TABLE number_seq (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL DEFAULT 'company' CHECK (kind IN ('company','person')),
    name             TEXT NOT NULL,
    -- The parts of a company name, for matching on the core name.
    name_region      TEXT,
    name_core        TEXT,
    name_legal       TEXT,
    name_branch      TEXT,
    industry         TEXT,
    industry_code    TEXT,
    status           TEXT,
    contact_name     TEXT,
    contact_title    TEXT,
    mobile           TEXT,
    landline         TEXT,
    email            TEXT,
    province         TEXT,
    city             TEXT,
    district         TEXT,
    address          TEXT,
    first_contact    TEXT,
    last_followup    TEXT,
    next_followup    TEXT,
    contract_expiry  TEXT,
    owner            TEXT,
    priority         TEXT,
    needs            TEXT,
    contract_no      TEXT,
    contract_signed  TEXT,
    contract_amount  TEXT,
    decision_maker   TEXT,
    source_channel   TEXT,
    notes            TEXT,
    flags            TEXT NOT NULL DEFAULT '',
    merged_into      INTEGER REFERENCES customers(id),
    batch_id         INTEGER REFERENCES import_batches(id),   -- the import that created it
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE custom_fields (
    name  TEXT PRIMARY KEY,
    type  TEXT NOT NULL CHECK (type IN ('text','identifier','date','number','phone','email'))
) WITHOUT ROWID;

CREATE TABLE custom_values (
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name         TEXT NOT NULL REFERENCES custom_fields(name),
    value        TEXT NOT NULL,
    batch_id     INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (customer_id, name)
) WITHOUT ROWID;

CREATE TABLE import_batches (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    file_path      TEXT NOT NULL DEFAULT '',  -- absolute, for resume
    options        TEXT NOT NULL DEFAULT '{}', -- JSON: how the file was read
    pid            INTEGER,                   -- the importing process, to tell a crash from a run
    encoding       TEXT NOT NULL DEFAULT 'utf-8',
    headers        TEXT NOT NULL,          -- JSON array: the header row as read
    mapping        TEXT NOT NULL,          -- JSON: column -> target
    actor          TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('running','complete','incomplete','undone')),
    rows_read      INTEGER NOT NULL DEFAULT 0,
    rows_imported  INTEGER NOT NULL DEFAULT 0,
    rows_updated   INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_warned    INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0
);

-- Every warning or rejection of an import, with where and why.
CREATE TABLE import_issues (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES import_batches(id),
    row_number  INTEGER NOT NULL,
    column_name TEXT,
    field       TEXT,           -- the target field the rule judged, if any
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('error','warning')),
    message     TEXT NOT NULL,
    raw         TEXT            -- JSON cells of a rejected row, to write it back out
);

-- The raw row exactly as read: provenance is never rewritten, only
-- superseded (the previous version goes to source_record_history).
CREATE TABLE source_records (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    source_key   TEXT NOT NULL,
    batch_id     INTEGER NOT NULL REFERENCES import_batches(id),
    row_number   INTEGER NOT NULL,
    raw          TEXT NOT NULL,            -- JSON array of the cells
    customer_id  INTEGER REFERENCES customers(id),
    created_batch_id INTEGER NOT NULL REFERENCES import_batches(id),
    created_at   TEXT NOT NULL,
    UNIQUE (source, source_key)
);

CREATE TABLE source_record_history (
    id                INTEGER PRIMARY KEY,
    source_record_id  INTEGER NOT NULL REFERENCES source_records(id),
    batch_id          INTEGER NOT NULL REFERENCES import_batches(id),
    row_number        INTEGER NOT NULL,
    raw               TEXT NOT NULL,
    customer_id       INTEGER REFERENCES customers(id),   -- the link it had
    replaced_at       TEXT NOT NULL,
    replaced_by_batch INTEGER NOT NULL REFERENCES import_batches(id)
);

-- The before-image of every customer an import changed, so the batch can
-- be undone exactly.
CREATE TABLE batch_changes (
    batch_id     INTEGER NOT NULL REFERENCES import_batches(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    before       TEXT NOT NULL,
    PRIMARY KEY (batch_id, customer_id)
) WITHOUT ROWID;

-- The mapping last used for each source, reused by the next import.
CREATE TABLE source_mappings (
    source      TEXT PRIMARY KEY,
    mapping     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE customer_phones (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    kind              TEXT NOT NULL CHECK (kind IN ('mobile','landline')),
    number            TEXT NOT NULL,
    is_primary        INTEGER NOT NULL DEFAULT 0,
    batch_id          INTEGER REFERENCES import_batches(id),
    source_record_id  INTEGER REFERENCES source_records(id)
);

CREATE TABLE customer_emails (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    email             TEXT NOT NULL,
    is_primary        INTEGER NOT NULL DEFAULT 0,
    batch_id          INTEGER REFERENCES import_batches(id),
    source_record_id  INTEGER REFERENCES source_records(id)
);

CREATE TABLE contacts (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    name              TEXT NOT NULL,
    title             TEXT,
    mobile            TEXT,
    landline          TEXT,
    email             TEXT,
    notes             TEXT,
    batch_id          INTEGER REFERENCES import_batches(id),
    source_record_id  INTEGER REFERENCES source_records(id),
    created_at        TEXT NOT NULL
);

CREATE TABLE interactions (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    contact_id        INTEGER REFERENCES contacts(id),
    at                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    summary           TEXT NOT NULL DEFAULT '',
    by_user           TEXT,
    batch_id          INTEGER REFERENCES import_batches(id),
    source_record_id  INTEGER REFERENCES source_records(id),
    created_at        TEXT NOT NULL
);

-- Append-only. The triggers below refuse UPDATE and DELETE; the one
-- sanctioned exception (erasure on request) opens erasure_guard inside its
-- own transaction.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT,
    customer_id  INTEGER,
    details      TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE erasure_guard (open INTEGER NOT NULL);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM erasure_guard)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM erasure_guard)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE INDEX customers_owner ON customers(owner);
CREATE INDEX customers_name_core ON customers(name_core);
CREATE INDEX customers_status ON customers(status);
CREATE INDEX customers_next_followup ON customers(next_followup);
CREATE INDEX customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX source_records_customer ON source_records(customer_id);
CREATE INDEX source_records_batch ON source_records(batch_id);
CREATE INDEX source_records_created_batch ON source_records(created_batch_id);
CREATE INDEX source_record_history_record ON source_record_history(source_record_id);
CREATE INDEX import_issues_batch ON import_issues(batch_id, row_number);
CREATE INDEX customer_phones_customer ON customer_phones(customer_id);
CREATE INDEX customer_phones_number ON customer_phones(number);
CREATE INDEX customer_emails_customer ON customer_emails(customer_id);
CREATE INDEX customer_emails_email ON customer_emails(email);
CREATE INDEX contacts_customer ON contacts(customer_id);
CREATE INDEX interactions_customer ON interactions(customer_id, at);
CREATE INDEX audit_log_customer ON audit_log(customer_id, id);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX customers_batch ON customers(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX customer_phones_batch ON customer_phones(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX customer_emails_batch ON customer_emails(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX contacts_batch ON contacts(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX interactions_batch ON interactions(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX source_record_history_batch ON source_record_history(replaced_by_batch);
