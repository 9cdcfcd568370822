//! Dates to ISO `YYYY-MM-DD`.

use super::text::fold_width;
use chrono::{Datelike, NaiveDate};

/// Excel's day zero: serial 1 is 1900-01-01, and Excel counts the
/// non-existent 1900-02-29, so serials from 61 on are one day ahead.
fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = if days < 61 { base + chrono::Days::new(days as u64 + 1) } else { base + chrono::Days::new(days as u64) };
    Some(d)
}

/// The years the workbench's own dates fall in: a first contact, a
/// follow-up, an interaction, a contract. A year outside is a typo (2204,
/// 0224).
const ACTIVITY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// The years a date a record merely carries can fall in (a birth date, a
/// firm's founding date, a custom date field): 1862-05-01 is a birth date
/// of a historical register, 1669 a firm's founding year. A year with a
/// leading zero (0224) or past the workbench's own (3024, or the Excel
/// serial 850312 that a date written 85-03-12 becomes) is still a typo.
const RECORD_YEARS: std::ops::RangeInclusive<i32> = 1000..=*ACTIVITY_YEARS.end();

fn ymd(y: &str, m: &str, d: &str, raw: &str) -> Result<NaiveDate, String> {
    let (y, m, d): (i32, u32, u32) = match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) => (y, m, d),
        _ => return Err(format!("`{raw}` is not a date")),
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("`{raw}`: there is no day {y}-{m:02}-{d:02}"))
}

fn within(raw: &str, years: std::ops::RangeInclusive<i32>) -> Result<NaiveDate, String> {
    let d = parse_unbounded(raw)?;
    if !years.contains(&d.year()) {
        return Err(format!("`{}`: year {} is out of range", fold_width(raw).trim(), d.year()));
    }
    Ok(d)
}

/// A date of the workbench's own (see `ACTIVITY_YEARS`), in any layout
/// `parse_any` reads.
pub fn parse(raw: &str) -> Result<NaiveDate, String> {
    within(raw, ACTIVITY_YEARS)
}

/// Parses the date formats found in Chinese spreadsheets: `2024-03-15`,
/// `2024/3/15`, `2024.03.15`, `2024年3月15日`, `20240315`, any of them with
/// a time after it, and Excel serial numbers (`45366`): a date a record
/// carries (`RECORD_YEARS`; see `parse` for the workbench's own dates).
pub fn parse_any(raw: &str) -> Result<NaiveDate, String> {
    within(raw, RECORD_YEARS)
}

fn parse_unbounded(raw: &str) -> Result<NaiveDate, String> {
    let s = fold_width(raw);
    let s = s.trim();
    if s.is_empty() {
        return Err("empty date".into());
    }
    // Drop a time part: "2024-03-15 14:30:00", "2024-03-15T14:30", "2024年3月15日 下午".
    let date_part = s.split([' ', 'T', 't']).next().unwrap_or(s).trim_end_matches('日').trim_end_matches('号');
    let all_digits = !date_part.is_empty() && date_part.bytes().all(|b| b.is_ascii_digit());
    if all_digits && date_part.len() == 8 {
        return ymd(&date_part[..4], &date_part[4..6], &date_part[6..], s);
    }
    if all_digits && date_part.len() <= 6 || is_float(date_part) {
        let serial: f64 = date_part.parse().map_err(|_| format!("`{s}` is not a date"))?;
        // Serials below 20000 (1954) are far more likely quantities than dates.
        if serial >= 20000.0 {
            return from_excel_serial(serial).ok_or_else(|| format!("`{s}` is not a date"));
        }
        return Err(format!("`{s}` is not a date"));
    }
    let parts: Vec<&str> = date_part.split(['-', '/', '.', '年', '月']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => ymd(y, m, d, s),
        // Day-first (15/03/2024) and month-first (3/15/2024) are told apart
        // only when one part is over 12; 6/1/2022 is refused, never guessed.
        [d, m, y] if y.len() == 4 && d.parse::<u32>().is_ok_and(|d| d > 12) => ymd(y, m, d, s),
        [m, d, y] if y.len() == 4 && d.parse::<u32>().is_ok_and(|d| d > 12) => ymd(y, m, d, s),
        _ => Err(format!("`{s}` is not a date in a recognised format (use YYYY-MM-DD)")),
    }
}

