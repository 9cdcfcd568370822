//! Arbitrary bytes through the whole import path (reader, mapping, planner,
//! store): an error is fine, a panic is a defect.

use crm_workbench::service::{ImportOptions, Workbench};
use proptest::prelude::*;

fn import_bytes(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut wb = Workbench::open_in_memory("fuzz").unwrap();
    let opts = ImportOptions { source: "fuzz".into(), ..Default::default() };
    if let Ok(r) = wb.import(&path, &opts, &mut |_| {}) {
        // Whatever was accepted is consistent: every read row is accounted for.
        let c = r.counts;
        assert_eq!(c.read, c.imported + c.updated + c.unchanged + c.rejected, "{c:?}");
    }
    let dry = ImportOptions { dry_run: true, ..opts };
    let _ = wb.import(&path, &dry, &mut |_| {});
}

/// CSV-shaped noise: headers the mapper knows, cells of anything.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        "\\PC{0,12}",
        "[0-9+ \\-()转]{0,16}",
        Just("\"".to_string()),
        Just("\"a,\nb\"".to_string()),
        Just("\u{202E}\x1b[2J".to_string()),
    ];
    let row = prop::collection::vec(cell, 0..8).prop_map(|cells| cells.join(","));
    (prop::sample::select(vec![",", ";", "\t", "|"]), prop::collection::vec(row, 0..12)).prop_map(|(d, rows)| {
        let mut text = format!("客户名称{d}手机{d}邮箱{d}首次接触日期{d}客户状态\n");
        for r in rows {
            text.push_str(&r.replace(',', d));
            text.push('\n');
        }
        text.into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_csv(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        import_bytes(&bytes, "f.csv");
    }

    #[test]
    fn csv_shaped_noise(bytes in csvish()) {
        import_bytes(&bytes, "f.csv");
    }

    #[test]
    fn arbitrary_bytes_as_xlsx(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        import_bytes(&bytes, "f.xlsx");
    }

    #[test]
    fn damaged_zip_as_xlsx(cut in 0usize..2000, flip in 0usize..2000) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let s = book.add_worksheet();
        s.write_string(0, 0, "客户名称").unwrap();
        s.write_string(1, 0, "星辰科技").unwrap();
        let mut bytes = book.save_to_buffer().unwrap();
        if !bytes.is_empty() {
            let i = flip % bytes.len();
            bytes[i] ^= 0x5A;
            bytes.truncate(bytes.len().saturating_sub(cut % bytes.len()));
        }
        import_bytes(&bytes, "f.xlsx");
    }
}
