//! Merging, moving and unmerging through the `crmwb` binary, on small
//! hand-built exports imported with the real `crmwb import`.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn crmwb(db: &Path) -> Command {
    let mut c = Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en");
    c.env_remove("CRMWB_DB").arg("--db").arg(db);
    c
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

const SALES: &str = "客户编号,客户名称,联系人,手机,邮箱,城市,客户状态,渠道\n\
XS-1,北京星辰科技有限公司,王伟,13812345678,wang@xc.com,北京市,意向客户,展会\n\
XS-2,星辰科技,王伟,13812345678,,北京市,成交客户,\n\
XS-3,上海腾达贸易有限公司,李娜,13900001111,li@td.cn,上海市,潜在客户,官网\n";

const SERVICE: &str = "工单号,客户名称,联系人,手机,问题描述,日期\n\
T-1,北京星辰科技有限公司,王伟,13812345678,服务器无法启动,2024-05-01\n\
T-2,腾达贸易,张敏,13700002222,发票重开,2024-06-02\n";

/// A database with the two sources imported: customers 1–3 from sales, 4–5 from service.
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("crm.db");
    let sales = dir.join("sales.csv");
    std::fs::write(&sales, SALES).unwrap();
    crmwb(&db)
        .args(["import", sales.to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .args(["--map", "城市=city", "--map", "客户状态=status", "--map", "渠道=custom:渠道:text"])
        .assert()
        .success();
    let service = dir.join("service.csv");
    std::fs::write(&service, SERVICE).unwrap();
    crmwb(&db)
        .args(["import", service.to_str().unwrap(), "--source", "service", "--key", "工单号"])
        .args(["--map", "问题描述=interaction_summary", "--map", "日期=interaction_at", "--interaction-kind", "ticket"])
        .assert()
        .success();
    db
}

/// The number of the i-th customer imported (numbers carry the year of import).
fn number(db: &Path, i: u32) -> String {
    let list = json(&crmwb(db).args(["customers", "--json", "--limit", "1"]).output().unwrap().stdout);
    let first = list[0]["number"].as_str().unwrap();
    let prefix = &first[..first.find('-').unwrap()];
    format!("{prefix}-{i:06}")
}

fn show(db: &Path, number: &str) -> Value {
    json(&crmwb(db).args(["customer", "show", number, "--json"]).output().unwrap().stdout)
}

fn links(db: &Path) -> String {
    String::from_utf8(crmwb(db).args(["links", "--csv"]).output().unwrap().stdout).unwrap()
}

/// Everything `customer show --json` says about a customer but its version,
/// timestamps and history (which grow with every change).
fn visible(db: &Path, number: &str) -> Value {
    let mut v = show(db, number);
    let m = v.as_object_mut().unwrap();
    for k in ["version", "updated_at", "history"] {
        m.remove(k);
    }
    for list in ["phones", "emails", "contacts", "interactions"] {
        for item in m.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            item.as_object_mut().unwrap().remove("id");
        }
    }
    v
}

fn live_numbers(db: &Path) -> Vec<String> {
    let list = json(&crmwb(db).args(["customers", "--json"]).output().unwrap().stdout);
    list.as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_string()).collect()
}

