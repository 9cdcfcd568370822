//! Tables of duplicate detection: runs, candidate pairs, blocking keys,
//! clusters, rejections. SQL only; the service decides.

use crate::error::Result;
use crate::matching::{CustomType, InputRecord};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};

const INPUT_COLUMNS: &str = "id, kind, name, name_region, name_core, name_legal, name_branch, contact_name, \
    mobile, landline, email, province, city, district, address, industry_code, first_contact, version";

fn row_to_input(r: &rusqlite::Row<'_>) -> rusqlite::Result<InputRecord> {
    let kind: String = r.get(1)?;
    let opt = |i: usize| -> rusqlite::Result<Option<String>> { r.get::<_, Option<String>>(i) };
    let mut rec = InputRecord {
        id: r.get(0)?,
        person: kind == "person",
        name: r.get(2)?,
        name_region: opt(3)?,
        name_core: opt(4)?,
        name_legal: opt(5)?,
        name_branch: opt(6)?,
        province: opt(11)?,
        city: opt(12)?,
        district: opt(13)?,
        address: opt(14)?,
        industry_code: opt(15)?,
        first_contact: opt(16)?,
        version: r.get(17)?,
        ..Default::default()
    };
    rec.contacts.extend(opt(7)?);
    rec.mobiles.extend(opt(8)?);
    rec.landlines.extend(opt(9)?);
    rec.emails.extend(opt(10)?);
    Ok(rec)
}

/// Custom fields and their declared types.
pub fn custom_fields(conn: &Connection) -> Result<Vec<(String, CustomType)>> {
    let mut stmt = conn.prepare("SELECT name, type FROM custom_fields ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for r in rows {
        let (n, t) = r?;
        out.push((n, CustomType::parse(&t).unwrap_or(CustomType::Text)));
    }
    Ok(out)
}

/// Adds every phone, e-mail, contact and custom value to the records.
/// `filter` names the customers with `?` placeholders bound to `args`: the
/// same text for every chunk of a size, so each statement is prepared once
/// per chunk size (with the ids written into it, every chunk prepared its
/// own: sqlite3Prepare was 4% of an incremental run's samples).
fn fill_children(conn: &Connection, recs: &mut [InputRecord], filter: &str, args: &[i64]) -> Result<()> {
    let index: HashMap<i64, usize> = recs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut each = |sql: String, f: &mut dyn FnMut(&mut InputRecord, &rusqlite::Row<'_>) -> rusqlite::Result<()>| {
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(0)?) {
                f(&mut recs[i], row)?;
            }
        }
        Ok::<_, crate::Error>(())
    };
    each(format!("SELECT customer_id, kind, number FROM customer_phones {filter}"), &mut |r, row| {
        let kind: String = row.get(1)?;
        let n: String = row.get(2)?;
        let list = if kind == "mobile" { &mut r.mobiles } else { &mut r.landlines };
        if !list.contains(&n) {
            list.push(n);
        }
        Ok(())
    })?;
    each(format!("SELECT customer_id, email FROM customer_emails {filter}"), &mut |r, row| {
        let e: String = row.get(1)?;
        if !r.emails.contains(&e) {
            r.emails.push(e);
        }
        Ok(())
    })?;
    each(format!("SELECT customer_id, name, mobile FROM contacts {filter}"), &mut |r, row| {
        let n: String = row.get(1)?;
        if !r.contacts.contains(&n) {
            r.contacts.push(n);
        }
        if let Some(m) = row.get::<_, Option<String>>(2)? {
            if !r.mobiles.contains(&m) {
                r.mobiles.push(m);
            }
        }
        Ok(())
    })?;
    each(format!("SELECT customer_id, name, value FROM custom_values {filter}"), &mut |r, row| {
        r.custom.push((row.get(1)?, row.get(2)?));
        Ok(())
    })?;
    Ok(())
}

/// An erased customer's tombstone is nobody to match: all tombstones share
/// one placeholder name.
const NOT_ERASED: &str = "flags IS NOT 'erased'";

/// The live customers with `after < id <= upto`, ready for matching, handed
/// to `f` in id order `chunk` customers at a time: a million customers as
/// loaded take far more memory than prepared, so they are never all held at
/// once. `f` returns whether to go on (false: the caller was cancelled).
pub fn load_range_chunked(
    conn: &Connection,
    after: i64,
    upto: i64,
    chunk: usize,
    mut f: impl FnMut(Vec<InputRecord>) -> bool,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {INPUT_COLUMNS} FROM customers WHERE merged_into IS NULL AND {NOT_ERASED} AND id > ?1 AND id <= ?3 \
         ORDER BY id LIMIT ?2"
    ))?;
    let mut after = after;
    loop {
        let mut recs: Vec<InputRecord> =
            stmt.query_map(params![after, chunk as i64, upto], row_to_input)?.collect::<rusqlite::Result<_>>()?;
        let (Some(first), Some(last)) = (recs.first().map(|r| r.id), recs.last().map(|r| r.id)) else {
            return Ok(());
        };
        fill_children(conn, &mut recs, "WHERE customer_id BETWEEN ?1 AND ?2", &[first, last])?;
        after = last;
        let n = recs.len();
        if !f(recs) || n < chunk {
            return Ok(());
        }
    }
}

