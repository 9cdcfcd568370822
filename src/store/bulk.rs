//! Bulk loading: the secondary indexes of the tables an import writes are
//! dropped for the load and rebuilt after it. Building an index from a
//! loaded table sorts once; keeping a dozen indexes up to date row by row
//! costs several random B-tree descents per row, which made a large import
//! several times slower.
//!
//! Safety rests on three points:
//! - Only plain secondary indexes go: UNIQUE indexes and primary keys stay,
//!   so every constraint is checked during the load exactly as before.
//!   Indexes are access paths only; readers in other processes keep seeing
//!   correct, committed data, their look-ups on the dropped indexes are just
//!   slower (scans) until the rebuild.
//! - The drop and the record of what was dropped (its `CREATE` statement, in
//!   `meta`) commit in one transaction, and each rebuilt index leaves the
//!   record in the same transaction that creates it. A process killed at
//!   any point leaves a record naming exactly the missing indexes.
//! - The record names the loading process. Whoever opens the database after
//!   that process is gone rebuilds the indexes (`restore_if_orphaned`).
//!
//! Each index is rebuilt in its own transaction, so other writers wait for
//! one index build at a time (about a second per index at a million rows
//! on the benchmark machine), never for the whole rebuild.

use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

/// The `meta` key of the record of a bulk load in progress.
pub const META_KEY: &str = "bulk_load";

/// The tables an import writes row by row.
const IMPORT_TABLES: &[&str] =
    &["customers", "source_records", "customer_phones", "customer_emails", "contacts", "interactions", "import_issues"];

/// Leading index columns whose values an import writes in ascending order
/// (row ids, ids of the new batch and of the customers it creates) or from a handful
/// of values (status, owner), or never for a new row (`merged_into`): such
/// an index only ever grows at a few hot leaf pages, so it is cheaper to
/// keep up to date than to rebuild. Every other plain index of the import
/// tables (name, phone number, e-mail, dates, and any added later) takes
/// each new row at a random place and is dropped for the load.
const KEPT_LEADING_COLUMNS: &[&str] =
    &["id", "batch_id", "created_batch_id", "customer_id", "source_record_id", "status", "owner", "merged_into"];

/// What a bulk load dropped, and who is loading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkLoad {
    /// The loading process.
    pub pid: i64,
    pub batch_id: i64,
    /// (name, CREATE statement) of every index still to rebuild.
    pub indexes: Vec<(String, String)>,
}

/// The bulk load recorded in the database, if any.
pub fn pending(conn: &Connection) -> Result<Option<BulkLoad>> {
    let text: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [META_KEY], |r| r.get(0)).optional()?;
    match text {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| Error::Other(format!("the record of an interrupted bulk import is damaged: {e}"))),
    }
}

/// Drops the secondary indexes of the import tables for batch `batch_id`,
/// recording them in the same transaction, except those of the tables in
/// `idle` (ones the import has written no row to: rebuilding their indexes
/// would sort the whole table for nothing). Returns false, dropping
/// nothing, when another bulk load is already recorded.
pub(crate) fn begin(conn: &mut Connection, batch_id: i64, idle: &[String]) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if pending(&tx)?.is_some() {
        return Ok(false);
    }
    let indexes: Vec<(String, String)> = droppable(&tx)?
        .into_iter()
        .filter(|(_, table, _)| !idle.contains(table))
        .map(|(name, _, sql)| (name, sql))
        .collect();
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    let record = BulkLoad { pid: std::process::id() as i64, batch_id, indexes };
    super::meta_set(&tx, META_KEY, &serde_json::to_string(&record)?)?;
    tx.commit()?;
    Ok(true)
}

