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

/// One open merge a source record travelled through: `merge` absorbed
/// `from` (where the record was) into `survivor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Link {
    pub merge: i64,
    pub from: i64,
    pub survivor: i64,
}

/// The merges still in effect that carried source record `record` from
/// the customer it belongs to (`links[0].from`) to `holder`, its customer
/// now, oldest first. Empty when the record sits on its own customer, or
/// when the recorded chain does not lead to `holder` (a move since).
pub(crate) fn record_links(conn: &Connection, record: i64, holder: i64) -> Result<Vec<Link>> {
    let links: Vec<Link> = conn
        .prepare_cached(
            "SELECT x.merge_id, x.from_customer, m.survivor_id FROM merge_rows x
               JOIN merges m ON m.id = x.merge_id
               JOIN merge_members mm ON mm.merge_id = x.merge_id AND mm.customer_id = x.from_customer
             WHERE x.tbl = 'source_records' AND x.row_id = ?1 AND m.undone_at IS NULL AND mm.split_at IS NULL
             ORDER BY x.merge_id",
        )?
        .query_map([record], |r| Ok(Link { merge: r.get(0)?, from: r.get(1)?, survivor: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let connected =
        links.windows(2).all(|w| w[0].survivor == w[1].from) && links.last().is_none_or(|l| l.survivor == holder);
    Ok(if connected { links } else { Vec::new() })
}

/// Whether `customer` survives a merge still in effect.
pub(crate) fn survives_open_merge(conn: &Connection, customer: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM merges WHERE survivor_id = ?1 AND undone_at IS NULL)")?
        .query_row([customer], |r| r.get(0))?)
}

/// The customer a source record belongs to: the one it would be on with
/// every merge undone.
pub(crate) fn record_home(conn: &Connection, record: i64) -> Result<Option<i64>> {
    let holder: Option<Option<i64>> = conn
        .prepare_cached("SELECT customer_id FROM source_records WHERE id = ?1")?
        .query_row([record], |r| r.get(0))
        .optional()?;
    let Some(Some(holder)) = holder else { return Ok(None) };
    Ok(Some(record_links(conn, record, holder)?.first().map_or(holder, |l| l.from)))
}

/// Whether customer `customer` itself has a row of `tbl` (customer_phones,
/// customer_emails, contacts) whose `col` is `value`.
pub(crate) fn customer_has(conn: &Connection, tbl: &str, col: &str, value: &str, customer: i64) -> Result<bool> {
    debug_assert!(matches!(tbl, "customer_phones" | "customer_emails" | "contacts"));
    Ok(conn
        .prepare_cached(&format!("SELECT EXISTS(SELECT 1 FROM {tbl} WHERE customer_id = ?1 AND {col} = ?2)"))?
        .query_row(params![customer, value], |r| r.get(0))?)
}

/// Whether `home` has a row of `tbl` (customer_phones, customer_emails,
/// contacts) whose `col` is `value`, counting the rows that belong to it
/// wherever a merge put them, and not the rows of the customers merged
/// into it. `holders`: the customers its rows can be on (itself and the
/// survivors above it).
pub(crate) fn home_has(
    conn: &Connection,
    tbl: &str,
    col: &str,
    value: &str,
    home: i64,
    holders: &[i64],
) -> Result<bool> {
    debug_assert!(matches!(tbl, "customer_phones" | "customer_emails" | "contacts"));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, customer_id, source_record_id FROM {tbl} WHERE {col} = ?1 AND customer_id = ?2"
    ))?;
    for &h in holders {
        let rows: Vec<(i64, i64, Option<i64>)> = stmt
            .query_map(params![value, h], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, on, record) in rows {
            let belongs = match record {
                Some(rec) => record_home(conn, rec)?.unwrap_or(on),
                None => row_home(conn, tbl, id)?.unwrap_or(on),
            };
            if belongs == home {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The customer an open merge took a row from, the earliest such merge.
fn row_home(conn: &Connection, tbl: &str, row: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT x.from_customer FROM merge_rows x JOIN merges m ON m.id = x.merge_id
               JOIN merge_members mm ON mm.merge_id = x.merge_id AND mm.customer_id = x.from_customer
             WHERE x.tbl = ?1 AND x.row_id = ?2 AND m.undone_at IS NULL AND mm.split_at IS NULL
             ORDER BY x.merge_id LIMIT 1",
        )?
        .query_row(params![tbl, row], |r| r.get(0))
        .optional()?)
}

/// A merge's `after` (the golden state it wrote, kept current) and the
/// fields edited by hand since.
pub(crate) fn after_and_edits(conn: &Connection, merge: i64) -> Result<(serde_json::Value, Vec<String>)> {
    let after: String =
        conn.prepare_cached("SELECT after FROM merges WHERE id = ?1")?.query_row([merge], |r| r.get(0))?;
    let edits = conn
        .prepare_cached("SELECT field FROM merge_edits WHERE merge_id = ?1")?
        .query_map([merge], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((serde_json::from_str(&after)?, edits))
}

/// Which golden state of a merge: the survivor's before it, or the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Before,
    After,
}

impl Side {
    fn column(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// The merges still in effect that `survivor` survives, oldest first: the
/// first one's `before` holds the survivor's own values, each later one's
/// `before` the result of the ones under it.
pub(crate) fn open_merges_on(conn: &Connection, survivor: i64) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM merges WHERE survivor_id = ?1 AND undone_at IS NULL ORDER BY id")?
        .query_map([survivor], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// One golden state of a merge.
pub(crate) fn side(conn: &Connection, merge: i64, side: Side) -> Result<serde_json::Value> {
    let v: String = conn
        .prepare_cached(&format!("SELECT {} FROM merges WHERE id = ?1", side.column()))?
        .query_row([merge], |r| r.get(0))?;
    Ok(serde_json::from_str(&v)?)
}

pub(crate) fn set_side(conn: &Connection, merge: i64, side: Side, v: &serde_json::Value) -> Result<()> {
    conn.prepare_cached(&format!("UPDATE merges SET {} = ?2 WHERE id = ?1", side.column()))?
        .execute(params![merge, v.to_string()])?;
    Ok(())
}

/// Gives `customer` a phone or e-mail typed in by hand (`tbl`
/// customer_phones with `kind`, or customer_emails): a row without a
/// source record, not primary. Nothing is added when the customer already
/// has that value in a row of its own. A row that only a merge still in
/// effect brought (from an absorbed customer, or through an absorbed
/// customer's source record) does not count: it leaves with that customer
/// at the unmerge, and the number typed by hand must not leave with it.
/// Such a row is collapsed under the new one, as a merge collapses the
/// duplicates it finds, so the survivor shows the value once and the
/// unmerge gives each side its row. Returns whether a row was added.
pub(crate) fn add_hand_row(
    conn: &Connection,
    customer: i64,
    tbl: &str,
    kind: Option<&str>,
    value: &str,
) -> Result<bool> {
    let col = match tbl {
        "customer_phones" => "number",
        "customer_emails" => "email",
        _ => unreachable!("add_hand_row: {tbl}"),
    };
    if home_has(conn, tbl, col, value, customer, &[customer])? {
        return Ok(false);
    }
    let foreign: Vec<(i64, Option<i64>)> = conn
        .prepare_cached(&format!("SELECT id, source_record_id FROM {tbl} WHERE customer_id = ?1 AND {col} = ?2"))?
        .query_map(params![customer, value], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    match kind {
        Some(kind) => conn
            .prepare_cached(
                "INSERT INTO customer_phones (customer_id, kind, number, is_primary) VALUES (?1, ?2, ?3, 0)",
            )?
            .execute(params![customer, kind, value])?,
        None => conn
            .prepare_cached("INSERT INTO customer_emails (customer_id, email, is_primary) VALUES (?1, ?2, 0)")?
            .execute(params![customer, value])?,
    };
    let kept = conn.last_insert_rowid();
    for (row, record) in foreign {
        // The last hop that brought the row here: the merge whose undoing
        // takes it away, and the customer it goes back to then.
        let recorded: Option<(i64, i64, i64, String)> = conn
            .prepare_cached(
                "SELECT x.id, x.merge_id, x.from_customer, x.before FROM merge_rows x
                   JOIN merges m ON m.id = x.merge_id
                   JOIN merge_members mm ON mm.merge_id = x.merge_id AND mm.customer_id = x.from_customer
                 WHERE x.tbl = ?1 AND x.row_id = ?2 AND m.survivor_id = ?3
                   AND m.undone_at IS NULL AND mm.split_at IS NULL
                 ORDER BY x.merge_id DESC LIMIT 1",
            )?
            .query_row(params![tbl, row, customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let (merge, from) = match recorded {
            Some((entry, merge, from, before)) => {
                let before: serde_json::Value = serde_json::from_str(&before).unwrap_or_default();
                conn.prepare_cached(&format!("UPDATE {tbl} SET customer_id = ?2, is_primary = ?3 WHERE id = ?1"))?
                    .execute(params![row, from, before["primary"].as_bool().unwrap_or(false)])?;
                conn.prepare_cached("DELETE FROM merge_rows WHERE id = ?1")?.execute([entry])?;
                (merge, from)
            }
            None => {
                let Some(link) =
                    record.map(|r| record_links(conn, r, customer)).transpose()?.and_then(|l| l.last().copied())
                else {
                    continue;
                };
                conn.prepare_cached(&format!("UPDATE {tbl} SET customer_id = ?2 WHERE id = ?1"))?
                    .execute(params![row, link.from])?;
                (link.merge, link.from)
            }
        };
        debug_assert_ne!(from, customer);
        conn.prepare_cached("INSERT INTO merge_collapsed (merge_id, tbl, kept_id, dup_id) VALUES (?1,?2,?3,?4)")?
            .execute(params![merge, tbl, kept, row])?;
    }
    Ok(true)
}

/// A merge copies an absorbed customer's custom value into the survivor's
/// empty slot (a `merge_rows` entry of `custom_values`), and the unmerge
/// deletes the copy. When a batch then writes the survivor's own value
/// into that slot, the slot is the survivor's again: the entry is marked
/// `own` (by `batch`), so the unmerge leaves the value, and the batch's
/// undo gives the copy back (`release_custom_copy`). Returns the entry
/// marked, if the slot held such a copy.
pub(crate) fn claim_custom_copy(conn: &Connection, customer: i64, name: &str, batch: i64) -> Result<Option<i64>> {
    let entry: Option<i64> = conn
        .prepare_cached(
            "SELECT x.id FROM merges m JOIN merge_rows x ON x.merge_id = m.id
               JOIN merge_members mm ON mm.merge_id = m.id AND mm.customer_id = x.from_customer
             WHERE m.survivor_id = ?1 AND m.undone_at IS NULL AND mm.split_at IS NULL
               AND x.tbl = 'custom_values' AND x.name = ?2 AND json_extract(x.before, '$.own') IS NULL
             ORDER BY x.id DESC LIMIT 1",
        )?
        .query_row(params![customer, name], |r| r.get(0))
        .optional()?;
    if let Some(x) = entry {
        conn.prepare_cached("UPDATE merge_rows SET before = json_set(before, '$.own', ?2) WHERE id = ?1")?
            .execute(params![x, batch])?;
    }
    Ok(entry)
}

/// Undoes `claim_custom_copy` of entry `entry`: true when its merge still
/// holds the copy (in effect, the member not split out), so the slot takes
/// the copied value again; false when the copy left with its unmerge, so
/// the slot goes back to empty.
pub(crate) fn release_custom_copy(conn: &Connection, entry: i64) -> Result<bool> {
    let open: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM merge_rows x JOIN merges m ON m.id = x.merge_id
               JOIN merge_members mm ON mm.merge_id = m.id AND mm.customer_id = x.from_customer
             WHERE x.id = ?1 AND m.undone_at IS NULL AND mm.split_at IS NULL)",
        )?
        .query_row([entry], |r| r.get(0))?;
    if open {
        conn.prepare_cached("UPDATE merge_rows SET before = json_remove(before, '$.own') WHERE id = ?1")?
            .execute([entry])?;
    }
    Ok(open)
}
