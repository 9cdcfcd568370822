//! Access control, masking, audit, backup/restore and check, through the CLI
//! and the core. The test process's OS account creates each database and is
//! its admin; other users are reached with `--as`, as an admin would.

use assert_cmd::Command;
use crm_workbench::service::Workbench;
use crm_workbench::store::OpenMode;
use predicates::prelude::*;
use std::path::Path;

fn crmwb(db: &Path) -> Command {
    let mut c = Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en");
    c.env_remove("CRMWB_DB").arg("--db").arg(db);
    c
}

fn stdout(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A known mobile that must never be shown to a role without the right.
const SECRET: &str = "13912345678";

/// One customer owned by li with the secret mobile in its golden field, its
/// notes, an e-mail built from it; a second row rejected with the secret in
/// it; a third warned about a bad phone.
fn setup(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("crm.db");
    let csv = dir.join("leads.csv");
    std::fs::write(
        &csv,
        format!(
            "客户名称,手机,邮箱,地址,负责人,备注,合同金额\n\
             北京腾达科技有限公司,{SECRET},{SECRET}@163.com,北京市海淀区中关村大街1号,李明,请回电 {SECRET},50万\n\
             ,,,,,只有备注 {SECRET},\n\
             上海远景贸易有限公司,1391234567,,,王芳,,\n"
        ),
    )
    .unwrap();
    crmwb(&db).args(["import", csv.to_str().unwrap(), "--source", "leads"]).assert().success();
    crmwb(&db).args(["users", "add", "li", "--role", "sales", "--name", "李明"]).assert().success();
    crmwb(&db).args(["users", "add", "wang", "--role", "sales", "--name", "王芳"]).assert().success();
    crmwb(&db).args(["users", "add", "mk", "--role", "marketing"]).assert().success();
    crmwb(&db).args(["users", "add", "boss", "--role", "manager"]).assert().success();
    crmwb(&db).args(["users", "set-manager", "li", "boss"]).assert().success();
    db
}

fn first_number(db: &Path) -> String {
    let out = stdout(crmwb(db).args(["customers", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array().unwrap().iter().find(|c| c["name"] == "北京腾达科技有限公司").unwrap()["number"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_secret_phone_appears_on_no_read_path_for_a_role_without_the_right() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let number = first_number(&db);
    // The admin sees it (so the test would notice if the data lacked it).
    assert!(stdout(crmwb(&db).args(["customer", "show", &number])).contains(SECRET));
    // wang may export (to reach the export path) but owns not this customer.
    crmwb(&db).args(["permissions", "set", "sales", "export", "any"]).assert().success();
    crmwb(&db).args(["permissions", "set", "sales", "audit.view", "any"]).assert().success();
    let runs: Vec<Vec<&str>> = vec![
        vec!["customers"],
        vec!["customers", "--json"],
        vec!["customer", "show", &number],
        vec!["customer", "show", &number, "--json"],
        vec!["export", "customers", "--format", "csv"],
        vec!["export", "customers", "--format", "json"],
        vec!["quality", "--sample", "1", "--json"],
        vec!["quality", "--sample", "1"],
        vec!["imports", "show", "1"],
        vec!["imports", "show", "1", "--json"],
        vec!["audit", "--json"],
        vec!["audit"],
    ];
    for who in ["wang", "mk"] {
        for args in &runs {
            let mut c = crmwb(&db);
            c.args(["--as", who]).args(args);
            let out = c.output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            // A usage error would show nothing and prove nothing.
            assert_ne!(out.status.code(), Some(2), "{who} {args:?}: {text}");
            assert!(!text.contains(SECRET), "{who} {args:?} shows the secret:\n{text}");
            assert!(!text.contains("中关村大街"), "{who} {args:?} shows the street:\n{text}");
            assert!(!text.contains("500000"), "{who} {args:?} shows the contract amount:\n{text}");
        }
    }
    // The rejected-rows file too.
    let rej = dir.path().join("rej.csv");
    crmwb(&db)
        .args(["--as", "wang", "imports", "show", "1", "--rejected-csv", rej.to_str().unwrap()])
        .assert()
        .success();
    let text = std::fs::read_to_string(&rej).unwrap();
    assert!(text.contains("只有备注") && !text.contains(SECRET), "{text}");
    // li owns it, and boss manages li: both see it; masked shape for wang.
    assert!(stdout(crmwb(&db).args(["--as", "li", "customer", "show", &number])).contains(SECRET));
    assert!(stdout(crmwb(&db).args(["--as", "boss", "customer", "show", &number])).contains(SECRET));
    assert!(stdout(crmwb(&db).args(["--as", "wang", "customer", "show", &number])).contains("139****5678"));
}

#[test]
fn refusals_name_the_rule_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "客户名称,手机\n广州新客户有限公司,13700001111\n").unwrap();
    crmwb(&db)
        .args(["--as", "li", "import", csv.to_str().unwrap(), "--source", "li-list"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("li (sales) may not import files"))
        .stderr(predicate::str::contains("crmwb permissions set sales import any"));
    // Marketing may import an event list, not a customer list.
    crmwb(&db)
        .args(["--as", "mk", "import", csv.to_str().unwrap(), "--source", "fair", "--interaction-kind", "event"])
        .assert()
        .success();
    crmwb(&db).args(["--as", "mk", "import", csv.to_str().unwrap(), "--source", "crm2"]).assert().code(3);
    crmwb(&db).args(["--as", "li", "imports", "undo", "1"]).assert().code(3);
    crmwb(&db)
        .args(["--as", "li", "export", "customers"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("may not export customers"));
    // Only admins administer, and only admins use --as.
    crmwb(&db)
        .args(["--as", "boss", "users", "add", "x", "--role", "admin"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("only an admin"));
    let mut as_li = Workbench::open(&db, OpenMode::Existing, &crm_workbench::service::actor::os_login()).unwrap();
    as_li.act_as("li").unwrap();
    let err = as_li.act_as("boss").unwrap_err().to_string();
    assert!(err.contains("li (sales) may not act as boss"), "{err}");
    // An unknown OS user gets no access and learns the command that grants it.
    let mut wb = Workbench::open(&db, OpenMode::Existing, "stranger");
    match wb.as_mut().err().map(|e| e.to_string()) {
        Some(msg) => assert!(msg.contains("crmwb users add stranger --role"), "{msg}"),
        None => panic!("a stranger opened the database"),
    }
    crmwb(&db).args(["users", "disable", "li"]).assert().success();
    crmwb(&db).args(["--as", "li", "customers"]).assert().code(3).stderr(predicate::str::contains("disabled"));
}

#[test]
fn users_and_permissions_are_audited_and_the_last_admin_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let me = stdout(crmwb(&db).args(["users", "list", "--json"]));
    let users: serde_json::Value = serde_json::from_str(&me).unwrap();
    let admin =
        users.as_array().unwrap().iter().find(|u| u["role"] == "admin").unwrap()["login"].as_str().unwrap().to_string();
    crmwb(&db)
        .args(["users", "set-role", &admin, "sales"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("last admin"));
    crmwb(&db)
        .args(["users", "set-manager", "boss", "li"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("already above"));
    crmwb(&db).args(["permissions", "set", "sales", "import", "own"]).assert().code(1);
    crmwb(&db).args(["permissions", "set", "service", "followup.edit", "any"]).assert().success();
    let shown = stdout(crmwb(&db).args(["permissions", "show"]));
    assert!(shown.lines().any(|l| l.starts_with("followup.edit") && l.contains("any*")), "{shown}");
    let audit = stdout(crmwb(&db).args(["audit", "--json", "--user", &admin]));
    let entries: serde_json::Value = serde_json::from_str(&audit).unwrap();
    let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["user.add", "user.set_manager", "permission.set", "import"] {
        assert!(actions.iter().any(|x| x.starts_with(a)), "no {a} in {actions:?}");
    }
    // Acting as someone records both names.
    let csv = dir.path().join("ev.csv");
    std::fs::write(&csv, "客户名称\n深圳展会客户有限公司\n").unwrap();
    crmwb(&db)
        .args(["--as", "mk", "import", csv.to_str().unwrap(), "--source", "fair", "--interaction-kind", "event"])
        .assert()
        .success();
    let audit = stdout(crmwb(&db).args(["audit", "--json", "--user", "mk", "--limit", "1"]));
    let e: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(e[0]["actor"], "mk");
    assert_eq!(e[0]["real_actor"], admin.as_str());
}

#[test]
fn backup_restore_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let before = stdout(crmwb(&db).args(["customers", "--json"]));
    let bak = dir.path().join("backup.db");
    crmwb(&db).args(["backup", bak.to_str().unwrap()]).assert().success();
    crmwb(&db).args(["backup", bak.to_str().unwrap()]).assert().code(3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bak).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "backup mode {mode:o}");
    }
    crmwb(&db).args(["imports", "undo", "1"]).assert().success();
    assert_ne!(stdout(crmwb(&db).args(["customers", "--json"])), before);
    // Not on a terminal: restoring needs --yes.
    crmwb(&db).args(["restore", bak.to_str().unwrap()]).assert().code(3);
    crmwb(&db).args(["--as", "li", "restore", bak.to_str().unwrap(), "--yes"]).assert().code(3);
    let out = stdout(crmwb(&db).args(["restore", bak.to_str().unwrap(), "--yes"]));
    assert!(out.contains("previous content is in"), "{out}");
    assert_eq!(stdout(crmwb(&db).args(["customers", "--json"])), before);
    // The safety copy holds the undone state, so a mistaken restore is not a loss.
    let safety = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .expect("safety copy");
    let safety_customers = stdout(crmwb(&safety.path()).args(["customers", "--json"]));
    assert_ne!(safety_customers, before);
    crmwb(&db).arg("check").assert().success().stdout(predicate::str::contains("ok"));
    // A file that is not a database is refused, and nothing changes.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, not even close; just text").unwrap();
    crmwb(&db).args(["restore", junk.to_str().unwrap(), "--yes"]).assert().code(3);
    assert_eq!(stdout(crmwb(&db).args(["customers", "--json"])), before);
}

#[test]
fn audit_rows_cannot_be_changed_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    for sql in ["UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let n: i64 = conn.query_row("SELECT count(*) FROM audit_log WHERE actor = 'nobody'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
}

#[cfg(unix)]
#[test]
fn init_group_shares_the_file_with_one_group_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    // The test account's own primary group always exists and is ours to use.
    let gid = std::fs::metadata(dir.path()).unwrap().gid();
    let group = std::process::Command::new("getent").args(["group", &gid.to_string()]).output().unwrap();
    let group = String::from_utf8(group.stdout).unwrap();
    let group = group.split(':').next().unwrap().to_string();
    crmwb(&db).args(["init", "--group", &group]).assert().success().stdout(predicate::str::contains("0660"));
    let meta = std::fs::metadata(&db).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!(meta.gid(), gid);
    // Backups keep the team's mode rather than widening or narrowing it.
    let bak = dir.path().join("team-backup.db");
    crmwb(&db).args(["backup", bak.to_str().unwrap()]).assert().success();
    assert_eq!(std::fs::metadata(&bak).unwrap().permissions().mode() & 0o777, 0o660);
    crmwb(&db)
        .args(["init", "--group", "no-such-group-crmwb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no OS group"));
    let plain = dir.path().join("plain.db");
    crmwb(&plain).arg("init").assert().success();
    assert_eq!(std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777, 0o600);
}

/// Every text value in every table of the database, with where it is.
fn all_text(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..n {
                let text = match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    _ => continue,
                };
                out.push((t.clone(), text));
            }
        }
    }
    out
}

