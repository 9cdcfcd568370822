//! Merging customers into one golden record, undoing merges, and moving a
//! source record to another customer.
//!
//! A merge never deletes anything. The survivor's golden fields are chosen
//! per field by the survivorship rules (or picked by hand); the absorbed
//! customers' rows (phones, e-mails, contacts, interactions, source
//! records) are re-pointed to the survivor, except exact duplicates of rows
//! the survivor already has, which stay with their absorbed customer (hidden
//! while it is absorbed) and are recorded as extra sources of the row kept.
//! The absorbed customers' own fields are left as they were; they get
//! `merged_into`, so their numbers resolve to the survivor. Everything a
//! merge changed is recorded (`merges`, `merge_rows`, `merge_collapsed`) so
//! an unmerge puts it back.

use super::survivorship::{self, ChoiceReason, Member, Rule, SurvivorshipConfig};
use super::Workbench;
use crate::domain::validate;
use crate::domain::{Customer, Field};
use crate::error::{Error, Result};
use crate::store::{self, customers, merges, NewAudit};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::collections::HashMap;

/// Why a merge happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOrigin {
    /// A person merged customers by hand (`crmwb merge`).
    Manual,
    /// A match cluster was approved (its id).
    Cluster(i64),
}

/// The id of a merge (`merges.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MergeId(pub i64);

impl std::fmt::Display for MergeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A customer named in a preview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberRef {
    pub id: i64,
    pub number: String,
    pub name: String,
}

/// One member's value of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub customer: i64,
    pub number: String,
    pub value: Option<String>,
}

/// How one golden field comes out of a merge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChoice {
    #[serde(serialize_with = "field_name")]
    pub field: Field,
    /// The value the golden record gets.
    pub value: Option<String>,
    /// The customer it comes from (id and number); `None` when no member has one.
    pub from: Option<i64>,
    pub from_number: Option<String>,
    /// Why: picked, all agree, no value, a survivorship rule, or following a leading field.
    pub reason: ChoiceReason,
    /// Every member's value, survivor first.
    pub alternatives: Vec<Alternative>,
    /// The survivor's value changes.
    pub changed: bool,
}

/// What happens to the rows hanging off the absorbed customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub phones_moved: usize,
    pub phones_collapsed: usize,
    pub emails_moved: usize,
    pub emails_collapsed: usize,
    pub contacts_moved: usize,
    pub contacts_collapsed: usize,
    pub interactions_moved: usize,
    pub sources_moved: usize,
    pub custom_values_added: usize,
}

/// A merge as it would be done: nothing is written.
#[derive(Debug, Clone, Serialize)]
pub struct MergePreview {
    pub survivor: MemberRef,
    /// How the survivor was chosen.
    pub survivor_rule: String,
    pub absorbed: Vec<MemberRef>,
    pub fields: Vec<FieldChoice>,
    pub rows: RowCounts,
    /// The golden record the survivor becomes.
    #[serde(skip)]
    pub golden: Customer,
}

/// What an unmerge did.
#[derive(Debug, Clone, Serialize)]
pub struct UnmergeOutcome {
    pub merge: MergeId,
    pub survivor: String,
    /// The numbers split back out, each a customer of its own again.
    pub restored: Vec<String>,
    /// The whole merge is undone (else one member was split out and the rest stay merged).
    pub whole: bool,
    /// Fields of the survivor left as they are because they were edited after the merge.
    #[serde(serialize_with = "field_names")]
    pub kept: Vec<Field>,
    /// The match cluster the merge approved, back in the review queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopened_cluster: Option<i64>,
}

/// What a move of a source record took along.
#[derive(Debug, Clone, Serialize)]
pub struct MoveOutcome {
    pub move_id: i64,
    pub source: String,
    pub key: String,
    pub from: String,
    pub to: String,
    pub phones: usize,
    pub emails: usize,
    pub contacts: usize,
    pub interactions: usize,
    /// Phones and e-mails the target already had: not added twice; the
    /// moved copy is archived with the move and comes back if the record moves on.
    pub archived: usize,
}

/// One merge a customer took part in, for its history.
#[derive(Debug, Clone, Serialize)]
pub struct MergeEvent {
    pub merge: MergeId,
    pub at: String,
    pub actor: String,
    /// `survivor` or `absorbed`.
    pub role: &'static str,
    pub survivor: String,
    pub absorbed: Vec<String>,
    pub origin: String,
    /// When this customer's part was undone (the merge undone, or this member split out).
    pub undone_at: Option<String>,
}

fn field_name<S: serde::Serializer>(f: &Field, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(f.name())
}

fn field_names<S: serde::Serializer>(f: &[Field], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(f.iter().map(|f| f.name()))
}

/// What happens to each row of the absorbed customers.
#[derive(Debug, Default)]
struct RowPlan {
    /// (table, row id, from customer, collapsed into this survivor row instead of moving, was primary)
    phones: Vec<(i64, i64, Option<i64>, bool)>,
    emails: Vec<(i64, i64, Option<i64>, bool)>,
    contacts: Vec<ContactPlan>,
    /// (row id, from, contact id before, contact id after)
    interactions: Vec<(i64, i64, Option<i64>, Option<i64>)>,
    /// (row id, from)
    sources: Vec<(i64, i64)>,
    /// (name, value, batch id, from)
    custom: Vec<(String, String, Option<i64>, i64)>,
}

#[derive(Debug)]
struct ContactPlan {
    id: i64,
    from: i64,
    /// Collapsed into this contact of the survivor.
    kept: Option<i64>,
    /// The kept contact's details before this one filled its gaps, and after.
    fill: Option<(serde_json::Value, [Option<String>; 4])>,
}

#[derive(Debug, Clone)]
struct ContactRow {
    id: i64,
    name: String,
    details: [Option<String>; 4],
}

/// Everything a merge decides, before anything is written.
struct Prepared {
    members: Vec<Member>,
    config: SurvivorshipConfig,
    picks: Vec<(Field, usize)>,
    chosen: Vec<survivorship::Chosen>,
    golden: Customer,
    plan: RowPlan,
}

impl Workbench {
    /// The survivorship rules in effect (stored in the database; the
    /// built-in defaults where none is set).
    pub fn survivorship(&self) -> Result<SurvivorshipConfig> {
        load_config(self.store.conn())
    }

