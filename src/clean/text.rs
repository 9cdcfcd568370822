//! Width and whitespace folding shared by the other normalisers.

/// Folds full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic
/// space U+3000 to a space: Chinese input methods produce both freely.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Trims and collapses runs of whitespace (U+3000 included) to one space.
pub fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split(|c: char| c.is_whitespace() || c == '\u{3000}') {
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_squeezes() {
        assert_eq!(fold_width("１３８＠ＱＱ"), "138@QQ");
        assert_eq!(squeeze("  星辰\u{3000}\u{3000}科技 \t有限公司 "), "星辰 科技 有限公司");
        assert_eq!(squeeze(""), "");
    }
}
