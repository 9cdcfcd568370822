//! Company names: a display form that keeps the customer's own spelling, and
//! the parts the matcher compares — region, core, legal form, branch.
//!
//! The same company arrives as `北京星辰科技有限公司`, `星辰科技（北京）有限公司`,
//! `北京市 星辰科技 有限公司` and `星辰科技`. Comparing whole strings misses
//! all of those, and comparing a stripped-down name alone merges a parent with
//! its subsidiary or one brand's offices in two cities. So the name is split:
//! `core` is the matching key (traditional → simplified, no spaces, brackets
//! or punctuation, Latin lower-cased), and region, legal form and branch are
//! kept apart so that a disagreement on them can count as evidence *against*.
//!
//! Parsing always works on `full`, so normalising `full` again gives the same
//! value (every field), which the property tests check.

use std::sync::OnceLock;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// A company name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName {
    /// Display form: NFKC, brackets unified, whitespace squeezed, stray
    /// characters stripped. Keeps the customer's spelling (traditional
    /// characters, Latin case, the region as written).
    pub full: String,
    /// Province / municipality / big city, canonical short form (`北京`,
    /// `广东`), also for pinyin spellings (`(Beijing)` → `北京`).
    pub region: Option<String>,
    /// The matching key: brand and industry words, simplified, lower-cased,
    /// only letters and digits. Never empty.
    pub core: String,
    /// Canonical legal form: `有限公司`, `股份有限公司`, `集团`, `Co., Ltd.` …
    pub legal_form: Option<String>,
    /// Branch office, region canonicalised: `北京分公司`, `深圳分行`, `分公司`.
    pub branch: Option<String>,
}

/// Normalises a company name. `Err` when no letter, digit or Han character
/// remains, or when nothing but a legal form / branch word does (`有限公司`,
/// `北京分公司`): such a row has no name to match on.
pub fn normalize(raw: &str) -> Result<CompanyName, String> {
    // An import reads a row's name once to settle its kind (ingest) and
    // again, in another layer, for its parts (`validate::derive_name`):
    // the last answer is kept, per thread, and handed out again for the
    // same name.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Result<CompanyName, String>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some((name, answer)) = last.as_ref().filter(|(name, _)| name == raw) {
            debug_assert_eq!(name, raw);
            return answer.clone();
        }
        let answer = normalize_anew(raw);
        *last = Some((raw.to_string(), answer.clone()));
        answer
    })
}

fn normalize_anew(raw: &str) -> Result<CompanyName, String> {
    let full = clean(raw);
    if !full.chars().any(char::is_alphanumeric) {
        return Err(format!("`{}` is not a company name (no letters or digits)", raw.trim()));
    }
    parse(&full).ok_or_else(|| format!("`{}` has no company name besides its legal form or branch", raw.trim()))
}

/// The brand: `core` without its trailing generic industry words (科技, 电子,
/// 信息技术, 贸易 …), repeatedly and longest first, so `星辰电子科技`,
/// `星辰科技` and `星辰` all give `星辰`. Used to match short names against
/// registered ones. Never strips below two characters (`华科技` stays), so
/// the result is never empty for a non-empty core.
pub fn brand(core: &str) -> &str {
    let mut b = core;
    'strip: loop {
        for w in industry_words() {
            if let Some(rest) = b.strip_suffix(w) {
                if rest.chars().count() >= 2 {
                    b = rest;
                    continue 'strip;
                }
            }
        }
        return b;
    }
}

/// Folds legal forms that are legally the same thing to one key, for
/// comparing two records: `有限责任公司` is the long form of `有限公司`, and
/// `Co., Ltd.` is `Ltd.`. Everything else (集团 vs 有限公司, 股份有限公司 vs
/// 有限公司, 公司 vs 有限公司) stays distinct: a parent and its subsidiary
/// differ exactly there.
pub fn legal_form_key(form: &str) -> &str {
    match form {
        "有限责任公司" => "有限公司",
        "Co., Ltd." => "Ltd.",
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Character classes and cleaning shared with `person` and `industry`.

/// Han ideographs: the unified block, extension A and the supplementary
/// planes (compatibility ideographs excluded: NFKC maps them away).
pub(super) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{3007}' | '\u{20000}'..='\u{2F7FF}' | '\u{30000}'..='\u{323AF}')
}

/// Characters of East Asian scripts and punctuation: a space next to one of
/// them is layout, not a word separator (`星辰 科技`, `王  明`).
pub(super) fn is_wide(c: char) -> bool {
    is_han(c)
        || matches!(c,
            '\u{2E80}'..='\u{2FDF}' | '\u{3000}'..='\u{30FF}' | '\u{3100}'..='\u{31FF}'
            | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// Middle dots used inside names (`爱新觉罗·溥仪`, `星辰·科技`).
pub(super) fn is_joiner(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | '‧' | '∙' | '⋅')
}

/// Invisible format characters (zero-width space, BOM, direction marks, soft
/// hyphen) that copy-paste from web pages and Excel leaves inside cells.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Double quotes are never part of a name; sources quote brand names inside
/// them (`“星辰”科技`), so they go wherever they are.
fn is_dquote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '‟' | '「' | '」' | '『' | '』' | '〝' | '〞' | '〟')
}

/// Removes format characters, turns control characters and every kind of
/// whitespace into a space, and applies NFKC (full-width ASCII, U+3000,
/// compatibility ideographs, circled digits …).
pub(super) fn prefold(raw: &str) -> String {
    let s: String = raw
        .chars()
        .filter(|&c| !is_format(c))
        .map(|c| if c.is_whitespace() || c.is_control() { ' ' } else { c })
        .collect();
    if super::text::plainly_nfkc(&s) || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s
    } else {
        s.nfkc().collect()
    }
}

