//! The append-only audit log.

use crate::domain::AuditEntry;
use crate::error::{Error, Result};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

pub struct NewAudit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<&'a str>,
    pub customer_id: Option<i64>,
    pub details: serde_json::Value,
}

/// Writes one entry and seals it into the chain, on `conn`'s transaction:
/// an entry is never committed without its seal.
pub(crate) fn append(conn: &Connection, a: &NewAudit<'_>, now: &str) -> Result<i64> {
    append_with_id(conn, a, now, None)
}

/// `append`, with the entry's id given (NULL lets SQLite choose the next).
fn append_with_id(conn: &Connection, a: &NewAudit<'_>, now: &str, id: Option<i64>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, customer_id, details, real_actor) \
         VALUES (?8,?1,?2,?3,?4,?5,?6,?7,(SELECT login FROM temp.session_actor))",
    )?
    .execute(params![now, a.actor, a.action, a.entity, a.entity_id, a.customer_id, a.details.to_string(), id])?;
    let id = conn.last_insert_rowid();
    let prev = head(conn)?.map(|(_, c)| c).unwrap_or([0; 32]);
    seal(conn, id, &prev)?;
    Ok(id)
}

/// The columns an entry's digest covers, in this order.
const ENTRY_COLUMNS: &str = "id, at, actor, action, entity, entity_id, customer_id, details, real_actor";

/// What an erasure on request leaves of an entry's details.
pub(crate) const ERASED_DETAILS: &str = r#"{"erased":true}"#;

/// The key under which a `customer.erase` entry lists the entries it blanked.
pub(crate) const BLANKED_KEY: &str = "blanked_audit_entries";

/// The key under which a `database.restore` entry names the head of the
/// trail it replaced, when the restored trail was not a prefix of it.
pub(crate) const REPLACED_HEAD_KEY: &str = "replaced_trail_head";

