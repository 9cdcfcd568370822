//! The import path end to end through the library: formats, mapping,
//! re-import, dry run, undo, resume, rejected rows, exports.

use crm_workbench::ingest::{EncodingChoice, MappingFile, ReadOptions};
use crm_workbench::service::{ExportFormat, ImportOptions, Workbench};
use crm_workbench::store::imports;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn opts(source: &str) -> ImportOptions {
    ImportOptions { source: source.into(), ..Default::default() }
}

fn count(wb: &Workbench, sql: &str) -> i64 {
    wb.store().conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

const SALES: &str = "客户编号,客户名称,联系人,手机,邮箱,首次接触日期\n\
XS-1,北京星辰科技有限公司,王经理,138-1234-5678,WANG@XC.COM,2024/3/5\n\
XS-2,上海腾达贸易有限公司,李总,12345,li@,2024-13-45\n\
XS-3,,,,,\n";

#[test]
fn gb18030_file_imports_like_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let gbk = write(dir.path(), "gbk.csv", encoding_rs::GB18030.encode(SALES).0);
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let r = wb.import(&gbk, &ImportOptions { key: Some("客户编号".into()), ..opts("sales") }, &mut |_| {}).unwrap();
    assert_eq!(r.encoding, "gb18030");
    assert_eq!((r.counts.imported, r.counts.warned, r.counts.rejected), (2, 1, 1));
    let d = wb.customer_by_number(&wb.customer_rows(&wb.customer_ids().unwrap()).unwrap()[0].number).unwrap();
    assert_eq!(d.customer.name, "北京星辰科技有限公司");
    assert_eq!(d.customer.mobile.as_deref(), Some("13812345678"));
    assert_eq!(d.customer.email.as_deref(), Some("wang@xc.com"));
    assert_eq!(d.customer.first_contact.as_deref(), Some("2024-03-05"));
    // The raw row is the decoded original, not the normalised value.
    assert_eq!(d.sources[0].values[3], "138-1234-5678");
}

#[test]
fn xlsx_numbers_and_dates_survive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("客户").unwrap();
    for (i, h) in ["客户名称", "手机", "首次接触日期", "合同金额"].iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "星辰科技").unwrap();
    sheet.write_number(1, 1, 13812345678.0).unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_datetime_with_format(1, 2, &date, &fmt).unwrap();
    sheet.write_number(1, 3, 500000.0).unwrap();
    sheet.write_string(2, 0, "腾远科技").unwrap();
    sheet.write_number(2, 2, 45366.0).unwrap();
    book.add_worksheet().set_name("other").unwrap();
    book.save(&path).unwrap();

    let mut wb = Workbench::open_in_memory("t").unwrap();
    let r = wb.import(&path, &opts("x"), &mut |_| {}).unwrap();
    assert_eq!(r.counts.imported, 2);
    let ids = wb.customer_ids().unwrap();
    let a = wb.customer_detail(ids[0]).unwrap();
    assert_eq!(a.customer.mobile.as_deref(), Some("13812345678"), "a phone typed as a number keeps its digits");
    assert_eq!(a.customer.first_contact.as_deref(), Some("2024-03-15"));
    assert_eq!(a.customer.contract_amount.as_deref(), Some("500000"));
    assert_eq!(a.sources[0].row_number, 1, "the first data row of a sheet is row 1");
    let b = wb.customer_detail(ids[1]).unwrap();
    assert_eq!(b.customer.first_contact.as_deref(), Some("2024-03-15"), "an Excel serial is a date");

    let wrong = ImportOptions { read: ReadOptions { sheet: Some("nope".into()), ..Default::default() }, ..opts("x") };
    let err = wb.import(&path, &wrong, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("no worksheet `nope`") && err.contains("客户"), "{err}");
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.csv", SALES);
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let before = count(&wb, "SELECT count(*) FROM audit_log");
    let r = wb.import(&f, &ImportOptions { dry_run: true, ..opts("sales") }, &mut |_| {}).unwrap();
    assert_eq!(r.batch_id, None);
    assert_eq!((r.counts.imported, r.counts.rejected, r.counts.warned), (2, 1, 1));
    assert!(r.issues.iter().any(|i| i.rule == "mobile.format" || i.rule == "phone.format"));
    assert!(r.issues.iter().any(|i| i.rule == "row.identity" && i.row == 3));
    assert_eq!(count(&wb, "SELECT count(*) FROM customers"), 0);
    assert_eq!(count(&wb, "SELECT count(*) FROM import_batches"), 0);
    assert_eq!(count(&wb, "SELECT count(*) FROM audit_log"), before);
}

