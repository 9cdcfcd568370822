//! Person names: the name as the customer spells it, with the honorific or
//! job title that sales sheets append (`王经理`, `张总`, `李娜女士`,
//! `Mr. John Smith`) taken off into its own field.
//!
//! `name` keeps the spelling (traditional characters, Latin case) because it
//! is shown and exported; `key` is what matching compares.

use unicode_normalization::UnicodeNormalization;

use super::company::{is_han, is_settled, prefold, settle, strip_ends, tidy_spaces};

/// A person's name and the title that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// NFKC, whitespace squeezed (none between Han characters: `王  明` is
    /// `王明`, padded for alignment), stray characters stripped, title removed.
    pub name: String,
    /// The title(s) removed, canonical: Chinese ones simplified (`經理` →
    /// `经理`), Latin ones as `Mr.`, `Mrs.`, `Ms.`, `Miss`, `Dr.`, `Prof.`.
    /// Several are joined with a space in reading order.
    pub title: Option<String>,
}

/// Normalises a person's name. `Err` when no letter, digit or Han
/// character remains. A title is only removed when something is left:
/// `经理` alone, or `总经理`, stays a name.
pub fn normalize(raw: &str) -> Result<PersonName, String> {
    let mut s = clean(raw);
    if !s.chars().any(char::is_alphanumeric) {
        return Err(format!("`{}` is not a person's name (no letters or digits)", raw.trim()));
    }
    let mut before: Vec<&'static str> = Vec::new();
    let mut after: Vec<&'static str> = Vec::new();
    // Strip until nothing changes, re-cleaning in between, so that the
    // result is a fixed point: normalising `name` again leaves it as is.
    // Every strip shortens `s`, so this ends.
    loop {
        if let Some((rest, t)) = strip_latin_title(&s) {
            before.push(t);
            s = clean(rest);
        } else if let Some((rest, t)) = strip_cjk_title(&s) {
            after.push(t);
            s = clean(rest);
        } else {
            break;
        }
    }
    after.reverse();
    before.extend(after);
    let title = (!before.is_empty()).then(|| before.join(" "));
    Ok(PersonName { name: s, title })
}

/// The matching key of a name: NFKC, traditional → simplified, no
/// whitespace or middle dots (`·`, `•`), Latin lower-cased. `王 明`,
/// `王明` and `王明` share a key; so do `John Smith` and `john smith`.
pub fn key(name: &str) -> String {
    let s = fast2s::convert(&prefold(name));
    let k: String = s
        .chars()
        .filter(|&c| !c.is_whitespace() && !matches!(c, '·' | '•' | '・' | '‧' | '∙' | '⋅'))
        .flat_map(char::to_lowercase)
        .collect();
    // Dropping a space or lower-casing can leave a base letter next to a
    // combining mark (`T¨a`): compose again so that the key is stable.
    if is_settled(&k) {
        k
    } else {
        k.nfkc().collect()
    }
}

fn is_dquote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '‟' | '「' | '」' | '『' | '』' | '〝' | '〞' | '〟')
}

fn clean_once(raw: &str) -> String {
    let s: String = prefold(raw).chars().filter(|&c| !is_dquote(c)).collect();
    strip_ends(&tidy_spaces(&s)).to_string()
}

fn clean(raw: &str) -> String {
    settle(raw, clean_once)
}

/// Chinese titles written after the name, simplified. Matched longest
/// first; the first (longest) match decides, so `总经理` is never read as
/// `总` + `经理`. `姐`/`哥` are included: `张姐` is how sheets name a contact.
const CJK_TITLES: &[&str] = &[
    "副董事长",
    "副总经理",
    "董事长",
    "总经理",
    "副总裁",
    "副总监",
    "副主任",
    "工程师",
    "老板娘",
    "先生",
    "女士",
    "小姐",
    "太太",
    "夫人",
    "经理",
    "副总",
    "老总",
    "老板",
    "主任",
    "主管",
    "总监",
    "总裁",
    "董事",
    "老师",
    "教授",
    "博士",
    "医生",
    "大夫",
    "律师",
    "会计",
    "总工",
    "部长",
    "处长",
    "科长",
    "局长",
    "校长",
    "院长",
    "行长",
    "厂长",
    "店长",
    "组长",
    "主席",
    "书记",
    "秘书",
    "助理",
    "专员",
    "顾问",
    "师傅",
    "同学",
    "总",
    "工",
    "姐",
    "哥",
];

fn cjk_titles() -> &'static [&'static str] {
    static T: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut v = CJK_TITLES.to_vec();
        v.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        v
    })
}

/// A trailing Chinese title, matched on the simplified form (`王經理`).
/// Only after a Han character or a Latin letter: `王经理` and `John先生`
/// yes, `3工` no.
fn strip_cjk_title(s: &str) -> Option<(&str, &'static str)> {
    let simp = fast2s::convert(s);
    let t = cjk_titles().iter().copied().find(|t| simp.ends_with(t))?;
    // fast2s maps one char to one char: cut `s` at the same char count.
    let keep = simp.chars().count() - t.chars().count();
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let rest = &s[..cut];
    let last = rest.chars().rev().find(|c| !c.is_whitespace() && !matches!(c, '·' | '•'))?;
    (is_han(last) || last.is_ascii_alphabetic()).then_some((rest, t))
}

