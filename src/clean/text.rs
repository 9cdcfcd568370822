//! Width and whitespace folding shared by the other normalisers.

/// Whether NFKC leaves `s` as it is, known without looking anything up:
/// every character is ASCII or a CJK unified ideograph of the basic block
/// (U+4E00..U+9FFF), none of which NFKC changes, decomposes or composes
/// with a neighbour. Most cells of a Chinese export are. `false` says
/// nothing either way.
pub fn plainly_nfkc(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

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

/// The key a name sorts by in the workbench list (`customers.name_sort`):
/// Chinese characters by their pinyin (one reading each, the most common),
/// letters and digits in lower case, one space between syllables and words,
/// punctuation dropped; then, after U+0001, the name itself, so that names
/// reading alike stay together in a fixed order. 安徽… sorts before 北京…,
/// 北京… before 上海…, and 陈 before 陈明, as a Chinese reader expects.
pub fn name_sort_key(name: &str) -> String {
    use pinyin::ToPinyin;
    let folded = fold_width(name);
    let mut out = String::with_capacity(folded.len() * 2 + name.len() + 1);
    // Whether the last thing pushed was a letter or digit, to join a word's characters.
    let mut in_word = false;
    fn sep(out: &mut String) {
        if !out.is_empty() {
            out.push(' ');
        }
    }
    for (c, p) in folded.chars().zip(folded.as_str().to_pinyin()) {
        if let Some(p) = p {
            sep(&mut out);
            out.push_str(p.plain());
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                sep(&mut out);
            }
            out.extend(c.to_lowercase());
            in_word = c.is_ascii_alphanumeric();
        } else {
            in_word = false;
        }
    }
    out.push('\u{1}');
    out.push_str(name);
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

    #[test]
    fn plainly_nfkc_only_vouches_for_what_nfkc_keeps() {
        use unicode_normalization::UnicodeNormalization;
        for s in ["", "星辰科技有限公司", "Acme Ltd. 2024", "浙江宁波市海曙区中山西路88号"] {
            assert!(plainly_nfkc(s), "{s}");
            assert_eq!(s.nfkc().collect::<String>(), s);
        }
        // Full-width forms, the ideographic space, compatibility ideographs
        // and combining marks are left to NFKC itself.
        for s in ["星辰（北京）", "ＡＢＣ", "星辰\u{3000}科技", "\u{F900}", "e\u{301}", "①"] {
            assert!(!plainly_nfkc(s), "{s}");
        }
    }

    #[test]
    fn names_sort_by_pinyin() {
        assert_eq!(name_sort_key("上海ABC科技"), "shang hai abc ke ji\u{1}上海ABC科技");
        assert_eq!(name_sort_key("藤岸信（西安）"), "teng an xin xi an\u{1}藤岸信（西安）");
        let mut names = ["上海恒安", "北京星辰", "安徽华禹", "陈明", "陈", "重庆锐疆", "Zeta", "3M中国"];
        names.sort_by_key(|n| name_sort_key(n));
        // 重 reads zhong here: one reading per character.
        assert_eq!(names, ["3M中国", "安徽华禹", "北京星辰", "陈", "陈明", "上海恒安", "Zeta", "重庆锐疆"]);
    }
}
