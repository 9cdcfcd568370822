//! Streaming table readers: CSV/TSV in UTF-8, GB18030/GBK or UTF-16, and
//! spreadsheets (XLSX, XLS, ODS) through calamine. One row at a time for
//! CSV, whatever the file size.

use super::csv_guard::{runaway, QuoteGuard};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// One data row as read. `number` is 1-based, the header excluded.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub number: u64,
    pub cells: Vec<String>,
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    #[default]
    Auto,
    Utf8,
    Gb18030,
}

impl EncodingChoice {
    pub fn parse(s: &str) -> Option<EncodingChoice> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(EncodingChoice::Auto),
            "utf-8" | "utf8" => Some(EncodingChoice::Utf8),
            "gb18030" | "gbk" | "gb2312" => Some(EncodingChoice::Gb18030),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: EncodingChoice,
    /// Overrides the sniffed delimiter.
    pub delimiter: Option<u8>,
    /// The worksheet of a spreadsheet (default: the first).
    pub sheet: Option<String>,
}

enum Inner {
    /// `broken` once the text cannot be read further (a runaway quoted
    /// cell): no row after it is handed out.
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        record: csv::ByteRecord,
        broken: bool,
    },
    Sheet {
        range: calamine::Range<calamine::Data>,
        next: usize,
    },
    Stream(SheetStream),
}

pub struct TableReader {
    file: String,
    headers: Vec<String>,
    inner: Inner,
    rows: u64,
    /// Blank rows passed over: every cell empty or white space.
    blank: u64,
    /// Rows handed out (a streamed sheet numbers rows itself).
    returned: u64,
    /// Rows read ahead by `peek`, handed out first by `next_row`.
    ahead: std::collections::VecDeque<Result<RawRow>>,
    /// The encoding the file was read in (`utf-8`, `gb18030`, `utf-16le`, `xlsx`…).
    pub encoding: &'static str,
    /// The field delimiter of a CSV file.
    pub delimiter: Option<u8>,
    /// File size in bytes (CSV) or data rows (spreadsheets), for progress.
    total: u64,
    /// Data rows the file probably holds: exact for spreadsheets, from the
    /// length of the first lines for delimited text.
    estimated_rows: u64,
}

const SNIFF_BYTES: usize = 64 * 1024;

fn is_spreadsheet(path: &Path) -> bool {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
}

impl TableReader {
    /// Opens a UTF-8 CSV file with default options.
    pub fn open(path: &Path) -> Result<TableReader> {
        Self::open_with(path, &ReadOptions::default())
    }

    /// Opens a table and reads its header row. Spreadsheets are chosen by
    /// extension; anything else is read as delimited text.
    pub fn open_with(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
        if is_xlsx(path) {
            Self::open_xlsx(path, opts)
        } else if is_spreadsheet(path) {
            Self::open_sheet(path, opts)
        } else {
            Self::open_csv(path, opts)
        }
    }

