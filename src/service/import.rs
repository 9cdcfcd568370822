//! Running an import: read, plan, write in chunks, log, audit once.
//! Also dry runs, resuming an interrupted batch, and undoing a batch.

use super::Workbench;
use crate::domain::{BatchStatus, CustomerKind, Field, Interaction, PhoneKind};
use crate::error::{Error, Result};
use crate::ingest::{
    plan_row, EncodingChoice, MappedInput, Mapping, MappingFile, RawRow, ReadOptions, RowPlan, TableReader,
};
use crate::store::merges::Side;
use crate::store::{self, customers, imports, BatchCounts, NewAudit, NewBatch, NewSourceRecord};
use chrono::Datelike;
use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to read and map one file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The source's name ("sales", "service tickets 2023").
    pub source: String,
    /// The header of the source's own record key; else the row number.
    pub key: Option<String>,
    /// `HEADER=FIELD` / `A+B=FIELD` overrides of the mapping.
    pub maps: Vec<String>,
    /// A saved mapping to start from (`--mapping FILE`); else the one
    /// remembered for this source, if any.
    pub mapping_file: Option<MappingFile>,
    /// Customer kind for rows that do not say (`company` unless set).
    pub default_kind: Option<String>,
    /// Interaction kind for rows that carry an interaction but no kind column.
    pub interaction_kind: Option<String>,
    /// Stop after this many data rows (the trial import).
    pub limit: Option<u64>,
    pub read: ReadOptions,
    /// Parse, map, normalise and validate; write nothing.
    pub dry_run: bool,
    /// Set from another thread (Ctrl-C) to stop at the next row; the batch
    /// stays resumable.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Whether the import may drop and rebuild indexes (`store::bulk`).
    pub bulk: BulkMode,
    /// `--reminders-from DATE`: the customers this import creates raise no
    /// reminder for events before this day (an old sheet's planned dates are
    /// history). `None`: every date counts, a past planned follow-up is overdue.
    pub reminders_from: Option<chrono::NaiveDate>,
}

/// Whether an import loads in bulk: the secondary indexes of the tables it
/// writes are dropped for the load and rebuilt after it (`store::bulk`).
/// Only ever for a source's first import (every row is new, so the load
/// needs no look-ups those indexes serve) and never while another bulk
/// load is recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkMode {
    /// Row by row, turning to a bulk load between two chunks once the rest
    /// of the file is measured to cost more that way than rebuilding the
    /// indexes (`CostWatch`): rebuilding an index costs a sort of the whole
    /// table, so a small file into a big database stays row by row.
    #[default]
    Auto,
    /// Whenever it is safe, whatever the sizes.
    On,
    /// Never: every index is kept up to date row by row.
    Off,
}

impl BulkMode {
    pub fn parse(s: &str) -> Option<BulkMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(BulkMode::Auto),
            "on" => Some(BulkMode::On),
            "off" => Some(BulkMode::Off),
            _ => None,
        }
    }
}

/// `BulkMode::Auto` starts row by row and turns to a bulk load between two
/// chunks once that is measured to cost less (`CostWatch`): the rest of
/// the file at the seconds per row its chunks took so far, against
/// rebuilding the indexes a bulk load drops, at the seconds per entry the
/// database's last rebuild took (`store::bulk::seconds_per_entry`), over
/// the rows their tables will hold. The rows themselves cost something
/// either way; only what differs is compared. A fixed rule (from 50,000 rows
/// and a quarter of the database) chose row by row for 30,043 rows onto
/// 330,464 customers, where both cost the same, and could not tell a
/// database whose indexes fit in memory from one whose do not.
///
/// The rest is projected at the pace of the latest chunk, from the second
/// on: the first reads every leaf it touches from disk, and judged by it
/// one of three 30,043-row appends onto 330,464 customers turned and took
/// 3.69 s where the two that did not took 2.66 and 2.68 s. The import turns
/// only when the rest would cost this much more than the rebuild.
const SWITCH_MARGIN: f64 = 1.25;

/// The measured costs `BulkMode::Auto` chooses by.
struct CostWatch {
    /// The table of each index a bulk load would drop, once per index.
    tables: Vec<String>,
    /// Each of those tables with its rows when the import started.
    rows_at_start: Vec<(String, i64)>,
    seconds_per_entry: f64,
    /// Rows this run expects to read, and has read.
    expected: u64,
    rows: u64,
    /// Chunks written, and the seconds per row of the latest (the
    /// writer's time, waits for the reader left out).
    chunks: u32,
    pace: f64,
    /// Whether the import turned to a bulk load.
    switched: bool,
}

impl CostWatch {
    fn new(conn: &Connection, expected: u64) -> Result<CostWatch> {
        let tables = store::bulk::rebuild_tables(conn)?;
        let mut rows_at_start: Vec<(String, i64)> = Vec::new();
        for t in &tables {
            if !rows_at_start.iter().any(|(name, _)| name == t) {
                rows_at_start.push((t.clone(), store::bulk::table_rows(conn, t)?));
            }
        }
        let seconds_per_entry = store::bulk::seconds_per_entry(conn)?;
        Ok(CostWatch {
            tables,
            rows_at_start,
            seconds_per_entry,
            expected,
            rows: 0,
            chunks: 0,
            pace: 0.0,
            switched: false,
        })
    }

    /// A chunk of `rows` rows took the writer `busy`.
    fn chunk_written(&mut self, rows: u64, busy: Duration) {
        self.rows += rows;
        self.chunks += 1;
        if rows > 0 {
            self.pace = busy.as_secs_f64() / rows as f64;
        }
    }

    /// Whether the rest of the import costs less as a bulk load, by the
    /// costs measured so far; if it does, the tables the import has written
    /// no row to so far. A source without e-mails (or contacts, or
    /// interactions) leaves theirs as they were: a bulk load keeps their
    /// indexes instead of sorting the whole table again for nothing, and
    /// only the indexes it drops count as its rebuild.
    fn bulk_is_cheaper(&self, conn: &Connection) -> Result<Option<Vec<String>>> {
        let remaining = self.expected.saturating_sub(self.rows);
        if self.switched || self.tables.is_empty() || self.chunks < 2 || self.rows == 0 || remaining == 0 {
            return Ok(None);
        }
        // Each table read once: (table, rows at the start, rows now).
        let mut grown: Vec<(&str, i64, i64)> = Vec::new();
        let mut idle = Vec::new();
        for (t, start) in &self.rows_at_start {
            let now = store::bulk::table_rows(conn, t)?;
            if now > *start {
                grown.push((t, *start, now));
            } else {
                idle.push(t.clone());
            }
        }
        // Every index of a grown table is rebuilt over the whole table.
        let (mut start, mut now) = (0, 0);
        for t in &self.tables {
            if let Some(&(_, s, n)) = grown.iter().find(|g| g.0 == t) {
                start += s;
                now += n;
            }
        }
        if now == 0 {
            return Ok(None);
        }
        let row_by_row = self.pace * remaining as f64;
        let at_end = now as f64 + (now - start) as f64 / self.rows as f64 * remaining as f64;
        Ok((row_by_row > SWITCH_MARGIN * at_end * self.seconds_per_entry).then_some(idle))
    }
}

/// The settings a batch was run with, stored so it can be resumed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredOptions {
    encoding: Option<String>,
    delimiter: Option<u8>,
    sheet: Option<String>,
    default_kind: String,
    interaction_kind: String,
    limit: Option<u64>,
    #[serde(default)]
    bulk: BulkMode,
    /// The mapping (with its key) the source remembers once the batch is
    /// complete: stored with the batch so that a resumed batch, in another
    /// process, remembers what a finished one does.
    #[serde(default)]
    remember: Option<String>,
}

/// Reported while an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportProgress {
    pub counts: BatchCounts,
    /// Work done and total, in bytes (CSV) or rows (spreadsheets).
    pub done: u64,
    pub total: u64,
    /// After the last row of a bulk load: (indexes rebuilt, indexes to
    /// rebuild).
    pub indexing: Option<(usize, usize)>,
}

/// A warning or rejection, located.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowIssueReport {
    pub row: u64,
    pub column: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
}

/// A file's mapping with the first rows under it (`preview_import`).
#[derive(Debug, Clone)]
pub struct MappingPreview {
    pub mapping: Mapping,
    /// Data rows as read, cells in header order.
    pub samples: Vec<Vec<String>>,
    pub encoding: &'static str,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    /// `None` for a dry run.
    pub batch_id: Option<i64>,
    pub mapping: Mapping,
    pub counts: BatchCounts,
    /// Dry runs only: the first issues found (the full log of a real run is
    /// in the database: `crmwb imports show BATCH`).
    pub issues: Vec<RowIssueReport>,
    /// Stopped by the cancel flag; the batch is incomplete and resumable.
    pub cancelled: bool,
    pub encoding: &'static str,
    /// Blank rows passed over (every cell empty or white space): not data
    /// rows, so neither read nor rejected, only counted.
    pub blank: u64,
}