/// The id that splits the live customers in two halves (None: too few to split).
pub fn live_median_id(conn: &Connection) -> Result<Option<i64>> {
    let n: i64 = conn.query_row("SELECT count(*) FROM customers WHERE merged_into IS NULL", [], |r| r.get(0))?;
    if n < 2 {
        return Ok(None);
    }
    Ok(conn
        .query_row("SELECT id FROM customers WHERE merged_into IS NULL ORDER BY id LIMIT 1 OFFSET ?1", [n / 2], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The given customers that are live, ready for matching.
pub fn load_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<InputRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {INPUT_COLUMNS} FROM customers WHERE merged_into IS NULL AND {NOT_ERASED} AND id IN ({list}) ORDER BY id"
        ))?;
        let mut recs: Vec<InputRecord> =
            stmt.query_map(rusqlite::params_from_iter(chunk), row_to_input)?.collect::<rusqlite::Result<_>>()?;
        fill_children(conn, &mut recs, &format!("WHERE customer_id IN ({list})"), chunk)?;
        out.extend(recs);
    }
    Ok(out)
}

/// What a run has seen: the newest customer, import batch and audit entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HighWater {
    pub customer: i64,
    pub batch: i64,
    pub audit: i64,
}

pub fn high_water(conn: &Connection) -> Result<HighWater> {
    Ok(conn.query_row(
        "SELECT (SELECT ifnull(max(id),0) FROM customers), (SELECT ifnull(max(id),0) FROM import_batches), \
         (SELECT ifnull(max(id),0) FROM audit_log)",
        [],
        |r| Ok(HighWater { customer: r.get(0)?, batch: r.get(1)?, audit: r.get(2)? }),
    )?)
}

/// Customers created or changed since `hw`: new rows, customers an import
/// changed (its before-images), and customers any audited action touched
/// (edits, merges, undone imports). Merged-away customers are included:
/// their pairs must go.
pub fn changed_since(conn: &Connection, hw: &HighWater) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM customers WHERE id > ?1
         UNION SELECT customer_id FROM batch_changes WHERE batch_id > ?2
         UNION SELECT customer_id FROM audit_log WHERE id > ?3 AND customer_id IS NOT NULL",
    )?;
    let rows = stmt.query_map(params![hw.customer, hw.batch, hw.audit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether an import was undone after audit entry `audit`: undoing removes
/// and restores customers without leaving rows a high-water mark can find.
pub fn undone_since(conn: &Connection, audit: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM audit_log WHERE id > ?1 AND action = 'import.undo')",
        [audit],
        |r| r.get(0),
    )?)
}

#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub mode: String,
    pub started_at: String,
    pub config: String,
    pub model: String,
    pub stats: String,
    pub hw: HighWater,
}

pub fn last_run(conn: &Connection) -> Result<Option<RunRow>> {
    Ok(conn
        .query_row(
            "SELECT id, mode, started_at, config, model, stats, hw_customer, hw_batch, hw_audit FROM match_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    mode: r.get(1)?,
                    started_at: r.get(2)?,
                    config: r.get(3)?,
                    model: r.get(4)?,
                    stats: r.get(5)?,
                    hw: HighWater { customer: r.get(6)?, batch: r.get(7)?, audit: r.get(8)? },
                })
            },
        )
        .optional()?)
}

/// The model of the newest full run (incremental runs reuse it).
pub fn last_full_model(conn: &Connection) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row("SELECT config, model FROM match_runs WHERE mode = 'full' ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

pub fn insert_run(conn: &Connection, r: &RunRow, actor: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO match_runs (mode, actor, started_at, config, model, stats, hw_customer, hw_batch, hw_audit) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
        params![r.mode, actor, r.started_at, r.config, r.model, r.stats, r.hw.customer, r.hw.batch, r.hw.audit],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_run_stats(conn: &Connection, id: i64, stats: &str) -> Result<()> {
    conn.execute("UPDATE match_runs SET stats = ?2 WHERE id = ?1", params![id, stats])?;
    Ok(())
}

/// A pair as stored.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub a: i64,
    pub b: i64,
    pub score: f64,
    pub prob: f64,
    pub band: &'static str,
    pub keys: u32,
    pub evidence: Vec<u8>,
}

/// Empties the pair and key tables before a full run writes them again, and
/// drops the secondary indexes a full run fills in bulk: maintaining them
/// row by row during the bulk insert is many times slower than building
/// them once afterwards (`rebuild_indexes`). Inside the run's transaction,
/// so no reader ever sees them missing.
pub fn clear_all(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP INDEX IF EXISTS match_pairs_b;
         DROP INDEX IF EXISTS match_cluster_members_customer;
         DROP INDEX IF EXISTS match_clusters_state;
         DELETE FROM match_pairs; DELETE FROM match_pairs_low; DELETE FROM match_pairs_low_b;
         DELETE FROM match_pairs_stale;
         DELETE FROM match_keys; DELETE FROM match_customer_keys;",
    )?;
    Ok(())
}

pub fn rebuild_indexes(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS match_pairs_b ON match_pairs(b);
         CREATE INDEX IF NOT EXISTS match_cluster_members_customer ON match_cluster_members(customer_id);
         CREATE INDEX IF NOT EXISTS match_clusters_state ON match_clusters(state, score);",
    )?;
    Ok(())
}

/// Whether match_keys holds keys without their customers' rows in
/// match_customer_keys (written before that table existed): an incremental
/// run could not forget them.
pub fn keys_without_owners(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM match_keys) AND NOT EXISTS(SELECT 1 FROM match_customer_keys)",
        [],
        |r| r.get(0),
    )?)
}

