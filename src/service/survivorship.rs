//! Survivorship: which member's value each golden field takes when
//! customers are merged. Pure functions over the members' records; the
//! rules themselves are stored in the database (`survivorship_rules`).

use crate::domain::{Customer, Field};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a field's value is chosen among the members that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// From the member whose record was written most recently (its `updated_at`).
    MostRecent,
    /// The longest value (most characters); a tie goes to the member with
    /// more golden fields filled in.
    MostComplete,
    /// From the member whose sources rank highest in the source priority
    /// list (`crmwb survivorship set --source-priority`); unlisted sources rank last.
    SourcePriority,
    /// The value most members share; a tie goes to the most recent.
    MostFrequent,
    /// The smallest value: for dates, the earliest.
    Earliest,
    /// The largest value: for dates, the latest.
    Latest,
}

impl Rule {
    pub const ALL: [Rule; 6] =
        [Rule::MostRecent, Rule::MostComplete, Rule::SourcePriority, Rule::MostFrequent, Rule::Earliest, Rule::Latest];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::MostRecent => "most_recent",
            Rule::MostComplete => "most_complete",
            Rule::SourcePriority => "source_priority",
            Rule::MostFrequent => "most_frequent",
            Rule::Earliest => "earliest",
            Rule::Latest => "latest",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        let s = s.trim().replace('-', "_");
        Rule::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// The built-in rule of a field when the database sets none.
    pub fn default_for(field: Field) -> Rule {
        match field {
            Field::Name | Field::Address | Field::Needs | Field::Notes | Field::DecisionMaker => Rule::MostComplete,
            Field::Kind | Field::Industry | Field::Province | Field::City | Field::District => Rule::MostFrequent,
            Field::FirstContact => Rule::Earliest,
            Field::LastFollowup => Rule::Latest,
            _ => Rule::MostRecent,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fields that describe one fact together follow the member their leading
/// field came from, so a merge never pairs one customer's industry name
/// with another's industry code, or one contract's number with another's amount.
pub fn leader_of(field: Field) -> Option<Field> {
    match field {
        Field::IndustryCode => Some(Field::Industry),
        // A contact person's mobile and e-mail belong to the person (matching.md).
        Field::ContactTitle | Field::Mobile | Field::Email => Some(Field::ContactName),
        Field::Province | Field::City | Field::District => Some(Field::Address),
        Field::ContractSigned | Field::ContractAmount | Field::ContractExpiry => Some(Field::ContractNo),
        _ => None,
    }
}

/// The rules in effect: per-field overrides, a default for the rest, the
/// source priority list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurvivorshipConfig {
    /// Field name → rule, as set by the user (`*` is the default for fields not listed).
    pub rules: HashMap<String, Rule>,
    /// Source names, highest priority first.
    pub source_priority: Vec<String>,
}

impl SurvivorshipConfig {
    /// The rule a field is chosen by.
    pub fn rule(&self, field: Field) -> Rule {
        self.rules
            .get(field.name())
            .or_else(|| self.rules.get("*"))
            .copied()
            .unwrap_or_else(|| Rule::default_for(field))
    }

    /// Where the rule of a field comes from: `set` (for this field), `default set` (`*`) or `built-in`.
    pub fn origin(&self, field: Field) -> &'static str {
        if self.rules.contains_key(field.name()) {
            "set"
        } else if self.rules.contains_key("*") {
            "default set"
        } else {
            "built-in"
        }
    }
}

/// One customer taking part in a merge, as survivorship sees it.
#[derive(Debug, Clone)]
pub struct Member {
    pub customer: Customer,
    /// When its record was last written (RFC 3339): the "most recent" clock.
    pub updated_at: String,
    /// The names of the sources its records came from.
    pub sources: Vec<String>,
}

impl Member {
    fn filled(&self) -> usize {
        Field::ALL.iter().filter(|f| self.customer.get(**f).is_some()).count()
    }
}

/// Why a field has the value it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChoiceReason {
    /// Picked by hand.
    Picked,
    /// Every member that has a value has the same one.
    Agreed,
    /// No member has a value.
    Empty,
    /// Chosen by this rule among differing values.
    Rule { rule: Rule },
    /// Taken from the member its leading field came from.
    Follows { leader: String },
}