#[test]
fn manual_merge_with_picks_then_unmerge_restores_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (a, b, t) = (number(&db, 1), number(&db, 2), number(&db, 4));
    let before: Vec<Value> = [&a, &b, &t].iter().map(|n| visible(&db, n)).collect();
    let links_before = links(&db);

    // A dry run shows the field choices and changes nothing.
    let dry = json(
        &crmwb(&db)
            .args(["merge", &a, &b, &t, "--pick", &format!("status={b}"), "--dry-run", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    let fields = dry["preview"]["fields"].as_array().unwrap();
    let status = fields.iter().find(|f| f["field"] == "status").unwrap();
    assert_eq!(status["value"], "成交客户");
    assert_eq!(status["from_number"], b.as_str());
    assert_eq!(status["reason"]["kind"], "picked");
    assert_eq!(status["alternatives"].as_array().unwrap().len(), 3);
    assert_eq!(dry["preview"]["survivor"]["number"], a.as_str(), "the oldest survives");
    assert_eq!(dry["preview"]["rows"]["phones_collapsed"], 2, "the same mobile on all three is kept once");
    assert_eq!(live_numbers(&db).len(), 5);

    crmwb(&db)
        .args(["merge", &a, &b, &t, "--pick", &format!("status={b}")])
        .assert()
        .success()
        .stdout(predicate::str::contains("Merge #1").and(predicate::str::contains("picked")));

    // One golden record; the absorbed numbers find it; lists skip them.
    let live = live_numbers(&db);
    assert_eq!(live.len(), 3);
    assert!(!live.contains(&b) && !live.contains(&t));
    let golden = show(&db, &b);
    assert_eq!(golden["number"], a.as_str(), "an absorbed number finds its survivor");
    assert_eq!(golden["status"], "成交客户");
    assert_eq!(golden["name"], "北京星辰科技有限公司", "most complete name");
    let phones: Vec<&str> =
        golden["phones"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
    assert_eq!(phones, ["13812345678"], "identical numbers collapsed to one");
    assert_eq!(golden["contacts"].as_array().unwrap().len(), 1, "the same 王伟 three times is one contact");
    assert_eq!(golden["interactions"][0]["summary"], "服务器无法启动");
    assert_eq!(golden["sources"].as_array().unwrap().len(), 3);
    assert_eq!(golden["custom:渠道"], Value::Null);
    assert_eq!(golden["custom"]["custom:渠道"], "展会");
    let history = golden["history"].as_array().unwrap();
    let merge = history.iter().find(|h| h["action"] == "customer.merge").expect("audited");
    assert_eq!(merge["details"]["absorbed"], serde_json::json!([b, t]));
    let picked = merge["details"]["choices"].as_array().unwrap().iter().find(|c| c["field"] == "status").unwrap();
    assert_eq!((picked["from"].as_str(), picked["reason"].as_str()), (Some(b.as_str()), Some("picked")));
    assert!(!merge["actor"].as_str().unwrap().is_empty());
    crmwb(&db)
        .args(["customer", "show", &b])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("merged from {b}, {t}")))
        .stdout(predicate::str::contains(format!("{b} was merged into this customer")));

    // links --csv follows the merge.
    let l = links(&db);
    assert!(l.contains(&format!("sales,XS-2,{a}")) && l.contains(&format!("service,T-1,{a}")), "{l}");

    // Unmerge by the survivor: everything as it was.
    crmwb(&db).args(["unmerge", &a]).assert().success().stdout(predicate::str::contains("Merge #1 undone"));
    let after: Vec<Value> = [&a, &b, &t].iter().map(|n| visible(&db, n)).collect();
    assert_eq!(before, after);
    assert_eq!(links(&db), links_before);
    assert_eq!(live_numbers(&db).len(), 5);
    let history = show(&db, &a)["history"].clone();
    assert!(history.as_array().unwrap().iter().any(|h| h["action"] == "customer.unmerge"));
}

#[test]
fn absorbed_number_splits_out_and_nested_merges_unwind_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (a, b, c, t) = (number(&db, 1), number(&db, 2), number(&db, 3), number(&db, 4));
    let before: Vec<Value> = [&a, &b, &c, &t].iter().map(|n| visible(&db, n)).collect();
    crmwb(&db).args(["merge", &a, &b, &t]).assert().success();
    crmwb(&db).args(["merge", &a, &c]).assert().success();
    // B's merge has a later merge on top: refused, naming it.
    crmwb(&db).args(["unmerge", &b]).assert().failure().stderr(
        predicate::str::contains("later merge, #2").and(predicate::str::contains(format!("crmwb unmerge {a}"))),
    );
    crmwb(&db).args(["unmerge", &a]).assert().success().stdout(predicate::str::contains(format!("{c} restored")));
    // Now B splits out alone; T stays merged into A.
    crmwb(&db).args(["unmerge", &b, "--json"]).assert().success().stdout(predicate::str::contains("\"whole\": false"));
    assert_eq!(show(&db, &t)["number"], a.as_str());
    assert_eq!(show(&db, &b)["number"], b.as_str());
    crmwb(&db).args(["unmerge", &t]).assert().success();
    let after: Vec<Value> = [&a, &b, &c, &t].iter().map(|n| visible(&db, n)).collect();
    assert_eq!(before, after);
    crmwb(&db).args(["unmerge", &a]).assert().failure().stderr(predicate::str::contains("no merge to undo"));
}

