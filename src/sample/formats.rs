//! Re-saves generated exports the way the real systems hand them over:
//! the sales CRM's CSV in GB18030 (Chinese Excel's default), the ticket
//! system's export as XLSX with phones typed as numbers and dates as real
//! dates, the sign-up sheet as UTF-8 with a byte-order mark.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// `sales.csv` → GB18030, in place.
pub fn to_gb18030(path: &Path) -> io::Result<()> {
    let tmp = path.with_extension("csv.tmp");
    {
        let mut input = BufReader::new(File::open(path)?);
        let mut out = BufWriter::new(crate::files::create_in_place(&tmp, crate::files::FileMode::PRIVATE)?);
        let mut encoder = encoding_rs::GB18030.new_encoder();
        let mut buf = vec![0u8; 1 << 16];
        let mut carry: Vec<u8> = Vec::new();
        let mut encoded = vec![0u8; 1 << 18];
        loop {
            let n = input.read(&mut buf)?;
            carry.extend_from_slice(&buf[..n]);
            // Encode only whole UTF-8 characters; keep a cut one for later.
            let valid = match std::str::from_utf8(&carry) {
                Ok(s) => s.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => return Err(other(e)),
            };
            let text = std::str::from_utf8(&carry[..valid]).expect("checked");
            let mut rest = text;
            loop {
                let (result, read, written) = encoder.encode_from_utf8_without_replacement(rest, &mut encoded, n == 0);
                out.write_all(&encoded[..written])?;
                rest = &rest[read..];
                match result {
                    encoding_rs::EncoderResult::InputEmpty => break,
                    encoding_rs::EncoderResult::OutputFull => continue,
                    encoding_rs::EncoderResult::Unmappable(c) => return Err(other(format!("cannot encode {c:?}"))),
                }
            }
            carry.drain(..valid);
            if n == 0 {
                break;
            }
        }
        out.flush()?;
    }
    std::fs::rename(&tmp, path)
}

/// `marketing.csv` → the same text behind a UTF-8 byte-order mark.
pub fn add_bom(path: &Path) -> io::Result<()> {
    let tmp = path.with_extension("csv.tmp");
    {
        let mut out = BufWriter::new(crate::files::create_in_place(&tmp, crate::files::FileMode::PRIVATE)?);
        out.write_all(b"\xEF\xBB\xBF")?;
        io::copy(&mut BufReader::new(File::open(path)?), &mut out)?;
        out.flush()?;
    }
    std::fs::rename(&tmp, path)
}

/// `service.csv` → `service.xlsx` (the CSV is removed). Cells that are
/// plain digits become numbers, as a ticket system's export types them;
/// ISO dates become date cells.
pub fn csv_to_xlsx(csv_path: &Path, xlsx_path: &Path) -> io::Result<u64> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(csv_path).map_err(other)?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(other)?;
    sheet.set_name("工单").map_err(other)?;
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let mut rows = 0u64;
    for (r, rec) in reader.records().enumerate() {
        let rec = rec.map_err(other)?;
        for (c, cell) in rec.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if cell.is_empty() {
                continue;
            }
            let digits = cell.len() <= 15 && cell.bytes().all(|b| b.is_ascii_digit()) && !cell.starts_with('0');
            let iso = cell.len() == 10 && cell.as_bytes()[4] == b'-' && cell.as_bytes()[7] == b'-';
            if r > 0 && digits {
                sheet.write_number(r, c, cell.parse::<f64>().map_err(other)?).map_err(other)?;
            } else if r > 0 && iso {
                match rust_xlsxwriter::ExcelDateTime::parse_from_str(cell) {
                    Ok(d) => sheet.write_datetime_with_format(r, c, &d, &date).map_err(other)?,
                    Err(_) => sheet.write_string(r, c, cell).map_err(other)?,
                };
            } else {
                sheet.write_string(r, c, cell).map_err(other)?;
            }
        }
        rows += 1;
    }
    let mut out = crate::files::Output::create(xlsx_path, crate::files::FileMode::PRIVATE)?;
    book.save_to_writer(&mut out).map_err(other)?;
    out.commit()?;
    std::fs::remove_file(csv_path)?;
    Ok(rows.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        let text = "客户名称,备注\n北京星辰科技有限公司,\"两行\n備註\"\n".repeat(5000);
        std::fs::write(&p, &text).unwrap();
        to_gb18030(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let (back, _, bad) = encoding_rs::GB18030.decode(&bytes);
        assert!(!bad);
        assert_eq!(back, text);
    }
}
