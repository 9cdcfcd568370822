//! Reading source files and turning their rows into customer plans.
//! Nothing here touches the database; the service layer writes the plans.

mod csv_guard;
pub mod mapping;
pub mod reader;
mod xlsx_guard;

pub use mapping::{ColumnMap, JoinMap, MappedInput, Mapping, MappingFile};
pub use reader::{EncodingChoice, RawRow, ReadOptions, TableReader};

use crate::clean;
use crate::domain::validate::{finish_record, normalize_field, Issue, Severity};
use crate::domain::{Customer, CustomerKind, Field, FieldType, Interaction, PhoneKind, Target};

/// An issue located in its column.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIssue {
    pub column: Option<String>,
    pub issue: Issue,
}

/// What one source row says about its customer.
#[derive(Debug, Clone, Default)]
pub struct RowPlan {
    pub customer: Customer,
    /// Golden fields this row supplied a valid value for.
    pub provided: Vec<Field>,
    pub phones: Vec<(PhoneKind, String)>,
    pub emails: Vec<String>,
    pub custom: Vec<(String, &'static str, String)>,
    pub interaction: Option<Interaction>,
    /// Further people named in the contact cell: (name, title).
    pub extra_contacts: Vec<(String, Option<String>)>,
    pub issues: Vec<RowIssue>,
}

impl RowPlan {
    pub fn rejected(&self) -> bool {
        self.issues.iter().any(|i| i.issue.severity == Severity::Error)
    }
    pub fn warned(&self) -> bool {
        self.issues.iter().any(|i| i.issue.severity == Severity::Warning)
    }
}

/// Plans one row: normalises and validates every mapped cell. The raw cells
/// are not changed; the caller stores them verbatim.
pub fn plan_row(inputs: &[MappedInput], cells: &[String], default_kind: &str) -> RowPlan {
    let mut p = RowPlan::default();
    let mut inter_at: Option<String> = None;
    let mut inter_kind = None;
    let mut inter_summary: Vec<String> = Vec::new();
    let mut inter_by = None;
    let mut kind_given = false;
    let mut person_hint = false;
    for input in inputs {
        let value = input.value(cells);
        let cell: &str = &value;
        if cell.trim().is_empty() {
            continue;
        }
        // `合同金额(万元)`: the header's unit applies to bare numbers.
        let scaled;
        let cell: &str = if input.target == Target::Field(Field::ContractAmount)
            && input.label.contains('万')
            && !cell.contains('万')
        {
            scaled = format!("{}万", cell.trim().trim_end_matches('元'));
            &scaled
        } else {
            cell
        };
        let target = &input.target;
        let column = Some(input.label.clone());
        let mut warn = |issue: Issue| p.issues.push(RowIssue { column: column.clone(), issue });
        match target {
            Target::Field(Field::Number) => {}
            // An e-mail cell may hold several addresses; each is kept.
            Target::Field(Field::Email) => {
                for part in cell.split([';', '；', ',', '，', '/', '、', '\n']).filter(|p| !p.trim().is_empty()) {
                    match normalize_field(Field::Email, part) {
                        Ok(Some(v)) => {
                            if let Some(m) = clean::email::mobile_in_local_part(&v) {
                                p.phones.push((PhoneKind::Mobile, m));
                            }
                            if p.customer.email.is_none() {
                                p.customer.email = Some(v.clone());
                                p.provided.push(Field::Email);
                            }
                            p.emails.push(v);
                        }
                        Ok(None) => {}
                        Err(issue) => warn(issue),
                    }
                }
            }
            // One wording gives both the section name and its letter.
            Target::Field(f @ (Field::Industry | Field::IndustryCode)) => match classify_cached(cell) {
                Some((code, name)) => {
                    for (field, v) in [(Field::Industry, name.to_string()), (Field::IndustryCode, code.to_string())] {
                        set_field(&mut p.customer, field, v);
                        if !p.provided.contains(&field) {
                            p.provided.push(field);
                        }
                    }
                }
                None => warn(Issue::warning(
                    "industry.unknown",
                    Some(*f),
                    format!("`{}` is not a GB/T 4754 industry section; kept in the raw row", cell.trim()),
                )),
            },
            // Several people in one cell: the first is the contact, the rest
            // become further contacts of the customer.
            Target::Field(Field::ContactName) => {
                if is_placeholder(cell) {
                    continue;
                }
                let mut people = cell
                    .split([',', '，', '、', '/', ';', '；'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && !is_placeholder(s));
                if let Some(first) = people.next() {
                    match normalize_field(Field::ContactName, first) {
                        Ok(Some(v)) => {
                            set_field(&mut p.customer, Field::ContactName, v);
                            p.provided.push(Field::ContactName);
                        }
                        Ok(None) => {}
                        Err(issue) => warn(issue),
                    }
                }
                for other in people {
                    if let Ok(n) = clean::person::normalize(other) {
                        p.extra_contacts.push((n.name, n.title));
                    }
                }
            }
            // A name column's placeholder (个人, 无, N/A) names nobody: the
            // row's person, if any, then comes from the contact column.
            Target::Field(Field::Name) if is_placeholder(cell) => {
                person_hint |= is_person_placeholder(cell);
            }
            // A mobile column holding a landline or several numbers: each is
            // sorted as for `phone`, none is lost, and the row says so.
            Target::Field(Field::Mobile)
                if !matches!(normalize_field(Field::Mobile, cell), Ok(Some(_)))
                    && clean::phone::split_cell(cell).iter().any(|n| clean::phone::normalize(n).is_ok()) =>
            {
                for part in clean::phone::split_cell(cell) {
                    match clean::phone::normalize(&part) {
                        Ok(clean::phone::PhoneValue::Mobile(m)) => p.phones.push((PhoneKind::Mobile, m)),
                        Ok(clean::phone::PhoneValue::Landline(l)) => {
                            warn(Issue::warning(
                                "mobile.format",
                                Some(Field::Mobile),
                                format!("`{}` is a landline: kept as the customer's landline", part.trim()),
                            ));
                            p.phones.push((PhoneKind::Landline, l));
                        }
                        Err(e) => warn(Issue::warning("mobile.format", Some(Field::Mobile), e)),
                    }
                }
            }
            Target::Field(f) => match normalize_field(*f, cell) {
                Ok(Some(v)) => {
                    match f {
                        Field::Mobile => p.phones.push((PhoneKind::Mobile, v.clone())),
                        Field::Landline => p.phones.push((PhoneKind::Landline, v.clone())),
                        _ => {}
                    }
                    set_field(&mut p.customer, *f, v);
                    if *f == Field::Kind {
                        kind_given = true;
                    }
                    if !p.provided.contains(f) {
                        p.provided.push(*f);
                    }
                }
                Ok(None) => {}
                Err(issue) => warn(issue),
            },
            Target::Phone => {
                for part in clean::phone::split_cell(cell) {
                    match clean::phone::normalize(&part) {
                        Ok(clean::phone::PhoneValue::Mobile(m)) => p.phones.push((PhoneKind::Mobile, m)),
                        Ok(clean::phone::PhoneValue::Landline(l)) => p.phones.push((PhoneKind::Landline, l)),
                        Err(e) => warn(Issue {
                            rule: "phone.format",
                            severity: Severity::Warning,
                            field: Some("phone"),
                            message: e,
                        }),
                    }
                }
            }
            // `无`, `暂无`, `N/A` in an ID column say there is none, and `是` /
            // `否` that the column is a flag: as values they would tie every
            // such row together.
            Target::Custom { ty: FieldType::Identifier, .. } if is_placeholder(cell) || is_flag(cell) => {}
            Target::Custom { name, ty } => {
                let normalized = match ty {
                    FieldType::Date => clean::date::normalize_any(cell).map_err(|e| ("date.format", e)),
                    FieldType::Email => clean::email::normalize(cell).map_err(|e| ("email.format", e)),
                    FieldType::Phone => {
                        clean::phone::normalize(cell).map(|v| v.as_str().to_string()).map_err(|e| ("phone.format", e))
                    }
                    _ => Ok(clean::text::squeeze(cell)),
                };
                match normalized {
                    Ok(v) => p.custom.push((name.clone(), crate::domain::fields::type_name(*ty), v)),
                    Err((rule, e)) => warn(Issue::warning(rule, None, format!("{name}: {e}"))),
                }
            }
            Target::InteractionAt => match clean::date::normalize(cell) {
                Ok(d) => inter_at = Some(d),
                Err(e) => warn(Issue::warning("date.format", None, e)),
            },
            Target::InteractionKind => inter_kind = Some(clean::text::squeeze(cell)),
            Target::InteractionSummary => inter_summary.push(cell.trim().to_string()),
            Target::InteractionBy => inter_by = Some(clean::text::squeeze(cell)),
        }
    }
    // The primary phones are the first of each kind the row gave.
    for kind in [PhoneKind::Mobile, PhoneKind::Landline] {
        let field = if kind == PhoneKind::Mobile { Field::Mobile } else { Field::Landline };
        if p.customer.get(field).is_none() {
            if let Some((_, n)) = p.phones.iter().find(|(k, _)| *k == kind) {
                set_field(&mut p.customer, field, n.clone());
                p.provided.push(field);
            }
        }
    }
    dedup(&mut p.phones);
    dedup(&mut p.emails);
    if !kind_given {
        p.customer.kind = CustomerKind::parse(default_kind).unwrap_or_default();
    }
    if person_hint && !kind_given {
        p.customer.kind = CustomerKind::Person;
    }
    // No kind column and no --kind: a person's name, or a date of birth,
    // with no legal form makes a person; so does a resident ID number where
    // no other person is the row's contact (a firm's sheet may hold its
    // legal representative's).
    if !kind_given && default_kind == AUTO_KIND && !p.customer.name.is_empty() {
        let has_dob = p.custom.iter().any(|(name, ty, _)| *ty == "date" && is_birth_field(name));
        let has_personal_id = p
            .custom
            .iter()
            .any(|(name, ty, v)| *ty == "identifier" && clean::person::is_resident_id(v) && is_personal_id_field(name));
        let latin_parts = inputs.iter().any(|i| i.target == Target::Field(Field::Name) && i.columns.len() > 1);
        let company = clean::company::normalize(&p.customer.name).ok();
        let legal_form = company.as_ref().is_some_and(|c| c.legal_form.is_some());
        // A brand's short name can read as a person's (王老吉, 方太): a
        // different contact person on the row says it is an organisation.
        let other_contact = p.customer.contact_name.as_deref().is_some_and(|c| {
            let c = clean::person::normalize(c).map(|n| n.name).unwrap_or_default();
            !c.is_empty() && clean::person::key(&c) != clean::person::key(&p.customer.name)
        });
        if !legal_form
            && (!other_contact && (clean::person::looks_like_person(&p.customer.name, latin_parts) || has_personal_id)
                || has_dob && company.as_ref().is_none_or(|c| c.branch.is_none()))
        {
            p.customer.kind = CustomerKind::Person;
        }
    }
    // A row without a company name but with a person is a person customer.
    if p.customer.name.is_empty() {
        if let Some(contact) = p.customer.contact_name.clone() {
            if !kind_given || p.customer.kind == CustomerKind::Person {
                p.customer.kind = CustomerKind::Person;
                p.customer.name = contact;
                p.provided.push(Field::Name);
            }
        }
    }
    settle_address(&mut p);
    let has_detail = !p.phones.is_empty() || !p.emails.is_empty();
    for issue in finish_record(&mut p.customer, has_detail) {
        p.issues.push(RowIssue { column: None, issue });
    }
    if p.customer.contact_title.is_some() && !p.provided.contains(&Field::ContactTitle) {
        p.provided.push(Field::ContactTitle);
    }
    // A record written as `2024-04-20，与张总沟通…` (the template's 交往记录)
    // carries its own date when no column does.
    if inter_at.is_none() {
        inter_at = inter_summary.first().and_then(|s| {
            let head = s.trim_start().split([',', '，', '、', ';', '；', ':', '：', ' ', '\n']).next()?;
            clean::date::normalize(head).ok()
        });
    }
    if let Some(at) = inter_at {
        p.interaction = Some(Interaction {
            at,
            kind: inter_kind.unwrap_or_default(),
            summary: inter_summary.join("\n"),
            by: inter_by,
            ..Default::default()
        });
    } else if !inter_summary.is_empty() {
        p.issues.push(RowIssue {
            column: None,
            issue: Issue::warning(
                "date.format",
                None,
                "interaction has no valid date; not recorded (kept in the raw row)",
            ),
        });
    }
    p
}

/// The default kind when neither a kind column nor `--kind` says: each row
/// is a company unless it reads as a person (`plan_row`).
pub const AUTO_KIND: &str = "auto";

/// A custom date field holding a date of birth (`custom:dob:date`,
/// `出生日期`).
fn is_birth_field(name: &str) -> bool {
    let n = mapping::fold(name);
    n == "dob" || ["birth", "出生", "生日"].iter().any(|w| n.contains(w))
}

/// A custom identifier naming one person: the name automatic mapping gives
/// (`custom:id_number:identifier`), or a user's own name for it that the
/// mapping knows as a header (`身份证号`). Whole names only: `business_no`
/// holds `ssn`, `tax_id_number` holds `idnumber`.
fn is_personal_id_field(name: &str) -> bool {
    const ID: &str = "custom:id_number:identifier";
    // Asked for every row that holds a resident ID, always of the same few
    // columns: the header's answer is kept, as `company::normalize` keeps
    // its last one, rather than looked up in the synonym table per row.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, bool)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last.as_ref().filter(|(n, _)| n == name) {
        Some((_, answer)) => *answer,
        None => {
            let answer = mapping::fold(name) == "idnumber"
                || mapping::guess(name).is_some_and(|g| g.certain && g.target.name() == ID);
            *last = Some((name.to_string(), answer));
            answer
        }
    })
}

