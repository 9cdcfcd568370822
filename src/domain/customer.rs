//! The golden customer record and its fixed vocabularies.

use super::fields::Field;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerKind {
    #[default]
    Company,
    Person,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Company => "company",
            CustomerKind::Person => "person",
        }
    }

    /// Accepts the stored value and the synonyms found in source files.
    pub fn parse(s: &str) -> Option<CustomerKind> {
        match s.trim().to_lowercase().as_str() {
            "company" | "企业" | "公司" | "企业客户" | "单位" | "organization" | "organisation" | "b2b" | "法人" => {
                Some(CustomerKind::Company)
            }
            "person" | "个人" | "个人客户" | "自然人" | "individual" | "b2c" => Some(CustomerKind::Person),
            _ => None,
        }
    }
}

/// Lifecycle status: 潜在客户 → 意向客户 → 成交客户 → 流失客户.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Prospect,
    Interested,
    Won,
    Lost,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Prospect, Status::Interested, Status::Won, Status::Lost];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Prospect => "潜在客户",
            Status::Interested => "意向客户",
            Status::Won => "成交客户",
            Status::Lost => "流失客户",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_lowercase().as_str() {
            "潜在客户" | "潜在" | "潜客" | "线索" | "待开发" | "新客户" | "初步接触" | "prospect" | "lead" | "new" => {
                Some(Status::Prospect)
            }
            "意向客户" | "意向" | "有意向" | "跟进中" | "跟进" | "商机" | "报价中" | "谈判中" | "interested"
            | "opportunity" => Some(Status::Interested),
            "成交客户" | "成交" | "已成交" | "签约" | "已签约" | "签单" | "已签单" | "合作中" | "won" | "customer"
            | "closed won" => Some(Status::Won),
            "流失客户" | "流失" | "已流失" | "丢单" | "已丢单" | "终止合作" | "lost" | "churned" | "closed lost" => {
                Some(Status::Lost)
            }
            _ => None,
        }
    }
}

/// Need priority: 高 / 中 / 低.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "高",
            Priority::Medium => "中",
            Priority::Low => "低",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        match s.trim().to_lowercase().as_str() {
            "高" | "high" | "h" | "a" | "重要" | "紧急" | "优先" => Some(Priority::High),
            "中" | "medium" | "mid" | "m" | "b" | "一般" | "普通" | "正常" => Some(Priority::Medium),
            "低" | "low" | "l" | "c" | "不急" | "次要" => Some(Priority::Low),
            _ => None,
        }
    }
}

/// The flag for a record missing key fields (domain.md: "待完善").
pub const FLAG_INCOMPLETE: &str = "待完善";

/// A golden record. Text fields hold normalised values; raw values live in
/// the source records the customer was built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub number: String,
    pub kind: CustomerKind,
    pub name: String,
    pub industry: Option<String>,
    pub industry_code: Option<String>,
    pub status: Option<String>,
    pub contact_name: Option<String>,
    pub contact_title: Option<String>,
    pub mobile: Option<String>,
    pub landline: Option<String>,
    pub email: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub first_contact: Option<String>,
    pub last_followup: Option<String>,
    pub next_followup: Option<String>,
    pub contract_expiry: Option<String>,
    pub owner: Option<String>,
    pub priority: Option<String>,
    pub needs: Option<String>,
    pub contract_no: Option<String>,
    pub contract_signed: Option<String>,
    pub contract_amount: Option<String>,
    pub decision_maker: Option<String>,
    pub source_channel: Option<String>,
    pub notes: Option<String>,
    /// A company name's parts (region, core, legal form, branch), kept so
    /// matching can compare core names; derived from `name`.
    pub name_parts: NameParts,
    /// Quality flags such as 待完善.
    pub flags: Vec<String>,
    /// Optimistic-concurrency version; bumped by every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Set when this customer was absorbed into another by a merge.
    pub merged_into: Option<i64>,
}

