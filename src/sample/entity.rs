//! True customers: what is really the case, before any export, typist or Excel damages it.
//!
//! An [`Entity`] holds the canonical facts as small indices into the vocabulary, so that building one costs
//! almost no allocation and so that every row rendered from it can vary the surface form independently.

use super::pools::{
    City, CHANNELS, CITIES, COMMON_NAMES, CORE, EXTRA_PINYIN, GIVEN, GIVEN_FIRST, GIVEN_SECOND, INDUSTRIES, LEGAL,
    LEGAL_LLC, MOBILE_PREFIXES, NEEDS, OWNERS, PERSONAL_MAIL, STATUS_WEIGHTS, SURNAMES,
};
use super::rng::{Perm, Rng, Weighted};

/// Lookup tables derived once from the pools.
pub struct Tables {
    pub surname: Weighted,
    pub given_male: Weighted,
    pub given_female: Weighted,
    pub city: Weighted,
    pub industry: Weighted,
    pub legal: Weighted,
    pub status: Weighted,
    /// For each [`CORE`] index, the other indices with the same pinyin.
    pub homophones: Vec<Vec<u16>>,
    pub first: Vec<(&'static str, &'static str)>,
    pub second: Vec<(&'static str, &'static str)>,
}

fn pinyin_of(ch: &str) -> &'static str {
    GIVEN
        .iter()
        .find(|g| g.0 == ch)
        .map(|g| g.1)
        .or_else(|| EXTRA_PINYIN.iter().find(|g| g.0 == ch).map(|g| g.1))
        .or_else(|| CORE.iter().find(|g| g.0 == ch).map(|g| g.1))
        .unwrap_or_else(|| panic!("no pinyin for given-name character {ch}"))
}

impl Tables {
    pub fn new() -> Tables {
        let homophones = CORE
            .iter()
            .enumerate()
            .map(|(i, c)| {
                CORE.iter()
                    .enumerate()
                    .filter(|(j, d)| *j != i && d.1 == c.1 && d.0 != c.0)
                    .map(|(j, _)| j as u16)
                    .collect()
            })
            .collect();
        Tables {
            surname: Weighted::new(SURNAMES.iter().map(|s| s.2)),
            given_male: Weighted::new(GIVEN.iter().map(|g| if g.2 == 2 { 0 } else { g.3 })),
            given_female: Weighted::new(GIVEN.iter().map(|g| if g.2 == 1 { 0 } else { g.3 })),
            city: Weighted::new(CITIES.iter().map(|c| c.weight)),
            industry: Weighted::new(INDUSTRIES.iter().map(|i| i.weight)),
            legal: Weighted::new(LEGAL.iter().map(|l| l.1)),
            status: Weighted::new(STATUS_WEIGHTS.iter().copied()),
            homophones,
            first: GIVEN_FIRST.iter().map(|c| (*c, pinyin_of(c))).collect(),
            second: GIVEN_SECOND.iter().map(|c| (*c, pinyin_of(c))).collect(),
        }
    }
}

/// A person's name as (character, pinyin) parts; pinyin feeds e-mail local parts.
#[derive(Clone, Copy, Default)]
pub struct Person {
    pub surname: (&'static str, &'static str),
    pub given: [(&'static str, &'static str); 2],
    pub given_len: usize,
    pub female: bool,
}

impl Person {
    pub fn given(&self) -> &[(&'static str, &'static str)] {
        &self.given[..self.given_len]
    }
}

/// Where the region sits in the registered company name.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub enum Region {
    #[default]
    None,
    /// 北京星辰科技有限公司
    Prefix,
    /// 深圳市星辰科技有限公司
    PrefixShi,
    /// 广东星辰科技有限公司
    Province,
    /// 星辰（北京）科技有限公司
    Bracket,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum LandKind {
    #[default]
    None,
    City,
    /// A 400 service number: nationwide, no area code.
    Service,
}