#[test]
fn erasure_leaves_no_trace_of_the_values_in_any_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let v1 = dir.path().join("v1.csv");
    let v2 = dir.path().join("v2.csv");
    let header = "编号,客户名称,联系人,手机,邮箱,地址,备注\n";
    std::fs::write(
        &v1,
        format!("{header}A1,北京唯一测试科技有限公司,欧阳唯一,13911112222,only.test@example.org,北京市海淀区唯一路8号,私人备注XYZ\nA2,上海别的公司,张三,13800000000,,,\n"),
    )
    .unwrap();
    // The second export changes the row (history) and carries a bad value (a warning quoting it).
    std::fs::write(
        &v2,
        format!("{header}A1,北京唯一测试科技有限公司,欧阳唯一,1391111,only.test@example.org,北京市海淀区唯一路8号,私人备注XYZ 第二版\nA2,上海别的公司,张三,13800000000,,,\n"),
    )
    .unwrap();
    for f in [&v1, &v2] {
        crmwb(&db).args(["import", f.to_str().unwrap(), "--source", "crm", "--key", "编号"]).assert().success();
    }
    let secrets = ["唯一测试", "欧阳唯一", "13911112222", "1391111", "only.test", "唯一路", "私人备注XYZ"];
    let before = all_text(&db);
    for s in secrets {
        assert!(before.iter().any(|(_, v)| v.contains(s)), "{s} was never stored: the test would prove nothing");
    }
    let out = stdout(crmwb(&db).args(["customers", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let number = list.as_array().unwrap().iter().find(|c| c["name"] == "北京唯一测试科技有限公司").unwrap()["number"]
        .as_str()
        .unwrap()
        .to_string();
    crmwb(&db).args(["erase", &number, "--reason", "PIPL request 2026-17"]).assert().code(3); // needs --yes off a terminal
    crmwb(&db).args(["--as", "nobody", "erase", &number, "--reason", "x", "--yes"]).assert().code(3);
    crmwb(&db).args(["erase", &number, "--reason", " ", "--yes"]).assert().code(1);
    crmwb(&db).args(["erase", &number, "--reason", "PIPL request 2026-17", "--yes"]).assert().success();
    for (table, value) in all_text(&db) {
        for s in secrets {
            assert!(!value.contains(s), "`{s}` survives in table {table}: {value}");
        }
    }
    // The raw file bytes too: secure_delete zeroes freed cells, and the WAL was folded in.
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("crm.db-wal")) {
        bytes.extend(wal);
    }
    let hay = String::from_utf8_lossy(&bytes);
    for s in ["13911112222", "only.test@example.org"] {
        assert!(!hay.contains(s), "`{s}` survives in the database file");
    }
    // The tombstone keeps the number, the other customer is untouched, and the erasure is audited.
    let shown = stdout(crmwb(&db).args(["customer", "show", &number, "--json"]));
    assert!(shown.contains("erased"), "{shown}");
    assert!(stdout(crmwb(&db).args(["customers"])).contains("上海别的公司"));
    let audit = stdout(crmwb(&db).args(["audit", "--customer", &number, "--json"]));
    assert!(audit.contains("customer.erase") && audit.contains("PIPL request 2026-17"), "{audit}");
    crmwb(&db).arg("check").assert().success();
}

#[test]
fn the_review_queue_masks_members_for_who_may_not_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    crmwb(&db).args(["demo", "--no-tui"]).assert().success();
    crmwb(&db).args(["users", "add", "mk", "--role", "marketing"]).assert().success();
    crmwb(&db).arg("match").assert().success();
    let full = stdout(crmwb(&db).args(["queue", "--json"]));
    let mobiles: Vec<String> = serde_json::from_str::<serde_json::Value>(&full)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["members"].as_array().unwrap().iter().filter_map(|m| m["mobile"].as_str().map(String::from)))
        .collect();
    assert!(!mobiles.is_empty(), "the admin sees the queue's phones: {full}");
    for args in [vec!["queue", "--json"], vec!["queue"]] {
        let out = stdout(crmwb(&db).args(["--as", "mk"]).args(&args));
        for m in &mobiles {
            assert!(!out.contains(m.as_str()), "{args:?} shows {m}");
        }
    }
    crmwb(&db).args(["--as", "mk", "match"]).assert().code(3).stderr(predicate::str::contains("may not match"));
}

