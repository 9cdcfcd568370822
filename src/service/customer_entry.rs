//! Customers and contacts entered by hand (`crmwb customer add`, `crmwb
//! contact add`), judged by exactly the importer's rules: a `--set` pair is
//! planned like a mapped cell, through `ingest::plan_row`. Where an import
//! keeps a bad value out and warns, a person typing it is told and nothing
//! is written. Also the filtered customer list.

use super::Workbench;
use crate::domain::validate::{normalize_field, Issue};
use crate::domain::{Contact, Customer, Field, Target};
use crate::error::{Error, Result};
use crate::ingest::{plan_row, MappedInput, RowPlan};
use crate::store::{self, customers, listing, NewAudit};
use chrono::Datelike;
use rusqlite::TransactionBehavior;

pub use crate::store::listing::{CustomerFilter, SortKey};

/// An existing customer a new one may duplicate (`possible_duplicates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleDuplicate {
    pub id: i64,
    pub number: String,
    pub name: String,
    /// What the two share: `name` (the name's core), `mobile`, `email`.
    pub shared: Vec<&'static str>,
}

/// Splits `FIELD=VALUE`.
pub fn parse_set(s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((f, v)) if !f.trim().is_empty() => Ok((f.trim().to_string(), v.to_string())),
        _ => Err(Error::Invalid(format!("--set `{s}`: write FIELD=VALUE, e.g. --set name=星辰科技有限公司"))),
    }
}

fn refusal(what: &str, issues: &[(String, Issue)]) -> Error {
    let list: Vec<String> = issues.iter().map(|(field, i)| format!("{field}: [{}] {}", i.rule, i.message)).collect();
    Error::Invalid(format!("{what} refused: {}", list.join("; ")))
}

/// Plans a new customer from `FIELD=VALUE` pairs by the importer's rules:
/// the record and every value or lifecycle rule it breaks, as (field, issue).
fn plan_new_customer(sets: &[(String, String)]) -> Result<(RowPlan, Vec<(String, Issue)>)> {
    if sets.is_empty() {
        return Err(Error::Invalid("give the customer's fields: --set name=… (--set FIELD=VALUE, repeatable)".into()));
    }
    let mut inputs = Vec::new();
    let mut cells = Vec::new();
    for (i, (field, value)) in sets.iter().enumerate() {
        let target = Target::parse(field).map_err(|e| Error::Invalid(format!("--set {field}=…: {e}")))?;
        if matches!(
            target,
            Target::InteractionAt | Target::InteractionKind | Target::InteractionSummary | Target::InteractionBy
        ) {
            return Err(Error::Invalid(format!(
                "--set {field}=…: interactions are logged with `crmwb log NUMBER --kind KIND --note …`"
            )));
        }
        if inputs.iter().any(|m: &MappedInput| m.target == target) {
            return Err(Error::Invalid(format!("--set {field}=… is given twice")));
        }
        inputs.push(MappedInput { columns: vec![i], target, label: field.clone(), person_name: false });
        cells.push(value.clone());
    }
    let plan = plan_row(&inputs, &cells, "company");
    let issues: Vec<(String, Issue)> = plan
        .issues
        .iter()
        .map(|ri| {
            let f = ri.issue.field.map(str::to_string).or_else(|| ri.column.clone()).unwrap_or_else(|| "record".into());
            (f, ri.issue.clone())
        })
        .collect();
    let mut issues = issues;
    // Only when every value passed: a refused contract date would
    // otherwise also read as "won without a contract".
    if issues.is_empty() {
        let c = &plan.customer;
        if let Some(status) = c.status.as_deref().and_then(crate::domain::Status::parse) {
            let has_contract = c.get(Field::ContractNo).is_some() || c.get(Field::ContractSigned).is_some();
            if let Err(i) = crate::domain::validate::check_status_change(None, status, has_contract, None) {
                issues.push(("status".into(), i));
            }
        }
    }
    Ok((plan, issues))
}

