//! Issue 15's findings about leaks and sharing, through the CLI: masked data
//! on every read path, terminal-safe errors, private output files, a
//! database shared between OS users, and explained lock waits.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

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

fn all_output(c: &mut Command) -> (Option<i32>, String) {
    let out = c.output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// A mobile that must never be shown to a role without the right.
const SECRET: &str = "13912345678";

/// Two customers: one owned by li with the secret everywhere, one owned by wang.
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("crm.db");
    let csv = dir.join("leads.csv");
    std::fs::write(
        &csv,
        format!(
            "客户名称,手机,邮箱,地址,负责人,备注,合同金额\n\
             北京腾达科技有限公司,{SECRET},{SECRET}@163.com,北京市海淀区中关村大街1号,李明,请回电 {SECRET},50万\n\
             北京腾达科技公司,13800001111,,,王芳,,\n"
        ),
    )
    .unwrap();
    crmwb(&db).args(["import", csv.to_str().unwrap(), "--source", "leads"]).assert().success();
    crmwb(&db).args(["users", "add", "li", "--role", "sales", "--name", "李明"]).assert().success();
    crmwb(&db).args(["users", "add", "wang", "--role", "sales", "--name", "王芳"]).assert().success();
    crmwb(&db).args(["users", "add", "mk", "--role", "marketing"]).assert().success();
    crmwb(&db).args(["users", "add", "st", "--role", "steward"]).assert().success();
    db
}

fn numbers(db: &Path) -> Vec<String> {
    let out = stdout(crmwb(db).args(["customers", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_string()).collect()
}

fn assert_hidden(who: &str, what: &str, text: &str) {
    for secret in [SECRET, "中关村大街", "500000"] {
        assert!(!text.contains(secret), "{who} {what} shows {secret}:\n{text}");
    }
}

#[test]
fn finding_15_1_merge_dry_run_is_refused_without_rights_and_masked_without_sight() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let n = numbers(&db);
    // The admin's dry run shows the values (so the test would notice if the data lacked them).
    let admin = stdout(crmwb(&db).args(["merge", &n[0], &n[1], "--dry-run", "--json"]));
    assert!(admin.contains(SECRET), "{admin}");
    for who in ["wang", "mk"] {
        for json in [false, true] {
            let mut c = crmwb(&db);
            c.args(["--as", who, "merge", &n[0], &n[1], "--dry-run"]);
            if json {
                c.arg("--json");
            }
            let (code, text) = all_output(&mut c);
            assert_eq!(code, Some(3), "{who}: a dry run of a refused merge is refused:\n{text}");
            assert!(text.contains("may not match, merge"), "{text}");
            assert_hidden(who, "merge --dry-run", &text);
        }
    }
    // A steward may merge; without sensitive.view the preview is masked.
    crmwb(&db).args(["permissions", "set", "steward", "sensitive.view", "none"]).assert().success();
    for json in [false, true] {
        let mut c = crmwb(&db);
        c.args(["--as", "st", "merge", &n[0], &n[1], "--dry-run"]);
        if json {
            c.arg("--json");
        }
        let out = stdout(&mut c);
        assert!(out.contains("139****5678"), "{out}");
        assert_hidden("st", "merge --dry-run", &out);
    }
}

/// A header (and so an error quoting it) that would write the clipboard
/// (OSC 52), clear the screen and set the window title if printed raw.
const HOSTILE: &str = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{1b}]0;pwned\u{7}名称";

