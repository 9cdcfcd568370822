//! `users`, `permissions`, `audit`, `backup`, `restore`, `check`.

use super::{open, Cli};
use crate::display::{fit, sanitize};
use crate::domain::{Field, Role};
use crate::error::{Error, Result};
use crate::service::{Permission, Scope};
use crate::store::audit::AuditFilter;
use crate::store::OpenMode;
use clap::Subcommand;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// List users with role, manager and display name.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Give an OS account access: `crmwb users add li --role sales --manager wang --name 李明`.
    Add {
        /// The OS login name (what `id -un` prints for them).
        login: String,
        /// admin, manager, sales, service, marketing or steward.
        #[arg(long)]
        role: String,
        /// Their manager's login (a manager's team is everyone below them).
        #[arg(long, value_name = "LOGIN")]
        manager: Option<String>,
        /// The name imports use for them in owner columns (e.g. 李明).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Change a user's role.
    SetRole { login: String, role: String },
    /// Set a user's manager; `-` for none.
    SetManager { login: String, manager: String },
    /// Set the name imports use for a user in owner columns; `-` for none.
    SetName { login: String, name: String },
    /// Take a user's access away (their past actions stay in the audit trail).
    Disable { login: String },
    /// Give a disabled user their access back.
    Enable { login: String },
}

#[derive(Debug, Subcommand)]
pub enum PermissionsAction {
    /// Every role's scope for every permission, beside the built-in default.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// `crmwb permissions set sales followup.edit team`: scope is any, team, own or none.
    Set { role: String, permission: String, scope: String },
    /// Fields masked for roles without `sensitive.view`: with no FIELD, list them; else replace the list.
    Sensitive { fields: Vec<String> },
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s)
        .ok_or_else(|| Error::Invalid(format!("role `{s}`: use admin, manager, sales, service, marketing or steward")))
}

fn none_if_dash(s: &str) -> Option<&str> {
    Some(s).filter(|v| *v != "-" && !v.is_empty())
}

pub fn users(cli: &Cli, action: &UsersAction, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    match action {
        UsersAction::List { json } => {
            let users = wb.users()?;
            if *json {
                serde_json::to_writer_pretty(&mut *out, &users)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{} {} {} {} STATE",
                    fit("LOGIN", 16),
                    fit("NAME", 12),
                    fit("ROLE", 10),
                    fit("MANAGER", 16)
                )?;
                for u in users {
                    writeln!(
                        out,
                        "{} {} {} {} {}",
                        fit(&sanitize(&u.login), 16),
                        fit(&sanitize(u.name.as_deref().unwrap_or("-")), 12),
                        fit(&u.role, 10),
                        fit(&sanitize(u.manager.as_deref().unwrap_or("-")), 16),
                        if u.disabled { "disabled" } else { "active" }
                    )?;
                }
            }
        }
        UsersAction::Add { login, role, manager, name } => {
            wb.add_user(login, parse_role(role)?, name.as_deref(), manager.as_deref())?;
            writeln!(
                out,
                "{}",
                tr!("cli-user-added", login = login.as_str(), role = crate::i18n::value("role", role))
            )?;
        }
        UsersAction::SetRole { login, role } => {
            wb.set_user_role(login, parse_role(role)?)?;
            writeln!(out, "{}", tr!("cli-user-role", login = login.as_str(), role = crate::i18n::value("role", role)))?;
        }
        UsersAction::SetManager { login, manager } => {
            wb.set_user_manager(login, none_if_dash(manager))?;
            writeln!(out, "{}", tr!("cli-user-manager", login = login.as_str(), manager = manager.as_str()))?;
        }
        UsersAction::SetName { login, name } => {
            wb.set_user_name(login, none_if_dash(name))?;
            writeln!(out, "{}", tr!("cli-user-name", login = login.as_str(), name = name.as_str()))?;
        }
        UsersAction::Disable { login } => {
            wb.set_user_enabled(login, false)?;
            writeln!(out, "{}", tr!("cli-user-disabled", login = login.as_str()))?;
        }
        UsersAction::Enable { login } => {
            wb.set_user_enabled(login, true)?;
            writeln!(out, "{}", tr!("cli-user-enabled", login = login.as_str()))?;
        }
    }
    Ok(())
}

pub fn permissions(cli: &Cli, action: &PermissionsAction, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    match action {
        PermissionsAction::Show { json } => {
            let rows = wb.permissions()?;
            if *json {
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
                return Ok(());
            }
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            write!(out, "{}", fit("PERMISSION", 17))?;
            for r in &roles {
                write!(out, " {}", fit(r, 9))?;
            }
            writeln!(out)?;
            for p in Permission::ALL {
                write!(out, "{}", fit(p.name(), 17))?;
                for r in &roles {
                    let row = rows.iter().find(|x| x.role == *r && x.permission == p.name());
                    let cell =
                        row.map(|x| if x.scope == x.default { x.scope.clone() } else { format!("{}*", x.scope) });
                    write!(out, " {}", fit(cell.as_deref().unwrap_or("?"), 9))?;
                }
                writeln!(out)?;
            }
            writeln!(out, "\n* differs from the built-in default. Sensitive fields: {}", {
                let mut f: Vec<&str> = wb.access().sensitive_fields().map(|f| f.name()).collect();
                f.sort_unstable();
                f.join(", ")
            })?;
        }
        PermissionsAction::Set { role, permission, scope } => {
            let p = Permission::parse(permission).ok_or_else(|| {
                let names: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
                Error::Invalid(format!("permission `{permission}`: one of {}", names.join(", ")))
            })?;
            let s = Scope::parse(scope)
                .ok_or_else(|| Error::Invalid(format!("scope `{scope}`: use any, team, own or none")))?;
            wb.set_permission(parse_role(role)?, p, s)?;
            writeln!(out, "{role}: {permission} = {scope}")?;
        }
        PermissionsAction::Sensitive { fields } => {
            if !fields.is_empty() {
                let parsed: Vec<Field> = fields
                    .iter()
                    .map(|f| Field::parse(f).ok_or_else(|| Error::Invalid(format!("`{f}` is not a target field"))))
                    .collect::<Result<_>>()?;
                wb.set_sensitive_fields(&parsed)?;
            }
            let mut f: Vec<&str> = wb.access().sensitive_fields().map(|f| f.name()).collect();
            f.sort_unstable();
            writeln!(out, "Sensitive fields: {}", f.join(", "))?;
        }
    }
    Ok(())
}

