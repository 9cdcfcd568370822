//! The only door for changes. Every mutation takes the acting user, applies
//! the domain rules, and writes the change and its audit row in one
//! transaction. The CLI and the TUI call the same methods.

pub mod access;
pub mod actor;
mod admin;
mod customer_entry;
mod edit;
mod erase;
mod export;
mod followups;
mod import;
mod matching;
mod merge;
mod quality;
mod search;
pub mod survivorship;

pub use access::{Access, Permission, Scope, Subject};
pub use admin::{CheckReport, DemoUser, UserRow};
pub use customer_entry::{parse_set, CustomerFilter, PossibleDuplicate, SortKey};
pub use edit::{edit_permission, EditCheck, EditOutcome, FieldChange, Refusal};
pub use erase::{ErasureReport, ERASED};
pub use export::{neutralise, ExportFormat};
pub use followups::{
    BulkOutcome, Completed, FollowupQuery, Logged, NewInteraction, ReminderHorizon, ReminderKey, RuleSet, Snoozed,
    StatusChange, DEMO_REMINDERS_DAYS,
};
pub use import::{BulkMode, ImportOptions, ImportProgress, ImportReport, MappingPreview, RowIssueReport};
pub use matching::{
    decode_evidence, BandCounts, ClusterView, Evidence, MatchOptions, MatchReport, MemberView, PairView, ReviewOutcome,
};
pub use merge::{
    Alternative, FieldChoice, MemberRef, MergeEvent, MergeId, MergeOrigin, MergePreview, MoveOutcome, RowCounts,
    UnmergeOutcome,
};
pub use quality::{FieldQuality, QualityReport, SampledCustomer, KEY_FIELDS};
pub use search::{
    rank_hits, reminder_search_text, DirectHit, Scorer, SearchQuery, SearchResult, CORPUS_SEPARATOR, SECTION,
};
pub use survivorship::{ChoiceReason, Rule, SurvivorshipConfig};

use crate::domain::{AuditEntry, Customer, ImportBatch, Role};
use crate::error::{Error, Result};
use crate::store::{self, customers, CustomerDetail, CustomerRow, NewAudit, OpenMode, Store};
use rusqlite::params;
use std::path::Path;

/// The source of "now". Real runs read the clock; tests and `--now` fix it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<chrono::NaiveDateTime>,
    /// `--now`: the day rules see, while records keep real timestamps (an
    /// audit trail must not say a change happened on a day it did not).
    day: Option<chrono::NaiveDate>,
}

impl Clock {
    pub fn fixed(at: chrono::NaiveDateTime) -> Clock {
        Clock { fixed: Some(at), day: None }
    }
    /// Today is `day`; timestamps stay real.
    pub fn on_day(day: chrono::NaiveDate) -> Clock {
        Clock { fixed: None, day: Some(day) }
    }
    pub fn now_local(&self) -> chrono::NaiveDateTime {
        self.fixed.unwrap_or_else(|| chrono::Local::now().naive_local())
    }
    pub fn today(&self) -> chrono::NaiveDate {
        self.day.unwrap_or_else(|| self.now_local().date())
    }
    /// A timestamp for records: RFC 3339 in UTC.
    pub fn stamp(&self) -> String {
        match self.fixed {
            Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            None => chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }
}

pub struct Workbench {
    store: Store,
    actor: String,
    /// Under `--as`, the login really running the process.
    real_actor: Option<String>,
    clock: Clock,
    access: Access,
}

impl Workbench {
    /// Opens the database as `actor`. A new database makes its creator admin.
    pub fn open(path: &Path, mode: OpenMode, actor: &str) -> Result<Workbench> {
        Self::open_reporting(path, mode, actor, &mut |_, _| {})
    }

    /// `open`, telling `progress` how far the copy a schema upgrade makes
    /// first has come, in bytes (see `Store::open_reporting`).
    pub fn open_reporting(
        path: &Path,
        mode: OpenMode,
        actor: &str,
        progress: crate::store::CopyProgress<'_>,
    ) -> Result<Workbench> {
        let store = Store::open_reporting(path, mode, progress)?;
        Self::with_store(store, actor)
    }

    pub fn open_in_memory(actor: &str) -> Result<Workbench> {
        Self::with_store(Store::open_in_memory()?, actor)
    }

