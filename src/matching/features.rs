//! What the matcher knows about one customer: its values reduced to the
//! forms comparisons need (name parts, phone and e-mail sets, places, address
//! bigrams, days), computed once per run.

use crate::clean;
use pinyin::{ToPinyin, ToPinyinMulti};

/// A customer's values as stored, handed over by the service layer.
#[derive(Debug, Clone, Default)]
pub struct InputRecord {
    pub id: i64,
    pub person: bool,
    pub name: String,
    pub name_region: Option<String>,
    pub name_core: Option<String>,
    pub name_legal: Option<String>,
    pub name_branch: Option<String>,
    /// The primary contact first, then every other contact person.
    pub contacts: Vec<String>,
    pub mobiles: Vec<String>,
    pub landlines: Vec<String>,
    pub emails: Vec<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub industry_code: Option<String>,
    pub first_contact: Option<String>,
    /// `(field name, value)` of custom fields.
    pub custom: Vec<(String, String)>,
    /// The customer's version (a cluster records what it was built from).
    pub version: i64,
}

/// The declared type of a custom field (domain.md: `custom:NAME:TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomType {
    Text,
    Identifier,
    Date,
    Number,
    Phone,
    Email,
}

impl CustomType {
    pub fn parse(s: &str) -> Option<CustomType> {
        Some(match s {
            "text" => CustomType::Text,
            "identifier" => CustomType::Identifier,
            "date" => CustomType::Date,
            "number" => CustomType::Number,
            "phone" => CustomType::Phone,
            "email" => CustomType::Email,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomValue {
    Text(Box<str>),
    Number(f64),
    Date(i32),
}

/// One customer prepared for comparison.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub id: i64,
    pub version: i64,
    pub person: bool,
    /// Company core name, or a person's name key.
    pub key: Box<str>,
    /// Where the brand ends in `key` (see `brand`): worked out once, as
    /// every comparison of two companies asks for it.
    pub brand_end: u32,
    pub region: Option<Sym>,
    pub legal: Option<Sym>,
    pub branch: Option<Box<str>>,
    /// Person keys of the contacts (for a person customer, its own name first).
    pub contacts: Box<[Box<str>]>,
    pub mobiles: Box<[u64]>,
    pub landlines: Box<[u64]>,
    pub emails: Box<[u64]>,
    pub domains: Box<[u64]>,
    /// The part before the `@` of each e-mail, hashed, where it is not a
    /// mobile number (that one counts as the mobile): one user at two
    /// providers (12345@qq.com / 12345@foxmail.com), or a domain typed
    /// wrong.
    pub users: Box<[u64]>,
    pub province: Option<Sym>,
    pub city: Option<Sym>,
    pub district: Option<Sym>,
    /// Sorted distinct character bigrams of the street address (province and
    /// city prefixes removed), hashed.
    pub address: Option<Box<[u32]>>,
    pub industry: Option<Sym>,
    pub first_contact: Option<i32>,
    /// Indexed like the run's custom comparisons.
    pub custom: Box<[Option<CustomValue>]>,
    /// The words of a person's name (see [`name_parts`]); empty for a
    /// company name or a name that cannot be taken apart.
    pub parts: NameParts,
    /// The street address as one normalised string, hashed: the exact
    /// address blocking key.
    pub address_key: Option<u64>,
    /// Weak keys combined (the `name_with` blocking key): each word of a
    /// person's name with the city and with each custom identifier and
    /// date; empty without name parts.
    pub name_with: Box<[u64]>,
}

/// A person's name in parts. `latin` names are compared by their parts
/// (given name, surname); CJK names only block on them, since a CJK
/// person's name is compared whole by the contact comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameParts {
    /// In reading order: given name(s) first for a Latin name, the surname
    /// first for a CJK one.
    pub words: Box<[Box<str>]>,
    pub latin: bool,
}

impl NameParts {
    /// The surname: the last word of a Latin name (the only word of a
    /// one-word name), the first of a CJK one.
    pub fn surname(&self) -> Option<&str> {
        let w = if self.latin { self.words.last() } else { self.words.first() };
        w.map(|w| &**w)
    }

    /// The given name: the first word of a Latin name of two words or more,
    /// the rest of a CJK one.
    pub fn given(&self) -> Option<&str> {
        if self.words.len() < 2 {
            return None;
        }
        let w = if self.latin { self.words.first() } else { self.words.last() };
        w.map(|w| &**w)
    }
}

/// The words of a name that is a person's. A CJK name of 2–4 characters of
/// a person record: surname (a compound one when listed) and given name.
/// A Latin name (any record without a legal form: a person imported
/// without `--kind` is stored as a company): its words, lower-cased, letters
/// and digits only, when there are one to four of them. Anything else
/// (a company, a long phrase) has no parts.
pub fn name_parts(name: &str, person: bool, has_legal_form: bool) -> NameParts {
    // Asked of every record a run loads, most of them companies: what
    // rules a name out is checked before its key is worked out. Folding
    // the width leaves CJK characters as they are.
    if name.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        if !person {
            return NameParts::default();
        }
        let key = clean::person::key(&clean::text::fold_width(name));
        let n = key.chars().count();
        if !(2..=4).contains(&n) || !key.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
            return NameParts::default();
        }
        let split = crate::clean::person::COMPOUND_SURNAMES
            .iter()
            .find(|c| key.starts_with(**c) && n > 2)
            .map_or_else(|| key.chars().next().map_or(0, char::len_utf8), |c| c.len());
        let words: Box<[Box<str>]> = Box::new([key[..split].into(), key[split..].into()]);
        return NameParts { words, latin: false };
    }
    if has_legal_form {
        return NameParts::default();
    }
    let words: Vec<Box<str>> = clean::text::fold_width(name)
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '-' | '/' | '_' | ';'))
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| !w.is_empty())
        .map(Into::into)
        .collect();
    if words.is_empty() || words.len() > 4 || !words.iter().all(|w| w.chars().any(char::is_alphabetic)) {
        return NameParts::default();
    }
    NameParts { words: words.into_boxed_slice(), latin: true }
}

