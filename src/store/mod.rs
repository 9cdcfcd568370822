//! The SQLite store: schema, migrations and typed queries. It owns SQL and
//! nothing else; policy lives in the service layer.

pub mod audit;
pub mod bulk;
pub mod customers;
pub mod followups;
pub mod imports;
pub mod listing;
pub mod matching;
pub mod merges;
pub mod sharing;
pub mod users;

pub use audit::NewAudit;
pub use customers::{CustomerDetail, CustomerRow, FieldIssue, NewCustomer};
pub use imports::{BatchCounts, NewBatch, NewSourceRecord};

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// `PRAGMA application_id` of a crmwb database ("CRMW"), so that another
/// program's SQLite file is never mistaken for ours.
pub const APPLICATION_ID: i32 = 0x4352_4D57;

/// Numbered migrations; version N is the Nth entry. Append only: a shipped
/// migration is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_matching.sql"),
    include_str!("migrations/0003_merges.sql"),
    include_str!("migrations/0004_followups.sql"),
    include_str!("migrations/0006_access.sql"),
    include_str!("migrations/0007_workbench_list.sql"),
    include_str!("migrations/0008_match_customer_keys.sql"),
    include_str!("migrations/0009_match_pairs_low.sql"),
    include_str!("migrations/0010_drop_shadowed_indexes.sql"),
    AUDIT_CHAIN_MIGRATION,
    include_str!("migrations/0012_source_record_indexes.sql"),
    include_str!("migrations/0013_reminders_from.sql"),
    NAME_SORT_MIGRATION,
    include_str!("migrations/0015_batch_undos.sql"),
    include_str!("migrations/0016_batch_blank_rows.sql"),
    include_str!("migrations/0017_live_name_core.sql"),
    include_str!("migrations/0018_drop_unread_customer_indexes.sql"),
    include_str!("migrations/0019_match_pairs_low_b.sql"),
];

/// The migration that adds the audit hash chain; the entries written before
/// it are sealed in Rust, in the same transaction (`audit::seal_unsealed`).
const AUDIT_CHAIN_MIGRATION: &str = include_str!("migrations/0011_audit_chain.sql");

/// The migration that adds the pinyin sort key of names; the rows already
/// there are filled in Rust, in the same transaction (`customers::fill_name_sort`).
const NAME_SORT_MIGRATION: &str = include_str!("migrations/0014_name_sort.sql");

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    upgraded: Option<Upgrade>,
}

/// A schema upgrade this open made: from which version to which, and where
/// the database as it was is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub from: i64,
    pub to: i64,
    pub backup: PathBuf,
}

/// WAL frames a row-by-row import lets pile up before a checkpoint (256 MiB
/// of 4 KiB pages), instead of the connection's 8,192. Each chunk of an
/// append into a large database dirties thousands of random index leaves,
/// most of them again in the next chunk; checkpointing every 8,192 frames
/// copied each leaf into the database once per chunk (a sixth of the
/// append's time), one checkpoint per 65,536 frames copies it once per
/// several. Measured appending 30,043 sales rows to 330,464 customers:
/// 2.31-2.74 s against 3.00-3.55 s, three runs each alternating; 1,000 rows
/// do not reach a checkpoint either way. The WAL is disk, not memory.
const APPEND_AUTOCHECKPOINT: i64 = 65_536;

/// The connection's checkpoint setting before `begin_append` changed it.
#[derive(Debug, Clone, Copy)]
pub struct AppendSettings {
    wal_autocheckpoint: i64,
}

/// Settings for an import that writes row by row into every index: fewer
/// checkpoints while it runs (`APPEND_AUTOCHECKPOINT`), one at its end
/// (`end_append`).
pub fn begin_append(conn: &Connection) -> Result<AppendSettings> {
    let before = AppendSettings { wal_autocheckpoint: conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))? };
    if before.wal_autocheckpoint > 0 && before.wal_autocheckpoint < APPEND_AUTOCHECKPOINT {
        conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {APPEND_AUTOCHECKPOINT}"))?;
    }
    Ok(before)
}