#[test]
fn reimport_updates_changed_rows_and_undo_restores() {
    let dir = tempfile::tempdir().unwrap();
    let f1 = write(dir.path(), "a.csv", SALES);
    let f2 = write(
        dir.path(),
        "b.csv",
        SALES.replace("王经理", "王总").replace("XS-3,,,,,", "XS-3,新客户有限公司,,13900000000,,"),
    );
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let o = ImportOptions { key: Some("客户编号".into()), ..opts("sales") };
    let b1 = wb.import(&f1, &o, &mut |_| {}).unwrap();
    let b2 = wb.import(&f2, &o, &mut |_| {}).unwrap();
    assert_eq!((b2.counts.updated, b2.counts.unchanged), (2, 1), "{:?}", b2.counts);
    let first = wb.customer_by_number(&wb.customer_rows(&wb.customer_ids().unwrap()[..1]).unwrap()[0].number).unwrap();
    assert_eq!(first.customer.contact_name.as_deref(), Some("王"));
    assert_eq!(first.customer.contact_title.as_deref(), Some("总"), "the title is taken off the name");
    assert_eq!(count(&wb, "SELECT count(*) FROM source_record_history"), 2, "previous raw rows are kept");
    assert_eq!(wb.customer_count().unwrap(), 3, "the previously rejected row became a customer");

    // Batch 1 cannot be undone while batch 2 re-imported its rows.
    let err = wb.undo_import(b1.batch_id.unwrap()).unwrap_err().to_string();
    assert!(err.contains("undo batch"), "{err}");
    wb.undo_import(b2.batch_id.unwrap()).unwrap();
    let back = wb.customer_detail(first.customer.id).unwrap();
    assert_eq!(back.customer.contact_title.as_deref(), Some("经理"));
    assert_eq!(wb.customer_count().unwrap(), 2);
    assert_eq!(back.sources[0].values[2], "王经理", "the raw row is restored too");
    assert_eq!(count(&wb, "SELECT count(*) FROM source_record_history"), 0);
    // Now batch 1 can go, leaving nothing behind but the logs.
    wb.undo_import(b1.batch_id.unwrap()).unwrap();
    for table in ["customers", "source_records", "customer_phones", "customer_emails", "contacts", "interactions"] {
        assert_eq!(count(&wb, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
    }
    assert!(wb.undo_import(b1.batch_id.unwrap()).unwrap_err().to_string().contains("already undone"));
    let actions: Vec<String> = wb.recent_audit(10).unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "import.undo").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "import").count(), 2, "one audit entry per batch, not per row");
}

fn big_csv(dir: &Path, rows: usize) -> PathBuf {
    let mut text = String::from("编号,客户名称,手机\n");
    for i in 0..rows {
        text.push_str(&format!("K{i},客户{i}有限公司,1{:010}\n", 3_000_000_000u64 + i as u64));
    }
    write(dir, "big.csv", text)
}

