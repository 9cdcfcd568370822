//! Drives the built `crmwb` binary end to end.

use assert_cmd::Command;
use predicates::prelude::*;
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

#[test]
fn init_is_idempotent_and_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/crm.db");
    crmwb(&db).arg("init").assert().success().stdout(predicate::str::contains("created"));
    crmwb(&db)
        .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .assert()
        .success();
    let before = crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout;
    crmwb(&db).arg("init").assert().success().stdout(predicate::str::contains("already exists"));
    let after = crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout;
    assert_eq!(before, after, "a second init changed the data");
    assert!(!json(&after).as_array().unwrap().is_empty());
}

#[test]
fn import_list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db)
        .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .assert()
        .success()
        .stdout(predicate::str::contains("客户名称").and(predicate::str::contains("→ name")))
        .stdout(predicate::str::contains("imported"));

    let list = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    let list = list.as_array().unwrap();
    let first = &list[0];
    for field in
        ["number", "name", "kind", "industry", "status", "mobile", "landline", "email", "first_contact", "owner"]
    {
        assert!(first.get(field).is_some(), "missing key {field} in {first}");
    }
    let number = first["number"].as_str().unwrap();
    assert!(number.starts_with("CRM") && number.len() >= "CRM2026-000001".len(), "{number}");

    let limited = json(&crmwb(&db).args(["customers", "--json", "--limit", "3"]).output().unwrap().stdout);
    assert_eq!(limited.as_array().unwrap().len(), 3);

    let shown = json(&crmwb(&db).args(["customer", "show", number, "--json"]).output().unwrap().stdout);
    assert_eq!(shown["number"], first["number"]);
    assert_eq!(shown["name"], first["name"]);
    assert_eq!(shown["sources"][0]["source"], "sales");

    crmwb(&db).args(["customer", "show", number]).assert().success().stdout(predicate::str::contains("Source records"));
    crmwb(&db)
        .args(["customer", "show", "CRM1999-999999"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no customer numbered `CRM1999-999999`"));

    // The human list shows every customer the JSON list has.
    let human = crmwb(&db).arg("customers").output().unwrap().stdout;
    assert_eq!(String::from_utf8(human).unwrap().lines().count(), list.len() + 1);
}

#[test]
fn reimport_skips_unchanged_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = sample("service.xlsx");
    let args = ["import", file.to_str().unwrap(), "--source", "service", "--key", "工单号", "--json"];
    let first = json(&crmwb(&db).args(args).output().unwrap().stdout);
    let second = json(&crmwb(&db).args(args).output().unwrap().stdout);
    let c = |v: &serde_json::Value, k: &str| v["counts"][k].as_i64().unwrap();
    assert!(c(&first, "imported") > 0);
    assert_eq!(c(&second, "read"), c(&first, "read"));
    assert_eq!(c(&second, "imported"), 0);
    assert_eq!(c(&second, "updated"), 0);
    assert_eq!(c(&second, "unchanged") + c(&second, "rejected"), c(&second, "read"));
    let listed = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    assert_eq!(listed.as_array().unwrap().len() as i64, c(&first, "imported"), "re-import created customers");
}

#[test]
fn refuses_newer_schema_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).arg("init").assert().success();
    rusqlite::Connection::open(&db).unwrap().execute_batch("PRAGMA user_version = 999").unwrap();
    crmwb(&db)
        .arg("customers")
        .assert()
        .failure()
        .stderr(predicate::str::contains("schema version 999").and(predicate::str::contains("upgrade crmwb")))
        .stderr(predicate::str::contains("panicked").not());

    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "Dear diary, this is certainly not a database file. ".repeat(20)).unwrap();
    crmwb(&junk)
        .arg("customers")
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a crmwb database").and(predicate::str::contains("notes.txt")))
        .stderr(predicate::str::contains("panicked").not());
    assert!(std::fs::read(&junk).unwrap().starts_with(b"Dear diary"), "the foreign file was modified");

    crmwb(&dir.path().join("absent.db"))
        .arg("customers")
        .assert()
        .failure()
        .stderr(predicate::str::contains("crmwb init"));
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    crmwb(&db)
        .args(["import", empty.to_str().unwrap(), "--source", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty.csv").and(predicate::str::contains("header")));
    // Declared UTF-8, but row 2 holds a GBK-encoded cell: the error names
    // file, row and column, and the row before it is kept (batch incomplete).
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, b"name,city\nok,x\nfine,\xb1\xb1\xbe\xa9\n").unwrap();
    crmwb(&db)
        .args(["import", bad.to_str().unwrap(), "--source", "x", "--encoding", "utf-8"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.csv, row 2, column city").and(predicate::str::contains("UTF-8")));
    crmwb(&db).args(["imports"]).assert().success().stdout(predicate::str::contains("incomplete"));
    crmwb(&db)
        .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "s", "--map", "nope=name"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no column `nope`"));
}

#[test]
fn demo_never_touches_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("real.db");
    crmwb(&db).arg("init").assert().success();
    crmwb(&db).args(["demo", "--no-tui"]).assert().failure().stderr(predicate::str::contains("not a demo database"));
    crmwb(&db).args(["customers", "--json"]).assert().success().stdout("[]\n");

    let demo = dir.path().join("demo.db");
    crmwb(&demo)
        .args(["demo", "--no-tui"])
        .assert()
        .success()
        .stdout(predicate::str::contains("clusters wait for review"));
    let n = json(&crmwb(&demo).args(["customers", "--json"]).output().unwrap().stdout).as_array().unwrap().len();
    assert!(n > 50, "demo has {n} customers");
    // The duplicates are found, waiting for review.
    let q = json(&crmwb(&demo).args(["queue", "--json"]).output().unwrap().stdout);
    assert!(!q.as_array().unwrap().is_empty(), "{q}");
    // A demo database may be rebuilt: same content again, not doubled.
    crmwb(&demo).args(["demo", "--no-tui"]).assert().success();
    let again = json(&crmwb(&demo).args(["customers", "--json"]).output().unwrap().stdout).as_array().unwrap().len();
    assert_eq!(n, again);
}

#[test]
fn help_and_version() {
    Command::cargo_bin("crmwb")
        .unwrap()
        .env("CRMWB_LANG", "en")
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("crmwb"));
    for cmd in [
        vec!["--help"],
        vec!["import", "--help"],
        vec!["customers", "--help"],
        vec!["customer", "show", "--help"],
        vec!["demo", "--help"],
    ] {
        Command::cargo_bin("crmwb")
            .unwrap()
            .env("CRMWB_LANG", "en")
            .args(&cmd)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage"));
    }
}

