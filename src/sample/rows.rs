//! One row per source record: which cells a source has, which it leaves empty, and how it types them.

use super::entity::{civil_from_days, days_from_civil, push_num, Entity, LandKind, Tables};
use super::pools::{
    AGENTS, CHANNELS, CUSTOMER_TYPE_COMPANY, CUSTOMER_TYPE_PERSON, EVENTS, JUNK_NAMES, JUNK_REMARKS, MKT_CHANNELS,
    NEEDS, OWNERS, PRIORITY, PROBLEMS, PROBLEM_FOLLOWUPS, PROBLEM_TYPES, REMARKS, STATUS_WORDS, TICKET_STATUS,
};
use super::render::{
    address, amount, city, company_name, contact, date, datetime, email, industry, landline, mobile, person_name,
    province, Src,
};
use super::rng::Rng;
use super::sink::{RowBuf, JUNK};

pub const SALES_HEADER: &[&str] = &[
    "客户编号",
    "客户名称",
    "客户类型",
    "所属行业",
    "联系人",
    "手机",
    "座机",
    "邮箱",
    "省份",
    "城市",
    "详细地址",
    "首次接触日期",
    "最近跟进日期",
    "下次跟进日期",
    "负责人",
    "客户状态",
    "需求优先级",
    "客户需求",
    "合同编号",
    "签约日期",
    "合同金额",
    "合同到期日",
    "来源渠道",
    "备注",
];
pub const SERVICE_HEADER: &[&str] =
    &["工单号", "客户", "联系人", "联系电话", "问题类型", "问题描述", "创建时间", "处理人", "处理状态", "所在城市"];
pub const MARKETING_HEADER: &[&str] =
    &["Company Name", "Contact", "Mobile", "Email", "City", "Industry", "Event", "Signup Date", "Channel"];

/// Junk rows that belong to no customer; each becomes its own entity in truth.csv.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JunkKind {
    /// Every cell empty (sales and service keep their key: system exports always carry one).
    Empty,
    /// Only a remark-like cell filled ("合计", "以下为2023年数据").
    RemarkOnly,
    /// A name made of punctuation only.
    PunctName,
}

/// Index of each file in per-file arrays.
pub const SALES: usize = 0;
pub const SERVICE: usize = 1;
pub const MARKETING: usize = 2;

const SEPARATORS: &[&str] = &["/", "；", ";", "、", " ", ",", "，", " / "];

pub struct RowMaker {
    pub rng: Rng,
    tmp: String,
    /// Each file gets at least one cell with an embedded newline, comma and quote, even at tiny N.
    quirk_due: [bool; 3],
    next_junk: u64,
    ticket_start: i32,
    signup_start: i32,
    last_day: i32,
}

