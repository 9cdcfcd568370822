//! Duplicate detection through the CLI: a background population from the
//! sample generator teaches the model, hand-built hard negatives and true
//! duplicates are imported beside it, and the queue must tell them apart.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_crmwb"))
}

fn run(db: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin())
        .env("CRMWB_LANG", "en")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("CRMWB_USER", "tester")
        .output()
        .unwrap();
    out
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "crmwb {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Hand-built rows in the sales sheet's layout. Each hard negative of
/// docs/matching.md, and beside them genuine duplicates.
const HARD: &str = "\
客户编号,客户名称,客户类型,联系人,手机,座机,邮箱,城市,详细地址
H01,北京曜石云图科技有限公司,企业客户,韩立群,13911110001,010-88880001,hlq@yaoshi.cn,北京市,北京市海淀区知春路77号曜石大厦1101室
H02,上海曜石云图科技有限公司,企业客户,钱多多,13911110002,021-66660002,qdd@yaoshi-sh.cn,上海市,上海市浦东新区张江路88号2201室
H03,宁远澜图集团有限公司,企业客户,周启明,13911110003,0571-77770003,zqm@lantu.com,杭州市,杭州市西湖区文三路9号澜图中心1801室
H04,宁远澜图软件有限公司,企业客户,沈一舟,13911110004,0571-77770003,syz@lantu-soft.com,杭州市,杭州市滨江区网商路599号3号楼501室
H05,启辰恒远商贸有限公司,企业客户,方晓,13911110005,0755-83330005,fx@qchy.cn,深圳市,深圳市福田区深南大道1001号汇通中心1201室
H06,蓝澈海川物流有限公司,企业客户,邓佳,13911110006,0755-83330005,dj@lchc.cn,深圳市,深圳市福田区深南大道1001号汇通中心1507室
H07,青禾木作家具有限公司,企业客户,曹会计,13911110007,,,成都市,成都市武侯区天府大道1号
H08,闻溪茶业有限公司,企业客户,曹会计,13911110007,,,成都市,成都市锦江区春熙路3号
H09,王伟,个人客户,,13911110009,,,广州市,广州市天河区体育西路1号
H10,王伟,个人客户,,13911110010,,,广州市,广州市越秀区北京路2号
H11,杭州腾达网络科技有限公司,企业客户,鲁一鸣,13911110011,0571-12340011,lym@tengda-net.cn,杭州市,杭州市余杭区文一西路1号
H12,杭州腾远网络科技有限公司,企业客户,葛二丫,13911110012,0571-12340012,gey@tengyuan-net.cn,杭州市,杭州市拱墅区湖墅南路2号
H13,杭州腾迖网络科技有限公司,企业客户,鲁一鸣,13911110011,0571-12340011,lym@tengda-net.cn,杭州市,杭州市余杭区文一西路1号
H14,北京曜石云图科技有限公司,企业客户,韩立群,139-1111-0001,,,北京,北京海淀区知春路77号曜石大厦1101
";

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    hard: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let data = dir.path().join("data");
    ok(&db, &["gen-sample", "--customers", "400", "--seed", "5", "--out", data.to_str().unwrap()]);
    ok(&db, &["import", data.join("sales.csv").to_str().unwrap(), "--source", "sales", "--key", "客户编号"]);
    ok(&db, &["import", data.join("service.csv").to_str().unwrap(), "--source", "service", "--key", "工单号"]);
    ok(&db, &["import", data.join("marketing.csv").to_str().unwrap(), "--source", "marketing"]);
    let hard = dir.path().join("hard.csv");
    std::fs::write(&hard, HARD).unwrap();
    ok(&db, &["import", hard.to_str().unwrap(), "--source", "hard", "--key", "客户编号"]);
    Fixture { _dir: dir, db, hard }
}

fn number_of(db: &Path, key: &str) -> String {
    let links = ok(db, &["links", "--csv"]);
    links
        .lines()
        .find_map(|l| l.strip_prefix(&format!("hard,{key},")).map(str::to_string))
        .unwrap_or_else(|| panic!("no link for {key}"))
}

fn queue(db: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&ok(db, &["queue", "--json"])).unwrap().as_array().unwrap().clone()
}

