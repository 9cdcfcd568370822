//! Blocking: candidate pairs are the pairs that share at least one key of a
//! union of keys, so the matcher never compares all pairs. A block larger
//! than the cap (a switchboard thirty tenants list, a common name) is split
//! by place, and what is still too large is skipped and counted.

use super::features::{key_hash, pinyin_key, KeyHasher, Record};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Mobile,
    Landline,
    Email,
    /// Company core name; a person's name key.
    Name,
    /// Company brand (core without industry words): short names.
    Brand,
    /// Pinyin of the name: homophone typos.
    Pinyin,
    ContactCity,
    /// A custom field (by index of the run's custom fields): identifiers,
    /// phones, e-mails and dates.
    Custom(usize),
    /// A person's name words in sorted order: the name with given name and
    /// surname swapped meets itself.
    NameSorted,
    /// Surname + initial of the given name, in both orders (a swapped
    /// name, an abbreviated given name).
    SurnameInitial,
    /// Double Metaphone of each word of a Latin name (spelling variants
    /// that sound alike: smith / smyth); CJK names have `pinyin`.
    Phonetic,
    /// Weak keys combined: each word of a person's name with the city and
    /// with each custom identifier and date (surname + postcode, given
    /// name + date of birth), and with each date's one-typo neighbourhood
    /// (a digit mistyped, day and month swapped).
    NameWith,
    /// Typo-tolerant: the name key and every variant of it with one
    /// character deleted (a deletion neighbourhood), so two spellings one
    /// edit apart always share a key. Latin names only: CJK typos are
    /// homophones, met by `pinyin`.
    NameTypo,
    /// The street address, normalised.
    Address,
    /// The first characters of a Chinese company's core name: a short name
    /// written with part of an industry word (耀科邦文化 for 耀科邦文化传媒)
    /// has neither the core nor the brand of the full name, but its start.
    NamePrefix,
}

impl KeyKind {
    /// Keys built from the name alone (one spelling or another of it): a
    /// pass over one of them blocked on the name, whichever comparison
    /// reads it. `NameWith` adds a second field and is not one of them.
    /// Exhaustive, so that a new kind of key has to say which it is.
    pub fn is_name_key(self) -> bool {
        match self {
            KeyKind::Name
            | KeyKind::Brand
            | KeyKind::Pinyin
            | KeyKind::NameSorted
            | KeyKind::SurnameInitial
            | KeyKind::Phonetic
            | KeyKind::NameTypo
            | KeyKind::NamePrefix => true,
            KeyKind::Mobile
            | KeyKind::Landline
            | KeyKind::Email
            | KeyKind::ContactCity
            | KeyKind::Custom(_)
            | KeyKind::NameWith
            | KeyKind::Address => false,
        }
    }
}

/// Characters of a Chinese core name its prefix key takes: two are a brand
/// shared by many companies (华通), three name one (华通顺).
pub const NAME_PREFIX_CHARS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyDef {
    pub name: String,
    pub kind: KeyKind,
}

/// The keys blocking uses unless a config says otherwise; custom identifier,
/// phone and e-mail fields are keys too.
pub fn default_keys(custom: &[(String, super::CustomType)]) -> Vec<KeyDef> {
    let mut v: Vec<KeyDef> = [
        ("mobile", KeyKind::Mobile),
        ("landline", KeyKind::Landline),
        ("email", KeyKind::Email),
        ("name", KeyKind::Name),
        ("brand", KeyKind::Brand),
        ("pinyin", KeyKind::Pinyin),
        ("contact_city", KeyKind::ContactCity),
        ("name_sorted", KeyKind::NameSorted),
        ("surname_initial", KeyKind::SurnameInitial),
        ("phonetic", KeyKind::Phonetic),
        ("name_with", KeyKind::NameWith),
        ("name_typo", KeyKind::NameTypo),
        ("address", KeyKind::Address),
        ("name_prefix", KeyKind::NamePrefix),
    ]
    .into_iter()
    .map(|(n, k)| KeyDef { name: n.into(), kind: k })
    .collect();
    for (i, (name, ty)) in custom.iter().enumerate() {
        use super::CustomType::*;
        // Key bits are a u32's (31 usable): further custom fields still
        // compare, they just do not block.
        if matches!(ty, Identifier | Phone | Email | Date) && v.len() < 31 {
            v.push(KeyDef { name: format!("custom:{name}"), kind: KeyKind::Custom(i) });
        }
    }
    v
}

