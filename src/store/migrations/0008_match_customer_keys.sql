-- The blocking-key hashes of each customer, one row per customer, so that
-- an incremental run can forget a changed customer's keys without an index
-- over every (key, customer) row of match_keys: building that index after
-- a full run's bulk write took most of a million-customer match.
DROP INDEX IF EXISTS match_keys_customer;
CREATE TABLE match_customer_keys (
    customer_id  INTEGER PRIMARY KEY,
    hashes       BLOB NOT NULL      -- its match_keys hashes, 8 bytes little-endian each
);
-- Keys stored before this table existed have no owner row: the next match
-- run is a full one (see the matching service), which writes both.
