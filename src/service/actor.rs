//! Who is acting: the OS account of the process, from its uid.

/// The login name of the account the process runs as. Read from the
/// password database by uid, never from `$USER`, which anyone can set.
pub fn os_login() -> String {
    #[cfg(unix)]
    {
        // SAFETY: a plain query of the process's credentials.
        let uid = unsafe { libc::getuid() };
        crate::os::login_of(uid).unwrap_or_else(|| format!("uid{uid}"))
    }
    #[cfg(not(unix))]
    {
        "user".to_string()
    }
}