    /// Sets the rule of one field, or the default for all fields not set
    /// one by one (`field = None`); `rule = None` goes back to the built-in rule.
    pub fn set_survivorship_rule(&mut self, field: Option<Field>, rule: Option<Rule>) -> Result<()> {
        self.access.check(super::Permission::Merge, None)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let name = field.map(Field::name).unwrap_or("*");
        if field == Some(Field::Number) {
            return Err(Error::Invalid("number is always the survivor's; it has no survivorship rule".into()));
        }
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = load_config(&tx)?.rules.get(name).map(|r| r.as_str());
        merges::set_rule(&tx, name, rule.map(Rule::as_str), &actor, &now)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "survivorship.set",
                entity: "survivorship",
                entity_id: Some(name),
                customer_id: None,
                details: serde_json::json!({ "field": name, "before": before, "rule": rule.map(Rule::as_str) }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sets the source priority list of the `source_priority` rule, highest first.
    pub fn set_source_priority(&mut self, sources: &[String]) -> Result<()> {
        self.access.check(super::Permission::Merge, None)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let sources: Vec<String> = sources.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = sources.iter().find(|s| !seen.insert(s.as_str())) {
            return Err(Error::Invalid(format!("source `{dup}` is listed twice in the priority list")));
        }
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = merges::load_source_priority(&tx)?;
        merges::set_source_priority(&tx, &sources)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "survivorship.source_priority",
                entity: "survivorship",
                entity_id: None,
                customer_id: None,
                details: serde_json::json!({ "before": before, "sources": sources }),
            },
            &now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Shows how `ids` would be merged. The survivor is the oldest customer
    /// (the lowest id: its number was issued first, so it is the one most
    /// likely already quoted elsewhere). `picks` take a field's value from a
    /// given customer.
    pub fn preview_merge(&self, ids: &[i64], picks: &[(Field, i64)]) -> Result<MergePreview> {
        let survivor =
            *ids.iter().min().ok_or_else(|| Error::Invalid("a merge needs at least two customers".into()))?;
        let absorbed: Vec<i64> = ids.iter().copied().filter(|i| *i != survivor).collect();
        let mut p = self.preview_merge_into(survivor, &absorbed, picks)?;
        p.survivor_rule = super::survivorship::SURVIVOR_OLDEST.into();
        Ok(p)
    }

    /// Shows how `absorbed` would be merged into `survivor`.
    /// A dry run of a merge the user may not make is refused like the merge:
    /// it would show every member's values side by side.
    pub fn preview_merge_into(&self, survivor: i64, absorbed: &[i64], picks: &[(Field, i64)]) -> Result<MergePreview> {
        self.access.check(super::Permission::Merge, None)?;
        let conn = self.store.conn();
        let prep = prepare(conn, survivor, absorbed, picks)?;
        let mut preview = to_preview(conn, &prep, super::survivorship::SURVIVOR_CHOSEN)?;
        self.mask_preview(&prep, &mut preview);
        Ok(preview)
    }

    /// A preview is a read path: a user who may merge but not see some
    /// members' sensitive values sees them masked, each by its member's owner.
    fn mask_preview(&self, prep: &Prepared, p: &mut MergePreview) {
        let owner_of =
            |id: i64| prep.members.iter().find(|m| m.customer.id == id).and_then(|m| m.customer.owner.as_deref());
        let golden_owner = prep.golden.owner.as_deref();
        let access = &self.access;
        for m in std::iter::once(&mut p.survivor).chain(p.absorbed.iter_mut()) {
            m.name = access.value(owner_of(m.id), Field::Name, &m.name).into_owned();
        }
        for f in &mut p.fields {
            for a in &mut f.alternatives {
                if let Some(v) = a.value.as_mut() {
                    *v = access.value(owner_of(a.customer), f.field, v).into_owned();
                }
            }
            // The chosen value belongs to its member now and to the survivor after:
            // hidden if either is hidden from this user.
            let from = f.from.and_then(owner_of);
            let owner = if access.masks(from) { from } else { golden_owner };
            if let Some(v) = f.value.as_mut() {
                *v = access.value(owner, f.field, v).into_owned();
            }
        }
        access.mask_customer(&mut p.golden);
    }

    /// Merges `absorbed` into `survivor` in one transaction: the golden
    /// record by survivorship and `picks`, every row kept and re-pointed
    /// (identical phones, e-mails and contacts collapsed to one), absorbed
    /// numbers resolving to the survivor, audit entries with every field
    /// choice. All customers must be live (not absorbed already).
    pub fn merge_customers(
        &mut self,
        survivor: i64,
        absorbed: &[i64],
        picks: &[(Field, i64)],
        origin: MergeOrigin,
    ) -> Result<MergeId> {
        self.access.check(super::Permission::Merge, None)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = merge_in(&tx, survivor, absorbed, picks, origin, &actor, &now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Undoes a merge, by customer number. An absorbed number splits that
    /// customer back out of the merge that absorbed it (the others stay
    /// merged, and the golden fields that came from it are chosen again
    /// among the rest); a survivor's number undoes its latest merge whole.
    /// Golden fields edited after the merge keep their edited value; rows
    /// added to the survivor after the merge stay with it. Refused, naming
    /// it, when a later merge or move built on this one: undo that first.
    pub fn unmerge(&mut self, number: &str) -> Result<UnmergeOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = merges::id_by_number(&tx, number)?;
        let out = unmerge_in(&tx, id, &actor, &now)?;
        tx.commit()?;
        Ok(out)
    }

    /// Moves one source record (`source`, `key`) to customer `to`, with
    /// what it brought: its link, and the phones, e-mails, contacts and
    /// interactions whose source is this record. Golden fields and custom
    /// values of neither customer change (they cannot be told apart by
    /// source; edit them by hand). A phone or e-mail `to` already has is not
    /// added twice. Moving it back returns all of it.
    pub fn move_source(&mut self, source: &str, key: &str, to: i64) -> Result<MoveOutcome> {
        self.access.check(super::Permission::Merge, None)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = move_in(&tx, source.trim(), key.trim(), to, &actor, &now)?;
        tx.commit()?;
        Ok(out)
    }

    /// The id of the customer with this number, not following merges (an
    /// absorbed number gives the absorbed customer).
    pub fn customer_id(&self, number: &str) -> Result<i64> {
        merges::id_by_number(self.store.conn(), number)
    }

    /// The merges a customer took part in, newest first.
    pub fn merge_history(&self, id: i64) -> Result<Vec<MergeEvent>> {
        history(self.store.conn(), id)
    }
}

fn load_config(conn: &Connection) -> Result<SurvivorshipConfig> {
    let mut rules = HashMap::new();
    for (field, rule) in merges::load_rules(conn)? {
        if let Some(r) = Rule::parse(&rule) {
            rules.insert(field, r);
        }
    }
    Ok(SurvivorshipConfig { rules, source_priority: merges::load_source_priority(conn)? })
}

fn live(conn: &Connection, id: i64) -> Result<Customer> {
    let c = customers::get_customer(conn, id)?.ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
    if let Some(into) = c.merged_into {
        let s = merges::number_of(conn, merges::live_survivor(conn, into)?)?;
        return Err(Error::Refused(format!("{} is already merged into {s}; merge {s} instead", c.number)));
    }
    Ok(c)
}

fn member(conn: &Connection, c: Customer) -> Result<Member> {
    let sources = merges::sources_of(conn, c.id)?;
    Ok(Member { updated_at: c.updated_at.clone(), customer: c, sources })
}

fn prepare(conn: &Connection, survivor: i64, absorbed: &[i64], picks: &[(Field, i64)]) -> Result<Prepared> {
    if absorbed.is_empty() {
        return Err(Error::Invalid("a merge needs at least two customers".into()));
    }
    let mut ids = vec![survivor];
    for a in absorbed {
        if ids.contains(a) {
            let n = merges::number_of(conn, *a)?;
            return Err(Error::Invalid(format!("{n} is named twice in the merge")));
        }
        ids.push(*a);
    }
    let mut members = Vec::with_capacity(ids.len());
    for id in &ids {
        members.push(member(conn, live(conn, *id)?)?);
    }
    let mut idx_picks = Vec::new();
    for (f, cid) in picks {
        if *f == Field::Number {
            return Err(Error::Invalid("number cannot be picked: the survivor keeps its own number".into()));
        }
        let Some(i) = ids.iter().position(|x| x == cid) else {
            let n = merges::number_of(conn, *cid).unwrap_or_else(|_| format!("customer {cid}"));
            return Err(Error::Invalid(format!("--pick {f}={n}: {n} is not one of the customers being merged")));
        };
        idx_picks.push((*f, i));
    }
    let config = load_config(conn)?;
    let has_detail = phones_or_emails(conn, &ids)?;
    let (chosen, golden) = golden_of(&members, &config, &idx_picks, has_detail);
    let plan = plan_rows(conn, survivor, absorbed)?;
    Ok(Prepared { members, config, picks: idx_picks, chosen, golden, plan })
}

fn phones_or_emails(conn: &Connection, ids: &[i64]) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM customer_phones WHERE customer_id = ?1)
             OR EXISTS(SELECT 1 FROM customer_emails WHERE customer_id = ?1)",
    )?;
    for id in ids {
        if stmt.query_row([id], |r| r.get::<_, bool>(0))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The golden record: the survivor with every chosen value, name parts
/// from the member the name came from, the 待完善 flag recomputed.
fn golden_of(
    members: &[Member],
    config: &SurvivorshipConfig,
    picks: &[(Field, usize)],
    has_detail: bool,
) -> (Vec<survivorship::Chosen>, Customer) {
    let chosen = survivorship::choose(members, config, picks);
    let mut g = members[0].customer.clone();
    for ch in &chosen {
        match ch.field {
            Field::Number => {}
            Field::Name => g.name = ch.value.clone().unwrap_or_default(),
            Field::Kind => {
                g.kind = ch.value.as_deref().and_then(crate::domain::CustomerKind::parse).unwrap_or_default()
            }
            f => *g.slot_mut(f).expect("text field") = ch.value.clone(),
        }
    }
    let name_from = chosen.iter().find(|c| c.field == Field::Name).and_then(|c| c.from);
    match name_from.map(|i| &members[i].customer) {
        Some(m) if m.kind == g.kind => g.name_parts = m.name_parts.clone(),
        _ => validate::derive_name(&mut g, &mut Vec::new()),
    }
    let detail = has_detail || g.mobile.is_some() || g.landline.is_some() || g.email.is_some();
    validate::check_record(&mut g, detail);
    (chosen, g)
}

fn contact_rows(conn: &Connection, customer: i64) -> Result<Vec<ContactRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, title, mobile, landline, email FROM contacts WHERE customer_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([customer], |r| {
        Ok(ContactRow { id: r.get(0)?, name: r.get(1)?, details: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?] })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Same name and no detail that contradicts: the same person.
fn same_contact(a: &ContactRow, b: &ContactRow) -> bool {
    a.name.trim() == b.name.trim() && a.details.iter().zip(&b.details).all(|(x, y)| blank(x) || blank(y) || x == y)
}

/// Decides, reading only, what happens to every row of the absorbed customers.
fn plan_rows(conn: &Connection, survivor: i64, absorbed: &[i64]) -> Result<RowPlan> {
    let mut plan = RowPlan::default();
    let mut phones: HashMap<String, i64> = HashMap::new();
    let mut emails: HashMap<String, i64> = HashMap::new();
    let list = |sql: &str, id: i64| -> Result<Vec<(i64, String, bool)>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    const PHONES: &str = "SELECT id, number, is_primary FROM customer_phones WHERE customer_id = ?1 ORDER BY id";
    const EMAILS: &str = "SELECT id, email, is_primary FROM customer_emails WHERE customer_id = ?1 ORDER BY id";
    for (id, number, _) in list(PHONES, survivor)? {
        phones.entry(number).or_insert(id);
    }
    for (id, email, _) in list(EMAILS, survivor)? {
        emails.entry(email).or_insert(id);
    }
    let mut contacts = contact_rows(conn, survivor)?;
    let mut custom: std::collections::HashSet<String> = {
        let mut stmt = conn.prepare_cached("SELECT name FROM custom_values WHERE customer_id = ?1")?;
        let rows = stmt.query_map([survivor], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut filled: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for &b in absorbed {
        for (id, number, primary) in list(PHONES, b)? {
            let kept = phones.get(&number).copied();
            if kept.is_none() {
                phones.insert(number, id);
            }
            plan.phones.push((id, b, kept, primary));
        }
        for (id, email, primary) in list(EMAILS, b)? {
            let kept = emails.get(&email).copied();
            if kept.is_none() {
                emails.insert(email, id);
            }
            plan.emails.push((id, b, kept, primary));
        }
        let mut contact_map: HashMap<i64, i64> = HashMap::new();
        for k in contact_rows(conn, b)? {
            match contacts.iter_mut().find(|s| same_contact(s, &k)) {
                Some(s) => {
                    contact_map.insert(k.id, s.id);
                    let gaps = s.details.iter().zip(&k.details).any(|(x, y)| blank(x) && !blank(y));
                    let fill = if gaps && filled.insert(s.id) {
                        let before = serde_json::json!(s.details);
                        for (x, y) in s.details.iter_mut().zip(&k.details) {
                            if blank(x) && !blank(y) {
                                *x = y.clone();
                            }
                        }
                        Some((before, s.details.clone()))
                    } else {
                        None
                    };
                    plan.contacts.push(ContactPlan { id: k.id, from: b, kept: Some(s.id), fill });
                }
                None => {
                    plan.contacts.push(ContactPlan { id: k.id, from: b, kept: None, fill: None });
                    contacts.push(k);
                }
            }
        }
        let mut stmt =
            conn.prepare_cached("SELECT id, contact_id FROM interactions WHERE customer_id = ?1 ORDER BY id")?;
        for r in stmt.query_map([b], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))? {
            let (id, contact) = r?;
            let after = contact.map(|c| contact_map.get(&c).copied().unwrap_or(c));
            plan.interactions.push((id, b, contact, after));
        }
        let mut stmt = conn.prepare_cached("SELECT id FROM source_records WHERE customer_id = ?1 ORDER BY id")?;
        for r in stmt.query_map([b], |r| r.get::<_, i64>(0))? {
            plan.sources.push((r?, b));
        }
        let mut stmt = conn
            .prepare_cached("SELECT name, value, batch_id FROM custom_values WHERE customer_id = ?1 ORDER BY name")?;
        for r in stmt.query_map([b], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))? {
            let (name, value, batch) = r?;
            if custom.insert(name.clone()) {
                plan.custom.push((name, value, batch, b));
            }
        }
    }
    Ok(plan)
}

fn counts(plan: &RowPlan) -> RowCounts {
    let split = |v: &[(i64, i64, Option<i64>, bool)]| {
        let collapsed = v.iter().filter(|r| r.2.is_some()).count();
        (v.len() - collapsed, collapsed)
    };
    let (phones_moved, phones_collapsed) = split(&plan.phones);
    let (emails_moved, emails_collapsed) = split(&plan.emails);
    let contacts_collapsed = plan.contacts.iter().filter(|c| c.kept.is_some()).count();
    RowCounts {
        phones_moved,
        phones_collapsed,
        emails_moved,
        emails_collapsed,
        contacts_moved: plan.contacts.len() - contacts_collapsed,
        contacts_collapsed,
        interactions_moved: plan.interactions.len(),
        sources_moved: plan.sources.len(),
        custom_values_added: plan.custom.len(),
    }
}

fn member_ref(c: &Customer) -> MemberRef {
    MemberRef { id: c.id, number: c.number.clone(), name: c.name.clone() }
}

fn to_preview(_conn: &Connection, p: &Prepared, survivor_rule: &str) -> Result<MergePreview> {
    let survivor = &p.members[0].customer;
    let fields = p
        .chosen
        .iter()
        .map(|ch| {
            let from = ch.from.map(|i| &p.members[i].customer);
            FieldChoice {
                field: ch.field,
                value: ch.value.clone(),
                from: from.map(|c| c.id),
                from_number: from.map(|c| c.number.clone()),
                reason: ch.reason.clone(),
                alternatives: p
                    .members
                    .iter()
                    .map(|m| Alternative {
                        customer: m.customer.id,
                        number: m.customer.number.clone(),
                        value: m.customer.get(ch.field).map(str::to_string),
                    })
                    .collect(),
                changed: survivor.get(ch.field) != ch.value.as_deref(),
            }
        })
        .collect();
    Ok(MergePreview {
        survivor: member_ref(survivor),
        survivor_rule: survivor_rule.to_string(),
        absorbed: p.members[1..].iter().map(|m| member_ref(&m.customer)).collect(),
        fields,
        rows: counts(&p.plan),
        golden: p.golden.clone(),
    })
}

fn choices_json(p: &Prepared) -> serde_json::Value {
    serde_json::Value::Array(
        p.chosen
            .iter()
            .map(|ch| {
                serde_json::json!({
                    "field": ch.field.name(),
                    "value": ch.value,
                    "from": ch.from.map(|i| p.members[i].customer.number.clone()),
                    "reason": ch.reason.to_string(),
                })
            })
            .collect(),
    )
}

/// What recorded a row change: a merge or a move.
#[derive(Clone, Copy)]
enum By {
    Merge(i64),
    Move(i64),
}

fn record_row(
    conn: &Connection,
    by: By,
    tbl: &str,
    row: Option<i64>,
    name: Option<&str>,
    from: i64,
    before: &serde_json::Value,
) -> Result<()> {
    let (merge, mv) = match by {
        By::Merge(m) => (Some(m), None),
        By::Move(m) => (None, Some(m)),
    };
    conn.prepare_cached(
        "INSERT INTO merge_rows (merge_id, move_id, tbl, row_id, name, from_customer, before) VALUES (?1,?2,?3,?4,?5,?6,?7)",
    )?
    .execute(params![merge, mv, tbl, row, name, from, before.to_string()])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn merge_in(
    tx: &Connection,
    survivor: i64,
    absorbed: &[i64],
    picks: &[(Field, i64)],
    origin: MergeOrigin,
    actor: &str,
    now: &str,
) -> Result<MergeId> {
    for &id in std::iter::once(&survivor).chain(absorbed) {
        super::import::refuse_if_undoing(tx, id)?;
    }
    let p = prepare(tx, survivor, absorbed, picks)?;
    let s = &p.members[0].customer;
    let (origin_name, cluster) = match origin {
        MergeOrigin::Manual => ("manual", None),
        MergeOrigin::Cluster(c) => ("cluster", Some(c)),
    };
    let config = serde_json::json!({
        "rules": p.config,
        "picks": p.picks.iter().map(|(f, i)| serde_json::json!([f.name(), p.members[*i].customer.id])).collect::<Vec<_>>(),
        "members": p.members.iter().map(|m| serde_json::json!({
            "id": m.customer.id, "updated_at": m.updated_at, "sources": m.sources })).collect::<Vec<_>>(),
    });
    tx.prepare_cached(
        "INSERT INTO merges (survivor_id, origin, cluster_id, actor, at, before, after, choices, config)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    )?
    .execute(params![
        survivor,
        origin_name,
        cluster,
        actor,
        now,
        merges::golden_json(s).to_string(),
        merges::golden_json(&p.golden).to_string(),
        choices_json(&p).to_string(),
        config.to_string()
    ])?;
    let m = tx.last_insert_rowid();
    let mut member_stmt =
        tx.prepare_cached("INSERT INTO merge_members (merge_id, customer_id, position) VALUES (?1,?2,?3)")?;
    for (i, b) in absorbed.iter().enumerate() {
        member_stmt.execute(params![m, b, i as i64 + 1])?;
    }
    for (tbl, rows) in [("customer_phones", &p.plan.phones), ("customer_emails", &p.plan.emails)] {
        for &(id, from, kept, primary) in rows {
            match kept {
                Some(k) => {
                    tx.prepare_cached(
                        "INSERT INTO merge_collapsed (merge_id, tbl, kept_id, dup_id) VALUES (?1,?2,?3,?4)",
                    )?
                    .execute(params![m, tbl, k, id])?;
                }
                None => {
                    record_row(
                        tx,
                        By::Merge(m),
                        tbl,
                        Some(id),
                        None,
                        from,
                        &serde_json::json!({ "primary": primary }),
                    )?;
                    tx.prepare_cached(&format!("UPDATE {tbl} SET customer_id = ?2, is_primary = 0 WHERE id = ?1"))?
                        .execute(params![id, survivor])?;
                }
            }
        }
    }
    for c in &p.plan.contacts {
        match c.kept {
            Some(k) => {
                tx.prepare_cached(
                    "INSERT INTO merge_collapsed (merge_id, tbl, kept_id, dup_id) VALUES (?1,'contacts',?2,?3)",
                )?
                .execute(params![m, k, c.id])?;
                if let Some((before, after)) = &c.fill {
                    record_row(tx, By::Merge(m), "contact_fill", Some(k), None, c.from, before)?;
                    tx.prepare_cached(
                        "UPDATE contacts SET title = ?2, mobile = ?3, landline = ?4, email = ?5 WHERE id = ?1",
                    )?
                    .execute(params![k, after[0], after[1], after[2], after[3]])?;
                }
            }
            None => {
                record_row(tx, By::Merge(m), "contacts", Some(c.id), None, c.from, &serde_json::json!({}))?;
                tx.prepare_cached("UPDATE contacts SET customer_id = ?2 WHERE id = ?1")?
                    .execute(params![c.id, survivor])?;
            }
        }
    }
    for &(id, from, before, after) in &p.plan.interactions {
        record_row(
            tx,
            By::Merge(m),
            "interactions",
            Some(id),
            None,
            from,
            &serde_json::json!({ "contact_id": before }),
        )?;
        tx.prepare_cached("UPDATE interactions SET customer_id = ?2, contact_id = ?3 WHERE id = ?1")?
            .execute(params![id, survivor, after])?;
    }
    for &(id, from) in &p.plan.sources {
        record_row(tx, By::Merge(m), "source_records", Some(id), None, from, &serde_json::json!({}))?;
        tx.prepare_cached("UPDATE source_records SET customer_id = ?2 WHERE id = ?1")?
            .execute(params![id, survivor])?;
    }
    for (name, value, batch, from) in &p.plan.custom {
        record_row(tx, By::Merge(m), "custom_values", None, Some(name), *from, &serde_json::json!({ "value": value }))?;
        tx.prepare_cached("INSERT INTO custom_values (customer_id, name, value, batch_id) VALUES (?1,?2,?3,?4)")?
            .execute(params![survivor, name, value, batch])?;
    }
    let mut absorb = tx.prepare_cached("UPDATE customers SET merged_into = ?2 WHERE id = ?1")?;
    for b in absorbed {
        absorb.execute(params![b, survivor])?;
    }
    customers::write_fields(tx, &p.golden, now)?;
    let version = s.version + 1;
    let numbers: Vec<&str> = p.members[1..].iter().map(|m| m.customer.number.as_str()).collect();
    let details = serde_json::json!({
        "merge": m,
        "survivor": s.number,
        "absorbed": numbers,
        "origin": origin_name,
        "cluster": cluster,
        "choices": choices_json(&p),
        "rows": counts(&p.plan),
        "version_before": s.version,
        "version": version,
    });
    store::audit::append(
        tx,
        &NewAudit {
            actor,
            action: "customer.merge",
            entity: "merge",
            entity_id: Some(&m.to_string()),
            customer_id: Some(survivor),
            details,
        },
        now,
    )?;
    for mem in &p.members[1..] {
        store::audit::append(
            tx,
            &NewAudit {
                actor,
                action: "customer.merged_into",
                entity: "merge",
                entity_id: Some(&m.to_string()),
                customer_id: Some(mem.customer.id),
                details: serde_json::json!({ "merge": m, "survivor": s.number, "number": mem.customer.number }),
            },
            now,
        )?;
    }
    Ok(MergeId(m))
}

struct MergeRow {
    id: i64,
    survivor: i64,
    before: serde_json::Value,
    after: serde_json::Value,
    config: serde_json::Value,
}

fn load_merge(conn: &Connection, id: i64) -> Result<MergeRow> {
    let (survivor, before, after, config): (i64, String, String, String) =
        conn.query_row("SELECT survivor_id, before, after, config FROM merges WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok(MergeRow {
        id,
        survivor,
        before: serde_json::from_str(&before)?,
        after: serde_json::from_str(&after)?,
        config: serde_json::from_str(&config)?,
    })
}

/// The members of a merge not split out yet, in merge order.
fn open_members(conn: &Connection, merge: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT customer_id FROM merge_members WHERE merge_id = ?1 AND split_at IS NULL ORDER BY position",
    )?;
    let rows = stmt.query_map([merge], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn unmerge_in(tx: &Connection, id: i64, actor: &str, now: &str) -> Result<UnmergeOutcome> {
    super::import::refuse_if_undoing(tx, id)?;
    let c = customers::get_customer(tx, id)?.ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
    let (merge_id, returning) = if c.merged_into.is_some() {
        let m: i64 = tx
            .prepare_cached(
                "SELECT x.merge_id FROM merge_members x JOIN merges m ON m.id = x.merge_id
                 WHERE x.customer_id = ?1 AND x.split_at IS NULL AND m.undone_at IS NULL ORDER BY x.merge_id DESC LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Other(format!("{} is marked merged but no merge records it", c.number)))?;
        (m, vec![id])
    } else {
        let m: i64 = tx
            .prepare_cached(
                "SELECT id FROM merges WHERE survivor_id = ?1 AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Refused(format!("{} has no merge to undo: nothing was merged into it", c.number)))?;
        (m, open_members(tx, m)?)
    };
    let merge = load_merge(tx, merge_id)?;
    let s = merge.survivor;
    let s_number = merges::number_of(tx, s)?;
    if merge.before.get("erased").is_some() {
        return Err(Error::Refused(format!(
            "merge #{} into {s_number} cannot be undone: a customer in it was erased on request, and with it the \
             merge's record of what it changed (see `crmwb audit --customer {s_number}`)",
            merge.id
        )));
    }
    check_nothing_built_on(tx, &merge, &s_number, &returning)?;
    let mut restored = Vec::new();
    for &b in &returning {
        return_rows(tx, &merge, b)?;
        tx.prepare_cached("UPDATE customers SET merged_into = NULL WHERE id = ?1")?.execute([b])?;
        tx.prepare_cached(
            "UPDATE merge_members SET split_at = ?3, split_by = ?4 WHERE merge_id = ?1 AND customer_id = ?2",
        )?
        .execute(params![merge.id, b, now, actor])?;
        restored.push(merges::number_of(tx, b)?);
    }
    let remaining = open_members(tx, merge.id)?;
    let whole = remaining.is_empty();
    let current = customers::get_customer(tx, s)?.expect("survivor exists");
    let edited: std::collections::HashSet<String> = {
        let mut stmt = tx.prepare_cached("SELECT field FROM merge_edits WHERE merge_id = ?1")?;
        let rows = stmt.query_map([merge.id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    // What the survivor goes back to: its state before the merge, or the
    // golden record of the members that stay.
    let (target, new_choices) = if whole {
        (merges::from_golden_json(&current, &merge.before), None)
    } else {
        let (g, choices) = regolden(tx, &merge, &current, &remaining)?;
        (g, Some(choices))
    };
    let mut next = current.clone();
    let mut new_after = merge.after.clone();
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for f in Field::ALL.iter().copied().filter(|f| *f != Field::Number) {
        let now_v = current.get(f).map(str::to_string);
        if edited.contains(f.name()) || now_v != merges::golden_value(&merge.after, f) {
            if now_v != target.get(f).map(str::to_string) {
                kept.push(f);
            }
            continue;
        }
        let v = target.get(f).map(str::to_string);
        taken.push(f.name());
        new_after["fields"][f.name()] = v.clone().map(Into::into).unwrap_or(serde_json::Value::Null);
        match f {
            Field::Name => next.name = v.unwrap_or_default(),
            Field::Kind => next.kind = v.as_deref().and_then(crate::domain::CustomerKind::parse).unwrap_or_default(),
            _ => *next.slot_mut(f).expect("text field") = v,
        }
    }
    let name_restored = !kept.contains(&Field::Name) && !kept.contains(&Field::Kind);
    if name_restored {
        next.name_parts = target.name_parts.clone();
    } else {
        validate::derive_name(&mut next, &mut Vec::new());
    }
    let after_flags: Vec<String> =
        merge.after["flags"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
    if kept.is_empty() && current.flags == after_flags {
        next.flags = target.flags.clone();
    } else {
        let detail = super::edit::has_phone_or_email(tx, &next)?;
        validate::check_record(&mut next, detail);
    }
    // A number or address typed in after the merge may have been one the
    // merge brought, now gone back with its customer: the survivor keeps it.
    let typed: Vec<super::FieldChange> = kept
        .iter()
        .filter(|f| matches!(f, Field::Mobile | Field::Landline | Field::Email))
        .map(|f| super::FieldChange { field: *f, old: None, new: next.get(*f).map(str::to_string) })
        .collect();
    super::edit::add_contact_rows(tx, &next, &typed)?;
    new_after["parts"] = merges::golden_json(&next)["parts"].clone();
    new_after["flags"] = serde_json::json!(next.flags);
    customers::write_fields(tx, &next, now)?;
    store::imports::forget_merge_changes(tx, s, merge.id, &merges::golden_json(&next), &taken)?;
    if whole {
        tx.prepare_cached("UPDATE merges SET undone_at = ?2, undone_by = ?3 WHERE id = ?1")?
            .execute(params![merge.id, now, actor])?;
    } else {
        tx.prepare_cached("UPDATE merges SET after = ?2, choices = ?3 WHERE id = ?1")?.execute(params![
            merge.id,
            new_after.to_string(),
            new_choices.unwrap_or_default().to_string()
        ])?;
    }
    // Undone whole, an approved cluster is undecided again: back in the queue.
    let reopened_cluster = if whole { super::matching::reopen_after_unmerge(tx, merge.id)? } else { None };
    let out = UnmergeOutcome {
        merge: MergeId(merge.id),
        survivor: s_number.clone(),
        restored,
        whole,
        kept,
        reopened_cluster,
    };
    store::audit::append(
        tx,
        &NewAudit {
            actor,
            action: "customer.unmerge",
            entity: "merge",
            entity_id: Some(&merge.id.to_string()),
            customer_id: Some(s),
            details: serde_json::json!({
                "merge": merge.id,
                "survivor": s_number,
                "restored": out.restored,
                "whole": whole,
                "kept_edited": out.kept.iter().map(|f| f.name()).collect::<Vec<_>>(),
                "reopened_cluster": out.reopened_cluster,
                "version_before": current.version,
                "version": current.version + 1,
            }),
        },
        now,
    )?;
    for (b, number) in returning.iter().zip(&out.restored) {
        store::audit::append(
            tx,
            &NewAudit {
                actor,
                action: "customer.unmerged",
                entity: "merge",
                entity_id: Some(&merge.id.to_string()),
                customer_id: Some(*b),
                details: serde_json::json!({ "merge": merge.id, "survivor": s_number, "number": number }),
            },
            now,
        )?;
    }
    Ok(out)
}

/// The golden record of the survivor (as it was before the merge) and the
/// members that stay, by the rules and picks the merge ran with.
fn regolden(
    conn: &Connection,
    merge: &MergeRow,
    current: &Customer,
    remaining: &[i64],
) -> Result<(Customer, serde_json::Value)> {
    let config: SurvivorshipConfig = serde_json::from_value(merge.config["rules"].clone()).unwrap_or_default();
    let stored = |id: i64| {
        merge.config["members"].as_array().into_iter().flatten().find(|m| m["id"].as_i64() == Some(id)).cloned()
    };
    let sources_of = |id: i64| -> Vec<String> {
        stored(id)
            .map(|m| {
                m["sources"].as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
            })
            .unwrap_or_default()
    };
    let before = merges::from_golden_json(current, &merge.before);
    let mut members =
        vec![Member { updated_at: before.updated_at.clone(), sources: sources_of(before.id), customer: before }];
    for &id in remaining {
        let c =
            customers::get_customer(conn, id)?.ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
        members.push(Member { updated_at: c.updated_at.clone(), sources: sources_of(id), customer: c });
    }
    let ids: Vec<i64> = members.iter().map(|m| m.customer.id).collect();
    let picks: Vec<(Field, usize)> = merge.config["picks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let f = Field::parse(p[0].as_str()?)?;
            let i = ids.iter().position(|x| Some(*x) == p[1].as_i64())?;
            Some((f, i))
        })
        .collect();
    let detail = phones_or_emails(conn, &ids)?;
    let (chosen, golden) = golden_of(&members, &config, &picks, detail);
    let prepared = Prepared { members, config, picks, chosen, golden, plan: RowPlan::default() };
    Ok((prepared.golden.clone(), choices_json(&prepared)))
}

/// Refuses to undo `merge` (for the members `returning`) when a later
/// merge or move built on it.
fn check_nothing_built_on(conn: &Connection, merge: &MergeRow, s_number: &str, returning: &[i64]) -> Result<()> {
    let later: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT m.id, m.at FROM merges m WHERE m.survivor_id = ?1 AND m.id > ?2 AND m.undone_at IS NULL
             UNION ALL
             SELECT m.id, m.at FROM merge_members x JOIN merges m ON m.id = x.merge_id
              WHERE x.customer_id = ?1 AND x.split_at IS NULL AND m.id > ?2 AND m.undone_at IS NULL
             ORDER BY 1 DESC LIMIT 1",
        )?
        .query_row(params![merge.survivor, merge.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((later, at)) = later {
        let (ls, members) = merge_numbers(conn, later)?;
        return Err(Error::Refused(format!(
            "merge #{} cannot be undone yet: {s_number} took part in a later merge, #{later} ({} absorbed {} at {at}); \
             undo that first with `crmwb unmerge {ls}`",
            merge.id,
            ls,
            members.join(", ")
        )));
    }
    let mut rows = conn.prepare_cached(
        "SELECT tbl, row_id FROM merge_rows WHERE merge_id = ?1 AND from_customer = ?2
           AND tbl IN ('customer_phones','customer_emails','contacts','interactions','source_records')",
    )?;
    for &b in returning {
        let recorded: Vec<(String, i64)> =
            rows.query_map(params![merge.id, b], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        for (tbl, row) in recorded {
            let holder: Option<i64> = conn
                .prepare_cached(&format!("SELECT customer_id FROM {tbl} WHERE id = ?1"))?
                .query_row([row], |r| r.get(0))
                .optional()?;
            if let Some(h) = holder.filter(|h| *h != merge.survivor) {
                let why = conn
                    .prepare_cached(
                        "SELECT r.source, r.source_key, mv.id FROM merge_rows x JOIN source_moves mv ON mv.id = x.move_id
                           JOIN source_records r ON r.id = mv.source_record_id
                         WHERE x.tbl = ?1 AND x.row_id = ?2 ORDER BY mv.id DESC LIMIT 1",
                    )?
                    .query_row(params![tbl, row], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
                    })
                    .optional()?;
                let to = merges::number_of(conn, h)?;
                return Err(Error::Refused(match why {
                    Some((source, key, mv)) => format!(
                        "merge #{} cannot be undone yet: source record {source}/{key} it brought to {s_number} was moved \
                         to {to} since (move #{mv}); move it back first with `crmwb move {source} {key} --to {s_number}`",
                        merge.id
                    ),
                    None => format!(
                        "merge #{} cannot be undone yet: a row it brought to {s_number} now belongs to {to}",
                        merge.id
                    ),
                }));
            }
        }
    }
    Ok(())
}

/// The survivor's number and the absorbed numbers of a merge.
fn merge_numbers(conn: &Connection, merge: i64) -> Result<(String, Vec<String>)> {
    let s: String = conn.query_row(
        "SELECT c.number FROM merges m JOIN customers c ON c.id = m.survivor_id WHERE m.id = ?1",
        [merge],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT c.number FROM merge_members x JOIN customers c ON c.id = x.customer_id WHERE x.merge_id = ?1 ORDER BY x.position",
    )?;
    let rows = stmt.query_map([merge], |r| r.get(0))?;
    Ok((s, rows.collect::<rusqlite::Result<_>>()?))
}

/// Puts back every row `merge` took from `b`, and rows that reached the
/// survivor later through one of `b`'s source records (a re-import).
fn return_rows(conn: &Connection, merge: &MergeRow, b: i64) -> Result<()> {
    let s = merge.survivor;
    let recorded: Vec<(String, Option<i64>, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT tbl, row_id, name, before FROM merge_rows WHERE merge_id = ?1 AND from_customer = ?2 ORDER BY id DESC",
        )?
        .query_map(params![merge.id, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut sources = Vec::new();
    for (tbl, row, name, before) in recorded {
        let before: serde_json::Value = serde_json::from_str(&before).unwrap_or_default();
        match tbl.as_str() {
            "customer_phones" | "customer_emails" => {
                conn.prepare_cached(&format!(
                    "UPDATE {tbl} SET customer_id = ?2, is_primary = ?3 WHERE id = ?1 AND customer_id = ?4"
                ))?
                .execute(params![row, b, before["primary"].as_bool().unwrap_or(false), s])?;
            }
            "contacts" => {
                conn.prepare_cached("UPDATE contacts SET customer_id = ?2 WHERE id = ?1 AND customer_id = ?3")?
                    .execute(params![row, b, s])?;
            }
            "interactions" => {
                conn.prepare_cached(
                    "UPDATE interactions SET customer_id = ?2, contact_id = ?3 WHERE id = ?1 AND customer_id = ?4",
                )?
                .execute(params![row, b, before["contact_id"].as_i64(), s])?;
            }
            "source_records" => {
                conn.prepare_cached("UPDATE source_records SET customer_id = ?2 WHERE id = ?1 AND customer_id = ?3")?
                    .execute(params![row, b, s])?;
                sources.extend(row);
            }
            "contact_fill" => {
                let d = |i: usize| before[i].as_str().map(str::to_string);
                conn.prepare_cached(
                    "UPDATE contacts SET title = ?2, mobile = ?3, landline = ?4, email = ?5 WHERE id = ?1",
                )?
                .execute(params![row, d(0), d(1), d(2), d(3)])?;
            }
            // A copy a batch replaced with the survivor's own value since
            // is the survivor's: it stays.
            "custom_values" if before.get("own").is_some() => {}
            "custom_values" => {
                // Only if still the copied value: a value edited since stays.
                conn.prepare_cached("DELETE FROM custom_values WHERE customer_id = ?1 AND name = ?2 AND value = ?3")?
                    .execute(params![s, name, before["value"].as_str()])?;
            }
            _ => {}
        }
    }
    for src in sources {
        for tbl in ["customer_phones", "customer_emails", "contacts", "interactions"] {
            conn.prepare_cached(&format!(
                "UPDATE {tbl} SET customer_id = ?2 WHERE customer_id = ?3 AND source_record_id = ?1"
            ))?
            .execute(params![src, b, s])?;
        }
    }
    for tbl in ["customer_phones", "customer_emails", "contacts"] {
        conn.prepare_cached(&format!(
            "DELETE FROM merge_collapsed WHERE merge_id = ?1 AND tbl = '{tbl}'
               AND dup_id IN (SELECT id FROM {tbl} WHERE customer_id = ?2)"
        ))?
        .execute(params![merge.id, b])?;
    }
    Ok(())
}

fn move_in(tx: &Connection, source: &str, key: &str, to: i64, actor: &str, now: &str) -> Result<MoveOutcome> {
    super::import::refuse_if_undoing(tx, to)?;
    let (rec, from): (i64, Option<i64>) = tx
        .prepare_cached("SELECT id, customer_id FROM source_records WHERE source = ?1 AND source_key = ?2")?
        .query_row([source, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no source record `{key}` in source `{source}`")))?;
    let from = from.ok_or_else(|| {
        Error::Refused(format!("source record {source}/{key} was rejected at import: it belongs to no customer"))
    })?;
    let from_c = customers::get_customer(tx, from)?.ok_or_else(|| Error::NotFound(format!("no customer {from}")))?;
    if let Some(into) = from_c.merged_into {
        let s = merges::number_of(tx, merges::live_survivor(tx, into)?)?;
        return Err(Error::Refused(format!(
            "source record {source}/{key} belongs to {}, which is merged into {s}; unmerge {} first",
            from_c.number, from_c.number
        )));
    }
    let to_c = live(tx, to)?;
    if to == from {
        return Err(Error::Refused(format!("source record {source}/{key} already belongs to {}", to_c.number)));
    }
    tx.prepare_cached(
        "INSERT INTO source_moves (source_record_id, from_customer, to_customer, actor, at) VALUES (?1,?2,?3,?4,?5)",
    )?
    .execute(params![rec, from, to, actor, now])?;
    let mv = tx.last_insert_rowid();
    let mut out = MoveOutcome {
        move_id: mv,
        source: source.to_string(),
        key: key.to_string(),
        from: from_c.number.clone(),
        to: to_c.number.clone(),
        phones: 0,
        emails: 0,
        contacts: 0,
        interactions: 0,
        archived: 0,
    };
    // Copies archived by earlier moves of this record come back where the
    // target lacks them.
    let archived: Vec<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT x.id, x.tbl, x.before FROM merge_rows x JOIN source_moves m ON m.id = x.move_id
             WHERE m.source_record_id = ?1 AND json_extract(x.before, '$.archived') IS NOT NULL
               AND json_extract(x.before, '$.restored') IS NULL ORDER BY x.id",
        )?
        .query_map([rec], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (tbl, col) in [("customer_phones", "number"), ("customer_emails", "email")] {
        let rows: Vec<(i64, String, bool)> = tx
            .prepare_cached(&format!(
                "SELECT id, {col}, is_primary FROM {tbl} WHERE customer_id = ?1 AND source_record_id = ?2 ORDER BY id"
            ))?
            .query_map(params![from, rec], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // A survivor's rows wait for their own customers: a row of another
        // record with the same value may go back to another customer with
        // an unmerge, so the moved row is not archived against it.
        let to_merged = store::merges::survives_open_merge(tx, to)?;
        for (id, value, primary) in rows {
            let kept: Option<i64> = tx
                .prepare_cached(&format!(
                    "SELECT id FROM {tbl} WHERE customer_id = ?1 AND {col} = ?2 AND (NOT ?3 OR source_record_id = ?4) LIMIT 1"
                ))?
                .query_row(params![to, value, to_merged, rec], |r| r.get(0))
                .optional()?;
            match kept {
                Some(k) => {
                    let row = archive_row(tx, tbl, id)?;
                    record_row(
                        tx,
                        By::Move(mv),
                        tbl,
                        Some(id),
                        None,
                        from,
                        &serde_json::json!({ "archived": row, "kept": k }),
                    )?;
                    tx.prepare_cached(&format!("DELETE FROM {tbl} WHERE id = ?1"))?.execute([id])?;
                    out.archived += 1;
                }
                None => {
                    record_row(
                        tx,
                        By::Move(mv),
                        tbl,
                        Some(id),
                        None,
                        from,
                        &serde_json::json!({ "primary": primary }),
                    )?;
                    // Back home it is primary again if it was; elsewhere it is an extra number.
                    let home = moved_from(tx, tbl, id, to)?;
                    let primary = home.is_some_and(|b| b["primary"].as_bool() == Some(true));
                    tx.prepare_cached(&format!("UPDATE {tbl} SET customer_id = ?2, is_primary = ?3 WHERE id = ?1"))?
                        .execute(params![id, to, primary])?;
                    if tbl == "customer_phones" {
                        out.phones += 1;
                    } else {
                        out.emails += 1;
                    }
                }
            }
        }
        for (x, t, before) in archived.iter().filter(|a| a.1 == tbl) {
            let before: serde_json::Value = serde_json::from_str(before).unwrap_or_default();
            let row = &before["archived"];
            let value = row[col].as_str().unwrap_or_default();
            if merges::customer_has(tx, t, col, value, to)? {
                continue;
            }
            // Back on the customer it was archived from, as it was there, under
            // its old id when free, so records of earlier merges still find it.
            let primary = from_of(tx, *x)? == to && row["is_primary"].as_bool() == Some(true);
            let old_id = row["id"].as_i64();
            let free: bool = tx
                .prepare_cached(&format!("SELECT NOT EXISTS(SELECT 1 FROM {tbl} WHERE id = ?1)"))?
                .query_row([old_id], |r| r.get(0))?;
            let id = old_id.filter(|_| free);
            if tbl == "customer_phones" {
                tx.prepare_cached(
                    "INSERT INTO customer_phones (id, customer_id, kind, number, is_primary, batch_id, source_record_id) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                )?
                .execute(params![id, to, row["kind"].as_str(), value, primary, row["batch_id"].as_i64(), rec])?;
                out.phones += 1;
            } else {
                tx.prepare_cached(
                    "INSERT INTO customer_emails (id, customer_id, email, is_primary, batch_id, source_record_id) VALUES (?1,?2,?3,?4,?5,?6)",
                )?
                .execute(params![id, to, value, primary, row["batch_id"].as_i64(), rec])?;
                out.emails += 1;
            }
            let new_id = tx.last_insert_rowid();
            tx.prepare_cached("UPDATE merge_rows SET before = json_set(before, '$.restored', ?2) WHERE id = ?1")?
                .execute(params![x, new_id])?;
        }
    }
    let moved_contacts: Vec<i64> = tx
        .prepare_cached("SELECT id FROM contacts WHERE customer_id = ?1 AND source_record_id = ?2 ORDER BY id")?
        .query_map(params![from, rec], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &moved_contacts {
        record_row(tx, By::Move(mv), "contacts", Some(*id), None, from, &serde_json::json!({}))?;
        tx.prepare_cached("UPDATE contacts SET customer_id = ?2 WHERE id = ?1")?.execute(params![id, to])?;
        out.contacts += 1;
    }
    let interactions: Vec<(i64, Option<i64>)> = tx
        .prepare_cached(
            "SELECT id, contact_id FROM interactions WHERE customer_id = ?1 AND source_record_id = ?2 ORDER BY id",
        )?
        .query_map(params![from, rec], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, contact) in interactions {
        // A contact that stays behind is not the new customer's contact;
        // back home, the interaction gets the contact it had there.
        let home = moved_from(tx, "interactions", id, to)?.and_then(|b| b["contact_id"].as_i64());
        let after = contact.filter(|c| moved_contacts.contains(c)).or(home.filter(|c| owned_by(tx, *c, to)));
        record_row(
            tx,
            By::Move(mv),
            "interactions",
            Some(id),
            None,
            from,
            &serde_json::json!({ "contact_id": contact }),
        )?;
        tx.prepare_cached("UPDATE interactions SET customer_id = ?2, contact_id = ?3 WHERE id = ?1")?
            .execute(params![id, to, after])?;
        out.interactions += 1;
    }
    record_row(tx, By::Move(mv), "source_records", Some(rec), None, from, &serde_json::json!({}))?;
    tx.prepare_cached("UPDATE source_records SET customer_id = ?2 WHERE id = ?1")?.execute(params![rec, to])?;
    for (cid, other, dir) in [(from, &to_c.number, "out"), (to, &from_c.number, "in")] {
        store::audit::append(
            tx,
            &NewAudit {
                actor,
                action: "source.move",
                entity: "source_record",
                entity_id: Some(&format!("{source}/{key}")),
                customer_id: Some(cid),
                details: serde_json::json!({
                    "move": mv, "source": source, "key": key, "direction": dir,
                    "from": out.from, "to": out.to, "other": other,
                    "phones": out.phones, "emails": out.emails, "contacts": out.contacts,
                    "interactions": out.interactions, "archived": out.archived,
                }),
            },
            now,
        )?;
    }
    Ok(out)
}

fn from_of(conn: &Connection, merge_row: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT from_customer FROM merge_rows WHERE id = ?1")?
        .query_row([merge_row], |r| r.get(0))?)
}

/// What a row was like when a move last took it away from `customer`.
fn moved_from(conn: &Connection, tbl: &str, row: i64, customer: i64) -> Result<Option<serde_json::Value>> {
    let before: Option<String> = conn
        .prepare_cached(
            "SELECT before FROM merge_rows WHERE tbl = ?1 AND row_id = ?2 AND from_customer = ?3 AND move_id IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![tbl, row, customer], |r| r.get(0))
        .optional()?;
    Ok(before.and_then(|b| serde_json::from_str(&b).ok()))
}

fn owned_by(conn: &Connection, contact: i64, customer: i64) -> bool {
    conn.prepare_cached("SELECT customer_id FROM contacts WHERE id = ?1")
        .and_then(|mut s| s.query_row([contact], |r| r.get::<_, i64>(0)).optional())
        .ok()
        .flatten()
        == Some(customer)
}

/// A phone or e-mail row as JSON, to archive it.
fn archive_row(conn: &Connection, tbl: &str, id: i64) -> Result<serde_json::Value> {
    Ok(if tbl == "customer_phones" {
        conn.query_row(
            "SELECT kind, number, is_primary, batch_id, source_record_id FROM customer_phones WHERE id = ?1",
            [id],
            |r| {
                Ok(serde_json::json!({ "id": id, "kind": r.get::<_, String>(0)?, "number": r.get::<_, String>(1)?,
                    "is_primary": r.get::<_, bool>(2)?, "batch_id": r.get::<_, Option<i64>>(3)?,
                    "source_record_id": r.get::<_, Option<i64>>(4)? }))
            },
        )?
    } else {
        conn.query_row(
            "SELECT email, is_primary, batch_id, source_record_id FROM customer_emails WHERE id = ?1",
            [id],
            |r| {
                Ok(serde_json::json!({ "id": id, "email": r.get::<_, String>(0)?, "is_primary": r.get::<_, bool>(1)?,
                    "batch_id": r.get::<_, Option<i64>>(2)?, "source_record_id": r.get::<_, Option<i64>>(3)? }))
            },
        )?
    })
}

fn history(conn: &Connection, id: i64) -> Result<Vec<MergeEvent>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.at, m.actor, m.origin, m.cluster_id, m.undone_at, NULL, 'survivor' FROM merges m WHERE m.survivor_id = ?1
         UNION ALL
         SELECT m.id, m.at, m.actor, m.origin, m.cluster_id, m.undone_at, x.split_at, 'absorbed'
           FROM merge_members x JOIN merges m ON m.id = x.merge_id WHERE x.customer_id = ?1
         ORDER BY 1 DESC",
    )?;
    type Row = (i64, String, String, String, Option<i64>, Option<String>, Option<String>, String);
    let rows: Vec<Row> = stmt
        .query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (m, at, actor, origin, cluster, undone, split, role) in rows {
        let (survivor, absorbed) = merge_numbers(conn, m)?;
        out.push(MergeEvent {
            merge: MergeId(m),
            at,
            actor,
            role: if role == "survivor" { "survivor" } else { "absorbed" },
            survivor,
            absorbed,
            origin: match cluster {
                Some(c) => format!("{origin} {c}"),
                None => origin,
            },
            undone_at: undone.or(split),
        });
    }
    Ok(out)
}
