//! Header → target-field mapping: the automatic guess for common Chinese and
//! English headers, and user overrides.

use crate::domain::{Field, Target};
use serde::{Deserialize, Serialize};

/// Known header spellings per target. Compared after lower-casing and
/// removing spaces, underscores, colons and brackets.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "客户名称",
            "公司名称",
            "客户",
            "客户简称",
            "公司",
            "企业名称",
            "单位名称",
            "单位",
            "名称",
            "company",
            "companyname",
            "customer",
            "customername",
            "account",
            "accountname",
            "organization",
            "organisation",
        ],
    ),
    ("kind", &["客户类型", "客户类别", "类型", "customertype", "type", "kind"]),
    ("industry", &["行业", "所属行业", "行业类别", "行业分类", "industry", "sector"]),
    ("industry_code", &["行业代码", "industrycode"]),
    ("status", &["客户状态", "状态", "跟进状态", "customerstatus", "status", "stage"]),
    (
        "contact_name",
        &["联系人", "联系人姓名", "姓名", "客户姓名", "contact", "contactname", "contactperson", "fullname"],
    ),
    (
        "phone",
        &[
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "座机",
            "固话",
            "办公电话",
            "联系方式",
            "电话号码",
            "mobile",
            "phone",
            "tel",
            "telephone",
            "cellphone",
            "mobilephone",
            "phonenumber",
        ],
    ),
    ("email", &["邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "emailaddress"]),
    ("province", &["省份", "省", "所在省份", "province", "state"]),
    ("city", &["城市", "所在城市", "市", "city"]),
    ("district", &["区县", "区", "所在区县", "district", "county"]),
    ("address", &["地址", "详细地址", "公司地址", "联系地址", "办公地址", "address", "streetaddress"]),
    (
        "first_contact",
        &[
            "首次接触日期",
            "首次接触时间",
            "首次联系日期",
            "首次接触",
            "创建日期",
            "录入日期",
            "firstcontact",
            "firstcontactdate",
            "createddate",
        ],
    ),
    (
        "last_followup",
        &[
            "最近跟进日期",
            "最后跟进日期",
            "最近跟进时间",
            "最近跟进",
            "最后跟进时间",
            "lastfollowup",
            "lastcontact",
            "lastcontactdate",
        ],
    ),
    ("next_followup", &["下次跟进日期", "下次跟进时间", "计划跟进日期", "下次跟进", "nextfollowup", "nextcontactdate"]),
    (
        "contract_expiry",
        &["合同到期日", "合同到期日期", "到期日期", "合同到期", "contractexpiry", "expirydate", "renewaldate"],
    ),
    ("owner", &["负责人", "跟进人", "销售", "销售负责人", "客户经理", "归属人", "owner", "accountowner", "salesrep"]),
    ("priority", &["需求优先级", "优先级", "重要程度", "priority"]),
    ("needs", &["客户需求", "需求", "需求描述", "需求详情", "needs", "requirement", "requirements"]),
    ("contract_no", &["合同编号", "合同号", "contractno", "contractnumber"]),
    ("contract_signed", &["签约日期", "合同签订日期", "签订日期", "contractsigned", "signeddate"]),
    ("contract_amount", &["合同金额", "签约金额", "成交金额", "contractamount", "amount", "dealamount"]),
    ("decision_maker", &["决策人", "关键决策人", "decisionmaker"]),
    ("source_channel", &["来源渠道", "客户来源", "渠道", "来源", "获客渠道", "channel", "source", "leadsource"]),
    ("notes", &["备注", "说明", "remark", "remarks", "notes", "note", "comment", "comments"]),
    (
        "interaction_at",
        &[
            "创建时间",
            "报名时间",
            "报名日期",
            "工单时间",
            "提交时间",
            "signupdate",
            "signuptime",
            "registrationdate",
            "ticketdate",
        ],
    ),
    (
        "interaction_summary",
        &["问题描述", "工单描述", "工单内容", "活动名称", "活动", "event", "eventname", "issue", "description"],
    ),
    ("interaction_by", &["处理人", "受理人", "客服", "handler", "agent"]),
];

fn fold(h: &str) -> String {
    crate::clean::text::fold_width(h)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !"_:：()（）*".contains(*c))
        .collect()
}

