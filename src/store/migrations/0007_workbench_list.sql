-- The workbench's customer list: the ids of the live (not absorbed)
-- customers in each sort order, read from an index alone. Without these a
-- million-customer list is a scan of the whole customers table (seconds);
-- with them it is a scan of a narrow index.
CREATE INDEX customers_live_id ON customers(id) WHERE merged_into IS NULL;
CREATE INDEX customers_live_name ON customers(name, id) WHERE merged_into IS NULL;
CREATE INDEX customers_live_status ON customers(status, id) WHERE merged_into IS NULL;
CREATE INDEX customers_live_owner ON customers(owner, id) WHERE merged_into IS NULL;
CREATE INDEX customers_live_next ON customers(next_followup, id) WHERE merged_into IS NULL;