    fn open_csv(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
        let file = path.display().to_string();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let f = File::open(path).map_err(io)?;
        let total = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut buf = BufReader::with_capacity(1 << 16, f);
        let mut head = vec![0u8; SNIFF_BYTES];
        let n = read_up_to(&mut buf, &mut head).map_err(io)?;
        head.truncate(n);
        let at_eof = n < SNIFF_BYTES;

        let (encoding, bom_len): (&'static encoding_rs::Encoding, usize) = match encoding_rs::Encoding::for_bom(&head) {
            Some((enc, len)) => (enc, len),
            None => (detect(&file, &head, at_eof, opts.encoding)?, 0),
        };
        if opts.encoding == EncodingChoice::Gb18030 && encoding == encoding_rs::UTF_8 && bom_len > 0 {
            return Err(Error::input(
                &file,
                None,
                None,
                "--encoding gb18030, but the file starts with a UTF-8 byte-order mark",
            ));
        }
        let head_text: String = if encoding == encoding_rs::UTF_8 {
            String::from_utf8_lossy(&head[bom_len..]).into_owned()
        } else {
            encoding.decode_without_bom_handling(&head[bom_len..]).0.into_owned()
        };
        let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&head_text, path));

        // Quoted line breaks make this an over-estimate; it only guides
        // whether an import is large (bulk loading), never correctness.
        let head_lines = head_text.lines().count().max(1) as u64;
        let estimated_rows = (total * head_lines / (head.len().max(1) as u64)).saturating_sub(1);
        let rest = std::io::Cursor::new(head[bom_len..].to_vec()).chain(buf);
        let src: Box<dyn Read + Send> = if encoding == encoding_rs::UTF_8 {
            Box::new(QuoteGuard::new(rest, delimiter))
        } else {
            let name = canonical_name(encoding).to_ascii_uppercase();
            let why = if bom_len > 0 {
                format!("{name}, as the file's byte-order mark says")
            } else if opts.encoding != EncodingChoice::Auto {
                format!("{name}, as --encoding asks")
            } else {
                format!("{name}, the encoding detected from the start of the file; if it is another, say which with --encoding")
            };
            Box::new(QuoteGuard::new(DecodeReader::new(rest, encoding, why), delimiter))
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(src);
        let mut record = csv::ByteRecord::new();
        let has = reader.read_byte_record(&mut record).map_err(|e| csv_error(&file, e, 0).0)?;
        if !has {
            return Err(Error::input(&file, None, None, "the file is empty: expected a header row"));
        }
        let headers = decode(&file, 0, &record, &[])?;
        check_headers(&file, &headers)?;
        Ok(TableReader {
            file,
            headers,
            inner: Inner::Csv { reader, record, broken: false },
            rows: 0,
            blank: 0,
            returned: 0,
            ahead: Default::default(),
            encoding: canonical_name(encoding),
            delimiter: Some(delimiter),
            total,
            estimated_rows,
        })
    }

    fn open_sheet(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
        use calamine::Reader as _;
        let file = path.display().to_string();
        if !path.exists() {
            return Err(Error::Io { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
        }
        let sheet = opts.sheet.clone();
        let p = path.to_path_buf();
        // calamine has panicked on malformed workbooks before; a bad file
        // must be an error about that file, never a crash.
        let result = std::panic::catch_unwind(
            move || -> std::result::Result<(calamine::Range<calamine::Data>, String), String> {
                let mut wb = calamine::open_workbook_auto(&p).map_err(|e| format!("cannot read the workbook: {e}"))?;
                let name = pick_sheet(&wb.sheet_names(), sheet)?;
                let range = wb.worksheet_range(&name).map_err(|e| format!("cannot read worksheet `{name}`: {e}"))?;
                Ok((range, name))
            },
        );
        let (range, _name) = match result {
            Ok(Ok(v)) => v,
            Ok(Err(msg)) => return Err(Error::input(&file, None, None, msg)),
            Err(_) => return Err(Error::input(&file, None, None, "the workbook is damaged (the reader failed on it)")),
        };
        let Some(first) = range.rows().next() else {
            return Err(Error::input(&file, None, None, "the worksheet is empty: expected a header row"));
        };
        let mut headers: Vec<String> = first.iter().map(cell_text).collect();
        // As a streamed sheet: the header ends at its last named column.
        while headers.last().is_some_and(|h| h.trim().is_empty()) {
            headers.pop();
        }
        check_headers(&file, &headers)?;
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let encoding = match ext.as_str() {
            "xls" => "xls",
            "xlsb" => "xlsb",
            "ods" => "ods",
            _ => "xlsx",
        };
        let total = range.height().saturating_sub(1) as u64;
        Ok(TableReader {
            file,
            headers,
            inner: Inner::Sheet { range, next: 1 },
            rows: 0,
            blank: 0,
            returned: 0,
            ahead: Default::default(),
            encoding,
            delimiter: None,
            total,
            estimated_rows: total,
        })
    }

    /// An XLSX worksheet, streamed: a thread parses the sheet's XML cell by
    /// cell and hands rows over in parcels, so memory stays flat however
    /// long the sheet (a whole `Range` costs about 1 KB a row).
    fn open_xlsx(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
        let file = path.display().to_string();
        if !path.exists() {
            return Err(Error::Io { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
        }
        // Before calamine reads anything: it loads every shared string
        // whole, so an oversized one must be refused unread.
        super::xlsx_guard::check(path).map_err(|r| Error::input(&file, None, None, r.message))?;
        let (stream, headers, total) = SheetStream::start(path.to_path_buf(), opts.sheet.clone())
            .map_err(|msg| Error::input(&file, None, None, msg))?;
        check_headers(&file, &headers)?;
        Ok(TableReader {
            file,
            headers,
            inner: Inner::Stream(stream),
            rows: 0,
            blank: 0,
            returned: 0,
            ahead: Default::default(),
            encoding: "xlsx",
            delimiter: None,
            total,
            estimated_rows: total,
        })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// (done, total): bytes for delimited text (of the decoded stream, so
    /// approximate for GB18030), rows for spreadsheets.
    pub fn progress(&self) -> (u64, u64) {
        match &self.inner {
            Inner::Csv { reader, .. } => (reader.position().byte().min(self.total), self.total),
            Inner::Sheet { .. } => (self.rows, self.total),
            Inner::Stream(_) => (self.returned, self.total),
        }
    }

    /// About how many data rows the file holds (exact for spreadsheets).
    pub fn estimated_rows(&self) -> u64 {
        self.estimated_rows
    }

    /// Blank rows passed over so far (every cell empty or white space):
    /// not data rows, so never stored or rejected, only counted.
    pub fn blank_rows(&self) -> u64 {
        self.blank
    }

    /// The next data row, or `None` at the end of the file. Blank rows are
    /// skipped (and counted); row numbers still count them, so a number
    /// names the row a user sees in the file.
    pub fn next_row(&mut self) -> Option<Result<RawRow>> {
        self.ahead.pop_front().or_else(|| self.read_row())
    }

    /// The next `n` data rows (fewer at the end of the file, or before the
    /// first one that cannot be read), without taking them: `next_row`
    /// still hands them out, errors included. So a sample of the values
    /// (to check a mapping against) costs no second reading of the file.
    pub fn peek(&mut self, n: usize) -> impl Iterator<Item = &RawRow> {
        while self.ahead.len() < n && !self.ahead.back().is_some_and(|r| r.is_err()) {
            match self.read_row() {
                Some(row) => self.ahead.push_back(row),
                None => break,
            }
        }
        self.ahead.iter().take(n).map_while(|r| r.as_ref().ok())
    }

    /// The next row from the file itself, blank rows passed over.
    fn read_row(&mut self) -> Option<Result<RawRow>> {
        loop {
            let row = self.next_any_row()?;
            match row {
                Ok(r) if r.cells.iter().all(|c| c.trim().is_empty()) => self.blank += 1,
                other => return Some(other),
            }
        }
    }

    fn next_any_row(&mut self) -> Option<Result<RawRow>> {
        match &mut self.inner {
            Inner::Csv { broken: true, .. } => None,
            Inner::Csv { reader, record, broken } => match reader.read_byte_record(record) {
                Ok(false) => None,
                Ok(true) => {
                    self.rows += 1;
                    let n = self.rows;
                    Some(decode(&self.file, n, record, &self.headers).map(|cells| RawRow { number: n, cells }))
                }
                Err(e) => {
                    // A runaway quoted cell: the record it is in, the one
                    // being read, is the next row.
                    let (err, fatal) = csv_error(&self.file, e, self.rows + 1);
                    *broken = fatal;
                    Some(Err(err))
                }
            },
            Inner::Sheet { range, next } => {
                // By index: `rows().nth(n)` walks from the top, which made
                // reading a sheet quadratic in its length.
                if *next >= range.height() {
                    return None;
                }
                let row = *next;
                *next += 1;
                self.rows += 1;
                let mut cells: Vec<String> =
                    (0..range.width()).map(|c| range.get((row, c)).map(cell_text).unwrap_or_default()).collect();
                while cells.len() > self.headers.len() && cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                Some(Ok(RawRow { number: self.rows, cells }))
            }
            // The sheet thread sends no blank rows: they show as gaps in
            // the numbers.
            Inner::Stream(stream) => match stream.next()? {
                Ok((number, cells)) => {
                    self.blank += number.saturating_sub(self.rows + 1);
                    self.rows = number;
                    self.returned += 1;
                    Some(Ok(RawRow { number, cells }))
                }
                Err((row, msg)) => {
                    if let Some(row) = row {
                        self.blank += row.saturating_sub(self.rows + 1);
                    }
                    Some(Err(Error::input(&self.file, Some(row.unwrap_or(self.rows + 1)), None, msg)))
                }
            },
        }
    }
}

fn is_xlsx(path: &Path) -> bool {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "xlsx" | "xlsm")
}

/// Rows per parcel from the sheet thread, and parcels in flight: about a
/// thousand rows held at once, whatever the sheet's length.
const SHEET_PARCEL_ROWS: usize = 256;
const SHEET_PARCELS_IN_FLIGHT: usize = 4;

enum SheetMsg {
    /// First message: the header row and how many data rows follow.
    Start(Vec<String>, u64),
    /// Data rows with their numbers (blank rows are not sent).
    Rows(Vec<(u64, Vec<String>)>),
    Failed(String),
    /// Failed at a data row (its number), which is not sent.
    FailedAt(u64, String),
}

/// A data row of a streamed sheet and its number.
type NumberedRow = (u64, Vec<String>);

/// The reading end of a streamed XLSX worksheet.
struct SheetStream {
    /// `None` once hung up, so `drop` can stop the thread before joining it.
    rx: Option<std::sync::mpsc::Receiver<SheetMsg>>,
    rows: std::vec::IntoIter<(u64, Vec<String>)>,
    worker: Option<std::thread::JoinHandle<()>>,
    ended: bool,
}

impl SheetStream {
    fn start(
        path: std::path::PathBuf,
        sheet: Option<String>,
    ) -> std::result::Result<(SheetStream, Vec<String>, u64), String> {
        let (tx, rx) = std::sync::mpsc::sync_channel(SHEET_PARCELS_IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("xlsx-read".into())
            .spawn(move || {
                // calamine has panicked on malformed workbooks before; a bad
                // file must be an error about that file, never a crash.
                let fail = tx.clone();
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream_sheet(&path, sheet, &tx)));
                match run {
                    Ok(Ok(())) => {}
                    Ok(Err(msg)) => {
                        let _ = fail.send(SheetMsg::Failed(msg));
                    }
                    Err(_) => {
                        let _ = fail.send(SheetMsg::Failed("the workbook is damaged (the reader failed on it)".into()));
                    }
                }
            })
            .map_err(|e| format!("cannot start the worksheet reader: {e}"))?;
        let stream = SheetStream { rx: Some(rx), rows: Vec::new().into_iter(), worker: Some(worker), ended: false };
        let first = stream.rx.as_ref().and_then(|rx| rx.recv().ok());
        match first {
            Some(SheetMsg::Start(headers, total)) => Ok((stream, headers, total)),
            Some(SheetMsg::Failed(msg) | SheetMsg::FailedAt(_, msg)) => Err(msg),
            Some(SheetMsg::Rows(_)) | None => Err("the workbook is damaged (the reader failed on it)".into()),
        }
    }

    /// The next row, or why the sheet cannot be read further (and at
    /// which data row, when that is known).
    fn next(&mut self) -> Option<std::result::Result<NumberedRow, (Option<u64>, String)>> {
        loop {
            if let Some(row) = self.rows.next() {
                return Some(Ok(row));
            }
            if self.ended {
                return None;
            }
            match self.rx.as_ref()?.recv() {
                Ok(SheetMsg::Rows(rows)) => self.rows = rows.into_iter(),
                Ok(SheetMsg::Failed(msg)) => {
                    self.ended = true;
                    return Some(Err((None, msg)));
                }
                Ok(SheetMsg::FailedAt(row, msg)) => {
                    self.ended = true;
                    return Some(Err((Some(row), msg)));
                }
                Ok(SheetMsg::Start(..)) => {
                    self.ended = true;
                    return Some(Err((None, "the worksheet reader sent its header twice".into())));
                }
                // The thread hangs up after the last parcel.
                Err(_) => {
                    self.ended = true;
                    return None;
                }
            }
        }
    }
}

impl Drop for SheetStream {
    fn drop(&mut self) {
        // Hanging up makes the thread's next send fail, which ends it.
        self.rx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The worksheet `--sheet` names, or the first one.
fn pick_sheet(names: &[String], wanted: Option<String>) -> std::result::Result<String, String> {
    match wanted {
        Some(s) => names
            .iter()
            .find(|n| **n == s)
            .cloned()
            .ok_or_else(|| format!("no worksheet `{s}` (worksheets: {})", names.join(", "))),
        None => names.first().cloned().ok_or_else(|| "the workbook has no worksheets".to_string()),
    }
}

/// The sheet thread. Two passes over the sheet's XML: the first finds the
/// bounds of the non-empty cells (where calamine's `Range` would start, so
/// the header row and columns are the same as reading it whole) and counts
/// the rows that hold something, the second sends those rows. Only cells
/// with content are ever held: a blank row costs nothing, and a row is as
/// wide as the header or its own last cell, never as the sheet's
/// dimension (one cell at XFD1048576 once made a million rows of 16,384
/// cells). Cells out of row order (rare, but allowed) are collected and
/// sorted first: memory in proportion to the cells, not to the area.
fn stream_sheet(
    path: &Path,
    sheet: Option<String>,
    tx: &std::sync::mpsc::SyncSender<SheetMsg>,
) -> std::result::Result<(), String> {
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(path).map_err(|e| format!("cannot read the workbook: {e}"))?;
    let name = pick_sheet(&wb.sheet_names(), sheet)?;
    let sheet_error = |e: calamine::XlsxError| format!("cannot read worksheet `{name}`: {e}");
    let mut bounds = SheetBounds::default();
    {
        let mut cells = wb.worksheet_cells_reader(&name).map_err(sheet_error)?;
        while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
            let value = calamine::Data::from(cell.get_value().clone());
            if !matches!(value, calamine::Data::Empty) {
                let (r, c) = cell.get_position();
                bounds.add(r, c, !is_blank(&value));
            }
        }
    }
    if bounds.first.is_none() {
        return Err("the worksheet is empty: expected a header row".into());
    }
    let send = |msg: SheetMsg| tx.send(msg).is_ok();
    let mut out = RowEmitter::new(&bounds, &send);
    if bounds.in_order {
        let mut cells = wb.worksheet_cells_reader(&name).map_err(sheet_error)?;
        while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
            let value = calamine::Data::from(cell.get_value().clone());
            if matches!(value, calamine::Data::Empty) {
                continue;
            }
            let (r, c) = cell.get_position();
            if !out.cell(r, c, cell_text(&value)) {
                return Ok(());
            }
        }
    } else {
        let mut all: Vec<(u32, u32, String)> = Vec::new();
        let mut cells = wb.worksheet_cells_reader(&name).map_err(sheet_error)?;
        while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
            let value = calamine::Data::from(cell.get_value().clone());
            if !matches!(value, calamine::Data::Empty) {
                let (r, c) = cell.get_position();
                all.push((r, c, cell_text(&value)));
            }
        }
        // Stable: of two cells at one position the later one counts, as
        // when calamine fills a `Range`.
        all.sort_by_key(|&(r, c, _)| (r, c));
        for (r, c, text) in all {
            if !out.cell(r, c, text) {
                return Ok(());
            }
        }
    }
    out.finish();
    Ok(())
}

/// A cell that holds nothing a row could carry (a row of only such cells
/// is blank; within a row they are kept as they are).
fn is_blank(value: &calamine::Data) -> bool {
    match value {
        calamine::Data::Empty => true,
        calamine::Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// What the first pass over a sheet learns.
#[derive(Default)]
struct SheetBounds {
    /// The first row and the first column holding anything.
    first: Option<(u32, u32)>,
    last: Option<(u32, u32)>,
    in_order: bool,
    /// Rows holding text (the header included), when in order.
    rows: u64,
    /// The last row seen, and whether it holds text.
    last_row: Option<(u32, bool)>,
}

impl SheetBounds {
    fn add(&mut self, r: u32, c: u32, text: bool) {
        if self.last.is_none() {
            self.in_order = true;
        }
        self.in_order &= self.last.is_none_or(|l| (r, c) > l);
        self.last = Some((r, c));
        self.first = Some(match self.first {
            None => (r, c),
            Some((r0, c0)) => (r0.min(r), c0.min(c)),
        });
        match &mut self.last_row {
            Some((row, seen)) if *row == r => {
                if text && !*seen {
                    *seen = true;
                    self.rows += 1;
                }
            }
            _ => {
                self.last_row = Some((r, text));
                self.rows += u64::from(text);
            }
        }
    }
}

/// Turns sorted non-blank cells into rows and sends them in parcels, each
/// with its data-row number (the header row is row 0).
struct RowEmitter<'a> {
    r0: u32,
    c0: u32,
    total: u64,
    header_width: usize,
    /// The row being filled: its sheet row and (column, text) cells.
    current: Option<(u32, Vec<(usize, String)>)>,
    started: bool,
    parcel: Vec<(u64, Vec<String>)>,
    send: &'a dyn Fn(SheetMsg) -> bool,
}

impl<'a> RowEmitter<'a> {
    fn new(bounds: &SheetBounds, send: &'a dyn Fn(SheetMsg) -> bool) -> RowEmitter<'a> {
        let (r0, c0) = bounds.first.unwrap_or_default();
        // Out of order the rows were not counted; the cells are sorted
        // before any is sent, so the count is only for progress.
        let total = if bounds.in_order { bounds.rows.saturating_sub(1) } else { 0 };
        RowEmitter {
            r0,
            c0,
            total,
            header_width: 0,
            current: None,
            started: false,
            parcel: Vec::with_capacity(SHEET_PARCEL_ROWS),
            send,
        }
    }

    /// Adds a non-blank cell; false once the reading end hung up (or the
    /// cell ended the sheet).
    fn cell(&mut self, r: u32, c: u32, text: String) -> bool {
        if self.current.as_ref().is_some_and(|(row, _)| *row != r) && !self.flush() {
            return false;
        }
        if text.len() > CELL_MAX_CHARS && text.chars().count() > CELL_MAX_CHARS {
            // The package check bounds a cell's XML (escapes included);
            // its text is held to Excel's limit, as a CSV cell is.
            let msg = format!(
                "cell {}{} holds {} characters, more than the 32,767 Excel allows a cell; refused",
                column_letters(c as usize),
                r + 1,
                text.chars().count()
            );
            if !self.started {
                (self.send)(SheetMsg::Failed(msg));
                return false;
            }
            let before = std::mem::take(&mut self.parcel);
            if !before.is_empty() && !(self.send)(SheetMsg::Rows(before)) {
                return false;
            }
            (self.send)(SheetMsg::FailedAt(u64::from(r - self.r0), msg));
            return false;
        }
        let cells = &mut self.current.get_or_insert_with(|| (r, Vec::new())).1;
        let col = (c - self.c0) as usize;
        match cells.last_mut() {
            Some((last, t)) if *last == col => *t = text,
            _ => cells.push((col, text)),
        }
        true
    }

    fn flush(&mut self) -> bool {
        let Some((r, cells)) = self.current.take() else { return true };
        if self.started && cells.iter().all(|(_, t)| t.trim().is_empty()) {
            // A blank row: the reader counts it from the gap in numbers.
            return true;
        }
        let width = cells.last().map_or(0, |(c, _)| c + 1);
        if !self.started {
            self.started = true;
            if r != self.r0 {
                // The first non-blank row is the header: the bounds say so.
                return (self.send)(SheetMsg::Failed("the worksheet's rows are out of order".into()));
            }
            self.header_width = width;
            return (self.send)(SheetMsg::Start(dense(cells, width), self.total));
        }
        let number = u64::from(r - self.r0);
        if width > self.header_width + MAX_EXTRA_COLUMNS {
            // Padding a stray far cell to its column would cost 16,384
            // cells a row for a few bytes of input.
            let (col, _) = &cells[cells.len() - 1];
            let at = format!("{}{}", column_letters(self.c0 as usize + col), r + 1);
            let last = if self.header_width == 0 {
                "A".to_string()
            } else {
                column_letters(self.c0 as usize + self.header_width - 1)
            };
            // The rows before it go first: they are read and kept.
            let before = std::mem::take(&mut self.parcel);
            if !before.is_empty() && !(self.send)(SheetMsg::Rows(before)) {
                return false;
            }
            (self.send)(SheetMsg::FailedAt(
                number,
                format!(
                    "cell {at} lies {} columns right of the header's last column ({last}); give it a header, \
                     or delete it if it is stray",
                    width - self.header_width
                ),
            ));
            // Nothing after it is read: the error ends the sheet.
            return false;
        }
        let row = dense(cells, width.max(self.header_width));
        self.parcel.push((number, row));
        if self.parcel.len() >= SHEET_PARCEL_ROWS {
            let full = std::mem::replace(&mut self.parcel, Vec::with_capacity(SHEET_PARCEL_ROWS));
            return (self.send)(SheetMsg::Rows(full));
        }
        true
    }

    fn finish(mut self) {
        if self.flush() {
            if !self.started {
                (self.send)(SheetMsg::Failed("the worksheet is empty: expected a header row".into()));
                return;
            }
            let rest = std::mem::take(&mut self.parcel);
            (self.send)(SheetMsg::Rows(rest));
        }
    }
}

/// Columns a data row may reach beyond its header's last column.
const MAX_EXTRA_COLUMNS: usize = 64;
/// The most characters a cell may hold: Excel's own limit, as for a CSV cell.
const CELL_MAX_CHARS: usize = super::csv_guard::FIELD_MAX_CHARS as usize;

/// `0` → `A`, `25` → `Z`, `26` → `AA`: a spreadsheet column's name.
pub fn column_letters(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn dense(cells: Vec<(usize, String)>, width: usize) -> Vec<String> {
    let mut row = vec![String::new(); width];
    for (c, t) in cells {
        row[c] = t;
    }
    row
}

fn check_headers(file: &str, headers: &[String]) -> Result<()> {
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::input(file, None, None, "the header row is empty"));
    }
    Ok(())
}

fn canonical_name(e: &'static encoding_rs::Encoding) -> &'static str {
    if e == encoding_rs::UTF_8 {
        "utf-8"
    } else if e == encoding_rs::GB18030 || e == encoding_rs::GBK {
        "gb18030"
    } else if e == encoding_rs::UTF_16LE {
        "utf-16le"
    } else if e == encoding_rs::UTF_16BE {
        "utf-16be"
    } else {
        "other"
    }
}

/// Picks UTF-8 when the head of the file is valid UTF-8, else GB18030 when
/// it decodes cleanly as that (Chinese Excel saves CSV as GBK).
fn detect(file: &str, head: &[u8], at_eof: bool, choice: EncodingChoice) -> Result<&'static encoding_rs::Encoding> {
    match choice {
        EncodingChoice::Utf8 => return Ok(encoding_rs::UTF_8),
        EncodingChoice::Gb18030 => return Ok(encoding_rs::GB18030),
        EncodingChoice::Auto => {}
    }
    if let Some(enc) = utf16_without_bom(head, at_eof) {
        return Ok(enc);
    }
    match std::str::from_utf8(head) {
        Ok(_) => return Ok(encoding_rs::UTF_8),
        // Only the last character was cut by the sniff window.
        Err(e) if e.error_len().is_none() && !at_eof => return Ok(encoding_rs::UTF_8),
        Err(_) => {}
    }
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(head.len() * 2);
    let (result, _) = decoder.decode_to_string_without_replacement(head, &mut out, at_eof);
    match result {
        encoding_rs::DecoderResult::Malformed(..) => Err(Error::input(
            file,
            None,
            None,
            "the file is neither UTF-8 nor GB18030/GBK text; say which with --encoding, or save it as UTF-8 CSV",
        )),
        _ => Ok(encoding_rs::GB18030),
    }
}

/// UTF-16 without a byte-order mark, told by its zero bytes: every ASCII
/// character (delimiters, line breaks, digits) has one, on the odd bytes in
/// little-endian, the even ones in big-endian, while UTF-8 and GB18030
/// text has none. Read as UTF-8, such a file had headers like `7b` or
/// `n^@a^@m^@e^@`. Only when the text then decodes cleanly as that UTF-16.
fn utf16_without_bom(head: &[u8], at_eof: bool) -> Option<&'static encoding_rs::Encoding> {
    let units = head.len() / 2;
    if units == 0 {
        return None;
    }
    let zeros = |parity: usize| head.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (zeros(0), zeros(1));
    // At least one code unit in sixteen an ASCII character, and the zeros
    // on one side only.
    let enc = if odd * 16 >= units && even * 4 <= odd {
        encoding_rs::UTF_16LE
    } else if even * 16 >= units && odd * 4 <= even {
        encoding_rs::UTF_16BE
    } else {
        return None;
    };
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(head.len() * 2);
    let (result, _) = decoder.decode_to_string_without_replacement(head, &mut out, at_eof);
    match result {
        encoding_rs::DecoderResult::Malformed(..) => None,
        _ => Some(enc),
    }
}

/// The delimiter that splits the header line into the most fields:
/// comma, tab, semicolon or pipe. `.tsv` files default to tab.
fn sniff_delimiter(head: &str, path: &Path) -> u8 {
    let line = head.lines().next().unwrap_or("");
    let count = |d: char| {
        let mut quoted = false;
        let mut n = 0;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c == d && !quoted => n += 1,
                _ => {}
            }
        }
        n
    };
    let is_tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv") || e.eq_ignore_ascii_case("tab"));
    let order: [char; 4] = if is_tsv { ['\t', ',', ';', '|'] } else { [',', '\t', ';', '|'] };
    let mut best = (order[0], 0);
    for d in order {
        let n = count(d);
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0 as u8
}

