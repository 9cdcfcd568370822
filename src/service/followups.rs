//! Follow-ups: the reminder list, completing and snoozing reminders, the
//! interaction log that drives `last_followup`, the lifecycle status, and
//! the reminder rules (admins only).

use super::access::Permission;
use super::Workbench;
use crate::domain::reminder::{default_rules, rules_from_toml, shift};
use crate::domain::validate::{check_status_change, normalize_field};
use crate::domain::{Customer, Field, InteractionKind, Reminder, Rule, RuleKind, Status, Urgency};
use crate::error::{Error, Result};
use crate::store::followups::{self as fstore, Candidate, Scope};
use crate::store::{self, customers, NewAudit};
use chrono::NaiveDate;
use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;

/// The rules in force and where they come from.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// True while no rules are stored: the built-in defaults apply.
    pub builtin: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// Why some dates raise no reminder: the import batches that set a
/// reminders-from day, and how many planned follow-ups fall before it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReminderHorizon {
    /// Live customers whose planned next follow-up is before their
    /// reminders-from day: history, not due.
    pub history: u64,
    /// `history` by owner (as stored; `None`: no owner).
    pub by_owner: Vec<(Option<String>, u64)>,
    /// The enabled rules that raise planned follow-ups: the rules those
    /// dates would fall under if they were not history.
    pub rules: Vec<String>,
    /// (batch id, source, day), newest first.
    pub batches: Vec<(i64, String, String)>,
}

impl ReminderHorizon {
    /// How many of the history dates a reminder list narrowed to `rule`
    /// (when set) and to the owners `owner` accepts would hold: what a
    /// filtered list says about the dates it does not show.
    pub fn history_of(&self, rule: Option<&str>, owner: impl Fn(Option<&str>) -> bool) -> u64 {
        if rule.is_some_and(|r| !self.rules.iter().any(|x| x == r)) {
            return 0;
        }
        self.by_owner.iter().filter(|(o, _)| owner(o.as_deref())).map(|(_, n)| n).sum()
    }
}

/// Which reminders to list.
#[derive(Debug, Clone, Default)]
pub struct FollowupQuery {
    /// Only reminders past their due date.
    pub overdue_only: bool,
    /// Also reminders due within this many days after today.
    pub due_within: Option<u32>,
    /// Only customers owned under one of these names (empty: anyone's);
    /// "mine" is `Workbench::mine_owners`.
    pub owners: Vec<String>,
}

/// A hand-logged interaction.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub kind: InteractionKind,
    pub summary: String,
    /// The day it happened (default today). Never in the future.
    pub at: Option<NaiveDate>,
    /// The name of one of the customer's contacts.
    pub contact: Option<String>,
    /// Sets the next follow-up date.
    pub next: Option<NaiveDate>,
}

/// What logging an interaction did.
#[derive(Debug, Clone, Serialize)]
pub struct Logged {
    pub number: String,
    pub interaction_id: i64,
    pub at: String,
    pub last_followup: Option<String>,
    pub next_followup: Option<String>,
}

/// What `followups done` did.
#[derive(Debug, Clone, Serialize)]
pub struct Completed {
    pub completed: Vec<Reminder>,
    pub logged: Logged,
}

/// What a status change did.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub number: String,
    pub from: Option<String>,
    pub to: String,
    /// False when the customer already had that status: nothing was written.
    pub changed: bool,
}

/// One reminder, as a bulk action names it: the customer's number and the
/// rule that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReminderKey {
    pub number: String,
    pub rule: String,
}

/// One reminder as a snooze left it, for undoing that snooze: the day it
/// was snoozed to, and the day it was snoozed to before (`None`: it was
/// not snoozed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snoozed {
    pub number: String,
    pub rule: String,
    pub due: NaiveDate,
    pub until: NaiveDate,
    pub before: Option<NaiveDate>,
}

/// What a bulk action did. Each customer is its own unit of work (one
/// transaction, its own audit entry): `done` holds what was written,
/// `refused` each customer left as it was, with why.
#[derive(Debug, Clone)]
pub struct BulkOutcome<T> {
    pub done: Vec<T>,
    /// (customer number, why), in the order asked.
    pub refused: Vec<(String, String)>,
}

