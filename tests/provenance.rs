//! Raw source rows are kept verbatim: re-emitting them from the database
//! gives back the input file, value for value.

use crm_workbench::service::{ImportOptions, Workbench};
use crm_workbench::store::{imports, OpenMode};
use std::path::Path;

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    // The samples come as the source systems write them: GB18030 or UTF-8 with a BOM.
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.strip_prefix('\u{FEFF}').unwrap_or(t).to_string(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GB18030.decode(&bytes);
            assert!(!bad);
            t.into_owned()
        }
    };
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    let headers = rows.remove(0);
    (headers, rows)
}

fn check_round_trip(file: &str, source: &str, key: Option<&str>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(file);
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbench::open(&dir.path().join("t.db"), OpenMode::Create, "tester").unwrap();
    let opts = ImportOptions { source: source.into(), key: key.map(str::to_string), ..Default::default() };
    let report = wb.import(&path, &opts, &mut |_| {}).unwrap();
    let (headers, rows) = read_csv(&path);
    let stored = imports::sources_of_batch(wb.store().conn(), report.batch_id.unwrap()).unwrap();
    let key_rejected = report.counts.read as usize - stored.len();
    assert!(key_rejected <= rows.len() / 10, "{file}: {key_rejected} rows not stored");
    for rec in &stored {
        let original = &rows[rec.row_number as usize - 1];
        assert_eq!(&rec.values, original, "{file} row {}: stored raw row differs", rec.row_number);
        assert_eq!(rec.headers, headers);
    }
    // Blank rows (every cell empty) are skipped and counted, not stored
    // (issue 15, finding 2); row numbers still count them.
    let blank = rows.iter().filter(|r| r.iter().all(|c| c.trim().is_empty())).count();
    assert_eq!(stored.len() + key_rejected + blank, rows.len());
}

#[test]
fn sales_rows_round_trip() {
    check_round_trip("sales.csv", "sales", Some("客户编号"));
}

#[test]
fn service_sheet_rows_are_kept_with_their_keys() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/service.xlsx");
    let mut wb = Workbench::open_in_memory("tester").unwrap();
    let opts = ImportOptions { source: "service".into(), key: Some("工单号".into()), ..Default::default() };
    let report = wb.import(&path, &opts, &mut |_| {}).unwrap();
    let stored = imports::sources_of_batch(wb.store().conn(), report.batch_id.unwrap()).unwrap();
    assert_eq!(stored.len() as i64, report.counts.read);
    let truth = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/truth.csv")).unwrap();
    for rec in &stored {
        assert!(truth.contains(&format!("service,{},", rec.source_key)), "{} not in truth.csv", rec.source_key);
        assert_eq!(rec.values[0], rec.source_key, "the key column is the first raw cell");
    }
}

#[test]
fn marketing_rows_round_trip() {
    check_round_trip("marketing.csv", "marketing", None);
}

#[test]
fn bom_and_embedded_newlines_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    let cells = ["  北京星辰科技有限公司 ", "line one\nline two", "138-1234-5678", "say \"hi\", ok", "\t"];
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(["客户名称", "备注", "手机", "需求", "城市"]).unwrap();
    w.write_record(cells).unwrap();
    std::fs::write(&path, w.into_inner().unwrap()).unwrap();
    let mut wb = Workbench::open_in_memory("tester").unwrap();
    let r = wb.import(&path, &ImportOptions { source: "x".into(), ..Default::default() }, &mut |_| {}).unwrap();
    let stored = imports::sources_of_batch(wb.store().conn(), r.batch_id.unwrap()).unwrap();
    assert_eq!(stored[0].values, cells);
    assert_eq!(stored[0].headers[0], "客户名称", "the BOM is not part of the first header");
    let d = wb.customer_detail(stored[0].customer_id.unwrap()).unwrap();
    assert_eq!(d.customer.name, "北京星辰科技有限公司");
    assert_eq!(d.customer.notes.as_deref(), Some("line one\nline two"));
}
