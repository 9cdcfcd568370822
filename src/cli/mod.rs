//! The command line: a thin adapter that parses arguments, calls the
//! service, and prints. No SQL and no business rule lives here.

mod admin;
mod customer;
mod demo;
mod followups;
pub(crate) mod matching;
mod merge;
pub(crate) mod output;

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

    /// Act as another user (admins only): their rights and masking apply, and
    /// the audit trail records both names.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,

    #[command(flatten)]
    pub keys: KeymapArg,

    /// Interface language: `zh` (简体中文) or `en` (also $CRMWB_LANG).
    /// Default: `lang` in the config file (config.toml beside keymap.toml),
    /// else LC_ALL, LC_MESSAGES, LANG (zh… means Chinese).
    #[arg(long, global = true, env = "CRMWB_LANG", value_name = "zh|en", value_parser = ["zh", "en"])]
    pub lang: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (harmless if it exists).
    Init {
        /// Share the database with a team: the file (and its WAL, journal and backups)
        /// belong to this OS group and are readable and writable by it (0660).
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
    },
    /// Manage who may use the database (admins only, except `list`).
    Users {
        #[command(subcommand)]
        action: admin::UsersAction,
    },
    /// What each role may do; which fields are masked (changes: admins only).
    Permissions {
        #[command(subcommand)]
        action: admin::PermissionsAction,
    },
    /// The audit trail: who changed what, when, old and new values (newest first).
    Audit {
        /// Only entries about this customer.
        #[arg(long, value_name = "NUMBER")]
        customer: Option<String>,
        /// Only entries by this user.
        #[arg(long, value_name = "LOGIN")]
        user: Option<String>,
        /// Only entries on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// At most N entries.
        #[arg(long, value_name = "N", default_value_t = 200, value_parser = limit_arg)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Erase a customer's personal data everywhere on request (PIPL; admins only). Irreversible:
    /// leaves a tombstone with the number and an audit entry with the reason.
    Erase {
        number: String,
        /// Why (e.g. the request's reference); recorded in the audit trail.
        #[arg(long)]
        reason: String,
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Copy the database to FILE while others keep working (SQLite online backup).
    Backup { file: PathBuf },
    /// Replace the database's content with a backup (admins only). The current content is saved beside it first.
    Restore {
        file: PathBuf,
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Check the database: SQLite integrity, foreign keys, the audit log's protection and its hash chain.
    /// Prints the audit trail's head (ID:HEX): keep it elsewhere. Exit status 4 when problems are found.
    Check {
        #[arg(long)]
        json: bool,
        /// A head printed by an earlier check (ID:HEX): fail unless the trail still contains it.
        #[arg(long, value_name = "ID:HEX")]
        audit_head: Option<String>,
    },
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
        /// Customer type for rows that do not say: company or person (default: a person when the name reads as a
        /// person's or a date of birth is mapped, else a company).
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
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// Parse, map, normalise and validate, and say what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A source's first import may drop and rebuild the indexes of the tables it fills, which is
        /// several times faster for a large file: auto (large files), on (whenever safe) or off.
        /// Others keep reading correct data meanwhile; searches on those indexes are slower until the rebuild.
        #[arg(long, value_name = "WHEN", default_value = "auto")]
        bulk: String,
        /// Reminders start from this day for the customers this import creates: their planned follow-ups,
        /// contract expiries, quotes and visits dated before it are history and raise no reminder.
        /// Default: every date counts (a planned follow-up in the past is overdue). Shown by `crmwb imports`.
        #[arg(long, value_name = "DATE", value_parser = day_arg)]
        reminders_from: Option<chrono::NaiveDate>,
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
        /// Print JSON instead of text (before or after the subcommand:
        /// `imports show 3 --json` as `imports --json show 3`).
        #[arg(long, global = true)]
        json: bool,
    },
    /// List customers, optionally filtered (all filters given must hold).
    Customers {
        /// Print one JSON array of objects keyed by target field names.
        #[arg(long)]
        json: bool,
        /// At most N customers.
        #[arg(long, value_name = "N", value_parser = limit_arg)]
        limit: Option<usize>,
        /// Only this status: 潜在客户, 意向客户, 成交客户, 流失客户 (or 意向, interested, won, …).
        #[arg(long, value_name = "STATUS", value_parser = status_arg)]
        status: Option<String>,
        /// Only customers this person owns.
        #[arg(long, value_name = "NAME", conflicts_with = "mine")]
        owner: Option<String>,
        /// Only your customers: owned under your login or your name (`linfeng` or `林峰`).
        #[arg(long)]
        mine: bool,
        /// Only customers with this quality flag, e.g. 待完善.
        #[arg(long, value_name = "FLAG")]
        flag: Option<String>,
        /// The workbench's `/` search, best first: an exact customer number
        /// (also one absorbed by a merge) or an e-mail (with @) finds its
        /// customer; a run of digits part of a phone or of the number; other
        /// words fuzzy over number, name, pinyin, initials and contacts.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Work with one customer.
    Customer {
        #[command(subcommand)]
        action: CustomerAction,
    },
    /// Contact persons of a customer.
    Contact {
        #[command(subcommand)]
        action: ContactAction,
    },
    /// Follow-up reminders due today or overdue (the rules: `crmwb rules show`); complete or snooze them.
    #[command(
        args_conflicts_with_subcommands = true,
        long_about = "List follow-up reminders: by default the overdue ones and those due today, \
each with the rule that raised it and why. `done` completes a customer's open reminders and logs the \
follow-up; `snooze` hides them for a while.",
        after_help = "Exit status: 0 when nothing is overdue (or without --check); 4 with --check when at least \
one reminder is overdue; 1 on an error; 2 on a usage error; 3 when refused."
    )]
    Followups {
        #[command(subcommand)]
        action: Option<FollowupsAction>,
        /// Only reminders past their due date.
        #[arg(long, conflicts_with = "due_within")]
        overdue: bool,
        /// Also list reminders due within DAYS days after today.
        #[arg(long, value_name = "DAYS")]
        due_within: Option<u32>,
        /// Only customers owned by NAME.
        #[arg(long, value_name = "NAME", conflicts_with = "mine")]
        owner: Option<String>,
        /// Only your customers: owned under your login or your name (`linfeng` or `林峰`).
        #[arg(long)]
        mine: bool,
        /// Print JSON: {today, counts {overdue, due_today, upcoming}, reminders [...]}.
        #[arg(long)]
        json: bool,
        /// Exit with status 4 when anything is overdue (for scripts and cron).
        #[arg(long)]
        check: bool,
        /// Evaluate as of this date instead of today (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD", global = true)]
        now: Option<String>,
    },
    /// Change a customer's lifecycle status: 潜在客户 → 意向客户 → 成交客户 → 流失客户.
    #[command(long_about = "Change a customer's lifecycle status. Won (成交客户) needs a contract: one on record, \
or --contract-no / --contract-signed. Lost (流失客户), going back from interested to prospect, and \
reactivating a lost customer need --reason. A won customer never goes back to prospect or interested. \
Every change is recorded with who, when and why (see `crmwb customer show`).")]
    Status {
        /// The customer number.
        number: String,
        /// The new status (潜在客户/意向客户/成交客户/流失客户, or prospect/interested/won/lost).
        status: String,
        /// Why: required for lost, for reactivating, and for going back to prospect.
        #[arg(long)]
        reason: Option<String>,
        /// The signed contract's number (sets contract_no).
        #[arg(long, value_name = "NO")]
        contract_no: Option<String>,
        /// The contract's signing date (sets contract_signed).
        #[arg(long, value_name = "DATE")]
        contract_signed: Option<String>,
        /// Act as of this date instead of today (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        now: Option<String>,
    },
    /// Log an interaction with a customer (call, visit, email, meeting, quote, ticket, event, note).
    #[command(long_about = "Log an interaction. Anything but a note is a follow-up: it moves the customer's \
last_followup forward and settles a planned next follow-up that has come. --next plans the next one.")]
    Log {
        /// The customer number.
        number: String,
        /// call, visit, email, meeting, quote, ticket, event or note (电话, 拜访, 报价… also work).
        #[arg(long)]
        kind: String,
        /// What happened.
        #[arg(long)]
        note: String,
        /// The day it happened (default today; never in the future).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// The customer's contact person it was with (by name).
        #[arg(long, value_name = "NAME")]
        contact: Option<String>,
        /// Plan the next follow-up on this date.
        #[arg(long, value_name = "DATE", value_parser = date_arg)]
        next: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Act as of this date instead of today (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        now: Option<String>,
    },
    /// The follow-up reminder rules everyone sees: show them, or (admins) replace them from a TOML file.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
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
        #[command(flatten)]
        keys: KeymapArg,
    },
    /// Find candidate duplicates: blocking, learned Fellegi–Sunter scores, clusters for review.
    #[command(long_about = "Find candidate duplicates. Blocking on mobile, landline, e-mail, core name, brand, \
pinyin, contact + city, person-name parts (swapped, surname + initial, phonetic, one-edit typos, with city, \
identifier or date), address and custom identifiers and dates; every candidate pair is scored with weights learned from this database (u from random \
pairs, m by EM per blocking pass) and stored with its evidence; pairs at or above the review threshold \
(default 0.5) are clustered for `crmwb queue`.\n\nIncremental: after the first run only customers created or \
changed since are compared (with the last full run's model); --full re-learns and compares everything.")]
    Match {
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// A TOML file overriding fields, levels, blocking keys and thresholds.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print the learned parameters (m, u and weight of every level, prior, EM passes).
        #[arg(long)]
        explain_model: bool,
        /// Write every candidate pair: `customer_a,customer_b,score,decision` (score a probability).
        #[arg(long, value_name = "FILE")]
        pairs_csv: Option<PathBuf>,
        /// Merge clusters whose weakest pair reaches the auto-merge threshold (default 0.99).
        #[arg(long)]
        auto_merge: bool,
        /// Compare all customers again and re-learn the model.
        #[arg(long)]
        full: bool,
        /// After the run, measure blocking recall against ground truth (CSV `source,source_key,entity_id`):
        /// overall, per blocking key and per pair of sources.
        #[arg(long, value_name = "FILE")]
        truth: Option<PathBuf>,
    },
    /// The review queue: open duplicate clusters by score, with members and the evidence for each pair.
    Queue {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Decide on a duplicate cluster: approve (merge), reject (not duplicates), or skip.
    Review {
        #[command(subcommand)]
        action: matching::ReviewAction,
    },
    /// Measure the open clusters and blocking against a truth.csv (benchmarks).
    #[command(hide = true)]
    EvalMatch {
        #[arg(long, value_name = "FILE")]
        truth: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Merge customers into one golden record (--dry-run shows the field-by-field preview).
    Merge(merge::MergeArgs),
    /// Move one source record (and what it brought) to another customer.
    Move(merge::MoveArgs),
    /// Undo a merge: an absorbed number splits out, a survivor undoes its latest merge.
    Unmerge(merge::UnmergeArgs),
    /// Show or set the survivorship rules that choose a merged customer's field values.
    Survivorship {
        #[command(subcommand)]
        action: merge::SurvivorshipAction,
    },
    /// Open the terminal workbench (the default command).
    Tui {
        #[command(flatten)]
        keys: KeymapArg,
    },
    /// Check a keymap file, or show where your own overrides live.
    Keymap {
        #[command(subcommand)]
        action: KeymapAction,
    },
    /// Print a shell completion script: `crmwb completions bash > ~/.local/share/bash-completion/completions/crmwb`.
    #[command(
        long_about = "Print a completion script for SHELL, generated from this command line's own definition.\n\n\
  bash: crmwb completions bash > ~/.local/share/bash-completion/completions/crmwb\n  \
zsh:  crmwb completions zsh > ~/.zfunc/_crmwb   (with fpath+=(~/.zfunc) before compinit)\n  \
fish: crmwb completions fish > ~/.config/fish/completions/crmwb.fish"
    )]
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command to DIR with --out.
    #[command(long_about = "Print the man page crmwb(1), generated from this command line's own definition: \
`crmwb man | man -l -`. With --out DIR, write crmwb.1 and one page per command (crmwb-import.1, …) to DIR.")]
    Man {
        /// Write crmwb.1 and a page per command to DIR instead of printing.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// `--keymap`, on the commands that open the workbench (and before any command).
#[derive(Debug, clap::Args)]
pub struct KeymapArg {
    /// Key bindings for the workbench: a built-in keymap (`default`, `vim`) or
    /// a keymap TOML file. Your own file in the config directory (see
    /// `crmwb keymap path`) overrides single bindings of either.
    #[arg(long, value_name = "NAME|FILE")]
    pub keymap: Option<String>,
}

impl Cli {
    /// The keymap chosen: after the command (`crmwb tui --keymap vim`), else before it.
    fn keymap_choice(&self) -> Option<String> {
        match &self.command {
            Some(Command::Tui { keys } | Command::Demo { keys, .. }) if keys.keymap.is_some() => keys.keymap.clone(),
            _ => self.keys.keymap.clone(),
        }
    }
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
    /// Set from which day a batch's customers raise reminders (as `import --reminders-from`);
    /// `none`: every date counts.
    RemindersFrom {
        batch: i64,
        /// A day (YYYY-MM-DD), or `none`.
        #[arg(value_name = "DATE|none", value_parser = day_or_none_arg)]
        from: DayOrNone,
    },
}

/// A day, or `none`.
#[derive(Debug, Clone, Copy)]
pub struct DayOrNone(pub Option<chrono::NaiveDate>);

fn day_or_none_arg(s: &str) -> std::result::Result<DayOrNone, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(DayOrNone(None));
    }
    day_arg(s).map(|d| DayOrNone(Some(d)))
}

#[derive(Debug, Subcommand)]
pub enum FollowupsAction {
    /// Complete a customer's open reminders (or the one named) and log the follow-up.
    Done {
        /// The customer number.
        number: String,
        /// Complete only this reminder (its rule id, as listed), even if not yet due.
        #[arg(long, value_name = "ID")]
        reminder: Option<String>,
        /// What was done.
        #[arg(long)]
        note: String,
        /// Plan the next follow-up on this date.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
        next: Option<String>,
        /// The interaction kind the follow-up is logged as.
        #[arg(long, default_value = "call")]
        kind: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Hide a customer's open reminders (or the one named) for a while: 3d, 1w, 1m.
    Snooze {
        /// The customer number.
        number: String,
        /// How long: Nd (days), Nw (weeks) or Nm (months).
        #[arg(long = "for", value_name = "LENGTH", value_parser = snooze_arg)]
        length: String,
        /// Snooze only this reminder (its rule id), even if not yet due.
        #[arg(long, value_name = "ID")]
        reminder: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print the rules as a TOML rule file (edit it and `rules set` it back).
    Show {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Replace every rule with those of a TOML rule file (`-` reads standard input). Admins only.
    Set {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactAction {
    /// Add a contact person: --set name=… [--set title=… --set mobile=… --set email=… --set notes=…].
    Add {
        /// The customer number.
        number: String,
        /// FIELD=VALUE: name, title, mobile, landline, phone, email, notes. Repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
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
    /// Edit a customer's fields: --set FIELD=VALUE (an empty VALUE clears the field), judged by the import's rules.
    Edit {
        /// The customer number.
        number: String,
        /// FIELD=VALUE, repeatable: --set owner=张三 --set mobile=13812345678.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        /// Print the changes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a customer: --set FIELD=VALUE for each field (the import's target names), judged by the import's rules.
    #[command(long_about = "Add a customer by hand. Fields are the import's target names (`crmwb import --help`), \
`phone` (sorted into mobile or landline) and custom:NAME:TYPE. Every value is judged by the same rules as an \
import; a value a rule refuses is named with the rule and nothing is written.")]
    Add {
        /// FIELD=VALUE, repeatable: --set name=星辰科技有限公司 --set phone=13812345678.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        /// Print the new customer as JSON.
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
    let mut wb = open_at(&path, mode)?;
    if let Some(user) = &cli.as_user {
        wb.act_as(user)?;
    }
    Ok(wb)
}

/// Opens the database at `path`. An upgrade copies the whole database
/// aside first: on a big one a pause of seconds, and a file as large as the
/// database. Every command says so before and after, once, on stderr.
fn open_at(path: &Path, mode: OpenMode) -> Result<Workbench> {
    if let Some(from) = crate::store::Store::upgrade_pending(path) {
        output::to_stderr(&tr!("cli-upgrading", from = from, to = crate::store::SCHEMA_VERSION), true);
    }
    let mut bar = output::CopyBar::new(tr!("cli-copying-upgrade"));
    let wb = Workbench::open_reporting(path, mode, &actor::os_login(), &mut |d, t| bar.update(d, t))?;
    drop(bar);
    if let Some(u) = wb.store().upgraded() {
        let text = tr!("cli-upgraded", from = u.from, to = u.to, backup = u.backup.display().to_string());
        output::to_stderr(&text, true);
    }
    Ok(wb)
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

/// Runs `f` on FILE (created anew, with the database's permissions: see
/// `crate::files`) or on standard output.
fn with_output<T>(
    file: Option<&Path>,
    mode: crate::files::FileMode,
    stdout: &mut dyn Write,
    f: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    match file {
        Some(p) => {
            let io = |source| Error::Io { path: p.to_path_buf(), source };
            let mut w = std::io::BufWriter::new(crate::files::Output::create(p, mode).map_err(io)?);
            let v = f(&mut w)?;
            w.into_inner().map_err(|e| io(e.into_error()))?.commit().map_err(io)?;
            Ok(v)
        }
        None => f(stdout),
    }
}

/// The one place a failed command is reported: on stderr, every line
/// sanitised (a message may quote a header, a cell or an argument).
pub fn report_error(e: &Error) {
    output::to_stderr(&format!("crmwb: {e}"), true);
}

/// A usage error from the argument parser, sanitised like `report_error`.
pub fn report_usage_error(text: &str) {
    output::to_stderr(text.trim_end(), true);
}

/// Runs the parsed command line. Returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    // Machine output never changes with the language: a `--json` run is
    // English throughout (a follow-up's `reason`, say, is worded on read).
    let json = std::env::args_os().skip(1).any(|a| a == "--json");
    let lang = interface_language(cli.lang.as_deref())?;
    crate::i18n::set_lang(if json { crate::i18n::Lang::En } else { lang });
    let db = database_path(cli.db.as_deref()).ok();
    run_command(cli).map_err(|e| match db {
        Some(db) => explain_busy(&db, e),
        None => e,
    })
}

pub use crate::service::explain_busy;

/// The interface language: `--lang`, the config file's `lang`, the locale
/// variables (see [`crate::i18n::resolve`]).
fn interface_language(flag: Option<&str>) -> Result<crate::i18n::Lang> {
    use crate::i18n::{self, Lang};
    let config = match i18n::config_path().filter(|p| p.exists()) {
        Some(p) => {
            let text = std::fs::read_to_string(&p).map_err(|source| Error::Io { path: p.clone(), source })?;
            i18n::config_lang(&text).map_err(|e| Error::Invalid(format!("{}: {e}", p.display())))?
        }
        None => None,
    };
    let env = |k: &str| std::env::var(k).ok();
    Ok(i18n::resolve(flag.and_then(Lang::parse_choice), config, env))
}

fn run_command(cli: Cli) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = if std::io::IsTerminal::is_terminal(&stdout) {
        Box::new(output::TerminalSafe::new(std::io::BufWriter::new(stdout.lock())))
    } else {
        Box::new(std::io::BufWriter::new(stdout.lock()))
    };
    match &cli.command {
        None | Some(Command::Tui { .. }) => {
            // A bad keymap is reported before the database is touched.
            let keymap = cli.keymap_choice();
            crate::tui::load_active_keymap(keymap.as_deref())?;
            let wb = open(&cli, OpenMode::Create)?;
            drop(out);
            crate::tui::run(wb, crate::tui::TuiOptions { keymap })?;
            return Ok(0);
        }
        Some(Command::Users { action }) => admin::users(&cli, action, &mut out)?,
        Some(Command::Permissions { action }) => admin::permissions(&cli, action, &mut out)?,
        Some(Command::Audit { customer, user, since, limit, json }) => {
            let args = admin::AuditArgs {
                customer: customer.as_deref(),
                user: user.as_deref(),
                since: since.as_deref(),
                limit: *limit,
                json: *json,
            };
            admin::audit(&cli, &args, &mut out)?
        }
        Some(Command::Erase { number, reason, yes }) => admin::erase(&cli, number, reason, *yes, &mut out)?,
        Some(Command::Backup { file }) => admin::backup(&cli, file, &mut out)?,
        Some(Command::Restore { file, yes }) => admin::restore(&cli, file, *yes, &mut out)?,
        Some(Command::Check { json, audit_head }) => {
            let code = admin::check(&cli, *json, audit_head.as_deref(), &mut out)?;
            out.flush()?;
            return Ok(code);
        }
        Some(Command::Init { group }) => {
            let path = database_path(cli.db.as_deref())?;
            let existed = path.exists();
            // `init` on a database of an earlier schema upgrades it like any
            // command, and says so; it is not "nothing changed".
            let wb = open_at(&path, OpenMode::Create)?;
            if let Some(g) = group {
                let dir_change = crate::store::share_with_group(&path, g)?;
                writeln!(out, "{}", tr!("cli-shared", path = path.display().to_string(), g = g.as_str()))?;
                if let Some(c) = dir_change {
                    writeln!(out, "{c}")?;
                }
            }
            if existed && wb.store().upgraded().is_some() {
                writeln!(
                    out,
                    "{}: database already exists; upgraded to schema version {}",
                    path.display(),
                    wb.store().schema_version()?
                )?;
            } else if existed {
                writeln!(
                    out,
                    "{}: database already exists (schema version {}); nothing changed",
                    path.display(),
                    wb.store().schema_version()?
                )?;
            } else {
                writeln!(
                    out,
                    "{}",
                    tr!("cli-created", path = path.display().to_string(), admin = wb.actor().to_string())
                )?;
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
            reminders_from,
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
                reminders_from: *reminders_from,
            };
            let mut wb = match open(&cli, if *dry_run { OpenMode::Existing } else { OpenMode::Create }) {
                Err(Error::NoDatabase { .. }) if *dry_run => open_scratch()?,
                other => other?,
            };
            let mapping = wb.preview_mapping(file, &opts)?;
            if let Some(p) = save_mapping {
                let text = mapping.to_file(Some(source), kind.as_deref(), interaction_kind.as_deref()).to_toml();
                crate::files::write(p, wb.file_mode(), text.as_bytes())
                    .map_err(|source| Error::Io { path: p.clone(), source })?;
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
                        "encoding": report.encoding, "counts": report.counts, "blank": report.blank,
                        "mapping": report.mapping,
                        "issues": report.issues }),
                )?;
                writeln!(out)?;
            } else {
                output::print_report(&mut out, &report)?;
                if let Some(p) = rejected_csv.as_ref().filter(|_| report.counts.rejected > 0) {
                    writeln!(out, "{}", tr!("cli-rejected-written", path = p.display().to_string()))?;
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
                    let line = tr!("imp-undone", id = *batch, removed = r.imported, restored = r.updated);
                    writeln!(out, "{line}")?;
                }
                Some(ImportsAction::RemindersFrom { batch, from }) => {
                    let mut wb = wb;
                    let n = wb.set_batch_reminders_from(*batch, from.0)?;
                    match from.0 {
                        Some(d) => {
                            writeln!(out, "{}", tr!("cli-batch-from-set", batch = *batch, d = d.to_string(), n = n))?
                        }
                        None => writeln!(out, "{}", tr!("cli-batch-every-set", batch = *batch, n = n))?,
                    }
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
        Some(Command::Customers { json, limit, status, owner, mine, flag, search }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            let filter = crate::service::CustomerFilter {
                status: status.clone(),
                owners: if *mine { wb.mine_owners()? } else { owner.iter().cloned().collect() },
                flag: flag.clone(),
                search: search.clone(),
            };
            output::print_customers(&mut out, &wb, &filter, *json, *limit)?;
        }
        Some(Command::Customer { action: CustomerAction::Add { set, json } }) => {
            customer::add(&cli, &mut out, set, *json)?;
        }
        Some(Command::Customer { action: CustomerAction::Edit { number, set, json } }) => {
            customer::edit(&cli, &mut out, number, set, *json)?;
        }
        Some(Command::Contact { action: ContactAction::Add { number, set } }) => {
            customer::contact_add(&cli, &mut out, number, set)?;
        }
        Some(Command::Followups { action: None, overdue, due_within, owner, mine, json, check, now }) => {
            let args = followups::ListArgs {
                overdue: *overdue,
                due_within: *due_within,
                owner: owner.as_deref(),
                mine: *mine,
                json: *json,
                check: *check,
                now: now.as_deref(),
            };
            let code = followups::list(&cli, &mut out, &args)?;
            out.flush()?;
            return Ok(code);
        }
        Some(Command::Followups {
            action: Some(FollowupsAction::Done { number, reminder, note, next, kind, json }),
            now,
            ..
        }) => {
            let args = followups::DoneArgs {
                number,
                reminder: reminder.as_deref(),
                note,
                next: next.as_deref(),
                kind,
                json: *json,
                now: now.as_deref(),
            };
            followups::done(&cli, &mut out, &args)?;
        }
        Some(Command::Followups {
            action: Some(FollowupsAction::Snooze { number, length, reminder }), now, ..
        }) => {
            followups::snooze(&cli, &mut out, number, length, reminder.as_deref(), now.as_deref())?;
        }
        Some(Command::Status { number, status, reason, contract_no, contract_signed, now }) => {
            let args = followups::StatusArgs {
                number,
                status,
                reason: reason.as_deref(),
                contract_no: contract_no.as_deref(),
                contract_signed: contract_signed.as_deref(),
                now: now.as_deref(),
            };
            followups::status(&cli, &mut out, &args)?;
        }
        Some(Command::Log { number, kind, note, at, contact, next, json, now }) => {
            let args = followups::LogArgs {
                number,
                kind,
                note,
                at: at.as_deref(),
                contact: contact.as_deref(),
                next: next.as_deref(),
                json: *json,
                now: now.as_deref(),
            };
            followups::log(&cli, &mut out, &args)?;
        }
        Some(Command::Rules { action: RulesAction::Show { json } }) => followups::rules_show(&cli, &mut out, *json)?,
        Some(Command::Rules { action: RulesAction::Set { file } }) => followups::rules_set(&cli, &mut out, file)?,
        Some(Command::Customer { action: CustomerAction::Show { number, json } }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            let detail = wb.customer_by_number(number)?;
            output::print_customer(&mut out, &detail, *json)?;
            if !json {
                merge::print_merge_history(&mut out, &wb, number, detail.customer.id)?;
            }
        }
        Some(Command::Export { what: ExportWhat::Customers { format, out: file } }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            let fmt = ExportFormat::parse(format)
                .ok_or_else(|| Error::Invalid(format!("--format `{format}`: use csv, xlsx or json")))?;
            if fmt == ExportFormat::Xlsx && file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return Err(Error::Invalid("an XLSX export is binary: give --out FILE or redirect the output".into()));
            }
            let n = with_output(file.as_deref(), wb.file_mode(), &mut out, |w| wb.export_customers(fmt, w))?;
            if let Some(p) = file {
                output::say!("{n} customers written to {}", p.display());
            }
        }
        Some(Command::Links { csv: _, out: file }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            with_output(file.as_deref(), wb.file_mode(), &mut out, |w| wb.export_links(w))?;
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
        Some(Command::Match { json, config, explain_model, pairs_csv, auto_merge, full, truth }) => {
            let mut wb = open(&cli, OpenMode::Existing)?;
            let args = matching::MatchArgs {
                json: *json,
                config: config.as_deref(),
                explain_model: *explain_model,
                pairs_csv: pairs_csv.as_deref(),
                auto_merge: *auto_merge,
                full: *full,
                truth: truth.as_deref(),
            };
            matching::run_match(&mut wb, &args, &mut out)?;
        }
        Some(Command::Queue { json }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            matching::print_queue(&mut out, &wb.match_queue()?, *json)?;
        }
        Some(Command::Review { action }) => {
            let mut wb = open(&cli, OpenMode::Existing)?;
            matching::run_review(&mut wb, action, &mut out)?;
        }
        Some(Command::EvalMatch { truth, json }) => {
            let wb = open(&cli, OpenMode::Existing)?;
            matching::run_eval(&wb, truth, *json, &mut out)?;
        }
        Some(Command::Merge(args)) => merge::run_merge(&cli, args, &mut out)?,
        Some(Command::Move(args)) => merge::run_move(&cli, args, &mut out)?,
        Some(Command::Unmerge(args)) => merge::run_unmerge(&cli, args, &mut out)?,
        Some(Command::Survivorship { action }) => merge::run_survivorship(&cli, action, &mut out)?,
        Some(Command::Keymap { action }) => return keymap_command(&cli, action, &mut out),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "crmwb", &mut out);
        }
        Some(Command::Man { out: dir }) => man_pages(dir.as_deref(), &mut out)?,
        Some(Command::Demo { no_tui, .. }) => {
            let mut wb = demo::build(cli.db.as_deref(), &mut out)?;
            // `crmwb demo --as linfeng`: the workbench as one of the demo's team.
            if let Some(user) = &cli.as_user {
                wb.act_as(user)?;
            }
            out.flush()?;
            if !*no_tui {
                drop(out);
                let path = wb.path().to_path_buf();
                crate::tui::run(wb, crate::tui::TuiOptions { keymap: cli.keymap_choice() })?;
                output::say!("{}", tr!("demo-kept", path = path.display().to_string()));
                return Ok(0);
            }
            writeln!(out, "{}", tr!("demo-open", path = wb.path().display().to_string()))?;
        }
    }
    out.flush()?;
    Ok(0)
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        // A failed write stays an output error (a closed pipe is quiet).
        if e.is_io() {
            return Error::Output(e.into());
        }
        Error::Other(format!("JSON: {e}"))
    }
}

#[derive(Debug, Subcommand)]
pub enum KeymapAction {
    /// Check a keymap file: unknown actions, malformed keys, duplicates and a
    /// key that is both a binding and a prefix, each with file and line.
    /// Exit status 0 when it is fine, 2 when not.
    Check {
        file: PathBuf,
        /// Check FILE as overrides laid over this keymap (`default`, `vim` or a
        /// file), the way your own keymap file is used.
        #[arg(long, value_name = "NAME|FILE")]
        over: Option<String>,
    },
    /// Print where your own keymap file is read from (and whether it exists).
    Path,
}

/// `crmwb man`: crmwb(1) on standard output, or every page written to DIR.
fn man_pages(dir: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    match dir {
        None => clap_mangen::Man::new(cmd).render(out)?,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
            clap_mangen::generate_to(cmd, dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
            output::say!("man pages written to {}", dir.display());
        }
    }
    Ok(())
}

fn keymap_command(cli: &Cli, action: &KeymapAction, out: &mut dyn Write) -> Result<i32> {
    match action {
        KeymapAction::Check { file, over } => {
            let text = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.clone(), source })?;
            let name = file.display().to_string();
            let checked = match over {
                Some(base) => crate::tui::load_keymap(Some(base))?.with_overrides(&name, &text),
                None => crate::tui::Keymap::parse(&name, &text),
            };
            match checked {
                Ok(km) => {
                    let n: usize = crate::tui::Context::ALL.iter().map(|c| km.bindings(*c).len()).sum();
                    writeln!(out, "{}", tr!("cli-keymap-ok", name = name.to_string(), n = n))?;
                    let _ = cli;
                    Ok(0)
                }
                Err(e) => {
                    out.flush()?;
                    output::say!("{e}");
                    Ok(2)
                }
            }
        }
        KeymapAction::Path => {
            match crate::tui::user_keymap_path() {
                Some(p) => {
                    let state = if p.exists() { tr!("cli-exists") } else { tr!("cli-not-yet") };
                    writeln!(out, "{} ({state})", p.display())?;
                }
                None => writeln!(out, "{}", tr!("cli-no-config"))?,
            }
            Ok(0)
        }
    }
}

/// `--status`: a usage error (exit 2, before anything runs) when it is not a
/// status in any accepted wording; the stored form otherwise.
/// `--limit N`: at least 1. `--limit 0` would show nothing and say so
/// as if there were nothing ("No customers yet" on a full database).
fn limit_arg(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 would show nothing: give at least 1 (or leave --limit out for all)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a number of rows: {e}")),
    }
}

fn status_arg(s: &str) -> std::result::Result<String, String> {
    match crate::domain::validate::normalize_field(crate::domain::Field::Status, s) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err("empty: give a status".into()),
        Err(i) => Err(format!("[{}] {}", i.rule, i.message)),
    }
}

/// A date argument (`--next`): a usage error when it is no date; kept as
/// typed otherwise (the service reads it with the same rules).
fn date_arg(s: &str) -> std::result::Result<String, String> {
    crate::clean::date::normalize(s).map(|_| s.to_string())
}

/// A day, as `date_arg` reads it.
fn day_arg(s: &str) -> std::result::Result<chrono::NaiveDate, String> {
    let d = crate::clean::date::normalize(s)?;
    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a whole day (YYYY-MM-DD)"))
}

/// `snooze --for`: a usage error when it is no length (3d, 1w, 1m).
fn snooze_arg(s: &str) -> std::result::Result<String, String> {
    crate::domain::reminder::parse_snooze(s, chrono::Local::now().date_naive()).map(|_| s.to_string())
}