#[test]
fn two_connections_editing_one_customer_the_stale_one_is_refused_and_nothing_is_lost() {
    use crm_workbench::domain::Field;
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let number = first_number(&db);
    let admin = crm_workbench::service::actor::os_login();
    // Two handles on one file, as two SSH sessions would have: the admin and boss (li's manager).
    let mut first = Workbench::open(&db, OpenMode::Existing, &admin).unwrap();
    let mut second = Workbench::open(&db, OpenMode::Existing, "boss").unwrap();
    let id = first.customer_by_number(&number).unwrap().customer.id;
    let v = first.customer_detail(id).unwrap().customer.version;
    assert_eq!(second.customer_detail(id).unwrap().customer.version, v);
    first.edit_customer(id, v, &[(Field::Industry, Some("制造业".into()))]).unwrap();
    let err = second.edit_customer(id, v, &[(Field::Industry, Some("批发和零售业".into()))]).unwrap_err();
    assert!(matches!(err, crm_workbench::Error::Refused(_)), "{err:?}");
    let err = err.to_string();
    for part in [
        format!("{number} changed since you read it (you had version {v}, it is now version {})", v + 1),
        "nothing was saved".to_string(),
        format!("industry: you read (empty) and wanted `批发和零售业`, it is now `制造业` (changed by {admin})"),
        format!("{admin}: customer.edit: industry (empty) → `制造业`"),
    ] {
        assert!(err.contains(&part), "missing `{part}` in: {err}");
    }
    // An edit of another field on the stale version is refused too: the version guards the record.
    let err = second.edit_customer(id, v, &[(Field::NextFollowup, Some("2026-12-20".into()))]).unwrap_err();
    assert!(err.to_string().contains("industry (empty) → `制造业`"), "{err}");
    // Nothing lost: the first edit stands and is audited; the second retries on the fresh version.
    let d = second.customer_detail(id).unwrap();
    assert_eq!(d.customer.industry.as_deref(), Some("制造业"));
    let out = second.edit_customer(id, d.customer.version, &[(Field::Industry, Some("批发和零售业".into()))]).unwrap();
    assert_eq!(out.version, v + 2);
    let history = first.customer_detail(id).unwrap().history;
    let edits: Vec<(&str, &serde_json::Value)> = history
        .iter()
        .filter(|a| a.action == "customer.edit")
        .map(|a| (a.actor.as_str(), &a.details["changes"][0]["new"]))
        .collect();
    assert!(edits.contains(&(admin.as_str(), &serde_json::json!("制造业"))), "{edits:?}");
    assert!(edits.contains(&("boss", &serde_json::json!("批发和零售业"))), "{edits:?}");
    // A status change (recorded with the version it started from) is named too.
    let v = second.customer_detail(id).unwrap().customer.version;
    first.change_status(&number, "意向客户", None, None, None).unwrap();
    let err = second.edit_customer(id, v, &[(Field::Status, Some("潜在客户".into()))]).unwrap_err().to_string();
    assert!(err.contains("status: you read (empty) and wanted `潜在客户`, it is now `意向客户`"), "{err}");
    // Values the stale editor may not see stay masked in the message.
    first
        .set_permission(
            crm_workbench::domain::Role::Manager,
            crm_workbench::service::Permission::SensitiveView,
            crm_workbench::service::Scope::None,
        )
        .unwrap();
    let mut second = Workbench::open(&db, OpenMode::Existing, "boss").unwrap();
    let v = second.customer_detail(id).unwrap().customer.version;
    first.edit_customer(id, v, &[(Field::Mobile, Some("13800001111".into()))]).unwrap();
    let err = second.edit_customer(id, v, &[(Field::Mobile, Some("13900002222".into()))]).unwrap_err().to_string();
    assert!(err.contains("mobile: you read `139****5678`") && err.contains("it is now `138****1111`"), "{err}");
    assert!(!err.contains(SECRET) && !err.contains("13800001111"), "{err}");
}

