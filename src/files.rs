//! Every file crmwb writes is created here, with the database's own
//! permissions from the first byte: exports, rejected rows, candidate pairs,
//! saved mappings, backups, the demo's files and generated samples.
//!
//! A file holding customer data is as secret as the database it came from.
//! So it gets the database's mode: 0600 (owner only), or 0660 with the
//! database's group when the database is shared with a group; 0600 when
//! there is no database file to copy from. Never world-readable, whatever
//! the umask.
//!
//! The file is created under a temporary name, private from the start, given
//! its group and mode through its descriptor (no window where it is readable
//! by the wrong people, and the umask cannot narrow a group's rights), and
//! renamed over the destination only when complete. A reader who had
//! opened an earlier, looser file of the same name never sees the new data,
//! and a failed export leaves no half file behind. A destination that is not
//! a regular file (`/dev/stdout`, a pipe) is written in place.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Permissions for a new file: a mode (only owner and group bits) and the
/// group to give it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMode {
    pub mode: u32,
    pub gid: Option<u32>,
}

impl FileMode {
    /// Readable and writable by the owner only.
    pub const PRIVATE: FileMode = FileMode { mode: 0o600, gid: None };

    /// The mode of the database at `db`: 0600, or 0660 with its group when
    /// the database grants its group access; 0600 where `db` is not a file.
    pub fn of_database(db: &Path) -> FileMode {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match std::fs::metadata(db) {
                Ok(m) if m.is_file() && m.mode() & 0o060 != 0 => {
                    FileMode { mode: 0o600 | (m.mode() & 0o060), gid: Some(m.gid()) }
                }
                _ => FileMode::PRIVATE,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = db;
            FileMode::PRIVATE
        }
    }
}

/// Creates `path` anew, which must not exist, with `mode`. For files that
/// are opened by name afterwards (a new database, a backup).
pub fn create_new(path: &Path, mode: FileMode) -> io::Result<File> {
    let file = open_private(path)?;
    apply(&file, mode)?;
    Ok(file)
}

/// Creates or truncates `path` in place with `mode`, for files whose
/// content is not customer data (the sample generator's synthetic files),
/// where a reader holding the earlier file open is no concern.
pub fn create_in_place(path: &Path, mode: FileMode) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    apply(&file, mode)?;
    Ok(file)
}

/// A file being written: call [`Output::commit`] when it is complete.
/// Dropped without a commit, it leaves the destination as it was.
pub struct Output {
    file: File,
    /// (temporary file, destination) when the file is renamed into place.
    rename: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Starts writing `path` (replacing any regular file there) with `mode`.
    pub fn create(path: &Path, mode: FileMode) -> io::Result<Output> {
        match std::fs::metadata(path) {
            // A device or a pipe: written in place; its mode is not ours to set.
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let file = std::fs::OpenOptions::new().write(true).open(path)?;
                return Ok(Output { file, rename: None });
            }
            _ => {}
        }
        // Through a symbolic link, the file it names is the one replaced.
        let dest = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for attempt in 0..100u32 {
            let tmp = dir.join(format!(".{name}.crmwb-{}-{attempt}.tmp", std::process::id()));
            match open_private(&tmp) {
                Ok(file) => {
                    let out = Output { file, rename: Some((tmp, dest)) };
                    apply(&out.file, mode)?;
                    return Ok(out);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // Report the destination the user named, not our temporary name.
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name beside the file"))
    }

    /// Flushes the file and puts it in place.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        if let Some((tmp, dest)) = self.rename.take() {
            if let Err(e) = std::fs::rename(&tmp, &dest) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl io::Seek for Output {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((tmp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Writes `bytes` to `path` (replacing it) with `mode`.
pub fn write(path: &Path, mode: FileMode, bytes: &[u8]) -> io::Result<()> {
    let mut out = Output::create(path, mode)?;
    out.write_all(bytes)?;
    out.commit()
}

/// Opens a new file readable by its owner only (0600 whatever the umask).
fn open_private(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Gives an open file its group, then its mode: never readable by a group
/// other than the one intended, and the umask has no say.
fn apply(file: &File, mode: FileMode) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        let fd = file.as_raw_fd();
        if let Some(gid) = mode.gid {
            // SAFETY: a valid open descriptor; u32::MAX (-1) leaves the owner unchanged.
            if unsafe { libc::fchown(fd, u32::MAX, gid) } != 0 {
                // Not a member of the database's group: the file stays private.
                return Ok(());
            }
        }
        // SAFETY: a valid open descriptor.
        if unsafe { libc::fchmod(fd, mode.mode as libc::mode_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(unix))]
    let _ = (file, mode);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_output_replaces_a_loose_file_with_a_private_one_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut o = Output::create(&p, FileMode::PRIVATE).unwrap();
        o.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode_of(&p), 0o600);
        // An abandoned output leaves nothing behind.
        drop(Output::create(&p, FileMode::PRIVATE).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn a_group_database_gives_its_files_0660_and_its_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        std::fs::write(&db, "").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o660)).unwrap();
        let m = FileMode::of_database(&db);
        assert_eq!(m, FileMode { mode: 0o660, gid: Some(std::fs::metadata(&db).unwrap().gid()) });
        let out = dir.path().join("x");
        write(&out, m, b"x").unwrap();
        assert_eq!(mode_of(&out), 0o660);
        assert_eq!(FileMode::of_database(Path::new(":memory:")), FileMode::PRIVATE);
        assert_eq!(FileMode::of_database(dir.path()), FileMode::PRIVATE);
    }
}
