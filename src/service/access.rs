//! Who may do what, to which customers, and what they may see.
//!
//! Every service entry point that changes data or reveals sensitive values
//! asks `Access` first; the CLI and the TUI never decide rights themselves.
//! The rights of each role are rows in `role_permissions`, seeded from
//! `Permission::default_scope` and changed by admins.

use crate::domain::mask::{mask_field, mask_text};
use crate::domain::{Customer, Field, PhoneKind, Role};
use crate::error::{Error, Result};
use crate::store::{self, CustomerDetail};
use rusqlite::Connection;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// An action that can be granted to a role. Names are stable: they are
/// stored in databases and typed by admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Permission {
    SensitiveView,
    CustomerCreate,
    CustomerEdit,
    OwnerAssign,
    FollowupEdit,
    InteractionLog,
    Import,
    ImportEvents,
    ImportUndo,
    Merge,
    Export,
    AuditView,
    RulesManage,
    Backup,
}

/// To which customers a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    Any,
    /// The customers owned by the user or anyone below them.
    Team,
    Own,
    None,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Any => "any",
            Scope::Team => "team",
            Scope::Own => "own",
            Scope::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Any, Scope::Team, Scope::Own, Scope::None].into_iter().find(|x| x.as_str() == s)
    }
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::SensitiveView,
        Permission::CustomerCreate,
        Permission::CustomerEdit,
        Permission::OwnerAssign,
        Permission::FollowupEdit,
        Permission::InteractionLog,
        Permission::Import,
        Permission::ImportEvents,
        Permission::ImportUndo,
        Permission::Merge,
        Permission::Export,
        Permission::AuditView,
        Permission::RulesManage,
        Permission::Backup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::SensitiveView => "sensitive.view",
            Permission::CustomerCreate => "customer.create",
            Permission::CustomerEdit => "customer.edit",
            Permission::OwnerAssign => "owner.assign",
            Permission::FollowupEdit => "followup.edit",
            Permission::InteractionLog => "interaction.log",
            Permission::Import => "import",
            Permission::ImportEvents => "import.events",
            Permission::ImportUndo => "import.undo",
            Permission::Merge => "merge",
            Permission::Export => "export",
            Permission::AuditView => "audit.view",
            Permission::RulesManage => "rules.manage",
            Permission::Backup => "backup",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == s)
    }

    /// What the permission lets one do, for messages: "li (sales) may not …".
    pub fn verb(self) -> &'static str {
        match self {
            Permission::SensitiveView => "see sensitive fields (phones, e-mails, addresses, contract amounts…)",
            Permission::CustomerCreate => "create customers",
            Permission::CustomerEdit => "edit customer fields",
            Permission::OwnerAssign => "reassign owners",
            Permission::FollowupEdit => "edit follow-ups",
            Permission::InteractionLog => "log interactions",
            Permission::Import => "import files",
            Permission::ImportEvents => "import event lists",
            Permission::ImportUndo => "undo imports",
            Permission::Merge => "match, merge, move and unmerge customers",
            Permission::Export => "export customers",
            Permission::AuditView => "read the audit trail",
            Permission::RulesManage => "change reminder rules",
            Permission::Backup => "back up the database",
        }
    }

    /// Whether the permission is about particular customers (and so may be
    /// limited to a team's or one's own); the others are all or nothing.
    pub fn per_customer(self) -> bool {
        matches!(
            self,
            Permission::SensitiveView
                | Permission::CustomerEdit
                | Permission::OwnerAssign
                | Permission::FollowupEdit
                | Permission::InteractionLog
                | Permission::AuditView
        )
    }

    /// The built-in rights, after domain.md: sales see all customers and
    /// work the follow-ups of their own; managers also their team's and
    /// reassign owners; data stewards import, merge and fix data; service
    /// log interactions on any customer; marketing import event lists.
    pub fn default_scope(self, role: Role) -> Scope {
        use Permission as P;
        use Scope::*;
        match role {
            Role::Admin => Any,
            Role::Manager => match self {
                P::SensitiveView | P::CustomerEdit | P::OwnerAssign | P::FollowupEdit | P::InteractionLog => Team,
                P::AuditView => Team,
                P::CustomerCreate | P::Export => Any,
                _ => None,
            },
            Role::Sales => match self {
                P::SensitiveView | P::FollowupEdit | P::InteractionLog | P::AuditView => Own,
                P::CustomerCreate => Any,
                _ => None,
            },
            Role::Service => match self {
                P::SensitiveView | P::InteractionLog => Any,
                _ => None,
            },
            Role::Marketing => match self {
                P::ImportEvents => Any,
                _ => None,
            },
            Role::Steward => match self {
                P::SensitiveView | P::CustomerCreate | P::CustomerEdit | P::OwnerAssign => Any,
                P::Import | P::ImportEvents | P::ImportUndo | P::Merge | P::Export | P::AuditView | P::Backup => Any,
                _ => None,
            },
        }
    }
}