impl std::fmt::Display for ChoiceReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChoiceReason::Picked => f.write_str("picked"),
            ChoiceReason::Agreed => f.write_str("all agree"),
            ChoiceReason::Empty => f.write_str("no value"),
            ChoiceReason::Rule { rule } => write!(f, "{rule}"),
            ChoiceReason::Follows { leader } => write!(f, "follows {leader}"),
        }
    }
}

/// Why a merged field has its value, in the language in force (the TUI's
/// merge preview and `crmwb merge --dry-run`).
pub fn choice_reason_text(r: &ChoiceReason) -> String {
    match r {
        ChoiceReason::Picked => tr!("why-picked"),
        ChoiceReason::Agreed => tr!("why-agreed"),
        ChoiceReason::Empty => tr!("why-empty"),
        ChoiceReason::Rule { rule } => crate::i18n::value("rule", rule.as_str()),
        ChoiceReason::Follows { leader } => tr!("why-follows", leader = leader.as_str()),
    }
}

/// How a merge preview's survivor was chosen (`MergePreview::survivor_rule`,
/// which `--json` keeps in English).
pub const SURVIVOR_OLDEST: &str = "oldest customer (first number issued)";
pub const SURVIVOR_CHOSEN: &str = "chosen";

/// `survivor_rule` in the language in force.
pub fn survivor_rule_text(rule: &str) -> String {
    match rule {
        SURVIVOR_OLDEST => tr!("merge-prev-oldest"),
        SURVIVOR_CHOSEN => tr!("merge-prev-chosen"),
        other => other.to_string(),
    }
}

/// The outcome for one field: its value, the member it came from (an index
/// into the members, 0 being the survivor), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub field: Field,
    pub value: Option<String>,
    pub from: Option<usize>,
    pub reason: ChoiceReason,
}

/// Chooses every golden field except `number` (the survivor's). `members[0]`
/// is the survivor; `picks` are (field, member index). Ties always go to the
/// earlier member, so the survivor wins them.
pub fn choose(members: &[Member], config: &SurvivorshipConfig, picks: &[(Field, usize)]) -> Vec<Chosen> {
    let mut out: Vec<Chosen> = Vec::new();
    let fields: Vec<Field> = Field::ALL.iter().copied().filter(|f| *f != Field::Number).collect();
    // Leaders first, so their followers can look up where they came from.
    let (leaders, followers): (Vec<Field>, Vec<Field>) = fields.iter().partition(|f| leader_of(**f).is_none());
    for f in leaders.into_iter().chain(followers) {
        out.push(choose_field(members, config, picks, f, &out));
    }
    out.sort_by_key(|c| Field::ALL.iter().position(|f| *f == c.field));
    out
}