#[test]
fn cancelled_import_resumes_to_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let f = big_csv(dir.path(), 12_000);
    let mut wb = Workbench::open(&dir.path().join("db.sqlite"), crm_workbench::store::OpenMode::Create, "t").unwrap();
    let cancel = Arc::new(AtomicBool::new(false));
    let o = ImportOptions { key: Some("编号".into()), cancel: Some(cancel.clone()), ..opts("big") };
    let flag = cancel.clone();
    // Cancel as soon as the first chunk is committed.
    let r = wb.import(&f, &o, &mut |_| flag.store(true, Ordering::Relaxed)).unwrap();
    assert!(r.cancelled);
    let batch = r.batch_id.unwrap();
    let partial = wb.batch(batch).unwrap();
    assert_eq!(partial.status, crm_workbench::domain::BatchStatus::Incomplete);
    assert!(partial.rows_read > 0 && partial.rows_read < 12_000, "{}", partial.rows_read);
    assert_eq!(wb.customer_count().unwrap(), partial.rows_imported, "counts match what was committed");

    let done = wb.resume_import(batch, None, &mut |_| {}).unwrap();
    assert!(!done.cancelled);
    assert_eq!(done.counts.read, 12_000);
    assert_eq!(done.counts.imported, 12_000);
    assert_eq!(wb.customer_count().unwrap(), 12_000);
    assert_eq!(wb.batch(batch).unwrap().status, crm_workbench::domain::BatchStatus::Complete);
    assert!(wb.resume_import(batch, None, &mut |_| {}).is_err(), "a complete batch cannot be resumed");
}

#[test]
fn rejected_rows_and_mapping_memory() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "p.csv", "surname;given;tel;memo\n王;伟;13812345678;x\n李;;;\n;;;只有备注\n");
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let o = ImportOptions {
        maps: vec!["surname+given=name".into(), "tel=phone".into(), "memo=custom:来源说明:text".into()],
        default_kind: Some("person".into()),
        ..opts("hr")
    };
    let r = wb.import(&f, &o, &mut |_| {}).unwrap();
    assert_eq!((r.counts.imported, r.counts.rejected), (2, 1));
    let ids = wb.customer_ids().unwrap();
    let d = wb.customer_detail(ids[0]).unwrap();
    assert_eq!(d.customer.name, "王伟", "CJK parts join without a space");
    assert_eq!(d.custom, vec![("来源说明".to_string(), "text".to_string(), "x".to_string())]);
    let rejected = imports::rejected_rows(wb.store().conn(), r.batch_id.unwrap()).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].row, 3);
    assert_eq!(rejected[0].cells, vec!["", "", "", "只有备注"]);

    // The mapping is remembered for the source: a second file of the same
    // source needs no --map.
    let remembered = wb.remembered_mapping("hr").unwrap().unwrap();
    assert_eq!(remembered.joins[0].columns, vec!["surname", "given"]);
    let text = remembered.to_toml();
    assert_eq!(MappingFile::from_toml(&text).unwrap(), remembered);
    let f2 = write(dir.path(), "p2.csv", "surname;given;tel;memo\n张;敏;13912345678;y\n");
    let r2 = wb.import(&f2, &ImportOptions { key: None, ..opts("hr") }, &mut |_| {}).unwrap();
    assert_eq!(r2.counts.imported + r2.counts.updated, 1);
    assert!(r2.mapping.joins.iter().any(|j| j.target == "name"));
}