#[derive(Clone, Copy, Default)]
pub struct Landline {
    pub kind: LandKind,
    pub city: usize,
    pub local: u32,
    pub ext: u16,
}

#[derive(Clone, Copy, Default)]
pub struct Address {
    pub district: usize,
    pub road: usize,
    pub no: u16,
    pub bname: [u16; 2],
    pub suffix: usize,
    pub block: usize,
    pub floor: u16,
    pub room: u16,
    pub residential: bool,
}

#[derive(Clone, Copy)]
pub struct Contract {
    pub no: u64,
    pub signed: i32,
    pub amount: u64,
    pub years: u8,
}

#[derive(Clone, Default)]
pub struct Entity {
    /// Entity number as written to truth.csv (`E` + 7 digits).
    pub num: u64,
    pub person: bool,
    pub city: usize,
    pub region: Region,
    pub core: [u16; 4],
    pub core_len: usize,
    pub industry: usize,
    pub word: usize,
    pub legal: usize,
    /// Parent companies are named core + 集团 form, without an industry word.
    pub holding: Option<usize>,
    /// The customer's own name when `person`.
    pub name: Person,
    pub contact: Person,
    /// The contact is a bookkeeping agent (代账会计) serving several firms.
    pub agent: bool,
    pub mobile: u64,
    /// A newer mobile that some later records carry instead (0 = none).
    pub mobile2: u64,
    pub landline: Landline,
    pub email: String,
    pub addr: Address,
    pub first: i32,
    pub last: i32,
    /// 0 = no next follow-up planned.
    pub next: i32,
    pub status: usize,
    pub priority: Option<usize>,
    pub owner: usize,
    pub channel: usize,
    pub need: usize,
    pub need_n: u32,
    pub contract: Option<Contract>,
    /// Hard-negative group members always reach the sales file with their shared number intact, so the
    /// group is observable even at small N.
    pub force_sales: bool,
}

impl Entity {
    pub fn city(&self) -> &'static City {
        &CITIES[self.city]
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const MOBILE_SPACE: u64 = 100_000_000;
const LOCAL_SPACE: u64 = 70_000_000;
const SERVICE_SPACE: u64 = 10_000_000;
const QQ_SPACE: u64 = 3_900_000_000;

/// Creates true customers and hands out identifiers that are unique by construction.
pub struct EntityMaker {
    pub rng: Rng,
    ids: Perm,
    mobiles: Perm,
    locals: Perm,
    services: Perm,
    qqs: Perm,
    next_id: u64,
    next_mobile: u64,
    next_local: u64,
    next_service: u64,
    next_qq: u64,
    next_contract: u64,
    pub first_day: i32,
    pub last_day: i32,
}

impl EntityMaker {
    pub fn new(seed: u64, customers: u64) -> EntityMaker {
        let mut keys = Rng::new(seed, 1);
        EntityMaker {
            rng: Rng::new(seed, 2),
            ids: Perm::new(customers, &mut keys),
            mobiles: Perm::new(MOBILE_PREFIXES.len() as u64 * MOBILE_SPACE, &mut keys),
            locals: Perm::new(LOCAL_SPACE, &mut keys),
            services: Perm::new(SERVICE_SPACE, &mut keys),
            qqs: Perm::new(QQ_SPACE, &mut keys),
            next_id: 0,
            next_mobile: 0,
            next_local: 0,
            next_service: 0,
            next_qq: 0,
            next_contract: 0,
            first_day: days_from_civil(2021, 1, 1),
            last_day: days_from_civil(2026, 6, 30),
        }
    }

    /// Entity numbers are a permutation of 1..=N, so that number order says nothing about file order or
    /// about which entities form a group.
    fn number(&mut self) -> u64 {
        let n = self.ids.get(self.next_id) + 1;
        self.next_id += 1;
        n
    }

    pub fn mobile(&mut self) -> u64 {
        let x = self.mobiles.get(self.next_mobile);
        self.next_mobile += 1;
        MOBILE_PREFIXES[(x / MOBILE_SPACE) as usize] * MOBILE_SPACE + x % MOBILE_SPACE
    }