/// A customer as far as rights are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub number: &'a str,
    pub owner: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn of(c: &'a Customer) -> Subject<'a> {
        Subject { number: &c.number, owner: c.owner.as_deref() }
    }
}

/// The acting user's rights, loaded once per `Workbench`.
#[derive(Debug, Clone)]
pub struct Access {
    pub login: String,
    pub role: Role,
    scopes: HashMap<Permission, Scope>,
    /// Names under which customers are the user's own: login and display name.
    own: HashSet<String>,
    /// The same for the user and everyone below them.
    team: HashSet<String>,
    sensitive: HashSet<Field>,
}

/// Fills `role_permissions` with the built-in defaults where no row exists.
pub(crate) fn seed_defaults(conn: &Connection) -> Result<()> {
    for role in Role::ALL {
        for p in Permission::ALL {
            store::users::seed_permission(conn, role, p.name(), p.default_scope(role).as_str())?;
        }
    }
    Ok(())
}

impl Access {
    /// No rights at all: what a `Workbench` holds before it knows its user.
    pub(crate) fn nobody(login: &str) -> Access {
        Access {
            login: login.to_string(),
            role: Role::Sales,
            scopes: Permission::ALL.into_iter().map(|p| (p, Scope::None)).collect(),
            own: HashSet::new(),
            team: HashSet::new(),
            sensitive: Field::ALL.into_iter().collect(),
        }
    }

    /// Loads the rights of `login`. An unknown or disabled login has none.
    pub fn load(conn: &Connection, login: &str, db: &str) -> Result<Access> {
        let (user, display) = match store::users::get(conn, login)? {
            Some(u) => u,
            None => {
                return Err(Error::Refused(format!(
                    "{login} is not a user of {db}; an admin can grant access with: \
                     crmwb users add {login} --role ROLE (admin, manager, sales, service, marketing or steward)"
                )))
            }
        };
        if user.disabled {
            return Err(Error::Refused(format!(
                "{login}'s access to {db} is disabled; an admin can restore it with: crmwb users enable {login}"
            )));
        }
        let mut scopes = HashMap::new();
        for p in Permission::ALL {
            let scope = if user.role == Role::Admin {
                // Admins keep every right whatever the table says, so no
                // change to it can lock everyone out.
                Scope::Any
            } else {
                store::users::permission(conn, user.role, p.name())?
                    .as_deref()
                    .and_then(Scope::parse)
                    .unwrap_or_else(|| p.default_scope(user.role))
            };
            scopes.insert(p, scope);
        }
        let mut own: HashSet<String> = HashSet::from([user.login.clone()]);
        own.extend(display.filter(|d| !d.is_empty()));
        let team = store::users::team_names(conn, login)?.into_iter().collect();
        let sensitive =
            store::users::sensitive_fields(conn)?.iter().filter_map(|f| Field::parse(f)).collect::<HashSet<_>>();
        Ok(Access { login: user.login, role: user.role, scopes, own, team, sensitive })
    }

