-- Indexes no query reads, each costing every import and every edit an index
-- write per row, and a bulk import a rebuild (over a second per index at a
-- million customers).
--
-- Three of 0001 are shadowed by the partial "live" indexes of 0007: every
-- query that filters or sorts customers by owner, status or next follow-up
-- also says `merged_into IS NULL` and is served by customers_live_owner /
-- customers_live_status / customers_live_next (or the follow-up queue's
-- customers_next_due). The one query that also wants merged customers by
-- owner (an audit view scoped to a team) reads the live ones through
-- customers_live_owner and the merged ones through customers_merged_into.
DROP INDEX IF EXISTS customers_owner;
DROP INDEX IF EXISTS customers_status;
DROP INDEX IF EXISTS customers_next_followup;
-- Duplicate detection reads every customer into memory and blocks there; no
-- query looks a customer up by its core name.
DROP INDEX IF EXISTS customers_name_core;
-- A bulk import killed before this migration recorded the indexes it had
-- dropped, to be rebuilt by the next opener; these four are not to come back.
-- (json() around the subquery: a subquery's result is text to json_set.)
UPDATE meta SET value = json_set(value, '$.indexes', json((
    SELECT json_group_array(json(e.value)) FROM json_each(meta.value, '$.indexes') e
    WHERE json_extract(e.value, '$[0]') NOT IN
        ('customers_owner', 'customers_status', 'customers_next_followup', 'customers_name_core'))))
WHERE key = 'bulk_load';