/// Latin titles before the name, case-insensitive, with or without a dot.
const LATIN_TITLES: &[(&str, &str)] =
    &[("mr", "Mr."), ("mrs", "Mrs."), ("ms", "Ms."), ("miss", "Miss"), ("dr", "Dr."), ("prof", "Prof.")];

/// `Mr. John Smith`, `MRS SMITH`, `Dr.王明`; the title must be followed by a
/// dot or a space, so `Drake` and `Msomi` are names.
fn strip_latin_title(s: &str) -> Option<(&str, &'static str)> {
    let word_end = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    let word = &s[..word_end];
    let &(_, canon) = LATIN_TITLES.iter().find(|(w, _)| word.eq_ignore_ascii_case(w))?;
    let rest = &s[word_end..];
    if !rest.starts_with(['.', ' ']) {
        return None;
    }
    let rest = rest.trim_start_matches(['.', ' ']);
    rest.chars().any(char::is_alphanumeric).then_some((rest, canon))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(name: &str, title: Option<&str>) -> Result<PersonName, String> {
        Ok(PersonName { name: name.into(), title: title.map(str::to_string) })
    }

    #[test]
    fn table() {
        let cases: &[(&str, Result<PersonName, String>)] = &[
            ("王经理", p("王", Some("经理"))),
            ("张总", p("张", Some("总"))),
            ("李娜女士", p("李娜", Some("女士"))),
            ("Mr. John Smith", p("John Smith", Some("Mr."))),
            ("mr john smith", p("john smith", Some("Mr."))),
            ("MRS. SMITH", p("SMITH", Some("Mrs."))),
            ("Dr.王明", p("王明", Some("Dr."))),
            ("Miss Li", p("Li", Some("Miss"))),
            ("王总经理", p("王", Some("总经理"))),
            ("李副总", p("李", Some("副总"))),
            ("陈董事长", p("陈", Some("董事长"))),
            ("刘老师", p("刘", Some("老师"))),
            ("林工", p("林", Some("工"))),
            ("赵博士", p("赵", Some("博士"))),
            ("孙会计", p("孙", Some("会计"))),
            ("周主任", p("周", Some("主任"))),
            ("吴小姐", p("吴", Some("小姐"))),
            ("郑先生", p("郑", Some("先生"))),
            ("张姐", p("张", Some("姐"))),
            ("王 经理", p("王", Some("经理"))),
            ("黃經理", p("黃", Some("经理"))),
            ("王先生经理", p("王", Some("先生 经理"))),
            ("经理", p("经理", None)),
            ("总经理", p("总经理", None)),
            ("先生", p("先生", None)),
            ("王  明", p("王明", None)),
            ("王\u{3000}明", p("王明", None)),
            ("  John   Smith  ", p("John Smith", None)),
            ("John Smith先生", p("John Smith", Some("先生"))),
            ("“王经理”", p("王", Some("经理"))),
            ("*李娜*", p("李娜", None)),
            ("爱新觉罗·溥仪", p("爱新觉罗·溥仪", None)),
            ("买买提 · 艾力", p("买买提·艾力", None)),
            ("Drake", p("Drake", None)),
            ("Mr.", p("Mr.", None)),
            ("John Smith Jr.", p("John Smith Jr.", None)),
            ("ＪＯＨＮ", p("JOHN", None)),
            ("陳大文", p("陳大文", None)),
        ];
        for (raw, want) in cases {
            assert_eq!(&normalize(raw), want, "{raw}");
        }
        for bad in ["", "  ", "***", "·", "“”"] {
            assert!(normalize(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn keys() {
        let cases = [
            ("王明", "王明"),
            ("王 明", "王明"),
            ("陳大文", "陈大文"),
            ("John Smith", "johnsmith"),
            ("JOHN  SMITH", "johnsmith"),
            ("爱新觉罗·溥仪", "爱新觉罗溥仪"),
            ("买买提•艾力", "买买提艾力"),
            ("ＪＯＨＮ", "john"),
            ("T¨a", "ẗa"),
            ("", ""),
        ];
        for (name, want) in cases {
            assert_eq!(key(name), want, "{name}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(raw in any::<String>()) {
            if let Ok(once) = normalize(&raw) {
                let again = normalize(&once.name).unwrap();
                prop_assert_eq!(&again.name, &once.name);
                prop_assert_eq!(again.title, None);
                prop_assert_eq!(key(&key(&once.name)), key(&once.name));
            }
        }

        #[test]
        fn idempotent_on_name_like_input(
            pieces in prop::collection::vec(
                prop::sample::select(vec![
                    "王", "明", "經", "理", "经理", "总", "总经理", "先生", "女士", "工", "姐", "Mr", "Mr.", "mrs", "Dr",
                    "John", " ", "\u{3000}", ".", "·", "*", "“", "”", "(", ")", "\u{301}", "e",
                ]),
                0..10,
            )
        ) {
            let raw = pieces.concat();
            if let Ok(once) = normalize(&raw) {
                let again = normalize(&once.name).unwrap();
                prop_assert_eq!(&again.name, &once.name, "raw {:?}", raw);
                prop_assert_eq!(again.title, None, "raw {:?}", raw);
            }
        }
    }
}