/// The (name, table, CREATE statement) of each index `begin` drops: the
/// plain indexes of the import tables that take new rows at random places.
fn droppable(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut indexes = Vec::new();
    {
        let marks = vec!["?"; IMPORT_TABLES.len()].join(",");
        let mut stmt = conn.prepare(&format!(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ({marks}) ORDER BY tbl_name, name"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(IMPORT_TABLES), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (name, table, sql) = row?;
            // A UNIQUE index enforces a rule; it stays.
            if !sql.trim_start().to_ascii_uppercase().starts_with("CREATE UNIQUE") {
                indexes.push((name, table, sql));
            }
        }
    }
    let mut dropped = Vec::with_capacity(indexes.len());
    for (name, table, sql) in indexes {
        let leading: Option<String> = conn
            .query_row("SELECT name FROM pragma_index_info(?1) WHERE seqno = 0", [&name], |r| r.get(0))
            .optional()?;
        if leading.is_some_and(|c| KEPT_LEADING_COLUMNS.contains(&c.as_str()))
            || holds_few_rows(conn, &name, &table, &sql)?
        {
            continue;
        }
        dropped.push((name, table, sql));
    }
    Ok(dropped)
}

/// The table of each index a bulk load would drop now, once per index: what
/// a rebuild after the load would read (`table_rows` of each).
pub(crate) fn rebuild_tables(conn: &Connection) -> Result<Vec<String>> {
    Ok(droppable(conn)?.into_iter().map(|(_, table, _)| table).collect())
}

/// About how many rows `table` holds (its highest row id: exact for the
/// import tables, whose rows are removed only by undoing their batch).
pub(crate) fn table_rows(conn: &Connection, table: &str) -> Result<i64> {
    Ok(conn.query_row(&format!("SELECT ifnull(max(rowid), 0) FROM \"{}\"", table.replace('"', "\"\"")), [], |r| {
        r.get(0)
    })?)
}

/// Where the last rebuild of this database wrote its speed, and the speed
/// assumed before one has: seconds per index entry (a row of the index's
/// table), measured on a busy 2-core machine rebuilding the indexes after
/// 30,043 sales rows were loaded in bulk onto 330,464 customers (2,934,481
/// entries in 1.38 and 1.58 s).
const BUILD_RATE_KEY: &str = "index_build_rate";
const DEFAULT_SECONDS_PER_ENTRY: f64 = 5.0e-7;
/// A rebuild of fewer entries says more about the start-up of its sorts
/// than about their speed; it is not written down.
const BUILD_RATE_MIN_ENTRIES: i64 = 100_000;

/// What rebuilding an index costs in this database, in seconds per entry:
/// as measured by the last bulk load's rebuild, else `DEFAULT_SECONDS_PER_ENTRY`.
pub(crate) fn seconds_per_entry(conn: &Connection) -> Result<f64> {
    let text: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [BUILD_RATE_KEY], |r| r.get(0)).optional()?;
    let rate = text
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| Some(v["seconds"].as_f64()? / v["entries"].as_f64()?))
        .filter(|r| r.is_finite() && *r > 0.0);
    Ok(rate.unwrap_or(DEFAULT_SECONDS_PER_ENTRY))
}

/// A partial index is kept when it holds under this share of its table's
/// rows (as the table is before the load). The follow-up queue's indexes
/// hold only what fell due after the customer was entered, none of an
/// import of past dates: keeping such an index up to date costs a test of
/// its condition per row, rebuilding it a read of the whole table (about a
/// second each at 1.3 million customers).
const FEW_ROWS_SHARE: i64 = 16;
/// Below this many rows a table says nothing yet about its indexes; the
/// partial ones are rebuilt like the rest.
const FEW_ROWS_MIN_TABLE: i64 = 10_000;

/// Whether `name`, a partial index of `table`, holds under 1/FEW_ROWS_SHARE
/// of the table's rows. Counting stops at that share, read from the index
/// itself. An index whose condition cannot be read back is not small.
fn holds_few_rows(conn: &Connection, name: &str, table: &str, sql: &str) -> Result<bool> {
    let Some(condition) = partial_condition(sql) else { return Ok(false) };
    let rows: i64 =
        conn.query_row(&format!("SELECT ifnull(max(rowid), 0) FROM \"{}\"", table.replace('"', "\"\"")), [], |r| {
            r.get(0)
        })?;
    if rows < FEW_ROWS_MIN_TABLE {
        return Ok(false);
    }
    let share = rows / FEW_ROWS_SHARE;
    let count = conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT 1 FROM \"{}\" INDEXED BY \"{}\" WHERE {condition} LIMIT ?1)",
            table.replace('"', "\"\""),
            name.replace('"', "\"\"")
        ),
        [share + 1],
        |r| r.get::<_, i64>(0),
    );
    // The planner refuses INDEXED BY when it cannot use the index for the
    // condition: then the index is rebuilt, as before.
    Ok(count.is_ok_and(|n| n <= share))
}