    fn with_store(store: Store, actor: &str) -> Result<Workbench> {
        let placeholder = Access::nobody(actor);
        let mut wb = Workbench {
            store,
            actor: actor.to_string(),
            real_actor: None,
            clock: Clock::default(),
            access: placeholder,
        };
        wb.ensure_creator()?;
        wb.restore_orphaned_bulk_load()?;
        wb.reload_access()?;
        Ok(wb)
    }

    /// Re-reads the acting user's rights (after a change to users or
    /// permissions).
    pub(crate) fn reload_access(&mut self) -> Result<()> {
        let db = self.store.path().display().to_string();
        self.access = Access::load(self.store.conn(), &self.actor, &db)?;
        Ok(())
    }

    /// The acting user's rights; every read path masks through it.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Lets an admin act as another user (`--as`): rights and masking
    /// become that user's, and every audit entry names both.
    pub fn act_as(&mut self, login: &str) -> Result<()> {
        if login == self.actor {
            return Ok(());
        }
        self.access.check_admin(&format!("act as {login} (--as)"))?;
        let real = self.actor.clone();
        let db = self.store.path().display().to_string();
        let access = Access::load(self.store.conn(), login, &db)?;
        self.store.set_real_actor(Some(&real))?;
        self.real_actor = Some(real);
        self.actor = login.to_string();
        self.access = access;
        Ok(())
    }