/// A value many records share (a city, a legal form, an industry code),
/// stored once for the whole process: a million records holding their own
/// copies of a few thousand places took hundreds of megabytes.
pub type Sym = &'static str;

/// The one copy of `s`. Values come from bounded vocabularies (places,
/// legal forms, industry codes), so the interned set stays small however
/// often matching runs.
pub fn intern(s: &str) -> Sym {
    use std::cell::RefCell;
    use std::collections::HashSet;
    use std::sync::Mutex;
    static GLOBAL: Mutex<Option<HashSet<Sym>>> = Mutex::new(None);
    thread_local! {
        static LOCAL: RefCell<HashSet<Sym>> = RefCell::new(HashSet::new());
    }
    LOCAL.with(|local| {
        if let Some(&v) = local.borrow().get(s) {
            return v;
        }
        let v = {
            let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
            let set = g.get_or_insert_with(HashSet::new);
            match set.get(s) {
                Some(&v) => v,
                None => {
                    let v: Sym = Box::leak(s.into());
                    set.insert(v);
                    v
                }
            }
        };
        local.borrow_mut().insert(v);
        v
    })
}

/// A date's one-typo neighbourhood, for blocking with a name word, as
/// `compare::date_typo` counts one typo: the date written YYYYMMDD with
/// each digit in turn masked (one digit mistyped), with each two
/// neighbouring digits in sorted order (two swapped), and the year with day
/// and month in sorted order (day and month swapped). The exact date is its
/// own key.
fn date_typo_keys(index: usize, days: i32, out: &mut Vec<u64>) {
    let Some((y, m, d)) = super::compare::ymd(days) else { return };
    let digits = format!("{:04}{m:02}{d:02}", y.clamp(0, 9999));
    let b = digits.as_bytes();
    let mut key = |what: std::fmt::Arguments<'_>| {
        let mut h = KeyHasher::tagged("date_typo");
        let _ = std::fmt::Write::write_fmt(&mut h, format_args!("{index}|{what}"));
        out.push(h.finish());
    };
    for i in 0..b.len() {
        key(format_args!("{}?{}", &digits[..i], &digits[i + 1..]));
    }
    for i in 0..b.len() - 1 {
        if b[i] != b[i + 1] {
            let (lo, hi) = (b[i].min(b[i + 1]) as char, b[i].max(b[i + 1]) as char);
            key(format_args!("{}<{lo}{hi}>{}", &digits[..i], &digits[i + 2..]));
        }
    }
    if d <= 12 && d != m {
        key(format_args!("swap|{y}|{}|{}", m.min(d), m.max(d)));
    }
}