fn encode_hashes(hs: &[u64]) -> Vec<u8> {
    hs.iter().flat_map(|h| h.to_le_bytes()).collect()
}

fn decode_hashes(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

/// Records (replacing) which key hashes each customer has in match_keys.
pub fn insert_customer_keys<'a>(conn: &Connection, rows: impl Iterator<Item = (i64, &'a [u64])>) -> Result<()> {
    const HEAD: &str = "INSERT OR REPLACE INTO match_customer_keys (customer_id, hashes)";
    let mut full = conn.prepare_cached(&insert_sql(HEAD, 2, BATCH))?;
    let mut buf: Vec<(i64, &[u64])> = Vec::with_capacity(BATCH);
    let flush = |buf: &mut Vec<(i64, &[u64])>, stmt: &mut rusqlite::Statement<'_>| -> Result<()> {
        for (i, (id, hs)) in buf.iter().enumerate() {
            stmt.raw_bind_parameter(i * 2 + 1, id)?;
            stmt.raw_bind_parameter(i * 2 + 2, encode_hashes(hs))?;
        }
        stmt.raw_execute()?;
        buf.clear();
        Ok(())
    };
    for r in rows {
        buf.push(r);
        if buf.len() == BATCH {
            flush(&mut buf, &mut full)?;
        }
    }
    if !buf.is_empty() {
        let mut rest = conn.prepare(&insert_sql(HEAD, 2, buf.len()))?;
        flush(&mut buf, &mut rest)?;
    }
    Ok(())
}

/// Rows per multi-row INSERT: one statement step per batch instead of per
/// row, well under SQLite's limit on bound parameters.
const BATCH: usize = 128;

fn insert_sql(head: &str, cols: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    format!("{head} VALUES {}", vec![one; rows].join(","))
}

/// Which run writes pairs: a full run into emptied tables, an incremental
/// one beside what earlier runs stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairWrite {
    Full,
    Incremental,
}

/// Inserts pairs (replacing any with the same a, b) in multi-row batches:
/// review and match pairs into match_pairs; non-match pairs into
/// match_pairs_low in a full run, which writes them in (a, b) order, and
/// into match_pairs_low_b in an incremental one, whose pairs are mostly a
/// new customer's (b) and append there (see its migration). In an
/// incremental run a pair may have been stored as a non-match before: a
/// review or match pair's rows in both non-match tables are deleted. A
/// non-match pair needs no such delete: a caller that writes pairs again
/// has forgotten (`forget`) every match_pairs row of the customers they
/// touch first, and their older non-match rows are stale.
pub fn insert_pairs(
    conn: &Connection,
    run_id: i64,
    pairs: &mut dyn Iterator<Item = PairRow>,
    write: PairWrite,
) -> Result<u64> {
    const HEAD: &str = "INSERT OR REPLACE INTO match_pairs (a, b, score, prob, band, keys, evidence, run_id)";
    let drop_low = write == PairWrite::Incremental;
    let head_low: &str = match write {
        PairWrite::Full => "INSERT OR REPLACE INTO match_pairs_low (a, b, score, keys, evidence, run_id)",
        PairWrite::Incremental => "INSERT OR REPLACE INTO match_pairs_low_b (a, b, score, keys, evidence, run_id)",
    };
    let mut high = Vec::with_capacity(BATCH);
    let mut low = Vec::with_capacity(BATCH);
    let mut n = 0;
    // The full batches' statements, built once: millions of rows pass here.
    let (full_high, full_low) = (insert_sql(HEAD, 8, BATCH), insert_sql(head_low, 6, BATCH));
    let flush = |buf: &mut Vec<PairRow>, is_low: bool| -> Result<()> {
        let (head, cols) = if is_low { (head_low, 6) } else { (HEAD, 8) };
        let mut stmt = match (buf.len() == BATCH, is_low) {
            (true, false) => conn.prepare_cached(&full_high)?,
            (true, true) => conn.prepare_cached(&full_low)?,
            (false, _) => conn.prepare_cached(&insert_sql(head, cols, buf.len()))?,
        };
        for (i, r) in buf.iter().enumerate() {
            let at = i * cols;
            stmt.raw_bind_parameter(at + 1, r.a)?;
            stmt.raw_bind_parameter(at + 2, r.b)?;
            stmt.raw_bind_parameter(at + 3, r.score)?;
            if is_low {
                stmt.raw_bind_parameter(at + 4, r.keys)?;
                stmt.raw_bind_parameter(at + 5, &r.evidence)?;
                stmt.raw_bind_parameter(at + 6, run_id)?;
            } else {
                stmt.raw_bind_parameter(at + 4, r.prob)?;
                stmt.raw_bind_parameter(at + 5, r.band)?;
                stmt.raw_bind_parameter(at + 6, r.keys)?;
                stmt.raw_bind_parameter(at + 7, &r.evidence)?;
                stmt.raw_bind_parameter(at + 8, run_id)?;
            }
        }
        stmt.raw_execute()?;
        if drop_low && !is_low {
            let mut del = conn.prepare_cached("DELETE FROM match_pairs_low WHERE a = ?1 AND b = ?2")?;
            let mut del_b = conn.prepare_cached("DELETE FROM match_pairs_low_b WHERE b = ?2 AND a = ?1")?;
            for r in buf.iter() {
                del.execute(params![r.a, r.b])?;
                del_b.execute(params![r.a, r.b])?;
            }
        }
        buf.clear();
        Ok(())
    };
    for r in pairs {
        n += 1;
        let is_low = r.band == "non-match";
        let buf = if is_low { &mut low } else { &mut high };
        buf.push(r);
        if buf.len() == BATCH {
            flush(buf, is_low)?;
        }
    }
    if !high.is_empty() {
        flush(&mut high, false)?;
    }
    if !low.is_empty() {
        flush(&mut low, true)?;
    }
    Ok(n)
}

