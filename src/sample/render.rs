//! Surface forms: how one true value ends up typed in a cell.
//!
//! Every function appends to a cell buffer and draws its own variation, so two rows of the same customer
//! differ the way real exports do (format, typos, missing parts) while the underlying fact stays the same.
//! How careless the typist is depends on the [`Src`].

use super::entity::{civil_from_days, push_num, Entity, LandKind, Landline, Person, Region, Tables};
use super::pools::{
    BLOCKS, BUILDING_SUFFIX, CITIES, CORE, ESTATE_SUFFIX, HOLDING_LEGAL, INDUSTRIES, LEGAL, LEGAL_LLC, LEGAL_LLC_LONG,
    NAME_MARKS, ROADS, TRADITIONAL,
};
use super::rng::Rng;

/// Which kind of record a cell belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Src {
    /// The customer's main CRM record: system export, fairly clean.
    Sales,
    /// A second record of the same customer typed by someone else later.
    SalesDup,
    /// Service desk: agents type short names and "王先生".
    Service,
    /// Hand-typed sign-up sheet: the messiest.
    Marketing,
}

impl Src {
    fn mess(self) -> f64 {
        match self {
            Src::Sales => 1.0,
            Src::SalesDup => 2.0,
            Src::Service => 1.5,
            Src::Marketing => 3.0,
        }
    }
}

fn push_fullwidth_digits(out: &mut String, digits: &[u8]) {
    for &d in digits {
        out.push(char::from_u32(0xFF10 + u32::from(d - b'0')).unwrap_or('?'));
    }
}

fn push_ascii(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(b));
    }
}

