-- Issue 15, "cost follows the change": two indexes no query plan reads.
--
-- An import writes every new customer into each index of customers; an
-- index keyed by a random value (a name, a date) takes it at a random leaf,
-- after a bulk load a full one that splits. Appending 1,000 sales rows to a
-- database of 330,000 customers changed 12,919 pages, 2,230 of them in
-- customers_live_name and 487 in customers_next_due.
--
-- EXPLAIN QUERY PLAN of every statement on customers in src/store, with and
-- without these two, names the same index or key for each:
--
-- customers_live_name (0007) ordered live customers by name for the
-- workbench list; since 0014 the list sorts by the pinyin key and reads
-- customers_live_name_sort, and no statement filters or sorts customers by
-- `name`.
--
-- customers_next_due (0013) held the live customers whose next follow-up
-- is on or after their reminders-from day. The next-follow-up rule's query
-- repeats its terms, but the planner serves it from customers_live_next
-- (next_followup, id), the list's index, with or without an owner filter,
-- so the queue's plan does not change.
DROP INDEX IF EXISTS customers_live_name;
DROP INDEX IF EXISTS customers_next_due;
-- A bulk import killed before this migration recorded them as indexes to
-- rebuild; they are not to come back (as in 0010).
UPDATE meta SET value = json_set(value, '$.indexes', json((
    SELECT json_group_array(json(e.value)) FROM json_each(meta.value, '$.indexes') e
    WHERE json_extract(e.value, '$[0]') NOT IN ('customers_live_name', 'customers_next_due'))))
WHERE key = 'bulk_load';