#[test]
fn exports_neutralise_formulas_and_links_follow_sources() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "x.csv",
        "客户名称,备注,手机,城市\n星辰科技,=HYPERLINK(\"http://x\"),13812345678,@SUM(A1)\n腾远科技,-2,13912345678,+星辰\n",
    );
    let mut wb = Workbench::open_in_memory("t").unwrap();
    wb.import(&f, &opts("x"), &mut |_| {}).unwrap();
    let mut csv_out = Vec::new();
    assert_eq!(wb.export_customers(ExportFormat::Csv, &mut csv_out).unwrap(), 2);
    assert!(csv_out.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM to read UTF-8");
    let text = String::from_utf8(csv_out[3..].to_vec()).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert_eq!(&headers[0], "number");
    assert!(headers.iter().any(|h| h == "phones"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let city = headers.iter().position(|h| h == "city").unwrap();
    let notes = headers.iter().position(|h| h == "notes").unwrap();
    assert_eq!(&rows[0][notes], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[0][city], "'@SUM(A1)");
    assert_eq!(&rows[1][city], "'+星辰");
    assert_eq!(&rows[1][notes], "'-2");

    let mut xlsx = Vec::new();
    wb.export_customers(ExportFormat::Xlsx, &mut xlsx).unwrap();
    let p = write(dir.path(), "e.xlsx", &xlsx);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&p).unwrap();
    use calamine::Reader;
    let range = book.worksheet_range("customers").unwrap();
    let cell = range.get((1, notes)).unwrap().to_string();
    assert!(cell.starts_with('\''), "{cell}");

    let mut json = Vec::new();
    wb.export_customers(ExportFormat::Json, &mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["phones"][0], "13812345678");

    let mut links = Vec::new();
    assert_eq!(wb.export_links(&mut links).unwrap(), 2);
    let links = String::from_utf8(links).unwrap();
    assert!(links.starts_with("source,source_key,customer_number\n"), "{links}");
    assert!(links.lines().nth(1).unwrap().starts_with("x,1,CRM"));
}

#[test]
fn encoding_override_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "u.csv", "客户名称\n星辰\n");
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let o =
        ImportOptions { read: ReadOptions { encoding: EncodingChoice::Gb18030, ..Default::default() }, ..opts("x") };
    // UTF-8 bytes read as GB18030 decode to other characters, not an error:
    // the mapping no longer finds the header, which is reported.
    let err = wb.import(&f, &o, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("u.csv") && err.contains("no column could be mapped"), "{err}");
    // Auto-detection reads the same bytes as UTF-8 and maps the header.
    assert_eq!(wb.import(&f, &opts("x"), &mut |_| {}).unwrap().counts.imported, 1);
}

fn index_count(wb: &Workbench) -> i64 {
    count(wb, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")
}

#[test]
fn bulk_load_cancelled_or_failing_gives_its_indexes_back() {
    use crm_workbench::service::BulkMode;
    let dir = tempfile::tempdir().unwrap();
    let f = big_csv(dir.path(), 12_000);
    let mut wb = Workbench::open(&dir.path().join("db.sqlite"), crm_workbench::store::OpenMode::Create, "t").unwrap();
    let indexes = index_count(&wb);
    let cancel = Arc::new(AtomicBool::new(false));
    let o =
        ImportOptions { key: Some("编号".into()), cancel: Some(cancel.clone()), bulk: BulkMode::On, ..opts("big") };
    let flag = cancel.clone();
    let db = dir.path().join("db.sqlite");
    let mut indexes_during = None;
    let r = wb
        .import(&f, &o, &mut |_| {
            flag.store(true, Ordering::Relaxed);
            // What another process sees mid-load.
            let other = rusqlite::Connection::open(&db).unwrap();
            let n: i64 =
                other.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index'", [], |r| r.get(0)).unwrap();
            indexes_during.get_or_insert(n);
        })
        .unwrap();
    assert!(r.cancelled);
    assert!(indexes_during.is_some_and(|n| n < indexes), "{indexes_during:?} of {indexes}: nothing was dropped");
    assert_eq!(index_count(&wb), indexes, "a cancelled bulk load rebuilds its indexes");
    assert_eq!(crm_workbench::store::bulk::pending(wb.store().conn()).unwrap(), None);
    let done = wb.resume_import(r.batch_id.unwrap(), None, &mut |_| {}).unwrap();
    assert_eq!((done.counts.read, done.counts.imported), (12_000, 12_000));
    assert_eq!(index_count(&wb), indexes);

    // A file that turns unreadable half-way: the rows before stay, the
    // batch is incomplete, and the indexes are back.
    let mut text = String::from("编号,客户名称,手机\n");
    for i in 0..6_000u64 {
        text.push_str(&format!("B{i},乙{i}有限公司,1{:010}\n", 3_100_000_000 + i));
    }
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"B-bad,\xff\xfe\xfd,13800000000\n");
    let bad = write(dir.path(), "bad.csv", bytes);
    let read = ReadOptions { encoding: EncodingChoice::Utf8, ..Default::default() };
    let o = ImportOptions { key: Some("编号".into()), read, bulk: BulkMode::On, ..opts("bad") };
    let err = wb.import(&bad, &o, &mut |_| {}).err().unwrap().to_string();
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(count(&wb, "SELECT count(*) FROM source_records WHERE source = 'bad'") > 0);
    assert_eq!(index_count(&wb), indexes, "a failed bulk load rebuilds its indexes");
    assert_eq!(crm_workbench::store::bulk::pending(wb.store().conn()).unwrap(), None);
    let ok: String = wb.store().conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

/// Issue 15, finding 4: a batch interrupted and resumed remembers the
/// source's mapping and key as a finished one does, so the same file
/// imported again (without `--key`) is unchanged, not duplicated.
#[test]
fn finding_15_4_resumed_import_remembers_mapping_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = big_csv(dir.path(), 12_000);
    let db = dir.path().join("db.sqlite");
    let batch = {
        let mut wb = Workbench::open(&db, crm_workbench::store::OpenMode::Create, "t").unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let o = ImportOptions { key: Some("编号".into()), cancel: Some(cancel.clone()), ..opts("big") };
        let flag = cancel.clone();
        let r = wb.import(&f, &o, &mut |_| flag.store(true, Ordering::Relaxed)).unwrap();
        assert!(r.cancelled);
        r.batch_id.unwrap()
    };
    // Resumed by another process, as `crmwb imports resume` is.
    let mut wb = Workbench::open(&db, crm_workbench::store::OpenMode::Existing, "t").unwrap();
    wb.resume_import(batch, None, &mut |_| {}).unwrap();
    let remembered = wb.remembered_mapping("big").unwrap().expect("the resumed batch remembered its mapping");
    assert_eq!(remembered.key.as_deref(), Some("编号"));
    let again = wb.import(&f, &opts("big"), &mut |_| {}).unwrap();
    assert_eq!((again.counts.imported, again.counts.unchanged), (0, 12_000), "{:?}", again.counts);
    assert_eq!(wb.customer_count().unwrap(), 12_000);
}