/// An incremental run's pairs, written in the order match_pairs_low_b
/// keeps them, (b, a): appended rather than spread over the new customers'
/// part of it (in (a, b) order that cost more than the random writes the
/// table saves).
pub fn insert_pairs_incremental(conn: &Connection, run_id: i64, mut rows: Vec<PairRow>) -> Result<u64> {
    rows.sort_unstable_by_key(|r| (r.b, r.a));
    insert_pairs(conn, run_id, &mut rows.into_iter(), PairWrite::Incremental)
}

/// The highest customer id any run stored keys for (0 for none). Every
/// customer a run compares gets its keys row, and its pairs are only with
/// customers that have one, so nothing is stored for a customer above it.
/// The last run's high-water mark is no such bound: a full run loads
/// customers imported while it loads, and an undo part-way through removes
/// customers whose ids a new customer may take again.
fn keyed_up_to(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT ifnull(max(customer_id), 0) FROM match_customer_keys", [], |r| r.get(0))?)
}

/// Forgets the pairs of customers that changed, for run `run_id`, and puts
/// `keys` (every (hash, customer) the changed customers hold now) in place
/// of the keys they held. Their non-match pairs stored under another
/// customer are marked stale instead (see match_pairs_stale). Customers
/// above `keyed_up_to` have nothing stored to forget (most of a large
/// import's): their keys are only inserted. The changed customers are left
/// without a match_customer_keys row, which the run writes once it knows
/// their sub-keys too.
///
/// Only the difference is written: a re-imported customer mostly keeps its
/// keys, and each key removed and put back was a write at a random place in
/// a large index (at 48k changed customers in 1.67M, 4.3 s of the run's
/// 17.8 s). Sub-keys of oversized blocks are never in `keys`: they go here
/// and the run puts back those still needed.
///
/// Returns the (hash, customer) keys the changed customers held before.
pub fn forget(conn: &Connection, ids: &[i64], run_id: i64, keys: &[(u64, i64)]) -> Result<Vec<(u64, i64)>> {
    let seen_up_to = keyed_up_to(conn)?;
    let mut dp = conn.prepare_cached("DELETE FROM match_pairs WHERE a = ?1")?;
    let mut dpb = conn.prepare_cached("DELETE FROM match_pairs WHERE b = ?1")?;
    let mut dl = conn.prepare_cached("DELETE FROM match_pairs_low WHERE a = ?1")?;
    let mut dlb = conn.prepare_cached("DELETE FROM match_pairs_low_b WHERE b = ?1")?;
    let mut stale =
        conn.prepare_cached("INSERT OR REPLACE INTO match_pairs_stale (customer_id, run_id) VALUES (?1, ?2)")?;
    let mut dc = conn.prepare_cached("DELETE FROM match_customer_keys WHERE customer_id = ?1")?;
    let seen: Vec<i64> = ids.iter().copied().filter(|&id| id <= seen_up_to).collect();
    let old: Vec<(u64, i64)> =
        customer_keys(conn, &seen)?.into_iter().flat_map(|(id, hs)| hs.into_iter().map(move |h| (h, id))).collect();
    for &id in &seen {
        dp.execute([id])?;
        dpb.execute([id])?;
        dl.execute([id])?;
        dlb.execute([id])?;
        stale.execute(params![id, run_id])?;
        dc.execute([id])?;
    }
    let now: HashSet<(u64, i64)> = keys.iter().copied().collect();
    let was: HashSet<(u64, i64)> = old.iter().copied().collect();
    // In the index's order (the hash as a signed integer): each page is
    // visited once.
    let mut gone: Vec<(u64, i64)> = old.iter().copied().filter(|k| !now.contains(k)).collect();
    gone.sort_unstable_by_key(|&(h, id)| (h as i64, id));
    gone.dedup();
    let mut dk = conn.prepare_cached("DELETE FROM match_keys WHERE h = ?1 AND customer_id = ?2")?;
    for (h, id) in gone {
        dk.execute(params![h as i64, id])?;
    }
    let mut added: Vec<(u64, i64)> = keys.iter().copied().filter(|k| !was.contains(k)).collect();
    added.sort_unstable_by_key(|&(h, id)| (h as i64, id));
    insert_keys(conn, &added)?;
    Ok(old)
}