/// The WHERE condition of a `CREATE INDEX … ON t(…) WHERE …` statement.
fn partial_condition(sql: &str) -> Option<&str> {
    let open = sql.find('(')?;
    let mut depth = 0usize;
    let mut close = None;
    for (i, ch) in sql[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let rest = sql[close? + 1..].trim_start();
    let keyword = rest.get(..5)?;
    keyword.eq_ignore_ascii_case("WHERE").then(|| rest[5..].trim()).filter(|c| !c.is_empty())
}

/// Rebuilds every index the record names, one transaction per index, and
/// removes the record with the last one.
pub(crate) fn restore(conn: &mut Connection) -> Result<()> {
    restore_with(conn, &mut |_, _| {})
}

/// `restore`, calling `progress(rebuilt, total)` before each index and once
/// at the end: at a million rows the rebuild takes several seconds after
/// the last row is written, and a user watching a stalled bar would think
/// the import hung.
pub(crate) fn restore_with(conn: &mut Connection, progress: &mut dyn FnMut(usize, usize)) -> Result<()> {
    // A helper thread for the sorts of CREATE INDEX; the import's own
    // threads are done by now.
    // The sorts spill to temporary files, not to memory: an index over the
    // whole table is as large as the table, and under the connection's
    // `temp_store = MEMORY` the import's peak memory grew with the database
    // instead of staying within its bound. A connection of its own does the
    // rebuild, since changing `temp_store` drops the connection's temporary
    // tables (the acting user's, which every audit entry reads). An
    // in-memory database has no second connection; it is small anyway.
    if let Some(path) = conn.path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from) {
        let mut side = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        side.busy_timeout(std::time::Duration::from_secs(10))?;
        // The loading connection's page cache is of no use to the sorts:
        // it is given back first. The rebuilding connection keeps SQLite's
        // default cache, since the sorter holds up to a cache's worth of
        // rows in memory before it writes a sorted run to a file, and a
        // larger cache only held more of them (at 1.3M customers, 64 MiB
        // gave a peak of 260 MB and 17 s, the default 115 MB and 12 s).
        conn.execute_batch("PRAGMA shrink_memory")?;
        side.execute_batch("PRAGMA threads = 1; PRAGMA temp_store = FILE")?;
        return restore_each(&mut side, progress);
    }
    conn.execute_batch("PRAGMA threads = 1")?;
    let restored = restore_each(conn, progress);
    conn.execute_batch("PRAGMA threads = 0")?;
    restored
}

