//! Reading source files and turning their rows into customer plans.
//! Nothing here touches the database; the service layer writes the plans.

pub mod mapping;
pub mod reader;

pub use mapping::{ColumnMap, JoinMap, MappedInput, Mapping, MappingFile};
pub use reader::{EncodingChoice, RawRow, ReadOptions, TableReader};

use crate::clean;
use crate::domain::validate::{check_record, normalize_field, Issue, Severity};
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
    for issue in check_record(&mut p.customer, has_detail) {
        p.issues.push(RowIssue { column: None, issue });
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
