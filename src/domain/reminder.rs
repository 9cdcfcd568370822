//! Follow-up reminders: the declarative rules (stored in the database, the
//! same for everyone), their built-in defaults from domain.md, the TOML form
//! admins edit, and the pure parts of evaluation. Selecting the customers a
//! rule fires for is SQL (store::followups), with `today` passed in.

use super::customer::Priority;
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A new customer (first contact within `new_days`) with no follow-up
    /// within `within_days` of the first contact.
    FirstFollowup,
    /// Customers of the given priorities are followed up at least every
    /// `every_days` (domain.md: core customers visited monthly).
    Recurring,
    /// A quote with no later follow-up within `within_days` is escalated to
    /// the owner's manager.
    QuoteEscalation,
    /// Contract renewal, `days_before` the contract expires.
    ContractRenewal,
    /// An explicit next follow-up date has come.
    NextFollowup,
}

impl RuleKind {
    pub const ALL: [RuleKind; 5] = [
        RuleKind::FirstFollowup,
        RuleKind::Recurring,
        RuleKind::QuoteEscalation,
        RuleKind::ContractRenewal,
        RuleKind::NextFollowup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::FirstFollowup => "first_followup",
            RuleKind::Recurring => "recurring",
            RuleKind::QuoteEscalation => "quote_escalation",
            RuleKind::ContractRenewal => "contract_renewal",
            RuleKind::NextFollowup => "next_followup",
        }
    }

    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The parameters this kind reads; any other is refused in a rule file.
    fn params(self) -> &'static [&'static str] {
        match self {
            RuleKind::FirstFollowup => &["within_days", "new_days"],
            RuleKind::Recurring => &["every_days", "priorities"],
            RuleKind::QuoteEscalation => &["within_days"],
            RuleKind::ContractRenewal => &["days_before"],
            RuleKind::NextFollowup => &[],
        }
    }
}

/// One reminder rule. Parameters a kind does not read are left at zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub enabled: bool,
    pub description: String,
    pub within_days: u32,
    pub new_days: u32,
    pub every_days: u32,
    pub days_before: u32,
    /// Normalised priority values (高 / 中 / 低).
    pub priorities: Vec<String>,
}

impl Rule {
    fn of_kind(id: &str, kind: RuleKind, description: &str) -> Rule {
        Rule {
            id: id.into(),
            kind,
            enabled: true,
            description: description.into(),
            within_days: 0,
            new_days: 0,
            every_days: 0,
            days_before: 0,
            priorities: Vec::new(),
        }
    }
}

/// The rules of domain.md, used while the database holds none.
pub fn default_rules() -> Vec<Rule> {
    vec![
        Rule {
            within_days: 3,
            new_days: 30,
            ..Rule::of_kind(
                "first-followup",
                RuleKind::FirstFollowup,
                "a new customer gets a first follow-up within 3 days of first contact",
            )
        },
        Rule {
            every_days: 30,
            priorities: vec![Priority::High.as_str().into()],
            ..Rule::of_kind("core-monthly", RuleKind::Recurring, "core (high-priority) customers: a visit every month")
        },
        Rule {
            within_days: 3,
            ..Rule::of_kind(
                "quote-escalation",
                RuleKind::QuoteEscalation,
                "quoted and no follow-up for 3 days: escalate to the owner's manager",
            )
        },
        Rule {
            days_before: 30,
            ..Rule::of_kind("contract-renewal", RuleKind::ContractRenewal, "contract renewal, 30 days before expiry")
        },
        Rule::of_kind("next-followup", RuleKind::NextFollowup, "the planned next follow-up date has come"),
    ]
}

/// The TOML shape of a rule file: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Table>,
}

const MAX_DAYS: i64 = 3660;

