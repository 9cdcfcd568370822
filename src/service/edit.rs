//! Editing a customer's golden fields by hand: validated by the shared
//! rules, guarded by the record's version, audited with old and new values.

use super::Workbench;
use crate::domain::validate::{self, Issue, Severity};
use crate::domain::{Customer, CustomerKind, Field, PhoneKind};
use crate::error::{Error, Result};
use crate::store::{self, customers, merges, NewAudit};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;

/// One field an edit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    #[serde(serialize_with = "field_name")]
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What an edit did.
#[derive(Debug, Clone, Serialize)]
pub struct EditOutcome {
    /// The customer as stored after the edit.
    #[serde(skip)]
    pub customer: Customer,
    /// The fields whose value changed (a value set to what it already was is not listed).
    pub changes: Vec<FieldChange>,
    /// Warnings of the record rules (e.g. `date.order`): the edit was saved, but the user should know.
    pub warnings: Vec<Issue>,
    /// The new version (unchanged when nothing changed).
    pub version: i64,
}

fn field_name<S: serde::Serializer>(f: &Field, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(f.name())
}

impl Workbench {
    /// Sets golden fields of customer `id` by hand. `None` (or an empty
    /// string) clears a field. Each value goes through the same rules as an
    /// import (`domain::validate`); a value a rule refuses fails the whole
    /// edit with the rule id and message. `expected_version` is the version
    /// the caller read: if the customer changed since, the edit is refused
    /// and the error says what changed. An absorbed customer cannot be
    /// edited (edit the survivor). The change and its audit entry (old and
    /// new values) are written in one transaction; the version goes up by one.
    pub fn edit_customer(
        &mut self,
        id: i64,
        expected_version: i64,
        changes: &[(Field, Option<String>)],
    ) -> Result<EditOutcome> {
        self.check_edit_rights(id, changes)?;
        let now = self.clock.stamp();
        let actor = self.actor.clone();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::import::refuse_if_undoing(&tx, id)?;
        let old =
            customers::get_customer(&tx, id)?.ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
        if let Some(into) = old.merged_into {
            let survivor = merges::number_of(&tx, merges::live_survivor(&tx, into)?)?;
            return Err(Error::Refused(format!(
                "{} was merged into {survivor}; edit {survivor} instead (or unmerge {} first)",
                old.number, old.number
            )));
        }
        if old.version != expected_version {
            return Err(Error::Refused(stale_message(&tx, &self.access, &old, expected_version, changes)?));
        }
        let EditCheck { customer: c, refused, warnings } = judge_edit(&tx, &old, changes)?;
        if !refused.is_empty() {
            let texts: Vec<&str> = refused.iter().map(|r| r.text.as_str()).collect();
            return Err(Error::Invalid(format!("{}: edit refused: {}", old.number, texts.join("; "))));
        }
        let diff: Vec<FieldChange> = Field::ALL
            .iter()
            .filter(|f| old.get(**f) != c.get(**f))
            .map(|f| FieldChange {
                field: *f,
                old: old.get(*f).map(str::to_string),
                new: c.get(*f).map(str::to_string),
            })
            .collect();
        // A field set by hand stays with the survivor when a merge under it
        // is undone, even when it was set to the value it already had.
        let explicit: Vec<Field> = changes.iter().map(|(f, _)| *f).collect();
        merges::mark_edited(&tx, id, &explicit)?;
        // Likewise the undo of a batch that wrote the value before leaves it.
        store::imports::set_by_hand(&tx, id, &explicit)?;
        // A number or address typed in as the value shown is typed in all
        // the same: where only a merge brought it, the survivor needs a row
        // of its own, or it would leave with the member at the unmerge
        // (add_hand_row adds none where the customer has its own).
        let retyped: Vec<FieldChange> = explicit
            .iter()
            .filter(|f| !diff.iter().any(|d| d.field == **f))
            .map(|f| FieldChange { field: *f, old: c.get(*f).map(str::to_string), new: c.get(*f).map(str::to_string) })
            .collect();
        let own_rows = add_contact_rows(&tx, &c, &retyped)?;
        if diff.is_empty() && c.flags == old.flags {
            // Nothing shown changed, so the version stays; but the survivor
            // now holds the value in a row of its own, which decides where
            // it goes at the unmerge, and every change is audited.
            if !own_rows.is_empty() {
                audit_edit(&tx, &actor, &old, old.version, &diff, &warnings, &own_rows, &now)?;
            }
            tx.commit()?;
            return Ok(EditOutcome { customer: old.clone(), changes: diff, warnings, version: old.version });
        }
        customers::write_fields(&tx, &c, &now)?;
        add_contact_rows(&tx, &c, &diff)?;
        let version = old.version + 1;
        audit_edit(&tx, &actor, &old, version, &diff, &warnings, &own_rows, &now)?;
        let customer = customers::get_customer(&tx, id)?.expect("just written");
        tx.commit()?;
        Ok(EditOutcome { customer, changes: diff, warnings, version })
    }
}