/// Collapses whitespace runs to one space and drops the spaces that are only
/// layout: next to wide (CJK) characters or middle dots, after an opening
/// bracket, before a closing bracket or punctuation. Single spaces between
/// Latin words stay. Trims both ends.
pub(super) fn tidy_spaces(s: &str) -> String {
    fn glues(p: char, c: char) -> bool {
        is_wide(p)
            || is_wide(c)
            || is_joiner(p)
            || is_joiner(c)
            || matches!(p, '(' | '[' | '{')
            || matches!(c, ')' | ']' | '}' | ',' | '.' | ';' | ':' | '!' | '?')
    }
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    let mut pending = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending = true;
            continue;
        }
        if pending {
            if let Some(p) = prev {
                if !glues(p, c) {
                    out.push(' ');
                }
            }
            pending = false;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Strips stray characters from both ends until a letter, digit or Han
/// character (or a balanced bracket, `《》`, or the dot of a Latin
/// abbreviation such as `Ltd.`) is reached: `*北京星辰科技有限公司★,` and
/// `“王经理”` lose their decorations.
pub(super) fn strip_ends(mut s: &str) -> &str {
    loop {
        let Some(c) = s.chars().next() else { return s };
        let keep = c.is_alphanumeric()
            || matches!(c, '《' | '〈')
            || (matches!(c, '(' | '（') && s[c.len_utf8()..].contains([')', '）']));
        if !keep {
            s = &s[c.len_utf8()..];
            continue;
        }
        let mut rev = s.chars().rev();
        let Some(c) = rev.next() else { return s };
        let keep = c.is_alphanumeric()
            || matches!(c, '》' | '〉')
            || (matches!(c, ')' | '）') && s[..s.len() - c.len_utf8()].contains(['(', '（']))
            || (c == '.' && rev.next().is_some_and(|p| p.is_ascii_alphabetic()));
        if !keep {
            s = &s[..s.len() - c.len_utf8()];
            continue;
        }
        return s;
    }
}

/// Characters after whose cleaning one pass is known to be a fixed point
/// (NFKC-stable, no combining marks). Anything else gets re-cleaned until
/// stable, so that `normalize` is idempotent on exotic input too.
pub(super) fn is_settled(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii() || is_han(c) || matches!(c, '（' | '）' | '·' | '《' | '》' | '〈' | '〉' | '、' | '。'))
}

/// One cleaning pass for a company name.
fn clean_once(raw: &str) -> String {
    let s = prefold(raw);
    // Only characters that survive stripping decide, so that the choice is
    // the same on the second pass (an unassigned code point in a Han block
    // is not alphanumeric and goes).
    let cjk = s.chars().any(|c| is_han(c) && c.is_alphanumeric());
    let (open, close) = if cjk { ('（', '）') } else { ('(', ')') };
    let s: String = s
        .chars()
        .filter(|&c| !is_dquote(c))
        .map(|c| match c {
            '(' | '[' | '{' | '【' | '〔' | '〖' | '〘' | '〚' | '（' | '［' | '｛' => open,
            ')' | ']' | '}' | '】' | '〕' | '〗' | '〙' | '〛' | '）' | '］' | '｝' => close,
            _ => c,
        })
        .collect();
    strip_ends(&tidy_spaces(&s)).to_string()
}

/// The display form. See `CompanyName::full`.
fn clean(raw: &str) -> String {
    settle(raw, clean_once)
}

/// Applies a cleaning pass, and again (up to four more times) until the
/// text stops changing when it holds anything beyond ASCII and Han, so the
/// normalisers built on it are idempotent on exotic input too.
pub(super) fn settle(raw: &str, pass: fn(&str) -> String) -> String {
    let mut s = pass(raw);
    if !is_settled(&s) {
        for _ in 0..4 {
            let next = pass(&s);
            if next == s {
                break;
            }
            s = next;
        }
    }
    s
}

// ---------------------------------------------------------------------------
// Tables.