/// Inserts (key hash, customer) rows, ignoring ones already there, in
/// multi-row batches.
pub fn insert_keys(conn: &Connection, keys: &[(u64, i64)]) -> Result<()> {
    const HEAD: &str = "INSERT OR IGNORE INTO match_keys (h, customer_id)";
    let mut full = conn.prepare_cached(&insert_sql(HEAD, 2, BATCH))?;
    for chunk in keys.chunks(BATCH) {
        let mut rest;
        let stmt: &mut rusqlite::Statement<'_> = if chunk.len() == BATCH {
            &mut full
        } else {
            rest = conn.prepare(&insert_sql(HEAD, 2, chunk.len()))?;
            &mut rest
        };
        for (i, &(h, id)) in chunk.iter().enumerate() {
            stmt.raw_bind_parameter(i * 2 + 1, h as i64)?;
            stmt.raw_bind_parameter(i * 2 + 2, id)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

/// Customers holding each key, at most its limit each, handed to `f` key
/// by key in the order given (read fastest in the index's order: by the
/// hash as a signed integer).
pub fn key_members(conn: &Connection, hs: &[(u64, usize)], mut f: impl FnMut(u64, Vec<i64>)) -> Result<()> {
    let mut s = conn.prepare_cached("SELECT customer_id FROM match_keys WHERE h = ?1 LIMIT ?2")?;
    for &(h, limit) in hs {
        let rows = s.query_map(params![h as i64, limit as i64], |r| r.get(0))?;
        f(h, rows.collect::<rusqlite::Result<_>>()?);
    }
    Ok(())
}

/// The key hashes each customer's match_customer_keys row holds (none for
/// a customer without one).
pub fn customer_keys(conn: &Connection, ids: &[i64]) -> Result<Vec<(i64, Vec<u64>)>> {
    let mut s = conn.prepare_cached("SELECT hashes FROM match_customer_keys WHERE customer_id = ?1")?;
    ids.iter()
        .map(|&id| {
            let b: Option<Vec<u8>> = s.query_row([id], |r| r.get(0)).optional()?;
            Ok((id, decode_hashes(&b.unwrap_or_default())))
        })
        .collect()
}

/// How many customers hold each key, in the order given (read fastest in
/// the index's order: by the hash as a signed integer).
pub fn key_counts(conn: &Connection, hs: &[u64]) -> Result<Vec<u32>> {
    let mut s = conn.prepare_cached("SELECT count(*) FROM match_keys WHERE h = ?1")?;
    hs.iter().map(|&h| Ok(s.query_row([h as i64], |r| r.get::<_, i64>(0))? as u32)).collect()
}

/// A row of match_pairs_low is read only when neither customer was
/// compared again after it was written.
const LOW_FRESH: &str = "NOT EXISTS (SELECT 1 FROM match_pairs_stale s \
     WHERE s.customer_id IN (p.a, p.b) AND s.run_id > p.run_id)";

fn probability(score: f64) -> f64 {
    crate::matching::Model::probability(score)
}

/// Pairs touching a customer with probability at least `min_prob`. Non-match
/// pairs are found only where the customer is `a` (the smaller id) of a full
/// run's pair or `b` of an incremental run's (the key each table is read
/// by): callers weigh any other pair again when they need it.
pub fn pairs_of(conn: &Connection, id: i64, min_prob: f64) -> Result<Vec<(i64, i64, f64)>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT a, b, score FROM match_pairs WHERE a = ?1 AND prob >= ?2",
        "SELECT a, b, score FROM match_pairs WHERE b = ?1 AND prob >= ?2",
    ] {
        let mut s = conn.prepare_cached(sql)?;
        for r in s.query_map(params![id, min_prob], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            out.push(r?);
        }
    }
    for sql in [
        format!("SELECT a, b, score FROM match_pairs_low p WHERE a = ?1 AND {LOW_FRESH}"),
        format!("SELECT a, b, score FROM match_pairs_low_b p WHERE b = ?1 AND {LOW_FRESH}"),
    ] {
        let mut s = conn.prepare_cached(&sql)?;
        for r in s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            let r: (i64, i64, f64) = r?;
            if probability(r.2) >= min_prob {
                out.push(r);
            }
        }
    }
    Ok(out)
}

pub fn pair(conn: &Connection, a: i64, b: i64) -> Result<Option<PairRow>> {
    let (a, b) = (a.min(b), a.max(b));
    let high = conn
        .prepare_cached("SELECT a, b, score, prob, band, keys, evidence FROM match_pairs WHERE a = ?1 AND b = ?2")?
        .query_row(params![a, b], |r| {
            let band: String = r.get(4)?;
            Ok(PairRow {
                a: r.get(0)?,
                b: r.get(1)?,
                score: r.get(2)?,
                prob: r.get(3)?,
                band: match band.as_str() {
                    "match" => "match",
                    "review" => "review",
                    _ => "non-match",
                },
                keys: r.get(5)?,
                evidence: r.get(6)?,
            })
        })
        .optional()?;
    if high.is_some() {
        return Ok(high);
    }
    for t in ["match_pairs_low", "match_pairs_low_b"] {
        let low = conn
            .prepare_cached(&format!(
                "SELECT a, b, score, keys, evidence FROM {t} p WHERE a = ?1 AND b = ?2 AND {LOW_FRESH}"
            ))?
            .query_row(params![a, b], |r| {
                let score: f64 = r.get(2)?;
                Ok(PairRow {
                    a: r.get(0)?,
                    b: r.get(1)?,
                    score,
                    prob: probability(score),
                    band: "non-match",
                    keys: r.get(3)?,
                    evidence: r.get(4)?,
                })
            })
            .optional()?;
        if low.is_some() {
            return Ok(low);
        }
    }
    Ok(None)
}

