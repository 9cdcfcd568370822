//! `crmwb demo`: a fresh database built from the bundled sample data
//! through the real import path. A demo never touches real data.

use crate::error::{Error, Result};
use crate::service::{actor, ImportOptions, Workbench};
use crate::store::OpenMode;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The bundled sample exports, with how each is imported.
pub struct SampleSource {
    pub file: &'static str,
    pub bytes: &'static [u8],
    pub source: &'static str,
    pub key: Option<&'static str>,
    pub interaction_kind: Option<&'static str>,
}

pub const SAMPLES: &[SampleSource] = &[
    SampleSource {
        file: "sales.csv",
        bytes: include_bytes!("../../sample-data/sales.csv"),
        source: "sales",
        key: Some("客户编号"),
        interaction_kind: None,
    },
    SampleSource {
        file: "service.xlsx",
        bytes: include_bytes!("../../sample-data/service.xlsx"),
        source: "service",
        key: Some("工单号"),
        interaction_kind: Some("ticket"),
    },
    SampleSource {
        file: "marketing.csv",
        bytes: include_bytes!("../../sample-data/marketing.csv"),
        source: "marketing",
        key: None,
        interaction_kind: Some("event"),
    },
];

/// Whether `path` is a database that `demo` built (and so may rebuild).
/// Opened read-only and never migrated: a real database is not touched.
fn is_demo_database(path: &Path) -> bool {
    let Ok(conn) = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    conn.query_row("SELECT value FROM meta WHERE key = 'demo'", [], |r| r.get::<_, String>(0))
        .map(|v| v == "1")
        .unwrap_or(false)
}

fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Io { path: p, source }),
        }
    }
    Ok(())
}

/// Where a demo without `--db` lives: `demo.db` in the platform data
/// directory, rebuilt by every demo (so demos leave nothing behind).
fn default_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "crm-workbench")
        .ok_or_else(|| Error::Other("cannot find a home directory for the demo database; use --db PATH".into()))?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    Ok(dir.join("demo.db"))
}

/// Builds the demo database at `db` (which must be absent or an earlier
/// demo), else at the one demo database of this user (`default_path`). The
/// sample files are unpacked into a temporary directory removed afterwards.
pub fn build(db: Option<&Path>, out: &mut impl Write) -> Result<Workbench> {
    // Ctrl-C while the samples are unpacked stops the import, and the
    // temporary directory is removed on the way out (as on a panic, by
    // `TempDir`'s drop); once it is gone, Ctrl-C ends the demo as usual.
    let cancel = Arc::new(AtomicBool::new(false));
    let unpacked = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register_conditional_default(signal_hook::consts::SIGINT, unpacked.clone());
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.clone());
    let wb = build_from_samples(db, out, &cancel);
    unpacked.store(true, Ordering::SeqCst);
    let wb = wb?;
    if cancel.load(Ordering::SeqCst) {
        return Err(interrupted());
    }
    finish(wb, out)
}

fn interrupted() -> Error {
    Error::Interrupted(
        "the demo was interrupted (Ctrl-C) while importing; its temporary files are removed, \
         and the next `crmwb demo` builds it again"
            .into(),
    )
}

/// The database with the samples imported; the unpacked sample files are
/// removed before it returns, however it returns.
fn build_from_samples(db: Option<&Path>, out: &mut impl Write, cancel: &Arc<AtomicBool>) -> Result<Workbench> {
    let samples = tempfile::Builder::new()
        .prefix("crmwb-demo-")
        .tempdir()
        .map_err(|source| Error::Io { path: std::env::temp_dir(), source })?;
    let dir = samples.path();
    let path = match db {
        Some(p) => p.to_path_buf(),
        None => default_path()?,
    };
    if path.exists() {
        if !is_demo_database(&path) {
            return Err(Error::Refused(format!(
                "{}: exists and is not a demo database; `crmwb demo` never touches real data (choose another --db, or omit it)",
                path.display()
            )));
        }
        remove_database(&path)?;
    }
    let mut wb = Workbench::open(&path, OpenMode::Create, &actor::os_login())?;
    wb.mark_demo()?;
    writeln!(out, "{}", tr!("demo-building", path = path.display().to_string()))?;
    for s in SAMPLES {
        let file = dir.join(s.file);
        crate::files::write(&file, wb.file_mode(), s.bytes)
            .map_err(|source| Error::Io { path: file.clone(), source })?;
        let opts = ImportOptions {
            source: s.source.into(),
            key: s.key.map(str::to_string),
            interaction_kind: s.interaction_kind.map(str::to_string),
            cancel: Some(cancel.clone()),
            ..Default::default()
        };
        let r = wb.import(&file, &opts, &mut |_| {})?;
        if r.cancelled || cancel.load(Ordering::SeqCst) {
            return Err(interrupted());
        }
        let line = tr!(
            "demo-file",
            read = format!("{:>4}", r.counts.read),
            imported = r.counts.imported,
            warned = r.counts.warned,
            rejected = r.counts.rejected
        );
        writeln!(out, "  {:<14} {line}", s.file)?;
    }
    drop(samples);
    Ok(wb)
}

/// The demo's finishing touches on the imported samples.
fn finish(mut wb: Workbench, out: &mut impl Write) -> Result<Workbench> {
    // The sample's dates are years old; a demo shows today's work.
    let today = wb.clock().today();
    let days = wb.shift_demo_dates(today)?;
    writeln!(out, "{}", tr!("demo-dates", days = days, today = today.to_string()))?;
    let from = crate::domain::reminder::shift(today, -crate::service::DEMO_REMINDERS_DAYS);
    writeln!(out, "{}", tr!("demo-from", from = from.to_string()))?;
    // The sample holds the duplicates matching.md describes: a demo shows
    // them waiting for review, as after a `crmwb match`.
    let m = wb.run_match(&crate::service::MatchOptions::default())?;
    writeln!(out, "{}", tr!("demo-dups", n = m.clusters_open))?;
    // A team, so that owners, "mine", managers and every role can be tried.
    let team = wb.create_demo_team()?;
    writeln!(out, "{}", tr!("demo-team", n = team.len(), me = wb.actor().to_string()))?;
    for u in &team {
        let reports = u.manager.as_deref().map(|m| tr!("demo-reports", m = m)).unwrap_or_default();
        let owns = if u.owns > 0 { tr!("demo-owns", n = u.owns) } else { String::new() };
        let name = crate::display::fit(&crate::display::sanitize(&u.name), 8);
        writeln!(out, "    {:<14} {name}  {}{owns}{reports}", u.login, crate::i18n::value("role", u.role.as_str()))?;
    }
    Ok(wb)
}
