//! Follow-up queries: the stored reminder rules, the customers each rule
//! fires for (one indexed range query per rule, never a scan of every
//! customer in Rust), and what people did with each reminder.

use crate::domain::{Rule, RuleKind, Status};
use crate::error::Result;
use rusqlite::{params, types::Value, Connection, OptionalExtension};
use std::collections::HashMap;

/// The stored rules in order; `None` when none are stored (the built-in
/// defaults apply).
pub fn load_rules(conn: &Connection) -> Result<Option<(Vec<Rule>, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, enabled, description, params, updated_at, updated_by FROM reminder_rules ORDER BY position",
    )?;
    let mut rows = stmt.query([])?;
    let mut rules = Vec::new();
    let mut stamp = (String::new(), String::new());
    while let Some(r) = rows.next()? {
        let kind: String = r.get(1)?;
        let params: String = r.get(4)?;
        let p: serde_json::Value = serde_json::from_str(&params).unwrap_or_default();
        let days = |k: &str| p[k].as_u64().unwrap_or(0) as u32;
        rules.push(Rule {
            id: r.get(0)?,
            kind: RuleKind::parse(&kind).ok_or_else(|| crate::Error::Other(format!("unknown rule kind `{kind}`")))?,
            enabled: r.get(2)?,
            description: r.get(3)?,
            within_days: days("within_days"),
            new_days: days("new_days"),
            every_days: days("every_days"),
            days_before: days("days_before"),
            priorities: p["priorities"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        });
        stamp = (r.get(5)?, r.get(6)?);
    }
    Ok((!rules.is_empty()).then_some((rules, stamp.0, stamp.1)))
}

/// Replaces the whole rule set (the caller holds the transaction).
pub(crate) fn replace_rules(conn: &Connection, rules: &[Rule], actor: &str, now: &str) -> Result<()> {
    conn.execute("DELETE FROM reminder_rules", [])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO reminder_rules (id, position, kind, enabled, description, params, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, r) in rules.iter().enumerate() {
        let params = serde_json::json!({ "within_days": r.within_days, "new_days": r.new_days,
            "every_days": r.every_days, "days_before": r.days_before, "priorities": r.priorities });
        stmt.execute(params![
            r.id,
            i as i64,
            r.kind.as_str(),
            r.enabled,
            r.description,
            params.to_string(),
            now,
            actor
        ])?;
    }
    Ok(())
}

/// A customer a rule fires for, with the facts its reason is made of.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub customer_id: i64,
    pub number: String,
    pub name: String,
    pub owner: Option<String>,
    pub status: Option<String>,
    /// The due date (YYYY-MM-DD).
    pub due: String,
    /// The event the rule counts from: first contact, last follow-up, quote
    /// date, contract expiry, planned date.
    pub event: Option<String>,
    /// A second fact: the contract number, the priority, the quote summary.
    pub detail: Option<String>,
    /// The owner's manager (quote escalation).
    pub manager: Option<String>,
    /// The customer's reminders-from day (YYYY-MM-DD): events before it are
    /// history; `None`: every date counts.
    pub counts_from: Option<String>,
}

/// Which customers to look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Only customers owned under one of these names (empty: anyone's).
    pub owners: &'a [String],
    pub customer: Option<i64>,
}