/// Every value of `secrets` is gone from every table and from the file bytes.
fn assert_no_trace(db: &Path, secrets: &[&str]) {
    for (table, value) in all_text(db) {
        for s in secrets {
            assert!(!value.contains(s), "`{s}` survives in table {table}: {value}");
        }
    }
    let mut bytes = std::fs::read(db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let hay = String::from_utf8_lossy(&bytes);
    for s in secrets.iter().filter(|s| s.is_ascii()) {
        assert!(!hay.contains(s), "`{s}` survives in the database file");
    }
}

#[test]
fn erasure_reaches_match_evidence_and_merge_snapshots() {
    use crm_workbench::domain::Field;
    use crm_workbench::service::{MatchOptions, MergeOrigin};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let crm = dir.path().join("crm.csv");
    let shop = dir.path().join("shop.csv");
    // Two people, each in both systems: 欧阳唯一's company, whose shop record
    // fills in the contact's e-mail (a before-image of the contact), and
    // 林第二's, whose shop record brings an e-mail and a contact.
    std::fs::write(
        &crm,
        "编号,客户名称,联系人,手机,邮箱,地址,备注\n\
         A1,北京唯一测试科技有限公司,欧阳唯一,13911112222,,北京市海淀区唯一路8号,私人备注XYZ\n\
         A2,广州第二测试有限公司,林大,13655556666,,广州市天河区,\n\
         A3,上海别的公司,张三,13800000000,,,\n",
    )
    .unwrap();
    std::fs::write(
        &shop,
        "编号,客户名称,联系人,手机,邮箱,备注\n\
         S1,北京唯一测试科技有限公司,欧阳唯一,13911112222,only.test@example.org,店铺备注PQR\n\
         S2,广州第二测试有限公司,林第二,13677778888,second.test@example.org,第二私密ABC\n",
    )
    .unwrap();
    crmwb(&db).args(["import", crm.to_str().unwrap(), "--source", "crm", "--key", "编号"]).assert().success();
    crmwb(&db).args(["import", shop.to_str().unwrap(), "--source", "shop", "--key", "编号"]).assert().success();
    let admin = crm_workbench::service::actor::os_login();
    let mut wb = Workbench::open(&db, OpenMode::Existing, &admin).unwrap();
    let report = wb.run_match(&MatchOptions { full: true, ..Default::default() }).unwrap();
    assert!(report.pairs > 0, "matching found no pairs: {report:?}");
    let id_of = |wb: &Workbench, source_key: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let _ = wb;
        conn.query_row("SELECT customer_id FROM source_records WHERE source_key = ?1", [source_key], |r| r.get(0))
            .unwrap()
    };
    let (a1, s1, a2, s2) = (id_of(&wb, "A1"), id_of(&wb, "S1"), id_of(&wb, "A2"), id_of(&wb, "S2"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let keyed: i64 = conn
        .query_row("SELECT count(*) FROM match_keys WHERE customer_id IN (?1, ?2)", [a1, s1], |r| r.get(0))
        .unwrap();
    assert!(keyed > 0, "matching stored no blocking keys for the pair: the test would prove nothing");
    // The first person: merged, then erased whole (survivor and absorbed).
    wb.merge_customers(a1, &[s1], &[(Field::Notes, s1)], MergeOrigin::Manual).unwrap();
    // The second: merged taking the shop's e-mail and contact, split out again, then erased alone.
    wb.merge_customers(a2, &[s2], &[(Field::Email, s2), (Field::ContactName, s2)], MergeOrigin::Manual).unwrap();
    let a1_no = wb.customer_detail(a1).unwrap().customer.number;
    let s1_no = wb.customer_detail(s1).unwrap().customer.number;
    let a2_no = wb.customer_detail(a2).unwrap().customer.number;
    let s2_no = wb.customer_detail(s2).unwrap().customer.number;
    wb.unmerge(&s2_no).unwrap();
    drop(wb);
    let secrets = [
        "唯一测试",
        "欧阳唯一",
        "13911112222",
        "only.test",
        "唯一路",
        "私人备注XYZ",
        "店铺备注PQR",
        "林第二",
        "13677778888",
        "second.test",
        "第二私密ABC",
    ];
    let before = all_text(&db);
    for s in secrets {
        assert!(before.iter().any(|(_, v)| v.contains(s)), "{s} was never stored: the test would prove nothing");
    }
    for table in ["merges", "merge_rows", "audit_log"] {
        assert!(
            before.iter().any(|(t, v)| t == table && secrets.iter().any(|s| v.contains(s))),
            "no personal value in {table} before the erasure: the test would prove nothing"
        );
    }
    crmwb(&db)
        .args(["erase", &s1_no, "--reason", "PIPL 2026-18", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(&a1_no).and(predicate::str::contains("merge snapshots")));
    crmwb(&db).args(["erase", &s2_no, "--reason", "PIPL 2026-19", "--yes"]).assert().success();
    assert_no_trace(&db, &secrets);
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (sql, what) in [
        ("SELECT count(*) FROM match_keys WHERE customer_id IN (?1, ?2, ?3)", "blocking keys"),
        ("SELECT count(*) FROM match_pairs WHERE a IN (?1, ?2, ?3) OR b IN (?1, ?2, ?3)", "candidate pairs"),
        (
            "SELECT count(*) FROM match_clusters c JOIN match_cluster_members m ON m.cluster_id = c.id
              WHERE c.state = 'open' AND m.customer_id IN (?1, ?2, ?3)",
            "open clusters",
        ),
    ] {
        let n: i64 = conn.query_row(sql, [a1, s1, s2], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{what} of erased customers remain");
    }
    // The erased merge cannot be undone, and says why rather than failing obscurely.
    crmwb(&db).args(["unmerge", &s1_no]).assert().code(3).stderr(predicate::str::contains("was erased on request"));
    // The second person's company keeps its own data; matching again passes the tombstones by.
    let kept = stdout(crmwb(&db).args(["customer", "show", &a2_no]));
    assert!(kept.contains("广州第二测试有限公司") && kept.contains("13655556666"), "{kept}");
    crmwb(&db).args(["match", "--full"]).assert().success();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM match_pairs WHERE a IN (?1, ?2, ?3) OR b IN (?1, ?2, ?3)", [a1, s1, s2], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0, "a later match run paired tombstones");
    assert_no_trace(&db, &secrets);
    crmwb(&db).arg("check").assert().success();
}

#[test]
fn a_search_finds_no_customer_by_a_value_the_searcher_sees_masked() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let number = first_number(&db);
    let found = |who: &str, q: &str| {
        let out = stdout(crmwb(&db).args(["--as", who, "customers", "--json", "--search", q]));
        let list: serde_json::Value = serde_json::from_str(&out).unwrap();
        list.as_array().unwrap().iter().any(|c| c["number"] == number.as_str())
    };
    let admin = crm_workbench::service::actor::os_login();
    let digits = ["13912345678", "139-1234-5678", "13912345678@163"];
    for q in digits {
        // li owns it and boss manages li: their searches find it by the phone and the e-mail.
        for who in [admin.as_str(), "li", "boss"] {
            assert!(found(who, q), "{who} does not find the customer by `{q}`");
        }
        // wang (sales, not the owner) and mk (marketing) see them masked: no match.
        for who in ["wang", "mk"] {
            assert!(!found(who, q), "{who} finds the customer by hidden `{q}`");
        }
    }
    // By name and by number everyone still finds it.
    for who in ["wang", "mk"] {
        assert!(found(who, "腾达"), "{who} cannot find it by name");
        assert!(found(who, &number), "{who} cannot find it by number");
    }
    // A field that is not sensitive is searchable by all: make e-mail not sensitive.
    crmwb(&db)
        .args(["permissions", "sensitive", "mobile", "landline", "address", "contract_amount", "decision_maker"])
        .assert()
        .success();
    assert!(found("wang", "13912345678@163"), "e-mail is no longer sensitive, so wang may search it");
    // (Its e-mail holds the digits, now in view; written as a phone they match only the still hidden mobile.)
    assert!(!found("wang", "139-1234-5678"), "the mobile is still sensitive");
}

/// Times `search_corpus_page` over a whole database, as the admin (every
/// value visible: the most text) and as a salesperson (most masked).
/// `CRMWB_BENCH_DB=/tmp/x.db cargo test --release --test access -- --ignored corpus_speed --nocapture`
#[test]
#[ignore]
fn corpus_speed() {
    let db = std::path::PathBuf::from(std::env::var("CRMWB_BENCH_DB").unwrap_or_else(|_| "/tmp/x.db".into()));
    let admin = crm_workbench::service::actor::os_login();
    let mut wb = Workbench::open(&db, OpenMode::Existing, &admin).unwrap();
    if wb.users().unwrap().iter().all(|u| u.login != "bench-sales") {
        wb.add_user("bench-sales", crm_workbench::domain::Role::Sales, None, None).unwrap();
    }
    for who in [admin.as_str(), "bench-sales"] {
        let wb = Workbench::open(&db, OpenMode::Existing, who).unwrap();
        for _ in 0..2 {
            let started = std::time::Instant::now();
            let (mut after, mut n, mut bytes) = (0, 0usize, 0usize);
            loop {
                let page = wb.search_corpus_page(after, 5000).unwrap();
                let Some(last) = page.last() else { break };
                after = last.0;
                n += page.len();
                bytes += page.iter().map(|p| p.1.len()).sum::<usize>();
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{who}: {n} customers in {secs:.3}s = {:.0} customers/s, {:.1} MB of text",
                n as f64 / secs,
                bytes as f64 / 1e6
            );
            assert!(n > 0, "an empty database measures nothing");
        }
    }
}

/// What `crmwb check` prints: its exit code, stdout, and the reported head.
fn check(db: &Path, head: Option<&str>) -> (i32, String, String) {
    let mut c = crmwb(db);
    c.arg("check");
    if let Some(h) = head {
        c.args(["--audit-head", h]);
    }
    let out = c.output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let head = text
        .lines()
        .find_map(|l| l.strip_prefix("audit trail: "))
        .and_then(|l| l.split("; head ").nth(1))
        .unwrap_or_else(|| panic!("no audit head in: {text}"))
        .to_string();
    (out.status.code().unwrap(), text, head)
}

/// A writer of the file going round the triggers the way the finding did:
/// through the erasure guard, an internal table.
fn behind_the_triggers(db: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!("INSERT INTO erasure_guard (open) VALUES (1); {sql}; DELETE FROM erasure_guard;"))
        .unwrap();
}

#[test]
fn finding_15_10_forged_audit_row_fails_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 0, "{out}");
    // An entry rewritten to blame someone else.
    behind_the_triggers(&db, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2");
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("entry 2 was changed"), "{out}");

    // An entry added from outside crmwb, no guard needed.
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, entity, details) VALUES ('2026-01-01T00:00:00Z', 'li', 'user.add', 'user', '{}')",
        [],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("entry {id} was added outside crmwb")), "{out}");
}