impl<T> Default for BulkOutcome<T> {
    fn default() -> Self {
        BulkOutcome { done: Vec::new(), refused: Vec::new() }
    }
}

impl<T> BulkOutcome<T> {
    /// "3 done, 1 refused (CRM2026-000004: why)": `done` is how many items
    /// the caller counts as done (reminders, customers), `verb` says what
    /// happened to them.
    pub fn summary(&self, done: usize, verb: &str) -> String {
        let mut s = tr!("fu-summary", n = done, verb = verb);
        if !self.refused.is_empty() {
            let why: Vec<String> = self.refused.iter().map(|(n, w)| format!("{n}: {w}")).collect();
            s.push_str(&tr!("fu-summary-refused", n = self.refused.len(), why = why.join("; ")));
        }
        s
    }
}

/// The items grouped by customer, in first-seen order, each rule once.
fn by_customer(items: &[ReminderKey]) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for it in items {
        match out.iter_mut().find(|(n, _)| *n == it.number) {
            Some((_, rules)) if rules.contains(&it.rule.as_str()) => {}
            Some((_, rules)) => rules.push(&it.rule),
            None => out.push((it.number.clone(), vec![&it.rule])),
        }
    }
    out
}

/// An error as a refusal reason, on one line.
fn refusal_text(e: &Error) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()
}

fn reason(rule: &Rule, c: &Candidate) -> String {
    let event = c.event.as_deref().unwrap_or("?");
    match rule.kind {
        RuleKind::FirstFollowup => {
            tr!("why-first", event = event, days = rule.within_days)
        }
        RuleKind::Recurring => {
            // The clock starts at the last follow-up, unless that is missing
            // or before the customer's reminders-from day.
            let base = parse_day(&c.due).map(|d| day(shift(d, -i64::from(rule.every_days)))).unwrap_or_default();
            let none = tr!("why-none-on-record");
            let last = c.event.as_deref().unwrap_or(&none);
            let counted = if c.event.as_deref() == Some(base.as_str()) {
                String::new()
            } else if c.counts_from.as_deref() == Some(base.as_str()) {
                tr!("why-counted-reminders", base = base.as_str())
            } else {
                tr!("why-counted-entered", base = base.as_str())
            };
            tr!(
                "why-recurring",
                priority = c.detail.as_deref().unwrap_or("?"),
                last = last,
                counted = counted,
                days = rule.every_days
            )
        }
        RuleKind::QuoteEscalation => tr!(
            "why-quote",
            event = event,
            days = rule.within_days,
            to = match (&c.manager, &c.owner) {
                (Some(m), _) => tr!("why-manager-of", manager = m.as_str(), owner = c.owner.as_deref().unwrap_or("?")),
                (None, Some(o)) => tr!("why-manager-none", owner = o.as_str()),
                (None, None) => tr!("why-no-owner"),
            }
        ),
        RuleKind::ContractRenewal => tr!(
            "why-renewal",
            contract = c.detail.as_deref().map(|n| format!("{n} ")).unwrap_or_default(),
            event = event,
            days = rule.days_before
        ),
        RuleKind::NextFollowup => tr!("why-next", event = event),
    }
}

