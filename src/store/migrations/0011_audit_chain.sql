-- A hash chain over the audit log, so that changing, forging or deleting an
-- entry behind crmwb's back is noticed by `crmwb check` (the triggers on
-- audit_log stop mistakes, not someone who can write the file).
--
-- One row per audit entry, same id. digest = SHA-256 over the entry's
-- fields, length-prefixed; chain = SHA-256(previous chain || digest), the
-- first entry chaining on 32 zero bytes. An erasure on request blanks an
-- entry's values but never its row here: the digest stays the proof of what
-- the entry was. Existing entries are sealed by the migration's Rust step
-- (store::audit::seal_unsealed).
CREATE TABLE audit_chain (
    id      INTEGER PRIMARY KEY,
    digest  BLOB NOT NULL,
    chain   BLOB NOT NULL
);

CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_chain is append-only');
END;

CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_chain is append-only');
END;
