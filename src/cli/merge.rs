//! `crmwb merge`, `move`, `unmerge` and `survivorship`: thin adapters over
//! the service's merge API.

use super::{open, Cli};
use crate::display::{fit, sanitize};
use crate::domain::Field;
use crate::error::{Error, Result};
use crate::service::{MergeOrigin, MergePreview, Rule, Workbench};
use crate::store::OpenMode;
use clap::{Args, Subcommand};
use std::io::Write;

#[derive(Debug, Args)]
#[command(after_help = "The survivor is the oldest customer (its number was issued first) unless --survivor says \
otherwise; its number stays, the others resolve to it. Each golden field is chosen by the survivorship rules \
(`crmwb survivorship show`) unless picked with --pick. Every phone, e-mail, contact, interaction, custom value and \
source record is kept; identical phones, e-mails and contacts are collapsed into one. `crmwb unmerge NUMBER` \
undoes it.")]
pub struct MergeArgs {
    /// The customers to merge (two or more numbers).
    #[arg(required = true, num_args = 2.., value_name = "NUMBER")]
    numbers: Vec<String>,
    /// Take FIELD's value from customer NUMBER, whatever the rules say. Repeatable.
    #[arg(long = "pick", value_name = "FIELD=NUMBER")]
    picks: Vec<String>,
    /// The customer that survives (default: the oldest).
    #[arg(long, value_name = "NUMBER")]
    survivor: Option<String>,
    /// Show what the merge would do, field by field; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "What moves: the record's link, and the phones, e-mails, contacts and interactions that \
came from this record. Golden fields and custom values stay (edit them by hand). A phone or e-mail the target \
already has is not added twice. Moving the record back returns all of it.")]
pub struct MoveArgs {
    /// The source name given at import (e.g. `sales`).
    source: String,
    /// The record's key in that source (the --key column, else the row number).
    key: String,
    /// The customer that gets the record.
    #[arg(long, value_name = "NUMBER")]
    to: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "An absorbed customer's number splits that customer back out of its merge (the golden \
fields it supplied are chosen again among the rest). A survivor's number undoes its latest merge whole. Fields \
edited by hand after the merge keep their edited value. A merge with a later merge or move built on it is \
refused until that is undone.")]
pub struct UnmergeArgs {
    /// A customer number: absorbed (split it out) or survivor (undo its latest merge).
    number: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SurvivorshipAction {
    /// Show the rule of every field, where it comes from, and the source priority list.
    Show {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set the rule of FIELD (`*` for every field without its own rule); RULE `builtin` goes back to the default.
    #[command(after_help = "Rules: most_recent (the member written most recently), most_complete (the longest \
value), source_priority (the member whose source ranks first, see `survivorship priority`), most_frequent (the \
value most members share), earliest / latest (the smallest / largest value: for dates). Ties go to the survivor.")]
    Set {
        /// A target field name, or `*`.
        field: String,
        /// most_recent, most_complete, source_priority, most_frequent, earliest, latest, or builtin.
        rule: String,
    },
    /// Set the source priority list used by the source_priority rule, highest first (none: clear it).
    Priority {
        /// Source names as given to `crmwb import --source`.
        sources: Vec<String>,
    },
}

fn customer_id(wb: &Workbench, number: &str) -> Result<i64> {
    wb.customer_id(number)
}

fn parse_pick(wb: &Workbench, s: &str) -> Result<(Field, i64)> {
    let (f, n) = s
        .split_once('=')
        .ok_or_else(|| Error::Invalid(format!("--pick `{s}`: write FIELD=NUMBER, e.g. --pick email=CRM2026-000002")))?;
    let field = Field::parse(f.trim()).ok_or_else(|| {
        Error::Invalid(format!("--pick `{s}`: `{}` is not a field (see `crmwb survivorship show`)", f.trim()))
    })?;
    Ok((field, customer_id(wb, n)?))
}

pub(super) fn run_merge(cli: &Cli, a: &MergeArgs, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let mut ids = Vec::new();
    for n in &a.numbers {
        ids.push(customer_id(&wb, n)?);
    }
    let picks = a.picks.iter().map(|p| parse_pick(&wb, p)).collect::<Result<Vec<_>>>()?;
    let preview = match &a.survivor {
        Some(s) => {
            let s = customer_id(&wb, s)?;
            if !ids.contains(&s) {
                ids.push(s);
            }
            let absorbed: Vec<i64> = ids.iter().copied().filter(|i| *i != s).collect();
            wb.preview_merge_into(s, &absorbed, &picks)?
        }
        None => wb.preview_merge(&ids, &picks)?,
    };
    if a.dry_run {
        if a.json {
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "dry_run": true, "preview": preview }))?;
            writeln!(out)?;
        } else {
            print_preview(out, &preview)?;
            writeln!(out, "\n{}", tr!("cli-merge-dry"))?;
        }
        return Ok(());
    }
    let absorbed: Vec<i64> = preview.absorbed.iter().map(|m| m.id).collect();
    let id = wb.merge_customers(preview.survivor.id, &absorbed, &picks, MergeOrigin::Manual)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "merge": id.0, "preview": preview }))?;
        writeln!(out)?;
    } else {
        print_preview(out, &preview)?;
        let numbers: Vec<&str> = preview.absorbed.iter().map(|m| m.number.as_str()).collect();
        let line = tr!(
            "cli-merge-done",
            id = id.to_string(),
            absorbed = crate::i18n::join(&numbers),
            survivor = preview.survivor.number.as_str()
        );
        writeln!(out, "\n{line}")?;
    }
    Ok(())
}