/// FNV-1a over a tag and a value: stable across runs and builds, because
/// blocking keys are stored in the database between runs.
pub fn key_hash(tag: &str, value: &str) -> u64 {
    let mut h = KeyHasher::tagged(tag);
    h.push(value);
    h.finish()
}

/// [`key_hash`] of a value written in pieces (`write!`, several slices),
/// without building the string: the same hash as of the whole text.
pub struct KeyHasher(u64);

impl KeyHasher {
    /// Before the tag: a tag that is itself formatted (`custom{index}`) is
    /// written next, then [`KeyHasher::end_tag`].
    pub fn start() -> KeyHasher {
        KeyHasher(0xcbf2_9ce4_8422_2325)
    }

    /// After the tag `tag`: the value is written next.
    pub fn tagged(tag: &str) -> KeyHasher {
        let mut h = KeyHasher::start();
        h.push(tag);
        h.end_tag();
        h
    }

    pub fn end_tag(&mut self) {
        self.bytes(&[0]);
    }

    pub fn push(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn bytes(&mut self, bs: &[u8]) {
        for &b in bs {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(&self) -> u64 {
        // Fold to 63 bits: SQLite integers are signed and the keys are compared there.
        self.0 & 0x7fff_ffff_ffff_ffff
    }
}

impl std::fmt::Write for KeyHasher {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s);
        Ok(())
    }
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A place name reduced for comparison: canonical region when it is one
/// (`北京市` → `北京`), otherwise without its administrative suffix.
pub fn place(s: &str) -> Option<Sym> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(r) = clean::company::region(s) {
        return Some(intern(r));
    }
    // `福建厦门市`, `广西南宁市`: a province written before the city.
    if let Some((_, n)) = clean::company::region_at_start(s) {
        if n < s.len() {
            if let Some(rest) = place(&s[n..]) {
                return Some(rest);
            }
        }
    }
    let t = s.trim_end_matches(['市', '省', '区', '县']);
    Some(intern(&if t.is_empty() { s } else { t }.to_lowercase()))
}

/// The street part of an address: the province, city and district the
/// record already carries in their own fields are cut from the front so that
/// `北京海淀区…` and `北京市海淀区…` compare on what follows.
fn street(addr: &str) -> String {
    let mut s: String = clean::text::fold_width(addr).chars().filter(|c| !c.is_whitespace()).collect();
    loop {
        let before = s.len();
        for suf in ["省", "市", "区", "县", "自治区"] {
            if let Some(pos) = s.find(suf) {
                // Only a short place name at the very front (≤ 4 characters).
                if s[..pos].chars().count() <= 4 && pos > 0 {
                    s = s[pos + suf.len()..].to_string();
                    break;
                }
            }
        }
        if s.len() == before {
            break;
        }
    }
    s.to_lowercase()
}

fn bigrams(s: &str) -> Vec<u32> {
    let cs: Vec<char> = s.chars().collect();
    let mut v: Vec<u32> = if cs.len() < 2 {
        cs.iter().map(|&c| c as u32).collect()
    } else {
        cs.windows(2).map(|w| (w[0] as u32).wrapping_mul(0x9E37_79B1) ^ (w[1] as u32)).collect()
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// Days since 1970-01-01 of an ISO date.
pub fn days(s: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as i32)
}

fn mobile_digits(s: &str) -> Option<u64> {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    (d.len() == 11 && d.starts_with('1')).then(|| d.parse().ok()).flatten()
}

/// The pinyin of a name, one (the most common) reading per character; other
/// characters as they are. The blocking key for homophone typos.
pub fn pinyin_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for (c, p) in s.chars().zip(s.to_pinyin()) {
        match p {
            Some(p) => out.push_str(p.plain()),
            None => out.push(c),
        }
        out.push(' ');
    }
    out
}

/// Whether two names of the same length read alike character by character,
/// any reading of a polyphonic character counting (input-method typos are
/// homophones: 星辰 / 星晨).
pub fn same_pinyin(a: &str, b: &str) -> bool {
    // Every pair of names that match no closer level asks this: no copy of
    // either name is made.
    a != b && a.chars().count() == b.chars().count() && chars_alike(a.chars(), b.chars())
}

/// Two runs of characters of the same length that read alike where they
/// differ.
fn chars_alike(a: impl Iterator<Item = char>, b: impl Iterator<Item = char>) -> bool {
    a.zip(b).all(|(x, y)| {
        if x == y {
            return true;
        }
        match (x.to_pinyin_multi(), y.to_pinyin_multi()) {
            (Some(px), Some(py)) => px.into_iter().any(|p| py.into_iter().any(|q| q.plain() == p.plain())),
            _ => false,
        }
    })
}

/// Whether the shorter name reads alike some part of the longer one: a
/// short form typed through the input method (华鑫川文化 for
/// 华新川文化传媒), which is neither contained nor of the same length.
pub fn contained_alike(short: &str, long: &str) -> bool {
    let (cs, cl): (Vec<char>, Vec<char>) = (short.chars().collect(), long.chars().collect());
    !cs.is_empty()
        && cs.len() < cl.len()
        && cl.windows(cs.len()).any(|w| chars_alike(cs.iter().copied(), w.iter().copied()))
}

/// At most one typing edit apart (on characters): a character replaced,
/// added or left out, or two neighbours typed in each other's place (the
/// optimal-string-alignment distance is at most one). A swap is as common a
/// slip as the others (科技 / 技科, 2530 / 2350), and without it a swapped
/// name counts as a different one.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    within_one_edit_of(&[a], &[b])
}