fn choose_field(
    members: &[Member],
    config: &SurvivorshipConfig,
    picks: &[(Field, usize)],
    field: Field,
    done: &[Chosen],
) -> Chosen {
    let value_of = |i: usize| members[i].customer.get(field).map(str::to_string);
    if let Some((_, i)) = picks.iter().rev().find(|(f, _)| *f == field) {
        return Chosen { field, value: value_of(*i), from: Some(*i), reason: ChoiceReason::Picked };
    }
    // A follower takes the value of the member its leader came from; when
    // that member has none, only members that do not contradict it on the
    // group's other fields may fill the gap (no 上海 city under a 广东 address).
    let mut eligible: Vec<usize> = (0..members.len()).collect();
    if let Some(leader) = leader_of(field) {
        let lead = done.iter().find(|c| c.field == leader).and_then(|c| c.from);
        if let Some(m) = lead {
            if value_of(m).is_some() {
                return Chosen {
                    field,
                    value: value_of(m),
                    from: Some(m),
                    reason: ChoiceReason::Follows { leader: leader.name().to_string() },
                };
            }
            let group: Vec<Field> =
                Field::ALL.iter().copied().filter(|g| *g == leader || leader_of(*g) == Some(leader)).collect();
            let agree = |i: usize| {
                group.iter().all(|g| match (members[m].customer.get(*g), members[i].customer.get(*g)) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
            };
            eligible.retain(|i| agree(*i));
        }
    }
    let candidates: Vec<(usize, String)> = eligible.iter().filter_map(|&i| value_of(i).map(|v| (i, v))).collect();
    let Some((first, first_value)) = candidates.first().cloned() else {
        return Chosen { field, value: None, from: None, reason: ChoiceReason::Empty };
    };
    if candidates.iter().all(|(_, v)| *v == first_value) {
        return Chosen { field, value: Some(first_value), from: Some(first), reason: ChoiceReason::Agreed };
    }
    let rule = config.rule(field);
    let recency = |i: usize| members[i].updated_at.as_str();
    // The best candidate by `key`; ties to the earlier member.
    fn best<K: PartialOrd>(c: &[(usize, String)], key: impl Fn(&(usize, String)) -> K) -> (usize, String) {
        let mut win = &c[0];
        for x in &c[1..] {
            if key(x) > key(win) {
                win = x;
            }
        }
        win.clone()
    }
    let (i, v) = match rule {
        Rule::MostRecent => best(&candidates, |(i, _)| recency(*i).to_string()),
        Rule::MostComplete => best(&candidates, |(i, v)| (v.chars().count(), members[*i].filled())),
        Rule::SourcePriority => {
            let rank = |i: usize| {
                members[i]
                    .sources
                    .iter()
                    .filter_map(|s| config.source_priority.iter().position(|p| p == s))
                    .min()
                    .unwrap_or(usize::MAX)
            };
            best(&candidates, |(i, _)| (std::cmp::Reverse(rank(*i)), recency(*i).to_string()))
        }
        Rule::MostFrequent => {
            let count = |v: &str| candidates.iter().filter(|(_, w)| w == v).count();
            best(&candidates, |(i, v)| (count(v), recency(*i).to_string()))
        }
        Rule::Earliest => best(&candidates, |(_, v)| std::cmp::Reverse(v.clone())),
        Rule::Latest => best(&candidates, |(_, v)| v.clone()),
    };
    Chosen { field, value: Some(v), from: Some(i), reason: ChoiceReason::Rule { rule } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, updated: &str, sources: &[&str], f: impl FnOnce(&mut Customer)) -> Member {
        let mut c = Customer { name: name.into(), ..Default::default() };
        f(&mut c);
        Member { customer: c, updated_at: updated.into(), sources: sources.iter().map(|s| s.to_string()).collect() }
    }

    fn pick(chosen: &[Chosen], f: Field) -> &Chosen {
        chosen.iter().find(|c| c.field == f).unwrap()
    }

    #[test]
    fn each_rule_chooses_as_documented() {
        let members = [
            member("138A公司", "2024-01-01T00:00:00Z", &["marketing"], |c| {
                c.owner = Some("张三".into());
                c.city = Some("北京市".into());
                c.first_contact = Some("2023-05-01".into());
                c.last_followup = Some("2023-06-01".into());
                c.status = Some("潜在客户".into());
            }),
            member("138A科技有限公司", "2025-01-01T00:00:00Z", &["service"], |c| {
                c.owner = Some("李四".into());
                c.city = Some("上海市".into());
                c.first_contact = Some("2022-01-01".into());
                c.last_followup = Some("2022-02-01".into());
                c.status = Some("意向客户".into());
            }),
            member("138A公司", "2023-01-01T00:00:00Z", &["sales"], |c| {
                c.city = Some("上海市".into());
                c.status = Some("成交客户".into());
            }),
        ];
        let mut config = SurvivorshipConfig::default();
        let chosen = choose(&members, &config, &[]);
        assert_eq!(pick(&chosen, Field::Name).value.as_deref(), Some("138A科技有限公司"), "most complete");
        assert_eq!(pick(&chosen, Field::Owner).from, Some(1), "most recent");
        assert_eq!(pick(&chosen, Field::City).value.as_deref(), Some("上海市"), "most frequent");
        assert_eq!(pick(&chosen, Field::FirstContact).value.as_deref(), Some("2022-01-01"), "earliest");
        assert_eq!(pick(&chosen, Field::LastFollowup).value.as_deref(), Some("2023-06-01"), "latest");
        assert_eq!(pick(&chosen, Field::Kind).reason, ChoiceReason::Agreed);
        assert_eq!(pick(&chosen, Field::Email).reason, ChoiceReason::Empty);

        config.rules.insert("status".into(), Rule::SourcePriority);
        config.source_priority = vec!["sales".into(), "service".into()];
        let chosen = choose(&members, &config, &[]);
        assert_eq!(pick(&chosen, Field::Status).value.as_deref(), Some("成交客户"), "sales ranks first");
        config.source_priority = vec!["marketing".into()];
        let chosen = choose(&members, &config, &[]);
        assert_eq!(pick(&chosen, Field::Status).from, Some(0));

        config.rules.insert("*".into(), Rule::Latest);
        assert_eq!(config.rule(Field::Owner), Rule::Latest);
        assert_eq!(config.rule(Field::Status), Rule::SourcePriority, "a field's own rule beats the default");

        let chosen = choose(&members, &config, &[(Field::Name, 2), (Field::Email, 1)]);
        assert_eq!(pick(&chosen, Field::Name).from, Some(2));
        assert_eq!(pick(&chosen, Field::Name).reason, ChoiceReason::Picked);
        assert_eq!(pick(&chosen, Field::Email).value, None, "a pick of an empty value empties the field");
    }

    #[test]
    fn followers_stay_with_their_leader() {
        let members = [
            member("甲公司", "2025-01-01T00:00:00Z", &[], |c| {
                c.industry = Some("制造业".into());
                c.industry_code = Some("C".into());
                c.contract_no = Some("HT-1".into());
            }),
            member("甲公司", "2024-01-01T00:00:00Z", &[], |c| {
                c.industry = Some("批发和零售业".into());
                c.industry_code = Some("F".into());
                c.contract_no = Some("HT-2".into());
                c.contract_amount = Some("500000".into());
            }),
        ];
        let chosen = choose(&members, &SurvivorshipConfig::default(), &[(Field::Industry, 1)]);
        assert_eq!(pick(&chosen, Field::IndustryCode).value.as_deref(), Some("F"));
        assert_eq!(pick(&chosen, Field::IndustryCode).reason, ChoiceReason::Follows { leader: "industry".into() });
        // HT-1 has no amount, and HT-2's amount is another contract's: left empty.
        assert_eq!(pick(&chosen, Field::ContractNo).value.as_deref(), Some("HT-1"));
        assert_eq!(pick(&chosen, Field::ContractAmount).value, None);

        let members = [
            member("甲公司", "2025-01-01T00:00:00Z", &[], |c| {
                c.province = Some("上海".into());
                c.city = Some("上海市".into());
            }),
            member("甲公司", "2024-01-01T00:00:00Z", &[], |c| {
                c.province = Some("广东".into());
                c.address = Some("广东省广州市天河区北京路80号".into());
            }),
            member("甲公司", "2023-01-01T00:00:00Z", &[], |c| {
                c.province = Some("广东".into());
                c.city = Some("广州市".into());
            }),
        ];
        let chosen = choose(&members, &SurvivorshipConfig::default(), &[]);
        assert_eq!(pick(&chosen, Field::Province).value.as_deref(), Some("广东"));
        assert_eq!(pick(&chosen, Field::City).value.as_deref(), Some("广州市"), "not 上海市 under a 广东 address");
    }
}
