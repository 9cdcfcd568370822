//! Chinese phone numbers: mobiles as 11 plain digits, landlines as
//! `0AA-NNNNNNNN[-EXT]`, service numbers as `400-810-8888`.

use super::text::fold_width;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneValue {
    Mobile(String),
    Landline(String),
}

impl PhoneValue {
    pub fn as_str(&self) -> &str {
        match self {
            PhoneValue::Mobile(s) | PhoneValue::Landline(s) => s,
        }
    }
}

/// Area codes with three digits (010 and 02X); every other area code has four.
fn area_len(digits: &str) -> usize {
    if digits.starts_with("010") || (digits.starts_with("02") && digits.len() >= 3) {
        3
    } else {
        4
    }
}

/// Repairs a number that went through a spreadsheet as a float:
/// `13812345678.0` and `1.3812345678E10`.
fn undo_float(s: &str) -> Option<String> {
    let t = s.trim();
    if let Some(int) = t.strip_suffix(".0") {
        if !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) {
            return Some(int.to_string());
        }
    }
    let lower = t.to_ascii_lowercase();
    if let Some((mant, exp)) = lower.split_once('e') {
        let exp: i32 = exp.trim_start_matches('+').parse().ok()?;
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let shift = exp - frac.len() as i32;
        if !(0..=12).contains(&shift) {
            return None;
        }
        let mut digits = format!("{int}{frac}");
        digits.extend(std::iter::repeat_n('0', shift as usize));
        return Some(digits.trim_start_matches('0').to_string());
    }
    None
}

/// Normalises one phone number. Returns `Err` with the reason when the text
/// is not a recognisable Chinese mobile, landline or service number.
pub fn normalize(raw: &str) -> Result<PhoneValue, String> {
    // Most cells already hold a plain mobile; the general path below would
    // give the same value after a dozen allocations.
    let t = raw.trim();
    let b = t.as_bytes();
    if b.len() == 11 && b[0] == b'1' && matches!(b[1], b'3'..=b'9') && b.iter().all(u8::is_ascii_digit) {
        return Ok(PhoneValue::Mobile(t.to_string()));
    }
    // Likewise a landline already written `0AA-NNNNNNNN`.
    if let Some((area, local)) = t.split_once('-') {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if area.len() >= 3
            && area.starts_with('0')
            && !area.starts_with("00")
            && digits(area)
            && digits(local)
            && (7..=8).contains(&local.len())
            && area_len(area) == area.len()
        {
            return Ok(PhoneValue::Landline(t.to_string()));
        }
    }
    normalize_any(raw)
}