/// Every stored pair (a, b, probability, band), in (a, b) order: the two
/// tables, each read in key order, merged.
fn for_each_pair(conn: &Connection, with_numbers: bool, mut f: impl FnMut(PairOut<'_>) -> Result<()>) -> Result<u64> {
    // Both tables share the alias `p`, so the customer-number join reads the same.
    let numbers = if with_numbers {
        ", p.keys, ca.number, cb.number FROM {t} p JOIN customers ca ON ca.id = p.a JOIN customers cb ON cb.id = p.b"
    } else {
        ", p.keys, '', '' FROM {t} p"
    };
    let from = |t: &str| numbers.replace("{t}", t);
    let mut hs = conn.prepare(&format!("SELECT p.a, p.b, p.prob, p.band{} ORDER BY p.a, p.b", from("match_pairs")))?;
    // The two non-match tables hold no pair twice (a pair an incremental
    // run writes has a customer it marked stale, which hides the older
    // row); SQLite merges the full run's rows, read in key order, with the
    // incremental runs', sorted.
    let mut ls = conn.prepare(&format!(
        "SELECT p.a, p.b, p.score, 'non-match'{} WHERE {LOW_FRESH} \
         UNION ALL SELECT p.a, p.b, p.score, 'non-match'{} WHERE {LOW_FRESH} ORDER BY 1, 2",
        from("match_pairs_low"),
        from("match_pairs_low_b")
    ))?;
    let mut hr = hs.query([])?;
    let mut lr = ls.query([])?;
    type Cur = Option<(i64, i64, f64, String, u32, String, String)>;
    let read = |row: Option<&rusqlite::Row<'_>>, low: bool| -> Result<Cur> {
        let Some(r) = row else { return Ok(None) };
        let x: f64 = r.get(2)?;
        let keys = r.get::<_, i64>(4)? as u32;
        Ok(Some((r.get(0)?, r.get(1)?, if low { probability(x) } else { x }, r.get(3)?, keys, r.get(5)?, r.get(6)?)))
    };
    let mut h = read(hr.next()?, false)?;
    let mut l = read(lr.next()?, true)?;
    let mut n = 0;
    loop {
        let take_high = match (&h, &l) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) => (x.0, x.1) <= (y.0, y.1),
        };
        let cur = if take_high { h.take() } else { l.take() }.expect("a row");
        // The same pair in both tables (written by a version before the
        // split): match_pairs wins.
        if take_high {
            if let Some(y) = &l {
                if (y.0, y.1) == (cur.0, cur.1) {
                    l = read(lr.next()?, true)?;
                }
            }
            h = read(hr.next()?, false)?;
        } else {
            l = read(lr.next()?, true)?;
        }
        f(PairOut { a: cur.0, b: cur.1, prob: cur.2, band: &cur.3, keys: cur.4, number_a: &cur.5, number_b: &cur.6 })?;
        n += 1;
    }
    Ok(n)
}

/// One pair as `for_each_pair` yields it.
pub struct PairOut<'a> {
    pub a: i64,
    pub b: i64,
    pub prob: f64,
    pub band: &'a str,
    /// Bit i: blocking key i of the run produced the pair.
    pub keys: u32,
    pub number_a: &'a str,
    pub number_b: &'a str,
}

/// Streams every pair with both customer numbers, in id order.
pub fn for_each_pair_numbers(conn: &Connection, mut f: impl FnMut(&str, &str, f64, &str) -> Result<()>) -> Result<u64> {
    for_each_pair(conn, true, |p| f(p.number_a, p.number_b, p.prob, p.band))
}

/// (a, b) of every stored pair.
pub fn all_pair_ids(conn: &Connection) -> Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for_each_pair(conn, false, |p| {
        out.push((p.a, p.b));
        Ok(())
    })?;
    Ok(out)
}

/// (a, b, key bits) of every stored pair.
pub fn all_pair_keys(conn: &Connection) -> Result<Vec<(i64, i64, u32)>> {
    let mut out = Vec::new();
    for_each_pair(conn, false, |p| {
        out.push((p.a, p.b, p.keys));
        Ok(())
    })?;
    Ok(out)
}

