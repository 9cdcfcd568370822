//! The bundled sample exports, imported as a user would: each in the format
//! its source system writes (GB18030 CSV, XLSX, UTF-8 CSV with a BOM).
//! The generator is deterministic, so the counts and values are exact.

use crm_workbench::service::{ImportOptions, ImportReport, Workbench};
use crm_workbench::store::imports;
use std::path::Path;

fn import(wb: &mut Workbench, file: &str, source: &str, key: Option<&str>) -> ImportReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(file);
    let opts = ImportOptions { source: source.into(), key: key.map(str::to_string), ..Default::default() };
    wb.import(&path, &opts, &mut |_| {}).unwrap()
}

fn customer_of(wb: &Workbench, source: &str, key: &str) -> crm_workbench::store::CustomerDetail {
    let id: i64 = wb
        .store()
        .conn()
        .query_row("SELECT customer_id FROM source_records WHERE source = ?1 AND source_key = ?2", [source, key], |r| {
            r.get(0)
        })
        .unwrap();
    wb.customer_detail(id).unwrap()
}

fn issues(wb: &Workbench, batch: i64) -> Vec<(i64, String)> {
    imports::batch_issues(wb.store().conn(), batch).unwrap().into_iter().map(|i| (i.row, i.rule)).collect()
}

#[test]
fn the_three_sample_sources() {
    let mut wb = Workbench::open_in_memory("tester").unwrap();

    let sales = import(&mut wb, "sales.csv", "sales", Some("客户编号"));
    assert_eq!(sales.encoding, "gb18030");
    let c = sales.counts;
    assert_eq!((c.read, c.imported, c.rejected, c.warned), (117, 114, 3, 16), "{c:?}");
    let s8 = customer_of(&wb, "sales", "XS-0000008");
    assert_eq!(s8.customer.name, "苏州市辰益时智能科技有限公司");
    assert_eq!(s8.customer.name_parts.core.as_deref(), Some("辰益时智能科技"));
    assert_eq!(s8.customer.contract_amount.as_deref(), Some("502800"), "50.28万 is an amount");
    assert_eq!((s8.customer.contact_name.as_deref(), s8.customer.contact_title.as_deref()), (Some("马"), Some("主任")));
    let s24 = customer_of(&wb, "sales", "XS-0000024");
    let numbers: Vec<&str> = s24.phones.iter().map(|p| p.number.as_str()).collect();
    assert!(
        numbers.contains(&"13025062549") && numbers.contains(&"0755-88924536"),
        "two numbers in one cell: {numbers:?}"
    );
    assert_eq!(customer_of(&wb, "sales", "XS-0000104").customer.mobile.as_deref(), Some("15323463702"));
    let sales_issues = issues(&wb, sales.batch_id.unwrap());
    assert!(sales_issues.contains(&(19, "phone.format".into())), "a landline without its area code is flagged");
    assert!(sales_issues.contains(&(31, "row.identity".into())));
    assert!(sales_issues.contains(&(67, "email.format".into())));

    let service = import(&mut wb, "service.xlsx", "service", Some("工单号"));
    assert_eq!(service.encoding, "xlsx");
    let c = service.counts;
    assert_eq!((c.read, c.imported, c.rejected, c.warned), (75, 72, 3, 3), "{c:?}");
    let t37 = customer_of(&wb, "service", "GD20260000037");
    assert_eq!(t37.customer.mobile.as_deref(), Some("17684040370"), "a mobile typed as a number keeps its digits");
    assert_eq!(t37.interactions.len(), 1);
    assert_eq!(t37.interactions[0].kind, "note");
    assert!(issues(&wb, service.batch_id.unwrap()).contains(&(52, "row.identity".into())));

    let marketing = import(&mut wb, "marketing.csv", "marketing", None);
    assert_eq!(marketing.encoding, "utf-8");
    let c = marketing.counts;
    // Its empty row (,,,,,,,,) is blank: skipped and counted, not rejected.
    assert_eq!((c.read, c.imported, c.rejected, c.warned), (53, 51, 2, 9), "{c:?}");
    let m4 = customer_of(&wb, "marketing", "4");
    assert_eq!(m4.customer.name, "峰祥（深圳）网络科技有限责任公司");
    assert_eq!(m4.customer.name_parts.region.as_deref(), Some("深圳"));
    assert_eq!(m4.customer.mobile.as_deref(), Some("17565272379"), "(手机) after the number is a note");
    assert_eq!(
        (m4.customer.contact_name.as_deref(), m4.customer.contact_title.as_deref()),
        (Some("陈美欣"), Some("总"))
    );
    let m_issues = issues(&wb, marketing.batch_id.unwrap());
    assert!(m_issues.contains(&(3, "date.format".into())), "2026-02-30 is refused");
    assert!(m_issues.contains(&(10, "date.format".into())), "6/1/2022 is ambiguous and refused, not guessed");

    assert_eq!(wb.customer_count().unwrap(), 114 + 72 + 51);

    // The quality sample shows each value beside the raw cells it came from,
    // and the same seed picks the same customers.
    let q = wb.quality(Some((0.2, 7))).unwrap();
    assert_eq!(q.customers, 237);
    assert!(!q.sample.is_empty() && q.sample.len() < 237);
    let again = wb.quality(Some((0.2, 7))).unwrap();
    let numbers =
        |r: &crm_workbench::service::QualityReport| r.sample.iter().map(|c| c.number.clone()).collect::<Vec<_>>();
    assert_eq!(numbers(&q), numbers(&again));
    let all = wb.quality(Some((1.0, 7))).unwrap();
    let s8 = all.sample.iter().find(|c| c.number == s8.customer.number).unwrap();
    let amount = s8.values.iter().find(|v| v.field == "contract_amount").unwrap();
    assert_eq!(amount.golden.as_deref(), Some("502800"));
    assert!(
        amount.raw.iter().any(|(src, key, _, raw)| src == "sales" && key == "XS-0000008" && raw == "50.28万"),
        "{:?}",
        amount.raw
    );
}