impl Customer {
    /// The value of a golden field as text, `None` when empty.
    pub fn get(&self, field: Field) -> Option<&str> {
        let v: Option<&String> = match field {
            Field::Number => return Some(&self.number),
            Field::Name => return Some(&self.name),
            Field::Kind => return Some(self.kind.as_str()),
            Field::Industry => self.industry.as_ref(),
            Field::IndustryCode => self.industry_code.as_ref(),
            Field::Status => self.status.as_ref(),
            Field::ContactName => self.contact_name.as_ref(),
            Field::ContactTitle => self.contact_title.as_ref(),
            Field::Mobile => self.mobile.as_ref(),
            Field::Landline => self.landline.as_ref(),
            Field::Email => self.email.as_ref(),
            Field::Province => self.province.as_ref(),
            Field::City => self.city.as_ref(),
            Field::District => self.district.as_ref(),
            Field::Address => self.address.as_ref(),
            Field::FirstContact => self.first_contact.as_ref(),
            Field::LastFollowup => self.last_followup.as_ref(),
            Field::NextFollowup => self.next_followup.as_ref(),
            Field::ContractExpiry => self.contract_expiry.as_ref(),
            Field::Owner => self.owner.as_ref(),
            Field::Priority => self.priority.as_ref(),
            Field::Needs => self.needs.as_ref(),
            Field::ContractNo => self.contract_no.as_ref(),
            Field::ContractSigned => self.contract_signed.as_ref(),
            Field::ContractAmount => self.contract_amount.as_ref(),
            Field::DecisionMaker => self.decision_maker.as_ref(),
            Field::SourceChannel => self.source_channel.as_ref(),
            Field::Notes => self.notes.as_ref(),
        };
        v.map(String::as_str).filter(|s| !s.is_empty())
    }

    /// Mutable access to an optional text field. `number`, `name` and `kind`
    /// are not optional and are set directly.
    pub fn slot_mut(&mut self, field: Field) -> Option<&mut Option<String>> {
        Some(match field {
            Field::Number | Field::Name | Field::Kind => return None,
            Field::Industry => &mut self.industry,
            Field::IndustryCode => &mut self.industry_code,
            Field::Status => &mut self.status,
            Field::ContactName => &mut self.contact_name,
            Field::ContactTitle => &mut self.contact_title,
            Field::Mobile => &mut self.mobile,
            Field::Landline => &mut self.landline,
            Field::Email => &mut self.email,
            Field::Province => &mut self.province,
            Field::City => &mut self.city,
            Field::District => &mut self.district,
            Field::Address => &mut self.address,
            Field::FirstContact => &mut self.first_contact,
            Field::LastFollowup => &mut self.last_followup,
            Field::NextFollowup => &mut self.next_followup,
            Field::ContractExpiry => &mut self.contract_expiry,
            Field::Owner => &mut self.owner,
            Field::Priority => &mut self.priority,
            Field::Needs => &mut self.needs,
            Field::ContractNo => &mut self.contract_no,
            Field::ContractSigned => &mut self.contract_signed,
            Field::ContractAmount => &mut self.contract_amount,
            Field::DecisionMaker => &mut self.decision_maker,
            Field::SourceChannel => &mut self.source_channel,
            Field::Notes => &mut self.notes,
        })
    }
}

/// The recognised parts of a company name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameParts {
    pub region: Option<String>,
    pub core: Option<String>,
    pub legal_form: Option<String>,
    pub branch: Option<String>,
}

/// Formats a customer number: `CRM<year>-<sequence>`, the sequence
/// zero-padded to six digits and widening beyond (`CRM2026-1000001`).
pub fn format_number(year: i32, seq: u64) -> String {
    format!("CRM{year}-{seq:06}")
}

/// Parses a customer number back into (year, sequence).
pub fn parse_number(s: &str) -> Option<(i32, u64)> {
    let rest = s.trim().strip_prefix("CRM")?;
    let (y, n) = rest.split_once('-')?;
    if y.len() != 4 || n.len() < 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((y.parse().ok()?, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pad_and_widen() {
        assert_eq!(format_number(2026, 42), "CRM2026-000042");
        assert_eq!(format_number(2026, 1_000_001), "CRM2026-1000001");
        assert_eq!(parse_number("CRM2026-000042"), Some((2026, 42)));
        assert_eq!(parse_number("CRM2026-1000001"), Some((2026, 1_000_001)));
        assert_eq!(parse_number("CRM2026-42"), None);
        assert_eq!(parse_number("XYZ2026-000042"), None);
    }

    #[test]
    fn vocabularies_parse_synonyms() {
        assert_eq!(Status::parse("意向"), Some(Status::Interested));
        assert_eq!(Status::parse(" Won "), Some(Status::Won));
        assert_eq!(Status::parse("maybe"), None);
        assert_eq!(CustomerKind::parse("个人"), Some(CustomerKind::Person));
        assert_eq!(Priority::parse("High"), Some(Priority::High));
    }

    #[test]
    fn get_treats_empty_as_missing() {
        let c = Customer { email: Some(String::new()), ..Default::default() };
        assert_eq!(c.get(Field::Email), None);
    }
}
