//! `crmwb followups`, `followups done|snooze`, `status`, `log`, `rules`:
//! argument parsing and printing around the follow-up service.

use super::{open, Cli};
use crate::display::{fit, sanitize};
use crate::domain::{InteractionKind, Reminder, Urgency};
use crate::error::{Error, Result};
use crate::service::{FollowupQuery, NewInteraction, Workbench};
use crate::store::OpenMode;
use chrono::NaiveDate;
use std::io::Write;
use std::path::Path;

/// Exit status of `followups --check` when anything is overdue. Distinct
/// from 1 (error), 2 (usage) and 3 (refused).
pub const EXIT_OVERDUE: i32 = 4;

/// `--now YYYY-MM-DD`, else the local date.
pub fn today(now: Option<&str>) -> Result<Option<NaiveDate>> {
    now.map(|s| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| Error::Invalid(format!("--now `{s}`: give a date as YYYY-MM-DD")))
    })
    .transpose()
}

fn date_arg(flag: &str, s: Option<&str>) -> Result<Option<NaiveDate>> {
    s.map(|s| {
        crate::clean::date::parse(s)
            .map_err(|e| Error::Invalid(format!("{flag} `{s}`: {e}; give a date as YYYY-MM-DD")))
    })
    .transpose()
}

/// Opens the database with "today" at `--now`.
fn open_at(cli: &Cli, now: Option<&str>) -> Result<Workbench> {
    let mut wb = open(cli, OpenMode::Existing)?;
    if let Some(d) = today(now)? {
        wb.set_clock(crate::service::Clock::on_day(d));
    }
    Ok(wb)
}

pub struct ListArgs<'a> {
    pub overdue: bool,
    pub due_within: Option<u32>,
    pub owner: Option<&'a str>,
    pub mine: bool,
    pub json: bool,
    pub check: bool,
    pub now: Option<&'a str>,
}

fn label(u: Urgency) -> String {
    match u {
        Urgency::Overdue => tr!("cli-fu-overdue"),
        Urgency::DueToday => tr!("cli-fu-today"),
        Urgency::Upcoming => tr!("cli-fu-upcoming"),
    }
}

/// Prints the reminder list; returns the exit code.
pub fn list(cli: &Cli, out: &mut dyn Write, a: &ListArgs<'_>) -> Result<i32> {
    let wb = open_at(cli, a.now)?;
    let today = wb.clock().today();
    let owners = if a.mine { wb.mine_owners()? } else { a.owner.iter().map(|o| o.to_string()).collect() };
    let q = FollowupQuery { overdue_only: a.overdue, due_within: a.due_within, owners };
    let reminders = wb.reminders(today, &q)?;
    let count = |u: Urgency| reminders.iter().filter(|r| r.urgency == u).count();
    let (overdue, due_today, upcoming) = (count(Urgency::Overdue), count(Urgency::DueToday), count(Urgency::Upcoming));
    if a.json {
        // One reminder per line, written as it goes: a year-old backlog of
        // hundreds of thousands must not become one document in memory.
        let head = serde_json::json!({ "overdue": overdue, "due_today": due_today, "upcoming": upcoming });
        write!(out, "{{\n  \"today\": \"{}\",\n  \"counts\": {head},\n  \"reminders\": [", today.format("%Y-%m-%d"))?;
        for (i, r) in reminders.iter().enumerate() {
            write!(out, "{}\n    ", if i == 0 { "" } else { "," })?;
            serde_json::to_writer(&mut *out, r)?;
        }
        writeln!(out, "{}]\n}}", if reminders.is_empty() { "" } else { "\n  " })?;
    } else {
        print_reminders(out, &reminders)?;
        let line = tr!(
            "cli-fu-counts",
            overdue = overdue,
            today = due_today,
            upcoming = upcoming,
            date = today.format("%Y-%m-%d").to_string()
        );
        writeln!(out, "{line}")?;
    }
    Ok(if a.check && overdue > 0 { EXIT_OVERDUE } else { 0 })
}

fn print_reminders(out: &mut dyn Write, reminders: &[Reminder]) -> Result<()> {
    for r in reminders {
        let when = match r.urgency {
            Urgency::Overdue => tr!("cli-fu-late", n = r.days_overdue),
            Urgency::DueToday => tr!("fu-today"),
            Urgency::Upcoming => tr!("cli-fu-in", n = -r.days_overdue),
        };
        let snoozed =
            r.snoozed_until.map(|u| tr!("cli-fu-snoozed", day = u.format("%Y-%m-%d").to_string())).unwrap_or_default();
        writeln!(
            out,
            "{} {} {}  {}  {}  {}  {}  {}{}{}",
            fit(&label(r.urgency), 8),
            fit(&when, 9),
            r.effective_due().format("%Y-%m-%d"),
            fit(&r.number, 15),
            fit(&sanitize(&r.name), 26),
            fit(&sanitize(r.owner.as_deref().unwrap_or("-")), 8),
            fit(&r.rule, 16),
            if r.escalated { format!("{} ", tr!("fu-escalated")) } else { String::new() },
            sanitize(&r.reason),
            snoozed
        )?;
    }
    Ok(())
}

