//! The append-only audit log.

use crate::domain::AuditEntry;
use crate::error::Result;
use rusqlite::{params, Connection};

pub struct NewAudit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<&'a str>,
    pub customer_id: Option<i64>,
    pub details: serde_json::Value,
}

pub(crate) fn append(conn: &Connection, a: &NewAudit<'_>, now: &str) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, customer_id, details) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    )?
    .execute(params![now, a.actor, a.action, a.entity, a.entity_id, a.customer_id, a.details.to_string()])?;
    Ok(conn.last_insert_rowid())
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let details: String = r.get(7)?;
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        entity: r.get(4)?,
        entity_id: r.get(5)?,
        customer_id: r.get(6)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
    })
}

pub fn for_customer(conn: &Connection, customer_id: i64, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, entity, entity_id, customer_id, details FROM audit_log \
         WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![customer_id, limit as i64], row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, entity, entity_id, customer_id, details FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
