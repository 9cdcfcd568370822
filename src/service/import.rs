//! Running an import: read, plan, write in chunks, log, audit once.

use super::Workbench;
use crate::domain::{BatchStatus, Field, Interaction, PhoneKind};
use crate::error::{Error, Result};
use crate::ingest::{plan_row, Mapping, RowPlan, TableReader};
use crate::store::{self, customers, imports, BatchCounts, NewAudit, NewCustomer, NewSourceRecord};
use chrono::Datelike;
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The source's name ("sales", "service tickets 2023").
    pub source: String,
    /// The header of the source's own record key; else the row number.
    pub key: Option<String>,
    /// `HEADER=FIELD` overrides of the automatic mapping.
    pub maps: Vec<String>,
    /// Customer kind for rows that do not say (`company` unless set).
    pub default_kind: Option<String>,
    /// Interaction kind for rows that carry an interaction but no kind column.
    pub interaction_kind: Option<String>,
    /// Stop after this many data rows.
    pub limit: Option<u64>,
}

/// Reported while an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportProgress {
    pub counts: BatchCounts,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub batch_id: i64,
    pub mapping: Mapping,
    pub counts: BatchCounts,
}

/// Rows per transaction at most, and the longest a transaction may hold
/// the write lock: other users of the database wait at most about this long.
const CHUNK_ROWS: usize = 5000;
const CHUNK_TIME: Duration = Duration::from_millis(500);

impl Workbench {
    /// Builds the mapping a file would be imported with, without importing.
    pub fn preview_mapping(&self, path: &Path, opts: &ImportOptions) -> Result<Mapping> {
        let reader = TableReader::open(path)?;
        Mapping::build(reader.headers(), &opts.maps, opts.key.as_deref())
            .map_err(|e| Error::input(reader.file(), None, None, e))
    }