    pub fn landline(&mut self, city: usize) -> Landline {
        let local = 20_000_000 + self.locals.get(self.next_local) as u32;
        self.next_local += 1;
        Landline { kind: LandKind::City, city, local, ext: 0 }
    }

    fn service_number(&mut self) -> Landline {
        let local = self.services.get(self.next_service) as u32;
        self.next_service += 1;
        Landline { kind: LandKind::Service, city: 0, local, ext: 0 }
    }

    fn qq(&mut self) -> u64 {
        let q = 100_000_000 + self.qqs.get(self.next_qq);
        self.next_qq += 1;
        q
    }

    pub fn person(&mut self, t: &Tables) -> Person {
        let r = &mut self.rng;
        let s = &SURNAMES[t.surname.sample(r)];
        let female = r.chance(0.5);
        let mut p = Person { surname: (s.0, s.1), female, ..Person::default() };
        if r.chance(0.32) {
            let g = if female { t.given_female.sample(r) } else { t.given_male.sample(r) };
            p.given[0] = (GIVEN[g].0, GIVEN[g].1);
            p.given_len = 1;
        } else {
            p.given[0] = *r.pick(&t.first);
            p.given[1] = *r.pick(&t.second);
            if p.given[1].0 == p.given[0].0 {
                p.given[1] = t.second[0];
            }
            p.given_len = 2;
        }
        p
    }

    /// One of the names shared by many unrelated people (王伟 …).
    pub fn common_person(&mut self, which: usize) -> Person {
        let (s, g) = COMMON_NAMES[which % COMMON_NAMES.len()];
        let sur = SURNAMES.iter().find(|x| x.0 == s).expect("common surname in pool");
        let mut p = Person { surname: (sur.0, sur.1), ..Person::default() };
        for (i, ch) in g.chars().enumerate() {
            let mut buf = [0u8; 4];
            let ch: &str = ch.encode_utf8(&mut buf);
            let entry = GIVEN.iter().find(|x| x.0 == ch).expect("common given char in pool");
            p.given[i] = (entry.0, entry.1);
            p.female = entry.2 == 2;
        }
        p.given_len = g.chars().count();
        p
    }

    pub fn core(&mut self) -> ([u16; 4], usize) {
        let r = &mut self.rng;
        let len = match r.below(20) {
            0..=12 => 2,
            13..=18 => 3,
            _ => 4,
        };
        let mut core = [0u16; 4];
        for i in 0..len {
            loop {
                // A skewed first character makes common cores recur; uniform later ones keep full names
                // of unrelated companies from colliding (registered names are unique within a region).
                let c = if i == 0 { r.skewed(CORE.len()) } else { r.idx(CORE.len()) } as u16;
                if i == 0 || core[i - 1] != c {
                    core[i] = c;
                    break;
                }
            }
        }
        (core, len)
    }

    pub fn address(&mut self, district_count: usize, residential: bool) -> Address {
        let r = &mut self.rng;
        Address {
            district: r.idx(district_count),
            road: r.skewed(super::pools::ROADS.len()),
            no: r.range(1, 999) as u16,
            bname: [r.skewed(CORE.len()) as u16, r.skewed(CORE.len()) as u16],
            suffix: r.idx(super::pools::BUILDING_SUFFIX.len()),
            block: r.idx(super::pools::BLOCKS.len()),
            floor: r.range(1, 32) as u16,
            room: r.range(1, 20) as u16,
            residential,
        }
    }

