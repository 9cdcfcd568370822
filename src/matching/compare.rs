//! Comparisons: each puts a pair of records into one level, level 0 being
//! "missing" (no evidence either way). Levels are ordered from the strongest
//! agreement to disagreement; their weights are learned, never set here.

use super::features::{
    contained_alike, same_pinyin, within_one_edit, within_one_edit_of, CustomType, CustomValue, Record, Sym,
};
use serde::{Deserialize, Serialize};

/// What a comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CompKind {
    /// Company name on its core; a pair with a person leaves it to `contact`
    /// (for a person the customer name and the contact name are one fact).
    Name,
    LegalForm,
    Branch,
    /// Province, city, district and the region in the name, jointly.
    Location,
    /// Contact person, mobile and e-mail address jointly: they belong to
    /// one person.
    Contact,
    Landline,
    Email,
    Address,
    Industry,
    FirstContact,
    /// The given name of a Latin person's name (see `NameParts`), with a
    /// level for given name and surname swapped.
    GivenName,
    /// The surname of a Latin person's name.
    Surname,
    Custom {
        index: usize,
        ty: CustomType,
    },
}

/// Tunable boundaries between levels (TOML `[levels]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelBounds {
    /// Address bigram overlap (Jaccard) for `close` and `partial`.
    pub address_close: f64,
    pub address_partial: f64,
    /// Days apart for the `near` and `same_year` date levels.
    pub date_near_days: i32,
    pub date_far_days: i32,
    /// Relative difference for `close` numbers.
    pub number_close: f64,
    /// Shortest core name (characters) for the `edit1` level: one character
    /// of a two-character name is half the name.
    pub edit_min_chars: usize,
    /// Jaro–Winkler similarity of name words for the `jw_high`, `jw_mid`
    /// and `jw_low` levels: Splink's documented defaults for names
    /// (NameComparison: 0.92, 0.88, 0.7).
    pub jw_high: f64,
    pub jw_mid: f64,
    pub jw_low: f64,
}