#[test]
fn killed_import_leaves_a_consistent_resumable_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = dir.path().join("big.csv");
    let mut text = String::from("编号,客户名称,手机,城市\n");
    for i in 0..40_000u64 {
        text.push_str(&format!("K{i},客户{i}有限公司,1{:010},北京\n", 3_000_000_000 + i));
    }
    std::fs::write(&file, text).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("crmwb");
    let mut child = std::process::Command::new(&bin)
        .env("CRMWB_LANG", "en")
        .env_remove("CRMWB_DB")
        .args(["--db", db.to_str().unwrap(), "import", file.to_str().unwrap(), "--source", "big", "--key", "编号"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some chunks are committed but before it is done.
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let read: i64 = rusqlite::Connection::open(&db)
            .ok()
            .and_then(|c| c.query_row("SELECT rows_read FROM import_batches WHERE id = 1", [], |r| r.get(0)).ok())
            .unwrap_or(0);
        if read >= 5_000 || started.elapsed().as_secs() > 60 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let (read, imported): (i64, i64) = conn
        .query_row("SELECT rows_read, rows_imported FROM import_batches WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let customers: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
    assert!(read > 0 && read < 40_000, "killed too late to test anything: {read}");
    assert_eq!(customers, imported, "the committed counts match the committed rows");
    drop(conn);

    crmwb(&db).arg("imports").assert().success().stdout(predicate::str::contains("incomplete"));
    crmwb(&db).args(["imports", "resume", "1"]).assert().success();
    let listed = json(&crmwb(&db).args(["imports", "--json"]).output().unwrap().stdout);
    assert_eq!(listed[0]["status"], "complete");
    assert_eq!(listed[0]["rows_read"], 40_000);
    assert_eq!(listed[0]["rows_imported"], 40_000);
}

fn index_names(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn killed_bulk_import_gets_its_indexes_back_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).arg("init").assert().success();
    let all_indexes = index_names(&rusqlite::Connection::open(&db).unwrap());
    let file = dir.path().join("big.csv");
    let mut text = String::from("编号,客户名称,手机,邮箱,城市\n");
    for i in 0..40_000u64 {
        text.push_str(&format!("K{i},客户{i}有限公司,1{:010},c{i}@example.com,北京\n", 3_000_000_000 + i));
    }
    std::fs::write(&file, text).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("crmwb");
    let args = ["import", file.to_str().unwrap(), "--source", "big", "--key", "编号", "--bulk", "on"];
    let mut child = std::process::Command::new(&bin)
        .env("CRMWB_LANG", "en")
        .env_remove("CRMWB_DB")
        .arg("--db")
        .arg(&db)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it mid-load: some chunks committed, indexes dropped.
    let started = std::time::Instant::now();
    let mut dropped_seen = false;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let Ok(conn) = rusqlite::Connection::open(&db) else { continue };
        let read: i64 =
            conn.query_row("SELECT rows_read FROM import_batches WHERE id = 1", [], |r| r.get(0)).unwrap_or(0);
        dropped_seen |= conn
            .query_row("SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'bulk_load')", [], |r| r.get::<_, bool>(0))
            .unwrap_or(false);
        if read >= 5_000 || started.elapsed().as_secs() > 60 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let read: i64 = conn.query_row("SELECT rows_read FROM import_batches WHERE id = 1", [], |r| r.get(0)).unwrap();
    assert!(dropped_seen && read > 0 && read < 40_000, "killed too late to test anything: {read}");
    let during = index_names(&conn);
    for gone in ["customer_phones_number", "customer_emails_email", "customers_live_name_sort"] {
        assert!(!during.contains(&gone.to_string()), "{gone} was not dropped for the bulk load");
    }
    drop(conn);

    // The next process to open the database rebuilds them.
    crmwb(&db).arg("imports").assert().success().stdout(predicate::str::contains("incomplete"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    assert_eq!(index_names(&conn), all_indexes);
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let record: i64 = conn.query_row("SELECT count(*) FROM meta WHERE key = 'bulk_load'", [], |r| r.get(0)).unwrap();
    assert_eq!(record, 0);
    drop(conn);

    crmwb(&db).args(["imports", "resume", "1"]).assert().success();
    let listed = json(&crmwb(&db).args(["imports", "--json"]).output().unwrap().stdout);
    assert_eq!(listed[0]["status"], "complete");
    assert_eq!(listed[0]["rows_imported"], 40_000);
    let conn = rusqlite::Connection::open(&db).unwrap();
    assert_eq!(index_names(&conn), all_indexes);
    let phones: i64 = conn.query_row("SELECT count(*) FROM customer_phones", [], |r| r.get(0)).unwrap();
    assert_eq!(phones, 40_000);
}

#[test]
fn bulk_import_matches_a_row_by_row_import() {
    let dir = tempfile::tempdir().unwrap();
    let dump = |db: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut out = vec![index_names(&conn).join(",")];
        for sql in [
            "SELECT id, number, name, name_core, mobile, email, flags, batch_id FROM customers ORDER BY id",
            "SELECT id, source_key, row_number, raw, customer_id FROM source_records ORDER BY id",
            "SELECT id, customer_id, kind, number, is_primary, source_record_id FROM customer_phones ORDER BY id",
            "SELECT id, customer_id, email, is_primary, source_record_id FROM customer_emails ORDER BY id",
            "SELECT id, customer_id, name, title, mobile, source_record_id FROM contacts ORDER BY id",
            "SELECT id, row_number, column_name, rule, message FROM import_issues ORDER BY id",
            "SELECT last FROM number_seq",
        ] {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
                })
                .unwrap();
            out.extend(rows.map(|r| r.unwrap()));
        }
        out
    };
    let mut dumps = Vec::new();
    for bulk in ["off", "on"] {
        let db = dir.path().join(format!("{bulk}.db"));
        crmwb(&db)
            .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
            .args(["--bulk", bulk])
            .assert()
            .success();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let record: i64 =
            conn.query_row("SELECT count(*) FROM meta WHERE key = 'bulk_load'", [], |r| r.get(0)).unwrap();
        assert_eq!(record, 0, "the bulk load record outlived the import");
        dumps.push(dump(&db));
    }
    assert!(dumps[0].len() > 100);
    assert_eq!(dumps[0], dumps[1]);
}