/// Each customer's reminders-from day (0013_reminders_from.sql), word for
/// word as in the partial indexes: SQLite uses a partial index only when the
/// query repeats its terms. A customer without one counts every date.
const NEXT_DUE_TERMS: &str = "c.merged_into IS NULL AND c.next_followup >= coalesce(c.reminders_from, '')";
const CONTRACT_DUE_TERMS: &str = "c.merged_into IS NULL AND c.contract_expiry >= coalesce(c.reminders_from, '')";
const FIRST_CONTACT_TERMS: &str = "c.merged_into IS NULL AND c.first_contact IS NOT NULL";
const RECURRING_TERMS: &str = "c.merged_into IS NULL AND c.priority IS NOT NULL";
const RECURRING_BASE: &str =
    "max(coalesce(c.last_followup, c.first_contact, substr(c.created_at, 1, 10)), coalesce(c.reminders_from, ''))";

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The SQL and parameters of one rule, due on or before `horizon`.
fn rule_query(rule: &Rule, today: chrono::NaiveDate, horizon: chrono::NaiveDate) -> (String, Vec<Value>) {
    use crate::domain::reminder::shift;
    let lost = Value::Text(Status::Lost.as_str().into());
    // Stored dates are four-digit years: keep bounds inside them so text
    // comparison stays date comparison.
    let lo = chrono::NaiveDate::from_ymd_opt(1, 1, 1).expect("date");
    let hi = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("date");
    let text = move |d: chrono::NaiveDate| Value::Text(day(d.clamp(lo, hi)));
    let cols = "c.id, c.number, c.name, c.owner, c.status, c.reminders_from";
    match rule.kind {
        RuleKind::NextFollowup => (
            format!("SELECT {cols}, c.next_followup, c.next_followup, NULL, NULL FROM customers c WHERE {NEXT_DUE_TERMS} AND c.next_followup <= ?1"),
            vec![text(horizon)],
        ),
        RuleKind::ContractRenewal => (
            format!(
                "SELECT {cols}, date(c.contract_expiry, '-' || ?2 || ' days'), c.contract_expiry, c.contract_no, NULL \
                 FROM customers c WHERE {CONTRACT_DUE_TERMS} AND c.contract_expiry <= ?1 AND c.status IS NOT ?3"
            ),
            vec![text(shift(horizon, rule.days_before.into())), Value::Integer(rule.days_before.into()), lost],
        ),
        RuleKind::FirstFollowup => (
            format!(
                "SELECT {cols}, date(c.first_contact, '+' || ?3 || ' days'), c.first_contact, NULL, NULL \
                 FROM customers c WHERE {FIRST_CONTACT_TERMS} AND c.first_contact >= ?1 AND c.first_contact <= ?2 \
                 AND (c.last_followup IS NULL OR c.last_followup <= c.first_contact) AND c.status IS NOT ?4"
            ),
            vec![
                text(shift(today, -i64::from(rule.new_days))),
                text(today.min(shift(horizon, -i64::from(rule.within_days)))),
                Value::Integer(rule.within_days.into()),
                lost,
            ],
        ),
        RuleKind::Recurring => {
            let marks: Vec<String> = (0..rule.priorities.len()).map(|i| format!("?{}", i + 4)).collect();
            let mut p = vec![text(shift(horizon, -i64::from(rule.every_days))), Value::Integer(rule.every_days.into()), lost];
            p.extend(rule.priorities.iter().map(|s| Value::Text(s.clone())));
            (
                format!(
                    "SELECT {cols}, date({RECURRING_BASE}, '+' || ?2 || ' days'), coalesce(c.last_followup, c.first_contact), c.priority, NULL \
                     FROM customers c WHERE {RECURRING_TERMS} AND c.priority IN ({}) AND {RECURRING_BASE} <= ?1 AND c.status IS NOT ?3",
                    if marks.is_empty() { "NULL".to_string() } else { marks.join(", ") }
                ),
                p,
            )
        }
        RuleKind::QuoteEscalation => (
            format!(
                "SELECT {cols}, date(q.at, '+' || ?2 || ' days'), q.at, q.summary, m.login \
                 FROM interactions q JOIN customers c ON c.id = q.customer_id \
                 LEFT JOIN users u ON u.login = c.owner AND u.disabled = 0 \
                 LEFT JOIN users m ON m.id = u.manager_id AND m.disabled = 0 \
                 WHERE q.kind = 'quote' AND q.at <= ?1 AND c.merged_into IS NULL \
                 AND q.at >= coalesce(c.reminders_from, '') AND c.status IS NOT ?3 \
                 AND (c.last_followup IS NULL OR c.last_followup <= q.at) \
                 AND NOT EXISTS (SELECT 1 FROM interactions j WHERE j.customer_id = q.customer_id AND j.kind <> 'note' \
                     AND (j.at > q.at OR (j.at = q.at AND j.id > q.id)))"
            ),
            vec![text(shift(horizon, -i64::from(rule.within_days))), Value::Integer(rule.within_days.into()), lost],
        ),
    }
}

/// Every customer `rule` fires for with a due date on or before `horizon`.
pub fn candidates(
    conn: &Connection,
    rule: &Rule,
    today: chrono::NaiveDate,
    horizon: chrono::NaiveDate,
    scope: Scope<'_>,
) -> Result<Vec<Candidate>> {
    let (mut sql, mut values) = owners_rule_query(rule, today, horizon, scope.owners);
    if let Some(id) = scope.customer {
        values.push(Value::Integer(id));
        sql.push_str(&format!(" AND c.id = ?{}", values.len()));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
        Ok(Candidate {
            customer_id: r.get(0)?,
            number: r.get(1)?,
            name: r.get(2)?,
            owner: r.get(3)?,
            status: r.get(4)?,
            // An unparseable stored date yields NULL: no due date, no reminder.
            counts_from: r.get(5)?,
            due: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            event: r.get(7)?,
            detail: r.get(8)?,
            manager: r.get(9)?,
        })
    })?;
    let mut out = Vec::new();
    for c in rows {
        let c = c?;
        if !c.due.is_empty() {
            out.push(c);
        }
    }
    Ok(out)
}

/// The query plan of a rule's query, for the test that keeps them indexed.
pub fn explain(conn: &Connection, rule: &Rule, today: chrono::NaiveDate) -> Result<String> {
    explain_for(conn, rule, today, &[])
}

/// A rule's query, limited to `owners` (a "mine" list) when there are any:
/// the one the reminders run and the one whose plan the tests check.
fn owners_rule_query(
    rule: &Rule,
    today: chrono::NaiveDate,
    horizon: chrono::NaiveDate,
    owners: &[String],
) -> (String, Vec<Value>) {
    let (mut sql, mut values) = rule_query(rule, today, horizon);
    if !owners.is_empty() {
        // `+` keeps the planner on the rule's date index: an owner has tens
        // of thousands of customers, a day has few reminders.
        sql.push_str(&format!(" AND {}", super::listing::owner_in("+c.owner", values.len() + 1, owners.len())));
        values.extend(owners.iter().map(|o| Value::Text(o.trim().to_string())));
    }
    (sql, values)
}

