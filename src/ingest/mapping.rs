//! Header → target-field mapping: the automatic guess for common Chinese and
//! English headers, and user overrides.

use crate::domain::Target;
use serde::{Deserialize, Serialize};

/// Known header spellings per target: a header equal to one of these (after
/// `fold`) is mapped with certainty. Written as users write them; `fold`
/// is applied to both sides, so case, spacing, `_`/`-` and bracketed notes
/// need no variants here.
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
            "公司名",
            "企业名称",
            "单位名称",
            "机构名称",
            "组织名称",
            "商户名称",
            "门店名称",
            "店铺名称",
            "公司",
            "企业",
            "单位",
            "名称",
            "name",
            "company",
            "company name",
            "customer",
            "customer name",
            "account",
            "account name",
            "organization",
            "organisation",
            "organization name",
            "business name",
            "client",
            "client name",
        ],
    ),
    ("kind", &["客户类型", "客户类别", "客户性质", "类型", "customer type", "account type", "type", "kind"]),
    (
        "industry",
        &[
            "行业",
            "所属行业",
            "所在行业",
            "行业类别",
            "行业分类",
            "行业类型",
            "行业名称",
            "industry",
            "sector",
            "vertical",
        ],
    ),
    ("industry_code", &["行业代码", "行业编码", "行业门类代码", "industry code"]),
    (
        "status",
        &[
            "客户状态",
            "状态",
            "跟进状态",
            "客户阶段",
            "销售阶段",
            "客户生命周期",
            "status",
            "stage",
            "customer status",
            "account status",
            "lead status",
            "lifecycle stage",
        ],
    ),
    (
        "contact_name",
        &[
            "联系人",
            "联系人姓名",
            "联系人名称",
            "姓名",
            "客户姓名",
            "对接人",
            "联络人",
            "主要联系人",
            "首要联系人",
            "客户联系人",
            // Who raised a ticket, a request or a call: the customer's
            // contact in ticket and lead systems.
            "报修人",
            "申请人",
            "提交人",
            "来电人",
            "咨询人",
            "反馈人",
            "requester",
            "requester name",
            "requested by",
            "reporter",
            "reported by",
            "caller",
            "caller name",
            "submitted by",
            "contact",
            "contact name",
            "contact person",
            "full name",
            "primary contact",
        ],
    ),
    ("contact_title", &["职务", "职位", "联系人职务", "联系人职位", "头衔", "title", "job title", "position"]),
    (
        "phone",
        &[
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "移动电话",
            "联系手机",
            "座机",
            "座机号码",
            "固话",
            "固定电话",
            "办公电话",
            "公司电话",
            "单位电话",
            "联系方式",
            "电话号码",
            "联系人电话",
            "联系人手机",
            "手机/电话",
            "电话/手机",
            "mobile",
            "mobile phone",
            "mobile number",
            "phone",
            "tel",
            "telephone",
            "cell",
            "cellphone",
            "cell phone",
            "phone number",
            "phones",
            "contact number",
            "work phone",
            "office phone",
            "business phone",
            "home phone",
        ],
    ),
    (
        "email",
        &[
            "邮箱",
            "电子邮箱",
            "电子邮件",
            "邮件",
            "邮箱地址",
            "联系邮箱",
            "联系人邮箱",
            "工作邮箱",
            "email",
            "mail",
            "email address",
            "emails",
        ],
    ),
    (
        "province",
        &[
            "省份",
            "省",
            "所在省份",
            "所属省份",
            "所在省",
            "省/直辖市",
            "省市",
            "所在地区",
            "所在省市",
            "省市区",
            "province",
            "state",
            "state/province",
            "state/region",
            "billing state",
            "billing state/province",
            "mailing state",
            "shipping state",
        ],
    ),
    (
        "city",
        &[
            "城市",
            "所在城市",
            "所属城市",
            "所在市",
            "所属市",
            "所在地市",
            "市",
            "地市",
            "city",
            "billing city",
            "mailing city",
            "shipping city",
        ],
    ),
    (
        "district",
        &["区县", "区", "县区", "区/县", "所在区县", "所属区县", "所在区", "所属区", "行政区", "district", "county"],
    ),
    (
        "address",
        &[
            "地址",
            "详细地址",
            "公司地址",
            "联系地址",
            "办公地址",
            "客户地址",
            "通讯地址",
            "通信地址",
            "单位地址",
            "注册地址",
            "街道地址",
            "所在地址",
            "address",
            "street address",
            "street",
            "billing street",
            "billing address",
            "mailing street",
            "mailing address",
            "shipping street",
            "address line 1",
        ],
    ),
    (
        "first_contact",
        &[
            "首次接触日期",
            "首次接触时间",
            "首次联系日期",
            "首次联系时间",
            "首次接触",
            "初次接触日期",
            "创建日期",
            "录入日期",
            "录入时间",
            "建档日期",
            "建档时间",
            "登记日期",
            "first contact",
            "first contact date",
            "created date",
            "create date",
            "date created",
            "created on",
            "created at",
            "created time",
            "creation date",
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
            "最后跟进",
            "上次跟进时间",
            "上次跟进日期",
            "最近联系时间",
            "最后联系时间",
            "最近联系日期",
            "last followup",
            "last follow up",
            "last contact",
            "last contact date",
            "last activity",
            "last activity date",
        ],
    ),
    (
        "next_followup",
        &[
            "下次跟进日期",
            "下次跟进时间",
            "计划跟进日期",
            "下次跟进",
            "下次联系时间",
            "下次联系日期",
            "下次回访时间",
            "下次回访日期",
            "next followup",
            "next follow up",
            "next contact date",
            "next activity date",
        ],
    ),
    (
        "contract_expiry",
        &[
            "合同到期日",
            "合同到期日期",
            "到期日期",
            "合同到期",
            "合同到期时间",
            "合同截止日期",
            "合同结束日期",
            "到期日",
            "contract expiry",
            "expiry date",
            "renewal date",
            "contract end date",
        ],
    ),
    (
        "owner",
        &[
            "负责人",
            "跟进人",
            "跟进负责人",
            "销售",
            "销售负责人",
            "客户经理",
            "归属人",
            "归属销售",
            "所属销售",
            "销售代表",
            "销售人员",
            "业务员",
            "业务负责人",
            "客户负责人",
            "负责销售",
            "跟单员",
            "客户所有人",
            "所有人",
            "owner",
            "account owner",
            "sales rep",
            "salesperson",
            "account manager",
            "lead owner",
            "assigned to",
        ],
    ),
    ("priority", &["需求优先级", "优先级", "重要程度", "重要性", "紧急程度", "priority"]),
    (
        "needs",
        &[
            "客户需求",
            "需求",
            "需求描述",
            "需求详情",
            "需求内容",
            "需求说明",
            "意向产品",
            "needs",
            "need",
            "requirement",
            "requirements",
        ],
    ),
    ("contract_no", &["合同编号", "合同号", "合同号码", "contract no", "contract number", "contract id"]),
    (
        "contract_signed",
        &[
            "签约日期",
            "签约时间",
            "合同签订日期",
            "签订日期",
            "成交日期",
            "contract signed",
            "signed date",
            "contract date",
        ],
    ),
    (
        "contract_amount",
        &["合同金额", "签约金额", "成交金额", "合同额", "contract amount", "amount", "deal amount", "deal value"],
    ),
    ("decision_maker", &["决策人", "关键决策人", "决策者", "拍板人", "decision maker"]),
    (
        "source_channel",
        &[
            "来源渠道",
            "客户来源",
            "渠道",
            "来源",
            "获客渠道",
            "线索来源",
            "渠道来源",
            "客户渠道",
            "信息来源",
            "channel",
            "source",
            "lead source",
            "acquisition channel",
        ],
    ),
    (
        "notes",
        &["备注", "备注信息", "说明", "附注", "remark", "remarks", "notes", "note", "comment", "comments", "memo"],
    ),
    (
        "interaction_at",
        &[
            "创建时间",
            "报名时间",
            "报名日期",
            "工单时间",
            "提交时间",
            "跟进日期",
            "沟通日期",
            "拜访日期",
            "sign up date",
            "sign up time",
            "signupdate",
            "registration date",
            "ticket date",
        ],
    ),
    (
        "interaction_summary",
        &[
            "问题描述",
            "工单描述",
            "工单内容",
            "活动名称",
            "活动",
            "交往记录",
            "跟进记录",
            "沟通记录",
            "跟进内容",
            "联系记录",
            "拜访记录",
            "event",
            "event name",
            "issue",
            "description",
        ],
    ),
    ("interaction_by", &["处理人", "受理人", "客服", "handler", "agent"]),
    (
        "custom:postcode:identifier",
        &[
            "邮编",
            "邮政编码",
            "postcode",
            "post code",
            "zip",
            "zip code",
            "postal code",
            "billing zip/postal code",
            "mailing zip",
            "billing zip",
            "shipping zip",
        ],
    ),
    ("custom:dob:date", &["出生日期", "生日", "出生年月日", "date of birth", "dob", "birth date", "birthday"]),
    // Identifiers that name one person or one firm: each is a blocking key
    // and a comparison of its own (exact / one edit / different), so two
    // sources that spell the header differently must land on one name.
    (
        "custom:id_number:identifier",
        &[
            "身份证号",
            "身份证号码",
            "身份证",
            "居民身份证号",
            "公民身份号码",
            "身份证件号码",
            "证件号码",
            "证件号",
            "id number",
            "id card number",
            "identity number",
            "national id",
            "national id number",
            "ssn",
            "social security number",
        ],
    ),
    (
        "custom:tax_id:identifier",
        &[
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "统一信用代码",
            "纳税人识别号",
            "税号",
            "税务登记号",
            "营业执照号",
            "营业执照号码",
            "营业执照注册号",
            "工商注册号",
            "tax id",
            "tax number",
            "tax id number",
            "vat number",
            "vat id",
            "vat no",
            "ein",
            "company number",
            "company registration number",
        ],
    ),
    ("custom:passport:identifier", &["护照号", "护照号码", "护照", "passport", "passport number", "passport no"]),
    ("custom:wechat:identifier", &["微信", "微信号", "wechat", "wechat id", "weixin"]),
    ("custom:qq:identifier", &["qq", "qq号", "qq号码"]),
    ("custom:gender:text", &["性别", "gender", "sex"]),
    // A person's birthplace and occupation tell namesakes apart as a birth
    // date does: compared as text, where a joined name and a date of birth
    // are not enough.
    ("custom:birth_place:text", &["出生地", "出生地点", "birth place", "birthplace", "place of birth", "born in"]),
    // Where the family comes from, recorded as such: not the birthplace.
    ("custom:native_place:text", &["籍贯", "native place"]),
    ("custom:occupation:text", &["职业", "occupation", "profession"]),
];

