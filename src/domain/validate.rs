//! Validation rules, in one place: the importer, the CLI and the TUI editors
//! all call these, so a value is judged the same way wherever it enters.

use super::customer::{Customer, CustomerKind, NameParts, Priority, Status, FLAG_INCOMPLETE};
use super::fields::{Field, FieldType};
use crate::clean;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row cannot become a customer at all.
    Error,
    /// The value is left out of the golden record, kept in the raw row and flagged.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub rule: &'static str,
    pub severity: Severity,
    /// The target field the rule is about, if any.
    pub field: Option<&'static str>,
    pub message: String,
}

impl Issue {
    pub fn warning(rule: &'static str, field: Option<Field>, message: impl Into<String>) -> Issue {
        Issue { rule, severity: Severity::Warning, field: field.map(Field::name), message: message.into() }
    }
    pub fn error(rule: &'static str, message: impl Into<String>) -> Issue {
        Issue { rule, severity: Severity::Error, field: None, message: message.into() }
    }
}

/// The rule catalogue: id and what it checks. Shown by `crmwb rules` and in help.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("row.identity", Severity::Error, "a customer needs a name or at least one contact detail (phone or e-mail)"),
    ("mobile.format", Severity::Warning, "a mobile number has 11 digits and starts with 1"),
    (
        "landline.format",
        Severity::Warning,
        "a landline is 0AA-NNNNNNNN (an extension as a third part) or a 400/800 number",
    ),
    ("phone.format", Severity::Warning, "a phone value must be a recognisable mobile or landline number"),
    ("email.format", Severity::Warning, "an e-mail address is local@domain.tld"),
    ("date.format", Severity::Warning, "a date must be a real calendar date (stored as YYYY-MM-DD)"),
    ("date.order", Severity::Warning, "the last follow-up cannot be before the first contact"),
    ("kind.allowed", Severity::Warning, "customer type is company (企业) or person (个人)"),
    ("status.allowed", Severity::Warning, "status is one of 潜在客户, 意向客户, 成交客户, 流失客户"),
    ("priority.allowed", Severity::Warning, "priority is 高, 中 or 低"),
    ("number.format", Severity::Warning, "a number field holds a plain decimal amount"),
    (
        "address.mismatch",
        Severity::Warning,
        "the address names a province or city other than the row's province / city / district columns",
    ),
    ("name.format", Severity::Warning, "a name must contain letters, not only punctuation or a bare legal form"),
    (
        "industry.unknown",
        Severity::Warning,
        "industry must be one of the GB/T 4754-2017 sections (A–T), by name, letter or a common wording",
    ),
    (
        "status.won_needs_contract",
        Severity::Error,
        "成交客户 (won) needs a contract: a contract number or signing date",
    ),
    ("status.lost_needs_reason", Severity::Error, "流失客户 (lost) needs a reason"),
    ("status.reactivate_needs_reason", Severity::Error, "reactivating a lost customer needs a reason"),
    ("status.downgrade_needs_reason", Severity::Error, "moving an interested customer back to prospect needs a reason"),
    (
        "status.won_is_final",
        Severity::Error,
        "a won customer does not go back to prospect or interested; it stays won or becomes lost (with a reason)",
    ),
    (
        "interaction.kind",
        Severity::Error,
        "an interaction is a call, visit, email, meeting, quote, ticket, event or note",
    ),
];

/// Whether the lifecycle allows `from` → `to` (domain.md: 潜在客户 → 意向客户 →
/// 成交客户 → 流失客户, with conditions). `has_contract`: the customer has, or
/// is given in the same change, a contract number or signing date. A change
/// to the same status is not a transition and is not judged here.
pub fn check_status_change(
    from: Option<Status>,
    to: Status,
    has_contract: bool,
    reason: Option<&str>,
) -> Result<(), Issue> {
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    let refuse = |rule: &'static str, msg: String| Err(Issue { field: Some("status"), ..Issue::error(rule, msg) });
    let (f, t) = (from.map(Status::as_str).unwrap_or("(none)"), to.as_str());
    if from == Some(Status::Won) && matches!(to, Status::Prospect | Status::Interested) {
        return refuse(
            "status.won_is_final",
            format!("{f} → {t}: a won customer does not go back; mark it 流失客户 with a reason, or keep it won"),
        );
    }
    if from == Some(Status::Lost) && !has_reason {
        return refuse(
            "status.reactivate_needs_reason",
            format!("{f} → {t}: reactivating a lost customer needs --reason"),
        );
    }
    if from == Some(Status::Interested) && to == Status::Prospect && !has_reason {
        return refuse("status.downgrade_needs_reason", format!("{f} → {t}: moving back to prospect needs --reason"));
    }
    match to {
        Status::Won if !has_contract => refuse(
            "status.won_needs_contract",
            format!("{f} → {t}: a won customer needs a contract (--contract-no or --contract-signed)"),
        ),
        Status::Lost if !has_reason => {
            refuse("status.lost_needs_reason", format!("{f} → {t}: give the --reason it was lost"))
        }
        _ => Ok(()),
    }
}