/// Words sheets put in a name cell to say there is no name. Compared
/// after NFKC, case folding and trimming.
const PLACEHOLDERS: &[&str] = &[
    "个人",
    "个人客户",
    "散客",
    "无",
    "暂无",
    "未知",
    "不详",
    "空",
    "-",
    "--",
    "—",
    "/",
    "\\",
    "n/a",
    "na",
    "none",
    "null",
    "unknown",
    "?",
    "？",
    "0",
];

/// The cell folded as `PLACEHOLDERS` are compared, or `None` when it is
/// certainly none of them: NFKC leaves it as it is (`plainly_nfkc`) and,
/// trimmed, it is longer than every placeholder (lower-casing never takes
/// characters away). Most cells are names, which are then never folded:
/// the fold cost every row an NFKC pass and three strings.
fn placeholder_fold(cell: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    static MOST: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let most = *MOST.get_or_init(|| PLACEHOLDERS.iter().map(|p| p.chars().count()).max().unwrap_or(0));
    if clean::text::plainly_nfkc(cell) {
        let t = cell.trim();
        return (t.chars().nth(most).is_none()).then(|| t.to_lowercase());
    }
    Some(cell.nfkc().collect::<String>().trim().to_lowercase())
}

fn is_placeholder(cell: &str) -> bool {
    placeholder_fold(cell).is_some_and(|f| PLACEHOLDERS.contains(&f.as_str()))
}