impl Workbench {
    /// Creates a customer from `FIELD=VALUE` pairs (target field names, as in
    /// `--map`; `phone` sorts into mobile or landline; `custom:NAME:TYPE`).
    /// Every value must pass its rule; a status needs what the lifecycle
    /// needs (won: a contract; lost cannot be entered without a reason, so
    /// enter it first and then use `status`).
    pub fn add_customer(&mut self, sets: &[(String, String)]) -> Result<Customer> {
        self.access.check(super::Permission::CustomerCreate, None)?;
        let (plan, issues) = plan_new_customer(sets)?;
        if !issues.is_empty() {
            return Err(refusal("new customer", &issues));
        }
        let mut c = plan.customer.clone();
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let year = self.clock.today().year();
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = customers::allocate_numbers(&tx, year, 1)?;
        c.number = crate::domain::format_number(year, seq);
        let id = customers::insert_customer_row(&tx, &c, &now, None)?;
        customers::insert_phones_emails(&tx, id, &plan.phones, &plan.emails, None, None)?;
        // As on import: a company's contact person is one of its contacts.
        let mut people: Vec<(String, Option<String>)> = Vec::new();
        if c.kind == crate::domain::CustomerKind::Company {
            if let Some(name) = c.get(Field::ContactName) {
                people.push((name.to_string(), c.contact_title.clone()));
            }
        }
        people.extend(plan.extra_contacts.iter().cloned());
        for (i, (name, title)) in people.iter().enumerate() {
            let first = i == 0 && c.get(Field::ContactName) == Some(name.as_str());
            let contact = Contact {
                customer_id: id,
                name: name.clone(),
                title: title.clone(),
                mobile: if first { c.mobile.clone() } else { None },
                landline: if first { c.landline.clone() } else { None },
                email: if first { c.email.clone() } else { None },
                ..Default::default()
            };
            customers::insert_contact(&tx, &contact, &now, None)?;
        }
        for (name, ty, value) in &plan.custom {
            customers::set_custom(&tx, id, name, ty, value, None)?;
        }
        let fields: serde_json::Map<String, serde_json::Value> = crate::domain::Field::ALL
            .iter()
            .filter_map(|f| c.get(*f).map(|v| (f.name().to_string(), v.into())))
            .collect();
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "customer.create",
                entity: "customer",
                entity_id: Some(&c.number),
                customer_id: Some(id),
                details: serde_json::json!({ "fields": fields, "phones": plan.phones.iter().map(|p| &p.1).collect::<Vec<_>>(),
                    "emails": plan.emails, "custom": plan.custom.iter().map(|(n, _, v)| (n, v)).collect::<Vec<_>>() }),
            },
            &now,
        )?;
        tx.commit()?;
        customers::get_customer(self.store.conn(), id)?.ok_or_else(|| Error::NotFound(format!("customer {id}")))
    }

    /// What `add_customer` would refuse, without writing: (field, issue)
    /// for each value or lifecycle rule broken, so an editor can mark them.
    pub fn check_new_customer(&self, sets: &[(String, String)]) -> Result<Vec<(String, Issue)>> {
        Ok(plan_new_customer(sets)?.1)
    }

    /// Existing customers a new one (the same `FIELD=VALUE` pairs as
    /// `add_customer`) may duplicate, by the matcher's strongest keys on the
    /// values as they would be stored: the same name core (北京星辰科技有限公司
    /// and 星辰科技 share 星辰科技), the same mobile however written, the same
    /// e-mail. Most shared keys first, at most five. Nothing is written; an
    /// editor warns with these before saving.
    pub fn possible_duplicates(&self, sets: &[(String, String)]) -> Result<Vec<PossibleDuplicate>> {
        let (plan, _) = plan_new_customer(sets)?;
        let mobiles: Vec<String> = plan
            .phones
            .iter()
            .filter(|(k, _)| *k == crate::domain::PhoneKind::Mobile)
            .map(|(_, n)| n.clone())
            .collect();
        let core = plan.customer.name_parts.core.as_deref();
        let found = customers::sharing_keys(self.store.conn(), core, &mobiles, &plan.emails, 5)?;
        Ok(found
            .into_iter()
            .map(|(row, shared)| PossibleDuplicate { id: row.id, number: row.number, name: row.name, shared })
            .collect())
    }

    /// Adds a contact person to a customer: `name` (required), `title`,
    /// `mobile`, `landline`, `phone`, `email`, `notes`.
    pub fn add_contact(&mut self, number: &str, sets: &[(String, String)]) -> Result<Contact> {
        let c = customers::find_by_number(self.store.conn(), number)?
            .ok_or_else(|| Error::NotFound(format!("no customer numbered `{}`", number.trim())))?;
        self.access.check(super::Permission::CustomerEdit, Some(super::Subject::of(&c)))?;
        let mut contact = Contact { customer_id: c.id, ..Default::default() };
        let mut issues = Vec::new();
        let mut seen = Vec::new();
        for (key, value) in sets {
            if seen.contains(key) {
                return Err(Error::Invalid(format!("--set {key}=… is given twice")));
            }
            seen.push(key.clone());
            let mut put = |field: Field, slot: &mut Option<String>| match normalize_field(field, value) {
                Ok(v) => *slot = v,
                Err(i) => issues.push((key.clone(), i)),
            };
            match key.as_str() {
                "name" => {
                    let mut v = None;
                    put(Field::ContactName, &mut v);
                    contact.name = v.unwrap_or_default();
                }
                "title" => put(Field::ContactTitle, &mut contact.title),
                "mobile" => put(Field::Mobile, &mut contact.mobile),
                "landline" => put(Field::Landline, &mut contact.landline),
                "email" => put(Field::Email, &mut contact.email),
                "notes" => put(Field::Notes, &mut contact.notes),
                "phone" => match crate::clean::phone::normalize(value) {
                    Ok(crate::clean::phone::PhoneValue::Mobile(m)) => contact.mobile = Some(m),
                    Ok(crate::clean::phone::PhoneValue::Landline(l)) => contact.landline = Some(l),
                    Err(e) => issues.push((key.clone(), Issue::warning("phone.format", None, e))),
                },
                other => {
                    return Err(Error::Invalid(format!(
                        "--set {other}=…: a contact has name, title, mobile, landline, phone, email and notes"
                    )))
                }
            }
        }
        if !issues.is_empty() {
            return Err(refusal("new contact", &issues));
        }
        if contact.name.is_empty() {
            return Err(Error::Invalid("a contact needs a name: --set name=…".into()));
        }
        let (now, actor) = (self.clock.stamp(), self.actor.clone());
        let tx = self.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::import::refuse_if_undoing(&tx, contact.customer_id)?;
        contact.id = customers::insert_contact(&tx, &contact, &now, None)?;
        store::audit::append(
            &tx,
            &NewAudit {
                actor: &actor,
                action: "contact.add",
                entity: "contact",
                entity_id: Some(&contact.id.to_string()),
                customer_id: Some(c.id),
                details: serde_json::to_value(&contact)?,
            },
            &now,
        )?;
        tx.commit()?;
        Ok(contact)
    }

    /// The ids of the customers `f` selects, sorted: the workbench list.
    /// `f.search` is not applied here (the workbench's fuzzy filter is).
    pub fn sorted_customer_ids(&self, f: &CustomerFilter, key: SortKey, descending: bool) -> Result<Vec<i64>> {
        listing::sorted_ids(self.store.conn(), &f.normalised()?, key, descending)
    }

    /// Streams live customers matching `filter`, with their phones and
    /// e-mails, masked as the acting user must see them. Without a search
    /// in number order; with one, best first, found by `search_customers`
    /// — the workbench's `/` filter — among the customers the rest of the
    /// filter selects.
    pub fn for_each_matching_customer(
        &self,
        filter: &CustomerFilter,
        limit: Option<usize>,
        mut f: impl FnMut(&customers::ExportRow) -> Result<()>,
    ) -> Result<()> {
        let filter = filter.normalised()?;
        let mut left = limit.unwrap_or(usize::MAX);
        let mut emit = |page: Vec<Customer>, left: &mut usize| -> Result<()> {
            for mut row in customers::with_phones_emails(self.store.conn(), page)? {
                self.access.mask_export_row(&mut row);
                f(&row)?;
                *left -= 1;
            }
            Ok(())
        };
        if let Some(q) = filter.search.as_deref().filter(|q| !q.trim().is_empty()) {
            let mut ids = self.search_customers(q)?.ids;
            let rest = CustomerFilter { search: None, ..filter.clone() };
            if !rest.is_empty() {
                let allowed: std::collections::HashSet<i64> =
                    listing::sorted_ids(self.store.conn(), &rest, SortKey::Number, false)?.into_iter().collect();
                ids.retain(|id| allowed.contains(id));
            }
            ids.truncate(left);
            for chunk in ids.chunks(1000) {
                let mut page = Vec::with_capacity(chunk.len());
                for id in chunk {
                    page.extend(customers::get_customer(self.store.conn(), *id)?);
                }
                emit(page, &mut left)?;
            }
            return Ok(());
        }
        let mut after = 0;
        while left > 0 {
            let page = listing::page_filtered(self.store.conn(), &filter, after, left.min(1000))?;
            let Some(last) = page.last().map(|c| c.id) else { break };
            after = last;
            emit(page, &mut left)?;
        }
        Ok(())
    }
}