/// The audit entry of an edit: its changes (old and new values), the
/// version it made, its warnings, and the fields typed in as shown that now
/// have a row of the customer's own (`own_rows`, only when there are some).
#[allow(clippy::too_many_arguments)]
fn audit_edit(
    conn: &Connection,
    actor: &str,
    old: &Customer,
    version: i64,
    diff: &[FieldChange],
    warnings: &[Issue],
    own_rows: &[Field],
    now: &str,
) -> Result<()> {
    let mut details = serde_json::json!({
        "version_before": old.version,
        "version": version,
        "changes": diff,
        "warnings": warnings,
    });
    if !own_rows.is_empty() {
        details["own_rows"] = serde_json::json!(own_rows.iter().map(|f| f.name()).collect::<Vec<_>>());
    }
    store::audit::append(
        conn,
        &NewAudit {
            actor,
            action: "customer.edit",
            entity: "customer",
            entity_id: Some(&old.number),
            customer_id: Some(old.id),
            details,
        },
        now,
    )?;
    Ok(())
}

/// One reason an edit is refused, tied to the field it is about when there
/// is one, so an editor can show it beside that field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Option<Field>,
    /// The rule of `domain::validate::RULES`; `None` for a refusal that is
    /// not a data rule (the customer number never changes, say).
    pub rule: Option<&'static str>,
    pub message: String,
    /// As `edit_customer`'s error lists it.
    pub text: String,
}

/// What the rules say of an edit, before anything is written.
#[derive(Debug, Clone)]
pub struct EditCheck {
    /// The record as it would be stored.
    pub customer: Customer,
    /// Refusals: the edit cannot be saved while there is one.
    pub refused: Vec<Refusal>,
    /// Warnings: the edit can be saved; the user should know first.
    pub warnings: Vec<Issue>,
}

impl Refusal {
    fn of(issue: &Issue, text: String) -> Refusal {
        Refusal {
            field: issue.field.and_then(Field::parse),
            rule: Some(issue.rule),
            message: issue.message.clone(),
            text,
        }
    }
    fn plain(field: Field, text: &str) -> Refusal {
        Refusal { field: Some(field), rule: None, message: text.to_string(), text: format!("{field}: {text}") }
    }
}

/// The rules an edit of `old` must pass, the same for `edit_customer` and
/// for an editor checking before it saves.
fn judge_edit(conn: &Connection, old: &Customer, changes: &[(Field, Option<String>)]) -> Result<EditCheck> {
    let mut c = old.clone();
    let mut refused: Vec<Refusal> = Vec::new();
    for (field, value) in changes {
        let raw = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        match (field, raw) {
            (Field::Number, _) => {
                refused.push(Refusal::plain(Field::Number, "a customer number is assigned by crmwb and never changes"))
            }
            (Field::Kind, None) => {
                refused.push(Refusal::plain(Field::Kind, "a customer is a company or a person; it cannot be empty"))
            }
            (Field::Name, None) => c.name.clear(),
            (f, None) => *c.slot_mut(*f).expect("text field") = None,
            (f, Some(raw)) => match validate::normalize_field(*f, raw) {
                Ok(v) => match f {
                    Field::Name => c.name = v.unwrap_or_default(),
                    Field::Kind => c.kind = v.as_deref().and_then(CustomerKind::parse).unwrap_or_default(),
                    _ => *c.slot_mut(*f).expect("text field") = v,
                },
                Err(issue) => refused.push(Refusal::of(&issue, refusal(&issue, raw))),
            },
        }
    }
    let touched = |f: Field| changes.iter().any(|(g, _)| *g == f);
    if touched(Field::Name) || touched(Field::Kind) {
        let mut issues = Vec::new();
        validate::derive_name(&mut c, &mut issues);
        refused.extend(issues.iter().map(|i| Refusal::of(i, refusal(i, &old_or_new_name(changes)))));
    }
    let has_detail = has_phone_or_email(conn, &c)?;
    let mut warnings = Vec::new();
    for issue in validate::check_record(&mut c, has_detail) {
        match issue.severity {
            Severity::Error => refused.push(Refusal::of(&issue, format!("{} ({})", issue.message, issue.rule))),
            Severity::Warning => warnings.push(issue),
        }
    }
    // The lifecycle's conditions hold for edits too; a change that needs a
    // reason goes through `change_status` (`crmwb status`).
    if let Some(to) = c.status.as_deref().and_then(crate::domain::Status::parse).filter(|_| old.status != c.status) {
        let from = old.status.as_deref().and_then(crate::domain::Status::parse);
        let has_contract = c.get(Field::ContractNo).is_some() || c.get(Field::ContractSigned).is_some();
        if let Err(i) = validate::check_status_change(from, to, has_contract, None) {
            let text = format!("{} ({}); use `crmwb status` to give a reason", i.message, i.rule);
            refused.push(Refusal::of(&i, text));
        }
    }
    Ok(EditCheck { customer: c, refused, warnings })
}

