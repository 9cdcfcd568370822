//! `crmwb customer add|edit`, `crmwb contact add` and the `customers`
//! filters, driven through the built binary: the same rules as the importer,
//! refusals that name the rule, nothing written when refused.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn crmwb(db: &Path) -> Command {
    let mut c = Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en");
    c.env_remove("CRMWB_DB").arg("--db").arg(db);
    c
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(name)
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn run(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = crmwb(db).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn count(db: &Path) -> usize {
    json(&crmwb(db).args(["customers", "--json"]).output().unwrap().stdout).as_array().unwrap().len()
}

#[test]
fn add_normalises_like_an_import_and_refuses_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (code, out, err) = run(
        &db,
        &[
            "customer",
            "add",
            "--json",
            "--set",
            "name=北京星辰科技有限公司",
            "--set",
            "phone=138-1234-5678",
            "--set",
            "industry=软件",
            "--set",
            "contact_name=王伟(总)",
            "--set",
            "status=意向",
            "--set",
            "first_contact=2026/3/1",
            "--set",
            "custom:渠道:text=展会",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let c = json(out.as_bytes());
    let number = c["number"].as_str().unwrap().to_string();
    assert_eq!(c["mobile"], "13812345678");
    assert_eq!(c["status"], "意向客户");
    assert_eq!(c["first_contact"], "2026-03-01");
    assert_eq!(c["industry"], "信息传输、软件和信息技术服务业");
    assert_eq!(c["contact_name"], "王伟");
    assert_eq!(c["flags"], serde_json::json!([]));
    let show = json(&crmwb(&db).args(["customer", "show", &number, "--json"]).output().unwrap().stdout);
    assert_eq!(show["contacts"][0]["name"], "王伟");
    assert_eq!(show["contacts"][0]["title"], "总");
    assert_eq!(show["custom"]["custom:渠道"], "展会");
    assert_eq!(show["history"][0]["action"], "customer.create");

    // Incomplete but valid: added and flagged.
    let (code, out, _) = run(&db, &["customer", "add", "--set", "name=南方贸易有限公司"]);
    assert!(code == 0 && out.contains("待完善"), "{out}");

    for (sets, needle) in [
        (vec!["name=坏号码有限公司", "mobile=12345"], "mobile.format"),
        (vec!["name=坏邮件有限公司", "email=not-an-address"], "email.format"),
        (vec!["name=坏日期有限公司", "next_followup=2026-02-30"], "date.format"),
        (vec!["name=坏状态有限公司", "status=maybe"], "status.allowed"),
        (vec!["name=成交有限公司", "status=成交客户"], "status.won_needs_contract"),
        (vec!["mobile=abc"], "mobile.format"),
        (vec!["notes=nobody"], "row.identity"),
        (vec!["number=CRM2026-000009"], "assigned by crmwb"),
        (vec!["colour=red"], "not a target field"),
        (vec!["interaction_summary=hi"], "crmwb log"),
        (vec!["name"], "FIELD=VALUE"),
        (vec!["name=甲公司", "name=乙公司"], "twice"),
    ] {
        let mut args = vec!["customer", "add"];
        for s in &sets {
            args.extend(["--set", s]);
        }
        let (code, _, err) = run(&db, &args);
        assert_eq!(code, 1, "{sets:?} should be refused");
        assert!(err.contains(needle), "{sets:?}: {err}");
    }
    assert_eq!(count(&db), 2, "a refused customer is not written");
}

#[test]
fn edit_goes_through_the_shared_edit_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let c = json(
        &crmwb(&db)
            .args(["customer", "add", "--json", "--set", "name=编辑有限公司", "--set", "email=a@example.com"])
            .output()
            .unwrap()
            .stdout,
    );
    let n = c["number"].as_str().unwrap();
    let (code, out, err) = run(&db, &["customer", "edit", n, "--set", "owner=张三", "--set", "status=意向"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("owner (empty) → 张三") && out.contains("status (empty) → 意向客户"), "{out}");
    let (code, _, err) = run(&db, &["customer", "edit", n, "--set", "mobile=12345", "--set", "owner=李四"]);
    assert!(code == 1 && err.contains("mobile.format"), "{err}");
    let (code, _, err) = run(&db, &["customer", "edit", n, "--set", "status=won"]);
    assert!(code == 1 && err.contains("status.won_needs_contract") && err.contains("crmwb status"), "{err}");
    let (code, _, err) = run(&db, &["customer", "edit", n, "--set", "status=lost"]);
    assert!(code == 1 && err.contains("status.lost_needs_reason"), "{err}");
    let (code, _, err) = run(&db, &["customer", "edit", n, "--set", "phone=13812345678"]);
    assert!(code == 1 && err.contains("mobile"), "{err}");
    let (code, out, _) = run(&db, &["customer", "edit", n, "--set", "email=", "--json"]);
    assert_eq!(code, 0);
    let v = json(out.as_bytes());
    assert_eq!(v["changes"][0], serde_json::json!({"field": "email", "old": "a@example.com", "new": null}));
    let show = json(&crmwb(&db).args(["customer", "show", n, "--json"]).output().unwrap().stdout);
    assert_eq!((show["owner"].as_str(), show["email"].as_null()), (Some("张三"), Some(())));
    let edits = show["history"].as_array().unwrap().iter().filter(|h| h["action"] == "customer.edit").count();
    assert_eq!(edits, 2, "two edits saved, the refused ones not");
    let (code, _, err) = run(&db, &["customer", "edit", "CRM1999-000001", "--set", "owner=x"]);
    assert!(code == 1 && err.contains("CRM1999-000001"), "{err}");
}

#[test]
fn contacts_are_added_with_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let c =
        json(&crmwb(&db).args(["customer", "add", "--json", "--set", "name=联系人有限公司"]).output().unwrap().stdout);
    let n = c["number"].as_str().unwrap();
    let (code, _, err) = run(&db, &["contact", "add", n, "--set", "title=技术总监"]);
    assert!(code == 1 && err.contains("needs a name"), "{err}");
    let (code, _, err) = run(&db, &["contact", "add", n, "--set", "name=李雷", "--set", "email=li@@x"]);
    assert!(code == 1 && err.contains("email.format"), "{err}");
    let (code, _, err) = run(&db, &["contact", "add", n, "--set", "name=李雷", "--set", "age=40"]);
    assert!(code == 1 && err.contains("name, title"), "{err}");
    let (code, out, err) = run(
        &db,
        &["contact", "add", n, "--set", "name=李雷", "--set", "title=技术总监", "--set", "phone=010 6234 5678"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("李雷 (技术总监)"), "{out}");
    let show = json(&crmwb(&db).args(["customer", "show", n, "--json"]).output().unwrap().stdout);
    let k = &show["contacts"][0];
    assert_eq!((k["name"].as_str(), k["landline"].as_str()), (Some("李雷"), Some("010-62345678")));
    // A logged interaction can name the contact now.
    crmwb(&db).args(["log", n, "--kind", "visit", "--note", "demo", "--contact", "李雷"]).assert().success();
    crmwb(&db).args(["log", n, "--kind", "visit", "--note", "demo", "--contact", "韩梅梅"]).assert().code(1);
}

#[test]
fn customers_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db)
        .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .assert()
        .success();
    let all = count(&db);
    let list = |args: &[&str]| {
        let mut a = vec!["customers", "--json"];
        a.extend(args);
        let out = crmwb(&db).args(&a).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout).as_array().unwrap().clone()
    };
    let interested = list(&["--status", "意向"]);
    assert!(!interested.is_empty() && interested.len() < all);
    assert!(interested.iter().all(|c| c["status"] == "意向客户"));
    assert_eq!(list(&["--status", "interested"]).len(), interested.len());
    let owner = interested[0]["owner"].as_str().unwrap().to_string();
    let owned = list(&["--owner", &owner]);
    assert!(!owned.is_empty() && owned.iter().all(|c| c["owner"] == owner.as_str()));
    let both = list(&["--owner", &owner, "--status", "意向客户"]);
    assert!(!both.is_empty() && both.len() <= owned.len() && both.iter().all(|c| c["status"] == "意向客户"));
    let flagged = list(&["--flag", "待完善"]);
    assert!(!flagged.is_empty() && flagged.len() < all);
    assert!(flagged.iter().all(|c| c["flags"].as_array().unwrap().iter().any(|f| f == "待完善")));
    let name = list(&["--search", "恒安群"]);
    assert!(!name.is_empty() && name.iter().all(|c| c["name"].as_str().unwrap().contains("恒安群")));
    let mobile = interested.iter().find_map(|c| c["mobile"].as_str()).unwrap().to_string();
    let dashed = format!("{}-{}-{}", &mobile[..3], &mobile[3..7], &mobile[7..]);
    let by_phone = list(&["--search", &dashed]);
    assert!(by_phone.iter().any(|c| c["mobile"] == mobile.as_str()), "{dashed}");
    assert!(list(&["--search", "100%_"]).is_empty(), "LIKE wildcards are literal");
    let (code, _, err) = run(&db, &["customers", "--status", "maybe"]);
    assert!(code == 2 && err.contains("status.allowed"), "{err}");
    let (code, out, _) = run(&db, &["customers", "--search", "不存在的公司名"]);
    assert!(code == 0 && out.contains("No customer matches"), "{out}");
    assert_eq!(list(&["--limit", "2", "--status", "意向"]).len(), 2);
}

/// Issue 15, finding 13: `customers --limit 0` printed "No customers yet"
/// on a full database. A limit of 0 is a usage error (here and for
/// `audit` and `import`), nothing on stdout.
#[test]
fn finding_15_13_limit_0_is_a_usage_error_not_no_customers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "客户名称,手机\n北京星辰科技有限公司,13812345678\n").unwrap();
    let (code, _, err) = run(&db, &["import", csv.to_str().unwrap(), "--source", "s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&db), 1);
    for args in [
        vec!["customers", "--limit", "0"],
        vec!["customers", "--json", "--limit", "0"],
        vec!["audit", "--limit", "0"],
        vec!["import", csv.to_str().unwrap(), "--source", "s", "--limit", "0"],
    ] {
        let (code, out, err) = run(&db, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(!err.contains("No customers yet") && err.contains("--limit"), "{args:?}: {err}");
    }
    let (code, out, _) = run(&db, &["customers", "--limit", "1"]);
    assert_eq!(code, 0);
    assert!(out.contains("北京星辰科技有限公司"), "{out}");
}