    pub fn scope(&self, p: Permission) -> Scope {
        self.scopes.get(&p).copied().unwrap_or(Scope::None)
    }

    fn reaches(&self, scope: Scope, owner: Option<&str>) -> bool {
        match scope {
            Scope::Any => true,
            Scope::None => false,
            Scope::Own => owner.is_some_and(|o| self.own.contains(o.trim())),
            Scope::Team => owner.is_some_and(|o| self.team.contains(o.trim())),
        }
    }

    /// Whether the user may do `p` (to a customer with this owner, for
    /// per-customer permissions).
    pub fn allows(&self, p: Permission, owner: Option<&str>) -> bool {
        self.reaches(self.scope(p), owner)
    }

    /// Whether the user may do `p` at all, to some customer at least.
    pub fn allows_some(&self, p: Permission) -> bool {
        self.scope(p) != Scope::None
    }

    fn who(&self) -> String {
        format!("{} ({})", self.login, self.role.as_str())
    }

    /// Refuses an action the user may not take, saying why and who may.
    pub fn check(&self, p: Permission, subject: Option<Subject<'_>>) -> Result<()> {
        let scope = self.scope(p);
        let owner = subject.and_then(|s| s.owner);
        if match subject {
            Some(_) => self.reaches(scope, owner),
            None => scope != Scope::None,
        } {
            return Ok(());
        }
        let who = self.who();
        let verb = p.verb();
        let owned_by = |s: Subject<'_>| match s.owner.filter(|o| !o.trim().is_empty()) {
            Some(o) => format!("{} is owned by {o}", s.number),
            None => format!("{} has no owner", s.number),
        };
        Err(Error::Refused(match (scope, subject) {
            (Scope::Own, Some(s)) => {
                // Every name that counts as the user's: the login, then the
                // display name, which an import's owner column often holds.
                let mut others: Vec<&str> = self.own.iter().map(String::as_str).filter(|n| *n != self.login).collect();
                others.sort_unstable();
                let names = if others.is_empty() {
                    self.login.clone()
                } else {
                    format!("{} (or {})", self.login, others.join(", "))
                };
                format!("{who} may {verb} only of customers owned by {names}; {}", owned_by(s))
            }
            (Scope::Team, Some(s)) => {
                let mut team: Vec<&str> = self.team.iter().map(String::as_str).collect();
                team.sort_unstable();
                format!(
                    "{who} may {verb} only of customers owned by {}'s team ({}); {}",
                    self.login,
                    team.join(", "),
                    owned_by(s)
                )
            }
            _ => format!(
                "{who} may not {verb} (permission `{}`); an admin can allow it: crmwb permissions set {} {} any",
                p.name(),
                self.role.as_str(),
                p.name()
            ),
        }))
    }

    /// Refuses anything but an admin, for user, permission and erasure
    /// management, which no table can grant.
    pub fn check_admin(&self, what: &str) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Refused(format!("{} may not {what}: only an admin may", self.who())))
        }
    }

    pub fn is_sensitive(&self, f: Field) -> bool {
        self.sensitive.contains(&f)
    }

    pub fn sensitive_fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.sensitive.iter().copied()
    }

    /// Whose values of `f` this user sees unmasked, for searches: a value
    /// shown masked must not be found by what it hides.
    pub fn visible(&self, f: Field) -> store::listing::Visible {
        use store::listing::Visible;
        if !self.is_sensitive(f) {
            return Visible::All;
        }
        let mut names: Vec<String> = match self.scope(Permission::SensitiveView) {
            Scope::Any => return Visible::All,
            Scope::None => return Visible::Nobody,
            Scope::Own => self.own.iter().cloned().collect(),
            Scope::Team => self.team.iter().cloned().collect(),
        };
        names.sort_unstable();
        Visible::Owners(names)
    }

    /// Whether sensitive values of a customer with this owner are hidden.
    pub fn masks(&self, owner: Option<&str>) -> bool {
        !self.sensitive.is_empty() && !self.allows(Permission::SensitiveView, owner)
    }

    /// `value` of `field` as this user may see it on a customer with `owner`.
    pub fn field<'v>(&self, owner: Option<&str>, field: Field, value: &'v str) -> Cow<'v, str> {
        if self.is_sensitive(field) && self.masks(owner) {
            Cow::Owned(mask_field(field, value))
        } else {
            Cow::Borrowed(value)
        }
    }

    /// Free text (raw cells, notes, summaries, audit values) as this user may
    /// see it: phone numbers and e-mail addresses inside are masked when the
    /// user may not see the customer's phones or e-mails.
    pub fn text<'v>(&self, owner: Option<&str>, value: &'v str) -> Cow<'v, str> {
        let hides_contacts = [Field::Mobile, Field::Landline, Field::Email].iter().any(|f| self.is_sensitive(*f));
        if hides_contacts && self.masks(owner) {
            Cow::Owned(mask_text(value))
        } else {
            Cow::Borrowed(value)
        }
    }

    /// A golden field's value as this user may see it: a sensitive field by
    /// its rule, the free-text fields (notes, needs) as text.
    pub fn value<'v>(&self, owner: Option<&str>, field: Field, value: &'v str) -> Cow<'v, str> {
        match field {
            _ if self.is_sensitive(field) => self.field(owner, field, value),
            Field::Notes | Field::Needs => self.text(owner, value),
            _ => Cow::Borrowed(value),
        }
    }

    /// Masks a golden record in place.
    pub fn mask_customer(&self, c: &mut Customer) {
        if !self.masks(c.owner.as_deref()) {
            return;
        }
        let owner = c.owner.clone();
        for f in Field::ALL {
            if !self.is_sensitive(f) {
                continue;
            }
            let masked = c.get(f).map(|v| self.field(owner.as_deref(), f, v).into_owned());
            if let (Some(slot), Some(m)) = (c.slot_mut(f), masked) {
                *slot = Some(m);
            }
        }
        for text in [&mut c.notes, &mut c.needs] {
            if let Some(v) = text.as_mut() {
                *v = self.text(owner.as_deref(), v).into_owned();
            }
        }
    }

    /// Masks one customer of an export in place.
    pub fn mask_export_row(&self, row: &mut store::customers::ExportRow) {
        let owner = row.customer.owner.clone();
        let owner = owner.as_deref();
        if !self.masks(owner) {
            return;
        }
        self.mask_customer(&mut row.customer);
        for p in &mut row.phones {
            *p = self.field(owner, Field::Mobile, p).into_owned();
        }
        for e in &mut row.emails {
            *e = self.field(owner, Field::Email, e).into_owned();
        }
        for (_, v) in &mut row.custom {
            *v = self.text(owner, v).into_owned();
        }
    }

    /// Masks the 360° view in place: the golden record, phones, e-mails,
    /// contacts, interaction summaries, raw source cells and history values.
    pub fn mask_detail(&self, d: &mut CustomerDetail) {
        let owner = d.customer.owner.clone();
        let owner = owner.as_deref();
        if !self.masks(owner) {
            return;
        }
        self.mask_customer(&mut d.customer);
        for p in &mut d.phones {
            let f = if p.kind == PhoneKind::Mobile { Field::Mobile } else { Field::Landline };
            p.number = self.field(owner, f, &p.number).into_owned();
        }
        for e in &mut d.emails {
            e.email = self.field(owner, Field::Email, &e.email).into_owned();
        }
        for c in &mut d.contacts {
            for (f, v) in
                [(Field::Mobile, &mut c.mobile), (Field::Landline, &mut c.landline), (Field::Email, &mut c.email)]
            {
                if let Some(x) = v.as_mut() {
                    *x = self.field(owner, f, x).into_owned();
                }
            }
        }
        for i in &mut d.interactions {
            i.summary = self.text(owner, &i.summary).into_owned();
        }
        for (_, ty, v) in &mut d.custom {
            *v = match ty.as_str() {
                "phone" => self.field(owner, Field::Mobile, v).into_owned(),
                "email" => self.field(owner, Field::Email, v).into_owned(),
                _ => self.text(owner, v).into_owned(),
            };
        }
        for a in &mut d.history {
            self.mask_json(owner, &mut a.details);
        }
    }

    /// Masks the values inside an audit entry's or evidence's JSON: a value
    /// under a sensitive field's name by that field's rule, every other
    /// string as free text.
    pub fn mask_json(&self, owner: Option<&str>, v: &mut serde_json::Value) {
        if !self.masks(owner) {
            return;
        }
        self.mask_json_under(owner, None, v);
    }

    fn mask_json_under(&self, owner: Option<&str>, key: Option<Field>, v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                *s = match key.filter(|f| self.is_sensitive(*f)) {
                    Some(f) => mask_field(f, s),
                    None => self.text(owner, s).into_owned(),
                }
            }
            Value::Number(n) if key.is_some_and(|f| self.is_sensitive(f)) => {
                *v = Value::String(mask_field(key.unwrap_or(Field::Notes), &n.to_string()));
            }
            Value::Array(items) => items.iter_mut().for_each(|x| self.mask_json_under(owner, key, x)),
            Value::Object(map) => {
                // {"field": "mobile", "old": …, "new": …} names its field beside the values.
                let named = map.get("field").and_then(Value::as_str).and_then(Field::parse).or(key);
                for (k, x) in map.iter_mut() {
                    let f = Field::parse(k).or(named);
                    self.mask_json_under(owner, f, x);
                }
            }
            _ => {}
        }
    }
}