fn refusal(issue: &Issue, raw: &str) -> String {
    let field = issue.field.unwrap_or("value");
    format!("{field} `{raw}` refused by rule {}: {}", issue.rule, issue.message)
}

fn old_or_new_name(changes: &[(Field, Option<String>)]) -> String {
    changes.iter().find(|(f, _)| *f == Field::Name).and_then(|(_, v)| v.clone()).unwrap_or_default()
}

pub(crate) fn has_phone_or_email(conn: &Connection, c: &Customer) -> Result<bool> {
    if c.get(Field::Mobile).is_some() || c.get(Field::Landline).is_some() || c.get(Field::Email).is_some() {
        return Ok(true);
    }
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM customer_phones WHERE customer_id = ?1)
                 OR EXISTS(SELECT 1 FROM customer_emails WHERE customer_id = ?1)",
        )?
        .query_row([c.id], |r| r.get(0))?)
}

/// A mobile, landline or e-mail typed in by hand joins the customer's list
/// of numbers and addresses (the `phones`/`emails` of exports), without a
/// source record and not as the primary one (that stays the first number a
/// source gave). Earlier numbers stay: a customer keeps every number it had.
pub(crate) fn add_contact_rows(conn: &Connection, c: &Customer, diff: &[FieldChange]) -> Result<Vec<Field>> {
    let mut added = Vec::new();
    for ch in diff {
        let Some(new) = ch.new.as_deref() else { continue };
        let row = match ch.field {
            Field::Mobile => {
                merges::add_hand_row(conn, c.id, "customer_phones", Some(PhoneKind::Mobile.as_str()), new)?
            }
            Field::Landline => {
                merges::add_hand_row(conn, c.id, "customer_phones", Some(PhoneKind::Landline.as_str()), new)?
            }
            Field::Email => merges::add_hand_row(conn, c.id, "customer_emails", None, new)?,
            _ => false,
        };
        if row {
            added.push(ch.field);
        }
    }
    Ok(added)
}

/// One field changed since the caller read the record.
struct Since {
    field: String,
    /// The value when the caller read it (the first change's old value).
    read: Option<String>,
    by: Vec<String>,
}