/// Provincial-level divisions (all 34) and big cities (all provincial
/// capitals and the largest prefecture-level cities), with pinyin / English
/// spellings. Cities whose name is also a common brand word (中山, 金华) are
/// left out on purpose: `中山医疗` must not lose its `中山`.
/// Two cities sharing one pinyin (台州 / 泰州 taizhou, 玉林 / 榆林 yulin)
/// get no pinyin alias.
const REGIONS: &[(&str, &[&str])] = &[
    // Municipalities and special administrative regions.
    ("北京", &["beijing", "peking"]),
    ("天津", &["tianjin"]),
    ("上海", &["shanghai"]),
    ("重庆", &["chongqing"]),
    ("香港", &["hongkong", "hong kong"]),
    ("澳门", &["macau", "macao"]),
    // Provinces and autonomous regions.
    ("河北", &["hebei"]),
    ("山西", &["shanxi"]),
    ("内蒙古", &["neimenggu", "inner mongolia"]),
    ("辽宁", &["liaoning"]),
    ("吉林", &["jilin"]),
    ("黑龙江", &["heilongjiang"]),
    ("江苏", &["jiangsu"]),
    ("浙江", &["zhejiang"]),
    ("安徽", &["anhui"]),
    ("福建", &["fujian"]),
    ("江西", &["jiangxi"]),
    ("山东", &["shandong"]),
    ("河南", &["henan"]),
    ("湖北", &["hubei"]),
    ("湖南", &["hunan"]),
    ("广东", &["guangdong"]),
    ("广西", &["guangxi"]),
    ("海南", &["hainan"]),
    ("四川", &["sichuan"]),
    ("贵州", &["guizhou"]),
    ("云南", &["yunnan"]),
    ("西藏", &["xizang", "tibet"]),
    ("陕西", &["shaanxi"]),
    ("甘肃", &["gansu"]),
    ("青海", &["qinghai"]),
    ("宁夏", &["ningxia"]),
    ("新疆", &["xinjiang"]),
    ("台湾", &["taiwan"]),
    // Provincial capitals.
    ("石家庄", &["shijiazhuang"]),
    ("太原", &["taiyuan"]),
    ("呼和浩特", &["hohhot", "huhehaote"]),
    ("沈阳", &["shenyang"]),
    ("长春", &["changchun"]),
    ("哈尔滨", &["harbin", "haerbin"]),
    ("南京", &["nanjing"]),
    ("杭州", &["hangzhou"]),
    ("合肥", &["hefei"]),
    ("福州", &["fuzhou"]),
    ("南昌", &["nanchang"]),
    ("济南", &["jinan"]),
    ("郑州", &["zhengzhou"]),
    ("武汉", &["wuhan"]),
    ("长沙", &["changsha"]),
    ("广州", &["guangzhou", "canton"]),
    ("南宁", &["nanning"]),
    ("海口", &["haikou"]),
    ("成都", &["chengdu"]),
    ("贵阳", &["guiyang"]),
    ("昆明", &["kunming"]),
    ("拉萨", &["lhasa", "lasa"]),
    ("西安", &["xian", "xi'an"]),
    ("兰州", &["lanzhou"]),
    ("西宁", &["xining"]),
    ("银川", &["yinchuan"]),
    ("乌鲁木齐", &["urumqi", "wulumuqi"]),
    ("台北", &["taipei"]),
    // Other large cities.
    ("深圳", &["shenzhen"]),
    ("苏州", &["suzhou"]),
    ("青岛", &["qingdao"]),
    ("大连", &["dalian"]),
    ("宁波", &["ningbo"]),
    ("厦门", &["xiamen", "amoy"]),
    ("无锡", &["wuxi"]),
    ("佛山", &["foshan"]),
    ("东莞", &["dongguan"]),
    ("温州", &["wenzhou"]),
    ("泉州", &["quanzhou"]),
    ("南通", &["nantong"]),
    ("常州", &["changzhou"]),
    ("徐州", &["xuzhou"]),
    ("烟台", &["yantai"]),
    ("唐山", &["tangshan"]),
    ("潍坊", &["weifang"]),
    ("嘉兴", &["jiaxing"]),
    ("绍兴", &["shaoxing"]),
    ("台州", &[]),
    ("珠海", &["zhuhai"]),
    ("惠州", &["huizhou"]),
    ("扬州", &["yangzhou"]),
    ("盐城", &["yancheng"]),
    ("洛阳", &["luoyang"]),
    ("襄阳", &["xiangyang"]),
    ("宜昌", &["yichang"]),
    ("临沂", &["linyi"]),
    ("济宁", &["jining"]),
    ("芜湖", &["wuhu"]),
    ("镇江", &["zhenjiang"]),
    ("泰州", &[]),
    ("保定", &["baoding"]),
    ("廊坊", &["langfang"]),
    ("大庆", &["daqing"]),
    ("鄂尔多斯", &["ordos", "eerduosi"]),
    ("榆林", &[]),
    ("包头", &["baotou"]),
    ("赣州", &["ganzhou"]),
    ("漳州", &["zhangzhou"]),
    ("汕头", &["shantou"]),
];

/// Administrative suffixes after a region name, longest first.
const REGION_SUFFIXES: &[&str] = &["维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"];

/// `(alias, canonical)` for every spelling, longest first so that `内蒙古`
/// wins over a shorter prefix.
fn region_aliases() -> &'static [(&'static str, &'static str)] {
    static T: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<(&str, &str)> = Vec::new();
        for &(canon, latin) in REGIONS {
            v.push((canon, canon));
            v.extend(latin.iter().map(|&a| (a, canon)));
        }
        v.push(("内蒙", "内蒙古"));
        v.sort_by_key(|&(a, _)| std::cmp::Reverse(a.len()));
        v
    })
}

/// `region_aliases` grouped by their first byte, lower-cased, each group
/// in the table's order (longest first).
fn region_aliases_by_first_byte() -> &'static [Vec<(&'static str, &'static str)>] {
    static T: OnceLock<Vec<Vec<(&'static str, &'static str)>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut by = vec![Vec::new(); 256];
        for &(alias, canon) in region_aliases() {
            if let Some(&b) = alias.as_bytes().first() {
                by[b.to_ascii_lowercase() as usize].push((alias, canon));
            }
        }
        by
    })
}