/// Words that make a header likely to mean a target when no spelling
/// above matches it exactly: `跟进负责人` holds `负责人`. A match here is
/// applied but marked as a guess. Order matters, first match wins: what a
/// value *is* (a phone, an e-mail, an address, a date of a kind) is a
/// stronger sign than whose it is, so `联系人电话` is a phone, not a contact.
/// Words every kind of record uses for itself (状态, 类型, 名称) are not
/// here: `处理状态` is a ticket's state, not the customer's.
const KEYWORDS: &[(&str, &str)] = &[
    ("邮箱", "email"),
    ("邮件", "email"),
    ("email", "email"),
    ("手机", "phone"),
    ("电话", "phone"),
    ("座机", "phone"),
    ("固话", "phone"),
    ("phone", "phone"),
    ("mobile", "phone"),
    ("邮编", "custom:postcode:identifier"),
    ("postcode", "custom:postcode:identifier"),
    ("postalcode", "custom:postcode:identifier"),
    ("zip", "custom:postcode:identifier"),
    ("地址", "address"),
    ("address", "address"),
    ("street", "address"),
    ("出生", "custom:dob:date"),
    ("信用代码", "custom:tax_id:identifier"),
    ("纳税人识别", "custom:tax_id:identifier"),
    ("birth", "custom:dob:date"),
    ("下次", "next_followup"),
    ("nextfollow", "next_followup"),
    ("到期", "contract_expiry"),
    ("expir", "contract_expiry"),
    ("最近跟进", "last_followup"),
    ("最后跟进", "last_followup"),
    ("上次跟进", "last_followup"),
    ("lastactivity", "last_followup"),
    ("lastcontact", "last_followup"),
    ("首次", "first_contact"),
    ("初次", "first_contact"),
    ("created", "first_contact"),
    ("金额", "contract_amount"),
    ("amount", "contract_amount"),
    ("合同编号", "contract_no"),
    ("签约", "contract_signed"),
    ("签订", "contract_signed"),
    ("省份", "province"),
    ("城市", "city"),
    ("区县", "district"),
    ("负责人", "owner"),
    ("跟进人", "owner"),
    ("业务员", "owner"),
    ("客户经理", "owner"),
    ("owner", "owner"),
    ("决策", "decision_maker"),
    ("行业", "industry"),
    ("industry", "industry"),
    ("优先级", "priority"),
    ("priority", "priority"),
    ("需求", "needs"),
    ("来源", "source_channel"),
    ("渠道", "source_channel"),
    ("source", "source_channel"),
    ("channel", "source_channel"),
    ("备注", "notes"),
    ("remark", "notes"),
    ("note", "notes"),
    ("comment", "notes"),
    ("职务", "contact_title"),
    ("职位", "contact_title"),
    ("联系人", "contact_name"),
    ("姓名", "contact_name"),
    ("公司名", "name"),
    ("客户名", "name"),
    ("企业名", "name"),
    ("单位名", "name"),
    ("company", "name"),
    ("accountname", "name"),
    // Where a city is written `Suburb`, `Town` or `Locality` (Australia,
    // New Zealand, the UK); beside a `City` column, the city is that one.
    ("suburb", "city"),
    ("locality", "city"),
    ("town", "city"),
];

/// Headers that name the source's own record id: never a target (customer
/// numbers are assigned), but the printed mapping suggests `--key` for them.
const KEY_HEADERS: &[&str] = &[
    "客户编号",
    "客户编码",
    "客户id",
    "客户代码",
    "客户号",
    "编号",
    "customer id",
    "customer number",
    "account id",
    "account number",
    "id",
    "rec id",
    "record id",
];

/// Headers of the two halves of a person's name, split over two columns
/// (`姓` / `名`, `Last Name` / `First Name`). Neither half names a field on
/// its own; together they are a person's name (see `Mapping::build`).
const FAMILY_NAME_HEADERS: &[&str] = &["姓", "姓氏", "last name", "lastname", "surname", "family name"];
const GIVEN_NAME_HEADERS: &[&str] = &["名", "名字", "first name", "firstname", "given name", "forename"];

/// The two lists of half words, folded once: every header of a file is
/// read against them.
fn half_words() -> &'static [Vec<String>; 2] {
    static W: std::sync::OnceLock<[Vec<String>; 2]> = std::sync::OnceLock::new();
    W.get_or_init(|| [FAMILY_NAME_HEADERS, GIVEN_NAME_HEADERS].map(|ws| ws.iter().map(|w| fold(w)).collect()))
}

/// What comes before a name half's word in a folded header (`投保人姓` →
/// `投保人`, `Contact Last Name` → `contact`; the bare `姓` → ``), if the
/// header ends in one of the folded `words`.
fn name_half_prefix(folded: &str, words: &[String]) -> Option<String> {
    words.iter().find_map(|w| folded.strip_suffix(w.as_str()).map(str::to_string))
}

