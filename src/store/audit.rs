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
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, customer_id, details, real_actor) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,(SELECT login FROM temp.session_actor))",
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
        real_actor: r.get(8)?,
    })
}

pub fn for_customer(conn: &Connection, customer_id: i64, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, entity, entity_id, customer_id, details, real_actor FROM audit_log \
         WHERE customer_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![customer_id, limit as i64], row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, entity, entity_id, customer_id, details, real_actor FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Which audit entries to read; `None` means no restriction.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub customer_id: Option<i64>,
    pub actor: Option<String>,
    /// Entries at or after this RFC 3339 timestamp (or date).
    pub since: Option<String>,
    /// Only entries about these customers, or by these actors (a scope).
    pub customers_owned_by: Option<Vec<String>>,
    pub limit: usize,
}

/// Newest first.
pub fn query(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.customer_id, a.details, a.real_actor \
         FROM audit_log a WHERE 1=1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(c) = f.customer_id {
        args.push(c.into());
        sql.push_str(&format!(" AND a.customer_id = ?{}", args.len()));
    }
    if let Some(a) = &f.actor {
        args.push(a.clone().into());
        sql.push_str(&format!(" AND (a.actor = ?{n} OR a.real_actor = ?{n})", n = args.len()));
    }
    if let Some(s) = &f.since {
        args.push(s.clone().into());
        sql.push_str(&format!(" AND a.at >= ?{}", args.len()));
    }
    if let Some(names) = &f.customers_owned_by {
        let json = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
        args.push(json.into());
        let n = args.len();
        // Live and merged customers apart, so each half has an index
        // (customers_live_owner; customers_merged_into, merged ones are few)
        // instead of a scan of every customer.
        sql.push_str(&format!(
            " AND (a.actor IN (SELECT value FROM json_each(?{n})) OR a.customer_id IN \
             (SELECT id FROM customers WHERE merged_into IS NULL AND owner IN (SELECT value FROM json_each(?{n})) \
              UNION ALL SELECT id FROM customers WHERE merged_into IS NOT NULL \
              AND owner IN (SELECT value FROM json_each(?{n}))))"
        ));
    }
    args.push((f.limit.max(1) as i64).into());
    sql.push_str(&format!(" ORDER BY a.id DESC LIMIT ?{}", args.len()));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