/// One line of `crmwb permissions show`.
#[derive(Debug, Clone, Serialize)]
pub struct PermissionRow {
    pub role: String,
    pub permission: String,
    pub scope: String,
    pub default: String,
}

impl super::Workbench {
    /// For each column of a batch's file, the sensitive field it feeds, if
    /// any: raw cells are masked by what their column means.
    pub(crate) fn sensitive_columns(&self, batch_id: i64) -> Result<Vec<Option<Field>>> {
        use crate::domain::{FieldType, Target};
        let text: Option<String> = rusqlite::OptionalExtension::optional(self.store.conn().query_row(
            "SELECT mapping FROM import_batches WHERE id = ?1",
            [batch_id],
            |r| r.get(0),
        ))?;
        let Some(mapping) = text.and_then(|t| serde_json::from_str::<crate::ingest::Mapping>(&t).ok()) else {
            return Ok(Vec::new());
        };
        let mut out = vec![None; mapping.columns.len()];
        for input in mapping.inputs() {
            let field = match &input.target {
                Target::Field(f) => Some(*f),
                Target::Phone => Some(Field::Mobile),
                Target::Custom { ty: FieldType::Phone, .. } => Some(Field::Mobile),
                Target::Custom { ty: FieldType::Email, .. } => Some(Field::Email),
                _ => None,
            };
            for c in input.columns {
                if let Some(slot) = out.get_mut(c) {
                    *slot = field.filter(|f| self.access.is_sensitive(*f));
                }
            }
        }
        Ok(out)
    }

    /// Masks raw cells of a batch's row: by their column's field, else as text.
    pub(crate) fn mask_cells(&self, owner: Option<&str>, columns: &[Option<Field>], cells: &mut [String]) {
        if !self.access.masks(owner) {
            return;
        }
        for (i, cell) in cells.iter_mut().enumerate() {
            *cell = match columns.get(i).copied().flatten() {
                Some(f) if !cell.is_empty() => self.access.field(owner, f, cell).into_owned(),
                _ => self.access.text(owner, cell).into_owned(),
            };
        }
    }

    /// Imports need `import`; an event list (rows whose interactions are
    /// events, such as marketing's sign-up sheets) also `import.events`.
    pub(crate) fn check_import(&self, interaction_kind: &str) -> Result<()> {
        if interaction_kind == "event" && self.access.allows_some(Permission::ImportEvents) {
            return Ok(());
        }
        self.access.check(Permission::Import, None)
    }
}