#[test]
fn keymap_check_reports_file_and_line_and_accepts_good_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[customers]\nbindings = [\n  { keys = \"j\", action = \"cursor.dwn\", desc = \"Down\" },\n]\n",
    )
    .unwrap();
    let out = crmwb(&dir.path().join("k.db")).args(["keymap", "check"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{} line 3: unknown action `cursor.dwn`", bad.display())), "{err}");

    let good = dir.path().join("mine.toml");
    std::fs::write(&good, "[global]\nbindings = [{ keys = \"x\", action = \"app.quit\", desc = \"Leave\" }]\n")
        .unwrap();
    let out = crmwb(&dir.path().join("k.db")).args(["keymap", "check", "--over", "vim"]).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok ("));
    let out = crmwb(&dir.path().join("k.db")).args(["keymap", "check", "keymaps/vim.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let out =
        crmwb(&dir.path().join("k.db")).args(["keymap", "path"]).env("CRMWB_KEYMAP_FILE", &good).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("mine.toml (exists)"));
    // A bad keymap stops the workbench before it starts, with the same message.
    let out = crmwb(&dir.path().join("k.db")).args(["--keymap"]).arg(&bad).arg("tui").output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
}

/// Issue 16, finding 1: `customers --search` is the workbench's search: an
/// exact number, absorbed or not, finds its live customer; a run of digits
/// is part of a phone or of the number, never digits scattered over them;
/// pinyin initials find names; `--json` carries every phone and e-mail.
#[test]
fn finding_16_1_cli_search_is_the_workbench_search() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let add = |sets: &[&str]| {
        let mut c = crmwb(&db);
        c.args(["customer", "add", "--json"]);
        for s in sets {
            c.args(["--set", s]);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout)["number"].as_str().unwrap().to_string()
    };
    let a = add(&["name=成都辰雅运输有限公司", "mobile=17600471740", "email=zhang@chenya.cn"]);
    let b = add(&["name=成都辰亚运输有限公司", "mobile=13471740001", "landline=028-85551234"]);
    let c = add(&["name=北京星辰科技有限公司", "mobile=13900001111"]);
    let find = |q: &str| -> Vec<serde_json::Value> {
        let out = crmwb(&db).args(["customers", "--json", "--search", q]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout).as_array().unwrap().clone()
    };
    let numbers = |q: &str| -> Vec<String> {
        let mut v: Vec<String> = find(q).iter().map(|c| c["number"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(numbers("cdcy"), [a.as_str(), b.as_str()], "pinyin initials");
    assert_eq!(numbers("1347174"), [b.as_str()], "17600471740 holds those digits only scattered");
    assert_eq!(numbers("028 8555 1234"), [b.as_str()], "a landline however written");
    assert_eq!(numbers("chenya.cn"), Vec::<&str>::new(), "an e-mail part without @ is not searched");
    assert_eq!(numbers("@chenya"), [a.as_str()]);
    let all = find(&a);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["phones"], serde_json::json!(["17600471740"]));
    assert_eq!(all[0]["emails"], serde_json::json!(["zhang@chenya.cn"]));
    // Merge b into a: b's number now finds a, with b's phones.
    crmwb(&db).args(["merge", &a, &b, "--survivor", &a]).assert().success();
    assert_eq!(numbers(&b), [a.as_str()]);
    assert_eq!(numbers(&b.to_lowercase()), [a.as_str()]);
    let merged = find(&b);
    let phones: Vec<&str> = merged[0]["phones"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(phones.contains(&"13471740001") && phones.contains(&"028-85551234"), "{phones:?}");
    assert_eq!(numbers("1347174"), [a.as_str()]);
    // The rest of the filter narrows the search's answers.
    assert_eq!(numbers("cdcy").len(), 1);
    let out = crmwb(&db).args(["customers", "--search", "星辰", "--status", "成交客户"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("No customer matches"));
    let out = crmwb(&db).args(["customers", "--search", "星辰"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&c));
}

/// Issue 14, items 6 and 7 through the CLI: a template export's headers are
/// recognised, a guess is applied and marked (dry run and import alike),
/// the record key is suggested, and addresses are stored in full.
#[test]
fn import_recognises_template_headers_marks_guesses_and_settles_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = dir.path().join("template.csv");
    std::fs::write(
        &file,
        "客户编号,客户名称,联系电话（手机）,客户地址,跟进负责人,客户所在省份,首次接触时间\n\
         C1,星辰科技有限公司,138-1234-5678,宁波海曙区中山西路１００号,林峰,浙江,2024/3/5\n\
         C2,个人,13912345678,北京朝阳区建国路88号,林峰,,20240306\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    for dry in [true, false] {
        let mut cmd = crmwb(&db);
        cmd.args(["import", f, "--source", "t"]);
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains("客户地址") && out.contains("→ address\n"), "{out}");
        assert!(out.contains("→ owner\n"), "跟进负责人 is a known spelling: {out}");
        assert!(out.contains("→ province (guess"), "a word inside a header is a marked guess: {out}");
        assert!(out.contains("use --key '客户编号'"), "{out}");
    }
    let list = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    let show = |n: &serde_json::Value| {
        json(&crmwb(&db).args(["customer", "show", n.as_str().unwrap(), "--json"]).output().unwrap().stdout)
    };
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let all: Vec<serde_json::Value> = rows.iter().map(|r| show(&r["number"])).collect();
    let firm = all.iter().find(|c| c["name"] == "星辰科技有限公司").unwrap();
    assert_eq!(
        (&firm["province"], &firm["city"], &firm["district"], &firm["address"]),
        (&"浙江省".into(), &"宁波市".into(), &"海曙区".into(), &"浙江省宁波市海曙区中山西路100号".into())
    );
    assert_eq!(firm["owner"], "林峰");
    assert_eq!(firm["first_contact"], "2024-03-05");
    let person = all.iter().find(|c| c["name"] != "星辰科技有限公司").unwrap();
    assert_eq!(person["kind"], "person", "个人 is not a name but says what the customer is");
    assert_eq!((&person["city"], &person["address"]), (&"北京市".into(), &"北京市朝阳区建国路88号".into()));
}

/// Issue 16, finding 14: a bad `--status` is a usage error, as clap reports
/// them: exit 2, the reason on stderr, nothing on stdout.
#[test]
fn finding_16_14_bad_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).arg("init").assert().success();
    crmwb(&db)
        .args(["customers", "--status", "foo"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--status").and(predicate::str::contains("status.allowed")));
    crmwb(&db).args(["customers", "--status", "意向"]).assert().success();
    for args in [
        &["followups", "snooze", "CRM2026-000001", "--for", "2x"][..],
        &["followups", "done", "CRM2026-000001", "--note", "called", "--next", "2024-13-45"][..],
        &["log", "CRM2026-000001", "--kind", "call", "--note", "called", "--next", "2024-13-45"][..],
    ] {
        crmwb(&db).args(args).assert().code(2).stdout(predicate::str::is_empty());
    }
}

/// Issue 15, finding 13: `--config FILE` / `--mapping FILE` given a file
/// that is not TOML (a system file, a binary, a directory) failed with
/// errors that did not name the file. Each names it (already so on this
/// branch; kept as a regression test), as does `rules set`.
#[test]
fn finding_15_13_non_toml_config_and_mapping_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "客户名称,手机\n北京星辰科技有限公司,13812345678\n").unwrap();
    crmwb(&db).args(["import", csv.to_str().unwrap(), "--source", "s"]).assert().success();
    let passwd = dir.path().join("passwd");
    std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let binary = dir.path().join("ls");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00").unwrap();
    let folder = dir.path().join("etc");
    std::fs::create_dir(&folder).unwrap();
    for bad in [&passwd, &binary, &folder] {
        let name = bad.to_str().unwrap();
        for args in [
            vec!["match", "--config", name],
            vec!["import", csv.to_str().unwrap(), "--source", "s", "--mapping", name],
            vec!["rules", "set", name],
        ] {
            let out = crmwb(&db).args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains(name), "{args:?}: the error names the file: {err}");
        }
    }
}
/// A demo database built once per test that needs data to page through.
fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    crmwb(&db).args(["demo", "--no-tui"]).assert().success();
    db
}

/// Issue 16, finding 14: `crmwb customers --json | head` ends quietly with
/// status 0, whatever the command writes and in whichever format.
#[test]
fn finding_16_14_closed_pipe_is_quiet() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    for args in [
        &["customers", "--json"][..],
        &["customers"][..],
        &["export", "customers"][..],
        &["export", "customers", "--format", "json"][..],
        &["audit", "--json"][..],
        &["audit"][..],
        &["queue", "--json"][..],
        &["queue"][..],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crmwb"))
            .env("CRMWB_LANG", "en")
            .env_remove("CRMWB_DB")
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, as `head -c 100` does, and close the pipe.
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The README's CLI reference: the rows of the table under `## CLI reference`.
fn readme_cli_rows() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("\n## CLI reference\n").nth(1).expect("README has a `## CLI reference` section");
    let section = section.split("\n#").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `crmwb"))
        .map(|l| l.trim_start_matches('|').split(" | ").next().unwrap().to_string())
        .collect()
}

/// The words of a README command cell that follow `crmwb ` (options skipped).
fn commands_named(cell: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in cell.split("crmwb").skip(1) {
        let words = part.split(|c: char| !(c.is_ascii_lowercase() || c == '-')).filter(|w| !w.is_empty());
        names.extend(words.map(str::to_string));
    }
    names
}

/// Issue 16, finding 14: the README's CLI table lists every command and
/// every subcommand of the clap definition, so it cannot drift.
#[test]
fn finding_16_14_readme_lists_every_command() {
    use clap::CommandFactory;
    let rows = readme_cli_rows();
    let cli = crm_workbench::cli::Cli::command();
    let mut missing = Vec::new();
    for cmd in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = cmd.get_name();
        // The rows that document this command: their first word after `crmwb` is its name.
        let own: Vec<&String> = rows
            .iter()
            .filter(|r| r.split("crmwb ").skip(1).any(|p| p.split([' ', '`']).next() == Some(name)))
            .collect();
        if own.is_empty() {
            missing.push(name.to_string());
            continue;
        }
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set() && c.get_name() != "help") {
            if !own.iter().any(|r| commands_named(r).iter().any(|w| w == sub.get_name())) {
                missing.push(format!("{name} {}", sub.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "the README's CLI table lacks: {missing:?}");
}

/// Issue 16, finding 14: the README points only at files in the repository.
#[test]
fn finding_16_14_readme_points_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(!readme.contains("../"), "the README points outside the repository");
    // Every document it names is in the repository.
    for word in readme.split(|c: char| c.is_whitespace() || "`()[],;:".contains(c)) {
        if word.ends_with(".md") && !word.contains('*') {
            assert!(root.join(word).exists(), "the README names `{word}`, which is not in the repository");
        }
    }
}

/// Issue 16, finding 14: a command lists only the options that apply to it.
#[test]
fn finding_16_14_options_apply_to_their_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).args(["customers", "--help"]).assert().success().stdout(predicate::str::contains("--keymap").not());
    crmwb(&db).args(["customers", "--keymap", "vim"]).assert().code(2).stdout(predicate::str::is_empty());
    for cmd in ["tui", "demo"] {
        crmwb(&db).args([cmd, "--help"]).assert().success().stdout(predicate::str::contains("--keymap"));
    }
    crmwb(&db).arg("--help").assert().success().stdout(predicate::str::contains("--keymap"));
    // Still checked before anything runs, given before or after the command.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[global]\nnot.an.action = \"x\"\n").unwrap();
    crmwb(&db).arg("tui").arg("--keymap").arg(&bad).assert().failure();
    assert!(!db.exists(), "a bad keymap must be reported before the database is created");
}

