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
    /// Blank rows passed over (every cell empty): neither read nor rejected.
    pub blank: i64,
}

pub struct NewSourceRecord<'a> {
    pub source: &'a str,
    pub source_key: &'a str,
    pub batch_id: i64,
    pub row_number: i64,
    pub raw_json: &'a str,
    pub customer_id: Option<i64>,
}

/// What a batch row records about how its file was read.
pub struct NewBatch<'a> {
    pub source: &'a str,
    pub file_name: &'a str,
    pub file_path: &'a str,
    pub options_json: &'a str,
    pub encoding: &'a str,
    pub headers_json: &'a str,
    pub mapping_json: &'a str,
    pub actor: &'a str,
    /// `--reminders-from`: events of its customers before this day (YYYY-MM-DD) raise no reminder.
    pub reminders_from: Option<&'a str>,
}

pub(crate) fn create_batch(conn: &Connection, b: &NewBatch<'_>, now: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO import_batches (source, file_name, file_path, options, pid, encoding, headers, mapping, actor, started_at, status, reminders_from) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,'running',?11)",
        params![
            b.source,
            b.file_name,
            b.file_path,
            b.options_json,
            std::process::id(),
            b.encoding,
            b.headers_json,
            b.mapping_json,
            b.actor,
            now,
            b.reminders_from
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// How a batch was started: (file path, options JSON, mapping JSON, pid).
pub(crate) fn batch_origin(conn: &Connection, id: i64) -> Result<(String, String, String, Option<i64>)> {
    Ok(conn.query_row("SELECT file_path, options, mapping, pid FROM import_batches WHERE id = ?1", [id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?)
}

pub(crate) fn claim_batch(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE import_batches SET pid = ?2, status = 'running', finished_at = NULL WHERE id = ?1",
        params![id, std::process::id()],
    )?;
    Ok(())
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
         rows_warned=?6, rows_rejected=?7, status=?8, finished_at=?9, rows_blank=?10 WHERE id=?1",
        params![
            id,
            counts.read,
            counts.imported,
            counts.updated,
            counts.unchanged,
            counts.warned,
            counts.rejected,
            status.as_str(),
            finished_at,
            counts.blank
        ],
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn log_issue(
    conn: &Connection,
    batch_id: i64,
    row_number: i64,
    column: Option<&str>,
    field: Option<&str>,
    rule: &str,
    severity: &str,
    message: &str,
    raw_json: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO import_issues (batch_id, row_number, column_name, field, rule, severity, message, raw) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
    )?
    .execute(params![batch_id, row_number, column, field, rule, severity, message, raw_json])?;
    Ok(())
}

/// A row a batch rejected, as it was read, with every reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub row: i64,
    pub cells: Vec<String>,
    pub reasons: Vec<String>,
}

/// One logged warning or rejection.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoggedIssue {
    pub row: i64,
    pub column: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
}

/// Rows a batch rejected, in file order.
pub fn rejected_rows(conn: &Connection, batch_id: i64) -> Result<Vec<RejectedRow>> {
    let mut stmt = conn.prepare(
        "SELECT row_number, raw, column_name, message FROM import_issues \
         WHERE batch_id = ?1 AND severity = 'error' ORDER BY row_number, id",
    )?;
    let mut out: Vec<RejectedRow> = Vec::new();
    let rows = stmt.query_map([batch_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (n, raw, col, msg) = row?;
        let reason = match col {
            Some(c) => format!("{c}: {msg}"),
            None => msg,
        };
        match out.last_mut() {
            Some(last) if last.row == n => last.reasons.push(reason),
            _ => {
                let cells = raw.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default();
                out.push(RejectedRow { row: n, cells, reasons: vec![reason] });
            }
        }
    }
    Ok(out)
}

pub(crate) fn record_before_image(conn: &Connection, batch_id: i64, customer_id: i64, before: &str) -> Result<()> {
    // With the merges the customer survived then: a merge made since keeps
    // the customer's own values in its `before` (see `undo`).
    let survived = serde_json::json!(super::merges::open_merges_on(conn, customer_id)?).to_string();
    conn.prepare_cached(
        "INSERT INTO batch_changes (batch_id, customer_id, before) VALUES (?1,?2,json_set(?3, '$.survived', json(?4)))
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![batch_id, customer_id, before, survived])?;
    Ok(())
}

/// Keeps what a batch wrote to a customer (a `customers::snapshot` after
/// its latest write), beside the before-image: undo restores only the
/// values that still hold what the batch wrote.
pub(crate) fn record_written(
    conn: &Connection,
    batch_id: i64,
    customer_id: i64,
    wrote: &serde_json::Value,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE batch_changes SET before = json_set(before, '$.wrote', json(?3)) WHERE batch_id = ?1 AND customer_id = ?2",
    )?
    .execute(params![batch_id, customer_id, wrote.to_string()])?;
    Ok(())
}

/// Keeps, beside a batch's before-image of `customer_id`, that the batch
/// wrote custom value `name` into a slot holding merge entry `entry`'s copy
/// (see `merges::claim_custom_copy`): its undo releases the copy.
pub(crate) fn record_custom_copy(
    conn: &Connection,
    batch_id: i64,
    customer_id: i64,
    name: &str,
    entry: i64,
) -> Result<()> {
    let image: String = conn
        .prepare_cached("SELECT before FROM batch_changes WHERE batch_id = ?1 AND customer_id = ?2")?
        .query_row(params![batch_id, customer_id], |r| r.get(0))?;
    let mut image: serde_json::Value = serde_json::from_str(&image)?;
    let mut copies = image["copies"].as_array().cloned().unwrap_or_default();
    copies.push(serde_json::json!([name, entry]));
    image["copies"] = serde_json::Value::Array(copies);
    conn.prepare_cached("UPDATE batch_changes SET before = ?3 WHERE batch_id = ?1 AND customer_id = ?2")?
        .execute(params![batch_id, customer_id, image.to_string()])?;
    Ok(())
}

/// Fields of `customer` set by hand. A value a batch carried up to it
/// through a merge from a member's record is the member's, not the
/// customer's: typed in by hand (even as the value it shows), it is the
/// customer's own, and the batch's undo leaves it, as it would the same
/// edit where nothing was merged (there it changed the customer's own
/// value). A value the batch wrote as the customer's own (the first open
/// merge's `before`, or no merge) goes back with the undo as before.
pub(crate) fn set_by_hand(conn: &Connection, customer: i64, fields: &[crate::domain::Field]) -> Result<()> {
    let Some(&first) = super::merges::open_merges_on(conn, customer)?.first() else { return Ok(()) };
    let own_key = format!("m{first}");
    let rows: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT x.batch_id, x.before FROM batch_changes x JOIN import_batches b ON b.id = x.batch_id
             WHERE x.customer_id = ?1 AND b.status != 'undone' AND json_extract(x.before, '$.merge_after') IS NOT NULL",
        )?
        .query_map([customer], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    for (batch, before) in rows {
        let mut image: serde_json::Value = serde_json::from_str(&before)?;
        if image.get("wrote").is_none() {
            continue;
        }
        let mut changed = false;
        for f in fields.iter().map(|f| f.name()) {
            let own = text(&image["merge_before"][&own_key]["fields"][f])
                != text(&image["merge_bwrote"][&own_key]["fields"][f]);
            let carried = image["merge_after"]
                .as_object()
                .into_iter()
                .flatten()
                .any(|(k, was)| text(&was["fields"][f]) != text(&image["merge_wrote"][k]["fields"][f]));
            let b = image["fields"][f].clone();
            if carried && !own && image["wrote"]["fields"][f] != b {
                image["wrote"]["fields"][f] = b;
                changed = true;
            }
        }
        if changed {
            conn.prepare_cached("UPDATE batch_changes SET before = ?3 WHERE batch_id = ?1 AND customer_id = ?2")?
                .execute(params![batch, customer, image.to_string()])?;
        }
    }
    Ok(())
}

/// Keeps a merge's golden state `side` as it was before the batch first
/// changed it (`was`) and as the batch left it (`now`), with the
/// before-image of the merge's survivor `customer_id`, so that undoing the
/// batch puts it back.
pub(crate) fn record_merge_side(
    conn: &Connection,
    batch_id: i64,
    customer_id: i64,
    merge: i64,
    side: super::merges::Side,
    was: &serde_json::Value,
    now: &serde_json::Value,
) -> Result<()> {
    let (was_key, wrote_key) = side_keys(side);
    conn.prepare_cached(&format!(
        "UPDATE batch_changes SET before = json_set(json_insert(before, '$.{was_key}.m' || ?3, json(?4)),
                                                  '$.{wrote_key}.m' || ?3, json(?5))
         WHERE batch_id = ?1 AND customer_id = ?2"
    ))?
    .execute(params![batch_id, customer_id, merge, was.to_string(), now.to_string()])?;
    Ok(())
}