/// (source, source key, customer) of every source record that made or
/// joined a customer.
pub fn source_customers(conn: &Connection) -> Result<Vec<(String, String, i64)>> {
    let mut stmt =
        conn.prepare("SELECT source, source_key, customer_id FROM source_records WHERE customer_id IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `merged_into` of every absorbed customer.
pub fn merged_map(conn: &Connection) -> Result<HashMap<i64, i64>> {
    let mut s = conn.prepare("SELECT id, merged_into FROM customers WHERE merged_into IS NOT NULL")?;
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn rejections(conn: &Connection) -> Result<Vec<(i64, i64)>> {
    let mut s = conn.prepare("SELECT a, b FROM match_rejections")?;
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert_rejection(conn: &Connection, a: i64, b: i64, cluster: Option<i64>, actor: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO match_rejections (a, b, cluster_id, actor, at) VALUES (?1,?2,?3,?4,?5)",
    )?
    .execute(params![a.min(b), a.max(b), cluster, actor, at])?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ClusterRow {
    pub id: i64,
    pub signature: String,
    pub score: f64,
    pub state: String,
    pub skipped: bool,
    /// (customer id, version when built)
    pub members: Vec<(i64, i64)>,
}

fn cluster_members(conn: &Connection, id: i64) -> Result<Vec<(i64, i64)>> {
    let mut s = conn.prepare_cached(
        "SELECT customer_id, version FROM match_cluster_members WHERE cluster_id = ?1 ORDER BY customer_id",
    )?;
    let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_cluster(conn: &Connection, id: i64) -> Result<Option<ClusterRow>> {
    let row = conn
        .prepare_cached("SELECT id, signature, score, state, skipped_at IS NOT NULL FROM match_clusters WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(ClusterRow {
                id: r.get(0)?,
                signature: r.get(1)?,
                score: r.get(2)?,
                state: r.get(3)?,
                skipped: r.get(4)?,
                members: Vec::new(),
            })
        })
        .optional()?;
    match row {
        Some(mut c) => {
            c.members = cluster_members(conn, c.id)?;
            Ok(Some(c))
        }
        None => Ok(None),
    }
}

/// The first `limit` open clusters in queue order.
pub fn open_clusters_head(conn: &Connection, limit: usize) -> Result<Vec<ClusterRow>> {
    let mut s = conn.prepare_cached(
        "SELECT id FROM match_clusters WHERE state = 'open' ORDER BY skipped_at IS NOT NULL, skipped_at, score DESC, id LIMIT ?1",
    )?;
    let ids: Vec<i64> = s.query_map([limit as i64], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(get_cluster(conn, id)?);
    }
    Ok(out)
}

/// Open clusters, best first, skipped ones last.
pub fn open_clusters(conn: &Connection) -> Result<Vec<ClusterRow>> {
    let mut s = conn.prepare(
        "SELECT id FROM match_clusters WHERE state = 'open' ORDER BY skipped_at IS NOT NULL, skipped_at, score DESC, id",
    )?;
    let ids: Vec<i64> = s.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(get_cluster(conn, id)?);
    }
    Ok(out)
}

/// Ids of open clusters a customer is in.
pub fn open_clusters_of(conn: &Connection, customer: i64) -> Result<Vec<i64>> {
    let mut s = conn.prepare_cached(
        "SELECT m.cluster_id FROM match_cluster_members m JOIN match_clusters c ON c.id = m.cluster_id \
         WHERE m.customer_id = ?1 AND c.state = 'open'",
    )?;
    let rows = s.query_map([customer], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open clusters keyed by signature.
pub fn open_signatures(conn: &Connection) -> Result<HashMap<String, i64>> {
    let mut s = conn.prepare("SELECT signature, id FROM match_clusters WHERE state = 'open'")?;
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The open ones of these clusters keyed by signature.
pub fn open_signatures_of(conn: &Connection, ids: &[i64]) -> Result<HashMap<String, i64>> {
    let mut s = conn.prepare_cached("SELECT signature FROM match_clusters WHERE id = ?1 AND state = 'open'")?;
    let mut out = HashMap::new();
    for &id in ids {
        if let Some(sig) = s.query_row([id], |r| r.get::<_, String>(0)).optional()? {
            out.insert(sig, id);
        }
    }
    Ok(out)
}

/// A cluster to insert: signature, score, members as (customer, version).
pub type NewCluster<'a> = (String, f64, &'a [(i64, i64)]);

/// Inserts open clusters in multi-row batches, ids assigned in order after
/// the largest one.
pub fn insert_clusters(conn: &Connection, run_id: i64, clusters: &[NewCluster<'_>], now: &str) -> Result<()> {
    let mut next: i64 = conn.query_row("SELECT ifnull(max(id), 0) + 1 FROM match_clusters", [], |r| r.get(0))?;
    const HEAD_C: &str = "INSERT INTO match_clusters (id, run_id, signature, score, size, state, created_at)";
    const HEAD_M: &str = "INSERT INTO match_cluster_members (cluster_id, customer_id, version)";
    let mut members: Vec<(i64, i64, i64)> = Vec::new();
    for chunk in clusters.chunks(BATCH) {
        let sql = format!("{HEAD_C} VALUES {}", vec!["(?,?,?,?,?,'open',?)"; chunk.len()].join(","));
        let mut stmt = conn.prepare_cached(&sql)?;
        for (i, (sig, score, ms)) in chunk.iter().enumerate() {
            let at = i * 6;
            stmt.raw_bind_parameter(at + 1, next)?;
            stmt.raw_bind_parameter(at + 2, run_id)?;
            stmt.raw_bind_parameter(at + 3, sig)?;
            stmt.raw_bind_parameter(at + 4, score)?;
            stmt.raw_bind_parameter(at + 5, ms.len() as i64)?;
            stmt.raw_bind_parameter(at + 6, now)?;
            members.extend(ms.iter().map(|&(c, v)| (next, c, v)));
            next += 1;
        }
        stmt.raw_execute()?;
        for part in members.chunks(BATCH) {
            let mut stmt = conn.prepare_cached(&insert_sql(HEAD_M, 3, part.len()))?;
            for (i, &(cl, c, v)) in part.iter().enumerate() {
                stmt.raw_bind_parameter(i * 3 + 1, cl)?;
                stmt.raw_bind_parameter(i * 3 + 2, c)?;
                stmt.raw_bind_parameter(i * 3 + 3, v)?;
            }
            stmt.raw_execute()?;
        }
        members.clear();
    }
    Ok(())
}

pub fn set_cluster_state(conn: &Connection, id: i64, state: &str, actor: Option<&str>, now: &str) -> Result<()> {
    conn.prepare_cached("UPDATE match_clusters SET state = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1")?
        .execute(params![id, state, now, actor])?;
    Ok(())
}

/// Takes a rejection back: the cluster is open again (its score, place and
/// signature as they were) and the pairs it remembered as different are
/// forgotten. Returns whether it was rejected (a cluster decided otherwise
/// since is left alone).
pub fn unreject_cluster(conn: &Connection, id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE match_clusters SET state = 'open', decided_at = NULL, decided_by = NULL
             WHERE id = ?1 AND state = 'rejected'",
        )?
        .execute([id])?;
    if n == 0 {
        return Ok(false);
    }
    conn.prepare_cached("DELETE FROM match_rejections WHERE cluster_id = ?1")?.execute([id])?;
    Ok(true)
}

/// Puts an approved cluster back in the queue, open as it was (its score,
/// its place, a skip kept), with its members at the versions they have now
/// and the signature that goes with them. Returns whether it was reopened
/// (a cluster decided otherwise since is left alone).
pub fn reopen_cluster(conn: &Connection, id: i64, signature: &str, members: &[(i64, i64)]) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE match_clusters SET state = 'open', signature = ?2, decided_at = NULL, decided_by = NULL
             WHERE id = ?1 AND state = 'approved'",
        )?
        .execute(params![id, signature])?;
    if n == 0 {
        return Ok(false);
    }
    let mut s = conn
        .prepare_cached("UPDATE match_cluster_members SET version = ?3 WHERE cluster_id = ?1 AND customer_id = ?2")?;
    for &(c, v) in members {
        s.execute(params![id, c, v])?;
    }
    Ok(true)
}

pub fn set_skipped(conn: &Connection, id: i64, now: &str) -> Result<()> {
    conn.execute("UPDATE match_clusters SET skipped_at = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}

/// Current versions and liveness of customers.
pub fn versions(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, (i64, bool)>> {
    let mut s = conn.prepare_cached("SELECT version, merged_into IS NULL FROM customers WHERE id = ?1")?;
    let mut out = HashMap::new();
    for &id in ids {
        if let Some(v) = s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()? {
            out.insert(id, v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(conn: &Connection, id: i64) -> (i64, i64) {
        let n = |sql: &str| conn.query_row(sql, [id], |r| r.get(0)).unwrap();
        (
            n("SELECT count(*) FROM match_keys WHERE customer_id = ?1"),
            n("SELECT count(*) FROM match_customer_keys WHERE customer_id = ?1"),
        )
    }

    /// Keys stored for a customer above the last run's high-water mark (a
    /// full run that loaded customers imported while it ran; an id a
    /// part-way undo freed and a new customer took) are still forgotten:
    /// the bound is what is stored, not the mark.
    #[test]
    fn forget_reaches_every_customer_with_stored_keys() {
        let store = crate::store::Store::open_in_memory().unwrap();
        let conn = store.conn();
        assert_eq!(keyed_up_to(conn).unwrap(), 0);
        let hashes: Vec<Vec<u64>> = (1..=5).map(|i| vec![100 + i as u64, 7]).collect();
        insert_customer_keys(conn, (1..=5i64).zip(hashes.iter().map(|h| h.as_slice()))).unwrap();
        let rows: Vec<(u64, i64)> = (1..=5i64).flat_map(|i| [(100 + i as u64, i), (7, i)]).collect();
        insert_keys(conn, &rows).unwrap();
        assert_eq!(keyed_up_to(conn).unwrap(), 5);
        // The last run's mark said 3; customer 5 was keyed all the same.
        forget(conn, &[2, 5, 9], 1, &[]).unwrap();
        assert_eq!(keys_of(conn, 5), (0, 0), "customer 5's keys are forgotten");
        assert_eq!(keys_of(conn, 2), (0, 0));
        assert_eq!(keys_of(conn, 4), (2, 1), "an unchanged customer keeps its keys");
    }

    /// A changed customer ends up with exactly the keys it holds now: the
    /// ones it lost go, the ones it kept stay, new ones and new customers'
    /// come in; a customer that changed without being loaded (absorbed,
    /// removed) holds none.
    #[test]
    fn forget_puts_the_keys_of_now_in_place_of_the_old() {
        let store = crate::store::Store::open_in_memory().unwrap();
        let conn = store.conn();
        let old: Vec<(i64, Vec<u64>)> = vec![(1, vec![10, 11, 12]), (2, vec![10, 20]), (3, vec![30, 31])];
        insert_customer_keys(conn, old.iter().map(|(id, h)| (*id, h.as_slice()))).unwrap();
        let rows: Vec<(u64, i64)> = old.iter().flat_map(|(id, hs)| hs.iter().map(move |&h| (h, *id))).collect();
        insert_keys(conn, &rows).unwrap();
        // 1 keeps 10 and 12, loses 11, gains 13 and a key with the sign bit
        // set; 2 is gone; 3 is unchanged; 4 is new.
        let now = vec![(10, 1), (12, 1), (13, 1), (u64::MAX - 1, 1), (40, 4)];
        forget(conn, &[1, 2, 4], 7, &now).unwrap();
        let mut held: Vec<(u64, i64)> = conn
            .prepare("SELECT h, customer_id FROM match_keys")
            .unwrap()
            .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        held.sort_unstable();
        let mut want = now.clone();
        want.extend([(30, 3), (31, 3)]);
        want.sort_unstable();
        assert_eq!(held, want);
        assert_eq!(keys_of(conn, 2), (0, 0));
        assert_eq!(keys_of(conn, 1).1, 0, "the changed customer's keys row waits for the run to write it");
        assert_eq!(keys_of(conn, 3), (2, 1));
    }
}
