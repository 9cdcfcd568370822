//! Customer queries.

use super::opt_text;
use crate::domain::{
    AuditEntry, Contact, Customer, CustomerKind, Email, Field, Interaction, Phone, PhoneKind, SourceRecord,
};
use crate::error::Result;
use rusqlite::{params, CachedStatement, Connection, OptionalExtension, Row, Statement};

/// The columns of `customers` in the order `row_to_customer` reads them.
pub(crate) const CUSTOMER_COLUMNS: &str = "id, number, kind, name, industry, industry_code, status, \
    contact_name, contact_title, mobile, landline, email, province, city, district, address, first_contact, \
    last_followup, next_followup, contract_expiry, owner, priority, needs, contract_no, \
    contract_signed, contract_amount, decision_maker, source_channel, notes, flags, version, \
    created_at, updated_at, merged_into, name_region, name_core, name_legal, name_branch";

/// The golden fields stored as plain optional text columns, in
/// `CUSTOMER_COLUMNS` order: every field after number, name and kind.
pub(crate) const TEXT_FIELDS: &[Field] = Field::ALL.split_at(3).1;

pub(crate) fn row_to_customer(r: &Row<'_>) -> rusqlite::Result<Customer> {
    let mut c = Customer {
        id: r.get(0)?,
        number: r.get(1)?,
        kind: CustomerKind::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
        name: r.get(3)?,
        ..Default::default()
    };
    for (i, f) in TEXT_FIELDS.iter().enumerate() {
        *c.slot_mut(*f).expect("text field") = r.get(4 + i)?;
    }
    let n = 4 + TEXT_FIELDS.len();
    let flags: String = r.get(n)?;
    c.flags = flags.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect();
    c.version = r.get(n + 1)?;
    c.created_at = r.get(n + 2)?;
    c.updated_at = r.get(n + 3)?;
    c.merged_into = r.get(n + 4)?;
    c.name_parts = crate::domain::NameParts {
        region: r.get(n + 5)?,
        core: r.get(n + 6)?,
        legal_form: r.get(n + 7)?,
        branch: r.get(n + 8)?,
    };
    Ok(c)
}

/// A customer to insert; its number is allocated by the store.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub customer: Customer,
    pub phones: Vec<(PhoneKind, String)>,
    pub emails: Vec<String>,
}

/// The columns the customer list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub next_followup: Option<String>,
    pub city: Option<String>,
    pub mobile: Option<String>,
    pub flags: Vec<String>,
}

/// Everything known about one customer: the 360° view.
#[derive(Debug, Clone)]
pub struct CustomerDetail {
    pub customer: Customer,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub contacts: Vec<Contact>,
    pub interactions: Vec<Interaction>,
    pub custom: Vec<(String, String, String)>,
    pub sources: Vec<SourceRecord>,
    pub history: Vec<AuditEntry>,
}

/// Takes the next `count` sequence numbers of `year` and returns the first.
/// Numbers are never handed out twice, even if the customers are deleted.
pub(crate) fn allocate_numbers(conn: &Connection, year: i32, count: u64) -> Result<u64> {
    let last: u64 = conn
        .prepare_cached(
            "INSERT INTO number_seq(year, last) VALUES (?1, ?2)
             ON CONFLICT(year) DO UPDATE SET last = last + ?2
             RETURNING last",
        )?
        .query_row(params![year, count as i64], |r| r.get::<_, i64>(0))
        .map(|v| v as u64)?;
    Ok(last - count + 1)
}

/// The last sequence number taken in `year` (0 if none).
pub(crate) fn last_number(conn: &Connection, year: i32) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT last FROM number_seq WHERE year = ?1")?
        .query_row([year], |r| r.get::<_, i64>(0))
        .optional()?
        .map_or(0, |v| v as u64))
}

pub(crate) fn insert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let mut cols = vec!["number", "kind", "name"];
        cols.extend(TEXT_FIELDS.iter().map(|f| f.name()));
        cols.extend([
            "flags",
            "created_at",
            "updated_at",
            "batch_id",
            "name_region",
            "name_core",
            "name_legal",
            "name_branch",
            "name_sort",
        ]);
        let mut marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        // The reminders-from day of the import that creates it (none by hand).
        let batch = cols.iter().position(|c| *c == "batch_id").expect("batch_id") + 1;
        cols.push("reminders_from");
        marks.push(format!("(SELECT reminders_from FROM import_batches WHERE id = ?{batch})"));
        format!("INSERT INTO customers ({}) VALUES ({})", cols.join(", "), marks.join(","))
    })
}