fn fill(out: &mut String, template: &str, year: i32, city: &str, n: u64) {
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let close = rest[i..].find('}').map_or(rest.len(), |j| i + j);
        match &rest[i + 1..close] {
            "y" => push_num(out, year as u64, 4),
            "c" => out.push_str(city),
            _ => push_num(out, n, 1),
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
}

impl RowMaker {
    pub fn new(rng: Rng) -> RowMaker {
        RowMaker {
            rng,
            tmp: String::new(),
            quirk_due: [true; 3],
            next_junk: 1,
            ticket_start: days_from_civil(2022, 1, 1),
            signup_start: days_from_civil(2022, 3, 1),
            last_day: days_from_civil(2026, 6, 30),
        }
    }

    fn quirk(&mut self, file: usize, p: f64) -> bool {
        std::mem::take(&mut self.quirk_due[file]) || self.rng.chance(p)
    }

    /// A row of the sales CRM export. `dup` rows are the same customer entered again by someone else:
    /// heavier variation, sometimes a newer mobile, sometimes only the landline or only the e-mail.
    pub fn sales(&mut self, t: &Tables, e: &Entity, dup: bool, b: &mut RowBuf) {
        let quirk = self.quirk(SALES, 0.004);
        let src = if dup { Src::SalesDup } else { Src::Sales };
        let keep = e.force_sales && !dup;
        let r = &mut self.rng;
        b.begin(e.num, 0);
        // 客户名称
        if e.person {
            person_name(&mut b.text, r, &e.name, src);
        } else {
            company_name(&mut b.text, r, t, e, src, &mut self.tmp);
        }
        b.end_cell();
        // 客户类型
        if !r.chance(0.06) {
            let pool = if e.person { CUSTOMER_TYPE_PERSON } else { CUSTOMER_TYPE_COMPANY };
            b.text.push_str(pool[r.skewed(pool.len())]);
        }
        b.end_cell();
        // 所属行业
        if !r.chance(if e.person { 0.7 } else { 0.12 }) {
            industry(&mut b.text, r, e);
        }
        b.end_cell();
        // 联系人
        if e.person {
            match r.below(100) {
                0..=49 => person_name(&mut b.text, r, &e.name, src),
                50..=84 => {}
                _ => b.text.push_str("本人"),
            }
        } else if !r.chance(0.05) {
            contact(&mut b.text, r, &e.contact, e.agent, src);
        }
        b.end_cell();
        // 0: all numbers, 1: only the landline, 2: only the e-mail.
        let has_land = e.landline.kind != LandKind::None;
        let mode = match (dup, r.below(10)) {
            (true, 0) if has_land => 1,
            (true, 1) if !e.email.is_empty() => 2,
            _ => 0,
        };
        let mob = if dup && e.mobile2 != 0 && r.chance(0.6) { e.mobile2 } else { e.mobile };
        // 手机
        if mode == 0 && (keep || !r.chance(0.04)) {
            if r.chance(0.012 * if dup { 2.0 } else { 1.0 }) {
                mobile(&mut b.text, r, mob, src);
                b.text.push_str(SEPARATORS[r.idx(SEPARATORS.len())]);
                if e.mobile2 != 0 && mob != e.mobile2 {
                    mobile(&mut b.text, r, e.mobile2, src);
                } else if has_land {
                    landline(&mut b.text, r, &e.landline, src);
                } else {
                    mobile(&mut b.text, r, mob, src);
                }
            } else if has_land && !keep && r.chance(0.006) {
                landline(&mut b.text, r, &e.landline, src);
            } else {
                mobile(&mut b.text, r, mob, src);
            }
        }
        b.end_cell();
        // 座机
        if has_land && mode != 2 && (keep || !r.chance(0.1)) {
            landline(&mut b.text, r, &e.landline, src);
        } else if !has_land && mode == 0 && r.chance(0.005) {
            mobile(&mut b.text, r, mob, src);
        }
        b.end_cell();
        // 邮箱
        if !e.email.is_empty() && mode != 1 && !r.chance(0.08) {
            email(&mut b.text, r, &e.email, src);
        }
        b.end_cell();
        if !r.chance(0.12) {
            province(&mut b.text, r, e);
        }
        b.end_cell();
        if !r.chance(0.07) {
            city(&mut b.text, r, e, src);
        }
        b.end_cell();
        if !r.chance(0.1) {
            address(&mut b.text, r, e, src);
            if r.chance(0.003) {
                b.text.push_str(", 前台代收");
            }
        }
        b.end_cell();
        // Dates: a duplicate is an older, separately maintained record.
        let (first, last) =
            if dup { (e.first + r.range(-20, 20) as i32, e.last - r.range(0, 90) as i32) } else { (e.first, e.last) };
        if !r.chance(0.05) {
            date(&mut b.text, r, first, src);
        }
        b.end_cell();
        if !r.chance(0.08) {
            date(&mut b.text, r, last, src);
        }
        b.end_cell();
        if e.next != 0 && !r.chance(0.1) {
            date(&mut b.text, r, e.next, src);
        }
        b.end_cell();
        // 负责人
        if !r.chance(0.03) {
            let owner = if dup && r.chance(0.6) { r.idx(OWNERS.len()) } else { e.owner };
            b.text.push_str(OWNERS[owner]);
        }
        b.end_cell();
        // 客户状态
        if !r.chance(0.06) {
            let s = if dup && (1..3).contains(&e.status) && r.chance(0.5) { e.status - 1 } else { e.status };
            b.text.push_str(STATUS_WORDS[s][r.skewed(STATUS_WORDS[s].len())]);
        }
        b.end_cell();
        // 需求优先级
        if let Some(p) = e.priority {
            if !(dup && r.chance(0.3)) {
                b.text.push_str(PRIORITY[p][r.skewed(PRIORITY[p].len())]);
            }
        }
        b.end_cell();
        // 客户需求
        if !r.chance(0.2) {
            fill(&mut b.text, NEEDS[e.need], 0, "", u64::from(e.need_n));
        }
        b.end_cell();
        // 合同编号, 签约日期, 合同金额, 合同到期日
        match e.contract {
            Some(c) if !dup || r.chance(0.5) => {
                let (y, _, _) = civil_from_days(c.signed);
                b.text.push_str(if r.chance(0.95) { "HT" } else { "ht" });
                push_num(&mut b.text, y as u64, 4);
                b.text.push('-');
                push_num(&mut b.text, c.no, 6);
                b.end_cell();
                date(&mut b.text, r, c.signed, src);
                b.end_cell();
                amount(&mut b.text, r, c.amount);
                b.end_cell();
                if !r.chance(0.15) {
                    date(&mut b.text, r, c.signed + 365 * i32::from(c.years), src);
                }
                b.end_cell();
            }
            _ => b.empty(4),
        }
        // 来源渠道
        if !r.chance(0.1) {
            let ch = if dup && r.chance(0.3) { r.idx(CHANNELS.len()) } else { e.channel };
            b.text.push_str(CHANNELS[ch]);
        }
        b.end_cell();
        // 备注
        if quirk {
            b.text.push_str("1. 已报价, 等回复\n2. 客户说\"下周定\"");
        } else if r.chance(0.35) {
            b.text.push_str(REMARKS[r.idx(REMARKS.len())]);
            if r.chance(0.2) {
                b.text.push('；');
                b.text.push_str(REMARKS[r.idx(REMARKS.len())]);
            }
        }
        b.end_cell();
        debug_assert_eq!(b.cells_in_last_row(), SALES_HEADER.len() - 1);
    }

    /// A service ticket. Agents type what the caller says: short company names, 王先生, whichever number
    /// the customer called from.
    pub fn service(&mut self, t: &Tables, e: &Entity, b: &mut RowBuf) {
        let quirk = self.quirk(SERVICE, 0.05);
        let src = Src::Service;
        let day = self.rng.range(i64::from(e.first.max(self.ticket_start)), i64::from(self.last_day)) as i32;
        let minute = self.rng.range(8 * 60, 20 * 60) as u32;
        let r = &mut self.rng;
        b.begin(e.num, civil_from_days(day).0 as u64);
        // 客户
        if e.person {
            if r.chance(0.85) {
                person_name(&mut b.text, r, &e.name, src);
            } else {
                b.text.push_str(e.name.surname.0);
                b.text.push_str(if e.name.female { "女士" } else { "先生" });
            }
        } else {
            company_name(&mut b.text, r, t, e, src, &mut self.tmp);
        }
        b.end_cell();
        // 联系人
        if e.person {
            match r.below(100) {
                0..=39 => person_name(&mut b.text, r, &e.name, src),
                40..=64 => contact(&mut b.text, r, &e.name, false, src),
                _ => {}
            }
        } else if r.chance(0.88) {
            contact(&mut b.text, r, &e.contact, e.agent, src);
        }
        b.end_cell();
        // 联系电话
        let mob = if e.mobile2 != 0 && r.chance(0.5) { e.mobile2 } else { e.mobile };
        let has_land = e.landline.kind != LandKind::None;
        match r.below(100) {
            0..=3 => {}
            4..=9 if has_land => {
                mobile(&mut b.text, r, mob, src);
                b.text.push_str(SEPARATORS[r.idx(SEPARATORS.len())]);
                landline(&mut b.text, r, &e.landline, src);
            }
            10..=34 if has_land => landline(&mut b.text, r, &e.landline, src),
            _ => mobile(&mut b.text, r, mob, src),
        }
        b.end_cell();
        // 问题类型
        if !r.chance(0.03) {
            b.text.push_str(PROBLEM_TYPES[r.skewed(PROBLEM_TYPES.len())]);
        }
        b.end_cell();
        // 问题描述
        b.text.push_str(PROBLEMS[r.idx(PROBLEMS.len())]);
        if quirk {
            b.text.push_str(", 客户很着急\n");
            b.text.push_str(PROBLEM_FOLLOWUPS[r.idx(PROBLEM_FOLLOWUPS.len())]);
            b.text.push_str("，报错提示\"连接超时\"");
        } else if r.chance(0.4) {
            b.text.push('，');
            b.text.push_str(PROBLEM_FOLLOWUPS[r.idx(PROBLEM_FOLLOWUPS.len())]);
        } else if r.chance(0.03) {
            b.text.push_str("，系统提示\"授权无效\"");
        }
        b.end_cell();
        datetime(&mut b.text, r, day, minute, src);
        b.end_cell();
        b.text.push_str(AGENTS[r.skewed(AGENTS.len())]);
        b.end_cell();
        if !r.chance(0.03) {
            b.text.push_str(TICKET_STATUS[r.idx(TICKET_STATUS.len())]);
        }
        b.end_cell();
        if !r.chance(0.12) {
            city(&mut b.text, r, e, src);
        }
        b.end_cell();
        debug_assert_eq!(b.cells_in_last_row(), SERVICE_HEADER.len() - 1);
    }

    /// A row of the event sign-up sheet: typed by hand from paper forms, so it is the messiest source and
    /// has no key of its own.
    pub fn marketing(&mut self, t: &Tables, e: &Entity, b: &mut RowBuf) {
        let quirk = self.quirk(MARKETING, 0.005);
        let src = Src::Marketing;
        let day = self.rng.range(i64::from(self.signup_start), i64::from(self.last_day)) as i32;
        let r = &mut self.rng;
        b.begin(e.num, 0);
        // Company Name
        if !e.person {
            company_name(&mut b.text, r, t, e, src, &mut self.tmp);
        }
        b.end_cell();
        // Contact
        if e.person {
            person_name(&mut b.text, r, &e.name, src);
        } else if !r.chance(0.05) {
            contact(&mut b.text, r, &e.contact, e.agent, src);
            if quirk || r.chance(0.01) {
                // Two attendees in one cell.
                b.text.push_str(", ");
                b.text.push_str(["李娜", "张伟", "王芳", "陈静"][r.idx(4)]);
            }
        }
        b.end_cell();
        // Mobile
        let mob = if e.mobile2 != 0 && r.chance(0.5) { e.mobile2 } else { e.mobile };
        if e.landline.kind != LandKind::None && r.chance(0.03) {
            landline(&mut b.text, r, &e.landline, src);
        } else if e.force_sales || !r.chance(0.06) {
            mobile(&mut b.text, r, mob, src);
        }
        b.end_cell();
        // Email
        if !e.email.is_empty() && !r.chance(0.25) {
            email(&mut b.text, r, &e.email, src);
        }
        b.end_cell();
        if !r.chance(0.1) {
            city(&mut b.text, r, e, src);
        }
        b.end_cell();
        if !r.chance(if e.person { 0.85 } else { 0.2 }) {
            industry(&mut b.text, r, e);
        }
        b.end_cell();
        // Event
        let (y, _, _) = civil_from_days(day);
        let n = r.range(1, 30) as u64;
        if quirk {
            b.text.push_str("\"数智未来\"");
        }
        fill(&mut b.text, EVENTS[r.idx(EVENTS.len())], y, e.city().short, n);
        if quirk {
            b.text.push_str("\n(第二场, 下午)");
        }
        b.end_cell();
        date(&mut b.text, r, day, src);
        b.end_cell();
        if !r.chance(0.1) {
            b.text.push_str(MKT_CHANNELS[r.skewed(MKT_CHANNELS.len())]);
        }
        b.end_cell();
        debug_assert_eq!(b.cells_in_last_row(), MARKETING_HEADER.len());
    }

    /// A row that belongs to no customer: real exports contain separator rows, totals and garbage, and
    /// the importer must reject them (with a logged reason) rather than create customers.
    pub fn junk(&mut self, file: usize, kind: JunkKind, b: &mut RowBuf) {
        let id = JUNK | self.next_junk;
        self.next_junk += 1;
        let day = self.rng.range(i64::from(self.ticket_start), i64::from(self.last_day)) as i32;
        match file {
            SALES => {
                b.begin(id, 0);
                match kind {
                    JunkKind::Empty => b.empty(23),
                    JunkKind::RemarkOnly => {
                        b.empty(22);
                        b.cell(JUNK_REMARKS[self.rng.idx(JUNK_REMARKS.len())]);
                    }
                    JunkKind::PunctName => {
                        b.cell(JUNK_NAMES[self.rng.idx(JUNK_NAMES.len())]);
                        b.empty(9);
                        date(&mut b.text, &mut self.rng, day, Src::Sales);
                        b.end_cell();
                        b.empty(2);
                        b.cell(OWNERS[self.rng.idx(OWNERS.len())]);
                        b.empty(9);
                    }
                }
            }
            SERVICE => {
                b.begin(id, civil_from_days(day).0 as u64);
                match kind {
                    JunkKind::Empty => b.empty(9),
                    JunkKind::RemarkOnly => {
                        b.empty(4);
                        b.cell(JUNK_REMARKS[self.rng.idx(JUNK_REMARKS.len())]);
                        b.empty(4);
                    }
                    JunkKind::PunctName => {
                        b.cell(JUNK_NAMES[self.rng.idx(JUNK_NAMES.len())]);
                        b.empty(2);
                        b.cell(PROBLEM_TYPES[self.rng.idx(PROBLEM_TYPES.len())]);
                        b.empty(1);
                        datetime(&mut b.text, &mut self.rng, day, 600, Src::Service);
                        b.end_cell();
                        b.cell(AGENTS[0]);
                        b.empty(2);
                    }
                }
            }
            _ => {
                b.begin(id, 0);
                match kind {
                    JunkKind::Empty => b.empty(9),
                    JunkKind::RemarkOnly => {
                        b.empty(6);
                        b.cell(["签到表（续）", "以下为现场补录", "合计"][self.rng.idx(3)]);
                        b.empty(2);
                    }
                    JunkKind::PunctName => {
                        b.cell(JUNK_NAMES[self.rng.idx(JUNK_NAMES.len())]);
                        b.empty(6);
                        date(&mut b.text, &mut self.rng, day, Src::Marketing);
                        b.end_cell();
                        b.empty(1);
                    }
                }
            }
        }
    }
}