    /// A customer with every attribute drawn independently; groups then overwrite what their members share.
    pub fn fresh(&mut self, t: &Tables, e: &mut Entity, person: bool) {
        e.num = self.number();
        e.person = person;
        e.force_sales = false;
        e.agent = false;
        e.holding = None;
        e.city = t.city.sample(&mut self.rng);
        let (core, core_len) = self.core();
        e.core = core;
        e.core_len = core_len;
        e.industry = t.industry.sample(&mut self.rng);
        e.word = self.rng.skewed(INDUSTRIES[e.industry].name_words.len());
        e.legal = t.legal.sample(&mut self.rng);
        let fits = LEGAL[e.legal].2;
        if !fits.is_empty() && !fits.contains(INDUSTRIES[e.industry].section) {
            e.legal = LEGAL_LLC;
        }
        e.region = match self.rng.below(100) {
            0..=44 => Region::Prefix,
            45..=59 => Region::PrefixShi,
            60..=66 => Region::Province,
            67..=78 => Region::Bracket,
            _ => Region::None,
        };
        if CITIES[e.city].province == CITIES[e.city].name && e.region == Region::Province {
            e.region = Region::Prefix;
        }
        e.contact = self.person(t);
        e.name = if person { self.person(t) } else { e.contact };
        if person {
            e.contact = e.name;
        }
        e.mobile = self.mobile();
        e.mobile2 = if self.rng.chance(0.15) { self.mobile() } else { 0 };
        e.landline = if person {
            if self.rng.chance(0.06) {
                self.landline(e.city)
            } else {
                Landline::default()
            }
        } else if self.rng.chance(0.03) {
            self.service_number()
        } else if self.rng.chance(0.62) {
            self.landline(e.city)
        } else {
            Landline::default()
        };
        if e.landline.kind == LandKind::City && self.rng.chance(0.12) {
            e.landline.ext = self.rng.range(100, 8999) as u16;
        }
        e.addr = self.address(CITIES[e.city].districts.len(), person);
        let r = &mut self.rng;
        e.first = r.range(i64::from(self.first_day), i64::from(days_from_civil(2025, 12, 31))) as i32;
        let gap = if r.chance(0.5) { r.range(0, 60) } else { r.range(0, 420) } as i32;
        e.last = if r.chance(0.03) { e.first - r.range(1, 200) as i32 } else { (e.first + gap).min(self.last_day) };
        e.next = if r.chance(0.35) { 0 } else { e.last + r.range(1, 60) as i32 };
        e.status = t.status.sample(r);
        e.priority = if r.chance(0.85) { Some(r.skewed(3)) } else { None };
        e.owner = r.idx(OWNERS.len());
        e.channel = r.skewed(CHANNELS.len());
        e.need = r.idx(NEEDS.len());
        e.need_n = [2, 3, 5, 8, 10, 20, 30, 50, 100][r.idx(9)];
        e.contract = if e.status == 2 && r.chance(0.85) {
            self.next_contract += 1;
            let signed = e.first + ((e.last - e.first).max(0) as i64 * r.range(20, 100) / 100) as i32;
            let amount = [5_000, 12_800, 30_000, 50_000, 86_000, 120_000, 200_000, 500_000, 1_280_000, 3_000_000]
                [r.skewed(10)]
                + r.range(0, 99) as u64 * 100;
            Some(Contract { no: self.next_contract, signed, amount, years: r.range(1, 3) as u8 })
        } else {
            None
        };
    }