/// Decodes a byte stream to UTF-8, refusing malformed input instead of
/// replacing it: a silently replaced byte would be data lost.
struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    consumed: u64,
    eof: bool,
    /// The encoding, and how it was chosen, for the error message.
    what: String,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, enc: &'static encoding_rs::Encoding, what: String) -> Self {
        DecodeReader {
            inner,
            decoder: enc.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            in_pos: 0,
            in_len: 0,
            output: vec![0; 3 << 16],
            out_pos: 0,
            out_len: 0,
            consumed: 0,
            eof: false,
            what,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.in_pos == self.in_len && !self.eof {
                self.in_len = self.inner.read(&mut self.input)?;
                self.in_pos = 0;
                self.eof = self.in_len == 0;
            }
            if self.in_pos == self.in_len && self.eof {
                // Flush anything the decoder still holds (a truncated sequence).
                let (result, _, written) = self.decoder.decode_to_utf8_without_replacement(&[], &mut self.output, true);
                if let encoding_rs::DecoderResult::Malformed(..) = result {
                    return Err(malformed(self.consumed, &self.what));
                }
                if written == 0 {
                    return Ok(0);
                }
                self.out_pos = 0;
                self.out_len = written;
                continue;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                false,
            );
            self.in_pos += read;
            self.consumed += read as u64;
            self.out_pos = 0;
            self.out_len = written;
            if let encoding_rs::DecoderResult::Malformed(..) = result {
                return Err(malformed(self.consumed, &self.what));
            }
        }
    }
}