/// Issue 16, finding 14: completions and man pages come from the CLI definition.
#[test]
fn finding_16_14_completions_and_man_page() {
    use clap::CommandFactory;
    crm_workbench::cli::Cli::command().debug_assert();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    for shell in ["bash", "zsh", "fish"] {
        crmwb(&db)
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("unmerge").and(predicate::str::contains("survivorship")));
    }
    crmwb(&db).args(["completions", "tcsh-ish"]).assert().code(2).stdout(predicate::str::is_empty());
    crmwb(&db).arg("man").assert().success().stdout(predicate::str::contains(".TH crmwb"));
    let man = dir.path().join("man");
    crmwb(&db).args(["man", "--out"]).arg(&man).assert().success();
    for page in ["crmwb.1", "crmwb-import.1", "crmwb-review-approve.1"] {
        assert!(man.join(page).exists(), "{page} not written");
    }
    assert!(!db.exists(), "completions and man pages need no database");
}

/// Issue 16, finding 13: `crmwb audit` reads as sentences (old → new, the
/// reason) in the user's time zone; `--json` keeps the raw entries.
#[test]
fn finding_16_13_audit_reads_as_sentences_in_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let out = crmwb(&db)
        .args(["customer", "add", "--json", "--set", "name=时区有限公司", "--set", "status=潜在客户"])
        .output()
        .unwrap();
    let number = json(&out.stdout)["number"].as_str().unwrap().to_string();
    crmwb(&db).args(["status", &number, "意向客户"]).assert().success();
    crmwb(&db).args(["customer", "edit", &number, "--set", "owner=林峰"]).assert().success();
    crmwb(&db).args(["status", &number, "潜在客户", "--reason", "预算推迟"]).assert().success();

    let raw = json(&crmwb(&db).args(["audit", "--json"]).output().unwrap().stdout);
    let newest = &raw[0];
    assert_eq!(newest["details"]["from"], "意向客户", "--json stays raw: {newest}");
    let utc = chrono::DateTime::parse_from_rfc3339(newest["at"].as_str().unwrap()).unwrap();
    let shanghai = (utc + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string();

    let text = crmwb(&db).env("TZ", "Asia/Shanghai").arg("audit").output().unwrap().stdout;
    let text = String::from_utf8(text).unwrap();
    for want in [
        "status 意向客户 → 潜在客户 (reason 预算推迟)",
        "owner — → 林峰",
        "status 潜在客户 → 意向客户",
        &format!("{shanghai}  "),
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("{\""), "raw JSON in\n{text}");
    // The customer's own history reads the same way.
    let shown = crmwb(&db).env("TZ", "Asia/Shanghai").args(["customer", "show", &number]).output().unwrap().stdout;
    let shown = String::from_utf8(shown).unwrap();
    assert!(shown.contains("status 意向客户 → 潜在客户 (reason 预算推迟)") && shown.contains(&shanghai), "{shown}");
}