/// Inserts the customer row alone (`number` already set); the import writes
/// the source record between this and the phones, which point at both.
pub(crate) fn insert_customer_row(conn: &Connection, cu: &Customer, now: &str, batch_id: Option<i64>) -> Result<i64> {
    insert_customer_row_with(&mut *conn.prepare_cached(insert_sql())?, conn, cu, now, batch_id)
}

/// `insert_customer_row` with a statement of `insert_sql()` the caller holds.
fn insert_customer_row_with(
    stmt: &mut Statement<'_>,
    conn: &Connection,
    cu: &Customer,
    now: &str,
    batch_id: Option<i64>,
) -> Result<i64> {
    let flags = cu.flags.join(";");
    let p = &cu.name_parts;
    let head = [Some(cu.number.as_str()), Some(cu.kind.as_str()), Some(cu.name.as_str())];
    let tail = [Some(flags.as_str()), Some(now), Some(now)];
    let parts = [p.region.as_deref(), p.core.as_deref(), p.legal_form.as_deref(), p.branch.as_deref()];
    let mut n = 0;
    for v in head.into_iter().chain(TEXT_FIELDS.iter().map(|f| cu.get(*f))).chain(tail) {
        n += 1;
        stmt.raw_bind_parameter(n, v)?;
    }
    stmt.raw_bind_parameter(n + 1, batch_id)?;
    for (i, v) in parts.into_iter().enumerate() {
        stmt.raw_bind_parameter(n + 2 + i, v)?;
    }
    stmt.raw_bind_parameter(n + 2 + parts.len(), name_sort(&cu.name))?;
    stmt.raw_execute()?;
    Ok(conn.last_insert_rowid())
}

const PHONE_INSERT: &str = "INSERT INTO customer_phones (customer_id, kind, number, is_primary, source_record_id, batch_id) VALUES (?1,?2,?3,?4,?5,?6)";
const EMAIL_INSERT: &str =
    "INSERT INTO customer_emails (customer_id, email, is_primary, source_record_id, batch_id) VALUES (?1,?2,?3,?4,?5)";
const CONTACT_INSERT: &str = "INSERT INTO contacts (customer_id, name, title, mobile, landline, email, notes, source_record_id, created_at, batch_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";

/// A new customer's phones and e-mails; the first of each kind is primary.
pub(crate) fn insert_phones_emails(
    conn: &Connection,
    id: i64,
    phones: &[(PhoneKind, String)],
    emails: &[String],
    source_record_id: Option<i64>,
    batch_id: Option<i64>,
) -> Result<()> {
    if !phones.is_empty() {
        insert_phones_with(&mut *conn.prepare_cached(PHONE_INSERT)?, id, phones, source_record_id, batch_id)?;
    }
    if !emails.is_empty() {
        insert_emails_with(&mut *conn.prepare_cached(EMAIL_INSERT)?, id, emails, source_record_id, batch_id)?;
    }
    Ok(())
}

fn insert_phones_with(
    ph: &mut Statement<'_>,
    id: i64,
    phones: &[(PhoneKind, String)],
    source_record_id: Option<i64>,
    batch_id: Option<i64>,
) -> Result<()> {
    let mut seen_mobile = false;
    let mut seen_landline = false;
    for (kind, number) in phones {
        let primary = match kind {
            PhoneKind::Mobile => !std::mem::replace(&mut seen_mobile, true),
            PhoneKind::Landline => !std::mem::replace(&mut seen_landline, true),
        };
        ph.execute(params![id, kind.as_str(), number, primary, source_record_id, batch_id])?;
    }
    Ok(())
}

fn insert_emails_with(
    em: &mut Statement<'_>,
    id: i64,
    emails: &[String],
    source_record_id: Option<i64>,
    batch_id: Option<i64>,
) -> Result<()> {
    for (i, e) in emails.iter().enumerate() {
        em.execute(params![id, e, i == 0, source_record_id, batch_id])?;
    }
    Ok(())
}

/// The insert statements of an import, each prepared on first use and held
/// until dropped (before the transaction commits). Taking a statement from
/// the connection's cache and putting it back for every row hashes its SQL
/// and clears its bindings each time: 6% of the writing thread.
pub(crate) struct HeldInserts<'c> {
    conn: &'c Connection,
    customer: Option<CachedStatement<'c>>,
    phone: Option<CachedStatement<'c>>,
    email: Option<CachedStatement<'c>>,
    contact: Option<CachedStatement<'c>>,
    source_record: Option<CachedStatement<'c>>,
}

