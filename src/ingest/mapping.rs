//! Header → target-field mapping: the automatic guess for common Chinese and
//! English headers, and user overrides.

use crate::domain::Target;
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
            "客户名",
            "客户全称",
            "公司全称",
            "企业全称",
            "name",
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
            "phones",
        ],
    ),
    ("email", &["邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "emailaddress", "emails"]),
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
    /// `None`: kept in the raw row only (or fed into a join).
    pub target: Option<String>,
    /// Whether the user chose this target (else it was guessed).
    pub explicit: bool,
    /// Chosen in a saved or remembered mapping rather than on the command line.
    #[serde(default)]
    pub saved: bool,
}

/// Several columns feeding one field, joined in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinMap {
    pub columns: Vec<String>,
    pub target: String,
}

/// How a file's columns map onto targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<ColumnMap>,
    #[serde(default)]
    pub joins: Vec<JoinMap>,
    /// The header naming the source's own record key; `None` means the
    /// 1-based data row number.
    pub key: Option<String>,
}

/// A mapping as saved to TOML (`--save-mapping`, `--mapping`) and
/// remembered per source in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Customer kind for rows that do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Interaction kind for rows that carry an interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_kind: Option<String>,
    /// HEADER = FIELD; FIELD `-` keeps the column in the raw row only.
    #[serde(default)]
    pub columns: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "join", skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<JoinMap>,
}

impl MappingFile {
    pub fn from_toml(text: &str) -> Result<MappingFile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a mapping serialises")
    }
}

/// One input of a row plan: the columns it reads and where the value goes.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedInput {
    pub columns: Vec<usize>,
    pub target: Target,
    /// The header(s), for messages: `姓+名`.
    pub label: String,
}

fn find_col(headers: &[String], h: &str) -> Option<usize> {
    headers.iter().position(|x| x.trim() == h.trim())
}

impl Mapping {
    /// Guesses a mapping from headers, applies a saved mapping `base` if any
    /// (its headers that this file lacks are ignored), then `overrides`
    /// (`HEADER=FIELD`, `A+B=FIELD` to join columns, FIELD `-` unmaps).
    pub fn build(
        headers: &[String],
        base: Option<&MappingFile>,
        overrides: &[String],
        key: Option<&str>,
    ) -> Result<Mapping, String> {
        let mut columns: Vec<ColumnMap> = headers
            .iter()
            .map(|h| ColumnMap { header: h.clone(), target: guess(h).map(|t| t.name()), explicit: false, saved: false })
            .collect();
        let mut joins: Vec<JoinMap> = Vec::new();
        let cols = |spec: &str| -> Result<Vec<usize>, String> {
            spec.split('+')
                .map(|h| {
                    find_col(headers, h).ok_or_else(|| {
                        format!("the file has no column `{}` (columns: {})", h.trim(), headers.join(", "))
                    })
                })
                .collect()
        };
        let mut apply = |spec: &str, target: &str, columns: &mut Vec<ColumnMap>, saved: bool| -> Result<(), String> {
            let target = target.trim();
            let parsed = if target.is_empty() || target == "-" { None } else { Some(Target::parse(target)?.name()) };
            let idx = cols(spec)?;
            // A column mapped anew leaves any join it was part of.
            joins.retain(|j| !j.columns.iter().any(|c| idx.iter().any(|i| headers[*i].trim() == c.trim())));
            if idx.len() > 1 {
                let Some(t) = parsed else { return Err("a join needs a target field".into()) };
                for i in &idx {
                    columns[*i].target = None;
                    columns[*i].explicit = true;
                    columns[*i].saved = saved;
                }
                joins.push(JoinMap { columns: idx.iter().map(|i| headers[*i].clone()).collect(), target: t });
            } else {
                columns[idx[0]].target = parsed;
                columns[idx[0]].explicit = true;
                columns[idx[0]].saved = saved;
            }
            Ok(())
        };
        if let Some(base) = base {
            for (h, t) in &base.columns {
                if find_col(headers, h).is_some() {
                    apply(h, t, &mut columns, true).map_err(|e| format!("saved mapping `{h} = {t}`: {e}"))?;
                }
            }
            for j in &base.joins {
                if j.columns.iter().all(|h| find_col(headers, h).is_some()) {
                    apply(&j.columns.join("+"), &j.target, &mut columns, true)
                        .map_err(|e| format!("saved join {:?}: {e}", j.columns))?;
                }
            }
        }
        for o in overrides {
            let (spec, target) = o.split_once('=').ok_or_else(|| format!("--map `{o}`: write HEADER=FIELD"))?;
            apply(spec, target, &mut columns, false).map_err(|e| format!("--map `{o}`: {e}"))?;
        }
        // The first column guessed for a single-valued field wins; later
        // guesses would silently overwrite it. Explicit choices always stand.
        let mut seen: std::collections::HashSet<String> = columns
            .iter()
            .filter(|c| c.explicit)
            .filter_map(|c| c.target.clone())
            .chain(joins.iter().map(|j| j.target.clone()))
            .collect();
        for c in &mut columns {
            if let Some(t) = &c.target {
                if !c.explicit && t != "phone" && !t.starts_with("interaction_summary") && !seen.insert(t.clone()) {
                    c.target = None;
                }
            }
        }
        let key = key.map(str::to_string).or_else(|| base.and_then(|b| b.key.clone()));
        if let Some(k) = &key {
            if find_col(headers, k).is_none() {
                return Err(format!("--key `{k}`: the file has no such column (columns: {})", headers.join(", ")));
            }
        }
        if !columns.iter().any(|c| c.target.is_some()) && joins.is_empty() {
            return Err(format!(
                "no column could be mapped to a customer field (columns: {}); name them with --map 'HEADER=FIELD'",
                headers.join(", ")
            ));
        }
        Ok(Mapping { columns, joins, key: key.map(|k| k.trim().to_string()) })
    }