/// Reads a rule file. Every problem names the rule (by position and id)
/// and the key; unknown keys and keys of another kind are refused, missing
/// parameters take the kind's default.
pub fn rules_from_toml(text: &str) -> Result<Vec<Rule>, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.to_string())?;
    if file.rule.is_empty() {
        return Err("no [[rule]] tables: a rule file lists every rule (disable one with enabled = false)".into());
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (i, t) in file.rule.iter().enumerate() {
        let at = |id: Option<&str>| match id {
            Some(id) => format!("rule {} (`{id}`)", i + 1),
            None => format!("rule {}", i + 1),
        };
        let id = match t.get("id") {
            Some(toml::Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err(format!("{}: `id` must be a string", at(None))),
            None => return Err(format!("{}: `id` is missing", at(None))),
        };
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("{}: `id` must be letters, digits, `-` or `_`", at(Some(&id))));
        }
        if rules.iter().any(|r| r.id == id) {
            return Err(format!("{}: id `{id}` is used twice", at(Some(&id))));
        }
        let kind_name = match t.get("kind") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => return Err(format!("{}: `kind` is missing (one of {})", at(Some(&id)), kind_list())),
        };
        let kind = RuleKind::parse(&kind_name)
            .ok_or_else(|| format!("{}: kind `{kind_name}` is unknown (one of {})", at(Some(&id)), kind_list()))?;
        let defaults = default_rules().into_iter().find(|r| r.kind == kind).expect("every kind has a default");
        let mut rule = Rule { id: id.clone(), description: String::new(), ..defaults };
        for (key, value) in t {
            let bad = |why: &str| format!("{}: `{key}` {why}", at(Some(&id)));
            match key.as_str() {
                "id" | "kind" => {}
                "enabled" => rule.enabled = value.as_bool().ok_or_else(|| bad("must be true or false"))?,
                "description" => {
                    rule.description = value.as_str().ok_or_else(|| bad("must be a string"))?.trim().to_string()
                }
                k if !kind.params().contains(&k) => {
                    return Err(
                        if ["within_days", "new_days", "every_days", "days_before", "priorities"].contains(&k) {
                            bad(&format!("does not apply to a {} rule", kind.as_str()))
                        } else {
                            bad("is not a rule setting")
                        },
                    )
                }
                "priorities" => {
                    let list = value.as_array().ok_or_else(|| bad("must be a list, e.g. [\"高\"]"))?;
                    let mut out = Vec::new();
                    for v in list {
                        let s = v.as_str().ok_or_else(|| bad("must list strings"))?;
                        let p =
                            Priority::parse(s).ok_or_else(|| bad(&format!("`{s}` is not a priority (高, 中, 低)")))?;
                        out.push(p.as_str().to_string());
                    }
                    if out.is_empty() {
                        return Err(bad("must name at least one priority"));
                    }
                    rule.priorities = out;
                }
                _ => {
                    let n = value
                        .as_integer()
                        .filter(|n| (1..=MAX_DAYS).contains(n))
                        .ok_or_else(|| bad(&format!("must be a whole number of days from 1 to {MAX_DAYS}")))?
                        as u32;
                    match key.as_str() {
                        "within_days" => rule.within_days = n,
                        "new_days" => rule.new_days = n,
                        "every_days" => rule.every_days = n,
                        _ => rule.days_before = n,
                    }
                }
            }
        }
        if kind == RuleKind::FirstFollowup && rule.new_days < rule.within_days {
            return Err(format!(
                "{}: new_days ({}) must be at least within_days ({})",
                at(Some(&id)),
                rule.new_days,
                rule.within_days
            ));
        }
        rules.push(rule);
    }
    Ok(rules)
}