/// `normalize` for any spelling.
fn normalize_any(raw: &str) -> Result<PhoneValue, String> {
    let folded =
        strip_notes(&fold_width(raw)).replace(['\u{2013}', '\u{2014}', '\u{2212}', '\u{2010}', '\u{2011}'], "-");
    let folded = undo_float(&folded).unwrap_or(folded);
    // Split off an extension: 转8001, ext. 8001, x8001, 分机8001.
    let lower = folded.to_lowercase();
    let (main, ext) = ["转", "分机", "ext.", "ext", " x", "#"]
        .iter()
        .find_map(|m| lower.find(m).map(|i| (&lower[..i], lower[i + m.len()..].trim())))
        .unwrap_or((lower.as_str(), ""));
    let ext: String = ext.chars().filter(|c| c.is_ascii_digit()).collect();
    let had_plus = main.trim_start().starts_with('+');
    let allowed = |c: char| c.is_ascii_digit() || " -()（）.+".contains(c);
    if main.trim().is_empty() || !main.chars().all(allowed) {
        return Err(format!("`{}` is not a phone number", raw.trim()));
    }
    let mut digits: String = main.chars().filter(|c| c.is_ascii_digit()).collect();
    // Country code: +86, 0086, or a bare 86 before an 11-digit mobile.
    if let Some(rest) = digits.strip_prefix("0086") {
        digits = rest.to_string();
    } else if had_plus {
        match digits.strip_prefix("86") {
            Some(rest) => digits = rest.to_string(),
            None => return Err(format!("`{}` is not a Chinese number", raw.trim())),
        }
    } else if digits.len() == 13 && digits.starts_with("861") {
        digits = digits[2..].to_string();
    }
    if digits.len() == 11 && digits.starts_with('1') {
        if !ext.is_empty() {
            return Err(format!("`{}`: a mobile number has no extension", raw.trim()));
        }
        if !matches!(digits.as_bytes()[1], b'3'..=b'9') {
            return Err(format!("`{}` is not a valid mobile number (second digit {})", raw.trim(), &digits[1..2]));
        }
        return Ok(PhoneValue::Mobile(digits));
    }
    if (digits.starts_with("400") || digits.starts_with("800")) && digits.len() == 10 {
        return Ok(PhoneValue::Landline(format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..])));
    }
    // A landline written with its area code after an international prefix
    // (+86 10 6234 5678) has lost its trunk zero.
    if had_plus && !digits.starts_with('0') && digits.len() >= 9 {
        digits.insert(0, '0');
    }
    if digits.starts_with('0') && !digits.starts_with("00") {
        if let Some((area, local)) = area_and_local(&digits) {
            let mut out = format!("{area}-{local}");
            if !ext.is_empty() {
                out.push('-');
                out.push_str(&ext);
            }
            return Ok(PhoneValue::Landline(out));
        }
        // A trailing `-NNNN` after a whole landline is its extension, however
        // the area code is set off: `010-62345678-8001`,
        // `(0471)53134113-8438`, `0532 45541107-4155`, `057442789551-3394`.
        if let Some((_, tail)) = main.trim().rsplit_once('-') {
            let tail = tail.trim();
            if ext.is_empty() && !had_plus && (1..=6).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit())
            {
                // Without a `+`, `digits` are the head's digits then the tail.
                if let Some((area, local)) = area_and_local(&digits[..digits.len() - tail.len()]) {
                    return Ok(PhoneValue::Landline(format!("{area}-{local}-{tail}")));
                }
            }
        }
    }
    if digits.len() == 11 {
        return Err(format!("`{}` is not a valid mobile number", raw.trim()));
    }
    Err(format!("`{}` is not a phone number ({} digits)", raw.trim(), digits.len()))
}

/// A landline's digits as its area code and local number, when the local
/// number has 7 or 8 digits.
fn area_and_local(digits: &str) -> Option<(&str, &str)> {
    let (area, local) = digits.split_at(area_len(digits).min(digits.len()));
    (7..=8).contains(&local.len()).then_some((area, local))
}

/// Drops a trailing note in brackets that holds no digits: `…(微信同号)`,
/// `…（手机）`. A bracket with digits is an area code and stays.
fn strip_notes(s: &str) -> String {
    let mut out = s.trim().to_string();
    while let Some(open) = out.rfind(['(', '（']) {
        let tail = &out[open..];
        let closed = tail.ends_with(')') || tail.ends_with('）');
        if !closed || tail.chars().any(|c| c.is_ascii_digit()) || open == 0 {
            break;
        }
        out.truncate(open);
        out = out.trim_end().to_string();
    }
    out
}