#[test]
fn move_a_source_record_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (c, tenda) = (number(&db, 3), number(&db, 5));
    let before: Vec<Value> = [&c, &tenda].iter().map(|n| visible(&db, n)).collect();
    // The service ticket T-2 of 腾达贸易 belongs to 上海腾达贸易有限公司.
    crmwb(&db)
        .args(["move", "service", "T-2", "--to", &c])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 phones").and(predicate::str::contains("1 interactions")));
    assert!(links(&db).contains(&format!("service,T-2,{c}")));
    let shown = show(&db, &c);
    assert!(shown["interactions"].as_array().unwrap().iter().any(|i| i["summary"] == "发票重开"));
    assert!(shown["phones"].as_array().unwrap().iter().any(|p| p["number"] == "13700002222"));
    let left = show(&db, &tenda);
    assert!(left["interactions"].as_array().unwrap().is_empty());
    assert!(left["history"].as_array().unwrap().iter().any(|h| h["action"] == "source.move"));
    crmwb(&db).args(["move", "service", "T-2", "--to", &tenda]).assert().success();
    let after: Vec<Value> = [&c, &tenda].iter().map(|n| visible(&db, n)).collect();
    assert_eq!(before, after);
    crmwb(&db)
        .args(["move", "service", "nope", "--to", &c])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no source record `nope` in source `service`"));
}

#[test]
fn unmerge_waits_for_a_move_built_on_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (a, b, c) = (number(&db, 1), number(&db, 2), number(&db, 3));
    crmwb(&db).args(["merge", &a, &b]).assert().success();
    crmwb(&db).args(["move", "sales", "XS-2", "--to", &c]).assert().success();
    crmwb(&db)
        .args(["unmerge", &b])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("crmwb move sales XS-2 --to {a}")));
    crmwb(&db).args(["move", "sales", "XS-2", "--to", &a]).assert().success();
    crmwb(&db).args(["unmerge", &b]).assert().success();
    assert!(links(&db).contains(&format!("sales,XS-2,{b}")));
}

#[test]
fn survivorship_rules_are_stored_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (a, b) = (number(&db, 1), number(&db, 2));
    let status_of = |db: &Path| {
        let p = json(&crmwb(db).args(["merge", &a, &b, "--dry-run", "--json"]).output().unwrap().stdout);
        let f = p["preview"]["fields"].as_array().unwrap().iter().find(|f| f["field"] == "status").unwrap().clone();
        (f["value"].as_str().unwrap().to_string(), f["reason"].clone())
    };
    // Same import, same time: most_recent ties, and ties go to the survivor.
    assert_eq!(status_of(&db).0, "意向客户");
    crmwb(&db).args(["survivorship", "set", "status", "most_complete"]).assert().success();
    crmwb(&db).args(["survivorship", "set", "*", "source_priority"]).assert().success();
    crmwb(&db).args(["survivorship", "priority", "service", "sales"]).assert().success();
    let shown = json(&crmwb(&db).args(["survivorship", "show", "--json"]).output().unwrap().stdout);
    assert_eq!(shown["rules"]["status"]["rule"], "most_complete");
    assert_eq!(shown["rules"]["status"]["origin"], "set");
    assert_eq!(shown["rules"]["owner"]["rule"], "source_priority");
    assert_eq!(shown["source_priority"], serde_json::json!(["service", "sales"]));
    let (_, reason) = status_of(&db);
    assert_eq!(reason["rule"], "most_complete");
    crmwb(&db).args(["survivorship", "set", "status", "builtin"]).assert().success();
    let shown = json(&crmwb(&db).args(["survivorship", "show", "--json"]).output().unwrap().stdout);
    assert_eq!(shown["rules"]["status"]["rule"], "source_priority", "back to the default set with `*`");
    crmwb(&db)
        .args(["survivorship", "set", "status", "loudest"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a rule"));
    crmwb(&db)
        .args(["merge", &a, &b, "--pick", "colour=CRM1999-000001"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("`colour` is not a field"));
    crmwb(&db)
        .args(["merge", &a, &b, "--pick", &format!("status={}", number(&db, 3))])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not one of the customers being merged"));
}

#[test]
fn merging_an_absorbed_customer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (a, b, c) = (number(&db, 1), number(&db, 2), number(&db, 3));
    crmwb(&db).args(["merge", &a, &b]).assert().success();
    crmwb(&db)
        .args(["merge", &c, &b])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("{b} is already merged into {a}")));
    crmwb(&db).args(["merge", &a]).assert().failure();
}

