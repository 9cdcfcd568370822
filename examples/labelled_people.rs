//! A labelled evaluation set for duplicate detection in a schema `crmwb
//! gen-sample` never writes: people (not companies) from two systems, with
//! split name fields, a date of birth and a resident ID number, so the
//! matcher must learn from custom fields instead of company names.
//!
//! ```sh
//! cargo run --release --example labelled_people -- --people 1000 --seed 1 --out /tmp/people
//! ```
//! writes `members.csv` (a membership system), `policies.csv` (an insurer's
//! policy holders) and `truth.csv` (`source,source_key,entity_id`), and
//! prints the import commands (also in benches/match.sh).
//!
//! The hard cases are people's, not companies': the same common name in the
//! same city (王伟 in 北京), twins (same surname, birthday, address and home
//! phone; different given name and ID), a parent and child sharing a mobile
//! and an address, people who changed mobile between systems, ID numbers
//! missing in one system or typed with a lower-case x, birthdays written in
//! three formats, and one-character given-name variants (伟/玮) beside
//! genuinely different people.

use std::io::Write;
use std::path::PathBuf;

/// splitmix64: small, fully specified, independent of any crate's version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// Surnames by rough frequency: the first few repeat a lot, as in life.
const SURNAMES: &[&str] = &[
    "王", "王", "王", "李", "李", "李", "张", "张", "张", "刘", "刘", "陈", "陈", "杨", "黄", "赵", "吴", "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "欧阳", "司马", "上官",
];
// Common given names collide on purpose (two different 王伟 in one city).
const GIVEN_COMMON: &[&str] =
    &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"];
const GIVEN_CHARS: &[&str] = &[
    "明", "超", "秀", "英", "霞", "平", "刚", "桂", "华", "建", "国", "文", "辉", "玲", "红", "鹏", "飞", "宇", "晨",
    "欣", "怡", "佳", "俊", "浩", "然", "子", "涵", "梓", "轩", "思", "雨", "嘉", "博", "瑞", "琳", "诗", "婷", "雪",
    "峰", "志", "海", "春", "燕", "玉", "兰", "凤", "松", "林", "波", "斌", "莉", "晶", "铭", "君", "玮",
];
// Variants a clerk types for the same name: same sound, other character.
const VARIANTS: &[(&str, &str)] =
    &[("伟", "玮"), ("丽", "莉"), ("静", "晶"), ("明", "铭"), ("军", "君"), ("娜", "那"), ("峰", "锋"), ("玲", "琳")];
// (ID region code, city, district) — the first six digits of an ID are where it was issued.
const PLACES: &[(&str, &str, &str)] = &[
    ("110101", "北京", "东城区"),
    ("110108", "北京", "海淀区"),
    ("310104", "上海", "徐汇区"),
    ("310115", "上海", "浦东新区"),
    ("440305", "深圳", "南山区"),
    ("440106", "广州", "天河区"),
    ("330106", "杭州", "西湖区"),
    ("510107", "成都", "武侯区"),
    ("420111", "武汉", "洪山区"),
    ("320102", "南京", "玄武区"),
    ("610113", "西安", "雁塔区"),
    ("500103", "重庆", "渝中区"),
];
const STREETS: &[&str] = &[
    "中山路",
    "人民路",
    "解放路",
    "建设路",
    "和平路",
    "新华路",
    "长江路",
    "黄河路",
    "文化路",
    "学院路",
    "科技路",
    "南京路",
];
const MAIL_DOMAINS: &[&str] = &["qq.com", "163.com", "126.com", "sina.com", "outlook.com", "gmail.com"];

#[derive(Clone)]
struct Person {
    surname: String,
    given: String,
    male: bool,
    birth: (u32, u32, u32),
    place: usize,
    id: String,
    mobile: String,
    address: String,
    email: Option<String>,
}

