//! The command line: a thin adapter that parses arguments, calls the
//! service, and prints. No SQL and no business rule lives here.

mod demo;
mod output;

use crate::error::{Error, Result};
use crate::service::{actor, ImportOptions, Workbench};
use crate::store::OpenMode;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "crmwb",
    version,
    about = "Keyboard-driven workbench for integrating and cleansing customer data",
    long_about = "crm-workbench imports customer exports (CSV), normalises and validates them, \
keeps every raw source row for provenance, and shows one golden record per customer.\n\n\
Run without a command to open the terminal UI.",
    after_help = "Database: --db PATH, else $CRMWB_DB, else the platform data directory."
)]
pub struct Cli {
    /// The database file (default: $CRMWB_DB, else the platform data directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (harmless if it exists).
    Init,
    /// Import a CSV export: every row is kept verbatim and becomes (or updates) a customer.
    #[command(long_about = "Import a CSV export (UTF-8, with or without BOM, header row first).\n\n\
Headers are mapped automatically to target fields (客户名称/Company → name, 手机/电话/Mobile → phone, …); \
the mapping is printed before the import. Every row is kept verbatim as a source record. \
Re-importing the same source skips unchanged rows and updates changed ones (by --key, else row number).\n\n\
Target fields: name kind industry industry_code status contact_name phone mobile landline email \
province city district address first_contact last_followup next_followup contract_expiry owner \
priority needs contract_no contract_signed contract_amount decision_maker source_channel notes \
interaction_at interaction_kind interaction_summary interaction_by custom:NAME:TYPE")]
    Import {
        /// The file to import.
        file: PathBuf,
        /// Where the file came from, e.g. `sales` or `service tickets 2023`.
        #[arg(long)]
        source: String,
        /// The column holding the source's own record key (default: the data row number).
        #[arg(long, value_name = "HEADER")]
        key: Option<String>,
        /// Map a column: `HEADER=FIELD` (FIELD `-` leaves it unmapped). Repeatable.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        maps: Vec<String>,
        /// Customer type for rows that do not say: company or person.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Interaction kind for rows that carry one (ticket, event, call…), default note.
        #[arg(long, value_name = "KIND")]
        interaction_kind: Option<String>,
        /// Import at most N data rows (a trial import).
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List import batches, or show one batch's log.
    Imports {
        #[command(subcommand)]
        action: Option<ImportsAction>,
        #[arg(long)]
        json: bool,
    },
    /// List customers.
    Customers {
        /// Print one JSON array of objects keyed by target field names.
        #[arg(long)]
        json: bool,
        /// At most N customers.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Work with one customer.
    Customer {
        #[command(subcommand)]
        action: CustomerAction,
    },
    /// Build a fresh demo database from the bundled sample data and open the workbench.
    Demo {
        /// Build the database only; do not open the TUI.
        #[arg(long)]
        no_tui: bool,
        /// Key bindings: `default`, `vim`, or a TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        keymap: Option<String>,
    },
    /// Open the terminal workbench (the default command).
    Tui {
        /// Key bindings: `default`, `vim`, or a TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        keymap: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportsAction {
    /// Show a batch: counts and every warning or rejection with row, column and rule.
    Show { batch: i64 },
}

#[derive(Debug, Subcommand)]
pub enum CustomerAction {
    /// Show everything known about a customer: fields, phones, contacts,
    /// interactions, source rows and history.
    Show {
        /// The customer number, e.g. CRM2026-000042 (an absorbed number finds its survivor).
        number: String,
        #[arg(long)]
        json: bool,
    },
}

/// The database path: `--db`, else `$CRMWB_DB`, else the platform data dir.
pub fn database_path(cli_db: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = cli_db {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("CRMWB_DB").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let dirs = directories::ProjectDirs::from("", "", "crm-workbench")
        .ok_or_else(|| Error::Other("cannot find a home directory for the database; use --db PATH".into()))?;
    Ok(dirs.data_dir().join("crmwb.db"))
}

fn open(cli: &Cli, mode: OpenMode) -> Result<Workbench> {
    let path = database_path(cli.db.as_deref())?;
    Workbench::open(&path, mode, &actor::os_login())
}

/// Runs the parsed command line. Returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match &cli.command {
        None | Some(Command::Tui { .. }) => {
            let keymap = match &cli.command {
                Some(Command::Tui { keymap }) => keymap.clone(),
                _ => None,
            };
            let wb = open(&cli, OpenMode::Create)?;
            drop(out);
            crate::tui::run(wb, crate::tui::TuiOptions { keymap })?;
            return Ok(0);
        }
        Some(Command::Init) => {
            let path = database_path(cli.db.as_deref())?;
            let existed = path.exists();
            let wb = Workbench::open(&path, OpenMode::Create, &actor::os_login())?;
            if existed {
                writeln!(
                    out,
                    "{}: database already exists (schema version {}); nothing changed",
                    path.display(),
                    wb.store().schema_version()?
                )?;
            } else {
                writeln!(out, "{}: created; {} is its admin", path.display(), wb.actor())?;
            }
        }
        Some(Command::Import { file, source, key, maps, kind, interaction_kind, limit, json }) => {
            let mut wb = open(&cli, OpenMode::Create)?;
            let opts = ImportOptions {
                source: source.clone(),
                key: key.clone(),
                maps: maps.clone(),
                default_kind: kind.clone(),
                interaction_kind: interaction_kind.clone(),
                limit: *limit,
            };
            let mapping = wb.preview_mapping(file, &opts)?;
            if !json {
                output::print_mapping(&mut out, &mapping)?;
                out.flush()?;
            }
            let tty = std::io::stderr().is_terminal();
            let report = wb.import(file, &opts, &mut |p| {
                if tty {
                    eprint!("\r  {} rows read, {} imported…", p.counts.read, p.counts.imported);
                }
            })?;
            if tty {
                eprintln!();
            }
            if *json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({ "batch": report.batch_id, "counts": report.counts, "mapping": report.mapping }),
                )?;
                writeln!(out)?;
            } else {
                output::print_counts(&mut out, report.batch_id, &report.counts)?;
            }
        }
        Some(Command::Imports { action, json }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            match action {
                None => output::print_batches(&mut out, &wb.batches()?, *json)?,
                Some(ImportsAction::Show { batch }) => output::print_batch(&mut out, &wb, *batch, *json)?,
            }
        }
        Some(Command::Customers { json, limit }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            output::print_customers(&mut out, &wb, *json, *limit)?;
        }
        Some(Command::Customer { action: CustomerAction::Show { number, json } }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            let detail = wb.customer_by_number(number)?;
            output::print_customer(&mut out, &detail, *json)?;
        }
        Some(Command::Demo { no_tui, keymap }) => {
            let wb = demo::build(cli.db.as_deref(), &mut out)?;
            out.flush()?;
            if !*no_tui {
                drop(out);
                let path = wb.path().to_path_buf();
                crate::tui::run(wb, crate::tui::TuiOptions { keymap: keymap.clone() })?;
                eprintln!("demo database kept at {}", path.display());
                return Ok(0);
            }
            writeln!(out, "Open it with: crmwb --db {} tui", wb.path().display())?;
        }
    }
    out.flush()?;
    Ok(0)
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Other(format!("JSON: {e}"))
    }
}