/// Puts back what `begin_append` changed, and copies the import's pages
/// into the database once (passive: it waits for no reader, and what a
/// reader still holds is copied by a later checkpoint).
pub fn end_append(conn: &Connection, before: AppendSettings) -> Result<()> {
    conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {}", before.wal_autocheckpoint))?;
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// Whether opening may create a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    Create,
    Existing,
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to
    /// date. A file that is not a crmwb database, or one written by a newer
    /// crmwb, is refused with an error naming the file.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store> {
        Store::open_reporting(path, mode, &mut |_, _| {})
    }

    /// `open`, telling `progress` how far the copy an upgrade makes first
    /// has come (a large database takes a while to copy).
    pub fn open_reporting(path: &Path, mode: OpenMode, progress: CopyProgress<'_>) -> Result<Store> {
        Store::open_inner(path, mode, progress).map_err(|e| explain_permissions(path, e))
    }

    fn open_inner(path: &Path, mode: OpenMode, progress: CopyProgress<'_>) -> Result<Store> {
        let exists = path.exists();
        if !exists {
            if mode == OpenMode::Existing {
                return Err(Error::NoDatabase { path: path.to_path_buf() });
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // Private like the file: `init --group` opens it to a team.
                let mut b = std::fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
                b.create(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
            }
            create_private_file(path)?;
        } else if path.is_dir() {
            return Err(Error::NotADatabase { path: path.to_path_buf(), why: "it is a directory".into() });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_a_db(path, e))?;
        let mut store = Store { conn, path: path.to_path_buf(), upgraded: None };
        store.configure()?;
        store.migrate(progress)?;
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, path: PathBuf::from(":memory:"), upgraded: None };
        store.configure()?;
        store.migrate(&mut |_, _| {})?;
        Ok(store)
    }

    /// The schema an existing crmwb database at `path` would be upgraded
    /// from by `open`, read without changing anything: `None` for a current
    /// one, a missing file, or anything `open` will refuse (it says why).
    pub fn upgrade_pending(path: &Path) -> Option<i64> {
        if !path.is_file() {
            return None;
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).ok()?;
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).ok()?;
        (app == APPLICATION_ID && v > 0 && v < SCHEMA_VERSION).then_some(v)
    }

    /// The schema upgrade opening this database made, if it made one.
    pub fn upgraded(&self) -> Option<&Upgrade> {
        self.upgraded.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_in_memory(&self) -> bool {
        self.path == Path::new(":memory:")
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A second connection to the same file for reading alongside this one
    /// (None for an in-memory database, which no other connection sees).
    pub fn reader(&self) -> Result<Option<Connection>> {
        if self.is_in_memory() {
            return Ok(None);
        }
        let conn =
            Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| explain_permissions(&self.path, not_a_db(&self.path, e)))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Matching reads customers here in chunks through a handful of
        // statements, each prepared once.
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Some(conn))
    }

    fn configure(&mut self) -> Result<()> {
        let path = self.path.clone();
        // The first statement that reads the file is where SQLite notices a
        // file that is not a database; turn that into a message about the file.
        let app_id: i32 =
            self.conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| not_a_db(&path, e))?;
        let user_version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = self.conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if app_id != APPLICATION_ID && (app_id != 0 || user_version != 0 || tables != 0) {
            return Err(Error::NotADatabase {
                path,
                why: "it is an SQLite database written by another program".into(),
            });
        }
        if user_version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { path, found: user_version, supported: SCHEMA_VERSION });
        }
        if self.path != Path::new(":memory:") {
            let mode: String = self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            debug_assert_eq!(mode.to_lowercase(), "wal");
        }
        // secure_delete=FAST zeroes freed cell space when that costs no extra
        // I/O: a value replaced long before an erasure request must not
        // linger in a page's free space (see service::erase).
        // A 64 MiB page cache: bulk imports insert into a dozen indexes at
        // random positions, and the default 2 MiB cache turns that into I/O.
        // An append lets the WAL grow to APPEND_AUTOCHECKPOINT frames (256
        // MiB); once it has been checkpointed, the next write that starts
        // the log over cuts the file back to 64 MiB (twice what the usual
        // checkpoint lets it reach), or a long TUI session would keep the
        // space until it quits.
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 8192;
             PRAGMA journal_size_limit = 67108864;
             PRAGMA secure_delete = FAST;",
        )?;
        // The import loop alone cycles through more statements than the
        // default cache of 16 holds; re-preparing them cost 12% of an import.
        self.conn.set_prepared_statement_cache_capacity(128);
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Per connection: the admin acting with `--as`, which every audit
        // entry written on this connection records beside the actor.
        self.conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS session_actor (login TEXT NOT NULL)")?;
        Ok(())
    }

    /// Applies every migration newer than the database, each in its own
    /// transaction together with its version bump.
    fn migrate(&mut self, progress: CopyProgress<'_>) -> Result<()> {
        let current: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > 0 && current < SCHEMA_VERSION && self.path != Path::new(":memory:") {
            // A migration rewrites tables; keep the data as it was, first.
            let dest = sibling_backup_path(&self.path, &format!("schema-v{current}"));
            backup_to(&self.conn, &self.path, &dest, progress)?;
            self.upgraded = Some(Upgrade { from: current, to: SCHEMA_VERSION, backup: dest });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as i64 + 1;
            let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // Another process may have migrated while we waited for the lock.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now >= version {
                continue;
            }
            tx.execute_batch(sql)?;
            if *sql == AUDIT_CHAIN_MIGRATION {
                audit::seal_unsealed(&tx)?;
            }
            if *sql == NAME_SORT_MIGRATION {
                customers::fill_name_sort(&tx)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {version}; PRAGMA application_id = {APPLICATION_ID};"))?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Records that `real` is acting as someone else on this connection.
    pub fn set_real_actor(&self, real: Option<&str>) -> Result<()> {
        self.conn.execute("DELETE FROM temp.session_actor", [])?;
        if let Some(r) = real {
            self.conn.execute("INSERT INTO temp.session_actor (login) VALUES (?1)", [r])?;
        }
        Ok(())
    }

    /// `PRAGMA data_version`: a number that changes when another connection
    /// (another process, a background job, a teammate) commits to the
    /// database. This connection's own commits do not change it. Cheap: it
    /// reads the shared-memory header, no page of the file.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }
}

/// Copies the database `conn` has open to a new private file `dest` with
/// SQLite's online backup API: consistent, and others may keep working.
/// The copy gets the permissions of `src_path` (a team's 0660 stays 0660).
pub fn backup_to(conn: &Connection, src_path: &Path, dest: &Path, progress: CopyProgress<'_>) -> Result<()> {
    crate::files::create_new(dest, crate::files::FileMode::of_database(src_path))
        .map_err(|source| Error::Io { path: dest.to_path_buf(), source })?;
    let mut dst = Connection::open(dest).map_err(|e| not_a_db(dest, e))?;
    copy_pages(conn, &mut dst, std::time::Duration::from_millis(5), progress)
}

/// How far a copy of a database has come: bytes copied, bytes in all.
pub type CopyProgress<'a> = &'a mut dyn FnMut(u64, u64);

/// Bytes copied per step (4,096 pages of 4 KiB, as before progress was
/// told). Between steps others may write (the backup restarts from what
/// changed), and progress is told.
const COPY_STEP_BYTES: i64 = 16 << 20;

/// Copies `src` into `dst` with SQLite's backup API, as
/// `Backup::run_to_completion` does, telling `progress` after each step.
fn copy_pages(
    src: &Connection,
    dst: &mut Connection,
    pause: std::time::Duration,
    progress: CopyProgress<'_>,
) -> Result<()> {
    use rusqlite::backup::StepResult;
    let page_size: i64 = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let page = page_size.max(1) as u64;
    let pages = (COPY_STEP_BYTES / page_size.max(1)).clamp(1, i32::MAX as i64) as i32;
    let b = rusqlite::backup::Backup::new(src, dst)?;
    loop {
        let r = b.step(pages)?;
        let p = b.progress();
        let total = p.pagecount.max(0) as u64;
        // A first step that found the database busy knows no size yet:
        // nothing to tell (it would read as a finished copy).
        if total > 0 {
            progress((total - (p.remaining.max(0) as u64).min(total)) * page, total * page);
        }
        match r {
            StepResult::Done => return Ok(()),
            // Busy and locked: another connection is writing; try again.
            _ => std::thread::sleep(pause),
        }
    }
}

/// `crm.db` → `crm.db.before-restore-20261123T140501Z.bak`.
pub fn sibling_backup_path(db: &Path, why: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{why}-{stamp}.bak"));
    db.with_file_name(name)
}

/// Gives the database file and its WAL and shared-memory files to an OS
/// group, readable and writable by it (0660): a team on one server shares
/// one database, and nobody else can read it. The directory is shared too.
/// Returns what it changed about the directory, if anything.
pub fn share_with_group(db: &Path, group: &str) -> Result<Option<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let gid = crate::os::group_id(group).ok_or_else(|| Error::Invalid(format!("no OS group named `{group}`")))?;
        let mut files = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = db.as_os_str().to_os_string();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
        for f in files.iter().filter(|f| f.exists()) {
            crate::os::chown_group(f, gid).map_err(|source| Error::Io { path: f.clone(), source })?;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o660))
                .map_err(|source| Error::Io { path: f.clone(), source })?;
        }
        // Without the directory, a member can open the file but not create
        // the -wal and -shm files: "attempt to write a readonly database".
        sharing::share_directory(db, gid, group)
    }
    #[cfg(not(unix))]
    {
        Ok(None)
    }
}