fn malformed(offset: u64, what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("malformed byte sequence near byte {offset} for {what}"),
    )
}

/// A spreadsheet cell as text. Whole numbers print without a fraction, so a
/// phone typed as a number stays `13812345678`; dates print as ISO.
fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => {
                if t.time() == chrono::NaiveTime::MIN {
                    t.date().format("%Y-%m-%d").to_string()
                } else {
                    t.format("%Y-%m-%d %H:%M:%S").to_string()
                }
            }
            _ => float_text(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn decode(file: &str, row: u64, rec: &csv::ByteRecord, headers: &[String]) -> Result<Vec<String>> {
    // Sized once: collected into a `Result`, the cells grew their vector
    // from empty, four times a row.
    let mut cells = Vec::with_capacity(rec.len());
    for (i, cell) in rec.iter().enumerate() {
        cells.push(match std::str::from_utf8(cell) {
            Ok(s) => s.to_string(),
            Err(e) => {
                let column = headers.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1));
                return Err(Error::input(
                    file,
                    (row > 0).then_some(row),
                    Some(&column),
                    format!(
                        "not valid UTF-8 (byte {} of the cell); if the file is GBK, import with --encoding gb18030",
                        e.valid_up_to()
                    ),
                ));
            }
        });
    }
    Ok(cells)
}