/// Issue 16, finding 7: the demo is a real team: a user for every owner in
/// its data (a manager and sales), and a colleague for each other role, so
/// that owners, "mine" and every role can be tried with `--as`.
#[test]
fn finding_16_7_demo_is_a_real_team() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let users = String::from_utf8(crmwb(&db).args(["users", "list"]).output().unwrap().stdout).unwrap();
    let role_of = |login: &str| {
        let line = users.lines().find(|l| l.split_whitespace().next() == Some(login));
        line.unwrap_or_else(|| panic!("no user {login} in\n{users}")).to_string()
    };
    assert!(role_of("linfeng").contains("林峰") && role_of("linfeng").contains("sales"), "{users}");
    for (login, role) in [("wuhao", "manager"), ("kefu", "service"), ("shichang", "marketing"), ("shuju", "steward")] {
        assert!(role_of(login).contains(role), "{login} is no {role}:\n{users}");
    }
    // Every owner named in the data is a user, under that name.
    let customers = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    for owner in customers.as_array().unwrap().iter().filter_map(|c| c["owner"].as_str()) {
        assert!(users.contains(owner), "owner {owner} is no user:\n{users}");
    }
    // "Mine" is 林峰's own reminders.
    let mine = json(
        &crmwb(&db)
            .args(["--as", "linfeng", "followups", "--mine", "--due-within", "30", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    let reminders = mine["reminders"].as_array().unwrap();
    assert!(!reminders.is_empty(), "林峰 has no reminders of his own: {mine}");
    assert!(reminders.iter().all(|r| r["owner"] == "林峰"), "{mine}");
    // A salesman may not reassign; his manager may, to another of the team.
    let his = reminders[0]["number"].as_str().unwrap();
    crmwb(&db).args(["--as", "linfeng", "customer", "edit", his, "--set", "owner=郭鹏"]).assert().code(3);
    crmwb(&db).args(["--as", "wuhao", "customer", "edit", his, "--set", "owner=郭鹏"]).assert().success();
}

/// Issue 16, finding 15: `keymap check` reports every problem of a file,
/// each with its line, not only the first (serde's) one.
#[test]
fn finding_16_15_keymap_check_reports_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[global]\nbindings = [\n  { keys = \"q\", action = \"app.nope\", desc = \"x\" },\n  { keys = 5, action = \"app.quit\", desc = \"y\" },\n  { keys = \"w\", action = \"app.quit\", desc = \"y\", extra = 1 },\n  { keys = \"<Foo>\", action = 7 },\n]\n",
    )
    .unwrap();
    let out = crmwb(&dir.path().join("k.db")).args(["keymap", "check"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "line 3: unknown action `app.nope`",
        "line 4: keys must be a string",
        "line 5: unknown field `extra`",
        "line 6: action must be a string",
        "line 6: missing desc",
        "line 6: malformed key `<Foo>`: unknown key name `Foo`",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
}

/// Issue 16, finding 15: a demo leaves no temporary directory behind; without
/// `--db` it rebuilds the one demo database in the data directory.
#[test]
fn finding_16_15_demo_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, home) = (dir.path().join("tmp"), dir.path().join("home"));
    std::fs::create_dir_all(&tmp).unwrap();
    let demo = |db: Option<&Path>| {
        let mut c = Command::cargo_bin("crmwb").unwrap();
        c.env("CRMWB_LANG", "en");
        c.env_remove("CRMWB_DB").env("TMPDIR", &tmp).env("HOME", &home).env("XDG_DATA_HOME", home.join("data"));
        if let Some(db) = db {
            c.arg("--db").arg(db);
        }
        c.args(["demo", "--no-tui"]).assert().success();
    };
    demo(None);
    demo(None);
    demo(Some(&dir.path().join("kept.db")));
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let data: Vec<_> =
        std::fs::read_dir(home.join("data/crm-workbench")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(data.iter().any(|f| f == "demo.db"), "{data:?}");
}
/// Issue 16, finding 15: Ctrl-C while a demo imports its samples stops it
/// and still removes the unpacked samples. Whenever the signal lands (before,
/// during or after the import), nothing is left in the temporary directory.
#[test]
fn finding_16_15_demo_interrupted_by_ctrl_c_leaves_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crmwb"))
        .env_remove("CRMWB_DB")
        .env("TMPDIR", &tmp)
        .arg("--db")
        .arg(dir.path().join("demo.db"))
        .args(["demo", "--no-tui"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the samples to be unpacked, then interrupt.
    let start = std::time::Instant::now();
    while std::fs::read_dir(&tmp).unwrap().next().is_none() && start.elapsed() < std::time::Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let interrupted = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(interrupted.success() || out.status.success(), "{err}");
    if !out.status.success() && err.contains("interrupted") {
        assert!(err.contains("the next `crmwb demo` builds it again"), "{err}");
        // As a shell reports a command ended by Ctrl-C (128 + SIGINT).
        assert_eq!(out.status.code(), Some(130), "{err}");
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "left behind: {left:?}\n{err}");
}

#[test]
fn ticket_state_column_is_not_the_customer_status_and_the_mapping_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = dir.path().join("tickets.csv");
    let mut text = String::from("工单编号,客户简称,报修人,联系电话,状态\n");
    for (i, s) in ["待回访", "处理中", "已关闭", "处理中", "待回访", "已关闭"].iter().enumerate() {
        text.push_str(&format!("G{i},星辰{i}号科技有限公司,王伟,1381234567{i},{s}\n"));
    }
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    for dry in [true, false] {
        let mut cmd = crmwb(&db);
        cmd.args(["import", f, "--source", "tickets", "--key", "工单编号"]);
        if dry {
            cmd.arg("--dry-run");
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let out = String::from_utf8_lossy(&out);
        assert!(out.lines().any(|l| l.contains("报修人") && l.ends_with("→ contact_name")), "{out}");
        assert!(
            out.contains("状态") && out.contains("kept in raw row only: 6 of 6 sampled values are not a status"),
            "{out}"
        );
        assert!(out.contains("0 with warnings"), "{out}");
    }
}

/// Issue 16, finding 16: the language comes from `--lang`, then the config
/// file, then LC_ALL, LC_MESSAGES, LANG; what people read changes with it,
/// machine output (`--json`) does not.
#[test]
fn finding_16_16_the_language_of_the_summaries_and_never_of_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let no_config = dir.path().join("no-config.toml");
    let run = |lang_flag: Option<&str>, env: &[(&str, &str)], db: &Path| {
        let mut c = Command::cargo_bin("crmwb").unwrap();
        c.env_remove("CRMWB_DB").env_remove("CRMWB_LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES");
        c.env("LANG", "C.UTF-8").env("CRMWB_CONFIG_FILE", &no_config);
        for (k, v) in env {
            c.env(k, v);
        }
        c.arg("--db").arg(db);
        if let Some(l) = lang_flag {
            c.args(["--lang", l]);
        }
        c.args([
            "import",
            sample("sales.csv").to_str().unwrap(),
            "--source",
            "sales",
            "--key",
            "客户编号",
            "--dry-run",
        ]);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let zh = run(Some("zh"), &[], &db);
    assert!(zh.contains("字段映射：") && zh.contains("试运行（未写入）：读取 117 行"), "{zh}");
    let en = run(None, &[], &db);
    assert!(en.contains("Field mapping:") && en.contains("Dry run (nothing written): 117 rows read"), "{en}");
    assert!(run(None, &[("LANG", "zh_CN.UTF-8")], &db).contains("字段映射："));
    assert!(run(None, &[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "en_US.UTF-8")], &db).contains("Field mapping:"));
    assert!(run(None, &[("LC_MESSAGES", "zh_CN.UTF-8")], &db).contains("字段映射："));
    assert!(run(Some("en"), &[("LC_ALL", "zh_CN.UTF-8")], &db).contains("Field mapping:"), "the flag wins");
    std::fs::write(&no_config, "lang = \"zh\"\n").unwrap();
    assert!(run(None, &[("LC_ALL", "en_US.UTF-8")], &db).contains("字段映射："), "the config file beats the locale");
    assert!(run(Some("en"), &[], &db).contains("Field mapping:"), "the flag beats the config file");
    std::fs::remove_file(&no_config).unwrap();

    // Machine output is the same in both languages.
    crmwb(&db)
        .args(["import", sample("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"])
        .assert()
        .success();
    let list = |lang: &str| {
        let out = crmwb(&db).args(["--lang", lang, "customers", "--json"]).output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(list("zh"), list("en"));
    let reminders = |lang: &str| {
        let out = crmwb(&db).args(["--lang", lang, "followups", "--json", "--now", "2022-12-01"]).output().unwrap();
        assert!(out.status.success() || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let en = reminders("en");
    assert!(en.contains("\"reason\""), "{en}");
    assert_eq!(reminders("zh"), en, "a follow-up's reason in --json is English in both");
}

/// Opening a database of an earlier schema copies it before upgrading (a
/// pause, and a file as large as the database): the command says so once,
/// on stderr, naming the copy, and the next command says nothing.
#[test]
fn an_upgrade_says_once_where_the_database_as_it_was_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).arg("init").assert().success();
    {
        // Back to schema 16 (0017; there is no 0005): the two indexes 0018
        // drops, without the table 0019 adds, and its version.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE match_pairs_low_b;
             CREATE INDEX customers_live_name ON customers(name, id) WHERE merged_into IS NULL;
             CREATE INDEX customers_next_due ON customers(next_followup) WHERE merged_into IS NULL;
             PRAGMA user_version = 16;",
        )
        .unwrap();
    }
    let out = crmwb(&db).args(["customers", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let (before, after) = (
        err.find("upgrading the database from schema 16 to 18").expect("said before the pause"),
        err.find("upgraded the database from schema 16 to 18").expect("said after it"),
    );
    assert!(before < after, "{err}");
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".schema-v16"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(err.contains(&kept[0]), "the message names the copy: {err}");
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok(), "stdout stays JSON");
    let again = crmwb(&db).args(["customers", "--json"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&again.stderr).contains("upgrad"), "only once");
}

/// `crmwb init` on a database of an earlier schema upgrades it like any
/// command: it says so, and does not claim that nothing changed.
#[test]
fn init_on_an_earlier_schema_says_it_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    crmwb(&db).arg("init").assert().success();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "DROP TABLE match_pairs_low_b;
             CREATE INDEX customers_live_name ON customers(name, id) WHERE merged_into IS NULL;
             CREATE INDEX customers_next_due ON customers(next_followup) WHERE merged_into IS NULL;
             PRAGMA user_version = 16;",
        )
        .unwrap();
    let out = crmwb(&db).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (stdout, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(err.contains("upgrading the database from schema 16 to 18"), "{err}");
    assert!(err.contains("upgraded the database from schema 16 to 18"), "{err}");
    assert!(stdout.contains("upgraded to schema version 18") && !stdout.contains("nothing changed"), "{stdout}");
    let again = crmwb(&db).arg("init").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("upgrad"), "only once");
}

/// A birth date in a historical register (Splink's historical_50k: people
/// born from 1500 on) is a real date and is kept as the custom date it was
/// mapped to; the workbench's own dates (first contact) keep the window
/// that catches typos, with a warning naming the row and column.
#[test]
fn dates_a_record_carries_are_kept_however_old() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "id,name,dob,首次接触时间\nH1,Ada Lovelace,1815-12-10,2024-03-05\nH2,Charles Babbage,1791-12-26,1791-12-26\n",
    )
    .unwrap();
    crmwb(&db)
        .args(["import", file.to_str().unwrap(), "--source", "t", "--key", "id", "--map", "dob=custom:dob:date"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 imported").and(predicate::str::contains("1 with warnings")));
    let list = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    let show = |name: &str| {
        let n = list.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["number"].clone();
        json(&crmwb(&db).args(["customer", "show", n.as_str().unwrap(), "--json"]).output().unwrap().stdout)
    };
    let ada = show("Ada Lovelace");
    assert_eq!((&ada["custom"]["custom:dob"], &ada["first_contact"]), (&"1815-12-10".into(), &"2024-03-05".into()));
    let babbage = show("Charles Babbage");
    assert_eq!(babbage["custom"]["custom:dob"], "1791-12-26");
    assert!(babbage["first_contact"].is_null(), "a first contact in 1791 is a typo: {babbage}");
    let batch = crmwb(&db).args(["imports", "show", "1"]).output().unwrap().stdout;
    let batch = String::from_utf8_lossy(&batch);
    assert!(batch.contains("row 2 column 首次接触时间") && batch.contains("year 1791 is out of range"), "{batch}");
}

#[test]
fn the_printed_mapping_says_where_each_part_of_a_join_went() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let file = dir.path().join("accounts.csv");
    std::fs::write(&file, "Name,Address Line 1,Address Line 2,City\nAcme Pty,1 Main St,Level 2,Perth\n").unwrap();
    let out = crmwb(&db).args(["import", "--source", "crm", "--dry-run"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Address Line 1 + Address Line 2 → address (joined)"), "{s}");
    // Each part is read into the join: not "kept in raw row only".
    assert!(s.contains("Address Line 1 → address (joined above)"), "{s}");
    assert!(s.contains("Address Line 2 → address (joined above)"), "{s}");
    assert!(!s.contains("raw row only"), "{s}");
}