fn assert_inert(what: &str, bytes: &[u8]) {
    assert!(
        !bytes.iter().any(|b| *b == 0x1b || *b == 0x07 || *b == 0x9b),
        "{what} reached the terminal with control bytes: {:?}",
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn finding_15_7_errors_quoting_input_are_sanitised_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let csv = dir.path().join("evil.csv");
    std::fs::write(&csv, format!("{HOSTILE},手机\n北京腾达科技有限公司,13912345678\n")).unwrap();
    // The import's error path: a --key that names no column lists the headers.
    let out = crmwb(&db).args(["import", csv.to_str().unwrap(), "--source", "x", "--key", "nope"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope") && err.contains("^[]52"), "the header is quoted, made visible: {err}");
    assert_inert("import --key nope (stderr)", &out.stderr);
    assert_inert("import --key nope (stdout)", &out.stdout);
    // The key itself may be hostile too.
    let out = crmwb(&db).args(["import", csv.to_str().unwrap(), "--source", "x", "--key", HOSTILE]).output().unwrap();
    assert!(!out.status.success());
    assert_inert("import --key HOSTILE", &out.stderr);
    // A usage error quotes the argument it refuses.
    let out = crmwb(&db).args(["customers", "--limit", HOSTILE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_inert("a usage error", &out.stderr);
    // A mapping file whose error quotes its content.
    let map = dir.path().join("map.toml");
    std::fs::write(&map, format!("[columns]\n\"{HOSTILE}\" = 42\n")).unwrap();
    let out = crmwb(&db)
        .args(["import", csv.to_str().unwrap(), "--source", "x", "--mapping", map.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_inert("import --mapping", &out.stderr);
}

/// Every message to stderr in the CLI goes through one sanitising helper:
/// a new `eprintln!` would bypass it.
#[test]
fn finding_15_7_the_cli_prints_to_stderr_in_one_place() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("main.rs")];
    for e in std::fs::read_dir(src.join("cli")).unwrap() {
        files.push(e.unwrap().path());
    }
    let mut hits = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("output.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if ["eprintln!", "eprint!", "io::stderr()"].iter().any(|p| line.contains(p)) {
                hits.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "stderr written around output::to_stderr:\n{}", hits.join("\n"));
}

#[cfg(unix)]
fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn finding_15_9_exports_carry_the_database_mode() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // The umask most systems give users: without care, new files are 0644.
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = setup(d);
    assert_eq!(mode_of(&db), 0o600);
    let rejects = d.join("rejects.csv");
    std::fs::write(&rejects, "客户名称,手机\n上海宏远贸易有限公司,13700001111\n,\u{7}\n").unwrap();
    // An earlier export left world-readable: replaced, not reused.
    let loose = d.join("customers.csv");
    std::fs::write(&loose, "old").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = |name: &str| d.join(name).to_str().unwrap().to_string();
    let write_everything = |tag: &str| -> Vec<PathBuf> {
        let f = |name: &str| p(&format!("{tag}{name}"));
        crmwb(&db).args(["export", "customers", "--out", &f("customers.csv")]).assert().success();
        crmwb(&db).args(["export", "customers", "--format", "xlsx", "--out", &f("customers.xlsx")]).assert().success();
        crmwb(&db).args(["links", "--csv", "--out", &f("links.csv")]).assert().success();
        crmwb(&db).args(["match", "--pairs-csv", &f("pairs.csv")]).assert().success();
        crmwb(&db)
            .args(["import", rejects.to_str().unwrap(), "--source", &format!("x{tag}")])
            .args(["--rejected-csv", &f("rejected.csv"), "--save-mapping", &f("mapping.toml")])
            .assert()
            .success();
        crmwb(&db).args(["imports", "show", "1", "--rejected-csv", &f("shown.csv")]).assert().success();
        crmwb(&db).args(["backup", &f("backup.db")]).assert().success();
        ["customers.csv", "customers.xlsx", "links.csv", "pairs.csv", "mapping.toml", "shown.csv", "backup.db"]
            .iter()
            .map(|n| d.join(format!("{tag}{n}")))
            .collect()
    };
    for f in write_everything("") {
        assert_eq!(mode_of(&f), 0o600, "{} under umask 022 with a 0600 database", f.display());
    }
    assert_ne!(std::fs::read_to_string(&loose).unwrap(), "old");
    let rejected = d.join("rejected.csv");
    assert!(rejected.exists(), "the import rejected a row");
    assert_eq!(mode_of(&rejected), 0o600);
    // Shared with its group (0660): the files are the group's too, umask or not.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o660)).unwrap();
    let gid = std::fs::metadata(&db).unwrap().gid();
    for f in write_everything("g-") {
        assert_eq!(mode_of(&f), 0o660, "{} with a 0660 database", f.display());
        assert_eq!(std::fs::metadata(&f).unwrap().gid(), gid, "{}", f.display());
    }
    // No temporary file is left beside the outputs.
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The kernel's checks always pass for root, so the diagnosis is tested for
/// a made-up user (`Who`) against the files' real owner, group and mode;
/// run as another user, the CLI test below also checks the message itself.
#[cfg(unix)]
#[test]
fn finding_15_12_sharing_a_database_says_what_is_missing_and_init_group_sets_it_up() {
    use crm_workbench::store::sharing::{permission_problem, Who};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("team");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = home.join("crm.db");
    crmwb(&db).arg("init").assert().success();
    assert_eq!(mode_of(&db), 0o600);
    let gid = std::fs::metadata(&db).unwrap().gid();
    let stranger = Who { uid: 4_000_000, gids: vec![4_000_000] };
    let member = Who { uid: 4_000_001, gids: vec![gid] };
    // The default private file: a permission matter, with what to run.
    let why = permission_problem(&db, &stranger).expect("a stranger may not use a 0600 database");
    assert!(why.contains("permission denied") && why.contains("mode 0600"), "{why}");
    assert!(why.contains(&format!("crmwb init --group GROUP --db {}", db.display())), "{why}");
    // The file shared, but not the directory: the -wal/-shm files cannot be made.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o660)).unwrap();
    let why = permission_problem(&db, &member).expect("a 0755 directory keeps the group out");
    assert!(why.contains("directory") && why.contains("-wal") && why.contains("chmod 2770"), "{why}");
    // `init --group` shares the directory too; then a member has all they need.
    let group = {
        let out = std::process::Command::new("id").arg("-gn").output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let out = stdout(crmwb(&db).args(["init", "--group", &group]));
    assert!(out.contains("directory shared with group"), "{out}");
    let m = std::fs::metadata(&home).unwrap();
    assert_eq!(m.mode() & 0o2070, 0o2070, "{:o}", m.mode());
    assert_eq!(permission_problem(&db, &member), None);
    assert!(permission_problem(&db, &stranger).is_some());
    // Run as the owner, an unreadable file is diagnosed the same way by the CLI
    // (root bypasses the check, so this part runs only for other users).
    if unsafe { libc::geteuid() } != 0 {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o000)).unwrap();
        let (code, text) = all_output(crmwb(&db).args(["customers"]));
        assert_ne!(code, Some(0));
        assert!(text.contains("permission denied") && text.contains("crmwb init --group"), "{text}");
    }
}

/// A writer holds the lock (in one connection) while an import batch is
/// recorded as running; a write on another connection gives up after its
/// busy timeout and is told who holds the lock and what to do.
#[test]
fn finding_15_8_database_is_locked_says_who_holds_the_lock() {
    use crm_workbench::store::{OpenMode, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let busy_write = |store: &Store| {
        store.conn().busy_timeout(std::time::Duration::from_millis(100)).unwrap();
        let e = crm_workbench::store::meta_set(store.conn(), "probe", "1").expect_err("the lock is held");
        crm_workbench::cli::explain_busy(&db, e).to_string()
    };
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder
        .execute(
            "INSERT INTO import_batches (source, file_name, headers, mapping, actor, started_at, status, pid)
             VALUES ('crm', 'big.csv', '[]', '{}', 'alice', '2026-12-06T14:03:00Z', 'running', ?1)",
            [std::process::id()],
        )
        .unwrap();
    let batch = holder.last_insert_rowid();
    holder
        .execute_batch("BEGIN IMMEDIATE; UPDATE import_batches SET rows_read = 5000 WHERE status = 'running';")
        .unwrap();
    let store = Store::open(&db, OpenMode::Existing).unwrap();
    let text = busy_write(&store);
    for part in [
        "the database is busy",
        &format!("import batch {batch}"),
        "big.csv",
        "by alice",
        "started 2026-12-06T14:03:00Z",
        "holds the write lock",
        "try again when it finishes",
        "crmwb imports",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    // A batch left 'running' by a process that is gone (kill -9) holds no
    // lock and is not named as if it did.
    holder.execute_batch("COMMIT").unwrap();
    holder
        .execute(
            "INSERT INTO import_batches (source, file_name, headers, mapping, actor, started_at, status, pid)
             VALUES ('crm', 'killed.csv', '[]', '{}', 'bob', '2026-12-06T13:00:00Z', 'running', ?1)",
            [i32::MAX],
        )
        .unwrap();
    holder.execute_batch("BEGIN IMMEDIATE; UPDATE import_batches SET rows_read = rows_read;").unwrap();
    let text = busy_write(&store);
    assert!(text.contains("by alice") && !text.contains("killed.csv"), "{text}");
    // With no running batch on record, the message still says what happened and what to do.
    holder.execute_batch("UPDATE import_batches SET status = 'complete' WHERE status = 'running'; COMMIT; BEGIN IMMEDIATE; UPDATE import_batches SET rows_read = rows_read;").unwrap();
    let text = busy_write(&store);
    assert!(text.contains("the database is busy") && text.contains("try again"), "{text}");
    holder.execute_batch("ROLLBACK").unwrap();
}

/// The sibling of finding 9: the directory crmwb creates for a new database
/// is private like the file (`init --group` opens it to the group).
#[cfg(unix)]
#[test]
fn finding_15_9_a_new_database_directory_is_private() {
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team").join("crm.db");
    crmwb(&db).arg("init").assert().success();
    assert_eq!(mode_of(db.parent().unwrap()), 0o700);
}
