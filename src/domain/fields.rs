//! The target fields of the golden customer record.
//!
//! These names are part of the user interface: they are what users write in
//! `--map HEADER=FIELD`, in mapping and match files, and the column headers of
//! exports. They never change once shipped; new fields may be added.

/// How a field's value is shaped, which decides how it is normalised,
/// validated and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Identifier,
    Date,
    Number,
    Phone,
    Email,
    /// One of a fixed list of values (kind, status, priority).
    Choice,
}

/// A golden-record field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Number,
    Name,
    Kind,
    Industry,
    IndustryCode,
    Status,
    ContactName,
    ContactTitle,
    Mobile,
    Landline,
    Email,
    Province,
    City,
    District,
    Address,
    FirstContact,
    LastFollowup,
    NextFollowup,
    ContractExpiry,
    Owner,
    Priority,
    Needs,
    ContractNo,
    ContractSigned,
    ContractAmount,
    DecisionMaker,
    SourceChannel,
    Notes,
}

impl Field {
    /// Every golden field, in export column order.
    pub const ALL: [Field; 28] = [
        Field::Number,
        Field::Name,
        Field::Kind,
        Field::Industry,
        Field::IndustryCode,
        Field::Status,
        Field::ContactName,
        Field::ContactTitle,
        Field::Mobile,
        Field::Landline,
        Field::Email,
        Field::Province,
        Field::City,
        Field::District,
        Field::Address,
        Field::FirstContact,
        Field::LastFollowup,
        Field::NextFollowup,
        Field::ContractExpiry,
        Field::Owner,
        Field::Priority,
        Field::Needs,
        Field::ContractNo,
        Field::ContractSigned,
        Field::ContractAmount,
        Field::DecisionMaker,
        Field::SourceChannel,
        Field::Notes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Number => "number",
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Industry => "industry",
            Field::IndustryCode => "industry_code",
            Field::Status => "status",
            Field::ContactName => "contact_name",
            Field::ContactTitle => "contact_title",
            Field::Mobile => "mobile",
            Field::Landline => "landline",
            Field::Email => "email",
            Field::Province => "province",
            Field::City => "city",
            Field::District => "district",
            Field::Address => "address",
            Field::FirstContact => "first_contact",
            Field::LastFollowup => "last_followup",
            Field::NextFollowup => "next_followup",
            Field::ContractExpiry => "contract_expiry",
            Field::Owner => "owner",
            Field::Priority => "priority",
            Field::Needs => "needs",
            Field::ContractNo => "contract_no",
            Field::ContractSigned => "contract_signed",
            Field::ContractAmount => "contract_amount",
            Field::DecisionMaker => "decision_maker",
            Field::SourceChannel => "source_channel",
            Field::Notes => "notes",
        }
    }

    /// The label shown to users next to a value (the domain's own words).
    pub fn label(self) -> &'static str {
        match self {
            Field::Number => "客户编号",
            Field::Name => "客户名称",
            Field::Kind => "客户类型",
            Field::Industry => "行业",
            Field::IndustryCode => "行业代码",
            Field::Status => "客户状态",
            Field::ContactName => "联系人",
            Field::ContactTitle => "联系人职务",
            Field::Mobile => "手机",
            Field::Landline => "座机",
            Field::Email => "邮箱",
            Field::Province => "省份",
            Field::City => "城市",
            Field::District => "区县",
            Field::Address => "地址",
            Field::FirstContact => "首次接触",
            Field::LastFollowup => "最近跟进",
            Field::NextFollowup => "下次跟进",
            Field::ContractExpiry => "合同到期",
            Field::Owner => "负责人",
            Field::Priority => "优先级",
            Field::Needs => "客户需求",
            Field::ContractNo => "合同编号",
            Field::ContractSigned => "签约日期",
            Field::ContractAmount => "合同金额",
            Field::DecisionMaker => "决策人",
            Field::SourceChannel => "来源渠道",
            Field::Notes => "备注",
        }
    }

    pub fn field_type(self) -> FieldType {
        match self {
            Field::Number => FieldType::Identifier,
            Field::Kind | Field::Status | Field::Priority => FieldType::Choice,
            Field::IndustryCode | Field::ContractNo => FieldType::Identifier,
            Field::Mobile | Field::Landline => FieldType::Phone,
            Field::Email => FieldType::Email,
            Field::FirstContact
            | Field::LastFollowup
            | Field::NextFollowup
            | Field::ContractExpiry
            | Field::ContractSigned => FieldType::Date,
            Field::ContractAmount => FieldType::Number,
            _ => FieldType::Text,
        }
    }

    /// Sensitive by default (domain.md, "Access and accountability"): shown
    /// only to roles with the right, masked otherwise.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Field::Mobile
                | Field::Landline
                | Field::Email
                | Field::Address
                | Field::ContractAmount
                | Field::DecisionMaker
        )
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == s)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an import column may be mapped to: a golden field, one of the
/// mapping-only targets, an interaction field, or a custom field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Field(Field),
    /// `phone`: each number in the cell is sorted into mobile or landline.
    Phone,
    InteractionAt,
    InteractionKind,
    InteractionSummary,
    InteractionBy,
    Custom {
        name: String,
        ty: FieldType,
    },
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("custom:") {
            let (name, ty) = rest.rsplit_once(':').ok_or_else(|| {
                format!("custom field `{s}` needs a type: custom:NAME:TYPE (TYPE is text, identifier, date, number, phone or email)")
            })?;
            if name.trim().is_empty() {
                return Err(format!("custom field `{s}` has an empty name"));
            }
            let ty = match ty {
                "text" => FieldType::Text,
                "identifier" => FieldType::Identifier,
                "date" => FieldType::Date,
                "number" => FieldType::Number,
                "phone" => FieldType::Phone,
                "email" => FieldType::Email,
                other => {
                    return Err(format!(
                        "custom field type `{other}` is unknown: use text, identifier, date, number, phone or email"
                    ))
                }
            };
            return Ok(Target::Custom { name: name.trim().to_string(), ty });
        }
        match s {
            "phone" => Ok(Target::Phone),
            "interaction_at" => Ok(Target::InteractionAt),
            "interaction_kind" => Ok(Target::InteractionKind),
            "interaction_summary" => Ok(Target::InteractionSummary),
            "interaction_by" => Ok(Target::InteractionBy),
            "number" => {
                Err("`number` is assigned by crmwb and cannot be imported over; map the source's own id with --key"
                    .into())
            }
            _ => Field::parse(s)
                .map(Target::Field)
                .ok_or_else(|| format!("`{s}` is not a target field (see `crmwb import --help` for the list)")),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Target::Field(f) => f.name().to_string(),
            Target::Phone => "phone".into(),
            Target::InteractionAt => "interaction_at".into(),
            Target::InteractionKind => "interaction_kind".into(),
            Target::InteractionSummary => "interaction_summary".into(),
            Target::InteractionBy => "interaction_by".into(),
            Target::Custom { name, ty } => format!("custom:{name}:{}", type_name(*ty)),
        }
    }
}

pub fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "text",
        FieldType::Identifier => "identifier",
        FieldType::Date => "date",
        FieldType::Number => "number",
        FieldType::Phone => "phone",
        FieldType::Email => "email",
        FieldType::Choice => "choice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.name()), Some(f));
        }
    }

    #[test]
    fn targets_parse() {
        assert_eq!(Target::parse("phone"), Ok(Target::Phone));
        assert_eq!(Target::parse("name"), Ok(Target::Field(Field::Name)));
        assert_eq!(Target::parse("custom:渠道:text"), Ok(Target::Custom { name: "渠道".into(), ty: FieldType::Text }));
        assert!(Target::parse("custom:x:blob").unwrap_err().contains("blob"));
        assert!(Target::parse("number").unwrap_err().contains("assigned"));
        assert!(Target::parse("nonsense").is_err());
    }
}
