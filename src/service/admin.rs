//! Administration: users, permissions, the audit trail, backups and checks.

use super::access::{Permission, Scope};
use super::Workbench;
use crate::domain::{AuditEntry, Field, Role};
use crate::error::{Error, Result};
use crate::store::{self, audit::AuditFilter, NewAudit};
use rusqlite::TransactionBehavior;
use serde::Serialize;
use std::path::Path;

/// One line of `crmwb users list`.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub login: String,
    pub name: Option<String>,
    pub role: String,
    pub manager: Option<String>,
    pub disabled: bool,
}

/// A user the demo created, to try the workbench in their role (`--as LOGIN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoUser {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub manager: Option<String>,
    /// How many customers they own.
    pub owns: i64,
}

/// The demo's colleagues who own no customers, one per remaining role.
const DEMO_STAFF: &[(&str, &str, Role)] = &[
    ("kefu", "客服小李", Role::Service),
    ("shichang", "市场小周", Role::Marketing),
    ("shuju", "数据小陈", Role::Steward),
];

/// A login for a person's name: its pinyin without tones or spaces
/// (`林峰` → `linfeng`), else the name's ASCII letters, else `user`.
fn login_for(name: &str) -> String {
    let login: String = crate::matching::features::pinyin_key(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if login.is_empty() {
        "user".into()
    } else {
        login
    }
}

/// `base`, or `base2`, `base3`… whichever is not taken yet (and take it).
fn unique(taken: &mut std::collections::HashSet<String>, base: String) -> String {
    let mut login = base.clone();
    let mut n = 2;
    while taken.contains(&login) {
        login = format!("{base}{n}");
        n += 1;
    }
    taken.insert(login.clone());
    login
}

/// What `crmwb check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub path: String,
    pub schema_version: i64,
    /// Empty when the database is sound.
    pub problems: Vec<String>,
    /// Entries in the audit trail.
    pub audit_entries: i64,
    /// The chain's head, `ID:HEX`: keep it elsewhere and give it back with
    /// `check --audit-head` to learn whether the trail was rewritten since.
    pub audit_head: Option<String>,
}