/// `within_one_edit` of two strings each given as the pieces it is made
/// of (a name's region, core and legal form), so that the caller need not
/// build a `String` of each.
pub fn within_one_edit_of(a: &[&str], b: &[&str]) -> bool {
    let count = |p: &[&str]| p.iter().map(|s| s.chars().count()).sum::<usize>();
    if count(a).abs_diff(count(b)) > 1 {
        return false;
    }
    let chars = |p: &[&str]| p.iter().flat_map(|s| s.chars()).collect::<Vec<char>>();
    let (ca, cb) = (chars(a), chars(b));
    let (s, l) = if ca.len() <= cb.len() { (&ca, &cb) } else { (&cb, &ca) };
    let p = s.iter().zip(l.iter()).take_while(|(x, y)| x == y).count();
    if s.len() != l.len() {
        return s[p..] == l[p + 1..];
    }
    if p == s.len() || s[p + 1..] == l[p + 1..] {
        return true;
    }
    p + 1 < s.len() && s[p] == l[p + 1] && s[p + 1] == l[p] && s[p + 2..] == l[p + 2..]
}

impl Record {
    /// `custom` lists the run's custom comparisons (name, type) in order.
    pub fn from_input(r: &InputRecord, custom: &[(String, CustomType)]) -> Record {
        let person = r.person;
        let key: Box<str> = if person {
            clean::person::key(&r.name).into()
        } else {
            match nonempty(&r.name_core) {
                Some(c) => c.into(),
                None => clean::person::key(&r.name).into(),
            }
        };
        let mut contacts: Vec<Box<str>> = Vec::new();
        if person && !key.is_empty() {
            contacts.push(key.clone());
        }
        for c in &r.contacts {
            let k = clean::person::key(c);
            if !k.is_empty() && !contacts.iter().any(|x| **x == *k) {
                contacts.push(k.into());
            }
        }
        let mut mobiles: Vec<u64> = r.mobiles.iter().filter_map(|m| mobile_digits(m)).collect();
        let mut emails = Vec::new();
        let mut domains = Vec::new();
        let mut users = Vec::new();
        for e in &r.emails {
            let e = e.trim().to_lowercase();
            if e.is_empty() {
                continue;
            }
            let mobile = clean::email::mobile_in_local_part(&e).and_then(|m| mobile_digits(&m));
            if let Some(m) = mobile {
                mobiles.push(m);
            }
            emails.push(key_hash("email", &e));
            if let Some((u, d)) = e.split_once('@') {
                domains.push(key_hash("domain", d));
                if mobile.is_none() && !u.is_empty() {
                    users.push(key_hash("email_user", u));
                }
            }
        }
        mobiles.sort_unstable();
        mobiles.dedup();
        emails.sort_unstable();
        emails.dedup();
        domains.sort_unstable();
        domains.dedup();
        users.sort_unstable();
        users.dedup();
        let mut landlines: Vec<u64> =
            r.landlines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(|l| key_hash("landline", l)).collect();
        landlines.sort_unstable();
        landlines.dedup();
        let province = nonempty(&r.province).and_then(place);
        let city = nonempty(&r.city).and_then(place);
        let address =
            nonempty(&r.address).map(street).filter(|s| !s.is_empty()).map(|s| bigrams(&s).into_boxed_slice());
        let custom_types = custom;
        let custom: Box<[Option<CustomValue>]> = custom
            .iter()
            .map(|(name, ty)| {
                let v = r.custom.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())?;
                Some(match ty {
                    CustomType::Number => CustomValue::Number(v.replace(',', "").parse().ok()?),
                    CustomType::Date => CustomValue::Date(days(v)?),
                    CustomType::Phone => {
                        CustomValue::Text(v.chars().filter(char::is_ascii_digit).collect::<String>().into())
                    }
                    CustomType::Identifier => CustomValue::Text(
                        clean::text::fold_width(v)
                            .chars()
                            .filter(|c| c.is_alphanumeric())
                            .flat_map(char::to_uppercase)
                            .collect::<String>()
                            .into(),
                    ),
                    CustomType::Text | CustomType::Email => {
                        CustomValue::Text(clean::text::squeeze(&clean::text::fold_width(v)).to_lowercase().into())
                    }
                })
            })
            .collect();
        let brand_end = if person { 0 } else { clean::company::brand(&key).len() as u32 };
        let parts = name_parts(&r.name, person, nonempty(&r.name_legal).is_some());
        let address_key = nonempty(&r.address)
            .map(|a| {
                clean::text::fold_width(a)
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_lowercase)
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
            .map(|s| key_hash("address", &s));
        let name_with = if parts.words.is_empty() {
            Box::default()
        } else {
            let mut weak: Vec<u64> = Vec::new();
            weak.extend(city.map(|c| key_hash("city", c)));
            for (i, (v, (_, ty))) in custom.iter().zip(custom_types).enumerate() {
                if let (Some(v), CustomType::Identifier | CustomType::Date) = (v, ty) {
                    weak.extend(super::blocking::custom_value_hash(i, v));
                }
                if let Some(CustomValue::Date(d)) = v {
                    date_typo_keys(i, *d, &mut weak);
                }
            }
            let mut keys: Vec<u64> = Vec::new();
            for w in parts.words.iter().filter(|w| w.chars().count() >= 2) {
                let wh = super::blocking::part_hash(w);
                keys.extend(weak.iter().map(|&v| {
                    let mut h = KeyHasher::tagged("name_with");
                    let _ = std::fmt::Write::write_fmt(&mut h, format_args!("{wh}|{v}"));
                    h.finish()
                }));
            }
            keys.sort_unstable();
            keys.dedup();
            keys.into_boxed_slice()
        };
        Record {
            id: r.id,
            version: r.version,
            brand_end,
            person,
            key,
            region: if person { None } else { nonempty(&r.name_region).map(intern) },
            legal: if person {
                None
            } else {
                nonempty(&r.name_legal).map(|l| intern(clean::company::legal_form_key(l)))
            },
            branch: if person { None } else { nonempty(&r.name_branch).map(Into::into) },
            contacts: contacts.into_boxed_slice(),
            mobiles: mobiles.into_boxed_slice(),
            landlines: landlines.into_boxed_slice(),
            emails: emails.into_boxed_slice(),
            domains: domains.into_boxed_slice(),
            users: users.into_boxed_slice(),
            province,
            city,
            district: nonempty(&r.district).and_then(place),
            address,
            industry: nonempty(&r.industry_code).map(intern),
            first_contact: nonempty(&r.first_contact).and_then(days),
            custom,
            parts,
            address_key,
            name_with,
        }
    }