fn held<'s, 'c>(
    slot: &'s mut Option<CachedStatement<'c>>,
    conn: &'c Connection,
    sql: &str,
) -> Result<&'s mut CachedStatement<'c>> {
    let stmt = match slot.take() {
        Some(s) => s,
        None => conn.prepare_cached(sql)?,
    };
    Ok(slot.insert(stmt))
}

impl<'c> HeldInserts<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        HeldInserts { conn, customer: None, phone: None, email: None, contact: None, source_record: None }
    }

    /// `insert_customer_row`.
    pub(crate) fn customer(&mut self, cu: &Customer, now: &str, batch_id: Option<i64>) -> Result<i64> {
        let stmt = held(&mut self.customer, self.conn, insert_sql())?;
        insert_customer_row_with(stmt, self.conn, cu, now, batch_id)
    }

    /// `insert_phones_emails`.
    pub(crate) fn phones_emails(
        &mut self,
        id: i64,
        phones: &[(PhoneKind, String)],
        emails: &[String],
        source_record_id: Option<i64>,
        batch_id: Option<i64>,
    ) -> Result<()> {
        if !phones.is_empty() {
            let ph = held(&mut self.phone, self.conn, PHONE_INSERT)?;
            insert_phones_with(ph, id, phones, source_record_id, batch_id)?;
        }
        if !emails.is_empty() {
            let em = held(&mut self.email, self.conn, EMAIL_INSERT)?;
            insert_emails_with(em, id, emails, source_record_id, batch_id)?;
        }
        Ok(())
    }

    /// `insert_contact`.
    pub(crate) fn contact(&mut self, c: &Contact, now: &str, batch_id: Option<i64>) -> Result<i64> {
        let stmt = held(&mut self.contact, self.conn, CONTACT_INSERT)?;
        insert_contact_with(stmt, self.conn, c, now, batch_id)
    }

    /// A new source record.
    pub(crate) fn source_record(&mut self, r: &super::NewSourceRecord<'_>, now: &str) -> Result<i64> {
        let stmt = held(&mut self.source_record, self.conn, super::imports::SOURCE_RECORD_INSERT)?;
        super::imports::insert_source_record_with(stmt, self.conn, r, now)
    }
}

pub fn get_customer(conn: &Connection, id: i64) -> Result<Option<Customer>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1"))?
        .query_row([id], row_to_customer)
        .optional()?)
}

/// Finds a customer by number. An absorbed number resolves to the customer
/// it was merged into.
pub fn find_by_number(conn: &Connection, number: &str) -> Result<Option<Customer>> {
    let found = conn
        .query_row(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE number = ?1"),
            [number.trim()],
            row_to_customer,
        )
        .optional()?;
    match found {
        Some(c) => match c.merged_into {
            Some(target) => resolve(conn, target),
            None => Ok(Some(c)),
        },
        None => Ok(None),
    }
}

fn resolve(conn: &Connection, mut id: i64) -> Result<Option<Customer>> {
    // Merges can nest; follow the chain to the live survivor.
    for _ in 0..64 {
        match get_customer(conn, id)? {
            Some(c) => match c.merged_into {
                Some(next) => id = next,
                None => return Ok(Some(c)),
            },
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Live customers in number order, `limit` at a time after `after_id`
/// (keyset paging: no OFFSET scans at a million rows).
pub fn page(conn: &Connection, after_id: i64, limit: usize) -> Result<Vec<Customer>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id > ?1 AND merged_into IS NULL ORDER BY id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after_id, limit as i64], row_to_customer)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The ids of all live customers in list order. Cheap enough at a million
/// rows (an index-only scan of 8 MB) to let a list view jump anywhere.
pub fn live_ids(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM customers WHERE merged_into IS NULL ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// List rows for the given ids, in the order given; missing ids are skipped.
pub fn rows_by_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<CustomerRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, number, name, status, owner, next_followup, city, mobile, flags FROM customers WHERE id = ?1",
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = stmt
            .query_row([id], |r| {
                let flags: String = r.get(8)?;
                Ok(CustomerRow {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    name: r.get(2)?,
                    status: r.get(3)?,
                    owner: r.get(4)?,
                    next_followup: r.get(5)?,
                    city: r.get(6)?,
                    mobile: r.get(7)?,
                    flags: flags.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                })
            })
            .optional()?;
        out.extend(row);
    }
    Ok(out)
}

