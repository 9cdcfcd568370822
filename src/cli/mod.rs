//! The command line: a thin adapter that parses arguments, calls the
//! service, and prints. No SQL and no business rule lives here.

mod demo;
mod output;

use crate::error::{Error, Result};
use crate::ingest::{EncodingChoice, MappingFile, ReadOptions};
use crate::service::{actor, BulkMode, ExportFormat, ImportOptions, Workbench};
use crate::store::OpenMode;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "crmwb",
    version,
    about = "Keyboard-driven workbench for integrating and cleansing customer data",
    long_about = "crm-workbench imports customer exports (CSV, XLSX), normalises and validates them, \
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

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (harmless if it exists).
    Init,
    /// Import a CSV or XLSX export: every row is kept verbatim and becomes (or updates) a customer.
    #[command(long_about = "Import a CSV/TSV export (UTF-8 with or without BOM, GB18030/GBK, UTF-16; any delimiter) \
or a spreadsheet (XLSX, XLS, ODS), header row first.\n\n\
Headers are mapped automatically to target fields (客户名称/Company → name, 手机/电话/Mobile → phone, …); \
the mapping is printed before the import. Every row is kept verbatim as a source record. \
Re-importing the same source skips unchanged rows and updates changed ones (by --key, else row number).\n\n\
Target fields: name kind industry industry_code status contact_name phone mobile landline email \
province city district address first_contact last_followup next_followup contract_expiry owner \
priority needs contract_no contract_signed contract_amount decision_maker source_channel notes \
interaction_at interaction_kind interaction_summary interaction_by custom:NAME:TYPE")]
    Import {
        /// The file to import: CSV/TSV (any delimiter; UTF-8, GB18030/GBK or UTF-16), XLSX, XLS or ODS.
        file: PathBuf,
        /// Where the file came from, e.g. `sales` or `service tickets 2023`.
        #[arg(long)]
        source: String,
        /// The column holding the source's own record key (default: the data row number).
        #[arg(long, value_name = "HEADER")]
        key: Option<String>,
        /// Map a column: `HEADER=FIELD`; join columns: `A+B=FIELD`; `HEADER=-` keeps it raw only. Repeatable.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        maps: Vec<String>,
        /// Start from a mapping saved with --save-mapping (default: the one remembered for --source).
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Write the mapping used to a TOML file, to review or reuse.
        #[arg(long, value_name = "FILE")]
        save_mapping: Option<PathBuf>,
        /// Customer type for rows that do not say: company or person.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Interaction kind for rows that carry one (ticket, event, call…), default note.
        #[arg(long, value_name = "KIND")]
        interaction_kind: Option<String>,
        /// Text encoding: auto, utf-8 or gb18030 (GBK).
        #[arg(long, value_name = "ENC", default_value = "auto")]
        encoding: String,
        /// Field delimiter (default: sniffed from the header line). `\t` for tab.
        #[arg(long, value_name = "CHAR")]
        delimiter: Option<String>,
        /// The worksheet of a spreadsheet (default: the first).
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
        /// Import at most N data rows (a trial import: then import the whole file; imported rows are skipped).
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        /// Parse, map, normalise and validate, and say what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A source's first import may drop and rebuild the indexes of the tables it fills, which is
        /// several times faster for a large file: auto (large files), on (whenever safe) or off.
        /// Others keep reading correct data meanwhile; searches on those indexes are slower until the rebuild.
        #[arg(long, value_name = "WHEN", default_value = "auto")]
        bulk: String,
        /// Write the rejected rows as they were, plus a reason column, to fix and re-import.
        #[arg(long, value_name = "FILE")]
        rejected_csv: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List import batches; show, undo or resume one.
    Imports {
        #[command(subcommand)]
        action: Option<ImportsAction>,
        /// Print JSON instead of text.
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
    /// Export data: customers as CSV (UTF-8 with BOM, opens in Excel), XLSX or JSON.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// The customer every source row belongs to now.
    Links {
        /// CSV with header `source,source_key,customer_number` (plain UTF-8, no BOM). The only format.
        #[arg(long, required = true)]
        csv: bool,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Data-quality report: completeness and validity per field, the domain's targets with pass/fail,
    /// and a reproducible random sample of customers beside the raw source values they came from.
    Quality {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Show a random sample of this fraction of customers (e.g. 0.1 for 10%).
        #[arg(long, value_name = "FRACTION")]
        sample: Option<f64>,
        /// Seed of the sample: the same seed picks the same customers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write realistic, messy sample exports of any size, with `truth.csv` naming every row's true customer.
    #[command(long_about = "Write sales.csv, service.csv and marketing.csv (UTF-8) plus truth.csv \
(header source,source_key,entity_id) to DIR: N true customers, more rows, with duplicates across and within \
sources and the hard cases of duplicate detection. Same seed, same bytes.\n\n\
Import them with:\n  crmwb import DIR/sales.csv --source sales --key 客户编号\n  \
crmwb import DIR/service.csv --source service --key 工单号 --interaction-kind ticket\n  \
crmwb import DIR/marketing.csv --source marketing --interaction-kind event")]
    GenSample {
        /// How many true customers.
        #[arg(long, value_name = "N")]
        customers: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Save as the source systems do: sales.csv in GB18030, service as service.xlsx
        /// (numbers and dates typed), marketing.csv with a UTF-8 byte-order mark.
        #[arg(long)]
        native_formats: bool,
    },
    /// Build a fresh demo database from the bundled sample data and open the workbench.
    Demo {
        /// Build the database only; do not open the TUI.
        #[arg(long)]
        no_tui: bool,
        /// Key bindings: `default` or a keymap TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        keymap: Option<String>,
    },
    /// Open the terminal workbench (the default command).
    Tui {
        /// Key bindings: `default` or a keymap TOML file.
        #[arg(long, value_name = "NAME|FILE")]
        keymap: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Every customer: target field names as columns, `phones`/`emails` with every number and address,
    /// `custom:NAME` for custom fields. Cells that a spreadsheet would run as formulas are neutralised.
    Customers {
        /// csv, xlsx or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportsAction {
    /// Show a batch: counts and every warning or rejection with row, column and rule.
    Show {
        batch: i64,
        /// Also write the batch's rejected rows, as they were plus a reason column, to FILE.
        #[arg(long, value_name = "FILE")]
        rejected_csv: Option<PathBuf>,
    },
    /// Roll a batch back: remove the customers it created, restore what it changed.
    Undo { batch: i64 },
    /// Continue an incomplete batch (interrupted by Ctrl-C or a crash) where it stopped.
    Resume { batch: i64 },
}

#[derive(Debug, Subcommand)]
pub enum CustomerAction {
    /// Show everything known about a customer: fields, phones, contacts,
    /// interactions, source rows and history.
    Show {
        /// The customer number, e.g. CRM2026-000042 (an absorbed number finds its survivor).
        number: String,
        /// Print JSON instead of text.
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

/// A dry run against a database that does not exist yet needs somewhere
/// to look up earlier imports: an empty private database that is thrown away.
fn open_scratch() -> Result<Workbench> {
    Workbench::open_in_memory(&actor::os_login())
}

fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(Error::Invalid(format!("--delimiter `{s}`: give one ASCII character, or \\t for tab"))),
    }
}

/// Runs `f` on FILE (created anew) or on standard output.
fn with_output<T>(
    file: Option<&Path>,
    stdout: &mut dyn Write,
    f: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    match file {
        Some(p) => {
            let io = |source| Error::Io { path: p.to_path_buf(), source };
            let mut w = std::io::BufWriter::new(std::fs::File::create(p).map_err(io)?);
            let v = f(&mut w)?;
            w.flush().map_err(io)?;
            Ok(v)
        }
        None => f(stdout),
    }
}

/// Runs the parsed command line. Returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = if std::io::IsTerminal::is_terminal(&stdout) {
        Box::new(output::TerminalSafe::new(std::io::BufWriter::new(stdout.lock())))
    } else {
        Box::new(std::io::BufWriter::new(stdout.lock()))
    };
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
        Some(Command::Import {
            file,
            source,
            key,
            maps,
            mapping,
            save_mapping,
            kind,
            interaction_kind,
            encoding,
            delimiter,
            sheet,
            limit,
            dry_run,
            bulk,
            rejected_csv,
            json,
        }) => {
            let mapping_file = match mapping {
                Some(p) => {
                    let text = std::fs::read_to_string(p).map_err(|source| Error::Io { path: p.clone(), source })?;
                    Some(
                        MappingFile::from_toml(&text)
                            .map_err(|e| Error::input(p.display().to_string(), None, None, e))?,
                    )
                }
                None => None,
            };
            let cancel = Arc::new(AtomicBool::new(false));
            let opts = ImportOptions {
                source: source.clone(),
                key: key.clone(),
                maps: maps.clone(),
                mapping_file,
                default_kind: kind.clone(),
                interaction_kind: interaction_kind.clone(),
                limit: *limit,
                read: ReadOptions {
                    encoding: EncodingChoice::parse(encoding).ok_or_else(|| {
                        Error::Invalid(format!("--encoding `{encoding}`: use auto, utf-8 or gb18030"))
                    })?,
                    delimiter: delimiter.as_deref().map(parse_delimiter).transpose()?,
                    sheet: sheet.clone(),
                },
                dry_run: *dry_run,
                cancel: Some(cancel.clone()),
                bulk: BulkMode::parse(bulk)
                    .ok_or_else(|| Error::Invalid(format!("--bulk `{bulk}`: use auto, on or off")))?,
            };
            let mut wb = match open(&cli, if *dry_run { OpenMode::Existing } else { OpenMode::Create }) {
                Err(Error::NoDatabase { .. }) if *dry_run => open_scratch()?,
                other => other?,
            };
            let mapping = wb.preview_mapping(file, &opts)?;
            if let Some(p) = save_mapping {
                let text = mapping.to_file(Some(source), kind.as_deref(), interaction_kind.as_deref()).to_toml();
                std::fs::write(p, text).map_err(|source| Error::Io { path: p.clone(), source })?;
            }
            if !json {
                output::print_mapping(&mut out, &mapping)?;
                out.flush()?;
            }
            // Ctrl-C stops at the next row; what was read stays, resumable.
            let _sigint = signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.clone());
            let report = {
                let mut bar = output::Progress::new(file);
                wb.import(file, &opts, &mut |p| bar.update(&p))?
            };
            if let (Some(p), Some(batch)) = (rejected_csv, report.batch_id) {
                output::write_rejected_csv(&wb, batch, p)?;
            }
            if *json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({ "batch": report.batch_id, "dry_run": dry_run, "cancelled": report.cancelled,
                        "encoding": report.encoding, "counts": report.counts, "mapping": report.mapping,
                        "issues": report.issues }),
                )?;
                writeln!(out)?;
            } else {
                output::print_report(&mut out, &report)?;
                if let Some(p) = rejected_csv.as_ref().filter(|_| report.counts.rejected > 0) {
                    writeln!(out, "Rejected rows written to {}", p.display())?;
                }
            }
            if report.cancelled {
                out.flush()?;
                return Ok(130);
            }
        }
        Some(Command::Imports { action, json }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            match action {
                None => output::print_batches(&mut out, &wb.batches()?, *json)?,
                Some(ImportsAction::Show { batch, rejected_csv }) => {
                    output::print_batch(&mut out, &wb, *batch, *json)?;
                    if let Some(p) = rejected_csv {
                        output::write_rejected_csv(&wb, *batch, p)?;
                    }
                }
                Some(ImportsAction::Undo { batch }) => {
                    let mut wb = wb;
                    let r = wb.undo_import(*batch)?;
                    writeln!(
                        out,
                        "Batch {batch} undone: {} customers removed, {} restored to their earlier values",
                        r.imported, r.updated
                    )?;
                }
                Some(ImportsAction::Resume { batch }) => {
                    let mut wb = wb;
                    let cancel = Arc::new(AtomicBool::new(false));
                    let _sigint = signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.clone());
                    let file = PathBuf::from(wb.batch(*batch)?.file_name);
                    let report = {
                        let mut bar = output::Progress::new(&file);
                        wb.resume_import(*batch, Some(&cancel), &mut |p| bar.update(&p))?
                    };
                    output::print_report(&mut out, &report)?;
                    if report.cancelled {
                        out.flush()?;
                        return Ok(130);
                    }
                }
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
        Some(Command::Export { what: ExportWhat::Customers { format, out: file } }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            let fmt = ExportFormat::parse(format)
                .ok_or_else(|| Error::Invalid(format!("--format `{format}`: use csv, xlsx or json")))?;
            if fmt == ExportFormat::Xlsx && file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return Err(Error::Invalid("an XLSX export is binary: give --out FILE or redirect the output".into()));
            }
            let n = with_output(file.as_deref(), &mut out, |w| wb.export_customers(fmt, w))?;
            if let Some(p) = file {
                eprintln!("{n} customers written to {}", p.display());
            }
        }
        Some(Command::Links { csv: _, out: file }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            with_output(file.as_deref(), &mut out, |w| wb.export_links(w))?;
        }
        Some(Command::Quality { json, sample, seed }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            if let Some(f) = sample.filter(|f| !(0.0..=1.0).contains(f) || f.is_nan()) {
                return Err(Error::Invalid(format!("--sample {f}: give a fraction between 0 and 1, e.g. 0.1")));
            }
            let report = wb.quality(sample.map(|f| (f, *seed)))?;
            output::print_quality(&mut out, &report, *json)?;
        }
        Some(Command::GenSample { customers, seed, out: dir, native_formats }) => {
            let started = std::time::Instant::now();
            let io = |source| Error::Io { path: dir.clone(), source };
            let summary = crate::sample::generate(&crate::sample::GenOptions {
                customers: *customers,
                seed: *seed,
                out_dir: dir.clone(),
            })
            .map_err(io)?;
            if *native_formats {
                crate::sample::formats::to_gb18030(&dir.join("sales.csv")).map_err(io)?;
                crate::sample::formats::add_bom(&dir.join("marketing.csv")).map_err(io)?;
                crate::sample::formats::csv_to_xlsx(&dir.join("service.csv"), &dir.join("service.xlsx")).map_err(io)?;
            }
            for (file, rows) in &summary.files {
                let file = if *native_formats && file == "service.csv" { "service.xlsx" } else { file.as_str() };
                writeln!(out, "{:>10} rows  {}", rows, dir.join(file).display())?;
            }
            writeln!(out, "{} customers in {:.1} s", summary.customers, started.elapsed().as_secs_f64())?;
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