/// A region (with its optional administrative suffix) at the start of `s`:
/// the canonical name and the byte length it covers. Latin spellings match
/// case-insensitively and only as whole words. `市` is not taken as a suffix
/// before `场 政 民 容 区`: `上海市场营销` is Shanghai + 市场营销, and
/// `北京市政路桥` is Beijing + 市政路桥.
fn region_prefix(s: &str) -> Option<(&'static str, usize)> {
    let &first = s.as_bytes().first()?;
    // Only aliases with the same first byte can match (ASCII compared
    // case-insensitively); this skips the rest of the table, which every
    // company name of an import went through.
    for &(alias, canon) in &region_aliases_by_first_byte()[first.to_ascii_lowercase() as usize] {
        let n = alias.len();
        if s.len() < n || !s.is_char_boundary(n) || !s[..n].eq_ignore_ascii_case(alias) {
            continue;
        }
        if alias.is_ascii() {
            if s[n..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                continue;
            }
            return Some((canon, n));
        }
        let rest = &s[n..];
        for suf in REGION_SUFFIXES {
            if let Some(after) = rest.strip_prefix(suf) {
                if *suf == "市" && after.starts_with(['场', '政', '民', '容', '区']) {
                    continue;
                }
                return Some((canon, n + suf.len()));
            }
        }
        return Some((canon, n));
    }
    None
}

/// The canonical region (`北京`, `广东`) when `s` is exactly one region name
/// with or without its suffix (`北京市`, `广东省`, `Beijing`); the matcher
/// compares the address fields of two records through it.
pub fn region(s: &str) -> Option<&'static str> {
    region_exact(s.trim())
}

/// A region name at the start of `s` (`福建厦门市` → `福建`, 6 bytes): the
/// canonical name and the bytes it covers, suffix included.
pub fn region_at_start(s: &str) -> Option<(&'static str, usize)> {
    region_prefix(s)
}

/// `s` is exactly one region (bracket contents such as `北京市`, `Beijing`).
fn region_exact(s: &str) -> Option<&'static str> {
    region_prefix(s).filter(|&(_, n)| n == s.len()).map(|(c, _)| c)
}

/// Start of a region (with optional suffix) that ends `s`, for the branch
/// qualifier in `招商银行深圳市分行`.
fn region_suffix_start(s: &str) -> Option<usize> {
    for suf in REGION_SUFFIXES.iter().copied().chain([""]) {
        let Some(p) = s.strip_suffix(suf) else { continue };
        for &(alias, _) in region_aliases() {
            if !alias.is_ascii() && p.ends_with(alias) {
                return Some(p.len() - alias.len());
            }
        }
    }
    None
}

/// Chinese legal forms (as they appear after traditional → simplified) and
/// their canonical spelling. Matched at the end, longest first.
const CJK_LEGAL: &[(&str, &str)] = &[
    ("（集团）股份有限公司", "集团股份有限公司"),
    ("集团股份有限公司", "集团股份有限公司"),
    ("（集团）有限责任公司", "集团有限公司"),
    ("集团有限责任公司", "集团有限公司"),
    ("（集团）有限公司", "集团有限公司"),
    ("集团有限公司", "集团有限公司"),
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限责任公司"),
    ("股份公司", "股份有限公司"),
    ("有限公司", "有限公司"),
    ("合伙企业（有限合伙）", "合伙企业（有限合伙）"),
    ("合伙企业（普通合伙）", "合伙企业（普通合伙）"),
    ("有限合伙企业", "合伙企业（有限合伙）"),
    ("普通合伙企业", "合伙企业（普通合伙）"),
    ("（有限合伙）", "合伙企业（有限合伙）"),
    ("（普通合伙）", "合伙企业（普通合伙）"),
    ("合伙企业", "合伙企业"),
    ("（个体工商户）", "个体工商户"),
    ("个体工商户", "个体工商户"),
    ("集团公司", "集团"),
    ("工作室", "工作室"),
    ("集团", "集团"),
    ("公司", "公司"),
];

fn cjk_legal() -> &'static [(&'static str, &'static str)] {
    static T: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v = CJK_LEGAL.to_vec();
        v.sort_by_key(|&(p, _)| std::cmp::Reverse(p.chars().count()));
        v
    })
}

/// Latin legal forms as word sequences (compared case-insensitively; dots,
/// commas and spaces between the words are ignored). More words first.
const LATIN_LEGAL: &[(&[&str], &str)] = &[
    (&["l", "l", "c"], "LLC"),
    (&["co", "ltd"], "Co., Ltd."),
    (&["co", "limited"], "Co., Ltd."),
    (&["company", "limited"], "Co., Ltd."),
    (&["company", "ltd"], "Co., Ltd."),
    (&["ltd"], "Ltd."),
    (&["limited"], "Ltd."),
    (&["inc"], "Inc."),
    (&["incorporated"], "Inc."),
    (&["corp"], "Corp."),
    (&["corporation"], "Corp."),
    (&["llc"], "LLC"),
    (&["gmbh"], "GmbH"),
    (&["co"], "Co."),
    (&["company"], "Co."),
];

/// Words after which a branch qualifier starts (`…有限公司｜北京｜分公司`).
const LEGAL_MARKERS: &[&str] = &["公司", "集团", "工作室", "合伙企业"];

/// Branch suffixes, longest first.
const BRANCH_SUFFIXES: &[&str] =
    &["分公司", "办事处", "营业部", "代表处", "分店", "分厂", "分行", "支行", "分部", "分院", "分所"];

