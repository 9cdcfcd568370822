//! Who is acting: the OS account of the process, from its uid.

/// The login name of the account the process runs as. Read from the
/// password database by uid, never from `$USER`, which anyone can set.
pub fn os_login() -> String {
    #[cfg(unix)]
    {
        // SAFETY: getpwuid_r writes only into the buffers we pass and
        // `result` points into `pwd` or is null.
        unsafe {
            let uid = libc::getuid();
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut buf = vec![0 as libc::c_char; 4096];
            let mut result: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
            if rc == 0 && !result.is_null() && !pwd.pw_name.is_null() {
                if let Ok(name) = std::ffi::CStr::from_ptr(pwd.pw_name).to_str() {
                    if !name.is_empty() {
                        return name.to_string();
                    }
                }
            }
            format!("uid{uid}")
        }
    }
    #[cfg(not(unix))]
    {
        "user".to_string()
    }
}