impl Workbench {
    /// Runs `f` in one immediate transaction with one audit entry, after an
    /// admin check. Users and permissions change only this way.
    fn admin_change(
        &mut self,
        what: &str,
        action: &str,
        entity_id: &str,
        details: serde_json::Value,
        f: impl FnOnce(&rusqlite::Connection) -> Result<()>,
    ) -> Result<()> {
        self.access.check_admin(what)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&tx)?;
        store::audit::append(
            &tx,
            &NewAudit { actor: &actor, action, entity: "user", entity_id: Some(entity_id), customer_id: None, details },
            &now,
        )?;
        tx.commit()?;
        self.reload_access()
    }

    fn existing_user(&self, login: &str) -> Result<crate::domain::User> {
        store::users::get(self.store.conn(), login)?.map(|(u, _)| u).ok_or_else(|| {
            Error::NotFound(format!("no user {login}; add one with: crmwb users add {login} --role ROLE"))
        })
    }

    /// Makes a demo database a team (admins, demo databases only): every
    /// owner named in the data becomes a user under their own name, the one
    /// owning most customers the sales manager of the others (all sales), and
    /// a service, a marketing and a data-steward colleague join them. The
    /// creator stays the admin.
    pub fn create_demo_team(&mut self) -> Result<Vec<DemoUser>> {
        if !self.is_demo()? {
            return Err(Error::Refused("only a demo database gets a demo team".into()));
        }
        let owners = store::customers::owner_counts(self.store.conn())?;
        let mut taken: std::collections::HashSet<String> =
            self.users()?.into_iter().flat_map(|u| [Some(u.login), u.name].into_iter().flatten()).collect();
        let mut team = Vec::new();
        let mut manager: Option<String> = None;
        for (name, owns) in owners {
            if taken.contains(&name) {
                continue; // already a user's login or name
            }
            let login = unique(&mut taken, login_for(&name));
            let role = if manager.is_none() { Role::Manager } else { Role::Sales };
            team.push(DemoUser { login: login.clone(), name, role, manager: manager.clone(), owns });
            manager.get_or_insert(login);
        }
        for (login, name, role) in DEMO_STAFF {
            if !taken.contains(*name) {
                let login = unique(&mut taken, login.to_string());
                team.push(DemoUser { login, name: name.to_string(), role: *role, manager: None, owns: 0 });
            }
        }
        for u in &team {
            self.add_user(&u.login, u.role, Some(&u.name), u.manager.as_deref())?;
        }
        Ok(team)
    }

    pub fn users(&self) -> Result<Vec<UserRow>> {
        Ok(store::users::list(self.store.conn())?
            .into_iter()
            .map(|(u, name)| UserRow {
                login: u.login,
                name,
                role: u.role.as_str().to_string(),
                manager: u.manager,
                disabled: u.disabled,
            })
            .collect())
    }

    pub fn add_user(&mut self, login: &str, role: Role, name: Option<&str>, manager: Option<&str>) -> Result<()> {
        let login = login.trim();
        if login.is_empty() || login.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Invalid(format!("`{login}` is not a login name (no spaces or control characters)")));
        }
        if store::users::get(self.store.conn(), login)?.is_some() {
            return Err(Error::Refused(format!("{login} is already a user; see crmwb users list")));
        }
        if let Some(m) = manager {
            self.existing_user(m)?;
        }
        let now = self.clock.stamp();
        self.admin_change(
            "add users",
            "user.add",
            login,
            serde_json::json!({ "login": login, "role": role.as_str(), "name": name, "manager": manager }),
            |c| {
                store::users::add(c, login, role, name, &now)?;
                if let Some(m) = manager {
                    store::users::set_manager(c, login, Some(m))?;
                }
                Ok(())
            },
        )
    }

    pub fn set_user_role(&mut self, login: &str, role: Role) -> Result<()> {
        let old = self.existing_user(login)?.role;
        self.refuse_last_admin(login, old, role != Role::Admin)?;
        self.admin_change(
            "change roles",
            "user.set_role",
            login,
            serde_json::json!({ "old": old.as_str(), "new": role.as_str() }),
            |c| store::users::set_role(c, login, role),
        )
    }

    pub fn set_user_manager(&mut self, login: &str, manager: Option<&str>) -> Result<()> {
        let old = self.existing_user(login)?.manager;
        if let Some(m) = manager {
            self.existing_user(m)?;
        }
        self.admin_change(
            "set managers",
            "user.set_manager",
            login,
            serde_json::json!({ "old": old, "new": manager }),
            |c| store::users::set_manager(c, login, manager),
        )
    }

    pub fn set_user_name(&mut self, login: &str, name: Option<&str>) -> Result<()> {
        let old =
            store::users::get(self.store.conn(), login)?.ok_or_else(|| Error::NotFound(format!("no user {login}")))?.1;
        self.admin_change("rename users", "user.set_name", login, serde_json::json!({ "old": old, "new": name }), |c| {
            store::users::set_display_name(c, login, name)
        })
    }

    pub fn set_user_enabled(&mut self, login: &str, enabled: bool) -> Result<()> {
        let u = self.existing_user(login)?;
        if !enabled {
            if login == self.actor {
                return Err(Error::Refused("you cannot disable yourself; another admin can".into()));
            }
            self.refuse_last_admin(login, u.role, true)?;
        }
        self.admin_change(
            if enabled { "enable users" } else { "disable users" },
            if enabled { "user.enable" } else { "user.disable" },
            login,
            serde_json::json!({ "old": !u.disabled, "new": enabled }),
            |c| store::users::set_disabled(c, login, !enabled),
        )
    }

    /// A database must keep one enabled admin, or nobody could fix rights.
    fn refuse_last_admin(&self, login: &str, role: Role, losing: bool) -> Result<()> {
        if role != Role::Admin || !losing {
            return Ok(());
        }
        let admins: i64 = self.store.conn().query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND login <> ?1",
            [login],
            |r| r.get(0),
        )?;
        if admins == 0 {
            return Err(Error::Refused(format!("{login} is the last admin; make someone else admin first")));
        }
        Ok(())
    }

    /// Every role × permission with its scope and the built-in default.
    pub fn permissions(&self) -> Result<Vec<super::access::PermissionRow>> {
        let mut out = Vec::new();
        for role in Role::ALL {
            for p in Permission::ALL {
                let scope = if role == Role::Admin {
                    "any".to_string()
                } else {
                    store::users::permission(self.store.conn(), role, p.name())?
                        .unwrap_or_else(|| p.default_scope(role).as_str().into())
                };
                out.push(super::access::PermissionRow {
                    role: role.as_str().into(),
                    permission: p.name().into(),
                    scope,
                    default: p.default_scope(role).as_str().into(),
                });
            }
        }
        Ok(out)
    }

    pub fn set_permission(&mut self, role: Role, permission: Permission, scope: Scope) -> Result<()> {
        if role == Role::Admin {
            return Err(Error::Refused("admins have every right; their permissions cannot be changed".into()));
        }
        if !permission.per_customer() && matches!(scope, Scope::Own | Scope::Team) {
            return Err(Error::Invalid(format!(
                "`{}` is not about particular customers: its scope is `any` or `none`",
                permission.name()
            )));
        }
        let old = store::users::permission(self.store.conn(), role, permission.name())?;
        let name = permission.name();
        self.admin_change(
            "change permissions",
            "permission.set",
            &format!("{}:{name}", role.as_str()),
            serde_json::json!({ "role": role.as_str(), "permission": name, "old": old, "new": scope.as_str() }),
            |c| store::users::set_permission(c, role, name, scope.as_str()),
        )
    }

    pub fn set_sensitive_fields(&mut self, fields: &[Field]) -> Result<()> {
        let old = store::users::sensitive_fields(self.store.conn())?;
        let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
        self.admin_change(
            "change which fields are sensitive",
            "sensitive_fields.set",
            "sensitive_fields",
            serde_json::json!({ "old": old, "new": names }),
            |c| store::users::set_sensitive_fields(c, &names),
        )
    }

    /// The audit trail as the acting user may read it: all of it, their
    /// team's customers and actions, or their own; sensitive values masked
    /// where they may not see them.
    pub fn audit(&self, mut filter: AuditFilter) -> Result<Vec<AuditEntry>> {
        let scope = self.access.scope(Permission::AuditView);
        match scope {
            Scope::None => self.access.check(Permission::AuditView, None).map(|_| ())?,
            Scope::Any => {}
            Scope::Team | Scope::Own => {
                let names = if scope == Scope::Team {
                    store::users::team_names(self.store.conn(), &self.actor)?
                } else {
                    let mut v = vec![self.actor.clone()];
                    if let Some((_, Some(n))) = store::users::get(self.store.conn(), &self.actor)? {
                        v.push(n);
                    }
                    v
                };
                filter.customers_owned_by = Some(names);
            }
        }
        let mut entries = store::audit::query(self.store.conn(), &filter)?;
        let owners = self.owners_of(entries.iter().filter_map(|e| e.customer_id))?;
        for e in &mut entries {
            let owner = e.customer_id.and_then(|id| owners.get(&id).cloned().flatten());
            // An entry about no customer (a batch, a user) may still quote
            // raw values: mask it as if about a customer nobody owns.
            self.access.mask_json(owner.as_deref(), &mut e.details);
        }
        Ok(entries)
    }

    /// Owners of the given customers, for masking lists.
    pub(crate) fn owners_of(
        &self,
        ids: impl Iterator<Item = i64>,
    ) -> Result<std::collections::HashMap<i64, Option<String>>> {
        let mut stmt = self.store.conn().prepare_cached("SELECT owner FROM customers WHERE id = ?1")?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if let std::collections::hash_map::Entry::Vacant(v) = out.entry(id) {
                let owner: Option<String> =
                    rusqlite::OptionalExtension::optional(stmt.query_row([id], |r| r.get(0)))?.flatten();
                v.insert(owner);
            }
        }
        Ok(out)
    }

    /// Copies the database, consistently and while others use it, to `dest`
    /// (SQLite's online backup API). The copy gets the database's permissions.
    pub fn backup(&self, dest: &Path) -> Result<u64> {
        self.backup_reporting(dest, &mut |_, _| {})
    }

    /// `backup`, telling `progress` the bytes copied and in all as it goes.
    pub fn backup_reporting(&self, dest: &Path, progress: store::CopyProgress<'_>) -> Result<u64> {
        self.access.check(Permission::Backup, None)?;
        if dest.exists() {
            return Err(Error::Refused(format!("{}: already exists; choose a new file name", dest.display())));
        }
        store::backup_to(self.store.conn(), self.store.path(), dest, progress)?;
        let size = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
        let now = self.clock.stamp();
        store::audit::append(
            self.store.conn(),
            &NewAudit {
                actor: &self.actor,
                action: "database.backup",
                entity: "database",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({ "file": dest.display().to_string(), "bytes": size }),
            },
            &now,
        )?;
        Ok(size)
    }

    /// Replaces the database's content with a backup's, after checking the
    /// backup and saving the current content beside the database first
    /// (nothing is lost, even by a mistaken restore). Returns that safety copy.
    pub fn restore(&mut self, from: &Path) -> Result<std::path::PathBuf> {
        self.restore_reporting(from, &mut |_, _| {})
    }

    /// `restore`, telling `progress` how far its two copies (the safety copy,
    /// then the backup's content) have come together, in bytes.
    pub fn restore_reporting(&mut self, from: &Path, progress: store::CopyProgress<'_>) -> Result<std::path::PathBuf> {
        self.access.check_admin("restore the database")?;
        let backup = store::Store::open(from, store::OpenMode::Existing)
            .map_err(|e| Error::Refused(format!("{} cannot be restored: {e}", from.display())))?;
        let ok: String = backup.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(Error::Refused(format!("{} is damaged ({ok}); not restored", from.display())));
        }
        // A backup whose trail was tampered with would bring the tampering in.
        if let Some(b) = store::audit::verify(backup.conn(), None)?.broken {
            return Err(Error::Refused(format!("{}: its audit trail is broken ({b}); not restored", from.display())));
        }
        drop(backup);
        let safety = store::sibling_backup_path(self.store.path(), "before-restore");
        // The second copy's size is the backup file's until it starts.
        let coming = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
        let mut first = 0;
        store::backup_to(self.store.conn(), self.store.path(), &safety, &mut |d, t| {
            first = t;
            progress(d, t + coming)
        })?;
        self.store.restore_from(from, &mut |d, t| progress(first + d, first + t))?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        // The trail restored over is kept (or, from another lineage, named),
        // never silently dropped; see store::audit::finish_restore.
        store::audit::finish_restore(
            self.store.conn_mut(),
            &safety,
            NewAudit {
                actor: &actor,
                action: "database.restore",
                entity: "database",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({ "from": from.display().to_string(),
                    "previous_content_saved_to": safety.display().to_string() }),
            },
            &now,
        )?;
        // The restored users and rights apply from now on.
        self.reload_access()?;
        Ok(safety)
    }

    /// Integrity check: SQLite's own, foreign keys, and the invariants the
    /// tool relies on (audit triggers, the audit hash chain, merge chains).
    pub fn check(&self) -> Result<CheckReport> {
        self.check_audit_head(None)
    }

    /// `check`, and whether the audit trail still contains `head` (`ID:HEX`
    /// as a `check` printed it earlier): a trail rewritten from before that
    /// entry on, however consistently, no longer does.
    pub fn check_audit_head(&self, head: Option<&str>) -> Result<CheckReport> {
        let want = head.map(store::audit::parse_head).transpose()?;
        let conn = self.store.conn();
        let mut problems = Vec::new();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(format!("integrity: {row}"));
            }
        }
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let fk: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} row {} refers to a missing {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        problems.extend(fk.into_iter().take(50).map(|p| format!("foreign key: {p}")));
        let trail = store::audit::verify(conn, want)?;
        if let Some(b) = &trail.broken {
            problems.push(format!("audit trail: {b}"));
        }
        if let Some((id, chain)) = want {
            let asked = store::audit::format_head(id, &chain);
            if trail.contains.is_none() {
                problems.push(format!(
                    "audit trail: head {asked} is not in this trail (entry {id} is missing or differs): \
                     the trail was rewritten or this is another database"
                ));
            }
        }
        for trigger in ["audit_log_no_update", "audit_log_no_delete", "audit_chain_no_update", "audit_chain_no_delete"]
        {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [trigger],
                |r| r.get(0),
            )?;
            if n == 0 {
                problems.push(format!("the audit log's protection `{trigger}` is missing"));
            }
        }
        let guard: i64 = conn.query_row("SELECT count(*) FROM erasure_guard", [], |r| r.get(0))?;
        if guard > 0 {
            problems.push("the audit log's erasure guard is open outside an erasure".into());
        }
        let selfish: i64 = conn.query_row("SELECT count(*) FROM customers WHERE merged_into = id", [], |r| r.get(0))?;
        if selfish > 0 {
            problems.push(format!("{selfish} customers are marked as merged into themselves"));
        }
        Ok(CheckReport {
            path: self.store.path().display().to_string(),
            schema_version: self.store.schema_version()?,
            problems,
            audit_entries: trail.entries,
            audit_head: trail.head.map(|(id, c)| store::audit::format_head(id, &c)),
        })
    }
}