#[test]
fn finding_15_10_deleted_audit_row_fails_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    behind_the_triggers(&db, "DELETE FROM audit_log WHERE id = 3");
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("entry 3 was deleted"), "{out}");
}

#[test]
fn finding_15_10_changed_audit_row_fails_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    // Details changed, and passed off as an erasure: no erasure lists it.
    behind_the_triggers(&db, r#"UPDATE audit_log SET details = '{"erased":true}' WHERE id = 1"#);
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("entry 1 was changed"), "{out}");
    // A seal rewritten needs the chain's triggers dropped, and still breaks
    // the chain at that entry.
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_chain_no_update; UPDATE audit_chain SET chain = zeroblob(32) WHERE id = 1")
        .unwrap();
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("chain is broken at entry 1") && out.contains("audit_chain_no_update"), "{out}");
}

#[test]
fn finding_15_10_lawful_erasure_keeps_check_ok() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let number = first_number(&db);
    crmwb(&db).args(["customer", "edit", &number, "--set", "notes=改过的备注"]).assert().success();
    let (_, _, head) = check(&db, None);
    crmwb(&db).args(["erase", &number, "--reason", "PIPL 2026-7", "--yes"]).assert().success();
    let (code, out, _) = check(&db, Some(&head));
    assert_eq!(code, 0, "a lawful erasure broke the check: {out}");
    // The erasure's entry lists what it blanked, and only that passes.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let listed: String =
        conn.query_row("SELECT details FROM audit_log WHERE action = 'customer.erase'", [], |r| r.get(0)).unwrap();
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let blanked: Vec<i64> =
        listed["blanked_audit_entries"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert!(!blanked.is_empty(), "{listed}");
    let other: i64 = conn
        .query_row(
            &format!(
                "SELECT min(id) FROM audit_log WHERE action <> 'customer.erase' AND id NOT IN ({})",
                blanked.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    behind_the_triggers(&db, &format!(r#"UPDATE audit_log SET details = '{{"erased":true}}' WHERE id = {other}"#));
    let (code, out, _) = check(&db, None);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("entry {other} was changed")), "{out}");
}

#[test]
fn finding_15_10_audit_head_matches_and_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (code, out, head) = check(&db, None);
    assert_eq!(code, 0, "{out}");
    // Later entries leave an earlier head in the trail.
    crmwb(&db).args(["users", "add", "zhao", "--role", "service"]).assert().success();
    let (code, out, later) = check(&db, Some(&head));
    assert_eq!(code, 0, "{out}");
    assert_ne!(later, head);
    assert!(out.contains("contained"), "{out}");
    // A head this trail never had.
    let (id, _) = head.split_once(':').unwrap();
    let (code, out, _) = check(&db, Some(&format!("{id}:{}", "ab".repeat(32))));
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("is not in this trail"), "{out}");
    // A consistent rewrite: the last entry and its seal deleted (triggers
    // dropped), and crmwb writes a new entry in its place. The chain holds;
    // only the head kept elsewhere tells.
    let (last, _) = later.split_once(':').unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_chain_no_delete; DELETE FROM audit_chain WHERE id = {last};
         INSERT INTO erasure_guard (open) VALUES (1); DELETE FROM audit_log WHERE id = {last}; DELETE FROM erasure_guard;"
    ))
    .unwrap();
    crmwb(&db).args(["users", "add", "qian", "--role", "service"]).assert().success();
    let (code, out, rewritten) = check(&db, Some(&later));
    assert_eq!(code, 4, "{out}");
    assert!(rewritten.starts_with(&format!("{last}:")) && rewritten != later, "{rewritten} vs {later}");
    assert!(out.contains("is not in this trail"), "{out}");
    // Not a head at all: a clear error, not a check result.
    crmwb(&db).args(["check", "--audit-head", "nonsense"]).assert().code(1).stderr(predicate::str::contains("ID:HEX"));
}