    /// The plan inputs: single columns in file order, then joins.
    pub fn inputs(&self) -> Vec<MappedInput> {
        let headers: Vec<String> = self.columns.iter().map(|c| c.header.clone()).collect();
        let mut out: Vec<MappedInput> = self
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let t = Target::parse(c.target.as_deref()?).ok()?;
                Some(MappedInput { columns: vec![i], target: t, label: c.header.clone() })
            })
            .collect();
        for j in &self.joins {
            let Ok(t) = Target::parse(&j.target) else { continue };
            let idx: Vec<usize> = j.columns.iter().filter_map(|h| find_col(&headers, h)).collect();
            out.push(MappedInput { columns: idx, target: t, label: j.columns.join("+") });
        }
        out
    }

    pub fn key_index(&self) -> Option<usize> {
        let k = self.key.as_deref()?;
        self.columns.iter().position(|c| c.header.trim() == k)
    }

    /// The mapping as a file to save or remember.
    pub fn to_file(&self, source: Option<&str>, kind: Option<&str>, interaction_kind: Option<&str>) -> MappingFile {
        MappingFile {
            source: source.map(str::to_string),
            key: self.key.clone(),
            kind: kind.map(str::to_string),
            interaction_kind: interaction_kind.map(str::to_string),
            columns: self
                .columns
                .iter()
                .filter(|c| !self.joins.iter().any(|j| j.columns.contains(&c.header)))
                .map(|c| (c.header.clone(), c.target.clone().unwrap_or_else(|| "-".into())))
                .collect(),
            joins: self.joins.clone(),
        }
    }
}

/// Joins the parts of a multi-column field: no space between CJK parts
/// (姓 + 名 → 王伟), one space otherwise (John + Smith → John Smith).
pub fn join_parts(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let cjk_seam = out.chars().last().is_some_and(is_cjk) && p.chars().next().is_some_and(is_cjk);
        if !out.is_empty() && !cjk_seam {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3000..=0x303F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_common_headers() {
        use crate::domain::Field;
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
        let m = Mapping::build(&h, None, &["x=custom:渠道:text".into()], None).unwrap();
        assert_eq!(m.columns[0].target.as_deref(), Some("name"));
        assert_eq!(m.columns[1].target, None, "second column for one field is not guessed");
        assert_eq!(m.columns[2].target.as_deref(), Some("custom:渠道:text"));
        assert!(Mapping::build(&h, None, &["y=name".into()], None).unwrap_err().contains("no column `y`"));
        assert!(Mapping::build(&h, None, &[], Some("nope")).unwrap_err().contains("--key"));
        let none: Vec<String> = vec!["foo".into()];
        assert!(Mapping::build(&none, None, &[], None).is_err());
    }

    #[test]
    fn joins_and_saved_mappings() {
        let h: Vec<String> = ["surname", "given_name", "tel", "memo"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &["surname+given_name=name".into(), "tel=phone".into()], None).unwrap();
        assert_eq!(
            m.joins,
            vec![JoinMap { columns: vec!["surname".into(), "given_name".into()], target: "name".into() }]
        );
        let inputs = m.inputs();
        assert_eq!(inputs.last().unwrap().columns, vec![0, 1]);
        let file = m.to_file(Some("hr"), None, None);
        let text = file.to_toml();
        let back = MappingFile::from_toml(&text).unwrap();
        assert_eq!(back, file);
        let again = Mapping::build(&h, Some(&back), &[], None).unwrap();
        assert_eq!(again.joins, m.joins);
        assert_eq!(again.columns[2].target.as_deref(), Some("phone"));
        assert!(MappingFile::from_toml("colums = {}").unwrap_err().contains("colums"));
    }

    #[test]
    fn join_spacing() {
        assert_eq!(join_parts(&["王", "伟"]), "王伟");
        assert_eq!(join_parts(&["John", "Smith"]), "John Smith");
        assert_eq!(join_parts(&["王", "", "Wei"]), "王 Wei");
    }
}