/// SHA-256 over the entry's columns, each tagged by type and (for text and
/// blobs) length-prefixed, so no two different entries share an encoding.
fn entry_digest(r: &rusqlite::Row<'_>) -> rusqlite::Result<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(b"crmwb audit entry v1\0");
    for i in 0..9 {
        match r.get_ref(i)? {
            ValueRef::Null => h.update([0u8]),
            ValueRef::Integer(n) => {
                h.update([1u8]);
                h.update(n.to_be_bytes());
            }
            ValueRef::Real(f) => {
                h.update([2u8]);
                h.update(f.to_bits().to_be_bytes());
            }
            ValueRef::Text(t) => {
                h.update([3u8]);
                h.update((t.len() as u64).to_be_bytes());
                h.update(t);
            }
            ValueRef::Blob(b) => {
                h.update([4u8]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
    Ok(h.finalize().into())
}

fn link(prev: &[u8; 32], digest: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(digest);
    h.finalize().into()
}

fn bytes32(v: Vec<u8>) -> Option<[u8; 32]> {
    v.try_into().ok()
}

/// The last sealed entry: its id and chain value.
pub fn head(conn: &Connection) -> Result<Option<(i64, [u8; 32])>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT id, chain FROM audit_chain ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(id, c)| Some((id, bytes32(c)?))))
}

fn seal(conn: &Connection, id: i64, prev: &[u8; 32]) -> Result<[u8; 32]> {
    let digest = conn
        .prepare_cached(&format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE id = ?1"))?
        .query_row([id], entry_digest)?;
    let chain = link(prev, &digest);
    conn.prepare_cached("INSERT INTO audit_chain (id, digest, chain) VALUES (?1, ?2, ?3)")?.execute(params![
        id,
        &digest[..],
        &chain[..]
    ])?;
    Ok(chain)
}

/// Seals every entry after the chain's head, in id order: the migration
/// that introduced the chain seals the entries written before it.
pub(crate) fn seal_unsealed(conn: &Connection) -> Result<usize> {
    let (after, mut prev) = head(conn)?.unwrap_or((0, [0; 32]));
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM audit_log WHERE id > ?1 ORDER BY id")?
        .query_map([after], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        prev = seal(conn, *id, &prev)?;
    }
    Ok(ids.len())
}

/// `ID:HEX`, the form a chain head is reported and given back in.
pub fn format_head(id: i64, chain: &[u8; 32]) -> String {
    let hex: String = chain.iter().map(|b| format!("{b:02x}")).collect();
    format!("{id}:{hex}")
}

/// Parses `ID:HEX` (64 hex digits).
pub fn parse_head(s: &str) -> Result<(i64, [u8; 32])> {
    let bad = || {
        Error::Invalid(format!(
            "`{}` is not an audit head: expected ID:HEX with 64 hex digits, as `crmwb check` prints it",
            s.trim()
        ))
    };
    let (id, hex) = s.trim().split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok((id, out))
}

/// What verifying the trail found.
#[derive(Debug, Clone, Default)]
pub struct TrailCheck {
    pub entries: i64,
    /// The last seal as stored: (entry id, chain value).
    pub head: Option<(i64, [u8; 32])>,
    /// The first break, naming its entry; None when the chain holds.
    pub broken: Option<String>,
    /// For a head asked about: found in the verified chain, or named by a
    /// verified restore entry as the head of the trail it replaced (that entry's id).
    pub contains: Option<HeadFound>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadFound {
    InChain,
    ReplacedByRestore(i64),
}

/// Recomputes every digest and the chain, in one pass over the log and one
/// over the chain (both in id order). The first entry that was changed,
/// added without a seal, or deleted is named. An entry blanked by an
/// erasure passes on its kept digest when a later (itself intact)
/// `customer.erase` entry lists it.
pub fn verify(conn: &Connection, want: Option<(i64, [u8; 32])>) -> Result<TrailCheck> {
    let mut lawful: HashSet<i64> = HashSet::new();
    {
        let mut stmt = conn.prepare("SELECT id, details FROM audit_log WHERE action = 'customer.erase'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (erase_id, details) = row?;
            let v: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
            for id in v[BLANKED_KEY].as_array().into_iter().flatten().filter_map(|x| x.as_i64()) {
                if id < erase_id {
                    lawful.insert(id);
                }
            }
        }
    }
    let mut out = TrailCheck { head: head(conn)?, ..Default::default() };
    let mut log = conn.prepare(&format!("SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY id"))?;
    let mut seals = conn.prepare("SELECT id, digest, chain FROM audit_chain ORDER BY id")?;
    let mut log_rows = log.query([])?;
    let mut seal_rows = seals.query([])?;
    struct Entry {
        id: i64,
        digest: [u8; 32],
        erased: bool,
        action: String,
        details: String,
    }
    fn next_entry(rows: &mut rusqlite::Rows<'_>) -> Result<Option<Entry>> {
        Ok(match rows.next()? {
            None => None,
            Some(r) => {
                let details: String = r.get::<_, Option<String>>(7)?.unwrap_or_default();
                Some(Entry {
                    id: r.get(0)?,
                    digest: entry_digest(r)?,
                    erased: details == ERASED_DETAILS,
                    action: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    details,
                })
            }
        })
    }
    /// (entry id, digest, chain) as stored.
    type Seal = (i64, Vec<u8>, Vec<u8>);
    fn next_seal(rows: &mut rusqlite::Rows<'_>) -> Result<Option<Seal>> {
        Ok(match rows.next()? {
            None => None,
            Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
        })
    }
    let mut prev = [0u8; 32];
    let mut e = next_entry(&mut log_rows)?;
    let mut s = next_seal(&mut seal_rows)?;
    loop {
        match (&e, &s) {
            (None, None) => break,
            (Some(en), None) => {
                out.broken = Some(format!("entry {} was added outside crmwb: it has no seal in the chain", en.id));
                break;
            }
            (Some(en), Some((sid, _, _))) if en.id < *sid => {
                out.broken = Some(format!("entry {} was added outside crmwb: it has no seal in the chain", en.id));
                break;
            }
            (None, Some((sid, _, _))) => {
                out.broken = Some(format!("entry {sid} was deleted: its seal is in the chain, the entry is gone"));
                break;
            }
            (Some(en), Some((sid, _, _))) if *sid < en.id => {
                out.broken = Some(format!("entry {sid} was deleted: its seal is in the chain, the entry is gone"));
                break;
            }
            (Some(en), Some((sid, digest, chain))) => {
                let (Some(digest), Some(chain)) = (bytes32(digest.clone()), bytes32(chain.clone())) else {
                    out.broken = Some(format!("entry {sid}'s seal is malformed"));
                    break;
                };
                if en.digest != digest && !(en.erased && lawful.contains(&en.id)) {
                    out.broken = Some(format!(
                        "entry {} was changed after it was written: it no longer matches its digest",
                        en.id
                    ));
                    break;
                }
                if link(&prev, &digest) != chain {
                    out.broken = Some(format!("the chain is broken at entry {}: its seal was rewritten", en.id));
                    break;
                }
                out.entries += 1;
                if let Some((wid, wchain)) = want {
                    if wid == en.id && wchain == chain {
                        out.contains = Some(HeadFound::InChain);
                    } else if out.contains.is_none() && en.action == "database.restore" {
                        let v: serde_json::Value = serde_json::from_str(&en.details).unwrap_or_default();
                        if v[REPLACED_HEAD_KEY].as_str() == Some(format_head(wid, &wchain).as_str()) {
                            out.contains = Some(HeadFound::ReplacedByRestore(en.id));
                        }
                    }
                }
                prev = chain;
            }
        }
        if out.broken.is_some() {
            break;
        }
        e = next_entry(&mut log_rows)?;
        s = next_seal(&mut seal_rows)?;
    }
    if out.broken.is_some() {
        out.entries = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
    }
    Ok(out)
}

/// Blanks the details of the given entries (an erasure on request), inside
/// the caller's transaction; their seals stay. Returns how many changed.
pub(crate) fn blank(conn: &Connection, ids: &[i64]) -> Result<usize> {
    let ids_json = serde_json::to_string(ids)?;
    conn.execute("INSERT INTO erasure_guard (open) VALUES (1)", [])?;
    let n = conn.execute(
        "UPDATE audit_log SET details = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
        params![ids_json, ERASED_DETAILS],
    )?;
    conn.execute("DELETE FROM erasure_guard", [])?;
    Ok(n)
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

/// How a restore treated the trail it restored over.
#[derive(Debug, Clone, Default)]
pub struct RestoredTrail {
    /// Entries of the replaced trail written after the backup was taken,
    /// carried over (with their seals) because the restored trail is a
    /// prefix of it.
    pub carried_over: i64,
    /// The replaced trail's head, when the restored trail is not a prefix of
    /// it (a backup of another database, or one that diverged): the restore
    /// entry names it, and ids continue above it.
    pub replaced_head: Option<String>,
}

/// Finishes a restore's audit: the trail that was in the database before
/// (now the file `prev`, the safety copy) is not silently dropped. When the
/// restored trail is a prefix of it, its later entries and seals are copied
/// over, so every head reported before the restore stays in the chain; else
/// the restore entry names the replaced head and gets an id above every id
/// the replaced trail used, so no entry id is reused. The restore entry
/// (`a`, whose details get what happened here) is sealed on top, all in one
/// transaction.
pub fn finish_restore(
    conn: &mut Connection,
    prev: &std::path::Path,
    a: NewAudit<'_>,
    now: &str,
) -> Result<RestoredTrail> {
    conn.execute("ATTACH DATABASE ?1 AS prev_trail", [prev.to_string_lossy()])?;
    let result = (|| -> Result<RestoredTrail> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = RestoredTrail::default();
        let restored = head(&tx)?;
        let prev_head: Option<(i64, Vec<u8>)> = tx
            .query_row("SELECT id, chain FROM prev_trail.audit_chain ORDER BY id DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let prefix = match restored {
            None => true,
            Some((id, chain)) => tx
                .query_row("SELECT chain FROM prev_trail.audit_chain WHERE id = ?1", [id], |r| r.get::<_, Vec<u8>>(0))
                .optional()?
                .is_some_and(|c| c[..] == chain[..]),
        };
        let mut id = None;
        if prefix {
            let after = restored.map(|(id, _)| id).unwrap_or(0);
            out.carried_over = tx.execute(
                &format!(
                    "INSERT INTO main.audit_log ({ENTRY_COLUMNS}) SELECT {ENTRY_COLUMNS} FROM prev_trail.audit_log \
                     WHERE id > ?1 ORDER BY id"
                ),
                [after],
            )? as i64;
            tx.execute(
                "INSERT INTO main.audit_chain (id, digest, chain) SELECT id, digest, chain FROM prev_trail.audit_chain \
                 WHERE id > ?1 ORDER BY id",
                [after],
            )?;
        } else {
            out.replaced_head = prev_head.as_ref().and_then(|(id, c)| Some(format_head(*id, &bytes32(c.clone())?)));
            let top: i64 = tx.query_row(
                "SELECT max(coalesce((SELECT max(id) FROM prev_trail.audit_log), 0), \
                            coalesce((SELECT max(id) FROM prev_trail.audit_chain), 0), \
                            coalesce((SELECT max(id) FROM main.audit_log), 0))",
                [],
                |r| r.get(0),
            )?;
            id = Some(top + 1);
        }
        let mut details = a.details.clone();
        details["carried_over_entries"] = out.carried_over.into();
        if let Some(h) = &out.replaced_head {
            details[REPLACED_HEAD_KEY] = h.clone().into();
        }
        let entry = NewAudit { details, ..a };
        append_with_id(&tx, &entry, now, id)?;
        tx.commit()?;
        Ok(out)
    })();
    let detached = conn.execute("DETACH DATABASE prev_trail", []);
    let out = result?;
    detached?;
    Ok(out)
}