/// Finding 15.6: after a merge, a re-import that changes the absorbed
/// customer's source row (mobile, notes, address) must follow that source
/// record: an unmerge gives the changes to the restored customer (not to
/// the survivor as "edited after the merge"), and undoing the re-import
/// removes exactly what it added, on both customers.
#[test]
fn finding_15_6_reimport_between_merge_and_unmerge_follows_source_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let sales = dir.path().join("sales.csv");
    let import = |csv: &str| {
        std::fs::write(&sales, csv).unwrap();
        crmwb(&db)
            .args(["import", sales.to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
            .args([
                "--map",
                "城市=city",
                "--map",
                "地址=address",
                "--map",
                "备注=notes",
                "--map",
                "首次联系=first_contact",
            ])
            .assert()
            .success();
    };
    let head = "客户编号,客户名称,联系人,手机,城市,地址,备注,首次联系\n";
    let a_row = "XS-1,北京星辰科技有限公司,王伟,13812345678,北京市,北京市海淀区中关村大街1号,老客户,2023-01-05\n";
    import(&format!("{head}{a_row}XS-2,星辰科技,李娜,13900001111,北京市,,,2022-03-01\n"));
    let (a, b) = (number(&db, 1), number(&db, 2));
    let before_merge: Vec<Value> = [&a, &b].iter().map(|n| visible(&db, n)).collect();

    // B's address and first contact win where A has none or a later one.
    crmwb(&db).args(["merge", &a, &b, "--pick", &format!("first_contact={b}")]).assert().success();
    // The re-import changes B's row: a new mobile, notes, an address.
    import(&format!("{head}{a_row}XS-2,星辰科技,李娜,13700002222,北京市,北京市朝阳区建国路8号,重要,2022-03-01\n"));
    crmwb(&db).args(["unmerge", &b]).assert().success();

    let (va, vb) = (visible(&db, &a), visible(&db, &b));
    assert_eq!(va, before_merge[0], "A is as before the merge: nothing of B's re-imported row stays on it");
    assert_eq!(vb["mobile"], "13700002222");
    assert_eq!(vb["notes"], "重要");
    assert_eq!(vb["address"], "北京市朝阳区建国路8号");
    let phones: Vec<&str> = vb["phones"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
    assert!(phones.contains(&"13700002222"), "the re-imported phone went back with its record: {phones:?}");

    // Undoing the re-import removes exactly what it added.
    crmwb(&db).args(["imports", "undo", "2"]).assert().success();
    let after_undo: Vec<Value> = [&a, &b].iter().map(|n| visible(&db, n)).collect();
    assert_eq!(after_undo, before_merge);
}

/// Imports `csv` as source `sales` keyed by 客户编号, with 城市 and 备注 mapped.
fn import_sales(db: &Path, dir: &Path, csv: &str) {
    let sales = dir.join("sales.csv");
    std::fs::write(&sales, csv).unwrap();
    crmwb(db)
        .args(["import", sales.to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .args(["--map", "城市=city", "--map", "备注=notes"])
        .assert()
        .success();
}

/// Finding 15.6, sibling: the survivor's own record is re-imported while it
/// is merged and the merge chose another member's value. The change is the
/// survivor's own: the golden record keeps the merge's choice, the unmerge
/// gives the survivor the re-imported value, undo takes it back.
#[test]
fn survivor_record_reimported_while_merged_where_another_value_won() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let head = "客户编号,客户名称,联系人,手机,城市,备注\n";
    let b_row = "XS-2,星辰科技,李娜,13900001111,上海市,\n";
    import_sales(&db, dir.path(), &format!("{head}XS-1,北京星辰科技有限公司,王伟,13812345678,北京市,\n{b_row}"));
    let (a, b) = (number(&db, 1), number(&db, 2));
    crmwb(&db).args(["merge", &a, &b, "--pick", &format!("city={b}")]).assert().success();
    assert_eq!(visible(&db, &a)["city"], "上海市");

    import_sales(&db, dir.path(), &format!("{head}XS-1,北京星辰科技有限公司,王伟,13812345678,广州市,\n{b_row}"));
    assert_eq!(visible(&db, &a)["city"], "上海市", "the merge's choice stays on the golden record");
    let out = crmwb(&db).args(["unmerge", &b]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("kept on"), "nothing was edited by hand");
    assert_eq!(visible(&db, &a)["city"], "广州市", "the survivor's own re-imported value");
    assert_eq!(visible(&db, &b)["city"], "上海市");

    crmwb(&db).args(["imports", "undo", "2"]).assert().success();
    assert_eq!(visible(&db, &a)["city"], "北京市");
}

/// Finding 15.6, sibling: a record carried by the first of two merges on
/// one survivor is re-imported. The change climbs through both merges'
/// results, so the later merge does not take it for a hand edit; each
/// unmerge gives back what it should.
#[test]
fn reimport_through_first_of_several_merges_on_one_survivor() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let head = "客户编号,客户名称,联系人,手机,城市,备注\n";
    let rows = |b_notes: &str| {
        format!(
            "{head}XS-1,北京星辰科技有限公司,王伟,13812345678,北京市,\n\
             XS-2,星辰科技,李娜,13900001111,北京市,{b_notes}\n\
             XS-3,上海腾达贸易有限公司,张敏,13700002222,上海市,\n"
        )
    };
    import_sales(&db, dir.path(), &rows("老客户"));
    let (a, b, c) = (number(&db, 1), number(&db, 2), number(&db, 3));
    let a_before = visible(&db, &a);
    crmwb(&db).args(["merge", &a, &b]).assert().success();
    crmwb(&db).args(["merge", &a, &c]).assert().success();
    assert_eq!(visible(&db, &a)["notes"], "老客户");

    import_sales(&db, dir.path(), &rows("重要"));
    assert_eq!(visible(&db, &a)["notes"], "重要", "the golden record shows the re-imported value");
    let out = crmwb(&db).args(["unmerge", &c]).output().unwrap();
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("kept on"),
        "the later merge does not take the re-import for a hand edit: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(visible(&db, &a)["notes"], "重要", "still the first merge's result");
    crmwb(&db).args(["unmerge", &b]).assert().success();
    assert_eq!(visible(&db, &a), a_before);
    assert_eq!(visible(&db, &b)["notes"], "重要");
}

/// A survivor A without a mobile and a member B merged into it with B's
/// mobile picked: the survivor shows a number only the merge brought.
fn merged_with_the_members_mobile() -> (tempfile::TempDir, PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let head = "客户编号,客户名称,联系人,手机,城市,备注\n";
    import_sales(
        &db,
        dir.path(),
        &format!("{head}XS-1,北京星辰科技有限公司,王伟,,北京市,\nXS-2,星辰科技,李娜,13900001111,北京市,\n"),
    );
    let (a, b) = (number(&db, 1), number(&db, 2));
    crmwb(&db).args(["merge", &a, &b, "--pick", &format!("mobile={b}")]).assert().success();
    (dir, db, a, b)
}

/// An edit that types in the value the survivor already shows, where only a
/// merged member brought it, changes no field but gives the survivor a row
/// of its own: that is written to the audit trail, and the number stays
/// with the survivor at the unmerge.
#[test]
fn number_typed_in_as_shown_is_audited_and_stays_at_the_unmerge() {
    let (_dir, db, a, b) = merged_with_the_members_mobile();
    assert_eq!(show(&db, &a)["mobile"], "13900001111", "the merge brought B's mobile");
    let before = show(&db, &a);

    let out = crmwb(&db).args(["customer", "edit", &a, "--set", "mobile=13900001111", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after = show(&db, &a);
    assert_eq!(after["version"], before["version"], "no field changed, so the version stays");
    let edits: Vec<&Value> =
        after["history"].as_array().unwrap().iter().filter(|e| e["action"] == "customer.edit").collect();
    assert_eq!(edits.len(), 1, "audited once: {}", after["history"]);
    assert_eq!(edits[0]["details"]["own_rows"], serde_json::json!(["mobile"]));

    crmwb(&db).args(["unmerge", &b]).assert().success();
    let phones: Vec<String> =
        show(&db, &a)["phones"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap().to_string()).collect();
    assert!(phones.contains(&"13900001111".to_string()), "typed in by hand, it stays: {phones:?}");
}

/// Review finding: the same typed-in number beside a change of another
/// field is audited in that edit's entry.
#[test]
fn number_typed_in_as_shown_beside_a_change_is_audited_with_it() {
    let (_dir, db, a, _) = merged_with_the_members_mobile();
    crmwb(&db)
        .args(["customer", "edit", &a, "--set", "mobile=13900001111", "--set", "notes=老客户"])
        .assert()
        .success();
    let after = show(&db, &a);
    let edits: Vec<&Value> =
        after["history"].as_array().unwrap().iter().filter(|e| e["action"] == "customer.edit").collect();
    assert_eq!(edits.len(), 1, "{}", after["history"]);
    assert_eq!(edits[0]["details"]["own_rows"], serde_json::json!(["mobile"]));
    assert_eq!(edits[0]["details"]["changes"][0]["field"], "notes");
}