/// Issue 15, finding 11: a batch that fails part-way has its committed
/// rows in the audit, not only once it is undone.
#[test]
fn finding_15_11_partial_import_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = String::from("编号,客户名称,手机\n");
    for i in 0..3_000 {
        bytes.push_str(&format!("K{i},客户{i}有限公司,1{:010}\n", 3_000_000_000u64 + i as u64));
    }
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(b"K3000,\xff\xfe bad,13800000000\n");
    let f = write(dir.path(), "partial.csv", bytes);
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let err = wb.import(&f, &ImportOptions { key: Some("编号".into()), ..opts("p") }, &mut |_| {});
    assert!(err.is_err());
    assert_eq!(wb.customer_count().unwrap(), 3_000);
    let audited = count(
        &wb,
        "SELECT count(*) FROM audit_log WHERE entity = 'import_batch' AND entity_id = '1' \
         AND json_extract(details, '$.counts.imported') = 3000",
    );
    assert_eq!(audited, 1, "the committed rows of the failed batch are in the audit");
}

/// Issue 15, finding 3: undo deletes a batch's source records, and each
/// delete checks the tables that refer to them; without an index on
/// `source_record_id` every check was a scan (undo quadratic in the batch).
#[test]
fn finding_15_3_source_record_references_are_indexed() {
    let wb = Workbench::open_in_memory("t").unwrap();
    for table in ["customer_phones", "customer_emails", "contacts", "interactions"] {
        let plan: String = wb
            .store()
            .conn()
            .query_row(&format!("EXPLAIN QUERY PLAN SELECT 1 FROM {table} WHERE source_record_id = 1"), [], |r| {
                r.get(3)
            })
            .unwrap();
        assert!(plan.contains("INDEX"), "{table}: {plan}");
    }
}