/// Why an edit on a stale version is refused: every change made since the
/// caller's version (when, who, which field, old → new) and, for each field
/// the refused edit touched that someone else changed, the value the caller
/// read, the value they wanted and the value now there. Values are shown as
/// the caller may see them.
fn stale_message(
    conn: &Connection,
    access: &super::Access,
    now: &Customer,
    expected: i64,
    wanted: &[(Field, Option<String>)],
) -> Result<String> {
    // The entry that made the caller's version: edits and merges record
    // the version they made, status changes the one they started from.
    let anchor: i64 = conn
        .prepare_cached(
            "SELECT coalesce(max(id), 0) FROM audit_log WHERE customer_id = ?1
               AND (json_extract(details, '$.version') <= ?2 OR json_extract(details, '$.version_before') < ?2)",
        )?
        .query_row(params![now.id, expected], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, action, details FROM audit_log WHERE customer_id = ?1 AND id > ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![now.id, anchor], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let owner = now.owner.as_deref();
    let shown = |field: &str, v: Option<&str>| match v {
        None => "(empty)".to_string(),
        Some(v) => match Field::parse(field) {
            Some(f) => format!("`{}`", access.field(owner, f, v)),
            None => format!("`{}`", access.text(owner, v)),
        },
    };
    let mut lines = Vec::new();
    let mut since: Vec<Since> = Vec::new();
    for row in rows {
        let (at, actor, action, details) = row?;
        let details: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let mut changed: Vec<(String, Option<String>, Option<String>)> = Vec::new();
        match action.as_str() {
            "customer.status" => changed.push(("status".into(), s(&details["from"]), s(&details["to"]))),
            "interaction.log" => {
                for f in ["last_followup", "next_followup"] {
                    let (old, new) = (s(&details[f][0]), s(&details[f][1]));
                    if old != new {
                        changed.push((f.into(), old, new));
                    }
                }
            }
            _ => {
                for ch in details["changes"].as_array().into_iter().flatten() {
                    changed.push((ch["field"].as_str().unwrap_or("?").to_string(), s(&ch["old"]), s(&ch["new"])));
                }
            }
        }
        let fields: Vec<String> = changed
            .iter()
            .map(|(f, old, new)| format!("{f} {} → {}", shown(f, old.as_deref()), shown(f, new.as_deref())))
            .collect();
        lines.push(if fields.is_empty() {
            format!("{at} {actor}: {action}")
        } else {
            format!("{at} {actor}: {action}: {}", fields.join(", "))
        });
        for (f, old, _) in changed {
            match since.iter_mut().find(|x| x.field == f) {
                Some(x) if !x.by.contains(&actor) => x.by.push(actor.clone()),
                Some(_) => {}
                None => since.push(Since { field: f, read: old, by: vec![actor.clone()] }),
            }
        }
    }
    if lines.is_empty() {
        lines.push(format!("changed by an import or another process (last update {})", now.updated_at));
    }
    let conflicts: Vec<String> = wanted
        .iter()
        .filter_map(|(f, want)| {
            let x = since.iter().find(|x| x.field == f.name())?;
            let want = want.as_deref().map(str::trim).filter(|v| !v.is_empty());
            Some(format!(
                "{}: you read {} and wanted {}, it is now {} (changed by {})",
                f.name(),
                shown(f.name(), x.read.as_deref()),
                shown(f.name(), want),
                shown(f.name(), now.get(*f)),
                x.by.join(", ")
            ))
        })
        .collect();
    let conflicts =
        if conflicts.is_empty() { String::new() } else { format!(" Your edit overlaps: {}.", conflicts.join("; ")) };
    Ok(format!(
        "{} changed since you read it (you had version {expected}, it is now version {}); nothing was saved.{conflicts} \
         Changes since: {}. Reload and edit again.",
        now.number,
        now.version,
        lines.join("; ")
    ))
}

impl Workbench {
    /// What `edit_customer` would say of these changes, without writing:
    /// for an editor that marks each refused value beside its field and
    /// asks before saving with warnings. Rights and the version are checked
    /// only on save.
    pub fn check_customer_edit(&self, id: i64, changes: &[(Field, Option<String>)]) -> Result<EditCheck> {
        let old = customers::get_customer(self.store.conn(), id)?
            .ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
        judge_edit(self.store.conn(), &old, changes)
    }
}

/// The right editing `field` needs (on the customer's owner): the owner
/// `owner.assign`; follow-up dates `followup.edit`; any other field
/// `customer.edit`.
pub fn edit_permission(field: Field) -> super::Permission {
    use super::Permission;
    match field {
        Field::Owner => Permission::OwnerAssign,
        Field::NextFollowup | Field::LastFollowup => Permission::FollowupEdit,
        _ => Permission::CustomerEdit,
    }
}

impl Workbench {
    /// Which right an edit needs: the owner field `owner.assign`; follow-up
    /// dates `followup.edit`; any other field `customer.edit` — each on
    /// this customer's owner.
    fn check_edit_rights(&self, id: i64, changes: &[(Field, Option<String>)]) -> Result<()> {
        use super::Subject;
        let Some(c) = customers::get_customer(self.store.conn(), id)? else {
            return Ok(()); // the edit itself reports the missing customer
        };
        for (f, _) in changes {
            self.access.check(edit_permission(*f), Some(Subject::of(&c)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn customer(wb: &mut Workbench, name: &str, mobile: Option<&str>) -> i64 {
        let now = wb.clock.stamp();
        let tx = wb.store.conn_mut().transaction().unwrap();
        let seq = customers::allocate_numbers(&tx, 2026, 1).unwrap();
        let mut c = Customer {
            number: crate::domain::format_number(2026, seq),
            name: name.into(),
            mobile: mobile.map(str::to_string),
            ..Default::default()
        };
        validate::finish_record(&mut c, mobile.is_some());
        let phones = mobile.map(|m| vec![(PhoneKind::Mobile, m.to_string())]).unwrap_or_default();
        let id = customers::insert_customer_row(&tx, &c, &now, None).unwrap();
        customers::insert_phones_emails(&tx, id, &phones, &[], None, None).unwrap();
        tx.commit().unwrap();
        id
    }

    fn get(wb: &Workbench, id: i64) -> Customer {
        customers::get_customer(wb.store.conn(), id).unwrap().unwrap()
    }

    #[test]
    fn edit_normalises_audits_and_bumps_version() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let id = customer(&mut wb, "星辰科技有限公司", Some("13812345678"));
        let v = get(&wb, id).version;
        let out = wb
            .edit_customer(
                id,
                v,
                &[(Field::Status, Some("意向".into())), (Field::Mobile, Some("139-0000-1111".into()))],
            )
            .unwrap();
        assert_eq!(out.version, v + 1);
        assert_eq!(out.customer.status.as_deref(), Some("意向客户"));
        assert_eq!(out.customer.mobile.as_deref(), Some("13900001111"));
        assert_eq!(out.changes.len(), 2);
        let d = wb.customer_detail(id).unwrap();
        let numbers: Vec<&str> = d.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["13812345678", "13900001111"], "the old number is kept, the new one added");
        let audit = &d.history[0];
        assert_eq!((audit.action.as_str(), audit.actor.as_str()), ("customer.edit", "alice"));
        assert_eq!(audit.details["changes"][0]["field"], "status");
        assert_eq!(audit.details["changes"][0]["old"], serde_json::Value::Null);
        assert_eq!(audit.details["changes"][0]["new"], "意向客户");
        assert_eq!(audit.details["changes"][1]["old"], "13812345678");
    }

    #[test]
    fn bad_values_are_refused_with_their_rule() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let id = customer(&mut wb, "星辰科技有限公司", Some("13812345678"));
        let v = get(&wb, id).version;
        let err = wb
            .edit_customer(id, v, &[(Field::Mobile, Some("12345".into())), (Field::Status, Some("maybe".into()))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("mobile.format") && err.contains("status.allowed") && err.contains("`12345`"), "{err}");
        assert_eq!(get(&wb, id).version, v, "nothing written");
        let err = wb.edit_customer(id, v, &[(Field::Number, Some("CRM2026-999999".into()))]).unwrap_err();
        assert!(err.to_string().contains("never changes"), "{err}");
        let err = wb.edit_customer(id, v, &[(Field::Name, Some("***".into()))]).unwrap_err();
        assert!(err.to_string().contains("name.format"), "{err}");
    }

    #[test]
    fn warnings_are_returned_not_dropped() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let id = customer(&mut wb, "星辰科技有限公司", Some("13812345678"));
        let v = get(&wb, id).version;
        let out = wb
            .edit_customer(
                id,
                v,
                &[(Field::FirstContact, Some("2024-05-01".into())), (Field::LastFollowup, Some("2024-04-01".into()))],
            )
            .unwrap();
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(out.warnings[0].rule, "date.order");
        assert_eq!(out.customer.last_followup.as_deref(), Some("2024-04-01"));
    }

    #[test]
    fn stale_version_is_refused_naming_the_change() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let id = customer(&mut wb, "星辰科技有限公司", Some("13812345678"));
        let v = get(&wb, id).version;
        wb.edit_customer(id, v, &[(Field::Owner, Some("张三".into()))]).unwrap();
        let err = wb.edit_customer(id, v, &[(Field::Owner, Some("李四".into()))]).unwrap_err().to_string();
        assert!(err.contains(&format!("version {v}")) && err.contains("owner (empty) → `张三`"), "{err}");
        assert_eq!(get(&wb, id).owner.as_deref(), Some("张三"));
    }

    #[test]
    fn clearing_the_last_identity_is_refused() {
        let mut wb = Workbench::open_in_memory("alice").unwrap();
        let id = customer(&mut wb, "星辰科技有限公司", None);
        let v = get(&wb, id).version;
        let err = wb.edit_customer(id, v, &[(Field::Name, None)]).unwrap_err().to_string();
        assert!(err.contains("row.identity"), "{err}");
        let out = wb.edit_customer(id, v, &[(Field::Industry, Some("制造业".into()))]).unwrap();
        assert_eq!(out.customer.industry.as_deref(), Some("制造业"));
        let same = wb.edit_customer(id, out.version, &[(Field::Industry, Some("制造业".into()))]).unwrap();
        assert!(same.changes.is_empty());
        assert_eq!(same.version, out.version, "a no-op edit does not bump the version");
    }
}