fn print_preview(out: &mut dyn Write, p: &MergePreview) -> Result<()> {
    let line = tr!(
        "cli-merge-survivor",
        number = p.survivor.number.as_str(),
        name = sanitize(&p.survivor.name),
        rule = crate::service::survivorship::survivor_rule_text(&p.survivor_rule)
    );
    writeln!(out, "{line}")?;
    for m in &p.absorbed {
        writeln!(out, "{}", tr!("cli-merge-absorbed", number = m.number.as_str(), name = sanitize(&m.name)))?;
    }
    writeln!(
        out,
        "\n  {} {} {} {}  {}",
        fit(&tr!("cli-merge-col-field"), 16),
        fit(&tr!("cli-merge-col-value"), 28),
        fit(&tr!("cli-merge-col-from"), 15),
        fit(&tr!("cli-merge-col-why"), 16),
        tr!("cli-merge-col-others")
    )?;
    for f in &p.fields {
        let others: Vec<String> = f
            .alternatives
            .iter()
            .filter(|a| a.value.is_some() && a.value != f.value)
            .map(|a| format!("{} {}", a.number, sanitize(a.value.as_deref().unwrap_or(""))))
            .collect();
        if f.value.is_none() && others.is_empty() {
            continue;
        }
        writeln!(
            out,
            "{} {} {} {} {}  {}",
            if f.changed { "*" } else { " " },
            fit(f.field.name(), 16),
            fit(&f.value.as_deref().map_or_else(|| tr!("form-empty"), |v| sanitize(v).into_owned()), 28),
            fit(f.from_number.as_deref().unwrap_or("-"), 15),
            fit(&crate::service::survivorship::choice_reason_text(&f.reason), 16),
            others.join("; ")
        )?;
    }
    let r = &p.rows;
    let line = tr!(
        "cli-merge-kept",
        pm = r.phones_moved,
        pc = r.phones_collapsed,
        em = r.emails_moved,
        ec = r.emails_collapsed,
        cm = r.contacts_moved,
        cc = r.contacts_collapsed,
        im = r.interactions_moved,
        sm = r.sources_moved,
        cv = r.custom_values_added
    );
    writeln!(out, "\n{line}")?;
    Ok(())
}

pub(super) fn run_move(cli: &Cli, a: &MoveArgs, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let to = wb.customer_by_number(&a.to)?.customer.id;
    let m = wb.move_source(&a.source, &a.key, to)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &m)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Moved {}/{} from {} to {}: {} phones, {} e-mails, {} contacts, {} interactions{}.",
            sanitize(&m.source),
            sanitize(&m.key),
            m.from,
            m.to,
            m.phones,
            m.emails,
            m.contacts,
            m.interactions,
            if m.archived > 0 { format!(" ({} already there, not added twice)", m.archived) } else { String::new() }
        )?;
    }
    Ok(())
}

