//! Property: merging and then unmerging is the identity on everything a
//! user can see — golden fields, phones, e-mails, contacts, interactions,
//! custom values, source links — through nested merges, members split out
//! one by one, and hand edits made in between (which stay with the
//! survivor: the result must equal applying only the edits), re-imports
//! that change source rows while their customers are merged away, and
//! undos of those re-imports. A change that came through a source record
//! belongs to that record's customer: after an unmerge every row is with
//! its record's customer, and a restored customer equals the same customer
//! in a database where the edits and imports happened without any merge.
//! Undoing every merge and every re-import gives back the database as it
//! was (when nothing was edited by hand).
//!
//! `PROPTEST_CASES` sets the number of cases (48 in CI).

use crm_workbench::domain::Field;
use crm_workbench::service::{ImportOptions, MergeOrigin, Workbench};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const NAMES: &[&str] = &["北京星辰科技有限公司", "星辰科技", "上海腾达贸易有限公司", "腾达贸易", "王伟"];
const CONTACTS: &[&str] = &["王伟", "李娜", "张敏", ""];
const MOBILES: &[&str] = &["13812345678", "13900001111", "13700002222", ""];
const EMAILS: &[&str] = &["a@x.com", "b@y.cn", ""];
const CITIES: &[&str] = &["北京市", "上海市", ""];
const STATUSES: &[&str] = &["潜在客户", "意向客户", "成交客户", ""];
const CHANNELS: &[&str] = &["展会", "官网", ""];

#[derive(Debug, Clone)]
struct Row {
    name: usize,
    contact: usize,
    mobile: usize,
    email: usize,
    city: usize,
    status: usize,
    channel: usize,
    interaction: bool,
}

/// A row of the first value of every field: the regression cases below
/// write only what differs from it.
const BASE: Row = Row { name: 0, contact: 0, mobile: 0, email: 0, city: 0, status: 0, channel: 0, interaction: false };

fn row() -> impl Strategy<Value = Row> {
    (0..NAMES.len(), 0..CONTACTS.len(), 0..MOBILES.len(), 0..EMAILS.len(), 0..CITIES.len(), 0..STATUSES.len())
        .prop_flat_map(|(name, contact, mobile, email, city, status)| {
            (0..CHANNELS.len(), any::<bool>()).prop_map(move |(channel, interaction)| Row {
                name,
                contact,
                mobile,
                email,
                city,
                status,
                channel,
                interaction,
            })
        })
}

#[derive(Debug, Clone)]
enum Op {
    /// Merge the live customers at these positions (first: survivor), with a pick.
    Merge(Vec<usize>, Option<(usize, usize)>),
    /// Edit the live customer at this position: field index, value index.
    Edit(usize, usize, usize),
    /// Undo the latest merge still in effect, whole (false) or member by member (true).
    Unmerge(bool),
    /// Move the source record at this position to the live customer at this position, and back.
    MoveAndBack(usize, usize),
    /// Re-import the source with the rows at these positions changed.
    Reimport(Vec<(usize, Row)>),
    /// Undo the latest re-import not undone yet (when it may be undone).
    UndoImport,
}

const EDIT_FIELDS: &[Field] = &[Field::Owner, Field::District, Field::Mobile, Field::City, Field::Notes, Field::Email];
/// Values per field of EDIT_FIELDS, including ones the sources also have.
const EDIT_VALUES: &[&[&str]] = &[
    &["张三", "李四"],
    &["海淀区", "南山区"], // status edits go through the lifecycle rules, not a plain edit
    &["13800009999", "13812345678", "13900001111"],
    &["深圳市", "北京市"],
    &["大客户", "回访"],
    &["x@z.com", "a@x.com"],
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::collection::vec(0usize..8, 2..4), prop::option::of((0usize..6, 0usize..4)))
            .prop_map(|(v, p)| Op::Merge(v, p)),
        2 => (0usize..8, 0..EDIT_FIELDS.len(), 0usize..3).prop_map(|(c, f, v)| Op::Edit(c, f, v)),
        2 => any::<bool>().prop_map(Op::Unmerge),
        1 => (0usize..8, 0usize..8).prop_map(|(r, c)| Op::MoveAndBack(r, c)),
    ]
}

