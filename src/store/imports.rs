//! Import batches, their logs, and the raw source records.

use crate::domain::{BatchStatus, ImportBatch, SourceRecord};
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The outcome counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchCounts {
    pub read: i64,
    pub imported: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub warned: i64,
    pub rejected: i64,
}

pub struct NewSourceRecord<'a> {
    pub source: &'a str,
    pub source_key: &'a str,
    pub batch_id: i64,
    pub row_number: i64,
    pub raw_json: &'a str,
    pub customer_id: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn create_batch(
    conn: &Connection,
    source: &str,
    file_name: &str,
    encoding: &str,
    headers_json: &str,
    mapping_json: &str,
    actor: &str,
    now: &str,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO import_batches (source, file_name, encoding, headers, mapping, actor, started_at, status) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,'running')",
        params![source, file_name, encoding, headers_json, mapping_json, actor, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn update_batch(
    conn: &Connection,
    id: i64,
    counts: &BatchCounts,
    status: BatchStatus,
    finished_at: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE import_batches SET rows_read=?2, rows_imported=?3, rows_updated=?4, rows_unchanged=?5, \
         rows_warned=?6, rows_rejected=?7, status=?8, finished_at=?9 WHERE id=?1",
        params![
            id,
            counts.read,
            counts.imported,
            counts.updated,
            counts.unchanged,
            counts.warned,
            counts.rejected,
            status.as_str(),
            finished_at
        ],
    )?;
    Ok(())
}

pub(crate) fn log_issue(
    conn: &Connection,
    batch_id: i64,
    row_number: i64,
    column: Option<&str>,
    rule: &str,
    severity: &str,
    message: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO import_issues (batch_id, row_number, column_name, rule, severity, message) VALUES (?1,?2,?3,?4,?5,?6)",
    )?
    .execute(params![batch_id, row_number, column, rule, severity, message])?;
    Ok(())
}

fn row_to_batch(r: &Row<'_>) -> rusqlite::Result<ImportBatch> {
    Ok(ImportBatch {
        id: r.get(0)?,
        source: r.get(1)?,
        file_name: r.get(2)?,
        actor: r.get(3)?,
        started_at: r.get(4)?,
        finished_at: r.get(5)?,
        status: BatchStatus::parse(&r.get::<_, String>(6)?).unwrap_or(BatchStatus::Incomplete),
        rows_read: r.get(7)?,
        rows_imported: r.get(8)?,
        rows_updated: r.get(9)?,
        rows_unchanged: r.get(10)?,
        rows_warned: r.get(11)?,
        rows_rejected: r.get(12)?,
    })
}

const BATCH_COLUMNS: &str = "id, source, file_name, actor, started_at, finished_at, status, rows_read, \
    rows_imported, rows_updated, rows_unchanged, rows_warned, rows_rejected";

pub fn list_batches(conn: &Connection) -> Result<Vec<ImportBatch>> {
    let mut stmt = conn.prepare(&format!("SELECT {BATCH_COLUMNS} FROM import_batches ORDER BY id DESC"))?;
    let rows = stmt.query_map([], row_to_batch)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_batch(conn: &Connection, id: i64) -> Result<Option<ImportBatch>> {
    Ok(conn
        .query_row(&format!("SELECT {BATCH_COLUMNS} FROM import_batches WHERE id = ?1"), [id], row_to_batch)
        .optional()?)
}

/// (id, raw JSON, customer id) of the record a source already has under `key`.
pub(crate) fn find_source_record(
    conn: &Connection,
    source: &str,
    key: &str,
) -> Result<Option<(i64, String, Option<i64>)>> {
    Ok(conn
        .prepare_cached("SELECT id, raw, customer_id FROM source_records WHERE source = ?1 AND source_key = ?2")?
        .query_row([source, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

pub(crate) fn insert_source_record(conn: &Connection, r: &NewSourceRecord<'_>, now: &str) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO source_records (source, source_key, batch_id, row_number, raw, customer_id, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    )?
    .execute(params![r.source, r.source_key, r.batch_id, r.row_number, r.raw_json, r.customer_id, now])?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn set_source_customer(conn: &Connection, record_id: i64, customer_id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE source_records SET customer_id = ?2 WHERE id = ?1")?
        .execute(params![record_id, customer_id])?;
    Ok(())
}

/// Replaces a record's raw row, keeping the previous version in history.
pub(crate) fn supersede_source_record(
    conn: &Connection,
    record_id: i64,
    batch_id: i64,
    row_number: i64,
    raw_json: &str,
    now: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO source_record_history (source_record_id, batch_id, row_number, raw, replaced_at) \
         SELECT id, batch_id, row_number, raw, ?2 FROM source_records WHERE id = ?1",
    )?
    .execute(params![record_id, now])?;
    conn.prepare_cached("UPDATE source_records SET batch_id = ?2, row_number = ?3, raw = ?4 WHERE id = ?1")?
        .execute(params![record_id, batch_id, row_number, raw_json])?;
    Ok(())
}

fn row_to_source(r: &Row<'_>) -> rusqlite::Result<SourceRecord> {
    let headers: String = r.get(6)?;
    let raw: String = r.get(5)?;
    Ok(SourceRecord {
        id: r.get(0)?,
        source: r.get(1)?,
        source_key: r.get(2)?,
        batch_id: r.get(3)?,
        row_number: r.get(4)?,
        values: serde_json::from_str(&raw).unwrap_or_default(),
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        customer_id: r.get(7)?,
    })
}

const SOURCE_SELECT: &str =
    "SELECT s.id, s.source, s.source_key, s.batch_id, s.row_number, s.raw, b.headers, s.customer_id \
    FROM source_records s JOIN import_batches b ON b.id = s.batch_id";

pub fn sources_of_customer(conn: &Connection, customer_id: i64) -> Result<Vec<SourceRecord>> {
    let mut stmt = conn.prepare_cached(&format!("{SOURCE_SELECT} WHERE s.customer_id = ?1 ORDER BY s.source, s.id"))?;
    let rows = stmt.query_map([customer_id], row_to_source)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every source record last written by `batch_id`, in file order.
pub fn sources_of_batch(conn: &Connection, batch_id: i64) -> Result<Vec<SourceRecord>> {
    let mut stmt = conn.prepare(&format!("{SOURCE_SELECT} WHERE s.batch_id = ?1 ORDER BY s.row_number"))?;
    let rows = stmt.query_map([batch_id], row_to_source)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A batch's logged warnings and rejections: (row, column, rule, severity, message).
pub fn batch_issues(conn: &Connection, batch_id: i64) -> Result<Vec<(i64, Option<String>, String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT row_number, column_name, rule, severity, message FROM import_issues WHERE batch_id = ?1 ORDER BY row_number, id",
    )?;
    let rows = stmt.query_map([batch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