fn is_float(s: &str) -> bool {
    let mut it = s.splitn(2, '.');
    let a = it.next().unwrap_or("");
    let b = it.next().unwrap_or("x");
    !a.is_empty() && a.len() <= 7 && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
}

fn iso(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Parses (`parse`: one of the workbench's own dates) and formats as
/// `YYYY-MM-DD`.
pub fn normalize(raw: &str) -> Result<String, String> {
    parse(raw).map(iso)
}

/// Parses any real date (`parse_any`: a date a record carries) and formats
/// as `YYYY-MM-DD`.
pub fn normalize_any(raw: &str) -> Result<String, String> {
    parse_any(raw).map(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            ("2024-03-15", "2024-03-15"),
            ("2024/3/15", "2024-03-15"),
            ("2024.03.15", "2024-03-15"),
            ("2024年3月15日", "2024-03-15"),
            ("2024年03月15号", "2024-03-15"),
            ("20240315", "2024-03-15"),
            ("2024-03-15 14:30:00", "2024-03-15"),
            ("2024-03-15T14:30", "2024-03-15"),
            ("2024/3/5 9:05", "2024-03-05"),
            ("２０２４－０３－１５", "2024-03-15"),
            ("45366", "2024-03-15"),
            ("45366.5", "2024-03-15"),
            ("15/03/2024", "2024-03-15"),
            ("3/23/2025", "2025-03-23"),
            ("2024-02-29", "2024-02-29"),
            (" 2024-3-1 ", "2024-03-01"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize(raw).as_deref(), Ok(want), "{raw}");
        }
        for bad in [
            "2024-13-45",
            "2023-02-30",
            "",
            "yesterday",
            "03/04/2024",
            "6/1/2022",
            "12",
            "2024-03",
            "0000-01-01",
            "3024-01-01",
        ] {
            assert!(normalize(bad).is_err(), "{bad} should be refused");
        }
    }

    /// A date a record carries can be any real one; the workbench's own
    /// dates stay within the years they can fall in.
    #[test]
    fn dates_a_record_carries_are_any_real_date() {
        for (raw, want) in [("1862-05-01", "1862-05-01"), ("16690101", "1669-01-01"), ("1899年12月31日", "1899-12-31")]
        {
            assert_eq!(normalize_any(raw).as_deref(), Ok(want), "{raw}");
            assert!(normalize(raw).unwrap_err().contains("out of range"), "{raw}");
        }
        assert_eq!(normalize_any("2200-12-31").as_deref(), Ok("2200-12-31"));
        // A year with a leading zero, one past the workbench's own, and a
        // date written 85-03-12 read as an Excel serial are typos.
        for bad in ["0224-03-15", "0000-01-01", "3024-01-01", "850312", "1862-02-30", "12"] {
            assert!(normalize_any(bad).is_err(), "{bad} should be refused");
        }
        assert!(normalize_any("850312").unwrap_err().contains("out of range"));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,30}") {
            if let Ok(v) = normalize(&s) {
                prop_assert_eq!(normalize(&v), Ok(v.clone()));
            }
        }

        #[test]
        fn every_real_date_round_trips(y in 1900i32..2200, m in 1u32..=12, d in 1u32..=31) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                let iso = format!("{y:04}-{m:02}-{d:02}");
                prop_assert_eq!(normalize(&format!("{y}年{m}月{d}日")), Ok(iso.clone()));
                prop_assert_eq!(normalize(&format!("{y}/{m}/{d}")), Ok(iso.clone()));
                prop_assert_eq!(parse(&iso), Ok(date));
            }
        }

        #[test]
        fn every_real_date_a_record_carries_round_trips(y in 1000i32..=2200, m in 1u32..=12, d in 1u32..=31) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                let iso = format!("{y:04}-{m:02}-{d:02}");
                prop_assert_eq!(normalize_any(&format!("{y}年{m}月{d}日")), Ok(iso.clone()));
                prop_assert_eq!(normalize_any(&format!("{y}{m:02}{d:02}")), Ok(iso.clone()));
                prop_assert_eq!(parse_any(&iso), Ok(date));
            }
        }
    }
}
