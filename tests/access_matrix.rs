//! The permission matrix: every role against every action, through the real
//! service layer (the `Workbench` methods the CLI and the TUI call), on a
//! customer the actor may reach and on one they may not. The expected
//! outcomes are read from `DEFAULTS`, a table of the built-in rights, so the
//! table below is the documentation of the defaults and is checked against
//! the code that seeds them.

use assert_cmd::Command;
use crm_workbench::domain::{Field, InteractionKind, Role};
use crm_workbench::error::Error;
use crm_workbench::service::{ExportFormat, ImportOptions, MergeOrigin, NewInteraction, Permission, Scope, Workbench};
use crm_workbench::store::audit::AuditFilter;
use crm_workbench::store::OpenMode;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// The built-in rights. `any`: every customer; `team`: customers owned by
/// the manager or anyone reporting to them; `own`: customers owned by the
/// user (login or display name); `none`: refused. Permissions that are not
/// about one customer (import, merge, export, rules, backup, creating) are
/// `any` or `none`. An event list may be imported with `import.events` or
/// with `import`.
const DEFAULTS: &str = "
permission        admin  manager  sales  service  marketing  steward
sensitive.view    any    team     own    any      none       any
customer.create   any    any      any    none     none       any
customer.edit     any    team     none   none     none       any
owner.assign      any    team     none   none     none       any
followup.edit     any    team     own    none     none       none
interaction.log   any    team     own    any      none       none
import            any    none     none   none     none       any
import.events     any    none     none   none     any        any
import.undo       any    none     none   none     none       any
merge             any    none     none   none     none       any
export            any    any      none   none     none       any
audit.view        any    team     own    none     none       any
rules.manage      any    none     none   none     none       none
backup            any    none     none   none     none       any
";

/// The user acting in each role. boss manages li, so li's customers are
/// boss's team's; wang is a salesperson outside that team.
fn login_of(role: Role) -> String {
    match role {
        Role::Admin => crm_workbench::service::actor::os_login(),
        Role::Manager => "boss".into(),
        Role::Sales => "li".into(),
        Role::Service => "svc".into(),
        Role::Marketing => "mk".into(),
        Role::Steward => "steward".into(),
    }
}

/// Customers of the template database.
const LI_MOBILE: &str = "13911110001";
const WANG_MOBILE: &str = "13922220002";

struct Template {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
    /// Owned by li (in boss's team) and by wang (outside it).
    li_customer: (i64, String),
    wang_customer: (i64, String),
    /// Two duplicates nobody owns, for the merge.
    dup: (i64, i64),
    /// A batch to undo.
    batch: i64,
}

fn table() -> Vec<(Permission, [Scope; 6])> {
    let mut lines = DEFAULTS.lines().map(str::trim).filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let roles: Vec<Role> = header[1..].iter().map(|r| Role::parse(r).unwrap()).collect();
    assert_eq!(roles, Role::ALL, "the table's columns are the roles, in order");
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            let p = Permission::parse(cells[0]).unwrap_or_else(|| panic!("unknown permission {}", cells[0]));
            let scopes: Vec<Scope> = cells[1..].iter().map(|s| Scope::parse(s).unwrap()).collect();
            (p, scopes.try_into().unwrap())
        })
        .collect()
}

fn template() -> Template {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("template.db");
    let admin = login_of(Role::Admin);
    let mut wb = Workbench::open(&db, OpenMode::Create, &admin).unwrap();
    wb.add_user("boss", Role::Manager, None, None).unwrap();
    wb.add_user("li", Role::Sales, Some("李明"), Some("boss")).unwrap();
    wb.add_user("wang", Role::Sales, Some("王芳"), None).unwrap();
    wb.add_user("svc", Role::Service, None, None).unwrap();
    wb.add_user("mk", Role::Marketing, None, None).unwrap();
    wb.add_user("steward", Role::Steward, None, None).unwrap();
    let mut add = |name: &str, mobile: &str, owner: Option<&str>| {
        let mut sets = vec![("name".to_string(), name.to_string()), ("mobile".to_string(), mobile.to_string())];
        if let Some(o) = owner {
            sets.push(("owner".into(), o.into()));
        }
        let c = wb.add_customer(&sets).unwrap();
        (c.id, c.number)
    };
    let li_customer = add("北京李明客户科技有限公司", LI_MOBILE, Some("li"));
    let wang_customer = add("上海王芳客户贸易有限公司", WANG_MOBILE, Some("wang"));
    let d1 = add("广州重复测试有限公司", "13733330003", None);
    let d2 = add("广州重复测试有限公司", "13733330003", None);
    let csv = dir.path().join("undo-me.csv");
    std::fs::write(&csv, "客户名称,手机\n深圳待撤销有限公司,13644440004\n").unwrap();
    let report =
        wb.import(&csv, &ImportOptions { source: "undo-me".into(), ..Default::default() }, &mut |_| {}).unwrap();
    std::fs::write(dir.path().join("new.csv"), "客户名称,手机\n杭州新导入有限公司,13555550005\n").unwrap();
    drop(wb);
    Template {
        db,
        dir: dir.path().to_path_buf(),
        li_customer,
        wang_customer,
        dup: (d1.0, d2.0),
        batch: report.batch_id.unwrap(),
        _dir: dir,
    }
}