pub fn mobile_hash(m: u64) -> u64 {
    let mut h = KeyHasher::tagged("mobile");
    let _ = write!(h, "{m}");
    h.finish()
}

/// A mobile (`mobile` true) or e-mail (its hash) counted under the name of
/// the record holding it: how many records hold the number *under this
/// name* (see `Scorer::holders`).
pub fn named_reach_hash(name_key: &str, mobile: bool, reach: u64) -> u64 {
    let mut h = KeyHasher::tagged(if mobile { "named_mobile" } else { "named_email" });
    h.push(name_key);
    h.end_tag();
    let _ = write!(h, "{reach}");
    h.finish()
}

pub fn name_hash(key: &str) -> u64 {
    key_hash("name", key)
}

pub fn contact_hash(c: &str) -> u64 {
    key_hash("contact", c)
}

/// Counted per candidate pair (term frequency): hashed as written, not
/// formatted into a string first.
fn custom_hasher(index: usize) -> KeyHasher {
    let mut h = KeyHasher::start();
    let _ = write!(h, "custom{index}");
    h.end_tag();
    h
}

pub fn custom_hash(index: usize, v: &str) -> u64 {
    let mut h = custom_hasher(index);
    h.push(v);
    h.finish()
}

/// A custom date (days since 1970) hashed as its number is written.
pub fn custom_date_hash(index: usize, days: i32) -> u64 {
    let mut h = custom_hasher(index);
    let _ = write!(h, "{days}");
    h.finish()
}

/// The hash under which a custom value blocks and is counted.
pub fn custom_value_hash(index: usize, v: &super::CustomValue) -> Option<u64> {
    match v {
        super::CustomValue::Text(t) => Some(custom_hash(index, t)),
        super::CustomValue::Date(d) => Some(custom_date_hash(index, *d)),
        super::CustomValue::Number(_) => None,
    }
}

/// The hash of one word of a person's name (counted for term frequency).
pub fn part_hash(w: &str) -> u64 {
    key_hash("part", w)
}

/// Longest name prefix the deletion neighbourhood is built on: a typo past
/// it leaves the prefix itself shared, and the key count per record stays
/// bounded.
const TYPO_PREFIX: usize = 24;