/// Generic industry words stripped by `brand`, simplified. Tried longest
/// first; compounds are listed where a shorter word would leave too little.
const INDUSTRY_WORDS: &[&str] = &[
    "信息技术",
    "信息科技",
    "网络科技",
    "网络技术",
    "电子科技",
    "数字科技",
    "智能科技",
    "生物科技",
    "生物技术",
    "科技发展",
    "技术服务",
    "技术开发",
    "建筑工程",
    "装饰工程",
    "餐饮管理",
    "企业管理",
    "管理咨询",
    "投资管理",
    "物业管理",
    "文化传媒",
    "文化传播",
    "医疗器械",
    "房地产开发",
    "房地产",
    "国际贸易",
    "电子商务",
    "供应链",
    "新材料",
    "新能源",
    "进出口",
    "自动化",
    "科技",
    "技术",
    "信息",
    "网络",
    "电子",
    "电器",
    "电气",
    "机电",
    "贸易",
    "商贸",
    "工贸",
    "经贸",
    "科贸",
    "实业",
    "建设",
    "建筑",
    "工程",
    "装饰",
    "餐饮",
    "物流",
    "咨询",
    "传媒",
    "广告",
    "医药",
    "医疗",
    "机械",
    "设备",
    "服务",
    "软件",
    "投资",
    "发展",
    "材料",
    "化工",
    "食品",
    "能源",
    "环保",
    "智能",
    "教育",
    "置业",
    "地产",
    "物业",
    "通信",
    "通讯",
    "制造",
    "包装",
    "印刷",
    "纺织",
    "服饰",
    "服装",
    "家居",
    "健康",
    "农业",
    "旅游",
    "营销",
    "策划",
    "设计",
    "technologies",
    "technology",
    "electronics",
    "consulting",
    "logistics",
    "software",
    "trading",
    "tech",
];

fn industry_words() -> &'static [&'static str] {
    static T: OnceLock<Vec<&'static str>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v = INDUSTRY_WORDS.to_vec();
        v.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        v
    })
}

// ---------------------------------------------------------------------------
// Parsing.

