-- Issue 16, finding 9: the workbench list sorts names by pinyin.
--
-- Names sorted by code point put 上海… first and 安徽… somewhere in the
-- middle. `name_sort` holds each name's pinyin sort key
-- (crate::clean::text::name_sort_key), written with the name wherever a
-- name is written (crate::store::customers); the rows already here are
-- filled in Rust in the same transaction as this migration
-- (customers::fill_name_sort). The list reads it in the order of this index,
-- so a million customers sort as fast as they did by code point.
--
-- Statuses sort by the lifecycle (潜在客户 → 意向客户 → 成交客户 → 流失客户),
-- each status one range of customers_live_status: no new index.

ALTER TABLE customers ADD COLUMN name_sort TEXT;

CREATE INDEX customers_live_name_sort ON customers(name_sort, id) WHERE merged_into IS NULL;