fn phonetic_code(w: &str) -> String {
    use rphonetic::Encoder;
    // Double Metaphone over letters only; digits have no sound.
    let letters: String = w.chars().filter(char::is_ascii_alphabetic).collect();
    if letters.is_empty() {
        return String::new();
    }
    rphonetic::DoubleMetaphone::default().encode(&letters)
}

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// The hashes of one kind of key a record has.
pub fn keys_of(kind: KeyKind, r: &Record, out: &mut Vec<u64>) {
    match kind {
        KeyKind::Mobile => out.extend(r.mobiles.iter().map(|&m| mobile_hash(m))),
        KeyKind::Landline => out.extend(&r.landlines),
        KeyKind::Email => out.extend(&r.emails),
        KeyKind::Name => {
            if !r.key.is_empty() {
                out.push(name_hash(&r.key))
            }
        }
        KeyKind::Brand => {
            if let Some(b) = r.brand().filter(|b| b.chars().count() >= 2) {
                // Brands and cores share one key space: `星辰` (a short name)
                // meets the brand of `星辰电子科技`.
                out.push(name_hash(b));
            }
        }
        KeyKind::Pinyin => {
            if has_han(&r.key) {
                out.push(key_hash("pinyin", &pinyin_key(&r.key)));
            }
        }
        KeyKind::ContactCity => {
            if let Some(place) = r.city.or(r.province).or(r.region) {
                for c in &r.contacts {
                    out.push(key_hash("contact_city", &format!("{c}|{place}")));
                }
            }
        }
        KeyKind::Custom(i) => {
            if let Some(Some(v)) = r.custom.get(i) {
                out.extend(custom_value_hash(i, v));
            }
        }
        KeyKind::NameSorted => {
            if r.parts.words.len() >= 2 {
                let mut w: Vec<&str> = r.parts.words.iter().map(|w| &**w).collect();
                w.sort_unstable();
                let mut h = KeyHasher::tagged("name_sorted");
                for (i, w) in w.iter().enumerate() {
                    if i > 0 {
                        h.push(" ");
                    }
                    h.push(w);
                }
                out.push(h.finish());
            }
        }
        KeyKind::SurnameInitial => {
            let w = &r.parts.words;
            if w.len() >= 2 {
                let (first, last) = (&w[0], &w[w.len() - 1]);
                for (x, y) in [(last, first), (first, last)] {
                    if let Some(c) = y.chars().next() {
                        let mut h = KeyHasher::tagged("surname_initial");
                        let _ = write!(h, "{x} {c}");
                        out.push(h.finish());
                    }
                }
            }
        }
        KeyKind::Phonetic => {
            if r.parts.latin {
                let mut codes: Vec<String> = r.parts.words.iter().map(|w| phonetic_code(w)).collect();
                codes.retain(|c| !c.is_empty());
                if !codes.is_empty() {
                    codes.sort_unstable();
                    out.push(key_hash("phonetic", &codes.join(" ")));
                }
            }
        }
        KeyKind::NameWith => out.extend(r.name_with.iter()),
        KeyKind::NameTypo => {
            if r.parts.latin || (!r.key.is_empty() && !has_han(&r.key) && r.key.chars().any(char::is_alphabetic)) {
                // Byte offsets of the prefix's characters, and where it ends:
                // each variant is hashed from the two slices around the
                // character it drops, without building it.
                let starts: Vec<usize> = r.key.char_indices().map(|(i, _)| i).take(TYPO_PREFIX + 1).collect();
                let n = starts.len().min(TYPO_PREFIX);
                if n >= 4 {
                    let end = starts.get(TYPO_PREFIX).copied().unwrap_or(r.key.len());
                    let s = &r.key[..end];
                    out.push(key_hash("typo", s));
                    for skip in 0..n {
                        let next = starts.get(skip + 1).copied().unwrap_or(end);
                        let mut h = KeyHasher::tagged("typo");
                        h.push(&s[..starts[skip]]);
                        h.push(&s[next..]);
                        out.push(h.finish());
                    }
                }
            }
        }
        KeyKind::Address => out.extend(r.address_key),
        KeyKind::NamePrefix => {
            if !r.person && has_han(&r.key) {
                let end = r.key.char_indices().nth(NAME_PREFIX_CHARS).map_or(r.key.len(), |(i, _)| i);
                if r.key[..end].chars().count() == NAME_PREFIX_CHARS {
                    out.push(key_hash("name_prefix", &r.key[..end]));
                }
            }
        }
    }
}

/// Every hash stored for a record between runs: its blocking keys and the
/// values whose frequency adjusts weights (contact names, e-mail users and
/// domains).
pub fn stored_keys(keys: &[KeyDef], r: &Record) -> Vec<u64> {
    let mut v = Vec::new();
    for k in keys {
        keys_of(k.kind, r, &mut v);
    }
    // Frequencies are needed even when the key is not used for blocking.
    for kind in [KeyKind::Mobile, KeyKind::Landline, KeyKind::Email, KeyKind::Name] {
        keys_of(kind, r, &mut v);
    }
    for (i, c) in r.custom.iter().enumerate() {
        if let Some(c) = c {
            v.extend(custom_value_hash(i, c));
        }
    }
    v.extend(r.parts.words.iter().map(|w| part_hash(w)));
    v.extend(r.contacts.iter().map(|c| contact_hash(c)));
    if !r.key.is_empty() {
        v.extend(r.mobiles.iter().map(|&m| named_reach_hash(&r.key, true, m)));
        v.extend(r.emails.iter().map(|&e| named_reach_hash(&r.key, false, e)));
    }
    v.extend(&r.domains);
    v.extend(&r.users);
    v.sort_unstable();
    v.dedup();
    v
}

