//! Reading source files and turning their rows into customer plans.
//! Nothing here touches the database; the service layer writes the plans.

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
    for input in inputs {
        let joined;
        let cell: &str = match input.columns.as_slice() {
            [i] => cells.get(*i).map(String::as_str).unwrap_or(""),
            many => {
                let parts: Vec<&str> = many.iter().map(|i| cells.get(*i).map(String::as_str).unwrap_or("")).collect();
                joined = mapping::join_parts(&parts);
                &joined
            }
        };
        if cell.trim().is_empty() {
            continue;
        }
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
                let mut people = cell.split([',', '，', '、', '/', ';', '；']).map(str::trim).filter(|s| !s.is_empty());
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
            Target::Custom { name, ty } => {
                let normalized = match ty {
                    FieldType::Date => clean::date::normalize(cell).map_err(|e| ("date.format", e)),
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
    let has_detail = !p.phones.is_empty() || !p.emails.is_empty();
    for issue in finish_record(&mut p.customer, has_detail) {
        p.issues.push(RowIssue { column: None, issue });
    }
    if p.customer.contact_title.is_some() && !p.provided.contains(&Field::ContactTitle) {
        p.provided.push(Field::ContactTitle);
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
    fn person_without_company() {
        let p = plan(&["Company Name", "Contact", "Mobile"], &["", "王伟", "13812345678"]);
        assert_eq!(p.customer.kind, CustomerKind::Person);
        assert_eq!(p.customer.name, "王伟");
    }
}
