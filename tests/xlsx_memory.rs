//! The memory bound of reading a worksheet: a 100,000-row XLSX sheet is
//! read in under 64 MB peak resident memory, because it is streamed (read
//! whole, such a sheet took about 1 KB a row). Measured in a child process
//! (this test binary run again, on one test), since the peak of the test
//! process itself includes whatever other tests ran in it.

use crm_workbench::ingest::TableReader;
use std::path::Path;
use std::process::Command;

const ROWS: u32 = 100_000;
const CHILD_ENV: &str = "CRMWB_XLSX_MEMORY_CHILD";
/// Peak resident memory allowed for reading the sheet, in KB.
const BOUND_KB: u64 = 64 * 1024;

fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child's half: reads every row of the sheet named in `CHILD_ENV`
/// and prints the count, the last row and its own peak memory. Does
/// nothing when run as an ordinary test.
#[test]
fn child_reads_the_sheet() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let mut reader = TableReader::open(Path::new(&path)).unwrap();
    let (mut rows, mut last) = (0u64, Vec::new());
    while let Some(row) = reader.next_row() {
        last = row.unwrap().cells;
        rows += 1;
    }
    println!("rows={rows} last={} peak_kb={}", last.join("|"), peak_kb().unwrap_or(0));
}

#[test]
fn a_100k_row_sheet_is_read_in_bounded_memory() {
    if peak_kb().is_none() {
        eprintln!("no /proc/self/status here: the memory bound is checked on Linux only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = ["工单号", "客户名称", "联系人", "手机", "邮箱", "地址", "受理日期", "问题描述"];
    for (i, h) in headers.iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for r in 1..=ROWS {
        sheet.write_string(r, 0, format!("GD{r:07}")).unwrap();
        sheet.write_string(r, 1, format!("北京星辰{r}科技有限公司")).unwrap();
        sheet.write_string(r, 2, format!("王{r}")).unwrap();
        sheet.write_number(r, 3, 13_800_000_000.0 + f64::from(r)).unwrap();
        sheet.write_string(r, 4, format!("user{r}@example.com")).unwrap();
        sheet.write_string(r, 5, format!("北京市海淀区中关村大街{r}号")).unwrap();
        sheet.write_number_with_format(r, 6, 45_000.0 + f64::from(r % 1000), &date).unwrap();
        sheet.write_string(r, 7, "客户来电反映设备无法启动，已安排工程师上门检修").unwrap();
    }
    book.save(&path).unwrap();

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_reads_the_sheet", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // The harness may print the test's name on the same line, before it.
    let line = stdout.lines().find_map(|l| l.find("rows=").map(|i| &l[i..])).expect("the child's report");
    let field = |k: &str| {
        line.split(' ').find_map(|f| f.strip_prefix(k)).unwrap_or_else(|| panic!("no {k} in {line}")).to_string()
    };
    assert_eq!(field("rows="), ROWS.to_string());
    let last = format!(
        "GD{ROWS:07}|北京星辰{ROWS}科技有限公司|王{ROWS}|{}|user{ROWS}@example.com|北京市海淀区中关村大街{ROWS}号|2023-03-15|客户来电反映设备无法启动，已安排工程师上门检修",
        13_800_000_000u64 + u64::from(ROWS)
    );
    assert_eq!(field("last="), last, "the last row, read through, with its number and date cells");
    let peak: u64 = field("peak_kb=").parse().unwrap();
    eprintln!("reading {ROWS} rows peaked at {} MB", peak / 1024);
    assert!(peak < BOUND_KB, "reading {ROWS} rows peaked at {} MB, over the {} MB bound", peak / 1024, BOUND_KB / 1024);
}

/// Issue 15, finding 2: one cell at XFD1048576 next to A1:B2 made a
/// million rows of 16,384 cells. Blank rows are skipped and counted, the
/// far cell is refused by name, and the work follows the content.
#[test]
fn finding_15_2_far_cell_xlsx_stores_no_blank_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "客户名称").unwrap();
    sheet.write_string(0, 1, "手机").unwrap();
    sheet.write_string(1, 0, "星辰科技").unwrap();
    sheet.write_string(1, 1, "13812345678").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 16 * 1024);

    let started = std::time::Instant::now();
    let mut reader = TableReader::open(&path).unwrap();
    assert_eq!(reader.headers(), ["客户名称", "手机"]);
    let first = reader.next_row().unwrap().unwrap();
    assert_eq!((first.number, first.cells), (1, vec!["星辰科技".to_string(), "13812345678".to_string()]));
    let err = reader.next_row().unwrap().unwrap_err().to_string();
    assert!(err.contains("far.xlsx") && err.contains("XFD1048576"), "{err}");
    assert!(reader.next_row().is_none());
    assert_eq!(reader.blank_rows(), 1_048_573, "the rows between are blank, counted, never read as data");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

/// Issue 15, finding 2: a shared string far beyond Excel's 32,767
/// characters is refused before calamine loads it, naming the cell.
#[test]
fn finding_15_2_huge_shared_string_is_refused_naming_the_cell() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-string.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    zip.write_all(
        b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>\
          <row r=\"3\"><c r=\"B3\" t=\"s\"><v>1</v></c></row></sheetData></worksheet>",
    )
    .unwrap();
    zip.start_file("xl/sharedStrings.xml", opts).unwrap();
    zip.write_all(b"<sst><si><t>name</t></si><si><t>").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&chunk).unwrap();
    }
    zip.write_all(b"</t></si></sst>").unwrap();
    zip.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);

    let err = TableReader::open(&path).err().expect("refused").to_string();
    assert!(err.contains("big-string.xlsx") && err.contains("B3") && err.contains("column B"), "{err}");
    assert!(err.contains("row 3"), "{err}");
}