/// What one key did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeyStats {
    pub key: String,
    pub blocks: u64,
    /// Pairs this key produced (a pair can come from several keys).
    pub pairs: u64,
    /// Blocks over the cap that were split by place.
    pub split_blocks: u64,
    /// Records in (sub-)blocks still over the cap, which were skipped.
    pub skipped_blocks: u64,
    pub skipped_records: u64,
}

fn place_hash(r: &Record) -> u64 {
    key_hash("place", r.city.or(r.province).or(r.region).unwrap_or(""))
}

/// Emits the pairs of one block (indices into `records`), honouring the cap.
fn emit_block(
    members: &mut [u32],
    records: &[Record],
    cap: usize,
    bit: u32,
    st: &mut KeyStats,
    out: &mut Vec<(u64, u32)>,
) {
    let emit = |m: &[u32], st: &mut KeyStats, out: &mut Vec<(u64, u32)>| {
        st.blocks += 1;
        for i in 0..m.len() {
            for j in i + 1..m.len() {
                let (a, b) = if m[i] < m[j] { (m[i], m[j]) } else { (m[j], m[i]) };
                out.push(((a as u64) << 32 | b as u64, bit));
                st.pairs += 1;
            }
        }
    };
    if members.len() <= cap {
        emit(members, st, out);
        return;
    }
    st.split_blocks += 1;
    members.sort_unstable_by_key(|&i| place_hash(&records[i as usize]));
    for sub in members.chunk_by(|&x, &y| place_hash(&records[x as usize]) == place_hash(&records[y as usize])) {
        if sub.len() <= cap {
            emit(sub, st, out);
        } else {
            st.skipped_blocks += 1;
            st.skipped_records += sub.len() as u64;
        }
    }
}

/// Candidate pairs `(a << 32 | b, key bits)` with a < b, sorted and distinct,
/// and what each key produced.
pub fn candidate_pairs(records: &[Record], keys: &[KeyDef], cap: usize) -> (Vec<(u64, u32)>, Vec<KeyStats>) {
    let mut all: Vec<(u64, u32)> = Vec::new();
    let mut stats = Vec::new();
    let mut buf = Vec::new();
    for (bit, k) in keys.iter().enumerate() {
        let mut st = KeyStats { key: k.name.clone(), ..Default::default() };
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            buf.clear();
            keys_of(k.kind, r, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            entries.extend(buf.iter().map(|&h| (h, i as u32)));
        }
        entries.sort_unstable();
        let mut members: Vec<u32> = Vec::new();
        for group in entries.chunk_by(|x, y| x.0 == y.0) {
            if group.len() < 2 {
                continue;
            }
            members.clear();
            members.extend(group.iter().map(|e| e.1));
            emit_block(&mut members, records, cap, 1 << bit, &mut st, &mut all);
        }
        stats.push(st);
        // Merge as we go so that memory holds distinct pairs, not every key's copy.
        if all.len() > 4 * records.len() {
            merge(&mut all);
        }
    }
    merge(&mut all);
    (all, stats)
}