/// Where a batch's image keeps a merge side as it was and as it wrote it.
fn side_keys(side: super::merges::Side) -> (&'static str, &'static str) {
    match side {
        super::merges::Side::After => ("merge_after", "merge_wrote"),
        super::merges::Side::Before => ("merge_before", "merge_bwrote"),
    }
}

/// After an unmerge of `merge`, the values batches not undone carried to its
/// survivor `customer` through the merge have gone back with their
/// customer: undoing such a batch must not touch them on the survivor.
/// The values a batch wrote into the merge's `before` (the survivor's own,
/// re-imported while it was merged) are what the survivor shows again
/// (`shown`, a golden state, whose fields `taken` the unmerge took from the
/// merge): undoing the batch puts back what they were.
pub(crate) fn forget_merge_changes(
    conn: &Connection,
    customer: i64,
    merge: i64,
    shown: &serde_json::Value,
    taken: &[&str],
) -> Result<()> {
    let key = format!("m{merge}");
    // Latest batch first: each batch's own values are the ones the next
    // replaced, so they are walked back from what the survivor shows.
    let rows: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT x.batch_id, x.before FROM batch_changes x JOIN import_batches b ON b.id = x.batch_id
             WHERE x.customer_id = ?1 AND b.status != 'undone'
               AND (json_extract(x.before, '$.merge_after.' || ?2) IS NOT NULL
                    OR json_extract(x.before, '$.merge_before.' || ?2) IS NOT NULL)
             ORDER BY x.batch_id DESC",
        )?
        .query_map(params![customer, key], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    // Per field, the value the next later batch found (what the survivor
    // shows, for the latest): a batch whose write it is hands the undo its
    // own before-value; one whose write is not (replaced by something no
    // batch wrote) ends the chain, and so every earlier one.
    let mut expect: std::collections::HashMap<String, Option<Option<String>>> = std::collections::HashMap::new();
    for (batch, before) in rows {
        let mut image: serde_json::Value = serde_json::from_str(&before)?;
        let has_wrote = image.get("wrote").is_some();
        // A field of the merge's `before` the batch changed too was only
        // passed on: it stays with the survivor (see below). The batch may
        // also have carried other fields up from a member's record: those
        // went back with the member.
        let (own_was, own_wrote) = (&image["merge_before"][&key]["fields"], &image["merge_bwrote"][&key]["fields"]);
        let passed_on: Vec<String> = own_was
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(f, v)| text(v) != text(&own_wrote[f.as_str()]))
            .map(|(f, _)| f.clone())
            .collect();
        let (was, wrote) = (image["merge_after"][&key].clone(), image["merge_wrote"][&key].clone());
        for (f, v) in was["fields"].as_object().into_iter().flatten() {
            if wrote["fields"][f] != *v && has_wrote && !passed_on.contains(f) {
                image["wrote"]["fields"][f] = image["fields"][f].clone();
            }
        }
        if let Some(m) = image["merge_after"].as_object_mut() {
            m.remove(&key);
        }
        let (was, wrote) = (image["merge_before"][&key].clone(), image["merge_bwrote"][&key].clone());
        for (f, v) in was["fields"].as_object().into_iter().flatten() {
            let w = &wrote["fields"][f];
            if text(w) == text(v) {
                continue;
            }
            let found = expect.entry(f.clone()).or_insert_with(|| Some(text(&shown["fields"][f])));
            if found.as_ref() == Some(&text(w)) && taken.contains(&f.as_str()) && has_wrote {
                image["fields"][f] = v.clone();
                image["wrote"]["fields"][f] = w.clone();
                *found = Some(text(v));
            } else {
                *found = None;
            }
        }
        conn.prepare_cached("UPDATE batch_changes SET before = ?3 WHERE batch_id = ?1 AND customer_id = ?2")?
            .execute(params![batch, customer, image.to_string()])?;
    }
    Ok(())
}