/// A fresh copy of the template for one role, opened as that role's user.
fn open_copy(t: &Template, role: Role) -> Workbench {
    let db = t.dir.join(format!("{}.db", role.as_str()));
    std::fs::copy(&t.db, &db).unwrap();
    Workbench::open(&db, OpenMode::Existing, &login_of(role)).unwrap()
}

/// Allowed, or refused with the refusal's text. Any other failure means the
/// probe itself is wrong, and fails the test.
fn outcome<T>(what: &str, r: crm_workbench::error::Result<T>) -> Result<(), String> {
    match r {
        Ok(_) => Ok(()),
        Err(Error::Refused(m)) => Err(m),
        Err(e) => panic!("{what}: failed for a reason other than rights: {e}"),
    }
}

/// Does the action a permission guards, on `target` for per-customer
/// permissions. Read-side permissions (seeing sensitive values, the audit
/// trail) are refused by hiding, which is reported as a refusal too.
fn attempt(wb: &mut Workbench, t: &Template, p: Permission, target: &(i64, String)) -> Result<(), String> {
    let (id, number) = (target.0, target.1.as_str());
    let version = |wb: &Workbench| wb.customer_detail(id).unwrap().customer.version;
    match p {
        Permission::SensitiveView => {
            let d = wb.customer_detail(id).unwrap();
            let mobile = d.customer.mobile.clone().unwrap();
            let shown = d.phones.iter().all(|ph| !ph.number.contains('*'));
            if mobile == LI_MOBILE || mobile == WANG_MOBILE {
                assert!(shown, "the golden mobile is shown but a phone row is masked: {:?}", d.phones);
                Ok(())
            } else {
                assert!(mobile.contains("****") && !shown, "neither shown nor masked: {mobile}");
                Err(format!("masked: {mobile}"))
            }
        }
        Permission::AuditView => {
            match wb.audit(AuditFilter { customer_id: Some(id), limit: 100, ..Default::default() }) {
                Ok(entries) if entries.is_empty() => Err("no entries visible".into()),
                Ok(_) => Ok(()),
                Err(Error::Refused(m)) => Err(m),
                Err(e) => panic!("audit: {e}"),
            }
        }
        Permission::CustomerCreate => {
            outcome("add", wb.add_customer(&[("name".into(), "成都新建测试有限公司".into())]))
        }
        Permission::CustomerEdit => {
            let v = version(wb);
            outcome("edit", wb.edit_customer(id, v, &[(Field::Industry, Some("制造业".into()))]))
        }
        Permission::OwnerAssign => {
            let v = version(wb);
            let owner = wb.customer_detail(id).unwrap().customer.owner;
            outcome("reassign", wb.edit_customer(id, v, &[(Field::Owner, owner)]))
        }
        Permission::FollowupEdit => {
            let v = version(wb);
            let by_edit =
                outcome("next follow-up", wb.edit_customer(id, v, &[(Field::NextFollowup, Some("2026-12-20".into()))]));
            let by_status = outcome("status", wb.change_status(number, "意向客户", None, None, None));
            assert_eq!(
                by_edit.is_ok(),
                by_status.is_ok(),
                "a follow-up edit and a status change disagree: {by_edit:?} {by_status:?}"
            );
            by_edit
        }
        Permission::InteractionLog => {
            let entry = NewInteraction {
                kind: InteractionKind::Call,
                summary: "矩阵测试电话".into(),
                at: None,
                contact: None,
                next: None,
            };
            outcome("log", wb.log_interaction(number, &entry))
        }
        Permission::Import => {
            let opts = ImportOptions { source: "matrix".into(), ..Default::default() };
            outcome("import", wb.import(&t.dir.join("new.csv"), &opts, &mut |_| {}))
        }
        Permission::ImportEvents => {
            let opts =
                ImportOptions { source: "fair".into(), interaction_kind: Some("event".into()), ..Default::default() };
            outcome("import events", wb.import(&t.dir.join("new.csv"), &opts, &mut |_| {}))
        }
        Permission::ImportUndo => outcome("undo", wb.undo_import(t.batch)),
        Permission::Merge => outcome("merge", wb.merge_customers(t.dup.0, &[t.dup.1], &[], MergeOrigin::Manual)),
        Permission::Export => outcome("export", wb.export_customers(ExportFormat::Csv, &mut Vec::new())),
        Permission::RulesManage => {
            let rules = wb.reminder_rules().unwrap().rules;
            outcome("rules", wb.set_reminder_rules(&crm_workbench::domain::reminder::rules_to_toml(&rules)))
        }
        Permission::Backup => {
            let dest = t.dir.join(format!("backup-{}.db", wb.actor()));
            outcome("backup", wb.backup(&dest))
        }
    }
}