#[test]
fn finding_15_10_restore_keeps_ids_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let bak = dir.path().join("backup.db");
    crmwb(&db).args(["backup", bak.to_str().unwrap()]).assert().success();
    crmwb(&db).args(["users", "add", "zhao", "--role", "service"]).assert().success();
    let (_, _, head) = check(&db, None);
    let top: i64 = head.split_once(':').unwrap().0.parse().unwrap();
    crmwb(&db).args(["restore", bak.to_str().unwrap(), "--yes"]).assert().success();
    // The entries written after the backup are still in the trail, with
    // their ids, and the old head is still a head of it.
    let (code, out, _) = check(&db, Some(&head));
    assert_eq!(code, 0, "{out}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (added, restore_id): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM audit_log WHERE action = 'user.add' AND entity_id = 'zhao'),
                    (SELECT id FROM audit_log WHERE action = 'database.restore')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(added, 1, "the restored-over trail was dropped");
    assert!(restore_id > top, "restore entry {restore_id} reuses an id up to {top}");

    // A backup of another database: its trail is not a prefix of this one.
    let other_dir = tempfile::tempdir().unwrap();
    let other = setup(other_dir.path());
    crmwb(&other).args(["users", "add", "sun", "--role", "service"]).assert().success();
    let other_bak = dir.path().join("other.db");
    crmwb(&other).args(["backup", other_bak.to_str().unwrap()]).assert().success();
    let (_, _, before) = check(&db, None);
    let before_top: i64 = before.split_once(':').unwrap().0.parse().unwrap();
    crmwb(&db).args(["restore", other_bak.to_str().unwrap(), "--yes"]).assert().success();
    let (code, out, after) = check(&db, Some(&before));
    assert_eq!(code, 0, "the replaced head is not named by the restore: {out}");
    let after_top: i64 = after.split_once(':').unwrap().0.parse().unwrap();
    assert!(after_top > before_top, "ids reused: {after} after {before}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let named: String =
        conn.query_row("SELECT details FROM audit_log WHERE id = ?1", [after_top], |r| r.get(0)).unwrap();
    assert!(named.contains(&before), "{named}");
    // A backup whose trail was tampered with is not restored.
    behind_the_triggers(&other_bak, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2");
    crmwb(&db)
        .args(["restore", other_bak.to_str().unwrap(), "--yes"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("audit trail is broken"));
}