impl ImportReport {
    fn of_batch(batch_id: i64, mapping: Mapping, counts: BatchCounts, cancelled: bool, reader: &TableReader) -> Self {
        ImportReport {
            batch_id: Some(batch_id),
            mapping,
            counts,
            issues: Vec::new(),
            cancelled,
            encoding: reader.encoding,
            blank: reader.blank_rows(),
        }
    }
}

/// Rows per transaction at most, and the longest a transaction may hold
/// the write lock: other users of the database wait at most about this long.
const CHUNK_ROWS: usize = 5000;
const CHUNK_TIME: Duration = Duration::from_millis(500);
/// Rows an undo handles between two looks at the clock.
const UNDO_PIECE: i64 = 500;
/// Issues a dry run keeps to show.
const DRY_RUN_ISSUES: usize = 1000;

/// What is fixed for the length of one batch.
struct RunCtx<'a> {
    /// Continuing an incomplete batch (`imports resume`).
    resumed: bool,
    source: &'a str,
    batch_id: i64,
    inputs: Vec<MappedInput>,
    key_index: Option<usize>,
    key_header: Option<String>,
    default_kind: String,
    interaction_kind: String,
    year: i32,
    now: String,
}

/// Refuses a change to customer `id` while an undo part-way through will
/// remove or restore it (the undo would lose the change or stop at it).
pub(super) fn refuse_if_undoing(conn: &rusqlite::Connection, id: i64) -> Result<()> {
    match imports::undoing_batch_of_customer(conn, id)? {
        None => Ok(()),
        Some(b) => {
            let number = store::merges::number_of(conn, id).unwrap_or_else(|_| id.to_string());
            Err(Error::Refused(format!(
                "{number} is being undone with import batch {b}, which is part-way through; \
                 finish the undo first (`crmwb imports undo {b}`)"
            )))
        }
    }
}

/// Refuses to import while a batch is part-way through an undo: the undo
/// removes exactly what its batch added, which a new import could build on.
fn refuse_import_while_undoing(conn: &rusqlite::Connection) -> Result<()> {
    match imports::undos_in_progress(conn)?.first() {
        None => Ok(()),
        Some(u) => Err(Error::Refused(format!(
            "import batch {} is part-way through an undo; finish it first (`crmwb imports undo {}`), then import",
            u.batch_id, u.batch_id
        ))),
    }
}

/// Another batch of the database still importing (its process alive).
fn running_other_batch(conn: &rusqlite::Connection, batch_id: i64) -> Result<Option<i64>> {
    Ok(imports::running_batches(conn)?
        .into_iter()
        .find(|b| b.id != batch_id && !b.undoing && b.pid.is_some_and(super::process_alive))
        .map(|b| b.id))
}

/// Test hook: `CRMWB_TEST_UNDO_FAIL_AFTER=N` makes an undo fail just before
/// committing its Nth chunk (and exit at once with `…=N:exit`, as a kill
/// would), so tests can interrupt an undo at a known point. Only debug
/// builds (what `cargo test` runs) read it: a release binary never lets an
/// environment variable stop an undo.
#[cfg(not(debug_assertions))]
fn undo_fault(_batch_id: i64, _chunk: i64) -> Result<()> {
    Ok(())
}