fn restore_each(conn: &mut Connection, progress: &mut dyn FnMut(usize, usize)) -> Result<()> {
    let mut total = None;
    // The entries built and the seconds it took, for `seconds_per_entry`.
    let (mut entries, mut seconds) = (0i64, 0f64);
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut record) = pending(&tx)? else { return Ok(()) };
        let left = record.indexes.len();
        let total = *total.get_or_insert(left);
        if total > 0 {
            progress(total - left.min(total), total);
        }
        match record.indexes.pop() {
            Some((name, sql)) => {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1)",
                    [&name],
                    |r| r.get(0),
                )?;
                if !exists {
                    let started = std::time::Instant::now();
                    tx.execute_batch(&sql)?;
                    seconds += started.elapsed().as_secs_f64();
                    let table: String = tx.query_row(
                        "SELECT tbl_name FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                        [&name],
                        |r| r.get(0),
                    )?;
                    entries += table_rows(&tx, &table)?;
                }
                super::meta_set(&tx, META_KEY, &serde_json::to_string(&record)?)?;
            }
            None => {
                tx.execute("DELETE FROM meta WHERE key = ?1", params![META_KEY])?;
                if entries >= BUILD_RATE_MIN_ENTRIES {
                    let rate = serde_json::json!({ "entries": entries, "seconds": seconds });
                    super::meta_set(&tx, BUILD_RATE_KEY, &rate.to_string())?;
                }
            }
        }
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn index_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn drops_only_plain_indexes_of_import_tables_and_restores_them() {
        let mut s = Store::open_in_memory().unwrap();
        let before = index_names(s.conn());
        assert!(begin(s.conn_mut(), 7, &[]).unwrap());
        let during = index_names(s.conn());
        // Unique and primary-key indexes stay, and tables the import does
        // not write keep theirs.
        assert!(during.iter().any(|n| n.starts_with("sqlite_autoindex_customers")), "{during:?}");
        assert!(during.iter().any(|n| n.starts_with("sqlite_autoindex_source_records")), "{during:?}");
        assert!(during.contains(&"audit_log_actor".to_string()));
        assert!(!during.contains(&"customers_live_name_sort".to_string()));
        assert!(!during.contains(&"customer_phones_number".to_string()));
        assert!(!during.contains(&"customer_emails_email".to_string()));
        // Indexes that grow at their end (ids ascending) are kept.
        assert!(during.contains(&"customer_phones_customer".to_string()));
        assert!(during.contains(&"customers_batch".to_string()));
        assert!(during.contains(&"customers_live_id".to_string()));
        let record = pending(s.conn()).unwrap().unwrap();
        assert_eq!(record.batch_id, 7);
        assert_eq!(record.pid, std::process::id() as i64);
        assert_eq!(record.indexes.len(), before.len() - during.len());
        // A second bulk load waits for the first.
        assert!(!begin(s.conn_mut(), 8, &[]).unwrap());

        restore(s.conn_mut()).unwrap();
        assert_eq!(index_names(s.conn()), before);

        assert_eq!(pending(s.conn()).unwrap(), None);
        // A partial index comes back with its condition.
        s.conn().execute_batch("CREATE INDEX contacts_title ON contacts(title) WHERE title IS NOT NULL").unwrap();
        assert!(begin(s.conn_mut(), 9, &[]).unwrap());
        assert!(pending(s.conn()).unwrap().unwrap().indexes.iter().any(|(n, _)| n == "contacts_title"));
        restore(s.conn_mut()).unwrap();
        let sql: String = s
            .conn()
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'contacts_title'", [], |r| r.get(0))
            .unwrap();
        assert!(sql.contains("WHERE title IS NOT NULL"), "{sql}");
    }

    /// An import that writes no e-mail leaves the e-mail table as it was:
    /// a bulk load keeps its indexes rather than sorting it again.
    #[test]
    fn the_indexes_of_an_idle_table_stay_for_the_load() {
        let mut s = Store::open_in_memory().unwrap();
        let emails: Vec<String> =
            index_names(s.conn()).into_iter().filter(|n| n.starts_with("customer_emails_")).collect();
        assert!(!emails.is_empty(), "the e-mail table has plain indexes to keep");
        assert!(begin(s.conn_mut(), 7, &["customer_emails".to_string()]).unwrap());
        let during = index_names(s.conn());
        for n in &emails {
            assert!(during.contains(n), "{n} was dropped: {during:?}");
        }
        assert!(!during.contains(&"customer_phones_number".to_string()), "a busy table's index still goes");
        let record = pending(s.conn()).unwrap().unwrap();
        assert!(record.indexes.iter().all(|(n, _)| !emails.contains(n)), "nothing of the idle table is recorded");
    }

    #[test]
    fn reads_the_condition_of_a_partial_index() {
        assert_eq!(partial_condition("CREATE INDEX a ON t(x)"), None);
        assert_eq!(partial_condition("CREATE INDEX a ON t(x) WHERE x IS NOT NULL"), Some("x IS NOT NULL"));
        assert_eq!(
            partial_condition(
                "CREATE INDEX r ON c(\n    p,\n    max(coalesce(l, f, ''), substr(c, 1, 10))\n) where m IS NULL AND p IS NOT NULL"
            ),
            Some("m IS NULL AND p IS NOT NULL")
        );
        assert_eq!(partial_condition("CREATE INDEX a ON t(x) WHERE"), None);
    }

    #[test]
    fn a_partial_index_of_few_rows_stays_for_the_load() {
        let mut s = Store::open_in_memory().unwrap();
        // 20,000 customers of past contract dates, imported as history
        // (before their reminders-from day): the renewal queue's index is
        // empty, the live-name index is full.
        s.conn()
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO customers (number, name, name_sort, contract_expiry, created_at, updated_at, reminders_from)
                 SELECT 'C' || i, 'name ' || i, 'name ' || i, '2024-01-01', '2026-01-01T00:00:00Z',
                     '2026-01-01T00:00:00Z', '2025-12-02' FROM n",
            )
            .unwrap();
        assert!(begin(s.conn_mut(), 1, &[]).unwrap());
        let during = index_names(s.conn());
        assert!(during.contains(&"customers_contract_due".to_string()), "{during:?}");
        assert!(!during.contains(&"customers_live_name_sort".to_string()), "{during:?}");
        restore(s.conn_mut()).unwrap();
        // Once most customers are due, the index is rebuilt like the others.
        s.conn().execute_batch("UPDATE customers SET contract_expiry = '2027-01-01'").unwrap();
        assert!(begin(s.conn_mut(), 2, &[]).unwrap());
        assert!(!index_names(s.conn()).contains(&"customers_contract_due".to_string()));
        restore(s.conn_mut()).unwrap();
    }

    #[test]
    fn a_restore_cut_short_finishes_later() {
        let mut s = Store::open_in_memory().unwrap();
        let before = index_names(s.conn());
        assert!(begin(s.conn_mut(), 1, &[]).unwrap());
        // As if killed after rebuilding one index: the record names the rest.
        let mut record = pending(s.conn()).unwrap().unwrap();
        let (_, sql) = record.indexes.pop().unwrap();
        s.conn().execute_batch(&sql).unwrap();
        crate::store::meta_set(s.conn(), META_KEY, &serde_json::to_string(&record).unwrap()).unwrap();
        restore(s.conn_mut()).unwrap();
        assert_eq!(index_names(s.conn()), before);
        assert_eq!(pending(s.conn()).unwrap(), None);
    }
}
