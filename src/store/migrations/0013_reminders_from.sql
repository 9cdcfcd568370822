-- Issue 16, finding 6: the reminders horizon, visible and chosen per import.
--
-- Until now an event dated more than 30 days before its customer entered the
-- database (customers.created_at) raised no reminder, and nothing said so: a
-- migrated CRM showed a planned follow-up months in the past as not due.
-- Now each import batch records from which day its events are work
-- (`crmwb import --reminders-from DATE`); without one, every date counts:
-- a planned follow-up in the past is overdue, a monthly visit last made 45
-- days ago is overdue. Each customer carries its batch's day (NULL: every
-- date counts), so the reminder queries stay range reads on partial indexes;
-- the queries repeat these terms word for word (crate::store::followups).
--
-- Customers already in the database keep the horizon they had, now written
-- down where the Follow-ups pane and `crmwb imports` show it: 30 days before
-- they entered the database.

ALTER TABLE import_batches ADD COLUMN reminders_from TEXT;
ALTER TABLE customers ADD COLUMN reminders_from TEXT;

UPDATE customers SET reminders_from = date(substr(created_at, 1, 10), '-30 days');
UPDATE import_batches SET reminders_from = date(substr(started_at, 1, 10), '-30 days');

DROP INDEX IF EXISTS customers_next_due;
DROP INDEX IF EXISTS customers_contract_due;
DROP INDEX IF EXISTS customers_recurring_base;

CREATE INDEX customers_next_due ON customers(next_followup)
    WHERE merged_into IS NULL AND next_followup >= coalesce(reminders_from, '');

CREATE INDEX customers_contract_due ON customers(contract_expiry)
    WHERE merged_into IS NULL AND contract_expiry >= coalesce(reminders_from, '');

-- Recurring visits: the clock starts at the last follow-up (else the first
-- contact, else the day the customer entered the database), never before
-- the customer's reminders-from day.
CREATE INDEX customers_recurring_base ON customers(
    priority,
    max(coalesce(last_followup, first_contact, substr(created_at, 1, 10)), coalesce(reminders_from, ''))
) WHERE merged_into IS NULL AND priority IS NOT NULL;

-- A bulk import killed before this migration recorded the old definitions of
-- these indexes to rebuild; the new ones above replace them.
UPDATE meta SET value = json_set(value, '$.indexes', json((
    SELECT json_group_array(json(e.value)) FROM json_each(meta.value, '$.indexes') e
    WHERE json_extract(e.value, '$[0]') NOT IN
        ('customers_next_due', 'customers_contract_due', 'customers_recurring_base'))))
WHERE key = 'bulk_load';