fn id_checksum(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

fn resident_id(rng: &mut Rng, place: usize, birth: (u32, u32, u32), male: bool) -> String {
    let seq = rng.below(500) as u32 * 2 + if male { 1 } else { 0 };
    let first17 = format!("{}{:04}{:02}{:02}{:03}", PLACES[place].0, birth.0, birth.1, birth.2, seq % 1000);
    let check = id_checksum(&first17);
    format!("{first17}{check}")
}

fn mobile(rng: &mut Rng) -> String {
    let prefix =
        *rng.pick(&["130", "131", "135", "136", "137", "138", "139", "150", "151", "158", "186", "188", "199"]);
    format!("{prefix}{:08}", rng.below(100_000_000))
}

fn given_name(rng: &mut Rng) -> String {
    if rng.pct(35) {
        rng.pick(GIVEN_COMMON).to_string()
    } else if rng.pct(40) {
        rng.pick(GIVEN_CHARS).to_string()
    } else {
        format!("{}{}", rng.pick(GIVEN_CHARS), rng.pick(GIVEN_CHARS))
    }
}

fn address(rng: &mut Rng, place: usize) -> String {
    format!(
        "{}{}{}号{}栋{}室",
        PLACES[place].2,
        rng.pick(STREETS),
        1 + rng.below(300),
        1 + rng.below(30),
        101 + rng.below(20) * 100 + rng.below(6)
    )
}

fn email(rng: &mut Rng, birth: (u32, u32, u32)) -> String {
    let letters: String = (0..3 + rng.below(5)).map(|_| (b'a' + rng.below(26) as u8) as char).collect();
    format!("{letters}{}{:02}@{}", birth.0 % 100, rng.below(100), rng.pick(MAIL_DOMAINS))
}

fn new_person(rng: &mut Rng) -> Person {
    let male = rng.pct(50);
    let birth = (1950 + rng.below(56) as u32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
    let place = rng.below(PLACES.len() as u64) as usize;
    let email = rng.pct(60).then(|| email(rng, birth));
    Person {
        surname: rng.pick(SURNAMES).to_string(),
        given: given_name(rng),
        male,
        birth,
        place,
        id: resident_id(rng, place, birth, male),
        mobile: mobile(rng),
        address: address(rng, place),
        email,
    }
}

/// A birthday as a clerk of the given system writes it.
fn birth_text(rng: &mut Rng, b: (u32, u32, u32), system: usize) -> String {
    match (system, rng.below(10)) {
        (0, _) => format!("{:04}-{:02}-{:02}", b.0, b.1, b.2),
        (_, 0..=5) => format!("{}/{}/{}", b.0, b.1, b.2),
        (_, 6..=8) => format!("{:04}{:02}{:02}", b.0, b.1, b.2),
        _ => format!("{}年{}月{}日", b.0, b.1, b.2),
    }
}

fn mobile_text(rng: &mut Rng, m: &str) -> String {
    match rng.below(6) {
        0 => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        1 => format!("+86 {m}"),
        2 => format!("{} {} {}", &m[..3], &m[3..7], &m[7..]),
        _ => m.to_string(),
    }
}

/// One record of `p` as system `system` (0 members, 1 policies) holds it,
/// with the noise that system's clerks add.
fn record(rng: &mut Rng, p: &Person, system: usize, noisy: bool) -> Vec<String> {
    let mut given = p.given.clone();
    if noisy && rng.pct(12) {
        for (a, b) in VARIANTS {
            if given.contains(a) {
                given = given.replacen(a, b, 1);
                break;
            }
        }
    }
    let mut id = p.id.clone();
    if system == 1 && noisy {
        if rng.pct(30) {
            id.clear();
        } else if id.ends_with('X') && rng.pct(50) {
            id = id.replace('X', "x");
        }
    }
    let mut phone = p.mobile.clone();
    if noisy && rng.pct(15) {
        phone = mobile(rng); // a new number since the other system saw them
    }
    let mut addr = p.address.clone();
    if noisy && rng.pct(40) {
        addr = format!("{}市{}", PLACES[p.place].1, addr);
    }
    let email = if noisy && rng.pct(30) { None } else { p.email.clone() };
    let gender = if p.male { "男" } else { "女" };
    let mut row = vec![
        p.surname.clone(),
        given,
        gender.to_string(),
        birth_text(rng, p.birth, system),
        id,
        mobile_text(rng, &phone),
        PLACES[p.place].1.to_string(),
        addr,
        email.unwrap_or_default(),
    ];
    if system == 1 {
        // The insurer writes the city into the address and has no e-mail column.
        row.remove(8);
    }
    row
}

fn main() -> std::io::Result<()> {
    let mut people_n = 1000u64;
    let mut seed = 1u64;
    let mut out = PathBuf::from("people-data");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--people" => people_n = value.parse().expect("--people N"),
            "--seed" => seed = value.parse().expect("--seed S"),
            "--out" => out = PathBuf::from(value),
            other => panic!("unknown argument {other}; use --people N --seed S --out DIR"),
        }
        i += 2;
    }
    std::fs::create_dir_all(&out)?;
    let mut rng = Rng(seed ^ 0x5EED_0F9E_091E);
    let mut people: Vec<Person> = Vec::with_capacity(people_n as usize);
    while (people.len() as u64) < people_n {
        let p = new_person(&mut rng);
        let roll = rng.below(100);
        people.push(p.clone());
        if (people.len() as u64) >= people_n {
            break;
        }
        // Hard negatives, each a different person close to `p`.
        if roll < 4 {
            // Twins: same surname, birthday, address; other given name, ID and mobile.
            let mut t = p.clone();
            t.given = given_name(&mut rng);
            t.male = rng.pct(50);
            t.id = resident_id(&mut rng, p.place, p.birth, t.male);
            t.mobile = mobile(&mut rng);
            t.email = rng.pct(50).then(|| email(&mut rng, p.birth));
            if t.given != p.given {
                people.push(t);
            }
        } else if roll < 8 {
            // Parent and child: same surname, mobile and address; the rest differs.
            let mut c = new_person(&mut rng);
            c.surname = p.surname.clone();
            c.mobile = p.mobile.clone();
            c.address = p.address.clone();
            c.place = p.place;
            c.birth = ((p.birth.0 + 22 + rng.below(10) as u32).min(2008), c.birth.1, c.birth.2);
            c.id = resident_id(&mut rng, c.place, c.birth, c.male);
            people.push(c);
        } else if roll < 14 {
            // Namesake: same full name in the same city, otherwise unrelated.
            let mut n = new_person(&mut rng);
            n.surname = p.surname.clone();
            n.given = p.given.clone();
            n.place = p.place;
            n.address = address(&mut rng, p.place);
            n.id = resident_id(&mut rng, n.place, n.birth, n.male);
            people.push(n);
        }
    }
    people.truncate(people_n as usize);

    let mut members = csv::Writer::from_path(out.join("members.csv"))?;
    members.write_record([
        "会员号",
        "姓",
        "名",
        "性别",
        "出生日期",
        "证件号码",
        "手机号码",
        "城市",
        "联系地址",
        "电子邮箱",
    ])?;
    let mut policies = csv::Writer::from_path(out.join("policies.csv"))?;
    policies.write_record([
        "保单号",
        "投保人姓",
        "投保人名",
        "性别",
        "出生日期",
        "身份证号",
        "联系电话",
        "所在城市",
        "通讯地址",
    ])?;
    let mut truth = std::fs::File::create(out.join("truth.csv"))?;
    writeln!(truth, "source,source_key,entity_id")?;
    let (mut m_key, mut p_key) = (0u64, 0u64);
    let (mut m_rows, mut p_rows) = (0u64, 0u64);
    for (entity, p) in people.iter().enumerate() {
        // Where each person shows up: mostly one system, often both, sometimes twice in one.
        let (in_members, in_policies) = match rng.below(100) {
            0..=39 => (1, 0),
            40..=64 => (0, 1),
            65..=92 => (1, 1),
            93..=96 => (2, 1),
            _ => (1, 2),
        };
        for n in 0..in_members {
            m_key += 1;
            let key = format!("M{:07}", m_key * 7 % 10_000_000);
            let mut row = vec![key.clone()];
            row.extend(record(&mut rng, p, 0, n > 0));
            members.write_record(&row)?;
            writeln!(truth, "members,{key},P{entity}")?;
            m_rows += 1;
        }
        for n in 0..in_policies {
            p_key += 1;
            let key = format!("BD{}{:06}", 2019 + p_key % 6, p_key);
            let mut row = vec![key.clone()];
            row.extend(record(&mut rng, p, 1, in_members > 0 || n > 0));
            policies.write_record(&row)?;
            writeln!(truth, "policies,{key},P{entity}")?;
            p_rows += 1;
        }
    }
    members.flush()?;
    policies.flush()?;
    println!("{} people: {m_rows} member rows, {p_rows} policy rows in {}", people.len(), out.display());
    println!("Import with:");
    println!(
        "  crmwb import {0}/members.csv --source members --key 会员号 --kind person --map '姓+名=name' \
         --map '性别=custom:性别:text' --map '出生日期=custom:出生日期:date' --map '证件号码=custom:身份证号:identifier' \
         --map '手机号码=phone' --map '城市=city' --map '联系地址=address' --map '电子邮箱=email'",
        out.display()
    );
    println!(
        "  crmwb import {0}/policies.csv --source policies --key 保单号 --kind person --map '投保人姓+投保人名=name' \
         --map '性别=custom:性别:text' --map '出生日期=custom:出生日期:date' --map '身份证号=custom:身份证号:identifier' \
         --map '联系电话=phone' --map '所在城市=city' --map '通讯地址=address'",
        out.display()
    );
    Ok(())
}