/// What the table says `role` may do on li's and on wang's customer.
fn expected(role: Role, p: Permission, scope: Scope, events_via_import: Scope) -> (bool, bool) {
    let reach = |s: Scope| match s {
        Scope::Any => (true, true),
        // boss's team is boss and li.
        Scope::Team => (role == Role::Manager, false),
        Scope::Own => (role == Role::Sales, false),
        Scope::None => (false, false),
    };
    match p {
        Permission::ImportEvents => {
            let (a, _) = reach(scope);
            let (b, _) = reach(events_via_import);
            (a || b, a || b)
        }
        _ => reach(scope),
    }
}

#[test]
fn the_table_is_the_built_in_default() {
    let t = table();
    let listed: Vec<Permission> = t.iter().map(|(p, _)| *p).collect();
    assert_eq!(listed, Permission::ALL, "every permission, once, in order");
    for (p, scopes) in &t {
        for (role, scope) in Role::ALL.iter().zip(scopes) {
            assert_eq!(p.default_scope(*role), *scope, "{} for {}", p.name(), role.as_str());
            if !p.per_customer() {
                assert!(matches!(scope, Scope::Any | Scope::None), "{} is all or nothing", p.name());
            }
        }
    }
    // And what a new database stores and shows (`crmwb permissions show`).
    let tpl = template();
    let wb = Workbench::open(&tpl.db, OpenMode::Existing, &login_of(Role::Admin)).unwrap();
    let rows = wb.permissions().unwrap();
    for (p, scopes) in &t {
        for (role, scope) in Role::ALL.iter().zip(scopes) {
            let row = rows
                .iter()
                .find(|r| r.role == role.as_str() && r.permission == p.name())
                .unwrap_or_else(|| panic!("no row for {} {}", role.as_str(), p.name()));
            assert_eq!(row.scope, scope.as_str(), "{} {}", role.as_str(), p.name());
        }
    }
}