    /// Imports a file. Every row is kept verbatim as a source record; each
    /// new valid row becomes a customer; an unchanged row (same source and
    /// key, same cells) is skipped; a changed row supersedes its raw row and
    /// updates the fields it supplies. One audit entry for the whole batch.
    pub fn import(
        &mut self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let source = opts.source.trim();
        if source.is_empty() {
            return Err(Error::Invalid("--source needs a name for where the file came from (e.g. `sales`)".into()));
        }
        let mut reader = TableReader::open(path)?;
        let headers = reader.headers().to_vec();
        let mapping = Mapping::build(&headers, &opts.maps, opts.key.as_deref())
            .map_err(|e| Error::input(reader.file(), None, None, e))?;
        let targets = mapping.targets();
        let key_index = mapping.key_index();
        let default_kind = opts.default_kind.clone().unwrap_or_else(|| "company".into());
        let interaction_kind = opts.interaction_kind.clone().unwrap_or_else(|| "note".into());
        let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let now = self.clock.stamp();
        let year = self.clock.today().year();
        let actor = self.actor.clone();

        let batch_id = imports::create_batch(
            self.store.conn(),
            source,
            &file_name,
            reader.encoding,
            &serde_json::to_string(&headers).expect("strings serialise"),
            &serde_json::to_string(&mapping).expect("mapping serialises"),
            &actor,
            &now,
        )?;
        let mut counts = BatchCounts::default();
        let mut seen_keys = std::collections::HashSet::new();
        let mut done = false;
        while !done {
            let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
            let started = Instant::now();
            let mut in_chunk = 0;
            loop {
                if opts.limit.is_some_and(|l| counts.read as u64 >= l) {
                    done = true;
                    break;
                }
                let row = match reader.next_row() {
                    None => {
                        done = true;
                        break;
                    }
                    Some(Ok(row)) => row,
                    Some(Err(e)) => {
                        // Keep what was committed; the batch is marked incomplete.
                        drop(tx);
                        imports::update_batch(
                            self.store.conn(),
                            batch_id,
                            &counts,
                            BatchStatus::Incomplete,
                            Some(&now),
                        )?;
                        return Err(e);
                    }
                };
                counts.read += 1;
                let key = match key_index {
                    Some(i) => row.cells.get(i).map(|s| s.trim().to_string()).unwrap_or_default(),
                    None => row.number.to_string(),
                };
                let row_no = row.number as i64;
                if key.is_empty() {
                    imports::log_issue(
                        &tx,
                        batch_id,
                        row_no,
                        mapping.key.as_deref(),
                        "key.missing",
                        "error",
                        "the row has no value in the key column",
                    )?;
                    counts.rejected += 1;
                    continue;
                }
                if !seen_keys.insert(key.clone()) {
                    imports::log_issue(
                        &tx,
                        batch_id,
                        row_no,
                        mapping.key.as_deref(),
                        "key.duplicate",
                        "error",
                        &format!("key `{key}` appears earlier in this file; this row was not imported"),
                    )?;
                    counts.rejected += 1;
                    continue;
                }
                let raw_json = serde_json::to_string(&row.cells).expect("strings serialise");
                let existing = imports::find_source_record(&tx, source, &key)?;
                if let Some((_, old_raw, _)) = &existing {
                    if *old_raw == raw_json {
                        counts.unchanged += 1;
                        continue;
                    }
                }
                let mut plan = plan_row(&headers, &targets, &row.cells, &default_kind);
                if let Some(i) = plan.interaction.as_mut() {
                    if i.kind.is_empty() {
                        i.kind = interaction_kind.clone();
                    }
                }
                for issue in &plan.issues {
                    imports::log_issue(
                        &tx,
                        batch_id,
                        row_no,
                        issue.column.as_deref(),
                        issue.issue.rule,
                        issue.issue.severity.as_str(),
                        &issue.issue.message,
                    )?;
                }
                if plan.warned() {
                    counts.warned += 1;
                }
                match existing {
                    Some((record_id, _, customer_id)) => {
                        imports::supersede_source_record(&tx, record_id, batch_id, row_no, &raw_json, &now)?;
                        if plan.rejected() {
                            counts.rejected += 1;
                        } else {
                            match customer_id {
                                Some(cid) => update_from_plan(&tx, cid, &plan, record_id, &now)?,
                                None => create_from_plan(&tx, year, &mut plan, record_id, &now)?,
                            }
                            counts.updated += 1;
                        }
                    }
                    None => {
                        let record_id = imports::insert_source_record(
                            &tx,
                            &NewSourceRecord {
                                source,
                                source_key: &key,
                                batch_id,
                                row_number: row_no,
                                raw_json: &raw_json,
                                customer_id: None,
                            },
                            &now,
                        )?;
                        if plan.rejected() {
                            counts.rejected += 1;
                        } else {
                            create_from_plan(&tx, year, &mut plan, record_id, &now)?;
                            counts.imported += 1;
                        }
                    }
                }
                in_chunk += 1;
                if in_chunk >= CHUNK_ROWS || (in_chunk % 256 == 0 && started.elapsed() > CHUNK_TIME) {
                    break;
                }
            }
            let status = if done { BatchStatus::Complete } else { BatchStatus::Running };
            imports::update_batch(&tx, batch_id, &counts, status, done.then_some(now.as_str()))?;
            if done {
                store::audit::append(
                    &tx,
                    &NewAudit {
                        actor: &actor,
                        action: "import",
                        entity: "import_batch",
                        entity_id: Some(&batch_id.to_string()),
                        customer_id: None,
                        details: serde_json::json!({ "source": source, "file": file_name, "counts": counts }),
                    },
                    &now,
                )?;
            }
            tx.commit()?;
            progress(super::ImportProgress { counts });
        }
        Ok(ImportReport { batch_id, mapping, counts })
    }
}