/// `op` with re-imports and undos of them.
fn op_with_imports() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::collection::vec(0usize..8, 2..4), prop::option::of((0usize..6, 0usize..4)))
            .prop_map(|(v, p)| Op::Merge(v, p)),
        2 => (0usize..8, 0..EDIT_FIELDS.len(), 0usize..3).prop_map(|(c, f, v)| Op::Edit(c, f, v)),
        2 => any::<bool>().prop_map(Op::Unmerge),
        1 => (0usize..8, 0usize..8).prop_map(|(r, c)| Op::MoveAndBack(r, c)),
        2 => prop::collection::vec((0usize..8, row()), 1..3).prop_map(Op::Reimport),
        1 => Just(Op::UndoImport),
    ]
}

fn import(wb: &mut Workbench, dir: &Path, rows: &[Row]) -> i64 {
    let mut csv = String::from("key,name,contact,phone,email,city,status,channel,at,summary\n");
    for (i, r) in rows.iter().enumerate() {
        let (at, summary) = if r.interaction {
            (format!("2024-0{}-1{}", 1 + i % 9, i % 10), "来电咨询")
        } else {
            (String::new(), "")
        };
        csv.push_str(&format!(
            "K{i},{},{},{},{},{},{},{},{at},{summary}\n",
            NAMES[r.name],
            CONTACTS[r.contact],
            MOBILES[r.mobile],
            EMAILS[r.email],
            CITIES[r.city],
            STATUSES[r.status],
            CHANNELS[r.channel]
        ));
    }
    let path = dir.join("rows.csv");
    std::fs::write(&path, csv).unwrap();
    let maps = [
        "name=name",
        "contact=contact_name",
        "phone=phone",
        "email=email",
        "city=city",
        "status=status",
        "channel=custom:渠道:text",
        "at=interaction_at",
        "summary=interaction_summary",
    ];
    let opts = ImportOptions {
        source: "src".into(),
        key: Some("key".into()),
        maps: maps.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    wb.import(&path, &opts, &mut |_| {}).unwrap().batch_id.unwrap()
}

type Snapshot = BTreeMap<String, Vec<String>>;

/// Everything a user can see of every customer, keyed by number, free of
/// row ids (which need not survive) and of versions and timestamps.
fn snapshot(wb: &Workbench) -> Snapshot {
    let conn = wb.store().conn();
    let mut out = Snapshot::new();
    let mut stmt = conn.prepare("SELECT id, number FROM customers ORDER BY id").unwrap();
    let customers: Vec<(i64, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    let rows = |sql: &str, id: i64| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let mut v: Vec<String> = stmt
            .query_map([id], |r| {
                Ok((0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        v.sort();
        v
    };
    let src = "(SELECT source_key FROM source_records s WHERE s.id = t.source_record_id)";
    for (id, number) in customers {
        let mut v = Vec::new();
        let c = wb.store().conn();
        let cust = crm_workbench::store::customers::get_customer(c, id).unwrap().unwrap();
        for f in Field::ALL {
            v.push(format!("{f}={:?}", cust.get(f)));
        }
        v.push(format!("parts={:?}", cust.name_parts));
        v.push(format!("flags={:?}", cust.flags));
        v.push(format!("merged_into={:?}", cust.merged_into));
        v.extend(rows(
            &format!("SELECT 'phone', kind, number, is_primary, {src} FROM customer_phones t WHERE customer_id = ?1"),
            id,
        ));
        v.extend(rows(
            &format!("SELECT 'email', email, is_primary, {src} FROM customer_emails t WHERE customer_id = ?1"),
            id,
        ));
        v.extend(rows(
            &format!("SELECT 'contact', name, title, mobile, landline, email, notes, {src} FROM contacts t WHERE customer_id = ?1"),
            id,
        ));
        v.extend(rows(
            &format!(
                "SELECT 'interaction', at, kind, summary, by_user, (SELECT name FROM contacts k WHERE k.id = t.contact_id), {src}
                 FROM interactions t WHERE customer_id = ?1"
            ),
            id,
        ));
        v.extend(rows("SELECT 'custom', name, value FROM custom_values WHERE customer_id = ?1", id));
        v.extend(rows("SELECT 'source', source, source_key, raw FROM source_records WHERE customer_id = ?1", id));
        out.insert(number, v);
    }
    out
}

/// Every phone, e-mail, contact and interaction that came from a source
/// record is with that record's customer (but the duplicates a merge
/// collapsed, which wait with their absorbed customer).
fn rows_follow_their_records(wb: &Workbench) -> Result<(), TestCaseError> {
    let conn = wb.store().conn();
    for tbl in ["customer_phones", "customer_emails", "contacts", "interactions"] {
        let stray: Vec<(i64, i64, i64)> = conn
            .prepare(&format!(
                "SELECT t.id, t.customer_id, s.customer_id FROM {tbl} t JOIN source_records s ON s.id = t.source_record_id
                 WHERE t.customer_id != s.customer_id
                   AND NOT EXISTS (SELECT 1 FROM merge_collapsed c WHERE c.tbl = '{tbl}' AND c.dup_id = t.id)"
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert!(
            stray.is_empty(),
            "{} rows not with their record's customer (row, on, record's): {:?}",
            tbl,
            stray
        );
    }
    Ok(())
}

/// Whether `id` is live and no merge in effect absorbed anything into it.
fn on_its_own(wb: &Workbench, id: i64) -> bool {
    wb.store()
        .conn()
        .query_row(
            "SELECT merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM merges WHERE survivor_id = ?1 AND undone_at IS NULL)
             FROM customers WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

fn live_ids(wb: &Workbench) -> Vec<i64> {
    wb.customer_ids().unwrap()
}

fn edit(wb: &mut Workbench, id: i64, f: Field, v: &str) {
    let version = wb.customer_detail(id).unwrap().customer.version;
    wb.edit_customer(id, version, &[(f, Some(v.to_string()))]).unwrap();
}

fn number(wb: &Workbench, id: i64) -> String {
    wb.customer_detail(id).unwrap().customer.number
}

fn run(mut rows: Vec<Row>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Workbench::open(&dir.path().join("a.db"), crm_workbench::store::OpenMode::Create, "t").unwrap();
    let mut b = Workbench::open(&dir.path().join("b.db"), crm_workbench::store::OpenMode::Create, "t").unwrap();
    import(&mut a, dir.path(), &rows);
    import(&mut b, dir.path(), &rows);
    let initial = snapshot(&a);
    let mut edited = false;
    // Re-imports not undone, latest last.
    let mut batches: Vec<i64> = Vec::new();
    // Merges in effect, latest last: (survivor, absorbed).
    let mut stack: Vec<(i64, Vec<i64>)> = Vec::new();
    // Undoes the latest merge; returns the customers it restored.
    let undo = |a: &mut Workbench, by_member: bool, stack: &mut Vec<(i64, Vec<i64>)>| -> Vec<i64> {
        let Some((s, members)) = stack.pop() else { return Vec::new() };
        if by_member {
            for m in members.iter().rev() {
                let n = number(a, *m);
                let out = a.unmerge(&n).unwrap_or_else(|e| panic!("unmerge {n}: {e}"));
                assert_eq!(out.restored, vec![n]);
            }
        } else {
            let n = number(a, s);
            let out = a.unmerge(&n).unwrap_or_else(|e| panic!("unmerge {n}: {e}"));
            assert!(out.whole);
        }
        std::iter::once(s).chain(members).collect()
    };
    // A customer an unmerge gave back, on its own again, is what the same
    // customer is where nothing was merged.
    let restored_match = |a: &Workbench, b: &Workbench, ids: &[i64]| -> Result<(), TestCaseError> {
        let (sa, sb) = (snapshot(a), snapshot(b));
        for &id in ids.iter().filter(|id| on_its_own(a, **id)) {
            let n = number(a, id);
            prop_assert_eq!(&sa[&n], &sb[&n], "restored customer {}", n);
        }
        Ok(())
    };
    for op in ops {
        match op {
            Op::Merge(pos, pick) => {
                let live = live_ids(&a);
                let mut ids: Vec<i64> = pos.iter().map(|p| live[p % live.len()]).collect();
                ids.dedup();
                let mut seen = std::collections::HashSet::new();
                ids.retain(|i| seen.insert(*i));
                if ids.len() < 2 {
                    continue;
                }
                let picks: Vec<(Field, i64)> = pick
                    .map(|(f, m)| {
                        vec![(
                            [Field::Name, Field::City, Field::Status, Field::Email, Field::Mobile, Field::Kind][f],
                            ids[m % ids.len()],
                        )]
                    })
                    .unwrap_or_default();
                let preview = a.preview_merge_into(ids[0], &ids[1..], &picks).unwrap();
                a.merge_customers(ids[0], &ids[1..], &picks, MergeOrigin::Manual).unwrap();
                let golden = a.customer_detail(ids[0]).unwrap().customer;
                for ch in &preview.fields {
                    prop_assert_eq!(golden.get(ch.field).map(str::to_string), ch.value.clone(), "{}", ch.field);
                }
                stack.push((ids[0], ids[1..].to_vec()));
            }
            Op::Edit(p, f, v) => {
                let live = live_ids(&a);
                let id = live[p % live.len()];
                let value = EDIT_VALUES[f][v % EDIT_VALUES[f].len()];
                edit(&mut a, id, EDIT_FIELDS[f], value);
                edit(&mut b, id, EDIT_FIELDS[f], value);
                edited = true;
            }
            Op::Unmerge(by_member) => {
                let ids = undo(&mut a, by_member, &mut stack);
                restored_match(&a, &b, &ids)?;
            }
            Op::Reimport(changes) => {
                // Rows of customers merged away (the finding), of survivors
                // (their own values sit under the merge's result) and of
                // customers no merge touches.
                for (p, r) in changes {
                    let i = p % rows.len();
                    rows[i] = r;
                }
                batches.push(import(&mut a, dir.path(), &rows));
                prop_assert_eq!(import(&mut b, dir.path(), &rows), *batches.last().unwrap());
            }
            Op::UndoImport => {
                let Some(&batch) = batches.last() else { continue };
                match a.undo_import(batch) {
                    Ok(_) => {
                        b.undo_import(batch).unwrap_or_else(|e| panic!("undo {batch} without merges: {e}"));
                        batches.pop();
                    }
                    Err(crm_workbench::Error::Refused(_)) => {}
                    Err(e) => panic!("undo {batch}: {e}"),
                }
            }
            Op::MoveAndBack(r, c) => {
                let key = format!("K{}", r % rows.len());
                let home: i64 = a
                    .store()
                    .conn()
                    .query_row("SELECT customer_id FROM source_records WHERE source_key = ?1", [&key], |r| r.get(0))
                    .unwrap();
                let live = live_ids(&a);
                let to = live[c % live.len()];
                if to == home {
                    continue;
                }
                a.move_source("src", &key, to).unwrap();
                a.move_source("src", &key, home).unwrap();
            }
        }
        rows_follow_their_records(&a)?;
    }
    // Undo the re-imports while the merges are in effect (as far as they
    // may be undone then), then the merges, then what is left.
    while let Some(&batch) = batches.last() {
        match a.undo_import(batch) {
            Ok(_) => {
                b.undo_import(batch).unwrap_or_else(|e| panic!("undo {batch} without merges: {e}"));
                batches.pop();
            }
            Err(crm_workbench::Error::Refused(_)) => break,
            Err(e) => panic!("undo {batch}: {e}"),
        }
    }
    while !stack.is_empty() {
        let ids = undo(&mut a, false, &mut stack);
        restored_match(&a, &b, &ids)?;
    }
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    for (number, va) in &sa {
        prop_assert_eq!(va, &sb[number], "customer {}", number);
    }
    while let Some(batch) = batches.pop() {
        a.undo_import(batch).unwrap_or_else(|e| panic!("undo {batch}: {e}"));
        b.undo_import(batch).unwrap_or_else(|e| panic!("undo {batch} without merges: {e}"));
    }
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    for (number, va) in &sa {
        prop_assert_eq!(va, &sb[number], "customer {} after undoing the imports", number);
    }
    if !edited {
        prop_assert_eq!(&sa, &initial, "everything undone: the database as it was");
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

/// CI's 48 cases are the same every run, so that a red CI always
/// reproduces; `PROPTEST_CASES` runs draw new ones (run 300 or more after
/// any change to merging, moving or importing). The case a 150-case run
/// once found (a hand edit of the survivor's mobile to a number a member
/// brought) is fixed and kept as
/// `hand_typed_number_a_member_brought_stays_with_the_survivor`.
fn seed() -> proptest::test_runner::RngSeed {
    use proptest::test_runner::RngSeed;
    if std::env::var_os("PROPTEST_CASES").is_some() {
        RngSeed::Random
    } else {
        RngSeed::Fixed(0x2026_1206)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), rng_seed: seed(), ..ProptestConfig::default() })]
    #[test]
    fn merge_then_unmerge_is_the_identity(rows in prop::collection::vec(row(), 3..7), ops in prop::collection::vec(op(), 1..9)) {
        run(rows, ops)?;
    }
}

// Finding 15.6: re-imports and their undos between merges and unmerges,
// of absorbed customers' records, survivors' records and records no merge
// touches, custom values included (they were once kept out of merged
// customers' re-imports: a merge's copy and the survivor's own value
// shared one slot; `reimported_custom_value_*` keep that fixed). The cases
// it found are kept in merge_props.proptest-regressions and as the
// deterministic tests below: two re-imports of a survivor's own record
// undone after the unmerge (`two_reimports_of_survivor_*`), a member's and
// the survivor's records in one re-import
// (`reimport_of_member_and_survivor_in_one_batch_*`), a member's value
// typed into the survivor as shown (`members_reimported_email_typed_*`,
// `number_a_member_brought_typed_in_as_shown_*`).
proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), rng_seed: seed(), ..ProptestConfig::default() })]
    #[test]
    fn reimports_between_merge_and_unmerge_follow_their_records(
        rows in prop::collection::vec(row(), 3..7),
        ops in prop::collection::vec(op_with_imports(), 1..9),
    ) {
        run(rows, ops)?;
    }
}

#[test]
fn nested_merge_with_edits_between_round_trips() {
    let rows: Vec<Row> = (0..5)
        .map(|i| Row {
            name: i % NAMES.len(),
            contact: i % 3,
            mobile: i % 2,
            email: i % 3,
            city: i % 2,
            status: i % 4,
            channel: i % 3,
            interaction: true,
        })
        .collect();
    let ops = vec![
        Op::Merge(vec![0, 1], Some((0, 1))),
        Op::Edit(0, 0, 4),
        Op::Edit(0, 2, 0),
        Op::Merge(vec![1, 0, 2], None),
        Op::Edit(0, 1, 1),
        Op::Unmerge(true),
        Op::Edit(0, 3, 2),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: an absorbed customer's record re-imported
/// with the survivor's own name, undone while the merge is in effect.
/// The undo must not take the name out of the survivor's own values.
#[test]
fn reimport_with_the_survivors_own_value_undone_while_merged() {
    let base = BASE;
    let rows = vec![Row { name: 2, ..base.clone() }, base.clone(), Row { name: 3, ..base.clone() }, base.clone(), base];
    let changed = Row { name: 2, contact: 2, mobile: 2, email: 1, city: 0, status: 3, channel: 0, interaction: false };
    let ops = vec![Op::Merge(vec![0, 2, 1], Some((0, 1))), Op::Reimport(vec![(6, changed)])];
    run(rows, ops).unwrap();
}

/// A case the property found: a survivor's field typed in by hand, then
/// its own record re-imported with the value it had before the edit, then
/// a second merge absorbing it: the re-import replaces the edit, as it
/// would without the merges.
#[test]
fn reimport_of_survivor_replaces_a_hand_edit_with_its_old_value() {
    let base = BASE;
    let rows = vec![base.clone(); 6];
    let ops = vec![
        Op::Merge(vec![1, 0], None),
        Op::Edit(5, 2, 0),
        Op::Reimport(vec![(1, Row { interaction: true, ..base })]),
        Op::Merge(vec![1, 0], None),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: as above with a new value, undone after
/// both unmerges: the hand edit the re-import replaced comes back.
#[test]
fn reimport_of_survivor_over_a_hand_edit_undone_after_the_unmerges() {
    let base = BASE;
    let rows = vec![base.clone(); 6];
    let ops = vec![
        Op::Merge(vec![1, 0], None),
        Op::Edit(5, 2, 0),
        Op::Reimport(vec![(1, Row { mobile: 1, ..base })]),
        Op::Merge(vec![1, 0], None),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: a survivor's own record re-imported while it
/// is merged, a second merge on it, the re-import undone: the second
/// merge's `before` took the re-imported name and gives it back no more.
#[test]
fn reimport_of_survivor_undone_after_a_later_merge_on_it() {
    let base = BASE;
    let rows = vec![base.clone(), base.clone(), Row { name: 2, ..base.clone() }, base.clone()];
    let ops = vec![
        Op::Merge(vec![6, 3], None),
        Op::Reimport(vec![(2, Row { name: 1, ..base })]),
        Op::Merge(vec![2, 0], None),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: a survivor's own record re-imported with the
/// e-mail of a member merged into it, then that member's record moved away
/// and back: its e-mail row is not archived against the survivor's, and
/// goes back with it at the unmerge.
#[test]
fn move_and_back_onto_a_survivor_whose_reimport_repeats_a_members_email() {
    let base = BASE;
    let mut rows = vec![base.clone(); 6];
    rows[5].email = 1;
    let ops = vec![
        Op::Merge(vec![3, 0], None),
        Op::Merge(vec![7, 4], None),
        Op::Reimport(vec![(3, Row { email: 1, ..base })]),
        Op::MoveAndBack(5, 0),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: a survivor's own record re-imported twice
/// under two merges, the later merge undone, then the re-imports: the
/// unmerge must not take the values the re-imports passed up through it
/// for values gone back with an absorbed customer.
#[test]
fn reimports_of_survivor_undone_after_unmerging_the_later_of_two_merges() {
    let base = BASE;
    let rows = vec![base.clone(); 3];
    let ops = vec![
        Op::Merge(vec![4, 2], None),
        Op::Merge(vec![1, 6], None),
        Op::Reimport(vec![(1, Row { name: 3, ..base.clone() })]),
        Op::Reimport(vec![(1, base)]),
        Op::Unmerge(false),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: the survivor's mobile typed in by hand with
/// the number a merged member brought, then changed again. The number
/// typed by hand stays with the survivor at the unmerge (as a row of its
/// own), and the member takes its own row back.
#[test]
fn hand_typed_number_a_member_brought_stays_with_the_survivor() {
    let base = BASE;
    let rows: Vec<Row> = [1, 0, 0, 2].iter().map(|&m| Row { mobile: m, ..base.clone() }).collect();
    let ops = vec![Op::Merge(vec![3, 4], None), Op::Edit(2, 2, 2), Op::Edit(2, 2, 0)];
    run(rows, ops).unwrap();
}

/// The same with e-mail, under two nested merges, unmerged member by member.
#[test]
fn hand_typed_email_a_member_brought_stays_through_nested_merges() {
    let base = BASE;
    let rows: Vec<Row> = [0, 1, 0, 2].iter().map(|&e| Row { email: e, ..base.clone() }).collect();
    let ops = vec![
        Op::Merge(vec![1, 0], None),
        Op::Merge(vec![2, 0], None),
        Op::Edit(1, 5, 1),
        Op::Edit(1, 5, 0),
        Op::Unmerge(true),
        Op::Unmerge(true),
    ];
    run(rows, ops).unwrap();
}

/// The case the property found (kept in merge_props.proptest-regressions):
/// the survivor's own record re-imported twice while merged, the second
/// time over a field the first changed but the merge's result did not
/// show (the name: the golden record shows the member's). After the
/// unmerge, undoing the second re-import gives back the first one's name,
/// and undoing the first must give back the survivor's own name before it:
/// every re-import hands its own before-value to its undo, not only the
/// latest, whose value the survivor shows.
#[test]
fn two_reimports_of_survivor_undone_after_unmerging_by_member() {
    let base = BASE;
    let rows = vec![Row { name: 1, ..base.clone() }, base.clone(), base.clone()];
    let ops = vec![
        Op::Merge(vec![3, 1], None),
        Op::Reimport(vec![(0, Row { name: 3, mobile: 1, ..base.clone() })]),
        Op::Reimport(vec![(0, Row { contact: 2, mobile: 3, city: 2, interaction: true, ..base })]),
        Op::Unmerge(true),
    ];
    run(rows, ops).unwrap();
}

/// The same, the merge undone whole.
#[test]
fn two_reimports_of_survivor_undone_after_unmerging_whole() {
    let base = BASE;
    let rows = vec![Row { name: 1, ..base.clone() }, base.clone(), base.clone()];
    let ops = vec![
        Op::Merge(vec![0, 1], None),
        Op::Reimport(vec![(0, Row { name: 3, mobile: 1, ..base.clone() })]),
        Op::Reimport(vec![(0, Row { contact: 2, city: 2, ..base })]),
        Op::Unmerge(false),
    ];
    run(rows, ops).unwrap();
}

/// A survivor without a custom value takes the member's (渠道 展会) as a
/// copy; its own record re-imported with that same value makes it the
/// survivor's own: the unmerge, which deletes the merge's copy, must leave
/// it.
#[test]
fn reimported_custom_value_equal_to_the_merges_copy_stays_at_the_unmerge() {
    let base = BASE;
    let rows = vec![Row { channel: 2, ..base.clone() }, base.clone(), base.clone()];
    let ops = vec![Op::Merge(vec![0, 1], None), Op::Reimport(vec![(0, base)]), Op::Unmerge(false)];
    run(rows, ops).unwrap();
}

/// As above with a new value (官网), the re-import undone after the
/// unmerge: the survivor had no value of its own, so none comes back (not
/// the merge's copy, which its before-image saw in the slot).
#[test]
fn reimported_custom_value_over_the_merges_copy_undone_after_the_unmerge() {
    let base = BASE;
    let rows = vec![Row { channel: 2, ..base.clone() }, base.clone(), base.clone()];
    let ops = vec![Op::Merge(vec![0, 1], None), Op::Reimport(vec![(0, Row { channel: 1, ..base })]), Op::Unmerge(true)];
    run(rows, ops).unwrap();
}

/// As above, undone while the merge is in effect: the copy comes back, and
/// the unmerge then deletes it as before.
#[test]
fn reimported_custom_value_over_the_merges_copy_undone_while_merged() {
    let base = BASE;
    let rows = vec![Row { channel: 2, ..base.clone() }, base.clone(), base.clone()];
    let ops = vec![
        Op::Merge(vec![0, 1], None),
        Op::Reimport(vec![(0, Row { channel: 0, ..base })]),
        Op::UndoImport,
        Op::Unmerge(false),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: one re-import changes an absorbed member's
/// record (its mobile reaches the survivor's golden record through the
/// merge) and the survivor's own (its e-mail). The member's mobile goes
/// back with it at the unmerge, so undoing the re-import must leave the
/// survivor's mobile: only the fields of its own values the batch changed
/// were passed on through the merge.
#[test]
fn reimport_of_member_and_survivor_in_one_batch_undone_after_the_unmerge() {
    let base = BASE;
    let rows = vec![base.clone(), Row { mobile: 1, ..base.clone() }, Row { mobile: 1, ..base.clone() }];
    let ops = vec![
        Op::Merge(vec![2, 4], None),
        Op::Reimport(vec![(1, base.clone())]),
        Op::Reimport(vec![(4, Row { mobile: 1, ..base.clone() }), (2, Row { mobile: 1, email: 1, status: 3, ..base })]),
        Op::Unmerge(true),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found: an absorbed member's record re-imported with
/// a new e-mail, which reaches the survivor's golden record through the
/// merge; then the survivor's e-mail typed in by hand as that same value
/// (where nothing is merged, a change of the survivor's own e-mail). The
/// value is the survivor's own now: undoing the re-import while merged
/// must leave it, and the unmerge keep it.
#[test]
fn members_reimported_email_typed_into_the_survivor_stays_at_the_undo() {
    let base = BASE;
    let rows = vec![Row { email: 1, ..base.clone() }, base.clone(), base.clone(), Row { email: 1, ..base.clone() }];
    let ops = vec![Op::Merge(vec![3, 0], None), Op::Reimport(vec![(4, base)]), Op::Edit(2, 5, 1)];
    run(rows, ops).unwrap();
}

/// The other side of the case above: the survivor's own record re-imported
/// with a new mobile, then that mobile typed in again by hand (where
/// nothing is merged, an edit that changes nothing). Undoing the re-import
/// takes the mobile back, merged or not.
#[test]
fn survivors_reimported_mobile_typed_in_again_goes_back_at_the_undo() {
    let base = BASE;
    let rows = vec![base.clone(), base.clone(), base.clone(), Row { mobile: 1, ..base.clone() }];
    let ops = vec![
        Op::Merge(vec![3, 4], None),
        Op::Reimport(vec![(3, base)]),
        Op::Merge(vec![2, 0], None),
        Op::Edit(1, 2, 1),
    ];
    run(rows, ops).unwrap();
}

/// A case the property found (no re-import in it): the survivor's mobile
/// typed in by hand as the number it shows, which a merged member brought
/// (where nothing is merged, a change that adds the number as a row of its
/// own), then changed again. The number typed first stays with the
/// survivor at the unmerge as a row of its own, as a changed one does.
#[test]
fn number_a_member_brought_typed_in_as_shown_stays_with_the_survivor() {
    let base = BASE;
    let rows = vec![
        Row { contact: 1, mobile: 3, ..base.clone() },
        Row { contact: 1, email: 2, status: 2, ..base.clone() },
        Row { name: 1, mobile: 3, status: 2, interaction: true, ..base },
    ];
    let ops = vec![
        Op::Merge(vec![3, 1], None),
        Op::Edit(2, 2, 1),
        Op::MoveAndBack(4, 7),
        Op::Edit(0, 2, 2),
        Op::MoveAndBack(0, 4),
        Op::Merge(vec![6, 7, 1], None),
    ];
    run(rows, ops).unwrap();
}