#[test]
fn each_role_is_allowed_and_refused_each_action_as_the_table_says() {
    let t = template();
    let matrix = table();
    let import_scopes = matrix.iter().find(|(p, _)| *p == Permission::Import).unwrap().1;
    let mut checked = 0;
    for (ri, role) in Role::ALL.iter().copied().enumerate() {
        let mut wb = open_copy(&t, role);
        let login = login_of(role);
        for (p, scopes) in &matrix {
            let (on_li, on_wang) = expected(role, *p, scopes[ri], import_scopes[ri]);
            let targets: &[(&(i64, String), bool, &str)] = if p.per_customer() {
                &[(&t.li_customer, on_li, "li"), (&t.wang_customer, on_wang, "wang")]
            } else {
                &[(&t.li_customer, on_li, "-")]
            };
            for (target, allowed, owner) in targets {
                let got = attempt(&mut wb, &t, *p, target);
                let what = format!("{login} ({}) {} on {}'s customer {}", role.as_str(), p.name(), owner, target.1);
                match (&got, allowed) {
                    (Ok(()), true) => {}
                    (Err(m), false) => {
                        // A refusal (not a hidden value) names who and what.
                        if !matches!(p, Permission::SensitiveView | Permission::AuditView) {
                            assert!(m.contains(&format!("{login} ({})", role.as_str())), "{what}: {m}");
                        }
                        if p.per_customer()
                            && scopes[ri] != Scope::None
                            && !matches!(p, Permission::SensitiveView | Permission::AuditView)
                        {
                            assert!(m.contains(&target.1) && m.contains(&format!("owned by {owner}")), "{what}: {m}");
                        }
                        if scopes[ri] == Scope::None
                            && !matches!(
                                p,
                                Permission::SensitiveView | Permission::AuditView | Permission::ImportEvents
                            )
                        {
                            assert!(
                                m.contains(&format!("crmwb permissions set {} {} any", role.as_str(), p.name())),
                                "{what}: {m}"
                            );
                        }
                    }
                    (Ok(()), false) => panic!("{what}: allowed, but the table says refused"),
                    (Err(m), true) => panic!("{what}: refused, but the table says allowed: {m}"),
                }
                checked += 1;
            }
        }
    }
    // 6 roles × (8 whole-database actions + 6 per-customer actions × 2 customers).
    assert_eq!(checked, 6 * (8 + 6 * 2));
}

#[test]
fn scoped_refusals_name_the_user_role_customer_and_owner() {
    let t = template();
    let (_, wang_no) = &t.wang_customer;
    let mut li = open_copy(&t, Role::Sales);
    let err = li.change_status(wang_no, "意向客户", None, None, None).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("li (sales) may edit follow-ups only of customers owned by li (or 李明); {wang_no} is owned by wang")
    );
    let mut boss = open_copy(&t, Role::Manager);
    let v = boss.customer_detail(t.wang_customer.0).unwrap().customer.version;
    let err =
        boss.edit_customer(t.wang_customer.0, v, &[(Field::NextFollowup, Some("2026-12-20".into()))]).unwrap_err();
    let err = err.to_string();
    assert!(
        err.starts_with("boss (manager) may edit follow-ups only of customers owned by boss's team (")
            && err.ends_with(&format!("{wang_no} is owned by wang"))
            && err.contains("li"),
        "{err}"
    );
    // The manager may reassign within the team, and a refused reassignment changes nothing.
    let (li_id, li_no) = &t.li_customer;
    let v = boss.customer_detail(*li_id).unwrap().customer.version;
    boss.edit_customer(*li_id, v, &[(Field::Owner, Some("boss".into()))]).unwrap();
    let v = boss.customer_detail(t.wang_customer.0).unwrap().customer.version;
    let err = boss.edit_customer(t.wang_customer.0, v, &[(Field::Owner, Some("boss".into()))]).unwrap_err().to_string();
    assert!(err.contains("may reassign owners only of customers owned by boss's team"), "{err}");
    assert_eq!(boss.customer_detail(t.wang_customer.0).unwrap().customer.owner.as_deref(), Some("wang"));
    // A customer without an owner is nobody's own.
    let err = li.change_status(&li.customer_detail(t.dup.0).unwrap().customer.number, "意向客户", None, None, None);
    assert!(err.unwrap_err().to_string().ends_with("has no owner"));
    // li's own customer, now reassigned to boss, is no longer li's.
    let mut li = Workbench::open(&t.dir.join("manager.db"), OpenMode::Existing, "li").unwrap();
    let err = li.change_status(li_no, "意向客户", None, None, None).unwrap_err().to_string();
    assert!(err.ends_with(&format!("{li_no} is owned by boss")), "{err}");
}

