-- crm-workbench schema: follow-ups (reminder rules, reminder states) and the
-- indexes that let the reminder list read a million customers by range.
--
-- History horizon: an event dated more than 30 days before its customer
-- entered the database (customers.created_at) is history, not work: a bulk
-- import of 2021–2023 sheets must not raise a reminder for every follow-up
-- date in them. The partial indexes below bake that horizon in, and the
-- reminder queries repeat their WHERE terms word for word so SQLite can use
-- them (crate::store::followups::HISTORY_TERM_*).

-- The reminder rules everyone sees. Empty means the built-in defaults
-- (crate::domain::reminder::default_rules); `crmwb rules set` replaces the
-- whole set at once.
CREATE TABLE reminder_rules (
    id           TEXT PRIMARY KEY,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL
                 CHECK (kind IN ('first_followup','recurring','quote_escalation','contract_renewal','next_followup')),
    enabled      INTEGER NOT NULL DEFAULT 1,
    description  TEXT NOT NULL DEFAULT '',
    params       TEXT NOT NULL DEFAULT '{}',   -- JSON: the kind's parameters
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL
) WITHOUT ROWID;

-- What people did with one occurrence of a reminder. An occurrence is the
-- customer, the rule and the due date the rule computed: a completed
-- reminder stays hidden until its rule fires anew (a new due date).
CREATE TABLE reminder_states (
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    rule_id      TEXT NOT NULL,
    due          TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('done','snoozed')),
    until        TEXT,             -- snoozed: shown again from this date
    note         TEXT,
    by_user      TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (customer_id, rule_id, due)
) WITHOUT ROWID;

CREATE INDEX customers_first_contact ON customers(first_contact)
    WHERE merged_into IS NULL AND first_contact IS NOT NULL;

CREATE INDEX customers_next_due ON customers(next_followup)
    WHERE merged_into IS NULL AND next_followup >= date(substr(created_at, 1, 10), '-30 days');

CREATE INDEX customers_contract_due ON customers(contract_expiry)
    WHERE merged_into IS NULL AND contract_expiry >= date(substr(created_at, 1, 10), '-30 days');

-- Recurring visits: the day the clock last started, which is the last
-- follow-up (else the first contact), never before the customer entered
-- the database.
CREATE INDEX customers_recurring_base ON customers(
    priority,
    max(coalesce(last_followup, first_contact, ''), substr(created_at, 1, 10))
) WHERE merged_into IS NULL AND priority IS NOT NULL;

CREATE INDEX interactions_kind_at ON interactions(kind, at);