/// What a header says of a name half, worked out once per header: the
/// pairing below is asked of every two columns, and a file's width must
/// not cost its square in header folding.
struct NameHalf {
    family: bool,
    given: bool,
    family_prefix: Option<String>,
    given_prefix: Option<String>,
}

impl NameHalf {
    fn of(h: &str) -> NameHalf {
        let f = fold(h);
        let [family, given] = half_words();
        NameHalf {
            family: !f.is_empty() && family.contains(&f),
            given: !f.is_empty() && given.contains(&f),
            family_prefix: name_half_prefix(&f, family),
            given_prefix: name_half_prefix(&f, given),
        }
    }

    /// Whether it can be either half of some name.
    fn is_half(&self) -> bool {
        self.family || self.given || self.family_prefix.is_some() || self.given_prefix.is_some()
    }

    /// A family-name and a given-name column with the same prefix (`投保人姓`
    /// and `投保人名`; `Contact Last Name` and `Contact First Name`): the two
    /// halves of one person's name. A prefix alone means nothing, so both
    /// halves must be there under it.
    fn pairs_with(&self, given: &NameHalf) -> bool {
        if self.family && given.given {
            return true;
        }
        match (&self.family_prefix, &given.given_prefix) {
            // Whose name it is: the customer's or its contact's, not the sales
            // rep's (`负责人姓`, `Owner Last Name`) nor anything else a prefix
            // names.
            (Some(p), Some(q)) if p == q && !p.is_empty() => {
                guess(p).is_none_or(|g| matches!(g.target.name().as_str(), "name" | "contact_name"))
            }
            _ => false,
        }
    }
}

fn name_halves(a: &str, b: &str) -> bool {
    NameHalf::of(a).pairs_with(&NameHalf::of(b))
}

/// Whether a name halves' prefix says whose name it is: a contact's
/// (`联系人姓`), not the customer's.
fn contact_prefix(h: &str) -> bool {
    let (f, [family, given]) = (fold(h), half_words());
    name_half_prefix(&f, family)
        .or_else(|| name_half_prefix(&f, given))
        .and_then(|p| guess(&p))
        .is_some_and(|g| g.target.name() == "contact_name")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressPart {
    /// A house or street number.
    Number,
    /// A street or address line; `numbered` when its header ends in a
    /// number (`Address Line 2`, `address_1`, `地址2`, `Street 2`).
    Line { numbered: bool },
}

/// Whether a header names one part of an address written over several
/// columns: an address line, numbered or not (`Address`, `Address 2`,
/// `Street`), or a house number. Prefixed spellings (`Billing Street`) are
/// whole addresses, never parts.
fn address_part(header: &str) -> Option<AddressPart> {
    let f = fold(header);
    if ["streetnumber", "streetno", "housenumber", "houseno", "buildingnumber", "门牌号", "门牌号码"]
        .contains(&f.as_str())
    {
        return Some(AddressPart::Number);
    }
    let base = f.trim_end_matches(|c: char| c.is_ascii_digit());
    let numbered = base.len() < f.len();
    let base = base.strip_suffix("line").unwrap_or(base);
    ["address", "addr", "street", "streetaddress", "地址", "详细地址", "街道地址"]
        .contains(&base)
        .then_some(AddressPart::Line { numbered })
}

/// Folds a header for comparison: NFKC (full-width letters, `（）`), lower
/// case, bracketed notes dropped (`联系电话(手机)`, `金额【元】`) unless
/// nothing else is left, and no whitespace or separators (`_ - . : / *`).
pub fn fold(h: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s: String = h.nfkc().flat_map(char::to_lowercase).collect();
    let keep = |c: &char| !c.is_whitespace() && !"_-.:*#/\\|、·'\"".contains(*c);
    let mut outside = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        if "([{【〔《<「『".contains(c) {
            depth += 1;
        } else if ")]}】〕》>」』".contains(c) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            outside.push(c);
        }
    }
    let outside: String = outside.chars().filter(keep).collect();
    if !outside.is_empty() {
        return outside;
    }
    s.chars().filter(|c| keep(c) && !"()[]{}【】〔〕《》<>「」『』".contains(*c)).collect()
}

/// The automatic guess for one header: the target and whether it is
/// certain (a known spelling) or a guess (a known word inside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub target: Target,
    pub certain: bool,
}

fn folded_synonyms() -> &'static std::collections::HashMap<String, &'static str> {
    static M: std::sync::OnceLock<std::collections::HashMap<String, &'static str>> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for (target, words) in SYNONYMS {
            for w in *words {
                // The first target listing a spelling keeps it.
                m.entry(fold(w)).or_insert(*target);
            }
        }
        m
    })
}

/// The automatic guess for one header, if any.
pub fn guess(header: &str) -> Option<Guess> {
    let h = fold(header);
    if h.is_empty() {
        return None;
    }
    let parse = |t: &str| Target::parse(t).expect("synonym targets are valid");
    let plain = folded_synonyms().get(&h).map(|t| Guess { target: parse(t), certain: true }).or_else(|| {
        KEYWORDS.iter().find(|(w, _)| h.contains(w)).map(|(_, t)| Guess { target: parse(t), certain: false })
    });
    // `联系人(手机)`: a note saying the column holds a phone or an e-mail
    // says more than the words around it (whose number it is).
    let note = fold(&bracketed(header));
    let contact_detail = |g: &Guess| matches!(g.target, Target::Phone | Target::Field(crate::domain::Field::Email));
    if !note.is_empty() && !plain.as_ref().is_some_and(contact_detail) {
        let from_note = folded_synonyms()
            .get(&note)
            .copied()
            .or_else(|| KEYWORDS.iter().find(|(w, _)| note.contains(w)).map(|(_, t)| *t))
            .map(|t| Guess { target: parse(t), certain: false });
        if let Some(g) = from_note.filter(contact_detail) {
            return Some(g);
        }
    }
    plain
}

/// The text inside a header's brackets: `手机` of `联系人（手机）`.
fn bracketed(h: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    let mut depth = 0usize;
    for c in h.nfkc() {
        if "([{【〔《<「『".contains(c) {
            depth += 1;
        } else if ")]}】〕》>」』".contains(c) {
            depth = depth.saturating_sub(1);
        } else if depth > 0 {
            out.push(c);
        }
    }
    out
}

/// Whether a header names the source's own record id (`客户编号`).
pub fn is_key_header(header: &str) -> bool {
    let h = fold(header);
    !h.is_empty() && KEY_HEADERS.iter().any(|k| fold(k) == h)
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
    /// Guessed from a word inside the header rather than a known spelling:
    /// applied, but shown as a guess so the user checks it.
    #[serde(default)]
    pub guessed: bool,
    /// Why a guessed target was not applied (its values are not that
    /// field's): shown beside the column in the printed mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
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
    /// `columns` are a family name then a given name: joined per the
    /// script of the values (`join_person_name`).
    pub person_name: bool,
}