/// The owners named on live customers, with how many each owns, most first
/// (then by name).
pub fn owner_counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT trim(owner), count(*) FROM customers
         WHERE merged_into IS NULL AND owner IS NOT NULL AND trim(owner) <> ''
         GROUP BY trim(owner) ORDER BY count(*) DESC, trim(owner)",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count_live(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM customers WHERE merged_into IS NULL", [], |r| r.get(0))?)
}

pub fn detail(conn: &Connection, customer: Customer) -> Result<CustomerDetail> {
    let id = customer.id;
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, number, is_primary, source_record_id FROM customer_phones WHERE customer_id = ?1 ORDER BY is_primary DESC, id",
    )?;
    let phones = stmt
        .query_map([id], |r| {
            Ok(Phone {
                id: r.get(0)?,
                kind: PhoneKind::parse(&r.get::<_, String>(1)?).unwrap_or(PhoneKind::Landline),
                number: r.get(2)?,
                is_primary: r.get(3)?,
                source_record_id: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, email, is_primary, source_record_id FROM customer_emails WHERE customer_id = ?1 ORDER BY is_primary DESC, id",
    )?;
    let emails = stmt
        .query_map([id], |r| {
            Ok(Email { id: r.get(0)?, email: r.get(1)?, is_primary: r.get(2)?, source_record_id: r.get(3)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer_id, name, title, mobile, landline, email, notes, source_record_id FROM contacts WHERE customer_id = ?1 ORDER BY id",
    )?;
    let contacts = stmt
        .query_map([id], |r| {
            Ok(Contact {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                name: r.get(2)?,
                title: r.get(3)?,
                mobile: r.get(4)?,
                landline: r.get(5)?,
                email: r.get(6)?,
                notes: r.get(7)?,
                source_record_id: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer_id, contact_id, at, kind, summary, by_user, source_record_id FROM interactions WHERE customer_id = ?1 ORDER BY at DESC, id DESC",
    )?;
    let interactions = stmt
        .query_map([id], |r| {
            Ok(Interaction {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                contact_id: r.get(2)?,
                at: r.get(3)?,
                kind: r.get(4)?,
                summary: r.get(5)?,
                by: r.get(6)?,
                source_record_id: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT v.name, f.type, v.value FROM custom_values v JOIN custom_fields f ON f.name = v.name WHERE v.customer_id = ?1 ORDER BY v.name",
    )?;
    let custom =
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let sources = super::imports::sources_of_customer(conn, id)?;
    let history = super::audit::for_customer(conn, id, 200)?;
    Ok(CustomerDetail { customer, phones, emails, contacts, interactions, custom, sources, history })
}

pub(crate) fn set_custom(
    conn: &Connection,
    customer_id: i64,
    name: &str,
    ty: &str,
    value: &str,
    batch_id: Option<i64>,
) -> Result<()> {
    let declared: Option<String> = conn
        .prepare_cached("SELECT type FROM custom_fields WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    match declared {
        Some(t) if t != ty => {
            return Err(crate::Error::Invalid(format!(
                "custom field `{name}` is declared as {t}; it cannot also be {ty}"
            )))
        }
        Some(_) => {}
        None => {
            conn.prepare_cached("INSERT INTO custom_fields(name, type) VALUES (?1, ?2)")?.execute([name, ty])?;
        }
    }
    conn.prepare_cached(
        "INSERT INTO custom_values(customer_id, name, value, batch_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(customer_id, name) DO UPDATE SET value = excluded.value, batch_id = excluded.batch_id",
    )?
    .execute(params![customer_id, name, value, batch_id])?;
    Ok(())
}

/// Everything an import may change on a customer row, as JSON: the
/// before-image an undo restores.
pub(crate) fn snapshot(conn: &Connection, id: i64) -> Result<serde_json::Value> {
    let c = get_customer(conn, id)?.ok_or_else(|| crate::Error::NotFound(format!("no customer with id {id}")))?;
    let mut fields = serde_json::Map::new();
    for f in Field::ALL {
        fields.insert(f.name().into(), c.get(f).map(|v| v.into()).unwrap_or(serde_json::Value::Null));
    }
    let mut stmt = conn.prepare_cached("SELECT name, value, batch_id FROM custom_values WHERE customer_id = ?1")?;
    let custom: Vec<serde_json::Value> = stmt
        .query_map([id], |r| {
            Ok(serde_json::json!([r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?]))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(
        serde_json::json!({ "fields": fields, "flags": c.flags.join(";"), "custom": custom, "merged_into": c.merged_into }),
    )
}

/// The list's sort key of a name (`customers.name_sort`): its pinyin; none
/// for a blank name, which sorts last like any missing value.
pub(crate) fn name_sort(name: &str) -> Option<String> {
    (!name.trim().is_empty()).then(|| crate::clean::text::name_sort_key(name))
}

/// Fills `name_sort` of every customer that has none (migration 0014_name_sort).
pub(crate) fn fill_name_sort(conn: &Connection) -> Result<()> {
    let mut read = conn.prepare("SELECT id, name FROM customers WHERE name_sort IS NULL")?;
    let rows: Vec<(i64, String)> = read
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())))?
        .collect::<rusqlite::Result<_>>()?;
    let mut write = conn.prepare("UPDATE customers SET name_sort = ?2 WHERE id = ?1")?;
    for (id, name) in rows {
        write.execute(params![id, name_sort(&name)])?;
    }
    Ok(())
}

/// Writes the golden fields (all but `number`), flags, and bumps the version.
pub(crate) fn write_fields(conn: &Connection, c: &Customer, now: &str) -> Result<()> {
    let mut sets = Vec::new();
    let mut values: Vec<Option<String>> = Vec::new();
    for f in Field::ALL.iter().filter(|f| **f != Field::Number) {
        sets.push(format!("{} = ?{}", f.name(), sets.len() + 1));
        values.push(c.get(*f).map(str::to_string));
    }
    for (col, v) in [
        ("name_region", &c.name_parts.region),
        ("name_core", &c.name_parts.core),
        ("name_legal", &c.name_parts.legal_form),
        ("name_branch", &c.name_parts.branch),
        ("name_sort", &name_sort(&c.name)),
    ] {
        sets.push(format!("{col} = ?{}", sets.len() + 1));
        values.push(v.clone());
    }
    let n = values.len();
    values.push(Some(c.flags.join(";")));
    values.push(Some(now.to_string()));
    values.push(Some(c.id.to_string()));
    conn.prepare_cached(&format!(
        "UPDATE customers SET {}, flags = ?{}, version = version + 1, updated_at = ?{} WHERE id = ?{}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3
    ))?
    .execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// Puts a snapshot back.
pub(crate) fn restore_snapshot(conn: &Connection, id: i64, snap: &serde_json::Value, now: &str) -> Result<()> {
    let mut c = get_customer(conn, id)?.ok_or_else(|| crate::Error::NotFound(format!("no customer with id {id}")))?;
    let fields = snap["fields"].as_object().cloned().unwrap_or_default();
    for f in Field::ALL {
        let v = fields.get(f.name()).and_then(|v| v.as_str()).map(str::to_string);
        match f {
            Field::Number => {}
            Field::Name => c.name = v.unwrap_or_default(),
            Field::Kind => c.kind = v.as_deref().and_then(CustomerKind::parse).unwrap_or_default(),
            _ => *c.slot_mut(f).expect("text field") = v,
        }
    }
    c.flags = snap["flags"].as_str().unwrap_or("").split(';').filter(|s| !s.is_empty()).map(str::to_string).collect();
    crate::domain::validate::derive_name(&mut c, &mut Vec::new());
    write_fields(conn, &c, now)?;
    conn.prepare_cached("DELETE FROM custom_values WHERE customer_id = ?1")?.execute([id])?;
    for item in snap["custom"].as_array().into_iter().flatten() {
        conn.prepare_cached("INSERT INTO custom_values(customer_id, name, value, batch_id) VALUES (?1,?2,?3,?4)")?
            .execute(params![id, item[0].as_str(), item[1].as_str(), item[2].as_i64()])?;
    }
    Ok(())
}

/// Undoes one batch's change to a customer, value by value: a field (the
/// flags, a custom value) goes back to `before` only where it still holds
/// what the batch wrote (`wrote`, a snapshot after the batch's last write);
/// what changed since — an edit, an unmerge that gave the value back to
/// its own customer — stays.
pub(crate) fn restore_changed(
    conn: &Connection,
    id: i64,
    before: &serde_json::Value,
    wrote: &serde_json::Value,
    now: &str,
) -> Result<()> {
    let Some(mut c) = get_customer(conn, id)? else { return Ok(()) };
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let mut changed = false;
    for f in Field::ALL {
        if f == Field::Number {
            continue;
        }
        let (b, w) = (text(&before["fields"][f.name()]), text(&wrote["fields"][f.name()]));
        let now_v = c.get(f).filter(|s| !s.is_empty()).map(str::to_string);
        if b == w || now_v != w {
            continue;
        }
        changed = true;
        match f {
            Field::Name => c.name = b.unwrap_or_default(),
            Field::Kind => c.kind = b.as_deref().and_then(CustomerKind::parse).unwrap_or_default(),
            _ => *c.slot_mut(f).expect("text field") = b,
        }
    }
    let flags = |v: &serde_json::Value| -> Vec<String> {
        v.as_str().unwrap_or("").split(';').filter(|s| !s.is_empty()).map(str::to_string).collect()
    };
    if c.flags == flags(&wrote["flags"]) && c.flags != flags(&before["flags"]) {
        c.flags = flags(&before["flags"]);
        changed = true;
    }
    if changed {
        crate::domain::validate::derive_name(&mut c, &mut Vec::new());
        write_fields(conn, &c, now)?;
    }
    let custom = |v: &serde_json::Value| -> std::collections::BTreeMap<String, (String, Option<i64>)> {
        v["custom"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| Some((i[0].as_str()?.to_string(), (i[1].as_str()?.to_string(), i[2].as_i64()))))
            .collect()
    };
    let (b, w) = (custom(before), custom(wrote));
    // Slots where the batch replaced a merge's copy (equal or not): what
    // was there before was not the customer's own value.
    let copies: std::collections::BTreeMap<String, i64> = before["copies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c[0].as_str()?.to_string(), c[1].as_i64()?)))
        .collect();
    for name in b.keys().chain(w.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (mut bv, wv) = (b.get(name), w.get(name));
        let copy = copies.get(name.as_str());
        if bv.map(|x| &x.0) == wv.map(|x| &x.0) && copy.is_none() {
            continue;
        }
        let current: Option<String> = conn
            .prepare_cached("SELECT value FROM custom_values WHERE customer_id = ?1 AND name = ?2")?
            .query_row(params![id, name], |r| r.get(0))
            .optional()?;
        if current.as_ref() != wv.map(|x| &x.0) {
            continue;
        }
        if let Some(&entry) = copy {
            if !super::merges::release_custom_copy(conn, entry)? {
                bv = None;
            }
        }
        conn.prepare_cached("DELETE FROM custom_values WHERE customer_id = ?1 AND name = ?2")?
            .execute(params![id, name])?;
        if let Some((value, batch)) = bv {
            conn.prepare_cached("INSERT INTO custom_values(customer_id, name, value, batch_id) VALUES (?1,?2,?3,?4)")?
                .execute(params![id, name, value, batch])?;
        }
    }
    Ok(())
}

pub(crate) fn insert_interaction(conn: &Connection, i: &Interaction, now: &str, batch_id: Option<i64>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO interactions (customer_id, contact_id, at, kind, summary, by_user, source_record_id, created_at, batch_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    )?
    .execute(params![i.customer_id, i.contact_id, i.at, i.kind, i.summary, opt_text(i.by.as_deref()), i.source_record_id, now, batch_id])?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn insert_contact(conn: &Connection, c: &Contact, now: &str, batch_id: Option<i64>) -> Result<i64> {
    insert_contact_with(&mut *conn.prepare_cached(CONTACT_INSERT)?, conn, c, now, batch_id)
}

fn insert_contact_with(
    stmt: &mut Statement<'_>,
    conn: &Connection,
    c: &Contact,
    now: &str,
    batch_id: Option<i64>,
) -> Result<i64> {
    stmt.execute(params![
        c.customer_id,
        c.name,
        c.title,
        c.mobile,
        c.landline,
        c.email,
        c.notes,
        c.source_record_id,
        now,
        batch_id
    ])?;
    Ok(conn.last_insert_rowid())
}

/// One customer with everything an export writes.
pub struct ExportRow {
    pub customer: Customer,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub custom: Vec<(String, String)>,
}

/// Runs `sql` (customer id first, bound to an id range as ?1..?2) and hands
/// each row's customer id and value to `f`.
fn in_id_range<T>(
    conn: &Connection,
    sql: &str,
    first: i64,
    last: i64,
    read: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    mut f: impl FnMut(i64, T),
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    for r in stmt.query_map([first, last], |r| Ok((r.get::<_, i64>(0)?, read(r)?)))? {
        let (cid, v) = r?;
        f(cid, v);
    }
    Ok(())
}

/// A page of live customers for export, with their phones, e-mails and
/// custom values fetched per page rather than per customer.
pub fn export_page(conn: &Connection, after_id: i64, limit: usize) -> Result<Vec<ExportRow>> {
    let page = page(conn, after_id, limit)?;
    let (Some(first), Some(last)) = (page.first().map(|c| c.id), page.last().map(|c| c.id)) else {
        return Ok(Vec::new());
    };
    let mut rows: Vec<ExportRow> =
        page.into_iter().map(|c| ExportRow { customer: c, phones: vec![], emails: vec![], custom: vec![] }).collect();
    let index: std::collections::HashMap<i64, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.customer.id, i)).collect();
    let slot = |cid: i64| index.get(&cid).copied();
    in_id_range(conn, "SELECT customer_id, number FROM customer_phones WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id, is_primary DESC, id", first, last, |r| r.get::<_, String>(1), |cid, v| {
        if let Some(i) = slot(cid) {
            rows[i].phones.push(v);
        }
    })?;
    in_id_range(conn, "SELECT customer_id, email FROM customer_emails WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id, is_primary DESC, id", first, last, |r| r.get::<_, String>(1), |cid, v| {
        if let Some(i) = slot(cid) {
            rows[i].emails.push(v);
        }
    })?;
    in_id_range(conn, "SELECT customer_id, name, value FROM custom_values WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id, name", first, last, |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)), |cid, v| {
        if let Some(i) = slot(cid) {
            rows[i].custom.push(v);
        }
    })?;
    Ok(rows)
}

/// `customers` (in any order) with their phones and e-mails, primary first,
/// as the export writes them (custom values left out): the CLI's list.
/// A page in id order is read by id range; scattered ids (search hits) one
/// by one, so neither reads the whole table.
pub fn with_phones_emails(conn: &Connection, customers: Vec<Customer>) -> Result<Vec<ExportRow>> {
    let mut rows: Vec<ExportRow> = customers
        .into_iter()
        .map(|c| ExportRow { customer: c, phones: vec![], emails: vec![], custom: vec![] })
        .collect();
    let (Some(first), Some(last)) =
        (rows.iter().map(|r| r.customer.id).min(), rows.iter().map(|r| r.customer.id).max())
    else {
        return Ok(rows);
    };
    let index: std::collections::HashMap<i64, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.customer.id, i)).collect();
    let phones = "SELECT customer_id, number FROM customer_phones WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id, is_primary DESC, id";
    let emails = "SELECT customer_id, email FROM customer_emails WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id, is_primary DESC, id";
    let dense = (last - first) as usize <= rows.len().saturating_mul(8);
    let ranges: Vec<(i64, i64)> =
        if dense { vec![(first, last)] } else { rows.iter().map(|r| (r.customer.id, r.customer.id)).collect() };
    for (a, b) in ranges {
        in_id_range(
            conn,
            phones,
            a,
            b,
            |r| r.get::<_, String>(1),
            |cid, v| {
                if let Some(&i) = index.get(&cid) {
                    rows[i].phones.push(v);
                }
            },
        )?;
        in_id_range(
            conn,
            emails,
            a,
            b,
            |r| r.get::<_, String>(1),
            |cid, v| {
                if let Some(&i) = index.get(&cid) {
                    rows[i].emails.push(v);
                }
            },
        )?;
    }
    Ok(rows)
}

pub fn custom_field_names(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM custom_fields ORDER BY name")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every source record with the number of the customer it belongs to now
/// (following merges to the survivor), in source and key order.
/// Calls `f(source, key, customer number, customer owner)` for every source
/// record, following merges to the live customer.
pub fn for_each_link(
    conn: &Connection,
    mut f: impl FnMut(&str, &str, Option<&str>, Option<&str>) -> Result<()>,
) -> Result<()> {
    let mut merged = std::collections::HashMap::new();
    let mut stmt = conn.prepare("SELECT id, merged_into FROM customers WHERE merged_into IS NOT NULL")?;
    for r in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (a, b) = r?;
        merged.insert(a, b);
    }
    let mut numbers = conn.prepare_cached("SELECT number, owner FROM customers WHERE id = ?1")?;
    let mut stmt = conn.prepare(
        "SELECT s.source, s.source_key, s.customer_id, c.number, c.owner FROM source_records s \
         LEFT JOIN customers c ON c.id = s.customer_id ORDER BY s.source, s.id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let source: String = r.get(0)?;
        let key: String = r.get(1)?;
        let cid: Option<i64> = r.get(2)?;
        let mut number: Option<String> = r.get(3)?;
        let mut owner: Option<String> = r.get(4)?;
        if let Some(mut id) = cid {
            let mut hops = 0;
            while let Some(next) = merged.get(&id) {
                id = *next;
                hops += 1;
                if hops > 64 {
                    break;
                }
            }
            if hops > 0 {
                let live: Option<(String, Option<String>)> =
                    numbers.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                (number, owner) = live.map_or((None, None), |(n, o)| (Some(n), o));
            }
        }
        f(&source, &key, number.as_deref(), owner.as_deref())?;
    }
    Ok(())
}

/// A validation finding on one of a customer's source rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldIssue {
    /// The target field the rule judged, if any (a field's name).
    pub field: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub source: String,
    pub row_number: i64,
}

/// What the importer found wrong in the rows that make up `customer_id`
/// (its own and those of customers merged into it).
pub fn issues_of(conn: &Connection, customer_id: i64) -> Result<Vec<FieldIssue>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.field, i.rule, i.severity, i.message, s.source, s.row_number
           FROM source_records s
           JOIN import_issues i ON i.batch_id = s.batch_id AND i.row_number = s.row_number
          WHERE s.customer_id = ?1
          ORDER BY i.field, s.source, s.row_number, i.id",
    )?;
    let rows = stmt.query_map([customer_id], |r| {
        Ok(FieldIssue {
            field: r.get(0)?,
            rule: r.get(1)?,
            severity: r.get(2)?,
            message: r.get(3)?,
            source: r.get(4)?,
            row_number: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live customers of a name core, through `customers_live_name_core`.
const LIVE_BY_CORE: &str = "SELECT id FROM customers WHERE name_core = ?1 AND merged_into IS NULL";

/// Live customers sharing a key with a customer about to be entered: the
/// same name core (`name_parts.core`), one of the same mobile numbers, or
/// one of the same e-mail addresses, all as normalised on entry. Each with
/// what it shares (`name`, `mobile`, `email`), most shared keys first, then
/// by id; at most `limit`.
pub fn sharing_keys(
    conn: &Connection,
    core: Option<&str>,
    mobiles: &[String],
    emails: &[String],
    limit: usize,
) -> Result<Vec<(CustomerRow, Vec<&'static str>)>> {
    let mut found: Vec<(i64, Vec<&'static str>)> = Vec::new();
    let mut note = |id: i64, why: &'static str| match found.iter_mut().find(|(i, _)| *i == id) {
        Some((_, w)) if w.contains(&why) => {}
        Some((_, w)) => w.push(why),
        None => found.push((id, vec![why])),
    };
    if let Some(core) = core.filter(|c| !c.trim().is_empty()) {
        let mut stmt = conn.prepare_cached(LIVE_BY_CORE)?;
        for id in stmt.query_map([core], |r| r.get::<_, i64>(0))? {
            note(id?, "name");
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT p.customer_id FROM customer_phones p JOIN customers c ON c.id = p.customer_id
          WHERE p.number = ?1 AND p.kind = 'mobile' AND c.merged_into IS NULL",
    )?;
    for m in mobiles {
        for id in stmt.query_map([m], |r| r.get::<_, i64>(0))? {
            note(id?, "mobile");
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT e.customer_id FROM customer_emails e JOIN customers c ON c.id = e.customer_id
          WHERE e.email = ?1 AND c.merged_into IS NULL",
    )?;
    for e in emails {
        for id in stmt.query_map([e], |r| r.get::<_, i64>(0))? {
            note(id?, "email");
        }
    }
    found.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    found.truncate(limit);
    let ids: Vec<i64> = found.iter().map(|f| f.0).collect();
    let rows = rows_by_ids(conn, &ids)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let why = found.iter().find(|f| f.0 == row.id)?.1.clone();
            Some((row, why))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The duplicate check of a new customer (`n`) reads its name core
    /// through an index, not the whole table: found reviewing the change,
    /// when 0010 had dropped the only index on `name_core`.
    #[test]
    fn the_name_core_lookup_uses_an_index() {
        let store = crate::store::Store::open_in_memory().unwrap();
        let plan: Vec<String> = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {LIVE_BY_CORE}"))
            .unwrap()
            .query_map(["星辰科技"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("; ");
        assert!(plan.contains("customers_live_name_core"), "{plan}");
    }
}
