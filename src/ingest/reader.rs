//! Streaming table readers: one row at a time, whatever the file size.

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

pub struct TableReader {
    file: String,
    headers: Vec<String>,
    inner: csv::Reader<Box<dyn Read>>,
    record: csv::ByteRecord,
    rows: u64,
    pub encoding: &'static str,
}

impl TableReader {
    /// Opens a UTF-8 CSV file (a byte-order mark is skipped) and reads its
    /// header row.
    pub fn open(path: &Path) -> Result<TableReader> {
        let file = path.display().to_string();
        let f = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let mut buf = BufReader::with_capacity(1 << 16, f);
        let mut bom = [0u8; 3];
        let n = read_up_to(&mut buf, &mut bom).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let prefix: Vec<u8> = if n == 3 && bom == [0xEF, 0xBB, 0xBF] { Vec::new() } else { bom[..n].to_vec() };
        let src: Box<dyn Read> = Box::new(std::io::Cursor::new(prefix).chain(buf));
        let mut inner = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(src);
        let mut record = csv::ByteRecord::new();
        let has = inner.read_byte_record(&mut record).map_err(|e| csv_error(&file, e))?;
        if !has {
            return Err(Error::input(&file, None, None, "the file is empty: expected a header row"));
        }
        let headers = decode(&file, 0, &record, &[])?;
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(Error::input(&file, Some(1), None, "the header row is empty"));
        }
        Ok(TableReader { file, headers, inner, record, rows: 0, encoding: "utf-8" })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next data row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<RawRow>> {
        match self.inner.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                self.rows += 1;
                Some(
                    decode(&self.file, self.rows, &self.record, &self.headers)
                        .map(|cells| RawRow { number: self.rows, cells }),
                )
            }
            Err(e) => Some(Err(csv_error(&self.file, e))),
        }
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
    rec.iter()
        .enumerate()
        .map(|(i, cell)| {
            String::from_utf8(cell.to_vec()).map_err(|e| {
                let column = headers.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1));
                Error::input(
                    file,
                    (row > 0).then_some(row),
                    Some(&column),
                    format!(
                        "not valid UTF-8 (byte {} of the cell); is the file GBK-encoded?",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        })
        .collect()
}

fn csv_error(file: &str, e: csv::Error) -> Error {
    let row = e.position().map(|p| p.record());
    Error::input(file, row, None, format!("cannot read CSV: {e}"))
}