/// Yes / no answers: what a column that names a contact channel (`微信`)
/// holds when it says whether there is one rather than which.
fn is_flag(cell: &str) -> bool {
    placeholder_fold(cell)
        .is_some_and(|f| ["是", "否", "有", "没有", "yes", "no", "y", "n", "√", "×"].contains(&f.as_str()))
}

/// 个人 / 个人客户 / 散客 say what the customer is: a person.
fn is_person_placeholder(cell: &str) -> bool {
    placeholder_fold(cell).is_some_and(|f| matches!(f.as_str(), "个人" | "个人客户" | "散客"))
}

/// Province, city and district as full official names (浙江 → 浙江省), the
/// parts an address names filling those the row left empty, and the
/// address written out as province + city + district + the rest. Values
/// that name no Chinese division (`nsw`) are kept as given.
fn settle_address(p: &mut RowPlan) {
    use clean::address as a;
    let mut code: Option<u32> = None;
    let mut filled: Vec<Field> = Vec::new();
    let set = |c: &mut Customer, f: Field, v: &str, overwrite: bool, filled: &mut Vec<Field>| {
        if let Some(slot) = c.slot_mut(f) {
            if overwrite || slot.is_none() {
                if slot.is_none() {
                    filled.push(f);
                }
                *slot = Some(v.to_string());
            }
        }
    };
    for field in [Field::Province, Field::City, Field::District] {
        let Some(raw) = p.customer.get(field).map(str::to_string) else { continue };
        let norm = a::normalize(&raw);
        let level = match field {
            Field::Province => a::Level::Province,
            Field::City => a::Level::City,
            _ => a::Level::District,
        };
        match a::parse_place(&norm, code, level) {
            Some(places) if places.code.is_some_and(|c| code.is_none_or(|k| a::depth(c) >= a::depth(k))) => {
                for (f, v) in
                    [(Field::Province, places.province), (Field::City, places.city), (Field::District, places.district)]
                {
                    if let Some(v) = v {
                        set(&mut p.customer, f, v, f == field, &mut filled);
                    }
                }
                code = places.code;
            }
            _ => set(&mut p.customer, field, &norm, true, &mut filled),
        }
    }
    if let Some(raw) = p.customer.address.clone() {
        let norm = a::normalize(&raw);
        let mut sp = a::split_in(&norm, code);
        let mut consistent = true;
        if sp.parts.is_empty() && code.is_some() {
            let own = a::split(&norm);
            if !own.parts.is_empty() {
                // The address names another place than the columns: both
                // are kept as written, and the row says so.
                p.issues.push(RowIssue {
                    column: None,
                    issue: Issue::warning(
                        "address.mismatch",
                        Some(Field::Address),
                        format!(
                            "the address names {} but the province / city / district columns say {}",
                            own.places().city.or(own.places().province).unwrap_or_default(),
                            code.map(a::places_of).and_then(|x| x.city.or(x.province)).unwrap_or_default()
                        ),
                    ),
                });
                sp = own;
                consistent = false;
            }
        }
        let own = sp.places();
        let at = match (own.code, code) {
            (Some(o), Some(k)) if consistent => Some(if a::depth(o) >= a::depth(k) { o } else { k }),
            (Some(o), _) => Some(o),
            (None, k) => k,
        };
        if consistent {
            for (f, v) in [(Field::Province, own.province), (Field::City, own.city), (Field::District, own.district)] {
                if let Some(v) = v {
                    set(&mut p.customer, f, v, false, &mut filled);
                }
            }
        }
        let written = match at {
            Some(c) => a::compose(&a::places_of(c), &sp.rest),
            None => norm,
        };
        p.customer.address = (!written.is_empty()).then_some(written);
    }
    for f in filled {
        if !p.provided.contains(&f) {
            p.provided.push(f);
        }
    }
}