pub fn remembered_mapping(conn: &Connection, source: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT mapping FROM source_mappings WHERE source = ?1", [source], |r| r.get(0)).optional()?)
}

pub(crate) fn remember_mapping(conn: &Connection, source: &str, toml: &str, actor: &str, now: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO source_mappings (source, mapping, updated_at, updated_by) VALUES (?1,?2,?3,?4) \
         ON CONFLICT(source) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        params![source, toml, now, actor],
    )?;
    Ok(())
}

/// Why a batch cannot be undone, if it cannot.
pub(crate) fn undo_blocker(conn: &Connection, batch_id: i64) -> Result<Option<String>> {
    let later: Option<i64> = conn.query_row(
        "SELECT min(b) FROM (
                SELECT batch_id AS b FROM source_records WHERE created_batch_id = ?1 AND batch_id != ?1
                UNION ALL
                SELECT s.batch_id FROM source_record_history h JOIN source_records s ON s.id = h.source_record_id
                    WHERE h.replaced_by_batch = ?1 AND s.batch_id != ?1)",
        [batch_id],
        |r| r.get(0),
    )?;
    if let Some(b) = later {
        return Ok(Some(format!("batch {b} re-imported rows of this batch since; undo batch {b} first")));
    }
    let merged: Option<String> = conn
        .query_row(
            "SELECT number FROM customers c WHERE merged_into IS NOT NULL AND (batch_id = ?1
                OR EXISTS (SELECT 1 FROM batch_changes x WHERE x.batch_id = ?1 AND x.customer_id = c.id
                           AND json_extract(x.before, '$.merged_into') IS NOT c.merged_into)
                OR merged_into IN (SELECT id FROM customers WHERE batch_id = ?1)) LIMIT 1",
            [batch_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(n) = merged {
        return Ok(Some(format!("{n} from this batch has been merged; unmerge it first")));
    }
    let edited: Option<String> = conn
        .query_row(
            "SELECT c.number FROM customers c WHERE c.batch_id = ?1 AND (
                EXISTS (SELECT 1 FROM batch_changes x JOIN import_batches b ON b.id = x.batch_id
                        WHERE x.customer_id = c.id AND x.batch_id != ?1 AND b.status != 'undone')
                OR EXISTS (SELECT 1 FROM audit_log a WHERE a.customer_id = c.id)
                OR EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.batch_id IS NOT ?1)
                OR EXISTS (SELECT 1 FROM contacts k WHERE k.customer_id = c.id AND k.batch_id IS NOT ?1)
                OR EXISTS (SELECT 1 FROM source_records s WHERE s.customer_id = c.id AND s.created_batch_id != ?1
                    AND NOT EXISTS (SELECT 1 FROM source_record_history h WHERE h.source_record_id = s.id AND h.replaced_by_batch = ?1))) LIMIT 1",
            [batch_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(n) = edited {
        return Ok(Some(format!("{n}, created by this batch, has been changed since; undoing would lose that work")));
    }
    Ok(None)
}