fn interaction_kind(s: &str) -> Result<InteractionKind> {
    InteractionKind::parse(s).ok_or_else(|| {
        Error::Invalid(format!(
            "--kind `{s}`: [interaction.kind] an interaction is one of {}",
            InteractionKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}

pub struct DoneArgs<'a> {
    pub number: &'a str,
    pub reminder: Option<&'a str>,
    pub note: &'a str,
    pub next: Option<&'a str>,
    pub kind: &'a str,
    pub json: bool,
    pub now: Option<&'a str>,
}

pub fn done(cli: &Cli, out: &mut dyn Write, a: &DoneArgs<'_>) -> Result<()> {
    let mut wb = open_at(cli, a.now)?;
    let entry = NewInteraction {
        kind: interaction_kind(a.kind)?,
        summary: a.note.to_string(),
        at: None,
        contact: None,
        next: date_arg("--next", a.next)?,
    };
    let r = wb.complete_followup(a.number, a.reminder, &entry)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &r)?;
        writeln!(out)?;
        return Ok(());
    }
    if r.completed.is_empty() {
        writeln!(out, "{}", tr!("cli-fu-no-open", number = r.logged.number.as_str()))?;
    }
    for x in &r.completed {
        writeln!(
            out,
            "{}",
            tr!("cli-fu-done", number = x.number.as_str(), rule = x.rule.as_str(), reason = sanitize(&x.reason))
        )?;
    }
    print_logged(out, &r.logged)
}

fn print_logged(out: &mut dyn Write, l: &crate::service::Logged) -> Result<()> {
    let line = tr!(
        "cli-fu-logged",
        number = l.number.as_str(),
        id = l.interaction_id,
        at = l.at.to_string(),
        last = l.last_followup.as_deref().unwrap_or("-"),
        next = l.next_followup.clone().unwrap_or_else(|| tr!("cli-fu-none-planned"))
    );
    writeln!(out, "{line}")?;
    Ok(())
}

pub fn snooze(
    cli: &Cli,
    out: &mut dyn Write,
    number: &str,
    length: &str,
    reminder: Option<&str>,
    now: Option<&str>,
) -> Result<()> {
    let mut wb = open_at(cli, now)?;
    for r in wb.snooze_followup(number, reminder, length)? {
        let until = r.snoozed_until.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        let line = tr!(
            "cli-fu-snoozed-line",
            number = r.number.as_str(),
            rule = r.rule.as_str(),
            until = until,
            reason = sanitize(&r.reason)
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

pub struct LogArgs<'a> {
    pub number: &'a str,
    pub kind: &'a str,
    pub note: &'a str,
    pub at: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub next: Option<&'a str>,
    pub json: bool,
    pub now: Option<&'a str>,
}

pub fn log(cli: &Cli, out: &mut dyn Write, a: &LogArgs<'_>) -> Result<()> {
    let mut wb = open_at(cli, a.now)?;
    let entry = NewInteraction {
        kind: interaction_kind(a.kind)?,
        summary: a.note.to_string(),
        at: date_arg("--at", a.at)?,
        contact: a.contact.map(str::to_string),
        next: date_arg("--next", a.next)?,
    };
    let l = wb.log_interaction(a.number, &entry)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &l)?;
        writeln!(out)?;
        return Ok(());
    }
    print_logged(out, &l)
}

pub struct StatusArgs<'a> {
    pub number: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub contract_no: Option<&'a str>,
    pub contract_signed: Option<&'a str>,
    pub now: Option<&'a str>,
}

pub fn status(cli: &Cli, out: &mut dyn Write, a: &StatusArgs<'_>) -> Result<()> {
    let mut wb = open_at(cli, a.now)?;
    let c = wb.change_status(a.number, a.status, a.reason, a.contract_no, a.contract_signed)?;
    if c.changed {
        writeln!(out, "{}: {} → {}", c.number, c.from.as_deref().unwrap_or("(none)"), c.to)?;
    } else {
        writeln!(out, "{}: already {}; nothing changed", c.number, c.to)?;
    }
    Ok(())
}

pub fn rules_show(cli: &Cli, out: &mut dyn Write, json: bool) -> Result<()> {
    let wb = open(cli, OpenMode::Existing)?;
    let set = wb.reminder_rules()?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &set)?;
        writeln!(out)?;
        return Ok(());
    }
    match (&set.updated_at, &set.updated_by, set.builtin) {
        (_, _, true) => writeln!(out, "# the built-in rules (none stored yet)")?,
        (Some(at), Some(by), _) => writeln!(out, "# set by {} at {at}", sanitize(by))?,
        _ => {}
    }
    writeln!(
        out,
        "# History horizon: per import (`crmwb import --reminders-from DATE`, shown by `crmwb imports show`); \
         events of its customers before that day raise nothing. Without it every date counts."
    )?;
    write!(out, "{}", crate::domain::reminder::rules_to_toml(&set.rules))?;
    Ok(())
}

pub fn rules_set(cli: &Cli, out: &mut dyn Write, file: &Path) -> Result<()> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(|source| Error::Io { path: file.to_path_buf(), source })?
    } else {
        std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.to_path_buf(), source })?
    };
    let mut wb = open(cli, OpenMode::Existing)?;
    let set = wb.set_reminder_rules(&text).map_err(|e| match e {
        Error::Invalid(m) => Error::input(file.display().to_string(), None, None, m),
        other => other,
    })?;
    let enabled = set.rules.iter().filter(|r| r.enabled).count();
    writeln!(out, "{} rules stored ({} enabled)", set.rules.len(), enabled)?;
    Ok(())
}