/// Industry wordings repeat endlessly in a file; classifying one means
/// scanning hundreds of keywords, so each distinct wording is classified once.
fn classify_cached(raw: &str) -> Option<(char, &'static str)> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Option<(char, &'static str)>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(v) = c.get(raw) {
            return *v;
        }
        let v = clean::industry::classify(raw);
        if c.len() > 50_000 {
            c.clear();
        }
        c.insert(raw.to_string(), v);
        v
    })
}

fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut i = 0;
    while i < v.len() {
        if v[..i].contains(&v[i]) {
            v.remove(i);
        } else {
            i += 1;
        }
    }
}

fn set_field(c: &mut Customer, f: Field, v: String) {
    match f {
        Field::Number => {}
        Field::Name => c.name = v,
        Field::Kind => c.kind = CustomerKind::parse(&v).unwrap_or_default(),
        _ => {
            if let Some(slot) = c.slot_mut(f) {
                if slot.is_none() {
                    *slot = Some(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(headers: &[&str], cells: &[&str]) -> RowPlan {
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &[], None).unwrap();
        let c: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
        plan_row(&m.inputs(), &c, "company")
    }

    #[test]
    fn plans_a_messy_row() {
        let p = plan(
            &["客户名称", "手机", "邮箱", "首次接触日期", "客户状态"],
            &["北京星辰科技有限公司", "138-1234-5678/010-62345678转8001", "13912345678@163.COM", "2024/3/5", "意向"],
        );
        assert!(!p.rejected());
        assert_eq!(p.customer.mobile.as_deref(), Some("13812345678"));
        assert_eq!(p.customer.landline.as_deref(), Some("010-62345678-8001"));
        assert_eq!(p.customer.email.as_deref(), Some("13912345678@163.com"));
        assert_eq!(p.phones.len(), 3, "the e-mail's mobile is a phone too: {:?}", p.phones);
        assert_eq!(p.customer.first_contact.as_deref(), Some("2024-03-05"));
        assert_eq!(p.customer.status.as_deref(), Some("意向客户"));
        assert_eq!(p.customer.name_parts.core.as_deref(), Some("星辰科技"));
        assert_eq!(p.customer.name_parts.region.as_deref(), Some("北京"));
        assert_eq!(p.customer.name_parts.legal_form.as_deref(), Some("有限公司"));
    }

    #[test]
    fn contacts_titles_and_industries() {
        let p = plan(
            &["客户名称", "联系人", "手机", "所属行业"],
            &["星辰科技（北京）有限公司*", "王经理、李娜", "13812345678", "软件和信息技术服务"],
        );
        assert_eq!(p.customer.name, "星辰科技（北京）有限公司");
        assert_eq!(p.customer.contact_name.as_deref(), Some("王"));
        assert_eq!(p.customer.contact_title.as_deref(), Some("经理"));
        assert_eq!(p.extra_contacts, vec![("李娜".to_string(), None)]);
        assert_eq!(p.customer.industry_code.as_deref(), Some("I"));
        assert_eq!(p.customer.industry.as_deref(), Some("信息传输、软件和信息技术服务业"));
        let p = plan(&["客户名称", "手机", "所属行业"], &["有限公司", "13812345678", "玄学"]);
        assert!(p.issues.iter().any(|i| i.issue.rule == "name.format"));
        assert!(p.issues.iter().any(|i| i.issue.rule == "industry.unknown"));
        assert_eq!(p.customer.industry, None, "an unknown industry is left out, not invented");
    }

    #[test]
    fn warns_and_rejects() {
        let p = plan(&["客户名称", "手机"], &["星辰", "12345"]);
        assert!(!p.rejected() && p.warned());
        assert_eq!(p.issues[0].column.as_deref(), Some("手机"));
        assert_eq!(p.customer.mobile, None, "a bad value never reaches the golden record");
        let p = plan(&["客户名称", "备注"], &["", "只有备注"]);
        assert!(p.rejected());
    }

    #[test]
    fn address_columns_and_address_settle() {
        let h = ["客户名称", "手机", "省份", "城市", "详细地址"];
        let p = plan(&h, &["星辰科技", "13812345678", "浙江", "宁波", "海曙区中山西路１００号"]);
        assert_eq!(p.customer.province.as_deref(), Some("浙江省"));
        assert_eq!(p.customer.city.as_deref(), Some("宁波市"));
        assert_eq!(p.customer.district.as_deref(), Some("海曙区"), "the district comes from the address");
        assert_eq!(p.customer.address.as_deref(), Some("浙江省宁波市海曙区中山西路100号"));
        assert!(p.provided.contains(&Field::District));
        // No city column: the city comes from the address; a municipality once.
        let p = plan(&["客户名称", "手机", "地址"], &["星辰科技", "13812345678", "北京朝阳区建国路88号"]);
        assert_eq!(
            (p.customer.province.as_deref(), p.customer.city.as_deref(), p.customer.district.as_deref()),
            (Some("北京市"), Some("北京市"), Some("朝阳区"))
        );
        assert_eq!(p.customer.address.as_deref(), Some("北京市朝阳区建国路88号"));
        // A state that is not Chinese is kept as given, and so is its address.
        let p = plan(&["客户名称", "手机", "state", "address"], &["Acme", "13812345678", "nsw", "12  Main St"]);
        assert_eq!(p.customer.province.as_deref(), Some("nsw"));
        assert_eq!(p.customer.address.as_deref(), Some("12 Main St"));
        // 所在地区 holding province and city fills both.
        let p = plan(&["客户名称", "手机", "所在地区"], &["星辰科技", "13812345678", "浙江省宁波市"]);
        assert_eq!((p.customer.province.as_deref(), p.customer.city.as_deref()), (Some("浙江省"), Some("宁波市")));
        // An address naming another province than the column: both kept, warned.
        let p = plan(&["客户名称", "手机", "省份", "地址"], &["星辰科技", "13812345678", "浙江", "江苏省南京市玄武区"]);
        assert_eq!(p.customer.province.as_deref(), Some("浙江省"));
        assert_eq!(p.customer.address.as_deref(), Some("江苏省南京市玄武区"));
        assert!(p.issues.iter().any(|i| i.issue.rule == "address.mismatch"));
    }

    #[test]
    fn mobile_column_with_landlines_and_several_numbers() {
        let h = ["客户名称", "mobile"];
        let m = Mapping::build(&h.map(String::from), None, &["mobile=mobile".into()], None).unwrap();
        let plan = |cell: &str| plan_row(&m.inputs(), &["星辰科技".to_string(), cell.to_string()], "company");
        let p = plan("010-62345678");
        assert_eq!(p.customer.landline.as_deref(), Some("010-62345678"), "a landline in a mobile column is kept");
        assert_eq!(p.customer.mobile, None);
        assert!(p.issues.iter().any(|i| i.issue.rule == "mobile.format" && i.issue.message.contains("landline")));
        let p = plan("13812345678/13912345678；0574-87654321");
        assert_eq!(p.customer.mobile.as_deref(), Some("13812345678"));
        assert_eq!(p.phones.len(), 3, "every number is kept: {:?}", p.phones);
        let p = plan("13812345678");
        assert!(p.issues.is_empty() && p.phones.len() == 1);
        let p = plan("12345");
        assert!(p.issues.iter().any(|i| i.issue.rule == "mobile.format"), "a bad value still warns");
    }

    #[test]
    fn name_placeholders_are_not_names() {
        for placeholder in ["个人", "个人客户", "无", "-", "N/A", "未知", "ｎ／ａ"] {
            let p = plan(&["客户名称", "联系人", "手机"], &[placeholder, "王伟", "13812345678"]);
            assert_eq!(p.customer.name, "王伟", "{placeholder}");
            assert_eq!(p.customer.kind, CustomerKind::Person, "{placeholder}");
        }
        let p = plan(&["客户名称", "手机"], &["无", "13812345678"]);
        assert_eq!(p.customer.name, "", "no name is invented");
        let p = plan(&["客户名称", "联系人", "手机"], &["星辰科技", "N/A", "13812345678"]);
        assert_eq!((p.customer.contact_name.clone(), p.extra_contacts.len()), (None, 0), "nor a contact");
        assert!(!p.rejected(), "a phone still identifies the row");
    }

    #[test]
    fn placeholders_are_told_apart_however_they_are_written() {
        use unicode_normalization::UnicodeNormalization;
        let slow = |cell: &str| PLACEHOLDERS.contains(&cell.nfkc().collect::<String>().trim().to_lowercase().as_str());
        for cell in [
            "无",
            " 无 ",
            "\u{3000}暂无\u{3000}",
            "N/A",
            "ｎ／ａ",
            "NULL",
            "Unknown",
            "？",
            "0",
            "--",
            "个人客户",
            "个人客户A",
            "星辰科技有限公司",
            "王伟",
            "Acme",
            "unknowns",
            "",
        ] {
            assert_eq!(is_placeholder(cell), slow(cell), "{cell:?}");
        }
        assert!(is_person_placeholder(" 个人 ") && is_person_placeholder("散客") && is_person_placeholder("个人客户"));
        assert!(!is_person_placeholder("个人独资企业"));
    }

    #[test]
    fn split_name_columns_fill_the_contact_or_the_person() {
        let auto = |cells: &[&str]| {
            let h: Vec<String> =
                ["Last Name", "First Name", "Company", "Mobile Phone"].iter().map(|s| s.to_string()).collect();
            let m = Mapping::build(&h, None, &[], None).unwrap();
            let c: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
            plan_row(&m.inputs(), &c, AUTO_KIND)
        };
        let p = auto(&["蒋", "俊", "温州驰祥智能装备有限责任公司", "15972950728"]);
        assert_eq!(p.customer.contact_name.as_deref(), Some("蒋俊"));
        assert_eq!(p.customer.kind, CustomerKind::Company);
        let p = auto(&["Smith", "John", "Acme Ltd", "15972950728"]);
        assert_eq!(p.customer.contact_name.as_deref(), Some("John Smith"), "Latin: given name first");
        let p = auto(&["方", "建", "", "19717328010"]);
        assert!(!p.rejected());
        assert_eq!((p.customer.name.as_str(), p.customer.kind), ("方建", CustomerKind::Person));
        let p = auto(&["张", "柳", "个人", "19908802383"]);
        assert_eq!((p.customer.name.as_str(), p.customer.kind), ("张柳", CustomerKind::Person));
    }

    #[test]
    fn persons_recognised_without_kind() {
        let h: Vec<String> =
            ["given_name", "surname", "date_of_birth", "phone"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &["given_name+surname=name".into()], None).unwrap();
        let cells: Vec<String> = ["john", "smith", "19560409", ""].iter().map(|s| s.to_string()).collect();
        let p = plan_row(&m.inputs(), &cells, AUTO_KIND);
        assert_eq!(p.customer.kind, CustomerKind::Person);
        assert_eq!(p.customer.name, "john smith");
        assert_eq!(p.custom, vec![("dob".to_string(), "date", "1956-04-09".to_string())], "YYYYMMDD is a date");
        let auto = |headers: &[&str], cells: &[&str]| {
            let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
            let m = Mapping::build(&h, None, &[], None).unwrap();
            let c: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
            plan_row(&m.inputs(), &c, AUTO_KIND)
        };
        assert_eq!(auto(&["客户名称", "手机"], &["王伟", "13812345678"]).customer.kind, CustomerKind::Person);
        assert_eq!(
            auto(&["客户名称", "手机"], &["星辰科技有限公司", "13812345678"]).customer.kind,
            CustomerKind::Company
        );
        assert_eq!(auto(&["客户名称", "手机"], &["星辰科技", "13812345678"]).customer.kind, CustomerKind::Company);
        let brand = auto(&["客户名称", "联系人", "手机"], &["王老吉", "李娜", "13812345678"]);
        assert_eq!(brand.customer.kind, CustomerKind::Company, "another person is its contact");
        let own = auto(&["客户名称", "联系人", "手机"], &["王伟", "王伟", "13812345678"]);
        assert_eq!(own.customer.kind, CustomerKind::Person, "the contact is the customer");
        assert_eq!(auto(&["Account Name", "Phone"], &["Acme Pty", "13812345678"]).customer.kind, CustomerKind::Company);
        let dob = auto(&["Name", "DOB", "Phone"], &["Madonna", "1958-08-16", "13812345678"]);
        assert_eq!(dob.customer.kind, CustomerKind::Person, "a date of birth makes a person");
        let id = auto(&["Name", "National ID"], &["Madonna", "11010519491231002X"]);
        assert_eq!(id.customer.kind, CustomerKind::Person, "a resident ID number makes a person");
        let bad = auto(&["Name", "National ID"], &["Madonna", "110101199001011234"]);
        assert_eq!(bad.customer.kind, CustomerKind::Company, "not a resident ID: its check digit is wrong");
        let rep = auto(&["客户名称", "联系人", "身份证号"], &["星辰贸易", "王芳", "11010519491231002X"]);
        assert_eq!(rep.customer.kind, CustomerKind::Company, "another person is the contact: a firm's sheet");
        let n = |h: &str| is_personal_id_field(h);
        assert!(n("id_number") && n("身份证号") && !n("business_no") && !n("tax_id_number") && !n("法人身份证号"));
        // Asked again (the kept answer) and in turn, the answers stay.
        assert!(!n("法人身份证号") && n("身份证号") && n("身份证号") && !n("business_no") && n("id_number"));
        let no_id = auto(&["Name", "身份证号"], &["Madonna", ""]);
        assert_eq!(no_id.customer.kind, CustomerKind::Company, "an empty ID cell says nothing");
        let none = auto(&["Name", "统一社会信用代码", "Phone"], &["Acme Pty", "暂无", "13812345678"]);
        assert!(none.custom.is_empty(), "a placeholder is no identifier: {:?}", none.custom);
        let flag = auto(&["Name", "微信", "Phone"], &["Acme Pty", "是", "13812345678"]);
        assert!(flag.custom.is_empty(), "a yes/no flag is no identifier: {:?}", flag.custom);
        let tax = auto(&["Name", "统一社会信用代码"], &["Madonna", "91330100MA2XXXXX1A"]);
        assert_eq!(tax.customer.kind, CustomerKind::Company, "a tax id is no person's");
        // An explicit kind is never second-guessed.
        assert_eq!(plan(&["客户名称", "手机"], &["王伟", "13812345678"]).customer.kind, CustomerKind::Company);
    }

    #[test]
    fn interaction_record_dated_in_its_text() {
        let p = plan(
            &["客户名称", "手机", "交往记录"],
            &["星辰科技", "13812345678", "2024-04-20，与张总沟通服务器采购，预算50万"],
        );
        let i = p.interaction.expect("the record is an interaction");
        assert_eq!(i.at, "2024-04-20");
        assert!(i.summary.contains("服务器采购"));
        let p = plan(&["客户名称", "手机", "交往记录"], &["星辰科技", "13812345678", "与张总沟通"]);
        assert!(p.interaction.is_none());
        assert!(p.warned(), "an undated record is kept in the raw row, and the row says so");
    }

    #[test]
    fn amount_header_in_ten_thousands() {
        let p = plan(&["客户名称", "手机", "合同金额（万元）"], &["星辰科技", "13812345678", "12.8"]);
        assert_eq!(p.customer.contract_amount.as_deref(), Some("128000"));
        let p = plan(&["客户名称", "手机", "合同金额(万元)"], &["星辰科技", "13812345678", "12.8万"]);
        assert_eq!(p.customer.contract_amount.as_deref(), Some("128000"), "not scaled twice");
        let p = plan(&["客户名称", "手机", "合同金额（元）"], &["星辰科技", "13812345678", "128000"]);
        assert_eq!(p.customer.contract_amount.as_deref(), Some("128000"));
    }

    #[test]
    fn person_without_company() {
        let p = plan(&["Company Name", "Contact", "Mobile"], &["", "王伟", "13812345678"]);
        assert_eq!(p.customer.kind, CustomerKind::Person);
        assert_eq!(p.customer.name, "王伟");
    }
}
