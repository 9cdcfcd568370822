//! The library's error type. Every variant carries what a user needs to fix
//! the problem: which file, which row, which column, and why.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: not a crmwb database ({why})")]
    NotADatabase { path: PathBuf, why: String },

    #[error(
        "{path}: the database uses schema version {found}, but this crmwb understands only up to version {supported}; upgrade crmwb to open it"
    )]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },

    #[error("{path}: no database here; run `crmwb init` (or `crmwb import`) to create one")]
    NoDatabase { path: PathBuf },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A problem in an input file, located as precisely as it can be.
    #[error("{file}{}{}: {message}", .row.map(|r| format!(", row {r}")).unwrap_or_default(), .column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
    Input { file: String, row: Option<u64>, column: Option<String>, message: String },

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    Invalid(String),

    #[error("{0}")]
    Refused(String),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("{0}")]
    Other(String),

    /// The user stopped the command (Ctrl-C): exit status 130, as a shell
    /// reports a command ended by SIGINT.
    #[error("{0}")]
    Interrupted(String),

    /// Writing output failed (a closed pipe is not an error for the user).
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn input(file: impl Into<String>, row: Option<u64>, column: Option<&str>, message: impl Into<String>) -> Self {
        Error::Input { file: file.into(), row, column: column.map(str::to_string), message: message.into() }
    }

    /// A CSV writer's error. A failed write stays an output error, so that
    /// a closed pipe (`crmwb export customers | head`) ends quietly.
    pub fn csv(context: &str, e: csv::Error) -> Self {
        if e.is_io_error() {
            if let csv::ErrorKind::Io(io) = e.into_kind() {
                return Error::Output(io);
            }
            unreachable!("is_io_error");
        }
        Error::Other(format!("{context}: {e}"))
    }

    /// Whether this is a write to a closed pipe (the reader went away):
    /// not an error for the user.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Output(e) | Error::Io { source: e, .. } => e.kind() == std::io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}