    /// A bulk import killed before it rebuilt the indexes it dropped leaves
    /// a record of them; the next opener rebuilds them once that process is
    /// gone (while it runs, its own indexes are its business).
    ///
    /// A rebuild that cannot run now (another writer holds the database past
    /// the busy timeout) does not stop the open: the data is complete without
    /// the indexes, and the next open tries again.
    fn restore_orphaned_bulk_load(&mut self) -> Result<()> {
        if let Some(load) = store::bulk::pending(self.store.conn())? {
            if !process_alive(load.pid) {
                match store::bulk::restore(self.store.conn_mut()) {
                    Err(Error::Sqlite(e))
                        if matches!(
                            e.sqlite_error_code(),
                            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                        ) => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }

    /// Sets this connection's page cache, in MiB. The workbench keeps a
    /// small one: it reads windows of a list, not whole tables.
    pub fn set_page_cache_mb(&self, mb: u32) -> Result<()> {
        self.store.conn().execute_batch(&format!("PRAGMA cache_size = -{}", u64::from(mb) * 1024))?;
        Ok(())
    }

    /// A second connection to the same database as the same user, for work
    /// on another thread (the TUI's background jobs). `None` for an
    /// in-memory database, which no second connection can see.
    pub fn reopen(&self) -> Result<Option<Workbench>> {
        if self.store.is_in_memory() {
            return Ok(None);
        }
        let real = self.real_actor.as_deref().unwrap_or(&self.actor);
        let mut wb = Workbench::open(self.store.path(), OpenMode::Existing, real)?;
        // Background work mostly scans: a big page cache per job would only
        // add to the process's memory, not speed it up.
        wb.store.conn().execute_batch("PRAGMA cache_size = -8192")?;
        wb.act_as(&self.actor)?;
        wb.set_clock(self.clock);
        Ok(Some(wb))
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The permissions of files written from this database: its own (see
    /// `crate::files`), so an export is exactly as private as its source.
    pub fn file_mode(&self) -> crate::files::FileMode {
        crate::files::FileMode::of_database(self.store.path())
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The first user of a database is its creator and its admin.
    fn ensure_creator(&mut self) -> Result<()> {
        // Most opens need no write at all: do not take the write lock for them.
        let conn = self.store.conn();
        let users: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        let rights: i64 = conn.query_row("SELECT count(*) FROM role_permissions", [], |r| r.get(0))?;
        if users > 0 && rights as usize >= Role::ALL.len() * access::Permission::ALL.len() {
            return Ok(());
        }
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let users: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        access::seed_defaults(&tx)?;
        if users == 0 {
            tx.execute("INSERT INTO users (login, role, created_at) VALUES (?1, 'admin', ?2)", params![actor, now])?;
            store::meta_set(&tx, "created_by", &actor)?;
            store::meta_set(&tx, "created_at", &now)?;
            store::audit::append(
                &tx,
                &NewAudit {
                    actor: &actor,
                    action: "database.create",
                    entity: "database",
                    entity_id: None,
                    customer_id: None,
                    details: serde_json::json!({ "admin": actor, "schema_version": store::SCHEMA_VERSION }),
                },
                &now,
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The acting user's role, if they are a user of this database.
    pub fn role(&self) -> Result<Option<Role>> {
        let role: Option<String> = rusqlite::OptionalExtension::optional(self.store.conn().query_row(
            "SELECT role FROM users WHERE login = ?1 AND disabled = 0",
            [&self.actor],
            |r| r.get(0),
        ))?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    /// Marks this database as a throw-away demo (so `demo` may rebuild it).
    pub fn mark_demo(&mut self) -> Result<()> {
        store::meta_set(self.store.conn(), "demo", "1")
    }

    pub fn is_demo(&self) -> Result<bool> {
        Ok(self.store.meta_get("demo")?.as_deref() == Some("1"))
    }

    /// A number that changes when another connection commits to the
    /// database (see `Store::data_version`); the TUI polls it to notice
    /// changes made by the CLI or a teammate. Its own writes do not change it.
    pub fn data_version(&self) -> Result<i64> {
        self.store.data_version()
    }

    pub fn customer_count(&self) -> Result<i64> {
        customers::count_live(self.store.conn())
    }

    /// Ids of live customers in list order, for a virtual list.
    pub fn customer_ids(&self) -> Result<Vec<i64>> {
        customers::live_ids(self.store.conn())
    }

    /// List rows for a window of ids.
    pub fn customer_rows(&self, ids: &[i64]) -> Result<Vec<CustomerRow>> {
        let mut rows = customers::rows_by_ids(self.store.conn(), ids)?;
        use crate::domain::Field;
        for r in &mut rows {
            let owner = r.owner.clone();
            let owner = owner.as_deref();
            r.name = self.access.value(owner, Field::Name, &r.name).into_owned();
            for (f, v) in [(Field::Mobile, &mut r.mobile), (Field::City, &mut r.city)] {
                if let Some(v) = v.as_mut() {
                    *v = self.access.value(owner, f, v).into_owned();
                }
            }
        }
        Ok(rows)
    }

    /// Streams live customers in number order without holding them all.
    pub fn for_each_customer(&self, limit: Option<usize>, mut f: impl FnMut(&Customer) -> Result<()>) -> Result<()> {
        let mut after = 0;
        let mut left = limit.unwrap_or(usize::MAX);
        while left > 0 {
            let page = customers::page(self.store.conn(), after, left.min(1000))?;
            if page.is_empty() {
                break;
            }
            for mut c in page.iter().cloned() {
                self.access.mask_customer(&mut c);
                f(&c)?;
            }
            left -= page.len();
            after = page.last().map(|c| c.id).unwrap_or(after);
        }
        Ok(())
    }

    pub fn customer_detail(&self, id: i64) -> Result<CustomerDetail> {
        let c = customers::get_customer(self.store.conn(), id)?
            .ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
        let mut d = customers::detail(self.store.conn(), c)?;
        self.mask_detail(&mut d)?;
        Ok(d)
    }

    /// What the importer flagged in the customer's source rows, masked like
    /// every read: a message may quote the value it judged.
    pub fn customer_issues(&self, id: i64) -> Result<Vec<customers::FieldIssue>> {
        let owner: Option<String> = rusqlite::OptionalExtension::optional(self.store.conn().query_row(
            "SELECT owner FROM customers WHERE id = ?1",
            [id],
            |r| r.get(0),
        ))?
        .flatten();
        let mut issues = customers::issues_of(self.store.conn(), id)?;
        for i in &mut issues {
            i.message = self.access.text(owner.as_deref(), &i.message).into_owned();
        }
        Ok(issues)
    }

    /// Looks a customer up by number; an absorbed number finds its survivor.
    pub fn customer_by_number(&self, number: &str) -> Result<CustomerDetail> {
        let c = customers::find_by_number(self.store.conn(), number)?
            .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))?;
        let mut d = customers::detail(self.store.conn(), c)?;
        self.mask_detail(&mut d)?;
        Ok(d)
    }

    fn mask_detail(&self, d: &mut CustomerDetail) -> Result<()> {
        let owner = d.customer.owner.clone();
        if !self.access.masks(owner.as_deref()) {
            return Ok(());
        }
        self.access.mask_detail(d);
        let mut columns = std::collections::HashMap::new();
        for s in &mut d.sources {
            let cols = match columns.entry(s.batch_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(self.sensitive_columns(s.batch_id)?),
            };
            self.mask_cells(owner.as_deref(), cols, &mut s.values);
        }
        Ok(())
    }

    /// A batch's warnings and rejections, values masked for roles that may
    /// not see sensitive data (a batch belongs to no one customer).
    pub fn batch_issues(&self, id: i64) -> Result<Vec<store::imports::LoggedIssue>> {
        let mut issues = store::imports::batch_issues(self.store.conn(), id)?;
        for i in &mut issues {
            i.message = self.access.text(None, &i.message).into_owned();
        }
        Ok(issues)
    }

    /// The rows a batch rejected, as read (masked like `batch_issues`).
    pub fn rejected_rows(&self, id: i64) -> Result<Vec<store::imports::RejectedRow>> {
        let mut rows = store::imports::rejected_rows(self.store.conn(), id)?;
        let columns = self.sensitive_columns(id)?;
        for r in &mut rows {
            self.mask_cells(None, &columns, &mut r.cells);
            for c in r.reasons.iter_mut() {
                *c = self.access.text(None, c).into_owned();
            }
        }
        Ok(rows)
    }

    /// Import batches, newest first. A batch still marked running whose
    /// process is gone was interrupted by a crash: it shows as incomplete.
    pub fn batches(&self) -> Result<Vec<ImportBatch>> {
        let mut batches = store::imports::list_batches(self.store.conn())?;
        for b in &mut batches {
            self.settle_status(b)?;
        }
        Ok(batches)
    }

    pub fn batch(&self, id: i64) -> Result<ImportBatch> {
        let mut b = store::imports::get_batch(self.store.conn(), id)?
            .ok_or_else(|| Error::NotFound(format!("no import batch {id}")))?;
        self.settle_status(&mut b)?;
        Ok(b)
    }

    fn settle_status(&self, b: &mut ImportBatch) -> Result<()> {
        if b.status == crate::domain::BatchStatus::Running {
            let (_, _, _, pid) = store::imports::batch_origin(self.store.conn(), b.id)?;
            if !pid.is_some_and(process_alive) {
                b.status = crate::domain::BatchStatus::Incomplete;
            }
        }
        Ok(())
    }

    /// The header row a batch was read with.
    pub fn batch_headers(&self, id: i64) -> Result<Vec<String>> {
        let text: String = rusqlite::OptionalExtension::optional(self.store.conn().query_row(
            "SELECT headers FROM import_batches WHERE id = ?1",
            [id],
            |r| r.get(0),
        ))?
        .ok_or_else(|| Error::NotFound(format!("no import batch {id}")))?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.audit(store::audit::AuditFilter { limit, ..Default::default() })
    }
}

/// Whether a process with this id exists on this host (imports record the
/// pid of the process running them).
fn process_alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // SAFETY: signal 0 only checks for existence and permission.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// "database is locked" after the busy timeout, explained: who holds the
/// write lock according to the database's own records, and what to do.
pub fn explain_busy(db: &Path, e: Error) -> Error {
    let busy = matches!(&e, Error::Sqlite(s) if matches!(
        s.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    ));
    if !busy {
        return e;
    }
    let running = crate::store::imports::running_batches_at(db).unwrap_or_default();
    // A batch whose process is gone (killed mid-import) still reads
    // 'running' but holds nothing: the same rule that lists it as incomplete.
    let holders: Vec<String> = running
        .iter()
        .filter(|b| b.pid.is_some_and(process_alive))
        .map(|b| {
            let pid = b.pid.map(|p| format!(", process {p}")).unwrap_or_default();
            if b.undoing {
                return format!(
                    "the undo of import batch {} ({} from {}) by {} (started {}{pid}, committing in chunks)",
                    b.id, b.file_name, b.source, b.actor, b.started_at
                );
            }
            format!(
                "import batch {} ({} from {}) by {} (started {}{pid}, running)",
                b.id, b.file_name, b.source, b.actor, b.started_at
            )
        })
        .collect();
    let what = if holders.is_empty() {
        "another crmwb command (or another program) is writing to it and did not let go within the wait; \
         try again in a moment (a long match run, undo or restore holds the lock until it finishes)"
            .to_string()
    } else {
        format!(
            "{} holds the write lock; try again when it finishes (`crmwb imports` shows its progress)",
            holders.join("; ")
        )
    };
    Error::Other(format!("{}: the database is busy ({e}): {what}", db.display()))
}