pub(super) fn run_unmerge(cli: &Cli, a: &UnmergeArgs, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    let u = wb.unmerge(&a.number)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &u)?;
        writeln!(out)?;
        return Ok(());
    }
    if u.whole {
        let line = tr!(
            "cli-unmerge-whole",
            merge = u.merge.to_string(),
            restored = crate::i18n::join(&u.restored),
            survivor = u.survivor.as_str()
        );
        writeln!(out, "{line}")?;
    } else {
        let line = tr!(
            "cli-unmerge-split",
            restored = crate::i18n::join(&u.restored),
            merge = u.merge.to_string(),
            survivor = u.survivor.as_str()
        );
        writeln!(out, "{line}")?;
    }
    if !u.kept.is_empty() {
        let names: Vec<&str> = u.kept.iter().map(|f| f.name()).collect();
        writeln!(out, "{}", tr!("cli-unmerge-kept", survivor = u.survivor.as_str(), fields = names.join(", ")))?;
    }
    if let Some(c) = u.reopened_cluster {
        writeln!(out, "{}", tr!("cli-unmerge-back", c = c))?;
    }
    Ok(())
}

pub(super) fn run_survivorship(cli: &Cli, a: &SurvivorshipAction, out: &mut dyn Write) -> Result<()> {
    match a {
        SurvivorshipAction::Show { json } => {
            let wb = open(cli, OpenMode::Existing)?;
            let c = wb.survivorship()?;
            let fields: Vec<Field> = Field::ALL.iter().copied().filter(|f| *f != Field::Number).collect();
            if *json {
                let rules: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|f| (f.name().to_string(), serde_json::json!({ "rule": c.rule(*f), "origin": c.origin(*f) })))
                    .collect();
                serde_json::to_writer_pretty(
                    &mut *out,
                    &serde_json::json!({ "rules": rules, "default": c.rules.get("*"), "source_priority": c.source_priority }),
                )?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(out, "{} {} from", fit("field", 18), fit("rule", 16))?;
            for f in fields {
                let follows = crate::service::survivorship::leader_of(f)
                    .map(|l| format!(" (follows {l} when that customer has a value)"))
                    .unwrap_or_default();
                writeln!(out, "{} {} {}{follows}", fit(f.name(), 18), fit(c.rule(f).as_str(), 16), c.origin(f))?;
            }
            let p = if c.source_priority.is_empty() { "(none set)".to_string() } else { c.source_priority.join(" > ") };
            writeln!(out, "\nSource priority: {}", sanitize(&p))?;
        }
        SurvivorshipAction::Set { field, rule } => {
            let mut wb = open(cli, OpenMode::Existing)?;
            let f = match field.trim() {
                "*" | "default" => None,
                name => Some(Field::parse(name).ok_or_else(|| {
                    Error::Invalid(format!("`{name}` is not a field (see `crmwb survivorship show`)"))
                })?),
            };
            let r = match rule.trim() {
                "builtin" | "default" => None,
                name => Some(Rule::parse(name).ok_or_else(|| {
                    Error::Invalid(format!(
                        "`{name}` is not a rule: use most_recent, most_complete, source_priority, most_frequent, \
                         earliest, latest or builtin"
                    ))
                })?),
            };
            wb.set_survivorship_rule(f, r)?;
            writeln!(
                out,
                "{}: {}",
                f.map(Field::name).unwrap_or("*"),
                r.map(Rule::as_str).unwrap_or("built-in default")
            )?;
        }
        SurvivorshipAction::Priority { sources } => {
            let mut wb = open(cli, OpenMode::Existing)?;
            wb.set_source_priority(sources)?;
            writeln!(
                out,
                "Source priority: {}",
                if sources.is_empty() { "(none)".to_string() } else { sanitize(&sources.join(" > ")).into_owned() }
            )?;
        }
    }
    Ok(())
}

/// The merge history of a customer, for `customer show`, and a note when
/// the number asked for was absorbed.
pub(super) fn print_merge_history(out: &mut dyn Write, wb: &Workbench, asked: &str, id: i64) -> Result<()> {
    let events = wb.merge_history(id)?;
    if !events.is_empty() {
        writeln!(out, "\nMerges:")?;
        for e in &events {
            let what = if e.role == "survivor" {
                format!("merged from {}", e.absorbed.join(", "))
            } else {
                format!("merged into {}", e.survivor)
            };
            let undone = e.undone_at.as_deref().map(|u| format!(" (undone {u})")).unwrap_or_default();
            writeln!(out, "  {} {}  {}  {}  {}{undone}", e.merge, e.at, sanitize(&e.actor), e.origin, what)?;
        }
    }
    let own = wb.customer_id(asked)?;
    if own != id {
        let n = wb.customer_detail(own)?.customer.number;
        writeln!(out, "\n({n} was merged into this customer; `crmwb unmerge {n}` splits it out again.)")?;
    }
    Ok(())
}