/// The steps of an undo, in order: each removes or restores one kind of
/// row the batch wrote (`undo_step`). Every boundary between two pieces of
/// a step leaves the database consistent (every reference valid), so an
/// undo can commit between any two pieces and continue from its cursor.
pub(crate) const UNDO_STEPS: i64 = 13;

/// Where an undo stands: the row in `batch_undos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoProgress {
    pub batch_id: i64,
    pub actor: String,
    pub pid: Option<i64>,
    pub started_at: String,
    pub step: i64,
    pub cursor: i64,
    pub chunks: i64,
    pub removed: i64,
    pub restored: i64,
}

pub(crate) fn undo_progress(conn: &Connection, batch_id: i64) -> Result<Option<UndoProgress>> {
    Ok(conn
        .prepare_cached(
            "SELECT batch_id, actor, pid, started_at, step, cursor, chunks, removed, restored FROM batch_undos WHERE batch_id = ?1",
        )?
        .query_row([batch_id], row_to_undo)
        .optional()?)
}

fn row_to_undo(r: &Row<'_>) -> rusqlite::Result<UndoProgress> {
    Ok(UndoProgress {
        batch_id: r.get(0)?,
        actor: r.get(1)?,
        pid: r.get(2)?,
        started_at: r.get(3)?,
        step: r.get(4)?,
        cursor: r.get(5)?,
        chunks: r.get(6)?,
        removed: r.get(7)?,
        restored: r.get(8)?,
    })
}