pub struct AuditArgs<'a> {
    pub customer: Option<&'a str>,
    pub user: Option<&'a str>,
    pub since: Option<&'a str>,
    pub limit: usize,
    pub json: bool,
}

pub fn audit(cli: &Cli, a: &AuditArgs<'_>, out: &mut dyn Write) -> Result<()> {
    let wb = open(cli, OpenMode::Existing)?;
    let customer_id = match a.customer {
        Some(n) => Some(wb.customer_by_number(n)?.customer.id),
        None => None,
    };
    let since = match a.since {
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| Error::Invalid(format!("--since `{s}`: give a date as YYYY-MM-DD")))?
                .format("%Y-%m-%dT00:00:00Z")
                .to_string(),
        ),
        None => None,
    };
    let entries = wb.audit(AuditFilter {
        customer_id,
        actor: a.user.map(str::to_string),
        since,
        customers_owned_by: None,
        limit: a.limit,
    })?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(());
    }
    for e in entries {
        let h = crate::history::history_line(&e);
        let about = e.entity_id.as_deref().filter(|_| e.customer_id.is_some()).map(|n| format!("  {}", sanitize(n)));
        writeln!(out, "{:>6}  {}  {}{}  {}", e.id, h.at, h.who, about.unwrap_or_default(), h.what)?;
    }
    Ok(())
}

pub fn backup(cli: &Cli, file: &Path, out: &mut dyn Write) -> Result<()> {
    let wb = open(cli, OpenMode::Existing)?;
    let mut bar = super::output::CopyBar::new(tr!("cli-copying-backup"));
    let bytes = wb.backup_reporting(file, &mut |d, t| bar.update(d, t))?;
    drop(bar);
    let line =
        tr!("cli-backup", db = wb.path().display().to_string(), file = file.display().to_string(), bytes = bytes);
    writeln!(out, "{line}")?;
    Ok(())
}

pub fn restore(cli: &Cli, file: &Path, yes: bool, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    if !yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Error::Refused("restore replaces the whole database: confirm with --yes".into()));
        }
        super::output::ask!(
            "Replace everything in {} with the content of {}? The current content is saved beside it first. Type `restore` to confirm: ",
            wb.path().display(),
            file.display()
        );
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(Error::Output)?;
        if line.trim() != "restore" {
            return Err(Error::Refused("not restored".into()));
        }
    }
    let mut bar = super::output::CopyBar::new(tr!("cli-copying-restore"));
    let safety = wb.restore_reporting(file, &mut |d, t| bar.update(d, t))?;
    drop(bar);
    writeln!(
        out,
        "{}: restored from {}; the previous content is in {}",
        wb.path().display(),
        file.display(),
        safety.display()
    )?;
    Ok(())
}

/// Returns the exit code: 0 sound, 4 problems found.
pub fn check(cli: &Cli, json: bool, audit_head: Option<&str>, out: &mut dyn Write) -> Result<i32> {
    let wb = open(cli, OpenMode::Existing)?;
    let report = wb.check_audit_head(audit_head)?;
    let trail = tr!(
        "cli-trail",
        n = report.audit_entries,
        head = report.audit_head.clone().unwrap_or_else(|| tr!("cli-trail-none"))
    );
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else if report.problems.is_empty() {
        writeln!(out, "{}", tr!("cli-check-ok", path = report.path.to_string(), v = report.schema_version))?;
        writeln!(out, "{trail}")?;
        if audit_head.is_some() {
            writeln!(out, "{}", tr!("cli-check-head"))?;
        }
    } else {
        writeln!(out, "{}", tr!("cli-check-problems", path = report.path.to_string(), n = report.problems.len()))?;
        for p in &report.problems {
            writeln!(out, "  {}", sanitize(p))?;
        }
        writeln!(out, "{trail}")?;
    }
    Ok(if report.problems.is_empty() { 0 } else { 4 })
}

pub fn erase(cli: &Cli, number: &str, reason: &str, yes: bool, out: &mut dyn Write) -> Result<()> {
    let mut wb = open(cli, OpenMode::Existing)?;
    wb.access().check_admin("erase customers")?;
    let detail = wb.customer_by_number(number)?;
    if !yes {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Error::Refused("erasure cannot be undone: confirm with --yes".into()));
        }
        super::output::ask!(
            "Erase every personal value of {} {} (and of the customers merged into it)? This cannot be undone. \
             Type the customer number to confirm: ",
            detail.customer.number,
            sanitize(&detail.customer.name)
        );
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(Error::Output)?;
        if line.trim() != detail.customer.number {
            return Err(Error::Refused("not erased".into()));
        }
    }
    let r = wb.erase(number, reason)?;
    writeln!(
        out,
        "Erased {}: {} source rows, {} contacts, {} phones, {} e-mails, {} interaction texts, {} merge snapshots, {} audit entries redacted",
        r.customers.join(", "),
        r.source_records,
        r.contacts,
        r.phones,
        r.emails,
        r.interactions,
        r.merges,
        r.audit_entries
    )?;
    Ok(())
}