/// The query plan of a rule's query limited to `owners` (a "mine" list).
pub fn explain_for(conn: &Connection, rule: &Rule, today: chrono::NaiveDate, owners: &[String]) -> Result<String> {
    let (sql, values) = owners_rule_query(rule, today, today, owners);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
}

/// What someone did with one occurrence of a reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderState {
    pub state: String,
    pub until: Option<String>,
    pub by: String,
    pub at: String,
    pub note: Option<String>,
}

/// Recorded states keyed by (customer, rule, due), for one customer or all.
pub fn states(conn: &Connection, customer: Option<i64>) -> Result<HashMap<(i64, String, String), ReminderState>> {
    let mut stmt = conn.prepare_cached(
        "SELECT customer_id, rule_id, due, state, until, by_user, at, note FROM reminder_states
         WHERE ?1 IS NULL OR customer_id = ?1",
    )?;
    let rows = stmt.query_map([customer], |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            ReminderState { state: r.get(3)?, until: r.get(4)?, by: r.get(5)?, at: r.get(6)?, note: r.get(7)? },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn state_of(conn: &Connection, customer: i64, rule: &str, due: &str) -> Result<Option<ReminderState>> {
    Ok(conn
        .prepare_cached(
            "SELECT state, until, by_user, at, note FROM reminder_states WHERE customer_id = ?1 AND rule_id = ?2 AND due = ?3",
        )?
        .query_row(params![customer, rule, due], |r| {
            Ok(ReminderState { state: r.get(0)?, until: r.get(1)?, by: r.get(2)?, at: r.get(3)?, note: r.get(4)? })
        })
        .optional()?)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn set_state(
    conn: &Connection,
    customer: i64,
    rule: &str,
    due: &str,
    state: &str,
    until: Option<&str>,
    note: Option<&str>,
    by: &str,
    now: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO reminder_states (customer_id, rule_id, due, state, until, note, by_user, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (customer_id, rule_id, due) DO UPDATE SET state = excluded.state, until = excluded.until,
             note = excluded.note, by_user = excluded.by_user, at = excluded.at",
    )?
    .execute(params![customer, rule, due, state, until, note, by, now])?;
    Ok(())
}

/// Forgets what was done with one occurrence of a reminder: it is open
/// again, as before anything was recorded (the caller holds the
/// transaction).
pub(crate) fn clear_state(conn: &Connection, customer: i64, rule: &str, due: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM reminder_states WHERE customer_id = ?1 AND rule_id = ?2 AND due = ?3")?
        .execute(params![customer, rule, due])?;
    Ok(())
}

/// An import batch that set a reminders-from day: (id, source, day).
pub type HorizonBatch = (i64, String, String);

/// How many customers an owner (as stored; `None`: no owner) has.
pub type OwnerCount = (Option<String>, u64);

/// Why some dates raise nothing: live customers whose planned next
/// follow-up falls before their reminders-from day (history, not work), and
/// the import batches that set such a day, newest first (id, source, day).
/// The history is counted per owner, so that a list narrowed to some
/// owners ("mine", one owner) counts only theirs; there are tens of owners,
/// not millions of rows.
pub fn horizon(conn: &Connection) -> Result<(Vec<OwnerCount>, Vec<HorizonBatch>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT owner, count(*) FROM customers WHERE merged_into IS NULL AND next_followup < reminders_from \
         GROUP BY owner",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    let history = rows.collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, source, reminders_from FROM import_batches WHERE reminders_from IS NOT NULL ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok((history, rows.collect::<rusqlite::Result<_>>()?))
}

/// A demo's reminders start on `day` for every batch and its customers (the
/// caller checked it is a demo and holds the transaction).
pub(crate) fn set_demo_reminders_from(conn: &Connection, day: &str) -> Result<()> {
    conn.execute("UPDATE import_batches SET reminders_from = ?1", [day])?;
    conn.execute("UPDATE customers SET reminders_from = ?1 WHERE batch_id IS NOT NULL", [day])?;
    Ok(())
}

/// A customer's reminders-from day, if its import set one.
pub fn reminders_from_of(conn: &Connection, customer: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT reminders_from FROM customers WHERE id = ?1")?
        .query_row([customer], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Sets (or clears) a batch's reminders-from day, for the batch and the
/// customers it created; returns how many customers (the caller holds the
/// transaction).
pub(crate) fn set_batch_reminders_from(conn: &Connection, batch: i64, day: Option<&str>) -> Result<usize> {
    conn.execute("UPDATE import_batches SET reminders_from = ?2 WHERE id = ?1", params![batch, day])?;
    Ok(conn.execute("UPDATE customers SET reminders_from = ?2 WHERE batch_id = ?1", params![batch, day])?)
}
