//! Why another OS user cannot open a database, and what to run about it.
//!
//! SQLite reports a permission problem as "unable to open database file" or
//! "attempt to write a readonly database". A user needs to read and write
//! the file (and its -wal and -shm files), and to create files in its
//! directory (SQLite creates -wal and -shm beside the database). The checks
//! here work from the files' owner, group and mode for a given user (a
//! [`Who`]), so they can be tested for any user, including as root, for
//! whom the kernel's own checks always pass.

use std::path::{Path, PathBuf};

/// A user, as the kernel sees them for permission checks.
#[derive(Debug, Clone)]
pub struct Who {
    pub uid: u32,
    pub gids: Vec<u32>,
}

impl Who {
    /// The user running this process.
    #[cfg(unix)]
    pub fn current() -> Who {
        // SAFETY: plain queries of the process's credentials.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let mut gids = vec![gid];
        let mut buf = vec![0 as libc::gid_t; 256];
        // SAFETY: buf holds buf.len() entries.
        let n = unsafe { libc::getgroups(buf.len() as libc::c_int, buf.as_mut_ptr()) };
        if n > 0 {
            gids.extend_from_slice(&buf[..n as usize]);
        }
        Who { uid, gids }
    }

    /// Whether this user has all of `bits` (4 read, 2 write, 1 search/execute).
    fn may(&self, meta: &std::fs::Metadata, bits: u32) -> bool {
        use std::os::unix::fs::MetadataExt;
        if self.uid == 0 {
            return true;
        }
        let mode = meta.mode();
        let granted = if meta.uid() == self.uid {
            (mode >> 6) & 7
        } else if self.gids.contains(&meta.gid()) {
            (mode >> 3) & 7
        } else {
            mode & 7
        };
        granted & bits == bits
    }
}

/// What keeps `who` from using the database at `db`, as a message naming
/// the path, its owner, group and mode, and what to run; None when the
/// permissions are not the problem.
#[cfg(unix)]
pub fn permission_problem(db: &Path, who: &Who) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let describe = |p: &Path, m: &std::fs::Metadata| {
        format!(
            "{} is owned by {} (group {}, mode {:04o})",
            p.display(),
            user_name(m.uid()),
            group_name(m.gid()),
            m.mode() & 0o7777
        )
    };
    let you = user_name(who.uid);
    if let Ok(m) = std::fs::metadata(&dir) {
        if !who.may(&m, 1) {
            return Some(format!(
                "permission denied: {you} may not enter the directory: {}. Its owner can share it with a group: `chgrp GROUP {d} && chmod 2770 {d}`",
                describe(&dir, &m),
                d = dir.display()
            ));
        }
    }
    let file = std::fs::metadata(db).ok()?;
    if !who.may(&file, 4 | 2) {
        return Some(format!(
            "permission denied: {you} may not read and write the database: {}. Its owner can share it with a team: `crmwb init --group GROUP --db {p}` (or `chgrp GROUP {p} && chmod 660 {p}`)",
            describe(db, &file),
            p = db.display()
        ));
    }
    for suffix in ["-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let f = PathBuf::from(name);
        if let Ok(m) = std::fs::metadata(&f) {
            if !who.may(&m, 4 | 2) {
                return Some(format!(
                    "permission denied: {you} may not read and write {}: {}. Its owner can fix it: `crmwb init --group GROUP --db {}`",
                    f.display(),
                    describe(&f, &m),
                    db.display()
                ));
            }
        }
    }
    if let Ok(m) = std::fs::metadata(&dir) {
        if !who.may(&m, 2 | 1) {
            return Some(format!(
                "permission denied: {you} may not create files in the database's directory (SQLite keeps its -wal and -shm files beside the database): {}. Its owner can share it with a group: `chgrp GROUP {d} && chmod 2770 {d}` (`crmwb init --group GROUP` does this when run by the directory's owner)",
                describe(&dir, &m),
                d = dir.display()
            ));
        }
    }
    None
}

#[cfg(not(unix))]
pub fn permission_problem(_db: &Path, _who: &Who) -> Option<String> {
    None
}

/// Makes the database's directory usable by `gid`'s members: its group,
/// and group read, write and search with the set-group-id bit (so the -wal
/// and -shm files SQLite creates there belong to the group). Returns what
/// was changed, or an error saying exactly what is missing when this user
/// may not change it.
#[cfg(unix)]
pub fn share_directory(db: &Path, gid: u32, group: &str) -> crate::Result<Option<String>> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |source| crate::Error::Io { path: dir.clone(), source };
    let m = std::fs::metadata(&dir).map_err(io)?;
    let member = Who { uid: u32::MAX, gids: vec![gid] };
    if m.gid() == gid && member.may(&m, 2 | 1) && m.mode() & 0o2000 != 0 {
        return Ok(None);
    }
    // SAFETY: a plain query of the process's credentials.
    let uid = unsafe { libc::geteuid() };
    if uid != 0 && uid != m.uid() {
        return Err(crate::Error::Refused(format!(
            "{}: group {group} needs to create files in this directory (SQLite keeps the -wal and -shm files beside the database), but it is owned by {} (group {}, mode {:04o}); ask its owner to run `chgrp {group} {d} && chmod 2770 {d}`",
            dir.display(),
            user_name(m.uid()),
            group_name(m.gid()),
            m.mode() & 0o7777,
            d = dir.display()
        )));
    }
    crate::os::chown_group(&dir, gid).map_err(io)?;
    let mode = (m.mode() & 0o7777) | 0o2070;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).map_err(io)?;
    Ok(Some(format!("{}: directory shared with group {group} ({:04o})", dir.display(), mode)))
}

#[cfg(unix)]
fn user_name(uid: u32) -> String {
    crate::os::login_of(uid).unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(unix)]
fn group_name(gid: u32) -> String {
    crate::os::group_name(gid).unwrap_or_else(|| format!("gid {gid}"))
}
