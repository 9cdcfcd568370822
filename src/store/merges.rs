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
