//! The terminal UI. ratatui and crossterm live only below this module.

use crate::error::Result;
use crate::service::Workbench;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// `--keymap NAME|FILE`.
    pub keymap: Option<String>,
}

/// Runs the workbench until the user quits.
pub fn run(_wb: Workbench, _opts: TuiOptions) -> Result<()> {
    Err(crate::Error::Other("TUI not built yet".into()))
}