/// Normalises one value for `field`. `Ok(None)` means empty.
pub fn normalize_field(field: Field, raw: &str) -> Result<Option<String>, Issue> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = |rule, msg: String| Err(Issue::warning(rule, Some(field), msg));
    match field {
        Field::Mobile => match clean::phone::normalize(t) {
            Ok(clean::phone::PhoneValue::Mobile(m)) => Ok(Some(m)),
            Ok(_) => bad("mobile.format", format!("`{t}` is a landline, not a mobile number")),
            Err(e) => bad("mobile.format", e),
        },
        Field::Landline => match clean::phone::normalize(t) {
            Ok(clean::phone::PhoneValue::Landline(l)) => Ok(Some(l)),
            Ok(_) => bad("landline.format", format!("`{t}` is a mobile, not a landline number")),
            Err(e) => bad("landline.format", e),
        },
        Field::Email => clean::email::normalize(t).map(Some).or_else(|e| bad("email.format", e)),
        Field::Kind => match CustomerKind::parse(t) {
            Some(k) => Ok(Some(k.as_str().to_string())),
            None => bad("kind.allowed", format!("`{t}` is not a customer type (company or person)")),
        },
        Field::Status => match Status::parse(t) {
            Some(s) => Ok(Some(s.as_str().to_string())),
            None => bad("status.allowed", format!("`{t}` is not a status (潜在客户, 意向客户, 成交客户, 流失客户)")),
        },
        Field::Priority => match Priority::parse(t) {
            Some(p) => Ok(Some(p.as_str().to_string())),
            None => bad("priority.allowed", format!("`{t}` is not a priority (高, 中, 低)")),
        },
        Field::Industry | Field::IndustryCode => match clean::industry::classify(t) {
            Some((code, name)) => Ok(Some(if field == Field::Industry { name.to_string() } else { code.to_string() })),
            None => bad("industry.unknown", format!("`{t}` is not a GB/T 4754 industry section")),
        },
        // Places by their full official names wherever they are entered
        // (浙江 → 浙江省); a name the division table does not decide, or a
        // foreign one (nsw), as written.
        Field::Province | Field::City | Field::District => {
            use clean::address::{normalize, parse_place, Level};
            let s = normalize(t);
            let level = match field {
                Field::Province => Level::Province,
                Field::City => Level::City,
                _ => Level::District,
            };
            // A value naming several levels (浙江省宁波市, from 所在地区) is
            // kept whole here: the importer spreads it over the fields.
            let several = clean::address::split(&s).parts.len() > 1;
            let official = parse_place(&s, None, level).filter(|_| !several).and_then(|p| match level {
                Level::Province => p.province,
                Level::City => p.city,
                Level::District => p.district,
            });
            Ok(Some(official.map(str::to_string).unwrap_or(s)))
        }
        Field::Address => Ok(Some(clean::address::normalize(t))),
        Field::Name | Field::ContactName => {
            let s = clean::text::squeeze(&clean::text::fold_width(t));
            if !s.chars().any(char::is_alphanumeric) {
                return bad("name.format", format!("`{t}` has no letters"));
            }
            Ok(Some(s))
        }
        _ => match field.field_type() {
            FieldType::Date => clean::date::normalize(t).map(Some).or_else(|e| bad("date.format", e)),
            FieldType::Number => {
                let s: String =
                    clean::text::fold_width(t).chars().filter(|c| !matches!(c, ',' | '¥' | '￥' | ' ')).collect();
                let s = s.trim_end_matches('元');
                // 12.8万 is 128000: Chinese amounts count in ten-thousands.
                let (s, shift) = match s.strip_suffix('万') {
                    Some(n) => (n, 4),
                    None => (s, 0),
                };
                match exact_amount(s, shift) {
                    Some(v) => Ok(Some(v)),
                    None => bad("number.format", format!("`{t}` is not an amount")),
                }
            }
            // Free text keeps its line breaks; only each line is tidied.
            _ if matches!(field, Field::Notes | Field::Needs) => {
                let lines: Vec<String> = t.lines().map(clean::text::squeeze).filter(|l| !l.is_empty()).collect();
                Ok(Some(lines.join("\n")))
            }
            _ => Ok(Some(clean::text::squeeze(t))),
        },
    }
}

