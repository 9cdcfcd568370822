-- Issue 16, finding 11: `n` warns when a new customer has the core name of
-- an existing one (store::customers::sharing_keys looks customers up by
-- `name_core`). 0010 dropped the old full index on name_core when no query
-- read it; without one every save of a new customer read the whole table
-- (a million rows). Only live customers are ever looked up.
CREATE INDEX IF NOT EXISTS customers_live_name_core ON customers(name_core) WHERE merged_into IS NULL;