/// Issue 15, finding 5: a lone `"` at the start of the second row opened a
/// quoted field that ran to the end of the file: "2 rows read", batch
/// complete, one customer whose name held four rows. A quoted field that
/// reaches the end of the file is an error naming the row (and line) where
/// it opened, and nothing from that row on is imported.
#[test]
fn finding_15_5_unbalanced_quote_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "quote.csv",
        "客户名称,手机\n\
         北京星辰科技有限公司,13812345678\n\
         \"上海腾达贸易有限公司,13912345678\n\
         广州远航物流有限公司,13712345678\n\
         深圳明日电子有限公司,13612345678\n\
         杭州青山茶业有限公司,13512345678\n",
    );
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let err = wb.import(&f, &opts("q"), &mut |_| {}).expect_err("an unbalanced quote is an error").to_string();
    assert!(err.contains("quote.csv") && err.contains("row 2") && err.contains("line 3"), "{err}");
    assert!(err.contains("closing quote"), "{err}");
    assert!(wb.customer_count().unwrap() <= 1, "nothing from the open quote on is imported");
    assert_eq!(count(&wb, "SELECT count(*) FROM customers WHERE name LIKE '%' || char(10) || '%'"), 0);
    assert_eq!(count(&wb, "SELECT count(*) FROM source_records WHERE row_number >= 2"), 0);
    // A dry run says the same.
    let dry = wb.import(&f, &ImportOptions { dry_run: true, ..opts("q") }, &mut |_| {});
    assert!(dry.expect_err("a dry run fails too").to_string().contains("row 2"));
}

/// Issue 15, finding 5: a quote that does close, but only after it has
/// swallowed more rows than any cell holds (Excel allows 253 line breaks
/// and 32,767 characters a cell), is refused naming the row it opened in,
/// as soon as it passes the bound: the cost stays bounded too.
#[test]
fn finding_15_5_runaway_quoted_field_is_refused_at_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("客户名称,手机\n北京星辰科技有限公司,13812345678\n\"上海腾达贸易有限公司,13912345678\n");
    for i in 0..400 {
        text.push_str(&format!("客户{i}有限公司,1{:010}\n", 3_000_000_000u64 + i));
    }
    text.push_str("尾\",13000000000\n");
    let f = write(dir.path(), "runaway.csv", &text);
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let err = wb.import(&f, &opts("q"), &mut |_| {}).expect_err("refused").to_string();
    assert!(err.contains("runaway.csv") && err.contains("row 2") && err.contains("line 3"), "{err}");
    assert!(err.contains("253 line breaks"), "{err}");

    // Long instead of many lines: 40,000 characters in two lines.
    let long = format!("客户名称,备注\n星辰,\"{}\n{}\"\n", "a".repeat(20_000), "b".repeat(20_000));
    let f = write(dir.path(), "long.csv", long);
    let err = wb.import(&f, &opts("q"), &mut |_| {}).expect_err("refused").to_string();
    assert!(err.contains("long.csv") && err.contains("row 1") && err.contains("32,767"), "{err}");
    assert_eq!(wb.customer_count().unwrap(), 1, "only the row before the runaway cell of the first file");
}

/// Issue 15, finding 5: quoted cells that do hold line breaks (a note of a
/// few lines, an escaped quote) still import as one cell.
#[test]
fn finding_15_5_multiline_quoted_cells_still_import() {
    let dir = tempfile::tempdir().unwrap();
    let note: String = (1..=200).map(|i| format!("第{i}行\n")).collect();
    let f = write(
        dir.path(),
        "notes.csv",
        format!(
            "客户名称,手机,备注\n\
             北京星辰科技有限公司,13812345678,\"请回电\r\n周一上午\"\n\
             上海腾达贸易有限公司,13912345678,\"他说\"\"明天\"\"\n再联系\"\n\
             广州远航物流有限公司,13712345678,\"{note}\"\n"
        ),
    );
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let r = wb.import(&f, &opts("n"), &mut |_| {}).unwrap();
    assert_eq!((r.counts.read, r.counts.imported), (3, 3), "{:?}", r.counts);
    let ids = wb.customer_ids().unwrap();
    let notes: Vec<String> =
        ids.iter().map(|id| wb.customer_detail(*id).unwrap().customer.notes.unwrap_or_default()).collect();
    assert!(notes.iter().any(|n| n.contains("请回电") && n.contains("周一上午")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("\"明天\"") && n.contains("再联系")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("第200行")), "{notes:?}");
}