impl Store {
    /// Replaces this database's content with the database at `from`.
    pub fn restore_from(&mut self, from: &Path, progress: CopyProgress<'_>) -> Result<()> {
        let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| not_a_db(from, e))?;
        copy_pages(&src, &mut self.conn, std::time::Duration::ZERO, progress)?;
        self.configure()
    }
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// "unable to open database file" and "attempt to write a readonly
/// database" are, for a shared database, a matter of permissions: say whose
/// file it is and what to run (see `sharing`).
fn explain_permissions(path: &Path, e: Error) -> Error {
    let sqlite_code = match &e {
        Error::Sqlite(s) => s.sqlite_error_code(),
        _ => None,
    };
    let io_denied = matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied);
    let permission_like = io_denied
        || matches!(
            sqlite_code,
            Some(rusqlite::ErrorCode::CannotOpen)
                | Some(rusqlite::ErrorCode::ReadOnly)
                | Some(rusqlite::ErrorCode::PermissionDenied)
        );
    #[cfg(unix)]
    if permission_like {
        if let Some(why) = sharing::permission_problem(path, &sharing::Who::current()) {
            return Error::Refused(format!("{}: {why} ({e})", path.display()));
        }
    }
    let _ = permission_like;
    e
}

fn not_a_db(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            Error::NotADatabase { path: path.to_path_buf(), why: "the file is not an SQLite database".into() }
        }
        _ => Error::Sqlite(e),
    }
}