fn create_from_plan(tx: &Connection, year: i32, plan: &mut RowPlan, record_id: i64, now: &str) -> Result<()> {
    let seq = customers::allocate_numbers(tx, year, 1)?;
    plan.customer.number = crate::domain::format_number(year, seq);
    let new = NewCustomer { customer: plan.customer.clone(), phones: plan.phones.clone(), emails: plan.emails.clone() };
    let cid = customers::insert_customer(tx, &new, now, Some(record_id))?;
    imports::set_source_customer(tx, record_id, cid)?;
    attach_extras(tx, cid, plan, record_id, now)
}

fn attach_extras(tx: &Connection, cid: i64, plan: &RowPlan, record_id: i64, now: &str) -> Result<()> {
    // A company row's contact person is a contact of the company, with the
    // row's mobile and e-mail (they belong to the person, not the firm).
    if plan.customer.kind == crate::domain::CustomerKind::Company {
        if let Some(name) = plan.customer.get(Field::ContactName) {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM contacts WHERE customer_id = ?1 AND name = ?2)",
                params![cid, name],
                |r| r.get(0),
            )?;
            if !exists {
                let contact = crate::domain::Contact {
                    customer_id: cid,
                    name: name.to_string(),
                    mobile: plan.customer.mobile.clone(),
                    landline: plan.customer.landline.clone(),
                    email: plan.customer.email.clone(),
                    source_record_id: Some(record_id),
                    ..Default::default()
                };
                customers::insert_contact(tx, &contact, now)?;
            }
        }
    }
    for (name, ty, value) in &plan.custom {
        customers::set_custom(tx, cid, name, ty, value)?;
    }
    if let Some(i) = &plan.interaction {
        let i = Interaction { customer_id: cid, source_record_id: Some(record_id), ..i.clone() };
        customers::insert_interaction(tx, &i, now)?;
    }
    Ok(())
}

/// Applies a changed source row to its customer: the fields the row supplies
/// are set, new phones and e-mails are added, nothing else is touched.
fn update_from_plan(tx: &Connection, cid: i64, plan: &RowPlan, record_id: i64, now: &str) -> Result<()> {
    let Some(mut c) = customers::get_customer(tx, cid)? else {
        return Err(Error::NotFound(format!("customer {cid} of source record {record_id} is missing")));
    };
    for f in &plan.provided {
        match f {
            Field::Name => c.name = plan.customer.name.clone(),
            Field::Kind => c.kind = plan.customer.kind,
            Field::Number => {}
            _ => *c.slot_mut(*f).expect("text field") = plan.customer.get(*f).map(str::to_string),
        }
    }
    let mut sets = Vec::new();
    let mut values: Vec<Option<String>> = Vec::new();
    for f in Field::ALL.iter().filter(|f| **f != Field::Number) {
        sets.push(format!("{} = ?{}", f.name(), sets.len() + 1));
        values.push(c.get(*f).map(str::to_string));
    }
    let n = values.len();
    tx.execute(
        &format!(
            "UPDATE customers SET {}, version = version + 1, updated_at = ?{} WHERE id = ?{}",
            sets.join(", "),
            n + 1,
            n + 2
        ),
        rusqlite::params_from_iter(values.into_iter().chain([Some(now.to_string()), Some(cid.to_string())])),
    )?;
    for (kind, number) in &plan.phones {
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM customer_phones WHERE customer_id = ?1 AND number = ?2)",
            params![cid, number],
            |r| r.get(0),
        )?;
        if !exists {
            tx.execute(
                "INSERT INTO customer_phones (customer_id, kind, number, is_primary, source_record_id) VALUES (?1,?2,?3,0,?4)",
                params![cid, PhoneKind::as_str(*kind), number, record_id],
            )?;
        }
    }
    for email in &plan.emails {
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM customer_emails WHERE customer_id = ?1 AND email = ?2)",
            params![cid, email],
            |r| r.get(0),
        )?;
        if !exists {
            tx.execute(
                "INSERT INTO customer_emails (customer_id, email, is_primary, source_record_id) VALUES (?1,?2,0,?3)",
                params![cid, email, record_id],
            )?;
        }
    }
    attach_extras(tx, cid, plan, record_id, now)
}