/// The automatic guess for one header, if any.
pub fn guess(header: &str) -> Option<Target> {
    let h = fold(header);
    if h.is_empty() {
        return None;
    }
    SYNONYMS
        .iter()
        .find(|(_, words)| words.iter().any(|w| fold(w) == h))
        .map(|(target, _)| Target::parse(target).expect("synonym targets are valid"))
}

/// One column's role in an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap {
    pub header: String,
    /// `None`: kept in the raw row only.
    pub target: Option<String>,
    /// Whether the user chose this target (else it was guessed).
    pub explicit: bool,
}

/// How a file's columns map onto targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<ColumnMap>,
    /// The header naming the source's own record key; `None` means the
    /// 1-based data row number.
    pub key: Option<String>,
}

impl Mapping {
    /// Guesses a mapping from headers, then applies `overrides`
    /// (`HEADER=FIELD`; an empty FIELD or `-` unmaps the column).
    pub fn build(headers: &[String], overrides: &[String], key: Option<&str>) -> Result<Mapping, String> {
        let mut columns: Vec<ColumnMap> = headers
            .iter()
            .map(|h| ColumnMap { header: h.clone(), target: guess(h).map(|t| t.name()), explicit: false })
            .collect();
        // The first column guessed for a single-valued field wins; later ones
        // would silently overwrite it. `phone` and interaction fields aside.
        let mut seen = std::collections::HashSet::new();
        for c in &mut columns {
            if let Some(t) = &c.target {
                if t != "phone" && !seen.insert(t.clone()) {
                    c.target = None;
                }
            }
        }
        for o in overrides {
            let (header, target) = o.split_once('=').ok_or_else(|| format!("--map `{o}`: write HEADER=FIELD"))?;
            let header = header.trim();
            let col = columns.iter_mut().find(|c| c.header.trim() == header).ok_or_else(|| {
                format!("--map `{o}`: the file has no column `{header}` (columns: {})", headers.join(", "))
            })?;
            let target = target.trim();
            if target.is_empty() || target == "-" {
                col.target = None;
            } else {
                col.target = Some(Target::parse(target).map_err(|e| format!("--map `{o}`: {e}"))?.name());
            }
            col.explicit = true;
        }
        if let Some(k) = key {
            if !headers.iter().any(|h| h.trim() == k.trim()) {
                return Err(format!("--key `{k}`: the file has no such column (columns: {})", headers.join(", ")));
            }
        }
        if !columns.iter().any(|c| c.target.is_some()) {
            return Err(format!(
                "no column could be mapped to a customer field (columns: {}); name them with --map 'HEADER=FIELD'",
                headers.join(", ")
            ));
        }
        Ok(Mapping { columns, key: key.map(|k| k.trim().to_string()) })
    }

    /// Parsed targets, one per column.
    pub fn targets(&self) -> Vec<Option<Target>> {
        self.columns.iter().map(|c| c.target.as_deref().and_then(|t| Target::parse(t).ok())).collect()
    }

    pub fn key_index(&self) -> Option<usize> {
        let k = self.key.as_deref()?;
        self.columns.iter().position(|c| c.header.trim() == k)
    }
}

/// True when the mapping maps some column to `field`.
pub fn maps_field(targets: &[Option<Target>], field: Field) -> bool {
    targets.iter().any(|t| matches!(t, Some(Target::Field(f)) if *f == field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_common_headers() {
        assert_eq!(guess("客户名称"), Some(Target::Field(Field::Name)));
        assert_eq!(guess(" Company Name "), Some(Target::Field(Field::Name)));
        assert_eq!(guess("手机"), Some(Target::Phone));
        assert_eq!(guess("E-mail"), Some(Target::Field(Field::Email)));
        assert_eq!(guess("问题描述"), Some(Target::InteractionSummary));
        assert_eq!(guess("工单号"), None);
    }

    #[test]
    fn overrides_and_errors() {
        let h: Vec<String> = ["客户", "客户名称", "x"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, &["x=custom:渠道:text".into()], None).unwrap();
        assert_eq!(m.columns[0].target.as_deref(), Some("name"));
        assert_eq!(m.columns[1].target, None, "second column for one field is not guessed");
        assert_eq!(m.columns[2].target.as_deref(), Some("custom:渠道:text"));
        assert!(Mapping::build(&h, &["y=name".into()], None).unwrap_err().contains("no column `y`"));
        assert!(Mapping::build(&h, &[], Some("nope")).unwrap_err().contains("--key"));
        let none: Vec<String> = vec!["foo".into()];
        assert!(Mapping::build(&none, &[], None).is_err());
    }
}