/// Issue 15, finding 2 (its remaining point): blank rows are skipped and
/// counted as blank, not rejected, and the import's report says how many
/// (an XLSX with empty rows inside its table, a CSV with an all-empty row).
#[test]
fn finding_15_2_blank_rows_are_counted_in_the_import_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "客户名称").unwrap();
    sheet.write_string(0, 1, "手机").unwrap();
    sheet.write_string(1, 0, "星辰科技").unwrap();
    sheet.write_string(1, 1, "13812345678").unwrap();
    // Rows 2 to 4 (sheet rows 3–5) are empty; one holds only white space.
    sheet.write_string(3, 1, "   ").unwrap();
    sheet.write_string(5, 0, "腾远科技").unwrap();
    sheet.write_string(5, 1, "13912345678").unwrap();
    book.save(&path).unwrap();
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let r = wb.import(&path, &opts("x"), &mut |_| {}).unwrap();
    assert_eq!((r.counts.read, r.counts.imported, r.counts.rejected, r.blank), (2, 2, 0, 3), "{:?}", r.counts);
    let dry = wb.import(&path, &ImportOptions { dry_run: true, ..opts("y") }, &mut |_| {}).unwrap();
    assert_eq!(dry.blank, 3);

    let csv = write(dir.path(), "gaps.csv", "客户名称,手机\n甲科技,13712345678\n,\n , \n乙科技,13612345678\n");
    let r = wb.import(&csv, &opts("z"), &mut |_| {}).unwrap();
    assert_eq!((r.counts.read, r.counts.rejected, r.blank), (2, 0, 2), "{:?}", r.counts);
    // The summary the CLI prints, and its JSON.
    let db = dir.path().join("crm.db");
    let run = |json: bool| {
        let mut c = assert_cmd::Command::cargo_bin("crmwb").unwrap();
        c.env("CRMWB_LANG", "en");
        c.env_remove("CRMWB_DB").arg("--db").arg(&db).args(["import", csv.to_str().unwrap(), "--source", "z"]);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(false);
    assert!(text.contains("2 rows read (2 blank rows skipped)"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(v["blank"], 2, "{v}");
    // The batch keeps the count: `imports show` says it long after.
    assert_eq!(wb.batch(r.batch_id.unwrap()).unwrap().rows_blank, 2);
    let mut c = assert_cmd::Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en").env_remove("CRMWB_DB").arg("--db").arg(&db).args(["imports", "show", "1"]);
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 blank rows were passed over (not data, not rejected)."), "{text}");
    c = assert_cmd::Command::cargo_bin("crmwb").unwrap();
    c.env_remove("CRMWB_DB").arg("--db").arg(&db).args(["imports", "show", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&c.output().unwrap().stdout).unwrap();
    assert_eq!(v["batch"]["rows_blank"], 2, "{v}");
}

/// A guessed enumerated target is checked against the first rows of the
/// file the import reads (a ticket's `状态` is not the customer's status),
/// and those rows are still imported, none read twice or lost.
#[test]
fn mapping_sample_is_checked_and_its_rows_still_imported() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("客户名称,手机,状态\n");
    for i in 0..300 {
        text.push_str(&format!(
            "客户{i}有限公司,1{:010},{}\n",
            3_000_000_000u64 + i,
            ["处理中", "已关闭"][i as usize % 2]
        ));
    }
    let f = write(dir.path(), "tickets.csv", text);
    let mut wb = Workbench::open_in_memory("t").unwrap();
    let m = wb.preview_mapping(&f, &opts("t")).unwrap();
    assert_eq!(m.columns[2].target, None);
    assert!(m.columns[2].dropped.as_deref().is_some_and(|d| d.contains("200 of 200")), "{:?}", m.columns[2]);
    let r = wb.import(&f, &opts("t"), &mut |_| {}).unwrap();
    assert_eq!((r.counts.read, r.counts.imported), (300, 300), "{:?}", r.counts);
    assert!(r.mapping.columns[2].dropped.is_some());
    assert_eq!(count(&wb, "SELECT count(*) FROM customers WHERE status IS NOT NULL"), 0);
    assert_eq!(count(&wb, "SELECT count(*) FROM source_records"), 300);
}