#[cfg(debug_assertions)]
fn undo_fault(batch_id: i64, chunk: i64) -> Result<()> {
    let Ok(v) = std::env::var("CRMWB_TEST_UNDO_FAIL_AFTER") else { return Ok(()) };
    let (n, exit) = match v.split_once(':') {
        Some((n, how)) => (n, how == "exit"),
        None => (v.as_str(), false),
    };
    if n.parse::<i64>().ok() == Some(chunk) {
        if exit {
            std::process::exit(137);
        }
        return Err(Error::Other(format!("test hook: undo of batch {batch_id} stopped at chunk {chunk}")));
    }
    Ok(())
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

fn row_key(row: &RawRow, key_index: Option<usize>) -> String {
    match key_index {
        Some(i) => row.cells.get(i).map(|s| s.trim().to_string()).unwrap_or_default(),
        None => row.number.to_string(),
    }
}

impl ImportOptions {
    fn stored(&self) -> StoredOptions {
        StoredOptions {
            encoding: match self.read.encoding {
                EncodingChoice::Auto => None,
                EncodingChoice::Utf8 => Some("utf-8".into()),
                EncodingChoice::Gb18030 => Some("gb18030".into()),
            },
            delimiter: self.read.delimiter,
            sheet: self.read.sheet.clone(),
            default_kind: self.default_kind(),
            interaction_kind: self.interaction_kind(),
            limit: self.limit,
            bulk: self.bulk,
            remember: None,
        }
    }
    fn default_kind(&self) -> String {
        self.default_kind
            .clone()
            .or_else(|| self.mapping_file.as_ref().and_then(|m| m.kind.clone()))
            .unwrap_or_else(|| crate::ingest::AUTO_KIND.into())
    }
    fn interaction_kind(&self) -> String {
        self.interaction_kind
            .clone()
            .or_else(|| self.mapping_file.as_ref().and_then(|m| m.interaction_kind.clone()))
            .unwrap_or_else(|| "note".into())
    }
}

/// Data rows read to check a mapping's guesses against the values.
const MAPPING_SAMPLE_ROWS: usize = 200;

impl Workbench {
    /// The mapping a file would be imported with: the saved or remembered
    /// mapping for its source, the automatic guesses, then `--map`.
    pub fn preview_mapping(&self, path: &Path, opts: &ImportOptions) -> Result<Mapping> {
        let mut reader = TableReader::open_with(path, &opts.read)?;
        self.resolve_mapping(&mut reader, opts)
    }

    /// The mapping a file would be imported with and its first `rows` data
    /// rows as read, for an interactive preview before an import (the TUI).
    pub fn preview_import(&self, path: &Path, opts: &ImportOptions, rows: usize) -> Result<MappingPreview> {
        let mut reader = TableReader::open_with(path, &opts.read)?;
        let mapping = self.resolve_mapping(&mut reader, opts)?;
        let mut samples = Vec::with_capacity(rows);
        while samples.len() < rows {
            match reader.next_row() {
                Some(row) => samples.push(row?.cells),
                None => break,
            }
        }
        Ok(MappingPreview { mapping, samples, encoding: reader.encoding })
    }

    /// The mapping remembered for a source, if any.
    pub fn remembered_mapping(&self, source: &str) -> Result<Option<MappingFile>> {
        match imports::remembered_mapping(self.store.conn(), source.trim())? {
            Some(text) => Ok(Some(
                MappingFile::from_toml(&text)
                    .map_err(|e| Error::Other(format!("the remembered mapping of `{source}` is damaged: {e}")))?,
            )),
            None => Ok(None),
        }
    }

    fn resolve_mapping(&self, reader: &mut TableReader, opts: &ImportOptions) -> Result<Mapping> {
        let remembered;
        let base = match &opts.mapping_file {
            Some(m) => Some(m),
            None => {
                remembered = self.remembered_mapping(&opts.source)?;
                remembered.as_ref()
            }
        };
        let mut mapping = Mapping::build(reader.headers(), base, &opts.maps, opts.key.as_deref())
            .map_err(|e| Error::input(reader.file(), None, None, e))?;
        // Guesses for enumerated fields are checked against the values: the
        // first rows, read ahead by `reader`, which still hands them out.
        let samples: Vec<&[String]> = reader.peek(MAPPING_SAMPLE_ROWS).map(|r| r.cells.as_slice()).collect();
        mapping.check_values(&samples);
        Ok(mapping)
    }

    /// Imports a file. Every row is kept verbatim as a source record; each
    /// new valid row becomes a customer; an unchanged row (same source and
    /// key, same cells) is skipped; a changed row supersedes its raw row
    /// (the old one kept in history) and updates the fields it supplies.
    /// Chunked transactions; one audit entry for the batch.
    pub fn import(
        &mut self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        self.check_import(&opts.interaction_kind())?;
        let source = opts.source.trim().to_string();
        if source.is_empty() {
            return Err(Error::Invalid("--source needs a name for where the file came from (e.g. `sales`)".into()));
        }
        let mut reader = TableReader::open_with(path, &opts.read)?;
        let mapping = self.resolve_mapping(&mut reader, opts)?;
        let mut stored = opts.stored();
        stored.remember = Some(
            mapping.to_file(Some(&source), opts.default_kind.as_deref(), opts.interaction_kind.as_deref()).to_toml(),
        );
        if opts.dry_run {
            return self.dry_run(&mut reader, &source, mapping, &stored, opts.cancel.as_deref());
        }
        refuse_import_while_undoing(self.store.conn())?;
        let now = self.clock.stamp();
        let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let file_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let batch_id = imports::create_batch(
            self.store.conn(),
            &NewBatch {
                source: &source,
                file_name: &file_name,
                file_path: &file_path.to_string_lossy(),
                options_json: &serde_json::to_string(&stored)?,
                encoding: reader.encoding,
                headers_json: &serde_json::to_string(reader.headers())?,
                mapping_json: &serde_json::to_string(&mapping)?,
                actor: &self.actor,
                reminders_from: opts.reminders_from.map(|d| d.format("%Y-%m-%d").to_string()).as_deref(),
            },
            &now,
        )?;
        let (counts, cancelled) = self.run_batch(
            &mut reader,
            &source,
            &mapping,
            &stored,
            batch_id,
            BatchCounts::default(),
            opts.cancel.as_deref(),
            progress,
            false,
        )?;
        Ok(ImportReport::of_batch(batch_id, mapping, counts, cancelled, &reader))
    }

    /// Continues an incomplete batch (interrupted by Ctrl-C or a crash)
    /// from the first row it had not committed.
    pub fn resume_import(
        &mut self,
        batch_id: i64,
        cancel: Option<&AtomicBool>,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let batch = self.batch(batch_id)?;
        if batch.status == BatchStatus::Undoing {
            return Err(Error::Refused(format!(
                "batch {batch_id} is part-way through an undo; `crmwb imports undo {batch_id}` finishes it"
            )));
        }
        refuse_import_while_undoing(self.store.conn())?;
        if batch.status != BatchStatus::Incomplete {
            return Err(Error::Refused(format!(
                "batch {batch_id} is {}; only an incomplete batch can be resumed",
                batch.status.as_str()
            )));
        }
        let (file_path, options, mapping_json, _) = imports::batch_origin(self.store.conn(), batch_id)?;
        let stored: StoredOptions = serde_json::from_str(&options)?;
        self.check_import(&stored.interaction_kind)?;
        let mapping: Mapping = serde_json::from_str(&mapping_json)?;
        let read = ReadOptions {
            encoding: stored.encoding.as_deref().and_then(EncodingChoice::parse).unwrap_or_default(),
            delimiter: stored.delimiter,
            sheet: stored.sheet.clone(),
        };
        let mut reader = TableReader::open_with(Path::new(&file_path), &read)?;
        let headers_now: Vec<String> = reader.headers().to_vec();
        let headers_then: Vec<String> = mapping.columns.iter().map(|c| c.header.clone()).collect();
        if headers_now != headers_then {
            return Err(Error::input(
                &file_path,
                None,
                None,
                "the file's header row changed since the batch started; undo the batch and import the file anew",
            ));
        }
        imports::claim_batch(self.store.conn(), batch_id)?;
        let counts = BatchCounts {
            read: batch.rows_read,
            imported: batch.rows_imported,
            updated: batch.rows_updated,
            unchanged: batch.rows_unchanged,
            warned: batch.rows_warned,
            rejected: batch.rows_rejected,
            blank: batch.rows_blank,
        };
        let (counts, cancelled) =
            self.run_batch(&mut reader, &batch.source, &mapping, &stored, batch_id, counts, cancel, progress, true)?;
        Ok(ImportReport::of_batch(batch_id, mapping, counts, cancelled, &reader))
    }

    /// Rolls a batch back: the customers it created, the values it changed,
    /// the raw rows it wrote. Refused once anything from it was merged or
    /// worked on, since undoing would then lose other work.
    ///
    /// Commits in chunks like an import (each at most `CHUNK_ROWS` rows or
    /// about `CHUNK_TIME`), so other users wait at most about that long for
    /// the write lock. Until the last chunk the batch reads 'undoing' and
    /// its progress is kept with it: an undo interrupted (Ctrl-C, a crash)
    /// continues from where it stopped when it is run again. Audited as a
    /// pair: an `import.undo` entry with the first chunk (status 'undoing')
    /// and one with the last ('undone', with the number of chunks); an undo
    /// done in one chunk has only the last.
    pub fn undo_import(&mut self, batch_id: i64) -> Result<BatchCounts> {
        self.undo_import_with(batch_id, None, &mut |_| {})
    }

    /// `undo_import`, stopping after the chunk in which `cancel` is seen
    /// set (the batch stays 'undoing'), reporting each committed chunk.
    pub fn undo_import_with(
        &mut self,
        batch_id: i64,
        cancel: Option<&AtomicBool>,
        progress: &mut dyn FnMut(&imports::UndoProgress),
    ) -> Result<BatchCounts> {
        self.access.check(super::Permission::ImportUndo, None)?;
        let batch = self.batch(batch_id)?;
        match batch.status {
            BatchStatus::Undone => return Err(Error::Refused(format!("batch {batch_id} is already undone"))),
            BatchStatus::Running => {
                return Err(Error::Refused(format!(
                    "batch {batch_id} is still running; stop it (Ctrl-C) before undoing it"
                )))
            }
            _ => {}
        }
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        // The pair of `import.undo` entries differ only in their details.
        let audit = |tx: &Connection, details: serde_json::Value| {
            store::audit::append(
                tx,
                &NewAudit {
                    actor: &actor,
                    action: "import.undo",
                    entity: "import_batch",
                    entity_id: Some(&batch_id.to_string()),
                    customer_id: None,
                    details,
                },
                &now,
            )
        };
        let mut first = true;
        loop {
            let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
            let started = Instant::now();
            let mut begun = false;
            let mut p = match imports::undo_progress(&tx, batch_id)? {
                Some(p) => {
                    if first {
                        if let Some(pid) = p.pid.filter(|&pid| pid != i64::from(std::process::id())) {
                            if super::process_alive(pid) {
                                return Err(Error::Refused(format!(
                                    "batch {batch_id} is being undone by process {pid} ({}); wait for it to finish",
                                    p.actor
                                )));
                            }
                        }
                        imports::claim_undo(&tx, batch_id)?;
                    }
                    p
                }
                None if first => {
                    if let Some(b) = running_other_batch(&tx, batch_id)? {
                        return Err(Error::Refused(format!(
                            "batch {b} is importing; undo batch {batch_id} once it has finished"
                        )));
                    }
                    // Undos one at a time: a later batch's undo may still
                    // hold references to this batch's rows.
                    if let Some(u) = imports::undos_in_progress(&tx)?.first() {
                        return Err(Error::Refused(format!(
                            "batch {} is part-way through an undo; finish it first (`crmwb imports undo {}`)",
                            u.batch_id, u.batch_id
                        )));
                    }
                    if let Some(why) = imports::undo_blocker(&tx, batch_id)? {
                        return Err(Error::Refused(format!("batch {batch_id} cannot be undone: {why}")));
                    }
                    begun = true;
                    imports::begin_undo(&tx, batch_id, &actor, &now)?
                }
                // Finished by another process between two of our chunks.
                None => return Err(Error::Refused(format!("batch {batch_id} is already undone"))),
            };
            first = false;
            let mut in_chunk = 0i64;
            while p.step < imports::UNDO_STEPS {
                let piece = UNDO_PIECE.min(CHUNK_ROWS as i64 - in_chunk).max(1);
                let (n, cursor) = imports::undo_step(&tx, batch_id, p.step, p.cursor, piece, &now)?;
                in_chunk += n;
                match cursor {
                    Some(c) => p.cursor = c,
                    None => {
                        p.step += 1;
                        p.cursor = 0;
                    }
                }
                if in_chunk >= CHUNK_ROWS as i64 || started.elapsed() > CHUNK_TIME {
                    break;
                }
            }
            p.chunks += 1;
            if p.step >= imports::UNDO_STEPS {
                imports::finish_undo(&tx, batch_id, &now)?;
                audit(
                    &tx,
                    serde_json::json!({ "source": batch.source, "file": batch.file_name,
                        "status": "undone", "customers_removed": p.removed, "customers_restored": p.restored,
                        "chunks": p.chunks }),
                )?;
                undo_fault(batch_id, p.chunks)?;
                tx.commit()?;
                progress(&p);
                return Ok(BatchCounts { imported: p.removed, updated: p.restored, ..Default::default() });
            }
            imports::save_undo_progress(&tx, &p)?;
            if begun {
                // The undo outlasts its first chunk: the entry that accounts
                // for its chunks until the last one's entry closes it.
                audit(
                    &tx,
                    serde_json::json!({ "source": batch.source, "file": batch.file_name,
                        "status": "undoing", "customers_removed": p.removed, "customers_restored": p.restored }),
                )?;
            }
            undo_fault(batch_id, p.chunks)?;
            tx.commit()?;
            progress(&p);
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Refused(format!(
                    "undo of batch {batch_id} stopped after {} chunks; `crmwb imports undo {batch_id}` continues it",
                    p.chunks
                )));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_batch(
        &mut self,
        reader: &mut TableReader,
        source: &str,
        mapping: &Mapping,
        stored: &StoredOptions,
        batch_id: i64,
        counts: BatchCounts,
        cancel: Option<&AtomicBool>,
        progress: &mut dyn FnMut(ImportProgress),
        resumed: bool,
    ) -> Result<(BatchCounts, bool)> {
        // Batches stored before the mapping was kept with them: rebuilt
        // from what was kept (the kinds as resolved then).
        let remember_toml = stored.remember.clone().unwrap_or_else(|| {
            mapping.to_file(Some(source), Some(&stored.default_kind), Some(&stored.interaction_kind)).to_toml()
        });
        let remember = Some(remember_toml.as_str());
        let ctx = RunCtx {
            resumed,
            source,
            batch_id,
            inputs: mapping.inputs(),
            key_index: mapping.key_index(),
            key_header: mapping.key.clone(),
            default_kind: stored.default_kind.clone(),
            interaction_kind: stored.interaction_kind.clone(),
            year: self.clock.today().year(),
            now: self.clock.stamp(),
        };
        // Two threads: this one writes while a second reads, decodes, keys
        // and plans the rows ahead of it (half the work of a new row is
        // planning). A small bounded channel keeps memory flat whatever the
        // file size.
        let (to_writer, inbox) = std::sync::mpsc::sync_channel::<Parcel>(PARCELS_IN_FLIGHT);
        // Spent parcels go back to the reading thread to be freed there.
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<Prepared>>();
        let skip = counts.read as u64;
        let limit = stored.limit;
        let ctx_ref = &ctx;
        let expected = reader.estimated_rows().min(limit.unwrap_or(u64::MAX)).saturating_sub(skip);
        let allowed = self.bulk_allowed(stored.bulk, source, batch_id)?;
        let bulk = allowed && stored.bulk == BulkMode::On && store::bulk::begin(self.store.conn_mut(), batch_id, &[])?;
        let mut watch = match allowed && stored.bulk == BulkMode::Auto {
            true => Some(CostWatch::new(self.store.conn(), expected)?),
            false => None,
        };
        let append = if bulk { None } else { Some(store::begin_append(self.store.conn())?) };
        let written = std::thread::scope(|scope| {
            let reading = std::thread::Builder::new()
                .name("import-read".into())
                .spawn_scoped(scope, move || produce(reader, ctx_ref, skip, limit, to_writer, spent_rx))
                .map_err(|e| Error::Other(format!("cannot start the reading thread: {e}")))?;
            let mut inbox = Inbox {
                rx: inbox,
                spent: spent_tx,
                rows: Vec::new(),
                next: 0,
                failure: None,
                ended: false,
                at: (0, 0),
                blank: 0,
                waited: Duration::ZERO,
            };
            let written = self.write_batch(&ctx, &mut inbox, counts, cancel, progress, remember, watch.as_mut());
            // Hanging up stops the reader at its next parcel.
            drop(inbox);
            if reading.join().is_err() {
                return Err(Error::Other("the import's reading thread failed".into()));
            }
            written
        });
        let bulk = bulk || watch.is_some_and(|w| w.switched);
        // Also after a failed or cancelled load: the rows committed so far
        // are there, and every reader needs the indexes back.
        let restored = bulk.then(|| {
            let counts = written.as_ref().map(|(c, _)| *c).unwrap_or(counts);
            store::bulk::restore_with(self.store.conn_mut(), &mut |done, total| {
                progress(ImportProgress {
                    counts,
                    done: expected.max(1),
                    total: expected.max(1),
                    indexing: Some((done, total)),
                })
            })
        });
        let ended = append.map(|before| store::end_append(self.store.conn(), before));
        let written = written?;
        restored.transpose()?;
        ended.transpose()?;
        Ok(written)
    }

    /// Whether the import may load in bulk at all: not turned off, the
    /// source's first batch, and no other bulk load recorded.
    fn bulk_allowed(&self, mode: BulkMode, source: &str, batch_id: i64) -> Result<bool> {
        let conn = self.store.conn();
        Ok(mode != BulkMode::Off
            && !imports::source_has_other_batches(conn, source, batch_id)?
            && store::bulk::pending(conn)?.is_none())
    }

    /// The writing half of `run_batch`, with foreign-key enforcement off on
    /// this connection while it runs. Every reference the import writes is
    /// to a row it inserted or looked up in the same transaction (customer,
    /// source record) or to its own batch, so the checks could never fail;
    /// they cost a parent look-up per reference, a dozen per row (6% of the
    /// writer's instructions). The setting is per connection and cannot
    /// change inside a transaction, so it is switched around the chunks and
    /// back on however they end.
    #[allow(clippy::too_many_arguments)]
    fn write_batch(
        &mut self,
        ctx: &RunCtx<'_>,
        inbox: &mut Inbox,
        counts: BatchCounts,
        cancel: Option<&AtomicBool>,
        progress: &mut dyn FnMut(ImportProgress),
        remember: Option<&str>,
        watch: Option<&mut CostWatch>,
    ) -> Result<(BatchCounts, bool)> {
        let enforced: bool = self.store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        if enforced {
            self.store.conn().execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        let written = self.write_chunks(ctx, inbox, counts, cancel, progress, remember, watch);
        if enforced {
            self.store.conn().execute_batch("PRAGMA foreign_keys = ON")?;
        }
        written
    }

    /// Chunked transactions over the rows the reading thread prepared.
    #[allow(clippy::too_many_arguments)]
    fn write_chunks(
        &mut self,
        ctx: &RunCtx<'_>,
        inbox: &mut Inbox,
        mut counts: BatchCounts,
        cancel: Option<&AtomicBool>,
        progress: &mut dyn FnMut(ImportProgress),
        remember: Option<&str>,
        mut watch: Option<&mut CostWatch>,
    ) -> Result<(BatchCounts, bool)> {
        let actor = self.actor.clone();
        let (source, batch_id) = (ctx.source, ctx.batch_id);
        let mut done = false;
        let mut cancelled = false;
        while !done {
            let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
            let started = Instant::now();
            let (read_before, waited_before) = (counts.read, inbox.waited);
            let mut in_chunk = 0usize;
            let mut failure = None;
            // Re-checked per chunk: another process may start importing
            // the same source while this one runs.
            let mut chunk = Chunk::new(&tx, ctx)?;
            let mut ins = customers::HeldInserts::new(&tx);
            loop {
                if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    cancelled = true;
                    done = true;
                    break;
                }
                let row = match inbox.next() {
                    Next::End => {
                        done = true;
                        break;
                    }
                    Next::Row(row) => row,
                    Next::Failed(e) => {
                        failure = Some(e);
                        break;
                    }
                };
                process_row(&tx, ctx, &mut chunk, &mut ins, row, &mut counts)?;
                in_chunk += 1;
                if in_chunk >= CHUNK_ROWS || (in_chunk % 256 == 0 && started.elapsed() > CHUNK_TIME) {
                    break;
                }
            }
            drop(ins);
            chunk.finish(&tx, ctx)?;
            if let Some(e) = failure {
                // What was read up to here is kept; the batch can be undone.
                // The audit accounts for every committed row, failed or not.
                counts.blank = inbox.blank as i64;
                imports::update_batch(&tx, batch_id, &counts, BatchStatus::Incomplete, Some(&ctx.now))?;
                store::audit::append(
                    &tx,
                    &NewAudit {
                        actor: &actor,
                        action: if ctx.resumed { "import.resume" } else { "import" },
                        entity: "import_batch",
                        entity_id: Some(&batch_id.to_string()),
                        customer_id: None,
                        details: serde_json::json!({ "source": source, "status": BatchStatus::Incomplete.as_str(),
                            "counts": counts, "error": e.to_string() }),
                    },
                    &ctx.now,
                )?;
                tx.commit()?;
                return Err(e);
            }
            let status = match (done, cancelled) {
                (true, false) => BatchStatus::Complete,
                (true, true) => BatchStatus::Incomplete,
                _ => BatchStatus::Running,
            };
            counts.blank = inbox.blank as i64;
            imports::update_batch(&tx, batch_id, &counts, status, done.then_some(ctx.now.as_str()))?;
            if done {
                if let (Some(toml), false) = (remember, cancelled) {
                    imports::remember_mapping(&tx, source, toml, &actor, &ctx.now)?;
                }
                store::audit::append(
                    &tx,
                    &NewAudit {
                        actor: &actor,
                        action: if ctx.resumed { "import.resume" } else { "import" },
                        entity: "import_batch",
                        entity_id: Some(&batch_id.to_string()),
                        customer_id: None,
                        details: serde_json::json!({ "source": source, "status": status.as_str(), "counts": counts }),
                    },
                    &ctx.now,
                )?;
            }
            tx.commit()?;
            let (d, t) = inbox.at;
            progress(ImportProgress { counts, done: d, total: t, indexing: None });
            if let Some(w) = watch.as_deref_mut().filter(|_| !done) {
                w.chunk_written(
                    (counts.read - read_before).max(0) as u64,
                    started.elapsed().saturating_sub(inbox.waited - waited_before),
                );
                if let Some(idle) = w.bulk_is_cheaper(self.store.conn())? {
                    if store::bulk::begin(self.store.conn_mut(), batch_id, &idle)? {
                        w.switched = true;
                    }
                }
            }
        }
        Ok((counts, cancelled))
    }

    fn dry_run(
        &self,
        reader: &mut TableReader,
        source: &str,
        mapping: Mapping,
        stored: &StoredOptions,
        cancel: Option<&AtomicBool>,
    ) -> Result<ImportReport> {
        let conn = self.store.conn();
        let inputs = mapping.inputs();
        let key_index = mapping.key_index();
        let mut counts = BatchCounts::default();
        let mut issues = Vec::new();
        let mut seen = HashSet::new();
        let push =
            |issues: &mut Vec<RowIssueReport>, row: u64, column: Option<&str>, rule: &str, sev: &str, msg: &str| {
                if issues.len() < DRY_RUN_ISSUES {
                    issues.push(RowIssueReport {
                        row,
                        column: column.map(str::to_string),
                        rule: rule.into(),
                        severity: sev.into(),
                        message: msg.into(),
                    });
                }
            };
        while let Some(row) = reader.next_row() {
            if stored.limit.is_some_and(|l| counts.read as u64 >= l)
                || cancel.is_some_and(|c| c.load(Ordering::Relaxed))
            {
                break;
            }
            let row = row?;
            counts.read += 1;
            let key = row_key(&row, key_index);
            if let Some(why) = key_problem(&key, &mut seen) {
                push(&mut issues, row.number, mapping.key.as_deref(), why.0, "error", &why.1);
                counts.rejected += 1;
                continue;
            }
            let raw_json = serde_json::to_string(&row.cells)?;
            let existing = imports::find_source_record(conn, source, &key)?;
            if existing.as_ref().is_some_and(|(_, raw, _)| *raw == raw_json) {
                counts.unchanged += 1;
                continue;
            }
            let plan = plan_row(&inputs, &row.cells, &stored.default_kind);
            for i in &plan.issues {
                push(
                    &mut issues,
                    row.number,
                    i.column.as_deref(),
                    i.issue.rule,
                    i.issue.severity.as_str(),
                    &i.issue.message,
                );
            }
            if plan.warned() {
                counts.warned += 1;
            }
            match (existing, plan.rejected()) {
                (_, true) => counts.rejected += 1,
                (Some(_), false) => counts.updated += 1,
                (None, false) => counts.imported += 1,
            }
        }
        Ok(ImportReport {
            batch_id: None,
            mapping,
            counts,
            issues,
            cancelled: false,
            encoding: reader.encoding,
            blank: reader.blank_rows(),
        })
    }
}

/// A row whose key is empty or already seen in this file is rejected: the
/// key is how a later re-import finds the row again.
fn key_problem(key: &str, seen: &mut HashSet<u64>) -> Option<(&'static str, String)> {
    if key.is_empty() {
        return Some(("key.missing", "the row has no value in the key column".into()));
    }
    if !seen.insert(key_hash(key)) {
        return Some(("key.duplicate", format!("key `{key}` appears earlier in this file; this row was not imported")));
    }
    None
}

/// Rows travel from the reading thread to the writer in parcels of this
/// many, at most this many parcels in flight: a few MB whatever the file.
const PARCEL_ROWS: usize = 256;
const PARCELS_IN_FLIGHT: usize = 8;

/// One row read, keyed and planned by the reading thread.
struct Prepared {
    number: u64,
    key: String,
    raw_json: String,
    verdict: Verdict,
}

enum Verdict {
    /// An empty or repeated key: rejected before any look-up.
    BadKey(&'static str, String),
    Planned(Box<RowPlan>),
}

struct Parcel {
    rows: Vec<Prepared>,
    /// The file could not be read past `rows`.
    failure: Option<Error>,
    /// The whole file was read (or the limit reached) after `rows`.
    end: bool,
    /// Reader progress after the last of `rows`.
    at: (u64, u64),
    /// Blank rows passed over so far, from the top of the file.
    blank: u64,
}

/// The reading thread: skips the rows a resumed batch already committed
/// (their keys still count for spotting repeats), then reads, keys and
/// plans every row up to the limit. Stops when the writer hangs up.
fn produce(
    reader: &mut TableReader,
    ctx: &RunCtx<'_>,
    skip: u64,
    limit: Option<u64>,
    out: std::sync::mpsc::SyncSender<Parcel>,
    spent: std::sync::mpsc::Receiver<Vec<Prepared>>,
) {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut read = 0u64;
    let mut rows = Vec::with_capacity(PARCEL_ROWS);
    let failure = loop {
        if limit.is_some_and(|l| read >= l) {
            break None;
        }
        let row = match reader.next_row() {
            None => break None,
            Some(Err(e)) => break Some(e),
            Some(Ok(row)) => row,
        };
        read += 1;
        if read <= skip {
            seen.insert(key_hash(&row_key(&row, ctx.key_index)));
            continue;
        }
        match prepare(ctx, row, &mut seen) {
            Ok(p) => rows.push(p),
            Err(e) => break Some(e),
        }
        if rows.len() >= PARCEL_ROWS {
            // A parcel the writer is done with is cleared here, on the
            // thread that allocated its rows: freed on the writer, every
            // row's strings went back to this thread's malloc arena under
            // its lock, contended with this thread's own allocations.
            let next = match spent.try_recv() {
                Ok(mut old) => {
                    old.clear();
                    old
                }
                Err(_) => Vec::with_capacity(PARCEL_ROWS),
            };
            let parcel = Parcel {
                rows: std::mem::replace(&mut rows, next),
                failure: None,
                end: false,
                at: reader.progress(),
                blank: reader.blank_rows(),
            };
            if out.send(parcel).is_err() {
                return;
            }
        }
    };
    let end = failure.is_none();
    let _ = out.send(Parcel { rows, failure, end, at: reader.progress(), blank: reader.blank_rows() });
}

fn prepare(ctx: &RunCtx<'_>, row: RawRow, seen: &mut HashSet<u64>) -> Result<Prepared> {
    let key = row_key(&row, ctx.key_index);
    let raw_json = serde_json::to_string(&row.cells)?;
    let verdict = match key_problem(&key, seen) {
        Some((rule, msg)) => Verdict::BadKey(rule, msg),
        None => {
            let mut plan = plan_row(&ctx.inputs, &row.cells, &ctx.default_kind);
            if let Some(i) = plan.interaction.as_mut() {
                if i.kind.is_empty() {
                    i.kind = ctx.interaction_kind.clone();
                }
            }
            Verdict::Planned(Box::new(plan))
        }
    };
    Ok(Prepared { number: row.number, key, raw_json, verdict })
}

/// The writer's end of the channel.
struct Inbox {
    rx: std::sync::mpsc::Receiver<Parcel>,
    /// Back to the reading thread.
    spent: std::sync::mpsc::Sender<Vec<Prepared>>,
    /// The parcel being written, and the next row of it.
    rows: Vec<Prepared>,
    next: usize,
    failure: Option<Error>,
    ended: bool,
    at: (u64, u64),
    blank: u64,
    /// Time spent waiting for the reading thread (`CostWatch`).
    waited: Duration,
}

enum Next<'a> {
    Row(&'a mut Prepared),
    End,
    Failed(Error),
}

impl Inbox {
    fn next(&mut self) -> Next<'_> {
        loop {
            if self.next < self.rows.len() {
                self.next += 1;
                return Next::Row(&mut self.rows[self.next - 1]);
            }
            if let Some(e) = self.failure.take() {
                return Next::Failed(e);
            }
            if self.ended {
                return Next::End;
            }
            let waiting = Instant::now();
            let received = self.rx.recv();
            self.waited += waiting.elapsed();
            match received {
                Ok(p) => {
                    let spent = std::mem::replace(&mut self.rows, p.rows);
                    self.next = 0;
                    // Once the reader has stopped, the writer frees it.
                    let _ = self.spent.send(spent);
                    self.failure = p.failure;
                    self.ended = p.end;
                    self.at = p.at;
                    self.blank = p.blank;
                }
                // Hung up without saying it was done: it panicked.
                Err(_) => return Next::Failed(Error::Other("the import's reading thread stopped unexpectedly".into())),
            }
        }
    }
}

/// What one chunk (transaction) of an import keeps between rows.
struct Chunk {
    /// No other batch of this source exists, so no row can match an earlier
    /// source record: the per-row look-up is skipped.
    fresh: bool,
    /// Customer numbers taken in this chunk, written to `number_seq` once
    /// at its end (the chunk holds the write lock, so nobody else takes one).
    seq_last: Option<u64>,
    taken: u64,
}

impl Chunk {
    fn new(tx: &Connection, ctx: &RunCtx<'_>) -> Result<Chunk> {
        // An undo may have begun since the import started (it refuses to
        // while an import runs, but both may start at once).
        refuse_import_while_undoing(tx)?;
        let fresh = !imports::source_has_other_batches(tx, ctx.source, ctx.batch_id)?;
        Ok(Chunk { fresh, seq_last: None, taken: 0 })
    }

    fn next_number(&mut self, tx: &Connection, ctx: &RunCtx<'_>) -> Result<String> {
        let last = match self.seq_last {
            Some(l) => l,
            None => *self.seq_last.insert(customers::last_number(tx, ctx.year)?),
        };
        self.taken += 1;
        Ok(crate::domain::format_number(ctx.year, last + self.taken))
    }

    fn finish(&mut self, tx: &Connection, ctx: &RunCtx<'_>) -> Result<()> {
        if self.taken > 0 {
            let first = customers::allocate_numbers(tx, ctx.year, self.taken)?;
            if Some(first - 1) != self.seq_last {
                return Err(Error::Other("the customer number sequence moved during an import chunk".into()));
            }
            self.taken = 0;
            self.seq_last = None;
        }
        Ok(())
    }
}

fn process_row(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    chunk: &mut Chunk,
    ins: &mut customers::HeldInserts<'_>,
    row: &mut Prepared,
    counts: &mut BatchCounts,
) -> Result<()> {
    counts.read += 1;
    let row_no = row.number as i64;
    let plan: &mut RowPlan = match &mut row.verdict {
        Verdict::BadKey(rule, msg) => {
            imports::log_issue(
                tx,
                ctx.batch_id,
                row_no,
                ctx.key_header.as_deref(),
                None,
                rule,
                "error",
                msg,
                Some(&row.raw_json),
            )?;
            counts.rejected += 1;
            return Ok(());
        }
        Verdict::Planned(plan) => plan,
    };
    let existing = if chunk.fresh { None } else { imports::find_source_record(tx, ctx.source, &row.key)? };
    if existing.as_ref().is_some_and(|(_, raw, _)| *raw == row.raw_json) {
        counts.unchanged += 1;
        return Ok(());
    }
    let rejected = plan.rejected();
    for issue in &plan.issues {
        let raw = (issue.issue.severity == crate::domain::validate::Severity::Error).then_some(row.raw_json.as_str());
        imports::log_issue(
            tx,
            ctx.batch_id,
            row_no,
            issue.column.as_deref(),
            issue.issue.field,
            issue.issue.rule,
            issue.issue.severity.as_str(),
            &issue.issue.message,
            raw,
        )?;
    }
    if plan.warned() {
        counts.warned += 1;
    }
    match existing {
        Some((record_id, _, customer_id)) => {
            imports::supersede_source_record(tx, record_id, ctx.batch_id, row_no, &row.raw_json, &ctx.now)?;
            if rejected {
                counts.rejected += 1;
                return Ok(());
            }
            match customer_id {
                Some(cid) => update_from_plan(tx, ctx, ins, cid, plan, record_id)?,
                None => {
                    let cid = insert_customer(tx, ctx, chunk, ins, plan)?;
                    ins.phones_emails(cid, &plan.phones, &plan.emails, Some(record_id), Some(ctx.batch_id))?;
                    imports::set_source_customer(tx, record_id, cid)?;
                    attach_extras(tx, ctx, ins, cid, plan, record_id, true, None)?;
                }
            }
            counts.updated += 1;
        }
        None => {
            // A new customer is written before its source record, so the
            // record is inserted already linked (no UPDATE of a fresh row).
            let cid = if rejected { None } else { Some(insert_customer(tx, ctx, chunk, ins, plan)?) };
            let record_id = ins.source_record(
                &NewSourceRecord {
                    source: ctx.source,
                    source_key: &row.key,
                    batch_id: ctx.batch_id,
                    row_number: row_no,
                    raw_json: &row.raw_json,
                    customer_id: cid,
                },
                &ctx.now,
            )?;
            match cid {
                None => counts.rejected += 1,
                Some(cid) => {
                    ins.phones_emails(cid, &plan.phones, &plan.emails, Some(record_id), Some(ctx.batch_id))?;
                    attach_extras(tx, ctx, ins, cid, plan, record_id, true, None)?;
                    counts.imported += 1;
                }
            }
        }
    }
    Ok(())
}

/// Interactions drive the last follow-up date (domain.md).
fn apply_interaction_date(plan: &mut RowPlan) {
    if let Some(at) = plan.interaction.as_ref().map(|i| i.at.clone()) {
        let later = plan.customer.last_followup.as_deref().is_none_or(|l| at.as_str() > l);
        if later {
            plan.customer.last_followup = Some(at);
            if !plan.provided.contains(&Field::LastFollowup) {
                plan.provided.push(Field::LastFollowup);
            }
        }
    }
}

/// Inserts the customer row a plan describes, numbered from the chunk.
fn insert_customer(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    chunk: &mut Chunk,
    ins: &mut customers::HeldInserts<'_>,
    plan: &mut RowPlan,
) -> Result<i64> {
    apply_interaction_date(plan);
    plan.customer.number = chunk.next_number(tx, ctx)?;
    ins.customer(&plan.customer, &ctx.now, Some(ctx.batch_id))
}

/// `is_new`: the customer was created by this row, so it has no contacts
/// yet and the look-ups for existing ones are skipped.
#[allow(clippy::too_many_arguments)]
fn attach_extras(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    ins: &mut customers::HeldInserts<'_>,
    cid: i64,
    plan: &RowPlan,
    record_id: i64,
    is_new: bool,
    home: Option<&Home>,
) -> Result<()> {
    // The contacts a new customer has so far: its own, written just now.
    // An old customer's are looked up instead.
    let mut added: Vec<&str> = Vec::new();
    // A company row's contact person is a contact of the company, with the
    // row's mobile and e-mail (they belong to the person, not the firm).
    if plan.customer.kind == CustomerKind::Company {
        if let Some(name) = plan.customer.get(Field::ContactName) {
            let exists = !is_new && has_row(tx, home, cid, "contacts", "name", name)?;
            if !exists {
                let contact = crate::domain::Contact {
                    customer_id: cid,
                    name: name.to_string(),
                    title: plan.customer.contact_title.clone(),
                    mobile: plan.customer.mobile.clone(),
                    landline: plan.customer.landline.clone(),
                    email: plan.customer.email.clone(),
                    source_record_id: Some(record_id),
                    ..Default::default()
                };
                ins.contact(&contact, &ctx.now, Some(ctx.batch_id))?;
                added.push(name);
            }
        }
    }
    for (name, title) in &plan.extra_contacts {
        let exists = if is_new {
            added.contains(&name.as_str())
        } else {
            added.contains(&name.as_str()) || has_row(tx, home, cid, "contacts", "name", name)?
        };
        if !exists {
            added.push(name);
            let contact = crate::domain::Contact {
                customer_id: cid,
                name: name.clone(),
                title: title.clone(),
                source_record_id: Some(record_id),
                ..Default::default()
            };
            ins.contact(&contact, &ctx.now, Some(ctx.batch_id))?;
        }
    }
    // Custom values are the customer's own fields: they go to the customer
    // the record belongs to (the survivor keeps the copy its merge made).
    let custom_to = home.map_or(cid, |h| h.id);
    for (name, ty, value) in &plan.custom {
        customers::set_custom(tx, custom_to, name, ty, value, Some(ctx.batch_id))?;
        // Only a customer that survives a merge (or whose record a merge
        // carried) can hold a merge's copy.
        if home.is_some_and(|h| h.exact) {
            if let Some(entry) = store::merges::claim_custom_copy(tx, custom_to, name, ctx.batch_id)? {
                imports::record_custom_copy(tx, ctx.batch_id, custom_to, name, entry)?;
            }
        }
    }
    if let Some(i) = &plan.interaction {
        let i = Interaction { customer_id: cid, source_record_id: Some(record_id), ..i.clone() };
        customers::insert_interaction(tx, &i, &ctx.now, Some(ctx.batch_id))?;
    }
    Ok(())
}

/// The customer a re-imported source record belongs to, when a merge put
/// the record on another: its own values go to it (and to the golden
/// records above it only where those still show what the merge chose), its
/// new rows are told apart from the rows of the customers merged with it.
struct Home {
    /// The customer the record belongs to (the one it is on with every merge undone).
    id: i64,
    /// Where its rows can be: itself, then each survivor above it.
    holders: Vec<i64>,
    /// The holder has rows of other customers (it survives a merge), so
    /// "already has this number" asks whose each row is.
    exact: bool,
}

/// Whether the customer the record belongs to already has a row of `tbl`
/// with `col` = `value`.
fn has_row(tx: &Connection, home: Option<&Home>, cid: i64, tbl: &str, col: &str, value: &str) -> Result<bool> {
    match home {
        Some(h) if h.exact => store::merges::home_has(tx, tbl, col, value, h.id, &h.holders),
        _ => store::merges::customer_has(tx, tbl, col, value, cid),
    }
}

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    a.filter(|s| !s.is_empty()) == b.filter(|s| !s.is_empty())
}

fn set_field(c: &mut crate::domain::Customer, f: Field, from: &crate::domain::Customer) {
    match f {
        Field::Name => c.name = from.name.clone(),
        Field::Kind => c.kind = from.kind,
        Field::Number => {}
        _ => *c.slot_mut(f).expect("text field") = from.get(f).map(str::to_string),
    }
}

/// Carries `fields`, changed from `old` to `new`, up the merges `layers`
/// on survivor `holder` (oldest first), from the result of the first: a
/// merge's result takes a new value where it still shows the old one and
/// was not edited by hand, and the next merge's `before` where it shows it
/// too. Returns the fields that reached the top. What changes is kept for
/// the batch's undo, beside `holder`'s before-image.
fn climb(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    holder: i64,
    layers: &[i64],
    mut fields: Vec<Field>,
    old: &crate::domain::Customer,
    new: &crate::domain::Customer,
) -> Result<Vec<Field>> {
    let g = store::merges::golden_json(new);
    for (i, &m) in layers.iter().enumerate() {
        let mut sides = vec![Side::After];
        if i > 0 {
            sides.insert(0, Side::Before);
        }
        for side in sides {
            let mut state = store::merges::side(tx, m, side)?;
            let edits = if side == Side::After { store::merges::after_and_edits(tx, m)?.1 } else { Vec::new() };
            fields.retain(|f| {
                !edits.iter().any(|e| e == f.name())
                    && same(store::merges::golden_value(&state, *f).as_deref(), old.get(*f))
            });
            if fields.is_empty() {
                return Ok(fields);
            }
            let was = state.clone();
            for f in &fields {
                state["fields"][f.name()] = g["fields"][f.name()].clone();
            }
            if fields.iter().any(|f| matches!(f, Field::Name | Field::Kind)) {
                state["parts"] = g["parts"].clone();
            }
            if state != was {
                store::merges::set_side(tx, m, side, &state)?;
                imports::record_merge_side(tx, ctx.batch_id, holder, m, side, &was, &state)?;
            }
        }
    }
    Ok(fields)
}

/// Shows `fields` of `new` on `shown`, a survivor whose latest merge in
/// effect is `top`; that merge's flags follow when they were the record's.
/// Returns the record as written.
fn show(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    shown: &crate::domain::Customer,
    fields: &[Field],
    new: &crate::domain::Customer,
    has_detail: bool,
    top: i64,
) -> Result<crate::domain::Customer> {
    let mut s = shown.clone();
    if fields.is_empty() {
        return Ok(s);
    }
    for f in fields {
        set_field(&mut s, *f, new);
    }
    crate::domain::validate::derive_name(&mut s, &mut Vec::new());
    let detail = has_detail || s.mobile.is_some() || s.email.is_some();
    crate::domain::validate::check_record(&mut s, detail);
    customers::write_fields(tx, &s, &ctx.now)?;
    let mut after = store::merges::side(tx, top, Side::After)?;
    if after["flags"] == serde_json::json!(shown.flags) && shown.flags != s.flags {
        let was = after.clone();
        after["flags"] = serde_json::json!(s.flags);
        store::merges::set_side(tx, top, Side::After, &after)?;
        imports::record_merge_side(tx, ctx.batch_id, s.id, top, Side::After, &was, &after)?;
    }
    imports::record_written(tx, ctx.batch_id, s.id, &customers::snapshot(tx, s.id)?)?;
    Ok(s)
}

/// Applies a changed source row to its customer: the fields the row supplies
/// are set, new phones and e-mails are added, nothing else is touched. The
/// customer's before-image is kept so the batch can be undone.
///
/// A record a merge moved to its survivor `cid` still belongs to the
/// customer it came from: that customer's own fields take the row, and so
/// does each golden record above it, field by field, where it still shows
/// what the merge chose and was not edited since (the merge's `after` moves
/// along, so an unmerge gives the values back to their customer); new rows
/// carry the record, so an unmerge returns them with it.
fn update_from_plan(
    tx: &Connection,
    ctx: &RunCtx<'_>,
    ins: &mut customers::HeldInserts<'_>,
    cid: i64,
    plan: &RowPlan,
    record_id: i64,
) -> Result<()> {
    let links = store::merges::record_links(tx, record_id, cid)?;
    let home_id = links.first().map_or(cid, |l| l.from);
    let home = Home {
        id: home_id,
        holders: std::iter::once(home_id).chain(links.iter().map(|l| l.survivor)).collect(),
        exact: !links.is_empty() || store::merges::survives_open_merge(tx, home_id)?,
    };
    let Some(shown) = customers::get_customer(tx, home.id)? else {
        return Err(Error::NotFound(format!("customer {} of source record {record_id} is missing", home.id)));
    };
    let before = customers::snapshot(tx, home.id)?;
    imports::record_before_image(tx, ctx.batch_id, home.id, &before.to_string())?;
    // The customer's own values: what it shows, or — when it survives
    // merges still in effect — the first one's `before`.
    let layers = store::merges::open_merges_on(tx, home.id)?;
    let own_old = match layers.first() {
        Some(&m) => store::merges::from_golden_json(&shown, &store::merges::side(tx, m, Side::Before)?),
        None => shown.clone(),
    };
    let mut c = own_old.clone();
    let mut plan = plan.clone();
    if let Some(at) = plan.interaction.as_ref().map(|i| i.at.clone()) {
        if c.last_followup.as_deref().is_none_or(|l| at.as_str() > l) && plan.customer.last_followup.is_none() {
            plan.customer.last_followup = Some(at);
            plan.provided.push(Field::LastFollowup);
        }
    }
    for f in &plan.provided {
        set_field(&mut c, *f, &plan.customer);
    }
    let has_detail = !plan.phones.is_empty() || !plan.emails.is_empty() || c.mobile.is_some() || c.email.is_some();
    crate::domain::validate::derive_name(&mut c, &mut Vec::new());
    crate::domain::validate::check_record(&mut c, has_detail);
    // Only what the row changed travels up: a re-import that repeats the
    // name it always had does not rename the golden record.
    let changed: Vec<Field> =
        Field::ALL.iter().copied().filter(|f| *f != Field::Number && !same(c.get(*f), own_old.get(*f))).collect();
    let (mut applied, mut below) = match layers.first() {
        None => {
            customers::write_fields(tx, &c, &ctx.now)?;
            (changed, c)
        }
        Some(&first) => {
            // A survivor re-imported while merged: its own values are the
            // first merge's `before`; each result above takes them where
            // it showed the value they replace (the merge chose it), and
            // the record shown takes them where it shows that too. A field
            // typed in by hand since is the survivor's own as well: the
            // re-import replaces it, as it would without the merge.
            let mut own = store::merges::side(tx, first, Side::Before)?;
            let was = own.clone();
            let g = store::merges::golden_json(&c);
            for f in &changed {
                own["fields"][f.name()] = g["fields"][f.name()].clone();
            }
            if changed.iter().any(|f| matches!(f, Field::Name | Field::Kind)) {
                own["parts"] = g["parts"].clone();
            }
            if was["flags"] == serde_json::json!(own_old.flags) {
                own["flags"] = g["flags"].clone();
            }
            if own != was {
                store::merges::set_side(tx, first, Side::Before, &own)?;
                imports::record_merge_side(tx, ctx.batch_id, home.id, first, Side::Before, &was, &own)?;
            }
            let mut edited = Vec::new();
            for &m in &layers {
                let (_, edits) = store::merges::after_and_edits(tx, m)?;
                // What the row provides replaces an edit, changed from the
                // survivor's own value or not.
                edited.extend(plan.provided.iter().copied().filter(|f| edits.iter().any(|e| e == f.name())));
            }
            let mut fields = climb(tx, ctx, home.id, &layers, changed, &own_old, &c)?;
            fields.retain(|f| same(shown.get(*f), own_old.get(*f)));
            edited.sort_by_key(|f| f.name());
            edited.dedup();
            store::merges::mark_edited(tx, home.id, &edited)?;
            for f in edited {
                if !fields.contains(&f) && !same(shown.get(f), c.get(f)) {
                    fields.push(f);
                }
            }
            let s = show(tx, ctx, &shown, &fields, &c, has_detail, *layers.last().expect("a merge"))?;
            (fields, s)
        }
    };
    // Up the merges that carried the record: each golden record takes
    // what the one below it took, where it was not edited.
    for link in &links {
        if applied.is_empty() {
            break;
        }
        let Some(s) = customers::get_customer(tx, link.survivor)? else { break };
        let on_s = store::merges::open_merges_on(tx, s.id)?;
        let Some(pos) = on_s.iter().position(|m| *m == link.merge) else { break };
        let (after, edits) = store::merges::after_and_edits(tx, link.merge)?;
        applied.retain(|f| {
            let was = store::merges::golden_value(&after, *f);
            !edits.iter().any(|e| e == f.name())
                && !same(was.as_deref(), below.get(*f))
                && (*f != Field::LastFollowup || below.get(*f) > was.as_deref())
        });
        if applied.is_empty() {
            break;
        }
        imports::record_before_image(tx, ctx.batch_id, s.id, &customers::snapshot(tx, s.id)?.to_string())?;
        let old = store::merges::from_golden_json(&s, &after);
        let mut fields = climb(tx, ctx, s.id, &on_s[pos..], applied, &old, &below)?;
        fields.retain(|f| same(s.get(*f), old.get(*f)));
        below = show(tx, ctx, &s, &fields, &below, has_detail, *on_s.last().expect("a merge"))?;
        applied = fields;
    }
    for (kind, number) in &plan.phones {
        if !has_row(tx, Some(&home), cid, "customer_phones", "number", number)? {
            tx.prepare_cached(
                "INSERT INTO customer_phones (customer_id, kind, number, is_primary, source_record_id, batch_id) VALUES (?1,?2,?3,0,?4,?5)",
            )?
            .execute(params![cid, PhoneKind::as_str(*kind), number, record_id, ctx.batch_id])?;
        }
    }
    for email in &plan.emails {
        if !has_row(tx, Some(&home), cid, "customer_emails", "email", email)? {
            tx.prepare_cached(
                "INSERT INTO customer_emails (customer_id, email, is_primary, source_record_id, batch_id) VALUES (?1,?2,0,?3,?4)",
            )?
            .execute(params![cid, email, record_id, ctx.batch_id])?;
        }
    }
    attach_extras(tx, ctx, ins, cid, &plan, record_id, false, Some(&home))?;
    imports::record_written(tx, ctx.batch_id, home.id, &customers::snapshot(tx, home.id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fk_problems(wb: &Workbench) -> Vec<String> {
        let conn = wb.store.conn();
        let mut stmt = conn.prepare("PRAGMA foreign_key_check").unwrap();
        stmt.query_map([], |r| Ok(format!("{} row {}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Issue 15, "cost follows the change": `--bulk auto` turns to a bulk
    /// load between chunks when rebuilding the indexes is measured to cost
    /// less than writing the rest row by row, and stays row by row when it
    /// is not, whatever the row count.
    #[test]
    fn auto_turns_to_a_bulk_load_by_measured_cost() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        let mut text = String::from("编号,客户名称,手机\n");
        for i in 0..12_000u64 {
            text.push_str(&format!("K{i},客户{i}有限公司,1{:010}\n", 3_000_000_000 + i));
        }
        std::fs::write(&p, text).unwrap();
        let run = |seconds_per_entry: f64| {
            let mut wb = Workbench::open_in_memory("t").unwrap();
            let indexes = |wb: &Workbench| -> i64 {
                wb.store
                    .conn()
                    .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index'", [], |r| r.get(0))
                    .unwrap()
            };
            let before = indexes(&wb);
            // As if the database's last rebuild had measured this speed.
            let rate = serde_json::json!({ "entries": 1_000_000, "seconds": seconds_per_entry * 1e6 });
            store::meta_set(wb.store.conn(), "index_build_rate", &rate.to_string()).unwrap();
            let o = ImportOptions { source: "s".into(), key: Some("编号".into()), ..Default::default() };
            let mut rebuilt = false;
            let r = wb.import(&p, &o, &mut |pr| rebuilt |= pr.indexing.is_some()).unwrap();
            assert_eq!(r.counts.imported, 12_000);
            assert_eq!(indexes(&wb), before, "every index is there after the import");
            assert_eq!(store::bulk::pending(wb.store.conn()).unwrap(), None);
            let found: i64 = wb
                .store
                .conn()
                .query_row("SELECT count(*) FROM customer_phones WHERE number = '13000011999'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(found, 1);
            rebuilt
        };
        // Rebuilding nearly free: the first chunk's pace is enough to turn.
        assert!(run(1e-12), "a cheap rebuild turns the import into a bulk load");
        // Rebuilding dearer than any row: row by row to the end.
        assert!(!run(1.0), "a dear rebuild keeps the import row by row");
    }

    /// A watch decides from what it measured: the rest of the file at the
    /// pace so far, against the rebuild of the tables as they will be.
    #[test]
    fn the_cost_watch_weighs_the_rest_against_the_rebuild() {
        let wb = Workbench::open_in_memory("t").unwrap();
        let conn = wb.store.conn();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO customers (number, name, name_sort, created_at, updated_at)
             SELECT 'C' || i, 'name ' || i, 'name ' || i, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n",
        )
        .unwrap();
        // The customers the watched chunks write.
        let added = std::cell::Cell::new(20_000);
        let write = |n: i64| {
            let from = added.get();
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT ?1 + 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2)
                 INSERT INTO customers (number, name, name_sort, created_at, updated_at)
                 SELECT 'C' || i, 'name ' || i, 'name ' || i, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n",
                [from, n],
            )
            .unwrap();
            added.set(from + n);
        };
        // Two chunks of 500 rows: a slow first one (cold pages), then `busy`.
        let watch = |expected: u64, busy: Duration| {
            let mut w = CostWatch::new(conn, expected).unwrap();
            w.seconds_per_entry = 1e-6;
            write(500);
            w.chunk_written(500, Duration::from_secs(5));
            write(500);
            w.chunk_written(500, busy);
            w
        };
        let w = watch(100_000, Duration::from_millis(500));
        let customers = w.rows_at_start.iter().find(|(t, _)| t == "customers").map(|r| r.1);
        assert!(customers >= Some(20_000), "{:?}", w.rows_at_start);
        // 99,000 rows at a millisecond each against well under a second.
        // Only the customers grew: the other tables keep their indexes.
        let idle = w.bulk_is_cheaper(conn).unwrap().expect("cheaper as a bulk load");
        assert!(!idle.contains(&"customers".to_string()) && idle.contains(&"customer_emails".to_string()), "{idle:?}");
        // Ten rows left: not worth a rebuild.
        assert!(watch(1_010, Duration::from_millis(500)).bulk_is_cheaper(conn).unwrap().is_none());
        // Fast rows (a tenth of a microsecond each, the slow first chunk
        // aside): row by row.
        assert!(watch(100_000, Duration::from_micros(50)).bulk_is_cheaper(conn).unwrap().is_none());
        // One chunk, however slow, decides nothing.
        let mut one = CostWatch::new(conn, 100_000).unwrap();
        write(500);
        one.chunk_written(500, Duration::from_secs(5));
        assert!(one.bulk_is_cheaper(conn).unwrap().is_none());
        // Chunks that wrote no row to any table the load would rebuild
        // (every row rejected, say): nothing to gain from a rebuild.
        let mut idle = CostWatch::new(conn, 100_000).unwrap();
        idle.seconds_per_entry = 1e-6;
        idle.chunk_written(500, Duration::from_secs(5));
        idle.chunk_written(500, Duration::from_secs(5));
        assert!(idle.bulk_is_cheaper(conn).unwrap().is_none());
    }

    /// The import writes with foreign-key checks off: whatever it wrote must
    /// still pass them, and the connection gets its checks back, also after
    /// a failed import.
    #[test]
    fn imports_leave_every_reference_valid_and_checks_on() {
        let dir = tempfile::tempdir().unwrap();
        let csv = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let first = csv(
            "a.csv",
            "编号,客户名称,联系人,手机,邮箱,座机,创建时间,问题描述\n\
             K1,北京星辰科技有限公司,王经理、李娜,13812345678,wang@xc.com,010-62345678,2024-03-05,电话回访\n\
             K2,,,12345,li@,,,\n\
             K3,上海腾达贸易有限公司,李总,13900000000,,,2024/4/1,上门\n",
        );
        let second = csv(
            "b.csv",
            "编号,客户名称,联系人,手机,邮箱,座机,创建时间,问题描述\n\
             K1,北京星辰科技有限公司,王总,13812345679,wang2@xc.com,,2024-05-05,续约\n\
             K2,广州新客户有限公司,,13700000000,,,,\n\
             K3,上海腾达贸易有限公司,李总,13900000000,,,2024/4/1,上门\n",
        );
        let mut wb = Workbench::open_in_memory("t").unwrap();
        let o = ImportOptions { source: "s".into(), key: Some("编号".into()), ..Default::default() };
        let a = wb.import(&first, &o, &mut |_| {}).unwrap();
        assert_eq!((a.counts.imported, a.counts.rejected), (2, 1), "{:?}", a.counts);
        let b = wb.import(&second, &o, &mut |_| {}).unwrap();
        assert_eq!((b.counts.updated, b.counts.unchanged), (2, 1), "{:?}", b.counts);
        let on: bool = wb.store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert!(on, "foreign-key checks are back on after an import");
        let n = |sql: &str| wb.store.conn().query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert!(n("SELECT count(*) FROM customer_phones") >= 4 && n("SELECT count(*) FROM contacts") >= 3);
        assert!(n("SELECT count(*) FROM interactions") >= 2);
        assert_eq!(fk_problems(&wb), Vec::<String>::new());

        // A file that fails mid-way: a row the reader cannot decode, past
        // the head it sniffs, so the failure reaches the writing loop.
        let mut bad = "编号,客户名称\n".as_bytes().to_vec();
        for i in 0..8_000 {
            bad.extend_from_slice(format!("B{i},客户{i}有限公司\n").as_bytes());
        }
        bad.extend_from_slice(b"B-last,\xff\xfe\n");
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, bad).unwrap();
        let o = ImportOptions { source: "bad".into(), key: Some("编号".into()), ..Default::default() };
        let failed = wb.import(&p, &o, &mut |_| {});
        assert!(failed.is_err(), "{failed:?}");
        let customers: i64 = wb.store.conn().query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
        assert!(customers > 8_000, "the failure came after rows were written: {customers}");
        let on: bool = wb.store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert!(on, "foreign-key checks are back on after a failed import");
        assert_eq!(fk_problems(&wb), Vec::<String>::new());
    }
}
