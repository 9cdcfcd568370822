-- Undoing a batch deletes its source records; each delete checks the
-- foreign keys of these four tables, which had no index on the column:
-- a scan of each per deleted record made `imports undo` quadratic in the
-- batch (10,871 customers 25.8 s; 54,847 about 33 minutes).
CREATE INDEX IF NOT EXISTS customer_phones_source_record ON customer_phones(source_record_id);
CREATE INDEX IF NOT EXISTS customer_emails_source_record ON customer_emails(source_record_id);
CREATE INDEX IF NOT EXISTS contacts_source_record ON contacts(source_record_id);
CREATE INDEX IF NOT EXISTS interactions_source_record ON interactions(source_record_id);
