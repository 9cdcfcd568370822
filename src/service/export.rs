//! Exports: customers as CSV, XLSX or JSON, and source-to-customer links.

use super::Workbench;
use crate::domain::Field;
use crate::error::{Error, Result};
use crate::store::customers::{self, ExportRow};
use std::borrow::Cow;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" | "excel" => Some(ExportFormat::Xlsx),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }
}

/// A spreadsheet treats a cell starting with `= + - @` (or tab/CR before
/// them) as a formula: prefix a quote so imported text can never run as one.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// XLSX holds at most this many rows per sheet, the header included.
const XLSX_MAX_ROWS: u64 = 1_048_576;

impl Workbench {
    /// The export's header: target field names, `phones`, `emails`, `flags`,
    /// then `custom:NAME` for every custom field.
    pub fn export_columns(&self) -> Result<(Vec<String>, Vec<String>)> {
        let custom = customers::custom_field_names(self.store.conn())?;
        let mut cols: Vec<String> = Field::ALL.iter().map(|f| f.name().to_string()).collect();
        cols.extend(["phones", "emails", "flags"].map(String::from));
        cols.extend(custom.iter().map(|c| format!("custom:{c}")));
        Ok((cols, custom))
    }

    fn for_each_export_row(&self, mut f: impl FnMut(&ExportRow) -> Result<()>) -> Result<u64> {
        let mut after = 0;
        let mut n = 0;
        loop {
            let page = customers::export_page(self.store.conn(), after, 2000)?;
            let Some(last) = page.last() else { break };
            after = last.customer.id;
            for mut row in page {
                self.access.mask_export_row(&mut row);
                f(&row)?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn export_values(row: &ExportRow, custom: &[String]) -> Vec<String> {
        let c = &row.customer;
        let mut v: Vec<String> = Field::ALL.iter().map(|f| c.get(*f).unwrap_or("").to_string()).collect();
        v.push(row.phones.join(";"));
        v.push(row.emails.join(";"));
        v.push(c.flags.join(";"));
        for name in custom {
            v.push(row.custom.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default());
        }
        v
    }

    /// Writes every live customer. CSV is UTF-8 with a BOM so Excel opens it
    /// as UTF-8; CSV and XLSX cells are neutralised against formulas.
    /// Returns the number of customers written.
    pub fn export_customers(&self, format: ExportFormat, out: &mut dyn Write) -> Result<u64> {
        self.access.check(crate::service::Permission::Export, None)?;
        let (cols, custom) = self.export_columns()?;
        match format {
            ExportFormat::Csv => {
                out.write_all(b"\xEF\xBB\xBF")?;
                let mut w = csv::Writer::from_writer(out);
                let err = |e: csv::Error| Error::csv("export", e);
                w.write_record(&cols).map_err(err)?;
                let n = self.for_each_export_row(|row| {
                    let values = Self::export_values(row, &custom);
                    w.write_record(values.iter().map(|v| neutralise(v).into_owned())).map_err(err)
                })?;
                w.flush()?;
                Ok(n)
            }
            ExportFormat::Json => {
                // Written as produced: a million customers never sit in memory.
                write!(out, "[")?;
                let mut first = true;
                let n = self.for_each_export_row(|row| {
                    let values = Self::export_values(row, &custom);
                    let mut obj = serde_json::Map::new();
                    for (k, v) in cols.iter().zip(values) {
                        let v = match k.as_str() {
                            "phones" | "emails" | "flags" => serde_json::Value::Array(
                                v.split(';').filter(|s| !s.is_empty()).map(|s| s.into()).collect(),
                            ),
                            _ if v.is_empty() => serde_json::Value::Null,
                            _ => v.into(),
                        };
                        obj.insert(k.clone(), v);
                    }
                    write!(out, "{}\n  ", if first { "" } else { "," })?;
                    first = false;
                    serde_json::to_writer(&mut *out, &obj)?;
                    Ok(())
                })?;
                writeln!(out, "{}]", if n == 0 { "" } else { "\n" })?;
                Ok(n)
            }
            ExportFormat::Xlsx => {
                let total = self.customer_count()? as u64;
                if total + 1 > XLSX_MAX_ROWS {
                    return Err(Error::Refused(format!(
                        "{total} customers do not fit in one XLSX sheet (at most {} rows); export as csv",
                        XLSX_MAX_ROWS - 1
                    )));
                }
                let xerr = |e: rust_xlsxwriter::XlsxError| Error::Other(format!("export: {e}"));
                let mut wb = rust_xlsxwriter::Workbook::new();
                let sheet = wb.add_worksheet_with_constant_memory().map_err(xerr)?;
                sheet.set_name("customers").map_err(xerr)?;
                for (i, c) in cols.iter().enumerate() {
                    sheet.write_string(0, i as u16, c).map_err(xerr)?;
                }
                let mut r = 0u32;
                let n = self.for_each_export_row(|row| {
                    r += 1;
                    for (i, v) in Self::export_values(row, &custom).iter().enumerate() {
                        if !v.is_empty() {
                            sheet.write_string(r, i as u16, neutralise(v)).map_err(xerr)?;
                        }
                    }
                    Ok(())
                })?;
                let bytes = wb.save_to_buffer().map_err(xerr)?;
                out.write_all(&bytes)?;
                Ok(n)
            }
        }
    }

    /// `source,source_key,customer_number`: the customer every source row
    /// belongs to now. Plain UTF-8, no BOM (for scripts, not Excel).
    pub fn export_links(&self, out: &mut dyn Write) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        let err = |e: csv::Error| Error::csv("links", e);
        w.write_record(["source", "source_key", "customer_number"]).map_err(err)?;
        let mut n = 0;
        customers::for_each_link(self.store.conn(), |s, k, c, owner| {
            n += 1;
            // A source's key may be a phone number or an e-mail address
            // (`--key 手机`): masked like any other raw value.
            let k = self.access.text(owner, k);
            w.write_record([s, &k, c.unwrap_or("")]).map_err(err)
        })?;
        w.flush()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_starts() {
        for s in ["=1+1", "+86", "-5", "@SUM(A1)", "\t=x", "\r=x"] {
            assert!(neutralise(s).starts_with('\''), "{s:?}");
        }
        assert_eq!(neutralise("北京"), "北京");
        assert_eq!(neutralise("13812345678"), "13812345678");
    }
}