/// The open cluster holding a customer, by number.
fn cluster_of(q: &[serde_json::Value], number: &str) -> Option<(i64, Vec<String>)> {
    q.iter().find_map(|c| {
        let members: Vec<String> =
            c["members"].as_array().unwrap().iter().map(|m| m["number"].as_str().unwrap().to_string()).collect();
        members.contains(&number.to_string()).then(|| (c["id"].as_i64().unwrap(), members))
    })
}

fn together(q: &[serde_json::Value], a: &str, b: &str) -> bool {
    cluster_of(q, a).is_some_and(|(_, m)| m.contains(&b.to_string()))
}

#[test]
fn hard_negatives_stay_apart_and_true_duplicates_meet() {
    let f = fixture();
    let out = ok(&f.db, &["match", "--pairs-csv", f.db.with_extension("pairs.csv").to_str().unwrap()]);
    assert!(out.contains("Candidate pairs") && out.contains("mobile"), "{out}");
    let q = queue(&f.db);
    let n = |k: &str| number_of(&f.db, k);
    // Genuine duplicates: the same company written twice; a one-character typo with the same contact.
    assert!(together(&q, &n("H01"), &n("H14")), "same company, two spellings");
    assert!(together(&q, &n("H11"), &n("H13")), "腾达/腾迖: a real typo with the same mobile and e-mail");
    // Hard negatives.
    for (a, b, why) in [
        ("H01", "H02", "same brand in two cities"),
        ("H03", "H04", "parent and subsidiary on one switchboard"),
        ("H05", "H06", "tenants sharing a switchboard"),
        ("H07", "H08", "a bookkeeping agent's mobile on two firms"),
        ("H09", "H10", "two people named 王伟"),
        ("H11", "H12", "腾达 vs 腾远"),
    ] {
        assert!(!together(&q, &n(a), &n(b)), "{why}: {a} and {b} proposed as duplicates");
    }
    // The pairs file: exact header, probabilities, bands.
    let csv = std::fs::read_to_string(f.db.with_extension("pairs.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("customer_a,customer_b,score,decision"));
    let mut rows = 0;
    for l in lines {
        let cells: Vec<&str> = l.split(',').collect();
        let p: f64 = cells[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{l}");
        assert!(["match", "review", "non-match"].contains(&cells[3]), "{l}");
        rows += 1;
    }
    assert!(rows > 100, "{rows} pairs");
    // The quality report's duplicate rate is the share of live customers in an open cluster.
    let quality: serde_json::Value = serde_json::from_str(&ok(&f.db, &["quality", "--json"])).unwrap();
    let members: usize = q.iter().map(|c| c["members"].as_array().unwrap().len()).sum();
    let rate = quality["targets"].as_array().unwrap().iter().find(|t| t["name"] == "duplicate rate").unwrap()["value"]
        .as_f64()
        .unwrap();
    let customers = quality["customers"].as_f64().unwrap();
    assert!((rate - members as f64 / customers).abs() < 1e-9, "{rate} vs {members}/{customers}");
    assert!(rate > 0.0);
}

#[test]
fn rejections_survive_rematch_and_reimport_and_stale_approvals_are_refused() {
    let f = fixture();
    ok(&f.db, &["match"]);
    let q = queue(&f.db);
    let (a, b) = (number_of(&f.db, "H01"), number_of(&f.db, "H14"));
    let (cluster, _) = cluster_of(&q, &a).expect("H01 and H14 proposed");
    let out = ok(&f.db, &["review", "reject", &cluster.to_string()]);
    assert!(out.contains("different customers"), "{out}");
    // Deciding again on the same cluster is refused: it is no longer open.
    let again = run(&f.db, &["review", "skip", &cluster.to_string()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("rejected"));
    // Re-match, full re-match and re-import never propose the pair again.
    ok(&f.db, &["match"]);
    assert!(!together(&queue(&f.db), &a, &b));
    ok(&f.db, &["match", "--full"]);
    assert!(!together(&queue(&f.db), &a, &b));
    let changed = HARD.replace("北京海淀区知春路77号曜石大厦1101\n", "北京海淀区知春路77号曜石大厦1101室\n");
    std::fs::write(&f.hard, changed).unwrap();
    ok(&f.db, &["import", f.hard.to_str().unwrap(), "--source", "hard", "--key", "客户编号"]);
    let out = ok(&f.db, &["match", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["mode"], "incremental", "{out}");
    assert!(report["compared"].as_u64().unwrap() >= 1, "{out}");
    assert!(!together(&queue(&f.db), &a, &b));

    // A cluster that changed since it was shown cannot be approved: the
    // re-import above changed a member, so the old id was superseded.
    let q = queue(&f.db);
    let (c, members) = cluster_of(&q, &number_of(&f.db, "H11")).expect("腾达 typo pair proposed");
    assert!(members.contains(&number_of(&f.db, "H13")));
    let hard2 = std::fs::read_to_string(&f.hard).unwrap().replace(
        "lym@tengda-net.cn,杭州市,杭州市余杭区文一西路1号\nH12",
        "lym@tengda-net.cn,杭州市,杭州市余杭区文一西路1号A座\nH12",
    );
    std::fs::write(&f.hard, hard2).unwrap();
    ok(&f.db, &["import", f.hard.to_str().unwrap(), "--source", "hard", "--key", "客户编号"]);
    let stale = run(&f.db, &["review", "approve", &c.to_string()]);
    assert!(!stale.status.success());
    let err = String::from_utf8_lossy(&stale.stderr);
    assert!(err.contains("changed since it was shown"), "{err}");
    // After re-matching, the fresh cluster shows again under a new id.
    ok(&f.db, &["match"]);
    let (c2, _) = cluster_of(&queue(&f.db), &number_of(&f.db, "H11")).expect("still proposed");
    assert_ne!(c, c2);
}

#[test]
fn a_reject_is_taken_back_as_it_was_and_only_while_nothing_changed() {
    let f = fixture();
    ok(&f.db, &["match"]);
    let (a, b) = (number_of(&f.db, "H01"), number_of(&f.db, "H14"));
    let (cluster, _) = cluster_of(&queue(&f.db), &a).expect("H01 and H14 proposed");
    let c = cluster.to_string();
    // Only a rejected cluster can be taken back.
    let open = run(&f.db, &["review", "unreject", &c]);
    assert!(!open.status.success() && String::from_utf8_lossy(&open.stderr).contains("not rejected"));
    ok(&f.db, &["review", "reject", &c]);
    assert!(!together(&queue(&f.db), &a, &b));
    let out = ok(&f.db, &["review", "unreject", &c]);
    assert!(out.contains("in the queue again"), "{out}");
    // Back under its own id, and the pairs are no longer remembered apart.
    assert_eq!(cluster_of(&queue(&f.db), &a).map(|x| x.0), Some(cluster));
    ok(&f.db, &["match", "--full"]);
    assert!(together(&queue(&f.db), &a, &b));
    let audit = ok(&f.db, &["audit", "--json"]);
    assert!(audit.contains("match.unreject"), "{audit}");
    // Once a member changed since the reject, it stays (a fresh match shows
    // what is there now).
    let (cluster, _) = cluster_of(&queue(&f.db), &a).expect("proposed again");
    let c = cluster.to_string();
    ok(&f.db, &["review", "reject", &c]);
    ok(&f.db, &["customer", "edit", &a, "--set", "notes=called back"]);
    let changed = run(&f.db, &["review", "unreject", &c]);
    assert!(!changed.status.success());
    assert!(String::from_utf8_lossy(&changed.stderr).contains("changed since"), "{changed:?}");
    assert!(!together(&queue(&f.db), &a, &b));
}

#[test]
fn explain_model_and_config() {
    let f = fixture();
    let cfg = f.db.with_extension("toml");
    std::fs::write(&cfg, "[thresholds]\nreview = 0.7\n[blocking]\nkeys = [\"mobile\", \"name\"]\nmax_block = 20\n")
        .unwrap();
    let out = ok(&f.db, &["match", "--config", cfg.to_str().unwrap(), "--explain-model"]);
    assert!(out.contains("EM pass mobile") && out.contains("EM pass name"), "{out}");
    assert!(!out.contains("EM pass email"), "{out}");
    assert!(out.contains("reach_and_name") && out.contains("bits"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&f.db, &["match", "--config", cfg.to_str().unwrap(), "--json", "--explain-model"]))
            .unwrap();
    assert_eq!(json["review_threshold"], 0.7);
    assert!(json["model"]["comparisons"].as_array().unwrap().len() >= 8);
    std::fs::write(&cfg, "[thresholds]\nreview = 2\n").unwrap();
    let bad = run(&f.db, &["match", "--config", cfg.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("thresholds.review"));
    std::fs::write(&cfg, "[blocking]\nkeys = [\"fax\"]\n").unwrap();
    let bad = run(&f.db, &["match", "--config", cfg.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown `fax`"));

    // Auto-merging only with --auto-merge, and only clusters at or above 0.99.
    let plain: serde_json::Value = serde_json::from_str(&ok(&f.db, &["match", "--full", "--json"])).unwrap();
    assert_eq!(plain["auto_merged"], 0);
    assert!(queue(&f.db).iter().any(|c| c["score"].as_f64().unwrap() >= 0.99));
    let auto: serde_json::Value = serde_json::from_str(&ok(&f.db, &["match", "--auto-merge", "--json"])).unwrap();
    assert!(auto["auto_merged"].as_u64().unwrap() > 0, "{auto}");
    assert!(queue(&f.db).iter().all(|c| c["score"].as_f64().unwrap() < 0.99));
}

#[test]
fn approve_merges_drop_is_remembered_and_bulk_approval_runs_piped() {
    let f = fixture();
    ok(&f.db, &["match"]);
    let q = queue(&f.db);
    let (h01, h14) = (number_of(&f.db, "H01"), number_of(&f.db, "H14"));
    let (c, members) = cluster_of(&q, &h01).expect("H01/H14 proposed");
    // A pick must name a member; an unknown field is refused before anything changes.
    let bad = run(&f.db, &["review", "approve", &c.to_string(), "--pick", "colour=X"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown field"));
    let out = ok(&f.db, &["review", "approve", &c.to_string(), "--pick", &format!("address={h14}")]);
    assert!(out.contains("merged into"), "{out}");
    // Both numbers now find one customer, with H14's address picked by hand.
    let show = |n: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&f.db, &["customer", "show", n, "--json"])).unwrap()
    };
    let (a, b) = (show(&h01), show(&h14));
    assert_eq!(a["number"], b["number"]);
    // Stored written out in full (北京 → 北京市): H14 wrote no 室.
    assert_eq!(a["address"], "北京市海淀区知春路77号曜石大厦1101", "{a}");
    // Approving the same cluster again is refused.
    assert!(!run(&f.db, &["review", "approve", &c.to_string()]).status.success());
    assert!(members.len() >= 2);

    // Drop a member of another cluster: remembered, never proposed with the rest again.
    let q = queue(&f.db);
    let big = q.iter().find(|c| c["members"].as_array().unwrap().len() >= 2).expect("another cluster").clone();
    let id = big["id"].as_i64().unwrap();
    let ms: Vec<String> =
        big["members"].as_array().unwrap().iter().map(|m| m["number"].as_str().unwrap().to_string()).collect();
    let out = ok(&f.db, &["review", "approve", &id.to_string(), "--drop", &ms[0]]);
    assert!(out.contains("kept apart") || out.contains("different customers"), "{out}");
    ok(&f.db, &["match", "--full"]);
    let q = queue(&f.db);
    for other in &ms[1..] {
        let survivor = show(other)["number"].as_str().unwrap().to_string();
        assert!(!together(&q, &ms[0], &survivor), "dropped {} proposed again with {survivor}", ms[0]);
    }

    // Bulk approval from a pipe needs no confirmation and empties the queue above the score.
    let before = queue(&f.db).len();
    assert!(before > 0);
    let out = ok(&f.db, &["review", "approve", "--all", "--min-score", "0.9"]);
    assert!(out.contains("clusters merged"), "{out}");
    let left = queue(&f.db);
    assert!(left.iter().all(|c| c["score"].as_f64().unwrap() < 0.9), "{left:?}");
    let bad = run(&f.db, &["review", "approve", "--all", "--min-score", "1.5"]);
    assert!(!bad.status.success());
}

/// (key hash, customer) rows.
type KeyRows = Vec<(i64, i64)>;

/// (key hash, customer) rows of match_keys, and the same rows as the
/// per-customer lists of match_customer_keys say they should be.
fn stored_keys(db: &Path) -> (KeyRows, KeyRows) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut rows: Vec<(i64, i64)> = conn
        .prepare("SELECT h, customer_id FROM match_keys")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut owned: Vec<(i64, i64)> = Vec::new();
    let mut s = conn.prepare("SELECT customer_id, hashes FROM match_customer_keys").unwrap();
    for r in s.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).unwrap() {
        let (id, blob) = r.unwrap();
        assert_eq!(blob.len() % 8, 0);
        owned.extend(blob.chunks_exact(8).map(|c| (i64::from_le_bytes(c.try_into().unwrap()), id)));
    }
    rows.sort_unstable();
    owned.sort_unstable();
    (rows, owned)
}

#[test]
fn incremental_run_forgets_the_old_keys_of_a_changed_customer() {
    let f = fixture();
    ok(&f.db, &["match"]);
    let (rows, owned) = stored_keys(&f.db);
    assert!(!rows.is_empty());
    assert_eq!(rows, owned, "a full run records each customer's keys");
    let n = number_of(&f.db, "H05");
    let id: i64 = rusqlite::Connection::open(&f.db)
        .unwrap()
        .query_row("SELECT id FROM customers WHERE number = ?1", [&n], |r| r.get(0))
        .unwrap();
    let before: Vec<i64> = rows.iter().filter(|r| r.1 == id).map(|r| r.0).collect();
    ok(&f.db, &["customer", "edit", &n, "--set", "name=澄江远帆贸易有限公司"]);
    let out = ok(&f.db, &["match", "--json"]);
    assert!(out.contains("\"incremental\""), "{out}");
    let (rows, owned) = stored_keys(&f.db);
    assert_eq!(rows, owned, "no key of the old name is left behind");
    let after: Vec<i64> = rows.iter().filter(|r| r.1 == id).map(|r| r.0).collect();
    assert!(before.iter().any(|h| !after.contains(h)), "the old name's keys are gone");
    assert!(after.iter().any(|h| !before.contains(h)), "the new name's keys are there");
    // The incremental run writes only the keys that changed; what it
    // leaves is what a full run on the same data stores.
    let copy = f.db.with_file_name("full.db");
    std::fs::copy(&f.db, &copy).unwrap();
    let wal = f.db.with_file_name(format!("{}-wal", f.db.file_name().unwrap().to_str().unwrap()));
    if wal.exists() {
        std::fs::copy(&wal, copy.with_file_name("full.db-wal")).unwrap();
    }
    ok(&copy, &["match", "--full"]);
    assert_eq!(stored_keys(&copy), (rows, owned), "the keys of a full run");
}

/// Candidate pairs of `crmwb match --pairs-csv` as (number, number) sets.
fn pair_set(db: &Path, dir: &Path, name: &str) -> std::collections::BTreeSet<(String, String)> {
    let csv = dir.join(name);
    ok(db, &["match", "--pairs-csv", csv.to_str().unwrap()]);
    std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].min(f[1]).to_string(), f[0].max(f[1]).to_string())
        })
        .collect()
}

#[test]
fn incremental_run_leaves_no_pair_the_change_ended() {
    // Two people named 王伟: a non-match pair, stored under the older
    // customer H09. H10 then turns out to be 李娜, so the pair is no longer
    // a candidate; the incremental run must not keep reporting it.
    let f = fixture();
    let dir = f.db.parent().unwrap().to_path_buf();
    let (h09, h10) = (number_of(&f.db, "H09"), number_of(&f.db, "H10"));
    let before = pair_set(&f.db, &dir, "p0.csv");
    let key = (h09.clone().min(h10.clone()), h09.max(h10.clone()));
    assert!(before.contains(&key), "the shared name made a candidate pair");
    ok(&f.db, &["customer", "edit", &h10, "--set", "name=李娜"]);
    let incremental = pair_set(&f.db, &dir, "p1.csv");
    assert!(!incremental.contains(&key), "a pair the edit ended is still reported");
    let conn = rusqlite::Connection::open(&f.db).unwrap();
    let mode: String =
        conn.query_row("SELECT mode FROM match_runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "incremental");
    ok(&f.db, &["match", "--full"]);
    let full = pair_set(&f.db, &dir, "p2.csv");
    assert_eq!(incremental, full, "an incremental run and a full run find the same candidate pairs");
}

/// Person rows as a FEBRL-style export spells them, imported as a user
/// would with `--map` and no `--kind`.
fn import_people(db: &Path, dir: &Path, source: &str, rows: &str) {
    let f = dir.join(format!("{source}.csv"));
    std::fs::write(&f, format!("rec_id,given_name,surname,suburb,postcode,date_of_birth\n{rows}")).unwrap();
    ok(
        db,
        &[
            "import",
            f.to_str().unwrap(),
            "--source",
            source,
            "--key",
            "rec_id",
            "--map",
            "given_name+surname=name",
            "--map",
            "suburb=city",
            "--map",
            "postcode=custom:postcode:identifier",
            "--map",
            "date_of_birth=custom:dob:date",
        ],
    );
}

#[test]
fn match_truth_reports_blocking_recall_per_key_and_source_pair() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    import_people(&db, dir.path(), "a", "r1,thomas,keller,dapto,2530,19700312\nr2,mia,fraser,bega,2550,19851101\n");
    import_people(&db, dir.path(), "b", "s1,thomas,keller,dapto,2530,19700312\ns2,mia,frasre,bega,2551,19851110\n");
    let truth = dir.path().join("truth.csv");
    std::fs::write(&truth, "source,source_key,entity_id\na,r1,1\nb,s1,1\na,r2,2\nb,s2,2\n").unwrap();
    let text = ok(&db, &["match", "--truth", truth.to_str().unwrap()]);
    assert!(text.contains("Blocking recall"), "{text}");
    assert!(text.contains("a ~ b"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&db, &["match", "--full", "--json", "--truth", truth.to_str().unwrap()])).unwrap();
    let b = &json["blocking_recall"];
    assert_eq!(b["true_pairs"], 2, "{b}");
    let per_key = b["per_key"].as_array().unwrap();
    let name = per_key.iter().find(|k| k["name"] == "name").unwrap();
    assert_eq!(name["found"], 1, "only the Kellers share a name: {b}");
    let pairs = b["per_source_pair"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["name"], "a ~ b");
    assert_eq!(pairs[0]["true_pairs"], 2);
    // A truth file that is not one says which file and row.
    std::fs::write(&truth, "source,source_key\na,r1\n").unwrap();
    let out = run(&db, &["match", "--truth", truth.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("truth.csv"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Rewrites the model of the last full run as `change` makes it: a model
/// an earlier version stored.
fn as_stored_before(db: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let (id, model): (i64, String) = conn
        .query_row("SELECT id, model FROM match_runs WHERE mode = 'full' ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&model).unwrap();
    change(&mut m);
    conn.execute("UPDATE match_runs SET model = ?1 WHERE id = ?2", rusqlite::params![m.to_string(), id]).unwrap();
}

/// A model stored by an earlier version, whose contact comparison knew
/// other levels, is never read against this version's levels: the next
/// run is a full one and says why.
#[test]
fn a_model_with_other_levels_is_relearned_not_misread() {
    let f = fixture();
    ok(&f.db, &["match"]);
    as_stored_before(&f.db, |m| {
        // Before reach_name_alike existed.
        let contact = m["comparisons"].as_array_mut().unwrap().iter_mut().find(|c| c["name"] == "contact").unwrap();
        let levels = contact["levels"].as_array_mut().unwrap();
        let at = levels.iter().position(|l| l["level"] == "reach_name_alike").unwrap();
        levels.remove(at);
    });
    let out = ok(&f.db, &["match", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mode"], "full", "{out}");
    assert_eq!(v["reason"], "the comparison levels changed in this version", "{out}");
    // The model it stored has them again: the run after is incremental.
    let v: serde_json::Value = serde_json::from_str(&ok(&f.db, &["match", "--json"])).unwrap();
    assert_eq!(v["mode"], "incremental", "{v}");
}

/// Review finding: a model stored with other weighing rules (same fields,
/// same levels) is relearned too, so new pairs are never weighed by rules
/// the stored ones were not.
#[test]
fn a_model_weighed_by_other_rules_is_relearned() {
    let f = fixture();
    ok(&f.db, &["match"]);
    // Before the field existed.
    as_stored_before(&f.db, |m| {
        m.as_object_mut().unwrap().remove("scoring");
    });
    let v: serde_json::Value = serde_json::from_str(&ok(&f.db, &["match", "--json"])).unwrap();
    assert_eq!(v["mode"], "full", "{v}");
    assert_eq!(v["reason"], "pairs are weighed or clustered differently in this version", "{v}");
    let v: serde_json::Value = serde_json::from_str(&ok(&f.db, &["match", "--json"])).unwrap();
    assert_eq!(v["mode"], "incremental", "{v}");
}