fn kind_list() -> String {
    RuleKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The rule file for `rules`: what `rules_from_toml` reads back.
pub fn rules_to_toml(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# crmwb reminder rules. Edit, then `crmwb rules set FILE` (admins only).\n\
         # Kinds: first_followup (within_days, new_days), recurring (every_days, priorities),\n\
         # quote_escalation (within_days), contract_renewal (days_before), next_followup.\n",
    );
    for r in rules {
        out.push_str(&format!(
            "\n[[rule]]\nid = {}\nkind = {}\nenabled = {}\ndescription = {}\n",
            toml_string(&r.id),
            toml_string(r.kind.as_str()),
            r.enabled,
            toml_string(&r.description)
        ));
        for p in r.kind.params() {
            let line = match *p {
                "within_days" => format!("within_days = {}", r.within_days),
                "new_days" => format!("new_days = {}", r.new_days),
                "every_days" => format!("every_days = {}", r.every_days),
                "days_before" => format!("days_before = {}", r.days_before),
                _ => format!(
                    "priorities = [{}]",
                    r.priorities.iter().map(|p| toml_string(p)).collect::<Vec<_>>().join(", ")
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// How urgent a reminder is on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    DueToday,
    Upcoming,
}

impl Urgency {
    pub fn of(due: NaiveDate, today: NaiveDate) -> Urgency {
        match due.cmp(&today) {
            std::cmp::Ordering::Less => Urgency::Overdue,
            std::cmp::Ordering::Equal => Urgency::DueToday,
            std::cmp::Ordering::Greater => Urgency::Upcoming,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::DueToday => "due today",
            Urgency::Upcoming => "upcoming",
        }
    }
}

/// One raised reminder: which customer, which rule, when it is due and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub customer_id: i64,
    pub number: String,
    pub name: String,
    pub owner: Option<String>,
    pub status: Option<String>,
    /// The id of the rule that raised it; `--reminder ID` names it.
    pub rule: String,
    pub kind: RuleKind,
    /// The due date the rule computed: with the customer and rule, it
    /// identifies this occurrence (a completion hides exactly it).
    pub due: NaiveDate,
    /// When a snooze ends, if snoozed; the reminder counts as due then.
    pub snoozed_until: Option<NaiveDate>,
    pub urgency: Urgency,
    /// Days past the (effective) due date; negative when upcoming.
    pub days_overdue: i64,
    pub reason: String,
    pub escalated: bool,
    /// Who an escalation goes to: the owner's manager, when the user
    /// directory names one.
    pub escalate_to: Option<String>,
    /// The customer's reminders-from day (set by the import that brought
    /// it): its events before this day are history and raise nothing.
    /// `None`: every date counts.
    pub counts_from: Option<NaiveDate>,
}

impl Reminder {
    /// The date the reminder counts as due: the snooze end if snoozed.
    pub fn effective_due(&self) -> NaiveDate {
        self.snoozed_until.unwrap_or(self.due)
    }
}

/// Parses a snooze length: `3d`, `1w`, `2m` (calendar months), also
/// `3天`, `1周`, `1月`; a bare number is days.
pub fn parse_snooze(s: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 3660)
        .ok_or_else(|| format!("`{s}`: give a length such as 3d, 1w or 1m (at most 3660 days)"))?;
    let until = match unit.trim() {
        "" | "d" | "day" | "days" | "天" | "日" => today.checked_add_days(Days::new(n.into())),
        "w" | "week" | "weeks" | "周" | "星期" => today.checked_add_days(Days::new(u64::from(n) * 7)),
        "m" | "month" | "months" | "月" | "个月" => today.checked_add_months(Months::new(n)),
        other => return Err(format!("`{s}`: unit `{other}` is not d (days), w (weeks) or m (months)")),
    };
    until.ok_or_else(|| format!("`{s}` is too far ahead"))
}

/// Adds (or with a negative count subtracts) days, saturating at the ends
/// of the calendar instead of failing.
pub fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    let r = if days >= 0 {
        d.checked_add_days(Days::new(days as u64))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    r.unwrap_or(if days >= 0 { NaiveDate::MAX } else { NaiveDate::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let text = rules_to_toml(&default_rules());
        let back = rules_from_toml(&text).unwrap();
        assert_eq!(back, default_rules());
        // Every kind has a default and every default is enabled.
        for k in RuleKind::ALL {
            assert!(default_rules().iter().any(|r| r.kind == k && r.enabled), "{k:?}");
        }
    }

    #[test]
    fn rule_files_are_checked() {
        let ok = "[[rule]]\nid = \"vip\"\nkind = \"recurring\"\nevery_days = 14\npriorities = [\"high\", \"中\"]\n";
        let r = &rules_from_toml(ok).unwrap()[0];
        assert_eq!((r.every_days, r.priorities.clone()), (14, vec!["高".to_string(), "中".to_string()]));
        let missing = rules_from_toml("[[rule]]\nid = \"r\"\nkind = \"contract_renewal\"\n").unwrap();
        assert_eq!(missing[0].days_before, 30, "a missing parameter takes the default");
        for (text, needle) in [
            ("", "no [[rule]]"),
            ("[[rule]]\nkind = \"recurring\"\n", "`id` is missing"),
            ("[[rule]]\nid = \"a b\"\nkind = \"recurring\"\n", "letters, digits"),
            ("[[rule]]\nid = \"a\"\nkind = \"weekly\"\n", "kind `weekly` is unknown"),
            ("[[rule]]\nid = \"a\"\nkind = \"recurring\"\nwithin_days = 3\n", "does not apply to a recurring rule"),
            ("[[rule]]\nid = \"a\"\nkind = \"recurring\"\ncolour = 3\n", "`colour` is not a rule setting"),
            ("[[rule]]\nid = \"a\"\nkind = \"contract_renewal\"\ndays_before = 0\n", "from 1 to"),
            ("[[rule]]\nid = \"a\"\nkind = \"recurring\"\npriorities = [\"urgent!\"]\n", "not a priority"),
            ("[[rule]]\nid = \"a\"\nkind = \"first_followup\"\nwithin_days = 10\nnew_days = 5\n", "at least"),
            (
                "[[rule]]\nid = \"a\"\nkind = \"next_followup\"\n[[rule]]\nid = \"a\"\nkind = \"next_followup\"\n",
                "twice",
            ),
            ("[[rule]]\nid = \"a\"\nkind = \"next_followup\"\nenabled = \"yes\"\n", "true or false"),
        ] {
            let err = rules_from_toml(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let err = rules_from_toml("[[rule]]\nid = \"x\"\nkind = \"recurring\"\nevery_days = -1\n").unwrap_err();
        assert!(err.contains("rule 1 (`x`)") && err.contains("every_days"), "{err}");
    }

    #[test]
    fn urgency_and_snooze() {
        let today = d("2026-03-10");
        assert_eq!(Urgency::of(d("2026-03-09"), today), Urgency::Overdue);
        assert_eq!(Urgency::of(today, today), Urgency::DueToday);
        assert_eq!(Urgency::of(d("2026-03-11"), today), Urgency::Upcoming);
        assert_eq!(parse_snooze("3d", today), Ok(d("2026-03-13")));
        assert_eq!(parse_snooze("1w", today), Ok(d("2026-03-17")));
        assert_eq!(parse_snooze("1m", today), Ok(d("2026-04-10")));
        assert_eq!(parse_snooze("2天", today), Ok(d("2026-03-12")));
        assert_eq!(parse_snooze("5", today), Ok(d("2026-03-15")));
        assert!(parse_snooze("0d", today).is_err());
        assert!(parse_snooze("3y", today).unwrap_err().contains("unit `y`"));
        assert!(parse_snooze("soon", today).is_err());
        assert_eq!(shift(d("2026-03-01"), -1), d("2026-02-28"));
    }
}
