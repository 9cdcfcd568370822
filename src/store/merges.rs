//! Merges, unmerges and moves of source records: the records that make
//! them reversible, and the survivorship configuration.

use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// A customer's number by id.
pub fn number_of(conn: &Connection, id: i64) -> Result<String> {
    conn.prepare_cached("SELECT number FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))
}

/// The id of a customer by its own number, without following merges.
pub fn id_by_number(conn: &Connection, number: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM customers WHERE number = ?1")?
        .query_row([number.trim()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))
}

/// Follows `merged_into` from `id` to the live customer at the end.
pub fn live_survivor(conn: &Connection, mut id: i64) -> Result<i64> {
    let mut stmt = conn.prepare_cached("SELECT merged_into FROM customers WHERE id = ?1")?;
    for _ in 0..1000 {
        match stmt.query_row([id], |r| r.get::<_, Option<i64>>(0)).optional()? {
            Some(Some(next)) => id = next,
            Some(None) => return Ok(id),
            None => return Err(Error::NotFound(format!("no customer with id {id}"))),
        }
    }
    Err(Error::Other(format!("customer {id}: the chain of merges does not end")))
}

/// Records that `fields` of `customer_id` were set by hand, for every merge
/// it survives that is still in effect: undoing such a merge keeps them.
pub(crate) fn mark_edited(conn: &Connection, customer_id: i64, fields: &[crate::domain::Field]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO merge_edits (merge_id, field)
         SELECT id, ?2 FROM merges WHERE survivor_id = ?1 AND undone_at IS NULL
         ON CONFLICT DO NOTHING",
    )?;
    for f in fields {
        stmt.execute(params![customer_id, f.name()])?;
    }
    Ok(())
}

/// The golden state of a customer a merge changes, as JSON: every field,
/// the name parts, the flags.
pub(crate) fn golden_json(c: &crate::domain::Customer) -> serde_json::Value {
    let mut fields = serde_json::Map::new();
    for f in crate::domain::Field::ALL {
        if f != crate::domain::Field::Number {
            fields.insert(f.name().into(), c.get(f).map(|v| v.into()).unwrap_or(serde_json::Value::Null));
        }
    }
    let p = &c.name_parts;
    serde_json::json!({
        "fields": fields,
        "parts": [p.region, p.core, p.legal_form, p.branch],
        "flags": c.flags,
        "updated_at": c.updated_at,
    })
}

/// One field's value in a `golden_json`.
pub(crate) fn golden_value(v: &serde_json::Value, f: crate::domain::Field) -> Option<String> {
    v["fields"][f.name()].as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// `base` with the golden state `v` applied (id, number and bookkeeping stay).
pub(crate) fn from_golden_json(base: &crate::domain::Customer, v: &serde_json::Value) -> crate::domain::Customer {
    use crate::domain::{CustomerKind, Field, NameParts};
    let mut c = base.clone();
    for f in Field::ALL {
        let val = golden_value(v, f);
        match f {
            Field::Number => {}
            Field::Name => c.name = val.unwrap_or_default(),
            Field::Kind => c.kind = val.as_deref().and_then(CustomerKind::parse).unwrap_or_default(),
            _ => *c.slot_mut(f).expect("text field") = val,
        }
    }
    let part = |i: usize| v["parts"][i].as_str().map(str::to_string);
    c.name_parts = NameParts { region: part(0), core: part(1), legal_form: part(2), branch: part(3) };
    c.flags = v["flags"].as_array().into_iter().flatten().filter_map(|f| f.as_str().map(str::to_string)).collect();
    if let Some(u) = v["updated_at"].as_str() {
        c.updated_at = u.to_string();
    }
    c
}

/// The survivorship rules stored in the database: field name (or `*`) → rule name.
pub fn load_rules(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT field, rule FROM survivorship_rules ORDER BY field")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn set_rule(conn: &Connection, field: &str, rule: Option<&str>, actor: &str, now: &str) -> Result<()> {
    match rule {
        Some(rule) => conn.execute(
            "INSERT INTO survivorship_rules (field, rule, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(field) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            params![field, rule, now, actor],
        )?,
        None => conn.execute("DELETE FROM survivorship_rules WHERE field = ?1", [field])?,
    };
    Ok(())
}

pub fn load_source_priority(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT source FROM survivorship_sources ORDER BY rank")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn set_source_priority(conn: &Connection, sources: &[String]) -> Result<()> {
    conn.execute("DELETE FROM survivorship_sources", [])?;
    let mut stmt = conn.prepare_cached("INSERT INTO survivorship_sources (source, rank) VALUES (?1, ?2)")?;
    for (i, s) in sources.iter().enumerate() {
        stmt.execute(params![s, i as i64 + 1])?;
    }
    Ok(())
}

/// The distinct sources of a customer's records.
pub fn sources_of(conn: &Connection, customer_id: i64) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT source FROM source_records WHERE customer_id = ?1 ORDER BY source")?;
    let rows = stmt.query_map([customer_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The match cluster a merge approved (`None` for a manual merge).
pub fn cluster_of(conn: &Connection, merge: i64) -> Result<Option<i64>> {
    let c: Option<Option<i64>> = conn
        .prepare_cached("SELECT cluster_id FROM merges WHERE id = ?1 AND origin = 'cluster'")?
        .query_row([merge], |r| r.get(0))
        .optional()?;
    Ok(c.flatten())
}