/// The error, and whether the text cannot be read past it. `next_row` is
/// the row being read (0 for the header).
fn csv_error(file: &str, e: csv::Error, next_row: u64) -> (Error, bool) {
    if let csv::ErrorKind::Io(io) = e.kind() {
        if let Some(r) = runaway(io) {
            return (Error::input(file, (next_row > 0).then_some(next_row), None, r.to_string()), true);
        }
    }
    let row = e.position().map(|p| p.record());
    let msg = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => format!("cannot read CSV: {e}"),
    };
    (Error::input(file, row.filter(|r| *r > 0), None, msg), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Table = (Vec<String>, Vec<Vec<String>>, &'static str);

    fn read_all(bytes: &[u8], name: &str, opts: &ReadOptions) -> Result<Table> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let mut r = TableReader::open_with(&p, opts)?;
        let mut rows = Vec::new();
        while let Some(row) = r.next_row() {
            rows.push(row?.cells);
        }
        Ok((r.headers().to_vec(), rows, r.encoding))
    }

    /// Rows read ahead for a sample are still handed out, in order, blank
    /// rows skipped, and the sample stops before a row that cannot be read
    /// (which `next_row` still reports).
    #[test]
    fn peeked_rows_are_still_handed_out() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(&p, "名称,手机\n甲,1\n,\n乙,2\n\"丙,3\n").unwrap();
        let mut r = TableReader::open(&p).unwrap();
        let numbers = |r: &mut TableReader, n| r.peek(n).map(|row| row.number).collect::<Vec<_>>();
        assert_eq!(numbers(&mut r, 1), vec![1]);
        assert_eq!(numbers(&mut r, 10), vec![1, 3], "up to the unreadable row 4");
        assert_eq!(r.next_row().unwrap().unwrap().cells, vec!["甲", "1"]);
        assert_eq!(numbers(&mut r, 10), vec![3]);
        assert_eq!(r.next_row().unwrap().unwrap().number, 3);
        assert!(r.next_row().unwrap().unwrap_err().to_string().contains("row 4"));
        assert!(r.next_row().is_none());
        assert_eq!(r.blank_rows(), 1);
    }

    #[test]
    fn reads_gb18030_automatically() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("客户名称,手机\n北京星辰科技有限公司,13812345678\n");
        let (h, rows, enc) = read_all(&bytes, "g.csv", &ReadOptions::default()).unwrap();
        assert_eq!(enc, "gb18030");
        assert_eq!(h, vec!["客户名称", "手机"]);
        assert_eq!(rows[0][0], "北京星辰科技有限公司");
    }

    #[test]
    fn utf8_with_bom_and_utf16() {
        let (h, _, enc) = read_all(b"\xEF\xBB\xBFname,phone\na,b\n", "u.csv", &ReadOptions::default()).unwrap();
        assert_eq!((h[0].as_str(), enc), ("name", "utf-8"));
        let mut u16 = vec![0xFF, 0xFE];
        for c in "名称\t电话\r\n星辰\t138\r\n".encode_utf16() {
            u16.extend_from_slice(&c.to_le_bytes());
        }
        let (h, rows, enc) = read_all(&u16, "u16.txt", &ReadOptions::default()).unwrap();
        assert_eq!(enc, "utf-16le");
        assert_eq!(h, vec!["名称", "电话"]);
        assert_eq!(rows, vec![vec!["星辰", "138"]]);
    }

    /// Issue 15, finding 13: a UTF-16 file without its byte-order mark
    /// was read as UTF-8 and its columns reported as `7b`.
    #[test]
    fn finding_15_13_utf16_without_bom_is_read_as_utf16() {
        let text = "客户名称,手机,邮箱\r\n北京星辰科技有限公司,13812345678,a@b.cn\r\n";
        for (enc, name) in [(true, "utf-16le"), (false, "utf-16be")] {
            let bytes: Vec<u8> =
                text.encode_utf16().flat_map(|u| if enc { u.to_le_bytes() } else { u.to_be_bytes() }).collect();
            let (h, rows, got) = read_all(&bytes, "nobom.csv", &ReadOptions::default()).unwrap();
            assert_eq!(got, name);
            assert_eq!(h, vec!["客户名称", "手机", "邮箱"]);
            assert_eq!(rows, vec![vec!["北京星辰科技有限公司", "13812345678", "a@b.cn"]]);
        }
        let ascii: Vec<u8> = "name\tphone\nStar,138\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (h, _, got) = read_all(&ascii, "a.tsv", &ReadOptions::default()).unwrap();
        assert_eq!((h, got), (vec!["name".to_string(), "phone".to_string()], "utf-16le"));
        // UTF-8 with a stray zero byte stays UTF-8.
        let (_, rows, got) =
            read_all(b"name,phone\nab\0cdefgh,13812345678\n", "z.csv", &ReadOptions::default()).unwrap();
        assert_eq!((rows[0][0].as_str(), got), ("ab\0cdefgh", "utf-8"));
    }

    #[test]
    fn sniffs_delimiters() {
        for (text, d) in
            [("a;b;c\n1;2;3\n", b';'), ("a\tb\n1\t2\n", b'\t'), ("a|b\n1|2\n", b'|'), ("\"x,y\";b\n", b';')]
        {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f.csv");
            std::fs::write(&p, text).unwrap();
            assert_eq!(TableReader::open(&p).unwrap().delimiter, Some(d), "{text:?}");
        }
    }

    /// A malformed byte is an error, not a replacement character. Issue 15,
    /// finding 13: with `--encoding gb18030` given, it was reported "for the
    /// detected encoding": it says what the user asked for, and "detected"
    /// only when it was.
    #[test]
    fn finding_15_13_forced_encoding_error_does_not_say_detected() {
        let mut bytes = encoding_rs::GB18030.encode("客户名称\n北京\n").0.into_owned();
        bytes.extend_from_slice(b"\x81\x20bad\n");
        let opts = ReadOptions { encoding: EncodingChoice::Gb18030, ..Default::default() };
        let err = read_all(&bytes, "bad.csv", &opts).unwrap_err().to_string();
        assert!(err.contains("bad.csv") && err.contains("malformed"), "{err}");
        assert!(err.contains("GB18030, as --encoding asks") && !err.contains("detected"), "{err}");
        // Detected: the head is clean GB18030, the bad byte comes later.
        let mut bytes = encoding_rs::GB18030.encode("客户名称\n北京\n").0.into_owned();
        bytes.extend(b"a\n".repeat(SNIFF_BYTES / 2));
        bytes.extend_from_slice(b"\x81\x20bad\n");
        let err = read_all(&bytes, "auto.csv", &ReadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("GB18030, the encoding detected"), "{err}");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = read_all(&[0xFF, 0xFF, 0x00, 0x81, 0x30], "x.csv", &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("x.csv"), "{err}");
        let err = read_all(b"PK\x03\x04not really a zip", "x.xlsx", &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("x.xlsx"), "{err}");
    }

    /// Rows as the whole-`Range` path reads them (still used for XLS, XLSB
    /// and ODS): the reference the XLSX stream must match.
    fn read_as_range(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = TableReader::open_sheet(p, &ReadOptions::default()).unwrap();
        let rows = rest_of(&mut r);
        (r.headers().to_vec(), rows)
    }

    /// The cells of every row `r` has still to give.
    fn rest_of(r: &mut TableReader) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        while let Some(row) = r.next_row() {
            rows.push(row.unwrap().cells);
        }
        rows
    }

    #[test]
    fn streamed_xlsx_reads_like_the_whole_sheet() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        // The table starts at C3: the empty rows and columns before it are
        // not part of it. Row 6 is empty inside it, and a cell in column B
        // further down widens it to the left.
        for (i, h) in ["名称", "手机", "日期"].iter().enumerate() {
            sheet.write_string(2, 2 + i as u16, *h).unwrap();
        }
        sheet.write_string(3, 2, "星辰").unwrap();
        sheet.write_number(3, 3, 13812345678.0).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_datetime_with_format(3, 4, &date, &fmt).unwrap();
        sheet.write_string(4, 2, "腾远").unwrap();
        sheet.write_number(4, 3, 1.5).unwrap();
        sheet.write_boolean(4, 4, true).unwrap();
        sheet.write_string(6, 4, "尾").unwrap();
        sheet.write_string(7, 1, "左").unwrap();
        book.save(&p).unwrap();

        let mut r = TableReader::open(&p).unwrap();
        assert!(matches!(r.inner, Inner::Stream(_)));
        assert_eq!(r.estimated_rows(), 4, "rows with content, not the sheet's dimension");
        let rows = rest_of(&mut r);
        let headers = r.headers().to_vec();
        assert_eq!(headers, vec!["", "名称", "手机", "日期"]);
        assert_eq!(rows[0], vec!["", "星辰", "13812345678", "2024-03-15"]);
        assert_eq!(rows[2], vec!["", "", "", "尾"], "an empty row inside the table is skipped");
        assert_eq!(rows[3], vec!["左", "", "", ""]);
        assert_eq!(r.blank_rows(), 1);
        assert_eq!((headers, rows), read_as_range(&p));
        assert_eq!(r.progress(), (4, 4));
    }

    #[test]
    fn a_stream_dropped_early_stops_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("long.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "名称").unwrap();
        for i in 1..5_000u32 {
            sheet.write_string(i, 0, format!("客户{i}")).unwrap();
        }
        book.save(&p).unwrap();
        let mut r = TableReader::open(&p).unwrap();
        assert_eq!(r.next_row().unwrap().unwrap().cells, vec!["客户1"]);
        // Joins the thread: this returns only once it has stopped.
        drop(r);
        let err = TableReader::open_with(&p, &ReadOptions { sheet: Some("nope".into()), ..Default::default() })
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no worksheet `nope`") && err.contains("long.xlsx"), "{err}");
    }

    /// Issue 15, finding 2: the package check bounds a cell's XML (about
    /// 278 KB, escapes included), which let through text of up to that
    /// many characters; a cell is held to Excel's 32,767, naming it, and
    /// the rows before it are still sent.
    #[test]
    fn finding_15_2_xlsx_cell_over_excel_limit_is_refused_naming_it() {
        let mut bounds = SheetBounds::default();
        for (r, c) in [(0, 0), (1, 0), (2, 1)] {
            bounds.add(r, c, true);
        }
        let sent = std::cell::RefCell::new(Vec::new());
        let send = |m: SheetMsg| {
            sent.borrow_mut().push(match m {
                SheetMsg::Start(h, _) => format!("start {h:?}"),
                SheetMsg::Rows(rows) => format!("rows {rows:?}"),
                SheetMsg::Failed(m) => format!("failed {m}"),
                SheetMsg::FailedAt(n, m) => format!("failed at {n}: {m}"),
            });
            true
        };
        let mut out = RowEmitter::new(&bounds, &send);
        assert!(out.cell(0, 0, "名称".into()));
        assert!(out.cell(1, 0, "星辰".into()));
        assert!(out.cell(2, 0, "字".repeat(CELL_MAX_CHARS)), "Excel's limit itself is fine");
        assert!(!out.cell(3, 1, "a".repeat(CELL_MAX_CHARS + 1)), "one more ends the sheet");
        let sent = sent.into_inner();
        assert_eq!(sent[0], "start [\"名称\"]");
        assert!(sent[1].starts_with("rows [(1, [\"星辰\"]), (2, "), "{}", sent[1].chars().take(40).collect::<String>());
        assert_eq!(
            sent[2],
            "failed at 3: cell B4 holds 32768 characters, more than the 32,767 Excel allows a cell; refused"
        );
    }

    #[test]
    fn float_cells_keep_digits() {
        assert_eq!(float_text(13812345678.0), "13812345678");
        assert_eq!(float_text(1.5), "1.5");
    }
}