/// Every batch part-way through an undo.
pub fn undos_in_progress(conn: &Connection) -> Result<Vec<UndoProgress>> {
    let mut stmt = conn.prepare_cached(
        "SELECT batch_id, actor, pid, started_at, step, cursor, chunks, removed, restored FROM batch_undos ORDER BY batch_id",
    )?;
    let rows = stmt.query_map([], row_to_undo)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Starts an undo: counts what it will remove and restore, and records it
/// as under way (the batch reads 'undoing' from here on).
pub(crate) fn begin_undo(conn: &Connection, batch_id: i64, actor: &str, now: &str) -> Result<UndoProgress> {
    let removed: i64 =
        conn.query_row("SELECT count(*) FROM customers WHERE batch_id = ?1", [batch_id], |r| r.get(0))?;
    let restored: i64 =
        conn.query_row("SELECT count(*) FROM batch_changes WHERE batch_id = ?1", [batch_id], |r| r.get(0))?;
    conn.execute(
        "INSERT INTO batch_undos (batch_id, actor, pid, started_at, removed, restored) VALUES (?1,?2,?3,?4,?5,?6)",
        params![batch_id, actor, std::process::id(), now, removed, restored],
    )?;
    Ok(undo_progress(conn, batch_id)?.expect("just inserted"))
}

/// Takes over an interrupted undo in this process.
pub(crate) fn claim_undo(conn: &Connection, batch_id: i64) -> Result<()> {
    conn.execute("UPDATE batch_undos SET pid = ?2 WHERE batch_id = ?1", params![batch_id, std::process::id()])?;
    Ok(())
}

/// Records the progress of an undo at the end of a chunk (in its transaction).
pub(crate) fn save_undo_progress(conn: &Connection, p: &UndoProgress) -> Result<()> {
    conn.prepare_cached("UPDATE batch_undos SET step = ?2, cursor = ?3, chunks = ?4 WHERE batch_id = ?1")?
        .execute(params![p.batch_id, p.step, p.cursor, p.chunks])?;
    Ok(())
}

/// Ends an undo whose every step is done: the batch is 'undone'.
pub(crate) fn finish_undo(conn: &Connection, batch_id: i64, now: &str) -> Result<()> {
    conn.execute("DELETE FROM batch_undos WHERE batch_id = ?1", [batch_id])?;
    conn.execute(
        "UPDATE import_batches SET status = 'undone', finished_at = ?2 WHERE id = ?1",
        params![batch_id, now],
    )?;
    Ok(())
}

/// The batch part-way through an undo that removes or restores customer
/// `id`, if any: such a customer may not be merged, moved or edited until
/// the undo finishes.
pub(crate) fn undoing_batch_of_customer(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT u.batch_id FROM batch_undos u WHERE u.batch_id = (SELECT batch_id FROM customers WHERE id = ?1)
                OR EXISTS (SELECT 1 FROM batch_changes x WHERE x.batch_id = u.batch_id AND x.customer_id = ?1) LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// The ids of the batch's customers after `after`, in order, at most `limit`.
fn batch_customers(conn: &Connection, batch_id: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM customers WHERE batch_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")?;
    let rows = stmt.query_map(params![batch_id, after, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One piece of an undo: at most `limit` rows of step `step`, from
/// `cursor` (the last row id the step handled, or 0). Returns the rows
/// handled and the new cursor, or `None` when the step is done. Each step
/// only touches rows of its own batch, found through an index, so the whole
/// undo is linear in the batch. The steps are those of a single-transaction
/// undo in the same order; the caller checks `undo_blocker` before step 0.
pub(crate) fn undo_step(
    conn: &Connection,
    batch_id: i64,
    step: i64,
    cursor: i64,
    limit: i64,
    now: &str,
) -> Result<(i64, Option<i64>)> {
    // Steps that delete what they handle need no cursor: what is left is
    // what remains to do.
    let delete_some = |sql: &str| -> Result<(i64, Option<i64>)> {
        let n = conn.prepare_cached(sql)?.execute(params![batch_id, limit])? as i64;
        Ok((n, (n >= limit).then_some(0)))
    };
    // Steps over the batch's customers, in id order from the cursor.
    let per_customer = |sql: &str| -> Result<(i64, Option<i64>)> {
        let ids = batch_customers(conn, batch_id, cursor, limit)?;
        let mut stmt = conn.prepare_cached(sql)?;
        for id in &ids {
            stmt.execute([id])?;
        }
        let n = ids.len() as i64;
        Ok((n, (n >= limit).then(|| *ids.last().expect("a full piece"))))
    };
    match step {
        0 => delete_some(
            "DELETE FROM customer_phones WHERE id IN (SELECT id FROM customer_phones WHERE batch_id = ?1 LIMIT ?2)",
        ),
        1 => delete_some(
            "DELETE FROM customer_emails WHERE id IN (SELECT id FROM customer_emails WHERE batch_id = ?1 LIMIT ?2)",
        ),
        2 => delete_some("DELETE FROM contacts WHERE id IN (SELECT id FROM contacts WHERE batch_id = ?1 LIMIT ?2)"),
        3 => delete_some(
            "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE batch_id = ?1 LIMIT ?2)",
        ),
        4 => {
            let mut stmt = conn.prepare_cached(
                "SELECT customer_id, before FROM batch_changes WHERE batch_id = ?1 AND customer_id > ?2 ORDER BY customer_id LIMIT ?3",
            )?;
            let changes: Vec<(i64, String)> = stmt
                .query_map(params![batch_id, cursor, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let n = changes.len() as i64;
            let last = changes.last().map(|c| c.0);
            for (cid, before) in changes {
                let snap: serde_json::Value = serde_json::from_str(&before).unwrap_or_default();
                match snap.get("wrote") {
                    Some(wrote) => super::customers::restore_changed(conn, cid, &snap, wrote, now)?,
                    // A before-image from a version that did not keep what it wrote.
                    None => super::customers::restore_snapshot(conn, cid, &snap, now)?,
                }
                // Merged since as a survivor: each merge made since keeps in its
                // `before` what the customer was then, with what the batch wrote.
                if let Some(wrote) = snap.get("wrote") {
                    let survived: Vec<i64> =
                        snap["survived"].as_array().into_iter().flatten().filter_map(serde_json::Value::as_i64).collect();
                    for m in super::merges::open_merges_on(conn, cid)? {
                        if !survived.contains(&m) && snap["merge_before"].get(format!("m{m}")).is_none() {
                            restore_own(conn, cid, m, &snap, wrote)?;
                        }
                    }
                }
                for side in [super::merges::Side::After, super::merges::Side::Before] {
                    let (was_key, wrote_key) = side_keys(side);
                    for (key, was) in snap[was_key].as_object().into_iter().flatten() {
                        let Some(merge) = key.strip_prefix('m').and_then(|m| m.parse::<i64>().ok()) else { continue };
                        restore_merge_side(conn, merge, side, was, &snap[wrote_key][key])?;
                    }
                }
            }
            Ok((n, last.filter(|_| n >= limit)))
        }
        5 => {
            // The records this batch superseded get their previous version
            // back (keeping the customer each belongs to now: an unmerge
            // since may have given it back to its own); history rows in id order from the cursor (a record the
            // batch superseded twice is restored twice, the same way). The
            // record's own history, not the batch's: the planner otherwise
            // walks the batch's history rows for each record (quadratic:
            // 51k records changed by a batch took 95 s to restore).
            let mut stmt = conn.prepare_cached(
                "SELECT id, source_record_id FROM source_record_history WHERE replaced_by_batch = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows: Vec<(i64, i64)> = stmt
                .query_map(params![batch_id, cursor, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut restore = conn.prepare_cached(
                "UPDATE source_records SET (batch_id, row_number, raw) = (
                    SELECT h.batch_id, h.row_number, h.raw FROM source_record_history h
                    INDEXED BY source_record_history_record
                    WHERE h.source_record_id = source_records.id AND h.replaced_by_batch = ?1 ORDER BY h.id DESC LIMIT 1)
                 WHERE id = ?2",
            )?;
            for (_, record) in &rows {
                restore.execute(params![batch_id, record])?;
            }
            let n = rows.len() as i64;
            Ok((n, rows.last().map(|r| r.0).filter(|_| n >= limit)))
        }
        6 => delete_some(
            "DELETE FROM source_record_history WHERE id IN (SELECT id FROM source_record_history WHERE replaced_by_batch = ?1 LIMIT ?2)",
        ),
        7 => per_customer("UPDATE source_records SET customer_id = NULL WHERE customer_id = ?1"),
        8 => delete_some(
            "DELETE FROM source_records WHERE id IN (SELECT id FROM source_records WHERE created_batch_id = ?1 LIMIT ?2)",
        ),
        9 => per_customer("DELETE FROM custom_values WHERE customer_id = ?1"),
        // Before-images are spent once their batch is undone.
        10 => delete_some(
            "DELETE FROM batch_changes WHERE batch_id = ?1 AND customer_id IN (SELECT customer_id FROM batch_changes WHERE batch_id = ?1 LIMIT ?2)",
        ),
        11 => per_customer("DELETE FROM batch_changes WHERE customer_id = ?1"),
        12 => delete_some("DELETE FROM customers WHERE id IN (SELECT id FROM customers WHERE batch_id = ?1 LIMIT ?2)"),
        _ => Ok((0, None)),
    }
}

/// Undoes a batch's change to what a customer was when merge `first` (made
/// after the batch) took it into its `before`, value by value where that
/// still holds what the batch wrote.
fn restore_own(
    conn: &Connection,
    cid: i64,
    first: i64,
    snap: &serde_json::Value,
    wrote: &serde_json::Value,
) -> Result<()> {
    use crate::domain::Field;
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let mut own = super::merges::side(conn, first, super::merges::Side::Before)?;
    let mut changed = Vec::new();
    for f in Field::ALL.iter().copied().filter(|f| *f != Field::Number) {
        let (b, w) = (text(&snap["fields"][f.name()]), text(&wrote["fields"][f.name()]));
        if b != w && text(&own["fields"][f.name()]) == w {
            own["fields"][f.name()] = b.map(Into::into).unwrap_or(serde_json::Value::Null);
            changed.push(f);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let Some(shown) = super::customers::get_customer(conn, cid)? else { return Ok(()) };
    if changed.iter().any(|f| matches!(f, Field::Name | Field::Kind)) {
        let mut c = super::merges::from_golden_json(&shown, &own);
        crate::domain::validate::derive_name(&mut c, &mut Vec::new());
        own["parts"] = super::merges::golden_json(&c)["parts"].clone();
    }
    super::merges::set_side(conn, first, super::merges::Side::Before, &own)?;
    // The merge's result too, where it was the value the batch wrote and
    // the customer shows what the batch replaced again.
    let mut after = super::merges::side(conn, first, super::merges::Side::After)?;
    let mut moved = false;
    for f in changed {
        let n = f.name();
        if text(&after["fields"][n]) == text(&wrote["fields"][n]) && shown.get(f) == text(&own["fields"][n]).as_deref()
        {
            after["fields"][n] = own["fields"][n].clone();
            moved = true;
        }
    }
    if moved {
        super::merges::set_side(conn, first, super::merges::Side::After, &after)?;
    }
    Ok(())
}

/// Puts back the fields of a merge's golden state `side` that a batch
/// changed from `was` to `wrote` and that still hold `wrote`.
fn restore_merge_side(
    conn: &Connection,
    merge: i64,
    side: super::merges::Side,
    was: &serde_json::Value,
    wrote: &serde_json::Value,
) -> Result<()> {
    let mut state = super::merges::side(conn, merge, side)?;
    let mut changed = false;
    for (f, v) in was["fields"].as_object().into_iter().flatten() {
        if state["fields"][f] == wrote["fields"][f] && state["fields"][f] != *v {
            state["fields"][f] = v.clone();
            changed = true;
        }
    }
    for k in ["flags", "parts"] {
        if state[k] == wrote[k] && state[k] != was[k] {
            state[k] = was[k].clone();
            changed = true;
        }
    }
    if changed {
        super::merges::set_side(conn, merge, side, &state)?;
    }
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
        reminders_from: r.get(13)?,
        rows_blank: r.get(14)?,
    })
}

/// A batch part-way through an undo reads 'undoing' (`batch_undos`).
const BATCH_COLUMNS: &str = "id, source, file_name, actor, started_at, finished_at, \
    CASE WHEN EXISTS (SELECT 1 FROM batch_undos u WHERE u.batch_id = import_batches.id) THEN 'undoing' ELSE status END, rows_read, \
    rows_imported, rows_updated, rows_unchanged, rows_warned, rows_rejected, reminders_from, rows_blank";

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

/// Whether any batch of `source` other than `batch_id` may have left source
/// records (an undone batch has removed its own).
pub(crate) fn source_has_other_batches(conn: &Connection, source: &str, batch_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM import_batches WHERE source = ?1 AND id != ?2 AND status != 'undone')",
        )?
        .query_row(params![source, batch_id], |r| r.get(0))?)
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

pub(crate) const SOURCE_RECORD_INSERT: &str = "INSERT INTO source_records (source, source_key, batch_id, row_number, raw, customer_id, created_batch_id, created_at) VALUES (?1,?2,?3,?4,?5,?6,?3,?7)";

/// Inserts a source record with a held statement of `SOURCE_RECORD_INSERT`
/// (`customers::HeldInserts::source_record`).
pub(crate) fn insert_source_record_with(
    stmt: &mut rusqlite::Statement<'_>,
    conn: &Connection,
    r: &NewSourceRecord<'_>,
    now: &str,
) -> Result<i64> {
    stmt.execute(params![r.source, r.source_key, r.batch_id, r.row_number, r.raw_json, r.customer_id, now])?;
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
        "INSERT INTO source_record_history (source_record_id, batch_id, row_number, raw, customer_id, replaced_at, replaced_by_batch) \
         SELECT id, batch_id, row_number, raw, customer_id, ?2, ?3 FROM source_records WHERE id = ?1",
    )?
    .execute(params![record_id, now, batch_id])?;
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

/// A batch's logged warnings and rejections, in file order.
pub fn batch_issues(conn: &Connection, batch_id: i64) -> Result<Vec<LoggedIssue>> {
    let mut stmt = conn.prepare(
        "SELECT row_number, column_name, rule, severity, message FROM import_issues WHERE batch_id = ?1 ORDER BY row_number, id",
    )?;
    let rows = stmt.query_map([batch_id], |r| {
        Ok(LoggedIssue { row: r.get(0)?, column: r.get(1)?, rule: r.get(2)?, severity: r.get(3)?, message: r.get(4)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An import batch that its records say is still running: the likely holder
/// of the write lock when a write waits past the busy timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningBatch {
    pub id: i64,
    pub source: String,
    pub file_name: String,
    pub actor: String,
    pub started_at: String,
    pub pid: Option<i64>,
    /// Not importing but part-way through an undo (by `actor`, since `started_at`).
    pub undoing: bool,
}

/// The running batches of the database at `path`, read on a connection of
/// its own (in WAL mode a reader is never blocked by the writer).
pub fn running_batches_at(path: &std::path::Path) -> Result<Vec<RunningBatch>> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(1))?;
    running_batches(&conn)
}

pub fn running_batches(conn: &Connection) -> Result<Vec<RunningBatch>> {
    let mut stmt = conn.prepare(
        "SELECT id, source, file_name, actor, started_at, pid, 0 FROM import_batches WHERE status = 'running'
         UNION ALL
         SELECT b.id, b.source, b.file_name, u.actor, u.started_at, u.pid, 1 FROM batch_undos u
            JOIN import_batches b ON b.id = u.batch_id
         ORDER BY 1",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(RunningBatch {
            id: r.get(0)?,
            source: r.get(1)?,
            file_name: r.get(2)?,
            actor: r.get(3)?,
            started_at: r.get(4)?,
            pid: r.get(5)?,
            undoing: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