fn merge(v: &mut Vec<(u64, u32)>) {
    v.sort_unstable_by_key(|p| p.0);
    v.dedup_by(|later, first| {
        if later.0 == first.0 {
            first.1 |= later.1;
            true
        } else {
            false
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{CustomType, InputRecord};

    fn rec(name: &str, city: &str, dob: &str, addr: &str) -> Record {
        let custom = [("postcode".to_string(), CustomType::Identifier), ("dob".to_string(), CustomType::Date)];
        let n = crate::clean::company::normalize(name).unwrap();
        Record::from_input(
            &InputRecord {
                name: n.full.clone(),
                name_core: Some(n.core),
                city: Some(city.into()),
                address: Some(addr.into()),
                custom: vec![("postcode".into(), "2530".into()), ("dob".into(), dob.into())],
                ..Default::default()
            },
            &custom,
        )
    }

    fn meet(kind: KeyKind, a: &Record, b: &Record) -> bool {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        keys_of(kind, a, &mut x);
        keys_of(kind, b, &mut y);
        x.iter().any(|h| y.contains(h))
    }

    #[test]
    fn person_name_keys_meet_swapped_abbreviated_and_misspelt_names() {
        let base = rec("thomas keller", "dapto", "1970-03-12", "6 tullaroop street");
        let swapped = rec("keller thomas", "bega", "1980-01-01", "1 other road");
        assert!(meet(KeyKind::NameSorted, &base, &swapped));
        assert!(!meet(KeyKind::Name, &base, &swapped));
        assert!(meet(KeyKind::SurnameInitial, &base, &rec("t keller", "x", "1990-01-01", "y")));
        assert!(meet(KeyKind::SurnameInitial, &base, &swapped));
        assert!(meet(KeyKind::Phonetic, &rec("john smith", "a", "", ""), &rec("jon smyth", "b", "", "")));
        // One typo in the name and one in the date: the typo key still meets.
        let typo = rec("thomas kelker", "dapto", "1970-03-13", "6 tullaroop street");
        assert!(meet(KeyKind::NameTypo, &base, &typo));
        assert!(!meet(KeyKind::NameTypo, &base, &rec("thomas baker", "dapto", "1970-03-12", "")));
        // Weak keys combined: surname + postcode, given name + date of birth.
        let moved = rec("thomas kellar", "bega", "1970-03-12", "2 new street");
        assert!(meet(KeyKind::NameWith, &base, &moved));
        assert!(meet(KeyKind::Address, &base, &rec("t kelly", "x", "", "6 Tullaroop  Street")));
        assert!(meet(KeyKind::Custom(1), &base, &rec("anna smith", "x", "1970-03-12", "")));
        // A short name with part of an industry word meets the full name
        // by its start; a two-character core is too short to have one.
        let full = rec("上海耀科邦文化传媒有限公司", "上海", "", "");
        assert!(meet(KeyKind::NamePrefix, &full, &rec("耀科邦文化", "", "", "")));
        assert!(!meet(KeyKind::NamePrefix, &full, &rec("耀华文化传媒有限公司", "上海", "", "")));
        let mut v = Vec::new();
        keys_of(KeyKind::NamePrefix, &rec("华通", "北京", "", ""), &mut v);
        assert!(v.is_empty(), "{v:?}");
        // A CJK company has no person-name keys.
        let mut v = Vec::new();
        for k in [KeyKind::NameSorted, KeyKind::SurnameInitial, KeyKind::Phonetic, KeyKind::NameTypo] {
            keys_of(k, &rec("北京星辰科技有限公司", "北京", "", ""), &mut v);
        }
        assert!(v.is_empty());
    }
    fn born(name: &str, city: &str, dob: &str) -> Record {
        let custom = [("dob".to_string(), CustomType::Date)];
        let n = crate::clean::company::normalize(name).unwrap();
        let input = InputRecord {
            name: n.full.clone(),
            name_core: Some(n.core),
            city: Some(city.into()),
            custom: vec![("dob".into(), dob.into())],
            ..Default::default()
        };
        Record::from_input(&input, &custom)
    }

    #[test]
    fn a_name_word_meets_its_date_with_one_typo() {
        // Other cities and other spellings: only a name word and the date
        // can bring these together.
        let base = born("freya shah", "london", "1970-12-16");
        assert!(meet(KeyKind::NameWith, &base, &born("freya", "lonnod", "1970-12-17")));
        assert!(meet(KeyKind::NameWith, &base, &born("shah freja", "york", "1976-12-16")));
        // Two neighbouring digits swapped, as the comparison's `typo` level
        // counts them.
        assert!(meet(KeyKind::NameWith, &base, &born("freya shaw", "york", "1907-12-16")));
        assert!(meet(KeyKind::NameWith, &base, &born("freya shaw", "york", "1790-12-16")));
        // Day and month swapped, where both can be a month.
        let swapped = born("anna smith", "leeds", "1980-03-12");
        assert!(meet(KeyKind::NameWith, &swapped, &born("anna smyth", "bath", "1980-12-03")));
        // Two digits apart, not neighbours, or no word in common: not a key.
        assert!(!meet(KeyKind::NameWith, &base, &born("freya", "york", "1971-12-26")));
        assert!(!meet(KeyKind::NameWith, &base, &born("freya", "york", "1970-02-15")));
        assert!(!meet(KeyKind::NameWith, &base, &born("maya jones", "london", "1970-12-17")));
    }
}