impl Default for LevelBounds {
    fn default() -> Self {
        LevelBounds {
            address_close: 0.7,
            address_partial: 0.4,
            date_near_days: 30,
            date_far_days: 365,
            number_close: 0.05,
            edit_min_chars: 3,
            jw_high: 0.92,
            jw_mid: 0.88,
            jw_low: 0.7,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompDef {
    pub name: String,
    #[serde(flatten)]
    pub kind: CompKind,
}

pub const NAME_LEVELS: &[&str] = &[
    "missing",
    "exact",
    "core_exact",
    "contained",
    "contained_full",
    "same_brand",
    "same_brand_full",
    "pinyin",
    "contained_alike",
    "edit1",
    "different",
];
/// Contact person with the ways to reach them (mobile, e-mail): a mobile
/// or a personal address belongs to the person, so a shared number, a
/// shared address and a shared contact name are one piece of evidence.
pub const CONTACT_LEVELS: &[&str] = &[
    "missing",
    "reach_and_name",
    "reach_name_alike",
    "reach_only",
    "name_reach_differs",
    "name_only",
    "reach_differs",
    "name_differs",
    "both_differ",
];

/// Whether a contact level is one at which the pair shares a mobile or an
/// e-mail ("reach and name", "reach, name alike", "reach only").
pub fn reach_shared(level: u8) -> bool {
    (1..=3).contains(&level)
}

/// Whether a comparison at `level` says the pair shares a number: a
/// contact's mobile or e-mail, or a landline. A number belongs to one
/// place, so being in the same place follows from it (`Scorer::weigh`).
pub fn number_shared(kind: &CompKind, level: u8) -> bool {
    match kind {
        CompKind::Contact => reach_shared(level),
        CompKind::Landline => level == 1,
        _ => false,
    }
}

pub const GIVEN_LEVELS: &[&str] =
    &["missing", "exact", "swapped", "jw_high", "jw_mid", "jw_low", "initial", "different"];
pub const SURNAME_LEVELS: &[&str] = &["missing", "exact", "jw_high", "jw_mid", "jw_low", "different"];
/// A date such as a birth date: typed once per source, so its errors are
/// typing errors (one digit, day and month swapped) beside real closeness.
pub const DATE_LEVELS: &[&str] = &["missing", "same", "typo", "day_month_swapped", "near", "within_year", "different"];

impl CompKind {
    pub fn levels(&self) -> &'static [&'static str] {
        match self {
            CompKind::Name => NAME_LEVELS,
            CompKind::LegalForm | CompKind::Industry | CompKind::Landline => &["missing", "same", "different"],
            CompKind::Branch => &["missing", "same", "one_side", "different"],
            CompKind::Location => &["missing", "same_district", "same_city", "same_region", "different"],
            CompKind::Contact => CONTACT_LEVELS,
            // Shared addresses are counted by `contact`; this is one user at
            // another domain, or the company domain.
            CompKind::Email => &["missing", "same_user", "same_domain", "different"],
            CompKind::Address => &["missing", "exact", "close", "partial", "different"],
            CompKind::FirstContact => &["missing", "same", "near", "same_year", "different"],
            CompKind::GivenName => GIVEN_LEVELS,
            CompKind::Surname => SURNAME_LEVELS,
            CompKind::Custom { ty, .. } => match ty {
                CustomType::Identifier => &["missing", "same", "edit1", "different"],
                CustomType::Date => DATE_LEVELS,
                CustomType::Number => &["missing", "same", "close", "different"],
                CustomType::Text | CustomType::Phone | CustomType::Email => &["missing", "same", "different"],
            },
        }
    }

    /// The levels whose weight is adjusted by how common the shared value
    /// is (term frequency), with the kind of value counted.
    /// The term-frequency levels at which a pair shares the value it shares
    /// at `level`: a contact's mobile at "reach and name", "reach, name
    /// alike" and "reach only", the contact's name at "reach and name",
    /// "name, reach differs" and "name only"; a company's name key at
    /// "exact" and "core exact". A record's own duplicates hold the value at
    /// any of them. Levels not listed (an e-mail's user, its domain) hold
    /// their value at their own level only (`Model::weight` takes the
    /// level's own m then).
    pub fn value_levels(&self, level: u8) -> &'static [u8] {
        match (self, level) {
            (CompKind::Name, 1 | 2) => &[1, 2],
            (CompKind::Contact, 1..=3) => &[1, 2, 3],
            (CompKind::Contact, 4 | 5) => &[1, 4, 5],
            (_, 1) => &[1],
            _ => &[],
        }
    }

    pub fn tf_level(&self, level: u8) -> bool {
        match self {
            CompKind::Name => level == 1 || level == 2,
            CompKind::Contact => (1..=5).contains(&level),
            CompKind::Landline => level == 1,
            CompKind::Email => level == 1 || level == 2,
            CompKind::GivenName | CompKind::Surname => level == 1,
            CompKind::Custom { ty, .. } => {
                level == 1
                    && matches!(
                        ty,
                        CustomType::Identifier
                            | CustomType::Text
                            | CustomType::Phone
                            | CustomType::Email
                            | CustomType::Date
                    )
            }
            _ => false,
        }
    }
}

/// The default comparisons for a run, custom fields last in the given order.
pub fn default_comparisons(custom: &[(String, CustomType)]) -> Vec<CompDef> {
    let mut v: Vec<CompDef> = [
        ("name", CompKind::Name),
        ("legal_form", CompKind::LegalForm),
        ("branch", CompKind::Branch),
        ("location", CompKind::Location),
        ("contact", CompKind::Contact),
        ("landline", CompKind::Landline),
        ("email", CompKind::Email),
        ("address", CompKind::Address),
        ("industry", CompKind::Industry),
        ("first_contact", CompKind::FirstContact),
        ("given_name", CompKind::GivenName),
        ("surname", CompKind::Surname),
    ]
    .into_iter()
    .map(|(n, k)| CompDef { name: n.into(), kind: k })
    .collect();
    for (i, (name, ty)) in custom.iter().enumerate() {
        v.push(CompDef { name: format!("custom:{name}"), kind: CompKind::Custom { index: i, ty: *ty } });
    }
    v
}

fn shares<'a, T: Ord>(a: &'a [T], b: &[T]) -> Option<&'a T> {
    // Both sorted: a merge walk.
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(&a[i]),
        }
    }
    None
}

fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let all = a.len() + b.len() - both;
    if all == 0 {
        1.0
    } else {
        both as f64 / all as f64
    }
}

fn date_level(a: Option<i32>, b: Option<i32>, lb: &LevelBounds) -> u8 {
    match (a, b) {
        (Some(x), Some(y)) => {
            let d = (x - y).abs();
            if d == 0 {
                1
            } else if d <= lb.date_near_days {
                2
            } else if d <= lb.date_far_days {
                3
            } else {
                4
            }
        }
        _ => 0,
    }
}

/// Day, month and year of a date in days since 1970-01-01.
pub(crate) fn ymd(days: i32) -> Option<(i32, u32, u32)> {
    use chrono::Datelike;
    // 719 163 days from 0001-01-01 (day 1) to 1970-01-01.
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)?;
    Some((d.year(), d.month(), d.day()))
}

/// Whether two dates written as YYYYMMDD differ by one typed digit or by
/// two neighbouring digits swapped.
fn date_typo(x: (i32, u32, u32), y: (i32, u32, u32)) -> bool {
    let digits = |(y, m, d): (i32, u32, u32)| -> [u32; 8] {
        let mut v = y.clamp(0, 9999) as u32 * 10_000 + m * 100 + d;
        let mut out = [0u32; 8];
        for slot in out.iter_mut().rev() {
            *slot = v % 10;
            v /= 10;
        }
        out
    };
    let (a, b) = (digits(x), digits(y));
    // The first three differing digits: no Vec, as every pair of two
    // different dates asks.
    let mut diff = (0..8).filter(|&i| a[i] != b[i]);
    match (diff.next(), diff.next(), diff.next()) {
        (Some(_), None, _) => true,
        (Some(i), Some(j), None) => j == i + 1 && a[i] == b[j] && a[j] == b[i],
        _ => false,
    }
}