/// Evaluates `rules` on `today`: every reminder due on or before `horizon`,
/// minus completed occurrences, snoozed ones counted from their snooze end.
fn evaluate(
    conn: &Connection,
    rules: &[Rule],
    today: NaiveDate,
    horizon: NaiveDate,
    scope: Scope<'_>,
) -> Result<Vec<Reminder>> {
    let states = fstore::states(conn, scope.customer)?;
    let mut out: Vec<(usize, Reminder)> = Vec::new();
    for (pos, rule) in rules.iter().enumerate().filter(|(_, r)| r.enabled) {
        for c in fstore::candidates(conn, rule, today, horizon, scope)? {
            let Some(due) = parse_day(&c.due) else { continue };
            let mut snoozed_until = None;
            if let Some(s) = states.get(&(c.customer_id, rule.id.clone(), c.due.clone())) {
                if s.state == "done" {
                    continue;
                }
                snoozed_until = s.until.as_deref().and_then(parse_day).filter(|u| *u > due);
            }
            let effective = snoozed_until.unwrap_or(due);
            if effective > horizon {
                continue;
            }
            let reason = reason(rule, &c);
            out.push((
                pos,
                Reminder {
                    customer_id: c.customer_id,
                    number: c.number,
                    name: c.name,
                    owner: c.owner,
                    status: c.status,
                    rule: rule.id.clone(),
                    kind: rule.kind,
                    due,
                    snoozed_until,
                    urgency: Urgency::of(effective, today),
                    days_overdue: (today - effective).num_days(),
                    reason,
                    escalated: rule.kind == RuleKind::QuoteEscalation,
                    escalate_to: c.manager,
                    counts_from: c.counts_from.as_deref().and_then(parse_day),
                },
            ));
        }
    }
    out.sort_by(|(pa, a), (pb, b)| (a.effective_due(), &a.number, pa).cmp(&(b.effective_due(), &b.number, pb)));
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

impl Workbench {
    /// The reminder rules in force.
    pub fn reminder_rules(&self) -> Result<RuleSet> {
        Ok(match fstore::load_rules(self.store.conn())? {
            Some((rules, at, by)) => RuleSet { rules, builtin: false, updated_at: Some(at), updated_by: Some(by) },
            None => RuleSet { rules: default_rules(), builtin: true, updated_at: None, updated_by: None },
        })
    }

    /// Replaces the reminder rules with those of a rule file (TOML, as
    /// `rules show --toml` writes it). Admins only.
    pub fn set_reminder_rules(&mut self, toml_text: &str) -> Result<RuleSet> {
        self.access.check(Permission::RulesManage, None)?;
        let rules = rules_from_toml(toml_text).map_err(Error::Invalid)?;
        let before = self.reminder_rules()?;
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        fstore::replace_rules(&tx, &rules, &actor, &now)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "rules.set",
                entity: "reminder_rules",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({ "before": before.rules, "after": rules }),
            },
            &now,
        )?;
        tx.commit()?;
        self.reminder_rules()
    }

    /// The reminder list on `today`: overdue and due today, or also those due
    /// within `due_within` days, or only the overdue ones. Ordered by due date.
    pub fn reminders(&self, today: NaiveDate, q: &FollowupQuery) -> Result<Vec<Reminder>> {
        let horizon = if q.overdue_only { shift(today, -1) } else { shift(today, q.due_within.unwrap_or(0).into()) };
        let rules = self.reminder_rules()?.rules;
        let scope = Scope { owners: &q.owners, customer: None };
        evaluate(self.store.conn(), &rules, today, horizon, scope)
    }

    /// Why some dates raise nothing (see `ReminderHorizon`).
    pub fn reminder_horizon(&self) -> Result<ReminderHorizon> {
        let (by_owner, batches) = fstore::horizon(self.store.conn())?;
        let rules = self.reminder_rules()?.rules;
        let rules = rules.into_iter().filter(|r| r.enabled && r.kind == RuleKind::NextFollowup).map(|r| r.id).collect();
        Ok(ReminderHorizon { history: by_owner.iter().map(|(_, n)| n).sum(), by_owner, rules, batches })
    }

    /// Changes from which day a batch's customers raise reminders (`None`:
    /// every date counts), as `import --reminders-from` would have set it.
    /// Needs the right to import; audited. Returns how many customers.
    pub fn set_batch_reminders_from(&mut self, batch: i64, from: Option<NaiveDate>) -> Result<usize> {
        self.access.check(Permission::Import, None)?;
        let before = self.batch(batch)?.reminders_from;
        let from = from.map(day);
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = fstore::set_batch_reminders_from(&tx, batch, from.as_deref())?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "import.reminders_from",
                entity: "import_batch",
                entity_id: Some(&batch.to_string()),
                customer_id: None,
                details: serde_json::json!({ "before": before, "after": from, "customers": n }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// The day a customer's reminders start from (its import's
    /// `--reminders-from`); `None`: every date counts.
    pub fn reminders_from_of(&self, customer_id: i64) -> Result<Option<NaiveDate>> {
        Ok(fstore::reminders_from_of(self.store.conn(), customer_id)?.as_deref().and_then(parse_day))
    }

    /// A customer's reminders due on or before `horizon` (open ones: `today`).
    pub fn customer_reminders(&self, customer_id: i64, today: NaiveDate, horizon: NaiveDate) -> Result<Vec<Reminder>> {
        let rules = self.reminder_rules()?.rules;
        evaluate(self.store.conn(), &rules, today, horizon, Scope { owners: &[], customer: Some(customer_id) })
    }

    fn live_customer(&self, number: &str) -> Result<Customer> {
        let c = customers::find_by_number(self.store.conn(), number)?
            .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))?;
        Ok(c)
    }

    /// The reminders `done`/`snooze` act on: the named one (whenever due), or
    /// every open one (due today or earlier).
    fn targets(&self, c: &Customer, reminder: Option<&str>, today: NaiveDate) -> Result<Vec<Reminder>> {
        match reminder {
            Some(id) => {
                let rules = self.reminder_rules()?.rules;
                if !rules.iter().any(|r| r.id == id) {
                    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
                    return Err(Error::NotFound(format!("no reminder rule `{id}` (rules: {})", ids.join(", "))));
                }
                let all = self.customer_reminders(c.id, today, NaiveDate::MAX)?;
                let found: Vec<Reminder> = all.into_iter().filter(|r| r.rule == id).collect();
                if found.is_empty() {
                    return Err(Error::NotFound(format!("{}: no open `{id}` reminder", c.number)));
                }
                Ok(found)
            }
            None => self.customer_reminders(c.id, today, today),
        }
    }

    /// Completes a customer's open reminders (or the one named) and logs the
    /// follow-up as an interaction, in one transaction. A completed reminder
    /// comes back only when its rule fires anew (a new due date).
    pub fn complete_followup(
        &mut self,
        number: &str,
        reminder: Option<&str>,
        entry: &NewInteraction,
    ) -> Result<Completed> {
        let rules: Option<Vec<&str>> = reminder.map(|r| vec![r]);
        self.complete_reminders(number, rules.as_deref(), entry)
    }

    /// `complete_followup` for several rules of one customer at once: one
    /// interaction logged, every named reminder completed, one transaction.
    fn complete_reminders(
        &mut self,
        number: &str,
        rules: Option<&[&str]>,
        entry: &NewInteraction,
    ) -> Result<Completed> {
        let today = self.clock.today();
        let c = self.live_customer(number)?;
        self.access.check(super::Permission::FollowupEdit, Some(super::Subject::of(&c)))?;
        let targets = match rules {
            None => self.targets(&c, None, today)?,
            Some(rules) => {
                let mut all = Vec::new();
                for rule in rules {
                    all.extend(self.targets(&c, Some(rule), today)?);
                }
                all
            }
        };
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in &targets {
            fstore::set_state(&tx, c.id, &r.rule, &day(r.due), "done", None, Some(&entry.summary), &actor, &now)?;
        }
        let logged = record_interaction(&tx, &actor, &now, today, &c, entry)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "followup.done",
                entity: "customer",
                entity_id: Some(&c.number),
                customer_id: Some(c.id),
                details: serde_json::json!({
                    "reminders": targets.iter().map(|r| serde_json::json!({"rule": r.rule, "due": day(r.due)})).collect::<Vec<_>>(),
                    "interaction": logged.interaction_id, "note": entry.summary }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(Completed { completed: targets, logged })
    }

    /// Completes several reminders with one interaction each customer: one
    /// transaction and one audit entry per customer, so a refusal (a
    /// customer the user may not follow up, a reminder done meanwhile)
    /// stops nothing else. A customer with several of the reminders logs
    /// one interaction for all of them.
    pub fn complete_followups(&mut self, items: &[ReminderKey], entry: &NewInteraction) -> BulkOutcome<Completed> {
        let mut out = BulkOutcome::default();
        for (number, rules) in by_customer(items) {
            match self.complete_reminders(&number, Some(&rules), entry) {
                Ok(done) => out.done.push(done),
                Err(e) => out.refused.push((number, refusal_text(&e))),
            }
        }
        out
    }

    /// Snoozes several reminders for `length` (`3d`, `1w`): one transaction
    /// and audit entry per customer, refusals collected. A bad length
    /// refuses the whole batch before anything is written.
    pub fn snooze_followups(&mut self, items: &[ReminderKey], length: &str) -> Result<BulkOutcome<Vec<Reminder>>> {
        crate::domain::reminder::parse_snooze(length, self.clock.today()).map_err(Error::Invalid)?;
        let mut out = BulkOutcome::default();
        for (number, rules) in by_customer(items) {
            let mut snoozed = Vec::new();
            let mut why = None;
            for rule in rules {
                match self.snooze_followup(&number, Some(rule), length) {
                    Ok(v) => snoozed.extend(v),
                    Err(e) => why = Some(refusal_text(&e)),
                }
            }
            if !snoozed.is_empty() {
                out.done.push(snoozed);
            }
            if let Some(why) = why {
                out.refused.push((number, why));
            }
        }
        Ok(out)
    }

    /// Undoes snoozes: each reminder goes back to the day it was snoozed
    /// to before (or to no snooze), each customer its own unit of work with
    /// the right to edit its follow-ups and an audit entry. A reminder
    /// someone changed since (done, snoozed again) is left as it is and
    /// its customer refused, saying so: undo never overwrites a later
    /// decision.
    pub fn undo_snoozes(&mut self, items: &[Snoozed]) -> Result<BulkOutcome<String>> {
        let mut numbers: Vec<&str> = Vec::new();
        for s in items {
            if !numbers.contains(&s.number.as_str()) {
                numbers.push(&s.number);
            }
        }
        let mut out = BulkOutcome::default();
        for number in numbers {
            let mine: Vec<&Snoozed> = items.iter().filter(|s| s.number == number).collect();
            match self.undo_snooze(number, &mine) {
                Ok(()) => out.done.push(number.to_string()),
                Err(e) => out.refused.push((number.to_string(), refusal_text(&e))),
            }
        }
        Ok(out)
    }

    fn undo_snooze(&mut self, number: &str, items: &[&Snoozed]) -> Result<()> {
        let c = self.live_customer(number)?;
        self.access.check(super::Permission::FollowupEdit, Some(super::Subject::of(&c)))?;
        super::import::refuse_if_undoing(self.store.conn(), c.id)?;
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        for s in items {
            let state = fstore::state_of(&tx, c.id, &s.rule, &day(s.due))?;
            let as_left = state.as_ref().is_some_and(|st| st.state == "snoozed" && st.until == Some(day(s.until)));
            if !as_left {
                return Err(Error::Refused(tr!("fu-undo-changed", number = c.number.as_str(), rule = s.rule.as_str())));
            }
            match s.before {
                Some(b) => {
                    fstore::set_state(&tx, c.id, &s.rule, &day(s.due), "snoozed", Some(&day(b)), None, &actor, &now)?
                }
                None => fstore::clear_state(&tx, c.id, &s.rule, &day(s.due))?,
            }
        }
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "followup.unsnooze",
                entity: "customer",
                entity_id: Some(&c.number),
                customer_id: Some(c.id),
                details: serde_json::json!({ "reminders": items.iter().map(|s| serde_json::json!({
                    "rule": s.rule, "due": day(s.due), "from": day(s.until), "to": s.before.map(day) })).collect::<Vec<_>>() }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives several customers a new owner, each in its own transaction    /// Gives several customers a new owner, each in its own transaction
    /// with its audit entry (as `edit_customer` writes them). The owner
    /// must be an active user, by login or by name as the data writes
    /// owners (`林峰`), when the database has users; else the batch is
    /// refused before anything is written.
    pub fn reassign_customers(&mut self, numbers: &[String], owner: &str) -> Result<BulkOutcome<String>> {
        let owner = self.check_owner(owner)?;
        let mut seen = std::collections::HashSet::new();
        let mut out = BulkOutcome::default();
        for number in numbers.iter().filter(|n| seen.insert(n.as_str())) {
            let result = self
                .live_customer(number)
                .and_then(|c| self.edit_customer(c.id, c.version, &[(Field::Owner, Some(owner.clone()))]));
            match result {
                Ok(_) => out.done.push(number.clone()),
                Err(e) => out.refused.push((number.clone(), refusal_text(&e))),
            }
        }
        Ok(out)
    }

    /// `owner` trimmed, when it may own customers: an active user's login
    /// or name (any value when the database has no users yet).
    pub fn check_owner(&self, owner: &str) -> Result<String> {
        let owner = owner.trim();
        if owner.is_empty() {
            return Err(Error::Invalid("give the new owner's login or name".into()));
        }
        let users = self.users()?;
        let active: Vec<&super::UserRow> = users.iter().filter(|u| !u.disabled).collect();
        let is_user = active.iter().any(|u| u.login == owner || u.name.as_deref() == Some(owner));
        if !active.is_empty() && !is_user {
            let known: Vec<&str> = active.iter().map(|u| u.login.as_str()).collect();
            return Err(Error::Invalid(format!(
                "`{}` is not an active user ({})",
                crate::display::sanitize(owner),
                known.join(", ")
            )));
        }
        Ok(owner.to_string())
    }

    /// What "mine" matches: the acting user's login and their name as the
    /// data writes owners (`linfeng` and `林峰`); a customer owned under
    /// either is theirs.
    pub fn mine_owners(&self) -> Result<Vec<String>> {
        let mut out = vec![self.actor.clone()];
        if let Some((_, Some(name))) = store::users::get(self.store.conn(), &self.actor)? {
            let name = name.trim().to_string();
            if !name.is_empty() && name != self.actor {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// Snoozes a customer's open reminders (or the one named) for a length
    /// such as `3d`, `1w` or `1m`: hidden until then, due from then.
    pub fn snooze_followup(&mut self, number: &str, reminder: Option<&str>, length: &str) -> Result<Vec<Reminder>> {
        let today = self.clock.today();
        let until = crate::domain::reminder::parse_snooze(length, today).map_err(Error::Invalid)?;
        let c = self.live_customer(number)?;
        self.access.check(super::Permission::FollowupEdit, Some(super::Subject::of(&c)))?;
        // A reminder state on a customer an undo will remove would stop the
        // undo at its last step.
        super::import::refuse_if_undoing(self.store.conn(), c.id)?;
        let mut targets = self.targets(&c, reminder, today)?;
        if targets.is_empty() {
            return Err(Error::NotFound(format!("{}: no open reminder to snooze", c.number)));
        }
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in &mut targets {
            fstore::set_state(&tx, c.id, &r.rule, &day(r.due), "snoozed", Some(&day(until)), None, &actor, &now)?;
            r.snoozed_until = Some(until);
            r.urgency = Urgency::of(until, today);
            r.days_overdue = (today - until).num_days();
        }
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "followup.snooze",
                entity: "customer",
                entity_id: Some(&c.number),
                customer_id: Some(c.id),
                details: serde_json::json!({ "until": day(until), "for": length,
                    "reminders": targets.iter().map(|r| serde_json::json!({"rule": r.rule, "due": day(r.due)})).collect::<Vec<_>>() }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(targets)
    }

    /// Logs an interaction with a customer. A contact event (anything but a
    /// note) moves `last_followup` forward and settles a planned next
    /// follow-up that has come; `next` plans the next one.
    pub fn log_interaction(&mut self, number: &str, entry: &NewInteraction) -> Result<Logged> {
        let today = self.clock.today();
        let c = self.live_customer(number)?;
        self.access.check(super::Permission::InteractionLog, Some(super::Subject::of(&c)))?;
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let logged = record_interaction(&tx, &actor, &now, today, &c, entry)?;
        tx.commit()?;
        Ok(logged)
    }

    /// Moves a customer through the lifecycle. Won needs a contract (already
    /// on the record or given here); lost, going back from interested, and
    /// reactivating a lost customer need a reason; won never goes back. The
    /// change, who made it and why are audited and show in the history.
    pub fn change_status(
        &mut self,
        number: &str,
        status: &str,
        reason: Option<&str>,
        contract_no: Option<&str>,
        contract_signed: Option<&str>,
    ) -> Result<StatusChange> {
        let c = self.live_customer(number)?;
        self.access.check(super::Permission::FollowupEdit, Some(super::Subject::of(&c)))?;
        let refused =
            |i: crate::domain::validate::Issue| Error::Refused(format!("{}: [{}] {}", c.number, i.rule, i.message));
        let to_text = normalize_field(Field::Status, status)
            .map_err(refused)?
            .ok_or_else(|| Error::Invalid("give a status: 潜在客户, 意向客户, 成交客户 or 流失客户".into()))?;
        let to = Status::parse(&to_text).expect("normalised status parses");
        let from = c.status.as_deref().and_then(Status::parse);
        if from == Some(to) {
            return Ok(StatusChange { number: c.number, from: c.status.clone(), to: to_text, changed: false });
        }
        let norm = |f: Field, v: Option<&str>| -> Result<Option<String>> {
            match v {
                None => Ok(None),
                Some(v) => match normalize_field(f, v) {
                    Ok(Some(n)) => Ok(Some(n)),
                    Ok(None) => Ok(None),
                    Err(i) => Err(refused(i)),
                },
            }
        };
        let new_no = norm(Field::ContractNo, contract_no)?;
        let new_signed = norm(Field::ContractSigned, contract_signed)?;
        let has_contract = new_no.is_some()
            || new_signed.is_some()
            || c.get(Field::ContractNo).is_some()
            || c.get(Field::ContractSigned).is_some();
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        check_status_change(from, to, has_contract, reason).map_err(refused)?;
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The undo's before-images would overwrite the new status.
        super::import::refuse_if_undoing(&tx, c.id)?;
        tx.execute(
            "UPDATE customers SET status = ?1, contract_no = coalesce(?2, contract_no),
                 contract_signed = coalesce(?3, contract_signed), version = version + 1, updated_at = ?4
             WHERE id = ?5",
            params![to_text, new_no, new_signed, now, c.id],
        )?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "customer.status",
                entity: "customer",
                entity_id: Some(&c.number),
                customer_id: Some(c.id),
                details: serde_json::json!({ "from": c.status, "to": to_text, "reason": reason,
                    "contract_no": new_no, "contract_signed": new_signed, "version_before": c.version }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(StatusChange { number: c.number, from: c.status, to: to_text, changed: true })
    }
}

/// Writes one interaction and its effect on the follow-up dates, audited.
fn record_interaction(
    tx: &Connection,
    actor: &str,
    now: &str,
    today: NaiveDate,
    c: &Customer,
    entry: &NewInteraction,
) -> Result<Logged> {
    let at = entry.at.unwrap_or(today);
    if at > today {
        return Err(Error::Invalid(format!(
            "{}: an interaction cannot be dated {} (after today, {})",
            c.number,
            day(at),
            day(today)
        )));
    }
    if let Some(next) = entry.next {
        if next < today {
            return Err(Error::Invalid(format!(
                "--next {}: the next follow-up cannot be in the past (today is {})",
                day(next),
                day(today)
            )));
        }
    }
    let summary = entry.summary.trim();
    if summary.is_empty() {
        return Err(Error::Invalid("an interaction needs a note saying what happened".into()));
    }
    let contact_id = match entry.contact.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => {
            let found: Option<i64> = rusqlite::OptionalExtension::optional(tx.query_row(
                "SELECT id FROM contacts WHERE customer_id = ?1 AND name = ?2 ORDER BY id LIMIT 1",
                params![c.id, name],
                |r| r.get(0),
            ))?;
            match found {
                Some(id) => Some(id),
                None => {
                    let mut stmt = tx.prepare("SELECT name FROM contacts WHERE customer_id = ?1 ORDER BY id")?;
                    let names: Vec<String> = stmt.query_map([c.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                    return Err(Error::NotFound(format!(
                        "{}: no contact named `{name}` ({}); add one with `crmwb contact add`",
                        c.number,
                        if names.is_empty() {
                            "it has no contacts".to_string()
                        } else {
                            format!("contacts: {}", names.join(", "))
                        }
                    )));
                }
            }
        }
    };
    let interaction = crate::domain::Interaction {
        customer_id: c.id,
        contact_id,
        at: day(at),
        kind: entry.kind.as_str().into(),
        summary: summary.to_string(),
        by: Some(actor.to_string()),
        ..Default::default()
    };
    super::import::refuse_if_undoing(tx, c.id)?;
    let id = customers::insert_interaction(tx, &interaction, now, None)?;
    let mut last = c.last_followup.clone();
    let mut next = c.next_followup.clone();
    if entry.kind.is_contact() {
        if last.as_deref().is_none_or(|l| interaction.at.as_str() > l) {
            last = Some(interaction.at.clone());
        }
        // The follow-up that was planned has happened.
        if next.as_deref().is_some_and(|n| n <= interaction.at.as_str()) {
            next = None;
        }
    }
    if let Some(n) = entry.next {
        next = Some(day(n));
    }
    if last != c.last_followup || next != c.next_followup {
        tx.execute(
            "UPDATE customers SET last_followup = ?1, next_followup = ?2, version = version + 1, updated_at = ?3 WHERE id = ?4",
            params![last, next, now, c.id],
        )?;
    }
    store::audit::append(
        tx,
        &NewAudit {
            actor,
            action: "interaction.log",
            entity: "interaction",
            entity_id: Some(&id.to_string()),
            customer_id: Some(c.id),
            details: serde_json::json!({ "kind": interaction.kind, "at": interaction.at, "summary": interaction.summary,
                "contact": entry.contact, "last_followup": [c.last_followup, last], "next_followup": [c.next_followup, next] }),
        },
        now,
    )?;
    Ok(Logged {
        number: c.number.clone(),
        interaction_id: id,
        at: interaction.at,
        last_followup: last,
        next_followup: next,
    })
}

/// How far back a demo's reminders start (see `shift_demo_dates`).
pub const DEMO_REMINDERS_DAYS: i64 = 60;

impl Workbench {
    /// Moves every date of a demo database by the same number of days so
    /// that its follow-ups fall around `today`: some overdue (within the last
    /// 30 days), one due today, some within the next week. Past events
    /// (first contact, last follow-up, signing, interactions) never land
    /// after today. The sample's years of older dates are history: every
    /// batch's reminders start `DEMO_REMINDERS_DAYS` before today, as
    /// `import --reminders-from` would set. Returns the shift in days.
    /// Refused on a real database: real imports never shift dates.
    pub fn shift_demo_dates(&mut self, today: NaiveDate) -> Result<i64> {
        if !self.is_demo()? {
            return Err(Error::Refused(
                "only a demo database's dates are shifted; real data keeps the dates it was imported with".into(),
            ));
        }
        let dates: Vec<NaiveDate> = {
            let mut stmt = self.store.conn().prepare(
                "SELECT DISTINCT next_followup FROM customers WHERE merged_into IS NULL AND next_followup IS NOT NULL ORDER BY 1",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.filter_map(|r| r.ok().and_then(|s| parse_day(&s))).collect()
        };
        // The latest planned date with others in the month before it and the
        // week after it becomes today.
        let anchor = dates
            .iter()
            .rev()
            .find(|d| {
                dates.iter().any(|o| *o < **d && *o >= shift(**d, -30))
                    && dates.iter().any(|o| *o > **d && *o <= shift(**d, 7))
            })
            .or(dates.last())
            .copied();
        let Some(anchor) = anchor else { return Ok(0) };
        let days = (today - anchor).num_days();
        let modifier = format!("{days:+} days");
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let today_s = day(today);
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE customers SET
                 first_contact = min(date(first_contact, ?1), ?2),
                 last_followup = min(date(last_followup, ?1), ?2),
                 contract_signed = min(date(contract_signed, ?1), ?2),
                 next_followup = date(next_followup, ?1),
                 contract_expiry = date(contract_expiry, ?1)",
            params![modifier, today_s],
        )?;
        tx.execute("UPDATE interactions SET at = min(date(at, ?1), ?2)", params![modifier, today_s])?;
        let from = day(shift(today, -DEMO_REMINDERS_DAYS));
        fstore::set_demo_reminders_from(&tx, &from)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "demo.shift_dates",
                entity: "database",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({ "days": days, "anchor": day(anchor), "today": today_s, "reminders_from": from }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(days)
    }
}