/// Issue 15, finding 13: a refusal said "owned by li" where a customer
/// owned by li's display name (李明, as an import's owner column has it)
/// is li's too: the refusal names both, and both are honoured.
#[test]
fn finding_15_13_refusal_names_the_display_name_that_also_counts() {
    let t = template();
    let (_, wang_no) = &t.wang_customer;
    let mut li = open_copy(&t, Role::Sales);
    let err = li.change_status(wang_no, "意向客户", None, None, None).unwrap_err().to_string();
    assert!(err.contains("owned by li (or 李明);"), "{err}");
    // A customer owned by 李明 is li's own.
    let mut admin = Workbench::open(&t.dir.join("sales.db"), OpenMode::Existing, &login_of(Role::Admin)).unwrap();
    let (id, no) = &t.li_customer;
    let v = admin.customer_detail(*id).unwrap().customer.version;
    admin.edit_customer(*id, v, &[(Field::Owner, Some("李明".into()))]).unwrap();
    drop(admin);
    let mut li = Workbench::open(&t.dir.join("sales.db"), OpenMode::Existing, "li").unwrap();
    li.change_status(no, "意向客户", None, None, None).unwrap();
    // Someone without a display name: the login alone.
    let mut svc = open_copy(&t, Role::Service);
    let err = svc.change_status(wang_no, "意向客户", None, None, None).unwrap_err().to_string();
    assert!(!err.contains("(or "), "{err}");
}

#[test]
fn an_admin_change_to_the_table_takes_effect() {
    let t = template();
    let mut admin = open_copy(&t, Role::Admin);
    admin.set_permission(Role::Service, Permission::FollowupEdit, Scope::Any).unwrap();
    admin.set_permission(Role::Sales, Permission::SensitiveView, Scope::None).unwrap();
    drop(admin);
    let db = t.dir.join("admin.db");
    let mut svc = Workbench::open(&db, OpenMode::Existing, "svc").unwrap();
    svc.change_status(&t.wang_customer.1, "意向客户", None, None, None).unwrap();
    let li = Workbench::open(&db, OpenMode::Existing, "li").unwrap();
    let own = li.customer_detail(t.li_customer.0).unwrap().customer.mobile.unwrap();
    assert_eq!(own, "139****0001", "li no longer sees even their own customer's phone");
    // Admins keep every right whatever the table says.
    let mut admin = Workbench::open(&db, OpenMode::Existing, &login_of(Role::Admin)).unwrap();
    let err = admin.set_permission(Role::Admin, Permission::Backup, Scope::None).unwrap_err().to_string();
    assert!(err.contains("admins have every right"), "{err}");
    admin.backup(&t.dir.join("still-admin.db")).unwrap();
    // Only admins change the table.
    let mut boss = Workbench::open(&db, OpenMode::Existing, "boss").unwrap();
    let err = boss.set_permission(Role::Manager, Permission::Merge, Scope::Any).unwrap_err().to_string();
    assert!(err.contains("boss (manager) may not change permissions: only an admin may"), "{err}");
}

fn crmwb(db: &Path) -> Command {
    let mut c = Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en");
    c.env_remove("CRMWB_DB").arg("--db").arg(db);
    c
}

#[test]
fn the_cli_exits_3_with_the_refusal_and_0_when_allowed() {
    let t = template();
    let db = t.dir.join("cli.db");
    std::fs::copy(&t.db, &db).unwrap();
    let (li_no, wang_no) = (&t.li_customer.1, &t.wang_customer.1);
    crmwb(&db).args(["--as", "li", "log", wang_no, "--kind", "call", "--note", "打过电话"]).assert().code(3).stderr(
        predicate::str::contains(format!(
            "li (sales) may log interactions only of customers owned by li (or 李明); {wang_no} is owned by wang"
        )),
    );
    crmwb(&db).args(["--as", "li", "log", li_no, "--kind", "call", "--note", "打过电话"]).assert().success();
    crmwb(&db).args(["--as", "svc", "log", wang_no, "--kind", "ticket", "--note", "报修"]).assert().success();
    crmwb(&db)
        .args(["--as", "boss", "status", wang_no, "意向客户"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!("{wang_no} is owned by wang")));
    crmwb(&db).args(["--as", "boss", "status", li_no, "意向客户"]).assert().success();
    crmwb(&db)
        .args(["--as", "mk", "backup", t.dir.join("mk.db").to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("mk (marketing) may not back up the database (permission `backup`)"));
    crmwb(&db).args(["--as", "steward", "backup", t.dir.join("st.db").to_str().unwrap()]).assert().success();
    crmwb(&db).args(["--as", "steward", "customer", "edit", wang_no, "--set", "industry=制造业"]).assert().success();
    crmwb(&db)
        .args(["--as", "li", "customer", "edit", li_no, "--set", "industry=制造业"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("li (sales) may not edit customer fields"));
}