/// Creates an empty file readable by its owner only: anyone who can read the
/// database file can read all of its data.
fn create_private_file(path: &Path) -> Result<()> {
    match crate::files::create_new(path, crate::files::FileMode::PRIVATE) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::Io { path: path.to_path_buf(), source }),
    }
}

pub(crate) fn opt_text(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, finding 3: removing a row checks every reference to it, a
    /// scan of the referring table when its column has no index, so an undo
    /// (or anything else removing rows in bulk) became quadratic. Every
    /// reference to a table whose rows are removed has an index.
    #[test]
    fn every_reference_to_a_removable_row_is_indexed() {
        let s = Store::open_in_memory().unwrap();
        let mut stmt = s
            .conn()
            .prepare(
                "SELECT m.name || '.' || f.\"from\" || ' -> ' || f.\"table\" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
                 WHERE m.type = 'table' AND f.\"table\" != 'import_batches' AND f.\"table\" != 'custom_fields'
                   AND f.\"table\" != 'users' AND f.\"table\" NOT LIKE 'match_%' AND f.\"table\" NOT LIKE 'merge%'
                   AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii
                                   WHERE ii.seqno = 0 AND ii.name = f.\"from\")
                 ORDER BY 1",
            )
            .unwrap();
        let unindexed: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(unindexed.is_empty(), "references without an index: {unindexed:?}");
    }

    /// A database at `p` as the first release wrote it.
    fn first_release_database(p: &Path) -> Connection {
        let conn = Connection::open(p).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = 1; PRAGMA application_id = {APPLICATION_ID};")).unwrap();
        conn
    }

    /// An upgrade copies the whole database first; on a large one that is a
    /// long wait, so the copy tells how far it has come, step by step, up
    /// to its whole size.
    #[test]
    fn an_upgrade_tells_how_far_its_copy_has_come() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("old.db");
        let conn = first_release_database(&p);
        // More than one copy step: 24 MB against 16 MiB per step.
        conn.execute_batch("CREATE TABLE filler (b BLOB); INSERT INTO filler VALUES (zeroblob(24000000));").unwrap();
        let (pages, page): (i64, i64) = (
            conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap(),
            conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        );
        drop(conn);
        let mut told = Vec::new();
        Store::open_reporting(&p, OpenMode::Existing, &mut |d, t| told.push((d, t))).unwrap();
        assert!(told.len() >= 2, "told once per step: {told:?}");
        assert!(told.windows(2).all(|w| w[0].0 <= w[1].0), "never backwards: {told:?}");
        let whole = (pages * page) as u64;
        assert_eq!(told.last(), Some(&(whole, whole)), "ends at the whole database");
        // An up-to-date database copies nothing and tells nothing.
        let mut again = 0;
        Store::open_reporting(&p, OpenMode::Existing, &mut |_, _| again += 1).unwrap();
        assert_eq!(again, 0);
    }

    #[test]
    fn an_old_database_is_backed_up_before_it_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("old.db");
        // A database as the first release wrote it, with data in it.
        let conn = first_release_database(&p);
        conn.execute("INSERT INTO meta (key, value) VALUES ('created_by', 'old-admin')", []).unwrap();
        drop(conn);
        let s = Store::open(&p, OpenMode::Existing).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("old.db.schema-v1-"))
            .collect();
        assert_eq!(backups.len(), 1, "one backup before migrating");
        let b = Connection::open(backups[0].path()).unwrap();
        let v: i64 = b.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        let who: String = b.query_row("SELECT value FROM meta WHERE key = 'created_by'", [], |r| r.get(0)).unwrap();
        assert_eq!((v, who.as_str()), (1, "old-admin"), "the backup is the database as it was");
        // Opening an up-to-date database makes no more backups.
        drop(s);
        drop(Store::open(&p, OpenMode::Existing).unwrap());
        let again = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.contains(".schema-v") && n.ends_with(".bak")
            })
            .count();
        assert_eq!(again, 1);
    }

    #[test]
    fn an_index_dropped_by_migration_is_not_rebuilt_for_an_interrupted_bulk_import() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v8.db");
        let conn = Connection::open(&p).unwrap();
        // Schema 8: every migration before 0010 (there is no 0005).
        for sql in &MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = 8; PRAGMA application_id = {APPLICATION_ID};")).unwrap();
        // As a bulk import killed under schema 8 left it.
        let record = serde_json::json!({ "pid": 1, "batch_id": 1, "indexes": [
            ["customers_live_owner", "CREATE INDEX customers_live_owner ON customers(owner, id) WHERE merged_into IS NULL"],
            ["customers_name_core", "CREATE INDEX customers_name_core ON customers(name_core)"],
        ]});
        conn.execute_batch("DROP INDEX customers_live_owner; DROP INDEX customers_name_core").unwrap();
        meta_set(&conn, bulk::META_KEY, &record.to_string()).unwrap();
        drop(conn);
        let mut s = Store::open(&p, OpenMode::Existing).unwrap();
        let load = bulk::pending(s.conn()).unwrap().unwrap();
        assert_eq!(load.indexes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["customers_live_owner"]);
        assert_eq!(load.indexes[0].1, record["indexes"][0][1].as_str().unwrap());
        bulk::restore(s.conn_mut()).unwrap();
        let has = |name: &str| -> bool {
            s.conn()
                .query_row("SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = ?1)", [name], |r| r.get(0))
                .unwrap()
        };
        assert!(has("customers_live_owner") && !has("customers_name_core"));
    }

    /// A row-by-row import checkpoints less often while it runs, then puts
    /// the connection's setting back and copies its pages into the database.
    #[test]
    fn an_append_defers_checkpoints_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("a.db"), OpenMode::Create).unwrap();
        let setting = |s: &Store| -> i64 { s.conn().query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap() };
        assert_eq!(setting(&s), 8192);
        let limit: i64 = s.conn().query_row("PRAGMA journal_size_limit", [], |r| r.get(0)).unwrap();
        assert_eq!(limit, 64 << 20, "a checkpointed WAL is cut back, whatever an append let it grow to");
        let before = begin_append(s.conn()).unwrap();
        assert_eq!(setting(&s), APPEND_AUTOCHECKPOINT);
        s.conn()
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO customers (number, name, created_at, updated_at)
                 SELECT 'C' || i, 'name ' || i, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n",
            )
            .unwrap();
        // The rows are in the WAL, not yet in the database file.
        let len = || std::fs::metadata(dir.path().join("a.db")).unwrap().len();
        let during = len();
        end_append(s.conn(), before).unwrap();
        assert_eq!(setting(&s), 8192);
        assert!(len() > during + 1_000_000, "{during} then {}", len());
    }

    /// Issue 15, "cost follows the change": 0018 drops the two customer
    /// indexes no query plan reads, also from the record of a bulk import
    /// killed before it, and the list and the follow-up queue keep their
    /// indexed plans.
    #[test]
    fn unread_customer_indexes_are_dropped_and_their_queries_keep_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v16.db");
        // Schema 16 (0017, there is no 0005): today's schema with the two
        // indexes 0018 drops, without the table 0019 adds.
        drop(Store::open(&p, OpenMode::Create).unwrap());
        let conn = Connection::open(&p).unwrap();
        conn.execute_batch(
            "DROP TABLE match_pairs_low_b;
             CREATE INDEX customers_live_name ON customers(name, id) WHERE merged_into IS NULL;
             CREATE INDEX customers_next_due ON customers(next_followup)
                 WHERE merged_into IS NULL AND next_followup >= coalesce(reminders_from, '');
             PRAGMA user_version = 16;",
        )
        .unwrap();
        let has = |conn: &Connection, name: &str| -> bool {
            conn.query_row("SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = ?1)", [name], |r| r.get(0)).unwrap()
        };
        assert!(has(&conn, "customers_live_name") && has(&conn, "customers_next_due"));
        conn.execute_batch(
            "INSERT INTO customers (number, name, name_sort, next_followup, created_at, updated_at)
             VALUES ('C1', '乙公司', 'yi gong si', '2026-03-02', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                    ('C2', '甲公司', 'jia gong si', '2026-03-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .unwrap();
        // As a bulk import killed under schema 16 left it.
        let record = serde_json::json!({ "pid": 1, "batch_id": 1, "indexes": [
            ["customers_live_owner", "CREATE INDEX customers_live_owner ON customers(owner, id) WHERE merged_into IS NULL"],
            ["customers_live_name", "CREATE INDEX customers_live_name ON customers(name, id) WHERE merged_into IS NULL"],
            ["customers_next_due", "CREATE INDEX customers_next_due ON customers(next_followup) \
                WHERE merged_into IS NULL AND next_followup >= coalesce(reminders_from, '')"],
        ]});
        conn.execute_batch(
            "DROP INDEX customers_live_owner; DROP INDEX customers_live_name; DROP INDEX customers_next_due",
        )
        .unwrap();
        meta_set(&conn, bulk::META_KEY, &record.to_string()).unwrap();
        drop(conn);

        let mut s = Store::open(&p, OpenMode::Existing).unwrap();
        let load = bulk::pending(s.conn()).unwrap().unwrap();
        assert_eq!(load.indexes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["customers_live_owner"]);
        bulk::restore(s.conn_mut()).unwrap();
        let conn = s.conn();
        assert!(has(conn, "customers_live_owner"));
        assert!(!has(conn, "customers_live_name") && !has(conn, "customers_next_due"));

        // The list by name and by next follow-up, still in index order.
        use crate::store::listing::{sorted_ids, CustomerFilter, SortKey};
        let f = CustomerFilter::default();
        assert_eq!(sorted_ids(conn, &f, SortKey::Name, false).unwrap(), [2, 1]);
        assert_eq!(sorted_ids(conn, &f, SortKey::NextFollowup, false).unwrap(), [2, 1]);
        // The next-follow-up rule finds both, through customers_live_next.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let rule = crate::domain::reminder::default_rules()
            .into_iter()
            .find(|r| r.kind == crate::domain::reminder::RuleKind::NextFollowup)
            .unwrap();
        let plan = followups::explain(conn, &rule, today).unwrap();
        assert!(plan.contains("customers_live_next") && !plan.contains("SCAN"), "{plan}");
        let scope = followups::Scope { owners: &[], customer: None };
        let due: Vec<i64> =
            followups::candidates(conn, &rule, today, today, scope).unwrap().iter().map(|c| c.customer_id).collect();
        assert_eq!(due.len(), 2, "{due:?}");
    }

    #[test]
    fn finding_15_10_the_migration_seals_the_entries_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v9.db");
        let conn = Connection::open(&p).unwrap();
        let at = MIGRATIONS.iter().position(|m| *m == AUDIT_CHAIN_MIGRATION).unwrap();
        for sql in &MIGRATIONS[..at] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {at}; PRAGMA application_id = {APPLICATION_ID};")).unwrap();
        for (actor, details) in [("li", "{\"a\":1}"), ("wang", "{}"), ("li", "{\"b\":\"值\"}")] {
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, entity, details) VALUES ('2026-01-01T00:00:00Z', ?1, 'x', 'y', ?2)",
                [actor, details],
            )
            .unwrap();
        }
        drop(conn);
        let s = Store::open(&p, OpenMode::Existing).unwrap();
        let t = audit::verify(s.conn(), None).unwrap();
        assert_eq!((t.entries, t.broken), (3, None));
        let (id, chain) = t.head.unwrap();
        assert_eq!(id, 3);
        // A new entry chains on the sealed ones.
        audit::append(
            s.conn(),
            &NewAudit {
                actor: "li",
                action: "x",
                entity: "y",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({}),
            },
            "2026-01-02T00:00:00Z",
        )
        .unwrap();
        let t = audit::verify(s.conn(), Some((id, chain))).unwrap();
        assert_eq!((t.entries, t.broken, t.contains), (4, None, Some(audit::HeadFound::InChain)));
    }

    #[test]
    fn finding_15_10_entry_digests_have_no_field_boundary_ambiguity() {
        let s = Store::open_in_memory().unwrap();
        for (actor, action) in [("ab", "c"), ("a", "bc")] {
            let a = NewAudit {
                actor,
                action,
                entity: "e",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({}),
            };
            audit::append(s.conn(), &a, "t").unwrap();
        }
        // Moving a boundary between two fields (`ab`,`c` → `a`,`bc`) is noticed.
        s.conn()
            .execute_batch(
                "INSERT INTO erasure_guard VALUES (1); UPDATE audit_log SET actor = 'a', action = 'bc' WHERE id = 1;
                 DELETE FROM erasure_guard;",
            )
            .unwrap();
        let t = audit::verify(s.conn(), None).unwrap();
        assert!(t.broken.unwrap().contains("entry 1 was changed"));
    }

    /// Issue 16, finding 6: customers already in a database keep the
    /// horizon they had (30 days before they entered it), written down now.
    #[test]
    fn finding_16_6_the_migration_writes_down_the_horizon_customers_had() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v12.db");
        let conn = Connection::open(&p).unwrap();
        let at = MIGRATIONS.iter().position(|m| m.contains("ADD COLUMN reminders_from")).unwrap();
        for sql in &MIGRATIONS[..at] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {at}; PRAGMA application_id = {APPLICATION_ID};")).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (number, name, next_followup, created_at, updated_at) VALUES
                 ('C1', 'history', '2025-10-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                 ('C2', 'work', '2025-12-15', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .unwrap();
        drop(conn);
        let s = Store::open(&p, OpenMode::Existing).unwrap();
        let rule = crate::domain::reminder::default_rules().into_iter().find(|r| r.id == "next-followup").unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let due = followups::candidates(s.conn(), &rule, today, today, followups::Scope::default()).unwrap();
        assert_eq!(due.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["work"]);
        assert_eq!(due[0].counts_from.as_deref(), Some("2025-12-02"));
        assert_eq!(followups::horizon(s.conn()).unwrap().0, [(None, 1)], "one planned date is history, and counted");
    }

    /// Issue 16, finding 9: a database from before the pinyin sort key gets
    /// it for every customer already there, in the migration.
    #[test]
    fn finding_16_9_the_migration_fills_the_pinyin_sort_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v13.db");
        let conn = Connection::open(&p).unwrap();
        let at = MIGRATIONS.iter().position(|m| *m == NAME_SORT_MIGRATION).unwrap();
        for sql in &MIGRATIONS[..at] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {at}; PRAGMA application_id = {APPLICATION_ID};")).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (number, name, created_at, updated_at) VALUES
                 ('C1', '上海恒安', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                 ('C2', '北京星辰', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .unwrap();
        drop(conn);
        let s = Store::open(&p, OpenMode::Existing).unwrap();
        let f = listing::CustomerFilter::default();
        assert_eq!(listing::sorted_ids(s.conn(), &f, listing::SortKey::Name, false).unwrap(), [2, 1]);
        let key: String = s.conn().query_row("SELECT name_sort FROM customers WHERE id = 1", [], |r| r.get(0)).unwrap();
        assert!(key.starts_with("shang hai heng an"), "{key}");
    }

    #[test]
    fn migrates_a_fresh_database() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn refuses_newer_schema_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.db");
        drop(Store::open(&p, OpenMode::Create).unwrap());
        Connection::open(&p).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
        let err = Store::open(&p, OpenMode::Existing).err().unwrap().to_string();
        assert!(err.contains("version 99") && err.contains(&format!("version {SCHEMA_VERSION}")), "{err}");

        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"this is not sqlite at all, just some text that is long enough").unwrap();
        let err = Store::open(&junk, OpenMode::Existing).err().unwrap().to_string();
        assert!(err.contains("not an SQLite database"), "{err}");

        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t(x)").unwrap();
        let err = Store::open(&other, OpenMode::Existing).err().unwrap().to_string();
        assert!(err.contains("another program"), "{err}");

        let missing = dir.path().join("missing.db");
        assert!(matches!(Store::open(&missing, OpenMode::Existing), Err(Error::NoDatabase { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.db");
        drop(Store::open(&p, OpenMode::Create).unwrap());
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