fn has_alnum(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

fn alnum_count(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

/// Splits `full` into its parts; `None` when no core remains.
fn parse(full: &str) -> Option<CompanyName> {
    // Traditional → simplified keeps one char per char, so everything below
    // matches simplified tables; `full` itself keeps the original spelling.
    let simp = fast2s::convert(full);
    let (body, branch) = split_branch(&simp)?;
    let (body, bracket_region) = remove_bracket_regions(body);
    let (mut rest, mut legal_form) = split_legal(&body);
    // A trailing bracket that is no region, branch or legal form is a note
    // someone typed into the name (`…有限公司（重点）`, `联柏电子（已签约）`):
    // not part of the core, which is what matching compares. `full` keeps it.
    if let Some(open) = trailing_bracket(&body).filter(|_| legal_form.is_none()) {
        if has_alnum(&body[..open]) {
            (rest, legal_form) = split_legal(&body[..open]);
        }
    }
    let rest = rest.trim_start_matches(' ');
    let mut region = bracket_region;
    let mut rest = rest;
    if let Some((canon, n)) = region_prefix(rest) {
        // The simple rule: a leading region followed by at least two more
        // characters of name is a region (北京星辰 → 北京 + 星辰, but 北京 +
        // 有限公司 alone is the name 北京).
        if alnum_count(&rest[n..]) >= 2 {
            region = Some(canon);
            rest = &rest[n..];
        }
    }
    let core: String = rest.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    if core.is_empty() {
        return None;
    }
    Some(CompanyName {
        full: full.to_string(),
        region: region.map(str::to_string),
        core,
        legal_form: legal_form.map(str::to_string),
        branch,
    })
}

/// Separates a trailing branch (`…有限公司北京分公司`, `…（深圳分公司）`,
/// `招商银行深圳分行`). `None` when nothing but the branch is there.
fn split_branch(s: &str) -> Option<(&str, Option<String>)> {
    let t = s.trim_end_matches(' ');
    // Bracketed: 星辰科技有限公司（北京分公司）.
    if let Some(inner_end) = t.strip_suffix(['）', ')']) {
        if let Some(open) = inner_end.rfind(['（', '(']) {
            let inner = &inner_end[open + inner_end[open..].chars().next().map_or(1, char::len_utf8)..];
            if let Some(suf) = BRANCH_SUFFIXES.iter().find(|b| inner.ends_with(**b)) {
                let body = &t[..open];
                if !has_alnum(body) {
                    return None;
                }
                return Some((body, Some(branch_name(&inner[..inner.len() - suf.len()], suf))));
            }
        }
    }
    let Some((pre, suf)) = BRANCH_SUFFIXES.iter().find_map(|suf| t.strip_suffix(suf).map(|p| (p, *suf))) else {
        return Some((t, None));
    };
    let cut = LEGAL_MARKERS.iter().filter_map(|m| pre.rfind(m).map(|i| i + m.len())).max();
    let (body, qual) = match cut {
        Some(mut i) => {
            while let Some(c) = pre[i..].chars().next().filter(|c| matches!(c, '）' | ')')) {
                i += c.len_utf8();
            }
            (&pre[..i], &pre[i..])
        }
        None => match region_suffix_start(pre) {
            Some(i) => (&pre[..i], &pre[i..]),
            None => (pre, ""),
        },
    };
    if !has_alnum(body) {
        return None;
    }
    Some((body, Some(branch_name(qual, suf))))
}

/// `北京市` + `分公司` → `北京分公司`; a qualifier that is not a region is
/// kept as written (`海淀分公司`, `第一分公司`).
fn branch_name(qual: &str, suf: &str) -> String {
    let q: String = qual.chars().filter(|c| c.is_alphanumeric()).collect();
    match region_exact(&q) {
        Some(canon) => format!("{canon}{suf}"),
        None => format!("{q}{suf}"),
    }
}

/// Removes every bracket group that holds exactly a region (`（北京）`,
/// `（深圳市）`, `(Beijing)`) wherever it stands, returning the first.
fn remove_bracket_regions(s: &str) -> (String, Option<&'static str>) {
    let mut out = String::with_capacity(s.len());
    let mut region = None;
    let mut rest = s;
    while let Some(open) = rest.find(['（', '(']) {
        let olen = rest[open..].chars().next().map_or(1, char::len_utf8);
        let after = &rest[open + olen..];
        if let Some(close) = after.find(['）', ')', '（', '(']) {
            let closer = after[close..].chars().next().unwrap_or(')');
            if matches!(closer, '）' | ')') {
                if let Some(canon) = region_exact(after[..close].trim_matches(' ')) {
                    region = region.or(Some(canon));
                    out.push_str(&rest[..open]);
                    rest = &after[close + closer.len_utf8()..];
                    continue;
                }
            }
        }
        out.push_str(&rest[..open + olen]);
        rest = after;
    }
    out.push_str(rest);
    (out, region)
}

/// Where a bracket group closing the string opens, if one does.
fn trailing_bracket(s: &str) -> Option<usize> {
    let t = s.trim_end_matches(' ');
    let inner_end = t.strip_suffix(['）', ')'])?;
    let open = inner_end.rfind(['（', '('])?;
    // Nested or unbalanced brackets are left as they are.
    let inner = &inner_end[open..];
    (!inner[inner.chars().next().map_or(1, char::len_utf8)..].contains(['（', '(', '）', ')'])).then_some(open)
}

/// Splits off a trailing legal form, Chinese first, then Latin.
fn split_legal(s: &str) -> (&str, Option<&'static str>) {
    let t = s.trim_end_matches(' ');
    for &(pat, canon) in cjk_legal() {
        if let Some(rest) = t.strip_suffix(pat) {
            return (rest, Some(canon));
        }
    }
    match latin_legal(t) {
        Some((rest, canon)) => (rest, Some(canon)),
        None => (t, None),
    }
}

/// `Co., Ltd.`, `CO.,LTD`, `Limited`, `L.L.C.` … as the last words of `s`.
fn latin_legal(s: &str) -> Option<(&str, &'static str)> {
    let bytes = s.as_bytes();
    let mut words: [(usize, &str); 3] = [(0, ""); 3];
    let mut n = 0;
    let mut end = s.len();
    while n < 3 {
        let mut e = end;
        while e > 0 && matches!(bytes[e - 1], b' ' | b'.' | b',') {
            e -= 1;
        }
        let mut b = e;
        while b > 0 && bytes[b - 1].is_ascii_alphanumeric() {
            b -= 1;
        }
        if b == e {
            break;
        }
        words[n] = (b, &s[b..e]);
        n += 1;
        end = b;
    }
    for &(pat, canon) in LATIN_LEGAL {
        let k = pat.len();
        if k > n {
            continue;
        }
        // words[] runs backwards from the end of the string.
        if (0..k).all(|i| words[k - 1 - i].1.eq_ignore_ascii_case(pat[i])) {
            let start = words[k - 1].0;
            return Some((s[..start].trim_end_matches([' ', ',']), canon));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Want<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);

    fn parts(c: &CompanyName) -> Want<'_> {
        (c.full.as_str(), c.region.as_deref(), c.core.as_str(), c.legal_form.as_deref(), c.branch.as_deref())
    }

    #[test]
    fn the_kept_answer_is_the_answer_for_that_name() {
        let names = [
            "星辰科技有限公司",
            "星辰科技有限公司",
            "有限公司",
            "北京星辰科技有限公司",
            "星辰科技有限公司",
            "",
            "有限公司",
        ];
        for n in names {
            assert_eq!(normalize(n), normalize_anew(n), "{n}");
        }
    }

    #[test]
    fn table() {
        // (raw, (full, region, core, legal_form, branch))
        let cases: &[(&str, Want)] = &[
            ("北京星辰科技有限公司", ("北京星辰科技有限公司", Some("北京"), "星辰科技", Some("有限公司"), None)),
            ("北京市星辰科技有限公司", ("北京市星辰科技有限公司", Some("北京"), "星辰科技", Some("有限公司"), None)),
            ("星辰科技有限公司", ("星辰科技有限公司", None, "星辰科技", Some("有限公司"), None)),
            ("星辰科技", ("星辰科技", None, "星辰科技", None, None)),
            // A note typed into the name is not part of the core.
            (
                "诚亿资产管理有限公司（重点）",
                ("诚亿资产管理有限公司（重点）", None, "诚亿资产管理", Some("有限公司"), None),
            ),
            ("沈阳联柏电子(已签约)", ("沈阳联柏电子（已签约）", Some("沈阳"), "联柏电子", None, None)),
            (
                "星辰科技（北京）有限公司",
                ("星辰科技（北京）有限公司", Some("北京"), "星辰科技", Some("有限公司"), None),
            ),
            ("星辰科技(北京)有限公司", ("星辰科技（北京）有限公司", Some("北京"), "星辰科技", Some("有限公司"), None)),
            ("北京市 星辰科技 有限公司", ("北京市星辰科技有限公司", Some("北京"), "星辰科技", Some("有限公司"), None)),
            (
                "北京星辰電子科技有限公司",
                ("北京星辰電子科技有限公司", Some("北京"), "星辰电子科技", Some("有限公司"), None),
            ),
            ("北京星辰科技有限公司*", ("北京星辰科技有限公司", Some("北京"), "星辰科技", Some("有限公司"), None)),
            (
                "（北京）星辰 科技有限公司",
                ("（北京）星辰科技有限公司", Some("北京"), "星辰科技", Some("有限公司"), None),
            ),
            (
                "（深圳）星辰科技有限公司",
                ("（深圳）星辰科技有限公司", Some("深圳"), "星辰科技", Some("有限公司"), None),
            ),
            (
                "星辰科技（深圳市）有限公司",
                ("星辰科技（深圳市）有限公司", Some("深圳"), "星辰科技", Some("有限公司"), None),
            ),
            (
                "广东省星辰实业股份有限公司",
                ("广东省星辰实业股份有限公司", Some("广东"), "星辰实业", Some("股份有限公司"), None),
            ),
            (
                "广西壮族自治区星辰贸易有限公司",
                ("广西壮族自治区星辰贸易有限公司", Some("广西"), "星辰贸易", Some("有限公司"), None),
            ),
            (
                "香港特别行政区星辰有限公司",
                ("香港特别行政区星辰有限公司", Some("香港"), "星辰", Some("有限公司"), None),
            ),
            (
                "星辰科技有限公司北京分公司",
                ("星辰科技有限公司北京分公司", None, "星辰科技", Some("有限公司"), Some("北京分公司")),
            ),
            (
                "北京星辰科技有限公司上海分公司",
                ("北京星辰科技有限公司上海分公司", Some("北京"), "星辰科技", Some("有限公司"), Some("上海分公司")),
            ),
            (
                "星辰科技有限公司(北京市分公司)",
                ("星辰科技有限公司（北京市分公司）", None, "星辰科技", Some("有限公司"), Some("北京分公司")),
            ),
            (
                "招商银行股份有限公司深圳分行",
                ("招商银行股份有限公司深圳分行", None, "招商银行", Some("股份有限公司"), Some("深圳分行")),
            ),
            ("中国银行北京市分行", ("中国银行北京市分行", None, "中国银行", None, Some("北京分行"))),
            (
                "星辰科技有限公司海淀分公司",
                ("星辰科技有限公司海淀分公司", None, "星辰科技", Some("有限公司"), Some("海淀分公司")),
            ),
            ("星辰集团有限公司", ("星辰集团有限公司", None, "星辰", Some("集团有限公司"), None)),
            (
                "星辰控股（集团）股份有限公司",
                ("星辰控股（集团）股份有限公司", None, "星辰控股", Some("集团股份有限公司"), None),
            ),
            ("星辰集团", ("星辰集团", None, "星辰", Some("集团"), None)),
            ("星辰科技公司", ("星辰科技公司", None, "星辰科技", Some("公司"), None)),
            ("星辰科技有限责任公司", ("星辰科技有限责任公司", None, "星辰科技", Some("有限责任公司"), None)),
            (
                "星辰创投合伙企业（有限合伙）",
                ("星辰创投合伙企业（有限合伙）", None, "星辰创投", Some("合伙企业（有限合伙）"), None),
            ),
            ("星辰创投(有限合伙)", ("星辰创投（有限合伙）", None, "星辰创投", Some("合伙企业（有限合伙）"), None)),
            ("星辰设计工作室", ("星辰设计工作室", None, "星辰设计", Some("工作室"), None)),
            ("星辰小吃店（个体工商户）", ("星辰小吃店（个体工商户）", None, "星辰小吃店", Some("个体工商户"), None)),
            ("星辰科技集團有限公司", ("星辰科技集團有限公司", None, "星辰科技", Some("集团有限公司"), None)),
            (
                "臺灣星辰電子股份有限公司",
                ("臺灣星辰電子股份有限公司", Some("台湾"), "星辰电子", Some("股份有限公司"), None),
            ),
            ("　星辰\u{3000}科技　有限公司　", ("星辰科技有限公司", None, "星辰科技", Some("有限公司"), None)),
            (
                "星辰科技【北京】有限公司",
                ("星辰科技（北京）有限公司", Some("北京"), "星辰科技", Some("有限公司"), None),
            ),
            ("ＡＢＣ科技有限公司", ("ABC科技有限公司", None, "abc科技", Some("有限公司"), None)),
            ("★“星辰”科技有限公司。", ("星辰科技有限公司", None, "星辰科技", Some("有限公司"), None)),
            ("#星辰·科技#", ("星辰·科技", None, "星辰科技", None, None)),
            ("星辰\u{200B}科技", ("星辰科技", None, "星辰科技", None, None)),
            (
                "上海市场营销策划有限公司",
                ("上海市场营销策划有限公司", Some("上海"), "市场营销策划", Some("有限公司"), None),
            ),
            (
                "北京市政路桥股份有限公司",
                ("北京市政路桥股份有限公司", Some("北京"), "市政路桥", Some("股份有限公司"), None),
            ),
            ("北京有限公司", ("北京有限公司", None, "北京", Some("有限公司"), None)),
            ("北京星有限公司", ("北京星有限公司", None, "北京星", Some("有限公司"), None)),
            ("内蒙古星辰能源有限公司", ("内蒙古星辰能源有限公司", Some("内蒙古"), "星辰能源", Some("有限公司"), None)),
            ("星辰（中国）投资有限公司", ("星辰（中国）投资有限公司", None, "星辰中国投资", Some("有限公司"), None)),
            ("Star Tech Co., Ltd.", ("Star Tech Co., Ltd.", None, "startech", Some("Co., Ltd."), None)),
            ("STAR TECH CO.,LTD", ("STAR TECH CO.,LTD", None, "startech", Some("Co., Ltd."), None)),
            ("Star Tech Co. Ltd", ("Star Tech Co. Ltd", None, "startech", Some("Co., Ltd."), None)),
            ("  Star   Tech ,  Inc. ", ("Star Tech, Inc.", None, "startech", Some("Inc."), None)),
            ("Star Tech Limited", ("Star Tech Limited", None, "startech", Some("Ltd."), None)),
            ("Star Tech Corporation", ("Star Tech Corporation", None, "startech", Some("Corp."), None)),
            ("star tech llc", ("star tech llc", None, "startech", Some("LLC"), None)),
            ("Sternenlicht GmbH", ("Sternenlicht GmbH", None, "sternenlicht", Some("GmbH"), None)),
            (
                "Star Tech (Beijing) Co., Ltd.",
                ("Star Tech (Beijing) Co., Ltd.", Some("北京"), "startech", Some("Co., Ltd."), None),
            ),
            (
                "Shanghai Star Trading Ltd",
                ("Shanghai Star Trading Ltd", Some("上海"), "startrading", Some("Ltd."), None),
            ),
            ("星辰科技Co.,Ltd", ("星辰科技Co.,Ltd", None, "星辰科技", Some("Co., Ltd."), None)),
            ("Costco", ("Costco", None, "costco", None, None)),
            ("138A公司", ("138A公司", None, "138a", Some("公司"), None)),
        ];
        for (raw, want) in cases {
            let got = normalize(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(parts(&got), *want, "{raw}");
        }
        for bad in
            ["", "   ", "***", "★·★", "（）", "有限公司", "股份有限公司", "Co., Ltd.", "北京分公司", "（北京）有限公司"]
        {
            assert!(normalize(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn core_is_shared_by_the_usual_spellings() {
        for raw in [
            "北京星辰科技有限公司",
            "星辰科技有限公司",
            "星辰科技",
            "星辰科技（北京）有限公司",
            "北京市 星辰科技 有限公司",
        ] {
            assert_eq!(normalize(raw).unwrap().core, "星辰科技", "{raw}");
        }
    }

    #[test]
    fn brands() {
        let cases = [
            ("星辰科技", "星辰"),
            ("星辰", "星辰"),
            ("星辰电子科技", "星辰"),
            ("星辰网络科技", "星辰"),
            ("星辰信息技术", "星辰"),
            ("星辰餐饮管理", "星辰"),
            ("星辰建筑工程", "星辰"),
            ("华科技", "华科技"),
            ("科技", "科技"),
            ("138a", "138a"),
            ("startech", "star"),
            ("", ""),
        ];
        for (core, want) in cases {
            assert_eq!(brand(core), want, "{core}");
        }
        let long = normalize("北京星辰科技有限公司").unwrap();
        let short = normalize("星辰").unwrap();
        assert_eq!(brand(&long.core), brand(&short.core));
    }

    #[test]
    fn legal_form_keys() {
        assert_eq!(legal_form_key("有限责任公司"), legal_form_key("有限公司"));
        assert_eq!(legal_form_key("Co., Ltd."), legal_form_key("Ltd."));
        assert_ne!(legal_form_key("集团"), legal_form_key("有限公司"));
        assert_ne!(legal_form_key("股份有限公司"), legal_form_key("有限公司"));
    }

    #[test]
    fn tables_are_simplified_already() {
        // Parsing runs on fast2s output; a table entry that fast2s would
        // change could never match.
        let words = CJK_LEGAL
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .chain(REGIONS.iter().map(|(c, _)| *c))
            .chain(REGION_SUFFIXES.iter().copied())
            .chain(BRANCH_SUFFIXES.iter().copied())
            .chain(INDUSTRY_WORDS.iter().copied());
        for w in words {
            assert_eq!(fast2s::convert(w), w);
        }
    }

    #[test]
    fn idempotent_on_table_inputs() {
        for raw in [
            "（北京）星辰 科技有限公司",
            "★“星辰”科技有限公司。",
            "Star Tech ( Beijing ) Co ., Ltd..",
            "e\"\u{301}x",
            "Co., Ltd.（a\u{2EE5E}",
        ] {
            let once = normalize(raw).unwrap();
            assert_eq!(normalize(&once.full).unwrap(), once, "{raw}");
        }
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "北京",
                "北京市",
                "市",
                "场",
                "广西",
                "壮族自治区",
                "（",
                "）",
                "(",
                ")",
                "【",
                "】",
                "有限公司",
                "股份",
                "有限责任公司",
                "集团",
                "（集团）",
                "分公司",
                "分行",
                "科技",
                "電子",
                "星辰",
                "公司",
                "（有限合伙）",
                " ",
                "\u{3000}",
                "*",
                "★",
                "·",
                "#",
                "“",
                "”",
                "\"",
                "'",
                ".",
                ",",
                "。",
                "Co., Ltd.",
                "Co",
                "Ltd",
                "Inc",
                "Beijing",
                "(Beijing)",
                "A",
                "b",
                "1",
                "\u{200B}",
                "\u{301}",
                "e",
                "か",
                "\u{3099}",
                "ｱ",
                "①",
                "㈱",
            ])
            .prop_map(str::to_string),
            any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(raw in any::<String>()) {
            if let Ok(once) = normalize(&raw) {
                prop_assert_eq!(normalize(&once.full), Ok(once.clone()));
                prop_assert!(!once.core.is_empty());
                prop_assert!(!brand(&once.core).is_empty());
            }
        }

        #[test]
        fn idempotent_on_name_like_input(pieces in prop::collection::vec(piece(), 0..12)) {
            let raw = pieces.concat();
            if let Ok(once) = normalize(&raw) {
                prop_assert_eq!(normalize(&once.full), Ok(once.clone()), "raw {:?}", raw);
            }
        }
    }
}