impl MappedInput {
    /// This input's value in a row: its cell, or its cells joined (a
    /// family and a given name in the order their script writes them).
    pub fn value<'a>(&self, cells: &'a [String]) -> std::borrow::Cow<'a, str> {
        let cell = |i: &usize| cells.get(*i).map(String::as_str).unwrap_or("");
        match self.columns.as_slice() {
            [i] => cell(i).into(),
            [family, given] if self.person_name => join_person_name(cell(family), cell(given)).into(),
            many => join_parts(&many.iter().map(cell).collect::<Vec<_>>()).into(),
        }
    }
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
            .map(|h| {
                let g = guess(h);
                ColumnMap {
                    header: h.clone(),
                    guessed: g.as_ref().is_some_and(|g| !g.certain),
                    target: g.map(|g| g.target.name()),
                    explicit: false,
                    saved: false,
                    dropped: None,
                }
            })
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
            // A column mapped anew leaves any join it was part of; the rest
            // of a join stay joined while two or more are left (an address
            // line unmapped from a remembered address).
            for j in joins.iter_mut() {
                j.columns.retain(|c| !idx.iter().any(|i| headers[*i].trim() == c.trim()));
            }
            joins.retain(|j| j.columns.len() >= 2);
            if idx.len() > 1 {
                let Some(t) = parsed else { return Err("a join needs a target field".into()) };
                for i in &idx {
                    columns[*i].target = None;
                    columns[*i].explicit = true;
                    columns[*i].saved = saved;
                    columns[*i].guessed = false;
                }
                joins.push(JoinMap { columns: idx.iter().map(|i| headers[*i].clone()).collect(), target: t });
            } else {
                columns[idx[0]].target = parsed;
                columns[idx[0]].explicit = true;
                columns[idx[0]].saved = saved;
                columns[idx[0]].guessed = false;
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
        // An address written over lines (`Address`, `Address 2`; `Address
        // Line 1`, `Address Line 2`; `address_1`, `address_2`), perhaps with a
        // house number, is one address: the number first, then the lines in
        // file order. It takes numbered lines, or a number and one street;
        // unnumbered lines alone (`Address` beside `Street`) are not parts of
        // one, nor are prefixed spellings (`Billing Street`, `Shipping
        // Street`: two addresses, the first the customer's, below).
        let taken = |t: &str| {
            columns.iter().any(|c| c.explicit && c.target.as_deref() == Some(t)) || joins.iter().any(|j| j.target == t)
        };
        let parts: Vec<(usize, AddressPart)> = (0..columns.len())
            .filter(|&i| !columns[i].explicit)
            .filter_map(|i| address_part(&headers[i]).map(|p| (i, p)))
            .collect();
        let count = |f: fn(&AddressPart) -> bool| parts.iter().filter(|(_, p)| f(p)).count();
        let numbers = count(|p| *p == AddressPart::Number);
        let numbered = count(|p| matches!(p, AddressPart::Line { numbered: true }));
        let plain = count(|p| matches!(p, AddressPart::Line { numbered: false }));
        let one_address =
            parts.len() >= 2 && numbers <= 1 && plain <= 1 && (numbered >= 1 || (numbers == 1 && plain == 1));
        // An address known by another name (`客户地址`) is the customer's; a
        // header written twice cannot be told apart from its twin in a join.
        let in_parts: std::collections::HashSet<usize> = parts.iter().map(|(i, _)| *i).collect();
        let other_address =
            (0..columns.len()).any(|i| !in_parts.contains(&i) && columns[i].target.as_deref() == Some("address"));
        let mut seen_headers: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for h in headers {
            *seen_headers.entry(h.trim()).or_default() += 1;
        }
        let twice = parts.iter().any(|(i, _)| seen_headers[headers[*i].trim()] > 1);
        if !taken("address") && one_address && !other_address && !twice {
            let mut order: Vec<usize> =
                parts.iter().filter(|(_, p)| *p == AddressPart::Number).map(|(i, _)| *i).collect();
            order.extend(parts.iter().filter(|(_, p)| *p != AddressPart::Number).map(|(i, _)| *i));
            for &i in &order {
                columns[i].target = None;
                columns[i].guessed = false;
            }
            joins.push(JoinMap {
                columns: order.iter().map(|&i| headers[i].clone()).collect(),
                target: "address".into(),
            });
        }
        // The first column guessed for a single-valued field wins; later
        // guesses would silently overwrite it. Explicit choices always stand,
        // and a known spelling goes before a guess from a word in a header.
        let mut seen: std::collections::HashSet<String> = columns
            .iter()
            .filter(|c| c.explicit)
            .filter_map(|c| c.target.clone())
            .chain(joins.iter().map(|j| j.target.clone()))
            .collect();
        for pass_guessed in [false, true] {
            for c in columns.iter_mut().filter(|c| !c.explicit && c.guessed == pass_guessed) {
                if let Some(t) = &c.target {
                    // Phones and e-mails are lists: every column adds to them.
                    if t != "phone" && t != "email" && !t.starts_with("interaction_summary") && !seen.insert(t.clone())
                    {
                        c.target = None;
                        c.guessed = false;
                    }
                }
            }
        }
        // A name split over a family-name and a given-name column is joined
        // into one: the contact's name beside a company column, else the
        // customer's own (a person).
        // A half under a prefix (`联系人姓`) may have been guessed from a
        // word in it; the pair says more than that word.
        let free = |c: &ColumnMap| !c.explicit && (c.target.is_none() || c.guessed);
        let halves_of: Vec<(usize, NameHalf)> =
            headers.iter().enumerate().map(|(i, h)| (i, NameHalf::of(h))).filter(|(_, n)| n.is_half()).collect();
        let halves = halves_of.iter().find_map(|(f, a)| {
            halves_of
                .iter()
                .find(|(g, b)| g != f && free(&columns[*f]) && free(&columns[*g]) && a.pairs_with(b))
                .map(|(g, _)| (*f, *g))
        });
        if let Some((f, g)) = halves {
            let mapped = |t: &str| {
                columns.iter().enumerate().any(|(i, c)| i != f && i != g && c.target.as_deref() == Some(t))
                    || joins.iter().any(|j| j.target == t)
            };
            let target = if !mapped("name") && !contact_prefix(&headers[f]) {
                Some("name")
            } else if !mapped("contact_name") {
                Some("contact_name")
            } else {
                None
            };
            if let Some(t) = target {
                for i in [f, g] {
                    columns[i].target = None;
                    columns[i].guessed = false;
                }
                joins.push(JoinMap { columns: vec![headers[f].clone(), headers[g].clone()], target: t.into() });
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

    /// Checks guessed targets of enumerated fields (kind, status, priority)
    /// against the column's values: when most sampled values are not valid
    /// for the field (by its allowed values and their synonyms), the header
    /// word was misleading (a ticket's `状态` is not the customer's status)
    /// and the column stays in the raw row, with the reason in `dropped`.
    /// Explicit and saved choices stand. `samples` are data rows as read.
    pub fn check_values<R: AsRef<[String]>>(&mut self, samples: &[R]) {
        use crate::domain::Field;
        /// Fewer filled values than this say too little to overrule a header.
        const MIN_VALUES: usize = 5;
        for (i, c) in self.columns.iter_mut().enumerate() {
            if c.explicit {
                continue;
            }
            let field = match c.target.as_deref().and_then(|t| Target::parse(t).ok()) {
                Some(Target::Field(f @ (Field::Kind | Field::Status | Field::Priority))) => f,
                _ => continue,
            };
            let values: Vec<&str> =
                samples.iter().filter_map(|r| r.as_ref().get(i)).map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
            if values.len() < MIN_VALUES {
                continue;
            }
            let invalid: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| !matches!(crate::domain::validate::normalize_field(field, v), Ok(Some(_))))
                .collect();
            if invalid.len() * 2 > values.len() {
                let mut examples: Vec<&str> = Vec::new();
                for v in &invalid {
                    if !examples.contains(v) && examples.len() < 3 {
                        examples.push(v);
                    }
                }
                c.dropped = Some(format!(
                    "{} of {} sampled values are not a {} (e.g. {})",
                    invalid.len(),
                    values.len(),
                    field.name(),
                    examples.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
                ));
                c.target = None;
                c.guessed = false;
            }
        }
    }

    /// The target of the join each joined column feeds, by its header (the
    /// column's own target is then `None`): one look-up per column, however
    /// wide the file.
    pub fn join_targets(&self) -> std::collections::HashMap<&str, &str> {
        let mut m = std::collections::HashMap::new();
        for j in &self.joins {
            for c in &j.columns {
                m.entry(c.trim()).or_insert(j.target.as_str());
            }
        }
        m
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
                Some(MappedInput { columns: vec![i], target: t, label: c.header.clone(), person_name: false })
            })
            .collect();
        // A header's first column, as `find_col` finds it, once for all joins.
        let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            first.entry(h.trim()).or_insert(i);
        }
        for j in &self.joins {
            let Ok(t) = Target::parse(&j.target) else { continue };
            let mut idx: Vec<usize> = j.columns.iter().filter_map(|h| first.get(h.trim()).copied()).collect();
            // A family and a given name, in either order: the script of
            // each row's values decides the order they are joined in.
            let person_name = match idx.as_slice() {
                [a, b] if name_halves(&headers[*a], &headers[*b]) => true,
                [a, b] if name_halves(&headers[*b], &headers[*a]) => {
                    idx.swap(0, 1);
                    true
                }
                _ => false,
            };
            out.push(MappedInput { columns: idx, target: t, label: j.columns.join("+"), person_name });
        }
        out
    }

    /// A column that looks like the source's own record id, when no key
    /// was named: the printed mapping suggests `--key` for it.
    pub fn key_candidate(&self) -> Option<&str> {
        if self.key.is_some() {
            return None;
        }
        self.columns.iter().find(|c| c.target.is_none() && is_key_header(&c.header)).map(|c| c.header.as_str())
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

/// Joins a family and a given name as the script writes them: CJK family
/// name first without a space (王 + 伟 → 王伟), Latin given name first
/// (Smith + John → John Smith).
pub fn join_person_name(family: &str, given: &str) -> String {
    let (family, given) = (family.trim(), given.trim());
    if family.chars().chain(given.chars()).any(is_cjk) {
        join_parts(&[family, given])
    } else {
        join_parts(&[given, family])
    }
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3000..=0x303F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(h: &str) -> Option<Target> {
        guess(h).map(|g| g.target)
    }

    #[test]
    fn guesses_common_headers() {
        use crate::domain::Field;
        assert_eq!(target("客户名称"), Some(Target::Field(Field::Name)));
        assert_eq!(target(" Company Name "), Some(Target::Field(Field::Name)));
        assert_eq!(target("手机"), Some(Target::Phone));
        assert_eq!(target("E-mail"), Some(Target::Field(Field::Email)));
        assert_eq!(target("问题描述"), Some(Target::InteractionSummary));
        assert_eq!(target("工单号"), None);
    }

    /// Real header spellings: (header, target, certain). `None`: left in the
    /// raw row. Chinese CRM exports, the domain's integration template,
    /// English CRM exports (Salesforce-style), sign-up sheets and tickets.
    const HEADER_CASES: &[(&str, Option<&str>, bool)] = &[
        // The integration template of domain.md, column by column.
        ("客户名称", Some("name"), true),
        ("所属行业", Some("industry"), true),
        ("客户类型", Some("kind"), true),
        ("联系人", Some("contact_name"), true),
        ("联系方式", Some("phone"), true),
        ("客户地址", Some("address"), true),
        ("首次接触时间", Some("first_contact"), true),
        ("最近跟进时间", Some("last_followup"), true),
        ("交往记录", Some("interaction_summary"), true),
        ("客户需求", Some("needs"), true),
        ("需求优先级", Some("priority"), true),
        ("跟进负责人", Some("owner"), true),
        ("客户状态", Some("status"), true),
        ("备注", Some("notes"), true),
        ("客户编号", None, false),
        // Chinese CRM variants.
        ("负责人", Some("owner"), true),
        ("归属销售", Some("owner"), true),
        ("销售代表", Some("owner"), true),
        ("所属销售", Some("owner"), true),
        ("销售人员", Some("owner"), true),
        ("业务员", Some("owner"), true),
        ("客户经理", Some("owner"), true),
        ("跟进人", Some("owner"), true),
        ("客户负责人", Some("owner"), true),
        ("跟单员", Some("owner"), true),
        ("客户所有人", Some("owner"), true),
        ("当前负责人", Some("owner"), false),
        ("销售负责人（主）", Some("owner"), true),
        ("详细地址", Some("address"), true),
        ("公司地址", Some("address"), true),
        ("通讯地址", Some("address"), true),
        ("注册地址", Some("address"), true),
        ("办公地址", Some("address"), true),
        ("客户详细地址", Some("address"), false),
        ("收件地址", Some("address"), false),
        ("所在地区", Some("province"), true),
        ("省份", Some("province"), true),
        ("省", Some("province"), true),
        ("所在省份", Some("province"), true),
        ("省/直辖市", Some("province"), true),
        ("省 / 直辖市", Some("province"), true),
        ("城市", Some("city"), true),
        ("所在城市", Some("city"), true),
        ("市", Some("city"), true),
        ("地市", Some("city"), true),
        ("区县", Some("district"), true),
        ("区/县", Some("district"), true),
        ("所在区县", Some("district"), true),
        ("县区", Some("district"), true),
        ("客户来源", Some("source_channel"), true),
        ("来源渠道", Some("source_channel"), true),
        ("获客渠道", Some("source_channel"), true),
        ("线索来源", Some("source_channel"), true),
        ("渠道", Some("source_channel"), true),
        ("来源", Some("source_channel"), true),
        ("推广来源", Some("source_channel"), false),
        ("手机号码", Some("phone"), true),
        ("手机号", Some("phone"), true),
        ("手机", Some("phone"), true),
        ("移动电话", Some("phone"), true),
        ("固定电话", Some("phone"), true),
        ("座机", Some("phone"), true),
        ("办公电话", Some("phone"), true),
        ("联系电话", Some("phone"), true),
        ("联系电话(手机)", Some("phone"), true),
        ("联系电话（手机）", Some("phone"), true),
        ("联系电话【必填】", Some("phone"), true),
        ("联系人(手机)", Some("phone"), false),
        ("负责人（邮箱）", Some("email"), false),
        ("联系人(必填)", Some("contact_name"), true),
        ("联系人电话", Some("phone"), true),
        ("联系人手机", Some("phone"), true),
        ("手机/电话", Some("phone"), true),
        ("客户手机", Some("phone"), false),
        ("法人电话", Some("phone"), false),
        ("电子邮箱", Some("email"), true),
        ("邮箱", Some("email"), true),
        ("邮箱地址", Some("email"), true),
        ("电子邮件", Some("email"), true),
        ("联系人邮箱", Some("email"), true),
        ("企业邮箱", Some("email"), false),
        ("公司名称", Some("name"), true),
        ("客户简称", Some("name"), true),
        ("客户全称", Some("name"), true),
        ("企业名称", Some("name"), true),
        ("单位名称", Some("name"), true),
        ("客户名称*", Some("name"), true),
        ("＊客户名称", Some("name"), true),
        ("客户名称（必填）", Some("name"), true),
        ("客 户 名 称", Some("name"), true),
        ("客户\u{3000}名称", Some("name"), true),
        ("行业", Some("industry"), true),
        ("行业类别", Some("industry"), true),
        ("所在行业", Some("industry"), true),
        ("行业代码", Some("industry_code"), true),
        ("客户类别", Some("kind"), true),
        ("客户性质", Some("kind"), true),
        ("状态", Some("status"), true),
        ("跟进状态", Some("status"), true),
        ("客户阶段", Some("status"), true),
        ("销售阶段", Some("status"), true),
        // Every record has a state of its own (a ticket's 处理状态): only
        // a known spelling maps to the customer's status.
        ("商机状态", None, false),
        ("处理状态", None, false),
        ("联系人姓名", Some("contact_name"), true),
        ("姓名", Some("contact_name"), true),
        ("对接人", Some("contact_name"), true),
        ("报修人", Some("contact_name"), true),
        ("申请人", Some("contact_name"), true),
        ("提交人", Some("contact_name"), true),
        ("来电人", Some("contact_name"), true),
        ("Requester", Some("contact_name"), true),
        ("Reporter", Some("contact_name"), true),
        ("Caller", Some("contact_name"), true),
        ("Requested By", Some("contact_name"), true),
        // The halves of a split name name nothing alone (they are joined).
        ("姓", None, false),
        ("名", None, false),
        ("姓氏", None, false),
        ("Last Name", None, false),
        ("First Name", None, false),
        ("主要联系人", Some("contact_name"), true),
        ("职务", Some("contact_title"), true),
        ("联系人职务", Some("contact_title"), true),
        ("职位", Some("contact_title"), true),
        ("首次接触日期", Some("first_contact"), true),
        ("创建日期", Some("first_contact"), true),
        ("建档日期", Some("first_contact"), true),
        ("首次到访日期", Some("first_contact"), false),
        ("最近跟进日期", Some("last_followup"), true),
        ("最后跟进时间", Some("last_followup"), true),
        ("上次跟进时间", Some("last_followup"), true),
        ("最近联系时间", Some("last_followup"), true),
        ("最近跟进(日期)", Some("last_followup"), true),
        ("下次跟进日期", Some("next_followup"), true),
        ("下次回访时间", Some("next_followup"), true),
        ("下次拜访", Some("next_followup"), false),
        ("合同到期日", Some("contract_expiry"), true),
        ("合同到期日期", Some("contract_expiry"), true),
        ("服务到期时间", Some("contract_expiry"), false),
        ("优先级", Some("priority"), true),
        ("重要程度", Some("priority"), true),
        ("需求", Some("needs"), true),
        ("需求描述", Some("needs"), true),
        ("意向产品", Some("needs"), true),
        ("合同编号", Some("contract_no"), true),
        ("合同号", Some("contract_no"), true),
        ("签约日期", Some("contract_signed"), true),
        ("合同签订日期", Some("contract_signed"), true),
        ("合同金额", Some("contract_amount"), true),
        ("合同金额（元）", Some("contract_amount"), true),
        ("合同金额(万元)", Some("contract_amount"), true),
        ("成交金额", Some("contract_amount"), true),
        ("决策人", Some("decision_maker"), true),
        ("关键决策人", Some("decision_maker"), true),
        ("备注信息", Some("notes"), true),
        ("说明", Some("notes"), true),
        ("其他备注", Some("notes"), false),
        ("跟进记录", Some("interaction_summary"), true),
        ("沟通记录", Some("interaction_summary"), true),
        ("问题描述", Some("interaction_summary"), true),
        ("活动名称", Some("interaction_summary"), true),
        ("报名时间", Some("interaction_at"), true),
        ("创建时间", Some("interaction_at"), true),
        ("处理人", Some("interaction_by"), true),
        ("客服", Some("interaction_by"), true),
        ("邮编", Some("custom:postcode:identifier"), true),
        ("邮政编码", Some("custom:postcode:identifier"), true),
        ("出生日期", Some("custom:dob:date"), true),
        ("生日", Some("custom:dob:date"), true),
        ("身份证号", Some("custom:id_number:identifier"), true),
        ("身份证号码", Some("custom:id_number:identifier"), true),
        ("证件号码", Some("custom:id_number:identifier"), true),
        // Whose ID a longer header names is not the customer's for sure
        // (a firm's legal representative's): no guess.
        ("法人身份证号", None, false),
        ("统一社会信用代码", Some("custom:tax_id:identifier"), true),
        ("纳税人识别号", Some("custom:tax_id:identifier"), true),
        ("税号", Some("custom:tax_id:identifier"), true),
        ("企业信用代码", Some("custom:tax_id:identifier"), false),
        ("护照号码", Some("custom:passport:identifier"), true),
        ("微信号", Some("custom:wechat:identifier"), true),
        ("QQ号", Some("custom:qq:identifier"), true),
        ("性别", Some("custom:gender:text"), true),
        ("籍贯", Some("custom:native_place:text"), true),
        ("出生地", Some("custom:birth_place:text"), true),
        ("birth_place", Some("custom:birth_place:text"), true),
        ("Place of Birth", Some("custom:birth_place:text"), true),
        ("职业", Some("custom:occupation:text"), true),
        ("Occupation", Some("custom:occupation:text"), true),
        ("所在市", Some("city"), true),
        ("Suburb", Some("city"), false),
        ("State/Region", Some("province"), true),
        ("Mailing Zip", Some("custom:postcode:identifier"), true),
        ("Shipping Zip", Some("custom:postcode:identifier"), true),
        ("Zip+4", Some("custom:postcode:identifier"), false),
        ("Town", Some("city"), false),
        ("所在区", Some("district"), true),
        // English CRM exports.
        ("Account Name", Some("name"), true),
        ("ACCOUNT NAME", Some("name"), true),
        ("account_name", Some("name"), true),
        ("Company", Some("name"), true),
        ("Company Name", Some("name"), true),
        ("Customer Name", Some("name"), true),
        ("Organization", Some("name"), true),
        ("Account Owner", Some("owner"), true),
        ("Lead Owner", Some("owner"), true),
        ("Owner", Some("owner"), true),
        ("Sales Rep", Some("owner"), true),
        ("Opportunity Owner", Some("owner"), false),
        ("Billing Street", Some("address"), true),
        ("Billing Address", Some("address"), true),
        ("Mailing Street", Some("address"), true),
        ("Street Address", Some("address"), true),
        ("Address Line 1", Some("address"), true),
        ("Billing City", Some("city"), true),
        ("Mailing City", Some("city"), true),
        ("City", Some("city"), true),
        ("Billing State", Some("province"), true),
        ("Billing State/Province", Some("province"), true),
        ("State", Some("province"), true),
        ("Province", Some("province"), true),
        ("Billing Zip/Postal Code", Some("custom:postcode:identifier"), true),
        ("Postcode", Some("custom:postcode:identifier"), true),
        ("ZIP Code", Some("custom:postcode:identifier"), true),
        ("Mobile Phone", Some("phone"), true),
        ("Mobile", Some("phone"), true),
        ("Phone", Some("phone"), true),
        ("Business Phone", Some("phone"), true),
        ("Tel.", Some("phone"), true),
        ("Phone Number", Some("phone"), true),
        ("Other Phone", Some("phone"), false),
        ("Email", Some("email"), true),
        ("E-mail", Some("email"), true),
        ("E-Mail Address", Some("email"), true),
        ("Work Email", Some("email"), false),
        ("Lead Source", Some("source_channel"), true),
        ("Source", Some("source_channel"), true),
        ("Channel", Some("source_channel"), true),
        ("Created Date", Some("first_contact"), true),
        ("Date Created", Some("first_contact"), true),
        ("Created On", Some("first_contact"), true),
        ("Last Activity", Some("last_followup"), true),
        ("Last Activity Date", Some("last_followup"), true),
        ("Last Contact Date", Some("last_followup"), true),
        ("Next Follow-up", Some("next_followup"), true),
        ("Contact Name", Some("contact_name"), true),
        ("Contact", Some("contact_name"), true),
        ("Full Name", Some("contact_name"), true),
        ("Title", Some("contact_title"), true),
        ("Job Title", Some("contact_title"), true),
        ("Industry", Some("industry"), true),
        ("Status", Some("status"), true),
        ("Stage", Some("status"), true),
        ("Lead Status", Some("status"), true),
        ("Account Type", Some("kind"), true),
        ("Priority", Some("priority"), true),
        ("Description", Some("interaction_summary"), true),
        ("Notes", Some("notes"), true),
        ("Remarks", Some("notes"), true),
        ("Contract Number", Some("contract_no"), true),
        ("Amount", Some("contract_amount"), true),
        ("Deal Amount", Some("contract_amount"), true),
        ("Date of Birth", Some("custom:dob:date"), true),
        ("date_of_birth", Some("custom:dob:date"), true),
        ("DOB", Some("custom:dob:date"), true),
        ("SSN", Some("custom:id_number:identifier"), true),
        ("National ID", Some("custom:id_number:identifier"), true),
        ("ID Number", Some("custom:id_number:identifier"), true),
        ("Tax ID", Some("custom:tax_id:identifier"), true),
        ("VAT Number", Some("custom:tax_id:identifier"), true),
        ("Passport No.", Some("custom:passport:identifier"), true),
        ("WeChat ID", Some("custom:wechat:identifier"), true),
        ("Gender", Some("custom:gender:text"), true),
        ("Sex", Some("custom:gender:text"), true),
        ("Creation Date", Some("first_contact"), true),
        ("Created At", Some("first_contact"), true),
        ("Decision Maker", Some("decision_maker"), true),
        // Full-width spellings: NFKC.
        ("Ｅｍａｉｌ", Some("email"), true),
        ("ＣＩＴＹ", Some("city"), true),
        // Headers that name nothing the record holds.
        ("工单号", None, false),
        ("序号", None, false),
        ("Account ID", None, false),
        ("rec_id", None, false),
        ("given_name", None, false),
        ("surname", None, false),
        ("传真", None, false),
        ("", None, false),
        ("()", None, false),
    ];

    #[test]
    fn header_variants_table() {
        assert!(HEADER_CASES.len() >= 150, "{} cases", HEADER_CASES.len());
        let mut wrong = Vec::new();
        for (h, want, certain) in HEADER_CASES {
            let got = guess(h);
            let got_t = got.as_ref().map(|g| g.target.name());
            if got_t.as_deref() != *want || (want.is_some() && got.as_ref().map(|g| g.certain) != Some(*certain)) {
                wrong.push(format!("{h:?}: got {got:?}, want {want:?} certain={certain}"));
            }
        }
        assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
    }

    #[test]
    fn header_fold_drops_notes_width_and_case() {
        assert_eq!(fold("联系电话（手机）"), "联系电话");
        assert_eq!(fold("Billing  Street"), "billingstreet");
        assert_eq!(fold("ＣＩＴＹ"), "city");
        assert_eq!(fold("金额【元】"), "金额");
        assert_eq!(fold("(备注)"), "备注", "a header that is only a note keeps its words");
    }

    #[test]
    fn guesses_are_marked_and_known_spellings_win() {
        let h: Vec<String> =
            ["客户负责人文本", "负责人", "客户详细地址", "联系人"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &[], None).unwrap();
        assert_eq!(m.columns[0].target, None, "the known spelling 负责人 wins over the guess");
        assert_eq!(m.columns[1].target.as_deref(), Some("owner"));
        assert!(!m.columns[1].guessed);
        assert_eq!(m.columns[2].target.as_deref(), Some("address"));
        assert!(m.columns[2].guessed, "a word inside the header is a guess");
        let m = Mapping::build(&h, None, &["客户详细地址=address".into()], None).unwrap();
        assert!(!m.columns[2].guessed, "a --map choice is not a guess");
        let h: Vec<String> = ["客户编号", "客户名称"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &[], None).unwrap();
        assert_eq!(m.key_candidate(), Some("客户编号"));
        assert_eq!(Mapping::build(&h, None, &[], Some("客户编号")).unwrap().key_candidate(), None);
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

    fn build(headers: &[&str]) -> Mapping {
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        Mapping::build(&h, None, &[], None).unwrap()
    }

    #[test]
    fn split_name_columns_join_into_the_contact_beside_a_company() {
        for (headers, family, given) in [
            (&["Company", "Last Name", "First Name", "Email"][..], "Last Name", "First Name"),
            (&["Given Name", "Surname", "Account Name"][..], "Surname", "Given Name"),
            (&["公司名称", "姓", "名", "手机"][..], "姓", "名"),
            (&["名字", "姓氏", "单位名称"][..], "姓氏", "名字"),
        ] {
            let m = build(headers);
            assert_eq!(m.joins.len(), 1, "{headers:?}");
            assert_eq!(m.joins[0].target, "contact_name", "{headers:?}");
            let input = m.inputs().into_iter().find(|i| i.columns.len() == 2).unwrap();
            assert!(input.person_name);
            let names: Vec<&str> = input.columns.iter().map(|i| m.columns[*i].header.as_str()).collect();
            assert_eq!(names, vec![family, given], "{headers:?}: family name first in the plan");
        }
    }

    #[test]
    fn split_name_columns_without_a_company_are_the_customer() {
        let m = build(&["姓", "名", "手机"]);
        assert_eq!(m.joins, vec![JoinMap { columns: vec!["姓".into(), "名".into()], target: "name".into() }]);
        let m = build(&["First Name", "Last Name", "Phone"]);
        assert_eq!(m.joins[0].target, "name");
        // A name column and a contact column taken: the halves stay raw.
        let m = build(&["客户名称", "联系人", "姓", "名"]);
        assert!(m.joins.is_empty());
        // Only one half: nothing to join.
        assert!(build(&["客户名称", "姓"]).joins.is_empty());
        // An explicit choice for a half stands.
        let h: Vec<String> = ["姓", "名", "手机"].iter().map(|s| s.to_string()).collect();
        let m = Mapping::build(&h, None, &["姓=custom:姓:text".into()], None).unwrap();
        assert!(m.joins.is_empty());
    }

    #[test]
    fn a_wide_file_costs_its_width_not_its_square() {
        // Every pair of 20,000 headers folded for the name-halves check
        // took minutes; each header is now looked at a bounded number of
        // times. The bound here is far above the linear cost (well under a
        // second in a release build) and far below the square's.
        let mut h: Vec<String> = vec!["Name".into(), "Contact Last Name".into(), "Contact First Name".into()];
        h.extend((1..20_000).map(|i| format!("Col {i}")));
        h.extend((1..2_000).map(|i| format!("Address {i}")));
        let started = std::time::Instant::now();
        let m = Mapping::build(&h, None, &[], None).unwrap();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(20), "{took:?}");
        assert_eq!(m.joins.iter().map(|j| j.target.as_str()).collect::<Vec<_>>(), ["address", "contact_name"]);
        assert_eq!(m.join_targets().len(), 1_999 + 2);
        assert_eq!(m.inputs().iter().map(|i| i.columns.len()).max(), Some(1_999));
    }

    #[test]
    fn every_email_column_adds_to_the_customers_emails() {
        // A second address is more reach, as a second phone column is.
        let m = build(&["Account Name", "Email", "Secondary Email", "Work Email"]);
        let emails: Vec<&str> =
            m.columns.iter().filter(|c| c.target.as_deref() == Some("email")).map(|c| c.header.as_str()).collect();
        assert_eq!(emails, vec!["Email", "Secondary Email", "Work Email"]);
        // Single-valued fields still take the first column only.
        let m = build(&["Account Name", "City", "Mailing City"]);
        assert_eq!(m.columns.iter().filter(|c| c.target.as_deref() == Some("city")).count(), 1);
    }

    #[test]
    fn an_address_over_numbered_lines_is_joined_in_file_order() {
        let joined = |h: &[&str]| -> Vec<String> {
            build(h).joins.into_iter().filter(|j| j.target == "address").flat_map(|j| j.columns).collect()
        };
        let febrl =
            ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode"];
        assert_eq!(joined(&febrl), vec!["street_number", "address_1", "address_2"]);
        let m = build(&febrl);
        assert_eq!(m.columns[6].target.as_deref(), Some("city"));
        assert!(m.columns.iter().all(|c| c.target.as_deref() != Some("address")), "no part left mapped alone");
        assert_eq!(
            joined(&["Name", "Address Line 1", "Address Line 2", "City"]),
            vec!["Address Line 1", "Address Line 2"]
        );
        assert_eq!(joined(&["客户名称", "地址1", "地址2"]), vec!["地址1", "地址2"]);
        assert_eq!(joined(&["Company", "House Number", "Street"]), vec!["House Number", "Street"]);
        // Two addresses, or one: nothing to join.
        assert!(joined(&["Account Name", "Billing Street", "Shipping Street"]).is_empty());
        assert!(joined(&["Account Name", "Address Line 1", "City"]).is_empty());
        assert!(joined(&["Account Name", "Street Number", "Street Number 2"]).is_empty());
        // Suburb, town or locality is the city only where no City column is.
        let m = build(&["Name", "Street", "Suburb", "City", "Postcode"]);
        assert_eq!(m.columns[3].target.as_deref(), Some("city"));
        assert_eq!(m.columns[2].target, None);
        // A first line without a number is the first line.
        assert_eq!(joined(&["Name", "Address", "Address 2", "City"]), vec!["Address", "Address 2"]);
        assert_eq!(joined(&["客户名称", "地址", "地址2", "地址3"]), vec!["地址", "地址2", "地址3"]);
        // The house number goes first wherever it is.
        assert_eq!(
            joined(&["Name", "Address", "Address 2", "House Number"]),
            vec!["House Number", "Address", "Address 2"]
        );
        // Not one address: two plain lines, two numbers, another address
        // column, a header written twice.
        assert!(joined(&["Name", "Address", "Street"]).is_empty());
        assert!(joined(&["Name", "House Number", "Street Number", "Address 2"]).is_empty());
        let m = build(&["Name", "客户地址", "地址2"]);
        assert!(m.joins.is_empty());
        assert_eq!(m.columns[1].target.as_deref(), Some("address"));
        assert!(joined(&["Name", "Address 1", "Address 2", "Address 2"]).is_empty());
        // Remembered, then one line unmapped: the others stay one address.
        let h: Vec<String> = ["Name", "street_number", "address_1", "address_2"].map(String::from).to_vec();
        let saved = build(&["Name", "street_number", "address_1", "address_2"]).to_file(None, None, None);
        let m = Mapping::build(&h, Some(&saved), &["address_2=-".to_string()], None).unwrap();
        assert_eq!(m.joins.len(), 1);
        assert_eq!(m.joins[0].columns, vec!["street_number", "address_1"]);
        // A line the user mapped stands; the others are left as they were.
        let h = ["Name", "Address Line 1", "Address Line 2"].map(String::from);
        let m = Mapping::build(&h, None, &["Address Line 2=address".to_string()], None).unwrap();
        assert!(m.joins.is_empty());
        assert_eq!(m.columns[2].target.as_deref(), Some("address"));
    }

    #[test]
    fn split_name_columns_under_a_common_prefix_are_joined() {
        // An insurer's policy holder: the halves are the customer's name.
        let m = build(&["保单号", "投保人姓", "投保人名", "身份证号"]);
        assert_eq!(
            m.joins,
            vec![JoinMap { columns: vec!["投保人姓".into(), "投保人名".into()], target: "name".into() }]
        );
        assert!(m.inputs().iter().any(|i| i.person_name), "joined as a person's name");
        // A contact's halves are the contact, even with no company column;
        // the word 联系人 in them no longer maps either half alone.
        let m = build(&["联系人姓", "联系人名", "手机"]);
        assert_eq!(m.joins[0].target, "contact_name");
        assert!(m.columns.iter().all(|c| c.target.as_deref() != Some("contact_name")));
        let m = build(&["Account Name", "Contact First Name", "Contact Last Name"]);
        assert_eq!(m.joins.len(), 1);
        assert_eq!(m.joins[0].target, "contact_name");
        let input = m.inputs().into_iter().find(|i| i.columns.len() == 2).unwrap();
        let names: Vec<&str> = input.columns.iter().map(|i| m.columns[*i].header.as_str()).collect();
        assert_eq!(names, vec!["Contact Last Name", "Contact First Name"], "family name first in the plan");
        // Halves under different prefixes are two people's: not joined.
        assert!(build(&["客户名称", "投保人姓", "被保人名"]).joins.is_empty());
        // The sales rep's name is no customer's nor contact's: its halves
        // stay as they were.
        let m = build(&["客户名称", "手机", "负责人姓", "负责人名"]);
        assert!(m.joins.is_empty());
        assert_eq!(m.columns[2].target.as_deref(), Some("owner"));
        assert!(build(&["Account Name", "Owner Last Name", "Owner First Name"]).joins.is_empty());
    }

    #[test]
    fn person_name_joined_in_the_order_of_its_script() {
        assert_eq!(join_person_name("王", "伟"), "王伟");
        assert_eq!(join_person_name(" 欧阳 ", "娜娜"), "欧阳娜娜");
        assert_eq!(join_person_name("Smith", "John"), "John Smith");
        assert_eq!(join_person_name("", "John"), "John");
        assert_eq!(join_person_name("Smith", ""), "Smith");
    }

    fn rows(columns: &[&[&str]]) -> Vec<Vec<String>> {
        let n = columns[0].len();
        (0..n).map(|r| columns.iter().map(|c| c[r].to_string()).collect()).collect()
    }

    #[test]
    fn enumerated_guess_dropped_when_most_values_are_not_the_fields() {
        // A ticket's 状态 holds the ticket's states, not a customer status.
        let mut m = build(&["客户简称", "状态", "类型", "优先级"]);
        let names = ["甲公司"; 6];
        let ticket_states = ["待回访", "处理中", "已关闭", "处理中", "待回访", ""];
        let ticket_types = ["故障报修", "咨询", "投诉", "故障报修", "咨询", "咨询"];
        let levels = ["高", "中", "低", "P1", "一般", "高"];
        m.check_values(&rows(&[&names, &ticket_states, &ticket_types, &levels]));
        assert_eq!(m.columns[1].target, None);
        let why = m.columns[1].dropped.as_deref().unwrap();
        assert!(why.contains("5 of 5") && why.contains("status") && why.contains("`待回访`"), "{why}");
        assert_eq!(m.columns[2].target, None, "a ticket type is not a customer kind");
        assert!(m.columns[2].dropped.as_deref().unwrap().contains("kind"));
        assert_eq!(m.columns[3].target.as_deref(), Some("priority"), "most are priorities: kept");
        assert_eq!(m.columns[3].dropped, None);
    }

    #[test]
    fn enumerated_guess_kept_for_valid_values_few_values_or_an_explicit_choice() {
        let mut m = build(&["客户名称", "客户状态", "客户类型"]);
        let names = ["甲公司"; 6];
        let statuses = ["潜在", "意向", "成交", "丢单", "老客户", "什么"];
        let kinds = ["公司", "个人", "企业", "", "", ""];
        m.check_values(&rows(&[&names, &statuses, &kinds]));
        assert_eq!(m.columns[1].target.as_deref(), Some("status"), "synonyms of allowed values count");
        assert_eq!(m.columns[2].target.as_deref(), Some("kind"));
        let mut m = build(&["客户名称", "状态"]);
        m.check_values(&rows(&[&["a", "b"], &["处理中", "已关闭"]]));
        assert_eq!(m.columns[1].target.as_deref(), Some("status"), "two values say too little");
        let h: Vec<String> = ["客户名称", "状态"].iter().map(|s| s.to_string()).collect();
        let mut m = Mapping::build(&h, None, &["状态=status".into()], None).unwrap();
        m.check_values(&rows(&[&["a"; 6], &["处理中"; 6]]));
        assert_eq!(m.columns[1].target.as_deref(), Some("status"), "--map stands");
    }

    #[test]
    fn join_spacing() {
        assert_eq!(join_parts(&["王", "伟"]), "王伟");
        assert_eq!(join_parts(&["John", "Smith"]), "John Smith");
        assert_eq!(join_parts(&["王", "", "Wei"]), "王 Wei");
    }
}