    /// The places this record is in: province, city and the region of its name.
    pub fn places(&self) -> impl Iterator<Item = &str> {
        [&self.province, &self.city, &self.region].into_iter().filter_map(|p| p.as_deref())
    }

    /// The brand of a company core (`星辰电子科技` → `星辰`), for short names.
    pub fn brand(&self) -> Option<&str> {
        if self.person {
            return None;
        }
        Some(&self.key[..self.brand_end as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_and_pinyin() {
        assert!(within_one_edit("腾达科技", "腾远科技"));
        assert!(within_one_edit("星辰科技", "星辰科"));
        assert!(within_one_edit("abc", "abxc"));
        assert!(!within_one_edit("腾达科技", "腾远数据"));
        assert!(within_one_edit("ab", "ba"));
        assert!(within_one_edit("联柏精密机械", "联精柏密机械"));
        assert!(within_one_edit("2530", "2350"));
        assert!(within_one_edit("科技", "科技"));
        assert!(!within_one_edit("abc", "cba"));
        assert!(!within_one_edit("abcd", "badc"));
        assert!(!within_one_edit("联柏精密机械", "联精柏密械机"));
        assert!(same_pinyin("星辰科技", "星晨科技"));
        assert!(!same_pinyin("腾达科技", "腾远科技"));
        assert_eq!(pinyin_key("星辰"), pinyin_key("星晨"));
    }

    #[test]
    fn places_and_streets() {
        assert_eq!(place("北京市"), Some("北京"));
        assert_eq!(place("东莞市"), Some("东莞"));
        assert_eq!(place("福建厦门市"), place("厦门"));
        assert_eq!(place("广西南宁市"), place("南宁市"));
        assert_eq!(street("北京市海淀区中关村大街1号"), street("北京海淀区中关村大街1号"));
        assert_eq!(days("1970-01-02"), Some(1));
    }

    #[test]
    fn name_parts_of_latin_and_cjk_people() {
        let p = name_parts("Thomas  O'Keller", false, false);
        assert_eq!((p.given(), p.surname(), p.latin), (Some("thomas"), Some("okeller"), true));
        assert_eq!(name_parts("waller", false, false).surname(), Some("waller"));
        assert_eq!(name_parts("waller", false, false).given(), None);
        // A company's name has no parts.
        assert!(name_parts("Acme Trading", false, true).words.is_empty());
        assert!(name_parts("星辰科技", false, false).words.is_empty());
        let c = name_parts("王小明", true, false);
        assert_eq!((c.surname(), c.given(), c.latin), (Some("王"), Some("小明"), false));
        let c = name_parts("欧阳娜娜", true, false);
        assert_eq!((c.surname(), c.given()), (Some("欧阳"), Some("娜娜")));
    }

    #[test]
    fn email_local_part_is_a_mobile() {
        let r = Record::from_input(
            &InputRecord { name: "x".into(), emails: vec!["13812345678@163.com".into()], ..Default::default() },
            &[],
        );
        assert_eq!(*r.mobiles, [13812345678]);
    }
}
