//! Masking of sensitive values for roles that may not see them.
//!
//! Pure functions: which fields are sensitive, and who may see them, is the
//! service layer's business (`service::access`). A masked value keeps enough
//! shape to be recognisable (`138****5678`, `z***@example.com`) and never
//! enough to be used.

use super::Field;

/// The stand-in for a value that shows nothing at all.
pub const HIDDEN: &str = "****";

/// Masks `value` as a value of `field`.
pub fn mask_field(field: Field, value: &str) -> String {
    match field {
        Field::Mobile | Field::Landline => mask_phone(value),
        Field::Email => mask_email(value),
        Field::Address => mask_address(value),
        Field::DecisionMaker | Field::ContactName => mask_name(value),
        _ => HIDDEN.to_string(),
    }
}

/// `13812345678` → `138****5678`; `010-62345678-8001` → `010-****5678-****`.
/// Separators stay where they were, so the kind of number is still visible.
/// Only the first three and last four digits of the main number survive,
/// and only when the number is long enough that they do not give it away.
pub fn mask_phone(value: &str) -> String {
    // The extension (third part of a landline) is hidden whole.
    let (main, ext) = match split_extension(value) {
        Some((m, e)) => (m, Some(e)),
        None => (value, None),
    };
    let digits = main.chars().filter(char::is_ascii_digit).count();
    // A landline's area code names a city, not a person: it stays whole.
    let area = match main.split_once('-') {
        Some((a, rest)) if a.starts_with('0') && a.len() <= 4 && rest.len() >= 7 => a.len(),
        _ => 0,
    };
    let (keep_head, keep_tail) = match digits {
        _ if area > 0 => (area, 4),
        10.. => (3, 4),
        7..=9 => (0, 2),
        _ => (0, 0),
    };
    let mut out = String::with_capacity(value.len());
    let mut seen = 0;
    for c in main.chars() {
        if c.is_ascii_digit() {
            seen += 1;
            if seen <= keep_head || seen > digits - keep_tail {
                out.push(c);
            } else {
                out.push('*');
            }
        } else {
            out.push(c);
        }
    }
    if let Some(e) = ext {
        out.push('-');
        out.push_str(&"*".repeat(e.chars().count().max(1)));
    }
    out
}

fn split_extension(value: &str) -> Option<(&str, &str)> {
    // Normalised landlines are `0AA-NNNNNNNN-EXT`: the third part is the extension.
    let mut parts = value.splitn(3, '-');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if a.starts_with('0') && [a, b, c].iter().all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_digit())) {
        Some((&value[..a.len() + 1 + b.len()], c))
    } else {
        None
    }
}

/// `zhang.wei@example.com` → `z***@example.com`: the domain says which
/// company, the local part says who, so only the domain stays.
pub fn mask_email(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).filter(|c| !c.is_ascii_digit()).collect();
            format!("{first}***@{domain}")
        }
        None => HIDDEN.to_string(),
    }
}

/// Keeps the administrative prefix (province, city, district) of an address
/// and hides the street: `北京市海淀区中关村大街1号` → `北京市海淀区****`.
pub fn mask_address(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut cut = 0;
    for (i, c) in chars.iter().enumerate().take(12) {
        if matches!(c, '省' | '市' | '区' | '县' | '州' | '盟' | '旗') {
            cut = i + 1;
        }
    }
    let head: String = chars[..cut].iter().collect();
    format!("{head}{HIDDEN}")
}

/// `张伟` → `张*`; `Wei Zhang` → `W***`.
pub fn mask_name(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) if first.is_ascii() => format!("{first}***"),
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// Masks what looks like a phone number (seven or more digits, with the
/// usual separators) or an e-mail address inside free text: raw source cells
/// of unknown meaning, notes, interaction summaries, audit values.
pub fn mask_text(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            let start = word_start(&chars, i);
            // Back out the local part already copied.
            for _ in start..i {
                out.pop();
            }
            let local: String = chars[start..i].iter().collect();
            // A domain can hold a number too (`x@13800000000.com`): mask it as text.
            let domain = mask_text(&chars[i + 1..end].iter().collect::<String>());
            out.push_str(&mask_email(&format!("{local}@{domain}")));
            i = end;
            continue;
        }
        if chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() {
                let c = chars[j];
                if c.is_ascii_digit() {
                    digits += 1;
                } else if !matches!(c, '-' | ' ' | '+' | '(' | ')' | '.')
                    || !chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    break;
                }
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            if digits >= 7 {
                out.push_str(&mask_phone(&run));
            } else {
                out.push_str(&run);
            }
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '%')
}

fn word_start(chars: &[char], at: usize) -> usize {
    let mut s = at;
    while s > 0 && is_local_char(chars[s - 1]) {
        s -= 1;
    }
    s
}

/// If `chars[at]` is the `@` of an e-mail address, the end of its domain.
fn email_at(chars: &[char], at: usize) -> Option<usize> {
    if chars[at] != '@' || word_start(chars, at) == at {
        return None;
    }
    let mut end = at + 1;
    while end < chars.len() && (chars[end].is_ascii_alphanumeric() || matches!(chars[end], '.' | '-')) {
        end += 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    let starts_well = domain.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    (starts_well && domain.contains('.') && domain.chars().any(|c| c.is_ascii_alphabetic())).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones() {
        let cases = [
            ("13812345678", "138****5678"),
            ("010-62345678", "010-****5678"),
            ("010-62345678-8001", "010-****5678-****"),
            ("0755-8888123", "0755-***8123"),
            ("400-810-8888", "400-***-8888"),
            ("62345678", "******78"),
            ("12345", "*****"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(mask_phone(raw), want, "{raw}");
        }
    }

    #[test]
    fn emails_names_addresses() {
        assert_eq!(mask_email("zhang.wei@example.com"), "z***@example.com");
        assert_eq!(mask_email("13812345678@163.com"), "***@163.com");
        assert_eq!(mask_email("not an email"), HIDDEN);
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("Wei Zhang"), "W***");
        assert_eq!(mask_address("北京市海淀区中关村大街1号"), "北京市海淀区****");
        assert_eq!(mask_address("Room 5, 88 Nanjing Rd"), HIDDEN);
        assert_eq!(mask_field(Field::ContractAmount, "502800"), HIDDEN);
    }

    #[test]
    fn free_text() {
        assert_eq!(mask_text("请回电 138 1234 5678，或 wang@x.com 谢谢"), "请回电 138 **** 5678，或 w***@x.com 谢谢");
        assert_eq!(mask_text("+86 138-1234-5678"), "+86 1**-****-5678");
        assert_eq!(mask_text("订单 2024 年 3 件"), "订单 2024 年 3 件");
        assert_eq!(mask_text("a@b"), "a@b");
        assert_eq!(mask_text("%@.13000000000"), "%@.130****0000");
        assert_eq!(mask_text("x@13912345678.com"), "x***@139****5678.com");
        assert_eq!(mask_text("转8001"), "转8001");
    }

    proptest! {
        /// Whatever the text, no run of 11 digits of it survives masking.
        #[test]
        fn no_mobile_survives(prefix in "\\PC{0,8}", mobile in "1[3-9][0-9]{9}", suffix in "\\PC{0,8}") {
            let text = format!("{prefix}{mobile}{suffix}");
            let masked = mask_text(&text);
            prop_assert!(!masked.contains(&mobile), "{masked}");
            prop_assert!(masked.contains("****"), "{masked}");
        }
    }
}