/// Splits a cell that may hold several numbers (`138…/010-…`, `138…；139…`,
/// or two numbers side by side: `138… 0755-…`).
pub fn split_cell(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in raw.split(['/', ';', '；', ',', '，', '、', '|', '\n']).flat_map(|p| p.split("或")) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if normalize(part).is_err() {
            // Spaces also group digits (138 1234 5678), so split at a space
            // only where both sides are whole numbers.
            let tokens: Vec<&str> = part.split_whitespace().collect();
            let split = (1..tokens.len()).find_map(|i| {
                let (a, b) = (tokens[..i].join(" "), tokens[i..].join(" "));
                (normalize(&a).is_ok() && normalize(&b).is_ok()).then_some((a, b))
            });
            if let Some((a, b)) = split {
                out.push(a);
                out.push(b);
                continue;
            }
        }
        out.push(part.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Result<PhoneValue, String> {
        Ok(PhoneValue::Mobile(s.into()))
    }
    fn l(s: &str) -> Result<PhoneValue, String> {
        Ok(PhoneValue::Landline(s.into()))
    }

    #[test]
    fn table() {
        let cases: &[(&str, Result<PhoneValue, String>)] = &[
            ("13812345678", m("13812345678")),
            ("138-1234-5678", m("13812345678")),
            ("138 1234 5678", m("13812345678")),
            ("+86 138 1234 5678", m("13812345678")),
            ("0086-13812345678", m("13812345678")),
            ("8613812345678", m("13812345678")),
            ("１３８１２３４５６７８", m("13812345678")),
            ("138–1234—5678", m("13812345678")),
            ("13812345678.0", m("13812345678")),
            ("1.3812345678E10", m("13812345678")),
            ("010-62345678", l("010-62345678")),
            ("(010)62345678", l("010-62345678")),
            ("（0755）2612-3456", l("0755-26123456")),
            ("010-62345678转8001", l("010-62345678-8001")),
            ("010-62345678 ext. 8001", l("010-62345678-8001")),
            // An extension set off by a dash, whatever sets off the area code.
            ("(0471)53134113-8438", l("0471-53134113-8438")),
            ("（029）70618170-3193", l("029-70618170-3193")),
            ("0532 45541107-4155", l("0532-45541107-4155")),
            ("057442789551-3394", l("0574-42789551-3394")),
            ("0086 010 62345678-8001", l("010-62345678-8001")),
            ("010-62345678-8001", l("010-62345678-8001")),
            ("0571 8765 4321", l("0571-87654321")),
            ("400-810-8888", l("400-810-8888")),
            ("4008108888", l("400-810-8888")),
            ("+86 10 6234 5678", l("010-62345678")),
            ("15323463702(微信同号)", m("15323463702")),
            ("13346942679（手机）", m("13346942679")),
        ];
        for (raw, want) in cases {
            assert_eq!(&normalize(raw), want, "{raw}");
        }
        for bad in ["12345", "abc", "", "12812345678", "1381234567", "+1 415 555 0100", "138123456789"] {
            assert!(normalize(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn idempotent_on_table() {
        for raw in ["138-1234-5678", "010-62345678转8001", "400 810 8888", "(0755)2612-3456"] {
            let once = normalize(raw).unwrap();
            assert_eq!(normalize(once.as_str()).unwrap(), once);
        }
    }

    #[test]
    fn splits_cells() {
        assert_eq!(split_cell("13812345678/010-62345678"), vec!["13812345678", "010-62345678"]);
        assert_eq!(split_cell("13812345678；13912345678"), vec!["13812345678", "13912345678"]);
        assert_eq!(split_cell("13025062549 0755-88924536"), vec!["13025062549", "0755-88924536"]);
        assert_eq!(split_cell("138 1234 5678"), vec!["138 1234 5678"]);
        assert_eq!(split_cell(" "), Vec::<String>::new());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,40}") {
            if let Ok(v) = normalize(&s) {
                prop_assert_eq!(normalize(v.as_str()), Ok(v.clone()));
            }
            let _ = split_cell(&s);
        }

        #[test]
        fn phone_like_input_is_idempotent(s in "[+0-9 ()\\-转x.Ee]{0,24}") {
            if let Ok(v) = normalize(&s) {
                prop_assert_eq!(normalize(v.as_str()), Ok(v.clone()));
            }
        }

        // The shortcuts for numbers already in normal form agree with the
        // general path, also on near misses.
        #[test]
        fn shortcuts_agree_with_the_general_path(s in "[ ]?(1[0-9]{9,11}|0[0-9]{1,4}-[0-9]{6,9}|00[0-9]{2}-[0-9]{7,8}|[0-9]{3,4}-[0-9]{7,8}-[0-9]{1,4})[ ]?") {
            prop_assert_eq!(normalize(&s), normalize_any(&s));
        }

        #[test]
        fn any_valid_mobile_survives_decoration(d in "1[3-9][0-9]{9}", sep in "[ \\-–]?") {
            let decorated = format!("+86 {}{sep}{}{sep}{}", &d[..3], &d[3..7], &d[7..]);
            prop_assert_eq!(normalize(&decorated), Ok(PhoneValue::Mobile(d.clone())));
        }
    }
}
