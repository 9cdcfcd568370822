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
    // A note in brackets after the name is its role: `程锐（IT负责人）`,
    // `John Smith (CTO)` (full-width brackets are ASCII after `clean`).
    let mut note = None;
    if let Some((name, inner)) = s.rsplit_once('(') {
        if let Some(inner) = inner.strip_suffix(')') {
            let (name, inner) = (clean(name), clean(inner));
            if name.chars().any(char::is_alphanumeric) && !inner.is_empty() {
                note = Some(inner);
                s = name;
            }
        }
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
    let mut parts: Vec<&str> = before;
    parts.extend(after);
    parts.extend(note.as_deref());
    let title = (!parts.is_empty()).then(|| parts.join(" "));
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

/// The common Chinese family names (the top of the national surname
/// ranking, which covers the great majority of people) and the compound
/// ones still in use. Simplified; names are compared after fast2s.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许邓韩冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文施洪辛柯庄殷樊葛牛詹温鲁符祝凌骆俞柳游谷单蓝谈屠封左兰储聂佟查车邢褚仇饶岳翟倪池滕鲍鄢麦冉甘邝卓晏申耿焦祁毕阮解舒裴梅尤卜邬丛冀戚霍靳迟艾粟栾奚喻项闵邰欧隋伍柴巫宫芦荆缪茅苗卫蒙郎裘虞窦";
/// Compound family names (复姓): a name starting with one has a
/// two-character surname (matching splits names with this list too).
pub(crate) const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "长孙", "宇文",
    "轩辕", "端木", "独孤", "南宫", "西门", "申屠", "闻人",
];
/// Words of organisations: a name holding one is not a person's.
const ORG_WORDS: &[&str] = &[
    "公司",
    "集团",
    "企业",
    "科技",
    "贸易",
    "商贸",
    "实业",
    "工作室",
    "中心",
    "商行",
    "商店",
    "门店",
    "超市",
    "酒店",
    "餐厅",
    "工厂",
    "银行",
    "医院",
    "学校",
    "大学",
    "学院",
    "研究",
    "事务所",
    "协会",
    "基金",
    "合作社",
    "政府",
    "机构",
    "部门",
    "厂",
    "店",
    "馆",
    "所",
    "局",
    "社",
    "院",
];
const LATIN_ORG_WORDS: &[&str] = &[
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "co",
    "corp",
    "corporation",
    "company",
    "llc",
    "llp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "bv",
    "pty",
    "group",
    "holdings",
    "bank",
    "trust",
    "university",
    "school",
    "hospital",
    "services",
    "solutions",
    "trading",
    "technologies",
    "technology",
    "systems",
    "partners",
    "associates",
    "foundation",
    "the",
    "and",
    "&",
];

/// Whether `id` is a mainland resident ID number (GB 11643): 18 characters,
/// 17 digits and a check character (a digit or X) that the weighted sum of
/// the digits gives, or the old 15-digit form. A firm's licence or credit
/// code in the same column is none.
pub fn is_resident_id(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let id = id.trim();
    if id.len() == 15 {
        return id.bytes().all(|b| b.is_ascii_digit());
    }
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    b"10X98765432"[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

/// Whether `name` reads as a person's name rather than an organisation's:
/// a Chinese family name and a one- or two-character given name (three for
/// a compound family name), or, when `latin_parts` (the name was joined
/// from given-name and surname columns), one to four Latin words. Never
/// when it holds a word of organisations.
pub fn looks_like_person(name: &str, latin_parts: bool) -> bool {
    let n = fast2s::convert(&clean(name));
    if n.is_empty() || ORG_WORDS.iter().any(|w| n.contains(w)) {
        return false;
    }
    let han: Vec<char> = n.chars().filter(|c| !matches!(c, '·' | '•')).collect();
    if han.iter().all(|c| is_han(*c)) {
        let len = han.len();
        let compound = COMPOUND_SURNAMES.iter().any(|s| n.starts_with(s));
        return (compound && (3..=4).contains(&len)) || (SURNAMES.contains(han[0]) && (2..=3).contains(&len));
    }
    if !latin_parts {
        return false;
    }
    let words: Vec<String> = n.split_whitespace().map(|w| w.trim_matches(['.', ',']).to_lowercase()).collect();
    // Columns joined into a name are a person's name parts; one of them
    // may be empty in a row (`charlie`).
    (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            !w.is_empty()
                && w.chars().all(|c| c.is_alphabetic() || matches!(c, '\'' | '-'))
                && !LATIN_ORG_WORDS.contains(&w.as_str())
        })
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

    #[test]
    fn resident_ids_by_their_check_character() {
        assert!(is_resident_id("11010519491231002X"));
        assert!(is_resident_id("11010519491231002x"), "a lower-case x is typed often");
        assert!(is_resident_id("310104197612166382"));
        assert!(is_resident_id("130503670401001"), "the old 15-digit form");
        assert!(!is_resident_id("110101199001011234"), "wrong check digit");
        assert!(!is_resident_id("91330100MA2B0XXX1A"), "a credit code");
        assert!(!is_resident_id("1101051949123100"));
    }

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
            // A bracketed note after the name is the person's role.
            ("程　锐（IT负责人）", p("程锐", Some("IT负责人"))),
            ("John Smith (CTO)", p("John Smith", Some("CTO"))),
            ("王经理(采购)", p("王", Some("经理 采购"))),
            ("(备注)", p("(备注)", None)),
        ];
        for (raw, want) in cases {
            assert_eq!(&normalize(raw), want, "{raw}");
        }
        for bad in ["", "  ", "***", "·", "“”"] {
            assert!(normalize(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn persons_recognised() {
        // Less frequent surnames of the common-surname lists count too.
        for name in
            ["王伟", "李娜", "欧阳娜娜", "陳大文", "张 伟", "司马相如", "俞玉梅", "蓝东", "聂华", "佟淑兰", "储秀荣"]
        {
            assert!(looks_like_person(name, false), "{name}");
        }
        for name in
            ["星辰科技", "华通科技有限公司", "王府井百货店", "北京星辰贸易有限公司", "王伟工作室", "王", "王小明明"]
        {
            assert!(!looks_like_person(name, false), "{name}");
        }
        assert!(looks_like_person("John Smith", true));
        assert!(looks_like_person("mary-jane o'neil", true));
        assert!(!looks_like_person("John Smith", false), "a single Latin column says nothing by itself");
        assert!(!looks_like_person("Acme Trading Ltd", true));
        assert!(!looks_like_person("Smith & Sons", true));
        assert!(looks_like_person("charlie", true), "a row whose surname cell is empty");
        assert!(!looks_like_person("Madonna", false));
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