/// The largest power of ten an amount may carry (`1e40`); far beyond any
/// contract, and it keeps the written-out digits short.
const AMOUNT_MAX_EXPONENT: i64 = 40;

/// An amount as exact decimal digits, times 10^`shift` (4 for 万): no
/// float in between, so `99999999999999999999999999` stays itself instead
/// of becoming 1e26. Accepts a sign, a decimal point and an exponent
/// (`1.5E+06`, as spreadsheets write large numbers); leading zeros and
/// trailing fraction zeros are dropped.
fn exact_amount(s: &str, shift: i64) -> Option<String> {
    let (negative, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => {
            let e = &s[i + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&s[..i], e.parse::<i64>().ok()?)
        }
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // value = digits × 10^point
    let digits = format!("{int}{frac}");
    let point = exponent + shift - frac.len() as i64;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some("0".into());
    }
    let magnitude = digits.len() as i64 + point;
    if !(-AMOUNT_MAX_EXPONENT..=AMOUNT_MAX_EXPONENT).contains(&magnitude) {
        return None;
    }
    let mut out = String::from(if negative { "-" } else { "" });
    if point >= 0 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point as usize));
    } else {
        let split = digits.len() as i64 + point;
        let (i, f) = if split > 0 {
            (digits[..split as usize].to_string(), digits[split as usize..].to_string())
        } else {
            ("0".to_string(), format!("{}{digits}", "0".repeat((-split) as usize)))
        };
        let f = f.trim_end_matches('0');
        out.push_str(&i);
        if !f.is_empty() {
            out.push('.');
            out.push_str(f);
        }
    }
    Some(out)
}

/// Kind-aware normalisation of the name and contact person, then the
/// record rules. A company name is split into region, core, legal form and
/// branch (kept for matching); a title is taken off a person's name.
pub fn finish_record(c: &mut Customer, has_phone_or_email: bool) -> Vec<Issue> {
    let mut issues = Vec::new();
    derive_name(c, &mut issues);
    if let Some(raw) = c.contact_name.take() {
        let is_self = raw.trim() == "本人" || (c.kind == CustomerKind::Person && raw.trim() == c.name);
        if !is_self {
            // `张芳(总)`: a title written in brackets after the name.
            let (raw, bracketed) = split_bracketed_title(&raw);
            if c.contact_title.is_none() {
                c.contact_title = bracketed;
            }
            match clean::person::normalize(&raw) {
                Ok(p) => {
                    c.contact_name = Some(p.name);
                    if c.contact_title.is_none() {
                        c.contact_title = p.title;
                    }
                }
                Err(e) => issues.push(Issue::warning("name.format", Some(Field::ContactName), e)),
            }
        }
    }
    issues.extend(check_record(c, has_phone_or_email));
    issues
}

fn split_bracketed_title(raw: &str) -> (String, Option<String>) {
    let t = raw.trim();
    if let Some(body) = t.strip_suffix(')').or_else(|| t.strip_suffix('）')) {
        if let Some(i) = body.rfind(['(', '（']) {
            let inner = body[i..].trim_start_matches(['(', '（']).trim();
            let name = body[..i].trim();
            if !inner.is_empty() && !name.is_empty() && inner.chars().count() <= 4 {
                return (name.to_string(), Some(inner.to_string()));
            }
        }
    }
    (t.to_string(), None)
}

/// Normalises `name` by kind and fills `name_parts` from it.
pub fn derive_name(c: &mut Customer, issues: &mut Vec<Issue>) {
    c.name_parts = NameParts::default();
    if c.name.trim().is_empty() {
        c.name.clear();
        return;
    }
    match c.kind {
        CustomerKind::Company => match clean::company::normalize(&c.name) {
            Ok(n) => {
                c.name = n.full;
                c.name_parts =
                    NameParts { region: n.region, core: Some(n.core), legal_form: n.legal_form, branch: n.branch };
            }
            Err(e) => {
                issues.push(Issue::warning("name.format", Some(Field::Name), e));
                c.name.clear();
            }
        },
        CustomerKind::Person => match clean::person::normalize(&c.name) {
            Ok(p) => {
                c.name = p.name;
                if c.contact_title.is_none() {
                    c.contact_title = p.title;
                }
                c.name_parts.core = Some(clean::person::key(&c.name));
            }
            Err(e) => {
                issues.push(Issue::warning("name.format", Some(Field::Name), e));
                c.name.clear();
            }
        },
    }
}