/// Level of two dates of a custom date field (see [`DATE_LEVELS`]).
fn custom_date_level(x: i32, y: i32, lb: &LevelBounds) -> u8 {
    if x == y {
        return 1;
    }
    if let (Some(p), Some(q)) = (ymd(x), ymd(y)) {
        if date_typo(p, q) {
            return 2;
        }
        if p.0 == q.0 && p.1 == q.2 && p.2 == q.1 {
            return 3;
        }
    }
    let d = (x - y).abs();
    if d <= lb.date_near_days {
        4
    } else if d <= lb.date_far_days {
        5
    } else {
        6
    }
}

/// Offset of a Jaro–Winkler level for two name words: 0 exact, 1 high,
/// 2 mid, 3 low, 4 different.
fn jw_rank(x: &str, y: &str, lb: &LevelBounds) -> u8 {
    if x == y {
        return 0;
    }
    let s = strsim::jaro_winkler(x, y);
    if s >= lb.jw_high {
        1
    } else if s >= lb.jw_mid {
        2
    } else if s >= lb.jw_low {
        3
    } else {
        4
    }
}

/// What the given names and surnames of two Latin names are compared by.
/// A swapped name counts once, in `given_name`; a one-word name (the given
/// name or the surname left blank) is compared with the word it equals, or
/// else as a surname.
enum PartPair<'a> {
    /// Not two Latin names with a surname each: both levels missing.
    Missing,
    /// A `given_name` level fixed without comparing (swapped, a one-word
    /// name equal to the other's given name); `surname` missing.
    Given(u8),
    /// Given names (when both have one) and surnames to compare.
    Words { given: Option<(&'a str, &'a str)>, surname: (&'a str, &'a str) },
}

fn part_pair<'a>(a: &'a Record, b: &'a Record) -> PartPair<'a> {
    if !(a.parts.latin && b.parts.latin) {
        return PartPair::Missing;
    }
    let (Some(sa), Some(sb)) = (a.parts.surname(), b.parts.surname()) else { return PartPair::Missing };
    match (a.parts.given(), b.parts.given()) {
        (Some(ga), Some(gb)) if ga != gb && ga == sb && sa == gb => PartPair::Given(2),
        (Some(ga), Some(gb)) => PartPair::Words { given: Some((ga, gb)), surname: (sa, sb) },
        (None, Some(g)) if sa == g => PartPair::Given(1),
        (Some(g), None) if sb == g => PartPair::Given(1),
        _ => PartPair::Words { given: None, surname: (sa, sb) },
    }
}

/// Level of the given names of two Latin names (see [`GIVEN_LEVELS`]), 0
/// for missing. Each of the two levels compares only its own words: both
/// are asked of every candidate pair.
pub fn given_name_level(a: &Record, b: &Record, lb: &LevelBounds) -> u8 {
    match part_pair(a, b) {
        PartPair::Given(l) => l,
        // An initial is a level of its own, whatever its similarity.
        PartPair::Words { given: Some((ga, gb)), .. } if ga != gb && initial_of(ga, gb) => 6,
        PartPair::Words { given: Some((ga, gb)), .. } => [1, 3, 4, 5, 7][jw_rank(ga, gb, lb) as usize],
        PartPair::Missing | PartPair::Words { given: None, .. } => 0,
    }
}

/// Level of the surnames of two Latin names (see [`SURNAME_LEVELS`]), 0
/// for missing.
pub fn surname_level(a: &Record, b: &Record, lb: &LevelBounds) -> u8 {
    match part_pair(a, b) {
        PartPair::Words { surname: (sa, sb), .. } => 1 + jw_rank(sa, sb, lb),
        PartPair::Missing | PartPair::Given(_) => 0,
    }
}

/// One given name is the other's initial (`j` / `john`).
fn initial_of(x: &str, y: &str) -> bool {
    let (s, l) = if x.chars().count() <= y.chars().count() { (x, y) } else { (y, x) };
    s.chars().count() == 1 && l.starts_with(s)
}

