//! The only door for changes. Every mutation takes the acting user, applies
//! the domain rules, and writes the change and its audit row in one
//! transaction. The CLI and the TUI call the same methods.

pub mod actor;
mod export;
mod import;
mod quality;

pub use export::{neutralise, ExportFormat};
pub use import::{BulkMode, ImportOptions, ImportProgress, ImportReport, RowIssueReport};
pub use quality::{FieldQuality, QualityReport, SampledCustomer, KEY_FIELDS};

use crate::domain::{AuditEntry, Customer, ImportBatch, Role};
use crate::error::{Error, Result};
use crate::store::{self, customers, CustomerDetail, CustomerRow, NewAudit, OpenMode, Store};
use rusqlite::params;
use std::path::Path;

/// The source of "now". Real runs read the clock; tests and `--now` fix it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<chrono::NaiveDateTime>,
}

impl Clock {
    pub fn fixed(at: chrono::NaiveDateTime) -> Clock {
        Clock { fixed: Some(at) }
    }
    pub fn now_local(&self) -> chrono::NaiveDateTime {
        self.fixed.unwrap_or_else(|| chrono::Local::now().naive_local())
    }
    pub fn today(&self) -> chrono::NaiveDate {
        self.now_local().date()
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
    clock: Clock,
}

impl Workbench {
    /// Opens the database as `actor`. A new database makes its creator admin.
    pub fn open(path: &Path, mode: OpenMode, actor: &str) -> Result<Workbench> {
        let store = Store::open(path, mode)?;
        Self::with_store(store, actor)
    }

    pub fn open_in_memory(actor: &str) -> Result<Workbench> {
        Self::with_store(Store::open_in_memory()?, actor)
    }

    fn with_store(store: Store, actor: &str) -> Result<Workbench> {
        let mut wb = Workbench { store, actor: actor.to_string(), clock: Clock::default() };
        wb.ensure_creator()?;
        wb.restore_orphaned_bulk_load()?;
        Ok(wb)
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

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The first user of a database is its creator and its admin.
    fn ensure_creator(&mut self) -> Result<()> {
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let users: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
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

    pub fn customer_count(&self) -> Result<i64> {
        customers::count_live(self.store.conn())
    }

    /// Ids of live customers in list order, for a virtual list.
    pub fn customer_ids(&self) -> Result<Vec<i64>> {
        customers::live_ids(self.store.conn())
    }

    /// List rows for a window of ids.
    pub fn customer_rows(&self, ids: &[i64]) -> Result<Vec<CustomerRow>> {
        customers::rows_by_ids(self.store.conn(), ids)
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
            for c in &page {
                f(c)?;
            }
            left -= page.len();
            after = page.last().map(|c| c.id).unwrap_or(after);
        }
        Ok(())
    }

    pub fn customer_detail(&self, id: i64) -> Result<CustomerDetail> {
        let c = customers::get_customer(self.store.conn(), id)?
            .ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
        customers::detail(self.store.conn(), c)
    }

    /// Looks a customer up by number; an absorbed number finds its survivor.
    pub fn customer_by_number(&self, number: &str) -> Result<CustomerDetail> {
        let c = customers::find_by_number(self.store.conn(), number)?
            .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))?;
        customers::detail(self.store.conn(), c)
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
        store::audit::recent(self.store.conn(), limit)
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