/// Record-level rules. Returns the issues and updates the 待完善 flag.
pub fn check_record(c: &mut Customer, has_phone_or_email: bool) -> Vec<Issue> {
    let mut issues = Vec::new();
    if c.name.trim().is_empty() && !has_phone_or_email {
        issues.push(Issue::error(
            "row.identity",
            "no customer name and no phone or e-mail: the row cannot become a customer",
        ));
        return issues;
    }
    if let (Some(first), Some(last)) = (c.get(Field::FirstContact), c.get(Field::LastFollowup)) {
        if last < first {
            issues.push(Issue::warning(
                "date.order",
                Some(Field::LastFollowup),
                format!("last follow-up {last} is before first contact {first}"),
            ));
        }
    }
    let incomplete = c.name.trim().is_empty()
        || c.get(Field::Industry).is_none()
        || !has_phone_or_email
        || (c.kind == CustomerKind::Company && c.get(Field::ContactName).is_none());
    c.flags.retain(|f| f != FLAG_INCOMPLETE);
    if incomplete {
        c.flags.push(FLAG_INCOMPLETE.to_string());
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, finding 13: a 26-digit amount went through f64 and was
    /// stored as 1e26; amounts are kept as exact digits.
    #[test]
    fn finding_15_13_huge_contract_amount_is_kept_exact() {
        let huge = "99999999999999999999999999";
        assert_eq!(normalize_field(Field::ContractAmount, huge).unwrap().as_deref(), Some(huge));
        let cents = "12345678901234567.89";
        assert_eq!(normalize_field(Field::ContractAmount, cents).unwrap().as_deref(), Some(cents));
        assert_eq!(normalize_field(Field::ContractAmount, "0.0001万").unwrap().as_deref(), Some("1"));
        assert_eq!(normalize_field(Field::ContractAmount, "1.23456789万").unwrap().as_deref(), Some("12345.6789"));
        assert_eq!(normalize_field(Field::ContractAmount, "0.001").unwrap().as_deref(), Some("0.001"));
    }

    #[test]
    fn field_rules() {
        assert_eq!(normalize_field(Field::Mobile, "138-1234-5678"), Ok(Some("13812345678".into())));
        assert_eq!(normalize_field(Field::Mobile, "010-62345678").unwrap_err().rule, "mobile.format");
        assert_eq!(normalize_field(Field::Status, "意向"), Ok(Some("意向客户".into())));
        assert_eq!(normalize_field(Field::Status, "maybe").unwrap_err().rule, "status.allowed");
        assert_eq!(normalize_field(Field::FirstContact, "2024-13-45").unwrap_err().rule, "date.format");
        assert_eq!(normalize_field(Field::Notes, "  "), Ok(None));
        assert_eq!(normalize_field(Field::ContractAmount, "¥500,000").unwrap(), Some("500000".into()));
        assert_eq!(normalize_field(Field::ContractAmount, "12.8万元").unwrap(), Some("128000".into()));
        for (raw, v) in [("1.50", "1.5"), ("-0", "0"), ("+5", "5"), (".5", "0.5"), ("5.", "5"), ("1.5E+06", "1500000")]
        {
            assert_eq!(normalize_field(Field::ContractAmount, raw).unwrap().as_deref(), Some(v), "{raw}");
        }
        for raw in ["inf", "NaN", "1e", "1e99999", "1e41", "1.2.3", ".", "-", "12a"] {
            assert!(normalize_field(Field::ContractAmount, raw).is_err(), "{raw}");
        }
        assert_eq!(normalize_field(Field::Priority, "一般").unwrap(), Some("中".into()));
        assert_eq!(normalize_field(Field::Status, "丢单").unwrap(), Some("流失客户".into()));
        assert_eq!(normalize_field(Field::Name, "***").unwrap_err().rule, "name.format");
        assert_eq!(normalize_field(Field::Province, "浙江"), Ok(Some("浙江省".into())));
        assert_eq!(normalize_field(Field::City, "北京"), Ok(Some("北京市".into())));
        assert_eq!(normalize_field(Field::Province, " nsw "), Ok(Some("nsw".into())));
        assert_eq!(normalize_field(Field::District, "朝阳区"), Ok(Some("朝阳区".into())), "ambiguous: as written");
        assert_eq!(normalize_field(Field::Address, "中山西路１００号"), Ok(Some("中山西路100号".into())));
    }

    #[test]
    fn every_status_transition() {
        use Status::*;
        let none: Option<Status> = None;
        // (from, to, has_contract, reason) → Ok or the rule that refuses it.
        type Case<'a> = (Option<Status>, Status, bool, Option<&'a str>, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (none, Prospect, false, None, None),
            (none, Interested, false, None, None),
            (none, Won, false, None, Some("status.won_needs_contract")),
            (none, Won, true, None, None),
            (none, Lost, false, None, Some("status.lost_needs_reason")),
            (none, Lost, false, Some("bankrupt"), None),
            (Some(Prospect), Interested, false, None, None),
            (Some(Prospect), Won, false, None, Some("status.won_needs_contract")),
            (Some(Prospect), Won, true, None, None),
            (Some(Prospect), Lost, false, None, Some("status.lost_needs_reason")),
            (Some(Prospect), Lost, false, Some("went quiet"), None),
            (Some(Interested), Prospect, false, None, Some("status.downgrade_needs_reason")),
            (Some(Interested), Prospect, false, Some("budget frozen"), None),
            (Some(Interested), Won, false, None, Some("status.won_needs_contract")),
            (Some(Interested), Won, true, None, None),
            (Some(Interested), Lost, false, Some("  "), Some("status.lost_needs_reason")),
            (Some(Interested), Lost, false, Some("chose a rival"), None),
            (Some(Won), Prospect, true, Some("x"), Some("status.won_is_final")),
            (Some(Won), Interested, true, Some("x"), Some("status.won_is_final")),
            (Some(Won), Lost, true, None, Some("status.lost_needs_reason")),
            (Some(Won), Lost, true, Some("contract ended"), None),
            (Some(Lost), Prospect, false, None, Some("status.reactivate_needs_reason")),
            (Some(Lost), Prospect, false, Some("new budget"), None),
            (Some(Lost), Interested, false, None, Some("status.reactivate_needs_reason")),
            (Some(Lost), Interested, false, Some("called back"), None),
            (Some(Lost), Won, true, None, Some("status.reactivate_needs_reason")),
            (Some(Lost), Won, false, Some("signed again"), Some("status.won_needs_contract")),
            (Some(Lost), Won, true, Some("signed again"), None),
        ];
        for (from, to, contract, reason, refused) in cases {
            let got = check_status_change(*from, *to, *contract, *reason).err().map(|i| i.rule);
            assert_eq!(got, *refused, "{from:?} → {to:?} contract={contract} reason={reason:?}");
        }
        for (_, _, _, _, rule) in cases {
            if let Some(rule) = rule {
                assert!(RULES.iter().any(|(id, _, _)| id == rule), "{rule} is not in the catalogue");
            }
        }
    }

    #[test]
    fn contact_titles() {
        let mut c =
            Customer {
                name: "星辰科技有限公司".into(), contact_name: Some("陈美欣(总)".into()), ..Default::default()
            };
        finish_record(&mut c, true);
        assert_eq!((c.contact_name.as_deref(), c.contact_title.as_deref()), (Some("陈美欣"), Some("总")));
        let mut c =
            Customer {
                name: "星辰科技有限公司".into(), contact_name: Some("王经理".into()), ..Default::default()
            };
        finish_record(&mut c, true);
        assert_eq!((c.contact_name.as_deref(), c.contact_title.as_deref()), (Some("王"), Some("经理")));
        assert_eq!(c.name_parts.core.as_deref(), Some("星辰科技"));
    }

    #[test]
    fn record_rules() {
        let mut c = Customer::default();
        assert_eq!(check_record(&mut c, false)[0].severity, Severity::Error);
        let mut c = Customer { name: "星辰科技".into(), ..Default::default() };
        assert!(check_record(&mut c, true).is_empty());
        assert_eq!(c.flags, vec![FLAG_INCOMPLETE.to_string()]);
        c.industry = Some("制造业".into());
        c.contact_name = Some("王伟".into());
        c.first_contact = Some("2024-05-01".into());
        c.last_followup = Some("2024-04-01".into());
        let issues = check_record(&mut c, true);
        assert_eq!(issues[0].rule, "date.order");
        assert!(c.flags.is_empty());
    }
}