/// The value two records share at a term-frequency level, as the key under
/// which its frequency is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared<'a> {
    Name(&'a str),
    Mobile(u64),
    Contact(&'a str),
    Landline(u64),
    Email(u64),
    Domain(u64),
    /// The part of an e-mail before the `@`.
    EmailUser(u64),
    Custom(usize, &'a str),
    CustomDate(usize, i32),
    /// A word of a person's name.
    Part(&'a str),
}

/// The contact both records name. A surname alone (`李`, left by `李经理`)
/// agrees with a full name starting with it; the surname is what is shared,
/// so its (high) frequency keeps that agreement weak.
fn contact_shared<'a>(a: &'a Record, b: &'a Record) -> Option<&'a str> {
    if let Some(c) = a.contacts.iter().find(|c| b.contacts.iter().any(|d| d == *c)) {
        return Some(c);
    }
    let surname = |s: &str, full: &str| s.chars().count() == 1 && full.chars().count() > 1 && full.starts_with(s);
    for c in &a.contacts {
        for d in &b.contacts {
            if surname(c, d) {
                return Some(c);
            }
            if surname(d, c) {
                return Some(d);
            }
        }
    }
    None
}

/// Two contacts' names of the same length and surname that read alike
/// character by character (see `features::same_pinyin`).
fn contacts_alike(a: &Record, b: &Record) -> bool {
    a.contacts.iter().any(|c| {
        b.contacts.iter().any(|d| c.chars().next() == d.chars().next() && crate::matching::features::same_pinyin(c, d))
    })
}

/// A company's name put back together from its parts (region, core, legal
/// form). A slip that straddles where the parts meet (广海州宇 for 广州海宇,
/// 有限司公 for 有限公司) leaves the parts unrecognised and the cores of two
/// spellings more than one edit apart; the whole names are not.
fn as_written(r: &Record) -> [&str; 3] {
    [r.region.unwrap_or(""), &r.key, r.legal.unwrap_or("")]
}

/// Compares one field of a pair.
pub fn level(kind: &CompKind, a: &Record, b: &Record, lb: &LevelBounds) -> u8 {
    match kind {
        CompKind::Name => {
            if (a.person && b.person) || a.key.is_empty() || b.key.is_empty() {
                return 0;
            }
            // Two Latin person names are compared by their parts.
            if a.parts.latin && b.parts.latin {
                return 0;
            }
            // A person against a company record: the person's name is counted
            // by `contact` when the company names them as its contact.
            if a.person != b.person {
                let (p, c) = if a.person { (a, b) } else { (b, a) };
                if c.contacts.contains(&p.key) {
                    return 0;
                }
            }
            if a.key == b.key {
                if a.region == b.region && a.legal == b.legal && a.branch == b.branch {
                    1
                } else {
                    2
                }
            } else {
                let (na, nb) = (a.key.chars().count(), b.key.chars().count());
                let ((sr, lr), short) = if na <= nb { ((a, b), na) } else { ((b, a), nb) };
                let (s, l) = (&sr.key, &lr.key);
                let registered = a.legal.is_some() && b.legal.is_some();
                let same_brand = !a.person && !b.person && a.brand() == b.brand();
                // A bare brand inside a name with trade words (光拓 /
                // 光拓农业发展) is what a group shares with its members as
                // much as a short form: a level of its own, like two trades
                // under one brand (光拓农业 / 光拓科技).
                let bare = |r: &Record| r.brand().is_some_and(|b| b.len() == r.key.len());
                // Two full registered names (each with its legal form), one
                // inside the other, are two registrations as often as one (a
                // group and its member, 华远软件集团 / 华远软件教育咨询); a
                // short name inside a full one is how people write it. So is
                // one read alike inside the other.
                let inside = |alike: bool| match (registered, alike) {
                    (true, _) => 4,
                    (false, false) => 3,
                    (false, true) => 8,
                };
                // Two registered names under one brand with other trade
                // words are, for the same reason, a group's members (深圳源峰
                // 集团 / 源峰信息技术（深圳）): one registration is one brand
                // and trade in one place.
                if short >= 2 && l.contains(&**s) && !(same_brand && bare(sr)) {
                    inside(false)
                } else if same_brand {
                    if registered {
                        6
                    } else {
                        5
                    }
                } else if same_pinyin(&a.key, &b.key) {
                    7
                } else if short >= 2 && contained_alike(s, l) {
                    inside(true)
                } else if short >= lb.edit_min_chars
                    && (within_one_edit(&a.key, &b.key)
                        // With the same region and legal form the whole
                        // names differ exactly where the cores do.
                        || ((a.region != b.region || a.legal != b.legal)
                            && within_one_edit_of(&as_written(a), &as_written(b))))
                {
                    9
                } else {
                    10
                }
            }
        }
        CompKind::LegalForm => match (&a.legal, &b.legal) {
            (Some(x), Some(y)) => 1 + (x != y) as u8,
            _ => 0,
        },
        CompKind::Branch => match (&a.branch, &b.branch) {
            (None, None) => 0,
            (Some(x), Some(y)) => 1 + 2 * (x != y) as u8,
            _ => 2,
        },
        CompKind::Location => {
            if let (Some(x), Some(y)) = (&a.city, &b.city) {
                if x == y {
                    return if a.district.is_some() && a.district == b.district { 1 } else { 2 };
                }
                return 4;
            }
            if a.places().any(|p| b.places().any(|q| p == q)) {
                return 3;
            }
            // Only like against like is a conflict: without a gazetteer a city
            // and a province (深圳 / 广东) cannot be told apart from two places.
            let differ = |x: &Option<Sym>, y: &Option<Sym>| matches!((x, y), (Some(p), Some(q)) if p != q);
            if differ(&a.province, &b.province) || differ(&a.region, &b.region) {
                4
            } else {
                0
            }
        }
        CompKind::Contact => {
            let m = (!a.mobiles.is_empty() && !b.mobiles.is_empty()).then(|| shares(&a.mobiles, &b.mobiles).is_some());
            let e = (!a.emails.is_empty() && !b.emails.is_empty()).then(|| shares(&a.emails, &b.emails).is_some());
            let mobile = match (m, e) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (None, None) => None,
                _ => Some(false),
            };
            let name = match (a.contacts.is_empty(), b.contacts.is_empty()) {
                // Two people with Latin names: their names (their own first
                // contact) are compared by given_name and surname.
                _ if a.person && b.person && a.parts.latin && b.parts.latin => None,
                (false, false) => Some(contact_shared(a, b).is_some()),
                _ => None,
            };
            match (mobile, name) {
                (Some(true), Some(true)) => 1,
                // The same number under a name that reads alike: the
                // person's name mistyped through the input method (杨红梅 /
                // 杨虹梅), not another person at that number (a parent and
                // child share one), which "reach only" is left to mean.
                (Some(true), Some(false)) if contacts_alike(a, b) => 2,
                (Some(true), _) => 3,
                (Some(false), Some(true)) => 4,
                (None, Some(true)) => 5,
                (Some(false), None) => 6,
                (None, Some(false)) => 7,
                (Some(false), Some(false)) => 8,
                (None, None) => 0,
            }
        }
        CompKind::Landline => match (a.landlines.is_empty(), b.landlines.is_empty()) {
            (false, false) => 1 + shares(&a.landlines, &b.landlines).is_none() as u8,
            _ => 0,
        },
        CompKind::Email => {
            if a.emails.is_empty() || b.emails.is_empty() || shares(&a.emails, &b.emails).is_some() {
                0
            } else if shares(&a.users, &b.users).is_some() {
                1
            } else if shares(&a.domains, &b.domains).is_some() {
                2
            } else {
                3
            }
        }
        CompKind::Address => match (&a.address, &b.address) {
            (Some(x), Some(y)) => {
                if x == y {
                    1
                } else {
                    let j = jaccard(x, y);
                    if j >= lb.address_close {
                        2
                    } else if j >= lb.address_partial {
                        3
                    } else {
                        4
                    }
                }
            }
            _ => 0,
        },
        CompKind::Industry => match (&a.industry, &b.industry) {
            (Some(x), Some(y)) => 1 + (x != y) as u8,
            _ => 0,
        },
        CompKind::FirstContact => date_level(a.first_contact, b.first_contact, lb),
        CompKind::GivenName => given_name_level(a, b, lb),
        CompKind::Surname => surname_level(a, b, lb),
        CompKind::Custom { index, ty } => {
            let (Some(Some(x)), Some(Some(y))) = (a.custom.get(*index), b.custom.get(*index)) else { return 0 };
            match (ty, x, y) {
                (CustomType::Date, CustomValue::Date(p), CustomValue::Date(q)) => custom_date_level(*p, *q, lb),
                (CustomType::Number, CustomValue::Number(p), CustomValue::Number(q)) => {
                    if p == q {
                        1
                    } else if (p - q).abs() <= lb.number_close * p.abs().max(q.abs()) {
                        2
                    } else {
                        3
                    }
                }
                (CustomType::Identifier, CustomValue::Text(p), CustomValue::Text(q)) => {
                    if p == q {
                        1
                    } else if p.chars().count() >= 3 && within_one_edit(p, q) {
                        2
                    } else {
                        3
                    }
                }
                (_, CustomValue::Text(p), CustomValue::Text(q)) => 1 + (p != q) as u8,
                _ => 0,
            }
        }
    }
}

/// The value shared at a term-frequency level (see [`CompKind::tf_level`]).
pub fn shared<'a>(kind: &CompKind, lvl: u8, a: &'a Record, b: &'a Record) -> Option<Shared<'a>> {
    if !kind.tf_level(lvl) {
        return None;
    }
    match kind {
        CompKind::Name => Some(Shared::Name(&a.key)),
        CompKind::Contact => match lvl {
            1..=3 => shares(&a.mobiles, &b.mobiles)
                .map(|m| Shared::Mobile(*m))
                .or_else(|| shares(&a.emails, &b.emails).map(|e| Shared::Email(*e))),
            _ => contact_shared(a, b).map(Shared::Contact),
        },
        CompKind::Landline => shares(&a.landlines, &b.landlines).map(|m| Shared::Landline(*m)),
        CompKind::Email => match lvl {
            1 => shares(&a.users, &b.users).map(|m| Shared::EmailUser(*m)),
            _ => shares(&a.domains, &b.domains).map(|m| Shared::Domain(*m)),
        },
        CompKind::Custom { index, .. } => match a.custom.get(*index) {
            Some(Some(CustomValue::Text(t))) => Some(Shared::Custom(*index, t)),
            Some(Some(CustomValue::Date(d))) => Some(Shared::CustomDate(*index, *d)),
            _ => None,
        },
        CompKind::GivenName => a.parts.given().or(a.parts.surname()).map(Shared::Part),
        CompKind::Surname => a.parts.surname().map(Shared::Part),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::features::InputRecord;

    fn company(name: &str) -> InputRecord {
        let n = crate::clean::company::normalize(name).unwrap();
        InputRecord {
            name: n.full.clone(),
            name_region: n.region,
            name_core: Some(n.core),
            name_legal: n.legal_form,
            name_branch: n.branch,
            ..Default::default()
        }
    }

    fn rec(i: InputRecord) -> Record {
        Record::from_input(&i, &[("身份证号".into(), CustomType::Identifier), ("生日".into(), CustomType::Date)])
    }

    fn lvl(kind: CompKind, a: InputRecord, b: InputRecord) -> &'static str {
        kind.levels()[level(&kind, &rec(a), &rec(b), &LevelBounds::default()) as usize]
    }

    /// The evidence shown in the queue and by the CLI names levels through
    /// the catalogue; a level without words there shows its code.
    #[test]
    fn every_level_has_words_in_the_catalogue() {
        let custom: Vec<(String, CustomType)> = [
            CustomType::Identifier,
            CustomType::Date,
            CustomType::Number,
            CustomType::Text,
            CustomType::Phone,
            CustomType::Email,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("f{i}"), t))
        .collect();
        for c in default_comparisons(&custom) {
            for l in c.kind.levels().iter().skip(1) {
                assert!(crate::i18n::has(&format!("value-level-{l}")), "{}: {l}", c.name);
            }
        }
    }

    #[test]
    fn company_names_by_their_parts() {
        let n = |a: &str, b: &str| lvl(CompKind::Name, company(a), company(b));
        assert_eq!(n("北京星辰科技有限公司", "星辰科技（北京）有限公司"), "exact");
        assert_eq!(n("北京星辰科技有限公司", "上海星辰科技有限公司"), "core_exact");
        assert_eq!(n("星辰科技", "北京星辰科技有限公司"), "core_exact");
        assert_eq!(n("星辰电子", "北京星辰电子科技有限公司"), "contained");
        // Two registered names, one inside the other: a group and its member
        // as often as one firm.
        assert_eq!(n("华远软件集团有限公司", "华远软件教育咨询有限公司"), "contained_full");
        assert_eq!(n("华鑫川文化有限公司", "华新川文化传媒有限公司"), "contained_full");
        // One brand: bare against a name with trade words, or two trades.
        assert_eq!(n("星辰", "北京星辰电子科技有限公司"), "same_brand");
        assert_eq!(n("星辰农业发展", "星辰电子科技有限公司"), "same_brand");
        assert_eq!(n("星辰农业发展有限公司", "星辰电子科技有限公司"), "same_brand_full");
        assert_eq!(n("深圳源峰集团有限公司", "源峰信息技术（深圳）有限公司"), "same_brand_full");
        assert_eq!(n("星辰科技有限公司", "星晨科技有限公司"), "pinyin");
        // A short form typed by sound.
        assert_eq!(n("华鑫川文化", "华新川文化传媒有限公司"), "contained_alike");
        assert_eq!(n("弘凯餐饮", "青岛弘恺餐饮管理股份有限公司"), "contained_alike");
        // Only where every differing character reads alike: 星辰 (xing chen)
        // is not 新城 (xin cheng).
        assert_eq!(n("星辰", "新城科技有限公司"), "different");
        assert_eq!(n("腾达网络科技有限公司", "腾远网络科技有限公司"), "edit1");
        assert_eq!(n("腾达科技有限公司", "华为技术有限公司"), "different");
        // Two neighbouring characters swapped: within the core, and across
        // where the region or the legal form meets it.
        assert_eq!(n("上海联柏精密机械有限公司", "上海联精柏密机械有限公司"), "edit1");
        assert_eq!(n("广州海宇智能装备有限公司", "广海州宇智能装备有限公司"), "edit1");
        assert_eq!(n("深圳万澜精密机械有限公司", "深圳万澜精密机有械限公司"), "edit1");
        assert_eq!(n("上海联柏精密机械有限公司", "上海精联柏密机械有限公司"), "different");
        // The parts that differ are evidence against, compared on their own.
        let l = |a: &str, b: &str| lvl(CompKind::LegalForm, company(a), company(b));
        assert_eq!(l("腾达集团有限公司", "腾达科技有限公司"), "different");
        assert_eq!(l("腾达科技有限责任公司", "腾达科技有限公司"), "same");
        assert_eq!(l("腾达科技", "腾达科技有限公司"), "missing");
        let b = |a: &str, b: &str| lvl(CompKind::Branch, company(a), company(b));
        assert_eq!(b("招商银行深圳分行", "招商银行北京分行"), "different");
        assert_eq!(b("招商银行深圳分行", "招商银行"), "one_side");
    }

    #[test]
    fn contact_and_mobile_are_one_comparison() {
        let c = |n1: &str, m1: &str, n2: &str, m2: &str| {
            let mk = |n: &str, m: &str| InputRecord {
                name: "x".into(),
                contacts: if n.is_empty() { vec![] } else { vec![n.into()] },
                mobiles: if m.is_empty() { vec![] } else { vec![m.into()] },
                ..Default::default()
            };
            lvl(CompKind::Contact, mk(n1, m1), mk(n2, m2))
        };
        assert_eq!(c("王伟", "13800000001", "王伟", "13800000001"), "reach_and_name");
        assert_eq!(c("王伟", "13800000001", "李娜", "13800000001"), "reach_only");
        // The name mistyped through the input method is that person; a name
        // that merely shares the surname is someone else at that number.
        assert_eq!(c("杨红梅", "13800000001", "杨虹梅", "13800000001"), "reach_name_alike");
        assert_eq!(c("王伟", "13800000001", "王芳", "13800000001"), "reach_only");
        assert_eq!(c("黄伟", "13800000001", "王伟", "13800000001"), "reach_only");
        assert_eq!(c("杨红梅", "13800000001", "杨虹梅", "13900000002"), "both_differ");
        assert_eq!(c("王伟", "13800000001", "王伟", "13900000002"), "name_reach_differs");
        assert_eq!(c("王伟", "", "王伟", "13900000002"), "name_only");
        assert_eq!(c("", "13800000001", "", "13900000002"), "reach_differs");
        assert_eq!(c("王伟", "", "李娜", ""), "name_differs");
        assert_eq!(c("王伟", "13800000001", "李娜", "13900000002"), "both_differ");
        assert_eq!(c("", "", "李娜", "13900000002"), "missing");
        // A surname left by `李经理` agrees with the full name.
        assert_eq!(c("李", "", "李嘉成", ""), "name_only");
    }

    #[test]
    fn phones_emails_places_addresses_dates_identifiers() {
        let base = || InputRecord { name: "x".into(), ..Default::default() };
        let land = |l: &str| InputRecord { landlines: vec![l.into()], ..base() };
        assert_eq!(lvl(CompKind::Landline, land("010-62345678"), land("010-62345678")), "same");
        assert_eq!(lvl(CompKind::Landline, land("010-62345678"), land("010-62345679")), "different");
        let mail = |e: &str| InputRecord { emails: vec![e.into()], ..base() };
        // A shared address is the contact's: counted there, not twice.
        assert_eq!(lvl(CompKind::Email, mail("a@xc.com"), mail("A@xc.com")), "missing");
        assert_eq!(lvl(CompKind::Contact, mail("a@xc.com"), mail("A@xc.com")), "reach_only");
        assert_eq!(lvl(CompKind::Email, mail("a@xc.com"), mail("b@xc.com")), "same_domain");
        assert_eq!(lvl(CompKind::Email, mail("a@xc.com"), mail("b@yd.com")), "different");
        // One user at another provider, or a domain typed wrong.
        assert_eq!(lvl(CompKind::Email, mail("zhang.wei@xc.com"), mail("zhang.wei@yd.com")), "same_user");
        assert_eq!(lvl(CompKind::Email, mail("t.m39@brooks-sawyer.com"), mail("t.m39@brooks-sawer.com")), "same_user");
        // A mobile as the user is counted as the mobile, not again here.
        assert_eq!(lvl(CompKind::Email, mail("13812345678@qq.com"), mail("13812345678@163.com")), "different");
        assert_eq!(lvl(CompKind::Contact, mail("13812345678@qq.com"), mail("13812345678@163.com")), "reach_only");
        let at = |p: Option<&str>, c: Option<&str>| InputRecord {
            province: p.map(Into::into),
            city: c.map(Into::into),
            ..base()
        };
        assert_eq!(lvl(CompKind::Location, at(None, Some("北京市")), at(None, Some("北京"))), "same_city");
        assert_eq!(lvl(CompKind::Location, at(None, Some("福建厦门市")), at(None, Some("厦门"))), "same_city");
        assert_eq!(lvl(CompKind::Location, at(None, Some("北京")), at(None, Some("上海"))), "different");
        assert_eq!(lvl(CompKind::Location, at(Some("广东"), None), at(Some("广东省"), None)), "same_region");
        assert_eq!(lvl(CompKind::Location, at(Some("广东"), None), at(None, Some("深圳"))), "missing");
        let addr = |a: &str| InputRecord { address: Some(a.into()), ..base() };
        assert_eq!(lvl(CompKind::Address, addr("北京市海淀区中关村大街1号"), addr("海淀区中关村大街1号")), "exact");
        assert_eq!(
            lvl(
                CompKind::Address,
                addr("海淀区中关村大街1号创业大厦1201室"),
                addr("海淀区中关村大街1号创业大厦1202室")
            ),
            "close"
        );
        assert_eq!(lvl(CompKind::Address, addr("海淀区中关村大街1号"), addr("南山区科技园路9号")), "different");
        let first = |d: &str| InputRecord { first_contact: Some(d.into()), ..base() };
        assert_eq!(lvl(CompKind::FirstContact, first("2024-01-01"), first("2024-01-01")), "same");
        assert_eq!(lvl(CompKind::FirstContact, first("2024-01-01"), first("2024-01-20")), "near");
        assert_eq!(lvl(CompKind::FirstContact, first("2024-01-01"), first("2024-08-01")), "same_year");
        assert_eq!(lvl(CompKind::FirstContact, first("2020-01-01"), first("2024-08-01")), "different");
        let id_kind = CompKind::Custom { index: 0, ty: CustomType::Identifier };
        let id = |v: &str| InputRecord { custom: vec![("身份证号".into(), v.into())], ..base() };
        assert_eq!(lvl(id_kind, id("11010519491231002X"), id("11010519491231002x")), "same");
        assert_eq!(lvl(id_kind, id("11010519491231002X"), id("11010519491231003X")), "edit1");
        assert_eq!(lvl(id_kind, id("11010519491231002X"), id("440305199001011234")), "different");
        let date_kind = CompKind::Custom { index: 1, ty: CustomType::Date };
        let dob = |v: &str| InputRecord { custom: vec![("生日".into(), v.into())], ..base() };
        assert_eq!(lvl(date_kind, dob("1990-01-01"), dob("1990-01-01")), "same");
        assert_eq!(lvl(date_kind, dob("1990-01-01"), base()), "missing");
    }

    #[test]
    fn given_name_and_surname_levels_and_custom_date_levels() {
        let person = |n: &str| InputRecord { name: n.into(), ..Default::default() };
        let g = |a: &str, b: &str| lvl(CompKind::GivenName, person(a), person(b));
        let s = |a: &str, b: &str| lvl(CompKind::Surname, person(a), person(b));
        assert_eq!((g("thomas keller", "thomas keller"), s("thomas keller", "thomas keller")), ("exact", "exact"));
        assert_eq!((g("thomas keller", "keller thomas"), s("thomas keller", "keller thomas")), ("swapped", "missing"));
        assert_eq!(g("thomas keller", "t keller"), "initial");
        assert_eq!(s("thomas keller", "thomas kellar"), "jw_high");
        assert_eq!(s("thomas keller", "thomas green"), "different");
        assert_eq!(g("martha keller", "marta keller"), "jw_high");
        // A one-word name is compared with the word it equals.
        assert_eq!((g("thomas", "thomas keller"), s("thomas", "thomas keller")), ("exact", "missing"));
        assert_eq!((g("keller", "thomas keller"), s("keller", "thomas keller")), ("missing", "exact"));
        // Parts take over from the whole name.
        assert_eq!(lvl(CompKind::Name, person("thomas keller"), person("thomas keller")), "missing");
        let date_kind = CompKind::Custom { index: 1, ty: CustomType::Date };
        let dob = |v: &str| InputRecord { custom: vec![("生日".into(), v.into())], ..person("x") };
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-03-12")), "same");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-08-12")), "typo");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-03-21")), "typo");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-12-03")), "day_month_swapped");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-04-02")), "near");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1970-11-30")), "within_year");
        assert_eq!(lvl(date_kind, dob("1970-03-12"), dob("1985-06-30")), "different");
        let id_kind = CompKind::Custom { index: 0, ty: CustomType::Identifier };
        let id = |v: &str| InputRecord { custom: vec![("身份证号".into(), v.into())], ..person("x") };
        assert_eq!(lvl(id_kind, id("2530"), id("2531")), "edit1");
        assert_eq!(lvl(id_kind, id("2530"), id("2350")), "edit1");
        assert_eq!(lvl(id_kind, id("2530"), id("3520")), "different");
    }

    #[test]
    fn two_people_named_alike_meet_only_in_contact() {
        let p =
            |m: &str| InputRecord {
                person: true, name: "王伟".into(), mobiles: vec![m.into()], ..Default::default()
            };
        assert_eq!(lvl(CompKind::Name, p("13800000001"), p("13900000002")), "missing");
        assert_eq!(lvl(CompKind::Contact, p("13800000001"), p("13900000002")), "name_reach_differs");
    }
}