fn digits11(m: u64) -> [u8; 11] {
    let mut d = [b'0'; 11];
    let mut m = m;
    for i in (0..11).rev() {
        d[i] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    d
}

/// A mobile number in one of the forms real exports contain (separators, country code, full-width digits,
/// Excel float damage, a remark appended); the importer has to recover the 11 digits from each of them.
pub fn mobile(out: &mut String, rng: &mut Rng, m: u64, src: Src) {
    let d = digits11(m);
    if !rng.chance(0.09 * src.mess()) {
        push_ascii(out, &d);
        return;
    }
    let grouped = |out: &mut String, sep: &str| {
        push_ascii(out, &d[..3]);
        out.push_str(sep);
        push_ascii(out, &d[3..7]);
        out.push_str(sep);
        push_ascii(out, &d[7..]);
    };
    match rng.below(22) {
        0..=4 => grouped(out, "-"),
        5..=6 => grouped(out, " "),
        7 => grouped(out, if rng.chance(0.5) { "–" } else { "—" }),
        8 => {
            out.push_str("+86 ");
            push_ascii(out, &d);
        }
        9 => {
            out.push_str(if rng.chance(0.5) { "+86" } else { "+86-" });
            push_ascii(out, &d);
        }
        10 => {
            out.push_str(if rng.chance(0.5) { "0086-" } else { "0086" });
            push_ascii(out, &d);
        }
        11 => {
            out.push_str("86");
            push_ascii(out, &d);
        }
        12 => push_fullwidth_digits(out, &d),
        13 => {
            push_ascii(out, &d);
            out.push_str(".0");
        }
        14 => {
            // Excel's scientific display keeps every digit of an 11-digit number; trailing zeros vanish.
            let end = d.iter().rposition(|&c| c != b'0').unwrap_or(0) + 1;
            out.push(char::from(d[0]));
            if end > 1 {
                out.push('.');
                push_ascii(out, &d[1..end]);
            }
            out.push_str("E10");
        }
        15 => {
            out.push(' ');
            push_ascii(out, &d);
            out.push(' ');
        }
        16 => {
            out.push_str("(+86)");
            push_ascii(out, &d);
        }
        17 => {
            push_ascii(out, &d[..3]);
            out.push(' ');
            push_ascii(out, &d[3..]);
        }
        18 => {
            push_ascii(out, &d);
            out.push_str(["(微信同号)", "（手机）", " 微信同号"][rng.idx(3)]);
        }
        _ => grouped(out, "-"),
    }
}

/// A landline or 400 number. Area code, separators and extension are written in many ways, and some
/// rows drop the area code entirely (it is implied by the city), which only the city can restore.
pub fn landline(out: &mut String, rng: &mut Rng, l: &Landline, src: Src) {
    let mut local = [b'0'; 8];
    let mut x = l.local;
    for i in (0..8).rev() {
        local[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    if l.kind == LandKind::Service {
        // local holds 7 digits for 400 numbers.
        let d = &local[1..];
        match rng.below(10) {
            0..=5 => {
                out.push_str("400-");
                push_ascii(out, &d[..3]);
                out.push('-');
                push_ascii(out, &d[3..]);
            }
            6..=7 => {
                out.push_str("400");
                push_ascii(out, d);
            }
            8 => {
                out.push_str("400 ");
                push_ascii(out, &d[..3]);
                out.push(' ');
                push_ascii(out, &d[3..]);
            }
            _ => {
                out.push_str("400-");
                push_ascii(out, &d[..4]);
                out.push('-');
                push_ascii(out, &d[4..]);
            }
        }
        return;
    }
    let area = CITIES[l.city].area;
    let messy = rng.chance(0.2 * src.mess());
    match if messy { rng.below(12) } else { 0 } {
        0 => {
            out.push_str(area);
            out.push('-');
            push_ascii(out, &local);
        }
        1 => {
            out.push_str(area);
            push_ascii(out, &local);
        }
        2 => {
            out.push('(');
            out.push_str(area);
            out.push(')');
            push_ascii(out, &local);
        }
        3 => {
            out.push('（');
            out.push_str(area);
            out.push('）');
            push_ascii(out, &local);
        }
        4 => {
            out.push_str(area);
            out.push(' ');
            push_ascii(out, &local[..4]);
            out.push(' ');
            push_ascii(out, &local[4..]);
        }
        5 => {
            out.push_str(area);
            out.push('-');
            push_ascii(out, &local[..4]);
            out.push('-');
            push_ascii(out, &local[4..]);
        }
        6 => {
            out.push('(');
            out.push_str(area);
            out.push(')');
            push_ascii(out, &local[..4]);
            out.push('-');
            push_ascii(out, &local[4..]);
        }
        7 | 8 => push_ascii(out, &local),
        9 => {
            out.push_str(area);
            out.push('–');
            push_ascii(out, &local);
        }
        10 => {
            let mut all = Vec::with_capacity(12);
            all.extend_from_slice(area.as_bytes());
            all.push(b'-');
            all.extend_from_slice(&local);
            for &b in &all {
                if b == b'-' {
                    out.push('－');
                } else {
                    push_fullwidth_digits(out, &[b]);
                }
            }
        }
        _ => {
            out.push_str("+86-");
            out.push_str(&area[1..]);
            out.push('-');
            push_ascii(out, &local);
        }
    }
    if l.ext != 0 && !rng.chance(0.2) {
        out.push_str(["转", "-", " ext.", "分机", "#", " 转 "][rng.skewed(6)]);
        push_num(out, u64::from(l.ext), 3);
    }
}

/// A calendar date in one of the formats Chinese spreadsheets accumulate, now and then an Excel serial
/// or an impossible date, because an importer that only knows ISO dates fails on the first real file.
pub fn date(out: &mut String, rng: &mut Rng, day: i32, src: Src) {
    let (y, m, d) = civil_from_days(day);
    if rng.chance(0.003 * src.mess()) {
        bad_date(out, rng, y);
        return;
    }
    let r = rng.below(1000);
    let iso_share = match src {
        Src::Sales => 700,
        Src::SalesDup => 450,
        Src::Service => 500,
        Src::Marketing => 200,
    };
    if r < iso_share {
        ymd(out, y, m, d, "-", true);
        return;
    }
    match rng.below(20) {
        0..=3 => ymd(out, y, m, d, "/", false),
        4..=5 => ymd(out, y, m, d, "/", true),
        6..=7 => ymd(out, y, m, d, ".", true),
        8 => ymd(out, y, m, d, ".", false),
        9..=11 => {
            push_num(out, y as u64, 4);
            out.push('年');
            push_num(out, u64::from(m), 1);
            out.push('月');
            push_num(out, u64::from(d), 1);
            out.push('日');
        }
        12..=13 => ymd(out, y, m, d, "", true),
        14..=15 => ymd(out, y, m, d, "-", false),
        16 => {
            ymd(out, y, m, d, "-", true);
            out.push_str(" 00:00:00");
        }
        17 => push_num(out, (day + 25_569) as u64, 1),
        18 if src == Src::Marketing => {
            // US order, from an English-locale Excel.
            push_num(out, u64::from(m), 1);
            out.push('/');
            push_num(out, u64::from(d), 1);
            out.push('/');
            push_num(out, y as u64, 4);
        }
        _ => ymd(out, y, m, d, "/", false),
    }
}

/// Ticket systems stamp date and time, so service rows carry both, in the usual variety of formats.
pub fn datetime(out: &mut String, rng: &mut Rng, day: i32, minute: u32, src: Src) {
    let (y, m, d) = civil_from_days(day);
    let (hh, mm, ss) = (u64::from(minute / 60), u64::from(minute % 60), u64::from(minute * 7 % 60));
    if rng.chance(0.002 * src.mess()) {
        bad_date(out, rng, y);
        return;
    }
    let time = |out: &mut String, secs: bool| {
        push_num(out, hh, 2);
        out.push(':');
        push_num(out, mm, 2);
        if secs {
            out.push(':');
            push_num(out, ss, 2);
        }
    };
    match rng.below(100) {
        0..=59 => {
            ymd(out, y, m, d, "-", true);
            out.push(' ');
            time(out, true);
        }
        60..=79 => {
            ymd(out, y, m, d, "/", false);
            out.push(' ');
            time(out, false);
        }
        80..=84 => {
            ymd(out, y, m, d, "-", true);
            out.push('T');
            time(out, true);
        }
        85..=94 => ymd(out, y, m, d, "-", true),
        95..=97 => {
            push_num(out, y as u64, 4);
            out.push('年');
            push_num(out, u64::from(m), 1);
            out.push('月');
            push_num(out, u64::from(d), 1);
            out.push_str("日 ");
            time(out, false);
        }
        _ => {
            // Excel serial with a day fraction.
            push_num(out, (day + 25_569) as u64, 1);
            out.push('.');
            push_num(out, u64::from(minute) * 10_000 / 1440, 4);
        }
    }
}

fn ymd(out: &mut String, y: i32, m: u32, d: u32, sep: &str, pad: bool) {
    let w = if pad { 2 } else { 1 };
    push_num(out, y as u64, 4);
    out.push_str(sep);
    push_num(out, u64::from(m), w);
    out.push_str(sep);
    push_num(out, u64::from(d), w);
}

fn bad_date(out: &mut String, rng: &mut Rng, y: i32) {
    let y = y as u64;
    push_num(out, y, 4);
    match rng.below(6) {
        0 => out.push_str("-13-45"),
        1 => out.push_str("-02-30"),
        2 => out.push_str("-04-31"),
        3 => out.push_str("-00-12"),
        4 => out.push_str("/6/32"),
        _ => out.push_str("-11-31"),
    }
}

/// An e-mail address with case, width and whitespace damage; a few are not addresses at all.
pub fn email(out: &mut String, rng: &mut Rng, canonical: &str, src: Src) {
    if !rng.chance(0.06 * src.mess()) {
        out.push_str(canonical);
        return;
    }
    let at = canonical.find('@').unwrap_or(canonical.len());
    match rng.below(12) {
        0..=1 => out.push_str(&canonical.to_ascii_uppercase()),
        2..=3 => {
            let mut cs = canonical.chars();
            if let Some(c) = cs.next() {
                out.push(c.to_ascii_uppercase());
            }
            out.push_str(cs.as_str());
        }
        4 => {
            out.push_str(&canonical[..at]);
            out.push('＠');
            out.push_str(canonical.get(at + 1..).unwrap_or(""));
        }
        5 => {
            out.push(' ');
            out.push_str(canonical);
        }
        6 => {
            out.push_str(&canonical[..at]);
            out.push_str(" @");
            out.push_str(canonical.get(at + 1..).unwrap_or(""));
        }
        7 => {
            out.push_str(canonical);
            out.push_str(["；", ";", " ", "。"][rng.idx(4)]);
        }
        // The rest are invalid: the importer must reject them rather than guess.
        8 => {
            out.push_str(&canonical[..at]);
            out.push('@');
        }
        9 => {
            out.push_str(&canonical[..at]);
            out.push('#');
            out.push_str(canonical.get(at + 1..).unwrap_or(""));
        }
        10 => {
            let dot = canonical.rfind('.').unwrap_or(canonical.len());
            out.push_str(&canonical[..dot]);
        }
        _ => {
            out.push_str(&canonical[..at]);
            out.push_str("@@");
            out.push_str(canonical.get(at + 1..).unwrap_or(""));
        }
    }
}

fn push_trad(out: &mut String, s: &str) {
    for c in s.chars() {
        out.push(TRADITIONAL.iter().find(|p| p.0 == c).map_or(c, |p| p.1));
    }
}

/// Copy `tmp` to `out`, possibly in traditional characters, with stray whitespace and marks.
fn finish_name(out: &mut String, rng: &mut Rng, tmp: &str, cuts: &[usize], src: Src) {
    let m = src.mess();
    let trad = rng.chance(0.008 * m);
    let lead = rng.chance(0.006 * m);
    if lead {
        out.push(if rng.chance(0.5) { ' ' } else { '\u{3000}' });
    }
    let space_at = if rng.chance(0.012 * m) && !cuts.is_empty() { Some(cuts[rng.idx(cuts.len())]) } else { None };
    let mut prev = 0;
    for &cut in cuts.iter().chain(std::iter::once(&tmp.len())) {
        let part = &tmp[prev..cut];
        if trad {
            push_trad(out, part);
        } else {
            out.push_str(part);
        }
        if space_at == Some(cut) {
            out.push(if rng.chance(0.6) { ' ' } else { '\u{3000}' });
        }
        prev = cut;
    }
    if rng.chance(0.006 * m) {
        out.push(if rng.chance(0.5) { ' ' } else { '\u{3000}' });
    }
    if rng.chance(0.004 * m) {
        out.push_str(NAME_MARKS[rng.skewed(NAME_MARKS.len())]);
    }
}

fn region_text(e: &Entity, r: Region) -> &'static str {
    let c = e.city();
    match r {
        Region::None => "",
        Region::Prefix | Region::Bracket => c.short,
        Region::PrefixShi => c.name,
        Region::Province => c.prov_short,
    }
}

/// The core name as typed: occasionally with an input-method homophone or a one-character slip.
fn push_core(out: &mut String, rng: &mut Rng, t: &Tables, e: &Entity, src: Src) {
    let m = src.mess();
    let mut core = e.core;
    let n = e.core_len;
    if rng.chance(0.006 * m) {
        let start = rng.idx(n);
        for k in 0..n {
            let i = (start + k) % n;
            let hs = &t.homophones[core[i] as usize];
            if !hs.is_empty() {
                core[i] = hs[rng.idx(hs.len())];
                break;
            }
        }
    } else if rng.chance(0.004 * m) {
        let i = rng.idx(n);
        let c = rng.idx(CORE.len()) as u16;
        if c != core[i] {
            core[i] = c;
        }
    }
    for &c in &core[..n] {
        out.push_str(CORE[c as usize].0);
    }
}

/// A company name: region form, short names, typos, traditional characters, whitespace, marks.
pub fn company_name(out: &mut String, rng: &mut Rng, t: &Tables, e: &Entity, src: Src, tmp: &mut String) {
    let m = src.mess();
    tmp.clear();
    let mut cuts = [0usize; 3];
    let mut ncuts = 0;
    let mut region = e.region;
    if rng.chance(0.05 * m) {
        region = if region == Region::None {
            if rng.chance(0.7) {
                Region::Prefix
            } else {
                Region::PrefixShi
            }
        } else {
            match rng.below(10) {
                0..=4 => Region::None,
                5..=6 if region != Region::Bracket => Region::Bracket,
                7 if region != Region::Prefix => Region::Prefix,
                _ if region != Region::PrefixShi => Region::PrefixShi,
                _ => Region::None,
            }
        };
    }
    let words = INDUSTRIES[e.industry].name_words;
    let word = words[e.word];
    let short = if rng.chance(0.035 * m) { 1 + rng.below(10) } else { 0 };
    if short == 0 {
        if matches!(region, Region::Prefix | Region::PrefixShi | Region::Province) {
            tmp.push_str(region_text(e, region));
            cuts[ncuts] = tmp.len();
            ncuts += 1;
        }
        push_core(tmp, rng, t, e, src);
        if region == Region::Bracket {
            let half = rng.chance(0.35);
            tmp.push(if half { '(' } else { '（' });
            tmp.push_str(region_text(e, region));
            tmp.push(if half { ')' } else { '）' });
        }
        match e.holding {
            Some(h) => {
                cuts[ncuts] = tmp.len();
                ncuts += 1;
                tmp.push_str(HOLDING_LEGAL[h]);
            }
            None => {
                tmp.push_str(word);
                cuts[ncuts] = tmp.len();
                ncuts += 1;
                let legal = match e.legal {
                    LEGAL_LLC if rng.chance(0.015 * m) => LEGAL_LLC_LONG,
                    LEGAL_LLC_LONG if rng.chance(0.03 * m) => LEGAL_LLC,
                    l => l,
                };
                tmp.push_str(LEGAL[legal].0);
            }
        }
    } else {
        if short >= 9 && region != Region::None {
            tmp.push_str(e.city().short);
        }
        push_core(tmp, rng, t, e, src);
        match (short, e.holding) {
            (_, Some(_)) => tmp.push_str("集团"),
            (7 | 8, None) => tmp.push_str("公司"),
            _ => tmp.push_str(word),
        }
    }
    finish_name(out, rng, tmp, &cuts[..ncuts], src);
}

/// A person's full name. People type names carefully, so noise is rare; the stray space between surname
/// and given name is the one slip common enough to matter.
pub fn person_name(out: &mut String, rng: &mut Rng, p: &Person, src: Src) {
    let m = src.mess();
    let trad = rng.chance(0.003 * m);
    let push = |out: &mut String, s: &str| if trad { push_trad(out, s) } else { out.push_str(s) };
    push(out, p.surname.0);
    if rng.chance(0.01 * m) {
        out.push(if rng.chance(0.7) { ' ' } else { '\u{3000}' });
    }
    for g in p.given() {
        push(out, g.0);
    }
    if rng.chance(0.004 * m) {
        out.push(' ');
    }
}

const MALE_TITLES: &[&str] = &["经理", "总", "工", "主任", "总监", "先生"];
const FEMALE_TITLES: &[&str] = &["经理", "总", "主任", "老师", "女士"];

fn title(rng: &mut Rng, p: &Person, agent: bool, src: Src) -> &'static str {
    if agent {
        return "会计";
    }
    if src == Src::Service && rng.chance(0.6) {
        return if p.female { "女士" } else { "先生" };
    }
    let pool = if p.female { FEMALE_TITLES } else { MALE_TITLES };
    pool[rng.skewed(pool.len())]
}

/// A contact person: full name, or surname + title (王经理, 李总, 刘会计), or full name + title.
pub fn contact(out: &mut String, rng: &mut Rng, p: &Person, agent: bool, src: Src) {
    let (full, title_only) = match src {
        Src::Sales => (85, 10),
        Src::SalesDup => (72, 20),
        Src::Service => (55, 38),
        Src::Marketing => (86, 8),
    };
    let title_only = if agent { title_only + 25 } else { title_only };
    let r = rng.below(100);
    if r < full.min(100 - title_only) {
        person_name(out, rng, p, src);
    } else if r < full.min(100 - title_only) + title_only {
        out.push_str(p.surname.0);
        out.push_str(title(rng, p, agent, src));
    } else {
        person_name(out, rng, p, src);
        let t = title(rng, p, agent, src);
        if rng.chance(0.5) {
            out.push_str(t);
        } else {
            out.push('(');
            out.push_str(t);
            out.push(')');
        }
    }
}

/// The province cell: full (广东省) or short (广东), as both are common.
pub fn province(out: &mut String, rng: &mut Rng, e: &Entity) {
    let c = e.city();
    out.push_str(if rng.chance(0.7) { c.province } else { c.prov_short });
}

/// The city cell; hand-typed sheets sometimes carry pinyin or the province too.
pub fn city(out: &mut String, rng: &mut Rng, e: &Entity, src: Src) {
    let c = e.city();
    let r = rng.below(100);
    if src == Src::Marketing && r < 4 {
        out.push_str(c.pinyin);
    } else if r < 6 && c.province != c.name {
        out.push_str(c.prov_short);
        out.push_str(c.name);
    } else if r < 70 {
        out.push_str(c.name);
    } else {
        out.push_str(c.short);
    }
}

/// The full address with province and city present, partly present or absent.
pub fn address(out: &mut String, rng: &mut Rng, e: &Entity, src: Src) {
    let c = e.city();
    let a = &e.addr;
    let sep = if rng.chance(0.03 * src.mess()) { " " } else { "" };
    match rng.below(100) {
        0..=39 => {
            if c.province != c.name {
                out.push_str(c.province);
                out.push_str(sep);
            }
            out.push_str(c.name);
        }
        40..=69 => out.push_str(c.name),
        70..=79 => out.push_str(c.short),
        _ => {}
    }
    out.push_str(sep);
    out.push_str(c.districts[a.district % c.districts.len()]);
    out.push_str(ROADS[a.road]);
    push_num(out, u64::from(a.no), 1);
    out.push_str(if rng.chance(0.04) { "#" } else { "号" });
    out.push_str(sep);
    out.push_str(CORE[a.bname[0] as usize].0);
    out.push_str(CORE[a.bname[1] as usize].0);
    if a.residential {
        out.push_str(ESTATE_SUFFIX[a.suffix % ESTATE_SUFFIX.len()]);
        push_num(out, u64::from(a.floor % 12 + 1), 1);
        out.push('栋');
        push_num(out, u64::from(a.room % 4 + 1), 1);
        out.push_str("单元");
        push_num(out, u64::from(a.floor), 1);
        push_num(out, u64::from(a.room), 2);
    } else {
        out.push_str(BUILDING_SUFFIX[a.suffix]);
        out.push_str(BLOCKS[a.block]);
        push_num(out, u64::from(a.floor), 1);
        push_num(out, u64::from(a.room), 2);
        if rng.chance(0.7) {
            out.push('室');
        }
    }
}

/// The industry cell in free text: the importer must map many wordings onto one GB/T 4754 section.
pub fn industry(out: &mut String, rng: &mut Rng, e: &Entity) {
    let w = INDUSTRIES[e.industry].wordings;
    out.push_str(if rng.chance(0.4) { w[0] } else { w[rng.idx(w.len())] });
}

/// A contract amount in yuan, as typed by sales people (plain, 万, ¥ with thousands separators).
pub fn amount(out: &mut String, rng: &mut Rng, yuan: u64) {
    match rng.below(10) {
        0..=4 => push_num(out, yuan, 1),
        5 => {
            push_num(out, yuan, 1);
            out.push_str(".00");
        }
        6 => {
            out.push('¥');
            thousands(out, yuan);
            out.push_str(".00");
        }
        7 => thousands(out, yuan),
        _ => {
            push_num(out, yuan / 10_000, 1);
            let rest = yuan % 10_000;
            if rest != 0 {
                out.push('.');
                let mut frac = rest;
                let mut width = 4;
                while frac % 10 == 0 {
                    frac /= 10;
                    width -= 1;
                }
                push_num(out, frac, width);
            }
            out.push_str(if rng.chance(0.5) { "万" } else { "万元" });
        }
    }
}

fn thousands(out: &mut String, n: u64) {
    if n >= 1000 {
        thousands(out, n / 1000);
        out.push(',');
        push_num(out, n % 1000, 3);
    } else {
        push_num(out, n, 1);
    }
}