    /// E-mail depends on name, contact and mobile, so it is derived after groups have overwritten those.
    pub fn finish(&mut self, e: &mut Entity) {
        e.email.clear();
        let has = if e.person { 0.55 } else { 0.8 };
        if !self.rng.chance(has) {
            return;
        }
        let p = if e.person { e.name } else { e.contact };
        let personal = e.person || e.agent || e.legal >= 4 || self.rng.chance(0.3);
        let local_is_mobile = self.rng.chance(if e.person { 0.12 } else { 0.04 });
        if local_is_mobile {
            push_u64(&mut e.email, e.mobile);
            e.email.push('@');
            e.email.push_str(["163.com", "qq.com", "139.com", "126.com"][self.rng.skewed(4)]);
            return;
        }
        if personal && self.rng.chance(0.35) {
            let q = self.qq();
            push_u64(&mut e.email, q);
            e.email.push_str("@qq.com");
            return;
        }
        let r = &mut self.rng;
        let full = |s: &mut String| {
            s.push_str(p.surname.1);
            for g in p.given() {
                s.push_str(g.1);
            }
        };
        if personal {
            match r.below(4) {
                0 => {
                    full(&mut e.email);
                    push_u64(&mut e.email, r.range(1960, 2005) as u64);
                    push_u64(&mut e.email, r.range(10, 99) as u64);
                }
                1 => {
                    for g in p.given() {
                        e.email.push_str(g.1);
                    }
                    e.email.push_str(p.surname.1);
                    push_u64(&mut e.email, r.range(1000, 999_999) as u64);
                }
                2 => {
                    full(&mut e.email);
                    e.email.push('_');
                    push_u64(&mut e.email, r.range(100, 99_999) as u64);
                }
                _ => {
                    e.email.push_str(p.surname.1);
                    for g in p.given() {
                        e.email.push_str(&g.1[..1]);
                    }
                    push_u64(&mut e.email, r.range(10_000, 9_999_999) as u64);
                }
            }
            e.email.push('@');
            e.email.push_str(PERSONAL_MAIL[r.skewed(PERSONAL_MAIL.len())]);
            return;
        }
        match r.below(20) {
            0..=7 => full(&mut e.email),
            8..=10 => {
                for g in p.given() {
                    e.email.push_str(&g.1[..1]);
                }
                e.email.push_str(p.surname.1);
            }
            11..=13 => {
                e.email.push_str(p.surname.1);
                e.email.push('.');
                for g in p.given() {
                    e.email.push_str(g.1);
                }
            }
            14..=16 => {
                e.email.push_str(p.surname.1);
                for g in p.given() {
                    e.email.push_str(&g.1[..1]);
                }
            }
            _ => e.email.push_str(["sales", "info", "admin", "hr", "service", "caiwu"][r.idx(6)]),
        }
        e.email.push('@');
        let city = &CITIES[e.city];
        let core = e.core;
        match r.below(10) {
            0 => {
                e.email.push_str(&city.pinyin[..2].to_ascii_lowercase());
                push_core_pinyin(&mut e.email, &core[..e.core_len]);
            }
            1 => {
                for &c in &e.core[..e.core_len] {
                    e.email.push_str(&CORE[c as usize].1[..1]);
                }
                e.email.push_str(if e.holding.is_some() { "-group" } else { "-tech" });
            }
            2 => {
                push_core_pinyin(&mut e.email, &core[..e.core_len]);
                e.email.push_str(["tech", "group", "china", "cn", "gs"][r.idx(5)]);
            }
            _ => push_core_pinyin(&mut e.email, &core[..e.core_len]),
        }
        e.email.push_str([".com", ".com", ".com", ".cn", ".com.cn", ".net"][r.idx(6)]);
    }

    /// A bookkeeping agent: one person, one mobile and one private mailbox, used for every client firm.
    pub fn agent(&mut self, t: &Tables, mail: &mut String) -> (Person, u64) {
        let p = self.person(t);
        let m = self.mobile();
        mail.clear();
        if self.rng.chance(0.5) {
            push_u64(mail, self.qq());
            mail.push_str("@qq.com");
        } else {
            mail.push_str(p.surname.1);
            for g in p.given() {
                mail.push_str(g.1);
            }
            push_u64(mail, self.rng.range(10, 99_999) as u64);
            mail.push_str(["@163.com", "@126.com", "@139.com"][self.rng.idx(3)]);
        }
        (p, m)
    }
}

fn push_core_pinyin(out: &mut String, core: &[u16]) {
    for &c in core {
        out.push_str(CORE[c as usize].1);
    }
}

pub fn push_u64(out: &mut String, n: u64) {
    push_num(out, n, 1);
}

/// Zero-padded decimal without the formatting machinery; this runs for nearly every cell.
pub fn push_num(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        out.push('0');
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}
